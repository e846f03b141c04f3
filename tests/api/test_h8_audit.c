/* Issue 8, item 14 (audit): the audit log is append-only in the database itself (the server's
 * role cannot change, remove or untrigger entries), a read whose audit entry cannot be written
 * sends nothing, the server's request id is the audit key with the client's kept apart, and the
 * retention rule pseudonymises personal data of old entries while keeping them.
 *
 * test_db() connects as the server's role (BDHVS_TEST_DB), test_owner_db() as the owner that
 * runs the migrations (BDHVS_TEST_OWNER_DB). With a single role for both (no owner URL, or the
 * same role) the triggers' part is checked and the checks of the two roles' privileges are
 * skipped with a note. */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The owner's connection; the server's when there is one role. */
static PGconn *owner_db(void)
{
    PGconn *o = test_owner_db();
    return o ? o : test_db();
}

/* Are the two roles distinct? The server's role name in out either way. */
static int two_roles(char *out, size_t len)
{
    PGconn *owner = owner_db();
    PGresult *a = PQexec(test_db(), "SELECT current_user");
    PGresult *o = PQexec(owner, "SELECT current_user");
    ck_assert_int_eq(PQresultStatus(a), PGRES_TUPLES_OK);
    ck_assert_int_eq(PQresultStatus(o), PGRES_TUPLES_OK);
    snprintf(out, len, "%s", PQgetvalue(a, 0, 0));
    int distinct = strcmp(PQgetvalue(a, 0, 0), PQgetvalue(o, 0, 0)) != 0;
    PQclear(a);
    PQclear(o);
    if (!distinct) fprintf(stderr, "h8_audit: one database role for both; the privilege checks are skipped\n");
    return distinct;
}

/* Runs sql and asserts that it fails with SQLSTATE state. */
static void refused(PGconn *db, const char *sql, const char *state)
{
    PGresult *r = PQexec(db, sql);
    const char *got = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    ck_assert_msg(PQresultStatus(r) == PGRES_FATAL_ERROR && got != NULL && strcmp(got, state) == 0,
                  "%s: expected SQLSTATE %s, got status %s, state %s: %s", sql, state, PQresStatus(PQresultStatus(r)),
                  got ? got : "-", PQresultErrorMessage(r));
    PQclear(r);
}

static void exec_ok(PGconn *db, const char *sql)
{
    PGresult *r = PQexec(db, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql,
                  PQresultErrorMessage(r));
    PQclear(r);
}

/* First cell of a query with up to two parameters, on db, as text (static buffer). */
static const char *cell(PGconn *db, const char *sql, const char *p1, const char *p2)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    const char *v[] = {p1, p2};
    PGresult *r = PQexecParams(db, sql, p2 ? 2 : p1 ? 1 : 0, NULL, v, NULL, NULL, 0);
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, "%s: %s", sql, PQresultErrorMessage(r));
    snprintf(buf[k], sizeof buf[k], "%s", PQgetisnull(r, 0, 0) ? "(null)" : PQgetvalue(r, 0, 0));
    PQclear(r);
    return buf[k];
}

static long long count_on(PGconn *db, const char *sql, const char *p1, const char *p2)
{
    return atoll(cell(db, sql, p1, p2));
}

/* A request with an X-Request-Id of the client's choosing. */
static resp *with_rid(const char *method, const char *path, const char *token, const char *body, const char *rid,
                      const char *extra)
{
    char hdr[128];
    snprintf(hdr, sizeof hdr, "X-Request-Id: %s", rid);
    req_opts o = {.token = token, .body = body, .headers = {hdr, extra, NULL}};
    return http_do(method, path, &o);
}

static long long make_staff(const char *code, const char *name, const char *rid)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"code\":\"%s\",\"full_name\":\"%s\",\"unit_code\":\"TYT-ANLAC\",\"job_group\":\"nurse\","
             "\"employment\":\"public_employee\",\"joined_on\":\"2020-01-01\",\"party_member\":true}",
             code, name);
    return created_id(with_rid("POST", "/api/v1/staff", T_SD_MANAGER, body, rid, NULL));
}

/* ---- the database refuses the server's role ---------------------------------------------- */

START_TEST(app_role_cannot_update_delete_truncate_untrigger_or_alter_audit_entries)
{
    char app[128];
    int two = two_roles(app, sizeof app);
    PGconn *db = test_db();
    /* There is an entry to aim at. */
    resp *r = with_rid("GET", "/api/v1/staff?limit=1", T_ADMIN, NULL, "h8-audit-target", NULL);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    long long before = count_on(db, "SELECT count(*) FROM audit_log", NULL, NULL);
    ck_assert_int_gt(before, 0);

    refused(db, "UPDATE audit_log SET username = 'someone-else'", "42501");
    refused(db, "UPDATE audit_log SET after = NULL WHERE id = (SELECT max(id) FROM audit_log)", "42501");
    refused(db, "DELETE FROM audit_log", "42501");
    refused(db, "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)", "42501");
    refused(db, "TRUNCATE audit_log", "42501");
    /* Even with the retention setting on: the setting lets the owner through, nobody else. */
    exec_ok(db, "BEGIN");
    exec_ok(db, "SET LOCAL bdhvs.audit_retention = 'on'");
    refused(db, "UPDATE audit_log SET action = 'forged', pseudonymised_at = now() WHERE id = (SELECT max(id) FROM audit_log)",
            "42501");
    exec_ok(db, "ROLLBACK");
    /* Appending still works (the server's INSERT), and the database sets the time. */
    ck_assert_str_eq(cell(db, "INSERT INTO audit_log (action, entity, at) VALUES ('test', 'h8_audit', '2001-01-01')"
                              " RETURNING (at > now() - interval '1 hour')::text", NULL, NULL), "true");
    if (!two) return;
    refused(db, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only", "42501");
    refused(db, "ALTER TABLE audit_log DISABLE TRIGGER ALL", "42501");
    refused(db, "DROP TRIGGER audit_log_append_only ON audit_log", "42501");
    refused(db, "DROP TRIGGER audit_log_no_truncate ON audit_log", "42501");
    refused(db, "ALTER TABLE audit_log ADD COLUMN scratch text", "42501");
    refused(db, "DROP TABLE audit_log", "42501");
    refused(db, "CREATE OR REPLACE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS "
                "'BEGIN RETURN NEW; END'", "42501");
    /* Not even a change the retention function could make. */
    exec_ok(db, "BEGIN");
    exec_ok(db, "SET LOCAL bdhvs.audit_retention = 'on'");
    refused(db, "UPDATE audit_log SET after = NULL, pseudonymised_at = now() WHERE id = (SELECT max(id) FROM audit_log)",
            "42501");
    exec_ok(db, "ROLLBACK");
    /* Nor the retention function, nor its key, nor the grants. */
    refused(db, "SELECT audit_pseudonymise(1)", "42501");
    refused(db, "SELECT * FROM audit_secret", "42501");
    refused(db, "SELECT bdhvs_grant_app(current_user)", "42501");
    /* The server's role owns nothing it could alter. */
    ck_assert_int_eq(count_on(db, "SELECT count(*) FROM pg_class c WHERE c.relowner = "
                                  "(SELECT oid FROM pg_roles WHERE rolname = current_user) AND c.relpersistence <> 't'",
                              NULL, NULL), 0);
    ck_assert_str_eq(cell(db, "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user", NULL, NULL), "false");
    ck_assert_int_eq(count_on(db, "SELECT count(*) FROM audit_log", NULL, NULL), before + 1); /* the one appended */
}
END_TEST

START_TEST(not_even_the_owner_changes_audit_entries_except_through_the_retention_function)
{
    PGconn *owner = owner_db();
    refused(owner, "UPDATE audit_log SET username = 'x' WHERE id = (SELECT max(id) FROM audit_log)", "42501");
    refused(owner, "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)", "42501");
    refused(owner, "TRUNCATE audit_log", "42501");
    /* With the setting on, the owner may pseudonymise, but change nothing else. */
    exec_ok(owner, "BEGIN");
    exec_ok(owner, "SET LOCAL bdhvs.audit_retention = 'on'");
    refused(owner, "UPDATE audit_log SET action = 'forged', pseudonymised_at = now() WHERE id = (SELECT max(id) FROM audit_log)",
            "42501");
    exec_ok(owner, "ROLLBACK");
}
END_TEST

START_TEST(app_role_gets_every_business_table_and_what_later_migrations_create)
{
    char app[128];
    if (!two_roles(app, sizeof app)) return;
    PGconn *db = test_db(), *owner = test_owner_db();
    /* Every table but the three kept from it: read, insert, update, delete. */
    ck_assert_int_eq(count_on(db, "SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace"
                                  " AND c.relkind IN ('r', 'p', 'v', 'm')"
                                  " AND c.relname NOT IN ('audit_log', 'audit_secret', 'schema_migrations')"
                                  " AND NOT (has_table_privilege(c.oid, 'SELECT') AND has_table_privilege(c.oid, 'INSERT')"
                                  " AND has_table_privilege(c.oid, 'UPDATE') AND has_table_privilege(c.oid, 'DELETE'))",
                              NULL, NULL), 0);
    ck_assert_int_gt(count_on(db, "SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace"
                                  " AND c.relkind = 'r'", NULL, NULL), 20);
    ck_assert_str_eq(cell(db, "SELECT has_table_privilege('schema_migrations', 'SELECT')::text"
                              " || has_table_privilege('schema_migrations', 'INSERT')::text", NULL, NULL), "truefalse");
    /* What the server does besides: staging tables, LISTEN, advisory locks, sequences. */
    exec_ok(db, "BEGIN");
    exec_ok(db, "CREATE TEMP TABLE h8_stage (x int) ON COMMIT DROP");
    exec_ok(db, "INSERT INTO h8_stage VALUES (1)");
    exec_ok(db, "COMMIT");
    exec_ok(db, "LISTEN bdhvs_users");
    exec_ok(db, "UNLISTEN bdhvs_users");
    exec_ok(db, "SELECT pg_advisory_xact_lock(8014)");
    exec_ok(db, "SELECT nextval('stats_seq')");
    /* A table a later migration creates (as the owner) is the server's at once. */
    exec_ok(owner, "BEGIN");
    exec_ok(owner, "CREATE TABLE h8_later (id bigint GENERATED ALWAYS AS IDENTITY, x int)");
    ck_assert_str_eq(cell(owner, "SELECT (has_table_privilege($1, 'h8_later', 'SELECT')"
                                 " AND has_table_privilege($1, 'h8_later', 'INSERT')"
                                 " AND has_table_privilege($1, 'h8_later', 'UPDATE')"
                                 " AND has_table_privilege($1, 'h8_later', 'DELETE')"
                                 " AND NOT has_table_privilege($1, 'h8_later', 'TRUNCATE')"
                                 " AND has_sequence_privilege($1, 'h8_later_id_seq', 'USAGE'))::text", app, NULL),
                     "true");
    exec_ok(owner, "ROLLBACK");
}
END_TEST

/* ---- a read that cannot be audited sends nothing ----------------------------------------- */

static void grant_insert_back(void)
{
    /* Unchecked teardown (runs in the parent even when a test failed): restore the grant. */
    const char *oci = getenv("BDHVS_TEST_OWNER_DB"), *aci = getenv("BDHVS_TEST_DB");
    if (aci == NULL) return;
    if (oci == NULL || *oci == '\0') oci = aci;
    PGconn *a = PQconnectdb(aci), *o = PQconnectdb(oci);
    PGresult *r = PQexec(a, "SELECT format('GRANT INSERT ON audit_log TO %I', current_user)");
    if (PQresultStatus(r) == PGRES_TUPLES_OK) PQclear(PQexec(o, PQgetvalue(r, 0, 0)));
    PQclear(r);
    PQfinish(a);
    PQfinish(o);
}

START_TEST(a_staff_read_whose_audit_entry_cannot_be_written_answers_503_and_sends_nothing)
{
    char app[128], code[48], rid[64], sql[256];
    two_roles(app, sizeof app);
    PGconn *owner = owner_db();
    snprintf(code, sizeof code, "H8R-%s", uniq());
    snprintf(rid, sizeof rid, "h8r-%s", uniq());
    long long id = make_staff(code, "Đỗ Thị Kín Đáo", rid);
    char *esc = PQescapeIdentifier(owner, app, strlen(app));
    snprintf(sql, sizeof sql, "REVOKE INSERT ON audit_log FROM %s", esc);
    exec_ok(owner, sql);

    char path[128], one[64];
    snprintf(path, sizeof path, "/api/v1/staff?q=%s", code);
    snprintf(one, sizeof one, "/api/v1/staff/%lld", id);
    const char *paths[] = {path, path, one};
    const char *accept[] = {NULL, "Accept: text/csv", NULL};
    for (int i = 0; i < 3; i++) {
        resp *r = with_rid("GET", paths[i], T_SD_MANAGER, NULL, rid, accept[i]);
        ASSERT_STATUS(r, 503);
        char ra[16], ct[64];
        ck_assert_str_eq(resp_header(r, "Retry-After", ra, sizeof ra), "5");
        ck_assert_str_eq(resp_header(r, "Content-Type", ct, sizeof ct), "application/problem+json");
        ck_assert_ptr_null(strstr(r->body, code));
        ck_assert_ptr_null(strstr(r->body, "Kín Đáo"));
        ck_assert_ptr_nonnull(strstr(jstr(r, "detail"), "audit"));
        resp_free(r);
    }
    ck_assert_int_eq(count_on(test_db(), "SELECT count(*) FROM audit_log WHERE action = 'read' AND client_request_id = $1",
                              rid, NULL), 0);

    /* The grant back: the same reads answer and are recorded. */
    snprintf(sql, sizeof sql, "GRANT INSERT ON audit_log TO %s", esc);
    PQfreemem(esc);
    exec_ok(owner, sql);
    for (int i = 0; i < 3; i++) {
        resp *r = with_rid("GET", paths[i], T_SD_MANAGER, NULL, rid, accept[i]);
        ASSERT_STATUS(r, 200);
        ck_assert_ptr_nonnull(strstr(r->body, code));
        resp_free(r);
    }
    ck_assert_int_eq(count_on(test_db(), "SELECT count(*) FROM audit_log WHERE action = 'read' AND client_request_id = $1",
                              rid, NULL), 3);
}
END_TEST

/* ---- request ids ------------------------------------------------------------------------- */

START_TEST(the_servers_request_id_is_the_audit_key_and_the_clients_is_kept_apart)
{
    char code[48], rid[64], got[80];
    snprintf(code, sizeof code, "H8I-%s", uniq());
    snprintf(rid, sizeof rid, "client-%s", uniq());
    long long id = make_staff(code, "Lò Văn Mã", rid);
    /* The write's entry: keyed by the server's id, the client's beside it. */
    resp *r = with_rid("GET", "/healthz", NULL, NULL, rid, NULL);
    ck_assert_str_ne(resp_header(r, "X-Request-Id", got, sizeof got), rid);
    resp_free(r);
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", id);
    PGconn *db = test_db();
    ck_assert_int_eq(count_on(db, "SELECT count(*) FROM audit_log WHERE client_request_id = $1 AND entity = 'staff'"
                                  " AND entity_id = $2 AND action = 'create' AND request_id ~ '^[0-9a-f]{32}$'",
                              rid, ids), 1);
    /* A read: the answer's X-Request-Id (and a problem's request_id) is the entry's request_id. */
    char path[64];
    snprintf(path, sizeof path, "/api/v1/staff/%lld", id);
    r = with_rid("GET", path, T_SD_MANAGER, NULL, rid, NULL);
    ASSERT_STATUS(r, 200);
    resp_header(r, "X-Request-Id", got, sizeof got);
    resp_free(r);
    ck_assert_int_eq(count_on(db, "SELECT count(*) FROM audit_log WHERE request_id = $1 AND client_request_id = $2"
                                  " AND action = 'read'", got, rid), 1);
    r = with_rid("GET", "/api/v1/staff/0", T_SD_MANAGER, NULL, rid, NULL);
    resp_header(r, "X-Request-Id", got, sizeof got);
    ck_assert_str_eq(jstr(r, "request_id"), got);
    resp_free(r);
    /* A client id that is not sane is not kept. */
    r = with_rid("GET", path, T_SD_MANAGER, NULL, "bad id <x>", NULL);
    ASSERT_STATUS(r, 200);
    resp_header(r, "X-Request-Id", got, sizeof got);
    resp_free(r);
    ck_assert_int_eq(count_on(db, "SELECT count(*) FROM audit_log WHERE request_id = $1 AND client_request_id IS NULL",
                              got, NULL), 1);
    /* The audit API shows both. */
    char apath[128];
    snprintf(apath, sizeof apath, "/api/v1/audit?entity=staff&entity_id=%lld&limit=1", id);
    r = http_get(apath, T_ADMIN);
    ASSERT_STATUS(r, 200);
    json_t *e = json_array_get(json_object_get(r->json, "items"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(e, "request_id")), got);
    ck_assert(json_is_null(json_object_get(e, "client_request_id")));
    ck_assert(json_is_null(json_object_get(e, "pseudonymised_at")));
    resp_free(r);
}
END_TEST

/* ---- retention: pseudonymisation --------------------------------------------------------- */

START_TEST(entries_older_than_the_age_are_pseudonymised_newer_ones_untouched_none_removed)
{
    char code[48], pre[48], rid[64], path[64], sql[512];
    PGconn *owner = owner_db();
    snprintf(code, sizeof code, "H8P-%s", uniq());
    snprintf(pre, sizeof pre, "h8p-%s", uniq());
    /* Old: the create, a rename and a search by code. New: a read and a second rename. */
    snprintf(rid, sizeof rid, "%s-old-create", pre);
    long long id = make_staff(code, "Hà Thị Riêng", rid);
    snprintf(path, sizeof path, "/api/v1/staff/%lld", id);
    snprintf(rid, sizeof rid, "%s-old-rename", pre);
    resp *r = with_rid("PATCH", path, T_SD_MANAGER, "{\"full_name\":\"Hà Thị Riêng Tư\"}", rid, NULL);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    snprintf(rid, sizeof rid, "%s-old-search", pre);
    snprintf(sql, sizeof sql, "/api/v1/staff?q=%s", code);
    r = with_rid("GET", sql, T_SD_MANAGER, NULL, rid, NULL);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    snprintf(rid, sizeof rid, "%s-new-read", pre);
    r = with_rid("GET", path, T_SD_MANAGER, NULL, rid, NULL);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    snprintf(rid, sizeof rid, "%s-new-rename", pre);
    r = with_rid("PATCH", path, T_SD_MANAGER, "{\"full_name\":\"Hà Thị Riêng Mới\"}", rid, NULL);
    ASSERT_STATUS(r, 200);
    resp_free(r);

    /* 400 days back, by the owner, the one role that may (it lifts the guard for a moment). */
    exec_ok(owner, "BEGIN");
    exec_ok(owner, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only");
    snprintf(sql, sizeof sql, "UPDATE audit_log SET at = at - interval '400 days' WHERE client_request_id LIKE '%s-old-%%'",
             pre);
    exec_ok(owner, sql);
    exec_ok(owner, "ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only");
    exec_ok(owner, "COMMIT");

    char like[64];
    snprintf(like, sizeof like, "%s-%%", pre);
    long long total = count_on(owner, "SELECT count(*) FROM audit_log", NULL, NULL);
    ck_assert_int_eq(count_on(owner, "SELECT count(*) FROM audit_log WHERE client_request_id LIKE $1", like, NULL), 5);
    ck_assert_int_eq(count_on(owner, "SELECT audit_pseudonymise(365)", NULL, NULL), 3);
    ck_assert_int_eq(count_on(owner, "SELECT audit_pseudonymise(365)", NULL, NULL), 0); /* done is done */
    ck_assert_int_eq(count_on(owner, "SELECT count(*) FROM audit_log", NULL, NULL), total);

    /* The old entries: no name, code, user name or party membership left; the rest kept. */
    char old[64], neu[64];
    snprintf(old, sizeof old, "%s-old-%%", pre);
    snprintf(neu, sizeof neu, "%s-new-%%", pre);
    ck_assert_int_eq(count_on(owner, "SELECT count(*) FROM audit_log WHERE client_request_id LIKE $1"
                                     " AND pseudonymised_at IS NOT NULL AND username ~ '^pseu:[0-9a-f]{16}$'"
                                     " AND strpos(coalesce(before::text, '') || coalesce(after::text, ''), 'Riêng') = 0"
                                     " AND strpos(coalesce(before::text, '') || coalesce(after::text, ''), $2) = 0",
                              old, code), 3);
    snprintf(rid, sizeof rid, "%s-old-create", pre);
    ck_assert_str_eq(cell(owner, "SELECT concat_ws(' ', after->>'party_member', after->>'job_group', after->>'unit_code',"
                                 " after->>'joined_on', entity_id = (after->>'id'), action)"
                                 " FROM audit_log WHERE client_request_id = $1", rid, NULL),
                     "pseudonymised nurse TYT-ANLAC 2020-01-01 t create");
    snprintf(rid, sizeof rid, "%s-old-search", pre);
    ck_assert_str_eq(cell(owner, "SELECT (after->'query'->>'q' ~ '^pseu:') || ' ' || (after->>'returned')"
                                 " FROM audit_log WHERE client_request_id = $1", rid, NULL),
                     "true 1");
    /* Linkable: the same name gives the same pseudonym in two entries. */
    snprintf(rid, sizeof rid, "%s-old-create", pre);
    char rid2[64];
    snprintf(rid2, sizeof rid2, "%s-old-rename", pre);
    ck_assert_str_eq(cell(owner, "SELECT ((SELECT after->>'full_name' FROM audit_log WHERE client_request_id = $1)"
                                 " = (SELECT before->>'full_name' FROM audit_log WHERE client_request_id = $2))::text",
                          rid, rid2), "true");
    /* The new entries are as they were written. */
    ck_assert_int_eq(count_on(owner, "SELECT count(*) FROM audit_log WHERE client_request_id LIKE $1"
                                     " AND pseudonymised_at IS NULL AND username = 'sondong.manager'", neu, NULL), 2);
    snprintf(rid, sizeof rid, "%s-new-rename", pre);
    char expected[160];
    snprintf(expected, sizeof expected, "Hà Thị Riêng Tư > Hà Thị Riêng Mới %s", code);
    ck_assert_str_eq(cell(owner, "SELECT (before->>'full_name') || ' > ' || (after->>'full_name') || ' ' || (after->>'code')"
                                 " FROM audit_log WHERE client_request_id = $1", rid, NULL),
                     expected);
}
END_TEST

Suite *h8_audit_suite(void)
{
    Suite *s = suite_create("h8_audit");
    TCase *t = tcase_create("append_only");
    tcase_add_test(t, app_role_cannot_update_delete_truncate_untrigger_or_alter_audit_entries);
    tcase_add_test(t, not_even_the_owner_changes_audit_entries_except_through_the_retention_function);
    tcase_add_test(t, app_role_gets_every_business_table_and_what_later_migrations_create);
    suite_add_tcase(s, t);
    t = tcase_create("fail_closed");
    tcase_add_unchecked_fixture(t, NULL, grant_insert_back);
    tcase_add_test(t, a_staff_read_whose_audit_entry_cannot_be_written_answers_503_and_sends_nothing);
    suite_add_tcase(s, t);
    t = tcase_create("request_ids");
    tcase_add_test(t, the_servers_request_id_is_the_audit_key_and_the_clients_is_kept_apart);
    suite_add_tcase(s, t);
    t = tcase_create("retention");
    tcase_add_test(t, entries_older_than_the_age_are_pseudonymised_newer_ones_untouched_none_removed);
    suite_add_tcase(s, t);
    return s;
}
