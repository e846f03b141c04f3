#include "bdhvs/db.h"
#include "bdhvs/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DB_MAX_STMTS 256

struct db_conn {
    PGconn *pg;
    int in_use;
    int broken;
    unsigned char prepared[DB_MAX_STMTS];
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
                          "-c statement_timeout=30000 -c TimeZone=UTC -c idle_in_transaction_session_timeout=60000",
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

/* Makes c usable: opens it, or replaces it when it broke. Called without the pool lock. */
static int conn_ready(db_pool *p, db_conn *c)
{
    if (c->pg != NULL && !c->broken && PQstatus(c->pg) == CONNECTION_OK) {
        PGTransactionStatusType ts = PQtransactionStatus(c->pg);
        if (ts == PQTRANS_IDLE) return 0;
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

void pool_release(db_pool *p, db_conn *c)
{
    if (c == NULL) return;
    if (c->pg != NULL && !c->broken && PQstatus(c->pg) == CONNECTION_OK &&
        PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
        PGresult *r = PQexec(c->pg, "ROLLBACK");
        if (PQresultStatus(r) != PGRES_COMMAND_OK) c->broken = 1;
        PQclear(r);
    }
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

PGresult *db_run(db_conn *c, db_stmt *st, const char *const *values)
{
    int slot = stmt_slot(st);
    if (!c->prepared[slot]) {
        PGresult *r = PQprepare(c->pg, st->name, st->sql, st->nparams, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            note_failure(c);
            if (!c->broken)
                log_msg(LOG_ERROR, "preparing %s failed: %s", st->name, PQresultErrorMessage(r));
            return r;
        }
        PQclear(r);
        c->prepared[slot] = 1;
    }
    PGresult *r = PQexecPrepared(c->pg, st->name, st->nparams, values, NULL, NULL, 0);
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

int db_error_status(db_conn *c, const PGresult *res)
{
    if (c != NULL && db_is_broken(c)) return 503;
    const char *st = db_sqlstate(res);
    if (strcmp(st, "23505") == 0) return 409;
    if (strncmp(st, "23", 2) == 0 || strncmp(st, "22", 2) == 0) return 422;
    /* serialization failure, deadlock, timeouts, too many connections, shutting down */
    if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0 || strcmp(st, "57014") == 0 ||
        strncmp(st, "08", 2) == 0 || strncmp(st, "53", 2) == 0 || strncmp(st, "57P", 3) == 0)
        return 503;
    return 500;
}
