/* One home for each rule (issue 9, step 1): a single write and a bulk load keep the same rule
 * with the same words, because both call the same check (a SQL function of migration 0015, or
 * the one code validator). Each test breaks one rule both ways and compares the two answers;
 * the differences that stay (a single create answers 409 for a taken code, a load updates) are
 * checked too. */
#include "client.h"
#include "bdhvs/problems.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

/* The only error of a 422 bulk load: row 2, field, message. */
static void assert_load_error(resp *r, const char *field, const char *message)
{
    ASSERT_STATUS(r, 422);
    json_t *errors = json_object_get(r->json, "errors");
    ck_assert_msg(json_array_size(errors) == 1, "%s", r->body);
    json_t *e = json_array_get(errors, 0);
    ck_assert_int_eq(json_integer_value(json_object_get(e, "row")), 2);
    ck_assert_str_eq(json_string_value(json_object_get(e, "field")), field);
    ck_assert_msg(message_is(json_string_value(json_object_get(e, "message")), message), "%s", r->body);
    resp_free(r);
}

static void assert_single_error(resp *r, const char *field, const char *message)
{
    assert_one_error(r, field, message);
    resp_free(r);
}

static json_t *staff_obj(const char *code, const char *unit, const char *job_group, const char *joined, const char *left)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "code", code, "full_name", "Phạm Quy Tắc", "unit_code", unit,
                          "job_group", job_group, "employment", "contract", "joined_on", joined);
    if (left) json_object_set_new(o, "left_on", json_string(left));
    return o;
}

static const char *staff_csv(const char *code, const char *unit, const char *job_group, const char *joined,
                             const char *left)
{
    if (left == NULL)
        return fmt("code,full_name,unit_code,job_group,employment,joined_on\n%s,Phạm Quy Tắc,%s,%s,contract,%s\n", code,
                   unit, job_group, joined);
    return fmt("code,full_name,unit_code,job_group,employment,joined_on,left_on\n%s,Phạm Quy Tắc,%s,%s,contract,%s,%s\n",
               code, unit, job_group, joined, left);
}

START_TEST(an_inactive_job_group_reads_the_same_in_a_create_a_patch_and_a_load)
{
    char unit[64], jg[32], code[48];
    make_test_unit("RU", "Tổ quy tắc", "other", "TYT-ANLAC", unit, sizeof unit);
    snprintf(jg, sizeof jg, "rule_jg_%s", uniq());
    snprintf(code, sizeof code, "RULE-%s", uniq());
    resp *r = http_send_json("PUT", fmt("/api/v1/job-groups/%s", jg), T_ADMIN,
                             "{\"label_vi\":\"Cũ\",\"label_en\":\"Old\",\"active\":false}");
    ASSERT_STATUS(r, 201);
    resp_free(r);
    const char *want = fmt("\"%s\" is not an active job group code (see /api/v1/job-groups)", jg);

    assert_single_error(send_obj("POST", "/api/v1/staff", T_SD_MANAGER, staff_obj(code, unit, jg, "2024-01-01", NULL)),
                        "job_group", want);
    assert_load_error(
        post_csv(fmt("/api/v1/%s/import", "staff"), T_SD_MANAGER, staff_csv(code, unit, jg, "2024-01-01", NULL)),
        "job_group", want);
    long long id = created_id(
        send_obj("POST", "/api/v1/staff", T_SD_MANAGER, staff_obj(code, unit, "nurse", "2024-01-01", NULL)));
    assert_single_error(send_obj("PATCH", fmt("/api/v1/staff/%lld", id), T_SD_MANAGER, json_pack("{s:s}", "job_group", jg)),
                        "job_group", want);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 AND job_group = 'nurse'", code), 1);
}
END_TEST

START_TEST(left_on_before_joined_on_reads_the_same_in_a_create_a_patch_and_a_load)
{
    char unit[64], code[48];
    make_test_unit("RU", "Tổ quy tắc", "other", "TYT-ANLAC", unit, sizeof unit);
    snprintf(code, sizeof code, "RULE-%s", uniq());
    assert_single_error(
        send_obj("POST", "/api/v1/staff", T_SD_MANAGER, staff_obj(code, unit, "nurse", "2024-05-01", "2024-04-30")),
        "left_on", "is before joined_on");
    assert_load_error(post_csv(fmt("/api/v1/%s/import", "staff"), T_SD_MANAGER,
                               staff_csv(code, unit, "nurse", "2024-05-01", "2024-04-30")),
                      "left_on", "is before joined_on");
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1", code), 0);

    /* A stored left_on and a new joined_on after it: the field at fault is joined_on, both ways. */
    long long id = created_id(send_obj("POST", "/api/v1/staff", T_SD_MANAGER,
                                       staff_obj(code, unit, "nurse", "2024-01-01", "2024-06-30")));
    const char *want = "is after the left_on already stored (2024-06-30)";
    assert_single_error(
        send_obj("PATCH", fmt("/api/v1/staff/%lld", id), T_SD_MANAGER, json_pack("{s:s}", "joined_on", "2024-07-01")),
        "joined_on", want);
    assert_load_error(
        post_csv(fmt("/api/v1/%s/import", "staff"), T_SD_MANAGER, staff_csv(code, unit, "nurse", "2024-07-01", NULL)),
        "joined_on", want);
    assert_single_error(
        send_obj("PATCH", fmt("/api/v1/staff/%lld", id), T_SD_MANAGER, json_pack("{s:s}", "left_on", "2023-12-31")),
        "left_on", "is before joined_on");
    ck_assert_int_eq(
        db_count("SELECT count(*) FROM staff WHERE code = $1 AND joined_on = '2024-01-01' AND left_on = '2024-06-30'", code),
        1);
}
END_TEST

START_TEST(a_completion_before_joining_and_an_inactive_skill_read_the_same_both_ways)
{
    char unit[64], code[48], course[48], sk[32];
    make_test_unit("RU", "Tổ quy tắc", "other", "TYT-ANLAC", unit, sizeof unit);
    snprintf(code, sizeof code, "RULE-%s", uniq());
    snprintf(course, sizeof course, "course-v1:RULE+%s", uniq());
    snprintf(sk, sizeof sk, "rule_sk_%s", uniq());
    created_id(send_obj("POST", "/api/v1/staff", T_SD_MANAGER, staff_obj(code, unit, "nurse", "2024-03-01", NULL)));
    created_id(send_obj("POST", "/api/v1/courses", T_ADMIN,
                        json_pack("{s:s, s:s, s:b}", "code", course, "title", "Quy tắc", "counts_for_campaign", 1)));

    const char *want = "is before the staff member joined (2024-03-01)";
    assert_single_error(send_obj("POST", "/api/v1/completions", T_SD_REPORTER,
                                 json_pack("{s:s, s:s, s:s}", "staff_code", code, "course_code", course, "completed_on",
                                           "2024-02-29")),
                        "completed_on", want);
    assert_load_error(post_csv(fmt("/api/v1/%s/import", "completions"), T_SD_REPORTER,
                               fmt("staff_code,course_code,completed_on\n%s,%s,2024-02-29\n", code, course)),
                      "completed_on", want);
    long long cid = created_id(send_obj("POST", "/api/v1/completions", T_SD_REPORTER,
                                        json_pack("{s:s, s:s, s:s}", "staff_code", code, "course_code", course,
                                                  "completed_on", "2024-03-01")));
    assert_single_error(send_obj("PATCH", fmt("/api/v1/completions/%lld", cid), T_SD_REPORTER,
                                 json_pack("{s:s}", "completed_on", "2024-02-01")),
                        "completed_on", want);

    resp *r = http_send_json("PUT", fmt("/api/v1/skills/%s", sk), T_ADMIN,
                             "{\"label_vi\":\"Cũ\",\"label_en\":\"Old\",\"active\":false}");
    ASSERT_STATUS(r, 201);
    resp_free(r);
    const char *skill = fmt("\"%s\" is not an active skill code (see /api/v1/skills)", sk);
    assert_single_error(send_obj("POST", "/api/v1/attestations", T_SD_REPORTER,
                                 json_pack("{s:s, s:s, s:s}", "staff_code", code, "skill", sk, "attested_on", "2025-01-01")),
                        "skill", skill);
    assert_load_error(post_csv(fmt("/api/v1/%s/import", "attestations"), T_SD_REPORTER,
                               fmt("staff_code,skill,attested_on\n%s,%s,2025-01-01\n", code, sk)),
                      "skill", skill);
    ck_assert_int_eq(db_count("SELECT count(*) FROM attestations WHERE skill = $1", sk), 0);
}
END_TEST

START_TEST(one_code_validator_keeps_the_rules_openapi_pins_for_each_kind_of_code)
{
    char unit[64];
    make_test_unit("RU", "Tổ quy tắc", "other", "TYT-ANLAC", unit, sizeof unit);
    /* Staff codes: 1-40 of A-Z a-z 0-9 . _ -, in a create and a load alike. */
    const char *staff = "may hold only letters A-Z, digits, '.', '_' and '-' (1 to 40)";
    assert_single_error(send_obj("POST", "/api/v1/staff", T_SD_MANAGER, staff_obj("NV 01", unit, "nurse", "2024-01-01", NULL)),
                        "code", staff);
    assert_load_error(post_csv(fmt("/api/v1/%s/import", "staff"), T_SD_MANAGER,
                               staff_csv("NV/01", unit, "nurse", "2024-01-01", NULL)),
                      "code", staff);
    /* Unit codes: 1-32 of the same characters. */
    assert_single_error(send_obj("POST", "/api/v1/units", T_SD_MANAGER,
                                 json_pack("{s:s, s:s, s:s, s:s}", "code", "TYT AN", "name", "Trạm", "type", "other",
                                           "parent_code", "TYT-ANLAC")),
                        "code", "may hold only letters A-Z, digits, '.', '_' and '-' (1 to 32)");
    /* Reference codes: 2-40 of a-z 0-9 _, a letter first; another is no such code (404). */
    const char *bad_refs[] = {"Nurse", "1abc", "a", "a-b", NULL};
    for (int i = 0; bad_refs[i]; i++) {
        resp *r = http_send_json("PUT", fmt("/api/v1/job-groups/%s", bad_refs[i]), T_ADMIN,
                                 "{\"label_vi\":\"X\",\"label_en\":\"X\"}");
        ASSERT_STATUS(r, 404);
        ck_assert_str_eq(jstr(r, "detail"), "There is no such code; codes are 2-40 of a-z, 0-9 and _.");
        resp_free(r);
    }
}
END_TEST

START_TEST(a_taken_code_is_409_for_a_single_create_and_an_update_for_a_load)
{
    char unit[64], code[48];
    make_test_unit("RU", "Tổ quy tắc", "other", "TYT-ANLAC", unit, sizeof unit);
    snprintf(code, sizeof code, "RULE-%s", uniq());
    created_id(send_obj("POST", "/api/v1/staff", T_SD_MANAGER, staff_obj(code, unit, "nurse", "2024-01-01", NULL)));
    resp *r = send_obj("POST", "/api/v1/staff", T_SD_MANAGER, staff_obj(code, unit, "doctor", "2024-01-01", NULL));
    ASSERT_STATUS(r, 409);
    resp_free(r);
    r = post_csv(fmt("/api/v1/%s/import", "staff"), T_SD_MANAGER, staff_csv(code, unit, "doctor", "2024-01-01", NULL));
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "updated"), 1);
    ck_assert_int_eq(jint(r, "created"), 0);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 AND job_group = 'doctor'", code), 1);
}
END_TEST

/* Every problem the rule functions of migration 0015 can answer, each branch made to fire once
 * (inactive codes that exist nowhere, dates out of order against a stored staff member), has a
 * message in the catalogue: a rule cannot answer a code the API would show as itself. */
START_TEST(every_problem_the_rule_functions_answer_has_a_catalogue_message)
{
    char code[48];
    snprintf(code, sizeof code, "RULE-%s", uniq());
    long long id = created_id(
        send_obj("POST", "/api/v1/staff", T_SD_MANAGER, staff_obj(code, "TYT-ANLAC", "nurse", "2024-01-01", "2024-06-30")));
    const char *sid = idstr(id);
    const char *sql =
        "SELECT field || ':' || problem, params::text FROM ("
        " SELECT * FROM staff_problems(ARRAY[ROW(2, NULL, 'no_such_jg', 'no_such_emp', '2024-05-01', true, '2024-04-30'),"
        "   ROW(3, $1::bigint, NULL, NULL, '2024-07-01', false, NULL)]::staff_rule_row[])"
        " UNION ALL SELECT * FROM completion_problems(ARRAY[ROW(2, $1::bigint, '2023-12-31')]::completion_rule_row[])"
        " UNION ALL SELECT * FROM attestation_problems(ARRAY[ROW(2, 'no_such_skill')]::attestation_rule_row[])"
        " UNION ALL SELECT * FROM support_count_problems(ARRAY[ROW(2, 'no_such_service', 'no_such_group')]::support_count_rule_row[])"
        ") p ORDER BY 1";
    const char *params[1] = {sid};
    PGresult *r = PQexecParams(test_db(), sql, 1, NULL, params, NULL, NULL, 0);
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s", PQerrorMessage(test_db()));
    static const char *const want[] = {
        "completed_on:completed_before_joined", "employment:employment_inactive", "job_group:job_group_inactive",
        "joined_on:joined_after_left",         "left_on:left_before_joined",     "service:support_service_inactive",
        "skill:skill_inactive",                "target_group:target_group_inactive"};
    ck_assert_int_eq(PQntuples(r), (int)(sizeof want / sizeof want[0]));
    for (int i = 0; i < PQntuples(r); i++) {
        const char *got = PQgetvalue(r, i, 0);
        ck_assert_str_eq(got, want[i]);
        ck_assert_msg(problem_known(strchr(got, ':') + 1), "%s has no message", got);
        ck_assert_msg(PQgetvalue(r, i, 1)[0] == '{', "%s: params %s", got, PQgetvalue(r, i, 1));
    }
    PQclear(r);
}
END_TEST

Suite *s8_rules_suite(void)
{
    Suite *s = suite_create("s8_rules");
    TCase *t = tcase_create("s8_rules");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, an_inactive_job_group_reads_the_same_in_a_create_a_patch_and_a_load);
    tcase_add_test(t, left_on_before_joined_on_reads_the_same_in_a_create_a_patch_and_a_load);
    tcase_add_test(t, a_completion_before_joining_and_an_inactive_skill_read_the_same_both_ways);
    tcase_add_test(t, one_code_validator_keeps_the_rules_openapi_pins_for_each_kind_of_code);
    tcase_add_test(t, a_taken_code_is_409_for_a_single_create_and_an_update_for_a_load);
    tcase_add_test(t, every_problem_the_rule_functions_answer_has_a_catalogue_message);
    suite_add_tcase(s, t);
    return s;
}
