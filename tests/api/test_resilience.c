#include "client.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

START_TEST(server_serves_again_after_a_postgresql_restart)
{
    const char *cmd = getenv("BDHVS_TEST_PG_RESTART");
    if (cmd == NULL || *cmd == '\0') return; /* only where the test may restart the database */
    long long id = unit_id("TTYT-SD");
    char path[64];
    snprintf(path, sizeof path, "/api/v1/units/%lld", id);
    resp *r = http_get(path, T_SD_REPORTER);
    ASSERT_STATUS(r, 200);
    resp_free(r);
    ck_assert_int_eq(system(cmd), 0);
    /* Every pooled connection is now dead; the pool must replace them by itself. Requests may
     * meet a 503 while that happens, never a 500. */
    long last = 0;
    for (int i = 0; i < 40 && last != 200; i++) {
        r = http_get(path, T_SD_REPORTER);
        last = r->status;
        ck_assert_msg(last == 200 || last == 503, "got %ld", last);
        if (last == 503) {
            char ra[16];
            ck_assert_ptr_nonnull(resp_header(r, "Retry-After", ra, sizeof ra));
        }
        resp_free(r);
        if (last != 200) usleep(250 * 1000);
    }
    ck_assert_int_eq(last, 200);
    /* Enough requests to touch every connection of the pool. */
    for (int i = 0; i < 24; i++) {
        r = http_get(path, T_SD_REPORTER);
        ck_assert_msg(r->status == 200 || r->status == 503, "got %ld", r->status);
        resp_free(r);
    }
    r = http_get("/readyz", NULL);
    ASSERT_STATUS(r, 200);
    resp_free(r);
}
END_TEST

/* Once PostgreSQL is back, no request meets a connection the restart closed: the pool notices a
 * closed idle connection when it hands it out and replaces it (before: one 503 per pooled
 * connection). */
START_TEST(no_503_once_postgresql_is_back)
{
    const char *cmd = getenv("BDHVS_TEST_PG_RESTART");
    if (cmd == NULL || *cmd == '\0') return;
    long long id = unit_id("TTYT-SD");
    char path[64];
    snprintf(path, sizeof path, "/api/v1/units/%lld", id);
    /* Open several pooled connections: concurrent requests would, but a few in a row reuse one;
     * the ops-free main pool keeps what earlier suites opened (8). */
    for (int i = 0; i < 8; i++) {
        resp *r = http_get(path, T_SD_REPORTER);
        ASSERT_STATUS(r, 200);
        resp_free(r);
    }
    ck_assert_int_eq(system(cmd), 0);
    /* Wait until PostgreSQL accepts connections again. */
    const char *url = getenv("BDHVS_TEST_DB");
    int up = 0;
    for (int i = 0; i < 100 && !up; i++) {
        PGconn *pg = PQconnectdb(url);
        up = PQstatus(pg) == CONNECTION_OK;
        PQfinish(pg);
        if (!up) usleep(100 * 1000);
    }
    ck_assert(up);
    for (int i = 0; i < 24; i++) {
        resp *r = http_get(path, T_SD_REPORTER);
        ASSERT_STATUS(r, 200);
        resp_free(r);
    }
}
END_TEST

Suite *resilience_suite(void)
{
    Suite *s = suite_create("resilience");
    TCase *t = tcase_create("resilience");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, server_serves_again_after_a_postgresql_restart);
    tcase_add_test(t, no_503_once_postgresql_is_back);
    suite_add_tcase(s, t);
    return s;
}
