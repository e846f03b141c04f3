/* Activity reports: the six-section form per unit and period, its life cycle (draft, submitted,
 * approved, returned), deadlines from the parent's schedule, the parent's view of who reported.
 * The consolidated form is in forms.c. */
#include "common.h"
#include "handlers.h"
#include "bdhvs/period.h"

#include <stdint.h>

static const char *const REPORT_COLUMNS[] = {"id", "unit_id", "unit_code", "period", "period_type", "status",
                                             "due_on", "submitted_at", "timeliness", "approved_at", "approved_by",
                                             "returned_at", "return_reason", "created_at", "updated_at", NULL};

/* A field's code, type, and why a write of it is refused (NULL: it is not; see forms.c). */
DB_STMT(STMT_FIELDS, "reports_fields",
    "SELECT code, type, report_field_refusal(f) FROM report_fields f WHERE $1::bool", 1);

DB_STMT(STMT_FIELDS_LIST, "reports_fields_list",
    "WITH p AS (SELECT * FROM report_fields ORDER BY section, sort_order LIMIT $1 OFFSET $2)"
    " SELECT json_build_object('items', coalesce((SELECT json_agg(report_field_json(p) ORDER BY p.section, p.sort_order)"
    " FROM p), '[]'), 'total', (SELECT count(*) FROM report_fields), 'limit', $1::int, 'offset', $2::int)", 2);

DB_STMT(STMT_GET, "reports_get",
    "SELECT report_json(r) FROM reports r JOIN units u ON u.id = r.unit_id"
    " WHERE r.unit_id = $1 AND r.period = $2 AND (in_scope(u.path, $3)"
    "   OR ($5::bool AND report_approver_is(r.unit_id, r.period_type, r.period_start, $4::bigint)))", 5);

/* Last column: who can return an approved or accepted report and what then (its 409 period-locked). */
DB_STMT(STMT_LOCK, "reports_lock",
    "SELECT report_json(r), r.status, r.id, r.unit_id = $4::bigint,"
    " CASE WHEN r.status IN ('approved', 'accepted') THEN report_unlock_hint(r.unit_id, r.period, true) END,"
    " CASE WHEN r.status IN ('approved', 'accepted') THEN report_unlock_params(r.unit_id, r.period, true) END"
    " FROM reports r JOIN units u ON u.id = r.unit_id"
    " WHERE r.unit_id = $1 AND r.period = $2 AND in_scope(u.path, $3) FOR UPDATE OF r", 4);

/* Approving, returning, waiving and unlocking (issue 10 §2): the report is in the caller's scope
 * (a manager above it), or its obligation names the caller's unit as approver (a designated
 * office of the parent: report_approver_is, migration 0025) — rights on those reports only.
 * $5: the caller may sign as an office (a manager). Last column: found through the office. */
DB_STMT(STMT_LOCK_SIGN, "reports_lock_sign",
    "SELECT report_json(r), r.status, r.id, r.unit_id = $4::bigint, NOT in_scope(u.path, $3)"
    " FROM reports r JOIN units u ON u.id = r.unit_id"
    " WHERE r.unit_id = $1 AND r.period = $2 AND (in_scope(u.path, $3)"
    "   OR ($5::bool AND report_approver_is(r.unit_id, r.period_type, r.period_start, $4::bigint)))"
    " FOR UPDATE OF r", 5);

/* Accepting: the report is in the caller's scope, or the caller's unit is the level that accepts
 * it on the period's tree (report_acceptor_is, migration 0041: the level the unit's parent of that
 * period reports to; a station moved since stays accepted there) — that report only. */
DB_STMT(STMT_LOCK_ACCEPT, "reports_lock_accept",
    "SELECT report_json(r), r.status, r.id, r.unit_id = $4::bigint, NOT in_scope(u.path, $3)"
    " FROM reports r JOIN units u ON u.id = r.unit_id"
    " WHERE r.unit_id = $1 AND r.period = $2 AND (in_scope(u.path, $3)"
    "   OR ($5::bool AND report_acceptor_is(r.unit_id, r.period_type, r.period_start, $4::bigint)))"
    " FOR UPDATE OF r", 5);

DB_STMT(STMT_UPSERT, "reports_upsert",
    "INSERT INTO reports AS r (unit_id, period, period_type, period_start, period_end, status, \"values\")"
    " VALUES ($1, $2, $3, $4, $5, 'draft', jsonb_strip_nulls($6::jsonb))"
    " ON CONFLICT (unit_id, period) DO UPDATE SET \"values\" = jsonb_strip_nulls(r.\"values\" || $6::jsonb),"
    " status = 'draft', updated_at = now() WHERE r.status IN ('draft', 'returned')"
    " RETURNING report_json(r), r.id, r.xmax = 0", 6);

/* A report submitted again after a return keeps its first submission time and its timeliness
 * (decided then); submitted_at is the latest submission. */
DB_STMT(STMT_SUBMIT, "reports_submit",
    "UPDATE reports r SET status = 'submitted', submitted_at = now(), updated_at = now(),"
    " first_submitted_at = coalesce(r.first_submitted_at, now()),"
    " timeliness = CASE WHEN r.first_submitted_at IS NOT NULL AND r.timeliness IS NOT NULL THEN r.timeliness"
    "   WHEN report_due_on(r.unit_id, r.period_type, r.period_start) IS NULL"
    "   OR vn_today() <= report_due_on(r.unit_id, r.period_type, r.period_start) THEN 'on_time' ELSE 'late' END"
    " WHERE r.id = $1 RETURNING report_json(r)", 1);

/* $2: {"by", "signer_name", "signer_title", "document_no"} */
DB_STMT(STMT_APPROVE, "reports_approve",
    "UPDATE reports r SET status = 'approved', approved_at = now(), approved_by = $2::jsonb ->> 'by', updated_at = now(),"
    " signer_name = $2::jsonb ->> 'signer_name', signer_title = $2::jsonb ->> 'signer_title',"
    " document_no = $2::jsonb ->> 'document_no'"
    " WHERE r.id = $1 RETURNING report_json(r)", 2);

/* Approval takes the snapshot of what is signed (issue 10 §3; report_snapshot_take, migration
 * 0017) in its transaction: $1 unit, $2 period, $3 its type, $4/$5 its first/last day, $6 who. */
DB_STMT(STMT_SNAPSHOT, "reports_snapshot",
    "SELECT report_snapshot_take($1, $2, $3, $4::date, $5::date, least($5::date, vn_today()), $6, 'approved')", 6);

/* Waiving (issue 10 §2, in part): a report the level above excuses, expected but not missing;
 * a missing one is made first (STMT_ENSURE, in the same transaction). */
DB_STMT(STMT_WAIVE, "reports_waive",
    "UPDATE reports r SET status = 'waived', waive_reason = $2, updated_at = now() WHERE r.id = $1"
    " RETURNING report_json(r)", 2);

DB_STMT(STMT_ENSURE, "reports_ensure",
    "INSERT INTO reports (unit_id, period, period_type, period_start, period_end, status)"
    " SELECT u.id, $2, $4, $5::date, $6::date, 'draft' FROM units u WHERE u.id = $1 AND (in_scope(u.path, $3)"
    "   OR ($8::bool AND report_approver_is(u.id, $4, $5::date, $7::bigint)))"
    " ON CONFLICT (unit_id, period) DO NOTHING", 8);

DB_STMT(STMT_RETURN, "reports_return",
    "UPDATE reports r SET status = 'returned', returned_at = now(), return_reason = $2, approved_at = NULL,"
    " approved_by = NULL, accepted_at = NULL, accepted_by = NULL, updated_at = now()"
    " WHERE r.id = $1 RETURNING report_json(r)", 2);

/* Accepting (issue 10 §2): the next level up accepts an approved report (status accepted). $2: the
 * caller's unit (NULL: admin). Row: already accepted; the unit's parent reports to no one for
 * the period (approval is final at the top); the caller is not above the parent. */
DB_STMT(STMT_ACCEPT_CHECK, "reports_accept_check",
    "SELECT r.accepted_at IS NOT NULL,"
    " NOT EXISTS (SELECT 1 FROM report_expectation(x.parent_id, r.period_type, r.period_start) e WHERE NOT e.exempt),"
    " $2::bigint IS NOT NULL AND NOT EXISTS (SELECT 1 FROM units c JOIN units p ON p.id = x.parent_id"
    "   WHERE c.id = $2 AND c.path @> p.path AND c.id <> p.id)"
    " FROM reports r CROSS JOIN LATERAL (SELECT unit_parent_on(r.unit_id, period_tree_day(r.period_type, r.period_start))"
    "   AS parent_id) x WHERE r.id = $1", 2);

DB_STMT(STMT_ACCEPT, "reports_accept",
    "UPDATE reports r SET status = 'accepted', accepted_at = now(), accepted_by = $2, updated_at = now() WHERE r.id = $1"
    " RETURNING report_json(r)", 2);

/* Unlocking (issue 10 §2, in part): an approved report goes back to submitted with the reason;
 * the approved reports of the same period above it reopen with it (STMT_REOPEN, each audited). */
DB_STMT(STMT_UNLOCK, "reports_unlock",
    "UPDATE reports r SET status = 'submitted', approved_at = NULL, approved_by = NULL, accepted_at = NULL,"
    " accepted_by = NULL, unlocked_at = now(), unlock_reason = $2, updated_at = now() WHERE r.id = $1"
    " RETURNING report_json(r)", 2);

DB_STMT(STMT_REOPEN, "reports_reopen",
    "WITH c AS (SELECT r.id, report_json(r) AS before FROM reports r WHERE r.id IN (SELECT report_unlock_chain($1, $2))"
    "   FOR UPDATE),"
    " u AS (UPDATE reports r SET status = 'submitted', approved_at = NULL, approved_by = NULL, accepted_at = NULL,"
    "   accepted_by = NULL, unlocked_at = now(),"
    "   unlock_reason = $3, updated_at = now() FROM c WHERE r.id = c.id RETURNING r.*)"
    " SELECT u.id, c.before, report_json(u::reports) FROM u JOIN c ON c.id = u.id ORDER BY u.id", 3);

/* The obliged reports directly below a unit for a period that are not approved yet. */
DB_STMT(STMT_PENDING, "reports_pending",
    "SELECT string_agg(code || ' (' || status || ')', ', ') FROM reports_pending_below($1, $2, $3::date, $4::date, $5)"
    " HAVING count(*) > 0", 5);

/* $14 after (keyset pagination, issue 12: the page starts after this id, in id order).
 * $11 awaiting (approval, acceptance or NULL), $12 the caller's unit (NULL: all units), $13 the caller
 * is a manager: with awaiting=approval a manager of an approver office also lists the reports it
 * signs outside its own subtree (report_awaiting, migrations/0034_signoff.sql), those only; with
 * awaiting=acceptance a manager of the accepting level those it accepts on the period's tree (a
 * station moved away since, 0041), those only. */
DB_STMT(STMT_LIST, "reports_list",
    "WITH f AS (SELECT r.*, u.code AS unit_code FROM reports r JOIN units u ON u.id = r.unit_id"
    "   WHERE (in_scope(u.path, $1) OR ($11::text IN ('approval', 'acceptance') AND $13::bool))"
    "   AND ($11::text IS NULL OR report_awaiting($11, r.unit_id, r.status, r.period_type, r.period_start, $12::bigint))"
    "   AND ($2::bigint IS NULL OR r.unit_id = $2)"
    "   AND ($3::bigint IS NULL OR u.path <@ (SELECT x.path FROM units x WHERE x.id = $3))"
    "   AND ($4::text IS NULL OR r.period = $4) AND ($5::text IS NULL OR r.period_type = $5)"
    "   AND ($6::text IS NULL OR r.status = $6) AND ($10::timestamptz IS NULL OR r.updated_at >= $10)),"
    " p AS (SELECT f.id, row_number() OVER (ORDER BY"
    "   CASE WHEN $7 = 'period' THEN f.period_start END, CASE WHEN $7 = '-period' THEN f.period_start END DESC,"
    "   CASE WHEN $7 = 'unit_code' THEN f.unit_code END, CASE WHEN $7 = '-unit_code' THEN f.unit_code END DESC,"
    "   CASE WHEN $7 = 'submitted_at' THEN f.submitted_at END, CASE WHEN $7 = '-submitted_at' THEN f.submitted_at END DESC,"
    "   CASE WHEN $7 = 'id' THEN f.id END, CASE WHEN $7 = '-id' THEN f.id END DESC,"
    "   f.period_start DESC, f.unit_code, f.id) AS rn FROM f" API_AFTER_ID(14) " ORDER BY rn LIMIT $8 OFFSET $9)"
    " SELECT json_build_object('items', coalesce((SELECT json_agg(report_json(r) ORDER BY p.rn)"
    "   FROM p JOIN reports r ON r.id = p.id), '[]'),"
    " 'total', (SELECT count(*) FROM f), 'limit', $8::int, 'offset', $9::int)", 14);

/* Every direct child expected to report for the period (open during it and obliged by the
 * obligation that governs it, migrations/0016_obligations.sql), with its report's state. The
 * children are those of the period's tree (unit_children_on, migrations/0038_period_trees.sql).
 * $7: the caller is a manager. A manager of an approver office (SYT-KHTH, TTYT-SD-KHNV) asking
 * for a unit outside their subtree gets the children whose reports their office approves, those
 * only, as GET /reports?awaiting=approval lists them (report_awaiting, 0034); 404 when there are none. */
DB_STMT(STMT_STATUS, "reports_status",
    "WITH kids AS (SELECT u.id, u.code, u.name, e.due_on, e.obligation_id FROM units u"
    "   CROSS JOIN LATERAL report_expectation(u.id, $5, $3::date) e"
    "   WHERE u.id IN (SELECT k.id FROM unit_children_on($1, period_tree_day($5, $3::date)) k) AND NOT e.exempt"
    "   AND (u.opened_on IS NULL OR u.opened_on <= $4::date) AND (u.closed_on IS NULL OR u.closed_on >= $3::date)"
    "   AND (EXISTS (SELECT 1 FROM units p WHERE p.id = $1 AND in_scope(p.path, $6))"
    "        OR ($7::bool AND e.approver_unit_id = $6::bigint))),"
    " rows AS (SELECT k.id, k.code, k.name, r.status, k.due_on, k.obligation_id,"
    "   r.submitted_at, CASE WHEN r.status IN ('submitted', 'approved', 'accepted') THEN r.timeliness END AS timeliness"
    "   FROM kids k LEFT JOIN reports r ON r.unit_id = k.id AND r.period = $2),"
    " n AS (SELECT count(*) AS expected, count(*) FILTER (WHERE status IN ('submitted', 'approved', 'accepted')) AS received,"
    "   count(*) FILTER (WHERE timeliness = 'on_time') AS on_time, count(*) FILTER (WHERE timeliness = 'late') AS late,"
    "   count(*) FILTER (WHERE status = 'waived') AS waived FROM rows)"
    " SELECT json_build_object('unit_id', u.id, 'unit_code', u.code, 'period', $2::text, 'period_type', $5::text,"
    "   'summary', json_build_object('expected', n.expected, 'received', n.received, 'on_time', n.on_time,"
    "     'late', n.late, 'waived', n.waived, 'missing', n.expected - n.received - n.waived,"
    "     'received_rate', CASE WHEN n.expected > 0 THEN round(100.0 * n.received / n.expected, 1) ELSE 0.0 END,"
    "     'on_time_rate', CASE WHEN n.expected > 0 THEN round(100.0 * n.on_time / n.expected, 1) ELSE 0.0 END),"
    "   'items', coalesce((SELECT json_agg(json_build_object('unit_id', id, 'unit_code', code, 'unit_name', name,"
    "     'status', coalesce(status, 'missing'), 'obligation_id', obligation_id, 'due_on', due_on,"
    "     'submitted_at', rfc3339(submitted_at),"
    "     'timeliness', timeliness, 'overdue', coalesce(status NOT IN ('submitted', 'approved', 'accepted', 'waived'), true)"
    "       AND due_on IS NOT NULL AND due_on < vn_today()) ORDER BY code) FROM rows), '[]'))"
    " FROM units u, n WHERE u.id = $1 AND (in_scope(u.path, $6) OR ($7::bool AND n.expected > 0))", 7);

/* Reads :unit_id and :period from the path: the period's canonical text into pstr. Answers 404
 * and returns -1 when either is malformed. */
static int report_key(http_ctx *c, long long *unit_id, period *p, char pstr[12])
{
    long long id = http_path_id(c, "unit_id");
    if (id == 0) return -1;
    const char *ps = http_path_param(c, "period");
    if (ps == NULL || period_parse(ps, p) != 0) {
        respond_problem(c, 404, "There is no such report: the period must be like 2026-06, 202606, 2026Q2, 2026S1 or 2026.");
        return -1;
    }
    *unit_id = id;
    period_format(p, pstr, 12);
    return 0;
}

void report_fields_list(http_ctx *c)
{
    static const char *const cols[] = {"code", "section", "label_vi", "type", "sums_up", "sort_order", NULL};
    api_list_paged(c, &STMT_FIELDS_LIST, "listing report fields", cols);
}

void reports_get(http_ctx *c)
{
    long long unit_id = 0;
    char pstr[12];
    period p;
    if (report_key(c, &unit_id, &p, pstr) != 0 || api_db(c) == NULL) return;
    db_args v;
    /* a manager of the approver office reads the reports it signs (STMT_LOCK_SIGN) */
    db_args_of(&v, db_int(unit_id), db_text(pstr), api_scope(c), db_int(c->who.unit_id),
               db_bool(c->who.role == ROLE_MANAGER));
    api_answer_one(c, &STMT_GET, &v, "reading a report", "There is no such report.");
}

/* A report's values, as stored after a write, take at most this many bytes as compact JSON
 * (every field at its longest would be larger; no real form comes close). */
#define REPORT_VALUES_MAX (1024 * 1024)

/* The size in bytes of the values the report holds once values is merged into those of current
 * (a report_json text; NULL for a new report), nulls dropped; SIZE_MAX when it cannot be told. */
static size_t merged_values_size(const char *current, json_t *values)
{
    json_t *cur = current ? json_loads(current, 0, NULL) : NULL;
    json_t *merged = json_object(), *old = json_object_get(cur, "values"), *val;
    const char *key;
    size_t n = SIZE_MAX;
    if (merged != NULL && (current == NULL || json_is_object(old)) &&
        (old == NULL || json_object_update(merged, old) == 0)) {
        n = 0;
        json_object_foreach(values, key, val) {
            if (json_is_null(val)) json_object_del(merged, key);
            else if (json_object_set(merged, key, val) != 0) n = SIZE_MAX;
        }
        if (n == 0) n = json_dumpb(merged, NULL, 0, JSON_COMPACT);
        if (n == 0) n = SIZE_MAX;
    }
    json_decref(merged);
    json_decref(cur);
    return n;
}

/* Checks each value against its field's type. */
static void check_values(json_t *values, PGresult *fields, verrs *v)
{
    const char *key;
    json_t *val;
    json_object_foreach(values, key, val) {
        char name[96];
        snprintf(name, sizeof name, "values.%.*s", (int)utf8_prefix(key, 80), key);
        const char *type = NULL, *refusal = NULL;
        for (int i = 0; i < PQntuples(fields) && !type; i++)
            if (strcmp(PQgetvalue(fields, i, 0), key) == 0) {
                type = PQgetvalue(fields, i, 1);
                refusal = api_cell(fields, i, 2);
            }
        if (type == NULL) {
            verrs_add(v, name, "is not a field of the report form (see /api/v1/report-fields)");
        } else if (json_is_null(val)) {
            continue; /* clears the field */
        } else if (refusal) { /* a rate computed from the data (forms.c) */
            verrs_add(v, name, "%s", refusal);
        } else if (strcmp(type, "integer") == 0) {
            if (!json_is_integer(val) || json_integer_value(val) < 0 || json_integer_value(val) > 1000000000)
                verrs_add(v, name, "must be a whole number from 0 to 1000000000");
        } else if (strcmp(type, "percent") == 0) {
            if (!json_is_number(val) || json_number_value(val) < 0 || json_number_value(val) > 100)
                verrs_add(v, name, "must be a percentage from 0 to 100");
        } else if (strcmp(type, "text") == 0) {
            if (!json_is_string(val) || utf8_length(json_string_value(val)) > 5000 ||
                strlen(json_string_value(val)) != json_string_length(val))
                verrs_add(v, name, "must be a text of at most 5000 characters");
        } else { /* document_list */
            size_t i;
            json_t *doc;
            int ok = json_is_array(val) && json_array_size(val) <= 200;
            json_array_foreach(val, i, doc) {
                json_t *t = json_object_get(doc, "title"), *s = json_object_get(doc, "summary");
                if (!json_is_object(doc) || !json_is_string(t) || utf8_length(json_string_value(t)) < 1 ||
                    utf8_length(json_string_value(t)) > 500 || (s && !json_is_null(s) && (!json_is_string(s) ||
                    utf8_length(json_string_value(s)) > 2000)) || json_object_size(doc) > (size_t)(s ? 2 : 1))
                    ok = 0;
            }
            if (!ok) verrs_add(v, name, "must be a list (at most 200) of {\"title\": 1-500 characters, \"summary\": at most 2000}");
        }
    }
}

void reports_put(http_ctx *c)
{
    static const char *const fields[] = {"values", NULL};
    long long unit_id = 0;
    char pstr[12];
    period p;
    if (report_key(c, &unit_id, &p, pstr) != 0) return;
    json_t *body = http_json_body(c, 0);
    if (body == NULL) return;
    verrs v;
    verrs_init(&v);
    PGresult *fr = NULL, *cur = NULL, *r = NULL;
    json_refuse_unknown(body, fields, &v);
    json_t *values = json_object_get(body, "values");
    if (values == NULL) verrs_add(&v, "values", "is required");
    else if (!json_is_object(values)) verrs_add(&v, "values", "must be an object of field codes and values");
    char first[11], today[11];
    date_format(&p.first, first, sizeof first);
    api_today(today);
    if (strcmp(first, today) > 0) verrs_add(&v, "period", "has not started yet");
    if (verrs_count(&v) == 0 && api_db(c) != NULL) {
        db_args fv;
        db_args_of(&fv, db_text("true"));
        fr = api_run(c, &STMT_FIELDS, &fv, "reading the report fields");
        if (fr == NULL) goto out;
        check_values(values, fr, &v);
    }
    if (c->status || http_refuse_invalid(c, &v) || api_begin(c) != 0) goto out;
    if (api_refuse_unit_not_found(c, unit_id)) goto out;
    db_args lv;
    db_args_of(&lv, db_int(unit_id), db_text(pstr), api_scope(c), db_int(c->who.unit_id));
    cur = api_run(c, &STMT_LOCK, &lv, "reading the report");
    if (cur == NULL) goto out;
    int exists = PQntuples(cur) == 1;
    if (exists && http_if_match_fails(c, PQgetvalue(cur, 0, 0))) {
        db_rollback(api_conn(c));
        goto out;
    }
    if (exists && (strcmp(PQgetvalue(cur, 0, 1), "approved") == 0 || strcmp(PQgetvalue(cur, 0, 1), "accepted") == 0)) {
        db_rollback(api_conn(c));
        int approved = strcmp(PQgetvalue(cur, 0, 1), "approved") == 0;
        api_refuse_period_locked_parts(c, problem_part(approved ? "locked_this_approved" : "locked_this_accepted", NULL),
                                       PQgetvalue(cur, 0, 5),
                                       approved ? "This report is approved, so its period is locked"
                                                : "This report is accepted, so its period is locked",
                                       PQgetvalue(cur, 0, 4));
        goto out;
    }
    if (exists && strcmp(PQgetvalue(cur, 0, 1), "submitted") == 0) {
        db_rollback(api_conn(c));
        respond_problem(c, 409, "This report is submitted or approved; it can change only after it is returned.");
        goto out;
    }
    size_t size = merged_values_size(exists ? PQgetvalue(cur, 0, 0) : NULL, values);
    if (size > REPORT_VALUES_MAX) {
        db_rollback(api_conn(c));
        verrs_problem_n2(&v, "values", "values_too_large", "bytes", size == SIZE_MAX ? 0 : (long long)size, "max",
                         REPORT_VALUES_MAX);
        http_refuse_invalid(c, &v);
        goto out;
    }
    char *vtext = json_dumps(values, JSON_COMPACT);
    char end[11];
    date_format(&p.last, end, sizeof end);
    db_args iv;
    db_args_of(&iv, db_int(unit_id), db_text(pstr), db_text(period_type_name(p.type)),
                    db_text(first), db_text(end), db_text(vtext));
    r = api_run(c, &STMT_UPSERT, &iv, "saving the report");
    free(vtext);
    if (r == NULL) goto out;
    if (PQntuples(r) != 1) { /* submitted by someone else since we looked */
        db_rollback(api_conn(c));
        respond_problem(c, 409, "This report is submitted or approved; it can change only after it is returned.");
        goto out;
    }
    exists = strcmp(PQgetvalue(r, 0, 2), "t") != 0;
    const char *json = PQgetvalue(r, 0, 0);
    if (api_audit(c, exists ? "update" : "create", "report", PQgetvalue(r, 0, 1),
                  exists && PQntuples(cur) == 1 ? PQgetvalue(cur, 0, 0) : NULL,
                  json) != 0 ||
        api_commit(c) != 0)
        goto out;
    if (!exists) { /* the report's canonical path, whichever form of the period was sent */
        char loc[64];
        snprintf(loc, sizeof loc, "/api/v1/reports/%lld/%s", unit_id, pstr);
        http_set_header(c, "Location", loc);
    }
    respond_resource_text(c, exists ? 200 : 201, json, strlen(json));
out:
    PQclear(r);
    PQclear(cur);
    PQclear(fr);
    verrs_free(&v);
    json_decref(body);
}

/* Moves a report from one of the states in from[] with st (params: id, then extra except for
 * submit). Managers may
 * approve and return only reports of units below their own (parent_only). */
#define OTHER_REQUEST "This Idempotency-Key belongs to another request."

static void transition(http_ctx *c, db_stmt *st, const char *const *from, const char *action, int parent_only,
                       const char *extra)
{
    long long unit_id = 0;
    char pstr[12], hash[65] = "", endpoint[40], what[48];
    const char *key;
    period p;
    if (report_key(c, &unit_id, &p, pstr) != 0 || api_idem_key(c, &key) != 0) return;
    /* With an Idempotency-Key a retry replays the first answer (the key, per user and action,
     * belongs to this report and body), stored in the transaction that changes the report. */
    snprintf(endpoint, sizeof endpoint, "report %s", action);
    if (key) {
        snprintf(what, sizeof what, "%lld/%s", unit_id, pstr);
        api_idem_hash(c, what, hash);
        if (api_db(c) == NULL || api_idem_replay(c, endpoint, key, hash, OTHER_REQUEST)) return;
    }
    if (api_begin(c) != 0) return;
    if (key && api_idem_lock_and_replay(c, endpoint, key, hash, OTHER_REQUEST)) return;
    if (st == &STMT_WAIVE) { /* a missing report is waived too: made here, in this transaction */
        char first[11], last[11], today[11];
        date_format(&p.first, first, sizeof first);
        date_format(&p.last, last, sizeof last);
        api_today(today);
        if (strcmp(first, today) > 0) {
            db_rollback(api_conn(c));
            respond_problem(c, 409, "This period has not started yet.");
            return;
        }
        db_args ev;
        db_args_of(&ev, db_int(unit_id), db_text(pstr), api_scope(c), db_text(period_type_name(p.type)), db_text(first),
                        db_text(last), db_int(c->who.unit_id), db_bool(c->who.role == ROLE_MANAGER));
        PGresult *er = api_run(c, &STMT_ENSURE, &ev, "making the report");
        if (er == NULL) return;
        PQclear(er);
    }
    /* approve, return, waive, unlock: also a manager of the approver office the obligation names */
    /* accept: also a manager of the level that accepts it on the period's tree */
    int signs = st == &STMT_APPROVE || st == &STMT_RETURN || st == &STMT_WAIVE || st == &STMT_UNLOCK;
    db_args lv;
    db_args_of(&lv, db_int(unit_id), db_text(pstr), api_scope(c), db_int(c->who.unit_id));
    if (signs || st == &STMT_ACCEPT) db_arg(&lv, db_bool(c->who.role == ROLE_MANAGER));
    PGresult *cur = api_lock_one(c, signs ? &STMT_LOCK_SIGN : st == &STMT_ACCEPT ? &STMT_LOCK_ACCEPT : &STMT_LOCK, &lv,
                                 "There is no such report.", 1);
    if (cur == NULL) return;
    PGresult *r = NULL;
    if (parent_only && c->who.role != ROLE_ADMIN && strcmp(PQgetvalue(cur, 0, 3), "t") == 0) {
        db_rollback(api_conn(c));
        respond_problem(c, 403, "A unit does not approve, return, waive or unlock its own report: a manager of a unit"
                                " above it, or of the approver office its obligation names, does.");
        goto out;
    }
    int allowed = 0;
    for (int i = 0; from[i]; i++) allowed |= strcmp(from[i], PQgetvalue(cur, 0, 1)) == 0;
    if (!allowed) {
        char sw[40], aw[40];
        snprintf(sw, sizeof sw, "report_%s", PQgetvalue(cur, 0, 1));
        snprintf(aw, sizeof aw, "action_%s", action);
        json_t *pm = json_pack("{s:o, s:o}", "status", problem_part(sw, NULL), "action", problem_part(aw, NULL));
        db_rollback(api_conn(c));
        respond_problem_msg(c, 409, "report_cannot_be", pm, NULL);
        json_decref(pm);
        goto out;
    }
    if (st == &STMT_ACCEPT) {
        db_args av;
        db_args_of(&av, db_text(PQgetvalue(cur, 0, 2)), c->who.role == ROLE_ADMIN ? db_null() : db_int(c->who.unit_id));
        PGresult *ar = api_run(c, &STMT_ACCEPT_CHECK, &av, "checking who accepts");
        if (ar == NULL) goto out;
        const char *why = strcmp(PQgetvalue(ar, 0, 0), "t") == 0 ? "This report is accepted already."
            : strcmp(PQgetvalue(ar, 0, 1), "t") == 0 ? "Its unit's parent reports to no one for this period: approval is final."
            : strcmp(PQgetvalue(ar, 0, 2), "t") == 0 ? "" : NULL;
        PQclear(ar);
        if (why != NULL) {
            db_rollback(api_conn(c));
            if (why[0]) respond_problem(c, 409, why);
            else respond_problem(c, 403, "A report is accepted by a manager of a unit above the one that approved it.");
            goto out;
        }
    }
    if (st == &STMT_APPROVE) { /* every obliged report directly below approved first */
        char first[11], last[11];
        date_format(&p.first, first, sizeof first);
        date_format(&p.last, last, sizeof last);
        db_args pv;
        db_args_of(&pv, db_int(unit_id), db_text(period_type_name(p.type)), db_text(first), db_text(last), db_text(pstr));
        PGresult *pr = api_run(c, &STMT_PENDING, &pv, "checking the reports below");
        if (pr == NULL) goto out;
        if (PQntuples(pr) == 1) {
            char list[481];
            utf8_copy(list, sizeof list, PQgetvalue(pr, 0, 0));
            json_t *pm = json_pack("{s:s}", "list", list);
            PQclear(pr);
            db_rollback(api_conn(c));
            respond_problem_msg(c, 409, "reports_below_pending", pm, NULL);
            json_decref(pm);
            goto out;
        }
        PQclear(pr);
    }
    db_args uv;
    db_args_of(&uv, db_text(PQgetvalue(cur, 0, 2)));
    if (st != &STMT_SUBMIT) db_arg_text(&uv, extra); /* submit takes the id alone */
    r = api_run(c, st, &uv, "changing the report");
    if (r == NULL) goto out;
    if (st == &STMT_APPROVE) { /* the snapshot of what is signed (issue 10 §3), committed with it */
        char first[11], last[11];
        date_format(&p.first, first, sizeof first);
        date_format(&p.last, last, sizeof last);
        db_args sv;
        db_args_of(&sv, db_int(unit_id), db_text(pstr), db_text(period_type_name(p.type)), db_text(first),
                        db_text(last), db_text(c->who.username));
        PGresult *sr = api_run(c, &STMT_SNAPSHOT, &sv, "taking the snapshot");
        if (sr == NULL) goto out;
        PQclear(sr);
    }
    if (st == &STMT_UNLOCK || (st == &STMT_RETURN && (strcmp(PQgetvalue(cur, 0, 1), "approved") == 0 ||
                                                      strcmp(PQgetvalue(cur, 0, 1), "accepted") == 0))) {
        /* the approved reports above reopen, each audited: the levels above see why */
        char why[1100];
        snprintf(why, sizeof why, "Reopened: the report of unit %lld below was %s", unit_id, action);
        db_args ov;
        db_args_of(&ov, db_int(unit_id), db_text(pstr), db_text(why));
        PGresult *ro = api_run(c, &STMT_REOPEN, &ov, "reopening the reports above");
        if (ro == NULL) goto out;
        for (int i = 0; i < PQntuples(ro); i++)
            if (api_audit(c, "reopened", "report", PQgetvalue(ro, i, 0), PQgetvalue(ro, i, 1), PQgetvalue(ro, i, 2)) != 0) {
                PQclear(ro);
                goto out;
            }
        PQclear(ro);
    }
    const char *json = PQgetvalue(r, 0, 0);
    if (api_audit(c, action, "report", PQgetvalue(cur, 0, 2), PQgetvalue(cur, 0, 0), json) != 0 ||
        api_idem_commit(c, endpoint, key, hash, 200, json, strlen(json), OTHER_REQUEST) != 0)
        goto out;
    respond_resource_text(c, 200, json, strlen(json));
out:
    PQclear(r);
    PQclear(cur);
}

void reports_submit(http_ctx *c)
{
    static const char *const from[] = {"draft", "returned", NULL};
    if (api_refuse_body_fields(c, "Submitting takes no fields.")) return; /* an empty body, or {} */
    transition(c, &STMT_SUBMIT, from, "submitted", 0, NULL);
}

void reports_approve(http_ctx *c)
{
    static const char *const from[] = {"submitted", NULL};
    static const char *const fields[] = {"signer_name", "signer_title", "document_no", NULL};
    size_t len;
    http_body(c, &len);
    json_t *signer = json_pack("{s:s}", "by", c->who.username);
    if (len > 0) { /* no body, {}, or who signs: name, title, document number */
        json_t *b = http_json_body(c, 0);
        if (b == NULL) {
            json_decref(signer);
            return;
        }
        verrs v;
        verrs_init(&v);
        json_refuse_unknown(b, fields, &v);
        for (int i = 0; fields[i]; i++) {
            const char *val = NULL;
            if (jfield_string(b, fields[i], 1, i == 2 ? 100 : 200, &val, &v) == 1)
                json_object_set_new(signer, fields[i], json_string(val));
        }
        json_decref(b);
        int refused = http_refuse_invalid(c, &v);
        verrs_free(&v);
        if (refused) {
            json_decref(signer);
            return;
        }
    }
    char *text = json_dumps(signer, JSON_COMPACT);
    json_decref(signer);
    if (text == NULL) {
        respond_problem(c, 503, "Out of memory; try again.");
        return;
    }
    transition(c, &STMT_APPROVE, from, "approved", 1, text);
    free(text);
}

/* A transition that takes {"reason"} (return, unlock). */
static void transition_with_reason(http_ctx *c, db_stmt *st, const char *const *from, const char *action,
                                   const char *missing)
{
    static const char *const fields[] = {"reason", NULL};
    json_t *body = http_json_body(c, 0);
    if (body == NULL) return;
    verrs v;
    verrs_init(&v);
    const char *reason = NULL;
    json_refuse_unknown(body, fields, &v);
    if (jfield_string(body, "reason", 1, 1000, &reason, &v) == 0) verrs_add(&v, "reason", "%s", missing);
    if (!http_refuse_invalid(c, &v)) transition(c, st, from, action, 1, reason);
    verrs_free(&v);
    json_decref(body);
}

void reports_return(http_ctx *c)
{
    static const char *const from[] = {"submitted", "approved", "accepted", NULL};
    transition_with_reason(c, &STMT_RETURN, from, "returned", "is required");
}

void reports_unlock(http_ctx *c)
{
    static const char *const from[] = {"approved", "accepted", NULL};
    transition_with_reason(c, &STMT_UNLOCK, from, "unlocked", "is required: why it is unlocked");
}

void reports_accept(http_ctx *c)
{
    static const char *const from[] = {"approved", "accepted", NULL}; /* accepted: 409 "already" below */
    if (api_refuse_body_fields(c, "Accepting takes no fields.")) return; /* an empty body, or {} */
    transition(c, &STMT_ACCEPT, from, "accepted", 1, c->who.username);
}

void reports_waive(http_ctx *c)
{
    static const char *const from[] = {"draft", "returned", NULL};
    transition_with_reason(c, &STMT_WAIVE, from, "waived", "is required: why the report is excused");
}

void reports_list(http_ctx *c)
{
    static const char *const sorts[] = {"period", "unit_code", "submitted_at", "id", NULL};
    static const char *const statuses[] = {"draft", "submitted", "approved", "accepted", "returned", "waived", NULL};
    static const char *const types[] = {"month", "quarter", "half_year", "year", NULL};
    verrs v;
    verrs_init(&v);
    api_list_query lq;
    long long unit = 0, under = 0;
    char pstr[12];
    int hu = http_query_id(c, "unit_id", &unit, &v) == 1, hn = http_query_id(c, "under", &under, &v) == 1;
    const char *ps = http_query(c, "period"), *pt = http_query(c, "period_type"), *st = http_query(c, "status");
    period p;
    if (ps && period_parse(ps, &p) != 0) verrs_add(&v, "period", "must be like 2026-06, 202606, 2026Q2, 2026S1 or 2026");
    else if (ps) period_format(&p, pstr, sizeof pstr);
    int ok = pt == NULL;
    for (int i = 0; types[i] && !ok; i++) ok = strcmp(types[i], pt) == 0;
    if (!ok) verrs_add(&v, "period_type", "must be month, quarter, half_year or year");
    ok = st == NULL;
    for (int i = 0; statuses[i] && !ok; i++) ok = strcmp(statuses[i], st) == 0;
    if (!ok) verrs_add(&v, "status", "must be draft, submitted, approved, accepted, returned or waived");
    const char *aw = http_query(c, "awaiting");
    if (aw && strcmp(aw, "approval") != 0 && strcmp(aw, "acceptance") != 0)
        verrs_add(&v, "awaiting", "must be approval or acceptance");
    if (api_refuse_list_query(c, &v, sorts, "period", &lq)) return;
    db_args pv;
    db_args_of(&pv, api_scope(c), db_int_if(hu, unit), db_int_if(hn, under),
                    db_text(ps ? pstr : NULL), db_text(pt), db_text(st), db_text(lq.sort), db_int(lq.limit),
                    db_int(lq.offset), db_text(lq.since));
    db_arg(&pv, db_text(aw));
    db_arg(&pv, api_scope(c));
    db_arg(&pv, db_bool(c->who.role == ROLE_MANAGER));
    db_arg(&pv, api_list_after(&lq));
    api_list(c, &STMT_LIST, &pv, "listing reports", REPORT_COLUMNS);
}

/* Reads the required unit_id and period of the status and form queries. */
static int unit_period_query(http_ctx *c, long long *unit_id, period *p, char pstr[12])
{
    verrs v;
    verrs_init(&v);
    long long id = 0;
    api_query_unit_period(c, &v, &id, p);
    if (api_refuse_bad_query(c, &v)) return -1;
    *unit_id = id;
    period_format(p, pstr, 12);
    return 0;
}

void reporting_status(http_ctx *c)
{
    long long unit_id = 0;
    char pstr[12], first[11], last[11];
    period p;
    if (unit_period_query(c, &unit_id, &p, pstr) != 0 || api_db(c) == NULL) return;
    date_format(&p.first, first, sizeof first);
    date_format(&p.last, last, sizeof last);
    db_args v;
    db_args_of(&v, db_int(unit_id), db_text(pstr), db_text(first), db_text(last),
                   db_text(period_type_name(p.type)), api_scope(c), db_bool(c->who.role == ROLE_MANAGER));
    PGresult *r = api_run(c, &STMT_STATUS, &v, "reading the reporting status");
    if (r == NULL) return;
    if (PQntuples(r) != 1) respond_problem(c, 404, "There is no such unit.");
    else respond_json_text(c, 200, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
    PQclear(r);
}
