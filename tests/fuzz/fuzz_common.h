/* Shared by the libFuzzer targets in tests/fuzz: a request context made of the server's own request
 * and answer structures (src/http/internal.h, as the server hands them to a handler), and checks of what the code
 * under test answered. A broken invariant prints what is wrong and aborts, which libFuzzer
 * reports as a crash with the input saved. */
#ifndef BDHVS_FUZZ_COMMON_H
#define BDHVS_FUZZ_COMMON_H

#include <stddef.h>

#include "bdhvs/http.h"

/* Not in a public header: src/http's own (the server calls them). */
#include "../../src/http/internal.h"

typedef struct fuzz_http {
    http_request req;
    http_response resp;
    http_ctx c;
    char *own[4]; /* texts the request points at, freed by fuzz_http_free */
} fuzz_http;

/* Initialises req, resp and the context pointing at them. */
void fuzz_http_init(fuzz_http *f);
void fuzz_http_free(fuzz_http *f);
/* Keeps s (malloc'd) until fuzz_http_free and returns it. */
char *fuzz_own(fuzz_http *f, char *s);
/* Gives the request the header name: value (both kept by the caller). */
void fuzz_header(fuzz_http *f, const char *name, const char *value);

/* Aborts with msg unless cond holds. */
#define FUZZ_CHECK(cond, ...)                                                               \
    do {                                                                                    \
        if (!(cond)) fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                     \
    } while (0)
void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

/* The answer must be a problem+json document with this status: an object whose type, title and
 * detail are non-empty strings, status equal to the HTTP status, and errors (when present) an
 * array of objects with string field and message. */
void fuzz_expect_problem(fuzz_http *f, int status);

/* A copy of len bytes with a NUL after them (inputs are not NUL-terminated). */
char *fuzz_strndup(const unsigned char *data, size_t len);

#endif
