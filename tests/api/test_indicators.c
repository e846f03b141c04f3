/* Indicators CT1-CT5 (docs/specs/indicators.md): the definitions and yearly targets, and the
 * rollup of a small tree the suite builds itself, small enough to count by hand.
 *
 * Under SYT-BN: a health centre H with two wards W1, W2 and three commune stations S1, S2, S3,
 * all opened 2025-01-01; S3 closes on 2026-03-31. Fourteen staff join and leave on known dates,
 * complete a campaign course (or one that does not count), are confirmed on VNeID and attested
 * for skills on known dates; the facilities (H, S1..S3; wards are not facilities) deploy the five
 * digital services on known dates; H, W1, S1..S3 report patients supported and served for known
 * months. Every figure asserted below is counted by hand in the tables of this file. A second,
 * smaller tree (P with stations X, Y) checks that the rollup, which may keep staff figures between
 * requests, shows every kind of write at once. Codes carry a uniq() suffix, so the suite runs
 * again on the same database. */
#include "client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- The tree ---------------------------------------------------------------------------- */

enum { H, W1, W2, S1, S2, S3, NU };
static const char *const UKEY[NU] = {"H", "W1", "W2", "S1", "S2", "S3"};
static long long g_unit[NU];
static char g_code[NU][64], g_name[NU][128];
static char g_campaign_course[96], g_other_course[96];

/* ---- The staff, as they are entered --------------------------------------------------------- */

typedef struct staff_def {
    const char *key;
    int unit;
    const char *joined_on, *left_on, *vneid_confirmed_on;
} staff_def;

static const staff_def STAFF[] = {
    {"h1", H, "2020-01-01", NULL, "2025-11-10"},
    {"h2", H, "2020-01-01", "2025-12-31", "2025-05-01"},   /* counted in 2025 only (left on its last day) */
    {"h3", H, "2026-05-01", NULL, "2026-06-01"},           /* counted from 2026S1 on */
    {"w1a", W1, "2021-03-01", NULL, "2025-09-01"},
    {"w1b", W1, "2019-01-01", "2026-02-15", "2025-04-01"}, /* left before the end of 2026-02 */
    {"w2a", W2, "2022-01-01", NULL, "2026-02-10"},
    {"w2b", W2, "2025-06-01", NULL, NULL},
    {"s1a", S1, "2018-01-01", NULL, NULL},
    {"s1b", S1, "2024-01-01", NULL, NULL},
    {"s1c", S1, "2026-02-28", NULL, NULL},                 /* joined on 2026-02's last day: counted */
    {"s2a", S2, "2020-01-01", NULL, "2026-03-01"},
    {"s2b", S2, "2020-01-01", NULL, NULL},
    {"s3a", S3, "2020-01-01", "2026-03-31", "2025-02-01"}, /* S3 closes that day */
    {"s3b", S3, "2025-03-01", "2026-03-31", NULL},
};
#define NSTAFF (sizeof STAFF / sizeof STAFF[0])

/* Completions: 'C' the campaign course, 'N' a course that does not count for the campaign. */
static const struct {
    const char *staff;
    char course;
    const char *on;
} COMPLETIONS[] = {
    {"h1", 'C', "2025-10-01"}, {"h2", 'C', "2025-05-01"}, {"h3", 'C', "2026-05-20"},
    {"w1a", 'N', "2025-08-01"}, {"w1b", 'C', "2025-04-01"}, {"w2a", 'C', "2026-01-20"},
    {"s1a", 'C', "2025-07-01"}, {"s1b", 'N', "2025-05-01"}, {"s2a", 'C', "2026-02-20"},
    {"s3a", 'C', "2025-02-01"},
};

static const struct {
    const char *staff, *skill, *on;
} ATTESTATIONS[] = {
    {"h1", "digital_awareness", "2025-06-01"}, {"h1", "emr", "2025-06-01"}, {"h1", "smart_devices", "2026-01-15"},
    {"h2", "digital_awareness", "2025-05-01"}, {"h2", "emr", "2025-05-01"}, {"h2", "smart_devices", "2025-05-01"},
    {"h3", "digital_awareness", "2026-05-10"}, {"h3", "smart_devices", "2026-05-15"}, /* no platform: never CT1 */
    {"w1a", "digital_awareness", "2025-09-01"}, {"w1a", "e_prescription", "2026-03-15"},
    {"w1b", "digital_awareness", "2025-04-01"}, {"w1b", "emr", "2025-04-01"},
    {"w2a", "smart_devices", "2025-12-31"},
    {"s1a", "digital_awareness", "2025-03-01"}, {"s1a", "station_software", "2025-03-01"},
    /* cashless_payment is a skill, not one of the work platforms of CT1 */
    {"s1b", "digital_awareness", "2025-03-01"}, {"s1b", "cashless_payment", "2025-03-01"},
    {"s1b", "smart_devices", "2026-06-30"},
    {"s2a", "digital_awareness", "2026-01-05"}, {"s2a", "digital_signature", "2026-02-01"},
    {"s2b", "smart_devices", "2025-10-01"},
    {"s3a", "digital_awareness", "2025-02-01"}, {"s3a", "emr", "2025-02-01"}, {"s3a", "smart_devices", "2025-02-01"},
};

/* Facility services: each PUT in this order. effective_on NULL: the server's default. */
static const struct {
    int unit;
    const char *service, *status, *deployed_on, *effective_on;
} SERVICES[] = {
    {H, "cashless_payment", "deployed", "2026-01-05", NULL}, /* H has all five from 2026-01-05 */
    {H, "online_booking", "deployed", "2025-06-01", NULL},
    {H, "e_prescription", "deployed", "2025-06-01", NULL},
    {H, "emr", "deployed", "2025-06-01", NULL},
    {H, "data_interconnection", "deployed", "2025-06-01", NULL},
    {S1, "cashless_payment", "deployed", "2025-09-01", NULL}, /* S1: all five from 2026-03-10 */
    {S1, "online_booking", "deployed", "2025-09-01", NULL},
    {S1, "e_prescription", "deployed", "2025-09-01", NULL},
    {S1, "emr", "deployed", "2025-09-01", NULL},
    {S1, "data_interconnection", "deployed", "2026-03-10", NULL},
    {S2, "cashless_payment", "deployed", "2026-01-10", NULL}, /* S2: all five only from 2026-07-01 */
    {S2, "online_booking", "piloting", NULL, "2025-11-01"},
    {S2, "online_booking", "deployed", "2026-01-10", NULL},
    {S2, "e_prescription", "deployed", "2026-01-10", NULL},
    {S2, "emr", "deployed", "2026-07-01", NULL},
    {S2, "data_interconnection", "deployed", "2026-01-10", NULL},
    {S3, "cashless_payment", "deployed", "2025-03-01", NULL}, /* S3: all five until it closes */
    {S3, "online_booking", "deployed", "2025-03-01", NULL},
    {S3, "e_prescription", "deployed", "2025-03-01", NULL},
    {S3, "emr", "deployed", "2025-03-01", NULL},
    {S3, "data_interconnection", "deployed", "2025-03-01", NULL},
};

/* Patients supported per unit, month, service and target group. The largest service total of a
 * unit and month is what CT4 counts (marked <-). */
static const struct {
    int unit;
    const char *month, *service, *group;
    int count;
} SUPPORT[] = {
    {H, "2025-12", "vneid_card", "elderly", 40}, {H, "2025-12", "vneid_card", "general", 20}, /* 60 <- */
    {H, "2026-01", "vneid_card", "elderly", 30}, {H, "2026-01", "vneid_card", "general", 20}, /* 50 <- */
    {H, "2026-01", "online_booking", "elderly", 45},                                          /* 45 */
    {H, "2026-02", "vneid_card", "general", 10},                                              /* 10 */
    {H, "2026-02", "cashless_payment", "elderly", 25}, {H, "2026-02", "cashless_payment", "poor", 15}, /* 40 <- */
    {H, "2026-02", "online_results", "chronic", 39},                                          /* 39 */
    {H, "2026-04", "ehr_lookup", "general", 70},                                              /* 70 <- */
    {W1, "2026-02", "online_results", "general", 20},                                         /* 20 <- */
    {S1, "2026-02", "vneid_card", "ethnic_minority", 30}, {S1, "2026-02", "vneid_card", "elderly", 20}, /* 50 <- */
    {S1, "2026-02", "online_booking", "ethnic_minority", 50},                                 /* 50 (a tie) */
    {S1, "2026-03", "cashless_payment", "disabled", 5},                                       /* 5 <- */
    {S1, "2026-06", "online_booking", "general", 12}, {S1, "2026-06", "ehr_lookup", "general", 12}, /* 12 <- */
    {S2, "2026-02", "vneid_card", "poor", 8},                                                 /* 8 <- */
    {S3, "2026-03", "vneid_card", "elderly", 25},                                             /* 25 <- */
};

static const struct {
    int unit;
    const char *month;
    int count;
} SERVED[] = {
    {H, "2025-12", 100}, {H, "2026-01", 200}, {H, "2026-02", 150}, {H, "2026-04", 100},
    {W1, "2026-02", 20}, {S1, "2026-02", 80}, {S1, "2026-03", 90}, {S1, "2026-06", 60},
    {S2, "2026-01", 40}, {S2, "2026-02", 30}, {S3, "2026-03", 50},
};

/* ---- The hand counts ---------------------------------------------------------------------- */

/* One unit's own figures: its own staff, its own facility, its own counts (not its subtree's). */
typedef struct own {
    int staff, ct1, course, vneid, ct2, ct5, fac, fac_all, sup, served;
} own;

typedef struct period_case {
    const char *asked, *period, *type, *as_of;
    int year;
    own u[NU];
    own total;          /* H's subtree: the sum of the rows above */
    double h_value[5];  /* H's values, CT1..CT5 (-1: null) */
    double h_course, h_vneid;
    int expected, received;
} period_case;

static const period_case CASES[] = {
    {"2025", "2025", "year", "2025-12-31", 2025,
     /*          staff ct1 crs vne ct2 ct5 fac all sup served */
     {[H] = {2, 2, 2, 2, 2, 1, 1, 0, 60, 100}, /* h1 h2; h2's smart devices; cashless only in 2026 */
      [W1] = {2, 1, 1, 2, 1, 0, 0, 0, 0, 0},   /* w1a w1b; w1a's platform in 2026; w1a's course N */
      [W2] = {2, 0, 0, 0, 0, 1, 0, 0, 0, 0},   /* w2a w2b; w2a's smart devices on 2025-12-31 */
      [S1] = {2, 1, 1, 0, 0, 0, 1, 0, 0, 0},   /* s1a s1b (s1c not yet) */
      [S2] = {2, 0, 0, 0, 0, 1, 1, 0, 0, 0},   /* S2's online booking only piloting */
      [S3] = {2, 1, 1, 1, 1, 1, 1, 1, 0, 0}},  /* S3 still open */
     {12, 5, 5, 5, 4, 4, 4, 1, 60, 100},
     {41.7, 33.3, 25.0, 60.0, 33.3}, 41.7, 41.7, 5, 0},
    {"202602", "2026-02", "month", "2026-02-28", 2026,
     {[H] = {1, 1, 1, 1, 1, 1, 1, 1, 40, 150}, /* h1 only; cashless since 2026-01-05 */
      [W1] = {1, 0, 0, 1, 0, 0, 0, 0, 20, 20}, /* w1b left 2026-02-15 */
      [W2] = {2, 0, 1, 1, 1, 1, 0, 0, 0, 0},
      [S1] = {3, 1, 1, 0, 0, 0, 1, 0, 50, 80}, /* s1c joined 2026-02-28; interconnection not yet */
      [S2] = {2, 1, 1, 0, 0, 1, 1, 0, 8, 30},  /* s2a's course 2026-02-20, VNeID only in March */
      [S3] = {2, 1, 1, 1, 1, 1, 1, 1, 0, 0}},
     {11, 4, 5, 4, 3, 4, 4, 2, 118, 280},
     {36.4, 27.3, 50.0, 42.1, 36.4}, 45.5, 36.4, 5, 2},
    {"2026Q1", "2026Q1", "quarter", "2026-03-31", 2026,
     {[H] = {1, 1, 1, 1, 1, 1, 1, 1, 90, 350},  /* Jan 50 + Feb 40 of 200 + 150 */
      [W1] = {1, 1, 0, 1, 0, 0, 0, 0, 20, 20},  /* w1a's e-prescription 2026-03-15 */
      [W2] = {2, 0, 1, 1, 1, 1, 0, 0, 0, 0},
      [S1] = {3, 1, 1, 0, 0, 0, 1, 1, 55, 170}, /* Feb 50 + Mar 5 of 80 + 90 */
      [S2] = {2, 1, 1, 1, 1, 1, 1, 0, 8, 70},   /* Jan 0 of 40 + Feb 8 of 30 */
      [S3] = {2, 1, 1, 1, 1, 1, 1, 1, 25, 50}}, /* closes on the as-of day: still counted */
     {11, 5, 5, 5, 4, 4, 4, 3, 198, 660},
     {45.5, 36.4, 75.0, 30.0, 36.4}, 45.5, 45.5, 5, 1},
    {"2026S1", "2026S1", "half_year", "2026-06-30", 2026,
     {[H] = {2, 1, 2, 2, 2, 2, 1, 1, 160, 450}, /* h3 joined 2026-05-01: no platform attestation */
      [W1] = {1, 1, 0, 1, 0, 0, 0, 0, 20, 20},
      [W2] = {2, 0, 1, 1, 1, 1, 0, 0, 0, 0},
      [S1] = {3, 1, 1, 0, 0, 1, 1, 1, 67, 230}, /* s1b's smart devices on 2026-06-30 */
      [S2] = {2, 1, 1, 1, 1, 1, 1, 0, 8, 70},   /* S2's EMR comes on 2026-07-01 */
      [S3] = {0, 0, 0, 0, 0, 0, 0, 0, 25, 50}}, /* closed: no staff, no facility; its March counts stay */
     {10, 4, 5, 5, 4, 5, 3, 2, 280, 820},
     {40.0, 40.0, 66.7, 34.1, 50.0}, 50.0, 50.0, 5, 0},
};
#define NCASES (sizeof CASES / sizeof CASES[0])

/* Yearly targets as seeded (tenths of a percent; -1: none). */
static int target_tenths(int year, int ind, int *strict, const char **deadline)
{
    *strict = 0;
    *deadline = NULL;
    if (year == 2025) {
        if (ind == 0) return *strict = 1, 800;
        if (ind == 3) return *strict = 1, 600;
        return -1;
    }
    if (year == 2026) {
        if (ind == 1) *deadline = "2026-06-30";
        return 1000;
    }
    return -1;
}

/* ---- Building the scenario ---------------------------------------------------------------- */

static const char *staff_code(const char *key)
{
    return fmt("%s-%s", g_code[H], key);
}

static void scenario_setup(void)
{
    const char *u = uniq();
    /* H and its children */
    snprintf(g_code[H], sizeof g_code[H], "CT-%s", u);
    snprintf(g_name[H], sizeof g_name[H], "Trung tâm Y tế Kiểm thử Chỉ tiêu %s", u);
    static const char *const types[NU] = {"health_centre", "ward", "ward", "commune_station", "commune_station",
                                          "commune_station"};
    static const char *const names[NU] = {NULL, "Khoa Nội", "Khoa Ngoại", "Trạm Y tế xã Một", "Trạm Y tế xã Hai",
                                          "Trạm Y tế xã Ba"};
    for (int i = 0; i < NU; i++) {
        if (i != H) {
            snprintf(g_code[i], sizeof g_code[i], "%.40s-%s", g_code[H], UKEY[i]);
            snprintf(g_name[i], sizeof g_name[i], "%s", names[i]);
        }
        resp *r = send_obj("POST", "/api/v1/units", T_ADMIN,
                           json_pack("{s:s, s:s, s:s, s:s, s:s}", "code", g_code[i], "name", g_name[i], "type", types[i],
                                     "parent_code", i == H ? "SYT-BN" : g_code[H], "opened_on", "2025-01-01"));
        ck_assert_msg(r->status == 201, "unit %s: %ld %s", UKEY[i], r->status, r->body);
        g_unit[i] = jint(r, "id");
        resp_free(r);
    }
    /* H's children are obliged to report every period type (issue 10 §1: a child with no
     * obligation is not expected to report). */
    resp *ob = send_obj("POST", "/api/v1/reporting-obligations", T_ADMIN,
                        json_pack("{s:I, s:s, s:s, s:{s:{s:i}, s:{s:i}, s:{s:i}, s:{s:i}}}", "parent_id",
                                  (json_int_t)g_unit[H], "target", "all_children", "valid_from", "2025-01-01",
                                  "calendar", "month", "due_day", 15, "quarter", "due_day", 10, "half_year", "due_day",
                                  5, "year", "due_day", 5));
    ck_assert_msg(ob->status == 201, "obligation: %ld %s", ob->status, ob->body);
    resp_free(ob);
    /* Courses */
    snprintf(g_campaign_course, sizeof g_campaign_course, "course-v1:BDHVS+CT%s+2025-1", u);
    snprintf(g_other_course, sizeof g_other_course, "course-v1:BDHVS+NC%s+2025-1", u);
    expect(send_obj("POST", "/api/v1/courses", T_ADMIN,
                    json_pack("{s:s, s:s, s:b}", "code", g_campaign_course, "title", "Kỹ năng số cơ bản cho NVYT",
                              "counts_for_campaign", 1)), 201);
    expect(send_obj("POST", "/api/v1/courses", T_ADMIN,
                    json_pack("{s:s, s:s, s:b}", "code", g_other_course, "title", "Tin học văn phòng (không tính)",
                              "counts_for_campaign", 0)), 201);
    /* Staff */
    for (size_t i = 0; i < NSTAFF; i++) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "code", staff_code(STAFF[i].key), "full_name",
                              "Nguyễn Thị Kiểm Thử", "unit_code", g_code[STAFF[i].unit], "job_group", "nurse",
                              "employment", "public_employee", "joined_on", STAFF[i].joined_on);
        if (STAFF[i].left_on) json_object_set_new(o, "left_on", json_string(STAFF[i].left_on));
        if (STAFF[i].vneid_confirmed_on) {
            json_object_set_new(o, "vneid_confirmed_on", json_string(STAFF[i].vneid_confirmed_on));
            json_object_set_new(o, "vneid_source", json_string("VNeID"));
        }
        resp *r = send_obj("POST", "/api/v1/staff", T_ADMIN, o);
        ck_assert_msg(r->status == 201, "staff %s: %ld %s", STAFF[i].key, r->status, r->body);
        resp_free(r);
    }
    for (size_t i = 0; i < sizeof COMPLETIONS / sizeof COMPLETIONS[0]; i++) {
        resp *r = send_obj("POST", "/api/v1/completions", T_ADMIN,
                           json_pack("{s:s, s:s, s:s}", "staff_code", staff_code(COMPLETIONS[i].staff), "course_code",
                                     COMPLETIONS[i].course == 'C' ? g_campaign_course : g_other_course,
                                     "completed_on", COMPLETIONS[i].on));
        ck_assert_msg(r->status == 201, "completion %s: %ld %s", COMPLETIONS[i].staff, r->status, r->body);
        resp_free(r);
    }
    for (size_t i = 0; i < sizeof ATTESTATIONS / sizeof ATTESTATIONS[0]; i++) {
        resp *r = send_obj("POST", "/api/v1/attestations", T_ADMIN,
                           json_pack("{s:s, s:s, s:s}", "staff_code", staff_code(ATTESTATIONS[i].staff), "skill",
                                     ATTESTATIONS[i].skill, "attested_on", ATTESTATIONS[i].on));
        ck_assert_msg(r->status == 201, "attestation %s %s: %ld %s", ATTESTATIONS[i].staff, ATTESTATIONS[i].skill,
                      r->status, r->body);
        resp_free(r);
    }
    for (size_t i = 0; i < sizeof SERVICES / sizeof SERVICES[0]; i++) {
        json_t *o = json_pack("{s:s}", "status", SERVICES[i].status);
        if (SERVICES[i].deployed_on) json_object_set_new(o, "deployed_on", json_string(SERVICES[i].deployed_on));
        if (SERVICES[i].effective_on) json_object_set_new(o, "effective_on", json_string(SERVICES[i].effective_on));
        resp *r = send_obj("PUT", fmt("/api/v1/units/%lld/services/%s", g_unit[SERVICES[i].unit], SERVICES[i].service),
                           T_ADMIN, o);
        ck_assert_msg(r->status == 201 || r->status == 200, "service %s %s: %ld %s", UKEY[SERVICES[i].unit],
                      SERVICES[i].service, r->status, r->body);
        resp_free(r);
    }
    for (size_t i = 0; i < sizeof SUPPORT / sizeof SUPPORT[0]; i++) {
        resp *r = send_obj("POST", "/api/v1/support-counts", T_ADMIN,
                           json_pack("{s:I, s:s, s:s, s:s, s:i}", "unit_id", (json_int_t)g_unit[SUPPORT[i].unit], "month",
                                     SUPPORT[i].month, "service", SUPPORT[i].service, "target_group", SUPPORT[i].group,
                                     "count", SUPPORT[i].count));
        ck_assert_msg(r->status == 201, "support %s %s: %ld %s", UKEY[SUPPORT[i].unit], SUPPORT[i].month, r->status,
                      r->body);
        resp_free(r);
    }
    for (size_t i = 0; i < sizeof SERVED / sizeof SERVED[0]; i++) {
        resp *r = send_obj("POST", "/api/v1/patients-served", T_ADMIN,
                           json_pack("{s:I, s:s, s:i}", "unit_id", (json_int_t)g_unit[SERVED[i].unit], "month",
                                     SERVED[i].month, "count", SERVED[i].count));
        ck_assert_msg(r->status == 201, "served %s %s: %ld %s", UKEY[SERVED[i].unit], SERVED[i].month, r->status,
                      r->body);
        resp_free(r);
    }
    /* Reports for 2026-02: S1 submitted, S2 approved, S3 returned, W1 a draft, W2 none; H's own
     * (submitted) is not one of those below H. S1 also reports for 2026Q1. */
    for (int i = 0; i < NU; i++) {
        if (i == W2) continue;
        expect(http_send_json("PUT", fmt("/api/v1/reports/%lld/2026-02", g_unit[i]), T_ADMIN,
                              "{\"values\":{\"s2_conferences\":1}}"), 201);
        if (i == W1) continue;
        expect(http_send_json("POST", fmt("/api/v1/reports/%lld/2026-02/submit", g_unit[i]), T_ADMIN, "{}"), 200);
    }
    expect(http_send_json("POST", fmt("/api/v1/reports/%lld/2026-02/approve", g_unit[S2]), T_ADMIN, "{}"), 200);
    expect(http_send_json("POST", fmt("/api/v1/reports/%lld/2026-02/return", g_unit[S3]), T_ADMIN,
                          "{\"reason\":\"Thiếu số liệu mục 5\"}"), 200);
    expect(http_send_json("PUT", fmt("/api/v1/reports/%lld/2026Q1", g_unit[S1]), T_ADMIN, "{\"values\":{}}"), 201);
    expect(http_send_json("POST", fmt("/api/v1/reports/%lld/2026Q1/submit", g_unit[S1]), T_ADMIN, "{}"), 200);
    /* S3 closes; its staff left the same day. */
    req_opts o = {.token = T_ADMIN};
    expect(http_do("DELETE", fmt("/api/v1/units/%lld?closed_on=2026-03-31", g_unit[S3]), &o), 204);
}

/* ---- Reading the rollup -------------------------------------------------------------------- */

static resp *rollup(const char *token, long long unit, const char *period, int depth)
{
    return http_get(fmt("/api/v1/indicators/rollup?unit_id=%lld&period=%s&depth=%d", unit, period, depth), token);
}

static json_t *ind_of(json_t *unit, int k)
{
    return json_array_get(json_object_get(unit, "indicators"), (size_t)k);
}

static long long num(json_t *unit, int k)
{
    return json_integer_value(json_object_get(ind_of(unit, k), "numerator"));
}

static long long den(json_t *unit, int k)
{
    return json_integer_value(json_object_get(ind_of(unit, k), "denominator"));
}

/* A value (number with one decimal, or null when the denominator is 0). */
static void check_value(json_t *v, long n, long d, const char *what)
{
    if (d == 0) {
        ck_assert_msg(json_is_null(v), "%s: value should be null, got %s", what, v == NULL ? "no \"value\" at all" : "a value");
        return;
    }
    ck_assert_msg(json_is_number(v), "%s: value should be a number", what);
    ck_assert_msg(json_tenths(v) == rate_tenths(n, d), "%s: value %g, want %ld/%ld = %.1f", what, json_number_value(v),
                  n, d, rate_tenths(n, d) / 10.0);
    double off = json_number_value(v) * 10.0 - (double)json_tenths(v);
    ck_assert_msg(off < 1e-6 && off > -1e-6, "%s: %g has more than one decimal", what, json_number_value(v));
}

/* One indicator of one unit: numerator, denominator, value, target, deadline, gap, met, parts. */
static void check_indicator(json_t *ind, int k, long n, long d, int year, const char *what)
{
    static const char *const CODES[] = {"CT1", "CT2", "CT3", "CT4", "CT5"};
    ck_assert_msg(ind != NULL, "%s: no indicator %s", what, CODES[k]);
    ck_assert_str_eq(json_string_value(json_object_get(ind, "code")), CODES[k]);
    ck_assert_msg(json_integer_value(json_object_get(ind, "numerator")) == n, "%s %s: numerator %lld, want %ld", what,
                  CODES[k], json_integer_value(json_object_get(ind, "numerator")), n);
    ck_assert_msg(json_integer_value(json_object_get(ind, "denominator")) == d, "%s %s: denominator %lld, want %ld",
                  what, CODES[k], json_integer_value(json_object_get(ind, "denominator")), d);
    char w[128];
    snprintf(w, sizeof w, "%s %s", what, CODES[k]);
    check_value(json_object_get(ind, "value"), n, d, w);
    int strict;
    const char *deadline;
    long t = target_tenths(year, k, &strict, &deadline);
    json_t *tj = json_object_get(ind, "target"), *gap = json_object_get(ind, "gap"), *met = json_object_get(ind, "met");
    json_t *dl = json_object_get(ind, "deadline");
    if (t < 0) ck_assert_msg(json_is_null(tj), "%s: target should be null", w);
    else
        ck_assert_msg(json_is_number(tj) && json_tenths(tj) == t, "%s: target %g, want %.1f", w, json_number_value(tj),
                      t / 10.0);
    if (deadline) ck_assert_msg(json_is_string(dl) && strcmp(json_string_value(dl), deadline) == 0, "%s: deadline", w);
    else ck_assert_msg(json_is_null(dl), "%s: deadline should be null", w);
    if (t < 0 || d == 0) {
        ck_assert_msg(json_is_null(gap), "%s: gap should be null", w);
        ck_assert_msg(json_is_null(met), "%s: met should be null", w);
    } else {
        long v = rate_tenths(n, d), g = t - v > 0 ? t - v : 0;
        ck_assert_msg(json_is_number(gap) && json_tenths(gap) == g, "%s: gap %g, want %.1f", w, json_number_value(gap),
                      g / 10.0);
        int want_met = strict ? v > t : v >= t;
        ck_assert_msg(json_is_boolean(met) && json_is_true(met) == want_met, "%s: met should be %s", w,
                      want_met ? "true" : "false");
    }
    json_t *parts = json_object_get(ind, "parts");
    if (k != 1) ck_assert_msg(parts == NULL, "%s: parts only for CT2", w);
    else ck_assert_msg(json_is_object(parts), "%s: CT2 has parts", w);
}

static void check_parts(json_t *ind, long course, long vneid, long d, const char *what)
{
    json_t *parts = json_object_get(ind, "parts");
    json_t *c = json_object_get(parts, "course"), *v = json_object_get(parts, "vneid");
    ck_assert_msg(json_integer_value(json_object_get(c, "numerator")) == course, "%s CT2 course: %lld, want %ld", what,
                  json_integer_value(json_object_get(c, "numerator")), course);
    ck_assert_msg(json_integer_value(json_object_get(v, "numerator")) == vneid, "%s CT2 vneid: %lld, want %ld", what,
                  json_integer_value(json_object_get(v, "numerator")), vneid);
    char w[128];
    snprintf(w, sizeof w, "%s CT2 course", what);
    check_value(json_object_get(c, "value"), course, d, w);
    snprintf(w, sizeof w, "%s CT2 vneid", what);
    check_value(json_object_get(v, "value"), vneid, d, w);
}

/* A row of the rollup against a hand count. */
static void check_unit(json_t *u, const own *o, int year, const char *what)
{
    ck_assert_msg(u != NULL, "%s is not listed", what);
    ck_assert_uint_eq(json_array_size(json_object_get(u, "indicators")), 5);
    check_indicator(ind_of(u, 0), 0, o->ct1, o->staff, year, what);
    check_indicator(ind_of(u, 1), 1, o->ct2, o->staff, year, what);
    check_parts(ind_of(u, 1), o->course, o->vneid, o->staff, what);
    check_indicator(ind_of(u, 2), 2, o->fac_all, o->fac, year, what);
    check_indicator(ind_of(u, 3), 3, o->sup, o->served, year, what);
    check_indicator(ind_of(u, 4), 4, o->ct5, o->staff, year, what);
}

static void check_period(const period_case *pc)
{
    /* The table adds up. */
    own s = {0};
    for (int i = 0; i < NU; i++) {
        s.staff += pc->u[i].staff, s.ct1 += pc->u[i].ct1, s.course += pc->u[i].course, s.vneid += pc->u[i].vneid;
        s.ct2 += pc->u[i].ct2, s.ct5 += pc->u[i].ct5, s.fac += pc->u[i].fac, s.fac_all += pc->u[i].fac_all;
        s.sup += pc->u[i].sup, s.served += pc->u[i].served;
    }
    ck_assert_int_eq(memcmp(&s, &pc->total, sizeof s), 0);

    resp *r = rollup(T_ADMIN, g_unit[H], pc->asked, 1);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "unit_id"), g_unit[H]);
    ck_assert_str_eq(jstr(r, "unit_code"), g_code[H]);
    ck_assert_str_eq(jstr(r, "unit_name"), g_name[H]);
    ck_assert_str_eq(jstr(r, "period"), pc->period);
    ck_assert_str_eq(jstr(r, "period_type"), pc->type);
    ck_assert_str_eq(jstr(r, "as_of"), pc->as_of);
    ck_assert_int_eq(jint(r, "reports_expected"), pc->expected);
    ck_assert_int_eq(jint(r, "reports_received"), pc->received);
    /* H, then its five children in code order (S3 closed inside 2026S1 is still listed there). */
    json_t *units = json_object_get(r->json, "units");
    ck_assert_uint_eq(json_array_size(units), NU);
    static const int order[NU] = {H, S1, S2, S3, W1, W2};
    for (int i = 0; i < NU; i++) {
        json_t *u = json_array_get(units, (size_t)i);
        ck_assert_msg(json_integer_value(json_object_get(u, "unit_id")) == g_unit[order[i]], "%s: row %d is not %s",
                      pc->period, i, UKEY[order[i]]);
        ck_assert_str_eq(json_string_value(json_object_get(u, "unit_code")), g_code[order[i]]);
        ck_assert_str_eq(json_string_value(json_object_get(u, "unit_name")), g_name[order[i]]);
        ck_assert_int_eq(json_integer_value(json_object_get(u, "depth")), order[i] == H ? 0 : 1);
        if (order[i] == H) ck_assert_int_eq(json_integer_value(json_object_get(u, "parent_id")), unit_id("SYT-BN"));
        else ck_assert_int_eq(json_integer_value(json_object_get(u, "parent_id")), g_unit[H]);
        ck_assert_int_eq(json_integer_value(json_object_get(u, "reports_expected")), order[i] == H ? pc->expected : 0);
        ck_assert_int_eq(json_integer_value(json_object_get(u, "reports_received")), order[i] == H ? pc->received : 0);
    }
    char what[64];
    for (int i = 0; i < NU; i++) {
        if (i == H) continue;
        snprintf(what, sizeof what, "%s %s", pc->period, UKEY[i]);
        check_unit(rollup_row(r, g_unit[i]), &pc->u[i], pc->year, what);
    }
    snprintf(what, sizeof what, "%s H (subtree)", pc->period);
    json_t *h = rollup_row(r, g_unit[H]);
    check_unit(h, &pc->total, pc->year, what);
    /* H's values as counted by hand. */
    for (int k = 0; k < 5; k++) {
        json_t *v = json_object_get(ind_of(h, k), "value");
        if (pc->h_value[k] < 0) ck_assert_msg(json_is_null(v), "%s CT%d value", pc->period, k + 1);
        else
            ck_assert_msg(json_tenths(v) == (long)(pc->h_value[k] * 10 + 0.5), "%s H CT%d: value %g, want %.1f",
                          pc->period, k + 1, json_number_value(v), pc->h_value[k]);
    }
    json_t *parts = json_object_get(ind_of(h, 1), "parts");
    ck_assert_int_eq(json_tenths(json_object_get(json_object_get(parts, "course"), "value")),
                     (long)(pc->h_course * 10 + 0.5));
    ck_assert_int_eq(json_tenths(json_object_get(json_object_get(parts, "vneid"), "value")),
                     (long)(pc->h_vneid * 10 + 0.5));
    resp_free(r);

    /* depth=0: H alone, with the same figures. */
    r = rollup(T_ADMIN, g_unit[H], pc->asked, 0);
    ASSERT_STATUS(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "units")), 1);
    snprintf(what, sizeof what, "%s H depth 0", pc->period);
    check_unit(rollup_row(r, g_unit[H]), &pc->total, pc->year, what);
    ck_assert_int_eq(jint(r, "reports_expected"), pc->expected);
    ck_assert_int_eq(jint(r, "reports_received"), pc->received);
    resp_free(r);
}

/* ---- Every write shows at once ------------------------------------------------------------- */

/* The staff figures of one row of P's rollup for 2026-02 (P, X or Y). */
static void staff_figures(long long root, long long unit, int staff, int ct1, int course, int vneid, int ct2, int ct5,
                          const char *step)
{
    resp *r = rollup(T_ADMIN, root, "2026-02", 1);
    ck_assert_msg(r->status == 200, "%s: %ld", step, r->status);
    json_t *u = rollup_row(r, unit);
    ck_assert_msg(u != NULL, "%s: unit not listed", step);
    own o = {staff, ct1, course, vneid, ct2, ct5, 1, 0, 0, 0};
    if (unit == root) o.fac = 3; /* P, X and Y are facilities with no service */
    check_unit(u, &o, 2026, step);
    resp_free(r);
}

/* The rollup may keep figures between requests: each kind of write must show in the next answer. */
START_TEST(every_write_shows_in_the_next_rollup)
{
    const char *u = uniq();
    char p[48], x[64], y[64], course[96], x1[80], x2[80], x3[80];
    snprintf(p, sizeof p, "CF-%s", u);
    snprintf(x, sizeof x, "%s-X", p);
    snprintf(y, sizeof y, "%s-Y", p);
    snprintf(course, sizeof course, "course-v1:BDHVS+CF%s+2026-1", u);
    snprintf(x1, sizeof x1, "%s-x1", p);
    snprintf(x2, sizeof x2, "%s-x2", p);
    snprintf(x3, sizeof x3, "%s-x3", p);
    long long id[3];
    const char *codes[3] = {p, x, y}, *types[3] = {"health_centre", "commune_station", "commune_station"};
    for (int i = 0; i < 3; i++) {
        resp *r = send_obj("POST", "/api/v1/units", T_ADMIN,
                           json_pack("{s:s, s:s, s:s, s:s, s:s}", "code", codes[i], "name", "Đơn vị kiểm thử", "type",
                                     types[i], "parent_code", i ? p : "SYT-BN", "opened_on", "2025-01-01"));
        ASSERT_STATUS(r, 201);
        id[i] = jint(r, "id");
        resp_free(r);
    }
    resp *r = send_obj("POST", "/api/v1/courses", T_ADMIN,
                       json_pack("{s:s, s:s, s:b}", "code", course, "title", "Khóa học kiểm thử", "counts_for_campaign", 1));
    ASSERT_STATUS(r, 201);
    long long course_id = jint(r, "id");
    resp_free(r);
    /* x1 and x2 at X; y0 at Y, who stays without any attestation. */
    long long sid[3];
    char y0[80];
    snprintf(y0, sizeof y0, "%s-y0", p);
    const char *sc[3] = {x1, x2, y0}, *su[3] = {x, x, y};
    for (int i = 0; i < 3; i++) {
        r = send_obj("POST", "/api/v1/staff", T_ADMIN,
                     json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "code", sc[i], "full_name", "Trần Văn Kiểm", "unit_code",
                               su[i], "job_group", "doctor", "employment", "civil_servant", "joined_on", "2020-01-01"));
        ASSERT_STATUS(r, 201);
        sid[i] = jint(r, "id");
        resp_free(r);
    }
    /*                               staff ct1 crs vne ct2 ct5 */
    staff_figures(id[0], id[1], 2, 0, 0, 0, 0, 0, "start, X");
    staff_figures(id[0], id[0], 3, 0, 0, 0, 0, 0, "start, P");
    /* attestations */
    expect(send_obj("POST", "/api/v1/attestations", T_ADMIN,
                    json_pack("{s:s, s:s, s:s}", "staff_code", x1, "skill", "smart_devices", "attested_on", "2026-01-01")), 201);
    staff_figures(id[0], id[1], 2, 0, 0, 0, 0, 1, "smart devices");
    expect(send_obj("POST", "/api/v1/attestations", T_ADMIN,
                    json_pack("{s:s, s:s, s:s}", "staff_code", x1, "skill", "digital_awareness", "attested_on", "2026-01-01")), 201);
    staff_figures(id[0], id[1], 2, 0, 0, 0, 0, 1, "awareness alone");
    expect(send_obj("POST", "/api/v1/attestations", T_ADMIN,
                    json_pack("{s:s, s:s, s:s}", "staff_code", x1, "skill", "emr", "attested_on", "2026-02-01")), 201);
    /* CT1's 2026 definition (plan 2948/KH-SYT, issue 11 §4): a doctor at a commune station uses
     * both the station software and e-prescription; the EMR alone counted under the 2025 wording. */
    staff_figures(id[0], id[1], 2, 0, 0, 0, 0, 1, "awareness and emr, a station doctor in 2026");
    expect(send_obj("POST", "/api/v1/attestations", T_ADMIN,
                    json_pack("{s:s, s:s, s:s}", "staff_code", x1, "skill", "e_prescription", "attested_on", "2026-02-01")), 201);
    staff_figures(id[0], id[1], 2, 0, 0, 0, 0, 1, "and e-prescription, no station software");
    expect(send_obj("POST", "/api/v1/attestations", T_ADMIN,
                    json_pack("{s:s, s:s, s:s}", "staff_code", x1, "skill", "station_software", "attested_on", "2026-02-01")), 201);
    staff_figures(id[0], id[1], 2, 1, 0, 0, 0, 1, "awareness, station software and e-prescription");
    /* a completion, then the VNeID confirmation */
    expect(send_obj("POST", "/api/v1/completions", T_ADMIN,
                    json_pack("{s:s, s:s, s:s}", "staff_code", x1, "course_code", course, "completed_on", "2026-01-10")), 201);
    staff_figures(id[0], id[1], 2, 1, 1, 0, 0, 1, "completion");
    expect(http_send_json("PATCH", fmt("/api/v1/staff/%lld", sid[0]), T_ADMIN, "{\"vneid_confirmed_on\":\"2026-02-01\"}"), 200);
    staff_figures(id[0], id[1], 2, 1, 1, 1, 1, 1, "VNeID");
    /* the course stops counting, then counts again */
    expect(http_send_json("PATCH", fmt("/api/v1/courses/%lld", course_id), T_ADMIN, "{\"counts_for_campaign\":false}"), 200);
    staff_figures(id[0], id[1], 2, 1, 0, 1, 0, 1, "course no longer counts");
    expect(http_send_json("PATCH", fmt("/api/v1/courses/%lld", course_id), T_ADMIN, "{\"counts_for_campaign\":true}"), 200);
    staff_figures(id[0], id[1], 2, 1, 1, 1, 1, 1, "course counts again");
    /* a bulk load of attestations */
    r = post_csv("/api/v1/attestations/import", T_ADMIN,
                 fmt("staff_code,skill,attested_on\r\n%s,smart_devices,2026-02-15\r\n", x2));
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "created"), 1);
    resp_free(r);
    staff_figures(id[0], id[1], 2, 1, 1, 1, 1, 2, "attestation import");
    /* x2 moves to Y: X loses, Y gains, P keeps the sum */
    expect(http_send_json("PATCH", fmt("/api/v1/staff/%lld", sid[1]), T_ADMIN, fmt("{\"unit_code\":\"%s\"}", y)), 200);
    staff_figures(id[0], id[1], 1, 1, 1, 1, 1, 1, "moved away, X");
    staff_figures(id[0], id[2], 2, 0, 0, 0, 0, 1, "moved in, Y");
    staff_figures(id[0], id[0], 3, 1, 1, 1, 1, 2, "moved, P");
    /* a bulk load of staff: x3 at X, confirmed on VNeID */
    r = post_csv("/api/v1/staff/import", T_ADMIN,
                 fmt("code,full_name,unit_code,job_group,employment,joined_on,vneid_confirmed_on\r\n"
                     "%s,Lê Thị Nhập,%s,nurse,contract,2020-01-01,2026-01-01\r\n",
                     x3, x));
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "created"), 1);
    resp_free(r);
    staff_figures(id[0], id[1], 2, 1, 1, 2, 1, 1, "staff import, X");
    staff_figures(id[0], id[0], 4, 1, 1, 2, 1, 2, "staff import, P");
    /* x1 leaves before the month ends */
    expect(http_send_json("PATCH", fmt("/api/v1/staff/%lld", sid[0]), T_ADMIN, "{\"left_on\":\"2026-02-10\"}"), 200);
    staff_figures(id[0], id[1], 1, 0, 0, 1, 0, 0, "left, X");
    staff_figures(id[0], id[0], 3, 0, 0, 1, 0, 1, "left, P");
    /* x2's attestation is deleted, then x2 */
    r = http_get(fmt("/api/v1/attestations?staff_id=%lld", sid[1]), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 1);
    long long att = json_integer_value(json_object_get(json_array_get(json_object_get(r->json, "items"), 0), "id"));
    resp_free(r);
    req_opts del = {.token = T_ADMIN};
    expect(http_do("DELETE", fmt("/api/v1/attestations/%lld", att), &del), 204);
    staff_figures(id[0], id[2], 2, 0, 0, 0, 0, 0, "attestation deleted, Y");
    expect(http_do("DELETE", fmt("/api/v1/staff/%lld", sid[1]), &del), 204);
    staff_figures(id[0], id[2], 1, 0, 0, 0, 0, 0, "staff deleted, Y");
    staff_figures(id[0], id[0], 2, 0, 0, 1, 0, 0, "staff deleted, P");
}
END_TEST

/* ---- Tests -------------------------------------------------------------------------------- */

START_TEST(rollup_of_a_month_counts_staff_facilities_and_support_as_counted_by_hand)
{
    check_period(&CASES[1]); /* asked as 202602: answered as 2026-02 */
}
END_TEST

START_TEST(rollup_of_a_quarter_counts_as_of_its_last_day_and_sums_its_months)
{
    check_period(&CASES[2]);
}
END_TEST

START_TEST(rollup_of_a_half_year_drops_the_closed_station_and_counts_the_newcomer)
{
    check_period(&CASES[3]);
}
END_TEST

START_TEST(rollup_of_2025_is_as_things_stood_then_with_the_strict_2025_targets)
{
    check_period(&CASES[0]);
}
END_TEST

/* The parent's numerators and denominators are its children's sums plus its own, for every period. */
START_TEST(parent_figures_are_children_sums_plus_its_own_never_averages)
{
    for (size_t c = 0; c < NCASES; c++) {
        const period_case *pc = &CASES[c];
        resp *r = rollup(T_SYT_VIEWER, g_unit[H], pc->asked, 1);
        ASSERT_STATUS(r, 200);
        json_t *h = rollup_row(r, g_unit[H]);
        const own *o = &pc->u[H];
        long long own_num[5] = {o->ct1, o->ct2, o->fac_all, o->sup, o->ct5};
        long long own_den[5] = {o->staff, o->staff, o->fac, o->served, o->staff};
        for (int k = 0; k < 5; k++) {
            long long sn = own_num[k], sd = own_den[k];
            for (int i = 0; i < NU; i++)
                if (i != H) sn += num(rollup_row(r, g_unit[i]), k), sd += den(rollup_row(r, g_unit[i]), k);
            ck_assert_msg(num(h, k) == sn, "%s CT%d: H numerator %lld, children + own %lld", pc->period, k + 1, num(h, k), sn);
            ck_assert_msg(den(h, k) == sd, "%s CT%d: H denominator %lld, children + own %lld", pc->period, k + 1, den(h, k), sd);
        }
        long long sc = o->course, sv = o->vneid;
        for (int i = 0; i < NU; i++) {
            if (i == H) continue;
            json_t *p = json_object_get(ind_of(rollup_row(r, g_unit[i]), 1), "parts");
            sc += json_integer_value(json_object_get(json_object_get(p, "course"), "numerator"));
            sv += json_integer_value(json_object_get(json_object_get(p, "vneid"), "numerator"));
        }
        json_t *hp = json_object_get(ind_of(h, 1), "parts");
        ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(hp, "course"), "numerator")), sc);
        ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(hp, "vneid"), "numerator")), sv);
        resp_free(r);
    }
    /* 2026-02, CT1: 4 of 11, 36.4 - not the mean of the rows' values (100, 0, 0, 33.3, 50, 50). */
    resp *r = rollup(T_ADMIN, g_unit[H], "2026-02", 1);
    ck_assert_int_eq(json_tenths(json_object_get(ind_of(rollup_row(r, g_unit[H]), 0), "value")), 364);
    resp_free(r);
}
END_TEST

/* CT4: per unit and month, the service with the most people supported (summed over target
 * groups), so that a person helped with several services counts once; added over months. */
START_TEST(ct4_counts_the_largest_service_per_unit_and_month_summed_over_months)
{
    /* 2026-01: H supported 50 for vneid_card (30 + 20) and 45 for online booking: 50, not 95, of
     * 200; S2 served 40 and supported nobody: 0.0, not null. */
    resp *r = rollup(T_ADMIN, g_unit[H], "2026-01", 1);
    ASSERT_STATUS(r, 200);
    check_indicator(ind_of(rollup_row(r, g_unit[H]), 3), 3, 50, 240, 2026, "2026-01 H");
    check_indicator(ind_of(rollup_row(r, g_unit[S2]), 3), 3, 0, 40, 2026, "2026-01 S2");
    ck_assert_int_eq(json_tenths(json_object_get(ind_of(rollup_row(r, g_unit[H]), 3), "value")), 208);
    ck_assert_int_eq(json_tenths(json_object_get(ind_of(rollup_row(r, g_unit[S2]), 3), "value")), 0);
    check_indicator(ind_of(rollup_row(r, g_unit[W2]), 3), 3, 0, 0, 2026, "2026-01 W2"); /* nothing: null */
    resp_free(r);
    /* 2026-02 at S1: a tie (50 and 50) counts 50. At H alone: 40 (cashless 25 + 15) of 150. */
    r = rollup(T_ADMIN, g_unit[S1], "2026-02", 0);
    ASSERT_STATUS(r, 200);
    check_indicator(ind_of(rollup_row(r, g_unit[S1]), 3), 3, 50, 80, 2026, "2026-02 S1 alone");
    ck_assert_int_eq(json_tenths(json_object_get(ind_of(rollup_row(r, g_unit[S1]), 3), "value")), 625);
    resp_free(r);
    /* 2026S1 at S1: Feb 50 + Mar 5 + Jun 12 (12 and 12: once) of 80 + 90 + 60. */
    r = rollup(T_ADMIN, g_unit[S1], "2026S1", 0);
    check_indicator(ind_of(rollup_row(r, g_unit[S1]), 3), 3, 67, 230, 2026, "2026S1 S1 alone");
    resp_free(r);
    /* The stored rows add up to more than CT4 counts: 30 + 20 + 45 for H in 2026-01. */
    r = http_get(fmt("/api/v1/support-counts?unit_id=%lld&period=2026-01&limit=100", g_unit[H]), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 3);
    long long sum = 0;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r->json, "items"), i, it) sum += json_integer_value(json_object_get(it, "count"));
    ck_assert_int_eq(sum, 95);
    resp_free(r);
    /* 2025: 60 of 100 is exactly the strict target (>60 %): gap 0.0 but not met. */
    r = rollup(T_ADMIN, g_unit[H], "2025", 0);
    json_t *ct4 = ind_of(rollup_row(r, g_unit[H]), 3);
    ck_assert_int_eq(json_tenths(json_object_get(ct4, "value")), 600);
    ck_assert_int_eq(json_tenths(json_object_get(ct4, "target")), 600);
    ck_assert_int_eq(json_tenths(json_object_get(ct4, "gap")), 0);
    ck_assert(json_is_false(json_object_get(ct4, "met")));
    resp_free(r);
}
END_TEST

/* A period that still runs counts up to today: 2026 (S2's EMR came on 2026-07-01, so every open
 * facility has all five: 3 of 3, 100.0, met). */
START_TEST(a_running_year_counts_as_of_today)
{
    char today[11];
    server_today(today);
    if (strncmp(today, "2026", 4) != 0) return; /* the figures below hold while 2026 runs */
    resp *r = rollup(T_ADMIN, g_unit[H], "2026", 1);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "as_of"), today);
    ck_assert_str_eq(jstr(r, "period_type"), "year");
    own h = {10, 4, 5, 5, 4, 5, 3, 3, 280, 820}; /* as in 2026S1, with S2 now complete */
    check_unit(rollup_row(r, g_unit[H]), &h, 2026, "2026 H");
    json_t *ct3 = ind_of(rollup_row(r, g_unit[H]), 2);
    ck_assert_int_eq(json_tenths(json_object_get(ct3, "value")), 1000);
    ck_assert_int_eq(json_tenths(json_object_get(ct3, "gap")), 0);
    ck_assert(json_is_true(json_object_get(ct3, "met")));
    own s2 = {2, 1, 1, 1, 1, 1, 1, 1, 8, 70};
    check_unit(rollup_row(r, g_unit[S2]), &s2, 2026, "2026 S2");
    resp_free(r);
}
END_TEST

/* reports_expected: units below open during the period; reports_received: those with a
 * submitted or approved report for exactly this period. */
START_TEST(reports_expected_and_received_count_units_below_for_exactly_the_period)
{
    /* 2026-02: S1 submitted, S2 approved (2); S3 returned, W1 draft, W2 none; H's own not counted. */
    resp *r = rollup(T_ADMIN, g_unit[H], "2026-02", 1);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "reports_expected"), 5);
    ck_assert_int_eq(jint(r, "reports_received"), 2);
    resp_free(r);
    /* 2026Q1: only S1's quarterly report. */
    r = rollup(T_ADMIN, g_unit[H], "2026Q1", 0);
    ck_assert_int_eq(jint(r, "reports_expected"), 5);
    ck_assert_int_eq(jint(r, "reports_received"), 1);
    resp_free(r);
    /* 2026-03: nothing for that month. */
    r = rollup(T_ADMIN, g_unit[H], "2026-03", 1);
    ck_assert_int_eq(jint(r, "reports_expected"), 5);
    ck_assert_int_eq(jint(r, "reports_received"), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "units")), 6);
    resp_free(r);
    /* 2026-06: S3 closed before the month began: not expected, not listed. */
    r = rollup(T_ADMIN, g_unit[H], "2026-06", 1);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "reports_expected"), 4);
    ck_assert_int_eq(jint(r, "reports_received"), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "units")), 5);
    ck_assert_ptr_null(rollup_row(r, g_unit[S3]));
    /* ... and in June only S1 reported counts: 12 (12 and 12 once) of 60. */
    check_indicator(ind_of(rollup_row(r, g_unit[H]), 3), 3, 12, 60, 2026, "2026-06 H");
    resp_free(r);
    /* The reporting status agrees for 2026-02. */
    r = http_get(fmt("/api/v1/reporting-status?unit_id=%lld&period=2026-02", g_unit[H]), T_ADMIN);
    ASSERT_STATUS(r, 200);
    json_t *sum = json_object_get(r->json, "summary");
    ck_assert_int_eq(json_integer_value(json_object_get(sum, "expected")), 5);
    ck_assert_int_eq(json_integer_value(json_object_get(sum, "received")), 2);
    resp_free(r);
}
END_TEST

START_TEST(csv_has_one_row_per_unit_and_indicator)
{
    req_opts o = {.token = T_ADMIN, .headers = {"Accept: text/csv"}};
    resp *r = http_do("GET", fmt("/api/v1/indicators/rollup?unit_id=%lld&period=2026S1&depth=1", g_unit[H]), &o);
    ASSERT_STATUS(r, 200);
    char ct[64];
    ck_assert_str_eq(resp_header(r, "Content-Type", ct, sizeof ct), "text/csv; charset=utf-8");
    const char *header = "unit_code,unit_name,depth,indicator,numerator,denominator,value,target,gap,met\r\n";
    ck_assert_int_eq(strncmp(r->body, header, strlen(header)), 0);
    int lines = 0;
    for (const char *p = r->body; (p = strstr(p, "\r\n")) != NULL; p += 2) lines++;
    ck_assert_int_eq(lines, 1 + NU * 5);
    /* H's CT3 for 2026S1: H and S1 complete of H, S1, S2 (S3 closed): 2 of 3. */
    const char *h_ct3 = fmt("\r\n%s,%s,0,CT3,2,3,66.7,100,33.3,false\r\n", g_code[H], g_name[H]);
    ck_assert_msg(strstr(r->body, h_ct3) != NULL, "no H CT3 row %s in %s", h_ct3, r->body);
    /* A ward has no facility: empty value, gap and met. */
    const char *w1_ct3 = fmt("\r\n%s,%s,1,CT3,0,0,,100,,\r\n", g_code[W1], g_name[W1]);
    ck_assert_msg(strstr(r->body, w1_ct3) != NULL, "no W1 CT3 row %s in %s", w1_ct3, r->body);
    /* The first data row is H's CT1: 4 of 10. */
    const char *first = fmt("%s%s,%s,0,CT1,4,10,40,100,60,false\r\n", header, g_code[H], g_name[H]);
    ck_assert_msg(strncmp(r->body, first, strlen(first)) == 0, "first rows: %.300s", r->body);
    resp_free(r);
}
END_TEST

START_TEST(scope_hides_units_outside_the_callers_subtree_as_404)
{
    resp *r = rollup(T_SD_MANAGER, g_unit[H], "2026-02", 1);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = rollup(T_SD_REPORTER, g_unit[W1], "2026-02", 0);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = rollup(T_SD_MANAGER, 999999999, "2026-02", 1);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = rollup(T_SYT_VIEWER, g_unit[H], "2026-02", 1);
    ASSERT_STATUS(r, 200);
    check_unit(rollup_row(r, g_unit[H]), &CASES[1].total, 2026, "viewer 2026-02 H");
    resp_free(r);
    r = rollup(T_INTEGRATION, g_unit[S1], "2026-02", 0);
    ASSERT_STATUS(r, 200);
    check_unit(rollup_row(r, g_unit[S1]), &CASES[1].u[S1], 2026, "integration 2026-02 S1");
    resp_free(r);
    r = http_get(fmt("/api/v1/indicators/rollup?unit_id=%lld&period=2026-02", g_unit[H]), NULL);
    ASSERT_STATUS(r, 401);
    resp_free(r);
}
END_TEST

START_TEST(bad_queries_are_400_and_a_period_not_started_is_422)
{
    long long h = g_unit[H];
    const char *bad[] = {fmt("/api/v1/indicators/rollup?unit_id=%lld", h), "/api/v1/indicators/rollup?period=2026-02",
                         fmt("/api/v1/indicators/rollup?unit_id=%lld&period=2026-13", h),
                         fmt("/api/v1/indicators/rollup?unit_id=%lld&period=last-month", h),
                         fmt("/api/v1/indicators/rollup?unit_id=%lld&period=2026-02&depth=11", h),
                         fmt("/api/v1/indicators/rollup?unit_id=%lld&period=2026-02&depth=-1", h),
                         fmt("/api/v1/indicators/rollup?unit_id=%lld&period=2026-02&depth=x", h),
                         "/api/v1/indicators/rollup?unit_id=abc&period=2026-02",
                         fmt("/api/v1/indicators/rollup?unit_id=%lld&period=2026-02&colour=red", h)};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        resp *r = http_get(bad[i], T_ADMIN);
        ck_assert_msg(r->status == 400, "%s gave %ld", bad[i], r->status);
        resp_free(r);
    }
    /* depth 10 is the most there is. */
    resp *r = http_get(fmt("/api/v1/indicators/rollup?unit_id=%lld&period=2026-02&depth=10", h), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "units")), NU);
    resp_free(r);
    /* Without depth: 1. */
    r = http_get(fmt("/api/v1/indicators/rollup?unit_id=%lld&period=2026-02", h), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "units")), NU);
    resp_free(r);
    const char *future[] = {"2099", "2099-01", "2099Q1", "2099S2"};
    for (int i = 0; i < 4; i++) {
        r = rollup(T_ADMIN, h, future[i], 1);
        ck_assert_msg(r->status == 422, "%s gave %ld", future[i], r->status);
        json_t *e = json_array_get(json_object_get(r->json, "errors"), 0);
        ck_assert_str_eq(json_string_value(json_object_get(e, "field")), "period");
        resp_free(r);
    }
}
END_TEST

static json_t *target_of(json_t *indicator, int year)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(indicator, "targets"), i, t)
        if (json_integer_value(json_object_get(t, "year")) == year) return t;
    return NULL;
}

START_TEST(indicators_list_ct1_to_ct5_with_their_seeded_targets)
{
    resp *r = http_get("/api/v1/indicators", T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 5);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 5);
    static const char *const codes[] = {"CT1", "CT2", "CT3", "CT4", "CT5"};
    for (int i = 0; i < 5; i++) {
        json_t *it = json_array_get(items, (size_t)i);
        ck_assert_str_eq(json_string_value(json_object_get(it, "code")), codes[i]);
        static const char *const keys[] = {"name_vi", "name_en", "numerator_vi", "denominator_vi", "definition"};
        for (int k = 0; k < 5; k++)
            ck_assert_msg(json_string_length(json_object_get(it, keys[k])) > 0, "%s has no %s", codes[i], keys[k]);
    }
    json_t *ct1 = json_array_get(items, 0), *ct2 = json_array_get(items, 1), *ct4 = json_array_get(items, 3);
    ck_assert_str_eq(json_string_value(json_object_get(ct1, "name_en")),
                     "Staff who understand digital transformation and use the work platforms fluently");
    json_t *t = target_of(ct1, 2025);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(json_tenths(json_object_get(t, "target")), 800);
    ck_assert(json_is_true(json_object_get(t, "strict")));
    ck_assert(json_is_null(json_object_get(t, "deadline")));
    ck_assert_str_eq(json_string_value(json_object_get(t, "note")), "Kế hoạch 19/KH-TTYT: trên 80%");
    t = target_of(ct1, 2026);
    ck_assert_int_eq(json_tenths(json_object_get(t, "target")), 1000);
    ck_assert(json_is_false(json_object_get(t, "strict")));
    t = target_of(ct2, 2026);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(json_tenths(json_object_get(t, "target")), 1000);
    ck_assert(json_is_false(json_object_get(t, "strict")));
    ck_assert_str_eq(json_string_value(json_object_get(t, "deadline")), "2026-06-30");
    ck_assert_str_eq(json_string_value(json_object_get(t, "note")), "Kế hoạch 2948/KH-SYT: hoàn thành trước 30/6/2026");
    ck_assert_ptr_null(target_of(ct2, 2025));
    t = target_of(ct4, 2025);
    ck_assert_int_eq(json_tenths(json_object_get(t, "target")), 600);
    ck_assert(json_is_true(json_object_get(t, "strict")));
    /* targets are in year order */
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(ct1, "targets"), 0), "year")), 2025);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(ct1, "targets"), 1), "year")), 2026);
    resp_free(r);
    r = http_get("/api/v1/indicators?limit=2&offset=1", T_SYT_VIEWER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 5);
    ck_assert_int_eq(jint(r, "limit"), 2);
    ck_assert_int_eq(jint(r, "offset"), 1);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r->json, "items"), 0), "code")), "CT2");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r->json, "items"), 1), "code")), "CT3");
    resp_free(r);
    r = http_get("/api/v1/indicators?limit=0", T_ADMIN);
    ASSERT_STATUS(r, 400);
    resp_free(r);
}
END_TEST

START_TEST(admin_sets_a_yearly_target_201_then_200_others_403_unknown_404)
{
    /* The suite runs again on the same database: start with no CT5 target for 2027. */
    PGresult *d = PQexec(test_db(), "DELETE FROM indicator_targets WHERE indicator = 'CT5' AND year = 2027");
    ck_assert_int_eq(PQresultStatus(d), PGRES_COMMAND_OK);
    PQclear(d);
    const char *path = "/api/v1/indicators/CT5/targets/2027";
    resp *r = http_send_json("PUT", path, T_ADMIN,
                             "{\"target\":95.5,\"strict\":true,\"deadline\":\"2027-06-30\",\"note\":\"Dự thảo kế hoạch 2027\"}");
    ASSERT_STATUS(r, 201);
    char loc[128];
    ck_assert_str_eq(resp_header(r, "Location", loc, sizeof loc), path);
    ck_assert_str_eq(jstr(r, "indicator"), "CT5");
    ck_assert_int_eq(jint(r, "year"), 2027);
    ck_assert_int_eq(json_tenths(json_object_get(r->json, "target")), 955);
    ck_assert(json_is_true(json_object_get(r->json, "strict")));
    ck_assert_str_eq(jstr(r, "deadline"), "2027-06-30");
    ck_assert_str_eq(jstr(r, "note"), "Dự thảo kế hoạch 2027");
    resp_free(r);
    r = http_send_json("PUT", path, T_ADMIN, "{\"target\":100,\"strict\":false,\"deadline\":null,\"note\":null}");
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(json_tenths(json_object_get(r->json, "target")), 1000);
    ck_assert(json_is_false(json_object_get(r->json, "strict")));
    ck_assert(json_is_null(json_object_get(r->json, "deadline")));
    ck_assert(json_is_null(json_object_get(r->json, "note")));
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM indicator_targets WHERE indicator = 'CT5' AND year = 2027"
                              " AND target = 100 AND NOT strict AND deadline IS NULL AND note IS NULL", NULL), 1);
    /* The list shows it. */
    r = http_get("/api/v1/indicators", T_SYT_VIEWER);
    json_t *t = target_of(json_array_get(json_object_get(r->json, "items"), 4), 2027);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(json_tenths(json_object_get(t, "target")), 1000);
    resp_free(r);
    /* Only the admin sets targets. */
    const char *tokens[] = {T_SYT_MANAGER, T_SD_MANAGER, T_SD_REPORTER, T_SYT_VIEWER, T_INTEGRATION};
    for (int i = 0; i < 5; i++) {
        r = http_send_json("PUT", path, tokens[i], "{\"target\":50}");
        ASSERT_STATUS(r, 403);
        resp_free(r);
    }
    expect(http_send_json("PUT", "/api/v1/indicators/CT9/targets/2027", T_ADMIN, "{\"target\":50}"), 404);
    expect(http_send_json("PUT", "/api/v1/indicators/CT5/targets/1999", T_ADMIN, "{\"target\":50}"), 404);
    expect(http_send_json("PUT", "/api/v1/indicators/CT5/targets/2101", T_ADMIN, "{\"target\":50}"), 404);
    r = http_send_json("PUT", path, T_ADMIN, "{\"target\":100.5,\"colour\":\"red\"}");
    ASSERT_STATUS(r, 422);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "errors")), 2);
    resp_free(r);
    expect(http_send_json("PUT", path, T_ADMIN, "{}"), 422);
    /* Nothing of the refused requests was written. */
    ck_assert_int_eq(db_count("SELECT count(*) FROM indicator_targets WHERE indicator = 'CT5' AND year = 2027 AND target = 100", NULL), 1);
}
END_TEST

Suite *indicators_suite(void)
{
    Suite *s = suite_create("indicators");
    TCase *t = tcase_create("rollup");
    tcase_set_timeout(t, 120);
    tcase_add_unchecked_fixture(t, scenario_setup, NULL);
    tcase_add_test(t, rollup_of_a_month_counts_staff_facilities_and_support_as_counted_by_hand);
    tcase_add_test(t, rollup_of_a_quarter_counts_as_of_its_last_day_and_sums_its_months);
    tcase_add_test(t, rollup_of_a_half_year_drops_the_closed_station_and_counts_the_newcomer);
    tcase_add_test(t, rollup_of_2025_is_as_things_stood_then_with_the_strict_2025_targets);
    tcase_add_test(t, parent_figures_are_children_sums_plus_its_own_never_averages);
    tcase_add_test(t, ct4_counts_the_largest_service_per_unit_and_month_summed_over_months);
    tcase_add_test(t, a_running_year_counts_as_of_today);
    tcase_add_test(t, reports_expected_and_received_count_units_below_for_exactly_the_period);
    tcase_add_test(t, csv_has_one_row_per_unit_and_indicator);
    tcase_add_test(t, scope_hides_units_outside_the_callers_subtree_as_404);
    tcase_add_test(t, bad_queries_are_400_and_a_period_not_started_is_422);
    suite_add_tcase(s, t);
    t = tcase_create("freshness");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, every_write_shows_in_the_next_rollup);
    suite_add_tcase(s, t);
    t = tcase_create("definitions");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, indicators_list_ct1_to_ct5_with_their_seeded_targets);
    tcase_add_test(t, admin_sets_a_yearly_target_201_then_200_others_403_unknown_404);
    suite_add_tcase(s, t);
    return s;
}
