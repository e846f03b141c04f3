/* The DHIS2 export and the at-risk projection (docs/specs/indicators.md, "DHIS2 export" and
 * "Projection: who is on track"), on a small tree the suite builds itself and counts by hand.
 *
 * Under SYT-BN: a health centre H with one ward W and one commune station S, all opened
 * 2025-01-01. Seven staff join (and one leaves) on known dates; they complete a campaign course
 * (or one that does not count), are confirmed on VNeID and attested for skills on known dates.
 * S deploys the five digital services, H only one (a ward is no facility). S and H report
 * patients supported (per service and target group) and served for known months.
 *
 * The DHIS2 figures are for 2026-03 and 2026Q1, long past. The projection looks at the end of
 * each of the last three months and today, so a few dates are relative to the server's today
 * (server_today()): h1 is attested for smart devices at the end of the month before last (P1),
 * s2 today. The hand counts below assume that today is 2026-08-01 or later (checked).
 * Codes carry a uniq() suffix, so the suite runs again on the same database. */
#include "client.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void created(resp *r, const char *what)
{
    ck_assert_msg(r->status == 201 || r->status == 200, "%s: %ld %.400s", what, r->status, r->body ? r->body : "");
    resp_free(r);
}

/* ---- Days ------------------------------------------------------------------------------------- */

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static long days_of(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static long days_str(const char *s)
{
    int y, m, d;
    ck_assert_msg(sscanf(s, "%d-%d-%d", &y, &m, &d) == 3, "not a date: %s", s);
    return days_of(y, m, d);
}

static void date_of(long z, char out[11])
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1, m = mp + (mp < 10 ? 3 : -9);
    char buf[64];
    snprintf(buf, sizeof buf, "%04ld-%02ld-%02ld", y + (m <= 2), m, d);
    memcpy(out, buf, 10);
    out[10] = '\0';
}

/* The last day of the month k months before today's month. */
static long month_end_before(const char *today, int k)
{
    int y, m, d;
    sscanf(today, "%d-%d-%d", &y, &m, &d);
    long idx = (long)y * 12 + (m - 1) - k + 1; /* the month after it */
    return days_of((int)(idx / 12), (int)(idx % 12) + 1, 1) - 1;
}

/* ---- The tree ---------------------------------------------------------------------------------- */

enum { H, W, S, NU };
static const char *const UKEY[NU] = {"H", "W", "S"};
static long long g_unit[NU];
static char g_code[NU][64], g_name[NU][128];
static char g_today[11], g_p1[11]; /* today; the end of the month before last */
static int g_built;

typedef struct staff_def {
    const char *key;
    int unit;
    const char *joined_on, *left_on, *vneid_confirmed_on;
} staff_def;

static const staff_def STAFF[] = {
    {"h1", H, "2020-01-01", NULL, "2025-11-10"},
    {"h2", H, "2020-01-01", NULL, NULL},
    {"h3", H, "2026-04-01", NULL, NULL},           /* not yet there at the end of 2026-03 */
    {"w1", W, "2021-01-01", NULL, "2025-05-01"},
    {"w2", W, "2022-06-01", NULL, NULL},
    {"s1", S, "2024-01-01", NULL, "2026-03-01"},
    {"s2", S, "2026-03-31", NULL, NULL},           /* joined on 2026-03's last day: counted */
    {"s3", S, "2025-06-01", "2026-02-15", "2025-07-01"}, /* left before 2026-03 */
};
#define NSTAFF (sizeof STAFF / sizeof STAFF[0])

/* 'C': the campaign course; 'N': a course that does not count. */
static const struct {
    const char *staff;
    char course;
    const char *on;
} COMPLETIONS[] = {
    {"h1", 'C', "2025-10-01"}, {"h2", 'C', "2026-02-01"}, {"s1", 'C', "2026-03-10"},
    {"s3", 'C', "2025-07-01"}, {"w1", 'N', "2025-08-01"},
};

/* "P1": the end of the month before last; "TODAY": the server's today. */
static const struct {
    const char *staff, *skill, *on;
} ATTESTATIONS[] = {
    {"h1", "digital_awareness", "2025-06-01"}, {"h1", "emr", "2025-06-01"}, {"h1", "smart_devices", "P1"},
    {"h2", "digital_awareness", "2025-06-01"}, /* no platform: never CT1 */
    {"h2", "smart_devices", "2026-01-15"},
    {"w1", "smart_devices", "2025-01-10"},     {"w2", "smart_devices", "2025-02-01"}, /* W: 100 % long ago */
    {"s1", "digital_awareness", "2025-03-01"}, {"s1", "station_software", "2025-03-01"},
    {"s2", "smart_devices", "TODAY"},
    {"s3", "smart_devices", "2025-07-01"},
};
#define NATT (sizeof ATTESTATIONS / sizeof ATTESTATIONS[0])

static const char *const FIVE[] = {"cashless_payment", "online_booking", "e_prescription", "emr", "data_interconnection"};

static const struct {
    int unit;
    const char *month, *service, *group;
    int count;
} SUPPORT[] = {
    {S, "2025-12", "vneid_card", "elderly", 9},       /* before 2026Q1 */
    {S, "2026-02", "vneid_card", "elderly", 10},      /* 2026-02: 10 vneid_card, 60 online_booking: 60 */
    {S, "2026-02", "online_booking", "general", 60},
    {S, "2026-03", "vneid_card", "elderly", 30},      /* 2026-03: 50 vneid_card, 45 online_booking: 50 */
    {S, "2026-03", "vneid_card", "general", 20},
    {S, "2026-03", "online_booking", "elderly", 45},
    {S, "2026-04", "vneid_card", "elderly", 7},       /* after 2026Q1 */
    {H, "2026-01", "vneid_card", "general", 25},
    {H, "2026-03", "cashless_payment", "poor", 12},
};

static const struct {
    int unit;
    const char *month;
    int count;
} SERVED[] = {
    {S, "2025-12", 55}, {S, "2026-02", 80}, {S, "2026-03", 100},
    {H, "2026-01", 200}, {H, "2026-03", 300}, {H, "2026-04", 999},
};

static const char *staff_code(const char *key)
{
    return fmt("%s-%s", g_code[H], key);
}

static const char *when(const char *on)
{
    if (strcmp(on, "P1") == 0) return g_p1;
    if (strcmp(on, "TODAY") == 0) return g_today;
    return on;
}

static void scenario_setup(void)
{
    if (g_built) return;
    server_today(g_today);
    ck_assert_msg(strlen(g_today) == 10, "no server date");
    ck_assert_msg(strcmp(g_today, "2026-08-01") >= 0, "the hand counts assume today (%s) is 2026-08-01 or later", g_today);
    date_of(month_end_before(g_today, 2), g_p1);

    const char *u = uniq();
    snprintf(g_code[H], sizeof g_code[H], "EX-%s", u);
    snprintf(g_name[H], sizeof g_name[H], "Trung tâm Y tế Kiểm thử Xuất %s", u);
    snprintf(g_code[W], sizeof g_code[W], "%.40s-W", g_code[H]);
    snprintf(g_name[W], sizeof g_name[W], "Khoa Khám bệnh %s", u);
    snprintf(g_code[S], sizeof g_code[S], "%.40s-S", g_code[H]);
    snprintf(g_name[S], sizeof g_name[S], "Trạm Y tế xã Kiểm thử %s", u);
    static const char *const types[NU] = {"health_centre", "ward", "commune_station"};
    for (int i = 0; i < NU; i++) {
        resp *r = send_obj("POST", "/api/v1/units", T_ADMIN,
                           json_pack("{s:s, s:s, s:s, s:s, s:s}", "code", g_code[i], "name", g_name[i], "type", types[i],
                                     "parent_code", i == H ? "SYT-BN" : g_code[H], "opened_on", "2025-01-01"));
        ck_assert_msg(r->status == 201, "unit %s: %ld %s", UKEY[i], r->status, r->body);
        g_unit[i] = jint(r, "id");
        resp_free(r);
    }
    char campaign[96], other[96];
    snprintf(campaign, sizeof campaign, "course-v1:BDHVS+EX%s+2026-1", u);
    snprintf(other, sizeof other, "course-v1:BDHVS+EN%s+2026-1", u);
    created(send_obj("POST", "/api/v1/courses", T_ADMIN,
                     json_pack("{s:s, s:s, s:b}", "code", campaign, "title", "Kỹ năng số cho NVYT", "counts_for_campaign", 1)),
            "campaign course");
    created(send_obj("POST", "/api/v1/courses", T_ADMIN,
                     json_pack("{s:s, s:s, s:b}", "code", other, "title", "Tin học văn phòng", "counts_for_campaign", 0)),
            "other course");
    for (size_t i = 0; i < NSTAFF; i++) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "code", staff_code(STAFF[i].key), "full_name",
                              "Phạm Thị Xuất", "unit_code", g_code[STAFF[i].unit], "job_group", "nurse", "employment",
                              "public_employee", "joined_on", STAFF[i].joined_on);
        if (STAFF[i].left_on) json_object_set_new(o, "left_on", json_string(STAFF[i].left_on));
        if (STAFF[i].vneid_confirmed_on) {
            json_object_set_new(o, "vneid_confirmed_on", json_string(STAFF[i].vneid_confirmed_on));
            json_object_set_new(o, "vneid_source", json_string("VNeID"));
        }
        created(send_obj("POST", "/api/v1/staff", T_ADMIN, o), fmt("staff %s", STAFF[i].key));
    }
    for (size_t i = 0; i < sizeof COMPLETIONS / sizeof COMPLETIONS[0]; i++)
        created(send_obj("POST", "/api/v1/completions", T_ADMIN,
                         json_pack("{s:s, s:s, s:s}", "staff_code", staff_code(COMPLETIONS[i].staff), "course_code",
                                   COMPLETIONS[i].course == 'C' ? campaign : other, "completed_on", COMPLETIONS[i].on)),
                fmt("completion %s", COMPLETIONS[i].staff));
    for (size_t i = 0; i < NATT; i++)
        created(send_obj("POST", "/api/v1/attestations", T_ADMIN,
                         json_pack("{s:s, s:s, s:s}", "staff_code", staff_code(ATTESTATIONS[i].staff), "skill",
                                   ATTESTATIONS[i].skill, "attested_on", when(ATTESTATIONS[i].on))),
                fmt("attestation %s %s", ATTESTATIONS[i].staff, ATTESTATIONS[i].skill));
    for (int k = 0; k < 5; k++)
        created(send_obj("PUT", fmt("/api/v1/units/%lld/services/%s", g_unit[S], FIVE[k]), T_ADMIN,
                         json_pack("{s:s, s:s}", "status", "deployed", "deployed_on", "2025-09-01")),
                fmt("S service %s", FIVE[k]));
    created(send_obj("PUT", fmt("/api/v1/units/%lld/services/emr", g_unit[H]), T_ADMIN,
                     json_pack("{s:s, s:s}", "status", "deployed", "deployed_on", "2025-06-01")),
            "H service emr");
    for (size_t i = 0; i < sizeof SUPPORT / sizeof SUPPORT[0]; i++) {
        resp *r = send_obj("POST", "/api/v1/support-counts", T_ADMIN,
                           json_pack("{s:I, s:s, s:s, s:s, s:i}", "unit_id", (json_int_t)g_unit[SUPPORT[i].unit], "month",
                                     SUPPORT[i].month, "service", SUPPORT[i].service, "target_group", SUPPORT[i].group,
                                     "count", SUPPORT[i].count));
        ck_assert_msg(r->status == 201, "support %zu: %ld %s", i, r->status, r->body);
        resp_free(r);
    }
    for (size_t i = 0; i < sizeof SERVED / sizeof SERVED[0]; i++) {
        resp *r = send_obj("POST", "/api/v1/patients-served", T_ADMIN,
                           json_pack("{s:I, s:s, s:i}", "unit_id", (json_int_t)g_unit[SERVED[i].unit], "month",
                                     SERVED[i].month, "count", SERVED[i].count));
        ck_assert_msg(r->status == 201, "served %zu: %ld %s", i, r->status, r->body);
        resp_free(r);
    }
    g_built = 1;
}

/* ---- DHIS2 ------------------------------------------------------------------------------------ */

typedef struct dv {
    int unit;
    const char *de, *coc, *value;
} dv;

/* 2026-03, as of 2026-03-31: each unit's OWN figures (by hand, from the tables above).
 *   H: h1 h2 (h3 only from April). CT1 h1; course h1 h2; VNeID h1; CT2 h1; CT5 h2 (h1's is
 *      later); a facility with one service; supported: cashless 12 (its only service); served 300.
 *   S: s1 s2 (s3 left). CT1 s1; course, VNeID, CT2 s1; no CT5; all five services; supported: the
 *      larger of vneid_card 30 + 20 and online_booking 45; served 100.
 *   W: w1 w2. VNeID w1 (w1's course does not count); CT5 both; no facility, no counts.
 * Zero values are left out, except BDHVS_STAFF_ACTIVE. Sorted by orgUnit, dataElement, combo. */
static const dv MARCH[] = {
    {H, "BDHVS_CT1_NUM", "default", "1"},
    {H, "BDHVS_CT2_COURSE", "default", "2"},
    {H, "BDHVS_CT2_NUM", "default", "1"},
    {H, "BDHVS_CT2_VNEID", "default", "1"},
    {H, "BDHVS_CT4_NUM", "default", "12"},
    {H, "BDHVS_CT5_DEN", "default", "2"},
    {H, "BDHVS_CT5_NUM", "default", "1"},
    {H, "BDHVS_FACILITIES", "default", "1"},
    {H, "BDHVS_PATIENTS_SERVED", "default", "300"},
    {H, "BDHVS_STAFF_ACTIVE", "default", "2"},
    {H, "BDHVS_SUPPORT_CASHLESS_PAYMENT", "POOR", "12"},
    {S, "BDHVS_CT1_NUM", "default", "1"},
    {S, "BDHVS_CT2_COURSE", "default", "1"},
    {S, "BDHVS_CT2_NUM", "default", "1"},
    {S, "BDHVS_CT2_VNEID", "default", "1"},
    {S, "BDHVS_CT4_NUM", "default", "50"},
    {S, "BDHVS_CT5_DEN", "default", "2"},
    {S, "BDHVS_FACILITIES", "default", "1"},
    {S, "BDHVS_FACILITIES_ALL_SERVICES", "default", "1"},
    {S, "BDHVS_PATIENTS_SERVED", "default", "100"},
    {S, "BDHVS_STAFF_ACTIVE", "default", "2"},
    {S, "BDHVS_SUPPORT_ONLINE_BOOKING", "ELDERLY", "45"},
    {S, "BDHVS_SUPPORT_VNEID_CARD", "ELDERLY", "30"},
    {S, "BDHVS_SUPPORT_VNEID_CARD", "GENERAL", "20"},
    {W, "BDHVS_CT2_VNEID", "default", "1"},
    {W, "BDHVS_CT5_DEN", "default", "2"},
    {W, "BDHVS_CT5_NUM", "default", "2"},
    {W, "BDHVS_STAFF_ACTIVE", "default", "2"},
};

/* 2026Q1: staff as of 2026-03-31 as above; counts summed over January to March.
 *   H: supported January 25 + March 12 = 37; served 200 + 300.
 *   S: supported February 60 (online_booking) + March 50 (vneid_card) = 110 - not the
 *      quarter's largest service (online_booking 105); served 80 + 100. */
static const dv Q1[] = {
    {H, "BDHVS_CT1_NUM", "default", "1"},
    {H, "BDHVS_CT2_COURSE", "default", "2"},
    {H, "BDHVS_CT2_NUM", "default", "1"},
    {H, "BDHVS_CT2_VNEID", "default", "1"},
    {H, "BDHVS_CT4_NUM", "default", "37"},
    {H, "BDHVS_CT5_DEN", "default", "2"},
    {H, "BDHVS_CT5_NUM", "default", "1"},
    {H, "BDHVS_FACILITIES", "default", "1"},
    {H, "BDHVS_PATIENTS_SERVED", "default", "500"},
    {H, "BDHVS_STAFF_ACTIVE", "default", "2"},
    {H, "BDHVS_SUPPORT_CASHLESS_PAYMENT", "POOR", "12"},
    {H, "BDHVS_SUPPORT_VNEID_CARD", "GENERAL", "25"},
    {S, "BDHVS_CT1_NUM", "default", "1"},
    {S, "BDHVS_CT2_COURSE", "default", "1"},
    {S, "BDHVS_CT2_NUM", "default", "1"},
    {S, "BDHVS_CT2_VNEID", "default", "1"},
    {S, "BDHVS_CT4_NUM", "default", "110"},
    {S, "BDHVS_CT5_DEN", "default", "2"},
    {S, "BDHVS_FACILITIES", "default", "1"},
    {S, "BDHVS_FACILITIES_ALL_SERVICES", "default", "1"},
    {S, "BDHVS_PATIENTS_SERVED", "default", "180"},
    {S, "BDHVS_STAFF_ACTIVE", "default", "2"},
    {S, "BDHVS_SUPPORT_ONLINE_BOOKING", "ELDERLY", "45"},
    {S, "BDHVS_SUPPORT_ONLINE_BOOKING", "GENERAL", "60"},
    {S, "BDHVS_SUPPORT_VNEID_CARD", "ELDERLY", "40"},
    {S, "BDHVS_SUPPORT_VNEID_CARD", "GENERAL", "20"},
    {W, "BDHVS_CT2_VNEID", "default", "1"},
    {W, "BDHVS_CT5_DEN", "default", "2"},
    {W, "BDHVS_CT5_NUM", "default", "2"},
    {W, "BDHVS_STAFF_ACTIVE", "default", "2"},
};

static resp *dhis2(const char *token, long long unit, const char *period)
{
    return http_get(fmt("/api/v1/exports/dhis2?unit_id=%lld&period=%s&view=units", unit, period), token);
}

static const char *sget(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "(not a string)";
}

/* The answer's dataValues are exactly exp[0..n) (only the rows of units in mask), in order. */
static void check_values(const resp *r, const dv *exp, size_t n, unsigned mask, const char *period, const char *what)
{
    ck_assert_msg(r->status == 200, "%s: %ld %.300s", what, r->status, r->body ? r->body : "");
    ck_assert_msg(json_is_object(r->json) && json_object_size(r->json) == 1, "%s: only dataValues: %.300s", what, r->body);
    json_t *vals = json_object_get(r->json, "dataValues");
    ck_assert_msg(json_is_array(vals), "%s: no dataValues array", what);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(mask & (1u << exp[i].unit))) continue;
        json_t *v = json_array_get(vals, k);
        ck_assert_msg(v != NULL, "%s: only %zu values, missing %s %s %s = %s", what, json_array_size(vals),
                      UKEY[exp[i].unit], exp[i].de, exp[i].coc, exp[i].value);
        ck_assert_msg(json_object_size(v) == 5, "%s: value %zu has %zu fields", what, k, json_object_size(v));
        json_t *val = json_object_get(v, "value");
        ck_assert_msg(json_is_string(val), "%s: value %zu: the value is not a string", what, k);
        int same = strcmp(sget(v, "orgUnit"), g_code[exp[i].unit]) == 0 && strcmp(sget(v, "dataElement"), exp[i].de) == 0 &&
                   strcmp(sget(v, "categoryOptionCombo"), exp[i].coc) == 0 && strcmp(sget(v, "value"), exp[i].value) == 0 &&
                   strcmp(sget(v, "period"), period) == 0;
        ck_assert_msg(same, "%s: value %zu is %s %s %s %s = %s, want %s (%s) %s %s %s = %s", what, k, sget(v, "orgUnit"),
                      sget(v, "dataElement"), sget(v, "categoryOptionCombo"), sget(v, "period"), sget(v, "value"),
                      g_code[exp[i].unit], UKEY[exp[i].unit], exp[i].de, exp[i].coc, period, exp[i].value);
        k++;
    }
    if (json_array_size(vals) != k) {
        json_t *v = json_array_get(vals, k);
        ck_abort_msg("%s: %zu values, want %zu; the first extra: %s %s %s = %s", what, json_array_size(vals), k,
                     sget(v, "orgUnit"), sget(v, "dataElement"), sget(v, "categoryOptionCombo"), sget(v, "value"));
    }
}

#define ALL ((1u << H) | (1u << W) | (1u << S))

START_TEST(dhis2_month_lists_every_units_own_figures_exactly)
{
    resp *r = dhis2(T_ADMIN, g_unit[H], "2026-03");
    check_values(r, MARCH, sizeof MARCH / sizeof MARCH[0], ALL, "202603", "H 2026-03");
    resp_free(r);
    /* The same month written the DHIS2 way. */
    r = dhis2(T_ADMIN, g_unit[H], "202603");
    check_values(r, MARCH, sizeof MARCH / sizeof MARCH[0], ALL, "202603", "H 202603");
    resp_free(r);
}
END_TEST

START_TEST(dhis2_quarter_sums_the_counts_of_its_months)
{
    resp *r = dhis2(T_ADMIN, g_unit[H], "2026Q1");
    check_values(r, Q1, sizeof Q1 / sizeof Q1[0], ALL, "2026Q1", "H 2026Q1");
    resp_free(r);
}
END_TEST

START_TEST(dhis2_of_a_child_unit_holds_only_that_units_rows)
{
    resp *r = dhis2(T_ADMIN, g_unit[S], "2026-03");
    check_values(r, MARCH, sizeof MARCH / sizeof MARCH[0], 1u << S, "202603", "S 2026-03");
    resp_free(r);
    r = dhis2(T_ADMIN, g_unit[W], "2026Q1");
    check_values(r, Q1, sizeof Q1 / sizeof Q1[0], 1u << W, "2026Q1", "W 2026Q1");
    resp_free(r);
}
END_TEST

static json_t *rollup_ind(json_t *unit, const char *code)
{
    size_t i;
    json_t *ind;
    json_array_foreach(json_object_get(unit, "indicators"), i, ind)
        if (strcmp(sget(ind, "code"), code) == 0) return ind;
    return NULL;
}

/* Sum of one data element's values over the units of mask. */
static long long dhis2_sum(const resp *r, const char *de, unsigned mask)
{
    long long s = 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(r->json, "dataValues"), i, v) {
        if (strcmp(sget(v, "dataElement"), de) != 0) continue;
        for (int u = 0; u < NU; u++)
            if ((mask & (1u << u)) && strcmp(sget(v, "orgUnit"), g_code[u]) == 0) s += atoll(sget(v, "value"));
    }
    return s;
}

/* DHIS2 adds the own figures up the hierarchy: that must give the rollup's subtree figures. */
START_TEST(dhis2_own_figures_add_up_to_the_rollups_subtree_figures)
{
    const char *periods[] = {"2026-03", "2026Q1"};
    for (int p = 0; p < 2; p++) {
        resp *d = dhis2(T_ADMIN, g_unit[H], periods[p]);
        ASSERT_STATUS(d, 200);
        resp *r = rollup_at(T_ADMIN, g_unit[H], periods[p], 1, NULL);
        for (int u = 0; u < NU; u++) {
            unsigned mask = u == H ? ALL : 1u << u;
            json_t *row = rollup_row(r, g_unit[u]);
            ck_assert_msg(row != NULL, "%s: %s not in the rollup", periods[p], UKEY[u]);
            static const struct {
                const char *de, *ind, *field;
            } M[] = {
                {"BDHVS_STAFF_ACTIVE", "CT1", "denominator"}, {"BDHVS_CT1_NUM", "CT1", "numerator"},
                {"BDHVS_CT2_NUM", "CT2", "numerator"},       {"BDHVS_CT5_NUM", "CT5", "numerator"},
                {"BDHVS_FACILITIES", "CT3", "denominator"},  {"BDHVS_FACILITIES_ALL_SERVICES", "CT3", "numerator"},
                {"BDHVS_CT4_NUM", "CT4", "numerator"},       {"BDHVS_PATIENTS_SERVED", "CT4", "denominator"},
                {"BDHVS_CT5_DEN", "CT5", "denominator"},
            };
            for (size_t m = 0; m < sizeof M / sizeof M[0]; m++) {
                long long want = json_integer_value(json_object_get(rollup_ind(row, M[m].ind), M[m].field));
                long long got = dhis2_sum(d, M[m].de, mask);
                ck_assert_msg(got == want, "%s %s: %s sums to %lld, the rollup's %s %s is %lld", periods[p], UKEY[u], M[m].de,
                              got, M[m].ind, M[m].field, want);
            }
            json_t *parts = json_object_get(rollup_ind(row, "CT2"), "parts");
            ck_assert_int_eq(dhis2_sum(d, "BDHVS_CT2_COURSE", mask),
                             json_integer_value(json_object_get(json_object_get(parts, "course"), "numerator")));
            ck_assert_int_eq(dhis2_sum(d, "BDHVS_CT2_VNEID", mask),
                             json_integer_value(json_object_get(json_object_get(parts, "vneid"), "numerator")));
        }
        resp_free(r);
        resp_free(d);
    }
}
END_TEST

/* A running period counts as of today: the current year. */
START_TEST(dhis2_of_the_running_year_counts_staff_as_of_today)
{
    char year[5];
    memcpy(year, g_today, 4);
    year[4] = '\0';
    resp *r = dhis2(T_ADMIN, g_unit[H], year);
    ASSERT_STATUS(r, 200);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(r->json, "dataValues"), i, v)
        ck_assert_str_eq(sget(v, "period"), year);
    /* Today: H has h1 h2 h3, CT5 h1 (attested at the end of the month before last) and h2;
     * S has s1 s2, CT5 s2 (attested today); W is as always. */
    ck_assert_int_eq(dhis2_sum(r, "BDHVS_STAFF_ACTIVE", 1u << H), 3);
    ck_assert_int_eq(dhis2_sum(r, "BDHVS_CT5_NUM", 1u << H), 2);
    ck_assert_int_eq(dhis2_sum(r, "BDHVS_STAFF_ACTIVE", 1u << S), 2);
    ck_assert_int_eq(dhis2_sum(r, "BDHVS_CT5_NUM", 1u << S), 1);
    ck_assert_int_eq(dhis2_sum(r, "BDHVS_STAFF_ACTIVE", 1u << W), 2);
    ck_assert_int_eq(dhis2_sum(r, "BDHVS_CT5_NUM", 1u << W), 2);
    resp_free(r);
}
END_TEST

START_TEST(dhis2_scope_roles_and_bad_queries)
{
    long long h = g_unit[H];
    /* Outside the caller's subtree, or no such unit: 404. */
    resp *r = dhis2(T_SD_MANAGER, h, "2026-03");
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = dhis2(T_SD_REPORTER, g_unit[S], "2026-03");
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = dhis2(T_ADMIN, 999999999, "2026-03");
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_get(fmt("/api/v1/exports/dhis2?unit_id=%lld&period=2026-03", h), NULL);
    ASSERT_STATUS(r, 401);
    resp_free(r);
    /* The integration role and a viewer of the province get the same document. */
    r = dhis2(T_INTEGRATION, h, "2026-03");
    check_values(r, MARCH, sizeof MARCH / sizeof MARCH[0], ALL, "202603", "integration H 2026-03");
    resp_free(r);
    r = dhis2(T_SYT_VIEWER, h, "2026Q1");
    check_values(r, Q1, sizeof Q1 / sizeof Q1[0], ALL, "2026Q1", "viewer H 2026Q1");
    resp_free(r);
    /* Bad queries: 400. */
    const char *bad[] = {fmt("/api/v1/exports/dhis2?unit_id=%lld", h), "/api/v1/exports/dhis2?period=2026-03",
                         fmt("/api/v1/exports/dhis2?unit_id=%lld&period=2026-13", h),
                         fmt("/api/v1/exports/dhis2?unit_id=%lld&period=march", h),
                         "/api/v1/exports/dhis2?unit_id=abc&period=2026-03",
                         fmt("/api/v1/exports/dhis2?unit_id=%lld&period=2026-03&format=xml", h)};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = http_get(bad[i], T_ADMIN);
        ck_assert_msg(r->status == 400, "%s gave %ld", bad[i], r->status);
        resp_free(r);
    }
    /* A period that has not started: 422 on period. */
    const char *future[] = {"2099-01", "2099", "2099Q1", "2099S2"};
    for (int i = 0; i < 4; i++) {
        r = dhis2(T_ADMIN, h, future[i]);
        ck_assert_msg(r->status == 422, "%s gave %ld", future[i], r->status);
        json_t *e = json_array_get(json_object_get(r->json, "errors"), 0);
        ck_assert_str_eq(sget(e, "field"), "period");
        resp_free(r);
    }
}
END_TEST

/* A station closed (after the fact) before the period, although counts of that period had been
 * entered for it, is not exported; its figures must not turn up as its parent's own. */
START_TEST(dhis2_a_unit_closed_before_the_period_lends_nothing_to_its_parent)
{
    const char *u = uniq();
    char p[48], c[64];
    snprintf(p, sizeof p, "EZ-%s", u);
    snprintf(c, sizeof c, "%s-C", p);
    long long id[2];
    const char *codes[2] = {p, c}, *types[2] = {"health_centre", "commune_station"};
    for (int i = 0; i < 2; i++) {
        resp *r = send_obj("POST", "/api/v1/units", T_ADMIN,
                           json_pack("{s:s, s:s, s:s, s:s, s:s}", "code", codes[i], "name", "Đơn vị kiểm thử đóng", "type",
                                     types[i], "parent_code", i ? p : "SYT-BN", "opened_on", "2025-01-01"));
        ASSERT_STATUS(r, 201);
        id[i] = jint(r, "id");
        resp_free(r);
    }
    created(send_obj("POST", "/api/v1/support-counts", T_ADMIN,
                     json_pack("{s:I, s:s, s:s, s:s, s:i}", "unit_id", (json_int_t)id[1], "month", "2026-03", "service",
                               "vneid_card", "target_group", "elderly", "count", 5)),
            "C support");
    created(send_obj("POST", "/api/v1/patients-served", T_ADMIN,
                     json_pack("{s:I, s:s, s:i}", "unit_id", (json_int_t)id[1], "month", "2026-03", "count", 50)),
            "C served");
    req_opts o = {.token = T_ADMIN};
    resp *r = http_do("DELETE", fmt("/api/v1/units/%lld?closed_on=2026-01-31", id[1]), &o);
    ASSERT_STATUS(r, 204);
    resp_free(r);
    /* P's own figures for 2026-03: a facility, no staff - and nothing else. */
    r = dhis2(T_ADMIN, id[0], "2026-03");
    ASSERT_STATUS(r, 200);
    const struct {
        const char *de, *value;
    } want[] = {{"BDHVS_FACILITIES", "1"}, {"BDHVS_STAFF_ACTIVE", "0"}};
    size_t i, k = 0;
    json_t *v;
    json_array_foreach(json_object_get(r->json, "dataValues"), i, v) {
        if (strcmp(sget(v, "orgUnit"), p) != 0) continue;
        ck_assert_msg(k < 2 && strcmp(sget(v, "dataElement"), want[k].de) == 0 && strcmp(sget(v, "value"), want[k].value) == 0,
                      "P's own value %zu: %s = %s; want only FACILITIES 1 and STAFF_ACTIVE 0 (%.500s)", k,
                      sget(v, "dataElement"), sget(v, "value"), r->body);
        k++;
    }
    ck_assert_uint_eq(k, 2);
    resp_free(r);
}
END_TEST

/* ---- At risk ---------------------------------------------------------------------------------- */

/* Staff counted at day d: joined on or before it and not left before it. */
static int active_on(const staff_def *s, long d)
{
    return days_str(s->joined_on) <= d && (s->left_on == NULL || days_str(s->left_on) >= d);
}

static int smart_by(const char *key, long d)
{
    for (size_t i = 0; i < NATT; i++)
        if (strcmp(ATTESTATIONS[i].staff, key) == 0 && strcmp(ATTESTATIONS[i].skill, "smart_devices") == 0 &&
            days_str(when(ATTESTATIONS[i].on)) <= d)
            return 1;
    return 0;
}

/* CT5 of a unit set on day d; returns the denominator. */
static int ct5_on(unsigned mask, long d, int *num)
{
    int n = 0, den = 0;
    for (size_t i = 0; i < NSTAFF; i++) {
        if (!(mask & (1u << STAFF[i].unit)) || !active_on(&STAFF[i], d)) continue;
        den++;
        n += smart_by(STAFF[i].key, d);
    }
    *num = n;
    return den;
}

/* x rounded to `places` decimals and the answer's number agree (a tie may go either way). */
static void near(json_t *v, double x, int places, const char *what)
{
    ck_assert_msg(json_is_number(v), "%s: not a number", what);
    double scale = pow(10, places), got = json_number_value(v);
    double want = round(x * scale) / scale, frac = fabs(x * scale - trunc(x * scale));
    double tol = fabs(frac - 0.5) < 1e-6 ? 1.0 / scale + 1e-9 : 1e-9;
    ck_assert_msg(fabs(got - want) <= tol, "%s: %.6f, want %.*f (from %.6f)", what, got, places, want, x);
}

typedef struct proj {
    int unit;
    long cur;       /* tenths */
    double slope;   /* per day; NAN without a trend */
    double projected, gap;
} proj;

static double g_target;
static int g_strict;
static char g_deadline[11];

/* The current year's CT5 target, as listed by /api/v1/indicators. */
static void ct5_target(void)
{
    resp *r = http_get("/api/v1/indicators", T_SYT_VIEWER);
    ASSERT_STATUS(r, 200);
    json_t *ct5 = json_array_get(json_object_get(r->json, "items"), 4);
    ck_assert_str_eq(sget(ct5, "code"), "CT5");
    int year = atoi(g_today);
    json_t *t = NULL, *x;
    size_t i;
    json_array_foreach(json_object_get(ct5, "targets"), i, x)
        if (json_integer_value(json_object_get(x, "year")) == year) t = x;
    ck_assert_msg(t != NULL, "CT5 has no target for %d: the seeded targets cover 2026", year);
    g_target = json_number_value(json_object_get(t, "target"));
    g_strict = json_is_true(json_object_get(t, "strict"));
    json_t *dl = json_object_get(t, "deadline");
    if (json_is_string(dl)) snprintf(g_deadline, sizeof g_deadline, "%s", json_string_value(dl));
    else snprintf(g_deadline, sizeof g_deadline, "%d-12-31", year);
    resp_free(r);
}

/* The projection of CT5 for a unit set, from the values at the end of each of the last three
 * months and today: a least-squares line through them, at the deadline, within 0..100. */
static proj project_ct5(int unit, unsigned mask)
{
    long x[4] = {month_end_before(g_today, 3), month_end_before(g_today, 2), month_end_before(g_today, 1),
                 days_str(g_today)};
    double xs[4], ys[4];
    int k = 0;
    proj p = {.unit = unit, .cur = -1, .slope = NAN};
    for (int i = 0; i < 4; i++) {
        int num, den = ct5_on(mask, x[i], &num);
        if (den == 0) continue;
        xs[k] = (double)x[i];
        ys[k] = 100.0 * num / den;
        k++;
        if (i == 3) p.cur = rate_tenths(num, den);
    }
    ck_assert_msg(p.cur >= 0, "%s has staff today", UKEY[unit]);
    double mx = 0, my = 0;
    for (int i = 0; i < k; i++) mx += xs[i] / k, my += ys[i] / k;
    double sxx = 0, sxy = 0;
    for (int i = 0; i < k; i++) sxx += (xs[i] - mx) * (xs[i] - mx), sxy += (xs[i] - mx) * (ys[i] - my);
    double cur = ys[k - 1];
    if (k >= 2 && sxx > 0) {
        p.slope = sxy / sxx;
        double v = my + p.slope * ((double)days_str(g_deadline) - mx);
        p.projected = v < 0 ? 0 : v > 100 ? 100 : v;
    } else {
        p.projected = cur;
    }
    p.gap = g_target - p.projected;
    return p;
}

static resp *at_risk(const char *token, const char *query)
{
    return http_get(fmt("/api/v1/indicators/at-risk?%s", query), token);
}

static json_t *find_item(const resp *r, long long unit, const char *ind)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r->json, "items"), i, it)
        if (json_integer_value(json_object_get(it, "unit_id")) == unit && strcmp(sget(it, "indicator"), ind) == 0) return it;
    return NULL;
}

/* An item's shape: the twelve fields, and who it is about. */
static void check_shape(json_t *it, int unit, int depth, const char *ind)
{
    static const char *const keys[] = {"unit_id", "unit_code", "unit_name", "depth", "indicator", "current_value",
                                       "trend_per_month", "target", "deadline", "projected_value", "on_track", "shortfall"};
    ck_assert_msg(json_object_size(it) == 12, "%s %s: %zu fields", UKEY[unit], ind, json_object_size(it));
    for (int k = 0; k < 12; k++) ck_assert_msg(json_object_get(it, keys[k]) != NULL, "%s %s: no %s", UKEY[unit], ind, keys[k]);
    ck_assert_int_eq(json_integer_value(json_object_get(it, "unit_id")), g_unit[unit]);
    ck_assert_str_eq(sget(it, "unit_code"), g_code[unit]);
    ck_assert_str_eq(sget(it, "unit_name"), g_name[unit]);
    ck_assert_int_eq(json_integer_value(json_object_get(it, "depth")), depth);
    ck_assert_str_eq(sget(it, "indicator"), ind);
}

/* One CT5 item against the projection counted here. */
static void check_ct5(json_t *it, const proj *p, int depth)
{
    const char *u = UKEY[p->unit];
    check_shape(it, p->unit, depth, "CT5");
    json_t *cur = json_object_get(it, "current_value");
    ck_assert_msg(json_is_number(cur) && json_tenths(cur) == p->cur, "%s CT5: current_value %g, want %.1f", u,
                  json_number_value(cur), p->cur / 10.0);
    ck_assert_msg(json_tenths(json_object_get(it, "target")) == lround(g_target * 10), "%s: target", u);
    ck_assert_str_eq(sget(it, "deadline"), g_deadline);
    json_t *trend = json_object_get(it, "trend_per_month");
    if (isnan(p->slope)) ck_assert_msg(json_is_null(trend), "%s: trend should be null", u);
    else near(trend, p->slope * 30.44, 2, fmt("%s CT5 trend_per_month", u));
    json_t *pv = json_object_get(it, "projected_value");
    near(pv, p->projected, 1, fmt("%s CT5 projected_value", u));
    double projected = json_number_value(pv);
    ck_assert_msg(projected >= 0 && projected <= 100, "%s: projected %g", u, projected);
    int want_on = g_strict ? p->projected > g_target : p->projected >= g_target;
    ck_assert_msg(json_is_boolean(json_object_get(it, "on_track")) && json_is_true(json_object_get(it, "on_track")) == want_on,
                  "%s CT5: on_track should be %s (projected %.3f, target %.1f)", u, want_on ? "true" : "false",
                  p->projected, g_target);
    json_t *sf = json_object_get(it, "shortfall");
    near(sf, p->gap > 0 ? p->gap : 0, 1, fmt("%s CT5 shortfall", u));
    /* shortfall = target - projected, both as answered (one decimal each). */
    if (projected < g_target)
        ck_assert_msg(fabs(json_number_value(sf) - (g_target - projected)) < 0.1 + 1e-9, "%s: shortfall %g, target %g, projected %g",
                      u, json_number_value(sf), g_target, projected);
    else ck_assert_msg(json_number_value(sf) == 0, "%s: shortfall %g with projected %g", u, json_number_value(sf), projected);
}

static int by_gap(const void *a, const void *b)
{
    const proj *x = a, *y = b;
    if (x->gap != y->gap) return x->gap > y->gap ? -1 : 1;
    return strcmp(g_code[x->unit], g_code[y->unit]);
}

/* H (its subtree, depth 0), S and W (depth 1), most at risk first. */
static void ct5_projections(proj out[NU])
{
    ct5_target();
    out[0] = project_ct5(H, ALL);
    out[1] = project_ct5(S, 1u << S);
    out[2] = project_ct5(W, 1u << W);
    qsort(out, NU, sizeof out[0], by_gap);
}

START_TEST(at_risk_projects_ct5_of_the_unit_and_its_children_from_their_trend)
{
    proj p[NU];
    ct5_projections(p);
    /* Today, by hand: H's subtree 5 of 7 (h1 h2 w1 w2 s2; not h3 nor s1), S 1 of 2, W 2 of 2. */
    for (int i = 0; i < NU; i++) {
        long want = p[i].unit == H ? 714 : p[i].unit == S ? 500 : 1000;
        ck_assert_msg(p[i].cur == want, "hand count of %s: %ld", UKEY[p[i].unit], p[i].cur);
    }
    resp *r = at_risk(T_ADMIN, fmt("unit_id=%lld&indicator=CT5", g_unit[H]));
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "unit_id"), g_unit[H]);
    ck_assert_str_eq(jstr(r, "as_of"), g_today);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), NU);
    for (int i = 0; i < NU; i++) check_ct5(json_array_get(items, (size_t)i), &p[i], p[i].unit == H ? 0 : 1);
    /* S (rising from 0 to 50 only today) is most at risk, then H, then W (on track). */
    ck_assert_int_eq(p[0].unit, S);
    ck_assert_int_eq(p[1].unit, H);
    ck_assert_int_eq(p[2].unit, W);
    for (int i = 0; i < 2; i++) {
        json_t *it = json_array_get(items, (size_t)i);
        ck_assert_msg(json_is_false(json_object_get(it, "on_track")), "%s is not on track", UKEY[p[i].unit]);
        ck_assert_msg(json_number_value(json_object_get(it, "shortfall")) > 0, "%s falls short", UKEY[p[i].unit]);
        ck_assert_msg(json_number_value(json_object_get(it, "trend_per_month")) > 0, "%s is rising", UKEY[p[i].unit]);
    }
    resp_free(r);
}
END_TEST

/* W's staff were all attested long ago: 100 % at every point, no trend, on track. */
START_TEST(at_risk_a_unit_at_100_percent_is_on_track_with_no_shortfall)
{
    ct5_target();
    resp *r = at_risk(T_ADMIN, fmt("unit_id=%lld&indicator=CT5", g_unit[H]));
    ASSERT_STATUS(r, 200);
    json_t *w = find_item(r, g_unit[W], "CT5");
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(json_tenths(json_object_get(w, "current_value")), 1000);
    ck_assert_msg(json_number_value(json_object_get(w, "trend_per_month")) == 0, "trend %g",
                  json_number_value(json_object_get(w, "trend_per_month")));
    ck_assert_int_eq(json_tenths(json_object_get(w, "projected_value")), 1000);
    ck_assert(json_is_true(json_object_get(w, "on_track")));
    ck_assert_msg(json_number_value(json_object_get(w, "shortfall")) == 0, "shortfall %g",
                  json_number_value(json_object_get(w, "shortfall")));
    resp_free(r);
    /* W asked for itself: one item at depth 0, the same figures. */
    r = at_risk(T_ADMIN, fmt("unit_id=%lld&indicator=CT5", g_unit[W]));
    ASSERT_STATUS(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    json_t *it = json_array_get(json_object_get(r->json, "items"), 0);
    check_shape(it, W, 0, "CT5");
    ck_assert_int_eq(json_tenths(json_object_get(it, "current_value")), 1000);
    ck_assert(json_is_true(json_object_get(it, "on_track")));
    ck_assert_msg(json_number_value(json_object_get(it, "shortfall")) == 0, "shortfall");
    resp_free(r);
}
END_TEST

/* The value today is the rollup's for the running month (as of today), for every indicator. */
START_TEST(at_risk_current_values_are_the_running_months_rollup)
{
    resp *a = at_risk(T_ADMIN, fmt("unit_id=%lld&limit=1000", g_unit[H]));
    ASSERT_STATUS(a, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(a->json, "items")), NU * 5);
    resp *r = http_get(fmt("/api/v1/indicators/rollup?unit_id=%lld&period=%.7s&depth=1", g_unit[H], g_today), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "as_of"), g_today);
    static const char *const codes[] = {"CT1", "CT2", "CT3", "CT4", "CT5"};
    for (int u = 0; u < NU; u++)
        for (int k = 0; k < 5; k++) {
            json_t *it = find_item(a, g_unit[u], codes[k]);
            ck_assert_msg(it != NULL, "no item for %s %s", UKEY[u], codes[k]);
            check_shape(it, u, u == H ? 0 : 1, codes[k]);
            json_t *want = json_object_get(rollup_ind(rollup_row(r, g_unit[u]), codes[k]), "value");
            json_t *got = json_object_get(it, "current_value");
            if (json_is_null(want)) ck_assert_msg(json_is_null(got), "%s %s: current_value should be null", UKEY[u], codes[k]);
            else
                ck_assert_msg(json_is_number(got) && json_tenths(got) == json_tenths(want),
                              "%s %s: current_value %g, rollup %g", UKEY[u], codes[k], json_number_value(got),
                              json_number_value(want));
        }
    resp_free(r);
    resp_free(a);
}
END_TEST

/* All five indicators: the largest shortfall first, those without a projection last. */
START_TEST(at_risk_of_all_indicators_most_at_risk_first_unprojectable_last)
{
    proj p[NU];
    ct5_projections(p);
    resp *r = at_risk(T_ADMIN, fmt("unit_id=%lld", g_unit[H]));
    ASSERT_STATUS(r, 200);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), NU * 5); /* 15, within the default limit of 20 */
    double prev = 1e9;
    int nulls = 0;
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
        json_t *sf = json_object_get(it, "shortfall");
        if (json_is_null(sf)) {
            nulls++;
            ck_assert_msg(json_is_null(json_object_get(it, "projected_value")) && json_is_null(json_object_get(it, "on_track")),
                          "item %zu: no shortfall but a projection", i);
            continue;
        }
        ck_assert_msg(nulls == 0, "item %zu has a shortfall after one without", i);
        ck_assert_msg(json_number_value(sf) <= prev + 1e-9, "item %zu: shortfall %g after %g", i, json_number_value(sf), prev);
        prev = json_number_value(sf);
    }
    /* Nothing is known today of CT4 (no patients served this month) nor of W's CT3 (a ward is no
     * facility): those four come last, by unit code then indicator. */
    ck_assert_int_eq(nulls, 4);
    struct {
        int unit;
        const char *ind;
    } last[] = {{H, "CT4"}, {S, "CT4"}, {W, "CT3"}, {W, "CT4"}};
    for (int k = 0; k < 4; k++) {
        it = json_array_get(items, 11 + (size_t)k);
        check_shape(it, last[k].unit, last[k].unit == H ? 0 : 1, last[k].ind);
        ck_assert_msg(json_is_null(json_object_get(it, "current_value")) && json_is_null(json_object_get(it, "trend_per_month")),
                      "%s %s: no value", UKEY[last[k].unit], last[k].ind);
        ck_assert_msg(json_tenths(json_object_get(it, "target")) == 1000, "%s %s: the target is there",
                      UKEY[last[k].unit], last[k].ind);
    }
    /* First W's CT1 and CT2 (0 % all along: W's course does not count): shortfall 100. */
    const char *first[] = {"CT1", "CT2"};
    for (int k = 0; k < 2; k++) {
        it = json_array_get(items, (size_t)k);
        check_shape(it, W, 1, first[k]);
        ck_assert_int_eq(json_tenths(json_object_get(it, "current_value")), 0);
        ck_assert_int_eq(json_tenths(json_object_get(it, "projected_value")), 0);
        ck_assert_int_eq(json_tenths(json_object_get(it, "shortfall")), 1000);
        ck_assert(json_is_false(json_object_get(it, "on_track")));
    }
    /* S's CT3: all five services since 2025-09-01: on track. */
    it = find_item(r, g_unit[S], "CT3");
    ck_assert_int_eq(json_tenths(json_object_get(it, "current_value")), 1000);
    ck_assert(json_is_true(json_object_get(it, "on_track")));
    /* The CT5 items are those of the filtered answer. */
    for (int k = 0; k < NU; k++) check_ct5(find_item(r, g_unit[p[k].unit], "CT5"), &p[k], p[k].unit == H ? 0 : 1);
    resp_free(r);
}
END_TEST

START_TEST(at_risk_limit_truncates_and_indicator_filters)
{
    proj p[NU];
    ct5_projections(p);
    resp *all = at_risk(T_ADMIN, fmt("unit_id=%lld&limit=1000", g_unit[H]));
    ASSERT_STATUS(all, 200);
    resp *r = at_risk(T_ADMIN, fmt("unit_id=%lld&limit=4", g_unit[H]));
    ASSERT_STATUS(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 4);
    for (size_t k = 0; k < 4; k++) {
        json_t *a = json_array_get(json_object_get(all->json, "items"), k), *b = json_array_get(json_object_get(r->json, "items"), k);
        ck_assert_msg(json_equal(a, b), "item %zu differs from the unlimited answer's", k);
    }
    resp_free(r);
    resp_free(all);
    r = at_risk(T_ADMIN, fmt("unit_id=%lld&indicator=CT5&limit=2", g_unit[H]));
    ASSERT_STATUS(r, 200);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 2);
    for (int k = 0; k < 2; k++) check_ct5(json_array_get(items, (size_t)k), &p[k], p[k].unit == H ? 0 : 1);
    resp_free(r);
    r = at_risk(T_ADMIN, fmt("unit_id=%lld&indicator=CT5&limit=1", g_unit[H]));
    ASSERT_STATUS(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    check_ct5(json_array_get(json_object_get(r->json, "items"), 0), &p[0], p[0].unit == H ? 0 : 1);
    resp_free(r);
    /* Each indicator alone: its three items and nothing else. */
    static const char *const codes[] = {"CT1", "CT2", "CT3", "CT4", "CT5"};
    for (int k = 0; k < 5; k++) {
        r = at_risk(T_SYT_VIEWER, fmt("unit_id=%lld&indicator=%s", g_unit[H], codes[k]));
        ASSERT_STATUS(r, 200);
        ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), NU);
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(r->json, "items"), i, it)
            ck_assert_str_eq(sget(it, "indicator"), codes[k]);
        resp_free(r);
    }
}
END_TEST

START_TEST(at_risk_scope_roles_and_bad_queries)
{
    long long h = g_unit[H];
    resp *r = at_risk(T_SD_MANAGER, fmt("unit_id=%lld", h));
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = at_risk(T_SD_REPORTER, fmt("unit_id=%lld&indicator=CT5", g_unit[S]));
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = at_risk(T_ADMIN, "unit_id=999999999");
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = at_risk(NULL, fmt("unit_id=%lld", h));
    ASSERT_STATUS(r, 401);
    resp_free(r);
    r = at_risk(T_INTEGRATION, fmt("unit_id=%lld&indicator=CT5", h));
    ASSERT_STATUS(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), NU);
    resp_free(r);
    const char *bad[] = {"indicator=CT5", "indicator=CT6", "indicator=ct5", "indicator=CT", "indicator=CT55",
                         "indicator=", "limit=0", "limit=1001", "limit=x", "colour=red"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *q = i == 0 ? bad[0] : fmt("unit_id=%lld&%s", h, bad[i]);
        r = at_risk(T_ADMIN, q);
        ck_assert_msg(r->status == 400, "%s gave %ld", q, r->status);
        resp_free(r);
    }
}
END_TEST

/* A station opened today, whose two staff joined today (one attested today): a single value,
 * so no trend; the projection is today's value. Its parent P has no staff of its own. */
START_TEST(at_risk_without_a_trend_projects_todays_value)
{
    ct5_target();
    const char *u = uniq();
    char p[48], n[64];
    snprintf(p, sizeof p, "EY-%s", u);
    snprintf(n, sizeof n, "%s-N", p);
    long long id[2];
    const char *codes[2] = {p, n}, *types[2] = {"health_centre", "commune_station"}, *opened[2] = {"2025-01-01", g_today};
    for (int i = 0; i < 2; i++) {
        resp *r = send_obj("POST", "/api/v1/units", T_ADMIN,
                           json_pack("{s:s, s:s, s:s, s:s, s:s}", "code", codes[i], "name", "Đơn vị mới mở", "type", types[i],
                                     "parent_code", i ? p : "SYT-BN", "opened_on", opened[i]));
        ASSERT_STATUS(r, 201);
        id[i] = jint(r, "id");
        resp_free(r);
    }
    for (int i = 0; i < 2; i++)
        created(send_obj("POST", "/api/v1/staff", T_ADMIN,
                         json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "code", fmt("%s-n%d", p, i), "full_name", "Lê Văn Mới",
                                   "unit_code", n, "job_group", "doctor", "employment", "contract", "joined_on", g_today)),
                "staff");
    created(send_obj("POST", "/api/v1/attestations", T_ADMIN,
                     json_pack("{s:s, s:s, s:s}", "staff_code", fmt("%s-n0", p), "skill", "smart_devices", "attested_on", g_today)),
            "attestation");
    resp *r = at_risk(T_ADMIN, fmt("unit_id=%lld&indicator=CT5", id[0]));
    ASSERT_STATUS(r, 200);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 2);
    for (int i = 0; i < 2; i++) {
        json_t *it = find_item(r, id[i], "CT5");
        ck_assert_msg(it != NULL, "no CT5 item for %s", codes[i]);
        ck_assert_int_eq(json_integer_value(json_object_get(it, "depth")), i);
        ck_assert_int_eq(json_tenths(json_object_get(it, "current_value")), 500);
        ck_assert_msg(json_is_null(json_object_get(it, "trend_per_month")), "%s: one value, no trend", codes[i]);
        ck_assert_int_eq(json_tenths(json_object_get(it, "projected_value")), 500);
        int want_on = g_strict ? 50 > g_target : 50 >= g_target;
        ck_assert(json_is_true(json_object_get(it, "on_track")) == want_on);
        ck_assert_int_eq(json_tenths(json_object_get(it, "shortfall")), lround(g_target * 10) - 500);
    }
    resp_free(r);
    /* The DHIS2 export of this month: N's own figures; P's staff count is 0, still listed. */
    r = dhis2(T_ADMIN, id[0], fmt("%.7s", g_today));
    ASSERT_STATUS(r, 200);
    char dp[7];
    snprintf(dp, sizeof dp, "%.4s%.2s", g_today, g_today + 5);
    const struct {
        const char *ou, *de, *value;
    } want[] = {{p, "BDHVS_FACILITIES", "1"}, {p, "BDHVS_STAFF_ACTIVE", "0"}, {n, "BDHVS_CT5_DEN", "2"},
                {n, "BDHVS_CT5_NUM", "1"}, {n, "BDHVS_FACILITIES", "1"}, {n, "BDHVS_STAFF_ACTIVE", "2"}};
    json_t *vals = json_object_get(r->json, "dataValues");
    ck_assert_msg(json_array_size(vals) == 6, "%zu values: %.600s", json_array_size(vals), r->body);
    for (size_t k = 0; k < 6; k++) {
        json_t *v = json_array_get(vals, k);
        ck_assert_str_eq(sget(v, "orgUnit"), want[k].ou);
        ck_assert_str_eq(sget(v, "dataElement"), want[k].de);
        ck_assert_str_eq(sget(v, "categoryOptionCombo"), "default");
        ck_assert_str_eq(sget(v, "period"), dp);
        ck_assert_str_eq(sget(v, "value"), want[k].value);
    }
    resp_free(r);
}
END_TEST

Suite *exports_suite(void)
{
    Suite *s = suite_create("exports");
    TCase *t = tcase_create("dhis2");
    tcase_set_timeout(t, 120);
    tcase_add_unchecked_fixture(t, scenario_setup, NULL);
    tcase_add_test(t, dhis2_month_lists_every_units_own_figures_exactly);
    tcase_add_test(t, dhis2_quarter_sums_the_counts_of_its_months);
    tcase_add_test(t, dhis2_of_a_child_unit_holds_only_that_units_rows);
    tcase_add_test(t, dhis2_own_figures_add_up_to_the_rollups_subtree_figures);
    tcase_add_test(t, dhis2_of_the_running_year_counts_staff_as_of_today);
    tcase_add_test(t, dhis2_scope_roles_and_bad_queries);
    tcase_add_test(t, dhis2_a_unit_closed_before_the_period_lends_nothing_to_its_parent);
    suite_add_tcase(s, t);
    t = tcase_create("at_risk");
    tcase_set_timeout(t, 120);
    tcase_add_unchecked_fixture(t, scenario_setup, NULL);
    tcase_add_test(t, at_risk_projects_ct5_of_the_unit_and_its_children_from_their_trend);
    tcase_add_test(t, at_risk_a_unit_at_100_percent_is_on_track_with_no_shortfall);
    tcase_add_test(t, at_risk_current_values_are_the_running_months_rollup);
    tcase_add_test(t, at_risk_of_all_indicators_most_at_risk_first_unprojectable_last);
    tcase_add_test(t, at_risk_limit_truncates_and_indicator_filters);
    tcase_add_test(t, at_risk_scope_roles_and_bad_queries);
    tcase_add_test(t, at_risk_without_a_trend_projects_todays_value);
    suite_add_tcase(s, t);
    return s;
}
