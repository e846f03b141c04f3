/* Bulk loads of staff, completions and attestations: CSV (BOM, CRLF, RFC 4180 quoting) and JSON
 * arrays, all-or-nothing validation naming every bad row, scope, dry runs, Idempotency-Key
 * replays, and a 10,000-row file. Each test loads rows whose codes share a uniq() prefix into
 * a unit of its own under TYT-ANLAC, and counts what was written by that prefix. */
#include "client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------------------------ */

/* A growing text buffer. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_addf(sbuf *b, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void sb_addf(sbuf *b, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    if (b->len + (size_t)n + 1 > b->cap) {
        b->cap = (b->len + (size_t)n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        ck_assert_ptr_nonnull(b->p);
    }
    va_start(ap, f);
    vsnprintf(b->p + b->len, (size_t)n + 1, f, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Staff whose code starts with prefix. */
static long long staff_with_prefix(const char *prefix)
{
    return db_count("SELECT count(*) FROM staff WHERE left(code, length($1)) = $1", prefix);
}

static long long imports_with(const char *rid)
{
    return db_count("SELECT count(*) FROM audit_log WHERE action = 'import' AND client_request_id = $1", rid);
}

static resp *post_body(const char *path, const char *token, const char *ct, const char *body, size_t len, const char *h1,
                       const char *h2)
{
    req_opts o = {.token = token, .content_type = ct, .body = body, .body_len = len, .headers = {h1, h2, NULL}};
    return http_do("POST", path, &o);
}

/* POSTs csv to /api/v1/<what>/import<query> as text/csv. */
static resp *load_csv(const char *what, const char *query, const char *token, const char *csv)
{
    return post_body(fmt("/api/v1/%s/import%s", what, query ? query : ""), token, "text/csv", csv, strlen(csv), NULL, NULL);
}

static resp *load_json(const char *what, const char *token, const char *json)
{
    return post_body(fmt("/api/v1/%s/import", what), token, "application/json", json, strlen(json), NULL, NULL);
}

/* Asserts a 200 ImportResult with exactly these counts. */
static void assert_result(const resp *r, long long received, long long created, long long updated, long long unchanged,
                          int dry_run)
{
    ck_assert_msg(r->status == 200, "expected 200, got %ld: %.600s", r->status, r->body ? r->body : "");
    /* Staff, completion and attestation loads neither remove nor warn. */
    ck_assert_msg(json_object_size(r->json) == 7, "%s", r->body);
    ck_assert_int_eq(jint(r, "removed"), 0);
    ck_assert(json_is_array(json_object_get(r->json, "warnings")));
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "warnings")), 0);
    ck_assert_msg(jint(r, "received") == received && jint(r, "created") == created && jint(r, "updated") == updated &&
                      jint(r, "unchanged") == unchanged,
                  "want received %lld created %lld updated %lld unchanged %lld, got %s", received, created, updated,
                  unchanged, r->body);
    ck_assert(json_is_boolean(json_object_get(r->json, "dry_run")));
    ck_assert_int_eq(json_is_true(json_object_get(r->json, "dry_run")), dry_run);
}

/* Asserts a 422 whose errors are exactly the n (row, field, message) triples given. */
static void assert_errors(const resp *r, int n, ...)
{
    ck_assert_msg(r->status == 422, "expected 422, got %ld: %.600s", r->status, r->body ? r->body : "");
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:validation");
    json_t *errs = json_object_get(r->json, "errors");
    ck_assert_msg(json_array_size(errs) == (size_t)n, "want %d errors, got %s", n, r->body);
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        int row = va_arg(ap, int);
        const char *field = va_arg(ap, const char *), *msg = va_arg(ap, const char *);
        json_t *e = json_array_get(errs, (size_t)i);
        ck_assert_msg(json_integer_value(json_object_get(e, "row")) == row, "error %d: want row %d in %s", i, row, r->body);
        ck_assert_msg(strcmp(json_string_value(json_object_get(e, "field")), field) == 0, "error %d: want field %s in %s",
                      i, field, r->body);
        ck_assert_msg(message_is(json_string_value(json_object_get(e, "message")), msg), "error %d: want \"%s\" in %s", i,
                      msg, r->body);
    }
    va_end(ap);
}

/* A unit of the test's own under TYT-ANLAC, made by the Sơn Động manager. */
static long long make_unit(char *code, size_t len)
{
    return make_test_unit("IU", "Tổ nhập liệu kiểm thử", "other", "TYT-ANLAC", code, len);
}

static long long make_course(const char *code)
{
    json_t *o = json_pack("{s:s, s:s}", "code", code, "title", "Khoá nhập liệu");
    return created_id(send_obj("POST", "/api/v1/courses", T_ADMIN, o));
}

/* A staff member outside Sơn Động (in hospital 24001), made by the admin. */
static void make_far_staff(const char *code)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "code", code, "full_name", "Người Bệnh Viện Tỉnh", "unit_code",
                          "24001", "job_group", "doctor", "employment", "civil_servant", "joined_on", "2010-01-01");
    char *body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    resp *r = http_send_json("POST", "/api/v1/staff", T_ADMIN, body);
    free(body);
    ASSERT_STATUS(r, 201);
    resp_free(r);
}

static const char STAFF_HEADER[] =
    "code,full_name,unit_code,job_group,employment,party_member,joined_on,left_on,vneid_confirmed_on,vneid_source\n";

/* ---- staff loads -------------------------------------------------------------------------- */

START_TEST(clean_csv_creates_every_row_with_exact_values)
{
    char unit[40], p[32], rid[64], hdr[96];
    long long uid = make_unit(unit, sizeof unit);
    snprintf(p, sizeof p, "IC%s-", uniq());
    sbuf b = {0};
    sb_addf(&b, "%s", STAFF_HEADER);
    sb_addf(&b, "%s1,Nguyễn Thị Hoa,%s,nurse,public_employee,x,2019-03-01,,2025-09-15,VNeID\n", p, unit);
    sb_addf(&b, "%s2,Trần Văn Bình,%s,doctor,civil_servant,,2015-08-10,,,\n", p, unit);
    sb_addf(&b, "%s3,Lê Thị Cúc,%s,midwife,contract,no,2021-01-04,2025-06-30,,\n", p, unit);
    sb_addf(&b, "%s4,Phạm Văn Dũng,%s,technician,contract,1,2022-02-01,,,\n", p, unit);
    sb_addf(&b, "%s5,Hoàng Thị Én,%s,pharmacist,public_employee,false,2023-03-01,,2025-10-01,Công an xã\n", p, unit);
    snprintf(rid, sizeof rid, "import-clean-%s", uniq());
    snprintf(hdr, sizeof hdr, "X-Request-Id: %s", rid);
    /* A manager: a reporter's party_member cells are ignored (h8_scope tests that). */
    resp *r = post_body("/api/v1/staff/import", T_SD_MANAGER, "text/csv", b.p, b.len, hdr, NULL);
    assert_result(r, 5, 5, 0, 0, 0);
    char ct[64];
    ck_assert_str_eq(resp_header(r, "Content-Type", ct, sizeof ct), "application/json; charset=utf-8");
    resp_free(r);
    free(b.p);

    ck_assert_int_eq(staff_with_prefix(p), 5);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM staff s JOIN units u ON u.id = s.unit_id WHERE s.code = $1 || '1'"
                               " AND s.full_name = 'Nguyễn Thị Hoa' AND u.code = $2 AND s.job_group = 'nurse'"
                               " AND s.employment = 'public_employee' AND s.party_member AND s.joined_on = '2019-03-01'"
                               " AND s.left_on IS NULL AND s.vneid_confirmed_on = '2025-09-15' AND s.vneid_source = 'VNeID'",
                               p, unit), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 || '2' AND full_name = 'Trần Văn Bình'"
                              " AND NOT party_member AND left_on IS NULL AND vneid_confirmed_on IS NULL AND vneid_source IS NULL", p), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 || '3' AND NOT party_member AND left_on = '2025-06-30'", p), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 || '4' AND party_member AND job_group = 'technician'", p), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 || '5' AND NOT party_member"
                              " AND vneid_source = 'Công an xã' AND full_name = 'Hoàng Thị Én'", p), 1);
    /* One audit entry for the load, naming the counts and the keys. */
    ck_assert_int_eq(imports_with(rid), 1);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM audit_log WHERE action = 'import' AND entity = 'staff' AND client_request_id = $1"
                               " AND username = 'sondong.manager' AND (after->>'created')::int = 5"
                               " AND (after->>'updated')::int = 0 AND after->'changed_keys' @> jsonb_build_array($2 || '3')",
                               rid, p), 1);
    /* The staff are there for the API too. */
    resp *l = http_get(fmt("/api/v1/staff?unit_id=%lld", uid), T_SD_REPORTER);
    ck_assert_int_eq(jint(l, "total"), 5);
    resp_free(l);
}
END_TEST

START_TEST(same_file_again_is_all_unchanged_and_an_edit_is_one_update)
{
    char unit[40], p[32];
    make_unit(unit, sizeof unit);
    snprintf(p, sizeof p, "IS%s-", uniq());
    sbuf b = {0};
    sb_addf(&b, "%s", STAFF_HEADER);
    sb_addf(&b, "%sa,Đinh Văn An,%s,nurse,contract,x,2019-03-01,,2025-09-15,VNeID\n", p, unit);
    sb_addf(&b, "%sb,Đinh Thị Bé,%s,nurse,contract,,2019-03-01,,,\n", p, unit);
    sb_addf(&b, "%sc,Đinh Văn Cường,%s,doctor,contract,,2019-03-01,2024-12-31,,\n", p, unit);
    resp *r = load_csv("staff", NULL, T_SD_MANAGER, b.p);
    assert_result(r, 3, 3, 0, 0, 0);
    resp_free(r);
    r = load_csv("staff", NULL, T_SD_MANAGER, b.p);
    assert_result(r, 3, 0, 0, 3, 0);
    resp_free(r);
    ck_assert_int_eq(staff_with_prefix(p), 3);

    /* One name changed: one update. */
    free(b.p);
    b = (sbuf){0};
    sb_addf(&b, "%s", STAFF_HEADER);
    sb_addf(&b, "%sa,Đinh Văn An,%s,nurse,contract,x,2019-03-01,,2025-09-15,VNeID\n", p, unit);
    sb_addf(&b, "%sb,Đinh Thị Bé Na,%s,nurse,contract,,2019-03-01,,,\n", p, unit);
    sb_addf(&b, "%sc,Đinh Văn Cường,%s,doctor,contract,,2019-03-01,2024-12-31,,\n", p, unit);
    r = load_csv("staff", NULL, T_SD_MANAGER, b.p);
    assert_result(r, 3, 0, 1, 2, 0);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 || 'b' AND full_name = 'Đinh Thị Bé Na'", p), 1);

    /* Optional columns left out keep what is stored: nothing changes. */
    free(b.p);
    b = (sbuf){0};
    sb_addf(&b, "code,full_name,unit_code,job_group,employment,joined_on\n");
    sb_addf(&b, "%sa,Đinh Văn An,%s,nurse,contract,2019-03-01\n", p, unit);
    sb_addf(&b, "%sc,Đinh Văn Cường,%s,doctor,contract,2019-03-01\n", p, unit);
    r = load_csv("staff", NULL, T_SD_MANAGER, b.p);
    assert_result(r, 2, 0, 0, 2, 0);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 || 'a' AND party_member"
                              " AND vneid_confirmed_on = '2025-09-15' AND vneid_source = 'VNeID'", p), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 || 'c' AND left_on = '2024-12-31'", p), 1);

    /* An optional column given empty clears it. */
    free(b.p);
    b = (sbuf){0};
    sb_addf(&b, "code,full_name,unit_code,job_group,employment,joined_on,left_on,party_member\n");
    sb_addf(&b, "%sa,Đinh Văn An,%s,nurse,contract,2019-03-01,,\n", p, unit);
    sb_addf(&b, "%sc,Đinh Văn Cường,%s,doctor,contract,2019-03-01,,\n", p, unit);
    r = load_csv("staff", NULL, T_SD_MANAGER, b.p);
    assert_result(r, 2, 0, 2, 0, 0);
    resp_free(r);
    free(b.p);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 || 'a' AND NOT party_member"
                              " AND vneid_source = 'VNeID'", p), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 || 'c' AND left_on IS NULL", p), 1);
}
END_TEST

START_TEST(utf8_bom_and_crlf_line_ends_are_read)
{
    char unit[40], p[32];
    make_unit(unit, sizeof unit);
    snprintf(p, sizeof p, "IB%s-", uniq());
    sbuf b = {0};
    sb_addf(&b, "\xEF\xBB\xBF" "code,full_name,unit_code,job_group,employment,joined_on,vneid_confirmed_on,vneid_source\r\n");
    sb_addf(&b, "%s1,Vũ Thị Thu,%s,nurse,contract,2020-05-05,2025-09-15,VNeID\r\n", p, unit);
    sb_addf(&b, "%s2,Ngô Văn Tư,%s,doctor,contract,2020-05-06,,\r\n\r\n", p, unit);
    resp *r = load_csv("staff", NULL, T_SD_REPORTER, b.p);
    assert_result(r, 2, 2, 0, 0, 0);
    resp_free(r);
    free(b.p);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 || '1' AND full_name = 'Vũ Thị Thu'"
                              " AND vneid_source = 'VNeID' AND joined_on = '2020-05-05'", p), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 || '2' AND vneid_source IS NULL"
                              " AND vneid_confirmed_on IS NULL", p), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE left(code, length($1)) = $1"
                              " AND (strpos(full_name, E'\\r') > 0 OR strpos(code, E'\\xEF\\xBB\\xBF') > 0)", p), 0);
}
END_TEST

START_TEST(quoted_commas_doubled_quotes_and_newlines_are_stored_exactly)
{
    char unit[40], p[32];
    make_unit(unit, sizeof unit);
    snprintf(p, sizeof p, "IQ%s-", uniq());
    sbuf b = {0};
    sb_addf(&b, "code,full_name,unit_code,job_group,employment,joined_on,vneid_source\n");
    sb_addf(&b, "%s1,\"Lê, Văn Ánh\",%s,nurse,contract,2020-01-01,\"Công an, xã\"\n", p, unit);
    sb_addf(&b, "%s2,\"Trần \"\"Tí\"\" Bảo\",%s,nurse,contract,2020-01-01,\n", p, unit);
    sb_addf(&b, "%s3,\"Nguyễn Văn\nAn\",%s,nurse,contract,2020-01-01,\n", p, unit);
    sb_addf(&b, "%s4,  Đỗ Thị Hà  ,%s,nurse,contract,2020-01-01,\"  VNeID  \"\n", p, unit);
    /* Rows count records, not lines: the bad one below is row 6 though it starts on line 7. */
    sb_addf(&b, "%s5,Bùi Văn Năm,%s,nures,contract,2020-01-01,\n", p, unit);
    resp *r = load_csv("staff", NULL, T_SD_MANAGER, b.p);
    assert_errors(r, 1, 6, "job_group", "\"nures\" is not an active job group code (see /api/v1/job-groups)");
    resp_free(r);
    ck_assert_int_eq(staff_with_prefix(p), 0);

    b.len -= strlen(fmt("%s5,Bùi Văn Năm,%s,nures,contract,2020-01-01,\n", p, unit));
    b.p[b.len] = '\0';
    r = load_csv("staff", NULL, T_SD_MANAGER, b.p);
    assert_result(r, 4, 4, 0, 0, 0);
    resp_free(r);
    free(b.p);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 || '1' AND full_name = 'Lê, Văn Ánh'"
                              " AND vneid_source = 'Công an, xã'", p), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 || '2' AND full_name = 'Trần \"Tí\" Bảo'", p), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 || '3' AND full_name = E'Nguyễn Văn\\nAn'", p), 1);
    /* Spaces around an unquoted cell are trimmed; inside quotes they are kept. */
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 || '4' AND full_name = 'Đỗ Thị Hà'"
                              " AND vneid_source = '  VNeID  '", p), 1);
    /* And the API answers the name as stored. */
    resp *l = http_get(fmt("/api/v1/staff?q=%s3", p), T_SD_MANAGER);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(l->json, "items"), 0), "full_name")),
                     "Nguyễn Văn\nAn");
    resp_free(l);
}
END_TEST

START_TEST(three_bad_rows_far_apart_are_all_named_and_nothing_is_written)
{
    char unit[40], p[32], rid[64], hdr[96];
    make_unit(unit, sizeof unit);
    snprintf(p, sizeof p, "IX%s-", uniq());
    sbuf b = {0};
    sb_addf(&b, "%s", STAFF_HEADER);
    /* The header is row 1: data rows 2..100. */
    for (int row = 2; row <= 100; row++) {
        const char *unit_code = row == 95 ? "24001" : unit;
        const char *job = row == 50 ? "nures" : "nurse";
        const char *joined = row == 5 ? "2024-02-30" : "2020-01-01";
        sb_addf(&b, "%s%03d,Nhân Viên %03d,%s,%s,contract,,%s,,,\n", p, row, row, unit_code, job, joined);
    }
    snprintf(rid, sizeof rid, "import-bad-%s", uniq());
    snprintf(hdr, sizeof hdr, "X-Request-Id: %s", rid);
    resp *r = post_body("/api/v1/staff/import", T_SD_REPORTER, "text/csv", b.p, b.len, hdr, NULL);
    assert_errors(r, 3, 5, "joined_on", "\"2024-02-30\" is not a date written YYYY-MM-DD", 50, "job_group",
                  "\"nures\" is not an active job group code (see /api/v1/job-groups)", 95, "unit_code",
                  "unit 24001 is unknown or not one of your units");
    ck_assert_str_eq(jstr(r, "detail"), "Nothing was written: 3 problems were found; see errors.");
    char ct[64];
    ck_assert_str_eq(resp_header(r, "Content-Type", ct, sizeof ct), "application/problem+json");
    resp_free(r);
    free(b.p);
    ck_assert_int_eq(staff_with_prefix(p), 0);
    ck_assert_int_eq(imports_with(rid), 0);
}
END_TEST

START_TEST(every_kind_of_bad_row_is_named_with_its_reason)
{
    char unit[40], closed[40], p[32], far[48];
    long long closed_id = make_unit(closed, sizeof closed);
    make_unit(unit, sizeof unit);
    snprintf(p, sizeof p, "IK%s-", uniq());
    snprintf(far, sizeof far, "%sfar", p);
    make_far_staff(far);
    resp *r = http_do("DELETE", fmt("/api/v1/units/%lld", closed_id), &(req_opts){.token = T_SD_MANAGER});
    ASSERT_STATUS(r, 204);
    resp_free(r);

    sbuf b = {0};
    sb_addf(&b, "%s", STAFF_HEADER);
    sb_addf(&b, "%s02,Hợp Lệ,%s,nurse,contract,,2020-01-01,,,\n", p, unit);        /* 2: fine */
    sb_addf(&b, "%s,Mượn Mã,%s,nurse,contract,,2020-01-01,,,\n", far, unit);        /* 3: code of far staff */
    sb_addf(&b, "%s04,Đơn Vị Tỉnh,SYT-BN,nurse,contract,,2020-01-01,,,\n", p);      /* 4: unit out of scope */
    sb_addf(&b, "%s05,Không Có,NO-SUCH-%s,nurse,contract,,2020-01-01,,,\n", p, p);  /* 5: unit unknown */
    sb_addf(&b, "%s02,Trùng Mã,%s,nurse,contract,,2020-01-01,,,\n", p, unit);       /* 6: repeats row 2 */
    sb_addf(&b, "%s07,Đơn Vị Đóng,%s,nurse,contract,,2020-01-01,,,\n", p, closed);  /* 7: closed unit */
    sb_addf(&b, "%s08,Nghỉ Trước,%s,nurse,contract,,2020-01-01,2019-12-31,,\n", p, unit); /* 8 */
    sb_addf(&b, "%s09,Tương Lai,%s,nurse,contract,,2099-01-01,,,\n", p, unit);      /* 9 */
    sb_addf(&b, "%s10,Có Không,%s,nurse,contract,maybe,2020-01-01,,,\n", p, unit);  /* 10 */
    sb_addf(&b, "%s11,Tình Nguyện,%s,nurse,volunteer,,2020-01-01,,,\n", p, unit);   /* 11 */
    sb_addf(&b, "%s 12,Mã Sai,%s,nurse,contract,,2020-01-01,,,\n", p, unit);        /* 12 */
    sb_addf(&b, "%s13,,%s,nurse,contract,,2020-01-01,,,\n", p, unit);               /* 13: no name */
    sb_addf(&b, "%s14,Xác Minh Sau,%s,nurse,contract,,2020-01-01,,2099-01-01,x\n", p, unit); /* 14 */
    r = load_csv("staff", NULL, T_SD_MANAGER, b.p);
    free(b.p);
    assert_errors(r, 12,
                  3, "code", "is already in use",
                  4, "unit_code", "unit SYT-BN is unknown or not one of your units",
                  5, "unit_code", fmt("unit NO-SUCH-%s is unknown or not one of your units", p),
                  6, "code", "appears more than once in this load (first at row 2)",
                  7, "unit_code", fmt("unit %s is closed", closed),
                  8, "left_on", "is before joined_on",
                  9, "joined_on", "must not be in the future",
                  10, "party_member", "\"maybe\" is not true or false",
                  11, "employment", "\"volunteer\" is not an active employment type code (see /api/v1/employment-types)",
                  12, "code", "may hold only letters A-Z, digits, '.', '_' and '-' (1 to 40)",
                  13, "full_name", "is required",
                  14, "vneid_confirmed_on", "must not be in the future");
    ck_assert_str_eq(jstr(r, "detail"), "Nothing was written: 12 problems were found; see errors.");
    resp_free(r);
    ck_assert_int_eq(staff_with_prefix(p), 1); /* the far staff member only, untouched */
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff s JOIN units u ON u.id = s.unit_id WHERE s.code = $1"
                              " AND u.code = '24001' AND s.full_name = 'Người Bệnh Viện Tỉnh'", far), 1);
}
END_TEST

START_TEST(party_member_takes_every_documented_spelling_case_ignored)
{
    char unit[40], p[32];
    make_unit(unit, sizeof unit);
    snprintf(p, sizeof p, "IP%s-", uniq());
    const char *yes[] = {"true", "TRUE", "tRuE", "1", "yes", "YES", "yEs", "x", "X"};
    const char *no[] = {"false", "False", "fAlSe", "0", "no", "NO", "nO", ""};
    sbuf b = {0};
    sb_addf(&b, "code,full_name,unit_code,job_group,employment,joined_on,party_member\n");
    for (int i = 0; i < 9; i++) sb_addf(&b, "%sy%d,Có,%s,nurse,contract,2020-01-01,%s\n", p, i, unit, yes[i]);
    for (int i = 0; i < 8; i++) sb_addf(&b, "%sn%d,Không,%s,nurse,contract,2020-01-01,%s\n", p, i, unit, no[i]);
    resp *r = load_csv("staff", NULL, T_SD_MANAGER, b.p);
    free(b.p);
    assert_result(r, 17, 17, 0, 0, 0);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE left(code, length($1) + 1) = $1 || 'y' AND party_member", p), 9);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE left(code, length($1) + 1) = $1 || 'n' AND NOT party_member", p), 8);
}
END_TEST

START_TEST(dry_run_answers_the_counts_and_writes_nothing)
{
    char unit[40], p[32], rid[64], hdr[96];
    make_unit(unit, sizeof unit);
    snprintf(p, sizeof p, "ID%s-", uniq());
    sbuf b = {0};
    sb_addf(&b, "code,full_name,unit_code,job_group,employment,joined_on\n");
    sb_addf(&b, "%s1,Thử Một,%s,nurse,contract,2020-01-01\n", p, unit);
    resp *r = load_csv("staff", NULL, T_SD_MANAGER, b.p);
    assert_result(r, 1, 1, 0, 0, 0);
    resp_free(r);
    sb_addf(&b, "%s2,Thử Hai,%s,nurse,contract,2020-01-01\n", p, unit);
    sb_addf(&b, "%s3,Thử Ba,%s,nurse,contract,2020-01-01\n", p, unit);

    snprintf(rid, sizeof rid, "import-dry-%s", uniq());
    snprintf(hdr, sizeof hdr, "X-Request-Id: %s", rid);
    r = post_body("/api/v1/staff/import?dry_run=true", T_SD_MANAGER, "text/csv", b.p, b.len, hdr, NULL);
    assert_result(r, 3, 2, 0, 1, 1);
    resp_free(r);
    ck_assert_int_eq(staff_with_prefix(p), 1);
    ck_assert_int_eq(imports_with(rid), 0);

    /* A dry run of a bad load answers the same 422. */
    r = load_csv("staff", "?dry_run=true", T_SD_MANAGER,
                 fmt("code,full_name,unit_code,job_group,employment,joined_on\n%s4,X,24001,nurse,contract,2020-01-01\n", p));
    assert_errors(r, 1, 2, "unit_code", "unit 24001 is unknown or not one of your units");
    resp_free(r);
    r = load_csv("staff", "?dry_run=maybe", T_SD_MANAGER, b.p);
    ASSERT_STATUS(r, 400);
    resp_free(r);
    r = load_csv("staff", "?force=true", T_SD_MANAGER, b.p);
    ASSERT_STATUS(r, 400);
    resp_free(r);

    /* The real thing does what the dry run said. */
    r = load_csv("staff", "?dry_run=false", T_SD_MANAGER, b.p);
    assert_result(r, 3, 2, 0, 1, 0);
    resp_free(r);
    free(b.p);
    ck_assert_int_eq(staff_with_prefix(p), 3);
}
END_TEST

START_TEST(idempotency_key_replays_the_first_answer_and_writes_once)
{
    char unit[40], p[32], key[64], khdr[96], r1[64], r2[64], h1[96], h2[96];
    make_unit(unit, sizeof unit);
    snprintf(p, sizeof p, "II%s-", uniq());
    snprintf(key, sizeof key, "load-%s", uniq());
    snprintf(khdr, sizeof khdr, "Idempotency-Key: %s", key);
    snprintf(r1, sizeof r1, "idem-1-%s", uniq());
    snprintf(r2, sizeof r2, "idem-2-%s", uniq());
    snprintf(h1, sizeof h1, "X-Request-Id: %s", r1);
    snprintf(h2, sizeof h2, "X-Request-Id: %s", r2);
    sbuf b = {0};
    sb_addf(&b, "code,full_name,unit_code,job_group,employment,joined_on\n");
    sb_addf(&b, "%s1,Lặp Lại Một,%s,nurse,contract,2020-01-01\n", p, unit);
    sb_addf(&b, "%s2,Lặp Lại Hai,%s,nurse,contract,2020-01-01\n", p, unit);

    resp *first = post_body("/api/v1/staff/import", T_SD_REPORTER, "text/csv", b.p, b.len, khdr, h1);
    assert_result(first, 2, 2, 0, 0, 0);
    resp *again = post_body("/api/v1/staff/import", T_SD_REPORTER, "text/csv", b.p, b.len, khdr, h2);
    ASSERT_STATUS(again, 200);
    ck_assert_str_eq(again->body, first->body); /* the same answer, not "2 unchanged" */
    resp_free(again);
    resp_free(first);
    ck_assert_int_eq(staff_with_prefix(p), 2);
    ck_assert_int_eq(imports_with(r1), 1);
    ck_assert_int_eq(imports_with(r2), 0);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE action = 'import' AND entity = 'staff'"
                              " AND after->'changed_keys' ? ($1 || '1')", p), 1);

    /* The same key with another body (or as a dry run) is refused. */
    sbuf other = {0};
    sb_addf(&other, "%s%s3,Khác,%s,nurse,contract,2020-01-01\n", b.p, p, unit);
    resp *r = post_body("/api/v1/staff/import", T_SD_REPORTER, "text/csv", other.p, other.len, khdr, NULL);
    ASSERT_STATUS(r, 422);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "errors")), 1);
    json_t *e = json_array_get(json_object_get(r->json, "errors"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(e, "field")), "Idempotency-Key");
    ck_assert_str_eq(json_string_value(json_object_get(e, "message")), "was already used with a different body");
    resp_free(r);
    free(other.p);
    r = post_body("/api/v1/staff/import?dry_run=true", T_SD_REPORTER, "text/csv", b.p, b.len, khdr, NULL);
    ASSERT_STATUS(r, 422);
    resp_free(r);
    ck_assert_int_eq(staff_with_prefix(p), 2);

    /* Keys are per caller: the manager's same key is a load of its own. */
    r = post_body("/api/v1/staff/import", T_SD_MANAGER, "text/csv", b.p, b.len, khdr, NULL);
    assert_result(r, 2, 0, 0, 2, 0);
    resp_free(r);

    /* A refused load is replayed as refused. */
    char key2[64], k2hdr[96];
    snprintf(key2, sizeof key2, "load-bad-%s", uniq());
    snprintf(k2hdr, sizeof k2hdr, "Idempotency-Key: %s", key2);
    const char *bad = fmt("code,full_name,unit_code,job_group,employment,joined_on\n%s9,X,%s,nures,contract,2020-01-01\n", p, unit);
    resp *b1 = post_body("/api/v1/staff/import", T_SD_REPORTER, "text/csv", bad, strlen(bad), k2hdr, NULL);
    assert_errors(b1, 1, 2, "job_group", "\"nures\" is not an active job group code (see /api/v1/job-groups)");
    resp *b2 = post_body("/api/v1/staff/import", T_SD_REPORTER, "text/csv", bad, strlen(bad), k2hdr, NULL);
    ASSERT_STATUS(b2, 422);
    ck_assert_str_eq(b2->body, b1->body);
    resp_free(b1);
    resp_free(b2);
    free(b.p);

    /* A key must be 1 to 200 characters. */
    char longkey[240];
    snprintf(longkey, sizeof longkey, "Idempotency-Key: %0201d", 7);
    r = post_body("/api/v1/staff/import", T_SD_REPORTER, "text/csv", bad, strlen(bad), longkey, NULL);
    ASSERT_STATUS(r, 400);
    resp_free(r);
}
END_TEST

START_TEST(json_array_loads_follow_the_same_rules_from_row_2)
{
    char unit[40], p[32];
    make_unit(unit, sizeof unit);
    snprintf(p, sizeof p, "IJ%s-", uniq());
    json_t *rows = json_pack("[{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:n}, {s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}]",
                             "code", fmt("%s1", p), "full_name", "Đào Thị Nhung", "unit_code", unit, "job_group", "nurse",
                             "employment", "contract", "party_member", 1, "joined_on", "2020-01-01", "left_on",
                             "code", fmt("%s2", p), "full_name", "Đào Văn \"Hai\"\nBa", "unit_code", unit, "job_group",
                             "doctor", "employment", "contract", "party_member", "x", "joined_on", "2021-01-01",
                             "vneid_confirmed_on", "2025-01-01", "vneid_source", "VNeID");
    char *text = json_dumps(rows, JSON_COMPACT);
    json_decref(rows);
    resp *r = load_json("staff", T_SD_MANAGER, text);
    assert_result(r, 2, 2, 0, 0, 0);
    resp_free(r);
    r = load_json("staff", T_SD_MANAGER, text);
    assert_result(r, 2, 0, 0, 2, 0);
    resp_free(r);
    free(text);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 || '1' AND party_member AND left_on IS NULL"
                              " AND full_name = 'Đào Thị Nhung'", p), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 || '2' AND party_member AND job_group = 'doctor'"
                              " AND full_name = E'Đào Văn \"Hai\"\\nBa' AND vneid_source = 'VNeID'", p), 1);

    /* Bad elements are named from row 2. */
    rows = json_pack("[{s:s, s:s, s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s, s:s},"
                     " {s:s, s:s, s:s, s:s, s:s, s:s}]",
                     "code", fmt("%s3", p), "full_name", "Tốt", "unit_code", unit, "job_group", "nurse", "employment",
                     "contract", "joined_on", "2020-01-01",
                     "code", fmt("%s4", p), "full_name", "Sai Nhóm", "unit_code", unit, "job_group", "nures", "employment",
                     "contract", "joined_on", "2020-01-01",
                     "code", fmt("%s5", p), "full_name", "Thiếu Ngày", "unit_code", unit, "job_group", "nurse", "employment",
                     "contract",
                     "code", fmt("%s6", p), "full_name", "Ngoài Phạm Vi", "unit_code", "24001", "job_group", "nurse",
                     "employment", "contract", "joined_on", "2025-13-01");
    text = json_dumps(rows, JSON_COMPACT);
    json_decref(rows);
    r = load_json("staff", T_SD_REPORTER, text);
    free(text);
    assert_errors(r, 4, 3, "job_group", "\"nures\" is not an active job group code (see /api/v1/job-groups)", 4, "joined_on", "is required", 5,
                  "joined_on", "\"2025-13-01\" is not a date written YYYY-MM-DD", 5, "unit_code",
                  "unit 24001 is unknown or not one of your units");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 || '3'", p), 0);

    /* An unknown field, and an element that is not an object. */
    r = load_json("staff", T_SD_REPORTER,
                  fmt("[{\"code\":\"%s7\",\"full_name\":\"X\",\"unit_code\":\"%s\",\"job_group\":\"nurse\","
                      "\"employment\":\"contract\",\"joined_on\":\"2020-01-01\",\"nickname\":\"Bé\"}, 42]", p, unit));
    assert_errors(r, 2, 2, "nickname", "is not a field of this load", 3, "", "must be a JSON object");
    resp_free(r);
    r = load_json("staff", T_SD_REPORTER, "{\"code\":\"x\"}");
    ASSERT_STATUS(r, 422);
    resp_free(r);
    r = load_json("staff", T_SD_REPORTER, "[{\"code\":");
    ASSERT_STATUS(r, 400);
    resp_free(r);
    r = load_json("staff", T_SD_REPORTER, "[]");
    assert_result(r, 0, 0, 0, 0, 0);
    resp_free(r);
    ck_assert_int_eq(staff_with_prefix(p), 2);
}
END_TEST

START_TEST(header_faults_are_422_at_row_1)
{
    char unit[40], p[32];
    make_unit(unit, sizeof unit);
    snprintf(p, sizeof p, "IH%s-", uniq());
    resp *r = load_csv("staff", NULL, T_SD_MANAGER,
                       fmt("code,full_name,unit_code,job_group,employment,joined_on,nickname\n%s1,X,%s,nurse,contract,2020-01-01,Bé\n",
                           p, unit));
    assert_errors(r, 1, 1, "nickname", "is not a column of this load");
    resp_free(r);
    r = load_csv("staff", NULL, T_SD_MANAGER,
                 fmt("code,full_name,unit_code,job_group,employment\n%s1,X,%s,nurse,contract\n", p, unit));
    assert_errors(r, 1, 1, "joined_on", "is a required column");
    resp_free(r);
    r = load_csv("staff", NULL, T_SD_MANAGER,
                 fmt("code,full_name,full_name,unit_code,job_group,employment,joined_on\n%s1,X,Y,%s,nurse,contract,2020-01-01\n",
                     p, unit));
    assert_errors(r, 1, 1, "full_name", "appears twice in the header");
    resp_free(r);
    r = load_csv("staff", NULL, T_SD_MANAGER, "");
    ASSERT_STATUS(r, 422);
    resp_free(r);
    r = load_csv("staff", NULL, T_SD_MANAGER, "code,full_name,unit_code,job_group,employment,joined_on\n");
    assert_result(r, 0, 0, 0, 0, 0);
    resp_free(r);
    /* The columns of another load are unknown here. */
    r = load_csv("completions", NULL, T_SD_MANAGER, STAFF_HEADER);
    ASSERT_STATUS(r, 422);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(r->json, "errors"), 0), "row")), 1);
    resp_free(r);
    ck_assert_int_eq(staff_with_prefix(p), 0);
}
END_TEST

START_TEST(a_row_with_the_wrong_cell_count_does_not_hide_other_bad_rows)
{
    char unit[40], p[32];
    make_unit(unit, sizeof unit);
    snprintf(p, sizeof p, "IW%s-", uniq());
    sbuf b = {0};
    sb_addf(&b, "code,full_name,unit_code,job_group,employment,joined_on\n");
    sb_addf(&b, "%s1,Thiếu Ô,%s,nurse,contract\n", p, unit);
    sb_addf(&b, "%s2,Sai Nhóm,%s,nures,contract,2020-01-01\n", p, unit);
    resp *r = load_csv("staff", NULL, T_SD_MANAGER, b.p);
    free(b.p);
    ASSERT_STATUS(r, 422);
    int row2 = 0, row3 = 0;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r->json, "errors"), i, e) {
        long long row = json_integer_value(json_object_get(e, "row"));
        row2 += row == 2;
        row3 += row == 3 && strcmp(json_string_value(json_object_get(e, "field")), "job_group") == 0;
    }
    ck_assert_msg(row2 >= 1 && row3 == 1, "every bad row should be named: %s", r->body);
    resp_free(r);
    ck_assert_int_eq(staff_with_prefix(p), 0);
}
END_TEST

START_TEST(a_kept_left_on_before_a_new_joined_on_names_the_row)
{
    char unit[40], p[32];
    make_unit(unit, sizeof unit);
    snprintf(p, sizeof p, "IL%s-", uniq());
    resp *r = load_csv("staff", NULL, T_SD_MANAGER,
                       fmt("code,full_name,unit_code,job_group,employment,joined_on,left_on\n"
                           "%s1,Đã Nghỉ,%s,nurse,contract,2020-01-01,2024-12-31\n", p, unit));
    assert_result(r, 1, 1, 0, 0, 0);
    resp_free(r);
    /* No left_on column: the stored 2024-12-31 stays, and is before the new joined_on. */
    r = load_csv("staff", NULL, T_SD_MANAGER,
                 fmt("code,full_name,unit_code,job_group,employment,joined_on\n"
                     "%s0,Hợp Lệ,%s,nurse,contract,2020-01-01\n%s1,Đã Nghỉ,%s,nurse,contract,2025-06-01\n", p, unit, p, unit));
    ASSERT_STATUS(r, 422);
    json_t *errs = json_object_get(r->json, "errors");
    ck_assert_msg(json_array_size(errs) == 1, "the row should be named: %s", r->body);
    json_t *e = json_array_get(errs, 0);
    ck_assert_int_eq(json_integer_value(json_object_get(e, "row")), 3);
    const char *field = json_string_value(json_object_get(e, "field"));
    ck_assert_msg(strcmp(field, "joined_on") == 0 || strcmp(field, "left_on") == 0, "%s", r->body);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 || '1' AND joined_on = '2020-01-01'"
                              " AND left_on = '2024-12-31'", p), 1);
    ck_assert_int_eq(staff_with_prefix(p), 1);
}
END_TEST

START_TEST(ten_thousand_staff_rows_load_in_one_request)
{
    char unit[40], p[32];
    long long uid = make_unit(unit, sizeof unit);
    snprintf(p, sizeof p, "T%s-", uniq());
    sbuf b = {0};
    sb_addf(&b, "code,full_name,unit_code,job_group,employment,joined_on\n");
    for (int i = 0; i < 10000; i++) sb_addf(&b, "%s%05d,Nhan Vien %05d,%s,nurse,contract,2020-01-01\n", p, i, i, unit);
    /* scripts/test runs the server with BDHVS_MAX_BODY=1048576. */
    ck_assert_msg(b.len < 1048576, "the file is %zu bytes", b.len);
    resp *r = load_csv("staff", NULL, T_SD_MANAGER, b.p);
    assert_result(r, 10000, 10000, 0, 0, 0);
    resp_free(r);
    ck_assert_int_eq(staff_with_prefix(p), 10000);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE unit_id = $1::bigint", fmt("%lld", uid)), 10000);
    /* And again: all unchanged. */
    r = load_csv("staff", NULL, T_SD_MANAGER, b.p);
    assert_result(r, 10000, 0, 0, 10000, 0);
    resp_free(r);
    free(b.p);
}
END_TEST

START_TEST(invalid_utf8_is_422_wrong_content_type_415_and_readers_403)
{
    char unit[40], p[32];
    make_unit(unit, sizeof unit);
    snprintf(p, sizeof p, "IU%s-", uniq());
    const char *bad = fmt("code,full_name,unit_code,job_group,employment,joined_on\n%s1,Nguy\xff\xfen,%s,nurse,contract,2020-01-01\n",
                          p, unit);
    resp *r = load_csv("staff", NULL, T_SD_MANAGER, bad);
    /* An ANSI file: 422, saying how to save it as UTF-8 (issue 13; test_s9_vi.c has the text). */
    ASSERT_STATUS(r, 422);
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:validation");
    ck_assert_ptr_nonnull(strstr(jstr(r, "detail"), "CSV UTF-8"));
    resp_free(r);
    r = load_csv("staff", NULL, T_SD_MANAGER,
                 fmt("code,full_name,unit_code,job_group,employment,joined_on\n%s2,\"Không đóng,%s,nurse,contract,2020-01-01\n",
                     p, unit));
    ASSERT_STATUS(r, 400);
    resp_free(r);
    const char *good = fmt("code,full_name,unit_code,job_group,employment,joined_on\n%s3,X,%s,nurse,contract,2020-01-01\n", p, unit);
    const char *types[] = {"text/plain", "application/xml", "application/x-www-form-urlencoded", NULL};
    for (int i = 0; types[i]; i++) {
        r = post_body("/api/v1/staff/import", T_SD_MANAGER, types[i], good, strlen(good), NULL, NULL);
        ck_assert_msg(r->status == 415, "%s gave %ld", types[i], r->status);
        ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:unsupported-media-type");
        resp_free(r);
    }
    const char *readers[] = {T_SYT_VIEWER, T_INTEGRATION};
    for (int i = 0; i < 2; i++) {
        r = load_csv("staff", NULL, readers[i], good);
        ASSERT_STATUS(r, 403);
        resp_free(r);
        r = load_csv("completions", NULL, readers[i], "staff_code,course_code,completed_on\n");
        ASSERT_STATUS(r, 403);
        resp_free(r);
        r = load_csv("attestations", NULL, readers[i], "staff_code,skill,attested_on\n");
        ASSERT_STATUS(r, 403);
        resp_free(r);
    }
    r = load_csv("staff", NULL, NULL, good);
    ASSERT_STATUS(r, 401);
    resp_free(r);
    ck_assert_int_eq(staff_with_prefix(p), 0);
}
END_TEST

/* ---- completions and attestations --------------------------------------------------------- */

/* Loads staff a, b (joined 2020-01-01) and late (joined 2025-01-01) under prefix p into unit. */
static void load_three_staff(const char *p, const char *unit)
{
    resp *r = load_csv("staff", NULL, T_SD_MANAGER,
                       fmt("code,full_name,unit_code,job_group,employment,joined_on\n"
                           "%sa,Học Viên A,%s,nurse,contract,2020-01-01\n%sb,Học Viên B,%s,nurse,contract,2020-01-01\n"
                           "%slate,Vào Muộn,%s,nurse,contract,2025-01-01\n", p, unit, p, unit, p, unit));
    assert_result(r, 3, 3, 0, 0, 0);
    resp_free(r);
}

static long long completions_with_prefix(const char *p)
{
    return db_count("SELECT count(*) FROM completions c JOIN staff s ON s.id = c.staff_id WHERE left(s.code, length($1)) = $1", p);
}

START_TEST(completion_loads_create_update_and_refuse_bad_rows)
{
    char unit[40], p[32], k[80], far[48], rid[64], hdr[96];
    make_unit(unit, sizeof unit);
    const char *u = uniq();
    snprintf(p, sizeof p, "IM%s-", u);
    snprintf(k, sizeof k, "course-v1:MOET+IM%s+2025-1", u);
    snprintf(far, sizeof far, "%sfar", p);
    load_three_staff(p, unit);
    make_far_staff(far);
    make_course(k);

    const char *csv = fmt("staff_code,course_code,completed_on,certificate_no\r\n%sa,%s,2025-10-10,CERT-A\r\n%sb,%s,2025-11-02,\r\n",
                          p, k, p, k);
    char first[1024];
    snprintf(first, sizeof first, "%s", csv);
    snprintf(rid, sizeof rid, "import-comp-%s", uniq());
    snprintf(hdr, sizeof hdr, "X-Request-Id: %s", rid);
    resp *r = post_body("/api/v1/completions/import", T_SD_REPORTER, "text/csv", first, strlen(first), hdr, NULL);
    assert_result(r, 2, 2, 0, 0, 0);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE action = 'import' AND entity = 'completion'"
                              " AND client_request_id = $1", rid), 1);
    ck_assert_int_eq(completions_with_prefix(p), 2);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM completions c JOIN staff s ON s.id = c.staff_id JOIN courses k ON"
                               " k.id = c.course_id WHERE s.code = $1 || 'a' AND k.code = $2 AND c.completed_on = '2025-10-10'"
                               " AND c.certificate_no = 'CERT-A'", p, k), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM completions c JOIN staff s ON s.id = c.staff_id WHERE s.code = $1 || 'b'"
                              " AND c.completed_on = '2025-11-02' AND c.certificate_no IS NULL", p), 1);
    r = load_csv("completions", NULL, T_SD_REPORTER, first);
    assert_result(r, 2, 0, 0, 2, 0);
    resp_free(r);
    /* A new date for b: one update; no certificate column: a's stays. */
    r = load_csv("completions", NULL, T_SD_REPORTER,
                 fmt("staff_code,course_code,completed_on\n%sa,%s,2025-10-10\n%sb,%s,2025-11-03\n", p, k, p, k));
    assert_result(r, 2, 0, 1, 1, 0);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM completions c JOIN staff s ON s.id = c.staff_id WHERE s.code = $1 || 'a'"
                              " AND c.certificate_no = 'CERT-A'", p), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM completions c JOIN staff s ON s.id = c.staff_id WHERE s.code = $1 || 'b'"
                              " AND c.completed_on = '2025-11-03'", p), 1);

    /* Bad rows: every one named, nothing written. */
    sbuf b = {0};
    sb_addf(&b, "staff_code,course_code,completed_on,certificate_no\n");
    sb_addf(&b, "%slate,%s,2024-12-31,\n", p, k);             /* 2: before joining */
    sb_addf(&b, "%slate,%s-nope,2025-02-01,\n", p, k);        /* 3: unknown course */
    sb_addf(&b, "%s,%s,2025-02-01,\n", far, k);               /* 4: staff outside scope */
    sb_addf(&b, "%sb,%s,2025-02-01,C1\n", p, k);              /* 5: fine */
    sb_addf(&b, "%sb,%s,2025-02-02,C2\n", p, k);              /* 6: repeats row 5 */
    sb_addf(&b, "%sa,%s,2099-01-01,\n", p, k);                /* 7: future */
    sb_addf(&b, "%snobody,%s,2025-02-01,\n", p, k);           /* 8: unknown staff */
    r = load_csv("completions", NULL, T_SD_REPORTER, b.p);
    free(b.p);
    assert_errors(r, 6,
                  2, "completed_on", "is before the staff member joined (2025-01-01)",
                  3, "course_code", fmt("course %s-nope is unknown", k),
                  4, "staff_code", fmt("staff member %s is unknown or not in your units", far),
                  6, "course_code", "this staff member and course appear more than once (first at row 5)",
                  7, "completed_on", "must not be in the future",
                  8, "staff_code", fmt("staff member %snobody is unknown or not in your units", p));
    resp_free(r);
    ck_assert_int_eq(completions_with_prefix(p), 2);
}
END_TEST

START_TEST(attestation_loads_keep_the_later_date)
{
    char unit[40], p[32], far[48], sk[48];
    make_unit(unit, sizeof unit);
    const char *u = uniq();
    snprintf(p, sizeof p, "IA%s-", u);
    snprintf(far, sizeof far, "%sfar", p);
    snprintf(sk, sizeof sk, "sk_%s", u);
    load_three_staff(p, unit);
    make_far_staff(far);

    const char *first = fmt("staff_code,skill,attested_on\n%sa,emr,2025-05-01\n%sa,digital_signature,2025-05-01\n"
                            "%sb,emr,2025-06-01\n", p, p, p);
    char f[512];
    snprintf(f, sizeof f, "%s", first);
    resp *r = load_csv("attestations", NULL, T_SD_REPORTER, f);
    assert_result(r, 3, 3, 0, 0, 0);
    resp_free(r);
    r = load_csv("attestations", NULL, T_SD_REPORTER, f);
    assert_result(r, 3, 0, 0, 3, 0);
    resp_free(r);
    /* A later date replaces, the same date and an earlier one change nothing. */
    r = load_csv("attestations", NULL, T_SD_REPORTER,
                 fmt("staff_code,skill,attested_on\n%sa,emr,2025-07-01\n%sb,emr,2025-06-01\n%sa,digital_signature,2025-04-01\n",
                     p, p, p));
    assert_result(r, 3, 0, 1, 2, 0);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM attestations a JOIN staff s ON s.id = a.staff_id WHERE s.code = $1 || 'a'"
                              " AND a.skill = 'emr' AND a.attested_on = '2025-07-01'", p), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM attestations a JOIN staff s ON s.id = a.staff_id WHERE s.code = $1 || 'a'"
                              " AND a.skill = 'digital_signature' AND a.attested_on = '2025-05-01'", p), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM attestations a JOIN staff s ON s.id = a.staff_id"
                              " WHERE left(s.code, length($1)) = $1", p), 3);
    /* As JSON too. */
    r = load_json("attestations", T_SD_MANAGER,
                  fmt("[{\"staff_code\":\"%sb\",\"skill\":\"smart_devices\",\"attested_on\":\"2025-08-08\"}]", p));
    assert_result(r, 1, 1, 0, 0, 0);
    resp_free(r);

    resp *put = http_send_json("PUT", fmt("/api/v1/skills/%s", sk), T_ADMIN,
                               "{\"label_vi\":\"Cũ\",\"label_en\":\"Retired\",\"active\":false}");
    ASSERT_STATUS(put, 201);
    resp_free(put);
    sbuf b = {0};
    sb_addf(&b, "staff_code,skill,attested_on\n");
    sb_addf(&b, "%sb,telepathy,2025-01-01\n", p);  /* 2 */
    sb_addf(&b, "%sb,%s,2025-01-01\n", p, sk);     /* 3: inactive */
    sb_addf(&b, "%s,emr,2025-01-01\n", far);       /* 4: outside scope */
    sb_addf(&b, "%sb,e_hospital,2025-01-01\n", p); /* 5: fine */
    sb_addf(&b, "%sb,e_hospital,2025-01-02\n", p); /* 6: repeats row 5 */
    sb_addf(&b, "%sb,emr,2099-01-01\n", p);        /* 7: future */
    sb_addf(&b, "%sb,emr,01/02/2025\n", p);        /* 8: not a date */
    r = load_csv("attestations", NULL, T_SD_REPORTER, b.p);
    free(b.p);
    assert_errors(r, 7,
                  2, "skill", "\"telepathy\" is not an active skill code (see /api/v1/skills)",
                  3, "skill", fmt("\"%s\" is not an active skill code (see /api/v1/skills)", sk),
                  4, "staff_code", fmt("staff member %s is unknown or not in your units", far),
                  6, "skill", "this staff member and skill appear more than once (first at row 5)",
                  7, "attested_on", "must not be in the future",
                  8, "attested_on", "\"01/02/2025\" is not a date written YYYY-MM-DD",
                  8, "skill", "this staff member and skill appear more than once (first at row 7)");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM attestations a JOIN staff s ON s.id = a.staff_id"
                              " WHERE left(s.code, length($1)) = $1", p), 4);
}
END_TEST

Suite *imports_suite(void)
{
    Suite *s = suite_create("imports");
    TCase *t = tcase_create("imports");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, clean_csv_creates_every_row_with_exact_values);
    tcase_add_test(t, same_file_again_is_all_unchanged_and_an_edit_is_one_update);
    tcase_add_test(t, utf8_bom_and_crlf_line_ends_are_read);
    tcase_add_test(t, quoted_commas_doubled_quotes_and_newlines_are_stored_exactly);
    tcase_add_test(t, three_bad_rows_far_apart_are_all_named_and_nothing_is_written);
    tcase_add_test(t, every_kind_of_bad_row_is_named_with_its_reason);
    tcase_add_test(t, party_member_takes_every_documented_spelling_case_ignored);
    tcase_add_test(t, dry_run_answers_the_counts_and_writes_nothing);
    tcase_add_test(t, idempotency_key_replays_the_first_answer_and_writes_once);
    tcase_add_test(t, json_array_loads_follow_the_same_rules_from_row_2);
    tcase_add_test(t, header_faults_are_422_at_row_1);
    tcase_add_test(t, a_row_with_the_wrong_cell_count_does_not_hide_other_bad_rows);
    tcase_add_test(t, a_kept_left_on_before_a_new_joined_on_names_the_row);
    tcase_add_test(t, invalid_utf8_is_422_wrong_content_type_415_and_readers_403);
    tcase_add_test(t, completion_loads_create_update_and_refuse_bad_rows);
    tcase_add_test(t, attestation_loads_keep_the_later_date);
    suite_add_tcase(s, t);
    TCase *big = tcase_create("imports-10k");
    tcase_set_timeout(big, 300);
    tcase_add_test(big, ten_thousand_staff_rows_load_in_one_request);
    suite_add_tcase(s, big);
    return s;
}
