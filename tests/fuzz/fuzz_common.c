#include "fuzz_common.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
    fprintf(stderr, "\nFUZZ INVARIANT BROKEN at %s:%d: %s\n  ", file, line, cond);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

void fuzz_http_init(fuzz_http *f)
{
    memset(f, 0, sizeof *f);
    http_response_init(&f->resp);
    f->c.req = &f->req;
    f->c.resp = &f->resp;
    snprintf(f->c.request_id, sizeof f->c.request_id, "fuzz");
}

void fuzz_http_free(fuzz_http *f)
{
    http_ctx_cleanup(&f->c);
    http_response_clean(&f->resp);
    for (size_t i = 0; i < sizeof f->own / sizeof f->own[0]; i++) free(f->own[i]);
}

char *fuzz_own(fuzz_http *f, char *s)
{
    FUZZ_CHECK(s != NULL, "%s", "out of memory");
    for (size_t i = 0; i < sizeof f->own / sizeof f->own[0]; i++)
        if (f->own[i] == NULL) return f->own[i] = s;
    FUZZ_CHECK(0, "%s", "more texts than fuzz_http keeps");
    return s;
}

void fuzz_header(fuzz_http *f, const char *name, const char *value)
{
    for (int i = 0; i < f->req.nhdr; i++)
        if (strcasecmp(f->req.hdr[i][0], name) == 0) {
            f->req.hdr[i][1] = value;
            return;
        }
    FUZZ_CHECK(f->req.nhdr < HTTP_REQ_HEADERS, "%s", "too many headers");
    f->req.hdr[f->req.nhdr][0] = name;
    f->req.hdr[f->req.nhdr][1] = value;
    f->req.nhdr++;
}

static void expect_nonempty_string(json_t *o, const char *key, const char *body)
{
    json_t *s = json_object_get(o, key);
    FUZZ_CHECK(json_is_string(s) && json_string_length(s) > 0, "problem member %s missing or empty in %s",
               key, body);
}

void fuzz_expect_problem(fuzz_http *f, int status)
{
    FUZZ_CHECK(f->c.status == status, "answered %d, expected %d", f->c.status, status);
    FUZZ_CHECK(f->resp.status == status, "HTTP status %d, expected %d", f->resp.status, status);
    const char *ct = http_response_header(&f->resp, "Content-Type");
    FUZZ_CHECK(ct != NULL && strcmp(ct, "application/problem+json") == 0, "Content-Type %s",
               ct ? ct : "(none)");
    size_t len = f->resp.len;
    char *body = fuzz_strndup((const unsigned char *)f->resp.body, len);
    json_error_t err;
    json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
    FUZZ_CHECK(json_is_object(o), "the problem body is not a JSON object (%s): %s", err.text, body);
    expect_nonempty_string(o, "type", body);
    expect_nonempty_string(o, "title", body);
    expect_nonempty_string(o, "detail", body);
    json_t *st = json_object_get(o, "status");
    FUZZ_CHECK(json_is_integer(st) && json_integer_value(st) == status, "status member wrong in %s", body);
    json_t *errors = json_object_get(o, "errors");
    if (errors != NULL) {
        FUZZ_CHECK(json_is_array(errors) && json_array_size(errors) > 0, "errors empty or not an array: %s",
                   body);
        size_t i;
        json_t *e;
        json_array_foreach(errors, i, e) {
            FUZZ_CHECK(json_is_object(e), "errors[%zu] is not an object", i);
            FUZZ_CHECK(json_is_string(json_object_get(e, "field")), "errors[%zu].field", i);
            expect_nonempty_string(e, "message", body);
        }
    }
    json_decref(o);
    free(body);
}

char *fuzz_strndup(const unsigned char *data, size_t len)
{
    char *s = malloc(len + 1);
    FUZZ_CHECK(s != NULL, "%s", "out of memory");
    if (len > 0) memcpy(s, data, len);
    s[len] = '\0';
    return s;
}
