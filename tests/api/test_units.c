#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Creates a unit as the given caller; returns its id (asserting 201). */
static long long make_unit(const char *token, const char *code, const char *name, const char *type, const char *parent_code)
{
    char body[512];
    snprintf(body, sizeof body, "{\"code\":\"%s\",\"name\":\"%s\",\"type\":\"%s\",\"parent_code\":\"%s\"}", code, name,
             type, parent_code);
    return created_id(http_send_json("POST", "/api/v1/units", token, body));
}

/* "/api/v1/units/ID" + rest; rest may start with "/tree" or "?". */
static char *path_of(const char *fmt, long long id)
{
    static char buf[256];
    const char *rest = strstr(fmt, "%lld") + 4;
    snprintf(buf, sizeof buf, "%.*s%lld%s", (int)(strstr(fmt, "%lld") - fmt), fmt, id, rest);
    return buf;
}

START_TEST(manager_creates_a_unit_in_its_subtree)
{
    char code[40], body[512];
    snprintf(code, sizeof code, "K-%s", uniq());
    snprintf(body, sizeof body, "{\"code\":\"%s\",\"name\":\"Khoa Y học cổ truyền\",\"type\":\"ward\",\"parent_code\":\"TTYT-SD\",\"opened_on\":\"2026-01-05\"}", code);
    resp *r = http_send_json("POST", "/api/v1/units", T_SD_MANAGER, body);
    ASSERT_STATUS(r, 201);
    long long id = jint(r, "id");
    char loc[128], want[128], etag[64];
    snprintf(want, sizeof want, "/api/v1/units/%lld", id);
    ck_assert_str_eq(resp_header(r, "Location", loc, sizeof loc), want);
    ck_assert_ptr_nonnull(resp_header(r, "ETag", etag, sizeof etag));
    ck_assert_str_eq(jstr(r, "code"), code);
    ck_assert_str_eq(jstr(r, "name"), "Khoa Y học cổ truyền");
    ck_assert_str_eq(jstr(r, "type"), "ward");
    ck_assert_str_eq(jstr(r, "parent_code"), "TTYT-SD");
    ck_assert_int_eq(jint(r, "parent_id"), unit_id("TTYT-SD"));
    ck_assert_int_eq(jint(r, "depth"), 2);
    ck_assert(json_is_true(json_object_get(r->json, "active")));
    ck_assert_str_eq(jstr(r, "opened_on"), "2026-01-05");
    ck_assert(json_is_null(json_object_get(r->json, "closed_on")));
    resp_free(r);
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", id);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'unit' AND action = 'create' AND entity_id = $1"
                              " AND username = 'sondong.manager' AND after->>'name' = 'Khoa Y học cổ truyền'", ids), 1);
    /* The same code again conflicts. */
    r = http_send_json("POST", "/api/v1/units", T_SD_MANAGER, body);
    ASSERT_STATUS(r, 409);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM units WHERE code = $1", code), 1);
}
END_TEST

START_TEST(unit_bodies_are_validated_all_at_once)
{
    resp *r = http_send_json("POST", "/api/v1/units", T_ADMIN,
                             "{\"code\":\"bad code!\",\"name\":\"\",\"type\":\"castle\",\"parent_code\":\"TTYT-SD\",\"colour\":1,\"opened_on\":\"2026-02-30\"}");
    ASSERT_STATUS(r, 422);
    json_t *errs = json_object_get(r->json, "errors");
    ck_assert_uint_eq(json_array_size(errs), 5);
    const char *fields[] = {"colour", "code", "name", "type", "opened_on"};
    for (int i = 0; i < 5; i++)
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(errs, (size_t)i), "field")), fields[i]);
    resp_free(r);
    r = http_send_json("POST", "/api/v1/units", T_SD_MANAGER, "{\"code\":\"X1\",\"name\":\"X\",\"type\":\"ward\",\"parent_code\":\"24001\"}");
    ASSERT_STATUS(r, 422); /* a parent outside the caller's subtree does not exist for it */
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r->json, "errors"), 0), "message")), "no such unit");
    resp_free(r);
    r = http_send_json("POST", "/api/v1/units", T_SD_MANAGER, "{\"code\":\"X2\",\"name\":\"X\",\"type\":\"ward\"}");
    ASSERT_STATUS(r, 422); /* only an admin creates a root */
    resp_free(r);
}
END_TEST

START_TEST(roles_without_write_rights_get_403)
{
    const char *body = "{\"code\":\"NOPE\",\"name\":\"X\",\"type\":\"ward\",\"parent_code\":\"TTYT-SD\"}";
    const char *tokens[] = {T_SD_REPORTER, T_SYT_VIEWER, T_INTEGRATION};
    for (int i = 0; i < 3; i++) {
        resp *r = http_send_json("POST", "/api/v1/units", tokens[i], body);
        ASSERT_STATUS(r, 403);
        ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:forbidden");
        resp_free(r);
    }
    resp *r = http_send_json("PATCH", path_of("/api/v1/units/%lld", unit_id("TYT-ANLAC")), T_SD_REPORTER, "{\"name\":\"X\"}");
    ASSERT_STATUS(r, 403);
    resp_free(r);
    r = http_do("DELETE", path_of("/api/v1/units/%lld", unit_id("TYT-ANLAC")), &(req_opts){.token = T_SYT_VIEWER});
    ASSERT_STATUS(r, 403);
    resp_free(r);
}
END_TEST

START_TEST(scope_hides_units_outside_the_subtree_as_404)
{
    long long syt = unit_id("SYT-BN"), hospital = unit_id("24001"), station = unit_id("TYT-ANLAC");
    resp *r = http_get(path_of("/api/v1/units/%lld", syt), T_SD_REPORTER);
    ASSERT_STATUS(r, 404);
    resp *missing = http_get("/api/v1/units/999999999", T_SD_REPORTER);
    ASSERT_STATUS(missing, 404);
    ck_assert_str_eq(jstr(r, "detail"), jstr(missing, "detail")); /* the same answer as an id that does not exist */
    resp_free(r);
    resp_free(missing);
    r = http_get(path_of("/api/v1/units/%lld", hospital), T_SD_MANAGER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_get(path_of("/api/v1/units/%lld/tree", syt), T_SD_REPORTER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_send_json("PATCH", path_of("/api/v1/units/%lld", hospital), T_SD_MANAGER, "{\"name\":\"X\"}");
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_get(path_of("/api/v1/units/%lld", station), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "name"), "Trạm Y tế xã An Lạc");
    resp_free(r);
    /* The integration role reads everything. */
    r = http_get(path_of("/api/v1/units/%lld", hospital), T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    /* The reporter's list holds its own subtree only: exactly the units under TTYT-SD. */
    r = http_get("/api/v1/units?limit=1000", T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    long long in_subtree = db_count("SELECT count(*) FROM units WHERE path <@ (SELECT path FROM units WHERE code = $1)", "TTYT-SD");
    ck_assert_int_eq(jint(r, "total"), in_subtree);
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(r->json, "items"), i, u) {
        const char *code = json_string_value(json_object_get(u, "code"));
        ck_assert_int_eq(db_count("SELECT count(*) FROM units WHERE code = $1 AND path <@ (SELECT path FROM units WHERE code = 'TTYT-SD')", code), 1);
    }
    ck_assert_int_ge(jint(r, "total"), 15);
    resp_free(r);
}
END_TEST

START_TEST(list_filters_search_sort_and_page)
{
    long long sd = unit_id("TTYT-SD");
    char path[256];
    snprintf(path, sizeof path, "/api/v1/units?parent_id=%lld&type=commune_station&active=true&sort=-code&limit=3", sd); /* the demo's two merged stations are closed */
    resp *r = http_get(path, T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 7);
    ck_assert_int_eq(jint(r, "limit"), 3);
    ck_assert_int_eq(jint(r, "offset"), 0);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 3);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 0), "code")), "TYT-YENDINH");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 1), "code")), "TYT-VANSON");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 2), "code")), "TYT-TAYYENTU");
    resp_free(r);
    snprintf(path, sizeof path, "/api/v1/units?parent_id=%lld&type=commune_station&active=true&sort=code&limit=3&offset=6", sd);
    r = http_get(path, T_ADMIN);
    items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 0), "code")), "TYT-YENDINH");
    resp_free(r);
    /* q ignores diacritics and case. */
    r = http_get("/api/v1/units?q=TRAM%20Y%20TE%20XA%20dai%20son", T_SYT_VIEWER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r->json, "items"), 0), "name")), "Trạm Y tế xã Đại Sơn");
    resp_free(r);
    snprintf(path, sizeof path, "/api/v1/units?under=%lld&type=ward&sort=name", sd);
    r = http_get(path, T_SYT_VIEWER);
    ck_assert_int_ge(jint(r, "total"), 4);
    resp_free(r);
    r = http_get("/api/v1/units?updated_since=2999-01-01T00:00:00Z", T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 0);
    resp_free(r);
    const char *bad[] = {"/api/v1/units?limit=0", "/api/v1/units?limit=1001", "/api/v1/units?offset=-1",
                         "/api/v1/units?sort=colour", "/api/v1/units?active=yes", "/api/v1/units?type=castle",
                         "/api/v1/units?parent_id=abc", "/api/v1/units?updated_since=yesterday", NULL};
    assert_each_400(T_ADMIN, "", bad);
}
END_TEST

START_TEST(csv_lists_keep_vietnamese_and_neutralise_formulas)
{
    char code[40];
    snprintf(code, sizeof code, "CSV-%s", uniq());
    make_unit(T_SD_MANAGER, code, "=HYPERLINK(\\\"x\\\"), Đội \\\"số\\\"", "other", "TYT-ANLAC");
    char path[256];
    snprintf(path, sizeof path, "/api/v1/units?q=%s&bom=true", code);
    req_opts o = {.token = T_SD_MANAGER, .headers = {"Accept: text/csv"}};
    resp *r = http_do("GET", path, &o);
    ASSERT_STATUS(r, 200);
    char ct[64];
    ck_assert_str_eq(resp_header(r, "Content-Type", ct, sizeof ct), "text/csv; charset=utf-8");
    ck_assert_int_eq(memcmp(r->body, "\xEF\xBB\xBF", 3), 0);
    const char *header = "id,code,name,type,parent_id,parent_code,depth,active,opened_on,closed_on,created_at,updated_at,dhis2_id\r\n";
    ck_assert_int_eq(strncmp(r->body + 3, header, strlen(header)), 0);
    char want[256];
    snprintf(want, sizeof want, ",%s,\"'=HYPERLINK(\"\"x\"\"), Đội \"\"số\"\"\",other,", code);
    ck_assert_msg(strstr(r->body, want) != NULL, "no %s in %s", want, r->body);
    resp_free(r);
}
END_TEST

START_TEST(update_with_if_match_and_stale_etag_412)
{
    char code[40];
    snprintf(code, sizeof code, "U-%s", uniq());
    long long id = make_unit(T_SD_MANAGER, code, "Tổ y tế lưu động", "other", "TTYT-SD");
    resp *r = http_get(path_of("/api/v1/units/%lld", id), T_SD_MANAGER);
    char etag[64], hdr[128];
    resp_header(r, "ETag", etag, sizeof etag);
    resp_free(r);
    snprintf(hdr, sizeof hdr, "If-Match: %s", etag);
    req_opts o = {.token = T_SD_MANAGER, .body = "{\"name\":\"Tổ y tế lưu động số 1\"}", .headers = {hdr}};
    r = http_do("PATCH", path_of("/api/v1/units/%lld", id), &o);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "name"), "Tổ y tế lưu động số 1");
    ck_assert_str_eq(jstr(r, "code"), code);
    char etag2[64];
    resp_header(r, "ETag", etag2, sizeof etag2);
    ck_assert_str_ne(etag, etag2);
    resp_free(r);
    /* The old ETag no longer matches. */
    req_opts stale = {.token = T_SD_MANAGER, .body = "{\"name\":\"Lost update\"}", .headers = {hdr}};
    r = http_do("PATCH", path_of("/api/v1/units/%lld", id), &stale);
    ASSERT_STATUS(r, 412);
    resp_free(r);
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", id);
    ck_assert_int_eq(db_count("SELECT count(*) FROM units WHERE id = $1::bigint AND name = 'Tổ y tế lưu động số 1'", ids), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'unit' AND entity_id = $1 AND action = 'update'"
                              " AND before->>'name' = 'Tổ y tế lưu động' AND after->>'name' = 'Tổ y tế lưu động số 1'", ids), 1);
    /* Unknown fields are refused, not ignored. */
    r = http_send_json("PATCH", path_of("/api/v1/units/%lld", id), T_SD_MANAGER, "{\"nmae\":\"typo\"}");
    ASSERT_STATUS(r, 422);
    resp_free(r);
}
END_TEST

START_TEST(moving_a_unit_carries_its_subtree_and_refuses_cycles)
{
    char a[40], b[40], body[128];
    const char *u = uniq();
    snprintf(a, sizeof a, "MA-%s", u);
    snprintf(b, sizeof b, "MB-%s", u);
    long long ida = make_unit(T_SD_MANAGER, a, "Nhóm A", "other", "TTYT-SD");
    long long idb = make_unit(T_SD_MANAGER, b, "Nhóm B", "other", a);
    /* A under its own child: a cycle. */
    snprintf(body, sizeof body, "{\"parent_id\":%lld}", idb);
    resp *r = http_send_json("PATCH", path_of("/api/v1/units/%lld", ida), T_SD_MANAGER, body);
    ASSERT_STATUS(r, 422);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r->json, "errors"), 0), "field")), "parent_id");
    resp_free(r);
    snprintf(body, sizeof body, "{\"parent_id\":%lld}", ida);
    r = http_send_json("PATCH", path_of("/api/v1/units/%lld", ida), T_SD_MANAGER, body);
    ASSERT_STATUS(r, 422);
    resp_free(r);
    /* A under station An Lạc: B follows, one level deeper. */
    r = http_send_json("PATCH", path_of("/api/v1/units/%lld", ida), T_SD_MANAGER, "{\"parent_code\":\"TYT-ANLAC\"}");
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "parent_code"), "TYT-ANLAC");
    ck_assert_int_eq(jint(r, "depth"), 3);
    resp_free(r);
    r = http_get(path_of("/api/v1/units/%lld", idb), T_SD_MANAGER);
    ck_assert_int_eq(jint(r, "depth"), 4);
    resp_free(r);
    r = http_get(path_of("/api/v1/units?under=%lld", unit_id("TYT-ANLAC")), T_SD_MANAGER);
    int seen = 0;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r->json, "items"), i, it) seen += json_integer_value(json_object_get(it, "id")) == idb;
    ck_assert_int_eq(seen, 1);
    resp_free(r);
    /* Out of the manager's subtree: the parent does not exist for it. */
    r = http_send_json("PATCH", path_of("/api/v1/units/%lld", ida), T_SD_MANAGER, "{\"parent_code\":\"24001\"}");
    ASSERT_STATUS(r, 422);
    resp_free(r);
    /* A manager cannot move or close its own unit. */
    r = http_send_json("PATCH", path_of("/api/v1/units/%lld", unit_id("TTYT-SD")), T_SD_MANAGER, "{\"parent_code\":\"TYT-ANLAC\"}");
    ck_assert_int_ne(r->status, 200);
    resp_free(r);
}
END_TEST

START_TEST(closing_keeps_the_unit_and_needs_closed_children)
{
    char a[40], b[40];
    const char *u = uniq();
    snprintf(a, sizeof a, "CA-%s", u);
    snprintf(b, sizeof b, "CB-%s", u);
    long long ida = make_unit(T_SD_MANAGER, a, "Điểm trạm cũ", "other", "TYT-VANSON");
    long long idb = make_unit(T_SD_MANAGER, b, "Điểm con", "other", a);
    req_opts o = {.token = T_SD_MANAGER};
    resp *r = http_do("DELETE", path_of("/api/v1/units/%lld", ida), &o);
    ASSERT_STATUS(r, 409);
    resp_free(r);
    r = http_do("DELETE", path_of("/api/v1/units/%lld?closed_on=2099-01-01", idb), &o);
    ASSERT_STATUS(r, 422);
    resp_free(r);
    r = http_do("DELETE", path_of("/api/v1/units/%lld?closed_on=2026-03-31", idb), &o);
    ASSERT_STATUS(r, 204);
    resp_free(r);
    r = http_do("DELETE", path_of("/api/v1/units/%lld", ida), &o);
    ASSERT_STATUS(r, 204);
    resp_free(r);
    r = http_get(path_of("/api/v1/units/%lld", idb), T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert(json_is_false(json_object_get(r->json, "active")));
    ck_assert_str_eq(jstr(r, "closed_on"), "2026-03-31");
    resp_free(r);
    r = http_do("DELETE", path_of("/api/v1/units/%lld", ida), &o); /* again: nothing to do */
    ASSERT_STATUS(r, 204);
    resp_free(r);
    r = http_do("DELETE", path_of("/api/v1/units/%lld", unit_id("TTYT-SD")), &o);
    ASSERT_STATUS(r, 403);
    resp_free(r);
    /* Closed units drop out of the tree unless asked for. */
    r = http_get(path_of("/api/v1/units/%lld/tree", unit_id("TYT-VANSON")), T_SD_MANAGER);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "children")), 0);
    resp_free(r);
    r = http_get(path_of("/api/v1/units/%lld/tree?include_closed=true", unit_id("TYT-VANSON")), T_SD_MANAGER);
    json_t *kids = json_object_get(r->json, "children");
    int found = 0;
    size_t i;
    json_t *k;
    json_array_foreach(kids, i, k) if (json_integer_value(json_object_get(k, "id")) == ida) {
        found = 1;
        ck_assert_uint_eq(json_array_size(json_object_get(k, "children")), 1);
    }
    ck_assert_int_eq(found, 1);
    resp_free(r);
}
END_TEST

START_TEST(tree_nests_children_to_the_depth_asked)
{
    long long sd = unit_id("TTYT-SD");
    resp *r = http_get(path_of("/api/v1/units/%lld/tree?depth=0", sd), T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "code"), "TTYT-SD");
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "children")), 0);
    resp_free(r);
    r = http_get(path_of("/api/v1/units/%lld/tree?depth=1", unit_id("SYT-BN")), T_SYT_VIEWER);
    ASSERT_STATUS(r, 200);
    json_t *kids = json_object_get(r->json, "children");
    ck_assert_int_ge(json_array_size(kids), 9);
    size_t i;
    json_t *k;
    json_array_foreach(kids, i, k) ck_assert_uint_eq(json_array_size(json_object_get(k, "children")), 0);
    resp_free(r);
    r = http_get(path_of("/api/v1/units/%lld/tree", unit_id("SYT-BN")), T_SYT_VIEWER);
    int found_station = 0;
    json_array_foreach(json_object_get(r->json, "children"), i, k) {
        if (strcmp(json_string_value(json_object_get(k, "code")), "TTYT-SD") != 0) continue;
        size_t j;
        json_t *s;
        json_array_foreach(json_object_get(k, "children"), j, s)
            found_station += strcmp(json_string_value(json_object_get(s, "code")), "TYT-DUONGHUU") == 0;
    }
    ck_assert_int_eq(found_station, 1);
    resp_free(r);
    r = http_get(path_of("/api/v1/units/%lld/tree?depth=-1", sd), T_ADMIN);
    ASSERT_STATUS(r, 400);
    resp_free(r);
    r = http_get("/api/v1/units/abc/tree", T_ADMIN);
    ASSERT_STATUS(r, 404);
    resp_free(r);
}
END_TEST


START_TEST(audit_records_each_write_with_its_request_id)
{
    char code[40], body[256], rid[64];
    snprintf(code, sizeof code, "AU-%s", uniq());
    snprintf(rid, sizeof rid, "audit-test-%s", uniq());
    snprintf(body, sizeof body, "{\"code\":\"%s\",\"name\":\"Tổ kiểm tra\",\"type\":\"other\",\"parent_code\":\"TYT-ANLAC\"}", code);
    char hdr[96];
    snprintf(hdr, sizeof hdr, "X-Request-Id: %s", rid);
    req_opts o = {.token = T_SD_MANAGER, .body = body, .headers = {hdr}};
    resp *r = http_do("POST", "/api/v1/units", &o);
    ASSERT_STATUS(r, 201);
    long long id = jint(r, "id");
    resp_free(r);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/audit?entity=unit&entity_id=%lld", id);
    r = http_get(path, T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 1);
    json_t *e = json_array_get(json_object_get(r->json, "items"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(e, "client_request_id")), rid);
    ck_assert_uint_eq(strlen(json_string_value(json_object_get(e, "request_id"))), 32); /* the server's own */
    ck_assert_str_eq(json_string_value(json_object_get(e, "action")), "create");
    ck_assert_str_eq(json_string_value(json_object_get(e, "username")), "sondong.manager");
    ck_assert(json_is_null(json_object_get(e, "before")));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "after"), "code")), code);
    resp_free(r);
    r = http_get(path, T_SD_MANAGER);
    ASSERT_STATUS(r, 403);
    resp_free(r);
}
END_TEST

Suite *units_suite(void)
{
    Suite *s = suite_create("units");
    TCase *t = tcase_create("units");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, manager_creates_a_unit_in_its_subtree);
    tcase_add_test(t, unit_bodies_are_validated_all_at_once);
    tcase_add_test(t, roles_without_write_rights_get_403);
    tcase_add_test(t, scope_hides_units_outside_the_subtree_as_404);
    tcase_add_test(t, list_filters_search_sort_and_page);
    tcase_add_test(t, csv_lists_keep_vietnamese_and_neutralise_formulas);
    tcase_add_test(t, update_with_if_match_and_stale_etag_412);
    tcase_add_test(t, moving_a_unit_carries_its_subtree_and_refuses_cycles);
    tcase_add_test(t, closing_keeps_the_unit_and_needs_closed_children);
    tcase_add_test(t, tree_nests_children_to_the_depth_asked);
    tcase_add_test(t, audit_records_each_write_with_its_request_id);
    suite_add_tcase(s, t);
    return s;
}
