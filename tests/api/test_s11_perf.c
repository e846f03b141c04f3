/* Issue 14 goal 1 (per-request overhead), session 11: what changed in the request path keeps its
 * behaviour.
 *  - Routing splits each pattern into segments once and the request's path once (it compared
 *    every route's pattern character by character): empty segments are still ignored on both
 *    sides, a path deeper than any pattern is a 404, the method fallback still answers 405.
 *  - The pool asks an idle connection whether the server closed it only after it rested (it asked
 *    before every request, a system call on every single-row read): a connection the server
 *    closed while it rested is still replaced before a request meets it. */
#include "client.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

START_TEST(routing_ignores_empty_segments_and_refuses_deep_paths)
{
    long long id = unit_id("TTYT-SD");
    resp *r = http_get(fmt("//api//v1/units/%lld/", id), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "code"), "TTYT-SD");
    resp_free(r);
    r = http_get(fmt("/api/v1/units/%lld/tree", id), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    /* Deeper than any route (17 segments): nothing there. */
    r = http_get(fmt("/api/v1/units/%lld/a/b/c/d/e/f/g/h/i/j/k/l/m", id), T_SD_REPORTER);
    ASSERT_STATUS(r, 404);
    ck_assert_str_eq(jstr(r, "detail"), "There is nothing at this path.");
    resp_free(r);
    /* One segment short or long of a route: nothing there either. */
    r = http_get("/api/v1", T_SD_REPORTER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_get(fmt("/api/v1/units/%lld/tree/x", id), T_SD_REPORTER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    /* A path with routes of other methods only: 405 and the methods it has. */
    req_opts o = {.token = T_SD_REPORTER};
    r = http_do("PATCH", fmt("/api/v1/reports/%lld/2026-01/submit", id), &o);
    ASSERT_STATUS(r, 405);
    char allow[96];
    ck_assert_ptr_nonnull(resp_header(r, "Allow", allow, sizeof allow));
    ck_assert_str_eq(allow, "POST, OPTIONS");
    resp_free(r);
    /* A literal segment that differs by its last character or its length is another path. */
    r = http_get("/api/v1/unitz", T_SD_REPORTER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_get("/api/v1/unit", T_SD_REPORTER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
}
END_TEST

/* The server's pooled connections that last ran GET /api/v1/units/{id}'s statement and are idle,
 * terminated from the same role (as an administrator's pg_terminate_backend would). */
static long long terminate_idle_unit_readers(void)
{
    return db_count("SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = 'bdhvs' AND state = 'idle' AND pid <> pg_backend_pid()"
                    "   AND query LIKE '%unit_json%') t",
                    NULL);
}

START_TEST(a_connection_closed_while_it_rested_is_replaced_before_use)
{
    long long id = unit_id("TTYT-SD");
    const char *path = fmt("/api/v1/units/%lld", id);
    char p[64];
    snprintf(p, sizeof p, "%s", path);
    for (int i = 0; i < 8; i++) {
        resp *r = http_get(p, T_SD_REPORTER);
        ASSERT_STATUS(r, 200);
        resp_free(r);
    }
    ck_assert_int_ge(terminate_idle_unit_readers(), 1);
    usleep(300 * 1000); /* longer than a connection rests before it is asked (RESTED_MS, 100) */
    /* Every request finds a live connection: none meets one the server closed. */
    for (int i = 0; i < 24; i++) {
        resp *r = http_get(p, T_SD_REPORTER);
        ASSERT_STATUS(r, 200);
        resp_free(r);
    }
}
END_TEST

Suite *s11_perf_suite(void)
{
    Suite *s = suite_create("s11_perf");
    TCase *t = tcase_create("s11_perf");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, routing_ignores_empty_segments_and_refuses_deep_paths);
    tcase_add_test(t, a_connection_closed_while_it_rested_is_replaced_before_use);
    suite_add_tcase(s, t);
    return s;
}
