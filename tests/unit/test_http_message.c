/* The server's own request and answer containers (src/http/message.c): headers by any
 * capitalisation, a repeated set replaces, texts past the arena on the heap, a header past the
 * table refused, bodies copied and taken; and what a handler reads of a request. */
#include "tests.h"
#include "bdhvs/http.h"

#include <stdlib.h>
#include <string.h>

/* Not in a public header: src/http's own. */
#include "../../src/http/internal.h"

START_TEST(a_header_is_found_by_any_capitalisation_and_a_second_set_replaces_it)
{
    http_response r;
    http_response_init(&r);
    ck_assert_int_eq(http_response_set_header(&r, "ETag", "\"a\""), 0);
    ck_assert_int_eq(http_response_set_header(&r, "Vary", "Accept"), 0);
    ck_assert_str_eq(http_response_header(&r, "etag"), "\"a\"");
    ck_assert_int_eq(http_response_set_header(&r, "ETAG", "\"b\""), 0);
    ck_assert_int_eq(r.nh, 2);
    ck_assert_str_eq(r.h[0].name, "ETag"); /* the name as first written */
    ck_assert_str_eq(http_response_header(&r, "ETag"), "\"b\"");
    ck_assert_ptr_null(http_response_header(&r, "Content-Type"));
    http_response_remove_header(&r, "etag");
    ck_assert_int_eq(r.nh, 1);
    ck_assert_ptr_null(http_response_header(&r, "ETag"));
    ck_assert_str_eq(http_response_header(&r, "vary"), "Accept");
    http_response_remove_header(&r, "Absent");
    ck_assert_int_eq(r.nh, 1);
    http_response_clean(&r);
    ck_assert_int_eq(r.nh, 0);
    ck_assert_int_eq(r.status, 200);
}
END_TEST

START_TEST(texts_past_the_arena_go_to_the_heap_and_are_freed)
{
    http_response r;
    http_response_init(&r);
    char big[HTTP_RESP_ARENA + 100];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ck_assert_int_eq(http_response_set_header(&r, "X-Small", "1"), 0);
    ck_assert_int_eq(http_response_set_header(&r, "X-Big", big), 0);
    ck_assert_str_eq(http_response_header(&r, "x-big"), big);
    ck_assert_int_eq(r.h[1].heap, 2); /* the name fit, the value did not */
    /* Replacing a heap value by a small one frees it (LeakSanitizer would say otherwise). */
    ck_assert_int_eq(http_response_set_header(&r, "X-Big", "2"), 0);
    ck_assert_str_eq(http_response_header(&r, "X-Big"), "2");
    /* Fill the arena with many values, then the rest goes to the heap, and all read back. */
    char name[32], value[64];
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof name, "X-H%d", i);
        snprintf(value, sizeof value, "%d-%.50s", i, big);
        ck_assert_int_eq(http_response_set_header(&r, name, value), 0);
    }
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof name, "x-h%d", i);
        snprintf(value, sizeof value, "%d-%.50s", i, big);
        ck_assert_str_eq(http_response_header(&r, name), value);
    }
    ck_assert_int_eq(r.nh, 22);
    http_response_clean(&r);
}
END_TEST

START_TEST(a_header_past_the_table_is_refused_and_the_others_stay)
{
    http_response r;
    http_response_init(&r);
    char name[32];
    for (int i = 0; i < HTTP_RESP_HEADERS; i++) {
        snprintf(name, sizeof name, "X-%d", i);
        ck_assert_int_eq(http_response_set_header(&r, name, "v"), 0);
    }
    ck_assert_int_eq(http_response_set_header(&r, "X-One-Too-Many", "v"), -1);
    ck_assert_ptr_null(http_response_header(&r, "X-One-Too-Many"));
    ck_assert_int_eq(http_response_set_header(&r, "X-0", "w"), 0); /* a replacement still works */
    ck_assert_str_eq(http_response_header(&r, "X-0"), "w");
    ck_assert_int_eq(r.nh, HTTP_RESP_HEADERS);
    http_response_clean(&r);
}
END_TEST

START_TEST(a_body_is_copied_with_a_nul_after_it_and_an_empty_one_frees_it)
{
    http_response r;
    http_response_init(&r);
    char text[] = "{\"a\":1}";
    ck_assert_int_eq(http_response_set_body(&r, 201, text, 5), 0);
    text[0] = 'X';
    ck_assert_int_eq(r.status, 201);
    ck_assert_uint_eq(r.len, 5);
    ck_assert_str_eq(r.body, "{\"a\":");
    ck_assert_int_eq(http_response_set_body(&r, 304, NULL, 0), 0);
    ck_assert_ptr_null(r.body);
    ck_assert_uint_eq(r.len, 0);
    ck_assert_int_eq(r.status, 304);
    char *mine = strdup("taken");
    http_response_take_body(&r, mine, 5);
    ck_assert_ptr_eq(r.body, mine);
    http_response_clean(&r);
    ck_assert_ptr_null(r.body);
}
END_TEST

START_TEST(a_request_without_a_connection_reads_its_own_headers)
{
    http_request q;
    memset(&q, 0, sizeof q);
    q.method = "GET";
    q.path = "/api/v1/units/7";
    q.url = "/api/v1/units/7?x=1";
    q.nhdr = 2;
    q.hdr[0][0] = "Accept";
    q.hdr[0][1] = "text/csv";
    q.hdr[1][0] = "If-None-Match";
    q.hdr[1][1] = "\"abc\"";
    http_response r;
    http_response_init(&r);
    http_ctx c;
    memset(&c, 0, sizeof c);
    c.req = &q;
    c.resp = &r;
    ck_assert_str_eq(http_header(&c, "accept"), "text/csv");
    ck_assert_str_eq(http_header(&c, "IF-NONE-MATCH"), "\"abc\"");
    ck_assert_ptr_null(http_header(&c, "Authorization"));
    ck_assert_str_eq(http_method(&c), "GET");
    ck_assert_str_eq(http_url_path(&c), "/api/v1/units/7");
    http_set_header(&c, "Content-Language", "vi");
    ck_assert_str_eq(http_response_header(&r, "content-language"), "vi");
    http_response_clean(&r);
}
END_TEST

Suite *http_message_suite(void)
{
    Suite *s = suite_create("http_message");
    TCase *t = tcase_create("http_message");
    tcase_add_test(t, a_header_is_found_by_any_capitalisation_and_a_second_set_replaces_it);
    tcase_add_test(t, texts_past_the_arena_go_to_the_heap_and_are_freed);
    tcase_add_test(t, a_header_past_the_table_is_refused_and_the_others_stay);
    tcase_add_test(t, a_body_is_copied_with_a_nul_after_it_and_an_empty_one_frees_it);
    tcase_add_test(t, a_request_without_a_connection_reads_its_own_headers);
    suite_add_tcase(s, t);
    return s;
}
