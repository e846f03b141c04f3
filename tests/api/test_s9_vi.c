/* Issue 13 §2: Vietnamese answers (Accept-Language: vi, q-values honoured, English the default,
 * Content-Language and Vary: Accept-Language on every problem), and bulk loads a clerk can fix in
 * one pass. */
#include "client.h"

#include <stdlib.h>
#include <string.h>

static const char *hdr(const resp *r, const char *name)
{
    static char buf[4][1024];
    static int k;
    char *b = buf[k++ % 4];
    return resp_header(r, name, b, sizeof buf[0]);
}

static resp *send_lang(const char *method, const char *path, const char *token, const char *content_type,
                       const char *body, const char *lang)
{
    char al[128];
    snprintf(al, sizeof al, "Accept-Language: %s", lang ? lang : "");
    req_opts o = {.token = token, .content_type = content_type, .body = body, .headers = {lang ? al : NULL, NULL}};
    return http_do(method, path, &o);
}

/* Does the Vary header name Accept-Language? */
static int varies_on_language(const resp *r)
{
    const char *v = hdr(r, "Vary");
    return v != NULL && strstr(v, "Accept-Language") != NULL;
}

static const char BAD_STAFF[] = "{\"code\": \"NV 01\", \"full_name\": \"\", \"unit_code\": \"TYT-ANLAC\","
                                " \"job_group\": \"doctor\", \"employment\": \"contract\", \"joined_on\": \"2024-13-01\","
                                " \"colour\": \"red\"}";

/* A 422 in Vietnamese: title, detail and every error message; English without the header. */
START_TEST(a_validation_problem_is_answered_in_vietnamese_when_asked)
{
    resp *vi = send_lang("POST", "/api/v1/staff", T_SD_MANAGER, NULL, BAD_STAFF, "vi");
    ASSERT_STATUS(vi, 422);
    ck_assert_str_eq(jstr(vi, "title"), "Dữ liệu không hợp lệ");
    ck_assert_str_eq(jstr(vi, "detail"), "Một số trường không hợp lệ; xem danh sách lỗi (errors).");
    ck_assert_str_eq(jstr(vi, "type"), "urn:bdhvs:problem:validation");
    ck_assert_str_eq(hdr(vi, "Content-Language"), "vi");
    ck_assert(varies_on_language(vi));
    ck_assert_int_eq(count_errors(vi, "colour", "không phải là trường của tài nguyên này"), 1);
    ck_assert_int_eq(count_errors(vi, "full_name", "không được để trống"), 1);
    ck_assert_int_eq(count_errors(vi, "code", "chỉ được gồm chữ cái A-Z, chữ số, '.', '_' và '-' (từ 1 đến 40 ký tự)"),
                     1);
    ck_assert_int_eq(count_errors(vi, "joined_on", "phải là ngày viết theo dạng YYYY-MM-DD (năm-tháng-ngày)"), 1);
    /* No error keeps the code it was rendered from. */
    for (size_t i = 0; i < nerrors(vi); i++)
        ck_assert_uint_eq(json_object_size(json_array_get(json_object_get(vi->json, "errors"), i)), 2);

    resp *en = send_lang("POST", "/api/v1/staff", T_SD_MANAGER, NULL, BAD_STAFF, NULL);
    ASSERT_STATUS(en, 422);
    ck_assert_str_eq(jstr(en, "title"), "Validation failed");
    ck_assert_str_eq(jstr(en, "detail"), "Some fields are invalid; see errors.");
    ck_assert_str_eq(hdr(en, "Content-Language"), "en");
    ck_assert(varies_on_language(en));
    ck_assert_int_eq(count_errors(en, "colour", "is not a field of this resource"), 1);
    ck_assert_uint_eq(nerrors(en), nerrors(vi));
    resp_free(vi);
    resp_free(en);
}
END_TEST

/* The browser's usual headers: a Vietnamese browser gets Vietnamese, an English one English. */
START_TEST(accept_language_q_values_choose_the_language)
{
    static const struct {
        const char *al, *lang;
    } CASES[] = {
        {"vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7", "vi"},
        {"en-US,en;q=0.9,vi;q=0.8", "en"},
        {"en;q=0.4, vi;q=0.6", "vi"},
        {"vi;q=0", "en"},
        {"fr-FR, vi;q=0.2", "vi"},
        {"*", "en"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        resp *r = send_lang("GET", "/api/v1/units/999999999", T_ADMIN, NULL, NULL, CASES[i].al);
        ASSERT_STATUS(r, 404);
        ck_assert_msg(strcmp(hdr(r, "Content-Language"), CASES[i].lang) == 0, "%s: %s", CASES[i].al,
                      hdr(r, "Content-Language"));
        ck_assert_str_eq(jstr(r, "title"), strcmp(CASES[i].lang, "vi") == 0 ? "Không tìm thấy" : "Not found");
        resp_free(r);
    }
}
END_TEST

/* method path as token (with body) in Vietnamese answers status with this title and detail. */
static resp *vi_problem(const char *method, const char *path, const char *token, const char *body, int status,
                        const char *title, const char *detail)
{
    resp *r = send_lang(method, path, token, NULL, body, "vi");
    ASSERT_STATUS(r, status);
    ck_assert_str_eq(jstr(r, "title"), title);
    ck_assert_str_eq(jstr(r, "detail"), detail);
    ck_assert_str_eq(hdr(r, "Content-Language"), "vi");
    ck_assert(varies_on_language(r));
    return r;
}

/* The generic problems, answered before any handler runs, speak Vietnamese too. */
START_TEST(generic_problems_have_vietnamese_titles_and_details)
{
    resp_free(vi_problem("GET", "/api/v1/units", NULL, NULL, 401, "Chưa đăng nhập",
                         "Hãy đăng nhập trước: gửi Authorization: Bearer <token>."));
    resp_free(vi_problem("GET", "/api/v1/no-such-thing", T_ADMIN, NULL, 404, "Không tìm thấy",
                         "Không có gì ở đường dẫn này."));
    resp_free(vi_problem("POST", "/api/v1/users", T_SD_REPORTER, "{}", 403, "Không có quyền",
                         "Vai trò của bạn không được phép làm việc này."));
    resp *r = vi_problem("GET", "/api/v1/units?frob=1", T_ADMIN, NULL, 400, "Yêu cầu không hợp lệ",
                         "Một số tham số truy vấn không hợp lệ; xem danh sách lỗi (errors).");
    ck_assert_int_eq(count_errors(r, "frob", "không phải là tham số của yêu cầu này"), 1);
    resp_free(r);
}
END_TEST

static const char STAFF_HEADER[] = "code,full_name,unit_code,job_group,employment,joined_on\n";

/* A load's row errors and its detail in Vietnamese, from the cell checks and the database checks. */
START_TEST(import_row_errors_are_in_vietnamese)
{
    const char *p = fmt("VI%s-", uniq());
    char csv[1024];
    snprintf(csv, sizeof csv,
             "%s"
             "%s1,Nguyễn Thị Hoa,TYT-ANLAC,nurse,contract,2024-02-30\n"
             "%s2,Trần Văn Bình,TYT-ANLAC,y_ta,contract,2020-01-01\n"
             "%s3,Lê Thị Cúc,KHONG-CO,nurse,contract,2020-01-01\n",
             STAFF_HEADER, p, p, p);
    resp *r = send_lang("POST", "/api/v1/staff/import", T_SD_MANAGER, "text/csv", csv, "vi");
    ASSERT_STATUS(r, 422);
    ck_assert_str_eq(jstr(r, "title"), "Dữ liệu không hợp lệ");
    ck_assert_str_eq(jstr(r, "detail"), "Chưa ghi dữ liệu nào: có 3 lỗi; xem danh sách lỗi (errors).");
    ck_assert_str_eq(hdr(r, "Content-Language"), "vi");
    ck_assert_int_eq(count_errors(r, "joined_on",
                                  "\"2024-02-30\" không phải là ngày viết theo dạng YYYY-MM-DD (năm-tháng-ngày)"),
                     1);
    ck_assert_int_eq(count_errors(r, "unit_code", "đơn vị KHONG-CO không tồn tại hoặc không thuộc các đơn vị của bạn"),
                     1);
    ck_assert_int_eq(count_errors(r, "job_group", NULL), 1);
    ck_assert_ptr_nonnull(strstr(err_message(r, 1), "không phải là mã nhóm chức danh đang dùng"));
    resp_free(r);

    r = send_lang("POST", "/api/v1/staff/import", T_SD_MANAGER, "text/csv", csv, "en");
    ASSERT_STATUS(r, 422);
    ck_assert_str_eq(jstr(r, "detail"), "Nothing was written: 3 problems were found; see errors.");
    ck_assert_str_eq(hdr(r, "Content-Language"), "en");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE starts_with(code, $1)", p), 0);
}
END_TEST

Suite *s9_vi_suite(void)
{
    Suite *s = suite_create("s9_vi");
    TCase *t = tcase_create("vietnamese");
    tcase_add_test(t, a_validation_problem_is_answered_in_vietnamese_when_asked);
    tcase_add_test(t, accept_language_q_values_choose_the_language);
    tcase_add_test(t, generic_problems_have_vietnamese_titles_and_details);
    tcase_add_test(t, import_row_errors_are_in_vietnamese);
    suite_add_tcase(s, t);
    return s;
}
