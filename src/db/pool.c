#include "bdhvs/db.h"
#include "conn.h"
#include "bdhvs/log.h"

#include <errno.h>
#include <sys/select.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DB_MAX_STMTS 384

struct db_conn {
    PGconn *pg;
    int in_use;
    int broken;
    long long released_ms; /* when it last went back to the pool (CLOCK_MONOTONIC_COARSE) */
    unsigned char prepared[DB_MAX_STMTS];
    const PGresult *misuse; /* the last result db_run made up for a programming error */
    PGresult *got;          /* db_receive: the result read so far, until libpq has no more */
};

struct db_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *conninfo;
    int size;
    int acquire_ms;
    int waiting;
    db_conn *conns;
};

static atomic_int g_next_slot = 1;
static pthread_mutex_t g_slot_mu = PTHREAD_MUTEX_INITIALIZER;

static void notice_ignore(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

static PGconn *connect_to(const char *conninfo)
{
    /* Our defaults come first; the user's string (expanded from dbname) overrides them. */
    const char *keys[] = {"connect_timeout", "keepalives", "keepalives_idle", "application_name",
                          "options", "dbname", NULL};
    const char *vals[] = {"5", "1", "30", "bdhvs",
                          "-c statement_timeout=30000 -c TimeZone=UTC -c idle_in_transaction_session_timeout=60000 -c jit=off",
                          conninfo, NULL};
    return PQconnectdbParams(keys, vals, 1);
}

db_conn *db_open(const char *conninfo, char *err, size_t errlen)
{
    db_conn *c = calloc(1, sizeof *c);
    if (c == NULL) return NULL;
    c->pg = connect_to(conninfo);
    if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
        snprintf(err, errlen, "%s", c->pg ? PQerrorMessage(c->pg) : "out of memory");
        size_t n = strlen(err);
        while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' ')) err[--n] = '\0';
        PQfinish(c->pg);
        free(c);
        return NULL;
    }
    PQsetNoticeProcessor(c->pg, notice_ignore, NULL);
    return c;
}

void db_close(db_conn *c)
{
    if (c == NULL) return;
    PQfinish(c->pg);
    free(c);
}

PGconn *db_pg(db_conn *c)
{
    return c->pg;
}

db_pool *pool_create(const char *conninfo, int size, int acquire_ms)
{
    db_pool *p = calloc(1, sizeof *p);
    if (p == NULL) return NULL;
    p->conns = calloc((size_t)size, sizeof *p->conns);
    p->conninfo = strdup(conninfo);
    if (p->conns == NULL || p->conninfo == NULL) {
        free(p->conns);
        free(p->conninfo);
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    p->size = size;
    p->acquire_ms = acquire_ms;
    return p;
}

void pool_destroy(db_pool *p)
{
    if (p == NULL) return;
    for (int i = 0; i < p->size; i++)
        if (p->conns[i].pg) PQfinish(p->conns[i].pg);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->conns);
    free(p->conninfo);
    free(p);
}

static long long coarse_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Whether an idle connection may have been closed by the server since it was last used: only
 * one that has rested a while is asked (a poll with no wait). A connection handed back within
 * the last RESTED_MS was answering a moment ago; asking costs a system call on every request
 * of a busy server (1 of 7 on a single-row read), for a server that would have to stop and
 * start again within those milliseconds. */
#define RESTED_MS 100
static int conn_closed_by_server(db_conn *c)
{
    if (coarse_ms() - c->released_ms < RESTED_MS) return 0;
    struct pollfd pfd = {.fd = PQsocket(c->pg), .events = POLLIN};
    return pfd.fd < 0 || poll(&pfd, 1, 0) != 0;
}

/* Makes c usable: opens it, or replaces it when it broke. Called without the pool lock. */
static int conn_ready(db_pool *p, db_conn *c)
{
    if (c->pg != NULL && !c->broken && PQstatus(c->pg) == CONNECTION_OK) {
        PGTransactionStatusType ts = PQtransactionStatus(c->pg);
        if (ts == PQTRANS_IDLE) {
            /* An idle pooled connection has nothing to say (it LISTENs to nothing): if its socket
             * is readable, the server has sent its last words and closed it (a restart, an
             * administrator's terminate). libpq would only find out on the next query, which
             * would fail with a 503: replace it now instead. */
            if (!conn_closed_by_server(c)) return 0;
            log_msg(LOG_WARN, "a pooled database connection was closed by the server; reconnecting");
        }
        if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
            PGresult *r = PQexec(c->pg, "ROLLBACK");
            int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
            PQclear(r);
            if (ok) return 0;
        }
    }
    if (c->pg != NULL) PQfinish(c->pg);
    memset(c->prepared, 0, sizeof c->prepared);
    c->broken = 0;
    c->pg = connect_to(p->conninfo);
    if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
        log_msg(LOG_WARN, "database connection failed: %s",
                c->pg ? PQerrorMessage(c->pg) : "out of memory");
        if (c->pg) PQfinish(c->pg);
        c->pg = NULL;
        return -1;
    }
    PQsetNoticeProcessor(c->pg, notice_ignore, NULL);
    return 0;
}

db_conn *pool_checkout(db_pool *p)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += p->acquire_ms / 1000;
    deadline.tv_nsec += (long)(p->acquire_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    db_conn *c = NULL;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        /* Prefer an open connection, then an empty slot. */
        for (int i = 0; i < p->size && c == NULL; i++)
            if (!p->conns[i].in_use && p->conns[i].pg != NULL) c = &p->conns[i];
        for (int i = 0; i < p->size && c == NULL; i++)
            if (!p->conns[i].in_use) c = &p->conns[i];
        if (c != NULL) break;
        p->waiting++;
        int rc = pthread_cond_timedwait(&p->cv, &p->mu, &deadline);
        p->waiting--;
        if (rc == ETIMEDOUT) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
    }
    c->in_use = 1;
    pthread_mutex_unlock(&p->mu);
    if (conn_ready(p, c) != 0) {
        pool_release(p, c);
        return NULL;
    }
    return c;
}

db_conn *pool_try_checkout(db_pool *p)
{
    db_conn *c = NULL;
    pthread_mutex_lock(&p->mu);
    for (int i = 0; i < p->size && c == NULL; i++)
        if (!p->conns[i].in_use && p->conns[i].pg != NULL && !p->conns[i].broken) c = &p->conns[i];
    if (c != NULL) c->in_use = 1;
    pthread_mutex_unlock(&p->mu);
    if (c == NULL) return NULL;
    /* Only an open, idle connection with nothing to read (see conn_ready) is taken: anything
     * else (a server that closed it, a transaction left open) is left for pool_checkout to mend,
     * which may reconnect, so this caller's thread never waits on the network here. */
    if (PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) == PQTRANS_IDLE && !conn_closed_by_server(c))
        return c;
    pthread_mutex_lock(&p->mu);
    c->in_use = 0;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

void pool_release(db_pool *p, db_conn *c)
{
    if (c == NULL) return;
    if (c->pg != NULL && !c->broken && PQstatus(c->pg) == CONNECTION_OK &&
        PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
        PGresult *r = PQexec(c->pg, "ROLLBACK");
        if (PQresultStatus(r) != PGRES_COMMAND_OK) c->broken = 1;
        PQclear(r);
    }
    c->released_ms = coarse_ms();
    pthread_mutex_lock(&p->mu);
    c->in_use = 0;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void pool_stats(db_pool *p, int *size, int *in_use, int *waiting, int *open)
{
    pthread_mutex_lock(&p->mu);
    int used = 0, opened = 0;
    for (int i = 0; i < p->size; i++) {
        used += p->conns[i].in_use;
        opened += p->conns[i].pg != NULL;
    }
    *size = p->size;
    *in_use = used;
    *waiting = p->waiting;
    *open = opened;
    pthread_mutex_unlock(&p->mu);
}

static int stmt_slot(db_stmt *st)
{
    int s = __atomic_load_n(&st->slot, __ATOMIC_ACQUIRE);
    if (s != 0) return s;
    pthread_mutex_lock(&g_slot_mu);
    if (st->slot == 0) {
        int n = atomic_fetch_add(&g_next_slot, 1);
        if (n >= DB_MAX_STMTS) {
            log_msg(LOG_ERROR, "too many prepared statements; raise DB_MAX_STMTS");
            abort();
        }
        __atomic_store_n(&st->slot, n, __ATOMIC_RELEASE);
    }
    s = st->slot;
    pthread_mutex_unlock(&g_slot_mu);
    return s;
}

static void note_failure(db_conn *c)
{
    if (PQstatus(c->pg) != CONNECTION_OK) c->broken = 1;
}

void db_args_init(db_args *a)
{
    a->n = 0;
    a->overflow = 0;
}

/* The next slot, or NULL (and overflow noted) when the array is full. */
static int arg_slot(db_args *a)
{
    if (a->n >= DB_ARGS_MAX) {
        a->overflow = 1;
        return -1;
    }
    return a->n++;
}

void db_arg(db_args *a, db_val v)
{
    if (v.is_int) db_arg_int(a, v.n);
    else db_arg_text(a, v.text);
}

void db_args_set(db_args *a, int n, const db_val *vals)
{
    db_args_init(a);
    for (int i = 0; i < n; i++) db_arg(a, vals[i]);
}

void db_arg_text(db_args *a, const char *s)
{
    int i = arg_slot(a);
    if (i >= 0) a->v[i] = s;
}

void db_arg_date(db_args *a, const char *yyyy_mm_dd)
{
    db_arg_text(a, yyyy_mm_dd);
}

void db_arg_null(db_args *a)
{
    db_arg_text(a, NULL);
}

void db_arg_int(db_args *a, long long n)
{
    int i = arg_slot(a);
    if (i < 0) return;
    /* Written by hand: snprintf's format parsing was most of a single-row read's argument work. */
    char tmp[24], *p = tmp + sizeof tmp;
    unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
    *--p = '\0';
    do *--p = (char)('0' + u % 10); while ((u /= 10) != 0);
    if (n < 0) *--p = '-';
    memcpy(a->num[i], p, (size_t)(tmp + sizeof tmp - p));
    a->v[i] = a->num[i];
}

void db_arg_id(db_args *a, long long id)
{
    db_arg_int_if(a, id > 0, id);
}

void db_arg_bool(db_args *a, int b)
{
    db_arg_text(a, b ? "true" : "false");
}

void db_arg_int_if(db_args *a, int present, long long n)
{
    if (present) db_arg_int(a, n);
    else db_arg_null(a);
}

void db_arg_bool_if(db_args *a, int present, int b)
{
    if (present) db_arg_bool(a, b);
    else db_arg_null(a);
}

/* The statements DB_STMT put in the section bdhvs_stmts; weak, so a program without any links. */
extern db_stmt *const __start_bdhvs_stmts[] __attribute__((weak));
extern db_stmt *const __stop_bdhvs_stmts[] __attribute__((weak));

int db_stmt_each(void (*fn)(db_stmt *st, void *arg), void *arg)
{
    int n = 0;
    if (__start_bdhvs_stmts == NULL) return 0;
    /* The compiler may align a registered array beyond a pointer: skip the padding between. */
    for (db_stmt *const *p = __start_bdhvs_stmts; p < __stop_bdhvs_stmts; p++)
        if (*p != NULL) {
            fn(*p, arg);
            n++;
        }
    return n;
}

/* Prepares st on c and checks that the server counts as many parameters as st declares.
 * Returns NULL when done, else the failed result (a made-up one for a count mismatch). */
static PGresult *prepare(db_conn *c, db_stmt *st, int slot, char *err, size_t errlen)
{
    PGresult *r = PQprepare(c->pg, st->name, st->sql, st->nparams, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        note_failure(c);
        snprintf(err, errlen, "preparing %s failed: %s", st->name, PQresultErrorMessage(r));
        return r;
    }
    PQclear(r);
    r = PQdescribePrepared(c->pg, st->name);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        note_failure(c);
        snprintf(err, errlen, "describing %s failed: %s", st->name, PQresultErrorMessage(r));
        return r;
    }
    int server = PQnparams(r);
    PQclear(r);
    if (server != st->nparams) {
        snprintf(err, errlen, "statement %s declares %d parameters but its SQL has %d", st->name, st->nparams,
                 server);
        char sql[160];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", st->name);
        PQclear(PQexec(c->pg, sql));
        r = PQmakeEmptyPGresult(c->pg, PGRES_FATAL_ERROR);
        c->misuse = r;
        return r;
    }
    c->prepared[slot] = 1;
    return NULL;
}

int db_prepare(db_conn *c, db_stmt *st, char *err, size_t errlen)
{
    int slot = stmt_slot(st);
    if (c->prepared[slot]) return 0;
    PGresult *r = prepare(c, st, slot, err, errlen);
    if (r == NULL) return 0;
    PQclear(r);
    c->misuse = NULL;
    return -1;
}

PGresult *db_run(db_conn *c, db_stmt *st, const db_args *args)
{
    int n = args ? args->n : 0;
    c->misuse = NULL;
    if (args != NULL && args->overflow) n = DB_ARGS_MAX + 1;
    if (n != st->nparams) {
        log_msg(LOG_ERROR, "statement %s takes %d parameters but was given %d%s; not run", st->name, st->nparams,
                n > DB_ARGS_MAX ? DB_ARGS_MAX : n, n > DB_ARGS_MAX ? " or more" : "");
        PGresult *r = PQmakeEmptyPGresult(c->pg, PGRES_FATAL_ERROR);
        c->misuse = r;
        return r;
    }
    if (st->plan_each_run) { /* the unnamed statement: planned with these values */
        PGresult *r = PQexecParams(c->pg, st->sql, st->nparams, NULL, n ? args->v : NULL, NULL, NULL, 0);
        if (!db_ok(r)) note_failure(c);
        return r;
    }
    int slot = stmt_slot(st);
    if (!c->prepared[slot]) {
        char err[512];
        PGresult *r = prepare(c, st, slot, err, sizeof err);
        if (r != NULL) {
            if (!c->broken) log_msg(LOG_ERROR, "%s", err);
            return r;
        }
    }
    PGresult *r = PQexecPrepared(c->pg, st->name, st->nparams, n ? args->v : NULL, NULL, NULL, 0);
    if (!db_ok(r)) note_failure(c);
    return r;
}

int db_send(db_conn *c, db_stmt *st, const db_args *args)
{
    int n = args ? args->n : 0;
    if ((args != NULL && args->overflow) || n != st->nparams || st->plan_each_run || c->pg == NULL ||
        !c->prepared[stmt_slot(st)])
        return -1;
    c->misuse = NULL;
    PQclear(c->got); /* left by a read that never finished (a stop) */
    c->got = NULL;
    /* The socket stays in libpq's blocking mode: a message this small goes out at once. */
    if (!PQsendQueryPrepared(c->pg, st->name, st->nparams, n ? args->v : NULL, NULL, NULL, 0)) {
        note_failure(c);
        return -1;
    }
    return 0;
}

int db_socket(db_conn *c)
{
    return PQsocket(c->pg);
}

int db_receive(db_conn *c, PGresult **out)
{
    if (!PQconsumeInput(c->pg)) {
        /* The server went away mid-statement: what arrived is not to be trusted. */
        c->broken = 1;
        PQclear(c->got);
        c->got = NULL;
        *out = PQmakeEmptyPGresult(c->pg, PGRES_FATAL_ERROR);
        return 0;
    }
    while (!PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);
        if (r == NULL) {
            *out = c->got != NULL ? c->got : PQmakeEmptyPGresult(c->pg, PGRES_FATAL_ERROR);
            c->got = NULL;
            if (!db_ok(*out)) note_failure(c);
            return 0;
        }
        /* One statement gives one result; should there be more, the first error or else the
         * last one counts, as with PQexecPrepared. */
        if (c->got != NULL && !db_ok(c->got)) {
            PQclear(r);
        } else {
            PQclear(c->got);
            c->got = r;
        }
    }
    return 1;
}

PGresult *db_query(db_conn *c, const char *sql)
{
    c->misuse = NULL;
    PGresult *r = PQexec(c->pg, sql);
    if (!db_ok(r)) note_failure(c);
    return r;
}

int db_exec(db_conn *c, const char *sql)
{
    PGresult *r = PQexec(c->pg, sql);
    int ok = db_ok(r);
    if (!ok) note_failure(c);
    PQclear(r);
    return ok ? 0 : -1;
}

int db_begin(db_conn *c)
{
    return db_exec(c, "BEGIN");
}

int db_commit(db_conn *c)
{
    return db_exec(c, "COMMIT");
}

void db_rollback(db_conn *c)
{
    if (PQtransactionStatus(c->pg) != PQTRANS_IDLE) (void)db_exec(c, "ROLLBACK");
}

int db_ok(const PGresult *res)
{
    if (res == NULL) return 0;
    ExecStatusType s = PQresultStatus(res);
    return s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK || s == PGRES_COPY_IN;
}

const char *db_sqlstate(const PGresult *res)
{
    const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return s ? s : "";
}

const char *db_constraint(const PGresult *res)
{
    const char *s = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
    return s ? s : "";
}

int db_is_broken(db_conn *c)
{
    return c->broken || PQstatus(c->pg) != CONNECTION_OK;
}

db_err db_error_class(db_conn *c, const PGresult *res)
{
    if (res != NULL && db_ok(res)) return DB_OK;
    if (c != NULL && db_is_broken(c)) return DB_ERR_UNAVAILABLE;
    if (c != NULL && res != NULL && res == c->misuse) return DB_ERR_MISUSE;
    const char *st = db_sqlstate(res);
    if (strcmp(st, "23505") == 0) return DB_ERR_UNIQUE;
    if (strncmp(st, "23", 2) == 0) return DB_ERR_CONSTRAINT;
    if (strncmp(st, "22", 2) == 0) return DB_ERR_VALUE;
    /* serialization failure, deadlock, timeouts, too many connections, shutting down */
    if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0 || strcmp(st, "57014") == 0 ||
        strncmp(st, "08", 2) == 0 || strncmp(st, "53", 2) == 0 || strncmp(st, "57P", 3) == 0)
        return DB_ERR_UNAVAILABLE;
    return DB_ERR_OTHER;
}

int db_copy_begin(db_conn *c, const char *sql)
{
    PGresult *r = PQexec(c->pg, sql);
    int ok = PQresultStatus(r) == PGRES_COPY_IN;
    if (!ok) note_failure(c);
    PQclear(r);
    return ok ? 0 : -1;
}

int db_copy_put(db_conn *c, const char *data, size_t len)
{
    while (len > 0) {
        int part = len > (1u << 30) ? 1 << 30 : (int)len;
        if (PQputCopyData(c->pg, data, part) != 1) {
            note_failure(c);
            return -1;
        }
        data += part;
        len -= (size_t)part;
    }
    return 0;
}

PGresult *db_copy_end(db_conn *c, int ok)
{
    int sent = PQputCopyEnd(c->pg, ok ? NULL : "load abandoned") == 1;
    PGresult *res = PQgetResult(c->pg);
    PGresult *more;
    while ((more = PQgetResult(c->pg)) != NULL) PQclear(more);
    if (!sent && db_ok(res)) {
        PQclear(res);
        res = PQmakeEmptyPGresult(c->pg, PGRES_FATAL_ERROR);
    }
    if (res == NULL) res = PQmakeEmptyPGresult(c->pg, PGRES_FATAL_ERROR);
    if (!db_ok(res)) note_failure(c);
    return res;
}

int db_listen(db_conn *c, const char *channel)
{
    char sql[128];
    snprintf(sql, sizeof sql, "LISTEN %s", channel);
    return db_exec(c, sql);
}

int db_wait_notify(db_conn *c, int timeout_ms, void (*fn)(const char *payload, void *arg), void *arg)
{
    int fd = PQsocket(c->pg);
    if (fd < 0) return -1;
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(fd, &rd);
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    int n = select(fd + 1, &rd, NULL, NULL, &tv);
    if (n < 0 || (n > 0 && PQconsumeInput(c->pg) == 0) || PQstatus(c->pg) != CONNECTION_OK) {
        c->broken = 1;
        return -1;
    }
    int count = 0;
    PGnotify *note;
    while ((note = PQnotifies(c->pg)) != NULL) {
        fn(note->extra, arg);
        PQfreemem(note);
        count++;
    }
    return count;
}
