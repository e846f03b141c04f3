/* The message catalogue of validation problems. A check does not write a sentence: it names the
 * problem by a code ("job_group_inactive") and gives the values its message needs as a JSON
 * object ({"value": "nures"}); the catalogue renders the message in a language. The checks that
 * need the database answer the same (field, problem, params) from SQL (migration 0015). Adding a
 * language is a column of the table in src/core/problems.c and a value of problem_lang. */
#ifndef BDHVS_PROBLEMS_H
#define BDHVS_PROBLEMS_H

#include "bdhvs/jsonx.h"

#include <stddef.h>

typedef enum problem_lang { PROBLEM_EN, PROBLEM_LANGS } problem_lang;

/* Renders problem code with params (a JSON object or NULL; borrowed) into out (cap bytes, cut on
 * a character boundary): each {name} of the template is replaced by params' name (a string as
 * it is, a number in decimal). An unknown code renders as the code itself. */
void problem_render(problem_lang lang, const char *code, const json_t *params, char *out, size_t cap);

/* Adds to v the problem code with params (borrowed, may be NULL) on field, in English. */
void verrs_problem(verrs *v, const char *field, const char *code, const json_t *params);

/* verrs_problem with two whole-number values (params {a: na, b: nb}). */
void verrs_problem_n2(verrs *v, const char *field, const char *code, const char *a, long long na, const char *b,
                      long long nb);

/* Does the catalogue know code? (for the test that every code SQL answers has a message) */
int problem_known(const char *code);

#endif
