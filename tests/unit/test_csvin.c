#include "tests.h"
#include "bdhvs/csvin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Parses a string literal (its length taken with sizeof, so embedded NULs count) or fails. */
#define PARSE_OK(lit, doc) parse_ok((lit), sizeof(lit) - 1, (doc))

static void parse_ok(const char *in, size_t len, csvin_doc *d)
{
    char err[256];
    int rc = csvin_parse(in, len, d, err, sizeof err);
    ck_assert_msg(rc == 0, "refused: %s", err);
}

/* Asserts that record rec holds exactly the n cells given. */
static void expect_record(const csvin_doc *d, size_t rec, int n, const char *const *cells)
{
    ck_assert_uint_lt(rec, d->nrecords);
    ck_assert_int_eq(d->rec_ncells[rec], n);
    for (int i = 0; i < n; i++) {
        const char *c = csvin_cell(d, rec, i);
        ck_assert_ptr_nonnull(c);
        ck_assert_str_eq(c, cells[i]);
    }
    ck_assert_ptr_null(csvin_cell(d, rec, n));
}

#define EXPECT(d, rec, ...)                                                                        \
    do {                                                                                           \
        static const char *const cells_[] = {__VA_ARGS__};                                         \
        expect_record((d), (rec), (int)(sizeof cells_ / sizeof cells_[0]), cells_);                \
    } while (0)

START_TEST(csvin_reads_lf_lines_into_exact_cells)
{
    csvin_doc d;
    PARSE_OK("ma_nv,ho_ten,ngay_sinh\nNV001,An,1990-01-02\nNV002,Binh,1985-12-31\n", &d);
    ck_assert_uint_eq(d.nrecords, 3);
    ck_assert_uint_eq(d.ncells, 9);
    EXPECT(&d, 0, "ma_nv", "ho_ten", "ngay_sinh");
    EXPECT(&d, 1, "NV001", "An", "1990-01-02");
    EXPECT(&d, 2, "NV002", "Binh", "1985-12-31");
    ck_assert_ptr_null(csvin_cell(&d, 3, 0));
    csvin_doc_free(&d);
}
END_TEST

START_TEST(csvin_reads_crlf_and_cr_line_ends)
{
    csvin_doc d;
    PARSE_OK("ma_nv,ho_ten\r\nNV001,An\r\nNV002,Binh\r\n", &d);
    ck_assert_uint_eq(d.nrecords, 3);
    EXPECT(&d, 0, "ma_nv", "ho_ten");
    EXPECT(&d, 1, "NV001", "An");
    EXPECT(&d, 2, "NV002", "Binh");
    csvin_doc_free(&d);

    PARSE_OK("ma_nv,ho_ten\rNV001,An\r", &d);
    ck_assert_uint_eq(d.nrecords, 2);
    EXPECT(&d, 0, "ma_nv", "ho_ten");
    EXPECT(&d, 1, "NV001", "An");
    csvin_doc_free(&d);
}
END_TEST

START_TEST(csvin_strips_a_utf8_byte_order_mark)
{
    csvin_doc d;
    PARSE_OK("\xEF\xBB\xBFma_nv,ho_ten\r\nNV001,An\r\n", &d);
    ck_assert_uint_eq(d.nrecords, 2);
    EXPECT(&d, 0, "ma_nv", "ho_ten");
    EXPECT(&d, 1, "NV001", "An");
    csvin_doc_free(&d);
}
END_TEST

START_TEST(csvin_unquotes_commas_doubled_quotes_and_newlines)
{
    csvin_doc d;
    PARSE_OK("ma_nv,ho_ten,ghi_chu,dia_chi\n"
             "NV001,\"Nguyễn Văn\nAn\",\"Nói \"\"xin chào\"\"\",\"Số 1, Tràng Tiền, Hà Nội\"\n"
             "NV002,\"Lê\r\nThị Hoa\",\"\",x\n",
             &d);
    ck_assert_uint_eq(d.nrecords, 3);
    EXPECT(&d, 0, "ma_nv", "ho_ten", "ghi_chu", "dia_chi");
    EXPECT(&d, 1, "NV001", "Nguyễn Văn\nAn", "Nói \"xin chào\"", "Số 1, Tràng Tiền, Hà Nội");
    EXPECT(&d, 2, "NV002", "Lê\r\nThị Hoa", "", "x");
    csvin_doc_free(&d);
}
END_TEST

START_TEST(csvin_keeps_vietnamese_diacritics_byte_for_byte)
{
    csvin_doc d;
    PARSE_OK("ho_ten,chuc_danh,tinh\nĐặng Thị Hồng Nhung,Bác sĩ Chuyên khoa II,Thừa Thiên Huế\n",
             &d);
    ck_assert_uint_eq(d.nrecords, 2);
    EXPECT(&d, 1, "Đặng Thị Hồng Nhung", "Bác sĩ Chuyên khoa II", "Thừa Thiên Huế");
    ck_assert_uint_eq(strlen(csvin_cell(&d, 1, 0)), strlen("Đặng Thị Hồng Nhung"));
    csvin_doc_free(&d);
}
END_TEST

START_TEST(csvin_reads_the_same_with_or_without_a_final_newline)
{
    csvin_doc d;
    PARSE_OK("a,b\nc,d", &d);
    ck_assert_uint_eq(d.nrecords, 2);
    EXPECT(&d, 0, "a", "b");
    EXPECT(&d, 1, "c", "d");
    csvin_doc_free(&d);

    PARSE_OK("a,b\nc,d\n", &d);
    ck_assert_uint_eq(d.nrecords, 2);
    EXPECT(&d, 1, "c", "d");
    csvin_doc_free(&d);

    /* An empty last cell survives the missing newline. */
    PARSE_OK("a,b\nc,", &d);
    ck_assert_uint_eq(d.nrecords, 2);
    EXPECT(&d, 1, "c", "");
    csvin_doc_free(&d);
}
END_TEST

START_TEST(csvin_skips_empty_lines)
{
    csvin_doc d;
    PARSE_OK("\n\r\na,b\n\n\r\n   \n\nc,d\n\n\n", &d);
    ck_assert_uint_eq(d.nrecords, 2);
    EXPECT(&d, 0, "a", "b");
    EXPECT(&d, 1, "c", "d");
    csvin_doc_free(&d);

    /* A line of delimiters (or of empty quoted cells) is a record of empty cells only: the rows
     * Excel leaves below the data (",,,,,,"). It is skipped like an empty line (issue 13). */
    PARSE_OK("a,b\n,\nc,d\n,,,,,,\n\"\",\n,,,,,,\r\n,x\n", &d);
    ck_assert_uint_eq(d.nrecords, 3);
    EXPECT(&d, 1, "c", "d");
    EXPECT(&d, 2, "", "x"); /* one empty cell among others is kept */
    csvin_doc_free(&d);
}
END_TEST

/* Excel under Vietnamese regional settings separates with ';' (the decimal mark is ','). */
START_TEST(csvin_reads_semicolon_separated_files)
{
    ck_assert_int_eq(csvin_delimiter("a;b;c\n1,5;2;3\n", 15), ';');
    ck_assert_int_eq(csvin_delimiter("a,b,c\n1;2,3,4\n", 15), ',');
    ck_assert_int_eq(csvin_delimiter("\"x,y\";b\n", 8), ';'); /* commas inside quotes do not count */
    ck_assert_int_eq(csvin_delimiter("\n\nabc\n", 7), ',');  /* one column: the comma, as before */
    ck_assert_int_eq(csvin_delimiter("", 0), ',');
    csvin_doc d;
    PARSE_OK("code;full_name;note\nNV-01;\"Nguyễn; Thị Hoa\";1,5\n;;\n", &d);
    ck_assert_uint_eq(d.nrecords, 2);
    EXPECT(&d, 0, "code", "full_name", "note");
    EXPECT(&d, 1, "NV-01", "Nguyễn; Thị Hoa", "1,5");
    csvin_doc_free(&d);
}
END_TEST

static int go_on(const char *const *cells, int ncells, size_t recno, void *user)
{
    (void)cells, (void)ncells, (void)recno, (void)user;
    return 0;
}

/* An ANSI (Windows-1258) file is told apart from malformed CSV: the caller says "save as UTF-8". */
START_TEST(csvin_tells_a_file_that_is_not_utf8)
{
    char err[128];
    const char ansi[] = "code,full_name\nNV-01,Nguy\xean Th\xd2 Hoa\n"; /* 0xEA 0xD2: Windows-1258 */
    ck_assert_int_eq(csvin_each(ansi, sizeof ansi - 1, go_on, NULL, err, sizeof err), CSVIN_NOT_UTF8);
    ck_assert_str_eq(err, "record 2, column 2: is not valid UTF-8");
    csvin_doc d;
    ck_assert_int_eq(csvin_parse(ansi, sizeof ansi - 1, &d, err, sizeof err), -1);
}
END_TEST

START_TEST(csvin_cell_is_null_past_a_short_record)
{
    csvin_doc d;
    PARSE_OK("a,b,c\nx\ny,z,w,v\n", &d);
    ck_assert_uint_eq(d.nrecords, 3);
    ck_assert_int_eq(d.rec_ncells[1], 1);
    ck_assert_str_eq(csvin_cell(&d, 1, 0), "x");
    ck_assert_ptr_null(csvin_cell(&d, 1, 1));
    ck_assert_ptr_null(csvin_cell(&d, 1, 2));
    ck_assert_ptr_null(csvin_cell(&d, 1, -1));
    EXPECT(&d, 2, "y", "z", "w", "v");
    ck_assert_ptr_null(csvin_cell(&d, 3, 0));
    csvin_doc_free(&d);
}
END_TEST

START_TEST(csvin_trims_spaces_around_unquoted_cells_but_not_inside_quotes)
{
    csvin_doc d;
    PARSE_OK(" ma_nv ,\tho ten\t\n NV001 , \"  Trần  An \" ,z\n", &d);
    ck_assert_uint_eq(d.nrecords, 2);
    EXPECT(&d, 0, "ma_nv", "ho ten");
    EXPECT(&d, 1, "NV001", "  Trần  An ", "z");
    csvin_doc_free(&d);
}
END_TEST

START_TEST(csvin_refuses_invalid_utf8_naming_the_record)
{
    csvin_doc d;
    char err[256];
    /* The empty line is not counted: the bad cell is in the third record. */
    static const char in[] = "ma_nv,ho_ten\nNV001,An\n\nNV002,B\xff\nNV003,C\n";
    ck_assert_int_eq(csvin_parse(in, sizeof in - 1, &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "record 3") != NULL, "message: %s", err);
    ck_assert_msg(strstr(err, "UTF-8") != NULL, "message: %s", err);
    ck_assert_ptr_null(d.arena);
    ck_assert_uint_eq(d.nrecords, 0);
    csvin_doc_free(&d);

    /* Latin-1 from an old export, and a truncated sequence at the very end. */
    static const char latin1[] = "ho_ten\nL\xea Th\xe1\n";
    ck_assert_int_eq(csvin_parse(latin1, sizeof latin1 - 1, &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "record 2") != NULL, "message: %s", err);
    static const char cut[] = "ho_ten\nNguy\xe1\xbb";
    ck_assert_int_eq(csvin_parse(cut, sizeof cut - 1, &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "record 2") != NULL, "message: %s", err);
}
END_TEST

START_TEST(csvin_refuses_a_nul_byte)
{
    csvin_doc d;
    char err[256];
    static const char in[] = "a,b\nc,d\0e\n";
    ck_assert_int_eq(csvin_parse(in, sizeof in - 1, &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "record 2") != NULL, "message: %s", err);
    ck_assert_msg(strstr(err, "NUL") != NULL, "message: %s", err);
}
END_TEST

START_TEST(csvin_refuses_malformed_quoting_naming_the_record)
{
    csvin_doc d;
    char err[256];
    static const char after_quote[] = "h1,h2\nx,y\na,\"b\"c\nz,w\n";
    ck_assert_int_eq(csvin_parse(after_quote, sizeof after_quote - 1, &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "record 3") != NULL, "message: %s", err);
    ck_assert_ptr_null(d.cell_off);

    static const char inside_unquoted[] = "h1,h2\na,b\"c\n";
    ck_assert_int_eq(csvin_parse(inside_unquoted, sizeof inside_unquoted - 1, &d, err, sizeof err),
                     -1);
    ck_assert_msg(strstr(err, "record 2") != NULL, "message: %s", err);

    static const char unclosed[] = "h1,h2\na,\"b\nc,d\n";
    ck_assert_int_eq(csvin_parse(unclosed, sizeof unclosed - 1, &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "record 2") != NULL, "message: %s", err);
    ck_assert_msg(strstr(err, "not closed") != NULL, "message: %s", err);

    /* A NULL err is allowed. */
    ck_assert_int_eq(csvin_parse(after_quote, sizeof after_quote - 1, &d, NULL, 0), -1);
}
END_TEST

START_TEST(csvin_reads_empty_input_as_no_records)
{
    csvin_doc d;
    ck_assert_int_eq(csvin_parse(NULL, 0, &d, NULL, 0), 0);
    ck_assert_uint_eq(d.nrecords, 0);
    ck_assert_uint_eq(d.ncells, 0);
    ck_assert_ptr_null(csvin_cell(&d, 0, 0));
    csvin_doc_free(&d);

    PARSE_OK("\xEF\xBB\xBF", &d);
    ck_assert_uint_eq(d.nrecords, 0);
    csvin_doc_free(&d);

    PARSE_OK("\n\r\n\r\n", &d);
    ck_assert_uint_eq(d.nrecords, 0);
    csvin_doc_free(&d);

    csvin_doc_free(NULL);
}
END_TEST

START_TEST(csvin_parses_100000_records_of_10_cells)
{
    enum { NREC = 100000, NCOL = 10 };
    size_t cap = (size_t)(NREC + 1) * 160, len = 0;
    char *in = malloc(cap);
    ck_assert_ptr_nonnull(in);
    len += (size_t)snprintf(in, cap,
                            "\xEF\xBB\xBFma_nv,ho_ten,gioi_tinh,ngay_sinh,don_vi,chuc_danh,"
                            "trinh_do,dien_thoai,email,ghi_chu\r\n");
    for (int r = 1; r <= NREC; r++)
        len += (size_t)snprintf(in + len, cap - len,
                                "NV%06d,\"Nguyễn Văn, %d\",Nam,1990-01-02,Khoa %d,Bác sĩ,"
                                "Thạc sĩ,0912%06d,nv%d@benhvien.vn,ghi chú %d/%d\r\n",
                                r, r, r % 40, r, r, r, NCOL);
    ck_assert_uint_lt(len, cap);

    /* Speed is measured by bench/, not asserted here. */
    csvin_doc d;
    parse_ok(in, len, &d);

    ck_assert_uint_eq(d.nrecords, NREC + 1);
    ck_assert_uint_eq(d.ncells, (size_t)(NREC + 1) * NCOL);
    ck_assert_str_eq(csvin_cell(&d, 0, 0), "ma_nv");
    ck_assert_str_eq(csvin_cell(&d, 1, 1), "Nguyễn Văn, 1");
    ck_assert_str_eq(csvin_cell(&d, NREC, 0), "NV100000");
    ck_assert_str_eq(csvin_cell(&d, NREC, NCOL - 1), "ghi chú 100000/10");
    ck_assert_ptr_null(csvin_cell(&d, NREC, NCOL));
    ck_assert_ptr_null(csvin_cell(&d, NREC + 1, 0));
    csvin_doc_free(&d);
    free(in);
}
END_TEST

Suite *csvin_suite(void)
{
    Suite *s = suite_create("csvin");
    TCase *t = tcase_create("core");
    tcase_add_test(t, csvin_reads_lf_lines_into_exact_cells);
    tcase_add_test(t, csvin_reads_crlf_and_cr_line_ends);
    tcase_add_test(t, csvin_strips_a_utf8_byte_order_mark);
    tcase_add_test(t, csvin_unquotes_commas_doubled_quotes_and_newlines);
    tcase_add_test(t, csvin_keeps_vietnamese_diacritics_byte_for_byte);
    tcase_add_test(t, csvin_reads_the_same_with_or_without_a_final_newline);
    tcase_add_test(t, csvin_skips_empty_lines);
    tcase_add_test(t, csvin_reads_semicolon_separated_files);
    tcase_add_test(t, csvin_tells_a_file_that_is_not_utf8);
    tcase_add_test(t, csvin_cell_is_null_past_a_short_record);
    tcase_add_test(t, csvin_trims_spaces_around_unquoted_cells_but_not_inside_quotes);
    tcase_add_test(t, csvin_refuses_invalid_utf8_naming_the_record);
    tcase_add_test(t, csvin_refuses_a_nul_byte);
    tcase_add_test(t, csvin_refuses_malformed_quoting_naming_the_record);
    tcase_add_test(t, csvin_reads_empty_input_as_no_records);
    tcase_add_test(t, csvin_parses_100000_records_of_10_cells);
    suite_add_tcase(s, t);
    return s;
}
