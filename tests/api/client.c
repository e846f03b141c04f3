#include "client.h"
#include "bdhvs/jsonx.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>

char *T_ADMIN, *T_SYT_MANAGER, *T_SD_MANAGER, *T_SD_REPORTER, *T_SYT_VIEWER, *T_INTEGRATION;

static size_t on_body(char *ptr, size_t size, size_t n, void *ud)
{
    resp *r = ud;
    size_t add = size * n;
    char *nb = realloc(r->body, r->len + add + 1);
    if (nb == NULL) return 0;
    r->body = nb;
    memcpy(r->body + r->len, ptr, add);
    r->len += add;
    r->body[r->len] = '\0';
    return add;
}

static size_t on_header(char *ptr, size_t size, size_t n, void *ud)
{
    resp *r = ud;
    size_t add = size * n, have = strlen(r->headers);
    if (strncmp(ptr, "HTTP/", 5) == 0) r->headers[0] = '\0', have = 0; /* a new response block */
    if (have + add + 1 < sizeof r->headers) {
        memcpy(r->headers + have, ptr, add);
        r->headers[have + add] = '\0';
    }
    return add;
}

const char *resp_header(const resp *r, const char *name, char *buf, size_t len)
{
    size_t nl = strlen(name);
    const char *p = r->headers;
    while (p && *p) {
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ') v++;
            size_t k = strcspn(v, "\r\n");
            if (k >= len) k = len - 1;
            memcpy(buf, v, k);
            buf[k] = '\0';
            return buf;
        }
        p = strchr(p, '\n');
        if (p) p++;
    }
    return NULL;
}

/* Appends one JSON line per answer to BDHVS_TEST_RECORD. */
static void record(const char *method, const char *path, const resp *r)
{
    const char *file = getenv("BDHVS_TEST_RECORD");
    if (file == NULL || *file == '\0') return;
    char p[2048];
    snprintf(p, sizeof p, "%s", path);
    p[strcspn(p, "?")] = '\0';
    char ct[256] = "", buf[512];
    resp_header(r, "Content-Type", ct, sizeof ct);
    json_t *h = json_object();
    static const char *const names[] = {"X-Request-Id", "ETag", "Location", "WWW-Authenticate", "Retry-After",
                                        "Allow", "Content-Disposition", "Set-Cookie", NULL};
    for (int i = 0; names[i]; i++)
        if (resp_header(r, names[i], buf, sizeof buf)) json_object_set_new(h, names[i], json_string(buf));
    /* A binary answer (an .xlsx download) is recorded with an empty body: its media type and
     * headers are still checked; tests read the workbook itself. */
    int text = r->body != NULL && utf8_valid(r->body, r->len) && memchr(r->body, '\0', r->len) == NULL;
    json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:s%, s:o}", "method", method, "path", p, "status",
                          (int)r->status, "content_type", ct, "body", text ? r->body : "", text ? r->len : 0,
                          "headers", h);
    if (o == NULL) return;
    char *line = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (line == NULL) return;
    size_t n = strlen(line);
    line = realloc(line, n + 2);
    line[n] = '\n';
    int fd = open(file, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd >= 0) {
        ssize_t w = write(fd, line, n + 1);
        (void)w;
        close(fd);
    }
    free(line);
}

/* Replaces a gzip body by its decoded bytes; 0, or -1 when it is not clean gzip (body kept). */
static int gunzip_body(resp *r)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK) return -1; /* gzip only, not zlib or raw deflate */
    size_t cap = r->len * 4 + 1024, n = 0;
    char *out = malloc(cap + 1);
    z.next_in = (Bytef *)r->body;
    z.avail_in = (uInt)r->len;
    int rc = Z_OK;
    while (out != NULL && rc == Z_OK) {
        if (n == cap) {
            char *bigger = realloc(out, cap * 2 + 1);
            if (bigger == NULL) break;
            out = bigger;
            cap *= 2;
        }
        z.next_out = (Bytef *)out + n;
        z.avail_out = (uInt)(cap - n);
        rc = inflate(&z, Z_NO_FLUSH);
        n = cap - z.avail_out;
    }
    int clean = rc == Z_STREAM_END && z.avail_in == 0;
    inflateEnd(&z);
    if (!clean || out == NULL) {
        free(out);
        return -1;
    }
    out[n] = '\0';
    free(r->body);
    r->body = out;
    r->len = n;
    return 0;
}

resp *http_do(const char *method, const char *path, const req_opts *o)
{
    static const req_opts none = {0};
    if (o == NULL) o = &none;
    const char *base = getenv("BDHVS_TEST_URL");
    char url[4096];
    snprintf(url, sizeof url, "%s%s", base ? base : "http://127.0.0.1:18080", path);
    resp *r = calloc(1, sizeof *r);
    CURL *c = curl_easy_init();
    struct curl_slist *hl = NULL;
    char line[8192];
    if (o->token) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", o->token);
        hl = curl_slist_append(hl, line);
    }
    if (o->body) {
        snprintf(line, sizeof line, "Content-Type: %s", o->content_type ? o->content_type : "application/json");
        hl = curl_slist_append(hl, line);
    }
    hl = curl_slist_append(hl, "Expect:");
    for (int i = 0; i < 8 && o->headers[i]; i++) hl = curl_slist_append(hl, o->headers[i]);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (o->source_ip) curl_easy_setopt(c, CURLOPT_INTERFACE, o->source_ip);
    if (o->accept_encoding) {
        snprintf(line, sizeof line, "Accept-Encoding: %s", o->accept_encoding);
        hl = curl_slist_append(hl, line);
        curl_easy_setopt(c, CURLOPT_HTTP_CONTENT_DECODING, 0L);
    }
    if (o->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, o->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(o->body_len ? o->body_len : strlen(o->body)));
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        fprintf(stderr, "request %s %s failed: %s\n", method, url, curl_easy_strerror(rc));
        r->status = -1;
    } else {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
        r->wire_len = r->len;
        char ce[64];
        if (r->body && resp_header(r, "Content-Encoding", ce, sizeof ce) && strcmp(ce, "gzip") == 0)
            r->gzipped = gunzip_body(r) == 0;
        char ct[256];
        if (r->body && resp_header(r, "Content-Type", ct, sizeof ct) && strstr(ct, "json"))
            r->json = json_loadb(r->body, r->len, 0, NULL);
        record(method, path, r);
    }
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    return r;
}

resp *http_get(const char *path, const char *token)
{
    req_opts o = {.token = token};
    return http_do("GET", path, &o);
}

resp *http_send_json(const char *method, const char *path, const char *token, const char *json)
{
    req_opts o = {.token = token, .body = json};
    return http_do(method, path, &o);
}

void resp_free(resp *r)
{
    if (r == NULL) return;
    json_decref(r->json);
    free(r->body);
    free(r);
}

const char *jstr(const resp *r, const char *key)
{
    return json_string_value(json_object_get(r->json, key));
}

long long jint(const resp *r, const char *key)
{
    return json_integer_value(json_object_get(r->json, key));
}

const char *demo_password(void)
{
    const char *p = getenv("BDHVS_DEMO_PASSWORD");
    return p && *p ? p : "demo-2026-BacNinh";
}

long login_pair(const char *username, const char *password, char **access, char **refresh)
{
    json_t *b = json_pack("{s:s, s:s}", "username", username, "password", password);
    char *body = json_dumps(b, 0);
    json_decref(b);
    resp *r = http_send_json("POST", "/api/v1/auth/login", NULL, body);
    free(body);
    long st = r->status;
    if (access) *access = st == 200 ? strdup(jstr(r, "access_token")) : NULL;
    if (refresh) *refresh = st == 200 ? strdup(jstr(r, "refresh_token")) : NULL;
    resp_free(r);
    return st;
}

char *login(const char *username, const char *password)
{
    char *tok = NULL;
    long st = login_pair(username, password, &tok, NULL);
    if (st != 200) {
        /* Also used before the tests start, where ck_assert cannot report. */
        fprintf(stderr, "login %s failed with %ld\n", username, st);
        exit(3);
    }
    return tok;
}

long long unit_id(const char *code)
{
    char path[256];
    snprintf(path, sizeof path, "/api/v1/units?q=%s&limit=1000", code);
    resp *r = http_get(path, T_ADMIN);
    long long id = 0;
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(r->json, "items"), i, u)
        if (strcmp(json_string_value(json_object_get(u, "code")), code) == 0) id = json_integer_value(json_object_get(u, "id"));
    resp_free(r);
    ck_assert_msg(id > 0, "no unit %s", code);
    return id;
}

static PGconn *g_db;

PGconn *test_db(void)
{
    if (g_db == NULL || PQstatus(g_db) != CONNECTION_OK) {
        const char *ci = getenv("BDHVS_TEST_DB");
        g_db = PQconnectdb(ci ? ci : "host=127.0.0.1 port=54321 dbname=bdhvs_test user=bdhvs");
        ck_assert_msg(PQstatus(g_db) == CONNECTION_OK, "test database: %s", PQerrorMessage(g_db));
    }
    return g_db;
}

static PGconn *g_owner_db;

PGconn *test_owner_db(void)
{
    const char *ci = getenv("BDHVS_TEST_OWNER_DB");
    if (ci == NULL || *ci == '\0') return NULL;
    if (g_owner_db == NULL || PQstatus(g_owner_db) != CONNECTION_OK) {
        PQfinish(g_owner_db);
        g_owner_db = PQconnectdb(ci);
        ck_assert_msg(PQstatus(g_owner_db) == CONNECTION_OK, "owner database: %s", PQerrorMessage(g_owner_db));
    }
    return g_owner_db;
}

long long db_count(const char *sql, const char *param)
{
    const char *v[] = {param};
    PGresult *r = PQexecParams(test_db(), sql, param ? 1 : 0, NULL, v, NULL, NULL, 0);
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql, PQresultErrorMessage(r));
    long long n = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return n;
}

const char *uniq(void)
{
    static char buf[32];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    snprintf(buf, sizeof buf, "%lx%x", (unsigned long)tv.tv_sec % 100000, (unsigned)(tv.tv_usec ^ getpid()) & 0xfffff);
    return buf;
}

void server_today(char out[11])
{
    PGresult *r = PQexec(test_db(), "SELECT vn_today()::text");
    snprintf(out, 11, "%s", PQresultStatus(r) == PGRES_TUPLES_OK ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
}

void route_concrete_path(const char *pattern, char *out, size_t len)
{
    size_t n = 0;
    for (const char *p = pattern; *p && n + 2 < len;) {
        if (*p == ':') {
            out[n++] = '1';
            while (*p && *p != '/') p++;
        } else {
            out[n++] = *p++;
        }
    }
    out[n] = '\0';
}

const char *fmt(const char *f, ...)
{
    static char buf[16][2048];
    static unsigned k;
    char *b = buf[k++ % 16];
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(b, sizeof buf[0], f, ap);
    va_end(ap);
    ck_assert_msg(n >= 0 && (size_t)n < sizeof buf[0], "fmt: %d characters do not fit", n);
    return b;
}

const char *idstr(long long id)
{
    return fmt("%lld", id);
}

resp *send_obj(const char *method, const char *path, const char *token, json_t *o)
{
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    ck_assert_ptr_nonnull(text);
    resp *r = http_send_json(method, path, token, text);
    free(text);
    return r;
}

int is_etag(const char *s)
{
    if (s == NULL || strlen(s) != 18 || s[0] != '"' || s[17] != '"') return 0;
    for (int i = 1; i < 17; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

int is_timestamp(const char *s)
{
    if (s == NULL || strlen(s) != 20) return 0;
    for (int i = 0; i < 20; i++) {
        char ch = s[i];
        int want_digit = !(i == 4 || i == 7 || i == 10 || i == 13 || i == 16 || i == 19);
        if (want_digit && (ch < '0' || ch > '9')) return 0;
    }
    return s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == 'Z';
}

size_t nerrors(const resp *r)
{
    return json_array_size(json_object_get(r->json, "errors"));
}

static json_t *error_at(const resp *r, size_t i)
{
    return json_array_get(json_object_get(r->json, "errors"), i);
}

const char *err_field(const resp *r, size_t i)
{
    return json_string_value(json_object_get(error_at(r, i), "field"));
}

const char *err_message(const resp *r, size_t i)
{
    return json_string_value(json_object_get(error_at(r, i), "message"));
}

int count_errors(const resp *r, const char *field, const char *msg)
{
    int n = 0;
    for (size_t i = 0; i < nerrors(r); i++) {
        const char *f = err_field(r, i), *m = err_message(r, i);
        if (f && strcmp(f, field) == 0 && (msg == NULL || (m && message_is(m, msg)))) n++;
    }
    return n;
}

void assert_one_error(const resp *r, const char *field, const char *message)
{
    ASSERT_STATUS(r, 422);
    ck_assert_str_eq(jstr(r, "type"), "urn:bdhvs:problem:validation");
    ck_assert_msg(nerrors(r) == 1, "errors: %s", r->body);
    ck_assert_str_eq(err_field(r, 0), field);
    if (message) ck_assert_msg(message_is(err_message(r, 0), message), "want \"%s\" in %s", message, r->body);
}

long long created_id(resp *r)
{
    ASSERT_STATUS(r, 201);
    long long id = jint(r, "id");
    resp_free(r);
    return id;
}

long long make_test_unit(const char *prefix, const char *name, const char *type, const char *parent_code, char *code,
                         size_t len)
{
    ck_assert_int_lt(snprintf(code, len, "%s-%s", prefix, uniq()), (int)len);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "code", code, "name", name, "type", type, "parent_code", parent_code);
    return created_id(send_obj("POST", "/api/v1/units", T_SD_MANAGER, o));
}

void oblige_every_child(long long parent_id)
{
    json_t *cal = json_object();
    static const char *const types[] = {"month", "quarter", "half_year", "year"};
    static const int days[] = {15, 10, 5, 5};
    for (int i = 0; i < 4; i++) json_object_set_new(cal, types[i], json_pack("{s:i}", "due_day", days[i]));
    resp *r = send_obj("POST", "/api/v1/reporting-obligations", T_ADMIN,
                       json_pack("{s:I, s:s, s:s, s:o}", "parent_id", (json_int_t)parent_id, "target", "all_children",
                                 "valid_from", "2025-01-01", "calendar", cal));
    ck_assert_msg(r->status == 201, "obligation of %lld: %ld %s", parent_id, r->status, r->body);
    resp_free(r);
}

void assert_each_400(const char *token, const char *prefix, const char *const *paths)
{
    for (size_t i = 0; paths[i]; i++) {
        char path[2048]; /* not fmt: paths may be fmt's own buffers */
        ck_assert_int_lt(snprintf(path, sizeof path, "%s%s", prefix, paths[i]), (int)sizeof path);
        resp *r = http_get(path, token);
        ck_assert_msg(r->status == 400, "%s gave %ld", path, r->status);
        resp_free(r);
    }
}

void assert_get_same(const char *path, const char *token, const char *etag, const json_t *json)
{
    resp *r = http_get(path, token);
    ASSERT_STATUS(r, 200);
    char got[64];
    ck_assert_str_eq(resp_header(r, "ETag", got, sizeof got), etag);
    ck_assert_msg(json_equal(r->json, json), "%s answers %s", path, r->body);
    resp_free(r);
}

long long db_count2(const char *sql, const char *p1, const char *p2)
{
    const char *v[] = {p1, p2};
    PGresult *r = PQexecParams(test_db(), sql, 2, NULL, v, NULL, NULL, 0);
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql, PQresultErrorMessage(r));
    long long n = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return n;
}

int message_is(const char *got, const char *want)
{
    if (got == NULL) return 0;
    size_t n = strlen(want);
    if (strncmp(got, want, n) != 0) return 0;
    if (got[n] == '\0') return 1;
    /* the list of valid codes a message about a reference code ends with (issue 13) */
    return strstr(want, "; valid codes: ") == NULL && strncmp(got + n, "; valid codes: ", 15) == 0;
}

char *user_token_at(const char *prefix, const char *role, const char *unit_code)
{
    char name[64];
    snprintf(name, sizeof name, "%s.%s.%s", prefix, role, uniq());
    for (char *p = name; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "username", name, "password", "approver-office-1",
                          "full_name", "Lê Văn Phê Duyệt", "role", role, "unit_code", unit_code);
    resp *r = send_obj("POST", "/api/v1/users", T_ADMIN, o);
    ASSERT_STATUS(r, 201);
    resp_free(r);
    char *t = login(name, "approver-office-1");
    ck_assert_ptr_nonnull(t);
    return t;
}

long long unit_made(const char *code, const char *type, const char *parent_code)
{
    return unit_made_on(code, type, parent_code, "2025-01-01");
}

/* The value of a DHIS2 data element (category option combo default) of an org unit in a
 * dataValueSet answer; "(none)" when absent. */
const char *dhis2_default_value(const resp *r, const char *org_unit, const char *element)
{
    size_t i;
    json_t *d;
    json_array_foreach (json_object_get(r->json, "dataValues"), i, d)
        if (strcmp(json_string_value(json_object_get(d, "orgUnit")), org_unit) == 0 &&
            strcmp(json_string_value(json_object_get(d, "dataElement")), element) == 0)
            return json_string_value(json_object_get(d, "value"));
    return "(none)";
}

fig figure(const resp *r, long long u, int k)
{
    fig f = {-1, -1};
    json_t *row = rollup_row(r, u);
    if (row == NULL) return f;
    json_t *ind = json_array_get(json_object_get(row, "indicators"), (size_t)k);
    f.num = json_integer_value(json_object_get(ind, "numerator"));
    f.den = json_integer_value(json_object_get(ind, "denominator"));
    return f;
}

void expect(resp *r, long status)
{
    ck_assert_msg(r->status == status, "expected %ld, got %ld: %.500s", status, r->status, r->body ? r->body : "");
    resp_free(r);
}

void db_value(const char *sql, const char *param, char *out, size_t len)
{
    const char *v[] = {param};
    PGresult *r = PQexecParams(test_db(), sql, param ? 1 : 0, NULL, v, NULL, NULL, 0);
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, "%s: %s", sql, PQresultErrorMessage(r));
    snprintf(out, len, "%s", PQgetisnull(r, 0, 0) ? "" : PQgetvalue(r, 0, 0));
    PQclear(r);
}

void last_month(char *out, size_t len)
{
    db_value("SELECT to_char(vn_today() - interval '1 month', 'YYYY-MM')", NULL, out, len);
}

long long unit_made_on(const char *code, const char *type, const char *parent_code, const char *opened_on)
{
    json_t *o = json_pack("{s:s, s:s, s:s}", "code", code, "name", fmt("Đơn vị %s", code), "type", type);
    if (parent_code) json_object_set_new(o, "parent_code", json_string(parent_code));
    if (opened_on) json_object_set_new(o, "opened_on", json_string(opened_on));
    return created_id(send_obj("POST", "/api/v1/units", T_ADMIN, o));
}

long long staff_made(const char *code, const char *full_name, const char *unit_code, const char *job_group,
                     const char *joined_on, const char *vneid_on)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "code", code, "full_name", full_name, "unit_code",
                          unit_code, "job_group", job_group, "employment", "public_employee", "joined_on", joined_on);
    if (vneid_on) {
        json_object_set_new(o, "vneid_confirmed_on", json_string(vneid_on));
        json_object_set_new(o, "vneid_source", json_string("VNeID"));
    }
    return created_id(send_obj("POST", "/api/v1/staff", T_ADMIN, o));
}

long long course_made(const char *code, const char *title, int counts)
{
    json_t *o = json_pack("{s:s, s:s, s:b}", "code", code, "title", title, "counts_for_campaign", counts);
    return created_id(send_obj("POST", "/api/v1/courses", T_ADMIN, o));
}

long long completion_made(const char *token, const char *staff_code, const char *course_code, const char *on)
{
    json_t *o = json_pack("{s:s, s:s, s:s}", "staff_code", staff_code, "course_code", course_code, "completed_on", on);
    return created_id(send_obj("POST", "/api/v1/completions", token, o));
}

void oblige(long long parent, const char *extra)
{
    resp *r =
        http_send_json("POST", "/api/v1/reporting-obligations", T_ADMIN,
                       fmt("{\"parent_id\":%lld,\"valid_from\":\"2025-01-01\",%s}", parent,
                           extra ? extra : "\"target\":\"all_children\",\"calendar\":{\"month\":{\"due_day\":28}}"));
    ASSERT_STATUS(r, 201);
    resp_free(r);
}

resp *rollup_at(const char *token, long long unit, const char *period, int depth, const char *basis)
{
    resp *r = http_get(fmt("/api/v1/indicators/rollup?unit_id=%lld&period=%s&depth=%d%s%s", unit, period, depth,
                           basis ? "&basis=" : "", basis ? basis : ""),
                       token);
    ASSERT_STATUS(r, 200);
    return r;
}

long long kept_stamp(long long root, const char *period)
{
    return db_count2("SELECT coalesce((SELECT (extract(epoch FROM made_at) * 1000000)::bigint FROM rollup_results"
                     " WHERE root = $1::bigint AND period = $2 AND depth = 1), 0)",
                     idstr(root), period);
}

json_t *rollup_row(const resp *r, long long u)
{
    size_t i;
    json_t *row;
    json_array_foreach (json_object_get(r->json, "units"), i, row) {
        if (json_integer_value(json_object_get(row, "unit_id")) == u) return row;
    }
    return NULL;
}

json_t *rollup_cell(const resp *r, long long u, int k)
{
    json_t *row = rollup_row(r, u);
    if (row == NULL) ck_abort_msg("unit %lld is not in the rollup", u);
    return json_array_get(json_object_get(row, "indicators"), (size_t)k);
}

resp *post_csv(const char *path, const char *token, const char *csv)
{
    req_opts o = {.token = token, .content_type = "text/csv", .body = csv, .body_len = strlen(csv)};
    return http_do("POST", path, &o);
}

resp *http_delete(const char *path, const char *token)
{
    req_opts o = {.token = token};
    return http_do("DELETE", path, &o);
}

resp *post_refresh(const char *refresh_token)
{
    char body[256];
    snprintf(body, sizeof body, "{\"refresh_token\":\"%s\"}", refresh_token);
    return http_send_json("POST", "/api/v1/auth/refresh", NULL, body);
}

long rate_tenths(long n, long d)
{
    return (2000 * n + d) / (2 * d);
}

long json_tenths(const json_t *v)
{
    double x = json_number_value(v) * 10.0;
    return (long)(x < 0 ? x - 0.5 : x + 0.5);
}

long long user_id_of(const char *username)
{
    return db_count("SELECT coalesce((SELECT id FROM users WHERE username = $1), 0)", username);
}

int id_index(const long long *ids, int n, long long id)
{
    for (int i = 0; i < n; i++)
        if (ids[i] == id) return i;
    return -1;
}

const char *header_of(const resp *r, const char *name)
{
    static char buf[4][1024];
    static int k;
    char *b = buf[k++ % 4];
    return resp_header(r, name, b, sizeof buf[0]);
}

const char *report_path(long long unit, const char *period)
{
    return fmt("/api/v1/reports/%lld/%s", unit, period);
}

void report_submitted(long long unit, const char *period)
{
    resp *r =
        http_send_json("PUT", report_path(unit, period), T_SD_REPORTER, "{\"values\":{\"s1_documents_count\":1}}");
    ck_assert_msg(r->status == 201, "PUT %lld %s: %ld %s", unit, period, r->status, r->body);
    resp_free(r);
    req_opts o = {.token = T_SD_REPORTER};
    expect(http_do("POST", fmt("%s/submit", report_path(unit, period)), &o), 200);
}

void served_made(long long unit, const char *month, int count)
{
    expect(send_obj("POST", "/api/v1/patients-served", T_ADMIN,
                    json_pack("{s:I, s:s, s:i}", "unit_id", (json_int_t)unit, "month", month, "count", count)),
           201);
}

void support_made(long long unit, const char *month, int count)
{
    expect(send_obj("POST", "/api/v1/support-counts", T_ADMIN,
                    json_pack("{s:I, s:s, s:s, s:s, s:i}", "unit_id", (json_int_t)unit, "month", month, "service",
                              "vneid_card", "target_group", "general", "count", count)),
           201);
}

/* Kept rollups (issue 14 goal 2; tests/api/test_s10_own.c, test_s11_imp.c). */
void sql_exec(const char *sql)
{
    PGresult *r = PQexec(test_db(), sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(test_db()));
    PQclear(r);
}

/* The units of a rollup answer, as text (the kept JSON of the request). */
char *rollup_units_text(long long root, const char *period, int depth)
{
    resp *r = rollup_at(T_ADMIN, root, period, depth, NULL);
    char *s = json_dumps(json_object_get(r->json, "units"), JSON_SORT_KEYS | JSON_COMPACT);
    resp_free(r);
    return s;
}

/* Kept subtree sums of the period's sets that differ from the sum of their units' kept rows. */
long long own_sums_astray(const char *period)
{
    return db_count(
        "SELECT count(*) FROM rollup_sub_rows r JOIN rollup_own_rows u USING (set_id, unit_id)"
        " JOIN rollup_own_sets k ON k.id = r.set_id"
        " WHERE k.period = $1 AND ROW(r.staff, r.ct1, r.ct2_course, r.ct2_vneid, r.ct2, r.ct5, r.facilities,"
        "   r.facilities_all, r.supported, r.served, r.staff5, r.expected, r.received)::text IS DISTINCT FROM"
        "   (SELECT ROW(sum(o.staff), sum(o.ct1), sum(o.ct2_course), sum(o.ct2_vneid), sum(o.ct2), sum(o.ct5),"
        "   sum(o.facilities), sum(o.facilities_all), sum(o.supported), sum(o.served), sum(o.staff5),"
        "   count(*) FILTER (WHERE o.obliged AND o.open_in_period), count(*) FILTER (WHERE o.obliged AND o.received))::text"
        "   FROM rollup_own_rows o WHERE o.set_id = r.set_id AND o.path <@ u.path)",
        period);
}

/* kept and fresh are the same text; where they first differ is shown otherwise. */
void assert_same_text(const char *kept, const char *fresh, const char *what)
{
    size_t i = 0;
    while (kept[i] && kept[i] == fresh[i]) i++;
    size_t from = i > 120 ? i - 120 : 0;
    ck_assert_msg(kept[i] == fresh[i], "%s: differs at %zu\nkept:  ...%.240s\nfresh: ...%.240s", what, i, kept + from,
                  fresh + from);
}

/* The rollups of the roots for the periods, as brought up to date, equal the ones counted from
 * nothing; step names the write before. */
void assert_rollups_as_from_nothing(const long long *roots, const char *const *periods, const char *step)
{
    char *kept[2][2];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) kept[i][j] = rollup_units_text(roots[i], periods[j], 2);
    for (int j = 0; j < 2; j++)
        ck_assert_msg(own_sums_astray(periods[j]) == 0, "%s: kept subtree sums of %s astray", step, periods[j]);
    sql_exec("UPDATE stats_epoch SET v = nextval('stats_seq')");
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            char *fresh = rollup_units_text(roots[i], periods[j], 2);
            assert_same_text(kept[i][j], fresh, fmt("%s: %s under %lld", step, periods[j], roots[i]));
            free(fresh);
            free(kept[i][j]);
        }
}

void rollups_refreshed(long long root, const char *const *periods)
{
    for (int j = 0; j < 2; j++) free(rollup_units_text(root, periods[j], 2));
}

void assert_last_refresh(const char *period, const char *want, const char *step)
{
    char got[64];
    db_value("SELECT last_units || '/' || last_people FROM rollup_own_sets WHERE period = $1"
             " ORDER BY made_at DESC LIMIT 1",
             period, got, sizeof got);
    ck_assert_msg(strcmp(got, want) == 0, "%s: the refresh of %s counted %s (units whole/people), want %s", step, period,
                  got, want);
}

int test_api_port(void)
{
    const char *p = getenv("BDHVS_TEST_API_PORT");
    if (p != NULL) return atoi(p);
    const char *url = getenv("BDHVS_TEST_URL");
    const char *colon = url ? strrchr(url, ':') : NULL;
    return colon ? atoi(colon + 1) : 0;
}

int raw_connect(const char *src, int port, int nonblock)
{
    int fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0) return -1;
    if (src != NULL) {
        struct sockaddr_in a = {.sin_family = AF_INET};
        inet_pton(AF_INET, src, &a.sin_addr);
        if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
            close(fd);
            return -1;
        }
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int raw_answer(int fd, char *out, size_t cap, const char **body, int timeout_ms)
{
    size_t got = 0, need = 0;
    char *end = NULL;
    for (;;) {
        if (end != NULL && got >= need) break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (got + 1 >= cap || poll(&p, 1, timeout_ms) <= 0) return -1;
        ssize_t r = recv(fd, out + got, cap - 1 - got, 0);
        if (r == 0 || (r < 0 && errno == ECONNRESET)) return got == 0 ? 0 : -1;
        if (r < 0) return -1;
        got += (size_t)r;
        out[got] = '\0';
        if (end == NULL && (end = strstr(out, "\r\n\r\n")) != NULL) {
            const char *cl = strcasestr(out, "\r\nContent-Length:");
            need = (size_t)(end + 4 - out) + (cl != NULL && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
        }
    }
    if (body) *body = end + 4;
    return atoi(out + 9);
}
