/* A unit's groups (issue 11 §3): public service unit or state management body, curative
 * facility, and the groups an administrator adds (/api/v1/unit-groups, refdata.c). A new unit
 * takes the default groups of its type (migration 0029); an administrator adds and removes. */
#include "common.h"
#include "handlers.h"

DB_STMT(STMT_GROUPS, "unit_groups_of", "SELECT unit_groups_json($1)", 1);

/* The unit (locked), whether the group exists and is active, and the other legal status the unit
 * holds when code is one (a unit is a public service unit or a state management body). */
DB_STMT(STMT_CHECK, "unit_groups_check",
    "SELECT (SELECT g.active FROM unit_groups g WHERE g.code = $2),"
    " (SELECT m.group_code FROM unit_group_members m WHERE m.unit_id = u.id AND $2 IN ('public_service_unit', 'state_management')"
    "   AND m.group_code IN ('public_service_unit', 'state_management') AND m.group_code <> $2),"
    " EXISTS (SELECT 1 FROM unit_group_members m WHERE m.unit_id = u.id AND m.group_code = $2)"
    " FROM units u WHERE u.id = $1 FOR NO KEY UPDATE", 2);

DB_STMT(STMT_ADD, "unit_groups_add", "INSERT INTO unit_group_members (unit_id, group_code) VALUES ($1, $2)", 2);
DB_STMT(STMT_REMOVE, "unit_groups_remove", "DELETE FROM unit_group_members WHERE unit_id = $1 AND group_code = $2", 2);

void unit_groups_list(http_ctx *c)
{
    long long id = http_path_id(c, "id");
    if (id == 0 || api_db(c) == NULL || api_refuse_unit_not_found(c, id)) return;
    db_args pv;
    db_args_of(&pv, db_int(id));
    api_answer_one(c, &STMT_GROUPS, &pv, "listing the unit's groups", "There is no such unit.");
}

/* PUT (add) or DELETE (remove) the group of the path. */
static void change_group(http_ctx *c, int add)
{
    long long id = http_path_id(c, "id");
    if (id == 0) return;
    const char *cs = http_path_param(c, "code");
    char code[48], key[80];
    snprintf(code, sizeof code, "%s", cs && strlen(cs) <= 40 ? cs : "");
    if (api_begin(c) != 0) return;
    db_args cv;
    db_args_of(&cv, db_int(id), db_text(code));
    PGresult *k = api_run(c, &STMT_CHECK, &cv, "reading the unit's groups");
    if (k == NULL) return;
    const char *problem = NULL;
    if (PQntuples(k) != 1) {
        PQclear(k);
        db_rollback(api_conn(c));
        respond_problem(c, 404, "There is no such unit.");
        return;
    }
    int member = strcmp(PQgetvalue(k, 0, 2), "t") == 0;
    char other[48] = "";
    if (!PQgetisnull(k, 0, 1)) snprintf(other, sizeof other, "%s", PQgetvalue(k, 0, 1));
    if (PQgetisnull(k, 0, 0)) problem = "must be a unit group (see /api/v1/unit-groups)";
    else if (add && !member && strcmp(PQgetvalue(k, 0, 0), "t") != 0) problem = "is an inactive unit group";
    PQclear(k);
    verrs v;
    verrs_init(&v);
    if (problem) verrs_add(&v, "code", "%s", problem);
    else if (add && !member && other[0]) {
        json_t *pm = json_pack("{s:s}", "other", other);
        verrs_problem(&v, "code", "group_other_kind", pm);
        json_decref(pm);
    }
    if (http_refuse_invalid(c, &v)) {
        db_rollback(api_conn(c));
        verrs_free(&v);
        return;
    }
    verrs_free(&v);
    if (!add && !member) {
        db_rollback(api_conn(c));
        respond_problem(c, 404, "The unit is not in this group.");
        return;
    }
    if (add && member) { /* already there: nothing to write */
        db_rollback(api_conn(c));
        db_args gv;
        db_args_of(&gv, db_int(id));
        api_answer_one(c, &STMT_GROUPS, &gv, "listing the unit's groups", "There is no such unit.");
        return;
    }
    PGresult *w = api_run(c, add ? &STMT_ADD : &STMT_REMOVE, &cv, add ? "adding the group" : "removing the group");
    if (w == NULL) return;
    PQclear(w);
    snprintf(key, sizeof key, "%lld/%s", id, code);
    char j[160];
    snprintf(j, sizeof j, "{\"unit_id\": %lld, \"group\": \"%s\"}", id, code);
    if (api_audit(c, add ? "create" : "delete", "unit_group_member", key, add ? NULL : j, add ? j : NULL) != 0 ||
        api_commit(c) != 0)
        return;
    if (!add) {
        respond_empty(c, 204);
        return;
    }
    http_set_header(c, "Location", http_url_path(c));
    db_args gv;
    db_args_of(&gv, db_int(id));
    PGresult *r = api_run(c, &STMT_GROUPS, &gv, "listing the unit's groups");
    if (r == NULL) return;
    respond_json_text(c, 201, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
    PQclear(r);
}

void unit_group_put(http_ctx *c) { change_group(c, 1); }
void unit_group_delete(http_ctx *c) { change_group(c, 0); }
