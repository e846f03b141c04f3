#include "fuzz_common.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    FUZZ_CHECK(ulfius_init_request(&f->req) == U_OK, "%s", "ulfius_init_request failed");
    FUZZ_CHECK(ulfius_init_response(&f->resp) == U_OK, "%s", "ulfius_init_response failed");
    f->c.req = &f->req;
    f->c.resp = &f->resp;
    snprintf(f->c.request_id, sizeof f->c.request_id, "fuzz");
}

void fuzz_http_free(fuzz_http *f)
{
    http_ctx_cleanup(&f->c);
    ulfius_clean_request(&f->req);
    ulfius_clean_response(&f->resp);
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
    FUZZ_CHECK((int)f->resp.status == status, "HTTP status %ld, expected %d", f->resp.status, status);
    const char *ct = u_map_get_case(f->resp.map_header, "Content-Type");
    FUZZ_CHECK(ct != NULL && strcmp(ct, "application/problem+json") == 0, "Content-Type %s",
               ct ? ct : "(none)");
    size_t len = f->resp.binary_body_length;
    char *body = fuzz_strndup(f->resp.binary_body, len);
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
