/* Courses on the national MOOC platform; some count for the campaign target. Admins write. */
#include "internal.h"

static const char *const COURSE_COLUMNS[] = {"id", "code", "title", "provider", "counts_for_campaign",
                                             "created_at", "updated_at", NULL};

DB_STMT(STMT_LIST, "courses_list",
    "WITH f AS (SELECT k.* FROM courses k WHERE ($1::text IS NULL OR strpos(f_unaccent(k.title), f_unaccent($1)) > 0"
    "   OR strpos(lower(k.code), lower($1)) > 0) AND ($2::bool IS NULL OR k.counts_for_campaign = $2)"
    "   AND ($3::timestamptz IS NULL OR k.updated_at >= $3)),"
    " p AS (SELECT f.id, row_number() OVER (ORDER BY"
    "   CASE WHEN $4 = 'code' THEN f.code END, CASE WHEN $4 = '-code' THEN f.code END DESC,"
    "   CASE WHEN $4 = 'title' THEN f_unaccent(f.title) END, CASE WHEN $4 = '-title' THEN f_unaccent(f.title) END DESC,"
    "   CASE WHEN $4 = '-id' THEN f.id END DESC, f.id) AS rn FROM f ORDER BY rn LIMIT $5 OFFSET $6)"
    " SELECT json_build_object('items', coalesce((SELECT json_agg(course_json(k) ORDER BY p.rn)"
    "   FROM p JOIN courses k ON k.id = p.id), '[]'),"
    " 'total', (SELECT count(*) FROM f), 'limit', $5::int, 'offset', $6::int)", 6);

DB_STMT(STMT_GET, "courses_get", "SELECT course_json(k) FROM courses k WHERE k.id = $1", 1);
DB_STMT(STMT_LOCK, "courses_lock", "SELECT course_json(k), (SELECT count(*) FROM completions c WHERE"
                                            " c.course_id = k.id) FROM courses k WHERE k.id = $1 FOR UPDATE", 1);
DB_STMT(STMT_INSERT, "courses_insert",
    "INSERT INTO courses (code, title, provider, counts_for_campaign) VALUES ($1, $2, $3, coalesce($4::bool, true))"
    " RETURNING courses.id, course_json(courses)", 4);
DB_STMT(STMT_UPDATE, "courses_update",
    "UPDATE courses SET code = coalesce($2, code), title = coalesce($3, title),"
    " provider = CASE WHEN $4::bool THEN $5 ELSE provider END,"
    " counts_for_campaign = coalesce($6::bool, counts_for_campaign), updated_at = now()"
    " WHERE id = $1 RETURNING course_json(courses)", 6);
DB_STMT(STMT_DELETE, "courses_delete", "DELETE FROM courses WHERE id = $1", 1);

void courses_list(http_ctx *c)
{
    static const char *const sorts[] = {"code", "title", "id", NULL};
    verrs v;
    verrs_init(&v);
    int cfc = 0;
    int has_cfc = http_query_bool(c, "counts_for_campaign", &cfc, &v) == 1;
    const char *since = NULL, *q = http_query(c, "q");
    char sort[40];
    long ls, os;
    if (q != NULL && (strlen(q) == 0 || utf8_length(q) > 100)) verrs_add(&v, "q", "must be 1 to 100 characters");
    http_query_timestamp(c, "updated_since", &since, &v);
    http_query_sort(c, sorts, "code", sort, &v);
    api_page_params(c, &v, &ls, &os);
    if (!api_query_ok(c, &v)) return;
    if (http_db(c) == NULL) return;
    db_args pv;
    db_args_of(&pv, db_text(q), db_bool_if(has_cfc, cfc), db_text(since), db_text(sort), db_int(ls),
                    db_int(os));
    PGresult *r = api_run(c, &STMT_LIST, &pv, "listing courses");
    if (r == NULL) return;
    api_list_answer(c, r, COURSE_COLUMNS);
    PQclear(r);
}

void courses_get(http_ctx *c)
{
    long long id = http_path_id(c, "id");
    if (id == 0 || http_db(c) == NULL) return;
    db_args v;
    db_args_of(&v, db_int(id));
    PGresult *r = api_run(c, &STMT_GET, &v, "reading a course");
    if (r == NULL) return;
    if (PQntuples(r) != 1) respond_problem(c, 404, "There is no such course.");
    else respond_resource_text(c, 200, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
    PQclear(r);
}

typedef struct course_input {
    const char *code, *title, *provider;
    int provider_given, cfc, cfc_given;
} course_input;

static void read_course_body(json_t *body, course_input *in, verrs *v)
{
    static const char *const fields[] = {"code", "title", "provider", "counts_for_campaign", NULL};
    memset(in, 0, sizeof *in);
    json_refuse_unknown(body, fields, v);
    jfield_string(body, "code", 1, 100, &in->code, v);
    jfield_string(body, "title", 1, 300, &in->title, v);
    json_t *p = json_object_get(body, "provider");
    if (p != NULL && json_is_null(p)) in->provider_given = 1;
    else in->provider_given = jfield_string(body, "provider", 1, 200, &in->provider, v) == 1;
    in->cfc_given = jfield_bool(body, "counts_for_campaign", &in->cfc, v) == 1;
}

static void course_conflict_or_error(http_ctx *c, PGresult *r)
{
    if (db_error_class(c->db, r) == DB_ERR_UNIQUE) respond_problem(c, 409, "Another course already has this code.");
    else respond_db_error(c, r, "writing a course");
    db_rollback(c->db);
}

void courses_create(http_ctx *c)
{
    json_t *body = http_json_body(c, 0);
    if (body == NULL) return;
    verrs v;
    verrs_init(&v);
    course_input in;
    PGresult *r = NULL;
    read_course_body(body, &in, &v);
    if (!json_object_get(body, "code")) verrs_add(&v, "code", "is required");
    if (!json_object_get(body, "title")) verrs_add(&v, "title", "is required");
    if (http_refuse_invalid(c, &v) || api_begin(c) != 0) goto out;
    db_args iv;
    db_args_of(&iv, db_text(in.code), db_text(in.title), db_text(in.provider),
                    db_bool_if(in.cfc_given, in.cfc));
    r = db_run(c->db, &STMT_INSERT, &iv);
    if (!db_ok(r)) {
        course_conflict_or_error(c, r);
        goto out;
    }
    api_created(c, r, "course", "/api/v1/courses", 1);
out:
    PQclear(r);
    verrs_free(&v);
    json_decref(body);
}

static PGresult *lock_course(http_ctx *c, long long id)
{
    db_args v;
    db_args_of(&v, db_int(id));
    return api_lock_one(c, &STMT_LOCK, &v, "There is no such course.", 1);
}

void courses_update(http_ctx *c)
{
    long long id = http_path_id(c, "id");
    if (id == 0) return;
    json_t *body = http_json_body(c, 0);
    if (body == NULL) return;
    verrs v;
    verrs_init(&v);
    course_input in;
    PGresult *cur = NULL, *r = NULL;
    read_course_body(body, &in, &v);
    if (http_refuse_invalid(c, &v) || api_begin(c) != 0) goto out;
    cur = lock_course(c, id);
    if (cur == NULL) goto out;
    if (json_object_size(body) == 0) { /* nothing to change: no write, no audit entry */
        db_rollback(c->db);
        respond_resource_text(c, 200, PQgetvalue(cur, 0, 0), (size_t)PQgetlength(cur, 0, 0));
        goto out;
    }
    db_args uv;
    db_args_of(&uv, db_int(id), db_text(in.code), db_text(in.title), db_bool(in.provider_given),
                    db_text(in.provider), db_bool_if(in.cfc_given, in.cfc));
    r = db_run(c->db, &STMT_UPDATE, &uv);
    if (!db_ok(r)) {
        course_conflict_or_error(c, r);
        goto out;
    }
    const char *json = PQgetvalue(r, 0, 0);
    if (api_audit_id(c, "update", "course", id, PQgetvalue(cur, 0, 0), json) != 0 || api_commit(c) != 0) goto out;
    respond_resource_text(c, 200, json, strlen(json));
out:
    PQclear(r);
    PQclear(cur);
    verrs_free(&v);
    json_decref(body);
}

void courses_delete(http_ctx *c)
{
    long long id = http_path_id(c, "id");
    if (id == 0 || api_begin(c) != 0) return;
    PGresult *cur = lock_course(c, id);
    if (cur == NULL) return;
    if (atoll(PQgetvalue(cur, 0, 1)) > 0) {
        PQclear(cur);
        db_rollback(c->db);
        respond_problem(c, 409, "Completions of this course exist; it cannot be deleted.");
        return;
    }
    db_args v;
    db_args_of(&v, db_int(id));
    PGresult *r = api_run(c, &STMT_DELETE, &v, "deleting the course");
    if (r != NULL && api_audit_id(c, "delete", "course", id, PQgetvalue(cur, 0, 0), NULL) == 0 && api_commit(c) == 0)
        respond_empty(c, 204);
    PQclear(r);
    PQclear(cur);
}
