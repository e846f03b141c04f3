/* The message catalogue: see include/bdhvs/problems.h. */
#include "bdhvs/problems.h"

#include <stdio.h>
#include <string.h>

typedef struct problem_msg {
    const char *code;
    const char *text[PROBLEM_LANGS]; /* templates: {name} is params' name */
} problem_msg;

/* Sorted by code only for the reader; looked up by a scan (a few dozen entries). */
static const problem_msg CATALOGUE[] = {
    /* one cell or field */
    {"required", {"is required"}},
    {"not_a_field", {"is not a field of this resource"}},
    {"not_a_string", {"must be a string"}},
    {"empty", {"must not be empty"}},
    {"length", {"must be {min} to {max} characters long"}},
    {"not_an_id", {"must be a positive whole number"}},
    {"not_true_false", {"must be true or false"}},
    {"date_format", {"must be a date written YYYY-MM-DD"}},
    {"required_or", {"is required (or {other})"}},
    {"party_admin_only", {"may be set only by admins and managers"}},
    {"month_format", {"must be a month written YYYY-MM (or YYYYMM)"}},
    {"count_range", {"must be a whole number from 0 to 2147483647"}},
    {"too_long", {"is longer than {max} characters"}},
    {"code_opaque", {"may hold only letters A-Z, digits, '.', '_' and '-' ({min} to {max})"}},
    {"code_ref", {"must be {min} to {max} of a-z, 0-9 and _, starting with a letter"}},
    {"not_a_date", {"\"{value}\" is not a date written YYYY-MM-DD"}},
    {"future", {"must not be in the future"}},
    {"not_a_bool", {"\"{value}\" is not true or false"}},
    {"not_a_month", {"\"{value}\" is not a month written YYYY-MM (or YYYYMM)"}},
    {"not_a_count", {"\"{value}\" is not a whole number from 0 to 2147483647"}},
    /* the shape of a bulk load */
    {"not_a_column", {"is not a column of this load"}},
    {"header_twice", {"appears twice in the header"}},
    {"required_column", {"is a required column"}},
    {"cells_count", {"has {cells} cells where the header has {header}"}},
    {"row_too_long", {"is longer than {max} bytes"}},
    {"not_an_object", {"must be a JSON object"}},
    {"not_a_load_field", {"is not a field of this load"}},
    {"nul_chars", {"must not contain NUL characters"}},
    {"not_a_scalar", {"must be a string, a number, true, false or null"}},
    /* references (bulk loads name the code they could not find) */
    {"unit_unknown", {"unit {unit} is unknown or not one of your units"}},
    {"unit_closed", {"unit {unit} is closed"}},
    {"staff_unknown", {"staff member {staff} is unknown or not in your units"}},
    {"course_unknown", {"course {course} is unknown"}},
    {"course_missing", {"no such course"}},
    {"unit_missing", {"no such unit"}},
    {"unit_id_code_differ", {"unit id and code do not name the same unit"}},
    {"unit_closed_here", {"that unit is closed"}},
    {"staff_missing", {"no such staff member"}},
    {"code_in_use", {"is already in use"}},
    /* reference codes (migration 0015) */
    {"job_group_inactive", {"\"{value}\" is not an active job group code (see /api/v1/job-groups)"}},
    {"employment_inactive", {"\"{value}\" is not an active employment type code (see /api/v1/employment-types)"}},
    {"skill_inactive", {"\"{value}\" is not an active skill code (see /api/v1/skills)"}},
    {"support_service_inactive",
     {"\"{value}\" is not an active support service code (see /api/v1/support-services)"}},
    {"target_group_inactive", {"\"{value}\" is not an active target group code (see /api/v1/target-groups)"}},
    /* dates against stored data (migration 0015) */
    {"left_before_joined", {"is before joined_on"}},
    {"joined_after_left", {"is after the left_on already stored ({left_on})"}},
    {"completed_before_joined", {"is before the staff member joined ({joined_on})"}},
    /* a staff import row that moves someone: a transfer (migration 0025, as transfers.c checks one) */
    {"transfer_before_joined", {"the transfer effective {day} is before the staff member joined ({joined_on})"}},
    {"transfer_after_left", {"the transfer effective {day} is after the staff member's last working day ({left_on})"}},
    {"transfer_beyond_horizon",
     {"the transfer effective {day} is more than {days} days ahead (after {last_day}; BDHVS_TRANSFER_HORIZON_DAYS)"}},
    {"transfer_overlaps",
     {"the transfer effective {day} overlaps the transfer to {unit} effective {from}: transfers are recorded in date "
      "order, so a new one must be dated after {from}"}},
    {"transfer_unit_not_open", {"{unit} is not open on {day}, the day the transfer takes effect"}},
    {"transfer_same_unit", {"the staff member already belongs to {unit} on {day}"}},
    {"transfer_across_subtrees",
     {"moving the staff member to {unit} is a transfer across subtrees (outside the subtree of their unit's parent): "
      "it needs a manager of a unit above both units, or an administrator"}},
    /* a key twice in one load */
    {"repeated_code", {"appears more than once in this load (first at row {first})"}},
    {"repeated_staff_course", {"this staff member and course appear more than once (first at row {first})"}},
    {"repeated_staff_skill", {"this staff member and skill appear more than once (first at row {first})"}},
    {"repeated_unit_month_service_group",
     {"this unit, month, service and target group appear more than once (first at row {first})"}},
    {"repeated_unit_month", {"this unit and month appear more than once (first at row {first})"}},
    /* warnings of accepted rows */
    {"count_above_served",
     {"{total} people supported with {service} in {month} (all target groups) are more than the {served} patients "
      "served by {unit} that month"}},
    {"served_below_count", {"is less than the {total} people supported with {service} in {month} (all target groups)"}},
    /* the units load (issue 12 §2) */
    {"unit_type", {"\"{value}\" is not a unit type (department_of_health, office, hospital, health_centre, cdc, ward, "
                   "unit_office, commune_station, other)"}},
    {"parent_differs", {"differs from the unit's stored parent ({parent}): a load does not move units"}},
    {"parent_cycle", {"the new units' parents lead back to this unit"}},
    {"dhis2_id_format",
     {"\"{value}\" is not a DHIS2 UID or code (1 to 50 of A-Z, a-z, 0-9, '_', '.' and '-', starting with a letter or digit)"}},
    {"repeated_dhis2_id", {"this dhis2_id appears more than once in this load (first at row {first})"}},
    {"dhis2_id_in_use", {"is already the dhis2_id of unit {unit}"}},
};

static const problem_msg *find(const char *code)
{
    for (size_t i = 0; i < sizeof CATALOGUE / sizeof CATALOGUE[0]; i++)
        if (strcmp(CATALOGUE[i].code, code) == 0) return &CATALOGUE[i];
    return NULL;
}

int problem_known(const char *code)
{
    return find(code) != NULL;
}

/* Appends the text of params' value name to out at *len. */
static void put_param(const json_t *params, const char *name, size_t nlen, char *out, size_t cap, size_t *len)
{
    char key[64], num[32];
    if (nlen >= sizeof key) nlen = sizeof key - 1;
    memcpy(key, name, nlen);
    key[nlen] = '\0';
    const json_t *v = params ? json_object_get(params, key) : NULL;
    const char *s = "";
    if (json_is_string(v)) {
        s = json_string_value(v);
    } else if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        s = num;
    }
    size_t n = strlen(s);
    if (n > cap - 1 - *len) n = cap - 1 - *len;
    memcpy(out + *len, s, n);
    *len += n;
}

void problem_render(problem_lang lang, const char *code, const json_t *params, char *out, size_t cap)
{
    if (cap == 0) return;
    const problem_msg *m = find(code);
    const char *t = m ? m->text[lang] : code;
    if (t == NULL) t = m->text[PROBLEM_EN];
    size_t len = 0;
    for (const char *p = t; *p && len < cap - 1;) {
        const char *end = *p == '{' ? strchr(p, '}') : NULL;
        if (end != NULL) {
            put_param(params, p + 1, (size_t)(end - p - 1), out, cap, &len);
            p = end + 1;
        } else {
            out[len++] = *p++;
        }
    }
    out[len] = '\0';
    out[utf8_prefix(out, len)] = '\0'; /* a value cut at cap keeps whole characters */
}

void verrs_problem(verrs *v, const char *field, const char *code, const json_t *params)
{
    char msg[VERRS_MESSAGE_MAX + 1];
    problem_render(PROBLEM_EN, code, params, msg, sizeof msg);
    verrs_add(v, field, "%s", msg);
}

void verrs_problem_n2(verrs *v, const char *field, const char *code, const char *a, long long na, const char *b,
                      long long nb)
{
    json_t *params = json_pack("{s:I, s:I}", a, (json_int_t)na, b, (json_int_t)nb);
    if (params == NULL) v->lost++; /* fail closed: the request is refused all the same */
    verrs_problem(v, field, code, params);
    json_decref(params);
}
