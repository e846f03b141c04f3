/* Reporting obligations (issue 10 §1): which children of a parent send the activity report on
 * which calendar, from which date to which date, and who approves it. Everyone reads the
 * obligations of their subtree and those that set their own deadlines (their ancestors');
 * managers add and end the obligations of parents in their subtree. An obligation is never
 * edited: changing one is ending it and adding another, so every period's rule stays readable.
 * Also the reporting-rate series of a subtree. The SQL is in migrations/0016_obligations.sql. */
#include "common.h"
#include "handlers.h"
#include "obligations.h"
#include "bdhvs/period.h"

#include <stdio.h>
#include <string.h>

#define OBLIGATION_VISIBLE                                                                                     \
    " (in_scope(p.path, $2) OR p.path @> (SELECT x.path FROM units x WHERE x.id = $2))"

DB_STMT(STMT_LIST, "obligations_list",
    "WITH f AS (SELECT o.* FROM reporting_obligations o JOIN units p ON p.id = o.parent_id"
    "   WHERE (in_scope(p.path, $1) OR p.path @> (SELECT x.path FROM units x WHERE x.id = $1))"
    "   AND ($2::bigint IS NULL OR o.parent_id = $2)"
    "   AND ($3::bigint IS NULL OR EXISTS (SELECT 1 FROM units k WHERE k.id = $3 AND k.parent_id = o.parent_id"
    "     AND (o.target = 'all_children' OR o.unit_type = k.type OR o.child_id = k.id)))"
    "   AND ($4::date IS NULL OR obligation_in_force(o.valid_from, o.valid_to, $4::date))"
    "   AND ($7::timestamptz IS NULL OR o.updated_at >= $7)),"
    " pg AS (SELECT f.id FROM f ORDER BY f.parent_id, f.id LIMIT $5 OFFSET $6)"
    " SELECT json_build_object('items', coalesce((SELECT json_agg(obligation_json(o) ORDER BY o.parent_id, o.id)"
    "   FROM pg JOIN reporting_obligations o ON o.id = pg.id), '[]'),"
    " 'total', (SELECT count(*) FROM f), 'limit', $5::int, 'offset', $6::int)", 7);

DB_STMT(STMT_GET, "obligations_get",
    "SELECT obligation_json(o) FROM reporting_obligations o JOIN units p ON p.id = o.parent_id"
    " WHERE o.id = $1 AND" OBLIGATION_VISIBLE, 2);

DB_STMT(STMT_LOCK, "obligations_lock",
    "SELECT obligation_json(o), in_scope(p.path, $2), o.valid_from, o.valid_to FROM reporting_obligations o"
    " JOIN units p ON p.id = o.parent_id WHERE o.id = $1 AND" OBLIGATION_VISIBLE " FOR UPDATE OF p, o", 2);

/* A unit's parent and type, locking it (the parent of an obligation is locked while its
 * obligations change, so that the overlap check and the write see the same rules). */
DB_STMT(STMT_UNIT, "obligations_unit", "SELECT coalesce(parent_id, 0), type FROM units WHERE id = $1", 1);
DB_STMT(STMT_LOCK_UNIT, "obligations_lock_unit", "SELECT id FROM units WHERE id = $1 FOR UPDATE", 1);

DB_STMT(STMT_CONFLICT, "obligations_conflict",
    "SELECT id, coalesce(valid_from::text, 'always'), coalesce(valid_to::text, 'open-ended')"
    " FROM obligation_conflict($1, $2, $3, $4, 'activity_report', $5, $6::text[], $7::date, $8::date, NULL)", 8);

DB_STMT(STMT_ADD, "obligations_add",
    "SELECT (obligation_add($1, $2, $3, $4, $5, $6, $7::date, $8::date, $9, $10::jsonb)).id", 10);

DB_STMT(STMT_READ, "obligations_read",
    "SELECT o.id, obligation_json(o) FROM reporting_obligations o WHERE o.id = $1", 1);

DB_STMT(STMT_END, "obligations_end", "SELECT (obligation_end($1, $2::date)).id", 2);

DB_STMT(STMT_RATES, "obligations_rates",
    "SELECT json_build_object('unit_id', u.id, 'unit_code', u.code, 'unit_name', u.name, 'period_type', $2::text,"
    " 'from', $5::text, 'to', $6::text, 'items', coalesce(reporting_rates(u.id, $2, $3::date, $4::date), '[]'))"
    " FROM units u WHERE u.id = $1 AND in_scope(u.path, $7)", 7);

static const char *const PERIOD_TYPES[] = {"month", "quarter", "half_year", "year", NULL};
static const int DEFAULT_DUE_MONTH[] = {1, 3, 6, 12}; /* the period's last month */
static const char *const UNIT_TYPES[] = {"department_of_health", "office", "hospital", "health_centre", "cdc",
                                         "ward", "unit_office", "commune_station", "other", NULL};

static int one_of(const char *const *set, const char *s)
{
    for (int i = 0; set[i]; i++)
        if (strcmp(set[i], s) == 0) return i;
    return -1;
}

int obligations_audit_changes(http_ctx *c, const char *changes)
{
    json_t *a = json_loads(changes, 0, NULL);
    size_t i;
    json_t *e;
    int rc = 0;
    json_array_foreach(a, i, e) {
        json_t *b = json_object_get(e, "before"), *af = json_object_get(e, "after");
        char *bt = b && !json_is_null(b) ? json_dumps(b, JSON_COMPACT) : NULL;
        char *at = af && !json_is_null(af) ? json_dumps(af, JSON_COMPACT) : NULL;
        rc = api_audit_id(c, json_string_value(json_object_get(e, "action")), "reporting_obligation",
                          json_integer_value(json_object_get(e, "id")), bt, at);
        free(bt);
        free(at);
        if (rc != 0) break;
    }
    json_decref(a);
    return rc;
}

void obligations_list(http_ctx *c)
{
    verrs v;
    verrs_init(&v);
    api_list_query lq;
    long long parent = 0, unit = 0;
    char on[11];
    int hp = http_query_id(c, "parent_id", &parent, &v) == 1, hu = http_query_id(c, "unit_id", &unit, &v) == 1;
    int ho = http_query_date(c, "active_on", on, &v) == 1;
    if (api_refuse_list_query(c, &v, NULL, NULL, &lq)) return;
    db_args pv;
    db_args_of(&pv, api_scope(c), db_int_if(hp, parent), db_int_if(hu, unit), db_text(ho ? on : NULL),
                    db_int(lq.limit), db_int(lq.offset), db_text(lq.since));
    api_list(c, &STMT_LIST, &pv, "listing reporting obligations", NULL);
}

API_GET_ONE_ROUTE(obligations_get, &STMT_GET, 1, "reading a reporting obligation", "There is no such reporting obligation.");

/* Reads the calendar into cal (a JSON text the SQL function takes) and its period types into
 * types (a SQL array text). Returns the number of period types with a rule. */
static int read_calendar(json_t *body, int exempt, char *cal, size_t calsz, char *types, size_t typesz, verrs *v)
{
    json_t *k = json_object_get(body, "calendar");
    snprintf(cal, calsz, "{}");
    snprintf(types, typesz, "{}");
    if (k == NULL || json_is_null(k)) {
        if (!exempt)
            verrs_add(v, "calendar", "is required: at least one of month, quarter, half_year, year with its due_day");
        return 0;
    }
    if (!json_is_object(k)) {
        verrs_add(v, "calendar", "must be an object such as {\"month\": {\"due_day\": 15}}");
        return 0;
    }
    if (exempt && json_object_size(k) > 0) {
        verrs_add(v, "calendar", "must be left out for an exempt obligation (its children send nothing)");
        return 0;
    }
    json_t *out = json_object();
    const char *key;
    json_t *rule;
    int n = 0;
    size_t tl = 1;
    types[0] = '{';
    json_object_foreach(k, key, rule) {
        char f[64];
        int t = one_of(PERIOD_TYPES, key);
        snprintf(f, sizeof f, "calendar.%.*s", (int)utf8_prefix(key, 20), key);
        if (t < 0) {
            verrs_add(v, f, "is not a period type: use month, quarter, half_year or year");
            continue;
        }
        if (!json_is_object(rule)) {
            verrs_add(v, f, "must be an object {\"due_month\", \"due_day\"}");
            continue;
        }
        json_t *m = json_object_get(rule, "due_month"), *d = json_object_get(rule, "due_day");
        int ok = 1;
        const char *kk;
        json_t *kv;
        json_object_foreach(rule, kk, kv) {
            if (strcmp(kk, "due_month") != 0 && strcmp(kk, "due_day") != 0) {
                verrs_add(v, f, "takes only due_month and due_day");
                ok = 0;
                break;
            }
        }
        if (d == NULL || json_is_null(d)) {
            verrs_add(v, f, "has no due_day: say on which day (1-31) its reports are due");
            ok = 0;
        } else if (!json_is_integer(d) || json_integer_value(d) < 1 || json_integer_value(d) > 31) {
            verrs_add(v, f, "due_day must be a whole number from 1 to 31");
            ok = 0;
        }
        if (m && (!json_is_integer(m) || json_integer_value(m) < 1 || json_integer_value(m) > 24)) {
            verrs_add(v, f, "due_month must be a whole number from 1 to 24 (1 = the period's first month)");
            ok = 0;
        }
        if (!ok) continue;
        json_object_set_new(out, key, json_pack("{s:I, s:I}", "due_month",
                                                (json_int_t)(m ? json_integer_value(m) : DEFAULT_DUE_MONTH[t]),
                                                "due_day", (json_int_t)json_integer_value(d)));
        tl += (size_t)snprintf(types + tl, typesz - tl, "%s%s", n ? "," : "", key);
        n++;
    }
    snprintf(types + tl, typesz - tl, "}");
    if (!exempt && json_object_size(k) == 0)
        verrs_add(v, "calendar", "has no due day: give at least one of month, quarter, half_year, year with its due_day");
    char *txt = json_dumps(out, JSON_COMPACT);
    snprintf(cal, calsz, "%s", txt ? txt : "{}");
    free(txt);
    json_decref(out);
    return n;
}

/* Reads a unit's parent and type; -1 after answering. */
static int unit_info(http_ctx *c, long long id, long long *parent, char type[32])
{
    db_args a;
    db_args_of(&a, db_int(id));
    PGresult *r = api_run(c, &STMT_UNIT, &a, "reading a unit");
    if (r == NULL) return -1;
    *parent = PQntuples(r) ? atoll(PQgetvalue(r, 0, 0)) : 0;
    snprintf(type, 32, "%s", PQntuples(r) ? PQgetvalue(r, 0, 1) : "");
    PQclear(r);
    return 0;
}

void obligations_create(http_ctx *c)
{
    static const char *const fields[] = {"parent_id", "parent_code", "target", "child_id", "child_code", "unit_type",
                                         "form", "exempt", "calendar", "approver_unit_id", "approver_unit_code",
                                         "valid_from", "valid_to", "description", NULL};
    api_change w;
    if (api_change_open(c, &w, 0)) return;
    long long pid = 0, cid = 0, aid = 0;
    const char *pcode = NULL, *ccode = NULL, *acode = NULL, *target = NULL, *utype = NULL, *form = NULL,
               *desc = NULL;
    char from[11] = "", to[11] = "", cal[1024], types[64];
    int exempt = 0;
    json_refuse_unknown(w.body, fields, &w.v);
    int hp = (jfield_id(w.body, "parent_id", &pid, &w.v) == 1) | (jfield_string(w.body, "parent_code", 1, 32, &pcode, &w.v) == 1);
    if (!hp && !json_object_get(w.body, "parent_id") && !json_object_get(w.body, "parent_code"))
        verrs_add(&w.v, "parent_id", "is required (or parent_code)");
    if (jfield_string(w.body, "target", 1, 20, &target, &w.v) == 0)
        verrs_add(&w.v, "target", "is required: child, unit_type or all_children");
    else if (target && strcmp(target, "child") != 0 && strcmp(target, "unit_type") != 0 && strcmp(target, "all_children") != 0)
        verrs_add(&w.v, "target", "must be child, unit_type or all_children");
    int hc = (jfield_id(w.body, "child_id", &cid, &w.v) == 1) | (jfield_string(w.body, "child_code", 1, 32, &ccode, &w.v) == 1);
    int ht = jfield_string(w.body, "unit_type", 1, 40, &utype, &w.v) == 1;
    if (ht && one_of(UNIT_TYPES, utype) < 0) verrs_add(&w.v, "unit_type", "is not a unit type");
    if (target && strcmp(target, "child") == 0 && !hc && !json_object_get(w.body, "child_id") && !json_object_get(w.body, "child_code"))
        verrs_add(&w.v, "child_id", "is required for target child (or child_code)");
    if (target && strcmp(target, "child") != 0 && hc) verrs_add(&w.v, "child_id", "is only for target child");
    if (target && strcmp(target, "unit_type") == 0 && !ht && !json_object_get(w.body, "unit_type"))
        verrs_add(&w.v, "unit_type", "is required for target unit_type");
    if (target && strcmp(target, "unit_type") != 0 && ht) verrs_add(&w.v, "unit_type", "is only for target unit_type");
    if (jfield_string(w.body, "form", 1, 40, &form, &w.v) == 1 && strcmp(form, "activity_report") != 0)
        verrs_add(&w.v, "form", "must be activity_report (the six-section activity report)");
    jfield_bool(w.body, "exempt", &exempt, &w.v);
    read_calendar(w.body, exempt, cal, sizeof cal, types, sizeof types, &w.v);
    int ha = (jfield_id(w.body, "approver_unit_id", &aid, &w.v) == 1) |
             (jfield_string(w.body, "approver_unit_code", 1, 32, &acode, &w.v) == 1);
    if (jfield_date(w.body, "valid_from", from, &w.v) == 0) verrs_add(&w.v, "valid_from", "is required (YYYY-MM-DD)");
    json_t *tj = json_object_get(w.body, "valid_to");
    int hto = tj && !json_is_null(tj) && jfield_date(w.body, "valid_to", to, &w.v) == 1;
    if (hto && from[0] && strcmp(to, from) < 0) verrs_add(&w.v, "valid_to", "must be on or after valid_from");
    json_t *dj = json_object_get(w.body, "description");
    if (dj && !json_is_null(dj)) jfield_string(w.body, "description", 1, 300, &desc, &w.v);
    if (http_refuse_invalid(c, &w.v) || api_begin(c) != 0) goto out;

    long long parent = api_resolve_unit(c, pid, pcode, pcode ? "parent_code" : "parent_id", 1, &w.v);
    if (parent == -2) goto out;
    long long child = 0, approver = parent > 0 ? parent : 0;
    char ctype[32];
    long long cp;
    if (parent > 0 && hc) {
        child = api_resolve_unit(c, cid, ccode, ccode ? "child_code" : "child_id", 1, &w.v);
        if (child == -2) goto out;
        if (child > 0) {
            if (unit_info(c, child, &cp, ctype) != 0) goto out;
            if (cp != parent) verrs_add(&w.v, ccode ? "child_code" : "child_id", "is not a direct child of the parent");
        }
    }
    if (parent > 0 && ha) {
        approver = api_resolve_unit(c, aid, acode, acode ? "approver_unit_code" : "approver_unit_id", 1, &w.v);
        if (approver == -2) goto out;
        if (approver > 0 && approver != parent) {
            if (unit_info(c, approver, &cp, ctype) != 0) goto out;
            if (cp != parent || (strcmp(ctype, "office") != 0 && strcmp(ctype, "unit_office") != 0))
                verrs_add(&w.v, acode ? "approver_unit_code" : "approver_unit_id",
                          "must be the parent or one of its offices (type office or unit_office)");
        }
    }
    if (verrs_count(&w.v) > 0) {
        db_rollback(api_conn(c));
        http_refuse_invalid(c, &w.v);
        goto out;
    }
    db_args lv;
    db_args_of(&lv, db_int(parent));
    PGresult *lr = api_run(c, &STMT_LOCK_UNIT, &lv, "locking the parent");
    if (lr == NULL) goto out;
    PQclear(lr);
    db_args kv;
    db_args_of(&kv, db_int(parent), db_text(target), db_int_if(child > 0, child), db_text(utype), db_bool(exempt),
                    db_text(types), db_text(from), db_text(hto ? to : NULL));
    PGresult *k = api_run(c, &STMT_CONFLICT, &kv, "checking for overlapping obligations");
    if (k == NULL) goto out;
    if (PQntuples(k) == 1) {
        verrs_add(&w.v, "valid_from",
                  "overlaps reporting obligation %s (valid from %s to %s) for the same children, form and period type;"
                  " end it first (POST /api/v1/reporting-obligations/%s/end) or start this one after it ends",
                  PQgetvalue(k, 0, 0), PQgetvalue(k, 0, 1), PQgetvalue(k, 0, 2), PQgetvalue(k, 0, 0));
        PQclear(k);
        db_rollback(api_conn(c));
        http_refuse_invalid(c, &w.v);
        goto out;
    }
    PQclear(k);
    db_args av;
    db_args_of(&av, db_int(parent), db_text(target), db_int_if(child > 0, child), db_text(utype), db_bool(exempt),
                    db_int(approver), db_text(from), db_text(hto ? to : NULL), db_text(desc), db_text(cal));
    PGresult *ar = api_run(c, &STMT_ADD, &av, "adding the reporting obligation");
    if (ar == NULL) goto out;
    long long nid = atoll(PQgetvalue(ar, 0, 0));
    PQclear(ar);
    db_args rv;
    db_args_of(&rv, db_int(nid));
    w.r = api_run(c, &STMT_READ, &rv, "reading the reporting obligation");
    if (w.r != NULL) api_created(c, w.r, "reporting_obligation", "/api/v1/reporting-obligations", 1);
out:
    api_change_close(&w);
}

void obligations_end(http_ctx *c)
{
    static const char *const fields[] = {"valid_to", NULL};
    api_change w;
    if (api_change_open(c, &w, 1)) return;
    char to[11] = "";
    json_refuse_unknown(w.body, fields, &w.v);
    if (jfield_date(w.body, "valid_to", to, &w.v) == 0) verrs_add(&w.v, "valid_to", "is required: the last day in force (YYYY-MM-DD)");
    if (http_refuse_invalid(c, &w.v) || api_begin(c) != 0) goto out;
    db_args lv;
    db_args_of(&lv, db_int(w.id), api_scope(c));
    w.cur = api_lock_one(c, &STMT_LOCK, &lv, "There is no such reporting obligation.", 1);
    if (w.cur == NULL) goto out;
    if (strcmp(PQgetvalue(w.cur, 0, 1), "t") != 0) {
        db_rollback(api_conn(c));
        respond_problem(c, 403, "This obligation is set by a unit above yours.");
        goto out;
    }
    const char *vf = PQgetvalue(w.cur, 0, 2), *vt = PQgetvalue(w.cur, 0, 3);
    if (!PQgetisnull(w.cur, 0, 3) && strcmp(to, vt) >= 0) {
        json_t *pm = json_pack("{s:s}", "day", vt);
        db_rollback(api_conn(c));
        respond_problem_msg(c, 409, "obligation_ends_already", pm, NULL);
        json_decref(pm);
        goto out;
    }
    if (!PQgetisnull(w.cur, 0, 2)) {
        date_ymd f;
        char before[11];
        date_parse(vf, &f);
        /* the day before valid_from: an obligation ended then was never in force */
        if (--f.d == 0) {
            if (--f.m == 0) f.m = 12, f.y--;
            f.d = date_days_in_month(f.y, f.m);
        }
        date_format(&f, before, sizeof before);
        if (strcmp(to, before) < 0) {
            json_t *pm = json_pack("{s:s}", "day", before);
            verrs_problem(&w.v, "valid_to", "valid_to_before_start", pm);
            json_decref(pm);
            db_rollback(api_conn(c));
            http_refuse_invalid(c, &w.v);
            goto out;
        }
    }
    db_args ev;
    db_args_of(&ev, db_int(w.id), db_text(to));
    PGresult *er = api_run(c, &STMT_END, &ev, "ending the reporting obligation");
    if (er == NULL) goto out;
    PQclear(er);
    db_args rv;
    db_args_of(&rv, db_int(w.id));
    w.r = api_run(c, &STMT_READ, &rv, "reading the reporting obligation");
    if (w.r == NULL) goto out;
    if (api_audit_id(c, "end", "reporting_obligation", w.id, PQgetvalue(w.cur, 0, 0), PQgetvalue(w.r, 0, 1)) != 0 ||
        api_commit(c) != 0)
        goto out;
    respond_resource_text(c, 200, PQgetvalue(w.r, 0, 1), (size_t)PQgetlength(w.r, 0, 1));
out:
    api_change_close(&w);
}

/* At most this many periods in one series. */
#define RATES_MAX_PERIODS 120

void reporting_rates(http_ctx *c)
{
    verrs v;
    verrs_init(&v);
    long long id = 0;
    period pf, pt;
    if (http_query_id(c, "unit_id", &id, &v) == 0) verrs_add(&v, "unit_id", "is required");
    const char *fs = http_query(c, "from"), *ts = http_query(c, "to");
    int okf = fs && period_parse(fs, &pf) == 0, okt = ts && period_parse(ts, &pt) == 0;
    if (fs == NULL) verrs_add(&v, "from", "is required: the first period, like 2026-01, 2026Q1, 2026S1 or 2026");
    else if (!okf) verrs_add(&v, "from", "must be like 2026-06, 202606, 2026Q2, 2026S1 or 2026");
    if (ts == NULL) verrs_add(&v, "to", "is required: the last period, of the same type as from");
    else if (!okt) verrs_add(&v, "to", "must be like 2026-06, 202606, 2026Q2, 2026S1 or 2026");
    char first[11], last[11], fstr[12], tstr[12];
    if (okf && okt) {
        date_format(&pf.first, first, sizeof first);
        date_format(&pt.first, last, sizeof last);
        long n = (long)(pt.year - pf.year) * (pf.type == PERIOD_MONTH ? 12 : pf.type == PERIOD_QUARTER ? 4 : pf.type == PERIOD_HALF ? 2 : 1) +
                 (pt.index - pf.index) + 1;
        if (pf.type != pt.type) verrs_add(&v, "to", "must be a period of the same type as from");
        else if (strcmp(last, first) < 0) verrs_add(&v, "to", "must not be before from");
        else if (n > RATES_MAX_PERIODS) verrs_problem_n2(&v, "to", "series_too_long", "count", n, "max", RATES_MAX_PERIODS);
        period_format(&pf, fstr, sizeof fstr);
        period_format(&pt, tstr, sizeof tstr);
    }
    if (api_refuse_bad_query(c, &v) || api_db(c) == NULL) return;
    db_args a;
    db_args_of(&a, db_int(id), db_text(period_type_name(pf.type)), db_text(first), db_text(last), db_text(fstr),
                   db_text(tstr), api_scope(c));
    PGresult *r = api_run(c, &STMT_RATES, &a, "reading the reporting rates");
    if (r == NULL) return;
    if (PQntuples(r) != 1) respond_problem(c, 404, "There is no such unit.");
    else respond_json_text(c, 200, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
    PQclear(r);
}
