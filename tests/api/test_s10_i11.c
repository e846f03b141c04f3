/* Session 10, issue 11 and 10 leftovers outside the rollup core: indicator definitions written
 * through the API (issue 11 §4), with hand counts of a rollup before and after. */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- definitions (issue 11 §4) ---------------------------------------------------------------- */

static resp *put_definition(const char *code, int year, const char *token, json_t *params)
{
    json_t *b = json_pack("{s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:o}", "plan", "Kế hoạch thử 01/KH-TEST",
                          "numerator", "vi", "Số NVYT có EMR", "en", "Staff with the EMR", "denominator", "vi",
                          "Tổng số NVYT", "en", "Staff", "parameters", params);
    return send_obj("PUT", fmt("/api/v1/indicators/%s/definitions/%d", code, year), token, b);
}

static json_t *definition_of(int year, const char *code)
{
    resp *r = http_get(fmt("/api/v1/indicators/definitions?year=%d", year), T_SYT_VIEWER);
    ASSERT_STATUS(r, 200);
    size_t i;
    json_t *it, *found = NULL;
    json_array_foreach(json_object_get(r->json, "items"), i, it) {
        if (strcmp(json_string_value(json_object_get(it, "code")), code) == 0) found = json_deep_copy(it);
    }
    resp_free(r);
    ck_assert_ptr_nonnull(found);
    return found;
}

/* CT1 of unit u in root's rollup of period is num/den. */
static void assert_ct1(long long root, long long u, const char *period, long long num, long long den)
{
    resp *r = http_get(fmt("/api/v1/indicators/rollup?unit_id=%lld&period=%s&depth=1", root, period), T_ADMIN);
    ASSERT_STATUS(r, 200);
    fig f = figure(r, u, 0);
    resp_free(r);
    ck_assert_msg(f.num == num && f.den == den, "CT1 of %lld in %s: %lld/%lld, want %lld/%lld", u, period, f.num,
                  f.den, num, den);
}

static void staff_at(const char *code, const char *unit_code, const char *job_group)
{
    expect(send_obj("POST", "/api/v1/staff", T_ADMIN,
                    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "code", code, "full_name", "Trần Văn Định Nghĩa",
                              "unit_code", unit_code, "job_group", job_group, "employment", "public_employee",
                              "joined_on", "2024-01-01")),
           201);
}

static void attest_on(const char *staff_code, const char *skill, const char *day)
{
    expect(send_obj("POST", "/api/v1/attestations", T_ADMIN,
                    json_pack("{s:s, s:s, s:s}", "staff_code", staff_code, "skill", skill, "attested_on", day)),
           201);
}

/* Station A (opened 1 January 2024) under health centre H, both under SYT-BN. Its four staff on
 * 31 March 2024, each with the awareness attestation but P4:
 *   P1 nurse, EMR            P2 nurse, e-Hospital
 *   P3 doctor, EMR           P4 nurse, EMR, no awareness
 * 2024 has no definition of its own: the first one (2025, plan 19/KH-TTYT: awareness and any one
 * platform) serves it, so CT1 = P1, P2, P3 = 3/4 at A and at H (no staff of its own).
 * An administrator states a 2024 definition: the EMR is the one platform that counts, and a doctor
 * needs both the EMR and e-prescription. By hand: P1 yes (EMR); P2 no (e-Hospital no longer
 * counts); P3 no (a doctor without e-prescription); P4 no (no awareness) = 1/4. Then P3 gets
 * e-prescription on 2024-03-10: 2/4. 2025 keeps its own definition: 2025-03 stays 3/4 (P3 and P1 and
 * P2), whatever 2024 says. Removing the 2024 definition gives 2024 back to the first one: 3/4. */
START_TEST(a_definition_written_through_the_api_changes_the_rollup_exactly)
{
    const char *u = uniq();
    char hc[40], ac[48];
    snprintf(hc, sizeof hc, "DF-%s", u);
    snprintf(ac, sizeof ac, "%s-A", hc);
    long long h = created_id(send_obj("POST", "/api/v1/units", T_ADMIN,
                                      json_pack("{s:s, s:s, s:s, s:s, s:s}", "code", hc, "name", "TTYT Định Nghĩa",
                                                "type", "health_centre", "parent_code", "SYT-BN", "opened_on",
                                                "2024-01-01")));
    long long a = created_id(send_obj("POST", "/api/v1/units", T_ADMIN,
                                      json_pack("{s:s, s:s, s:s, s:s, s:s}", "code", ac, "name", "TYT Định Nghĩa",
                                                "type", "commune_station", "parent_code", hc, "opened_on",
                                                "2024-01-01")));
    const char *jobs[] = {"nurse", "nurse", "doctor", "nurse"};
    const char *platform[] = {"emr", "e_hospital", "emr", "emr"};
    char p[4][64];
    for (int i = 0; i < 4; i++) {
        snprintf(p[i], sizeof p[i], "%s-P%d", hc, i + 1);
        staff_at(p[i], ac, jobs[i]);
        if (i < 3) attest_on(p[i], "digital_awareness", "2024-02-01");
        attest_on(p[i], platform[i], "2024-02-01");
    }
    assert_ct1(h, a, "2024-03", 3, 4);
    assert_ct1(h, h, "2024-03", 3, 4);
    assert_ct1(h, h, "2025-03", 3, 4);
    json_t *d2025 = definition_of(2025, "CT1");
    json_t *d2024 = definition_of(2024, "CT1");
    ck_assert_int_eq(json_integer_value(json_object_get(d2024, "in_force_from")), 2025);
    json_decref(d2024);

    json_t *rule = json_pack("{s:s, s:{s:[s]}, s:[{s:s, s:[s, s]}]}", "awareness", "digital_awareness", "default",
                             "any_of", "emr", "rules", "job_group", "doctor", "all_of", "emr", "e_prescription");
    resp *r = put_definition("CT1", 2024, T_ADMIN, json_incref(rule));
    ASSERT_STATUS(r, 201);
    char loc[128];
    ck_assert_str_eq(resp_header(r, "Location", loc, sizeof loc), "/api/v1/indicators/CT1/definitions/2024");
    ck_assert_str_eq(jstr(r, "code"), "CT1");
    ck_assert_int_eq(jint(r, "in_force_from"), 2024);
    ck_assert_str_eq(jstr(r, "plan"), "Kế hoạch thử 01/KH-TEST");
    ck_assert(json_equal(json_object_get(r->json, "parameters"), rule));
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'indicator_definition' AND entity_id = $1"
                              " AND action = 'create' AND after -> 'parameters' -> 'default' = '{\"any_of\": [\"emr\"]}'",
                              "CT1/2024"),
                     1);
    /* The year's definitions as read: 2024 its own, 2025 untouched. */
    d2024 = definition_of(2024, "CT1");
    ck_assert_int_eq(json_integer_value(json_object_get(d2024, "in_force_from")), 2024);
    ck_assert(json_equal(json_object_get(d2024, "parameters"), rule));
    json_decref(d2024);
    json_t *again = definition_of(2025, "CT1");
    ck_assert(json_equal(again, d2025));
    json_decref(again);

    assert_ct1(h, a, "2024-03", 1, 4);
    assert_ct1(h, h, "2024-03", 1, 4);
    assert_ct1(h, h, "2025-03", 3, 4);
    attest_on(p[2], "e_prescription", "2024-03-10");
    assert_ct1(h, h, "2024-03", 2, 4);
    assert_ct1(h, h, "2024-02", 1, 4); /* on 29 February P3 had no e-prescription yet */

    /* Replacing it (200): any one of EMR and e-Hospital again, doctors as the rule said: P1, P2, P3. */
    json_t *rule2 = json_pack("{s:s, s:{s:[s, s]}, s:[{s:s, s:[s, s]}]}", "awareness", "digital_awareness", "default",
                              "any_of", "emr", "e_hospital", "rules", "job_group", "doctor", "all_of", "emr",
                              "e_prescription");
    r = put_definition("CT1", 2024, T_ADMIN, rule2);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'indicator_definition' AND entity_id = $1"
                              " AND action = 'update' AND before -> 'parameters' -> 'default' = '{\"any_of\": [\"emr\"]}'",
                              "CT1/2024"),
                     1);
    assert_ct1(h, h, "2024-03", 3, 4);
    assert_ct1(h, h, "2024-02", 2, 4);

    /* Removed: 2024 is the first definition's again (3/4 on 29 February as on 31 March). */
    expect(http_delete("/api/v1/indicators/CT1/definitions/2024", T_ADMIN), 204);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'indicator_definition' AND entity_id = $1"
                              " AND action = 'delete'",
                              "CT1/2024"),
                     1);
    expect(http_delete("/api/v1/indicators/CT1/definitions/2024", T_ADMIN), 404);
    assert_ct1(h, h, "2024-02", 3, 4);
    d2024 = definition_of(2024, "CT1");
    ck_assert_int_eq(json_integer_value(json_object_get(d2024, "in_force_from")), 2025);
    json_decref(d2024);
    json_decref(d2025);
    json_decref(rule);
}
END_TEST

/* 2026 holds approved reports (the demo's): a change of 2026's definition, or of the first one
 * (which also serves 2025 and earlier), answers 409 period-locked naming the earliest approved
 * report and who can unlock it; nothing is written. */
START_TEST(a_definition_of_a_year_with_approved_reports_is_locked)
{
    json_t *before = definition_of(2026, "CT1");
    json_t *params = json_pack("{s:s, s:{s:[s]}, s:[]}", "awareness", "digital_awareness", "default", "any_of", "emr",
                               "rules");
    PGresult *q = PQexec(test_db(), "SELECT u.code || ' for ' || r.period FROM reports r JOIN units u ON u.id = r.unit_id"
                                    " WHERE r.status IN ('approved', 'accepted') AND r.period_end >= date '2026-01-01'"
                                    " ORDER BY r.period_end, u.code LIMIT 1");
    ck_assert_int_eq(PQntuples(q), 1);
    char first[64];
    snprintf(first, sizeof first, "%s", PQgetvalue(q, 0, 0));
    PQclear(q);
    resp *r = put_definition("CT1", 2026, T_ADMIN, json_incref(params));
    ASSERT_STATUS(r, 409);
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:period-locked");
    ck_assert_ptr_nonnull(strstr(jstr(r, "detail"), fmt("The report of %s is ", first)));
    ck_assert_ptr_nonnull(strstr(jstr(r, "detail"), "can unlock it with a reason"));
    resp_free(r);
    /* A new row for 2027 changes 2027 on (no approved report there yet): 201, then removed. */
    r = put_definition("CT5", 2027, T_ADMIN,
                       json_pack("{s:s, s:s}", "skill", "smart_devices", "unit_group", "public_service_unit"));
    ASSERT_STATUS(r, 201);
    resp_free(r);
    expect(http_delete("/api/v1/indicators/CT5/definitions/2027", T_ADMIN), 204);
    /* The first definition of CT2 serves every year: removing it is refused first as the only one. */
    r = http_delete("/api/v1/indicators/CT2/definitions/2025", T_ADMIN);
    ASSERT_STATUS(r, 409);
    ck_assert_str_eq(jstr(r, "detail"), "This is the indicator's only definition: replace it (PUT) instead of removing it.");
    resp_free(r);
    r = http_delete("/api/v1/indicators/CT1/definitions/2026", T_ADMIN);
    ASSERT_STATUS(r, 409);
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:period-locked");
    resp_free(r);
    json_t *after = definition_of(2026, "CT1");
    ck_assert(json_equal(before, after));
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'indicator_definition' AND entity_id = $1",
                              "CT1/2026"),
                     0);
    json_decref(before);
    json_decref(after);
    json_decref(params);
}
END_TEST

/* Each bad part is named, all in one 422 (in Vietnamese when asked); only administrators write;
 * nothing is written. */
START_TEST(a_bad_definition_names_every_bad_field)
{
    long long n = db_count("SELECT count(*) FROM indicator_definitions", NULL);
    json_t *b = json_pack(
        "{s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:i, s:{s:[s, s], s:[]}, s:[{s:s}, {s:s, s:[s]}, {s:s, s:[s]}, i,"
        " {s:s, s:[s], s:s}]}}",
        "plan", "", "numerator", "vi", "Số", "fr", "Nombre", "denominator", "vi", "Tổng", "en", "Staff", "parameters",
        "awareness", "any", "colour", 1, "default", "any_of", "emr", "flying", "all_of", "rules", "job_group", "doctor",
        "job_group", "doctor", "all_of", "emr", "facility_type", "moon", "any_of", "emr", 5, "job_group", "chef",
        "all_of", "emr", "when", "always");
    resp *r = send_obj("PUT", "/api/v1/indicators/CT1/definitions/2024", T_ADMIN, b);
    ASSERT_STATUS(r, 422);
    const char *want[][2] = {
        {"plan", "must not be empty"},
        {"numerator.fr", "is not a field of this resource"},
        {"numerator.en", "is required"},
        {"parameters.colour", "is not a parameter of CT1's rule (it takes awareness, default, rules)"},
        {"parameters.awareness", "must be \"digital_awareness\": CT1 is computed only this way"},
        {"parameters.default", "must hold all_of (every skill listed) or any_of (one of them), not both"},
        {"parameters.rules[0]", "must hold all_of (every skill listed) or any_of (one of them), not both"},
        {"parameters.rules[1]", "has the job group and facility type of rules[0] already"},
        {"parameters.rules[2].facility_type",
         "\"moon\" is not a unit type (department_of_health, office, hospital, health_centre, cdc, ward, unit_office, "
         "commune_station, other)"},
        {"parameters.rules[3]", "must be a JSON object"},
        {"parameters.rules[4].when",
         "is not a parameter of CT1's rule (it takes all_of, any_of, facility_type, job_group)"},
        {"parameters.rules[4].job_group", NULL},
    };
    size_t nw = sizeof want / sizeof want[0];
    ck_assert_msg(nerrors(r) == nw, "%.3000s", r->body);
    for (size_t i = 0; i < nw; i++) {
        ck_assert_str_eq(err_field(r, i), want[i][0]);
        if (want[i][1]) ck_assert_str_eq(err_message(r, i), want[i][1]);
    }
    ck_assert_ptr_nonnull(strstr(err_message(r, nw - 1), "\"chef\" is not an active job group code"));
    resp_free(r);
    /* A skill that is not one; a list that is not distinct; CT4's people; in Vietnamese. */
    r = put_definition("CT1", 2024, T_ADMIN,
                       json_pack("{s:s, s:{s:[s, s]}, s:[{s:s, s:[s, s]}]}", "awareness", "digital_awareness", "default",
                                 "any_of", "emr", "telepathy", "rules", "facility_type", "cdc", "all_of", "emr", "emr"));
    ASSERT_STATUS(r, 422);
    ck_assert_uint_eq(nerrors(r), 2);
    ck_assert_str_eq(err_field(r, 0), "parameters.default.any_of[1]");
    ck_assert_ptr_nonnull(strstr(err_message(r, 0), "\"telepathy\" is not an active skill code"));
    ck_assert_str_eq(err_field(r, 1), "parameters.rules[0].all_of");
    ck_assert_str_eq(err_message(r, 1), "must be a list of one or more distinct skill codes");
    resp_free(r);
    req_opts o = {.token = T_ADMIN,
                  .body = "{\"plan\":\"P\",\"numerator\":{\"vi\":\"a\",\"en\":\"b\"},\"denominator\":{\"vi\":\"a\","
                          "\"en\":\"b\"},\"parameters\":{\"numerator\":\"people_supported\",\"when_not_recorded\":"
                          "\"busiest_service\",\"denominator\":\"patients_served\",\"people\":[\"patients\",\"pets\"]}}",
                  .headers = {"Accept-Language: vi", NULL}};
    r = http_do("PUT", "/api/v1/indicators/CT4/definitions/2024", &o);
    ASSERT_STATUS(r, 422);
    assert_one_error(r, "parameters.people",
                     "phải là danh sách gồm một hoặc nhiều giá trị khác nhau trong patients, relatives, people_served");
    resp_free(r);
    /* The path: no such indicator, no such year; the body missing its parts. */
    r = put_definition("CT9", 2024, T_ADMIN, json_object());
    ASSERT_STATUS(r, 422);
    assert_one_error(r, "code", "must be an indicator code (see /api/v1/indicators)");
    resp_free(r);
    r = put_definition("CT1", 1999, T_ADMIN, json_object());
    ASSERT_STATUS(r, 422);
    ck_assert_str_eq(err_field(r, 0), "year");
    resp_free(r);
    r = send_obj("PUT", "/api/v1/indicators/CT2/definitions/2024", T_ADMIN, json_object());
    ASSERT_STATUS(r, 422);
    ck_assert_uint_eq(nerrors(r), 4);
    ck_assert_str_eq(err_field(r, 0), "plan");
    ck_assert_str_eq(err_field(r, 1), "numerator");
    ck_assert_str_eq(err_field(r, 2), "denominator");
    ck_assert_str_eq(err_field(r, 3), "parameters");
    resp_free(r);
    r = put_definition("CT3", 2024, T_ADMIN, json_pack("[i]", 1));
    ASSERT_STATUS(r, 422);
    assert_one_error(r, "parameters", "must be a JSON object");
    resp_free(r);
    /* Only administrators. */
    json_t *ok = json_pack("{s:s, s:b}", "course", "counts_for_campaign", "vneid", 1);
    r = put_definition("CT2", 2024, T_SYT_MANAGER, json_incref(ok));
    ASSERT_STATUS(r, 403);
    resp_free(r);
    r = http_delete("/api/v1/indicators/CT1/definitions/2025", T_SYT_MANAGER);
    ASSERT_STATUS(r, 403);
    resp_free(r);
    json_decref(ok);
    ck_assert_int_eq(db_count("SELECT count(*) FROM indicator_definitions", NULL), n);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'indicator_definition' AND entity_id LIKE $1",
                              "%/2024"),
                     db_count("SELECT count(*) FROM audit_log WHERE entity = 'indicator_definition' AND entity_id = $1",
                              "CT1/2024"));
}
END_TEST

/* ---- restructuring in the change feed (issue 11 §2, issue 12's feed) --------------------------- */

/* Every item of the feed from cursor on (as token, resources filter or NULL), drained. */
static json_t *feed_from(const char *token, const char *cursor, const char *resources)
{
    json_t *all = json_array();
    char at[128];
    snprintf(at, sizeof at, "%s", cursor);
    for (;;) {
        resp *r = http_get(fmt("/api/v1/changes?limit=50&after=%s%s%s", at, resources ? "&resources=" : "",
                               resources ? resources : ""),
                           token);
        ASSERT_STATUS(r, 200);
        json_array_extend(all, json_object_get(r->json, "items"));
        snprintf(at, sizeof at, "%s", jstr(r, "next_cursor"));
        int more = json_is_true(json_object_get(r->json, "has_more"));
        resp_free(r);
        if (!more) break;
    }
    return all;
}

static void feed_now(const char *token, char *cursor, size_t len)
{
    resp *r = http_get("/api/v1/changes?after=now", token);
    ASSERT_STATUS(r, 200);
    snprintf(cursor, len, "%s", jstr(r, "next_cursor"));
    resp_free(r);
}

/* How many items of resource there are, and the last one. */
static size_t items_of(json_t *items, const char *resource, json_t **last)
{
    size_t i, n = 0;
    json_t *it;
    *last = NULL;
    json_array_foreach(items, i, it) {
        if (strcmp(json_string_value(json_object_get(it, "resource")), resource) != 0) continue;
        n++;
        *last = it;
    }
    return n;
}

/* Under SYT-BN: health centres H1 and H2, station S under H1, stations M1 and M2 under H2. S moves
 * under H2 from 1 February 2026; M1 and M2 merge into a new station N under H2 from 1 March 2026
 * (one staff member of M1 transferred). A follower of the feed sees exactly one unit-moves item
 * (the move, unit S) and one unit-merges item (the merge, unit N), with the records as the API
 * answers them; the Department's manager (above all of them) sees both; Sơn Động's manager (none of
 * these units is below TTYT-SD) neither; the resources filter keeps only what it names. */
START_TEST(moves_and_merges_are_resources_of_the_change_feed)
{
    char admin_at[128], syt_at[128], sd_at[128];
    /* A webhook listening to the restructuring (its receiver need not answer: the outbox is what
     * is checked here; test_s9_hooks.c proves delivery of whatever the outbox holds). */
    resp *r = http_send_json("POST", "/api/v1/webhooks", T_ADMIN,
                             "{\"url\":\"http://127.0.0.1:9/restructured\",\"events\":[\"unit.moved\",\"unit.merged\"],"
                             "\"secret\":\"s10-i11-restructuring-secret\"}");
    ASSERT_STATUS(r, 201);
    long long hook = jint(r, "id");
    resp_free(r);
    feed_now(T_ADMIN, admin_at, sizeof admin_at);
    feed_now(T_SYT_MANAGER, syt_at, sizeof syt_at);
    feed_now(T_SD_MANAGER, sd_at, sizeof sd_at);
    const char *u = uniq();
    const char *suffix[] = {"", "-H2", "-S", "-M1", "-M2", "-N"};
    char code[6][48];
    for (int i = 0; i < 6; i++) snprintf(code[i], sizeof code[i], "RS%s%s", u, suffix[i]);
    const char *h1c = code[0], *h2c = code[1], *sc = code[2], *m1c = code[3], *nc = code[5];
    long long h1 = unit_made(h1c, "health_centre", "SYT-BN"), h2 = unit_made(h2c, "health_centre", "SYT-BN");
    long long s = unit_made(sc, "commune_station", h1c);
    long long m1 = unit_made(m1c, "commune_station", h2c), m2 = unit_made(code[4], "commune_station", h2c);
    staff_at(fmt("%s-P1", m1c), m1c, "nurse");

    r = send_obj("POST", fmt("/api/v1/units/%lld/moves", s), T_ADMIN,
                       json_pack("{s:I, s:s, s:s}", "parent_id", (json_int_t)h2, "effective_on", "2026-02-01", "note",
                                 "Quyết định sáp nhập 01/QĐ"));
    ASSERT_STATUS(r, 201);
    long long move_id = jint(r, "id");
    resp_free(r);
    r = send_obj("POST", "/api/v1/units/merges", T_ADMIN,
                 json_pack("{s:[I,I], s:{s:s, s:s, s:s, s:s}, s:s}", "unit_ids", (json_int_t)m1, (json_int_t)m2, "into",
                           "code", nc, "name", "Trạm Y tế xã hợp nhất", "type", "commune_station", "parent_code", h2c,
                           "effective_on", "2026-03-01"));
    ASSERT_STATUS(r, 201);
    long long merge_id = jint(r, "id"), n = jint(r, "into_id");
    json_t *merge_answer = json_incref(r->json);
    resp_free(r);

    json_t *items = feed_from(T_ADMIN, admin_at, NULL), *it;
    ck_assert_uint_eq(items_of(items, "unit-moves", &it), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(it, "id")), move_id);
    ck_assert_str_eq(json_string_value(json_object_get(it, "op")), "upsert");
    ck_assert_int_eq(json_integer_value(json_object_get(it, "unit_id")), s);
    json_t *d = json_object_get(it, "data");
    ck_assert_int_eq(json_integer_value(json_object_get(d, "from_parent_id")), h1);
    ck_assert_int_eq(json_integer_value(json_object_get(d, "parent_id")), h2);
    ck_assert_str_eq(json_string_value(json_object_get(d, "effective_on")), "2026-02-01");
    ck_assert_str_eq(json_string_value(json_object_get(d, "unit_code")), sc);
    /* The same record as the unit's list of moves answers it. */
    r = http_get(fmt("/api/v1/units/%lld/moves", s), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert(json_equal(json_array_get(json_object_get(r->json, "items"), 0), d));
    resp_free(r);
    ck_assert_uint_eq(items_of(items, "unit-merges", &it), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(it, "id")), merge_id);
    ck_assert_int_eq(json_integer_value(json_object_get(it, "unit_id")), n);
    ck_assert(json_equal(json_object_get(it, "data"), merge_answer));
    d = json_object_get(it, "data");
    ck_assert_str_eq(json_string_value(json_object_get(d, "closed_on")), "2026-02-28");
    ck_assert_int_eq(json_integer_value(json_object_get(d, "staff_transferred")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(d, "merged"), 1), "id")), m2);
    json_decref(items);

    items = feed_from(T_ADMIN, admin_at, "unit-moves");
    ck_assert_uint_eq(json_array_size(items), 1);
    ck_assert_uint_eq(items_of(items, "unit-moves", &it), 1);
    json_decref(items);
    items = feed_from(T_SYT_MANAGER, syt_at, "unit-moves,unit-merges");
    ck_assert_uint_eq(json_array_size(items), 2);
    ck_assert_uint_eq(items_of(items, "unit-moves", &it), 1);
    ck_assert_uint_eq(items_of(items, "unit-merges", &it), 1);
    json_decref(items);
    items = feed_from(T_SD_MANAGER, sd_at, NULL);
    ck_assert_uint_eq(items_of(items, "unit-moves", &it), 0);
    ck_assert_uint_eq(items_of(items, "unit-merges", &it), 0);
    json_decref(items);

    /* The outbox: one unit.moved event for S, one unit.merged for N, each with the record as the
     * feed has it, one delivery each to the webhook. */
    ck_assert_int_eq(db_count2("SELECT count(*) FROM webhook_events e WHERE e.type = 'unit.moved' AND e.unit_id = $1::bigint"
                               " AND (e.body::jsonb -> 'data' ->> 'id')::bigint = $2::bigint"
                               " AND e.body::jsonb -> 'data' ->> 'effective_on' = '2026-02-01'",
                               idstr(s), fmt("%lld", move_id)),
                     1);
    char *merged = json_dumps(merge_answer, JSON_COMPACT);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM webhook_events e WHERE e.type = 'unit.merged' AND e.unit_id = $1::bigint"
                               " AND e.body::jsonb -> 'data' = $2::jsonb",
                               idstr(n), merged),
                     1);
    free(merged);
    ck_assert_int_eq(db_count("SELECT count(*) FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id"
                              " WHERE d.webhook_id = $1::bigint",
                              idstr(hook)),
                     2);
    /* Kept, inactive (no more events): scripts/test's webhook restart step starts a server with
     * BDHVS_WEBHOOK_SECRET_FILE set, which seals this secret (the JWT secret's key) again. */
    r = http_send_json("PATCH", fmt("/api/v1/webhooks/%lld", hook), T_ADMIN, "{\"active\":false}");
    ASSERT_STATUS(r, 200);
    resp_free(r);
    json_decref(merge_answer);
}
END_TEST

/* ---- what waits for a level: the approver office's status, acceptance on the period's tree ---- */

/* GET /reporting-status of unit for period as token: the status and, for a 200, the expected
 * count and the items' unit codes in order (separated by spaces). */
static long status_of(const char *token, long long unit, const char *period, long long *expected, char *codes,
                      size_t len)
{
    resp *r = http_get(fmt("/api/v1/reporting-status?unit_id=%lld&period=%s", unit, period), token);
    long st = r->status;
    codes[0] = '\0';
    *expected = -1;
    if (st == 200) {
        *expected = json_integer_value(json_object_get(json_object_get(r->json, "summary"), "expected"));
        size_t i, n = 0;
        json_t *it;
        json_array_foreach(json_object_get(r->json, "items"), i, it) {
            n += (size_t)snprintf(codes + n, len - n, "%s%s", n ? " " : "",
                                  json_string_value(json_object_get(it, "unit_code")));
        }
    }
    resp_free(r);
    return st;
}

/* The codes GET /reports?awaiting=what&period= lists for token, in unit code order. */
static void awaiting_codes(const char *token, const char *what, const char *period, const char *under, char *codes,
                           size_t len)
{
    resp *r = http_get(fmt("/api/v1/reports?awaiting=%s&period=%s&sort=unit_code%s", what, period, under), token);
    ASSERT_STATUS(r, 200);
    size_t i, n = 0;
    json_t *it;
    codes[0] = '\0';
    json_array_foreach(json_object_get(r->json, "items"), i, it) {
        n += (size_t)snprintf(codes + n, len - n, "%s%s", n ? " " : "", json_string_value(json_object_get(it, "unit_code")));
    }
    resp_free(r);
}

static void report_step(long long unit, const char *period, const char *action, const char *token)
{
    const char *path = fmt("/api/v1/reports/%lld/%s", unit, period);
    resp *r = action == NULL ? http_send_json("PUT", path, token, "{\"values\":{\"s1_documents_count\":3}}")
                             : http_do("POST", fmt("%s/%s", path, action), &(req_opts){.token = token});
    ck_assert_msg(r->status == 200 || r->status == 201, "%s %s: %ld %s", path, action ? action : "PUT", r->status,
                  r->body);
    resp_free(r);
}

/* A Department R with a health centre T; T's planning office Q approves the reports of T's stations
 * K1 and K2 (T's obligation names it); T's ward W has an obligation of its own that names no
 * approver (T approves it); Q is exempt. A second Department R2 with a health centre T2.
 * GET /reporting-status of T for last month:
 *   R's manager (T in their subtree): K1, K2, W, 3 expected;
 *   Q's manager (T is not below Q, but Q approves K1's and K2's reports): K1, K2, 2 expected, W
 *     not shown (Q does not sign it);
 *   Q's reporter (signs nothing), K1's manager (approves nothing): 404, as before.
 * Then Q approves K1's report, and K1 moves under T2 from the first day of this month (after the
 * period): on the period's tree K1 is still T's, so R (the level T reports to) has K1's report to
 * accept, and R2 (T2's level, today's tree) has nothing; T's status for the period still lists K1. */
START_TEST(the_approver_office_sees_its_status_and_acceptance_follows_the_period_tree)
{
    PGresult *q = PQexec(test_db(), "SELECT to_char(vn_today() - interval '1 month', 'YYYY-MM'),"
                                    " date_trunc('month', vn_today())::date::text");
    ck_assert_int_eq(PQresultStatus(q), PGRES_TUPLES_OK);
    char p1[16], first_day[11];
    snprintf(p1, sizeof p1, "%s", PQgetvalue(q, 0, 0));
    snprintf(first_day, sizeof first_day, "%s", PQgetvalue(q, 0, 1));
    PQclear(q);
    const char *u = uniq();
    const char *suffix[] = {"", "-T", "-TQ", "-K1", "-K2", "-W", "-R2", "-T2"};
    char code[8][48];
    for (int i = 0; i < 8; i++) snprintf(code[i], sizeof code[i], "AW%s%s", u, suffix[i]);
    long long r = unit_made(code[0], "department_of_health", NULL), t = unit_made(code[1], "health_centre", code[0]);
    unit_made(code[2], "office", code[1]);
    long long k1 = unit_made(code[3], "commune_station", code[1]);
    unit_made(code[4], "commune_station", code[1]);
    long long w = unit_made(code[5], "ward", code[1]);
    long long r2 = unit_made(code[6], "department_of_health", NULL), t2 = unit_made(code[7], "health_centre", code[6]);
    oblige(r, "\"target\":\"all_children\",\"calendar\":{\"month\":{\"due_day\":28}}");
    oblige(r2, "\"target\":\"all_children\",\"calendar\":{\"month\":{\"due_day\":28}}");
    oblige(t, "\"target\":\"unit_type\",\"unit_type\":\"office\",\"exempt\":true");
    oblige(t, fmt("\"target\":\"child\",\"child_id\":%lld,\"calendar\":{\"month\":{\"due_day\":20}}", w));
    oblige(t, fmt("\"target\":\"all_children\",\"calendar\":{\"month\":{\"due_day\":20}},\"approver_unit_code\":\"%s\"",
                  code[2]));
    oblige(t2, "\"target\":\"all_children\",\"calendar\":{\"month\":{\"due_day\":20}}");
    char *r_mgr = user_token_at("aw", "manager", code[0]), *r2_mgr = user_token_at("aw", "manager", code[6]);
    char *q_mgr = user_token_at("aw", "manager", code[2]), *q_rep = user_token_at("aw", "reporter", code[2]);
    char *k1_mgr = user_token_at("aw", "manager", code[3]);

    long long expected;
    char got[200];
    ck_assert_int_eq(status_of(r_mgr, t, p1, &expected, got, sizeof got), 200);
    ck_assert_int_eq(expected, 3);
    ck_assert_str_eq(got, fmt("%s %s %s", code[3], code[4], code[5]));
    ck_assert_int_eq(status_of(q_mgr, t, p1, &expected, got, sizeof got), 200);
    ck_assert_int_eq(expected, 2);
    ck_assert_str_eq(got, fmt("%s %s", code[3], code[4]));
    ck_assert_int_eq(status_of(q_rep, t, p1, &expected, got, sizeof got), 404);
    ck_assert_int_eq(status_of(k1_mgr, t, p1, &expected, got, sizeof got), 404);
    ck_assert_int_eq(status_of(q_mgr, r, p1, &expected, got, sizeof got), 404); /* Q signs nothing of R's children */

    /* K1 submitted, approved by the office; then moved under T2 after the period. */
    report_step(k1, p1, NULL, T_ADMIN);
    report_step(k1, p1, "submit", T_ADMIN);
    ck_assert_int_eq(status_of(q_mgr, t, p1, &expected, got, sizeof got), 200);
    ck_assert_int_eq(expected, 2);
    awaiting_codes(q_mgr, "approval", p1, "", got, sizeof got);
    ck_assert_str_eq(got, code[3]);
    report_step(k1, p1, "approve", q_mgr);
    resp *m = send_obj("POST", fmt("/api/v1/units/%lld/moves", k1), T_ADMIN,
                       json_pack("{s:I, s:s}", "parent_id", (json_int_t)t2, "effective_on", first_day));
    ASSERT_STATUS(m, 201);
    resp_free(m);
    awaiting_codes(r_mgr, "acceptance", p1, "", got, sizeof got);
    ck_assert_str_eq(got, code[3]);
    awaiting_codes(r2_mgr, "acceptance", p1, "", got, sizeof got);
    ck_assert_str_eq(got, "");
    awaiting_codes(T_ADMIN, "acceptance", p1, fmt("&unit_id=%lld", k1), got, sizeof got);
    ck_assert_str_eq(got, code[3]);
    /* R2's manager (today's tree has K1 under T2, below R2) may not accept it: R accepts. */
    resp *no = http_do("POST", fmt("/api/v1/reports/%lld/%s/accept", k1, p1), &(req_opts){.token = r2_mgr});
    ASSERT_STATUS(no, 403);
    resp_free(no);
    ck_assert_int_eq(status_of(r_mgr, t, p1, &expected, got, sizeof got), 200);
    ck_assert_str_eq(got, fmt("%s %s %s", code[3], code[4], code[5]));
    /* R accepts it. */
    report_step(k1, p1, "accept", r_mgr);
    awaiting_codes(r_mgr, "acceptance", p1, "", got, sizeof got);
    ck_assert_str_eq(got, "");
    free(r_mgr);
    free(r2_mgr);
    free(q_mgr);
    free(q_rep);
    free(k1_mgr);
}
END_TEST

Suite *s10_i11_suite(void)
{
    Suite *s = suite_create("s10_i11");
    TCase *t = tcase_create("definitions");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, a_definition_written_through_the_api_changes_the_rollup_exactly);
    tcase_add_test(t, a_definition_of_a_year_with_approved_reports_is_locked);
    tcase_add_test(t, a_bad_definition_names_every_bad_field);
    suite_add_tcase(s, t);
    t = tcase_create("restructuring");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, moves_and_merges_are_resources_of_the_change_feed);
    tcase_add_test(t, the_approver_office_sees_its_status_and_acceptance_follows_the_period_tree);
    suite_add_tcase(s, t);
    return s;
}
