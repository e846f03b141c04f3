#include "bdhvs/jsonx.h"
#include "bdhvs/period.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void verrs_init(verrs *v)
{
    v->list = json_array();
}

void verrs_add(verrs *v, const char *field, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_array_append_new(v->list, json_pack("{s:s, s:s}", "field", field, "message", msg));
}

int verrs_count(const verrs *v)
{
    return (int)json_array_size(v->list);
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
        if (!ok) verrs_add(v, key, "is not a field of this resource");
    }
}

int utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned c = *p;
        size_t n;
        unsigned min;
        if (c < 0x80) { p++; continue; }
        else if ((c & 0xE0) == 0xC0) { n = 1; min = 0x80; c &= 0x1F; }
        else if ((c & 0xF0) == 0xE0) { n = 2; min = 0x800; c &= 0x0F; }
        else if ((c & 0xF8) == 0xF0) { n = 3; min = 0x10000; c &= 0x07; }
        else return 0;
        if ((size_t)(end - p) < n + 1) return 0;
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80) return 0;
            c = (c << 6) | (p[i] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
        p += n + 1;
    }
    return 1;
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
    json_t *j = json_object_get(obj, key);
    if (j == NULL) return 0;
    if (!json_is_string(j)) {
        verrs_add(v, key, "must be a string");
        return -1;
    }
    const char *s = json_string_value(j);
    if (strlen(s) != json_string_length(j)) {
        verrs_add(v, key, "must not contain NUL characters");
        return -1;
    }
    size_t n = utf8_length(s);
    if (n < minlen || n > maxlen) {
        if (minlen > 0 && n == 0)
            verrs_add(v, key, "must not be empty");
        else
            verrs_add(v, key, "must be %zu to %zu characters long", minlen, maxlen);
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
        verrs_add(v, key, "must be a positive whole number");
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
        verrs_add(v, key, "must be true or false");
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
        verrs_add(v, key, "must be a date written YYYY-MM-DD");
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
