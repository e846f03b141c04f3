/* Configuration from the environment: parsed and checked in one place. */
#ifndef BDHVS_CONFIG_H
#define BDHVS_CONFIG_H

#include <stddef.h>

typedef struct bdhvs_config {
    char database_url[1024];
    char listen_host[64];
    int listen_port;
    char jwt_secret[512];
    size_t jwt_secret_len;
    char webhook_secret[512]; /* BDHVS_WEBHOOK_SECRET: seals webhook secrets; unset (len 0): the JWT secret does */
    size_t webhook_secret_len;
    int db_pool;          /* connections in the pool */
    int db_acquire_ms;    /* how long a request waits for a connection before 503 */
    int threads;          /* HTTP worker threads */
    size_t max_body;      /* bytes; larger bodies get 413 */
    char cors_origins[1024]; /* comma-separated list, "*" for any */
    int log_level;        /* 0 error, 1 warn, 2 info, 3 debug */
    int access_ttl;       /* seconds */
    int refresh_ttl;      /* seconds */
    int conn_timeout;     /* idle HTTP connection timeout, seconds */
    int conn_limit;       /* simultaneous HTTP connections */
    int per_ip_limit;     /* simultaneous connections per client address */
    int login_max_user;   /* failed logins per account per window before a lock */
    int login_max_ip;     /* failed logins per client address per window */
    int login_window;     /* seconds */
    char migrations_dir[512];
    char ops_host[64];    /* BDHVS_OPS_LISTEN: health, readiness and metrics on their own */
    int ops_port;         /* listener and thread; 0 when not set */
    int head_timeout;     /* seconds to receive a request head (and idle keep-alive) */
    int body_timeout;     /* seconds to receive a request body */
    int heavy_threads;    /* workers for password hashing and bulk loads */
    int queue_ms;         /* a request waiting longer for a worker gets 503 */
    long import_max_rows; /* data rows per bulk load (BDHVS_IMPORT_MAX_ROWS) */
    /* issue 8 item 14: the owner role's connection for migrate and audit pseudonymise
     * (BDHVS_MIGRATE_DATABASE_URL, default BDHVS_DATABASE_URL) and the retention age. */
    char migrate_database_url[1024];
    int audit_pseudonymise_days;
    /* accounts hardening (issue 8) */
    int login_max_account; /* failed logins per account per window, from all addresses together */
    char trusted_proxies[1024]; /* BDHVS_TRUSTED_PROXIES: IPs/CIDRs whose X-Forwarded-For is believed */
    int session_max_age;   /* seconds from a password sign-in after which refresh stops working */
    int refresh_grace;     /* seconds in which a rotated refresh token gets the same new pair again */
    int hash_concurrency;  /* password hashings at once */
    int hash_queue_ms;     /* how long a hashing waits for a turn before 503 */
    /* issue 13: BDHVS_REFRESH_COOKIE, the refresh token in an HttpOnly, SameSite=Strict cookie
     * for browser apps: 0 off, 1 on, 2 on with the Secure attribute (behind TLS). */
    int refresh_cookie;
    /* staff transfers (issue 11): how many days ahead a transfer may be dated */
    int transfer_horizon_days; /* BDHVS_TRANSFER_HORIZON_DAYS */
    /* issue 12: the change feed keeps entries this many days (BDHVS_CHANGES_RETENTION_DAYS) */
    int changes_retention_days;
    /* issue 12 §3: signed webhooks (src/api/webhook_delivery.c, docs/integration.md) */
    char webhook_hosts[1024];      /* BDHVS_WEBHOOK_HOSTS: host names (or *.domain, or IPs) receivers may have */
    int webhook_retry_base_ms;     /* BDHVS_WEBHOOK_RETRY_BASE_MS: first retry delay, doubled each time */
    int webhook_give_up_seconds;   /* BDHVS_WEBHOOK_GIVE_UP_SECONDS: a delivery failing this long is parked */
    int webhook_timeout_ms;        /* BDHVS_WEBHOOK_TIMEOUT_MS: connect + request + answer, per attempt */
    int webhook_threads;           /* BDHVS_WEBHOOK_THREADS: delivery threads per process */
    int webhook_overdue_seconds;   /* BDHVS_WEBHOOK_OVERDUE_SECONDS: how often the overdue scan runs */
    int webhook_overdue_days;      /* BDHVS_WEBHOOK_OVERDUE_DAYS: due dates passed this recently are announced */
    /* issue 14: the server's event loops (BDHVS_IO_THREADS), which read and write the sockets and
     * answer single-row reads (HTTP_ROUTE_INLINE) without waiting on the database */
    int io_threads;
} bdhvs_config;

/* Fills cfg from the environment. Returns 0, or -1 with a message in err. For "serve"
 * need_secret is 1: a missing or short BDHVS_JWT_SECRET is an error. */
int config_load(bdhvs_config *cfg, int need_secret, char *err, size_t errlen);

/* Parses a whole decimal integer in [min, max]; returns 0 or -1. */
int config_parse_int(const char *s, long min, long max, long *out);

#endif
