/* Units: the tree of the health sector. Every caller but admin and integration sees its own
 * unit's subtree only; anything else answers 404, like an id that does not exist. */
#include "common.h"
#include "handlers.h"
#include "import.h"

#include <ctype.h>

static const char *const UNIT_TYPES[] = {"department_of_health", "office", "hospital", "health_centre",
                                         "cdc", "ward", "unit_office", "commune_station", "other", NULL};
static const char *const UNIT_COLUMNS[] = {"id", "code", "name", "type", "parent_id", "parent_code", "depth",
                                           "active", "opened_on", "closed_on", "created_at", "updated_at", "dhis2_id", NULL};

/* bench/unit_get.sql runs this same statement through pgbench; keep them in step. unit_json(u, ...)
 * gives the same text, but from a whole-row value PostgreSQL would build first (migration 0047). */
DB_STMT(STMT_GET, "units_get",
    "SELECT unit_fields_json(u.id, u.code, u.name, u.type, u.parent_id, p.code, u.path, u.active, u.opened_on,"
    " u.closed_on, u.dhis2_id, u.created_at, u.updated_at)"
    " FROM units u LEFT JOIN units p ON p.id = u.parent_id WHERE u.id = $1 AND in_scope(u.path, $2)", 2);

DB_STMT(STMT_LIST, "units_list",
    "WITH f AS (SELECT u.* FROM units u WHERE in_scope(u.path, $1)"
    "   AND ($2::bigint IS NULL OR u.parent_id = $2)"
    "   AND ($3::bigint IS NULL OR u.path <@ (SELECT s.path FROM units s WHERE s.id = $3))"
    "   AND ($4::text IS NULL OR u.type = $4)"
    "   AND ($5::bool IS NULL OR u.active = $5)"
    "   AND ($6::text IS NULL OR strpos(f_unaccent(u.name), f_unaccent($6)) > 0"
    "        OR strpos(lower(u.code), lower($6)) > 0)"
    "   AND ($7::timestamptz IS NULL OR u.updated_at >= $7)),"
    " p AS (SELECT f.id, row_number() OVER (ORDER BY"
    "   CASE WHEN $8 = 'code' THEN f.code END, CASE WHEN $8 = '-code' THEN f.code END DESC,"
    "   CASE WHEN $8 = 'name' THEN f_unaccent(f.name) END, CASE WHEN $8 = '-name' THEN f_unaccent(f.name) END DESC,"
    "   CASE WHEN $8 = 'type' THEN f.type END, CASE WHEN $8 = '-type' THEN f.type END DESC,"
    "   CASE WHEN $8 = 'updated_at' THEN f.updated_at END, CASE WHEN $8 = '-updated_at' THEN f.updated_at END DESC,"
    "   CASE WHEN $8 = '-id' THEN f.id END DESC, f.id) AS rn FROM f" API_AFTER_ID(11) " ORDER BY rn LIMIT $9 OFFSET $10)"
    " SELECT json_build_object('items', coalesce((SELECT json_agg(unit_json(u) ORDER BY p.rn)"
    "   FROM p JOIN units u ON u.id = p.id), '[]'),"
    " 'total', (SELECT count(*) FROM f), 'limit', $9::int, 'offset', $10::int)", 11);

DB_STMT(STMT_INSERT, "units_insert",
    "INSERT INTO units (code, name, type, parent_id, opened_on, dhis2_id) VALUES ($1, $2, $3, $4, $5, $6)"
    " RETURNING units.id, unit_json(units)", 6);

DB_STMT(STMT_LOCK, "units_lock",
    "SELECT unit_json(u), u.active, u.parent_id, (SELECT count(*) FROM units k WHERE k.parent_id = u.id AND k.active),"
    " $3::bigint IS NOT NULL AND u.id = $3::bigint"
    " FROM units u WHERE u.id = $1 AND in_scope(u.path, $2) FOR UPDATE", 3);

DB_STMT(STMT_MOVE, "units_move", "SELECT unit_move($1, $2)", 2);

DB_STMT(STMT_UPDATE, "units_update",
    "UPDATE units SET code = coalesce($2, code), name = coalesce($3, name), type = coalesce($4, type),"
    " opened_on = CASE WHEN $6::bool THEN $5::date ELSE opened_on END,"
    " dhis2_id = CASE WHEN $7::bool THEN $8::text ELSE dhis2_id END, updated_at = now()"
    " WHERE id = $1 RETURNING unit_json(units)", 8);

DB_STMT(STMT_CLOSE, "units_close",
    "UPDATE units SET active = false, closed_on = $2::date, updated_at = now()"
    " WHERE id = $1 RETURNING unit_json(units)", 2);

DB_STMT(STMT_CLOSE_CHECK, "units_close_check",
    "SELECT $2::date <= current_date, opened_on IS NULL OR $2::date >= opened_on FROM units WHERE id = $1", 2);

DB_STMT(STMT_TREE, "units_tree",
    "SELECT u.id, u.parent_id, unit_json(u) FROM units r JOIN units u ON u.path <@ r.path"
    " WHERE r.id = $1 AND in_scope(r.path, $2)"
    "   AND nlevel(u.path) <= nlevel(r.path) + $3 AND (u.active OR $4::bool OR u.id = r.id)"
    " ORDER BY nlevel(u.path), u.code", 4);

/* The tree as it stood on a day (issue 11 §2, migrations/0028_unit_moves.sql): root's subtree of
 * that day, each unit with its parent and depth of that day; units not open that day only with
 * include_closed. Access follows today's tree: the root and every unit shown are in the caller's
 * scope today. */
DB_STMT(STMT_TREE_ON, "units_tree_on",
    "WITH b AS (SELECT * FROM units_below_on($1, $5::date)),"
    " rl AS (SELECT nlevel(b.path) AS l FROM b WHERE b.id = $1)"
    " SELECT u.id, CASE WHEN nlevel(b.path) > 1 THEN ltree2text(subpath(b.path, nlevel(b.path) - 2, 1)) END,"
    "   (unit_json(u)::jsonb || jsonb_build_object('parent_id',"
    "     CASE WHEN nlevel(b.path) > 1 THEN ltree2text(subpath(b.path, nlevel(b.path) - 2, 1))::bigint END,"
    "     'parent_code', CASE WHEN nlevel(b.path) > 1 THEN unit_code_of(ltree2text(subpath(b.path, nlevel(b.path) - 2, 1))::bigint) END,"
    "     'depth', nlevel(b.path) - 1))::json"
    " FROM b JOIN units u ON u.id = b.id, rl, units r"
    " WHERE r.id = $1 AND in_scope(r.path, $2) AND in_scope(u.path, $2)"
    "   AND nlevel(b.path) <= rl.l + $3"
    "   AND (((u.opened_on IS NULL OR u.opened_on <= $5::date) AND (u.closed_on IS NULL OR u.closed_on >= $5::date))"
    "        OR $4::bool OR u.id = r.id)"
    " ORDER BY nlevel(b.path), u.code", 5);

API_GET_ONE_ROUTE(units_get, &STMT_GET, 1, "reading a unit", "There is no such unit.");

void units_list(http_ctx *c)
{
    static const char *const sorts[] = {"code", "name", "id", "type", "updated_at", NULL};
    verrs v;
    verrs_init(&v);
    api_list_query lq;
    long long parent = 0, under = 0;
    int active = 0;
    int has_parent = http_query_id(c, "parent_id", &parent, &v) == 1;
    int has_under = http_query_id(c, "under", &under, &v) == 1;
    int has_active = http_query_bool(c, "active", &active, &v) == 1;
    const char *type = http_query(c, "type");
    if (type != NULL) {
        int ok = 0;
        for (int i = 0; UNIT_TYPES[i]; i++) ok |= strcmp(UNIT_TYPES[i], type) == 0;
        if (!ok) verrs_add(&v, "type", "is not a unit type");
    }
    const char *q = http_query(c, "q");
    if (q != NULL && (strlen(q) == 0 || utf8_length(q) > 100)) verrs_add(&v, "q", "must be 1 to 100 characters");
    if (api_refuse_list_query(c, &v, sorts, "code", &lq)) return;
    db_args pv;
    db_args_of(&pv, api_scope(c), db_int_if(has_parent, parent), db_int_if(has_under, under),
                    db_text(type), db_bool_if(has_active, active), db_text(q), db_text(lq.since),
                    db_text(lq.sort), db_int(lq.limit), db_int(lq.offset));
    db_arg(&pv, api_list_after(&lq));
    api_list(c, &STMT_LIST, &pv, "listing units", UNIT_COLUMNS);
}

/* Validated fields of a create or update body. */
typedef struct unit_input {
    const char *code, *name, *type, *parent_code;
    long long parent_id;
    int parent_given, parent_null;
    char opened_on[11];
    int opened_given, opened_null;
    const char *dhis2_id; /* issue 12 §2: NULL with dhis2_given clears it */
    int dhis2_given;
} unit_input;

/* ---- DHIS2 mapping (issue 12 §2): dhis2_id, the DHIS2 org unit's UID or code ---- */

/* A DHIS2 UID (a letter, then 10 letters or digits) or code: 1 to 50 of A-Z, a-z, 0-9, '_', '.',
 * '-', starting with a letter or digit (units_dhis2_id_format, migration 0031). */
static int dhis2_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 50 || !isalnum((unsigned char)s[0])) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i])) return 0;
    return 1;
}

/* Reads dhis2_id (a string or null) into in; only an administrator maps units. */
static void read_dhis2_id(json_t *body, unit_input *in, int admin, verrs *v)
{
    json_t *d = json_object_get(body, "dhis2_id");
    if (d == NULL) return;
    if (!admin) {
        verrs_add(v, "dhis2_id", "only an administrator maps a unit to DHIS2");
        return;
    }
    in->dhis2_given = 1;
    if (json_is_null(d)) return;
    if (jfield_string(body, "dhis2_id", 1, 50, &in->dhis2_id, v) == 1 && !dhis2_id_ok(in->dhis2_id))
        verrs_add(v, "dhis2_id", "must be a DHIS2 UID or code: 1 to 50 of A-Z, a-z, 0-9, '_', '.' and '-', starting with a letter or digit");
}


static void read_unit_body(json_t *body, unit_input *in, int admin, verrs *v)
{
    static const char *const fields[] = {"code", "name", "type", "parent_id", "parent_code", "opened_on", "dhis2_id", NULL};
    memset(in, 0, sizeof *in);
    json_refuse_unknown(body, fields, v);
    jfield_code(body, "code", &CODE_UNIT, &in->code, v);
    jfield_string(body, "name", 1, 300, &in->name, v);
    if (jfield_string(body, "type", 1, 40, &in->type, v) == 1) {
        int ok = 0;
        for (int i = 0; UNIT_TYPES[i]; i++) ok |= strcmp(UNIT_TYPES[i], in->type) == 0;
        if (!ok) verrs_add(v, "type", "must be one of department_of_health, office, hospital, health_centre, cdc, ward, unit_office, commune_station, other");
    }
    json_t *pid = json_object_get(body, "parent_id");
    json_t *pcode = json_object_get(body, "parent_code");
    if ((pid != NULL && json_is_null(pid)) || (pcode != NULL && json_is_null(pcode))) {
        in->parent_given = in->parent_null = 1;
        if ((pid != NULL && !json_is_null(pid)) || (pcode != NULL && !json_is_null(pcode)))
            verrs_add(v, "parent_id", "parent_id and parent_code disagree");
    } else {
        in->parent_given |= jfield_id(body, "parent_id", &in->parent_id, v) == 1;
        in->parent_given |= jfield_string(body, "parent_code", 1, 32, &in->parent_code, v) == 1;
    }
    int od = jfield_nullable_date(body, "opened_on", in->opened_on, v);
    in->opened_given = od > 0;
    in->opened_null = od == 2;
    read_dhis2_id(body, in, admin, v);
}

/* Resolves the parent named by in within the caller's scope. Returns the id (0: none), -1
 * after adding an error, -2 after answering. */
static long long resolve_parent(http_ctx *c, const unit_input *in, verrs *v)
{
    if (!in->parent_given || in->parent_null) return 0;
    return api_resolve_unit(c, in->parent_id, in->parent_code, in->parent_code ? "parent_code" : "parent_id", 1, v);
}

/* A unique violation on the code is the one 409 a unit write can meet. */
static PGresult *run_write(http_ctx *c, db_stmt *st, const db_args *args, const char *what)
{
    PGresult *r = db_run(api_conn(c), st, args);
    if (db_ok(r)) return r;
    if (db_error_class(api_conn(c), r) == DB_ERR_UNIQUE && strstr(PQresultErrorMessage(r), "units_dhis2_id_key")) {
        respond_problem(c, 409, "Another unit is already mapped to this DHIS2 org unit (dhis2_id).");
    } else if (db_error_class(api_conn(c), r) == DB_ERR_UNIQUE) {
        respond_problem(c, 409, "Another unit already has this code.");
    } else if (strcmp(db_sqlstate(r), "23514") == 0 && strstr(PQresultErrorMessage(r), "subtree")) {
        json_t *e = json_pack("[{s:s, s:s}]", "field", "parent_id", "message", "a unit cannot move under itself or its own descendants");
        respond_problem_errors(c, 422, "The move would make a cycle.", e);
        json_decref(e);
    } else if (strcmp(db_sqlstate(r), "23514") == 0) {
        json_t *e = json_pack("[{s:s, s:s}]", "field", "opened_on", "message", "must not be after the day the unit closed");
        respond_problem_errors(c, 422, "The dates are inconsistent.", e);
        json_decref(e);
    } else {
        api_db_error(c, r, what);
    }
    PQclear(r);
    db_rollback(api_conn(c));
    return NULL;
}

void units_create(http_ctx *c)
{
    api_change w;
    if (api_change_open(c, &w, 0)) return;
    unit_input in;
    read_unit_body(w.body, &in, c->who.role == ROLE_ADMIN, &w.v);
    if (!in.code && !json_object_get(w.body, "code")) verrs_add(&w.v, "code", "is required");
    if (!in.name && !json_object_get(w.body, "name")) verrs_add(&w.v, "name", "is required");
    if (!in.type && !json_object_get(w.body, "type")) verrs_add(&w.v, "type", "is required");
    if (in.opened_null) in.opened_given = 0;
    if ((!in.parent_given || in.parent_null) && c->who.role != ROLE_ADMIN)
        verrs_add(&w.v, "parent_id", "is required: only an administrator creates a top-level unit");
    if (http_refuse_invalid(c, &w.v) || api_begin(c) != 0) goto out;
    long long parent = resolve_parent(c, &in, &w.v);
    if (parent == -2 || http_refuse_invalid(c, &w.v)) goto out;
    db_args iv;
    db_args_of(&iv, db_text(in.code), db_text(in.name), db_text(in.type), db_id(parent),
                    db_text(in.opened_given ? in.opened_on : NULL), db_text(in.dhis2_id));
    w.r = run_write(c, &STMT_INSERT, &iv, "creating a unit");
    if (w.r) api_created(c, w.r, "unit", "/api/v1/units", 1);
out:
    api_change_close(&w);
}

/* Locks the unit in scope. Returns the result (row 0: json, active, parent_id, open children,
 * is the caller's own unit) or NULL after answering. */
static PGresult *lock_unit(http_ctx *c, long long id)
{
    db_args v;
    db_args_of(&v, db_int(id), api_scope(c), db_int_if(c->who.role != ROLE_ADMIN, c->who.unit_id));
    return api_lock_one(c, &STMT_LOCK, &v, "There is no such unit.", 1);
}

void units_update(http_ctx *c)
{
    api_change w;
    unit_input in;
    if (api_change_open(c, &w, 1)) return;
    read_unit_body(w.body, &in, c->who.role == ROLE_ADMIN, &w.v);
    if (in.parent_given && in.parent_null && c->who.role != ROLE_ADMIN)
        verrs_add(&w.v, "parent_id", "only an administrator makes a unit top-level");
    if (api_change_lock(c, &w, lock_unit)) goto out;
    int own = strcmp(PQgetvalue(w.cur, 0, 4), "t") == 0;
    if (in.parent_given) {
        long long parent = resolve_parent(c, &in, &w.v);
        if (parent == -2) goto out;
        if (http_refuse_invalid(c, &w.v)) {
            db_rollback(api_conn(c));
            goto out;
        }
        long long old_parent = PQgetisnull(w.cur, 0, 2) ? 0 : atoll(PQgetvalue(w.cur, 0, 2));
        if (parent != old_parent) {
            if (own) {
                db_rollback(api_conn(c));
                respond_problem(c, 403, "You may not move the unit your account belongs to.");
                goto out;
            }
            db_args mv;
            db_args_of(&mv, db_int(w.id), db_id(parent));
            PGresult *moved = run_write(c, &STMT_MOVE, &mv, "moving the unit");
            if (moved == NULL) goto out;
            PQclear(moved);
        }
    }
    db_args uv;
    db_args_of(&uv, db_int(w.id), db_text(in.code), db_text(in.name), db_text(in.type),
                    db_text(in.opened_given && !in.opened_null ? in.opened_on : NULL),
                    db_bool(in.opened_given), db_bool(in.dhis2_given), db_text(in.dhis2_id));
    w.r = run_write(c, &STMT_UPDATE, &uv, "updating the unit");
    if (w.r) api_updated(c, w.cur, w.r, "unit", w.id, 0);
out:
    api_change_close(&w);
}

void units_close(http_ctx *c)
{
    long long id = http_path_id(c, "id");
    if (id == 0) return;
    verrs v;
    verrs_init(&v);
    char closed_on[11] = "";
    PGresult *cur = NULL, *r = NULL;
    int has_date = http_query_date(c, "closed_on", closed_on, &v) == 1;
    long long transfer_to = 0; /* issue 10 §5: where the unit's staff go (transfers.c) */
    http_query_id(c, "transfer_to", &transfer_to, &v);
    if (verrs_count(&v)) {
        api_bad_query(c, &v);
        goto out;
    }
    if (api_begin(c) != 0) goto out;
    cur = lock_unit(c, id);
    if (cur == NULL) goto out;
    if (strcmp(PQgetvalue(cur, 0, 4), "t") == 0) {
        db_rollback(api_conn(c));
        respond_problem(c, 403, "You may not close the unit your account belongs to.");
        goto out;
    }
    if (strcmp(PQgetvalue(cur, 0, 1), "t") != 0) { /* already closed: nothing to do */
        db_rollback(api_conn(c));
        respond_empty(c, 204);
        goto out;
    }
    if (atoll(PQgetvalue(cur, 0, 3)) > 0) {
        db_rollback(api_conn(c));
        respond_problem(c, 409, "This unit still has open units under it; close or move them first.");
        goto out;
    }
    if (!has_date) {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(closed_on, sizeof closed_on, "%Y-%m-%d", &tm);
    }
    db_args cv;
    db_args_of(&cv, db_int(id), db_text(closed_on));
    r = api_run(c, &STMT_CLOSE_CHECK, &cv, "checking the closing date");
    if (r == NULL) goto out;
    if (strcmp(PQgetvalue(r, 0, 0), "t") != 0) verrs_add(&v, "closed_on", "must not be in the future");
    else if (strcmp(PQgetvalue(r, 0, 1), "t") != 0) verrs_add(&v, "closed_on", "must not be before the unit opened");
    PQclear(r);
    r = NULL;
    if (verrs_count(&v)) {
        db_rollback(api_conn(c));
        respond_problem_errors(c, 422, "The closing date is invalid; see errors.", v.list);
        goto out;
    }
    if (transfers_on_close(c, id, closed_on, transfer_to)) goto out;
    r = api_run(c, &STMT_CLOSE, &cv, "closing the unit");
    if (r == NULL) goto out;
    if (api_audit_id(c, "close", "unit", id, PQgetvalue(cur, 0, 0), PQgetvalue(r, 0, 0)) != 0 ||
        api_commit(c) != 0)
        goto out;
    respond_empty(c, 204);
out:
    PQclear(r);
    PQclear(cur);
    verrs_free(&v);
}

void units_tree(http_ctx *c)
{
    long long id = http_path_id(c, "id");
    if (id == 0) return;
    verrs v;
    verrs_init(&v);
    long depth = 100;
    int closed = 0;
    http_query_int(c, "depth", 0, 100, &depth, &v);
    http_query_bool(c, "include_closed", &closed, &v);
    char as_of[11] = "";
    int dated = http_query_date(c, "as_of", as_of, &v) == 1;
    if (api_refuse_bad_query(c, &v)) return;
    if (api_db(c) == NULL) return;
    db_args pv;
    db_args_of(&pv, db_int(id), api_scope(c), db_int(depth), db_bool(closed));
    if (dated) db_arg(&pv, db_text(as_of));
    PGresult *r = api_run(c, dated ? &STMT_TREE_ON : &STMT_TREE, &pv, "reading the unit tree");
    if (r == NULL) return;
    if (PQntuples(r) == 0) {
        PQclear(r);
        respond_problem(c, 404, "There is no such unit.");
        return;
    }
    /* Rows come parents first; index nodes by id to hang each under its parent. */
    json_t *index = json_object();
    json_t *root = NULL;
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *node = json_loads(PQgetvalue(r, i, 2), 0, NULL);
        if (node == NULL) continue;
        json_object_set_new(node, "children", json_array());
        json_object_set(index, PQgetvalue(r, i, 0), node);
        json_t *parent = i == 0 ? NULL : json_object_get(index, PQgetvalue(r, i, 1));
        if (i == 0) root = json_incref(node);
        else if (parent) json_array_append(json_object_get(parent, "children"), node);
        json_decref(node);
    }
    PQclear(r);
    respond_json(c, 200, root);
    json_decref(root);
    json_decref(index);
}

/* ---- bulk load (POST /api/v1/units/import; the engine is imports.c; issue 12 §2) ---- */

/* Rows are matched on code: a stored unit takes the row's name and type (and dhis2_id when the
 * load has that column); a new one is created under parent_code, which may be a unit of the same
 * load. A load does not move units: a stored unit whose parent_code differs is refused (moves
 * are dated, PATCH or the moves routes). Administrators only (routes.c). */
static const import_col UNITS_IMPORT_COLS[] = {
    {"code", 1, K_CODE, 32, 0, &CODE_UNIT}, {"name", 1, K_TEXT, 300, 0}, {"type", 1, K_TEXT, 40, 0},
    {"parent_code", 0, K_TEXT, 32, 0},      {"dhis2_id", 0, K_TEXT, 50, 0}};

#define UNITS_STAGE \
    "CREATE TEMP TABLE import_stage (row integer, code text, name text, type text, parent_code text," \
    " dhis2_id text) ON COMMIT DROP"

DB_STMT_SETUP(UNITS_CHECKS, "import_units_checks",
    IMPORT_CHECKS_HEAD
    " SELECT s.row, 'type' AS field, 'unit_type' AS problem, json_build_object('value', s.type) AS params"
    "   FROM import_stage s WHERE s.type NOT IN ('department_of_health', 'office', 'hospital', 'health_centre',"
    "   'cdc', 'ward', 'unit_office', 'commune_station', 'other')"
    " UNION ALL SELECT s.row, 'parent_code', 'unit_unknown', json_build_object('unit', s.parent_code)"
    "   FROM import_stage s WHERE s.parent_code IS NOT NULL"
    "   AND NOT EXISTS (SELECT 1 FROM scoped_units($1) u WHERE u.code = s.parent_code)"
    "   AND NOT EXISTS (SELECT 1 FROM import_stage p WHERE p.code = s.parent_code)"
    " UNION ALL SELECT s.row, 'parent_code', 'unit_closed', json_build_object('unit', s.parent_code)"
    "   FROM import_stage s JOIN scoped_units($1) u ON u.code = s.parent_code WHERE NOT u.active"
    " UNION ALL SELECT s.row, 'parent_code', 'parent_differs', json_build_object('parent', coalesce(p.code, ''))"
    "   FROM import_stage s JOIN units u ON u.code = s.code LEFT JOIN units p ON p.id = u.parent_id"
    "   WHERE 'parent_code' = ANY($2::text[]) AND s.parent_code IS DISTINCT FROM p.code"
    /* new units whose parents (new units of the load) lead back to themselves */
    " UNION ALL SELECT c.row, 'parent_code', 'parent_cycle', NULL FROM (WITH RECURSIVE up(row, code, at, n) AS ("
    "   SELECT s.row, s.code, s.parent_code, 1 FROM import_stage s WHERE NOT EXISTS (SELECT 1 FROM units u WHERE u.code = s.code)"
    "   UNION ALL SELECT up.row, up.code, p.parent_code, up.n + 1 FROM up JOIN import_stage p ON p.code = up.at"
    "   WHERE up.at <> up.code AND up.n <= (SELECT count(*) FROM import_stage)"
    "     AND NOT EXISTS (SELECT 1 FROM units u WHERE u.code = p.code))"
    "   SELECT DISTINCT up.row FROM up WHERE up.at = up.code) c"
    " UNION ALL SELECT s.row, 'dhis2_id', 'dhis2_id_format', json_build_object('value', s.dhis2_id)"
    "   FROM import_stage s WHERE s.dhis2_id !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$'"
    " UNION ALL" IMPORT_REPEAT_CHECK("code", "repeated_code", "code", "code IS NOT NULL")
    " UNION ALL" IMPORT_REPEAT_CHECK("dhis2_id", "repeated_dhis2_id", "dhis2_id", "dhis2_id IS NOT NULL")
    /* held by a unit the load does not remap */
    " UNION ALL SELECT s.row, 'dhis2_id', 'dhis2_id_in_use', json_build_object('unit', u.code)"
    "   FROM import_stage s JOIN units u ON u.dhis2_id = s.dhis2_id AND u.code <> s.code"
    "   WHERE NOT ('dhis2_id' = ANY($2::text[]) AND EXISTS (SELECT 1 FROM import_stage o WHERE o.code = u.code"
    "     AND o.dhis2_id IS DISTINCT FROM u.dhis2_id))"
    IMPORT_CHECKS_TAIL, 2, UNITS_STAGE);

DB_STMT_SETUP(UNITS_MERGE, "import_units_merge",
    "SELECT m.* FROM (SELECT $2::boolean AS replace, $3::bigint AS scope) unused, units_load_merge($1::text[]) m",
    3, UNITS_STAGE);

static const import_spec UNITS_IMPORT = {"unit", "units/import", IMPORT_COLS(UNITS_IMPORT_COLS), UNITS_STAGE,
                                         &UNITS_CHECKS, &UNITS_MERGE};

void units_import(http_ctx *c)
{
    import_run(c, &UNITS_IMPORT);
}
