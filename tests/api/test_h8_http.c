/* Issue 8, items 6, 7, 9 and 10: the server cannot be taken down by slow or oversized requests,
 * answers before reading a body it will refuse, refuses ambiguous framing, and keeps answering
 * health checks on its operations listener while the API is flooded. Raw sockets, because
 * curl will not send what an attacker sends. */
#include "client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int env_port(const char *var, const char *url_var)
{
    const char *p = getenv(var);
    if (p != NULL) return atoi(p);
    const char *url = getenv(url_var);
    const char *colon = url ? strrchr(url, ':') : NULL;
    return colon ? atoi(colon + 1) : 0;
}

static int api_port(void) { return test_api_port(); }
static int ops_port(void) { return env_port("BDHVS_TEST_OPS_PORT", "BDHVS_TEST_OPS_URL"); }

/* Reads until the server closes or timeout seconds pass. Returns bytes read; *closed is 1 when
 * the server closed the connection. */
static size_t read_answer(int fd, char *out, size_t cap, double timeout, int *closed)
{
    size_t n = 0;
    *closed = 0;
    double end = now_s() + timeout;
    while (n + 1 < cap) {
        int ms = (int)((end - now_s()) * 1000);
        if (ms <= 0) break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, ms) <= 0) break;
        ssize_t r = recv(fd, out + n, cap - 1 - n, 0);
        if (r <= 0) {
            *closed = 1;
            break;
        }
        n += (size_t)r;
    }
    out[n] = '\0';
    return n;
}

/* Sends text on a new connection and reads the answer. */
static size_t exchange(const char *text, char *out, size_t cap, double timeout, int *closed)
{
    int fd = raw_connect(NULL, api_port(), 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(send_all(fd, text, strlen(text)), 0);
    size_t n = read_answer(fd, out, cap, timeout, closed);
    close(fd);
    return n;
}

/* Item 10: two Content-Length headers, or Content-Length with chunked, are refused and the
 * connection is closed (a proxy in front could read the body differently). */
START_TEST(two_content_lengths_refused)
{
    char out[8192];
    int closed;
    exchange("POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
             "Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}",
             out, sizeof out, 10, &closed);
    ck_assert_msg(strncmp(out, "HTTP/1.1 400", 12) == 0, "got: %.300s", out);
    ck_assert_ptr_nonnull(strstr(out, "more than one Content-Length"));
    ck_assert_ptr_nonnull(strstr(out, "application/problem+json"));
    ck_assert_int_eq(closed, 1);

    exchange("POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
             "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
             out, sizeof out, 10, &closed);
    ck_assert_msg(strncmp(out, "HTTP/1.1 400", 12) == 0, "got: %.300s", out);
    ck_assert_int_eq(closed, 1);
}
END_TEST

START_TEST(length_with_chunked_refused)
{
    char out[8192];
    int closed;
    exchange("POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
             "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
             out, sizeof out, 10, &closed);
    ck_assert_msg(strncmp(out, "HTTP/1.1 400", 12) == 0, "got: %.300s", out);
    ck_assert_ptr_nonnull(strstr(out, "both Content-Length and Transfer-Encoding"));
    ck_assert_int_eq(closed, 1);
}
END_TEST

/* Item 7: a Content-Length over the limit is answered 413 at once, without waiting for (or
 * reading) the body; the old server waited for all of it. */
START_TEST(too_large_answered_before_body)
{
    char req[4096], out[8192];
    snprintf(req, sizeof req,
             "POST /api/v1/staff/import HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
             "Content-Type: text/csv\r\nContent-Length: 104857600\r\n\r\n",
             T_ADMIN);
    int closed;
    exchange(req, out, sizeof out, 10, &closed);
    ck_assert_msg(strncmp(out, "HTTP/1.1 413", 12) == 0, "got: %.300s", out);
    ck_assert_ptr_nonnull(strstr(out, "larger than the limit"));
    ck_assert_int_eq(closed, 1);
}
END_TEST

/* Item 7: no credentials → 401 before the body; bad credentials → 401 before the body. */
START_TEST(unauthenticated_answered_before_body)
{
    char out[8192];
    int closed;
    exchange("POST /api/v1/staff/import HTTP/1.1\r\nHost: t\r\nContent-Type: text/csv\r\n"
             "Content-Length: 900000\r\n\r\ncode,full_name\r\n",
             out, sizeof out, 10, &closed);
    ck_assert_msg(strncmp(out, "HTTP/1.1 401", 12) == 0, "got: %.300s", out);
    ck_assert_ptr_nonnull(strstr(out, "WWW-Authenticate"));
    ck_assert_int_eq(closed, 1);

    exchange("POST /api/v1/staff/import HTTP/1.1\r\nHost: t\r\nContent-Type: text/csv\r\n"
             "Authorization: Bearer not.a.token\r\nContent-Length: 900000\r\n\r\n",
             out, sizeof out, 10, &closed);
    ck_assert_msg(strncmp(out, "HTTP/1.1 401", 12) == 0, "got: %.300s", out);
    ck_assert_int_eq(closed, 1);

    /* A viewer may not import: 403, also before the body. */
    char req[4096];
    snprintf(req, sizeof req,
             "POST /api/v1/staff/import HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
             "Content-Type: text/csv\r\nContent-Length: 900000\r\n\r\n",
             T_SYT_VIEWER);
    exchange(req, out, sizeof out, 10, &closed);
    ck_assert_msg(strncmp(out, "HTTP/1.1 403", 12) == 0, "got: %.300s", out);
}
END_TEST

/* A chunked body has no length to refuse early: it is read and dropped, then 413. */
START_TEST(chunked_over_limit_413)
{
    int fd = raw_connect(NULL, api_port(), 0);
    ck_assert_int_ge(fd, 0);
    char head[4096];
    snprintf(head, sizeof head,
             "POST /api/v1/staff/import HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
             "Content-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n",
             T_ADMIN);
    ck_assert_int_eq(send_all(fd, head, strlen(head)), 0);
    static char chunk[65536 + 16];
    int hl = snprintf(chunk, 16, "10000\r\n");
    memset(chunk + hl, 'a', 65536);
    memcpy(chunk + hl + 65536, "\r\n", 2);
    for (int i = 0; i < 24; i++) /* 1.5 MiB against the test server's 1 MiB */
        ck_assert_int_eq(send_all(fd, chunk, (size_t)hl + 65536 + 2), 0);
    ck_assert_int_eq(send_all(fd, "0\r\n\r\n", 5), 0);
    char out[8192];
    int closed;
    read_answer(fd, out, sizeof out, 20, &closed);
    close(fd);
    ck_assert_msg(strncmp(out, "HTTP/1.1 413", 12) == 0, "got: %.300s", out);
}
END_TEST

/* A big body within the limit still arrives whole (it is spooled to a file past 64 KiB). */
START_TEST(spooled_body_arrives_whole)
{
    /* 300 KiB of JSON whitespace around an array with one bad row: the import must see the
     * row at the end, so the whole body was kept. */
    size_t pad = 300 * 1024;
    const char *tail = "[{\"code\":\"\",\"full_name\":\"x\"}]";
    size_t n = pad + strlen(tail);
    char *body = malloc(n + 1);
    memset(body, ' ', pad);
    memcpy(body + pad, tail, strlen(tail) + 1);
    req_opts o = {.token = T_ADMIN, .content_type = "application/json", .body = body, .body_len = n};
    resp *r = http_do("POST", "/api/v1/staff/import?dry_run=true", &o);
    ASSERT_STATUS(r, 422);
    ck_assert_ptr_nonnull(strstr(r->body, "{\"row\":2,\"field\":\"code\",\"message\":\"is required\"}"));
    resp_free(r);
    free(body);
}
END_TEST

static long probe(int port, const char *path, double *ms)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    double t0 = now_s();
    int fd = raw_connect(NULL, port, 0);
    if (fd < 0) return -1;
    char req[256], out[4096];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", path);
    int closed;
    long status = -1;
    if (send_all(fd, req, strlen(req)) == 0) {
        read_answer(fd, out, sizeof out, 2.0, &closed);
        if (strncmp(out, "HTTP/1.1 ", 9) == 0) status = atol(out + 9);
    }
    close(fd);
    *ms = (now_s() - t0) * 1000;
    return status;
}

/* Item 6: 2,000 sockets from 8 loopback addresses, each dribbling a header line every second.
 * The operations listener keeps answering /healthz meanwhile, and the head deadline closes
 * every slow socket (the old server let each byte reset its idle timeout, forever). */
START_TEST(slow_heads_do_not_take_health_down)
{
    int ops = ops_port();
    ck_assert_msg(ops > 0, "BDHVS_TEST_OPS_PORT is not set");
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < 4096) {
        rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    enum { N = 2000 };
    static int fds[N];
    int open_n = 0;
    double t_open = now_s();
    for (int i = 0; i < N; i++) {
        char src[32];
        snprintf(src, sizeof src, "127.0.0.%d", 1 + i % 8);
        fds[i] = raw_connect(src, api_port(), 1);
        if (fds[i] >= 0) open_n++;
    }
    ck_assert_int_ge(open_n, N - 10);
    const char *first = "GET /api/v1/me HTTP/1.1\r\nHost: t\r\n";
    int started[N];
    memset(started, 0, sizeof started);
    double worst = 0, sum = 0;
    int probes = 0, ok = 0, ended = 0;
    double deadline = now_s() + 40;
    while (now_s() < deadline && ended < open_n) {
        ended = 0;
        for (int i = 0; i < N; i++) {
            if (fds[i] < 0) continue;
            char b[256];
            ssize_t r = recv(fds[i], b, sizeof b, MSG_DONTWAIT);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN)) {
                close(fds[i]);
                fds[i] = -2;
                continue;
            }
            const char *line = started[i] ? "X-Slow: 1\r\n" : first;
            ssize_t w = send(fds[i], line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0) started[i] = 1;
            else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN) {
                close(fds[i]);
                fds[i] = -2;
            }
        }
        for (int i = 0; i < N; i++)
            if (fds[i] == -2) ended++;
        /* Probe the operations listener several times a second for a second. */
        for (int k = 0; k < 5; k++) {
            double ms;
            long st = probe(ops, "/healthz", &ms);
            probes++;
            if (st == 200) ok++;
            sum += ms;
            if (ms > worst) worst = ms;
            usleep(200 * 1000);
        }
    }
    double held = now_s() - t_open;
    for (int i = 0; i < N; i++)
        if (fds[i] >= 0) close(fds[i]);
    printf("slow heads: %d sockets from 8 addresses; all closed by the server after %.1f s: %s; "
           "ops /healthz %d/%d answered 200, mean %.1f ms, worst %.1f ms\n",
           open_n, held, ended >= open_n ? "yes" : "no", ok, probes, sum / probes, worst);
    ck_assert_int_eq(ok, probes);
    ck_assert_msg(ended >= open_n, "only %d of %d slow sockets were closed by the server", ended, open_n);
    /* And the API answers again. */
    resp *r = http_get("/healthz", NULL);
    ASSERT_STATUS(r, 200);
    resp_free(r);
}
END_TEST

typedef struct login_job {
    long status;
} login_job;

static void *do_login(void *arg)
{
    login_job *j = arg;
    char body[256];
    snprintf(body, sizeof body, "{\"username\":\"syt.viewer\",\"password\":\"%s\"}", demo_password());
    req_opts o = {.body = body};
    resp *r = http_do("POST", "/api/v1/auth/login", &o);
    j->status = r->status;
    resp_free(r);
    return NULL;
}

/* Item 9: 150 concurrent sign-ins do not starve health and readiness on the operations
 * listener. */
START_TEST(sign_ins_do_not_starve_health)
{
    int ops = ops_port();
    ck_assert_msg(ops > 0, "BDHVS_TEST_OPS_PORT is not set");
    enum { N = 150 };
    static pthread_t th[N];
    static login_job jobs[N];
    for (int i = 0; i < N; i++) ck_assert_int_eq(pthread_create(&th[i], NULL, do_login, &jobs[i]), 0);
    double worst_h = 0, worst_r = 0;
    int probes = 0, ok = 0;
    for (int k = 0; k < 20; k++) {
        double ms;
        if (probe(ops, "/healthz", &ms) == 200) ok++;
        if (ms > worst_h) worst_h = ms;
        if (probe(ops, "/readyz", &ms) == 200) ok++;
        if (ms > worst_r) worst_r = ms;
        probes += 2;
        usleep(100 * 1000);
    }
    int s200 = 0, s503 = 0, other = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        if (jobs[i].status == 200) s200++;
        else if (jobs[i].status == 503 || jobs[i].status == 429) s503++;
        else other++;
    }
    printf("sign-ins: %d concurrent: %d signed in, %d asked to retry, %d other; ops /healthz worst "
           "%.1f ms, /readyz worst %.1f ms, %d/%d probes 200\n",
           N, s200, s503, other, worst_h, worst_r, ok, probes);
    ck_assert_int_eq(ok, probes);
    ck_assert_int_eq(other, 0);
}
END_TEST

Suite *h8_http_suite(void)
{
    Suite *s = suite_create("h8_http");
    TCase *tc = tcase_create("framing and early answers");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, two_content_lengths_refused);
    tcase_add_test(tc, length_with_chunked_refused);
    tcase_add_test(tc, too_large_answered_before_body);
    tcase_add_test(tc, unauthenticated_answered_before_body);
    tcase_add_test(tc, chunked_over_limit_413);
    tcase_add_test(tc, spooled_body_arrives_whole);
    suite_add_tcase(s, tc);
    TCase *flood = tcase_create("floods");
    tcase_set_timeout(flood, 180);
    tcase_add_test(flood, slow_heads_do_not_take_health_down);
    tcase_add_test(flood, sign_ins_do_not_starve_health);
    suite_add_tcase(s, flood);
    return s;
}
