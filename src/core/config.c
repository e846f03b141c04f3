#include "bdhvs/config.h"
#include "bdhvs/client_addr.h"
#include "bdhvs/log.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int config_parse_int(const char *s, long min, long max, long *out)
{
    if (s == NULL || *s == '\0') return -1;
    for (const char *p = s; *p; p++)
        if ((*p < '0' || *p > '9') && !(p == s && *p == '-')) return -1;
    errno = 0;
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) return -1;
    *out = v;
    return 0;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Reads an optional integer variable; absent leaves *out at its default. */
static int env_int(const char *name, long min, long max, int *out, char *err, size_t errlen)
{
    const char *s = getenv(name);
    if (s == NULL) return 0;
    long v;
    if (config_parse_int(s, min, max, &v) != 0)
        return fail(err, errlen, "%s must be a whole number from %ld to %ld, not \"%s\"", name,
                    min, max, s);
    *out = (int)v;
    return 0;
}

/* The whole-number settings: name, range, default and field. A new one is one line here (and
 * one in serve --help and the README). hash_concurrency's default (-1 here) is the number of
 * processors, set in config_load. */
typedef struct int_setting {
    const char *name;
    long min, max;
    int def;
    size_t field;
} int_setting;

#define INT_SETTING(name, min, max, def, field) {name, min, max, def, offsetof(bdhvs_config, field)}
static const int_setting INT_SETTINGS[] = {
    INT_SETTING("BDHVS_DB_POOL", 1, 512, 8, db_pool),
    INT_SETTING("BDHVS_DB_ACQUIRE_MS", 1, 600000, 2000, db_acquire_ms),
    INT_SETTING("BDHVS_THREADS", 1, 1024, 8, threads),
    INT_SETTING("BDHVS_ACCESS_TTL", 30, 86400, 900, access_ttl),
    INT_SETTING("BDHVS_REFRESH_TTL", 60, 90 * 86400, 14 * 24 * 3600, refresh_ttl),
    INT_SETTING("BDHVS_CONN_TIMEOUT", 1, 3600, 30, conn_timeout),
    INT_SETTING("BDHVS_CONN_LIMIT", 1, 100000, 1000, conn_limit),
    INT_SETTING("BDHVS_PER_IP_LIMIT", 1, 100000, 200, per_ip_limit),
    INT_SETTING("BDHVS_LOGIN_MAX_PER_USER", 1, 1000, 5, login_max_user),
    INT_SETTING("BDHVS_LOGIN_MAX_PER_IP", 1, 100000, 30, login_max_ip),
    INT_SETTING("BDHVS_LOGIN_WINDOW", 1, 86400, 900, login_window),
    INT_SETTING("BDHVS_HEAD_TIMEOUT", 1, 3600, 10, head_timeout),
    INT_SETTING("BDHVS_BODY_TIMEOUT", 1, 86400, 120, body_timeout),
    INT_SETTING("BDHVS_HEAVY_THREADS", 1, 256, 2, heavy_threads),
    INT_SETTING("BDHVS_QUEUE_MS", 100, 600000, 15000, queue_ms),
    INT_SETTING("BDHVS_LOGIN_MAX_PER_ACCOUNT", 1, 100000, 50, login_max_account),
    INT_SETTING("BDHVS_SESSION_MAX_AGE", 60, 366 * 86400, 30 * 24 * 3600, session_max_age),
    INT_SETTING("BDHVS_REFRESH_GRACE", 0, 300, 10, refresh_grace),
    INT_SETTING("BDHVS_HASH_CONCURRENCY", 1, 256, -1, hash_concurrency),
    INT_SETTING("BDHVS_HASH_QUEUE_MS", 0, 600000, 2000, hash_queue_ms),
    INT_SETTING("BDHVS_IO_THREADS", 1, 64, 2, io_threads),
    INT_SETTING("BDHVS_TRANSFER_HORIZON_DAYS", 0, 3660, 31, transfer_horizon_days),
    INT_SETTING("BDHVS_AUDIT_PSEUDONYMISE_DAYS", 1, 36500, 365, audit_pseudonymise_days),
    INT_SETTING("BDHVS_CHANGES_RETENTION_DAYS", 1, 3650, 30, changes_retention_days),
    INT_SETTING("BDHVS_WEBHOOK_RETRY_BASE_MS", 10, 3600000, 10000, webhook_retry_base_ms),
    INT_SETTING("BDHVS_WEBHOOK_GIVE_UP_SECONDS", 1, 30 * 86400, 86400, webhook_give_up_seconds),
    INT_SETTING("BDHVS_WEBHOOK_TIMEOUT_MS", 100, 120000, 10000, webhook_timeout_ms),
    INT_SETTING("BDHVS_WEBHOOK_THREADS", 0, 64, 2, webhook_threads),
    INT_SETTING("BDHVS_WEBHOOK_OVERDUE_SECONDS", 1, 86400, 300, webhook_overdue_seconds),
    INT_SETTING("BDHVS_WEBHOOK_OVERDUE_DAYS", 1, 366, 7, webhook_overdue_days),
};

static int copy_str(char *dst, size_t dstlen, const char *src, const char *name, char *err,
                    size_t errlen)
{
    size_t n = strlen(src);
    if (n >= dstlen) return fail(err, errlen, "%s is too long (at most %zu bytes)", name, dstlen - 1);
    memcpy(dst, src, n + 1);
    return 0;
}

/* NAME's value, or the text of the file NAME_FILE names (Docker and Compose secrets), without
 * its trailing line break. Setting both is refused, as is a file that cannot be read, holds a NUL
 * byte or does not fit; the messages name the variables and the path, never the value.
 * Returns -1 on error (err set), 0 when neither is set, 1 when *out holds the value. */
static int env_secret(const char *name, char *out, size_t outlen, char *err, size_t errlen)
{
    char fname[64];
    snprintf(fname, sizeof fname, "%s_FILE", name);
    const char *v = getenv(name), *path = getenv(fname);
    if (path != NULL && *path == '\0') path = NULL;
    if (v != NULL && *v != '\0' && path != NULL)
        return fail(err, errlen, "set %s or %s, not both", name, fname);
    if (path == NULL) {
        if (v == NULL || *v == '\0') return 0;
        return copy_str(out, outlen, v, name, err, errlen) != 0 ? -1 : 1;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) return fail(err, errlen, "%s: cannot read %s: %s", fname, path, strerror(errno));
    size_t n = fread(out, 1, outlen, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) return fail(err, errlen, "%s: cannot read %s", fname, path);
    if (n >= outlen) return fail(err, errlen, "%s: %s is too long (at most %zu bytes)", fname, path, outlen - 1);
    if (memchr(out, '\0', n) != NULL) return fail(err, errlen, "%s: %s holds a NUL byte", fname, path);
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r')) n--;
    out[n] = '\0';
    if (n == 0) return fail(err, errlen, "%s: %s is empty", fname, path);
    return 1;
}

static int parse_listen(const char *name, const char *s, char host[64], int *port_out, char *err,
                        size_t errlen)
{
    const char *colon = strrchr(s, ':');
    if (colon == NULL || colon == s)
        return fail(err, errlen, "%s must be HOST:PORT (an IPv4 address or a host name), not \"%s\"", name, s);
    size_t hl = (size_t)(colon - s);
    if (hl >= 64) return fail(err, errlen, "%s host is too long", name);
    memcpy(host, s, hl);
    host[hl] = '\0';
    long port;
    if (config_parse_int(colon + 1, 1, 65535, &port) != 0)
        return fail(err, errlen, "%s port must be 1-65535, not \"%s\"", name, colon + 1);
    *port_out = (int)port;
    return 0;
}

int config_load(bdhvs_config *cfg, int need_secret, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < sizeof INT_SETTINGS / sizeof INT_SETTINGS[0]; i++)
        *(int *)((char *)cfg + INT_SETTINGS[i].field) = INT_SETTINGS[i].def;
    cfg->max_body = 10 * 1024 * 1024;
    cfg->log_level = LOG_INFO;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->hash_concurrency = ncpu < 1 ? 1 : ncpu > 256 ? 256 : (int)ncpu;

    int have_url = env_secret("BDHVS_DATABASE_URL", cfg->database_url, sizeof cfg->database_url, err, errlen);
    if (have_url < 0) return -1;
    if (have_url == 0)
        snprintf(cfg->database_url, sizeof cfg->database_url, "%s",
                 "host=127.0.0.1 port=54320 dbname=bdhvs user=bdhvs_app");

    const char *listen = getenv("BDHVS_LISTEN");
    if (parse_listen("BDHVS_LISTEN", listen ? listen : "127.0.0.1:8080", cfg->listen_host,
                     &cfg->listen_port, err, errlen) != 0)
        return -1;
    const char *ops = getenv("BDHVS_OPS_LISTEN");
    if (ops != NULL && *ops != '\0') {
        if (parse_listen("BDHVS_OPS_LISTEN", ops, cfg->ops_host, &cfg->ops_port, err, errlen) != 0)
            return -1;
        if (cfg->ops_port == cfg->listen_port && strcmp(cfg->ops_host, cfg->listen_host) == 0)
            return fail(err, errlen, "BDHVS_OPS_LISTEN must differ from BDHVS_LISTEN");
    }

    int have_secret = env_secret("BDHVS_JWT_SECRET", cfg->jwt_secret, sizeof cfg->jwt_secret, err, errlen);
    if (have_secret < 0) return -1;
    cfg->jwt_secret_len = have_secret ? strlen(cfg->jwt_secret) : 0;
    if (need_secret && cfg->jwt_secret_len < 32)
        return fail(err, errlen, "BDHVS_JWT_SECRET must be set to at least 32 bytes (it has %zu)",
                    cfg->jwt_secret_len);
    /* The key that seals webhook secrets, apart from the JWT secret (so that either can be
     * rotated alone); unset, the JWT secret serves as before. */
    int have_hook = env_secret("BDHVS_WEBHOOK_SECRET", cfg->webhook_secret, sizeof cfg->webhook_secret, err, errlen);
    if (have_hook < 0) return -1;
    cfg->webhook_secret_len = have_hook ? strlen(cfg->webhook_secret) : 0;
    if (have_hook && cfg->webhook_secret_len < 32)
        return fail(err, errlen, "BDHVS_WEBHOOK_SECRET must be at least 32 bytes (it has %zu), or unset",
                    cfg->webhook_secret_len);

    long body = (long)cfg->max_body;
    const char *mb = getenv("BDHVS_MAX_BODY");
    if (mb != NULL && config_parse_int(mb, 1024, 1024L * 1024 * 1024, &body) != 0)
        return fail(err, errlen, "BDHVS_MAX_BODY must be a byte count from 1024 to 1073741824, not \"%s\"", mb);
    cfg->max_body = (size_t)body;

    for (size_t i = 0; i < sizeof INT_SETTINGS / sizeof INT_SETTINGS[0]; i++) {
        const int_setting *t = &INT_SETTINGS[i];
        if (env_int(t->name, t->min, t->max, (int *)((char *)cfg + t->field), err, errlen)) return -1;
    }
    const char *proxies = getenv("BDHVS_TRUSTED_PROXIES");
    if (proxies != NULL) {
        if (copy_str(cfg->trusted_proxies, sizeof cfg->trusted_proxies, proxies, "BDHVS_TRUSTED_PROXIES", err,
                     errlen) != 0)
            return -1;
        char bad[64];
        if (client_addr_check_list(cfg->trusted_proxies, bad, sizeof bad) != 0)
            return fail(err, errlen, "BDHVS_TRUSTED_PROXIES must list IP addresses or CIDRs separated by commas; \"%s\" is not one", bad);
    }

    cfg->import_max_rows = 200000;
    const char *imr = getenv("BDHVS_IMPORT_MAX_ROWS");
    if (imr != NULL && config_parse_int(imr, 1, 100000000, &cfg->import_max_rows) != 0)
        return fail(err, errlen, "BDHVS_IMPORT_MAX_ROWS must be a row count from 1 to 100000000, not \"%s\"", imr);

    const char *cors = getenv("BDHVS_CORS_ORIGINS");
    if (cors && copy_str(cfg->cors_origins, sizeof cfg->cors_origins, cors, "BDHVS_CORS_ORIGINS",
                         err, errlen) != 0)
        return -1;

    const char *rc = getenv("BDHVS_REFRESH_COOKIE");
    if (rc != NULL && *rc != '\0') {
        if (strcmp(rc, "off") == 0) cfg->refresh_cookie = 0;
        else if (strcmp(rc, "on") == 0) cfg->refresh_cookie = 1;
        else if (strcmp(rc, "secure") == 0) cfg->refresh_cookie = 2;
        else return fail(err, errlen, "BDHVS_REFRESH_COOKIE must be off, on or secure, not \"%s\"", rc);
    }

    const char *lvl = getenv("BDHVS_LOG_LEVEL");
    if (lvl != NULL) {
        cfg->log_level = log_level_parse(lvl);
        if (cfg->log_level < 0)
            return fail(err, errlen, "BDHVS_LOG_LEVEL must be error, warn, info or debug, not \"%s\"", lvl);
    }

    const char *dir = getenv("BDHVS_MIGRATIONS_DIR");
    if (copy_str(cfg->migrations_dir, sizeof cfg->migrations_dir,
                 dir ? dir : BDHVS_SOURCE_DIR "/migrations", "BDHVS_MIGRATIONS_DIR", err,
                 errlen) != 0)
        return -1;

    /* The owner role's connection: BDHVS_MIGRATE_DATABASE_URL, else BDHVS_DATABASE_URL when set,
     * else the owner of scripts/run's cluster. */
    int have_murl = env_secret("BDHVS_MIGRATE_DATABASE_URL", cfg->migrate_database_url,
                               sizeof cfg->migrate_database_url, err, errlen);
    if (have_murl < 0) return -1;
    if (have_murl == 0)
        snprintf(cfg->migrate_database_url, sizeof cfg->migrate_database_url, "%s",
                 have_url ? cfg->database_url : "host=127.0.0.1 port=54320 dbname=bdhvs user=bdhvs_owner");
    const char *hooks = getenv("BDHVS_WEBHOOK_HOSTS");
    if (hooks && copy_str(cfg->webhook_hosts, sizeof cfg->webhook_hosts, hooks, "BDHVS_WEBHOOK_HOSTS", err, errlen) != 0)
        return -1;
    return 0;
}
