/* libFuzzer target: the query-string parser and the typed query readers (src/http/query.c) and
 * path parameters, on a request as the server fills it.
 * Input: the request target as sent, "path?query" (a NUL ends it, as it would in the server). */
#include "bdhvs/jsonx.h"
#include "bdhvs/period.h"
#include "fuzz_common.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void no_handler(http_ctx *c)
{
    (void)c;
}

static const http_route ROUTE = {"GET", "/api/v1/units/:id/tree", no_handler, ROLE_VIEWER};

/* The decoded length of s[0..n) (%XX and '+'), independent of the code under test; -1 on a bad
 * escape. */
static long decoded_length(const char *s, size_t n)
{
    long len = 0;
    for (size_t i = 0; i < n; i++, len++) {
        if (s[i] != '%') continue;
        if (i + 2 >= n || !strchr("0123456789abcdefABCDEF", s[i + 1]) || !strchr("0123456789abcdefABCDEF", s[i + 2]))
            return -1;
        i += 2;
    }
    return len;
}

/* Every parameter the parser kept has all its bytes: nothing was cut short (a decoded NUL). */
static void check_complete(const char *query, const http_ctx *c)
{
    int k = 0;
    const char *p = query;
    while (*p) {
        size_t n = strcspn(p, "&");
        if (n > 0) {
            size_t klen = strcspn(p, "=");
            if (klen > n) klen = n;
            long kd = decoded_length(p, klen), vd = klen < n ? decoded_length(p + klen + 1, n - klen - 1) : 0;
            FUZZ_CHECK(k < c->nq, "%s", "a parameter is missing");
            FUZZ_CHECK(kd == (long)strlen(c->qkeys[k]) && vd == (long)strlen(c->qvals[k]),
                       "parameter %d was cut short: %s=%s", k, c->qkeys[k], c->qvals[k]);
            k++;
        }
        p += n;
        if (*p == '&') p++;
    }
    FUZZ_CHECK(k == c->nq, "%d parameters in the text, %d parsed", k, c->nq);
}

static void check_verrs(const verrs *v)
{
    size_t i;
    json_t *e;
    json_array_foreach(v->list, i, e) {
        const char *field = json_string_value(json_object_get(e, "field"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        FUZZ_CHECK(field != NULL && msg != NULL && *msg != '\0', "error %zu lost its field or message", i);
    }
}

static void read_everything(fuzz_http *f, verrs *v)
{
    http_ctx *c = &f->c;
    static const char *const allowed[] = {"unit_id", "year", "dry_run", "as_of", "updated_since",
                                          "sort",    "limit", "offset", "q",     NULL};
    static const char *const sorts[] = {"code", "name", "id", NULL};
    http_query_only(c, allowed, v);

    long long id = 0;
    if (http_query_id(c, "unit_id", &id, v) == 1) FUZZ_CHECK(id >= 1, "unit_id %lld", id);
    long year = 0;
    if (http_query_int(c, "year", 2000, 2100, &year, v) == 1)
        FUZZ_CHECK(year >= 2000 && year <= 2100, "year %ld", year);
    int b = -1;
    if (http_query_bool(c, "dry_run", &b, v) == 1) FUZZ_CHECK(b == 0 || b == 1, "dry_run %d", b);
    char day[11] = "";
    if (http_query_date(c, "as_of", day, v) == 1) {
        date_ymd d;
        FUZZ_CHECK(strlen(day) == 10 && date_parse(day, &d) == 0, "as_of became %s", day);
    }
    const char *ts = NULL;
    if (http_query_timestamp(c, "updated_since", &ts, v) == 1)
        FUZZ_CHECK(ts == http_query(c, "updated_since"), "%s", "updated_since is not the value given");
    char sort[40];
    int sr = http_query_sort(c, sorts, "code", sort, v);
    if (sr >= 0) {
        const char *name = sort[0] == '-' ? sort + 1 : sort;
        int known = 0;
        for (const char *const *s = sorts; *s; s++) known |= strcmp(*s, name) == 0;
        FUZZ_CHECK(known, "sort became %s", sort);
    }
    long limit = -1, offset = -1;
    http_query_page(c, &limit, &offset, v);
    int csv = http_wants_csv(c);
    FUZZ_CHECK(limit >= 1 && limit <= (csv ? 100000 : 1000), "limit %ld", limit);
    FUZZ_CHECK(offset >= 0 && offset <= 100000000, "offset %ld", offset);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_http f;
    fuzz_http_init(&f);
    http_ctx *c = &f.c;
    c->route = &ROUTE;
    f.req.method = "GET";
    char *url = fuzz_own(&f, fuzz_strndup(data, size));
    f.req.url = url;
    char *q = strchr(url, '?');
    f.req.path = q ? fuzz_own(&f, fuzz_strndup((const uint8_t *)url, (size_t)(q - url))) : url;

    if (http_query_parse(c) != 0) {
        fuzz_expect_problem(&f, 400);
        fuzz_http_free(&f);
        return 0;
    }
    FUZZ_CHECK(c->nq >= 0 && c->nq <= 64, "%d parameters", c->nq);
    if (q != NULL) check_complete(q + 1, c);
    for (int i = 0; i < c->nq; i++) {
        FUZZ_CHECK(utf8_valid(c->qkeys[i], strlen(c->qkeys[i])) && utf8_valid(c->qvals[i], strlen(c->qvals[i])),
                   "parameter %d is not UTF-8", i);
        FUZZ_CHECK(http_query(c, c->qkeys[i]) == c->qvals[i], "parameter %s is given twice", c->qkeys[i]);
    }

    /* Once without and once with Accept: text/csv (the page limits differ). */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) fuzz_header(&f, "Accept", "text/csv");
        verrs v;
        verrs_init(&v);
        read_everything(&f, &v);
        check_verrs(&v);
        if (http_refuse_invalid(c, &v)) fuzz_expect_problem(&f, 422);
        else FUZZ_CHECK(c->status == 0, "answered %d without an error", c->status);
        verrs_free(&v);
        c->status = 0;
    }

    const char *idtext = http_path_param(c, "id");
    long long id = http_path_id(c, "id");
    if (id == 0) fuzz_expect_problem(&f, 404);
    else FUZZ_CHECK(id >= 1 && idtext != NULL, "path id %lld", id);
    fuzz_http_free(&f);
    return 0;
}
