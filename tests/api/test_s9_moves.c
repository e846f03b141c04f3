/* Unit restructuring with dates (issue 11 §2): a move re-parents a unit from a day on and a merge
 * closes units into one on a day, without rewriting the periods before; rollups follow the tree of
 * their as-of day (stocks) and of each month's last day (flows); the tree of a day; bad moves and
 * merges are 422 and write nothing; a move inside an approved period is 409; the demo's Bắc Giang. */
#include "client.h"

#include <stdio.h>
#include <string.h>

/* A staff member of unit_code since 2025; counted for CT2 (a campaign course and VNeID, both on
 * 2025-03-01) when course is given. */
static long long make_staff(const char *code, const char *unit_code, const char *course)
{
    long long id = staff_made(code, "Nông Văn Dời", unit_code, "nurse", "2025-01-01", course ? "2025-03-01" : NULL);
    if (course) completion_made(T_ADMIN, code, course, "2025-03-01");
    return id;
}

static const char *make_course(void)
{
    static char course[96];
    snprintf(course, sizeof course, "course-v1:BDHVS+MV%s+2025-1", uniq());
    course_made(course, "Kỹ năng số", 1);
    return course;
}

/* A month's flows of a unit: patients served and one support count. */
static void flows(long long unit, const char *month, int served, int supported)
{
    served_made(unit, month, served);
    support_made(unit, month, supported);
}

/* The parent_id a rollup shows for u (0: null, -1: no row). */
static long long rollup_parent(const resp *r, long long u)
{
    json_t *row = rollup_row(r, u);
    if (row == NULL) return -1;
    json_t *p = json_object_get(row, "parent_id");
    return json_is_null(p) ? 0 : json_integer_value(p);
}

static void assert_fig(const resp *r, long long u, int k, long long num, long long den, const char *what)
{
    fig f = figure(r, u, k);
    ck_assert_msg(f.num == num && f.den == den, "%s CT%d: %lld/%lld, want %lld/%lld", what, k + 1, f.num, f.den, num,
                  den);
}

/* The ids of unit u's children in a tree answer's node for unit parent (depth-first search). */
static json_t *tree_node(json_t *node, long long id)
{
    if (json_integer_value(json_object_get(node, "id")) == id) return node;
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(node, "children"), i, k) {
        json_t *f = tree_node(k, id);
        if (f) return f;
    }
    return NULL;
}

static int has_child(json_t *root, long long parent, long long child)
{
    json_t *p = tree_node(root, parent);
    if (p == NULL) return 0;
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(p, "children"), i, k) {
        if (json_integer_value(json_object_get(k, "id")) == child) return 1;
    }
    return 0;
}

/* How many active staff under unit (its subtree of day) lack CT5 on day. */
static long long missing_ct5(long long unit, const char *day)
{
    resp *r = http_get(fmt("/api/v1/staff?missing=CT5&under=%lld&as_of=%s", unit, day), T_ADMIN);
    ASSERT_STATUS(r, 200);
    long long n = jint(r, "total");
    resp_free(r);
    return n;
}

/* The issue's measurement: moving a station to another health centre rewrote every past period of
 * both (the new parent's 2025 CT2 4/10 -> 5/11, the old one's 1/2 -> 0/1). R holds H1 (ten staff of
 * its own, four counted for CT2) and H2 (one staff member of its own, not counted, and station S
 * with one, counted). S moves from H2 to H1 on 1 February 2026: 2025 and January 2026 keep their
 * figures (and their kept rollups), February on follows the new tree; flows (CT4) follow the tree
 * of each month's last day; R is the sum of H1 and H2 on every as-of day. */
START_TEST(a_move_keeps_the_past_and_moves_the_future)
{
    const char *u = uniq();
    const char *course = make_course();
    char rc[40], h1c[48], h2c[48], sc[48];
    snprintf(rc, sizeof rc, "MV%s", u);
    snprintf(h1c, sizeof h1c, "%s-H1", rc);
    snprintf(h2c, sizeof h2c, "%s-H2", rc);
    snprintf(sc, sizeof sc, "%s-S", rc);
    long long r_ = unit_made(rc, "office", "SYT-BN");
    long long h1 = unit_made(h1c, "health_centre", rc);
    long long h2 = unit_made(h2c, "health_centre", rc);
    long long s = unit_made(sc, "commune_station", h2c);
    for (int i = 0; i < 10; i++) make_staff(fmt("%s-%d", h1c, i), h1c, i < 4 ? course : NULL);
    make_staff(fmt("%s-0", h2c), h2c, NULL);
    make_staff(fmt("%s-0", sc), sc, course);
    flows(s, "2026-01", 100, 40);
    flows(s, "2026-02", 200, 80);
    flows(s, "2026-03", 300, 120);

    resp *r = rollup_at(T_ADMIN, r_, "2025", 1, NULL);
    assert_fig(r, h1, 1, 4, 10, "2025 H1");
    assert_fig(r, h2, 1, 1, 2, "2025 H2");
    assert_fig(r, r_, 1, 5, 12, "2025 R");
    resp_free(r);
    r = rollup_at(T_ADMIN, r_, "2026-01", 1, NULL);
    assert_fig(r, h2, 1, 1, 2, "2026-01 H2");
    resp_free(r);
    long long k2025 = kept_stamp(r_, "2025"), k01 = kept_stamp(r_, "2026-01");
    ck_assert(k2025 > 0 && k01 > 0);

    /* The Department's manager is above both parents. */
    r = send_obj("POST", fmt("/api/v1/units/%lld/moves", s), T_SYT_MANAGER,
                 json_pack("{s:s, s:s, s:s}", "parent_code", h1c, "effective_on", "2026-02-01", "note",
                           "Quyết định 15/QĐ-UBND"));
    ASSERT_STATUS(r, 201);
    ck_assert_int_eq(jint(r, "from_parent_id"), h2);
    ck_assert_int_eq(jint(r, "parent_id"), h1);
    ck_assert_str_eq(jstr(r, "effective_on"), "2026-02-01");
    char loc[120];
    ck_assert_str_eq(resp_header(r, "Location", loc, sizeof loc), fmt("/api/v1/units/%lld/moves", s));
    resp_free(r);

    /* The past keeps its figures, and its kept rollups were served as kept. */
    r = rollup_at(T_ADMIN, r_, "2025", 1, NULL);
    assert_fig(r, h1, 1, 4, 10, "2025 H1 after the move");
    assert_fig(r, h2, 1, 1, 2, "2025 H2 after the move");
    assert_fig(r, r_, 1, 5, 12, "2025 R after the move");
    resp_free(r);
    r = rollup_at(T_ADMIN, r_, "2026-01", 1, NULL);
    assert_fig(r, h1, 1, 4, 10, "2026-01 H1");
    assert_fig(r, h2, 1, 1, 2, "2026-01 H2");
    assert_fig(r, h2, 3, 40, 100, "2026-01 H2");
    assert_fig(r, h1, 3, 0, 0, "2026-01 H1");
    resp_free(r);
    ck_assert_int_eq(kept_stamp(r_, "2025"), k2025);
    ck_assert_int_eq(kept_stamp(r_, "2026-01"), k01);
    /* From February: the new tree. */
    r = rollup_at(T_ADMIN, r_, "2026-02", 2, NULL);
    assert_fig(r, h1, 1, 5, 11, "2026-02 H1");
    assert_fig(r, h2, 1, 0, 1, "2026-02 H2");
    assert_fig(r, r_, 1, 5, 12, "2026-02 R");
    assert_fig(r, s, 1, 1, 1, "2026-02 S");
    assert_fig(r, h1, 3, 80, 200, "2026-02 H1");
    assert_fig(r, h2, 3, 0, 0, "2026-02 H2");
    ck_assert_int_eq(rollup_parent(r, s), h1);
    resp_free(r);
    r = rollup_at(T_ADMIN, r_, "2026-01", 2, NULL);
    ck_assert_int_eq(rollup_parent(r, s), h2);
    resp_free(r);
    /* A quarter across the move: stocks on 31 March (new tree), January's flows under H2, February's
     * and March's under H1; R is the sum. */
    r = rollup_at(T_ADMIN, r_, "2026Q1", 1, NULL);
    assert_fig(r, h1, 1, 5, 11, "2026Q1 H1");
    assert_fig(r, h2, 1, 0, 1, "2026Q1 H2");
    assert_fig(r, h1, 3, 200, 500, "2026Q1 H1");
    assert_fig(r, h2, 3, 40, 100, "2026Q1 H2");
    assert_fig(r, r_, 3, 240, 600, "2026Q1 R");
    resp_free(r);
    /* H2's own rollup counts S's January although S is no longer below it on 31 March: S is a row
     * under H2 with its January (and no staff: they count under H1 on 31 March). */
    r = rollup_at(T_ADMIN, h2, "2026Q1", 1, NULL);
    assert_fig(r, h2, 3, 40, 100, "2026Q1 rollup of H2");
    assert_fig(r, s, 3, 40, 100, "2026Q1 rollup of H2, S");
    assert_fig(r, s, 1, 0, 0, "2026Q1 rollup of H2, S");
    assert_fig(r, h2, 1, 0, 1, "2026Q1 rollup of H2");
    ck_assert_int_eq(rollup_parent(r, s), h2);
    resp_free(r);
    /* Late January data of S changes H2's January (S was there): not served stale. */
    expect(send_obj("POST", "/api/v1/patients-served", T_ADMIN,
                    json_pack("{s:I, s:s, s:i}", "unit_id", (json_int_t)s, "month", "2026-01", "count", 150)),
           200);
    r = rollup_at(T_ADMIN, r_, "2026Q1", 1, NULL);
    assert_fig(r, h2, 3, 40, 150, "2026Q1 H2 after late data");
    assert_fig(r, r_, 3, 240, 650, "2026Q1 R after late data");
    resp_free(r);
    r = rollup_at(T_ADMIN, h2, "2026Q1", 1, NULL); /* kept before the late data: computed again, S moved out of it */
    assert_fig(r, h2, 3, 40, 150, "2026Q1 rollup of H2 after late data");
    resp_free(r);

    /* The tree of a day. */
    r = http_get(fmt("/api/v1/units/%lld/tree?as_of=2026-01-31", r_), T_SYT_VIEWER);
    ASSERT_STATUS(r, 200);
    ck_assert(has_child(r->json, h2, s) && !has_child(r->json, h1, s));
    ck_assert_int_eq(json_integer_value(json_object_get(tree_node(r->json, s), "parent_id")), h2);
    resp_free(r);
    r = http_get(fmt("/api/v1/units/%lld/tree?as_of=2026-02-01", r_), T_SYT_VIEWER);
    ASSERT_STATUS(r, 200);
    ck_assert(has_child(r->json, h1, s) && !has_child(r->json, h2, s));
    resp_free(r);
    r = http_get(fmt("/api/v1/units/%lld/tree", r_), T_SYT_VIEWER);
    ASSERT_STATUS(r, 200);
    ck_assert(has_child(r->json, h1, s));
    resp_free(r);
    r = http_get(fmt("/api/v1/units/%lld/tree?as_of=2026-13-01", r_), T_SYT_VIEWER);
    ASSERT_STATUS(r, 400);
    resp_free(r);
    /* Today's unit says H1 (access follows today's tree); the moves; the audit; the change feed. */
    r = http_get(fmt("/api/v1/units/%lld", s), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "parent_id"), h1);
    resp_free(r);
    r = http_get(fmt("/api/v1/units/%lld/moves", s), T_SYT_VIEWER);
    ASSERT_STATUS(r, 200);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_int_eq(json_array_size(items), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 0), "from_parent_code")), h2c);
    resp_free(r);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM audit_log WHERE action = 'move' AND entity = 'unit'"
                               " AND entity_id = $1 AND after->>'effective_on' = $2",
                               idstr(s), "2026-02-01"),
                     1);
    ck_assert_int_ge(db_count("SELECT count(*) FROM change_log WHERE resource = 'units' AND row_id = $1::bigint",
                              idstr(s)),
                     2);
    /* The list behind a number follows the tree of its day: nobody has the smart-devices
     * attestation, so CT5's missing under H2 are its own member and S's until January, its own
     * only from February. */
    ck_assert_int_eq(missing_ct5(h2, "2026-01-31"), 2);
    ck_assert_int_eq(missing_ct5(h2, "2026-02-28"), 1);
    /* A correction may not close a cycle with a past parent: H2 under S (S was under H2 in January). */
    r = send_obj("PATCH", fmt("/api/v1/units/%lld", h2), T_ADMIN, json_pack("{s:s}", "parent_code", sc));
    ASSERT_STATUS(r, 422);
    resp_free(r);
    /* A PATCH of parent_id is a correction: back under H2 since the move, so February follows it. */
    expect(send_obj("PATCH", fmt("/api/v1/units/%lld", s), T_ADMIN, json_pack("{s:s}", "parent_code", h2c)), 200);
    r = rollup_at(T_ADMIN, r_, "2026-02", 1, NULL);
    assert_fig(r, h1, 1, 4, 10, "2026-02 H1 after the correction");
    assert_fig(r, h2, 1, 1, 2, "2026-02 H2 after the correction");
    resp_free(r);
    r = rollup_at(T_ADMIN, r_, "2025", 1, NULL);
    assert_fig(r, h2, 1, 1, 2, "2025 H2 after the correction");
    resp_free(r);
}
END_TEST

/* Two stations merge into a new one on 1 March 2026: they close on 28 February, their staff still
 * working are transferred to the result on 1 March, February keeps their own figures, March counts
 * them in the result, and the parent is the sum of its children on both days. */
START_TEST(a_merge_closes_the_merged_and_moves_their_staff)
{
    const char *u = uniq();
    const char *course = make_course();
    char hc[40], m1c[48], m2c[48], nc[48];
    snprintf(hc, sizeof hc, "MG%s", u);
    snprintf(m1c, sizeof m1c, "%s-M1", hc);
    snprintf(m2c, sizeof m2c, "%s-M2", hc);
    snprintf(nc, sizeof nc, "%s-N", hc);
    long long h = unit_made(hc, "health_centre", "TTYT-SD");
    long long m1 = unit_made(m1c, "commune_station", hc);
    long long m2 = unit_made(m2c, "commune_station", hc);
    long long p1 = make_staff(fmt("%s-1", m1c), m1c, course);
    make_staff(fmt("%s-2", m1c), m1c, NULL);
    make_staff(fmt("%s-1", m2c), m2c, course);
    flows(m1, "2026-02", 100, 30);
    resp *r = rollup_at(T_ADMIN, h, "2026-02", 1, NULL);
    assert_fig(r, m1, 1, 1, 2, "2026-02 M1");
    assert_fig(r, m2, 1, 1, 1, "2026-02 M2");
    assert_fig(r, h, 1, 2, 3, "2026-02 H");
    resp_free(r);
    long long k02 = kept_stamp(h, "2026-02");

    r = send_obj("POST", "/api/v1/units/merges", T_SD_MANAGER,
                 json_pack("{s:[I,I], s:{s:s, s:s, s:s, s:s}, s:s}", "unit_ids", (json_int_t)m1, (json_int_t)m2, "into",
                           "code", nc, "name", "Trạm Y tế xã mới", "type", "commune_station", "parent_code", hc,
                           "effective_on", "2026-03-01"));
    ASSERT_STATUS(r, 201);
    long long n = jint(r, "into_id");
    ck_assert_str_eq(jstr(r, "closed_on"), "2026-02-28");
    ck_assert_int_eq(jint(r, "staff_transferred"), 3);
    ck_assert(json_is_true(json_object_get(r->json, "created")));
    resp_free(r);

    r = http_get(fmt("/api/v1/units/%lld", m1), T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "closed_on"), "2026-02-28");
    resp_free(r);
    r = http_get(fmt("/api/v1/units/%lld", n), T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "opened_on"), "2026-03-01");
    resp_free(r);
    r = http_get(fmt("/api/v1/staff/%lld/history", p1), T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    json_t *second = json_array_get(json_object_get(r->json, "items"), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(second, "unit_id")), n);
    ck_assert_str_eq(json_string_value(json_object_get(second, "from")), "2026-03-01");
    resp_free(r);

    /* February: as it was (kept). March: the result. */
    r = rollup_at(T_ADMIN, h, "2026-02", 1, NULL);
    assert_fig(r, m1, 1, 1, 2, "2026-02 M1 after the merge");
    assert_fig(r, m2, 1, 1, 1, "2026-02 M2 after the merge");
    assert_fig(r, m1, 3, 30, 100, "2026-02 M1 after the merge");
    assert_fig(r, h, 1, 2, 3, "2026-02 H after the merge");
    ck_assert_int_eq(figure(r, n, 1).den, -1);
    resp_free(r);
    ck_assert_int_eq(kept_stamp(h, "2026-02"), k02);
    r = rollup_at(T_ADMIN, h, "2026-03", 1, NULL);
    assert_fig(r, n, 1, 2, 3, "2026-03 N");
    assert_fig(r, h, 1, 2, 3, "2026-03 H");
    ck_assert_int_eq(figure(r, m1, 1).den, -1);
    ck_assert_int_eq(figure(r, m2, 1).den, -1);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE action = 'merge' AND entity = 'unit'"
                              " AND (after->>'into_id')::bigint = $1::bigint",
                              idstr(n)),
                     2);
    /* Merging into an existing unit: the tree of a day still shows N's predecessors before. */
    r = http_get(fmt("/api/v1/units/%lld/tree?as_of=2026-02-28", h), T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert(has_child(r->json, h, m1) && has_child(r->json, h, m2) && !has_child(r->json, h, n));
    resp_free(r);
    r = http_get(fmt("/api/v1/units/%lld/tree?as_of=2026-03-01", h), T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert(!has_child(r->json, h, m1) && has_child(r->json, h, n));
    resp_free(r);
}
END_TEST

static long long moves_of(long long unit)
{
    return db_count("SELECT count(*) FROM unit_moves WHERE unit_id = $1::bigint", idstr(unit));
}

/* Every bad move or merge: 422 naming the conflict, nothing written. */
START_TEST(bad_moves_and_merges_are_422_and_write_nothing)
{
    const char *u = uniq();
    char hc[40], ac[48], bc[48], cc[48], xc[48];
    snprintf(hc, sizeof hc, "MB%s", u);
    snprintf(ac, sizeof ac, "%s-A", hc);
    snprintf(bc, sizeof bc, "%s-B", hc);
    snprintf(cc, sizeof cc, "%s-C", hc);
    snprintf(xc, sizeof xc, "%s-X", hc);
    long long h = unit_made(hc, "health_centre", "TTYT-SD");
    long long a = unit_made(ac, "commune_station", hc);
    long long b = unit_made(bc, "commune_station", hc);
    long long cl = unit_made(cc, "commune_station", hc);
    long long x = unit_made(xc, "ward", ac); /* under A */
    expect(http_send_json("DELETE", fmt("/api/v1/units/%lld?closed_on=2025-12-31", cl), T_ADMIN, NULL), 204);
    char today[11];
    server_today(today);
    const char *path_b = fmt("/api/v1/units/%lld/moves", b);
    char pb[64];
    snprintf(pb, sizeof pb, "%s", path_b);
    /* Before the unit opened. */
    resp *r = send_obj("POST", pb, T_SD_MANAGER, json_pack("{s:s, s:s}", "parent_code", ac, "effective_on", "2024-12-31"));
    ASSERT_STATUS(r, 422);
    ck_assert_int_eq(count_errors(r, "effective_on", "is before the unit opened (opened_on 2025-01-01)"), 1);
    resp_free(r);
    /* Beyond the horizon (31 days in the tests' server). */
    r = send_obj("POST", pb, T_SD_MANAGER, json_pack("{s:s, s:s}", "parent_code", ac, "effective_on", "2099-01-01"));
    ASSERT_STATUS(r, 422);
    ck_assert_str_eq(err_field(r, 0), "effective_on");
    ck_assert(strstr(err_message(r, 0), "BDHVS_TRANSFER_HORIZON_DAYS") != NULL);
    resp_free(r);
    /* Under its own descendant. */
    r = send_obj("POST", fmt("/api/v1/units/%lld/moves", a), T_SD_MANAGER,
                 json_pack("{s:s, s:s}", "parent_code", xc, "effective_on", "2026-01-01"));
    ASSERT_STATUS(r, 422);
    ck_assert_str_eq(err_field(r, 0), "parent_id");
    ck_assert(strstr(err_message(r, 0), "descendants") != NULL);
    resp_free(r);
    /* Under a closed unit. */
    r = send_obj("POST", pb, T_SD_MANAGER, json_pack("{s:s, s:s}", "parent_code", cc, "effective_on", "2026-01-01"));
    ASSERT_STATUS(r, 422);
    ck_assert_int_eq(count_errors(r, "parent_id", fmt("%s is not open on 2026-01-01 (opened_on 2025-01-01, closed_on 2025-12-31)", cc)), 1);
    resp_free(r);
    /* Already there; missing fields; unknown field; a parent outside the manager's units. */
    r = send_obj("POST", pb, T_SD_MANAGER, json_pack("{s:s, s:s}", "parent_code", hc, "effective_on", "2026-01-01"));
    ASSERT_STATUS(r, 422);
    ck_assert_int_eq(count_errors(r, "parent_id", fmt("the unit is already under %s on 2026-01-01", hc)), 1);
    resp_free(r);
    r = send_obj("POST", pb, T_SD_MANAGER, json_pack("{s:s}", "frob", "x"));
    ASSERT_STATUS(r, 422);
    ck_assert_int_eq(nerrors(r), 3);
    resp_free(r);
    r = send_obj("POST", pb, T_SD_MANAGER, json_pack("{s:s, s:s}", "parent_code", "SYT-VP", "effective_on", "2026-01-01"));
    ASSERT_STATUS(r, 422);
    ck_assert_str_eq(err_field(r, 0), "parent_code");
    resp_free(r);
    ck_assert_int_eq(moves_of(b) + moves_of(a), 0);
    /* A reporter may not; the manager may not move their own unit. */
    expect(send_obj("POST", pb, T_SD_REPORTER, json_pack("{s:s, s:s}", "parent_code", ac, "effective_on", "2026-01-01")),
           403);
    expect(send_obj("POST", fmt("/api/v1/units/%lld/moves", unit_id("TTYT-SD")), T_SD_MANAGER,
                    json_pack("{s:s, s:s}", "parent_code", hc, "effective_on", "2026-01-01")),
           403);
    /* A move, then one dated on or before it overlaps. */
    expect(send_obj("POST", pb, T_SD_MANAGER, json_pack("{s:s, s:s}", "parent_code", ac, "effective_on", "2026-01-01")),
           201);
    r = send_obj("POST", pb, T_SD_MANAGER, json_pack("{s:s, s:s}", "parent_code", hc, "effective_on", "2025-12-01"));
    ASSERT_STATUS(r, 422);
    ck_assert(strstr(err_message(r, 0), "overlaps the move effective 2026-01-01") != NULL);
    resp_free(r);
    ck_assert_int_eq(moves_of(b), 1);

    /* Merges: into a descendant of a merged unit, into a closed unit, a unit twice, a unit that
     * still has open units under it. */
    long long merges0 = db_count("SELECT count(*) FROM unit_merges", NULL);
    r = send_obj("POST", "/api/v1/units/merges", T_SD_MANAGER,
                 json_pack("{s:[I], s:s, s:s}", "unit_ids", (json_int_t)a, "into_code", xc, "effective_on", "2026-02-01"));
    ASSERT_STATUS(r, 422);
    ck_assert_int_eq(count_errors(r, "into_id", fmt("%s is a descendant of %s (today or on 2026-02-01): a unit cannot merge into its own descendant", xc, ac)), 1);
    ck_assert_int_eq(count_errors(r, "unit_ids", fmt("%s still has open units under it (%s, %s): move or merge them first", ac, bc, xc)), 1);
    resp_free(r);
    r = send_obj("POST", "/api/v1/units/merges", T_SD_MANAGER,
                 json_pack("{s:[I], s:s, s:s}", "unit_ids", (json_int_t)x, "into_code", cc, "effective_on", "2026-02-01"));
    ASSERT_STATUS(r, 422);
    ck_assert_int_eq(count_errors(r, "into_id", fmt("%s is not open on 2026-02-01 (opened_on 2025-01-01, closed_on 2025-12-31)", cc)), 1);
    resp_free(r);
    r = send_obj("POST", "/api/v1/units/merges", T_SD_MANAGER,
                 json_pack("{s:[I,I], s:I, s:s}", "unit_ids", (json_int_t)x, (json_int_t)x, "into_id", (json_int_t)h,
                           "effective_on", "2026-02-01"));
    ASSERT_STATUS(r, 422);
    ck_assert_int_eq(count_errors(r, "unit_ids", fmt("unit %lld is listed twice", x)), 1);
    resp_free(r);
    r = send_obj("POST", "/api/v1/units/merges", T_SD_MANAGER,
                 json_pack("{s:[I], s:I, s:s}", "unit_ids", (json_int_t)h, "into_id", (json_int_t)h, "effective_on",
                           "2026-02-01"));
    ASSERT_STATUS(r, 422);
    resp_free(r);
    r = send_obj("POST", "/api/v1/units/merges", T_SD_MANAGER,
                 json_pack("{s:[I], s:s, s:s}", "unit_ids", (json_int_t)unit_id("SYT-VP"), "into_code", hc, "effective_on",
                           "2026-02-01"));
    ASSERT_STATUS(r, 422);
    ck_assert_str_eq(err_field(r, 0), "unit_ids");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM unit_merges", NULL), merges0);
    r = http_get(fmt("/api/v1/units/%lld", x), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert(json_is_true(json_object_get(r->json, "active")));
    resp_free(r);
}
END_TEST

/* One rule for every dated change: a move or a merge effective inside a period whose report is
 * approved, for the unit, its old or its new parent, is 409 period-locked, nothing written. */
START_TEST(a_move_inside_an_approved_period_is_locked)
{
    const char *u = uniq();
    char hc[40], ac[48], bc[48], gc[48];
    snprintf(hc, sizeof hc, "ML%s", u);
    snprintf(ac, sizeof ac, "%s-A", hc);
    snprintf(bc, sizeof bc, "%s-B", hc);
    snprintf(gc, sizeof gc, "%s-G", hc);
    long long h = unit_made(hc, "health_centre", "TTYT-SD");
    oblige_every_child(h);
    long long a = unit_made(ac, "commune_station", hc);
    long long b = unit_made(bc, "commune_station", hc);
    unit_made(gc, "ward", hc);
    resp *r = http_send_json("PUT", fmt("/api/v1/reports/%lld/2026-06", a), T_SD_REPORTER,
                             "{\"values\":{\"s1_documents_count\":1}}");
    ck_assert_msg(r->status == 200 || r->status == 201, "report: %ld %s", r->status, r->body);
    resp_free(r);
    expect(http_send_json("POST", fmt("/api/v1/reports/%lld/2026-06/submit", a), T_SD_REPORTER, "{}"), 200);
    expect(http_send_json("POST", fmt("/api/v1/reports/%lld/2026-06/approve", a), T_SD_MANAGER, "{}"), 200);
    r = send_obj("POST", fmt("/api/v1/units/%lld/moves", a), T_SD_MANAGER,
                 json_pack("{s:s, s:s}", "parent_code", gc, "effective_on", "2026-06-10"));
    ASSERT_STATUS(r, 409);
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:period-locked");
    resp_free(r);
    r = send_obj("POST", "/api/v1/units/merges", T_SD_MANAGER,
                 json_pack("{s:[I], s:I, s:s}", "unit_ids", (json_int_t)b, "into_id", (json_int_t)a, "effective_on",
                           "2026-06-15"));
    ASSERT_STATUS(r, 409);
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:period-locked");
    resp_free(r);
    ck_assert_int_eq(moves_of(a), 0);
    r = http_get(fmt("/api/v1/units/%lld", b), T_ADMIN);
    ck_assert(json_is_true(json_object_get(r->json, "active")));
    resp_free(r);
    expect(send_obj("POST", fmt("/api/v1/units/%lld/moves", a), T_SD_MANAGER,
                    json_pack("{s:s, s:s}", "parent_code", gc, "effective_on", "2026-07-01")),
           201);
    ck_assert_int_eq(moves_of(a), 1);
}
END_TEST

/* The demo: SYT Bắc Giang closed on 30 June 2025; TTYT Sơn Động answered to it until then and to
 * SYT Bắc Ninh from 1 July 2025; the stations of Cẩm Đàn and Chiên Sơn merged into Yên Định's. */
START_TEST(the_demo_bac_giang_half_year)
{
    long long bg = unit_id("SYT-BG"), bn = unit_id("SYT-BN"), sd = unit_id("TTYT-SD");
    ck_assert(bg > 0);
    resp *r = rollup_at(T_ADMIN, bg, "2025S1", 1, NULL);
    ck_assert_str_eq(jstr(r, "as_of"), "2025-06-30");
    fig fsd = figure(r, sd, 1), fbg = figure(r, bg, 1);
    ck_assert(fsd.den > 0);
    ck_assert_int_eq(fbg.den, fsd.den);
    ck_assert_int_eq(fbg.num, fsd.num);
    ck_assert_int_eq(rollup_parent(r, sd), bg);
    resp_free(r);
    /* A year of the closed Department reports up to its closing day. */
    r = rollup_at(T_ADMIN, bg, "2025", 1, NULL);
    ck_assert_str_eq(jstr(r, "as_of"), "2025-06-30");
    ck_assert_int_eq(figure(r, bg, 1).den, fsd.den);
    resp_free(r);
    r = rollup_at(T_ADMIN, bn, "2025S1", 1, NULL);
    ck_assert_int_eq(figure(r, sd, 1).den, -1);
    resp_free(r);
    r = rollup_at(T_ADMIN, bn, "2026S1", 1, NULL);
    ck_assert(figure(r, sd, 1).den > 0);
    ck_assert_int_eq(rollup_parent(r, sd), bn);
    resp_free(r);
    r = http_get(fmt("/api/v1/units/%lld/tree?as_of=2025-06-30&depth=1", bg), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert(has_child(r->json, bg, sd));
    resp_free(r);
    r = http_get(fmt("/api/v1/units/%lld/tree?as_of=2025-07-01&depth=1", bn), T_SYT_VIEWER);
    ASSERT_STATUS(r, 200);
    ck_assert(has_child(r->json, bn, sd));
    resp_free(r);
    r = http_get(fmt("/api/v1/units/%lld/tree?as_of=2025-06-30&depth=1", bn), T_SYT_VIEWER);
    ASSERT_STATUS(r, 200);
    ck_assert(!has_child(r->json, bn, sd));
    resp_free(r);
    /* The merged stations closed the day before the merge. */
    r = http_get(fmt("/api/v1/units/%lld", unit_id("TYT-CAMDAN")), T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "closed_on"), "2025-06-30");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM unit_merges m JOIN units y ON y.id = m.into_unit_id"
                              " WHERE y.code = $1 AND m.effective_on = date '2025-07-01'",
                              "TYT-YENDINH"),
                     1);
}
END_TEST

Suite *s9_moves_suite(void)
{
    Suite *s = suite_create("s9_moves");
    TCase *t = tcase_create("moves");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, a_move_keeps_the_past_and_moves_the_future);
    tcase_add_test(t, a_merge_closes_the_merged_and_moves_their_staff);
    tcase_add_test(t, bad_moves_and_merges_are_422_and_write_nothing);
    tcase_add_test(t, a_move_inside_an_approved_period_is_locked);
    tcase_add_test(t, the_demo_bac_giang_half_year);
    suite_add_tcase(s, t);
    return s;
}
