/* Bulk loads: CSV or JSON rows, checked in full (every bad row named), staged with COPY into a
 * temporary table and merged on natural keys in one transaction: all or nothing. Idempotent
 * with an Idempotency-Key. A load may also replace (?mode=replace: stored rows of the groups the
 * file covers that the file does not have are removed) and warn about rows it accepts. */
#include "common.h"
#include "handlers.h"
#include "bdhvs/csvin.h"
#include "bdhvs/import_cells.h"
#include "bdhvs/period.h"

#include <sodium.h>
#include <time.h>
#include <stdarg.h>
#include <strings.h>
#include <malloc.h>

#define MAX_REPORTED_ERRORS 1000 /* also in CHECKS_TAIL */

/* Every check statement answers (row, field, message, number of problems found): the first
 * MAX_REPORTED_ERRORS in row order and the count of all, so that a file with a million bad rows
 * does not come back as a million result rows. Codes are resolved only through scoped_units and
 * scoped_staff (migration 0011): a code outside the caller's units is an unknown code. */
#define CHECKS_HEAD "SELECT row, field, message, count(*) OVER () FROM ("
#define CHECKS_TAIL ") e ORDER BY row, field LIMIT 1000"

#define UNIT_REF_CHECK                                                                                         \
    " SELECT s.row, 'unit_code' AS field, 'unit ' || s.unit_code || ' is unknown or not one of your units' AS message" \
    "   FROM import_stage s LEFT JOIN scoped_units($1) u ON u.code = s.unit_code"                             \
    "   WHERE s.unit_code IS NOT NULL AND u.id IS NULL"

typedef struct import_spec {
    const char *entity, *endpoint;
    const import_col *cols;
    int ncols;
    const char *stage_ddl;
    db_stmt *checks; /* $1 scope[, $2 present columns when it declares 2] -> (row, field, message), ordered */
    /* $1 present columns, $2 replace (bool), $3 scope -> created, updated,
     * unchanged, changed keys (json)[, removed, removed keys (json)] */
    db_stmt *merge;
    int replaceable;   /* takes ?mode=replace */
    db_stmt *warnings; /* NULL, or run after the merge ($1 scope): (row, field, message) of accepted rows */
} import_spec;

/* ---- staff ---- */
static const import_col STAFF_COLS[] = {
    {"code", 1, K_CODE, 40, 0},        {"full_name", 1, K_TEXT, 200, 0},     {"unit_code", 1, K_TEXT, 32, 0},
    {"job_group", 1, K_TEXT, 40, 0},   {"employment", 1, K_TEXT, 40, 0},     {"party_member", 0, K_BOOL, 5, 0},
    {"joined_on", 1, K_DATE, 10, 1},   {"left_on", 0, K_DATE, 10, 0},        {"vneid_confirmed_on", 0, K_DATE, 10, 1},
    {"vneid_source", 0, K_TEXT, 100, 0}};

/* The staging table of each load (COPY target; dropped at commit). */
#define STAFF_STAGE \
    "CREATE TEMP TABLE import_stage (row integer, code text, full_name text, unit_code text, job_group text," \
    " employment text, party_member text, joined_on text, left_on text, vneid_confirmed_on text," \
    " vneid_source text) ON COMMIT DROP"
#define COMPLETION_STAGE \
    "CREATE TEMP TABLE import_stage (row integer, staff_code text, course_code text, completed_on text," \
    " certificate_no text) ON COMMIT DROP"
#define ATTESTATION_STAGE \
    "CREATE TEMP TABLE import_stage (row integer, staff_code text, skill text, attested_on text) ON COMMIT DROP"
#define SUPPORT_COUNT_STAGE \
    "CREATE TEMP TABLE import_stage (row integer, unit_code text, month text, service text, target_group text," \
    " count text) ON COMMIT DROP"
#define PATIENTS_SERVED_STAGE \
    "CREATE TEMP TABLE import_stage (row integer, unit_code text, month text, count text) ON COMMIT DROP"

DB_STMT_SETUP(STAFF_CHECKS, "import_staff_checks",
    CHECKS_HEAD UNIT_REF_CHECK
    " UNION ALL SELECT s.row, 'unit_code', 'unit ' || s.unit_code || ' is closed'"
    "   FROM import_stage s JOIN scoped_units($1) u ON u.code = s.unit_code WHERE NOT u.active"
    " UNION ALL SELECT s.row, 'job_group', '\"' || s.job_group || '\" is not an active job group code'"
    "   FROM import_stage s WHERE s.job_group IS NOT NULL AND NOT EXISTS (SELECT 1 FROM job_groups j WHERE j.code = s.job_group AND j.active)"
    " UNION ALL SELECT s.row, 'employment', '\"' || s.employment || '\" is not an active employment type code'"
    "   FROM import_stage s WHERE s.employment IS NOT NULL AND NOT EXISTS (SELECT 1 FROM employment_types e WHERE e.code = s.employment AND e.active)"
    " UNION ALL SELECT s.row, 'left_on', 'is before joined_on' FROM import_stage s WHERE s.left_on::date < s.joined_on::date"
    /* Without a left_on column the stored one stays: it must not fall before the new joined_on. */
    " UNION ALL SELECT s.row, 'joined_on', 'is after the left_on already stored (' || st.left_on || ')'"
    "   FROM import_stage s JOIN scoped_staff($1) st ON st.code = s.code"
    "   WHERE NOT ('left_on' = ANY($2::text[])) AND st.left_on < s.joined_on::date"
    " UNION ALL SELECT d.row, 'code', 'appears more than once in this load (first at row ' || d.first || ')'"
    "   FROM (SELECT row, min(row) OVER (PARTITION BY code) AS first FROM import_stage WHERE code IS NOT NULL) d WHERE d.row <> d.first"
    /* A code held outside the caller's units: nothing about the holder, only that it is taken. */
    " UNION ALL SELECT s.row, 'code', 'is already in use' FROM import_stage s"
    "   WHERE EXISTS (SELECT 1 FROM staff st WHERE st.code = s.code)"
    "   AND NOT EXISTS (SELECT 1 FROM scoped_staff($1) st WHERE st.code = s.code)"
    CHECKS_TAIL, 2, STAFF_STAGE);

#define PRESENT(col) "('" col "' = ANY($1::text[]))"
DB_STMT_SETUP(STAFF_MERGE, "import_staff_merge",
    "WITH src AS (SELECT s.row, s.code, s.full_name, u.id AS unit_id, s.job_group, s.employment,"
    "   s.party_member::boolean AS party_member, s.joined_on::date AS joined_on, s.left_on::date AS left_on,"
    "   s.vneid_confirmed_on::date AS vneid_confirmed_on, s.vneid_source"
    "   FROM import_stage s JOIN scoped_units($3) u ON u.code = s.unit_code WHERE $2::boolean IS NOT NULL),"
    " cls AS (SELECT src.code, st.id AS existing, src.full_name, src.unit_id, src.job_group, src.employment,"
    "   CASE WHEN " PRESENT("party_member") " THEN coalesce(src.party_member, false) ELSE coalesce(st.party_member, false) END AS party_member,"
    "   src.joined_on,"
    "   CASE WHEN " PRESENT("left_on") " THEN src.left_on ELSE st.left_on END AS left_on,"
    "   CASE WHEN " PRESENT("vneid_confirmed_on") " THEN src.vneid_confirmed_on ELSE st.vneid_confirmed_on END AS vneid_confirmed_on,"
    "   CASE WHEN " PRESENT("vneid_source") " THEN src.vneid_source ELSE st.vneid_source END AS vneid_source,"
    "   st.id IS NOT NULL AND (st.full_name, st.unit_id, st.job_group, st.employment, st.party_member, st.joined_on,"
    "     st.left_on, st.vneid_confirmed_on, st.vneid_source) IS NOT DISTINCT FROM"
    "     (src.full_name, src.unit_id, src.job_group, src.employment,"
    "      CASE WHEN " PRESENT("party_member") " THEN coalesce(src.party_member, false) ELSE st.party_member END,"
    "      src.joined_on,"
    "      CASE WHEN " PRESENT("left_on") " THEN src.left_on ELSE st.left_on END,"
    "      CASE WHEN " PRESENT("vneid_confirmed_on") " THEN src.vneid_confirmed_on ELSE st.vneid_confirmed_on END,"
    "      CASE WHEN " PRESENT("vneid_source") " THEN src.vneid_source ELSE st.vneid_source END) AS same"
    "   FROM src LEFT JOIN scoped_staff($3) st ON st.code = src.code),"
    " ins AS (INSERT INTO staff (code, full_name, unit_id, job_group, employment, party_member, joined_on, left_on,"
    "   vneid_confirmed_on, vneid_source) SELECT code, full_name, unit_id, job_group, employment, party_member,"
    "   joined_on, left_on, vneid_confirmed_on, vneid_source FROM cls WHERE existing IS NULL RETURNING code),"
    " upd AS (UPDATE staff st SET full_name = cls.full_name, unit_id = cls.unit_id, job_group = cls.job_group,"
    "   employment = cls.employment, party_member = cls.party_member, joined_on = cls.joined_on,"
    "   left_on = cls.left_on, vneid_confirmed_on = cls.vneid_confirmed_on, vneid_source = cls.vneid_source,"
    "   updated_at = now() FROM cls WHERE st.id = cls.existing AND NOT cls.same RETURNING st.code)"
    " SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM upd), (SELECT count(*) FROM cls WHERE same),"
    "   (SELECT coalesce(json_agg(k), '[]') FROM (SELECT code AS k FROM ins UNION ALL SELECT code FROM upd LIMIT 1000) x)", 3, STAFF_STAGE);

/* ---- completions ---- */
static const import_col COMPLETION_COLS[] = {
    {"staff_code", 1, K_TEXT, 40, 0}, {"course_code", 1, K_TEXT, 100, 0},
    {"completed_on", 1, K_DATE, 10, 1}, {"certificate_no", 0, K_TEXT, 100, 0}};

#define STAFF_REF_CHECK                                                                                        \
    " SELECT s.row, 'staff_code' AS field, 'staff member ' || s.staff_code || ' is unknown or not in your units' AS message" \
    "   FROM import_stage s LEFT JOIN scoped_staff($1) st ON st.code = s.staff_code"                           \
    "   WHERE s.staff_code IS NOT NULL AND st.id IS NULL"

DB_STMT_SETUP(COMPLETION_CHECKS, "import_completion_checks",
    CHECKS_HEAD STAFF_REF_CHECK
    " UNION ALL SELECT s.row, 'course_code', 'course ' || s.course_code || ' is unknown'"
    "   FROM import_stage s WHERE s.course_code IS NOT NULL AND NOT EXISTS (SELECT 1 FROM courses k WHERE k.code = s.course_code)"
    " UNION ALL SELECT s.row, 'completed_on', 'is before the staff member joined (' || st.joined_on || ')'"
    "   FROM import_stage s JOIN scoped_staff($1) st ON st.code = s.staff_code WHERE s.completed_on::date < st.joined_on"
    " UNION ALL SELECT d.row, 'course_code', 'this staff member and course appear more than once (first at row ' || d.first || ')'"
    "   FROM (SELECT row, min(row) OVER (PARTITION BY staff_code, course_code) AS first FROM import_stage"
    "   WHERE staff_code IS NOT NULL AND course_code IS NOT NULL) d"
    "   WHERE d.row <> d.first"
    CHECKS_TAIL, 1, COMPLETION_STAGE);

DB_STMT_SETUP(COMPLETION_MERGE, "import_completion_merge",
    "WITH src AS (SELECT st.id AS staff_id, k.id AS course_id, s.staff_code || '/' || s.course_code AS key,"
    "   s.completed_on::date AS completed_on, s.certificate_no FROM import_stage s"
    "   JOIN scoped_staff($3) st ON st.code = s.staff_code JOIN courses k ON k.code = s.course_code"
    "   WHERE $2::boolean IS NOT NULL),"
    " cls AS (SELECT src.*, c.id AS existing,"
    "   CASE WHEN " PRESENT("certificate_no") " THEN src.certificate_no ELSE c.certificate_no END AS cert,"
    "   c.id IS NOT NULL AND c.completed_on = src.completed_on AND c.certificate_no IS NOT DISTINCT FROM"
    "   CASE WHEN " PRESENT("certificate_no") " THEN src.certificate_no ELSE c.certificate_no END AS same"
    "   FROM src LEFT JOIN completions c ON c.staff_id = src.staff_id AND c.course_id = src.course_id),"
    " ins AS (INSERT INTO completions (staff_id, course_id, completed_on, certificate_no)"
    "   SELECT staff_id, course_id, completed_on, cert FROM cls WHERE existing IS NULL RETURNING staff_id, course_id),"
    " upd AS (UPDATE completions c SET completed_on = cls.completed_on, certificate_no = cls.cert, updated_at = now()"
    "   FROM cls WHERE c.id = cls.existing AND NOT cls.same RETURNING cls.key)"
    " SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM upd), (SELECT count(*) FROM cls WHERE same),"
    "   (SELECT coalesce(json_agg(k), '[]') FROM (SELECT cls.key AS k FROM ins JOIN cls ON cls.staff_id = ins.staff_id"
    "    AND cls.course_id = ins.course_id UNION ALL SELECT key FROM upd LIMIT 1000) x)", 3, COMPLETION_STAGE);

/* ---- attestations ---- */
static const import_col ATTESTATION_COLS[] = {
    {"staff_code", 1, K_TEXT, 40, 0}, {"skill", 1, K_TEXT, 40, 0}, {"attested_on", 1, K_DATE, 10, 1}};

DB_STMT_SETUP(ATTESTATION_CHECKS, "import_attestation_checks",
    CHECKS_HEAD STAFF_REF_CHECK
    " UNION ALL SELECT s.row, 'skill', '\"' || s.skill || '\" is not an active skill code'"
    "   FROM import_stage s WHERE s.skill IS NOT NULL AND NOT EXISTS (SELECT 1 FROM skills k WHERE k.code = s.skill AND k.active)"
    " UNION ALL SELECT d.row, 'skill', 'this staff member and skill appear more than once (first at row ' || d.first || ')'"
    "   FROM (SELECT row, min(row) OVER (PARTITION BY staff_code, skill) AS first FROM import_stage"
    "   WHERE staff_code IS NOT NULL AND skill IS NOT NULL) d"
    "   WHERE d.row <> d.first"
    CHECKS_TAIL, 1, ATTESTATION_STAGE);

DB_STMT_SETUP(ATTESTATION_MERGE, "import_attestation_merge",
    "WITH src AS (SELECT st.id AS staff_id, s.skill, s.staff_code || '/' || s.skill AS key,"
    "   s.attested_on::date AS attested_on FROM import_stage s JOIN scoped_staff($3) st ON st.code = s.staff_code"
    "   WHERE $1::text[] IS NOT NULL AND $2::boolean IS NOT NULL),"
    " cls AS (SELECT src.*, a.id AS existing, a.id IS NOT NULL AND a.attested_on >= src.attested_on AS same"
    "   FROM src LEFT JOIN attestations a ON a.staff_id = src.staff_id AND a.skill = src.skill),"
    " ins AS (INSERT INTO attestations (staff_id, skill, attested_on)"
    "   SELECT staff_id, skill, attested_on FROM cls WHERE existing IS NULL RETURNING staff_id, skill),"
    " upd AS (UPDATE attestations a SET attested_on = cls.attested_on, updated_at = now()"
    "   FROM cls WHERE a.id = cls.existing AND NOT cls.same RETURNING cls.key)"
    " SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM upd), (SELECT count(*) FROM cls WHERE same),"
    "   (SELECT coalesce(json_agg(k), '[]') FROM (SELECT cls.key AS k FROM ins JOIN cls ON cls.staff_id = ins.staff_id"
    "    AND cls.skill = ins.skill UNION ALL SELECT key FROM upd LIMIT 1000) x)", 3, ATTESTATION_STAGE);

/* ---- support counts and patients served (monthly figures) ---- */
static const import_col SUPPORT_COUNT_COLS[] = {
    {"unit_code", 1, K_TEXT, 32, 0}, {"month", 1, K_MONTH, 7, 1}, {"service", 1, K_TEXT, 40, 0},
    {"target_group", 1, K_TEXT, 40, 0}, {"count", 1, K_COUNT, 10, 0}};

DB_STMT_SETUP(SUPPORT_COUNT_CHECKS, "import_support_count_checks",
    CHECKS_HEAD UNIT_REF_CHECK
    " UNION ALL SELECT s.row, 'service', '\"' || s.service || '\" is not an active support service code'"
    "   FROM import_stage s WHERE s.service IS NOT NULL"
    "   AND NOT EXISTS (SELECT 1 FROM support_services k WHERE k.code = s.service AND k.active)"
    " UNION ALL SELECT s.row, 'target_group', '\"' || s.target_group || '\" is not an active target group code'"
    "   FROM import_stage s WHERE s.target_group IS NOT NULL"
    "   AND NOT EXISTS (SELECT 1 FROM target_groups k WHERE k.code = s.target_group AND k.active)"
    " UNION ALL SELECT d.row, 'target_group', 'this unit, month, service and target group appear more than once"
    " (first at row ' || d.first || ')'"
    "   FROM (SELECT row, min(row) OVER (PARTITION BY unit_code, month, service, target_group) AS first"
    "   FROM import_stage WHERE unit_code IS NOT NULL AND month IS NOT NULL AND service IS NOT NULL"
    "   AND target_group IS NOT NULL) d WHERE d.row <> d.first"
    CHECKS_TAIL, 1, SUPPORT_COUNT_STAGE);

/* Stored counts of the (unit, month) pairs in the file that the file does not have are removed
 * when $2 (replace) holds. Inserts, updates and removals touch different rows. */
DB_STMT_SETUP(SUPPORT_COUNT_MERGE, "import_support_count_merge",
    "WITH src AS (SELECT u.id AS unit_id, s.month::date AS month, s.service, s.target_group, s.count::integer AS count,"
    "   s.unit_code || '/' || left(s.month, 7) || '/' || s.service || '/' || s.target_group AS key"
    "   FROM import_stage s JOIN scoped_units($3) u ON u.code = s.unit_code WHERE $1::text[] IS NOT NULL),"
    " cls AS (SELECT src.*, c.id AS existing, c.id IS NOT NULL AND c.count = src.count AS same"
    "   FROM src LEFT JOIN support_counts c ON c.unit_id = src.unit_id AND c.month = src.month"
    "   AND c.service = src.service AND c.target_group = src.target_group),"
    " ins AS (INSERT INTO support_counts (unit_id, month, service, target_group, count)"
    "   SELECT unit_id, month, service, target_group, count FROM cls WHERE existing IS NULL RETURNING 1),"
    " upd AS (UPDATE support_counts c SET count = cls.count, updated_at = now()"
    "   FROM cls WHERE c.id = cls.existing AND NOT cls.same RETURNING 1),"
    " del AS (DELETE FROM support_counts c USING units u WHERE $2::boolean AND u.id = c.unit_id"
    "   AND (c.unit_id, c.month) IN (SELECT unit_id, month FROM src)"
    "   AND NOT EXISTS (SELECT 1 FROM src WHERE src.unit_id = c.unit_id AND src.month = c.month"
    "     AND src.service = c.service AND src.target_group = c.target_group)"
    "   RETURNING u.code || '/' || to_char(c.month, 'YYYY-MM') || '/' || c.service || '/' || c.target_group AS key)"
    " SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM upd), (SELECT count(*) FROM cls WHERE same),"
    "   (SELECT coalesce(json_agg(k), '[]') FROM (SELECT key AS k FROM cls WHERE NOT same LIMIT 1000) x),"
    "   (SELECT count(*) FROM del), (SELECT coalesce(json_agg(k), '[]') FROM (SELECT key AS k FROM del LIMIT 1000) x)", 3, SUPPORT_COUNT_STAGE);

/* In the data as loaded: a service's count over all target groups above the patients served. */
DB_STMT_SETUP(SUPPORT_COUNT_WARNINGS, "import_support_count_warnings",
    "SELECT s.row, 'count', format('%s people supported with %s in %s (all target groups) are more than the'"
    "   || ' %s patients served by %s that month', t.total, s.service, left(s.month, 7), p.count, s.unit_code)"
    " FROM import_stage s JOIN scoped_units($1) u ON u.code = s.unit_code"
    " JOIN patients_served p ON p.unit_id = u.id AND p.month = s.month::date"
    " CROSS JOIN LATERAL (SELECT sum(c.count) AS total FROM support_counts c WHERE c.unit_id = u.id"
    "   AND c.month = s.month::date AND c.service = s.service) t"
    " WHERE t.total > p.count ORDER BY s.row", 1, SUPPORT_COUNT_STAGE);

static const import_col PATIENTS_SERVED_COLS[] = {
    {"unit_code", 1, K_TEXT, 32, 0}, {"month", 1, K_MONTH, 7, 1}, {"count", 1, K_COUNT, 10, 0}};

DB_STMT_SETUP(PATIENTS_SERVED_CHECKS, "import_patients_served_checks",
    CHECKS_HEAD UNIT_REF_CHECK
    " UNION ALL SELECT d.row, 'month', 'this unit and month appear more than once (first at row ' || d.first || ')'"
    "   FROM (SELECT row, min(row) OVER (PARTITION BY unit_code, month) AS first FROM import_stage"
    "   WHERE unit_code IS NOT NULL AND month IS NOT NULL) d WHERE d.row <> d.first"
    CHECKS_TAIL, 1, PATIENTS_SERVED_STAGE);

/* One figure per unit and month: the file has every stored value of the months it covers, so
 * replacing removes nothing. */
DB_STMT_SETUP(PATIENTS_SERVED_MERGE, "import_patients_served_merge",
    "WITH src AS (SELECT u.id AS unit_id, s.month::date AS month, s.count::integer AS count,"
    "   s.unit_code || '/' || left(s.month, 7) AS key"
    "   FROM import_stage s JOIN scoped_units($3) u ON u.code = s.unit_code"
    "   WHERE $1::text[] IS NOT NULL AND $2::boolean IS NOT NULL),"
    " cls AS (SELECT src.*, p.id AS existing, p.id IS NOT NULL AND p.count = src.count AS same"
    "   FROM src LEFT JOIN patients_served p ON p.unit_id = src.unit_id AND p.month = src.month),"
    " ins AS (INSERT INTO patients_served (unit_id, month, count)"
    "   SELECT unit_id, month, count FROM cls WHERE existing IS NULL RETURNING 1),"
    " upd AS (UPDATE patients_served p SET count = cls.count, updated_at = now()"
    "   FROM cls WHERE p.id = cls.existing AND NOT cls.same RETURNING 1)"
    " SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM upd), (SELECT count(*) FROM cls WHERE same),"
    "   (SELECT coalesce(json_agg(k), '[]') FROM (SELECT key AS k FROM cls WHERE NOT same LIMIT 1000) x)", 3, PATIENTS_SERVED_STAGE);

/* In the data as loaded: a figure below some service's count over all target groups. */
DB_STMT_SETUP(PATIENTS_SERVED_WARNINGS, "import_patients_served_warnings",
    "SELECT s.row, 'count', format('is less than the %s people supported with %s in %s (all target groups)',"
    "   t.total, t.service, left(s.month, 7))"
    " FROM import_stage s JOIN scoped_units($1) u ON u.code = s.unit_code"
    " CROSS JOIN LATERAL (SELECT c.service, sum(c.count) AS total FROM support_counts c WHERE c.unit_id = u.id"
    "   AND c.month = s.month::date GROUP BY c.service ORDER BY 2 DESC, 1 LIMIT 1) t"
    " WHERE t.total > s.count::integer ORDER BY s.row", 1, PATIENTS_SERVED_STAGE);

static const import_spec SPECS[] = {
    {"staff", "staff/import", STAFF_COLS, (int)(sizeof STAFF_COLS / sizeof STAFF_COLS[0]),
     STAFF_STAGE,
     &STAFF_CHECKS, &STAFF_MERGE},
    {"completion", "completions/import", COMPLETION_COLS, (int)(sizeof COMPLETION_COLS / sizeof COMPLETION_COLS[0]),
     COMPLETION_STAGE,
     &COMPLETION_CHECKS, &COMPLETION_MERGE},
    {"attestation", "attestations/import", ATTESTATION_COLS,
     (int)(sizeof ATTESTATION_COLS / sizeof ATTESTATION_COLS[0]),
     ATTESTATION_STAGE,
     &ATTESTATION_CHECKS, &ATTESTATION_MERGE},
    {"support_count", "support-counts/import", SUPPORT_COUNT_COLS,
     (int)(sizeof SUPPORT_COUNT_COLS / sizeof SUPPORT_COUNT_COLS[0]),
     SUPPORT_COUNT_STAGE,
     &SUPPORT_COUNT_CHECKS, &SUPPORT_COUNT_MERGE, 1, &SUPPORT_COUNT_WARNINGS},
    {"patients_served", "patients-served/import", PATIENTS_SERVED_COLS,
     (int)(sizeof PATIENTS_SERVED_COLS / sizeof PATIENTS_SERVED_COLS[0]),
     PATIENTS_SERVED_STAGE,
     &PATIENTS_SERVED_CHECKS, &PATIENTS_SERVED_MERGE, 1, &PATIENTS_SERVED_WARNINGS},
};

/* ---- errors ---- */

/* An error collector with a cap: counts every error, keeps the first MAX_REPORTED_ERRORS. An
 * error that cannot be built (out of memory) is never dropped silently: broken is set and the
 * request is refused as a whole. */
typedef struct errs {
    json_t *list;
    long count;
    int broken;
} errs;

static void err_add(errs *e, long row, const char *field, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void err_add(errs *e, long row, const char *field, const char *fmt, ...)
{
    e->count++;
    if (json_array_size(e->list) >= MAX_REPORTED_ERRORS) return;
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n < 0) {
        e->broken = 1;
        return;
    }
    /* Messages and field names (a header may name a column with any text) are cut on a
     * character boundary: a cut character would make the string invalid and jansson refuse it. */
    msg[utf8_prefix(msg, 400)] = '\0';
    char fbuf[204];
    size_t fl = utf8_prefix(field, 200);
    memcpy(fbuf, field, fl);
    fbuf[fl] = '\0';
    json_t *item = json_pack("{s:I, s:s, s:s}", "row", (json_int_t)row, "field", fbuf, "message", msg);
    free(msg);
    if (item == NULL || json_array_append_new(e->list, item) != 0) e->broken = 1;
}

/* ---- the streaming loader ---- */

/* One load on its way through: each row is read, checked and written to the COPY into
 * import_stage at once, then forgotten. What is kept for the whole load is only the capped error
 * lists and a fixed COPY buffer; the database holds the rows. */
#define OTHER_LOAD "This Idempotency-Key belongs to another load."

typedef struct loader {
    http_ctx *c;
    const import_spec *sp;
    errs *e;          /* problems of rows (their cells) */
    errs *shape;      /* problems that make the rows unreadable: header, JSON shape */
    int present[16];  /* columns the input has */
    int hidden;       /* column ignored for this caller (party_member below manager), or -1 */
    int map[64], ncols_in, header_cells; /* CSV: header cell -> column (-1: ignored), first 64 */
    int header_done;
    const char *cell[16];
    char num[16][32]; /* JSON numbers as text */
    long nrows, max_rows;
    int over_cap;
    int answered;     /* a response was made (database failure) */
    int staging;      /* COPY under way */
    char *buf;
    size_t len, cap;
    char today[11];
    const char *idem_key, *idem_hash; /* a keyed load that writes: locked when the load begins */
} loader;

static int col_index(const import_spec *sp, const char *name)
{
    for (int i = 0; i < sp->ncols; i++)
        if (strcmp(sp->cols[i].name, name) == 0) return i;
    return -1;
}

/* Maps a header (names) to the spec's columns; reports unknown, repeated and missing columns. */
static void map_header(loader *L, const char *const *names, int n)
{
    const import_spec *sp = L->sp;
    int seen[16] = {0};
    for (int i = 0; i < n; i++) {
        int k = col_index(sp, names[i]);
        L->map[i] = k == L->hidden ? -1 : k;
        if (k < 0) err_add(L->shape, 1, names[i], "is not a column of this load");
        else if (seen[k]) err_add(L->shape, 1, names[i], "appears twice in the header");
        else seen[k] = 1;
        if (k >= 0 && k != L->hidden) L->present[k] = 1;
    }
    for (int k = 0; k < sp->ncols; k++)
        if (sp->cols[k].required && !seen[k]) err_add(L->shape, 1, sp->cols[k].name, "is a required column");
}

/* Checks the cells of one row in L->cell; a bad cell is reported and staged empty, so that the
 * database checks still see the rest of the row. month is scratch space for a month's first day. */
static void check_row(loader *L, long row, char month[11])
{
    const import_spec *sp = L->sp;
    for (int k = 0; k < sp->ncols; k++) {
        char msg[160];
        if (import_cell_check(&sp->cols[k], L->cell[k], L->today, month, &L->cell[k], msg, sizeof msg) != 0)
            err_add(L->e, row, sp->cols[k].name, "%s", msg);
    }
}

/* Appends one COPY text-format field to the buffer. Returns -1 when out of memory. */
static int copy_field(loader *L, const char *v, int last)
{
    size_t need = (v ? strlen(v) * 2 : 2) + 2;
    if (L->len + need > L->cap) {
        size_t nc = L->cap ? L->cap * 2 : 65536;
        while (L->len + need > nc) nc *= 2;
        char *nb = realloc(L->buf, nc);
        if (nb == NULL) return -1;
        L->buf = nb;
        L->cap = nc;
    }
    char *w = L->buf + L->len;
    if (v == NULL) {
        *w++ = '\\';
        *w++ = 'N';
    } else {
        for (const char *p = v; *p; p++) {
            switch (*p) {
            case '\\': *w++ = '\\'; *w++ = '\\'; break;
            case '\t': *w++ = '\\'; *w++ = 't'; break;
            case '\n': *w++ = '\\'; *w++ = 'n'; break;
            case '\r': *w++ = '\\'; *w++ = 'r'; break;
            default: *w++ = *p;
            }
        }
    }
    *w++ = last ? '\n' : '\t';
    L->len = (size_t)(w - L->buf);
    return 0;
}

/* Opens the transaction, the staging table and the COPY. Returns -1 after answering. */
static int stage_open(loader *L)
{
    if (L->staging) return 0;
    http_ctx *c = L->c;
    if (api_begin(c) != 0) return L->answered = 1, -1;
    /* A second request with the same key waits here for the first, then replays its answer. */
    if (L->idem_key && api_idem_lock_and_replay(c, L->sp->endpoint, L->idem_key, L->idem_hash, OTHER_LOAD))
        return L->answered = 1, -1;
    if (db_exec(api_conn(c), L->sp->stage_ddl) != 0) {
        db_rollback(api_conn(c));
        respond_problem(c, 503, "The database refused the load; try again.");
        return L->answered = 1, -1;
    }
    if (db_copy_begin(api_conn(c), "COPY import_stage FROM STDIN") != 0) {
        db_rollback(api_conn(c));
        respond_problem(c, 503, "The database refused the load; try again.");
        return L->answered = 1, -1;
    }
    L->staging = 1;
    return 0;
}

static int stage_flush(loader *L)
{
    if (L->len == 0) return 0;
    int ok = db_copy_put(api_conn(L->c), L->buf, L->len) == 0;
    L->len = 0;
    return ok ? 0 : -1;
}

/* Ends the COPY: commits the staged rows to the table when ok, else aborts it and rolls back
 * (answering nothing). Returns 0 when the rows are staged; -1 after answering when ok held but
 * the database refused. */
static int stage_close(loader *L, int ok)
{
    if (!L->staging) return ok ? 0 : -1;
    http_ctx *c = L->c;
    L->staging = 0;
    if (ok && stage_flush(L) != 0) ok = 0;
    PGresult *res = db_copy_end(api_conn(c), ok);
    int staged = ok && db_ok(res);
    if (ok && !staged) api_db_error(c, res, "staging the load");
    PQclear(res);
    if (!staged) {
        db_rollback(api_conn(c));
        if (ok) L->answered = 1;
        return -1;
    }
    return 0;
}

/* Checks the row in L->cell and sends it to the COPY; clears L->cell. Returns -1 to stop (after
 * answering). */
static int take_row(loader *L, long row)
{
    char month[11];
    const import_spec *sp = L->sp;
    check_row(L, row, month);
    /* Once the rows are unreadable only the shape is checked further; nothing more is staged. */
    if (L->shape->count == 0) {
        if (stage_open(L) != 0) return -1;
        char rn[24];
        snprintf(rn, sizeof rn, "%ld", row);
        int bad = copy_field(L, rn, 0);
        for (int k = 0; k < sp->ncols; k++) bad |= copy_field(L, L->cell[k], k == sp->ncols - 1);
        if (bad || (L->len > (1u << 20) && stage_flush(L) != 0)) {
            stage_close(L, 0);
            respond_problem(L->c, 503, "The load could not be staged; nothing was written. Try again.");
            return L->answered = 1, -1;
        }
    }
    memset(L->cell, 0, sizeof L->cell);
    return 0;
}

/* Counts a data row against the cap; 1 when it is one too many. */
static int over_cap(loader *L)
{
    if (++L->nrows <= L->max_rows) return 0;
    L->nrows--;
    L->over_cap = 1;
    return 1;
}

static int on_csv_record(const char *const *cells, int n, size_t recno, void *user)
{
    loader *L = user;
    if (!L->header_done) {
        L->header_done = 1;
        L->header_cells = n;
        L->ncols_in = n > 64 ? 64 : n;
        map_header(L, cells, L->ncols_in);
        return L->shape->count > 0; /* a bad header: no row can be read */
    }
    if (over_cap(L)) return 1;
    long row = (long)recno;
    if (n != L->header_cells) err_add(L->e, row, "", "has %d cells where the header has %d", n, L->header_cells);
    for (int k = 0; k < L->ncols_in && k < n; k++)
        if (L->map[k] >= 0 && cells[k][0]) L->cell[L->map[k]] = cells[k];
    return take_row(L, row);
}

/* Reads a CSV body. Returns 0, or -1 after answering. */
static int read_csv(loader *L)
{
    char err[256];
    size_t blen;
    const char *body = http_body(L->c, &blen);
    int rc = csvin_each(body, blen, on_csv_record, L, err, sizeof err);
    if (L->answered) return -1;
    if (rc < 0) {
        stage_close(L, 0);
        char detail[400];
        snprintf(detail, sizeof detail, "The CSV cannot be read: %s.", err);
        respond_problem(L->c, 400, detail);
        return -1;
    }
    if (!L->header_done) {
        respond_problem(L->c, 422, "The CSV is empty: it needs a header row with the column names.");
        return -1;
    }
    return 0;
}

/* The longest a JSON row may be in bytes: rows are small objects, and each is parsed on its own
 * so that a load never holds more than one row's JSON tree. */
#define MAX_JSON_ROW (64 * 1024)

/* Bytes of the JSON value starting at p (n bytes available), found by matching brackets
 * outside strings, or 0 when it does not end within n bytes. Only the extent is found here;
 * jansson then parses exactly those bytes and reports any syntax error. */
static size_t json_extent(const char *p, size_t n)
{
    int depth = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '"') {
            for (i++; i < n && p[i] != '"'; i++)
                if (p[i] == '\\') i++;
            if (i >= n) return 0;
            if (depth == 0) return i + 1;
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if (ch == '}' || ch == ']') {
            if (depth == 0) return i;
            if (--depth == 0) return i + 1;
        } else if (depth == 0 && (ch == ',' || ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r')) {
            return i;
        }
    }
    return depth == 0 ? n : 0;
}

static size_t skip_ws(const char *p, size_t i, size_t n)
{
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) i++;
    return i;
}

static void json_syntax_error(loader *L, const char *what, size_t at)
{
    stage_close(L, 0);
    char detail[300];
    snprintf(detail, sizeof detail, "The body is not valid JSON: %s (at byte %zu).", what, at);
    respond_problem(L->c, 400, detail);
}

/* Takes one JSON row (an element of the body's array). Returns -1 after answering. */
static int take_json_row(loader *L, json_t *obj, long rowno)
{
    const import_spec *sp = L->sp;
    if (!json_is_object(obj)) {
        err_add(L->shape, rowno, "", "must be a JSON object");
        return 0;
    }
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val) {
        int k = col_index(sp, key);
        if (k >= 0 && k == L->hidden) continue; /* not the caller's to write: ignored */
        if (k < 0) {
            err_add(L->shape, rowno, key, "is not a field of this load");
            continue;
        }
        L->present[k] = 1;
        const char *text = NULL;
        if (json_is_string(val)) {
            text = json_string_value(val);
            if (strlen(text) != json_string_length(val)) {
                err_add(L->shape, rowno, key, "must not contain NUL characters");
                continue;
            }
        } else if (json_is_boolean(val)) {
            text = json_is_true(val) ? "true" : "false";
        } else if (json_is_integer(val)) {
            snprintf(L->num[k], sizeof L->num[k], "%lld", (long long)json_integer_value(val));
            text = L->num[k];
        } else if (json_is_real(val)) { /* the column's check decides (a count refuses 1.5) */
            snprintf(L->num[k], sizeof L->num[k], "%.17g", json_real_value(val));
            text = L->num[k];
        } else if (!json_is_null(val)) {
            err_add(L->shape, rowno, key, "must be a string, a number, true, false or null");
            continue;
        }
        if (text && *text) L->cell[k] = text;
    }
    return take_row(L, rowno);
}

/* Reads a JSON array body element by element. Returns 0, or -1 after answering. */
static int read_json(loader *L)
{
    http_ctx *c = L->c;
    size_t n;
    const char *p = http_body(c, &n);
    if (p == NULL) p = "";
    size_t i = skip_ws(p, 0, n);
    if (i >= n || p[i] != '[') {
        /* Not an array: small bodies are parsed whole for the usual answer (400 or 422). */
        json_t *j = n <= MAX_JSON_ROW ? http_json_body(c, 1) : NULL;
        if (j != NULL) { /* an array after all cannot be: p[i] was not '[' */
            json_decref(j);
            respond_problem(c, 422, "The body must be a JSON array.");
        } else if (n > MAX_JSON_ROW) {
            respond_problem(c, 422, "The body must be a JSON array.");
        }
        return -1;
    }
    i = skip_ws(p, i + 1, n);
    if (i < n && p[i] == ']') {
        i++;
    } else {
        for (long rowno = 2;; rowno++) {
            size_t len = json_extent(p + i, n - i);
            if (len == 0) { /* jansson names the fault, from a bounded slice */
                json_error_t err;
                size_t part = n - i < MAX_JSON_ROW ? n - i : MAX_JSON_ROW;
                json_t *j = json_loadb(p + i, part, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &err);
                json_decref(j);
                if (j != NULL || part < n - i) json_syntax_error(L, "the array is not closed", n);
                else json_syntax_error(L, err.text, i + (size_t)(err.position > 0 ? err.position : 0));
                return -1;
            }
            if (len > MAX_JSON_ROW) {
                err_add(L->shape, rowno, "", "is longer than %d bytes", MAX_JSON_ROW);
            } else {
                if (over_cap(L)) return 0;
                json_error_t err;
                json_t *obj = json_loadb(p + i, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
                if (obj == NULL) {
                    json_syntax_error(L, err.text, i + (size_t)(err.position > 0 ? err.position : 0));
                    return -1;
                }
                int rc = take_json_row(L, obj, rowno);
                json_decref(obj);
                if (rc != 0) return -1;
            }
            i = skip_ws(p, i + len, n);
            if (i < n && p[i] == ',') {
                i = skip_ws(p, i + 1, n);
                continue;
            }
            if (i < n && p[i] == ']') {
                i++;
                break;
            }
            json_syntax_error(L, i < n ? "',' or ']' expected" : "the array is not closed", i);
            return -1;
        }
    }
    i = skip_ws(p, i, n);
    if (i < n) {
        json_syntax_error(L, "end of file expected", i);
        return -1;
    }
    /* JSON rows may leave out optional fields; a required field missing is a row error. */
    for (int k = 0; k < L->sp->ncols; k++)
        if (L->sp->cols[k].required) L->present[k] = 1;
    return 0;
}

typedef struct row_ref {
    json_int_t row;
    size_t idx;
    json_t *item;
} row_ref;

static int cmp_row(const void *a, const void *b)
{
    const row_ref *x = a, *y = b;
    if (x->row != y->row) return x->row < y->row ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Errors from the cell checks and the database checks, merged in row order (ties keep the
 * order they were found in), the first MAX_REPORTED_ERRORS kept. */
static void sort_errors(errs *e)
{
    size_t n = json_array_size(e->list);
    row_ref *refs = malloc((n + 1) * sizeof *refs);
    if (refs == NULL) {
        e->broken = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        refs[i].item = json_incref(json_array_get(e->list, i));
        refs[i].row = json_integer_value(json_object_get(refs[i].item, "row"));
        refs[i].idx = i;
    }
    qsort(refs, n, sizeof *refs, cmp_row);
    json_array_clear(e->list);
    for (size_t i = 0; i < n; i++) {
        if (i < MAX_REPORTED_ERRORS && json_array_append(e->list, refs[i].item) != 0) e->broken = 1;
        json_decref(refs[i].item);
    }
    free(refs);
}

/* Answers the 422 for e; if an error could not be built, refuses the load without a list that
 * would hide it. Always answers (a finishing helper): returns 0 after the 422, which the caller
 * remembers under the Idempotency-Key, and -1 after the 503, which it does not. */
static int answer_errors(http_ctx *c, errs *e)
{
    char detail[200];
    size_t listed = json_array_size(e->list);
    if (e->broken || listed == 0 || (listed < MAX_REPORTED_ERRORS && (long)listed != e->count)) {
        http_set_header(c, "Retry-After", "2");
        respond_problem(c, 503, "Nothing was written: the load has problems, but their list could not be built. Try again.");
        return -1;
    }
    if (e->count > MAX_REPORTED_ERRORS)
        snprintf(detail, sizeof detail, "Nothing was written: %ld problems were found; the first %d are listed.", e->count,
                 MAX_REPORTED_ERRORS);
    else
        snprintf(detail, sizeof detail, "Nothing was written: %ld problem%s found; see errors.", e->count,
                 e->count == 1 ? " was" : "s were");
    respond_problem_errors(c, 422, detail, e->list);
    return 0;
}

/* ---- idempotency (idempotency.c) ---- */

static void body_hash(http_ctx *c, int dry_run, int replace, char out[65])
{
    crypto_generichash_state st;
    unsigned char h[32];
    const char *ct = http_header(c, "Content-Type");
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)(ct ? ct : ""), ct ? strlen(ct) : 0);
    crypto_generichash_update(&st, (const unsigned char *)(dry_run ? "\n1\n" : "\n0\n"), 3);
    if (replace) crypto_generichash_update(&st, (const unsigned char *)"replace\n", 8);
    size_t blen;
    const void *body = http_body(c, &blen);
    crypto_generichash_update(&st, body, blen);
    crypto_generichash_final(&st, h, sizeof h);
    sodium_bin2hex(out, 65, h, sizeof h);
}

static int idem_replay(http_ctx *c, const import_spec *sp, const char *key, const char *hash)
{
    return api_idem_replay(c, sp->endpoint, key, hash, OTHER_LOAD);
}

/* Stores the answer just made (the response body) under the key. */
static int idem_store(http_ctx *c, const import_spec *sp, const char *key, const char *hash)
{
    size_t alen;
    const char *answer = http_answer_body(c, &alen);
    return api_idem_store(c, sp->endpoint, key, hash, c->status, answer, alen);
}

static double tnow(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_import(http_ctx *c, const import_spec *sp)
{
    double t0 = tnow();
    /* mode means something only where a load can replace: elsewhere it is an unknown parameter. */
    static const char *const params[] = {"dry_run", NULL};
    static const char *const replace_params[] = {"dry_run", "mode", NULL};
    verrs qv;
    verrs_init(&qv);
    int dry = 0, replace = 0;
    http_query_only(c, sp->replaceable ? replace_params : params, &qv);
    http_query_bool(c, "dry_run", &dry, &qv);
    const char *mode = sp->replaceable ? http_query(c, "mode") : NULL;
    if (mode && strcmp(mode, "replace") == 0) replace = 1;
    else if (mode && strcmp(mode, "merge") != 0) verrs_add(&qv, "mode", "must be merge or replace");
    const char *key = http_header(c, "Idempotency-Key");
    if (key && (strlen(key) == 0 || strlen(key) > 200)) verrs_add(&qv, "Idempotency-Key", "must be 1 to 200 characters");
    if (api_refuse_bad_query(c, &qv)) return;
    int csv = http_content_type_is(c, "text/csv");
    if (!csv && !http_content_type_is(c, "application/json")) {
        respond_problem(c, 415, "Send the rows as text/csv or as a JSON array (application/json).");
        return;
    }
    char keybuf[208] = "", hash[65] = "";
    if (key) {
        snprintf(keybuf, sizeof keybuf, "%s", key);
        body_hash(c, dry, replace, hash);
        if (api_db(c) == NULL || idem_replay(c, sp, keybuf, hash)) return;
    }

    errs e = {json_array(), 0, 0}, shape = {json_array(), 0, 0}, w = {json_array(), 0, 0};
    loader L = {.c = c, .sp = sp, .e = &e, .shape = &shape, .hidden = -1,
                .max_rows = c->cfg && c->cfg->import_max_rows > 0 ? c->cfg->import_max_rows : 200000};
    /* Party membership is not the caller's to see, so not to write, compare or count either. */
    if (!api_shows_party(c)) L.hidden = col_index(sp, "party_member");
    if (key && !dry) {
        L.idem_key = keybuf;
        L.idem_hash = hash;
    }
    api_today(L.today);
    if ((csv ? read_csv(&L) : read_json(&L)) != 0) goto out;
    if (L.over_cap) {
        stage_close(&L, 0);
        char detail[200];
        snprintf(detail, sizeof detail,
                 "Nothing was written: a load may have at most %ld rows; split the file into loads of at most %ld rows.",
                 L.max_rows, L.max_rows);
        respond_problem(c, 413, detail);
        goto remember;
    }
    if (shape.count > 0) { /* the header or the JSON shape is wrong: the rows cannot be read */
        stage_close(&L, 0);
        if (answer_errors(c, &shape) != 0) goto out;
        goto remember;
    }
    double t1 = tnow();
    if (stage_open(&L) != 0 || stage_close(&L, 1) != 0) goto out; /* an empty load opens it here */
    /* The columns the input has, as a SQL array: absent optional columns keep stored values. */
    char present[512] = "{";
    for (int k = 0; k < sp->ncols; k++)
        if (L.present[k]) {
            size_t n = strlen(present);
            snprintf(present + n, sizeof present - n, "%s%s", n > 1 ? "," : "", sp->cols[k].name);
        }
    strcat(present, "}");
    db_args cv;
    db_args_of(&cv, api_scope(c));
    if (sp->checks->nparams > 1) db_arg_text(&cv, present); /* only checks that declare $2 */
    PGresult *res = api_run(c, sp->checks, &cv, "checking the load");
    if (res == NULL) goto out;
    for (int i = 0; i < PQntuples(res); i++)
        err_add(&e, atol(PQgetvalue(res, i, 0)), PQgetvalue(res, i, 1), "%s", PQgetvalue(res, i, 2));
    if (PQntuples(res) > 0) e.count += atol(PQgetvalue(res, 0, 3)) - PQntuples(res);
    PQclear(res);
    double t2 = tnow();
    if (e.count > 0) {
        db_rollback(api_conn(c));
        sort_errors(&e);
        if (dry) {
            /* The problems were found by comparing with stored personal data: a dry run that
             * finds them is a read too. */
            json_t *what = json_pack("{s:b, s:I, s:I}", "dry_run", 1, "received", (json_int_t)L.nrows,
                                     "problems", (json_int_t)e.count);
            int unaudited = api_audit_read(c, sp->entity, NULL, what);
            json_decref(what);
            if (unaudited) goto out;
        }
        if (answer_errors(c, &e) != 0) goto out;
        goto remember;
    }
    db_args mv;
    db_args_of(&mv, db_text(present), db_bool(replace), api_scope(c));
    res = api_run(c, sp->merge, &mv, "merging the load");
    if (res == NULL) goto out;
    long long created = atoll(PQgetvalue(res, 0, 0)), updated = atoll(PQgetvalue(res, 0, 1)),
              unchanged = atoll(PQgetvalue(res, 0, 2)), removed = PQnfields(res) > 4 ? atoll(PQgetvalue(res, 0, 4)) : 0;
    json_t *changed = json_loads(PQgetvalue(res, 0, 3), 0, NULL),
           *removed_keys = PQnfields(res) > 5 ? json_loads(PQgetvalue(res, 0, 5), 0, NULL) : NULL;
    PQclear(res);
    /* Warnings look at the data as the load leaves it, inside this transaction. */
    if (sp->warnings != NULL) {
        db_args wv;
        db_args_of(&wv, api_scope(c));
        res = api_run(c, sp->warnings, &wv, "checking the load for warnings");
        if (res == NULL) {
            json_decref(changed);
            json_decref(removed_keys);
            goto out;
        }
        for (int i = 0; i < PQntuples(res); i++)
            err_add(&w, atol(PQgetvalue(res, i, 0)), PQgetvalue(res, i, 1), "%s", PQgetvalue(res, i, 2));
        PQclear(res);
    }
    double t3 = tnow();
    log_msg(LOG_DEBUG, "import %s: %ld rows; read and stage %.3f s, check %.3f s, merge %.3f s", sp->entity, L.nrows,
            t1 - t0, t2 - t1, t3 - t2);
    json_t *result = json_pack("{s:I, s:I, s:I, s:I, s:I, s:b, s:O}", "received", (json_int_t)L.nrows, "created",
                               (json_int_t)created, "updated", (json_int_t)updated, "unchanged",
                               (json_int_t)unchanged, "removed", (json_int_t)removed, "dry_run", dry, "warnings", w.list);
    /* The audit keeps the counts and keys, not the warnings' text. */
    json_t *after = json_deep_copy(result);
    json_object_set_new(after, "warnings", json_integer(w.count));
    if (sp->replaceable) json_object_set_new(after, "mode", json_string(replace ? "replace" : "merge"));
    json_object_set_new(after, "changed_keys", changed);
    if (removed_keys) json_object_set_new(after, "removed_keys", removed_keys);
    if (w.broken || result == NULL || after == NULL) {
        json_decref(result);
        json_decref(after);
        db_rollback(api_conn(c));
        respond_problem(c, 503, "Nothing was written: the answer could not be built. Try again.");
        goto out;
    }
    if (dry) {
        /* A dry run writes nothing but answers about stored personal data: it is audited as a
         * read, outside the rolled-back transaction. */
        db_rollback(api_conn(c));
        int unaudited = api_audit_read(c, sp->entity, NULL, after);
        json_decref(after);
        if (unaudited) { /* answered 503: what the dry run found is not sent */
            json_decref(result);
            goto out;
        }
    } else {
        char *after_text = json_dumps(after, JSON_COMPACT);
        json_decref(after);
        int failed = api_audit(c, "import", sp->entity, NULL, NULL, after_text);
        free(after_text);
        if (failed) {
            json_decref(result);
            goto out;
        }
    }
    respond_json(c, 200, result);
    json_decref(result);
    if (!dry) { /* a dry run was rolled back above */
        /* The key and the rows commit together, or nothing does and no 200 goes out. */
        size_t alen;
        const char *answer = http_answer_body(c, &alen);
        if (api_idem_commit(c, sp->endpoint, key ? keybuf : NULL, hash, c->status, answer, alen, OTHER_LOAD) != 0)
            goto out;
    }
    goto out;
remember:
    if (key && (api_conn(c) || api_db(c) != NULL)) idem_store(c, sp, keybuf, hash);
out:
    if (L.staging) stage_close(&L, 0);
    free(L.buf);
    json_decref(e.list);
    json_decref(shape.list);
    json_decref(w.list);
    /* A large load leaves freed memory in this worker thread's malloc arena: give it back. */
    if (L.nrows >= 10000) malloc_trim(0);
}

void staff_import(http_ctx *c) { run_import(c, &SPECS[0]); }
void completions_import(http_ctx *c) { run_import(c, &SPECS[1]); }
void attestations_import(http_ctx *c) { run_import(c, &SPECS[2]); }
void support_counts_import(http_ctx *c) { run_import(c, &SPECS[3]); }
void patients_served_import(http_ctx *c) { run_import(c, &SPECS[4]); }
