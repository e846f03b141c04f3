/* Issue 14 goal 1, session 13: the server's request path without ulfius' maps (src/http/message.c)
 * and the single-row read shaped from the unit's columns (migration 0047). What a client sees
 * must not change; proved here through the real server:
 *  - GET /api/v1/units/{id} answers, for every unit, exactly the text unit_json gives;
 *  - a request target longer than the server keeps in place (256 bytes) is read whole: its query
 *    is parsed to the end;
 *  - a header sent twice is read with its first value (Authorization, both orders);
 *  - an answer with many headers (a CORS preflight) keeps every one, and a 304 drops the body's
 *    headers but keeps the entity tag;
 *  - a staff load none of whose codes is stored (import_spec.merge_new) stores what the comparing
 *    merge would: loading the same rows again through it finds every one unchanged. */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(every_units_answer_is_unit_json_text)
{
    PGresult *r = PQexec(test_db(), "SELECT u.id, unit_json(u)::text FROM units u ORDER BY u.id");
    ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    ck_assert_int_gt(PQntuples(r), 20);
    for (int i = 0; i < PQntuples(r); i++) {
        char path[64];
        snprintf(path, sizeof path, "/api/v1/units/%s", PQgetvalue(r, i, 0));
        resp *a = http_get(path, T_ADMIN);
        ck_assert_int_eq(a->status, 200);
        ck_assert_msg(a->len == strlen(PQgetvalue(r, i, 1)) && memcmp(a->body, PQgetvalue(r, i, 1), a->len) == 0,
                      "%s answered %s, unit_json gives %s", path, a->body, PQgetvalue(r, i, 1));
        char etag[64];
        ck_assert(is_etag(resp_header(a, "ETag", etag, sizeof etag)));
        resp_free(a);
    }
    PQclear(r);
}
END_TEST

START_TEST(a_long_request_target_is_read_to_its_end)
{
    /* q is at most 100 characters: 40 of them, each three bytes written as %XX, make a target of
     * over 360 bytes that the route accepts; 101 of them one it refuses by its decoded length. */
    char q40[400] = "", q101[1000] = "";
    for (int i = 0; i < 40; i++) strcat(q40, "%E1%BB%87");
    for (int i = 0; i < 101; i++) strcat(q101, "%E1%BB%87");
    char path[1100];
    snprintf(path, sizeof path, "/api/v1/units?q=%s&limit=5", q40);
    ck_assert_int_gt((int)strlen(path), 256);
    resp *a = http_get(path, T_ADMIN);
    ck_assert_int_eq(a->status, 200);
    ck_assert_int_eq((int)json_array_size(json_object_get(a->json, "items")), 0);
    resp_free(a);
    snprintf(path, sizeof path, "/api/v1/units?q=%s&limit=5&colour=red", q40);
    a = http_get(path, T_ADMIN);
    ck_assert_int_eq(a->status, 400);
    ck_assert_ptr_nonnull(strstr(a->body, "colour"));
    resp_free(a);
    snprintf(path, sizeof path, "/api/v1/units?limit=5&q=%s", q101);
    a = http_get(path, T_ADMIN);
    ck_assert_int_eq(a->status, 400);
    ck_assert_int_eq(count_errors(a, "q", "must be 1 to 100 characters"), 1);
    resp_free(a);
}
END_TEST

START_TEST(a_header_sent_twice_is_read_with_its_first_value)
{
    char good[1200], bad[64];
    snprintf(good, sizeof good, "Authorization: Bearer %s", T_ADMIN);
    snprintf(bad, sizeof bad, "Authorization: Bearer not.a.token");
    long long id = unit_id("SYT-BN");
    char path[64];
    snprintf(path, sizeof path, "/api/v1/units/%lld", id);
    req_opts o = {.headers = {good, bad, NULL}};
    resp *a = http_do("GET", path, &o);
    ck_assert_int_eq(a->status, 200);
    resp_free(a);
    req_opts p = {.headers = {bad, good, NULL}};
    a = http_do("GET", path, &p);
    ck_assert_int_eq(a->status, 401);
    resp_free(a);
}
END_TEST

START_TEST(many_headers_stay_and_a_304_keeps_only_what_it_may)
{
    req_opts o = {.headers = {"Origin: http://localhost:5173", "Access-Control-Request-Method: GET", NULL}};
    resp *a = http_do("OPTIONS", "/api/v1/units", &o);
    ck_assert_int_eq(a->status, 204);
    char v[256];
    ck_assert_str_eq(resp_header(a, "Access-Control-Allow-Origin", v, sizeof v), "http://localhost:5173");
    ck_assert_ptr_nonnull(resp_header(a, "Access-Control-Allow-Methods", v, sizeof v));
    ck_assert_ptr_nonnull(strstr(v, "GET"));
    ck_assert_ptr_nonnull(resp_header(a, "Access-Control-Allow-Headers", v, sizeof v));
    ck_assert_ptr_nonnull(strstr(v, "Idempotency-Key"));
    ck_assert_str_eq(resp_header(a, "Access-Control-Max-Age", v, sizeof v), "600");
    ck_assert_ptr_nonnull(resp_header(a, "Access-Control-Expose-Headers", v, sizeof v));
    ck_assert_ptr_nonnull(resp_header(a, "Allow", v, sizeof v));
    ck_assert_str_eq(resp_header(a, "Vary", v, sizeof v), "Origin");
    ck_assert_int_eq((int)strlen(resp_header(a, "X-Request-Id", v, sizeof v)), 32);
    resp_free(a);

    long long id = unit_id("SYT-BN");
    char path[64], etag[64], inm[96];
    snprintf(path, sizeof path, "/api/v1/units/%lld", id);
    a = http_get(path, T_ADMIN);
    ck_assert_int_eq(a->status, 200);
    ck_assert_ptr_nonnull(resp_header(a, "ETag", etag, sizeof etag));
    ck_assert_str_eq(resp_header(a, "Content-Type", v, sizeof v), "application/json; charset=utf-8");
    resp_free(a);
    snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
    req_opts c = {.token = T_ADMIN, .headers = {inm, NULL}};
    a = http_do("GET", path, &c);
    ck_assert_int_eq(a->status, 304);
    ck_assert_uint_eq(a->len, 0);
    ck_assert_str_eq(resp_header(a, "ETag", v, sizeof v), etag);
    ck_assert_str_eq(resp_header(a, "Cache-Control", v, sizeof v), "private, no-cache");
    ck_assert_ptr_null(resp_header(a, "Content-Type", v, sizeof v));
    resp_free(a);
}
END_TEST

static resp *load_staff(const char *csv)
{
    req_opts o = {.token = T_ADMIN, .content_type = "text/csv", .body = csv};
    return http_do("POST", "/api/v1/staff/import", &o);
}

START_TEST(a_load_of_new_codes_stores_what_the_comparing_merge_would)
{
    const char *u = uniq();
    char rows[1024], csv[1400];
    /* The first name is decomposed (NFD): stored in NFC. No party_member column: false. */
    snprintf(rows, sizeof rows,
             "S13A-%s,Nguye\xcc\x82\xcc\x83n Va\xcc\x86n An,TTYT-SD,doctor,civil_servant,2020-01-02,\r\n"
             "S13B-%s,Trần Thị Bình,TTYT-SD,nurse,contract,2021-03-04,2025-06-30\r\n"
             "S13C-%s,Lê Văn Cường,TTYT-SD,midwife,public_employee,2019-05-06,\r\n",
             u, u, u);
    snprintf(csv, sizeof csv, "code,full_name,unit_code,job_group,employment,joined_on,left_on\r\n%s", rows);
    resp *r = load_staff(csv);
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert_int_eq(jint(r, "created"), 3);
    ck_assert_int_eq(jint(r, "updated"), 0);
    ck_assert_int_eq(jint(r, "unchanged"), 0);
    resp_free(r);
    char v[256];
    db_value("SELECT full_name || '|' || party_member || '|' || coalesce(left_on::text, '-') || '|' || joined_on"
             " FROM staff WHERE code = $1", fmt("S13A-%s", u), v, sizeof v);
    ck_assert_str_eq(v, "Nguyễn Văn An|false|-|2020-01-02");
    db_value("SELECT full_name || '|' || party_member || '|' || coalesce(left_on::text, '-') || '|' || employment"
             " FROM staff WHERE code = $1", fmt("S13B-%s", u), v, sizeof v);
    ck_assert_str_eq(v, "Trần Thị Bình|false|2025-06-30|contract");

    /* The same rows and one more: codes are stored now, so the comparing merge runs. */
    snprintf(csv, sizeof csv,
             "code,full_name,unit_code,job_group,employment,joined_on,left_on\r\n%s"
             "S13D-%s,Phạm Minh Hà,TTYT-SD,technician,contract,2022-07-08,\r\n",
             rows, u);
    r = load_staff(csv);
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert_int_eq(jint(r, "created"), 1);
    ck_assert_int_eq(jint(r, "updated"), 0);
    ck_assert_int_eq(jint(r, "unchanged"), 3);
    resp_free(r);
}
END_TEST

Suite *s13_http_suite(void)
{
    Suite *s = suite_create("s13_http");
    TCase *t = tcase_create("s13_http");
    tcase_add_test(t, every_units_answer_is_unit_json_text);
    tcase_add_test(t, a_long_request_target_is_read_to_its_end);
    tcase_add_test(t, a_header_sent_twice_is_read_with_its_first_value);
    tcase_add_test(t, many_headers_stay_and_a_304_keeps_only_what_it_may);
    tcase_add_test(t, a_load_of_new_codes_stores_what_the_comparing_merge_would);
    suite_add_tcase(s, t);
    return s;
}
