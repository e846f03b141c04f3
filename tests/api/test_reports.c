/* Reporting schedules, activity reports (life cycle, deadlines, timeliness), the reporting
 * status of a parent's children and the consolidated form. Each test builds its own small tree
 * of units under TTYT-SD so that counts are exact and the tests can run again. */
#include "client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long long audit_count(long long report_or_schedule, const char *entity, const char *action)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM audit_log WHERE entity = '%s' AND entity_id = $1 AND action = '%s'", entity, action);
    return db_count(sql, idstr(report_or_schedule));
}

/* A unit made by token under parent_code (opened_on may be NULL); returns its id. */
static long long new_unit(const char *token, const char *code, const char *parent_code, const char *opened_on)
{
    const char *body = opened_on
        ? fmt("{\"code\":\"%s\",\"name\":\"Đơn vị %s\",\"type\":\"other\",\"parent_code\":\"%s\",\"opened_on\":\"%s\"}", code,
              code, parent_code, opened_on)
        : fmt("{\"code\":\"%s\",\"name\":\"Đơn vị %s\",\"type\":\"other\",\"parent_code\":\"%s\"}", code, code, parent_code);
    return created_id(http_send_json("POST", "/api/v1/units", token, body));
}

static void close_unit(long long id, const char *on)
{
    resp *r = http_do("DELETE", fmt("/api/v1/units/%lld?closed_on=%s", id, on), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 204);
    resp_free(r);
}

static long long new_schedule(const char *token, long long unit, const char *period_type, int month, int day)
{
    return created_id(http_send_json("POST", "/api/v1/schedules", token,
                                     fmt("{\"unit_id\":%lld,\"period_type\":\"%s\",\"due_month\":%d,\"due_day\":%d}", unit,
                                         period_type, month, day)));
}

static void set_rule(long long schedule, int month, int day)
{
    resp *r = http_send_json("PATCH", fmt("/api/v1/schedules/%lld", schedule), T_SD_MANAGER,
                             fmt("{\"due_month\":%d,\"due_day\":%d}", month, day));
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "due_month"), month);
    ck_assert_int_eq(jint(r, "due_day"), day);
    resp_free(r);
}

/* A reporting obligation of parent made by the manager of TTYT-SD (body: the fields after
 * parent_id); returns its id. */
static long long new_obligation(long long parent, const char *fields)
{
    return created_id(http_send_json("POST", "/api/v1/reporting-obligations", T_SD_MANAGER,
                                     fmt("{\"parent_id\":%lld,%s}", parent, fields)));
}

static resp *put_report(const char *token, long long unit, const char *period, const char *values)
{
    return http_send_json("PUT", report_path(unit, period), token, fmt("{\"values\":%s}", values));
}

/* POST .../submit, .../approve or .../return with an optional body. */
static resp *act(const char *token, long long unit, const char *period, const char *action, const char *body)
{
    req_opts o = {.token = token, .body = body};
    return http_do("POST", fmt("%s/%s", report_path(unit, period), action), &o);
}

/* A draft with these values, asserting 201. */
static void draft(long long unit, const char *period, const char *values)
{
    resp *r = put_report(T_SD_REPORTER, unit, period, values);
    ASSERT_STATUS(r, 201);
    ck_assert_str_eq(jstr(r, "status"), "draft");
    resp_free(r);
}

/* Submits as the reporter; returns the answer (200 asserted). */
static resp *submit(long long unit, const char *period)
{
    resp *r = act(T_SD_REPORTER, unit, period, "submit", NULL);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "status"), "submitted");
    return r;
}

static int has_error(const resp *r, const char *field)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r->json, "errors"), i, e)
        if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0) return 1;
    return 0;
}

static int is_null(const resp *r, const char *key)
{
    json_t *v = json_object_get(r->json, key);
    return v != NULL && json_is_null(v);
}

/* The item of a status answer, or the field of a form, with this code. */
static json_t *status_item(const resp *r, const char *unit_code)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r->json, "items"), i, it)
        if (strcmp(json_string_value(json_object_get(it, "unit_code")), unit_code) == 0) return it;
    ck_abort_msg("no item for %s", unit_code);
    return NULL;
}

static json_t *form_field(const resp *r, const char *code)
{
    size_t i, j;
    json_t *s, *f;
    json_array_foreach(json_object_get(r->json, "sections"), i, s)
        json_array_foreach(json_object_get(s, "fields"), j, f)
            if (strcmp(json_string_value(json_object_get(f, "code")), code) == 0) return json_object_get(f, "value");
    ck_abort_msg("no field %s", code);
    return NULL;
}

static const char *sval(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* The id of a seeded rule of SYT-BN (read as admin). */
static long long syt_rule(const char *period_type)
{
    return db_count("SELECT s.id FROM schedules s JOIN units u ON u.id = s.unit_id WHERE u.code = 'SYT-BN'"
                    " AND s.period_type = $1", period_type);
}

/* ---------------------------------------------------------------- schedules */

START_TEST(schedule_is_created_once_per_unit_and_period_type)
{
    char code[48];
    snprintf(code, sizeof code, "RSC%s", uniq());
    long long unit = new_unit(T_SD_MANAGER, code, "TTYT-SD", NULL);
    const char *body = fmt("{\"unit_code\":\"%s\",\"period_type\":\"quarter\",\"due_month\":3,\"due_day\":14,"
                           "\"description\":\"Báo cáo quý trước ngày 14 tháng cuối quý\"}", code);
    resp *r = http_send_json("POST", "/api/v1/schedules", T_SD_MANAGER, body);
    ASSERT_STATUS(r, 201);
    long long id = jint(r, "id");
    char loc[128], etag[80];
    ck_assert_str_eq(resp_header(r, "Location", loc, sizeof loc), fmt("/api/v1/schedules/%lld", id));
    ck_assert_ptr_nonnull(resp_header(r, "ETag", etag, sizeof etag));
    ck_assert_int_eq(jint(r, "unit_id"), unit);
    ck_assert_str_eq(jstr(r, "unit_code"), code);
    ck_assert_str_eq(jstr(r, "period_type"), "quarter");
    ck_assert_int_eq(jint(r, "due_month"), 3);
    ck_assert_int_eq(jint(r, "due_day"), 14);
    ck_assert_str_eq(jstr(r, "description"), "Báo cáo quý trước ngày 14 tháng cuối quý");
    ck_assert_ptr_nonnull(jstr(r, "created_at"));
    ck_assert_ptr_nonnull(jstr(r, "updated_at"));
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM schedules WHERE unit_id = $1::bigint AND period_type = 'quarter'"
                              " AND due_month = 3 AND due_day = 14", idstr(unit)), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'schedule' AND action = 'create'"
                              " AND entity_id = $1 AND username = 'sondong.manager'", idstr(id)), 1);
    /* GET answers the same rule. */
    r = http_get(fmt("/api/v1/schedules/%lld", id), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "id"), id);
    ck_assert_int_eq(jint(r, "due_day"), 14);
    resp_free(r);
    /* The same unit and period type again (named by id this time): 409, nothing added. */
    r = http_send_json("POST", "/api/v1/schedules", T_SD_MANAGER,
                       fmt("{\"unit_id\":%lld,\"period_type\":\"quarter\",\"due_month\":2,\"due_day\":1}", unit));
    ASSERT_STATUS(r, 409);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM schedules WHERE unit_id = $1::bigint", idstr(unit)), 1);
    /* Another period type of the same unit is fine; the description is optional. */
    r = http_send_json("POST", "/api/v1/schedules", T_SD_MANAGER,
                       fmt("{\"unit_id\":%lld,\"period_type\":\"month\",\"due_month\":2,\"due_day\":5}", unit));
    ASSERT_STATUS(r, 201);
    ck_assert(is_null(r, "description"));
    ck_assert_str_eq(jstr(r, "period_type"), "month");
    ck_assert_int_eq(jint(r, "due_month"), 2);
    resp_free(r);
    /* A manager may set its own unit's rule too: TTYT-SD already has all four, so 409. */
    r = http_send_json("POST", "/api/v1/schedules", T_SD_MANAGER,
                       "{\"unit_code\":\"TTYT-SD\",\"period_type\":\"month\",\"due_month\":1,\"due_day\":20}");
    ASSERT_STATUS(r, 409);
    resp_free(r);
}
END_TEST

START_TEST(schedule_bodies_are_validated_and_need_a_manager)
{
    char code[48];
    snprintf(code, sizeof code, "RSV%s", uniq());
    long long unit = new_unit(T_SD_MANAGER, code, "TTYT-SD", NULL);
    resp *r = http_send_json("POST", "/api/v1/schedules", T_SD_MANAGER,
                             fmt("{\"unit_id\":%lld,\"period_type\":\"week\",\"due_month\":0,\"due_day\":32}", unit));
    ASSERT_STATUS(r, 422);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "errors")), 3);
    ck_assert(has_error(r, "period_type"));
    ck_assert(has_error(r, "due_month"));
    ck_assert(has_error(r, "due_day"));
    resp_free(r);
    r = http_send_json("POST", "/api/v1/schedules", T_SD_MANAGER,
                       fmt("{\"unit_id\":%lld,\"period_type\":\"month\",\"due_month\":25,\"due_day\":1}", unit));
    ASSERT_STATUS(r, 422);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "errors")), 1);
    ck_assert(has_error(r, "due_month"));
    resp_free(r);
    r = http_send_json("POST", "/api/v1/schedules", T_SD_MANAGER,
                       fmt("{\"unit_id\":%lld,\"period_type\":\"month\",\"due_month\":1,\"due_day\":0}", unit));
    ASSERT_STATUS(r, 422);
    ck_assert(has_error(r, "due_day"));
    resp_free(r);
    r = http_send_json("POST", "/api/v1/schedules", T_SD_MANAGER,
                       fmt("{\"unit_id\":%lld,\"period_type\":\"month\",\"due_month\":\"1\",\"due_day\":1.5}", unit));
    ASSERT_STATUS(r, 422);
    ck_assert(has_error(r, "due_month"));
    ck_assert(has_error(r, "due_day"));
    resp_free(r);
    /* An unknown unit, and one outside the manager's subtree, do not exist for it. */
    r = http_send_json("POST", "/api/v1/schedules", T_SD_MANAGER,
                       fmt("{\"unit_code\":\"NOPE-%s\",\"period_type\":\"month\",\"due_month\":1,\"due_day\":1}", uniq()));
    ASSERT_STATUS(r, 422);
    ck_assert(has_error(r, "unit_code"));
    ck_assert_str_eq(sval(json_array_get(json_object_get(r->json, "errors"), 0), "message"), "no such unit");
    resp_free(r);
    r = http_send_json("POST", "/api/v1/schedules", T_SD_MANAGER,
                       "{\"unit_code\":\"24001\",\"period_type\":\"month\",\"due_month\":1,\"due_day\":1}");
    ASSERT_STATUS(r, 422);
    ck_assert(has_error(r, "unit_code"));
    resp_free(r);
    r = http_send_json("POST", "/api/v1/schedules", T_SD_MANAGER, "{\"unit_id\":999999999,\"period_type\":\"month\",\"due_month\":1,\"due_day\":1}");
    ASSERT_STATUS(r, 422);
    ck_assert(has_error(r, "unit_id"));
    resp_free(r);
    /* Required fields and unknown ones. */
    r = http_send_json("POST", "/api/v1/schedules", T_SD_MANAGER, "{\"colour\":1}");
    ASSERT_STATUS(r, 422);
    ck_assert(has_error(r, "colour"));
    ck_assert(has_error(r, "unit_id"));
    ck_assert(has_error(r, "period_type"));
    ck_assert(has_error(r, "due_month"));
    ck_assert(has_error(r, "due_day"));
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM schedules WHERE unit_id = $1::bigint", idstr(unit)), 0);
    /* Reporters, viewers and the integration role do not set rules. */
    const char *tokens[] = {T_SD_REPORTER, T_SYT_VIEWER, T_INTEGRATION};
    for (int i = 0; i < 3; i++) {
        r = http_send_json("POST", "/api/v1/schedules", tokens[i],
                           fmt("{\"unit_id\":%lld,\"period_type\":\"month\",\"due_month\":1,\"due_day\":1}", unit));
        ASSERT_STATUS(r, 403);
        ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:forbidden");
        resp_free(r);
    }
    ck_assert_int_eq(db_count("SELECT count(*) FROM schedules WHERE unit_id = $1::bigint", idstr(unit)), 0);
}
END_TEST

START_TEST(schedules_list_filters_and_shows_the_rules_that_set_ones_deadlines)
{
    const char *u = uniq();
    char pcode[48], ccode[48], ocode[48];
    snprintf(pcode, sizeof pcode, "RSL%s", u);
    snprintf(ccode, sizeof ccode, "RSL%s-1", u);
    snprintf(ocode, sizeof ocode, "RSO%s", u);
    long long p = new_unit(T_SD_MANAGER, pcode, "TTYT-SD", NULL);
    long long c = new_unit(T_SD_MANAGER, ccode, pcode, NULL);
    long long pm = new_schedule(T_SD_MANAGER, p, "month", 1, 10);
    long long pq = new_schedule(T_SD_MANAGER, p, "quarter", 3, 10);
    long long cm = new_schedule(T_SD_MANAGER, c, "month", 2, 3);
    /* A rule outside TTYT-SD, under SYT-BN, set by the admin. */
    long long other = new_unit(T_ADMIN, ocode, "SYT-BN", NULL);
    long long om = new_schedule(T_ADMIN, other, "month", 1, 20);

    resp *r = http_get(fmt("/api/v1/schedules?unit_id=%lld", p), T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 2);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(items, 0), "id")), pm);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(items, 1), "id")), pq);
    resp_free(r);
    /* under: the unit and its subtree, by unit code then period type. */
    r = http_get(fmt("/api/v1/schedules?under=%lld", p), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 3);
    items = json_object_get(r->json, "items");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(items, 0), "id")), pm);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(items, 1), "id")), pq);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(items, 2), "id")), cm);
    resp_free(r);
    r = http_get(fmt("/api/v1/schedules?under=%lld&period_type=month", p), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 2);
    items = json_object_get(r->json, "items");
    ck_assert_str_eq(sval(json_array_get(items, 0), "unit_code"), pcode);
    ck_assert_str_eq(sval(json_array_get(items, 1), "unit_code"), ccode);
    resp_free(r);
    r = http_get(fmt("/api/v1/schedules?under=%lld&period_type=year", p), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 0);
    resp_free(r);
    r = http_get(fmt("/api/v1/schedules?under=%lld&limit=1&offset=1", p), T_SD_REPORTER);
    ck_assert_int_eq(jint(r, "total"), 3);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(r->json, "items"), 0), "id")), pq);
    resp_free(r);

    /* The reporter of TTYT-SD sees SYT-BN's rules (they set TTYT-SD's deadlines), in period order. */
    r = http_get(fmt("/api/v1/schedules?unit_id=%lld", unit_id("SYT-BN")), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 4);
    items = json_object_get(r->json, "items");
    const char *types[] = {"month", "quarter", "half_year", "year"};
    const int months[] = {1, 3, 6, 12}, days[] = {15, 10, 5, 5};
    for (size_t i = 0; i < 4; i++) {
        json_t *s = json_array_get(items, i);
        ck_assert_str_eq(sval(s, "period_type"), types[i]);
        ck_assert_int_eq(json_integer_value(json_object_get(s, "due_month")), months[i]);
        ck_assert_int_eq(json_integer_value(json_object_get(s, "due_day")), days[i]);
    }
    resp_free(r);
    r = http_get(fmt("/api/v1/schedules?unit_id=%lld", unit_id("TTYT-SD")), T_SD_REPORTER);
    ck_assert_int_eq(jint(r, "total"), 4);
    resp_free(r);
    /* ... but not the rules of a unit beside it. */
    r = http_get(fmt("/api/v1/schedules?unit_id=%lld", other), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 0);
    resp_free(r);
    r = http_get(fmt("/api/v1/schedules/%lld", om), T_SD_REPORTER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_get(fmt("/api/v1/schedules/%lld", syt_rule("quarter")), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "unit_code"), "SYT-BN");
    resp_free(r);
    /* The whole list of the reporter: exactly its subtree's and its ancestors' rules. */
    r = http_get("/api/v1/schedules?limit=1000", T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    long long visible = db_count(
        "SELECT count(*) FROM schedules s JOIN units u ON u.id = s.unit_id, units t WHERE t.code = $1"
        " AND (u.path <@ t.path OR u.path @> t.path)", "TTYT-SD");
    ck_assert_int_eq(jint(r, "total"), visible);
    ck_assert_int_ge(visible, 11);
    size_t i;
    json_t *s;
    int seen_other = 0;
    json_array_foreach(json_object_get(r->json, "items"), i, s) {
        seen_other += json_integer_value(json_object_get(s, "id")) == om;
        ck_assert_int_eq(db_count("SELECT count(*) FROM units u, units t WHERE u.code = $1 AND t.code = 'TTYT-SD'"
                                  " AND (u.path <@ t.path OR u.path @> t.path)", sval(s, "unit_code")), 1);
    }
    ck_assert_int_eq(seen_other, 0);
    resp_free(r);
    /* The viewer of SYT-BN and the admin see it. */
    r = http_get(fmt("/api/v1/schedules?unit_id=%lld", other), T_SYT_VIEWER);
    ck_assert_int_eq(jint(r, "total"), 1);
    resp_free(r);
    r = http_get(fmt("/api/v1/schedules/%lld", om), T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    const char *bad[] = {"/api/v1/schedules?period_type=week", "/api/v1/schedules?unit_id=abc",
                         "/api/v1/schedules?limit=0", "/api/v1/schedules?colour=red", NULL};
    assert_each_400(T_SD_REPORTER, "", bad);
}
END_TEST

START_TEST(schedules_change_only_in_the_managers_subtree)
{
    const char *u = uniq();
    long long p = new_unit(T_SD_MANAGER, fmt("RSP%s", u), "TTYT-SD", NULL);
    resp *r = http_send_json("POST", "/api/v1/schedules", T_SD_MANAGER,
                             fmt("{\"unit_id\":%lld,\"period_type\":\"quarter\",\"due_month\":3,\"due_day\":14,"
                                 "\"description\":\"Quý\"}", p));
    ASSERT_STATUS(r, 201);
    long long q = jint(r, "id");
    char etag[80];
    resp_header(r, "ETag", etag, sizeof etag);
    resp_free(r);
    long long m = new_schedule(T_SD_MANAGER, p, "month", 1, 14);
    /* Only the fields sent change; description may be cleared. */
    r = http_send_json("PATCH", fmt("/api/v1/schedules/%lld", q), T_SD_MANAGER, "{\"due_day\":10,\"description\":null}");
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "id"), q);
    ck_assert_int_eq(jint(r, "due_month"), 3);
    ck_assert_int_eq(jint(r, "due_day"), 10);
    ck_assert(is_null(r, "description"));
    ck_assert_str_eq(jstr(r, "period_type"), "quarter");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'schedule' AND entity_id = $1 AND action = 'update'"
                              " AND before->>'due_day' = '14' AND after->>'due_day' = '10' AND before->>'description' = 'Quý'"
                              " AND after->'description' = 'null'::jsonb", idstr(q)), 1);
    /* The ETag from before the change is stale. */
    const char *hdr = fmt("If-Match: %s", etag);
    req_opts stale = {.token = T_SD_MANAGER, .body = "{\"due_day\":9}", .headers = {hdr}};
    r = http_do("PATCH", fmt("/api/v1/schedules/%lld", q), &stale);
    ASSERT_STATUS(r, 412);
    resp_free(r);
    r = http_send_json("PATCH", fmt("/api/v1/schedules/%lld", q), T_SD_MANAGER, "{\"due_month\":25}");
    ASSERT_STATUS(r, 422);
    ck_assert(has_error(r, "due_month"));
    resp_free(r);
    r = http_send_json("PATCH", fmt("/api/v1/schedules/%lld", q), T_SD_MANAGER, "{\"due_day\":32,\"period_type\":\"year\"}");
    ASSERT_STATUS(r, 422);
    ck_assert(has_error(r, "due_day"));
    ck_assert(has_error(r, "period_type"));
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM schedules WHERE id = $1::bigint AND due_month = 3 AND due_day = 10", idstr(q)), 1);
    /* A rule of a unit above the manager: readable, not changeable (403); beside it: 404. */
    long long syt_month = syt_rule("month");
    r = http_send_json("PATCH", fmt("/api/v1/schedules/%lld", syt_month), T_SD_MANAGER, "{\"due_day\":28}");
    ASSERT_STATUS(r, 403);
    resp_free(r);
    r = http_do("DELETE", fmt("/api/v1/schedules/%lld", syt_month), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 403);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM schedules WHERE id = $1::bigint AND due_month = 1 AND due_day = 15",
                              idstr(syt_month)), 1);
    long long other = new_unit(T_ADMIN, fmt("RSQ%s", u), "SYT-BN", NULL);
    long long om = new_schedule(T_ADMIN, other, "year", 12, 1);
    r = http_send_json("PATCH", fmt("/api/v1/schedules/%lld", om), T_SD_MANAGER, "{\"due_day\":2}");
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_do("DELETE", fmt("/api/v1/schedules/%lld", om), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 404);
    resp_free(r);
    /* Reporters do not change rules, not even their own unit's subtree's. */
    r = http_send_json("PATCH", fmt("/api/v1/schedules/%lld", q), T_SD_REPORTER, "{\"due_day\":2}");
    ASSERT_STATUS(r, 403);
    resp_free(r);
    r = http_do("DELETE", fmt("/api/v1/schedules/%lld", q), &(req_opts){.token = T_SD_REPORTER});
    ASSERT_STATUS(r, 403);
    resp_free(r);
    /* The admin changes anything. */
    r = http_send_json("PATCH", fmt("/api/v1/schedules/%lld", om), T_ADMIN, "{\"description\":\"Năm\"}");
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "description"), "Năm");
    ck_assert_int_eq(jint(r, "due_day"), 1);
    resp_free(r);
    /* Delete. */
    r = http_do("DELETE", fmt("/api/v1/schedules/%lld", m), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 204);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM schedules WHERE id = $1::bigint", idstr(m)), 0);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'schedule' AND entity_id = $1 AND action = 'delete'"
                              " AND before->>'due_day' = '14' AND after IS NULL", idstr(m)), 1);
    r = http_get(fmt("/api/v1/schedules/%lld", m), T_SD_MANAGER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_do("DELETE", fmt("/api/v1/schedules/%lld", m), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_get("/api/v1/schedules/abc", T_SD_MANAGER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
}
END_TEST

/* ---------------------------------------------------------------- due dates and timeliness */

static void assert_due(long long unit, const char *period, const char *want)
{
    resp *r = http_get(report_path(unit, period), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    if (want == NULL) ck_assert_msg(is_null(r, "due_on"), "%s due_on %s, want null", period, r->body);
    else ck_assert_msg(jstr(r, "due_on") && strcmp(jstr(r, "due_on"), want) == 0, "%s: due_on %s, want %s", period,
                       jstr(r, "due_on"), want);
    resp_free(r);
}

START_TEST(due_dates_follow_the_parents_rule)
{
    const char *u = uniq();
    char pcode[48];
    snprintf(pcode, sizeof pcode, "RD%s", u);
    long long p = new_unit(T_SD_MANAGER, pcode, "TTYT-SD", NULL);
    long long c = new_unit(T_SD_MANAGER, fmt("RD%s-1", u), pcode, NULL);
    /* No rule yet: no due date. */
    resp *r = put_report(T_SD_REPORTER, c, "202606", "{}");
    ASSERT_STATUS(r, 201);
    ck_assert_str_eq(jstr(r, "period"), "2026-06");
    ck_assert_str_eq(jstr(r, "period_type"), "month");
    ck_assert(is_null(r, "due_on"));
    resp_free(r);
    long long month = new_schedule(T_SD_MANAGER, p, "month", 1, 15);
    new_schedule(T_SD_MANAGER, p, "quarter", 3, 10);
    new_schedule(T_SD_MANAGER, p, "half_year", 6, 5);
    new_schedule(T_SD_MANAGER, p, "year", 12, 5);
    assert_due(c, "2026-06", "2026-06-15");
    const char *periods[] = {"2026Q2", "2026S1", "2026"};
    const char *types[] = {"quarter", "half_year", "year"};
    const char *dues[] = {"2026-06-10", "2026-06-05", "2026-12-05"};
    for (int i = 0; i < 3; i++) {
        r = put_report(T_SD_REPORTER, c, periods[i], "{}");
        ASSERT_STATUS(r, 201);
        ck_assert_str_eq(jstr(r, "period"), periods[i]);
        ck_assert_str_eq(jstr(r, "period_type"), types[i]);
        ck_assert_str_eq(jstr(r, "due_on"), dues[i]);
        resp_free(r);
        assert_due(c, periods[i], dues[i]);
    }
    /* A rule changed later changes only the periods that begin later (issue 10 §1): June keeps
     * its due date. */
    set_rule(month, 2, 5);
    assert_due(c, "2026-06", "2026-06-15");
    /* Each rule under a parent of its own, set before any of its periods is looked at:
     * "by the 5th of the next month"; day 31 in a 30-day month is its last day; in February
     * the 28th; across a month end, (2, 31) for January is the end of February. */
    static const struct { int m, d; const char *period, *due; } rules[] = {
        {2, 5, "2026-06", "2026-07-05"}, {1, 31, "2026-06", "2026-06-30"}, {1, 31, "2026-02", "2026-02-28"},
        {2, 31, "2026-01", "2026-02-28"}, {2, 31, "2026-06", "2026-07-31"}};
    for (int i = 0; i < 5; i++) {
        long long rp = new_unit(T_SD_MANAGER, fmt("RD%s-P%d", u, i), "TTYT-SD", NULL);
        long long rc = new_unit(T_SD_MANAGER, fmt("RD%s-P%d-1", u, i), fmt("RD%s-P%d", u, i), NULL);
        new_schedule(T_SD_MANAGER, rp, "month", rules[i].m, rules[i].d);
        draft(rc, rules[i].period, "{}");
        assert_due(rc, rules[i].period, rules[i].due);
    }
    char d[16];
    db_value("SELECT due_date(date '2024-01-01', 2, 31)::text", NULL, d, sizeof d);
    ck_assert_str_eq(d, "2024-02-29");
    db_value("SELECT due_date(date '2026-11-01', 3, 31)::text", NULL, d, sizeof d);
    ck_assert_str_eq(d, "2027-01-31");
    /* The parent's own report follows TTYT-SD's rule (1, 14). */
    draft(p, "2026-06", "{}");
    assert_due(p, "2026-06", "2026-06-14");
    /* Without the rule from today on, the periods that began keep their due dates. */
    r = http_do("DELETE", fmt("/api/v1/schedules/%lld", month), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 204);
    resp_free(r);
    assert_due(c, "2026-06", "2026-06-15");
    assert_due(c, "2026Q2", "2026-06-10");
    /* The list says the same. */
    r = http_get(fmt("/api/v1/reports?unit_id=%lld&period_type=quarter", c), T_SD_REPORTER);
    ck_assert_int_eq(jint(r, "total"), 1);
    ck_assert_str_eq(sval(json_array_get(json_object_get(r->json, "items"), 0), "due_on"), "2026-06-10");
    resp_free(r);
}
END_TEST

/* Submits the report for period of a new unit under a new parent whose month rule is (month,
 * day) and checks the due date and timeliness it gets (a rule changed later would change only
 * later periods, so each case has a parent of its own). Returns the new unit. */
static long long submit_under(const char *u, int i, const char *period, int month, int day, const char *due,
                              const char *timeliness)
{
    long long rp = new_unit(T_SD_MANAGER, fmt("RT%s-P%d", u, i), "TTYT-SD", NULL);
    long long unit = new_unit(T_SD_MANAGER, fmt("RT%s-P%d-1", u, i), fmt("RT%s-P%d", u, i), NULL);
    new_schedule(T_SD_MANAGER, rp, "month", month, day);
    draft(unit, period, "{\"s1_documents_count\":1}");
    resp *r = submit(unit, period);
    ck_assert_msg(strcmp(jstr(r, "due_on"), due) == 0, "(%d, %d) for %s: due %s, want %s", month, day, period,
                  jstr(r, "due_on"), due);
    ck_assert_msg(strcmp(jstr(r, "timeliness"), timeliness) == 0, "(%d, %d) for %s, due %s: %s, want %s", month, day,
                  period, due, jstr(r, "timeliness"), timeliness);
    ck_assert_ptr_nonnull(jstr(r, "submitted_at"));
    resp_free(r);
    r = http_get(report_path(unit, period), T_SD_MANAGER);
    ck_assert_str_eq(jstr(r, "due_on"), due);
    ck_assert_str_eq(jstr(r, "timeliness"), timeliness);
    resp_free(r);
    return unit;
}

START_TEST(timeliness_is_decided_by_the_vietnam_date_of_submission)
{
    const char *u = uniq();
    long long kid0;
    /* Today as the server counts deadlines (Vietnam), and the months around it. */
    char today[16], yesterday[16], prev[16], cur[16], prev_last[16], cur_last[16], started[8];
    db_value("SELECT vn_today()::text", NULL, today, sizeof today);
    db_value("SELECT (vn_today() - 1)::text", NULL, yesterday, sizeof yesterday);
    last_month(prev, sizeof prev);
    db_value("SELECT to_char(vn_today(), 'YYYY-MM')", NULL, cur, sizeof cur);
    db_value("SELECT (date_trunc('month', vn_today()) - interval '1 day')::date::text", NULL, prev_last,
             sizeof prev_last);
    db_value("SELECT (date_trunc('month', vn_today()) + interval '1 month - 1 day')::date::text", NULL, cur_last,
             sizeof cur_last);
    /* The server refuses a period that has not started by the UTC date (see the report). */
    db_value("SELECT date_trunc('month', vn_today())::date <= (now() AT TIME ZONE 'UTC')::date", NULL, started,
             sizeof started);
    int day = atoi(today + 8);
    /* Last month's report due today (next month, today's day): on time. */
    kid0 = submit_under(u, 0, prev, 2, day, today, "on_time");
    /* Due on last month's last day, which is before today: late. */
    submit_under(u, 1, prev, 1, 31, prev_last, "late");
    /* (2, 31) for last month is this month's last day: on time. */
    submit_under(u, 2, prev, 2, 31, cur_last, "on_time");
    if (day > 1) {
        /* Due yesterday: late. */
        submit_under(u, 3, prev, 2, day - 1, yesterday, "late");
        if (strcmp(started, "t") == 0) {
            /* This month's report: due today is on time, due yesterday is late. */
            submit_under(u, 4, cur, 1, day, today, "on_time");
            submit_under(u, 5, cur, 1, day - 1, yesterday, "late");
        }
    }
    /* Timeliness stays as it was decided, and so does the due date of a period that began
     * before the rule changed (issue 10 §1). */
    long long rule0 = db_count("SELECT s.id FROM schedules s JOIN units u ON u.id = s.unit_id WHERE u.code = $1",
                               fmt("RT%s-P0", u));
    set_rule(rule0, 1, 1);
    resp *r = http_get(report_path(kid0, prev), T_SD_REPORTER);
    ck_assert_str_eq(jstr(r, "timeliness"), "on_time");
    ck_assert_str_eq(jstr(r, "due_on"), today);
    resp_free(r);
    /* Without any rule a report is on time. */
    new_unit(T_SD_MANAGER, fmt("RT%s-N", u), fmt("RT%s-P0", u), NULL);
    long long lone_kid = new_unit(T_SD_MANAGER, fmt("RT%s-N-1", u), fmt("RT%s-N", u), NULL);
    draft(lone_kid, "2026-01", "{}");
    r = submit(lone_kid, "2026-01");
    ck_assert(is_null(r, "due_on"));
    ck_assert_str_eq(jstr(r, "timeliness"), "on_time");
    resp_free(r);
}
END_TEST

/* ---------------------------------------------------------------- life cycle */

START_TEST(report_life_cycle_draft_submit_return_approve_with_audit)
{
    const char *u = uniq();
    char pcode[48], code[48];
    snprintf(pcode, sizeof pcode, "RC%s", u);
    snprintf(code, sizeof code, "RC%s-1", u);
    long long p = new_unit(T_SD_MANAGER, pcode, "TTYT-SD", NULL);
    long long c = new_unit(T_SD_MANAGER, code, pcode, NULL);
    new_schedule(T_SD_MANAGER, p, "month", 1, 15);
    char path[96];
    snprintf(path, sizeof path, "%s", report_path(c, "2026-06"));
    resp *r = put_report(T_SD_REPORTER, c, "2026-06",
                         "{\"s1_documents_count\":2,\"s2_summary\":\"Tuyên truyền qua loa truyền thanh\","
                         "\"s3_adults_dt_knowledge_rate\":86.5,"
                         "\"s1_documents\":[{\"title\":\"Kế hoạch 45/KH-TTYT\",\"summary\":\"Triển khai phong trào\"},"
                         "{\"title\":\"Công văn 12\",\"summary\":null}]}");
    ASSERT_STATUS(r, 201);
    char loc[160], etag[80];
    ck_assert_str_eq(resp_header(r, "Location", loc, sizeof loc), path);
    ck_assert_ptr_nonnull(resp_header(r, "ETag", etag, sizeof etag));
    long long id = jint(r, "id");
    ck_assert_int_eq(jint(r, "unit_id"), c);
    ck_assert_str_eq(jstr(r, "unit_code"), code);
    ck_assert_str_eq(jstr(r, "period"), "2026-06");
    ck_assert_str_eq(jstr(r, "period_type"), "month");
    ck_assert_str_eq(jstr(r, "status"), "draft");
    ck_assert_str_eq(jstr(r, "due_on"), "2026-06-15");
    const char *nulls[] = {"submitted_at", "timeliness", "approved_at", "approved_by", "returned_at", "return_reason", NULL};
    for (int i = 0; nulls[i]; i++) ck_assert_msg(is_null(r, nulls[i]), "%s not null", nulls[i]);
    json_t *v = json_object_get(r->json, "values");
    ck_assert_uint_eq(json_object_size(v), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(v, "s1_documents_count")), 2);
    ck_assert_str_eq(sval(v, "s2_summary"), "Tuyên truyền qua loa truyền thanh");
    ck_assert_double_eq_tol(json_number_value(json_object_get(v, "s3_adults_dt_knowledge_rate")), 86.5, 1e-9);
    json_t *docs = json_object_get(v, "s1_documents");
    ck_assert_uint_eq(json_array_size(docs), 2);
    ck_assert_str_eq(sval(json_array_get(docs, 0), "title"), "Kế hoạch 45/KH-TTYT");
    ck_assert_str_eq(sval(json_array_get(docs, 0), "summary"), "Triển khai phong trào");
    ck_assert_ptr_null(json_object_get(json_array_get(docs, 1), "summary")); /* a null summary is none */
    resp_free(r);
    ck_assert_int_eq(audit_count(id, "report", "create"), 1);
    /* Again: merged; null clears a field; a stale ETag is refused. */
    r = put_report(T_SD_REPORTER, c, "2026-06", "{\"s1_documents_count\":3,\"s2_summary\":null,\"s2_conferences\":1}");
    ASSERT_STATUS(r, 200);
    ck_assert_ptr_null(resp_header(r, "Location", loc, sizeof loc));
    ck_assert_int_eq(jint(r, "id"), id);
    ck_assert_str_eq(jstr(r, "status"), "draft");
    v = json_object_get(r->json, "values");
    ck_assert_uint_eq(json_object_size(v), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(v, "s1_documents_count")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(v, "s2_conferences")), 1);
    ck_assert_ptr_null(json_object_get(v, "s2_summary"));
    ck_assert_uint_eq(json_array_size(json_object_get(v, "s1_documents")), 2);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM reports WHERE id = $1::bigint AND status = 'draft'"
                              " AND \"values\" ->> 's1_documents_count' = '3' AND NOT \"values\" ? 's2_summary'", idstr(id)), 1);
    ck_assert_int_eq(audit_count(id, "report", "update"), 1);
    const char *hdr = fmt("If-Match: %s", etag);
    req_opts stale = {.token = T_SD_REPORTER, .body = "{\"values\":{\"s2_conferences\":7}}", .headers = {hdr}};
    r = http_do("PUT", path, &stale);
    ASSERT_STATUS(r, 412);
    resp_free(r);
    r = http_get(path, T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_ptr_nonnull(resp_header(r, "ETag", etag, sizeof etag));
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r->json, "values"), "s2_conferences")), 1);
    resp_free(r);
    /* A draft cannot be approved or returned. */
    r = act(T_SD_MANAGER, c, "2026-06", "approve", NULL);
    ASSERT_STATUS(r, 409);
    resp_free(r);
    r = act(T_SD_MANAGER, c, "2026-06", "return", "{\"reason\":\"Thiếu số liệu\"}");
    ASSERT_STATUS(r, 409);
    resp_free(r);
    /* Submit (a body is allowed only when empty). */
    r = act(T_SD_REPORTER, c, "2026-06", "submit", "{\"note\":\"x\"}");
    ASSERT_STATUS(r, 422);
    resp_free(r);
    r = act(T_SD_REPORTER, c, "2026-06", "submit", "{}");
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "status"), "submitted");
    ck_assert_ptr_nonnull(jstr(r, "submitted_at"));
    ck_assert_str_eq(jstr(r, "timeliness"), "late"); /* due 2026-06-15 */
    ck_assert(is_null(r, "approved_at"));
    resp_free(r);
    ck_assert_int_eq(audit_count(id, "report", "submitted"), 1);
    r = act(T_SD_REPORTER, c, "2026-06", "submit", NULL);
    ASSERT_STATUS(r, 409);
    resp_free(r);
    r = put_report(T_SD_REPORTER, c, "2026-06", "{\"s2_conferences\":2}");
    ASSERT_STATUS(r, 409);
    resp_free(r);
    /* Only a manager above the unit approves: not the reporter. */
    r = act(T_SD_REPORTER, c, "2026-06", "approve", NULL);
    ASSERT_STATUS(r, 403);
    resp_free(r);
    r = act(T_SD_REPORTER, c, "2026-06", "return", "{\"reason\":\"x\"}");
    ASSERT_STATUS(r, 403);
    resp_free(r);
    /* Return needs a reason. */
    r = act(T_SD_MANAGER, c, "2026-06", "return", "{}");
    ASSERT_STATUS(r, 422);
    ck_assert(has_error(r, "reason"));
    resp_free(r);
    r = act(T_SD_MANAGER, c, "2026-06", "return", "{\"reason\":\"\"}");
    ASSERT_STATUS(r, 422);
    resp_free(r);
    r = act(T_SD_MANAGER, c, "2026-06", "return", "{\"reason\":\"Mục 3 thiếu tỷ lệ viên chức.\"}");
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "status"), "returned");
    ck_assert_str_eq(jstr(r, "return_reason"), "Mục 3 thiếu tỷ lệ viên chức.");
    ck_assert_ptr_nonnull(jstr(r, "returned_at"));
    ck_assert(is_null(r, "approved_by"));
    resp_free(r);
    ck_assert_int_eq(audit_count(id, "report", "returned"), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM reports WHERE id = $1::bigint AND status = 'returned'"
                              " AND return_reason = 'Mục 3 thiếu tỷ lệ viên chức.'", idstr(id)), 1);
    r = act(T_SD_MANAGER, c, "2026-06", "return", "{\"reason\":\"again\"}");
    ASSERT_STATUS(r, 409);
    resp_free(r);
    /* A returned report changes again: a draft once more, the reason kept. */
    r = put_report(T_SD_REPORTER, c, "2026-06", "{\"s3_adults_dt_knowledge_rate\":90}");
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "status"), "draft");
    ck_assert_str_eq(jstr(r, "return_reason"), "Mục 3 thiếu tỷ lệ viên chức.");
    ck_assert_double_eq_tol(json_number_value(json_object_get(json_object_get(r->json, "values"), "s3_adults_dt_knowledge_rate")), 90, 1e-9);
    resp_free(r);
    ck_assert_int_eq(audit_count(id, "report", "update"), 2);
    r = submit(c, "2026-06");
    resp_free(r);
    ck_assert_int_eq(audit_count(id, "report", "submitted"), 2);
    /* The manager of TTYT-SD (above the unit) approves. */
    r = act(T_SD_MANAGER, c, "2026-06", "approve", NULL);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "status"), "approved");
    ck_assert_str_eq(jstr(r, "approved_by"), "sondong.manager");
    ck_assert_ptr_nonnull(jstr(r, "approved_at"));
    ck_assert_str_eq(jstr(r, "timeliness"), "late");
    resp_free(r);
    ck_assert_int_eq(audit_count(id, "report", "approved"), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'report' AND entity_id = $1 AND action = 'approved'"
                              " AND username = 'sondong.manager' AND before->>'status' = 'submitted'"
                              " AND after->>'status' = 'approved'", idstr(id)), 1);
    r = act(T_SD_MANAGER, c, "2026-06", "approve", NULL);
    ASSERT_STATUS(r, 409);
    resp_free(r);
    r = put_report(T_SD_REPORTER, c, "2026-06", "{\"s2_conferences\":2}");
    ASSERT_STATUS(r, 409);
    resp_free(r);
    r = act(T_SD_REPORTER, c, "2026-06", "submit", NULL);
    ASSERT_STATUS(r, 409);
    resp_free(r);
    /* An approved report can be returned: the approval is cleared. */
    r = act(T_SYT_MANAGER, c, "2026-06", "return", "{\"reason\":\"Sở yêu cầu bổ sung\"}");
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "status"), "returned");
    ck_assert_str_eq(jstr(r, "return_reason"), "Sở yêu cầu bổ sung");
    ck_assert(is_null(r, "approved_by"));
    ck_assert(is_null(r, "approved_at"));
    resp_free(r);
    ck_assert_int_eq(audit_count(id, "report", "returned"), 2);
    /* In all: one create, two updates, two submissions, one approval, two returns. */
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'report' AND entity_id = $1", idstr(id)), 8);
}
END_TEST

START_TEST(approving_needs_a_manager_strictly_above_the_unit)
{
    /* TTYT-SD's own yearly report: its manager may neither approve nor return it. */
    long long sd = unit_id("TTYT-SD");
    resp *r = http_get(report_path(sd, "2026"), T_SD_REPORTER);
    if (r->status == 404) {
        resp_free(r);
        r = put_report(T_SD_REPORTER, sd, "2026", "{}");
        ASSERT_STATUS(r, 201);
    }
    ck_assert_msg(r->status == 200 || r->status == 201, "got %ld: %s", r->status, r->body);
    long long id = jint(r, "id");
    char status[16];
    snprintf(status, sizeof status, "%s", jstr(r, "status"));
    resp_free(r);
    long long audits = db_count("SELECT count(*) FROM audit_log WHERE entity = 'report' AND entity_id = $1", idstr(id));
    r = act(T_SD_MANAGER, sd, "2026", "approve", NULL);
    ASSERT_STATUS(r, 403);
    resp_free(r);
    r = act(T_SD_MANAGER, sd, "2026", "return", "{\"reason\":\"Tự trả lại\"}");
    ASSERT_STATUS(r, 403);
    resp_free(r);
    char now[16];
    db_value("SELECT status FROM reports WHERE id = $1::bigint", idstr(id), now, sizeof now);
    ck_assert_str_eq(now, status);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'report' AND entity_id = $1", idstr(id)), audits);
    /* A unit outside the manager's subtree does not exist for it. */
    long long hospital = unit_id("24001");
    r = act(T_SD_MANAGER, hospital, "2026-06", "approve", NULL);
    ASSERT_STATUS(r, 404);
    resp_free(r);
}
END_TEST

START_TEST(report_values_are_validated_field_by_field)
{
    const char *u = uniq();
    long long c = new_unit(T_SD_MANAGER, fmt("RV%s", u), "TTYT-SD", NULL);
    resp *r = put_report(T_SD_REPORTER, c, "2026-06", "{\"s9_nothing\":1,\"s1_documents_count\":2}");
    ASSERT_STATUS(r, 422);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "errors")), 1);
    ck_assert(has_error(r, "values.s9_nothing"));
    resp_free(r);
    r = put_report(T_SD_REPORTER, c, "2026-06",
                   "{\"s1_documents_count\":\"abc\",\"s3_staff_dt_awareness_rate\":101,"
                   "\"s1_documents\":[{\"summary\":\"không có tiêu đề\"}],\"s2_conferences\":-1,\"s2_summary\":5,"
                   "\"s2_news_items\":1.5}");
    ASSERT_STATUS(r, 422);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "errors")), 6);
    const char *fields[] = {"values.s1_documents_count", "values.s3_staff_dt_awareness_rate", "values.s1_documents",
                            "values.s2_conferences", "values.s2_summary", "values.s2_news_items", NULL};
    for (int i = 0; fields[i]; i++) ck_assert_msg(has_error(r, fields[i]), "no error for %s: %s", fields[i], r->body);
    resp_free(r);
    r = put_report(T_SD_REPORTER, c, "2026-06",
                   "{\"s1_documents\":[{\"title\":\"\"}],\"s3_summary\":[\"a\"],\"s3_students_skills_rate\":-0.5}");
    ASSERT_STATUS(r, 422);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "errors")), 3);
    ck_assert(has_error(r, "values.s1_documents"));
    ck_assert(has_error(r, "values.s3_summary"));
    ck_assert(has_error(r, "values.s3_students_skills_rate"));
    resp_free(r);
    r = put_report(T_SD_REPORTER, c, "2026-06", "{\"s1_documents\":[{\"title\":\"A\",\"author\":\"B\"}]}");
    ASSERT_STATUS(r, 422);
    ck_assert(has_error(r, "values.s1_documents"));
    resp_free(r);
    r = http_send_json("PUT", report_path(c, "2026-06"), T_SD_REPORTER, "{}");
    ASSERT_STATUS(r, 422);
    ck_assert(has_error(r, "values"));
    resp_free(r);
    r = http_send_json("PUT", report_path(c, "2026-06"), T_SD_REPORTER, "{\"values\":[1],\"status\":\"approved\"}");
    ASSERT_STATUS(r, 422);
    ck_assert(has_error(r, "values"));
    ck_assert(has_error(r, "status"));
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM reports WHERE unit_id = $1::bigint", idstr(c)), 0);
    /* Boundaries are accepted. */
    r = put_report(T_SD_REPORTER, c, "2026-06",
                   "{\"s1_documents_count\":0,\"s3_adults_dt_knowledge_rate\":100,\"s3_students_skills_rate\":0,"
                   "\"s2_news_items\":1000000000,\"s1_documents\":[]}");
    ASSERT_STATUS(r, 201);
    resp_free(r);
    r = put_report(T_SD_REPORTER, c, "2026-06", "{\"s2_news_items\":1000000001}");
    ASSERT_STATUS(r, 422);
    resp_free(r);
}
END_TEST

START_TEST(report_paths_scope_and_future_periods)
{
    const char *u = uniq();
    long long c = new_unit(T_SD_MANAGER, fmt("RP%s", u), "TTYT-SD", NULL);
    const char *bad[] = {"2026-13", "2026Q5", "2026S3", "abc", "20261", "2026-6", "202600", NULL};
    for (int i = 0; bad[i]; i++) {
        resp *r = put_report(T_SD_REPORTER, c, bad[i], "{}");
        ck_assert_msg(r->status == 404, "PUT %s gave %ld", bad[i], r->status);
        resp_free(r);
        r = http_get(report_path(c, bad[i]), T_SD_REPORTER);
        ck_assert_msg(r->status == 404, "GET %s gave %ld", bad[i], r->status);
        resp_free(r);
        r = act(T_SD_REPORTER, c, bad[i], "submit", NULL);
        ck_assert_msg(r->status == 404, "submit %s gave %ld", bad[i], r->status);
        resp_free(r);
    }
    resp *r = put_report(T_SD_REPORTER, c, "2026-06", "{}");
    ASSERT_STATUS(r, 201);
    resp_free(r);
    /* The compact and canonical forms name the same report; Location is always canonical. */
    r = put_report(T_SD_REPORTER, c, "202605", "{}");
    ASSERT_STATUS(r, 201);
    char loc[96];
    ck_assert_str_eq(resp_header(r, "Location", loc, sizeof loc), report_path(c, "2026-05"));
    ck_assert_str_eq(jstr(r, "period"), "2026-05");
    resp_free(r);
    r = http_get(report_path(c, "202606"), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "period"), "2026-06");
    resp_free(r);
    r = http_get(fmt("/api/v1/reports/abc/2026-06"), T_SD_REPORTER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    /* A period that has not started. */
    char next[16];
    db_value("SELECT to_char(vn_today() + interval '1 month', 'YYYY-MM')", NULL, next, sizeof next);
    const char *future[] = {next, "2099", "2099Q1", NULL};
    for (int i = 0; future[i]; i++) {
        r = put_report(T_SD_REPORTER, c, future[i], "{}");
        ck_assert_msg(r->status == 422, "%s gave %ld", future[i], r->status);
        ck_assert(has_error(r, "period"));
        resp_free(r);
    }
    /* Missing reports: 404 for reading and every transition. */
    r = http_get(report_path(c, "2026-04"), T_SD_REPORTER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = act(T_SD_REPORTER, c, "2026-04", "submit", NULL);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = act(T_SD_MANAGER, c, "2026-04", "approve", NULL);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = act(T_SD_MANAGER, c, "2026-04", "return", "{\"reason\":\"x\"}");
    ASSERT_STATUS(r, 404);
    resp_free(r);
    /* A unit outside the caller's subtree is 404 whether its report exists or not. */
    long long hospital = unit_id("24001");
    r = put_report(T_SD_REPORTER, hospital, "2026-06", "{\"s1_documents_count\":1}");
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_get(report_path(hospital, "2026-06"), T_SD_REPORTER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = act(T_SD_REPORTER, hospital, "2026-06", "submit", NULL);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_get(report_path(unit_id("SYT-BN"), "2026-06"), T_SD_MANAGER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    /* Viewers only read. */
    r = put_report(T_SYT_VIEWER, c, "2026-06", "{}");
    ASSERT_STATUS(r, 403);
    resp_free(r);
    r = http_get(report_path(c, "2026-06"), T_SYT_VIEWER);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM reports WHERE unit_id = $1::bigint", idstr(c)), 2);
}
END_TEST

/* ---------------------------------------------------------------- reporting status */

/* submitted: whether the report has a submitted_at (received, or returned after a submission). */
static void assert_item(const resp *r, const char *code, const char *status, const char *due, const char *timeliness,
                        int submitted, int overdue)
{
    json_t *it = status_item(r, code);
    ck_assert_msg(strcmp(sval(it, "status"), status) == 0, "%s: status %s, want %s", code, sval(it, "status"), status);
    if (due) ck_assert_str_eq(sval(it, "due_on"), due);
    else ck_assert(json_is_null(json_object_get(it, "due_on")));
    if (timeliness) ck_assert_str_eq(sval(it, "timeliness"), timeliness);
    else ck_assert(json_is_null(json_object_get(it, "timeliness")));
    ck_assert_msg(json_is_string(json_object_get(it, "submitted_at")) == submitted, "%s: submitted_at", code);
    if (!submitted) ck_assert(json_is_null(json_object_get(it, "submitted_at")));
    ck_assert_msg(json_is_true(json_object_get(it, "overdue")) == overdue, "%s: overdue not %d", code, overdue);
    ck_assert_str_eq(sval(it, "unit_name"), fmt("Đơn vị %s", code));
}

static void assert_summary(const resp *r, int expected, int received, int on_time, int late, double rrate, double orate)
{
    json_t *s = json_object_get(r->json, "summary");
    ck_assert_int_eq(json_integer_value(json_object_get(s, "expected")), expected);
    ck_assert_int_eq(json_integer_value(json_object_get(s, "received")), received);
    ck_assert_int_eq(json_integer_value(json_object_get(s, "on_time")), on_time);
    ck_assert_int_eq(json_integer_value(json_object_get(s, "late")), late);
    ck_assert_int_eq(json_integer_value(json_object_get(s, "missing")), expected - received);
    ck_assert_msg(json_is_number(json_object_get(s, "received_rate")), "received_rate: %s", r->body);
    ck_assert_msg(json_is_number(json_object_get(s, "on_time_rate")), "on_time_rate: %s", r->body);
    ck_assert_double_eq_tol(json_number_value(json_object_get(s, "received_rate")), rrate, 1e-9);
    ck_assert_double_eq_tol(json_number_value(json_object_get(s, "on_time_rate")), orate, 1e-9);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), (size_t)expected);
}

START_TEST(reporting_status_counts_the_children_open_in_the_period)
{
    const char *u = uniq();
    char pcode[48];
    snprintf(pcode, sizeof pcode, "RS%s", u);
    long long p = new_unit(T_SD_MANAGER, pcode, "TTYT-SD", NULL);
    char ca[48], cb[48], cc[48], cd[48], cf[48];
    snprintf(ca, sizeof ca, "RS%s-A", u);
    snprintf(cb, sizeof cb, "RS%s-B", u);
    snprintf(cc, sizeof cc, "RS%s-C", u);
    snprintf(cd, sizeof cd, "RS%s-D", u);
    snprintf(cf, sizeof cf, "RS%s-F", u);
    long long a = new_unit(T_SD_MANAGER, ca, pcode, NULL);
    long long b = new_unit(T_SD_MANAGER, cb, pcode, "2026-06-10");         /* opened during June */
    long long c = new_unit(T_SD_MANAGER, cc, pcode, NULL);                 /* closed during June */
    long long d = new_unit(T_SD_MANAGER, cd, pcode, "2026-01-01");         /* closed before June */
    long long f = new_unit(T_SD_MANAGER, cf, pcode, "2026-07-01");         /* opened after June */
    /* B reports monthly by the 15th from June (an obligation of its own); the others by day 1
     * of the 24th month (due far ahead: on time) until the end of June, by the 15th from July.
     * The most specific first: each addition fixes the periods begun under the rules before it. */
    new_obligation(p, fmt("\"target\":\"child\",\"child_id\":%lld,\"calendar\":{\"month\":{\"due_day\":15}},"
                          "\"valid_from\":\"2026-06-01\"", b));
    new_obligation(p, "\"target\":\"all_children\",\"calendar\":{\"month\":{\"due_month\":24,\"due_day\":1}},"
                      "\"valid_from\":\"2025-01-01\",\"valid_to\":\"2026-06-30\"");
    new_obligation(p, "\"target\":\"all_children\",\"calendar\":{\"month\":{\"due_month\":1,\"due_day\":15}},"
                      "\"valid_from\":\"2026-07-01\"");
    draft(a, "2026-06", "{\"s1_documents_count\":1}");
    resp *r = submit(a, "2026-06");
    ck_assert_str_eq(jstr(r, "timeliness"), "on_time");
    resp_free(r);
    r = act(T_SD_MANAGER, a, "2026-06", "approve", NULL);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    draft(d, "2026-06", "{}");
    resp_free(submit(d, "2026-06"));
    draft(c, "2026-06", "{}");
    draft(b, "2026-06", "{}");
    r = submit(b, "2026-06");
    ck_assert_str_eq(jstr(r, "timeliness"), "late");
    resp_free(r);
    draft(a, "2026-07", "{}");
    r = submit(a, "2026-07");
    ck_assert_str_eq(jstr(r, "timeliness"), "late");
    resp_free(r);
    draft(f, "2026-07", "{}");
    close_unit(c, "2026-06-20");
    close_unit(d, "2026-05-31");

    /* June: A, B and C (not D, closed before; not F, opened after). */
    r = http_get(fmt("/api/v1/reporting-status?unit_id=%lld&period=2026-06", p), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "unit_id"), p);
    ck_assert_str_eq(jstr(r, "unit_code"), pcode);
    ck_assert_str_eq(jstr(r, "period"), "2026-06");
    ck_assert_str_eq(jstr(r, "period_type"), "month");
    assert_summary(r, 3, 2, 1, 1, 66.7, 33.3);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_str_eq(sval(json_array_get(items, 0), "unit_code"), ca);
    ck_assert_str_eq(sval(json_array_get(items, 1), "unit_code"), cb);
    ck_assert_str_eq(sval(json_array_get(items, 2), "unit_code"), cc);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(items, 0), "unit_id")), a);
    assert_item(r, ca, "approved", "2028-05-01", "on_time", 1, 0);
    assert_item(r, cb, "submitted", "2026-06-15", "late", 1, 0);
    assert_item(r, cc, "draft", "2028-05-01", NULL, 0, 0);
    resp_free(r);
    /* The compact period is the same question. */
    r = http_get(fmt("/api/v1/reporting-status?unit_id=%lld&period=202606", p), T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "period"), "2026-06");
    assert_summary(r, 3, 2, 1, 1, 66.7, 33.3);
    resp_free(r);
    /* July: A, B and F (C closed in June). */
    r = http_get(fmt("/api/v1/reporting-status?unit_id=%lld&period=2026-07", p), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    assert_summary(r, 3, 1, 0, 1, 33.3, 0);
    assert_item(r, ca, "submitted", "2026-07-15", "late", 1, 0);
    assert_item(r, cb, "missing", "2026-07-15", NULL, 0, 1);
    assert_item(r, cf, "draft", "2026-07-15", NULL, 0, 1);
    resp_free(r);
    /* A returned report is not received. */
    r = act(T_SD_MANAGER, b, "2026-06", "return", "{\"reason\":\"Bổ sung\"}");
    ASSERT_STATUS(r, 200);
    resp_free(r);
    r = http_get(fmt("/api/v1/reporting-status?unit_id=%lld&period=2026-06", p), T_SD_REPORTER);
    assert_summary(r, 3, 1, 1, 0, 33.3, 33.3);
    assert_item(r, cb, "returned", "2026-06-15", NULL, 1, 1); /* timeliness only while received */
    resp_free(r);
    /* The second quarter: no quarterly rule, so no child is obliged to report (issue 10 §1). */
    r = http_get(fmt("/api/v1/reporting-status?unit_id=%lld&period=2026Q2", p), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "period_type"), "quarter");
    assert_summary(r, 0, 0, 0, 0, 0, 0);
    resp_free(r);
    /* A future month's reports are not overdue yet. */
    char next[16];
    db_value("SELECT to_char(vn_today() + interval '1 month', 'YYYY-MM')", NULL, next, sizeof next);
    r = http_get(fmt("/api/v1/reporting-status?unit_id=%lld&period=%s", p, next), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    assert_summary(r, 3, 0, 0, 0, 0, 0);
    assert_item(r, cf, "missing", fmt("%s-15", next), NULL, 0, 0);
    resp_free(r);
    /* Scope and bad queries. */
    r = http_get(fmt("/api/v1/reporting-status?unit_id=%lld&period=2026-06", unit_id("SYT-BN")), T_SD_REPORTER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_get(fmt("/api/v1/reporting-status?unit_id=%lld&period=2026-06", p), T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    const char *bad[] = {"/api/v1/reporting-status?period=2026-06", fmt("/api/v1/reporting-status?unit_id=%lld", p),
                         fmt("/api/v1/reporting-status?unit_id=%lld&period=2026-13", p),
                         fmt("/api/v1/reporting-status?unit_id=%lld&period=2026-06&x=1", p), NULL};
    assert_each_400(T_SD_REPORTER, "", bad);
}
END_TEST

START_TEST(reporting_status_of_a_unit_without_children_is_empty_with_zero_rates)
{
    long long leaf = new_unit(T_SD_MANAGER, fmt("RE%s", uniq()), "TTYT-SD", NULL);
    resp *r = http_get(fmt("/api/v1/reporting-status?unit_id=%lld&period=2026-06", leaf), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    assert_summary(r, 0, 0, 0, 0, 0, 0); /* "0 when nothing is expected" */
    resp_free(r);
}
END_TEST

/* ---------------------------------------------------------------- consolidated form */

START_TEST(consolidated_form_adds_numbers_and_lists_the_rest_over_received_reports)
{
    const char *u = uniq();
    char qcode[48], xc[48], yc[48], zc[48], wc[48];
    snprintf(qcode, sizeof qcode, "RF%s", u);
    snprintf(xc, sizeof xc, "RF%s-X", u);
    snprintf(yc, sizeof yc, "RF%s-Y", u);
    snprintf(zc, sizeof zc, "RF%s-Z", u);
    snprintf(wc, sizeof wc, "RF%s-YW", u);
    long long q = new_unit(T_SD_MANAGER, qcode, "TTYT-SD", NULL);
    long long x = new_unit(T_SD_MANAGER, xc, qcode, NULL);
    long long y = new_unit(T_SD_MANAGER, yc, qcode, NULL);
    long long z = new_unit(T_SD_MANAGER, zc, qcode, NULL);
    long long w = new_unit(T_SD_MANAGER, wc, yc, NULL);
    /* Q's and Y's children report monthly (issue 10 §1: the form takes the obliged children). */
    new_obligation(q, "\"target\":\"all_children\",\"valid_from\":\"2025-01-01\",\"calendar\":{\"month\":{\"due_day\":15}}");
    new_obligation(y, "\"target\":\"all_children\",\"valid_from\":\"2025-01-01\",\"calendar\":{\"month\":{\"due_day\":15}}");
    draft(x, "2026-06", "{\"s1_documents_count\":2,\"s2_conferences\":1,\"s2_summary\":\"Tuyên truyền qua loa\","
                        "\"s3_adults_dt_knowledge_rate\":86.5,"
                        "\"s1_documents\":[{\"title\":\"Kế hoạch 45/KH\",\"summary\":\"Triển khai\"}]}");
    resp_free(submit(x, "2026-06"));
    draft(y, "2026-06", "{\"s1_documents_count\":3,\"s5_people_supported\":40,\"s2_summary\":\"Hội nghị trực tuyến\"}");
    resp_free(submit(y, "2026-06"));
    draft(w, "2026-06", "{\"s1_documents_count\":4,\"s5_people_supported\":10}");
    resp_free(submit(w, "2026-06"));
    /* Y is approved once W, obliged to it, is (issue 10 §2). */
    resp *r = act(T_SD_MANAGER, w, "2026-06", "approve", NULL);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    r = act(T_SD_MANAGER, y, "2026-06", "approve", NULL);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    draft(z, "2026-06", "{\"s1_documents_count\":100,\"s2_summary\":\"Bản nháp\",\"s2_news_items\":7}");

    r = http_get(fmt("/api/v1/exports/report-form?unit_id=%lld&period=2026-06", q), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "unit_id"), q);
    ck_assert_str_eq(jstr(r, "unit_code"), qcode);
    ck_assert_str_eq(jstr(r, "unit_name"), fmt("Đơn vị %s", qcode));
    ck_assert_str_eq(jstr(r, "period"), "2026-06");
    ck_assert_int_eq(jint(r, "reports_included"), 3);
    json_t *units = json_object_get(r->json, "units");
    ck_assert_uint_eq(json_array_size(units), 3);
    ck_assert_str_eq(json_string_value(json_array_get(units, 0)), xc);
    ck_assert_str_eq(json_string_value(json_array_get(units, 1)), yc);
    ck_assert_str_eq(json_string_value(json_array_get(units, 2)), wc);
    /* Six sections, every field in order. */
    json_t *sections = json_object_get(r->json, "sections");
    ck_assert_uint_eq(json_array_size(sections), 6);
    for (size_t i = 0; i < 6; i++) {
        json_t *s = json_array_get(sections, i);
        ck_assert_int_eq(json_integer_value(json_object_get(s, "section")), (long long)i + 1);
        json_t *fields = json_object_get(s, "fields");
        ck_assert_int_eq((long long)json_array_size(fields),
                         db_count("SELECT count(*) FROM report_fields WHERE section = $1::int", idstr((long long)i + 1)));
        size_t j;
        json_t *f;
        json_array_foreach(fields, j, f) {
            char want[64];
            db_value(
                fmt("SELECT code FROM report_fields WHERE section = $1::int ORDER BY sort_order OFFSET %zu LIMIT 1", j),
                idstr((long long)i + 1), want, sizeof want);
            ck_assert_str_eq(sval(f, "code"), want);
        }
    }
    /* Summed over the submitted and approved reports only (not Z's draft). */
    ck_assert_int_eq(json_integer_value(form_field(r, "s1_documents_count")), 9);
    ck_assert_int_eq(json_integer_value(form_field(r, "s2_conferences")), 1);
    ck_assert_int_eq(json_integer_value(form_field(r, "s5_people_supported")), 50);
    ck_assert(json_is_null(form_field(r, "s2_news_items")));
    ck_assert(json_is_null(form_field(r, "s3_summary")));
    /* Texts, percentages and documents listed per unit in code order. */
    json_t *list = form_field(r, "s2_summary");
    ck_assert_uint_eq(json_array_size(list), 2);
    ck_assert_str_eq(sval(json_array_get(list, 0), "unit_code"), xc);
    ck_assert_str_eq(sval(json_array_get(list, 0), "unit_name"), fmt("Đơn vị %s", xc));
    ck_assert_str_eq(sval(json_array_get(list, 0), "value"), "Tuyên truyền qua loa");
    ck_assert_str_eq(sval(json_array_get(list, 1), "unit_code"), yc);
    ck_assert_str_eq(sval(json_array_get(list, 1), "value"), "Hội nghị trực tuyến");
    list = form_field(r, "s3_adults_dt_knowledge_rate");
    ck_assert_uint_eq(json_array_size(list), 1);
    ck_assert_double_eq_tol(json_number_value(json_object_get(json_array_get(list, 0), "value")), 86.5, 1e-9);
    list = form_field(r, "s1_documents");
    ck_assert_uint_eq(json_array_size(list), 1);
    json_t *docs = json_object_get(json_array_get(list, 0), "value");
    ck_assert_str_eq(sval(json_array_get(docs, 0), "title"), "Kế hoạch 45/KH");
    resp_free(r);

    /* Y's form: Y and its child W. */
    r = http_get(fmt("/api/v1/exports/report-form?unit_id=%lld&period=202606", y), T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "reports_included"), 2);
    ck_assert_int_eq(json_integer_value(form_field(r, "s1_documents_count")), 7);
    ck_assert_int_eq(json_integer_value(form_field(r, "s5_people_supported")), 50);
    resp_free(r);
    /* A unit without children: its own values, even of a draft. */
    r = http_get(fmt("/api/v1/exports/report-form?unit_id=%lld&period=2026-06", z), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "reports_included"), 1);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "units")), 1);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r->json, "units"), 0)), zc);
    ck_assert_int_eq(json_integer_value(form_field(r, "s1_documents_count")), 100);
    ck_assert_str_eq(json_string_value(form_field(r, "s2_summary")), "Bản nháp");
    ck_assert_int_eq(json_integer_value(form_field(r, "s2_news_items")), 7);
    ck_assert(json_is_null(form_field(r, "s2_conferences")));
    resp_free(r);
    r = http_get(fmt("/api/v1/exports/report-form?unit_id=%lld&period=2026-06", x), T_SD_REPORTER);
    ck_assert_double_eq_tol(json_number_value(form_field(r, "s3_adults_dt_knowledge_rate")), 86.5, 1e-9);
    ck_assert_str_eq(sval(json_array_get(form_field(r, "s1_documents"), 0), "summary"), "Triển khai");
    resp_free(r);
    /* Nobody reported for May. */
    r = http_get(fmt("/api/v1/exports/report-form?unit_id=%lld&period=2026-05", q), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "reports_included"), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "units")), 0);
    ck_assert(json_is_null(form_field(r, "s1_documents_count")));
    ck_assert(json_is_null(form_field(r, "s2_summary")));
    resp_free(r);

    /* CSV. */
    req_opts o = {.token = T_SD_REPORTER, .headers = {"Accept: text/csv"}};
    r = http_do("GET", fmt("/api/v1/exports/report-form?unit_id=%lld&period=2026-06", q), &o);
    ASSERT_STATUS(r, 200);
    char ct[64];
    ck_assert_str_eq(resp_header(r, "Content-Type", ct, sizeof ct), "text/csv; charset=utf-8");
    const char *header = "section,code,label_vi,value\r\n";
    ck_assert_int_eq(strncmp(r->body, header, strlen(header)), 0);
    const char *want[] = {
        "\r\n1,s1_documents_count,Số lượng văn bản ban hành,9\r\n",
        fmt("\r\n1,s1_documents,Tên văn bản ban hành và khái quát nội dung văn bản,%s: Kế hoạch 45/KH — Triển khai\r\n", xc),
        fmt("\r\n2,s2_summary,Khái quát kết quả đến thời điểm báo cáo,\"%s: Tuyên truyền qua loa\n%s: Hội nghị trực tuyến\"\r\n",
            xc, yc),
        "\r\n5,s5_people_supported,\"Số người nghèo, đồng bào dân tộc, người dân vùng nông thôn... được hỗ trợ tiếp cận sử dụng dịch vụ, nền tảng số\",50\r\n",
        "\r\n3,s3_summary,Khái quát kết quả chung,\r\n",
        NULL};
    for (int i = 0; want[i]; i++) ck_assert_msg(strstr(r->body, want[i]) != NULL, "no %s in %s", want[i], r->body);
    int lines = 0;
    for (const char *s = r->body; (s = strstr(s, "\r\n")) != NULL; s += 2) lines++;
    ck_assert_int_eq(lines, 1 + (int)db_count("SELECT count(*) FROM report_fields", NULL));
    resp_free(r);

    /* Scope and bad queries. */
    r = http_get(fmt("/api/v1/exports/report-form?unit_id=%lld&period=2026-06", unit_id("24001")), T_SD_REPORTER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    const char *bad[] = {fmt("/api/v1/exports/report-form?unit_id=%lld", q), "/api/v1/exports/report-form?period=2026-06",
                         fmt("/api/v1/exports/report-form?unit_id=%lld&period=June", q), NULL};
    assert_each_400(T_SD_REPORTER, "", bad);
}
END_TEST

/* Values are never null in answers (a null in PUT removes the field): not in reports, not in
 * the lists of a parent's form. Checked over everything under TTYT-SD, the demo's reports too. */
START_TEST(answers_never_hold_null_values)
{
    resp *r = http_get(fmt("/api/v1/reports?under=%lld&limit=1000", unit_id("TTYT-SD")), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_gt(jint(r, "total"), 0);
    size_t i;
    json_t *it;
    int nulls = 0;
    char first[160] = "";
    json_array_foreach(json_object_get(r->json, "items"), i, it) {
        const char *key;
        json_t *val;
        json_object_foreach(json_object_get(it, "values"), key, val) if (json_is_null(val)) {
            if (nulls++ == 0) snprintf(first, sizeof first, "%s %s %s", sval(it, "unit_code"), sval(it, "period"), key);
        }
    }
    ck_assert_msg(nulls == 0, "%d null values in reports, the first: %s", nulls, first);
    resp_free(r);
    char prev[16];
    last_month(prev, sizeof prev);
    r = http_get(fmt("/api/v1/exports/report-form?unit_id=%lld&period=%s", unit_id("TTYT-SD"), prev), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    size_t j, k;
    json_t *sec, *f, *item;
    json_array_foreach(json_object_get(r->json, "sections"), i, sec) json_array_foreach(json_object_get(sec, "fields"), j, f) {
        json_t *v = json_object_get(f, "value");
        if (!json_is_array(v)) continue;
        json_array_foreach(v, k, item) ck_assert_msg(!json_is_null(json_object_get(item, "value")),
                                                    "form %s: %s of %s is null", prev, sval(f, "code"), sval(item, "unit_code"));
    }
    resp_free(r);
}
END_TEST

/* ---------------------------------------------------------------- list */

START_TEST(report_list_filters_sorts_and_answers_csv)
{
    const char *u = uniq();
    char lcode[48], c1[48], c2[48];
    snprintf(lcode, sizeof lcode, "RL%s", u);
    snprintf(c1, sizeof c1, "RL%s-1", u);
    snprintf(c2, sizeof c2, "RL%s-2", u);
    long long l = new_unit(T_SD_MANAGER, lcode, "TTYT-SD", NULL);
    long long a = new_unit(T_SD_MANAGER, c1, lcode, NULL);
    long long b = new_unit(T_SD_MANAGER, c2, lcode, NULL);
    draft(a, "2026-06", "{}");
    resp_free(submit(a, "2026-06"));
    draft(a, "2026Q2", "{}");
    draft(b, "2026-06", "{}");
    draft(b, "2026-05", "{}");
    resp_free(submit(b, "2026-05"));
    draft(l, "2026-06", "{}");

    resp *r = http_get(fmt("/api/v1/reports?under=%lld", l), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 5);
    resp_free(r);
    r = http_get(fmt("/api/v1/reports?unit_id=%lld", a), T_SD_REPORTER);
    ck_assert_int_eq(jint(r, "total"), 2);
    resp_free(r);
    r = http_get(fmt("/api/v1/reports?under=%lld&period=202606", l), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 3);
    json_t *items = json_object_get(r->json, "items");
    const char *order[] = {lcode, c1, c2};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_str_eq(sval(json_array_get(items, i), "unit_code"), order[i]);
        ck_assert_str_eq(sval(json_array_get(items, i), "period"), "2026-06");
    }
    resp_free(r);
    r = http_get(fmt("/api/v1/reports?under=%lld&period=2026-06&sort=-unit_code", l), T_SD_REPORTER);
    items = json_object_get(r->json, "items");
    ck_assert_str_eq(sval(json_array_get(items, 0), "unit_code"), c2);
    ck_assert_str_eq(sval(json_array_get(items, 2), "unit_code"), lcode);
    resp_free(r);
    r = http_get(fmt("/api/v1/reports?under=%lld&status=submitted", l), T_SD_REPORTER);
    ck_assert_int_eq(jint(r, "total"), 2);
    items = json_object_get(r->json, "items");
    ck_assert_str_eq(sval(json_array_get(items, 0), "period"), "2026-05"); /* sort=period by default */
    ck_assert_str_eq(sval(json_array_get(items, 1), "period"), "2026-06");
    resp_free(r);
    r = http_get(fmt("/api/v1/reports?under=%lld&period_type=quarter", l), T_SD_REPORTER);
    ck_assert_int_eq(jint(r, "total"), 1);
    ck_assert_str_eq(sval(json_array_get(json_object_get(r->json, "items"), 0), "period"), "2026Q2");
    resp_free(r);
    r = http_get(fmt("/api/v1/reports?under=%lld&status=draft&period_type=month&limit=1&offset=1", l), T_SD_REPORTER);
    ck_assert_int_eq(jint(r, "total"), 2);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    ck_assert_str_eq(sval(json_array_get(json_object_get(r->json, "items"), 0), "unit_code"), c2);
    resp_free(r);
    /* Outside the reporter's subtree there is nothing. */
    r = http_get(fmt("/api/v1/reports?unit_id=%lld", unit_id("24001")), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 0);
    resp_free(r);
    /* CSV: every column but values. */
    req_opts o = {.token = T_SD_REPORTER, .headers = {"Accept: text/csv"}};
    r = http_do("GET", fmt("/api/v1/reports?under=%lld&period=202606", l), &o);
    ASSERT_STATUS(r, 200);
    const char *header = "id,unit_id,unit_code,period,period_type,status,due_on,submitted_at,timeliness,approved_at,"
                         "approved_by,returned_at,return_reason,created_at,updated_at\r\n";
    ck_assert_int_eq(strncmp(r->body, header, strlen(header)), 0);
    int lines = 0;
    for (const char *s = r->body; (s = strstr(s, "\r\n")) != NULL; s += 2) lines++;
    ck_assert_int_eq(lines, 4);
    ck_assert_ptr_nonnull(strstr(r->body, fmt(",%lld,%s,2026-06,month,submitted,", a, c1)));
    ck_assert_ptr_nonnull(strstr(r->body, fmt(",%lld,%s,2026-06,month,draft,", b, c2)));
    resp_free(r);
    const char *bad[] = {"/api/v1/reports?period=2026-13", "/api/v1/reports?status=lost", "/api/v1/reports?period_type=week",
                         "/api/v1/reports?sort=values", "/api/v1/reports?under=x", NULL};
    assert_each_400(T_SD_REPORTER, "", bad);
}
END_TEST

Suite *reports_suite(void)
{
    Suite *s = suite_create("reports");
    TCase *t = tcase_create("reports");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, schedule_is_created_once_per_unit_and_period_type);
    tcase_add_test(t, schedule_bodies_are_validated_and_need_a_manager);
    tcase_add_test(t, schedules_list_filters_and_shows_the_rules_that_set_ones_deadlines);
    tcase_add_test(t, schedules_change_only_in_the_managers_subtree);
    tcase_add_test(t, due_dates_follow_the_parents_rule);
    tcase_add_test(t, timeliness_is_decided_by_the_vietnam_date_of_submission);
    tcase_add_test(t, report_life_cycle_draft_submit_return_approve_with_audit);
    tcase_add_test(t, approving_needs_a_manager_strictly_above_the_unit);
    tcase_add_test(t, report_values_are_validated_field_by_field);
    tcase_add_test(t, report_paths_scope_and_future_periods);
    tcase_add_test(t, reporting_status_counts_the_children_open_in_the_period);
    tcase_add_test(t, reporting_status_of_a_unit_without_children_is_empty_with_zero_rates);
    tcase_add_test(t, consolidated_form_adds_numbers_and_lists_the_rest_over_received_reports);
    tcase_add_test(t, report_list_filters_sorts_and_answers_csv);
    tcase_add_test(t, answers_never_hold_null_values);
    suite_add_tcase(s, t);
    return s;
}
