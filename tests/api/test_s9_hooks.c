/* Issue 12 §3: signed webhooks. A real HTTP receiver runs in the test process (a thread on a
 * loopback port); the server under test delivers to it. The receiver checks every signature,
 * can fail the first attempts, hang, answer a huge body or fail one kind of event for ever, and
 * records what it acknowledged. Suite s9_hooks runs against scripts/test's server (whose
 * environment sets short retry delays: BDHVS_WEBHOOK_RETRY_BASE_MS, ..._GIVE_UP_SECONDS,
 * ..._TIMEOUT_MS, ..._OVERDUE_SECONDS); suite s9_hooks_restart (run by scripts/test on its own,
 * once that server has stopped) starts a server of its own and kills it with SIGKILL in the
 * middle of a delivery. Waits are bounded loops on what the receiver got, never timed assertions. */
#include "client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define SECRET "s9-hooks-secret-0123456789"
#define MAX_GOT 16384

/* ---- the receiver ----------------------------------------------------------------------------- */

typedef struct got {
    char event_id[40];
    char type[32];
    long long unit_id;
    int sig_ok;
    int acked;      /* answered 2xx, the whole answer written */
    int attempt;    /* this event's attempt number as the receiver counts them */
} got;

static struct {
    pthread_mutex_t mu;
    int fd, port, stop;
    pthread_t th;
    /* behaviour */
    int fail_first;            /* the first N attempts of each event answer 503 */
    int hang_first;            /* the first attempt of each event gets no answer until the sender gives up */
    int hang_once;             /* the very first request gets no answer until the sender gives up or dies */
    int huge;                  /* a 2xx answer carries 64 MiB */
    char fail_type[32];        /* events of this type always answer 500 */
    /* record */
    got g[MAX_GOT];
    int n;
    size_t huge_written;       /* bytes of the huge answer the sender took */
} RX;

static int attempts_of(const char *event_id)
{
    int k = 0;
    for (int i = 0; i < RX.n; i++) k += strcmp(RX.g[i].event_id, event_id) == 0;
    return k;
}

static int slot_is_first(int n)
{
    return n == 0;
}

static int sig_ok(const char *body, size_t len, const char *header)
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)SECRET, strlen(SECRET));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    char want[80] = "sha256=";
    sodium_bin2hex(want + 7, sizeof want - 7, mac, sizeof mac);
    return header != NULL && strcmp(header, want) == 0;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w <= 0) return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Has the sender closed the connection (or died) before its answer? A live HTTP client keeps its
 * side open while it waits. */
static int peer_gone(int fd)
{
    struct pollfd p = {fd, POLLIN | POLLRDHUP, 0};
    char c;
    return poll(&p, 1, 0) == 1 && ((p.revents & (POLLRDHUP | POLLHUP | POLLERR)) || recv(fd, &c, 1, MSG_PEEK) <= 0);
}

/* Serves one connection: one request, one answer. */
static void serve_conn(int fd)
{
    char buf[65536];
    size_t have = 0;
    char *end = NULL;
    while (end == NULL && have < sizeof buf - 1) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 10000) <= 0) return;
        ssize_t r = recv(fd, buf + have, sizeof buf - 1 - have, 0);
        if (r <= 0) return;
        have += (size_t)r;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (end == NULL) return;
    size_t head = (size_t)(end + 4 - buf), clen = 0;
    char sig[128] = "";
    for (char *line = strstr(buf, "\r\n") + 2; line < end; line = strstr(line, "\r\n") + 2) {
        if (strncasecmp(line, "Content-Length:", 15) == 0) clen = strtoul(line + 15, NULL, 10);
        if (strncasecmp(line, "X-Bdhvs-Signature:", 18) == 0) sscanf(line + 18, " %127[^\r\n]", sig);
    }
    while (have < head + clen && have < sizeof buf - 1) {
        ssize_t r = recv(fd, buf + have, sizeof buf - 1 - have, 0);
        if (r <= 0) return;
        have += (size_t)r;
    }
    if (have < head + clen) return;
    json_t *body = json_loadb(buf + head, clen, 0, NULL);
    got one = {0};
    snprintf(one.event_id, sizeof one.event_id, "%s", json_string_value(json_object_get(body, "id")) ?: "?");
    snprintf(one.type, sizeof one.type, "%s", json_string_value(json_object_get(body, "type")) ?: "?");
    one.unit_id = json_integer_value(json_object_get(body, "unit_id"));
    one.sig_ok = sig_ok(buf + head, clen, sig);
    json_decref(body);

    pthread_mutex_lock(&RX.mu);
    one.attempt = attempts_of(one.event_id) + 1;
    int fail = one.attempt <= RX.fail_first || (RX.fail_type[0] && strcmp(RX.fail_type, one.type) == 0);
    int hang = !fail && ((RX.hang_first && one.attempt == 1) || (RX.hang_once && slot_is_first(RX.n)));
    int huge = !fail && !hang && RX.huge;
    int slot = RX.n < MAX_GOT ? RX.n++ : -1;
    if (slot >= 0) RX.g[slot] = one;
    pthread_mutex_unlock(&RX.mu);

    int acked = 0;
    if (peer_gone(fd)) {
        /* a request queued here by a sender that died meanwhile (the restart test): no answer */
    } else if (hang) {
        /* wait until the sender gives up and closes */
        for (;;) {
            struct pollfd p = {fd, POLLIN, 0};
            if (poll(&p, 1, 30000) <= 0 || recv(fd, buf, sizeof buf, 0) <= 0) break;
        }
    } else if (fail) {
        const char *a = one.attempt <= RX.fail_first
                            ? "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 9\r\nConnection: close\r\n\r\nbusy, no\n"
                            : "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 7\r\nConnection: close\r\n\r\nbroken\n";
        write_all(fd, a, strlen(a));
    } else if (huge) {
        const size_t total = 64u << 20;
        char h[128];
        snprintf(h, sizeof h, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", total);
        size_t written = 0;
        if (write_all(fd, h, strlen(h)) == 0) {
            static char chunk[65536];
            memset(chunk, 'x', sizeof chunk);
            while (written < total && write_all(fd, chunk, sizeof chunk) == 0) written += sizeof chunk;
        }
        pthread_mutex_lock(&RX.mu);
        RX.huge_written = written;
        pthread_mutex_unlock(&RX.mu);
        acked = 1;
    } else {
        const char *a = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";
        acked = write_all(fd, a, strlen(a)) == 0;
    }
    if (acked && slot >= 0) {
        pthread_mutex_lock(&RX.mu);
        RX.g[slot].acked = 1;
        pthread_mutex_unlock(&RX.mu);
    }
}

static void *rx_loop(void *arg)
{
    (void)arg;
    while (!RX.stop) {
        struct pollfd p = {RX.fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        int c = accept(RX.fd, NULL, NULL);
        if (c < 0) continue;
        serve_conn(c);
        close(c);
    }
    return NULL;
}

/* Starts the receiver on a free loopback port with a clean record. */
static void rx_start(void)
{
    ck_assert_int_ge(sodium_init(), 0);
    memset(&RX, 0, sizeof RX);
    pthread_mutex_init(&RX.mu, NULL);
    RX.fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(RX.fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(RX.fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(RX.fd, 64), 0);
    socklen_t len = sizeof a;
    getsockname(RX.fd, (struct sockaddr *)&a, &len);
    RX.port = ntohs(a.sin_port);
    ck_assert_int_eq(pthread_create(&RX.th, NULL, rx_loop, NULL), 0);
}

static void rx_stop(void)
{
    RX.stop = 1;
    pthread_join(RX.th, NULL);
    close(RX.fd);
}

/* Acknowledged deliveries of unit (0: any), and the count of every request received for it. */
static int rx_acked(long long unit, const char *type)
{
    int k = 0;
    pthread_mutex_lock(&RX.mu);
    for (int i = 0; i < RX.n; i++)
        k += RX.g[i].acked && (unit == 0 || RX.g[i].unit_id == unit) && (type == NULL || strcmp(RX.g[i].type, type) == 0);
    pthread_mutex_unlock(&RX.mu);
    return k;
}

/* Waits (at most about 60 s) until the receiver acknowledged n deliveries of unit (and type). */
static void rx_wait(long long unit, const char *type, int n)
{
    for (int i = 0; i < 600 && rx_acked(unit, type) < n; i++) usleep(100 * 1000);
    if (rx_acked(unit, type) != n) { /* what the receiver got, for the failure's reader */
        pthread_mutex_lock(&RX.mu);
        for (int i = 0; i < RX.n; i++)
            fprintf(stderr, "received %d: unit %lld %s %s attempt %d acked %d\n", i, RX.g[i].unit_id, RX.g[i].type,
                    RX.g[i].event_id, RX.g[i].attempt, RX.g[i].acked);
        pthread_mutex_unlock(&RX.mu);
    }
    ck_assert_int_eq(rx_acked(unit, type), n);
}

/* ---- helpers ----------------------------------------------------------------------------------- */

static long long make_hook(const char *token, const char *events_json, const char *path)
{
    resp *r = http_send_json("POST", "/api/v1/webhooks", token,
                             fmt("{\"url\":\"http://127.0.0.1:%d%s\",\"events\":%s,\"secret\":\"%s\"}", RX.port, path,
                                 events_json, SECRET));
    ASSERT_STATUS(r, 201);
    ck_assert_ptr_null(json_object_get(r->json, "secret"));
    ck_assert_ptr_null(strstr(r->body, SECRET));
    long long id = jint(r, "id");
    resp_free(r);
    return id;
}

static void drop_hook(long long id)
{
    resp *r = http_do("DELETE", fmt("/api/v1/webhooks/%lld", id), &(req_opts){.token = T_ADMIN});
    ASSERT_STATUS(r, 204);
    resp_free(r);
}

static long long fresh_unit(void)
{
    char code[64];
    return make_test_unit("WH", "Đơn vị webhook", "other", "TTYT-SD", code, sizeof code);
}

static void report_act(long long unit, const char *period, const char *action, const char *token)
{
    resp *r;
    if (strcmp(action, "put") == 0)
        r = http_send_json("PUT", fmt("/api/v1/reports/%lld/%s", unit, period), T_SD_REPORTER,
                           "{\"values\":{\"s1_documents_count\":1}}");
    else if (strcmp(action, "return") == 0)
        r = http_send_json("POST", fmt("/api/v1/reports/%lld/%s/return", unit, period), token, "{\"reason\":\"Thiếu mục 5\"}");
    else
        r = http_do("POST", fmt("/api/v1/reports/%lld/%s/%s", unit, period, action), &(req_opts){.token = token});
    ck_assert_msg(r->status == 200 || r->status == 201, "%s %lld %s: %ld %s", action, unit, period, r->status, r->body);
    resp_free(r);
}

/* Two new units with June reports: a submitted, returned and submitted again, b submitted. */
static void two_units_story(long long *a, long long *b)
{
    *a = fresh_unit();
    *b = fresh_unit();
    report_act(*a, "2026-06", "put", NULL);
    report_act(*b, "2026-06", "put", NULL);
    report_act(*a, "2026-06", "submit", T_SD_REPORTER);
    report_act(*b, "2026-06", "submit", T_SD_REPORTER);
    report_act(*a, "2026-06", "return", T_SD_MANAGER);
    report_act(*a, "2026-06", "submit", T_SD_REPORTER);
}

/* The webhook's deliveries as the API lists them (status filter or NULL). */
static resp *deliveries(long long hook, const char *status)
{
    return http_get(fmt("/api/v1/webhooks/%lld/deliveries?limit=1000%s%s", hook, status ? "&status=" : "", status ? status : ""),
                    T_ADMIN);
}

/* Checks the receiver's record for units a and b: every signature good, every request of a unit
 * for the event after the last one acknowledged (in order), each event acknowledged once, and
 * na / nb events acknowledged, of the types want_a / want_b in that order. attempt_acked: the
 * attempt that each acknowledgement must be (0: any). */
static void check_lines(long long a, const char *const *want_a, int na, long long b, const char *const *want_b, int nb,
                        int attempt_acked)
{
    pthread_mutex_lock(&RX.mu);
    int ka = 0, kb = 0;
    for (int i = 0; i < RX.n; i++) {
        got *g = &RX.g[i];
        if (g->unit_id != a && g->unit_id != b) continue;
        ck_assert_msg(g->sig_ok, "bad signature on %s", g->event_id);
        int *k = g->unit_id == a ? &ka : &kb;
        const char *const *want = g->unit_id == a ? want_a : want_b;
        ck_assert_int_lt(*k, g->unit_id == a ? na : nb);
        ck_assert_str_eq(g->type, want[*k]);
        if (attempt_acked) ck_assert_int_eq(g->acked, g->attempt == attempt_acked);
        if (g->acked) {
            for (int j = 0; j < RX.n; j++)
                if (j != i && strcmp(RX.g[j].event_id, g->event_id) == 0) ck_assert(!RX.g[j].acked);
            (*k)++;
        }
    }
    pthread_mutex_unlock(&RX.mu);
    ck_assert_int_eq(ka, na);
    ck_assert_int_eq(kb, nb);
}

/* ---- s9_hooks ----------------------------------------------------------------------------------- */

START_TEST(webhook_urls_outside_the_allow_list_and_bad_bodies_are_422)
{
    long long before = db_count("SELECT count(*) FROM webhooks", NULL);
    static const char *const bad_urls[] = {
        "ftp://127.0.0.1/x",                 /* not http(s) */
        "http://hooks.example.org/x",        /* not in BDHVS_WEBHOOK_HOSTS */
        "http://10.1.2.3/x",                 /* an internal address not listed */
        "http://169.254.169.254/latest",     /* cloud metadata */
        "http://localhost:8/x",              /* listed by name, but resolves to loopback */
        "http://user:pw@127.0.0.1:8/x",      /* credentials */
        "http://127.0.0.1:0/x",              /* port */
        "http://127.0.0.1:8/x#frag",         /* fragment */
        "http://127.0.0.1:8/a b",            /* a space */
        "javascript:alert(1)",
        "",
    };
    for (size_t i = 0; i < sizeof bad_urls / sizeof bad_urls[0]; i++) {
        resp *r = http_send_json("POST", "/api/v1/webhooks", T_ADMIN,
                                 fmt("{\"url\":\"%s\",\"events\":[\"report.submitted\"],\"secret\":\"%s\"}", bad_urls[i], SECRET));
        ck_assert_msg(r->status == 422, "%s: %ld %s", bad_urls[i], r->status, r->body);
        ck_assert_int_eq(count_errors(r, "url", NULL), 1);
        resp_free(r);
    }
    static const char *const bad_bodies[][2] = {
        {"{\"url\":\"http://127.0.0.1:8/\",\"events\":[\"report.submitted\"],\"secret\":\"short\"}", "secret"},
        {"{\"url\":\"http://127.0.0.1:8/\",\"events\":[\"report.submitted\"]}", "secret"},
        {"{\"url\":\"http://127.0.0.1:8/\",\"events\":[],\"secret\":\"" SECRET "\"}", "events"},
        {"{\"url\":\"http://127.0.0.1:8/\",\"events\":[\"report.deleted\"],\"secret\":\"" SECRET "\"}", "events"},
        {"{\"url\":\"http://127.0.0.1:8/\",\"events\":\"report.submitted\",\"secret\":\"" SECRET "\"}", "events"},
        {"{\"events\":[\"report.submitted\"],\"secret\":\"" SECRET "\"}", "url"},
        {"{\"url\":\"http://127.0.0.1:8/\",\"events\":[\"report.submitted\"],\"secret\":\"" SECRET "\",\"x\":1}", "x"},
    };
    for (size_t i = 0; i < sizeof bad_bodies / sizeof bad_bodies[0]; i++) {
        resp *r = http_send_json("POST", "/api/v1/webhooks", T_ADMIN, bad_bodies[i][0]);
        ck_assert_msg(r->status == 422, "%s: %ld %s", bad_bodies[i][0], r->status, r->body);
        ck_assert_int_eq(count_errors(r, bad_bodies[i][1], NULL), 1);
        ck_assert_ptr_null(strstr(r->body, SECRET));
        resp_free(r);
    }
    ck_assert_int_eq(db_count("SELECT count(*) FROM webhooks", NULL), before);
}
END_TEST

START_TEST(webhooks_belong_to_their_owner_and_never_show_the_secret)
{
    rx_start();
    /* integration makes its own; managers may not */
    long long mine = make_hook(T_INTEGRATION, "[\"report.approved\",\"report.submitted\"]", "/int");
    resp *r = http_send_json("POST", "/api/v1/webhooks", T_SD_MANAGER,
                             fmt("{\"url\":\"http://127.0.0.1:%d/\",\"events\":[\"report.submitted\"],\"secret\":\"%s\"}", RX.port,
                                 SECRET));
    ASSERT_STATUS(r, 403);
    resp_free(r);
    r = http_get("/api/v1/webhooks", T_SD_MANAGER);
    ASSERT_STATUS(r, 403);
    resp_free(r);
    long long admins = make_hook(T_ADMIN, "[\"import.completed\"]", "/adm");

    r = http_get(fmt("/api/v1/webhooks/%lld", mine), T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    ck_assert_ptr_null(strstr(r->body, "secret"));
    json_t *ev = json_object_get(r->json, "events");
    ck_assert_int_eq(json_array_size(ev), 2); /* sorted, distinct */
    ck_assert_str_eq(json_string_value(json_array_get(ev, 0)), "report.approved");
    resp_free(r);
    /* another's webhook is not there for integration; admin sees both */
    r = http_get(fmt("/api/v1/webhooks/%lld", admins), T_INTEGRATION);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_get(fmt("/api/v1/webhooks/%lld/deliveries", admins), T_INTEGRATION);
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_do("DELETE", fmt("/api/v1/webhooks/%lld", admins), &(req_opts){.token = T_INTEGRATION});
    ASSERT_STATUS(r, 404);
    resp_free(r);
    r = http_get("/api/v1/webhooks?limit=1000", T_INTEGRATION);
    ASSERT_STATUS(r, 200);
    json_t *it;
    size_t i;
    json_array_foreach(json_object_get(r->json, "items"), i, it)
        ck_assert_int_ne(json_integer_value(json_object_get(it, "id")), admins);
    resp_free(r);
    r = http_get(fmt("/api/v1/webhooks/%lld", mine), T_ADMIN);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    r = http_get(fmt("/api/v1/webhooks/%lld/deliveries?status=sent", mine), T_ADMIN);
    ASSERT_STATUS(r, 400);
    resp_free(r);

    /* the secret is stored sealed, never in clear, and the audit trail has the webhook without it */
    ck_assert_int_eq(db_count2("SELECT count(*) FROM webhooks WHERE id = $1::bigint AND position(convert_to($2, 'UTF8') IN secret_box) > 0",
                               idstr(mine), SECRET), 0);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'webhook' AND action = 'create' AND entity_id = $1",
                              idstr(mine)), 1);
    ck_assert_int_eq(db_count2("SELECT count(*) FROM audit_log WHERE entity = 'webhook' AND position($2 IN coalesce(after::text, '')) > 0"
                               " AND entity_id = $1", idstr(mine), SECRET), 0);
    r = http_do("DELETE", fmt("/api/v1/webhooks/%lld", mine), &(req_opts){.token = T_INTEGRATION});
    ASSERT_STATUS(r, 204);
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_log WHERE entity = 'webhook' AND action = 'delete' AND entity_id = $1",
                              idstr(mine)), 1);
    drop_hook(admins);
    rx_stop();
}
END_TEST

START_TEST(deliveries_are_signed_retried_in_order_per_unit_and_acknowledged_once)
{
    rx_start();
    RX.fail_first = 2; /* every event: 503, 503, then 200 */
    long long hook = make_hook(T_ADMIN, "[\"report.submitted\",\"report.returned\",\"report.approved\"]", "/hook");
    long long a, b;
    two_units_story(&a, &b);
    report_act(b, "2026-06", "approve", T_SD_MANAGER);
    report_act(a, "2026-06", "approve", T_SD_MANAGER);
    rx_wait(a, NULL, 4);
    rx_wait(b, NULL, 2);

    static const char *const want_a[] = {"report.submitted", "report.returned", "report.submitted", "report.approved"};
    static const char *const want_b[] = {"report.submitted", "report.approved"};
    check_lines(a, want_a, 4, b, want_b, 2, 3);

    /* the deliveries, as the API lists them: delivered after 3 attempts, last status 200 */
    resp *r = deliveries(hook, "delivered");
    ASSERT_STATUS(r, 200);
    int mine = 0;
    json_t *it;
    size_t i;
    json_array_foreach(json_object_get(r->json, "items"), i, it) {
        long long u = json_integer_value(json_object_get(it, "unit_id"));
        if (u != a && u != b) continue;
        mine++;
        ck_assert_int_eq(json_integer_value(json_object_get(it, "attempts")), 3);
        ck_assert_int_eq(json_integer_value(json_object_get(it, "last_status")), 200);
        ck_assert(json_is_null(json_object_get(it, "last_error")));
        ck_assert(json_is_string(json_object_get(it, "delivered_at")));
    }
    ck_assert_int_eq(mine, 6);
    resp_free(r);
    drop_hook(hook);
    rx_stop();
}
END_TEST

START_TEST(a_hanging_receiver_is_cut_off_and_a_huge_answer_is_not_read)
{
    rx_start();
    RX.hang_first = 1;
    RX.huge = 1;
    long long hook = make_hook(T_ADMIN, "[\"report.submitted\"]", "/slow");
    long long u = fresh_unit();
    report_act(u, "2026-06", "put", NULL);
    report_act(u, "2026-06", "submit", T_SD_REPORTER);
    rx_wait(u, "report.submitted", 1);
    pthread_mutex_lock(&RX.mu);
    size_t written = RX.huge_written;
    pthread_mutex_unlock(&RX.mu);
    ck_assert_msg(written < (64u << 20), "the sender read the whole 64 MiB answer");
    /* delivered at the second attempt; the first timed out */
    resp *r = deliveries(hook, NULL);
    ASSERT_STATUS(r, 200);
    json_t *it;
    size_t i;
    int seen = 0;
    for (int tries = 0; tries < 100 && !seen; tries++) {
        json_array_foreach(json_object_get(r->json, "items"), i, it) if (json_integer_value(json_object_get(it, "unit_id")) == u &&
                                                                          strcmp(json_string_value(json_object_get(it, "status")),
                                                                                 "delivered") == 0) {
            ck_assert_int_eq(json_integer_value(json_object_get(it, "attempts")), 2);
            seen = 1;
        }
        if (!seen) {
            resp_free(r);
            usleep(100 * 1000);
            r = deliveries(hook, NULL);
        }
    }
    ck_assert(seen);
    resp_free(r);
    drop_hook(hook);
    rx_stop();
}
END_TEST

START_TEST(a_delivery_failing_past_the_give_up_time_is_parked_and_later_ones_go_on)
{
    rx_start();
    snprintf(RX.fail_type, sizeof RX.fail_type, "report.submitted");
    long long hook = make_hook(T_ADMIN, "[\"report.submitted\",\"report.approved\"]", "/park");
    long long u = fresh_unit();
    report_act(u, "2026-06", "put", NULL);
    report_act(u, "2026-06", "submit", T_SD_REPORTER);
    report_act(u, "2026-06", "approve", T_SD_MANAGER);
    /* the approval waits behind the failing submission until it is parked, then goes */
    rx_wait(u, "report.approved", 1);
    ck_assert_int_eq(rx_acked(u, "report.submitted"), 0);
    resp *r = deliveries(hook, "parked");
    ASSERT_STATUS(r, 200);
    ck_assert_int_eq(jint(r, "total"), 1);
    json_t *p = json_array_get(json_object_get(r->json, "items"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(p, "type")), "report.submitted");
    ck_assert_int_eq(json_integer_value(json_object_get(p, "last_status")), 500);
    ck_assert_str_eq(json_string_value(json_object_get(p, "last_error")), "HTTP 500: broken ");
    ck_assert_int_ge(json_integer_value(json_object_get(p, "attempts")), 2);
    ck_assert(json_is_null(json_object_get(p, "next_attempt_at")));
    resp_free(r);
    drop_hook(hook);
    rx_stop();
}
END_TEST

START_TEST(import_completed_comes_with_the_import_and_never_without_it)
{
    rx_start();
    long long hook = make_hook(T_ADMIN, "[\"import.completed\"]", "/imports");
    char unit[64], p[32];
    make_test_unit("WHI", "Đơn vị nhập", "other", "TTYT-SD", unit, sizeof unit);
    snprintf(p, sizeof p, "WH%s-", uniq());
    char csv[512];
    snprintf(csv, sizeof csv,
             "code,full_name,unit_code,job_group,employment,joined_on\n%sa,Đinh Văn An,%s,nurse,contract,2019-03-01\n"
             "%sb,Đinh Thị Bé,%s,doctor,contract,2019-03-01\n", p, unit, p, unit);
    /* a dry run and a refused load write no event */
    resp *r = post_csv("/api/v1/staff/import?dry_run=true", T_SD_MANAGER, csv);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    r = post_csv("/api/v1/staff/import", T_SD_MANAGER,
                 "code,full_name,unit_code,job_group,employment,joined_on\nX,,,nurse,contract,2019-03-01\n");
    ASSERT_STATUS(r, 422);
    resp_free(r);
    r = post_csv("/api/v1/staff/import", T_SD_MANAGER, csv);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    rx_wait(0, "import.completed", 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1::bigint", idstr(hook)), 1);
    ck_assert_int_eq(db_count("SELECT count(*) FROM webhook_events e JOIN webhook_deliveries d ON d.event_id = e.id"
                              " WHERE d.webhook_id = $1::bigint AND (e.body::json -> 'data' ->> 'created')::int = 2"
                              " AND e.body::json -> 'data' ->> 'resource' = 'staff'",
                              idstr(hook)),
                     1);
    drop_hook(hook);
    rx_stop();
}
END_TEST

START_TEST(report_overdue_is_emitted_once_when_a_due_date_passes_without_a_submission)
{
    rx_start();
    char pcode[64];
    long long parent = make_test_unit("WHP", "Trạm cha", "other", "TTYT-SD", pcode, sizeof pcode);
    oblige_every_child(parent);
    char code[64];
    long long late = make_test_unit("WHL", "Đơn vị trễ hạn", "other", pcode, code, sizeof code);
    long long on_time = make_test_unit("WHT", "Đơn vị đúng hạn", "other", pcode, code, sizeof code);
    /* what the server should announce: expected reports of `late` due in the window, not submitted */
    const char *expected_sql =
        "SELECT count(*) FROM opened_periods((vn_today() - interval '25 months')::date) p,"
        " LATERAL report_expectation($1::bigint, p.period_type, p.period_start) l"
        " WHERE NOT l.exempt AND l.due_on < vn_today() AND l.due_on >= vn_today() - 62";
    long long want = db_count(expected_sql, idstr(late));
    ck_assert_int_ge(want, 1);
    /* on_time submitted every such month in time: nothing for it (a draft would not count) */
    PGconn *db = test_db();
    PGresult *q = PQexecParams(db,
                               "SELECT webhook_period_text(p.period_type, p.period_start) FROM opened_periods((vn_today() - interval '25 months')::date) p,"
                               " LATERAL report_expectation($1::bigint, p.period_type, p.period_start) l"
                               " WHERE NOT l.exempt AND l.due_on < vn_today() AND l.due_on >= vn_today() - 62 AND p.period_type = 'month'",
                               1, NULL, (const char *[]){idstr(on_time)}, NULL, NULL, 0);
    ck_assert_int_eq(PQresultStatus(q), PGRES_TUPLES_OK);
    int months = PQntuples(q);
    for (int i = 0; i < months; i++) {
        char period[16];
        snprintf(period, sizeof period, "%s", PQgetvalue(q, i, 0));
        report_act(on_time, period, "put", NULL);
        report_act(on_time, period, "submit", T_SD_REPORTER);
    }
    PQclear(q);
    long long want_on_time = db_count(expected_sql, idstr(on_time)) - months;

    long long hook = make_hook(T_ADMIN, "[\"report.overdue\"]", "/overdue");
    rx_wait(late, "report.overdue", (int)want);
    rx_wait(on_time, "report.overdue", (int)want_on_time);
    /* a few more scans (one a second in the test server) announce nothing again */
    sleep(3);
    ck_assert_int_eq(rx_acked(late, "report.overdue"), want);
    ck_assert_int_eq(db_count("SELECT count(*) FROM webhook_overdue_sent WHERE unit_id = $1::bigint", idstr(late)), want);
    pthread_mutex_lock(&RX.mu);
    for (int i = 0; i < RX.n; i++) ck_assert(RX.g[i].sig_ok);
    pthread_mutex_unlock(&RX.mu);

    /* one leader at a time: while another session holds the scan's advisory lock (as a scanning
     * process does), a scan answers -1 and announces nothing */
    PGconn *other = test_db();
    PGresult *x = PQexec(other, "BEGIN; SELECT pg_advisory_xact_lock(30030, -1)");
    ck_assert_int_eq(PQresultStatus(x), PGRES_TUPLES_OK);
    PQclear(x);
    PGconn *mine = PQconnectdb(getenv("BDHVS_TEST_DB"));
    ck_assert_int_eq(PQstatus(mine), CONNECTION_OK);
    x = PQexec(mine, "SELECT webhook_overdue_scan(62)");
    ck_assert_int_eq(PQresultStatus(x), PGRES_TUPLES_OK);
    ck_assert_str_eq(PQgetvalue(x, 0, 0), "-1");
    PQclear(x);
    x = PQexec(other, "ROLLBACK");
    PQclear(x);
    /* then it leads (unless the server's own scan holds the lock at that moment: again) and finds
     * nothing left to announce */
    char got_scan[16] = "-1";
    for (int i = 0; i < 50 && strcmp(got_scan, "-1") == 0; i++) {
        x = PQexec(mine, "SELECT webhook_overdue_scan(62)");
        ck_assert_int_eq(PQresultStatus(x), PGRES_TUPLES_OK);
        snprintf(got_scan, sizeof got_scan, "%s", PQgetvalue(x, 0, 0));
        PQclear(x);
        if (strcmp(got_scan, "-1") == 0) usleep(20 * 1000);
    }
    ck_assert_str_eq(got_scan, "0");
    PQfinish(mine);
    drop_hook(hook);
    rx_stop();
}
END_TEST

/* ---- s9_hooks_restart -------------------------------------------------------------------------- */

/* The server scripts/test started for this suite: its pid file (BDHVS_TEST_SERVER_PIDFILE), killed
 * with SIGKILL; the new one, started here with the same environment (BDHVS_TEST_BIN serve), writes
 * its pid there for scripts/test to stop. */
static pid_t server_pid(void)
{
    const char *pf = getenv("BDHVS_TEST_SERVER_PIDFILE");
    ck_assert_ptr_nonnull(pf);
    FILE *f = fopen(pf, "r");
    ck_assert_ptr_nonnull(f);
    long pid = 0;
    ck_assert_int_eq(fscanf(f, "%ld", &pid), 1);
    fclose(f);
    return (pid_t)pid;
}

static void server_restart(void)
{
    const char *bin = getenv("BDHVS_TEST_BIN"), *pf = getenv("BDHVS_TEST_SERVER_PIDFILE"),
               *logf = getenv("BDHVS_TEST_SERVER_LOG");
    ck_assert_ptr_nonnull(bin);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setsid(); /* out of Check's process group, which it kills after the test */
        if (logf) {
            FILE *o = freopen(logf, "a", stdout);
            FILE *e = freopen(logf, "a", stderr);
            (void)o;
            (void)e;
        }
        execl(bin, bin, "serve", (char *)NULL);
        _exit(127);
    }
    FILE *f = fopen(pf, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%ld\n", (long)pid);
    fclose(f);
    for (int i = 0; i < 300; i++) {
        resp *r = http_get("/api/v1/me", T_ADMIN);
        long st = r->status;
        resp_free(r);
        if (st == 200) return;
        usleep(100 * 1000);
    }
    ck_abort_msg("the restarted server did not answer");
}

START_TEST(a_server_killed_in_the_middle_of_a_delivery_loses_nothing)
{
    rx_start();
    RX.hang_once = 1; /* the first delivery is in flight when the server dies */
    long long hook = make_hook(T_ADMIN, "[\"report.submitted\",\"report.returned\",\"report.approved\"]", "/restart");
    long long a, b;
    two_units_story(&a, &b);
    for (int i = 0; i < 300; i++) {
        pthread_mutex_lock(&RX.mu);
        int n = RX.n;
        pthread_mutex_unlock(&RX.mu);
        if (n >= 1) break;
        usleep(100 * 1000);
    }
    ck_assert_int_eq(rx_acked(0, NULL), 0);
    /* SIGKILL while the first delivery waits for its answer */
    pid_t pid = server_pid();
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    for (int i = 0; i < 100 && kill(pid, 0) == 0; i++) usleep(100 * 1000);
    /* while no server runs, a change commits (here on a direct connection): its event is kept */
    PGconn *db = test_db();
    PGresult *q = PQexecParams(db, "UPDATE reports SET status = 'returned', returned_at = now(), return_reason = 'offline'"
                                   " WHERE unit_id = $1::bigint AND period = '2026-06'",
                               1, NULL, (const char *[]){idstr(b)}, NULL, NULL, 0);
    ck_assert_int_eq(PQresultStatus(q), PGRES_COMMAND_OK);
    PQclear(q);
    server_restart();
    report_act(a, "2026-06", "approve", T_SD_MANAGER);
    rx_wait(a, NULL, 4);
    rx_wait(b, NULL, 2);

    static const char *const want_a[] = {"report.submitted", "report.returned", "report.submitted", "report.approved"};
    static const char *const want_b[] = {"report.submitted", "report.returned"};
    check_lines(a, want_a, 4, b, want_b, 2, 0);
    pthread_mutex_lock(&RX.mu);
    ck_assert(!RX.g[0].acked);
    pthread_mutex_unlock(&RX.mu);
    /* every delivery delivered; the one in flight at the kill took a second attempt */
    ck_assert_int_eq(db_count("SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1::bigint AND status = 'delivered'",
                              idstr(hook)), 6);
    ck_assert_int_eq(db_count("SELECT max(attempts) FROM webhook_deliveries WHERE webhook_id = $1::bigint", idstr(hook)), 2);
    drop_hook(hook);
    rx_stop();
}
END_TEST

Suite *s9_hooks_restart_suite(void)
{
    Suite *s = suite_create("s9_hooks_restart");
    TCase *t = tcase_create("restart");
    tcase_set_timeout(t, 180);
    tcase_add_test(t, a_server_killed_in_the_middle_of_a_delivery_loses_nothing);
    suite_add_tcase(s, t);
    return s;
}

Suite *s9_hooks_suite(void)
{
    Suite *s = suite_create("s9_hooks");
    TCase *t = tcase_create("webhooks");
    tcase_set_timeout(t, 180);
    tcase_add_test(t, webhook_urls_outside_the_allow_list_and_bad_bodies_are_422);
    tcase_add_test(t, webhooks_belong_to_their_owner_and_never_show_the_secret);
    tcase_add_test(t, deliveries_are_signed_retried_in_order_per_unit_and_acknowledged_once);
    tcase_add_test(t, a_hanging_receiver_is_cut_off_and_a_huge_answer_is_not_read);
    tcase_add_test(t, a_delivery_failing_past_the_give_up_time_is_parked_and_later_ones_go_on);
    tcase_add_test(t, import_completed_comes_with_the_import_and_never_without_it);
    tcase_add_test(t, report_overdue_is_emitted_once_when_a_due_date_passes_without_a_submission);
    suite_add_tcase(s, t);
    return s;
}
