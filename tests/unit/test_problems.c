/* The message catalogue (bdhvs/problems.h) and the one code validator (code_rule in
 * bdhvs/jsonx.h): templates filled from params, unknown codes, cutting on a character boundary,
 * and each kind of code against the pattern openapi.yaml pins for it. */
#include "tests.h"
#include "bdhvs/jsonx.h"
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

Suite *problems_suite(void)
{
    Suite *s = suite_create("problems");
    TCase *t = tcase_create("problems");
    tcase_add_test(t, templates_take_strings_and_whole_numbers_from_params);
    tcase_add_test(t, an_unknown_code_renders_as_itself_and_a_long_value_is_cut_on_a_character);
    tcase_add_test(t, each_kind_of_code_keeps_its_openapi_pattern);
    tcase_add_test(t, jfield_code_adds_the_rules_problem_once);
    suite_add_tcase(s, t);
    return s;
}
