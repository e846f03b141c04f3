/* JSON helpers shared by the HTTP layer and the handlers. */
#ifndef BDHVS_JSONX_H
#define BDHVS_JSONX_H

#include <jansson.h>
#include <stddef.h>

/* A list of validation problems, answered together as one 422. */
typedef struct verrs {
    json_t *list; /* array of {field, message[, row]} */
} verrs;

void verrs_init(verrs *v);
void verrs_add(verrs *v, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int verrs_count(const verrs *v);
void verrs_free(verrs *v);

/* Checks that obj has no keys other than those in allowed (NULL-terminated); adds one error per
 * unknown key. */
void json_refuse_unknown(json_t *obj, const char *const *allowed, verrs *v);

/* Field readers: absent (0), present and valid (1), present but invalid (-1, error added).
 * Strings are checked for length in characters (UTF-8 code points). */
int jfield_string(json_t *obj, const char *key, size_t minlen, size_t maxlen, const char **out,
                  verrs *v);
int jfield_id(json_t *obj, const char *key, long long *out, verrs *v); /* positive integer */
int jfield_bool(json_t *obj, const char *key, int *out, verrs *v);
int jfield_date(json_t *obj, const char *key, char out[11], verrs *v);
/* Like jfield_string but also accepts JSON null (returns 2). */
int jfield_nullable_date(json_t *obj, const char *key, char out[11], verrs *v);

size_t utf8_length(const char *s); /* code points; (size_t)-1 when invalid */
int utf8_valid(const char *s, size_t len);

#endif
