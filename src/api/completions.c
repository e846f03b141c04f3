/* Course completions: one per staff member and course, dated, with the certificate number. */
#include "common.h"
#include "handlers.h"
#include "import.h"
#include "bdhvs/problems.h"

static const char *const COMPLETION_COLUMNS[] = {"id", "staff_id", "staff_code", "course_id", "course_code",
                                                 "completed_on", "certificate_no", "created_at", "updated_at", NULL};

#define COMPLETION_SCOPE                                                                                       \
    " FROM completions c JOIN staff s ON s.id = c.staff_id JOIN units u ON u.id = s.unit_id"                 \
    " WHERE in_scope(u.path, $2)"

DB_STMT(STMT_LIST, "completions_list",
    "WITH f AS (SELECT c.*, s.code AS staff_code" COMPLETION_SCOPE
    "   AND ($1::bigint IS NULL OR c.staff_id = $1) AND ($3::bigint IS NULL OR c.course_id = $3)"
    "   AND ($4::bigint IS NULL OR s.unit_id = $4)"
    "   AND ($5::bigint IS NULL OR u.path <@ (SELECT x.path FROM units x WHERE x.id = $5))"
    "   AND ($6::date IS NULL OR c.completed_on >= $6) AND ($7::date IS NULL OR c.completed_on <= $7)"
    "   AND ($8::bool IS NULL OR $8 = (SELECT k.counts_for_campaign FROM courses k WHERE k.id = c.course_id))"
    "   AND ($9::timestamptz IS NULL OR c.updated_at >= $9)),"
    " p AS (SELECT f.id, row_number() OVER (ORDER BY"
    "   CASE WHEN $10 = 'completed_on' THEN f.completed_on END, CASE WHEN $10 = '-completed_on' THEN f.completed_on END DESC,"
    "   CASE WHEN $10 = 'staff_code' THEN f.staff_code END, CASE WHEN $10 = '-staff_code' THEN f.staff_code END DESC,"
    "   CASE WHEN $10 = '-id' THEN f.id END DESC, f.id) AS rn FROM f" API_AFTER_ID(13) " ORDER BY rn LIMIT $11 OFFSET $12)"
    " SELECT json_build_object('items', coalesce((SELECT json_agg(completion_json(c) ORDER BY p.rn)"
    "   FROM p JOIN completions c ON c.id = p.id), '[]'),"
    " 'total', (SELECT count(*) FROM f), 'limit', $11::int, 'offset', $12::int)", 13);

DB_STMT(STMT_GET, "completions_get", "SELECT completion_json(c)" COMPLETION_SCOPE " AND c.id = $1", 2);
DB_STMT(STMT_LOCK, "completions_lock",
                            "SELECT completion_json(c), c.staff_id" COMPLETION_SCOPE " AND c.id = $1 FOR UPDATE OF c", 2);
/* The rules of migration 0015 (completion_problems), which a bulk load checks too. */
DB_STMT(STMT_PROBLEMS, "completions_problems",
    "SELECT field, problem, params FROM completion_problems(ARRAY[ROW(0, $1::bigint, $2::date)::completion_rule_row])", 2);
DB_STMT(STMT_COURSE, "completions_course",
    "SELECT id FROM courses WHERE ($1::bigint IS NULL OR id = $1) AND ($2::text IS NULL OR code = $2)", 2);
DB_STMT(STMT_INSERT, "completions_insert",
    "INSERT INTO completions (staff_id, course_id, completed_on, certificate_no) VALUES ($1, $2, $3, $4)"
    " RETURNING completions.id, completion_json(completions)", 4);
DB_STMT(STMT_UPDATE, "completions_update",
    "UPDATE completions SET completed_on = coalesce($2::date, completed_on),"
    " certificate_no = CASE WHEN $3::bool THEN $4 ELSE certificate_no END, updated_at = now()"
    " WHERE id = $1 RETURNING completion_json(completions)", 4);
DB_STMT(STMT_DELETE, "completions_delete", "DELETE FROM completions WHERE id = $1", 1);

void completions_list(http_ctx *c)
{
    static const char *const sorts[] = {"completed_on", "id", "staff_code", NULL};
    verrs v;
    verrs_init(&v);
    api_list_query lq;
    long long staff = 0, course = 0, unit = 0, under = 0;
    int cfc = 0;
    char from[11] = "", to[11] = "";
    int hs = http_query_id(c, "staff_id", &staff, &v) == 1, hc = http_query_id(c, "course_id", &course, &v) == 1;
    int hu = http_query_id(c, "unit_id", &unit, &v) == 1, hn = http_query_id(c, "under", &under, &v) == 1;
    int hf = http_query_date(c, "completed_from", from, &v) == 1, ht = http_query_date(c, "completed_to", to, &v) == 1;
    int hb = http_query_bool(c, "counts_for_campaign", &cfc, &v) == 1;
    if (api_refuse_list_query(c, &v, sorts, "id", &lq)) return;
    db_args pv;
    db_args_of(&pv, db_int_if(hs, staff), api_scope(c), db_int_if(hc, course), db_int_if(hu, unit),
                    db_int_if(hn, under), db_text(hf ? from : NULL), db_text(ht ? to : NULL),
                    db_bool_if(hb, cfc), db_text(lq.since), db_text(lq.sort), db_int(lq.limit), db_int(lq.offset));
    db_arg(&pv, api_list_after(&lq));
    api_list(c, &STMT_LIST, &pv, "listing completions", COMPLETION_COLUMNS);
}

API_GET_ONE_ROUTE(completions_get, &STMT_GET, 1, "reading a completion", "There is no such completion.");

void completions_create(http_ctx *c)
{
    static const char *const fields[] = {"staff_id", "staff_code", "course_id", "course_code", "completed_on",
                                         "certificate_no", NULL};
    api_change w;
    if (api_change_open(c, &w, 0)) return;
    long long sid = 0, cid = 0;
    const char *scode = NULL, *ccode = NULL, *cert = NULL;
    char done[11] = "";
    json_refuse_unknown(w.body, fields, &w.v);
    int hs = (jfield_id(w.body, "staff_id", &sid, &w.v) == 1) | (jfield_string(w.body, "staff_code", 1, 40, &scode, &w.v) == 1);
    int hc = (jfield_id(w.body, "course_id", &cid, &w.v) == 1) | (jfield_string(w.body, "course_code", 1, 100, &ccode, &w.v) == 1);
    if (!hs && !json_object_get(w.body, "staff_id") && !json_object_get(w.body, "staff_code")) api_problem_required_or(&w.v, "staff_id", "staff_code");
    if (!hc && !json_object_get(w.body, "course_id") && !json_object_get(w.body, "course_code")) api_problem_required_or(&w.v, "course_id", "course_code");
    api_past_date(w.body, "completed_on", done, &w.v);
    json_t *cj = json_object_get(w.body, "certificate_no");
    if (cj == NULL || !json_is_null(cj)) jfield_string(w.body, "certificate_no", 1, 100, &cert, &w.v);
    if (http_refuse_invalid(c, &w.v) || api_begin(c) != 0) goto out;
    long long staff = api_resolve_staff(c, sid, scode, scode ? "staff_code" : "staff_id", NULL, &w.v);
    if (staff == -2) goto out;
    db_args kv;
    db_args_of(&kv, db_id(cid), db_text(ccode));
    w.r = api_run(c, &STMT_COURSE, &kv, "finding the course");
    if (w.r == NULL) goto out;
    long long course = PQntuples(w.r) == 1 ? atoll(PQgetvalue(w.r, 0, 0)) : 0;
    PQclear(w.r);
    w.r = NULL;
    if (course == 0) verrs_problem(&w.v, ccode ? "course_code" : "course_id", "course_missing", NULL);
    db_args rv;
    db_args_of(&rv, db_id(staff > 0 ? staff : 0), db_text(done));
    if (api_add_problems(c, &STMT_PROBLEMS, &rv, &w.v) != 0) goto out;
    if (http_refuse_invalid(c, &w.v)) {
        db_rollback(api_conn(c));
        goto out;
    }
    db_args iv;
    db_args_of(&iv, db_int(staff), db_int(course), db_text(done), db_text(cert));
    w.r = api_run_unique(c, &STMT_INSERT, &iv, "creating a completion",
                         "This staff member already has a completion of this course.");
    if (w.r != NULL) api_created(c, w.r, "completion", "/api/v1/completions", 1);
out:
    api_change_close(&w);
}

/* Locks the completion in scope (row: its JSON, its staff_id); NULL after answering 404 or 412. */
static PGresult *lock_completion(http_ctx *c, long long id)
{
    db_args v;
    db_args_of(&v, db_int(id), api_scope(c));
    return api_lock_one(c, &STMT_LOCK, &v, "There is no such completion.", 1);
}

void completions_update(http_ctx *c)
{
    static const char *const fields[] = {"completed_on", "certificate_no", NULL};
    api_change w;
    if (api_change_open(c, &w, 1)) return;
    char done[11] = "", today[11];
    const char *cert = NULL;
    json_refuse_unknown(w.body, fields, &w.v);
    int hd = jfield_date(w.body, "completed_on", done, &w.v) == 1;
    json_t *cj = json_object_get(w.body, "certificate_no");
    int hcert = cj != NULL && json_is_null(cj);
    if (!hcert) hcert = jfield_string(w.body, "certificate_no", 1, 100, &cert, &w.v) == 1;
    api_today(today);
    if (hd && strcmp(done, today) > 0) verrs_problem(&w.v, "completed_on", "future", NULL);
    if (api_change_lock(c, &w, lock_completion)) goto out;
    db_args rv;
    db_args_of(&rv, db_id(atoll(PQgetvalue(w.cur, 0, 1))), db_text(hd ? done : NULL));
    if (api_add_problems(c, &STMT_PROBLEMS, &rv, &w.v) != 0) goto out;
    if (http_refuse_invalid(c, &w.v)) {
        db_rollback(api_conn(c));
        goto out;
    }
    db_args uv;
    db_args_of(&uv, db_int(w.id), db_text(hd ? done : NULL), db_bool(hcert), db_text(cert));
    w.r = api_run(c, &STMT_UPDATE, &uv, "updating the completion");
    if (w.r) api_updated(c, w.cur, w.r, "completion", w.id, 0);
out:
    api_change_close(&w);
}

void completions_delete(http_ctx *c)
{
    long long id = http_path_id(c, "id");
    if (id == 0 || api_begin(c) != 0) return;
    api_delete_locked(c, lock_completion(c, id), 0, &STMT_DELETE, id, "deleting the completion", "completion");
}

/* ---- bulk load (POST /api/v1/completions/import; the engine is imports.c) ---- */

/* Matched on staff_code + course_code: created or updated (a single create answers 409 when the
 * pair has a completion). */
static const import_col COMPLETION_IMPORT_COLS[] = {
    {"staff_code", 1, K_TEXT, 40, 0}, {"course_code", 1, K_TEXT, 100, 0},
    {"completed_on", 1, K_DATE, 10, 1}, {"certificate_no", 0, K_TEXT, 100, 0}};

#define COMPLETION_STAGE \
    "CREATE TEMP TABLE import_stage (row integer, staff_code text, course_code text, completed_on text," \
    " certificate_no text) ON COMMIT DROP"

DB_STMT_SETUP(COMPLETION_CHECKS, "import_completion_checks",
    IMPORT_CHECKS_HEAD IMPORT_STAFF_REF_CHECK
    " UNION ALL SELECT s.row, 'course_code', 'course_unknown', json_build_object('course', s.course_code)"
    "   FROM import_stage s WHERE s.course_code IS NOT NULL AND NOT EXISTS (SELECT 1 FROM courses k WHERE k.code = s.course_code)"
    " UNION ALL SELECT p.rowno, p.field, p.problem, p.params FROM (SELECT array_agg(ROW(s.row, st.id,"
    "   s.completed_on::date)::completion_rule_row) AS a FROM import_stage s JOIN scoped_staff($1) st"
    "   ON st.code = s.staff_code) x, LATERAL completion_problems(x.a) p"
    " UNION ALL" IMPORT_REPEAT_CHECK("course_code", "repeated_staff_course", "staff_code, course_code",
                                     "staff_code IS NOT NULL AND course_code IS NOT NULL")
    IMPORT_CHECKS_TAIL, 1, COMPLETION_STAGE);

#define PRESENT IMPORT_PRESENT
DB_STMT_SETUP(COMPLETION_MERGE, "import_completion_merge",
    "WITH src AS (SELECT st.id AS staff_id, k.id AS course_id, s.staff_code || '/' || s.course_code AS key,"
    "   s.completed_on::date AS completed_on, s.certificate_no FROM import_stage s"
    "   JOIN scoped_staff($3) st ON st.code = s.staff_code JOIN courses k ON k.code = s.course_code"
    "   WHERE $2::boolean IS NOT NULL),"
    " cls AS (SELECT src.*, c.id AS existing,"
    "   CASE WHEN " PRESENT("certificate_no") " THEN src.certificate_no ELSE c.certificate_no END AS cert,"
    "   c.id IS NOT NULL AND c.completed_on = src.completed_on AND c.certificate_no IS NOT DISTINCT FROM"
    "   CASE WHEN " PRESENT("certificate_no") " THEN src.certificate_no ELSE c.certificate_no END AS same"
    "   FROM src LEFT JOIN completions c ON c.staff_id = src.staff_id AND c.course_id = src.course_id),"
    " ins AS (INSERT INTO completions (staff_id, course_id, completed_on, certificate_no)"
    "   SELECT staff_id, course_id, completed_on, cert FROM cls WHERE existing IS NULL RETURNING staff_id, course_id),"
    " upd AS (UPDATE completions c SET completed_on = cls.completed_on, certificate_no = cls.cert, updated_at = now()"
    "   FROM cls WHERE c.id = cls.existing AND NOT cls.same RETURNING cls.key)"
    " SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM upd), (SELECT count(*) FROM cls WHERE same),"
    "   (SELECT coalesce(json_agg(k), '[]') FROM (SELECT cls.key AS k FROM ins JOIN cls ON cls.staff_id = ins.staff_id"
    "    AND cls.course_id = ins.course_id UNION ALL SELECT key FROM upd LIMIT 1000) x)", 3, COMPLETION_STAGE);
#undef PRESENT

static const import_spec COMPLETION_IMPORT = {"completion", "completions/import", IMPORT_COLS(COMPLETION_IMPORT_COLS),
                                              COMPLETION_STAGE, &COMPLETION_CHECKS, &COMPLETION_MERGE};

void completions_import(http_ctx *c) { import_run(c, &COMPLETION_IMPORT); }
