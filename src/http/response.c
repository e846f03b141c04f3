/* Answers: problem+json, JSON, CSV, ETags; and the request's own resources. */
#include "bdhvs/http.h"
#include "bdhvs/http_text.h"
#include "bdhvs/log.h"
#include "bdhvs/problems.h"
#include "bdhvs/xlsx.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

void http_ctx_cleanup(http_ctx *c)
{
    free(c->qbuf);
    c->qbuf = NULL;
    json_decref(c->problem_again);
    c->problem_again = NULL;
}

const char *http_cookie(http_ctx *c, const char *name, char *buf, size_t len)
{
    const char *p = http_header(c, "Cookie");
    size_t nl = strlen(name);
    while (p != NULL && *p) {
        while (*p == ' ' || *p == ';') p++;
        const char *end = strchr(p, ';');
        if (end == NULL) end = p + strlen(p);
        if ((size_t)(end - p) > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            const char *v = p + nl + 1;
            size_t vl = (size_t)(end - v);
            while (vl > 0 && v[vl - 1] == ' ') vl--;
            if (vl >= len) return NULL;
            memcpy(buf, v, vl);
            buf[vl] = '\0';
            return buf;
        }
        p = end;
    }
    return NULL;
}

const char *http_method(http_ctx *c)
{
    return c->req->method;
}

const char *http_url_path(http_ctx *c)
{
    return c->req->path ? c->req->path : "";
}

const void *http_body(http_ctx *c, size_t *len)
{
    *len = c->req->body_len;
    return c->req->body ? c->req->body : "";
}

const void *http_answer_body(http_ctx *c, size_t *len)
{
    *len = c->resp->len;
    return c->resp->body ? c->resp->body : "";
}

void http_set_header(http_ctx *c, const char *name, const char *value)
{
    http_response_set_header(c->resp, name, value);
}

static const char *status_title(int status, const char **slug)
{
    switch (status) {
    case 400: *slug = "bad-request"; return "Bad request";
    case 401: *slug = "unauthorized"; return "Unauthorized";
    case 403: *slug = "forbidden"; return "Forbidden";
    case 404: *slug = "not-found"; return "Not found";
    case 405: *slug = "method-not-allowed"; return "Method not allowed";
    case 406: *slug = "not-acceptable"; return "Not acceptable";
    case 409: *slug = "conflict"; return "Conflict";
    case 410: *slug = "gone"; return "Gone";
    case 412: *slug = "precondition-failed"; return "Precondition failed";
    case 413: *slug = "payload-too-large"; return "Payload too large";
    case 415: *slug = "unsupported-media-type"; return "Unsupported media type";
    case 422: *slug = "validation"; return "Validation failed";
    case 429: *slug = "too-many-requests"; return "Too many requests";
    case 503: *slug = "unavailable"; return "Service unavailable";
    default: *slug = "internal"; return "Internal error";
    }
}

/* A problem document that needs no allocation and is valid whatever happened: the answer when
 * the full one cannot be built (never "{}"). The request id holds only [A-Za-z0-9._-]. */
static void minimal_problem(char *buf, size_t len, int status, const char *slug, const char *title,
                            const char *request_id)
{
    snprintf(buf, len,
             "{\"type\":\"urn:bdhvs:problem:%s\",\"title\":\"%s\",\"status\":%d,"
             "\"detail\":\"The request was refused; its full answer could not be built.\",\"request_id\":\"%s\"}",
             slug, title, status, request_id[0] ? request_id : "-");
}

static void respond_problem_as(http_ctx *c, int status, const char *kind, const char *kind_title, const char *detail,
                               json_t *errors);
static void respond_problem_full(http_ctx *c, int status, const char *kind, const char *kind_title, const char *detail,
                                 const char *code, const json_t *params, json_t *errors);

void respond_problem_errors(http_ctx *c, int status, const char *detail, json_t *errors)
{
    respond_problem_as(c, status, NULL, NULL, detail, errors);
}

void respond_problem_kind(http_ctx *c, int status, const char *kind, const char *kind_title, const char *detail)
{
    respond_problem_as(c, status, kind, kind_title, detail, NULL);
}

/* A problem of the status's own kind, or (kind, kind_title: a slug of [a-z0-9-] and its title)
 * of a kind of its own, such as period-locked. */
static void respond_problem_as(http_ctx *c, int status, const char *kind, const char *kind_title, const char *detail,
                               json_t *errors)
{
    respond_problem_full(c, status, kind, kind_title, detail, NULL, NULL, errors);
}

void respond_problem_msg(http_ctx *c, int status, const char *code, const json_t *params, json_t *errors)
{
    respond_problem_full(c, status, NULL, NULL, NULL, code, params, errors);
}

void respond_problem_kind_msg(http_ctx *c, int status, const char *kind, const char *kind_title, const char *code,
                              const json_t *params)
{
    respond_problem_full(c, status, kind, kind_title, NULL, code, params, NULL);
}

/* detail: a fixed English sentence (translated by problem_phrase), or NULL and code with params:
 * a catalogue entry rendered in the request's language (the log keeps the English). */
static void respond_problem_full(http_ctx *c, int status, const char *kind, const char *kind_title, const char *detail,
                                 const char *code, const json_t *params, json_t *errors)
{
    const char *slug;
    const char *title = status_title(status, &slug);
    if (kind != NULL) slug = kind, title = kind_title;
    char type[64], safe[1200];
    snprintf(type, sizeof type, "urn:bdhvs:problem:%s", slug);
    /* detail may quote client text: never let it make the document invalid. */
    if (code != NULL)
        problem_render(PROBLEM_EN, code, params, safe, sizeof safe);
    else
        utf8_copy(safe, 512, detail ? detail : title); /* a sentence: cut as it always was */
    snprintf(c->problem_type, sizeof c->problem_type, "%s", type);
    utf8_copy(c->problem_detail, sizeof c->problem_detail, safe); /* the log keeps English */
    /* A retry with the same Idempotency-Key answers this again, in the retry's language. */
    if (c->req != NULL && http_header(c, "Idempotency-Key") != NULL) {
        json_decref(c->problem_again);
        c->problem_again = json_pack("{s:i, s:s?, s:s?, s:s?, s:s?, s:O?, s:o?, s:s}", "status", status, "kind", kind,
                                     "kind_title", kind_title, "detail", code ? NULL : detail, "code", code, "params",
                                     (json_t *)params, "errors", errors ? json_deep_copy(errors) : NULL, "request_id",
                                     c->request_id);
    }
    /* The client reads title, detail and messages in the language it asks for (issue 13). */
    problem_lang lang = http_language(c->req ? http_header(c, "Accept-Language") : NULL);
    title = problem_phrase(lang, title);
    if (code != NULL)
        problem_render(lang, code, params, safe, sizeof safe);
    else
        utf8_copy(safe, 512, problem_phrase(lang, safe));
    problem_localize_errors(lang, errors);
    http_vary(c, "Accept-Language");
    http_set_header(c, "Content-Language", problem_lang_tag(lang));
    json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", type, "title", title, "status",
                          status, "detail", safe, "request_id", c->request_id);
    if (o != NULL && errors != NULL && json_array_size(errors) > 0 &&
        json_object_set(o, "errors", errors) != 0) {
        json_decref(o); /* an error list that is lost must not look like a clean answer */
        o = NULL;
    }
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    char fallback[320];
    if (text == NULL) minimal_problem(fallback, sizeof fallback, status, slug, title, c->request_id);
    if (status == 401 && http_response_header(c->resp, "WWW-Authenticate") == NULL)
        http_set_header(c, "WWW-Authenticate", "Bearer realm=\"bdhvs\"");
    if (status == 503 && http_response_header(c->resp, "Retry-After") == NULL)
        http_set_header(c, "Retry-After", "2");
    const char *doc = text ? text : fallback;
    http_response_set_body(c->resp, status, doc, strlen(doc));
    free(text);
    http_response_set_header(c->resp, "Content-Type", "application/problem+json");
    c->status = status;
}

char *http_problem_again(http_ctx *c)
{
    if (c->problem_again == NULL) return NULL;
    json_t *o = json_pack("{s:O}", "problem_again", c->problem_again);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

int respond_problem_again(http_ctx *c, const char *stored, size_t len)
{
    json_t *o = json_loadb(stored, len, 0, NULL);
    json_t *p = json_object_get(o, "problem_again");
    const char *rid = json_string_value(json_object_get(p, "request_id"));
    if (!json_is_integer(json_object_get(p, "status")) || rid == NULL) {
        json_decref(o);
        return -1;
    }
    json_t *errors = json_object_get(p, "errors");
    /* The first answer's request id, as the first answer had it; the log keeps this request's. */
    char mine[sizeof c->request_id];
    snprintf(mine, sizeof mine, "%s", c->request_id);
    snprintf(c->request_id, sizeof c->request_id, "%s", rid);
    respond_problem_full(c, (int)json_integer_value(json_object_get(p, "status")),
                         json_string_value(json_object_get(p, "kind")), json_string_value(json_object_get(p, "kind_title")),
                         json_string_value(json_object_get(p, "detail")), json_string_value(json_object_get(p, "code")),
                         json_object_get(p, "params"), json_is_array(errors) ? errors : NULL);
    snprintf(c->request_id, sizeof c->request_id, "%s", mine);
    json_decref(o);
    return 0;
}

void respond_problem(http_ctx *c, int status, const char *detail)
{
    respond_problem_errors(c, status, detail, NULL);
}

void respond_bytes(http_ctx *c, int status, const char *content_type, const char *data, size_t len)
{
    http_response_set_body(c->resp, status, data, len);
    http_response_set_header(c->resp, "Content-Type", content_type);
    c->status = status;
}

void respond_json_text(http_ctx *c, int status, const char *text, size_t len)
{
    respond_bytes(c, status, "application/json; charset=utf-8", text, len);
}

void respond_json(http_ctx *c, int status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text == NULL) {
        respond_problem(c, 500, "Could not encode the answer.");
        return;
    }
    respond_json_text(c, status, text, strlen(text));
    free(text);
}

void http_etag(const char *text, size_t len, char *buf)
{
    /* FNV-1a 64 taken eight bytes at a time, the tail byte by byte, then a final mix: each step is
     * a bijection of the state, so answers that differ in one word never share a tag. Byte by byte
     * it was a seventh of the server's time on a page of 100 staff (~45 KB). */
    unsigned long long h = 1469598103934665603ULL;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        unsigned long long w;
        memcpy(&w, text + i, sizeof w);
        h ^= w;
        h *= 1099511628211ULL;
    }
    for (; i < len; i++) {
        h ^= (unsigned char)text[i];
        h *= 1099511628211ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    buf[0] = '"';
    http_hex64(buf + 1, h);
    buf[17] = '"';
    buf[18] = '\0';
}

void respond_resource_text(http_ctx *c, int status, const char *text, size_t len)
{
    char etag[24];
    http_etag(text, len, etag);
    http_set_header(c, "ETag", etag);
    respond_json_text(c, status, text, len);
}

void respond_empty(http_ctx *c, int status)
{
    http_response_set_body(c->resp, status, NULL, 0);
    c->status = status;
}

int http_if_match_allows(const char *if_match, const char *etag)
{
    /* If-Match is a comma-separated list of entity tags, or "*". */
    const char *p = if_match;
    size_t n = strlen(etag);
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        /* An item matches only whole: "*" or the tag, then only spaces up to a comma or the end
         * (so "<tag>"junk or *junk match nothing). */
        const char *end = NULL;
        if (*p == '*') end = p + 1;
        else if (strncmp(p, "W/", 2) == 0) p += 2; /* weak tags never match strongly */
        else if (strncmp(p, etag, n) == 0) end = p + n;
        if (end != NULL) {
            while (*end == ' ') end++;
            if (*end == ',' || *end == '\0') return 1;
        }
        while (*p && *p != ',') p++;
    }
    return 0;
}

int http_if_match_fails(http_ctx *c, const char *current_text)
{
    const char *im = http_header(c, "If-Match");
    if (im == NULL) return 0;
    char etag[24], gz[32];
    http_etag(current_text, strlen(current_text), etag);
    http_etag_gzip(etag, gz, sizeof gz);
    /* The tag of either representation, plain or gzip (both are this state of the resource). */
    if (http_if_match_allows(im, etag) || http_if_match_allows(im, gz)) return 0;
    respond_problem(c, 412, "The resource changed since you read it (If-Match did not match); read it again.");
    return 1;
}

int http_refuse_invalid(http_ctx *c, verrs *v)
{
    if (verrs_count(v) == 0) return 0;
    respond_problem_errors(c, 422, "Some fields are invalid; see errors.", v->list);
    return 1;
}

int http_media_is(const char *ct, const char *want)
{
    size_t n = strlen(want);
    if (strncasecmp(ct, want, n) != 0) return 0;
    const char *rest = ct + n;
    while (*rest == ' ') rest++;
    if (*rest == '\0') return 1;
    if (*rest != ';') return 0;
    /* Only UTF-8 is accepted as a charset. */
    const char *cs = strcasestr(rest, "charset=");
    if (cs == NULL) return 1;
    cs += 8;
    if (*cs == '"') cs++;
    if (strncasecmp(cs, "utf-8", 5) != 0) return 0;
    cs += 5; /* utf-8 itself, not utf-8x */
    return *cs == '\0' || *cs == '"' || *cs == ';' || *cs == ' ';
}

json_t *http_json_body(http_ctx *c, int want_array)
{
    const char *ct = http_header(c, "Content-Type");
    if (ct == NULL || !http_media_is(ct, "application/json")) {
        respond_problem(c, 415, "Send the body as application/json (UTF-8).");
        return NULL;
    }
    json_error_t err;
    json_t *j = json_loadb(c->req->body ? c->req->body : "",
                           c->req->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (j == NULL) {
        char reason[201]; /* jansson's text may quote the body, cut anywhere: keep whole characters */
        utf8_copy(reason, sizeof reason, err.text);
        json_t *pm = json_pack("{s:s, s:i}", "reason", reason, "at", err.position);
        respond_problem_msg(c, 400, "json_invalid", pm, NULL);
        json_decref(pm);
        return NULL;
    }
    if (want_array ? !json_is_array(j) : !json_is_object(j)) {
        json_decref(j);
        respond_problem(c, 422, want_array ? "The body must be a JSON array." : "The body must be a JSON object.");
        return NULL;
    }
    return j;
}

int http_content_type_is(http_ctx *c, const char *media)
{
    const char *ct = http_header(c, "Content-Type");
    return ct != NULL && http_media_is(ct, media);
}

int http_wants_csv(http_ctx *c)
{
    /* ?format= (declared by the routes that answer CSV, its value checked with the query) wins
     * over the Accept header. */
    const char *f = http_query_declared(c->route, "format") ? http_query(c, "format") : NULL;
    if (f != NULL) return strcmp(f, "csv") == 0 || strcmp(f, "xlsx") == 0;
    const char *a = http_header(c, "Accept");
    return a != NULL && (strcasestr(a, "text/csv") != NULL || http_wants_xlsx(c));
}

int http_wants_xlsx(http_ctx *c)
{
    const char *f = http_query_declared(c->route, "format") ? http_query(c, "format") : NULL;
    if (f != NULL) return strcmp(f, "xlsx") == 0;
    const char *a = http_header(c, "Accept");
    return a != NULL && strcasestr(a, XLSX_MEDIA_TYPE) != NULL;
}

/* The table of respond_csv as an .xlsx workbook (bdhvs/xlsx.h), named like the CSV. */
static void respond_xlsx(http_ctx *c, json_t *items, const char *const *columns)
{
    char *data;
    size_t len;
    if (xlsx_table(items, columns, &data, &len) != 0) {
        respond_problem(c, 500, "Out of memory while writing the workbook.");
        return;
    }
    if (c->download[0] == '\0') http_download_name(c, NULL, NULL);
    size_t n = strlen(c->download);
    if (n >= 4 && strcmp(c->download + n - 4, ".csv") == 0 && n + 1 < sizeof c->download)
        memcpy(c->download + n - 4, ".xlsx", 6);
    char disp[600];
    if (http_content_disposition(disp, sizeof disp, c->download) == 0) http_set_header(c, "Content-Disposition", disp);
    respond_bytes(c, 200, XLSX_MEDIA_TYPE, data, len);
    free(data);
}

void http_buf_add(http_buf *b, const char *s, size_t n)
{
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + n + 1 > cap) cap *= 2;
        char *np = realloc(b->p, cap);
        if (np == NULL) {
            b->failed = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* A CSV cell: quoted when needed; a leading = + - @ (or tab/CR) is neutralised with a quote
 * mark so spreadsheets do not run it as a formula. */
void http_csv_cell(http_buf *b, const char *s, int is_text)
{
    int quote = 0;
    for (const char *p = s; *p; p++)
        if (*p == ',' || *p == '"' || *p == '\n' || *p == '\r') quote = 1;
    int neutralise = is_text && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
                                 s[0] == '\t' || s[0] == '\r');
    if (neutralise) quote = 1;
    if (quote) http_buf_add(b, "\"", 1);
    if (neutralise) http_buf_add(b, "'", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"') http_buf_add(b, "\"", 1);
        http_buf_add(b, p, 1);
    }
    if (quote) http_buf_add(b, "\"", 1);
}

void respond_csv(http_ctx *c, json_t *items, const char *const *columns)
{
    if (http_wants_xlsx(c)) {
        respond_xlsx(c, items, columns);
        return;
    }
    http_buf b = {0};
    const char *bom = http_query(c, "bom");
    if (bom != NULL && strcmp(bom, "true") == 0) http_buf_add(&b, "\xEF\xBB\xBF", 3);
    for (int i = 0; columns[i]; i++) {
        if (i) http_buf_add(&b, ",", 1);
        http_csv_cell(&b, columns[i], 0);
    }
    http_buf_add(&b, "\r\n", 2);
    size_t idx;
    json_t *row;
    json_array_foreach(items, idx, row) {
        for (int i = 0; columns[i]; i++) {
            if (i) http_buf_add(&b, ",", 1);
            json_t *v = json_object_get(row, columns[i]);
            char num[64];
            if (json_is_string(v)) http_csv_cell(&b, json_string_value(v), 1);
            else if (json_is_integer(v)) {
                snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
                http_buf_add(&b, num, strlen(num));
            } else if (json_is_real(v)) {
                snprintf(num, sizeof num, "%.10g", json_real_value(v));
                http_buf_add(&b, num, strlen(num));
            } else if (json_is_true(v)) http_buf_add(&b, "true", 4);
            else if (json_is_false(v)) http_buf_add(&b, "false", 5);
            else if (v != NULL && !json_is_null(v)) {
                char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
                if (t) {
                    http_csv_cell(&b, t, 1);
                    free(t);
                }
            }
        }
        http_buf_add(&b, "\r\n", 2);
    }
    if (b.failed) {
        respond_problem(c, 500, "Out of memory while writing CSV.");
    } else {
        if (c->download[0] == '\0') http_download_name(c, NULL, NULL);
        char disp[600];
        if (http_content_disposition(disp, sizeof disp, c->download) == 0)
            http_set_header(c, "Content-Disposition", disp);
        respond_bytes(c, 200, "text/csv; charset=utf-8", b.p, b.len);
    }
    free(b.p);
}

void http_trim_after(http_ctx *c)
{
    c->trim_after = 1;
}

void http_download_name(http_ctx *c, const char *unit_code, const char *when)
{
    /* The resource: the route's last literal segment (/api/v1/indicators/rollup: rollup). */
    const char *path = c->route ? c->route->path : "download", *res = "download";
    size_t rl = 8;
    for (const char *p = path; *p;) {
        while (*p == '/') p++;
        const char *e = p;
        while (*e && *e != '/') e++;
        if (e > p && *p != ':') {
            res = p;
            rl = (size_t)(e - p);
        }
        p = e;
    }
    char today[11];
    if (when == NULL) {
        /* Vietnam's date (UTC+7 all year), the day the file is about. */
        time_t t = time(NULL) + 7 * 3600;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(today, sizeof today, "%Y-%m-%d", &tm);
        when = today;
    }
    char code[96] = "";
    if (unit_code != NULL && *unit_code) {
        utf8_copy(code + 1, sizeof code - 1, unit_code);
        code[0] = '-';
    }
    snprintf(c->download, sizeof c->download, "%.*s%s-%s.csv", (int)rl, res, code, when);
}

void http_vary(http_ctx *c, const char *field)
{
    const char *have = http_response_header(c->resp, "Vary");
    if (have == NULL) {
        http_response_set_header(c->resp, "Vary", field);
        return;
    }
    size_t n = strlen(field);
    for (const char *p = have; (p = strcasestr(p, field)) != NULL; p += n)
        if ((p == have || p[-1] == ' ' || p[-1] == ',') && (p[n] == '\0' || p[n] == ',' || p[n] == ' ')) return;
    char both[256];
    snprintf(both, sizeof both, "%s, %s", have, field);
    http_response_set_header(c->resp, "Vary", both);
}

void http_etag_gzip(const char *etag, char *buf, size_t len)
{
    size_t n = strlen(etag);
    if (n < 2 || etag[n - 1] != '"') {
        snprintf(buf, len, "%s", etag);
        return;
    }
    snprintf(buf, len, "%.*s-gzip\"", (int)(n - 1), etag);
}

/* Media types worth compressing: text, JSON, YAML. */
static int compressible(const char *ct)
{
    return strncasecmp(ct, "text/", 5) == 0 || strcasestr(ct, "json") != NULL || strcasestr(ct, "yaml") != NULL;
}

#define GZIP_MIN_BYTES 1024 /* below this, gzip's header and the work cost more than they save */

void http_finish_answer(http_ctx *c)
{
    http_response *r = c->resp;
    const char *ct = http_response_header(r, "Content-Type");
    size_t len = r->body != NULL ? r->len : 0;
    int may_gzip =
        len > 0 && ct != NULL && compressible(ct) && http_response_header(r, "Content-Encoding") == NULL;
    if (may_gzip) http_vary(c, "Accept-Encoding");
    /* Routes that answer CSV too choose by Accept as well as by ?format=. */
    if (c->route != NULL && http_query_declared(c->route, "format")) http_vary(c, "Accept");
    int gzip = may_gzip && len >= GZIP_MIN_BYTES && http_accepts_gzip(http_header(c, "Accept-Encoding"));
    if (c->status == 200 && len > 0 && strcmp(http_method(c), "GET") == 0) {
        /* Every GET answer has an entity tag: the handler's (single resources), else one made from
         * the body; the gzip representation's differs (RFC 9110 8.8.3). */
        char tag[48];
        const char *have = http_response_header(r, "ETag");
        if (have != NULL) {
            size_t tl = strnlen(have, sizeof tag - 1);
            memcpy(tag, have, tl);
            tag[tl] = '\0';
        } else {
            http_etag(r->body, len, tag);
        }
        if (gzip) {
            char plain[48];
            snprintf(plain, sizeof plain, "%s", tag);
            http_etag_gzip(plain, tag, sizeof tag);
        }
        http_response_set_header(r, "ETag", tag);
        /* A signed-in caller's answer: a browser may keep it, but asks again each time (with
         * If-None-Match), and no shared cache keeps it. */
        if (c->authed && http_response_header(r, "Cache-Control") == NULL)
            http_response_set_header(r, "Cache-Control", "private, no-cache");
        if (http_if_none_match_matches(http_header(c, "If-None-Match"), tag)) {
            /* 304: no body and no representation headers; ETag, Cache-Control, Vary stay. */
            http_response_set_body(r, 304, NULL, 0);
            http_response_remove_header(r, "Content-Type");
            http_response_remove_header(r, "Content-Disposition");
            c->status = 304;
            return;
        }
    }
    if (!gzip) return;
    char *z;
    size_t zl;
    if (http_gzip(r->body, len, 6, &z, &zl) != 0) return; /* out of memory: send it plain */
    http_response_take_body(r, z, zl);
    http_response_set_header(r, "Content-Encoding", "gzip");
}
