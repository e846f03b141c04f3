/* Reference data: job groups, employment types, skills. Codes are English for machines,
 * labels Vietnamese for people. Read by anyone signed in, written by admins. */
#include "common.h"
#include "handlers.h"

typedef struct ref_table {
    db_stmt list, get, upsert;
} ref_table;

#define REF_TABLE(t)                                                                                           \
    {{"ref_list_" t,                                                                                           \
      "WITH f AS (SELECT * FROM " t "), p AS (SELECT * FROM f ORDER BY code LIMIT $1 OFFSET $2)"              \
      " SELECT json_build_object('items', coalesce((SELECT json_agg(ref_json(p.code, p.label_vi, p.label_en,"  \
      " p.active) ORDER BY p.code) FROM p), '[]'), 'total', (SELECT count(*) FROM f), 'limit', $1::int,"     \
      " 'offset', $2::int)",                                                                                   \
      2},                                                                                                      \
     {"ref_get_" t, "SELECT ref_json(code, label_vi, label_en, active) FROM " t " WHERE code = $1 FOR UPDATE", 1}, \
     {"ref_upsert_" t,                                                                                         \
      "INSERT INTO " t " AS r (code, label_vi, label_en, active) VALUES ($1, $2, $3, coalesce($4::bool, true))" \
      " ON CONFLICT (code) DO UPDATE SET label_vi = EXCLUDED.label_vi, label_en = EXCLUDED.label_en,"         \
      " active = coalesce($4::bool, r.active)"                                                                 \
      " RETURNING ref_json(r.code, r.label_vi, r.label_en, r.active)",                                         \
      4}}

static ref_table JOB_GROUPS = REF_TABLE("job_groups");
static ref_table EMPLOYMENT = REF_TABLE("employment_types");
static ref_table SKILLS = REF_TABLE("skills");
static ref_table DIGITAL_SERVICES = REF_TABLE("digital_services");
static ref_table SUPPORT_SERVICES = REF_TABLE("support_services");
static ref_table TARGET_GROUPS = REF_TABLE("target_groups");
#define REF_STMTS(t) &t.list, &t.get, &t.upsert
DB_STMT_REGISTER(REF_TABLES, REF_STMTS(JOB_GROUPS), REF_STMTS(EMPLOYMENT), REF_STMTS(SKILLS), REF_STMTS(DIGITAL_SERVICES),
                 REF_STMTS(SUPPORT_SERVICES), REF_STMTS(TARGET_GROUPS));
static const char *const REF_COLUMNS[] = {"code", "label_vi", "label_en", "active", NULL};

static void ref_list(http_ctx *c, ref_table *t)
{
    verrs v;
    verrs_init(&v);
    long limit, offset;
    http_query_page(c, &limit, &offset, &v);
    if (api_refuse_bad_query(c, &v)) return;
    if (api_db(c) == NULL) return;
    db_args pv;
    db_args_of(&pv, db_int(limit), db_int(offset));
    api_list(c, &t->list, &pv, "listing reference data", REF_COLUMNS);
}

static void ref_put(http_ctx *c, ref_table *t, const char *entity)
{
    static const char *const fields[] = {"label_vi", "label_en", "active", NULL};
    const char *code = http_path_param(c, "code");
    if (code == NULL || !code_ok(&CODE_REF, code)) {
        respond_problem(c, 404, "There is no such code; codes are 2-40 of a-z, 0-9 and _.");
        return;
    }
    char codebuf[48];
    snprintf(codebuf, sizeof codebuf, "%s", code);
    json_t *body = http_json_body(c, 0);
    if (body == NULL) return;
    verrs v;
    verrs_init(&v);
    const char *vi = NULL, *en = NULL;
    int active = 1;
    json_refuse_unknown(body, fields, &v);
    if (jfield_string(body, "label_vi", 1, 200, &vi, &v) == 0) verrs_add(&v, "label_vi", "is required");
    if (jfield_string(body, "label_en", 1, 200, &en, &v) == 0) verrs_add(&v, "label_en", "is required");
    int has_active = jfield_bool(body, "active", &active, &v) == 1;
    if (http_refuse_invalid(c, &v) || api_begin(c) != 0) goto out;
    db_args gv;
    db_args_of(&gv, db_text(codebuf));
    PGresult *before = api_run(c, &t->get, &gv, "reading reference data");
    if (before == NULL) goto out;
    int existed = PQntuples(before) == 1;
    db_args uv;
    db_args_of(&uv, db_text(codebuf), db_text(vi), db_text(en), db_bool_if(has_active, active));
    PGresult *r = api_run(c, &t->upsert, &uv, "saving reference data");
    if (r != NULL) {
        api_answer_put(c, entity, codebuf, existed ? PQgetvalue(before, 0, 0) : NULL, PQgetvalue(r, 0, 0), NULL);
        PQclear(r);
    }
    PQclear(before);
out:
    verrs_free(&v);
    json_decref(body);
}

/* Unit groups (issue 11 §3; memberships in unit_groups.c): reference data like the job groups. */
static ref_table UNIT_GROUPS = REF_TABLE("unit_groups");
DB_STMT_REGISTER(REF_UNIT_GROUPS, REF_STMTS(UNIT_GROUPS));
void ref_unit_groups_list(http_ctx *c) { ref_list(c, &UNIT_GROUPS); }
void ref_unit_groups_put(http_ctx *c) { ref_put(c, &UNIT_GROUPS, "unit_group"); }

void ref_job_groups_list(http_ctx *c) { ref_list(c, &JOB_GROUPS); }
void ref_employment_list(http_ctx *c) { ref_list(c, &EMPLOYMENT); }
void ref_skills_list(http_ctx *c) { ref_list(c, &SKILLS); }
void ref_job_groups_put(http_ctx *c) { ref_put(c, &JOB_GROUPS, "job_group"); }
void ref_employment_put(http_ctx *c) { ref_put(c, &EMPLOYMENT, "employment_type"); }
void ref_skills_put(http_ctx *c) { ref_put(c, &SKILLS, "skill"); }
void ref_digital_services_list(http_ctx *c) { ref_list(c, &DIGITAL_SERVICES); }
void ref_support_services_list(http_ctx *c) { ref_list(c, &SUPPORT_SERVICES); }
void ref_target_groups_list(http_ctx *c) { ref_list(c, &TARGET_GROUPS); }
