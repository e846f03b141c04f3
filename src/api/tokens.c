/* API tokens for scripts and other systems: shown once, stored hashed, expiring, revocable.
 * Minted only from a password sign-in's session (never with an API token); every token of an
 * account is revoked when its password changes or it is disabled. Admins list and revoke anyone's. */
#include "common.h"
#include "handlers.h"

DB_STMT(STMT_CREATE, "tokens_create",
    "WITH t AS (INSERT INTO api_tokens (user_id, name, prefix, token_hash, expires_on)"
    " VALUES ($1, $2, $3, $4, coalesce($5::date, current_date + 90)) RETURNING *)"
    " SELECT t.id, api_token_json(t) FROM t", 5);

DB_STMT(STMT_CHECK_EXPIRY, "tokens_check_expiry",
    "SELECT $1::date > current_date, $1::date <= current_date + 366", 1);

DB_STMT(STMT_LIST, "tokens_list",
    "WITH f AS (SELECT * FROM api_tokens WHERE user_id = $1),"
    " p AS (SELECT * FROM f ORDER BY id DESC LIMIT $2 OFFSET $3)"
    " SELECT json_build_object('items', coalesce((SELECT json_agg(api_token_json(p) ORDER BY p.id DESC) FROM p), '[]'),"
    " 'total', (SELECT count(*) FROM f), 'limit', $2::int, 'offset', $3::int)", 3);

DB_STMT(STMT_REVOKE, "tokens_revoke",
    "WITH t AS (SELECT * FROM api_tokens WHERE id = $1 AND (user_id = $2 OR $3::bool) FOR UPDATE),"
    " u AS (UPDATE api_tokens a SET revoked_at = coalesce(a.revoked_at, now()) FROM t WHERE a.id = t.id RETURNING a.*)"
    " SELECT api_token_json(t), api_token_json(u) FROM t JOIN u ON u.id = t.id", 3);

void tokens_create(http_ctx *c)
{
    static const char *const fields[] = {"name", "expires_on", NULL};
    if (c->who.via_api_token) {
        respond_problem(c, 403, "API tokens are created from a signed-in session, not with another API token.");
        return;
    }
    json_t *body = http_json_body(c, 0);
    if (body == NULL) return;
    verrs v;
    verrs_init(&v);
    const char *name = NULL;
    char expires[11] = "";
    json_refuse_unknown(body, fields, &v);
    if (jfield_string(body, "name", 1, 100, &name, &v) == 0) verrs_add(&v, "name", "is required");
    int has_exp = jfield_date(body, "expires_on", expires, &v) == 1;
    if (http_refuse_invalid(c, &v) || api_db(c) == NULL) goto out;
    if (has_exp) {
        db_args ev;
        db_args_of(&ev, db_text(expires));
        PGresult *r = api_run(c, &STMT_CHECK_EXPIRY, &ev, "checking the expiry");
        if (r == NULL) goto out;
        if (strcmp(PQgetvalue(r, 0, 0), "t") != 0) verrs_add(&v, "expires_on", "must be after today");
        else if (strcmp(PQgetvalue(r, 0, 1), "t") != 0)
            verrs_add(&v, "expires_on", "must be at most a year from today");
        PQclear(r);
        if (http_refuse_invalid(c, &v)) goto out;
    }
    char token[64], hash[65], prefix[16];
    token_random("bdh_", token, sizeof token);
    token_hash(token, hash);
    snprintf(prefix, sizeof prefix, "%.12s", token);
    if (db_begin(api_conn(c)) != 0) {
        respond_problem(c, 503, "The database is unavailable; try again shortly.");
        goto out;
    }
    db_args cv;
    db_args_of(&cv, db_int(c->who.user_id), db_text(name), db_text(prefix), db_text(hash),
                    db_text(has_exp ? expires : NULL));
    PGresult *r = api_run(c, &STMT_CREATE, &cv, "creating the API token");
    if (r == NULL) goto out;
    char id[24];
    snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
    json_t *tok = json_loads(PQgetvalue(r, 0, 1), 0, NULL);
    int failed = api_audit(c, "create", "api_token", id, NULL, PQgetvalue(r, 0, 1));
    PQclear(r);
    if (failed || api_commit(c) != 0) {
        json_decref(tok);
        goto out;
    }
    json_object_set_new(tok, "token", json_string(token));
    api_location(c, "/api/v1/tokens", id);
    http_set_header(c, "Cache-Control", "no-store");
    respond_json(c, 201, tok);
    json_decref(tok);
out:
    verrs_free(&v);
    json_decref(body);
}

void tokens_list(http_ctx *c)
{
    verrs v;
    verrs_init(&v);
    long limit, offset;
    long long user = c->who.user_id;
    http_query_id(c, "user_id", &user, &v);
    http_query_page(c, &limit, &offset, &v);
    if (api_refuse_bad_query(c, &v)) return;
    if (user != c->who.user_id && c->who.role != ROLE_ADMIN) {
        respond_problem(c, 403, "Only an admin lists another user's API tokens.");
        return;
    }
    if (api_db(c) == NULL) return;
    db_args pv;
    db_args_of(&pv, db_int(user), db_int(limit), db_int(offset));
    api_list(c, &STMT_LIST, &pv, "listing API tokens", NULL);
}

void tokens_delete(http_ctx *c)
{
    long long id = http_path_id(c, "id");
    if (id == 0 || api_db(c) == NULL) return;
    if (db_begin(api_conn(c)) != 0) {
        respond_problem(c, 503, "The database is unavailable; try again shortly.");
        return;
    }
    db_args v;
    db_args_of(&v, db_int(id), db_int(c->who.user_id), db_bool(c->who.role == ROLE_ADMIN));
    PGresult *r = api_run(c, &STMT_REVOKE, &v, "revoking the API token");
    if (r == NULL) return;
    if (PQntuples(r) != 1) {
        PQclear(r);
        db_rollback(api_conn(c));
        respond_problem(c, 404, "There is no such API token.");
        return;
    }
    int failed = api_audit_id(c, "revoke", "api_token", id, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
    PQclear(r);
    if (failed || api_commit(c) != 0) return;
    respond_empty(c, 204);
}
