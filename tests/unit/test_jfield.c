/* jfield_*: a request body's fields read and checked; absent (0), valid (1), invalid (-1 with one
 * error naming the field). */
#include "tests.h"
#include "bdhvs/jsonx.h"

#include <string.h>

/* The only error of v: its field and message. */
static void assert_only_error(verrs *v, const char *field, const char *message)
{
    ck_assert_int_eq(verrs_count(v), 1);
    json_t *e = json_array_get(v->list, 0);
    ck_assert_str_eq(json_string_value(json_object_get(e, "field")), field);
    ck_assert_str_eq(json_string_value(json_object_get(e, "message")), message);
}

/* Reads body[key] as a string of minlen..maxlen characters into a fresh error list. */
static int read_string(json_t *body, const char *key, size_t minlen, size_t maxlen, const char **out, verrs *v)
{
    verrs_init(v);
    return jfield_string(body, key, minlen, maxlen, out, v);
}

START_TEST(string_absent_valid_and_lengths_in_characters)
{
    json_t *b = json_pack("{s:s, s:s, s:s, s:s}", "name", "Trạm Y tế", "empty", "", "three", "ễễễ", "four", "abcd");
    const char *out = NULL;
    verrs v;
    ck_assert_int_eq(read_string(b, "missing", 1, 10, &out, &v), 0);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(verrs_count(&v), 0);
    verrs_free(&v);

    ck_assert_int_eq(read_string(b, "name", 1, 9, &out, &v), 1); /* 9 characters, 14 bytes */
    ck_assert_str_eq(out, "Trạm Y tế");
    ck_assert_int_eq(verrs_count(&v), 0);
    verrs_free(&v);

    ck_assert_int_eq(read_string(b, "three", 3, 3, &out, &v), 1);
    ck_assert_str_eq(out, "ễễễ");
    verrs_free(&v);

    ck_assert_int_eq(read_string(b, "empty", 0, 3, &out, &v), 1);
    ck_assert_str_eq(out, "");
    verrs_free(&v);

    out = NULL;
    ck_assert_int_eq(read_string(b, "empty", 1, 3, &out, &v), -1);
    ck_assert_ptr_null(out);
    assert_only_error(&v, "empty", "must not be empty");
    verrs_free(&v);

    ck_assert_int_eq(read_string(b, "four", 1, 3, &out, &v), -1);
    ck_assert_ptr_null(out);
    assert_only_error(&v, "four", "must be 1 to 3 characters long");
    verrs_free(&v);

    ck_assert_int_eq(read_string(b, "four", 5, 8, &out, &v), -1);
    assert_only_error(&v, "four", "must be 5 to 8 characters long");
    verrs_free(&v);
    json_decref(b);
}
END_TEST

START_TEST(string_refuses_other_types_and_nul)
{
    json_t *b = json_pack("{s:i, s:n, s:b, s:[], s:{}}", "num", 5, "nul", "yes", 1, "arr", "obj");
    json_object_set_new(b, "nulchar", json_stringn("a\0b", 3));
    const char *keys[] = {"num", "nul", "yes", "arr", "obj"};
    const char *out = NULL;
    verrs v;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        ck_assert_int_eq(read_string(b, keys[i], 0, 10, &out, &v), -1);
        assert_only_error(&v, keys[i], "must be a string");
        verrs_free(&v);
    }
    ck_assert_int_eq(read_string(b, "nulchar", 0, 10, &out, &v), -1);
    assert_only_error(&v, "nulchar", "must not contain NUL characters");
    verrs_free(&v);
    ck_assert_ptr_null(out);
    json_decref(b);
}
END_TEST

START_TEST(string_length_counts_lead_bytes_of_invalid_utf8)
{
    /* jansson refuses invalid UTF-8 when it parses a body, so this only comes from C; the length
     * is the count of bytes that are not continuation bytes. */
    json_t *b = json_object();
    json_object_set_new(b, "bad", json_string_nocheck("\xff\xfe"));
    json_object_set_new(b, "cut", json_string_nocheck("a\xe1\xbb"));
    const char *out = NULL;
    verrs v;
    ck_assert_int_eq(read_string(b, "bad", 1, 1, &out, &v), -1);
    assert_only_error(&v, "bad", "must be 1 to 1 characters long");
    verrs_free(&v);
    ck_assert_int_eq(read_string(b, "cut", 2, 2, &out, &v), 1);
    verrs_free(&v);
    json_decref(b);
}
END_TEST

START_TEST(id_is_a_positive_integer)
{
    json_t *b = json_pack("{s:I, s:i, s:i, s:i, s:f, s:s, s:n, s:b}", "big", (json_int_t)9007199254740993LL, "one", 1,
                          "zero", 0, "neg", -3, "real", 2.0, "text", "7", "nul", "bool", 1);
    long long id = 0;
    verrs v;
    verrs_init(&v);
    ck_assert_int_eq(jfield_id(b, "missing", &id, &v), 0);
    ck_assert_int_eq(jfield_id(b, "one", &id, &v), 1);
    ck_assert_int_eq(id, 1);
    ck_assert_int_eq(jfield_id(b, "big", &id, &v), 1);
    ck_assert_int_eq(id, 9007199254740993LL);
    ck_assert_int_eq(verrs_count(&v), 0);
    verrs_free(&v);
    const char *bad[] = {"zero", "neg", "real", "text", "nul", "bool"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        verrs_init(&v);
        id = 42;
        ck_assert_int_eq(jfield_id(b, bad[i], &id, &v), -1);
        ck_assert_int_eq(id, 42);
        assert_only_error(&v, bad[i], "must be a positive whole number");
        verrs_free(&v);
    }
    json_decref(b);
}
END_TEST

START_TEST(bool_is_true_or_false_only)
{
    json_t *b = json_pack("{s:b, s:b, s:i, s:s, s:n}", "t", 1, "f", 0, "one", 1, "text", "true", "nul");
    int out = -7;
    verrs v;
    verrs_init(&v);
    ck_assert_int_eq(jfield_bool(b, "missing", &out, &v), 0);
    ck_assert_int_eq(out, -7);
    ck_assert_int_eq(jfield_bool(b, "t", &out, &v), 1);
    ck_assert_int_eq(out, 1);
    ck_assert_int_eq(jfield_bool(b, "f", &out, &v), 1);
    ck_assert_int_eq(out, 0);
    ck_assert_int_eq(verrs_count(&v), 0);
    verrs_free(&v);
    const char *bad[] = {"one", "text", "nul"};
    for (size_t i = 0; i < 3; i++) {
        verrs_init(&v);
        ck_assert_int_eq(jfield_bool(b, bad[i], &out, &v), -1);
        assert_only_error(&v, bad[i], "must be true or false");
        verrs_free(&v);
    }
    json_decref(b);
}
END_TEST

START_TEST(date_is_a_real_calendar_day)
{
    json_t *b = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:n}", "ok", "2026-06-30", "leap", "2024-02-29",
                          "feb30", "2026-02-30", "noleap", "2026-02-29", "short", "2026-6-3", "time",
                          "2026-06-30T00:00:00Z", "num", 20260630, "nul");
    char out[11] = "unchanged";
    verrs v;
    verrs_init(&v);
    ck_assert_int_eq(jfield_date(b, "missing", out, &v), 0);
    ck_assert_str_eq(out, "unchanged");
    ck_assert_int_eq(jfield_date(b, "ok", out, &v), 1);
    ck_assert_str_eq(out, "2026-06-30");
    ck_assert_int_eq(jfield_date(b, "leap", out, &v), 1);
    ck_assert_str_eq(out, "2024-02-29");
    ck_assert_int_eq(verrs_count(&v), 0);
    verrs_free(&v);
    const char *bad[] = {"feb30", "noleap", "short", "time", "num", "nul"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        verrs_init(&v);
        ck_assert_int_eq(jfield_date(b, bad[i], out, &v), -1);
        assert_only_error(&v, bad[i], "must be a date written YYYY-MM-DD");
        verrs_free(&v);
    }
    json_decref(b);
}
END_TEST

START_TEST(nullable_date_takes_null)
{
    json_t *b = json_pack("{s:n, s:s, s:s}", "nul", "ok", "2026-01-31", "bad", "31/01/2026");
    char out[11] = "unchanged";
    verrs v;
    verrs_init(&v);
    ck_assert_int_eq(jfield_nullable_date(b, "missing", out, &v), 0);
    ck_assert_int_eq(jfield_nullable_date(b, "nul", out, &v), 2);
    ck_assert_str_eq(out, "unchanged");
    ck_assert_int_eq(jfield_nullable_date(b, "ok", out, &v), 1);
    ck_assert_str_eq(out, "2026-01-31");
    ck_assert_int_eq(verrs_count(&v), 0);
    ck_assert_int_eq(jfield_nullable_date(b, "bad", out, &v), -1);
    assert_only_error(&v, "bad", "must be a date written YYYY-MM-DD");
    verrs_free(&v);
    json_decref(b);
}
END_TEST

START_TEST(unknown_fields_are_each_refused)
{
    json_t *b = json_pack("{s:i, s:i, s:i}", "code", 1, "extra", 2, "other", 3);
    static const char *const allowed[] = {"code", "name", NULL};
    verrs v;
    verrs_init(&v);
    json_refuse_unknown(b, allowed, &v);
    ck_assert_int_eq(verrs_count(&v), 2);
    int extra = 0, other = 0;
    for (size_t i = 0; i < 2; i++) {
        json_t *e = json_array_get(v.list, i);
        const char *f = json_string_value(json_object_get(e, "field"));
        ck_assert_str_eq(json_string_value(json_object_get(e, "message")), "is not a field of this resource");
        extra += strcmp(f, "extra") == 0;
        other += strcmp(f, "other") == 0;
    }
    ck_assert_int_eq(extra, 1);
    ck_assert_int_eq(other, 1);
    verrs_free(&v);
    json_decref(b);
}
END_TEST

Suite *jfield_suite(void)
{
    Suite *s = suite_create("jfield");
    TCase *t = tcase_create("jfield");
    tcase_add_test(t, string_absent_valid_and_lengths_in_characters);
    tcase_add_test(t, string_refuses_other_types_and_nul);
    tcase_add_test(t, string_length_counts_lead_bytes_of_invalid_utf8);
    tcase_add_test(t, id_is_a_positive_integer);
    tcase_add_test(t, bool_is_true_or_false_only);
    tcase_add_test(t, date_is_a_real_calendar_day);
    tcase_add_test(t, nullable_date_takes_null);
    tcase_add_test(t, unknown_fields_are_each_refused);
    suite_add_tcase(s, t);
    return s;
}
