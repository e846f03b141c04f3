/* Issue 10 §4: one consolidated form per unit and period, with no double counting — a unit's
 * form is its own report plus the consolidated forms of the children that report to it,
 * recursively — section 3's rates 1 and 5 computed from the data (read-only, with a comment
 * field), rates 2-4 declared, and the form's wording by plan year. Each test builds its own
 * three-level tree under TTYT-SD (a Department-like unit, a health centre, its stations) so
 * the sums are exact and the tests can run again. */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A unit of this type under parent_code; its code (prefix-unique) goes to code. */
/* A test unit; a Department-like unit or a health centre also obliges all its children to
 * report every period type (issue 10 §1: the form takes the children obliged to report). */
static long long unit_of(const char *prefix, const char *type, const char *parent_code, char code[64])
{
    long long id = make_test_unit(prefix, fmt("Đơn vị %s", prefix), type, parent_code, code, 64);
    if (strcmp(type, "other") == 0 || strcmp(type, "health_centre") == 0) {
        resp *ob = send_obj("POST", "/api/v1/reporting-obligations", T_ADMIN,
                            json_pack("{s:I, s:s, s:s, s:{s:{s:i}, s:{s:i}, s:{s:i}, s:{s:i}}}", "parent_id",
                                      (json_int_t)id, "target", "all_children", "valid_from", "2025-01-01",
                                      "calendar", "month", "due_day", 15, "quarter", "due_day", 10, "half_year",
                                      "due_day", 5, "year", "due_day", 5));
        ck_assert_msg(ob->status == 201, "obligation: %ld %s", ob->status, ob->body);
        resp_free(ob);
    }
    return id;
}

/* The three levels most tests start from: a Department-like unit under TTYT-SD, a health
 * centre under it and a station under that (ids and codes). */
static void three_levels(long long id[3], char code[3][64])
{
    id[0] = unit_of("FD", "other", "TTYT-SD", code[0]);
    id[1] = unit_of("FH", "health_centre", code[0], code[1]);
    id[2] = unit_of("FS1", "commune_station", code[1], code[2]);
}

/* A staff member of unit_code from 1 January 2025 (until left_on, or NULL), with up to two
 * skills attested on attested_on. */
static long long staff_member(const char *unit_code, const char *left_on, const char *const skills[2],
                              const char *attested_on)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "code", fmt("FST-%s", uniq()), "full_name",
                          "Nguyễn Thị Lan", "unit_code", unit_code, "job_group", "nurse", "employment",
                          "public_employee", "joined_on", "2025-01-01");
    if (left_on) json_object_set_new(o, "left_on", json_string(left_on));
    long long sid = created_id(send_obj("POST", "/api/v1/staff", T_SD_MANAGER, o));
    for (int k = 0; k < 2; k++)
        if (skills[k])
            created_id(send_obj("POST", "/api/v1/attestations", T_SD_MANAGER,
                                json_pack("{s:I, s:s, s:s}", "staff_id", (json_int_t)sid, "skill", skills[k],
                                          "attested_on", attested_on)));
    return sid;
}

static resp *put_values(long long unit, const char *period, const char *values)
{
    return http_send_json("PUT", fmt("/api/v1/reports/%lld/%s", unit, period), T_SD_REPORTER,
                          fmt("{\"values\":%s}", values));
}

static void act_ok(const char *token, long long unit, const char *period, const char *action, const char *body)
{
    req_opts o = {.token = token, .body = body};
    resp *r = http_do("POST", fmt("/api/v1/reports/%lld/%s/%s", unit, period, action), &o);
    ck_assert_msg(r->status == 200, "%s of %lld %s: %ld %s", action, unit, period, r->status, r->body);
    resp_free(r);
}

/* A report with these values in the given state: draft, submitted, approved or returned. */
static void report_in(long long unit, const char *period, const char *values, const char *state)
{
    resp *r = put_values(unit, period, values);
    ck_assert_msg(r->status == 201, "PUT %lld %s: %ld %s", unit, period, r->status, r->body);
    resp_free(r);
    if (strcmp(state, "draft") == 0) return;
    act_ok(T_SD_REPORTER, unit, period, "submit", NULL);
    if (strcmp(state, "approved") == 0) act_ok(T_SD_MANAGER, unit, period, "approve", NULL);
    if (strcmp(state, "returned") == 0) act_ok(T_SD_MANAGER, unit, period, "return", "{\"reason\":\"Thiếu mục 2\"}");
}

static resp *form_of(long long unit, const char *period)
{
    resp *r = http_get(fmt("/api/v1/exports/report-form?unit_id=%lld&period=%s", unit, period), T_SD_REPORTER);
    ck_assert_msg(r->status == 200, "form of %lld %s: %ld %s", unit, period, r->status, r->body);
    return r;
}

/* The whole field object of a form with this code. */
static json_t *field(const resp *r, const char *code)
{
    size_t i, j;
    json_t *s, *f;
    json_array_foreach (json_object_get(r->json, "sections"), i, s)
        json_array_foreach (json_object_get(s, "fields"), j, f)
            if (strcmp(json_string_value(json_object_get(f, "code")), code) == 0) return f;
    ck_abort_msg("no field %s", code);
    return NULL;
}

/* A summed field's value, -1 for null. */
static long long total(const resp *r, const char *code)
{
    json_t *v = json_object_get(field(r, code), "value");
    return json_is_null(v) ? -1 : json_integer_value(v);
}

static long long own(const resp *r, const char *code)
{
    json_t *v = json_object_get(field(r, code), "own");
    ck_assert_ptr_nonnull(v);
    return json_is_null(v) ? -1 : json_integer_value(v);
}

/* The consolidated figure of the child with this code in a summed field's by_child; -1 for null. */
static long long child_total(const resp *r, const char *code, const char *child)
{
    size_t i;
    json_t *it;
    json_array_foreach (json_object_get(field(r, code), "by_child"), i, it)
        if (strcmp(json_string_value(json_object_get(it, "unit_code")), child) == 0) {
            json_t *v = json_object_get(it, "value");
            return json_is_null(v) ? -1 : json_integer_value(v);
        }
    ck_abort_msg("no child %s in by_child of %s", child, code);
    return 0;
}

/* The state and counted flag of a unit in the form's reports list. */
static void assert_report_state(const resp *r, const char *unit_code, const char *status, int counted, int depth)
{
    size_t i;
    json_t *it;
    json_array_foreach (json_object_get(r->json, "reports"), i, it)
        if (strcmp(json_string_value(json_object_get(it, "unit_code")), unit_code) == 0) {
            ck_assert_str_eq(json_string_value(json_object_get(it, "status")), status);
            ck_assert_int_eq(json_is_true(json_object_get(it, "counted")), counted);
            ck_assert_int_eq(json_integer_value(json_object_get(it, "depth")), depth);
            return;
        }
    ck_abort_msg("%s is not in the form's reports: %s", unit_code, r->body);
}

/* The reproduction (issue 10 §4): the plans have each level compile what its children sent
 * (the health centre's quality office its wards' and stations' reports, the Department's KHTH
 * office the units'). The old form of a parent was the flat sum of every submitted or approved
 * report of its subtree and offered no compiled figure per child, so the health centre's
 * compiled figure could only travel up as its own report — and the Department's form then
 * added it on top of the stations' reports it was compiled from (1 + 2 + 3 counted as
 * 6 + 2 + 3 = 11). Now a report holds its unit's own activities only, and the Department's form
 * carries the health centre's compiled figure as the health centre's consolidated form, once. */
START_TEST(department_form_takes_a_health_centres_compiled_figure_once)
{
    char dc[64], hc[64], s1[64], s2[64];
    long long d = unit_of("FD", "other", "TTYT-SD", dc);
    long long h = unit_of("FH", "health_centre", dc, hc);
    long long a = unit_of("FS1", "commune_station", hc, s1);
    long long b = unit_of("FS2", "commune_station", hc, s2);
    report_in(a, "2026-06", "{\"s1_documents_count\":2}", "submitted");
    report_in(b, "2026-06", "{\"s1_documents_count\":3}", "submitted");
    report_in(h, "2026-06", "{\"s1_documents_count\":1}", "submitted"); /* its own activities only */

    resp *r = form_of(h, "2026-06");
    ck_assert_int_eq(total(r, "s1_documents_count"), 6); /* the health centre's compiled figure */
    ck_assert_int_eq(own(r, "s1_documents_count"), 1);
    resp_free(r);
    r = form_of(d, "2026-06");
    ck_assert_int_eq(total(r, "s1_documents_count"), 6); /* not 11 */
    ck_assert_int_eq(own(r, "s1_documents_count"), -1);  /* the Department-like unit wrote nothing */
    ck_assert_int_eq(child_total(r, "s1_documents_count", hc), 6);
    ck_assert_uint_eq(json_array_size(json_object_get(field(r, "s1_documents_count"), "by_child")), 1);
    ck_assert_int_eq(jint(r, "reports_included"), 3);
    resp_free(r);
    (void)d;
}
END_TEST

/* Three levels, two periods, every state: exact sums at each level, each report once. */
START_TEST(three_levels_add_up_exactly_at_each_level_over_counted_states)
{
    char dc[64], hc[64], s1[64], s2[64], s3[64], oc[64];
    long long d = unit_of("FD", "other", "TTYT-SD", dc);
    long long h = unit_of("FH", "health_centre", dc, hc);
    long long a = unit_of("FS1", "commune_station", hc, s1);
    long long b = unit_of("FS2", "commune_station", hc, s2);
    long long c = unit_of("FS3", "commune_station", hc, s3);
    long long o = unit_of("FO", "unit_office", hc, oc);
    /* June: the Department-like unit and the health centre report their own activities. */
    report_in(d, "2026-06", "{\"s1_documents_count\":10,\"s5_people_supported\":1000,\"s2_summary\":\"Sở\"}", "draft");
    report_in(h, "2026-06", "{\"s1_documents_count\":1,\"s5_people_supported\":100,\"s2_summary\":\"Trung tâm\"}",
              "submitted"); /* approving it waits for the reports below (issue 10 §2) */
    report_in(a, "2026-06", "{\"s1_documents_count\":2,\"s5_people_supported\":20,\"s2_summary\":\"Trạm 1\"}",
              "submitted");
    report_in(b, "2026-06", "{\"s1_documents_count\":3,\"s5_people_supported\":30}", "approved");
    report_in(c, "2026-06", "{\"s1_documents_count\":400,\"s5_people_supported\":4000}", "draft");    /* not counted */
    report_in(o, "2026-06", "{\"s1_documents_count\":500,\"s5_people_supported\":5000}", "returned"); /* not counted */

    /* A station: its own report. */
    resp *r = form_of(a, "2026-06");
    ck_assert_int_eq(total(r, "s1_documents_count"), 2);
    ck_assert_int_eq(total(r, "s5_people_supported"), 20);
    ck_assert_str_eq(json_string_value(json_object_get(field(r, "s2_summary"), "value")), "Trạm 1");
    ck_assert_int_eq(jint(r, "reports_included"), 1);
    ck_assert_uint_eq(json_array_size(json_object_get(field(r, "s1_documents_count"), "by_child")), 0);
    resp_free(r);
    /* A draft station previews its own form; its parent does not count it. */
    r = form_of(c, "2026-06");
    ck_assert_int_eq(total(r, "s1_documents_count"), 400);
    assert_report_state(r, s3, "draft", 1, 0);
    resp_free(r);

    /* The health centre: own 1 + 2 + 3 (the draft and the returned report are left out). */
    r = form_of(h, "2026-06");
    ck_assert_int_eq(total(r, "s1_documents_count"), 6);
    ck_assert_int_eq(total(r, "s5_people_supported"), 150);
    ck_assert_int_eq(own(r, "s1_documents_count"), 1);
    ck_assert_int_eq(child_total(r, "s1_documents_count", s1), 2);
    ck_assert_int_eq(child_total(r, "s1_documents_count", s2), 3);
    ck_assert_int_eq(child_total(r, "s1_documents_count", s3), -1);
    ck_assert_int_eq(child_total(r, "s1_documents_count", oc), -1);
    ck_assert_int_eq(jint(r, "reports_included"), 3);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "reports")), 5);
    assert_report_state(r, hc, "submitted", 1, 0);
    assert_report_state(r, s1, "submitted", 1, 1);
    assert_report_state(r, s2, "approved", 1, 1);
    assert_report_state(r, s3, "draft", 0, 1);
    assert_report_state(r, oc, "returned", 0, 1);
    /* Listed fields carry each report's state. */
    json_t *list = json_object_get(field(r, "s2_summary"), "value");
    ck_assert_uint_eq(json_array_size(list), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "unit_code")), hc);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "status")), "submitted");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "unit_code")), s1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "status")), "submitted");
    resp_free(r);

    /* The Department-like unit: its own (a draft it previews) + the health centre's 6, once. */
    r = form_of(d, "2026-06");
    ck_assert_int_eq(total(r, "s1_documents_count"), 16);
    ck_assert_int_eq(total(r, "s5_people_supported"), 1150);
    ck_assert_int_eq(own(r, "s1_documents_count"), 10);
    ck_assert_int_eq(child_total(r, "s1_documents_count", hc), 6);
    ck_assert_int_eq(child_total(r, "s5_people_supported", hc), 150);
    ck_assert_int_eq(jint(r, "reports_included"), 4);
    json_t *units = json_object_get(r->json, "units");
    ck_assert_uint_eq(json_array_size(units), 4);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "reports")), 6);
    assert_report_state(r, dc, "draft", 1, 0);
    assert_report_state(r, hc, "submitted", 1, 1);
    assert_report_state(r, s1, "submitted", 1, 2);
    assert_report_state(r, s3, "draft", 0, 2);
    /* value = own + by_child, for every summed field. */
    size_t i, j;
    json_t *sec, *f;
    json_array_foreach (json_object_get(r->json, "sections"), i, sec)
        json_array_foreach (json_object_get(sec, "fields"), j, f) {
            json_t *kids = json_object_get(f, "by_child");
            if (kids == NULL) continue;
            long long sum = json_is_null(json_object_get(f, "own")) ? 0 : json_integer_value(json_object_get(f, "own"));
            size_t k;
            json_t *it;
            json_array_foreach (kids, k, it) sum += json_integer_value(json_object_get(it, "value"));
            json_t *v = json_object_get(f, "value");
            ck_assert_int_eq(json_is_null(v) ? 0 : json_integer_value(v), sum);
        }
    resp_free(r);

    /* July: the health centre's own report is still a draft. Its own form shows it; the
     * Department-like unit's form counts its stations but not its draft. */
    report_in(h, "2026-07", "{\"s1_documents_count\":7}", "draft");
    report_in(a, "2026-07", "{\"s1_documents_count\":11}", "submitted");
    report_in(b, "2026-07", "{\"s1_documents_count\":13}", "submitted");
    r = form_of(h, "2026-07");
    ck_assert_int_eq(total(r, "s1_documents_count"), 31);
    resp_free(r);
    r = form_of(d, "2026-07");
    ck_assert_int_eq(total(r, "s1_documents_count"), 24);
    ck_assert_int_eq(own(r, "s1_documents_count"), -1);
    ck_assert_int_eq(child_total(r, "s1_documents_count", hc), 24);
    assert_report_state(r, dc, "missing", 0, 0);
    assert_report_state(r, hc, "draft", 0, 1);
    ck_assert_int_eq(jint(r, "reports_included"), 2);
    resp_free(r);
    /* Once the health centre submits, its 7 joins once. */
    act_ok(T_SD_REPORTER, h, "2026-07", "submit", NULL);
    r = form_of(d, "2026-07");
    ck_assert_int_eq(total(r, "s1_documents_count"), 31);
    ck_assert_int_eq(child_total(r, "s1_documents_count", hc), 31);
    resp_free(r);
}
END_TEST

/* A child closed before the period does not report in it, so neither it nor anything under it
 * is in the parent's form. */
START_TEST(children_not_expected_in_the_period_are_not_in_the_form)
{
    char dc[64], hc[64], s1[64];
    long long d = unit_of("FD", "other", "TTYT-SD", dc);
    long long h = unit_of("FH", "health_centre", dc, hc);
    long long a = unit_of("FS1", "commune_station", hc, s1);
    report_in(a, "2026-05", "{\"s1_documents_count\":2}", "submitted");
    report_in(h, "2026-05", "{\"s1_documents_count\":1}", "submitted");
    report_in(a, "2026-06", "{\"s1_documents_count\":2}", "submitted"); /* then the station closes */
    resp *r = http_do("DELETE", fmt("/api/v1/units/%lld?closed_on=2026-05-31", a), &(req_opts){.token = T_SD_MANAGER});
    ck_assert_msg(r->status == 204, "closing: %ld %s", r->status, r->body);
    resp_free(r);
    r = form_of(d, "2026-05");
    ck_assert_int_eq(total(r, "s1_documents_count"), 3); /* open in May: counted */
    resp_free(r);
    report_in(h, "2026-06", "{\"s1_documents_count\":1}", "submitted");
    r = form_of(d, "2026-06");
    ck_assert_int_eq(total(r, "s1_documents_count"), 1); /* the old form added the closed station's 2 */
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "reports")), 2); /* the station is not expected */
    resp_free(r);
}
END_TEST

/* Section 3: rate 1 from CT1's awareness part, rate 5 from CT5, over the unit's subtree as the
 * rollup counts it; neither can be written (422, nothing written), both take a comment; rates
 * 2-4 are typed and shown as declared. */
START_TEST(rates_one_and_five_come_from_the_data_and_cannot_be_written)
{
    long long id[3];
    char code[3][64];
    three_levels(id, code);
    long long d = id[0], h = id[1], a = id[2];
    const char *hc = code[1], *s1 = code[2];
    /* Four staff active on 30 June 2026 (one more left in May): two aware, one with smart devices. */
    const char *const both[2] = {"digital_awareness", "smart_devices"}, *const aware[2] = {"digital_awareness", NULL},
                      *const none[2] = {NULL, NULL};
    staff_member(hc, NULL, both, "2026-03-01");
    staff_member(hc, NULL, aware, "2026-03-01");
    staff_member(s1, NULL, none, "2026-03-01");
    staff_member(s1, NULL, none, "2026-03-01");
    staff_member(s1, "2026-05-31", both, "2026-03-01");
    /* Writing a computed rate: 422 naming the field and the comment field; nothing written. */
    resp *r = put_values(h, "2026-06",
                         "{\"s1_documents_count\":1,\"s3_staff_dt_awareness_rate\":95,"
                         "\"s3_workers_dt_knowledge_rate\":90}");
    ck_assert_int_eq(r->status, 422);
    char ct[64];
    ck_assert_str_eq(resp_header(r, "Content-Type", ct, sizeof ct), "application/problem+json");
    ck_assert_uint_eq(nerrors(r), 2);
    ck_assert_int_eq(count_errors(r, "values.s3_staff_dt_awareness_rate",
                                  "is computed from the data (CT1's awareness part) and cannot be written; a comment on"
                                  " it goes in values.s3_staff_dt_awareness_comment"),
                     1);
    ck_assert_int_eq(count_errors(r, "values.s3_workers_dt_knowledge_rate",
                                  "is computed from the data (CT5) and cannot be written; a comment on it goes in"
                                  " values.s3_workers_dt_knowledge_comment"),
                     1);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM reports WHERE unit_id = $1::bigint", idstr(h)), 0);
    /* The comment and the declared rates are typed. */
    report_in(h, "2026-06",
              "{\"s3_staff_dt_awareness_comment\":\"Đã tập huấn toàn bộ khoa khám bệnh\","
              "\"s3_students_skills_rate\":40,\"s3_adults_dt_knowledge_rate\":55.5,"
              "\"s3_vneid_confirmed_rate\":61}",
              "submitted");
    r = put_values(h, "2026-07", "{\"s3_workers_dt_knowledge_rate\":null}"); /* null clears: allowed */
    ck_assert_int_eq(r->status, 201);
    resp_free(r);

    r = form_of(d, "2026-06");
    json_t *f = field(r, "s3_staff_dt_awareness_rate");
    ck_assert_str_eq(json_string_value(json_object_get(f, "source")), "computed");
    ck_assert_double_eq_tol(json_number_value(json_object_get(f, "value")), 50.0, 1e-9); /* 2 of 4 */
    json_t *cp = json_object_get(f, "computed");
    ck_assert_str_eq(json_string_value(json_object_get(cp, "indicator")), "CT1");
    ck_assert_str_eq(json_string_value(json_object_get(cp, "part")), "awareness");
    ck_assert_int_eq(json_integer_value(json_object_get(cp, "numerator")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(cp, "denominator")), 4);
    ck_assert_str_eq(json_string_value(json_object_get(cp, "as_of")), "2026-06-30");
    f = field(r, "s3_workers_dt_knowledge_rate");
    ck_assert_str_eq(json_string_value(json_object_get(f, "source")), "computed");
    ck_assert_double_eq_tol(json_number_value(json_object_get(f, "value")), 25.0, 1e-9); /* 1 of 4 */
    cp = json_object_get(f, "computed");
    ck_assert_str_eq(json_string_value(json_object_get(cp, "indicator")), "CT5");
    ck_assert(json_is_null(json_object_get(cp, "part")));
    ck_assert_int_eq(json_integer_value(json_object_get(cp, "numerator")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(cp, "denominator")), 4);
    /* The same numerator and denominator as the rollup's CT5 for the unit and period. */
    resp *ru = http_get(fmt("/api/v1/indicators/rollup?unit_id=%lld&period=2026-06&depth=0", d), T_SD_REPORTER);
    ASSERT_STATUS(ru, 200);
    json_t *inds = json_object_get(json_array_get(json_object_get(ru->json, "units"), 0), "indicators");
    json_t *ct5 = json_array_get(inds, 4);
    ck_assert_str_eq(json_string_value(json_object_get(ct5, "code")), "CT5");
    ck_assert_int_eq(json_integer_value(json_object_get(ct5, "numerator")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(ct5, "denominator")), 4);
    resp_free(ru);
    /* Declared rates: typed, listed per unit as before, labelled declared. */
    f = field(r, "s3_students_skills_rate");
    ck_assert_str_eq(json_string_value(json_object_get(f, "source")), "declared");
    ck_assert_double_eq_tol(json_number_value(json_object_get(json_array_get(json_object_get(f, "value"), 0), "value")),
                            40, 1e-9);
    ck_assert_str_eq(json_string_value(json_object_get(field(r, "s3_vneid_confirmed_rate"), "source")), "declared");
    ck_assert_str_eq(json_string_value(json_object_get(field(r, "s1_documents_count"), "source")), "typed");
    json_t *cm = json_object_get(field(r, "s3_staff_dt_awareness_comment"), "value");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(cm, 0), "value")),
                     "Đã tập huấn toàn bộ khoa khám bệnh");
    resp_free(r);
    /* The health centre's own form: 2 of 4 too (its station's staff are in its subtree). A
     * station: 0 of 2. */
    r = form_of(h, "2026-06");
    ck_assert_double_eq_tol(json_number_value(json_object_get(field(r, "s3_staff_dt_awareness_rate"), "value")), 50.0,
                            1e-9);
    cm = json_array_get(json_object_get(field(r, "s3_staff_dt_awareness_comment"), "value"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(cm, "unit_code")), hc);
    ck_assert_str_eq(json_string_value(json_object_get(cm, "status")), "submitted");
    resp_free(r);
    r = form_of(a, "2026-06");
    ck_assert_double_eq_tol(json_number_value(json_object_get(field(r, "s3_staff_dt_awareness_rate"), "value")), 0.0,
                            1e-9);
    ck_assert_int_eq(json_integer_value(json_object_get(
                         json_object_get(field(r, "s3_staff_dt_awareness_rate"), "computed"), "denominator")),
                     2);
    resp_free(r);
    /* The field list says where each value comes from. */
    r = http_get("/api/v1/report-fields?limit=100", T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    size_t i;
    json_t *it;
    int seen = 0;
    json_array_foreach (json_object_get(r->json, "items"), i, it) {
        const char *fc = json_string_value(json_object_get(it, "code"));
        if (strcmp(fc, "s3_staff_dt_awareness_rate") == 0) {
            ck_assert_str_eq(json_string_value(json_object_get(it, "computed_from")), "CT1.awareness");
            ck_assert_str_eq(json_string_value(json_object_get(it, "comment_field")), "s3_staff_dt_awareness_comment");
            seen++;
        } else if (strcmp(fc, "s3_workers_dt_knowledge_rate") == 0) {
            ck_assert_str_eq(json_string_value(json_object_get(it, "computed_from")), "CT5");
            seen++;
        } else if (strcmp(fc, "s3_adults_dt_knowledge_rate") == 0) {
            ck_assert_str_eq(json_string_value(json_object_get(it, "source")), "declared");
            ck_assert(json_is_null(json_object_get(it, "computed_from")));
            seen++;
        }
    }
    ck_assert_int_eq(seen, 3);
    resp_free(r);
}
END_TEST

/* The form's wording is the version in force on the period's first day (by plan year). */
/* Rate 1's numerator and denominator of unit for period: {numerator, denominator}. */
static void rate_one(long long unit, const char *period, long long out[2])
{
    resp *r = form_of(unit, period);
    json_t *cp = json_object_get(field(r, "s3_staff_dt_awareness_rate"), "computed");
    out[0] = json_integer_value(json_object_get(cp, "numerator"));
    out[1] = json_integer_value(json_object_get(cp, "denominator"));
    resp_free(r);
}

/* Rate 1 counts people where they were on the as-of day, as the rollup does: a transfer keeps the
 * past (the aware nurse still counts at the station in June) and moves the future. */
START_TEST(rate_one_follows_staff_transfers)
{
    long long id[3];
    char code[3][64];
    three_levels(id, code);
    long long h = id[1], a = id[2];
    const char *const aware[2] = {"digital_awareness", NULL}, *const none[2] = {NULL, NULL};
    long long nurse = staff_member(code[2], NULL, aware, "2026-03-01");
    staff_member(code[2], NULL, none, "2026-03-01");
    resp *r = http_send_json("POST", fmt("/api/v1/staff/%lld/transfers", nurse), T_SD_MANAGER,
                             fmt("{\"unit_code\":\"%s\",\"effective_on\":\"2026-07-01\"}", code[1]));
    ck_assert_msg(r->status == 201, "transfer: %ld %s", r->status, r->body);
    resp_free(r);
    long long v[2];
    rate_one(a, "2026-06", v); /* both at the station on 30 June */
    ck_assert_int_eq(v[0], 1);
    ck_assert_int_eq(v[1], 2);
    rate_one(a, "2026-08", v); /* the aware nurse works at the health centre since July */
    ck_assert_int_eq(v[0], 0);
    ck_assert_int_eq(v[1], 1);
    rate_one(h, "2026-08", v); /* the health centre's subtree still has both */
    ck_assert_int_eq(v[0], 1);
    ck_assert_int_eq(v[1], 2);
}
END_TEST

START_TEST(form_version_is_the_plan_year_in_force)
{
    long long sd = unit_id("TTYT-SD");
    const struct {
        const char *period;
        int year;
    } cases[] = {{"2025-10", 2025}, {"2025Q4", 2025}, {"2026-01", 2026}, {"2026S2", 2026}, {"2024-06", 2025}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        resp *r = form_of(sd, cases[i].period);
        json_t *v = json_object_get(r->json, "form_version");
        ck_assert_int_eq(json_integer_value(json_object_get(v, "plan_year")), cases[i].year);
        ck_assert_str_eq(json_string_value(json_object_get(v, "in_force_from")), fmt("%d-01-01", cases[i].year));
        json_t *s3 = json_array_get(json_object_get(r->json, "sections"), 2);
        ck_assert_str_eq(json_string_value(json_object_get(s3, "heading")),
                         fmt("Kết quả thực hiện các mục tiêu năm %d", cases[i].year));
        ck_assert_str_eq(
            json_string_value(json_object_get(json_array_get(json_object_get(r->json, "sections"), 1), "heading")),
            "Công tác tuyên truyền");
        resp_free(r);
    }
    /* A period that has not started: the 2026 wording still (no later version), nothing computed. */
    resp *r = form_of(sd, "2030");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r->json, "form_version"), "plan_year")), 2026);
    ck_assert(json_is_null(json_object_get(r->json, "as_of")));
    json_t *f = field(r, "s3_staff_dt_awareness_rate");
    ck_assert(json_is_null(json_object_get(f, "value")));
    ck_assert(json_is_null(json_object_get(json_object_get(f, "computed"), "numerator")));
    resp_free(r);
}
END_TEST

/* One cell of a query with up to two text parameters ($1, $2; NULL for SQL NULL), as text into out;
 * the query's status is returned (its error message into out when it failed). */
static ExecStatusType db_cell(const char *sql, const char *p1, const char *p2, char *out, size_t len)
{
    const char *v[] = {p1, p2};
    int n = strstr(sql, "$2") ? 2 : strstr(sql, "$1") ? 1 : 0;
    PGresult *r = PQexecParams(test_db(), sql, n, NULL, v, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK && PQntuples(r) == 1)
        snprintf(out, len, "%s", PQgetisnull(r, 0, 0) ? "(null)" : PQgetvalue(r, 0, 0));
    else
        snprintf(out, len, "%s", PQresultErrorMessage(r));
    PQclear(r);
    return st;
}

/* The storage half of §3: report_snapshot_take (for approval to call) keeps the unit's own
 * figures in full, the DHIS2 breakdowns, its consolidated form, the definitions and the tree;
 * a snapshot is never changed or removed. */
START_TEST(snapshot_keeps_own_figures_breakdowns_form_definitions_and_tree)
{
    long long id3[3];
    char code[3][64];
    three_levels(id3, code);
    long long h = id3[1], a = id3[2];
    const char *hc = code[1], *s1 = code[2];
    const char *const both[2] = {"digital_awareness", "smart_devices"}, *const aware[2] = {"digital_awareness", NULL},
                      *const none[2] = {NULL, NULL};
    staff_member(hc, NULL, both, "2026-04-01");
    staff_member(hc, NULL, none, "2026-04-01");
    staff_member(s1, NULL, aware, "2026-04-01");
    created_id(http_send_json("POST", "/api/v1/support-counts", T_SD_REPORTER,
                              fmt("{\"unit_code\":\"%s\",\"month\":\"2026-06\",\"service\":\"vneid_card\","
                                  "\"target_group\":\"elderly\",\"count\":12}",
                                  hc)));
    created_id(http_send_json("POST", "/api/v1/patients-served", T_SD_REPORTER,
                              fmt("{\"unit_code\":\"%s\",\"month\":\"2026-06\",\"count\":100}", hc)));
    report_in(h, "2026-06", "{\"s1_documents_count\":1}", "submitted");
    report_in(a, "2026-06", "{\"s1_documents_count\":2}", "submitted");

    char id[64], got[4096];
    ck_assert_int_eq(db_cell("SELECT report_snapshot_take($1::bigint, '2026-06', 'month', '2026-06-01', '2026-06-30',"
                             " '2026-06-30', $2, 'approved')",
                             idstr(h), "sondong.manager", id, sizeof id),
                     PGRES_TUPLES_OK);
    ck_assert_int_gt(atoll(id), 0);
    /* The unit's own figures: its two staff (not the station's), one aware, one with smart devices. */
    const struct {
        const char *path, *want;
    } own[] = {{"{staff}", "2"},      {"{ct1_awareness}", "1"}, {"{ct5}", "1"},      {"{ct2}", "0"},
               {"{facilities}", "1"}, {"{supported}", "12"},    {"{served}", "100"}, {"{unit_id}", idstr(h)}};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
        db_cell("SELECT own_figures #>> $2::text[] FROM report_snapshots WHERE id = $1::bigint", id, own[i].path, got,
                sizeof got);
        ck_assert_msg(strcmp(got, own[i].want) == 0, "%s is %s, not %s", own[i].path, got, own[i].want);
    }
    /* The DHIS2 breakdown by service and target group, for the unit itself. */
    db_cell("SELECT d ->> 'value' FROM report_snapshots, jsonb_array_elements(own_figures -> 'data_values') d"
            " WHERE id = $1::bigint AND d ->> 'dataElement' = 'BDHVS_SUPPORT_VNEID_CARD' AND d ->> $2 = 'ELDERLY'",
            id, "categoryOptionCombo", got, sizeof got);
    ck_assert_str_eq(got, "12");
    db_cell("SELECT count(*) FROM report_snapshots, jsonb_array_elements(own_figures -> 'data_values') d"
            " WHERE id = $1::bigint AND d ->> 'orgUnit' <> $2",
            id, hc, got, sizeof got);
    ck_assert_str_eq(got, "0");
    /* The consolidated form, as the API answers it. */
    static char form[1 << 18];
    db_cell("SELECT form FROM report_snapshots WHERE id = $1::bigint", id, NULL, form, sizeof form);
    json_t *stored = json_loads(form, 0, NULL);
    ck_assert_msg(stored != NULL, "not JSON: %.200s", form);
    resp *r = form_of(h, "2026-06");
    ck_assert_msg(json_equal(stored, r->json), "stored %s\nanswered %s", form, r->body);
    ck_assert_int_eq(total(r, "s1_documents_count"), 3);
    resp_free(r);
    json_decref(stored);
    /* Definitions and tree. */
    db_cell("SELECT definition_version ->> 'form_plan_year' FROM report_snapshots WHERE id = $1::bigint", id, NULL, got,
            sizeof got);
    ck_assert_str_eq(got, "2026");
    db_cell(
        "SELECT (definition_version ->> 'migration')::int >= 17 AND length(definition_version ->> 'indicators') = 32"
        " AND definition_version -> 'targets' -> 'CT1' ->> 'target' = '100.0' FROM report_snapshots WHERE id = $1::bigint",
        id, NULL, got, sizeof got);
    ck_assert_str_eq(got, "t");
    db_cell("SELECT jsonb_array_length(tree -> 'subtree') || ' ' || jsonb_array_length(tree -> 'form_units')"
            " || ' ' || (tree -> 'subtree' -> 1 ->> 'code') FROM report_snapshots WHERE id = $1::bigint",
            id, NULL, got, sizeof got);
    ck_assert_str_eq(got, fmt("2 2 %s", s1));
    db_cell("SELECT taken_by || ' ' || reason || ' ' || as_of FROM report_snapshots WHERE id = $1::bigint", id, NULL,
            got, sizeof got);
    ck_assert_str_eq(got, "sondong.manager approved 2026-06-30");
    /* Never changed or removed; no unit, no snapshot. */
    ck_assert_int_eq(db_cell("UPDATE report_snapshots SET reason = 'x' WHERE id = $1::bigint RETURNING id", id, NULL,
                             got, sizeof got),
                     PGRES_FATAL_ERROR);
    ck_assert_ptr_nonnull(strstr(got, "never changed or removed"));
    ck_assert_int_eq(
        db_cell("DELETE FROM report_snapshots WHERE id = $1::bigint RETURNING id", id, NULL, got, sizeof got),
        PGRES_FATAL_ERROR);
    ck_assert_int_eq(
        db_count("SELECT count(*) FROM report_snapshots WHERE id = $1::bigint AND reason = 'approved'", id), 1);
    db_cell("SELECT report_snapshot_take(-1, '2026-06', 'month', '2026-06-01', '2026-06-30', '2026-06-30', $1, $2)",
            "x", "approved", got, sizeof got);
    ck_assert_str_eq(got, "(null)");
}
END_TEST

Suite *s8_form_suite(void)
{
    Suite *s = suite_create("s8_form");
    TCase *t = tcase_create("consolidated form");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, department_form_takes_a_health_centres_compiled_figure_once);
    tcase_add_test(t, three_levels_add_up_exactly_at_each_level_over_counted_states);
    tcase_add_test(t, children_not_expected_in_the_period_are_not_in_the_form);
    tcase_add_test(t, rates_one_and_five_come_from_the_data_and_cannot_be_written);
    tcase_add_test(t, rate_one_follows_staff_transfers);
    tcase_add_test(t, form_version_is_the_plan_year_in_force);
    tcase_add_test(t, snapshot_keeps_own_figures_breakdowns_form_definitions_and_tree);
    suite_add_tcase(s, t);
    return s;
}
