/* The client's address through trusted reverse proxies. Pure functions: no globals, no I/O. */
#include "bdhvs/client_addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An address in 16 bytes: IPv4 as IPv4-mapped IPv6, so that both compare alike. */
typedef struct addr16 {
    unsigned char b[16];
} addr16;

/* Parses an IP address (IPv4, IPv6, IPv4-mapped IPv6) of n bytes at s. 0 on success. */
static int parse_ip(const char *s, size_t n, addr16 *a)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf) return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    struct in_addr v4;
    if (inet_pton(AF_INET, buf, &v4) == 1) {
        memset(a->b, 0, 10);
        a->b[10] = a->b[11] = 0xff;
        memcpy(a->b + 12, &v4, 4);
        return 0;
    }
    return inet_pton(AF_INET6, buf, a->b) == 1 ? 0 : -1;
}

static int is_v4(const addr16 *a)
{
    static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(a->b, prefix, 12) == 0;
}

/* Parses "ADDRESS" or "ADDRESS/BITS" of n bytes into a network and a prefix length in the
 * 128-bit space. 0 on success. */
static int parse_cidr(const char *s, size_t n, addr16 *net, int *bits)
{
    const char *slash = memchr(s, '/', n);
    size_t alen = slash ? (size_t)(slash - s) : n;
    if (parse_ip(s, alen, net) != 0) return -1;
    int max = is_v4(net) ? 32 : 128;
    *bits = max;
    if (slash) {
        size_t dl = n - alen - 1;
        if (dl == 0 || dl > 3) return -1;
        int v = 0;
        for (size_t i = 0; i < dl; i++) {
            char ch = slash[1 + i];
            if (ch < '0' || ch > '9') return -1;
            v = v * 10 + (ch - '0');
        }
        if (v > max) return -1;
        *bits = v;
    }
    if (max == 32) *bits += 96;
    return 0;
}

static int in_net(const addr16 *a, const addr16 *net, int bits)
{
    int full = bits / 8, rest = bits % 8;
    if (memcmp(a->b, net->b, (size_t)full) != 0) return 0;
    if (rest == 0) return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a->b[full] & mask) == (net->b[full] & mask);
}

/* Calls fn on each comma-separated item of list, trimmed of spaces and tabs; stops when fn
 * returns non-zero and returns that value. Empty items are skipped. */
typedef int (*item_fn)(const char *s, size_t n, void *arg);

static int each_item(const char *list, item_fn fn, void *arg)
{
    const char *p = list;
    while (p && *p) {
        const char *e = strchr(p, ',');
        if (e == NULL) e = p + strlen(p);
        const char *a = p, *b = e;
        while (a < b && (*a == ' ' || *a == '\t')) a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
        if (b > a) {
            int rc = fn(a, (size_t)(b - a), arg);
            if (rc != 0) return rc;
        }
        p = *e ? e + 1 : e;
    }
    return 0;
}

typedef struct check_arg {
    char *bad;
    size_t badlen;
} check_arg;

static int check_one(const char *s, size_t n, void *arg)
{
    addr16 net;
    int bits;
    if (parse_cidr(s, n, &net, &bits) == 0) return 0;
    check_arg *ca = arg;
    snprintf(ca->bad, ca->badlen, "%.*s", (int)(n > 60 ? 60 : n), s);
    return -1;
}

int client_addr_check_list(const char *list, char *bad, size_t badlen)
{
    check_arg ca = {bad, badlen};
    return each_item(list, check_one, &ca) == 0 ? 0 : -1;
}

static int match_one(const char *s, size_t n, void *arg)
{
    addr16 net;
    int bits;
    return parse_cidr(s, n, &net, &bits) == 0 && in_net(arg, &net, bits);
}

static int trusted_addr(const addr16 *a, const char *trusted)
{
    return trusted != NULL && each_item(trusted, match_one, (void *)a) == 1;
}

static void write_addr(const addr16 *a, char *out, size_t len)
{
    char buf[INET6_ADDRSTRLEN];
    const char *t = is_v4(a) ? inet_ntop(AF_INET, a->b + 12, buf, sizeof buf)
                             : inet_ntop(AF_INET6, a->b, buf, sizeof buf);
    snprintf(out, len, "%s", t ? t : "-");
}

void client_addr_resolve(const char *peer, const char *xff, const char *trusted, char *out, size_t len)
{
    addr16 cur;
    if (peer == NULL || parse_ip(peer, strlen(peer), &cur) != 0) {
        snprintf(out, len, "%s", peer ? peer : "-");
        return;
    }
    if (xff != NULL && trusted_addr(&cur, trusted)) {
        /* Right to left: each hop we trust vouches for the one before it. */
        const char *end = xff + strlen(xff);
        while (end > xff) {
            const char *start = end;
            while (start > xff && start[-1] != ',') start--;
            const char *a = start, *b = end;
            while (a < b && (*a == ' ' || *a == '\t')) a++;
            while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
            end = start > xff ? start - 1 : xff;
            if (a == b) continue;
            addr16 hop;
            if (parse_ip(a, (size_t)(b - a), &hop) != 0) break; /* garbage: keep the last trusted hop */
            cur = hop;
            if (!trusted_addr(&cur, trusted)) break;
        }
    }
    write_addr(&cur, out, len);
}

void client_addr_throttle_unit(const char *addr, char *out, size_t len)
{
    addr16 a;
    if (addr == NULL || parse_ip(addr, strlen(addr), &a) != 0 || is_v4(&a)) {
        snprintf(out, len, "%s", addr ? addr : "-");
        return;
    }
    memset(a.b + 8, 0, 8);
    char buf[INET6_ADDRSTRLEN];
    snprintf(out, len, "%s/64", inet_ntop(AF_INET6, a.b, buf, sizeof buf) ? buf : "-");
}
