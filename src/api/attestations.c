/* Skill attestations: a staff member attested on a date to have a skill (one per skill). */
#include "common.h"
#include "handlers.h"
#include "import.h"
#include "bdhvs/problems.h"

static const char *const ATTESTATION_COLUMNS[] = {"id", "staff_id", "staff_code", "skill", "attested_on",
                                                  "created_at", "updated_at", NULL};

#define ATTESTATION_SCOPE                                                                                      \
    " FROM attestations a JOIN staff s ON s.id = a.staff_id JOIN units u ON u.id = s.unit_id"                \
    " WHERE in_scope(u.path, $2)"

DB_STMT(STMT_LIST, "attestations_list",
    "WITH f AS (SELECT a.*" ATTESTATION_SCOPE
    "   AND ($1::bigint IS NULL OR a.staff_id = $1) AND ($3::bigint IS NULL OR s.unit_id = $3)"
    "   AND ($4::bigint IS NULL OR u.path <@ (SELECT x.path FROM units x WHERE x.id = $4))"
    "   AND ($5::text IS NULL OR a.skill = $5) AND ($6::timestamptz IS NULL OR a.updated_at >= $6)),"
    " p AS (SELECT f.id, row_number() OVER (ORDER BY"
    "   CASE WHEN $7 = 'attested_on' THEN f.attested_on END, CASE WHEN $7 = '-attested_on' THEN f.attested_on END DESC,"
    "   CASE WHEN $7 = '-id' THEN f.id END DESC, f.id) AS rn FROM f" API_AFTER_ID(10) " ORDER BY rn LIMIT $8 OFFSET $9)"
    " SELECT json_build_object('items', coalesce((SELECT json_agg(attestation_json(a) ORDER BY p.rn)"
    "   FROM p JOIN attestations a ON a.id = p.id), '[]'),"
    " 'total', (SELECT count(*) FROM f), 'limit', $8::int, 'offset', $9::int)", 10);

DB_STMT(STMT_LOCK, "attestations_lock",
                            "SELECT attestation_json(a)" ATTESTATION_SCOPE " AND a.id = $1 FOR UPDATE OF a", 2);
DB_STMT(STMT_INSERT, "attestations_insert",
    "INSERT INTO attestations (staff_id, skill, attested_on) VALUES ($1, $2, $3)"
    " RETURNING attestations.id, attestation_json(attestations)", 3);
/* The rules of migration 0015 (attestation_problems), which a bulk load checks too. */
DB_STMT(STMT_PROBLEMS, "attestations_problems",
    "SELECT field, problem, params FROM attestation_problems(ARRAY[ROW(0, $1::text)::attestation_rule_row])", 1);
DB_STMT(STMT_DELETE, "attestations_delete", "DELETE FROM attestations WHERE id = $1", 1);

void attestations_list(http_ctx *c)
{
    static const char *const sorts[] = {"attested_on", "id", NULL};
    verrs v;
    verrs_init(&v);
    api_list_query lq;
    long long staff = 0, unit = 0, under = 0;
    const char *skill = http_query(c, "skill");
    int hs = http_query_id(c, "staff_id", &staff, &v) == 1, hu = http_query_id(c, "unit_id", &unit, &v) == 1;
    int hn = http_query_id(c, "under", &under, &v) == 1;
    if (skill && strlen(skill) > 40) verrs_add(&v, "skill", "is too long");
    if (api_refuse_list_query(c, &v, sorts, "id", &lq)) return;
    db_args pv;
    db_args_of(&pv, db_int_if(hs, staff), api_scope(c), db_int_if(hu, unit), db_int_if(hn, under),
                    db_text(skill), db_text(lq.since), db_text(lq.sort), db_int(lq.limit), db_int(lq.offset));
    db_arg(&pv, api_list_after(&lq));
    api_list(c, &STMT_LIST, &pv, "listing attestations", ATTESTATION_COLUMNS);
}

void attestations_create(http_ctx *c)
{
    static const char *const fields[] = {"staff_id", "staff_code", "skill", "attested_on", NULL};
    api_change w;
    if (api_change_open(c, &w, 0)) return;
    long long sid = 0;
    const char *scode = NULL, *skill = NULL;
    char on[11] = "";
    json_refuse_unknown(w.body, fields, &w.v);
    int hs = (jfield_id(w.body, "staff_id", &sid, &w.v) == 1) | (jfield_string(w.body, "staff_code", 1, 40, &scode, &w.v) == 1);
    if (!hs && !json_object_get(w.body, "staff_id") && !json_object_get(w.body, "staff_code")) api_problem_required_or(&w.v, "staff_id", "staff_code");
    if (jfield_string(w.body, "skill", 1, 40, &skill, &w.v) == 0) verrs_problem(&w.v, "skill", "required", NULL);
    api_past_date(w.body, "attested_on", on, &w.v);
    if (http_refuse_invalid(c, &w.v) || api_begin(c) != 0) goto out;
    long long staff = api_resolve_staff(c, sid, scode, scode ? "staff_code" : "staff_id", NULL, &w.v);
    if (staff == -2) goto out;
    db_args kv;
    db_args_of(&kv, db_text(skill));
    if (api_add_problems(c, &STMT_PROBLEMS, &kv, &w.v) != 0) goto out;
    if (http_refuse_invalid(c, &w.v)) {
        db_rollback(api_conn(c));
        goto out;
    }
    db_args iv;
    db_args_of(&iv, db_int(staff), db_text(skill), db_text(on));
    w.r = api_run_unique(c, &STMT_INSERT, &iv, "creating an attestation",
                         "This staff member already has an attestation of this skill.");
    if (w.r != NULL) api_created(c, w.r, "attestation", "/api/v1/attestations", 1);
out:
    api_change_close(&w);
}

void attestations_delete(http_ctx *c)
{
    long long id = http_path_id(c, "id");
    if (id == 0 || api_begin(c) != 0) return;
    db_args lv;
    db_args_of(&lv, db_int(id), api_scope(c));
    PGresult *cur = api_lock_one(c, &STMT_LOCK, &lv, "There is no such attestation.", 0);
    api_delete_locked(c, cur, 0, &STMT_DELETE, id, "deleting the attestation", "attestation");
}

/* ---- bulk load (POST /api/v1/attestations/import; the engine is imports.c) ---- */

/* Matched on staff_code + skill: created, or moved to a later attested_on (an earlier date than
 * the stored one leaves it); a single create answers 409 when the pair has an attestation. */
static const import_col ATTESTATION_IMPORT_COLS[] = {
    {"staff_code", 1, K_TEXT, 40, 0}, {"skill", 1, K_TEXT, 200, 0, NULL, "skills"}, {"attested_on", 1, K_DATE, 10, 1}};

#define ATTESTATION_STAGE \
    "CREATE TEMP TABLE import_stage (row integer, staff_code text, skill text, attested_on text) ON COMMIT DROP"

DB_STMT_SETUP(ATTESTATION_CHECKS, "import_attestation_checks",
    IMPORT_CHECKS_HEAD IMPORT_STAFF_REF_CHECK
    " UNION ALL SELECT p.rowno, p.field, p.problem, p.params FROM (SELECT array_agg(ROW(s.row,"
    "   s.skill)::attestation_rule_row) AS a FROM import_stage s) x, LATERAL attestation_problems(x.a) p"
    " UNION ALL" IMPORT_REPEAT_CHECK("skill", "repeated_staff_skill", "staff_code, skill",
                                     "staff_code IS NOT NULL AND skill IS NOT NULL")
    IMPORT_CHECKS_TAIL, 1, ATTESTATION_STAGE);

DB_STMT_SETUP(ATTESTATION_MERGE, "import_attestation_merge",
    "WITH src AS (SELECT st.id AS staff_id, s.skill, s.staff_code || '/' || s.skill AS key,"
    "   s.attested_on::date AS attested_on FROM import_stage s JOIN scoped_staff($3) st ON st.code = s.staff_code"
    "   WHERE $1::text[] IS NOT NULL AND $2::boolean IS NOT NULL),"
    " cls AS (SELECT src.*, a.id AS existing, a.id IS NOT NULL AND a.attested_on >= src.attested_on AS same"
    "   FROM src LEFT JOIN attestations a ON a.staff_id = src.staff_id AND a.skill = src.skill),"
    " ins AS (INSERT INTO attestations (staff_id, skill, attested_on)"
    "   SELECT staff_id, skill, attested_on FROM cls WHERE existing IS NULL RETURNING staff_id, skill),"
    " upd AS (UPDATE attestations a SET attested_on = cls.attested_on, updated_at = now()"
    "   FROM cls WHERE a.id = cls.existing AND NOT cls.same RETURNING cls.key)"
    " SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM upd), (SELECT count(*) FROM cls WHERE same),"
    "   (SELECT coalesce(json_agg(k), '[]') FROM (SELECT cls.key AS k FROM ins JOIN cls ON cls.staff_id = ins.staff_id"
    "    AND cls.skill = ins.skill UNION ALL SELECT key FROM upd LIMIT 1000) x)", 3, ATTESTATION_STAGE);

static const import_spec ATTESTATION_IMPORT = {"attestation", "attestations/import", IMPORT_COLS(ATTESTATION_IMPORT_COLS),
                                               ATTESTATION_STAGE, &ATTESTATION_CHECKS, &ATTESTATION_MERGE};

void attestations_import(http_ctx *c) { import_run(c, &ATTESTATION_IMPORT); }
