#include "client.h"
#include "bdhvs/auth.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *secret(void)
{
    const char *s = getenv("BDHVS_JWT_SECRET");
    ck_assert_msg(s != NULL && strlen(s) >= 32, "BDHVS_JWT_SECRET must be given to the API tests");
    return s;
}

static char *forge(const char *key, role_t role, long long unit, time_t now, int ttl)
{
    caller who = {.user_id = 1, .role = role, .unit_id = unit};
    snprintf(who.username, sizeof who.username, "admin");
    return jwt_issue(&who, (const unsigned char *)key, strlen(key), ttl, now);
}

static long status_with(const char *token)
{
    resp *r = http_get("/api/v1/me", token);
    long st = r->status;
    if (st == 401) {
        char v[256];
        ck_assert_ptr_nonnull(resp_header(r, "WWW-Authenticate", v, sizeof v));
        ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:unauthorized");
    }
    resp_free(r);
    return st;
}

START_TEST(login_returns_a_bearer_jwt_and_a_refresh_token)
{
    char body[256];
    snprintf(body, sizeof body, "{\"username\":\"admin\",\"password\":\"%s\"}", demo_password());
    resp *r = http_send_json("POST", "/api/v1/auth/login", NULL, body);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "token_type"), "Bearer");
    ck_assert_int_eq(jint(r, "expires_in"), 900);
    const char *at = jstr(r, "access_token");
    ck_assert_int_eq(strncmp(at, "eyJ", 3), 0);
    ck_assert_int_eq(strncmp(jstr(r, "refresh_token"), "bdr_", 4), 0);
    char cc[64];
    ck_assert_str_eq(resp_header(r, "Cache-Control", cc, sizeof cc), "no-store");
    ck_assert_int_eq(status_with(at), 200);
    resp_free(r);
}
END_TEST

START_TEST(unknown_user_and_wrong_password_get_the_same_answer)
{
    resp *a = http_send_json("POST", "/api/v1/auth/login", NULL, "{\"username\":\"syt.viewer\",\"password\":\"wrong-password\"}");
    resp *b = http_send_json("POST", "/api/v1/auth/login", NULL, "{\"username\":\"nobody.at.all\",\"password\":\"wrong-password\"}");
    ASSERT_STATUS(a, 401);
    ASSERT_STATUS(b, 401);
    ck_assert_str_eq(jstr(a, "detail"), jstr(b, "detail"));
    ck_assert_str_eq(jstr(a, "title"), jstr(b, "title"));
    ck_assert_str_eq(jstr(a, "detail"), "The username or password is wrong.");
    resp_free(a);
    resp_free(b);
}
END_TEST

START_TEST(login_bodies_are_checked)
{
    resp *r = http_send_json("POST", "/api/v1/auth/login", NULL, "{\"username\": \"admin\", ");
    ASSERT_STATUS(r, 400);
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:bad-request");
    resp_free(r);
    r = http_send_json("POST", "/api/v1/auth/login", NULL, "{\"username\":\"admin\",\"username\":\"x\",\"password\":\"p\"}");
    ASSERT_STATUS(r, 400);
    resp_free(r);
    r = http_send_json("POST", "/api/v1/auth/login", NULL, "{\"username\":\"\xff\xfe\",\"password\":\"p\"}");
    ASSERT_STATUS(r, 400);
    resp_free(r);
    req_opts text = {.body = "username=admin", .content_type = "text/plain"};
    r = http_do("POST", "/api/v1/auth/login", &text);
    ASSERT_STATUS(r, 415);
    resp_free(r);
    req_opts latin = {.body = "{}", .content_type = "application/json; charset=iso-8859-1"};
    r = http_do("POST", "/api/v1/auth/login", &latin);
    ASSERT_STATUS(r, 415);
    resp_free(r);
    r = http_send_json("POST", "/api/v1/auth/login", NULL, "[1, 2]");
    ASSERT_STATUS(r, 422);
    resp_free(r);
    r = http_send_json("POST", "/api/v1/auth/login", NULL, "42");
    ASSERT_STATUS(r, 422);
    resp_free(r);
    r = http_send_json("POST", "/api/v1/auth/login", NULL, "{\"user\":\"admin\"}");
    ASSERT_STATUS(r, 422);
    json_t *errs = json_object_get(r->json, "errors");
    ck_assert_uint_eq(json_array_size(errs), 3); /* user unknown, username and password missing */
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(errs, 0), "field")), "user");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(errs, 1), "field")), "username");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(errs, 2), "field")), "password");
    resp_free(r);
}
END_TEST

START_TEST(me_describes_the_caller)
{
    resp *r = http_get("/api/v1/me", T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "username"), "sondong.reporter");
    ck_assert_str_eq(jstr(r, "role"), "reporter");
    ck_assert_str_eq(jstr(r, "unit_code"), "TTYT-SD");
    ck_assert_ptr_null(json_object_get(r->json, "password_hash"));
    char etag[64];
    ck_assert_ptr_nonnull(resp_header(r, "ETag", etag, sizeof etag));
    resp_free(r);
}
END_TEST

START_TEST(missing_or_malformed_credentials_are_401)
{
    ck_assert_int_eq(status_with(NULL), 401);
    ck_assert_int_eq(status_with("not-a-jwt"), 401);
    ck_assert_int_eq(status_with("bdh_doesnotexist"), 401);
    req_opts basic = {.headers = {"Authorization: Basic YWRtaW46YWRtaW4="}};
    resp *r = http_do("GET", "/api/v1/me", &basic);
    ASSERT_STATUS(r, 401);
    resp_free(r);
}
END_TEST

START_TEST(jwt_attacks_are_401)
{
    time_t now = time(NULL);
    /* Proof that forging works at all: the real key is accepted. */
    char *good = forge(secret(), ROLE_ADMIN, 0, now, 300);
    ck_assert_int_eq(status_with(good), 200);
    char *foreign = forge("some-other-key-that-is-long-enough-0123", ROLE_ADMIN, 0, now, 300);
    ck_assert_int_eq(status_with(foreign), 401);
    char *expired = forge(secret(), ROLE_ADMIN, 0, now - 4000, 900);
    ck_assert_int_eq(status_with(expired), 401);
    char *future = forge(secret(), ROLE_ADMIN, 0, now + 3600, 900); /* nbf and iat in the future */
    ck_assert_int_eq(status_with(future), 401);
    /* alg none: header {"alg":"none","typ":"JWT"} and the good token's payload, no signature. */
    char none[4096];
    const char *dot = strchr(good, '.');
    const char *dot2 = strchr(dot + 1, '.');
    snprintf(none, sizeof none, "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0%.*s.", (int)(dot2 - dot), dot);
    ck_assert_int_eq(status_with(none), 401);
    /* A flipped signature byte. */
    char tampered[4096];
    snprintf(tampered, sizeof tampered, "%s", good);
    size_t n = strlen(tampered);
    tampered[n - 3] = tampered[n - 3] == 'x' ? 'y' : 'x';
    ck_assert_int_eq(status_with(tampered), 401);
    free(good);
    free(foreign);
    free(expired);
    free(future);
}
END_TEST

START_TEST(refresh_rotates_and_reuse_revokes_the_chain)
{
    char *access = NULL, *r1 = NULL;
    ck_assert_int_eq(login_pair("syt.viewer", demo_password(), &access, &r1), 200);
    resp *a = post_refresh(r1);
    ASSERT_STATUS(a, 200);
    char *r2 = strdup(jstr(a, "refresh_token"));
    ck_assert_str_ne(r1, r2);
    ck_assert_int_eq(status_with(jstr(a, "access_token")), 200);
    resp_free(a);
    /* r1 was rotated: presenting it again after the grace period (BDHVS_REFRESH_GRACE, moved
     * into the past here rather than waited for) is theft, and r2 dies with it. */
    char h1[65];
    token_hash(r1, h1);
    PGresult *res = PQexecParams(test_db(), "UPDATE refresh_tokens SET used_at = now() - interval '1 hour' WHERE token_hash = $1",
                                 1, NULL, (const char *const[]){h1}, NULL, NULL, 0);
    ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    resp *b = post_refresh(r1);
    ASSERT_STATUS(b, 401);
    resp_free(b);
    resp *c = post_refresh(r2);
    ASSERT_STATUS(c, 401);
    resp_free(c);
    char hash[65];
    token_hash(r2, hash);
    ck_assert_int_eq(db_count("SELECT count(*) FROM refresh_tokens WHERE family_id = (SELECT family_id FROM refresh_tokens"
                              " WHERE token_hash = $1) AND revoked_at IS NULL", hash), 0);
    free(access);
    free(r1);
    free(r2);
}
END_TEST

START_TEST(refresh_bodies_are_checked)
{
    resp *r = post_refresh("bdr_never-issued");
    ASSERT_STATUS(r, 401);
    resp_free(r);
    r = http_send_json("POST", "/api/v1/auth/refresh", NULL, "{}");
    ASSERT_STATUS(r, 422);
    resp_free(r);
}
END_TEST

START_TEST(logout_revokes_the_refresh_token)
{
    char *access = NULL, *rt = NULL;
    ck_assert_int_eq(login_pair("syt.viewer", demo_password(), &access, &rt), 200);
    char body[256];
    snprintf(body, sizeof body, "{\"refresh_token\":\"%s\"}", rt);
    resp *r = http_send_json("POST", "/api/v1/auth/logout", access, body);
    ASSERT_STATUS(r, 204);
    ck_assert_uint_eq(r->len, 0);
    resp_free(r);
    r = post_refresh(rt);
    ASSERT_STATUS(r, 401);
    resp_free(r);
    r = http_send_json("POST", "/api/v1/auth/logout", NULL, body);
    ASSERT_STATUS(r, 401);
    resp_free(r);
    free(access);
    free(rt);
}
END_TEST

START_TEST(failed_logins_lock_the_account_with_429)
{
    char user[64], body[256];
    snprintf(user, sizeof user, "throttle.%s", uniq());
    snprintf(body, sizeof body,
             "{\"username\":\"%s\",\"password\":\"right-password-1\",\"full_name\":\"Đỗ Thị Hạnh\",\"role\":\"viewer\",\"unit_code\":\"TYT-ANLAC\"}",
             user);
    resp *r = http_send_json("POST", "/api/v1/users", T_ADMIN, body);
    ASSERT_STATUS(r, 201);
    resp_free(r);
    for (int i = 0; i < 5; i++) ck_assert_int_eq(login_pair(user, "wrong-password", NULL, NULL), 401);
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"right-password-1\"}", user);
    r = http_send_json("POST", "/api/v1/auth/login", NULL, body);
    ASSERT_STATUS(r, 429);
    char ra[32];
    ck_assert_ptr_nonnull(resp_header(r, "Retry-After", ra, sizeof ra));
    ck_assert_int_gt(atoi(ra), 0);
    ck_assert_int_le(atoi(ra), 900);
    resp_free(r);
    /* Other accounts are not affected. */
    ck_assert_int_eq(login_pair("syt.viewer", demo_password(), NULL, NULL), 200);
}
END_TEST

START_TEST(failed_logins_from_one_address_are_throttled)
{
    /* A loopback address of its own, so the other tests' address stays unthrottled. */
    unsigned char rnd[2];
    randombytes_buf(rnd, 2);
    char ip[32];
    snprintf(ip, sizeof ip, "127.%u.%u.9", 100u + rnd[0] % 100u, rnd[1]);
    char body[256];
    long last = 0;
    int i;
    for (i = 0; i < 40 && last != 429; i++) {
        snprintf(body, sizeof body, "{\"username\":\"nobody%d.%s\",\"password\":\"guess\"}", i, uniq());
        req_opts o = {.body = body, .source_ip = ip};
        resp *r = http_do("POST", "/api/v1/auth/login", &o);
        last = r->status;
        resp_free(r);
    }
    ck_assert_int_eq(last, 429);
    ck_assert_int_eq(i, 31); /* 30 failures allowed per address and window */
}
END_TEST


START_TEST(a_change_made_elsewhere_reaches_the_server_at_once)
{
    /* Another server process (here: SQL straight into the database) disables a user; the
     * trigger's notification makes this server forget its cached rights. */
    char user[64], body[256];
    snprintf(user, sizeof user, "elsewhere.%s", uniq());
    snprintf(body, sizeof body,
             "{\"username\":\"%s\",\"password\":\"right-password-1\",\"full_name\":\"Vi Văn Tùng\",\"role\":\"manager\",\"unit_code\":\"TYT-ANLAC\"}",
             user);
    resp *r = http_send_json("POST", "/api/v1/users", T_ADMIN, body);
    ASSERT_STATUS(r, 201);
    resp_free(r);
    char *tok = login(user, "right-password-1");
    r = http_get("/api/v1/units", tok); /* now cached */
    ASSERT_STATUS(r, 200);
    resp_free(r);
    PGresult *res = PQexecParams(test_db(), "UPDATE users SET active = false WHERE username = $1", 1, NULL,
                                 (const char *const[]){user}, NULL, NULL, 0);
    ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    long st = 0;
    for (int i = 0; i < 50 && st != 401; i++) {
        r = http_get("/api/v1/units", tok);
        st = r->status;
        resp_free(r);
        if (st != 401) usleep(100 * 1000);
    }
    ck_assert_int_eq(st, 401);
    free(tok);
}
END_TEST

Suite *auth_suite(void)
{
    Suite *s = suite_create("auth");
    TCase *t = tcase_create("auth");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, login_returns_a_bearer_jwt_and_a_refresh_token);
    tcase_add_test(t, unknown_user_and_wrong_password_get_the_same_answer);
    tcase_add_test(t, login_bodies_are_checked);
    tcase_add_test(t, me_describes_the_caller);
    tcase_add_test(t, missing_or_malformed_credentials_are_401);
    tcase_add_test(t, jwt_attacks_are_401);
    tcase_add_test(t, refresh_rotates_and_reuse_revokes_the_chain);
    tcase_add_test(t, refresh_bodies_are_checked);
    tcase_add_test(t, logout_revokes_the_refresh_token);
    tcase_add_test(t, failed_logins_lock_the_account_with_429);
    tcase_add_test(t, failed_logins_from_one_address_are_throttled);
    tcase_add_test(t, a_change_made_elsewhere_reaches_the_server_at_once);
    suite_add_tcase(s, t);
    return s;
}
