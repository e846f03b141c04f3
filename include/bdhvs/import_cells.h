/* The cell rules of bulk loads (src/api/imports.c): what a CSV cell or a JSON value of each kind
 * of column may hold, and what is staged for it. Pure: no request, no database (the checks that
 * need the database run in SQL on the staged rows). */
#ifndef BDHVS_IMPORT_CELLS_H
#define BDHVS_IMPORT_CELLS_H

#include "bdhvs/jsonx.h"

#include <stddef.h>

enum col_kind { K_TEXT, K_CODE, K_DATE, K_BOOL, K_MONTH, K_COUNT };

typedef struct import_col {
    const char *name;
    int required;
    enum col_kind kind;
    size_t maxlen;  /* characters (UTF-8 code points); not checked for K_BOOL, K_MONTH, K_COUNT */
    int not_future; /* dates and months */
    const code_rule *code; /* K_CODE: the characters it may hold (its length is maxlen's) */
    /* A column of reference codes: the table they come from ("job_groups"). A cell may also name
     * the code by its Vietnamese or English label ("Bác sĩ" for doctor, any case), which the
     * load replaces by the code (imports.c); maxlen is then a label's. */
    const char *ref;
} import_col;

/* Checks one cell v of column col (v NULL: absent or empty). today is YYYY-MM-DD, for not_future
 * columns. Returns 0 and sets *staged to what is staged: v itself, "true" or "false" for a
 * boolean, a month's first day (written into month) for a month, NULL when absent. Returns 1
 * when the cell is refused: *staged is NULL, *problem the catalogue's code (bdhvs/problems.h)
 * and *params its values (a new JSON object the caller frees with json_decref, or NULL). */
int import_cell_check(const import_col *col, const char *v, const char *today, char month[11], const char **staged,
                      const char **problem, json_t **params);

#endif
