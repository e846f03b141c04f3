/* Signed webhooks, the sending side (issue 12 §3): the delivery threads and the overdue scheduler
 * every serving process runs, the URL policy (no way to reach internal addresses) and the sealing
 * of secrets. The outbox, the claim and the retry arithmetic are SQL (migration 0030).
 *
 * HTTP client: libcurl (GnuTLS flavour, Debian's libcurl4-gnutls-dev, already pulled in by
 * libulfius-dev): real receivers are https, and a TLS client is not something to write here.
 *
 * Each delivery thread has its own connection, LISTENs on bdhvs_webhooks (webhook_emit notifies
 * on commit), claims one delivery at a time with a lease (webhook_claim: FOR UPDATE SKIP LOCKED,
 * the head of its (webhook, unit) line only), sends it and records the outcome. Several threads
 * and several processes share the work; a process that dies mid-send leaves the lease to expire
 * and the delivery is sent again: at least once. */
#include "bdhvs/api.h"
#include "bdhvs/db.h"
#include "bdhvs/log.h"
#include "webhooks.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WEBHOOK_MAX_THREADS 64
/* What is kept of a receiver's answer (for last_error); reading stops past it. */
#define ANSWER_KEEP 512

/* ---- sealing secrets ------------------------------------------------------------------------ */

/* The sealing key: BLAKE2b, keyed with this purpose, of BDHVS_WEBHOOK_SECRET, or of the server's
 * JWT secret when that is unset (or when jwt is set: the key of the secrets sealed before
 * BDHVS_WEBHOOK_SECRET was). */
static void sealing_key(const bdhvs_config *cfg, int jwt, unsigned char key[crypto_secretbox_KEYBYTES])
{
    static const unsigned char purpose[] = "bdhvs webhook secrets v1";
    int own = !jwt && cfg->webhook_secret_len > 0;
    crypto_generichash(key, crypto_secretbox_KEYBYTES,
                       (const unsigned char *)(own ? cfg->webhook_secret : cfg->jwt_secret),
                       own ? cfg->webhook_secret_len : cfg->jwt_secret_len, purpose, sizeof purpose - 1);
}

int webhook_secret_seal(const bdhvs_config *cfg, const char *secret, size_t len, char *out, size_t outlen)
{
    size_t blen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
    if (outlen < 2 * blen + 3 || len > 4096) return -1;
    unsigned char *buf = malloc(blen), key[crypto_secretbox_KEYBYTES];
    if (buf == NULL) return -1;
    sealing_key(cfg, 0, key);
    randombytes_buf(buf, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(buf + crypto_secretbox_NONCEBYTES, (const unsigned char *)secret, len, buf, key);
    sodium_memzero(key, sizeof key);
    memcpy(out, "\\x", 2);
    sodium_bin2hex(out + 2, outlen - 2, buf, blen);
    free(buf);
    return 0;
}

int webhook_secret_open(const bdhvs_config *cfg, const char *hex, unsigned char *out, size_t outlen, int *old_key)
{
    if (strncmp(hex, "\\x", 2) != 0) return -1;
    unsigned char box[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 4096];
    size_t blen = 0;
    if (sodium_hex2bin(box, sizeof box, hex + 2, strlen(hex + 2), NULL, &blen, NULL) != 0 ||
        blen < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
        return -1;
    size_t mlen = blen - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    if (mlen > outlen) return -1;
    unsigned char key[crypto_secretbox_KEYBYTES];
    int rc = -1;
    /* BDHVS_WEBHOOK_SECRET's key (or the JWT secret's when it is unset); then, when it is set, the
     * JWT secret's: a secret sealed before BDHVS_WEBHOOK_SECRET was set. */
    for (int jwt = 0; rc != 0 && jwt <= (cfg->webhook_secret_len > 0); jwt++) {
        sealing_key(cfg, jwt, key);
        rc = crypto_secretbox_open_easy(out, box + crypto_secretbox_NONCEBYTES, blen - crypto_secretbox_NONCEBYTES,
                                        box, key);
        if (rc == 0 && old_key != NULL) *old_key = jwt;
    }
    sodium_memzero(key, sizeof key);
    return rc == 0 ? (int)mlen : -1;
}

/* ---- the URL policy --------------------------------------------------------------------------- */

/* Is host named by the allow-list (comma-separated: a host name, "*.domain" for any name below
 * it, or an IP address), case-insensitively? */
static int host_listed(const char *hosts, const char *host)
{
    size_t hl = strlen(host);
    const char *p = hosts;
    while (*p) {
        while (*p == ',' || *p == ' ') p++;
        const char *e = p;
        while (*e && *e != ',') e++;
        size_t n = (size_t)(e - p);
        while (n > 0 && p[n - 1] == ' ') n--;
        if (n > 2 && p[0] == '*' && p[1] == '.') {
            /* *.example.org: names below example.org, not example.org itself */
            if (hl > n - 1 && strncasecmp(host + hl - (n - 1), p + 1, n - 1) == 0) return 1;
        } else if (n > 0 && n == hl && strncasecmp(host, p, n) == 0) {
            return 1;
        }
        p = e;
    }
    return 0;
}

static int v4_internal(uint32_t a)
{
    uint8_t b0 = (uint8_t)(a >> 24), b1 = (uint8_t)(a >> 16);
    return b0 == 0 || b0 == 10 || b0 == 127 || (b0 == 100 && (b1 & 0xC0) == 64) || (b0 == 169 && b1 == 254) ||
           (b0 == 172 && (b1 & 0xF0) == 16) || (b0 == 192 && b1 == 168) || (b0 == 192 && b1 == 0 && (uint8_t)(a >> 8) == 0) ||
           (b0 == 198 && (b1 & 0xFE) == 18) || b0 >= 224;
}

/* Loopback, private, link-local (cloud metadata), shared, unspecified, multicast or reserved. */
static int addr_internal(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) return v4_internal(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
    if (sa->sa_family != AF_INET6) return 1;
    const unsigned char *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(b, mapped, 12) == 0)
        return v4_internal((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15]);
    int zero = 1;
    for (int i = 0; i < 15; i++) zero &= b[i] == 0;
    if (zero) return 1;                              /* :: and ::1 (and the old compatible forms) */
    return (b[0] & 0xFE) == 0xFC || (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) || b[0] == 0xFF;
}

/* The host of an http(s) URL (without brackets) into host; its scheme's https-ness. -1 when the
 * URL is not one the policy accepts, with why. */
static int url_host(const char *url, char *host, size_t hostlen, char *why, size_t whylen)
{
    const char *rest;
    if (strncasecmp(url, "http://", 7) == 0) rest = url + 7;
    else if (strncasecmp(url, "https://", 8) == 0) rest = url + 8;
    else {
        snprintf(why, whylen, "must be an http:// or https:// URL");
        return -1;
    }
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f) {
            snprintf(why, whylen, "must not hold spaces, control or non-ASCII characters (percent-encode them)");
            return -1;
        }
    if (strchr(url, '#') != NULL) {
        snprintf(why, whylen, "must not have a fragment (#...)");
        return -1;
    }
    size_t alen = strcspn(rest, "/?");
    if (memchr(rest, '@', alen) != NULL) {
        snprintf(why, whylen, "must not hold a user name or password");
        return -1;
    }
    const char *hs = rest, *he;
    if (*hs == '[') {
        he = memchr(hs, ']', alen);
        if (he == NULL) {
            snprintf(why, whylen, "has an unclosed [ in its host");
            return -1;
        }
        hs++;
    } else {
        he = memchr(hs, ':', alen);
        if (he == NULL) he = rest + alen;
    }
    size_t hl = (size_t)(he - hs);
    if (hl == 0 || hl >= hostlen) {
        snprintf(why, whylen, "must name a host");
        return -1;
    }
    memcpy(host, hs, hl);
    host[hl] = '\0';
    const char *after = he + (*he == ']' ? 1 : 0);
    if (after < rest + alen) {
        if (*after != ':') {
            snprintf(why, whylen, "has a malformed host");
            return -1;
        }
        char port[8];
        size_t pl = (size_t)(rest + alen - after - 1);
        long pv = 0;
        if (pl == 0 || pl >= sizeof port) pv = -1;
        else {
            memcpy(port, after + 1, pl);
            port[pl] = '\0';
            if (config_parse_int(port, 1, 65535, &pv) != 0) pv = -1;
        }
        if (pv < 0) {
            snprintf(why, whylen, "must have a port from 1 to 65535");
            return -1;
        }
    }
    for (char *p = host; *p; p++) *p = (char)tolower((unsigned char)*p);
    return 0;
}

static int is_ip_literal(const char *host)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

int webhook_url_check(const char *hosts, const char *url, webhook_url_verdict *out)
{
    out->why[0] = '\0';
    char host[256];
    if (url_host(url, host, sizeof host, out->why, sizeof out->why) != 0) return -1;
    if (!host_listed(hosts, host)) {
        snprintf(out->why, sizeof out->why, "its host is not one the server may call (BDHVS_WEBHOOK_HOSTS)");
        return -1;
    }
    if (is_ip_literal(host)) return 0; /* named by the operator as an address: allowed as it is */
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL) {
        snprintf(out->why, sizeof out->why, "its host does not resolve");
        return -1;
    }
    int internal = 0;
    for (struct addrinfo *a = res; a; a = a->ai_next) internal |= addr_internal(a->ai_addr);
    freeaddrinfo(res);
    if (internal) {
        snprintf(out->why, sizeof out->why,
                 "its host resolves to an internal address (loopback, private or link-local); name the address itself"
                 " in BDHVS_WEBHOOK_HOSTS to allow it");
        return -1;
    }
    return 0;
}

/* ---- sending one delivery ------------------------------------------------------------------- */

typedef struct send_state {
    const char *hosts;
    char host[256];
    int literal_allowed; /* the host is an IP address the allow-list names */
    int refused_addr;    /* the connection was refused by the address check */
    char answer[ANSWER_KEEP + 1];
    size_t kept;
    int cut;             /* the answer went past what is read */
} send_state;

/* Every connection curl opens passes here: an address that is internal is refused unless the
 * operator named it (DNS may answer otherwise at delivery than when the webhook was created). */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
{
    send_state *s = clientp;
    (void)purpose;
    if (!s->literal_allowed && addr_internal(&addr->addr)) {
        s->refused_addr = 1;
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype, addr->protocol);
}

static size_t keep_answer(char *data, size_t size, size_t n, void *clientp)
{
    send_state *s = clientp;
    size_t len = size * n;
    size_t room = ANSWER_KEEP - s->kept;
    size_t take = len < room ? len : room;
    memcpy(s->answer + s->kept, data, take);
    s->kept += take;
    s->answer[s->kept] = '\0';
    if (len > room) {
        s->cut = 1;
        return 0; /* stop reading: curl ends the transfer (CURLE_WRITE_ERROR) */
    }
    return len;
}

/* Printable ASCII only, for last_error (a receiver's answer may be anything). */
static void printable(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f) *s = ' ';
}

/* Sends body to url signed with secret. Returns the HTTP status (0 when none came) and fills err
 * with what went wrong ("" on 2xx). */
static long send_one(CURL *h, const bdhvs_config *cfg, const char *url, const unsigned char *secret, size_t slen,
                     const char *body, const char *type, const char *event_uuid, long long delivery_id,
                     char *err, size_t errlen)
{
    err[0] = '\0';
    send_state s = {.hosts = cfg->webhook_hosts};
    char why[200];
    if (url_host(url, s.host, sizeof s.host, why, sizeof why) != 0 || !host_listed(cfg->webhook_hosts, s.host)) {
        snprintf(err, errlen, "the URL's host is no longer allowed (BDHVS_WEBHOOK_HOSTS)");
        return 0;
    }
    s.literal_allowed = is_ip_literal(s.host);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, secret, slen);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
    crypto_auth_hmacsha256_final(&st, mac);
    char hex[2 * sizeof mac + 1], sig[100], evh[120], idh[80], delh[80];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    snprintf(sig, sizeof sig, "X-Bdhvs-Signature: sha256=%s", hex);
    snprintf(evh, sizeof evh, "X-Bdhvs-Event: %s", type);
    snprintf(idh, sizeof idh, "X-Bdhvs-Event-Id: %s", event_uuid);
    snprintf(delh, sizeof delh, "X-Bdhvs-Delivery: %lld", delivery_id);

    /* the thread's handle, reset: its connections stay open for the next delivery (keep-alive) */
    curl_easy_reset(h);
    struct curl_slist *hd = NULL;
    hd = curl_slist_append(hd, "Content-Type: application/json");
    hd = curl_slist_append(hd, sig);
    hd = curl_slist_append(hd, evh);
    hd = curl_slist_append(hd, idh);
    hd = curl_slist_append(hd, delh);
    hd = curl_slist_append(hd, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(h, CURLOPT_USERAGENT, "bdhvs-webhooks/" BDHVS_VERSION);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->webhook_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)cfg->webhook_timeout_ms);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &s);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_answer);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hd);
    printable(s.answer);
    if (status >= 200 && status < 300 && (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && s.cut))) return status;
    if (s.refused_addr) snprintf(err, errlen, "the host resolved to an internal address: not connected");
    else if (rc == CURLE_OPERATION_TIMEDOUT)
        snprintf(err, errlen, "no answer within %d ms (BDHVS_WEBHOOK_TIMEOUT_MS)", cfg->webhook_timeout_ms);
    else if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && s.cut)) snprintf(err, errlen, "%s", curl_easy_strerror(rc));
    else snprintf(err, errlen, "HTTP %ld: %.200s", status, s.answer);
    return status;
}

/* ---- the threads ---------------------------------------------------------------------------- */

DB_STMT(STMT_CLAIM, "webhook_claim", "SELECT delivery_id, url, secret_box, body, event_type, event_uuid, attempt"
                                     " FROM webhook_claim($1, $2)", 2);
DB_STMT(STMT_RECORD, "webhook_record", "SELECT webhook_record($1, $2, $3, $4, $5, $6, $7)", 7);
DB_STMT(STMT_NEXT_DUE, "webhook_next_due", "SELECT webhook_next_due_ms($1)", 1);
DB_STMT(STMT_OVERDUE, "webhook_overdue", "SELECT webhook_overdue_scan($1)", 1);
/* Delivered deliveries are kept 30 days, then removed with their events (a bounded batch a round). */
DB_STMT(STMT_TIDY, "webhook_tidy",
        "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries"
        " WHERE status = 'delivered' AND delivered_at < now() - make_interval(days => $1) LIMIT 2000)", 1);
DB_STMT(STMT_TIDY_EVENTS, "webhook_tidy_events",
        "DELETE FROM webhook_events e WHERE e.id IN (SELECT id FROM webhook_events WHERE occurred_at < now() -"
        " make_interval(days => $1) LIMIT 2000) AND NOT EXISTS (SELECT 1 FROM webhook_deliveries x WHERE x.event_id = e.id)", 1);

static struct {
    const bdhvs_config *cfg;
    pthread_t threads[WEBHOOK_MAX_THREADS];
    int nthreads;
    pthread_t sched;
    int sched_started;
    atomic_int stop;
    char owner[128]; /* this process, for leases: host:pid */
} WH;

static void ignore_payload(const char *payload, void *arg)
{
    (void)payload;
    (void)arg;
}

/* Sleeps up to ms, waking early to stop. */
static void nap(int ms)
{
    for (int t = 0; t < ms && !atomic_load(&WH.stop); t += 50) usleep(50 * 1000);
}

/* Claims and sends one delivery. 1 when one was sent, 0 when none is due, -1 on a database error. */
static int deliver_one(db_conn *db, CURL *h)
{
    db_args a;
    /* the lease outlives an attempt (its timeout) by a margin */
    db_args_of(&a, db_text(WH.owner), db_int(WH.cfg->webhook_timeout_ms + 5000));
    PGresult *r = db_run(db, &STMT_CLAIM, &a);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 0;
    }
    long long id = atoll(PQgetvalue(r, 0, 0));
    unsigned char secret[4096];
    int slen = webhook_secret_open(WH.cfg, PQgetvalue(r, 0, 2), secret, sizeof secret, NULL);
    char err[300];
    long status = 0;
    if (slen < 0)
        snprintf(err, sizeof err, "the secret cannot be opened (BDHVS_WEBHOOK_SECRET, or BDHVS_JWT_SECRET when it is unset,"
                                  " changed?): give the webhook a new secret (PATCH) or re-create it");
    else
        status = send_one(h, WH.cfg, PQgetvalue(r, 0, 1), secret, (size_t)slen, PQgetvalue(r, 0, 3), PQgetvalue(r, 0, 4),
                          PQgetvalue(r, 0, 5), id, err, sizeof err);
    sodium_memzero(secret, sizeof secret);
    int ok = err[0] == '\0';
    log_msg(ok ? LOG_DEBUG : LOG_INFO, "webhook delivery %lld attempt %s: %s", id, PQgetvalue(r, 0, 6),
            ok ? "delivered" : err);
    PQclear(r);
    db_args ra;
    db_args_of(&ra, db_int(id), db_text(WH.owner), db_bool(ok), db_int_if(status != 0, status), db_text(ok ? NULL : err),
               db_int(WH.cfg->webhook_retry_base_ms), db_int(WH.cfg->webhook_give_up_seconds));
    r = db_run(db, &STMT_RECORD, &ra);
    int good = db_ok(r);
    if (good && PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "parked") == 0)
        log_msg(LOG_WARN, "webhook delivery %lld parked after failing for %d s: %s", id,
                WH.cfg->webhook_give_up_seconds, err);
    PQclear(r);
    return good ? 1 : -1;
}

/* A connection of the thread's own (listening for new deliveries when listen), or NULL after a
 * second's nap when the database cannot be reached. */
static db_conn *connect_or_nap(int listen)
{
    char err[256];
    db_conn *db = db_open(WH.cfg->database_url, err, sizeof err);
    if (db != NULL && (!listen || db_listen(db, "bdhvs_webhooks") == 0)) return db;
    db_close(db);
    nap(1000);
    return NULL;
}

static void *delivery_loop(void *arg)
{
    (void)arg;
    CURL *h = curl_easy_init();
    if (h == NULL) {
        log_msg(LOG_ERROR, "webhook delivery thread: out of memory; no deliveries from this thread");
        return NULL;
    }
    db_conn *db = NULL;
    while (!atomic_load(&WH.stop)) {
        if (db == NULL && (db = connect_or_nap(1)) == NULL) continue;
        int rc = deliver_one(db, h);
        if (rc == 1) continue;
        int wait = 1000;
        if (rc == 0) {
            db_args a;
            db_args_of(&a, db_int(1000));
            PGresult *r = db_run(db, &STMT_NEXT_DUE, &a);
            if (db_ok(r) && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) wait = atoi(PQgetvalue(r, 0, 0));
            else rc = -1;
            PQclear(r);
            /* 0: one is claimable, but another thread is claiming it (SKIP LOCKED): a short pause */
            if (wait < 5) wait = 5;
        }
        /* notifications that arrived while a statement ran wait in libpq's queue: a zero wait
         * drains them first, and one among them means there may be work at once */
        int queued = rc < 0 ? 0 : db_wait_notify(db, 0, ignore_payload, NULL);
        if (queued > 0) continue;
        if (rc < 0 || queued < 0 || db_wait_notify(db, wait, ignore_payload, NULL) < 0) {
            log_msg(LOG_WARN, "webhook delivery thread lost its database connection; reconnecting");
            db_close(db);
            db = NULL;
            nap(200);
        }
    }
    db_close(db);
    curl_easy_cleanup(h);
    return NULL;
}

/* With BDHVS_WEBHOOK_SECRET set, the webhook secrets still sealed with the JWT secret's key (made
 * before it was set) are sealed again with its key, once at start; each row only if it has not
 * changed meanwhile (another process, a PATCH). Afterwards the JWT secret can be rotated alone. */
DB_STMT(STMT_SEALED, "webhook_sealed", "SELECT id, secret_box FROM webhooks ORDER BY id", 0);
DB_STMT(STMT_RESEAL, "webhook_reseal",
        "UPDATE webhooks SET secret_box = $2::bytea WHERE id = $1 AND secret_box = $3::bytea", 3);

static int reseal_old_secrets(db_conn *db)
{
    PGresult *r = db_run(db, &STMT_SEALED, NULL);
    if (!db_ok(r)) {
        PQclear(r);
        return -1;
    }
    int n = 0, failed = 0;
    for (int i = 0; i < PQntuples(r) && !failed; i++) {
        unsigned char secret[4096];
        char sealed[2 * (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + sizeof secret) + 3];
        int old = 0, slen = webhook_secret_open(WH.cfg, PQgetvalue(r, i, 1), secret, sizeof secret, &old);
        if (slen >= 0 && old && webhook_secret_seal(WH.cfg, (const char *)secret, (size_t)slen, sealed, sizeof sealed) == 0) {
            db_args a;
            db_args_of(&a, db_int(atoll(PQgetvalue(r, i, 0))), db_text(sealed), db_text(PQgetvalue(r, i, 1)));
            PGresult *u = db_run(db, &STMT_RESEAL, &a);
            failed = !db_ok(u);
            n += !failed && atoi(PQcmdTuples(u)) == 1;
            PQclear(u);
        }
        sodium_memzero(secret, sizeof secret);
    }
    PQclear(r);
    if (n > 0) log_msg(LOG_INFO, "webhooks: %d secret(s) sealed again with BDHVS_WEBHOOK_SECRET's key", n);
    return failed ? -1 : 0;
}

/* The rollups' change rows that no kept result of the last day needs go (migrations/0039_kept_changes.sql):
 * pruned here, off the request path, and skipped while a refresh reads them (stats_changes_prune_if_free,
 * migrations/0044_rollup_expected.sql), so that no rollup waits on it (a prune after a large load
 * deleted tens of thousands of rows: 50-60 ms in the rollup that ran it). Committed without
 * waiting for the disk: lost in a crash, the rows are pruned again. */
DB_STMT(STMT_PRUNE_CHANGES, "housekeeping_prune_changes",
    "SELECT stats_changes_prune_if_free('1 day'), set_config('synchronous_commit', 'off', true)", 0);

/* How often the scheduler prunes the change rows (at most; BDHVS_WEBHOOK_OVERDUE_SECONDS if shorter). */
#define PRUNE_SECONDS 10

/* Seconds on a clock that never steps back (a step of the wall clock must not hold the scan off). */
static double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The scheduler: every BDHVS_WEBHOOK_OVERDUE_SECONDS, the overdue scan (only the process that
 * gets the advisory lock scans) and the removal of old delivered deliveries; every PRUNE_SECONDS
 * at most, the rollups' change rows no longer needed, whether or not the webhook work succeeded. */
static void *scheduler_loop(void *arg)
{
    (void)arg;
    db_conn *db = NULL;
    int resealed = WH.cfg->webhook_secret_len == 0;
    int tick = WH.cfg->webhook_overdue_seconds < PRUNE_SECONDS ? WH.cfg->webhook_overdue_seconds : PRUNE_SECONDS;
    double next_scan = 0;
    while (!atomic_load(&WH.stop)) {
        if (db == NULL && (db = connect_or_nap(0)) == NULL) continue;
        if (!resealed) resealed = reseal_old_secrets(db) == 0;
        int ok = 1;
        double now = monotonic_seconds();
        if (now >= next_scan) {
            next_scan = now + WH.cfg->webhook_overdue_seconds;
            db_args a;
            db_args_of(&a, db_int(WH.cfg->webhook_overdue_days));
            PGresult *r = db_run(db, &STMT_OVERDUE, &a);
            ok = db_ok(r);
            if (ok && atoi(PQgetvalue(r, 0, 0)) > 0)
                log_msg(LOG_INFO, "webhooks: %s overdue report(s) announced", PQgetvalue(r, 0, 0));
            PQclear(r);
            if (ok) {
                db_args t;
                db_args_of(&t, db_int(30));
                r = db_run(db, &STMT_TIDY, &t);
                ok = db_ok(r);
                PQclear(r);
                r = ok ? db_run(db, &STMT_TIDY_EVENTS, &t) : NULL;
                ok = ok && db_ok(r);
                PQclear(r);
            }
            if (!ok) log_msg(LOG_WARN, "webhook scheduler: the overdue scan or the tidying failed");
        }
        PGresult *r = db_run(db, &STMT_PRUNE_CHANGES, NULL);
        int pruned = db_ok(r);
        PQclear(r);
        if (!pruned) log_msg(LOG_WARN, "scheduler: pruning the rollups' change rows failed");
        if (!ok || !pruned) { /* a connection in a bad state is replaced */
            db_close(db);
            db = NULL;
        }
        nap(tick * 1000);
    }
    db_close(db);
    return NULL;
}

int api_webhooks_start(const bdhvs_config *cfg)
{
    WH.cfg = cfg;
    atomic_store(&WH.stop, 0);
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    snprintf(WH.owner, sizeof WH.owner, "%s:%ld", host, (long)getpid());
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) return -1;
    int n = cfg->webhook_threads < WEBHOOK_MAX_THREADS ? cfg->webhook_threads : WEBHOOK_MAX_THREADS;
    for (WH.nthreads = 0; WH.nthreads < n; WH.nthreads++)
        if (pthread_create(&WH.threads[WH.nthreads], NULL, delivery_loop, NULL) != 0) return -1;
    if (pthread_create(&WH.sched, NULL, scheduler_loop, NULL) != 0) return -1;
    WH.sched_started = 1;
    return 0;
}

void api_webhooks_stop(void)
{
    atomic_store(&WH.stop, 1);
    for (int i = 0; i < WH.nthreads; i++) pthread_join(WH.threads[i], NULL);
    WH.nthreads = 0;
    if (WH.sched_started) pthread_join(WH.sched, NULL);
    WH.sched_started = 0;
    if (WH.cfg != NULL) curl_global_cleanup();
    WH.cfg = NULL;
}
