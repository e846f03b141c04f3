/* Issue 14 goal 1 (per-request overhead), session 11: what changed in the request path keeps its
 * behaviour.
 *  - A connection reads a request's head into 16 KiB (libmicrohttpd zeroes it for every request;
 *    it was 32 KiB): a 12,000-byte header is still read.
 *  - Routing splits each pattern into segments once and the request's path once (it compared
 *    every route's pattern character by character): empty segments are still ignored on both
 *    sides, a path deeper than any pattern is a 404, the method fallback still answers 405.
 *  - The staff page most lists ask for (by code, filtered by nothing but the caller's scope and
 *    "under") has a statement of its own, planned once per connection: it lists exactly what the
 *    general statement lists, for every way scope and under can meet.
 *  - The client's IPv4 address is written without printf (sign-in audit, throttling, logs): as
 *    inet_ntop wrote it, for octets of one, two and three digits.
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
    /* A long head (a 12,000-byte header) still fits the connection's 16 KiB. */
    static char pad[12100];
    memcpy(pad, "X-Pad: ", 7);
    memset(pad + 7, 'a', 12000);
    pad[12007] = '\0';
    req_opts po = {.token = T_SD_REPORTER, .headers = {pad, NULL}};
    r = http_do("GET", fmt("/api/v1/units/%lld", id), &po);
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
                    "   AND query LIKE '%unit_fields_json%') t",
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

/* The same page through the general statement: updated_since long ago filters nothing out. */
static void assert_page_as_general(const char *token, const char *query)
{
    resp *fast = http_get(fmt("/api/v1/staff?%s", query), token);
    resp *general = http_get(fmt("/api/v1/staff?%s&updated_since=2000-01-01T00:00:00Z", query), token);
    ck_assert_msg(fast->status == general->status, "%s: %ld against %ld", query, fast->status, general->status);
    if (fast->status == 200) ck_assert_msg(json_equal(fast->json, general->json), "%s: the pages differ", query);
    resp_free(fast);
    resp_free(general);
}

START_TEST(the_subtree_page_lists_what_the_general_statement_lists)
{
    long long sd = unit_id("TTYT-SD"), syt = unit_id("SYT-BN"), station = unit_id("TYT-SONDONG"),
              other = db_count("SELECT u.id FROM units u, units d WHERE d.code = 'TTYT-SD' AND NOT u.path <@ d.path"
                               " AND NOT u.path @> d.path AND EXISTS (SELECT 1 FROM staff s WHERE s.unit_id = u.id)"
                               " ORDER BY u.id LIMIT 1", NULL);
    ck_assert_int_gt(other, 0);
    /* Who sees every unit, with under; a district's manager and reporter without under, under a
     * unit of their subtree, under an ancestor (their own subtree), under a unit outside it (none),
     * under no unit; pages further on. */
    const char *tokens[] = {T_ADMIN, T_SD_MANAGER, T_SD_REPORTER};
    char q[160];
    for (int t = 0; t < 3; t++) {
        long long unders[] = {sd, syt, station, other, 999999999};
        if (t > 0) assert_page_as_general(tokens[t], "limit=100");
        for (int i = 0; i < 5; i++) {
            snprintf(q, sizeof q, "limit=100&under=%lld", unders[i]);
            assert_page_as_general(tokens[t], q);
            snprintf(q, sizeof q, "limit=3&offset=2&under=%lld", unders[i]);
            assert_page_as_general(tokens[t], q);
        }
    }
    /* The district's staff are there (not an empty page on both sides). */
    resp *r = http_get(fmt("/api/v1/staff?limit=1&under=%lld", sd), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(r->json, "total")),
                     db_count("SELECT count(*) FROM staff s JOIN units u ON u.id = s.unit_id"
                              " WHERE u.path <@ (SELECT path FROM units WHERE code = 'TTYT-SD')", NULL));
    ck_assert_int_gt(json_integer_value(json_object_get(r->json, "total")), 0);
    resp_free(r);
    r = http_get(fmt("/api/v1/staff?limit=1&under=%lld", other), T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(r->json, "total")), 0);
    resp_free(r);
}
END_TEST

START_TEST(the_client_address_is_written_as_dotted_decimal)
{
    static const char *const ips[] = {"127.0.10.234", "127.9.0.5", "127.100.20.3", "127.255.99.1"};
    for (int i = 0; i < 4; i++) {
        char user[64];
        snprintf(user, sizeof user, "nobody-%s-%d", uniq(), i);
        json_t *b = json_pack("{s:s, s:s}", "username", user, "password", "not-the-password-1");
        char *body = json_dumps(b, 0);
        json_decref(b);
        req_opts o = {.body = body, .source_ip = ips[i]};
        resp *r = http_do("POST", "/api/v1/auth/login", &o);
        ASSERT_STATUS(r, 401);
        resp_free(r);
        free(body);
        ck_assert_int_eq(db_count2("SELECT count(*) FROM audit_log WHERE action = 'login_failed'"
                                   " AND after->>'username' = $1 AND after->>'address' = $2", user, ips[i]),
                         1);
    }
}
END_TEST

Suite *s11_perf_suite(void)
{
    Suite *s = suite_create("s11_perf");
    TCase *t = tcase_create("s11_perf");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, routing_ignores_empty_segments_and_refuses_deep_paths);
    tcase_add_test(t, the_subtree_page_lists_what_the_general_statement_lists);
    tcase_add_test(t, the_client_address_is_written_as_dotted_decimal);
    tcase_add_test(t, a_connection_closed_while_it_rested_is_replaced_before_use);
    suite_add_tcase(s, t);
    return s;
}
