/* PostgreSQL: a bounded pool of connections with lazily prepared statements. */
#ifndef BDHVS_DB_H
#define BDHVS_DB_H

#include <libpq-fe.h>
#include <stddef.h>

/* A statement prepared once per connection on first use. Declare them with DB_STMT in the
 * module that owns the SQL:  DB_STMT(STMT_X, "unit_get", "SELECT ... $1 ... $2", 2);
 * nparams is checked twice: against the server's own count when the statement is first
 * prepared (PQdescribePrepared), and against the arguments of every run. DB_STMT also puts the
 * statement in a registry (a linker section) that db_stmt_each walks, so a test can prepare
 * every statement the program knows. */
typedef struct db_stmt {
    const char *name;
    const char *sql;
    int nparams;
    int slot;          /* assigned on first use; 0 means not yet */
    const char *setup; /* NULL, or SQL the statement needs run first in its transaction (a temp
                          table it reads): for the test that prepares every statement */
    int plan_each_run; /* 1: planned for each run's values (DB_STMT_PLANNED), never from a cached
                          generic plan */
} db_stmt;

#define DB_STMT(var, name, sql, nparams) DB_STMT_SETUP(var, name, sql, nparams, NULL)
/* A statement whose best plan depends on its values (filters that are NULL or not, an ORDER BY an
 * index serves or not): PostgreSQL plans it for each run's values, as a cached generic plan of
 * such a statement can cost a hundred times more (the staff list: a page of 100 out of 100,000). */
#define DB_STMT_PLANNED(var, name, sql, nparams)                                               \
    static db_stmt var = {name, sql, nparams, 0, NULL, 1};                                    \
    DB_STMT_REGISTER(var, &var)
#define DB_STMT_SETUP(var, name, sql, nparams, setup)                                          \
    static db_stmt var = {name, sql, nparams, 0, setup};                                      \
    DB_STMT_REGISTER(var, &var)
/* Registers statements that live inside other structures (tag: a name for the list). */
#define DB_STMT_REGISTER(tag, ...)                                                             \
    static db_stmt *const tag##_reg_[] __attribute__((used, section("bdhvs_stmts"))) = {__VA_ARGS__}

/* Calls fn for every statement declared with DB_STMT in the objects linked into the program;
 * returns the number of statements. */
int db_stmt_each(void (*fn)(db_stmt *st, void *arg), void *arg);

/* The arguments of one statement run, in order ($1, $2, ...): all at once with db_args_of and
 * the value constructors below, or one by one with the db_arg_* builder (after db_args_init):
 *     db_args a;
 *     db_args_of(&a, db_id(id), db_text(code), api_scope(c));
 *     if (with_note) db_arg_text(&a, note);
 *     PGresult *r = db_run(api_conn(c), &STMT_X, &a);
 * Numbers and booleans are turned into text inside the db_args itself (inline storage, no
 * allocation); texts are borrowed: the pointer must stay valid until db_run returns. A db_args
 * lives on the caller's stack and may be run more than once. More than DB_ARGS_MAX arguments,
 * or a count that differs from the statement's, is a programming error that db_run reports
 * (logged, error result of class DB_ERR_MISUSE: the API answers 500) without reading past
 * anything. */
#define DB_ARGS_MAX 24
typedef struct db_args {
    int n;        /* arguments added so far */
    int overflow; /* set when more than DB_ARGS_MAX were added */
    const char *v[DB_ARGS_MAX];
    char num[DB_ARGS_MAX][24];
} db_args;

/* One argument as a value, for db_args_of: the constructors below. */
typedef struct db_val {
    const char *text; /* borrowed; used when not is_int */
    long long n;
    int is_int;
} db_val;

static inline db_val db_text(const char *s) { return (db_val){s, 0, 0}; }
static inline db_val db_null(void) { return (db_val){NULL, 0, 0}; }
static inline db_val db_int(long long n) { return (db_val){NULL, n, 1}; }
/* An id: SQL NULL when id <= 0 (not given). */
static inline db_val db_id(long long id) { return id > 0 ? db_int(id) : db_null(); }
static inline db_val db_date(const char *yyyy_mm_dd) { return db_text(yyyy_mm_dd); }
static inline db_val db_bool(int b) { return db_text(b ? "true" : "false"); }
/* n or b when present, else SQL NULL. */
static inline db_val db_int_if(int present, long long n) { return present ? db_int(n) : db_null(); }
static inline db_val db_bool_if(int present, int b) { return present ? db_bool(b) : db_null(); }

/* Fills a with the n values in order ($1, $2, ...), replacing what it held. */
void db_args_set(db_args *a, int n, const db_val *vals);
/* db_args_of(&a, db_int(id), db_text(code), ...): the whole list in one statement. */
#define db_args_of(a, ...)                                                                         \
    db_args_set((a), (int)(sizeof((db_val[]){__VA_ARGS__}) / sizeof(db_val)), (db_val[]){__VA_ARGS__})

void db_args_init(db_args *a);
/* Appends v. */
void db_arg(db_args *a, db_val v);
/* Borrowed text (NULL: SQL NULL). Dates (YYYY-MM-DD) and JSON are text too. */
void db_arg_text(db_args *a, const char *s);
void db_arg_date(db_args *a, const char *yyyy_mm_dd);
void db_arg_null(db_args *a);
void db_arg_int(db_args *a, long long n);
/* An id: SQL NULL when id <= 0 (not given), else its decimal text. */
void db_arg_id(db_args *a, long long id);
void db_arg_bool(db_args *a, int b);
/* n or b when present, else SQL NULL. */
void db_arg_int_if(db_args *a, int present, long long n);
void db_arg_bool_if(db_args *a, int present, int b);

typedef struct db_conn db_conn;
typedef struct db_pool db_pool;

/* Creates a pool of up to size connections to conninfo (a libpq string or URI); connections
 * open on demand. Returns NULL on allocation failure. Free with pool_destroy. */
db_pool *pool_create(const char *conninfo, int size, int acquire_ms);
void pool_destroy(db_pool *p); /* accepts NULL */

/* Waits up to the pool's acquire time for a healthy connection. Returns NULL when none could
 * be had (pool exhausted or database down): answer 503. Give it back with pool_release. */
db_conn *pool_checkout(db_pool *p);
void pool_release(db_pool *p, db_conn *c); /* rolls back an open transaction; accepts NULL */
/* An open, idle connection if one is free right now, else NULL at once (never waits, never
 * connects or reconnects): for work that must not block its thread. Give it back with
 * pool_release. */
db_conn *pool_try_checkout(db_pool *p);
void pool_stats(db_pool *p, int *size, int *in_use, int *waiting, int *open);

/* Opens a single connection outside any pool (command-line tools). NULL on failure, with the
 * reason in err. Free with db_close. */
db_conn *db_open(const char *conninfo, char *err, size_t errlen);
void db_close(db_conn *c);

/* Runs a prepared statement with args (NULL: none). Always returns a result (possibly an error
 * result) that the caller PQclears; NULL only when out of memory. When the number of args is
 * not the statement's, nothing is sent: the error is logged and an error result returned. */
PGresult *db_run(db_conn *c, db_stmt *st, const db_args *args);
/* db_run in two halves, for a thread that must not wait on the database (the server's loops):
 * db_send sends st with args and returns 0, or -1 when it sent nothing (st is not prepared on c
 * yet, the count of args is wrong, or the connection failed: run it with db_run on a thread that
 * may wait). Then db_receive, whenever db_socket(c) is readable, reads what has arrived without
 * waiting: 1 while the result is incomplete; 0 once it is, with the result (as db_run's, which
 * the caller PQclears) in *out. A connection that failed meanwhile gives an error result and is
 * replaced when next checked out. */
int db_send(db_conn *c, db_stmt *st, const db_args *args);
int db_socket(db_conn *c);
int db_receive(db_conn *c, PGresult **out);
/* Prepares st on c now (a no-op when it already is), checking its parameter count. 0 when
 * done; else -1 with the reason in err. */
int db_prepare(db_conn *c, db_stmt *st, char *err, size_t errlen);
/* Runs plain SQL without parameters (BEGIN, COMMIT...). Returns 0 when it succeeded. */
int db_exec(db_conn *c, const char *sql);
/* Runs plain SQL (several statements allowed, no parameters) and returns its last result like
 * db_run: for scripts such as the demo data and one-off queries of command-line tools. */
PGresult *db_query(db_conn *c, const char *sql);
int db_begin(db_conn *c);
int db_commit(db_conn *c);
void db_rollback(db_conn *c);

/* COPY ... FROM STDIN in three steps, with the data in COPY's text format:
 * db_copy_begin starts it (sql: the COPY statement); 0, or -1 when the database refused.
 * db_copy_put sends len bytes; 0, or -1 when the connection failed.
 * db_copy_end ends it: with ok the rows are taken, else the COPY is abandoned. It returns the
 * COPY's result like db_run (success or error, for api_db_error; the caller PQclears it;
 * abandoned: an error result) and leaves the connection ready for the next statement. */
int db_copy_begin(db_conn *c, const char *sql);
int db_copy_put(db_conn *c, const char *data, size_t len);
PGresult *db_copy_end(db_conn *c, int ok);

/* LISTEN on channel (an SQL identifier, ours). 0 when done. */
int db_listen(db_conn *c, const char *channel);
/* Waits up to timeout_ms on a listening connection and calls fn(payload, arg) for each
 * notification that arrived. Returns how many there were, or -1 when the connection is lost
 * (close it and open another). */
int db_wait_notify(db_conn *c, int timeout_ms, void (*fn)(const char *payload, void *arg), void *arg);

/* True when res is a success (tuples or command ok). */
int db_ok(const PGresult *res);

/* What kind of failure a result is; the API layer maps these to HTTP statuses (api_db_status). */
typedef enum db_err {
    DB_OK = 0,
    DB_ERR_UNAVAILABLE, /* unreachable, broken connection, busy: serialization, deadlock,
                           timeout, too many connections, shutting down */
    DB_ERR_UNIQUE,      /* unique violation (23505) */
    DB_ERR_CONSTRAINT,  /* another integrity violation: FK, check, not-null, exclusion (23xxx) */
    DB_ERR_VALUE,       /* a value the database refused: bad format, out of range (22xxx) */
    DB_ERR_MISUSE,      /* a programming error: arguments not the statement's count, or a
                           declared count that is not its SQL's */
    DB_ERR_OTHER,       /* anything else */
} db_err;
/* The class of res on c (c may be NULL); DB_OK for a success. */
db_err db_error_class(db_conn *c, const PGresult *res);
/* The SQLSTATE of an error result, "" when none. */
const char *db_sqlstate(const PGresult *res);
/* The constraint name of an error result, "" when none. */
const char *db_constraint(const PGresult *res);
/* Marks the connection broken so the pool replaces it. */
int db_is_broken(db_conn *c);

#endif
