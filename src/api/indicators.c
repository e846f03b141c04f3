/* The campaign's indicators CT1-CT5: definitions and yearly targets, and the rollup for any unit
 * and period, down the tree, against the target. */
#include "internal.h"
#include "bdhvs/period.h"

static db_stmt STMT_LIST = {
    "indicators_list",
    "WITH p AS (SELECT * FROM indicators ORDER BY sort_order LIMIT $1 OFFSET $2)"
    " SELECT json_build_object('items', coalesce((SELECT json_agg(indicator_def_json(p) ORDER BY p.sort_order) FROM p),"
    " '[]'), 'total', (SELECT count(*) FROM indicators), 'limit', $1::int, 'offset', $2::int)",
    2};

static db_stmt STMT_TARGET_GET = {
    "indicators_target_get",
    "SELECT json_build_object('indicator', indicator, 'year', year, 'target', target, 'strict', strict,"
    " 'deadline', deadline, 'note', note) FROM indicator_targets WHERE indicator = $1 AND year = $2 FOR UPDATE",
    2};

static db_stmt STMT_TARGET_PUT = {
    "indicators_target_put",
    "INSERT INTO indicator_targets AS t (indicator, year, target, strict, deadline, note)"
    " VALUES ($1, $2, $3, coalesce($4::bool, false), $5, $6)"
    " ON CONFLICT (indicator, year) DO UPDATE SET target = EXCLUDED.target,"
    " strict = coalesce($4::bool, t.strict), deadline = EXCLUDED.deadline, note = EXCLUDED.note, updated_at = now()"
    " RETURNING json_build_object('indicator', t.indicator, 'year', t.year, 'target', t.target, 'strict', t.strict,"
    " 'deadline', t.deadline, 'note', t.note)",
    6};

static db_stmt STMT_EXISTS = {"indicators_exists", "SELECT 1 FROM indicators WHERE code = $1", 1};

static db_stmt STMT_UNIT = {"indicators_unit", "SELECT 1 FROM units u WHERE u.id = $1 AND in_scope(u.path, $2)", 2};

#define PART(n) "json_build_object('numerator', " n ", 'value', CASE WHEN x.staff > 0 THEN round(100.0 * " n " / x.staff, 1) END)"

static db_stmt STMT_ROLLUP = {
    "indicators_rollup",
    "WITH x AS (SELECT * FROM indicator_rollup($1, $2::date, $3::date, $4, $5))"
    " SELECT json_build_object('unit_id', root.unit_id, 'unit_code', root.code, 'unit_name', root.name,"
    "   'period', $5::text, 'period_type', $6::text, 'as_of', $3::date,"
    "   'reports_expected', root.reports_expected, 'reports_received', root.reports_received,"
    "   'units', (SELECT json_agg(json_build_object('unit_id', x.unit_id, 'unit_code', x.code, 'unit_name', x.name,"
    "     'parent_id', x.parent_id, 'depth', x.depth, 'reports_expected', x.reports_expected,"
    "     'reports_received', x.reports_received, 'indicators', json_build_array("
    "       indicator_json('CT1', x.ct1, x.staff, $7, NULL),"
    "       indicator_json('CT2', x.ct2, x.staff, $7, json_build_object('course', " PART("x.ct2_course") ","
    "         'vneid', " PART("x.ct2_vneid") ")),"
    "       indicator_json('CT3', x.facilities_all, x.facilities, $7, NULL),"
    "       indicator_json('CT4', x.supported, x.served, $7, NULL),"
    "       indicator_json('CT5', x.ct5, x.staff, $7, NULL))) ORDER BY x.depth, x.code) FROM x))"
    " FROM x root WHERE root.depth = 0",
    7};

void indicators_list(http_ctx *c)
{
    static const char *const params[] = {"limit", "offset", NULL};
    verrs v;
    verrs_init(&v);
    char ls[24], os[24];
    http_query_only(c, params, &v);
    api_page_params(c, &v, ls, os);
    if (!api_query_ok(c, &v) || http_db(c) == NULL) return;
    const char *pv[] = {ls, os};
    PGresult *r = api_run(c, &STMT_LIST, pv, "listing indicators");
    if (r == NULL) return;
    api_list_answer(c, r, NULL);
    PQclear(r);
}

void indicators_target_put(http_ctx *c)
{
    static const char *const fields[] = {"target", "strict", "deadline", "note", NULL};
    const char *code = http_path_param(c, "code");
    char codebuf[16];
    if (code == NULL || strlen(code) > 10) {
        respond_problem(c, 404, "There is no such indicator.");
        return;
    }
    snprintf(codebuf, sizeof codebuf, "%s", code);
    const char *ys = http_path_param(c, "year");
    long year = 0;
    if (ys == NULL || config_parse_int(ys, 2000, 2100, &year) != 0) {
        respond_problem(c, 404, "There is no such year: use 2000 to 2100.");
        return;
    }
    json_t *body = http_json_body(c, 0);
    if (body == NULL) return;
    verrs v;
    verrs_init(&v);
    PGresult *cur = NULL, *r = NULL;
    int strict = 0;
    char deadline[11] = "", ts[32], yss[8];
    const char *note = NULL;
    json_refuse_unknown(body, fields, &v);
    json_t *t = json_object_get(body, "target");
    if (t == NULL) verrs_add(&v, "target", "is required");
    else if (!json_is_number(t) || json_number_value(t) < 0 || json_number_value(t) > 100)
        verrs_add(&v, "target", "must be a percentage from 0 to 100");
    int hs = jfield_bool(body, "strict", &strict, &v) == 1;
    int hd = jfield_nullable_date(body, "deadline", deadline, &v) == 1;
    json_t *nj = json_object_get(body, "note");
    if (nj && !json_is_null(nj)) jfield_string(body, "note", 1, 300, &note, &v);
    if (http_refuse_invalid(c, &v) || api_begin(c) != 0) goto out;
    const char *ev[] = {codebuf};
    PGresult *e = api_run(c, &STMT_EXISTS, ev, "finding the indicator");
    if (e == NULL) goto out;
    int exists = PQntuples(e) == 1;
    PQclear(e);
    if (!exists) {
        db_rollback(c->db);
        respond_problem(c, 404, "There is no such indicator.");
        goto out;
    }
    snprintf(yss, sizeof yss, "%ld", year);
    snprintf(ts, sizeof ts, "%.1f", json_number_value(t));
    const char *gv[] = {codebuf, yss};
    cur = api_run(c, &STMT_TARGET_GET, gv, "reading the target");
    if (cur == NULL) goto out;
    const char *pv[] = {codebuf, yss, ts, hs ? (strict ? "true" : "false") : NULL, hd ? deadline : NULL, note};
    r = api_run(c, &STMT_TARGET_PUT, pv, "saving the target");
    if (r == NULL) goto out;
    int existed = PQntuples(cur) == 1;
    char key[32];
    snprintf(key, sizeof key, "%s/%s", codebuf, yss);
    const char *json = PQgetvalue(r, 0, 0);
    if (api_audit(c, existed ? "update" : "create", "indicator_target", key, existed ? PQgetvalue(cur, 0, 0) : NULL,
                  json) != 0 ||
        api_commit(c) != 0)
        goto out;
    if (!existed) http_set_header(c, "Location", http_url_path(c));
    respond_json_text(c, existed ? 200 : 201, json, strlen(json));
out:
    PQclear(r);
    PQclear(cur);
    verrs_free(&v);
    json_decref(body);
}

static void rollup_csv(http_ctx *c, const char *text)
{
    static const char *const cols[] = {"unit_code", "unit_name", "depth", "indicator", "numerator", "denominator",
                                       "value", "target", "gap", "met", NULL};
    json_t *all = json_loads(text, 0, NULL);
    json_t *rows = json_array();
    size_t i, j;
    json_t *u, *ind;
    json_array_foreach(json_object_get(all, "units"), i, u) {
        json_array_foreach(json_object_get(u, "indicators"), j, ind) {
            json_t *row = json_pack("{s:O, s:O, s:O, s:O}", "unit_code", json_object_get(u, "unit_code"), "unit_name",
                                    json_object_get(u, "unit_name"), "depth", json_object_get(u, "depth"),
                                    "indicator", json_object_get(ind, "code"));
            static const char *const keys[] = {"numerator", "denominator", "value", "target", "gap", "met", NULL};
            for (int k = 0; keys[k]; k++) json_object_set(row, keys[k], json_object_get(ind, keys[k]));
            json_array_append_new(rows, row);
        }
    }
    respond_csv(c, rows, cols);
    json_decref(rows);
    json_decref(all);
}

void indicators_rollup(http_ctx *c)
{
    static const char *const params[] = {"unit_id", "period", "depth", NULL};
    verrs v;
    verrs_init(&v);
    long long id = 0;
    long depth = 1;
    period p;
    http_query_only(c, params, &v);
    if (http_query_id(c, "unit_id", &id, &v) == 0) verrs_add(&v, "unit_id", "is required");
    const char *ps = http_query(c, "period");
    if (ps == NULL) verrs_add(&v, "period", "is required");
    else if (period_parse(ps, &p) != 0) verrs_add(&v, "period", "must be like 2026-06, 202606, 2026Q2, 2026S1 or 2026");
    http_query_int(c, "depth", 0, 10, &depth, &v);
    if (!api_query_ok(c, &v) || http_db(c) == NULL) return;
    char first[11], last[11], today[11], pstr[12], ids[24], sc[24], ds[8], yr[8];
    date_format(&p.first, first, sizeof first);
    date_format(&p.last, last, sizeof last);
    period_format(&p, pstr, sizeof pstr);
    api_today(today);
    if (strcmp(first, today) > 0) {
        json_t *e = json_pack("[{s:s, s:s}]", "field", "period", "message", "has not started yet");
        respond_problem_errors(c, 422, "There is nothing to count yet.", e);
        json_decref(e);
        return;
    }
    snprintf(ids, sizeof ids, "%lld", id);
    snprintf(ds, sizeof ds, "%ld", depth);
    snprintf(yr, sizeof yr, "%d", p.last.y);
    const char *uv[] = {ids, api_scope(c, sc)};
    PGresult *r = api_run(c, &STMT_UNIT, uv, "finding the unit");
    if (r == NULL) return;
    int found = PQntuples(r) == 1;
    PQclear(r);
    if (!found) {
        respond_problem(c, 404, "There is no such unit.");
        return;
    }
    const char *as_of = strcmp(last, today) < 0 ? last : today; /* a running period counts up to today */
    const char *pv[] = {ids, first, as_of, ds, pstr, period_type_name(p.type), yr};
    r = api_run(c, &STMT_ROLLUP, pv, "computing the rollup");
    if (r == NULL) return;
    if (PQntuples(r) != 1) respond_problem(c, 404, "There is no such unit.");
    else if (http_wants_csv(c)) rollup_csv(c, PQgetvalue(r, 0, 0));
    else respond_json_text(c, 200, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
    PQclear(r);
}
