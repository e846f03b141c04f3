/* Pure text rules of the HTTP layer: no request, no connection, no allocation but the buffer's.
 * response.c and server.c answer with them; tests/unit/test_http_text.c pins them down. */
#ifndef BDHVS_HTTP_TEXT_H
#define BDHVS_HTTP_TEXT_H

#include "bdhvs/problems.h"

#include <stddef.h>

/* A growing text buffer (NUL-terminated once anything is added). failed: out of memory, from then
 * on nothing more is added. Start from {0}; free p. */
typedef struct http_buf {
    char *p;
    size_t len, cap;
    int failed;
} http_buf;

void http_buf_add(http_buf *b, const char *s, size_t n);

/* Appends one CSV cell: quoted when it holds a comma, a double quote, CR or LF (a double quote
 * doubled). When is_text (a value, not a header), a cell starting with = + - @ tab or CR is
 * quoted and gets a leading ' so that spreadsheets do not run it as a formula. Bytes are copied
 * as they are (no UTF-8 check). */
void http_csv_cell(http_buf *b, const char *s, int is_text);

/* Whether the Content-Type value ct names the media type want (ASCII case ignored), alone or
 * followed by spaces and parameters; a charset parameter must be UTF-8 (any case, quoted or
 * not). */
int http_media_is(const char *ct, const char *want);

/* Whether an If-Match value (a comma-separated list of entity tags, or "*") lets a write to the
 * representation with this strong entity tag go ahead. Weak tags (W/"…") never match. */
int http_if_match_allows(const char *if_match, const char *etag);

/* Content negotiation and downloads (encoding.c). */

/* Whether an Accept-Encoding value (NULL: none sent) asks for gzip: gzip (or x-gzip, or "*" when
 * gzip is not named) with a q-value above 0, and identity not preferred to it by a higher q-value
 * (named or through "*"). A malformed element, or one with a bad q-value, is ignored. */
int http_accepts_gzip(const char *accept_encoding);

/* Whether an If-None-Match value (a comma-separated list of entity tags, or "*") names the entity
 * tag etag by weak comparison (RFC 9110 8.8.3.2: W/ ignored on both sides, the opaque tags
 * equal). A malformed item matches nothing. */
int http_if_none_match_matches(const char *if_none_match, const char *etag);

/* Writes `attachment; filename="NAME"` into buf for a download named name (UTF-8): bytes other
 * than A-Z a-z 0-9 . - _ become _ (one per character) in that quoted form, and then the name is
 * also given whole as `filename*=UTF-8''…` (RFC 6266, RFC 8187 percent-encoding; / \ and control
 * characters become _). Returns 0, or -1 when it does not fit in len bytes. */
int http_content_disposition(char *buf, size_t len, const char *name);

/* gzip (RFC 1952) of data at zlib's level (1-9). Returns 0 with *out malloc'd (the caller frees
 * it) and *out_len its length, or -1 (nothing to free). */
int http_gzip(const void *data, size_t len, int level, char **out, size_t *out_len);

/* A qvalue as RFC 9110 12.4.2 writes it: "0" [ "." up to 3 digits ] or "1" [ "." up to 3 zeros ].
 * Returns it in thousandths, or -1 when s[0..n) is not one (encoding.c). */
int http_qvalue(const char *s, size_t n);

/* The language of an answer's texts (language.c) from the request's Accept-Language (NULL: none):
 * Vietnamese (PROBLEM_VI of bdhvs/problems.h) when "vi" (or "vi-VN") has a q-value above 0 and at
 * least English's (the range listed first wins a tie), otherwise English, the default. */
problem_lang http_language(const char *accept_language);

#endif
