#include "bdhvs/jsonx.h"
#include "bdhvs/period.h"
#include "bdhvs/problems.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void verrs_init(verrs *v)
{
    v->list = json_array();
    v->lost = 0;
}

void verrs_add(verrs *v, const char *field, const char *fmt, ...)
{
    char msg[VERRS_MESSAGE_MAX + 1], name[VERRS_FIELD_MAX + 1];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0) msg[0] = '\0';
    msg[utf8_prefix(msg, sizeof msg - 1)] = '\0';
    utf8_copy(name, sizeof name, field ? field : "");
    json_t *e = json_pack("{s:s, s:s}", "field", name, "message", msg);
    if (e == NULL || v->list == NULL || json_array_append_new(v->list, e) != 0) { /* _new takes e either way */
        if (v->list == NULL) json_decref(e);
        v->lost++;
    }
}

int verrs_count(const verrs *v)
{
    return (int)json_array_size(v->list) + v->lost;
}

void verrs_free(verrs *v)
{
    json_decref(v->list);
    v->list = NULL;
}

void json_refuse_unknown(json_t *obj, const char *const *allowed, verrs *v)
{
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, key) == 0) ok = 1;
        if (!ok) verrs_problem(v, key, "not_a_field", NULL);
    }
}

/* Bytes of the valid UTF-8 character at p (before end), or 0 when the bytes there are not one
 * (bad lead byte, truncated, overlong, surrogate or beyond U+10FFFF). */
static size_t utf8_char(const unsigned char *p, const unsigned char *end)
{
    unsigned c = *p;
    size_t n;
    unsigned min;
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) { n = 1; min = 0x80; c &= 0x1F; }
    else if ((c & 0xF0) == 0xE0) { n = 2; min = 0x800; c &= 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 3; min = 0x10000; c &= 0x07; }
    else return 0;
    if ((size_t)(end - p) < n + 1) return 0;
    for (size_t i = 1; i <= n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (p[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    return n + 1;
}

int utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        size_t n = utf8_char(p, end);
        if (n == 0) return 0;
        p += n;
    }
    return 1;
}

size_t utf8_prefix(const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *end = p + strnlen(s, max);
    size_t len = 0;
    while (p + len < end) {
        size_t n = utf8_char(p + len, end);
        if (n == 0) break;
        len += n;
    }
    return len;
}

void utf8_copy(char *dst, size_t cap, const char *src)
{
    if (cap == 0) return;
    size_t n = utf8_prefix(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80) n++;
    return n;
}

int jfield_string(json_t *obj, const char *key, size_t minlen, size_t maxlen, const char **out,
                  verrs *v)
{
    return jfield_string_as(obj, key, key, minlen, maxlen, out, v);
}

int jfield_string_as(json_t *obj, const char *key, const char *field, size_t minlen, size_t maxlen, const char **out,
                     verrs *v)
{
    json_t *j = json_object_get(obj, key);
    if (j == NULL) return 0;
    if (!json_is_string(j)) {
        verrs_problem(v, field, "not_a_string", NULL);
        return -1;
    }
    const char *s = json_string_value(j);
    if (strlen(s) != json_string_length(j)) {
        verrs_problem(v, field, "nul_chars", NULL);
        return -1;
    }
    size_t n = utf8_length(s);
    if (n < minlen || n > maxlen) {
        if (minlen > 0 && n == 0)
            verrs_problem(v, field, "empty", NULL);
        else
            verrs_problem_n2(v, field, "length", "min", (long long)minlen, "max", (long long)maxlen);
        return -1;
    }
    *out = s;
    return 1;
}

int jfield_id(json_t *obj, const char *key, long long *out, verrs *v)
{
    json_t *j = json_object_get(obj, key);
    if (j == NULL) return 0;
    if (!json_is_integer(j) || json_integer_value(j) < 1) {
        verrs_problem(v, key, "not_an_id", NULL);
        return -1;
    }
    *out = json_integer_value(j);
    return 1;
}

int jfield_bool(json_t *obj, const char *key, int *out, verrs *v)
{
    json_t *j = json_object_get(obj, key);
    if (j == NULL) return 0;
    if (!json_is_boolean(j)) {
        verrs_problem(v, key, "not_true_false", NULL);
        return -1;
    }
    *out = json_is_true(j);
    return 1;
}

int jfield_date(json_t *obj, const char *key, char out[11], verrs *v)
{
    json_t *j = json_object_get(obj, key);
    if (j == NULL) return 0;
    date_ymd d;
    if (!json_is_string(j) || date_parse(json_string_value(j), &d) != 0) {
        verrs_problem(v, key, "date_format", NULL);
        return -1;
    }
    date_format(&d, out, 11);
    return 1;
}

int jfield_nullable_date(json_t *obj, const char *key, char out[11], verrs *v)
{
    json_t *j = json_object_get(obj, key);
    if (j != NULL && json_is_null(j)) return 2;
    return jfield_date(obj, key, out, v);
}

const code_rule CODE_UNIT = {1, 32, 1, 0, "._-", "code_opaque"};
const code_rule CODE_STAFF = {1, 40, 1, 0, "._-", "code_opaque"};
const code_rule CODE_REF = {2, 40, 0, 1, "_", "code_ref"};

int code_chars_ok(const code_rule *r, const char *s)
{
    for (const char *p = s; *p; p++) {
        char ch = *p;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || (r->upper && ch >= 'A' && ch <= 'Z') ||
                 strchr(r->punct, ch) != NULL;
        if (!ok) return 0;
    }
    return 1;
}

int code_ok(const code_rule *r, const char *s)
{
    size_t n = strlen(s);
    if (n < r->min || n > r->max) return 0;
    if (r->letter_first && !(s[0] >= 'a' && s[0] <= 'z')) return 0;
    return code_chars_ok(r, s);
}

int jfield_code(json_t *obj, const char *key, const code_rule *r, const char **out, verrs *v)
{
    int got = jfield_string(obj, key, r->min, r->max, out, v);
    if (got != 1 || code_ok(r, *out)) return got;
    verrs_problem_n2(v, key, r->problem, "min", (long long)r->min, "max", (long long)r->max);
    *out = NULL;
    return -1;
}
