/* Courses on the national MOOC platform; some count for the campaign target. Admins write. */
#include "common.h"
#include "handlers.h"

static const char *const COURSE_COLUMNS[] = {"id", "code", "title", "provider", "counts_for_campaign",
                                             "created_at", "updated_at", NULL};

DB_STMT(STMT_LIST, "courses_list",
    "WITH f AS (SELECT k.* FROM courses k WHERE ($1::text IS NULL OR strpos(f_unaccent(k.title), f_unaccent($1)) > 0"
    "   OR strpos(lower(k.code), lower($1)) > 0) AND ($2::bool IS NULL OR k.counts_for_campaign = $2)"
    "   AND ($3::timestamptz IS NULL OR k.updated_at >= $3)),"
    " p AS (SELECT f.id, row_number() OVER (ORDER BY"
    "   CASE WHEN $4 = 'code' THEN f.code END, CASE WHEN $4 = '-code' THEN f.code END DESC,"
    "   CASE WHEN $4 = 'title' THEN f_unaccent(f.title) END, CASE WHEN $4 = '-title' THEN f_unaccent(f.title) END DESC,"
    "   CASE WHEN $4 = '-id' THEN f.id END DESC, f.id) AS rn FROM f" API_AFTER_ID(7) " ORDER BY rn LIMIT $5 OFFSET $6)"
    " SELECT json_build_object('items', coalesce((SELECT json_agg(course_json(k) ORDER BY p.rn)"
    "   FROM p JOIN courses k ON k.id = p.id), '[]'),"
    " 'total', (SELECT count(*) FROM f), 'limit', $5::int, 'offset', $6::int)", 7);

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
    api_list_query lq;
    int cfc = 0;
    int has_cfc = http_query_bool(c, "counts_for_campaign", &cfc, &v) == 1;
    const char *q = http_query(c, "q");
    if (q != NULL && (strlen(q) == 0 || utf8_length(q) > 100)) verrs_add(&v, "q", "must be 1 to 100 characters");
    if (api_refuse_list_query(c, &v, sorts, "code", &lq)) return;
    db_args pv;
    db_args_of(&pv, db_text(q), db_bool_if(has_cfc, cfc), db_text(lq.since), db_text(lq.sort), db_int(lq.limit),
                    db_int(lq.offset));
    db_arg(&pv, api_list_after(&lq));
    api_list(c, &STMT_LIST, &pv, "listing courses", COURSE_COLUMNS);
}

API_GET_ONE_ROUTE(courses_get, &STMT_GET, 0, "reading a course", "There is no such course.");

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

static const char COURSE_TAKEN[] = "Another course already has this code.";

void courses_create(http_ctx *c)
{
    api_change w;
    if (api_change_open(c, &w, 0)) return;
    course_input in;
    read_course_body(w.body, &in, &w.v);
    if (!json_object_get(w.body, "code")) verrs_add(&w.v, "code", "is required");
    if (!json_object_get(w.body, "title")) verrs_add(&w.v, "title", "is required");
    if (http_refuse_invalid(c, &w.v) || api_begin(c) != 0) goto out;
    db_args iv;
    db_args_of(&iv, db_text(in.code), db_text(in.title), db_text(in.provider),
                    db_bool_if(in.cfc_given, in.cfc));
    w.r = api_run_unique(c, &STMT_INSERT, &iv, "writing a course", COURSE_TAKEN);
    if (w.r != NULL) api_created(c, w.r, "course", "/api/v1/courses", 1);
out:
    api_change_close(&w);
}

/* Locks the course (row: its JSON, its number of completions); NULL after answering 404 or 412. */
static PGresult *lock_course(http_ctx *c, long long id)
{
    db_args v;
    db_args_of(&v, db_int(id));
    return api_lock_one(c, &STMT_LOCK, &v, "There is no such course.", 1);
}

void courses_update(http_ctx *c)
{
    api_change w;
    course_input in;
    if (api_change_open(c, &w, 1)) return;
    read_course_body(w.body, &in, &w.v);
    if (api_change_lock(c, &w, lock_course) == 0) {
        db_args uv;
        db_args_of(&uv, db_int(w.id), db_text(in.code), db_text(in.title), db_bool(in.provider_given),
                        db_text(in.provider), db_bool_if(in.cfc_given, in.cfc));
        w.r = api_run_unique(c, &STMT_UPDATE, &uv, "writing a course", COURSE_TAKEN);
        if (w.r) api_updated(c, w.cur, w.r, "course", w.id, 0);
    }
    api_change_close(&w);
}

void courses_delete(http_ctx *c)
{
    long long id = http_path_id(c, "id");
    if (id == 0 || api_begin(c) != 0) return;
    PGresult *cur = lock_course(c, id);
    if (cur == NULL) return;
    if (atoll(PQgetvalue(cur, 0, 1)) > 0) {
        PQclear(cur);
        db_rollback(api_conn(c));
        respond_problem(c, 409, "Completions of this course exist; it cannot be deleted.");
        return;
    }
    api_delete_locked(c, cur, 0, &STMT_DELETE, id, "deleting the course", "course");
}
