/* Login, refresh, logout, the current user, and bearer-token verification. */
#include "internal.h"

#include <sodium.h>
#include <time.h>

static db_stmt STMT_THROTTLED = {
    "auth_throttled",
    "SELECT ceil(extract(epoch FROM max(locked_until) - now()))::int FROM auth_throttle"
    " WHERE key IN ($1, $2) AND locked_until > now()",
    2};

static db_stmt STMT_FAILED = {
    "auth_failed",
    "INSERT INTO auth_throttle AS t (key, failures, window_start) VALUES ($1, 1, now()), ($2, 1, now())"
    " ON CONFLICT (key) DO UPDATE SET"
    "  failures = CASE WHEN t.window_start < now() - make_interval(secs => $5) THEN 1 ELSE t.failures + 1 END,"
    "  window_start = CASE WHEN t.window_start < now() - make_interval(secs => $5) THEN now() ELSE t.window_start END,"
    "  locked_until = CASE WHEN t.window_start >= now() - make_interval(secs => $5)"
    "    AND t.failures + 1 >= CASE WHEN t.key = $1 THEN $3::int ELSE $4::int END"
    "    THEN now() + make_interval(secs => $5) ELSE t.locked_until END",
    5};

static db_stmt STMT_USER_BY_NAME = {
    "auth_user_by_name",
    "SELECT id, password_hash, role, coalesce(unit_id, 0), username, active FROM users WHERE username = $1",
    1};

static db_stmt STMT_LOGIN_OK = {
    "auth_login_ok",
    "WITH t AS (DELETE FROM auth_throttle WHERE key = $2)"
    " UPDATE users SET last_login_at = now() WHERE id = $1",
    2};

static db_stmt STMT_REFRESH_INSERT = {
    "auth_refresh_insert",
    "INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at)"
    " VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
    4};

static db_stmt STMT_REFRESH_FIND = {
    "auth_refresh_find",
    "SELECT rt.id, rt.family_id, rt.used_at IS NOT NULL, rt.revoked_at IS NOT NULL OR rt.expires_at <= now(),"
    " u.id, u.role, coalesce(u.unit_id, 0), u.username, u.active"
    " FROM refresh_tokens rt JOIN users u ON u.id = rt.user_id WHERE rt.token_hash = $1 FOR UPDATE OF rt",
    1};

static db_stmt STMT_REFRESH_USE = {
    "auth_refresh_use", "UPDATE refresh_tokens SET used_at = now() WHERE id = $1", 1};

static db_stmt STMT_FAMILY_REVOKE = {
    "auth_family_revoke",
    "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL", 1};

static db_stmt STMT_LOGOUT = {
    "auth_logout",
    "UPDATE refresh_tokens SET revoked_at = now() WHERE revoked_at IS NULL AND family_id ="
    " (SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND user_id = $2)",
    2};

static db_stmt STMT_API_TOKEN = {
    "auth_api_token",
    "SELECT u.id, u.role, coalesce(u.unit_id, 0), u.username, t.id,"
    " t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute'"
    " FROM api_tokens t JOIN users u ON u.id = t.user_id"
    " WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_on >= current_date AND u.active",
    1};

static db_stmt STMT_API_TOKEN_TOUCH = {
    "auth_api_token_touch", "UPDATE api_tokens SET last_used_at = now() WHERE id = $1", 1};

static db_stmt STMT_USER_STATE = {
    "auth_user_state", "SELECT id, role, coalesce(unit_id, 0), username FROM users WHERE id = $1 AND active", 1};

static db_stmt STMT_ME = {
    "auth_me", "SELECT user_json(u) FROM users u WHERE u.id = $1 AND u.active", 1};

int api_init(const bdhvs_config *cfg)
{
    if (auth_init() != 0) return -1;
    return user_cache_start(cfg->database_url);
}

void api_shutdown(void)
{
    user_cache_stop();
}

static void fill_caller(caller *who, PGresult *r, int col_id, int col_role, int col_unit, int col_name)
{
    memset(who, 0, sizeof *who);
    who->user_id = atoll(PQgetvalue(r, 0, col_id));
    who->role = role_parse(PQgetvalue(r, 0, col_role));
    who->unit_id = atoll(PQgetvalue(r, 0, col_unit));
    who->all_units = who->role == ROLE_ADMIN || who->role == ROLE_INTEGRATION;
    snprintf(who->username, sizeof who->username, "%s", PQgetvalue(r, 0, col_name));
}

int api_authenticate(http_ctx *c, const char *token, caller *who)
{
    if (strncmp(token, "bdh_", 4) != 0) {
        if (jwt_check(token, (const unsigned char *)c->cfg->jwt_secret, c->cfg->jwt_secret_len, time(NULL), who) != 0)
            return 401;
        /* The signature proves who it is; the database says what they may do now, so that a
         * disabled, demoted or moved account loses its rights at once, not when the token expires. */
        if (user_cache_get(who->user_id, who)) return 0;
        if (http_db(c) == NULL) return 503;
        char uid[24];
        snprintf(uid, sizeof uid, "%lld", who->user_id);
        const char *v[] = {uid};
        PGresult *r = db_run(c->db, &STMT_USER_STATE, v);
        if (!db_ok(r)) {
            int st = db_error_status(c->db, r);
            PQclear(r);
            return st == 503 ? 503 : 401;
        }
        int found = PQntuples(r) == 1;
        if (found) fill_caller(who, r, 0, 1, 2, 3);
        PQclear(r);
        if (!found || (!who->all_units && who->unit_id == 0)) return 401;
        user_cache_put(who);
        return 0;
    }
    if (strlen(token) > 200) return 401;
    if (http_db(c) == NULL) return 503;
    char hash[65];
    token_hash(token, hash);
    const char *v[] = {hash};
    PGresult *r = db_run(c->db, &STMT_API_TOKEN, v);
    if (!db_ok(r)) {
        int st = db_error_status(c->db, r);
        PQclear(r);
        return st == 503 ? 503 : 401;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        return 401;
    }
    fill_caller(who, r, 0, 1, 2, 3);
    who->via_api_token = 1;
    if (strcmp(PQgetvalue(r, 0, 5), "t") == 0) {
        const char *tv[] = {PQgetvalue(r, 0, 4)};
        PQclear(db_run(c->db, &STMT_API_TOKEN_TOUCH, tv));
    }
    PQclear(r);
    if (!who->all_units && who->unit_id == 0) return 401;
    return 0;
}

/* Issues an access token and a new refresh token of family (0: a new family) inside the open
 * transaction, commits, and answers 200 with the pair. */
static void issue_pair(http_ctx *c, const caller *who, long long family)
{
    char refresh[64], hash[65], uid[24], fam[24], ttl[24];
    token_random("bdr_", refresh, sizeof refresh);
    token_hash(refresh, hash);
    if (family == 0) {
        randombytes_buf(&family, sizeof family);
        family = (family & 0x3FFFFFFFFFFFFFFFLL) | 1;
    }
    snprintf(uid, sizeof uid, "%lld", who->user_id);
    snprintf(fam, sizeof fam, "%lld", family);
    snprintf(ttl, sizeof ttl, "%d", c->cfg->refresh_ttl);
    const char *v[] = {uid, fam, hash, ttl};
    PGresult *r = api_run(c, &STMT_REFRESH_INSERT, v, "storing the refresh token");
    if (r == NULL) return;
    PQclear(r);
    if (api_commit(c) != 0) return;
    char *access = jwt_issue(who, (const unsigned char *)c->cfg->jwt_secret, c->cfg->jwt_secret_len,
                             c->cfg->access_ttl, time(NULL));
    if (access == NULL) {
        respond_problem(c, 500, "Could not sign the token.");
        return;
    }
    json_t *o = json_pack("{s:s, s:s, s:i, s:s}", "access_token", access, "token_type", "Bearer",
                          "expires_in", c->cfg->access_ttl, "refresh_token", refresh);
    http_set_header(c, "Cache-Control", "no-store");
    respond_json(c, 200, o);
    json_decref(o);
    free(access);
}

void auth_login(http_ctx *c)
{
    static const char *const fields[] = {"username", "password", NULL};
    json_t *body = http_json_body(c, 0);
    if (body == NULL) return;
    verrs v;
    verrs_init(&v);
    const char *username = NULL, *password = NULL;
    json_refuse_unknown(body, fields, &v);
    if (jfield_string(body, "username", 1, 100, &username, &v) == 0) verrs_add(&v, "username", "is required");
    if (jfield_string(body, "password", 1, 1024, &password, &v) == 0) verrs_add(&v, "password", "is required");
    if (http_refuse_invalid(c, &v)) goto out;

    char lower[128], ukey[160], ikey[96];
    utf8_copy(lower, sizeof lower, username); /* a throttle key: cut on a character boundary */
    for (char *p = lower; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
    snprintf(ukey, sizeof ukey, "user:%s", lower);
    snprintf(ikey, sizeof ikey, "ip:%s", c->client_ip);

    if (http_db(c) == NULL) goto out;
    const char *tv[] = {ukey, ikey};
    PGresult *r = api_run(c, &STMT_THROTTLED, tv, "checking login throttling");
    if (r == NULL) goto out;
    if (!PQgetisnull(r, 0, 0)) {
        int secs = atoi(PQgetvalue(r, 0, 0));
        char ra[16];
        snprintf(ra, sizeof ra, "%d", secs < 1 ? 1 : secs);
        PQclear(r);
        http_set_header(c, "Retry-After", ra);
        respond_problem(c, 429, "Too many failed sign-ins; wait before trying again.");
        goto out;
    }
    PQclear(r);

    const char *uv[] = {lower};
    r = api_run(c, &STMT_USER_BY_NAME, uv, "reading the user");
    if (r == NULL) goto out;
    caller who;
    int ok = 0;
    char hash[AUTH_HASH_LEN] = "";
    int found = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 5), "t") == 0;
    if (found) {
        snprintf(hash, sizeof hash, "%s", PQgetvalue(r, 0, 1));
        fill_caller(&who, r, 0, 2, 3, 4);
    }
    PQclear(r);
    /* Hashing is slow: give the connection back while it runs. */
    pool_release(c->pool, c->db);
    c->db = NULL;
    if (found) ok = password_verify(hash, password);
    else password_dummy_verify(password);
    if (http_db(c) == NULL) goto out;

    if (!ok) {
        char mu[16], mi[16], win[16];
        snprintf(mu, sizeof mu, "%d", c->cfg->login_max_user);
        snprintf(mi, sizeof mi, "%d", c->cfg->login_max_ip);
        snprintf(win, sizeof win, "%d", c->cfg->login_window);
        const char *fv[] = {ukey, ikey, mu, mi, win};
        r = api_run(c, &STMT_FAILED, fv, "recording a failed login");
        if (r == NULL) goto out;
        PQclear(r);
        http_set_header(c, "WWW-Authenticate", "Bearer realm=\"bdhvs\"");
        respond_problem(c, 401, "The username or password is wrong.");
        goto out;
    }
    if (db_begin(c->db) != 0) {
        respond_problem(c, 503, "The database is unavailable; try again shortly.");
        goto out;
    }
    char uid[24];
    snprintf(uid, sizeof uid, "%lld", who.user_id);
    const char *ov[] = {uid, ukey};
    r = api_run(c, &STMT_LOGIN_OK, ov, "recording the login");
    if (r == NULL) goto out;
    PQclear(r);
    c->who = who; /* for the log line */
    c->authed = 1;
    issue_pair(c, &who, 0);
out:
    verrs_free(&v);
    json_decref(body);
}

/* Reads {"refresh_token": "..."} into hash. Returns 0, or -1 after answering. */
static int read_refresh_body(http_ctx *c, char hash[65])
{
    static const char *const fields[] = {"refresh_token", NULL};
    json_t *body = http_json_body(c, 0);
    if (body == NULL) return -1;
    verrs v;
    verrs_init(&v);
    const char *tok = NULL;
    json_refuse_unknown(body, fields, &v);
    if (jfield_string(body, "refresh_token", 1, 200, &tok, &v) == 0)
        verrs_add(&v, "refresh_token", "is required");
    int rc = http_refuse_invalid(c, &v) ? -1 : 0;
    if (rc == 0) token_hash(tok, hash);
    verrs_free(&v);
    json_decref(body);
    return rc;
}

void auth_refresh(http_ctx *c)
{
    char hash[65];
    if (read_refresh_body(c, hash) != 0) return;
    if (http_db(c) == NULL) return;
    if (db_begin(c->db) != 0) {
        respond_problem(c, 503, "The database is unavailable; try again shortly.");
        return;
    }
    const char *v[] = {hash};
    PGresult *r = api_run(c, &STMT_REFRESH_FIND, v, "reading the refresh token");
    if (r == NULL) return;
    if (PQntuples(r) != 1) {
        PQclear(r);
        db_rollback(c->db);
        respond_problem(c, 401, "The refresh token is invalid, expired or revoked.");
        return;
    }
    long long family = atoll(PQgetvalue(r, 0, 1));
    int reused = strcmp(PQgetvalue(r, 0, 2), "t") == 0;
    int dead = strcmp(PQgetvalue(r, 0, 3), "t") == 0 || strcmp(PQgetvalue(r, 0, 8), "t") != 0;
    caller who;
    fill_caller(&who, r, 4, 5, 6, 7);
    char id[24];
    snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    if (reused && !dead) {
        /* A rotated token came back: someone holds a copy. Revoke the whole chain. */
        char fam[24];
        snprintf(fam, sizeof fam, "%lld", family);
        const char *fv[] = {fam};
        r = api_run(c, &STMT_FAMILY_REVOKE, fv, "revoking a refresh token chain");
        if (r == NULL) return;
        PQclear(r);
        if (api_commit(c) != 0) return;
        log_msg(LOG_WARN, "refresh token reuse for user %lld: chain revoked (request %s)", who.user_id,
                c->request_id);
        respond_problem(c, 401, "The refresh token was already used; every session of this sign-in is revoked.");
        return;
    }
    if (dead || reused) {
        db_rollback(c->db);
        respond_problem(c, 401, "The refresh token is invalid, expired or revoked.");
        return;
    }
    const char *uv[] = {id};
    r = api_run(c, &STMT_REFRESH_USE, uv, "rotating the refresh token");
    if (r == NULL) return;
    PQclear(r);
    c->who = who;
    c->authed = 1;
    issue_pair(c, &who, family);
}

void auth_logout(http_ctx *c)
{
    char hash[65], uid[24];
    if (read_refresh_body(c, hash) != 0) return;
    if (http_db(c) == NULL) return;
    snprintf(uid, sizeof uid, "%lld", c->who.user_id);
    const char *v[] = {hash, uid};
    PGresult *r = api_run(c, &STMT_LOGOUT, v, "revoking the refresh token");
    if (r == NULL) return;
    PQclear(r);
    respond_empty(c, 204);
}

void auth_me(http_ctx *c)
{
    if (http_db(c) == NULL) return;
    char uid[24];
    snprintf(uid, sizeof uid, "%lld", c->who.user_id);
    const char *v[] = {uid};
    PGresult *r = api_run(c, &STMT_ME, v, "reading the current user");
    if (r == NULL) return;
    if (PQntuples(r) != 1) {
        http_set_header(c, "WWW-Authenticate", "Bearer realm=\"bdhvs\", error=\"invalid_token\"");
        respond_problem(c, 401, "This account no longer exists or is disabled.");
    } else {
        respond_resource_text(c, 200, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
    }
    PQclear(r);
}
