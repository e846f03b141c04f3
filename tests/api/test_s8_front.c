/* Issue 13 §3, the frontend contract: gzip when asked, ETags and 304 on GET answers, CSV
 * downloads with a file name and ?format=csv, and the refresh cookie for browser apps (with the
 * Origin check that keeps it from other sites). The test server runs with
 * BDHVS_REFRESH_COOKIE=secure and BDHVS_CORS_ORIGINS=http://localhost:5173 (scripts/test). */
#include "client.h"

#include <stdlib.h>
#include <string.h>

#define CORS_ORIGIN "http://localhost:5173"

/* The server's own origin, as a browser on its pages would send it. */
static const char *own_origin(void)
{
    const char *base = getenv("BDHVS_TEST_URL");
    return base ? base : "http://127.0.0.1:18080";
}

static resp *get_enc(const char *path, const char *token, const char *accept_encoding, const char *extra)
{
    req_opts o = {.token = token, .accept_encoding = accept_encoding, .headers = {extra, NULL}};
    return http_do("GET", path, &o);
}

/* The same answer as the plain one, compressed: 1 KiB or more, gzip on the wire, fewer bytes. */
START_TEST(lists_are_gzipped_when_asked)
{
    const char *path = "/api/v1/units?limit=200";
    resp *plain = get_enc(path, T_ADMIN, NULL, NULL);
    ASSERT_STATUS(plain, 200);
    ck_assert_uint_ge(plain->len, 1024);
    ck_assert_ptr_null(header_of(plain, "Content-Encoding"));
    ck_assert_str_eq(header_of(plain, "Vary"), "Accept-Encoding, Accept");

    resp *z = get_enc(path, T_ADMIN, "gzip", NULL);
    ASSERT_STATUS(z, 200);
    ck_assert_str_eq(header_of(z, "Content-Encoding"), "gzip");
    ck_assert_int_eq(z->gzipped, 1);
    ck_assert_uint_lt(z->wire_len * 3, z->len); /* JSON of units compresses well over 3 to 1 */
    ck_assert_uint_eq(z->len, plain->len);
    ck_assert_mem_eq(z->body, plain->body, plain->len);
    ck_assert_str_eq(header_of(z, "Vary"), "Accept-Encoding, Accept");
    ck_assert_str_eq(header_of(z, "Content-Type"), "application/json; charset=utf-8");
    /* The gzip representation has a tag of its own (RFC 9110 8.8.3). */
    ck_assert_str_eq(header_of(z, "ETag"), fmt("%.17s-gzip\"", header_of(plain, "ETag")));
    resp_free(z);
    resp_free(plain);
}
END_TEST

/* q-values: what each Accept-Encoding gets (1: gzip, 0: identity). */
START_TEST(accept_encoding_q_values_are_honoured)
{
    static const struct {
        const char *ae;
        int gzip;
    } CASES[] = {
        {"gzip", 1},
        {"GZIP", 1},
        {"x-gzip", 1},
        {"deflate, gzip;q=0.5", 1},
        {"gzip;q=0.001", 1},
        {"*", 1},
        {"br;q=1, *;q=0.1", 1},
        {"gzip;q=0", 0},
        {"gzip;q=0.000", 0},
        {"identity", 0},
        {"br", 0},
        {"deflate", 0},
        {"gzip;q=0.5, identity;q=1", 0},
        {"gzip;q=0.5, *", 0},
        {"*;q=0", 0},
        {"gzip;q=1.5", 0}, /* not a q-value: the element is ignored */
        {"gzip;q=", 0},
        {"", 0},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        resp *r = get_enc("/api/v1/units?limit=200", T_ADMIN, CASES[i].ae, NULL);
        ASSERT_STATUS(r, 200);
        const char *ce = header_of(r, "Content-Encoding");
        ck_assert_msg((ce != NULL) == CASES[i].gzip, "Accept-Encoding: %s gave Content-Encoding %s", CASES[i].ae,
                      ce ? ce : "(none)");
        ck_assert_int_eq(r->gzipped, CASES[i].gzip);
        ck_assert_ptr_nonnull(r->json); /* decoded JSON either way */
        resp_free(r);
    }
}
END_TEST

START_TEST(small_answers_are_sent_plain)
{
    resp *r = get_enc("/healthz", NULL, "gzip", NULL);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(r->body, "{\"status\":\"ok\"}");
    ck_assert_ptr_null(header_of(r, "Content-Encoding"));
    ck_assert_str_eq(header_of(r, "Vary"), "Accept-Encoding");
    resp_free(r);
    /* A problem document of a few hundred bytes too. */
    r = get_enc("/api/v1/units?limit=0", T_ADMIN, "gzip", NULL);
    ASSERT_STATUS(r, 400);
    ck_assert_ptr_null(header_of(r, "Content-Encoding"));
    resp_free(r);
}
END_TEST

/* The reference page and the contract are large: they go compressed too. */
START_TEST(docs_and_contract_are_gzipped)
{
    const char *paths[] = {"/openapi.yaml", "/docs", NULL};
    for (int i = 0; paths[i]; i++) {
        resp *plain = get_enc(paths[i], NULL, NULL, NULL);
        resp *z = get_enc(paths[i], NULL, "gzip, deflate, br", NULL);
        ASSERT_STATUS(z, 200);
        ck_assert_str_eq(header_of(z, "Content-Encoding"), "gzip");
        ck_assert_int_eq(z->gzipped, 1);
        ck_assert_uint_eq(z->len, plain->len);
        ck_assert_mem_eq(z->body, plain->body, plain->len);
        ck_assert_uint_lt(z->wire_len * 2, plain->len);
        resp_free(z);
        resp_free(plain);
    }
}
END_TEST

/* Every GET answer has an ETag; If-None-Match naming it (weakly) answers 304 without a body. */
START_TEST(if_none_match_answers_304)
{
    const char *path = "/api/v1/units?limit=5&sort=code";
    resp *r = http_get(path, T_SYT_VIEWER);
    ASSERT_STATUS(r, 200);
    char tag[64];
    snprintf(tag, sizeof tag, "%s", header_of(r, "ETag"));
    ck_assert_msg(is_etag(tag), "ETag %s", tag);
    ck_assert_str_eq(header_of(r, "Cache-Control"), "private, no-cache");
    resp_free(r);

    const char *match[] = {
        tag, fmt("W/%s", tag), fmt("\"0000000000000000\", %s", tag), "*", fmt("  W/\"1111111111111111\" ,W/%s  ", tag),
        NULL};
    for (int i = 0; match[i]; i++) {
        resp *m = get_enc(path, T_SYT_VIEWER, NULL, fmt("If-None-Match: %s", match[i]));
        ck_assert_msg(m->status == 304, "If-None-Match: %s gave %ld", match[i], m->status);
        ck_assert_uint_eq(m->len, 0);
        ck_assert_str_eq(header_of(m, "ETag"), tag);
        ck_assert_str_eq(header_of(m, "Cache-Control"), "private, no-cache");
        ck_assert_str_eq(header_of(m, "Vary"), "Accept-Encoding, Accept");
        ck_assert_ptr_null(header_of(m, "Content-Type"));
        ck_assert_ptr_nonnull(header_of(m, "X-Request-Id"));
        resp_free(m);
    }
    const char *miss[] = {"\"0000000000000000\"", fmt("%sx", tag), fmt("%.17s", tag), "W/", "**", NULL};
    for (int i = 0; miss[i]; i++) {
        resp *m = get_enc(path, T_SYT_VIEWER, NULL, fmt("If-None-Match: %s", miss[i]));
        ck_assert_msg(m->status == 200, "If-None-Match: %s gave %ld", miss[i], m->status);
        ck_assert_str_eq(header_of(m, "ETag"), tag);
        resp_free(m);
    }
    /* Another representation (gzip) has another tag: the plain one does not match it. */
    const char *big = "/api/v1/units?limit=200";
    resp *plain = http_get(big, T_ADMIN);
    resp *z = get_enc(big, T_ADMIN, "gzip", fmt("If-None-Match: %s", header_of(plain, "ETag")));
    ASSERT_STATUS(z, 200);
    ck_assert_str_eq(header_of(z, "Content-Encoding"), "gzip");
    resp *z304 = get_enc(big, T_ADMIN, "gzip", fmt("If-None-Match: %s", header_of(z, "ETag")));
    ASSERT_STATUS(z304, 304);
    ck_assert_uint_eq(z304->wire_len, 0);
    ck_assert_ptr_null(header_of(z304, "Content-Encoding"));
    ck_assert_str_eq(header_of(z304, "ETag"), header_of(z, "ETag"));
    resp_free(z304);
    resp_free(z);
    resp_free(plain);
}
END_TEST

/* A change makes a new tag: the old one no longer gets 304. Single resources keep the tag
 * If-Match takes, and If-Match also takes the gzip representation's tag, never a weak one. */
START_TEST(etags_follow_changes_and_if_match_still_guards_writes)
{
    char code[64];
    long long id = make_test_unit("FRONT-ET", "Trạm Y tế thử ETag", "commune_station", "TTYT-SD", code, sizeof code);
    const char *path = fmt("/api/v1/units/%lld", id);
    resp *r = http_get(path, T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    char tag[64];
    snprintf(tag, sizeof tag, "%s", header_of(r, "ETag"));
    resp_free(r);
    r = get_enc(path, T_SD_MANAGER, NULL, fmt("If-None-Match: %s", tag));
    ASSERT_STATUS(r, 304);
    resp_free(r);

    /* If-Match with a weak tag never matches (strong comparison), nor does a tag of another state. */
    req_opts weak = {.token = T_SD_MANAGER,
                     .body = "{\"name\":\"Trạm Y tế thử ETag 2\"}",
                     .headers = {fmt("If-Match: W/%s", tag), NULL}};
    r = http_do("PATCH", path, &weak);
    ASSERT_STATUS(r, 412);
    resp_free(r);
    /* The gzip representation's tag is the same state: it matches. */
    char gz[64];
    snprintf(gz, sizeof gz, "%.17s-gzip\"", tag);
    req_opts ok = {.token = T_SD_MANAGER,
                   .body = "{\"name\":\"Trạm Y tế thử ETag 2\"}",
                   .headers = {fmt("If-Match: %s", gz), NULL}};
    r = http_do("PATCH", path, &ok);
    ASSERT_STATUS(r, 200);
    char tag2[64];
    snprintf(tag2, sizeof tag2, "%s", header_of(r, "ETag"));
    ck_assert_str_ne(tag2, tag);
    resp_free(r);
    req_opts stale = {.token = T_SD_MANAGER,
                      .body = "{\"name\":\"Trạm Y tế thử ETag 3\"}",
                      .headers = {fmt("If-Match: %s", gz), NULL}};
    r = http_do("PATCH", path, &stale);
    ASSERT_STATUS(r, 412);
    resp_free(r);

    r = get_enc(path, T_SD_MANAGER, NULL, fmt("If-None-Match: %s", tag));
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(header_of(r, "ETag"), tag2);
    ck_assert_str_eq(jstr(r, "name"), "Trạm Y tế thử ETag 2");
    resp_free(r);
}
END_TEST

/* format=csv is Accept: text/csv; format=json wins over Accept; a bad value or a route without
 * CSV is 400. */
START_TEST(format_csv_is_accept_text_csv)
{
    resp *a = get_enc("/api/v1/courses?sort=code", T_SYT_VIEWER, NULL, "Accept: text/csv");
    resp *f = http_get("/api/v1/courses?sort=code&format=csv", T_SYT_VIEWER);
    ASSERT_STATUS(a, 200);
    ASSERT_STATUS(f, 200);
    ck_assert_str_eq(header_of(f, "Content-Type"), "text/csv; charset=utf-8");
    ck_assert_str_eq(f->body, a->body);
    ck_assert_msg(strncmp(f->body, "id,code,", 8) == 0, "CSV %.80s", f->body);
    resp_free(a);
    resp_free(f);

    resp *j = get_enc("/api/v1/courses?sort=code&format=json", T_SYT_VIEWER, NULL, "Accept: text/csv");
    ASSERT_STATUS(j, 200);
    ck_assert_str_eq(header_of(j, "Content-Type"), "application/json; charset=utf-8");
    ck_assert_ptr_nonnull(json_object_get(j->json, "items"));
    ck_assert_ptr_null(header_of(j, "Content-Disposition"));
    resp_free(j);

    resp *bad = http_get("/api/v1/courses?format=pdf", T_SYT_VIEWER);
    ASSERT_STATUS(bad, 400);
    ck_assert_int_eq(count_errors(bad, "format", "must be json, csv or xlsx"), 1);
    resp_free(bad);
    bad = http_get("/api/v1/me?format=csv", T_SYT_VIEWER);
    ASSERT_STATUS(bad, 400);
    ck_assert_int_eq(count_errors(bad, "format", "is not a parameter of this request"), 1);
    resp_free(bad);

    /* The rollup too. */
    long long syt = unit_id("SYT-BN");
    resp *ru =
        http_get(fmt("/api/v1/indicators/rollup?unit_id=%lld&period=2026Q3&depth=0&format=csv", syt), T_SYT_VIEWER);
    ASSERT_STATUS(ru, 200);
    ck_assert_msg(strncmp(ru->body, "unit_code,unit_name,depth,indicator,", 36) == 0, "%.80s", ru->body);
    resp_free(ru);
}
END_TEST

/* CSV answers are downloads named after the resource, the unit and the day or period. */
START_TEST(csv_answers_carry_a_file_name)
{
    char today[11];
    server_today(today);
    resp *r = http_get("/api/v1/units?format=csv", T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(header_of(r, "Content-Disposition"), fmt("attachment; filename=\"units-%s.csv\"", today));
    resp_free(r);

    /* A caller bound to a unit: its own unit's code; a named unit: that one's. */
    r = http_get("/api/v1/staff?format=csv", T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(header_of(r, "Content-Disposition"), fmt("attachment; filename=\"staff-TTYT-SD-%s.csv\"", today));
    resp_free(r);
    long long sd = unit_id("TTYT-SD");
    r = get_enc(fmt("/api/v1/staff?under=%lld", sd), T_ADMIN, NULL, "Accept: text/csv");
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(header_of(r, "Content-Disposition"), fmt("attachment; filename=\"staff-TTYT-SD-%s.csv\"", today));
    resp_free(r);
    /* A unit outside the caller's subtree never gives its code away. */
    long long bv = unit_id("24001");
    r = http_get(fmt("/api/v1/staff?unit_id=%lld&format=csv", bv), T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(header_of(r, "Content-Disposition"), fmt("attachment; filename=\"staff-%s.csv\"", today));
    resp_free(r);
    /* Reference data is about no unit. */
    r = http_get("/api/v1/job-groups?format=csv", T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(header_of(r, "Content-Disposition"), fmt("attachment; filename=\"job-groups-%s.csv\"", today));
    resp_free(r);

    long long syt = unit_id("SYT-BN");
    r = http_get(fmt("/api/v1/indicators/rollup?unit_id=%lld&period=2026Q3&format=csv", syt), T_SYT_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(header_of(r, "Content-Disposition"), "attachment; filename=\"rollup-SYT-BN-2026Q3.csv\"");
    resp_free(r);
    r = http_get(fmt("/api/v1/exports/report-form?unit_id=%lld&period=202610&format=csv", sd), T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(header_of(r, "Content-Disposition"), "attachment; filename=\"report-form-TTYT-SD-2026-10.csv\"");
    resp_free(r);

    /* Gzip and a download at once: the name is the same, the body decodes to the same CSV. */
    resp *plain = http_get("/api/v1/units?format=csv", T_ADMIN);
    resp *z = get_enc("/api/v1/units?format=csv", T_ADMIN, "gzip", NULL);
    ck_assert_str_eq(header_of(z, "Content-Encoding"), "gzip");
    ck_assert_str_eq(header_of(z, "Content-Disposition"), header_of(plain, "Content-Disposition"));
    ck_assert_str_eq(z->body, plain->body);
    resp_free(z);
    resp_free(plain);
}
END_TEST

/* ---- the refresh cookie ---- */

/* The bdhvs_refresh=VALUE part of a Set-Cookie, copied into out ("" when absent). */
static void cookie_of(const resp *r, char *out, size_t len)
{
    out[0] = '\0';
    const char *sc = header_of(r, "Set-Cookie");
    if (sc == NULL) return;
    size_t n = strcspn(sc, ";");
    ck_assert_uint_lt(n, len);
    memcpy(out, sc, n);
    out[n] = '\0';
}

static resp *cookie_login(const char *origin)
{
    json_t *b =
        json_pack("{s:s, s:s, s:b}", "username", "sondong.reporter", "password", demo_password(), "refresh_cookie", 1);
    char *body = json_dumps(b, 0);
    json_decref(b);
    req_opts o = {.body = body, .headers = {origin ? fmt("Origin: %s", origin) : NULL, NULL}};
    resp *r = http_do("POST", "/api/v1/auth/login", &o);
    free(body);
    return r;
}

/* POST path with no body, the cookie and origin (NULL: no Origin header), as token when given. */
static resp *cookie_post(const char *path, const char *cookie, const char *origin, const char *token)
{
    req_opts o = {.token = token,
                  .headers = {fmt("Cookie: theme=dark; %s", cookie), origin ? fmt("Origin: %s", origin) : NULL, NULL}};
    return http_do("POST", path, &o);
}

static void assert_sets_cookie(const resp *r)
{
    const char *sc = header_of(r, "Set-Cookie");
    ck_assert_ptr_nonnull(sc);
    ck_assert_msg(strncmp(sc, "bdhvs_refresh=bdr_", 18) == 0, "Set-Cookie: %s", sc);
    ck_assert_str_eq(strchr(sc, ';'), "; Path=/api/v1/auth; Max-Age=1209600; HttpOnly; SameSite=Strict; Secure");
    ck_assert_ptr_null(json_object_get(r->json, "refresh_token"));
    ck_assert_ptr_nonnull(jstr(r, "access_token"));
    ck_assert_str_eq(header_of(r, "Cache-Control"), "no-store");
}

START_TEST(cookie_sign_in_refresh_and_sign_out)
{
    resp *r = cookie_login(CORS_ORIGIN);
    ASSERT_STATUS(r, 200);
    assert_sets_cookie(r);
    ck_assert_str_eq(header_of(r, "Access-Control-Allow-Origin"), CORS_ORIGIN);
    ck_assert_str_eq(header_of(r, "Access-Control-Allow-Credentials"), "true");
    char c1[128];
    cookie_of(r, c1, sizeof c1);
    resp_free(r);

    /* The page's own origin refreshes from the cookie: a new cookie, no token in the body. */
    r = cookie_post("/api/v1/auth/refresh", c1, own_origin(), NULL);
    ASSERT_STATUS(r, 200);
    assert_sets_cookie(r);
    ck_assert_ptr_null(header_of(r, "Access-Control-Allow-Credentials"));
    char c2[128];
    cookie_of(r, c2, sizeof c2);
    ck_assert_str_ne(c2, c1);
    char *access = strdup(jstr(r, "access_token"));
    resp_free(r);
    resp *me = http_get("/api/v1/me", access);
    ASSERT_STATUS(me, 200);
    ck_assert_str_eq(jstr(me, "username"), "sondong.reporter");
    resp_free(me);

    /* A body of {} is the same as none. */
    req_opts o = {.body = "{}", .headers = {fmt("Cookie: %s", c2), fmt("Origin: %s", CORS_ORIGIN), NULL}};
    r = http_do("POST", "/api/v1/auth/refresh", &o);
    ASSERT_STATUS(r, 200);
    assert_sets_cookie(r);
    char c3[128];
    cookie_of(r, c3, sizeof c3);
    resp_free(r);

    /* Sign-out clears the cookie and revokes its chain. */
    r = cookie_post("/api/v1/auth/logout", c3, own_origin(), access);
    ASSERT_STATUS(r, 204);
    ck_assert_str_eq(header_of(r, "Set-Cookie"),
                     "bdhvs_refresh=; Path=/api/v1/auth; Max-Age=0; HttpOnly; SameSite=Strict; Secure");
    resp_free(r);
    r = cookie_post("/api/v1/auth/refresh", c3, own_origin(), NULL);
    ASSERT_STATUS(r, 401);
    ck_assert_str_eq(header_of(r, "Set-Cookie"),
                     "bdhvs_refresh=; Path=/api/v1/auth; Max-Age=0; HttpOnly; SameSite=Strict; Secure");
    resp_free(r);
    free(access);
}
END_TEST

/* CSRF stays shut: a cookie is used only with an Origin that is the server's own or listed. */
START_TEST(cookie_refresh_refuses_other_origins)
{
    resp *r = cookie_login(CORS_ORIGIN);
    ASSERT_STATUS(r, 200);
    char ck[128];
    cookie_of(r, ck, sizeof ck);
    resp_free(r);
    const char *bad[] = {NULL,
                         "http://evil.example",
                         "null",
                         "http://localhost:5173.evil.example",
                         "https://localhost:5173",
                         fmt("%s.evil.example", own_origin()),
                         NULL};
    for (int i = 0; i < 6; i++) {
        r = cookie_post("/api/v1/auth/refresh", ck, bad[i], NULL);
        ck_assert_msg(r->status == 403, "Origin %s gave %ld", bad[i] ? bad[i] : "(none)", r->status);
        ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:forbidden");
        ck_assert_ptr_null(header_of(r, "Set-Cookie"));
        ck_assert_ptr_null(header_of(r, "Access-Control-Allow-Credentials"));
        resp_free(r);
    }
    /* Nothing was used up: the right origin still refreshes with it. */
    r = cookie_post("/api/v1/auth/refresh", ck, CORS_ORIGIN, NULL);
    ASSERT_STATUS(r, 200);
    assert_sets_cookie(r);
    resp_free(r);

    /* Signing in for a cookie from another site, or with no Origin, is refused too. */
    r = cookie_login("http://evil.example");
    ASSERT_STATUS(r, 403);
    ck_assert_ptr_null(header_of(r, "Set-Cookie"));
    resp_free(r);
    r = cookie_login(NULL);
    ASSERT_STATUS(r, 403);
    resp_free(r);

    /* Preflights: credentials only for a listed origin. */
    req_opts pre = {.headers = {"Origin: " CORS_ORIGIN, "Access-Control-Request-Method: POST", NULL}};
    r = http_do("OPTIONS", "/api/v1/auth/refresh", &pre);
    ASSERT_STATUS(r, 204);
    ck_assert_str_eq(header_of(r, "Access-Control-Allow-Credentials"), "true");
    resp_free(r);
    req_opts evil = {.headers = {"Origin: http://evil.example", "Access-Control-Request-Method: POST", NULL}};
    r = http_do("OPTIONS", "/api/v1/auth/refresh", &evil);
    ASSERT_STATUS(r, 204);
    ck_assert_ptr_null(header_of(r, "Access-Control-Allow-Credentials"));
    ck_assert_ptr_null(header_of(r, "Access-Control-Allow-Origin"));
    resp_free(r);
}
END_TEST

/* Without refresh_cookie nothing changes: the token is in the body, no cookie is set, and a
 * refresh with a body token ignores any cookie. */
START_TEST(body_tokens_work_as_before)
{
    char *access = NULL, *refresh = NULL;
    ck_assert_int_eq(login_pair("sondong.reporter", demo_password(), &access, &refresh), 200);
    ck_assert_ptr_nonnull(refresh);
    json_t *b = json_pack("{s:s}", "refresh_token", refresh);
    char *body = json_dumps(b, 0);
    json_decref(b);
    req_opts o = {.body = body, .headers = {"Cookie: bdhvs_refresh=bdr_not-a-token", NULL}};
    resp *r = http_do("POST", "/api/v1/auth/refresh", &o);
    ASSERT_STATUS(r, 200);
    ck_assert_ptr_nonnull(jstr(r, "refresh_token"));
    ck_assert_ptr_null(header_of(r, "Set-Cookie"));
    resp_free(r);
    free(body);
    /* No body and no cookie: the token is required, as before. */
    req_opts none = {.body = "{}"};
    r = http_do("POST", "/api/v1/auth/refresh", &none);
    assert_one_error(r, "refresh_token", "is required");
    resp_free(r);
    /* refresh_cookie must be a boolean. */
    r = http_send_json("POST", "/api/v1/auth/login", NULL,
                       "{\"username\":\"sondong.reporter\",\"password\":\"x\",\"refresh_cookie\":\"yes\"}");
    ASSERT_STATUS(r, 422);
    ck_assert_int_eq(count_errors(r, "refresh_cookie", NULL), 1);
    resp_free(r);
    free(access);
    free(refresh);
}
END_TEST

/* ---- issue 13 §2: staff search by words, names in NFC ---- */

static long long new_staff(const char *code, const char *full_name, const char *unit_code)
{
    json_t *b = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "code", code, "full_name", full_name, "unit_code",
                          unit_code, "job_group", "nurse", "employment", "contract", "joined_on", "2020-01-01");
    return created_id(send_obj("POST", "/api/v1/staff", T_SD_MANAGER, b));
}

/* The codes of a staff list, comma-separated, each without the test's prefix p. */
static const char *codes_of(const resp *r, const char *p)
{
    static char out[512];
    out[0] = '\0';
    size_t i;
    json_t *it;
    json_array_foreach (json_object_get(r->json, "items"), i, it) {
        const char *code = json_string_value(json_object_get(it, "code"));
        size_t n = strlen(out);
        snprintf(out + n, sizeof out - n, "%s%s", n ? "," : "", code + strlen(p));
    }
    return out;
}

/* "hoa" finds Hoa, Hoà (typed either way) and Hoàng, never Khoa; whole words first without sort. */
START_TEST(staff_search_matches_words_and_word_starts)
{
    char u[48], p[40];
    long long uid = make_test_unit("FRONT-SQ", "Tổ tìm kiếm thử", "other", "TTYT-SD", u, sizeof u);
    snprintf(p, sizeof p, "FQ-%s-", uniq());
    new_staff(fmt("%s1", p), "Lê Văn Hoàng", u);
    new_staff(fmt("%s2", p), "Nguyễn Thị Hoa", u);
    new_staff(fmt("%s3", p), "Trần Thị Hoa\xcc\x80", u); /* Hoà with a combining grave (NFD) */
    new_staff(fmt("%s4", p), "Phạm Đăng Khoa", u);
    new_staff(fmt("%s5", p), "Hoàng Thị Lan", u);

    resp *r = http_get(fmt("/api/v1/staff?under=%lld&q=hoa", uid), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 4);
    ck_assert_str_eq(codes_of(r, p), "2,3,1,5"); /* whole word "hoa" first, then by code */
    resp_free(r);
    r = http_get(fmt("/api/v1/staff?under=%lld&q=hoa&sort=code", uid), T_SD_REPORTER);
    ck_assert_str_eq(codes_of(r, p), "1,2,3,5");
    resp_free(r);
    /* Inside a word: nothing. */
    r = http_get(fmt("/api/v1/staff?under=%lld&q=oa", uid), T_SD_REPORTER);
    ck_assert_int_eq(jint(r, "total"), 0);
    resp_free(r);
    r = http_get(fmt("/api/v1/staff?under=%lld&q=khoa", uid), T_SD_REPORTER);
    ck_assert_str_eq(codes_of(r, p), "4");
    resp_free(r);
    /* Several words: a phrase from a word start, the last one a prefix. */
    r = http_get(fmt("/api/v1/staff?under=%lld&q=thi%%20h", uid), T_SD_REPORTER);
    ck_assert_str_eq(codes_of(r, p), "2,3");
    resp_free(r);
    r = http_get(fmt("/api/v1/staff?under=%lld&q=Ho%%C3%%A0ng%%20th", uid), T_SD_REPORTER); /* "Hoàng th" */
    ck_assert_str_eq(codes_of(r, p), "5");
    resp_free(r);
    /* q with no letter or digit finds no name. */
    r = http_get(fmt("/api/v1/staff?under=%lld&q=--", uid), T_SD_REPORTER);
    ck_assert_int_eq(jint(r, "total"), 0);
    resp_free(r);
}
END_TEST

/* "Hoà" typed two ways is one name: stored in NFC, found by either spelling. */
START_TEST(names_are_stored_in_nfc)
{
    char u[48], code[48];
    make_test_unit("FRONT-NFC", "To\xcc\x82\xcc\x89 NFC", "other", "TTYT-SD", u, sizeof u); /* "Tổ NFC" decomposed */
    snprintf(code, sizeof code, "FN-%s", uniq());
    long long id = new_staff(code, "Đỗ Thị Hoa\xcc\x80", u);
    resp *r = http_get(fmt("/api/v1/staff/%lld", id), T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "full_name"), "Đỗ Thị Hoà"); /* precomposed à */
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM units WHERE code = $1 AND name = 'Tổ NFC'", u), 1);
    /* A PATCH with the decomposed spelling is stored composed too. */
    r = http_send_json("PATCH", fmt("/api/v1/staff/%lld", id), T_SD_MANAGER,
                       "{\"full_name\":\"\xc4\x90o\xcc\x82\xcc\x83 Thi\xcc\xa3 Hoa\xcc\x80\"}");
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "full_name"), "Đỗ Thị Hoà");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE full_name IS NOT NFC NORMALIZED", NULL), 0);
    /* Searching with either spelling finds it. */
    r = http_get(fmt("/api/v1/staff?q=%s", code), T_SD_MANAGER);
    ck_assert_int_eq(jint(r, "total"), 1);
    resp_free(r);
    r = http_get(fmt("/api/v1/staff?unit_id=%lld&q=Ho%%61%%CC%%80", unit_id(u)), T_SD_MANAGER);
    ck_assert_int_eq(jint(r, "total"), 1);
    resp_free(r);
}
END_TEST

Suite *s8_front_suite(void)
{
    Suite *s = suite_create("s8_front");
    TCase *tc = tcase_create("frontend contract");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, lists_are_gzipped_when_asked);
    tcase_add_test(tc, accept_encoding_q_values_are_honoured);
    tcase_add_test(tc, small_answers_are_sent_plain);
    tcase_add_test(tc, docs_and_contract_are_gzipped);
    tcase_add_test(tc, if_none_match_answers_304);
    tcase_add_test(tc, etags_follow_changes_and_if_match_still_guards_writes);
    tcase_add_test(tc, format_csv_is_accept_text_csv);
    tcase_add_test(tc, csv_answers_carry_a_file_name);
    tcase_add_test(tc, cookie_sign_in_refresh_and_sign_out);
    tcase_add_test(tc, cookie_refresh_refuses_other_origins);
    tcase_add_test(tc, body_tokens_work_as_before);
    suite_add_tcase(s, tc);
    TCase *search = tcase_create("search and names");
    tcase_set_timeout(search, 60);
    tcase_add_test(search, staff_search_matches_words_and_word_starts);
    tcase_add_test(search, names_are_stored_in_nfc);
    suite_add_tcase(s, search);
    return s;
}
