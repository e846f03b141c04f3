/* Reporting schedules: a parent unit's due-date rule for its direct children, per period type.
 * Anyone sees the rules of their subtree and the ones that set their own deadlines (their
 * ancestors'); managers change the rules of their subtree. A schedule is the view of a reporting
 * obligation covering all children of its unit (migrations/0016_obligations.sql): adding one adds
 * a period type to that obligation, changing or deleting one ends the obligation and starts a
 * copy from today (the schedule keeps its id), so the periods already open keep their rule. */
#include "common.h"
#include "handlers.h"
#include "obligations.h"

static const char *const PERIOD_TYPES[] = {"month", "quarter", "half_year", "year", NULL};

#define SCHEDULE_VISIBLE                                                                                       \
    " (in_scope(u.path, $2) OR u.path @> (SELECT x.path FROM units x WHERE x.id = $2))"

DB_STMT(STMT_LIST, "schedules_list",
    "WITH f AS (SELECT s.* FROM schedules s JOIN units u ON u.id = s.unit_id WHERE" SCHEDULE_VISIBLE
    "   AND ($1::bigint IS NULL OR s.unit_id = $1)"
    "   AND ($3::bigint IS NULL OR u.path <@ (SELECT x.path FROM units x WHERE x.id = $3))"
    "   AND ($4::text IS NULL OR s.period_type = $4) AND ($7::timestamptz IS NULL OR s.updated_at >= $7)),"
    " p AS (SELECT f.id, row_number() OVER (ORDER BY CASE WHEN $8 = 'id' THEN f.id END,"
    "   CASE WHEN $8 = '-id' THEN f.id END DESC, CASE WHEN $8 = '-unit_code' THEN u.code END DESC, u.code, array_position(ARRAY['month','quarter',"
    "   'half_year','year'], f.period_type), f.id) AS rn FROM f JOIN units u ON u.id = f.unit_id" API_AFTER_ID(9)
    "   ORDER BY rn LIMIT $5 OFFSET $6)"
    " SELECT json_build_object('items', coalesce((SELECT json_agg(schedule_json(s) ORDER BY p.rn)"
    "   FROM p JOIN schedules s ON s.id = p.id), '[]'),"
    " 'total', (SELECT count(*) FROM f), 'limit', $5::int, 'offset', $6::int)", 9);

DB_STMT(STMT_GET, "schedules_get",
    "SELECT schedule_json(s) FROM schedules s JOIN units u ON u.id = s.unit_id WHERE s.id = $1 AND" SCHEDULE_VISIBLE, 2);

DB_STMT(STMT_LOCK, "schedules_lock",
    "SELECT schedule_json(s), in_scope(u.path, $2) FROM schedules s JOIN units u ON u.id = s.unit_id"
    " WHERE s.id = $1 AND" SCHEDULE_VISIBLE " FOR UPDATE OF u", 2);

DB_STMT(STMT_LOCK_UNIT, "schedules_lock_unit", "SELECT id FROM units WHERE id = $1 FOR UPDATE", 1);

DB_STMT(STMT_INSERT, "schedules_insert", "SELECT schedule_id, changes FROM schedule_add($1, $2, $3, $4, $5)", 5);

DB_STMT(STMT_READ, "schedules_read", "SELECT s.id, schedule_json(s) FROM schedules s WHERE s.id = $1", 1);

DB_STMT(STMT_UPDATE, "schedules_update", "SELECT schedule_change($1, $2, $3, $4, $5, $6)", 6);

static int period_type_ok(const char *s)
{
    for (int i = 0; PERIOD_TYPES[i]; i++)
        if (strcmp(PERIOD_TYPES[i], s) == 0) return 1;
    return 0;
}

void schedules_list(http_ctx *c)
{
    /* unit_code: the unit's code, then the period type from month to year (the order before sort
     * existed); id: the order of keyset pages (after=). */
    static const char *const sorts[] = {"unit_code", "id", NULL};
    verrs v;
    verrs_init(&v);
    api_list_query lq;
    long long unit = 0, under = 0;
    int hu = http_query_id(c, "unit_id", &unit, &v) == 1, hn = http_query_id(c, "under", &under, &v) == 1;
    const char *pt = http_query(c, "period_type");
    if (pt && !period_type_ok(pt)) verrs_add(&v, "period_type", "must be month, quarter, half_year or year");
    if (api_refuse_list_query(c, &v, sorts, "unit_code", &lq)) return;
    db_args pv;
    db_args_of(&pv, db_int_if(hu, unit), api_scope(c), db_int_if(hn, under), db_text(pt),
                    db_int(lq.limit), db_int(lq.offset), db_text(lq.since), db_text(lq.sort));
    db_arg(&pv, api_list_after(&lq));
    api_list(c, &STMT_LIST, &pv, "listing schedules", NULL);
}

API_GET_ONE_ROUTE(schedules_get, &STMT_GET, 1, "reading a schedule", "There is no such schedule.");

/* Reads due_month, due_day and description (all optional) from body. */
static void read_rule(json_t *body, long long *month, long long *day, const char **desc, int *desc_given, verrs *v)
{
    json_t *m = json_object_get(body, "due_month"), *d = json_object_get(body, "due_day");
    if (m && (!json_is_integer(m) || json_integer_value(m) < 1 || json_integer_value(m) > 24))
        verrs_add(v, "due_month", "must be a whole number from 1 to 24 (1 = the period's first month)");
    else if (m) *month = json_integer_value(m);
    if (d && (!json_is_integer(d) || json_integer_value(d) < 1 || json_integer_value(d) > 31))
        verrs_add(v, "due_day", "must be a whole number from 1 to 31");
    else if (d) *day = json_integer_value(d);
    json_t *ds = json_object_get(body, "description");
    if (ds && json_is_null(ds)) *desc_given = 1;
    else *desc_given = jfield_string(body, "description", 1, 300, desc, v) == 1;
}

void schedules_create(http_ctx *c)
{
    static const char *const fields[] = {"unit_id", "unit_code", "period_type", "due_month", "due_day", "description", NULL};
    api_change w;
    if (api_change_open(c, &w, 0)) return;
    long long uid = 0, month = 0, day = 0;
    const char *ucode = NULL, *pt = NULL, *desc = NULL;
    int desc_given = 0;
    json_refuse_unknown(w.body, fields, &w.v);
    int hu = (jfield_id(w.body, "unit_id", &uid, &w.v) == 1) | (jfield_string(w.body, "unit_code", 1, 32, &ucode, &w.v) == 1);
    if (!hu && !json_object_get(w.body, "unit_id") && !json_object_get(w.body, "unit_code")) verrs_add(&w.v, "unit_id", "is required (or unit_code)");
    if (jfield_string(w.body, "period_type", 1, 20, &pt, &w.v) == 0) verrs_add(&w.v, "period_type", "is required");
    else if (pt && !period_type_ok(pt)) verrs_add(&w.v, "period_type", "must be month, quarter, half_year or year");
    read_rule(w.body, &month, &day, &desc, &desc_given, &w.v);
    if (!json_object_get(w.body, "due_month")) verrs_add(&w.v, "due_month", "is required");
    if (!json_object_get(w.body, "due_day")) verrs_add(&w.v, "due_day", "is required");
    if (http_refuse_invalid(c, &w.v) || api_begin(c) != 0) goto out;
    long long unit = api_resolve_unit(c, uid, ucode, ucode ? "unit_code" : "unit_id", 1, &w.v);
    if (unit == -2 || http_refuse_invalid(c, &w.v)) goto out;
    db_args lv;
    db_args_of(&lv, db_int(unit));
    PGresult *lr = api_run(c, &STMT_LOCK_UNIT, &lv, "locking the unit");
    if (lr == NULL) goto out;
    PQclear(lr);
    db_args iv;
    db_args_of(&iv, db_int(unit), db_text(pt), db_int(month), db_int(day), db_text(desc));
    PGresult *ar = api_run_unique(c, &STMT_INSERT, &iv, "creating a schedule",
                                  "This unit already has a rule for that period type.");
    if (ar == NULL) goto out;
    long long sid = atoll(PQgetvalue(ar, 0, 0));
    db_args rv;
    db_args_of(&rv, db_int(sid));
    int audited = obligations_audit_changes(c, PQgetvalue(ar, 0, 1));
    PQclear(ar);
    if (audited != 0) goto out;
    w.r = api_run(c, &STMT_READ, &rv, "reading the schedule");
    if (w.r != NULL) api_created(c, w.r, "schedule", "/api/v1/schedules", 1);
out:
    api_change_close(&w);
}

/* Locks a visible schedule; answers 404, or 403 for a rule set above the caller's subtree. */
static PGresult *lock_schedule(http_ctx *c, long long id)
{
    db_args v;
    db_args_of(&v, db_int(id), api_scope(c));
    PGresult *r = api_lock_one(c, &STMT_LOCK, &v, "There is no such schedule.", 1);
    if (r != NULL && strcmp(PQgetvalue(r, 0, 1), "t") != 0) {
        PQclear(r);
        db_rollback(api_conn(c));
        respond_problem(c, 403, "This rule is set by a unit above yours.");
        return NULL;
    }
    return r;
}

void schedules_update(http_ctx *c)
{
    static const char *const fields[] = {"due_month", "due_day", "description", NULL};
    api_change w;
    if (api_change_open(c, &w, 1)) return;
    long long month = 0, day = 0;
    const char *desc = NULL;
    int desc_given = 0;
    json_refuse_unknown(w.body, fields, &w.v);
    read_rule(w.body, &month, &day, &desc, &desc_given, &w.v);
    if (api_change_lock(c, &w, lock_schedule) == 0) {
        db_args uv;
        db_args_of(&uv, db_int(w.id), db_int_if(month, month), db_int_if(day, day), db_bool(desc_given),
                        db_text(desc), db_bool(0));
        PGresult *ch = api_run(c, &STMT_UPDATE, &uv, "updating the schedule");
        if (ch != NULL) {
            int audited = obligations_audit_changes(c, PQgetvalue(ch, 0, 0));
            PQclear(ch);
            db_args rv;
            db_args_of(&rv, db_int(w.id));
            if (audited == 0) w.r = api_run(c, &STMT_READ, &rv, "reading the schedule");
            if (w.r) {
                /* api_updated answers column 0 and audits audit_col of both rows: the JSON is column 1 here */
                if (api_audit_id(c, "update", "schedule", w.id, PQgetvalue(w.cur, 0, 0), PQgetvalue(w.r, 0, 1)) == 0 &&
                    api_commit(c) == 0)
                    respond_resource_text(c, 200, PQgetvalue(w.r, 0, 1), (size_t)PQgetlength(w.r, 0, 1));
            }
        }
    }
    api_change_close(&w);
}

void schedules_delete(http_ctx *c)
{
    long long id = http_path_id(c, "id");
    if (id == 0 || api_begin(c) != 0) return;
    PGresult *cur = lock_schedule(c, id);
    if (cur == NULL) return;
    db_args uv;
    db_args_of(&uv, db_int(id), db_int_if(0, 0), db_int_if(0, 0), db_bool(0), db_text(NULL), db_bool(1));
    PGresult *ch = api_run(c, &STMT_UPDATE, &uv, "deleting the schedule");
    if (ch != NULL && obligations_audit_changes(c, PQgetvalue(ch, 0, 0)) == 0 &&
        api_audit_id(c, "delete", "schedule", id, PQgetvalue(cur, 0, 0), NULL) == 0 && api_commit(c) == 0)
        respond_empty(c, 204);
    PQclear(ch);
    PQclear(cur);
}
