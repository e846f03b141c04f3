#include "client.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

START_TEST(healthz_answers_ok_without_a_token)
{
    resp *r = http_get("/healthz", NULL);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "status"), "ok");
    resp_free(r);
}
END_TEST

START_TEST(readyz_reports_database_and_migrations)
{
    resp *r = http_get("/readyz", NULL);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "status"), "ready");
    ck_assert_str_eq(jstr(r, "database"), "ok");
    json_t *m = json_object_get(r->json, "migrations");
    ck_assert_int_ge(json_integer_value(json_object_get(m, "available")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(m, "applied")), json_integer_value(json_object_get(m, "available")));
    resp_free(r);
}
END_TEST

/* The value of the sample whose line starts with name (name may end in "{" to match any
 * labels); fails the test when there is none. */
static double metric_value(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, name, n) != 0) continue;
        const char *q = p + n;
        if (name[n - 1] != '{' && *q != ' ') continue;
        const char *sp = strchr(q, ' ');
        const char *nl = strchr(q, '\n');
        if (sp == NULL || (nl != NULL && sp > nl)) continue;
        return strtod(sp + 1, NULL);
    }
    ck_abort_msg("no sample %s in /metrics", name);
    return -1;
}

START_TEST(metrics_expose_requests_latency_and_pool)
{
    resp *warm = http_get("/api/v1/me", T_ADMIN);
    resp_free(warm);
    resp *r = http_get("/metrics", NULL);
    ASSERT_STATUS(r, 200);
    char ct[128];
    ck_assert_str_eq(resp_header(r, "Content-Type", ct, sizeof ct), "text/plain; version=0.0.4; charset=utf-8");
    ck_assert_ptr_nonnull(strstr(r->body, "bdhvs_http_requests_total{method=\"GET\",route=\"/api/v1/me\",status=\"200\"}"));
    ck_assert_ptr_nonnull(strstr(r->body, "bdhvs_http_request_duration_seconds_bucket{le=\"+Inf\"}"));
    ck_assert_ptr_nonnull(strstr(r->body, "bdhvs_db_pool_in_use "));
    ck_assert_ptr_nonnull(strstr(r->body, "bdhvs_db_pool_waiting "));
    /* A latency histogram per route of the route table. */
    ck_assert_ptr_nonnull(strstr(r->body, "# TYPE bdhvs_http_route_duration_seconds histogram\n"));
    ck_assert_ptr_nonnull(
        strstr(r->body, "bdhvs_http_route_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/me\",le=\"+Inf\"} "));
    ck_assert_double_ge(metric_value(r->body, "bdhvs_http_route_duration_seconds_count{method=\"GET\",route=\"/api/v1/me\"}"),
                        1);
    ck_assert_double_ge(metric_value(r->body, "bdhvs_http_route_duration_seconds_sum{method=\"GET\",route=\"/api/v1/me\"}"),
                        0);
    ck_assert_ptr_nonnull(strstr(r->body, "bdhvs_build_info{version=\"" BDHVS_VERSION "\",jansson=\""));
    ck_assert_double_eq(metric_value(r->body, "bdhvs_build_info{"), 1);
    /* Process figures from /proc/self, within sane bounds. */
    double rss = metric_value(r->body, "process_resident_memory_bytes");
    ck_assert_double_gt(rss, 1024.0 * 1024);
    ck_assert_double_lt(rss, 64.0 * 1024 * 1024 * 1024);
    double fds = metric_value(r->body, "process_open_fds");
    ck_assert_double_ge(fds, 3);
    ck_assert_double_le(fds, metric_value(r->body, "process_max_fds"));
    ck_assert_double_ge(metric_value(r->body, "process_cpu_seconds_total"), 0);
    double start = metric_value(r->body, "process_start_time_seconds");
    double now = (double)time(NULL);
    ck_assert_double_le(start, now + 1);
    ck_assert_double_gt(start, now - 7 * 86400);
    resp_free(r);
}
END_TEST

START_TEST(openapi_document_and_docs_are_served)
{
    resp *r = http_get("/openapi.yaml", NULL);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(strncmp(r->body, "openapi: 3.1", 12), 0);
    resp_free(r);
    r = http_get("/docs", NULL);
    ASSERT_STATUS(r, 200);
    ck_assert_ptr_nonnull(strstr(r->body, "/openapi.yaml"));
    /* The rendered reference (docs/api.html), self-contained: Redoc inline, no CDN. */
    ck_assert_ptr_nonnull(strstr(r->body, "<title>bdhvs API reference</title>"));
    ck_assert_ptr_nonnull(strstr(r->body, "<meta name=\"bdhvs-openapi-sha256\""));
    ck_assert_ptr_null(strstr(r->body, "<script src="));
    resp_free(r);
    /* The Department console: one static page, everything it shows through the API. */
    char ct[128], csp[512];
    {
        r = http_get("/console", NULL);
        ASSERT_STATUS(r, 200);
        ck_assert_str_eq(resp_header(r, "Content-Type", ct, sizeof ct), "text/html; charset=utf-8");
        ck_assert_ptr_nonnull(strstr(resp_header(r, "Content-Security-Policy", csp, sizeof csp), "connect-src 'self'"));
        ck_assert_ptr_nonnull(strstr(r->body, "/api/v1/indicators/rollup"));
        resp_free(r);
    }
}
END_TEST

START_TEST(unknown_path_is_a_problem_404)
{
    resp *r = http_get("/api/v1/nothing-here", T_ADMIN);
    ASSERT_STATUS(r, 404);
    char ct[128];
    ck_assert_str_eq(resp_header(r, "Content-Type", ct, sizeof ct), "application/problem+json");
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:not-found");
    ck_assert_int_eq(jint(r, "status"), 404);
    resp_free(r);
    /* Unknown paths answer 404 before authentication: nothing to protect there. */
    r = http_get("/nope", NULL);
    ASSERT_STATUS(r, 404);
    resp_free(r);
}
END_TEST

START_TEST(wrong_method_is_a_problem_405_with_allow)
{
    resp *r = http_send_json("PUT", "/api/v1/units", T_ADMIN, "{}");
    ASSERT_STATUS(r, 405);
    char allow[128];
    ck_assert_str_eq(resp_header(r, "Allow", allow, sizeof allow), "GET, POST, OPTIONS");
    ck_assert_str_eq(jstr(r, "title"), "Method not allowed");
    resp_free(r);
    r = http_do("DELETE", "/healthz", NULL);
    ASSERT_STATUS(r, 405);
    resp_free(r);
}
END_TEST

START_TEST(request_id_is_always_the_servers_own)
{
    /* A client's id is never echoed (it is kept in the audit entry as client_request_id). */
    req_opts o = {.headers = {"X-Request-Id: test-req.42_a"}};
    resp *r = http_do("GET", "/healthz", &o);
    char id[128];
    ck_assert_ptr_nonnull(resp_header(r, "X-Request-Id", id, sizeof id));
    ck_assert_str_ne(id, "test-req.42_a");
    ck_assert_uint_eq(strlen(id), 32);
    resp_free(r);
    req_opts bad = {.headers = {"X-Request-Id: <script>alert(1)</script>"}};
    r = http_do("GET", "/healthz", &bad);
    ck_assert_ptr_nonnull(resp_header(r, "X-Request-Id", id, sizeof id));
    ck_assert_uint_eq(strlen(id), 32);
    ck_assert_ptr_null(strchr(id, '<'));
    resp_free(r);
    /* Problems carry it too. */
    r = http_get("/api/v1/me", NULL);
    resp_header(r, "X-Request-Id", id, sizeof id);
    ck_assert_str_eq(jstr(r, "request_id"), id);
    resp_free(r);
}
END_TEST

START_TEST(cors_preflight_answers_allowed_origins_only)
{
    req_opts o = {.headers = {"Origin: http://localhost:5173", "Access-Control-Request-Method: POST"}};
    resp *r = http_do("OPTIONS", "/api/v1/units", &o);
    ASSERT_STATUS(r, 204);
    char v[256];
    ck_assert_str_eq(resp_header(r, "Access-Control-Allow-Origin", v, sizeof v), "http://localhost:5173");
    ck_assert_str_eq(resp_header(r, "Access-Control-Allow-Methods", v, sizeof v), "GET, POST, OPTIONS");
    ck_assert_ptr_nonnull(strstr(resp_header(r, "Access-Control-Allow-Headers", v, sizeof v), "Authorization"));
    resp_free(r);
    req_opts evil = {.headers = {"Origin: http://evil.example"}};
    r = http_do("OPTIONS", "/api/v1/units", &evil);
    ASSERT_STATUS(r, 204);
    ck_assert_ptr_null(resp_header(r, "Access-Control-Allow-Origin", v, sizeof v));
    resp_free(r);
    req_opts get = {.token = T_ADMIN, .headers = {"Origin: http://localhost:5173"}};
    r = http_do("GET", "/api/v1/me", &get);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(resp_header(r, "Access-Control-Allow-Origin", v, sizeof v), "http://localhost:5173");
    resp_free(r);
}
END_TEST

START_TEST(body_over_the_limit_is_413_before_any_work)
{
    size_t n = 1100 * 1024;
    char *big = malloc(n + 1);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    big[n] = '\0';
    req_opts o = {.token = T_ADMIN, .body = big, .body_len = n};
    resp *r = http_do("POST", "/api/v1/units", &o);
    ASSERT_STATUS(r, 413);
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:payload-too-large");
    resp_free(r);
    /* Even without a token: the limit comes first. */
    req_opts anon = {.body = big, .body_len = n};
    r = http_do("POST", "/api/v1/auth/login", &anon);
    ASSERT_STATUS(r, 413);
    resp_free(r);
    free(big);
}
END_TEST

START_TEST(query_string_errors_are_400)
{
    resp *r = http_get("/api/v1/units?limit=1&limit=2", T_ADMIN);
    ASSERT_STATUS(r, 400);
    resp_free(r);
    r = http_get("/api/v1/units?q=%ff%fe", T_ADMIN);
    ASSERT_STATUS(r, 400);
    resp_free(r);
    r = http_get("/api/v1/units?q=%zz", T_ADMIN);
    ASSERT_STATUS(r, 400);
    resp_free(r);
    r = http_get("/api/v1/units?colour=blue", T_ADMIN);
    ASSERT_STATUS(r, 400);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r->json, "errors"), 0), "field")), "colour");
    resp_free(r);
}
END_TEST

Suite *ops_suite(void)
{
    Suite *s = suite_create("ops");
    TCase *t = tcase_create("ops");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, healthz_answers_ok_without_a_token);
    tcase_add_test(t, readyz_reports_database_and_migrations);
    tcase_add_test(t, metrics_expose_requests_latency_and_pool);
    tcase_add_test(t, openapi_document_and_docs_are_served);
    tcase_add_test(t, unknown_path_is_a_problem_404);
    tcase_add_test(t, wrong_method_is_a_problem_405_with_allow);
    tcase_add_test(t, request_id_is_always_the_servers_own);
    tcase_add_test(t, cors_preflight_answers_allowed_origins_only);
    tcase_add_test(t, body_over_the_limit_is_413_before_any_work);
    tcase_add_test(t, query_string_errors_are_400);
    suite_add_tcase(s, t);
    return s;
}
