/* Issue 12 leftovers: keyset pages (after=, next_cursor) on the lists that lacked them, reports,
 * schedules and facility services. Rows change between pages (on pages already read and on pages
 * still to come) and a row is added; every row that was there throughout comes exactly once. */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Is id one of ids[0..n)? Its index, or -1. */
static int index_of(const long long *ids, int n, long long id)
{
    for (int i = 0; i < n; i++)
        if (ids[i] == id) return i;
    return -1;
}

/* Between pages 1 and 2 of a paging: changes rows and adds one. */
typedef void (*between_pages)(void *ctx);

/* Pages base ("...?filters") in id order with limit, from sort=id then after=next_cursor, as the
 * integration account; counts in times how often each of ids came, checks each page's items are
 * in increasing id order and calls between after page 1. Returns the number of pages (the last one
 * answered next_cursor null). */
static int page_all(const char *base, int limit, const long long *ids, int n, int *times, between_pages between,
                    void *ctx)
{
    char after[96] = "";
    int pages = 0;
    long long last = 0;
    for (;;) {
        resp *r = http_get(after[0] ? fmt("%s&limit=%d&after=%s", base, limit, after)
                                    : fmt("%s&limit=%d&sort=id", base, limit),
                           T_INTEGRATION);
        ASSERT_STATUS(r, 200);
        pages++;
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(r->json, "items"), i, it)
        {
            long long id = json_integer_value(json_object_get(it, "id"));
            ck_assert_int_gt(id, last);
            last = id;
            int k = index_of(ids, n, id);
            if (k >= 0) times[k]++;
        }
        json_t *next = json_object_get(r->json, "next_cursor");
        ck_assert_msg(next != NULL, "no next_cursor in %s", r->body);
        if (json_is_null(next)) {
            ck_assert_int_lt((long long)json_array_size(json_object_get(r->json, "items")), limit);
            resp_free(r);
            break;
        }
        ck_assert_int_eq((long long)json_array_size(json_object_get(r->json, "items")), limit);
        snprintf(after, sizeof after, "%s", json_string_value(next));
        resp_free(r);
        if (pages == 1 && between) between(ctx);
        ck_assert_int_le(pages, 20);
    }
    return pages;
}

/* after pages in id order only, never with an offset; a cursor must be one a page gave. */
static void assert_bad_after(const char *list, const char *other_sort)
{
    resp *r = http_get(fmt("%s?sort=id&limit=1", list), T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    const char *next = jstr(r, "next_cursor");
    ck_assert_ptr_nonnull(next);
    char cur[96];
    snprintf(cur, sizeof cur, "%s", next);
    resp_free(r);
    const char *const bad[] = {fmt("?after=%s&sort=%s", cur, other_sort), fmt("?after=%s&offset=1", cur),
                               "?after=bm9wZQ", "?after=%%%%", "?after=", NULL};
    assert_each_400(T_INTEGRATION, list, bad);
    /* the error names the parameter */
    r = http_get(fmt("%s?after=bm9wZQ", list), T_INTEGRATION);
    ck_assert_int_eq(count_errors(r, "after", "is not a cursor of this list (use the next_cursor of a page)"), 1);
    resp_free(r);
}

/* ---- reports ------------------------------------------------------------------------------------ */

typedef struct report_ctx {
    long long unit;
    const long long *ids;
} report_ctx;

static long long put_report(long long unit, const char *period, int documents)
{
    resp *r = http_send_json("PUT", fmt("/api/v1/reports/%lld/%s", unit, period), T_SD_REPORTER,
                             fmt("{\"values\":{\"s1_documents_count\":%d}}", documents));
    ck_assert_msg(r->status == 200 || r->status == 201, "PUT report %s: %ld %s", period, r->status, r->body);
    long long id = jint(r, "id");
    resp_free(r);
    return id;
}

static void change_reports(void *p)
{
    report_ctx *x = p;
    put_report(x->unit, "2025-01", 7); /* on page 1, already read */
    put_report(x->unit, "2025-11", 7); /* on page 3, still to come */
    put_report(x->unit, "2026-01", 1); /* a new report: after the last page's rows */
}

START_TEST(report_pages_return_every_report_once_while_reports_change)
{
    char code[40];
    long long unit = make_test_unit("F2R", "Trạm kiểm thử trang báo cáo", "commune_station", "TTYT-SD", code, sizeof code);
    long long ids[12];
    for (int m = 1; m <= 12; m++) ids[m - 1] = put_report(unit, fmt("2025-%02d", m), m);
    int times[12] = {0};
    report_ctx x = {unit, ids};
    int pages = page_all(fmt("/api/v1/reports?unit_id=%lld", unit), 5, ids, 12, times, change_reports, &x);
    for (int k = 0; k < 12; k++) ck_assert_int_eq(times[k], 1);
    ck_assert_int_eq(pages, 3); /* 5 + 5 + 3 (the new one last) */
    /* The default order (period) has no next_cursor; sort=id has. */
    resp *r = http_get(fmt("/api/v1/reports?unit_id=%lld&limit=5", unit), T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    ck_assert_ptr_null(json_object_get(r->json, "next_cursor"));
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r->json, "items"), 0), "period")),
                     "2025-01");
    resp_free(r);
    r = http_get(fmt("/api/v1/reports?unit_id=%lld&sort=-id&limit=2", unit), T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r->json, "items"), 1), "period")),
                     "2025-12");
    resp_free(r);
    assert_bad_after("/api/v1/reports", "period");
}
END_TEST

/* ---- schedules ---------------------------------------------------------------------------------- */

typedef struct schedule_ctx {
    long long unit;
    const long long *ids;
} schedule_ctx;

static long long new_schedule(long long unit, const char *period_type, int day)
{
    return created_id(http_send_json("POST", "/api/v1/schedules", T_SD_MANAGER,
                                     fmt("{\"unit_id\":%lld,\"period_type\":\"%s\",\"due_month\":1,\"due_day\":%d}",
                                         unit, period_type, day)));
}

static void set_day(long long schedule, int day)
{
    resp *r = http_send_json("PATCH", fmt("/api/v1/schedules/%lld", schedule), T_SD_MANAGER,
                             fmt("{\"due_day\":%d}", day));
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "id"), schedule); /* a change ends the obligation; the schedule keeps its id */
    resp_free(r);
}

static void change_schedules(void *p)
{
    schedule_ctx *x = p;
    set_day(x->ids[0], 20); /* read on page 1 */
    set_day(x->ids[2], 21); /* on page 3, still to come */
    new_schedule(x->unit, "year", 5);
}

START_TEST(schedule_pages_return_every_schedule_once_while_rules_change)
{
    char code[40];
    long long unit = make_test_unit("F2S", "Trung tâm kiểm thử trang lịch", "commune_station", "TTYT-SD", code, sizeof code);
    long long ids[3] = {new_schedule(unit, "month", 15), new_schedule(unit, "quarter", 10),
                        new_schedule(unit, "half_year", 5)};
    int times[3] = {0};
    schedule_ctx x = {unit, ids};
    int pages = page_all(fmt("/api/v1/schedules?unit_id=%lld", unit), 1, ids, 3, times, change_schedules, &x);
    for (int k = 0; k < 3; k++) ck_assert_int_eq(times[k], 1);
    ck_assert_int_eq(pages, 5); /* four full pages of one and the empty end */
    /* The default order stays unit code, then period type; -unit_code is accepted. */
    resp *r = http_get(fmt("/api/v1/schedules?unit_id=%lld", unit), T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    ck_assert_ptr_null(json_object_get(r->json, "next_cursor"));
    ck_assert_int_eq(jint(r, "total"), 4);
    const char *const want[] = {"month", "quarter", "half_year", "year"};
    for (size_t i = 0; i < 4; i++)
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r->json, "items"), i),
                                                           "period_type")),
                         want[i]);
    resp_free(r);
    r = http_get(fmt("/api/v1/schedules?unit_id=%lld&sort=-unit_code", unit), T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    assert_bad_after("/api/v1/schedules", "unit_code");
    const char *const bad_sort[] = {"?sort=period_type", NULL};
    assert_each_400(T_INTEGRATION, "/api/v1/schedules", bad_sort);
}
END_TEST

/* ---- facility services -------------------------------------------------------------------------- */

static const char *const SERVICES[] = {"cashless_payment", "online_booking", "e_prescription", "emr",
                                       "data_interconnection"};

static long long put_service(long long unit, const char *service, const char *status)
{
    resp *r = http_send_json("PUT", fmt("/api/v1/units/%lld/services/%s", unit, service), T_SD_MANAGER,
                             fmt("{\"status\":\"%s\"}", status));
    ck_assert_msg(r->status == 200 || r->status == 201, "PUT service %s: %ld %s", service, r->status, r->body);
    resp_free(r);
    return db_count2("SELECT id FROM facility_services WHERE unit_id = $1::bigint AND service = $2", idstr(unit),
                     service);
}

static void change_services(void *p)
{
    long long unit = *(long long *)p;
    put_service(unit, SERVICES[0], "piloting"); /* read on page 1 */
    put_service(unit, SERVICES[2], "piloting"); /* on page 2, still to come */
    put_service(unit, SERVICES[4], "planned");  /* new */
}

START_TEST(facility_service_pages_return_every_service_once_while_states_change)
{
    char code[40];
    long long unit = make_test_unit("F2F", "Trạm kiểm thử trang dịch vụ", "commune_station", "TTYT-SD", code, sizeof code);
    long long ids[4];
    for (int k = 0; k < 4; k++) ids[k] = put_service(unit, SERVICES[k], "planned");
    int times[4] = {0};
    int pages = page_all(fmt("/api/v1/facility-services?unit_id=%lld", unit), 2, ids, 4, times, change_services, &unit);
    for (int k = 0; k < 4; k++) ck_assert_int_eq(times[k], 1);
    ck_assert_int_eq(pages, 3); /* 2 + 2 + 1 (the new one) */
    /* Items carry their row's id, the same through state changes and in the history (as_of). */
    resp *r = http_get(fmt("/api/v1/facility-services?unit_id=%lld&service=%s", unit, SERVICES[0]), T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    json_t *it = json_array_get(json_object_get(r->json, "items"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(it, "id")), ids[0]);
    ck_assert_str_eq(json_string_value(json_object_get(it, "status")), "piloting");
    ck_assert_ptr_null(json_object_get(r->json, "next_cursor"));
    resp_free(r);
    char today[11];
    server_today(today);
    int times2[4] = {0};
    pages = page_all(fmt("/api/v1/facility-services?unit_id=%lld&as_of=%s", unit, today), 2, ids, 4, times2, NULL,
                     NULL);
    for (int k = 0; k < 4; k++) ck_assert_int_eq(times2[k], 1);
    ck_assert_int_eq(pages, 3);
    assert_bad_after("/api/v1/facility-services", "service");
}
END_TEST

Suite *s9_feed2_suite(void)
{
    Suite *s = suite_create("s9_feed2");
    TCase *t = tcase_create("pages");
    tcase_set_timeout(t, 300);
    tcase_add_test(t, report_pages_return_every_report_once_while_reports_change);
    tcase_add_test(t, schedule_pages_return_every_schedule_once_while_rules_change);
    tcase_add_test(t, facility_service_pages_return_every_service_once_while_states_change);
    suite_add_tcase(s, t);
    return s;
}
