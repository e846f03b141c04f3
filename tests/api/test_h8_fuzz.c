/* Regression tests for what the fuzz targets in tests/fuzz found (issue 8, item 16), over HTTP
 * against the real server. */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A problem+json answer with this status whose detail contains want. */
static void assert_problem(const resp *r, long status, const char *want)
{
    ck_assert_msg(r->status == status, "expected %ld, got %ld: %.400s", status, r->status, r->body ? r->body : "");
    char ct[128];
    ck_assert_str_eq(resp_header(r, "Content-Type", ct, sizeof ct), "application/problem+json");
    ck_assert_msg(r->json != NULL && jint(r, "status") == status, "not a problem document: %.400s",
                  r->body ? r->body : "");
    const char *detail = jstr(r, "detail");
    ck_assert_msg(detail != NULL && strstr(detail, want) != NULL, "detail %s lacks %s", detail ? detail : "(none)",
                  want);
}

/* %00 decoded to a NUL byte and silently cut the parameter short: q=ab%00cd searched for "ab". */
START_TEST(query_with_an_escaped_nul_is_refused)
{
    const char *paths[] = {"/api/v1/units?q=ab%00cd", "/api/v1/units?%00=1", "/api/v1/units?q=Ha%00",
                           NULL};
    for (int i = 0; paths[i]; i++) {
        resp *r = http_get(paths[i], T_ADMIN);
        assert_problem(r, 400, "not valid percent-encoded UTF-8");
        resp_free(r);
    }
    /* Other escapes still work. */
    resp *r = http_get("/api/v1/units?q=S%C6%A1n%20%C4%90%E1%BB%99ng", T_ADMIN);
    ASSERT_STATUS(r, 200);
    resp_free(r);
}
END_TEST

/* A repeated long non-ASCII parameter: the name quoted in the detail was cut inside a character,
 * the detail was not UTF-8 and the answer was a bare {}. */
START_TEST(repeated_long_non_ascii_parameter_gets_a_problem)
{
    char path[512], name[200] = "";
    for (int i = 0; i < 59; i++) strcat(name, "a");
    strcat(name, "%C3%A9%C3%A9");
    snprintf(path, sizeof path, "/api/v1/units?%s=1&%s=2", name, name);
    resp *r = http_get(path, T_ADMIN);
    assert_problem(r, 400, "is given more than once");
    ck_assert_ptr_nonnull(strstr(jstr(r, "detail"), "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""));
    resp_free(r);
}
END_TEST

/* jansson quotes the bytes near a JSON error byte by byte; a quote ending inside a character
 * made the detail invalid UTF-8 and the answer a bare {}. */
START_TEST(json_error_next_to_a_multibyte_character_gets_a_problem)
{
    static const char *const bodies[] = {
        "{\"name\\\xE1\xBB\x87\":1}",  /* a backslash before ệ: invalid escape */
        "[{\"c\":\"X1\",\"n\\\xC3\xAA\":2}]", /* before ê */
        NULL};
    for (int i = 0; bodies[i]; i++) {
        resp *r = http_send_json("POST", "/api/v1/units", T_ADMIN, bodies[i]);
        assert_problem(r, 400, "The body is not valid JSON: invalid escape");
        resp_free(r);
    }
    /* The quote stays when it is whole. */
    resp *r = http_send_json("POST", "/api/v1/units", T_ADMIN, "{\"name\\q\":1}");
    assert_problem(r, 400, "near '\"name\\q'");
    resp_free(r);
}
END_TEST

Suite *h8_fuzz_suite(void)
{
    Suite *s = suite_create("h8_fuzz");
    TCase *t = tcase_create("fuzz findings");
    tcase_add_test(t, query_with_an_escaped_nul_is_refused);
    tcase_add_test(t, repeated_long_non_ascii_parameter_gets_a_problem);
    tcase_add_test(t, json_error_next_to_a_multibyte_character_gets_a_problem);
    suite_add_tcase(s, t);
    return s;
}
