/* Signed webhooks (issue 12 §3), shared by the routes (webhooks.c) and the delivery and
 * scheduler threads (webhook_delivery.c). */
#ifndef BDHVS_API_WEBHOOKS_H
#define BDHVS_API_WEBHOOKS_H

#include "bdhvs/config.h"

#include <stddef.h>

/* Why a URL is refused: "" when allowed, else a sentence for a 422 (never the secret). */
typedef struct webhook_url_verdict {
    char why[200];
} webhook_url_verdict;

/* Checks url against the policy (hosts: BDHVS_WEBHOOK_HOSTS): http or https, no user name or password, no fragment, a host in
 * BDHVS_WEBHOOK_HOSTS, resolving only to public addresses unless the allow-list names the host's
 * own IP address. Fills out->why and returns -1 when refused; 0 when allowed. */
int webhook_url_check(const char *hosts, const char *url, webhook_url_verdict *out);

/* Seals secret (len bytes) for the database: the hex text "\x..." of nonce || box, in out (at
 * least 2 * (24 + 16 + len) + 3 bytes). 0, or -1. */
int webhook_secret_seal(const bdhvs_config *cfg, const char *secret, size_t len, char *out, size_t outlen);

/* Opens a sealed secret as PostgreSQL answers a bytea ("\x" and hex) into out. Returns its length,
 * or -1 when it cannot be opened (the sealing secret changed since). With BDHVS_WEBHOOK_SECRET set,
 * a secret sealed before (with the JWT secret's key) opens too: *old_key (when not NULL) is then 1,
 * else 0. */
int webhook_secret_open(const bdhvs_config *cfg, const char *hex, unsigned char *out, size_t outlen, int *old_key);

#endif
