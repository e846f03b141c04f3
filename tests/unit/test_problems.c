/* The message catalogue (bdhvs/problems.h) and the one code validator (code_rule in
 * bdhvs/jsonx.h): templates filled from params, unknown codes, cutting on a character boundary,
 * and each kind of code against the pattern openapi.yaml pins for it. */
#include "tests.h"
#include "bdhvs/jsonx.h"
#include "bdhvs/http_text.h"
#include "bdhvs/problems.h"

#include <string.h>

static const char *render(const char *code, const char *params_json)
{
    static char out[200];
    json_t *p = params_json ? json_loads(params_json, 0, NULL) : NULL;
    problem_render(PROBLEM_EN, code, p, out, sizeof out);
    json_decref(p);
    return out;
}

START_TEST(templates_take_strings_and_whole_numbers_from_params)
{
    ck_assert_str_eq(render("job_group_inactive", "{\"value\": \"nures\"}"),
                     "\"nures\" is not an active job group code (see /api/v1/job-groups)");
    ck_assert_str_eq(render("repeated_code", "{\"first\": 2}"), "appears more than once in this load (first at row 2)");
    ck_assert_str_eq(render("code_opaque", "{\"min\": 1, \"max\": 32}"),
                     "may hold only letters A-Z, digits, '.', '_' and '-' (1 to 32)");
    ck_assert_str_eq(render("count_above_served", "{\"total\": 12, \"service\": \"vneid\", \"month\": \"2026-05\","
                                                  " \"served\": 10, \"unit\": \"24001\"}"),
                     "12 people supported with vneid in 2026-05 (all target groups) are more than the 10 patients"
                     " served by 24001 that month");
    /* A value not given renders empty; no params at all is fine for a message without values. */
    ck_assert_str_eq(render("unit_closed", "{}"), "unit  is closed");
    ck_assert_str_eq(render("left_before_joined", NULL), "is before joined_on");
    ck_assert(problem_known("joined_after_left"));
}
END_TEST

START_TEST(an_unknown_code_renders_as_itself_and_a_long_value_is_cut_on_a_character)
{
    ck_assert(!problem_known("no_such_problem"));
    ck_assert_str_eq(render("no_such_problem", "{\"value\": \"x\"}"), "no_such_problem");
    char out[12];
    json_t *p = json_pack("{s:s}", "value", "ệệệệệệ"); /* 3 bytes each */
    problem_render(PROBLEM_EN, "skill_inactive", p, out, sizeof out);
    json_decref(p);
    ck_assert_str_eq(out, "\"ệệệ"); /* 1 + 9 bytes; a fourth would not fit in 11 */
}
END_TEST

START_TEST(each_kind_of_code_keeps_its_openapi_pattern)
{
    /* UnitCode ^[A-Za-z0-9._-]{1,32}$, StaffCode ^[A-Za-z0-9._-]{1,40}$ */
    ck_assert(code_ok(&CODE_UNIT, "24001") && code_ok(&CODE_UNIT, "TTYT-SD.a_1") && code_ok(&CODE_UNIT, "x"));
    ck_assert(!code_ok(&CODE_UNIT, "") && !code_ok(&CODE_UNIT, "TYT AN") && !code_ok(&CODE_UNIT, "Trạm"));
    ck_assert(code_ok(&CODE_UNIT, "12345678901234567890123456789012"));
    ck_assert(!code_ok(&CODE_UNIT, "123456789012345678901234567890123"));
    ck_assert(code_ok(&CODE_STAFF, "123456789012345678901234567890123"));
    ck_assert(code_ok(&CODE_STAFF, "1234567890123456789012345678901234567890"));
    ck_assert(!code_ok(&CODE_STAFF, "12345678901234567890123456789012345678901"));
    ck_assert(!code_ok(&CODE_STAFF, "NV/01") && !code_ok(&CODE_STAFF, "NV,01"));
    /* RefCode ^[a-z][a-z0-9_]{1,39}$ */
    ck_assert(code_ok(&CODE_REF, "nurse") && code_ok(&CODE_REF, "village_health_worker") && code_ok(&CODE_REF, "a1"));
    ck_assert(!code_ok(&CODE_REF, "a") && !code_ok(&CODE_REF, "1abc") && !code_ok(&CODE_REF, "_ab"));
    ck_assert(!code_ok(&CODE_REF, "Nurse") && !code_ok(&CODE_REF, "a-b") && !code_ok(&CODE_REF, "a.b"));
    ck_assert(code_ok(&CODE_REF, "a123456789012345678901234567890123456789"));
    ck_assert(!code_ok(&CODE_REF, "a1234567890123456789012345678901234567890"));
    /* The characters alone (a load checks the length on its own). */
    ck_assert(code_chars_ok(&CODE_STAFF, "NV-001.a_Z") && !code_chars_ok(&CODE_STAFF, "NV 001"));
}
END_TEST

START_TEST(jfield_code_adds_the_rules_problem_once)
{
    json_t *body = json_pack("{s:s, s:s, s:i}", "good", "NV-01", "bad", "NV 01", "num", 5);
    verrs v;
    verrs_init(&v);
    const char *out = "unset";
    ck_assert_int_eq(jfield_code(body, "good", &CODE_STAFF, &out, &v), 1);
    ck_assert_str_eq(out, "NV-01");
    ck_assert_int_eq(jfield_code(body, "absent", &CODE_STAFF, &out, &v), 0);
    ck_assert_int_eq(jfield_code(body, "bad", &CODE_STAFF, &out, &v), -1);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(jfield_code(body, "num", &CODE_STAFF, &out, &v), -1);
    ck_assert_int_eq(verrs_count(&v), 2);
    json_t *e = json_array_get(v.list, 0);
    ck_assert_str_eq(json_string_value(json_object_get(e, "field")), "bad");
    ck_assert_str_eq(json_string_value(json_object_get(e, "message")),
                     "may hold only letters A-Z, digits, '.', '_' and '-' (1 to 40)");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(v.list, 1), "message")), "must be a string");
    verrs_free(&v);
    json_decref(body);
}
END_TEST

/* Issue 13: every message in Vietnamese too, and the language an Accept-Language asks for. */
START_TEST(every_problem_has_a_vietnamese_text_and_accept_language_chooses_it)
{
    ck_assert(problem_catalogue_complete());
    ck_assert(problem_phrases_sorted());
    json_t *p = json_pack("{s:s}", "value", "y_ta");
    char out[300];
    problem_render(PROBLEM_VI, "job_group_inactive", p, out, sizeof out);
    json_decref(p);
    ck_assert_str_eq(out, "\"y_ta\" không phải là mã nhóm chức danh đang dùng (xem /api/v1/job-groups)");
    ck_assert_str_eq(problem_phrase(PROBLEM_VI, "Validation failed"), "Dữ liệu không hợp lệ");
    ck_assert_str_eq(problem_phrase(PROBLEM_EN, "Validation failed"), "Validation failed");
    ck_assert_str_eq(problem_phrase(PROBLEM_VI, "no such sentence"), "no such sentence");
    static const struct {
        const char *header;
        problem_lang want;
    } CASES[] = {
        {NULL, PROBLEM_EN},
        {"", PROBLEM_EN},
        {"vi", PROBLEM_VI},
        {"VI-vn", PROBLEM_VI},
        {"vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7", PROBLEM_VI},
        {"en-US,en;q=0.9,vi;q=0.8", PROBLEM_EN},
        {"en;q=0.5, vi", PROBLEM_VI},
        {"vi;q=0.5, en", PROBLEM_EN},
        {"vi, en", PROBLEM_VI},
        {"en, vi", PROBLEM_EN},
        {"vi;q=0", PROBLEM_EN},
        {"vi;q=0.000", PROBLEM_EN},
        {"fr, vi;q=0.1", PROBLEM_VI},
        {"*", PROBLEM_EN},
        {"vie", PROBLEM_EN},
        {"vi;q=2", PROBLEM_EN},
        {"vi;q=abc", PROBLEM_EN},
        {"vi ; q=0.8 , en;q=0.7", PROBLEM_VI},
        {",,;", PROBLEM_EN},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++)
        ck_assert_msg(http_language(CASES[i].header) == CASES[i].want, "Accept-Language: %s", CASES[i].header);
    ck_assert_str_eq(problem_lang_tag(PROBLEM_VI), "vi");
}
END_TEST

/* An error verrs_problem added carries its code to the answer, which renders it in the request's
 * language and drops the code; an error without a code is looked up as a sentence. */
START_TEST(errors_are_rendered_again_in_the_answers_language)
{
    verrs v;
    verrs_init(&v);
    verrs_problem(&v, "joined_on", "date_format", NULL);
    verrs_add(&v, "mode", "must be merge or replace");
    verrs_add(&v, "x", "a sentence the table lacks");
    json_t *vi = json_deep_copy(v.list), *en = json_deep_copy(v.list);
    problem_localize_errors(PROBLEM_VI, vi);
    problem_localize_errors(PROBLEM_EN, en);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(vi, 0), "message")),
                     "phải là ngày viết theo dạng YYYY-MM-DD (năm-tháng-ngày)");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(vi, 1), "message")), "phải là merge hoặc replace");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(vi, 2), "message")), "a sentence the table lacks");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(en, 0), "message")),
                     "must be a date written YYYY-MM-DD");
    for (size_t i = 0; i < 3; i++) {
        ck_assert_uint_eq(json_object_size(json_array_get(vi, i)), 2);
        ck_assert_uint_eq(json_object_size(json_array_get(en, i)), 2);
    }
    json_decref(vi);
    json_decref(en);
    verrs_free(&v);
}
END_TEST

Suite *problems_suite(void)
{
    Suite *s = suite_create("problems");
    TCase *t = tcase_create("problems");
    tcase_add_test(t, templates_take_strings_and_whole_numbers_from_params);
    tcase_add_test(t, an_unknown_code_renders_as_itself_and_a_long_value_is_cut_on_a_character);
    tcase_add_test(t, each_kind_of_code_keeps_its_openapi_pattern);
    tcase_add_test(t, jfield_code_adds_the_rules_problem_once);
    tcase_add_test(t, every_problem_has_a_vietnamese_text_and_accept_language_chooses_it);
    tcase_add_test(t, errors_are_rendered_again_in_the_answers_language);
    suite_add_tcase(s, t);
    return s;
}
