/* Issue 12 §2, DHIS2 out of the box: the metadata package, units mapped to DHIS2 org units
 * (dhis2_id: PATCH, create, the units load) and the data export DHIS2 imports as it is.
 *
 * Every export these tests fetch goes through dhis2_check, a validator of DHIS2's own import
 * rules, learnt from dhis2-core (the data entry import, DataEntryInput and the E81xx/E80xx error
 * codes of ErrorCode; the metadata import): the data set exists and the period is written in
 * its period type's format (E8021); every data element is one of the data set's (E8020, E8103);
 * a category option combo, when given, is one of the data element's category combination
 * (E8024, E8108), and a value without one needs a data element whose combination is the default;
 * every org unit is a unit's dhis2_id, written as orgUnitIdScheme says (E8106, E8107); values are
 * JSON strings that are valid INTEGER_ZERO_OR_POSITIVE values (E8122); no two values share
 * (dataElement, period, orgUnit, categoryOptionCombo, attributeOptionCombo) (E8128);
 * completeDate needs the data set, org unit, period and attribute option combo at the set's
 * level (E8009) and is a date (E8008). The metadata itself: UIDs of 11 characters, a letter
 * then letters or digits, unique; codes and short names of at most 50 characters; every
 * reference resolves to an object of the package (or DHIS2's default category combination).
 *
 * The tree is the test's own, under TTYT-SD, for June 2026 (long past): D (mapped) has a
 * health centre H (mapped) and a station S2 (not mapped); H has a station S1 (not mapped). */
#include "client.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PERIOD "2026-06"
#define DEFAULT_COMBO "bjDvmb4bfuf"

static int matches(const char *s, const char *re)
{
    regex_t rx;
    ck_assert_int_eq(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
    int ok = regexec(&rx, s, 0, NULL, 0) == 0;
    regfree(&rx);
    return ok;
}

static const char *sget(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The object of array arr whose "id" is id, or NULL. */
static json_t *by_id(const json_t *arr, const char *id)
{
    size_t i;
    json_t *o;
    json_array_foreach (arr, i, o)
        if (id && sget(o, "id") && strcmp(sget(o, "id"), id) == 0) return o;
    return NULL;
}

static void check_uid(const char *what, const char *id)
{
    ck_assert_msg(id && matches(id, "^[A-Za-z][A-Za-z0-9]{10}$"), "%s: %s is not a DHIS2 UID", what, id ? id : "(none)");
}

/* ---- the validator ---------------------------------------------------------------------------- */

/* The metadata package's own rules: UIDs, unique ids, codes and short names, references. */
static void metadata_check(const json_t *m)
{
    static const char *const kinds[] = {"categoryOptions", "categories", "categoryCombos", "categoryOptionCombos",
                                        "dataElements", "dataSets"};
    json_t *seen = json_object();
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        json_t *arr = json_object_get(m, kinds[k]), *o;
        ck_assert_msg(json_is_array(arr) && json_array_size(arr) > 0, "%s missing", kinds[k]);
        json_t *names = json_object(), *shorts = json_object(), *codes = json_object();
        size_t i;
        json_array_foreach (arr, i, o) {
            const char *id = sget(o, "id"), *code = sget(o, "code"), *name = sget(o, "name"), *sn = sget(o, "shortName");
            check_uid(kinds[k], id);
            ck_assert_msg(json_object_get(seen, id) == NULL, "UID %s used twice", id);
            json_object_set_new(seen, id, json_true());
            ck_assert_msg(code && strlen(code) <= 50 && json_object_get(codes, code) == NULL, "%s code %s", kinds[k], code);
            json_object_set_new(codes, code, json_true());
            ck_assert_msg(name && strlen(name) <= 230 && json_object_get(names, name) == NULL, "%s name %s", kinds[k], name);
            json_object_set_new(names, name, json_true());
            if (sn) {
                ck_assert_msg(strlen(sn) <= 50 && json_object_get(shorts, sn) == NULL, "%s shortName %s", kinds[k], sn);
                json_object_set_new(shorts, sn, json_true());
            }
        }
        json_decref(names);
        json_decref(shorts);
        json_decref(codes);
    }
    json_decref(seen);
    size_t i, j;
    json_t *o, *ref;
    json_array_foreach (json_object_get(m, "categories"), i, o)
        json_array_foreach (json_object_get(o, "categoryOptions"), j, ref)
            ck_assert_ptr_nonnull(by_id(json_object_get(m, "categoryOptions"), sget(ref, "id")));
    json_array_foreach (json_object_get(m, "categoryCombos"), i, o)
        json_array_foreach (json_object_get(o, "categories"), j, ref)
            ck_assert_ptr_nonnull(by_id(json_object_get(m, "categories"), sget(ref, "id")));
    json_array_foreach (json_object_get(m, "categoryOptionCombos"), i, o) {
        ck_assert_ptr_nonnull(by_id(json_object_get(m, "categoryCombos"), sget(json_object_get(o, "categoryCombo"), "id")));
        json_array_foreach (json_object_get(o, "categoryOptions"), j, ref)
            ck_assert_ptr_nonnull(by_id(json_object_get(m, "categoryOptions"), sget(ref, "id")));
    }
    json_array_foreach (json_object_get(m, "dataElements"), i, o) {
        const char *cc = sget(json_object_get(o, "categoryCombo"), "id");
        ck_assert_msg(strcmp(cc, DEFAULT_COMBO) == 0 || by_id(json_object_get(m, "categoryCombos"), cc), "combo %s", cc);
        ck_assert_msg(matches(sget(o, "aggregationType"), "^(SUM|LAST)$"), "aggregation");
    }
    json_array_foreach (json_object_get(m, "dataSets"), i, o) {
        ck_assert_msg(matches(sget(o, "periodType"), "^(Monthly|Quarterly|SixMonthly|Yearly)$"), "period type");
        json_array_foreach (json_object_get(o, "dataSetElements"), j, ref) {
            ck_assert_str_eq(sget(json_object_get(ref, "dataSet"), "id"), sget(o, "id"));
            ck_assert_ptr_nonnull(by_id(json_object_get(m, "dataElements"), sget(json_object_get(ref, "dataElement"), "id")));
        }
    }
}

/* The format of a period of a DHIS2 period type. */
static const char *period_re(const char *ptype)
{
    if (strcmp(ptype, "Monthly") == 0) return "^[0-9]{4}(0[1-9]|1[0-2])$";
    if (strcmp(ptype, "Quarterly") == 0) return "^[0-9]{4}Q[1-4]$";
    if (strcmp(ptype, "SixMonthly") == 0) return "^[0-9]{4}S[12]$";
    return "^[0-9]{4}$";
}

/* Is data element de one of data set ds's? */
static int in_data_set(const json_t *ds, const char *de)
{
    size_t i;
    json_t *e;
    json_array_foreach (json_object_get(ds, "dataSetElements"), i, e)
        if (strcmp(sget(json_object_get(e, "dataElement"), "id"), de) == 0) return 1;
    return 0;
}

/* Applies DHIS2's import rules to a data value set x (view=dhis2) against the metadata m. */
static void dhis2_check(const json_t *m, const json_t *x)
{
    json_t *ds = by_id(json_object_get(m, "dataSets"), sget(x, "dataSet"));
    ck_assert_msg(ds != NULL, "data set %s is not in the metadata", sget(x, "dataSet"));
    const char *ptype = sget(ds, "periodType"), *pe = sget(x, "period"), *scheme = sget(x, "orgUnitIdScheme");
    ck_assert_msg(pe && matches(pe, period_re(ptype)), "period %s is not %s", pe, ptype);
    ck_assert_msg(scheme && matches(scheme, "^(UID|CODE)$"), "orgUnitIdScheme");
    if (json_object_get(x, "completeDate")) { /* E8009, E8008 */
        ck_assert_ptr_nonnull(sget(x, "orgUnit"));
        ck_assert_ptr_nonnull(sget(x, "attributeOptionCombo"));
        ck_assert_msg(matches(sget(x, "completeDate"), "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"), "completeDate");
    }
    json_t *keys = json_object();
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(x, "dataValues"), i, v) {
        const char *de = sget(v, "dataElement"), *ou = sget(v, "orgUnit"), *coc = sget(v, "categoryOptionCombo");
        ck_assert_msg(sget(v, "period") && strcmp(sget(v, "period"), pe) == 0, "value %zu: period", i);
        json_t *el = by_id(json_object_get(m, "dataElements"), de);
        ck_assert_msg(el != NULL, "value %zu: data element %s not in the metadata", i, de);
        ck_assert_msg(in_data_set(ds, de), "value %zu: data element %s not in data set %s", i, de, sget(ds, "code"));
        const char *cc = sget(json_object_get(el, "categoryCombo"), "id");
        if (coc == NULL) {
            ck_assert_msg(json_object_get(v, "categoryOptionCombo") == NULL, "value %zu: COC not a string", i);
            ck_assert_msg(strcmp(cc, DEFAULT_COMBO) == 0, "value %zu: %s needs a category option combo", i, de);
        } else {
            json_t *c = by_id(json_object_get(m, "categoryOptionCombos"), coc);
            ck_assert_msg(c != NULL, "value %zu: option combo %s not in the metadata", i, coc);
            ck_assert_str_eq(sget(json_object_get(c, "categoryCombo"), "id"), cc);
        }
        ck_assert_msg(ou != NULL && db_count("SELECT count(*) FROM units WHERE dhis2_id = $1", ou) == 1,
                      "value %zu: org unit %s is no unit's dhis2_id", i, ou ? ou : "(none)");
        if (strcmp(scheme, "UID") == 0) check_uid("orgUnit", ou);
        ck_assert_msg(json_is_string(json_object_get(v, "value")), "value %zu: not a string", i);
        ck_assert_msg(matches(sget(v, "value"), "^(0|[1-9][0-9]*)$"), "value %zu: %s", i, sget(v, "value"));
        const char *key = fmt("%s|%s|%s|%s|%s", de, pe, ou, coc ? coc : "HllvX50cXC0",
                              sget(v, "attributeOptionCombo") ? sget(v, "attributeOptionCombo") : "HllvX50cXC0");
        ck_assert_msg(json_object_get(keys, key) == NULL, "value %zu duplicates %s", i, key);
        json_object_set_new(keys, key, json_true());
    }
    json_decref(keys);
}

static json_t *g_meta;

static const json_t *metadata(void)
{
    if (g_meta == NULL) {
        resp *r = http_get("/api/v1/exports/dhis2/metadata", T_SYT_VIEWER);
        ASSERT_STATUS(r, 200);
        metadata_check(r->json);
        g_meta = json_incref(r->json);
        resp_free(r);
    }
    return g_meta;
}

/* The UID the metadata gives the object of kind with code. */
static const char *uid_of(const char *kind, const char *code)
{
    size_t i;
    json_t *o;
    json_array_foreach (json_object_get(metadata(), kind), i, o)
        if (strcmp(sget(o, "code"), code) == 0) return sget(o, "id");
    ck_abort_msg("%s %s not in the metadata", kind, code);
    return NULL;
}

/* GET the export (query after unit_id and period); a 200 is validated. */
static resp *export(const char *token, long long unit, const char *period, const char *query)
{
    resp *r = http_get(fmt("/api/v1/exports/dhis2?unit_id=%lld&period=%s%s", unit, period, query ? query : ""), token);
    if (r->status == 200) dhis2_check(metadata(), r->json);
    return r;
}

/* The value sent for (org unit, data element code, option combo code or NULL), "" when none. */
static const char *value_of(const resp *r, const char *ou, const char *de_code, const char *coc_code)
{
    const char *de = uid_of("dataElements", de_code), *coc = coc_code ? uid_of("categoryOptionCombos", coc_code) : NULL;
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(r->json, "dataValues"), i, v)
        if (strcmp(sget(v, "orgUnit"), ou) == 0 && strcmp(sget(v, "dataElement"), de) == 0 &&
            (coc ? sget(v, "categoryOptionCombo") && strcmp(sget(v, "categoryOptionCombo"), coc) == 0
                 : sget(v, "categoryOptionCombo") == NULL))
            return sget(v, "value");
    return "";
}

/* ---- the tree ----------------------------------------------------------------------------------- */

/* A new DHIS2 UID-shaped org unit id. */
static const char *new_ou(char out[12])
{
    static unsigned n;
    unsigned long x = ((unsigned long)time(NULL) * 7919ul + (unsigned long)getpid() * 104729ul + ++n * 15485863ul) %
                      1000000000ul;
    snprintf(out, 12, "Ou%09lu", x);
    return out;
}

static void map_unit(long long unit, const char *dhis2_id)
{
    resp *r = send_obj("PATCH", fmt("/api/v1/units/%lld", unit), T_ADMIN,
                       dhis2_id ? json_pack("{s:s}", "dhis2_id", dhis2_id) : json_pack("{s:n}", "dhis2_id"));
    ASSERT_STATUS(r, 200);
    if (dhis2_id) ck_assert_str_eq(jstr(r, "dhis2_id"), dhis2_id);
    else ck_assert(json_is_null(json_object_get(r->json, "dhis2_id")));
    resp_free(r);
}

static void staff_of(const char *unit_code, int n)
{
    for (int i = 0; i < n; i++)
        created_id(send_obj("POST", "/api/v1/staff", T_SD_MANAGER,
                            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "code", fmt("DH2-%s", uniq()), "full_name",
                                      "Lê Thị Mai", "unit_code", unit_code, "job_group", "nurse", "employment",
                                      "public_employee", "joined_on", "2025-01-01")));
}

static void support(long long unit, const char *group, int count)
{
    created_id(send_obj("POST", "/api/v1/support-counts", T_ADMIN,
                        json_pack("{s:I, s:s, s:s, s:s, s:i}", "unit_id", (json_int_t)unit, "month", PERIOD, "service",
                                  "vneid_card", "target_group", group, "count", count)));
}

typedef struct tree {
    long long d, h, s1, s2;
    char dc[64], hc[64], s1c[64], s2c[64], dou[12], hou[12];
} tree;

static void build(tree *t)
{
    t->d = make_test_unit("DD", "Đơn vị DHIS2", "other", "TTYT-SD", t->dc, 64);
    oblige_every_child(t->d);
    t->h = make_test_unit("DH", "Trung tâm DHIS2", "health_centre", t->dc, t->hc, 64);
    oblige_every_child(t->h);
    t->s1 = make_test_unit("DS1", "Trạm DHIS2 1", "commune_station", t->hc, t->s1c, 64);
    t->s2 = make_test_unit("DS2", "Trạm DHIS2 2", "commune_station", t->dc, t->s2c, 64);
    map_unit(t->d, new_ou(t->dou));
    map_unit(t->h, new_ou(t->hou));
    staff_of(t->dc, 1);
    staff_of(t->hc, 2);
    staff_of(t->s1c, 1);
    staff_of(t->s2c, 1);
    support(t->h, "elderly", 3);
    support(t->s1, "elderly", 5);
    support(t->s2, "general", 4);
}

/* Every data value of the per-unit view (view=units), added up by the org unit each unit goes
 * to (map: unit code -> dhis2_id), must be the DHIS2 view's value, and nothing else is sent. */
static void same_as_units_view(const resp *d, const resp *u, const char *const map[][2], size_t nmap)
{
    json_t *sum = json_object();
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(u->json, "dataValues"), i, v) {
        const char *ou = NULL;
        for (size_t k = 0; k < nmap; k++)
            if (strcmp(map[k][0], sget(v, "orgUnit")) == 0) ou = map[k][1];
        ck_assert_msg(ou != NULL, "unit %s not in the map", sget(v, "orgUnit"));
        const char *coc = strcmp(sget(v, "categoryOptionCombo"), "default") == 0
                              ? "-"
                              : uid_of("categoryOptionCombos", fmt("BDHVS_TG_%s", sget(v, "categoryOptionCombo")));
        const char *key = fmt("%s|%s|%s", ou, uid_of("dataElements", sget(v, "dataElement")), coc);
        json_object_set_new(sum, key, json_integer(json_integer_value(json_object_get(sum, key)) + atoll(sget(v, "value"))));
    }
    ck_assert_int_eq(json_array_size(json_object_get(d->json, "dataValues")), json_object_size(sum));
    json_array_foreach (json_object_get(d->json, "dataValues"), i, v) {
        const char *coc = sget(v, "categoryOptionCombo");
        json_t *s = json_object_get(sum, fmt("%s|%s|%s", sget(v, "orgUnit"), sget(v, "dataElement"), coc ? coc : "-"));
        ck_assert_msg(s != NULL, "value %zu not in the per-unit view", i);
        ck_assert_str_eq(sget(v, "value"), fmt("%lld", (long long)json_integer_value(s)));
    }
    json_decref(sum);
}

/* ---- tests ---------------------------------------------------------------------------------------- */

/* The package: what each data element is and how it aggregates; the same UIDs on every GET
 * (derived from codes), so a second import into DHIS2 changes nothing. */
START_TEST(metadata_package_is_complete_and_stable)
{
    const json_t *m = metadata();
    ck_assert_str_eq(uid_of("dataElements", "BDHVS_STAFF_ACTIVE"), "ee6n6AvtyjX");
    ck_assert_str_eq(uid_of("dataSets", "BDHVS_MONTHLY"), "ywmlC4n7jfQ");
    static const char *const last[] = {"BDHVS_STAFF_ACTIVE", "BDHVS_CT1_NUM", "BDHVS_CT2_NUM", "BDHVS_CT2_COURSE",
                                       "BDHVS_CT2_VNEID", "BDHVS_CT5_NUM", "BDHVS_FACILITIES",
                                       "BDHVS_FACILITIES_ALL_SERVICES", "BDHVS_CT5_DEN"};
    static const char *const sum[] = {"BDHVS_CT4_NUM", "BDHVS_PATIENTS_SERVED", "BDHVS_SUPPORT_VNEID_CARD"};
    for (size_t i = 0; i < sizeof last / sizeof last[0]; i++)
        ck_assert_str_eq(sget(by_id(json_object_get(m, "dataElements"), uid_of("dataElements", last[i])),
                              "aggregationType"), "LAST");
    for (size_t i = 0; i < sizeof sum / sizeof sum[0]; i++)
        ck_assert_str_eq(sget(by_id(json_object_get(m, "dataElements"), uid_of("dataElements", sum[i])),
                              "aggregationType"), "SUM");
    /* One data element per support service, broken down by target group; the others by default. */
    long long services = db_count("SELECT count(*) FROM support_services WHERE $1 = $1", "x");
    long long groups = db_count("SELECT count(*) FROM target_groups WHERE $1 = $1", "x");
    ck_assert_int_eq((long long)json_array_size(json_object_get(m, "dataElements")), 11 + services); /* 11: BDHVS_CT5_DEN (0037) */
    ck_assert_int_eq((long long)json_array_size(json_object_get(m, "categoryOptionCombos")), groups);
    ck_assert_int_eq((long long)json_array_size(json_object_get(m, "categoryOptions")), groups);
    json_t *vn = by_id(json_object_get(m, "dataElements"), uid_of("dataElements", "BDHVS_SUPPORT_VNEID_CARD"));
    ck_assert_str_eq(sget(json_object_get(vn, "categoryCombo"), "id"), uid_of("categoryCombos", "BDHVS_TARGET_GROUP"));
    /* A data set per period type, each with every data element. */
    static const char *const sets[][2] = {{"BDHVS_MONTHLY", "Monthly"}, {"BDHVS_QUARTERLY", "Quarterly"},
                                          {"BDHVS_SIXMONTHLY", "SixMonthly"}, {"BDHVS_YEARLY", "Yearly"}};
    ck_assert_int_eq(json_array_size(json_object_get(m, "dataSets")), 4);
    for (size_t i = 0; i < 4; i++) {
        json_t *ds = by_id(json_object_get(m, "dataSets"), uid_of("dataSets", sets[i][0]));
        ck_assert_str_eq(sget(ds, "periodType"), sets[i][1]);
        ck_assert_int_eq(json_array_size(json_object_get(ds, "dataSetElements")),
                         json_array_size(json_object_get(m, "dataElements")));
    }
    resp *again = http_get("/api/v1/exports/dhis2/metadata", T_INTEGRATION);
    ASSERT_STATUS(again, 200);
    ck_assert(json_equal(again->json, (json_t *)m));
    resp_free(again);
    resp *anon = http_get("/api/v1/exports/dhis2/metadata", NULL);
    ASSERT_STATUS(anon, 401);
    resp_free(anon);
}
END_TEST

/* The export of D: only D's and H's org units; S1's figures added to H's, S2's to D's, as the
 * answer says; the support counts by target group, the rest without an option combo. */
START_TEST(export_sends_mapped_units_with_their_unmapped_descendants)
{
    tree t;
    build(&t);
    resp *d = export(T_SD_REPORTER, t.d, PERIOD, NULL);
    ASSERT_STATUS(d, 200);
    ck_assert_str_eq(jstr(d, "dataSet"), uid_of("dataSets", "BDHVS_MONTHLY"));
    ck_assert_str_eq(jstr(d, "period"), "202606");
    ck_assert_str_eq(jstr(d, "orgUnitIdScheme"), "UID");
    ck_assert_ptr_null(json_object_get(d->json, "completeDate"));
    ck_assert_str_eq(value_of(d, t.dou, "BDHVS_STAFF_ACTIVE", NULL), "2");
    ck_assert_str_eq(value_of(d, t.hou, "BDHVS_STAFF_ACTIVE", NULL), "3");
    ck_assert_str_eq(value_of(d, t.hou, "BDHVS_SUPPORT_VNEID_CARD", "BDHVS_TG_ELDERLY"), "8");
    ck_assert_str_eq(value_of(d, t.dou, "BDHVS_SUPPORT_VNEID_CARD", "BDHVS_TG_GENERAL"), "4");
    ck_assert_str_eq(value_of(d, t.dou, "BDHVS_SUPPORT_VNEID_CARD", "BDHVS_TG_ELDERLY"), "");
    json_t *b = json_object_get(d->json, "bdhvs");
    ck_assert_str_eq(sget(b, "data_set_code"), "BDHVS_MONTHLY");
    ck_assert_str_eq(sget(b, "period"), PERIOD);
    json_t *want = json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}]", "unit_code", t.s1c, "sent_as_unit_code", t.hc,
                             "org_unit", t.hou, "unit_code", t.s2c, "sent_as_unit_code", t.dc, "org_unit", t.dou);
    ck_assert_msg(json_equal(json_object_get(b, "routed"), want), "routed: %s", d->body);
    json_decref(want);
    ck_assert_int_eq(json_array_size(json_object_get(b, "unmapped")), 0);
    /* The whole set is the per-unit view added up by mapping. */
    resp *u = http_get(fmt("/api/v1/exports/dhis2?unit_id=%lld&period=%s&view=units", t.d, PERIOD), T_SD_REPORTER);
    ASSERT_STATUS(u, 200);
    const char *const map[][2] = {{t.dc, t.dou}, {t.s2c, t.dou}, {t.hc, t.hou}, {t.s1c, t.hou}};
    same_as_units_view(d, u, map, 4);
    resp_free(u);
    resp_free(d);
    /* The quarter: the quarterly data set, the same stocks (LAST: staff as of 30 June). */
    resp *q = export(T_SD_REPORTER, t.d, "2026Q2", "&period_type=Quarterly");
    ASSERT_STATUS(q, 200);
    ck_assert_str_eq(jstr(q, "dataSet"), uid_of("dataSets", "BDHVS_QUARTERLY"));
    ck_assert_str_eq(jstr(q, "period"), "2026Q2");
    ck_assert_str_eq(value_of(q, t.hou, "BDHVS_STAFF_ACTIVE", NULL), "3");
    ck_assert_str_eq(value_of(q, t.hou, "BDHVS_SUPPORT_VNEID_CARD", "BDHVS_TG_ELDERLY"), "8");
    resp_free(q);
    /* The half year and the year validate as well. */
    resp *s = export(T_SD_REPORTER, t.d, "2026S1", NULL);
    ASSERT_STATUS(s, 200);
    ck_assert_str_eq(jstr(s, "dataSet"), uid_of("dataSets", "BDHVS_SIXMONTHLY"));
    resp_free(s);
    resp *y = export(T_SD_REPORTER, t.d, "2025", NULL);
    ASSERT_STATUS(y, 200);
    ck_assert_str_eq(jstr(y, "dataSet"), uid_of("dataSets", "BDHVS_YEARLY"));
    resp_free(y);
}
END_TEST

/* A subtree whose root is not mapped: the units with nothing mapped above them are named and
 * left out; a unit not mapped under a mapped one is refused (it would send part of that one). */
START_TEST(unmapped_units_are_stated_or_refused)
{
    tree t;
    build(&t);
    map_unit(t.d, NULL);
    resp *d = export(T_SD_REPORTER, t.d, PERIOD, NULL);
    ASSERT_STATUS(d, 200);
    json_t *want = json_pack("[s, s]", t.dc, t.s2c);
    ck_assert_msg(json_equal(json_object_get(json_object_get(d->json, "bdhvs"), "unmapped"), want), "%s", d->body);
    json_decref(want);
    ck_assert_str_eq(value_of(d, t.hou, "BDHVS_STAFF_ACTIVE", NULL), "3");
    ck_assert_str_eq(value_of(d, t.hou, "BDHVS_SUPPORT_VNEID_CARD", "BDHVS_TG_GENERAL"), "");
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(d->json, "dataValues"), i, v)
        ck_assert_str_eq(sget(v, "orgUnit"), t.hou);
    resp_free(d);
    resp *s1 = export(T_SD_REPORTER, t.s1, PERIOD, NULL);
    ASSERT_STATUS(s1, 422);
    assert_one_error(s1, "unit_id", fmt("is not mapped to DHIS2 (no dhis2_id): its figures are sent as unit %s's; export %s",
                                        t.hc, t.hc));
    resp_free(s1);
    /* The per-unit view still answers for it. */
    resp *u = http_get(fmt("/api/v1/exports/dhis2?unit_id=%lld&period=%s&view=units", t.s1, PERIOD), T_SD_REPORTER);
    ASSERT_STATUS(u, 200);
    resp_free(u);
}
END_TEST

/* H's report approved: the set of H alone (H and S1) carries the completion, on both bases, and
 * so does D's on the approved basis (only H's figures were signed); D's current set (two org
 * units) cannot carry it (DHIS2 registers completion per org unit only). */
START_TEST(an_approved_period_carries_complete_date)
{
    tree t;
    build(&t);
    resp *h = export(T_SD_REPORTER, t.h, PERIOD, NULL);
    ASSERT_STATUS(h, 200);
    ck_assert_ptr_null(json_object_get(h->json, "completeDate"));
    ck_assert_ptr_null(json_object_get(h->json, "orgUnit"));
    resp_free(h);
    static const char *const units[] = {"s1", "h"};
    for (int k = 0; k < 2; k++) {
        long long unit = k == 0 ? t.s1 : t.h;
        report_submitted(unit, PERIOD);
        req_opts o = {.token = T_SD_MANAGER};
        resp *r = http_do("POST", fmt("/api/v1/reports/%lld/%s/approve", unit, PERIOD), &o);
        ck_assert_msg(r->status == 200, "approve %s: %ld %s", units[k], r->status, r->body);
        resp_free(r);
    }
    char today[11];
    server_today(today);
    static const char *const bases[] = {"", "&basis=approved"};
    for (int b = 0; b < 2; b++) {
        h = export(T_SD_REPORTER, t.h, PERIOD, bases[b]);
        ASSERT_STATUS(h, 200);
        ck_assert_str_eq(jstr(h, "completeDate"), today);
        ck_assert_str_eq(jstr(h, "orgUnit"), t.hou);
        ck_assert_str_eq(jstr(h, "attributeOptionCombo"), "HllvX50cXC0");
        ck_assert_str_eq(value_of(h, t.hou, "BDHVS_STAFF_ACTIVE", NULL), "3");
        ck_assert_str_eq(value_of(h, t.hou, "BDHVS_SUPPORT_VNEID_CARD", "BDHVS_TG_ELDERLY"), "8");
        resp_free(h);
    }
    /* D on the approved basis: only what was signed (H and S1), so one org unit, complete. */
    resp *d = export(T_SD_REPORTER, t.d, PERIOD, "&basis=approved");
    ASSERT_STATUS(d, 200);
    ck_assert_str_eq(jstr(d, "completeDate"), today);
    ck_assert_str_eq(jstr(d, "orgUnit"), t.hou);
    ck_assert_str_eq(value_of(d, t.hou, "BDHVS_STAFF_ACTIVE", NULL), "3");
    ck_assert_str_eq(value_of(d, t.dou, "BDHVS_STAFF_ACTIVE", NULL), "");
    resp_free(d);
    /* On the current basis D's set holds D and H: no completion (DHIS2 takes it per org unit). */
    d = export(T_SD_REPORTER, t.d, PERIOD, NULL);
    ASSERT_STATUS(d, 200);
    ck_assert_ptr_null(json_object_get(d->json, "completeDate"));
    ck_assert_ptr_null(json_object_get(d->json, "orgUnit"));
    ck_assert_str_eq(value_of(d, t.dou, "BDHVS_STAFF_ACTIVE", NULL), "2");
    resp_free(d);
}
END_TEST

/* One period type per export; the units' mapping is the admins' and well formed. */
START_TEST(bad_input_is_a_clear_problem)
{
    tree t;
    build(&t);
    resp *r = export(T_SD_REPORTER, t.d, "2026Q2", "&period_type=Monthly");
    ASSERT_STATUS(r, 422);
    assert_one_error(r, "period", "is Quarterly but period_type is Monthly: one export holds one period type, that of its data set");
    resp_free(r);
    const char *bad[] = {fmt("/api/v1/exports/dhis2?unit_id=%lld&period=%s&period_type=Weekly", t.d, PERIOD),
                         fmt("/api/v1/exports/dhis2?unit_id=%lld&period=%s&view=adx", t.d, PERIOD), NULL};
    assert_each_400(T_SD_REPORTER, "", bad);
    /* dhis2_id: a bad format, someone else's, a non-admin. */
    r = send_obj("PATCH", fmt("/api/v1/units/%lld", t.s1), T_ADMIN, json_pack("{s:s}", "dhis2_id", "not an id"));
    ASSERT_STATUS(r, 422);
    assert_one_error(r, "dhis2_id", "must be a DHIS2 UID or code: 1 to 50 of A-Z, a-z, 0-9, '_', '.' and '-', starting with a letter or digit");
    resp_free(r);
    r = send_obj("PATCH", fmt("/api/v1/units/%lld", t.s1), T_ADMIN, json_pack("{s:s}", "dhis2_id", t.hou));
    ASSERT_STATUS(r, 409);
    resp_free(r);
    r = send_obj("PATCH", fmt("/api/v1/units/%lld", t.s1), T_SD_MANAGER, json_pack("{s:s}", "dhis2_id", "OuNotMine01"));
    ASSERT_STATUS(r, 422);
    assert_one_error(r, "dhis2_id", "only an administrator maps a unit to DHIS2");
    resp_free(r);
    r = send_obj("PATCH", fmt("/api/v1/units/%lld", t.s1), T_ADMIN, json_pack("{s:i}", "dhis2_id", 7));
    ASSERT_STATUS(r, 422);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM units WHERE id = $1::bigint AND dhis2_id IS NULL", idstr(t.s1)), 1);
    /* Created mapped by an admin; a manager may not. */
    char nc[40], nou[12];
    snprintf(nc, sizeof nc, "DHN-%s", uniq());
    r = send_obj("POST", "/api/v1/units", T_ADMIN,
                 json_pack("{s:s, s:s, s:s, s:s, s:s}", "code", nc, "name", "Trạm mới", "type", "commune_station",
                           "parent_code", t.dc, "dhis2_id", new_ou(nou)));
    ASSERT_STATUS(r, 201);
    ck_assert_str_eq(jstr(r, "dhis2_id"), nou);
    resp_free(r);
    r = send_obj("POST", "/api/v1/units", T_SD_MANAGER,
                 json_pack("{s:s, s:s, s:s, s:s, s:s}", "code", fmt("DHM-%s", uniq()), "name", "Trạm", "type",
                           "commune_station", "parent_code", t.dc, "dhis2_id", "OuManager01"));
    ASSERT_STATUS(r, 422);
    assert_one_error(r, "dhis2_id", "only an administrator maps a unit to DHIS2");
    resp_free(r);
    /* A code (not a UID's shape) anywhere switches the org units to codes; cleared, back to UIDs. */
    char code[40];
    snprintf(code, sizeof code, "VN-%s", uniq());
    map_unit(t.s2, code);
    r = export(T_SD_REPORTER, t.d, PERIOD, NULL);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "orgUnitIdScheme"), "CODE");
    ck_assert_str_eq(value_of(r, code, "BDHVS_STAFF_ACTIVE", NULL), "1");
    ck_assert_str_eq(value_of(r, t.dou, "BDHVS_STAFF_ACTIVE", NULL), "1");
    resp_free(r);
    map_unit(t.s2, NULL);
    r = export(T_SD_REPORTER, t.d, PERIOD, NULL);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "orgUnitIdScheme"), "UID");
    resp_free(r);
}
END_TEST

/* The units load: new units under new or stored parents, mapped in the same pass; a dry run
 * and a bad file write nothing; every problem of a bad file at once. */
START_TEST(units_import_maps_and_refuses_bad_rows)
{
    char d[64], a[40], b[40], oa[12], od[12];
    long long dd = make_test_unit("DI", "Đơn vị nạp", "other", "TTYT-SD", d, sizeof d);
    snprintf(a, sizeof a, "DIA-%s", uniq());
    snprintf(b, sizeof b, "DIB-%s", uniq());
    new_ou(oa);
    new_ou(od);
    const char *csv = fmt("code,name,type,parent_code,dhis2_id\r\n"
                          "%s,Trạm B,commune_station,%s,\r\n"
                          "%s,Trung tâm A,health_centre,%s,%s\r\n"
                          "%s,Đơn vị nạp,other,TTYT-SD,%s\r\n",
                          b, a, a, d, oa, d, od);
    resp *r = post_csv(1 ? "/api/v1/units/import?dry_run=true" : "/api/v1/units/import", T_ADMIN, csv);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "created"), 2);
    ck_assert_int_eq(jint(r, "updated"), 1);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM units WHERE code = $1", a), 0);
    r = post_csv(0 ? "/api/v1/units/import?dry_run=true" : "/api/v1/units/import", T_SD_MANAGER, csv);
    ASSERT_STATUS(r, 403);
    resp_free(r);
    r = post_csv(0 ? "/api/v1/units/import?dry_run=true" : "/api/v1/units/import", T_ADMIN, csv);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "created"), 2);
    ck_assert_int_eq(jint(r, "updated"), 1);
    resp_free(r);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM units u JOIN units p ON p.id = u.parent_id"
                               " WHERE u.code = $1 AND p.code = $2", b, a), 1);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM units WHERE code = $1 AND dhis2_id = $2", a, oa), 1);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM units WHERE id = $1::bigint AND dhis2_id = $2", idstr(dd), od), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE action = 'import' AND entity = 'unit'"
                              " AND after::text LIKE '%' || $1 || '%'", a), 1);
    r = post_csv(0 ? "/api/v1/units/import?dry_run=true" : "/api/v1/units/import", T_ADMIN, csv);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "unchanged"), 3);
    resp_free(r);
    /* The same name written decomposed (e + combining marks) is the same name. */
    r = post_csv(0 ? "/api/v1/units/import?dry_run=true" : "/api/v1/units/import", T_ADMIN,
                 fmt("code,name,type,parent_code\r\n%s,Trung ta\xcc\x82m A,health_centre,%s\r\n", a, d));
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "unchanged"), 1);
    resp_free(r);
    /* Two units swap their DHIS2 org units in one load. */
    r = post_csv(
        0 ? "/api/v1/units/import?dry_run=true" : "/api/v1/units/import", T_ADMIN,
        fmt("code,name,type,dhis2_id\r\n%s,Trung tâm A,health_centre,%s\r\n%s,Đơn vị nạp,other,%s\r\n", a, od, d, oa));
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "updated"), 2);
    resp_free(r);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM units WHERE code = $1 AND dhis2_id = $2", a, od), 1);
    r = post_csv(
        0 ? "/api/v1/units/import?dry_run=true" : "/api/v1/units/import", T_ADMIN,
        fmt("code,name,type,dhis2_id\r\n%s,Trung tâm A,health_centre,%s\r\n%s,Đơn vị nạp,other,%s\r\n", a, oa, d, od));
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "updated"), 2);
    resp_free(r);
    /* The new units export at once: B's figures go to A. */
    staff_of(b, 2);
    r = export(T_SD_REPORTER, dd, PERIOD, NULL);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(value_of(r, oa, "BDHVS_STAFF_ACTIVE", NULL), "2");
    resp_free(r);
    /* Every problem at once, nothing written. */
    char x1[40], x2[40], x3[40], y[40];
    snprintf(x1, sizeof x1, "DIX1-%s", uniq());
    snprintf(x2, sizeof x2, "DIX2-%s", uniq());
    snprintf(x3, sizeof x3, "DIX3-%s", uniq());
    snprintf(y, sizeof y, "DIY-%s", uniq());
    const char *bad = fmt("code,name,type,parent_code,dhis2_id\r\n"
                          "%s,X1,wardx,NO-SUCH-UNIT,bad id\r\n"      /* row 2: type, parent, dhis2_id */
                          "%s,X2,ward,%s,\r\n"                       /* row 3: a cycle with row 4 */
                          "%s,X3,ward,%s,\r\n"                       /* row 4 */
                          "%s,A again,health_centre,TTYT-SD,%s\r\n"  /* row 5: a load does not move */
                          "%s,Y,ward,%s,%s\r\n"                      /* row 6: A's dhis2_id, twice in the file */
                          "%s,Y,ward,%s,\r\n",                       /* row 7: the code twice */
                          x1, x2, x3, x3, x2, a, oa, y, d, oa, y, d);
    r = post_csv(0 ? "/api/v1/units/import?dry_run=true" : "/api/v1/units/import", T_ADMIN, bad);
    ASSERT_STATUS(r, 422);
    static const char *const want[][2] = {{"2", "dhis2_id"},    {"2", "parent_code"}, {"2", "type"},
                                          {"3", "parent_code"}, {"4", "parent_code"}, {"5", "parent_code"},
                                          {"6", "dhis2_id"},    {"6", "dhis2_id"},    {"7", "code"}};
    json_t *errs = json_object_get(r->json, "errors");
    ck_assert_msg(json_array_size(errs) == sizeof want / sizeof want[0], "%s", r->body);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        json_t *e = json_array_get(errs, i);
        ck_assert_int_eq(json_integer_value(json_object_get(e, "row")), atoi(want[i][0]));
        ck_assert_str_eq(sget(e, "field"), want[i][1]);
    }
    ck_assert_str_eq(sget(json_array_get(errs, 0), "message"),
                     "\"bad id\" is not a DHIS2 UID or code (1 to 50 of A-Z, a-z, 0-9, '_', '.' and '-', starting with a letter or digit)");
    ck_assert_str_eq(sget(json_array_get(errs, 1), "message"), "unit NO-SUCH-UNIT is unknown or not one of your units");
    ck_assert_str_eq(sget(json_array_get(errs, 3), "message"), "the new units' parents lead back to this unit");
    ck_assert_str_eq(sget(json_array_get(errs, 5), "message"),
                     fmt("differs from the unit's stored parent (%s): a load does not move units", d));
    ck_assert_int_eq(count_errors(r, "dhis2_id", fmt("is already the dhis2_id of unit %s", a)), 1);
    ck_assert_int_eq(count_errors(r, "dhis2_id", "this dhis2_id appears more than once in this load (first at row 5)"), 1);
    ck_assert_int_eq(count_errors(r, "code", "appears more than once in this load (first at row 6)"), 1);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM units WHERE code = $1", x2), 0);
}
END_TEST

Suite *s9_dhis2_suite(void)
{
    Suite *s = suite_create("s9_dhis2");
    TCase *t = tcase_create("dhis2");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, metadata_package_is_complete_and_stable);
    tcase_add_test(t, export_sends_mapped_units_with_their_unmapped_descendants);
    tcase_add_test(t, unmapped_units_are_stated_or_refused);
    tcase_add_test(t, an_approved_period_carries_complete_date);
    tcase_add_test(t, bad_input_is_a_clear_problem);
    tcase_add_test(t, units_import_maps_and_refuses_bad_rows);
    suite_add_tcase(s, t);
    return s;
}
