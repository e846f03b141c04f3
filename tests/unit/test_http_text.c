/* The HTTP layer's pure text rules: CSV cells, media types, If-Match lists, CORS origins. */
#include "tests.h"
#include "bdhvs/cors.h"
#include "bdhvs/http_text.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* The CSV of one cell, in a static buffer. */
static const char *cell(const char *s, int is_text)
{
    static char out[256];
    http_buf b = {0};
    http_csv_cell(&b, s, is_text);
    ck_assert(!b.failed);
    ck_assert_uint_lt(b.len, sizeof out);
    memcpy(out, b.p ? b.p : "", b.len);
    out[b.len] = '\0';
    ck_assert_uint_eq(strlen(out), b.len);
    free(b.p);
    return out;
}

/* One cell in, its CSV out: is_text 1 for a value, 0 for a header cell. */
static const struct {
    const char *in;
    int is_text;
    const char *want;
} CELLS[] = {
    /* copied as they are */
    {"abc", 1, "abc"},
    {"", 1, ""},
    {"Nguyễn Văn An", 1, "Nguyễn Văn An"},
    {"a=b", 1, "a=b"},         /* only a leading = is a formula */
    {" =1+2", 1, " =1+2"},     /* a leading space is not neutralised */
    {"2026-06-30", 1, "2026-06-30"},
    {"it's", 1, "it's"},
    /* quoted: comma, double quote (doubled), CR, LF */
    {"a,b", 1, "\"a,b\""},
    {"say \"hi\"", 1, "\"say \"\"hi\"\"\""},
    {"\"", 1, "\"\"\"\""},
    {"a\nb", 1, "\"a\nb\""},
    {"a\r\nb", 1, "\"a\r\nb\""},
    {"a\rb", 0, "\"a\rb\""},
    {"x,\"y\"", 0, "\"x,\"\"y\"\"\""},
    /* a value starting with = + - @ tab or CR is quoted behind a ' */
    {"=1+2", 1, "\"'=1+2\""},
    {"+84912345678", 1, "\"'+84912345678\""},
    {"-5", 1, "\"'-5\""},
    {"@SUM(A1)", 1, "\"'@SUM(A1)\""},
    {"\tx", 1, "\"'\tx\""},
    {"\rx", 1, "\"'\rx\""},
    {"=HYPERLINK(\"http://x\")", 1, "\"'=HYPERLINK(\"\"http://x\"\")\""},
    {"=", 1, "\"'=\""},
    /* header cells are the API's own column names: not neutralised */
    {"=1+2", 0, "=1+2"},
    {"-5", 0, "-5"},
    /* bytes are copied, valid UTF-8 or not */
    {"a\xff\xfe" "b", 1, "a\xff\xfe" "b"},
    {"\xe1\xbb", 1, "\xe1\xbb"},
    {"\xc0,", 1, "\"\xc0,\""},
};

START_TEST(csv_cell_quotes_and_neutralises_exactly)
{
    for (size_t i = 0; i < sizeof CELLS / sizeof CELLS[0]; i++)
        ck_assert_msg(strcmp(cell(CELLS[i].in, CELLS[i].is_text), CELLS[i].want) == 0, "cell %zu: got [%s], want [%s]", i,
                      cell(CELLS[i].in, CELLS[i].is_text), CELLS[i].want);
}
END_TEST

START_TEST(csv_cells_append_to_one_buffer)
{
    http_buf b = {0};
    http_csv_cell(&b, "code", 0);
    http_buf_add(&b, ",", 1);
    http_csv_cell(&b, "=x", 1);
    http_buf_add(&b, "\r\n", 2);
    ck_assert_str_eq(b.p, "code,\"'=x\"\r\n");
    ck_assert_uint_eq(b.len, 12);
    /* Past the first 4 KiB the buffer grows and keeps what it had. */
    char big[5000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    http_csv_cell(&b, big, 1);
    ck_assert_uint_eq(b.len, 12 + 4999);
    ck_assert_uint_ge(b.cap, b.len + 1);
    ck_assert_int_eq(strncmp(b.p, "code,\"'=x\"\r\naaa", 15), 0);
    ck_assert_uint_eq(strlen(b.p), b.len);
    ck_assert(!b.failed);
    free(b.p);
}
END_TEST

/* Content-Type, the media type asked for, whether it is that type. */
static const struct {
    const char *ct, *want;
    int is;
} MEDIA[] = {
    {"application/json", "application/json", 1},
    {"Application/JSON", "application/json", 1},
    {"APPLICATION/JSON", "application/json", 1},
    {"application/json  ", "application/json", 1},
    {"text/csv", "text/csv", 1},
    {"application/jsonx", "application/json", 0},
    {"application/json-patch+json", "application/json", 0},
    {"application/json x", "application/json", 0},
    {"application/jso", "application/json", 0},
    {"text/json", "application/json", 0},
    {" application/json", "application/json", 0},
    {"", "application/json", 0},
    {"text/csv", "application/json", 0},
    /* parameters; a charset must be UTF-8 */
    {"application/json; charset=utf-8", "application/json", 1},
    {"application/json;charset=UTF-8", "application/json", 1},
    {"application/json ; charset=Utf-8", "application/json", 1},
    {"application/json; charset=\"utf-8\"", "application/json", 1},
    {"Application/Json; CHARSET=UTF-8", "application/json", 1},
    {"text/csv; header=present; charset=utf-8", "text/csv", 1},
    {"application/json; profile=x", "application/json", 1},
    {"application/json;", "application/json", 1},
    {"application/json; charset=iso-8859-1", "application/json", 0},
    {"application/json; charset=utf-16", "application/json", 0},
    {"application/json; charset=\"latin1\"", "application/json", 0},
    {"text/csv; charset=windows-1258", "text/csv", 0},
    {"application/json; charset=", "application/json", 0},
    {"application/json; charset=utf8", "application/json", 0},
    {"application/json; charset=utf-8x", "application/json", 0},
    {"application/json; charset=utf-8; q=1", "application/json", 1},
};

START_TEST(media_types_by_name_any_case_with_utf8_only)
{
    for (size_t i = 0; i < sizeof MEDIA / sizeof MEDIA[0]; i++)
        ck_assert_msg(http_media_is(MEDIA[i].ct, MEDIA[i].want) == MEDIA[i].is, "[%s] as %s: want %d", MEDIA[i].ct,
                      MEDIA[i].want, MEDIA[i].is);
}
END_TEST

#define TAG "\"0123456789abcdef\""

START_TEST(if_match_exact_tag_or_star)
{
    ck_assert_int_eq(http_if_match_allows(TAG, TAG), 1);
    ck_assert_int_eq(http_if_match_allows("*", TAG), 1);
    ck_assert_int_eq(http_if_match_allows("  " TAG, TAG), 1);
    ck_assert_int_eq(http_if_match_allows("\"0000000000000000\"", TAG), 0);
    ck_assert_int_eq(http_if_match_allows("\"0123456789ABCDEF\"", TAG), 0); /* tags are case-sensitive */
    ck_assert_int_eq(http_if_match_allows("\"0123456789abcde\"", TAG), 0);
    ck_assert_int_eq(http_if_match_allows("0123456789abcdef", TAG), 0);    /* unquoted */
    ck_assert_int_eq(http_if_match_allows("", TAG), 0);
    ck_assert_int_eq(http_if_match_allows(" , ", TAG), 0);
    /* Only whole items match. */
    ck_assert_int_eq(http_if_match_allows(TAG "junk", TAG), 0);
    ck_assert_int_eq(http_if_match_allows(TAG "\"", TAG), 0);
    ck_assert_int_eq(http_if_match_allows("*junk", TAG), 0);
    ck_assert_int_eq(http_if_match_allows(TAG "  ", TAG), 1);
    ck_assert_int_eq(http_if_match_allows(TAG " , \"aaaaaaaaaaaaaaaa\"", TAG), 1);
}
END_TEST

START_TEST(if_match_lists_and_weak_tags)
{
    ck_assert_int_eq(http_if_match_allows("\"aaaaaaaaaaaaaaaa\", " TAG, TAG), 1);
    ck_assert_int_eq(http_if_match_allows("\"aaaaaaaaaaaaaaaa\"," TAG, TAG), 1);
    ck_assert_int_eq(http_if_match_allows(TAG ", \"aaaaaaaaaaaaaaaa\"", TAG), 1);
    ck_assert_int_eq(http_if_match_allows("\"aaaaaaaaaaaaaaaa\", \"bbbbbbbbbbbbbbbb\"", TAG), 0);
    ck_assert_int_eq(http_if_match_allows("\"aaaaaaaaaaaaaaaa\", *", TAG), 1);
    /* A weak tag never matches strongly, even the current one. */
    ck_assert_int_eq(http_if_match_allows("W/" TAG, TAG), 0);
    ck_assert_int_eq(http_if_match_allows("W/" TAG ", " TAG, TAG), 1);
    ck_assert_int_eq(http_if_match_allows("W/\"aaaaaaaaaaaaaaaa\", W/" TAG, TAG), 0);
}
END_TEST

/* BDHVS_CORS_ORIGINS, the Origin header, whether it is allowed. */
static const struct {
    const char *origins, *origin;
    int allowed;
} ORIGINS[] = {
    {"http://localhost:5173", "http://localhost:5173", 1},
    {"http://localhost:5173", "http://localhost:517", 0},
    {"http://localhost:5173", "http://localhost:51730", 0},
    {"http://localhost:5173", "https://localhost:5173", 0},
    {"http://localhost:5173", "HTTP://LOCALHOST:5173", 0}, /* compared byte for byte */
    {"http://localhost:5173", "null", 0},
    {"http://localhost:5173", "", 0},
    {"http://localhost:5173", NULL, 0},
    {"", "http://localhost:5173", 0},
    {"", NULL, 0},
    {" https://a.example , https://b.example:8443,https://c.example ", "https://a.example", 1},
    {" https://a.example , https://b.example:8443,https://c.example ", "https://b.example:8443", 1},
    {" https://a.example , https://b.example:8443,https://c.example ", "https://c.example", 1},
    {" https://a.example , https://b.example:8443,https://c.example ", "https://b.example", 0},
    {" https://a.example , https://b.example:8443,https://c.example ", "https://d.example", 0},
    {" https://a.example , https://b.example:8443,https://c.example ", " https://a.example", 0},
    {"https://a.example,,", "https://a.example", 1},
    {"*", "https://anything.example", 1},
    {"https://a.example, *", "http://evil.example", 1},
    {"*", NULL, 0},
    {"**", "https://a.example", 0},
    {"https://*.example", "https://a.example", 0}, /* no patterns */
};

START_TEST(cors_origins_exact_or_star)
{
    for (size_t i = 0; i < sizeof ORIGINS / sizeof ORIGINS[0]; i++)
        ck_assert_msg(cors_origin_allowed(ORIGINS[i].origins, ORIGINS[i].origin) == ORIGINS[i].allowed,
                      "[%s] in [%s]: want %d", ORIGINS[i].origin ? ORIGINS[i].origin : "(none)", ORIGINS[i].origins,
                      ORIGINS[i].allowed);
}
END_TEST

/* "*" never counts for credentials; the server's own origin is its Host with http or https. */
START_TEST(cors_credentials_need_a_named_origin)
{
    ck_assert_int_eq(cors_origin_listed("http://localhost:5173", "http://localhost:5173"), 1);
    ck_assert_int_eq(cors_origin_listed("*", "http://localhost:5173"), 0);
    ck_assert_int_eq(cors_origin_listed("*, http://a.example", "http://a.example"), 1);
    ck_assert_int_eq(cors_origin_listed("*, http://a.example", "http://b.example"), 0);
    ck_assert_int_eq(cors_origin_listed("", "http://a.example"), 0);
    ck_assert_int_eq(cors_same_origin("http://127.0.0.1:8080", "127.0.0.1:8080"), 1);
    ck_assert_int_eq(cors_same_origin("https://api.example.gov.vn", "api.example.gov.vn"), 1);
    ck_assert_int_eq(cors_same_origin("http://127.0.0.1:8080", "127.0.0.1:8081"), 0);
    ck_assert_int_eq(cors_same_origin("http://127.0.0.1:8080.evil.example", "127.0.0.1:8080"), 0);
    ck_assert_int_eq(cors_same_origin("ftp://127.0.0.1:8080", "127.0.0.1:8080"), 0);
    ck_assert_int_eq(cors_same_origin("null", "null"), 0);
    ck_assert_int_eq(cors_same_origin("http://a.example", NULL), 0);
    ck_assert_int_eq(cors_same_origin("http://a.example", ""), 0);
    ck_assert_int_eq(cors_same_origin(NULL, "a.example"), 0);
}
END_TEST

/* Accept-Encoding: gzip or not, q-values honoured (RFC 9110 12.5.3). */
static const struct {
    const char *ae;
    int gzip;
} ENCODINGS[] = {
    {"gzip", 1},
    {"GZip", 1},
    {"x-gzip", 1},
    {" gzip , deflate ", 1},
    {"deflate, gzip;q=0.5", 1},
    {"gzip;q=1.0", 1},
    {"gzip;q=1.000", 1},
    {"gzip; q=0.5", 1},
    {"gzip;Q=0.5", 1},
    {"gzip;q=0.001", 1},
    {"*", 1},
    {"br;q=1, *;q=0.1", 1},
    {"gzip;q=0.5, identity;q=0.5", 1}, /* a tie goes to the smaller answer */
    {"identity;q=0, gzip", 1},
    {"gzip;level=9", 1}, /* another parameter is ignored */
    {NULL, 0},
    {"", 0},
    {"identity", 0},
    {"br", 0},
    {"deflate", 0},
    {"gzip;q=0", 0},
    {"gzip;q=0.0", 0},
    {"gzip;q=0.000", 0},
    {"gzip;q=0, *", 0}, /* named beats * */
    {"gzip;q=0.5, identity;q=1", 0},
    {"gzip;q=0.5, *", 0}, /* * stands for identity at q=1 */
    {"*;q=0", 0},
    {"gzip;q=1.5", 0}, /* not a q-value: the element is dropped */
    {"gzip;q=1.001", 0},
    {"gzip;q=0.0001", 0},
    {"gzip;q=", 0},
    {"gzip;q", 0},
    {"gzip;q=abc", 0},
    {"gzipper", 0},
    {"gzip junk", 0},
    {",,,", 0},
};

START_TEST(accept_encoding_gzip_by_q_value)
{
    for (size_t i = 0; i < sizeof ENCODINGS / sizeof ENCODINGS[0]; i++)
        ck_assert_msg(http_accepts_gzip(ENCODINGS[i].ae) == ENCODINGS[i].gzip, "[%s]: want %d",
                      ENCODINGS[i].ae ? ENCODINGS[i].ae : "(none)", ENCODINGS[i].gzip);
}
END_TEST

/* If-None-Match: weak comparison of whole items, or *. */
START_TEST(if_none_match_weak_comparison)
{
    const char *tag = "\"0123456789abcdef\"", *gz = "\"0123456789abcdef-gzip\"";
    ck_assert_int_eq(http_if_none_match_matches(tag, tag), 1);
    ck_assert_int_eq(http_if_none_match_matches("W/\"0123456789abcdef\"", tag), 1);
    ck_assert_int_eq(http_if_none_match_matches(tag, "W/\"0123456789abcdef\""), 1);
    ck_assert_int_eq(http_if_none_match_matches("*", tag), 1);
    ck_assert_int_eq(http_if_none_match_matches(" \"x\" ,\t\"0123456789abcdef\" ", tag), 1);
    ck_assert_int_eq(http_if_none_match_matches("\"a,b\", \"0123456789abcdef\"", tag), 1); /* a comma inside a tag */
    ck_assert_int_eq(http_if_none_match_matches(gz, gz), 1);
    ck_assert_int_eq(http_if_none_match_matches(tag, gz), 0);
    ck_assert_int_eq(http_if_none_match_matches(gz, tag), 0);
    ck_assert_int_eq(http_if_none_match_matches(NULL, tag), 0);
    ck_assert_int_eq(http_if_none_match_matches("", tag), 0);
    ck_assert_int_eq(http_if_none_match_matches("\"0123456789ABCDEF\"", tag), 0); /* case-sensitive */
    ck_assert_int_eq(http_if_none_match_matches("0123456789abcdef", tag), 0);     /* unquoted */
    ck_assert_int_eq(http_if_none_match_matches("\"0123456789abcdef\"junk", tag), 0);
    ck_assert_int_eq(http_if_none_match_matches("*junk", tag), 0);
    ck_assert_int_eq(http_if_none_match_matches("w/\"0123456789abcdef\"", tag), 0); /* W/ is upper case */
    ck_assert_int_eq(http_if_none_match_matches("\"0123456789abcdef", tag), 0);
    ck_assert_int_eq(http_if_none_match_matches("junk, \"0123456789abcdef\"", tag), 1);
}
END_TEST

/* Content-Disposition: the ASCII name quoted, and the UTF-8 name in filename* when it differs. */
START_TEST(content_disposition_ascii_and_utf8)
{
    char buf[512];
    ck_assert_int_eq(http_content_disposition(buf, sizeof buf, "staff-TTYT-SD-2026-11-28.csv"), 0);
    ck_assert_str_eq(buf, "attachment; filename=\"staff-TTYT-SD-2026-11-28.csv\"");
    ck_assert_int_eq(http_content_disposition(buf, sizeof buf, "nhân viên-Hoà.csv"), 0);
    ck_assert_str_eq(buf, "attachment; filename=\"nh_n_vi_n-Ho_.csv\"; "
                          "filename*=UTF-8''nh%C3%A2n%20vi%C3%AAn-Ho%C3%A0.csv");
    ck_assert_int_eq(http_content_disposition(buf, sizeof buf, "a\"b\\c/d;e.csv"), 0);
    ck_assert_str_eq(buf, "attachment; filename=\"a_b_c_d_e.csv\"; filename*=UTF-8''a%22b_c_d%3Be.csv");
    ck_assert_int_eq(http_content_disposition(buf, sizeof buf, "x~y!.csv"), 0);
    ck_assert_str_eq(buf, "attachment; filename=\"x_y_.csv\"; filename*=UTF-8''x~y!.csv");
    ck_assert_int_eq(http_content_disposition(buf, 20, "staff-TTYT-SD-2026-11-28.csv"), -1);
}
END_TEST

/* gzip: what zlib's inflate gives back is the input, and the stream is a gzip member. */
START_TEST(gzip_round_trip)
{
    size_t n = 100000;
    char *in = malloc(n);
    for (size_t i = 0; i < n; i++) in[i] = "Nguyễn Văn An,TTYT-SD\r\n"[i % 24];
    char *z = NULL;
    size_t zl = 0;
    ck_assert_int_eq(http_gzip(in, n, 6, &z, &zl), 0);
    ck_assert_uint_lt(zl, n / 20);
    ck_assert_uint_eq((unsigned char)z[0], 0x1f);
    ck_assert_uint_eq((unsigned char)z[1], 0x8b);
    char *back = malloc(n + 1);
    z_stream s;
    memset(&s, 0, sizeof s);
    ck_assert_int_eq(inflateInit2(&s, 15 + 16), Z_OK);
    s.next_in = (Bytef *)z;
    s.avail_in = (uInt)zl;
    s.next_out = (Bytef *)back;
    s.avail_out = (uInt)(n + 1);
    ck_assert_int_eq(inflate(&s, Z_FINISH), Z_STREAM_END);
    ck_assert_uint_eq(s.total_out, n);
    inflateEnd(&s);
    ck_assert_mem_eq(back, in, n);
    free(back);
    free(z);
    ck_assert_int_eq(http_gzip("", 0, 6, &z, &zl), 0); /* an empty body is a valid (tiny) member */
    ck_assert_uint_gt(zl, 0);
    free(z);
    free(in);
}
END_TEST

Suite *http_text_suite(void)
{
    Suite *s = suite_create("http_text");
    TCase *t = tcase_create("http_text");
    tcase_add_test(t, csv_cell_quotes_and_neutralises_exactly);
    tcase_add_test(t, csv_cells_append_to_one_buffer);
    tcase_add_test(t, media_types_by_name_any_case_with_utf8_only);
    tcase_add_test(t, if_match_exact_tag_or_star);
    tcase_add_test(t, if_match_lists_and_weak_tags);
    tcase_add_test(t, cors_origins_exact_or_star);
    tcase_add_test(t, cors_credentials_need_a_named_origin);
    tcase_add_test(t, accept_encoding_gzip_by_q_value);
    tcase_add_test(t, if_none_match_weak_comparison);
    tcase_add_test(t, content_disposition_ascii_and_utf8);
    tcase_add_test(t, gzip_round_trip);
    suite_add_tcase(s, t);
    return s;
}
