/* Login, refresh, logout, the current user, and bearer-token verification. */
#include "common.h"
#include "handlers.h"
#include "bdhvs/rights.h"
#include "bdhvs/client_addr.h"

#include "bdhvs/cors.h"

#include <sodium.h>
#include <time.h>

/* The refresh cookie (BDHVS_REFRESH_COOKIE): sent only to the auth endpoints. */
#define REFRESH_COOKIE "bdhvs_refresh"
#define REFRESH_COOKIE_PATH "/api/v1/auth"

/* Sets the refresh cookie to value (NULL: clears it). */
static void set_refresh_cookie(http_ctx *c, const char *value)
{
    char cookie[256];
    snprintf(cookie, sizeof cookie, "%s=%s; Path=%s; Max-Age=%d; HttpOnly; SameSite=Strict%s", REFRESH_COOKIE,
             value ? value : "", REFRESH_COOKIE_PATH, value ? c->cfg->refresh_ttl : 0,
             c->cfg->refresh_cookie == 2 ? "; Secure" : "");
    http_set_header(c, "Set-Cookie", cookie);
}

/* A request that sets or uses the refresh cookie must come from the server's own origin or one
 * named in BDHVS_CORS_ORIGINS (not "*"): with SameSite=Strict, this keeps other sites' pages
 * from using a browser's cookie (CSRF). Returns 0, or 1 after answering 403. */
static int refuse_cookie_origin(http_ctx *c)
{
    const char *origin = http_header(c, "Origin");
    if (origin != NULL &&
        (cors_same_origin(origin, http_header(c, "Host")) || cors_origin_listed(c->cfg->cors_origins, origin)))
        return 0;
    respond_problem(c, 403,
                    origin == NULL ? "The refresh cookie is used only with an Origin header (from a browser)."
                                   : "The refresh cookie is not used from this origin.");
    return 1;
}

/* Sign-in throttling (see migrations/0013_accounts.sql): one attempt is reserved from the
 * account's, the account-and-address pair's and the address's budgets before the password is
 * verified, all or nothing. A failed guess keeps its reservation; anything else gives it back. */
DB_STMT(STMT_RESERVE, "auth_reserve", "SELECT auth_reserve(ARRAY[$1, $2, $3], ARRAY[$4, $5, $6]::int[], $7, $8, $9, $1)", 9);

DB_STMT(STMT_RELEASE, "auth_release", "SELECT auth_release(ARRAY[$1, $2, $3], $4, $5)", 5);

DB_STMT(STMT_TIDY, "auth_tidy", "SELECT auth_tidy($1, $2)", 2);

DB_STMT(STMT_USER_BY_NAME, "auth_user_by_name",
    "SELECT id, password_hash, role, coalesce(unit_id, 0), username, active, cred_version FROM users WHERE username = $1", 1);

DB_STMT(STMT_USER_BY_ID, "auth_user_by_id",
    "SELECT id, password_hash, role, coalesce(unit_id, 0), username, active, cred_version FROM users WHERE id = $1 AND active", 1);

DB_STMT(STMT_LOGIN_OK, "auth_login_ok", "UPDATE users SET last_login_at = now() WHERE id = $1", 1);

DB_STMT(STMT_REFRESH_INSERT, "auth_refresh_insert",
    "WITH s AS (SELECT coalesce((SELECT login_at FROM refresh_tokens WHERE id = $5), now()) AS login_at)"
    " INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at, login_at)"
    " SELECT $1, $2, $3, least(now() + make_interval(secs => $4), s.login_at + make_interval(secs => $6)), s.login_at"
    " FROM s", 6);

DB_STMT(STMT_REFRESH_FIND, "auth_refresh_find",
    "SELECT rt.id, rt.family_id, rt.used_at IS NOT NULL, rt.revoked_at IS NOT NULL OR rt.expires_at <= now(),"
    " u.id, u.role, coalesce(u.unit_id, 0), u.username, u.active,"
    " rt.login_at <= now() - make_interval(secs => $2),"
    " rt.used_at > now() - make_interval(secs => $3),"
    " floor(extract(epoch FROM coalesce(rt.used_at, now())))::bigint, u.cred_version"
    " FROM refresh_tokens rt JOIN users u ON u.id = rt.user_id WHERE rt.token_hash = $1 FOR UPDATE OF rt", 3);

DB_STMT(STMT_REFRESH_SUCCESSOR, "auth_refresh_successor",
    "SELECT 1 FROM refresh_tokens WHERE token_hash = $1 AND family_id = $2 AND revoked_at IS NULL AND expires_at > now()", 2);

DB_STMT(STMT_REFRESH_USE, "auth_refresh_use", "UPDATE refresh_tokens SET used_at = now() WHERE id = $1", 1);

DB_STMT(STMT_FAMILY_REVOKE, "auth_family_revoke",
    "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL", 1);

DB_STMT(STMT_LOGOUT, "auth_logout",
    "UPDATE refresh_tokens SET revoked_at = now() WHERE revoked_at IS NULL AND family_id ="
    " (SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND user_id = $2)", 2);

DB_STMT(STMT_SET_PASSWORD, "auth_set_password",
    "WITH b AS (SELECT user_json(u) AS j FROM users u WHERE u.id = $1 FOR UPDATE),"
    " r AS (UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL),"
    " t AS (UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL)"
    " UPDATE users u SET password_hash = $2, cred_version = u.cred_version + 1, updated_at = now() FROM b"
    " WHERE u.id = $1 AND u.active"
    " RETURNING b.j, user_json(u), u.cred_version", 2);

DB_STMT(STMT_API_TOKEN, "auth_api_token",
    "SELECT u.id, u.role, coalesce(u.unit_id, 0), u.username, t.id,"
    " t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute'"
    " FROM api_tokens t JOIN users u ON u.id = t.user_id"
    " WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_on >= current_date AND u.active", 1);

DB_STMT(STMT_API_TOKEN_TOUCH, "auth_api_token_touch", "UPDATE api_tokens SET last_used_at = now() WHERE id = $1", 1);

DB_STMT(STMT_USER_STATE, "auth_user_state",
    "SELECT id, role, coalesce(unit_id, 0), username, cred_version FROM users WHERE id = $1 AND active", 1);

DB_STMT(STMT_ME, "auth_me", "SELECT user_json(u) FROM users u WHERE u.id = $1 AND u.active", 1);

int api_init(const bdhvs_config *cfg)
{
    if (auth_init() != 0) return -1;
    hash_gate_init(cfg->hash_concurrency);
    return rights_start(cfg->database_url);
}

void api_shutdown(void)
{
    rights_stop();
}

static void fill_caller(caller *who, PGresult *r, int col_id, int col_role, int col_unit, int col_name, int col_cv)
{
    memset(who, 0, sizeof *who);
    who->user_id = atoll(PQgetvalue(r, 0, col_id));
    who->role = role_parse(PQgetvalue(r, 0, col_role));
    who->unit_id = atoll(PQgetvalue(r, 0, col_unit));
    who->all_units = who->role == ROLE_ADMIN || who->role == ROLE_INTEGRATION;
    snprintf(who->username, sizeof who->username, "%s", PQgetvalue(r, 0, col_name));
    if (col_cv >= 0) who->cred_version = atoll(PQgetvalue(r, 0, col_cv));
}

int api_authenticate(http_ctx *c, const char *token, caller *who)
{
    if (strncmp(token, "bdh_", 4) != 0) {
        if (jwt_check(token, (const unsigned char *)c->cfg->jwt_secret, c->cfg->jwt_secret_len, time(NULL), who) != 0)
            return 401;
        /* The signature proves who it is; the database says what they may do now, so that a
         * disabled, demoted or moved account loses its rights at once, not when the token expires,
         * and a token issued before the last password change is void. */
        long long cv = who->cred_version;
        unsigned long long ticket;
        if (rights_get(who->user_id, who, &ticket)) return cv != who->cred_version ? 401 : 0;
        if (c->on_loop) return HTTP_AUTH_LATER;
        if (api_db(c) == NULL) return 503;
        db_args v;
        db_args_of(&v, db_int(who->user_id));
        PGresult *r = db_run(api_conn(c), &STMT_USER_STATE, &v);
        if (!db_ok(r)) {
            db_err e = db_error_class(api_conn(c), r);
            PQclear(r);
            return e == DB_ERR_UNAVAILABLE ? 503 : 401;
        }
        int found = PQntuples(r) == 1;
        if (found) fill_caller(who, r, 0, 1, 2, 3, 4);
        PQclear(r);
        if (!found || (!who->all_units && who->unit_id == 0)) return 401;
        rights_put(who, ticket);
        return cv != who->cred_version ? 401 : 0;
    }
    if (strlen(token) > 200) return 401;
    if (c->on_loop) return HTTP_AUTH_LATER;
    if (api_db(c) == NULL) return 503;
    char hash[65];
    token_hash(token, hash);
    db_args v;
    db_args_of(&v, db_text(hash));
    PGresult *r = db_run(api_conn(c), &STMT_API_TOKEN, &v);
    if (!db_ok(r)) {
        db_err e = db_error_class(api_conn(c), r);
        PQclear(r);
        return e == DB_ERR_UNAVAILABLE ? 503 : 401;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        return 401;
    }
    fill_caller(who, r, 0, 1, 2, 3, -1);
    who->via_api_token = 1;
    if (strcmp(PQgetvalue(r, 0, 5), "t") == 0) {
        db_args tv;
        db_args_of(&tv, db_text(PQgetvalue(r, 0, 4)));
        PQclear(db_run(api_conn(c), &STMT_API_TOKEN_TOUCH, &tv));
    }
    PQclear(r);
    if (!who->all_units && who->unit_id == 0) return 401;
    return 0;
}

/* Answers 200 with an access token and a refresh token (no writes). The access token's time and
 * id come from the refresh token, so that the same pair can be answered again. */
static void answer_pair(http_ctx *c, const caller *who, const char *refresh, time_t now, int cookie)
{
    char hash[65];
    token_hash(refresh, hash);
    hash[32] = '\0';
    char *access = jwt_issue_id(who, (const unsigned char *)c->cfg->jwt_secret, c->cfg->jwt_secret_len,
                                c->cfg->access_ttl, now, hash);
    if (access == NULL) {
        respond_problem(c, 500, "Could not sign the token.");
        return;
    }
    json_t *o =
        json_pack("{s:s, s:s, s:i}", "access_token", access, "token_type", "Bearer", "expires_in", c->cfg->access_ttl);
    /* In the cookie, the refresh token never reaches the page's script. */
    if (cookie)
        set_refresh_cookie(c, refresh);
    else
        json_object_set_new(o, "refresh_token", json_string(refresh));
    http_set_header(c, "Cache-Control", "no-store");
    respond_json(c, 200, o);
    json_decref(o);
    free(access);
}

/* Stores refresh (NULL: a new random one, a new chain) in family inside the open transaction,
 * commits and answers 200 with the pair. parent_id: the rotated token's row, whose chain's
 * sign-in time the new token keeps (NULL: the sign-in is now). */
static void issue_pair(http_ctx *c, const caller *who, long long family, const char *refresh, const char *parent_id,
                       time_t now, int cookie)
{
    char fresh[64], hash[65];
    if (refresh == NULL) {
        token_random("bdr_", fresh, sizeof fresh);
        refresh = fresh;
    }
    token_hash(refresh, hash);
    if (family == 0) {
        randombytes_buf(&family, sizeof family);
        family = (family & 0x3FFFFFFFFFFFFFFFLL) | 1;
    }
    db_args v;
    db_args_of(&v, db_int(who->user_id), db_int(family), db_text(hash), db_int(c->cfg->refresh_ttl),
                   db_text(parent_id), db_int(c->cfg->session_max_age));
    PGresult *r = api_run(c, &STMT_REFRESH_INSERT, &v, "storing the refresh token");
    if (r == NULL) return;
    PQclear(r);
    if (api_commit(c) != 0) return;
    answer_pair(c, who, refresh, now, cookie);
}

int api_hash_enter(http_ctx *c)
{
    if (hash_gate_enter(c->cfg->hash_queue_ms) == 0) return 0;
    http_set_header(c, "Retry-After", "1");
    respond_problem(c, 503, "The server is busy checking passwords; try again shortly.");
    return -1;
}

int api_password_hash(http_ctx *c, const char *password, char out[AUTH_HASH_LEN])
{
    if (api_hash_enter(c) != 0) return -1;
    int rc = password_hash(password, out);
    hash_gate_leave();
    if (rc != 0) {
        respond_problem(c, 503, "Could not hash the password; try again.");
        return -1;
    }
    return 0;
}

/* The throttling keys of a sign-in attempt for username (any case) from the request's address. */
typedef struct throttle_keys {
    char acct[160], pair[240], ip[96], known[240];
} throttle_keys;

static void make_keys(http_ctx *c, const char *username, throttle_keys *k)
{
    char lower[128];
    utf8_copy(lower, sizeof lower, username); /* a throttle key: cut on a character boundary */
    for (char *p = lower; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
    char where[80];
    client_addr_throttle_unit(c->client_ip, where, sizeof where);
    snprintf(k->acct, sizeof k->acct, "acct:%s", lower);
    snprintf(k->pair, sizeof k->pair, "ua:%s|%s", lower, where);
    snprintf(k->ip, sizeof k->ip, "ip:%s", where);
    snprintf(k->known, sizeof k->known, "%s|%s", lower, where);
}

/* Reserves one attempt. Returns 0, or -1 after answering (429 with Retry-After, or a database error). */
static int throttle_reserve(http_ctx *c, const throttle_keys *k)
{
    db_args v;
    db_args_of(&v, db_text(k->acct), db_text(k->pair), db_text(k->ip),
                   db_int(c->cfg->login_max_account), db_int(c->cfg->login_max_user),
                   db_int(c->cfg->login_max_ip), db_int(c->cfg->login_window), db_text(k->known),
                   db_int(c->cfg->session_max_age));
    PGresult *r = api_run(c, &STMT_RESERVE, &v, "checking sign-in throttling");
    if (r == NULL) return -1;
    int wait = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (wait <= 0) return 0;
    char ra[16];
    snprintf(ra, sizeof ra, "%d", wait);
    http_set_header(c, "Retry-After", ra);
    log_msg(LOG_WARN, "sign-in refused by throttling: %s from %s (request %s)", k->acct + 5, c->client_ip,
            c->request_id);
    respond_problem(c, 429, "Too many failed sign-ins; wait before trying again.");
    return -1;
}

/* Gives a reservation back; success also forgets the account-and-address key. */
static void throttle_release(http_ctx *c, const throttle_keys *k, int success)
{
    if (c->app_req == NULL) c->app_req = pool_checkout(api_pool(c));
    if (c->app_req == NULL) return;
    db_args v;
    db_args_of(&v, db_text(k->acct), db_text(k->pair), db_text(k->ip),
                   db_text(success ? k->pair : NULL), db_text(success ? k->known : NULL));
    PGresult *r = db_run(api_conn(c), &STMT_RELEASE, &v);
    if (!db_ok(r)) log_msg(LOG_ERROR, "could not release a sign-in reservation (request %s)", c->request_id);
    PQclear(r);
}

/* Audits a sign-in attempt (never the password): action "login" or "login_failed", entity
 * "session", the account's id when known, and the address. Returns 0, or -1 after answering. */
static int audit_signin(http_ctx *c, const char *action, long long user_id, const char *username)
{
    json_t *o = json_pack("{s:s, s:s}", "username", username, "address", c->client_ip);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (text == NULL) {
        respond_problem(c, 500, "Could not write the audit record.");
        return -1;
    }
    int rc = api_audit_id(c, action, "session", user_id, NULL, text);
    free(text);
    return rc;
}

/* The throttled check of a password: reserves an attempt for the account named in k, reads the
 * account with st run with args (its name or id; columns id, password_hash, role, unit, username,
 * active), gives the connection back and verifies password at the hash gate (a dummy
 * verification when there is no such active account). With next, a match also hashes next into
 * next_hash in the same turn. Returns 1 on a match (the reservation given back, who filled), 0 on
 * a wrong password or no account (the reservation kept, who->user_id the account's id or 0), -1
 * after answering (throttled, busy, database). The connection is checked out again on return. */
static int verify_throttled(http_ctx *c, const throttle_keys *k, db_stmt *st, const db_args *args,
                            const char *password, caller *who, const char *next, char next_hash[AUTH_HASH_LEN])
{
    memset(who, 0, sizeof *who);
    if (api_db(c) == NULL || throttle_reserve(c, k) != 0) return -1;
    PGresult *r = api_run(c, st, args, "reading the user");
    if (r == NULL) {
        throttle_release(c, k, 0);
        return -1;
    }
    char hash[AUTH_HASH_LEN] = "";
    int found = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 5), "t") == 0;
    if (found) {
        snprintf(hash, sizeof hash, "%s", PQgetvalue(r, 0, 1));
        fill_caller(who, r, 0, 2, 3, 4, 6);
    }
    PQclear(r);
    /* Hashing is slow: give the connection back while it runs, and wait for a turn. */
    api_release(c);
    if (api_hash_enter(c) != 0) {
        throttle_release(c, k, 0);
        return -1;
    }
    int ok = 0, hashed = 1;
    if (found) ok = password_verify(hash, password);
    else password_dummy_verify(password);
    if (ok && next) hashed = password_hash(next, next_hash) == 0;
    hash_gate_leave();
    if (api_db(c) == NULL) return -1; /* the reservation stays: it counts as a failure */
    db_args tv;
    db_args_of(&tv, db_int(c->cfg->login_window), db_int(c->cfg->session_max_age));
    PGresult *t = db_run(api_conn(c), &STMT_TIDY, &tv);
    if (!db_ok(t)) log_msg(LOG_WARN, "could not tidy sign-in throttling rows (request %s)", c->request_id);
    PQclear(t);
    if (!ok) return 0;
    throttle_release(c, k, 1);
    if (!hashed) {
        respond_problem(c, 503, "Could not hash the password; try again.");
        return -1;
    }
    return 1;
}

/* The optional "refresh_cookie" of a sign-in body: 1 when true, 0 when absent or false; an error
 * in v when it is not a boolean or the server has no refresh cookies. */
static int read_cookie_choice(http_ctx *c, json_t *body, verrs *v)
{
    int cookie = 0;
    if (jfield_bool(body, "refresh_cookie", &cookie, v) == 1 && cookie && !c->cfg->refresh_cookie) {
        verrs_add(v, "refresh_cookie", "is not enabled on this server (BDHVS_REFRESH_COOKIE)");
        cookie = 0;
    }
    return cookie;
}

void auth_login(http_ctx *c)
{
    static const char *const fields[] = {"username", "password", "refresh_cookie", NULL};
    json_t *body = http_json_body(c, 0);
    if (body == NULL) return;
    verrs v;
    verrs_init(&v);
    const char *username = NULL, *password = NULL;
    json_refuse_unknown(body, fields, &v);
    if (jfield_string(body, "username", 1, 100, &username, &v) == 0) verrs_add(&v, "username", "is required");
    if (jfield_string(body, "password", 1, 1024, &password, &v) == 0) verrs_add(&v, "password", "is required");
    int cookie = read_cookie_choice(c, body, &v);
    if (http_refuse_invalid(c, &v) || (cookie && refuse_cookie_origin(c))) goto out;

    throttle_keys k;
    make_keys(c, username, &k);
    const char *lower = k.acct + 5;
    caller who;
    db_args nv;
    db_args_of(&nv, db_text(lower));
    int ok = verify_throttled(c, &k, &STMT_USER_BY_NAME, &nv, password, &who, NULL, NULL);
    if (ok < 0) goto out;
    if (ok == 0) {
        if (audit_signin(c, "login_failed", who.user_id, lower) != 0) goto out;
        http_set_header(c, "WWW-Authenticate", "Bearer realm=\"bdhvs\"");
        respond_problem(c, 401, "The username or password is wrong.");
        goto out;
    }
    if (db_begin(api_conn(c)) != 0) {
        respond_problem(c, 503, "The database is unavailable; try again shortly.");
        goto out;
    }
    db_args ov;
    db_args_of(&ov, db_int(who.user_id));
    PGresult *r = api_run(c, &STMT_LOGIN_OK, &ov, "recording the login");
    if (r == NULL) goto out;
    PQclear(r);
    c->who = who; /* for the log line and the audit record */
    c->authed = 1;
    if (audit_signin(c, "login", who.user_id, who.username) != 0) goto out;
    issue_pair(c, &who, 0, NULL, NULL, time(NULL), cookie);
out:
    verrs_free(&v);
    json_decref(body);
}

/* Reads the refresh token into hash: {"refresh_token": "..."}, or with refresh cookies on, the
 * cookie when the body is empty or has no refresh_token (*from_cookie set, the Origin checked).
 * Returns 0, or -1 after answering. */
static int read_refresh_body(http_ctx *c, char hash[65], int *from_cookie)
{
    static const char *const fields[] = {"refresh_token", NULL};
    char jar[256];
    const char *cookie = c->cfg->refresh_cookie ? http_cookie(c, REFRESH_COOKIE, jar, sizeof jar) : NULL;
    if (cookie != NULL && *cookie == '\0') cookie = NULL;
    *from_cookie = 0;
    size_t blen;
    http_body(c, &blen);
    json_t *body = NULL;
    if (blen > 0 || cookie == NULL) {
        body = http_json_body(c, 0);
        if (body == NULL) return -1;
    }
    verrs v;
    verrs_init(&v);
    const char *tok = NULL;
    if (body != NULL) json_refuse_unknown(body, fields, &v);
    if ((body == NULL || jfield_string(body, "refresh_token", 1, 200, &tok, &v) == 0) && verrs_count(&v) == 0) {
        if (cookie != NULL) {
            tok = cookie;
            *from_cookie = 1;
        } else {
            verrs_add(&v, "refresh_token", "is required");
        }
    }
    int rc = http_refuse_invalid(c, &v) || (*from_cookie && refuse_cookie_origin(c)) ? -1 : 0;
    if (rc == 0) token_hash(tok, hash);
    verrs_free(&v);
    json_decref(body);
    return rc;
}

/* Answers 401 for a refresh token that is no good; a cookie that held it is cleared. */
static void refuse_refresh(http_ctx *c, int cookie, const char *detail)
{
    if (cookie) set_refresh_cookie(c, NULL);
    respond_problem(c, 401, detail);
}

/* Revokes family, commits and answers 401 with detail. */
static void revoke_chain(http_ctx *c, long long family, const char *detail, int cookie)
{
    db_args fv;
    db_args_of(&fv, db_int(family));
    PGresult *r = api_run(c, &STMT_FAMILY_REVOKE, &fv, "revoking a refresh token chain");
    if (r == NULL) return;
    PQclear(r);
    if (api_commit(c) != 0) return;
    refuse_refresh(c, cookie, detail);
}

void auth_refresh(http_ctx *c)
{
    char hash[65];
    int cookie;
    if (read_refresh_body(c, hash, &cookie) != 0) return;
    if (api_db(c) == NULL) return;
    if (db_begin(api_conn(c)) != 0) {
        respond_problem(c, 503, "The database is unavailable; try again shortly.");
        return;
    }
    db_args v;
    db_args_of(&v, db_text(hash), db_int(c->cfg->session_max_age), db_int(c->cfg->refresh_grace));
    PGresult *r = api_run(c, &STMT_REFRESH_FIND, &v, "reading the refresh token");
    if (r == NULL) return;
    if (PQntuples(r) != 1) {
        PQclear(r);
        db_rollback(api_conn(c));
        refuse_refresh(c, cookie, "The refresh token is invalid, expired or revoked.");
        return;
    }
    long long family = atoll(PQgetvalue(r, 0, 1));
    int reused = strcmp(PQgetvalue(r, 0, 2), "t") == 0;
    int dead = strcmp(PQgetvalue(r, 0, 3), "t") == 0 || strcmp(PQgetvalue(r, 0, 8), "t") != 0;
    int too_old = strcmp(PQgetvalue(r, 0, 9), "t") == 0;
    int in_grace = strcmp(PQgetvalue(r, 0, 10), "t") == 0;
    time_t at = (time_t)atoll(PQgetvalue(r, 0, 11));
    caller who;
    fill_caller(&who, r, 4, 5, 6, 7, 12);
    char id[24];
    snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    if (dead) {
        db_rollback(api_conn(c));
        refuse_refresh(c, cookie, "The refresh token is invalid, expired or revoked.");
        return;
    }
    if (too_old) {
        revoke_chain(c, family, "This sign-in has reached its maximum age; sign in again.", cookie);
        return;
    }
    /* The successor is derived from this token, so a retry can be answered with it again. */
    char next[64], next_hash[65];
    token_successor((const unsigned char *)c->cfg->jwt_secret, c->cfg->jwt_secret_len, hash, next, sizeof next);
    if (reused && in_grace) {
        /* Two tabs or a retry after a lost answer: the same new pair, if it is still good. */
        token_hash(next, next_hash);
        db_args sv;
        db_args_of(&sv, db_text(next_hash), db_int(family));
        r = api_run(c, &STMT_REFRESH_SUCCESSOR, &sv, "reading the refresh token");
        if (r == NULL) return;
        int good = PQntuples(r) == 1;
        PQclear(r);
        db_rollback(api_conn(c));
        if (!good) {
            refuse_refresh(c, cookie, "The refresh token is invalid, expired or revoked.");
            return;
        }
        c->who = who;
        c->authed = 1;
        answer_pair(c, &who, next, at, cookie);
        return;
    }
    if (reused) {
        /* A rotated token came back after the grace period: someone holds a copy. */
        log_msg(LOG_WARN, "refresh token reuse for user %lld: chain revoked (request %s)", who.user_id,
                c->request_id);
        revoke_chain(c, family, "The refresh token was already used; every session of this sign-in is revoked.",
                     cookie);
        return;
    }
    db_args uv;
    db_args_of(&uv, db_text(id));
    r = api_run(c, &STMT_REFRESH_USE, &uv, "rotating the refresh token");
    if (r == NULL) return;
    PQclear(r);
    c->who = who;
    c->authed = 1;
    issue_pair(c, &who, family, next, id, at, cookie);
}

/* POST /me/password: the owner changes the password with the current one. Every other sign-in
 * and every API token of the account is revoked; the answer is a new pair for this client. */
void auth_change_password(http_ctx *c)
{
    static const char *const fields[] = {"current_password", "new_password", "refresh_cookie", NULL};
    json_t *body = http_json_body(c, 0);
    if (body == NULL) return;
    verrs v;
    verrs_init(&v);
    const char *cur = NULL, *next = NULL;
    json_refuse_unknown(body, fields, &v);
    if (jfield_string(body, "current_password", 1, 1024, &cur, &v) == 0)
        verrs_add(&v, "current_password", "is required");
    if (jfield_string(body, "new_password", 10, 1024, &next, &v) == 0 && json_object_get(body, "new_password") == NULL)
        verrs_add(&v, "new_password", "is required");
    if (cur && next && strcmp(cur, next) == 0) verrs_add(&v, "new_password", "must differ from the current password");
    int cookie = read_cookie_choice(c, body, &v);
    if (http_refuse_invalid(c, &v) || (cookie && refuse_cookie_origin(c))) goto out;

    throttle_keys k;
    make_keys(c, c->who.username, &k);
    char fresh[AUTH_HASH_LEN];
    caller who;
    db_args iv;
    db_args_of(&iv, db_int(c->who.user_id));
    int ok = verify_throttled(c, &k, &STMT_USER_BY_ID, &iv, cur, &who, next, fresh);
    if (ok < 0) goto out;
    if (ok == 0 && who.user_id == 0) {
        respond_problem(c, 401, "This account no longer exists or is disabled.");
        goto out;
    }
    if (ok == 0) {
        verrs_add(&v, "current_password", "is wrong");
        http_refuse_invalid(c, &v);
        goto out;
    }
    if (api_begin(c) != 0) goto out;
    db_args pv;
    db_args_of(&pv, db_int(c->who.user_id), db_text(fresh));
    PGresult *r = api_run(c, &STMT_SET_PASSWORD, &pv, "changing the password");
    if (r == NULL) goto out;
    if (PQntuples(r) != 1) {
        PQclear(r);
        db_rollback(api_conn(c));
        respond_problem(c, 401, "This account no longer exists or is disabled.");
        goto out;
    }
    who.cred_version = atoll(PQgetvalue(r, 0, 2));
    int failed = api_audit_id(c, "password_change", "user", c->who.user_id, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
    PQclear(r);
    if (failed) goto out;
    rights_forget(who.user_id);
    issue_pair(c, &who, 0, NULL, NULL, time(NULL), cookie);
out:
    verrs_free(&v);
    json_decref(body);
}

void auth_logout(http_ctx *c)
{
    char hash[65];
    int cookie;
    if (read_refresh_body(c, hash, &cookie) != 0) return;
    if (api_db(c) == NULL) return;
    db_args v;
    db_args_of(&v, db_text(hash), db_int(c->who.user_id));
    PGresult *r = api_run(c, &STMT_LOGOUT, &v, "revoking the refresh token");
    if (r == NULL) return;
    PQclear(r);
    if (cookie) set_refresh_cookie(c, NULL);
    respond_empty(c, 204);
}

void auth_me(http_ctx *c)
{
    if (api_db(c) == NULL) return;
    db_args v;
    db_args_of(&v, db_int(c->who.user_id));
    PGresult *r = api_run(c, &STMT_ME, &v, "reading the current user");
    if (r == NULL) return;
    if (PQntuples(r) != 1) {
        http_set_header(c, "WWW-Authenticate", "Bearer realm=\"bdhvs\", error=\"invalid_token\"");
        respond_problem(c, 401, "This account no longer exists or is disabled.");
    } else {
        respond_resource_text(c, 200, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
    }
    PQclear(r);
}
