/* Indicator definitions by year (issue 11 §4) and targets per unit (issue 11 §5). Targets per unit: a unit's own target for an indicator and a year, inherited by
 * the units below it unless they set their own (plan 19/KH-TTYT sets TTYT Sơn Động's for 2025);
 * without one above, the Department-wide target applies (/indicators/{code}/targets/{year}).
 * The nearest target is looked up by unit_target (migrations/0029_targets_definitions.sql), for
 * the rollup and the at-risk projection alike. A manager sets the targets of the units below
 * their own, an administrator any unit's. */
#include "common.h"
#include "handlers.h"
#include "targets.h"

void target_body_read(json_t *body, long year, target_body *tb, verrs *v)
{
    static const char *const fields[] = {"target", "strict", "deadline", "note", NULL};
    memset(tb, 0, sizeof *tb);
    json_refuse_unknown(body, fields, v);
    json_t *t = json_object_get(body, "target");
    if (t == NULL) verrs_add(v, "target", "is required");
    else if (!json_is_number(t) || json_number_value(t) < 0 || json_number_value(t) > 100)
        verrs_add(v, "target", "must be a percentage from 0 to 100");
    else snprintf(tb->target, sizeof tb->target, "%.1f", json_number_value(t));
    tb->has_strict = jfield_bool(body, "strict", &tb->strict, v) == 1;
    tb->has_deadline = jfield_nullable_date(body, "deadline", tb->deadline, v) == 1;
    json_t *nj = json_object_get(body, "note");
    if (nj && !json_is_null(nj)) jfield_string(body, "note", 1, 300, &tb->note, v);
    if (year && tb->has_deadline && tb->deadline[0]) {
        char ystr[8];
        snprintf(ystr, sizeof ystr, "%04ld", year);
        if (strncmp(tb->deadline, ystr, 4) != 0) {
            json_t *pm = json_pack("{s:I}", "year", (json_int_t)year);
            verrs_problem(v, "deadline", "deadline_year", pm);
            json_decref(pm);
        }
    }
}

DB_STMT(STMT_LIST, "unit_targets_list", "SELECT unit_targets_json($1, $2)", 2);

/* The indicators' definitions in force in a year (issue 11 §4; indicator_definitions_json, migration 0029). */
DB_STMT(STMT_DEFINITIONS, "indicator_definitions", "SELECT indicator_definitions_json($1)", 1);

void indicators_definitions(http_ctx *c)
{
    verrs v;
    verrs_init(&v);
    char today[11];
    api_today(today);
    long year = atol(today);
    const char *ys = http_query(c, "year");
    if (ys != NULL && config_parse_int(ys, 2000, 2100, &year) != 0) verrs_add(&v, "year", "must be a year from 2000 to 2100");
    if (api_refuse_bad_query(c, &v) || api_db(c) == NULL) return;
    db_args pv;
    db_args_of(&pv, db_int(year));
    api_answer_one(c, &STMT_DEFINITIONS, &pv, "reading the definitions", "There are no definitions.");
}

/* The unit, locked against a concurrent change of its targets: in the caller's scope, and not the
 * caller's own unit ($3, null for those who may set any unit's). */
DB_STMT(STMT_UNIT, "unit_targets_unit",
    "SELECT ($3::bigint IS NULL OR u.id <> $3) FROM units u WHERE u.id = $1 AND in_scope(u.path, $2)"
    " FOR NO KEY UPDATE", 3);

DB_STMT(STMT_INDICATOR, "unit_targets_indicator", "SELECT 1 FROM indicators WHERE code = $1", 1);

DB_STMT(STMT_CURRENT, "unit_targets_current",
    "SELECT unit_target_json(t) FROM unit_targets t WHERE t.unit_id = $1 AND t.indicator = $2 AND t.year = $3"
    " FOR UPDATE", 3);

DB_STMT(STMT_PUT, "unit_targets_put",
    "INSERT INTO unit_targets AS t (unit_id, indicator, year, target, strict, deadline, note, updated_by)"
    " VALUES ($1, $2, $3, $4, coalesce($5::bool, false), $6, $7, $8)"
    " ON CONFLICT (unit_id, indicator, year) DO UPDATE SET target = EXCLUDED.target,"
    " strict = coalesce($5::bool, t.strict), deadline = EXCLUDED.deadline, note = EXCLUDED.note,"
    " updated_at = now(), updated_by = EXCLUDED.updated_by"
    " RETURNING unit_target_json(t)", 8);

DB_STMT(STMT_DELETE, "unit_targets_delete",
    "DELETE FROM unit_targets WHERE unit_id = $1 AND indicator = $2 AND year = $3", 3);

void unit_targets_list(http_ctx *c)
{
    long long id = http_path_id(c, "id");
    if (id == 0) return;
    verrs v;
    verrs_init(&v);
    long year = 0;
    const char *ys = http_query(c, "year");
    if (ys != NULL && config_parse_int(ys, 2000, 2100, &year) != 0) verrs_add(&v, "year", "must be a year from 2000 to 2100");
    if (api_refuse_bad_query(c, &v) || api_db(c) == NULL) return;
    if (api_refuse_unit_not_found(c, id)) return;
    db_args pv;
    db_args_of(&pv, db_int(id), db_int_if(ys != NULL, year));
    api_answer_one(c, &STMT_LIST, &pv, "listing the unit's targets", "There is no such unit.");
}

/* The path's id, indicator code and year, checked: 422 for an unknown indicator or a year outside
 * 2000-2100 (names the field). Returns 1 when it answered. */
static int read_target_path(http_ctx *c, long long *id, char code[16], long *year, verrs *v)
{
    *id = http_path_id(c, "id");
    if (*id == 0) return 1;
    const char *cs = http_path_param(c, "code");
    snprintf(code, 16, "%s", cs && strlen(cs) <= 10 ? cs : "");
    if (!code[0]) verrs_add(v, "code", "must be an indicator code (see /api/v1/indicators)");
    const char *ys = http_path_param(c, "year");
    if (ys == NULL || config_parse_int(ys, 2000, 2100, year) != 0) verrs_add(v, "year", "must be a year from 2000 to 2100");
    return 0;
}

/* In the open transaction: the unit may have its targets set by the caller (404 outside the scope,
 * 403 for the caller's own unit) and the indicator exists (422). Returns 1 when it answered (rolled
 * back). */
static int refuse_target_change(http_ctx *c, long long id, const char *code)
{
    db_args uv;
    db_args_of(&uv, db_int(id), api_scope(c), db_int_if(!c->who.all_units, c->who.unit_id));
    PGresult *u = api_run(c, &STMT_UNIT, &uv, "reading the unit");
    if (u == NULL) return 1;
    int found = PQntuples(u) == 1, below = found && strcmp(PQgetvalue(u, 0, 0), "t") == 0;
    PQclear(u);
    if (!found || !below) {
        db_rollback(api_conn(c));
        if (!found) respond_problem(c, 404, "There is no such unit.");
        else
            respond_problem(c, 403, "A unit's targets are set from above it: a manager sets the targets of the units"
                                    " below their own (an administrator, any unit's).");
        return 1;
    }
    db_args iv;
    db_args_of(&iv, db_text(code));
    PGresult *e = api_run(c, &STMT_INDICATOR, &iv, "finding the indicator");
    if (e == NULL) return 1;
    int exists = PQntuples(e) == 1;
    PQclear(e);
    if (!exists) {
        db_rollback(api_conn(c));
        json_t *errs = json_pack("[{s:s, s:s}]", "field", "code", "message",
                                 "must be an indicator code (see /api/v1/indicators)");
        respond_problem_errors(c, 422, "There is no such indicator.", errs);
        json_decref(errs);
        return 1;
    }
    return 0;
}

void unit_target_put(http_ctx *c)
{
    verrs v;
    verrs_init(&v);
    long long id;
    char code[16];
    long year = 0;
    if (read_target_path(c, &id, code, &year, &v)) {
        verrs_free(&v);
        return;
    }
    json_t *body = http_json_body(c, 0);
    if (body == NULL) {
        verrs_free(&v);
        return;
    }
    PGresult *cur = NULL, *r = NULL;
    char key[64];
    target_body tb;
    target_body_read(body, year, &tb, &v);
    if (http_refuse_invalid(c, &v) || api_begin(c) != 0) goto out;
    if (refuse_target_change(c, id, code)) goto out;
    db_args cv;
    db_args_of(&cv, db_int(id), db_text(code), db_int(year));
    cur = api_run(c, &STMT_CURRENT, &cv, "reading the target");
    if (cur == NULL) goto out;
    db_args pv;
    db_args_of(&pv, db_int(id), db_text(code), db_int(year), db_text(tb.target), db_bool_if(tb.has_strict, tb.strict),
                    db_text(tb.has_deadline ? tb.deadline : NULL), db_text(tb.note), db_int(c->who.user_id));
    r = api_run(c, &STMT_PUT, &pv, "saving the target");
    if (r == NULL) goto out;
    int existed = PQntuples(cur) == 1;
    snprintf(key, sizeof key, "%lld/%s/%ld", id, code, year);
    api_answer_put(c, "unit_target", key, existed ? PQgetvalue(cur, 0, 0) : NULL, PQgetvalue(r, 0, 0), NULL);
out:
    PQclear(r);
    PQclear(cur);
    verrs_free(&v);
    json_decref(body);
}

void unit_target_delete(http_ctx *c)
{
    verrs v;
    verrs_init(&v);
    long long id;
    char code[16], key[64];
    long year = 0;
    if (read_target_path(c, &id, code, &year, &v) || http_refuse_invalid(c, &v) || api_begin(c) != 0) goto out;
    if (refuse_target_change(c, id, code)) goto out;
    db_args cv;
    db_args_of(&cv, db_int(id), db_text(code), db_int(year));
    PGresult *cur = api_run(c, &STMT_CURRENT, &cv, "reading the target");
    if (cur == NULL) goto out;
    if (PQntuples(cur) != 1) {
        PQclear(cur);
        db_rollback(api_conn(c));
        respond_problem(c, 404, "This unit has no target of its own for this indicator and year.");
        goto out;
    }
    PGresult *d = api_run(c, &STMT_DELETE, &cv, "removing the target");
    if (d == NULL) {
        PQclear(cur);
        goto out;
    }
    PQclear(d);
    snprintf(key, sizeof key, "%lld/%s/%ld", id, code, year);
    int failed = api_audit(c, "delete", "unit_target", key, PQgetvalue(cur, 0, 0), NULL) != 0 || api_commit(c) != 0;
    PQclear(cur);
    if (!failed) respond_empty(c, 204);
out:
    verrs_free(&v);
}
