/* Patient-support counts (people helped to use a digital service, per month, service and target
 * group) and patients served (per month): the two monthly figures a facility reports. Both are
 * written by upsert on their natural key, one at a time or in bulk loads (at the end of this
 * file; the engine is imports.c). */
#include "common.h"
#include "handlers.h"
#include "import.h"
#include "bdhvs/period.h"
#include "bdhvs/problems.h"

/* One monthly figure: its statements and names. Statement parameters shared by both, in order:
 * list $1 scope, $2 unit_id, $3 under, $4 first day, $5 last day, $6 updated_since, $7 sort,
 * $8 limit, $9 offset[, $10 service, $11 target_group]; upsert $1 unit, $2 month, $3 count[,
 * $4 service, $5 target_group] (the bracketed ones only with has_groups); lock $1 id, $2 scope;
 * delete $1 id. */
typedef struct monthly {
    const char *entity, *prefix, *what, *not_found;
    const char *const *columns;
    int has_groups; /* service and target_group */
    db_stmt list, upsert, lock, del;
} monthly;

#define LIST_SQL(table, alias, json, extra, after)                                                          \
    "WITH f AS (SELECT " alias ".*, u.code AS unit_code FROM " table " " alias " JOIN units u ON u.id = " alias ".unit_id" \
    "   WHERE in_scope(u.path, $1) AND ($2::bigint IS NULL OR " alias ".unit_id = $2)"                     \
    "   AND ($3::bigint IS NULL OR u.path <@ (SELECT x.path FROM units x WHERE x.id = $3))"                  \
    "   AND ($4::date IS NULL OR " alias ".month BETWEEN $4 AND $5)"                                       \
    "   AND ($6::timestamptz IS NULL OR " alias ".updated_at >= $6)" extra "),"                             \
    " p AS (SELECT f.id, row_number() OVER (ORDER BY"                                                       \
    "   CASE WHEN $7 = 'month' THEN f.month END, CASE WHEN $7 = '-month' THEN f.month END DESC,"             \
    "   CASE WHEN $7 = 'unit_code' THEN f.unit_code END, CASE WHEN $7 = '-unit_code' THEN f.unit_code END DESC," \
    "   CASE WHEN $7 = '-id' THEN f.id END DESC, f.id) AS rn FROM f" after " ORDER BY rn LIMIT $8 OFFSET $9)" \
    " SELECT json_build_object('items', coalesce((SELECT json_agg(" json "(" alias ") ORDER BY p.rn)"         \
    "   FROM p JOIN " table " " alias " ON " alias ".id = p.id), '[]'),"                                     \
    " 'total', (SELECT count(*) FROM f), 'limit', $8::int, 'offset', $9::int)"

/* Upsert answering (id, json, created, json before, changed): an equal value is left alone. */
#define UPSERT_SQL(table, key, cols, vals, json)                                                             \
    "WITH old AS (SELECT t.id, " json "(t) AS j FROM " table " t WHERE (" key ") = (" vals ")),"            \
    " up AS (INSERT INTO " table " AS t (" cols ") VALUES (" vals ", $3)"                                    \
    "   ON CONFLICT ON CONSTRAINT " table "_key DO UPDATE SET count = EXCLUDED.count, updated_at = now()"  \
    "   WHERE t.count <> EXCLUDED.count RETURNING t.id, " json "(t) AS j, t.xmax = 0 AS created)"           \
    " SELECT coalesce(up.id, old.id), coalesce(up.j, old.j), coalesce(up.created, false), old.j,"          \
    "   up.id IS NOT NULL FROM (SELECT 1) one LEFT JOIN up ON true LEFT JOIN old ON true"

static const char *const COUNT_COLUMNS[] = {"id", "unit_id", "unit_code", "month", "service", "target_group",
                                            "count", "updated_at", NULL};
static const char *const SERVED_COLUMNS[] = {"id", "unit_id", "unit_code", "month", "count", "people_supported",
                                             "updated_at", NULL};

#define SCOPED(table, alias) " FROM " table " " alias " JOIN units u ON u.id = " alias ".unit_id WHERE " alias ".id = $1 AND in_scope(u.path, $2)"

static monthly SUPPORT_COUNTS = {
    "support_count", "/api/v1/support-counts", "support counts", "There is no such support count.", COUNT_COLUMNS, 1,
    {"support_counts_list",
     LIST_SQL("support_counts", "c", "support_count_json",
              " AND ($10::text IS NULL OR c.service = $10) AND ($11::text IS NULL OR c.target_group = $11)",
              API_AFTER_ID(12)),
     12},
    {"support_counts_upsert",
     UPSERT_SQL("support_counts", "t.unit_id, t.month, t.service, t.target_group", "unit_id, month, service, target_group, count",
                "$1::bigint, $2::date, $4::text, $5::text", "support_count_json"),
     5},
    {"support_counts_lock", "SELECT support_count_json(c)" SCOPED("support_counts", "c") " FOR UPDATE OF c", 2},
    {"support_counts_delete", "DELETE FROM support_counts WHERE id = $1", 1}};

static monthly PATIENTS_SERVED = {
    "patients_served", "/api/v1/patients-served", "patients served", "There is no such patients-served figure.",
    SERVED_COLUMNS, 0,
    {"patients_served_list", LIST_SQL("patients_served", "ps", "patients_served_json", "", API_AFTER_ID(10)), 10},
    /* UPSERT_SQL with people_supported ($4; $5: given, else an existing value stays). */
    {"patients_served_upsert",
     "WITH old AS (SELECT t.id, patients_served_json(t) AS j FROM patients_served t WHERE (t.unit_id, t.month) = ($1::bigint, $2::date)),"
     " up AS (INSERT INTO patients_served AS t (unit_id, month, count, people_supported) VALUES ($1::bigint, $2::date, $3, $4::integer)"
     "   ON CONFLICT ON CONSTRAINT patients_served_key DO UPDATE SET count = EXCLUDED.count,"
     "   people_supported = CASE WHEN $5::boolean THEN EXCLUDED.people_supported ELSE t.people_supported END, updated_at = now()"
     "   WHERE t.count <> EXCLUDED.count OR ($5::boolean AND t.people_supported IS DISTINCT FROM EXCLUDED.people_supported)"
     "   RETURNING t.id, patients_served_json(t) AS j, t.xmax = 0 AS created)"
     " SELECT coalesce(up.id, old.id), coalesce(up.j, old.j), coalesce(up.created, false), old.j,"
     "   up.id IS NOT NULL FROM (SELECT 1) one LEFT JOIN up ON true LEFT JOIN old ON true",
     5},
    {"patients_served_lock", "SELECT patients_served_json(p)" SCOPED("patients_served", "p") " FOR UPDATE OF p", 2},
    {"patients_served_delete", "DELETE FROM patients_served WHERE id = $1", 1}};
DB_STMT_REGISTER(MONTHLY, &SUPPORT_COUNTS.list, &SUPPORT_COUNTS.upsert, &SUPPORT_COUNTS.lock, &SUPPORT_COUNTS.del,
                 &PATIENTS_SERVED.list, &PATIENTS_SERVED.upsert, &PATIENTS_SERVED.lock, &PATIENTS_SERVED.del);

/* The rules of migration 0015 (support_count_problems), which a bulk load checks too. */
DB_STMT(STMT_PROBLEMS, "support_count_problems",
    "SELECT field, problem, params FROM support_count_problems(ARRAY[ROW(0, $1::text, $2::text)::support_count_rule_row])", 2);

static void monthly_list(http_ctx *c, monthly *m)
{
    static const char *const sorts[] = {"month", "unit_code", "id", NULL};
    verrs v;
    verrs_init(&v);
    api_list_query lq;
    long long unit = 0, under = 0;
    char first[11] = "", last[11] = "";
    const char *service = NULL, *group = NULL, *ps = http_query(c, "period");
    int hu = http_query_id(c, "unit_id", &unit, &v) == 1, hn = http_query_id(c, "under", &under, &v) == 1;
    period p;
    if (ps != NULL) {
        if (period_parse(ps, &p) != 0) {
            verrs_add(&v, "period", "must be a period: 2026-06, 202606, 2026Q2, 2026S1 or 2026");
        } else {
            date_format(&p.first, first, sizeof first);
            date_format(&p.last, last, sizeof last);
        }
    }
    if (m->has_groups) {
        service = http_query(c, "service");
        group = http_query(c, "target_group");
        if (service && strlen(service) > 40) verrs_add(&v, "service", "is too long");
        if (group && strlen(group) > 40) verrs_add(&v, "target_group", "is too long");
    }
    if (api_refuse_list_query(c, &v, sorts, "month", &lq)) return;
    db_args pv;
    db_args_of(&pv, api_scope(c), db_int_if(hu, unit), db_int_if(hn, under),
                    db_text(first[0] ? first : NULL), db_text(last[0] ? last : NULL),
                    db_text(lq.since), db_text(lq.sort), db_int(lq.limit), db_int(lq.offset));
    if (m->has_groups) {
        db_arg_text(&pv, service);
        db_arg_text(&pv, group);
    }
    db_arg(&pv, api_list_after(&lq));
    char what[64];
    snprintf(what, sizeof what, "listing %s", m->what);
    api_list(c, &m->list, &pv, what, m->columns);
}

/* Reads a month written 2026-06 or 202606 into out as its first day; adds errors to v. */
static void read_month(json_t *body, char out[11], verrs *v)
{
    json_t *j = json_object_get(body, "month");
    period p;
    out[0] = '\0';
    if (j == NULL) {
        verrs_problem(v, "month", "required", NULL);
    } else if (!json_is_string(j) || period_parse(json_string_value(j), &p) != 0 || p.type != PERIOD_MONTH) {
        verrs_problem(v, "month", "month_format", NULL);
    } else {
        char today[11];
        api_today(today);
        date_format(&p.first, out, 11);
        if (strncmp(out, today, 7) > 0) verrs_problem(v, "month", "future", NULL);
    }
}

static void monthly_upsert(http_ctx *c, monthly *m)
{
    static const char *const counts_fields[] = {"unit_id", "unit_code", "month", "service", "target_group", "count", NULL};
    static const char *const served_fields[] = {"unit_id", "unit_code", "month", "count", "people_supported", NULL};
    json_t *body = http_json_body(c, 0);
    if (body == NULL) return;
    verrs v;
    verrs_init(&v);
    PGresult *r = NULL;
    long long uid = 0;
    const char *ucode = NULL, *service = NULL, *group = NULL;
    char month[11];
    json_refuse_unknown(body, m->has_groups ? counts_fields : served_fields, &v);
    int hu = (jfield_id(body, "unit_id", &uid, &v) == 1) | (jfield_string(body, "unit_code", 1, 32, &ucode, &v) == 1);
    if (!hu && !json_object_get(body, "unit_id") && !json_object_get(body, "unit_code"))
        api_problem_required_or(&v, "unit_id", "unit_code");
    read_month(body, month, &v);
    if (m->has_groups) {
        if (jfield_string(body, "service", 1, 40, &service, &v) == 0) verrs_problem(&v, "service", "required", NULL);
        if (jfield_string(body, "target_group", 1, 40, &group, &v) == 0) verrs_problem(&v, "target_group", "required", NULL);
    }
    json_t *cj = json_object_get(body, "count");
    if (cj == NULL) verrs_problem(&v, "count", "required", NULL);
    else if (!json_is_integer(cj) || json_integer_value(cj) < 0 || json_integer_value(cj) > 2147483647)
        verrs_problem(&v, "count", "count_range", NULL);
    /* Patients served: the distinct people supported that month (issue 11 §4), optional. */
    json_t *pj = m->has_groups ? NULL : json_object_get(body, "people_supported");
    if (pj && !json_is_null(pj) &&
        (!json_is_integer(pj) || json_integer_value(pj) < 0 || json_integer_value(pj) > 2147483647))
        verrs_problem(&v, "people_supported", "count_range", NULL);
    if (http_refuse_invalid(c, &v) || api_begin(c) != 0) goto out;
    long long unit = api_resolve_unit(c, uid, ucode, ucode ? "unit_code" : "unit_id", 0, &v);
    if (unit == -2) goto out;
    if (m->has_groups) {
        db_args gv;
        db_args_of(&gv, db_text(service), db_text(group));
        if (api_add_problems(c, &STMT_PROBLEMS, &gv, &v) != 0) goto out;
    }
    if (http_refuse_invalid(c, &v)) {
        db_rollback(api_conn(c));
        goto out;
    }
    char what[64];
    snprintf(what, sizeof what, "saving %s", m->what);
    db_args uv;
    db_args_of(&uv, db_int(unit), db_text(month), db_int((long long)json_integer_value(cj)));
    if (m->has_groups) {
        db_arg_text(&uv, service);
        db_arg_text(&uv, group);
    } else {
        db_arg(&uv, pj && !json_is_null(pj) ? db_int((long long)json_integer_value(pj)) : db_null());
        db_arg(&uv, db_bool(pj != NULL));
    }
    r = api_run(c, &m->upsert, &uv, what);
    if (r == NULL) goto out;
    const char *id = PQgetvalue(r, 0, 0), *json = PQgetvalue(r, 0, 1);
    int created = strcmp(PQgetvalue(r, 0, 2), "t") == 0, changed = strcmp(PQgetvalue(r, 0, 4), "t") == 0;
    if (!changed) { /* the same value again: nothing to write */
        db_rollback(api_conn(c));
        respond_resource_text(c, 200, json, strlen(json));
        goto out;
    }
    if (api_audit(c, created ? "create" : "update", m->entity, id, api_cell(r, 0, 3), json) != 0 || api_commit(c) != 0)
        goto out;
    if (created) api_location(c, m->prefix, id);
    respond_resource_text(c, created ? 201 : 200, json, strlen(json));
out:
    PQclear(r);
    verrs_free(&v);
    json_decref(body);
}

static void monthly_delete(http_ctx *c, monthly *m)
{
    long long id = http_path_id(c, "id");
    if (id == 0 || api_begin(c) != 0) return;
    db_args lv;
    db_args_of(&lv, db_int(id), api_scope(c));
    PGresult *cur = api_lock_one(c, &m->lock, &lv, m->not_found, 0);
    api_delete_locked(c, cur, 0, &m->del, id, "deleting the figure", m->entity);
}

void support_counts_list(http_ctx *c) { monthly_list(c, &SUPPORT_COUNTS); }
void support_counts_upsert(http_ctx *c) { monthly_upsert(c, &SUPPORT_COUNTS); }
void support_counts_delete(http_ctx *c) { monthly_delete(c, &SUPPORT_COUNTS); }
void patients_served_list(http_ctx *c) { monthly_list(c, &PATIENTS_SERVED); }
void patients_served_upsert(http_ctx *c) { monthly_upsert(c, &PATIENTS_SERVED); }
void patients_served_delete(http_ctx *c) { monthly_delete(c, &PATIENTS_SERVED); }

/* ---- bulk loads (POST /api/v1/support-counts/import, /api/v1/patients-served/import; the engine is
 * imports.c). Matched on the natural key, like a single write; ?mode=replace also removes. ---- */
static const import_col SUPPORT_COUNT_IMPORT_COLS[] = {
    {"unit_code", 1, K_TEXT, 32, 0}, {"month", 1, K_MONTH, 7, 1}, {"service", 1, K_TEXT, 200, 0, NULL, "support_services"},
    {"target_group", 1, K_TEXT, 200, 0, NULL, "target_groups"}, {"count", 1, K_COUNT, 10, 0}};

#define SUPPORT_COUNT_STAGE \
    "CREATE TEMP TABLE import_stage (row integer, unit_code text, month text, service text, target_group text," \
    " count text) ON COMMIT DROP"
#define PATIENTS_SERVED_STAGE \
    "CREATE TEMP TABLE import_stage (row integer, unit_code text, month text, count text) ON COMMIT DROP"

DB_STMT_SETUP(SUPPORT_COUNT_CHECKS, "import_support_count_checks",
    IMPORT_CHECKS_HEAD IMPORT_UNIT_REF_CHECK
    " UNION ALL SELECT p.rowno, p.field, p.problem, p.params FROM (SELECT array_agg(ROW(s.row, s.service,"
    "   s.target_group)::support_count_rule_row) AS a FROM import_stage s) x, LATERAL support_count_problems(x.a) p"
    " UNION ALL" IMPORT_REPEAT_CHECK("target_group", "repeated_unit_month_service_group",
                                     "unit_code, month, service, target_group",
                                     "unit_code IS NOT NULL AND month IS NOT NULL AND service IS NOT NULL"
                                     " AND target_group IS NOT NULL")
    IMPORT_CHECKS_TAIL, 1, SUPPORT_COUNT_STAGE);

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
    "SELECT s.row, 'count', 'count_above_served', json_build_object('total', t.total, 'service', s.service,"
    "   'month', left(s.month, 7), 'served', p.count, 'unit', s.unit_code)"
    " FROM import_stage s JOIN scoped_units($1) u ON u.code = s.unit_code"
    " JOIN patients_served p ON p.unit_id = u.id AND p.month = s.month::date"
    " CROSS JOIN LATERAL (SELECT sum(c.count) AS total FROM support_counts c WHERE c.unit_id = u.id"
    "   AND c.month = s.month::date AND c.service = s.service) t"
    " WHERE t.total > p.count ORDER BY s.row", 1, SUPPORT_COUNT_STAGE);

static const import_col PATIENTS_SERVED_IMPORT_COLS[] = {
    {"unit_code", 1, K_TEXT, 32, 0}, {"month", 1, K_MONTH, 7, 1}, {"count", 1, K_COUNT, 10, 0}};

DB_STMT_SETUP(PATIENTS_SERVED_CHECKS, "import_patients_served_checks",
    IMPORT_CHECKS_HEAD IMPORT_UNIT_REF_CHECK
    " UNION ALL" IMPORT_REPEAT_CHECK("month", "repeated_unit_month", "unit_code, month",
                                     "unit_code IS NOT NULL AND month IS NOT NULL")
    IMPORT_CHECKS_TAIL, 1, PATIENTS_SERVED_STAGE);

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
    "SELECT s.row, 'count', 'served_below_count', json_build_object('total', t.total, 'service', t.service,"
    "   'month', left(s.month, 7))"
    " FROM import_stage s JOIN scoped_units($1) u ON u.code = s.unit_code"
    " CROSS JOIN LATERAL (SELECT c.service, sum(c.count) AS total FROM support_counts c WHERE c.unit_id = u.id"
    "   AND c.month = s.month::date GROUP BY c.service ORDER BY 2 DESC, 1 LIMIT 1) t"
    " WHERE t.total > s.count::integer ORDER BY s.row", 1, PATIENTS_SERVED_STAGE);

static const import_spec SUPPORT_COUNT_IMPORT = {"support_count", "support-counts/import", IMPORT_COLS(SUPPORT_COUNT_IMPORT_COLS),
                                                 SUPPORT_COUNT_STAGE, &SUPPORT_COUNT_CHECKS, &SUPPORT_COUNT_MERGE, 1,
                                                 &SUPPORT_COUNT_WARNINGS};
static const import_spec PATIENTS_SERVED_IMPORT = {"patients_served", "patients-served/import",
                                                   IMPORT_COLS(PATIENTS_SERVED_IMPORT_COLS), PATIENTS_SERVED_STAGE,
                                                   &PATIENTS_SERVED_CHECKS, &PATIENTS_SERVED_MERGE, 1,
                                                   &PATIENTS_SERVED_WARNINGS};

void support_counts_import(http_ctx *c) { import_run(c, &SUPPORT_COUNT_IMPORT); }
void patients_served_import(http_ctx *c) { import_run(c, &PATIENTS_SERVED_IMPORT); }
