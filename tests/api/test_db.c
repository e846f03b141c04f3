/* The database interface (include/bdhvs/db.h) against the migrated test database: every statement
 * the program declares prepares, with the parameter count it declares; an argument list of the
 * wrong length is refused before anything is sent (class DB_ERR_MISUSE, answered 500); the
 * argument builder's texts. */
#include "client.h"

#include "bdhvs/api.h"
#include "bdhvs/db.h"
#include "bdhvs/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Statements of the test itself; the registry holds them too, and they are valid. */
DB_STMT(T_SUM, "test_db_sum", "SELECT $1::int + $2::int", 2);

static db_conn *open_test_db(void)
{
    const char *ci = getenv("BDHVS_TEST_DB");
    char err[256];
    db_conn *db = db_open(ci ? ci : "host=127.0.0.1 port=54321 dbname=bdhvs_test user=bdhvs", err, sizeof err);
    ck_assert_msg(db != NULL, "test database: %s", err);
    return db;
}

typedef struct walk {
    db_conn *db;
    int n, failed;
    char failures[4000];
} walk;

static void prepare_one(db_stmt *st, void *arg)
{
    walk *w = arg;
    char err[600] = "";
    w->n++;
    int bad = db_begin(w->db) != 0;
    if (!bad && st->setup != NULL && db_exec(w->db, st->setup) != 0) {
        snprintf(err, sizeof err, "setup of %s failed", st->name);
        bad = 1;
    } else if (!bad) {
        bad = db_prepare(w->db, st, err, sizeof err) != 0;
    }
    db_rollback(w->db);
    if (bad) {
        w->failed++;
        size_t len = strlen(w->failures);
        snprintf(w->failures + len, sizeof w->failures - len, "%s\n", err);
    }
}

/* Pulled into the test program so that the registry holds every statement of src/api. */
static int (*volatile KEEP_SEED)(db_conn *, const char *) = api_seed_demo;
static int (*volatile KEEP_PSEUDO)(db_conn *, int, long long *) = api_audit_pseudonymise;

START_TEST(every_statement_prepares)
{
    ck_assert_ptr_nonnull(KEEP_SEED);
    ck_assert_ptr_nonnull(KEEP_PSEUDO);
    ck_assert_int_gt(api_nroutes, 0);
    db_conn *db = open_test_db();
    walk w = {db, 0, 0, ""};
    int n = db_stmt_each(prepare_one, &w);
    ck_assert_int_eq(n, w.n);
    /* 144 statements in src/api when this was written, plus the test's own: a few may come and
     * go, but a registry that lost a file's statements would fall below this. */
    ck_assert_msg(n >= 140, "only %d statements are registered", n);
    ck_assert_msg(w.failed == 0, "%d of %d statements do not prepare:\n%s", w.failed, n, w.failures);
    db_close(db);
}
END_TEST

START_TEST(wrong_argument_count_is_refused)
{
    db_conn *db = open_test_db();
    db_args a;
    db_args_init(&a);
    db_arg_int(&a, 2);
    PGresult *r = db_run(db, &T_SUM, &a); /* one of two */
    ck_assert(!db_ok(r));
    ck_assert_int_eq(db_error_class(db, r), DB_ERR_MISUSE);
    ck_assert_int_eq(api_db_status(db_error_class(db, r)), 500);
    PQclear(r);
    db_arg_int(&a, 3);
    db_arg_int(&a, 4);
    r = db_run(db, &T_SUM, &a); /* three of two */
    ck_assert_int_eq(db_error_class(db, r), DB_ERR_MISUSE);
    PQclear(r);
    r = db_run(db, &T_SUM, NULL); /* none */
    ck_assert_int_eq(db_error_class(db, r), DB_ERR_MISUSE);
    PQclear(r);
    db_args_init(&a);
    for (int i = 0; i < DB_ARGS_MAX + 3; i++) db_arg_int(&a, i);
    ck_assert_int_eq(a.n, DB_ARGS_MAX);
    ck_assert_int_eq(a.overflow, 1);
    r = db_run(db, &T_SUM, &a); /* more than a db_args holds */
    ck_assert_int_eq(db_error_class(db, r), DB_ERR_MISUSE);
    PQclear(r);
    /* The connection is untouched: the right count runs. */
    db_args_init(&a);
    db_arg_int(&a, 2);
    db_arg_int(&a, 3);
    r = db_run(db, &T_SUM, &a);
    ck_assert(db_ok(r));
    ck_assert_int_eq(db_error_class(db, r), DB_OK);
    ck_assert_str_eq(PQgetvalue(r, 0, 0), "5");
    PQclear(r);
    db_close(db);
}
END_TEST

START_TEST(declared_count_differs_from_sql)
{
    /* Not registered: it is wrong on purpose. */
    static db_stmt bad = {"test_db_bad_count", "SELECT $1::int + $2::int", 1, 0, NULL};
    db_conn *db = open_test_db();
    char err[300];
    ck_assert_int_eq(db_prepare(db, &bad, err, sizeof err), -1);
    ck_assert_str_eq(err, "statement test_db_bad_count declares 1 parameters but its SQL has 2");
    db_args a;
    db_args_init(&a);
    db_arg_int(&a, 1);
    PGresult *r = db_run(db, &bad, &a);
    ck_assert_int_eq(db_error_class(db, r), DB_ERR_MISUSE);
    PQclear(r);
    /* It was taken back: the next try meets the same check, not "already exists". */
    ck_assert_int_eq(db_prepare(db, &bad, err, sizeof err), -1);
    ck_assert_str_eq(err, "statement test_db_bad_count declares 1 parameters but its SQL has 2");
    db_close(db);
}
END_TEST

START_TEST(error_classes)
{
    ck_assert_int_eq(api_db_status(DB_ERR_UNAVAILABLE), 503);
    ck_assert_int_eq(api_db_status(DB_ERR_UNIQUE), 409);
    ck_assert_int_eq(api_db_status(DB_ERR_CONSTRAINT), 422);
    ck_assert_int_eq(api_db_status(DB_ERR_VALUE), 422);
    ck_assert_int_eq(api_db_status(DB_ERR_OTHER), 500);
    db_conn *db = open_test_db();
    PGresult *r = db_query(db, "SELECT 'x'::int");
    ck_assert_int_eq(db_error_class(db, r), DB_ERR_VALUE);
    PQclear(r);
    r = db_query(db, "SELECT * FROM no_such_table_here");
    ck_assert_int_eq(db_error_class(db, r), DB_ERR_OTHER);
    PQclear(r);
    r = db_query(db, "CREATE TEMP TABLE t_db_classes (k int PRIMARY KEY, v int NOT NULL CHECK (v > 0))");
    ck_assert(db_ok(r));
    PQclear(r);
    r = db_query(db, "INSERT INTO t_db_classes VALUES (1, 1), (1, 2)");
    ck_assert_int_eq(db_error_class(db, r), DB_ERR_UNIQUE);
    PQclear(r);
    r = db_query(db, "INSERT INTO t_db_classes VALUES (2, NULL)");
    ck_assert_int_eq(db_error_class(db, r), DB_ERR_CONSTRAINT);
    PQclear(r);
    r = db_query(db, "INSERT INTO t_db_classes VALUES (3, -1)");
    ck_assert_int_eq(db_error_class(db, r), DB_ERR_CONSTRAINT);
    PQclear(r);
    db_close(db);
}
END_TEST

START_TEST(argument_texts)
{
    db_args a;
    db_args_init(&a);
    db_arg_int(&a, -9223372036854775807LL - 1);
    db_arg_id(&a, 0);
    db_arg_id(&a, 42);
    db_arg_bool(&a, 1);
    db_arg_bool(&a, 0);
    db_arg_bool_if(&a, 0, 1);
    db_arg_int_if(&a, 1, 7);
    db_arg_int_if(&a, 0, 7);
    db_arg_text(&a, "x");
    db_arg_date(&a, "2026-06-30");
    db_arg_null(&a);
    ck_assert_int_eq(a.n, 11);
    ck_assert_int_eq(a.overflow, 0);
    ck_assert_str_eq(a.v[0], "-9223372036854775808");
    ck_assert_ptr_null(a.v[1]);
    ck_assert_str_eq(a.v[2], "42");
    ck_assert_str_eq(a.v[3], "true");
    ck_assert_str_eq(a.v[4], "false");
    ck_assert_ptr_null(a.v[5]);
    ck_assert_str_eq(a.v[6], "7");
    ck_assert_ptr_null(a.v[7]);
    ck_assert_str_eq(a.v[8], "x");
    ck_assert_str_eq(a.v[9], "2026-06-30");
    ck_assert_ptr_null(a.v[10]);
}
END_TEST

Suite *db_suite(void)
{
    Suite *s = suite_create("db");
    TCase *t = tcase_create("db");
    tcase_add_test(t, every_statement_prepares);
    tcase_add_test(t, wrong_argument_count_is_refused);
    tcase_add_test(t, declared_count_differs_from_sql);
    tcase_add_test(t, error_classes);
    tcase_add_test(t, argument_texts);
    suite_add_tcase(s, t);
    return s;
}
