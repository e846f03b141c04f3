/* bench/loop-proto: NOT the server. A measurement of the threading model issue 14's goal 1 points
 * at (docs/scaling.md, session 13): libmicrohttpd driven from one thread's own epoll loop
 * (external-epoll mode) with libpq's asynchronous calls, so that the loop owns the database
 * sockets of the reads in flight and one wake-up serves whatever is ready. It answers
 * GET /u/<id> with bench/unit_get.sql's statement and the server's five answer headers, and does
 * nothing else a real request needs (no token, no middleware, no metrics, no log): its rate is the
 * design's ceiling on this machine, to weigh against the server's and pgbench's (bench/loop-proto/run).
 * Usage: loop CONNINFO PORT */
#include <microhttpd.h>
#include <libpq-fe.h>
#include <sys/epoll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NPG 16
typedef struct req { struct MHD_Connection *conn; long long id; char *body; size_t len; int status; int state; struct req *next; } req;
typedef struct pgc { PGconn *pg; req *r; } pgc;
static pgc PG[NPG];
static req *qhead, *qtail;
static int ep;

static void dispatch(pgc *p, req *r)
{
    char ids[24]; snprintf(ids, sizeof ids, "%lld", r->id);
    const char *v[2] = {ids, NULL};
    p->r = r;
    if (!PQsendQueryPrepared(p->pg, "g", 2, v, NULL, NULL, 0)) { fprintf(stderr, "send: %s", PQerrorMessage(p->pg)); exit(1); }
    PQflush(p->pg);
}

static void finish(pgc *p)
{
    req *r = p->r; p->r = NULL;
    PGresult *res, *keep = NULL;
    while ((res = PQgetResult(p->pg)) != NULL) { if (keep) PQclear(keep); keep = res; }
    if (keep && PQresultStatus(keep) == PGRES_TUPLES_OK && PQntuples(keep) == 1) {
        r->len = (size_t)PQgetlength(keep, 0, 0); r->body = malloc(r->len); memcpy(r->body, PQgetvalue(keep, 0, 0), r->len); r->status = 200;
    } else { r->body = NULL; r->len = 0; r->status = 404; }
    PQclear(keep);
    r->state = 2;
    MHD_resume_connection(r->conn);
    if (qhead) { req *n = qhead; qhead = n->next; if (!qhead) qtail = NULL; dispatch(p, n); }
}

static enum MHD_Result ah(void *cls, struct MHD_Connection *c, const char *url, const char *method, const char *ver,
                          const char *up, size_t *ups, void **cc)
{
    req *r = *cc;
    if (r == NULL) { r = calloc(1, sizeof *r); r->conn = c; *cc = r; return MHD_YES; }
    if (r->state == 0) {
        r->id = atoll(url + 3); r->state = 1;
        MHD_suspend_connection(c);
        for (int i = 0; i < NPG; i++) if (PG[i].r == NULL) { dispatch(&PG[i], r); return MHD_YES; }
        r->next = NULL; if (qtail) qtail->next = r; else qhead = r; qtail = r;
        return MHD_YES;
    }
    struct MHD_Response *m = MHD_create_response_from_buffer_with_free_callback(r->len, r->body, free);
    r->body = NULL;
    MHD_add_response_header(m, "Content-Type", "application/json; charset=utf-8");
    MHD_add_response_header(m, "X-Request-Id", "0123456789abcdef0123456789abcdef");
    MHD_add_response_header(m, "ETag", "\"0123456789abcdef\"");
    MHD_add_response_header(m, "Vary", "Accept-Encoding");
    MHD_add_response_header(m, "Cache-Control", "private, no-cache");
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)r->status, m);
    MHD_destroy_response(m);
    return ok;
}

static void done(void *cls, struct MHD_Connection *c, void **cc, enum MHD_RequestTerminationCode t) { req *r = *cc; if (r) { free(r->body); free(r); } *cc = NULL; }

int main(int argc, char **argv)
{
    for (int i = 0; i < NPG; i++) {
        PG[i].pg = PQconnectdb(argv[1]);
        if (PQstatus(PG[i].pg) != CONNECTION_OK) { fprintf(stderr, "%s", PQerrorMessage(PG[i].pg)); return 1; }
        PQclear(PQexec(PG[i].pg, "SET jit = off"));
        PGresult *r = PQprepare(PG[i].pg, "g", "SELECT unit_fields_json(u.id, u.code, u.name, u.type, u.parent_id, p.code, u.path, u.active, u.opened_on, u.closed_on, u.dhis2_id, u.created_at, u.updated_at) FROM units u LEFT JOIN units p ON p.id = u.parent_id WHERE u.id = $1 AND in_scope(u.path, $2)", 2, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) { fprintf(stderr, "%s", PQerrorMessage(PG[i].pg)); return 1; }
        PQclear(r);
        PQsetnonblocking(PG[i].pg, 1);
    }
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, (uint16_t)atoi(argv[2]), NULL, NULL, ah, NULL,
                                            MHD_OPTION_NOTIFY_COMPLETED, done, NULL, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384, MHD_OPTION_END);
    if (!d) return 1;
    ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD)->epoll_fd, &ev);
    for (int i = 0; i < NPG; i++) { ev.data.ptr = &PG[i]; epoll_ctl(ep, EPOLL_CTL_ADD, PQsocket(PG[i].pg), &ev); }
    struct epoll_event evs[64];
    for (;;) {
        MHD_UNSIGNED_LONG_LONG to = 0; int tms = MHD_get_timeout(d, &to) == MHD_YES ? (int)to : 1000;
        int n = epoll_wait(ep, evs, 64, tms);
        for (int i = 0; i < n; i++) {
            pgc *p = evs[i].data.ptr;
            if (p == NULL) continue;
            if (!PQconsumeInput(p->pg)) { fprintf(stderr, "consume: %s", PQerrorMessage(p->pg)); return 1; }
            if (p->r != NULL && !PQisBusy(p->pg)) finish(p);
        }
        MHD_run(d);
    }
}
