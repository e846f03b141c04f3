/* API tokens: shown once, stored hashed, expiring, revocable, acting with the owner's role and
 * scope. Token names carry a uniq() suffix so that the suite can run again against the same
 * database. */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- helpers ------------------------------------------------------------------------------ */

static const char *token_path(long long id)
{
    static char buf[4][64];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "/api/v1/tokens/%lld", id);
    return buf[k];
}

/* today + days (UTC, as the server counts) as YYYY-MM-DD. */
static void date_in(int days, char out[11])
{
    time_t t = time(NULL) + (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static resp *post_token(const char *token, const char *name, const char *expires_on)
{
    json_t *o = json_pack("{s:s}", "name", name);
    if (expires_on) json_object_set_new(o, "expires_on", json_string(expires_on));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    resp *r = http_send_json("POST", "/api/v1/tokens", token, text);
    free(text);
    return r;
}

typedef struct made_token {
    long long id;
    char secret[128];
    char name[128];
} made_token;

/* Creates an API token as the caller (asserting 201). */
static made_token make_token(const char *token, const char *label)
{
    made_token m;
    memset(&m, 0, sizeof m);
    snprintf(m.name, sizeof m.name, "%s %s", label, uniq());
    resp *r = post_token(token, m.name, NULL);
    ASSERT_STATUS(r, 201);
    m.id = jint(r, "id");
    ck_assert_int_gt(m.id, 0);
    ck_assert_ptr_nonnull(jstr(r, "token"));
    snprintf(m.secret, sizeof m.secret, "%s", jstr(r, "token"));
    resp_free(r);
    return m;
}

/* The item of the caller's token list with this id (a new reference), or NULL. */
static json_t *listed_token(const char *token, long long id)
{
    resp *r = http_get("/api/v1/tokens?limit=1000", token);
    ASSERT_STATUS(r, 200);
    json_t *found = NULL;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r->json, "items"), i, it)
        if (json_integer_value(json_object_get(it, "id")) == id) found = json_incref(it);
    resp_free(r);
    return found;
}

static long me_status(const char *token, char *username, size_t len)
{
    resp *r = http_get("/api/v1/me", token);
    long st = r->status;
    if (username && st == 200) snprintf(username, len, "%s", jstr(r, "username"));
    if (st == 401) {
        char wa[128];
        ck_assert_ptr_nonnull(resp_header(r, "WWW-Authenticate", wa, sizeof wa));
        ck_assert_ptr_nonnull(strstr(wa, "Bearer"));
    }
    resp_free(r);
    return st;
}

static long delete_token(const char *token, const char *path)
{
    resp *r = http_do("DELETE", path, &(req_opts){.token = token});
    long st = r->status;
    if (st == 204) ck_assert_uint_eq(r->len, 0);
    resp_free(r);
    return st;
}

/* ---- tests -------------------------------------------------------------------------------- */

START_TEST(create_returns_201_with_bdh_token_prefix_default_expiry_and_location)
{
    char name[96], before[11], after[11];
    snprintf(name, sizeof name, "báo cáo tỉnh %s", uniq());
    date_in(90, before);
    resp *r = post_token(T_ADMIN, name, NULL);
    date_in(90, after);
    ASSERT_STATUS(r, 201);
    long long id = jint(r, "id");
    ck_assert_int_gt(id, 0);
    const char *tok = jstr(r, "token");
    ck_assert_ptr_nonnull(tok);
    ck_assert_msg(strncmp(tok, "bdh_", 4) == 0, "token %s", tok);
    ck_assert_uint_gt(strlen(tok), 20);
    char prefix[13];
    snprintf(prefix, sizeof prefix, "%.12s", tok);
    ck_assert_str_eq(jstr(r, "prefix"), prefix);
    ck_assert_str_eq(jstr(r, "name"), name);
    ck_assert_int_eq(jint(r, "user_id"), user_id_of("admin"));
    const char *exp = jstr(r, "expires_on");
    ck_assert_msg(exp && (strcmp(exp, before) == 0 || strcmp(exp, after) == 0), "expires_on %s, want %s", exp, before);
    ck_assert_msg(is_timestamp(jstr(r, "created_at")), "created_at %s", jstr(r, "created_at"));
    ck_assert(json_is_null(json_object_get(r->json, "last_used_at")));
    ck_assert(json_is_null(json_object_get(r->json, "revoked_at")));
    ck_assert_uint_eq(json_object_size(r->json), 9); /* ApiToken + token */
    char loc[128], cc[64];
    ck_assert_str_eq(resp_header(r, "Location", loc, sizeof loc), token_path(id));
    ck_assert_str_eq(resp_header(r, "Cache-Control", cc, sizeof cc), "no-store");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM api_tokens WHERE id = $1::bigint AND revoked_at IS NULL"
                              " AND expires_on = current_date + 90", idstr(id)), 1);
    /* Audited without the secret. */
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity='api_token' AND entity_id=$1 AND action='create'"
                              " AND username='admin' AND after->'token' IS NULL AND after->>'prefix' IS NOT NULL", idstr(id)), 1);
}
END_TEST

START_TEST(create_with_explicit_expiry_keeps_it)
{
    char name[96], exp[11], year[11];
    snprintf(name, sizeof name, "ngắn hạn %s", uniq());
    date_in(30, exp);
    resp *r = post_token(T_SYT_VIEWER, name, exp);
    ASSERT_STATUS(r, 201);
    ck_assert_str_eq(jstr(r, "expires_on"), exp);
    ck_assert_int_eq(jint(r, "user_id"), user_id_of("syt.viewer"));
    resp_free(r);
    /* Tomorrow and 365 days ahead are within the bounds. */
    date_in(1, exp);
    r = post_token(T_SYT_VIEWER, name, exp);
    ASSERT_STATUS(r, 201);
    ck_assert_str_eq(jstr(r, "expires_on"), exp);
    resp_free(r);
    date_in(365, year);
    r = post_token(T_SYT_VIEWER, name, year);
    ASSERT_STATUS(r, 201);
    ck_assert_str_eq(jstr(r, "expires_on"), year);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM api_tokens WHERE name = $1", name), 3);
}
END_TEST

START_TEST(api_token_authenticates_me_and_sets_last_used_at)
{
    made_token m = make_token(T_SYT_VIEWER, "script");
    json_t *it = listed_token(T_SYT_VIEWER, m.id);
    ck_assert_ptr_nonnull(it);
    ck_assert(json_is_null(json_object_get(it, "last_used_at")));
    json_decref(it);

    char username[64] = "";
    ck_assert_int_eq(me_status(m.secret, username, sizeof username), 200);
    ck_assert_str_eq(username, "syt.viewer");

    it = listed_token(T_SYT_VIEWER, m.id);
    ck_assert_ptr_nonnull(it);
    const char *used = json_string_value(json_object_get(it, "last_used_at"));
    ck_assert_msg(is_timestamp(used), "last_used_at %s", used ? used : "null");
    json_decref(it);
    ck_assert_int_eq(db_count("SELECT count(*) FROM api_tokens WHERE id = $1::bigint AND last_used_at IS NOT NULL",
                              idstr(m.id)), 1);
    /* The token lists its owner's tokens, this one included. */
    it = listed_token(m.secret, m.id);
    ck_assert_ptr_nonnull(it);
    json_decref(it);
}
END_TEST

START_TEST(list_never_shows_the_secret_and_holds_only_own_tokens_newest_first)
{
    made_token a = make_token(T_SYT_VIEWER, "first");
    made_token b = make_token(T_SYT_VIEWER, "second");
    resp *r = http_get("/api/v1/tokens?limit=1000", T_SYT_VIEWER);
    ASSERT_STATUS(r, 200);
    ck_assert_ptr_null(strstr(r->body, a.secret));
    ck_assert_ptr_null(strstr(r->body, b.secret));
    ck_assert_ptr_null(strstr(r->body, "\"token\""));
    ck_assert_ptr_null(strstr(r->body, "token_hash"));
    long long viewer = user_id_of("syt.viewer");
    ck_assert_int_eq(jint(r, "total"), db_count("SELECT count(*) FROM api_tokens WHERE user_id = $1::bigint", idstr(viewer)));
    size_t i;
    json_t *it;
    long long prev = 0;
    json_array_foreach(json_object_get(r->json, "items"), i, it) {
        ck_assert_ptr_null(json_object_get(it, "token"));
        ck_assert_uint_eq(json_object_size(it), 8);
        ck_assert_int_eq(json_integer_value(json_object_get(it, "user_id")), viewer);
        long long id = json_integer_value(json_object_get(it, "id"));
        if (i > 0) ck_assert_int_lt(id, prev);
        prev = id;
    }
    resp_free(r);
    r = http_get("/api/v1/tokens?limit=2", T_SYT_VIEWER);
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "limit"), 2);
    ck_assert_int_eq(jint(r, "offset"), 0);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(items, 0), "id")), b.id);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(items, 1), "id")), a.id);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 0), "name")), b.name);
    resp_free(r);
    /* Bad paging is 400. */
    r = http_get("/api/v1/tokens?limit=0", T_SYT_VIEWER);
    ASSERT_STATUS(r, 400);
    ck_assert_int_eq(count_errors(r, "limit", NULL), 1);
    resp_free(r);
}
END_TEST

START_TEST(delete_revokes_204_token_then_401_and_delete_again_204)
{
    made_token m = make_token(T_SD_REPORTER, "revoke me");
    ck_assert_int_eq(me_status(m.secret, NULL, 0), 200);
    ck_assert_int_eq(delete_token(T_SD_REPORTER, token_path(m.id)), 204);
    ck_assert_int_eq(me_status(m.secret, NULL, 0), 401);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity='api_token' AND entity_id=$1 AND action='revoke'"
                              " AND username='sondong.reporter' AND before->>'revoked_at' IS NULL"
                              " AND after->>'revoked_at' IS NOT NULL", idstr(m.id)), 1);
    json_t *it = listed_token(T_SD_REPORTER, m.id);
    ck_assert_ptr_nonnull(it); /* revoked tokens are still listed */
    char revoked[32];
    ck_assert_msg(is_timestamp(json_string_value(json_object_get(it, "revoked_at"))), "revoked_at");
    snprintf(revoked, sizeof revoked, "%s", json_string_value(json_object_get(it, "revoked_at")));
    json_decref(it);
    /* Again: 204, and the first revocation time stays. */
    ck_assert_int_eq(delete_token(T_SD_REPORTER, token_path(m.id)), 204);
    it = listed_token(T_SD_REPORTER, m.id);
    ck_assert_str_eq(json_string_value(json_object_get(it, "revoked_at")), revoked);
    json_decref(it);
    ck_assert_int_eq(me_status(m.secret, NULL, 0), 401);
}
END_TEST

START_TEST(another_users_token_is_404_for_non_admin_and_revocable_by_admin)
{
    made_token m = make_token(T_SD_REPORTER, "not yours");
    ck_assert_int_eq(delete_token(T_SYT_VIEWER, token_path(m.id)), 404);
    ck_assert_int_eq(delete_token(T_SD_MANAGER, token_path(m.id)), 404); /* even the reporter's manager */
    ck_assert_int_eq(db_count("SELECT count(*) FROM api_tokens WHERE id = $1::bigint AND revoked_at IS NULL", idstr(m.id)), 1);
    ck_assert_int_eq(me_status(m.secret, NULL, 0), 200);
    /* Not in the other user's list either. */
    ck_assert_ptr_null(listed_token(T_SYT_VIEWER, m.id));
    /* An admin may revoke anyone's. */
    ck_assert_int_eq(delete_token(T_ADMIN, token_path(m.id)), 204);
    ck_assert_int_eq(me_status(m.secret, NULL, 0), 401);
    ck_assert_int_eq(db_count("SELECT count(*) FROM api_tokens WHERE id = $1::bigint AND revoked_at IS NOT NULL", idstr(m.id)), 1);
    /* Ids that do not exist. */
    ck_assert_int_eq(delete_token(T_SD_REPORTER, "/api/v1/tokens/999999999"), 404);
    ck_assert_int_eq(delete_token(T_SD_REPORTER, "/api/v1/tokens/abc"), 404);
}
END_TEST

START_TEST(expiry_yesterday_today_two_years_ahead_or_malformed_is_422)
{
    char name[96], d[11];
    snprintf(name, sizeof name, "hết hạn %s", uniq());
    struct {
        int days;
        const char *msg;
    } cases[] = {{-1, "must be after today"}, {0, "must be after today"}, {730, "must be at most a year from today"},
                 {367, "must be at most a year from today"}};
    for (int i = 0; i < 4; i++) {
        date_in(cases[i].days, d);
        resp *r = post_token(T_SD_REPORTER, name, d);
        ck_assert_msg(r->status == 422, "expires_on %s: %ld %s", d, r->status, r->body);
        ck_assert_uint_eq(nerrors(r), 1);
        ck_assert_msg(count_errors(r, "expires_on", cases[i].msg) == 1, "expires_on %s: %s", d, r->body);
        resp_free(r);
    }
    const char *bad[] = {"2026-02-30", "30/06/2027", "tomorrow"};
    for (int i = 0; i < 3; i++) {
        resp *r = post_token(T_SD_REPORTER, name, bad[i]);
        ck_assert_msg(r->status == 422, "expires_on %s: %ld", bad[i], r->status);
        ck_assert_int_eq(count_errors(r, "expires_on", "must be a date written YYYY-MM-DD"), 1);
        resp_free(r);
    }
    ck_assert_int_eq(db_count("SELECT count(*) FROM api_tokens WHERE name = $1", name), 0);
}
END_TEST

START_TEST(unknown_field_or_missing_name_is_422)
{
    char name[96], body[256];
    snprintf(name, sizeof name, "lạ %s", uniq());
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"scope\":\"all\"}", name);
    resp *r = http_send_json("POST", "/api/v1/tokens", T_SD_REPORTER, body);
    ASSERT_STATUS(r, 422);
    ck_assert_uint_eq(nerrors(r), 1);
    ck_assert_int_eq(count_errors(r, "scope", "is not a field of this resource"), 1);
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:validation");
    resp_free(r);
    r = http_send_json("POST", "/api/v1/tokens", T_SD_REPORTER, "{}");
    ASSERT_STATUS(r, 422);
    ck_assert_uint_eq(nerrors(r), 1);
    ck_assert_int_eq(count_errors(r, "name", "is required"), 1);
    resp_free(r);
    r = http_send_json("POST", "/api/v1/tokens", T_SD_REPORTER, "{\"name\":\"\"}");
    ASSERT_STATUS(r, 422);
    ck_assert_int_eq(count_errors(r, "name", "must not be empty"), 1);
    resp_free(r);
    r = http_send_json("POST", "/api/v1/tokens", T_SD_REPORTER, "{\"name\":42}");
    ASSERT_STATUS(r, 422);
    ck_assert_int_eq(count_errors(r, "name", "must be a string"), 1);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM api_tokens WHERE name = $1", name), 0);
}
END_TEST

START_TEST(tokens_need_a_signed_in_caller)
{
    resp *r = http_send_json("POST", "/api/v1/tokens", NULL, "{\"name\":\"anonymous\"}");
    ASSERT_STATUS(r, 401);
    resp_free(r);
    r = http_get("/api/v1/tokens", NULL);
    ASSERT_STATUS(r, 401);
    resp_free(r);
    r = http_get("/api/v1/me", "bdh_not-a-real-token-at-all");
    ASSERT_STATUS(r, 401);
    resp_free(r);
    r = http_do("DELETE", "/api/v1/tokens/1", NULL);
    ASSERT_STATUS(r, 401);
    resp_free(r);
}
END_TEST

START_TEST(reporter_token_keeps_the_reporters_scope_and_role)
{
    made_token m = make_token(T_SD_REPORTER, "phạm vi");
    char path[64];
    snprintf(path, sizeof path, "/api/v1/units/%lld", unit_id("SYT-BN"));
    resp *r = http_get(path, m.secret);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    snprintf(path, sizeof path, "/api/v1/units/%lld", unit_id("24001"));
    r = http_get(path, m.secret);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    snprintf(path, sizeof path, "/api/v1/units/%lld", unit_id("TYT-ANLAC"));
    r = http_get(path, m.secret);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(jstr(r, "code"), "TYT-ANLAC");
    resp_free(r);
    /* Its role is the reporter's: no user management. */
    r = http_get("/api/v1/users", m.secret);
    ASSERT_STATUS(r, 403);
    resp_free(r);
    /* The unit list holds only the subtree of TTYT-SD. */
    r = http_get("/api/v1/units?limit=1000", m.secret);
    ASSERT_STATUS(r, 200);
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r->json, "items"), i, it) {
        const char *code = json_string_value(json_object_get(it, "code"));
        ck_assert_str_ne(code, "SYT-BN");
        ck_assert_str_ne(code, "24001");
        ck_assert_str_ne(code, "CDC-BN");
    }
    ck_assert_int_eq(jint(r, "total"), db_count("SELECT count(*) FROM units WHERE path <@ (SELECT path FROM units WHERE code = $1)",
                                                "TTYT-SD"));
    resp_free(r);
}
END_TEST

START_TEST(token_is_stored_hashed_never_raw)
{
    made_token m = make_token(T_SYT_VIEWER, "băm");
    ck_assert_int_eq(db_count("SELECT count(*) FROM api_tokens WHERE token_hash = $1", m.secret), 0);
    ck_assert_int_eq(db_count("SELECT count(*) FROM api_tokens WHERE id = $1::bigint AND token_hash ~ '^[0-9a-f]{64}$'",
                              idstr(m.id)), 1);
    /* Neither the secret part after the prefix nor the whole token appears in any column. */
    ck_assert_int_eq(db_count("SELECT count(*) FROM api_tokens t WHERE strpos(t::text, $1) > 0", m.secret + 12), 0);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log a WHERE strpos(a::text, $1) > 0", m.secret + 12), 0);
    char prefix[13];
    snprintf(prefix, sizeof prefix, "%.12s", m.secret);
    ck_assert_int_eq(db_count("SELECT count(*) FROM api_tokens WHERE prefix = $1", prefix), 1);
}
END_TEST

START_TEST(expired_token_is_401)
{
    made_token m = make_token(T_SYT_VIEWER, "cũ");
    ck_assert_int_eq(me_status(m.secret, NULL, 0), 200);
    /* Age it in the database: its last day was yesterday. */
    ck_assert_int_eq(db_count("WITH u AS (UPDATE api_tokens SET expires_on = current_date - 1 WHERE id = $1::bigint"
                              " RETURNING 1) SELECT count(*) FROM u", idstr(m.id)), 1);
    ck_assert_int_eq(me_status(m.secret, NULL, 0), 401);
    /* Its last day still works. */
    ck_assert_int_eq(db_count("WITH u AS (UPDATE api_tokens SET expires_on = current_date WHERE id = $1::bigint"
                              " RETURNING 1) SELECT count(*) FROM u", idstr(m.id)), 1);
    ck_assert_int_eq(me_status(m.secret, NULL, 0), 200);
}
END_TEST

START_TEST(disabling_the_owner_stops_its_tokens)
{
    char username[64];
    snprintf(username, sizeof username, "ut.tokowner.%s", uniq());
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "username", username, "password", "Mat-khau-2026-ok", "full_name",
                          "Chủ Token", "role", "reporter", "unit_code", "TYT-YENDINH");
    char *body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    resp *r = http_send_json("POST", "/api/v1/users", T_ADMIN, body);
    free(body);
    ASSERT_STATUS(r, 201);
    long long uid = jint(r, "id");
    resp_free(r);
    char *access = login(username, "Mat-khau-2026-ok");
    made_token m = make_token(access, "owner");
    char who[64] = "";
    ck_assert_int_eq(me_status(m.secret, who, sizeof who), 200);
    ck_assert_str_eq(who, username);

    char path[64];
    snprintf(path, sizeof path, "/api/v1/users/%lld", uid);
    r = http_send_json("PATCH", path, T_ADMIN, "{\"active\":false}");
    ASSERT_STATUS(r, 200);
    resp_free(r);
    ck_assert_int_eq(me_status(m.secret, NULL, 0), 401);
    r = http_get("/api/v1/tokens", m.secret);
    ASSERT_STATUS(r, 401);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM api_tokens WHERE id = $1::bigint AND revoked_at IS NOT NULL", idstr(m.id)), 1);
    /* Enabling the owner again does not bring revoked tokens back. */
    r = http_send_json("PATCH", path, T_ADMIN, "{\"active\":true}");
    ASSERT_STATUS(r, 200);
    resp_free(r);
    ck_assert_int_eq(me_status(m.secret, NULL, 0), 401);
    free(access);
}
END_TEST

Suite *tokens_suite(void)
{
    Suite *s = suite_create("tokens");
    TCase *t = tcase_create("tokens");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, create_returns_201_with_bdh_token_prefix_default_expiry_and_location);
    tcase_add_test(t, create_with_explicit_expiry_keeps_it);
    tcase_add_test(t, api_token_authenticates_me_and_sets_last_used_at);
    tcase_add_test(t, list_never_shows_the_secret_and_holds_only_own_tokens_newest_first);
    tcase_add_test(t, delete_revokes_204_token_then_401_and_delete_again_204);
    tcase_add_test(t, another_users_token_is_404_for_non_admin_and_revocable_by_admin);
    tcase_add_test(t, expiry_yesterday_today_two_years_ahead_or_malformed_is_422);
    tcase_add_test(t, unknown_field_or_missing_name_is_422);
    tcase_add_test(t, tokens_need_a_signed_in_caller);
    tcase_add_test(t, reporter_token_keeps_the_reporters_scope_and_role);
    tcase_add_test(t, token_is_stored_hashed_never_raw);
    tcase_add_test(t, expired_token_is_401);
    tcase_add_test(t, disabling_the_owner_stops_its_tokens);
    suite_add_tcase(s, t);
    return s;
}
