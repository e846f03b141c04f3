/* Issue 14 goal 2, first step: a kept rollup's check costs what changed since it was made, not the
 * size of its subtree (stats_changes, kept_changed: migrations/0039_kept_changes.sql). A kept
 * answer is reused when nothing it depends on changed (a write in another subtree, a target of
 * another unit, a dated change after its as-of day) and made again, exactly, when something in
 * its subtree changed: a staff member's data, a dated move into or out of it, a target, a report
 * submitted or approved (the approved basis too). made_at of the kept row tells which. */
#include "client.h"

#include <stdio.h>
#include <string.h>

#define STAFF_NAME "Hoàng Thị Lành" /* of every staff member the suite makes */

static void attest(const char *staff_code, const char *day)
{
    expect(send_obj("POST", "/api/v1/attestations", T_ADMIN,
                    json_pack("{s:s, s:s, s:s}", "staff_code", staff_code, "skill", "smart_devices", "attested_on", day)),
           201);
}

/* Indicator k (0: CT1 ... 4: CT5) of unit u in a rollup answer: "num/den" ("-" when u is no row). */
static const char *cell(const resp *r, long long u, int k)
{
    fig f = figure(r, u, k);
    return f.den < 0 ? "-" : fmt("%lld/%lld", f.num, f.den);
}

static void assert_cell(long long root, const char *period, long long u, int k, const char *want)
{
    resp *r = rollup_at(T_ADMIN, root, period, 1, NULL);
    const char *got = cell(r, u, k);
    ck_assert_msg(strcmp(got, want) == 0, "%s CT%d of unit %lld under %lld: %s, want %s", period, k + 1, u, root, got,
                  want);
    resp_free(r);
}

static long long basis_stamp(long long root, const char *period)
{
    return db_count2("SELECT coalesce((SELECT (extract(epoch FROM made_at) * 1000000)::bigint FROM rollup_basis_results"
                     " WHERE root = $1::bigint AND period = $2 AND depth = 1 AND basis = 'approved'), 0)",
                     idstr(root), period);
}

/* Two health centres in separate subtrees of the Department: H1 with station A (two staff, one on
 * VNeID), H2 with station B (one staff member). */
typedef struct two {
    char h1c[40], ac[64], h2c[40], bc[64];
    long long h1, a, h2, b;
} two;

static void two_centres(two *t, const char *prefix)
{
    const char *u = uniq();
    snprintf(t->h1c, sizeof t->h1c, "%s%s-1", prefix, u);
    snprintf(t->ac, sizeof t->ac, "%s-A", t->h1c);
    snprintf(t->h2c, sizeof t->h2c, "%s%s-2", prefix, u);
    snprintf(t->bc, sizeof t->bc, "%s-B", t->h2c);
    t->h1 = unit_made(t->h1c, "health_centre", "SYT-BN");
    t->a = unit_made(t->ac, "commune_station", t->h1c);
    t->h2 = unit_made(t->h2c, "health_centre", "SYT-BN");
    t->b = unit_made(t->bc, "commune_station", t->h2c);
    staff_made(fmt("%s-0", t->ac), STAFF_NAME, t->ac, "nurse", "2025-01-01", "2025-03-01");
    staff_made(fmt("%s-1", t->ac), STAFF_NAME, t->ac, "nurse", "2025-01-01", NULL);
    staff_made(fmt("%s-0", t->bc), STAFF_NAME, t->bc, "nurse", "2025-01-01", NULL);
}

/* The point: a write anywhere made the next national rollup check every unit. Now a
 * write in another subtree leaves the kept rollup valid (served as kept, made_at unchanged), and
 * a write inside it is seen at once. */
START_TEST(a_write_elsewhere_keeps_a_kept_rollup_and_one_inside_renews_it)
{
    two t;
    two_centres(&t, "FW");
    assert_cell(t.h1, "2026-03", t.a, 4, "0/2");
    assert_cell(t.h1, "2026-03", t.h1, 4, "0/2");
    long long m = kept_stamp(t.h1, "2026-03");
    ck_assert(m > 0);
    /* Another subtree writes: its own rollup follows, H1's is served as kept. */
    attest(fmt("%s-0", t.bc), "2026-02-15");
    assert_cell(t.h2, "2026-03", t.b, 4, "1/1");
    ck_assert_int_gt(db_count("SELECT count(*) FROM stats_changes WHERE unit_id = $1::bigint", idstr(t.b)), 0);
    assert_cell(t.h1, "2026-03", t.h1, 4, "0/2");
    ck_assert_int_eq(kept_stamp(t.h1, "2026-03"), m);
    /* A write in H1's subtree: made again, with the new figure. */
    attest(fmt("%s-1", t.ac), "2026-02-15");
    assert_cell(t.h1, "2026-03", t.a, 4, "1/2");
    assert_cell(t.h1, "2026-03", t.h1, 4, "1/2");
    long long m2 = kept_stamp(t.h1, "2026-03");
    ck_assert(m2 != m);
    /* And then kept again while nothing changes. */
    assert_cell(t.h1, "2026-03", t.h1, 4, "1/2");
    ck_assert_int_eq(kept_stamp(t.h1, "2026-03"), m2);
    /* A staff member's own row changed (left on 2026-03-10: not active on the as-of day). */
    long long sid = db_count("SELECT id FROM staff WHERE code = $1", fmt("%s-0", t.ac));
    ck_assert(sid > 0);
    expect(http_send_json("PATCH", fmt("/api/v1/staff/%lld", sid), T_ADMIN, "{\"left_on\":\"2026-03-10\"}"), 200);
    assert_cell(t.h1, "2026-03", t.h1, 1, "0/1");
    ck_assert(kept_stamp(t.h1, "2026-03") != m2);
}
END_TEST

/* A dated move of B from H2 to H1 on 1 February 2026: both sides' kept rollups of March are made
 * again (B counted in H1, gone from H2); their January rollups are served as kept (the tree of
 * January did not change). */
START_TEST(a_dated_move_renews_both_sides_and_keeps_the_past)
{
    two t;
    two_centres(&t, "FM");
    assert_cell(t.h1, "2026-03", t.h1, 4, "0/2");
    assert_cell(t.h2, "2026-03", t.h2, 4, "0/1");
    assert_cell(t.h1, "2026-01", t.h1, 4, "0/2");
    assert_cell(t.h2, "2026-01", t.b, 4, "0/1");
    long long k1 = kept_stamp(t.h1, "2026-03"), k2 = kept_stamp(t.h2, "2026-03");
    long long j1 = kept_stamp(t.h1, "2026-01"), j2 = kept_stamp(t.h2, "2026-01");
    ck_assert(k1 > 0 && k2 > 0 && j1 > 0 && j2 > 0);
    expect(send_obj("POST", fmt("/api/v1/units/%lld/moves", t.b), T_SYT_MANAGER,
                    json_pack("{s:s, s:s, s:s}", "parent_code", t.h1c, "effective_on", "2026-02-01", "note",
                              "Quyết định 21/QĐ-UBND")),
           201);
    assert_cell(t.h1, "2026-03", t.h1, 4, "0/3");
    assert_cell(t.h1, "2026-03", t.b, 4, "0/1");
    assert_cell(t.h2, "2026-03", t.h2, 4, "0/0");
    assert_cell(t.h2, "2026-03", t.b, 4, "-");
    ck_assert(kept_stamp(t.h1, "2026-03") != k1);
    ck_assert(kept_stamp(t.h2, "2026-03") != k2);
    assert_cell(t.h1, "2026-01", t.h1, 4, "0/2");
    assert_cell(t.h2, "2026-01", t.b, 4, "0/1");
    ck_assert_int_eq(kept_stamp(t.h1, "2026-01"), j1);
    ck_assert_int_eq(kept_stamp(t.h2, "2026-01"), j2);
    /* Late data about B's staff dated in March: H1's March is made again (H2's too: B stood
     * under it on the day before the move, within the year before March's as-of day). */
    long long k1b = kept_stamp(t.h1, "2026-03");
    attest(fmt("%s-0", t.bc), "2026-03-05");
    assert_cell(t.h1, "2026-03", t.h1, 4, "1/3");
    assert_cell(t.h2, "2026-03", t.h2, 4, "0/0");
    ck_assert(kept_stamp(t.h1, "2026-03") != k1b);
}
END_TEST

/* A unit's target: set in H1's subtree, the kept rollups of that year are made again; set on H2
 * (another subtree) or for another year, they are served as kept. */
START_TEST(a_target_renews_only_the_rollups_it_applies_to)
{
    two t;
    two_centres(&t, "FT");
    resp *r = rollup_at(T_ADMIN, t.h1, "2026-03", 1, NULL);
    resp_free(r);
    r = rollup_at(T_ADMIN, t.h1, "2025-12", 1, NULL);
    resp_free(r);
    long long m26 = kept_stamp(t.h1, "2026-03"), m25 = kept_stamp(t.h1, "2025-12");
    ck_assert(m26 > 0 && m25 > 0);
    expect(send_obj("PUT", fmt("/api/v1/units/%lld/targets/CT1/2026", t.h2), T_ADMIN, json_pack("{s:f}", "target", 55.0)),
           201);
    r = rollup_at(T_ADMIN, t.h1, "2026-03", 1, NULL);
    resp_free(r);
    ck_assert_int_eq(kept_stamp(t.h1, "2026-03"), m26);
    expect(send_obj("PUT", fmt("/api/v1/units/%lld/targets/CT1/2026", t.a), T_ADMIN, json_pack("{s:f}", "target", 65.0)),
           201);
    r = rollup_at(T_ADMIN, t.h1, "2026-03", 1, NULL);
    double target = json_number_value(json_object_get(rollup_cell(r, t.a, 0), "target"));
    resp_free(r);
    ck_assert(target == 65.0);
    ck_assert(kept_stamp(t.h1, "2026-03") != m26);
    r = rollup_at(T_ADMIN, t.h1, "2025-12", 1, NULL);
    resp_free(r);
    ck_assert_int_eq(kept_stamp(t.h1, "2025-12"), m25);
}
END_TEST

static void report(long long unit, const char *action)
{
    if (strcmp(action, "put") == 0)
        expect(http_send_json("PUT", fmt("/api/v1/reports/%lld/2026-03", unit), T_ADMIN,
                              "{\"values\":{\"s1_documents_count\":1}}"),
               201);
    else
        expect(http_send_json("POST", fmt("/api/v1/reports/%lld/2026-03/%s", unit, action), T_ADMIN, "{}"), 200);
}

/* A report submitted and approved in H1's subtree renews its kept rollups, the approved basis
 * included; the same in H2 leaves them kept. */
START_TEST(a_report_submitted_or_approved_renews_its_subtree_only)
{
    two t;
    two_centres(&t, "FR");
    expect(http_send_json("POST", "/api/v1/schedules", T_ADMIN,
                          fmt("{\"unit_id\":%lld,\"period_type\":\"month\",\"due_month\":1,\"due_day\":15}", t.h1)),
           201);
    expect(http_send_json("POST", "/api/v1/schedules", T_ADMIN,
                          fmt("{\"unit_id\":%lld,\"period_type\":\"month\",\"due_month\":1,\"due_day\":15}", t.h2)),
           201);
    resp *r = rollup_at(T_ADMIN, t.h1, "2026-03", 1, NULL);
    ck_assert_int_eq(jint(r, "reports_received"), 0);
    resp_free(r);
    r = rollup_at(T_ADMIN, t.h1, "2026-03", 1, "approved");
    resp_free(r);
    long long m = kept_stamp(t.h1, "2026-03"), mb = basis_stamp(t.h1, "2026-03");
    ck_assert(m > 0 && mb > 0);
    /* H2's station submits and is approved: H1's answers are kept. */
    report(t.b, "put");
    report(t.b, "submit");
    report(t.b, "approve");
    r = rollup_at(T_ADMIN, t.h1, "2026-03", 1, NULL);
    resp_free(r);
    r = rollup_at(T_ADMIN, t.h1, "2026-03", 1, "approved");
    resp_free(r);
    ck_assert_int_eq(kept_stamp(t.h1, "2026-03"), m);
    ck_assert_int_eq(basis_stamp(t.h1, "2026-03"), mb);
    /* A submits: received 1, both made again. */
    report(t.a, "put");
    report(t.a, "submit");
    r = rollup_at(T_ADMIN, t.h1, "2026-03", 1, NULL);
    ck_assert_int_eq(jint(r, "reports_received"), 1);
    resp_free(r);
    r = rollup_at(T_ADMIN, t.h1, "2026-03", 1, "approved");
    resp_free(r);
    long long m2 = kept_stamp(t.h1, "2026-03"), mb2 = basis_stamp(t.h1, "2026-03");
    ck_assert(m2 != m && mb2 != mb);
    /* A approved: the approved basis now takes A's snapshot; made again. */
    report(t.a, "approve");
    r = rollup_at(T_ADMIN, t.h1, "2026-03", 1, "approved");
    resp_free(r);
    ck_assert(basis_stamp(t.h1, "2026-03") != mb2);
    ck_assert(kept_stamp(t.h1, "2026-03") != m2);
}
END_TEST

/* A correction of today's tree (a PATCH of parent_id, not a dated move) may take a unit out of a
 * subtree no change row names: every kept rollup is made again, with the right figures. */
START_TEST(a_tree_correction_renews_every_kept_rollup)
{
    two t;
    two_centres(&t, "FC");
    assert_cell(t.h2, "2026-03", t.h2, 1, "0/1");
    long long m = kept_stamp(t.h2, "2026-03");
    ck_assert(m > 0);
    expect(http_send_json("PATCH", fmt("/api/v1/units/%lld", t.b), T_ADMIN, fmt("{\"parent_code\":\"%s\"}", t.h1c)),
           200);
    assert_cell(t.h2, "2026-03", t.h2, 1, "0/0");
    assert_cell(t.h1, "2026-03", t.h1, 1, "0/3");
    ck_assert(kept_stamp(t.h2, "2026-03") != m);
}
END_TEST

/* Change rows are pruned (stats_changes_prune, also run by the scheduler thread): the floor
 * rises with them, and a kept rollup older than the floor, which can no longer be checked, is made
 * again (even though only another subtree changed); then kept again. */
START_TEST(pruned_changes_renew_the_kept_rollups_they_would_have_checked)
{
    two t;
    two_centres(&t, "FP");
    assert_cell(t.h1, "2026-03", t.h1, 4, "0/2");
    long long m = kept_stamp(t.h1, "2026-03");
    ck_assert(m > 0);
    attest(fmt("%s-0", t.bc), "2026-02-15"); /* elsewhere: alone, H1's kept rollup would stay */
    ck_assert_int_gt(db_count("SELECT stats_changes_prune($1::interval)", "0"), 0);
    ck_assert_int_eq(db_count("SELECT count(*) FROM stats_changes WHERE xid < (SELECT xid FROM stats_changes_floor)", NULL),
                     0);
    assert_cell(t.h1, "2026-03", t.h1, 4, "0/2");
    long long m2 = kept_stamp(t.h1, "2026-03");
    ck_assert(m2 != m);
    assert_cell(t.h1, "2026-03", t.h1, 4, "0/2");
    ck_assert_int_eq(kept_stamp(t.h1, "2026-03"), m2);
}
END_TEST

Suite *s9_fp_suite(void)
{
    Suite *s = suite_create("s9_fp");
    TCase *t = tcase_create("fp");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, a_write_elsewhere_keeps_a_kept_rollup_and_one_inside_renews_it);
    tcase_add_test(t, a_dated_move_renews_both_sides_and_keeps_the_past);
    tcase_add_test(t, a_target_renews_only_the_rollups_it_applies_to);
    tcase_add_test(t, a_report_submitted_or_approved_renews_its_subtree_only);
    tcase_add_test(t, a_tree_correction_renews_every_kept_rollup);
    tcase_add_test(t, pruned_changes_renew_the_kept_rollups_they_would_have_checked);
    suite_add_tcase(s, t);
    return s;
}
