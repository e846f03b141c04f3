/* The tree of a period (issue 10 §3 with issue 11 §2's dated moves): a unit moved after a period
 * still counts under its old parent in that period — on the approved basis (a parent equals the sum
 * of its children there too) as on the current one, in its expected report (reporting status,
 * reporting rates, the rollup's reports_expected/received) and in the old parent's consolidated
 * form; from its move on, under the new parent. Each test builds its own tree under TTYT-SD. */
#include "client.h"

#include <stdio.h>
#include <string.h>

/* A unit of the test under parent; every unit but a station obliges all its children to report. */
static long long t2_unit(const char *prefix, const char *type, const char *parent_code, char code[64])
{
    long long id = make_test_unit(prefix, fmt("Đơn vị %s", prefix), type, parent_code, code, 64);
    if (strcmp(type, "commune_station") != 0) oblige_every_child(id);
    return id;
}

/* A staff member of unit_code since 2025; counted for CT2 (a campaign course and VNeID, both on
 * 2025-03-01) when course is given. */
static void t2_staff(const char *unit_code, const char *course)
{
    char code[48];
    snprintf(code, sizeof code, "T2S-%s", uniq());
    staff_made(code, "Lò Văn Páo", unit_code, "nurse", "2025-01-01", course ? "2025-03-01" : NULL);
    if (course) completion_made(T_ADMIN, code, course, "2025-03-01");
}

static const char *t2_course(void)
{
    static char course[96];
    snprintf(course, sizeof course, "course-v1:BDHVS+T2%s+2025-1", uniq());
    expect(send_obj("POST", "/api/v1/courses", T_ADMIN,
                    json_pack("{s:s, s:s, s:b}", "code", course, "title", "Kỹ năng số", "counts_for_campaign", 1)),
           201);
    return course;
}

/* unit's report for period, submitted (and approved when approve). */
static void t2_report(long long unit, const char *period, int approve)
{
    report_submitted(unit, period);
    if (approve)
        expect(http_send_json("POST", fmt("/api/v1/reports/%lld/%s/approve", unit, period), T_SD_MANAGER, "{}"), 200);
}

/* CT2 of unit in a rollup answer (numerator, denominator, differs_from_approved: -1 null), its
 * basis, parent and reports expected/received, all checked at once. */
static void t2_assert_row(const resp *r, long long unit, long long num, long long den, int differs, const char *basis,
                          long long parent, long long expected, long long received)
{
    json_t *row = rollup_row(r, unit);
    ck_assert_msg(row != NULL, "unit %lld is not in the rollup: %.400s", unit, r->body);
    json_t *c = json_array_get(json_object_get(row, "indicators"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(c, "code")), "CT2");
    long long n = json_integer_value(json_object_get(c, "numerator"));
    long long d = json_integer_value(json_object_get(c, "denominator"));
    json_t *df = json_object_get(c, "differs_from_approved");
    ck_assert_ptr_nonnull(df);
    int f = json_is_null(df) ? -1 : json_is_true(df);
    ck_assert_msg(n == num && d == den && f == differs, "CT2 of %lld: %lld/%lld differs %d, want %lld/%lld %d", unit, n,
                  d, f, num, den, differs);
    ck_assert_str_eq(json_string_value(json_object_get(row, "basis")), basis);
    json_t *p = json_object_get(row, "parent_id");
    ck_assert_int_eq(json_integer_value(p), parent);
    ck_assert_int_eq(json_integer_value(json_object_get(row, "reports_expected")), expected);
    ck_assert_int_eq(json_integer_value(json_object_get(row, "reports_received")), received);
}

/* GET /reporting-status of unit for period: expected and received, and the one item's unit code
 * (NULL: no item). */
static void t2_assert_status(long long unit, const char *period, long long expected, long long received,
                             const char *only_code)
{
    resp *r = http_get(fmt("/api/v1/reporting-status?unit_id=%lld&period=%s", unit, period), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    json_t *s = json_object_get(r->json, "summary");
    ck_assert_msg(json_integer_value(json_object_get(s, "expected")) == expected &&
                      json_integer_value(json_object_get(s, "received")) == received,
                  "status of %lld %s: %s", unit, period, r->body);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), only_code ? 1 : 0);
    if (only_code)
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 0), "unit_code")), only_code);
    resp_free(r);
}

/* The obligation_id of the one item of unit's reporting status for period. */
static long long t2_status_obligation(long long unit, const char *period)
{
    resp *r = http_get(fmt("/api/v1/reporting-status?unit_id=%lld&period=%s", unit, period), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 1);
    long long id = json_integer_value(json_object_get(json_array_get(items, 0), "obligation_id"));
    resp_free(r);
    return id;
}

static long long t2_obligation_of(long long parent)
{
    return db_count("SELECT min(id) FROM reporting_obligations WHERE parent_id = $1::bigint", idstr(parent));
}

/* GET /reporting-rates of unit from 2026-06 to 2026-09: each month's expected and received. */
static void t2_assert_rates(long long unit, const int expected[4], const int received[4])
{
    resp *r = http_get(fmt("/api/v1/reporting-rates?unit_id=%lld&from=2026-06&to=2026-09", unit), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 4);
    for (size_t i = 0; i < 4; i++) {
        json_t *it = json_array_get(items, i);
        ck_assert_str_eq(json_string_value(json_object_get(it, "period")), fmt("2026-%02zu", i + 6));
        ck_assert_msg(json_integer_value(json_object_get(it, "expected")) == expected[i] &&
                          json_integer_value(json_object_get(it, "received")) == received[i],
                      "rates of %lld, 2026-%02zu: %s", unit, i + 6, r->body);
    }
    resp_free(r);
}

/* The depth of unit_code in the consolidated form of unit for period (0: not in it). */
static long long t2_in_form(long long unit, const char *period, const char *unit_code)
{
    resp *r = http_get(fmt("/api/v1/exports/report-form?unit_id=%lld&period=%s", unit, period), T_SD_REPORTER);
    ck_assert_msg(r->status == 200, "form of %lld %s: %ld %s", unit, period, r->status, r->body);
    size_t i;
    json_t *it;
    long long depth = 0;
    json_array_foreach (json_object_get(r->json, "reports"), i, it)
        if (strcmp(json_string_value(json_object_get(it, "unit_code")), unit_code) == 0)
            depth = json_integer_value(json_object_get(it, "depth"));
    resp_free(r);
    return depth;
}

/* The tree: R > H1, H2 (health centres); S, a station, under H2 until 31 July 2026 and under H1
 * from 1 August 2026 (a move dated after S's approved June). Staff: H1 one counted for CT2, H2 one
 * not counted, S one counted (and, after its June approval, a second not counted). */
typedef struct t2_tree {
    long long sd, r, h1, h2, s;
    char rc[64], h1c[64], h2c[64], sc[64];
} t2_tree;

static void t2_build(t2_tree *t)
{
    const char *course = t2_course();
    t->sd = unit_id("TTYT-SD");
    t->r = t2_unit("T2R", "other", "TTYT-SD", t->rc);
    t->h1 = t2_unit("T2H1", "health_centre", t->rc, t->h1c);
    t->h2 = t2_unit("T2H2", "health_centre", t->rc, t->h2c);
    t->s = t2_unit("T2S", "commune_station", t->h2c, t->sc);
    t2_staff(t->h1c, course);
    t2_staff(t->h2c, NULL);
    t2_staff(t->sc, course);
}

/* S's June is approved under H2, then S gets a second staff member (late data) and moves to H1
 * from 1 August. June: S counts under H2 on both bases (approved: its snapshot, one staff member;
 * current: two), R = H1 + H2 on each; the basis of H2 is mixed (S approved) whether H2 or R is
 * asked. September: S counts under H1. */
START_TEST(a_unit_moved_after_an_approved_period_stays_under_its_old_parent_there)
{
    t2_tree t;
    t2_build(&t);
    t2_report(t.s, "2026-06", 1);
    t2_staff(t.sc, NULL);
    resp *m = send_obj("POST", fmt("/api/v1/units/%lld/moves", t.s), T_SD_MANAGER,
                       json_pack("{s:s, s:s}", "parent_code", t.h1c, "effective_on", "2026-08-01"));
    ck_assert_msg(m->status == 201, "move: %ld %s", m->status, m->body);
    resp_free(m);
    t2_report(t.s, "2026-09", 0);

    /* June, approved basis: H2 = its own 0/1 + S's snapshot 1/1; R = H1 + H2. */
    resp *r = rollup_at(T_SD_REPORTER, t.r, "2026-06", 2, "approved");
    t2_assert_row(r, t.s, 1, 1, 1, "approved", t.h2, 0, 0);
    t2_assert_row(r, t.h2, 1, 2, 1, "mixed", t.r, 1, 1);
    t2_assert_row(r, t.h1, 1, 1, -1, "current", t.r, 0, 0);
    t2_assert_row(r, t.r, 2, 3, 1, "mixed", t.sd, 3, 1);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "not_approved")), 3);
    resp_free(r);
    /* June, current basis: S's two staff under H2. */
    r = rollup_at(T_SD_REPORTER, t.r, "2026-06", 2, "current");
    t2_assert_row(r, t.s, 1, 2, 1, "approved", t.h2, 0, 0);
    t2_assert_row(r, t.h2, 1, 3, 1, "mixed", t.r, 1, 1);
    t2_assert_row(r, t.h1, 1, 1, -1, "current", t.r, 0, 0);
    t2_assert_row(r, t.r, 2, 4, 1, "mixed", t.sd, 3, 1);
    resp_free(r);
    /* H2 asked alone: S is below it in June although today it is under H1. */
    r = rollup_at(T_SD_REPORTER, t.h2, "2026-06", 1, "current");
    t2_assert_row(r, t.h2, 1, 3, 1, "mixed", t.r, 1, 1);
    t2_assert_row(r, t.s, 1, 2, 1, "approved", t.h2, 0, 0);
    resp_free(r);
    r = rollup_at(T_SD_REPORTER, t.h2, "2026-06", 1, "approved");
    t2_assert_row(r, t.h2, 1, 2, 1, "mixed", t.r, 1, 1);
    json_t *na = json_object_get(r->json, "not_approved");
    ck_assert_uint_eq(json_array_size(na), 1);
    ck_assert_str_eq(json_string_value(json_array_get(na, 0)), t.h2c);
    resp_free(r);
    /* H1 asked alone: S is not below it in June. */
    r = rollup_at(T_SD_REPORTER, t.h1, "2026-06", 1, "approved");
    ck_assert_ptr_null(rollup_row(r, t.s));
    t2_assert_row(r, t.h1, 1, 1, -1, "current", t.r, 0, 0);
    resp_free(r);

    /* September: S under H1, nothing approved (basis current, differs null on both bases). */
    r = rollup_at(T_SD_REPORTER, t.r, "2026-09", 2, "approved");
    t2_assert_row(r, t.s, 1, 2, -1, "current", t.h1, 0, 0);
    t2_assert_row(r, t.h1, 2, 3, -1, "current", t.r, 1, 1);
    t2_assert_row(r, t.h2, 0, 1, -1, "current", t.r, 0, 0);
    t2_assert_row(r, t.r, 2, 4, -1, "current", t.sd, 3, 1);
    resp_free(r);
    r = rollup_at(T_SD_REPORTER, t.h2, "2026-09", 1, "current");
    ck_assert_ptr_null(rollup_row(r, t.s));
    t2_assert_row(r, t.h2, 0, 1, -1, "current", t.r, 0, 0);
    resp_free(r);

    /* S moves again, up to R itself from 1 October: asked alone, S is still one level deeper in
     * June than today, and its June rollup is still its own approved snapshot. */
    m = send_obj("POST", fmt("/api/v1/units/%lld/moves", t.s), T_SD_MANAGER,
                 json_pack("{s:s, s:s}", "parent_code", t.rc, "effective_on", "2026-10-01"));
    ck_assert_msg(m->status == 201, "second move: %ld %s", m->status, m->body);
    resp_free(m);
    r = rollup_at(T_SD_REPORTER, t.s, "2026-06", 0, "approved");
    t2_assert_row(r, t.s, 1, 1, 1, "approved", t.h2, 0, 0);
    resp_free(r);
    r = rollup_at(T_SD_REPORTER, t.s, "2026-06", 0, "current");
    t2_assert_row(r, t.s, 1, 2, 1, "approved", t.h2, 0, 0);
    resp_free(r);
    r = rollup_at(T_SD_REPORTER, t.r, "2026-06", 2, "approved");
    t2_assert_row(r, t.h2, 1, 2, 1, "mixed", t.r, 1, 1);
    t2_assert_row(r, t.r, 2, 3, 1, "mixed", t.sd, 3, 1);
    resp_free(r);
}
END_TEST

/* Expected reports follow the tree of their period: S is H2's child in June and July (H2's
 * obligation covers it), H1's in August and September. The reporting status, the reporting rates,
 * the rollup's reports_expected (above) and the consolidated form agree. */
START_TEST(expected_reports_and_the_form_follow_the_tree_of_their_period)
{
    t2_tree t;
    t2_build(&t);
    t2_report(t.s, "2026-06", 1);
    expect(send_obj("POST", fmt("/api/v1/units/%lld/moves", t.s), T_SD_MANAGER,
                    json_pack("{s:s, s:s}", "parent_code", t.h1c, "effective_on", "2026-08-01")),
           201);
    t2_report(t.s, "2026-09", 0);

    t2_assert_status(t.h2, "2026-06", 1, 1, t.sc);
    t2_assert_status(t.h1, "2026-06", 0, 0, NULL);
    t2_assert_status(t.h2, "2026-07", 1, 0, t.sc);
    t2_assert_status(t.h1, "2026-08", 1, 0, t.sc);
    t2_assert_status(t.h1, "2026-09", 1, 1, t.sc);
    t2_assert_status(t.h2, "2026-09", 0, 0, NULL);
    /* The obligation of the parent of each period (the move, dated in the past, fixed the periods
     * from August again under H1). */
    ck_assert_int_eq(t2_status_obligation(t.h2, "2026-06"), t2_obligation_of(t.h2));
    ck_assert_int_eq(t2_status_obligation(t.h2, "2026-07"), t2_obligation_of(t.h2));
    ck_assert_int_eq(t2_status_obligation(t.h1, "2026-08"), t2_obligation_of(t.h1));
    ck_assert_int_eq(t2_status_obligation(t.h1, "2026-09"), t2_obligation_of(t.h1));
    ck_assert_int_eq(db_count2("SELECT count(*) FROM expected_reports WHERE unit_id = $1::bigint AND period_type = 'month'"
                               " AND period_start IN ('2026-06-01', '2026-07-01') AND parent_id = $2::bigint",
                               idstr(t.s), idstr(t.h2)),
                     2);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM expected_reports WHERE unit_id = $1::bigint AND period_type = 'month'"
                               " AND period_start IN ('2026-08-01', '2026-09-01') AND parent_id = $2::bigint",
                               idstr(t.s), idstr(t.h1)),
                     2);

    static const int h2_exp[4] = {1, 1, 0, 0}, h2_rec[4] = {1, 0, 0, 0};
    static const int h1_exp[4] = {0, 0, 1, 1}, h1_rec[4] = {0, 0, 0, 1};
    static const int r_exp[4] = {3, 3, 3, 3}, r_rec[4] = {1, 0, 0, 1};
    t2_assert_rates(t.h2, h2_exp, h2_rec);
    t2_assert_rates(t.h1, h1_exp, h1_rec);
    t2_assert_rates(t.r, r_exp, r_rec);

    resp *r = rollup_at(T_SD_REPORTER, t.r, "2026-07", 1, "current");
    t2_assert_row(r, t.h2, 1, 2, -1, "current", t.r, 1, 0);
    t2_assert_row(r, t.h1, 1, 1, -1, "current", t.r, 0, 0);
    resp_free(r);
    r = rollup_at(T_SD_REPORTER, t.r, "2026-08", 1, "current");
    t2_assert_row(r, t.h1, 2, 2, -1, "current", t.r, 1, 0);
    t2_assert_row(r, t.h2, 0, 1, -1, "current", t.r, 0, 0);
    resp_free(r);

    ck_assert_int_eq(t2_in_form(t.h2, "2026-06", t.sc), 1);
    ck_assert_int_eq(t2_in_form(t.h1, "2026-06", t.sc), 0);
    ck_assert_int_eq(t2_in_form(t.r, "2026-06", t.sc), 2); /* H2's child, under R */
    ck_assert_int_eq(t2_in_form(t.h1, "2026-09", t.sc), 1);
    ck_assert_int_eq(t2_in_form(t.h2, "2026-09", t.sc), 0);
}
END_TEST

Suite *s9_tree2_suite(void)
{
    Suite *s = suite_create("s9_tree2");
    TCase *t = tcase_create("tree2");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, a_unit_moved_after_an_approved_period_stays_under_its_old_parent_there);
    tcase_add_test(t, expected_reports_and_the_form_follow_the_tree_of_their_period);
    suite_add_tcase(s, t);
    return s;
}
