/* Staff assignment history (issue 11 §1): transfers from a date, a person's history, the staff
 * a unit's closing must place somewhere (issue 10 §5), and the list behind a number (issue 11
 * §6: GET /staff?missing=). The history and the rule of what a person lacks live in SQL
 * (migrations/0019_staff_history.sql); this file checks, writes and audits. */
#include "common.h"
#include "handlers.h"

/* The staff member in the caller's scope, locked: full JSON, current unit. */
DB_STMT(STMT_LOCK, "transfers_lock_staff",
    "SELECT staff_json(s, true), s.unit_id FROM staff s JOIN units u ON u.id = s.unit_id"
    " WHERE s.id = $1 AND in_scope(u.path, $2) FOR UPDATE OF s", 2);

/* The checks of a transfer ($4: the horizon in days), and whether the target lies in the subtree
 * of the current unit's parent (a transfer within one parent's subtree; anything else is "across
 * subtrees"). */
DB_STMT(STMT_CHECK, "transfers_check",
    "SELECT k.joined_on, k.left_on, k.last_from, k.last_unit_code, k.unit_on, k.target_open,"
    " $3::date > k.today + $4::int, k.today + $4::int,"
    " (SELECT t.path <@ coalesce(p.path, su.path) FROM staff s JOIN units su ON su.id = s.unit_id"
    "   LEFT JOIN units p ON p.id = su.parent_id, units t WHERE s.id = $1 AND t.id = $2)"
    " FROM staff_transfer_check($1, $2, $3::date) k", 4);

DB_STMT(STMT_TRANSFER, "transfers_do", "SELECT staff_transfer($1, $2, $3::date, $4)", 4);

DB_STMT(STMT_HISTORY, "transfers_history",
    "SELECT json_build_object('staff_id', s.id, 'staff_code', s.code, 'joined_on', s.joined_on,"
    " 'left_on', s.left_on, 'items', (SELECT json_agg(staff_assignment_json(a) ORDER BY lower(a.during) NULLS FIRST)"
    "   FROM staff_assignments a WHERE a.staff_id = s.id))"
    " FROM staff s JOIN units u ON u.id = s.unit_id WHERE s.id = $1 AND in_scope(u.path, $2)", 2);

/* Active staff whose last assignment is the unit and who still work after the closing day,
 * locked, with the day a transfer on the closing day takes effect for each (not before joining). */
DB_STMT(STMT_STAFF_AFTER, "transfers_staff_after",
    "SELECT s.id, s.code, s.full_name, greatest($2::date, s.joined_on)::text, staff_json(s, true) FROM staff s"
    " JOIN staff_assignments a ON a.staff_id = s.id AND upper_inf(a.during) AND a.unit_id = $1"
    " WHERE s.left_on IS NULL OR s.left_on > $2::date ORDER BY s.code FOR UPDATE OF s", 2);

DB_STMT(STMT_MISSING, "transfers_staff_missing", "SELECT staff_missing($1, $2, $3::date, $4, $5, $6, $7)", 7);

static int horizon_days(const http_ctx *c)
{
    return c->cfg ? c->cfg->transfer_horizon_days : 31;
}

/* Adds to v what makes a transfer of staff to unit from day on impossible; *across is set when
 * the target lies outside the subtree of the current unit's parent. Returns -1 after answering
 * a database error. */
static int check_transfer(http_ctx *c, long long staff, long long unit, const char *on, const char *field_on,
                          const char *field_unit, const char *who, int *across, verrs *v)
{
    char horizon[12];
    snprintf(horizon, sizeof horizon, "%d", horizon_days(c));
    db_args a;
    db_args_of(&a, db_int(staff), db_int(unit), db_text(on), db_text(horizon));
    PGresult *r = api_run(c, &STMT_CHECK, &a, "checking the transfer");
    if (r == NULL) return -1;
    const char *joined = api_cell(r, 0, 0), *left = api_cell(r, 0, 1), *last = api_cell(r, 0, 2);
    const char *last_code = api_cell(r, 0, 3), *unit_on = api_cell(r, 0, 4), *open = api_cell(r, 0, 5);
    const char *field = field_on, *code = NULL;
    json_t *pm = json_pack("{s:s}", "who", who);
    if (joined && strcmp(on, joined) < 0) {
        code = "moved_before_joined";
        json_object_set_new(pm, "joined_on", json_string(joined));
    } else if (left && strcmp(on, left) > 0) {
        code = "moved_after_left";
        json_object_set_new(pm, "left_on", json_string(left));
    } else if (strcmp(api_cell(r, 0, 6) ? api_cell(r, 0, 6) : "f", "t") == 0) {
        code = "moved_beyond_horizon";
        json_object_set_new(pm, "days", json_integer(horizon_days(c)));
        json_object_set_new(pm, "last_day", json_string(api_cell(r, 0, 7) ? api_cell(r, 0, 7) : ""));
    } else if (last && strcmp(on, last) <= 0) {
        code = "moved_overlaps";
        json_object_set_new(pm, "unit", json_string(last_code ? last_code : "?"));
        json_object_set_new(pm, "from", json_string(last));
    } else if (open == NULL || strcmp(open, "t") != 0) {
        code = "moved_unit_not_open", field = field_unit;
        json_object_set_new(pm, "day", json_string(on));
    } else if (unit_on && atoll(unit_on) == unit) {
        code = "moved_same_unit", field = field_unit;
        json_object_set_new(pm, "day", json_string(on));
    }
    if (code != NULL) {
        if (pm == NULL) v->lost++; /* fail closed: refused all the same */
        verrs_problem(v, field, code, pm);
    }
    json_decref(pm);
    *across = api_cell(r, 0, 8) == NULL || strcmp(api_cell(r, 0, 8), "t") != 0;
    PQclear(r);
    return 0;
}

/* Runs the transfer and audits it (action "transfer", before: the staff member, after: the
 * transfer). Returns the transfer's JSON (free it) or NULL after answering. */
static char *do_transfer(http_ctx *c, long long staff, const char *before, long long unit, const char *on,
                         const char *note)
{
    db_args a;
    db_args_of(&a, db_int(staff), db_int(unit), db_text(on), db_text(note));
    PGresult *r = api_run(c, &STMT_TRANSFER, &a, "transferring the staff member");
    if (r == NULL) return NULL;
    char *json = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (json == NULL || api_audit_id(c, "transfer", "staff", staff, before, json) != 0) {
        if (json == NULL) {
            db_rollback(api_conn(c));
            respond_problem(c, 500, "Out of memory.");
        }
        free(json);
        return NULL;
    }
    return json;
}

void staff_transfers_create(http_ctx *c)
{
    static const char *const fields[] = {"unit_id", "unit_code", "effective_on", "note", NULL};
    api_change w;
    if (api_change_open(c, &w, 1)) return;
    long long unit_id = 0;
    const char *unit_code = NULL, *note = NULL;
    char on[11] = "";
    json_refuse_unknown(w.body, fields, &w.v);
    int given = jfield_id(w.body, "unit_id", &unit_id, &w.v) == 1;
    given |= jfield_string(w.body, "unit_code", 1, 32, &unit_code, &w.v) == 1;
    if (!given && !json_object_get(w.body, "unit_id") && !json_object_get(w.body, "unit_code"))
        verrs_add(&w.v, "unit_id", "is required (or unit_code)");
    if (api_change_dated(c, &w, on, &note)) goto out;
    db_args lv;
    db_args_of(&lv, db_int(w.id), api_scope(c));
    w.cur = api_lock_one(c, &STMT_LOCK, &lv, "There is no such staff member.", 0);
    if (w.cur == NULL) goto out;
    const char *field_unit = unit_code && !unit_id ? "unit_code" : "unit_id";
    long long unit = api_resolve_unit(c, unit_id, unit_code, field_unit, 0, &w.v);
    if (unit == -2) goto out;
    int across = 0;
    if (unit > 0 && check_transfer(c, w.id, unit, on, "effective_on", field_unit, "", &across, &w.v) != 0) goto out;
    if (http_refuse_invalid(c, &w.v)) {
        db_rollback(api_conn(c));
        goto out;
    }
    if (across && c->who.role != ROLE_ADMIN && c->who.role != ROLE_MANAGER) {
        db_rollback(api_conn(c));
        respond_problem(c, 403,
                        "A transfer across subtrees (outside the subtree of the staff member's unit's parent) needs a "
                        "manager of a unit above both units, or an administrator.");
        goto out;
    }
    char *json = do_transfer(c, w.id, PQgetvalue(w.cur, 0, 0), unit, on, note);
    if (json == NULL) goto out;
    if (api_commit(c) == 0) {
        char loc[80];
        snprintf(loc, sizeof loc, "/api/v1/staff/%lld/history", w.id);
        http_set_header(c, "Location", loc);
        respond_json_text(c, 201, json, strlen(json));
    }
    free(json);
out:
    api_change_close(&w);
}

void staff_history(http_ctx *c)
{
    long long id = http_path_id(c, "id");
    if (id == 0 || api_db(c) == NULL) return;
    db_args v;
    db_args_of(&v, db_int(id), api_scope(c));
    PGresult *r = api_run(c, &STMT_HISTORY, &v, "reading a staff member's history");
    if (r == NULL) return;
    if (PQntuples(r) != 1) respond_problem(c, 404, "There is no such staff member.");
    else if (api_audit_read_id(c, "staff", id, NULL) == 0)
        respond_json_text(c, 200, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
    PQclear(r);
}

int transfers_on_close(http_ctx *c, long long unit, const char *closed_on, long long transfer_to)
{
    db_args a;
    db_args_of(&a, db_int(unit), db_text(closed_on));
    PGresult *st = api_run(c, &STMT_STAFF_AFTER, &a, "finding the unit's staff");
    if (st == NULL) return 1;
    int n = PQntuples(st), answered = 0;
    verrs v;
    verrs_init(&v);
    if (n == 0 && transfer_to == 0) goto out;
    if (transfer_to == 0) {
        for (int i = 0; i < n && i < 100; i++) {
            json_t *pm = json_pack("{s:s, s:s, s:s}", "code", PQgetvalue(st, i, 1), "name", PQgetvalue(st, i, 2), "day",
                                   closed_on);
            if (pm == NULL) v.lost++;
            verrs_problem(&v, "staff", "still_works_after", pm);
            json_decref(pm);
        }
        json_t *cm = json_pack("{s:i}", "count", n);
        db_rollback(api_conn(c));
        respond_problem_msg(c, 409, n == 1 ? "staff_still_work_one" : "staff_still_work", cm, v.list);
        json_decref(cm);
        answered = 1;
        goto out;
    }
    long long target = api_resolve_unit(c, transfer_to, NULL, "transfer_to", 0, &v);
    if (target == -2) {
        answered = 1;
        goto out;
    }
    if (target == unit) verrs_add(&v, "transfer_to", "must be another unit than the one closing");
    if (n == 0 && verrs_count(&v) == 0) goto out; /* nobody to place: transfer_to is not used */
    for (int i = 0; target > 0 && target != unit && i < n; i++) {
        char who[120];
        snprintf(who, sizeof who, "%s: ", PQgetvalue(st, i, 1));
        int across = 0;
        if (check_transfer(c, atoll(PQgetvalue(st, i, 0)), target, PQgetvalue(st, i, 3), "closed_on", "transfer_to",
                           who, &across, &v) != 0) {
            answered = 1;
            goto out;
        }
    }
    if (verrs_count(&v)) {
        db_rollback(api_conn(c));
        respond_problem_errors(c, 422, "The staff cannot be transferred there; see errors.", v.list);
        answered = 1;
        goto out;
    }
    for (int i = 0; i < n; i++) {
        char *json = do_transfer(c, atoll(PQgetvalue(st, i, 0)), PQgetvalue(st, i, 4), target, PQgetvalue(st, i, 3),
                                 "unit closed");
        if (json == NULL) {
            answered = 1;
            goto out;
        }
        free(json);
    }
out:
    PQclear(st);
    verrs_free(&v);
    return answered;
}

/* GET /api/v1/staff?missing=CTn[&as_of=][&under=]: called by staff_list. */
void staff_missing_list(http_ctx *c)
{
    static const char *const allowed[] = {"missing", "as_of", "under", "limit", "offset", NULL};
    verrs v;
    verrs_init(&v);
    long long under = 0;
    long limit = 50, offset = 0;
    char as_of[11] = "", today[11];
    const char *ind = http_query(c, "missing");
    for (int i = 0; i < c->nq; i++) {
        int ok = 0;
        for (int k = 0; allowed[k]; k++) ok |= strcmp(c->qkeys[i], allowed[k]) == 0;
        if (!ok && ind) verrs_add(&v, c->qkeys[i], "cannot be combined with missing (use as_of, under, limit, offset)");
    }
    int has_under = http_query_id(c, "under", &under, &v) == 1;
    int has_on = http_query_date(c, "as_of", as_of, &v) == 1;
    if (ind == NULL && has_on) verrs_add(&v, "as_of", "is taken only with missing (CT1, CT2 or CT5)");
    else if (ind && !(strcmp(ind, "CT1") == 0 || strcmp(ind, "CT2") == 0 || strcmp(ind, "CT5") == 0))
        verrs_add(&v, "missing", "must be CT1, CT2 or CT5 (the indicators that count staff)");
    api_page_params(c, &v, &limit, &offset);
    api_today(today);
    if (has_on && strcmp(as_of, today) > 0) verrs_add(&v, "as_of", "must not be in the future");
    if (!has_on) memcpy(as_of, today, sizeof as_of);
    if (api_refuse_bad_query(c, &v) || api_db(c) == NULL) return;
    if (has_under && api_refuse_unit_not_found(c, under)) return;
    db_args pv;
    db_args_of(&pv, api_scope(c), db_int_if(has_under, under), db_text(as_of), db_text(ind), db_int(limit),
                    db_int(offset), db_bool(api_shows_party(c)));
    PGresult *r = api_run(c, &STMT_MISSING, &pv, "listing the staff who do not count yet");
    if (r == NULL) return;
    int recorded = api_audit_staff_page(c, PQgetvalue(r, 0, 0), "json");
    if (recorded == 0) respond_json_text(c, 200, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
    PQclear(r);
}
