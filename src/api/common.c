#include "common.h"
#include "bdhvs/problems.h"

#include <limits.h>
#include <sodium.h>

db_val api_scope(const http_ctx *c)
{
    return db_int_if(!c->who.all_units, c->who.unit_id);
}

PGresult *api_run(http_ctx *c, db_stmt *st, const db_args *args, const char *what)
{
    PGresult *r = db_run(api_conn(c), st, args);
    if (!db_ok(r)) {
        api_db_error(c, r, what);
        PQclear(r);
        db_rollback(api_conn(c));
        return NULL;
    }
    return r;
}

int api_commit(http_ctx *c)
{
    if (db_commit(api_conn(c)) != 0) {
        http_set_header(c, "Retry-After", "2");
        respond_problem(c, 503, "The change could not be committed; nothing was written. Try again.");
        return -1;
    }
    return 0;
}

DB_STMT(STMT_AUDIT, "audit_insert",
    "INSERT INTO audit_log (user_id, username, request_id, client_request_id, action, entity, entity_id, before, after)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb)", 9);

/* The client's X-Request-Id for the audit entry, or NULL when it sent none. */
static const char *client_rid(const http_ctx *c)
{
    return c->client_request_id[0] ? c->client_request_id : NULL;
}

/* Writes the audit record; entity_id is the entity's id as text, or a number, or NULL. */
static int audit_write(http_ctx *c, const char *action, const char *entity, db_val entity_id, const char *before,
                       const char *after)
{
    db_args v;
    db_args_of(&v, db_int_if(c->authed, c->who.user_id), db_text(c->authed ? c->who.username : NULL),
                   db_text(c->request_id), db_text(client_rid(c)), db_text(action), db_text(entity), entity_id,
                   db_text(before), db_text(after));
    PGresult *r = api_run(c, &STMT_AUDIT, &v, "writing the audit record");
    if (r == NULL) return -1;
    PQclear(r);
    return 0;
}

int api_audit(http_ctx *c, const char *action, const char *entity, const char *entity_id,
              const char *before, const char *after)
{
    return audit_write(c, action, entity, db_text(entity_id), before, after);
}

int api_audit_id(http_ctx *c, const char *action, const char *entity, long long id, const char *before,
                 const char *after)
{
    return audit_write(c, action, entity, db_id(id), before, after);
}

int api_answer_put(http_ctx *c, const char *entity, const char *key, const char *before, const char *json,
                   const char *location)
{
    if (api_audit(c, before ? "update" : "create", entity, key, before, json) != 0 || api_commit(c) != 0) return -1;
    if (before == NULL) http_set_header(c, "Location", location ? location : http_url_path(c));
    respond_json_text(c, before ? 200 : 201, json, strlen(json));
    return 0;
}

/* A list cursor: base64url of "id.N" (opaque to clients; distinct from the change feed's). */
static void list_cursor(long long id, char out[64])
{
    char raw[32];
    int n = snprintf(raw, sizeof raw, "id.%lld", id);
    sodium_bin2base64(out, 64, (const unsigned char *)raw, (size_t)n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* The id a list cursor stands after; 0 when the text is not a list cursor. */
static long long list_cursor_id(const char *cursor)
{
    unsigned char raw[40];
    size_t n = 0, len = strlen(cursor);
    if (len == 0 || len > 40 ||
        sodium_base642bin(raw, sizeof raw - 1, cursor, len, NULL, &n, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) !=
            0)
        return 0;
    raw[n] = '\0';
    if (n < 4 || n > 22 || memcmp(raw, "id.", 3) != 0) return 0;
    long long id = 0;
    for (size_t i = 3; i < n; i++) {
        if (raw[i] < '0' || raw[i] > '9' || id > (LLONG_MAX - 9) / 10) return 0;
        id = id * 10 + (raw[i] - '0');
    }
    return id;
}

/* Is this list answer in id order on a route that pages with after=? */
static int list_in_id_order(http_ctx *c)
{
    if (!http_query_declared(c->route, "after")) return 0;
    const char *sort = http_query(c, "sort");
    return http_query(c, "after") != NULL || (sort != NULL && strcmp(sort, "id") == 0);
}

void api_list_answer(http_ctx *c, PGresult *res, const char *const *csv_columns)
{
    const char *text = PQgetvalue(res, 0, 0);
    if (csv_columns != NULL && http_wants_csv(c)) {
        api_csv_name(c, NULL);
        json_t *j = json_loads(text, 0, NULL);
        respond_csv(c, json_object_get(j, "items"), csv_columns);
        json_decref(j);
        return;
    }
    if (list_in_id_order(c)) {
        json_t *j = json_loads(text, 0, NULL);
        json_t *items = json_object_get(j, "items");
        size_t n = json_array_size(items);
        json_t *next = json_null();
        if (n > 0 && (json_int_t)n == json_integer_value(json_object_get(j, "limit"))) {
            char cur[64];
            list_cursor(json_integer_value(json_object_get(json_array_get(items, n - 1), "id")), cur);
            next = json_string(cur);
        }
        if (j != NULL && json_object_set_new(j, "next_cursor", next) == 0) {
            respond_json(c, 200, j);
            json_decref(j);
            return;
        }
        json_decref(j);
    }
    respond_json_text(c, 200, text, strlen(text));
}

void api_list(http_ctx *c, db_stmt *st, const db_args *args, const char *what, const char *const *csv_columns)
{
    PGresult *r = api_run(c, st, args, what);
    if (r == NULL) return;
    api_list_answer(c, r, csv_columns);
    PQclear(r);
}

void api_location(http_ctx *c, const char *prefix, const char *id)
{
    char loc[128];
    snprintf(loc, sizeof loc, "%s/%s", prefix, id);
    http_set_header(c, "Location", loc);
}

DB_STMT(STMT_FIND_UNIT, "common_find_unit",
    "SELECT u.id, u.active FROM scoped_units($3) u WHERE ($1::bigint IS NULL OR u.id = $1)"
    " AND ($2::text IS NULL OR u.code = $2)", 3);

long long api_resolve_unit(http_ctx *c, long long id, const char *code, const char *field,
                           int require_open, verrs *v)
{
    db_args pv;
    db_args_of(&pv, db_id(id), db_text(code), api_scope(c));
    PGresult *r = api_run(c, &STMT_FIND_UNIT, &pv, "finding a unit");
    if (r == NULL) return -2;
    long long found = -1;
    if (PQntuples(r) != 1) verrs_problem(v, field, id > 0 && code ? "unit_id_code_differ" : "unit_missing", NULL);
    else if (require_open && strcmp(PQgetvalue(r, 0, 1), "t") != 0) verrs_problem(v, field, "unit_closed_here", NULL);
    else found = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return found;
}

int api_add_problems(http_ctx *c, db_stmt *st, const db_args *args, verrs *v)
{
    PGresult *r = api_run(c, st, args, "checking the rules");
    if (r == NULL) return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *params = PQgetisnull(r, i, 2) ? NULL : json_loads(PQgetvalue(r, i, 2), 0, NULL);
        api_problem_valid_codes(c, PQgetvalue(r, i, 1), params, NULL);
        verrs_problem(v, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), params);
        json_decref(params);
    }
    PQclear(r);
    return 0;
}

/* The active codes of each reference table with their labels, for a problem that names a code
 * that is not one of them (a clerk fixes it from the message alone). */
DB_STMT(STMT_VALID_CODES, "common_valid_codes",
    "SELECT string_agg(code || ' (' || label_en || ')', ', ' ORDER BY code),"
    " string_agg(code || ' (' || label_vi || ')', ', ' ORDER BY code) FROM ("
    " SELECT 'job_group_inactive' AS p, code, label_vi, label_en, active FROM job_groups"
    " UNION ALL SELECT 'employment_inactive', code, label_vi, label_en, active FROM employment_types"
    " UNION ALL SELECT 'skill_inactive', code, label_vi, label_en, active FROM skills"
    " UNION ALL SELECT 'support_service_inactive', code, label_vi, label_en, active FROM support_services"
    " UNION ALL SELECT 'target_group_inactive', code, label_vi, label_en, active FROM target_groups) r"
    " WHERE p = $1 AND active HAVING count(*) > 0", 1);

void api_problem_valid_codes(http_ctx *c, const char *problem, json_t *params, json_t *cache)
{
    size_t n = strlen(problem);
    if (params == NULL || n < 9 || strcmp(problem + n - 9, "_inactive") != 0) return;
    json_t *pair = cache ? json_incref(json_object_get(cache, problem)) : NULL;
    if (pair == NULL) {
        db_args a;
        db_args_of(&a, db_text(problem));
        PGresult *r = db_run(api_conn(c), &STMT_VALID_CODES, &a);
        /* Without the list the message is still whole: it names where the codes are listed. */
        pair = db_ok(r) && PQntuples(r) == 1 ? json_pack("[s, s]", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1)) : NULL;
        PQclear(r);
        if (pair == NULL) pair = json_array();
        if (cache != NULL) json_object_set(cache, problem, pair);
    }
    if (json_array_size(pair) == 2) {
        json_object_set(params, "valid", json_array_get(pair, 0));
        json_object_set(params, "valid_vi", json_array_get(pair, 1));
    }
    json_decref(pair);
}

void api_problem_required_or(verrs *v, const char *field, const char *other)
{
    json_t *params = json_pack("{s:s}", "other", other);
    verrs_problem(v, field, "required_or", params);
    json_decref(params);
}

int api_begin(http_ctx *c)
{
    if (api_db(c) == NULL) return -1;
    if (db_begin(api_conn(c)) != 0) {
        http_set_header(c, "Retry-After", "2");
        respond_problem(c, 503, "The database is unavailable; try again shortly.");
        return -1;
    }
    return 0;
}

void api_bad_query(http_ctx *c, verrs *v)
{
    respond_problem_errors(c, 400, "Some query parameters are invalid; see errors.", v->list);
}

void api_today(char out[11])
{
    /* Deadlines and "not in the future" are Vietnamese calendar days (UTC+7, no summer time). */
    time_t now = time(NULL) + 7 * 3600;
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

int api_shows_party(http_ctx *c)
{
    return c->who.role == ROLE_ADMIN || c->who.role == ROLE_MANAGER;
}

void api_past_date(json_t *body, const char *field, char out[11], verrs *v)
{
    char today[11];
    if (jfield_date(body, field, out, v) == 0) verrs_problem(v, field, "required", NULL);
    api_today(today);
    if (out[0] && strcmp(out, today) > 0) verrs_problem(v, field, "future", NULL);
}

int api_audit_staff_counts(http_ctx *c, long long returned, long long total, const char *format)
{
    json_t *what = json_object();
    for (int i = 0; i < c->nq; i++) json_object_set_new(what, c->qkeys[i], json_string(c->qvals[i]));
    json_t *meta = json_pack("{s:o, s:I, s:I, s:s}", "query", what, "returned", (json_int_t)returned, "total",
                             (json_int_t)total, "format", format);
    int recorded = api_audit_read(c, "staff", NULL, meta);
    json_decref(meta);
    return recorded;
}

int api_audit_staff_page(http_ctx *c, const char *page, const char *format)
{
    json_t *all = json_loads(page, 0, NULL);
    int recorded = api_audit_staff_counts(c, (long long)json_array_size(json_object_get(all, "items")),
                                          json_integer_value(json_object_get(all, "total")), format);
    json_decref(all);
    return recorded;
}

void api_list_paged(http_ctx *c, db_stmt *st, const char *what, const char *const *cols)
{
    verrs v;
    verrs_init(&v);
    long ls, os;
    api_page_params(c, &v, &ls, &os);
    if (api_refuse_bad_query(c, &v) || api_db(c) == NULL) return;
    db_args pv;
    db_args_of(&pv, db_int(ls), db_int(os));
    api_list(c, st, &pv, what, cols);
}

void api_query_unit_period(http_ctx *c, verrs *v, long long *unit_id, period *p)
{
    if (http_query_id(c, "unit_id", unit_id, v) == 0) verrs_add(v, "unit_id", "is required");
    const char *ps = http_query(c, "period");
    if (ps == NULL) verrs_add(v, "period", "is required");
    else if (period_parse(ps, p) != 0) verrs_add(v, "period", "must be like 2026-06, 202606, 2026Q2, 2026S1 or 2026");
}

int api_page_params(http_ctx *c, verrs *v, long *limit, long *offset)
{
    http_query_page(c, limit, offset, v);
    return verrs_count(v);
}

DB_STMT(STMT_READ_AUDIT, "audit_read",
    "INSERT INTO audit_log (user_id, username, request_id, client_request_id, action, entity, entity_id, after)"
    " VALUES ($1, $2, $3, $4, 'read', $5, $6, $7::jsonb)", 7);

static int audit_read_write(http_ctx *c, const char *entity, db_val entity_id, json_t *what)
{
    char *text = what ? json_dumps(what, JSON_COMPACT) : NULL;
    db_args v;
    db_args_of(&v, db_int(c->who.user_id), db_text(c->who.username), db_text(c->request_id),
                   db_text(client_rid(c)), db_text(entity), entity_id, db_text(text));
    /* A description that could not be built is a failure too: never a read without its entry. */
    PGresult *r = what != NULL && text == NULL ? NULL : db_run(api_conn(c), &STMT_READ_AUDIT, &v);
    int ok = r != NULL && db_ok(r);
    if (!ok) {
        log_msg(LOG_ERROR, "could not record a read of %s (request %s): %s; the data is not sent", entity,
                c->request_id, r ? PQresultErrorMessage(r) : "out of memory");
        http_set_header(c, "Retry-After", "5");
        respond_problem(c, 503, "The read could not be recorded in the audit trail, so nothing is sent. Try again.");
    }
    PQclear(r);
    free(text);
    return ok ? 0 : -1;
}

int api_audit_read(http_ctx *c, const char *entity, const char *entity_id, json_t *what)
{
    return audit_read_write(c, entity, db_text(entity_id), what);
}

int api_audit_read_id(http_ctx *c, const char *entity, long long id, json_t *what)
{
    return audit_read_write(c, entity, db_id(id), what);
}

DB_STMT(STMT_FIND_STAFF, "common_find_staff",
    "SELECT s.id, s.joined_on FROM scoped_staff($3) s"
    " WHERE ($1::bigint IS NULL OR s.id = $1) AND ($2::text IS NULL OR s.code = $2)", 3);

long long api_resolve_staff(http_ctx *c, long long id, const char *code, const char *field, char joined_on[11],
                            verrs *v)
{
    db_args pv;
    db_args_of(&pv, db_id(id), db_text(code), api_scope(c));
    PGresult *r = api_run(c, &STMT_FIND_STAFF, &pv, "finding a staff member");
    if (r == NULL) return -2;
    long long found = -1;
    if (PQntuples(r) != 1) {
        verrs_problem(v, field, "staff_missing", NULL);
    } else {
        found = atoll(PQgetvalue(r, 0, 0));
        if (joined_on) snprintf(joined_on, 11, "%s", PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return found;
}

int api_refuse_bad_query(http_ctx *c, verrs *v)
{
    int bad = verrs_count(v) != 0;
    if (bad) api_bad_query(c, v);
    verrs_free(v);
    return bad;
}

PGresult *api_lock_one(http_ctx *c, db_stmt *st, const db_args *args, const char *not_found, int if_match)
{
    PGresult *r = api_run(c, st, args, "reading the record to change");
    if (r == NULL) return NULL;
    if (PQntuples(r) != 1) {
        PQclear(r);
        db_rollback(api_conn(c));
        respond_problem(c, 404, not_found);
        return NULL;
    }
    if (if_match && http_if_match_fails(c, PQgetvalue(r, 0, 0))) {
        PQclear(r);
        db_rollback(api_conn(c));
        return NULL;
    }
    return r;
}

void api_created(http_ctx *c, PGresult *r, const char *entity, const char *prefix, int audit_col)
{
    char id[24];
    snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
    const char *json = PQgetvalue(r, 0, 1);
    if (api_audit(c, "create", entity, id, NULL, PQgetvalue(r, 0, audit_col)) != 0 || api_commit(c) != 0) return;
    api_location(c, prefix, id);
    respond_resource_text(c, 201, json, strlen(json));
}

PGresult *api_run_unique(http_ctx *c, db_stmt *st, const db_args *args, const char *what, const char *taken)
{
    PGresult *r = db_run(api_conn(c), st, args);
    if (db_ok(r)) return r;
    if (db_error_class(api_conn(c), r) == DB_ERR_UNIQUE)
        respond_problem(c, 409, taken);
    else
        api_db_error(c, r, what);
    db_rollback(api_conn(c));
    PQclear(r);
    return NULL;
}

void api_answer_one(http_ctx *c, db_stmt *st, const db_args *args, const char *what, const char *not_found)
{
    PGresult *r = api_run(c, st, args, what);
    if (r == NULL) return;
    if (PQntuples(r) != 1) respond_problem(c, 404, not_found);
    else respond_resource_text(c, 200, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
    PQclear(r);
}

void api_get_one(http_ctx *c, db_stmt *st, int scoped, const char *what, const char *not_found)
{
    long long id = http_path_id(c, "id");
    if (id == 0 || api_db(c) == NULL) return;
    db_args v;
    db_args_of(&v, db_int(id));
    if (scoped) db_arg(&v, api_scope(c));
    api_answer_one(c, st, &v, what, not_found);
}

int api_get_one_start(http_ctx *c, db_stmt *st, int scoped, int *fd)
{
    long long id = http_path_id(c, "id");
    if (id == 0) return 1;
    if (api_reserve(c) != 0) return -1;
    db_args v;
    db_args_of(&v, db_int(id));
    if (scoped) db_arg(&v, api_scope(c));
    if (db_send(api_conn(c), st, &v) != 0) return -1;
    *fd = db_socket(api_conn(c));
    return 0;
}

int api_get_one_step(http_ctx *c, const char *what, const char *not_found)
{
    PGresult *r = NULL;
    if (db_receive(api_conn(c), &r) != 0) return 1;
    if (!db_ok(r)) api_db_error(c, r, what);
    else if (PQntuples(r) != 1) respond_problem(c, 404, not_found);
    else respond_resource_text(c, 200, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
    PQclear(r);
    return 0;
}

int api_change_open(http_ctx *c, api_change *w, int with_id)
{
    memset(w, 0, sizeof *w);
    if (with_id && (w->id = http_path_id(c, "id")) == 0) return 1;
    w->body = http_json_body(c, 0);
    if (w->body == NULL) return 1;
    verrs_init(&w->v);
    return 0;
}

int api_change_lock(http_ctx *c, api_change *w, PGresult *(*lock)(http_ctx *c, long long id))
{
    if (http_refuse_invalid(c, &w->v) || api_begin(c) != 0) return 1;
    w->cur = lock(c, w->id);
    return w->cur == NULL || api_answer_unchanged(c, w->body, w->cur);
}

void api_change_close(api_change *w)
{
    PQclear(w->r);
    PQclear(w->cur);
    verrs_free(&w->v);
    json_decref(w->body);
}

int api_answer_unchanged(http_ctx *c, json_t *body, const PGresult *cur)
{
    if (json_object_size(body) != 0) return 0;
    db_rollback(api_conn(c)); /* nothing to change: no write, no audit entry */
    respond_resource_text(c, 200, PQgetvalue(cur, 0, 0), (size_t)PQgetlength(cur, 0, 0));
    return 1;
}

void api_updated(http_ctx *c, const PGresult *cur, const PGresult *r, const char *entity, long long id, int audit_col)
{
    if (api_audit_id(c, "update", entity, id, PQgetvalue(cur, 0, audit_col), PQgetvalue(r, 0, audit_col)) != 0 ||
        api_commit(c) != 0)
        return;
    respond_resource_text(c, 200, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
}

void api_delete_locked(http_ctx *c, PGresult *cur, int before_col, db_stmt *del, long long id, const char *what,
                       const char *entity)
{
    if (cur == NULL) return;
    db_args v;
    db_args_of(&v, db_int(id));
    PGresult *r = api_run(c, del, &v, what);
    if (r != NULL && api_audit_id(c, "delete", entity, id, PQgetvalue(cur, 0, before_col), NULL) == 0 &&
        api_commit(c) == 0)
        respond_empty(c, 204);
    PQclear(r);
    PQclear(cur);
}

DB_STMT(STMT_UNIT_IN_SCOPE, "common_unit_in_scope",
    "SELECT 1 FROM units u WHERE u.id = $1 AND in_scope(u.path, $2)", 2);

int api_refuse_list_query(http_ctx *c, verrs *v, const char *const *sorts, const char *dflt_sort, api_list_query *q)
{
    q->since = NULL;
    q->sort[0] = '\0';
    q->after = 0;
    http_query_timestamp(c, "updated_since", &q->since, v);
    const char *after = http_query(c, "after");
    if (after != NULL) {
        q->after = list_cursor_id(after);
        if (q->after == 0) verrs_add(v, "after", "is not a cursor of this list (use the next_cursor of a page)");
        const char *sort = http_query(c, "sort");
        if (sort != NULL && strcmp(sort, "id") != 0)
            verrs_add(v, "sort", "must be id with after (pages follow the id order), or left out");
        if (http_query(c, "offset") != NULL) verrs_add(v, "offset", "cannot be combined with after");
        dflt_sort = "id";
    }
    if (sorts != NULL) http_query_sort(c, sorts, dflt_sort, q->sort, v);
    api_page_params(c, v, &q->limit, &q->offset);
    return api_refuse_bad_query(c, v) || api_db(c) == NULL;
}

int api_refuse_unit_not_found(http_ctx *c, long long unit_id)
{
    db_args v;
    db_args_of(&v, db_int(unit_id), api_scope(c));
    PGresult *r = api_run(c, &STMT_UNIT_IN_SCOPE, &v, "finding the unit");
    if (r == NULL) return 1;
    int found = PQntuples(r) == 1;
    PQclear(r);
    if (found) return 0;
    db_rollback(api_conn(c));
    respond_problem(c, 404, "There is no such unit.");
    return 1;
}

const char *api_cell(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

void api_release(http_ctx *c)
{
    if (c->app_req) pool_release(api_pool(c), c->app_req);
    c->app_req = NULL;
}

int api_reserve(http_ctx *c)
{
    if (c->app_req == NULL) c->app_req = pool_try_checkout(api_pool(c));
    return c->app_req != NULL ? 0 : -1;
}

db_conn *api_db(http_ctx *c)
{
    if (c->app_req) return c->app_req;
    c->app_req = pool_checkout(api_pool(c));
    if (c->app_req == NULL) {
        http_set_header(c, "Retry-After", "2");
        respond_problem(c, 503, "The database is unavailable or busy; try again shortly.");
    }
    return c->app_req;
}

void api_refuse_period_locked(http_ctx *c, const char *why, const char *how)
{
    char detail[1000];
    snprintf(detail, sizeof detail, "%s. %s.", why ? why : "The period is locked: its report is approved",
             how && how[0] ? how : "A manager of a unit above it can unlock it (POST .../unlock with a reason)");
    respond_problem_kind(c, 409, "period-locked", "Period locked", detail);
}

/* The "who can unlock it and how" part of a period-locked answer from report_unlock_params' JSON
 * (migrations/0036_locked_words.sql), or NULL when there is none or it cannot be read. */
static json_t *unlock_part(const char *params_json)
{
    json_t *p = params_json != NULL ? json_loads(params_json, 0, NULL) : NULL;
    const char *who = json_string_value(json_object_get(p, "who"));
    const char *action = json_string_value(json_object_get(p, "action"));
    if (who == NULL || action == NULL || !json_is_integer(json_object_get(p, "unit_id"))) {
        json_decref(p);
        return NULL;
    }
    char code[32];
    snprintf(code, sizeof code, "unlocker_%s", who);
    json_t *whom = problem_part(code, json_deep_copy(p));
    json_object_set_new(p, "who", whom);
    return problem_part(strcmp(action, "return") == 0 ? "return_how" : "unlock_how", p);
}

void api_refuse_period_locked_parts(http_ctx *c, json_t *why, const char *unlock_json, const char *why_text,
                                    const char *how_text)
{
    json_t *how = unlock_part(unlock_json);
    if (how == NULL && unlock_json == NULL && (how_text == NULL || how_text[0] == '\0'))
        how = problem_part("unlock_default", NULL);
    json_t *params = why != NULL && how != NULL ? json_pack("{s:O, s:O}", "why", why, "how", how) : NULL;
    if (params != NULL)
        respond_problem_kind_msg(c, 409, "period-locked", "Period locked", "period_locked", params);
    else
        api_refuse_period_locked(c, why_text, how_text);
    json_decref(params);
    json_decref(why);
    json_decref(how);
}

/* The locked report that the database names (period_lock_check's DETAIL, migration 0036). */
static void refuse_locked_by_db(http_ctx *c, const PGresult *res)
{
    const char *d = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
    json_t *facts = d != NULL ? json_loads(d, 0, NULL) : NULL;
    const char *status = json_string_value(json_object_get(facts, "status"));
    json_t *why = NULL;
    char *unlock = NULL;
    if (status != NULL && json_is_string(json_object_get(facts, "unit")) && json_is_string(json_object_get(facts, "period"))) {
        char word[40];
        snprintf(word, sizeof word, "status_%s", status);
        why = problem_part("locked_report", json_pack("{s:O, s:O, s:o}", "unit", json_object_get(facts, "unit"), "period",
                                                      json_object_get(facts, "period"), "status", problem_part(word, NULL)));
        unlock = json_dumps(json_object_get(facts, "unlock"), JSON_COMPACT);
    }
    api_refuse_period_locked_parts(c, why, unlock ? unlock : "", PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY),
                                   PQresultErrorField(res, PG_DIAG_MESSAGE_HINT));
    free(unlock);
    json_decref(facts);
}

int api_db_status(db_err e)
{
    switch (e) {
    case DB_OK: return 200;
    case DB_ERR_UNAVAILABLE: return 503;
    case DB_ERR_UNIQUE: return 409;
    case DB_ERR_CONSTRAINT:
    case DB_ERR_VALUE: return 422;
    case DB_ERR_MISUSE:
    case DB_ERR_OTHER: break;
    }
    return 500;
}

void api_db_error(http_ctx *c, const PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (state != NULL && strcmp(state, DB_STATE_PERIOD_LOCKED) == 0) { /* migrations/0016_obligations.sql */
        refuse_locked_by_db(c, res);
        return;
    }
    int status = api_db_status(db_error_class(api_conn(c), res));
    if (status == 500 || status == 503)
        log_msg(status == 500 ? LOG_ERROR : LOG_WARN, "%s failed (request %s): %s", what, c->request_id,
                res ? PQresultErrorMessage(res) : "no result");
    if (status == 503) {
        http_set_header(c, "Retry-After", "2");
        respond_problem(c, 503, "The database is unavailable or busy; try again shortly.");
    } else if (status == 409) {
        respond_problem(c, 409, "This conflicts with an existing record.");
    } else if (status == 422) {
        respond_problem(c, 422, "The data breaks a rule of the database.");
    } else {
        respond_problem(c, 500, "Something went wrong on our side; the request id identifies it in the log.");
    }
}

int api_refuse_body_fields(http_ctx *c, const char *detail)
{
    size_t len;
    http_body(c, &len);
    if (len == 0) return 0;
    json_t *b = http_json_body(c, 0);
    if (b == NULL) return 1;
    int extra = json_object_size(b) > 0;
    json_decref(b);
    if (extra) respond_problem(c, 422, detail);
    return extra;
}

int api_change_dated(http_ctx *c, api_change *w, char on[11], const char **note)
{
    if (!json_object_get(w->body, "effective_on")) verrs_add(&w->v, "effective_on", "is required");
    else jfield_date(w->body, "effective_on", on, &w->v);
    json_t *nj = json_object_get(w->body, "note");
    if (nj && !json_is_null(nj)) jfield_string(w->body, "note", 1, 300, note, &w->v);
    return http_refuse_invalid(c, &w->v) || api_begin(c) != 0;
}
