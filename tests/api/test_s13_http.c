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
 *    merge would: loading the same rows again through it finds every one unchanged;
 *  - one keep-alive connection carries requests of every kind one after the other (a long target,
 *    a body, a 304, a 401): each starts from a clean request state, the one the connection kept
 *    from its last request (poisoned under AddressSanitizer while kept). */
#include "client.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

START_TEST(every_units_answer_is_unit_json_text)
{
    /* The object written out as migration 0031 had it, independent of unit_fields_json. */
    PGresult *r = PQexec(test_db(),
                         "SELECT u.id, json_build_object('id', u.id, 'code', u.code, 'name', u.name, 'type', u.type,"
                         " 'parent_id', u.parent_id, 'parent_code', p.code, 'depth', nlevel(u.path) - 1,"
                         " 'active', u.active, 'opened_on', u.opened_on, 'closed_on', u.closed_on,"
                         " 'dhis2_id', u.dhis2_id, 'created_at', rfc3339(u.created_at),"
                         " 'updated_at', rfc3339(u.updated_at))::text, unit_json(u)::text"
                         " FROM units u LEFT JOIN units p ON p.id = u.parent_id ORDER BY u.id");
    ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    ck_assert_int_gt(PQntuples(r), 20);
    for (int i = 0; i < PQntuples(r); i++) {
        char path[64];
        snprintf(path, sizeof path, "/api/v1/units/%s", PQgetvalue(r, i, 0));
        resp *a = http_get(path, T_ADMIN);
        ck_assert_int_eq(a->status, 200);
        ck_assert_msg(a->len == strlen(PQgetvalue(r, i, 1)) && memcmp(a->body, PQgetvalue(r, i, 1), a->len) == 0,
                      "%s answered %s, the shape gives %s", path, a->body, PQgetvalue(r, i, 1));
        ck_assert_str_eq(PQgetvalue(r, i, 2), PQgetvalue(r, i, 1)); /* unit_json for every other caller */
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
    ck_assert_int_eq((int)json_array_size(json_object_get(a->json, "errors")), 1);
    ck_assert_int_eq(count_errors(a, "colour", "is not a parameter of this request"), 1);
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
    ck_assert_str_eq(resp_header(a, "Access-Control-Allow-Methods", v, sizeof v), "GET, POST, OPTIONS");
    ck_assert_str_eq(resp_header(a, "Access-Control-Allow-Headers", v, sizeof v),
                     "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key, X-Request-Id");
    ck_assert_str_eq(resp_header(a, "Access-Control-Max-Age", v, sizeof v), "600");
    ck_assert_str_eq(resp_header(a, "Access-Control-Expose-Headers", v, sizeof v),
                     "X-Request-Id, ETag, Location, Retry-After, WWW-Authenticate, Content-Disposition");
    ck_assert_str_eq(resp_header(a, "Allow", v, sizeof v), "GET, POST, OPTIONS");
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
    db_value("SELECT coalesce(vneid_confirmed_on::text, '-') || '|' || coalesce(vneid_source, '-') || '|' || unit_id"
             " || '|' || job_group FROM staff WHERE code = $1", fmt("S13C-%s", u), v, sizeof v);
    ck_assert_str_eq(v, fmt("-|-|%lld|midwife", unit_id("TTYT-SD")));

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

/* Sends one request on fd and reads exactly its answer into out (raw_answer). Returns the status,
 * or -1. *body points into out. */
static int keepalive_exchange(int fd, const char *request, char *out, size_t cap, const char **body)
{
    if (send_all(fd, request, strlen(request)) != 0) return -1;
    int st = raw_answer(fd, out, cap, body, 20000);
    return st > 0 ? st : -1;
}

/* The value of header name in the answer's head at out, copied into buf (client.c's resp_header
 * over the head). */
static const char *head_value(const char *out, const char *name, char *buf, size_t len)
{
    static resp h;
    const char *end = strstr(out, "\r\n\r\n");
    size_t n = end != NULL ? (size_t)(end - out) + 2 : strlen(out);
    if (n >= sizeof h.headers) n = sizeof h.headers - 1;
    memcpy(h.headers, out, n);
    h.headers[n] = '\0';
    return resp_header(&h, name, buf, len);
}

START_TEST(one_connection_carries_requests_of_every_kind)
{
    int fd = raw_connect(NULL, test_api_port(), 0);
    ck_assert_int_ge(fd, 0);
    long long id = unit_id("SYT-BN");
    static char out[65536];
    char req[2048], etag[64], rid[5][64], q40[400] = "";
    for (int i = 0; i < 40; i++) strcat(q40, "%E1%BB%87");
    const char *body = NULL;
    /* 1: a target past the 256 bytes a state keeps in place */
    snprintf(req, sizeof req, "GET /api/v1/units?q=%s&limit=5 HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n\r\n",
             q40, T_ADMIN);
    ck_assert_int_eq(keepalive_exchange(fd, req, out, sizeof out, &body), 200);
    json_t *j = json_loads(body, 0, NULL);
    ck_assert_int_eq((int)json_array_size(json_object_get(j, "items")), 0);
    json_decref(j);
    ck_assert_ptr_nonnull(head_value(out, "X-Request-Id", rid[0], sizeof rid[0]));
    /* 2: a short one, the single-row read */
    snprintf(req, sizeof req, "GET /api/v1/units/%lld HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n\r\n", id,
             T_ADMIN);
    ck_assert_int_eq(keepalive_exchange(fd, req, out, sizeof out, &body), 200);
    char want[1024];
    db_value("SELECT unit_json(u)::text FROM units u WHERE code = 'SYT-BN' AND $1::text IS NOT NULL", "x", want,
             sizeof want);
    ck_assert_str_eq(body, want);
    ck_assert_ptr_nonnull(head_value(out, "ETag", etag, sizeof etag));
    ck_assert_ptr_nonnull(head_value(out, "X-Request-Id", rid[1], sizeof rid[1]));
    /* 3: a body, refused by its content (nothing written) */
    const char *json = "{\"code\": \"\"}";
    snprintf(req, sizeof req,
             "POST /api/v1/units HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             T_ADMIN, strlen(json), json);
    ck_assert_int_eq(keepalive_exchange(fd, req, out, sizeof out, &body), 422);
    j = json_loads(body, 0, NULL);
    ck_assert_int_eq((int)json_integer_value(json_object_get(j, "status")), 422);
    json_t *want_errors = json_loads("[{\"field\":\"code\",\"message\":\"must not be empty\"},"
                                     "{\"field\":\"name\",\"message\":\"is required\"},"
                                     "{\"field\":\"type\",\"message\":\"is required\"}]",
                                     0, NULL);
    ck_assert(json_equal(json_object_get(j, "errors"), want_errors));
    json_decref(want_errors);
    json_decref(j);
    ck_assert_ptr_nonnull(head_value(out, "X-Request-Id", rid[2], sizeof rid[2]));
    /* 4: the read again with its tag: 304 and no body */
    snprintf(req, sizeof req,
             "GET /api/v1/units/%lld HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\nIf-None-Match: %s\r\n\r\n", id,
             T_ADMIN, etag);
    ck_assert_int_eq(keepalive_exchange(fd, req, out, sizeof out, &body), 304);
    ck_assert_str_eq(body, "");
    char v[64];
    ck_assert_ptr_null(head_value(out, "Content-Type", v, sizeof v));
    ck_assert_ptr_nonnull(head_value(out, "X-Request-Id", rid[3], sizeof rid[3]));
    /* 5: no token: 401, and the caller of the requests before is not remembered */
    snprintf(req, sizeof req, "GET /api/v1/units/%lld HTTP/1.1\r\nHost: t\r\n\r\n", id);
    ck_assert_int_eq(keepalive_exchange(fd, req, out, sizeof out, &body), 401);
    ck_assert_str_eq(head_value(out, "WWW-Authenticate", v, sizeof v), "Bearer realm=\"bdhvs\"");
    ck_assert_ptr_nonnull(head_value(out, "X-Request-Id", rid[4], sizeof rid[4]));
    for (int i = 0; i < 5; i++)
        for (int k = i + 1; k < 5; k++) ck_assert_str_ne(rid[i], rid[k]);
    close(fd);
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
    tcase_add_test(t, one_connection_carries_requests_of_every_kind);
    tcase_set_timeout(t, 120);
    suite_add_tcase(s, t);
    return s;
}
