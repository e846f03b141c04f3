/* Issue 13 leftovers: the answers' details and messages that carry values (the locked period and
 * who can unlock it, report transitions, closing a unit with staff, transfers, request limits,
 * obligations, groups, targets, DHIS2 exports) in Vietnamese when asked and in English as before,
 * from the catalogue's codes and values (src/core/problems.c). */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One request with Accept-Language: lang (NULL: none); the status is asserted. */
static resp *ask(const char *method, const char *path, const char *token, const char *body, const char *lang, int status)
{
    char al[64];
    snprintf(al, sizeof al, "Accept-Language: %s", lang ? lang : "");
    req_opts o = {.token = token, .body = body, .headers = {lang ? al : NULL, NULL}};
    resp *r = http_do(method, path, &o);
    ASSERT_STATUS(r, status);
    return r;
}

/* The request twice, in Vietnamese and in English: the detail (field NULL) or the one error on
 * field is exactly vi and en; the answer says its language. */
static void both(const char *method, const char *path, const char *token, const char *body, int status,
                 const char *field, const char *en, const char *vi)
{
    const char *langs[] = {"vi", NULL}, *want[] = {vi, en};
    for (int i = 0; i < 2; i++) {
        resp *r = ask(method, path, token, body, langs[i], status);
        char cl[16];
        ck_assert_str_eq(resp_header(r, "Content-Language", cl, sizeof cl), langs[i] ? "vi" : "en");
        if (field == NULL)
            ck_assert_str_eq(jstr(r, "detail"), want[i]);
        else
            ck_assert_msg(count_errors(r, field, want[i]) == 1, "%s: no error \"%s\" in %s", field, want[i], r->body);
        resp_free(r);
    }
}

typedef struct tree {
    char r[40], t[48], k1[48], k2[48], p1[8];
    long long rid, tid, k1id, k2id;
} tree;

static void tree_make(tree *t)
{
    last_month(t->p1, sizeof t->p1);
    snprintf(t->r, sizeof t->r, "VIH%s", uniq());
    snprintf(t->t, sizeof t->t, "%s-T", t->r);
    snprintf(t->k1, sizeof t->k1, "%s-K1", t->r);
    snprintf(t->k2, sizeof t->k2, "%s-K2", t->r);
    t->rid = unit_made(t->r, "department_of_health", NULL);
    t->tid = unit_made(t->t, "health_centre", t->r);
    t->k1id = unit_made(t->k1, "commune_station", t->t);
    t->k2id = unit_made(t->k2, "commune_station", t->t);
    const char *monthly = "\"target\":\"all_children\",\"calendar\":{\"month\":{\"due_day\":25}}";
    oblige(t->rid, monthly);
    oblige(t->tid, monthly);
}

static const char *rpath(const tree *t, long long unit, const char *action)
{
    return fmt("/api/v1/reports/%lld/%s%s%s", unit, t->p1, action ? "/" : "", action ? action : "");
}

static void step(const tree *t, long long unit, const char *action)
{
    resp *r = action ? ask("POST", rpath(t, unit, action), T_ADMIN, NULL, NULL, 200)
                     : http_send_json("PUT", rpath(t, unit, NULL), T_ADMIN, "{\"values\":{\"s1_documents_count\":3}}");
    ck_assert_msg(r->status == 200 || r->status == 201, "%ld %s", r->status, r->body);
    resp_free(r);
}

/* A write into a locked period: why and who can unlock it, in both languages, from the
 * database's facts (period_lock_check's DETAIL) and from the report's own state. */
START_TEST(a_locked_period_is_explained_in_both_languages)
{
    tree t;
    tree_make(&t);
    step(&t, t.k1id, NULL);
    step(&t, t.k1id, "submit");
    step(&t, t.k1id, "approve");
    resp *r = ask("POST", "/api/v1/patients-served", T_ADMIN,
                  fmt("{\"unit_id\":%lld,\"month\":\"%s\",\"count\":50}", t.k1id, t.p1), "vi", 409);
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:period-locked");
    ck_assert_str_eq(jstr(r, "title"), "Kỳ báo cáo đã khóa");
    resp_free(r);
    both("POST", "/api/v1/patients-served", T_ADMIN, fmt("{\"unit_id\":%lld,\"month\":\"%s\",\"count\":50}", t.k1id, t.p1),
         409, NULL,
         fmt("The report of %s for %s is approved, so that period's figures of the unit are locked. A manager of %s "
             "(its approver) or of a unit above it can unlock it with a reason (POST /api/v1/reports/%lld/%s/unlock), "
             "after which this write is possible (the reports above it reopen with it).",
             t.k1, t.p1, t.t, t.k1id, t.p1),
         fmt("Báo cáo của %s kỳ %s đã được phê duyệt, nên số liệu kỳ đó của đơn vị đã bị khóa. Người quản lý của %s "
             "(đơn vị phê duyệt) hoặc của một đơn vị cấp trên có thể mở khóa báo cáo, kèm lý do (POST "
             "/api/v1/reports/%lld/%s/unlock); sau đó mới ghi được thay đổi này (các báo cáo cấp trên cũng được mở lại "
             "theo).",
             t.k1, t.p1, t.t, t.k1id, t.p1));
    both("PUT", rpath(&t, t.k1id, NULL), T_ADMIN, "{\"values\":{\"s1_documents_count\":4}}", 409, NULL,
         fmt("This report is approved, so its period is locked. A manager of %s (its approver) or of a unit above it "
             "can return it with a reason (POST /api/v1/reports/%lld/%s/return), after which its values can change and "
             "it is submitted again.",
             t.t, t.k1id, t.p1),
         fmt("Báo cáo này đã được phê duyệt nên kỳ báo cáo đã bị khóa. Người quản lý của %s (đơn vị phê duyệt) hoặc "
             "của một đơn vị cấp trên có thể trả lại báo cáo, kèm lý do (POST /api/v1/reports/%lld/%s/return); sau đó "
             "số liệu của báo cáo mới sửa được và báo cáo được gửi lại.",
             t.t, t.k1id, t.p1));
    ck_assert_int_eq(db_count("SELECT count(*) FROM patients_served WHERE unit_id = $1::bigint", idstr(t.k1id)), 0);
}
END_TEST

/* Transitions refused with the report's state and the action in the sentence. */
START_TEST(report_transitions_name_the_state_in_both_languages)
{
    tree t;
    tree_make(&t);
    step(&t, t.k2id, NULL);
    both("POST", rpath(&t, t.k2id, "approve"), T_ADMIN, NULL, 409, NULL, "A draft report cannot be approved.",
         "Không thể phê duyệt báo cáo đang ở trạng thái nháp.");
    both("GET", rpath(&t, t.k2id, "revisions"), T_ADMIN, NULL, 409, NULL,
         "This report is draft, not approved: it has no snapshot to compare with (revisions are listed once it is "
         "approved).",
         "Báo cáo này đang ở trạng thái nháp, chưa được phê duyệt: chưa có bản chụp số liệu để so sánh (các lần sửa "
         "đổi được liệt kê khi báo cáo đã được phê duyệt).");
    step(&t, t.k2id, "submit");
    both("POST", rpath(&t, t.k2id, "submit"), T_ADMIN, NULL, 409, NULL, "A submitted report cannot be submitted.",
         "Không thể gửi báo cáo đang ở trạng thái đã gửi.");
    step(&t, t.tid, NULL);
    step(&t, t.tid, "submit");
    resp *r = ask("POST", rpath(&t, t.tid, "approve"), T_ADMIN, NULL, NULL, 409);
    const char *en = jstr(r, "detail");
    const char *prefix = "The reports below it for this period must be approved first; not yet: ";
    ck_assert_int_eq(strncmp(en, prefix, strlen(prefix)), 0);
    char list[200];
    snprintf(list, sizeof list, "%.*s", (int)(strlen(en) - strlen(prefix) - 1), en + strlen(prefix));
    ck_assert_ptr_nonnull(strstr(list, t.k2));
    resp_free(r);
    both("POST", rpath(&t, t.tid, "approve"), T_ADMIN, NULL, 409, NULL, fmt("%s%s.", prefix, list),
         fmt("Các báo cáo cấp dưới của kỳ này phải được phê duyệt trước; còn chưa phê duyệt: %s.", list));
}
END_TEST

/* Closing a unit whose staff still work there; a transfer before the person joined. */
START_TEST(staff_that_block_a_closing_or_a_transfer_in_both_languages)
{
    char code[48];
    long long x = make_test_unit("VIX", "Trạm thử", "commune_station", "TYT-ANLAC", code, sizeof code);
    const char *staff_code = fmt("NV%s", uniq());
    char sc[48];
    snprintf(sc, sizeof sc, "%s", staff_code);
    resp *r = http_send_json("POST", "/api/v1/staff", T_ADMIN,
                             fmt("{\"code\":\"%s\",\"full_name\":\"Nguyễn Thị Hoà\",\"unit_code\":\"%s\",\"job_group\":"
                                 "\"doctor\",\"employment\":\"contract\",\"joined_on\":\"2025-03-01\"}", sc, code));
    ASSERT_STATUS(r, 201);
    long long staff = created_id(r);
    char today[11];
    server_today(today);
    both("DELETE", fmt("/api/v1/units/%lld?closed_on=%s", x, today), T_ADMIN, NULL, 409, NULL,
         "1 staff member of this unit still works after the closing day: give transfer_to (a unit id) to transfer them "
         "there on the closing day, or transfer them first; see errors.",
         "1 nhân viên của đơn vị này vẫn làm việc sau ngày đóng: hãy truyền transfer_to (id của một đơn vị) để điều "
         "chuyển họ sang đó vào ngày đóng, hoặc điều chuyển họ trước; xem danh sách lỗi (errors).");
    both("DELETE", fmt("/api/v1/units/%lld?closed_on=%s", x, today), T_ADMIN, NULL, 409, "staff",
         fmt("%s (Nguyễn Thị Hoà) still works after %s", sc, today),
         fmt("%s (Nguyễn Thị Hoà) vẫn làm việc sau ngày %s", sc, today));
    long long anlac = unit_id("TYT-ANLAC");
    both("POST", fmt("/api/v1/staff/%lld/transfers", staff), T_ADMIN,
         fmt("{\"unit_id\":%lld,\"effective_on\":\"2025-02-01\"}", anlac), 422, "effective_on",
         "is before the staff member joined (joined_on 2025-03-01)",
         "sớm hơn ngày nhân viên vào làm (joined_on 2025-03-01)");
    both("POST", fmt("/api/v1/staff/%lld/transfers", staff), T_ADMIN,
         fmt("{\"unit_id\":%lld,\"effective_on\":\"2025-04-01\"}", x), 422, "unit_id",
         "the staff member already belongs to that unit on 2025-04-01",
         "nhân viên đã thuộc đơn vị đó vào ngày 2025-04-01");
}
END_TEST

/* The request's own shape: a parameter twice, a bad number or sort, a method, a body. */
START_TEST(request_limits_in_both_languages)
{
    both("GET", "/api/v1/units?limit=1&limit=2", T_ADMIN, NULL, 400, NULL,
         "The query parameter \"limit\" is given more than once.", "Tham số truy vấn \"limit\" được truyền nhiều lần.");
    both("GET", "/api/v1/units?limit=0", T_ADMIN, NULL, 400, "limit", "must be a whole number from 1 to 1000",
         "phải là số nguyên từ 1 đến 1000");
    both("GET", "/api/v1/units?sort=colour", T_ADMIN, NULL, 400, "sort", "must be one of code, name, id, type, updated_at, optionally with a leading -",
         "phải là một trong code, name, id, type, updated_at, có thể thêm dấu - ở đầu");
    both("PATCH", "/api/v1/units", T_ADMIN, "{}", 405, NULL, "PATCH is not allowed here; use GET, POST, OPTIONS.",
         "Không dùng được phương thức PATCH ở đây; hãy dùng GET, POST, OPTIONS.");
    both("POST", "/api/v1/units", T_ADMIN, "{\"code\": ", 400, NULL,
         "The body is not valid JSON: unexpected token near end of file (at byte 9).",
         /* the parser's own words (jansson) stay as it writes them */
         "Nội dung không phải JSON hợp lệ: unexpected token near end of file (tại byte 9).");
}
END_TEST

/* Obligations, reporting rates, groups and targets. */
START_TEST(rules_and_targets_in_both_languages)
{
    tree t;
    tree_make(&t);
    long long ob = db_count("SELECT max(id) FROM reporting_obligations WHERE parent_id = $1::bigint", idstr(t.tid));
    both("POST", fmt("/api/v1/reporting-obligations/%lld/end", ob), T_ADMIN, "{\"valid_to\":\"2024-12-30\"}", 422,
         "valid_to", "must be on or after 2024-12-31, the day before the obligation begins",
         "phải bằng hoặc sau ngày 2024-12-31, ngày trước khi nghĩa vụ báo cáo bắt đầu");
    resp_free(ask("POST", fmt("/api/v1/reporting-obligations/%lld/end", ob), T_ADMIN, "{\"valid_to\":\"2025-06-30\"}",
                  NULL, 200));
    both("POST", fmt("/api/v1/reporting-obligations/%lld/end", ob), T_ADMIN, "{\"valid_to\":\"2025-07-31\"}", 409, NULL,
         "This obligation already ends on 2025-06-30; an end can only move earlier (add a new obligation to go on).",
         "Nghĩa vụ báo cáo này đã kết thúc vào ngày 2025-06-30; ngày kết thúc chỉ có thể dời sớm hơn (hãy thêm một "
         "nghĩa vụ mới để tiếp tục).");
    both("GET", fmt("/api/v1/reporting-rates?unit_id=%lld&from=2000-01&to=2026-12", t.rid), T_ADMIN, NULL, 400, "to",
         "is 324 periods after from; a series has at most 120",
         "cách from 324 kỳ; một chuỗi có tối đa 120 kỳ");
    both("PUT", fmt("/api/v1/units/%lld/groups/state_management", t.tid), T_ADMIN, NULL, 422, "code",
         "cannot be added: the unit is a public_service_unit (a unit is a public service unit or a state management body); "
         "remove that group first",
         "không thêm được: đơn vị đang thuộc nhóm public_service_unit (một đơn vị là đơn vị sự nghiệp công lập hoặc cơ "
         "quan quản lý nhà nước); hãy gỡ nhóm đó trước");
}
END_TEST

/* A staff load's header and the first cells of its one row, up to the name. */
#define ROW_HEAD "code,unit_code,job_group,employment,joined_on,full_name\nNV1,TYT-ANLAC,doctor,contract,2025-01-01,"

/* POSTs csv to the staff import with Accept-Language: lang (NULL: none); asserts status and detail. */
static void csv_detail(const char *csv, size_t len, const char *lang, int status, const char *detail)
{
    char al[64];
    snprintf(al, sizeof al, "Accept-Language: %s", lang ? lang : "");
    req_opts o = {.token = T_SD_MANAGER, .content_type = "text/csv", .body = csv, .body_len = len,
                  .headers = {lang ? al : NULL, NULL}};
    resp *r = http_do("POST", "/api/v1/staff/import", &o);
    ASSERT_STATUS(r, status);
    ck_assert_str_eq(jstr(r, "detail"), detail);
    resp_free(r);
}

/* The CSV reader's reasons, and fixed sentences of the newer routes. */
START_TEST(csv_reasons_and_fixed_sentences_in_both_languages)
{
    static const char OPEN[] = ROW_HEAD "\"Hoà\n";
    csv_detail(OPEN, sizeof OPEN - 1, NULL, 400, "The CSV cannot be read: record 2: a quoted cell is not closed.");
    csv_detail(OPEN, sizeof OPEN - 1, "vi", 400,
               "Không đọc được tệp CSV: dòng 2: một ô mở dấu ngoặc kép nhưng không đóng lại.");
    static const char QUOTE[] = ROW_HEAD "Ho\"a\"\n";
    csv_detail(QUOTE, sizeof QUOTE - 1, NULL, 400,
               "The CSV cannot be read: record 2: malformed quoting (a quote inside an unquoted cell, or text after a "
               "closing quote).");
    csv_detail(QUOTE, sizeof QUOTE - 1, "vi", 400,
               "Không đọc được tệp CSV: dòng 2: dấu ngoặc kép đặt sai (dấu ngoặc kép nằm giữa một ô không đặt trong "
               "ngoặc kép, hoặc có chữ sau dấu ngoặc kép đóng).");
    static const char ANSI[] = ROW_HEAD "Ho\xe0\n"; /* "Hoà" in Windows-1258 */
    csv_detail(ANSI, sizeof ANSI - 1, "vi", 422,
               "Tệp không phải là văn bản UTF-8 (dòng 2, cột 6: không phải văn bản UTF-8 hợp lệ): có thể tệp đã được "
               "lưu dạng ANSI hoặc Windows-1258. Trong Excel hãy chọn Tệp > Lưu thành > \"CSV UTF-8 (Comma delimited) "
               "(*.csv)\" rồi gửi lại tệp đó.");
    tree t;
    tree_make(&t);
    step(&t, t.k1id, NULL);
    both("POST", rpath(&t, t.k1id, "unlock"), T_ADMIN, "{}", 422, "reason", "is required: why it is unlocked",
         "là bắt buộc: lý do mở khóa");
    both("DELETE", fmt("/api/v1/units/%lld/groups/state_management", t.k1id), T_ADMIN, NULL, 404, NULL,
         "The unit is not in this group.", "Đơn vị không thuộc nhóm này.");
    both("GET", "/api/v1/exports/dhis2?unit_id=1&period=2026-01&view=tree", T_ADMIN, NULL, 400, "view",
         "must be dhis2 or units", "phải là dhis2 hoặc units");
}
END_TEST

/* A refused load retried with its Idempotency-Key answers the first answer again (nothing is
 * checked again: the first request's id, the same problems) in the language the retry asks for. */
START_TEST(a_replayed_refusal_answers_in_the_language_asked_now)
{
    char key[64], khdr[96];
    snprintf(key, sizeof key, "vi2-%s", uniq());
    snprintf(khdr, sizeof khdr, "Idempotency-Key: %s", key);
    char name[64], body[300];
    snprintf(name, sizeof name, "Trần Văn Lặp %s", uniq());
    snprintf(body, sizeof body, ROW_HEAD "%s\nNV2,TYT-ANLAC,nures,contract,2025-01-01,Lê Thị Hoa\n", name);
    const char *langs[] = {NULL, "Accept-Language: vi", "Accept-Language: en"};
    char first_id[80] = "";
    for (int i = 0; i < 3; i++) {
        req_opts o = {.token = T_SD_MANAGER, .content_type = "text/csv", .body = body, .body_len = strlen(body),
                      .headers = {khdr, langs[i], NULL}};
        resp *r = http_do("POST", "/api/v1/staff/import", &o);
        ASSERT_STATUS(r, 422);
        char rep[16], cl[8];
        if (i == 0) {
            ck_assert_ptr_null(resp_header(r, "Idempotent-Replayed", rep, sizeof rep));
            snprintf(first_id, sizeof first_id, "%s", jstr(r, "request_id"));
        } else {
            ck_assert_str_eq(resp_header(r, "Idempotent-Replayed", rep, sizeof rep), "true");
            ck_assert_str_eq(jstr(r, "request_id"), first_id);
        }
        int vi = i == 1;
        ck_assert_str_eq(resp_header(r, "Content-Language", cl, sizeof cl), vi ? "vi" : "en");
        ck_assert_str_eq(jstr(r, "title"), vi ? "Dữ liệu không hợp lệ" : "Validation failed");
        ck_assert_str_eq(jstr(r, "detail"), vi ? "Chưa ghi dữ liệu nào: có 1 lỗi; xem danh sách lỗi (errors)."
                                               : "Nothing was written: 1 problem was found; see errors.");
        ck_assert_uint_eq(nerrors(r), 1);
        ck_assert_str_eq(err_field(r, 0), "job_group");
        const char *want = vi ? "\"nures\" không phải là mã nhóm chức danh đang dùng (xem /api/v1/job-groups); các mã "
                                "hợp lệ: "
                              : "\"nures\" is not an active job group code (see /api/v1/job-groups); valid codes: ";
        ck_assert_int_eq(strncmp(err_message(r, 0), want, strlen(want)), 0);
        resp_free(r);
    }
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE full_name = $1", name), 0);
}
END_TEST

Suite *s9_vi2_suite(void)
{
    Suite *s = suite_create("s9_vi2");
    TCase *tc = tcase_create("vi2");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, a_locked_period_is_explained_in_both_languages);
    tcase_add_test(tc, report_transitions_name_the_state_in_both_languages);
    tcase_add_test(tc, staff_that_block_a_closing_or_a_transfer_in_both_languages);
    tcase_add_test(tc, request_limits_in_both_languages);
    tcase_add_test(tc, rules_and_targets_in_both_languages);
    tcase_add_test(tc, csv_reasons_and_fixed_sentences_in_both_languages);
    tcase_add_test(tc, a_replayed_refusal_answers_in_the_language_asked_now);
    suite_add_tcase(s, tc);
    return s;
}
