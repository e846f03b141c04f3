/* Users: admins manage everyone. A manager manages users of any role up to manager in units
 * strictly below its own, and only reporters and viewers in its own unit; it sees every user of
 * its subtree. Admin and integration accounts are managed by admins only. A password is set by
 * an admin here, or changed by its owner with the current one (POST /me/password). Passwords
 * never leave. */
#include "common.h"
#include "handlers.h"
#include "bdhvs/rights.h"

static const char *const USER_COLUMNS[] = {"id", "username", "full_name", "role", "unit_id", "unit_code",
                                           "active", "last_login_at", "created_at", "updated_at", NULL};

#define USER_SCOPE " ($2::bigint IS NULL OR EXISTS (SELECT 1 FROM units x WHERE x.id = u.unit_id AND in_scope(x.path, $2)))"

DB_STMT(STMT_GET, "users_get", "SELECT user_json(u) FROM users u WHERE u.id = $1 AND" USER_SCOPE, 2);

DB_STMT(STMT_LOCK, "users_lock",
    "SELECT user_json(u), u.role, coalesce(u.unit_id, 0) FROM users u WHERE u.id = $1 AND" USER_SCOPE " FOR UPDATE", 2);

DB_STMT(STMT_LIST, "users_list",
    "WITH f AS (SELECT u.* FROM users u WHERE"
    "   ($1::bigint IS NULL OR EXISTS (SELECT 1 FROM units x WHERE x.id = u.unit_id AND in_scope(x.path, $1)))"
    "   AND ($2::text IS NULL OR u.role = $2)"
    "   AND ($3::bigint IS NULL OR u.unit_id = $3)"
    "   AND ($4::bigint IS NULL OR EXISTS (SELECT 1 FROM units x WHERE x.id = u.unit_id"
    "        AND x.path <@ (SELECT s.path FROM units s WHERE s.id = $4)))"
    "   AND ($5::bool IS NULL OR u.active = $5)"
    "   AND ($6::text IS NULL OR strpos(f_unaccent(u.full_name), f_unaccent($6)) > 0"
    "        OR strpos(u.username, lower($6)) > 0)"
    "   AND ($7::timestamptz IS NULL OR u.updated_at >= $7)),"
    " p AS (SELECT f.id, row_number() OVER (ORDER BY"
    "   CASE WHEN $8 = 'username' THEN f.username END, CASE WHEN $8 = '-username' THEN f.username END DESC,"
    "   CASE WHEN $8 = 'full_name' THEN f_unaccent(f.full_name) END,"
    "   CASE WHEN $8 = '-full_name' THEN f_unaccent(f.full_name) END DESC,"
    "   CASE WHEN $8 = 'created_at' THEN f.created_at END, CASE WHEN $8 = '-created_at' THEN f.created_at END DESC,"
    "   CASE WHEN $8 = 'updated_at' THEN f.updated_at END, CASE WHEN $8 = '-updated_at' THEN f.updated_at END DESC,"
    "   CASE WHEN $8 = '-id' THEN f.id END DESC, f.id) AS rn FROM f" API_AFTER_ID(11) " ORDER BY rn LIMIT $9 OFFSET $10)"
    " SELECT json_build_object('items', coalesce((SELECT json_agg(user_json(u) ORDER BY p.rn)"
    "   FROM p JOIN users u ON u.id = p.id), '[]'),"
    " 'total', (SELECT count(*) FROM f), 'limit', $9::int, 'offset', $10::int)", 11);

DB_STMT(STMT_INSERT, "users_insert",
    "INSERT INTO users (username, full_name, password_hash, role, unit_id, active)"
    " VALUES ($1, $2, $3, $4, $5, $6) RETURNING users.id, user_json(users)", 6);

DB_STMT(STMT_UPDATE, "users_update",
    "UPDATE users SET full_name = coalesce($2, full_name), role = coalesce($3, role),"
    " unit_id = CASE WHEN $4::bool THEN $5::bigint ELSE unit_id END, active = coalesce($6, active),"
    " password_hash = coalesce($7, password_hash),"
    " cred_version = cred_version + CASE WHEN $7 IS NULL THEN 0 ELSE 1 END, updated_at = now()"
    " WHERE id = $1 RETURNING user_json(users)", 7);

DB_STMT(STMT_REVOKE_ALL, "users_revoke_all",
    "WITH r AS (UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL)"
    " UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL AND $2::bool", 2);

API_GET_ONE_ROUTE(users_get, &STMT_GET, 1, "reading a user", "There is no such user.");

void users_list(http_ctx *c)
{
    static const char *const sorts[] = {"username", "id", "full_name", "created_at", "updated_at", NULL};
    verrs v;
    verrs_init(&v);
    api_list_query lq;
    long long unit = 0, under = 0;
    int active = 0;
    const char *role = http_query(c, "role");
    if (role != NULL && role_parse(role) == ROLE_NONE) verrs_add(&v, "role", "is not a role");
    int has_unit = http_query_id(c, "unit_id", &unit, &v) == 1;
    int has_under = http_query_id(c, "under", &under, &v) == 1;
    int has_active = http_query_bool(c, "active", &active, &v) == 1;
    const char *q = http_query(c, "q");
    if (q != NULL && (strlen(q) == 0 || utf8_length(q) > 100)) verrs_add(&v, "q", "must be 1 to 100 characters");
    if (api_refuse_list_query(c, &v, sorts, "username", &lq)) return;
    db_args pv;
    db_args_of(&pv, api_scope(c), db_text(role), db_int_if(has_unit, unit),
                    db_int_if(has_under, under), db_bool_if(has_active, active), db_text(q),
                    db_text(lq.since), db_text(lq.sort), db_int(lq.limit), db_int(lq.offset));
    db_arg(&pv, api_list_after(&lq));
    api_list(c, &STMT_LIST, &pv, "listing users", USER_COLUMNS);
}

static int username_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || n > 64) return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        int alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
        if (!alnum && (i == 0 || (ch != '.' && ch != '_' && ch != '-'))) return 0;
    }
    return 1;
}

typedef struct user_input {
    const char *username, *password, *full_name, *role_text, *unit_code;
    role_t role;
    long long unit_id;
    int unit_given, unit_null, active, active_given;
} user_input;

static void read_user_body(json_t *body, int creating, user_input *in, verrs *v)
{
    static const char *const create_fields[] = {"username", "password", "full_name", "role", "unit_id",
                                                "unit_code", "active", NULL};
    static const char *const update_fields[] = {"password", "full_name", "role", "unit_id", "unit_code",
                                                "active", NULL};
    memset(in, 0, sizeof *in);
    json_refuse_unknown(body, creating ? create_fields : update_fields, v);
    if (creating && jfield_string(body, "username", 3, 64, &in->username, v) == 1 && !username_ok(in->username)) {
        verrs_add(v, "username", "must be 3-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit");
        in->username = NULL;
    }
    jfield_string(body, "password", 10, 1024, &in->password, v);
    jfield_string(body, "full_name", 1, 200, &in->full_name, v);
    if (jfield_string(body, "role", 1, 20, &in->role_text, v) == 1) {
        in->role = role_parse(in->role_text);
        if (in->role == ROLE_NONE) verrs_add(v, "role", "must be admin, manager, reporter, viewer or integration");
    }
    json_t *uid = json_object_get(body, "unit_id");
    json_t *ucode = json_object_get(body, "unit_code");
    if ((uid != NULL && json_is_null(uid)) || (ucode != NULL && json_is_null(ucode))) {
        in->unit_given = in->unit_null = 1;
        if ((uid != NULL && !json_is_null(uid)) || (ucode != NULL && !json_is_null(ucode)))
            verrs_add(v, "unit_id", "unit_id and unit_code disagree");
    } else {
        in->unit_given |= jfield_id(body, "unit_id", &in->unit_id, v) == 1;
        in->unit_given |= jfield_string(body, "unit_code", 1, 32, &in->unit_code, v) == 1;
    }
    in->active_given = jfield_bool(body, "active", &in->active, v) == 1;
}

/* May the caller hand out role r? Admin: any. Manager: manager and below. */
static int may_grant(http_ctx *c, role_t r)
{
    if (c->who.role == ROLE_ADMIN) return 1;
    return r != ROLE_ADMIN && r != ROLE_INTEGRATION && role_rank(r) <= role_rank(c->who.role);
}

/* May the caller manage a user of role r in unit (0: none), a unit already known to be inside
 * the caller's subtree? Admin: anyone. Manager: up to manager strictly below its own unit,
 * reporters and viewers in its own unit. */
static int may_manage(http_ctx *c, role_t r, long long unit)
{
    if (c->who.role == ROLE_ADMIN) return 1;
    if (c->who.role != ROLE_MANAGER || !may_grant(c, r) || unit == 0) return 0;
    return unit != c->who.unit_id || r == ROLE_REPORTER || r == ROLE_VIEWER;
}

static const char NOT_YOURS[] =
    "A manager manages managers, reporters and viewers of the units below its own, and only reporters and viewers of its own unit.";

void users_create(http_ctx *c)
{
    api_change w;
    if (api_change_open(c, &w, 0)) return;
    user_input in;
    read_user_body(w.body, 1, &in, &w.v);
    if (!json_object_get(w.body, "username")) verrs_add(&w.v, "username", "is required");
    if (!json_object_get(w.body, "password")) verrs_add(&w.v, "password", "is required");
    if (!json_object_get(w.body, "full_name")) verrs_add(&w.v, "full_name", "is required");
    if (!json_object_get(w.body, "role")) verrs_add(&w.v, "role", "is required");
    if (in.role != ROLE_NONE && in.role != ROLE_ADMIN && in.role != ROLE_INTEGRATION &&
        (!in.unit_given || in.unit_null))
        verrs_add(&w.v, "unit_id", "is required for this role");
    if (http_refuse_invalid(c, &w.v)) goto out;
    if (!may_grant(c, in.role)) {
        respond_problem(c, 403, "You may not grant a role above your own.");
        goto out;
    }
    char hash[AUTH_HASH_LEN];
    if (api_password_hash(c, in.password, hash) != 0) goto out;
    if (api_begin(c) != 0) goto out;
    long long unit = 0;
    if (in.unit_given && !in.unit_null) {
        unit = api_resolve_unit(c, in.unit_id, in.unit_code, in.unit_code ? "unit_code" : "unit_id", 1, &w.v);
        if (unit == -2 || http_refuse_invalid(c, &w.v)) goto out;
    }
    if (!may_manage(c, in.role, unit)) {
        db_rollback(api_conn(c));
        respond_problem(c, 403, NOT_YOURS);
        goto out;
    }
    db_args iv;
    db_args_of(&iv, db_text(in.username), db_text(in.full_name), db_text(hash),
                    db_text(in.role_text), db_id(unit),
                    db_text(in.active_given && !in.active ? "false" : "true"));
    w.r = api_run_unique(c, &STMT_INSERT, &iv, "creating a user", "This username is taken.");
    if (w.r != NULL) api_created(c, w.r, "user", "/api/v1/users", 1);
out:
    api_change_close(&w);
}

/* Locks the user in scope; answers 404, or 403 when the caller may not manage the user (unless
 * self is set and it is the caller), and returns NULL. */
static PGresult *lock_user(http_ctx *c, long long id, int self)
{
    db_args v;
    db_args_of(&v, db_int(id), api_scope(c));
    PGresult *r = api_lock_one(c, &STMT_LOCK, &v, "There is no such user.", 1);
    if (r == NULL) return NULL;
    if (!self && !may_manage(c, role_parse(PQgetvalue(r, 0, 1)), atoll(PQgetvalue(r, 0, 2)))) {
        PQclear(r);
        db_rollback(api_conn(c));
        respond_problem(c, 403, NOT_YOURS);
        return NULL;
    }
    return r;
}

/* Revokes the user's refresh tokens (and API tokens when api_tokens_too) in the open
 * transaction. Returns 0, or -1 after answering the database error. */
static int revoke_sessions(http_ctx *c, long long id, int api_tokens_too)
{
    db_args v;
    db_args_of(&v, db_int(id), db_bool(api_tokens_too));
    PGresult *r = api_run(c, &STMT_REVOKE_ALL, &v, "revoking sessions");
    if (r == NULL) return -1;
    PQclear(r);
    return 0;
}

void users_update(http_ctx *c)
{
    api_change w;
    user_input in;
    if (api_change_open(c, &w, 1)) return;
    read_user_body(w.body, 0, &in, &w.v);
    if (http_refuse_invalid(c, &w.v)) goto out;
    if (in.role != ROLE_NONE && !may_grant(c, in.role)) {
        respond_problem(c, 403, "You may not grant a role above your own.");
        goto out;
    }
    int self = w.id == c->who.user_id;
    if (self && ((in.active_given && !in.active) || (in.role != ROLE_NONE && in.role != c->who.role))) {
        respond_problem(c, 403, "You may not disable your own account or change your own role.");
        goto out;
    }
    if (self && c->who.role != ROLE_ADMIN && in.unit_given) {
        respond_problem(c, 403, "You may not move your own account to another unit.");
        goto out;
    }
    if (in.password && c->who.role != ROLE_ADMIN) {
        respond_problem(c, 403, "Only an admin sets a user's password; change your own with POST /api/v1/me/password.");
        goto out;
    }
    char hash[AUTH_HASH_LEN];
    if (in.password && api_password_hash(c, in.password, hash) != 0) goto out;
    if (api_begin(c) != 0) goto out;
    w.cur = lock_user(c, w.id, self);
    if (w.cur == NULL) goto out;
    if (api_answer_unchanged(c, w.body, w.cur)) goto out;
    role_t final_role = in.role != ROLE_NONE ? in.role : role_parse(PQgetvalue(w.cur, 0, 1));
    long long unit = 0;
    if (in.unit_given && !in.unit_null) {
        unit = api_resolve_unit(c, in.unit_id, in.unit_code, in.unit_code ? "unit_code" : "unit_id", 1, &w.v);
        if (unit == -2) goto out;
    }
    if (in.unit_null && final_role != ROLE_ADMIN && final_role != ROLE_INTEGRATION)
        verrs_add(&w.v, "unit_id", "is required for this role");
    if (http_refuse_invalid(c, &w.v)) {
        db_rollback(api_conn(c));
        goto out;
    }
    long long final_unit = in.unit_given ? unit : atoll(PQgetvalue(w.cur, 0, 2));
    if (!self && !may_manage(c, final_role, final_unit)) {
        db_rollback(api_conn(c));
        respond_problem(c, 403, NOT_YOURS);
        goto out;
    }
    db_args uv;
    db_args_of(&uv, db_int(w.id), db_text(in.full_name),
                    db_text(in.role != ROLE_NONE ? in.role_text : NULL), db_bool(in.unit_given),
                    db_id(unit), db_bool_if(in.active_given, in.active),
                    db_text(in.password ? hash : NULL));
    w.r = api_run(c, &STMT_UPDATE, &uv, "updating the user");
    if (w.r == NULL) goto out;
    int disabled = in.active_given && !in.active;
    /* A new password or a disabled account ends every sign-in and every API token. */
    if ((disabled || in.password) && revoke_sessions(c, w.id, 1) != 0) goto out;
    const char *json = PQgetvalue(w.r, 0, 0);
    if (api_audit_id(c, "update", "user", w.id, PQgetvalue(w.cur, 0, 0), json) != 0 || api_commit(c) != 0) goto out;
    rights_forget(w.id);
    respond_resource_text(c, 200, json, strlen(json));
out:
    api_change_close(&w);
}

void users_delete(http_ctx *c)
{
    long long id = http_path_id(c, "id");
    if (id == 0) return;
    if (id == c->who.user_id) {
        respond_problem(c, 403, "You may not disable your own account.");
        return;
    }
    if (api_begin(c) != 0) return;
    PGresult *cur = lock_user(c, id, 0);
    if (cur == NULL) return;
    db_args uv;
    db_args_of(&uv, db_int(id), db_null(), db_null(), db_text("false"), db_null(), db_text("false"),
                    db_null());
    PGresult *r = api_run(c, &STMT_UPDATE, &uv, "disabling the user");
    if (r != NULL && revoke_sessions(c, id, 1) == 0 &&
        api_audit_id(c, "disable", "user", id, PQgetvalue(cur, 0, 0), PQgetvalue(r, 0, 0)) == 0 && api_commit(c) == 0) {
        rights_forget(id);
        respond_empty(c, 204);
    }
    PQclear(r);
    PQclear(cur);
}
