/* Facility digital services: the state of each digital service (cashless payment, EMR...) at
 * each facility, and every state it has had, so that "deployed as of day D" is answered from the
 * history. The current table always equals the history's state for today: a new state may not
 * begin before the one it replaces, and never in the future. */
#include "common.h"
#include "handlers.h"

static const char *const FACILITY_TYPES[] = {"hospital", "health_centre", "cdc", "commune_station", NULL};
/* not_applicable (issue 11 §3): the service does not apply to the facility from effective_on (the
 * CDC has no curative care), with the reason in note; CT3 then does not ask it of the facility. */
static const char *const STATUSES[] = {"planned", "piloting", "deployed", "not_applicable", NULL};
static const char *const FS_COLUMNS[] = {"unit_id", "unit_code", "unit_name", "service", "status", "deployed_on",
                                         "note", "effective_on", "updated_at", NULL};

#define FS_JSON(t, at) "facility_service_json(" t ".unit_id, " t ".service, " t ".status, " t ".deployed_on, " \
                       t ".effective_on, " t ".note, " t "." at ")"

/* Without as_of the current table answers; with it, the history. Each item carries the id of its
 * (unit, service) row (kept for good: states change, rows are never deleted), the key of the
 * keyset pages (after=, $12). */
DB_STMT(STMT_LIST, "facility_services_list",
    "WITH s AS (SELECT fs.id, fs.unit_id, fs.service, fs.status, fs.deployed_on, fs.effective_on, fs.note, fs.updated_at"
    "   FROM facility_services fs WHERE $6::date IS NULL"
    "   UNION ALL SELECT (SELECT x.id FROM facility_services x WHERE x.unit_id = h.unit_id AND x.service = h.service),"
    "   h.unit_id, h.service, h.status, h.deployed_on, h.effective_on, h.note, h.recorded_at"
    "   FROM facility_services_on($6::date) h WHERE $6::date IS NOT NULL),"
    " f AS (SELECT s.*, u.code AS unit_code FROM s JOIN units u ON u.id = s.unit_id WHERE in_scope(u.path, $1)"
    "   AND ($2::bigint IS NULL OR s.unit_id = $2)"
    "   AND ($3::bigint IS NULL OR u.path <@ (SELECT x.path FROM units x WHERE x.id = $3))"
    "   AND ($4::text IS NULL OR s.service = $4) AND ($5::text IS NULL OR s.status = $5)"
    "   AND ($7::text IS NULL OR u.type = $7) AND ($8::timestamptz IS NULL OR s.updated_at >= $8)),"
    " p AS (SELECT f.*, row_number() OVER (ORDER BY"
    "   CASE WHEN $9 = 'unit_code' THEN f.unit_code END, CASE WHEN $9 = '-unit_code' THEN f.unit_code END DESC,"
    "   CASE WHEN $9 = 'service' THEN f.service END, CASE WHEN $9 = '-service' THEN f.service END DESC,"
    "   CASE WHEN $9 = 'updated_at' THEN f.updated_at END, CASE WHEN $9 = '-updated_at' THEN f.updated_at END DESC,"
    "   CASE WHEN $9 = 'id' THEN f.id END, CASE WHEN $9 = '-id' THEN f.id END DESC,"
    "   f.unit_code, f.service) AS rn FROM f" API_AFTER_ID(12) " ORDER BY rn LIMIT $10 OFFSET $11)"
    " SELECT json_build_object('items', coalesce((SELECT json_agg(jsonb_build_object('id', p.id)"
    "   || " FS_JSON("p", "updated_at") "::jsonb ORDER BY p.rn)"
    "   FROM p), '[]'), 'total', (SELECT count(*) FROM f), 'limit', $10::int, 'offset', $11::int)", 12);

/* The unit (locked, so that two changes of one unit's services queue up), whether it may have
 * services, the service's reference row and the current state. */
DB_STMT(STMT_LOCK, "facility_service_lock",
    "SELECT is_facility(u.type), u.active, d.code IS NOT NULL, coalesce(d.active, false),"
    " fs.status, fs.deployed_on, fs.effective_on, fs.note,"
    " CASE WHEN fs.unit_id IS NOT NULL THEN " FS_JSON("fs", "updated_at") " END"
    " FROM units u LEFT JOIN digital_services d ON d.code = $3"
    " LEFT JOIN facility_services fs ON fs.unit_id = u.id AND fs.service = $3"
    " WHERE u.id = $1 AND in_scope(u.path, $2) FOR NO KEY UPDATE OF u", 3);

/* Sets the current state and records it in the history, at the same instant. */
DB_STMT(STMT_WRITE, "facility_service_write",
    "WITH up AS (INSERT INTO facility_services AS fs (unit_id, service, status, deployed_on, effective_on, note)"
    "   VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT ON CONSTRAINT facility_services_key DO UPDATE"
    "   SET status = EXCLUDED.status, deployed_on = EXCLUDED.deployed_on, effective_on = EXCLUDED.effective_on,"
    "   note = EXCLUDED.note, updated_at = now() RETURNING fs.*),"
    " h AS (INSERT INTO facility_service_history (unit_id, service, status, deployed_on, effective_on, note,"
    "   recorded_at, recorded_by) SELECT unit_id, service, status, deployed_on, effective_on, note, updated_at, $7 FROM up)"
    " SELECT " FS_JSON("up", "updated_at") " FROM up", 7);

static int one_of(const char *s, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(s, list[i]) == 0) return 1;
    return 0;
}

void facility_services_list(http_ctx *c)
{
    static const char *const sorts[] = {"unit_code", "service", "updated_at", "id", NULL};
    verrs v;
    verrs_init(&v);
    api_list_query lq;
    long long unit = 0, under = 0;
    char as_of[11] = "";
    const char *service = http_query(c, "service"), *status = http_query(c, "status"),
               *ftype = http_query(c, "facility_type");
    int hu = http_query_id(c, "unit_id", &unit, &v) == 1, hn = http_query_id(c, "under", &under, &v) == 1;
    int ha = http_query_date(c, "as_of", as_of, &v) == 1;
    if (service && strlen(service) > 40) verrs_add(&v, "service", "is too long");
    if (status && !one_of(status, STATUSES)) verrs_add(&v, "status", "must be planned, piloting, deployed or not_applicable");
    if (ftype && !one_of(ftype, FACILITY_TYPES))
        verrs_add(&v, "facility_type", "must be hospital, health_centre, cdc or commune_station");
    if (api_refuse_list_query(c, &v, sorts, "unit_code", &lq)) return;
    db_args pv;
    db_args_of(&pv, api_scope(c), db_int_if(hu, unit), db_int_if(hn, under), db_text(service),
                    db_text(status), db_text(ha ? as_of : NULL), db_text(ftype), db_text(lq.since),
                    db_text(lq.sort), db_int(lq.limit), db_int(lq.offset));
    db_arg(&pv, api_list_after(&lq));
    api_list(c, &STMT_LIST, &pv, "listing facility services", FS_COLUMNS);
}

/* A new state as the body gives it; dates empty when not given. */
typedef struct fs_input {
    const char *status, *note;
    char deployed_on[11], effective_on[11];
} fs_input;

static void read_fs_body(json_t *body, fs_input *in, verrs *v)
{
    static const char *const fields[] = {"status", "deployed_on", "effective_on", "note", NULL};
    memset(in, 0, sizeof *in);
    json_refuse_unknown(body, fields, v);
    int hs = jfield_string(body, "status", 1, 20, &in->status, v);
    if (hs == 0) verrs_add(v, "status", "is required");
    else if (hs == 1 && !one_of(in->status, STATUSES)) {
        verrs_add(v, "status", "must be planned, piloting, deployed or not_applicable");
        in->status = NULL;
    }
    if (jfield_nullable_date(body, "deployed_on", in->deployed_on, v) != 1) in->deployed_on[0] = '\0';
    if (jfield_date(body, "effective_on", in->effective_on, v) != 1) in->effective_on[0] = '\0';
    json_t *note = json_object_get(body, "note");
    if (note != NULL && !json_is_null(note)) jfield_string(body, "note", 0, 500, &in->note, v);
    char today[11];
    api_today(today);
    if (in->status && strcmp(in->status, "not_applicable") == 0 && (in->note == NULL || !in->note[0]))
        verrs_add(v, "note", "is required when the status is not_applicable: the reason the service does not apply");
    int deployed = in->status && strcmp(in->status, "deployed") == 0;
    if (deployed && !in->deployed_on[0] && !json_is_string(json_object_get(body, "deployed_on")))
        verrs_add(v, "deployed_on", "is required when the status is deployed");
    if (in->status && !deployed && in->deployed_on[0]) verrs_add(v, "deployed_on", "is given only when the status is deployed");
    if (in->deployed_on[0] && strcmp(in->deployed_on, today) > 0) verrs_add(v, "deployed_on", "must not be in the future");
    if (in->effective_on[0] && strcmp(in->effective_on, today) > 0) verrs_add(v, "effective_on", "must not be in the future");
    if (deployed && in->deployed_on[0] && in->effective_on[0] && strcmp(in->effective_on, in->deployed_on) < 0)
        verrs_add(v, "effective_on", "must not be before deployed_on");
}

static int same_text(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

void facility_service_put(http_ctx *c)
{
    long long id = http_path_id(c, "id");
    if (id == 0) return;
    const char *service = http_path_param(c, "service");
    if (service == NULL || strlen(service) > 40) {
        respond_problem(c, 404, "There is no such digital service (see /api/v1/digital-services).");
        return;
    }
    json_t *body = http_json_body(c, 0);
    if (body == NULL) return;
    verrs v;
    verrs_init(&v);
    fs_input in;
    PGresult *cur = NULL, *r = NULL;
    read_fs_body(body, &in, &v);
    if (http_refuse_invalid(c, &v) || api_begin(c) != 0) goto out;
    db_args lv;
    db_args_of(&lv, db_int(id), api_scope(c), db_text(service));
    cur = api_run(c, &STMT_LOCK, &lv, "reading the facility");
    if (cur == NULL) goto out;
    if (PQntuples(cur) != 1 || strcmp(PQgetvalue(cur, 0, 2), "t") != 0) {
        respond_problem(c, 404, PQntuples(cur) != 1 ? "There is no such unit."
                                                    : "There is no such digital service (see /api/v1/digital-services).");
        db_rollback(api_conn(c));
        goto out;
    }
    const char *cur_json = api_cell(cur, 0, 8), *cur_status = api_cell(cur, 0, 4), *cur_deployed = api_cell(cur, 0, 5),
               *cur_effective = api_cell(cur, 0, 6), *cur_note = api_cell(cur, 0, 7);
    /* No state yet: no representation, so any If-Match fails. */
    if (cur_json ? http_if_match_fails(c, cur_json) : http_header(c, "If-Match") != NULL) {
        if (!cur_json) respond_problem(c, 412, "This unit has no state for this service yet (If-Match did not match).");
        db_rollback(api_conn(c));
        goto out;
    }
    if (strcmp(PQgetvalue(cur, 0, 0), "t") != 0)
        verrs_add(&v, "unit", "is not a facility (hospital, health centre, CDC or commune station)");
    else if (strcmp(PQgetvalue(cur, 0, 1), "t") != 0)
        verrs_add(&v, "unit", "is closed");
    if (strcmp(PQgetvalue(cur, 0, 3), "t") != 0) verrs_add(&v, "service", "is no longer an active digital service");
    const char *deployed = in.deployed_on[0] ? in.deployed_on : NULL;
    /* The state began on effective_on; the same state sent again keeps the day it began. */
    char effective[11];
    if (in.effective_on[0]) snprintf(effective, sizeof effective, "%s", in.effective_on);
    else if (cur_status && strcmp(cur_status, in.status) == 0 && same_text(cur_deployed, deployed))
        snprintf(effective, sizeof effective, "%s", cur_effective);
    else if (deployed) snprintf(effective, sizeof effective, "%s", deployed);
    else api_today(effective);
    if (cur_effective && strcmp(effective, cur_effective) < 0) {
        json_t *pm = json_pack("{s:s}", "day", cur_effective);
        verrs_problem(&v, "effective_on", "state_began", pm);
        json_decref(pm);
    }
    if (http_refuse_invalid(c, &v)) {
        db_rollback(api_conn(c));
        goto out;
    }
    if (cur_json && strcmp(cur_status, in.status) == 0 && same_text(cur_deployed, deployed) &&
        strcmp(cur_effective, effective) == 0 && same_text(cur_note, in.note)) {
        db_rollback(api_conn(c)); /* nothing changes: no new history entry */
        respond_resource_text(c, 200, cur_json, strlen(cur_json));
        goto out;
    }
    db_args wv;
    db_args_of(&wv, db_int(id), db_text(service), db_text(in.status), db_text(deployed),
                    db_text(effective), db_text(in.note), db_int(c->who.user_id));
    r = api_run(c, &STMT_WRITE, &wv, "saving the facility service");
    if (r == NULL) goto out;
    const char *json = PQgetvalue(r, 0, 0);
    char key[80];
    snprintf(key, sizeof key, "%lld/%s", id, service);
    if (api_audit(c, cur_json ? "update" : "create", "facility_service", key, cur_json, json) != 0 || api_commit(c) != 0)
        goto out;
    if (!cur_json) { /* 201 carries Location: the state's own address, the one just PUT */
        char prefix[64];
        snprintf(prefix, sizeof prefix, "/api/v1/units/%lld/services", id);
        api_location(c, prefix, service);
    }
    respond_resource_text(c, cur_json ? 200 : 201, json, strlen(json));
out:
    PQclear(r);
    PQclear(cur);
    verrs_free(&v);
    json_decref(body);
}
