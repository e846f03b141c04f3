/* Staff: the people whose training the campaign tracks. Personal data kept to the minimum (no
 * national ID number); party membership only for admins and managers; every read is audited. */
#include "common.h"
#include "handlers.h"
#include "import.h"
#include "bdhvs/problems.h"

static const char *const STAFF_COLUMNS[] = {"id", "code", "full_name", "unit_id", "unit_code", "job_group",
                                            "employment", "party_member", "joined_on", "left_on",
                                            "vneid_confirmed_on", "vneid_source", "created_at", "updated_at", NULL};

/* The filters of a staff list ($2, $4..$11); the caller's scope is $1 and "under" $3. */
#define STAFF_FILTERS                                                                                    \
    "   AND ($2::bigint IS NULL OR s.unit_id = $2)"                                                      \
    "   AND ($4::text IS NULL OR s.job_group = $4) AND ($5::text IS NULL OR s.employment = $5)"          \
    "   AND ($6::bool IS NULL OR $6 = (s.joined_on <= coalesce($7::date, current_date)"                  \
    "        AND (s.left_on IS NULL OR s.left_on >= coalesce($7::date, current_date))))"                 \
    "   AND ($8::bool IS NULL OR $8 = EXISTS (SELECT 1 FROM completions c JOIN courses k ON k.id = c.course_id" \
    "        WHERE c.staff_id = s.id AND k.counts_for_campaign))"                                        \
    "   AND ($9::bool IS NULL OR $9 = (s.vneid_confirmed_on IS NOT NULL))"                               \
    "   AND ($10::text IS NULL OR name_match(s.full_name, $10) > 0" /* words and word starts (0020) */   \
    "        OR strpos(lower(s.code), lower($10)) > 0)"                                                  \
    "   AND ($11::timestamptz IS NULL OR s.updated_at >= $11)"

/* The staff a list may show: within the caller's scope and under $3, through their units (the
 * planner walks the subtree's units into staff by staff_unit) ... */
#define STAFF_LISTED_UNITS                                                                               \
    " FROM staff s JOIN units u ON u.id = s.unit_id WHERE in_scope(u.path, $1)"                          \
    "   AND ($3::bigint IS NULL OR u.path <@ (SELECT x.path FROM units x WHERE x.id = $3))" STAFF_FILTERS
/* ... or, for a caller who sees every unit and no "under" (every staff member has a unit), from
 * the staff table alone: the count of an admin's unfiltered list reads no unit. */
#define STAFF_LISTED_ALL " FROM staff s WHERE $1::bigint IS NULL AND $3::bigint IS NULL" STAFF_FILTERS

/* One statement per order, so that PostgreSQL cuts the page where it reads the rows (an index on
 * code or id stops after limit + offset rows) instead of ranking every listed row first: the page
 * costs what the page holds, plus the count. $12 is the order's name (checked, not used in the
 * SQL), $13/$14 limit and offset, $15 whether party membership shows, $16 the keyset cursor.
 * The page's rows are shaped by staff_page_json (0033) with the unit joined once; columns 2 and 3
 * are the rows returned and the total, for the audit entry. Each order has the two forms above:
 * var (through units) and var_ALL (staff alone). */
#define STAFF_LIST_SQL(listed, order)                                                                    \
    "WITH p AS (SELECT s.id" listed " AND ($16::bigint IS NULL OR s.id > $16) AND $12::text IS NOT NULL" \
    "   ORDER BY " order " LIMIT $13 OFFSET $14),"                                                      \
    " t AS (SELECT count(*) AS n" listed ")"                                                             \
    " SELECT json_build_object('items', coalesce((SELECT json_agg(staff_page_json(s, u.code, $15) ORDER BY " order ")" \
    "   FROM p JOIN staff s ON s.id = p.id JOIN units u ON u.id = s.unit_id), '[]'),"                  \
    " 'total', t.n, 'limit', $13::int, 'offset', $14::int), (SELECT count(*) FROM p), t.n FROM t"
#define STAFF_LIST(var, name, order)                                                                     \
    DB_STMT_PLANNED(var, "staff_list_" name, STAFF_LIST_SQL(STAFF_LISTED_UNITS, order), 16);            \
    DB_STMT_PLANNED(var##_ALL, "staff_list_all_" name, STAFF_LIST_SQL(STAFF_LISTED_ALL, order), 16)

STAFF_LIST(STMT_LIST_CODE, "code", "s.code, s.id");
STAFF_LIST(STMT_LIST_CODE_DESC, "code_desc", "s.code DESC, s.id");
STAFF_LIST(STMT_LIST_NAME, "full_name", "f_unaccent(s.full_name), s.id");
STAFF_LIST(STMT_LIST_NAME_DESC, "full_name_desc", "f_unaccent(s.full_name) DESC, s.id");
STAFF_LIST(STMT_LIST_JOINED, "joined_on", "s.joined_on, s.id");
STAFF_LIST(STMT_LIST_JOINED_DESC, "joined_on_desc", "s.joined_on DESC, s.id");
STAFF_LIST(STMT_LIST_UPDATED, "updated_at", "s.updated_at, s.id");
STAFF_LIST(STMT_LIST_UPDATED_DESC, "updated_at_desc", "s.updated_at DESC, s.id");
STAFF_LIST(STMT_LIST_ID, "id", "s.id");
STAFF_LIST(STMT_LIST_ID_DESC, "id_desc", "s.id DESC");
STAFF_LIST(STMT_LIST_MATCH, "match", "name_match(s.full_name, $10) DESC, s.code, s.id");

/* The page most lists ask for (by code, no filter but the caller's scope and "under"), as one
 * statement without the optional filters, so that PostgreSQL plans it once per connection: the
 * statements above are planned for each run's values (2 ms of planning for a page that takes 1 ms
 * to read on a district's staff). The staff listed are those of the intersection of the scope's
 * and under's subtrees (two subtrees meet only when one holds the other), walked through the units
 * by the GiST index on path as the general statement walks them. $1 scope (NULL: every unit; then
 * $2 is given), $2 under (NULL: the scope's subtree), $3/$4 limit and offset, $5 whether party
 * membership shows; columns as the general statement's. */
#define STAFF_SUBTREE_ROOT                                                                               \
    "WITH r AS MATERIALIZED (SELECT CASE WHEN $1::bigint IS NULL OR x.path <@ unit_path_of($1) THEN x.path" \
    "   WHEN unit_path_of($1) <@ x.path THEN unit_path_of($1) END AS path"                              \
    "   FROM units x WHERE x.id = coalesce($2::bigint, $1::bigint)),"
#define STAFF_OF_ROOT " FROM staff s JOIN units u ON u.id = s.unit_id WHERE u.path <@ (SELECT r.path FROM r)"
DB_STMT(STMT_LIST_SUBTREE, "staff_list_subtree",
    STAFF_SUBTREE_ROOT
    " p AS (SELECT s.id" STAFF_OF_ROOT " ORDER BY s.code, s.id LIMIT $3 OFFSET $4),"
    " t AS (SELECT count(*) AS n" STAFF_OF_ROOT ")"
    " SELECT json_build_object('items', coalesce((SELECT json_agg(staff_page_json(s, u.code, $5) ORDER BY s.code, s.id)"
    "   FROM p JOIN staff s ON s.id = p.id JOIN units u ON u.id = s.unit_id), '[]'),"
    " 'total', t.n, 'limit', $3::int, 'offset', $4::int), (SELECT count(*) FROM p), t.n FROM t", 5);

/* The list statement of an order named as the query's sort is ("-code": by code, descending);
 * all: the caller sees every unit and gave no "under". */
static db_stmt *staff_list_stmt(const char *sort, int all)
{
    static const struct {
        const char *sort;
        db_stmt *st, *st_all;
    } BY[] = {{"code", &STMT_LIST_CODE, &STMT_LIST_CODE_ALL},
              {"-code", &STMT_LIST_CODE_DESC, &STMT_LIST_CODE_DESC_ALL},
              {"full_name", &STMT_LIST_NAME, &STMT_LIST_NAME_ALL},
              {"-full_name", &STMT_LIST_NAME_DESC, &STMT_LIST_NAME_DESC_ALL},
              {"joined_on", &STMT_LIST_JOINED, &STMT_LIST_JOINED_ALL},
              {"-joined_on", &STMT_LIST_JOINED_DESC, &STMT_LIST_JOINED_DESC_ALL},
              {"updated_at", &STMT_LIST_UPDATED, &STMT_LIST_UPDATED_ALL},
              {"-updated_at", &STMT_LIST_UPDATED_DESC, &STMT_LIST_UPDATED_DESC_ALL},
              {"id", &STMT_LIST_ID, &STMT_LIST_ID_ALL},
              {"-id", &STMT_LIST_ID_DESC, &STMT_LIST_ID_DESC_ALL},
              {"match", &STMT_LIST_MATCH, &STMT_LIST_MATCH_ALL}};
    for (size_t i = 0; i < sizeof BY / sizeof BY[0]; i++)
        if (strcmp(BY[i].sort, sort) == 0) return all ? BY[i].st_all : BY[i].st;
    return all ? &STMT_LIST_CODE_ALL : &STMT_LIST_CODE;
}

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

typedef struct staff_input {
    const char *code, *full_name, *unit_code, *job_group, *employment, *vneid_source;
    long long unit_id;
    int unit_given, party, party_given;
    char joined_on[11], left_on[11], vneid_on[11];
    int joined_given, left_given, left_null, vneid_given, vneid_null, source_given, source_null;
} staff_input;

#define STAFF_TAKEN "Another staff member already has this code."

/* The rules of migration 0015 (staff_problems), which a bulk load checks too. */
DB_STMT(STMT_PROBLEMS, "staff_problems",
    "SELECT field, problem, params FROM staff_problems(ARRAY[ROW(0, $1::bigint, $2::text, $3::text, $4::date,"
    " $5::boolean, $6::date)::staff_rule_row])", 6);

/* Adds the problems of a staff write to v: the given job group, employment type and dates (NULL
 * or not given: not checked) of staff member id (0: a new one). Returns -1 after answering a
 * database error. */
static int check_rules(http_ctx *c, long long id, const staff_input *in, verrs *v)
{
    db_args pv;
    db_args_of(&pv, db_id(id), db_text(in->job_group), db_text(in->employment),
                    db_text(in->joined_given ? in->joined_on : NULL), db_bool(in->left_given),
                    db_text(in->left_given && !in->left_null ? in->left_on : NULL));
    return api_add_problems(c, &STMT_PROBLEMS, &pv, v);
}

static const char *bool_text(int given, int value)
{
    return given ? (value ? "true" : "false") : NULL;
}

void staff_list(http_ctx *c)
{
    static const char *const sorts[] = {"code", "full_name", "joined_on", "updated_at", "id", NULL};
    if (http_query(c, "missing") != NULL || http_query(c, "as_of") != NULL) { /* issue 11 §6, in transfers.c */
        staff_missing_list(c);
        return;
    }
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
    const char *order = q != NULL && http_query(c, "sort") == NULL ? "match" : lq.sort; /* whole words first */
    PGresult *r;
    if (strcmp(order, "code") == 0 && (has_under || !c->who.all_units) && !has_unit && jg == NULL && emp == NULL &&
        !has_active && !has_hc && !has_vn && q == NULL && lq.since == NULL && lq.after == 0) {
        db_args_of(&pv, api_scope(c), db_int_if(has_under, under), db_int(lq.limit), db_int(lq.offset),
                        db_bool(api_shows_party(c)));
        r = api_run(c, &STMT_LIST_SUBTREE, &pv, "listing staff");
    } else {
        db_args_of(&pv, api_scope(c), db_int_if(has_unit, unit), db_int_if(has_under, under),
                        db_text(jg), db_text(emp), db_text(bool_text(has_active, active)),
                        db_text(has_on ? active_on : NULL), db_text(bool_text(has_hc, has_comp)),
                        db_text(bool_text(has_vn, vneid)), db_text(q), db_text(lq.since), db_text(order),
                        db_int(lq.limit), db_int(lq.offset), db_bool(api_shows_party(c)));
        db_arg(&pv, api_list_after(&lq));
        r = api_run(c, staff_list_stmt(order, c->who.all_units && !has_under), &pv, "listing staff");
    }
    if (r == NULL) return;
    int recorded = api_audit_staff_counts(c, atoll(PQgetvalue(r, 0, 1)), atoll(PQgetvalue(r, 0, 2)),
                                          http_wants_csv(c) ? "csv" : "json");
    /* The CSV columns: party_member only for those who may see it. */
    const char *cols[sizeof STAFF_COLUMNS / sizeof STAFF_COLUMNS[0]];
    size_t n = 0;
    for (size_t i = 0; STAFF_COLUMNS[i]; i++)
        if (api_shows_party(c) || strcmp(STAFF_COLUMNS[i], "party_member") != 0) cols[n++] = STAFF_COLUMNS[i];
    cols[n] = NULL;
    if (recorded == 0) api_list_answer(c, r, cols);
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

/* may_set_party: the caller may see, so set, party membership (admin, manager). */
static void read_staff_body(json_t *body, staff_input *in, int may_set_party, verrs *v)
{
    static const char *const fields[] = {"code", "full_name", "unit_id", "unit_code", "job_group", "employment",
                                         "party_member", "joined_on", "left_on", "vneid_confirmed_on",
                                         "vneid_source", NULL};
    memset(in, 0, sizeof *in);
    json_refuse_unknown(body, fields, v);
    jfield_code(body, "code", &CODE_STAFF, &in->code, v);
    jfield_string(body, "full_name", 1, 200, &in->full_name, v);
    in->unit_given |= jfield_id(body, "unit_id", &in->unit_id, v) == 1;
    in->unit_given |= jfield_string(body, "unit_code", 1, 32, &in->unit_code, v) == 1;
    jfield_string(body, "job_group", 1, 40, &in->job_group, v);
    jfield_string(body, "employment", 1, 40, &in->employment, v);
    in->party_given = jfield_bool(body, "party_member", &in->party, v) == 1;
    if (in->party_given && !may_set_party) {
        verrs_problem(v, "party_member", "party_admin_only", NULL);
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
    if (in->joined_given && strcmp(in->joined_on, today) > 0) verrs_problem(v, "joined_on", "future", NULL);
    if (in->vneid_given && !in->vneid_null && strcmp(in->vneid_on, today) > 0)
        verrs_problem(v, "vneid_confirmed_on", "future", NULL);
}

void staff_create(http_ctx *c)
{
    api_change w;
    if (api_change_open(c, &w, 0)) return;
    staff_input in;
    read_staff_body(w.body, &in, api_shows_party(c), &w.v);
    static const char *const required[] = {"code", "full_name", "job_group", "employment", "joined_on", NULL};
    for (int i = 0; required[i]; i++)
        if (!json_object_get(w.body, required[i])) verrs_problem(&w.v, required[i], "required", NULL);
    if (!in.unit_given && !json_object_get(w.body, "unit_id") && !json_object_get(w.body, "unit_code"))
        api_problem_required_or(&w.v, "unit_id", "unit_code");
    if (http_refuse_invalid(c, &w.v) || api_begin(c) != 0) goto out;
    long long unit = api_resolve_unit(c, in.unit_id, in.unit_code, in.unit_code ? "unit_code" : "unit_id", 1, &w.v);
    if (unit == -2 || check_rules(c, 0, &in, &w.v) != 0 || http_refuse_invalid(c, &w.v)) goto out;
    db_args iv;
    db_args_of(&iv, db_text(in.code), db_text(in.full_name), db_int(unit), db_text(in.job_group),
                    db_text(in.employment), db_text(bool_text(in.party_given, in.party)),
                    db_text(in.joined_on),
                    db_text(in.left_given && !in.left_null ? in.left_on : NULL),
                    db_text(in.vneid_given && !in.vneid_null ? in.vneid_on : NULL),
                    db_text(in.vneid_source), db_bool(api_shows_party(c)));
    /* The rules were checked above (staff_problems); the table's own constraints are their
     * backstop only (a 422 without a field, api_db_error). */
    w.r = api_run_unique(c, &STMT_INSERT, &iv, "creating a staff member", STAFF_TAKEN);
    if (w.r != NULL) api_created(c, w.r, "staff", "/api/v1/staff", 2);
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
    if (check_rules(c, w.id, &in, &w.v) != 0) goto out;
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
    w.r = api_run_unique(c, &STMT_UPDATE, &uv, "updating a staff member", STAFF_TAKEN);
    if (w.r != NULL) api_updated(c, w.cur, w.r, "staff", w.id, 1);
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

/* ---- bulk load (POST /api/v1/staff/import; the engine is imports.c) ---- */

/* The rows are matched on code: a code in the caller's units is updated, a new one created, a
 * code held outside them refused ("is already in use"), where a single create answers 409 for
 * any taken code. */
static const import_col STAFF_IMPORT_COLS[] = {
    {"code", 1, K_CODE, 40, 0, &CODE_STAFF}, {"full_name", 1, K_TEXT, 200, 0},   {"unit_code", 1, K_TEXT, 32, 0},
    {"job_group", 1, K_TEXT, 200, 0, NULL, "job_groups"}, {"employment", 1, K_TEXT, 200, 0, NULL, "employment_types"},   {"party_member", 0, K_BOOL, 5, 0},
    {"joined_on", 1, K_DATE, 10, 1},         {"left_on", 0, K_DATE, 10, 0},      {"vneid_confirmed_on", 0, K_DATE, 10, 1},
    {"vneid_source", 0, K_TEXT, 100, 0},     {"effective_on", 0, K_DATE, 10, 0}};

/* The staging table of each load (COPY target; dropped at commit). */
#define STAFF_STAGE \
    "CREATE TEMP TABLE import_stage (row integer, code text, full_name text, unit_code text, job_group text," \
    " employment text, party_member text, joined_on text, left_on text, vneid_confirmed_on text," \
    " vneid_source text, effective_on text) ON COMMIT DROP"

DB_STMT_SETUP(STAFF_CHECKS, "import_staff_checks",
    IMPORT_CHECKS_HEAD IMPORT_UNIT_REF_CHECK
    " UNION ALL SELECT s.row, 'unit_code', 'unit_closed', json_build_object('unit', s.unit_code)"
    "   FROM import_stage s JOIN scoped_units($1) u ON u.code = s.unit_code WHERE NOT u.active"
    " UNION ALL SELECT p.rowno, p.field, p.problem, p.params FROM (SELECT array_agg(ROW(s.row, st.id, s.job_group,"
    "   s.employment, s.joined_on::date, 'left_on' = ANY($2::text[]), s.left_on::date)::staff_rule_row) AS a"
    "   FROM import_stage s LEFT JOIN scoped_staff($1) st ON st.code = s.code) x, LATERAL staff_problems(x.a) p"
    " UNION ALL" IMPORT_REPEAT_CHECK("code", "repeated_code", "code", "code IS NOT NULL")
    /* A code held outside the caller's units: nothing about the holder, only that it is taken. */
    " UNION ALL SELECT s.row, 'code', 'code_in_use', NULL FROM import_stage s"
    "   WHERE $1::bigint IS NOT NULL" /* a caller who sees every unit holds every code */
    "   AND EXISTS (SELECT 1 FROM staff st WHERE st.code = s.code)"
    "   AND NOT EXISTS (SELECT 1 FROM scoped_staff($1) st WHERE st.code = s.code)"
    /* A row that moves a stored staff member to another unit is a transfer (migration 0025); the
     * horizon is the server's BDHVS_TRANSFER_HORIZON_DAYS (staff_import sets it). */
    " UNION ALL SELECT p.rowno, p.field, p.problem, p.params FROM (SELECT array_agg(ROW(s.row, st.id, u.id,"
    "   s.unit_code, s.effective_on::date, s.joined_on::date, 'left_on' = ANY($2::text[]),"
    "   s.left_on::date)::staff_transfer_rule_row) AS a"
    "   FROM import_stage s JOIN scoped_staff($1) st ON st.code = s.code JOIN scoped_units($1) u ON u.code = s.unit_code) x,"
    "   LATERAL staff_transfer_problems(x.a, coalesce(nullif(current_setting('bdhvs.transfer_horizon_days', true), ''), '31')::int,"
    "     coalesce(current_setting('bdhvs.import_may_cross', true), '') = 'on') p"
    IMPORT_CHECKS_TAIL, 2, STAFF_STAGE);

#define PRESENT IMPORT_PRESENT
DB_STMT_SETUP(STAFF_MERGE, "import_staff_merge",
    /* full_name in NFC, as the trigger of migration 0020 stores it: a name typed decomposed is
     * compared as stored, so reloading it is "unchanged" (issue 13). Most names are NFC already:
     * checking that costs a third of normalizing them (100,000 rows: 45 ms against 140 ms). */
    "WITH src AS (SELECT s.row, s.code, CASE WHEN s.full_name IS NFC NORMALIZED THEN s.full_name"
    "   ELSE normalize(s.full_name, NFC) END AS full_name, u.id AS unit_id, s.job_group, s.employment,"
    "   s.party_member::boolean AS party_member, s.joined_on::date AS joined_on, s.left_on::date AS left_on,"
    "   s.vneid_confirmed_on::date AS vneid_confirmed_on, s.vneid_source"
    "   FROM import_stage s JOIN scoped_units($3) u ON u.code = s.unit_code WHERE $2::boolean IS NOT NULL),"
    " cls AS (SELECT src.code, st.id AS existing, src.full_name, src.unit_id, src.job_group, src.employment,"
    "   CASE WHEN " PRESENT("party_member") " THEN coalesce(src.party_member, false) ELSE coalesce(st.party_member, false) END AS party_member,"
    "   src.joined_on,"
    "   CASE WHEN " PRESENT("left_on") " THEN src.left_on ELSE st.left_on END AS left_on,"
    "   CASE WHEN " PRESENT("vneid_confirmed_on") " THEN src.vneid_confirmed_on ELSE st.vneid_confirmed_on END AS vneid_confirmed_on,"
    "   CASE WHEN " PRESENT("vneid_source") " THEN src.vneid_source ELSE st.vneid_source END AS vneid_source,"
    /* a stored staff member's unit is not compared: another unit is a transfer (STAFF_TRANSFERS) */
    "   st.id IS NOT NULL AND st.unit_id <> src.unit_id AS moved,"
    "   st.id IS NOT NULL AND (st.full_name, st.job_group, st.employment, st.party_member, st.joined_on,"
    "     st.left_on, st.vneid_confirmed_on, st.vneid_source) IS NOT DISTINCT FROM"
    "     (src.full_name, src.job_group, src.employment,"
    "      CASE WHEN " PRESENT("party_member") " THEN coalesce(src.party_member, false) ELSE st.party_member END,"
    "      src.joined_on,"
    "      CASE WHEN " PRESENT("left_on") " THEN src.left_on ELSE st.left_on END,"
    "      CASE WHEN " PRESENT("vneid_confirmed_on") " THEN src.vneid_confirmed_on ELSE st.vneid_confirmed_on END,"
    "      CASE WHEN " PRESENT("vneid_source") " THEN src.vneid_source ELSE st.vneid_source END) AS same"
    "   FROM src LEFT JOIN scoped_staff($3) st ON st.code = src.code),"
    " ins AS (INSERT INTO staff (code, full_name, unit_id, job_group, employment, party_member, joined_on, left_on,"
    "   vneid_confirmed_on, vneid_source) SELECT code, full_name, unit_id, job_group, employment, party_member,"
    "   joined_on, left_on, vneid_confirmed_on, vneid_source FROM cls WHERE existing IS NULL RETURNING code),"
    " upd AS (UPDATE staff st SET full_name = cls.full_name, job_group = cls.job_group,"
    "   employment = cls.employment, party_member = cls.party_member, joined_on = cls.joined_on,"
    "   left_on = cls.left_on, vneid_confirmed_on = cls.vneid_confirmed_on, vneid_source = cls.vneid_source,"
    "   updated_at = now() FROM cls WHERE st.id = cls.existing AND NOT cls.same RETURNING st.code)"
    " SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM upd) + (SELECT count(*) FROM cls WHERE same AND moved),"
    "   (SELECT count(*) FROM cls WHERE same AND NOT moved),"
    "   (SELECT coalesce(json_agg(k), '[]') FROM (SELECT code AS k FROM ins UNION ALL SELECT code FROM upd"
    "     UNION ALL SELECT code FROM cls WHERE same AND moved LIMIT 1000) x)", 3, STAFF_STAGE);
#undef PRESENT

/* After the merge: the rows whose unit differs from the stored one move by transfer, effective on
 * their effective_on (today when absent), with the row in the note; the transfers, for the audit. */
DB_STMT_SETUP(STAFF_TRANSFERS, "import_staff_transfers",
    "SELECT coalesce(json_agg(staff_transfer(st.id, u.id, coalesce(s.effective_on::date, vn_today()),"
    "   'staff import, row ' || s.row) ORDER BY s.row), '[]')"
    " FROM import_stage s JOIN scoped_staff($1) st ON st.code = s.code JOIN scoped_units($1) u ON u.code = s.unit_code"
    " WHERE st.unit_id <> u.id", 1, STAFF_STAGE);

/* STAFF_MERGE for a load none of whose codes is stored anywhere (import_spec.merge_new): each row
 * inserted as STAFF_MERGE inserts a new one (no stored value to keep: an absent party_member is
 * false, absent dates and source NULL). */
DB_STMT_SETUP(STAFF_MERGE_NEW, "import_staff_merge_new",
    "WITH stored AS (SELECT EXISTS (SELECT 1 FROM import_stage s JOIN staff st ON st.code = s.code) AS hit),"
    " ins AS (INSERT INTO staff (code, full_name, unit_id, job_group, employment, party_member, joined_on, left_on,"
    "   vneid_confirmed_on, vneid_source)"
    "   SELECT s.code, CASE WHEN s.full_name IS NFC NORMALIZED THEN s.full_name ELSE normalize(s.full_name, NFC) END,"
    "     u.id, s.job_group, s.employment, coalesce(s.party_member::boolean, false), s.joined_on::date, s.left_on::date,"
    "     s.vneid_confirmed_on::date, s.vneid_source"
    "   FROM import_stage s JOIN scoped_units($3) u ON u.code = s.unit_code"
    "   WHERE NOT (SELECT hit FROM stored) AND $1::text[] IS NOT NULL AND $2::boolean IS NOT NULL RETURNING code)"
    " SELECT CASE WHEN (SELECT hit FROM stored) THEN NULL ELSE (SELECT count(*) FROM ins) END, 0, 0,"
    "   (SELECT coalesce(json_agg(k), '[]') FROM (SELECT code AS k FROM ins LIMIT 1000) x)", 3, STAFF_STAGE);

static const import_spec STAFF_IMPORT = {"staff", "staff/import", IMPORT_COLS(STAFF_IMPORT_COLS), STAFF_STAGE,
                                         &STAFF_CHECKS, &STAFF_MERGE, .merge_new = &STAFF_MERGE_NEW,
                                         .after_merge = &STAFF_TRANSFERS};

DB_STMT(STMT_HORIZON, "import_staff_horizon",
    "SELECT set_config('bdhvs.transfer_horizon_days', $1, false), set_config('bdhvs.import_may_cross', $2, false)", 2);

void staff_import(http_ctx *c)
{
    /* The transfer checks read the horizon (a server setting) and whether the caller may transfer
     * across subtrees (a manager or an admin) from the session, set here before every load. */
    char horizon[12];
    snprintf(horizon, sizeof horizon, "%d", c->cfg ? c->cfg->transfer_horizon_days : 31);
    db_args a;
    db_args_of(&a, db_text(horizon), db_text(c->who.role == ROLE_ADMIN || c->who.role == ROLE_MANAGER ? "on" : "off"));
    if (api_db(c) == NULL) return;
    PGresult *r = api_run(c, &STMT_HORIZON, &a, "preparing the load");
    if (r == NULL) return;
    PQclear(r);
    import_run(c, &STAFF_IMPORT);
}
