/* libFuzzer target: JSON request bodies (http_json_body in src/http/response.c) and the field
 * validation helpers every handler uses (src/core/json.c), on the server's own request structures.
 * Input: one mode byte, then the body. In the mode byte, bit 0 asks for an array body (bulk
 * loads) instead of an object, and bits 1-3 pick the Content-Type from CONTENT_TYPES; the digits
 * '0'-'9' read as: even object, odd array, CONTENT_TYPES[digit / 2]. Entry 7 (mode '>' or '?')
 * takes the Content-Type from the input's first line instead, and sends none when there is no
 * line break. */
#include "bdhvs/jsonx.h"
#include "bdhvs/period.h"
#include "fuzz_common.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const CONTENT_TYPES[8] = {
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON;charset=\"UTF-8\"",
    "application/json; charset=iso-8859-1",
    "text/plain",
    "application/json-patch+json",
    "application/json ; foo=bar",
    NULL, /* the first line, or no Content-Type header */
};

/* The fields a typical resource has, read the way the handlers read them. */
static void validate_object(json_t *obj, verrs *v)
{
    static const char *const fields[] = {"code", "name", "unit_id", "active", "joined_on", "left_on", NULL};
    json_refuse_unknown(obj, fields, v);
    const char *code = NULL, *name = NULL;
    if (jfield_string(obj, "code", 1, 20, &code, v) == 1) {
        FUZZ_CHECK(utf8_valid(code, strlen(code)), "%s", "code is not UTF-8");
        size_t n = utf8_length(code);
        FUZZ_CHECK(n >= 1 && n <= 20, "code of %zu characters accepted", n);
    }
    if (jfield_string(obj, "name", 0, 200, &name, v) == 1)
        FUZZ_CHECK(utf8_length(name) <= 200, "%s", "name too long accepted");
    long long id = 0;
    if (jfield_id(obj, "unit_id", &id, v) == 1) FUZZ_CHECK(id >= 1, "unit_id %lld", id);
    int b = -1;
    if (jfield_bool(obj, "active", &b, v) == 1) FUZZ_CHECK(b == 0 || b == 1, "active %d", b);
    char day[11] = "";
    date_ymd d;
    if (jfield_date(obj, "joined_on", day, v) == 1)
        FUZZ_CHECK(strlen(day) == 10 && date_parse(day, &d) == 0, "joined_on became %s", day);
    char left[11] = "";
    int lr = jfield_nullable_date(obj, "left_on", left, v);
    if (lr == 1) FUZZ_CHECK(strlen(left) == 10 && date_parse(left, &d) == 0, "left_on became %s", left);
    if (lr == 2) FUZZ_CHECK(json_is_null(json_object_get(obj, "left_on")), "%s", "left_on null not null");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    int want_array = data[0] & 1;
    const char *ct = CONTENT_TYPES[(data[0] >> 1) & 7];
    char *line = NULL;
    data++, size--;
    if (ct == NULL) {
        const uint8_t *nl = memchr(data, '\n', size);
        if (nl != NULL) {
            ct = line = fuzz_strndup(data, (size_t)(nl - data));
            size -= (size_t)(nl - data) + 1;
            data = nl + 1;
        }
    }
    fuzz_http f;
    fuzz_http_init(&f);
    http_ctx *c = &f.c;
    f.req.method = "POST";
    if (line != NULL) fuzz_own(&f, line); /* ct may point at it */
    if (ct != NULL) fuzz_header(&f, "Content-Type", ct);
    /* The body exactly as received: not NUL-terminated, so reading past it is caught. */
    if (size > 0) {
        char *b = fuzz_own(&f, malloc(size));
        memcpy(b, data, size);
        f.req.body = b;
        f.req.body_len = size;
    }

    json_t *body = http_json_body(c, want_array);
    if (body == NULL) {
        FUZZ_CHECK(c->status == 400 || c->status == 415 || c->status == 422, "refused with %d", c->status);
        fuzz_expect_problem(&f, c->status);
        fuzz_http_free(&f);
        return 0;
    }
    FUZZ_CHECK(want_array ? json_is_array(body) : json_is_object(body), "%s", "wrong kind of body accepted");
    FUZZ_CHECK(c->status == 0, "answered %d and returned a body", c->status);
    FUZZ_CHECK(http_content_type_is(c, "application/json"), "%s", "a body accepted under another type");

    verrs v;
    verrs_init(&v);
    if (want_array) {
        size_t i;
        json_t *row;
        json_array_foreach(body, i, row) {
            if (json_is_object(row)) validate_object(row, &v);
            else verrs_add(&v, "body", "row %zu must be an object", i + 1);
        }
    } else {
        validate_object(body, &v);
    }
    if (http_refuse_invalid(c, &v)) fuzz_expect_problem(&f, 422);
    verrs_free(&v);
    json_decref(body);
    fuzz_http_free(&f);
    return 0;
}
