/* Shared by the files of src/http only: the pieces the server (server.c) calls in the request's
 * parts that live next to the code they belong with. */
#ifndef BDHVS_HTTP_INTERNAL_H
#define BDHVS_HTTP_INTERNAL_H

#include "bdhvs/http.h"

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
