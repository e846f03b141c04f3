/* The request's headers and the answer being built: the containers of src/http (internal.h).
 * One request's answer sets a handful of headers, so a linear search of a small array beats any
 * map, and their texts go into an arena inside the answer instead of an allocation each. */
#include "bdhvs/log.h"
#include "internal.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* libmicrohttpd 0.9.75 (Debian 12) parses the head in place in the connection's memory pool, which
 * it resets only after the request's completion callback, and takes a suspended connection off
 * every list its thread walks: the header list may be read until the request ends, from the worker
 * that runs the handler too. That is the library's behaviour (connection.c, daemon.c of 0.9.75),
 * not a documented promise: check it again before moving to another version. */
const char *http_header(http_ctx *c, const char *name)
{
    const http_request *q = c->req;
    if (q == NULL) return NULL;
    if (q->conn != NULL) return MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, name);
    for (int i = 0; i < q->nhdr; i++)
        if (strcasecmp(q->hdr[i][0], name) == 0) return q->hdr[i][1];
    return NULL;
}

void http_response_init(http_response *r)
{
    r->status = 200;
    r->body = NULL;
    r->len = 0;
    r->nh = 0;
    r->used = 0;
}

static void drop_texts(http_response *r, int i)
{
    if (r->h[i].heap & 1) free(r->h[i].name);
    if (r->h[i].heap & 2) free(r->h[i].value);
    r->h[i].heap = 0;
}

void http_response_clean(http_response *r)
{
    for (int i = 0; i < r->nh; i++) drop_texts(r, i);
    free(r->body);
    http_response_init(r);
}

static int find(const http_response *r, const char *name)
{
    for (int i = 0; i < r->nh; i++)
        if (strcasecmp(r->h[i].name, name) == 0) return i;
    return -1;
}

const char *http_response_header(const http_response *r, const char *name)
{
    int i = find(r, name);
    return i < 0 ? NULL : r->h[i].value;
}

/* A copy of s in the arena, else on the heap (*heap set); NULL when out of memory. */
static char *keep(http_response *r, const char *s, int *heap)
{
    size_t n = strlen(s) + 1;
    *heap = 0;
    if (n <= sizeof r->arena - r->used) {
        char *p = r->arena + r->used;
        memcpy(p, s, n);
        r->used += n;
        return p;
    }
    char *p = malloc(n);
    if (p != NULL) memcpy(p, s, n);
    *heap = 1;
    return p;
}

int http_response_set_header(http_response *r, const char *name, const char *value)
{
    if (name == NULL || value == NULL) return -1;
    int i = find(r, name), heap;
    if (i >= 0) {
        /* The value changes; the name stays as first written (a proxy may compare it). */
        char *v = keep(r, value, &heap);
        if (v == NULL) return -1;
        if (r->h[i].heap & 2) free(r->h[i].value);
        r->h[i].value = v;
        r->h[i].heap = (unsigned char)((r->h[i].heap & 1) | (heap ? 2 : 0));
        return 0;
    }
    if (r->nh == HTTP_RESP_HEADERS) {
        log_msg(LOG_ERROR, "an answer has more than %d headers: %s left out", HTTP_RESP_HEADERS, name);
        return -1;
    }
    int hn, hv;
    char *n = keep(r, name, &hn);
    char *v = n ? keep(r, value, &hv) : NULL;
    if (v == NULL) {
        if (n != NULL && hn) free(n);
        return -1;
    }
    r->h[r->nh].name = n;
    r->h[r->nh].value = v;
    r->h[r->nh].heap = (unsigned char)((hn ? 1 : 0) | (hv ? 2 : 0));
    r->nh++;
    return 0;
}

void http_response_remove_header(http_response *r, const char *name)
{
    int i = find(r, name);
    if (i < 0) return;
    drop_texts(r, i);
    for (int k = i + 1; k < r->nh; k++) r->h[k - 1] = r->h[k];
    r->nh--;
}

void http_response_take_body(http_response *r, char *body, size_t len)
{
    free(r->body);
    r->body = body;
    r->len = body != NULL ? len : 0;
}

int http_response_set_body(http_response *r, int status, const void *data, size_t len)
{
    r->status = status;
    char *b = NULL;
    if (len > 0) {
        b = malloc(len + 1); /* with a NUL after it, as a C string reader would want */
        if (b == NULL) {
            http_response_take_body(r, NULL, 0);
            return -1;
        }
        memcpy(b, data, len);
        b[len] = '\0';
    }
    http_response_take_body(r, b, len);
    return 0;
}
