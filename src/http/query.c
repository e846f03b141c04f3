/* Query strings and path parameters, parsed from the raw URL so that nothing is silently
 * dropped: a repeated key or invalid UTF-8 is a 400. */
#include "bdhvs/http.h"
#include "bdhvs/problems.h"
#include "bdhvs/period.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Decodes %XX and '+' in place; returns -1 on a bad escape, and on %00, which would cut the
 * text short (found by tests/fuzz/fuzz_query). */
static int url_decode(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r == '+') *w++ = ' ';
        else if (*r == '%') {
            int hi = hexval(r[1]), lo = hi < 0 ? -1 : hexval(r[2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return -1;
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        } else *w++ = *r;
    }
    *w = '\0';
    return 0;
}

int http_query_parse(http_ctx *c)
{
    const char *url = c->req->url ? c->req->url : "";
    const char *q = strchr(url, '?');
    if (q == NULL || q[1] == '\0') return 0;
    c->qbuf = strdup(q + 1);
    if (c->qbuf == NULL) {
        respond_problem(c, 500, "Out of memory.");
        return -1;
    }
    char *save = NULL;
    for (char *part = strtok_r(c->qbuf, "&", &save); part; part = strtok_r(NULL, "&", &save)) {
        if (*part == '\0') continue;
        char *eq = strchr(part, '=');
        char *val = eq ? eq + 1 : part + strlen(part);
        if (eq) *eq = '\0';
        if (url_decode(part) != 0 || url_decode(val) != 0 || !utf8_valid(part, strlen(part)) ||
            !utf8_valid(val, strlen(val))) {
            respond_problem(c, 400, "The query string is not valid percent-encoded UTF-8.");
            return -1;
        }
        if (c->nq == 64) {
            respond_problem(c, 400, "Too many query parameters.");
            return -1;
        }
        for (int i = 0; i < c->nq; i++) {
            if (strcmp(c->qkeys[i], part) == 0) {
                char name[61];
                utf8_copy(name, sizeof name, part);
                json_t *pm = json_pack("{s:s}", "name", name);
                respond_problem_msg(c, 400, "query_twice", pm, NULL);
                json_decref(pm);
                return -1;
            }
        }
        c->qkeys[c->nq] = part;
        c->qvals[c->nq] = val;
        c->nq++;
    }
    return http_query_allowed(c) ? 0 : -1;
}

int http_query_declared(const http_route *route, const char *key)
{
    if (route == NULL || route->query == NULL) return 0;
    for (const char *const *a = route->query; *a; a++)
        if (strcmp(*a, key) == 0) return 1;
    return 0;
}

int http_route_allows(const http_route *route, role_t r)
{
    if (route->roles != 0) return r != ROLE_NONE && role_set_has(route->roles, r);
    return role_allows(r, route->least);
}

int http_query_allowed(http_ctx *c)
{
    verrs v;
    verrs_init(&v);
    for (int i = 0; i < c->nq; i++)
        if (!http_query_declared(c->route, c->qkeys[i]))
            verrs_add(&v, c->qkeys[i], "is not a parameter of this request");
        /* format (on the routes that answer CSV too) is the same on all of them. */
        else if (strcmp(c->qkeys[i], "format") == 0 && strcmp(c->qvals[i], "json") != 0 &&
                 strcmp(c->qvals[i], "csv") != 0 && strcmp(c->qvals[i], "xlsx") != 0)
            verrs_add(&v, "format", "must be json, csv or xlsx");
    int ok = verrs_count(&v) == 0;
    if (!ok) respond_problem_errors(c, 400, "Some query parameters are invalid; see errors.", v.list);
    verrs_free(&v);
    return ok;
}

const char *http_query(http_ctx *c, const char *key)
{
    for (int i = 0; i < c->nq; i++)
        if (strcmp(c->qkeys[i], key) == 0) return c->qvals[i];
    return NULL;
}

void http_query_only(http_ctx *c, const char *const *allowed, verrs *v)
{
    for (int i = 0; i < c->nq; i++) {
        int ok = strcmp(c->qkeys[i], "bom") == 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            if (strcmp(*a, c->qkeys[i]) == 0) ok = 1;
        if (!ok) verrs_add(v, c->qkeys[i], "is not a parameter of this request");
    }
}

static int parse_ll(const char *s, long long *out)
{
    if (s == NULL || *s == '\0' || strlen(s) > 18) return -1;
    long long v = 0;
    const char *p = s;
    int neg = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    if (*p == '\0') return -1;
    for (; *p; p++) {
        if (*p < '0' || *p > '9') return -1;
        v = v * 10 + (*p - '0');
    }
    *out = neg ? -v : v;
    return 0;
}

int http_query_id(http_ctx *c, const char *key, long long *out, verrs *v)
{
    const char *s = http_query(c, key);
    if (s == NULL) return 0;
    long long n;
    if (parse_ll(s, &n) != 0 || n < 1) {
        verrs_add(v, key, "must be a positive whole number");
        return -1;
    }
    *out = n;
    return 1;
}

int http_query_int(http_ctx *c, const char *key, long min, long max, long *out, verrs *v)
{
    const char *s = http_query(c, key);
    if (s == NULL) return 0;
    long long n;
    if (parse_ll(s, &n) != 0 || n < min || n > max) {
        verrs_problem_n2(v, key, "whole_number_range", "min", min, "max", max);
        return -1;
    }
    *out = (long)n;
    return 1;
}

int http_query_bool(http_ctx *c, const char *key, int *out, verrs *v)
{
    const char *s = http_query(c, key);
    if (s == NULL) return 0;
    if (strcmp(s, "true") == 0) *out = 1;
    else if (strcmp(s, "false") == 0) *out = 0;
    else {
        verrs_add(v, key, "must be true or false");
        return -1;
    }
    return 1;
}

int http_query_date(http_ctx *c, const char *key, char out[11], verrs *v)
{
    const char *s = http_query(c, key);
    if (s == NULL) return 0;
    date_ymd d;
    if (date_parse(s, &d) != 0) {
        verrs_add(v, key, "must be a date written YYYY-MM-DD");
        return -1;
    }
    date_format(&d, out, 11);
    return 1;
}

/* The number written by the two digits at p, or -1. */
static int two_digits(const char *p)
{
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9') return -1;
    return (p[0] - '0') * 10 + (p[1] - '0');
}

/* RFC 3339 as the database can take it: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM), or a plain
 * date. A real calendar date, hours 00-23, minutes and seconds 00-59, at most 9 fraction digits,
 * an offset of at most 15:59 either way (PostgreSQL's limit; offsets in use stay within 14:00). */
static int timestamp_ok(const char *s)
{
    date_ymd d;
    char day[11];
    if (strlen(s) < 10) return 0;
    memcpy(day, s, 10);
    day[10] = '\0';
    if (date_parse(day, &d) != 0) return 0;
    const char *t = s + 10;
    if (*t == '\0') return 1;
    if (*t != 'T' && *t != 't' && *t != ' ') return 0;
    int hh = two_digits(t + 1), mm = hh < 0 || t[3] != ':' ? -1 : two_digits(t + 4),
        ss = mm < 0 || t[6] != ':' ? -1 : two_digits(t + 7);
    if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59) return 0;
    const char *z = t + 9;
    if (*z == '.') {
        const char *f = ++z;
        while (*z >= '0' && *z <= '9') z++;
        if (z == f || z - f > 9) return 0;
    }
    if (*z == 'Z' || *z == 'z') return z[1] == '\0';
    if (*z != '+' && *z != '-') return 0;
    int oh = two_digits(z + 1), om = oh < 0 || z[3] != ':' ? -1 : two_digits(z + 4);
    return oh >= 0 && oh <= 15 && om >= 0 && om <= 59 && z[6] == '\0';
}

int http_query_timestamp(http_ctx *c, const char *key, const char **out, verrs *v)
{
    const char *s = http_query(c, key);
    if (s == NULL) return 0;
    if (!timestamp_ok(s)) {
        verrs_add(v, key, "must be an RFC 3339 timestamp such as 2026-06-30T00:00:00Z (a real date and time, "
                          "an offset of at most 15:59)");
        return -1;
    }
    *out = s;
    return 1;
}

int http_query_sort(http_ctx *c, const char *const *allowed, const char *dflt, char out[40], verrs *v)
{
    const char *s = http_query(c, "sort");
    if (s == NULL) {
        snprintf(out, 40, "%s", dflt);
        return 0;
    }
    const char *f = s[0] == '-' ? s + 1 : s;
    for (const char *const *a = allowed; *a; a++) {
        if (strcmp(*a, f) == 0) {
            snprintf(out, 40, "%s", s);
            return 1;
        }
    }
    char list[256] = "";
    for (const char *const *a = allowed; *a; a++) {
        size_t n = strlen(list);
        snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", *a);
    }
    json_t *pm = json_pack("{s:s}", "list", list);
    if (pm == NULL) v->lost++;
    verrs_problem(v, "sort", "sort_one_of", pm);
    json_decref(pm);
    return -1;
}

void http_query_page(http_ctx *c, long *limit, long *offset, verrs *v)
{
    int csv = http_wants_csv(c);
    *limit = csv ? 100000 : 50;
    *offset = 0;
    http_query_int(c, "limit", 1, csv ? 100000 : 1000, limit, v);
    http_query_int(c, "offset", 0, 100000000, offset, v);
}

/* Segment i (0-based, empty segments skipped) of path into buf; -1 when there is none. */
static int segment(const char *path, int i, char *buf, size_t len)
{
    int k = 0;
    const char *p = path;
    while (*p) {
        while (*p == '/') p++;
        if (*p == '\0') break;
        const char *e = strchr(p, '/');
        if (e == NULL) e = p + strlen(p);
        if (k == i) {
            size_t n = (size_t)(e - p);
            if (n >= len) return -1;
            memcpy(buf, p, n);
            buf[n] = '\0';
            return 0;
        }
        k++;
        p = e;
    }
    return -1;
}

const char *http_path_param(http_ctx *c, const char *name)
{
    char seg[128];
    for (int i = 0; segment(c->route->path, i, seg, sizeof seg) == 0; i++) {
        if (seg[0] == ':' && strcmp(seg + 1, name) == 0) {
            if (segment(c->req->path ? c->req->path : "", i, c->pathbuf, sizeof c->pathbuf) != 0) return NULL;
            return c->pathbuf;
        }
    }
    return NULL;
}

long long http_path_id(http_ctx *c, const char *name)
{
    const char *s = http_path_param(c, name);
    long long id;
    if (s == NULL || parse_ll(s, &id) != 0 || id < 1) {
        respond_problem(c, 404, "There is no such resource.");
        return 0;
    }
    return id;
}
