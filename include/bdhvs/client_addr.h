/* The client's address, as seen through trusted reverse proxies (BDHVS_TRUSTED_PROXIES). */
#ifndef BDHVS_CLIENT_ADDR_H
#define BDHVS_CLIENT_ADDR_H

#include <stddef.h>

/* Checks a comma-separated list of IP addresses and CIDRs (spaces around items allowed, empty
 * list allowed). Returns 0, or -1 with the first bad item copied into bad. */
int client_addr_check_list(const char *list, char *bad, size_t badlen);

/* The address a request comes from. peer is the TCP peer's address as text; xff the
 * X-Forwarded-For header (NULL when absent); trusted the proxy list. When the peer is not a
 * trusted proxy (or no list is set), the answer is the peer. Otherwise the X-Forwarded-For
 * entries are read right to left and the first one that is not itself a trusted proxy is the
 * answer; when every entry is trusted, the left-most; when an entry is not an IP address, the
 * last trusted hop before it (the peer when it is the right-most). The answer is written in
 * canonical form (inet_ntop) into out. */
void client_addr_resolve(const char *peer, const char *xff, const char *trusted, char *out, size_t len);

/* The unit in which sign-in throttling counts an address: an IPv4 address itself, an IPv6
 * address's /64 network written "PREFIX/64" (one host usually holds a whole /64). Anything else
 * is copied. */
void client_addr_throttle_unit(const char *addr, char *out, size_t len);

#endif
