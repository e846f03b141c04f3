/* Reporting obligations and calendars with effective dates (issue 10 §1): a three-level tree
 * (stations, wards and offices -> health centre -> Department) of its own, obligations that
 * target one child, a unit type or all children, due dates fixed per period, on-time, late and
 * missing reports over two periods, the reporting-rate series, reporting-status agreeing with
 * the rollup, the demo data's calendars, and bad input. The two periods are the two months
 * before the current one (Vietnam date), so every figure is exact whatever day it runs. */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static resp *post_obligation(const char *token, const char *body)
{
    return http_send_json("POST", "/api/v1/reporting-obligations", token, body);
}

static long long obligation(const char *body)
{
    return created_id(post_obligation(T_ADMIN, body));
}

static void draft(long long unit, const char *period)
{
    resp *r = http_send_json("PUT", report_path(unit, period), T_ADMIN, "{\"values\":{\"s1_documents_count\":1}}");
    ck_assert_msg(r->status == 201 || r->status == 200, "draft %s: %ld %s", period, r->status, r->body);
    resp_free(r);
}

/* Drafts and submits; checks the due date and the timeliness the report gets. */
static void submit(long long unit, const char *period, const char *due, const char *timeliness)
{
    draft(unit, period);
    resp *r = http_do("POST", fmt("%s/submit", report_path(unit, period)), &(req_opts){.token = T_ADMIN});
    ASSERT_STATUS(r, 200);
    ck_assert_msg(strcmp(jstr(r, "due_on"), due) == 0, "%s: due %s, want %s", period, jstr(r, "due_on"), due);
    ck_assert_str_eq(jstr(r, "timeliness"), timeliness);
    ck_assert_str_eq(jstr(r, "first_submitted_at"), jstr(r, "submitted_at"));
    resp_free(r);
}

static const char *due_of(long long unit, const char *period)
{
    resp *r = http_get(report_path(unit, period), T_ADMIN);
    ASSERT_STATUS(r, 200);
    json_t *d = json_object_get(r->json, "due_on");
    const char *out = json_is_null(d) ? "null" : fmt("%s", json_string_value(d));
    resp_free(r);
    return out;
}

static json_t *item_of(const resp *r, const char *key, const char *value)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r->json, "items"), i, it) {
        json_t *v = json_object_get(it, key);
        if (json_is_string(v) && strcmp(json_string_value(v), value) == 0) return it;
    }
    return NULL;
}

static long long num(json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

/* The reporting status of unit for period: summary (expected, received, on_time, late). */
static void status_is(long long unit, const char *period, int expected, int received, int on_time, int late)
{
    resp *r = http_get(fmt("/api/v1/reporting-status?unit_id=%lld&period=%s", unit, period), T_ADMIN);
    ASSERT_STATUS(r, 200);
    json_t *s = json_object_get(r->json, "summary");
    ck_assert_msg(num(s, "expected") == expected && num(s, "received") == received && num(s, "on_time") == on_time &&
                      num(s, "late") == late,
                  "status of %lld for %s: %s, want %d %d %d %d", unit, period, r->body, expected, received, on_time, late);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), (size_t)expected);
    resp_free(r);
}

static void rollup_is(long long unit, const char *period, int expected, int received)
{
    resp *r = rollup_at(T_ADMIN, unit, period, 1, NULL);
    ck_assert_msg(jint(r, "reports_expected") == expected && jint(r, "reports_received") == received,
                  "rollup of %lld for %s: %lld/%lld, want %d/%d", unit, period, jint(r, "reports_expected"),
                  jint(r, "reports_received"), expected, received);
    resp_free(r);
}

static int has_error_like(const resp *r, const char *field, const char *words)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r->json, "errors"), i, e) {
        if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0 &&
            (words == NULL || strstr(json_string_value(json_object_get(e, "message")), words) != NULL))
            return 1;
    }
    return 0;
}

static long long count_obligations(long long parent)
{
    return db_count("SELECT count(*) FROM reporting_obligations WHERE parent_id = $1::bigint", idstr(parent));
}

START_TEST(three_levels_obligations_due_dates_timeliness_rates_and_the_rollup)
{
    const char *u = uniq();
    char pp[16], p1[16], pp_first[16], pp_last[16], p1_first[16], cur_last[16], today[16];
    db_value("SELECT to_char(vn_today() - interval '2 months', 'YYYY-MM')", NULL, pp, sizeof pp);
    last_month(p1, sizeof p1);
    db_value("SELECT (date_trunc('month', vn_today()) - interval '2 months')::date::text", NULL, pp_first,
             sizeof pp_first);
    db_value("SELECT (date_trunc('month', vn_today()) - interval '1 month' - interval '1 day')::date::text", NULL,
             pp_last, sizeof pp_last);
    db_value("SELECT (date_trunc('month', vn_today()) - interval '1 month')::date::text", NULL, p1_first,
             sizeof p1_first);
    db_value("SELECT (date_trunc('month', vn_today()) + interval '1 month - 1 day')::date::text", NULL, cur_last,
             sizeof cur_last);
    db_value("SELECT vn_today()::text", NULL, today, sizeof today);
    char p1_last[16];
    db_value("SELECT (date_trunc('month', vn_today()) - interval '1 day')::date::text", NULL, p1_last, sizeof p1_last);

    /* The tree: a Department with two offices, a hospital and a health centre; the health
     * centre with its quality office, a ward and four stations (one opened in the second
     * period, one closed at the end of the first). */
    char D[40], HC[48];
    snprintf(D, sizeof D, "OB%s", u);
    snprintf(HC, sizeof HC, "%s-HC", D);
    long long dep = unit_made(D, "department_of_health", NULL);
    long long khth = unit_made(fmt("%s-KHTH", D), "office", D);
    unit_made(fmt("%s-VP", D), "office", D);
    long long hos = unit_made(fmt("%s-BV", D), "hospital", D);
    long long hc = unit_made(HC, "health_centre", D);
    long long ql = unit_made(fmt("%s-QL", HC), "unit_office", HC);
    long long w1 = unit_made(fmt("%s-W1", HC), "ward", HC);
    long long st1 = unit_made(fmt("%s-S1", HC), "commune_station", HC);
    long long st2 = unit_made(fmt("%s-S2", HC), "commune_station", HC);
    long long st3 = unit_made_on(fmt("%s-S3", HC), "commune_station", HC, p1_first);
    long long st4 = unit_made(fmt("%s-S4", HC), "commune_station", HC);
    resp *r = http_do("DELETE", fmt("/api/v1/units/%lld?closed_on=%s", st4, pp_last), &(req_opts){.token = T_ADMIN});
    ASSERT_STATUS(r, 204);
    resp_free(r);

    /* The health centre's children report by the 14th (of the month; of the period's last
     * month), to its quality office; the ward, by the end of the next month (its own rule,
     * the most specific one, added first). */
    long long ow1 = obligation(fmt("{\"parent_id\":%lld,\"target\":\"child\",\"child_id\":%lld,\"calendar\":"
                                   "{\"month\":{\"due_month\":2,\"due_day\":31}},\"valid_from\":\"2025-01-01\"}", hc, w1));
    r = post_obligation(T_ADMIN, fmt("{\"parent_code\":\"%s\",\"target\":\"all_children\",\"calendar\":{\"month\":"
                                     "{\"due_day\":14},\"quarter\":{\"due_day\":14},\"half_year\":{\"due_day\":14},"
                                     "\"year\":{\"due_day\":14}},\"approver_unit_id\":%lld,\"valid_from\":\"2025-01-01\","
                                     "\"description\":\"Kế hoạch 19/KH-TTYT\"}", HC, ql));
    ASSERT_STATUS(r, 201);
    long long ohc = jint(r, "id");
    char loc[96];
    ck_assert_str_eq(resp_header(r, "Location", loc, sizeof loc), fmt("/api/v1/reporting-obligations/%lld", ohc));
    ck_assert_int_eq(jint(r, "parent_id"), hc);
    ck_assert_str_eq(jstr(r, "target"), "all_children");
    ck_assert_str_eq(jstr(r, "form"), "activity_report");
    ck_assert_int_eq(jint(r, "approver_unit_id"), ql);
    ck_assert_str_eq(jstr(r, "valid_from"), "2025-01-01");
    ck_assert(json_is_null(json_object_get(r->json, "valid_to")));
    json_t *cal = json_object_get(r->json, "calendar");
    ck_assert_int_eq(num(json_object_get(cal, "month"), "due_month"), 1); /* the period's last month */
    ck_assert_int_eq(num(json_object_get(cal, "quarter"), "due_month"), 3);
    ck_assert_int_eq(num(json_object_get(cal, "half_year"), "due_month"), 6);
    ck_assert_int_eq(num(json_object_get(cal, "year"), "due_month"), 12);
    ck_assert_int_eq(num(json_object_get(cal, "year"), "due_day"), 14);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'reporting_obligation' AND action = 'create'"
                              " AND entity_id = $1", idstr(ohc)), 1);
    /* The Department: the health centre by the 18th; its offices send nothing; every other
     * child by the 15th, the 10th of the quarter's last month, 5 June, 5 December; compiled
     * by its KHTH office. */
    long long odhc = obligation(fmt("{\"parent_id\":%lld,\"target\":\"child\",\"child_code\":\"%s\",\"calendar\":"
                                    "{\"month\":{\"due_day\":18},\"quarter\":{\"due_day\":18},\"half_year\":{\"due_day\":18},"
                                    "\"year\":{\"due_day\":18}},\"approver_unit_id\":%lld,\"valid_from\":\"2025-01-01\"}",
                                    dep, HC, khth));
    r = post_obligation(T_ADMIN, fmt("{\"parent_id\":%lld,\"target\":\"unit_type\",\"unit_type\":\"office\","
                                     "\"exempt\":true,\"valid_from\":\"2025-01-01\"}", dep));
    ASSERT_STATUS(r, 201);
    ck_assert(json_is_true(json_object_get(r->json, "exempt")));
    ck_assert_uint_eq(json_object_size(json_object_get(r->json, "calendar")), 0);
    ck_assert_int_eq(jint(r, "approver_unit_id"), dep); /* the parent by default */
    resp_free(r);
    long long odall = obligation(fmt("{\"parent_id\":%lld,\"target\":\"all_children\",\"calendar\":{\"month\":{\"due_day\":15},"
                                     "\"quarter\":{\"due_month\":3,\"due_day\":10},\"half_year\":{\"due_month\":6,\"due_day\":5},"
                                     "\"year\":{\"due_month\":12,\"due_day\":5}},\"approver_unit_code\":\"%s-KHTH\","
                                     "\"valid_from\":\"2025-01-01\"}", dep, D));
    ck_assert_int_eq(count_obligations(dep), 3);

    /* /schedules shows the obligations that cover all children, one row per period type. */
    r = http_get(fmt("/api/v1/schedules?unit_id=%lld", dep), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 4);
    json_t *sq = item_of(r, "period_type", "quarter");
    ck_assert_int_eq(num(sq, "due_month"), 3);
    ck_assert_int_eq(num(sq, "due_day"), 10);
    resp_free(r);
    r = http_get(fmt("/api/v1/schedules?unit_id=%lld&period_type=month", hc), T_ADMIN);
    ck_assert_int_eq(jint(r, "total"), 1);
    ck_assert_int_eq(num(json_array_get(json_object_get(r->json, "items"), 0), "due_day"), 14);
    resp_free(r);

    /* Due dates of every period type at each level ("trước ngày N" is day N). */
    static const char *const periods[] = {"2026Q3", "2026S1", "2026"};
    static const char *const due_st[] = {"2026-09-14", "2026-06-14", "2026-12-14"};
    static const char *const due_hc[] = {"2026-09-18", "2026-06-18", "2026-12-18"};
    static const char *const due_hos[] = {"2026-09-10", "2026-06-05", "2026-12-05"};
    for (int i = 0; i < 3; i++) {
        draft(st1, periods[i]);
        draft(hc, periods[i]);
        draft(hos, periods[i]);
        ck_assert_str_eq(due_of(st1, periods[i]), due_st[i]);
        ck_assert_str_eq(due_of(hc, periods[i]), due_hc[i]);
        ck_assert_str_eq(due_of(hos, periods[i]), due_hos[i]);
    }
    draft(khth, p1); /* an office may keep a report; it is not expected */
    ck_assert_str_eq(due_of(khth, p1), "null");

    /* The first period: S1 and W1 send theirs, late (S1 by the 14th, W1 by the end of the
     * second period); S2, S4 and the office do not; the health centre sends nothing yet. */
    submit(st1, pp, fmt("%s-14", pp), "late");
    submit(w1, pp, p1_last, "late");
    draft(ql, pp);
    /* The second period: S1 and S2 late, W1 on time (due the last day of this month), the
     * quality office and the new station S3 missing; the health centre late (by the 18th);
     * the hospital missing; the office's report does not count. */
    submit(st1, p1, fmt("%s-14", p1), "late");
    submit(st2, p1, fmt("%s-14", p1), "late");
    submit(w1, p1, cur_last, "on_time");
    submit(hc, p1, fmt("%s-18", p1), "late");
    resp_free(http_do("POST", fmt("%s/submit", report_path(khth, p1)), &(req_opts){.token = T_ADMIN}));

    /* Who reported: only the obliged children, open during the period. */
    status_is(hc, pp, 5, 2, 0, 2); /* S1 S2 S4 W1 QL */
    status_is(hc, p1, 5, 3, 1, 2); /* S1 S2 S3 W1 QL */
    status_is(dep, pp, 2, 0, 0, 0); /* HC and the hospital, not the offices */
    status_is(dep, p1, 2, 1, 0, 1);
    r = http_get(fmt("/api/v1/reporting-status?unit_id=%lld&period=%s", dep, p1), T_ADMIN);
    json_t *it = item_of(r, "unit_code", HC);
    ck_assert_str_eq(json_string_value(json_object_get(it, "due_on")), fmt("%s-18", p1));
    ck_assert_int_eq(num(it, "obligation_id"), odhc);
    it = item_of(r, "unit_code", fmt("%s-BV", D));
    ck_assert_str_eq(json_string_value(json_object_get(it, "due_on")), fmt("%s-15", p1));
    ck_assert_str_eq(json_string_value(json_object_get(it, "status")), "missing");
    ck_assert(json_is_true(json_object_get(it, "overdue")));
    ck_assert_int_eq(num(it, "obligation_id"), odall);
    ck_assert_ptr_null(item_of(r, "unit_code", fmt("%s-KHTH", D)));
    resp_free(r);
    r = http_get(fmt("/api/v1/reporting-status?unit_id=%lld&period=%s", hc, p1), T_ADMIN);
    it = item_of(r, "unit_code", fmt("%s-W1", HC));
    ck_assert_int_eq(num(it, "obligation_id"), ow1);
    ck_assert_str_eq(json_string_value(json_object_get(it, "timeliness")), "on_time");
    ck_assert_ptr_null(item_of(r, "unit_code", fmt("%s-S4", HC))); /* closed before the period */
    ck_assert_ptr_nonnull(item_of(r, "unit_code", fmt("%s-S3", HC)));
    resp_free(r);

    /* The rollup's figures agree: a unit's expected reports are those of the reporting status
     * of the unit and of every unit below it. */
    rollup_is(dep, pp, 2 + 5, 0 + 2);
    rollup_is(dep, p1, 2 + 5, 1 + 3);
    rollup_is(hc, p1, 5, 3);
    r = http_get(fmt("/api/v1/indicators/rollup?unit_id=%lld&period=%s&depth=1", dep, p1), T_ADMIN);
    it = item_of(r, "unit_code", HC);
    ck_assert_ptr_null(it); /* the units list is not under "items" */
    size_t i;
    json_t *row;
    int seen = 0;
    json_array_foreach(json_object_get(r->json, "units"), i, row) {
        if (num(row, "unit_id") == hc) {
            ck_assert_int_eq(num(row, "reports_expected"), 5);
            ck_assert_int_eq(num(row, "reports_received"), 3);
            seen = 1;
        }
    }
    ck_assert(seen);
    resp_free(r);

    /* The rate series of the Department's subtree: per period expected, received, on time. */
    r = http_get(fmt("/api/v1/reporting-rates?unit_id=%lld&from=%s&to=%s", dep, pp, p1), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "period_type"), "month");
    ck_assert_str_eq(jstr(r, "from"), pp);
    ck_assert_str_eq(jstr(r, "to"), p1);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 2);
    json_t *a = json_array_get(items, 0), *b = json_array_get(items, 1);
    ck_assert_str_eq(json_string_value(json_object_get(a, "period")), pp);
    ck_assert_str_eq(json_string_value(json_object_get(a, "first_day")), pp_first);
    ck_assert_str_eq(json_string_value(json_object_get(a, "last_day")), pp_last);
    ck_assert_int_eq(num(a, "expected"), 7);
    ck_assert_int_eq(num(a, "received"), 2);
    ck_assert_int_eq(num(a, "on_time"), 0);
    ck_assert_int_eq(num(a, "late"), 2);
    ck_assert_int_eq(num(a, "missing"), 5);
    ck_assert_double_eq_tol(json_number_value(json_object_get(a, "received_rate")), 28.6, 1e-9);
    ck_assert_double_eq_tol(json_number_value(json_object_get(a, "on_time_rate")), 0, 1e-9);
    ck_assert_int_eq(num(b, "expected"), 7);
    ck_assert_int_eq(num(b, "received"), 4);
    ck_assert_int_eq(num(b, "on_time"), 1);
    ck_assert_double_eq_tol(json_number_value(json_object_get(b, "received_rate")), 57.1, 1e-9);
    ck_assert_double_eq_tol(json_number_value(json_object_get(b, "on_time_rate")), 14.3, 1e-9);
    resp_free(r);
    /* The health centre's, one period; and the quarters of 2026 (nothing received: 0 %). */
    r = http_get(fmt("/api/v1/reporting-rates?unit_id=%lld&from=%s&to=%s", hc, p1, p1), T_ADMIN);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    ck_assert_int_eq(num(json_array_get(json_object_get(r->json, "items"), 0), "expected"), 5);
    resp_free(r);
    r = http_get(fmt("/api/v1/reporting-rates?unit_id=%lld&from=2026Q1&to=2026Q2", hc), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r->json, "items"), 1), "period")),
                     "2026Q2");
    ck_assert_int_eq(num(json_array_get(json_object_get(r->json, "items"), 1), "expected"), 5); /* S1 S2 S4 W1 QL */
    ck_assert_int_eq(num(json_array_get(json_object_get(r->json, "items"), 1), "received"), 0);
    resp_free(r);

    /* A returned report submitted again keeps its first submission time and its timeliness. */
    r = http_get(report_path(st1, p1), T_ADMIN);
    char first[40];
    snprintf(first, sizeof first, "%s", jstr(r, "submitted_at"));
    resp_free(r);
    r = http_send_json("POST", fmt("%s/return", report_path(st1, p1)), T_ADMIN, "{\"reason\":\"Bổ sung mục 5\"}");
    ASSERT_STATUS(r, 200);
    resp_free(r);
    status_is(hc, p1, 5, 2, 1, 1);
    r = http_do("POST", fmt("%s/submit", report_path(st1, p1)), &(req_opts){.token = T_ADMIN});
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "first_submitted_at"), first);
    ck_assert_int_ge(strcmp(jstr(r, "submitted_at"), first), 0);
    ck_assert_str_eq(jstr(r, "timeliness"), "late");
    resp_free(r);
    status_is(hc, p1, 5, 3, 1, 2);

    /* Changing a rule: end it and add the new one; both are kept. The ward's own rule ends
     * at the end of the first period (after the fact): the second period, already begun, keeps
     * its due date and W1 stays expected and on time. */
    r = http_send_json("POST", fmt("/api/v1/reporting-obligations/%lld/end", ow1), T_ADMIN,
                       fmt("{\"valid_to\":\"%s\"}", pp_last));
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "valid_to"), pp_last);
    ck_assert_ptr_nonnull(jstr(r, "ended_at"));
    resp_free(r);
    ck_assert_str_eq(due_of(w1, p1), cur_last);
    status_is(hc, p1, 5, 3, 1, 2);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'reporting_obligation' AND action = 'end'"
                              " AND entity_id = $1 AND before->>'valid_to' IS NULL", idstr(ow1)), 1);
    /* The health centre's rule ends this month; from next month on, by the 20th. */
    r = http_send_json("POST", fmt("/api/v1/reporting-obligations/%lld/end", ohc), T_ADMIN,
                       fmt("{\"valid_to\":\"%s\"}", cur_last));
    ASSERT_STATUS(r, 200);
    resp_free(r);
    char next_first[16];
    db_value("SELECT (date_trunc('month', vn_today()) + interval '1 month')::date::text", NULL, next_first,
             sizeof next_first);
    long long ohc2 = obligation(fmt("{\"parent_id\":%lld,\"target\":\"all_children\",\"calendar\":{\"month\":{\"due_day\":20}},"
                                    "\"valid_from\":\"%s\"}", hc, next_first));
    r = http_get(fmt("/api/v1/reporting-obligations?parent_id=%lld", hc), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 3);
    resp_free(r);
    r = http_get(fmt("/api/v1/reporting-obligations?parent_id=%lld&active_on=%s", hc, today), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 0); /* outside the reporter's view */
    resp_free(r);
    r = http_get(fmt("/api/v1/reporting-obligations?parent_id=%lld&active_on=%s", hc, today), T_ADMIN);
    ck_assert_int_eq(jint(r, "total"), 1);
    ck_assert_int_eq(num(json_array_get(json_object_get(r->json, "items"), 0), "id"), ohc);
    resp_free(r);
    r = http_get(fmt("/api/v1/reporting-obligations?unit_id=%lld&active_on=%s", st1, next_first), T_ADMIN);
    ck_assert_int_eq(jint(r, "total"), 1);
    ck_assert_int_eq(num(json_array_get(json_object_get(r->json, "items"), 0), "id"), ohc2);
    resp_free(r);
    r = http_get(fmt("/api/v1/reporting-obligations/%lld", ohc), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "valid_to"), cur_last);
    resp_free(r);
    ck_assert_str_eq(due_of(st1, p1), fmt("%s-14", p1));

    /* Bad input: a clear 422 each, nothing written. */
    long long before = count_obligations(hc);
    r = post_obligation(T_ADMIN, fmt("{\"parent_id\":%lld,\"target\":\"unit_type\",\"unit_type\":\"ward\","
                                     "\"calendar\":{\"month\":{\"due_month\":1}},\"valid_from\":\"2030-01-01\"}", hc));
    ASSERT_STATUS(r, 422);
    ck_assert(has_error_like(r, "calendar.month", "no due_day"));
    resp_free(r);
    r = post_obligation(T_ADMIN, fmt("{\"parent_id\":%lld,\"target\":\"unit_type\",\"unit_type\":\"ward\","
                                     "\"calendar\":{},\"valid_from\":\"2030-01-01\"}", hc));
    ASSERT_STATUS(r, 422);
    ck_assert(has_error_like(r, "calendar", "no due day"));
    resp_free(r);
    r = post_obligation(T_ADMIN, fmt("{\"parent_id\":%lld,\"target\":\"unit_type\",\"unit_type\":\"ward\","
                                     "\"valid_from\":\"2030-01-01\"}", hc));
    ASSERT_STATUS(r, 422);
    ck_assert(has_error_like(r, "calendar", "is required"));
    resp_free(r);
    /* Overlapping the health centre's new rule: same children, form and period type. */
    r = post_obligation(T_ADMIN, fmt("{\"parent_id\":%lld,\"target\":\"all_children\",\"calendar\":{\"month\":"
                                     "{\"due_day\":25}},\"valid_from\":\"2030-01-01\",\"valid_to\":\"2030-12-31\"}", hc));
    ASSERT_STATUS(r, 422);
    ck_assert(has_error_like(r, "valid_from", fmt("overlaps reporting obligation %lld ", ohc2)));
    ck_assert(has_error_like(r, "valid_from", fmt("/api/v1/reporting-obligations/%lld/end", ohc2)));
    resp_free(r);
    /* ... and the ward's own rule overlapping an earlier one of its own. */
    r = post_obligation(T_ADMIN, fmt("{\"parent_id\":%lld,\"target\":\"child\",\"child_id\":%lld,\"calendar\":"
                                     "{\"month\":{\"due_day\":3}},\"valid_from\":\"2024-06-01\",\"valid_to\":\"2025-02-01\"}",
                                     hc, w1));
    ASSERT_STATUS(r, 422);
    ck_assert(has_error_like(r, "valid_from", fmt("overlaps reporting obligation %lld ", ow1)));
    resp_free(r);
    const char *bad[] = {
        fmt("{\"parent_id\":%lld,\"target\":\"child\",\"child_id\":%lld,\"calendar\":{\"month\":{\"due_day\":3}},"
            "\"valid_from\":\"2030-01-01\"}", hc, hos),                    /* not a child of the parent */
        fmt("{\"parent_id\":%lld,\"target\":\"all_children\",\"calendar\":{\"month\":{\"due_day\":3}},"
            "\"approver_unit_id\":%lld,\"valid_from\":\"2030-01-01\"}", hc, w1), /* a ward approves nothing */
        fmt("{\"parent_id\":%lld,\"target\":\"child\",\"calendar\":{\"month\":{\"due_day\":3}},"
            "\"valid_from\":\"2030-01-01\"}", hc),                        /* which child? */
        fmt("{\"parent_id\":%lld,\"target\":\"everyone\",\"calendar\":{\"month\":{\"due_day\":3}},"
            "\"valid_from\":\"2030-01-01\"}", hc),
        fmt("{\"parent_id\":%lld,\"target\":\"all_children\",\"calendar\":{\"week\":{\"due_day\":3}},"
            "\"valid_from\":\"2030-01-01\"}", hc),
        fmt("{\"parent_id\":%lld,\"target\":\"all_children\",\"calendar\":{\"month\":{\"due_day\":32}},"
            "\"valid_from\":\"2030-01-01\"}", hc),
        fmt("{\"parent_id\":%lld,\"target\":\"all_children\",\"calendar\":{\"month\":{\"due_day\":3}},"
            "\"valid_from\":\"2030-01-01\",\"valid_to\":\"2029-12-31\"}", hc),
        fmt("{\"parent_id\":%lld,\"target\":\"all_children\",\"exempt\":true,\"calendar\":{\"month\":{\"due_day\":3}},"
            "\"valid_from\":\"2030-01-01\"}", hc),
        fmt("{\"parent_id\":%lld,\"target\":\"all_children\",\"calendar\":{\"month\":{\"due_day\":3}}}", hc),
        fmt("{\"parent_id\":%lld,\"target\":\"all_children\",\"form\":\"other\",\"calendar\":{\"month\":{\"due_day\":3}},"
            "\"valid_from\":\"2030-01-01\"}", hc),
        "{\"parent_id\":999999999,\"target\":\"all_children\",\"calendar\":{\"month\":{\"due_day\":3}},"
        "\"valid_from\":\"2030-01-01\"}",
        NULL};
    for (int k = 0; bad[k]; k++) {
        r = post_obligation(T_ADMIN, bad[k]);
        ck_assert_msg(r->status == 422, "bad %d: %ld %s", k, r->status, r->body);
        ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:validation");
        resp_free(r);
    }
    ck_assert_int_eq(count_obligations(hc), before);
    /* Who may change: a manager of the parent's subtree only; reporters and viewers read. */
    r = post_obligation(T_SD_MANAGER, fmt("{\"parent_id\":%lld,\"target\":\"all_children\",\"calendar\":"
                                          "{\"month\":{\"due_day\":3}},\"valid_from\":\"2030-01-01\"}", hc));
    ASSERT_STATUS(r, 422); /* outside its subtree: no such unit */
    ck_assert(has_error_like(r, "parent_id", NULL));
    resp_free(r);
    const char *readers[] = {T_SD_REPORTER, T_SYT_VIEWER, T_INTEGRATION};
    for (int k = 0; k < 3; k++) {
        r = post_obligation(readers[k], fmt("{\"parent_id\":%lld,\"target\":\"all_children\",\"calendar\":"
                                            "{\"month\":{\"due_day\":3}},\"valid_from\":\"2030-01-01\"}", hc));
        ASSERT_STATUS(r, 403);
        resp_free(r);
    }
    ck_assert_int_eq(count_obligations(hc), before);
    /* Ending: the day is required; not before the day before the start; only earlier. */
    r = http_send_json("POST", fmt("/api/v1/reporting-obligations/%lld/end", ohc2), T_ADMIN, "{}");
    ASSERT_STATUS(r, 422);
    resp_free(r);
    r = http_send_json("POST", fmt("/api/v1/reporting-obligations/%lld/end", ohc2), T_ADMIN, "{\"valid_to\":\"2020-01-01\"}");
    ASSERT_STATUS(r, 422);
    ck_assert(has_error_like(r, "valid_to", "the day before"));
    resp_free(r);
    r = http_send_json("POST", fmt("/api/v1/reporting-obligations/%lld/end", ohc), T_ADMIN, "{\"valid_to\":\"2099-01-01\"}");
    ASSERT_STATUS(r, 409);
    resp_free(r);
    r = http_send_json("POST", "/api/v1/reporting-obligations/999999999/end", T_ADMIN, "{\"valid_to\":\"2099-01-01\"}");
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_get("/api/v1/reporting-obligations/999999999", T_ADMIN);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    /* Rates: the query is checked. */
    const char *badq[] = {fmt("/api/v1/reporting-rates?unit_id=%lld&from=%s", dep, pp),
                          fmt("/api/v1/reporting-rates?unit_id=%lld&from=%s&to=2026Q4", dep, pp),
                          fmt("/api/v1/reporting-rates?unit_id=%lld&from=%s&to=%s", dep, p1, pp),
                          fmt("/api/v1/reporting-rates?unit_id=%lld&from=2000-01&to=2026-01", dep),
                          fmt("/api/v1/reporting-rates?unit_id=%lld&from=2026-13&to=2026-12", dep),
                          "/api/v1/reporting-rates?from=2026-01&to=2026-02",
                          fmt("/api/v1/reporting-rates?unit_id=%lld&from=2026-01&to=2026-02&x=1", dep), NULL};
    assert_each_400(T_ADMIN, "", badq);
    r = http_get(fmt("/api/v1/reporting-rates?unit_id=%lld&from=2026-01&to=2026-02", dep), T_SD_REPORTER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    (void)st3;
}
END_TEST

/* The seed plans' calendars in the demo data (plan 2948/KH-SYT part VII; plan 19/KH-TTYT VII). */
START_TEST(demo_calendars_follow_the_two_plans)
{
    long long syt = unit_id("SYT-BN"), sd = unit_id("TTYT-SD");
    /* SYT-BN: its offices send nothing; TTYT-SD by the 18th; the others by the 15th, the 10th
     * of the quarter's last month, 5 June, 5 December. */
    static const char *const periods[] = {"2026-10", "2026Q4", "2026S1", "2026"};
    static const char *const due_sd[] = {"2026-10-18", "2026-12-18", "2026-06-18", "2026-12-18"};
    static const char *const due_others[] = {"2026-10-15", "2026-12-10", "2026-06-05", "2026-12-05"};
    static const char *const due_below_sd[] = {"2026-10-14", "2026-12-14", "2026-06-14", "2026-12-14"};
    for (int i = 0; i < 4; i++) {
        resp *r = http_get(fmt("/api/v1/reporting-status?unit_id=%lld&period=%s", syt, periods[i]), T_SYT_VIEWER);
        ASSERT_STATUS(r, 200);
        /* CDC, two hospitals, TTYT-SD (and what other tests added under SYT-BN) */
        ck_assert_int_ge(num(json_object_get(r->json, "summary"), "expected"), 4);
        static const char *const offices[] = {"SYT-VP", "SYT-KHTH", "SYT-TCCB", "SYT-NVY", "SYT-TCKT"};
        for (int k = 0; k < 5; k++) ck_assert_ptr_null(item_of(r, "unit_code", offices[k]));
        ck_assert_str_eq(json_string_value(json_object_get(item_of(r, "unit_code", "TTYT-SD"), "due_on")), due_sd[i]);
        ck_assert_str_eq(json_string_value(json_object_get(item_of(r, "unit_code", "24001"), "due_on")), due_others[i]);
        ck_assert_str_eq(json_string_value(json_object_get(item_of(r, "unit_code", "CDC-BN"), "due_on")), due_others[i]);
        resp_free(r);
        r = http_get(fmt("/api/v1/reporting-status?unit_id=%lld&period=%s", sd, periods[i]), T_SD_REPORTER);
        ASSERT_STATUS(r, 200);
        /* wards, offices, stations (and what other tests added under TTYT-SD) */
        ck_assert_int_ge(num(json_object_get(r->json, "summary"), "expected"), 14);
        ck_assert_str_eq(json_string_value(json_object_get(item_of(r, "unit_code", "TYT-ANLAC"), "due_on")), due_below_sd[i]);
        ck_assert_str_eq(json_string_value(json_object_get(item_of(r, "unit_code", "TTYT-SD-KKB"), "due_on")),
                         due_below_sd[i]);
        ck_assert_str_eq(json_string_value(json_object_get(item_of(r, "unit_code", "TTYT-SD-TCHC"), "due_on")),
                         due_below_sd[i]);
        resp_free(r);
    }
    /* The obligations as the plans say them, readable by TTYT-SD's reporter (they set its deadlines). */
    resp *r = http_get(fmt("/api/v1/reporting-obligations?parent_id=%lld", syt), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_ge(jint(r, "total"), 3);
    json_t *office = item_of(r, "unit_type", "office");
    ck_assert_ptr_nonnull(office);
    ck_assert(json_is_true(json_object_get(office, "exempt")));
    json_t *child = item_of(r, "child_code", "TTYT-SD");
    ck_assert_int_eq(num(json_object_get(json_object_get(child, "calendar"), "month"), "due_day"), 18);
    ck_assert_str_eq(json_string_value(json_object_get(child, "approver_unit_code")), "SYT-KHTH");
    resp_free(r);
    /* The rollup of SYT-BN agrees with the reporting status: SYT-BN's expected reports are its
     * own status's plus those below each of its children. */
    r = http_get(fmt("/api/v1/indicators/rollup?unit_id=%lld&period=2026-10&depth=1", syt), T_ADMIN);
    ASSERT_STATUS(r, 200);
    long long expected = jint(r, "reports_expected"), received = jint(r, "reports_received");
    long long e2 = 0, r2 = 0;
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(r->json, "units"), i, row) {
        if (num(row, "depth") == 1) e2 += num(row, "reports_expected"), r2 += num(row, "reports_received");
        if (num(row, "unit_id") == sd) {
            resp *s2 = http_get(fmt("/api/v1/reporting-status?unit_id=%lld&period=2026-10", sd), T_ADMIN);
            ck_assert_int_le(num(json_object_get(s2->json, "summary"), "expected"), num(row, "reports_expected"));
            resp_free(s2);
        }
    }
    resp_free(r);
    r = http_get(fmt("/api/v1/reporting-status?unit_id=%lld&period=2026-10", syt), T_ADMIN);
    e2 += num(json_object_get(r->json, "summary"), "expected");
    r2 += num(json_object_get(r->json, "summary"), "received");
    resp_free(r);
    ck_assert_int_ge(expected, 18);
    ck_assert_int_eq(expected, e2);
    ck_assert_int_eq(received, r2);
    r = http_get(fmt("/api/v1/reporting-rates?unit_id=%lld&from=2026-10&to=2026-10", syt), T_ADMIN);
    ck_assert_int_eq(num(json_array_get(json_object_get(r->json, "items"), 0), "expected"), expected);
    ck_assert_int_eq(num(json_array_get(json_object_get(r->json, "items"), 0), "received"), received);
    resp_free(r);
}
END_TEST

/* A schedule is the view of an obligation covering all children: writing one changes the
 * obligation (ending it and adding the next), and each change is audited. */
START_TEST(schedule_writes_end_and_add_obligations_audited)
{
    char code[48], today[16], yesterday[16];
    snprintf(code, sizeof code, "OS%s", uniq());
    db_value("SELECT vn_today()::text", NULL, today, sizeof today);
    db_value("SELECT (vn_today() - 1)::text", NULL, yesterday, sizeof yesterday);
    long long p = created_id(http_send_json("POST", "/api/v1/units", T_SD_MANAGER,
                                            fmt("{\"code\":\"%s\",\"name\":\"Đơn vị %s\",\"type\":\"other\","
                                                "\"parent_code\":\"TTYT-SD\"}", code, code)));
    long long sid = created_id(http_send_json("POST", "/api/v1/schedules", T_SD_MANAGER,
                                              fmt("{\"unit_id\":%lld,\"period_type\":\"month\",\"due_month\":1,"
                                                  "\"due_day\":10}", p)));
    long long o1 = db_count("SELECT obligation_id FROM schedules WHERE id = $1::bigint", idstr(sid));
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'reporting_obligation' AND action = 'create'"
                              " AND entity_id = $1 AND username = 'sondong.manager'", idstr(o1)), 1);
    resp *r = http_get(fmt("/api/v1/reporting-obligations/%lld", o1), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "target"), "all_children");
    ck_assert(json_is_null(json_object_get(r->json, "valid_from"))); /* since always, as schedules were */
    resp_free(r);
    /* A new due day: the obligation ends yesterday, a copy starts today; the schedule keeps its id. */
    r = http_send_json("PATCH", fmt("/api/v1/schedules/%lld", sid), T_SD_MANAGER, "{\"due_day\":12}");
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "id"), sid);
    ck_assert_int_eq(jint(r, "due_day"), 12);
    resp_free(r);
    long long o2 = db_count("SELECT obligation_id FROM schedules WHERE id = $1::bigint", idstr(sid));
    ck_assert_int_ne(o1, o2);
    r = http_get(fmt("/api/v1/reporting-obligations/%lld", o1), T_SD_MANAGER);
    ck_assert_str_eq(jstr(r, "valid_to"), yesterday);
    resp_free(r);
    r = http_get(fmt("/api/v1/reporting-obligations/%lld", o2), T_SD_MANAGER);
    ck_assert_str_eq(jstr(r, "valid_from"), today);
    ck_assert(json_is_null(json_object_get(r->json, "valid_to")));
    ck_assert_int_eq(num(json_object_get(json_object_get(r->json, "calendar"), "month"), "due_day"), 12);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'reporting_obligation' AND action = 'end'"
                              " AND entity_id = $1", idstr(o1)), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'reporting_obligation' AND action = 'create'"
                              " AND entity_id = $1", idstr(o2)), 1);
    /* A description alone changes the rule in place. */
    r = http_send_json("PATCH", fmt("/api/v1/schedules/%lld", sid), T_SD_MANAGER, "{\"description\":\"Tháng\"}");
    ASSERT_STATUS(r, 200);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT obligation_id FROM schedules WHERE id = $1::bigint", idstr(sid)), o2);
    /* Deleting the only rule ends the obligation (it began today: withdrawn, kept). */
    r = http_do("DELETE", fmt("/api/v1/schedules/%lld", sid), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 204);
    resp_free(r);
    r = http_get(fmt("/api/v1/reporting-obligations?parent_id=%lld", p), T_SD_MANAGER);
    ck_assert_int_eq(jint(r, "total"), 2);
    resp_free(r);
    r = http_get(fmt("/api/v1/reporting-obligations?parent_id=%lld&active_on=%s", p, today), T_SD_MANAGER);
    ck_assert_int_eq(jint(r, "total"), 0);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'reporting_obligation' AND action = 'end'"
                              " AND entity_id = $1", idstr(o2)), 1);
    /* A manager reads the rules above it but does not end them. */
    r = http_get(fmt("/api/v1/reporting-obligations?parent_id=%lld", unit_id("SYT-BN")), T_SD_MANAGER);
    json_t *first = json_array_get(json_object_get(r->json, "items"), 0);
    long long above = num(first, "id");
    resp_free(r);
    r = http_send_json("POST", fmt("/api/v1/reporting-obligations/%lld/end", above), T_SD_MANAGER,
                       "{\"valid_to\":\"2030-01-01\"}");
    ASSERT_STATUS(r, 403);
    resp_free(r);
}
END_TEST

/* Approval in order and the period lock (issue 10 §2, in part): a health centre's report is
 * approved only after its stations'; an approved report locks the station's figures of the
 * period (409 period-locked, nothing written); unlocking needs a reason, reopens the report
 * above, and is audited. */
START_TEST(approval_in_order_locks_the_period_until_unlocked)
{
    const char *u = uniq();
    char p1[16], p1_day[16], cur[16];
    last_month(p1, sizeof p1);
    db_value("SELECT (date_trunc('month', vn_today()) - interval '1 month' + interval '9 days')::date::text", NULL,
             p1_day, sizeof p1_day);
    db_value("SELECT to_char(vn_today(), 'YYYY-MM')", NULL, cur, sizeof cur);
    char hcode[40], scode[48];
    snprintf(hcode, sizeof hcode, "AL%s", u);
    snprintf(scode, sizeof scode, "%s-S1", hcode);
    long long h = created_id(http_send_json("POST", "/api/v1/units", T_SD_MANAGER,
                                            fmt("{\"code\":\"%s\",\"name\":\"Đơn vị %s\",\"type\":\"other\","
                                                "\"parent_code\":\"TTYT-SD\",\"opened_on\":\"2025-01-01\"}", hcode, hcode)));
    long long st = created_id(http_send_json("POST", "/api/v1/units", T_SD_MANAGER,
                                             fmt("{\"code\":\"%s\",\"name\":\"Đơn vị %s\",\"type\":\"commune_station\","
                                                 "\"parent_code\":\"%s\",\"opened_on\":\"2025-01-01\"}", scode, scode, hcode)));
    long long st2 = created_id(http_send_json("POST", "/api/v1/units", T_SD_MANAGER,
                                              fmt("{\"code\":\"%s-S2\",\"name\":\"Đơn vị %s-S2\",\"type\":\"commune_station\","
                                                  "\"parent_code\":\"%s\",\"opened_on\":\"2025-01-01\"}", hcode, hcode, hcode)));
    created_id(post_obligation(T_SD_MANAGER, fmt("{\"parent_id\":%lld,\"target\":\"all_children\",\"calendar\":"
                                                 "{\"month\":{\"due_day\":14}},\"valid_from\":\"2025-01-01\"}", h)));
    resp *r;
    const char *tok[] = {T_SD_REPORTER, T_SD_REPORTER};
    long long units[] = {st, h};
    for (int i = 0; i < 2; i++) {
        r = http_send_json("PUT", report_path(units[i], p1), tok[i], "{\"values\":{\"s2_conferences\":1}}");
        ASSERT_STATUS(r, 201);
        resp_free(r);
        r = http_do("POST", fmt("%s/submit", report_path(units[i], p1)), &(req_opts){.token = tok[i]});
        ASSERT_STATUS(r, 200);
        resp_free(r);
    }
    /* The health centre's report waits for its stations': S1's submitted, S2's missing. */
    r = http_do("POST", fmt("%s/approve", report_path(h, p1)), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 409);
    ck_assert_ptr_nonnull(strstr(jstr(r, "detail"), fmt("%s (submitted), %s-S2 (missing)", scode, hcode)));
    resp_free(r);
    r = http_send_json(
        "POST", fmt("%s/approve", report_path(st, p1)), T_SD_MANAGER,
        "{\"signer_name\":\"Hoàng Văn Dũng\",\"signer_title\":\"Giám đốc\",\"document_no\":\"45/TTYT-KHNV\"}");
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "signer_name"), "Hoàng Văn Dũng");
    ck_assert_str_eq(jstr(r, "signer_title"), "Giám đốc");
    ck_assert_str_eq(jstr(r, "document_no"), "45/TTYT-KHNV");
    ck_assert_str_eq(jstr(r, "approved_by"), "sondong.manager");
    resp_free(r);
    r = http_do("POST", fmt("%s/approve", report_path(h, p1)), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 409);
    ck_assert_ptr_nonnull(strstr(jstr(r, "detail"), fmt("%s-S2 (missing)", hcode)));
    resp_free(r);
    /* S2 cannot report this month: the health centre's manager excuses it, with a reason. */
    r = http_send_json("POST", fmt("%s/waive", report_path(st2, p1)), T_SD_MANAGER, "{}");
    ASSERT_STATUS(r, 422);
    resp_free(r);
    r = http_send_json("POST", fmt("%s/waive", report_path(st2, p1)), T_SD_REPORTER, "{\"reason\":\"x\"}");
    ASSERT_STATUS(r, 403);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM reports WHERE unit_id = $1::bigint", idstr(st2)), 0);
    r = http_send_json("POST", fmt("%s/waive", report_path(st2, p1)), T_SD_MANAGER,
                       "{\"reason\":\"Trạm đang sáp nhập\"}");
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "status"), "waived");
    ck_assert_str_eq(jstr(r, "waive_reason"), "Trạm đang sáp nhập");
    resp_free(r);
    r = http_get(fmt("/api/v1/reporting-status?unit_id=%lld&period=%s", h, p1), T_SD_REPORTER);
    json_t *sm = json_object_get(r->json, "summary");
    ck_assert_int_eq(num(sm, "expected"), 2);
    ck_assert_int_eq(num(sm, "received"), 1);
    ck_assert_int_eq(num(sm, "waived"), 1);
    ck_assert_int_eq(num(sm, "missing"), 0);
    ck_assert(json_is_false(json_object_get(item_of(r, "status", "waived"), "overdue")));
    resp_free(r);
    r = http_do("POST", fmt("%s/approve", report_path(h, p1)), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "status"), "approved");
    resp_free(r);
    /* Accepting: by the level above the approving one (the Sơn Động manager approved S1's
     * report as the level above the health centre; it accepts S1's, not the health centre's). */
    r = http_do("POST", fmt("%s/accept", report_path(st, p1)), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "status"), "accepted"); /* a state of its own (test_s8_appr.c) */
    ck_assert_str_eq(jstr(r, "accepted_by"), "sondong.manager");
    ck_assert_ptr_nonnull(jstr(r, "accepted_at"));
    resp_free(r);
    r = http_do("POST", fmt("%s/accept", report_path(st, p1)), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 409); /* accepted already */
    resp_free(r);
    r = http_do("POST", fmt("%s/accept", report_path(h, p1)), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 403);
    resp_free(r);
    r = http_do("POST", fmt("%s/accept", report_path(h, p1)), &(req_opts){.token = T_ADMIN});
    ASSERT_STATUS(r, 200);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log a JOIN reports r ON r.id::text = a.entity_id"
                              " WHERE a.entity = 'report' AND a.action = 'accepted' AND r.unit_id = $1::bigint", idstr(st)), 1);

    /* The station's period is locked: its report, counts, patients served, service changes. */
    long long counts = db_count("SELECT count(*) FROM support_counts WHERE unit_id = $1::bigint", idstr(st));
    const char *count_body = fmt("{\"unit_id\":%lld,\"month\":\"%s\",\"service\":\"vneid_card\","
                                 "\"target_group\":\"elderly\",\"count\":5}", st, p1);
    char count_copy[200];
    snprintf(count_copy, sizeof count_copy, "%s", count_body);
    char served_copy[200];
    snprintf(served_copy, sizeof served_copy, "{\"unit_id\":%lld,\"month\":\"%s\",\"count\":50}", st, p1);
    const char *writes[][2] = {{"/api/v1/support-counts", count_copy}, {"/api/v1/patients-served", served_copy}};
    for (int i = 0; i < 2; i++) {
        r = http_send_json("POST", writes[i][0], T_SD_REPORTER, writes[i][1]);
        ck_assert_msg(r->status == 409, "%s: %ld %s", writes[i][0], r->status, r->body);
        ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:period-locked");
        ck_assert_ptr_nonnull(strstr(jstr(r, "detail"), "unlock"));
        resp_free(r);
    }
    r = http_send_json("PUT", fmt("/api/v1/units/%lld/services/emr", st), T_SD_REPORTER,
                       fmt("{\"status\":\"deployed\",\"deployed_on\":\"%s\",\"effective_on\":\"%s\"}", p1_day, p1_day));
    ASSERT_STATUS(r, 409);
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:period-locked");
    resp_free(r);
    r = http_send_json("PUT", report_path(st, p1), T_SD_REPORTER, "{\"values\":{\"s2_conferences\":2}}");
    ASSERT_STATUS(r, 409);
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:period-locked");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM support_counts WHERE unit_id = $1::bigint", idstr(st)), counts);
    ck_assert_int_eq(db_count("SELECT count(*) FROM facility_service_history WHERE unit_id = $1::bigint", idstr(st)), 0);
    /* Another month is not locked; staff are not frozen. */
    r = http_send_json("POST", "/api/v1/patients-served", T_SD_REPORTER, fmt("{\"unit_id\":%lld,\"month\":\"%s\",\"count\":7}", st, cur));
    ck_assert_msg(r->status == 201 || r->status == 200, "%ld %s", r->status, r->body);
    resp_free(r);

    /* Unlocking: a reason, a manager above the unit; the report above reopens with it. */
    r = http_send_json("POST", fmt("%s/unlock", report_path(st, p1)), T_SD_MANAGER, "{}");
    ASSERT_STATUS(r, 422);
    resp_free(r);
    r = http_send_json("POST", fmt("%s/unlock", report_path(st, p1)), T_SD_REPORTER, "{\"reason\":\"x\"}");
    ASSERT_STATUS(r, 403);
    resp_free(r);
    r = http_send_json("POST", fmt("%s/unlock", report_path(st, p1)), T_SD_MANAGER,
                       "{\"reason\":\"Số liệu tháng nhận muộn\"}");
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "status"), "submitted");
    ck_assert_str_eq(jstr(r, "unlock_reason"), "Số liệu tháng nhận muộn");
    ck_assert_ptr_nonnull(jstr(r, "unlocked_at"));
    resp_free(r);
    r = http_get(report_path(h, p1), T_SD_MANAGER);
    ck_assert_str_eq(jstr(r, "status"), "submitted");
    ck_assert_ptr_null(jstr(r, "accepted_at")); /* the acceptance goes with it */
    resp_free(r);
    r = http_send_json("POST", fmt("%s/unlock", report_path(st, p1)), T_SD_MANAGER, "{\"reason\":\"again\"}");
    ASSERT_STATUS(r, 409); /* not approved any more */
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log a JOIN reports r ON r.id::text = a.entity_id"
                              " WHERE a.entity = 'report' AND a.action = 'unlocked' AND r.unit_id = $1::bigint"
                              " AND a.after->>'unlock_reason' = 'Số liệu tháng nhận muộn'", idstr(st)), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log a JOIN reports r ON r.id::text = a.entity_id"
                              " WHERE a.entity = 'report' AND a.action = 'reopened' AND r.unit_id = $1::bigint"
                              " AND a.before->>'status' = 'accepted'", idstr(h)), 1);
    /* The late figures can be written now. */
    r = http_send_json("POST", "/api/v1/support-counts", T_SD_REPORTER, count_copy);
    ck_assert_msg(r->status == 201 || r->status == 200, "%ld %s", r->status, r->body);
    resp_free(r);
    /* Approved again, then returned: the report above reopens too, and says why. */
    r = http_do("POST", fmt("%s/approve", report_path(st, p1)), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 200);
    resp_free(r);
    r = http_do("POST", fmt("%s/approve", report_path(h, p1)), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 200);
    resp_free(r);
    r = http_send_json("POST", fmt("%s/return", report_path(st, p1)), T_SD_MANAGER, "{\"reason\":\"Thiếu mục 5\"}");
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "status"), "returned");
    resp_free(r);
    r = http_get(report_path(h, p1), T_SD_MANAGER);
    ck_assert_str_eq(jstr(r, "status"), "submitted");
    ck_assert_str_eq(jstr(r, "unlock_reason"), fmt("Reopened: the report of unit %lld below was returned", st));
    resp_free(r);
}
END_TEST

/* At the top of the tree approval is final: there is no level to accept. */
START_TEST(approval_is_final_at_the_top)
{
    char top[40], kid[48], p1[16];
    snprintf(top, sizeof top, "AT%s", uniq());
    snprintf(kid, sizeof kid, "%s-1", top);
    last_month(p1, sizeof p1);
    long long t = unit_made(top, "department_of_health", NULL);
    long long k = unit_made(kid, "hospital", top);
    obligation(fmt("{\"parent_id\":%lld,\"target\":\"all_children\",\"calendar\":{\"month\":{\"due_day\":15}},"
                   "\"valid_from\":\"2025-01-01\"}", t));
    submit(k, p1, fmt("%s-15", p1), "late");
    resp *r = http_do("POST", fmt("%s/approve", report_path(k, p1)), &(req_opts){.token = T_ADMIN});
    ASSERT_STATUS(r, 200);
    resp_free(r);
    r = http_do("POST", fmt("%s/accept", report_path(k, p1)), &(req_opts){.token = T_ADMIN});
    ASSERT_STATUS(r, 409);
    ck_assert_ptr_nonnull(strstr(jstr(r, "detail"), "final"));
    resp_free(r);
}
END_TEST

Suite *s8_oblig_suite(void)
{
    Suite *s = suite_create("s8_oblig");
    TCase *t = tcase_create("obligations");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, three_levels_obligations_due_dates_timeliness_rates_and_the_rollup);
    tcase_add_test(t, demo_calendars_follow_the_two_plans);
    tcase_add_test(t, schedule_writes_end_and_add_obligations_audited);
    tcase_add_test(t, approval_in_order_locks_the_period_until_unlocked);
    tcase_add_test(t, approval_is_final_at_the_top);
    suite_add_tcase(s, t);
    return s;
}
