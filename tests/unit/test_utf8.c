/* Cutting text for messages: utf8_prefix never ends inside a character nor passes an invalid
 * byte; verrs keeps (and counts) every error, whatever text it is given. */
#include "tests.h"
#include "bdhvs/http.h"
#include "bdhvs/jsonx.h"

#include <string.h>

/* Not in a public header: src/http's own answer structure. */
#include "../../src/http/internal.h"

START_TEST(prefix_of_ascii_is_the_byte_count)
{
    ck_assert_uint_eq(utf8_prefix("abcdef", 4), 4);
    ck_assert_uint_eq(utf8_prefix("abc", 10), 3);
    ck_assert_uint_eq(utf8_prefix("", 10), 0);
    ck_assert_uint_eq(utf8_prefix("abc", 0), 0);
}
END_TEST

START_TEST(prefix_stops_before_a_character_it_would_cut)
{
    /* "ễ" is 3 bytes (E1 BB 85), "ă" 2 (C4 83), "😀" 4 (F0 9F 98 80). */
    const char *s = "aễb";
    ck_assert_uint_eq(utf8_prefix(s, 1), 1);
    ck_assert_uint_eq(utf8_prefix(s, 2), 1);
    ck_assert_uint_eq(utf8_prefix(s, 3), 1);
    ck_assert_uint_eq(utf8_prefix(s, 4), 4);
    ck_assert_uint_eq(utf8_prefix(s, 5), 5);
    ck_assert_uint_eq(utf8_prefix("ăă", 3), 2);
    ck_assert_uint_eq(utf8_prefix("x😀", 4), 1);
    ck_assert_uint_eq(utf8_prefix("x😀", 5), 5);
    /* 100 "ễ" cut at 80 bytes: 26 whole characters. */
    char buf[301] = "";
    for (int i = 0; i < 100; i++) strcat(buf, "ễ");
    ck_assert_uint_eq(utf8_prefix(buf, 80), 78);
    ck_assert(utf8_valid(buf, utf8_prefix(buf, 80)));
}
END_TEST

START_TEST(prefix_stops_before_invalid_bytes)
{
    ck_assert_uint_eq(utf8_prefix("ab\xff" "cd", 10), 2);
    ck_assert_uint_eq(utf8_prefix("ab\xe1\xbb", 10), 2);         /* truncated */
    ck_assert_uint_eq(utf8_prefix("ab\xc0\x80", 10), 2);         /* overlong NUL */
    ck_assert_uint_eq(utf8_prefix("ab\xed\xa0\x80", 10), 2);     /* surrogate */
    ck_assert_uint_eq(utf8_prefix("ab\xf4\x90\x80\x80", 10), 2); /* beyond U+10FFFF */
    ck_assert_uint_eq(utf8_prefix("\x85" "abc", 10), 0);         /* a lone continuation byte */
}
END_TEST

START_TEST(copy_keeps_whole_characters)
{
    char out[6];
    utf8_copy(out, sizeof out, "aễễ"); /* 7 bytes; 5 fit, the second "ễ" would not */
    ck_assert_str_eq(out, "aễ");
    utf8_copy(out, sizeof out, "abc");
    ck_assert_str_eq(out, "abc");
    utf8_copy(out, 1, "abc");
    ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(verrs_keeps_an_error_about_any_text)
{
    verrs v;
    verrs_init(&v);
    char name[1201] = "";
    for (int i = 0; i < 400; i++) strcat(name, "ễ");
    verrs_add(&v, name, "is not a field");                      /* a 1200-byte field name */
    verrs_add(&v, "x", "quotes \"%s\"", name);                  /* a message over the limit */
    verrs_add(&v, "ab\xff", "has %s", "invalid \xe1\xbb bytes"); /* invalid UTF-8 in both */
    ck_assert_int_eq(verrs_count(&v), 3);
    ck_assert_int_eq(v.lost, 0);
    for (size_t i = 0; i < 3; i++) {
        json_t *e = json_array_get(v.list, i);
        const char *f = json_string_value(json_object_get(e, "field"));
        const char *m = json_string_value(json_object_get(e, "message"));
        ck_assert_ptr_nonnull(f);
        ck_assert_ptr_nonnull(m);
        ck_assert(strlen(f) <= VERRS_FIELD_MAX && utf8_valid(f, strlen(f)));
        ck_assert(strlen(m) <= VERRS_MESSAGE_MAX && utf8_valid(m, strlen(m)));
    }
    ck_assert_uint_eq(strlen(json_string_value(json_object_get(json_array_get(v.list, 0), "field"))), 120);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(v.list, 2), "field")), "ab");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(v.list, 2), "message")), "has invalid ");
    verrs_free(&v);
}
END_TEST

START_TEST(verrs_without_a_list_still_counts)
{
    verrs v = {.list = NULL, .lost = 0}; /* as after json_array() failed for want of memory */
    verrs_add(&v, "f", "is wrong");
    ck_assert_int_eq(verrs_count(&v), 1);
}
END_TEST

/* respond_problem with a detail that quotes broken text: still a full problem document. */
START_TEST(problem_with_invalid_utf8_detail_is_never_empty)
{
    http_response resp;
    http_response_init(&resp);
    http_ctx c;
    memset(&c, 0, sizeof c);
    c.resp = &resp;
    snprintf(c.request_id, sizeof c.request_id, "abc123");
    respond_problem(&c, 400, "The query parameter \"a\xe1\xbb\" is given more than once.");
    ck_assert_int_eq(c.status, 400);
    ck_assert_int_eq(resp.status, 400);
    ck_assert_str_eq(http_response_header(&resp, "content-type"), "application/problem+json");
    json_t *j = json_loadb(resp.body, resp.len, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "status")), 400);
    ck_assert_str_eq(json_string_value(json_object_get(j, "detail")), "The query parameter \"a");
    ck_assert_str_eq(json_string_value(json_object_get(j, "request_id")), "abc123");
    ck_assert_str_eq(json_string_value(json_object_get(j, "type")), "urn:bdhvs:problem:bad-request");
    json_decref(j);
    http_response_clean(&resp);
}
END_TEST

Suite *utf8_suite(void)
{
    Suite *s = suite_create("utf8");
    TCase *t = tcase_create("utf8");
    tcase_add_test(t, prefix_of_ascii_is_the_byte_count);
    tcase_add_test(t, prefix_stops_before_a_character_it_would_cut);
    tcase_add_test(t, prefix_stops_before_invalid_bytes);
    tcase_add_test(t, copy_keeps_whole_characters);
    tcase_add_test(t, verrs_keeps_an_error_about_any_text);
    tcase_add_test(t, verrs_without_a_list_still_counts);
    tcase_add_test(t, problem_with_invalid_utf8_detail_is_never_empty);
    suite_add_tcase(s, t);
    return s;
}
