#include "internal.h"

const char *api_scope(http_ctx *c, char buf[24])
{
    if (c->who.all_units) return NULL;
    snprintf(buf, 24, "%lld", c->who.unit_id);
    return buf;
}

PGresult *api_run(http_ctx *c, db_stmt *st, const char *const *values, const char *what)
{
    PGresult *r = db_run(c->db, st, values);
    if (!db_ok(r)) {
        respond_db_error(c, r, what);
        PQclear(r);
        db_rollback(c->db);
        return NULL;
    }
    return r;
}

int api_commit(http_ctx *c)
{
    if (db_commit(c->db) != 0) {
        http_set_header(c, "Retry-After", "2");
        respond_problem(c, 503, "The change could not be committed; nothing was written. Try again.");
        return -1;
    }
    return 0;
}

static db_stmt STMT_AUDIT = {
    "audit_insert",
    "INSERT INTO audit_log (user_id, username, request_id, client_request_id, action, entity, entity_id, before, after)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb)",
    9};

/* The client's X-Request-Id for the audit entry, or NULL when it sent none. */
static const char *client_rid(const http_ctx *c)
{
    return c->client_request_id[0] ? c->client_request_id : NULL;
}

int api_audit(http_ctx *c, const char *action, const char *entity, const char *entity_id,
              const char *before, const char *after)
{
    char uid[24];
    snprintf(uid, sizeof uid, "%lld", c->who.user_id);
    const char *v[] = {c->authed ? uid : NULL, c->authed ? c->who.username : NULL, c->request_id, client_rid(c),
                       action, entity, entity_id, before, after};
    PGresult *r = api_run(c, &STMT_AUDIT, v, "writing the audit record");
    if (r == NULL) return -1;
    PQclear(r);
    return 0;
}

void api_list_answer(http_ctx *c, PGresult *res, const char *const *csv_columns)
{
    const char *text = PQgetvalue(res, 0, 0);
    if (csv_columns != NULL && http_wants_csv(c)) {
        json_t *j = json_loads(text, 0, NULL);
        respond_csv(c, json_object_get(j, "items"), csv_columns);
        json_decref(j);
        return;
    }
    respond_json_text(c, 200, text, strlen(text));
}

void api_location(http_ctx *c, const char *prefix, const char *id)
{
    char loc[128];
    snprintf(loc, sizeof loc, "%s/%s", prefix, id);
    http_set_header(c, "Location", loc);
}

static db_stmt STMT_FIND_UNIT = {
    "common_find_unit",
    "SELECT u.id, u.active FROM scoped_units($3) u WHERE ($1::bigint IS NULL OR u.id = $1)"
    " AND ($2::text IS NULL OR u.code = $2)",
    3};

long long api_resolve_unit(http_ctx *c, long long id, const char *code, const char *field,
                           int require_open, verrs *v)
{
    char ids[24], sc[24];
    snprintf(ids, sizeof ids, "%lld", id);
    const char *pv[] = {id > 0 ? ids : NULL, code, api_scope(c, sc)};
    PGresult *r = db_run(c->db, &STMT_FIND_UNIT, pv);
    if (!db_ok(r)) {
        respond_db_error(c, r, "finding a unit");
        PQclear(r);
        db_rollback(c->db);
        return -2;
    }
    long long found = -1;
    if (PQntuples(r) != 1) verrs_add(v, field, id > 0 && code ? "unit id and code do not name the same unit" : "no such unit");
    else if (require_open && strcmp(PQgetvalue(r, 0, 1), "t") != 0) verrs_add(v, field, "that unit is closed");
    else found = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return found;
}

int api_begin(http_ctx *c)
{
    if (http_db(c) == NULL) return -1;
    if (db_begin(c->db) != 0) {
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

int api_page_params(http_ctx *c, verrs *v, char limit[24], char offset[24])
{
    long l, o;
    http_query_page(c, &l, &o, v);
    snprintf(limit, 24, "%ld", l);
    snprintf(offset, 24, "%ld", o);
    return verrs_count(v);
}

static db_stmt STMT_READ_AUDIT = {
    "audit_read",
    "INSERT INTO audit_log (user_id, username, request_id, client_request_id, action, entity, entity_id, after)"
    " VALUES ($1, $2, $3, $4, 'read', $5, $6, $7::jsonb)",
    7};

int api_audit_read(http_ctx *c, const char *entity, const char *entity_id, json_t *what)
{
    char uid[24];
    snprintf(uid, sizeof uid, "%lld", c->who.user_id);
    char *text = what ? json_dumps(what, JSON_COMPACT) : NULL;
    const char *v[] = {uid, c->who.username, c->request_id, client_rid(c), entity, entity_id, text};
    /* A description that could not be built is a failure too: never a read without its entry. */
    PGresult *r = what != NULL && text == NULL ? NULL : db_run(c->db, &STMT_READ_AUDIT, v);
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

static db_stmt STMT_FIND_STAFF = {
    "common_find_staff",
    "SELECT s.id, s.joined_on FROM scoped_staff($3) s"
    " WHERE ($1::bigint IS NULL OR s.id = $1) AND ($2::text IS NULL OR s.code = $2)",
    3};

long long api_resolve_staff(http_ctx *c, long long id, const char *code, const char *field, char joined_on[11],
                            verrs *v)
{
    char ids[24], sc[24];
    snprintf(ids, sizeof ids, "%lld", id);
    const char *pv[] = {id > 0 ? ids : NULL, code, api_scope(c, sc)};
    PGresult *r = db_run(c->db, &STMT_FIND_STAFF, pv);
    if (!db_ok(r)) {
        respond_db_error(c, r, "finding a staff member");
        PQclear(r);
        db_rollback(c->db);
        return -2;
    }
    long long found = -1;
    if (PQntuples(r) != 1) {
        verrs_add(v, field, "no such staff member");
    } else {
        found = atoll(PQgetvalue(r, 0, 0));
        if (joined_on) snprintf(joined_on, 11, "%s", PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return found;
}

int api_query_ok(http_ctx *c, verrs *v)
{
    int ok = verrs_count(v) == 0;
    if (!ok) api_bad_query(c, v);
    verrs_free(v);
    return ok;
}

PGresult *api_lock_one(http_ctx *c, db_stmt *st, const char *const *values, const char *not_found, int if_match)
{
    PGresult *r = api_run(c, st, values, "reading the record to change");
    if (r == NULL) return NULL;
    if (PQntuples(r) != 1) {
        PQclear(r);
        db_rollback(c->db);
        respond_problem(c, 404, not_found);
        return NULL;
    }
    if (if_match && http_if_match_fails(c, PQgetvalue(r, 0, 0))) {
        PQclear(r);
        db_rollback(c->db);
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

const char *api_cell(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}
