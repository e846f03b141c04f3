/* Issue 8, accounts: who manages whom (item 3), API tokens only from password sessions
 * (item 4), sign-in throttling that cannot be turned against the owner, trusted proxies and
 * atomic reservations (item 5), session age and refresh grace (item 15), bounded password
 * hashing (part of 9) and audited sign-ins (part of 14). */
#include "client.h"
#include "bdhvs/auth.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char PW[] = "right-password-1";

typedef struct signin {
    char user[64], ip[32];
    long status;
    int retry_after;
} signin;

static void *signin_once(void *arg);
static void fresh_ip(char ip[32], unsigned last);

/* Creates a user as admin (or as the given token) and returns its id; the username is written
 * into name. */
static long long make_user(const char *token, const char *prefix, const char *role, const char *unit_code,
                           char name[64], long expect)
{
    snprintf(name, 64, "%s.%s", prefix, uniq());
    json_t *b = json_pack("{s:s, s:s, s:s, s:s}", "username", name, "password", PW, "full_name", "Lê Văn Tám",
                          "role", role);
    if (unit_code) json_object_set_new(b, "unit_code", json_string(unit_code));
    resp *r = send_obj("POST", "/api/v1/users", token ? token : T_ADMIN, b);
    ck_assert_msg(r->status == expect, "creating %s (%s in %s): expected %ld, got %ld: %s", name, role,
                  unit_code ? unit_code : "-", expect, r->status, r->body ? r->body : "");
    long long id = r->status == 201 ? jint(r, "id") : 0;
    resp_free(r);
    return id;
}

static long patch_user(const char *token, long long id, const char *json)
{
    char path[64];
    snprintf(path, sizeof path, "/api/v1/users/%lld", id);
    resp *r = http_send_json("PATCH", path, token, json);
    long st = r->status;
    resp_free(r);
    return st;
}

static long delete_user(const char *token, long long id)
{
    char path[64];
    snprintf(path, sizeof path, "/api/v1/users/%lld", id);
    resp *r = http_do("DELETE", path, &(req_opts){.token = token});
    long st = r->status;
    resp_free(r);
    return st;
}

/* A fresh loopback address of the test's own (127.X.Y.Z), so that throttling by address in one
 * test never touches another. */
static void fresh_ip(char ip[32], unsigned last)
{
    unsigned char rnd[2];
    randombytes_buf(rnd, sizeof rnd);
    snprintf(ip, 32, "127.%u.%u.%u", 20u + rnd[0] % 200u, rnd[1], last);
}

static long login_from(const char *user, const char *password, const char *ip, const char *xff)
{
    json_t *b = json_pack("{s:s, s:s}", "username", user, "password", password);
    char *body = json_dumps(b, 0);
    json_decref(b);
    char h[128];
    snprintf(h, sizeof h, "X-Forwarded-For: %s", xff ? xff : "");
    req_opts o = {.body = body, .source_ip = ip};
    if (xff) o.headers[0] = h;
    resp *r = http_do("POST", "/api/v1/auth/login", &o);
    long st = r->status;
    if (st == 429 || st == 503) {
        char ra[32];
        ck_assert_msg(resp_header(r, "Retry-After", ra, sizeof ra) && atoi(ra) > 0, "%ld without Retry-After", st);
    }
    resp_free(r);
    free(body);
    return st;
}

/* ---- item 3: who manages whom ---- */

START_TEST(a_manager_cannot_take_over_a_manager_of_its_own_unit)
{
    char peer[64], name[64];
    long long id = make_user(NULL, "h8.peer", "manager", "TTYT-SD", peer, 201);
    /* sondong.manager (TTYT-SD) against a manager of TTYT-SD: no password, no disabling, no edits. */
    ck_assert_int_eq(patch_user(T_SD_MANAGER, id, "{\"password\":\"taken-over-123\"}"), 403);
    ck_assert_int_eq(patch_user(T_SD_MANAGER, id, "{\"active\":false}"), 403);
    ck_assert_int_eq(patch_user(T_SD_MANAGER, id, "{\"role\":\"viewer\"}"), 403);
    ck_assert_int_eq(patch_user(T_SD_MANAGER, id, "{\"full_name\":\"Kẻ Chiếm\"}"), 403);
    ck_assert_int_eq(delete_user(T_SD_MANAGER, id), 403);
    /* Nor make one: managers of its own unit are for the level above. */
    make_user(T_SD_MANAGER, "h8.mine", "manager", "TTYT-SD", name, 403);
    ck_assert_int_eq(login_pair(peer, PW, NULL, NULL), 200);
    /* Reading stays as before: the unit's users are in its subtree. */
    char path[64];
    snprintf(path, sizeof path, "/api/v1/users/%lld", id);
    resp *r = http_get(path, T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert(json_is_true(json_object_get(r->json, "active")));
    resp_free(r);
}
END_TEST

START_TEST(a_manager_manages_reporters_and_viewers_of_its_unit_and_managers_below)
{
    char name[64];
    long long rep = make_user(T_SD_MANAGER, "h8.rep", "reporter", "TTYT-SD", name, 201);
    long long below = make_user(T_SD_MANAGER, "h8.below", "manager", "TYT-ANLAC", name, 201);
    ck_assert_int_eq(patch_user(T_SD_MANAGER, rep, "{\"role\":\"viewer\",\"full_name\":\"Phan Thị Mai\"}"), 200);
    /* Promoting someone of its own unit to manager is the level above's decision. */
    ck_assert_int_eq(patch_user(T_SD_MANAGER, rep, "{\"role\":\"manager\"}"), 403);
    /* Moving a manager below into its own unit would make it a peer: refused. */
    ck_assert_int_eq(patch_user(T_SD_MANAGER, below, "{\"unit_code\":\"TTYT-SD\"}"), 403);
    ck_assert_int_eq(patch_user(T_SD_MANAGER, below, "{\"unit_code\":\"TYT-SONDONG\"}"), 200);
    /* Passwords are the owner's or an admin's. */
    ck_assert_int_eq(patch_user(T_SD_MANAGER, rep, "{\"password\":\"another-pass-1\"}"), 403);
    ck_assert_int_eq(patch_user(T_SD_MANAGER, below, "{\"password\":\"another-pass-1\"}"), 403);
    ck_assert_int_eq(delete_user(T_SD_MANAGER, below), 204);
    ck_assert_int_eq(delete_user(T_SD_MANAGER, rep), 204);
    /* The Department manager still creates health-centre and district managers. */
    make_user(T_SYT_MANAGER, "h8.dist", "manager", "TTYT-SD", name, 201);
    make_user(T_SYT_MANAGER, "h8.peer2", "manager", "SYT-BN", name, 403);
    /* Admin and integration accounts are an admin's alone. */
    make_user(T_SYT_MANAGER, "h8.adm", "admin", NULL, name, 403);
    /* A manager may still rename itself, but not move, promote or disable itself. */
    resp *me = http_get("/api/v1/me", T_SD_MANAGER);
    long long self = jint(me, "id");
    resp_free(me);
    ck_assert_int_eq(patch_user(T_SD_MANAGER, self, "{\"full_name\":\"Hoàng Văn Sơn\"}"), 200);
    ck_assert_int_eq(patch_user(T_SD_MANAGER, self, "{\"full_name\":\"Hoàng Văn Dũng\"}"), 200);
    ck_assert_int_eq(patch_user(T_SD_MANAGER, self, "{\"unit_code\":\"TYT-ANLAC\"}"), 403);
    ck_assert_int_eq(patch_user(T_SD_MANAGER, self, "{\"active\":false}"), 403);
}
END_TEST

static char *create_token(const char *auth, long expect, long long *id)
{
    resp *r = http_send_json("POST", "/api/v1/tokens", auth, "{\"name\":\"h8 script\"}");
    ck_assert_msg(r->status == expect, "token: expected %ld, got %ld: %s", expect, r->status, r->body);
    char *tok = r->status == 201 ? strdup(jstr(r, "token")) : NULL;
    if (id) *id = r->status == 201 ? jint(r, "id") : 0;
    resp_free(r);
    return tok;
}

static long me_status(const char *token)
{
    resp *r = http_get("/api/v1/me", token);
    long st = r->status;
    resp_free(r);
    return st;
}

static long refresh_status(const char *rt)
{
    char body[256];
    snprintf(body, sizeof body, "{\"refresh_token\":\"%s\"}", rt);
    resp *r = http_send_json("POST", "/api/v1/auth/refresh", NULL, body);
    long st = r->status;
    resp_free(r);
    return st;
}

START_TEST(owners_change_their_password_with_the_current_one)
{
    char name[64];
    make_user(NULL, "h8.owner", "reporter", "TYT-ANLAC", name, 201);
    char *a1 = NULL, *r1 = NULL, *a2 = NULL, *r2 = NULL;
    ck_assert_int_eq(login_pair(name, PW, &a1, &r1), 200);
    ck_assert_int_eq(login_pair(name, PW, &a2, &r2), 200); /* another device */
    char *api = create_token(a1, 201, NULL);
    char ip[32];
    fresh_ip(ip, 5);
    req_opts wrong = {.token = a1, .source_ip = ip,
                      .body = "{\"current_password\":\"not-the-password\",\"new_password\":\"brand-new-pass-1\"}"};
    resp *r = http_do("POST", "/api/v1/me/password", &wrong);
    ASSERT_STATUS(r, 422);
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:validation");
    resp_free(r);
    r = http_send_json("POST", "/api/v1/me/password", a1, "{\"current_password\":\"x\",\"new_password\":\"short\"}");
    ASSERT_STATUS(r, 422);
    resp_free(r);
    r = http_send_json("POST", "/api/v1/me/password", a1, "{\"new_password\":\"brand-new-pass-1\"}");
    ASSERT_STATUS(r, 422);
    resp_free(r);
    r = http_send_json("POST", "/api/v1/me/password", a1,
                       "{\"current_password\":\"right-password-1\",\"new_password\":\"brand-new-pass-1\"}");
    ASSERT_STATUS(r, 200);
    char *r3 = strdup(jstr(r, "refresh_token"));
    char *a3 = strdup(jstr(r, "access_token"));
    resp_free(r);
    /* Every other sign-in and every API token is gone; the answer's pair works. */
    ck_assert_int_eq(refresh_status(r1), 401);
    ck_assert_int_eq(refresh_status(r2), 401);
    ck_assert_int_eq(me_status(api), 401);
    /* Access tokens issued before the change are void at once, this client's old one too. */
    ck_assert_int_eq(me_status(a1), 401);
    ck_assert_int_eq(me_status(a2), 401);
    ck_assert_int_eq(me_status(a3), 200);
    ck_assert_int_eq(refresh_status(r3), 200);
    ck_assert_int_eq(login_from(name, PW, ip, NULL), 401);
    ck_assert_int_eq(login_pair(name, "brand-new-pass-1", NULL, NULL), 200);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE action = 'password_change' AND entity = 'user'"
                              " AND after->>'username' = $1", name), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE after::text LIKE '%brand-new-pass-1%'"
                              " OR before::text LIKE '%brand-new-pass-1%'", NULL), 0);
    free(a1), free(r1), free(a2), free(r2), free(a3), free(r3), free(api);
}
END_TEST

START_TEST(an_admin_sets_a_password_and_every_sign_in_and_token_ends)
{
    char name[64];
    long long id = make_user(NULL, "h8.reset", "viewer", "TYT-ANLAC", name, 201);
    char *a = NULL, *rt = NULL;
    ck_assert_int_eq(login_pair(name, PW, &a, &rt), 200);
    char *api = create_token(a, 201, NULL);
    ck_assert_int_eq(me_status(a), 200);
    ck_assert_int_eq(patch_user(T_ADMIN, id, "{\"password\":\"admin-chosen-1\"}"), 200);
    ck_assert_int_eq(me_status(a), 401);
    ck_assert_int_eq(refresh_status(rt), 401);
    ck_assert_int_eq(me_status(api), 401);
    ck_assert_int_eq(login_pair(name, "admin-chosen-1", NULL, NULL), 200);
    free(a), free(rt), free(api);
}
END_TEST

/* ---- item 4: API tokens ---- */

START_TEST(api_tokens_are_minted_only_from_a_password_session)
{
    char name[64];
    make_user(NULL, "h8.mint", "reporter", "TYT-ANLAC", name, 201);
    char *a = NULL, *rt = NULL;
    ck_assert_int_eq(login_pair(name, PW, &a, &rt), 200);
    char *api = create_token(a, 201, NULL);
    char *child = create_token(api, 403, NULL);
    ck_assert_ptr_null(child);
    /* An access token from a refresh is a password session's too. */
    char body[256];
    snprintf(body, sizeof body, "{\"refresh_token\":\"%s\"}", rt);
    resp *r = http_send_json("POST", "/api/v1/auth/refresh", NULL, body);
    ASSERT_STATUS(r, 200);
    char *t2 = create_token(jstr(r, "access_token"), 201, NULL);
    resp_free(r);
    free(a), free(rt), free(api), free(t2);
}
END_TEST

START_TEST(admins_list_and_revoke_tokens_by_user)
{
    char name[64];
    long long uid = make_user(NULL, "h8.tokuser", "reporter", "TYT-ANLAC", name, 201);
    char *a = login(name, PW);
    long long tid = 0;
    char *api = create_token(a, 201, &tid);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/tokens?user_id=%lld", uid);
    resp *r = http_get(path, T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 1);
    json_t *item = json_array_get(json_object_get(r->json, "items"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(item, "id")), tid);
    ck_assert_int_eq(json_integer_value(json_object_get(item, "user_id")), uid);
    resp_free(r);
    /* The owner may name itself; nobody else but an admin may name anyone. */
    r = http_get(path, a);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 1);
    resp_free(r);
    r = http_get(path, T_SD_MANAGER);
    ASSERT_STATUS(r, 403);
    resp_free(r);
    r = http_get("/api/v1/tokens?user_id=abc", T_ADMIN);
    ASSERT_STATUS(r, 400);
    resp_free(r);
    char del[64];
    snprintf(del, sizeof del, "/api/v1/tokens/%lld", tid);
    r = http_do("DELETE", del, &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_do("DELETE", del, &(req_opts){.token = T_ADMIN});
    ASSERT_STATUS(r, 204);
    resp_free(r);
    ck_assert_int_eq(me_status(api), 401);
    free(a), free(api);
}
END_TEST

/* ---- item 5: throttling ---- */

typedef struct guess {
    const char *user, *ip;
    long status;
} guess;

static void *guess_once(void *arg)
{
    guess *g = arg;
    json_t *b = json_pack("{s:s, s:s}", "username", g->user, "password", "wrong-guess-123");
    char *body = json_dumps(b, 0);
    json_decref(b);
    req_opts o = {.body = body, .source_ip = g->ip};
    resp *r = http_do("POST", "/api/v1/auth/login", &o);
    g->status = r->status;
    resp_free(r);
    free(body);
    return NULL;
}

START_TEST(parallel_wrong_guesses_verify_only_the_allowed_number)
{
    char name[64], ip[32];
    make_user(NULL, "h8.race", "viewer", "TYT-ANLAC", name, 201);
    fresh_ip(ip, 11);
    enum { N = 16 };
    pthread_t th[N];
    guess g[N];
    for (int i = 0; i < N; i++) {
        g[i] = (guess){name, ip, 0};
        ck_assert_int_eq(pthread_create(&th[i], NULL, guess_once, &g[i]), 0);
    }
    int n401 = 0, n429 = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        n401 += g[i].status == 401;
        n429 += g[i].status == 429;
        ck_assert_msg(g[i].status == 401 || g[i].status == 429, "guess %d: %ld", i, g[i].status);
    }
    ck_assert_int_eq(n401, 5); /* BDHVS_LOGIN_MAX_PER_USER: per account and address */
    ck_assert_int_eq(n429, N - 5);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE action = 'login_failed' AND after->>'username' = $1",
                              name), 5);
}
END_TEST

START_TEST(a_guesser_elsewhere_cannot_lock_the_owner_out)
{
    char name[64], ip[32];
    make_user(NULL, "h8.target", "viewer", "TYT-ANLAC", name, 201);
    fresh_ip(ip, 2);
    for (int i = 0; i < 5; i++) ck_assert_int_eq(login_from(name, "wrong-guess-123", ip, NULL), 401);
    for (int i = 0; i < 5; i++) ck_assert_int_eq(login_from(name, "wrong-guess-123", ip, NULL), 429);
    ck_assert_int_eq(login_from(name, PW, ip, NULL), 429); /* that address stays locked for this account */
    ck_assert_int_eq(login_from(name, PW, NULL, NULL), 200); /* the owner, from 127.0.0.1 */
}
END_TEST

START_TEST(the_account_budget_stops_a_spread_out_guesser_but_not_the_owner)
{
    char name[64], ips[11][32];
    make_user(NULL, "h8.spread", "viewer", "TYT-ANLAC", name, 201);
    ck_assert_int_eq(login_from(name, PW, NULL, NULL), 200); /* the owner's address is now known */
    /* 10 addresses × 5 guesses = the account's budget of 50 (BDHVS_LOGIN_MAX_PER_ACCOUNT). */
    for (int a = 0; a < 11; a++) fresh_ip(ips[a], (unsigned)(30 + a));
    for (int a = 0; a < 10; a++)
        for (int i = 0; i < 5; i++) ck_assert_int_eq(login_from(name, "wrong-guess-123", ips[a], NULL), 401);
    ck_assert_int_eq(login_from(name, "wrong-guess-123", ips[10], NULL), 429);
    ck_assert_int_eq(login_from(name, PW, ips[10], NULL), 429); /* even with the password, elsewhere */
    ck_assert_int_eq(login_from(name, PW, NULL, NULL), 200);
}
END_TEST

START_TEST(sign_ins_tidy_away_counts_whose_time_is_over)
{
    char key[96], known[96];
    snprintf(key, sizeof key, "ua:h8.stale.%s|192.0.2.1", uniq());
    snprintf(known, sizeof known, "h8.stale.%s|192.0.2.1", uniq());
    PGresult *res = PQexecParams(test_db(),
                                 "WITH a AS (INSERT INTO auth_throttle (key, failures, window_start)"
                                 "  VALUES ($1, 3, now() - interval '10 years'))"
                                 " INSERT INTO auth_known (key, last_ok) VALUES ($2, now() - interval '10 years')",
                                 2, NULL, (const char *const[]){key, known}, NULL, NULL, 0);
    ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    ck_assert_int_eq(login_pair("syt.viewer", demo_password(), NULL, NULL), 200);
    ck_assert_int_eq(db_count("SELECT count(*) FROM auth_throttle WHERE key = $1", key), 0);
    ck_assert_int_eq(db_count("SELECT count(*) FROM auth_known WHERE key = $1", known), 0);
}
END_TEST

static void last_signin_address(const char *user, char out[64])
{
    PGresult *res = PQexecParams(test_db(),
                                 "SELECT after->>'address' FROM audit_log WHERE entity = 'session'"
                                 " AND after->>'username' = $1 ORDER BY id DESC LIMIT 1",
                                 1, NULL, (const char *const[]){user}, NULL, NULL, 0);
    ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
    ck_assert_int_eq(PQntuples(res), 1);
    snprintf(out, 64, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
}

START_TEST(forwarded_addresses_are_believed_only_from_a_trusted_proxy)
{
    /* scripts/test starts the server with BDHVS_TRUSTED_PROXIES=127.0.0.3. */
    char name[64], addr[64], xff[64], other[64];
    make_user(NULL, "h8.proxy", "viewer", "TYT-ANLAC", name, 201);
    unsigned char rnd[2];
    randombytes_buf(rnd, sizeof rnd);
    snprintf(xff, sizeof xff, "203.0.%u.%u", rnd[0], 1u + rnd[1] % 250u);
    snprintf(other, sizeof other, "198.51.%u.%u", rnd[0], 1u + rnd[1] % 250u);
    char chain[128];
    snprintf(chain, sizeof chain, "10.1.2.3, %s, 127.0.0.3", xff);
    ck_assert_int_eq(login_from(name, PW, "127.0.0.3", chain), 200);
    last_signin_address(name, addr);
    ck_assert_str_eq(addr, xff);
    ck_assert_int_eq(login_from(name, "wrong-guess-123", "127.0.0.3", xff), 401);
    last_signin_address(name, addr);
    ck_assert_str_eq(addr, xff);
    /* From an untrusted peer the header is ignored. */
    ck_assert_int_eq(login_from(name, PW, "127.0.0.1", xff), 200);
    last_signin_address(name, addr);
    ck_assert_str_eq(addr, "127.0.0.1");
    /* Throttling follows the forwarded address: one client locked, another behind the proxy not. */
    for (int i = 0; i < 4; i++) ck_assert_int_eq(login_from(name, "wrong-guess-123", "127.0.0.3", xff), 401);
    ck_assert_int_eq(login_from(name, PW, "127.0.0.3", xff), 429);
    ck_assert_int_eq(login_from(name, PW, "127.0.0.3", other), 200);
}
END_TEST

/* ---- part of 14: sign-ins in the audit log ---- */

START_TEST(sign_ins_are_audited_with_the_address_never_the_password)
{
    char name[64];
    long long id = make_user(NULL, "h8.audit", "viewer", "TYT-ANLAC", name, 201);
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", id);
    char ip[32];
    fresh_ip(ip, 7);
    ck_assert_int_eq(login_from(name, "secret-wrong-guess", ip, NULL), 401);
    ck_assert_int_eq(login_pair(name, PW, NULL, NULL), 200);
    char nobody[64];
    snprintf(nobody, sizeof nobody, "h8.nobody.%s", uniq());
    ck_assert_int_eq(login_from(nobody, "another-secret", ip, NULL), 401);
    PGresult *res = PQexecParams(test_db(), "SELECT count(*) FROM audit_log WHERE action = 'login_failed' AND entity = 'session'"
                                 " AND entity_id = $1 AND user_id IS NULL AND after->>'address' = $2", 2, NULL,
                                 (const char *const[]){ids, ip}, NULL, NULL, 0);
    ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
    ck_assert_str_eq(PQgetvalue(res, 0, 0), "1");
    PQclear(res);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE action = 'login' AND entity = 'session'"
                              " AND entity_id = $1 AND user_id = $1::bigint AND after->>'address' = '127.0.0.1'", ids), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE action = 'login_failed' AND entity_id IS NULL"
                              " AND after->>'username' = $1", nobody), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE after::text LIKE '%secret%'"
                              " OR before::text LIKE '%secret%' OR after::text LIKE '%" "right-password-1" "%'", NULL), 0);
}
END_TEST

/* ---- item 15: session age and refresh grace ---- */

static void *refresh_thread(void *arg)
{
    return post_refresh(arg);
}

START_TEST(a_refresh_repeated_within_the_grace_period_gets_the_same_pair)
{
    char *a = NULL, *r1 = NULL;
    ck_assert_int_eq(login_pair("syt.viewer", demo_password(), &a, &r1), 200);
    /* Two tabs at once. */
    pthread_t t1, t2;
    ck_assert_int_eq(pthread_create(&t1, NULL, refresh_thread, r1), 0);
    ck_assert_int_eq(pthread_create(&t2, NULL, refresh_thread, r1), 0);
    void *v1, *v2;
    pthread_join(t1, &v1);
    pthread_join(t2, &v2);
    resp *x = v1, *y = v2;
    ASSERT_STATUS(x, 200);
    ASSERT_STATUS(y, 200);
    ck_assert_str_eq(jstr(x, "refresh_token"), jstr(y, "refresh_token"));
    ck_assert_str_eq(jstr(x, "access_token"), jstr(y, "access_token"));
    char *r2 = strdup(jstr(x, "refresh_token"));
    resp_free(x);
    resp_free(y);
    /* A retry after a lost answer: the same pair again. */
    resp *z = post_refresh(r1);
    ASSERT_STATUS(z, 200);
    ck_assert_str_eq(jstr(z, "refresh_token"), r2);
    ck_assert_int_eq(me_status(jstr(z, "access_token")), 200);
    resp_free(z);
    char hash[65];
    token_hash(r2, hash);
    ck_assert_int_eq(db_count("SELECT count(*) FROM refresh_tokens WHERE family_id = (SELECT family_id FROM refresh_tokens"
                              " WHERE token_hash = $1)", hash), 2);
    /* After the grace period (moved into the past rather than waited for) reuse is theft. */
    char h1[65];
    token_hash(r1, h1);
    PGresult *res = PQexecParams(test_db(), "UPDATE refresh_tokens SET used_at = used_at - interval '11 seconds' WHERE token_hash = $1",
                                 1, NULL, (const char *const[]){h1}, NULL, NULL, 0);
    ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    ck_assert_int_eq(refresh_status(r1), 401);
    ck_assert_int_eq(refresh_status(r2), 401);
    free(a), free(r1), free(r2);
}
END_TEST

START_TEST(refresh_stops_at_the_session_max_age)
{
    char *a = NULL, *r1 = NULL;
    ck_assert_int_eq(login_pair("syt.viewer", demo_password(), &a, &r1), 200);
    resp *x = post_refresh(r1);
    ASSERT_STATUS(x, 200);
    char *r2 = strdup(jstr(x, "refresh_token"));
    resp_free(x);
    char hash[65];
    token_hash(r2, hash);
    /* The chain keeps its sign-in time, and no token outlives it by more than 30 days. */
    ck_assert_int_eq(db_count("SELECT count(*) FROM refresh_tokens r WHERE token_hash = $1"
                              " AND login_at = (SELECT login_at FROM refresh_tokens p WHERE p.family_id = r.family_id ORDER BY id LIMIT 1)"
                              " AND expires_at <= login_at + interval '30 days'", hash), 1);
    PGresult *res = PQexecParams(test_db(),
                                 "UPDATE refresh_tokens SET login_at = now() - interval '30 days 1 second'"
                                 " WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)",
                                 1, NULL, (const char *const[]){hash}, NULL, NULL, 0);
    ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    x = post_refresh(r2);
    ASSERT_STATUS(x, 401);
    ck_assert_ptr_nonnull(strstr(jstr(x, "detail"), "maximum age"));
    resp_free(x);
    ck_assert_int_eq(login_pair("syt.viewer", demo_password(), NULL, NULL), 200);
    free(a), free(r1), free(r2);
}
END_TEST

/* ---- part of 9: bounded password hashing ---- */

static void *signin_once(void *arg)
{
    signin *s = arg;
    json_t *b = json_pack("{s:s, s:s}", "username", s->user, "password",
                          strcmp(s->user, "syt.viewer") == 0 ? demo_password() : PW);
    char *body = json_dumps(b, 0);
    json_decref(b);
    resp *r = http_do("POST", "/api/v1/auth/login", &(req_opts){.body = body, .source_ip = s->ip});
    s->status = r->status;
    char ra[32];
    s->retry_after = resp_header(r, "Retry-After", ra, sizeof ra) ? atoi(ra) : 0;
    resp_free(r);
    free(body);
    return NULL;
}

START_TEST(concurrent_sign_ins_get_200_or_503_with_retry_after)
{
    char name[64];
    make_user(NULL, "h8.crowd", "viewer", "TYT-ANLAC", name, 201);
    enum { N = 40 };
    pthread_t th[N];
    signin s[N];
    for (int i = 0; i < N; i++) {
        s[i] = (signin){.status = 0};
        snprintf(s[i].user, sizeof s[i].user, "%s", name);
        /* one address each: the account-and-address budget counts attempts in flight */
        fresh_ip(s[i].ip, (unsigned)(100 + i));
        ck_assert_int_eq(pthread_create(&th[i], NULL, signin_once, &s[i]), 0);
    }
    int ok = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        ck_assert_msg(s[i].status == 200 || s[i].status == 503, "sign-in %d: %ld", i, s[i].status);
        if (s[i].status == 503) ck_assert_int_gt(s[i].retry_after, 0);
        ok += s[i].status == 200;
    }
    ck_assert_int_gt(ok, 0);
    /* Refused turns are not failures: the account is not locked. */
    ck_assert_int_eq(login_pair(name, PW, NULL, NULL), 200);
}
END_TEST

/* Run by scripts/test against a second server started with BDHVS_HASH_CONCURRENCY=1 and
 * BDHVS_HASH_QUEUE_MS=1, so that sign-ins at once must find the gate busy. */
START_TEST(a_busy_hash_gate_answers_503_with_retry_after)
{
    enum { N = 24 };
    pthread_t th[N];
    signin s[N];
    for (int i = 0; i < N; i++) {
        s[i] = (signin){.status = 0};
        snprintf(s[i].user, sizeof s[i].user, "syt.viewer");
        fresh_ip(s[i].ip, (unsigned)(130 + i));
    }
    for (int i = 0; i < N; i++) ck_assert_int_eq(pthread_create(&th[i], NULL, signin_once, &s[i]), 0);
    int ok = 0, busy = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        ck_assert_msg(s[i].status == 200 || s[i].status == 503, "sign-in %d: %ld", i, s[i].status);
        if (s[i].status == 503) ck_assert_int_gt(s[i].retry_after, 0);
        ok += s[i].status == 200;
        busy += s[i].status == 503;
    }
    ck_assert_int_gt(ok, 0);
    ck_assert_int_gt(busy, 0);
    ck_assert_int_eq(login_pair("syt.viewer", demo_password(), NULL, NULL), 200);
}
END_TEST

Suite *h8_hash_gate_suite(void)
{
    Suite *s = suite_create("h8_hash_gate");
    TCase *t = tcase_create("h8_hash_gate");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, a_busy_hash_gate_answers_503_with_retry_after);
    suite_add_tcase(s, t);
    return s;
}

Suite *h8_accounts_suite(void)
{
    Suite *s = suite_create("h8_accounts");
    TCase *t = tcase_create("h8_accounts");
    tcase_set_timeout(t, 300);
    tcase_add_test(t, a_manager_cannot_take_over_a_manager_of_its_own_unit);
    tcase_add_test(t, a_manager_manages_reporters_and_viewers_of_its_unit_and_managers_below);
    tcase_add_test(t, owners_change_their_password_with_the_current_one);
    tcase_add_test(t, an_admin_sets_a_password_and_every_sign_in_and_token_ends);
    tcase_add_test(t, api_tokens_are_minted_only_from_a_password_session);
    tcase_add_test(t, admins_list_and_revoke_tokens_by_user);
    tcase_add_test(t, parallel_wrong_guesses_verify_only_the_allowed_number);
    tcase_add_test(t, a_guesser_elsewhere_cannot_lock_the_owner_out);
    tcase_add_test(t, the_account_budget_stops_a_spread_out_guesser_but_not_the_owner);
    tcase_add_test(t, sign_ins_tidy_away_counts_whose_time_is_over);
    tcase_add_test(t, forwarded_addresses_are_believed_only_from_a_trusted_proxy);
    tcase_add_test(t, sign_ins_are_audited_with_the_address_never_the_password);
    tcase_add_test(t, a_refresh_repeated_within_the_grace_period_gets_the_same_pair);
    tcase_add_test(t, refresh_stops_at_the_session_max_age);
    tcase_add_test(t, concurrent_sign_ins_get_200_or_503_with_retry_after);
    suite_add_tcase(s, t);
    return s;
}
