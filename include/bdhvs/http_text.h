/* Pure text rules of the HTTP layer: no request, no connection, no allocation but the buffer's.
 * response.c and server.c answer with them; tests/unit/test_http_text.c pins them down. */
#ifndef BDHVS_HTTP_TEXT_H
#define BDHVS_HTTP_TEXT_H

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

#endif
