/* Staff assignment history (issue 11 §1, §6) and the contract defects of issue 10 §5: a transfer
 * does not rewrite the past, kept rollups follow it exactly, bad transfers write nothing, who may
 * transfer across subtrees, the list behind a number, the rollup of a unit not open in the period,
 * and closing a unit that still has staff. */
#include "client.h"

#include <stdio.h>
#include <string.h>

#define STAFF_NAME "Hoàng Văn Chuyển" /* of every staff member the suite makes */

/* CT2 (index 1) and CT5 (index 4) of H, A and B in one rollup; parent = sum of children. */
static void assert_ct(long long h, long long a, long long b, const char *period, int k, long long an, long long ad,
                      long long bn, long long bd)
{
    resp *r = rollup_at(T_ADMIN, h, period, 1, NULL);
    fig fa = figure(r, a, k), fb = figure(r, b, k), fh = figure(r, h, k);
    ck_assert_msg(fa.num == an && fa.den == ad && fb.num == bn && fb.den == bd,
                  "%s CT%d: A %lld/%lld (want %lld/%lld), B %lld/%lld (want %lld/%lld)", period, k + 1, fa.num, fa.den,
                  an, ad, fb.num, fb.den, bn, bd);
    ck_assert_msg(fh.num == an + bn && fh.den == ad + bd, "%s CT%d: H %lld/%lld is not the sum of its children", period,
                  k + 1, fh.num, fh.den);
    resp_free(r);
}

static long long g_h, g_a, g_b, g_p1, g_p2, g_p3;
static char g_hc[40], g_ac[48], g_bc[48], g_p1c[48], g_p2c[48], g_p3c[48];

/* H (a health centre) with stations A and B. P1 (A) completed a campaign course and is confirmed
 * on VNeID in February 2026; P2 (A) and P3 (B) have neither. */
static void scenario(void)
{
    if (g_h) return;
    const char *u = uniq();
    snprintf(g_hc, sizeof g_hc, "TR-%s", u);
    snprintf(g_ac, sizeof g_ac, "%s-A", g_hc);
    snprintf(g_bc, sizeof g_bc, "%s-B", g_hc);
    g_h = unit_made(g_hc, "health_centre", "SYT-BN");
    g_a = unit_made(g_ac, "commune_station", g_hc);
    g_b = unit_made(g_bc, "commune_station", g_hc);
    snprintf(g_p1c, sizeof g_p1c, "%s-P1", g_hc);
    snprintf(g_p2c, sizeof g_p2c, "%s-P2", g_hc);
    snprintf(g_p3c, sizeof g_p3c, "%s-P3", g_hc);
    g_p1 = staff_made(g_p1c, STAFF_NAME, g_ac, "nurse", "2025-01-01", "2026-02-01");
    g_p2 = staff_made(g_p2c, STAFF_NAME, g_ac, "nurse", "2025-01-01", NULL);
    g_p3 = staff_made(g_p3c, STAFF_NAME, g_bc, "nurse", "2025-01-01", NULL);
    char course[96];
    snprintf(course, sizeof course, "course-v1:BDHVS+TR%s+2026-1", u);
    course_made(course, "Kỹ năng số", 1);
    completion_made(T_ADMIN, g_p1c, course, "2026-02-01");
}

/* The issue's measurement: transferring a staff member rewrote both units' past figures. Now the
 * periods before the transfer keep them, the periods after follow it; kept rollups asked before
 * the transfer are right after it, and parent = sum of children everywhere. */
START_TEST(a_transfer_keeps_the_past_and_moves_the_future)
{
    scenario();
    /* Asked before the transfer (kept): March and July 2026. */
    assert_ct(g_h, g_a, g_b, "2026-03", 1, 1, 2, 0, 1);
    assert_ct(g_h, g_a, g_b, "2026-07", 1, 1, 2, 0, 1);
    assert_ct(g_h, g_a, g_b, "2026Q1", 1, 1, 2, 0, 1);
    long long m03 = kept_stamp(g_h, "2026-03"), mq1 = kept_stamp(g_h, "2026Q1"), m07 = kept_stamp(g_h, "2026-07");
    ck_assert(m03 > 0 && mq1 > 0 && m07 > 0);
    resp *r = send_obj("POST", fmt("/api/v1/staff/%lld/transfers", g_p1), T_ADMIN,
                       json_pack("{s:I, s:s, s:s}", "unit_id", (json_int_t)g_b, "effective_on", "2026-06-01", "note",
                                 "Điều động theo Quyết định 12/QĐ-TTYT"));
    ASSERT_STATUS(r, 201);
    ck_assert_int_eq(jint(r, "from_unit_id"), g_a);
    ck_assert_int_eq(jint(r, "unit_id"), g_b);
    ck_assert_str_eq(jstr(r, "effective_on"), "2026-06-01");
    resp_free(r);
    /* Before: unchanged. After: P1 counts in B. */
    assert_ct(g_h, g_a, g_b, "2026-03", 1, 1, 2, 0, 1);
    assert_ct(g_h, g_a, g_b, "2026Q1", 1, 1, 2, 0, 1);
    assert_ct(g_h, g_a, g_b, "2026-05", 1, 1, 2, 0, 1);
    assert_ct(g_h, g_a, g_b, "2026-06", 1, 0, 1, 1, 2);
    assert_ct(g_h, g_a, g_b, "2026-07", 1, 0, 1, 1, 2);
    /* Exactly what the transfer changed was computed again: the kept rollups of periods before
     * 1 June were served as kept (made_at unchanged), July's was made again. */
    ck_assert_int_eq(kept_stamp(g_h, "2026-03"), m03);
    ck_assert_int_eq(kept_stamp(g_h, "2026Q1"), mq1);
    ck_assert(kept_stamp(g_h, "2026-07") != m07);
    /* Late data about P1 dated before the transfer changes A's past (P1 was in A then): the kept
     * March rollup is not served stale. */
    expect(send_obj("POST", "/api/v1/attestations", T_ADMIN,
                    json_pack("{s:s, s:s, s:s}", "staff_code", g_p1c, "skill", "smart_devices", "attested_on",
                              "2026-02-15")),
           201);
    assert_ct(g_h, g_a, g_b, "2026-03", 4, 1, 2, 0, 1);
    assert_ct(g_h, g_a, g_b, "2026-07", 4, 0, 1, 1, 2);
    ck_assert(kept_stamp(g_h, "2026-03") != m03);
    /* Access follows today's unit: the staff record says B. */
    r = http_get(fmt("/api/v1/staff/%lld", g_p1), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "unit_id"), g_b);
    resp_free(r);
    /* The history. */
    r = http_get(fmt("/api/v1/staff/%lld/history", g_p1), T_SYT_VIEWER);
    ASSERT_STATUS(r, 200);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_int_eq(json_array_size(items), 2);
    json_t *first = json_array_get(items, 0), *second = json_array_get(items, 1);
    ck_assert_int_eq(json_integer_value(json_object_get(first, "unit_id")), g_a);
    ck_assert(json_is_null(json_object_get(first, "from")));
    ck_assert_str_eq(json_string_value(json_object_get(first, "to")), "2026-05-31");
    ck_assert_str_eq(json_string_value(json_object_get(first, "kind")), "initial");
    ck_assert_int_eq(json_integer_value(json_object_get(second, "unit_id")), g_b);
    ck_assert_str_eq(json_string_value(json_object_get(second, "from")), "2026-06-01");
    ck_assert(json_is_null(json_object_get(second, "to")));
    ck_assert_str_eq(json_string_value(json_object_get(second, "kind")), "transfer");
    resp_free(r);
    /* Audited as a transfer. */
    ck_assert_int_eq(db_count2("SELECT count(*) FROM audit_log WHERE action = 'transfer' AND entity = 'staff'"
                               " AND entity_id = $1 AND after->>'effective_on' = $2",
                               idstr(g_p1), "2026-06-01"),
                     1);
}
END_TEST

/* A plain PATCH of unit_id is a correction: the whole current span changes unit, past included. */
START_TEST(a_patch_of_unit_id_is_a_correction_of_the_past)
{
    scenario();
    char code[48];
    snprintf(code, sizeof code, "%s-C1", g_hc);
    long long p = staff_made(code, STAFF_NAME, g_ac, "nurse", "2025-01-01", NULL);
    resp *r = rollup_at(T_ADMIN, g_h, "2026-03", 1, NULL);
    fig a0 = figure(r, g_a, 1), b0 = figure(r, g_b, 1);
    resp_free(r);
    expect(send_obj("PATCH", fmt("/api/v1/staff/%lld", p), T_ADMIN, json_pack("{s:I}", "unit_id", (json_int_t)g_b)),
           200);
    r = rollup_at(T_ADMIN, g_h, "2026-03", 1, NULL);
    fig a1 = figure(r, g_a, 1), b1 = figure(r, g_b, 1);
    resp_free(r);
    ck_assert_int_eq(a1.den, a0.den - 1);
    ck_assert_int_eq(b1.den, b0.den + 1);
    r = http_get(fmt("/api/v1/staff/%lld/history", p), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(r->json, "items"), 0), "unit_id")),
                     g_b);
    resp_free(r);
    expect(http_do("DELETE", fmt("/api/v1/staff/%lld", p), &(req_opts){.token = T_ADMIN}), 204);
}
END_TEST

static void assert_refused(long long staff, json_t *body, const char *field, const char *message_part)
{
    resp *r = send_obj("POST", fmt("/api/v1/staff/%lld/transfers", staff), T_ADMIN, body);
    ck_assert_msg(r->status == 422, "expected 422 for %s, got %ld: %.400s", field, r->status, r->body);
    ck_assert_int_eq(nerrors(r), 1);
    ck_assert_str_eq(err_field(r, 0), field);
    ck_assert_msg(strstr(err_message(r, 0), message_part) != NULL, "message %s lacks %s", err_message(r, 0),
                  message_part);
    resp_free(r);
}

START_TEST(bad_transfers_are_422_and_write_nothing)
{
    scenario();
    char code[48], closed_code[48];
    snprintf(code, sizeof code, "%s-BT", g_hc);
    long long p = staff_made(code, STAFF_NAME, g_ac, "nurse", "2025-03-01", NULL);
    expect(send_obj("POST", fmt("/api/v1/staff/%lld/transfers", p), T_ADMIN,
                    json_pack("{s:s, s:s}", "unit_code", g_bc, "effective_on", "2026-04-01")),
           201);
    long long before = db_count("SELECT count(*) FROM staff_assignments WHERE staff_id = $1", idstr(p));
    long long audits = db_count("SELECT count(*) FROM audit_log WHERE entity = 'staff' AND entity_id = $1", idstr(p));
    ck_assert_int_eq(before, 2);
    assert_refused(p, json_pack("{s:I, s:s}", "unit_id", (json_int_t)g_a, "effective_on", "2025-02-28"), "effective_on",
                   "before the staff member joined (joined_on 2025-03-01)");
    assert_refused(p, json_pack("{s:I, s:s}", "unit_id", (json_int_t)g_a, "effective_on", "2099-01-01"), "effective_on",
                   "BDHVS_TRANSFER_HORIZON_DAYS");
    assert_refused(p, json_pack("{s:I, s:s}", "unit_id", (json_int_t)g_a, "effective_on", "2026-04-01"), "effective_on",
                   fmt("overlaps the transfer to %s effective 2026-04-01", g_bc));
    assert_refused(p, json_pack("{s:I, s:s}", "unit_id", (json_int_t)g_a, "effective_on", "2026-03-15"), "effective_on",
                   "overlaps the transfer");
    assert_refused(p, json_pack("{s:I, s:s}", "unit_id", (json_int_t)g_b, "effective_on", "2026-05-01"), "unit_id",
                   "already belongs to that unit");
    snprintf(closed_code, sizeof closed_code, "%s-X", g_hc);
    long long x = unit_made(closed_code, "commune_station", g_hc);
    expect(http_do("DELETE", fmt("/api/v1/units/%lld?closed_on=2026-02-28", x), &(req_opts){.token = T_ADMIN}), 204);
    assert_refused(p, json_pack("{s:I, s:s}", "unit_id", (json_int_t)x, "effective_on", "2026-05-01"), "unit_id",
                   "not open on 2026-05-01");
    assert_refused(p, json_pack("{s:s, s:s}", "unit_code", "NO-SUCH-UNIT", "effective_on", "2026-05-01"), "unit_code",
                   "no such unit");
    assert_refused(p, json_pack("{s:I}", "unit_id", (json_int_t)g_a), "effective_on", "is required");
    assert_refused(p, json_pack("{s:I, s:s, s:b}", "unit_id", (json_int_t)g_a, "effective_on", "2026-05-01", "x", 1), "x",
                   "");
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff_assignments WHERE staff_id = $1", idstr(p)), before);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'staff' AND entity_id = $1", idstr(p)),
                     audits);
    /* Unknown staff member: 404. */
    expect(send_obj("POST", "/api/v1/staff/999999999/transfers", T_ADMIN,
                    json_pack("{s:I, s:s}", "unit_id", (json_int_t)g_a, "effective_on", "2026-05-01")),
           404);
}
END_TEST

/* Within the subtree of the unit's parent a reporter may transfer; across subtrees it takes a
 * manager of a unit above both (or an admin); a unit outside the caller's subtree is unknown. */
START_TEST(a_transfer_across_subtrees_needs_a_manager_above_both)
{
    const char *u = uniq();
    char x[40], x1[48], x2[48], y[48], p[48];
    snprintf(x, sizeof x, "TS-%s", u);
    snprintf(x1, sizeof x1, "%s-X1", x);
    snprintf(x2, sizeof x2, "%s-X2", x);
    snprintf(y, sizeof y, "TS-%s-Y", u);
    unit_made(x, "ward", "TTYT-SD");
    long long ux1 = unit_made(x1, "unit_office", x);
    long long ux2 = unit_made(x2, "unit_office", x);
    long long uy = unit_made(y, "ward", "TTYT-SD");
    snprintf(p, sizeof p, "%s-P", x);
    long long s = staff_made(p, STAFF_NAME, x1, "nurse", "2025-01-01", NULL);
    /* X1 -> X2: both under X (X1's parent): a reporter of TTYT-SD may. */
    expect(send_obj("POST", fmt("/api/v1/staff/%lld/transfers", s), T_SD_REPORTER,
                    json_pack("{s:I, s:s}", "unit_id", (json_int_t)ux2, "effective_on", "2026-02-01")),
           201);
    /* X2 -> Y: across subtrees: the reporter may not, TTYT-SD's manager (above both) may. */
    resp *r = send_obj("POST", fmt("/api/v1/staff/%lld/transfers", s), T_SD_REPORTER,
                       json_pack("{s:I, s:s}", "unit_id", (json_int_t)uy, "effective_on", "2026-03-01"));
    ASSERT_STATUS(r, 403);
    resp_free(r);
    expect(send_obj("POST", fmt("/api/v1/staff/%lld/transfers", s), T_SD_MANAGER,
                    json_pack("{s:I, s:s}", "unit_id", (json_int_t)uy, "effective_on", "2026-03-01")),
           201);
    /* Out of TTYT-SD: the target is not in the manager's subtree. */
    assert_one_error(r = send_obj("POST", fmt("/api/v1/staff/%lld/transfers", s), T_SD_MANAGER,
                                  json_pack("{s:s, s:s}", "unit_code", "SYT-BN", "effective_on", "2026-04-01")),
                     "unit_code", "no such unit");
    resp_free(r);
    /* A viewer may not transfer at all. */
    r = send_obj("POST", fmt("/api/v1/staff/%lld/transfers", s), T_SYT_VIEWER,
                 json_pack("{s:I, s:s}", "unit_id", (json_int_t)ux1, "effective_on", "2026-04-01"));
    ASSERT_STATUS(r, 403);
    resp_free(r);
    /* Someone outside the caller's subtree is not found. */
    scenario();
    r = send_obj("POST", fmt("/api/v1/staff/%lld/transfers", g_p2), T_SD_MANAGER,
                 json_pack("{s:I, s:s}", "unit_id", (json_int_t)ux1, "effective_on", "2026-04-01"));
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_get(fmt("/api/v1/staff/%lld/history", g_p2), T_SD_MANAGER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
}
END_TEST

/* GET /staff?missing=CT2: the staff behind the gap between CT2's numerator and denominator. */
START_TEST(missing_lists_the_staff_who_do_not_count_yet)
{
    scenario();
    resp *r = rollup_at(T_ADMIN, g_h, "2026-03", 1, NULL);
    fig h = figure(r, g_h, 1);
    resp_free(r);
    r = http_get(fmt("/api/v1/staff?missing=CT2&under=%lld&as_of=2026-03-31", g_h), T_SYT_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), h.den - h.num);
    ck_assert_str_eq(jstr(r, "indicator"), "CT2");
    json_t *items = json_object_get(r->json, "items");
    size_t i;
    json_t *it;
    int seen = 0;
    json_array_foreach(items, i, it) {
        const char *code = json_string_value(json_object_get(it, "code"));
        json_t *lacks = json_object_get(it, "lacks");
        ck_assert(strcmp(code, g_p1c) != 0); /* P1 counts */
        if (strcmp(code, g_p2c) == 0 || strcmp(code, g_p3c) == 0) {
            seen++;
            ck_assert_int_eq(json_array_size(lacks), 2);
            ck_assert_str_eq(json_string_value(json_array_get(lacks, 0)), "course");
            ck_assert_str_eq(json_string_value(json_array_get(lacks, 1)), "vneid");
        }
    }
    ck_assert_int_eq(seen, 2);
    resp_free(r);
    /* Before P1's course and VNeID (January) P1 is listed too, lacking both. */
    r = http_get(fmt("/api/v1/staff?missing=CT2&under=%lld&as_of=2026-01-31", g_a), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 2);
    resp_free(r);
    /* The unit on the as-of day decides: in July P1 is in B and counts there. */
    r = http_get(fmt("/api/v1/staff?missing=CT5&under=%lld&as_of=2026-07-31", g_b), T_ADMIN);
    ASSERT_STATUS(r, 200);
    json_array_foreach(json_object_get(r->json, "items"), i, it)
        ck_assert_int_eq(json_integer_value(json_object_get(it, "unit_on_as_of_id")), g_b);
    resp_free(r);
    /* Bad queries. */
    static const char *const bad[] = {"/api/v1/staff?missing=CT3", "/api/v1/staff?missing=CT2&unit_id=1",
                                      "/api/v1/staff?missing=CT2&as_of=2026-02-30", "/api/v1/staff?as_of=2026-01-01",
                                      "/api/v1/staff?missing=CT2&as_of=2099-01-01", NULL};
    for (int k = 0; bad[k]; k++) {
        r = http_get(bad[k], T_ADMIN);
        ck_assert_msg(r->status == 400, "%s: %ld", bad[k], r->status);
        resp_free(r);
    }
    r = http_get("/api/v1/staff?missing=CT2&under=999999999", T_ADMIN);
    ASSERT_STATUS(r, 404);
    resp_free(r);
}
END_TEST

/* Issue 10 §5: a unit not open during the period has no rollup (404); closing a unit with staff
 * still working asks where they go, and transfer_to transfers them on the closing day, so
 * /staff?active_on= and the rollup agree. */
START_TEST(a_unit_not_open_has_no_rollup_and_closing_places_its_staff)
{
    scenario();
    char cc[48], sc[64];
    snprintf(cc, sizeof cc, "%s-CL", g_hc);
    long long cu = unit_made_on(cc, "commune_station", g_hc, "2026-02-01");
    resp *r = http_get(fmt("/api/v1/indicators/rollup?unit_id=%lld&period=2026-01", cu), T_ADMIN);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_get(fmt("/api/v1/indicators/rollup?unit_id=%lld&period=2025", cu), T_ADMIN);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    expect(http_get(fmt("/api/v1/indicators/rollup?unit_id=%lld&period=2026Q1", cu), T_ADMIN), 200);
    snprintf(sc, sizeof sc, "%s-W", cc);
    long long w = staff_made(sc, STAFF_NAME, cc, "nurse", "2026-02-01", NULL);
    /* Closing: 409 naming the staff member, nothing written. */
    r = http_do("DELETE", fmt("/api/v1/units/%lld?closed_on=2026-09-30", cu), &(req_opts){.token = T_ADMIN});
    ASSERT_STATUS(r, 409);
    ck_assert_int_eq(nerrors(r), 1);
    ck_assert_str_eq(err_field(r, 0), "staff");
    ck_assert_msg(strstr(err_message(r, 0), sc) != NULL, "%s", err_message(r, 0));
    resp_free(r);
    r = http_get(fmt("/api/v1/units/%lld", cu), T_ADMIN);
    ck_assert(json_is_null(json_object_get(r->json, "closed_on")));
    resp_free(r);
    /* A target that is the unit itself, or unknown: 422. */
    r = http_do("DELETE", fmt("/api/v1/units/%lld?closed_on=2026-09-30&transfer_to=%lld", cu, cu),
                &(req_opts){.token = T_ADMIN});
    ASSERT_STATUS(r, 422);
    resp_free(r);
    r = http_do("DELETE", fmt("/api/v1/units/%lld?closed_on=2026-09-30&transfer_to=999999999", cu),
                &(req_opts){.token = T_ADMIN});
    ASSERT_STATUS(r, 422);
    resp_free(r);
    /* With transfer_to: transferred on the closing day. */
    r = http_do("DELETE", fmt("/api/v1/units/%lld?closed_on=2026-09-30&transfer_to=%lld", cu, g_a),
                &(req_opts){.token = T_ADMIN});
    ASSERT_STATUS(r, 204);
    resp_free(r);
    r = http_get(fmt("/api/v1/staff/%lld/history", w), T_ADMIN);
    ASSERT_STATUS(r, 200);
    json_t *last = json_array_get(json_object_get(r->json, "items"), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(last, "unit_id")), g_a);
    ck_assert_str_eq(json_string_value(json_object_get(last, "from")), "2026-09-30");
    resp_free(r);
    /* The closed unit: its August still counts W; October has no rollup. */
    r = http_get(fmt("/api/v1/indicators/rollup?unit_id=%lld&period=2026-08&depth=0", cu), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(figure(r, cu, 1).den, 1);
    resp_free(r);
    r = http_get(fmt("/api/v1/indicators/rollup?unit_id=%lld&period=2026-10", cu), T_ADMIN);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    /* W works on 5 October in A: listed there, and counted there. */
    r = http_get(fmt("/api/v1/staff?unit_id=%lld&active_on=2026-10-05&q=%s", g_a, sc), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 1);
    resp_free(r);
    /* A unit with nobody to place: transfer_to is still checked, then not used. */
    char ec[48];
    snprintf(ec, sizeof ec, "%s-E", g_hc);
    long long eu = unit_made(ec, "commune_station", g_hc);
    r = http_do("DELETE", fmt("/api/v1/units/%lld?closed_on=2026-09-30&transfer_to=999999999", eu),
                &(req_opts){.token = T_ADMIN});
    assert_one_error(r, "transfer_to", "no such unit");
    resp_free(r);
    expect(http_do("DELETE", fmt("/api/v1/units/%lld?closed_on=2026-09-30&transfer_to=%lld", eu, g_a),
                   &(req_opts){.token = T_ADMIN}),
           204);
    r = http_get(fmt("/api/v1/staff?missing=CT2&under=%lld&as_of=2026-10-05", g_a), T_ADMIN);
    ASSERT_STATUS(r, 200);
    int found = 0;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r->json, "items"), i, it)
        found |= strcmp(json_string_value(json_object_get(it, "code")), sc) == 0;
    ck_assert(found);
    resp_free(r);
}
END_TEST

/* The value DHIS2 gets for a unit's data element, or "" when left out. */
static const char *dhis2_value(const resp *r, const char *unit_code, const char *element)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(r->json, "dataValues"), i, v) {
        if (strcmp(json_string_value(json_object_get(v, "orgUnit")), unit_code) == 0 &&
            strcmp(json_string_value(json_object_get(v, "dataElement")), element) == 0)
            return json_string_value(json_object_get(v, "value"));
    }
    return "";
}

/* The horizon is exact (today + BDHVS_TRANSFER_HORIZON_DAYS, 31 in the tests, is the last day
 * allowed), and the DHIS2 export (each unit's own figures) follows the assignment history too. */
START_TEST(the_horizon_is_exact_and_dhis2_follows_transfers)
{
    scenario();
    char q[48], rr[48], ok_day[64], late_day[64];
    snprintf(q, sizeof q, "%s-Q", g_hc);
    snprintf(rr, sizeof rr, "%s-R", g_hc);
    long long sq = staff_made(q, STAFF_NAME, g_ac, "nurse", "2025-01-01", NULL);
    long long sr = staff_made(rr, STAFF_NAME, g_ac, "nurse", "2025-01-01", NULL);
    long long d31 = db_count("SELECT to_char(vn_today() + 31, 'YYYYMMDD')::bigint", NULL);
    long long d32 = db_count("SELECT to_char(vn_today() + 32, 'YYYYMMDD')::bigint", NULL);
    snprintf(ok_day, sizeof ok_day, "%04lld-%02lld-%02lld", d31 / 10000, d31 / 100 % 100, d31 % 100);
    snprintf(late_day, sizeof late_day, "%04lld-%02lld-%02lld", d32 / 10000, d32 / 100 % 100, d32 % 100);
    assert_refused(sq, json_pack("{s:I, s:s}", "unit_id", (json_int_t)g_b, "effective_on", late_day), "effective_on",
                   "more than 31 days ahead");
    expect(send_obj("POST", fmt("/api/v1/staff/%lld/transfers", sq), T_ADMIN,
                    json_pack("{s:I, s:s}", "unit_id", (json_int_t)g_b, "effective_on", ok_day)),
           201);
    expect(send_obj("POST", fmt("/api/v1/staff/%lld/transfers", sr), T_ADMIN,
                    json_pack("{s:I, s:s}", "unit_id", (json_int_t)g_b, "effective_on", "2026-06-01")),
           201);
    /* March: A has P1, P2, Q, R; B has P3. July: R is in B. Q moves only after the horizon's day. */
    resp *r = http_get(fmt("/api/v1/exports/dhis2?unit_id=%lld&period=2026-03&view=units", g_h), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(dhis2_value(r, g_ac, "BDHVS_STAFF_ACTIVE"), "4");
    ck_assert_str_eq(dhis2_value(r, g_bc, "BDHVS_STAFF_ACTIVE"), "1");
    resp_free(r);
    r = http_get(fmt("/api/v1/exports/dhis2?unit_id=%lld&period=2026-07&view=units", g_h), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(dhis2_value(r, g_ac, "BDHVS_STAFF_ACTIVE"), "3");
    ck_assert_str_eq(dhis2_value(r, g_bc, "BDHVS_STAFF_ACTIVE"), "2");
    resp_free(r);
}
END_TEST

/* Issue 11's rule for dated changes once sign-off exists: a transfer effective inside a period
 * whose report is approved, for the unit the person leaves, is 409 period-locked and writes
 * nothing; after that period it goes through. */
START_TEST(a_transfer_inside_an_approved_period_is_locked)
{
    const char *u = uniq();
    char hc[40], ac[48], bc[48];
    snprintf(hc, sizeof hc, "TL%s", u);
    snprintf(ac, sizeof ac, "TL%s-A", u);
    snprintf(bc, sizeof bc, "TL%s-B", u);
    long long h = unit_made(hc, "health_centre", "TTYT-SD");
    oblige_every_child(h);
    long long a = unit_made(ac, "commune_station", hc);
    unit_made(bc, "commune_station", hc);
    long long s = staff_made(fmt("TLS%s", u), STAFF_NAME, ac, "nurse", "2025-01-01", NULL);
    resp *r = http_send_json("PUT", fmt("/api/v1/reports/%lld/2026-06", a), T_SD_REPORTER,
                             "{\"values\":{\"s1_documents_count\":1}}");
    ck_assert_msg(r->status == 200 || r->status == 201, "report: %ld %s", r->status, r->body);
    resp_free(r);
    expect(http_send_json("POST", fmt("/api/v1/reports/%lld/2026-06/submit", a), T_SD_REPORTER, "{}"), 200);
    expect(http_send_json("POST", fmt("/api/v1/reports/%lld/2026-06/approve", a), T_SD_MANAGER, "{}"), 200);
    r = http_send_json("POST", fmt("/api/v1/staff/%lld/transfers", s), T_SD_MANAGER,
                       fmt("{\"unit_code\":\"%s\",\"effective_on\":\"2026-06-10\"}", bc));
    ASSERT_STATUS(r, 409);
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:period-locked");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff_assignments WHERE staff_id = $1::bigint", idstr(s)), 1);
    expect(http_send_json("POST", fmt("/api/v1/staff/%lld/transfers", s), T_SD_MANAGER,
                          fmt("{\"unit_code\":\"%s\",\"effective_on\":\"2026-07-01\"}", bc)),
           201);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff_assignments WHERE staff_id = $1::bigint", idstr(s)), 2);
}
END_TEST

Suite *s8_history_suite(void)
{
    Suite *s = suite_create("s8_history");
    TCase *t = tcase_create("history");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, a_transfer_keeps_the_past_and_moves_the_future);
    tcase_add_test(t, a_patch_of_unit_id_is_a_correction_of_the_past);
    tcase_add_test(t, bad_transfers_are_422_and_write_nothing);
    tcase_add_test(t, a_transfer_across_subtrees_needs_a_manager_above_both);
    tcase_add_test(t, missing_lists_the_staff_who_do_not_count_yet);
    tcase_add_test(t, a_unit_not_open_has_no_rollup_and_closing_places_its_staff);
    tcase_add_test(t, the_horizon_is_exact_and_dhis2_follows_transfers);
    tcase_add_test(t, a_transfer_inside_an_approved_period_is_locked);
    suite_add_tcase(s, t);
    return s;
}
