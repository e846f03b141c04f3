/* Issue 8, items 11-13: text cut for a message stays valid UTF-8 and an error that cannot be
 * written still refuses the request; report values are bounded; every route refuses a query
 * parameter it does not declare (writes included); timestamps and dates out of range are a 400
 * from the parser, never a 422 or 500 from the database. */
#include "client.h"
#include "bdhvs/api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* s repeated n times (malloc'd). */
static char *repeat(const char *s, size_t n)
{
    size_t l = strlen(s);
    char *out = malloc(l * n + 1);
    for (size_t i = 0; i < n; i++) memcpy(out + i * l, s, l);
    out[l * n] = '\0';
    return out;
}

/* %XX for every byte but unreserved ASCII (malloc'd). */
static char *pct(const char *s)
{
    char *out = malloc(strlen(s) * 3 + 1), *w = out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_') *w++ = (char)*p;
        else w += sprintf(w, "%%%02X", *p);
    }
    *w = '\0';
    return out;
}

/* The answer is a problem document with this status (its body valid JSON, never "{}"). */
static void assert_problem(const resp *r, long status, const char *what)
{
    ck_assert_msg(r->status == status, "%s: expected %ld, got %ld: %.300s", what, status, r->status, r->body ? r->body : "");
    char ct[128];
    ck_assert_msg(resp_header(r, "Content-Type", ct, sizeof ct) && strcmp(ct, "application/problem+json") == 0,
                  "%s: Content-Type %s", what, ct);
    ck_assert_msg(r->json != NULL, "%s: the body is not JSON: %.300s", what, r->body ? r->body : "");
    ck_assert_msg(jint(r, "status") == status && jstr(r, "type") != NULL && jstr(r, "detail") != NULL,
                  "%s: not a full problem document: %.300s", what, r->body);
}

/* The field of the problem's only error. */
static const char *only_error_field(const resp *r)
{
    json_t *errs = json_object_get(r->json, "errors");
    ck_assert_msg(json_array_size(errs) == 1, "expected one error: %.400s", r->body);
    return json_string_value(json_object_get(json_array_get(errs, 0), "field"));
}

/* A fresh unit of type other under TTYT-SD, made by the admin. */
static long long fresh_unit(void)
{
    const char *code = fmt("H8V-%s", uniq());
    return created_id(http_send_json("POST", "/api/v1/units", T_ADMIN,
                                     fmt("{\"code\":\"%s\",\"name\":\"Đơn vị kiểm thử %s\",\"type\":\"other\","
                                        "\"parent_code\":\"TTYT-SD\",\"opened_on\":\"2025-01-01\"}", code, code)));
}

static long long reports_of(long long unit)
{
    return db_count("SELECT count(*) FROM reports WHERE unit_id = $1::bigint", fmt("%lld", unit));
}

/* ---- item 11: text cut on a character boundary, errors never dropped ---- */

/* The attack of the issue: an unknown field named with 100 "ễ" (300 bytes); the old code cut
 * its name at 80 bytes, mid-character, lost the error and stored the value. */
START_TEST(report_unknown_field_with_long_non_ascii_name_is_refused)
{
    long long unit = fresh_unit();
    char *name = repeat("ễ", 100);
    char *junk = repeat("x", 20000);
    char *body = malloc(strlen(name) + strlen(junk) + 64);
    sprintf(body, "{\"values\":{\"%s\":{\"junk\":\"%s\"}}}", name, junk);
    for (int i = 0; i < 2; i++) { /* again on a second PUT */
        resp *r = http_send_json("PUT", fmt("/api/v1/reports/%lld/2026-01", unit), T_SD_REPORTER, body);
        assert_problem(r, 422, "unknown report field");
        /* "values." and 26 whole characters (78 bytes): the 27th would pass 80 bytes. */
        char *want = repeat("ễ", 26);
        ck_assert_str_eq(only_error_field(r), fmt("values.%s", want));
        free(want);
        resp_free(r);
    }
    ck_assert_int_eq(reports_of(unit), 0);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'report' AND after->>'unit_id' = $1",
                              fmt("%lld", unit)), 0);
    free(body);
    free(junk);
    free(name);
}
END_TEST

/* A long non-ASCII parameter given twice: the old answer was a 400 with the body "{}". */
START_TEST(repeated_long_non_ascii_query_parameter_gets_a_full_problem)
{
    char *name = malloc(400);
    char *tail = repeat("ễ", 100);
    sprintf(name, "a%s", tail); /* 1 + 300 bytes: 60 bytes end inside a character */
    char *enc = pct(name);
    resp *r = http_get(fmt("/api/v1/units?%s=1&%s=2", enc, enc), T_ADMIN);
    assert_problem(r, 400, "repeated parameter");
    char *cut = repeat("ễ", 19); /* 1 + 57 bytes */
    ck_assert_str_eq(jstr(r, "detail"), fmt("The query parameter \"a%s\" is given more than once.", cut));
    resp_free(r);
    /* The same name once, unknown: named in full (cut to whole characters) in errors. */
    r = http_get(fmt("/api/v1/units?%s=1", enc), T_ADMIN);
    assert_problem(r, 400, "unknown non-ASCII parameter");
    const char *field = only_error_field(r);
    ck_assert_msg(field != NULL && strncmp(field, "a", 1) == 0 && strlen(field) <= 120 && strlen(field) % 3 == 1,
                  "field %s", field);
    resp_free(r);
    free(cut);
    free(enc);
    free(tail);
    free(name);
}
END_TEST

/* A login name of 100 "ễ": the throttle key cut it mid-character and the database refused it
 * (422 "breaks a rule of the database") instead of the 401 of a wrong password. */
START_TEST(long_non_ascii_username_is_a_wrong_sign_in)
{
    /* A fresh name each run (the throttle counts failures per name), whose byte 127 falls
     * inside a character: an ASCII prefix of L bytes with (127 - L) % 3 == 1, then "ễ" up to
     * the 100 characters a name may have. */
    char prefix[64];
    snprintf(prefix, sizeof prefix, "h8%s", uniq());
    while ((127 - strlen(prefix)) % 3 != 1) strcat(prefix, "x");
    char *tail = repeat("ễ", 100 - strlen(prefix));
    resp *r = http_send_json("POST", "/api/v1/auth/login", NULL,
                             fmt("{\"username\":\"%s%s\",\"password\":\"not-the-password\"}", prefix, tail));
    assert_problem(r, 401, "long non-ASCII username");
    resp_free(r);
    free(tail);
}
END_TEST

/* values are bounded in total: 1 MiB as compact JSON once merged with what is stored. */
START_TEST(report_values_have_a_total_size_limit)
{
    long long unit = fresh_unit();
    const char *path = fmt("/api/v1/reports/%lld/2026-02", unit);
    /* 200 documents with a summary of 1600 "ễ": about 970 KB, each field within its own limits. */
    char *summary = repeat("ễ", 1600);
    size_t cap = 200 * (strlen(summary) + 64) + 64, n = 0;
    char *body = malloc(cap);
    n += (size_t)sprintf(body + n, "{\"values\":{\"s1_documents\":[");
    for (int i = 0; i < 200; i++)
        n += (size_t)sprintf(body + n, "%s{\"title\":\"Văn bản %d\",\"summary\":\"%s\"}", i ? "," : "", i, summary);
    sprintf(body + n, "]}}");
    resp *r = http_send_json("PUT", path, T_SD_REPORTER, body);
    ASSERT_STATUS(r, 201);
    resp_free(r);
    /* Two texts more still fit ... */
    char *text = repeat("ễ", 5000);
    char *two = malloc(2 * strlen(text) + 64);
    sprintf(two, "{\"values\":{\"s2_summary\":\"%.*s\",\"s3_summary\":\"%.*s\"}}", 9000, text, 9000, text);
    r = http_send_json("PUT", path, T_SD_REPORTER, two);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    free(two);
    /* ... eight of 5000 characters more do not, though each is valid: nothing is written. */
    static const char *const more[] = {"s3_difficulties", "s4_local_programme", "s4_materials", "s4_results",
                                       "s5_staff_results", "s5_people_results", "s6_results", "s6_difficulties"};
    char *big = malloc(8 * (strlen(text) + 64) + 64);
    n = (size_t)sprintf(big, "{\"values\":{");
    for (int i = 0; i < 8; i++) n += (size_t)sprintf(big + n, "%s\"%s\":\"%s\"", i ? "," : "", more[i], text);
    sprintf(big + n, "}}");
    r = http_send_json("PUT", path, T_SD_REPORTER, big);
    assert_problem(r, 422, "values over 1 MiB");
    ck_assert_str_eq(only_error_field(r), "values");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM reports WHERE unit_id = $1::bigint AND \"values\" ? 's6_results'",
                              fmt("%lld", unit)), 0);
    /* Clearing a field makes room again. */
    r = http_send_json("PUT", path, T_SD_REPORTER, "{\"values\":{\"s1_documents\":null}}");
    ASSERT_STATUS(r, 200);
    resp_free(r);
    r = http_send_json("PUT", path, T_SD_REPORTER, big);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    free(big);
    free(text);
    free(body);
    free(summary);
}
END_TEST

/* ---- item 12: no route takes a query parameter it does not declare ---- */

static resp *route_request(const http_route *rt, const char *query)
{
    char path[256];
    route_concrete_path(rt->path, path, sizeof path);
    int body = strcmp(rt->method, "GET") && strcmp(rt->method, "DELETE");
    req_opts o = {.token = rt->least == ROLE_NONE ? NULL : T_ADMIN, .body = body ? "{}" : NULL};
    return http_do(rt->method, fmt("%s?%s", path, query), &o);
}

START_TEST(every_route_refuses_an_unknown_query_parameter)
{
    for (int i = 0; i < api_nroutes; i++) {
        const http_route *rt = &api_routes[i];
        resp *r = route_request(rt, "h8_not_a_parameter=1");
        assert_problem(r, 400, fmt("%s %s?h8_not_a_parameter=1", rt->method, rt->path));
        ck_assert_str_eq(only_error_field(r), "h8_not_a_parameter");
        resp_free(r);
    }
}
END_TEST

START_TEST(every_route_refuses_a_repeated_query_parameter)
{
    int declared = 0;
    for (int i = 0; i < api_nroutes; i++) {
        const http_route *rt = &api_routes[i];
        const char *key = rt->query ? rt->query[0] : "h8_twice";
        declared += rt->query != NULL;
        resp *r = route_request(rt, fmt("%s=1&%s=1", key, key));
        assert_problem(r, 400, fmt("%s %s with %s twice", rt->method, rt->path, key));
        ck_assert_str_eq(jstr(r, "detail"), fmt("The query parameter \"%s\" is given more than once.", key));
        resp_free(r);
    }
    ck_assert_int_gt(declared, 25);
}
END_TEST

/* The write of the issue: ?unit_id= on a target overwrote the province-wide target. */
START_TEST(target_put_with_unit_id_is_refused_and_the_province_target_stays)
{
    const char *sql = "SELECT target::text || '|' || strict || '|' || coalesce(note, '') || '|' || updated_at::text"
                      " FROM indicator_targets WHERE indicator = 'CT2' AND year = $1::int";
    PGresult *before = PQexecParams(test_db(), sql, 1, NULL, (const char *[]){"2026"}, NULL, NULL, 0);
    ck_assert_int_eq(PQntuples(before), 1);
    long long audits = db_count("SELECT count(*) FROM audit_log WHERE entity = $1", "indicator_target");
    resp *r = http_send_json("PUT", fmt("/api/v1/indicators/CT2/targets/2026?unit_id=%lld", unit_id("TTYT-SD")), T_ADMIN,
                             "{\"target\":12.5,\"note\":\"chỉ cho TTYT Sơn Động\"}");
    assert_problem(r, 400, "target with unit_id");
    ck_assert_str_eq(only_error_field(r), "unit_id");
    resp_free(r);
    PGresult *after = PQexecParams(test_db(), sql, 1, NULL, (const char *[]){"2026"}, NULL, NULL, 0);
    ck_assert_str_eq(PQgetvalue(after, 0, 0), PQgetvalue(before, 0, 0));
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = $1", "indicator_target"), audits);
    PQclear(after);
    PQclear(before);
}
END_TEST

/* ---- item 13: times and dates out of range are the parser's 400 ---- */

static const char *const BAD_TIMESTAMPS[] = {
    "2026-06-30T00:00:00+29:59", "2026-06-30T00:00:00+16:00", "2026-06-30T00:00:00-16:00",
    "2026-06-30T00:00:00+15:60", "2026-06-30T00:00:00+24:00", "2026-13-01T00:00:00Z",
    "2026-00-10T00:00:00Z",      "2026-02-30T00:00:00Z",      "2026-04-31T00:00:00Z",
    "2026-06-30T25:00:00Z",      "2026-06-30T24:00:00Z",      "2026-06-30T23:60:00Z",
    "2026-06-30T23:59:60Z",      "2026-06-30T23:59:60.5Z",    "2026-06-30T23:59:59.1234567891Z",
    "2026-06-30T23:59:59+0700",  "2026-06-30T23:59Z",         "2026-06-30T23:59:59+07:00x",
    NULL};
static const char *const GOOD_TIMESTAMPS[] = {"2026-06-30T00:00:00+15:59", "2026-06-30T00:00:00-14:00",
                                              "2024-02-29T23:59:59.999999Z", "2026-06-30", NULL};
static const char *const BAD_DATES[] = {"2026-13-01", "2026-02-30", "2026-06-31", "2026-00-01", "2026-06-00",
                                        "2025-02-29", NULL};
static const char *const TIME_PARAMS[] = {"updated_since", "since", NULL};
static const char *const DATE_PARAMS[] = {"completed_from", "completed_to", "as_of", "active_on", "closed_on", NULL};

static int in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0) return 1;
    return 0;
}

/* Every route that declares one of params gets every value of bad (400, naming the parameter)
 * and, when good is given, every value of good (not a 400). Returns how many parameters. */
static int walk_time_params(const char *const *params, const char *const *bad, const char *const *good)
{
    int seen = 0;
    for (int i = 0; i < api_nroutes; i++) {
        const http_route *rt = &api_routes[i];
        for (const char *const *q = rt->query; q && *q; q++) {
            if (!in_list(params, *q)) continue;
            seen++;
            for (const char *const *b = bad; *b; b++) {
                char *enc = pct(*b);
                resp *r = route_request(rt, fmt("%s=%s", *q, enc));
                assert_problem(r, 400, fmt("%s %s?%s=%s", rt->method, rt->path, *q, *b));
                ck_assert_str_eq(only_error_field(r), *q);
                resp_free(r);
                free(enc);
            }
            for (const char *const *g = good; g && *g; g++) {
                char *enc = pct(*g);
                /* one row is enough (the audit trail holds the big reports of the test above) */
                resp *r = route_request(rt, fmt("%s=%s%s", *q, enc, http_query_declared(rt, "limit") ? "&limit=1" : ""));
                ck_assert_msg(r->status == 200, "%s %s?%s=%s gave %ld: %.300s", rt->method, rt->path, *q, *g, r->status,
                              r->body);
                resp_free(r);
                free(enc);
            }
        }
    }
    return seen;
}

START_TEST(timestamps_out_of_range_are_refused_by_the_parser)
{
    ck_assert_int_ge(walk_time_params(TIME_PARAMS, BAD_TIMESTAMPS, GOOD_TIMESTAMPS), 12);
}
END_TEST

START_TEST(dates_out_of_range_are_refused_by_the_parser)
{
    ck_assert_int_ge(walk_time_params(DATE_PARAMS, BAD_DATES, NULL), 5);
}
END_TEST

Suite *h8_valid_suite(void)
{
    Suite *s = suite_create("h8_valid");
    TCase *t = tcase_create("h8_valid");
    tcase_set_timeout(t, 180);
    tcase_add_test(t, report_unknown_field_with_long_non_ascii_name_is_refused);
    tcase_add_test(t, repeated_long_non_ascii_query_parameter_gets_a_full_problem);
    tcase_add_test(t, long_non_ascii_username_is_a_wrong_sign_in);
    tcase_add_test(t, report_values_have_a_total_size_limit);
    tcase_add_test(t, every_route_refuses_an_unknown_query_parameter);
    tcase_add_test(t, every_route_refuses_a_repeated_query_parameter);
    tcase_add_test(t, target_put_with_unit_id_is_refused_and_the_province_target_stays);
    tcase_add_test(t, timestamps_out_of_range_are_refused_by_the_parser);
    tcase_add_test(t, dates_out_of_range_are_refused_by_the_parser);
    suite_add_tcase(s, t);
    return s;
}
