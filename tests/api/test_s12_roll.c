/* Issue 14 goal 2: what a rollup costs after one write (migrations/0043_rollup_write_cost.sql).
 * The refresh subtracts the written unit's old figures from its ancestors' sums by key, the fast
 * path reads the shown units by level, and the answer on basis 'current' with no approved snapshot
 * below the root is the rollup statement's own (rollup_on_basis is not called). Proved here:
 *  - each kind of single write the benchmark's writer makes (an attestation, a staff update, a
 *    completion) has the next refresh count its one unit again, and the rollups then equal those
 *    counted from nothing;
 *  - the answer served on basis 'current' equals what rollup_on_basis makes of the kept answer
 *    (the same keys and values: basis 'current' on the root and every unit, differs_from_approved
 *    null on every cell);
 *  - the expected and received reports read from the kept sets (0044) equal expected_below's count
 *    as a parent's obligations change after its sets were kept (new obligation, a report, an
 *    exemption), and the rollups equal those counted from nothing;
 *  - change rows no kept result needs are pruned by the scheduler thread, with no rollup read, and
 *    never while a refresh reads them. */
#include "client.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const PERIODS[2] = {"2026-10", "2026-11"};

START_TEST(each_single_write_counts_its_unit_alone)
{
    const char *u = uniq();
    enum { H, A, B, C, N };
    char c[N][40], p[N][40];
    long long id[N], sid[N];
    for (int i = 0; i < N; i++) {
        snprintf(c[i], sizeof c[i], "RW-%d-%s", i, u);
        snprintf(p[i], sizeof p[i], "RW-P%d-%s", i, u);
    }
    id[H] = unit_made(c[H], "health_centre", "SYT-BN");
    for (int i = A; i < N; i++) {
        id[i] = unit_made(c[i], "commune_station", c[H]);
        sid[i] = staff_made(p[i], "Đinh Thị Hạnh", c[i], "nurse", "2025-01-01", NULL);
    }
    char course[96];
    snprintf(course, sizeof course, "course-v1:BDHVS+RW%s+2026-1", u);
    course_made(course, "Kỹ năng số", 1);
    const long long roots[2] = {id[H], unit_id("SYT-BN")};
    assert_rollups_as_from_nothing(roots, PERIODS, "start");
    rollups_refreshed(roots[1], PERIODS);

    /* An attestation (the writer's first kind of write). */
    sql_exec(fmt("INSERT INTO attestations (staff_id, skill, attested_on) VALUES (%lld, 'smart_devices', '2026-10-03')",
                 sid[A]));
    rollups_refreshed(roots[1], PERIODS);
    for (int j = 0; j < 2; j++) assert_last_refresh(PERIODS[j], "1/0", "an attestation");
    resp *r = rollup_at(T_ADMIN, id[H], "2026-10", 1, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(rollup_cell(r, id[A], 4), "numerator")), 1); /* CT5 */
    resp_free(r);
    assert_rollups_as_from_nothing(roots, PERIODS, "an attestation");

    /* A staff update through the API (VNeID confirmed: CT2's part). */
    rollups_refreshed(roots[1], PERIODS);
    expect(http_send_json("PATCH", fmt("/api/v1/staff/%lld", sid[B]), T_ADMIN, "{\"vneid_confirmed_on\":\"2026-10-02\"}"),
           200);
    rollups_refreshed(roots[1], PERIODS);
    for (int j = 0; j < 2; j++) assert_last_refresh(PERIODS[j], "1/0", "a staff update");
    assert_rollups_as_from_nothing(roots, PERIODS, "a staff update");

    /* A completion through the API. */
    rollups_refreshed(roots[1], PERIODS);
    completion_made(T_ADMIN, p[C], course, "2026-10-12");
    rollups_refreshed(roots[1], PERIODS);
    for (int j = 0; j < 2; j++) assert_last_refresh(PERIODS[j], "1/0", "a completion");
    r = rollup_at(T_ADMIN, id[H], "2026-10", 1, NULL);
    json_t *parts = json_object_get(rollup_cell(r, id[H], 1), "parts");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(parts, "course"), "numerator")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(parts, "vneid"), "numerator")), 1);
    resp_free(r);
    assert_rollups_as_from_nothing(roots, PERIODS, "a completion");
}
END_TEST

START_TEST(the_current_answer_is_the_one_rollup_on_basis_makes)
{
    const char *u = uniq();
    char h[40], a[40], s[40];
    snprintf(h, sizeof h, "RB-H-%s", u);
    snprintf(a, sizeof a, "RB-A-%s", u);
    snprintf(s, sizeof s, "RB-P-%s", u);
    long long hid = unit_made(h, "health_centre", "SYT-BN");
    unit_made(a, "commune_station", h);
    staff_made(s, "Cao Văn Thắng", a, "doctor", "2025-01-01", "2026-10-01");
    /* Computed now (a new unit below), on basis 'current', with no snapshot below. */
    resp *r = http_get(fmt("/api/v1/indicators/rollup?unit_id=%lld&period=2026-10&depth=2", hid), T_ADMIN);
    ck_assert_msg(r->status == 200, "rollup: %ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(r, "basis"), "current");
    size_t i, k;
    json_t *unit, *cell;
    size_t cells = 0;
    json_array_foreach(json_object_get(r->json, "units"), i, unit) {
        ck_assert_str_eq(json_string_value(json_object_get(unit, "basis")), "current");
        json_array_foreach(json_object_get(unit, "indicators"), k, cell) {
            json_t *d = json_object_get(cell, "differs_from_approved");
            ck_assert_msg(d != NULL && json_is_null(d), "unit %zu cell %zu: differs_from_approved", i, k);
            cells++;
        }
    }
    ck_assert_int_eq(cells, 10); /* two units, five indicators */
    /* What rollup_on_basis makes of the kept answer (the path taken when a snapshot is in force). */
    static char made[65536];
    db_value("SELECT rollup_on_basis(k.result::json, k.root, date '2026-10-01', k.as_of, k.depth, k.period, 2026,"
             " 'current')::text FROM rollup_results k WHERE k.root = $1::bigint AND k.period = '2026-10' AND k.depth = 2",
             idstr(hid), made, sizeof made);
    json_t *want = json_loads(made, 0, NULL);
    ck_assert_msg(want != NULL, "rollup_on_basis: %s", made);
    ck_assert_msg(json_equal(want, r->json), "the answer differs from rollup_on_basis's:\n%s\n%s", r->body, made);
    json_decref(want);
    /* The kept answer on the basis is served the same. */
    resp *again = http_get(fmt("/api/v1/indicators/rollup?unit_id=%lld&period=2026-10&depth=2", hid), T_ADMIN);
    ck_assert_int_eq(again->status, 200);
    ck_assert_msg(json_equal(again->json, r->json), "kept: %s", again->body);
    resp_free(again);
    resp_free(r);
}
END_TEST

/* "expected/received" reports below unit as expected_below counts them (the rollup's way before
 * 0044, still its way when the set's day is not expected_below's): obliged units open in the
 * month-long period from first up to as_of, and those among them that sent the period's report. */
static void expected_listed(long long unit, const char *period, const char *first, const char *as_of, char *listed,
                            size_t len)
{
    db_value(fmt("SELECT count(*) || '/' || count(*) FILTER (WHERE EXISTS (SELECT 1 FROM reports r WHERE r.unit_id = u.id"
                 "   AND r.period = '%s' AND r.status IN ('submitted', 'approved', 'accepted')))"
                 " FROM (SELECT DISTINCT e.unit_id FROM expected_below($1::bigint, period_type_of('%s'), date '%s',"
                 "   (date '%s' + interval '1 month - 1 day')::date) e) b JOIN units u ON u.id = b.unit_id"
                 " WHERE (u.opened_on IS NULL OR u.opened_on <= date '%s') AND (u.closed_on IS NULL OR u.closed_on >= date '%s')",
                 period, period, first, first, as_of, first),
             idstr(unit), listed, len);
}

/* The root's expected and received reports: expected_below's count, the rollup's, both as wanted. */
static void assert_expected_as_listed(long long root, const char *period, const char *first, const char *as_of,
                                      long long want_expected, long long want_received, const char *step)
{
    char listed[64];
    expected_listed(root, period, first, as_of, listed, sizeof listed);
    ck_assert_msg(strcmp(listed, fmt("%lld/%lld", want_expected, want_received)) == 0, "%s: expected_below lists %s",
                  step, listed);
    resp *r = rollup_at(T_ADMIN, root, period, 1, NULL);
    ck_assert_msg(jint(r, "reports_expected") == want_expected && jint(r, "reports_received") == want_received,
                  "%s: the rollup says %lld/%lld, want %lld/%lld", step, jint(r, "reports_expected"),
                  jint(r, "reports_received"), want_expected, want_received);
    resp_free(r);
}

/* Every shown unit of root's rollup to depth: its expected and received reports are what
 * expected_below counts below it (the rollup reads them from the kept sums since 0044). */
static void assert_each_expected_as_listed(long long root, const char *period, const char *first, const char *as_of,
                                           int depth, const char *step)
{
    resp *r = rollup_at(T_ADMIN, root, period, depth, NULL);
    ck_assert_msg(r->status == 200, "%s: rollup %ld", step, r->status);
    size_t i;
    json_t *unit;
    int nonzero = 0;
    json_array_foreach(json_object_get(r->json, "units"), i, unit) {
        long long id = (long long)json_integer_value(json_object_get(unit, "unit_id"));
        char listed[64];
        expected_listed(id, period, first, as_of, listed, sizeof listed);
        long long e = (long long)json_integer_value(json_object_get(unit, "reports_expected"));
        long long g = (long long)json_integer_value(json_object_get(unit, "reports_received"));
        ck_assert_msg(strcmp(listed, fmt("%lld/%lld", e, g)) == 0, "%s: unit %lld says %lld/%lld, expected_below lists %s",
                      step, id, e, g, listed);
        nonzero += e > 0;
    }
    ck_assert_msg(nonzero > 1, "%s: only %d units expect reports below them", step, nonzero);
    resp_free(r);
}

START_TEST(obligations_changed_after_a_rollup_count_at_once)
{
    const char *u = uniq();
    enum { H, A, B, C, N };
    char c[N][40];
    long long id[N];
    for (int i = 0; i < N; i++) snprintf(c[i], sizeof c[i], "RO-%d-%s", i, u);
    id[H] = unit_made(c[H], "health_centre", "TTYT-SD");
    for (int i = A; i < N; i++) id[i] = unit_made(c[i], "commune_station", c[H]);
    const long long roots[2] = {id[H], unit_id("TTYT-SD")};
    assert_expected_as_listed(id[H], "2026-10", "2026-10-01", "2026-10-31", 0, 0, "no obligation");
    assert_rollups_as_from_nothing(roots, PERIODS, "no obligation");
    /* Kept sets exist; now H obliges its stations to report monthly. */
    oblige(id[H], NULL);
    assert_expected_as_listed(id[H], "2026-10", "2026-10-01", "2026-10-31", 3, 0, "an obligation");
    char today[11];
    server_today(today);
    assert_expected_as_listed(id[H], "2026-11", "2026-11-01", today, 3, 0, "an obligation");
    assert_rollups_as_from_nothing(roots, PERIODS, "an obligation");
    report_submitted(id[B], "2026-10");
    assert_expected_as_listed(id[H], "2026-10", "2026-10-01", "2026-10-31", 3, 1, "a report");
    assert_each_expected_as_listed(roots[1], "2026-10", "2026-10-01", "2026-10-31", 2, "a report, every unit");
    /* C exempted from November's on (its October expectation was fixed before the rule changed). */
    oblige(id[H], fmt("\"target\":\"child\",\"child_code\":\"%s\",\"exempt\":true", c[C]));
    assert_expected_as_listed(id[H], "2026-10", "2026-10-01", "2026-10-31", 3, 1, "an exemption");
    assert_each_expected_as_listed(roots[1], "2026-11", "2026-11-01", today, 2, "an exemption, every unit");
    assert_rollups_as_from_nothing(roots, PERIODS, "an exemption");
}
END_TEST

/* A refresh that reads the change rows holds the prune off until its transaction ends (the
 * advisory lock 30044/0: shared by rollup_own_refresh, exclusive by stats_changes_prune), so a prune
 * cannot take rows between the refresh's test of the floor and its reading of them; the scheduler's
 * prune (stats_changes_prune_if_free) does nothing then rather than wait. */
START_TEST(a_refresh_holds_the_prune_off)
{
    const char *u = uniq();
    char h[40];
    snprintf(h, sizeof h, "RL-H-%s", u);
    long long hid = unit_made(h, "health_centre", "SYT-BN");
    rollups_refreshed(hid, PERIODS); /* October's set exists */
    PGconn *a = test_db();
    PGresult *r = PQexec(a, "BEGIN");
    PQclear(r);
    sql_exec(fmt("UPDATE units SET name = name || ' (RL)' WHERE id = %lld", hid)); /* a change the set has not seen */
    char n[32];
    db_value("SELECT rollup_own_refresh('2026-10', '2026-10-01', '2026-10-31')", NULL, n, sizeof n);
    ck_assert_int_eq(db_count("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 30044"
                              " AND objid = 0 AND mode = 'ShareLock' AND granted AND pid = pg_backend_pid()",
                              NULL),
                     1);
    const char *ci = getenv("BDHVS_TEST_DB");
    PGconn *b = PQconnectdb(ci ? ci : "host=127.0.0.1 port=54321 dbname=bdhvs_test user=bdhvs");
    ck_assert_msg(PQstatus(b) == CONNECTION_OK, "second connection: %s", PQerrorMessage(b));
    PQclear(PQexec(b, "SET statement_timeout = '300ms'"));
    r = PQexec(b, "SELECT stats_changes_prune('1 day')");
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    ck_assert_msg(state != NULL && strcmp(state, "57014") == 0, "the prune ran beside a refresh: %s",
                  PQresultErrorMessage(r));
    PQclear(r);
    /* The scheduler's prune does not wait: nothing this time. */
    PQclear(PQexec(b, "SET statement_timeout = 0"));
    r = PQexec(b, "SELECT stats_changes_prune_if_free('1 day')");
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK && strcmp(PQgetvalue(r, 0, 0), "0") == 0,
                  "the scheduler's prune beside a refresh: %s %s", PQresultErrorMessage(r),
                  PQresultStatus(r) == PGRES_TUPLES_OK ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    PQclear(PQexec(a, "ROLLBACK"));
    r = PQexec(b, "SELECT stats_changes_prune('1 day')"); /* free again */
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "the prune after the refresh: %s", PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(b);
}
END_TEST

/* The change rows no kept result needs are pruned by the server's scheduler thread (every second
 * in the tests: BDHVS_WEBHOOK_OVERDUE_SECONDS=1), with no rollup read: a rollup no longer prunes
 * after computing. Every kept result and set is made to look unused for two days, so that none
 * holds the floor; the rows written before are then gone within a few seconds. (Run last: the
 * kept sets are recounted from nothing by whatever reads them next.) */
START_TEST(change_rows_are_pruned_without_a_rollup)
{
    const char *u = uniq();
    char h[40];
    snprintf(h, sizeof h, "RP-H-%s", u);
    unit_made(h, "health_centre", "SYT-BN"); /* a change row */
    char before[32];
    db_value("SELECT pg_current_xact_id()::text", NULL, before, sizeof before);
    ck_assert_int_gt(db_count("SELECT count(*) FROM stats_changes WHERE xid < $1::xid8", before), 0);
    sql_exec("UPDATE rollup_results SET made_at = now() - interval '2 days'");
    sql_exec("UPDATE rollup_basis_results SET made_at = now() - interval '2 days'");
    sql_exec("UPDATE rollup_own_sets SET used_at = now() - interval '2 days'");
    long long left = -1;
    for (int i = 0; i < 100 && left != 0; i++) {
        if (i > 0) usleep(100 * 1000);
        left = db_count("SELECT count(*) FROM stats_changes WHERE xid < $1::xid8", before);
    }
    ck_assert_msg(left == 0, "%lld change rows older than %s are left", left, before);
    ck_assert_int_eq(db_count("SELECT count(*) FROM stats_changes_floor WHERE xid >= $1::xid8", before), 1);
}
END_TEST

Suite *s12_roll_suite(void)
{
    Suite *s = suite_create("s12_roll");
    TCase *t = tcase_create("s12_roll");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, each_single_write_counts_its_unit_alone);
    tcase_add_test(t, the_current_answer_is_the_one_rollup_on_basis_makes);
    tcase_add_test(t, obligations_changed_after_a_rollup_count_at_once);
    tcase_add_test(t, a_refresh_holds_the_prune_off);
    tcase_add_test(t, change_rows_are_pruned_without_a_rollup); /* last: it ages every kept set */
    suite_add_tcase(s, t);
    return s;
}
