/* Learning: reference data (job groups, employment types, skills), courses, course completions
 * and skill attestations. Codes carry uniq() suffixes and staff live in units made for each
 * test under TYT-ANLAC, so that the suite can run again against the same database. */
#include "client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------------------------ */

static resp *do_with(const char *method, const char *path, const char *token, const char *body, const char *h1)
{
    req_opts o = {.token = token, .body = body, .headers = {h1, NULL}};
    return http_do(method, path, &o);
}

/* The values of key in a list's items, in order, each with prefix cut off, joined by ','. */
static const char *item_values(const resp *r, const char *key, const char *prefix)
{
    static char buf[4096];
    size_t w = 0, pl = prefix ? strlen(prefix) : 0;
    buf[0] = '\0';
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r->json, "items"), i, it) {
        json_t *v = json_object_get(it, key);
        char num[32];
        const char *s = json_string_value(v);
        if (s == NULL) snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v)), s = num;
        if (pl && strncmp(s, prefix, pl) == 0) s += pl;
        w += (size_t)snprintf(buf + w, sizeof buf - w, "%s%s", i ? "," : "", s);
    }
    return buf;
}

/* GET path and assert 200, total and the items' key values (prefix cut). */
static void assert_list(const char *token, const char *path, long long total, const char *key, const char *prefix,
                        const char *values)
{
    resp *r = http_get(path, token);
    ck_assert_msg(r->status == 200, "%s: %ld %s", path, r->status, r->body);
    ck_assert_msg(jint(r, "total") == total, "%s: total %lld, want %lld", path, jint(r, "total"), total);
    const char *got = item_values(r, key, prefix);
    ck_assert_msg(strcmp(got, values) == 0, "%s: %s, want %s", path, got, values);
    resp_free(r);
}

static long long make_unit(const char *parent, char *code, size_t len)
{
    return make_test_unit("LU", "Tổ học tập kiểm thử", "other", parent, code, len);
}

static long long make_staff(const char *token, const char *code, const char *unit_code, const char *joined_on)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "code", code, "full_name", "Nhân Viên Học Tập", "unit_code",
                          unit_code, "job_group", "nurse", "employment", "contract", "joined_on", joined_on);
    return created_id(send_obj("POST", "/api/v1/staff", token, o));
}

static long long make_course(const char *code, const char *title, int counts)
{
    json_t *o = json_pack("{s:s, s:s, s:b}", "code", code, "title", title, "counts_for_campaign", counts);
    return created_id(send_obj("POST", "/api/v1/courses", T_ADMIN, o));
}

static long long make_completion(const char *token, const char *staff_code, const char *course_code, const char *on)
{
    json_t *o = json_pack("{s:s, s:s, s:s}", "staff_code", staff_code, "course_code", course_code, "completed_on", on);
    return created_id(send_obj("POST", "/api/v1/completions", token, o));
}

static resp *post_attestation(const char *token, const char *staff_code, const char *skill, const char *on)
{
    return send_obj("POST", "/api/v1/attestations", token,
                    json_pack("{s:s, s:s, s:s}", "staff_code", staff_code, "skill", skill, "attested_on", on));
}

static resp *put_ref(const char *kind, const char *code, const char *token, const char *body)
{
    return http_send_json("PUT", fmt("/api/v1/%s/%s", kind, code), token, body);
}

/* ---- reference data ----------------------------------------------------------------------- */

/* The seeded codes of a list, in the order listed (codes made by tests are skipped), joined. */
static const char *seeded_in_order(const resp *r, const char *const *seeded)
{
    static char buf[1024];
    size_t w = 0;
    buf[0] = '\0';
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r->json, "items"), i, it) {
        const char *c = json_string_value(json_object_get(it, "code"));
        for (int k = 0; seeded[k]; k++)
            if (strcmp(c, seeded[k]) == 0) w += (size_t)snprintf(buf + w, sizeof buf - w, "%s%s", w ? "," : "", c);
    }
    return buf;
}

START_TEST(reference_lists_hold_the_seeded_codes_sorted_by_code)
{
    static const char *const skills[] = {"digital_awareness", "emr", "e_prescription", "e_hospital", "station_software",
                                         "digital_signature", "cashless_payment", "smart_devices", NULL};
    static const char *const groups[] = {"doctor", "nurse", "midwife", "technician", "pharmacist", "admin",
                                         "village_health_worker", "other", NULL};
    static const char *const employment[] = {"civil_servant", "public_employee", "contract", NULL};
    struct {
        const char *path, *table;
        const char *const *seeded;
        const char *order;
    } lists[] = {
        {"/api/v1/skills?limit=1000", "skills", skills,
         "cashless_payment,digital_awareness,digital_signature,e_hospital,e_prescription,emr,smart_devices,station_software"},
        {"/api/v1/job-groups?limit=1000", "job_groups", groups,
         "admin,doctor,midwife,nurse,other,pharmacist,technician,village_health_worker"},
        {"/api/v1/employment-types?limit=1000", "employment_types", employment, "civil_servant,contract,public_employee"},
    };
    for (int l = 0; l < 3; l++) {
        resp *r = http_get(lists[l].path, T_SYT_VIEWER);
        ASSERT_STATUS(r, 200);
        ck_assert_str_eq(seeded_in_order(r, lists[l].seeded), lists[l].order);
        ck_assert_int_eq(jint(r, "total"), db_count(fmt("SELECT count(*) FROM %s", lists[l].table), NULL));
        ck_assert_int_eq(jint(r, "limit"), 1000);
        ck_assert_int_eq(jint(r, "offset"), 0);
        /* Sorted by code throughout. */
        json_t *items = json_object_get(r->json, "items");
        for (size_t i = 1; i < json_array_size(items); i++)
            ck_assert_int_lt(strcmp(json_string_value(json_object_get(json_array_get(items, i - 1), "code")),
                                    json_string_value(json_object_get(json_array_get(items, i), "code"))), 0);
        resp_free(r);
    }
    /* An item in full. */
    resp *r = http_get("/api/v1/skills?limit=1000", T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    size_t i;
    json_t *it;
    int found = 0;
    json_array_foreach(json_object_get(r->json, "items"), i, it) {
        if (strcmp(json_string_value(json_object_get(it, "code")), "emr") != 0) continue;
        found = 1;
        ck_assert_uint_eq(json_object_size(it), 4);
        ck_assert_str_eq(json_string_value(json_object_get(it, "label_vi")), "Sử dụng hồ sơ bệnh án điện tử");
        ck_assert_str_eq(json_string_value(json_object_get(it, "label_en")), "Electronic medical records");
        ck_assert(json_is_true(json_object_get(it, "active")));
    }
    ck_assert_int_eq(found, 1);
    resp_free(r);
    /* Paging: limit and offset only. */
    r = http_get("/api/v1/employment-types?limit=1&offset=1", T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r->json, "items"), 0), "code")),
                     "contract");
    resp_free(r);
    const char *bad[] = {"/api/v1/skills?limit=0", "/api/v1/skills?offset=-1", "/api/v1/job-groups?sort=code",
                         "/api/v1/employment-types?active=true", NULL};
    assert_each_400(T_ADMIN, "", bad);
    /* As CSV. */
    req_opts o = {.token = T_SYT_VIEWER, .headers = {"Accept: text/csv"}};
    r = http_do("GET", "/api/v1/employment-types?limit=1", &o);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(r->body, "code,label_vi,label_en,active\r\ncivil_servant,Công chức,Civil servant,true\r\n");
    resp_free(r);
    r = http_get("/api/v1/skills", NULL);
    ASSERT_STATUS(r, 401);
    resp_free(r);
}
END_TEST

START_TEST(admin_put_creates_201_then_replaces_200)
{
    char code[48];
    snprintf(code, sizeof code, "sk_%s", uniq());
    resp *r = put_ref("skills", code, T_ADMIN, "{\"label_vi\":\"Sử dụng chatbot y tế\",\"label_en\":\"Medical chatbots\"}");
    ASSERT_STATUS(r, 201);
    char loc[128];
    ck_assert_str_eq(resp_header(r, "Location", loc, sizeof loc), fmt("/api/v1/skills/%s", code));
    ck_assert_uint_eq(json_object_size(r->json), 4);
    ck_assert_str_eq(jstr(r, "code"), code);
    ck_assert_str_eq(jstr(r, "label_vi"), "Sử dụng chatbot y tế");
    ck_assert_str_eq(jstr(r, "label_en"), "Medical chatbots");
    ck_assert(json_is_true(json_object_get(r->json, "active"))); /* a new code is active unless told */
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'skill' AND entity_id = $1 AND action = 'create'"
                              " AND username = 'admin'", code), 1);

    r = put_ref("skills", code, T_ADMIN, "{\"label_vi\":\"Chatbot y tế\",\"label_en\":\"Health chatbots\",\"active\":false}");
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "label_vi"), "Chatbot y tế");
    ck_assert(json_is_false(json_object_get(r->json, "active")));
    resp_free(r);
    /* active left out: unchanged for an existing code. */
    r = put_ref("skills", code, T_ADMIN, "{\"label_vi\":\"Chatbot y tế\",\"label_en\":\"Chatbots\"}");
    ASSERT_STATUS(r, 200);
    ck_assert(json_is_false(json_object_get(r->json, "active")));
    ck_assert_str_eq(jstr(r, "label_en"), "Chatbots");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM skills WHERE code = $1 AND NOT active AND label_en = 'Chatbots'", code), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'skill' AND entity_id = $1 AND action = 'update'"
                              " AND before->>'label_en' = 'Medical chatbots' AND after->>'label_en' = 'Health chatbots'",
                              code), 1);

    /* The other two lists work the same way. */
    char eg[48], jg[48];
    snprintf(eg, sizeof eg, "emp_%s", uniq());
    snprintf(jg, sizeof jg, "jg_%s", uniq());
    r = put_ref("employment-types", eg, T_ADMIN, "{\"label_vi\":\"Cộng tác viên\",\"label_en\":\"Collaborator\"}");
    ASSERT_STATUS(r, 201);
    resp_free(r);
    r = put_ref("employment-types", eg, T_ADMIN, "{\"label_vi\":\"Cộng tác viên\",\"label_en\":\"Collaborator\"}");
    ASSERT_STATUS(r, 200);
    resp_free(r);
    r = put_ref("job-groups", jg, T_ADMIN, "{\"label_vi\":\"Y sĩ\",\"label_en\":\"Physician assistant\",\"active\":false}");
    ASSERT_STATUS(r, 201);
    ck_assert(json_is_false(json_object_get(r->json, "active")));
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM employment_types WHERE code = $1 AND active", eg), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM job_groups WHERE code = $1 AND NOT active", jg), 1);
    /* The new code is listed. */
    r = http_get("/api/v1/employment-types?limit=1000", T_SD_REPORTER);
    ck_assert_ptr_nonnull(strstr(r->body, eg));
    resp_free(r);
}
END_TEST

START_TEST(only_admin_writes_reference_data_403)
{
    char code[48];
    snprintf(code, sizeof code, "sk_%s", uniq());
    const char *tokens[] = {T_SYT_MANAGER, T_SD_MANAGER, T_SD_REPORTER, T_SYT_VIEWER, T_INTEGRATION};
    const char *kinds[] = {"skills", "job-groups", "employment-types"};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 5; i++) {
            resp *r = put_ref(kinds[k], code, tokens[i], "{\"label_vi\":\"Không\",\"label_en\":\"No\"}");
            ASSERT_STATUS(r, 403);
            ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:forbidden");
            resp_free(r);
        }
    /* Nor may a manager change a seeded one. */
    resp *r = put_ref("skills", "emr", T_SD_MANAGER, "{\"label_vi\":\"X\",\"label_en\":\"X\",\"active\":false}");
    ASSERT_STATUS(r, 403);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM skills WHERE code = $1", code), 0);
    ck_assert_int_eq(db_count("SELECT count(*) FROM skills WHERE code = $1 AND active AND label_en = 'Electronic medical records'",
                              "emr"), 1);
}
END_TEST

START_TEST(bad_code_in_path_is_404_and_bad_body_is_422)
{
    const char *bad[] = {"Bad-Code", "EMR", "a", "1abc", "has%20space", fmt("x%040d", 0), NULL};
    for (int i = 0; bad[i]; i++) {
        resp *r = put_ref("skills", bad[i], T_ADMIN, "{\"label_vi\":\"Thử\",\"label_en\":\"Try\"}");
        ck_assert_msg(r->status == 404, "%s gave %ld", bad[i], r->status);
        ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:not-found");
        resp_free(r);
    }
    ck_assert_int_eq(db_count("SELECT count(*) FROM skills WHERE code IN ('a', '1abc', 'bad-code', 'Bad-Code', 'EMR')", NULL), 0);
    char code[48];
    snprintf(code, sizeof code, "sk_%s", uniq());
    resp *r = put_ref("skills", code, T_ADMIN, "{\"label_vi\":\"Thử\"}");
    assert_one_error(r, "label_en", "is required");
    resp_free(r);
    r = put_ref("skills", code, T_ADMIN, "{\"label_vi\":\"Thử\",\"label_en\":\"Try\",\"order\":1}");
    assert_one_error(r, "order", NULL);
    resp_free(r);
    r = put_ref("skills", code, T_ADMIN, "{\"label_vi\":\"\",\"label_en\":\"Try\"}");
    assert_one_error(r, "label_vi", NULL);
    resp_free(r);
    r = put_ref("skills", code, T_ADMIN, "{\"label_vi\":\"Thử\",\"label_en\":\"Try\",\"active\":\"yes\"}");
    assert_one_error(r, "active", NULL);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM skills WHERE code = $1", code), 0);
}
END_TEST

/* ---- courses ------------------------------------------------------------------------------ */

START_TEST(admin_creates_updates_and_deletes_a_course)
{
    char code[80];
    snprintf(code, sizeof code, "course-v1:MOET+T%s+2025-1", uniq());
    resp *r = send_obj("POST", "/api/v1/courses", T_ADMIN,
                       json_pack("{s:s, s:s, s:s}", "code", code, "title", "Kỹ năng số cơ bản cho mọi người", "provider",
                                 "Bộ Giáo dục và Đào tạo"));
    ASSERT_STATUS(r, 201);
    long long id = jint(r, "id");
    char loc[128], etag[64];
    ck_assert_str_eq(resp_header(r, "Location", loc, sizeof loc), fmt("/api/v1/courses/%lld", id));
    ck_assert_msg(is_etag(resp_header(r, "ETag", etag, sizeof etag)), "ETag %s", etag);
    ck_assert_uint_eq(json_object_size(r->json), 7);
    ck_assert_str_eq(jstr(r, "code"), code);
    ck_assert_str_eq(jstr(r, "title"), "Kỹ năng số cơ bản cho mọi người");
    ck_assert_str_eq(jstr(r, "provider"), "Bộ Giáo dục và Đào tạo");
    ck_assert(json_is_true(json_object_get(r->json, "counts_for_campaign"))); /* the default */
    ck_assert(is_timestamp(jstr(r, "created_at")) && is_timestamp(jstr(r, "updated_at")));
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'course' AND action = 'create' AND entity_id = $1",
                              idstr(id)), 1);
    /* Every role reads it, with the same ETag. */
    const char *readers[] = {T_SD_MANAGER, T_SD_REPORTER, T_SYT_VIEWER, T_INTEGRATION};
    for (int i = 0; i < 4; i++) {
        r = http_get(loc, readers[i]);
        ASSERT_STATUS(r, 200);
        char e2[64];
        ck_assert_str_eq(resp_header(r, "ETag", e2, sizeof e2), etag);
        resp_free(r);
    }
    /* The code again: 409. */
    r = send_obj("POST", "/api/v1/courses", T_ADMIN, json_pack("{s:s, s:s}", "code", code, "title", "Trùng"));
    ASSERT_STATUS(r, 409);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM courses WHERE code = $1", code), 1);

    char hdr[96];
    snprintf(hdr, sizeof hdr, "If-Match: %s", etag);
    r = do_with("PATCH", loc, T_ADMIN, "{\"provider\":null,\"counts_for_campaign\":false,\"title\":\"Kỹ năng số nâng cao\"}", hdr);
    ASSERT_STATUS(r, 200);
    ck_assert(json_is_null(json_object_get(r->json, "provider")));
    ck_assert(json_is_false(json_object_get(r->json, "counts_for_campaign")));
    ck_assert_str_eq(jstr(r, "title"), "Kỹ năng số nâng cao");
    ck_assert_str_eq(jstr(r, "code"), code);
    resp_free(r);
    r = do_with("PATCH", loc, T_ADMIN, "{\"title\":\"Lost update\"}", hdr);
    ASSERT_STATUS(r, 412);
    resp_free(r);
    r = send_obj("PATCH", loc, T_ADMIN, json_pack("{s:s}", "colour", "red"));
    assert_one_error(r, "colour", NULL);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM courses WHERE code = $1 AND provider IS NULL AND NOT counts_for_campaign"
                              " AND title = 'Kỹ năng số nâng cao'", code), 1);

    r = http_delete(loc, T_ADMIN);
    ASSERT_STATUS(r, 204);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM courses WHERE code = $1", code), 0);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'course' AND action = 'delete' AND entity_id = $1",
                              idstr(id)), 1);
    r = http_get(loc, T_ADMIN);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_delete(loc, T_ADMIN);
    ASSERT_STATUS(r, 404);
    resp_free(r);
}
END_TEST

START_TEST(course_bodies_are_validated_422)
{
    resp *r = http_send_json("POST", "/api/v1/courses", T_ADMIN, "{}");
    ASSERT_STATUS(r, 422);
    ck_assert_uint_eq(nerrors(r), 2);
    ck_assert_str_eq(err_field(r, 0), "code");
    ck_assert_str_eq(err_field(r, 1), "title");
    resp_free(r);
    char code[128];
    snprintf(code, sizeof code, "course-%s", uniq());
    r = send_obj("POST", "/api/v1/courses", T_ADMIN, json_pack("{s:s, s:s, s:s}", "code", code, "title", "X", "provider", ""));
    assert_one_error(r, "provider", NULL);
    resp_free(r);
    r = send_obj("POST", "/api/v1/courses", T_ADMIN, json_pack("{s:s, s:s, s:i}", "code", code, "title", "X",
                                                                "counts_for_campaign", 1));
    assert_one_error(r, "counts_for_campaign", NULL);
    resp_free(r);
    char longcode[128];
    memset(longcode, 'k', 101);
    longcode[101] = '\0';
    r = send_obj("POST", "/api/v1/courses", T_ADMIN, json_pack("{s:s, s:s}", "code", longcode, "title", "X"));
    assert_one_error(r, "code", NULL);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM courses WHERE code = $1", code), 0);
}
END_TEST

START_TEST(course_with_completions_cannot_be_deleted_409)
{
    char unit[40], staff[48], code[80];
    make_unit("TYT-ANLAC", unit, sizeof unit);
    const char *u = uniq();
    snprintf(staff, sizeof staff, "LS-%s", u);
    snprintf(code, sizeof code, "course-v1:MOET+D%s+1", u);
    make_staff(T_SD_MANAGER, staff, unit, "2020-01-01");
    long long cid = make_course(code, "Khoá có người học", 1);
    long long comp = make_completion(T_SD_REPORTER, staff, code, "2025-05-05");
    resp *r = http_delete(fmt("/api/v1/courses/%lld", cid), T_ADMIN);
    ASSERT_STATUS(r, 409);
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:conflict");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM courses WHERE id = $1::bigint", idstr(cid)), 1);
    r = http_delete(fmt("/api/v1/completions/%lld", comp), T_SD_REPORTER);
    ASSERT_STATUS(r, 204);
    resp_free(r);
    r = http_delete(fmt("/api/v1/courses/%lld", cid), T_ADMIN);
    ASSERT_STATUS(r, 204);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM courses WHERE id = $1::bigint", idstr(cid)), 0);
}
END_TEST

START_TEST(only_admin_writes_courses_403)
{
    char code[80];
    snprintf(code, sizeof code, "course-v1:MOET+R%s+1", uniq());
    long long id = make_course(code, "Khoá chỉ admin sửa", 1);
    const char *tokens[] = {T_SYT_MANAGER, T_SD_MANAGER, T_SD_REPORTER, T_SYT_VIEWER, T_INTEGRATION};
    for (int i = 0; i < 5; i++) {
        resp *r = send_obj("POST", "/api/v1/courses", tokens[i], json_pack("{s:s, s:s}", "code", fmt("%s-x", code), "title", "X"));
        ASSERT_STATUS(r, 403);
        resp_free(r);
        r = send_obj("PATCH", fmt("/api/v1/courses/%lld", id), tokens[i], json_pack("{s:s}", "title", "X"));
        ASSERT_STATUS(r, 403);
        resp_free(r);
        r = http_delete(fmt("/api/v1/courses/%lld", id), tokens[i]);
        ASSERT_STATUS(r, 403);
        resp_free(r);
    }
    ck_assert_int_eq(db_count("SELECT count(*) FROM courses WHERE code = $1 AND title = 'Khoá chỉ admin sửa'", code), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM courses WHERE code = $1", fmt("%s-x", code)), 0);
}
END_TEST

START_TEST(course_list_filters_search_sort_and_csv)
{
    char p[48];
    snprintf(p, sizeof p, "course-v1:T%s+", uniq());
    make_course(fmt("%sb", p), "Kỹ năng số cơ bản", 1);
    make_course(fmt("%sa", p), "An toàn thông tin cho nhân viên y tế", 0);
    make_course(fmt("%sc", p), "Bệnh án điện tử", 1);
    char enc[96];
    size_t w = 0;
    for (const char *c = p; *c; c++) {
        if (*c == ':') w += (size_t)snprintf(enc + w, sizeof enc - w, "%%3A");
        else if (*c == '+') w += (size_t)snprintf(enc + w, sizeof enc - w, "%%2B");
        else enc[w++] = *c, enc[w] = '\0';
    }

    assert_list(T_SD_REPORTER, fmt("/api/v1/courses?q=%s", enc), 3, "code", p, "a,b,c");
    assert_list(T_SD_REPORTER, fmt("/api/v1/courses?q=%s&sort=-code", enc), 3, "code", p, "c,b,a");
    assert_list(T_SD_REPORTER, fmt("/api/v1/courses?q=%s&sort=title", enc), 3, "code", p, "a,c,b");
    assert_list(T_SD_REPORTER, fmt("/api/v1/courses?q=%s&sort=-id", enc), 3, "code", p, "c,a,b");
    assert_list(T_SD_REPORTER, fmt("/api/v1/courses?q=%s&counts_for_campaign=false", enc), 1, "code", p, "a");
    assert_list(T_SD_REPORTER, fmt("/api/v1/courses?q=%s&counts_for_campaign=true", enc), 2, "code", p, "b,c");
    assert_list(T_SD_REPORTER, fmt("/api/v1/courses?q=%s&limit=1&offset=1", enc), 3, "code", p, "b");
    assert_list(T_SD_REPORTER, fmt("/api/v1/courses?q=%s&updated_since=2999-01-01T00:00:00Z", enc), 0, "code", p, "");
    /* The title, ignoring diacritics and case. */
    resp *r = http_get("/api/v1/courses?q=BENH%20AN%20DIEN%20TU&limit=1000", T_SYT_VIEWER);
    ASSERT_STATUS(r, 200);
    ck_assert_ptr_nonnull(strstr(item_values(r, "code", NULL), fmt("%sc", p)));
    resp_free(r);
    /* CSV. */
    req_opts o = {.token = T_INTEGRATION, .headers = {"Accept: text/csv"}};
    r = http_do("GET", fmt("/api/v1/courses?q=%s&counts_for_campaign=false", enc), &o);
    ASSERT_STATUS(r, 200);
    const char *header = "id,code,title,provider,counts_for_campaign,created_at,updated_at\r\n";
    ck_assert_int_eq(strncmp(r->body, header, strlen(header)), 0);
    ck_assert_ptr_nonnull(strstr(r->body, fmt(",%sa,An toàn thông tin cho nhân viên y tế,,false,", p)));
    resp_free(r);
    const char *bad[] = {"sort=colour", "sort=completed_on", "counts_for_campaign=maybe", "updated_since=2025", "unit_id=1", NULL};
    assert_each_400(T_ADMIN, "/api/v1/courses?", bad);
}
END_TEST

/* ---- completions -------------------------------------------------------------------------- */

START_TEST(completion_by_codes_201_and_duplicate_409)
{
    char unit[40], staff[48], course[80];
    make_unit("TYT-ANLAC", unit, sizeof unit);
    const char *u = uniq();
    snprintf(staff, sizeof staff, "LC-%s", u);
    snprintf(course, sizeof course, "course-v1:MOET+C%s+1", u);
    long long sid = make_staff(T_SD_MANAGER, staff, unit, "2020-01-01");
    long long cid = make_course(course, "Khoá học hoàn thành", 1);
    resp *r = send_obj("POST", "/api/v1/completions", T_SD_REPORTER,
                       json_pack("{s:s, s:s, s:s, s:s}", "staff_code", staff, "course_code", course, "completed_on",
                                 "2025-10-10", "certificate_no", "3f2a9c1e7b5d4e8fa0c6b1d2e3f4a5b6"));
    ASSERT_STATUS(r, 201);
    long long id = jint(r, "id");
    char loc[128], etag[64];
    ck_assert_str_eq(resp_header(r, "Location", loc, sizeof loc), fmt("/api/v1/completions/%lld", id));
    ck_assert_msg(is_etag(resp_header(r, "ETag", etag, sizeof etag)), "ETag %s", etag);
    ck_assert_uint_eq(json_object_size(r->json), 9);
    ck_assert_int_eq(jint(r, "staff_id"), sid);
    ck_assert_str_eq(jstr(r, "staff_code"), staff);
    ck_assert_int_eq(jint(r, "course_id"), cid);
    ck_assert_str_eq(jstr(r, "course_code"), course);
    ck_assert_str_eq(jstr(r, "completed_on"), "2025-10-10");
    ck_assert_str_eq(jstr(r, "certificate_no"), "3f2a9c1e7b5d4e8fa0c6b1d2e3f4a5b6");
    ck_assert(is_timestamp(jstr(r, "created_at")) && is_timestamp(jstr(r, "updated_at")));
    resp_free(r);
    r = http_get(loc, T_SYT_VIEWER);
    ASSERT_STATUS(r, 200);
    char e2[64];
    ck_assert_str_eq(resp_header(r, "ETag", e2, sizeof e2), etag);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'completion' AND action = 'create'"
                              " AND entity_id = $1 AND username = 'sondong.reporter'", idstr(id)), 1);

    /* The same staff member and course again, by ids this time: 409. */
    r = send_obj("POST", "/api/v1/completions", T_SD_MANAGER,
                 json_pack("{s:I, s:I, s:s}", "staff_id", (json_int_t)sid, "course_id", (json_int_t)cid, "completed_on",
                           "2025-11-01"));
    ASSERT_STATUS(r, 409);
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:conflict");
    resp_free(r);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM completions WHERE staff_id = $1::bigint AND course_id = $2::bigint"
                               " AND completed_on = '2025-10-10'", idstr(sid), idstr(cid)), 1);
    /* Without a certificate, by ids. */
    char course2[96];
    snprintf(course2, sizeof course2, "%s-b", course);
    long long cid2 = make_course(course2, "Khoá thứ hai", 0);
    r = send_obj("POST", "/api/v1/completions", T_SD_MANAGER,
                 json_pack("{s:I, s:I, s:s}", "staff_id", (json_int_t)sid, "course_id", (json_int_t)cid2, "completed_on",
                           "2020-01-01"));
    ASSERT_STATUS(r, 201); /* the day of joining is allowed */
    ck_assert(json_is_null(json_object_get(r->json, "certificate_no")));
    ck_assert_str_eq(jstr(r, "course_code"), course2);
    resp_free(r);
}
END_TEST

START_TEST(completion_dates_scope_and_references_are_checked_422)
{
    char unit[40], staff[48], course[80], far[48];
    make_unit("TYT-ANLAC", unit, sizeof unit);
    const char *u = uniq();
    snprintf(staff, sizeof staff, "LV-%s", u);
    snprintf(far, sizeof far, "LVF-%s", u);
    snprintf(course, sizeof course, "course-v1:MOET+V%s+1", u);
    make_staff(T_SD_MANAGER, staff, unit, "2024-03-01");
    make_staff(T_ADMIN, far, "24001", "2020-01-01");
    make_course(course, "Khoá kiểm tra ngày", 1);

    resp *r = send_obj("POST", "/api/v1/completions", T_SD_REPORTER,
                       json_pack("{s:s, s:s, s:s}", "staff_code", staff, "course_code", course, "completed_on", "2024-02-29"));
    assert_one_error(r, "completed_on", "is before the staff member joined (2024-03-01)");
    resp_free(r);
    r = send_obj("POST", "/api/v1/completions", T_SD_REPORTER,
                 json_pack("{s:s, s:s, s:s}", "staff_code", staff, "course_code", course, "completed_on", "2099-01-01"));
    assert_one_error(r, "completed_on", "must not be in the future");
    resp_free(r);
    r = send_obj("POST", "/api/v1/completions", T_SD_REPORTER,
                 json_pack("{s:s, s:s, s:s}", "staff_code", staff, "course_code", course, "completed_on", "2025-02-30"));
    assert_one_error(r, "completed_on", NULL);
    resp_free(r);
    /* Staff of another unit's subtree do not exist for Sơn Động. */
    r = send_obj("POST", "/api/v1/completions", T_SD_REPORTER,
                 json_pack("{s:s, s:s, s:s}", "staff_code", far, "course_code", course, "completed_on", "2025-01-01"));
    assert_one_error(r, "staff_code", "no such staff member");
    resp_free(r);
    r = send_obj("POST", "/api/v1/completions", T_SD_REPORTER,
                 json_pack("{s:s, s:s, s:s}", "staff_code", staff, "course_code", fmt("%s-nope", course), "completed_on",
                           "2025-01-01"));
    assert_one_error(r, "course_code", "no such course");
    resp_free(r);
    r = send_obj("POST", "/api/v1/completions", T_SD_REPORTER,
                 json_pack("{s:s, s:s, s:s, s:s}", "staff_code", staff, "course_code", course, "completed_on", "2025-01-01",
                           "grade", "A"));
    assert_one_error(r, "grade", NULL);
    resp_free(r);
    r = http_send_json("POST", "/api/v1/completions", T_SD_REPORTER, "{}");
    ASSERT_STATUS(r, 422);
    ck_assert_uint_eq(nerrors(r), 3);
    resp_free(r);
    /* Viewers do not record completions. */
    r = send_obj("POST", "/api/v1/completions", T_SYT_VIEWER,
                 json_pack("{s:s, s:s, s:s}", "staff_code", staff, "course_code", course, "completed_on", "2025-01-01"));
    ASSERT_STATUS(r, 403);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM completions c JOIN courses k ON k.id = c.course_id WHERE k.code = $1",
                              course), 0);
    /* The admin may record the far one. */
    make_completion(T_ADMIN, far, course, "2025-01-01");
}
END_TEST

START_TEST(completion_list_filters_by_subtree_dates_and_campaign)
{
    char u1[40], u2[40], a[48], b[48], k1[80], k2[80];
    long long uid1 = make_unit("TYT-ANLAC", u1, sizeof u1);
    long long uid2 = make_unit(u1, u2, sizeof u2);
    const char *u = uniq();
    snprintf(a, sizeof a, "LLa-%s", u);
    snprintf(b, sizeof b, "LLb-%s", u);
    snprintf(k1, sizeof k1, "course-v1:MOET+L%s+yes", u);
    snprintf(k2, sizeof k2, "course-v1:MOET+L%s+no", u);
    long long sa = make_staff(T_SD_MANAGER, a, u1, "2020-01-01");
    long long sb = make_staff(T_SD_MANAGER, b, u2, "2024-01-01");
    long long c1 = make_course(k1, "Khoá tính", 1);
    make_course(k2, "Khoá không tính", 0);
    long long x1 = make_completion(T_SD_REPORTER, a, k1, "2025-03-01");
    long long x2 = make_completion(T_SD_REPORTER, a, k2, "2025-05-01");
    long long x3 = make_completion(T_SD_REPORTER, b, k1, "2025-07-01");
    char e1[24], e2[24], e3[24];
    snprintf(e1, sizeof e1, "%lld", x1);
    snprintf(e2, sizeof e2, "%lld", x2);
    snprintf(e3, sizeof e3, "%lld", x3);

    assert_list(T_SD_REPORTER, fmt("/api/v1/completions?under=%lld", uid1), 3, "id", NULL, fmt("%s,%s,%s", e1, e2, e3));
    assert_list(T_SD_REPORTER, fmt("/api/v1/completions?unit_id=%lld", uid1), 2, "id", NULL, fmt("%s,%s", e1, e2));
    assert_list(T_SD_REPORTER, fmt("/api/v1/completions?unit_id=%lld", uid2), 1, "id", NULL, e3);
    assert_list(T_SD_REPORTER, fmt("/api/v1/completions?under=%lld&completed_from=2025-05-01", uid1), 2, "id", NULL,
                fmt("%s,%s", e2, e3));
    assert_list(T_SD_REPORTER, fmt("/api/v1/completions?under=%lld&completed_to=2025-05-01", uid1), 2, "id", NULL,
                fmt("%s,%s", e1, e2));
    assert_list(T_SD_REPORTER, fmt("/api/v1/completions?under=%lld&completed_from=2025-04-01&completed_to=2025-06-30", uid1),
                1, "id", NULL, e2);
    assert_list(T_SD_REPORTER, fmt("/api/v1/completions?under=%lld&counts_for_campaign=true", uid1), 2, "id", NULL,
                fmt("%s,%s", e1, e3));
    assert_list(T_SD_REPORTER, fmt("/api/v1/completions?under=%lld&counts_for_campaign=false", uid1), 1, "id", NULL, e2);
    assert_list(T_SD_REPORTER, fmt("/api/v1/completions?staff_id=%lld", sb), 1, "id", NULL, e3);
    assert_list(T_SD_REPORTER, fmt("/api/v1/completions?staff_id=%lld&sort=-completed_on", sa), 2, "id", NULL,
                fmt("%s,%s", e2, e1));
    assert_list(T_SD_REPORTER, fmt("/api/v1/completions?course_id=%lld", c1), 2, "id", NULL, fmt("%s,%s", e1, e3));
    assert_list(T_SD_REPORTER, fmt("/api/v1/completions?under=%lld&sort=-staff_code", uid1), 3, "staff_code", NULL,
                fmt("%s,%s,%s", b, a, a));
    assert_list(T_SD_REPORTER, fmt("/api/v1/completions?under=%lld&sort=-id&limit=1&offset=1", uid1), 3, "id", NULL, e2);
    assert_list(T_SD_REPORTER, fmt("/api/v1/completions?under=%lld&updated_since=2999-01-01T00:00:00Z", uid1), 0, "id",
                NULL, "");
    /* Outside the caller's subtree: nothing. */
    assert_list(T_SD_REPORTER, fmt("/api/v1/completions?under=%lld", unit_id("24001")), 0, "id", NULL, "");
    /* CSV. */
    req_opts o = {.token = T_SD_REPORTER, .headers = {"Accept: text/csv"}};
    resp *r = http_do("GET", fmt("/api/v1/completions?unit_id=%lld", uid2), &o);
    ASSERT_STATUS(r, 200);
    const char *header = "id,staff_id,staff_code,course_id,course_code,completed_on,certificate_no,created_at,updated_at\r\n";
    ck_assert_int_eq(strncmp(r->body, header, strlen(header)), 0);
    ck_assert_ptr_nonnull(strstr(r->body, fmt("%lld,%lld,%s,%lld,%s,2025-07-01,,", x3, sb, b, c1, k1)));
    resp_free(r);
    const char *bad[] = {"completed_from=2025-02-30", "completed_to=tomorrow", "sort=title", "counts_for_campaign=1x",
                         "staff_id=0", "q=x", NULL};
    assert_each_400(T_SD_REPORTER, "/api/v1/completions?", bad);
}
END_TEST

START_TEST(completion_patch_and_delete_follow_the_rules)
{
    char unit[40], staff[48], course[80], far[48];
    make_unit("TYT-ANLAC", unit, sizeof unit);
    const char *u = uniq();
    snprintf(staff, sizeof staff, "LP-%s", u);
    snprintf(far, sizeof far, "LPF-%s", u);
    snprintf(course, sizeof course, "course-v1:MOET+P%s+1", u);
    make_staff(T_SD_MANAGER, staff, unit, "2023-01-01");
    make_staff(T_ADMIN, far, "24001", "2020-01-01");
    make_course(course, "Khoá sửa", 1);
    long long id = make_completion(T_SD_REPORTER, staff, course, "2025-01-15");
    long long farid = make_completion(T_ADMIN, far, course, "2025-01-15");
    const char *path = fmt("/api/v1/completions/%lld", id);
    char p[64];
    snprintf(p, sizeof p, "%s", path);

    resp *r = http_get(p, T_SD_REPORTER);
    char etag[64], hdr[96];
    resp_header(r, "ETag", etag, sizeof etag);
    resp_free(r);
    snprintf(hdr, sizeof hdr, "If-Match: %s", etag);
    r = do_with("PATCH", p, T_SD_REPORTER, "{\"completed_on\":\"2025-02-01\",\"certificate_no\":\"CERT-1\"}", hdr);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "completed_on"), "2025-02-01");
    ck_assert_str_eq(jstr(r, "certificate_no"), "CERT-1");
    ck_assert_str_eq(jstr(r, "staff_code"), staff);
    resp_free(r);
    r = do_with("PATCH", p, T_SD_REPORTER, "{\"completed_on\":\"2025-03-01\"}", hdr);
    ASSERT_STATUS(r, 412);
    resp_free(r);
    r = send_obj("PATCH", p, T_SD_REPORTER, json_pack("{s:s}", "completed_on", "2022-12-31"));
    assert_one_error(r, "completed_on", "is before the staff member joined (2023-01-01)");
    resp_free(r);
    r = send_obj("PATCH", p, T_SD_REPORTER, json_pack("{s:s}", "completed_on", "2099-12-31"));
    assert_one_error(r, "completed_on", "must not be in the future");
    resp_free(r);
    r = send_obj("PATCH", p, T_SD_REPORTER, json_pack("{s:s}", "course_code", course));
    assert_one_error(r, "course_code", NULL); /* a completion does not move */
    resp_free(r);
    r = send_obj("PATCH", p, T_SD_MANAGER, json_pack("{s:n}", "certificate_no"));
    ASSERT_STATUS(r, 200);
    ck_assert(json_is_null(json_object_get(r->json, "certificate_no")));
    ck_assert_str_eq(jstr(r, "completed_on"), "2025-02-01");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM completions WHERE id = $1::bigint AND completed_on = '2025-02-01'"
                              " AND certificate_no IS NULL", idstr(id)), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'completion' AND action = 'update'"
                              " AND entity_id = $1", idstr(id)), 2);

    /* Outside the subtree: 404 for every verb. */
    const char *farp = fmt("/api/v1/completions/%lld", farid);
    char fp[64];
    snprintf(fp, sizeof fp, "%s", farp);
    r = http_get(fp, T_SD_REPORTER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = send_obj("PATCH", fp, T_SD_MANAGER, json_pack("{s:s}", "completed_on", "2025-01-20"));
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_delete(fp, T_SD_MANAGER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM completions WHERE id = $1::bigint AND completed_on = '2025-01-15'",
                              idstr(farid)), 1);

    r = http_delete(p, T_SYT_VIEWER);
    ASSERT_STATUS(r, 403);
    resp_free(r);
    r = http_delete(p, T_SD_REPORTER);
    ASSERT_STATUS(r, 204);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM completions WHERE id = $1::bigint", idstr(id)), 0);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'completion' AND action = 'delete'"
                              " AND entity_id = $1", idstr(id)), 1);
    r = http_get(p, T_SD_REPORTER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_delete(p, T_SD_REPORTER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
}
END_TEST

/* ---- attestations ------------------------------------------------------------------------- */

START_TEST(attestation_create_duplicate_list_and_delete)
{
    char unit[40], a[48], b[48];
    long long uid = make_unit("TYT-ANLAC", unit, sizeof unit);
    const char *u = uniq();
    snprintf(a, sizeof a, "LAa-%s", u);
    snprintf(b, sizeof b, "LAb-%s", u);
    long long sa = make_staff(T_SD_MANAGER, a, unit, "2020-01-01");
    make_staff(T_SD_MANAGER, b, unit, "2020-01-01");

    resp *r = post_attestation(T_SD_REPORTER, a, "emr", "2025-11-20");
    ASSERT_STATUS(r, 201);
    long long id = jint(r, "id");
    char loc[128];
    ck_assert_str_eq(resp_header(r, "Location", loc, sizeof loc), fmt("/api/v1/attestations/%lld", id));
    ck_assert_uint_eq(json_object_size(r->json), 7);
    ck_assert_int_eq(jint(r, "staff_id"), sa);
    ck_assert_str_eq(jstr(r, "staff_code"), a);
    ck_assert_str_eq(jstr(r, "skill"), "emr");
    ck_assert_str_eq(jstr(r, "attested_on"), "2025-11-20");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'attestation' AND action = 'create'"
                              " AND entity_id = $1", idstr(id)), 1);
    r = post_attestation(T_SD_MANAGER, a, "emr", "2025-12-01");
    ASSERT_STATUS(r, 409);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM attestations WHERE staff_id = $1::bigint AND skill = 'emr'"
                              " AND attested_on = '2025-11-20'", idstr(sa)), 1);

    r = post_attestation(T_SD_REPORTER, a, "digital_signature", "2025-11-21");
    ASSERT_STATUS(r, 201);
    long long id2 = jint(r, "id");
    resp_free(r);
    r = post_attestation(T_SD_REPORTER, b, "emr", "2025-10-01");
    ASSERT_STATUS(r, 201);
    long long id3 = jint(r, "id");
    resp_free(r);

    assert_list(T_SD_REPORTER, fmt("/api/v1/attestations?unit_id=%lld&skill=emr", uid), 2, "staff_code", NULL,
                fmt("%s,%s", a, b));
    assert_list(T_SD_REPORTER, fmt("/api/v1/attestations?under=%lld&skill=digital_signature", uid), 1, "staff_code", NULL, a);
    assert_list(T_SD_REPORTER, fmt("/api/v1/attestations?under=%lld&skill=smart_devices", uid), 0, "staff_code", NULL, "");
    assert_list(T_SD_REPORTER, fmt("/api/v1/attestations?staff_id=%lld&sort=-attested_on", sa), 2, "skill", NULL,
                "digital_signature,emr");
    assert_list(T_SD_REPORTER, fmt("/api/v1/attestations?under=%lld&sort=attested_on", uid), 3, "id", NULL,
                fmt("%lld,%lld,%lld", id3, id, id2));
    assert_list(T_SYT_VIEWER, fmt("/api/v1/attestations?under=%lld&sort=-id&limit=2", uid), 3, "id", NULL,
                fmt("%lld,%lld", id3, id2));
    req_opts o = {.token = T_SD_REPORTER, .headers = {"Accept: text/csv"}};
    r = http_do("GET", fmt("/api/v1/attestations?staff_id=%lld&skill=emr", sa), &o);
    ASSERT_STATUS(r, 200);
    const char *header = "id,staff_id,staff_code,skill,attested_on,created_at,updated_at\r\n";
    ck_assert_int_eq(strncmp(r->body, header, strlen(header)), 0);
    ck_assert_ptr_nonnull(strstr(r->body, fmt("%lld,%lld,%s,emr,2025-11-20,", id, sa, a)));
    resp_free(r);

    r = http_delete(loc, T_SYT_VIEWER);
    ASSERT_STATUS(r, 403);
    resp_free(r);
    r = http_delete(loc, T_SD_REPORTER);
    ASSERT_STATUS(r, 204);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM attestations WHERE id = $1::bigint", idstr(id)), 0);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'attestation' AND action = 'delete'"
                              " AND entity_id = $1", idstr(id)), 1);
    r = http_delete(loc, T_SD_REPORTER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    assert_list(T_SD_REPORTER, fmt("/api/v1/attestations?unit_id=%lld&skill=emr", uid), 1, "staff_code", NULL, b);
}
END_TEST

START_TEST(attestation_of_unknown_or_inactive_skill_future_date_or_far_staff_is_422)
{
    char unit[40], a[48], far[48], sk[48];
    make_unit("TYT-ANLAC", unit, sizeof unit);
    const char *u = uniq();
    snprintf(a, sizeof a, "LAI-%s", u);
    snprintf(far, sizeof far, "LAIF-%s", u);
    snprintf(sk, sizeof sk, "sk_%s", u);
    make_staff(T_SD_MANAGER, a, unit, "2020-01-01");
    long long farid = make_staff(T_ADMIN, far, "24001", "2020-01-01");
    resp *r = put_ref("skills", sk, T_ADMIN, "{\"label_vi\":\"Kỹ năng cũ\",\"label_en\":\"Old skill\",\"active\":false}");
    ASSERT_STATUS(r, 201);
    resp_free(r);

    r = post_attestation(T_SD_REPORTER, a, "telepathy", "2025-01-01");
    assert_one_error(r, "skill", "\"telepathy\" is not an active skill code (see /api/v1/skills)");
    resp_free(r);
    r = post_attestation(T_SD_REPORTER, a, sk, "2025-01-01");
    assert_one_error(r, "skill", fmt("\"%s\" is not an active skill code (see /api/v1/skills)", sk));
    resp_free(r);
    r = post_attestation(T_SD_REPORTER, a, "emr", "2099-01-01");
    assert_one_error(r, "attested_on", "must not be in the future");
    resp_free(r);
    r = post_attestation(T_SD_REPORTER, far, "emr", "2025-01-01");
    assert_one_error(r, "staff_code", "no such staff member");
    resp_free(r);
    r = send_obj("POST", "/api/v1/attestations", T_SD_REPORTER,
                 json_pack("{s:s, s:s, s:s, s:s}", "staff_code", a, "skill", "emr", "attested_on", "2025-01-01", "level", "B"));
    assert_one_error(r, "level", NULL);
    resp_free(r);
    r = post_attestation(T_INTEGRATION, a, "emr", "2025-01-01");
    ASSERT_STATUS(r, 403);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM attestations a JOIN staff s ON s.id = a.staff_id WHERE s.code = $1", a), 0);

    /* An inactive skill keeps what was attested before it was retired. */
    r = put_ref("skills", sk, T_ADMIN, "{\"label_vi\":\"Kỹ năng cũ\",\"label_en\":\"Old skill\",\"active\":true}");
    ASSERT_STATUS(r, 200);
    resp_free(r);
    r = post_attestation(T_SD_REPORTER, a, sk, "2025-01-01");
    ASSERT_STATUS(r, 201);
    resp_free(r);
    r = put_ref("skills", sk, T_ADMIN, "{\"label_vi\":\"Kỹ năng cũ\",\"label_en\":\"Old skill\",\"active\":false}");
    ASSERT_STATUS(r, 200);
    resp_free(r);
    assert_list(T_SD_REPORTER, fmt("/api/v1/attestations?skill=%s", sk), 1, "staff_code", NULL, a);
    /* A far staff member's attestation is 404 to Sơn Động. */
    r = post_attestation(T_ADMIN, far, "emr", "2025-01-01");
    ASSERT_STATUS(r, 201);
    long long fid = jint(r, "id");
    resp_free(r);
    r = http_delete(fmt("/api/v1/attestations/%lld", fid), T_SD_MANAGER);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM attestations WHERE staff_id = $1::bigint", idstr(farid)), 1);
}
END_TEST

Suite *learning_suite(void)
{
    Suite *s = suite_create("learning");
    TCase *t = tcase_create("learning");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, reference_lists_hold_the_seeded_codes_sorted_by_code);
    tcase_add_test(t, admin_put_creates_201_then_replaces_200);
    tcase_add_test(t, only_admin_writes_reference_data_403);
    tcase_add_test(t, bad_code_in_path_is_404_and_bad_body_is_422);
    tcase_add_test(t, admin_creates_updates_and_deletes_a_course);
    tcase_add_test(t, course_bodies_are_validated_422);
    tcase_add_test(t, course_with_completions_cannot_be_deleted_409);
    tcase_add_test(t, only_admin_writes_courses_403);
    tcase_add_test(t, course_list_filters_search_sort_and_csv);
    tcase_add_test(t, completion_by_codes_201_and_duplicate_409);
    tcase_add_test(t, completion_dates_scope_and_references_are_checked_422);
    tcase_add_test(t, completion_list_filters_by_subtree_dates_and_campaign);
    tcase_add_test(t, completion_patch_and_delete_follow_the_rules);
    tcase_add_test(t, attestation_create_duplicate_list_and_delete);
    tcase_add_test(t, attestation_of_unknown_or_inactive_skill_future_date_or_far_staff_is_422);
    suite_add_tcase(s, t);
    return s;
}
