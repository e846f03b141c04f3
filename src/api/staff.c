/* Staff: the people whose training the campaign tracks. Personal data kept to the minimum (no
 * national ID number); party membership only for admins and managers; every read is audited. */
#include "common.h"
#include "handlers.h"

static const char *const STAFF_COLUMNS[] = {"id", "code", "full_name", "unit_id", "unit_code", "job_group",
                                            "employment", "party_member", "joined_on", "left_on",
                                            "vneid_confirmed_on", "vneid_source", "created_at", "updated_at", NULL};

DB_STMT(STMT_LIST, "staff_list",
    "WITH f AS (SELECT s.* FROM staff s JOIN units u ON u.id = s.unit_id WHERE in_scope(u.path, $1)"
    "   AND ($2::bigint IS NULL OR s.unit_id = $2)"
    "   AND ($3::bigint IS NULL OR u.path <@ (SELECT x.path FROM units x WHERE x.id = $3))"
    "   AND ($4::text IS NULL OR s.job_group = $4) AND ($5::text IS NULL OR s.employment = $5)"
    "   AND ($6::bool IS NULL OR $6 = (s.joined_on <= coalesce($7::date, current_date)"
    "        AND (s.left_on IS NULL OR s.left_on >= coalesce($7::date, current_date))))"
    "   AND ($8::bool IS NULL OR $8 = EXISTS (SELECT 1 FROM completions c JOIN courses k ON k.id = c.course_id"
    "        WHERE c.staff_id = s.id AND k.counts_for_campaign))"
    "   AND ($9::bool IS NULL OR $9 = (s.vneid_confirmed_on IS NOT NULL))"
    "   AND ($10::text IS NULL OR strpos(f_unaccent(s.full_name), f_unaccent($10)) > 0"
    "        OR strpos(lower(s.code), lower($10)) > 0)"
    "   AND ($11::timestamptz IS NULL OR s.updated_at >= $11)),"
    " p AS (SELECT f.id, row_number() OVER (ORDER BY"
    "   CASE WHEN $12 = 'code' THEN f.code END, CASE WHEN $12 = '-code' THEN f.code END DESC,"
    "   CASE WHEN $12 = 'full_name' THEN f_unaccent(f.full_name) END,"
    "   CASE WHEN $12 = '-full_name' THEN f_unaccent(f.full_name) END DESC,"
    "   CASE WHEN $12 = 'joined_on' THEN f.joined_on END, CASE WHEN $12 = '-joined_on' THEN f.joined_on END DESC,"
    "   CASE WHEN $12 = 'updated_at' THEN f.updated_at END, CASE WHEN $12 = '-updated_at' THEN f.updated_at END DESC,"
    "   CASE WHEN $12 = '-id' THEN f.id END DESC, f.id) AS rn FROM f" API_AFTER_ID(16) " ORDER BY rn LIMIT $13 OFFSET $14)"
    " SELECT json_build_object('items', coalesce((SELECT json_agg(staff_json(s, $15) ORDER BY p.rn)"
    "   FROM p JOIN staff s ON s.id = p.id), '[]'),"
    " 'total', (SELECT count(*) FROM f), 'limit', $13::int, 'offset', $14::int)", 16);

#define STAFF_IN_SCOPE " AND EXISTS (SELECT 1 FROM units u WHERE u.id = s.unit_id AND in_scope(u.path, $2))"

DB_STMT(STMT_GET, "staff_get", "SELECT staff_json(s, $3) FROM staff s WHERE s.id = $1" STAFF_IN_SCOPE, 3);

DB_STMT(STMT_LOCK, "staff_lock", "SELECT staff_json(s, $3), staff_json(s, true) FROM staff s WHERE s.id = $1" STAFF_IN_SCOPE
                  " FOR UPDATE OF s", 3);

DB_STMT(STMT_INSERT, "staff_insert",
    "INSERT INTO staff (code, full_name, unit_id, job_group, employment, party_member, joined_on, left_on,"
    " vneid_confirmed_on, vneid_source) VALUES ($1, $2, $3, $4, $5, coalesce($6::bool, false), $7, $8, $9, $10)"
    " RETURNING staff.id, staff_json(staff, $11), staff_json(staff, true)", 11);

DB_STMT(STMT_UPDATE, "staff_update",
    "UPDATE staff SET code = coalesce($2, code), full_name = coalesce($3, full_name),"
    " unit_id = coalesce($4::bigint, unit_id), job_group = coalesce($5, job_group),"
    " employment = coalesce($6, employment), party_member = coalesce($7::bool, party_member),"
    " joined_on = coalesce($8::date, joined_on),"
    " left_on = CASE WHEN $9::bool THEN $10::date ELSE left_on END,"
    " vneid_confirmed_on = CASE WHEN $11::bool THEN $12::date ELSE vneid_confirmed_on END,"
    " vneid_source = CASE WHEN $13::bool THEN $14 ELSE vneid_source END, updated_at = now()"
    " WHERE id = $1 RETURNING staff_json(staff, $15), staff_json(staff, true)", 15);

DB_STMT(STMT_DELETE, "staff_delete", "DELETE FROM staff WHERE id = $1", 1);
/* The rows a staff member's deletion takes with it (ON DELETE CASCADE), deleted first so that
 * each is audited as it was: (entity, id, JSON before). */
DB_STMT(STMT_DELETE_CASCADE, "staff_delete_cascade",
    "WITH c AS (DELETE FROM completions WHERE staff_id = $1 RETURNING id, completion_json(completions) AS j),"
    " a AS (DELETE FROM attestations WHERE staff_id = $1 RETURNING id, attestation_json(attestations) AS j)"
    " SELECT 'completion', id, j FROM c UNION ALL SELECT 'attestation', id, j FROM a ORDER BY 1, 2", 1);

DB_STMT(STMT_REFS_ACTIVE, "staff_refs_active",
    "SELECT $1::text IS NULL OR EXISTS (SELECT 1 FROM job_groups WHERE code = $1 AND active),"
    " $2::text IS NULL OR EXISTS (SELECT 1 FROM employment_types WHERE code = $2 AND active)", 2);

/* Adds an error for a job group or employment type that is unknown or no longer active.
 * Returns -1 after answering a database error. */
static int check_refs(http_ctx *c, const char *job_group, const char *employment, verrs *v)
{
    db_args pv;
    db_args_of(&pv, db_text(job_group), db_text(employment));
    PGresult *r = api_run(c, &STMT_REFS_ACTIVE, &pv, "checking reference codes");
    if (r == NULL) return -1;
    if (strcmp(PQgetvalue(r, 0, 0), "t") != 0) verrs_add(v, "job_group", "is not an active job group code (see /api/v1/job-groups)");
    if (strcmp(PQgetvalue(r, 0, 1), "t") != 0)
        verrs_add(v, "employment", "is not an active employment type code (see /api/v1/employment-types)");
    PQclear(r);
    return 0;
}

static const char *const STAFF_COLUMNS_NO_PARTY[] = {"id", "code", "full_name", "unit_id", "unit_code", "job_group",
                                                     "employment", "joined_on", "left_on", "vneid_confirmed_on",
                                                     "vneid_source", "created_at", "updated_at", NULL};

static const char *bool_text(int given, int value)
{
    return given ? (value ? "true" : "false") : NULL;
}

void staff_list(http_ctx *c)
{
    static const char *const sorts[] = {"code", "full_name", "joined_on", "updated_at", "id", NULL};
    verrs v;
    verrs_init(&v);
    api_list_query lq;
    long long unit = 0, under = 0;
    int active = 0, has_comp = 0, vneid = 0;
    char active_on[11] = "";
    int has_unit = http_query_id(c, "unit_id", &unit, &v) == 1;
    int has_under = http_query_id(c, "under", &under, &v) == 1;
    int has_active = http_query_bool(c, "active", &active, &v) == 1;
    int has_on = http_query_date(c, "active_on", active_on, &v) == 1;
    int has_hc = http_query_bool(c, "has_completion", &has_comp, &v) == 1;
    int has_vn = http_query_bool(c, "vneid_confirmed", &vneid, &v) == 1;
    const char *jg = http_query(c, "job_group"), *emp = http_query(c, "employment"), *q = http_query(c, "q");
    if (jg && strlen(jg) > 40) verrs_add(&v, "job_group", "is too long");
    if (emp && strlen(emp) > 40) verrs_add(&v, "employment", "is too long");
    if (q != NULL && (strlen(q) == 0 || utf8_length(q) > 100)) verrs_add(&v, "q", "must be 1 to 100 characters");
    if (has_on && !has_active) has_active = active = 1; /* active_on alone means "active on that day" */
    if (api_refuse_list_query(c, &v, sorts, "code", &lq)) return;
    db_args pv;
    db_args_of(&pv, api_scope(c), db_int_if(has_unit, unit), db_int_if(has_under, under),
                    db_text(jg), db_text(emp), db_text(bool_text(has_active, active)),
                    db_text(has_on ? active_on : NULL), db_text(bool_text(has_hc, has_comp)),
                    db_text(bool_text(has_vn, vneid)), db_text(q), db_text(lq.since), db_text(lq.sort),
                    db_int(lq.limit), db_int(lq.offset), db_bool(api_shows_party(c)));
    db_arg(&pv, api_list_after(&lq));
    PGresult *r = api_run(c, &STMT_LIST, &pv, "listing staff");
    if (r == NULL) return;
    /* Who read which units' staff, with which filters, and how many rows came back. */
    json_t *what = json_object();
    for (int i = 0; i < c->nq; i++) json_object_set_new(what, c->qkeys[i], json_string(c->qvals[i]));
    json_t *all = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    json_t *meta = json_pack("{s:o, s:I, s:I, s:s}", "query", what, "returned",
                             (json_int_t)json_array_size(json_object_get(all, "items")), "total",
                             json_integer_value(json_object_get(all, "total")), "format",
                             http_wants_csv(c) ? "csv" : "json");
    json_decref(all);
    int recorded = api_audit_read(c, "staff", NULL, meta);
    json_decref(meta);
    if (recorded == 0) api_list_answer(c, r, api_shows_party(c) ? STAFF_COLUMNS : STAFF_COLUMNS_NO_PARTY);
    PQclear(r);
}

void staff_get(http_ctx *c)
{
    long long id = http_path_id(c, "id");
    if (id == 0 || api_db(c) == NULL) return;
    db_args v;
    db_args_of(&v, db_int(id), api_scope(c), db_bool(api_shows_party(c)));
    PGresult *r = api_run(c, &STMT_GET, &v, "reading a staff member");
    if (r == NULL) return;
    if (PQntuples(r) != 1) {
        respond_problem(c, 404, "There is no such staff member.");
    } else if (api_audit_read_id(c, "staff", id, NULL) == 0) {
        respond_resource_text(c, 200, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
    }
    PQclear(r);
}

static int staff_code_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 40) return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
              *p == '_' || *p == '-'))
            return 0;
    return 1;
}

typedef struct staff_input {
    const char *code, *full_name, *unit_code, *job_group, *employment, *vneid_source;
    long long unit_id;
    int unit_given, party, party_given;
    char joined_on[11], left_on[11], vneid_on[11];
    int joined_given, left_given, left_null, vneid_given, vneid_null, source_given, source_null;
} staff_input;

/* may_set_party: the caller may see, so set, party membership (admin, manager). */
static void read_staff_body(json_t *body, staff_input *in, int may_set_party, verrs *v)
{
    static const char *const fields[] = {"code", "full_name", "unit_id", "unit_code", "job_group", "employment",
                                         "party_member", "joined_on", "left_on", "vneid_confirmed_on",
                                         "vneid_source", NULL};
    memset(in, 0, sizeof *in);
    json_refuse_unknown(body, fields, v);
    if (jfield_string(body, "code", 1, 40, &in->code, v) == 1 && !staff_code_ok(in->code)) {
        verrs_add(v, "code", "may hold only letters A-Z, digits, '.', '_' and '-' (1 to 40)");
        in->code = NULL;
    }
    jfield_string(body, "full_name", 1, 200, &in->full_name, v);
    in->unit_given |= jfield_id(body, "unit_id", &in->unit_id, v) == 1;
    in->unit_given |= jfield_string(body, "unit_code", 1, 32, &in->unit_code, v) == 1;
    jfield_string(body, "job_group", 1, 40, &in->job_group, v);
    jfield_string(body, "employment", 1, 40, &in->employment, v);
    in->party_given = jfield_bool(body, "party_member", &in->party, v) == 1;
    if (in->party_given && !may_set_party) {
        verrs_add(v, "party_member", "may be set only by admins and managers");
        in->party_given = 0;
    }
    in->joined_given = jfield_date(body, "joined_on", in->joined_on, v) == 1;
    int l = jfield_nullable_date(body, "left_on", in->left_on, v);
    in->left_given = l > 0, in->left_null = l == 2;
    int n = jfield_nullable_date(body, "vneid_confirmed_on", in->vneid_on, v);
    in->vneid_given = n > 0, in->vneid_null = n == 2;
    json_t *src = json_object_get(body, "vneid_source");
    if (src != NULL && json_is_null(src)) in->source_given = in->source_null = 1;
    else in->source_given = jfield_string(body, "vneid_source", 1, 100, &in->vneid_source, v) == 1;
    char today[11];
    api_today(today);
    if (in->joined_given && strcmp(in->joined_on, today) > 0) verrs_add(v, "joined_on", "must not be in the future");
    if (in->vneid_given && !in->vneid_null && strcmp(in->vneid_on, today) > 0)
        verrs_add(v, "vneid_confirmed_on", "must not be in the future");
}

/* Answers a failed staff write with the field it concerns. */
static void staff_write_error(http_ctx *c, PGresult *r)
{
    const char *st = db_sqlstate(r), *con = db_constraint(r);
    const char *field = NULL, *msg = NULL;
    if (strcmp(st, "23505") == 0) {
        respond_problem(c, 409, "Another staff member already has this code.");
    } else {
        if (strstr(con, "job_group")) field = "job_group", msg = "is not a job group code (see /api/v1/job-groups)";
        else if (strstr(con, "employment")) field = "employment", msg = "is not an employment type code (see /api/v1/employment-types)";
        else if (strstr(con, "check") || strcmp(st, "23514") == 0) field = "left_on", msg = "must not be before joined_on";
        if (field) {
            json_t *e = json_pack("[{s:s, s:s}]", "field", field, "message", msg);
            respond_problem_errors(c, 422, "Some fields are invalid; see errors.", e);
            json_decref(e);
        } else {
            api_db_error(c, r, "writing a staff member");
        }
    }
    db_rollback(api_conn(c));
}

void staff_create(http_ctx *c)
{
    api_change w;
    if (api_change_open(c, &w, 0)) return;
    staff_input in;
    read_staff_body(w.body, &in, api_shows_party(c), &w.v);
    static const char *const required[] = {"code", "full_name", "job_group", "employment", "joined_on", NULL};
    for (int i = 0; required[i]; i++)
        if (!json_object_get(w.body, required[i])) verrs_add(&w.v, required[i], "is required");
    if (!in.unit_given && !json_object_get(w.body, "unit_id") && !json_object_get(w.body, "unit_code"))
        verrs_add(&w.v, "unit_id", "is required (or unit_code)");
    if (http_refuse_invalid(c, &w.v) || api_begin(c) != 0) goto out;
    long long unit = api_resolve_unit(c, in.unit_id, in.unit_code, in.unit_code ? "unit_code" : "unit_id", 1, &w.v);
    if (unit == -2 || check_refs(c, in.job_group, in.employment, &w.v) != 0 || http_refuse_invalid(c, &w.v)) goto out;
    db_args iv;
    db_args_of(&iv, db_text(in.code), db_text(in.full_name), db_int(unit), db_text(in.job_group),
                    db_text(in.employment), db_text(bool_text(in.party_given, in.party)),
                    db_text(in.joined_on),
                    db_text(in.left_given && !in.left_null ? in.left_on : NULL),
                    db_text(in.vneid_given && !in.vneid_null ? in.vneid_on : NULL),
                    db_text(in.vneid_source), db_bool(api_shows_party(c)));
    w.r = db_run(api_conn(c), &STMT_INSERT, &iv);
    if (!db_ok(w.r)) {
        staff_write_error(c, w.r);
        goto out;
    }
    api_created(c, w.r, "staff", "/api/v1/staff", 2);
out:
    api_change_close(&w);
}

/* Locks the staff member in scope (row: caller's view, full view); NULL after answering. */
static PGresult *lock_staff(http_ctx *c, long long id)
{
    db_args v;
    db_args_of(&v, db_int(id), api_scope(c), db_bool(api_shows_party(c)));
    return api_lock_one(c, &STMT_LOCK, &v, "There is no such staff member.", 1);
}

void staff_update(http_ctx *c)
{
    api_change w;
    staff_input in;
    if (api_change_open(c, &w, 1)) return;
    read_staff_body(w.body, &in, api_shows_party(c), &w.v);
    if (api_change_lock(c, &w, lock_staff)) goto out;
    long long unit = 0;
    if (in.unit_given) {
        unit = api_resolve_unit(c, in.unit_id, in.unit_code, in.unit_code ? "unit_code" : "unit_id", 1, &w.v);
        if (unit == -2) goto out;
    }
    if (check_refs(c, in.job_group, in.employment, &w.v) != 0) goto out;
    if (http_refuse_invalid(c, &w.v)) {
        db_rollback(api_conn(c));
        goto out;
    }
    db_args uv;
    db_args_of(&uv, db_int(w.id), db_text(in.code), db_text(in.full_name), db_id(unit),
                    db_text(in.job_group), db_text(in.employment),
                    db_text(bool_text(in.party_given, in.party)),
                    db_text(in.joined_given ? in.joined_on : NULL), db_bool(in.left_given),
                    db_text(in.left_given && !in.left_null ? in.left_on : NULL),
                    db_bool(in.vneid_given),
                    db_text(in.vneid_given && !in.vneid_null ? in.vneid_on : NULL),
                    db_bool(in.source_given), db_text(in.vneid_source),
                    db_bool(api_shows_party(c)));
    w.r = db_run(api_conn(c), &STMT_UPDATE, &uv);
    if (!db_ok(w.r)) staff_write_error(c, w.r);
    else api_updated(c, w.cur, w.r, "staff", w.id, 1);
out:
    api_change_close(&w);
}

void staff_delete(http_ctx *c)
{
    long long id = http_path_id(c, "id");
    if (id == 0 || api_begin(c) != 0) return;
    PGresult *cur = lock_staff(c, id);
    if (cur == NULL) return;
    db_args v;
    db_args_of(&v, db_int(id));
    /* Every row deleted is audited: one entry for the staff member and one for each of its
     * completions and attestations, all in this transaction. */
    PGresult *gone = api_run(c, &STMT_DELETE_CASCADE, &v, "deleting the staff member's learning records");
    int failed = gone == NULL;
    for (int i = 0; !failed && i < PQntuples(gone); i++)
        failed = api_audit(c, "delete", PQgetvalue(gone, i, 0), PQgetvalue(gone, i, 1), PQgetvalue(gone, i, 2), NULL) != 0;
    PQclear(gone);
    if (failed) PQclear(cur);
    else api_delete_locked(c, cur, 1, &STMT_DELETE, id, "deleting the staff member", "staff");
}
