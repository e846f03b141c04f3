/* Users: creation and validation, role and subtree rules, list filters, CSV, If-Match,
 * deactivation. Every user made here carries a uniq() suffix so that the suite can run again
 * against the same database. */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char PASSWORD[] = "Mat-khau-2026-ok";

/* ---- helpers ------------------------------------------------------------------------------ */

static resp *post_user(const char *token, const char *username, const char *full_name, const char *role,
                       const char *unit_code)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "username", username, "password", PASSWORD, "full_name",
                          full_name, "role", role);
    if (unit_code) json_object_set_new(o, "unit_code", json_string(unit_code));
    return send_obj("POST", "/api/v1/users", token, o);
}

/* Creates a user as the caller (asserting 201) and returns its id. */
static long long make_user(const char *token, const char *username, const char *full_name, const char *role,
                           const char *unit_code, int active)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b}", "username", username, "password", PASSWORD, "full_name",
                          full_name, "role", role, "active", active);
    if (unit_code) json_object_set_new(o, "unit_code", json_string(unit_code));
    resp *r = send_obj("POST", "/api/v1/users", token, o);
    ASSERT_STATUS(r, 201);
    long long id = jint(r, "id");
    resp_free(r);
    ck_assert_int_gt(id, 0);
    return id;
}

static const char *user_path(long long id)
{
    static char buf[4][64];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "/api/v1/users/%lld", id);
    return buf[k];
}

/* Percent-encodes s for a query string. */
static const char *qenc(const char *s)
{
    static char buf[512];
    static const char hex[] = "0123456789ABCDEF";
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && w + 4 < sizeof buf; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '.' || *p == '_' || *p == '~') {
            buf[w++] = (char)*p;
        } else {
            buf[w++] = '%';
            buf[w++] = hex[*p >> 4];
            buf[w++] = hex[*p & 15];
        }
    }
    buf[w] = '\0';
    return buf;
}

static void assert_problem(const resp *r, int status, const char *slug)
{
    char ct[128], type[96];
    ck_assert_str_eq(resp_header(r, "Content-Type", ct, sizeof ct), "application/problem+json");
    snprintf(type, sizeof type, "urn:bdhvs:problem:%s", slug);
    ck_assert_str_eq(jstr(r, "type"), type);
    ck_assert_int_eq(jint(r, "status"), status);
}

static const char *item_str(const resp *r, size_t i, const char *key)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(r->json, "items"), i), key));
}

static size_t nitems(const resp *r)
{
    return json_array_size(json_object_get(r->json, "items"));
}

static int list_has_username(const resp *r, const char *username)
{
    for (size_t i = 0; i < nitems(r); i++)
        if (strcmp(item_str(r, i, "username"), username) == 0) return 1;
    return 0;
}

static resp *get_etag(const char *path, char *etag, size_t len)
{
    resp *r = http_get(path, T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_ptr_nonnull(resp_header(r, "ETag", etag, len));
    return r;
}

static resp *patch_if_match(const char *path, const char *token, const char *etag, const char *json)
{
    char im[128];
    ck_assert_int_lt(snprintf(im, sizeof im, "If-Match: %s", etag), (int)sizeof im);
    req_opts o = {.token = token, .body = json, .headers = {im, NULL}};
    return http_do("PATCH", path, &o);
}

/* A sign-in expected to fail, from a loopback address of its own so that the failure does not
 * count against 127.0.0.1's login throttle. */
static long failing_login(const char *username, const char *password)
{
    char ip[32];
    snprintf(ip, sizeof ip, "127.0.93.%d", (int)(getpid() % 250) + 1);
    json_t *b = json_pack("{s:s, s:s}", "username", username, "password", password);
    char *body = json_dumps(b, 0);
    json_decref(b);
    req_opts o = {.body = body, .source_ip = ip};
    resp *r = http_do("POST", "/api/v1/auth/login", &o);
    free(body);
    long st = r->status;
    resp_free(r);
    return st;
}

/* ---- creation ----------------------------------------------------------------------------- */

START_TEST(admin_creates_user_201_with_location_etag_exact_fields_no_password_and_audit)
{
    char username[64], full_name[96];
    snprintf(username, sizeof username, "ut.new.%s", uniq());
    snprintf(full_name, sizeof full_name, "Phạm Thị Lan %s", username);
    resp *r = post_user(T_ADMIN, username, full_name, "reporter", "TYT-ANLAC");
    ASSERT_STATUS(r, 201);
    long long id = jint(r, "id");
    ck_assert_int_gt(id, 0);
    char loc[128], etag[64], ct[128];
    ck_assert_str_eq(resp_header(r, "Location", loc, sizeof loc), user_path(id));
    ck_assert_msg(is_etag(resp_header(r, "ETag", etag, sizeof etag)), "ETag: %s", etag);
    ck_assert_str_eq(resp_header(r, "Content-Type", ct, sizeof ct), "application/json; charset=utf-8");
    /* Exactly the ten fields of User. */
    ck_assert_uint_eq(json_object_size(r->json), 10);
    ck_assert_str_eq(jstr(r, "username"), username);
    ck_assert_str_eq(jstr(r, "full_name"), full_name);
    ck_assert_str_eq(jstr(r, "role"), "reporter");
    ck_assert_int_eq(jint(r, "unit_id"), unit_id("TYT-ANLAC"));
    ck_assert_str_eq(jstr(r, "unit_code"), "TYT-ANLAC");
    ck_assert(json_is_true(json_object_get(r->json, "active")));
    ck_assert(json_is_null(json_object_get(r->json, "last_login_at")));
    ck_assert_msg(is_timestamp(jstr(r, "created_at")), "created_at %s", jstr(r, "created_at"));
    ck_assert_msg(is_timestamp(jstr(r, "updated_at")), "updated_at %s", jstr(r, "updated_at"));
    /* The password and its hash never leave the server. */
    ck_assert_ptr_null(strstr(r->body, "password"));
    ck_assert_ptr_null(strstr(r->body, "hash"));
    ck_assert_ptr_null(strstr(r->body, PASSWORD));
    ck_assert_ptr_null(strstr(r->body, "$argon2"));
    /* The Location answers the same resource and the same ETag. */
    assert_get_same(loc, T_ADMIN, etag, r->json);
    resp_free(r);

    const char *ids = idstr(id);
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE id = $1::bigint", ids), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE id = $1::bigint AND password_hash LIKE '$argon2id$%'"
                              " AND strpos(password_hash, 'Mat-khau-2026-ok') = 0", ids), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity='user' AND entity_id=$1 AND action='create'", ids), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity='user' AND entity_id=$1 AND action='create'"
                              " AND username = 'admin' AND before IS NULL AND after->>'role' = 'reporter'"
                              " AND strpos(after::text, 'password') = 0 AND strpos(after::text, 'argon2') = 0", ids), 1);
}
END_TEST

START_TEST(created_user_can_log_in_and_last_login_at_is_set)
{
    char username[64];
    snprintf(username, sizeof username, "ut.login.%s", uniq());
    long long id = make_user(T_ADMIN, username, "Đỗ Văn Hùng", "viewer", "TTYT-SD", 1);
    char *access = NULL, *refresh = NULL;
    ck_assert_int_eq(login_pair(username, PASSWORD, &access, &refresh), 200);
    resp *r = http_get("/api/v1/me", access);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "username"), username);
    ck_assert_int_eq(jint(r, "id"), id);
    ck_assert_str_eq(jstr(r, "role"), "viewer");
    resp_free(r);
    r = http_get(user_path(id), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_msg(is_timestamp(jstr(r, "last_login_at")), "last_login_at %s", jstr(r, "last_login_at"));
    resp_free(r);
    free(access);
    free(refresh);
}
END_TEST

START_TEST(duplicate_username_is_409_and_leaves_one_row)
{
    char username[64];
    snprintf(username, sizeof username, "ut.dup.%s", uniq());
    make_user(T_ADMIN, username, "Bùi Thị Hoa", "viewer", "SYT-BN", 1);
    resp *r = post_user(T_ADMIN, username, "Someone Else", "reporter", "24001");
    ASSERT_STATUS(r, 409);
    assert_problem(r, 409, "conflict");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE username = $1", username), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE username = $1 AND full_name = 'Bùi Thị Hoa'", username), 1);
}
END_TEST

START_TEST(missing_fields_are_422_listing_each_field)
{
    resp *r = http_send_json("POST", "/api/v1/users", T_ADMIN, "{}");
    ASSERT_STATUS(r, 422);
    assert_problem(r, 422, "validation");
    ck_assert_uint_eq(nerrors(r), 4);
    ck_assert_int_eq(count_errors(r, "username", "is required"), 1);
    ck_assert_int_eq(count_errors(r, "password", "is required"), 1);
    ck_assert_int_eq(count_errors(r, "full_name", "is required"), 1);
    ck_assert_int_eq(count_errors(r, "role", "is required"), 1);
    resp_free(r);

    /* Every role but admin and integration needs a unit. */
    char username[64];
    snprintf(username, sizeof username, "ut.nounit.%s", uniq());
    r = post_user(T_ADMIN, username, "Không Đơn Vị", "reporter", NULL);
    ASSERT_STATUS(r, 422);
    ck_assert_uint_eq(nerrors(r), 1);
    ck_assert_int_eq(count_errors(r, "unit_id", "is required for this role"), 1);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE username = $1", username), 0);
}
END_TEST

START_TEST(unknown_field_is_422_and_nothing_is_created)
{
    char username[64], body[512];
    snprintf(username, sizeof username, "ut.unk.%s", uniq());
    snprintf(body, sizeof body,
             "{\"username\":\"%s\",\"password\":\"%s\",\"full_name\":\"Vũ Thị Thu\",\"role\":\"viewer\","
             "\"unit_code\":\"SYT-BN\",\"email\":\"thu@example.vn\"}", username, PASSWORD);
    resp *r = http_send_json("POST", "/api/v1/users", T_ADMIN, body);
    ASSERT_STATUS(r, 422);
    assert_problem(r, 422, "validation");
    ck_assert_uint_eq(nerrors(r), 1);
    ck_assert_int_eq(count_errors(r, "email", "is not a field of this resource"), 1);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE username = $1", username), 0);
}
END_TEST

START_TEST(bad_username_and_short_password_are_422)
{
    const char *u = uniq();
    char bad[5][80];
    snprintf(bad[0], sizeof bad[0], "ab");                 /* too short */
    snprintf(bad[1], sizeof bad[1], "Upper.%s", u);        /* upper case */
    snprintf(bad[2], sizeof bad[2], ".dot.%s", u);         /* must start with a letter or digit */
    snprintf(bad[3], sizeof bad[3], "has space %s", u);    /* space */
    snprintf(bad[4], sizeof bad[4], "x%065d", 0);          /* 66 characters */
    for (int i = 0; i < 5; i++) {
        resp *r = post_user(T_ADMIN, bad[i], "Tên Hợp Lệ", "viewer", "SYT-BN");
        ck_assert_msg(r->status == 422, "username \"%s\": %ld", bad[i], r->status);
        ck_assert_uint_eq(nerrors(r), 1);
        ck_assert_int_eq(count_errors(r, "username", NULL), 1);
        resp_free(r);
        ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE username = $1", bad[i]), 0);
    }
    char username[64];
    snprintf(username, sizeof username, "ut.shortpw.%s", u);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "username", username, "password", "short-pw9", "full_name",
                          "Mật Khẩu Ngắn", "role", "viewer", "unit_code", "SYT-BN");
    resp *r = send_obj("POST", "/api/v1/users", T_ADMIN, o);
    ASSERT_STATUS(r, 422);
    ck_assert_uint_eq(nerrors(r), 1);
    ck_assert_int_eq(count_errors(r, "password", "must be 10 to 1024 characters long"), 1);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE username = $1", username), 0);
}
END_TEST

START_TEST(unit_id_and_unit_code_naming_the_same_unit_are_accepted)
{
    /* openapi.yaml (createUser): "when both are given they must name the same unit". */
    char username[64];
    snprintf(username, sizeof username, "ut.both.%s", uniq());
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "username", username, "password", PASSWORD, "full_name",
                          "Hai Trường Đơn Vị", "role", "viewer", "unit_id", (json_int_t)unit_id("TYT-ANLAC"),
                          "unit_code", "TYT-ANLAC");
    resp *r = send_obj("POST", "/api/v1/users", T_ADMIN, o);
    ASSERT_STATUS(r, 201);
    ck_assert_str_eq(jstr(r, "unit_code"), "TYT-ANLAC");
    resp_free(r);
    /* Different units: 422. */
    snprintf(username, sizeof username, "ut.both2.%s", uniq());
    o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "username", username, "password", PASSWORD, "full_name",
                  "Hai Trường Đơn Vị", "role", "viewer", "unit_id", (json_int_t)unit_id("TYT-ANLAC"), "unit_code",
                  "TYT-VANSON");
    r = send_obj("POST", "/api/v1/users", T_ADMIN, o);
    ASSERT_STATUS(r, 422);
    ck_assert_uint_eq(nerrors(r), 1);
    ck_assert_int_eq(count_errors(r, "unit_code", "unit id and code do not name the same unit"), 1);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE username = $1", username), 0);
}
END_TEST

/* ---- managers, roles and scope ------------------------------------------------------------ */

START_TEST(sd_manager_creates_reporter_in_its_subtree_201)
{
    char username[64];
    snprintf(username, sizeof username, "ut.anlac.%s", uniq());
    resp *r = post_user(T_SD_MANAGER, username, "Lò Thị Sen", "reporter", "TYT-ANLAC");
    ASSERT_STATUS(r, 201);
    long long id = jint(r, "id");
    ck_assert_str_eq(jstr(r, "username"), username);
    ck_assert_str_eq(jstr(r, "role"), "reporter");
    ck_assert_str_eq(jstr(r, "unit_code"), "TYT-ANLAC");
    ck_assert_int_eq(jint(r, "unit_id"), unit_id("TYT-ANLAC"));
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity='user' AND entity_id=$1 AND action='create'"
                              " AND username = 'sondong.manager'", idstr(id)), 1);
    /* And it can read it back. */
    r = http_get(user_path(id), T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "username"), username);
    resp_free(r);
}
END_TEST

START_TEST(sd_manager_granting_admin_or_integration_is_403)
{
    const char *roles[] = {"admin", "integration"};
    for (int i = 0; i < 2; i++) {
        char username[64];
        snprintf(username, sizeof username, "ut.grant%d.%s", i, uniq());
        json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "username", username, "password", PASSWORD, "full_name",
                              "Leo Thang", "role", roles[i]);
        resp *r = send_obj("POST", "/api/v1/users", T_SD_MANAGER, o);
        ck_assert_msg(r->status == 403, "role %s: %ld %s", roles[i], r->status, r->body);
        assert_problem(r, 403, "forbidden");
        resp_free(r);
        ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE username = $1", username), 0);
    }
}
END_TEST

START_TEST(sd_manager_unit_outside_subtree_is_422_no_such_unit)
{
    char username[64];
    snprintf(username, sizeof username, "ut.out.%s", uniq());
    resp *r = post_user(T_SD_MANAGER, username, "Ngoài Phạm Vi", "reporter", "24001");
    ASSERT_STATUS(r, 422);
    assert_problem(r, 422, "validation");
    ck_assert_uint_eq(nerrors(r), 1);
    ck_assert_int_eq(count_errors(r, "unit_code", "no such unit"), 1);
    resp_free(r);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I}", "username", username, "password", PASSWORD, "full_name",
                          "Ngoài Phạm Vi", "role", "reporter", "unit_id", (json_int_t)unit_id("24001"));
    r = send_obj("POST", "/api/v1/users", T_SD_MANAGER, o);
    ASSERT_STATUS(r, 422);
    ck_assert_uint_eq(nerrors(r), 1);
    ck_assert_int_eq(count_errors(r, "unit_id", "no such unit"), 1);
    resp_free(r);
    /* The root is above the manager's unit: outside as well. */
    r = post_user(T_SD_MANAGER, username, "Ngoài Phạm Vi", "viewer", "SYT-BN");
    ASSERT_STATUS(r, 422);
    ck_assert_int_eq(count_errors(r, "unit_code", "no such unit"), 1);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE username = $1", username), 0);
}
END_TEST

START_TEST(reporter_viewer_and_integration_get_403_on_users)
{
    char username[64], path[64];
    snprintf(username, sizeof username, "ut.nope.%s", uniq());
    snprintf(path, sizeof path, "/api/v1/users/%lld", user_id_of("sondong.reporter"));
    const char *tokens[] = {T_SD_REPORTER, T_SYT_VIEWER, T_INTEGRATION};
    const char *names[] = {"reporter", "viewer", "integration"};
    for (int i = 0; i < 3; i++) {
        resp *r = http_get("/api/v1/users", tokens[i]);
        ck_assert_msg(r->status == 403, "%s GET list: %ld", names[i], r->status);
        assert_problem(r, 403, "forbidden");
        resp_free(r);
        r = http_get(path, tokens[i]);
        ck_assert_msg(r->status == 403, "%s GET one: %ld", names[i], r->status);
        resp_free(r);
        r = post_user(tokens[i], username, "Không Được Phép", "viewer", "TTYT-SD");
        ck_assert_msg(r->status == 403, "%s POST: %ld", names[i], r->status);
        assert_problem(r, 403, "forbidden");
        resp_free(r);
    }
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE username = $1", username), 0);
}
END_TEST

START_TEST(sd_manager_lists_only_users_of_its_subtree)
{
    /* The codes of TTYT-SD's subtree, as the admin sees them. */
    char path[160];
    json_t *codes = json_object();
    long long sd = unit_id("TTYT-SD"), units_total = -1;
    for (long long offset = 0; units_total < 0 || offset < units_total; offset += 1000) {
        snprintf(path, sizeof path, "/api/v1/units?under=%lld&limit=1000&offset=%lld", sd, offset);
        resp *u = http_get(path, T_ADMIN);
        ASSERT_STATUS(u, 200);
        units_total = jint(u, "total");
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(u->json, "items"), i, it)
            json_object_set_new(codes, json_string_value(json_object_get(it, "code")), json_true());
        resp_free(u);
    }
    ck_assert_int_eq((long long)json_object_size(codes), units_total);
    ck_assert_ptr_nonnull(json_object_get(codes, "TTYT-SD"));
    ck_assert_ptr_nonnull(json_object_get(codes, "TYT-ANLAC"));
    ck_assert_ptr_null(json_object_get(codes, "SYT-BN"));

    long long expected = db_count("SELECT count(*) FROM users u JOIN units x ON x.id = u.unit_id"
                                  " WHERE x.path <@ (SELECT s.path FROM units s WHERE s.code = $1)", "TTYT-SD");
    long long seen = 0, total = -1;
    int saw_manager = 0, saw_reporter = 0;
    for (long long offset = 0; total < 0 || offset < total; offset += 1000) {
        snprintf(path, sizeof path, "/api/v1/users?limit=1000&offset=%lld", offset);
        resp *r = http_get(path, T_SD_MANAGER);
        ASSERT_STATUS(r, 200);
        total = jint(r, "total");
        for (size_t k = 0; k < nitems(r); k++) {
            const char *code = item_str(r, k, "unit_code");
            const char *name = item_str(r, k, "username");
            ck_assert_msg(code != NULL && json_object_get(codes, code) != NULL, "%s of unit %s is outside TTYT-SD",
                          name, code ? code : "(none)");
            ck_assert_str_ne(name, "syt.manager");
            ck_assert_str_ne(name, "syt.viewer");
            ck_assert_str_ne(name, "admin");
            ck_assert_str_ne(name, "provincial.system");
            saw_manager |= strcmp(name, "sondong.manager") == 0;
            saw_reporter |= strcmp(name, "sondong.reporter") == 0;
            seen++;
        }
        resp_free(r);
    }
    json_decref(codes);
    ck_assert_int_eq(total, expected);
    ck_assert_int_eq(seen, expected);
    ck_assert(saw_manager && saw_reporter);
}
END_TEST

START_TEST(sd_manager_gets_404_for_users_outside_its_subtree)
{
    long long sm = user_id_of("syt.manager"), adm = user_id_of("admin"), integ = user_id_of("provincial.system");
    ck_assert(sm > 0 && adm > 0 && integ > 0);
    long long ids[] = {sm, adm, integ};
    for (int i = 0; i < 3; i++) {
        resp *r = http_get(user_path(ids[i]), T_SD_MANAGER);
        ck_assert_msg(r->status == 404, "user %lld: %ld", ids[i], r->status);
        assert_problem(r, 404, "not-found");
        resp_free(r);
    }
    resp *r = http_get(user_path(sm), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "username"), "syt.manager");
    resp_free(r);
    /* The root's manager sees the whole tree, Sơn Động's reporter included. */
    r = http_get(user_path(user_id_of("sondong.reporter")), T_SYT_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "unit_code"), "TTYT-SD");
    resp_free(r);
    /* Changing or disabling them is 404 as well, and nothing changes. */
    r = http_send_json("PATCH", user_path(sm), T_SD_MANAGER, "{\"full_name\":\"Bị Đổi Tên\"}");
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_do("DELETE", user_path(sm), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 404);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE username = $1 AND active"
                              " AND full_name = 'Nguyễn Thị Thu Hà'", "syt.manager"), 1);
    r = http_get("/api/v1/users/999999999", T_ADMIN);
    ASSERT_STATUS(r, 404);
    resp_free(r);
}
END_TEST

/* A reporter in TYT-VANSON that the Sơn Động manager works on. */
static char g_sd_user[64];
static long long g_sd_user_id;

static void sd_user_setup(void)
{
    snprintf(g_sd_user, sizeof g_sd_user, "ut.vanson.%s", uniq());
    g_sd_user_id = make_user(T_ADMIN, g_sd_user, "Hà Văn Tuấn", "reporter", "TYT-VANSON", 1);
}

START_TEST(sd_manager_updates_a_user_of_its_subtree)
{
    resp *r = http_send_json("PATCH", user_path(g_sd_user_id), T_SD_MANAGER,
                             "{\"full_name\":\"Hà Văn Tuấn Anh\",\"unit_code\":\"TYT-SONDONG\",\"role\":\"viewer\"}");
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "full_name"), "Hà Văn Tuấn Anh");
    ck_assert_str_eq(jstr(r, "unit_code"), "TYT-SONDONG");
    ck_assert_int_eq(jint(r, "unit_id"), unit_id("TYT-SONDONG"));
    ck_assert_str_eq(jstr(r, "role"), "viewer");
    ck_assert_str_eq(jstr(r, "username"), g_sd_user);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity='user' AND entity_id=$1 AND action='update'"
                              " AND username='sondong.manager' AND before->>'full_name' = 'Hà Văn Tuấn'"
                              " AND after->>'full_name' = 'Hà Văn Tuấn Anh'", idstr(g_sd_user_id)), 1);
}
END_TEST

START_TEST(sd_manager_patching_role_admin_or_integration_is_403)
{
    const char *bodies[] = {"{\"role\":\"admin\"}", "{\"role\":\"integration\"}"};
    long long before = db_count("SELECT count(*) FROM audit_log WHERE entity='user' AND entity_id=$1", idstr(g_sd_user_id));
    for (int i = 0; i < 2; i++) {
        resp *r = http_send_json("PATCH", user_path(g_sd_user_id), T_SD_MANAGER, bodies[i]);
        ck_assert_msg(r->status == 403, "%s: %ld", bodies[i], r->status);
        assert_problem(r, 403, "forbidden");
        resp_free(r);
    }
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE id = $1::bigint AND role IN ('reporter', 'viewer')",
                              idstr(g_sd_user_id)), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity='user' AND entity_id=$1", idstr(g_sd_user_id)),
                     before);
}
END_TEST

START_TEST(sd_manager_moving_a_user_outside_its_subtree_is_422)
{
    long long unit_before = db_count("SELECT unit_id FROM users WHERE id = $1::bigint", idstr(g_sd_user_id));
    resp *r = http_send_json("PATCH", user_path(g_sd_user_id), T_SD_MANAGER, "{\"unit_code\":\"24001\"}");
    ASSERT_STATUS(r, 422);
    ck_assert_uint_eq(nerrors(r), 1);
    ck_assert_int_eq(count_errors(r, "unit_code", "no such unit"), 1);
    resp_free(r);
    /* Taking the unit away from a reporter is refused too. */
    r = http_send_json("PATCH", user_path(g_sd_user_id), T_SD_MANAGER, "{\"unit_id\":null}");
    ASSERT_STATUS(r, 422);
    ck_assert_int_eq(count_errors(r, "unit_id", "is required for this role"), 1);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT unit_id FROM users WHERE id = $1::bigint", idstr(g_sd_user_id)), unit_before);
}
END_TEST

START_TEST(manager_cannot_disable_itself_or_change_its_role_403)
{
    long long me = user_id_of("sondong.manager");
    resp *r = http_send_json("PATCH", user_path(me), T_SD_MANAGER, "{\"active\":false}");
    ASSERT_STATUS(r, 403);
    assert_problem(r, 403, "forbidden");
    resp_free(r);
    r = http_send_json("PATCH", user_path(me), T_SD_MANAGER, "{\"role\":\"reporter\"}");
    ASSERT_STATUS(r, 403);
    resp_free(r);
    r = http_do("DELETE", user_path(me), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 403);
    assert_problem(r, 403, "forbidden");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE username = $1 AND active AND role = 'manager'",
                              "sondong.manager"), 1);
    /* Its token still works. */
    r = http_get("/api/v1/me", T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    resp_free(r);
}
END_TEST

/* ---- lists -------------------------------------------------------------------------------- */

/* Three users sharing a marker: a (reporter, TYT-ANLAC), b (viewer, TTYT-SD), c (reporter,
 * TYT-DAISON, inactive). Made once, in the parent process, for the list tests. */
static char g_mark[32], g_ua[64], g_ub[64], g_uc[64];

static void list_setup(void)
{
    /* 'z' and 'q' never occur in uniq()'s hex, so no other name contains this marker. */
    snprintf(g_mark, sizeof g_mark, "zq%sq", uniq());
    snprintf(g_ua, sizeof g_ua, "ut.a.%s", g_mark);
    snprintf(g_ub, sizeof g_ub, "ut.b.%s", g_mark);
    snprintf(g_uc, sizeof g_uc, "ut.c.%s", g_mark);
    char name[96];
    snprintf(name, sizeof name, "Nguyễn Văn Ánh %s", g_mark);
    make_user(T_ADMIN, g_ua, name, "reporter", "TYT-ANLAC", 1);
    snprintf(name, sizeof name, "Trần Thị Bình %s", g_mark);
    make_user(T_ADMIN, g_ub, name, "viewer", "TTYT-SD", 1);
    snprintf(name, sizeof name, "Lê Văn Cường %s", g_mark);
    make_user(T_ADMIN, g_uc, name, "reporter", "TYT-DAISON", 0);
}

static resp *list_marked(const char *token, const char *extra)
{
    char path[512];
    snprintf(path, sizeof path, "/api/v1/users?q=%s%s%s", g_mark, extra && *extra ? "&" : "", extra ? extra : "");
    resp *r = http_get(path, token);
    ASSERT_STATUS(r, 200);
    return r;
}

static void assert_usernames(const resp *r, int n, const char *u0, const char *u1, const char *u2)
{
    const char *want[] = {u0, u1, u2};
    ck_assert_uint_eq(nitems(r), (size_t)n);
    for (int i = 0; i < n; i++) ck_assert_str_eq(item_str(r, (size_t)i, "username"), want[i]);
}

START_TEST(list_filters_by_role)
{
    resp *r = list_marked(T_ADMIN, "role=viewer");
    ck_assert_int_eq(jint(r, "total"), 1);
    assert_usernames(r, 1, g_ub, NULL, NULL);
    ck_assert_str_eq(item_str(r, 0, "role"), "viewer");
    resp_free(r);
    r = list_marked(T_ADMIN, "role=reporter");
    ck_assert_int_eq(jint(r, "total"), 2);
    assert_usernames(r, 2, g_ua, g_uc, NULL);
    resp_free(r);
    r = list_marked(T_ADMIN, "role=admin");
    ck_assert_int_eq(jint(r, "total"), 0);
    ck_assert_uint_eq(nitems(r), 0);
    resp_free(r);
    /* Without the marker: every item has the role asked for. */
    r = http_get("/api/v1/users?role=manager&limit=1000", T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), db_count("SELECT count(*) FROM users WHERE role = $1", "manager"));
    for (size_t i = 0; i < nitems(r); i++) ck_assert_str_eq(item_str(r, i, "role"), "manager");
    ck_assert(list_has_username(r, "syt.manager") && list_has_username(r, "sondong.manager"));
    resp_free(r);
}
END_TEST

START_TEST(list_q_searches_full_name_ignoring_case_and_diacritics)
{
    char q[128], path[256];
    const char *queries[] = {"nguyen van anh", "NGUYEN VAN ANH", "Nguyễn Văn Ánh", "van anh"};
    for (int i = 0; i < 4; i++) {
        snprintf(q, sizeof q, "%s %s", queries[i], g_mark);
        snprintf(path, sizeof path, "/api/v1/users?q=%s", qenc(q));
        resp *r = http_get(path, T_ADMIN);
        ASSERT_STATUS(r, 200);
        ck_assert_msg(jint(r, "total") == 1, "q=%s: total %lld", q, jint(r, "total"));
        assert_usernames(r, 1, g_ua, NULL, NULL);
        snprintf(q, sizeof q, "Nguyễn Văn Ánh %s", g_mark);
        ck_assert_str_eq(item_str(r, 0, "full_name"), q);
        resp_free(r);
    }
    /* "binh" finds Bình, not Ánh or Cường. */
    snprintf(q, sizeof q, "tran thi binh %s", g_mark);
    snprintf(path, sizeof path, "/api/v1/users?q=%s", qenc(q));
    resp *r = http_get(path, T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 1);
    assert_usernames(r, 1, g_ub, NULL, NULL);
    resp_free(r);
    /* The marker alone matches all three (through username and full name). */
    r = list_marked(T_ADMIN, NULL);
    ck_assert_int_eq(jint(r, "total"), 3);
    resp_free(r);
}
END_TEST

START_TEST(list_filters_by_active)
{
    resp *r = list_marked(T_ADMIN, "active=false");
    ck_assert_int_eq(jint(r, "total"), 1);
    assert_usernames(r, 1, g_uc, NULL, NULL);
    ck_assert(json_is_false(json_object_get(json_array_get(json_object_get(r->json, "items"), 0), "active")));
    resp_free(r);
    r = list_marked(T_ADMIN, "active=true");
    ck_assert_int_eq(jint(r, "total"), 2);
    assert_usernames(r, 2, g_ua, g_ub, NULL);
    resp_free(r);
}
END_TEST

START_TEST(list_filters_by_unit_id_and_under)
{
    char extra[64];
    snprintf(extra, sizeof extra, "unit_id=%lld", unit_id("TYT-ANLAC"));
    resp *r = list_marked(T_ADMIN, extra);
    ck_assert_int_eq(jint(r, "total"), 1);
    assert_usernames(r, 1, g_ua, NULL, NULL);
    resp_free(r);
    /* unit_id is the unit itself, not its subtree. */
    snprintf(extra, sizeof extra, "unit_id=%lld", unit_id("TTYT-SD"));
    r = list_marked(T_ADMIN, extra);
    ck_assert_int_eq(jint(r, "total"), 1);
    assert_usernames(r, 1, g_ub, NULL, NULL);
    resp_free(r);
    snprintf(extra, sizeof extra, "under=%lld", unit_id("TTYT-SD"));
    r = list_marked(T_ADMIN, extra);
    ck_assert_int_eq(jint(r, "total"), 3);
    resp_free(r);
    snprintf(extra, sizeof extra, "under=%lld", unit_id("24001"));
    r = list_marked(T_ADMIN, extra);
    ck_assert_int_eq(jint(r, "total"), 0);
    resp_free(r);
}
END_TEST

START_TEST(list_sorts_by_username_both_ways)
{
    resp *r = list_marked(T_ADMIN, "sort=-username");
    ck_assert_int_eq(jint(r, "total"), 3);
    assert_usernames(r, 3, g_uc, g_ub, g_ua);
    resp_free(r);
    r = list_marked(T_ADMIN, "sort=username");
    assert_usernames(r, 3, g_ua, g_ub, g_uc);
    resp_free(r);
    /* The default order is username. */
    r = list_marked(T_ADMIN, NULL);
    assert_usernames(r, 3, g_ua, g_ub, g_uc);
    resp_free(r);
    /* full_name sorts without diacritics: Lê < Nguyễn < Trần. */
    r = list_marked(T_ADMIN, "sort=full_name");
    assert_usernames(r, 3, g_uc, g_ua, g_ub);
    resp_free(r);
}
END_TEST

START_TEST(list_pages_with_limit_offset_and_total)
{
    resp *r = list_marked(T_ADMIN, "sort=username&limit=2&offset=1");
    ck_assert_int_eq(jint(r, "total"), 3);
    ck_assert_int_eq(jint(r, "limit"), 2);
    ck_assert_int_eq(jint(r, "offset"), 1);
    assert_usernames(r, 2, g_ub, g_uc, NULL);
    resp_free(r);
    r = list_marked(T_ADMIN, "sort=username&limit=1");
    ck_assert_int_eq(jint(r, "total"), 3);
    ck_assert_int_eq(jint(r, "limit"), 1);
    ck_assert_int_eq(jint(r, "offset"), 0);
    assert_usernames(r, 1, g_ua, NULL, NULL);
    resp_free(r);
    r = list_marked(T_ADMIN, "offset=3");
    ck_assert_int_eq(jint(r, "total"), 3);
    ck_assert_int_eq(jint(r, "limit"), 50);
    ck_assert_uint_eq(nitems(r), 0);
    resp_free(r);
    /* Without filters the total is every user. */
    r = http_get("/api/v1/users?limit=1", T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), db_count("SELECT count(*) FROM users", NULL));
    ck_assert_uint_eq(nitems(r), 1);
    resp_free(r);
}
END_TEST

START_TEST(list_answers_csv_with_exact_header_row)
{
    char path[256];
    snprintf(path, sizeof path, "/api/v1/users?q=%s&sort=username", g_mark);
    req_opts o = {.token = T_ADMIN, .headers = {"Accept: text/csv", NULL}};
    resp *r = http_do("GET", path, &o);
    ASSERT_STATUS(r, 200);
    char ct[128];
    ck_assert_str_eq(resp_header(r, "Content-Type", ct, sizeof ct), "text/csv; charset=utf-8");
    static const char header[] =
        "id,username,full_name,role,unit_id,unit_code,active,last_login_at,created_at,updated_at\r\n";
    ck_assert_msg(strncmp(r->body, header, strlen(header)) == 0, "CSV starts: %.120s", r->body);
    /* One line per user, in order, with the expected cells. */
    int lines = 0;
    for (const char *p = r->body; (p = strstr(p, "\r\n")) != NULL; p += 2) lines++;
    ck_assert_int_eq(lines, 4);
    char row[256];
    const char *line2 = r->body + strlen(header);
    snprintf(row, sizeof row, ",%s,Nguyễn Văn Ánh %s,reporter,%lld,TYT-ANLAC,true,,", g_ua, g_mark, unit_id("TYT-ANLAC"));
    ck_assert_msg(strstr(line2, row) != NULL && strstr(line2, row) < strstr(line2, "\r\n"), "row 1: %.200s", line2);
    const char *line4 = strstr(strstr(line2, "\r\n") + 2, "\r\n") + 2;
    snprintf(row, sizeof row, ",%s,Lê Văn Cường %s,reporter,%lld,TYT-DAISON,false,,", g_uc, g_mark, unit_id("TYT-DAISON"));
    ck_assert_msg(strstr(line4, row) == line4 + strcspn(line4, ","), "row 3: %.200s", line4);
    resp_free(r);
    /* bom=true puts a UTF-8 BOM before the header. */
    snprintf(path, sizeof path, "/api/v1/users?q=%s&bom=true", g_mark);
    r = http_do("GET", path, &o);
    ASSERT_STATUS(r, 200);
    ck_assert(strncmp(r->body, "\xEF\xBB\xBF" "id,username,", 15) == 0);
    resp_free(r);
}
END_TEST

START_TEST(bad_query_values_are_400)
{
    const char *queries[] = {"limit=0", "limit=1001", "offset=-1", "sort=bogus", "sort=-password_hash",
                             "active=maybe", "role=superuser", "unit_id=abc", "colour=red"};
    const char *fields[] = {"limit", "limit", "offset", "sort", "sort", "active", "role", "unit_id", "colour"};
    for (int i = 0; i < 9; i++) {
        char path[128];
        snprintf(path, sizeof path, "/api/v1/users?%s", queries[i]);
        resp *r = http_get(path, T_ADMIN);
        ck_assert_msg(r->status == 400, "%s: %ld", queries[i], r->status);
        assert_problem(r, 400, "bad-request");
        ck_assert_msg(nerrors(r) == 1 && count_errors(r, fields[i], NULL) == 1, "%s: %s", queries[i], r->body);
        resp_free(r);
    }
    /* Every bad value is reported at once. */
    resp *r = http_get("/api/v1/users?limit=0&sort=bogus&active=maybe", T_ADMIN);
    ASSERT_STATUS(r, 400);
    ck_assert_uint_eq(nerrors(r), 3);
    ck_assert_int_eq(count_errors(r, "limit", NULL), 1);
    ck_assert_int_eq(count_errors(r, "sort", NULL), 1);
    ck_assert_int_eq(count_errors(r, "active", "must be true or false"), 1);
    resp_free(r);
}
END_TEST

/* ---- updates and deactivation ------------------------------------------------------------- */

START_TEST(patch_full_name_with_current_if_match_200_then_stale_412)
{
    char username[64];
    snprintf(username, sizeof username, "ut.etag.%s", uniq());
    long long id = make_user(T_ADMIN, username, "Tên Cũ", "viewer", "SYT-BN", 1);
    char etag1[64], etag2[64], etag3[64];
    resp *r = get_etag(user_path(id), etag1, sizeof etag1);
    resp_free(r);

    r = patch_if_match(user_path(id), T_ADMIN, etag1, "{\"full_name\":\"Tên Mới\"}");
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "full_name"), "Tên Mới");
    ck_assert_str_eq(jstr(r, "username"), username);
    ck_assert_str_eq(jstr(r, "role"), "viewer");
    ck_assert_str_eq(jstr(r, "unit_code"), "SYT-BN");
    ck_assert_msg(is_etag(resp_header(r, "ETag", etag2, sizeof etag2)), "ETag %s", etag2);
    ck_assert_str_ne(etag2, etag1);
    ck_assert_ptr_null(strstr(r->body, "password"));
    resp_free(r);
    /* GET agrees with the new ETag. */
    r = get_etag(user_path(id), etag3, sizeof etag3);
    ck_assert_str_eq(etag3, etag2);
    ck_assert_str_eq(jstr(r, "full_name"), "Tên Mới");
    resp_free(r);

    /* The old ETag is stale now: 412, nothing written. */
    r = patch_if_match(user_path(id), T_ADMIN, etag1, "{\"full_name\":\"Tên Khác\"}");
    ASSERT_STATUS(r, 412);
    assert_problem(r, 412, "precondition-failed");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE id = $1::bigint AND full_name = 'Tên Mới'", idstr(id)), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity='user' AND entity_id=$1 AND action='update'"
                              " AND before->>'full_name' = 'Tên Cũ' AND after->>'full_name' = 'Tên Mới'", idstr(id)), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity='user' AND entity_id=$1 AND action='update'",
                              idstr(id)), 1);
    /* A list of tags including the current one matches; "*" matches. */
    char list[160];
    snprintf(list, sizeof list, "%s, %s", etag1, etag2);
    r = patch_if_match(user_path(id), T_ADMIN, list, "{\"full_name\":\"Tên Thứ Ba\"}");
    ASSERT_STATUS(r, 200);
    resp_free(r);
    r = patch_if_match(user_path(id), T_ADMIN, "*", "{\"full_name\":\"Tên Thứ Tư\"}");
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "full_name"), "Tên Thứ Tư");
    resp_free(r);
}
END_TEST

START_TEST(patch_unknown_or_bad_fields_is_422)
{
    char username[64];
    snprintf(username, sizeof username, "ut.p422.%s", uniq());
    long long id = make_user(T_ADMIN, username, "Sửa Sai", "viewer", "SYT-BN", 1);
    resp *r = http_send_json("PATCH", user_path(id), T_ADMIN,
                             "{\"username\":\"renamed\",\"full_name\":\"\",\"role\":\"king\",\"active\":\"no\"}");
    ASSERT_STATUS(r, 422);
    ck_assert_uint_eq(nerrors(r), 4);
    ck_assert_int_eq(count_errors(r, "username", "is not a field of this resource"), 1);
    ck_assert_int_eq(count_errors(r, "full_name", "must not be empty"), 1);
    ck_assert_int_eq(count_errors(r, "role", NULL), 1);
    ck_assert_int_eq(count_errors(r, "active", "must be true or false"), 1);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE id = $1::bigint AND full_name = 'Sửa Sai' AND active",
                              idstr(id)), 1);
}
END_TEST

START_TEST(patch_active_false_blocks_login_and_refresh)
{
    char username[64];
    snprintf(username, sizeof username, "ut.off.%s", uniq());
    long long id = make_user(T_ADMIN, username, "Sắp Nghỉ", "reporter", "TYT-DUONGHUU", 1);
    char *access = NULL, *refresh = NULL;
    ck_assert_int_eq(login_pair(username, PASSWORD, &access, &refresh), 200);

    resp *r = http_send_json("PATCH", user_path(id), T_ADMIN, "{\"active\":false}");
    ASSERT_STATUS(r, 200);
    ck_assert(json_is_false(json_object_get(r->json, "active")));
    resp_free(r);

    ck_assert_int_eq(failing_login(username, PASSWORD), 401);
    json_t *b = json_pack("{s:s}", "refresh_token", refresh);
    r = send_obj("POST", "/api/v1/auth/refresh", NULL, b);
    ASSERT_STATUS(r, 401);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM refresh_tokens WHERE user_id = $1::bigint AND revoked_at IS NULL",
                              idstr(id)), 0);
    /* The access token still in hand no longer reaches the account. */
    r = http_get("/api/v1/me", access);
    ASSERT_STATUS(r, 401);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE id = $1::bigint AND NOT active", idstr(id)), 1);
    free(access);
    free(refresh);
}
END_TEST

START_TEST(disabled_users_access_token_is_refused_on_every_route)
{
    /* openapi.yaml (deactivateUser): "the user cannot sign in and their tokens stop working". */
    char username[64], other[80];
    snprintf(username, sizeof username, "ut.offjwt.%s", uniq());
    snprintf(other, sizeof other, "%s.made", username);
    long long id = make_user(T_ADMIN, username, "Quản Lý Bị Tắt", "manager", "TTYT-SD", 1);
    char *access = login(username, PASSWORD);
    resp *r = http_get("/api/v1/units?limit=1", access);
    ASSERT_STATUS(r, 200);
    resp_free(r);

    r = http_do("DELETE", user_path(id), &(req_opts){.token = T_ADMIN});
    ASSERT_STATUS(r, 204);
    resp_free(r);

    r = http_get("/api/v1/units?limit=1", access);
    ASSERT_STATUS(r, 401);
    resp_free(r);
    r = http_get("/api/v1/users?limit=1", access);
    ASSERT_STATUS(r, 401);
    resp_free(r);
    r = post_user(access, other, "Tạo Bởi Tài Khoản Đã Tắt", "reporter", "TYT-ANLAC");
    ASSERT_STATUS(r, 401);
    resp_free(r);
    r = http_send_json("POST", "/api/v1/tokens", access, "{\"name\":\"after disable\"}");
    ASSERT_STATUS(r, 401);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE username = $1", other), 0);
    ck_assert_int_eq(db_count("SELECT count(*) FROM api_tokens WHERE user_id = $1::bigint", idstr(id)), 0);
    free(access);
}
END_TEST

START_TEST(patch_password_changes_the_password_and_revokes_refresh_tokens)
{
    char username[64];
    snprintf(username, sizeof username, "ut.pw.%s", uniq());
    long long id = make_user(T_ADMIN, username, "Đổi Mật Khẩu", "viewer", "SYT-BN", 1);
    char *refresh = NULL;
    ck_assert_int_eq(login_pair(username, PASSWORD, NULL, &refresh), 200);
    resp *r = http_send_json("PATCH", user_path(id), T_ADMIN, "{\"password\":\"Mat-khau-moi-2026\"}");
    ASSERT_STATUS(r, 200);
    ck_assert_ptr_null(strstr(r->body, "password"));
    resp_free(r);
    json_t *b = json_pack("{s:s}", "refresh_token", refresh);
    r = send_obj("POST", "/api/v1/auth/refresh", NULL, b);
    ASSERT_STATUS(r, 401);
    resp_free(r);
    free(refresh);
    ck_assert_int_eq(login_pair(username, "Mat-khau-moi-2026", NULL, NULL), 200);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity='user' AND entity_id=$1 AND action='update'"
                              " AND strpos(after::text, 'Mat-khau') = 0 AND strpos(after::text, 'argon2') = 0", idstr(id)), 1);
}
END_TEST

START_TEST(delete_deactivates_204_and_get_shows_active_false)
{
    char username[64];
    snprintf(username, sizeof username, "ut.del.%s", uniq());
    long long id = make_user(T_ADMIN, username, "Sẽ Bị Tắt", "viewer", "TTYT-SD-KNOI", 1);
    resp *r = http_do("DELETE", user_path(id), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 204);
    ck_assert(r->len == 0);
    resp_free(r);
    r = http_get(user_path(id), T_ADMIN);
    ASSERT_STATUS(r, 200);
    ck_assert(json_is_false(json_object_get(r->json, "active")));
    ck_assert_str_eq(jstr(r, "username"), username);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE id = $1::bigint", idstr(id)), 1); /* never deleted */
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity='user' AND entity_id=$1 AND action='disable'"
                              " AND username='sondong.manager' AND (before->>'active')::bool AND NOT (after->>'active')::bool",
                              idstr(id)), 1);
    /* Deactivating an inactive user is 204 as well. */
    r = http_do("DELETE", user_path(id), &(req_opts){.token = T_ADMIN});
    ASSERT_STATUS(r, 204);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE id = $1::bigint AND NOT active", idstr(id)), 1);
    ck_assert_int_eq(failing_login(username, PASSWORD), 401);
}
END_TEST

START_TEST(delete_with_stale_if_match_is_412)
{
    /* openapi.yaml (deactivateUser) accepts If-Match and lists 412. */
    char username[64];
    snprintf(username, sizeof username, "ut.del412.%s", uniq());
    long long id = make_user(T_ADMIN, username, "Còn Hoạt Động", "viewer", "SYT-BN", 1);
    char etag1[64], etag2[64];
    resp *r = get_etag(user_path(id), etag1, sizeof etag1);
    resp_free(r);
    r = http_send_json("PATCH", user_path(id), T_ADMIN, "{\"full_name\":\"Đã Đổi\"}");
    ASSERT_STATUS(r, 200);
    resp_header(r, "ETag", etag2, sizeof etag2);
    resp_free(r);
    char im[96];
    snprintf(im, sizeof im, "If-Match: %s", etag1);
    r = http_do("DELETE", user_path(id), &(req_opts){.token = T_ADMIN, .headers = {im, NULL}});
    ASSERT_STATUS(r, 412);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE id = $1::bigint AND active", idstr(id)), 1);
    snprintf(im, sizeof im, "If-Match: %s", etag2);
    r = http_do("DELETE", user_path(id), &(req_opts){.token = T_ADMIN, .headers = {im, NULL}});
    ASSERT_STATUS(r, 204);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE id = $1::bigint AND NOT active", idstr(id)), 1);
}
END_TEST

Suite *users_suite(void)
{
    Suite *s = suite_create("users");

    TCase *t = tcase_create("create");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, admin_creates_user_201_with_location_etag_exact_fields_no_password_and_audit);
    tcase_add_test(t, created_user_can_log_in_and_last_login_at_is_set);
    tcase_add_test(t, duplicate_username_is_409_and_leaves_one_row);
    tcase_add_test(t, missing_fields_are_422_listing_each_field);
    tcase_add_test(t, unknown_field_is_422_and_nothing_is_created);
    tcase_add_test(t, bad_username_and_short_password_are_422);
    tcase_add_test(t, unit_id_and_unit_code_naming_the_same_unit_are_accepted);
    suite_add_tcase(s, t);

    t = tcase_create("scope");
    tcase_set_timeout(t, 60);
    tcase_add_unchecked_fixture(t, sd_user_setup, NULL);
    tcase_add_test(t, sd_manager_creates_reporter_in_its_subtree_201);
    tcase_add_test(t, sd_manager_granting_admin_or_integration_is_403);
    tcase_add_test(t, sd_manager_unit_outside_subtree_is_422_no_such_unit);
    tcase_add_test(t, reporter_viewer_and_integration_get_403_on_users);
    tcase_add_test(t, sd_manager_lists_only_users_of_its_subtree);
    tcase_add_test(t, sd_manager_gets_404_for_users_outside_its_subtree);
    tcase_add_test(t, sd_manager_patching_role_admin_or_integration_is_403);
    tcase_add_test(t, sd_manager_moving_a_user_outside_its_subtree_is_422);
    tcase_add_test(t, sd_manager_updates_a_user_of_its_subtree);
    tcase_add_test(t, manager_cannot_disable_itself_or_change_its_role_403);
    suite_add_tcase(s, t);

    t = tcase_create("list");
    tcase_set_timeout(t, 60);
    tcase_add_unchecked_fixture(t, list_setup, NULL);
    tcase_add_test(t, list_filters_by_role);
    tcase_add_test(t, list_q_searches_full_name_ignoring_case_and_diacritics);
    tcase_add_test(t, list_filters_by_active);
    tcase_add_test(t, list_filters_by_unit_id_and_under);
    tcase_add_test(t, list_sorts_by_username_both_ways);
    tcase_add_test(t, list_pages_with_limit_offset_and_total);
    tcase_add_test(t, list_answers_csv_with_exact_header_row);
    tcase_add_test(t, bad_query_values_are_400);
    suite_add_tcase(s, t);

    t = tcase_create("update");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, patch_full_name_with_current_if_match_200_then_stale_412);
    tcase_add_test(t, patch_unknown_or_bad_fields_is_422);
    tcase_add_test(t, patch_active_false_blocks_login_and_refresh);
    tcase_add_test(t, disabled_users_access_token_is_refused_on_every_route);
    tcase_add_test(t, patch_password_changes_the_password_and_revokes_refresh_tokens);
    tcase_add_test(t, delete_deactivates_204_and_get_shows_active_false);
    tcase_add_test(t, delete_with_stale_if_match_is_412);
    suite_add_tcase(s, t);
    return s;
}
