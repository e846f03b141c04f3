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

/* Writing a definition (issue 11 §4, migration 0041): admins only (routes.c). The indicator is
 * locked so that two writes of its definitions are one after the other (which years a write
 * changes depends on the other rows). */
DB_STMT(STMT_DEF_INDICATOR, "indicator_definitions_indicator",
    "SELECT 1 FROM indicators WHERE code = $1 FOR NO KEY UPDATE", 1);
DB_STMT(STMT_DEF_PROBLEMS, "indicator_definitions_problems",
    "SELECT field, problem, params FROM indicator_definition_problems($1, $2::jsonb)", 2);
DB_STMT(STMT_DEF_CURRENT, "indicator_definitions_current",
    "SELECT indicator_definition_json(d), (SELECT count(*) FROM indicator_definitions x WHERE x.indicator = $1)"
    " FROM indicator_definitions d WHERE d.indicator = $1 AND d.from_year = $2 FOR UPDATE", 2);
DB_STMT(STMT_DEF_LOCK, "indicator_definitions_lock", "SELECT indicator_definition_lock_check($1, $2)", 2);
DB_STMT(STMT_DEF_PUT, "indicator_definitions_put",
    "INSERT INTO indicator_definitions AS d (indicator, from_year, plan, numerator_vi, numerator_en, denominator_vi,"
    " denominator_en, params) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)"
    " ON CONFLICT (indicator, from_year) DO UPDATE SET plan = EXCLUDED.plan, numerator_vi = EXCLUDED.numerator_vi,"
    " numerator_en = EXCLUDED.numerator_en, denominator_vi = EXCLUDED.denominator_vi,"
    " denominator_en = EXCLUDED.denominator_en, params = EXCLUDED.params"
    " RETURNING indicator_definition_json(d)", 8);
DB_STMT(STMT_DEF_DELETE, "indicator_definitions_delete",
    "DELETE FROM indicator_definitions WHERE indicator = $1 AND from_year = $2", 2);

/* The words of a rule: {"vi": ..., "en": ...}, both required, nothing else (key: numerator or
 * denominator). */
static void read_words(json_t *body, const char *key, const char **vi, const char **en, verrs *v)
{
    json_t *o = json_object_get(body, key);
    if (o == NULL) {
        verrs_problem(v, key, "required", NULL);
        return;
    }
    if (!json_is_object(o)) {
        verrs_problem(v, key, "not_an_object", NULL);
        return;
    }
    const char *k;
    json_t *x;
    char field[64];
    json_object_foreach(o, k, x) {
        if (strcmp(k, "vi") != 0 && strcmp(k, "en") != 0) {
            snprintf(field, sizeof field, "%s.%.40s", key, k);
            verrs_problem(v, field, "not_a_field", NULL);
        }
    }
    const char *langs[] = {"vi", "en"};
    const char **outs[] = {vi, en};
    for (int i = 0; i < 2; i++) {
        snprintf(field, sizeof field, "%s.%s", key, langs[i]);
        if (jfield_string_as(o, langs[i], field, 1, 2000, outs[i], v) == 0) verrs_problem(v, field, "required", NULL);
    }
}

/* The path's indicator code and year (a definition's, a target's): 422 naming code or year. */
static void read_definition_path(http_ctx *c, char code[16], long *year, verrs *v)
{
    const char *cs = http_path_param(c, "code");
    snprintf(code, 16, "%s", cs && strlen(cs) <= 10 ? cs : "");
    if (!code[0]) verrs_add(v, "code", "must be an indicator code (see /api/v1/indicators)");
    const char *ys = http_path_param(c, "year");
    if (ys == NULL || config_parse_int(ys, 2000, 2100, year) != 0) verrs_add(v, "year", "must be a year from 2000 to 2100");
}

/* In the open transaction: finds the indicator with st (a definition's write also locks it): 422
 * naming code when there is none. Returns 1 when it answered (rolled back). */
static int refuse_no_indicator(http_ctx *c, db_stmt *st, const char *code)
{
    db_args iv;
    db_args_of(&iv, db_text(code));
    PGresult *e = api_run(c, st, &iv, "finding the indicator");
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

/* In the open transaction: 409 period-locked when the change of the year's definition alters a
 * year that holds an approved or accepted report. Returns 1 when it answered (rolled back). */
static int refuse_definition_locked(http_ctx *c, const char *code, long year)
{
    db_args lv;
    db_args_of(&lv, db_text(code), db_int(year));
    PGresult *l = api_run(c, &STMT_DEF_LOCK, &lv, "checking the approved periods");
    if (l == NULL) return 1;
    PQclear(l);
    return 0;
}

/* In the open transaction: runs the DELETE st, audits it (entity, key; before: the first cell of
 * cur, which it frees), commits and answers 204. */
static void delete_audited(http_ctx *c, db_stmt *st, const db_args *a, const char *entity, const char *key,
                           PGresult *cur)
{
    PGresult *d = api_run(c, st, a, "removing it");
    int failed = d == NULL || api_audit(c, "delete", entity, key, PQgetvalue(cur, 0, 0), NULL) != 0 ||
                 api_commit(c) != 0;
    PQclear(d);
    PQclear(cur);
    if (!failed) respond_empty(c, 204);
}

void indicator_definition_put(http_ctx *c)
{
    verrs v;
    verrs_init(&v);
    char code[16], key[32];
    long year = 0;
    read_definition_path(c, code, &year, &v);
    json_t *body = http_json_body(c, 0);
    if (body == NULL) {
        verrs_free(&v);
        return;
    }
    static const char *const fields[] = {"plan", "numerator", "denominator", "parameters", NULL};
    json_refuse_unknown(body, fields, &v);
    const char *plan = NULL, *nvi = NULL, *nen = NULL, *dvi = NULL, *den = NULL;
    if (jfield_string(body, "plan", 1, 300, &plan, &v) == 0) verrs_problem(&v, "plan", "required", NULL);
    read_words(body, "numerator", &nvi, &nen, &v);
    read_words(body, "denominator", &dvi, &den, &v);
    json_t *pj = json_object_get(body, "parameters");
    char *params = pj ? json_dumps(pj, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    PGresult *cur = NULL, *r = NULL;
    if (pj == NULL) verrs_problem(&v, "parameters", "required", NULL);
    /* The body's errors and the parameters' (which need the database) in one 422. */
    if (!code[0] || year == 0) {
        http_refuse_invalid(c, &v);
        goto out;
    }
    if (api_begin(c) != 0 || refuse_no_indicator(c, &STMT_DEF_INDICATOR, code)) goto out;
    db_args qv;
    db_args_of(&qv, db_text(code), db_text(params));
    if (pj != NULL && api_add_problems(c, &STMT_DEF_PROBLEMS, &qv, &v) != 0) goto out;
    if (verrs_count(&v) > 0) {
        db_rollback(api_conn(c));
        http_refuse_invalid(c, &v);
        goto out;
    }
    if (refuse_definition_locked(c, code, year)) goto out;
    db_args cv;
    db_args_of(&cv, db_text(code), db_int(year));
    cur = api_run(c, &STMT_DEF_CURRENT, &cv, "reading the definition");
    if (cur == NULL) goto out;
    db_args pv;
    db_args_of(&pv, db_text(code), db_int(year), db_text(plan), db_text(nvi), db_text(nen), db_text(dvi), db_text(den),
               db_text(params));
    r = api_run(c, &STMT_DEF_PUT, &pv, "saving the definition");
    if (r == NULL) goto out;
    snprintf(key, sizeof key, "%s/%ld", code, year);
    api_answer_put(c, "indicator_definition", key, PQntuples(cur) == 1 ? PQgetvalue(cur, 0, 0) : NULL,
                   PQgetvalue(r, 0, 0), NULL);
out:
    PQclear(r);
    PQclear(cur);
    free(params);
    verrs_free(&v);
    json_decref(body);
}

void indicator_definition_delete(http_ctx *c)
{
    verrs v;
    verrs_init(&v);
    char code[16], key[32];
    long year = 0;
    read_definition_path(c, code, &year, &v);
    if (http_refuse_invalid(c, &v) || api_begin(c) != 0) goto out;
    if (refuse_no_indicator(c, &STMT_DEF_INDICATOR, code)) goto out;
    db_args cv;
    db_args_of(&cv, db_text(code), db_int(year));
    PGresult *cur = api_run(c, &STMT_DEF_CURRENT, &cv, "reading the definition");
    if (cur == NULL) goto out;
    if (PQntuples(cur) != 1 || strcmp(PQgetvalue(cur, 0, 1), "1") == 0) {
        int none = PQntuples(cur) != 1;
        PQclear(cur);
        db_rollback(api_conn(c));
        if (none) respond_problem(c, 404, "This indicator has no definition in force from this year.");
        else
            respond_problem(c, 409, "This is the indicator's only definition: replace it (PUT) instead of removing it.");
        goto out;
    }
    if (refuse_definition_locked(c, code, year)) {
        PQclear(cur);
        goto out;
    }
    snprintf(key, sizeof key, "%s/%ld", code, year);
    delete_audited(c, &STMT_DEF_DELETE, &cv, "indicator_definition", key, cur);
out:
    verrs_free(&v);
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
    read_definition_path(c, code, year, v);
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
    return refuse_no_indicator(c, &STMT_INDICATOR, code);
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
    snprintf(key, sizeof key, "%lld/%s/%ld", id, code, year);
    delete_audited(c, &STMT_DELETE, &cv, "unit_target", key, cur);
out:
    verrs_free(&v);
}
