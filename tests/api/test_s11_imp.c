/* Issue 14 goal 2: the first rollup after a bulk load of staff costs the people loaded, not their
 * units (migrations/0042_rollup_new_people.sql). A new person's insert records them ('n' change
 * row and stats_new_staff); the next refresh of a kept set adds each new person's figures to their
 * unit's kept row and its ancestors' sums, and counts a unit again whole only when something else
 * of it changed. Proved here:
 *  - after a load into several stations (a person joining after October's as-of day, a station
 *    opened after it, a person inserted into a closed station), the refresh of each kept set counted
 *    no unit again and added exactly the new people (the set row's last_units and last_people),
 *    and its rollups equal those counted from nothing;
 *  - two loads into one station, each followed by a rollup, add each person once;
 *  - a station with another change before the next rollup (an update in the same load, a staff
 *    change, a completion for one of its new people) is counted again whole, the others get their
 *    people added, and the figures still equal those counted from nothing. */
#include "client.h"

#include <stdio.h>
#include <string.h>

static const char *const PERIODS[2] = {"2026-10", "2026-11"};

static const char *HEAD = "code,full_name,unit_code,job_group,employment,joined_on,vneid_confirmed_on,vneid_source\n";

/* POSTs the rows (after the header) to the staff import as the admin; asserts the counts. */
static void imported(const char *rows, long long created, long long updated)
{
    resp *r = post_csv("/api/v1/staff/import", T_ADMIN, fmt("%s%s", HEAD, rows));
    ck_assert_msg(r->status == 200, "import: %ld %.600s", r->status, r->body ? r->body : "");
    ck_assert_msg(jint(r, "created") == created && jint(r, "updated") == updated, "import: %s", r->body);
    resp_free(r);
}

START_TEST(a_load_adds_its_new_people_and_counts_no_unit_again)
{
    const char *u = uniq();
    enum { H, A, B, E, D, N };
    char c[N][40];
    for (int i = 0; i < N; i++) snprintf(c[i], sizeof c[i], "IMP-%d-%s", i, u);
    long long id[N];
    id[H] = unit_made(c[H], "health_centre", "SYT-BN");
    id[A] = unit_made(c[A], "commune_station", c[H]);
    id[B] = unit_made(c[B], "commune_station", c[H]);
    id[E] = unit_made_on(c[E], "commune_station", c[H], "2026-11-15"); /* opened after October */
    id[D] = unit_made(c[D], "commune_station", c[H]);
    expect(http_delete(fmt("/api/v1/units/%lld?closed_on=2026-10-15", id[D]), T_ADMIN), 204);
    /* Someone already in A and B, one with a campaign course. */
    char p[2][40], course[96];
    for (int i = 0; i < 2; i++) {
        snprintf(p[i], sizeof p[i], "IMP-P%d-%s", i, u);
        staff_made(p[i], "Hoàng Văn Nam", c[A + i], "nurse", "2025-02-01", i == 0 ? "2026-09-01" : NULL);
    }
    snprintf(course, sizeof course, "course-v1:BDHVS+IMP%s+2026-1", u);
    course_made(course, "Kỹ năng số", 1);
    completion_made(T_ADMIN, p[0], course, "2026-10-05");
    const long long roots[2] = {id[H], unit_id("SYT-BN")};
    assert_rollups_as_from_nothing(roots, PERIODS, "start");
    rollups_refreshed(roots[1], PERIODS);

    /* Six new people in one load: three in A (one VNeID-confirmed, one doctor), two in B (one
     * joining after October's as-of day), one in E (open from 15 November only); and one inserted
     * into D, closed since 15 October (the load refuses a closed unit; a direct insert does not). */
    imported(fmt("IMP-N1-%s,Trần Thị Lan,%s,nurse,public_employee,2025-05-01,2026-10-02,VNeID\n"
                 "IMP-N2-%s,Phạm Văn Đức,%s,doctor,public_employee,2024-03-01,,\n"
                 "IMP-N3-%s,Lê Thị Hoa,%s,midwife,public_employee,2026-01-10,,\n"
                 "IMP-N4-%s,Vũ Văn Hải,%s,nurse,public_employee,2023-07-01,2026-11-01,VNeID\n"
                 "IMP-N5-%s,Đỗ Thị Mai,%s,nurse,public_employee,2026-11-10,,\n"
                 "IMP-N6-%s,Bùi Văn Toàn,%s,technician,public_employee,2026-11-20,,\n",
                 u, c[A], u, c[A], u, c[A], u, c[B], u, c[B], u, c[E]),
             6, 0);
    sql_exec(fmt("INSERT INTO staff (code, full_name, unit_id, job_group, employment, joined_on)"
                 " VALUES ('IMP-N7-%s', 'Ngô Văn Sơn', %lld, 'nurse', 'public_employee', '2025-01-01')",
                 u, id[D]));
    rollups_refreshed(roots[1], PERIODS);
    for (int j = 0; j < 2; j++) assert_last_refresh(PERIODS[j], "0/7", "a load");
    /* October counts A's three and B's first; November all but D's. */
    resp *r = rollup_at(T_ADMIN, id[H], "2026-10", 1, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(rollup_cell(r, id[H], 0), "denominator")), 6);
    resp_free(r);
    r = rollup_at(T_ADMIN, id[H], "2026-11", 1, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(rollup_cell(r, id[H], 0), "denominator")), 8);
    resp_free(r);
    assert_rollups_as_from_nothing(roots, PERIODS, "a load");
}
END_TEST

START_TEST(a_unit_with_another_change_is_counted_again_whole)
{
    const char *u = uniq();
    enum { H, A, B, C, F, N };
    char c[N][40], p[N][40];
    long long id[N], sid[N];
    for (int i = 0; i < N; i++) {
        snprintf(c[i], sizeof c[i], "IMW-%d-%s", i, u);
        snprintf(p[i], sizeof p[i], "IMW-P%d-%s", i, u);
    }
    id[H] = unit_made(c[H], "health_centre", "SYT-BN");
    for (int i = A; i < N; i++) {
        id[i] = unit_made(c[i], "commune_station", c[H]);
        sid[i] = staff_made(p[i], "Lý Thị Thu", c[i], "nurse", "2025-01-01", NULL);
    }
    (void)sid[B];
    char course[96];
    snprintf(course, sizeof course, "course-v1:BDHVS+IMW%s+2026-1", u);
    course_made(course, "Kỹ năng số", 1);
    const long long roots[2] = {id[H], unit_id("SYT-BN")};
    assert_rollups_as_from_nothing(roots, PERIODS, "start");
    rollups_refreshed(roots[1], PERIODS);

    /* One load: two new people in A, one in B and C, two in F, and B's person renamed (an update). */
    imported(fmt("IMW-N1-%s,Mạc Văn Long,%s,nurse,public_employee,2025-06-01,,\n"
                 "IMW-N2-%s,Mạc Thị Nga,%s,doctor,public_employee,2025-06-01,2026-10-10,VNeID\n"
                 "IMW-N3-%s,Tạ Văn Quý,%s,nurse,public_employee,2025-06-01,,\n"
                 "IMW-N4-%s,Tạ Thị Yến,%s,nurse,public_employee,2025-06-01,,\n"
                 "IMW-N5-%s,Kiều Văn Phúc,%s,midwife,public_employee,2025-06-01,,\n"
                 "IMW-N6-%s,Kiều Thị Hằng,%s,nurse,public_employee,2026-11-05,,\n"
                 "%s,Lý Thị Thu Hà,%s,nurse,public_employee,2025-01-01,,\n",
                 u, c[A], u, c[A], u, c[B], u, c[C], u, c[F], u, c[F], p[B], c[B]),
             6, 1);
    /* Before the next rollup: A's older person changes, and C's new person completes a course. */
    expect(send_obj("PATCH", fmt("/api/v1/staff/%lld", sid[A]), T_ADMIN, json_pack("{s:s}", "left_on", "2026-10-20")),
           200);
    completion_made(T_ADMIN, fmt("IMW-N4-%s", u), course, "2026-10-12");
    rollups_refreshed(roots[1], PERIODS);
    /* A, B and C counted again whole; F's two new people added. */
    for (int j = 0; j < 2; j++) assert_last_refresh(PERIODS[j], "3/2", "a load with other changes");
    assert_rollups_as_from_nothing(roots, PERIODS, "a load with other changes");
}
END_TEST

/* Two loads into the same station, each followed by a rollup: the second adds its own people only
 * (the first's were added by the refresh before it, after the station was last counted). */
START_TEST(two_loads_in_a_row_add_each_person_once)
{
    const char *u = uniq();
    char hc[40], ac[40], pc[40];
    snprintf(hc, sizeof hc, "IM2-H-%s", u);
    snprintf(ac, sizeof ac, "IM2-A-%s", u);
    snprintf(pc, sizeof pc, "IM2-P-%s", u);
    long long h = unit_made(hc, "health_centre", "SYT-BN");
    unit_made(ac, "commune_station", hc);
    staff_made(pc, "Chu Văn An", ac, "nurse", "2025-01-01", NULL);
    const long long roots[2] = {h, unit_id("SYT-BN")};
    assert_rollups_as_from_nothing(roots, PERIODS, "start");
    rollups_refreshed(roots[1], PERIODS);
    imported(fmt("IM2-N1-%s,Chu Thị Bích,%s,nurse,public_employee,2025-03-01,2026-10-03,VNeID\n"
                 "IM2-N2-%s,Chu Văn Khải,%s,doctor,public_employee,2025-03-01,,\n",
                 u, ac, u, ac),
             2, 0);
    rollups_refreshed(roots[1], PERIODS);
    for (int j = 0; j < 2; j++) assert_last_refresh(PERIODS[j], "0/2", "the first load");
    imported(fmt("IM2-N3-%s,Chu Thị Dung,%s,midwife,public_employee,2025-03-01,,\n", u, ac), 1, 0);
    rollups_refreshed(roots[1], PERIODS);
    for (int j = 0; j < 2; j++) assert_last_refresh(PERIODS[j], "0/1", "the second load");
    assert_rollups_as_from_nothing(roots, PERIODS, "two loads");
}
END_TEST

Suite *s11_imp_suite(void)
{
    Suite *s = suite_create("s11_imp");
    TCase *t = tcase_create("imp");
    tcase_set_timeout(t, 300);
    tcase_add_test(t, a_load_adds_its_new_people_and_counts_no_unit_again);
    tcase_add_test(t, a_unit_with_another_change_is_counted_again_whole);
    tcase_add_test(t, two_loads_in_a_row_add_each_person_once);
    suite_add_tcase(s, t);
    return s;
}
