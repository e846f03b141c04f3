/* Skill attestations: a staff member attested on a date to have a skill (one per skill). */
#include "common.h"
#include "handlers.h"

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
DB_STMT(STMT_SKILL_ACTIVE, "attestations_skill_active", "SELECT 1 FROM skills WHERE code = $1 AND active", 1);
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
    char on[11] = "", joined[11] = "", today[11];
    json_refuse_unknown(w.body, fields, &w.v);
    int hs = (jfield_id(w.body, "staff_id", &sid, &w.v) == 1) | (jfield_string(w.body, "staff_code", 1, 40, &scode, &w.v) == 1);
    if (!hs && !json_object_get(w.body, "staff_id") && !json_object_get(w.body, "staff_code")) verrs_add(&w.v, "staff_id", "is required (or staff_code)");
    if (jfield_string(w.body, "skill", 1, 40, &skill, &w.v) == 0) verrs_add(&w.v, "skill", "is required");
    if (jfield_date(w.body, "attested_on", on, &w.v) == 0) verrs_add(&w.v, "attested_on", "is required");
    api_today(today);
    if (on[0] && strcmp(on, today) > 0) verrs_add(&w.v, "attested_on", "must not be in the future");
    if (http_refuse_invalid(c, &w.v) || api_begin(c) != 0) goto out;
    long long staff = api_resolve_staff(c, sid, scode, scode ? "staff_code" : "staff_id", joined, &w.v);
    if (staff == -2) goto out;
    db_args kv;
    db_args_of(&kv, db_text(skill));
    w.r = api_run(c, &STMT_SKILL_ACTIVE, &kv, "checking the skill");
    if (w.r == NULL) goto out;
    if (PQntuples(w.r) != 1) verrs_add(&w.v, "skill", "is not an active skill code (see /api/v1/skills)");
    PQclear(w.r);
    w.r = NULL;
    if (http_refuse_invalid(c, &w.v)) goto out;
    db_args iv;
    db_args_of(&iv, db_int(staff), db_text(skill), db_text(on));
    w.r = db_run(api_conn(c), &STMT_INSERT, &iv);
    if (!db_ok(w.r)) {
        if (db_error_class(api_conn(c), w.r) == DB_ERR_UNIQUE) {
            respond_problem(c, 409, "This staff member already has an attestation of this skill.");
        } else if (strcmp(db_sqlstate(w.r), "23503") == 0) {
            json_t *e = json_pack("[{s:s, s:s}]", "field", "skill", "message", "is not a skill code (see /api/v1/skills)");
            respond_problem_errors(c, 422, "Some fields are invalid; see errors.", e);
            json_decref(e);
        } else {
            api_db_error(c, w.r, "creating an attestation");
        }
        db_rollback(api_conn(c));
        goto out;
    }
    api_created(c, w.r, "attestation", "/api/v1/attestations", 1);
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
