/* Issue 14 goal 2: every unit's own figures are kept per period and as-of day, with the sums of
 * every subtree, and brought up to date by what changed (rollup_own_rows, rollup_sub_rows,
 * rollup_own_refresh: migrations/0040_rollup_own.sql). Two things are proved here:
 *  - after every kind of write (a new staff member, a completion, an attestation, monthly flows, a
 *    facility service, a transfer, a dated move, a correction of the tree), the rollups computed
 *    from the figures brought up to date are exactly those computed from nothing (a new epoch
 *    makes every unit count again), and every kept subtree sum is the sum of its units' rows;
 *  - the work done after a write is the units it changed: one staff member's change counts one
 *    unit again, not the country. */
#include "client.h"

#include <stdio.h>
#include <string.h>

/* The list behind each staff number (GET /staff?missing=, which reads staff_parts person by person)
 * has as many people as the rollup of unit u (staff figures counted for all people at once) has
 * between its numerator and denominator, for CT1, CT2 and CT5 of the period as of as_of. */
static void assert_lists_match_rollup(long long u, const char *period, const char *as_of, const char *step)
{
    static const char *const ind[3] = {"CT1", "CT2", "CT5"};
    static const int col[3] = {0, 1, 4};
    resp *r = rollup_at(T_ADMIN, u, period, 0, NULL);
    for (int i = 0; i < 3; i++) {
        json_t *c = rollup_cell(r, u, col[i]);
        long long num = json_integer_value(json_object_get(c, "numerator"));
        long long den = json_integer_value(json_object_get(c, "denominator"));
        resp *m = http_get(fmt("/api/v1/staff?missing=%s&as_of=%s&under=%lld&limit=1", ind[i], as_of, u), T_ADMIN);
        ASSERT_STATUS(m, 200);
        ck_assert_msg(jint(m, "total") == den - num, "%s: %s of %lld in %s: %lld missing, rollup %lld/%lld", step, ind[i],
                      u, period, jint(m, "total"), num, den);
        resp_free(m);
    }
    resp_free(r);
}

START_TEST(kept_own_figures_equal_figures_counted_from_nothing_after_every_kind_of_write)
{
    const char *u = uniq();
    char hc[40], h2c[40], ac[40], bc[40];
    snprintf(hc, sizeof hc, "OWN-H-%s", u);
    snprintf(h2c, sizeof h2c, "OWN-H2-%s", u);
    snprintf(ac, sizeof ac, "OWN-A-%s", u);
    snprintf(bc, sizeof bc, "OWN-B-%s", u);
    long long h = unit_made(hc, "health_centre", "SYT-BN");
    long long h2 = unit_made(h2c, "health_centre", "SYT-BN");
    long long a = unit_made(ac, "commune_station", hc);
    long long b = unit_made(bc, "commune_station", hc);
    (void)h2;
    /* October is over (as of its last day); November runs (as of today). The dated move below
     * falls inside October, so October is summed the long way and November from the kept sums. */
    const long long roots[2] = {h, unit_id("SYT-BN")};
    const char *const periods[2] = {"2026-10", "2026-11"};
    assert_rollups_as_from_nothing(roots, periods, "start");
    assert_lists_match_rollup(h, "2026-10", "2026-10-31", "start");

    char p1[40], p2[40];
    snprintf(p1, sizeof p1, "OWN-P1-%s", u);
    snprintf(p2, sizeof p2, "OWN-P2-%s", u);
    const char *units[2] = {ac, bc};
    const char *codes[2] = {p1, p2};
    long long ids[2];
    for (int i = 0; i < 2; i++) ids[i] = staff_made(codes[i], "Lương Thị Hạnh", units[i], "nurse", "2025-01-01", "2025-03-01");
    assert_rollups_as_from_nothing(roots, periods, "new staff");
    assert_lists_match_rollup(h, "2026-10", "2026-10-31", "new staff");

    char course[96];
    snprintf(course, sizeof course, "course-v1:BDHVS+OWN%s+2026-1", u);
    course_made(course, "Kỹ năng số", 1);
    completion_made(T_ADMIN, p1, course, "2026-10-05");
    assert_rollups_as_from_nothing(roots, periods, "completion");
    assert_lists_match_rollup(h, "2026-10", "2026-10-31", "completion");

    expect(send_obj("POST", "/api/v1/attestations", T_ADMIN,
                    json_pack("{s:s, s:s, s:s}", "staff_code", p2, "skill", "smart_devices", "attested_on", "2026-10-20")),
           201);
    assert_rollups_as_from_nothing(roots, periods, "attestation");
    assert_lists_match_rollup(h, "2026-10", "2026-10-31", "attestation");

    served_made(a, "2026-10", 120);
    support_made(a, "2026-10", 45);
    served_made(b, "2026-11", 80);
    assert_rollups_as_from_nothing(roots, periods, "monthly flows");
    assert_lists_match_rollup(h, "2026-10", "2026-10-31", "monthly flows");

    expect(send_obj("PUT", fmt("/api/v1/units/%lld/services/emr", a), T_ADMIN,
                    json_pack("{s:s, s:s}", "status", "deployed", "deployed_on", "2026-10-12")),
           201);
    assert_rollups_as_from_nothing(roots, periods, "facility service");
    assert_lists_match_rollup(h, "2026-10", "2026-10-31", "facility service");

    expect(send_obj("POST", fmt("/api/v1/staff/%lld/transfers", ids[1]), T_ADMIN,
                    json_pack("{s:I, s:s, s:s}", "unit_id", (json_int_t)a, "effective_on", "2026-10-15", "note",
                              "Điều động")),
           201);
    assert_rollups_as_from_nothing(roots, periods, "transfer");
    assert_lists_match_rollup(h, "2026-10", "2026-10-31", "transfer");

    expect(send_obj("POST", fmt("/api/v1/units/%lld/moves", b), T_ADMIN,
                    json_pack("{s:s, s:s, s:s}", "parent_code", h2c, "effective_on", "2026-10-10", "note",
                              "Quyết định sáp nhập")),
           201);
    assert_rollups_as_from_nothing(roots, periods, "dated move");
    assert_lists_match_rollup(h, "2026-10", "2026-10-31", "dated move");

    expect(send_obj("PATCH", fmt("/api/v1/units/%lld", a), T_ADMIN, json_pack("{s:s}", "parent_code", h2c)), 200);
    assert_rollups_as_from_nothing(roots, periods, "tree corrected");
    assert_lists_match_rollup(h, "2026-10", "2026-10-31", "tree corrected");
}
END_TEST

/* Rows of the period's set rewritten by its last refresh (they share the set row's transaction):
 * those of unit u, or all of them when u is 0. */
static long long recounted(const char *period, long long u)
{
    return db_count2("SELECT count(*) FROM rollup_own_rows o JOIN rollup_own_sets s ON s.id = o.set_id"
                     " WHERE s.period = $1 AND o.xmin = s.xmin AND ($2::bigint = 0 OR o.unit_id = $2::bigint)",
                     period, idstr(u));
}

START_TEST(one_staff_change_counts_one_unit_again)
{
    const char *u = uniq();
    char hc[40], ac[40], pc[40];
    snprintf(hc, sizeof hc, "OWN1-H-%s", u);
    snprintf(ac, sizeof ac, "OWN1-A-%s", u);
    snprintf(pc, sizeof pc, "OWN1-P-%s", u);
    unit_made(hc, "health_centre", "SYT-BN");
    long long a = unit_made(ac, "commune_station", hc);
    long long p = staff_made(pc, "Vi Văn Tùng", ac, "nurse", "2025-01-01", NULL);
    long long vn = unit_id("SYT-BN");
    free(rollup_units_text(vn, "2026-09", 1));
    /* A change in the station's staff: the next rollup counts the station again, and only it. */
    expect(send_obj("PATCH", fmt("/api/v1/staff/%lld", p), T_ADMIN, json_pack("{s:s}", "full_name", "Vi Văn Tùng Lâm")),
           200);
    char *after = rollup_units_text(vn, "2026-09", 1);
    ck_assert_int_eq(recounted("2026-09", a), 1);
    ck_assert_int_eq(recounted("2026-09", 0), 1);
    free(after);
    /* A target changes no unit's figures: the next rollup (made again for its new target) counts
     * no unit again. */
    expect(send_obj("PUT", fmt("/api/v1/units/%lld/targets/CT1/2026", a), T_ADMIN, json_pack("{s:f}", "target", 90.0)),
           201);
    free(rollup_units_text(vn, "2026-09", 1));
    ck_assert_int_eq(recounted("2026-09", 0), 0);
}
END_TEST

/* A unit opened on 1 January 2024 under parent (NULL: none), closed on closed_on when given. */
static long long unit_2024(const char *code, const char *type, const char *parent, const char *closed_on)
{
    long long id = unit_made_on(code, type, parent, "2024-01-01");
    if (closed_on) expect(http_delete(fmt("/api/v1/units/%lld?closed_on=%s", id, closed_on), T_ADMIN), 204);
    return id;
}

/* The figures of a new as-of day of a period start from those of an earlier day and count again
 * only the units whose dated facts fall between the two days (rollup_day_changes). Here the as-of
 * days of the year 2024 are the closing days of two units (31 May, 30 September) and the year's
 * last day, and each kind of dated fact falls between the last two, each on a station of its own
 * (so that a rule left out would leave that station's figures as of 30 September). */
START_TEST(a_new_as_of_day_counts_again_only_what_its_days_changed)
{
    const char *u = uniq();
    enum { X, Y, Z, Z2, JOIN, LEAVE, VNEID, DONE, ATTEST, FROM, TO, OPEN, CLOSE, SERVICE, SERVED, SUPPORT, MOVE, N };
    char c[N][48];
    for (int i = 0; i < N; i++) snprintf(c[i], sizeof c[i], "OWN24-%d-%s", i, u);
    long long id[N];
    id[X] = unit_2024(c[X], "health_centre", "SYT-BN", "2024-05-31");
    id[Y] = unit_2024(c[Y], "health_centre", "SYT-BN", "2024-09-30");
    id[Z] = unit_2024(c[Z], "health_centre", "SYT-BN", NULL);
    id[Z2] = unit_2024(c[Z2], "health_centre", "SYT-BN", NULL);
    for (int i = JOIN; i < N; i++)
        if (i != OPEN) id[i] = unit_2024(c[i], "commune_station", c[Z], i == CLOSE ? "2024-11-30" : NULL);
    id[OPEN] = created_id(send_obj("POST", "/api/v1/units", T_ADMIN,
                                   json_pack("{s:s, s:s, s:s, s:s, s:s}", "code", c[OPEN], "name", "Trạm mới", "type",
                                             "commune_station", "parent_code", c[Z], "opened_on", "2024-10-01")));
    /* One staff member everywhere from the start (none in the closing or opening station). */
    char q[N][48];
    for (int i = JOIN; i < N; i++) {
        snprintf(q[i], sizeof q[i], "OWN24-Q%d-%s", i, u);
        if (i == OPEN || i == CLOSE) continue;
        long long sid = staff_made(q[i], "Đinh Thị Mến", c[i], "nurse", i == JOIN ? "2024-10-15" : "2024-01-01",
                                   i == VNEID ? "2024-10-01" : NULL);
        if (i == LEAVE)
            expect(send_obj("PATCH", fmt("/api/v1/staff/%lld", sid), T_ADMIN, json_pack("{s:s}", "left_on", "2024-11-15")),
                   200);
    }
    char course[96];
    snprintf(course, sizeof course, "course-v1:BDHVS+OWN24%s+2024-1", u);
    course_made(course, "Kỹ năng số", 1);
    completion_made(T_ADMIN, q[DONE], course, "2024-10-10");
    expect(send_obj("POST", "/api/v1/attestations", T_ADMIN,
                    json_pack("{s:s, s:s, s:s}", "staff_code", q[ATTEST], "skill", "smart_devices", "attested_on",
                              "2024-11-05")),
           201);
    long long mover = db_count("SELECT id FROM staff WHERE code = $1", q[FROM]);
    expect(send_obj("POST", fmt("/api/v1/staff/%lld/transfers", mover), T_ADMIN,
                    json_pack("{s:I, s:s, s:s}", "unit_id", (json_int_t)id[TO], "effective_on", "2024-10-20", "note",
                              "Điều động")),
           201);
    /* Every active service deployed, the last one on 10 October: complete from then on (CT3). */
    resp *ds = http_get("/api/v1/digital-services", T_ADMIN);
    ASSERT_STATUS(ds, 200);
    size_t k;
    int deployed = 0;
    json_t *svc;
    json_array_foreach(json_object_get(ds->json, "items"), k, svc) {
        if (!json_is_true(json_object_get(svc, "active"))) continue;
        const char *code = json_string_value(json_object_get(svc, "code"));
        expect(send_obj("PUT", fmt("/api/v1/units/%lld/services/%s", id[SERVICE], code), T_ADMIN,
                        json_pack("{s:s, s:s}", "status", "deployed", "deployed_on",
                                  strcmp(code, "emr") == 0 ? "2024-10-10" : "2024-02-01")),
               201);
        deployed++;
    }
    resp_free(ds);
    ck_assert_int_ge(deployed, 5);
    served_made(id[SERVED], "2024-11", 30);
    support_made(id[SUPPORT], "2024-11", 10);
    expect(send_obj("POST", fmt("/api/v1/units/%lld/moves", id[MOVE]), T_ADMIN,
                    json_pack("{s:s, s:s, s:s}", "parent_code", c[Z2], "effective_on", "2024-11-01", "note", "Sáp nhập")),
           201);

    /* The year 2024 as of X's closing day, then of Y's (from X's figures), then of its last day
     * (from Y's), which counts again exactly the stations where something happened in between. */
    free(rollup_units_text(id[X], "2024", 0));
    char *y_kept = rollup_units_text(id[Y], "2024", 0);
    long long all = db_count("SELECT count(*) FROM units", NULL);
    long long n = db_count2("SELECT rollup_own_refresh($1, '2024-01-01', $2::date)", "2024", "2024-12-31");
    /* At least the thirteen stations (other tests' facts of late 2024 may add theirs), far from all. */
    ck_assert_msg(n >= N - JOIN && n < all, "units counted again for 31 December: %lld of %lld", n, all);
    char *z_kept = rollup_units_text(id[Z], "2024", 1), *z2_kept = rollup_units_text(id[Z2], "2024", 1);
    ck_assert_int_eq(own_sums_astray("2024"), 0);

    /* The same as counted from nothing. */
    sql_exec("UPDATE stats_epoch SET v = nextval('stats_seq')");
    char *z_fresh = rollup_units_text(id[Z], "2024", 1), *z2_fresh = rollup_units_text(id[Z2], "2024", 1);
    char *y_fresh = rollup_units_text(id[Y], "2024", 0);
    assert_same_text(z_kept, z_fresh, "Z as of 31 December");
    assert_same_text(z2_kept, z2_fresh, "Z2 as of 31 December");
    assert_same_text(y_kept, y_fresh, "Y as of 30 September");
    assert_lists_match_rollup(id[Z], "2024", "2024-12-31", "Z as of 31 December");
    free(z_kept);
    free(z_fresh);
    free(z2_kept);
    free(z2_fresh);
    free(y_kept);
    free(y_fresh);
}
END_TEST

Suite *s10_own_suite(void)
{
    Suite *s = suite_create("s10_own");
    TCase *t = tcase_create("own");
    tcase_set_timeout(t, 300);
    tcase_add_test(t, kept_own_figures_equal_figures_counted_from_nothing_after_every_kind_of_write);
    tcase_add_test(t, one_staff_change_counts_one_unit_again);
    tcase_add_test(t, a_new_as_of_day_counts_again_only_what_its_days_changed);
    suite_add_tcase(s, t);
    return s;
}
