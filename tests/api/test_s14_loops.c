/* Issue 14 goal 1, session 14: the server runs BDHVS_IO_THREADS event loops, each with a
 * libmicrohttpd daemon of its own on the shared listening socket, and a loop answers
 * GET /api/v1/units/{id} without waiting on the database (src/http/server.c: async_ready, the
 * route's http_async). Proved here through the real server:
 *  - many keep-alive connections with reads in flight at once, mixed with other requests (a list,
 *    which goes to a worker; an unknown unit and a malformed id, answered 404), each get their
 *    own answer, byte for byte what the database gives for the id they asked, round after round;
 *    reads are answered by the loops (bdhvs_http_reads_on_loops_total), some by workers when no
 *    database connection is free at once;
 *  - authentication that reads the database (an API token, a rights-cache miss) runs on a worker
 *    (HTTP_AUTH_LATER), never on a loop: an API token's reads and refusals answer as before,
 *    the refusals still before any of the body is read;
 *  - the limit of open connections per client address (BDHVS_PER_IP_LIMIT, 200 unless the test's
 *    environment says otherwise) holds across the loops: the connection past it is closed
 *    unanswered, and once one of the others closes, a new one is answered. */
#include "client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A blocking connection from src (NULL: any address) to the API, or -1. */
static int connect_from(const char *src)
{
    return raw_connect(src, test_api_port(), 0);
}

static int send_text(int fd, const char *s)
{
    return send_all(fd, s, strlen(s));
}

/* The value of a counter without labels in /metrics, or -1. */
static long long metric(const char *name)
{
    resp *m = http_get("/metrics", NULL);
    long long v = -1;
    char key[128];
    snprintf(key, sizeof key, "\n%s ", name);
    const char *at = m->status == 200 ? strstr(m->body, key) : NULL;
    if (at != NULL) v = atoll(at + strlen(key));
    resp_free(m);
    return v;
}

enum { NCONN = 24, ROUNDS = 15 };

START_TEST(reads_in_flight_on_many_connections_get_their_own_answers)
{
    /* Every unit's answer as the database gives it. */
    PGresult *r = PQexec(test_db(), "SELECT u.id, unit_json(u)::text FROM units u ORDER BY u.id");
    ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    int nunits = PQntuples(r);
    ck_assert_int_gt(nunits, 20);
    long long missing = atoll(PQgetvalue(r, nunits - 1, 0)) + 100000;
    long long on_loops = metric("bdhvs_http_reads_on_loops_total");
    ck_assert_int_ge(on_loops, 0);
    int fds[NCONN];
    for (int i = 0; i < NCONN; i++) {
        fds[i] = connect_from(NULL);
        ck_assert_int_ge(fds[i], 0);
    }
    static char out[65536];
    char req[2048];
    int reads = 0, others = 0;
    for (int round = 0; round < ROUNDS; round++) {
        int kind[NCONN], row[NCONN];
        /* All requests of the round are sent before any answer is read: the loops have many
         * reads in flight at once, their answers arriving in any order. */
        for (int i = 0; i < NCONN; i++) {
            kind[i] = (i + round) % 8; /* 0-4: a unit read; 5: a list; 6: an unknown unit; 7: not an id */
            row[i] = (i * 7 + round * 3) % nunits;
            if (kind[i] <= 4)
                snprintf(req, sizeof req, "GET /api/v1/units/%s HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n\r\n",
                         PQgetvalue(r, row[i], 0), T_ADMIN);
            else if (kind[i] == 5)
                snprintf(req, sizeof req, "GET /api/v1/units?limit=1&sort=id HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n\r\n",
                         T_ADMIN);
            else if (kind[i] == 6)
                snprintf(req, sizeof req, "GET /api/v1/units/%lld HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n\r\n",
                         missing, T_ADMIN);
            else
                snprintf(req, sizeof req, "GET /api/v1/units/x%d HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n\r\n",
                         round, T_ADMIN);
            ck_assert_int_eq(send_text(fds[i], req), 0);
        }
        for (int i = 0; i < NCONN; i++) {
            const char *body = NULL;
            int st = raw_answer(fds[i], out, sizeof out, &body, 20000);
            if (kind[i] <= 4) {
                ck_assert_int_eq(st, 200);
                ck_assert_msg(strcmp(body, PQgetvalue(r, row[i], 1)) == 0, "unit %s answered %s, the database gives %s",
                              PQgetvalue(r, row[i], 0), body, PQgetvalue(r, row[i], 1));
                reads++;
            } else if (kind[i] == 5) {
                ck_assert_int_eq(st, 200);
                json_t *j = json_loads(body, 0, NULL);
                ck_assert_int_eq((int)json_array_size(json_object_get(j, "items")), 1);
                ck_assert_int_eq((int)json_integer_value(json_object_get(j, "total")), nunits);
                json_decref(j);
                others++;
            } else {
                ck_assert_int_eq(st, 404);
                json_t *j = json_loads(body, 0, NULL);
                ck_assert_int_eq((int)json_integer_value(json_object_get(j, "status")), 404);
                json_decref(j);
                others++;
            }
        }
    }
    ck_assert_int_eq(reads, NCONN * ROUNDS * 5 / 8);
    ck_assert_int_eq(others, NCONN * ROUNDS * 3 / 8);
    long long concurrent = metric("bdhvs_http_reads_on_loops_total") - on_loops;
    ck_assert_int_gt(concurrent, 0);
    /* One after another on one connection, a free database connection is there for each: nearly
     * all are answered by the loop (a connection the statement is not prepared on yet sends its
     * first read to a worker, which prepares it). */
    for (int i = 0; i < 20; i++) {
        const char *body = NULL;
        snprintf(req, sizeof req, "GET /api/v1/units/%s HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n\r\n",
                 PQgetvalue(r, i % nunits, 0), T_ADMIN);
        ck_assert_int_eq(send_text(fds[0], req), 0);
        ck_assert_int_eq(raw_answer(fds[0], out, sizeof out, &body, 20000), 200);
        ck_assert_str_eq(body, PQgetvalue(r, i % nunits, 1));
    }
    long long sequential = metric("bdhvs_http_reads_on_loops_total") - on_loops - concurrent;
    ck_assert_msg(sequential >= 15, "%lld of 20 reads one after another were answered by a loop", sequential);
    for (int i = 0; i < NCONN; i++) close(fds[i]);
    PQclear(r);
}
END_TEST

/* GET /healthz on fd: its status, 0 when the connection was closed unanswered, -1 otherwise. */
static int health_on(int fd, int timeout_ms)
{
    static char out[8192];
    if (send_text(fd, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n") != 0) return 0;
    return raw_answer(fd, out, sizeof out, NULL, timeout_ms);
}

START_TEST(the_limit_per_address_holds_across_the_loops)
{
    long long refused_before = metric("bdhvs_http_connections_over_address_limit_total");
    ck_assert_int_ge(refused_before, 0);
    const char *env = getenv("BDHVS_PER_IP_LIMIT");
    int limit = env != NULL ? atoi(env) : 200;
    ck_assert_int_gt(limit, 0);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < (rlim_t)limit + 64) {
        rl.rlim_cur = rl.rlim_max < (rlim_t)limit + 64 ? rl.rlim_max : (rlim_t)limit + 64;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    /* An address no other test connects from. */
    const char *src = "127.0.0.77";
    int *fds = calloc((size_t)limit, sizeof *fds);
    ck_assert_ptr_nonnull(fds);
    /* All opened, then each asked once: every answer means that connection was counted by
     * whichever loop accepted it. Quick, well inside the head deadline (an idle keep-alive
     * connection is cut BDHVS_HEAD_TIMEOUT seconds after its answer, 5 in the tests). */
    for (int i = 0; i < limit; i++) {
        fds[i] = connect_from(src);
        ck_assert_int_ge(fds[i], 0);
    }
    for (int i = 0; i < limit; i++)
        ck_assert_int_eq(send_text(fds[i], "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
    static char hout[8192];
    for (int i = 0; i < limit; i++) ck_assert_int_eq(raw_answer(fds[i], hout, sizeof hout, NULL, 20000), 200);
    /* One more from the same address: the kernel accepts it, the server closes it unanswered. */
    int extra = connect_from(src);
    ck_assert_int_ge(extra, 0);
    ck_assert_int_eq(health_on(extra, 20000), 0);
    close(extra);
    ck_assert_int_eq(metric("bdhvs_http_connections_over_address_limit_total"), refused_before + 1);
    /* From another address meanwhile: answered. */
    int other = connect_from("127.0.0.78");
    ck_assert_int_ge(other, 0);
    ck_assert_int_eq(health_on(other, 20000), 200);
    close(other);
    /* The ones kept open still answer. */
    ck_assert_int_eq(health_on(fds[0], 20000), 200);
    ck_assert_int_eq(health_on(fds[limit - 1], 20000), 200);
    /* One closes: the server counts it gone when it reads the end of the stream, then a new
     * connection from the address is answered. */
    close(fds[0]);
    int answered = 0;
    for (int attempt = 0; attempt < 50 && !answered; attempt++) {
        int fd = connect_from(src);
        ck_assert_int_ge(fd, 0);
        int st = health_on(fd, 20000);
        if (st == 200) {
            answered = 1;
            fds[0] = fd;
        } else {
            ck_assert_int_eq(st, 0);
            close(fd);
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    ck_assert_msg(answered, "no connection from %s was answered after one of %d closed", src, limit);
    /* Those refused while the closed one was not yet counted gone are counted too. */
    ck_assert_int_ge(metric("bdhvs_http_connections_over_address_limit_total"), refused_before + 1);
    for (int i = 0; i < limit; i++) close(fds[i]);
    free(fds);
}
END_TEST

START_TEST(authentication_that_reads_the_database_runs_on_a_worker)
{
    long long refused_before = metric("bdhvs_http_refused_before_body_total");
    ck_assert_int_ge(refused_before, 0);
    long long later_before = metric("bdhvs_http_auth_on_worker_total");
    ck_assert_int_ge(later_before, 0);
    resp *t = http_send_json("POST", "/api/v1/tokens", T_SD_REPORTER, "{\"name\":\"s14 loops\"}");
    ck_assert_int_eq(t->status, 201);
    json_t *tj = json_loads(t->body, 0, NULL);
    char secret[160];
    snprintf(secret, sizeof secret, "%s", json_string_value(json_object_get(tj, "token")));
    json_decref(tj);
    resp_free(t);
    ck_assert(strncmp(secret, "bdh_", 4) == 0);
    /* The reporter's own unit, read three times on one keep-alive connection: each request's
     * token goes to a worker and back, then the loop reads the unit without waiting. */
    char want[1024], uid[32];
    db_value("SELECT u.id::text FROM units u JOIN users s ON s.unit_id = u.id JOIN api_tokens k ON k.user_id = s.id"
             " WHERE k.name = $1", "s14 loops", uid, sizeof uid);
    db_value("SELECT unit_json(u)::text FROM units u WHERE u.id = $1::bigint", uid, want, sizeof want);
    int fd = connect_from(NULL);
    ck_assert_int_ge(fd, 0);
    static char out[65536];
    char req[1024];
    for (int i = 0; i < 3; i++) {
        snprintf(req, sizeof req, "GET /api/v1/units/%s HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n\r\n", uid, secret);
        ck_assert_int_eq(send_text(fd, req), 0);
        const char *body = NULL;
        ck_assert_int_eq(raw_answer(fd, out, sizeof out, &body, 20000), 200);
        ck_assert_str_eq(body, want);
    }
    close(fd);
    /* Refusals after the worker's authentication come before the body: a token no one holds,
     * and the API token on a route its role may not use. Only the head is sent; the answer
     * comes, and the connection is closed, all the same. */
    const char *heads[2][2] = {
        {"POST /api/v1/units", "bdh_0000000000000000000000000000000000000000"},
        {"POST /api/v1/units", secret},
    };
    const int want_status[2] = {401, 403};
    for (int i = 0; i < 2; i++) {
        fd = connect_from(NULL);
        ck_assert_int_ge(fd, 0);
        snprintf(req, sizeof req,
                 "%s HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"
                 "Content-Length: 500000\r\n\r\n",
                 heads[i][0], heads[i][1]);
        ck_assert_int_eq(send_text(fd, req), 0);
        const char *body = NULL;
        ck_assert_int_eq(raw_answer(fd, out, sizeof out, &body, 20000), want_status[i]);
        ck_assert_ptr_nonnull(strcasestr(out, "\r\nConnection: close\r\n"));
        char rest[16];
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ck_assert_int_eq(poll(&p, 1, 20000), 1);
        ck_assert_int_le((int)recv(fd, rest, sizeof rest, 0), 0); /* closed */
        close(fd);
    }
    ck_assert_int_eq(metric("bdhvs_http_refused_before_body_total"), refused_before + 2);
    /* Every request with the API token, and the one with a token no one holds, went to a
     * worker to be authenticated (the JWT requests of this test found the rights cache). */
    ck_assert_int_ge(metric("bdhvs_http_auth_on_worker_total"), later_before + 5);
}
END_TEST

Suite *s14_loops_suite(void)
{
    Suite *s = suite_create("s14_loops");
    TCase *t = tcase_create("s14_loops");
    tcase_add_test(t, reads_in_flight_on_many_connections_get_their_own_answers);
    tcase_add_test(t, authentication_that_reads_the_database_runs_on_a_worker);
    tcase_add_test(t, the_limit_per_address_holds_across_the_loops);
    tcase_set_timeout(t, 120);
    suite_add_tcase(s, t);
    return s;
}
