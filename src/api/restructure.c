/* Unit restructuring with dates (issue 11 §2): a unit re-parented from a day on (a move), several
 * units merged into one on a day (a merge), and a unit's moves. The tree of any day, the rules and
 * the writes live in SQL (migrations/0028_unit_moves.sql: unit_move_problems, unit_move_on,
 * unit_merge_problems, unit_merge); this file reads the bodies, checks who may, and audits.
 * A plain PATCH of parent_id (units.c) stays a correction of a mistake: it rewrites the parent
 * since the unit's last move. */
#include "common.h"
#include "handlers.h"

/* The unit in the caller's scope, locked: JSON, whether it is the caller's own unit. */
DB_STMT(STMT_LOCK, "restructure_lock",
    "SELECT unit_json(u), $3::bigint IS NOT NULL AND u.id = $3::bigint"
    " FROM units u WHERE u.id = $1 AND in_scope(u.path, $2) FOR UPDATE", 3);

DB_STMT(STMT_MOVE_PROBLEMS, "restructure_move_problems",
    "SELECT p.field, p.message FROM unit_move_problems($1, $2, $3::date, $4::int) p", 4);

DB_STMT(STMT_MOVE, "restructure_move", "SELECT unit_move_on($1, $2, $3::date, $4)", 4);

DB_STMT(STMT_MOVES, "restructure_moves",
    "SELECT json_build_object('unit_id', u.id, 'unit_code', u.code,"
    " 'items', coalesce((SELECT json_agg(unit_move_json(m) ORDER BY m.effective_on) FROM unit_moves m"
    "   WHERE m.unit_id = u.id), '[]'))"
    " FROM units u WHERE u.id = $1 AND in_scope(u.path, $2)", 2);

DB_STMT(STMT_MERGE_PROBLEMS, "restructure_merge_problems",
    "SELECT p.field, p.message FROM unit_merge_problems($1::bigint[], $2, $3::date, $4::int) p", 4);

DB_STMT(STMT_MERGE, "restructure_merge", "SELECT unit_merge($1::bigint[], $2, $3::date, $4::bool, $5)", 5);

DB_STMT(STMT_CREATE, "restructure_create",
    "INSERT INTO units (code, name, type, parent_id, opened_on) VALUES ($1, $2, $3, $4, $5::date)"
    " RETURNING units.id, unit_json(units)", 5);

static int horizon_days(const http_ctx *c)
{
    return c->cfg ? c->cfg->transfer_horizon_days : 31;
}

/* Adds each (field, message) row of a problems statement to v. Returns -1 after answering. */
static int add_rule_problems(http_ctx *c, db_stmt *st, const db_args *a, verrs *v)
{
    PGresult *r = api_run(c, st, a, "checking the change");
    if (r == NULL) return -1;
    for (int i = 0; i < PQntuples(r); i++) verrs_add(v, PQgetvalue(r, i, 0), "%s", PQgetvalue(r, i, 1));
    PQclear(r);
    return 0;
}

/* Locks unit id in the caller's scope. Returns its JSON (free it), or NULL after adding an error
 * to v (missing, outside the scope, the caller's own unit); *failed is set after answering. */
static char *lock_in_scope(http_ctx *c, long long id, const char *field, verrs *v, int *failed)
{
    db_args a;
    db_args_of(&a, db_int(id), api_scope(c), db_int_if(c->who.role != ROLE_ADMIN, c->who.unit_id));
    PGresult *r = api_run(c, &STMT_LOCK, &a, "locking a unit");
    if (r == NULL) {
        *failed = 1;
        return NULL;
    }
    char *json = NULL;
    if (PQntuples(r) != 1) verrs_add(v, field, "unit %lld does not exist or is outside your units", id);
    else if (strcmp(PQgetvalue(r, 0, 1), "t") == 0)
        verrs_add(v, field, "unit %lld is the unit your account belongs to: a manager above it restructures it", id);
    else json = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return json;
}

/* Answers v's errors after rolling back. Returns 1 when it answered. */
static int refuse(http_ctx *c, verrs *v, const char *detail)
{
    if (verrs_count(v) == 0) return 0;
    db_rollback(api_conn(c));
    respond_problem_errors(c, 422, detail, v->list);
    return 1;
}

void units_moves_create(http_ctx *c)
{
    static const char *const fields[] = {"parent_id", "parent_code", "effective_on", "note", NULL};
    api_change w;
    if (api_change_open(c, &w, 1)) return;
    long long parent_id = 0;
    const char *parent_code = NULL, *note = NULL;
    char on[11] = "", horizon[12];
    char *before = NULL, *json = NULL;
    json_refuse_unknown(w.body, fields, &w.v);
    int given = jfield_id(w.body, "parent_id", &parent_id, &w.v) == 1;
    given |= jfield_string(w.body, "parent_code", 1, 32, &parent_code, &w.v) == 1;
    if (!given && !json_object_get(w.body, "parent_id") && !json_object_get(w.body, "parent_code"))
        verrs_add(&w.v, "parent_id", "is required (or parent_code): the unit the moved unit answers to from effective_on");
    if (api_change_dated(c, &w, on, &note)) goto out;
    /* Who may: the unit and its new parent both in the caller's subtree, the unit not the caller's
     * own (so the caller's unit is above the old parent and the new one), or an administrator. */
    int failed = 0;
    db_args lv;
    db_args_of(&lv, db_int(w.id), api_scope(c), db_int_if(c->who.role != ROLE_ADMIN, c->who.unit_id));
    w.cur = api_lock_one(c, &STMT_LOCK, &lv, "There is no such unit.", 0);
    if (w.cur == NULL) goto out;
    if (strcmp(PQgetvalue(w.cur, 0, 1), "t") == 0) {
        db_rollback(api_conn(c));
        respond_problem(c, 403, "You may not move the unit your account belongs to.");
        goto out;
    }
    before = strdup(PQgetvalue(w.cur, 0, 0));
    const char *field = parent_code && !parent_id ? "parent_code" : "parent_id";
    long long parent = api_resolve_unit(c, parent_id, parent_code, field, 0, &w.v);
    if (parent == -2 || failed) goto out;
    if (parent > 0) {
        snprintf(horizon, sizeof horizon, "%d", horizon_days(c));
        db_args pv;
        db_args_of(&pv, db_int(w.id), db_int(parent), db_text(on), db_text(horizon));
        if (add_rule_problems(c, &STMT_MOVE_PROBLEMS, &pv, &w.v) != 0) goto out;
    }
    if (refuse(c, &w.v, "The move is not possible; see errors (nothing was written).")) goto out;
    db_args mv;
    db_args_of(&mv, db_int(w.id), db_int(parent), db_text(on), db_text(note));
    PGresult *r = api_run(c, &STMT_MOVE, &mv, "moving the unit");
    if (r == NULL) goto out;
    json = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (json == NULL || before == NULL) {
        db_rollback(api_conn(c));
        respond_problem(c, 500, "Out of memory.");
        goto out;
    }
    if (api_audit_id(c, "move", "unit", w.id, before, json) != 0 || api_commit(c) != 0) goto out;
    char loc[80];
    snprintf(loc, sizeof loc, "/api/v1/units/%lld/moves", w.id);
    http_set_header(c, "Location", loc);
    respond_json_text(c, 201, json, strlen(json));
out:
    free(before);
    free(json);
    api_change_close(&w);
}

void units_moves_list(http_ctx *c)
{
    long long id = http_path_id(c, "id");
    if (id == 0 || api_db(c) == NULL) return;
    db_args v;
    db_args_of(&v, db_int(id), api_scope(c));
    PGresult *r = api_run(c, &STMT_MOVES, &v, "reading the unit's moves");
    if (r == NULL) return;
    if (PQntuples(r) != 1) respond_problem(c, 404, "There is no such unit.");
    else respond_json_text(c, 200, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
    PQclear(r);
}

/* The new unit a merge makes ("into"): created opened on the merge day. Returns its id, 0 after
 * adding errors to v, -1 after answering. */
static long long create_result(http_ctx *c, json_t *into, const char *on, verrs *v, char **created_json)
{
    static const char *const fields[] = {"code", "name", "type", "parent_id", "parent_code", NULL};
    static const char *const types[] = {"department_of_health", "office", "hospital", "health_centre", "cdc", "ward",
                                        "unit_office", "commune_station", "other", NULL};
    const char *code = NULL, *name = NULL, *type = NULL, *parent_code = NULL;
    long long parent_id = 0;
    verrs mine;
    verrs_init(&mine);
    json_refuse_unknown(into, fields, &mine);
    if (jfield_code(into, "code", &CODE_UNIT, &code, &mine) != 1 && !json_object_get(into, "code"))
        verrs_add(&mine, "code", "is required");
    if (jfield_string(into, "name", 1, 300, &name, &mine) != 1 && !json_object_get(into, "name"))
        verrs_add(&mine, "name", "is required");
    if (jfield_string(into, "type", 1, 40, &type, &mine) == 1) {
        int ok = 0;
        for (int i = 0; types[i]; i++) ok |= strcmp(types[i], type) == 0;
        if (!ok) verrs_add(&mine, "type", "is not a unit type");
    } else if (!json_object_get(into, "type"))
        verrs_add(&mine, "type", "is required");
    int given = jfield_id(into, "parent_id", &parent_id, &mine) == 1;
    given |= jfield_string(into, "parent_code", 1, 32, &parent_code, &mine) == 1;
    if (!given && !json_object_get(into, "parent_id") && !json_object_get(into, "parent_code"))
        verrs_add(&mine, "parent_id", "is required (or parent_code)");
    long long parent = 0;
    if (verrs_count(&mine) == 0) {
        parent = api_resolve_unit(c, parent_id, parent_code, parent_code && !parent_id ? "parent_code" : "parent_id", 1,
                                  &mine);
        if (parent == -2) {
            verrs_free(&mine);
            return -1;
        }
    }
    size_t i;
    json_t *e;
    json_array_foreach(mine.list, i, e) {
        const char *f = json_string_value(json_object_get(e, "field"));
        verrs_add(v, "into", "%s %s", f ? f : "", json_string_value(json_object_get(e, "message")));
    }
    int bad = verrs_count(&mine) > 0;
    verrs_free(&mine);
    if (bad) return 0;
    db_args a;
    db_args_of(&a, db_text(code), db_text(name), db_text(type), db_int(parent), db_text(on));
    PGresult *r = db_run(api_conn(c), &STMT_CREATE, &a);
    if (!db_ok(r)) {
        if (db_error_class(api_conn(c), r) == DB_ERR_UNIQUE) {
            db_rollback(api_conn(c));
            respond_problem(c, 409, "Another unit already has the new unit's code.");
        } else
            api_db_error(c, r, "creating the merged unit");
        PQclear(r);
        return -1;
    }
    long long id = atoll(PQgetvalue(r, 0, 0));
    *created_json = strdup(PQgetvalue(r, 0, 1));
    PQclear(r);
    return id;
}

void units_merges_create(http_ctx *c)
{
    static const char *const fields[] = {"unit_ids", "into_id", "into_code", "into", "effective_on", "note", NULL};
    enum { MAX_MERGED = 100 };
    api_change w;
    if (api_change_open(c, &w, 0)) return;
    long long ids[MAX_MERGED], into_id = 0;
    char *befores[MAX_MERGED] = {0};
    size_t n = 0;
    const char *into_code = NULL, *note = NULL;
    char on[11] = "", horizon[12];
    char *created = NULL;
    json_t *into_new = json_object_get(w.body, "into");
    json_refuse_unknown(w.body, fields, &w.v);
    json_t *list = json_object_get(w.body, "unit_ids");
    if (list == NULL) verrs_add(&w.v, "unit_ids", "is required: the ids of the units merged");
    else if (!json_is_array(list) || json_array_size(list) < 1 || json_array_size(list) > MAX_MERGED)
        verrs_add(&w.v, "unit_ids", "must be an array of 1 to 100 unit ids");
    else {
        size_t i;
        json_t *e;
        json_array_foreach(list, i, e) {
            long long x = json_is_integer(e) ? json_integer_value(e) : 0;
            if (x <= 0) {
                verrs_add(&w.v, "unit_ids", "item %zu must be a unit id (a positive integer)", i + 1);
                continue;
            }
            int dup = 0;
            for (size_t k = 0; k < n; k++) dup |= ids[k] == x;
            if (dup) verrs_add(&w.v, "unit_ids", "unit %lld is listed twice", x);
            else ids[n++] = x;
        }
    }
    int has_id = jfield_id(w.body, "into_id", &into_id, &w.v) == 1;
    int has_code = jfield_string(w.body, "into_code", 1, 32, &into_code, &w.v) == 1;
    if (into_new != NULL && !json_is_object(into_new)) verrs_add(&w.v, "into", "must be an object (the new unit)");
    if (into_new != NULL && (has_id || has_code))
        verrs_add(&w.v, "into", "give either into (a new unit) or into_id / into_code (an existing one), not both");
    if (into_new == NULL && !has_id && !has_code && !json_object_get(w.body, "into_id") &&
        !json_object_get(w.body, "into_code"))
        verrs_add(&w.v, "into_id", "is required (or into_code, or into: a new unit)");
    if (api_change_dated(c, &w, on, &note)) goto out;
    int failed = 0;
    for (size_t k = 0; k < n && !failed; k++) befores[k] = lock_in_scope(c, ids[k], "unit_ids", &w.v, &failed);
    if (failed) goto out;
    long long target = 0;
    if (into_new == NULL) {
        target = api_resolve_unit(c, into_id, into_code, into_code && !into_id ? "into_code" : "into_id", 0, &w.v);
        if (target == -2) goto out;
    } else if (verrs_count(&w.v) == 0) {
        target = create_result(c, into_new, on, &w.v, &created);
        if (target < 0) goto out;
    }
    if (target > 0 && verrs_count(&w.v) == 0) {
        char arr[2200];
        size_t len = 0;
        arr[len++] = '{';
        for (size_t k = 0; k < n; k++)
            len += (size_t)snprintf(arr + len, sizeof arr - len, "%s%lld", k ? "," : "", ids[k]);
        snprintf(arr + len, sizeof arr - len, "}");
        snprintf(horizon, sizeof horizon, "%d", horizon_days(c));
        db_args pv;
        db_args_of(&pv, db_text(arr), db_int(target), db_text(on), db_text(horizon));
        if (add_rule_problems(c, &STMT_MERGE_PROBLEMS, &pv, &w.v) != 0) goto out;
        if (refuse(c, &w.v, "The merge is not possible; see errors (nothing was written).")) goto out;
        db_args mv;
        db_args_of(&mv, db_text(arr), db_int(target), db_text(on), db_bool(created != NULL), db_text(note));
        w.r = api_run(c, &STMT_MERGE, &mv, "merging the units");
        if (w.r == NULL) goto out;
        const char *json = PQgetvalue(w.r, 0, 0);
        if (created && api_audit_id(c, "create", "unit", target, NULL, created) != 0) goto out;
        for (size_t k = 0; k < n; k++)
            if (api_audit_id(c, "merge", "unit", ids[k], befores[k], json) != 0) goto out;
        if (api_commit(c) != 0) goto out;
        char loc[80];
        snprintf(loc, sizeof loc, "/api/v1/units/%lld", target);
        http_set_header(c, "Location", loc);
        respond_json_text(c, 201, json, strlen(json));
        goto out;
    }
    refuse(c, &w.v, "The merge is not possible; see errors (nothing was written).");
out:
    for (size_t k = 0; k < n; k++) free(befores[k]);
    free(created);
    api_change_close(&w);
}
