/* Issue 10 §3: what was signed stays readable. Approval takes a snapshot in its transaction;
 * unlock and return supersede it; GET /indicators/rollup?basis=approved answers the snapshot
 * figures of approved units (a parent = its own snapshot + its children's approved figures),
 * says which units are not approved, and every cell says whether current differs; GET
 * /reports/{unit}/{period}/revisions lists what changed under an approved report. Each test
 * builds its own tree under TTYT-SD (a Department-like unit D, a health centre H, stations S1
 * and S2), so the figures are exact and the tests can run again. */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PERIOD "2026-06"

/* A unit of the test's own; D and H oblige all their children to report every period type. */
static long long snap_unit(const char *prefix, const char *type, const char *parent_code, char code[64])
{
    long long id = make_test_unit(prefix, fmt("Đơn vị %s", prefix), type, parent_code, code, 64);
    if (strcmp(type, "commune_station") != 0) oblige_every_child(id);
    return id;
}

/* A staff member of unit_code from 1 January 2025 with up to two skills attested on 1 April
 * 2026; its code goes to code. */
static long long snap_staff(const char *unit_code, const char *skill1, const char *skill2, char code[64])
{
    snprintf(code, 64, "SNP-%s", uniq());
    long long sid = created_id(send_obj("POST", "/api/v1/staff", T_SD_MANAGER,
                                        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "code", code, "full_name",
                                                  "Trần Văn Ký", "unit_code", unit_code, "job_group", "nurse",
                                                  "employment", "public_employee", "joined_on", "2025-01-01")));
    const char *skills[2] = {skill1, skill2};
    for (int k = 0; k < 2; k++)
        if (skills[k])
            created_id(send_obj("POST", "/api/v1/attestations", T_SD_MANAGER,
                                json_pack("{s:I, s:s, s:s}", "staff_id", (json_int_t)sid, "skill", skills[k],
                                          "attested_on", "2026-04-01")));
    return sid;
}

static resp *act(const char *token, long long unit, const char *action, const char *body)
{
    req_opts o = {.token = token, .body = body};
    return http_do("POST", fmt("/api/v1/reports/%lld/%s/%s", unit, PERIOD, action), &o);
}

static void act_ok(const char *token, long long unit, const char *action, const char *body)
{
    resp *r = act(token, unit, action, body);
    ck_assert_msg(r->status == 200, "%s of %lld: %ld %s", action, unit, r->status, r->body);
    resp_free(r);
}

static long long snapshots_of(long long unit)
{
    return db_count2("SELECT count(*) FROM report_snapshots WHERE unit_id = $1::bigint AND period = $2", idstr(unit),
                     PERIOD);
}

/* How many of unit's snapshots for the period were superseded by action (with reason, unless NULL). */
static long long superseded(long long unit, const char *action, const char *reason)
{
    char sql[400];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM report_snapshot_supersessions x JOIN report_snapshots s ON s.id = x.snapshot_id"
             " WHERE s.unit_id = $1::bigint AND s.period = '%s' AND x.action = '%s'%s",
             PERIOD, action, reason ? " AND x.reason = $2" : " AND $2::text IS NULL");
    return db_count2(sql, idstr(unit), reason);
}

static json_t *unit_in(const resp *r, long long unit)
{
    json_t *u = rollup_row(r, unit);
    if (u == NULL) ck_abort_msg("unit %lld not in the rollup", unit);
    return u;
}

/* Indicator ind (1..5) of unit: numerator, denominator, differs_from_approved (-1 for null),
 * and the unit's basis. */
static void cell(const resp *r, long long unit, int ind, long long *num, long long *den, int *differs)
{
    json_t *c = json_array_get(json_object_get(unit_in(r, unit), "indicators"), (size_t)ind - 1);
    ck_assert_ptr_nonnull(c);
    *num = json_integer_value(json_object_get(c, "numerator"));
    *den = json_integer_value(json_object_get(c, "denominator"));
    json_t *d = json_object_get(c, "differs_from_approved");
    ck_assert_ptr_nonnull(d);
    *differs = json_is_null(d) ? -1 : json_is_true(d);
}

#define ASSERT_CELL(r, unit, ind, n, d, diff)                                                                    \
    do {                                                                                                          \
        long long n_, d_;                                                                                         \
        int f_;                                                                                                   \
        cell(r, unit, ind, &n_, &d_, &f_);                                                                        \
        ck_assert_msg(n_ == (n) && d_ == (d) && f_ == (diff), "CT%d of %lld: %lld/%lld differs %d, not %d/%d %d", \
                      ind, (long long)(unit), n_, d_, f_, (int)(n), (int)(d), (int)(diff));                       \
    } while (0)

static resp *dhis2(long long unit, const char *basis)
{
    resp *r = http_get(fmt("/api/v1/exports/dhis2?view=units&unit_id=%lld&period=%s%s%s", unit, PERIOD, basis ? "&basis=" : "",
                           basis ? basis : ""),
                       T_SD_REPORTER);
    ck_assert_msg(r->status == 200, "DHIS2 of %lld: %ld %s", unit, r->status, r->body);
    return r;
}

static const char *basis_of(const resp *r, long long unit)
{
    return json_string_value(json_object_get(unit_in(r, unit), "basis"));
}

/* The tree: D > H > S1, S2; staff S1: a (awareness, smart devices), b (none); S2: c (smart
 * devices); H: d (none). b's code goes to bcode. */
typedef struct tree {
    long long d, h, s1, s2, b;
    char dc[64], hc[64], s1c[64], s2c[64], bcode[64];
} tree;

static void build(tree *t)
{
    char x[64];
    t->d = snap_unit("SD", "other", "TTYT-SD", t->dc);
    t->h = snap_unit("SH", "health_centre", t->dc, t->hc);
    t->s1 = snap_unit("SS1", "commune_station", t->hc, t->s1c);
    t->s2 = snap_unit("SS2", "commune_station", t->hc, t->s2c);
    snap_staff(t->s1c, "digital_awareness", "smart_devices", x);
    t->b = snap_staff(t->s1c, NULL, NULL, t->bcode);
    snap_staff(t->s2c, "smart_devices", NULL, x);
    snap_staff(t->hc, NULL, NULL, x);
}

/* After S1's approval: a late completion of a campaign course and a late smart-devices
 * attestation for b (dated in the period), and a new staff member of S1. */
static void late_data(tree *t)
{
    char course[96], x[64];
    snprintf(course, sizeof course, "course-v1:BDHVS+SNAP%s+2026-1", uniq());
    resp *cr = send_obj("POST", "/api/v1/courses", T_ADMIN,
                        json_pack("{s:s, s:s, s:b}", "code", course, "title", "Kỹ năng số (ảnh chụp)",
                                  "counts_for_campaign", 1));
    ck_assert_msg(cr->status == 201, "course: %ld %s", cr->status, cr->body);
    resp_free(cr);
    created_id(send_obj("POST", "/api/v1/completions", T_SD_MANAGER,
                        json_pack("{s:s, s:s, s:s}", "staff_code", t->bcode, "course_code", course, "completed_on",
                                  "2026-06-20")));
    created_id(send_obj("POST", "/api/v1/attestations", T_SD_MANAGER,
                        json_pack("{s:I, s:s, s:s}", "staff_id", (json_int_t)t->b, "skill", "smart_devices",
                                  "attested_on", "2026-06-25")));
    snap_staff(t->s1c, NULL, NULL, x);
}

/* Approving a station's report takes one snapshot, committed with the approval; a refused
 * approval takes none. Late data then shows on basis=current, not on basis=approved, and the
 * cells say so; the parent is its own figures plus its children's on either basis. */
START_TEST(approval_snapshot_and_rollup_on_both_bases)
{
    tree t;
    build(&t);
    report_submitted(t.s1, PERIOD);
    report_submitted(t.h, PERIOD);
    /* Refused (S2 not approved): 409, nothing written. */
    resp *no = act(T_SD_MANAGER, t.h, "approve", NULL);
    ASSERT_STATUS(no, 409);
    ck_assert_ptr_nonnull(strstr(no->headers, "application/problem+json"));
    resp_free(no);
    ck_assert_int_eq(snapshots_of(t.h), 0);
    /* Nothing approved yet: basis current everywhere, differs null. */
    resp *r0 = rollup_at(T_SD_REPORTER, t.h, PERIOD, 1, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(r0->json, "basis")), "current");
    ck_assert_ptr_null(json_object_get(r0->json, "not_approved"));
    ck_assert_str_eq(basis_of(r0, t.h), "current");
    ASSERT_CELL(r0, t.s1, 5, 1, 2, -1);
    resp_free(r0);

    act_ok(T_SD_MANAGER, t.s1, "approve", "{\"signer_name\":\"Nguyễn Văn A\",\"document_no\":\"12/BC-TYT\"}");
    ck_assert_int_eq(snapshots_of(t.s1), 1);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM report_snapshots WHERE unit_id = $1::bigint AND period = $2"
                               " AND taken_by = 'sondong.manager' AND as_of = '2026-06-30'"
                               " AND (own_figures ->> 'staff')::int = 2 AND (own_figures ->> 'ct5')::int = 1",
                               idstr(t.s1), PERIOD),
                     1);
    /* Right after approval, approved = current. */
    resp *r1 = rollup_at(T_SD_REPORTER, t.h, PERIOD, 1, NULL);
    ASSERT_CELL(r1, t.s1, 5, 1, 2, 0);
    ck_assert_str_eq(basis_of(r1, t.s1), "approved");
    ck_assert_str_eq(basis_of(r1, t.s2), "current");
    ck_assert_str_eq(basis_of(r1, t.h), "mixed");
    ASSERT_CELL(r1, t.s2, 5, 1, 1, -1);
    ASSERT_CELL(r1, t.h, 5, 2, 4, 0);
    resp_free(r1);

    late_data(&t);
    /* Current: S1 has 3 staff, 2 with smart devices, 1 campaign course. */
    resp *c = rollup_at(T_SD_REPORTER, t.h, PERIOD, 1, "current");
    ck_assert_str_eq(json_string_value(json_object_get(c->json, "basis")), "current");
    ASSERT_CELL(c, t.s1, 1, 0, 3, 1);
    ASSERT_CELL(c, t.s1, 5, 2, 3, 1);
    ASSERT_CELL(c, t.s1, 3, 0, 1, 0);
    ASSERT_CELL(c, t.s2, 5, 1, 1, -1);
    ASSERT_CELL(c, t.h, 5, 3, 5, 1);
    ASSERT_CELL(c, t.h, 4, 0, 0, 0);
    json_t *parts = json_object_get(json_array_get(json_object_get(unit_in(c, t.s1), "indicators"), 1), "parts");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(parts, "course"), "numerator")), 1);
    resp_free(c);
    /* Approved: S1's snapshot; H = its own (1 staff) + S1 approved + S2 live. */
    resp *a = rollup_at(T_SD_REPORTER, t.h, PERIOD, 1, "approved");
    ck_assert_str_eq(json_string_value(json_object_get(a->json, "basis")), "approved");
    ASSERT_CELL(a, t.s1, 1, 0, 2, 1);
    ASSERT_CELL(a, t.s1, 5, 1, 2, 1);
    ASSERT_CELL(a, t.s2, 5, 1, 1, -1);
    ASSERT_CELL(a, t.h, 5, 2, 4, 1);
    parts = json_object_get(json_array_get(json_object_get(unit_in(a, t.s1), "indicators"), 1), "parts");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(parts, "course"), "numerator")), 0);
    json_t *na = json_object_get(a->json, "not_approved");
    ck_assert_int_eq(json_array_size(na), 2);
    ck_assert_str_eq(json_string_value(json_array_get(na, 0)), strcmp(t.hc, t.s2c) < 0 ? t.hc : t.s2c);
    resp_free(a);

    /* The whole chain approved: the parent is the sum of its children (and its own) on the
     * approved basis; only D, not approved, is live. */
    report_submitted(t.s2, PERIOD);
    act_ok(T_SD_MANAGER, t.s2, "approve", NULL);
    act_ok(T_SD_MANAGER, t.h, "approve", NULL);
    ck_assert_int_eq(snapshots_of(t.h), 1);
    resp *d = rollup_at(T_SD_REPORTER, t.d, PERIOD, 2, "approved");
    ck_assert_str_eq(basis_of(d, t.h), "approved");
    ck_assert_str_eq(basis_of(d, t.d), "mixed");
    ASSERT_CELL(d, t.h, 5, 2, 4, 1);
    ASSERT_CELL(d, t.d, 5, 2, 4, 1);
    ASSERT_CELL(d, t.s1, 5, 1, 2, 1);
    ASSERT_CELL(d, t.s2, 5, 1, 1, 0);
    na = json_object_get(d->json, "not_approved");
    ck_assert_int_eq(json_array_size(na), 1);
    ck_assert_str_eq(json_string_value(json_array_get(na, 0)), t.dc);
    resp_free(d);
    /* The DHIS2 export on the approved basis: the values the approvals stored, only for the
     * approved units; live, the late data. */
    resp *x = dhis2(t.h, "approved");
    ck_assert_str_eq(dhis2_default_value(x, t.s1c, "BDHVS_STAFF_ACTIVE"), "2");
    ck_assert_str_eq(dhis2_default_value(x, t.s1c, "BDHVS_CT5_NUM"), "1");
    ck_assert_str_eq(dhis2_default_value(x, t.s2c, "BDHVS_CT5_NUM"), "1");
    ck_assert_str_eq(dhis2_default_value(x, t.hc, "BDHVS_STAFF_ACTIVE"), "1");
    resp_free(x);
    x = dhis2(t.h, NULL);
    ck_assert_str_eq(dhis2_default_value(x, t.s1c, "BDHVS_STAFF_ACTIVE"), "3");
    ck_assert_str_eq(dhis2_default_value(x, t.s1c, "BDHVS_CT5_NUM"), "2");
    resp_free(x);
    x = dhis2(t.d, "approved");
    ck_assert_str_eq(dhis2_default_value(x, t.dc, "BDHVS_STAFF_ACTIVE"), "(none)");
    ck_assert_str_eq(dhis2_default_value(x, t.s1c, "BDHVS_CT5_NUM"), "1");
    resp_free(x);
    /* CSV on the approved basis carries the approved figures. */
    resp *csv = http_get(fmt("/api/v1/indicators/rollup?unit_id=%lld&period=%s&depth=0&basis=approved&format=csv",
                             t.h, PERIOD),
                         T_SD_REPORTER);
    ASSERT_STATUS(csv, 200);
    ck_assert_ptr_nonnull(strstr(csv->body, fmt("%s,Đơn vị SH,0,CT5,2,4,", t.hc)));
    resp_free(csv);
}
END_TEST

/* Revisions: what changed under an approved report since approval, old -> new. Unlocking
 * supersedes the snapshot (kept); the next approval takes a new one. Returning supersedes too. */
START_TEST(revisions_unlock_and_return_supersede)
{
    tree t;
    build(&t);
    report_submitted(t.s1, PERIOD);
    report_submitted(t.s2, PERIOD);
    act_ok(T_SD_MANAGER, t.s1, "approve", NULL);
    act_ok(T_SD_MANAGER, t.s2, "approve", NULL);
    report_submitted(t.h, PERIOD);
    act_ok(T_SD_MANAGER, t.h, "approve", NULL);
    resp *r0 = http_get(fmt("/api/v1/reports/%lld/%s/revisions", t.s1, PERIOD), T_SD_REPORTER);
    ASSERT_STATUS(r0, 200);
    ck_assert(json_is_false(json_object_get(r0->json, "changed")));
    ck_assert_int_eq(json_array_size(json_object_get(r0->json, "revisions")), 0);
    resp_free(r0);

    late_data(&t);
    resp *r = http_get(fmt("/api/v1/reports/%lld/%s/revisions", t.s1, PERIOD), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert(json_is_true(json_object_get(r->json, "changed")));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r->json, "snapshot"), "taken_by")),
                     "sondong.manager");
    json_t *rev = json_object_get(r->json, "revisions");
    ck_assert_int_eq(json_array_size(rev), 5); /* CT1, CT2, CT2 course, CT2 vneid (denominators), CT5 */
    static const struct {
        const char *ind, *part;
        long long on, od, nn, nd;
    } want[] = {{"CT1", NULL, 0, 2, 0, 3},
                {"CT2", NULL, 0, 2, 0, 3},
                {"CT2", "course", 0, 2, 1, 3},
                {"CT2", "vneid", 0, 2, 0, 3},
                {"CT5", NULL, 1, 2, 2, 3}};
    for (size_t i = 0; i < 5; i++) {
        json_t *e = json_array_get(rev, i);
        ck_assert_str_eq(json_string_value(json_object_get(e, "unit_code")), t.s1c);
        ck_assert_str_eq(json_string_value(json_object_get(e, "indicator")), want[i].ind);
        json_t *p = json_object_get(e, "part");
        if (want[i].part) ck_assert_str_eq(json_string_value(p), want[i].part);
        else ck_assert(json_is_null(p));
        json_t *o = json_object_get(e, "old"), *n = json_object_get(e, "new");
        ck_assert_int_eq(json_integer_value(json_object_get(o, "numerator")), want[i].on);
        ck_assert_int_eq(json_integer_value(json_object_get(o, "denominator")), want[i].od);
        ck_assert_int_eq(json_integer_value(json_object_get(n, "numerator")), want[i].nn);
        ck_assert_int_eq(json_integer_value(json_object_get(n, "denominator")), want[i].nd);
    }
    json_t *ct5 = json_array_get(json_object_get(r->json, "indicators"), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(ct5, "approved"), "numerator")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(ct5, "current"), "numerator")), 2);
    ck_assert(json_is_true(json_object_get(ct5, "differs")));
    resp_free(r);
    /* The health centre sees its station's late data. */
    resp *h = http_get(fmt("/api/v1/reports/%lld/%s/revisions", t.h, PERIOD), T_SYT_VIEWER);
    ASSERT_STATUS(h, 200);
    ck_assert_int_eq(json_array_size(json_object_get(h->json, "revisions")), 5);
    ct5 = json_array_get(json_object_get(h->json, "indicators"), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(ct5, "approved"), "numerator")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(ct5, "approved"), "denominator")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(ct5, "current"), "numerator")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(ct5, "current"), "denominator")), 5);
    resp_free(h);

    /* Unlock S1: its snapshot and the reopened H's are superseded, still there. */
    act_ok(T_SD_MANAGER, t.s1, "unlock", "{\"reason\":\"Bổ sung số liệu\"}");
    ck_assert_int_eq(superseded(t.s1, "unlocked", "Bổ sung số liệu"), 1);
    ck_assert_int_eq(superseded(t.h, "reopened", NULL), 1);
    resp *u = http_get(fmt("/api/v1/reports/%lld/%s/revisions", t.s1, PERIOD), T_SD_REPORTER);
    ASSERT_STATUS(u, 409);
    ck_assert_ptr_nonnull(strstr(u->headers, "application/problem+json"));
    resp_free(u);
    resp *a = rollup_at(T_SD_REPORTER, t.h, PERIOD, 1, "approved");
    ck_assert_str_eq(basis_of(a, t.s1), "current");
    ASSERT_CELL(a, t.s1, 5, 2, 3, -1);
    resp_free(a);
    /* Approved again: a new snapshot with the late data, in force; the old one is kept. */
    act_ok(T_SD_MANAGER, t.s1, "approve", NULL);
    ck_assert_int_eq(snapshots_of(t.s1), 2);
    a = rollup_at(T_SD_REPORTER, t.h, PERIOD, 1, "approved");
    ck_assert_str_eq(basis_of(a, t.s1), "approved");
    ASSERT_CELL(a, t.s1, 5, 2, 3, 0);
    resp_free(a);
    resp *again = http_get(fmt("/api/v1/reports/%lld/%s/revisions", t.s1, PERIOD), T_SD_REPORTER);
    ASSERT_STATUS(again, 200);
    ck_assert(json_is_false(json_object_get(again->json, "changed")));
    resp_free(again);
    /* Returning S2 supersedes its snapshot. */
    act_ok(T_SD_MANAGER, t.s2, "return", "{\"reason\":\"Sai mục 3\"}");
    ck_assert_int_eq(superseded(t.s2, "returned", "Sai mục 3"), 1);
}
END_TEST

/* Bad input: a clear problem+json, nothing written. */
START_TEST(bad_input_is_a_clear_problem)
{
    tree t;
    build(&t);
    resp *r = http_get(fmt("/api/v1/indicators/rollup?unit_id=%lld&period=%s&basis=signed", t.h, PERIOD), T_SD_REPORTER);
    ASSERT_STATUS(r, 400);
    ck_assert_ptr_nonnull(strstr(r->headers, "application/problem+json"));
    ck_assert_int_eq(count_errors(r, "basis", "must be current or approved"), 1);
    resp_free(r);
    r = http_get(fmt("/api/v1/exports/dhis2?unit_id=%lld&period=%s&basis=live", t.h, PERIOD), T_SD_REPORTER);
    ASSERT_STATUS(r, 400);
    ck_assert_int_eq(count_errors(r, "basis", "must be current or approved"), 1);
    resp_free(r);
    /* No report, a malformed period, an unknown unit: 404. */
    const char *paths[] = {fmt("/api/v1/reports/%lld/%s/revisions", t.s1, PERIOD),
                           fmt("/api/v1/reports/%lld/2026-13/revisions", t.s1), "/api/v1/reports/999999999/2026-06/revisions"};
    for (size_t i = 0; i < 3; i++) {
        r = http_get(paths[i], T_SD_REPORTER);
        ASSERT_STATUS(r, 404);
        ck_assert_ptr_nonnull(strstr(r->headers, "application/problem+json"));
        resp_free(r);
    }
    /* Submitted, not approved: 409. */
    report_submitted(t.s1, PERIOD);
    r = http_get(fmt("/api/v1/reports/%lld/%s/revisions", t.s1, PERIOD), T_SD_REPORTER);
    ASSERT_STATUS(r, 409);
    ck_assert_ptr_nonnull(strstr(jstr(r, "detail"), "submitted, not approved"));
    resp_free(r);
    ck_assert_int_eq(snapshots_of(t.s1), 0);
}
END_TEST

Suite *s8_snap_suite(void)
{
    Suite *s = suite_create("s8_snap");
    TCase *t = tcase_create("snapshots");
    tcase_set_timeout(t, 90);
    tcase_add_test(t, approval_snapshot_and_rollup_on_both_bases);
    tcase_add_test(t, revisions_unlock_and_return_supersede);
    tcase_add_test(t, bad_input_is_a_clear_problem);
    suite_add_tcase(s, t);
    return s;
}
