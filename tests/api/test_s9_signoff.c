/* The rest of issue 10's sign-off: what waits for a level (GET /reports?awaiting=approval|acceptance,
 * an approver office's managers included, and nothing else of the senders'), the period-locked 409
 * naming who can unlock and what makes the write possible, the rollup on a basis kept like the
 * current one and renewed exactly by approving, unlocking and returning, and reports approved
 * before snapshots existed (migration 0034's backfill). Each test builds its own tree: a Department
 * R, a health centre T below it, T's planning office Q (the approver T's obligation names) and two
 * stations K1 and K2 of T; R approves T's report. */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char r[40], t[48], q[48], k1[48], k2[48], p1[16];
    long long rid, tid, qid, k1id, k2id;
    char *r_mgr, *q_mgr, *q_rep;
} tree;

static void tree_make(tree *t)
{
    last_month(t->p1, sizeof t->p1);
    snprintf(t->r, sizeof t->r, "SOR%s", uniq());
    snprintf(t->t, sizeof t->t, "%s-T", t->r);
    snprintf(t->q, sizeof t->q, "%s-TQ", t->r);
    snprintf(t->k1, sizeof t->k1, "%s-K1", t->r);
    snprintf(t->k2, sizeof t->k2, "%s-K2", t->r);
    t->rid = unit_made(t->r, "department_of_health", NULL);
    t->tid = unit_made(t->t, "health_centre", t->r);
    t->qid = unit_made(t->q, "office", t->t);
    t->k1id = unit_made(t->k1, "commune_station", t->t);
    t->k2id = unit_made(t->k2, "commune_station", t->t);
    oblige(t->rid, "\"target\":\"all_children\",\"calendar\":{\"month\":{\"due_day\":28}}");
    oblige(t->tid, "\"target\":\"unit_type\",\"unit_type\":\"office\",\"exempt\":true");
    oblige(t->tid, fmt("\"target\":\"all_children\",\"calendar\":{\"month\":{\"due_day\":20}},"
                       "\"approver_unit_code\":\"%s\"", t->q));
    t->r_mgr = user_token_at("so", "manager", t->r);
    t->q_mgr = user_token_at("so", "manager", t->q);
    t->q_rep = user_token_at("so", "reporter", t->q);
}

static void tree_free(tree *t)
{
    free(t->r_mgr);
    free(t->q_mgr);
    free(t->q_rep);
}

static void draft(const tree *t, long long unit)
{
    resp *r = http_send_json("PUT", report_path(unit, t->p1), T_ADMIN, "{\"values\":{\"s1_documents_count\":2}}");
    ck_assert_msg(r->status == 200 || r->status == 201, "draft: %ld %s", r->status, r->body);
    resp_free(r);
}

static void submitted(const tree *t, long long unit)
{
    draft(t, unit);
    resp *r = http_do("POST", fmt("%s/submit", report_path(unit, t->p1)), &(req_opts){.token = T_ADMIN});
    ASSERT_STATUS(r, 200);
    resp_free(r);
}

static resp *act(const tree *t, const char *token, long long unit, const char *action, const char *body, int status)
{
    const char *path = fmt("%s/%s", report_path(unit, t->p1), action);
    resp *r = body ? http_send_json("POST", path, token, body) : http_do("POST", path, &(req_opts){.token = token});
    ASSERT_STATUS(r, status);
    return r;
}

/* GET /reports?awaiting=what&period=p1 (and extra) as token: asserts 200 and the listed units, in
 * order (codes separated by spaces; "" for none). */
static void awaiting(const tree *t, const char *token, const char *what, const char *extra, const char *codes)
{
    resp *r = http_get(fmt("/api/v1/reports?awaiting=%s&period=%s&sort=unit_code%s", what, t->p1, extra), token);
    ASSERT_STATUS(r, 200);
    char got[400] = "";
    size_t i, n = 0;
    json_t *it;
    json_array_foreach (json_object_get(r->json, "items"), i, it) {
        n += (size_t)snprintf(got + n, sizeof got - n, "%s%s", n ? " " : "", json_string_value(json_object_get(it, "unit_code")));
        ck_assert_str_eq(json_string_value(json_object_get(it, "period")), t->p1);
    }
    ck_assert_msg(strcmp(got, codes) == 0, "awaiting %s%s: [%s], not [%s]", what, extra, got, codes);
    ck_assert_int_eq(jint(r, "total"), (long long)i);
    resp_free(r);
}

/* The approver office's manager lists what awaits its approval (the stations' submitted reports,
 * which are outside its subtree), and nothing else of the senders'; the Department lists the health
 * centre's report to approve, then what it has to accept once the office approved; bad input 400. */
START_TEST(each_level_lists_what_awaits_its_approval_or_acceptance)
{
    tree t;
    tree_make(&t);
    submitted(&t, t.k1id);
    draft(&t, t.k2id);
    submitted(&t, t.tid);

    /* The office signs the stations' reports: K1 (submitted) waits, K2 (a draft) does not. */
    awaiting(&t, t.q_mgr, "approval", "", t.k1);
    awaiting(&t, t.q_mgr, "approval", fmt("&unit_id=%lld", t.k2id), "");
    awaiting(&t, t.q_mgr, "acceptance", "", "");
    /* Its rights are on those reports only: no wider list, none of the stations' other data. */
    resp *r = http_get(fmt("/api/v1/reports?unit_id=%lld", t.k1id), t.q_mgr);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 0);
    resp_free(r);
    r = http_get(fmt("/api/v1/reports?awaiting=approval&status=approved&unit_id=%lld", t.k1id), t.q_mgr);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 0);
    resp_free(r);
    r = http_get(fmt("/api/v1/units/%lld", t.k1id), t.q_mgr);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    /* A reporter of the office signs nothing, so nothing waits for it. */
    awaiting(&t, t.q_rep, "approval", "", "");
    /* The Department approves the health centre's report (the centre's own obligation names it),
     * not the stations' (the office does). */
    awaiting(&t, t.r_mgr, "approval", "", t.t);
    awaiting(&t, T_ADMIN, "approval", fmt("&under=%lld", t.rid), fmt("%s %s", t.k1, t.t));

    /* The office approves K1: it leaves the office's list; the Department, the level the health
     * centre reports to, has it to accept. The health centre's report now waits for nothing below. */
    resp_free(act(&t, t.q_mgr, t.k1id, "approve", NULL, 200));
    awaiting(&t, t.q_mgr, "approval", "", "");
    awaiting(&t, t.r_mgr, "acceptance", "", t.k1);
    awaiting(&t, t.q_mgr, "acceptance", "", "");
    awaiting(&t, T_ADMIN, "acceptance", fmt("&under=%lld", t.rid), t.k1);
    resp_free(act(&t, t.r_mgr, t.k1id, "accept", NULL, 200));
    awaiting(&t, t.r_mgr, "acceptance", "", "");
    /* The Department approves the health centre: final at the top, nothing to accept. */
    resp_free(act(&t, T_ADMIN, t.k2id, "waive", "{\"reason\":\"Trạm đang sửa chữa\"}", 200));
    resp_free(act(&t, t.r_mgr, t.tid, "approve", NULL, 200));
    awaiting(&t, t.r_mgr, "approval", "", "");
    awaiting(&t, T_ADMIN, "acceptance", fmt("&under=%lld", t.rid), "");

    r = http_get("/api/v1/reports?awaiting=signature", t.q_mgr);
    ASSERT_STATUS(r, 400);
    ck_assert_int_eq(count_errors(r, "awaiting", "must be approval or acceptance"), 1);
    resp_free(r);
    tree_free(&t);
}
END_TEST

/* A write into a locked period names who can unlock (the approver office, or the approving level,
 * or a unit above) and what makes it possible; nothing is written. */
START_TEST(the_locked_period_names_who_can_unlock_it)
{
    tree t;
    tree_make(&t);
    submitted(&t, t.k1id);
    resp_free(act(&t, t.q_mgr, t.k1id, "approve", NULL, 200));
    long long counts = db_count("SELECT count(*) FROM support_counts WHERE unit_id = $1::bigint", idstr(t.k1id));
    resp *r = http_send_json("POST", "/api/v1/support-counts", T_ADMIN,
                             fmt("{\"unit_id\":%lld,\"month\":\"%s\",\"service\":\"vneid_card\","
                                 "\"target_group\":\"elderly\",\"count\":5}", t.k1id, t.p1));
    ASSERT_STATUS(r, 409);
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:period-locked");
    ck_assert_str_eq(jstr(r, "detail"),
                     fmt("The report of %s for %s is approved, so that period's figures of the unit are locked. "
                         "A manager of %s (the approver office its obligation names) or of %s or a unit above it can "
                         "unlock it with a reason (POST /api/v1/reports/%lld/%s/unlock), after which this write is "
                         "possible (the reports above it reopen with it).",
                         t.k1, t.p1, t.q, t.t, t.k1id, t.p1));
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM support_counts WHERE unit_id = $1::bigint", idstr(t.k1id)), counts);
    /* The report's own values: returned first. */
    r = http_send_json("PUT", report_path(t.k1id, t.p1), T_ADMIN, "{\"values\":{\"s2_conferences\":2}}");
    ASSERT_STATUS(r, 409);
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:period-locked");
    ck_assert_str_eq(jstr(r, "detail"),
                     fmt("This report is approved, so its period is locked. A manager of %s (the approver office its "
                         "obligation names) or of %s or a unit above it can return it with a reason (POST "
                         "/api/v1/reports/%lld/%s/return), after which its values can change and it is submitted again.",
                         t.q, t.t, t.k1id, t.p1));
    resp_free(r);
    /* Accepted by the Department: still the office's or the levels above's to unlock. */
    resp_free(act(&t, t.r_mgr, t.k1id, "accept", NULL, 200));
    r = http_send_json("POST", "/api/v1/patients-served", T_ADMIN,
                       fmt("{\"unit_id\":%lld,\"month\":\"%s\",\"count\":50}", t.k1id, t.p1));
    ASSERT_STATUS(r, 409);
    ck_assert_ptr_nonnull(strstr(jstr(r, "detail"), fmt("The report of %s for %s is accepted, so", t.k1, t.p1)));
    ck_assert_ptr_nonnull(strstr(jstr(r, "detail"), fmt("A manager of %s (the approver office", t.q)));
    resp_free(r);
    /* The health centre's report, approved by its parent (the approver its obligation names). */
    resp_free(act(&t, T_ADMIN, t.k2id, "waive", "{\"reason\":\"Trạm đang sửa chữa\"}", 200));
    submitted(&t, t.tid);
    resp_free(act(&t, t.r_mgr, t.tid, "approve", NULL, 200));
    r = http_send_json("POST", "/api/v1/patients-served", T_ADMIN,
                       fmt("{\"unit_id\":%lld,\"month\":\"%s\",\"count\":50}", t.tid, t.p1));
    ASSERT_STATUS(r, 409);
    ck_assert_ptr_nonnull(strstr(jstr(r, "detail"),
                                 fmt("locked. A manager of %s (its approver) or of a unit above it can unlock it with a "
                                     "reason (POST /api/v1/reports/%lld/%s/unlock)", t.r, t.tid, t.p1)));
    resp_free(r);
    /* The Department's own report (the top of the tree): an administrator unlocks it. */
    submitted(&t, t.rid);
    resp_free(act(&t, T_ADMIN, t.rid, "approve", NULL, 200));
    r = http_send_json("POST", "/api/v1/patients-served", T_ADMIN,
                       fmt("{\"unit_id\":%lld,\"month\":\"%s\",\"count\":50}", t.rid, t.p1));
    ASSERT_STATUS(r, 409);
    ck_assert_ptr_nonnull(strstr(jstr(r, "detail"), fmt("locked. An administrator can unlock it with a reason (POST "
                                                        "/api/v1/reports/%lld/%s/unlock)", t.rid, t.p1)));
    resp_free(r);
    /* Unlocked by the office as the message says: the write goes through. */
    resp_free(act(&t, t.q_mgr, t.k1id, "unlock", "{\"reason\":\"Bổ sung số liệu\"}", 200));
    r = http_send_json("POST", "/api/v1/patients-served", T_ADMIN,
                       fmt("{\"unit_id\":%lld,\"month\":\"%s\",\"count\":50}", t.k1id, t.p1));
    ck_assert_msg(r->status == 200 || r->status == 201, "%ld %s", r->status, r->body);
    resp_free(r);
    tree_free(&t);
}
END_TEST

/* The basis (approved, mixed, current) the rollup answer gives unit. */
static const char *unit_basis(const resp *r, long long unit)
{
    size_t i;
    json_t *u;
    json_array_foreach (json_object_get(r->json, "units"), i, u)
        if (json_integer_value(json_object_get(u, "unit_id")) == unit) return json_string_value(json_object_get(u, "basis"));
    ck_abort_msg("unit %lld not in the rollup", unit);
    return NULL;
}

static long long kept(const tree *t, const char *basis)
{
    return db_count2(fmt("SELECT count(*) FROM rollup_basis_results WHERE root = $1::bigint AND period = '%s'"
                         " AND depth = 2 AND basis = $2", t->p1), idstr(t->rid), basis);
}

/* The answer kept for basis is marked (its unit_name of the root replaced): a read answering the mark
 * read the kept answer, a read answering the real name computed it again. */
static void mark_kept(const tree *t, const char *basis)
{
    PGresult *x = PQexecParams(test_db(),
                               fmt("UPDATE rollup_basis_results SET result = jsonb_set(result::jsonb, '{unit_name}',"
                                   " '\"KEPT\"')::text WHERE root = $1::bigint AND period = '%s' AND depth = 2"
                                   " AND basis = $2", t->p1),
                               2, NULL, (const char *const[]){idstr(t->rid), basis}, NULL, NULL, 0);
    ck_assert_msg(PQresultStatus(x) == PGRES_COMMAND_OK, "%s", PQerrorMessage(test_db()));
    ck_assert_str_eq(PQcmdTuples(x), "1");
    PQclear(x);
}

/* The rollup on a basis is kept like the current one: read again it is the kept answer; approving,
 * unlocking and returning below the root each make the next read compute it again, on both bases. */
START_TEST(the_rollup_on_a_basis_is_kept_until_sign_off_changes)
{
    tree t;
    tree_make(&t);
    submitted(&t, t.k1id);
    resp *r = rollup_at(T_ADMIN, t.rid, t.p1, 2, "approved");
    ck_assert_str_eq(unit_basis(r, t.k1id), "current");
    resp_free(r);
    resp_free(rollup_at(T_ADMIN, t.rid, t.p1, 2, "current"));
    ck_assert_int_eq(kept(&t, "approved"), 1);
    ck_assert_int_eq(kept(&t, "current"), 1);
    mark_kept(&t, "approved");
    mark_kept(&t, "current");
    r = rollup_at(T_ADMIN, t.rid, t.p1, 2, "approved");
    ck_assert_str_eq(jstr(r, "unit_name"), "KEPT");
    resp_free(r);
    r = rollup_at(T_ADMIN, t.rid, t.p1, 2, "current");
    ck_assert_str_eq(jstr(r, "unit_name"), "KEPT");
    resp_free(r);

    /* Approving K1 renews both. */
    resp_free(act(&t, t.q_mgr, t.k1id, "approve", NULL, 200));
    r = rollup_at(T_ADMIN, t.rid, t.p1, 2, "approved");
    ck_assert_str_eq(jstr(r, "unit_name"), fmt("Đơn vị %s", t.r));
    ck_assert_str_eq(unit_basis(r, t.k1id), "approved");
    resp_free(r);
    r = rollup_at(T_ADMIN, t.rid, t.p1, 2, "current");
    ck_assert_str_eq(jstr(r, "unit_name"), fmt("Đơn vị %s", t.r));
    ck_assert_str_eq(unit_basis(r, t.k1id), "approved");
    resp_free(r);
    ck_assert_int_eq(kept(&t, "approved"), 1);

    /* Unlocking renews it. */
    mark_kept(&t, "approved");
    resp_free(act(&t, t.q_mgr, t.k1id, "unlock", "{\"reason\":\"Bổ sung số liệu\"}", 200));
    r = rollup_at(T_ADMIN, t.rid, t.p1, 2, "approved");
    ck_assert_str_eq(jstr(r, "unit_name"), fmt("Đơn vị %s", t.r));
    ck_assert_str_eq(unit_basis(r, t.k1id), "current");
    resp_free(r);

    /* Approving again, then returning, renews it too. */
    resp_free(act(&t, t.q_mgr, t.k1id, "approve", NULL, 200));
    r = rollup_at(T_ADMIN, t.rid, t.p1, 2, "approved");
    ck_assert_str_eq(unit_basis(r, t.k1id), "approved");
    resp_free(r);
    mark_kept(&t, "approved");
    resp_free(act(&t, t.q_mgr, t.k1id, "return", "{\"reason\":\"Sai số liệu\"}", 200));
    r = rollup_at(T_ADMIN, t.rid, t.p1, 2, "approved");
    ck_assert_str_eq(jstr(r, "unit_name"), fmt("Đơn vị %s", t.r));
    ck_assert_str_eq(unit_basis(r, t.k1id), "current");
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "not_approved")), 5);
    resp_free(r);
    tree_free(&t);
}
END_TEST

/* A report approved before migration 0024 has no snapshot, so the approved basis counted it live:
 * migration 0034 takes one for each (report_snapshots_backfill, here on the test's tree), marked as
 * taken by the migration, and the rollup then answers it on the approved basis. */
START_TEST(reports_approved_before_snapshots_get_one)
{
    tree t;
    tree_make(&t);
    submitted(&t, t.k1id);
    /* Approved as before 0024: the row changes, no snapshot is taken. */
    PGresult *x = PQexecParams(test_db(),
                               "UPDATE reports SET status = 'approved', approved_at = now(), approved_by = 'old'"
                               " WHERE unit_id = $1::bigint AND period = $2",
                               2, NULL, (const char *const[]){idstr(t.k1id), t.p1}, NULL, NULL, 0);
    ck_assert_int_eq(PQresultStatus(x), PGRES_COMMAND_OK);
    PQclear(x);
    ck_assert_int_eq(db_count("SELECT count(*) FROM report_snapshots WHERE unit_id = $1::bigint", idstr(t.k1id)), 0);
    resp *r = rollup_at(T_ADMIN, t.rid, t.p1, 2, "approved");
    ck_assert_str_eq(unit_basis(r, t.k1id), "current");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT report_snapshots_backfill($1::bigint)", idstr(t.rid)), 1);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM report_snapshots WHERE unit_id = $1::bigint AND period = $2"
                               " AND taken_by = 'migration 0034'"
                               " AND reason = 'approved before snapshots existed: figures as of this migration'",
                               idstr(t.k1id), t.p1), 1);
    ck_assert_int_eq(db_count("SELECT report_snapshots_backfill($1::bigint)", idstr(t.rid)), 0);
    r = rollup_at(T_ADMIN, t.rid, t.p1, 2, "approved");
    ck_assert_str_eq(unit_basis(r, t.k1id), "approved");
    resp_free(r);
    r = http_get(fmt("%s/revisions", report_path(t.k1id, t.p1)), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert(json_is_false(json_object_get(r->json, "changed")));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r->json, "snapshot"), "taken_by")),
                     "migration 0034");
    resp_free(r);
    tree_free(&t);
}
END_TEST

/* The CT5 computed figures (numerator/denominator) of the form of unit for the tree's period. */
static void form_ct5(const tree *t, long long unit, long long *num, long long *den)
{
    resp *r = http_get(fmt("/api/v1/exports/report-form?unit_id=%lld&period=%s", unit, t->p1), T_ADMIN);
    ASSERT_STATUS(r, 200);
    size_t i, j;
    json_t *sec, *f, *cp = NULL;
    json_array_foreach (json_object_get(r->json, "sections"), i, sec)
        json_array_foreach (json_object_get(sec, "fields"), j, f)
            if (strcmp(json_string_value(json_object_get(f, "code")), "s3_workers_dt_knowledge_rate") == 0)
                cp = json_object_get(f, "computed");
    ck_assert_ptr_nonnull(cp);
    *num = json_integer_value(json_object_get(cp, "numerator"));
    *den = json_integer_value(json_object_get(cp, "denominator"));
    resp_free(r);
}

/* The form's rates take the subtree's figures from the rollup kept for the unit (form_rollup_figures):
 * with a kept rollup it reads it (a marked CT5 shows), after any change of the subtree it computes
 * them again, and without one it computes them as before. */
START_TEST(the_form_reuses_the_kept_rollup)
{
    tree t;
    tree_make(&t);
    staff_made(fmt("SOS-%s", uniq()), "Phạm Văn Lực", t.k1, "nurse", "2025-01-01", NULL);
    long long num, den;
    form_ct5(&t, t.tid, &num, &den); /* nothing kept: computed */
    ck_assert_int_eq(num, 0);
    ck_assert_int_eq(den, 1);
    resp_free(rollup_at(T_ADMIN, t.tid, t.p1, 2, "current"));
    ck_assert_int_eq(db_count2(fmt("SELECT count(*) FROM rollup_results WHERE root = $1::bigint AND period = '%s'"
                                   " AND depth = 2 AND $2::text IS NULL", t.p1), idstr(t.tid), NULL), 1);
    PGresult *x = PQexecParams(test_db(),
                               "UPDATE rollup_results SET result = jsonb_set(result::jsonb, '{units,0,indicators,4,numerator}',"
                               " '777')::text WHERE root = $1::bigint AND depth = 2",
                               1, NULL, (const char *const[]){idstr(t.tid)}, NULL, NULL, 0);
    ck_assert_str_eq(PQcmdTuples(x), "1");
    PQclear(x);
    form_ct5(&t, t.tid, &num, &den);
    ck_assert_int_eq(num, 777);
    ck_assert_int_eq(den, 1);
    /* A second member of the subtree: the kept rollup no longer matches, the form counts again. */
    staff_made(fmt("SOS-%s", uniq()), "Vũ Thị Hoa", t.k2, "nurse", "2025-01-01", NULL);
    form_ct5(&t, t.tid, &num, &den);
    ck_assert_int_eq(num, 0);
    ck_assert_int_eq(den, 2);
    tree_free(&t);
}
END_TEST

Suite *s9_signoff_suite(void)
{
    Suite *s = suite_create("s9_signoff");
    TCase *tc = tcase_create("signoff");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, each_level_lists_what_awaits_its_approval_or_acceptance);
    tcase_add_test(tc, the_locked_period_names_who_can_unlock_it);
    tcase_add_test(tc, the_rollup_on_a_basis_is_kept_until_sign_off_changes);
    tcase_add_test(tc, reports_approved_before_snapshots_get_one);
    tcase_add_test(tc, the_form_reuses_the_kept_rollup);
    suite_add_tcase(s, tc);
    return s;
}
