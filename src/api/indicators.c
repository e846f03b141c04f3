/* The campaign's indicators CT1-CT5: definitions and yearly targets, and the rollup for any unit
 * and period, down the tree, against the target. */
#include "common.h"
#include "handlers.h"
#include "bdhvs/period.h"
#include "targets.h"

DB_STMT(STMT_LIST, "indicators_list",
    "WITH p AS (SELECT * FROM indicators ORDER BY sort_order LIMIT $1 OFFSET $2)"
    " SELECT json_build_object('items', coalesce((SELECT json_agg(indicator_def_json(p) ORDER BY p.sort_order) FROM p),"
    " '[]'), 'total', (SELECT count(*) FROM indicators), 'limit', $1::int, 'offset', $2::int)", 2);

DB_STMT(STMT_TARGET_GET, "indicators_target_get",
    "SELECT json_build_object('indicator', indicator, 'year', year, 'target', target, 'strict', strict,"
    " 'deadline', deadline, 'note', note) FROM indicator_targets WHERE indicator = $1 AND year = $2 FOR UPDATE", 2);

DB_STMT(STMT_TARGET_PUT, "indicators_target_put",
    "INSERT INTO indicator_targets AS t (indicator, year, target, strict, deadline, note)"
    " VALUES ($1, $2, $3, coalesce($4::bool, false), $5, $6)"
    " ON CONFLICT (indicator, year) DO UPDATE SET target = EXCLUDED.target,"
    " strict = coalesce($4::bool, t.strict), deadline = EXCLUDED.deadline, note = EXCLUDED.note, updated_at = now()"
    " RETURNING json_build_object('indicator', t.indicator, 'year', t.year, 'target', t.target, 'strict', t.strict,"
    " 'deadline', t.deadline, 'note', t.note)", 6);

/* A kept rollup, if nothing it depends on changed since the snapshot it was looked up in and the
 * epoch is as it was (kept_changed reads only the changes since: migrations/0039_kept_changes.sql);
 * and the kept answer on basis $6 (rollup_basis_results, migrations/0034_signoff.sql) likewise.
 * Returns the snapshot and epoch to label a new result with. */
DB_STMT(STMT_KEPT, "indicators_kept",
    "WITH k AS (SELECT pg_current_snapshot() AS snap, (SELECT v FROM stats_epoch) AS ep)"
    " SELECT k.snap, k.ep, r.result, b.result FROM k LEFT JOIN rollup_results r ON r.root = $1 AND r.period = $2"
    "   AND r.as_of = $3::date AND r.depth = $4 AND r.epoch = k.ep AND NOT kept_changed($1, $3::date, $5, r.snap)"
    " LEFT JOIN rollup_basis_results b ON b.root = $1 AND b.period = $2 AND b.as_of = $3::date AND b.depth = $4"
    "   AND b.basis = $6 AND b.epoch = k.ep AND NOT kept_changed($1, $3::date, $5, b.snap)", 6);

DB_STMT(STMT_KEEP_BASIS, "indicators_keep_basis",
    "INSERT INTO rollup_basis_results (root, period, as_of, depth, basis, fp, snap, epoch, result)"
    " VALUES ($1, $2, $3, $4, $5, 0, $6::pg_snapshot, $7, $8)"
    " ON CONFLICT (root, period, as_of, depth, basis) DO UPDATE SET fp = 0, snap = EXCLUDED.snap,"
    " epoch = EXCLUDED.epoch, result = EXCLUDED.result, made_at = now()", 8);

DB_STMT(STMT_KEEP, "indicators_keep",
    "INSERT INTO rollup_results (root, period, as_of, depth, fp, snap, epoch, result)"
    " VALUES ($1, $2, $3, $4, 0, $5::pg_snapshot, $6, $7)"
    " ON CONFLICT (root, period, as_of, depth) DO UPDATE SET fp = 0, snap = EXCLUDED.snap, epoch = EXCLUDED.epoch,"
    " result = EXCLUDED.result, made_at = now()", 7);

/* Is the unit open at some time in [first, as_of]? (issue 10 §5) */
DB_STMT(STMT_OPEN_IN, "indicators_open_in",
    "SELECT (opened_on IS NULL OR opened_on <= $3::date) AND (closed_on IS NULL OR closed_on >= $2::date),"
    " least($3::date, closed_on)::text" /* moves (issue 11 §2): a closed unit reports up to its closing day */
    " FROM units WHERE id = $1", 3);

DB_STMT(STMT_EXISTS, "indicators_exists", "SELECT 1 FROM indicators WHERE code = $1", 1);

#define PART(n) "json_build_object('numerator', " n ", 'value', CASE WHEN x0.staff > 0 THEN round(100.0 * " n " / x0.staff, 1) END)"

/* Each shown unit's cells with the targets of all of them looked up at once (unit_targets_for,
 * migrations/0040_rollup_own.sql), built as jsonb with the keys of basis 'current' (and whether any
 * approved snapshot is in force below the root: when none is, this is the answer on that basis and
 * rollup_on_basis, which would add the same keys, is not called; migrations/0043_rollup_write_cost.sql).
 * CT4's flags for all shown units at once (ct4_flags_for, migrations/0046_rollup_ct4_flags.sql).
 * What it writes are caches (unlogged tables): committed without waiting for the disk, which the
 * pages it prunes on its way would otherwise make it do. */
DB_STMT(STMT_ROLLUP, "indicators_rollup",
    "WITH x0 AS (SELECT * FROM indicator_rollup($1, $2::date, $3::date, $4, $5)),"
    " x AS (SELECT x0.*, tg.targets, json_build_object('course', " PART("x0.ct2_course") ","
    "         'vneid', " PART("x0.ct2_vneid") ") AS ct2_parts"
    "        FROM x0 LEFT JOIN unit_targets_for(ARRAY(SELECT x0.unit_id FROM x0), $7) tg ON tg.unit_id = x0.unit_id),"
    " xf AS (SELECT x.*, coalesce(cf.flags, '{}') AS ct4_flags FROM x"
    "        LEFT JOIN ct4_flags_for(ARRAY(SELECT x.unit_id FROM x), $2::date, $3::date) cf ON cf.unit_id = x.unit_id)"
    " SELECT jsonb_build_object('unit_id', root.unit_id, 'unit_code', root.code, 'unit_name', root.name,"
    "   'period', $5::text, 'period_type', $6::text, 'as_of', $3::date, 'basis', 'current',"
    "   'reports_expected', root.reports_expected, 'reports_received', root.reports_received,"
    "   'units', (SELECT jsonb_agg(jsonb_build_object('unit_id', x.unit_id, 'unit_code', x.code, 'unit_name', x.name,"
    "     'parent_id', x.parent_id, 'depth', x.depth, 'reports_expected', x.reports_expected,"
    "     'reports_received', x.reports_received, 'basis', 'current', 'indicators', jsonb_build_array("
    "       indicator_cell_current('CT1', x.ct1, x.staff, NULL, x.targets -> 'CT1'),"
    "       indicator_cell_current('CT2', x.ct2, x.staff, x.ct2_parts, x.targets -> 'CT2'),"
    "       indicator_cell_current('CT3', x.facilities_all, x.facilities, NULL, x.targets -> 'CT3'),"
    "       indicator_cell_current('CT4', x.supported, x.served, NULL, x.targets -> 'CT4') || x.ct4_flags,"
    "       indicator_cell_current('CT5', x.ct5, x.staff5, NULL, x.targets -> 'CT5'))) ORDER BY x.depth, x.code) FROM xf x)),"
    "   rollup_has_snapshots($1, $3::date, $5), set_config('synchronous_commit', 'off', true)"
    " FROM xf root WHERE root.depth = 0", 7);

/* The rollup on a basis (issue 10 §3, migrations/0024_snapshots.sql): the answer computed or
 * kept above, with each unit's basis and each cell's differs_from_approved, and on basis
 * 'approved' the snapshot figures of the approved units and the list of those not approved. */
DB_STMT(STMT_BASIS, "indicators_basis",
    "SELECT rollup_on_basis($1::json, $2, $3::date, $4::date, $5, $6, $7, $8)", 8);

void indicators_list(http_ctx *c)
{
    api_list_paged(c, &STMT_LIST, "listing indicators", NULL);
}

void indicators_target_put(http_ctx *c)
{
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
    target_body tb;
    target_body_read(body, 0, &tb, &v);
    if (http_refuse_invalid(c, &v) || api_begin(c) != 0) goto out;
    db_args ev;
    db_args_of(&ev, db_text(codebuf));
    PGresult *e = api_run(c, &STMT_EXISTS, &ev, "finding the indicator");
    if (e == NULL) goto out;
    int exists = PQntuples(e) == 1;
    PQclear(e);
    if (!exists) {
        db_rollback(api_conn(c));
        respond_problem(c, 404, "There is no such indicator.");
        goto out;
    }
    db_args gv;
    db_args_of(&gv, db_text(codebuf), db_int(year));
    cur = api_run(c, &STMT_TARGET_GET, &gv, "reading the target");
    if (cur == NULL) goto out;
    db_args pv;
    db_args_of(&pv, db_text(codebuf), db_int(year), db_text(tb.target), db_bool_if(tb.has_strict, tb.strict),
                    db_text(tb.has_deadline ? tb.deadline : NULL), db_text(tb.note));
    r = api_run(c, &STMT_TARGET_PUT, &pv, "saving the target");
    if (r == NULL) goto out;
    int existed = PQntuples(cur) == 1;
    char key[32];
    snprintf(key, sizeof key, "%s/%ld", codebuf, year);
    api_answer_put(c, "indicator_target", key, existed ? PQgetvalue(cur, 0, 0) : NULL, PQgetvalue(r, 0, 0), NULL);
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

/* The rollup's answer, JSON or CSV. */
static void rollup_answer(http_ctx *c, const char *pstr, const char *text, size_t len)
{
    if (http_wants_csv(c)) {
        api_csv_name(c, pstr);
        rollup_csv(c, text);
    } else
        respond_json_text(c, 200, text, len);
}

void indicators_rollup(http_ctx *c)
{
    verrs v;
    verrs_init(&v);
    long long id = 0;
    long depth = 1;
    period p;
    api_query_unit_period(c, &v, &id, &p);
    http_query_int(c, "depth", 0, 10, &depth, &v);
    const char *basis = http_query(c, "basis");
    if (basis == NULL) basis = "current";
    else if (strcmp(basis, "current") != 0 && strcmp(basis, "approved") != 0)
        verrs_add(&v, "basis", "must be current or approved");
    if (api_refuse_bad_query(c, &v) || api_db(c) == NULL) return;
    char first[11], last[11], today[11], pstr[12];
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
    if (api_refuse_unit_not_found(c, id)) return;
    char as_of[11];
    snprintf(as_of, sizeof as_of, "%s", strcmp(last, today) < 0 ? last : today); /* a running period counts up to today */
    db_args ov;
    db_args_of(&ov, db_int(id), db_text(first), db_text(as_of));
    PGresult *open = api_run(c, &STMT_OPEN_IN, &ov, "checking the unit's dates");
    if (open == NULL) return;
    int was_open = PQntuples(open) == 1 && strcmp(PQgetvalue(open, 0, 0), "t") == 0;
    if (was_open) snprintf(as_of, sizeof as_of, "%s", PQgetvalue(open, 0, 1)); /* up to its closing day */
    PQclear(open);
    if (!was_open) {
        respond_problem(c, 404, "This unit was not open during the period (see its opened_on and closed_on).");
        return;
    }
    db_args kv;
    db_args_of(&kv, db_int(id), db_text(pstr), db_text(as_of), db_int(depth), db_int(p.last.y), db_text(basis));
    PGresult *kept = api_run(c, &STMT_KEPT, &kv, "looking for a kept rollup");
    if (kept == NULL) return;
    if (!PQgetisnull(kept, 0, 3)) { /* the answer on this basis, kept */
        rollup_answer(c, pstr, PQgetvalue(kept, 0, 3), (size_t)PQgetlength(kept, 0, 3));
        PQclear(kept);
        return;
    }
    /* kept stays until the end: its snapshot (xmin:xmax:running xids) and epoch label what is
     * kept below. */
    int hit = !PQgetisnull(kept, 0, 2);
    PGresult *r = NULL;
    if (!hit) {
        db_args pv;
        db_args_of(&pv, db_int(id), db_text(first), db_text(as_of), db_int(depth), db_text(pstr),
                        db_text(period_type_name(p.type)), db_int(p.last.y));
        r = api_run(c, &STMT_ROLLUP, &pv, "computing the rollup");
        if (r == NULL) {
            PQclear(kept);
            return;
        }
        if (PQntuples(r) == 1) {
            /* Labelled with the snapshot of the lookup, taken before computing: whatever changed
             * meanwhile is invisible to it, so the next read computes again. */
            db_args sv;
            db_args_of(&sv, db_int(id), db_text(pstr), db_text(as_of), db_int(depth),
                            db_text(PQgetvalue(kept, 0, 0)), db_text(PQgetvalue(kept, 0, 1)),
                            db_text(PQgetvalue(r, 0, 0)));
            PGresult *s = db_run(api_conn(c), &STMT_KEEP, &sv);
            if (!db_ok(s)) log_msg(LOG_WARN, "could not keep a rollup (request %s)", c->request_id);
            PQclear(s);
        }
        if (PQntuples(r) != 1) {
            respond_problem(c, 404, "There is no such unit.");
            PQclear(r);
            PQclear(kept);
            return;
        }
    }
    /* Computed on basis 'current' with no approved snapshot below the root: the answer as it is. */
    PGresult *b = NULL;
    if (!hit && strcmp(basis, "current") == 0 && strcmp(PQgetvalue(r, 0, 1), "f") == 0) {
        b = r;
        r = NULL;
    } else {
        db_args bv;
        db_args_of(&bv, db_text(hit ? PQgetvalue(kept, 0, 2) : PQgetvalue(r, 0, 0)), db_int(id), db_text(first),
                        db_text(as_of), db_int(depth), db_text(pstr), db_int(p.last.y), db_text(basis));
        b = api_run(c, &STMT_BASIS, &bv, "reading the approved figures");
        PQclear(r);
        if (b == NULL) {
            PQclear(kept);
            return;
        }
    }
    /* Kept under the lookup's snapshot, as the current rollup is. */
    db_args sb;
    db_args_of(&sb, db_int(id), db_text(pstr), db_text(as_of), db_int(depth), db_text(basis),
                    db_text(PQgetvalue(kept, 0, 0)), db_text(PQgetvalue(kept, 0, 1)), db_text(PQgetvalue(b, 0, 0)));
    PGresult *s = db_run(api_conn(c), &STMT_KEEP_BASIS, &sb);
    if (!db_ok(s)) log_msg(LOG_WARN, "could not keep a rollup on a basis (request %s)", c->request_id);
    PQclear(s);
    PQclear(kept);
    rollup_answer(c, pstr, PQgetvalue(b, 0, 0), (size_t)PQgetlength(b, 0, 0));
    PQclear(b);
}

/* ---- DHIS2 ---- */

/* view=units: for every unit of the subtree its own figures (DHIS2 adds them up the hierarchy
 * itself, so subtree sums would count twice), units and data elements by our codes: the per-unit
 * view, for checking. The query is the SQL function dhis2_data_values
 * (migrations/0014_sql_functions.sql). */
DB_STMT(STMT_DHIS2, "exports_dhis2", "SELECT dhis2_data_values($1, $2, $3, $4, $5)", 5);

/* basis=approved: the data values the approvals of the subtree's units stored (issue 10 §3;
 * dhis2_approved_values, migrations/0024_snapshots.sql). */
DB_STMT(STMT_DHIS2_APPROVED, "exports_dhis2_approved", "SELECT dhis2_approved_values($1, $2)", 2);

/* The default view (issue 12 §2): what DHIS2 imports, the per-unit values sent as the units'
 * nearest mapped units, one data set (dhis2_send, migrations/0031_dhis2.sql). */
DB_STMT(STMT_DHIS2_SEND, "exports_dhis2_send",
    "SELECT dhis2_send($1, $4, $5, $6, dhis2_data_values($1, $2, $3, $4, $5)::jsonb)", 6);
DB_STMT(STMT_DHIS2_SEND_APPROVED, "exports_dhis2_send_approved",
    "SELECT dhis2_send($1, $2, $3, $4, dhis2_approved_values($1, $2)::jsonb)", 4);

/* Is the unit mapped, and if not, its nearest mapped ancestor's code. */
DB_STMT(STMT_DHIS2_ROOT, "exports_dhis2_root",
    "SELECT u.dhis2_id IS NOT NULL, (SELECT a.code FROM units a WHERE a.path @> u.path AND a.id <> u.id"
    " AND a.dhis2_id IS NOT NULL ORDER BY nlevel(a.path) DESC LIMIT 1) FROM units u WHERE u.id = $1", 1);

DB_STMT(STMT_DHIS2_METADATA, "exports_dhis2_metadata", "SELECT dhis2_metadata()", 0);

/* The DHIS2 identifier of a period: 202606, 2026Q2, 2026S1, 2026. */
static void dhis2_period(const period *p, char *buf, size_t len)
{
    if (p->type == PERIOD_MONTH) snprintf(buf, len, "%04d%02d", p->year, p->index);
    else period_format(p, buf, (int)len);
}

/* Our period types (reports.period_type) and DHIS2's, by period_type. */
static const char *const PTYPES[] = {"month", "quarter", "half_year", "year"};
static const char *const DHIS2_PTYPES[] = {"Monthly", "Quarterly", "SixMonthly", "Yearly"};

/* A unit that is not mapped while an ancestor is: its figures belong to that ancestor's, which
 * this export would send in part (DHIS2 would replace the ancestor's values with a part).
 * Returns 1 after answering. */
static int dhis2_refuse_partial(http_ctx *c, long long id)
{
    db_args a;
    db_args_of(&a, db_int(id));
    PGresult *r = api_run(c, &STMT_DHIS2_ROOT, &a, "reading the unit's DHIS2 mapping");
    if (r == NULL) return 1;
    int refuse = strcmp(PQgetvalue(r, 0, 0), "t") != 0 && !PQgetisnull(r, 0, 1);
    if (refuse) {
        verrs v;
        verrs_init(&v);
        json_t *pm = json_pack("{s:s}", "unit", PQgetvalue(r, 0, 1));
        if (pm == NULL) v.lost++;
        verrs_problem(&v, "unit_id", "dhis2_unmapped", pm);
        json_decref(pm);
        respond_problem_errors(c, 422, "This export would send part of a DHIS2 org unit's figures.", v.list);
        verrs_free(&v);
    }
    PQclear(r);
    return refuse;
}

void export_dhis2(http_ctx *c)
{
    verrs v;
    verrs_init(&v);
    long long id = 0;
    period p;
    api_query_unit_period(c, &v, &id, &p);
    const char *basis = http_query(c, "basis"), *view = http_query(c, "view"), *pt = http_query(c, "period_type");
    int approved = basis != NULL && strcmp(basis, "approved") == 0;
    if (basis != NULL && !approved && strcmp(basis, "current") != 0) verrs_add(&v, "basis", "must be current or approved");
    int units_view = view != NULL && strcmp(view, "units") == 0;
    if (view != NULL && !units_view && strcmp(view, "dhis2") != 0) verrs_add(&v, "view", "must be dhis2 or units");
    int want = -1;
    for (int i = 0; pt != NULL && i < 4; i++)
        if (strcmp(pt, DHIS2_PTYPES[i]) == 0) want = i;
    if (pt != NULL && want < 0) verrs_add(&v, "period_type", "must be Monthly, Quarterly, SixMonthly or Yearly");
    if (api_refuse_bad_query(c, &v) || api_db(c) == NULL) return;
    char first[11], last[11], today[11], pstr[12], dp[12];
    date_format(&p.first, first, sizeof first);
    date_format(&p.last, last, sizeof last);
    period_format(&p, pstr, sizeof pstr);
    dhis2_period(&p, dp, sizeof dp);
    api_today(today);
    if (want >= 0 && want != (int)p.type) {
        verrs_init(&v); /* emptied by api_refuse_bad_query */
        json_t *pm = json_pack("{s:s, s:s}", "type", DHIS2_PTYPES[p.type], "want", pt);
        if (pm == NULL) v.lost++;
        verrs_problem(&v, "period", "dhis2_period_type", pm);
        json_decref(pm);
        respond_problem_errors(c, 422, "The period is not of the data set's period type.", v.list);
        verrs_free(&v);
        return;
    }
    if (api_refuse_unit_not_found(c, id)) return;
    if (strcmp(first, today) > 0) {
        json_t *e = json_pack("[{s:s, s:s}]", "field", "period", "message", "has not started yet");
        respond_problem_errors(c, 422, "There is nothing to export yet.", e);
        json_decref(e);
        return;
    }
    if (!units_view && dhis2_refuse_partial(c, id)) return;
    const char *upto = strcmp(last, today) < 0 ? last : today;
    db_args pv;
    db_stmt *st;
    if (units_view && approved) {
        db_args_of(&pv, db_int(id), db_text(pstr));
        st = &STMT_DHIS2_APPROVED;
    } else if (units_view) {
        db_args_of(&pv, db_int(id), db_text(first), db_text(upto), db_text(pstr), db_text(dp));
        st = &STMT_DHIS2;
    } else if (approved) {
        db_args_of(&pv, db_int(id), db_text(pstr), db_text(dp), db_text(PTYPES[p.type]));
        st = &STMT_DHIS2_SEND_APPROVED;
    } else {
        db_args_of(&pv, db_int(id), db_text(first), db_text(upto), db_text(pstr), db_text(dp), db_text(PTYPES[p.type]));
        st = &STMT_DHIS2_SEND;
    }
    PGresult *r = api_run(c, st, &pv, "building the DHIS2 data values");
    if (r == NULL) return;
    respond_json_text(c, 200, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
    PQclear(r);
}

/* GET /api/v1/exports/dhis2/metadata: the package a DHIS2 administrator imports once. */
void export_dhis2_metadata(http_ctx *c)
{
    if (api_db(c) == NULL) return;
    db_args a;
    db_args_init(&a);
    PGresult *r = api_run(c, &STMT_DHIS2_METADATA, &a, "building the DHIS2 metadata");
    if (r == NULL) return;
    respond_json_text(c, 200, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
    PQclear(r);
}

/* ---- projection ---- */

/* For every child unit (and the unit itself) and indicator: its value at the end of each of the
 * last three months and today, a least-squares trend, the value it is heading for at the
 * target's deadline (the target of the current year; its deadline, or 31 December), and the
 * shortfall. Most at risk first. The query is the SQL function indicators_at_risk
 * (migrations/0014_sql_functions.sql). */
DB_STMT(STMT_AT_RISK, "indicators_at_risk", "SELECT indicators_at_risk($1, $2, $3)", 3);

void indicators_at_risk(http_ctx *c)
{
    verrs v;
    verrs_init(&v);
    long long id = 0;
    long limit = 20;
    if (http_query_id(c, "unit_id", &id, &v) == 0) verrs_add(&v, "unit_id", "is required");
    const char *ind = http_query(c, "indicator");
    if (ind && !(strlen(ind) == 3 && strncmp(ind, "CT", 2) == 0 && ind[2] >= '1' && ind[2] <= '5'))
        verrs_add(&v, "indicator", "must be CT1, CT2, CT3, CT4 or CT5");
    http_query_int(c, "limit", 1, 1000, &limit, &v);
    if (api_refuse_bad_query(c, &v) || api_db(c) == NULL) return;
    if (api_refuse_unit_not_found(c, id)) return;
    db_args pv;
    db_args_of(&pv, db_int(id), db_text(ind), db_int(limit));
    PGresult *r = api_run(c, &STMT_AT_RISK, &pv, "projecting the indicators");
    if (r == NULL) return;
    respond_json_text(c, 200, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
    PQclear(r);
}
