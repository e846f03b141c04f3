#include "tests.h"
#include "bdhvs/config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const VARS[] = {"BDHVS_DATABASE_URL", "BDHVS_LISTEN", "BDHVS_JWT_SECRET", "BDHVS_DB_POOL",
                                   "BDHVS_THREADS", "BDHVS_MAX_BODY", "BDHVS_CORS_ORIGINS", "BDHVS_LOG_LEVEL", NULL};

static void clean_env(void)
{
    for (int i = 0; VARS[i]; i++) unsetenv(VARS[i]);
    setenv("BDHVS_JWT_SECRET", "0123456789abcdef0123456789abcdef", 1);
}

START_TEST(config_defaults_are_used_when_nothing_is_set)
{
    clean_env();
    bdhvs_config c;
    char err[256];
    ck_assert_int_eq(config_load(&c, 1, err, sizeof err), 0);
    ck_assert_str_eq(c.listen_host, "127.0.0.1");
    ck_assert_int_eq(c.listen_port, 8080);
    ck_assert_int_eq(c.db_pool, 8);
    ck_assert_uint_eq(c.max_body, 10u * 1024 * 1024);
    ck_assert_uint_eq(c.jwt_secret_len, 32);
}
END_TEST

START_TEST(config_refuses_a_secret_under_32_bytes)
{
    clean_env();
    setenv("BDHVS_JWT_SECRET", "0123456789abcdef0123456789abcde", 1); /* 31 bytes */
    bdhvs_config c;
    char err[256];
    ck_assert_int_eq(config_load(&c, 1, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "at least 32 bytes"));
    unsetenv("BDHVS_JWT_SECRET");
    ck_assert_int_eq(config_load(&c, 1, err, sizeof err), -1);
    /* Commands that sign nothing do not need it. */
    ck_assert_int_eq(config_load(&c, 0, err, sizeof err), 0);
}
END_TEST

START_TEST(config_refuses_bad_ports)
{
    static const char *const bad[] = {"127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:http", "127.0.0.1:", "8080",
                                      ":8080", "127.0.0.1:80a", NULL};
    bdhvs_config c;
    char err[256];
    for (int i = 0; bad[i]; i++) {
        clean_env();
        setenv("BDHVS_LISTEN", bad[i], 1);
        ck_assert_msg(config_load(&c, 1, err, sizeof err) == -1, "accepted %s", bad[i]);
        ck_assert_ptr_nonnull(strstr(err, "BDHVS_LISTEN"));
    }
    clean_env();
    setenv("BDHVS_LISTEN", "0.0.0.0:18080", 1);
    ck_assert_int_eq(config_load(&c, 1, err, sizeof err), 0);
    ck_assert_int_eq(c.listen_port, 18080);
    ck_assert_str_eq(c.listen_host, "0.0.0.0");
}
END_TEST

START_TEST(config_refuses_bad_numbers)
{
    static const char *const vars[][2] = {{"BDHVS_DB_POOL", "0"},     {"BDHVS_DB_POOL", "ten"},
                                          {"BDHVS_DB_POOL", "8x"},    {"BDHVS_THREADS", "-1"},
                                          {"BDHVS_THREADS", ""},      {"BDHVS_MAX_BODY", "10"},
                                          {"BDHVS_DB_POOL", "99999999999999999999"},
                                          {"BDHVS_LOG_LEVEL", "loud"}, {NULL, NULL}};
    bdhvs_config c;
    char err[256];
    for (int i = 0; vars[i][0]; i++) {
        clean_env();
        setenv(vars[i][0], vars[i][1], 1);
        ck_assert_msg(config_load(&c, 1, err, sizeof err) == -1, "accepted %s=%s", vars[i][0], vars[i][1]);
        ck_assert_ptr_nonnull(strstr(err, vars[i][0]));
    }
}
END_TEST

/* The whole-number settings read from one table (src/core/config.c INT_SETTINGS): each default,
 * and each bound refused with the variable named and accepted at its edge. */
START_TEST(config_whole_number_settings_have_their_defaults_and_bounds)
{
    static const struct {
        const char *name;
        long min, max;
        int def;
        size_t field;
    } cases[] = {
        {"BDHVS_DB_ACQUIRE_MS", 1, 600000, 2000, offsetof(bdhvs_config, db_acquire_ms)},
        {"BDHVS_ACCESS_TTL", 30, 86400, 900, offsetof(bdhvs_config, access_ttl)},
        {"BDHVS_QUEUE_MS", 100, 600000, 15000, offsetof(bdhvs_config, queue_ms)},
        {"BDHVS_REFRESH_GRACE", 0, 300, 10, offsetof(bdhvs_config, refresh_grace)},
        {"BDHVS_IO_THREADS", 1, 64, 2, offsetof(bdhvs_config, io_threads)},
        {"BDHVS_TRANSFER_HORIZON_DAYS", 0, 3660, 31, offsetof(bdhvs_config, transfer_horizon_days)},
        {"BDHVS_CHANGES_RETENTION_DAYS", 1, 3650, 30, offsetof(bdhvs_config, changes_retention_days)},
        {"BDHVS_WEBHOOK_THREADS", 0, 64, 2, offsetof(bdhvs_config, webhook_threads)},
        {"BDHVS_WEBHOOK_OVERDUE_DAYS", 1, 366, 7, offsetof(bdhvs_config, webhook_overdue_days)},
    };
    bdhvs_config c;
    char err[256], v[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        clean_env();
        unsetenv(cases[i].name);
        ck_assert_int_eq(config_load(&c, 1, err, sizeof err), 0);
        ck_assert_int_eq(*(int *)((char *)&c + cases[i].field), cases[i].def);
        snprintf(v, sizeof v, "%ld", cases[i].max);
        setenv(cases[i].name, v, 1);
        ck_assert_int_eq(config_load(&c, 1, err, sizeof err), 0);
        ck_assert_int_eq(*(int *)((char *)&c + cases[i].field), (int)cases[i].max);
        snprintf(v, sizeof v, "%ld", cases[i].max + 1);
        setenv(cases[i].name, v, 1);
        ck_assert_int_eq(config_load(&c, 1, err, sizeof err), -1);
        ck_assert_msg(strstr(err, cases[i].name) != NULL, "%s", err);
        snprintf(v, sizeof v, "%ld", cases[i].min - 1);
        setenv(cases[i].name, v, 1);
        ck_assert_int_eq(config_load(&c, 1, err, sizeof err), -1);
        unsetenv(cases[i].name);
    }
}
END_TEST

START_TEST(config_parse_int_is_strict)
{
    long v;
    ck_assert_int_eq(config_parse_int("42", 0, 100, &v), 0);
    ck_assert_int_eq(v, 42);
    ck_assert_int_eq(config_parse_int(" 42", 0, 100, &v), -1);
    ck_assert_int_eq(config_parse_int("42 ", 0, 100, &v), -1);
    ck_assert_int_eq(config_parse_int("101", 0, 100, &v), -1);
    ck_assert_int_eq(config_parse_int("", 0, 100, &v), -1);
}
END_TEST

START_TEST(config_migrate_url_defaults_to_the_servers_and_the_retention_age_is_checked)
{
    clean_env();
    unsetenv("BDHVS_MIGRATE_DATABASE_URL");
    unsetenv("BDHVS_AUDIT_PSEUDONYMISE_DAYS");
    bdhvs_config c;
    char err[256];
    ck_assert_int_eq(config_load(&c, 0, err, sizeof err), 0);
    ck_assert_str_eq(c.database_url, "host=127.0.0.1 port=54320 dbname=bdhvs user=bdhvs_app");
    ck_assert_str_eq(c.migrate_database_url, "host=127.0.0.1 port=54320 dbname=bdhvs user=bdhvs_owner");
    ck_assert_int_eq(c.audit_pseudonymise_days, 365);
    setenv("BDHVS_DATABASE_URL", "host=db user=one", 1);
    ck_assert_int_eq(config_load(&c, 0, err, sizeof err), 0);
    ck_assert_str_eq(c.migrate_database_url, "host=db user=one"); /* one role for both */
    setenv("BDHVS_MIGRATE_DATABASE_URL", "host=db user=owner", 1);
    setenv("BDHVS_AUDIT_PSEUDONYMISE_DAYS", "30", 1);
    ck_assert_int_eq(config_load(&c, 0, err, sizeof err), 0);
    ck_assert_str_eq(c.database_url, "host=db user=one");
    ck_assert_str_eq(c.migrate_database_url, "host=db user=owner");
    ck_assert_int_eq(c.audit_pseudonymise_days, 30);
    setenv("BDHVS_AUDIT_PSEUDONYMISE_DAYS", "0", 1);
    ck_assert_int_eq(config_load(&c, 0, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "BDHVS_AUDIT_PSEUDONYMISE_DAYS"));
    unsetenv("BDHVS_MIGRATE_DATABASE_URL");
    unsetenv("BDHVS_AUDIT_PSEUDONYMISE_DAYS");
    unsetenv("BDHVS_DATABASE_URL");
}
END_TEST

/* Writes text to a fresh temporary file and returns its path (a static buffer). */
static const char *secret_file(const char *text, size_t len)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/bdhvs-secret-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

START_TEST(config_reads_secrets_from_files)
{
    clean_env();
    unsetenv("BDHVS_JWT_SECRET");
    unsetenv("BDHVS_MIGRATE_DATABASE_URL");
    bdhvs_config c;
    char err[256];
    /* The file's text without its trailing line break, as Docker secrets are written. */
    const char *p = secret_file("abcdefghijabcdefghijabcdefghij-file-secret\n", 43);
    setenv("BDHVS_JWT_SECRET_FILE", p, 1);
    const char *q = secret_file("host=db dbname=x user=bdhvs_app password=s3cret\r\n", 49);
    char qpath[64];
    snprintf(qpath, sizeof qpath, "%s", q);
    setenv("BDHVS_DATABASE_URL_FILE", qpath, 1);
    ck_assert_int_eq(config_load(&c, 1, err, sizeof err), 0);
    ck_assert_str_eq(c.jwt_secret, "abcdefghijabcdefghijabcdefghij-file-secret");
    ck_assert_uint_eq(c.jwt_secret_len, 42);
    ck_assert_str_eq(c.database_url, "host=db dbname=x user=bdhvs_app password=s3cret");
    /* The owner's connection falls back to the server's, from the file too. */
    ck_assert_str_eq(c.migrate_database_url, c.database_url);

    /* Both a variable and its file: refused, naming both and not the value. */
    setenv("BDHVS_JWT_SECRET", "0123456789abcdef0123456789abcdef", 1);
    ck_assert_int_eq(config_load(&c, 1, err, sizeof err), -1);
    ck_assert_str_eq(err, "set BDHVS_JWT_SECRET or BDHVS_JWT_SECRET_FILE, not both");
    unsetenv("BDHVS_JWT_SECRET");

    /* A file that is not there, and an empty one: refused without echoing any secret. */
    setenv("BDHVS_DATABASE_URL_FILE", "/nonexistent/bdhvs-url", 1);
    ck_assert_int_eq(config_load(&c, 1, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "BDHVS_DATABASE_URL_FILE: cannot read /nonexistent/bdhvs-url"));
    const char *e = secret_file("\n", 1);
    setenv("BDHVS_DATABASE_URL_FILE", e, 1);
    ck_assert_int_eq(config_load(&c, 1, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "is empty"));
    unlink(e);
    unlink(qpath);
    unlink(p);
    unsetenv("BDHVS_DATABASE_URL_FILE");
    unsetenv("BDHVS_JWT_SECRET_FILE");
}
END_TEST

Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *t = tcase_create("config");
    tcase_add_test(t, config_defaults_are_used_when_nothing_is_set);
    tcase_add_test(t, config_refuses_a_secret_under_32_bytes);
    tcase_add_test(t, config_refuses_bad_ports);
    tcase_add_test(t, config_refuses_bad_numbers);
    tcase_add_test(t, config_parse_int_is_strict);
    tcase_add_test(t, config_whole_number_settings_have_their_defaults_and_bounds);
    tcase_add_test(t, config_migrate_url_defaults_to_the_servers_and_the_retention_age_is_checked);
    tcase_add_test(t, config_reads_secrets_from_files);
    suite_add_tcase(s, t);
    return s;
}
