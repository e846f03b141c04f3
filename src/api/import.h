/* The bulk-load engine (imports.c) and what a resource gives it: its import_spec. Each resource
 * that takes POST .../import declares its spec beside its other statements (staff.c,
 * completions.c, attestations.c, support.c) and its handler is one line:
 *     void staff_import(http_ctx *c) { import_run(c, &STAFF_IMPORT); }
 * The engine reads CSV or JSON rows, checks each cell by its import_col (import_cells.c), streams
 * the rows into the spec's staging table with COPY, runs the spec's checks, then its merge, all in
 * one transaction. */
#ifndef BDHVS_API_IMPORT_H
#define BDHVS_API_IMPORT_H

#include "common.h"
#include "bdhvs/import_cells.h"

typedef struct import_spec {
    const char *entity;   /* the audit entity: "staff" */
    const char *endpoint; /* the Idempotency-Key namespace: "staff/import" */
    const import_col *cols;
    int ncols;
    const char *stage_ddl; /* CREATE TEMP TABLE import_stage (row integer, <cols as text>) ON COMMIT DROP */
    /* $1 scope[, $2 present columns when it declares 2] -> (row, field, problem, params,
     * number of problems), IMPORT_CHECKS_HEAD/TAIL around it */
    db_stmt *checks;
    /* $1 present columns, $2 replace (bool), $3 scope -> created, updated,
     * unchanged, changed keys (json)[, removed, removed keys (json)] */
    db_stmt *merge;
    int replaceable;   /* takes ?mode=replace */
    db_stmt *warnings; /* NULL, or run after the merge ($1 scope): (row, field, problem, params) of accepted rows */
    /* NULL, or run right after the merge in its transaction ($1 scope): the load's dated changes
     * (staff: transfers), one JSON array the audit keeps as "transfers". Not run when every row
     * was created (none matched a stored row): the array is then empty. */
    db_stmt *after_merge;
    /* NULL, or the same merge for a load none of whose keys is stored anywhere yet (a first load,
     * say), tried first unless replacing: same parameters and answer as merge, or a NULL first
     * column, having written nothing, when some key is stored (merge then runs). It inserts
     * without comparing each row with stored ones, which a 100,000-row load paid 0.2-0.3 s for. */
    db_stmt *merge_new;
} import_spec;

#define IMPORT_COLS(cols) cols, (int)(sizeof cols / sizeof cols[0])

/* Runs a bulk load of sp's rows from the request body and answers it (always). */
void import_run(http_ctx *c, const import_spec *sp);

/* Every check statement answers (row, field, problem, params, number of problems found): the
 * first IMPORT_MAX_ERRORS in row order and the count of all, so that a file with a million bad
 * rows does not come back as a million result rows. problem is a code of the message catalogue
 * (bdhvs/problems.h), params a JSON object of what its message names. Codes are resolved only
 * through scoped_units and scoped_staff (migration 0011): a code outside the caller's units is an
 * unknown code. */
#define IMPORT_MAX_ERRORS 1000 /* also in IMPORT_CHECKS_TAIL */
#define IMPORT_CHECKS_HEAD "SELECT row, field, problem, params, count(*) OVER () FROM ("
#define IMPORT_CHECKS_TAIL ") e ORDER BY row, field LIMIT 1000"

/* The checks every load with a unit_code or staff_code column makes. */
#define IMPORT_UNIT_REF_CHECK                                                                                  \
    " SELECT s.row, 'unit_code' AS field, 'unit_unknown' AS problem, json_build_object('unit', s.unit_code) AS params" \
    "   FROM import_stage s LEFT JOIN scoped_units($1) u ON u.code = s.unit_code"                             \
    "   WHERE s.unit_code IS NOT NULL AND u.id IS NULL"
#define IMPORT_STAFF_REF_CHECK                                                                                 \
    " SELECT s.row, 'staff_code' AS field, 'staff_unknown' AS problem, json_build_object('staff', s.staff_code) AS params" \
    "   FROM import_stage s LEFT JOIN scoped_staff($1) st ON st.code = s.staff_code"                          \
    "   WHERE s.staff_code IS NOT NULL AND st.id IS NULL"
/* A key that appears twice in the load: problem on field, rows after the first, partitioned by
 * the key's columns (a comma-separated list, all of them present). */
#define IMPORT_REPEAT_CHECK(field, problem, key, key_present)                                                  \
    " SELECT d.row, '" field "', '" problem "', json_build_object('first', d.first)"                         \
    "   FROM (SELECT row, min(row) OVER (PARTITION BY " key ") AS first FROM import_stage"                     \
    "   WHERE " key_present ") d WHERE d.row <> d.first"

/* In a merge: does the load have this column? ($1 holds the present columns.) */
#define IMPORT_PRESENT(col) "('" col "' = ANY($1::text[]))"

#endif
