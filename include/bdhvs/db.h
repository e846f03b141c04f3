/* PostgreSQL: a bounded pool of connections with lazily prepared statements. */
#ifndef BDHVS_DB_H
#define BDHVS_DB_H

#include <libpq-fe.h>

/* A statement prepared once per connection on first use. Declare them static in the module
 * that owns the SQL: static db_stmt STMT_X = {"unit_get", "SELECT ...", 2};  */
typedef struct db_stmt {
    const char *name;
    const char *sql;
    int nparams;
    int slot; /* assigned on first use; 0 means not yet */
} db_stmt;

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
void pool_stats(db_pool *p, int *size, int *in_use, int *waiting, int *open);

/* Opens a single connection outside any pool (command-line tools). NULL on failure, with the
 * reason in err. Free with db_close. */
db_conn *db_open(const char *conninfo, char *err, size_t errlen);
void db_close(db_conn *c);
PGconn *db_pg(db_conn *c);

/* Runs a prepared statement; values are text or NULL for SQL NULL. Always returns a result
 * (possibly an error result) that the caller PQclears; NULL only when out of memory. */
PGresult *db_run(db_conn *c, db_stmt *st, const char *const *values);
/* Runs plain SQL without parameters (BEGIN, COMMIT...). Returns 0 when it succeeded. */
int db_exec(db_conn *c, const char *sql);
int db_begin(db_conn *c);
int db_commit(db_conn *c);
void db_rollback(db_conn *c);

/* True when res is a success (tuples or command ok). */
int db_ok(const PGresult *res);
/* The HTTP status that a failed result deserves: 503 when the database is unreachable or
 * busy, 409 for a unique violation, 422 for a constraint or value error, 500 otherwise. */
int db_error_status(db_conn *c, const PGresult *res);
/* The SQLSTATE of an error result, "" when none. */
const char *db_sqlstate(const PGresult *res);
/* The constraint name of an error result, "" when none. */
const char *db_constraint(const PGresult *res);
/* Marks the connection broken so the pool replaces it. */
int db_is_broken(db_conn *c);

#endif
