/* The body of a target (the Department-wide one, indicators.c; a unit's own, targets.c). */
#ifndef BDHVS_API_TARGETS_H
#define BDHVS_API_TARGETS_H

#include "common.h"

typedef struct target_body {
    char target[32];   /* the percentage with one decimal, as SQL reads it */
    int has_strict, strict;
    int has_deadline;  /* deadline given (a date, or null: then deadline is "") */
    char deadline[11];
    const char *note;  /* NULL: none */
} target_body;

/* Reads {target, strict?, deadline?, note?} into tb, errors to v; with year (not 0) the deadline
 * must be a day of that year. */
void target_body_read(json_t *body, long year, target_body *tb, verrs *v);

#endif
