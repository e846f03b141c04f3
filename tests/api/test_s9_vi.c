/* Issue 13 §2: Vietnamese answers (Accept-Language: vi, q-values honoured, English the default,
 * Content-Language and Vary: Accept-Language on every problem), and bulk loads a clerk can fix in
 * one pass. */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    const char *v = header_of(r, "Vary");
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
    ck_assert_str_eq(header_of(vi, "Content-Language"), "vi");
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
    ck_assert_str_eq(header_of(en, "Content-Language"), "en");
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
        ck_assert_msg(strcmp(header_of(r, "Content-Language"), CASES[i].lang) == 0, "%s: %s", CASES[i].al,
                      header_of(r, "Content-Language"));
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
    ck_assert_str_eq(header_of(r, "Content-Language"), "vi");
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
    ck_assert_str_eq(header_of(r, "Content-Language"), "vi");
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
    ck_assert_str_eq(header_of(r, "Content-Language"), "en");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE starts_with(code, $1)", p), 0);
}
END_TEST

/* ---- imports a clerk can fix in one pass --------------------------------------------------- */

static resp *import_csv(const char *token, const char *csv, size_t len)
{
    req_opts o = {.token = token, .content_type = "text/csv", .body = csv, .body_len = len};
    return http_do("POST", "/api/v1/staff/import", &o);
}

/* The counts of an import's 200. */
static void assert_counts(const resp *r, long long received, long long created, long long updated, long long unchanged)
{
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert_int_eq(jint(r, "received"), received);
    ck_assert_int_eq(jint(r, "created"), created);
    ck_assert_int_eq(jint(r, "updated"), updated);
    ck_assert_int_eq(jint(r, "unchanged"), unchanged);
}

/* A misspelt column comes back with every row's problems at once, not alone first; the column is
 * ignored meanwhile. A JSON load's unknown key likewise. */
START_TEST(an_unknown_column_is_reported_with_every_row_error)
{
    const char *p = fmt("VU%s-", uniq());
    char csv[1024];
    snprintf(csv, sizeof csv,
             "code,full_name,unit_code,job_group,employment,joined_on,ghi_chu\n"
             "%s1,Nguyễn Thị Hoa,TYT-ANLAC,nurse,contract,2024-02-30,x\n"
             "%s2,Trần Văn Bình,KHONG-CO,nurse,contract,2020-01-01,y\n",
             p, p);
    resp *r = import_csv(T_SD_MANAGER, csv, 0);
    ASSERT_STATUS(r, 422);
    ck_assert_str_eq(jstr(r, "detail"), "Nothing was written: 3 problems were found; see errors.");
    ck_assert_uint_eq(nerrors(r), 3);
    ck_assert_str_eq(err_field(r, 0), "ghi_chu");
    ck_assert_str_eq(err_message(r, 0), "is not a column of this load");
    ck_assert_int_eq(count_errors(r, "joined_on", "\"2024-02-30\" is not a date written YYYY-MM-DD"), 1);
    ck_assert_int_eq(count_errors(r, "unit_code", "unit KHONG-CO is unknown or not one of your units"), 1);
    resp_free(r);

    const char *json = fmt("[{\"code\": \"%s1\", \"full_name\": \"Hoa\", \"unit_code\": \"TYT-ANLAC\", \"job_group\":"
                           " \"nurse\", \"employment\": \"contract\", \"joined_on\": \"2024-02-30\", \"ghi_chu\": 1},"
                           " {\"code\": \"%s2\", \"full_name\": \"\", \"unit_code\": \"TYT-ANLAC\", \"job_group\":"
                           " \"nurse\", \"employment\": \"contract\", \"joined_on\": \"2020-01-01\"}]",
                           p, p);
    r = http_send_json("POST", "/api/v1/staff/import", T_SD_MANAGER, json);
    ASSERT_STATUS(r, 422);
    ck_assert_uint_eq(nerrors(r), 3);
    ck_assert_int_eq(count_errors(r, "ghi_chu", "is not a field of this load"), 1);
    ck_assert_int_eq(count_errors(r, "joined_on", NULL), 1);
    ck_assert_int_eq(count_errors(r, "full_name", "is required"), 1);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff WHERE starts_with(code, $1)", p), 0);
}
END_TEST

/* What Excel writes: rows of empty cells below the data, and under Vietnamese regional settings
 * ';' between cells. */
START_TEST(excel_empty_rows_are_skipped_and_semicolons_are_read)
{
    const char *p = fmt("VE%s-", uniq());
    char csv[1024];
    snprintf(csv, sizeof csv,
             "\xEF\xBB\xBF"
             "code;full_name;unit_code;job_group;employment;joined_on\r\n"
             "%s1;\"Nguyễn; Thị Hoa\";TYT-ANLAC;nurse;contract;2024-02-01\r\n"
             "%s2;Trần Văn Bình;TYT-ANLAC;doctor;civil_servant;2020-01-01\r\n"
             ";;;;;\r\n;;;;;\r\n",
             p, p);
    resp *r = import_csv(T_SD_MANAGER, csv, 0);
    assert_counts(r, 2, 2, 0, 0);
    resp_free(r);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM staff WHERE code = $1 || '1' AND full_name = $2", p, "Nguyễn; Thị Hoa"),
                     1);

    snprintf(csv, sizeof csv,
             "code,full_name,unit_code,job_group,employment,joined_on\n"
             "%s3,Lê Thị Cúc,TYT-ANLAC,nurse,contract,2024-02-01\n"
             ",,,,,\n,,,,,\n\"\",,,,,\n",
             p);
    r = import_csv(T_SD_MANAGER, csv, 0);
    assert_counts(r, 1, 1, 0, 0);
    resp_free(r);
}
END_TEST

/* An ANSI (Windows-1258) file: a clear 422 that says how to save it, in either language. */
START_TEST(an_ansi_file_is_told_to_be_saved_as_csv_utf8)
{
    static const char ANSI[] = "code,full_name,unit_code,job_group,employment,joined_on\n"
                               "VA-1,Nguy\xea\x6e Th\xd2 Hoa,TYT-ANLAC,nurse,contract,2024-02-01\n";
    resp *r = import_csv(T_SD_MANAGER, ANSI, sizeof ANSI - 1);
    ASSERT_STATUS(r, 422);
    ck_assert_str_eq(jstr(r, "detail"),
                     "The file is not UTF-8 text (record 2, column 2: is not valid UTF-8): it was probably saved as ANSI or "
                     "Windows-1258. In Excel choose File > Save As > \"CSV UTF-8 (Comma delimited) (*.csv)\" and send that "
                     "file.");
    resp_free(r);
    req_opts o = {.token = T_SD_MANAGER, .content_type = "text/csv", .body = ANSI, .body_len = sizeof ANSI - 1,
                  .headers = {"Accept-Language: vi", NULL}};
    r = http_do("POST", "/api/v1/staff/import", &o);
    ASSERT_STATUS(r, 422);
    ck_assert_ptr_nonnull(strstr(jstr(r, "detail"), "Tệp không phải là văn bản UTF-8"));
    ck_assert_ptr_nonnull(strstr(jstr(r, "detail"), "\"CSV UTF-8 (Comma delimited) (*.csv)\""));
    resp_free(r);
}
END_TEST

/* A unit of the test's own under TYT-ANLAC; its code is written into unit. */
static long long new_unit(const char *tag, char *unit, size_t len)
{
    return make_test_unit(tag, "Tổ kiểm thử nhập liệu", "other", "TYT-ANLAC", unit, len);
}

/* Export -> edit in a spreadsheet -> import: the export's read-only columns (id, unit_id,
 * created_at, updated_at) are ignored, the leading ' the export adds against formula injection is
 * taken off, codes with leading zeros stay as they are, and a name written decomposed (NFD) is
 * the stored name, unchanged. */
START_TEST(an_exported_csv_loads_back_unchanged)
{
    char unit[40], csv[1024];
    long long uid = new_unit("VX", unit, sizeof unit);
    const char *p = fmt("00%s", uniq());
    snprintf(csv, sizeof csv, "code,full_name,unit_code,job_group,employment,joined_on,vneid_source\n"
             "%s1,Nguyễn Thị Hoà,%s,nurse,contract,2024-02-01,+84 912 345 678\n"
             "%s2,Trần Văn Bình,%s,doctor,civil_servant,2020-01-01,=Công an xã\n",
             p, unit, p, unit);
    resp *r = import_csv(T_SD_MANAGER, csv, 0);
    assert_counts(r, 2, 2, 0, 0);
    resp_free(r);

    r = http_get(fmt("/api/v1/staff?unit_id=%lld&format=csv&sort=code", uid), T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert_ptr_nonnull(strstr(r->body, "'+84 912 345 678"));
    ck_assert_ptr_nonnull(strstr(r->body, "'=Công an xã"));
    ck_assert(strncmp(r->body, "id,code,full_name,unit_id,", 26) == 0);
    resp *again = import_csv(T_SD_MANAGER, r->body, r->len);
    assert_counts(again, 2, 0, 0, 2);
    resp_free(again);
    resp_free(r);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM staff WHERE code = $1 || '1' AND vneid_source = $2", p,
                               "+84 912 345 678"),
                     1);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM staff WHERE code = $1 || '2' AND vneid_source = $2", p,
                               "=Công an xã"),
                     1);

    /* "Hoà" typed with a combining grave accent (NFD: a + U+0300) is the same name. */
    snprintf(csv, sizeof csv,
             "code,full_name,unit_code,job_group,employment,joined_on,vneid_source\n"
             "%s1,Nguyê\xcc\x83n Thi\xcc\xa3 Hoa\xcc\x80,%s,nurse,contract,2024-02-01,+84 912 345 678\n",
             p, unit);
    r = import_csv(T_SD_MANAGER, csv, 0);
    assert_counts(r, 1, 0, 0, 1);
    resp_free(r);
}
END_TEST

/* Reference codes by their labels: "Bác sĩ" (any case, either Unicode form) or "Doctor" for
 * doctor; a value that is neither is answered with the valid codes and their labels. */
START_TEST(imports_take_reference_labels_and_a_bad_code_lists_the_valid_ones)
{
    char unit[40], csv[1024];
    long long uid = new_unit("VL", unit, sizeof unit);
    const char *p = fmt("VL%s-", uniq());
    snprintf(csv, sizeof csv,
             "%s"
             "%s1,Nguyễn Thị Hoa,%s,Bác sĩ,Công chức,2024-02-01\n"
             "%s2,Trần Văn Bình,%s,BÁC SĨ,Người lao động (hợp đồng),2020-01-01\n"
             "%s3,Lê Thị Cúc,%s,Điê\xcc\x80u dươ\xcc\x83ng,Contract worker,2020-01-01\n"
             "%s4,Phạm Văn Dũng,%s,nurse,viên chức,2020-01-01\n",
             STAFF_HEADER, p, unit, p, unit, p, unit, p, unit);
    resp *r = import_csv(T_SD_MANAGER, csv, 0);
    assert_counts(r, 4, 4, 0, 0);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM staff s WHERE s.unit_id = $1::bigint AND (s.code, s.job_group,"
                              " s.employment) IN ((s.code, 'doctor', 'civil_servant'), (s.code, 'doctor', 'contract'),"
                              " (s.code, 'nurse', 'contract'), (s.code, 'nurse', 'public_employee'))",
                              idstr(uid)),
                     4);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM staff WHERE code = $1 || '3' AND job_group = $2", p, "nurse"), 1);

    snprintf(csv, sizeof csv,
             "code,full_name,unit_code,job_group,employment,joined_on\n"
             "%s5,Hoàng Thị Én,%s,Y tá,contract,2020-01-01\n",
             p, unit);
    r = send_lang("POST", "/api/v1/staff/import", T_SD_MANAGER, "text/csv", csv, "vi");
    ASSERT_STATUS(r, 422);
    ck_assert_uint_eq(nerrors(r), 1);
    ck_assert_str_eq(err_field(r, 0), "job_group");
    const char *m = err_message(r, 0);
    ck_assert_msg(strncmp(m, "\"Y tá\" không phải là mã nhóm chức danh đang dùng (xem /api/v1/job-groups); các mã hợp lệ: ",
                          strlen("\"Y tá\" không phải là mã nhóm chức danh đang dùng (xem /api/v1/job-groups); các mã hợp lệ: ")) == 0,
                  "%s", m);
    ck_assert_ptr_nonnull(strstr(m, "doctor (Bác sĩ), "));
    ck_assert_ptr_nonnull(strstr(m, "nurse (Điều dưỡng)"));
    resp_free(r);

    /* A single write says the same, in English by default. */
    r = http_send_json("POST", "/api/v1/staff", T_SD_MANAGER,
                       fmt("{\"code\": \"%s6\", \"full_name\": \"Hoa\", \"unit_code\": \"%s\", \"job_group\": \"y_ta\","
                           " \"employment\": \"contract\", \"joined_on\": \"2020-01-01\"}",
                           p, unit));
    ASSERT_STATUS(r, 422);
    ck_assert_uint_eq(nerrors(r), 1);
    m = err_message(r, 0);
    ck_assert_msg(strncmp(m, "\"y_ta\" is not an active job group code (see /api/v1/job-groups); valid codes: ",
                          strlen("\"y_ta\" is not an active job group code (see /api/v1/job-groups); valid codes: ")) == 0,
                  "%s", m);
    ck_assert_ptr_nonnull(strstr(m, "doctor (Doctor), "));
    resp_free(r);
}
END_TEST

/* A load of csv that creates every row. */
static void load_created(const char *csv, long long rows)
{
    resp *r = import_csv(T_SD_MANAGER, csv, 0);
    assert_counts(r, rows, rows, 0, 0);
    resp_free(r);
}

/* ---- .xlsx downloads ------------------------------------------------------------------------ */

/* Opens an .xlsx answer as a spreadsheet program would (python3: zipfile, every part's XML
 * parsed, the relationships followed from _rels/.rels to the sheet) and writes its cells into
 * out, one row a line, cells separated by '|', each "s:" (text), "n:" (number) or "b:" (boolean)
 * and its value. Returns 0, or -1 with python's complaint in out. */
static int read_xlsx(const resp *r, char *out, size_t len)
{
    char path[] = "/tmp/bdhvs-xlsx-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, r->body, r->len), (ssize_t)r->len);
    close(fd);
    static const char PY[] =
        "import sys, zipfile, xml.etree.ElementTree as ET\n"
        "z = zipfile.ZipFile(sys.argv[1])\n"
        "assert z.testzip() is None\n"
        "for n in z.namelist(): ET.fromstring(z.read(n))\n"
        "R = '{http://schemas.openxmlformats.org/package/2006/relationships}Relationship'\n"
        "ct = ET.fromstring(z.read('[Content_Types].xml'))\n"
        "wb = [x.get('Target') for x in ET.fromstring(z.read('_rels/.rels')).iter(R)][0]\n"
        "ws = [x.get('Target') for x in ET.fromstring(z.read('xl/_rels/workbook.xml.rels')).iter(R)][0]\n"
        "assert wb == 'xl/workbook.xml' and any(o.get('PartName') == '/xl/' + ws for o in ct)\n"
        "M = '{http://schemas.openxmlformats.org/spreadsheetml/2006/main}'\n"
        "for row in ET.fromstring(z.read('xl/' + ws)).iter(M + 'row'):\n"
        "    cells = []\n"
        "    for c in row.iter(M + 'c'):\n"
        "        t = c.get('t')\n"
        "        if t == 'inlineStr': cells.append('s:' + ''.join(c.find(M + 'is').itertext()))\n"
        "        elif t == 'b': cells.append('b:' + c.find(M + 'v').text)\n"
        "        else: cells.append('n:' + c.find(M + 'v').text)\n"
        "    print('|'.join(cells))\n";
    char *full = malloc(strlen(PY) + 256);
    snprintf(full, strlen(PY) + 256, "python3 - %s 2>&1 <<'PYEOF'\n%sPYEOF\n", path, PY);
    FILE *p = popen(full, "r");
    free(full);
    ck_assert_ptr_nonnull(p);
    size_t n = fread(out, 1, len - 1, p);
    out[n] = '\0';
    int rc = pclose(p);
    unlink(path);
    return rc == 0 ? 0 : -1;
}

/* A list as .xlsx (?format=xlsx or by Accept): a workbook that opens, text cells as text (codes
 * with leading zeros stay "00..."), counts as numbers, named like the CSV with .xlsx. */
START_TEST(lists_and_the_form_download_as_xlsx)
{
    char unit[40], csv[1024];
    long long uid = new_unit("VW", unit, sizeof unit);
    const char *p = fmt("00%s", uniq());
    snprintf(csv, sizeof csv,
             "%s"
             "%s1,Nguyễn Thị Hoà & <Lan>,%s,nurse,contract,2024-02-01\n"
             "%s2,Trần Văn Bình,%s,doctor,civil_servant,2020-01-01\n",
             STAFF_HEADER, p, unit, p, unit);
    load_created(csv, 2);

    resp *r = http_get(fmt("/api/v1/staff?unit_id=%lld&sort=code&format=xlsx", uid), T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(header_of(r, "Content-Type"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    ck_assert_ptr_nonnull(strstr(header_of(r, "Content-Disposition"), fmt("filename=\"staff-%s-", unit)));
    ck_assert_ptr_nonnull(strstr(header_of(r, "Content-Disposition"), ".xlsx\""));
    ck_assert_mem_eq(r->body, "PK\x03\x04", 4);
    char cells[8192];
    ck_assert_msg(read_xlsx(r, cells, sizeof cells) == 0, "%s", cells);
    ck_assert_msg(strncmp(cells, "s:id|s:code|s:full_name|s:unit_id|s:unit_code|s:job_group|s:employment|"
                                 "s:party_member|s:joined_on|s:left_on",
                          90) == 0,
                  "%s", cells);
    ck_assert_ptr_nonnull(strstr(cells, fmt("|s:%s1|s:Nguyễn Thị Hoà & <Lan>|n:%lld|s:%s|s:nurse|s:contract|b:0|"
                                            "s:2024-02-01|",
                                            p, uid, unit)));
    ck_assert_ptr_nonnull(strstr(cells, fmt("|s:%s2|s:Trần Văn Bình|", p)));
    resp_free(r);

    /* The same by Accept; a reporter never sees party_member there either. */
    req_opts o = {.token = T_SD_REPORTER,
                  .headers = {"Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", NULL}};
    r = http_do("GET", fmt("/api/v1/staff?unit_id=%lld&sort=code", uid), &o);
    ASSERT_STATUS(r, 200);
    ck_assert_str_eq(header_of(r, "Content-Type"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    ck_assert_msg(read_xlsx(r, cells, sizeof cells) == 0, "%s", cells);
    ck_assert_ptr_null(strstr(cells, "party_member"));
    ck_assert_ptr_nonnull(strstr(cells, fmt("|s:%s1|", p)));
    resp_free(r);

    /* The consolidated form of a unit and period. */
    r = http_get(fmt("/api/v1/exports/report-form?unit_id=%lld&period=2026-06&format=xlsx", unit_id("TTYT-SD")),
                 T_SD_MANAGER);
    ASSERT_STATUS(r, 200);
    ck_assert_ptr_nonnull(strstr(header_of(r, "Content-Disposition"), ".xlsx\""));
    ck_assert_msg(read_xlsx(r, cells, sizeof cells) == 0, "%s", cells);
    ck_assert_msg(strncmp(cells, "s:", 2) == 0 && strchr(cells, '\n') != NULL, "%s", cells);
    resp_free(r);

    r = http_get(fmt("/api/v1/staff?unit_id=%lld&format=pdf", uid), T_SD_MANAGER);
    ASSERT_STATUS(r, 400);
    ck_assert_int_eq(count_errors(r, "format", "must be json, csv or xlsx"), 1);
    resp_free(r);
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
    tcase_add_test(t, an_unknown_column_is_reported_with_every_row_error);
    tcase_add_test(t, excel_empty_rows_are_skipped_and_semicolons_are_read);
    tcase_add_test(t, an_ansi_file_is_told_to_be_saved_as_csv_utf8);
    tcase_add_test(t, an_exported_csv_loads_back_unchanged);
    tcase_add_test(t, imports_take_reference_labels_and_a_bad_code_lists_the_valid_ones);
    tcase_add_test(t, lists_and_the_form_download_as_xlsx);
    suite_add_tcase(s, t);
    return s;
}
