/* JSON helpers shared by the HTTP layer and the handlers. */
#ifndef BDHVS_JSONX_H
#define BDHVS_JSONX_H

#include <jansson.h>
#include <stddef.h>

/* A list of validation problems, answered together as one 422. Fails closed: an error that
 * could not be written into the list (out of memory) is still counted, so the request is
 * refused all the same. */
typedef struct verrs {
    json_t *list; /* array of {field, message[, row]} */
    int lost;     /* errors that could not be added to list */
} verrs;

/* Field names and messages of errors are cut to these many bytes, on a character boundary. */
#define VERRS_FIELD_MAX 120
#define VERRS_MESSAGE_MAX 480

void verrs_init(verrs *v);
/* Adds an error. field and the formatted message may hold client text of any length: both are
 * cut on a UTF-8 character boundary (utf8_prefix), so the entry can always be written. */
void verrs_add(verrs *v, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Errors added, the lost ones included. */
int verrs_count(const verrs *v);
void verrs_free(verrs *v);

/* Checks that obj has no keys other than those in allowed (NULL-terminated); adds one error per
 * unknown key. */
void json_refuse_unknown(json_t *obj, const char *const *allowed, verrs *v);

/* Field readers: absent (0), present and valid (1), present but invalid (-1, error added).
 * Strings are checked for length in characters (UTF-8 code points). */
int jfield_string(json_t *obj, const char *key, size_t minlen, size_t maxlen, const char **out,
                  verrs *v);
/* jfield_string naming the error's field field (a nested key: "numerator.vi"). */
int jfield_string_as(json_t *obj, const char *key, const char *field, size_t minlen, size_t maxlen, const char **out,
                     verrs *v);
int jfield_id(json_t *obj, const char *key, long long *out, verrs *v); /* positive integer */
int jfield_bool(json_t *obj, const char *key, int *out, verrs *v);
int jfield_date(json_t *obj, const char *key, char out[11], verrs *v);
/* Like jfield_string but also accepts JSON null (returns 2). */
int jfield_nullable_date(json_t *obj, const char *key, char out[11], verrs *v);

/* The rules of a code (the one code validator; openapi.yaml pins each): its length in bytes,
 * which characters it may hold, and the catalogue's problem (bdhvs/problems.h) for one that
 * breaks them, rendered with {min} and {max}. */
typedef struct code_rule {
    size_t min, max;
    int upper;           /* A-Z allowed besides a-z and 0-9 */
    int letter_first;    /* must start with a-z */
    const char *punct;   /* the other characters allowed */
    const char *problem; /* "code_opaque", "code_ref" */
} code_rule;
extern const code_rule CODE_UNIT;  /* ^[A-Za-z0-9._-]{1,32}$ */
extern const code_rule CODE_STAFF; /* ^[A-Za-z0-9._-]{1,40}$ */
extern const code_rule CODE_REF;   /* ^[a-z][a-z0-9_]{1,39}$: job groups, skills, ... */
/* Does s keep rule r? */
int code_ok(const code_rule *r, const char *s);
/* The characters of s alone (not its length): does each belong to r? */
int code_chars_ok(const code_rule *r, const char *s);
/* jfield_string of a code: present and kept (1), absent (0), or refused (-1, the rule's problem
 * added to v). */
int jfield_code(json_t *obj, const char *key, const code_rule *r, const char **out, verrs *v);

/* Code points of valid UTF-8: the bytes that are not continuation bytes (the text is not checked;
 * jansson refuses invalid UTF-8 in a body, and utf8_valid checks). */
size_t utf8_length(const char *s);
int utf8_valid(const char *s, size_t len);
/* The one way to cut text for a message: the length in bytes of the longest prefix of the
 * NUL-terminated s that is at most max bytes and made of whole, valid UTF-8 characters (it
 * stops before an invalid byte too). Print with "%.*s", (int)utf8_prefix(s, N), s. */
size_t utf8_prefix(const char *s, size_t max);
/* Copies the longest such prefix of src that fits in dst (cap bytes, NUL included). */
void utf8_copy(char *dst, size_t cap, const char *src);

#endif
