/* The HTTP layer's pure text rules: CSV cells, media types, If-Match lists, CORS origins. */
#include "tests.h"
#include "bdhvs/cors.h"
#include "bdhvs/http_text.h"

#include <stdlib.h>
#include <string.h>

/* The CSV of one cell, in a static buffer. */
static const char *cell(const char *s, int is_text)
{
    static char out[256];
    http_buf b = {0};
    http_csv_cell(&b, s, is_text);
    ck_assert(!b.failed);
    ck_assert_uint_lt(b.len, sizeof out);
    memcpy(out, b.p ? b.p : "", b.len);
    out[b.len] = '\0';
    ck_assert_uint_eq(strlen(out), b.len);
    free(b.p);
    return out;
}

START_TEST(csv_cell_plain_text_is_copied)
{
    ck_assert_str_eq(cell("abc", 1), "abc");
    ck_assert_str_eq(cell("", 1), "");
    ck_assert_str_eq(cell("Nguyễn Văn An", 1), "Nguyễn Văn An");
    ck_assert_str_eq(cell("a=b", 1), "a=b");       /* only a leading = is a formula */
    ck_assert_str_eq(cell(" =1+2", 1), " =1+2");   /* a leading space is not neutralised */
    ck_assert_str_eq(cell("2026-06-30", 1), "2026-06-30");
    ck_assert_str_eq(cell("it's", 1), "it's");
}
END_TEST

START_TEST(csv_cell_quotes_commas_quotes_and_line_ends)
{
    ck_assert_str_eq(cell("a,b", 1), "\"a,b\"");
    ck_assert_str_eq(cell("say \"hi\"", 1), "\"say \"\"hi\"\"\"");
    ck_assert_str_eq(cell("\"", 1), "\"\"\"\"");
    ck_assert_str_eq(cell("a\nb", 1), "\"a\nb\"");
    ck_assert_str_eq(cell("a\r\nb", 1), "\"a\r\nb\"");
    ck_assert_str_eq(cell("a\rb", 0), "\"a\rb\"");
    ck_assert_str_eq(cell("x,\"y\"", 0), "\"x,\"\"y\"\"\"");
}
END_TEST

START_TEST(csv_cell_neutralises_formulas_in_values)
{
    ck_assert_str_eq(cell("=1+2", 1), "\"'=1+2\"");
    ck_assert_str_eq(cell("+84912345678", 1), "\"'+84912345678\"");
    ck_assert_str_eq(cell("-5", 1), "\"'-5\"");
    ck_assert_str_eq(cell("@SUM(A1)", 1), "\"'@SUM(A1)\"");
    ck_assert_str_eq(cell("\tx", 1), "\"'\tx\"");
    ck_assert_str_eq(cell("\rx", 1), "\"'\rx\"");
    ck_assert_str_eq(cell("=HYPERLINK(\"http://x\")", 1), "\"'=HYPERLINK(\"\"http://x\"\")\"");
    ck_assert_str_eq(cell("=", 1), "\"'=\"");
    /* Header cells are the API's own column names: not neutralised. */
    ck_assert_str_eq(cell("=1+2", 0), "=1+2");
    ck_assert_str_eq(cell("-5", 0), "-5");
}
END_TEST

START_TEST(csv_cell_copies_invalid_utf8_bytes)
{
    ck_assert_str_eq(cell("a\xff\xfe" "b", 1), "a\xff\xfe" "b");
    ck_assert_str_eq(cell("\xe1\xbb", 1), "\xe1\xbb");
    ck_assert_str_eq(cell("\xc0,", 1), "\"\xc0,\"");
}
END_TEST

START_TEST(csv_cells_append_to_one_buffer)
{
    http_buf b = {0};
    http_csv_cell(&b, "code", 0);
    http_buf_add(&b, ",", 1);
    http_csv_cell(&b, "=x", 1);
    http_buf_add(&b, "\r\n", 2);
    ck_assert_str_eq(b.p, "code,\"'=x\"\r\n");
    ck_assert_uint_eq(b.len, 12);
    /* Past the first 4 KiB the buffer grows and keeps what it had. */
    char big[5000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    http_csv_cell(&b, big, 1);
    ck_assert_uint_eq(b.len, 12 + 4999);
    ck_assert_uint_ge(b.cap, b.len + 1);
    ck_assert_int_eq(strncmp(b.p, "code,\"'=x\"\r\naaa", 15), 0);
    ck_assert_uint_eq(strlen(b.p), b.len);
    ck_assert(!b.failed);
    free(b.p);
}
END_TEST

START_TEST(media_type_matches_whole_name_any_case)
{
    ck_assert_int_eq(http_media_is("application/json", "application/json"), 1);
    ck_assert_int_eq(http_media_is("Application/JSON", "application/json"), 1);
    ck_assert_int_eq(http_media_is("APPLICATION/JSON", "application/json"), 1);
    ck_assert_int_eq(http_media_is("application/json  ", "application/json"), 1);
    ck_assert_int_eq(http_media_is("text/csv", "text/csv"), 1);
    ck_assert_int_eq(http_media_is("application/jsonx", "application/json"), 0);
    ck_assert_int_eq(http_media_is("application/json-patch+json", "application/json"), 0);
    ck_assert_int_eq(http_media_is("application/json x", "application/json"), 0);
    ck_assert_int_eq(http_media_is("application/jso", "application/json"), 0);
    ck_assert_int_eq(http_media_is("text/json", "application/json"), 0);
    ck_assert_int_eq(http_media_is(" application/json", "application/json"), 0);
    ck_assert_int_eq(http_media_is("", "application/json"), 0);
    ck_assert_int_eq(http_media_is("text/csv", "application/json"), 0);
}
END_TEST

START_TEST(media_type_parameters_and_charset)
{
    ck_assert_int_eq(http_media_is("application/json; charset=utf-8", "application/json"), 1);
    ck_assert_int_eq(http_media_is("application/json;charset=UTF-8", "application/json"), 1);
    ck_assert_int_eq(http_media_is("application/json ; charset=Utf-8", "application/json"), 1);
    ck_assert_int_eq(http_media_is("application/json; charset=\"utf-8\"", "application/json"), 1);
    ck_assert_int_eq(http_media_is("Application/Json; CHARSET=UTF-8", "application/json"), 1);
    ck_assert_int_eq(http_media_is("text/csv; header=present; charset=utf-8", "text/csv"), 1);
    /* Parameters other than charset are let through. */
    ck_assert_int_eq(http_media_is("application/json; profile=x", "application/json"), 1);
    ck_assert_int_eq(http_media_is("application/json;", "application/json"), 1);
    /* Only UTF-8. */
    ck_assert_int_eq(http_media_is("application/json; charset=iso-8859-1", "application/json"), 0);
    ck_assert_int_eq(http_media_is("application/json; charset=utf-16", "application/json"), 0);
    ck_assert_int_eq(http_media_is("application/json; charset=\"latin1\"", "application/json"), 0);
    ck_assert_int_eq(http_media_is("text/csv; charset=windows-1258", "text/csv"), 0);
    ck_assert_int_eq(http_media_is("application/json; charset=", "application/json"), 0);
    ck_assert_int_eq(http_media_is("application/json; charset=utf8", "application/json"), 0);
}
END_TEST

#define TAG "\"0123456789abcdef\""

START_TEST(if_match_exact_tag_or_star)
{
    ck_assert_int_eq(http_if_match_allows(TAG, TAG), 1);
    ck_assert_int_eq(http_if_match_allows("*", TAG), 1);
    ck_assert_int_eq(http_if_match_allows("  " TAG, TAG), 1);
    ck_assert_int_eq(http_if_match_allows("\"0000000000000000\"", TAG), 0);
    ck_assert_int_eq(http_if_match_allows("\"0123456789ABCDEF\"", TAG), 0); /* tags are case-sensitive */
    ck_assert_int_eq(http_if_match_allows("\"0123456789abcde\"", TAG), 0);
    ck_assert_int_eq(http_if_match_allows("0123456789abcdef", TAG), 0);    /* unquoted */
    ck_assert_int_eq(http_if_match_allows("", TAG), 0);
    ck_assert_int_eq(http_if_match_allows(" , ", TAG), 0);
}
END_TEST

START_TEST(if_match_lists_and_weak_tags)
{
    ck_assert_int_eq(http_if_match_allows("\"aaaaaaaaaaaaaaaa\", " TAG, TAG), 1);
    ck_assert_int_eq(http_if_match_allows("\"aaaaaaaaaaaaaaaa\"," TAG, TAG), 1);
    ck_assert_int_eq(http_if_match_allows(TAG ", \"aaaaaaaaaaaaaaaa\"", TAG), 1);
    ck_assert_int_eq(http_if_match_allows("\"aaaaaaaaaaaaaaaa\", \"bbbbbbbbbbbbbbbb\"", TAG), 0);
    ck_assert_int_eq(http_if_match_allows("\"aaaaaaaaaaaaaaaa\", *", TAG), 1);
    /* A weak tag never matches strongly, even the current one. */
    ck_assert_int_eq(http_if_match_allows("W/" TAG, TAG), 0);
    ck_assert_int_eq(http_if_match_allows("W/" TAG ", " TAG, TAG), 1);
    ck_assert_int_eq(http_if_match_allows("W/\"aaaaaaaaaaaaaaaa\", W/" TAG, TAG), 0);
}
END_TEST

START_TEST(cors_exact_origins)
{
    const char *list = "http://localhost:5173";
    ck_assert_int_eq(cors_origin_allowed(list, "http://localhost:5173"), 1);
    ck_assert_int_eq(cors_origin_allowed(list, "http://localhost:517"), 0);
    ck_assert_int_eq(cors_origin_allowed(list, "http://localhost:51730"), 0);
    ck_assert_int_eq(cors_origin_allowed(list, "https://localhost:5173"), 0);
    ck_assert_int_eq(cors_origin_allowed(list, "HTTP://LOCALHOST:5173"), 0); /* compared byte for byte */
    ck_assert_int_eq(cors_origin_allowed(list, "null"), 0);
    ck_assert_int_eq(cors_origin_allowed(list, ""), 0);
    ck_assert_int_eq(cors_origin_allowed(list, NULL), 0);
    ck_assert_int_eq(cors_origin_allowed("", "http://localhost:5173"), 0);
    ck_assert_int_eq(cors_origin_allowed("", NULL), 0);
}
END_TEST

START_TEST(cors_lists_and_star)
{
    const char *list = " https://a.example , https://b.example:8443,https://c.example ";
    ck_assert_int_eq(cors_origin_allowed(list, "https://a.example"), 1);
    ck_assert_int_eq(cors_origin_allowed(list, "https://b.example:8443"), 1);
    ck_assert_int_eq(cors_origin_allowed(list, "https://c.example"), 1);
    ck_assert_int_eq(cors_origin_allowed(list, "https://b.example"), 0);
    ck_assert_int_eq(cors_origin_allowed(list, "https://d.example"), 0);
    ck_assert_int_eq(cors_origin_allowed(list, " https://a.example"), 0);
    ck_assert_int_eq(cors_origin_allowed("https://a.example,,", "https://a.example"), 1);
    ck_assert_int_eq(cors_origin_allowed("*", "https://anything.example"), 1);
    ck_assert_int_eq(cors_origin_allowed("https://a.example, *", "http://evil.example"), 1);
    ck_assert_int_eq(cors_origin_allowed("*", NULL), 0);
    ck_assert_int_eq(cors_origin_allowed("**", "https://a.example"), 0);
    ck_assert_int_eq(cors_origin_allowed("https://*.example", "https://a.example"), 0); /* no patterns */
}
END_TEST

Suite *http_text_suite(void)
{
    Suite *s = suite_create("http_text");
    TCase *t = tcase_create("http_text");
    tcase_add_test(t, csv_cell_plain_text_is_copied);
    tcase_add_test(t, csv_cell_quotes_commas_quotes_and_line_ends);
    tcase_add_test(t, csv_cell_neutralises_formulas_in_values);
    tcase_add_test(t, csv_cell_copies_invalid_utf8_bytes);
    tcase_add_test(t, csv_cells_append_to_one_buffer);
    tcase_add_test(t, media_type_matches_whole_name_any_case);
    tcase_add_test(t, media_type_parameters_and_charset);
    tcase_add_test(t, if_match_exact_tag_or_star);
    tcase_add_test(t, if_match_lists_and_weak_tags);
    tcase_add_test(t, cors_exact_origins);
    tcase_add_test(t, cors_lists_and_star);
    suite_add_tcase(s, t);
    return s;
}
