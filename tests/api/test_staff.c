/* Staff: creation and validation, party membership shown only to admins and managers, scope and
 * roles, list filters (unit, subtree, job group, employment, active on a day, completions,
 * VNeID, diacritic-free search, updated_since), sort, paging, CSV, If-Match, moving, deletion
 * and the audit trail of reads. Every test works in a unit of its own made under TYT-ANLAC, with
 * uniq() codes, so that the suite can run again against the same database and whatever staff
 * the demo data holds. */
#include "client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------------------------ */

static const char *staff_path(long long id)
{
    return fmt("/api/v1/staff/%lld", id);
}

/* A unit of the test's own, made by the Sơn Động manager under parent; its code goes to code. */
static long long make_unit(const char *parent, char *code, size_t len)
{
    return make_test_unit("SU", "Tổ nhân sự kiểm thử", "other", parent, code, len);
}

/* The body of a valid new staff member: a nurse, public employee, joined 2020-01-01. */
static json_t *staff_body(const char *code, const char *full_name, const char *unit_code)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "code", code, "full_name", full_name, "unit_code", unit_code,
                     "job_group", "nurse", "employment", "public_employee", "joined_on", "2020-01-01");
}

/* Creates a staff member (asserting 201) and returns the id. */
static long long make_staff(const char *token, json_t *body)
{
    resp *r = send_obj("POST", "/api/v1/staff", token, body);
    ASSERT_STATUS(r, 201);
    long long id = jint(r, "id");
    resp_free(r);
    ck_assert_int_gt(id, 0);
    return id;
}

static long long add_staff(const char *code, const char *full_name, const char *unit_code, const char *job_group,
                           const char *employment, const char *joined_on, const char *left_on)
{
    json_t *b = staff_body(code, full_name, unit_code);
    json_object_set_new(b, "job_group", json_string(job_group));
    json_object_set_new(b, "employment", json_string(employment));
    json_object_set_new(b, "joined_on", json_string(joined_on));
    if (left_on) json_object_set_new(b, "left_on", json_string(left_on));
    return make_staff(T_SD_MANAGER, b);
}

static long long make_course(const char *code, int counts)
{
    json_t *o = json_pack("{s:s, s:s, s:b}", "code", code, "title", "Khoá học kiểm thử", "counts_for_campaign", counts);
    return created_id(send_obj("POST", "/api/v1/courses", T_ADMIN, o));
}

static void add_completion(const char *staff_code, const char *course_code, const char *on)
{
    json_t *o = json_pack("{s:s, s:s, s:s}", "staff_code", staff_code, "course_code", course_code, "completed_on", on);
    resp *r = send_obj("POST", "/api/v1/completions", T_SD_MANAGER, o);
    ASSERT_STATUS(r, 201);
    resp_free(r);
}

/* The codes of a list's items, in order, with the common prefix cut off, joined by ','. */
static const char *item_codes(const resp *r, const char *prefix)
{
    static char buf[2048];
    size_t w = 0, pl = strlen(prefix);
    buf[0] = '\0';
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r->json, "items"), i, it) {
        const char *c = json_string_value(json_object_get(it, "code"));
        if (strncmp(c, prefix, pl) == 0) c += pl;
        w += (size_t)snprintf(buf + w, sizeof buf - w, "%s%s", i ? "," : "", c);
    }
    return buf;
}

/* GET path as token and asserts 200, total and the item codes (prefix cut). */
static void assert_list(const char *token, const char *path, long long total, const char *prefix, const char *codes)
{
    resp *r = http_get(path, token);
    ck_assert_msg(r->status == 200, "%s: %ld %s", path, r->status, r->body);
    ck_assert_msg(jint(r, "total") == total, "%s: total %lld, want %lld", path, jint(r, "total"), total);
    ck_assert_msg(strcmp(item_codes(r, prefix), codes) == 0, "%s: items %s, want %s", path, item_codes(r, prefix), codes);
    resp_free(r);
}

static resp *do_with(const char *method, const char *path, const char *token, const char *body, const char *h1,
                     const char *h2)
{
    req_opts o = {.token = token, .body = body, .headers = {h1, h2, NULL}};
    return http_do(method, path, &o);
}

/* ---- creation ----------------------------------------------------------------------------- */

START_TEST(manager_creates_staff_201_with_location_etag_and_exact_fields)
{
    char unit[40], code[48];
    long long uid = make_unit("TYT-ANLAC", unit, sizeof unit);
    snprintf(code, sizeof code, "SC-%s", uniq());
    json_t *b = staff_body(code, "Nguyễn Thị Hoa", unit);
    json_object_set_new(b, "party_member", json_true());
    json_object_set_new(b, "joined_on", json_string("2019-03-01"));
    json_object_set_new(b, "vneid_confirmed_on", json_string("2025-09-15"));
    json_object_set_new(b, "vneid_source", json_string("VNeID"));
    resp *r = send_obj("POST", "/api/v1/staff", T_SD_MANAGER, b);
    ASSERT_STATUS(r, 201);
    long long id = jint(r, "id");
    ck_assert_int_gt(id, 0);
    char loc[128], etag[64], ct[128];
    ck_assert_str_eq(resp_header(r, "Location", loc, sizeof loc), staff_path(id));
    ck_assert_msg(is_etag(resp_header(r, "ETag", etag, sizeof etag)), "ETag %s", etag);
    ck_assert_str_eq(resp_header(r, "Content-Type", ct, sizeof ct), "application/json; charset=utf-8");
    ck_assert_uint_eq(json_object_size(r->json), 14); /* every Staff field, party_member included */
    ck_assert_str_eq(jstr(r, "code"), code);
    ck_assert_str_eq(jstr(r, "full_name"), "Nguyễn Thị Hoa");
    ck_assert_int_eq(jint(r, "unit_id"), uid);
    ck_assert_str_eq(jstr(r, "unit_code"), unit);
    ck_assert_str_eq(jstr(r, "job_group"), "nurse");
    ck_assert_str_eq(jstr(r, "employment"), "public_employee");
    ck_assert(json_is_true(json_object_get(r->json, "party_member")));
    ck_assert_str_eq(jstr(r, "joined_on"), "2019-03-01");
    ck_assert(json_is_null(json_object_get(r->json, "left_on")));
    ck_assert_str_eq(jstr(r, "vneid_confirmed_on"), "2025-09-15");
    ck_assert_str_eq(jstr(r, "vneid_source"), "VNeID");
    ck_assert_msg(is_timestamp(jstr(r, "created_at")), "created_at %s", jstr(r, "created_at"));
    ck_assert_msg(is_timestamp(jstr(r, "updated_at")), "updated_at %s", jstr(r, "updated_at"));
    /* The Location answers the same representation and ETag. */
    assert_get_same(loc, T_SD_MANAGER, etag, r->json);
    resp_free(r);

    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 AND party_member AND joined_on = '2019-03-01'"
                              " AND left_on IS NULL AND vneid_source = 'VNeID'", code), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'staff' AND action = 'create' AND entity_id = $1"
                              " AND username = 'sondong.manager' AND before IS NULL AND (after->>'party_member')::bool",
                              idstr(id)), 1);

    /* The same code again conflicts and leaves one row. */
    r = send_obj("POST", "/api/v1/staff", T_SD_MANAGER, staff_body(code, "Người Khác", unit));
    ASSERT_STATUS(r, 409);
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:conflict");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1", code), 1);
}
END_TEST

START_TEST(party_member_defaults_to_false_and_reporter_can_create)
{
    char code[48];
    snprintf(code, sizeof code, "SD-%s", uniq());
    json_t *b = staff_body(code, "Trần Văn Bình", "TYT-ANLAC");
    json_object_del(b, "unit_code");
    json_object_set_new(b, "unit_id", json_integer(unit_id("TYT-ANLAC")));
    resp *r = send_obj("POST", "/api/v1/staff", T_SD_REPORTER, b);
    ASSERT_STATUS(r, 201);
    ck_assert_str_eq(jstr(r, "unit_code"), "TYT-ANLAC");
    ck_assert_ptr_null(json_object_get(r->json, "party_member")); /* a reporter does not see it */
    ck_assert_uint_eq(json_object_size(r->json), 13);
    long long id = jint(r, "id");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE id = $1::bigint AND party_member = false", idstr(id)), 1);
    r = http_get(staff_path(id), T_ADMIN);
    ck_assert(json_is_false(json_object_get(r->json, "party_member")));
    resp_free(r);
}
END_TEST

START_TEST(party_member_is_shown_to_admin_and_managers_only)
{
    char unit[40], code[48];
    make_unit("TYT-ANLAC", unit, sizeof unit);
    snprintf(code, sizeof code, "SP-%s", uniq());
    json_t *b = staff_body(code, "Phạm Văn Đảng", unit);
    json_object_set_new(b, "party_member", json_true());
    long long id = make_staff(T_SD_MANAGER, b);

    const char *see[] = {T_ADMIN, T_SYT_MANAGER, T_SD_MANAGER};
    const char *blind[] = {T_SD_REPORTER, T_SYT_VIEWER, T_INTEGRATION};
    const char *list = fmt("/api/v1/staff?q=%s", code);
    for (int i = 0; i < 3; i++) {
        resp *r = http_get(staff_path(id), see[i]);
        ASSERT_STATUS(r, 200);
        ck_assert(json_is_true(json_object_get(r->json, "party_member")));
        resp_free(r);
        r = http_get(list, see[i]);
        ASSERT_STATUS(r, 200);
        ck_assert_int_eq(jint(r, "total"), 1);
        ck_assert(json_is_true(json_object_get(json_array_get(json_object_get(r->json, "items"), 0), "party_member")));
        resp_free(r);
    }
    for (int i = 0; i < 3; i++) {
        resp *r = http_get(staff_path(id), blind[i]);
        ASSERT_STATUS(r, 200);
        ck_assert_ptr_null(json_object_get(r->json, "party_member"));
        ck_assert_ptr_null(strstr(r->body, "party_member"));
        ck_assert_str_eq(jstr(r, "code"), code);
        resp_free(r);
        r = http_get(list, blind[i]);
        ASSERT_STATUS(r, 200);
        ck_assert_int_eq(jint(r, "total"), 1);
        ck_assert_ptr_null(strstr(r->body, "party_member"));
        resp_free(r);
        /* Nor in the CSV: the column is left out. */
        req_opts o = {.token = blind[i], .headers = {"Accept: text/csv"}};
        r = http_do("GET", list, &o);
        ASSERT_STATUS(r, 200);
        ck_assert_ptr_null(strstr(r->body, "party_member"));
        ck_assert_ptr_nonnull(strstr(r->body, code));
        resp_free(r);
    }
}
END_TEST

START_TEST(invalid_staff_bodies_are_422_and_write_nothing)
{
    char unit[40], code[48];
    make_unit("TYT-ANLAC", unit, sizeof unit);
    snprintf(code, sizeof code, "SV-%s", uniq());

    json_t *b = staff_body(code, "Lê Thị Mai", unit);
    json_object_set_new(b, "job_group", json_string("nures"));
    resp *r = send_obj("POST", "/api/v1/staff", T_SD_MANAGER, b);
    assert_one_error(r, "job_group", NULL);
    resp_free(r);

    b = staff_body(code, "Lê Thị Mai", unit);
    json_object_set_new(b, "employment", json_string("volunteer"));
    r = send_obj("POST", "/api/v1/staff", T_SD_MANAGER, b);
    assert_one_error(r, "employment", NULL);
    resp_free(r);

    b = staff_body(code, "Lê Thị Mai", unit);
    json_object_set_new(b, "joined_on", json_string("2024-05-01"));
    json_object_set_new(b, "left_on", json_string("2024-04-30"));
    r = send_obj("POST", "/api/v1/staff", T_SD_MANAGER, b);
    assert_one_error(r, "left_on", NULL);
    resp_free(r);

    b = staff_body(code, "Lê Thị Mai", unit);
    json_object_set_new(b, "joined_on", json_string("2099-01-01"));
    r = send_obj("POST", "/api/v1/staff", T_SD_MANAGER, b);
    assert_one_error(r, "joined_on", "must not be in the future");
    resp_free(r);

    b = staff_body(code, "Lê Thị Mai", unit);
    json_object_set_new(b, "vneid_confirmed_on", json_string("2099-01-01"));
    r = send_obj("POST", "/api/v1/staff", T_SD_MANAGER, b);
    assert_one_error(r, "vneid_confirmed_on", "must not be in the future");
    resp_free(r);

    b = staff_body(code, "Lê Thị Mai", unit);
    json_object_set_new(b, "national_id", json_string("001234567890"));
    r = send_obj("POST", "/api/v1/staff", T_SD_MANAGER, b);
    assert_one_error(r, "national_id", "is not a field of this resource");
    resp_free(r);

    /* A unit outside the manager's subtree does not exist for it. */
    r = send_obj("POST", "/api/v1/staff", T_SD_MANAGER, staff_body(code, "Lê Thị Mai", "24001"));
    assert_one_error(r, "unit_code", "no such unit");
    resp_free(r);

    b = staff_body("bad code!", "Lê Thị Mai", unit);
    r = send_obj("POST", "/api/v1/staff", T_SD_MANAGER, b);
    assert_one_error(r, "code", NULL);
    resp_free(r);

    r = http_send_json("POST", "/api/v1/staff", T_SD_MANAGER, "{}");
    ASSERT_STATUS(r, 422);
    const char *required[] = {"code", "full_name", "job_group", "employment", "joined_on", "unit_id"};
    ck_assert_uint_eq(nerrors(r), 6);
    for (size_t i = 0; i < 6; i++) {
        int found = 0;
        for (size_t k = 0; k < nerrors(r); k++) found += strcmp(err_field(r, k), required[i]) == 0;
        ck_assert_msg(found == 1, "no error for %s in %s", required[i], r->body);
    }
    resp_free(r);

    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1", code), 0);
}
END_TEST

START_TEST(inactive_job_group_is_kept_but_not_given_anew)
{
    char jg[48], unit[40], c1[48], c2[48];
    const char *u = uniq();
    snprintf(jg, sizeof jg, "jg_%s", u);
    snprintf(c1, sizeof c1, "SJ1-%s", u);
    snprintf(c2, sizeof c2, "SJ2-%s", u);
    make_unit("TYT-ANLAC", unit, sizeof unit);
    resp *r = http_send_json("PUT", fmt("/api/v1/job-groups/%s", jg), T_ADMIN,
                             "{\"label_vi\":\"Y sĩ\",\"label_en\":\"Assistant doctor\"}");
    ASSERT_STATUS(r, 201);
    resp_free(r);
    json_t *b = staff_body(c1, "Đỗ Văn Hùng", unit);
    json_object_set_new(b, "job_group", json_string(jg));
    long long id = make_staff(T_SD_MANAGER, b);

    r = http_send_json("PUT", fmt("/api/v1/job-groups/%s", jg), T_ADMIN,
                       "{\"label_vi\":\"Y sĩ\",\"label_en\":\"Assistant doctor\",\"active\":false}");
    ASSERT_STATUS(r, 200);
    ck_assert(json_is_false(json_object_get(r->json, "active")));
    resp_free(r);

    b = staff_body(c2, "Đỗ Thị Hằng", unit);
    json_object_set_new(b, "job_group", json_string(jg));
    r = send_obj("POST", "/api/v1/staff", T_SD_MANAGER, b);
    assert_one_error(r, "job_group", fmt("\"%s\" is not an active job group code (see /api/v1/job-groups)", jg));
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1", c2), 0);

    /* The staff member who has it keeps it. */
    r = http_get(staff_path(id), T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "job_group"), jg);
    resp_free(r);
    /* Changing someone to it is refused too. */
    char c3[48];
    snprintf(c3, sizeof c3, "SJ3-%s", u);
    long long other = make_staff(T_SD_MANAGER, staff_body(c3, "Vũ Văn Long", unit));
    r = send_obj("PATCH", staff_path(other), T_SD_MANAGER, json_pack("{s:s}", "job_group", jg));
    assert_one_error(r, "job_group", NULL);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 AND job_group = 'nurse'", c3), 1);
}
END_TEST

/* ---- scope and roles ---------------------------------------------------------------------- */

START_TEST(staff_outside_the_subtree_are_404_and_lists_hold_the_subtree_only)
{
    char code[48];
    snprintf(code, sizeof code, "SH-%s", uniq());
    long long id = make_staff(T_ADMIN, staff_body(code, "Bác sĩ Bệnh viện Tỉnh", "24001"));

    resp *r = http_get(staff_path(id), T_SD_REPORTER);
    ASSERT_STATUS(r, 404);
    resp *missing = http_get("/api/v1/staff/999999999", T_SD_REPORTER);
    ASSERT_STATUS(missing, 404);
    ck_assert_str_eq(jstr(r, "detail"), jstr(missing, "detail")); /* the same as one that does not exist */
    resp_free(r);
    resp_free(missing);
    r = send_obj("PATCH", staff_path(id), T_SD_MANAGER, json_pack("{s:s}", "full_name", "X"));
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_do("DELETE", staff_path(id), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 404);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 AND full_name = 'Bác sĩ Bệnh viện Tỉnh'", code), 1);

    /* The province's viewer and the integration see it; Sơn Động's callers do not find it. */
    const char *list = fmt("/api/v1/staff?q=%s", code);
    assert_list(T_SYT_VIEWER, list, 1, code, "");
    assert_list(T_INTEGRATION, list, 1, code, "");
    assert_list(T_SD_REPORTER, list, 0, code, "");
    assert_list(T_SD_MANAGER, list, 0, code, "");

    /* The reporter's list is exactly the staff of units under TTYT-SD. */
    r = http_get("/api/v1/staff?limit=1000", T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), db_count("SELECT count(*) FROM staff s JOIN units u ON u.id = s.unit_id"
                                                " WHERE u.path <@ (SELECT path FROM units WHERE code = $1)", "TTYT-SD"));
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r->json, "items"), i, it)
        ck_assert_int_eq(db_count("SELECT count(*) FROM staff s JOIN units u ON u.id = s.unit_id WHERE s.code = $1"
                                  " AND u.path <@ (SELECT path FROM units WHERE code = 'TTYT-SD')",
                                  json_string_value(json_object_get(it, "code"))), 1);
    resp_free(r);
}
END_TEST

START_TEST(viewer_cannot_create_and_reporter_cannot_delete_403)
{
    char code[48];
    snprintf(code, sizeof code, "SR-%s", uniq());
    const char *readers[] = {T_SYT_VIEWER, T_INTEGRATION};
    for (int i = 0; i < 2; i++) {
        resp *r = send_obj("POST", "/api/v1/staff", readers[i], staff_body(code, "Không Được Tạo", "TYT-ANLAC"));
        ASSERT_STATUS(r, 403);
        ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:forbidden");
        resp_free(r);
    }
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1", code), 0);

    long long id = make_staff(T_SD_REPORTER, staff_body(code, "Lò Văn Páo", "TYT-ANLAC"));
    resp *r = http_do("DELETE", staff_path(id), &(req_opts){.token = T_SD_REPORTER});
    ASSERT_STATUS(r, 403);
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:forbidden");
    resp_free(r);
    r = send_obj("PATCH", staff_path(id), T_SYT_VIEWER, json_pack("{s:s}", "full_name", "X"));
    ASSERT_STATUS(r, 403);
    resp_free(r);
    /* A reporter may change the staff of its units. */
    r = send_obj("PATCH", staff_path(id), T_SD_REPORTER, json_pack("{s:s}", "full_name", "Lò Văn Pảo"));
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "full_name"), "Lò Văn Pảo");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 AND full_name = 'Lò Văn Pảo'", code), 1);
    r = http_get(staff_path(id), NULL);
    ASSERT_STATUS(r, 401);
    resp_free(r);
}
END_TEST

/* ---- list filters ------------------------------------------------------------------------- */

START_TEST(list_filters_by_unit_subtree_job_group_and_employment)
{
    char u1[40], u2[40], p[40];
    long long id1 = make_unit("TYT-ANLAC", u1, sizeof u1);
    long long id2 = make_unit(u1, u2, sizeof u2);
    snprintf(p, sizeof p, "SF-%s-", uniq());
    add_staff(fmt("%sa", p), "Nguyễn Văn A", u1, "nurse", "contract", "2020-01-01", NULL);
    add_staff(fmt("%sb", p), "Nguyễn Văn B", u2, "doctor", "civil_servant", "2020-01-01", NULL);
    add_staff(fmt("%sc", p), "Nguyễn Văn C", u1, "midwife", "public_employee", "2020-01-01", NULL);

    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?unit_id=%lld", id1), 2, p, "a,c");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?unit_id=%lld", id2), 1, p, "b");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld", id1), 3, p, "a,b,c");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld", id2), 1, p, "b");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&job_group=doctor", id1), 1, p, "b");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&job_group=pharmacist", id1), 0, p, "");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&employment=contract", id1), 1, p, "a");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&employment=public_employee&job_group=midwife", id1), 1, p, "c");
    /* Another unit's filter, outside the caller's subtree: nothing. */
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld", unit_id("24001")), 0, p, "");
}
END_TEST

START_TEST(active_on_counts_the_last_day_as_a_working_day)
{
    char u[40], p[40];
    long long uid = make_unit("TYT-ANLAC", u, sizeof u);
    snprintf(p, sizeof p, "SA-%s-", uniq());
    add_staff(fmt("%sleft", p), "Người Đã Nghỉ", u, "nurse", "contract", "2020-01-01", "2025-06-30");
    add_staff(fmt("%snew", p), "Người Mới Vào", u, "nurse", "contract", "2025-07-01", NULL);

    assert_list(T_SD_MANAGER, fmt("/api/v1/staff?under=%lld&active=true&active_on=2025-06-30", uid), 1, p, "left");
    assert_list(T_SD_MANAGER, fmt("/api/v1/staff?under=%lld&active_on=2025-06-30", uid), 1, p, "left");
    assert_list(T_SD_MANAGER, fmt("/api/v1/staff?under=%lld&active=true&active_on=2025-07-01", uid), 1, p, "new");
    assert_list(T_SD_MANAGER, fmt("/api/v1/staff?under=%lld&active=false&active_on=2025-07-01", uid), 1, p, "left");
    assert_list(T_SD_MANAGER, fmt("/api/v1/staff?under=%lld&active=false&active_on=2025-06-30", uid), 1, p, "new");
    assert_list(T_SD_MANAGER, fmt("/api/v1/staff?under=%lld&active_on=2019-12-31", uid), 0, p, "");
    /* Without active_on: today. */
    assert_list(T_SD_MANAGER, fmt("/api/v1/staff?under=%lld&active=true", uid), 1, p, "new");
    assert_list(T_SD_MANAGER, fmt("/api/v1/staff?under=%lld&active=false", uid), 1, p, "left");
    assert_list(T_SD_MANAGER, fmt("/api/v1/staff?under=%lld", uid), 2, p, "left,new");
}
END_TEST

START_TEST(has_completion_counts_campaign_courses_only_and_vneid_filter)
{
    char u[40], p[40], k1[64], k2[64];
    long long uid = make_unit("TYT-ANLAC", u, sizeof u);
    const char *q = uniq();
    snprintf(p, sizeof p, "SK-%s-", q);
    snprintf(k1, sizeof k1, "course-v1:TEST+HC%s+yes", q);
    snprintf(k2, sizeof k2, "course-v1:TEST+HC%s+no", q);
    make_course(k1, 1);
    make_course(k2, 0);
    json_t *b = staff_body(fmt("%sa", p), "Có Khoá Tính", u);
    json_object_set_new(b, "vneid_confirmed_on", json_string("2025-09-15"));
    make_staff(T_SD_MANAGER, b);
    add_staff(fmt("%sb", p), "Có Khoá Không Tính", u, "nurse", "contract", "2020-01-01", NULL);
    add_staff(fmt("%sc", p), "Chưa Học", u, "nurse", "contract", "2020-01-01", NULL);
    add_completion(fmt("%sa", p), k1, "2025-10-01");
    add_completion(fmt("%sb", p), k2, "2025-10-01");

    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&has_completion=true", uid), 1, p, "a");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&has_completion=false", uid), 2, p, "b,c");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&vneid_confirmed=true", uid), 1, p, "a");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&vneid_confirmed=false", uid), 2, p, "b,c");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&vneid_confirmed=false&has_completion=false", uid), 2, p, "b,c");
}
END_TEST

START_TEST(q_ignores_diacritics_and_case_in_names_and_codes)
{
    char u[40], p[40];
    long long uid = make_unit("TYT-ANLAC", u, sizeof u);
    snprintf(p, sizeof p, "SQ-%s-", uniq());
    add_staff(fmt("%shoa", p), "Nguyễn Thị Hoa", u, "nurse", "contract", "2020-01-01", NULL);
    add_staff(fmt("%sduc", p), "Đặng Văn Đức", u, "doctor", "contract", "2020-01-01", NULL);
    add_staff(fmt("%snam", p), "Trần Văn Nam", u, "doctor", "contract", "2020-01-01", NULL);

    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&q=nguyen%%20thi%%20hoa", uid), 1, p, "hoa");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&q=NGUYEN%%20THI%%20HOA", uid), 1, p, "hoa");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&q=dang%%20van%%20duc", uid), 1, p, "duc");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&q=%%C4%%90%%E1%%BA%%B7ng", uid), 1, p, "duc"); /* Đặng */
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&q=van", uid), 2, p, "duc,nam");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&q=nguyen%%20van", uid), 0, p, "");
    /* The code, whatever the case. */
    char upper[48];
    snprintf(upper, sizeof upper, "%sNAM", p);
    for (char *c = upper; *c; c++) *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?q=%s", upper), 1, p, "nam");
}
END_TEST

START_TEST(sort_paging_and_updated_since)
{
    char u[40], p[40];
    long long uid = make_unit("TYT-ANLAC", u, sizeof u);
    snprintf(p, sizeof p, "SS-%s-", uniq());
    add_staff(fmt("%sb", p), "Ánh Văn", u, "nurse", "contract", "2018-05-01", NULL);
    add_staff(fmt("%sc", p), "Bùi Thị", u, "nurse", "contract", "2021-05-01", NULL);
    long long a = add_staff(fmt("%sa", p), "Châu Long", u, "nurse", "contract", "2019-05-01", NULL);

    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&sort=code", uid), 3, p, "a,b,c");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&sort=-code", uid), 3, p, "c,b,a");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&sort=full_name", uid), 3, p, "b,c,a");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&sort=-full_name", uid), 3, p, "a,c,b");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&sort=joined_on", uid), 3, p, "b,a,c");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&sort=-joined_on", uid), 3, p, "c,a,b");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&sort=id", uid), 3, p, "b,c,a");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&sort=-id", uid), 3, p, "a,c,b");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&sort=code&limit=2", uid), 3, p, "a,b");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&sort=code&limit=2&offset=2", uid), 3, p, "c");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&sort=code&offset=5", uid), 3, p, "");
    resp *r = http_get(fmt("/api/v1/staff?under=%lld&limit=2&offset=1", uid), T_SD_REPORTER);
    ck_assert_int_eq(jint(r, "limit"), 2);
    ck_assert_int_eq(jint(r, "offset"), 1);
    resp_free(r);

    /* updated_since: only what changed at or after the moment given. */
    sleep(2);
    r = send_obj("PATCH", staff_path(a), T_SD_MANAGER, json_pack("{s:s}", "vneid_source", "Công an xã"));
    ASSERT_STATUS(r, 200);
    char since[32];
    snprintf(since, sizeof since, "%s", jstr(r, "updated_at"));
    resp_free(r);
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&updated_since=%s", uid, since), 1, p, "a");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&updated_since=2000-01-01T00:00:00Z", uid), 3, p, "a,b,c");
    assert_list(T_SD_REPORTER, fmt("/api/v1/staff?under=%lld&updated_since=2999-01-01T00:00:00Z", uid), 0, p, "");

    const char *bad[] = {"sort=colour", "active=yes", "active_on=2025-13-01", "unit_id=abc", "under=-1", "limit=0",
                         "limit=1001", "offset=-1", "has_completion=maybe", "vneid_confirmed=2", "updated_since=yesterday",
                         "colour=red", "q=", NULL};
    for (int i = 0; bad[i]; i++) {
        r = http_get(fmt("/api/v1/staff?%s", bad[i]), T_SD_REPORTER);
        ck_assert_msg(r->status == 400, "%s gave %ld", bad[i], r->status);
        ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:bad-request");
        resp_free(r);
    }
}
END_TEST

START_TEST(csv_export_with_bom_has_party_column_for_managers_only)
{
    char u[40], code[48];
    long long uid = make_unit("TYT-ANLAC", u, sizeof u);
    snprintf(code, sizeof code, "SV-%s", uniq());
    json_t *b = staff_body(code, "Hà Thị \"Thu\", Y sĩ", u);
    json_object_set_new(b, "party_member", json_true());
    json_object_set_new(b, "left_on", json_string("2025-06-30"));
    long long id = make_staff(T_SD_MANAGER, b);
    const char *path = fmt("/api/v1/staff?under=%lld&bom=true", uid);

    req_opts o = {.token = T_SD_MANAGER, .headers = {"Accept: text/csv"}};
    resp *r = http_do("GET", path, &o);
    ASSERT_STATUS(r, 200);
    char ct[64];
    ck_assert_str_eq(resp_header(r, "Content-Type", ct, sizeof ct), "text/csv; charset=utf-8");
    ck_assert_int_eq(memcmp(r->body, "\xEF\xBB\xBF", 3), 0);
    const char *header = "id,code,full_name,unit_id,unit_code,job_group,employment,party_member,joined_on,left_on,"
                         "vneid_confirmed_on,vneid_source,created_at,updated_at\r\n";
    ck_assert_msg(strncmp(r->body + 3, header, strlen(header)) == 0, "%s", r->body);
    const char *row = fmt("%lld,%s,\"Hà Thị \"\"Thu\"\", Y sĩ\",%lld,%s,nurse,public_employee,true,2020-01-01,2025-06-30,,,",
                          id, code, uid, u);
    ck_assert_msg(strncmp(r->body + 3 + strlen(header), row, strlen(row)) == 0, "want %s in %s", row, r->body);
    /* Header and one row, each ended by CRLF. */
    int lines = 0;
    for (const char *c = r->body; (c = strstr(c, "\r\n")) != NULL; c += 2) lines++;
    ck_assert_int_eq(lines, 2);
    resp_free(r);

    o.token = T_SD_REPORTER;
    r = http_do("GET", path, &o);
    ASSERT_STATUS(r, 200);
    const char *header2 = "id,code,full_name,unit_id,unit_code,job_group,employment,joined_on,left_on,"
                          "vneid_confirmed_on,vneid_source,created_at,updated_at\r\n";
    ck_assert_msg(strncmp(r->body + 3, header2, strlen(header2)) == 0, "%s", r->body);
    row = fmt("%lld,%s,\"Hà Thị \"\"Thu\"\", Y sĩ\",%lld,%s,nurse,public_employee,2020-01-01,2025-06-30,,,", id, code, uid, u);
    ck_assert_msg(strncmp(r->body + 3 + strlen(header2), row, strlen(row)) == 0, "want %s in %s", row, r->body);
    resp_free(r);

    /* Without bom=true, no BOM. */
    r = http_do("GET", fmt("/api/v1/staff?under=%lld", uid), &o);
    ck_assert_int_eq(strncmp(r->body, "id,code,", 8), 0);
    resp_free(r);
}
END_TEST

/* ---- update and delete -------------------------------------------------------------------- */

START_TEST(patch_with_if_match_changes_fields_and_stale_etag_is_412)
{
    char u[40], code[48];
    make_unit("TYT-ANLAC", u, sizeof u);
    snprintf(code, sizeof code, "SU-%s", uniq());
    json_t *b = staff_body(code, "Mai Văn Tú", u);
    json_object_set_new(b, "left_on", json_string("2025-12-31"));
    json_object_set_new(b, "vneid_source", json_string("VNeID"));
    long long id = make_staff(T_SD_MANAGER, b);

    resp *r = http_get(staff_path(id), T_SD_MANAGER);
    char etag[64], hdr[96];
    resp_header(r, "ETag", etag, sizeof etag);
    resp_free(r);
    snprintf(hdr, sizeof hdr, "If-Match: %s", etag);
    r = do_with("PATCH", staff_path(id), T_SD_MANAGER,
                "{\"full_name\":\"Mai Văn Tú (BS)\",\"job_group\":\"doctor\",\"left_on\":null,\"vneid_source\":null,"
                "\"vneid_confirmed_on\":\"2025-10-01\",\"party_member\":true}", hdr, NULL);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "full_name"), "Mai Văn Tú (BS)");
    ck_assert_str_eq(jstr(r, "job_group"), "doctor");
    ck_assert_str_eq(jstr(r, "employment"), "public_employee"); /* not sent: unchanged */
    ck_assert_str_eq(jstr(r, "code"), code);
    ck_assert(json_is_null(json_object_get(r->json, "left_on")));
    ck_assert(json_is_null(json_object_get(r->json, "vneid_source")));
    ck_assert_str_eq(jstr(r, "vneid_confirmed_on"), "2025-10-01");
    ck_assert(json_is_true(json_object_get(r->json, "party_member")));
    char etag2[64];
    ck_assert_msg(is_etag(resp_header(r, "ETag", etag2, sizeof etag2)), "ETag %s", etag2);
    ck_assert_str_ne(etag, etag2);
    resp_free(r);

    r = do_with("PATCH", staff_path(id), T_SD_MANAGER, "{\"full_name\":\"Lost update\"}", hdr, NULL);
    ASSERT_STATUS(r, 412);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE id = $1::bigint AND full_name = 'Mai Văn Tú (BS)'"
                              " AND left_on IS NULL AND vneid_source IS NULL AND party_member", idstr(id)), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'staff' AND entity_id = $1 AND action = 'update'"
                              " AND before->>'full_name' = 'Mai Văn Tú' AND after->>'full_name' = 'Mai Văn Tú (BS)'",
                              idstr(id)), 1);

    /* The rules of creation apply to the result. */
    r = send_obj("PATCH", staff_path(id), T_SD_MANAGER, json_pack("{s:s}", "left_on", "2019-12-31"));
    assert_one_error(r, "left_on", NULL);
    resp_free(r);
    r = send_obj("PATCH", staff_path(id), T_SD_MANAGER, json_pack("{s:s}", "joined_on", "2099-01-01"));
    assert_one_error(r, "joined_on", "must not be in the future");
    resp_free(r);
    r = send_obj("PATCH", staff_path(id), T_SD_MANAGER, json_pack("{s:s}", "nmae", "typo"));
    assert_one_error(r, "nmae", "is not a field of this resource");
    resp_free(r);
    char other[48];
    snprintf(other, sizeof other, "SU2-%s", uniq());
    make_staff(T_SD_MANAGER, staff_body(other, "Người Thứ Hai", u));
    r = send_obj("PATCH", staff_path(id), T_SD_MANAGER, json_pack("{s:s}", "code", other));
    ASSERT_STATUS(r, 409);
    resp_free(r);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM staff WHERE id = $1::bigint AND code = $2 AND left_on IS NULL"
                               " AND joined_on = '2020-01-01'", idstr(id), code), 1);
}
END_TEST

START_TEST(moving_staff_needs_the_target_unit_in_scope)
{
    char u1[40], u2[40], code[48];
    make_unit("TYT-ANLAC", u1, sizeof u1);
    long long id2 = make_unit("TYT-VANSON", u2, sizeof u2);
    snprintf(code, sizeof code, "SM-%s", uniq());
    long long id = make_staff(T_SD_REPORTER, staff_body(code, "Hoàng Thị Yến", u1));

    resp *r = send_obj("PATCH", staff_path(id), T_SD_MANAGER, json_pack("{s:s}", "unit_code", "24001"));
    assert_one_error(r, "unit_code", "no such unit");
    resp_free(r);
    r = send_obj("PATCH", staff_path(id), T_SD_REPORTER, json_pack("{s:I}", "unit_id", (json_int_t)unit_id("SYT-BN")));
    assert_one_error(r, "unit_id", "no such unit");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff s JOIN units u ON u.id = s.unit_id WHERE s.code = $1"
                              " AND u.code LIKE 'SU-%'", code), 1);

    r = send_obj("PATCH", staff_path(id), T_SD_REPORTER, json_pack("{s:s}", "unit_code", u2));
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "unit_code"), u2);
    ck_assert_int_eq(jint(r, "unit_id"), id2);
    resp_free(r);
    /* An admin may move it anywhere; then it is out of Sơn Động's reach. */
    r = send_obj("PATCH", staff_path(id), T_ADMIN, json_pack("{s:s}", "unit_code", "24001"));
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "unit_code"), "24001");
    resp_free(r);
    r = http_get(staff_path(id), T_SD_MANAGER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
}
END_TEST

START_TEST(delete_removes_the_staff_member_with_completions_and_attestations)
{
    char u[40], code[48], course[64];
    make_unit("TYT-ANLAC", u, sizeof u);
    const char *q = uniq();
    snprintf(code, sizeof code, "SX-%s", q);
    snprintf(course, sizeof course, "course-v1:TEST+DEL%s+1", q);
    long long id = make_staff(T_SD_MANAGER, staff_body(code, "Người Sẽ Bị Xoá", u));
    long long cid = make_course(course, 1);
    add_completion(code, course, "2025-01-10");
    resp *r = send_obj("POST", "/api/v1/attestations", T_SD_MANAGER,
                       json_pack("{s:s, s:s, s:s}", "staff_code", code, "skill", "emr", "attested_on", "2025-02-01"));
    ASSERT_STATUS(r, 201);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM completions WHERE staff_id = $1::bigint", idstr(id)), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM attestations WHERE staff_id = $1::bigint", idstr(id)), 1);

    r = http_do("DELETE", staff_path(id), &(req_opts){.token = T_SD_REPORTER});
    ASSERT_STATUS(r, 403);
    resp_free(r);
    /* A stale If-Match is refused. */
    r = http_do("DELETE", staff_path(id), &(req_opts){.token = T_SD_MANAGER, .headers = {"If-Match: \"0000000000000000\""}});
    ASSERT_STATUS(r, 412);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE id = $1::bigint", idstr(id)), 1);

    r = http_do("DELETE", staff_path(id), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 204);
    ck_assert_uint_eq(r->len, 0);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE id = $1::bigint", idstr(id)), 0);
    ck_assert_int_eq(db_count("SELECT count(*) FROM completions WHERE staff_id = $1::bigint", idstr(id)), 0);
    ck_assert_int_eq(db_count("SELECT count(*) FROM attestations WHERE staff_id = $1::bigint", idstr(id)), 0);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'staff' AND entity_id = $1 AND action = 'delete'"
                              " AND username = 'sondong.manager' AND before->>'code' IS NOT NULL AND after IS NULL",
                              idstr(id)), 1);
    r = http_get(staff_path(id), T_SD_MANAGER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_do("DELETE", staff_path(id), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 404);
    resp_free(r);
    /* The course, no longer completed by anyone, can go. */
    r = http_do("DELETE", fmt("/api/v1/courses/%lld", cid), &(req_opts){.token = T_ADMIN});
    ASSERT_STATUS(r, 204);
    resp_free(r);
}
END_TEST

/* ---- the audit trail of reads ------------------------------------------------------------- */

static long long reads_with(const char *rid)
{
    return db_count("SELECT count(*) FROM audit_log WHERE action = 'read' AND entity = 'staff' AND client_request_id = $1", rid);
}

START_TEST(every_staff_read_leaves_one_audit_row_with_the_request_id)
{
    char u[40], code[48], rid[64], hdr[96];
    long long uid = make_unit("TYT-ANLAC", u, sizeof u);
    snprintf(code, sizeof code, "SAU-%s", uniq());
    long long id = make_staff(T_SD_MANAGER, staff_body(code, "Người Được Đọc", u));

    /* A JSON list. */
    snprintf(rid, sizeof rid, "staff-read-%s", uniq());
    snprintf(hdr, sizeof hdr, "X-Request-Id: %s", rid);
    resp *r = do_with("GET", fmt("/api/v1/staff?under=%lld&q=nguoi", uid), T_SD_REPORTER, NULL, hdr, NULL);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 1);
    char got[80];
    /* The answer carries the server's own id, the audit key; the client's is kept beside it. */
    ck_assert_str_ne(resp_header(r, "X-Request-Id", got, sizeof got), rid);
    resp_free(r);
    ck_assert_int_eq(reads_with(rid), 1);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM audit_log WHERE request_id = $1 AND client_request_id = $2", got, rid), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE action = 'read' AND entity = 'staff' AND client_request_id = $1"
                              " AND username = 'sondong.reporter' AND after->'query'->>'q' = 'nguoi'"
                              " AND (after->>'returned')::int = 1 AND (after->>'total')::int = 1", rid), 1);

    /* A CSV export. */
    snprintf(rid, sizeof rid, "staff-csv-%s", uniq());
    snprintf(hdr, sizeof hdr, "X-Request-Id: %s", rid);
    r = do_with("GET", fmt("/api/v1/staff?under=%lld", uid), T_SYT_VIEWER, NULL, hdr, "Accept: text/csv");
    ASSERT_STATUS(r, 200);
    resp_free(r);
    ck_assert_int_eq(reads_with(rid), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE client_request_id = $1 AND after->>'format' = 'csv'"
                              " AND username = 'syt.viewer'", rid), 1);

    /* An empty page is a read too. */
    snprintf(rid, sizeof rid, "staff-empty-%s", uniq());
    snprintf(hdr, sizeof hdr, "X-Request-Id: %s", rid);
    r = do_with("GET", fmt("/api/v1/staff?under=%lld&offset=10", uid), T_INTEGRATION, NULL, hdr, NULL);
    ASSERT_STATUS(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 0);
    resp_free(r);
    ck_assert_int_eq(reads_with(rid), 1);

    /* One staff member. */
    snprintf(rid, sizeof rid, "staff-one-%s", uniq());
    snprintf(hdr, sizeof hdr, "X-Request-Id: %s", rid);
    r = do_with("GET", staff_path(id), T_SD_REPORTER, NULL, hdr, NULL);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM audit_log WHERE action = 'read' AND entity = 'staff'"
                               " AND client_request_id = $1 AND entity_id = $2", rid, idstr(id)), 1);
    /* A refused query reads nothing and records nothing. */
    snprintf(rid, sizeof rid, "staff-bad-%s", uniq());
    snprintf(hdr, sizeof hdr, "X-Request-Id: %s", rid);
    r = do_with("GET", "/api/v1/staff?sort=colour", T_SD_REPORTER, NULL, hdr, NULL);
    ASSERT_STATUS(r, 400);
    resp_free(r);
    ck_assert_int_eq(reads_with(rid), 0);
}
END_TEST

Suite *staff_suite(void)
{
    Suite *s = suite_create("staff");
    TCase *t = tcase_create("staff");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, manager_creates_staff_201_with_location_etag_and_exact_fields);
    tcase_add_test(t, party_member_defaults_to_false_and_reporter_can_create);
    tcase_add_test(t, party_member_is_shown_to_admin_and_managers_only);
    tcase_add_test(t, invalid_staff_bodies_are_422_and_write_nothing);
    tcase_add_test(t, inactive_job_group_is_kept_but_not_given_anew);
    tcase_add_test(t, staff_outside_the_subtree_are_404_and_lists_hold_the_subtree_only);
    tcase_add_test(t, viewer_cannot_create_and_reporter_cannot_delete_403);
    tcase_add_test(t, list_filters_by_unit_subtree_job_group_and_employment);
    tcase_add_test(t, active_on_counts_the_last_day_as_a_working_day);
    tcase_add_test(t, has_completion_counts_campaign_courses_only_and_vneid_filter);
    tcase_add_test(t, q_ignores_diacritics_and_case_in_names_and_codes);
    tcase_add_test(t, sort_paging_and_updated_since);
    tcase_add_test(t, csv_export_with_bom_has_party_column_for_managers_only);
    tcase_add_test(t, patch_with_if_match_changes_fields_and_stale_etag_is_412);
    tcase_add_test(t, moving_staff_needs_the_target_unit_in_scope);
    tcase_add_test(t, delete_removes_the_staff_member_with_completions_and_attestations);
    tcase_add_test(t, every_staff_read_leaves_one_audit_row_with_the_request_id);
    suite_add_tcase(s, t);
    return s;
}
