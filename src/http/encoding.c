/* The text rules of content negotiation and of an answer's last touches: which coding an
 * Accept-Encoding value prefers, whether an If-None-Match list names a tag (weak comparison), the
 * Content-Disposition of a download, and gzip itself (zlib). No request, no connection. */
#include "bdhvs/http_text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

static const char *skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

int http_qvalue(const char *s, size_t n)
{
    if (n == 0 || (s[0] != '0' && s[0] != '1')) return -1;
    int v = (s[0] - '0') * 1000;
    if (n == 1) return v;
    if (s[1] != '.' || n > 5) return -1;
    int scale = 100;
    for (size_t i = 2; i < n; i++, scale /= 10) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v += (s[i] - '0') * scale;
    }
    return v > 1000 ? -1 : v;
}

int http_accepts_gzip(const char *accept_encoding)
{
    if (accept_encoding == NULL) return 0;
    int q_gzip = -1, q_identity = -1, q_star = -1;
    const char *p = accept_encoding;
    while (*p) {
        p = skip_ows(p);
        const char *name = p;
        while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t') p++;
        size_t nl = (size_t)(p - name);
        int q = 1000, bad = 0;
        /* parameters: only q counts; anything malformed drops the element */
        for (;;) {
            p = skip_ows(p);
            if (*p != ';') break;
            p = skip_ows(p + 1);
            const char *k = p;
            while (*p && *p != '=' && *p != ',' && *p != ';') p++;
            if (*p != '=') {
                bad = 1;
                break;
            }
            size_t kl = (size_t)(p - k);
            const char *v = ++p;
            while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t') p++;
            if (kl == 1 && (k[0] == 'q' || k[0] == 'Q')) {
                q = http_qvalue(v, (size_t)(p - v));
                if (q < 0) bad = 1;
            }
        }
        p = skip_ows(p);
        if (*p != ',' && *p != '\0') bad = 1;
        while (*p && *p != ',') p++;
        if (*p == ',') p++;
        if (bad || nl == 0) continue;
        /* A coding named twice keeps its first q. */
        if ((nl == 4 && strncasecmp(name, "gzip", 4) == 0) || (nl == 6 && strncasecmp(name, "x-gzip", 6) == 0)) {
            if (q_gzip < 0) q_gzip = q;
        } else if (nl == 8 && strncasecmp(name, "identity", 8) == 0) {
            if (q_identity < 0) q_identity = q;
        } else if (nl == 1 && name[0] == '*') {
            if (q_star < 0) q_star = q;
        }
    }
    if (q_gzip < 0) q_gzip = q_star; /* "*" stands for every coding not named */
    if (q_gzip <= 0) return 0;
    if (q_identity < 0) q_identity = q_star; /* unnamed identity: acceptable, preferred by nobody */
    return q_identity < 0 || q_gzip >= q_identity;
}

/* The opaque tag of an entity tag (W/ dropped): its start and length, quotes included. */
static int opaque_tag(const char *tag, const char **start, size_t *len)
{
    if (strncmp(tag, "W/", 2) == 0) tag += 2;
    if (*tag != '"') return -1;
    const char *end = strchr(tag + 1, '"');
    if (end == NULL) return -1;
    *start = tag;
    *len = (size_t)(end + 1 - tag);
    return 0;
}

int http_if_none_match_matches(const char *if_none_match, const char *etag)
{
    const char *want;
    size_t wl;
    if (if_none_match == NULL || opaque_tag(etag, &want, &wl) != 0) return 0;
    const char *p = if_none_match;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        if (*p == '\0') break;
        int match = 0;
        const char *end = p;
        if (*p == '*') {
            match = 1;
            end = p + 1;
        } else {
            const char *s = p;
            if (strncmp(s, "W/", 2) == 0) s += 2;
            if (*s == '"') {
                const char *close = strchr(s + 1, '"');
                if (close != NULL) {
                    end = close + 1;
                    match = (size_t)(end - s) == wl && memcmp(s, want, wl) == 0;
                }
            }
        }
        /* An item counts only whole: then spaces up to a comma or the end. */
        if (end != p) {
            end = skip_ows(end);
            if (*end == ',' || *end == '\0') {
                if (match) return 1;
                p = end;
                continue;
            }
        }
        while (*p && *p != ',') p++; /* a malformed item matches nothing */
    }
    return 0;
}

/* Bytes a file name may keep as they are in the quoted ASCII form. */
static int plain_name_byte(unsigned char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
           ch == '_';
}

/* RFC 8187 attr-char: what filename* keeps without percent-encoding. */
static int attr_char(unsigned char ch)
{
    return plain_name_byte(ch) || strchr("!#$&+^`|~", ch) != NULL;
}

int http_content_disposition(char *buf, size_t len, const char *name)
{
    char ascii[256];
    size_t n = 0;
    int plain = 1;
    for (const unsigned char *p = (const unsigned char *)name; *p && n + 1 < sizeof ascii; p++) {
        if (plain_name_byte(*p)) {
            ascii[n++] = (char)*p;
            continue;
        }
        plain = 0;
        if ((*p & 0xC0) == 0x80) continue; /* one _ for a whole UTF-8 character */
        ascii[n++] = '_';
    }
    ascii[n] = '\0';
    int w = snprintf(buf, len, "attachment; filename=\"%s\"", ascii);
    if (w < 0 || (size_t)w >= len) return -1;
    if (plain) return 0;
    size_t at = (size_t)w;
    w = snprintf(buf + at, len - at, "; filename*=UTF-8''");
    if (w < 0 || at + (size_t)w >= len) return -1;
    at += (size_t)w;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        /* Path separators and control characters never reach a file name, encoded or not. */
        unsigned char ch = (*p == '/' || *p == '\\' || *p < 0x20 || *p == 0x7F) ? '_' : *p;
        w = attr_char(ch) ? snprintf(buf + at, len - at, "%c", ch) : snprintf(buf + at, len - at, "%%%02X", ch);
        if (w < 0 || at + (size_t)w >= len) return -1;
        at += (size_t)w;
    }
    return 0;
}

int http_gzip(const void *data, size_t len, int level, char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    z_stream s;
    memset(&s, 0, sizeof s);
    /* 15 + 16: a gzip wrapper (RFC 1952) around the deflate stream, which Content-Encoding: gzip means. */
    if (deflateInit2(&s, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -1;
    uLong cap = deflateBound(&s, (uLong)len);
    char *buf = malloc(cap);
    if (buf == NULL) {
        deflateEnd(&s);
        return -1;
    }
    s.next_in = (Bytef *)(uintptr_t)data;
    s.avail_in = (uInt)len;
    s.next_out = (Bytef *)buf;
    s.avail_out = (uInt)cap;
    int rc = len > 0xFFFFFFFFu ? Z_BUF_ERROR : deflate(&s, Z_FINISH);
    size_t made = (size_t)s.total_out;
    deflateEnd(&s);
    if (rc != Z_STREAM_END) {
        free(buf);
        return -1;
    }
    *out = buf;
    *out_len = made;
    return 0;
}
