/* Issue 14, goal 1 (session 9): what the cheaper paths must still answer exactly.
 * - A page of the staff list (now shaped by staff_page_json with the unit joined once, the total
 *   counted without the unit when nothing needs it, the audit entry written from the statement's
 *   own counts): the same items as staff_json gives row by row, the exact total, and an audit
 *   entry with the returned and total figures, for an admin with under=, for an admin without
 *   filters and for a manager's scope (party membership hidden from a reporter).
 * - GET /api/v1/units/{id}, answered on libmicrohttpd's thread when a connection is free: the
 *   same answer and the same refusals (404 outside the scope, 401 without a token).
 * - A bearer token recognised from the verified-token slots (src/auth/jwt.c): refused at once
 *   when its account is disabled, and a copy altered by one byte is refused although the original
 *   was accepted (its expiry: the unit test test_jwt checks the same token before and after). */
#include "client.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The page's items equal staff_json(row, party) over the rows the SQL picks, in code order. */
static void assert_items_are_staff_json(const resp *r, const char *where_sql, const char *param, int party,
                                        int limit)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT ((($1::jsonb)->'items') = coalesce((SELECT jsonb_agg(staff_json(s, %s)::jsonb ORDER BY s.code, s.id)"
             " FROM (SELECT s.* FROM staff s JOIN units u ON u.id = s.unit_id WHERE %s ORDER BY s.code, s.id LIMIT %d) s),"
             " '[]'))::int",
             party ? "true" : "false", where_sql, limit);
    ck_assert_int_eq(db_count2(sql, r->body, param), 1);
}

static long long audit_figure(const char *rid, const char *key)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT (after->>'%s')::bigint FROM audit_log WHERE action = 'read' AND entity = 'staff'"
             " AND client_request_id = $1",
             key);
    return db_count(sql, rid);
}

/* Staff members of the unit and every unit below it. */
static long long staff_under(long long unit)
{
    return db_count("SELECT count(*) FROM staff s JOIN units u ON u.id = s.unit_id"
                    " WHERE u.path <@ (SELECT x.path FROM units x WHERE x.id = $1::bigint)",
                    idstr(unit));
}

static resp *get_rid(const char *path, const char *token, const char *rid)
{
    char hdr[128];
    snprintf(hdr, sizeof hdr, "X-Request-Id: %s", rid);
    req_opts o = {.token = token, .headers = {hdr, NULL}};
    return http_do("GET", path, &o);
}

START_TEST(a_page_of_staff_under_a_unit_is_exact_and_audited_with_its_counts)
{
    long long sd = unit_id("TTYT-SD");
    const char *under = "u.path <@ (SELECT x.path FROM units x WHERE x.id = $2::bigint)";
    long long total = staff_under(sd);
    ck_assert_int_gt(total, 3);
    char rid[64];
    snprintf(rid, sizeof rid, "s9p-%s", uniq());
    resp *r = get_rid(fmt("/api/v1/staff?limit=3&under=%lld", sd), T_ADMIN, rid);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), total);
    assert_items_are_staff_json(r, under, idstr(sd), 1, 3);
    ck_assert_int_eq(audit_figure(rid, "returned"), 3);
    ck_assert_int_eq(audit_figure(rid, "total"), total);
    resp_free(r);

    /* The last page: fewer rows than the limit; the audit says how many. */
    snprintf(rid, sizeof rid, "s9p-%s", uniq());
    r = get_rid(fmt("/api/v1/staff?limit=3&offset=%lld&under=%lld", total - 2, sd), T_ADMIN, rid);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), total);
    ck_assert_int_eq(audit_figure(rid, "returned"), 2);
    ck_assert_int_eq(audit_figure(rid, "total"), total);
    resp_free(r);

    /* under= a unit that does not exist: nothing listed, a total of 0. */
    snprintf(rid, sizeof rid, "s9p-%s", uniq());
    r = get_rid("/api/v1/staff?limit=3&under=999999999", T_ADMIN, rid);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 0);
    ck_assert_int_eq(audit_figure(rid, "returned"), 0);
    resp_free(r);
}
END_TEST

START_TEST(an_admins_unfiltered_page_counts_every_staff_member)
{
    long long total = db_count("SELECT count(*) FROM staff", NULL);
    char rid[64];
    snprintf(rid, sizeof rid, "s9p-%s", uniq());
    resp *r = get_rid("/api/v1/staff?limit=5&sort=code", T_ADMIN, rid);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), total);
    assert_items_are_staff_json(r, "$2::text IS NOT NULL", "x", 1, 5);
    ck_assert_int_eq(audit_figure(rid, "returned"), total < 5 ? total : 5);
    ck_assert_int_eq(audit_figure(rid, "total"), total);
    resp_free(r);
}
END_TEST

START_TEST(a_managers_and_a_reporters_page_stay_in_their_scope)
{
    long long sd = unit_id("TTYT-SD");
    const char *scope = "u.path <@ (SELECT x.path FROM units x WHERE x.id = $2::bigint)";
    long long total = staff_under(sd);
    char rid[64];
    snprintf(rid, sizeof rid, "s9p-%s", uniq());
    resp *r = get_rid("/api/v1/staff?limit=4", T_SD_MANAGER, rid);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), total);
    assert_items_are_staff_json(r, scope, idstr(sd), 1, 4);
    ck_assert_int_eq(audit_figure(rid, "total"), total);
    resp_free(r);

    /* A reporter: the same rows without party membership. */
    r = http_get("/api/v1/staff?limit=4", T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_ptr_null(strstr(r->body, "party_member"));
    assert_items_are_staff_json(r, scope, idstr(sd), 0, 4);
    resp_free(r);

    /* under= a unit above the scope lists the scope; one beside it lists nothing. */
    r = http_get(fmt("/api/v1/staff?limit=4&under=%lld", unit_id("SYT-BN")), T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), total);
    resp_free(r);
    r = http_get(fmt("/api/v1/staff?limit=4&under=%lld", unit_id("CDC-BN")), T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 0);
    resp_free(r);
}
END_TEST

START_TEST(a_unit_read_answers_the_same_on_either_thread)
{
    long long ld = unit_id("TYT-SONDONG"), other = unit_id("CDC-BN");
    /* Many times, so that some run inline and, with requests at once, some on a worker. */
    for (int i = 0; i < 40; i++) {
        resp *r = http_get(fmt("/api/v1/units/%lld", ld), T_SD_REPORTER);
        ASSERT_STATUS(r, 200);
        ck_assert_int_eq(jint(r, "id"), ld);
        ck_assert_str_eq(jstr(r, "code"), "TYT-SONDONG");
        ck_assert_int_eq(db_count2("SELECT ($1::jsonb = unit_json(u)::jsonb)::int FROM units u WHERE u.id = $2::bigint",
                                   r->body, idstr(ld)),
                         1);
        resp_free(r);
        r = http_get(fmt("/api/v1/units/%lld", other), T_SD_REPORTER);
        ASSERT_STATUS(r, 404);
        resp_free(r);
        r = http_get(fmt("/api/v1/units/%lld", ld), NULL);
        ASSERT_STATUS(r, 401);
        resp_free(r);
    }
}
END_TEST

START_TEST(a_recognised_token_is_still_refused_when_disabled_or_altered)
{
    /* A user of our own, signed in, whose token is used (and so kept as verified) first. */
    char name[64], body[256];
    snprintf(name, sizeof name, "s9p.%s", uniq());
    snprintf(body, sizeof body,
             "{\"username\":\"%s\",\"password\":\"%s\",\"full_name\":\"Thử Nghiệm\",\"role\":\"viewer\","
             "\"unit_code\":\"TTYT-SD\"}",
             name,
             demo_password());
    resp *r = http_send_json("POST", "/api/v1/users", T_ADMIN, body);
    ASSERT_STATUS(r, 201);
    long long uid = jint(r, "id");
    resp_free(r);
    char *tok = login(name, demo_password());
    ck_assert_ptr_nonnull(tok);
    const char *path = fmt("/api/v1/units/%lld", unit_id("TTYT-SD"));
    char *p = strdup(path);
    for (int i = 0; i < 3; i++) {
        r = http_get(p, tok);
        ASSERT_STATUS(r, 200);
        resp_free(r);
    }
    /* One byte changed in the signature: refused, although the original is kept. */
    char *bad = strdup(tok);
    size_t n = strlen(bad);
    bad[n - 2] = bad[n - 2] == 'A' ? 'B' : 'A';
    r = http_get(p, bad);
    ASSERT_STATUS(r, 401);
    resp_free(r);
    free(bad);
    /* Disabled: the very next request with the kept token is refused. */
    r = http_send_json("PATCH", fmt("/api/v1/users/%lld", uid), T_ADMIN, "{\"active\":false}");
    ASSERT_STATUS(r, 200);
    resp_free(r);
    r = http_get(p, tok);
    ASSERT_STATUS(r, 401);
    resp_free(r);
    free(p);
    free(tok);
}
END_TEST

/* Every order of the staff list (11 statements, each in its two forms: through the units of a
 * scope or under=, and over the whole table for an admin without under=) lists five people of a
 * station of the test's own exactly in that order: names with Vietnamese marks sort without
 * them (Ấu between An and Bình, Đặng before Dũng). */
static char *staff_order_ids(const char *path, const char *token)
{
    resp *r = http_get(path, token);
    ASSERT_STATUS(r, 200);
    json_t *items = json_object_get(r->json, "items");
    static char out[128];
    out[0] = '\0';
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        const char *code = json_string_value(json_object_get(it, "code"));
        const char *dash = strrchr(code, '-');
        strncat(out, dash ? dash + 1 : code, sizeof out - strlen(out) - 1);
    }
    resp_free(r);
    return out;
}

START_TEST(every_staff_order_lists_exactly_in_that_order)
{
    char unit[40];
    long long uid = make_test_unit("SO", "Trạm sắp xếp", "commune_station", "TTYT-SD", unit, sizeof unit);
    const char *u = uniq();
    char word[24];
    snprintf(word, sizeof word, "Kw%s", u);
    static const struct {
        const char *letter, *num, *given, *joined;
    } P[] = {{"A", "3", "Đặng", "2021-05-01"}, {"B", "1", "An", "2023-01-01"}, {"C", "5", "Bình", "2020-01-01"},
             {"D", "2", "Ấu", "2022-07-01"}, {"E", "4", "Dũng", "2019-03-01"}};
    long long ids[5];
    for (int i = 0; i < 5; i++) {
        json_t *b = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "code", fmt("SO%s-%s%s", u, P[i].num, P[i].letter),
                              "full_name", fmt("%s %s", P[i].given, word), "unit_code", unit, "job_group", "nurse",
                              "employment", "contract", "joined_on", P[i].joined);
        ids[i] = created_id(send_obj("POST", "/api/v1/staff", T_SD_MANAGER, b));
    }
    /* updated_at in the order C, A, E, B, D: one PATCH each, one after the other */
    static const int upd[] = {2, 0, 4, 1, 3};
    for (int k = 0; k < 5; k++) {
        resp *r = http_send_json("PATCH", fmt("/api/v1/staff/%lld", ids[upd[k]]), T_SD_MANAGER,
                                 fmt("{\"full_name\": \"%s %s\"}", P[upd[k]].given, word));
        ck_assert_int_eq(r->status, 200);
        resp_free(r);
        ck_assert_int_eq(db_count2("UPDATE staff SET updated_at = now() + make_interval(secs => $2::int) WHERE id = $1"
                                   " RETURNING 1",
                                   idstr(ids[upd[k]]), fmt("%d", k + 1)),
                         1);
    }
    static const struct {
        const char *sort, *want;
    } W[] = {{"code", "1B2D3A4E5C"},       {"-code", "5C4E3A2D1B"},       {"full_name", "1B2D5C3A4E"},
             {"-full_name", "4E3A5C2D1B"}, {"joined_on", "4E5C3A2D1B"},  {"-joined_on", "1B2D3A5C4E"},
             {"updated_at", "5C3A4E1B2D"}, {"-updated_at", "2D1B4E3A5C"}, {"id", "3A1B5C2D4E"},
             {"-id", "4E2D5C1B3A"},        {"match", "1B2D3A4E5C"}};
    for (size_t i = 0; i < sizeof W / sizeof W[0]; i++) {
        /* "match" is the order of q without sort: whole-word matches first (all five here), then code */
        int match = strcmp(W[i].sort, "match") == 0;
        const char *sort = match ? "" : fmt("&sort=%s", W[i].sort);
        /* through the units: the manager's scope and under=; over the whole table: an admin with q */
        ck_assert_msg(strcmp(staff_order_ids(fmt("/api/v1/staff?under=%lld%s&q=%s", uid, sort, word), T_SD_MANAGER),
                             W[i].want) == 0,
                      "manager, sort=%s", W[i].sort);
        ck_assert_msg(strcmp(staff_order_ids(fmt("/api/v1/staff?q=%s%s", word, sort), T_ADMIN), W[i].want) == 0,
                      "admin, sort=%s", W[i].sort);
        if (!match)
            ck_assert_msg(strcmp(staff_order_ids(fmt("/api/v1/staff?unit_id=%lld%s", uid, sort), T_ADMIN),
                                 W[i].want) == 0,
                          "admin by unit, sort=%s", W[i].sort);
    }
}
END_TEST

Suite *s9_perf_suite(void)
{
    Suite *s = suite_create("s9_perf");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, a_page_of_staff_under_a_unit_is_exact_and_audited_with_its_counts);
    tcase_add_test(tc, an_admins_unfiltered_page_counts_every_staff_member);
    tcase_add_test(tc, a_managers_and_a_reporters_page_stay_in_their_scope);
    tcase_add_test(tc, a_unit_read_answers_the_same_on_either_thread);
    tcase_add_test(tc, every_staff_order_lists_exactly_in_that_order);
    tcase_add_test(tc, a_recognised_token_is_still_refused_when_disabled_or_altered);
    suite_add_tcase(s, tc);
    return s;
}
