/* Issue 8, item 17: report transitions take an Idempotency-Key, so that the retry of an
 * approval whose answer was lost (a crash, a cut connection) replays it instead of a 409, and
 * writes nothing again. (The kill -9 tests themselves are tests/crash/kill9.sh.) */
#include "client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* POST /api/v1/reports/{unit}/2026-06/{action} as token, with key (or none) and body (or none). */
static resp *act(const char *token, long long unit, const char *action, const char *key, const char *body)
{
    req_opts o = {.token = token, .body = body};
    if (key) o.headers[0] = fmt("Idempotency-Key: %s", key);
    return http_do("POST", fmt("/api/v1/reports/%lld/2026-06/%s", unit, action), &o);
}

static long long audits(long long report, const char *action)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", report);
    return db_count(fmt("SELECT count(*) FROM audit_log WHERE entity = 'report' AND entity_id = $1 AND action = '%s'", action),
                    id);
}

/* A new unit under TTYT-SD with a submitted report for 2026-06; returns the unit, fills the report id. */
static long long submitted_report(long long *report)
{
    const char *u = uniq();
    resp *r = http_send_json("POST", "/api/v1/units", T_SD_MANAGER,
                             fmt("{\"code\":\"IK%s\",\"name\":\"Đơn vị IK%s\",\"type\":\"other\",\"parent_code\":\"TTYT-SD\"}", u, u));
    ASSERT_STATUS(r, 201);
    long long unit = jint(r, "id");
    resp_free(r);
    r = http_send_json("PUT", fmt("/api/v1/reports/%lld/2026-06", unit), T_SD_REPORTER, "{\"values\":{\"s1_documents_count\":1}}");
    ASSERT_STATUS(r, 201);
    *report = jint(r, "id");
    resp_free(r);
    r = act(T_SD_REPORTER, unit, "submit", NULL, NULL);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    return unit;
}

START_TEST(an_approval_retried_with_its_key_replays_the_answer_and_writes_once)
{
    long long report, unit = submitted_report(&report);
    const char *key = fmt("approve-%s", uniq());
    char k[64], etag1[80], etag2[80], replayed[16];
    snprintf(k, sizeof k, "%s", key);

    resp *first = act(T_SD_MANAGER, unit, "approve", k, NULL);
    ASSERT_STATUS(first, 200);
    ck_assert_str_eq(jstr(first, "status"), "approved");
    ck_assert_ptr_null(resp_header(first, "Idempotent-Replayed", replayed, sizeof replayed));
    ck_assert_ptr_nonnull(resp_header(first, "ETag", etag1, sizeof etag1));

    /* The retry: the same answer, marked as replayed, and no second audit entry. */
    resp *again = act(T_SD_MANAGER, unit, "approve", k, NULL);
    ASSERT_STATUS(again, 200);
    ck_assert_str_eq(resp_header(again, "Idempotent-Replayed", replayed, sizeof replayed), "true");
    ck_assert_str_eq(resp_header(again, "ETag", etag2, sizeof etag2), etag1);
    ck_assert_uint_eq(again->len, first->len);
    ck_assert_mem_eq(again->body, first->body, first->len);
    ck_assert_int_eq(audits(report, "approved"), 1);
    resp_free(again);
    resp_free(first);

    /* Without the key the report's state answers: approved already. */
    resp *r = act(T_SD_MANAGER, unit, "approve", NULL, NULL);
    ASSERT_STATUS(r, 409);
    resp_free(r);
    /* The same key for another report of the same user and action is refused. */
    long long report2, unit2 = submitted_report(&report2);
    r = act(T_SD_MANAGER, unit2, "approve", k, NULL);
    ASSERT_STATUS(r, 422);
    ck_assert_int_eq(audits(report2, "approved"), 0);
    resp_free(r);
    /* Keys belong to the action: the same key returns the other report. */
    r = act(T_SD_MANAGER, unit2, "return", k, "{\"reason\":\"Thiếu số liệu\"}");
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "status"), "returned");
    resp_free(r);
}
END_TEST

START_TEST(a_refused_transition_leaves_no_key_and_a_bad_key_is_400)
{
    long long report, unit = submitted_report(&report);
    char k[64];
    snprintf(k, sizeof k, "submit-%s", uniq());
    /* Submitting a submitted report is a 409 that is not kept under the key... */
    resp *r = act(T_SD_REPORTER, unit, "submit", k, NULL);
    ASSERT_STATUS(r, 409);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM idempotency_keys WHERE key = $1", k), 0);
    /* ...so once the report is returned, the same key submits it. */
    r = act(T_SD_MANAGER, unit, "return", NULL, "{\"reason\":\"Bổ sung\"}");
    ASSERT_STATUS(r, 200);
    resp_free(r);
    r = act(T_SD_REPORTER, unit, "submit", k, NULL);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "status"), "submitted");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM idempotency_keys WHERE key = $1", k), 1);

    char longkey[240];
    memset(longkey, 'k', 201);
    longkey[201] = '\0';
    r = act(T_SD_MANAGER, unit, "approve", longkey, NULL);
    ASSERT_STATUS(r, 400);
    resp_free(r);
    ck_assert_int_eq(audits(report, "approved"), 0);
}
END_TEST

Suite *h8_crash_suite(void)
{
    Suite *s = suite_create("h8_crash");
    TCase *t = tcase_create("report_idempotency");
    tcase_add_test(t, an_approval_retried_with_its_key_replays_the_answer_and_writes_once);
    tcase_add_test(t, a_refused_transition_leaves_no_key_and_a_bad_key_is_400);
    suite_add_tcase(s, t);
    return s;
}
