#include "bdhvs/config.h"
#include "bdhvs/client_addr.h"
#include "bdhvs/log.h"

#include <errno.h>
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
    cfg->db_pool = 8;
    cfg->db_acquire_ms = 2000;
    cfg->threads = 8;
    cfg->max_body = 10 * 1024 * 1024;
    cfg->log_level = LOG_INFO;
    cfg->access_ttl = 900;
    cfg->refresh_ttl = 14 * 24 * 3600;
    cfg->conn_timeout = 30;
    cfg->conn_limit = 1000;
    cfg->per_ip_limit = 200;
    cfg->login_max_user = 5;
    cfg->login_max_ip = 30;
    cfg->login_window = 900;
    cfg->head_timeout = 10;
    cfg->body_timeout = 120;
    cfg->heavy_threads = 2;
    cfg->queue_ms = 15000;
    cfg->login_max_account = 50;
    cfg->session_max_age = 30 * 24 * 3600;
    cfg->refresh_grace = 10;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->hash_concurrency = ncpu < 1 ? 1 : ncpu > 256 ? 256 : (int)ncpu;
    cfg->hash_queue_ms = 2000;

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

    long body = (long)cfg->max_body;
    const char *mb = getenv("BDHVS_MAX_BODY");
    if (mb != NULL && config_parse_int(mb, 1024, 1024L * 1024 * 1024, &body) != 0)
        return fail(err, errlen, "BDHVS_MAX_BODY must be a byte count from 1024 to 1073741824, not \"%s\"", mb);
    cfg->max_body = (size_t)body;

    if (env_int("BDHVS_DB_POOL", 1, 512, &cfg->db_pool, err, errlen) ||
        env_int("BDHVS_DB_ACQUIRE_MS", 1, 600000, &cfg->db_acquire_ms, err, errlen) ||
        env_int("BDHVS_THREADS", 1, 1024, &cfg->threads, err, errlen) ||
        env_int("BDHVS_ACCESS_TTL", 30, 86400, &cfg->access_ttl, err, errlen) ||
        env_int("BDHVS_REFRESH_TTL", 60, 90 * 86400, &cfg->refresh_ttl, err, errlen) ||
        env_int("BDHVS_CONN_TIMEOUT", 1, 3600, &cfg->conn_timeout, err, errlen) ||
        env_int("BDHVS_CONN_LIMIT", 1, 100000, &cfg->conn_limit, err, errlen) ||
        env_int("BDHVS_PER_IP_LIMIT", 1, 100000, &cfg->per_ip_limit, err, errlen) ||
        env_int("BDHVS_LOGIN_MAX_PER_USER", 1, 1000, &cfg->login_max_user, err, errlen) ||
        env_int("BDHVS_LOGIN_MAX_PER_IP", 1, 100000, &cfg->login_max_ip, err, errlen) ||
        env_int("BDHVS_LOGIN_WINDOW", 1, 86400, &cfg->login_window, err, errlen) ||
        env_int("BDHVS_HEAD_TIMEOUT", 1, 3600, &cfg->head_timeout, err, errlen) ||
        env_int("BDHVS_BODY_TIMEOUT", 1, 86400, &cfg->body_timeout, err, errlen) ||
        env_int("BDHVS_HEAVY_THREADS", 1, 256, &cfg->heavy_threads, err, errlen) ||
        env_int("BDHVS_QUEUE_MS", 100, 600000, &cfg->queue_ms, err, errlen))
        return -1;
    if (env_int("BDHVS_LOGIN_MAX_PER_ACCOUNT", 1, 100000, &cfg->login_max_account, err, errlen) ||
        env_int("BDHVS_SESSION_MAX_AGE", 60, 366 * 86400, &cfg->session_max_age, err, errlen) ||
        env_int("BDHVS_REFRESH_GRACE", 0, 300, &cfg->refresh_grace, err, errlen) ||
        env_int("BDHVS_HASH_CONCURRENCY", 1, 256, &cfg->hash_concurrency, err, errlen) ||
        env_int("BDHVS_HASH_QUEUE_MS", 0, 600000, &cfg->hash_queue_ms, err, errlen))
        return -1;
    const char *proxies = getenv("BDHVS_TRUSTED_PROXIES");
    if (proxies != NULL) {
        if (copy_str(cfg->trusted_proxies, sizeof cfg->trusted_proxies, proxies, "BDHVS_TRUSTED_PROXIES", err,
                     errlen) != 0)
            return -1;
        char bad[64];
        if (client_addr_check_list(cfg->trusted_proxies, bad, sizeof bad) != 0)
            return fail(err, errlen, "BDHVS_TRUSTED_PROXIES must list IP addresses or CIDRs separated by commas; \"%s\" is not one", bad);
    }

    cfg->io_threads = 4;
    if (env_int("BDHVS_IO_THREADS", 2, 64, &cfg->io_threads, err, errlen)) return -1;

    cfg->transfer_horizon_days = 31;
    if (env_int("BDHVS_TRANSFER_HORIZON_DAYS", 0, 3660, &cfg->transfer_horizon_days, err, errlen)) return -1;

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
    cfg->audit_pseudonymise_days = 365;
    if (env_int("BDHVS_AUDIT_PSEUDONYMISE_DAYS", 1, 36500, &cfg->audit_pseudonymise_days, err, errlen)) return -1;
    cfg->changes_retention_days = 30;
    if (env_int("BDHVS_CHANGES_RETENTION_DAYS", 1, 3650, &cfg->changes_retention_days, err, errlen)) return -1;
    cfg->webhook_retry_base_ms = 10000;
    cfg->webhook_give_up_seconds = 86400;
    cfg->webhook_timeout_ms = 10000;
    cfg->webhook_threads = 2;
    cfg->webhook_overdue_seconds = 300;
    cfg->webhook_overdue_days = 7;
    if (env_int("BDHVS_WEBHOOK_RETRY_BASE_MS", 10, 3600000, &cfg->webhook_retry_base_ms, err, errlen) ||
        env_int("BDHVS_WEBHOOK_GIVE_UP_SECONDS", 1, 30 * 86400, &cfg->webhook_give_up_seconds, err, errlen) ||
        env_int("BDHVS_WEBHOOK_TIMEOUT_MS", 100, 120000, &cfg->webhook_timeout_ms, err, errlen) ||
        env_int("BDHVS_WEBHOOK_THREADS", 0, 64, &cfg->webhook_threads, err, errlen) ||
        env_int("BDHVS_WEBHOOK_OVERDUE_SECONDS", 1, 86400, &cfg->webhook_overdue_seconds, err, errlen) ||
        env_int("BDHVS_WEBHOOK_OVERDUE_DAYS", 1, 366, &cfg->webhook_overdue_days, err, errlen))
        return -1;
    const char *hooks = getenv("BDHVS_WEBHOOK_HOSTS");
    if (hooks && copy_str(cfg->webhook_hosts, sizeof cfg->webhook_hosts, hooks, "BDHVS_WEBHOOK_HOSTS", err, errlen) != 0)
        return -1;
    return 0;
}
