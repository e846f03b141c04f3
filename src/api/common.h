/* The helpers shared by the files of src/api (the API layer) only; the handlers are declared in
 * handlers.h, the rights cache in bdhvs/rights.h.
 *
 * The answering convention. A helper that may answer the request (send a status and a body)
 * says so by what it returns, always the same way:
 *   - an int helper returns non-zero when it has answered, 0 when it has not and the caller
 *     goes on (api_begin, api_commit, api_audit* return -1; api_refuse_*, api_change_open,
 *     api_change_lock and api_answer_unchanged, like http_refuse_invalid and
 *     http_if_match_fails, return 1);
 *   - a helper that returns a result or a pointer returns NULL when it has answered
 *     (api_run, api_run_unique, api_lock_one, api_db; http_json_body);
 *   - a helper that returns an id returns a value no id takes when it has answered:
 *     api_resolve_unit and api_resolve_staff -2 (-1 when they only added an error to v for the
 *     caller to answer), http_path_id 0;
 *   - a helper that finishes the request (api_created, api_updated, api_delete_locked,
 *     api_get_one, api_answer_one, api_list, api_bad_query) is void: it always answers.
 * A helper that answers after the open transaction went wrong has rolled it back. Names that
 * start with api_refuse_ read as "refuse (and answer) when ...": if (api_refuse_...(...)) return;
 * helpers that never answer say so (api_idem_store returns -1 on failure and leaves the answer
 * to its caller). */
#ifndef BDHVS_API_COMMON_H
#define BDHVS_API_COMMON_H

#include "bdhvs/api.h"
#include "bdhvs/db.h"
#include "bdhvs/http.h"
#include "bdhvs/jsonx.h"
#include "bdhvs/log.h"
#include "bdhvs/period.h"
#include "bdhvs/problems.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The request's database connection. The API layer owns it: the HTTP layer carries it in
 * c->app_req without knowing what it is, and the listener's pool in c->app (main.c gives the
 * server the pools and api_release). */
/* The listener's pool. */
static inline db_pool *api_pool(const http_ctx *c)
{
    return c->app;
}
/* The connection checked out for this request, or NULL when none is. */
static inline db_conn *api_conn(const http_ctx *c)
{
    return c->app_req;
}
/* The pooled connection for this request, or NULL after answering 503. Checked out on the
 * first call, the same one on later calls; given back by api_release after the handler. */
db_conn *api_db(http_ctx *c);
/* Answers for a failed database result with the status api_db_status gives its class. */
void api_db_error(http_ctx *c, const PGresult *res, const char *what);

/* The caller's scope as a SQL parameter: NULL for every unit, else the caller's unit id. */
db_val api_scope(const http_ctx *c);
/* Writes an audit record in the caller's open transaction. before/after are JSON texts or
 * NULL. Returns 0, or -1 after answering with the database error. */
int api_audit(http_ctx *c, const char *action, const char *entity, const char *entity_id,
              const char *before, const char *after);
/* api_audit for an entity named by its numeric id. */
int api_audit_id(http_ctx *c, const char *action, const char *entity, long long id, const char *before,
                 const char *after);
/* The end of a PUT that creates or replaces a resource: audits it (create when before is NULL,
 * else update, with entity_id key), commits, and answers json with 201 and Location (location,
 * or the request's own path when NULL) or 200. Returns 0, or -1 after answering the failure. */
int api_answer_put(http_ctx *c, const char *entity, const char *key, const char *before, const char *json,
                   const char *location);
/* SQLSTATE of a write into a period whose report is approved (migrations/0016_obligations.sql). */
#define DB_STATE_PERIOD_LOCKED "BL409"
/* Answers 409 urn:bdhvs:problem:period-locked with why (the database's message) and how: who can
 * unlock it and what makes the write possible (the database's hint, report_unlock_hint in
 * migrations/0034_signoff.sql; NULL: a general sentence). */
void api_refuse_period_locked(http_ctx *c, const char *why, const char *how);
/* The same in the request's language: why (stolen; a problem_part, e.g. locked_this with the
 * report's status) and who can unlock it from report_unlock_params' JSON text (migration 0036).
 * When either cannot be read, answers why_text and how_text as api_refuse_period_locked does. */
void api_refuse_period_locked_parts(http_ctx *c, json_t *why, const char *unlock_json, const char *why_text,
                                    const char *how_text);
/* Runs st; on failure answers the database error (rolling back) and returns NULL. */
PGresult *api_run(http_ctx *c, db_stmt *st, const db_args *args, const char *what);
/* Commits; on failure answers 503 and returns -1. */
int api_commit(http_ctx *c);
/* Answers (always) a list built by SQL: JSON text as is, or CSV from its items. The result's single
 * cell holds {"items": [...], "total": N, "limit": L, "offset": O}. On a route that declares
 * ?after= and a page in id order (sort=id or after=), the JSON answer gets next_cursor: the
 * cursor after its last item when the page is full, else null (the end). */
void api_list_answer(http_ctx *c, PGresult *res, const char *const *csv_columns);
/* Runs the list query st (its single cell as api_list_answer reads it) and answers it, or the
 * database error. Always answers. */
void api_list(http_ctx *c, db_stmt *st, const db_args *args, const char *what, const char *const *csv_columns);
/* Finds a unit by id (0: not given) and/or code (NULL: not given) inside the caller's scope;
 * when both are given they must name the same unit. Returns its id; -1 after
 * adding an error for field to v (absent, out of scope, or closed when require_open); -2 after
 * answering a database error. */
long long api_resolve_unit(http_ctx *c, long long id, const char *code, const char *field,
                           int require_open, verrs *v);
/* Finds a staff member in the caller's scope by id and/or code, like api_resolve_unit; fills
 * joined_on when not NULL. */
long long api_resolve_staff(http_ctx *c, long long id, const char *code, const char *field, char joined_on[11],
                            verrs *v);
/* Runs a rules statement (migration 0015: rows of field, problem code, params JSON) and adds each
 * problem it answers to v, rendered by the message catalogue. Returns 0, or -1 after answering
 * the database error. */
int api_add_problems(http_ctx *c, db_stmt *st, const db_args *args, verrs *v);
/* Adds "is required (or <other>)" on field: a body that names a thing by field or other gave neither. */
void api_problem_required_or(verrs *v, const char *field, const char *other);
/* For a problem "*_inactive" (a code that is not an active reference code): adds to params the
 * table's active codes with their labels, "valid" (English labels) and "valid_vi", which the
 * catalogue renders after the message. cache (a JSON object, or NULL) keeps the lists already
 * read during one answer. Any other problem is left as it is. */
void api_problem_valid_codes(http_ctx *c, const char *problem, json_t *params, json_t *cache);
/* Checks out a connection and begins a transaction; -1 after answering 503. */
int api_begin(http_ctx *c);
/* Answers 400 with the query's errors when v holds any; frees v either way. Returns 1 when it
 * answered, 0 when the query was fine. */
int api_refuse_bad_query(http_ctx *c, verrs *v);
/* The query parameters every list reads last: updated_since, sort, limit and offset; and after,
 * on the lists whose route declares it (keyset pagination, issue 12). */
typedef struct api_list_query {
    const char *since; /* NULL when not given */
    char sort[40];     /* canonical ("code" or "-code"); "" when the list has no sorts */
    long limit, offset;
    long long after;   /* ?after=: the page starts after this id (0: not given); sort is then "id" */
} api_list_query;
/* Reads updated_since, sort (among sorts, default dflt_sort; none when sorts is NULL), limit,
 * offset and after into q, after what the caller put in v; then answers 400 with all of v's
 * errors (v is freed either way), or 503 when no connection is free. Returns 1 when it answered.
 * after pages in id order: with it, sort may only be id and offset is refused. */
int api_refuse_list_query(http_ctx *c, verrs *v, const char *const *sorts, const char *dflt_sort, api_list_query *q);
/* Keyset pagination in a list statement: the row filter of its ranked page CTE p ("FROM f"
 * API_AFTER_ID(n) " ORDER BY rn ...") with $n the value of api_list_after. Rows that exist through
 * the whole paging are returned once each, however others write meanwhile (an offset shifts). */
#define API_AFTER_ID(n) " WHERE ($" #n "::bigint IS NULL OR f.id > $" #n ")"
static inline db_val api_list_after(const api_list_query *q)
{
    return db_id(q->after);
}
/* Answers 404 "There is no such unit." (rolling back any open transaction) when unit_id is not a
 * unit in the caller's scope. Returns 1 when it answered (the database error included), 0 when
 * the unit is there. */
int api_refuse_unit_not_found(http_ctx *c, long long unit_id);
/* Like api_run, but a unique violation answers 409 with taken. NULL when it answered. */
PGresult *api_run_unique(http_ctx *c, db_stmt *st, const db_args *args, const char *what, const char *taken);
/* Runs a read of one resource (column 0: its JSON) and answers it: 200 with its ETag, 404 with
 * not_found when there is no row, or the database error. Always answers. */
void api_answer_one(http_ctx *c, db_stmt *st, const db_args *args, const char *what, const char *not_found);
/* GET of a resource named by the path's :id: api_answer_one of st with $1 the id and, when
 * scoped, $2 the caller's scope. Always answers. */
void api_get_one(http_ctx *c, db_stmt *st, int scoped, const char *what, const char *not_found);
/* api_get_one in two halves, for an HTTP_ROUTE_INLINE route's http_async: start takes a free
 * connection without waiting and sends st (0, the socket in *fd), answers 404 for a malformed
 * id (1), or sends nothing (-1: the route's handler then runs on a worker); step answers as
 * api_get_one once the result is in (0), or returns 1 while it is not. */
int api_get_one_start(http_ctx *c, db_stmt *st, int scoped, int *fd);
int api_get_one_step(http_ctx *c, const char *what, const char *not_found);
/* Defines the handler name, a GET of one resource by :id (api_get_one), and name_async, the same
 * read in two halves for the loops (HTTP_ROUTE_INLINE; declare it in handlers.h). */
#define API_GET_ONE_ROUTE(name, st, scoped, what, not_found)                                        \
    void name(http_ctx *c) { api_get_one(c, st, scoped, what, not_found); }                        \
    static int name##_start(http_ctx *c, int *fd) { return api_get_one_start(c, st, scoped, fd); } \
    static int name##_step(http_ctx *c) { return api_get_one_step(c, what, not_found); }           \
    const http_async name##_async = {name##_start, name##_step}
/* Takes a free open database connection for the request without waiting: 0 when it did. */
int api_reserve(http_ctx *c);
/* A write handler's state: the path's :id (updates and deletes), the JSON body, the errors found
 * in it, the row locked before the write and the write's result. Filled by api_change_open, freed
 * by api_change_close (whatever of it was set). */
typedef struct api_change {
    long long id;
    json_t *body;
    verrs v;
    PGresult *cur, *r;
} api_change;
/* Reads the path's :id (when with_id) and the body, a JSON object. Returns 1 when it answered
 * (404, 400, 415, 422; nothing to close then), 0 with w ready. */
int api_change_open(http_ctx *c, api_change *w, int with_id);
/* The start of an update, once the body is read: answers w->v's errors (422), begins, locks the
 * row with lock (which answers 404, 412, 403...) into w->cur, and answers a PATCH {} with
 * api_answer_unchanged. Returns 1 when it answered (any transaction rolled back), 0 with
 * w->cur locked in the open transaction. */
int api_change_lock(http_ctx *c, api_change *w, PGresult *(*lock)(http_ctx *c, long long id));
/* Frees what api_change_open and the handler put in w. */
void api_change_close(api_change *w);
/* "PATCH {} is a no-op": when body is the empty object, rolls back and answers 200 with the
 * locked row cur as it is (column 0), with no write and no audit entry. Returns 1 when it
 * answered, 0 when there is something to change. */
int api_answer_unchanged(http_ctx *c, json_t *body, const PGresult *cur);
/* Finishes an update: audits entity id with column audit_col of the locked row cur as before
 * and of the updated row r as after, commits, and answers 200 with r's column 0 (and its
 * ETag). Always answers. */
void api_updated(http_ctx *c, const PGresult *cur, const PGresult *r, const char *entity, long long id, int audit_col);
/* Finishes a delete of the row cur locked (NULL: the lock has answered; nothing is done): runs
 * del with $1 = id, audits the deletion of entity id with column before_col of cur as before,
 * commits and answers 204. Frees cur. Always answers. */
void api_delete_locked(http_ctx *c, PGresult *cur, int before_col, db_stmt *del, long long id, const char *what,
                       const char *entity);
/* Runs a locking read of one row (column 0: its JSON as the caller sees it). Answers 404 with
 * not_found when there is none, and 412 when if_match and If-Match fails; NULL then. */
PGresult *api_lock_one(http_ctx *c, db_stmt *st, const db_args *args, const char *not_found, int if_match);
/* Finishes a create: r's row 0 holds the id, the JSON answer and (column audit_col) the JSON
 * to audit. Audits, commits, answers 201 with Location prefix/id. Always answers. */
void api_created(http_ctx *c, PGresult *r, const char *entity, const char *prefix, int audit_col);
/* Answers 400 with the query's errors (always; v is not freed). */
void api_bad_query(http_ctx *c, verrs *v);
/* Today's date in Vietnam (UTC+7) as YYYY-MM-DD. */
void api_today(char out[11]);
/* May the caller see party membership? (admin and manager) */
int api_shows_party(http_ctx *c);
/* Reads limit and offset; returns the number of errors in v. */
/* Records the read of a page of staff (page: the list's JSON text, {items, total, ...}): who read
 * which units' staff, with which query, how many rows came back and in which format. Returns
 * what api_audit_read returns. */
int api_audit_staff_page(http_ctx *c, const char *page, const char *format);
/* The same from the page's counts (a list statement that returns them beside the page). */
int api_audit_staff_counts(http_ctx *c, long long returned, long long total, const char *format);
/* Reads the required date field of body into out: "required" when absent, "future" when after
 * today (Vietnam's date); errors go to v. */
void api_past_date(json_t *body, const char *field, char out[11], verrs *v);
int api_page_params(http_ctx *c, verrs *v, long *limit, long *offset);
/* A list that takes only limit and offset: reads them (400 for bad ones) and answers st run with
 * ($1 limit, $2 offset) through api_list. */
void api_list_paged(http_ctx *c, db_stmt *st, const char *what, const char *const *cols);
/* Reads the required unit_id and period query parameters (errors go to v; *p is set when the
 * period is valid). */
void api_query_unit_period(http_ctx *c, verrs *v, long long *unit_id, period *p);
/* Records that the caller read personal data, before any of it is sent. Outside a transaction
 * the entry is committed at once; inside one it shares the transaction's fate (so a dry run
 * that rolls back must record after its rollback). Returns 0, or -1 after answering 503 with
 * Retry-After: the caller then sends nothing of the data (fail closed). */
int api_audit_read(http_ctx *c, const char *entity, const char *entity_id, json_t *what);
/* api_audit_read for an entity named by its numeric id. */
int api_audit_read_id(http_ctx *c, const char *entity, long long id, json_t *what);
/* Sets Location to fmt % id. */
void api_location(http_ctx *c, const char *prefix, const char *id);

/* Idempotency-Key (idempotency.c). Reads the header into *key (NULL when absent); -1 after
 * answering 400 when it is not 1 to 200 characters. */
int api_idem_key(http_ctx *c, const char **key);
/* A digest of what (a text naming the request's target) and the request body. */
void api_idem_hash(http_ctx *c, const char *what, char out[65]);
/* Replays the answer stored under the caller's key for endpoint, or answers 422 with detail
 * other when the key came with another body. Returns 1 when it answered (a database error
 * included), 0 when the key is new. */
int api_idem_replay(http_ctx *c, const char *endpoint, const char *key, const char *hash, const char *other);
/* In the write's open transaction: waits for any other request with the same key to finish,
 * then api_idem_replay (rolling back when it answered). Returns 1 when it answered, 0 when the
 * key is new. */
int api_idem_lock_and_replay(http_ctx *c, const char *endpoint, const char *key, const char *hash, const char *other);
/* Stores an answer under the key in the open transaction. Never answers: -1 on failure (the
 * caller answers), 0 when stored. */
int api_idem_store(http_ctx *c, const char *endpoint, const char *key, const char *hash, int status,
                   const char *answer, size_t len);
/* Stores the answer under key (when key is not NULL) and commits. On failure rolls back,
 * answers 503 (or replays an answer stored meanwhile) and returns -1. */
int api_idem_commit(http_ctx *c, const char *endpoint, const char *key, const char *hash, int status,
                    const char *answer, size_t len, const char *other);

/* Password hashing takes a turn at the hash gate (BDHVS_HASH_CONCURRENCY); when none comes within
 * BDHVS_HASH_QUEUE_MS these answer 503 with Retry-After and return -1. */
int api_hash_enter(http_ctx *c);
int api_password_hash(http_ctx *c, const char *password, char out[AUTH_HASH_LEN]);
/* A result cell's text, or NULL when the cell is SQL NULL (PQgetvalue gives "" then). The
 * text belongs to r. */
const char *api_cell(const PGresult *r, int row, int col);

/* When the request asks for CSV, names its file (downloads.c): the resource, the code of the unit
 * of unit_id or under (or of the caller's own unit) when the caller may see it, and period (NULL:
 * today). Never answers; call it before respond_csv. */
void api_csv_name(http_ctx *c, const char *period_text);

/* An action that takes no body, or {}: answers (the bad JSON, or 422 with detail when the object
 * has fields) and returns 1; 0 when there is nothing in the body. */
int api_refuse_body_fields(http_ctx *c, const char *detail);
/* The end of a dated change's body, read alike by transfers, moves and merges: effective_on
 * (required, a date) into on and the optional note (1 to 300 characters, or null); then every
 * error of w->v at once (422), or the transaction begun. Returns 1 when it answered, 0 with the
 * transaction open. */
int api_change_dated(http_ctx *c, api_change *w, char on[11], const char **note);
#endif
