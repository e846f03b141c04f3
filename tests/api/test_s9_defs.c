/* Issue 11 §5: targets per unit. A unit's own target for an indicator and year is inherited by
 * the units below it unless they set their own; the rollup's target, gap and met and the at-risk
 * projection use the nearest one; kept rollups follow a target change exactly (that year only);
 * who may set a unit's targets; bad input writes nothing. Hand counts in each test. */
#include "client.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define STAFF_NAME "Nguyễn Thị Chỉ Tiêu" /* of every staff member the suite makes */

static void attest(const char *staff_code, const char *skill)
{
    expect(send_obj("POST", "/api/v1/attestations", T_ADMIN,
                    json_pack("{s:s, s:s, s:s}", "staff_code", staff_code, "skill", skill, "attested_on", "2025-02-01")),
           201);
}

/* Asserts a cell's value, target, gap, met (-1: null) and target_unit_id (0: null). */
static void assert_cell(const resp *r, long long u, int k, double value, double target, double gap, int met,
                        long long set_by)
{
    json_t *c = rollup_cell(r, u, k);
    double v = json_number_value(json_object_get(c, "value")), t = json_number_value(json_object_get(c, "target")),
           g = json_number_value(json_object_get(c, "gap"));
    json_t *m = json_object_get(c, "met"), *s = json_object_get(c, "target_unit_id");
    ck_assert_msg(fabs(v - value) < 0.001 && fabs(t - target) < 0.001 && fabs(g - gap) < 0.001,
                  "unit %lld CT%d: value %g target %g gap %g (want %g %g %g)", u, k + 1, v, t, g, value, target, gap);
    ck_assert_msg(met < 0 ? json_is_null(m) : json_is_boolean(m) && json_boolean_value(m) == (met == 1),
                  "unit %lld CT%d: met is not %d", u, k + 1, met);
    ck_assert_msg(set_by == 0 ? json_is_null(s) : json_integer_value(s) == set_by,
                  "unit %lld CT%d: target_unit_id is not %lld", u, k + 1, set_by);
}

static resp *put_target(long long unit, const char *code, int year, const char *token, json_t *body)
{
    return send_obj("PUT", fmt("/api/v1/units/%lld/targets/%s/%d", unit, code, year), token, body);
}

static long long g_h, g_a, g_b;
static char g_hc[40], g_ac[48], g_bc[48];

/* H (a health centre under SYT-BN) with stations A and B. CT1 on 31 March 2026: A has two staff,
 * one with the awareness and an EMR attestation (1/2 = 50 %); B one without (0/1); H none of its
 * own, so H = 1/3 = 33.3 %. The Department's 2026 CT1 target is 100 (reach it). */
static void scenario(void)
{
    if (g_h) return;
    const char *u = uniq();
    snprintf(g_hc, sizeof g_hc, "TG-%s", u);
    snprintf(g_ac, sizeof g_ac, "%s-A", g_hc);
    snprintf(g_bc, sizeof g_bc, "%s-B", g_hc);
    g_h = unit_made(g_hc, "health_centre", "SYT-BN");
    g_a = unit_made(g_ac, "commune_station", g_hc);
    g_b = unit_made(g_bc, "commune_station", g_hc);
    staff_made(fmt("%s-P1", g_hc), STAFF_NAME, g_ac, "nurse", "2025-01-01", NULL);
    staff_made(fmt("%s-P2", g_hc), STAFF_NAME, g_ac, "nurse", "2025-01-01", NULL);
    staff_made(fmt("%s-P3", g_hc), STAFF_NAME, g_bc, "nurse", "2025-01-01", NULL);
    attest(fmt("%s-P1", g_hc), "digital_awareness");
    attest(fmt("%s-P1", g_hc), "emr");
}

START_TEST(targets_are_inherited_and_overridden)
{
    scenario();
    /* The Department's target for everyone. */
    resp *r = rollup_at(T_ADMIN, g_h, "2026-03", 1, NULL);
    assert_cell(r, g_h, 0, 33.3, 100, 66.7, 0, 0);
    assert_cell(r, g_a, 0, 50, 100, 50, 0, 0);
    assert_cell(r, g_b, 0, 0, 100, 100, 0, 0);
    resp_free(r);
    r = rollup_at(T_ADMIN, g_h, "2025-12", 1, NULL); /* another year: kept through the 2026 changes below */
    resp_free(r);
    long long m25 = kept_stamp(g_h, "2025-12"), m26 = kept_stamp(g_h, "2026-03");
    ck_assert(m25 > 0 && m26 > 0);

    /* The Department's manager (above H) sets H's 2026 CT1 target: 50. H and its stations take it. */
    r = put_target(g_h, "CT1", 2026, T_SYT_MANAGER,
                   json_pack("{s:f, s:s}", "target", 50.0, "note", "Kế hoạch của TTYT: 50% năm 2026"));
    ASSERT_STATUS(r, 201);
    ck_assert_int_eq(jint(r, "unit_id"), g_h);
    ck_assert_str_eq(jstr(r, "indicator"), "CT1");
    ck_assert_int_eq(jint(r, "year"), 2026);
    ck_assert(fabs(json_number_value(json_object_get(r->json, "target")) - 50) < 0.001);
    ck_assert(json_is_false(json_object_get(r->json, "strict")));
    char loc[200];
    ck_assert_str_eq(resp_header(r, "Location", loc, sizeof loc), fmt("/api/v1/units/%lld/targets/CT1/2026", g_h));
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'unit_target' AND entity_id = $1"
                              " AND action = 'create'", fmt("%lld/CT1/2026", g_h)), 1);
    r = rollup_at(T_ADMIN, g_h, "2026-03", 1, NULL);
    assert_cell(r, g_h, 0, 33.3, 50, 16.7, 0, g_h);
    assert_cell(r, g_a, 0, 50, 50, 0, 1, g_h);
    assert_cell(r, g_b, 0, 0, 50, 50, 0, g_h);
    assert_cell(r, g_h, 1, 0, 100, 100, 0, 0); /* CT2 keeps the Department's */
    resp_free(r);
    ck_assert_int_gt(kept_stamp(g_h, "2026-03"), m26);
    m26 = kept_stamp(g_h, "2026-03");

    /* A sets its own, over 60 % (strict): A 50 % misses it by 10; H and B keep H's. */
    r = put_target(g_a, "CT1", 2026, T_SYT_MANAGER, json_pack("{s:i, s:b}", "target", 60, "strict", 1));
    ASSERT_STATUS(r, 201);
    resp_free(r);
    r = rollup_at(T_ADMIN, g_h, "2026-03", 1, NULL);
    assert_cell(r, g_h, 0, 33.3, 50, 16.7, 0, g_h);
    assert_cell(r, g_a, 0, 50, 60, 10, 0, g_a);
    assert_cell(r, g_b, 0, 0, 50, 50, 0, g_h);
    resp_free(r);
    ck_assert_int_gt(kept_stamp(g_h, "2026-03"), m26);
    /* The same request again is served from the kept rollup. */
    m26 = kept_stamp(g_h, "2026-03");
    r = rollup_at(T_ADMIN, g_h, "2026-03", 1, NULL);
    assert_cell(r, g_a, 0, 50, 60, 10, 0, g_a);
    resp_free(r);
    ck_assert_int_eq(kept_stamp(g_h, "2026-03"), m26);
    /* A strict 50 at A: 50 % is not over 50 %. Replacing answers 200 and is audited as an update. */
    r = put_target(g_a, "CT1", 2026, T_ADMIN, json_pack("{s:i}", "target", 50));
    ASSERT_STATUS(r, 200);
    ck_assert(json_is_true(json_object_get(r->json, "strict"))); /* left out: unchanged */
    resp_free(r);
    r = rollup_at(T_ADMIN, g_h, "2026-03", 1, NULL);
    assert_cell(r, g_a, 0, 50, 50, 0, 0, g_a);
    resp_free(r);

    /* The unit's targets as listed: A's CT1 its own, B's inherited from H, CT5 the Department's. */
    r = http_get(fmt("/api/v1/units/%lld/targets?year=2026", g_b), T_SD_MANAGER);
    ASSERT_STATUS(r, 404); /* B is not under TTYT Sơn Động */
    resp_free(r);
    r = http_get(fmt("/api/v1/units/%lld/targets?year=2026", g_b), T_SYT_VIEWER);
    ASSERT_STATUS(r, 200);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_int_eq(json_array_size(items), 5);
    json_t *c1 = json_array_get(items, 0), *c5 = json_array_get(items, 4);
    ck_assert_str_eq(json_string_value(json_object_get(c1, "indicator")), "CT1");
    ck_assert_str_eq(json_string_value(json_object_get(c1, "source")), "inherited");
    ck_assert_int_eq(json_integer_value(json_object_get(c1, "set_by_unit_id")), g_h);
    ck_assert_str_eq(json_string_value(json_object_get(c1, "set_by_unit_code")), g_hc);
    ck_assert_str_eq(json_string_value(json_object_get(c5, "source")), "department");
    ck_assert(json_is_null(json_object_get(c5, "set_by_unit_id")));
    resp_free(r);

    /* Removing A's own: A falls back to H's. */
    expect(http_delete(fmt("/api/v1/units/%lld/targets/CT1/2026", g_a), T_SYT_MANAGER), 204);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'unit_target' AND entity_id = $1"
                              " AND action = 'delete'", fmt("%lld/CT1/2026", g_a)), 1);
    expect(http_delete(fmt("/api/v1/units/%lld/targets/CT1/2026", g_a), T_SYT_MANAGER), 404);
    r = rollup_at(T_ADMIN, g_h, "2026-03", 1, NULL);
    assert_cell(r, g_a, 0, 50, 50, 0, 1, g_h);
    resp_free(r);
    /* 2025's kept rollup was never invalidated by 2026's targets. */
    ck_assert_int_eq(kept_stamp(g_h, "2025-12"), m25);
}
END_TEST

/* At-risk projects each unit against its nearest target: H's 50 for H and B, A's own 40 for A. */
START_TEST(at_risk_uses_the_nearest_target)
{
    scenario();
    char today[11];
    server_today(today);
    int year = atoi(today);
    resp *p = put_target(g_h, "CT1", year, T_ADMIN, json_pack("{s:i}", "target", 45));
    ck_assert_msg(p->status == 200 || p->status == 201, "PUT: %ld", p->status); /* 200 after the test above */
    resp_free(p);
    expect(put_target(g_a, "CT1", year, T_ADMIN, json_pack("{s:i, s:s}", "target", 40, "deadline",
                                                           fmt("%d-06-30", year))), 201);
    resp *r = http_get(fmt("/api/v1/indicators/at-risk?unit_id=%lld&indicator=CT1", g_h), T_ADMIN);
    ASSERT_STATUS(r, 200);
    size_t i;
    json_t *it;
    int seen = 0;
    json_array_foreach(json_object_get(r->json, "items"), i, it) {
        long long u = json_integer_value(json_object_get(it, "unit_id"));
        double t = json_number_value(json_object_get(it, "target"));
        const char *dl = json_string_value(json_object_get(it, "deadline"));
        if (u == g_a) {
            ck_assert(fabs(t - 40) < 0.001);
            ck_assert_str_eq(dl, fmt("%d-06-30", year));
            /* 50 % now and at every month's end: no trend, projected 50, on track for 40 */
            ck_assert(json_is_true(json_object_get(it, "on_track")));
        } else {
            ck_assert(fabs(t - 45) < 0.001);
            ck_assert_str_eq(dl, fmt("%d-12-31", year));
        }
        seen++;
    }
    ck_assert_int_eq(seen, 3);
    resp_free(r);
    expect(http_delete(fmt("/api/v1/units/%lld/targets/CT1/%d", g_a, year), T_ADMIN), 204);
}
END_TEST

/* Bad input is 422 and writes nothing; the unit's own targets come from above (403); a unit outside
 * the caller's subtree is 404; a reporter may not set targets (403). */
START_TEST(bad_targets_are_refused_and_write_nothing)
{
    scenario();
    long long before = db_count("SELECT count(*) FROM unit_targets WHERE unit_id = $1::bigint", idstr(g_b));
    resp *r = put_target(g_b, "CT9", 2026, T_ADMIN, json_pack("{s:i}", "target", 50));
    ASSERT_STATUS(r, 422);
    assert_one_error(r, "code", NULL);
    resp_free(r);
    r = put_target(g_b, "CT1", 2026, T_ADMIN, json_pack("{s:f}", "target", 100.5));
    ASSERT_STATUS(r, 422);
    assert_one_error(r, "target", "must be a percentage from 0 to 100");
    resp_free(r);
    r = put_target(g_b, "CT1", 2026, T_ADMIN, json_pack("{s:i}", "target", -1));
    assert_one_error(r, "target", "must be a percentage from 0 to 100");
    resp_free(r);
    r = put_target(g_b, "CT1", 2026, T_ADMIN, json_pack("{s:b}", "strict", 1));
    assert_one_error(r, "target", "is required");
    resp_free(r);
    r = put_target(g_b, "CT1", 2026, T_ADMIN, json_pack("{s:i, s:s}", "target", 50, "deadline", "2025-06-30"));
    assert_one_error(r, "deadline", "must be a day of 2026");
    resp_free(r);
    r = put_target(g_b, "CT1", 2026, T_ADMIN, json_pack("{s:i, s:i}", "target", 50, "colour", 1));
    ck_assert_int_eq(r->status, 422);
    resp_free(r);
    r = put_target(g_b, "CT1", 1999, T_ADMIN, json_pack("{s:i}", "target", 50));
    assert_one_error(r, "year", NULL);
    resp_free(r);
    /* Who: the Sơn Động manager may not set TTYT Sơn Động's own targets, nor see H's subtree. */
    r = put_target(unit_id("TTYT-SD"), "CT1", 2026, T_SD_MANAGER, json_pack("{s:i}", "target", 50));
    ASSERT_STATUS(r, 403);
    resp_free(r);
    r = put_target(g_b, "CT1", 2026, T_SD_MANAGER, json_pack("{s:i}", "target", 50));
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = put_target(unit_id("TYT-DAISON"), "CT1", 2026, T_SD_REPORTER, json_pack("{s:i}", "target", 50));
    ASSERT_STATUS(r, 403);
    resp_free(r);
    expect(http_delete(fmt("/api/v1/units/%lld/targets/CT1/2026", unit_id("TTYT-SD")), T_SD_MANAGER), 403);
    r = http_get(fmt("/api/v1/units/%lld/targets?year=20x6", g_b), T_ADMIN);
    ASSERT_STATUS(r, 400);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM unit_targets WHERE unit_id = $1::bigint", idstr(g_b)), before);
    ck_assert_int_eq(db_count("SELECT count(*) FROM unit_targets u JOIN units x ON x.id = u.unit_id"
                              " WHERE x.code = $1 AND u.year = 2026", "TTYT-SD"), 0);
}
END_TEST

/* The demo data: TTYT Sơn Động's own 2025 targets (plan 19/KH-TTYT), inherited by its stations. */
START_TEST(son_dong_has_its_own_2025_targets)
{
    resp *r = http_get(fmt("/api/v1/units/%lld/targets?year=2025", unit_id("TYT-DAISON")), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    size_t i;
    json_t *it;
    int n = 0;
    json_array_foreach(json_object_get(r->json, "items"), i, it) {
        const char *code = json_string_value(json_object_get(it, "indicator"));
        if (strcmp(code, "CT1") != 0 && strcmp(code, "CT4") != 0) continue;
        ck_assert_str_eq(json_string_value(json_object_get(it, "source")), "inherited");
        ck_assert_str_eq(json_string_value(json_object_get(it, "set_by_unit_code")), "TTYT-SD");
        ck_assert(json_is_true(json_object_get(it, "strict")));
        ck_assert(fabs(json_number_value(json_object_get(it, "target")) - (strcmp(code, "CT1") == 0 ? 80 : 60)) < 0.001);
        n++;
    }
    ck_assert_int_eq(n, 2);
    resp_free(r);
}
END_TEST


/* CT4 counts people (issue 11 §4). Station S of health centre H4 in March 2026: 100 people served;
 * 40 helped with cashless payment and 30 with record lookup. Without people_supported the month
 * counts its busiest service, 40 (never 70); recording 70 distinct people counts 70; 120 (more than
 * served) is stored with a warning naming the month, and the rollup flags the CT4 cell of S and H4.
 * Per-service counts stay. */
START_TEST(ct4_counts_people_supported)
{
    const char *u = uniq();
    char hc[40], sc[48];
    snprintf(hc, sizeof hc, "P4-%s", u);
    snprintf(sc, sizeof sc, "%s-S", hc);
    long long h = unit_made(hc, "health_centre", "SYT-BN"), st = unit_made(sc, "commune_station", hc);
    expect(send_obj("POST", "/api/v1/support-counts", T_ADMIN,
                    json_pack("{s:s, s:s, s:s, s:s, s:i}", "unit_code", sc, "month", "2026-03", "service",
                              "cashless_payment", "target_group", "general", "count", 40)),
           201);
    expect(send_obj("POST", "/api/v1/support-counts", T_ADMIN,
                    json_pack("{s:s, s:s, s:s, s:s, s:i}", "unit_code", sc, "month", "2026-03", "service", "ehr_lookup",
                              "target_group", "general", "count", 30)),
           201);
    resp *r = send_obj("POST", "/api/v1/patients-served", T_ADMIN,
                       json_pack("{s:s, s:s, s:i}", "unit_code", sc, "month", "2026-03", "count", 100));
    ASSERT_STATUS(r, 201);
    ck_assert(json_is_null(json_object_get(r->json, "people_supported")));
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "warnings")), 0);
    resp_free(r);
    r = rollup_at(T_ADMIN, h, "2026-03", 1, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(rollup_cell(r, st, 3), "numerator")), 40);
    ck_assert_int_eq(json_integer_value(json_object_get(rollup_cell(r, st, 3), "denominator")), 100);
    ck_assert_ptr_null(json_object_get(rollup_cell(r, st, 3), "supported_above_served"));
    resp_free(r);

    r = send_obj("POST", "/api/v1/patients-served", T_SYT_MANAGER,
                 json_pack("{s:s, s:s, s:i, s:i}", "unit_code", sc, "month", "2026-03", "count", 100, "people_supported", 70));
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "people_supported"), 70);
    resp_free(r);
    r = rollup_at(T_ADMIN, h, "2026-03", 1, NULL);
    assert_cell(r, st, 3, 70, 100, 30, 0, 0);
    assert_cell(r, h, 3, 70, 100, 30, 0, 0);
    resp_free(r);
    /* The count changed without people_supported: the people supported stay. */
    r = send_obj("POST", "/api/v1/patients-served", T_ADMIN,
                 json_pack("{s:s, s:s, s:i}", "unit_code", sc, "month", "2026-03", "count", 140));
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "people_supported"), 70);
    resp_free(r);
    r = rollup_at(T_ADMIN, h, "2026-03", 1, NULL);
    assert_cell(r, h, 3, 50, 100, 50, 0, 0);
    resp_free(r);

    /* More people supported than served: stored, with a warning naming the month. */
    r = send_obj("POST", "/api/v1/patients-served", T_ADMIN,
                 json_pack("{s:s, s:s, s:i, s:i}", "unit_code", sc, "month", "2026-03", "count", 100, "people_supported", 120));
    ASSERT_STATUS(r, 200);
    json_t *w = json_array_get(json_object_get(r->json, "warnings"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(w, "code")), "people_supported_above_served");
    ck_assert_str_eq(json_string_value(json_object_get(w, "month")), "2026-03");
    ck_assert_str_eq(json_string_value(json_object_get(w, "message")),
                     "In 2026-03, 120 people supported exceed the 100 people served.");
    resp_free(r);
    r = rollup_at(T_ADMIN, h, "2026-03", 1, NULL);
    for (int k = 0; k < 2; k++) {
        json_t *c = rollup_cell(r, k ? h : st, 3);
        ck_assert_int_eq(json_integer_value(json_object_get(c, "numerator")), 120);
        json_t *f = json_array_get(json_object_get(c, "supported_above_served"), 0);
        ck_assert_ptr_nonnull(f);
        ck_assert_str_eq(json_string_value(json_object_get(f, "unit_code")), sc);
        ck_assert_str_eq(json_string_value(json_object_get(f, "month")), "2026-03");
        ck_assert_int_eq(json_integer_value(json_object_get(f, "people_supported")), 120);
        ck_assert_int_eq(json_integer_value(json_object_get(f, "served")), 100);
    }
    resp_free(r);
    r = rollup_at(T_ADMIN, h, "2026-04", 1, NULL); /* another month: no flag */
    ck_assert_ptr_null(json_object_get(rollup_cell(r, h, 3), "supported_above_served"));
    resp_free(r);
    /* The per-service counts stay for the breakdown. */
    ck_assert_int_eq(db_count("SELECT sum(count) FROM support_counts WHERE unit_id = $1::bigint", idstr(st)), 70);

    /* Bad input: 422, nothing written; null clears it (the busiest service again). */
    r = send_obj("POST", "/api/v1/patients-served", T_ADMIN,
                 json_pack("{s:s, s:s, s:i, s:i}", "unit_code", sc, "month", "2026-03", "count", 100, "people_supported", -1));
    ASSERT_STATUS(r, 422);
    assert_one_error(r, "people_supported", NULL);
    resp_free(r);
    r = send_obj("POST", "/api/v1/patients-served", T_ADMIN,
                 json_pack("{s:s, s:s, s:i, s:s}", "unit_code", sc, "month", "2026-03", "count", 100, "people_supported", "70"));
    ASSERT_STATUS(r, 422);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT people_supported FROM patients_served WHERE unit_id = $1::bigint", idstr(st)), 120);
    r = send_obj("POST", "/api/v1/patients-served", T_ADMIN,
                 json_pack("{s:s, s:s, s:i, s:n}", "unit_code", sc, "month", "2026-03", "count", 100, "people_supported"));
    ASSERT_STATUS(r, 200);
    resp_free(r);
    r = rollup_at(T_ADMIN, h, "2026-03", 1, NULL);
    assert_cell(r, h, 3, 40, 100, 60, 0, 0);
    resp_free(r);
}
END_TEST

/* The definitions are data, chosen by the year: CT1's 2025 definition (plan 19/KH-TTYT) asks any one
 * work platform, 2026's (plan 2948/KH-SYT) the platforms of one's work by job group. */
START_TEST(definitions_are_stated_by_year)
{
    resp *r = http_get("/api/v1/indicators/definitions?year=2025", T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "year"), 2025);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 5);
    json_t *ct1 = json_array_get(items, 0), *ct4 = json_array_get(items, 3);
    ck_assert_str_eq(json_string_value(json_object_get(ct1, "code")), "CT1");
    ck_assert_int_eq(json_integer_value(json_object_get(ct1, "in_force_from")), 2025);
    ck_assert_str_eq(json_string_value(json_object_get(ct1, "plan")), "Kế hoạch 19/KH-TTYT");
    ck_assert_uint_eq(json_array_size(json_object_get(json_object_get(ct1, "parameters"), "rules")), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(json_object_get(json_object_get(ct1, "parameters"), "default"),
                                                      "any_of")), 5);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(ct4, "parameters"), "numerator")),
                     "people_supported");
    ck_assert_ptr_nonnull(json_string_value(json_object_get(json_object_get(ct4, "numerator"), "vi")));
    ck_assert_ptr_nonnull(json_string_value(json_object_get(json_object_get(ct4, "denominator"), "en")));
    resp_free(r);
    const int years[] = {2026, 2030};
    for (int i = 0; i < 2; i++) {
        r = http_get(fmt("/api/v1/indicators/definitions?year=%d", years[i]), T_ADMIN);
        ASSERT_STATUS(r, 200);
        ct1 = json_array_get(json_object_get(r->json, "items"), 0);
        ck_assert_int_eq(json_integer_value(json_object_get(ct1, "in_force_from")), 2026);
        json_t *rule = json_array_get(json_object_get(json_object_get(ct1, "parameters"), "rules"), 0);
        ck_assert_str_eq(json_string_value(json_object_get(rule, "job_group")), "doctor");
        ck_assert_uint_eq(json_array_size(json_object_get(rule, "all_of")), 2);
        resp_free(r);
    }
    r = http_get("/api/v1/indicators/definitions?year=2000", T_ADMIN); /* before the first: the first */
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(r->json, "items"), 0),
                                                        "in_force_from")), 2025);
    resp_free(r);
    const char *bad[] = {"?year=1999", "?year=2101", "?year=x", "?colour=red", NULL};
    assert_each_400(T_ADMIN, "/api/v1/indicators/definitions", bad);
}
END_TEST

/* A definition change between 2025 and 2026, counted by hand. Health centre H6 with station S:
 * doctor D1 at H6 with the awareness and EMR attestations; nurse N at H6 with the awareness and
 * e-Hospital; doctor D2 at S with the awareness, station software and e-prescription (all attested
 * 1 February 2025). December 2025 (any one platform): 3/3. March 2026 (a doctor: EMR and
 * e-prescription; at a station: station software and e-prescription): D1 lacks e-prescription,
 * 2/3, and the list behind the number names D1 only. */
START_TEST(ct1_definition_changes_between_2025_and_2026)
{
    const char *u = uniq();
    char hc[40], sc[48], d1[64], d2[64], n[64];
    snprintf(hc, sizeof hc, "D6-%s", u);
    snprintf(sc, sizeof sc, "%s-S", hc);
    snprintf(d1, sizeof d1, "%s-D1", hc);
    snprintf(d2, sizeof d2, "%s-D2", hc);
    snprintf(n, sizeof n, "%s-N", hc);
    long long h = unit_made(hc, "health_centre", "SYT-BN"), st = unit_made(sc, "commune_station", hc);
    staff_made(d1, STAFF_NAME, hc, "doctor", "2025-01-01", NULL);
    staff_made(n, STAFF_NAME, hc, "nurse", "2025-01-01", NULL);
    staff_made(d2, STAFF_NAME, sc, "doctor", "2025-01-01", NULL);
    attest(d1, "digital_awareness");
    attest(d1, "emr");
    attest(n, "digital_awareness");
    attest(n, "e_hospital");
    attest(d2, "digital_awareness");
    attest(d2, "station_software");
    attest(d2, "e_prescription");
    resp *r = rollup_at(T_ADMIN, h, "2025-12", 1, NULL);
    json_t *c = rollup_cell(r, h, 0), *cs = rollup_cell(r, st, 0);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "numerator")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "denominator")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(cs, "numerator")), 1);
    resp_free(r);
    r = rollup_at(T_ADMIN, h, "2026-03", 1, NULL);
    c = rollup_cell(r, h, 0);
    cs = rollup_cell(r, st, 0);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "numerator")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "denominator")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(cs, "numerator")), 1);
    resp_free(r);
    r = http_get(fmt("/api/v1/staff?missing=CT1&as_of=2026-03-31&under=%lld", h), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 1);
    json_t *it = json_array_get(json_object_get(r->json, "items"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(it, "code")), d1);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(it, "lacks"), 0)), "platform");
    resp_free(r);
    r = http_get(fmt("/api/v1/staff?missing=CT1&as_of=2025-12-31&under=%lld", h), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 0);
    resp_free(r);
    /* The e-prescription makes D1 count in 2026. */
    attest(d1, "e_prescription");
    r = rollup_at(T_ADMIN, h, "2026-03", 1, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(rollup_cell(r, h, 0), "numerator")), 3);
    resp_free(r);
}
END_TEST

/* CT3 counts only the services that apply (issue 11 §3). CDC C under health centre H8: every active
 * digital service deployed on 1 June 2025 except the EMR and e-prescription (no curative care),
 * which are marked not applicable from 1 February 2026 with the reason. H8 itself has none. CT3 of
 * H8: January 2026 0/2 (C lacks two services), March 2026 1/2; C alone 1/1. A not-applicable state
 * without a reason is 422 and writes nothing. */
START_TEST(ct3_counts_only_applicable_services)
{
    const char *u = uniq();
    char hc[40], cc[48];
    snprintf(hc, sizeof hc, "A8-%s", u);
    snprintf(cc, sizeof cc, "%s-CDC", hc);
    long long h = unit_made(hc, "health_centre", "SYT-BN"), c = unit_made(cc, "cdc", hc);
    resp *r = http_get("/api/v1/digital-services?limit=100", T_ADMIN);
    ASSERT_STATUS(r, 200);
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r->json, "items"), i, it) {
        const char *code = json_string_value(json_object_get(it, "code"));
        if (!json_is_true(json_object_get(it, "active")) || strcmp(code, "emr") == 0 || strcmp(code, "e_prescription") == 0)
            continue;
        expect(send_obj("PUT", fmt("/api/v1/units/%lld/services/%s", c, code), T_ADMIN,
                        json_pack("{s:s, s:s}", "status", "deployed", "deployed_on", "2025-06-01")),
               201);
    }
    resp_free(r);
    r = send_obj("PUT", fmt("/api/v1/units/%lld/services/emr", c), T_ADMIN,
                 json_pack("{s:s, s:s}", "status", "not_applicable", "effective_on", "2026-02-01"));
    ASSERT_STATUS(r, 422);
    assert_one_error(r, "note", "is required when the status is not_applicable: the reason the service does not apply");
    resp_free(r);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM facility_service_history WHERE unit_id = $1::bigint AND service = $2",
                               idstr(c), "emr"), 0);
    r = rollup_at(T_ADMIN, h, "2026-01", 1, NULL);
    json_t *ct3 = rollup_cell(r, h, 2);
    ck_assert_int_eq(json_integer_value(json_object_get(ct3, "numerator")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(ct3, "denominator")), 2);
    resp_free(r);
    const char *na[] = {"emr", "e_prescription"};
    for (int k = 0; k < 2; k++) {
        r = send_obj("PUT", fmt("/api/v1/units/%lld/services/%s", c, na[k]), T_ADMIN,
                     json_pack("{s:s, s:s, s:s}", "status", "not_applicable", "effective_on", "2026-02-01", "note",
                               "Trung tâm Kiểm soát bệnh tật không khám chữa bệnh"));
        ASSERT_STATUS(r, 201);
        ck_assert_str_eq(jstr(r, "status"), "not_applicable");
        resp_free(r);
    }
    r = rollup_at(T_ADMIN, h, "2026-01", 1, NULL); /* before the day it stopped applying: unchanged */
    ck_assert_int_eq(json_integer_value(json_object_get(rollup_cell(r, h, 2), "numerator")), 0);
    resp_free(r);
    r = rollup_at(T_ADMIN, h, "2026-03", 1, NULL);
    ct3 = rollup_cell(r, h, 2);
    ck_assert_int_eq(json_integer_value(json_object_get(ct3, "numerator")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(ct3, "denominator")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(rollup_cell(r, c, 2), "numerator")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(rollup_cell(r, c, 2), "denominator")), 1);
    resp_free(r);
    r = http_get(fmt("/api/v1/facility-services?unit_id=%lld&status=not_applicable", c), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 2);
    resp_free(r);
}
END_TEST

/* Units carry groups (issue 11 §3): the defaults by type, the groups an administrator adds, a unit
 * is a public service unit or a state management body (not both), who may change them. */
START_TEST(units_carry_groups)
{
    const char *u = uniq();
    char hc[40], cc[48], grp[48];
    snprintf(hc, sizeof hc, "G9-%s", u);
    snprintf(cc, sizeof cc, "%s-CDC", hc);
    snprintf(grp, sizeof grp, "remote_%s", u);
    for (char *p = grp; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
        else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) *p = '_';
    long long h = unit_made(hc, "health_centre", "SYT-BN"), c = unit_made(cc, "cdc", hc);
    const char *want[3][3] = {{"curative", "public_service_unit", NULL}, {"public_service_unit", NULL, NULL},
                              {"state_management", NULL, NULL}};
    long long units[3] = {h, c, unit_id("SYT-BN")};
    for (int i = 0; i < 3; i++) {
        resp *r = http_get(fmt("/api/v1/units/%lld/groups", units[i]), T_ADMIN);
        ASSERT_STATUS(r, 200);
        json_t *items = json_object_get(r->json, "items");
        size_t n = 0;
        while (n < 3 && want[i][n]) n++;
        ck_assert_uint_eq(json_array_size(items), n);
        for (size_t k = 0; k < n; k++)
            ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, k), "code")), want[i][k]);
        resp_free(r);
    }
    /* An administrator adds a group and puts H in it. */
    expect(send_obj("PUT", fmt("/api/v1/unit-groups/%s", grp), T_ADMIN,
                    json_pack("{s:s, s:s}", "label_vi", "Vùng khó khăn", "label_en", "Remote area")),
           201);
    req_opts o = {.token = T_ADMIN};
    resp *r = http_do("PUT", fmt("/api/v1/units/%lld/groups/%s", h, grp), &o);
    ASSERT_STATUS(r, 201);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 3);
    resp_free(r);
    expect(http_do("PUT", fmt("/api/v1/units/%lld/groups/%s", h, grp), &o), 200);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'unit_group_member' AND entity_id = $1",
                              fmt("%lld/%s", h, grp)), 1);
    /* Not both legal statuses; an unknown group; a manager may not. */
    r = http_do("PUT", fmt("/api/v1/units/%lld/groups/state_management", h), &o);
    ASSERT_STATUS(r, 422);
    assert_one_error(r, "code", NULL);
    resp_free(r);
    r = http_do("PUT", fmt("/api/v1/units/%lld/groups/no_such_group", h), &o);
    assert_one_error(r, "code", "must be a unit group (see /api/v1/unit-groups)");
    resp_free(r);
    req_opts m = {.token = T_SYT_MANAGER};
    expect(http_do("PUT", fmt("/api/v1/units/%lld/groups/%s", c, grp), &m), 403);
    ck_assert_int_eq(db_count("SELECT count(*) FROM unit_group_members WHERE unit_id = $1::bigint", idstr(h)), 3);
    /* Removing: 204, then 404; the CDC becomes a state body only once it is no public service unit. */
    expect(http_delete(fmt("/api/v1/units/%lld/groups/%s", h, grp), T_ADMIN), 204);
    expect(http_delete(fmt("/api/v1/units/%lld/groups/%s", h, grp), T_ADMIN), 404);
    expect(http_delete(fmt("/api/v1/units/%lld/groups/public_service_unit", c), T_ADMIN), 204);
    expect(http_do("PUT", fmt("/api/v1/units/%lld/groups/state_management", c), &o), 201);
    r = http_get(fmt("/api/v1/units/%lld/groups", c), T_SD_MANAGER);
    ASSERT_STATUS(r, 404); /* outside Sơn Động */
    resp_free(r);
    r = http_get("/api/v1/unit-groups?limit=1000", T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_ge(jint(r, "total"), 4);
    resp_free(r);
}
END_TEST

Suite *s9_defs_suite(void)
{
    Suite *s = suite_create("s9_defs");
    TCase *t = tcase_create("targets");
    tcase_add_test(t, targets_are_inherited_and_overridden);
    tcase_add_test(t, at_risk_uses_the_nearest_target);
    tcase_add_test(t, bad_targets_are_refused_and_write_nothing);
    tcase_add_test(t, son_dong_has_its_own_2025_targets);
    suite_add_tcase(s, t);
    TCase *d = tcase_create("definitions");
    tcase_add_test(d, ct4_counts_people_supported);
    tcase_add_test(d, definitions_are_stated_by_year);
    tcase_add_test(d, ct1_definition_changes_between_2025_and_2026);
    tcase_add_test(d, ct3_counts_only_applicable_services);
    tcase_add_test(d, units_carry_groups);
    suite_add_tcase(s, d);
    return s;
}
