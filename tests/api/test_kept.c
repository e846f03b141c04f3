/* Kept rollups are never stale: after every kind of change that a rollup depends on, asking again
 * gives the new figures (the kept result is keyed by the subtree's fingerprint and the epoch). */
#include "client.h"

#include <stdio.h>
#include <string.h>

static long long make(const char *token, const char *code, const char *type, const char *parent)
{
    char body[400];
    snprintf(body, sizeof body, "{\"code\":\"%s\",\"name\":\"Đơn vị %s\",\"type\":\"%s\",\"parent_code\":\"%s\","
             "\"opened_on\":\"2025-01-01\"}", code, code, type, parent);
    return created_id(http_send_json("POST", "/api/v1/units", token, body));
}

/* The numerator and denominator of indicator i (0-based) of unit u in a depth-1 rollup of root. */
static void figures(long long root, long long u, int i, long long *num, long long *den, long long *expected,
                    long long *received)
{
    resp *r = rollup_at(T_ADMIN, root, "2026-03", 1, NULL);
    fig f = figure(r, u, i);
    *num = f.num;
    *den = f.den;
    if (expected) *expected = jint(r, "reports_expected");
    if (received) *received = jint(r, "reports_received");
    resp_free(r);
}

START_TEST(a_kept_rollup_follows_every_kind_of_change)
{
    char h[40], s1[48], s2[48], body[400];
    const char *u = uniq();
    snprintf(h, sizeof h, "KP-%s", u);
    snprintf(s1, sizeof s1, "%s-S1", h);
    snprintf(s2, sizeof s2, "%s-S2", h);
    long long H = make(T_ADMIN, h, "health_centre", "SYT-BN");
    long long S1 = make(T_ADMIN, s1, "commune_station", h);
    long long S2 = make(T_ADMIN, s2, "commune_station", h);
    /* S1 and S2 are obliged to report monthly (issue 10 §1). */
    resp *ob = http_send_json("POST", "/api/v1/schedules", T_ADMIN,
                              fmt("{\"unit_id\":%lld,\"period_type\":\"month\",\"due_month\":1,\"due_day\":15}", H));
    ASSERT_STATUS(ob, 201);
    resp_free(ob);
    long long num, den, exp, rec;

    /* CT3 (index 2): facilities H, S1, S2, none with all five services. */
    figures(H, H, 2, &num, &den, &exp, &rec);
    ck_assert_int_eq(num, 0);
    ck_assert_int_eq(den, 3);
    figures(H, H, 2, &num, &den, NULL, NULL); /* asked again: the kept answer */
    ck_assert_int_eq(den, 3);
    static const char *const services[] = {"cashless_payment", "online_booking", "e_prescription", "emr",
                                           "data_interconnection"};
    for (int i = 0; i < 5; i++) {
        char path[160];
        snprintf(path, sizeof path, "/api/v1/units/%lld/services/%s", S1, services[i]);
        resp *r = http_send_json("PUT", path, T_ADMIN, "{\"status\":\"deployed\",\"deployed_on\":\"2026-02-01\"}");
        ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
        resp_free(r);
    }
    figures(H, H, 2, &num, &den, NULL, NULL);
    ck_assert_int_eq(num, 1);

    /* CT4 (index 3): counts and patients served of March. */
    snprintf(body, sizeof body, "{\"unit_id\":%lld,\"month\":\"2026-03\",\"count\":200}", S2);
    resp *r = http_send_json("POST", "/api/v1/patients-served", T_ADMIN, body);
    ASSERT_STATUS(r, 201);
    resp_free(r);
    figures(H, H, 3, &num, &den, NULL, NULL);
    ck_assert_int_eq(num, 0);
    ck_assert_int_eq(den, 200);
    snprintf(body, sizeof body, "{\"unit_id\":%lld,\"month\":\"2026-03\",\"service\":\"vneid_card\",\"target_group\":\"elderly\",\"count\":50}", S2);
    r = http_send_json("POST", "/api/v1/support-counts", T_ADMIN, body);
    ASSERT_STATUS(r, 201);
    resp_free(r);
    figures(H, H, 3, &num, &den, NULL, NULL);
    ck_assert_int_eq(num, 50);

    /* Staff (CT5, index 4): one in S2, then attested on smart devices. */
    snprintf(body, sizeof body, "{\"code\":\"%s-N1\",\"full_name\":\"Lục Thị Nga\",\"unit_id\":%lld,\"job_group\":\"nurse\","
             "\"employment\":\"contract\",\"joined_on\":\"2025-06-01\"}", h, S2);
    r = http_send_json("POST", "/api/v1/staff", T_ADMIN, body);
    ASSERT_STATUS(r, 201);
    long long staff = jint(r, "id");
    resp_free(r);
    figures(H, H, 4, &num, &den, NULL, NULL);
    ck_assert_int_eq(num, 0);
    ck_assert_int_eq(den, 1);
    snprintf(body, sizeof body, "{\"staff_id\":%lld,\"skill\":\"smart_devices\",\"attested_on\":\"2026-01-10\"}", staff);
    r = http_send_json("POST", "/api/v1/attestations", T_ADMIN, body);
    ASSERT_STATUS(r, 201);
    resp_free(r);
    figures(H, H, 4, &num, &den, NULL, NULL);
    ck_assert_int_eq(num, 1);

    /* Reports: S1 submits March. */
    figures(H, H, 0, &num, &den, &exp, &rec);
    ck_assert_int_eq(exp, 2);
    ck_assert_int_eq(rec, 0);
    char path[160];
    snprintf(path, sizeof path, "/api/v1/reports/%lld/2026-03", S1);
    r = http_send_json("PUT", path, T_ADMIN, "{\"values\":{\"s1_documents_count\":1}}");
    ASSERT_STATUS(r, 201);
    resp_free(r);
    snprintf(path, sizeof path, "/api/v1/reports/%lld/2026-03/submit", S1);
    r = http_do("POST", path, &(req_opts){.token = T_ADMIN});
    ASSERT_STATUS(r, 200);
    resp_free(r);
    figures(H, H, 0, &num, &den, &exp, &rec);
    ck_assert_int_eq(rec, 1);

    /* A unit moving out of the subtree takes its staff with it. */
    r = http_send_json("PATCH", (snprintf(path, sizeof path, "/api/v1/units/%lld", S2), path), T_ADMIN,
                       "{\"parent_code\":\"SYT-BN\"}");
    ASSERT_STATUS(r, 200);
    resp_free(r);
    figures(H, H, 4, &num, &den, &exp, NULL);
    ck_assert_int_eq(den, 0);
    ck_assert_int_eq(exp, 1);

    /* A new target for the year changes the answer's target. */
    figures(H, H, 4, &num, &den, NULL, NULL);
    r = http_send_json("PUT", "/api/v1/indicators/CT5/targets/2026", T_ADMIN, "{\"target\":90}");
    ck_assert_msg(r->status == 200 || r->status == 201, "%ld", r->status);
    resp_free(r);
    snprintf(path, sizeof path, "/api/v1/indicators/rollup?unit_id=%lld&period=2026-03&depth=0", H);
    r = http_get(path, T_ADMIN);
    json_t *ct5 = json_array_get(json_object_get(json_array_get(json_object_get(r->json, "units"), 0), "indicators"), 4);
    ck_assert_int_eq((int)json_number_value(json_object_get(ct5, "target")), 90);
    resp_free(r);
    r = http_send_json("PUT", "/api/v1/indicators/CT5/targets/2026", T_ADMIN, "{\"target\":100,\"note\":\"Kế hoạch 2948/KH-SYT\"}");
    resp_free(r);
}
END_TEST

Suite *kept_suite(void)
{
    Suite *s = suite_create("kept");
    TCase *t = tcase_create("kept");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, a_kept_rollup_follows_every_kind_of_change);
    suite_add_tcase(s, t);
    return s;
}
