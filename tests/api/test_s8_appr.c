/* Who approves is named by the obligation (issue 10 §2): managers of the approver office
 * (approver_unit_id: the parent, or a designated office of the parent) approve, return, waive and
 * unlock the reports the obligation names, and have no other right on the senders' data; a unit
 * never signs its own report. Scenarios: the demo data's offices (TTYT-SD-KHNV compiles the
 * reports of TTYT Sơn Động's stations, SYT-KHTH those of SYT-BN's children) and a tree of the
 * test's own (a Department, its compiling office, another office and a hospital). */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void submitted(long long unit, const char *period)
{
    resp *r = http_send_json("PUT", report_path(unit, period), T_ADMIN, "{\"values\":{\"s1_documents_count\":2}}");
    ck_assert_msg(r->status == 200 || r->status == 201, "draft: %ld %s", r->status, r->body);
    resp_free(r);
    r = http_do("POST", fmt("%s/submit", report_path(unit, period)), &(req_opts){.token = T_ADMIN});
    ASSERT_STATUS(r, 200);
    resp_free(r);
}

/* POST path/action as token with body (NULL: none); checks the status, returns the answer. */
static resp *act(const char *token, long long unit, const char *period, const char *action, const char *body, int status)
{
    const char *path = fmt("%s/%s", report_path(unit, period), action);
    resp *r = body ? http_send_json("POST", path, token, body) : http_do("POST", path, &(req_opts){.token = token});
    ASSERT_STATUS(r, status);
    return r;
}

/* How many audit rows on the unit's reports meet the condition (SQL over a, the audit row). */
static long long audited(long long unit, const char *cond)
{
    return db_count(fmt("SELECT count(*) FROM audit_log a JOIN reports r ON r.id::text = a.entity_id"
                        " WHERE a.entity = 'report' AND r.unit_id = $1::bigint AND %s", cond),
                    idstr(unit));
}

/* A fresh top unit (a Department) with this code prefix; its code into top. */
static long long top_unit(const char *prefix, char top[40])
{
    snprintf(top, 40, "%s%s", prefix, uniq());
    return unit_made(top, "department_of_health", NULL);
}

/* How many audit rows of this action on the unit's reports were written by users like pattern. */
static long long audits(const char *action, long long unit, const char *pattern)
{
    return db_count2(fmt("SELECT count(*) FROM audit_log a JOIN reports r ON r.id::text = a.entity_id"
                         " WHERE a.entity = 'report' AND a.action = $1 AND r.unit_id = $2::bigint"
                         " AND a.username LIKE '%s'", pattern),
                     action, idstr(unit));
}

/* The manager of the office sees none of the unit's staff (the admin sees one), nor the member. */
static void no_staff_seen(const char *token, long long unit, long long member)
{
    resp *r = http_get(fmt("/api/v1/staff?unit_id=%lld", unit), token);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 0);
    resp_free(r);
    r = http_get(fmt("/api/v1/staff?unit_id=%lld", unit), T_ADMIN);
    ck_assert_int_eq(jint(r, "total"), 1);
    resp_free(r);
    r = http_get(fmt("/api/v1/staff/%lld", member), token);
    ASSERT_STATUS(r, 404);
    resp_free(r);
}

/* The demo data: TTYT-SD-KHNV compiles the reports of TTYT Sơn Động's stations. */
START_TEST(demo_khnv_office_signs_the_stations_reports_only)
{
    char p1[16], s1[48], s2[48];
    last_month(p1, sizeof p1);
    const char *u = uniq();
    snprintf(s1, sizeof s1, "APS%s-1", u);
    snprintf(s2, sizeof s2, "APS%s-2", u);
    long long st1 = unit_made(s1, "commune_station", "TTYT-SD"), st2 = unit_made(s2, "commune_station", "TTYT-SD");
    char *mgr = user_token_at("ap", "manager", "TTYT-SD-KHNV"), *rep = user_token_at("ap", "reporter", "TTYT-SD-KHNV");
    submitted(st1, p1);

    /* The office's manager reads the report it signs, not the station's other data. */
    resp *r = http_get(report_path(st1, p1), mgr);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "status"), "submitted");
    resp_free(r);
    no_staff_seen(mgr, st1, staff_made(fmt("APST%s", uniq()), "Trần Thị Mai", s1, "nurse", "2020-01-01", NULL));
    r = http_get(fmt("/api/v1/units/%lld", st1), mgr);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_get(fmt("/api/v1/reports?unit_id=%lld", st1), mgr);
    ck_assert_msg(r->status != 200 || jint(r, "total") == 0, "the office lists the station's reports: %s", r->body);
    resp_free(r);

    /* A reporter of the office signs nothing. */
    resp_free(act(rep, st1, p1, "approve", NULL, 403));
    resp_free(act(rep, st1, p1, "return", "{\"reason\":\"thiếu số liệu\"}", 403));
    ck_assert_int_eq(db_count("SELECT count(*) FROM reports WHERE unit_id = $1::bigint AND status = 'submitted'",
                              idstr(st1)), 1);

    /* The manager returns it with a reason, the station submits again, the manager approves. */
    r = act(mgr, st1, p1, "return", "{\"reason\":\"Thiếu số liệu mục 2\"}", 200);
    ck_assert_str_eq(jstr(r, "status"), "returned");
    ck_assert_str_eq(jstr(r, "return_reason"), "Thiếu số liệu mục 2");
    resp_free(r);
    submitted(st1, p1);
    r = act(mgr, st1, p1, "approve", "{\"signer_name\":\"Lê Văn Phê Duyệt\",\"signer_title\":\"Trưởng phòng KHNV\"}", 200);
    ck_assert_str_eq(jstr(r, "status"), "approved");
    ck_assert_ptr_nonnull(strstr(jstr(r, "approved_by"), "ap.manager."));
    resp_free(r);
    ck_assert_int_eq(audits("returned", st1, "ap.manager.%"), 1);
    ck_assert_int_eq(audits("approved", st1, "ap.manager.%"), 1);
    /* Unlocking is the approving level's too (with a reason); accepting is the level above's. */
    resp_free(act(mgr, st1, p1, "unlock", "{}", 422));
    r = act(mgr, st1, p1, "unlock", "{\"reason\":\"Sửa số liệu tháng\"}", 200);
    ck_assert_str_eq(jstr(r, "status"), "submitted");
    resp_free(r);
    ck_assert_int_eq(audits("unlocked", st1, "ap.manager.%"), 1);
    resp_free(act(mgr, st1, p1, "approve", NULL, 200));
    resp_free(act(mgr, st1, p1, "accept", NULL, 404));

    /* The second station cannot report: the office excuses it (a missing report is made). */
    resp_free(act(rep, st2, p1, "waive", "{\"reason\":\"Trạm sửa chữa\"}", 403));
    ck_assert_int_eq(db_count("SELECT count(*) FROM reports WHERE unit_id = $1::bigint", idstr(st2)), 0);
    r = act(mgr, st2, p1, "waive", "{\"reason\":\"Trạm sửa chữa\"}", 200);
    ck_assert_str_eq(jstr(r, "status"), "waived");
    resp_free(r);
    ck_assert_int_eq(audits("waived", st2, "ap.manager.%"), 1);

    /* Not a report the office signs: TTYT Sơn Động's own (SYT-KHTH signs it) is not found. */
    resp_free(act(mgr, unit_id("TTYT-SD"), p1, "approve", NULL, 404));
    /* An office's own report (a fresh office of the health centre, obliged like KHNV): in its
     * manager's scope, but no unit signs its own; the health centre's manager signs it. */
    char own[48];
    snprintf(own, sizeof own, "APS%s-KH", u);
    long long office = unit_made(own, "office", "TTYT-SD");
    char *own_mgr = user_token_at("ap", "manager", own);
    submitted(office, p1);
    r = act(own_mgr, office, p1, "approve", NULL, 403);
    ck_assert_ptr_nonnull(strstr(jstr(r, "detail"), "its own report"));
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM reports WHERE unit_id = $1::bigint AND status = 'submitted'",
                              idstr(office)), 1);
    resp_free(act(T_SD_MANAGER, office, p1, "approve", NULL, 200));
    free(own_mgr);
    free(mgr);
    free(rep);
}
END_TEST

/* The demo data: SYT-KHTH compiles the reports of SYT-BN's children. */
START_TEST(demo_khth_office_approves_the_departments_children)
{
    char p1[16], h[40];
    last_month(p1, sizeof p1);
    snprintf(h, sizeof h, "APH%s", uniq());
    long long hos = unit_made(h, "hospital", "SYT-BN");
    char *mgr = user_token_at("ap", "manager", "SYT-KHTH"), *other = user_token_at("ap", "manager", "SYT-TCCB");
    submitted(hos, p1);
    resp_free(act(other, hos, p1, "approve", NULL, 404)); /* another office of the Department */
    resp *r = act(mgr, hos, p1, "approve", "{\"document_no\":\"12/SYT-KHTH\"}", 200);
    ck_assert_str_eq(jstr(r, "status"), "approved");
    ck_assert_str_eq(jstr(r, "document_no"), "12/SYT-KHTH");
    resp_free(r);
    no_staff_seen(mgr, hos, staff_made(fmt("APST%s", uniq()), "Trần Thị Mai", h, "nurse", "2020-01-01", NULL));
    r = http_get(report_path(hos, p1), other);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    free(mgr);
    free(other);
}
END_TEST

/* A tree of the test's own: the obligation names the Department's office as approver. */
START_TEST(obligation_names_the_approver_office)
{
    char p1[16], top[40];
    last_month(p1, sizeof p1);
    long long t = top_unit("APT", top);
    long long o = unit_made(fmt("%s-Q", top), "office", top);
    unit_made(fmt("%s-X", top), "office", top);
    long long k = unit_made(fmt("%s-K", top), "hospital", top);
    oblige(t, "\"target\":\"unit_type\",\"unit_type\":\"office\",\"exempt\":true");
    oblige(t, fmt("\"target\":\"all_children\",\"calendar\":{\"month\":{\"due_day\":15}},"
                  "\"approver_unit_code\":\"%s-Q\"", top));
    resp *r;
    char *q = user_token_at("ap", "manager", fmt("%s-Q", top)), *x = user_token_at("ap", "manager", fmt("%s-X", top));
    char *qr = user_token_at("ap", "reporter", fmt("%s-Q", top));
    submitted(k, p1);
    resp_free(act(x, k, p1, "approve", NULL, 404));
    resp_free(act(qr, k, p1, "approve", NULL, 403));
    r = act(q, k, p1, "approve", NULL, 200);
    ck_assert_str_eq(jstr(r, "status"), "approved");
    resp_free(r);
    /* The office's own report is not expected (exempt) and names no approver. */
    r = http_send_json("PUT", report_path(o, p1), T_ADMIN, "{\"values\":{\"s1_documents_count\":1}}");
    ck_assert_int_le(r->status, 201);
    resp_free(r);
    resp_free(act(x, o, p1, "waive", "{\"reason\":\"x\"}", 404));
    /* Approval is final at the top: nobody accepts. */
    resp_free(act(T_ADMIN, k, p1, "accept", NULL, 409));
    (void)t;
    free(q);
    free(x);
    free(qr);
}
END_TEST

/* "accepted" is a state of its own: approve, accept (status accepted, audited), the period stays
 * locked, the report counts as received and as approved below its parent, returning and unlocking
 * take it back; every transition audited. */
START_TEST(accepted_is_a_state_of_its_own)
{
    char p1[16], top[40];
    last_month(p1, sizeof p1);
    long long t = top_unit("APA", top);
    long long hc = unit_made(fmt("%s-H", top), "other", top);
    long long st = unit_made(fmt("%s-H-S", top), "commune_station", fmt("%s-H", top));
    oblige(t, NULL);
    oblige(hc, NULL);
    submitted(st, p1);
    submitted(hc, p1);
    resp_free(act(T_ADMIN, st, p1, "accept", NULL, 409)); /* submitted: approve first */
    resp_free(act(T_ADMIN, st, p1, "approve", NULL, 200));
    resp *r = act(T_ADMIN, st, p1, "accept", NULL, 200);
    ck_assert_str_eq(jstr(r, "status"), "accepted");
    ck_assert_str_eq(jstr(r, "accepted_by"), "admin");
    ck_assert_ptr_nonnull(jstr(r, "approved_at"));
    resp_free(r);
    r = act(T_ADMIN, st, p1, "accept", NULL, 409);
    ck_assert_str_eq(jstr(r, "detail"), "This report is accepted already.");
    resp_free(r);
    resp_free(act(T_ADMIN, st, p1, "approve", NULL, 409));
    /* The snapshot taken at approval stays in force once accepted (0026): revisions answer. */
    r = http_get(fmt("%s/revisions", report_path(st, p1)), T_ADMIN);
    ck_assert_msg(r->status == 200, "revisions of an accepted report: %ld %s", r->status, r->body);
    resp_free(r);
    /* Locked as an approved report is. */
    r = http_send_json("PUT", report_path(st, p1), T_ADMIN, "{\"values\":{\"s2_conferences\":2}}");
    ASSERT_STATUS(r, 409);
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:period-locked");
    resp_free(r);
    r = http_send_json("POST", "/api/v1/patients-served", T_ADMIN,
                       fmt("{\"unit_id\":%lld,\"month\":\"%s\",\"count\":9}", st, p1));
    ASSERT_STATUS(r, 409);
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:period-locked");
    resp_free(r);
    /* Received in the parent's status, the rates and the rollup; listed by its state. */
    r = http_get(fmt("/api/v1/reporting-status?unit_id=%lld&period=%s", hc, p1), T_ADMIN);
    ASSERT_STATUS(r, 200);
    json_t *sm = json_object_get(r->json, "summary");
    ck_assert_int_eq(json_integer_value(json_object_get(sm, "received")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(sm, "missing")), 0);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r->json, "items"), 0), "status")),
                     "accepted");
    resp_free(r);
    r = http_get(fmt("/api/v1/reporting-rates?unit_id=%lld&from=%s&to=%s", hc, p1, p1), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(r->json, "items"), 0), "received")), 1);
    resp_free(r);
    r = rollup_at(T_ADMIN, hc, p1, 1, NULL);
    ck_assert_int_eq(jint(r, "reports_received"), 1);
    resp_free(r);
    r = http_get(fmt("/api/v1/reports?unit_id=%lld&status=accepted", st), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 1);
    resp_free(r);
    /* Approved below its parent: the health centre's report can be approved. */
    resp_free(act(T_ADMIN, hc, p1, "approve", NULL, 200));
    /* Unlocking the accepted report: back to submitted, the parent's approval reopens. */
    r = act(T_ADMIN, st, p1, "unlock", "{\"reason\":\"Số liệu muộn\"}", 200);
    ck_assert_str_eq(jstr(r, "status"), "submitted");
    ck_assert_ptr_null(jstr(r, "accepted_at"));
    resp_free(r);
    /* ... and leaving "accepted" supersedes its snapshot, as leaving "approved" does. */
    ck_assert_int_eq(db_count("SELECT count(*) FROM report_snapshot_supersessions x JOIN report_snapshots s"
                              " ON s.id = x.snapshot_id WHERE s.unit_id = $1::bigint AND x.action = 'unlocked'",
                              idstr(st)),
                     1);
    r = http_get(report_path(hc, p1), T_ADMIN);
    ck_assert_str_eq(jstr(r, "status"), "submitted");
    resp_free(r);
    /* Accepted again, then returned: returned, the acceptance cleared. */
    resp_free(act(T_ADMIN, st, p1, "approve", NULL, 200));
    resp_free(act(T_ADMIN, st, p1, "accept", NULL, 200));
    r = act(T_ADMIN, st, p1, "return", "{\"reason\":\"Thiếu mục 4\"}", 200);
    ck_assert_str_eq(jstr(r, "status"), "returned");
    ck_assert_ptr_null(jstr(r, "accepted_at"));
    resp_free(r);
    /* Every transition audited, with the state before and after. */
    ck_assert_int_eq(audited(st, "a.action = 'accepted' AND a.before->>'status' = 'approved'"
                                 " AND a.after->>'status' = 'accepted'"), 2);
    ck_assert_int_eq(audited(st, "a.action IN ('unlocked', 'returned') AND a.before->>'status' = 'accepted'"), 2);
    ck_assert_int_eq(audited(st, "a.action = 'approved' AND a.after->>'status' = 'approved'"), 2);
}
END_TEST

/* ---- a staff import moves people by transfer (issue 11 §1) ---- */

/* CT5's denominator (staff counted) of unit u in the depth-1 rollup of root for period. */
static long long staff_counted(long long root, long long u, const char *period)
{
    resp *r = rollup_at(T_ADMIN, root, period, 1, NULL);
    long long n = figure(r, u, 4).den;
    resp_free(r);
    return n;
}

static long long kept_made(long long root, const char *period)
{
    return db_count2("SELECT coalesce((SELECT (extract(epoch FROM made_at) * 1000000)::bigint FROM rollup_results"
                     " WHERE root = $1::bigint AND period = $2 AND depth = 1), 0)",
                     idstr(root), period);
}

/* The error of row, field in a 422 load answer: its message (NULL: none). */
static const char *load_error(const resp *r, int row, const char *field)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r->json, "errors"), i, e) {
        if (json_integer_value(json_object_get(e, "row")) == row &&
            strcmp(json_string_value(json_object_get(e, "field")), field) == 0)
            return json_string_value(json_object_get(e, "message"));
    }
    return NULL;
}

START_TEST(a_staff_import_moves_people_by_transfer)
{
    char hc[40], ac[48], bc[48], p1[56], p2[56], p3[56];
    snprintf(hc, sizeof hc, "API%s", uniq());
    snprintf(ac, sizeof ac, "%s-A", hc);
    snprintf(bc, sizeof bc, "%s-B", hc);
    long long h = unit_made(hc, "health_centre", "SYT-BN"), a = unit_made(ac, "commune_station", hc),
              b = unit_made(bc, "commune_station", hc);
    snprintf(p1, sizeof p1, "%s-P1", hc);
    snprintf(p2, sizeof p2, "%s-P2", hc);
    snprintf(p3, sizeof p3, "%s-P3", hc);
    long long s1 = staff_made(p1, "Đặng Văn Chuyển", ac, "nurse", "2025-01-01", NULL),
              s2 = staff_made(p2, "Đặng Văn Chuyển", ac, "nurse", "2025-01-01", NULL);
    staff_made(p3, "Đặng Văn Chuyển", bc, "nurse", "2025-01-01", NULL);
    /* Kept before the load: March 2026 (A 2, B 1); July the same. */
    ck_assert_int_eq(staff_counted(h, a, "2026-03"), 2);
    ck_assert_int_eq(staff_counted(h, b, "2026-03"), 1);
    ck_assert_int_eq(staff_counted(h, b, "2026-07"), 1);
    long long m03 = kept_made(h, "2026-03");
    ck_assert(m03 > 0);
    const char *head = "code,full_name,unit_code,job_group,employment,joined_on,effective_on\n";

    /* Bad effective_on rows: before joining, beyond the horizon, and (after P1's transfer below)
     * overlapping it; a 422 listing them, nothing written. */
    resp *r = post_csv("/api/v1/staff/import", T_ADMIN,
                       fmt("%s%s,Đặng Văn Chuyển,%s,nurse,public_employee,2025-01-01,2024-12-31\n"
                           "%s,Đặng Văn Đổi,%s,nurse,public_employee,2025-01-01,\n"
                           "%s,Đặng Văn Chuyển,%s,nurse,public_employee,2025-01-01,2099-01-01\n",
                           head, p1, bc, p2, ac, p3, ac));
    ASSERT_STATUS(r, 422);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "errors")), 2);
    ck_assert_str_eq(load_error(r, 2, "effective_on"),
                     "the transfer effective 2024-12-31 is before the staff member joined (2025-01-01)");
    ck_assert_ptr_nonnull(strstr(load_error(r, 4, "effective_on"), "the transfer effective 2099-01-01 is more than"));
    ck_assert_ptr_nonnull(strstr(load_error(r, 4, "effective_on"), "BDHVS_TRANSFER_HORIZON_DAYS"));
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff_assignments WHERE staff_id = $1::bigint", idstr(s1)), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE id = $1::bigint AND full_name = 'Đặng Văn Chuyển'",
                              idstr(s2)), 1);

    /* P1 moves to B from 1 June 2026 (a transfer, not a correction); P2 stays as stored. */
    r = post_csv("/api/v1/staff/import", T_ADMIN,
                 fmt("%s%s,Đặng Văn Chuyển,%s,nurse,public_employee,2025-01-01,2026-06-01\n"
                     "%s,Đặng Văn Chuyển,%s,nurse,public_employee,2025-01-01,2026-06-01\n",
                     head, p1, bc, p2, ac));
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "updated"), 1);
    ck_assert_int_eq(jint(r, "unchanged"), 1);
    resp_free(r);
    /* The past keeps its figures (the kept March rollup served as kept), the future follows. */
    ck_assert_int_eq(staff_counted(h, a, "2026-03"), 2);
    ck_assert_int_eq(staff_counted(h, b, "2026-03"), 1);
    ck_assert_int_eq(kept_made(h, "2026-03"), m03);
    ck_assert_int_eq(staff_counted(h, a, "2026-07"), 1);
    ck_assert_int_eq(staff_counted(h, b, "2026-07"), 2);
    r = http_get(fmt("/api/v1/staff/%lld/history", s1), T_ADMIN);
    ASSERT_STATUS(r, 200);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 1), "from")), "2026-06-01");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 1), "kind")), "transfer");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 1), "unit_code")), bc);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 0), "to")), "2026-05-31");
    resp_free(r);
    /* The load's audit entry keeps the transfer. */
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE action = 'import' AND entity = 'staff'"
                              " AND after->'transfers'->0->>'unit_code' = $1", bc), 1);

    /* Back to A before that transfer: overlaps it; nothing written. */
    r = post_csv("/api/v1/staff/import", T_ADMIN,
                 fmt("%s%s,Đặng Văn Chuyển,%s,nurse,public_employee,2025-01-01,2026-05-01\n", head, p1, ac));
    ASSERT_STATUS(r, 422);
    ck_assert_str_eq(load_error(r, 2, "effective_on"),
                     fmt("the transfer effective 2026-05-01 overlaps the transfer to %s effective 2026-06-01: transfers "
                         "are recorded in date order, so a new one must be dated after 2026-06-01", bc));
    resp_free(r);
    /* Without the column: effective today. */
    char today[11];
    server_today(today);
    r = post_csv("/api/v1/staff/import", T_ADMIN,
                 fmt("code,full_name,unit_code,job_group,employment,joined_on\n"
                     "%s,Đặng Văn Đổi,%s,nurse,public_employee,2025-01-01\n",
                     p2, bc));
    ASSERT_STATUS(r, 200);
    resp_free(r);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM staff_assignments WHERE staff_id = $1::bigint"
                               " AND lower(during) = $2::date AND kind = 'transfer'", idstr(s2), today), 1);
    ck_assert_int_eq(staff_counted(h, a, "2026-03"), 2);
}
END_TEST

/* Across subtrees (outside the subtree of the current unit's parent): a manager's load moves
 * the person, a reporter's is refused on the row, as the single transfer answers 403. */
START_TEST(a_reporters_staff_import_does_not_transfer_across_subtrees)
{
    char x1[40], x2[40], xa[48], xb[48], pc[56];
    const char *u = uniq();
    snprintf(x1, sizeof x1, "APX%s-1", u);
    snprintf(x2, sizeof x2, "APX%s-2", u);
    snprintf(xa, sizeof xa, "%s-A", x1);
    snprintf(xb, sizeof xb, "%s-B", x2);
    unit_made(x1, "other", "TTYT-SD");
    unit_made(x2, "other", "TTYT-SD");
    unit_made(xa, "commune_station", x1);
    unit_made(xb, "commune_station", x2);
    snprintf(pc, sizeof pc, "%s-P", x1);
    long long p = staff_made(pc, "Đặng Văn Chuyển", xa, "nurse", "2025-01-01", NULL);
    const char *csv = fmt("code,full_name,unit_code,job_group,employment,joined_on\n"
                          "%s,Đặng Văn Chuyển,%s,nurse,public_employee,2025-01-01\n", pc, xb);
    char body[400];
    snprintf(body, sizeof body, "%s", csv);
    resp *r = post_csv("/api/v1/staff/import", T_SD_REPORTER, body);
    ASSERT_STATUS(r, 422);
    ck_assert_ptr_nonnull(strstr(load_error(r, 2, "unit_code"), "a transfer across subtrees"));
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff_assignments WHERE staff_id = $1::bigint", idstr(p)), 1);
    r = post_csv("/api/v1/staff/import", T_SD_MANAGER, body);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "updated"), 1);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff_assignments WHERE staff_id = $1::bigint AND kind = 'transfer'",
                              idstr(p)), 1);
}
END_TEST

Suite *s8_appr_suite(void)
{
    Suite *s = suite_create("s8_appr");
    TCase *t = tcase_create("approver_office");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, demo_khnv_office_signs_the_stations_reports_only);
    tcase_add_test(t, demo_khth_office_approves_the_departments_children);
    tcase_add_test(t, obligation_names_the_approver_office);
    tcase_add_test(t, accepted_is_a_state_of_its_own);
    tcase_add_test(t, a_staff_import_moves_people_by_transfer);
    tcase_add_test(t, a_reporters_staff_import_does_not_transfer_across_subtrees);
    suite_add_tcase(s, t);
    return s;
}
