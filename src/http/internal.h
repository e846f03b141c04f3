/* Shared by the files of src/http only: the pieces the server (server.c) calls in the request's
 * parts that live next to the code they belong with. */
#ifndef BDHVS_HTTP_INTERNAL_H
#define BDHVS_HTTP_INTERNAL_H

#include "bdhvs/http.h"

#include <stddef.h>

struct MHD_Connection;

/* ---- the request and its answer, as the server hands them to the rest of src/http ----
 * Made for one request and dropped after it: no allocation for the head (libmicrohttpd keeps
 * its strings until the request ends), and the answer's headers in a small arena. They replaced
 * ulfius' maps, which cost about twenty allocations a request (session 13, issue 14). */
#define HTTP_REQ_HEADERS 16 /* headers of a context without a connection (tests, fuzz targets) */
typedef struct http_request {
    const char *method; /* as the client sent it */
    const char *path;   /* the path, percent-decoded by libmicrohttpd */
    const char *url;    /* the request target as sent: the path and the query */
    /* The head's headers are looked up in libmicrohttpd's (first value of a repeated name, any
     * capitalisation); without a connection, in hdr. */
    struct MHD_Connection *conn;
    int nhdr;
    const char *hdr[HTTP_REQ_HEADERS][2];
    const char *body; /* the whole body (in memory or mapped from its spool file), NULL: none */
    size_t body_len;
} http_request;

#define HTTP_RESP_HEADERS 24 /* the most any answer sets is about a dozen (CORS, 401, 503) */
#define HTTP_RESP_ARENA 1024
typedef struct http_response {
    int status;
    char *body; /* malloc'd, the response's own */
    size_t len;
    int nh;
    struct {
        char *name, *value;
        unsigned char heap; /* 1: name, 2: value malloc'd rather than in the arena */
    } h[HTTP_RESP_HEADERS];
    size_t used; /* of the arena */
    char arena[HTTP_RESP_ARENA];
} http_response;

/* Starts an empty answer (status 200, no body, no header) in r. */
void http_response_init(http_response *r);
/* Frees what the answer holds; r may be initialised again. */
void http_response_clean(http_response *r);
/* The value of the answer's header name (any capitalisation), or NULL. */
const char *http_response_header(const http_response *r, const char *name);
/* Sets the header name to value, replacing one of the same name (any capitalisation). Returns
 * 0, or -1 when out of memory or past HTTP_RESP_HEADERS (logged: a header would be lost). */
int http_response_set_header(http_response *r, const char *name, const char *value);
void http_response_remove_header(http_response *r, const char *name);
/* The answer's status and a copy of len bytes of data as its body (len 0: none). Returns 0, or
 * -1 when out of memory (the body is then empty). */
int http_response_set_body(http_response *r, int status, const void *data, size_t len);
/* Takes body (malloc'd, len bytes) as the answer's body, freeing the one before. */
void http_response_take_body(http_response *r, char *body, size_t len);

/* Parses the request's query string into c (query.c). Returns 0, or -1 after answering (a
 * malformed query, or out of memory). */
int http_query_parse(http_ctx *c);
/* Frees the parsed query (response.c); safe to call twice. */
void http_ctx_cleanup(http_ctx *c);
/* The answer's last touches after the handler, on the worker (response.c): Vary, the entity tag
 * of a GET answer and 304 for a matching If-None-Match, then gzip when the client asks for it and
 * the body is worth it. */
void http_finish_answer(http_ctx *c);

/* v as 16 lowercase hexadecimal digits at out (no terminator): the request id and the entity
 * tag, written on every request, without printf's format parsing. */
static inline void http_hex64(char *out, unsigned long long v)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--, v >>= 4) out[i] = digits[v & 15];
}

#endif
