/* Facility digital services (states, history, as_of), patient-support counts and patients
 * served (upserts, period lists) and their bulk loads (mode=replace, warnings, dry runs, JSON).
 * Each test works on facilities of its own, made with a uniq() code under station TYT-YENDINH
 * (inside Sơn Động, and not among the units other suites count), so that the counts it asserts
 * are exact and the suite runs again on the same database. */
#include "client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Today (the server's Vietnamese date) and the first month after it. */
static void today_and_next_month(char today[11], char next[16])
{
    server_today(today);
    struct tm tm = {0};
    tm.tm_year = atoi(today) - 1900;
    tm.tm_mon = atoi(today + 5) - 1;
    /* The 1st of this month plus 32 days is in the next month. */
    tm.tm_mday = 1;
    time_t first = timegm(&tm) + 32 * 86400;
    gmtime_r(&first, &tm);
    strftime(next, 16, "%Y-%m", &tm);
}

/* A unit of the test's own under TYT-YENDINH, made by the Sơn Động manager; its code in code. */
static long long make_unit(const char *type, char *code, size_t len)
{
    return make_test_unit("FS", "Trạm Y tế kiểm thử", type, "TYT-YENDINH", code, len);
}

static resp *put_service(long long unit, const char *service, const char *token, const char *body)
{
    return http_send_json("PUT", fmt("/api/v1/units/%lld/services/%s", unit, service), token, body);
}

static json_t *item(const resp *r, size_t i)
{
    return json_array_get(json_object_get(r->json, "items"), i);
}

static const char *istr(const resp *r, size_t i, const char *key)
{
    return json_string_value(json_object_get(item(r, i), key));
}

/* ---- facility services -------------------------------------------------------------------- */

START_TEST(put_service_creates_201_then_200_and_keeps_every_change)
{
    char code[40], today[11], next[16], etag[64], etag2[64], hdr[96];
    today_and_next_month(today, next);
    long long u = make_unit("commune_station", code, sizeof code);
    const char *key = fmt("%lld/emr", u);
    char keybuf[64];
    snprintf(keybuf, sizeof keybuf, "%s", key);
    resp *r = put_service(u, "emr", T_SD_REPORTER, "{\"status\":\"planned\",\"note\":\"Kế hoạch năm 2026\"}");
    ASSERT_STATUS(r, 201);
    ck_assert_int_eq(jint(r, "unit_id"), u);
    ck_assert_str_eq(jstr(r, "unit_code"), code);
    ck_assert_str_eq(jstr(r, "unit_name"), "Trạm Y tế kiểm thử");
    ck_assert_str_eq(jstr(r, "service"), "emr");
    ck_assert_str_eq(jstr(r, "status"), "planned");
    ck_assert(json_is_null(json_object_get(r->json, "deployed_on")));
    ck_assert_str_eq(jstr(r, "note"), "Kế hoạch năm 2026");
    ck_assert_str_eq(jstr(r, "effective_on"), today); /* not given, not deployed: today */
    ck_assert_int_eq((int)strlen(jstr(r, "updated_at")), 20);
    ck_assert_uint_eq(json_object_size(r->json), 9);
    ck_assert_ptr_nonnull(resp_header(r, "ETag", etag, sizeof etag));
    char loc[128];
    ck_assert_str_eq(resp_header(r, "Location", loc, sizeof loc), fmt("/api/v1/units/%lld/services/emr", u));
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM facility_services WHERE unit_id = $1::bigint AND service = 'emr'"
                              " AND status = 'planned' AND note = 'Kế hoạch năm 2026' AND effective_on = vn_today()", idstr(u)), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM facility_service_history WHERE unit_id = $1::bigint"
                              " AND recorded_by = (SELECT id FROM users WHERE username = 'sondong.reporter')", idstr(u)), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'facility_service' AND entity_id = $1"
                              " AND action = 'create' AND before IS NULL AND after->>'status' = 'planned'", keybuf), 1);

    /* The same state again changes nothing: no history entry, no audit. */
    r = put_service(u, "emr", T_SD_REPORTER, "{\"status\":\"planned\",\"note\":\"Kế hoạch năm 2026\"}");
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(resp_header(r, "ETag", etag2, sizeof etag2), etag);
    ck_assert_ptr_null(resp_header(r, "Location", loc, sizeof loc));
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM facility_service_history WHERE unit_id = $1::bigint", idstr(u)), 1);

    /* A stale If-Match is 412; the current one lets the change through. */
    req_opts stale = {.token = T_SD_REPORTER, .body = "{\"status\":\"piloting\"}", .headers = {"If-Match: \"0000000000000000\""}};
    r = http_do("PUT", fmt("/api/v1/units/%lld/services/emr", u), &stale);
    ASSERT_STATUS(r, 412);
    resp_free(r);
    snprintf(hdr, sizeof hdr, "If-Match: %s", etag);
    req_opts fresh = {.token = T_SD_REPORTER, .body = "{\"status\":\"piloting\",\"note\":null}", .headers = {hdr}};
    r = http_do("PUT", fmt("/api/v1/units/%lld/services/emr", u), &fresh);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "status"), "piloting");
    ck_assert(json_is_null(json_object_get(r->json, "note")));
    ck_assert_str_eq(jstr(r, "effective_on"), today);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM facility_service_history WHERE unit_id = $1::bigint", idstr(u)), 2);
    ck_assert_int_eq(db_count("SELECT count(*) FROM facility_service_history WHERE unit_id = $1::bigint"
                              " AND status = 'piloting' AND note IS NULL", idstr(u)), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'facility_service' AND entity_id = $1"
                              " AND action = 'update' AND before->>'status' = 'planned' AND after->>'status' = 'piloting'",
                              keybuf), 1);
    /* No state yet for another service: If-Match cannot match. */
    req_opts none = {.token = T_SD_REPORTER, .body = "{\"status\":\"planned\"}", .headers = {hdr}};
    r = http_do("PUT", fmt("/api/v1/units/%lld/services/cashless_payment", u), &none);
    ASSERT_STATUS(r, 412);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM facility_services WHERE unit_id = $1::bigint", idstr(u)), 1);
}
END_TEST

START_TEST(put_service_refuses_bad_states_with_422)
{
    char code[40], ward[40], today[11], next[16];
    today_and_next_month(today, next);
    long long u = make_unit("health_centre", code, sizeof code);
    long long w = make_unit("ward", ward, sizeof ward);
    resp *r = put_service(w, "emr", T_SD_REPORTER, "{\"status\":\"planned\"}");
    assert_one_error(r, "unit", "is not a facility (hospital, health centre, CDC or commune station)");
    resp_free(r);
    r = put_service(u, "emr", T_SD_REPORTER, "{\"status\":\"deployed\"}");
    assert_one_error(r, "deployed_on", "is required when the status is deployed");
    resp_free(r);
    r = put_service(u, "emr", T_SD_REPORTER, "{\"status\":\"deployed\",\"deployed_on\":null}");
    assert_one_error(r, "deployed_on", "is required when the status is deployed");
    resp_free(r);
    r = put_service(u, "emr", T_SD_REPORTER, "{\"status\":\"deployed\",\"deployed_on\":\"2099-01-01\"}");
    assert_one_error(r, "deployed_on", "must not be in the future");
    resp_free(r);
    r = put_service(u, "emr", T_SD_REPORTER, "{\"status\":\"planned\",\"effective_on\":\"2099-01-01\"}");
    assert_one_error(r, "effective_on", "must not be in the future");
    resp_free(r);
    r = put_service(u, "emr", T_SD_REPORTER, "{\"status\":\"piloting\",\"deployed_on\":\"2026-01-01\"}");
    assert_one_error(r, "deployed_on", "is given only when the status is deployed");
    resp_free(r);
    r = put_service(u, "emr", T_SD_REPORTER,
                    "{\"status\":\"deployed\",\"deployed_on\":\"2026-02-01\",\"effective_on\":\"2026-01-31\"}");
    assert_one_error(r, "effective_on", "must not be before deployed_on");
    resp_free(r);
    r = put_service(u, "emr", T_SD_REPORTER, "{\"status\":\"live\"}");
    assert_one_error(r, "status", "must be planned, piloting, deployed or not_applicable");
    resp_free(r);
    r = put_service(u, "emr", T_SD_REPORTER, "{\"note\":\"x\"}");
    assert_one_error(r, "status", "is required");
    resp_free(r);
    r = put_service(u, "emr", T_SD_REPORTER, "{\"status\":\"planned\",\"colour\":\"red\"}");
    assert_one_error(r, "colour", "is not a field of this resource");
    resp_free(r);
    char note[520];
    memset(note, 'a', 501);
    note[501] = '\0';
    r = put_service(u, "emr", T_SD_REPORTER, fmt("{\"status\":\"planned\",\"note\":\"%s\"}", note));
    assert_one_error(r, "note", "must be 0 to 500 characters long");
    resp_free(r);
    /* An unknown service or unit id is 404. */
    r = put_service(u, "telepathy", T_SD_REPORTER, "{\"status\":\"planned\"}");
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_send_json("PUT", "/api/v1/units/abc/services/emr", T_SD_REPORTER, "{\"status\":\"planned\"}");
    ASSERT_STATUS(r, 404);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM facility_service_history WHERE unit_id IN ($1::bigint)", idstr(u)), 0);
    ck_assert_int_eq(db_count("SELECT count(*) FROM facility_service_history WHERE unit_id IN ($1::bigint)", idstr(w)), 0);
}
END_TEST

START_TEST(services_outside_scope_are_404_and_readers_403)
{
    long long hospital = unit_id("24001");
    resp *r = put_service(hospital, "emr", T_SD_REPORTER, "{\"status\":\"planned\"}");
    ASSERT_STATUS(r, 404);
    resp *missing = put_service(999999999, "emr", T_SD_REPORTER, "{\"status\":\"planned\"}");
    ASSERT_STATUS(missing, 404);
    ck_assert_str_eq(jstr(r, "detail"), jstr(missing, "detail"));
    resp_free(r);
    resp_free(missing);
    const char *readers[] = {T_SYT_VIEWER, T_INTEGRATION};
    for (int i = 0; i < 2; i++) {
        r = put_service(hospital, "emr", readers[i], "{\"status\":\"planned\"}");
        ASSERT_STATUS(r, 403);
        resp_free(r);
    }
    /* Lists hold the caller's subtree only. */
    r = http_get(fmt("/api/v1/facility-services?unit_id=%lld", hospital), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 0);
    resp_free(r);
    r = http_get(fmt("/api/v1/facility-services?unit_id=%lld", hospital), T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"),
                     db_count("SELECT count(*) FROM facility_services WHERE unit_id = $1::bigint", idstr(hospital)));
    resp_free(r);
    r = http_get("/api/v1/facility-services?limit=1000", T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), db_count("SELECT count(*) FROM facility_services f JOIN units u ON u.id = f.unit_id"
                                                " WHERE u.path <@ (SELECT path FROM units WHERE code = $1)", "TTYT-SD"));
    resp_free(r);
}
END_TEST

START_TEST(as_of_answers_from_the_history)
{
    char code[40], today[11], next[16];
    today_and_next_month(today, next);
    long long u = make_unit("commune_station", code, sizeof code);
    resp *r = put_service(u, "emr", T_SD_REPORTER, "{\"status\":\"piloting\",\"effective_on\":\"2026-01-10\"}");
    ASSERT_STATUS(r, 201);
    ck_assert_str_eq(jstr(r, "effective_on"), "2026-01-10");
    resp_free(r);
    /* Deployed: effective_on defaults to deployed_on. */
    r = put_service(u, "emr", T_SD_REPORTER, "{\"status\":\"deployed\",\"deployed_on\":\"2026-02-01\"}");
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "effective_on"), "2026-02-01");
    ck_assert_str_eq(jstr(r, "deployed_on"), "2026-02-01");
    resp_free(r);
    r = put_service(u, "cashless_payment", T_SD_REPORTER,
                    "{\"status\":\"deployed\",\"deployed_on\":\"2026-02-01\",\"effective_on\":\"2026-02-01\"}");
    ASSERT_STATUS(r, 201);
    resp_free(r);
    /* A new state cannot begin before the current one. */
    r = put_service(u, "emr", T_SD_REPORTER, "{\"status\":\"planned\",\"effective_on\":\"2026-01-15\"}");
    assert_one_error(r, "effective_on", "must not be before the day the current state began (2026-02-01)");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM facility_service_history WHERE unit_id = $1::bigint", idstr(u)), 3);

    r = http_get(fmt("/api/v1/facility-services?unit_id=%lld&as_of=2026-01-31", u), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 1); /* cashless payment had no state yet */
    ck_assert_str_eq(istr(r, 0, "service"), "emr");
    ck_assert_str_eq(istr(r, 0, "status"), "piloting");
    ck_assert(json_is_null(json_object_get(item(r, 0), "deployed_on")));
    ck_assert_str_eq(istr(r, 0, "effective_on"), "2026-01-10");
    ck_assert_str_eq(istr(r, 0, "unit_code"), code);
    resp_free(r);
    r = http_get(fmt("/api/v1/facility-services?unit_id=%lld&as_of=2026-03-31&status=deployed", u), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 2);
    ck_assert_str_eq(istr(r, 0, "service"), "cashless_payment");
    ck_assert_str_eq(istr(r, 1, "service"), "emr");
    ck_assert_str_eq(istr(r, 1, "deployed_on"), "2026-02-01");
    resp_free(r);
    r = http_get(fmt("/api/v1/facility-services?unit_id=%lld&as_of=2026-01-09", u), T_SD_REPORTER);
    ck_assert_int_eq(jint(r, "total"), 0);
    resp_free(r);
    /* Without as_of: the current states. */
    r = http_get(fmt("/api/v1/facility-services?unit_id=%lld", u), T_SD_REPORTER);
    ck_assert_int_eq(jint(r, "total"), 2);
    ck_assert_str_eq(istr(r, 1, "status"), "deployed");
    resp_free(r);
}
END_TEST

START_TEST(facility_service_lists_filter_sort_and_give_csv)
{
    char code[40];
    long long u = make_unit("commune_station", code, sizeof code);
    const char *states[][2] = {{"emr", "{\"status\":\"deployed\",\"deployed_on\":\"2025-12-01\"}"},
                               {"cashless_payment", "{\"status\":\"planned\",\"note\":\"=SUM(A1)\"}"},
                               {"online_booking", "{\"status\":\"piloting\"}"}};
    for (int i = 0; i < 3; i++) {
        resp *r = put_service(u, states[i][0], T_SD_MANAGER, states[i][1]);
        ASSERT_STATUS(r, 201);
        resp_free(r);
    }
    resp *r = http_get(fmt("/api/v1/facility-services?unit_id=%lld", u), T_SYT_VIEWER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 3);
    ck_assert_str_eq(istr(r, 0, "service"), "cashless_payment");
    ck_assert_str_eq(istr(r, 1, "service"), "emr");
    ck_assert_str_eq(istr(r, 2, "service"), "online_booking");
    resp_free(r);
    r = http_get(fmt("/api/v1/facility-services?under=%lld&sort=-service&limit=2&offset=1", u), T_SYT_VIEWER);
    ck_assert_int_eq(jint(r, "total"), 3);
    ck_assert_int_eq(jint(r, "limit"), 2);
    ck_assert_int_eq(jint(r, "offset"), 1);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 2);
    ck_assert_str_eq(istr(r, 0, "service"), "emr");
    ck_assert_str_eq(istr(r, 1, "service"), "cashless_payment");
    resp_free(r);
    const char *one[] = {"status=deployed", "service=online_booking", "status=planned&facility_type=commune_station", NULL};
    const char *which[] = {"emr", "online_booking", "cashless_payment"};
    for (int i = 0; one[i]; i++) {
        r = http_get(fmt("/api/v1/facility-services?unit_id=%lld&%s", u, one[i]), T_SD_REPORTER);
        ASSERT_STATUS(r, 200);
        ck_assert_msg(jint(r, "total") == 1, "%s: %s", one[i], r->body);
        ck_assert_str_eq(istr(r, 0, "service"), which[i]);
        resp_free(r);
    }
    r = http_get(fmt("/api/v1/facility-services?unit_id=%lld&facility_type=hospital", u), T_SD_REPORTER);
    ck_assert_int_eq(jint(r, "total"), 0);
    resp_free(r);
    r = http_get(fmt("/api/v1/facility-services?unit_id=%lld&updated_since=2999-01-01T00:00:00Z", u), T_SD_REPORTER);
    ck_assert_int_eq(jint(r, "total"), 0);
    resp_free(r);
    req_opts o = {.token = T_SD_REPORTER, .headers = {"Accept: text/csv"}};
    r = http_do("GET", fmt("/api/v1/facility-services?unit_id=%lld&service=cashless_payment", u), &o);
    ASSERT_STATUS(r, 200);
    const char *header = "unit_id,unit_code,unit_name,service,status,deployed_on,note,effective_on,updated_at\r\n";
    ck_assert_int_eq(strncmp(r->body, header, strlen(header)), 0);
    const char *want = fmt("%lld,%s,Trạm Y tế kiểm thử,cashless_payment,planned,,\"'=SUM(A1)\",", u, code);
    ck_assert_msg(strstr(r->body, want) != NULL, "no %s in %s", want, r->body);
    resp_free(r);
    const char *bad[] = {"as_of=2026-02-30", "status=live", "facility_type=ward", "sort=status", "unit_id=x",
                         "limit=0", "colour=red", NULL};
    assert_each_400(T_SD_REPORTER, "/api/v1/facility-services?", bad);
}
END_TEST

/* ---- support counts and patients served --------------------------------------------------- */

static resp *post_count(const char *token, const char *unit, const char *month, const char *service,
                        const char *group, const char *count)
{
    return http_send_json("POST", "/api/v1/support-counts", token,
                          fmt("{\"unit_code\":\"%s\",\"month\":\"%s\",\"service\":\"%s\",\"target_group\":\"%s\",\"count\":%s}",
                              unit, month, service, group, count));
}

START_TEST(support_count_upsert_is_201_then_200_and_validated)
{
    char code[40], today[11], next[16], loc[128];
    today_and_next_month(today, next);
    long long u = make_unit("commune_station", code, sizeof code);
    resp *r = post_count(T_SD_REPORTER, code, "2026-06", "vneid_card", "elderly", "12");
    ASSERT_STATUS(r, 201);
    long long id = jint(r, "id");
    ck_assert_str_eq(resp_header(r, "Location", loc, sizeof loc), fmt("/api/v1/support-counts/%lld", id));
    ck_assert_int_eq(jint(r, "unit_id"), u);
    ck_assert_str_eq(jstr(r, "unit_code"), code);
    ck_assert_str_eq(jstr(r, "month"), "2026-06");
    ck_assert_str_eq(jstr(r, "service"), "vneid_card");
    ck_assert_str_eq(jstr(r, "target_group"), "elderly");
    ck_assert_int_eq(jint(r, "count"), 12);
    ck_assert_uint_eq(json_object_size(r->json), 8);
    resp_free(r);
    /* The same key (month written compactly) replaces the value. */
    r = post_count(T_SD_REPORTER, code, "202606", "vneid_card", "elderly", "15");
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "id"), id);
    ck_assert_int_eq(jint(r, "count"), 15);
    resp_free(r);
    r = post_count(T_SD_REPORTER, code, "2026-06", "vneid_card", "elderly", "15");
    ASSERT_STATUS(r, 200);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM support_counts WHERE unit_id = $1::bigint", idstr(u)), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM support_counts WHERE unit_id = $1::bigint AND month = '2026-06-01'"
                              " AND count = 15", idstr(u)), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'support_count' AND entity_id = $1", idstr(id)), 2);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'support_count' AND entity_id = $1"
                              " AND action = 'update' AND (before->>'count')::int = 12 AND (after->>'count')::int = 15",
                              idstr(id)), 1);

    r = post_count(T_SD_REPORTER, code, next, "vneid_card", "elderly", "1");
    assert_one_error(r, "month", "must not be in the future");
    resp_free(r);
    r = post_count(T_SD_REPORTER, code, "2026-13", "vneid_card", "elderly", "1");
    assert_one_error(r, "month", "must be a month written YYYY-MM (or YYYYMM)");
    resp_free(r);
    const char *counts[] = {"-1", "1.5", "\"5\"", "2147483648", NULL};
    for (int i = 0; counts[i]; i++) {
        r = post_count(T_SD_REPORTER, code, "2026-06", "vneid_card", "elderly", counts[i]);
        assert_one_error(r, "count", "must be a whole number from 0 to 2147483647");
        resp_free(r);
    }
    r = post_count(T_SD_REPORTER, code, "2026-06", "telepathy", "aliens", "1");
    ck_assert_int_eq(r->status, 422);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "errors")), 2);
    resp_free(r);
    r = post_count(T_SD_REPORTER, "24001", "2026-06", "vneid_card", "elderly", "1");
    assert_one_error(r, "unit_code", "no such unit");
    resp_free(r);
    r = post_count(T_SYT_VIEWER, code, "2026-06", "vneid_card", "elderly", "1");
    ASSERT_STATUS(r, 403);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM support_counts WHERE unit_id = $1::bigint", idstr(u)), 1);

    /* Delete: 204, then 404; another subtree's figure is 404 too. */
    req_opts o = {.token = T_SD_REPORTER};
    r = http_do("DELETE", fmt("/api/v1/support-counts/%lld", id), &o);
    ASSERT_STATUS(r, 204);
    resp_free(r);
    r = http_do("DELETE", fmt("/api/v1/support-counts/%lld", id), &o);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM support_counts WHERE unit_id = $1::bigint", idstr(u)), 0);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'support_count' AND entity_id = $1"
                              " AND action = 'delete'", idstr(id)), 1);
    long long far = db_count("SELECT coalesce(min(s.id), 0) FROM support_counts s JOIN units u ON u.id = s.unit_id"
                             " WHERE u.code = $1", "24001");
    if (far > 0) {
        r = http_do("DELETE", fmt("/api/v1/support-counts/%lld", far), &o);
        ASSERT_STATUS(r, 404);
        resp_free(r);
    }
}
END_TEST

START_TEST(lists_by_period_hold_exactly_its_months)
{
    char code[40];
    long long u = make_unit("commune_station", code, sizeof code);
    const char *months[] = {"2025-12", "2026-01", "2026-02", "2026-03", "2026-04"};
    for (int i = 0; i < 5; i++) {
        resp *r = post_count(T_SD_REPORTER, code, months[i], "online_booking", "poor", "3");
        ASSERT_STATUS(r, 201);
        resp_free(r);
        r = http_send_json("POST", "/api/v1/patients-served", T_SD_REPORTER,
                           fmt("{\"unit_id\":%lld,\"month\":\"%s\",\"count\":%d}", u, months[i], 100 + i));
        ASSERT_STATUS(r, 201);
        ck_assert_str_eq(jstr(r, "month"), months[i]);
        resp_free(r);
    }
    resp *r = http_get(fmt("/api/v1/support-counts?unit_id=%lld&period=2026Q1", u), T_SYT_VIEWER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 3);
    for (int i = 0; i < 3; i++) ck_assert_str_eq(istr(r, (size_t)i, "month"), months[i + 1]);
    resp_free(r);
    r = http_get(fmt("/api/v1/support-counts?unit_id=%lld&period=2026&sort=-month&service=online_booking&target_group=poor", u),
                 T_SD_REPORTER);
    ck_assert_int_eq(jint(r, "total"), 4);
    ck_assert_str_eq(istr(r, 0, "month"), "2026-04");
    resp_free(r);
    r = http_get(fmt("/api/v1/support-counts?unit_id=%lld&period=202602", u), T_SD_REPORTER);
    ck_assert_int_eq(jint(r, "total"), 1);
    resp_free(r);
    r = http_get(fmt("/api/v1/support-counts?unit_id=%lld&target_group=elderly", u), T_SD_REPORTER);
    ck_assert_int_eq(jint(r, "total"), 0);
    resp_free(r);
    r = http_get(fmt("/api/v1/patients-served?unit_id=%lld&period=2026S1", u), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 4);
    ck_assert_str_eq(istr(r, 0, "month"), "2026-01");
    ck_assert_int_eq(json_integer_value(json_object_get(item(r, 0), "count")), 101);
    ck_assert_uint_eq(json_object_size(item(r, 0)), 8); /* people_supported and warnings since issue 11 §4 */
    resp_free(r);
    req_opts o = {.token = T_SD_REPORTER, .headers = {"Accept: text/csv"}};
    r = http_do("GET", fmt("/api/v1/patients-served?unit_id=%lld&period=2025-12", u), &o);
    ASSERT_STATUS(r, 200);
    const char *header = "id,unit_id,unit_code,month,count,people_supported,updated_at\r\n";
    ck_assert_int_eq(strncmp(r->body, header, strlen(header)), 0);
    ck_assert_ptr_nonnull(strstr(r->body, fmt(",%lld,%s,2025-12,100,", u, code)));
    resp_free(r);
    const char *bad[] = {"/api/v1/support-counts?period=2026Q5", "/api/v1/support-counts?period=26",
                         "/api/v1/patients-served?service=emr", "/api/v1/support-counts?sort=count", NULL};
    assert_each_400(T_SD_REPORTER, "", bad);
}
END_TEST

/* ---- bulk loads ---------------------------------------------------------------------------- */

static resp *load(const char *what, const char *query, const char *ct, const char *body, const char *request_id)
{
    char hdr[96];
    snprintf(hdr, sizeof hdr, "X-Request-Id: %s", request_id ? request_id : uniq());
    req_opts o = {.token = T_SD_REPORTER, .content_type = ct, .body = body, .headers = {hdr}};
    return http_do("POST", fmt("/api/v1/%s/import%s", what, query), &o);
}

/* Asserts a 200 ImportResult with these counts and n warnings. */
static void assert_result(const resp *r, long long received, long long created, long long updated, long long unchanged,
                          long long removed, int dry_run, size_t warnings)
{
    ck_assert_msg(r->status == 200, "expected 200, got %ld: %.600s", r->status, r->body ? r->body : "");
    ck_assert_msg(json_object_size(r->json) == 7, "%s", r->body);
    ck_assert_msg(jint(r, "received") == received && jint(r, "created") == created && jint(r, "updated") == updated &&
                      jint(r, "unchanged") == unchanged && jint(r, "removed") == removed,
                  "want %lld/%lld/%lld/%lld/%lld, got %s", received, created, updated, unchanged, removed, r->body);
    ck_assert_int_eq(json_is_true(json_object_get(r->json, "dry_run")), dry_run);
    ck_assert_msg(json_array_size(json_object_get(r->json, "warnings")) == warnings, "want %zu warnings: %s", warnings, r->body);
}

static void assert_warning(const resp *r, size_t i, long row, const char *message)
{
    json_t *w = json_array_get(json_object_get(r->json, "warnings"), i);
    ck_assert_int_eq(json_integer_value(json_object_get(w, "row")), row);
    ck_assert_str_eq(json_string_value(json_object_get(w, "field")), "count");
    ck_assert_str_eq(json_string_value(json_object_get(w, "message")), message);
}

static const char SC_HEADER[] = "unit_code,month,service,target_group,count\n";

START_TEST(support_count_loads_replace_remove_and_warn)
{
    char code[40], rid[64], csv[1024];
    long long u = make_unit("commune_station", code, sizeof code);
    resp *r = http_send_json("POST", "/api/v1/patients-served", T_SD_REPORTER,
                             fmt("{\"unit_code\":\"%s\",\"month\":\"2026-03\",\"count\":100}", code));
    ASSERT_STATUS(r, 201);
    resp_free(r);
    snprintf(csv, sizeof csv, "%s%s,2026-03,online_booking,elderly,60\n%s,2026-03,online_booking,poor,10\n"
             "%s,202603,vneid_card,general,5\n%s,2026-04,vneid_card,general,7\n", SC_HEADER, code, code, code, code);
    r = load("support-counts", "", "text/csv", csv, NULL);
    assert_result(r, 4, 4, 0, 0, 0, 0, 0);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM support_counts WHERE unit_id = $1::bigint", idstr(u)), 4);

    /* Replace March: poor and vneid_card go, April stays; online_booking now tops 100. */
    snprintf(csv, sizeof csv, "%s%s,2026-03,online_booking,elderly,60\n%s,2026-03,online_booking,general,45\n", SC_HEADER,
             code, code);
    r = load("support-counts", "?mode=replace&dry_run=true", "text/csv", csv, NULL);
    assert_result(r, 2, 1, 0, 1, 2, 1, 2);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM support_counts WHERE unit_id = $1::bigint", idstr(u)), 4);
    snprintf(rid, sizeof rid, "fs-replace-%s", uniq());
    r = load("support-counts", "?mode=replace", "text/csv", csv, rid);
    assert_result(r, 2, 1, 0, 1, 2, 0, 2);
    const char *msg = fmt("105 people supported with online_booking in 2026-03 (all target groups) are more than the 100"
                          " patients served by %s that month", code);
    assert_warning(r, 0, 2, msg);
    assert_warning(r, 1, 3, msg);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM support_counts WHERE unit_id = $1::bigint", idstr(u)), 3);
    ck_assert_int_eq(db_count("SELECT count(*) FROM support_counts WHERE unit_id = $1::bigint AND month = '2026-03-01'"
                              " AND service = 'online_booking' AND target_group IN ('elderly', 'general')", idstr(u)), 2);
    ck_assert_int_eq(db_count("SELECT count(*) FROM support_counts WHERE unit_id = $1::bigint AND month = '2026-04-01'"
                              " AND service = 'vneid_card' AND count = 7", idstr(u)), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE action = 'import' AND entity = 'support_count'"
                              " AND client_request_id = $1 AND (after->>'removed')::int = 2 AND (after->>'warnings')::int = 2"
                              " AND jsonb_array_length(after->'removed_keys') = 2", rid), 1);
    /* The same file merged again: unchanged, nothing removed, still warned. */
    r = load("support-counts", "?mode=merge", "text/csv", csv, NULL);
    assert_result(r, 2, 0, 0, 2, 0, 0, 2);
    resp_free(r);

    /* JSON rows, numbers as months and counts; the warning goes once the total is lower. */
    r = load("support-counts", "?mode=replace", "application/json",
             fmt("[{\"unit_code\":\"%s\",\"month\":202603,\"service\":\"online_booking\",\"target_group\":\"elderly\",\"count\":50},"
                 "{\"unit_code\":\"%s\",\"month\":\"2026-03\",\"service\":\"online_booking\",\"target_group\":\"general\",\"count\":45}]",
                 code, code),
             NULL);
    assert_result(r, 2, 0, 1, 1, 0, 0, 0);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT sum(count) FROM support_counts WHERE unit_id = $1::bigint AND month = '2026-03-01'", idstr(u)),
                     95);
}
END_TEST

START_TEST(bad_support_count_rows_are_all_named)
{
    char code[40], today[11], next[16], csv[1024];
    today_and_next_month(today, next);
    long long u = make_unit("commune_station", code, sizeof code);
    snprintf(csv, sizeof csv,
             "%s24001,2026-03,vneid_card,general,1\n"  /* 2: outside scope */
             "%s,%s,vneid_card,general,1\n"            /* 3: future month */
             "%s,2026-3,vneid_card,general,-1\n"       /* 4: bad month and count */
             "%s,2026-03,telepathy,aliens,1\n"         /* 5: unknown codes */
             "%s,2026-03,vneid_card,poor,2\n"          /* 6: fine */
             "%s,202603,vneid_card,poor,3\n",          /* 7: repeats row 6 */
             SC_HEADER, code, next, code, code, code, code);
    resp *r = load("support-counts", "", "text/csv", csv, NULL);
    ASSERT_STATUS(r, 422);
    json_t *errs = json_object_get(r->json, "errors");
    const struct { int row; const char *field, *message; } want[] = {
        {2, "unit_code", "unit 24001 is unknown or not one of your units"},
        {3, "month", "must not be in the future"},
        {4, "month", "\"2026-3\" is not a month written YYYY-MM (or YYYYMM)"},
        {4, "count", "\"-1\" is not a whole number from 0 to 2147483647"},
        {5, "service", "\"telepathy\" is not an active support service code (see /api/v1/support-services)"},
        {5, "target_group", "\"aliens\" is not an active target group code (see /api/v1/target-groups)"},
        {7, "target_group", "this unit, month, service and target group appear more than once (first at row 6)"}};
    ck_assert_msg(json_array_size(errs) == 7, "%s", r->body);
    for (size_t i = 0; i < 7; i++) {
        json_t *e = json_array_get(errs, i);
        ck_assert_int_eq(json_integer_value(json_object_get(e, "row")), want[i].row);
        ck_assert_str_eq(json_string_value(json_object_get(e, "field")), want[i].field);
        ck_assert_msg(message_is(json_string_value(json_object_get(e, "message")), want[i].message), "%s", r->body);
    }
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM support_counts WHERE unit_id = $1::bigint", idstr(u)), 0);
    /* mode is for these loads only, and takes merge or replace. */
    r = load("support-counts", "?mode=overwrite", "text/csv", SC_HEADER, NULL);
    ASSERT_STATUS(r, 400);
    resp_free(r);
    const char *others[] = {"staff", "completions", "attestations"};
    for (int i = 0; i < 3; i++) {
        r = load(others[i], "?mode=replace", "text/csv", "code\n", NULL);
        ck_assert_msg(r->status == 400, "%s gave %ld", others[i], r->status);
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r->json, "errors"), 0), "field")),
                         "mode");
        resp_free(r);
    }
    r = post_csv("/api/v1/support-counts/import", T_SYT_VIEWER, SC_HEADER);
    ASSERT_STATUS(r, 403);
    resp_free(r);
}
END_TEST

START_TEST(patients_served_loads_merge_and_warn_when_below_support)
{
    char code[40], csv[512];
    long long u = make_unit("commune_station", code, sizeof code);
    resp *r = post_count(T_SD_REPORTER, code, "2026-05", "cashless_payment", "elderly", "80");
    ASSERT_STATUS(r, 201);
    resp_free(r);
    r = post_count(T_SD_REPORTER, code, "2026-05", "cashless_payment", "general", "40");
    ASSERT_STATUS(r, 201);
    resp_free(r);
    snprintf(csv, sizeof csv, "unit_code,month,count\r\n%s,2026-05,100\r\n%s,2026-06,300\r\n", code, code);
    r = load("patients-served", "?dry_run=true", "text/csv", csv, NULL);
    assert_result(r, 2, 2, 0, 0, 0, 1, 1);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM patients_served WHERE unit_id = $1::bigint", idstr(u)), 0);
    r = load("patients-served", "?mode=replace", "text/csv", csv, NULL);
    assert_result(r, 2, 2, 0, 0, 0, 0, 1);
    assert_warning(r, 0, 2, "is less than the 120 people supported with cashless_payment in 2026-05 (all target groups)");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM patients_served WHERE unit_id = $1::bigint AND month = '2026-05-01'"
                              " AND count = 100", idstr(u)), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM patients_served WHERE unit_id = $1::bigint AND month = '2026-06-01'"
                              " AND count = 300", idstr(u)), 1);
    r = load("patients-served", "", "application/json",
             fmt("[{\"unit_code\":\"%s\",\"month\":\"202605\",\"count\":150},{\"unit_code\":\"%s\",\"month\":\"2026-06\",\"count\":300}]",
                 code, code),
             NULL);
    assert_result(r, 2, 0, 1, 1, 0, 0, 0);
    resp_free(r);
    r = load("patients-served", "", "text/csv", fmt("unit_code,month,count\n%s,2026-05,1\n%s,202605,2\n", code, code), NULL);
    ASSERT_STATUS(r, 422);
    json_t *e = json_array_get(json_object_get(r->json, "errors"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(e, "row")), 3);
    ck_assert_str_eq(json_string_value(json_object_get(e, "message")), "this unit and month appear more than once (first at row 2)");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM patients_served WHERE unit_id = $1::bigint AND month = '2026-05-01'"
                              " AND count = 150", idstr(u)), 1);
}
END_TEST

Suite *facilities_suite(void)
{
    Suite *s = suite_create("facilities");
    TCase *t = tcase_create("facilities");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, put_service_creates_201_then_200_and_keeps_every_change);
    tcase_add_test(t, put_service_refuses_bad_states_with_422);
    tcase_add_test(t, services_outside_scope_are_404_and_readers_403);
    tcase_add_test(t, as_of_answers_from_the_history);
    tcase_add_test(t, facility_service_lists_filter_sort_and_give_csv);
    tcase_add_test(t, support_count_upsert_is_201_then_200_and_validated);
    tcase_add_test(t, lists_by_period_hold_exactly_its_months);
    tcase_add_test(t, support_count_loads_replace_remove_and_warn);
    tcase_add_test(t, bad_support_count_rows_are_all_named);
    tcase_add_test(t, patients_served_loads_merge_and_warn_when_below_support);
    suite_add_tcase(s, t);
    return s;
}
