/* The message catalogue of validation problems. A check does not write a sentence: it names the
 * problem by a code ("job_group_inactive") and gives the values its message needs as a JSON
 * object ({"value": "nures"}); the catalogue renders the message in a language. The checks that
 * need the database answer the same (field, problem, params) from SQL (migration 0015). Adding a
 * language is a column of the table in src/core/problems.c and a value of problem_lang. */
#ifndef BDHVS_PROBLEMS_H
#define BDHVS_PROBLEMS_H

#include "bdhvs/jsonx.h"

#include <stddef.h>

typedef enum problem_lang { PROBLEM_EN, PROBLEM_VI, PROBLEM_LANGS } problem_lang;

/* Renders problem code with params (a JSON object or NULL; borrowed) into out (cap bytes, cut on
 * a character boundary): each {name} of the template is replaced by params' name (a string as
 * it is, a number in decimal). An unknown code renders as the code itself. */
void problem_render(problem_lang lang, const char *code, const json_t *params, char *out, size_t cap);

/* A part of a message for a parameter of another: {"_problem": code, "_params": params}, rendered
 * in the same language as the message it is put in. Steals params (may be NULL); NULL when out of
 * memory. */
json_t *problem_part(const char *code, json_t *params);

/* Adds to v the problem code with params (borrowed, may be NULL) on field, in English. */
void verrs_problem(verrs *v, const char *field, const char *code, const json_t *params);

/* verrs_problem with two whole-number values (params {a: na, b: nb}). */
void verrs_problem_n2(verrs *v, const char *field, const char *code, const char *a, long long na, const char *b,
                      long long nb);

/* Does the catalogue know code? (for the test that every code SQL answers has a message) */
int problem_known(const char *code);

/* "en" or "vi", for Content-Language. */
const char *problem_lang_tag(problem_lang lang);
/* The translation of one of the answers' fixed English sentences (a status title, a detail, an
 * error message written without a code), or en itself when there is none or lang is English. */
const char *problem_phrase(problem_lang lang, const char *en);
/* Is the table of fixed sentences sorted (it is searched by bsearch)? For a unit test. */
int problem_phrases_sorted(void);
/* Has every code of the catalogue a text in every language? For a unit test. */
int problem_catalogue_complete(void);
/* Renders each item of an errors array in lang: an item that verrs_problem made carries its code
 * and values ("_problem", "_params"), rendered again from the catalogue; another item's message
 * is looked up by problem_phrase. Drops "_problem" and "_params" in every language. */
void problem_localize_errors(problem_lang lang, json_t *errors);

#endif
