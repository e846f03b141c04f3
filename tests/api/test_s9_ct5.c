/* Issue 11 §3, the rest: CT5 counts the workers of public service units ("người lao động tại các
 * đơn vị sự nghiệp y tế"). Its denominator and numerator count only the staff of units in the
 * group public_service_unit; the staff of a state management body (an office) are not in CT5 at
 * all, while CT1 and CT2 keep every staff member. A group change moves a unit's staff in or out of
 * CT5 (the kept rollup is computed again); GET /staff?missing=CT5 agrees with the rollup; the
 * approved basis, the snapshot and the DHIS2 export carry the same numbers. Each test builds its
 * own tree under TTYT-SD, so the hand counts are exact and the tests can run again.
 *
 * The tree: P (an office: state management) with O (an office) and H (a health centre: public
 * service unit). Staff, skills attested on 1 April 2026, period 2026-06 (as of 30 June):
 *   P: p1 (smart devices)
 *   O: o1 (awareness, EMR, smart devices), o2 (none)
 *   H: h1 (awareness, EMR, smart devices), h2 (smart devices), h3 (none)
 * CT1 (every staff member): P 2/6, O 1/2, H 1/3.
 * CT5 (public service units only): P 2/3, O 0/0, H 2/3 (counting everyone it was 4/6 and 1/2). */
#include "client.h"

#include <stdio.h>
#include <string.h>

#define PERIOD "2026-06"

static long long ct5_staff(const char *unit_code, const char *const *skills, char code[64])
{
    snprintf(code, 64, "CT5-%s", uniq());
    long long sid = created_id(send_obj("POST", "/api/v1/staff", T_SD_MANAGER,
                                        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "code", code, "full_name",
                                                  "Lê Thị Năm", "unit_code", unit_code, "job_group", "nurse",
                                                  "employment", "public_employee", "joined_on", "2025-01-01")));
    for (int k = 0; skills && skills[k]; k++)
        created_id(send_obj("POST", "/api/v1/attestations", T_SD_MANAGER,
                            json_pack("{s:I, s:s, s:s}", "staff_id", (json_int_t)sid, "skill", skills[k],
                                      "attested_on", "2026-04-01")));
    return sid;
}

typedef struct tree {
    long long p, o, h;
    char pc[64], oc[64], hc[64], o2[64], h3[64];
} tree;

static void build(tree *t)
{
    static const char *const smart[] = {"smart_devices", NULL};
    static const char *const all[] = {"digital_awareness", "emr", "smart_devices", NULL};
    char x[64];
    t->p = make_test_unit("C5P", "Phòng thử CT5", "office", "TTYT-SD", t->pc, sizeof t->pc);
    oblige_every_child(t->p);
    t->o = make_test_unit("C5O", "Phòng con CT5", "office", t->pc, t->oc, sizeof t->oc);
    t->h = make_test_unit("C5H", "Trung tâm CT5", "health_centre", t->pc, t->hc, sizeof t->hc);
    ct5_staff(t->pc, smart, x);
    ct5_staff(t->oc, all, x);
    ct5_staff(t->oc, NULL, t->o2);
    ct5_staff(t->hc, all, x);
    ct5_staff(t->hc, smart, x);
    ct5_staff(t->hc, NULL, t->h3);
}

/* GET what (a path and query without the period) for PERIOD, on basis (NULL: none): 200. */
static resp *get_period(const char *what, long long unit, const char *basis)
{
    const char *path = fmt("%s&unit_id=%lld&period=%s%s%s", what, unit, PERIOD, basis ? "&basis=" : "",
                           basis ? basis : "");
    resp *r = http_get(path, T_SD_REPORTER);
    ck_assert_msg(r->status == 200, "%s: %ld %s", path, r->status, r->body);
    return r;
}

/* CT<ind> of unit: numerator n, denominator d (value null when d is 0). */
static void assert_cell(const resp *r, long long unit, int ind, long long n, long long d)
{
    json_t *c = rollup_cell(r, unit, ind - 1);
    long long gn = json_integer_value(json_object_get(c, "numerator")),
              gd = json_integer_value(json_object_get(c, "denominator"));
    ck_assert_msg(gn == n && gd == d, "CT%d of %lld: %lld/%lld, not %lld/%lld", ind, unit, gn, gd, n, d);
    ck_assert_msg(d > 0 ? json_is_number(json_object_get(c, "value")) : json_is_null(json_object_get(c, "value")),
                  "CT%d of %lld: value", ind, unit);
}

static long long missing_ct5(long long under)
{
    resp *r = http_get(fmt("/api/v1/staff?missing=CT5&under=%lld&as_of=2026-06-30&limit=100", under), T_SD_MANAGER);
    ck_assert_msg(r->status == 200, "missing: %ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(r, "indicator"), "CT5");
    long long total = jint(r, "total");
    resp_free(r);
    return total;
}

static void set_group(long long unit, const char *drop, const char *add)
{
    req_opts o = {.token = T_ADMIN};
    expect(http_do("DELETE", fmt("/api/v1/units/%lld/groups/%s", unit, drop), &o), 204);
    expect(http_do("PUT", fmt("/api/v1/units/%lld/groups/%s", unit, add), &o), 201);
}

/* CT5 over the public service units' staff; CT1 and CT2 over everyone; the parent is the sum of
 * its children and its own; the list of those missing is the gap. */
START_TEST(ct5_counts_public_service_units_only)
{
    tree t;
    build(&t);
    resp *r = rollup_at(T_SD_REPORTER, t.p, PERIOD, 1, NULL);
    assert_cell(r, t.p, 1, 2, 6);
    assert_cell(r, t.o, 1, 1, 2);
    assert_cell(r, t.h, 1, 1, 3);
    assert_cell(r, t.p, 2, 0, 6);
    assert_cell(r, t.p, 5, 2, 3);
    assert_cell(r, t.o, 5, 0, 0);
    assert_cell(r, t.h, 5, 2, 3);
    resp_free(r);
    /* The list behind the number: h3 only (o2 is in an office, not in CT5). */
    ck_assert_int_eq(missing_ct5(t.p), 1);
    ck_assert_int_eq(missing_ct5(t.o), 0);
    ck_assert_int_eq(missing_ct5(t.h), 1);
    resp *m = http_get(fmt("/api/v1/staff?missing=CT5&under=%lld&as_of=2026-06-30", t.p), T_SD_MANAGER);
    ASSERT_STATUS(m, 200);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(m->json, "items"), 0), "code")),
                     t.h3);
    resp_free(m);
    /* CT1 and CT2 still list o2. */
    m = http_get(fmt("/api/v1/staff?missing=CT1&under=%lld&as_of=2026-06-30", t.o), T_SD_MANAGER);
    ASSERT_STATUS(m, 200);
    ck_assert_int_eq(jint(m, "total"), 1);
    resp_free(m);
    /* The consolidated form's rate 5 has CT5's numerator and denominator. */
    resp *f = http_get(fmt("/api/v1/exports/report-form?unit_id=%lld&period=%s", t.p, PERIOD), T_SD_REPORTER);
    ASSERT_STATUS(f, 200);
    int seen = 0;
    size_t i, k;
    json_t *s, *fld;
    json_array_foreach (json_object_get(f->json, "sections"), i, s)
        json_array_foreach (json_object_get(s, "fields"), k, fld) {
            json_t *c = json_object_get(fld, "computed");
            if (c && json_is_string(json_object_get(c, "indicator")) &&
                strcmp(json_string_value(json_object_get(c, "indicator")), "CT5") == 0) {
                ck_assert_int_eq(json_integer_value(json_object_get(c, "numerator")), 2);
                ck_assert_int_eq(json_integer_value(json_object_get(c, "denominator")), 3);
                seen++;
            }
        }
    ck_assert_int_eq(seen, 1);
    resp_free(f);
}
END_TEST

/* A group change moves a unit's staff into or out of CT5; the kept rollup is made again. */
START_TEST(group_change_moves_staff_in_and_out_of_ct5)
{
    tree t;
    build(&t);
    resp *r = rollup_at(T_SD_REPORTER, t.p, PERIOD, 1, NULL);
    assert_cell(r, t.p, 5, 2, 3);
    resp_free(r);
    long long kept = kept_stamp(t.p, PERIOD);
    ck_assert_int_ne(kept, 0);
    /* O becomes a public service unit: o1 and o2 count. */
    set_group(t.o, "state_management", "public_service_unit");
    r = rollup_at(T_SD_REPORTER, t.p, PERIOD, 1, NULL);
    assert_cell(r, t.p, 5, 3, 5);
    assert_cell(r, t.o, 5, 1, 2);
    assert_cell(r, t.h, 5, 2, 3);
    assert_cell(r, t.p, 1, 2, 6);
    resp_free(r);
    long long kept2 = kept_stamp(t.p, PERIOD);
    ck_assert_int_ne(kept2, kept);
    ck_assert_int_eq(missing_ct5(t.p), 2);
    /* H leaves the public service units: its staff leave CT5. */
    set_group(t.h, "public_service_unit", "state_management");
    r = rollup_at(T_SD_REPORTER, t.p, PERIOD, 1, NULL);
    assert_cell(r, t.p, 5, 1, 2);
    assert_cell(r, t.h, 5, 0, 0);
    assert_cell(r, t.h, 1, 1, 3);
    resp_free(r);
    ck_assert_int_ne(kept_stamp(t.p, PERIOD), kept2);
    ck_assert_int_eq(missing_ct5(t.p), 1);
    ck_assert_int_eq(missing_ct5(t.h), 0);
    /* The same figures when the kept rollup is read again. */
    r = rollup_at(T_SD_REPORTER, t.p, PERIOD, 1, NULL);
    assert_cell(r, t.p, 5, 1, 2);
    resp_free(r);
    /* /indicators/at-risk measures the same CT5 today: P 1/2 = 50 % (counting everyone it would be
     * 4/6), H none (no staff of a public service unit). */
    r = http_get(fmt("/api/v1/indicators/at-risk?unit_id=%lld&indicator=CT5&limit=100", t.p), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    int seen = 0;
    size_t i;
    json_t *it;
    json_array_foreach (json_object_get(r->json, "items"), i, it) {
        const char *code = json_string_value(json_object_get(it, "unit_code"));
        json_t *v = json_object_get(it, "current_value");
        if (strcmp(code, t.pc) == 0) {
            ck_assert_msg(json_is_number(v) && json_number_value(v) == 50.0, "P's CT5 today: %s", r->body);
            seen++;
        } else if (strcmp(code, t.hc) == 0) {
            ck_assert_msg(json_is_null(v), "H's CT5 today: %s", r->body);
            seen++;
        }
    }
    ck_assert_int_eq(seen, 2);
    resp_free(r);
}
END_TEST

static void approve(long long unit)
{
    req_opts o = {.token = T_SD_MANAGER};
    expect(http_do("POST", fmt("/api/v1/reports/%lld/%s/approve", unit, PERIOD), &o), 200);
}

static resp *dhis2(long long unit, const char *basis)
{
    return get_period("/api/v1/exports/dhis2?view=units", unit, basis);
}

static void assert_dhis2(const resp *r, const tree *t)
{
    ck_assert_str_eq(dhis2_default_value(r, t->hc, "BDHVS_CT5_DEN"), "3");
    ck_assert_str_eq(dhis2_default_value(r, t->hc, "BDHVS_CT5_NUM"), "2");
    ck_assert_str_eq(dhis2_default_value(r, t->hc, "BDHVS_STAFF_ACTIVE"), "3");
    ck_assert_str_eq(dhis2_default_value(r, t->oc, "BDHVS_CT5_DEN"), "(none)");
    ck_assert_str_eq(dhis2_default_value(r, t->oc, "BDHVS_CT5_NUM"), "(none)");
    ck_assert_str_eq(dhis2_default_value(r, t->oc, "BDHVS_STAFF_ACTIVE"), "2");
    ck_assert_str_eq(dhis2_default_value(r, t->pc, "BDHVS_CT5_DEN"), "(none)");
    ck_assert_str_eq(dhis2_default_value(r, t->pc, "BDHVS_STAFF_ACTIVE"), "1");
}

/* Approval keeps CT5's denominator: the approved basis, the snapshot and the DHIS2 export (live
 * and approved) carry the same numbers; a later group change shows as a difference from the
 * approved figures, which stay. */
START_TEST(approved_basis_and_dhis2_carry_ct5_denominator)
{
    tree t;
    build(&t);
    resp *live = dhis2(t.p, NULL);
    assert_dhis2(live, &t);
    resp_free(live);
    report_submitted(t.o, PERIOD);
    report_submitted(t.h, PERIOD);
    report_submitted(t.p, PERIOD);
    approve(t.o);
    approve(t.h);
    approve(t.p);
    ck_assert_int_eq(db_count2("SELECT (own_figures ->> 'staff5')::bigint FROM report_snapshots"
                               " WHERE unit_id = $1::bigint AND period = $2 ORDER BY id DESC LIMIT 1",
                               idstr(t.h), PERIOD),
                     3);
    resp *a = rollup_at(T_SD_REPORTER, t.p, PERIOD, 1, "approved");
    ck_assert_str_eq(jstr(a, "basis"), "approved");
    assert_cell(a, t.p, 5, 2, 3);
    assert_cell(a, t.o, 5, 0, 0);
    assert_cell(a, t.h, 5, 2, 3);
    assert_cell(a, t.p, 1, 2, 6);
    ck_assert(json_is_false(json_object_get(rollup_cell(a, t.p, 5 - 1), "differs_from_approved")));
    resp_free(a);
    resp *ap = dhis2(t.p, "approved");
    assert_dhis2(ap, &t);
    resp_free(ap);
    /* O joins the public service units after approval: current 3/5, approved still 2/3. */
    set_group(t.o, "state_management", "public_service_unit");
    resp *c = rollup_at(T_SD_REPORTER, t.p, PERIOD, 1, "current");
    assert_cell(c, t.p, 5, 3, 5);
    ck_assert(json_is_true(json_object_get(rollup_cell(c, t.p, 5 - 1), "differs_from_approved")));
    ck_assert(json_is_false(json_object_get(rollup_cell(c, t.p, 1 - 1), "differs_from_approved")));
    resp_free(c);
    a = rollup_at(T_SD_REPORTER, t.p, PERIOD, 1, "approved");
    assert_cell(a, t.p, 5, 2, 3);
    resp_free(a);
    ap = dhis2(t.p, "approved");
    assert_dhis2(ap, &t);
    resp_free(ap);
    /* The revisions name O's CT5: 0/0 approved, 1/2 now. */
    resp *rv = http_get(fmt("/api/v1/reports/%lld/%s/revisions", t.p, PERIOD), T_SD_REPORTER);
    ASSERT_STATUS(rv, 200);
    ck_assert(json_is_true(json_object_get(rv->json, "changed")));
    json_t *ct5 = json_array_get(json_object_get(rv->json, "indicators"), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(ct5, "approved"), "denominator")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(ct5, "current"), "denominator")), 5);
    resp_free(rv);
}
END_TEST

/* The DHIS2 metadata declares the denominator's data element; CT5's definition says whom it counts. */
START_TEST(metadata_and_definition_name_the_public_service_units)
{
    resp *r = http_get("/api/v1/exports/dhis2/metadata", T_SYT_VIEWER);
    ASSERT_STATUS(r, 200);
    int seen = 0;
    size_t i;
    json_t *d;
    json_array_foreach (json_object_get(r->json, "dataElements"), i, d)
        if (strcmp(json_string_value(json_object_get(d, "code")), "BDHVS_CT5_DEN") == 0) {
            ck_assert_str_eq(json_string_value(json_object_get(d, "aggregationType")), "LAST");
            seen++;
        }
    ck_assert_int_eq(seen, 1);
    resp_free(r);
    for (int year = 2025; year <= 2026; year++) {
        r = http_get(fmt("/api/v1/indicators/definitions?year=%d", year), T_SYT_VIEWER);
        ASSERT_STATUS(r, 200);
        json_t *ct5 = json_array_get(json_object_get(r->json, "items"), 4);
        ck_assert_str_eq(json_string_value(json_object_get(ct5, "code")), "CT5");
        ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(json_object_get(ct5, "denominator"), "vi")),
                                     "đơn vị sự nghiệp y tế"));
        ck_assert_str_eq(json_string_value(json_object_get(json_object_get(ct5, "parameters"), "unit_group")),
                         "public_service_unit");
        resp_free(r);
    }
}
END_TEST

Suite *s9_ct5_suite(void)
{
    Suite *s = suite_create("s9_ct5");
    TCase *t = tcase_create("ct5");
    tcase_add_test(t, ct5_counts_public_service_units_only);
    tcase_add_test(t, group_change_moves_staff_in_and_out_of_ct5);
    tcase_add_test(t, approved_basis_and_dhis2_carry_ct5_denominator);
    tcase_add_test(t, metadata_and_definition_name_the_public_service_units);
    suite_add_tcase(s, t);
    return s;
}
