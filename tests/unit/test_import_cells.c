/* The cell rules of bulk loads: each kind of column, what it refuses (the problem code and its
 * values, checked through the exact English message the catalogue renders) and what it stages. */
#include "tests.h"
#include "bdhvs/import_cells.h"
#include "bdhvs/problems.h"

#include <stdio.h>
#include <string.h>

#define TODAY "2026-06-15"

static char g_month[11], g_msg[160];

/* Checks v for col: returns what is staged (NULL when refused, g_msg then holds the message). */
static const char *staged(const import_col *col, const char *v)
{
    const char *out = "not set";
    g_msg[0] = '\0';
    memset(g_month, 0, sizeof g_month);
    const char *problem = "not set";
    json_t *params = NULL;
    int bad = import_cell_check(col, v, TODAY, g_month, &out, &problem, &params);
    if (bad) {
        ck_assert_ptr_nonnull(problem);
        ck_assert(problem_known(problem));
        problem_render(PROBLEM_EN, problem, params, g_msg, sizeof g_msg);
        json_decref(params);
        ck_assert_int_eq(bad, 1);
        ck_assert_ptr_null(out);
        ck_assert_uint_gt(strlen(g_msg), 0);
    } else {
        ck_assert_int_eq(bad, 0);
        ck_assert_ptr_null(problem);
        ck_assert_ptr_null(params);
    }
    return out;
}

/* The message of a refused cell. */
static const char *refused(const import_col *col, const char *v)
{
    ck_assert_ptr_null(staged(col, v));
    return g_msg;
}

static const import_col CODE = {"code", 1, K_CODE, 10, 0, &CODE_STAFF};
static const import_col NAME = {"full_name", 1, K_TEXT, 5, 0};
static const import_col NOTE = {"note", 0, K_TEXT, 5, 0};
static const import_col JOINED = {"joined_on", 1, K_DATE, 10, 1};
static const import_col LEFT = {"left_on", 0, K_DATE, 10, 0};
static const import_col PARTY = {"party_member", 0, K_BOOL, 5, 0};
static const import_col MONTH = {"month", 1, K_MONTH, 7, 1};
static const import_col COUNT = {"count", 1, K_COUNT, 10, 0};

START_TEST(absent_cells)
{
    ck_assert_str_eq(refused(&CODE, NULL), "is required");
    ck_assert_str_eq(refused(&MONTH, NULL), "is required");
    ck_assert_ptr_null(staged(&NOTE, NULL));
    ck_assert_str_eq(g_msg, "");
    ck_assert_ptr_null(staged(&PARTY, NULL));
}
END_TEST

START_TEST(text_length_in_characters)
{
    const char *v = "Trạm5"; /* 5 characters, 7 bytes */
    ck_assert_ptr_eq(staged(&NAME, v), v);
    ck_assert_str_eq(refused(&NAME, "Trạm 6"), "is longer than 5 characters");
    ck_assert_str_eq(staged(&NAME, "=1+2"), "=1+2"); /* text is staged as it is */
    ck_assert_str_eq(staged(&NAME, "a,\"b"), "a,\"b");
    ck_assert_str_eq(staged(&NAME, "a\r\nb"), "a\r\nb");
    ck_assert_str_eq(refused(&CODE, "ABCDEFGHIJK"), "is longer than 10 characters");
}
END_TEST

START_TEST(code_characters)
{
    ck_assert_str_eq(staged(&CODE, "NV-001.a_Z"), "NV-001.a_Z");
    const char *bad[] = {"NV 001", "NV/001", "Đ01", "NV,1", "nv'1", "\xff", "=A1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_str_eq(refused(&CODE, bad[i]), "may hold only letters A-Z, digits, '.', '_' and '-' (1 to 40)");
}
END_TEST

START_TEST(dates)
{
    ck_assert_str_eq(staged(&JOINED, "2024-02-29"), "2024-02-29");
    ck_assert_str_eq(staged(&JOINED, TODAY), TODAY);
    ck_assert_str_eq(refused(&JOINED, "2026-06-16"), "must not be in the future");
    ck_assert_str_eq(staged(&LEFT, "2030-01-01"), "2030-01-01"); /* may be in the future */
    ck_assert_str_eq(refused(&LEFT, "2026-02-29"), "\"2026-02-29\" is not a date written YYYY-MM-DD");
    ck_assert_str_eq(refused(&LEFT, "15/06/2026"), "\"15/06/2026\" is not a date written YYYY-MM-DD");
    ck_assert_str_eq(refused(&LEFT, ""), "\"\" is not a date written YYYY-MM-DD");
}
END_TEST

START_TEST(booleans_are_normalised)
{
    const char *yes[] = {"true", "TRUE", "True", "1", "yes", "YES", "x", "X", "có"};
    const char *no[] = {"false", "FALSE", "0", "no", "No", "không"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) ck_assert_str_eq(staged(&PARTY, yes[i]), "true");
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) ck_assert_str_eq(staged(&PARTY, no[i]), "false");
    ck_assert_str_eq(refused(&PARTY, "y"), "\"y\" is not true or false");
    ck_assert_str_eq(refused(&PARTY, "CÓ"), "\"CÓ\" is not true or false"); /* case is ignored for ASCII only */
    ck_assert_str_eq(refused(&PARTY, "2"), "\"2\" is not true or false");
    /* Not checked for length: a long value is refused as a boolean, quoted to 40 bytes. */
    ck_assert_str_eq(refused(&PARTY, "truetruetruetruetruetruetruetruetruetruetrue"),
                     "\"truetruetruetruetruetruetruetruetruetrue\" is not true or false");
}
END_TEST

START_TEST(months_are_staged_as_their_first_day)
{
    const char *v = staged(&MONTH, "2026-06");
    ck_assert_ptr_eq(v, g_month);
    ck_assert_str_eq(v, "2026-06-01");
    ck_assert_str_eq(staged(&MONTH, "202605"), "2026-05-01");
    ck_assert_str_eq(refused(&MONTH, "2026-07"), "must not be in the future");
    ck_assert_str_eq(refused(&MONTH, "2026-13"), "\"2026-13\" is not a month written YYYY-MM (or YYYYMM)");
    ck_assert_str_eq(refused(&MONTH, "2026-Q2"), "\"2026-Q2\" is not a month written YYYY-MM (or YYYYMM)");
    ck_assert_str_eq(refused(&MONTH, "2026-06-01"), "\"2026-06-01\" is not a month written YYYY-MM (or YYYYMM)");
}
END_TEST

START_TEST(counts)
{
    ck_assert_str_eq(staged(&COUNT, "0"), "0");
    ck_assert_str_eq(staged(&COUNT, "2147483647"), "2147483647");
    ck_assert_str_eq(staged(&COUNT, "0000000012"), "0000000012");
    const char *bad[] = {"2147483648", "9999999999", "-1", "+1", "1.0", "1e3", " 1", "12345678901"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char want[120];
        snprintf(want, sizeof want, "\"%s\" is not a whole number from 0 to 2147483647", bad[i]);
        ck_assert_str_eq(refused(&COUNT, bad[i]), want);
    }
}
END_TEST

START_TEST(quoted_values_are_cut_on_a_character_boundary)
{
    /* 13 "ễ" are 39 bytes; the 14th would pass 40 bytes, so the quote stops before it. */
    char v[64] = "";
    for (int i = 0; i < 15; i++) strcat(v, "ễ");
    char want[160] = "\"";
    for (int i = 0; i < 13; i++) strcat(want, "ễ");
    strcat(want, "\" is not true or false");
    ck_assert_str_eq(refused(&PARTY, v), want);
    /* An invalid byte ends the quote. */
    ck_assert_str_eq(refused(&PARTY, "ab\xff" "cd"), "\"ab\" is not true or false");
}
END_TEST

Suite *import_cells_suite(void)
{
    Suite *s = suite_create("import_cells");
    TCase *t = tcase_create("import_cells");
    tcase_add_test(t, absent_cells);
    tcase_add_test(t, text_length_in_characters);
    tcase_add_test(t, code_characters);
    tcase_add_test(t, dates);
    tcase_add_test(t, booleans_are_normalised);
    tcase_add_test(t, months_are_staged_as_their_first_day);
    tcase_add_test(t, counts);
    tcase_add_test(t, quoted_values_are_cut_on_a_character_boundary);
    suite_add_tcase(s, t);
    return s;
}
