/* Issue 8, items 1, 2, 8 (import side), 11 (an import 422 that counts an error but lists none)
 * and 14 (cascaded deletions): party membership hidden from loads by callers who may not see
 * it, out-of-scope codes answered exactly like unknown codes, the row cap of a load, error
 * messages cut on character boundaries, and the audit of a staff member's cascaded rows. */
#include "client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------------------------ */

static resp *post(const char *path, const char *token, const char *ct, const char *body, size_t len, const char *h1)
{
    req_opts o = {.token = token, .content_type = ct, .body = body, .body_len = len, .headers = {h1, NULL}};
    return http_do("POST", path, &o);
}

/* A unit of the test's own under TYT-ANLAC (in the Sơn Động reporter's subtree). */
static void make_unit(char *code, size_t len)
{
    make_test_unit("H8", "Tổ kiểm thử phạm vi", "other", "TYT-ANLAC", code, len);
}

/* A staff member outside Sơn Động (hospital 24001), made by the admin; left_on may be NULL. */
static void make_far_staff(const char *code, const char *joined_on, const char *left_on)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "code", code, "full_name", "Người Ở Xa", "unit_code", "24001",
                          "job_group", "doctor", "employment", "civil_servant", "joined_on", joined_on);
    if (left_on) json_object_set_new(o, "left_on", json_string(left_on));
    created_id(send_obj("POST", "/api/v1/staff", T_ADMIN, o));
}

/* Asserts a 200 ImportResult with these counts. */
static void assert_counts(const resp *r, long long received, long long created, long long updated, long long unchanged)
{
    ck_assert_msg(r->status == 200, "expected 200, got %ld: %.600s", r->status, r->body ? r->body : "");
    ck_assert_msg(jint(r, "received") == received && jint(r, "created") == created && jint(r, "updated") == updated &&
                      jint(r, "unchanged") == unchanged,
                  "want received %lld created %lld updated %lld unchanged %lld, got %s", received, created, updated,
                  unchanged, r->body);
}

/* The answer's errors array as compact JSON text, with every occurrence of code replaced by
 * <CODE>, so that answers about two different codes can be compared byte for byte. */
static char *errors_without(const resp *r, const char *code)
{
    json_t *errs = json_object_get(r->json, "errors");
    ck_assert_msg(json_is_array(errs), "no errors in %s", r->body);
    char *text = json_dumps(errs, JSON_COMPACT);
    size_t cl = strlen(code);
    char *out = calloc(1, strlen(text) * 2 + 16), *w = out;
    for (const char *p = text; *p;) {
        if (strncmp(p, code, cl) == 0) {
            w += sprintf(w, "<CODE>");
            p += cl;
        } else {
            *w++ = *p++;
        }
    }
    free(text);
    return out;
}

/* Asserts that two answers have the same status, detail and errors once their codes are masked. */
static void assert_same_answer(const resp *a, const char *code_a, const resp *b, const char *code_b)
{
    ck_assert_int_eq(a->status, b->status);
    ck_assert_str_eq(jstr(a, "detail"), jstr(b, "detail"));
    char *ea = errors_without(a, code_a), *eb = errors_without(b, code_b);
    ck_assert_str_eq(ea, eb);
    free(ea);
    free(eb);
}

/* ---- item 1: party membership in loads ------------------------------------------------------ */

START_TEST(a_reporter_guessing_party_member_learns_nothing_and_writes_nothing)
{
    char unit[40], code[48], rid[64], hdr[96];
    make_unit(unit, sizeof unit);
    snprintf(code, sizeof code, "H8P%s", uniq());
    const char *head = "code,full_name,unit_code,job_group,employment,party_member,joined_on\n";
    /* The manager stores a party member. */
    resp *r = post_csv("/api/v1/staff/import", T_SD_MANAGER,
                       fmt("%s%s,Đảng Viên,%s,nurse,contract,true,2020-01-01\n", head, code, unit));
    assert_counts(r, 1, 1, 0, 0);
    resp_free(r);

    /* A reporter's wrong and right guesses get the same answer: unchanged. */
    const char *guesses[] = {"false", "true", "no", "x", "maybe", ""};
    for (size_t i = 0; i < sizeof guesses / sizeof *guesses; i++) {
        r = post_csv("/api/v1/staff/import?dry_run=true", T_SD_REPORTER,
                     fmt("%s%s,Đảng Viên,%s,nurse,contract,%s,2020-01-01\n", head, code, unit, guesses[i]));
        assert_counts(r, 1, 0, 0, 1);
        resp_free(r);
    }
    r = post("/api/v1/staff/import?dry_run=true", T_SD_REPORTER, "application/json",
             fmt("[{\"code\":\"%s\",\"full_name\":\"Đảng Viên\",\"unit_code\":\"%s\",\"job_group\":\"nurse\","
                 "\"employment\":\"contract\",\"party_member\":false,\"joined_on\":\"2020-01-01\"}]", code, unit),
             0, NULL);
    assert_counts(r, 1, 0, 0, 1);
    resp_free(r);
    /* Not a dry run either: nothing about the field is written. */
    r = post_csv("/api/v1/staff/import", T_SD_REPORTER, fmt("%s%s,Đảng Viên,%s,nurse,contract,false,2020-01-01\n", head, code, unit));
    assert_counts(r, 1, 0, 0, 1);
    resp_free(r);
    r = post("/api/v1/staff/import", T_SD_REPORTER, "application/json",
             fmt("[{\"code\":\"%s\",\"full_name\":\"Đảng Viên\",\"unit_code\":\"%s\",\"job_group\":\"nurse\","
                 "\"employment\":\"contract\",\"party_member\":false,\"joined_on\":\"2020-01-01\"}]", code, unit),
             0, NULL);
    assert_counts(r, 1, 0, 0, 1);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 AND party_member", code), 1);
    /* A new staff member loaded by a reporter with party_member true is stored as not a member. */
    r = post_csv("/api/v1/staff/import", T_SD_REPORTER, fmt("%s%sN,Mới,%s,nurse,contract,true,2020-01-01\n", head, code, unit));
    assert_counts(r, 1, 1, 0, 0);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 || 'N' AND NOT party_member", code), 1);

    /* A manager's wrong guess is an update: the field counts for those who may see it. */
    r = post_csv("/api/v1/staff/import?dry_run=true", T_SD_MANAGER,
                 fmt("%s%s,Đảng Viên,%s,nurse,contract,false,2020-01-01\n", head, code, unit));
    assert_counts(r, 1, 0, 1, 0);
    resp_free(r);

    /* Every dry run is audited as a read of personal data (counts and keys, nothing written). */
    snprintf(rid, sizeof rid, "h8-dry-%s", uniq());
    snprintf(hdr, sizeof hdr, "X-Request-Id: %s", rid);
    const char *csv = fmt("%s%s,Đảng Viên,%s,nurse,contract,false,2020-01-01\n", head, code, unit);
    r = post("/api/v1/staff/import?dry_run=true", T_SD_REPORTER, "text/csv", csv, strlen(csv), hdr);
    assert_counts(r, 1, 0, 0, 1);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE client_request_id = $1", rid), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE client_request_id = $1 AND action = 'read' AND entity = 'staff'"
                              " AND username = 'sondong.reporter' AND (after->>'dry_run')::boolean"
                              " AND (after->>'unchanged')::int = 1 AND (after->>'received')::int = 1",
                              rid),
                     1);

    /* So is a dry run whose problems were found by comparing with stored data (here: a unit
     * code that no unit in the caller's reach has). */
    snprintf(rid, sizeof rid, "h8-dry422-%s", uniq());
    snprintf(hdr, sizeof hdr, "X-Request-Id: %s", rid);
    csv = fmt("%s%s,Đảng Viên,NO-SUCH-UNIT-%s,nurse,contract,false,2020-01-01\n", head, code, uniq());
    r = post("/api/v1/staff/import?dry_run=true", T_SD_REPORTER, "text/csv", csv, strlen(csv), hdr);
    ASSERT_STATUS(r, 422);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE client_request_id = $1 AND action = 'read'"
                              " AND entity = 'staff' AND username = 'sondong.reporter'"
                              " AND (after->>'dry_run')::boolean AND (after->>'problems')::int = 1",
                              rid),
                     1);
}
END_TEST

/* A single write by a caller who may not see party membership may not set it either: 422,
 * and nothing changes. */
START_TEST(a_reporter_may_not_set_party_member_in_a_single_write)
{
    char unit[40], code[48];
    make_unit(unit, sizeof unit);
    snprintf(code, sizeof code, "H8Q%s", uniq());
    resp *r = post_csv("/api/v1/staff/import", T_SD_MANAGER,
                       fmt("code,full_name,unit_code,job_group,employment,party_member,joined_on\n"
                           "%s,Đảng Viên,%s,nurse,contract,true,2020-01-01\n", code, unit));
    assert_counts(r, 1, 1, 0, 0);
    resp_free(r);
    long long id = db_count("SELECT id FROM staff WHERE code = $1", code);
    r = http_send_json("PATCH", fmt("/api/v1/staff/%lld", id), T_SD_REPORTER, "{\"party_member\":false}");
    ASSERT_STATUS(r, 422);
    ck_assert_ptr_nonnull(strstr(r->body, "{\"field\":\"party_member\",\"message\":\"may be set only by admins and managers\"}"));
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 AND party_member", code), 1);
    r = http_send_json("POST", "/api/v1/staff", T_SD_REPORTER,
                       fmt("{\"code\":\"%sB\",\"full_name\":\"B\",\"unit_code\":\"%s\",\"job_group\":\"nurse\","
                           "\"employment\":\"contract\",\"joined_on\":\"2020-01-01\",\"party_member\":true}",
                           code, unit));
    ASSERT_STATUS(r, 422);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 || 'B'", code), 0);
    /* A manager still sets it. */
    r = http_send_json("PATCH", fmt("/api/v1/staff/%lld", id), T_SD_MANAGER, "{\"party_member\":false}");
    ASSERT_STATUS(r, 200);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1 AND NOT party_member", code), 1);
}
END_TEST

/* ---- item 2: out of scope = unknown ---------------------------------------------------------- */

START_TEST(a_completion_load_naming_staff_elsewhere_answers_like_an_unknown_code)
{
    char far[48], unknown[48];
    snprintf(far, sizeof far, "H8F%s", uniq());
    snprintf(unknown, sizeof unknown, "H8U%s", uniq());
    ck_assert_uint_eq(strlen(far), strlen(unknown));
    make_far_staff(far, "2014-04-30", NULL);
    /* Completed before the far staff member joined: the old check said so, with the date. */
#define COMPLETION_ROWS "staff_code,course_code,completed_on\n%s,NO-COURSE-H8,2013-01-01\n"
    resp *a = post_csv("/api/v1/completions/import", T_SD_REPORTER, fmt(COMPLETION_ROWS, far));
    resp *b = post_csv("/api/v1/completions/import", T_SD_REPORTER, fmt(COMPLETION_ROWS, unknown));
    ASSERT_STATUS(a, 422);
    assert_same_answer(a, far, b, unknown);
    char *e = errors_without(a, far);
    ck_assert_str_eq(e, "[{\"row\":2,\"field\":\"course_code\",\"message\":\"course NO-COURSE-H8 is unknown\"},"
                        "{\"row\":2,\"field\":\"staff_code\",\"message\":\"staff member <CODE> is unknown or not in your units\"}]");
    free(e);
    resp_free(a);
    resp_free(b);

    /* Attestation loads and the single writes answer the same way. */
#define ATTESTATION_ROWS "staff_code,skill,attested_on\n%s,emr,2013-01-01\n"
    a = post_csv("/api/v1/attestations/import", T_SD_REPORTER, fmt(ATTESTATION_ROWS, far));
    b = post_csv("/api/v1/attestations/import", T_SD_REPORTER, fmt(ATTESTATION_ROWS, unknown));
    ASSERT_STATUS(a, 422);
    assert_same_answer(a, far, b, unknown);
    resp_free(a);
    resp_free(b);
    a = send_obj("POST", "/api/v1/attestations", T_SD_REPORTER,
                 json_pack("{s:s, s:s, s:s}", "staff_code", far, "skill", "emr", "attested_on", "2013-01-01"));
    b = send_obj("POST", "/api/v1/attestations", T_SD_REPORTER,
                 json_pack("{s:s, s:s, s:s}", "staff_code", unknown, "skill", "emr", "attested_on", "2013-01-01"));
    ASSERT_STATUS(a, 422);
    assert_same_answer(a, far, b, unknown);
    resp_free(a);
    resp_free(b);
}
END_TEST

START_TEST(a_staff_load_of_a_code_held_elsewhere_says_only_already_in_use)
{
    char unit[40], far[48];
    make_unit(unit, sizeof unit);
    snprintf(far, sizeof far, "H8L%s", uniq());
    make_far_staff(far, "2010-01-01", "2020-05-24");
    /* Without a left_on column the stored one would be kept: the old check compared with it. */
    resp *r = post_csv("/api/v1/staff/import?dry_run=true", T_SD_REPORTER,
                       fmt("code,full_name,unit_code,job_group,employment,joined_on\n%s,Người Mới,%s,nurse,contract,2021-01-01\n",
                           far, unit));
    ASSERT_STATUS(r, 422);
    char *e = errors_without(r, far);
    ck_assert_str_eq(e, "[{\"row\":2,\"field\":\"code\",\"message\":\"is already in use\"}]");
    ck_assert_str_eq(jstr(r, "detail"), "Nothing was written: 1 problem was found; see errors.");
    free(e);
    resp_free(r);
    /* The unit of a staff member elsewhere is an unknown unit, closed or not. */
    resp *a = post_csv("/api/v1/staff/import", T_SD_REPORTER,
                       "code,full_name,unit_code,job_group,employment,joined_on\nH8X1,Một,24001,nurse,contract,2021-01-01\n");
    resp *b = post_csv("/api/v1/staff/import", T_SD_REPORTER,
                       "code,full_name,unit_code,job_group,employment,joined_on\nH8X1,Một,99H8X,nurse,contract,2021-01-01\n");
    ASSERT_STATUS(a, 422);
    assert_same_answer(a, "24001", b, "99H8X");
    resp_free(a);
    resp_free(b);
}
END_TEST

/* ---- item 11: an error is never dropped; cuts keep whole characters ------------------------- */

START_TEST(a_message_quoting_long_non_ascii_text_is_listed_cut_on_a_character)
{
    char unit[40], code[48];
    make_unit(unit, sizeof unit);
    snprintf(code, sizeof code, "H8C%s", uniq());
    char text[128] = "", want[160];
    for (int i = 0; i < 30; i++) strcat(text, "ắ"); /* 3 bytes each: byte 40 falls inside the 14th */
    char thirteen[64] = "";
    for (int i = 0; i < 13; i++) strcat(thirteen, "ắ");
    snprintf(want, sizeof want, "\"%s\" is not true or false", thirteen);
    resp *r = post_csv("/api/v1/staff/import", T_SD_MANAGER,
                       fmt("code,full_name,unit_code,job_group,employment,joined_on,party_member\n"
                           "%s,Tên,%s,nurse,contract,2020-01-01,%s\n", code, unit, text));
    ASSERT_STATUS(r, 422);
    ck_assert_str_eq(jstr(r, "detail"), "Nothing was written: 1 problem was found; see errors.");
    json_t *errs = json_object_get(r->json, "errors");
    ck_assert_uint_eq(json_array_size(errs), 1);
    json_t *e0 = json_array_get(errs, 0);
    ck_assert_int_eq(json_integer_value(json_object_get(e0, "row")), 2);
    ck_assert_str_eq(json_string_value(json_object_get(e0, "field")), "party_member");
    ck_assert_str_eq(json_string_value(json_object_get(e0, "message")), want);
    resp_free(r);

    /* A header naming a column with 100 such characters: the field is cut to 66 of them (198 bytes). */
    char longname[400] = "", cut[400] = "";
    for (int i = 0; i < 100; i++) strcat(longname, "ắ");
    for (int i = 0; i < 66; i++) strcat(cut, "ắ");
    r = post_csv("/api/v1/staff/import", T_SD_MANAGER,
                 fmt("code,full_name,unit_code,job_group,employment,joined_on,%s\n%s,Tên,%s,nurse,contract,2020-01-01,1\n",
                     longname, code, unit));
    ASSERT_STATUS(r, 422);
    errs = json_object_get(r->json, "errors");
    ck_assert_uint_eq(json_array_size(errs), 1);
    e0 = json_array_get(errs, 0);
    ck_assert_int_eq(json_integer_value(json_object_get(e0, "row")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(e0, "field")), cut);
    ck_assert_str_eq(json_string_value(json_object_get(e0, "message")), "is not a column of this load");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1", code), 0);
}
END_TEST

/* ---- item 8: rows per load ----------------------------------------------------------------- */

/* A body of a header and n rows of two empty cells and an "x" (4 bytes a row), or a JSON array of n {}. */
static char *empty_rows(long n, int json)
{
    char *b = malloc((size_t)n * 4 + 64), *w = b;
    if (json) {
        *w++ = '[';
        for (long i = 0; i < n; i++) w += sprintf(w, "%s{}", i ? "," : "");
        *w++ = ']';
        *w = '\0';
    } else {
        w += sprintf(w, "staff_code,skill,attested_on\n");
        /* not ",,": a record of empty cells only is skipped like an empty line (issue 13) */
        for (long i = 0; i < n; i++) w += sprintf(w, ",,x\n");
    }
    return b;
}

START_TEST(a_load_over_the_row_cap_is_413_and_writes_nothing)
{
    const char *detail = "Nothing was written: a load may have at most 200000 rows; split the file into loads of at most"
                         " 200000 rows.";
    long long before = db_count("SELECT count(*) FROM attestations", NULL);
    for (int json = 0; json < 2; json++) {
        char *body = empty_rows(200001, json);
        resp *r = post("/api/v1/attestations/import", T_SD_REPORTER, json ? "application/json" : "text/csv", body,
                       strlen(body), NULL);
        ASSERT_STATUS(r, 413);
        ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:payload-too-large");
        ck_assert_str_eq(jstr(r, "detail"), detail);
        resp_free(r);
        free(body);
    }
    /* At the cap the rows are read and checked: every problem counted, the first 1000 listed. */
    char *body = empty_rows(200000, 0);
    resp *r = post("/api/v1/attestations/import", T_SD_REPORTER, "text/csv", body, strlen(body), NULL);
    ASSERT_STATUS(r, 422);
    ck_assert_str_eq(jstr(r, "detail"), "Nothing was written: 600000 problems were found; the first 1000 are listed.");
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "errors")), 1000);
    json_t *last = json_array_get(json_object_get(r->json, "errors"), 999);
    ck_assert_int_eq(json_integer_value(json_object_get(last, "row")), 335);
    ck_assert_str_eq(json_string_value(json_object_get(last, "field")), "staff_code");
    resp_free(r);
    free(body);
    ck_assert_int_eq(db_count("SELECT count(*) FROM attestations", NULL), before);
}
END_TEST

START_TEST(a_json_load_is_read_one_bounded_element_at_a_time)
{
    char unit[40], code[48];
    make_unit(unit, sizeof unit);
    snprintf(code, sizeof code, "H8J%s", uniq());
    /* An element over 65536 bytes is a row error; the rows around it are still read for shape. */
    size_t big = 70000;
    char *name = malloc(big + 1);
    memset(name, 'a', big);
    name[big] = '\0';
    size_t cap = big + 1024;
    char *body = malloc(cap);
    snprintf(body, cap,
             "[{\"code\":\"%s\",\"full_name\":\"A\",\"unit_code\":\"%s\",\"job_group\":\"nurse\",\"employment\":\"contract\","
             "\"joined_on\":\"2020-01-01\"}, {\"full_name\":\"%s\"}, {\"nickname\":1}]",
             code, unit, name);
    resp *r = post("/api/v1/staff/import", T_SD_MANAGER, "application/json", body, strlen(body), NULL);
    ASSERT_STATUS(r, 422);
    /* The unknown key comes with the rest of its row's problems (issue 13: one pass of fixes). */
    ck_assert_str_eq(jstr(r, "detail"), "Nothing was written: 8 problems were found; see errors.");
    char *e = errors_without(r, code);
    ck_assert_str_eq(e, "[{\"row\":3,\"field\":\"\",\"message\":\"is longer than 65536 bytes\"},"
                        "{\"row\":4,\"field\":\"nickname\",\"message\":\"is not a field of this load\"},"
                        "{\"row\":4,\"field\":\"code\",\"message\":\"is required\"},"
                        "{\"row\":4,\"field\":\"full_name\",\"message\":\"is required\"},"
                        "{\"row\":4,\"field\":\"unit_code\",\"message\":\"is required\"},"
                        "{\"row\":4,\"field\":\"job_group\",\"message\":\"is required\"},"
                        "{\"row\":4,\"field\":\"employment\",\"message\":\"is required\"},"
                        "{\"row\":4,\"field\":\"joined_on\",\"message\":\"is required\"}]");
    free(e);
    resp_free(r);
    free(body);
    free(name);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE code = $1", code), 0);
    /* Syntax errors anywhere in the array are 400, nothing written. */
    const char *bad[] = {"[}", "[{\"code\":1},]", "[{\"code\":1} {\"code\":2}]", "[{\"code\":1}] x", "[{\"code\":1}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        r = post("/api/v1/staff/import", T_SD_MANAGER, "application/json", bad[i], strlen(bad[i]), NULL);
        ck_assert_msg(r->status == 400, "%s: %ld %s", bad[i], r->status, r->body);
        ck_assert_msg(strncmp(jstr(r, "detail"), "The body is not valid JSON: ", 28) == 0, "%s", r->body);
        resp_free(r);
    }
}
END_TEST

/* ---- item 14: cascaded deletions are audited ------------------------------------------------ */

START_TEST(deleting_a_staff_member_audits_its_completions_and_attestations)
{
    char unit[40], code[48], course[48], rid[64], hdr[96];
    make_unit(unit, sizeof unit);
    snprintf(code, sizeof code, "H8D%s", uniq());
    snprintf(course, sizeof course, "H8K%s", uniq());
    long long sid = created_id(send_obj("POST", "/api/v1/staff", T_SD_MANAGER,
                                        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "code", code, "full_name", "Sắp Xoá",
                                                  "unit_code", unit, "job_group", "nurse", "employment", "contract",
                                                  "joined_on", "2019-01-01")));
    created_id(send_obj("POST", "/api/v1/courses", T_ADMIN, json_pack("{s:s, s:s}", "code", course, "title", "Khoá xoá")));
    long long cid = created_id(send_obj("POST", "/api/v1/completions", T_SD_MANAGER,
                                        json_pack("{s:s, s:s, s:s}", "staff_code", code, "course_code", course,
                                                  "completed_on", "2025-01-02")));
    long long a1 = created_id(send_obj("POST", "/api/v1/attestations", T_SD_MANAGER,
                                       json_pack("{s:s, s:s, s:s}", "staff_code", code, "skill", "emr", "attested_on",
                                                 "2025-02-03")));
    long long a2 = created_id(send_obj("POST", "/api/v1/attestations", T_SD_MANAGER,
                                       json_pack("{s:s, s:s, s:s}", "staff_code", code, "skill", "digital_signature",
                                                 "attested_on", "2025-02-04")));
    snprintf(rid, sizeof rid, "h8-del-%s", uniq());
    snprintf(hdr, sizeof hdr, "X-Request-Id: %s", rid);
    req_opts o = {.token = T_SD_MANAGER, .headers = {hdr, NULL}};
    resp *r = http_do("DELETE", fmt("/api/v1/staff/%lld", sid), &o);
    ASSERT_STATUS(r, 204);
    resp_free(r);
    /* One entry per deleted row: the staff member, its completion and both attestations. */
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE client_request_id = $1", rid), 4);
    ck_assert_int_eq(db_count(fmt("SELECT count(*) FROM audit_log WHERE client_request_id = $1 AND action = 'delete'"
                                  " AND username = 'sondong.manager' AND entity = 'staff' AND entity_id = '%lld'"
                                  " AND before->>'code' = '%s' AND after IS NULL", sid, code), rid), 1);
    ck_assert_int_eq(db_count(fmt("SELECT count(*) FROM audit_log WHERE client_request_id = $1 AND action = 'delete'"
                                  " AND username = 'sondong.manager' AND entity = 'completion' AND entity_id = '%lld'"
                                  " AND (before->>'id')::bigint = %lld AND before->>'completed_on' = '2025-01-02'"
                                  " AND after IS NULL", cid, cid), rid), 1);
    ck_assert_int_eq(db_count(fmt("SELECT count(*) FROM audit_log WHERE client_request_id = $1 AND action = 'delete'"
                                  " AND entity = 'attestation' AND entity_id IN ('%lld', '%lld')"
                                  " AND before->>'skill' IN ('emr', 'digital_signature') AND after IS NULL", a1, a2), rid), 2);
    ck_assert_int_eq(db_count("SELECT count(*) FROM completions WHERE id = $1::bigint", fmt("%lld", cid)), 0);
}
END_TEST

Suite *h8_scope_suite(void)
{
    Suite *s = suite_create("h8_scope");
    TCase *t = tcase_create("h8_scope");
    tcase_set_timeout(t, 300);
    tcase_add_test(t, a_reporter_guessing_party_member_learns_nothing_and_writes_nothing);
    tcase_add_test(t, a_reporter_may_not_set_party_member_in_a_single_write);
    tcase_add_test(t, a_completion_load_naming_staff_elsewhere_answers_like_an_unknown_code);
    tcase_add_test(t, a_staff_load_of_a_code_held_elsewhere_says_only_already_in_use);
    tcase_add_test(t, a_message_quoting_long_non_ascii_text_is_listed_cut_on_a_character);
    tcase_add_test(t, a_load_over_the_row_cap_is_413_and_writes_nothing);
    tcase_add_test(t, a_json_load_is_read_one_bounded_element_at_a_time);
    tcase_add_test(t, deleting_a_staff_member_audits_its_completions_and_attestations);
    suite_add_tcase(s, t);
    return s;
}
