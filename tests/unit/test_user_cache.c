/* Issue 14, several processes: the rights cache (src/auth/rights.c) forgets a user when any
 * process changes it (LISTEN bdhvs_users), and never keeps an answer read from the database
 * before such a change once the change has been heard. Needs BDHVS_TEST_DB (a database the
 * listener can connect to; no table is needed: the notifications are sent by hand). */
#include "tests.h"
#include "bdhvs/db.h"
#include "bdhvs/rights.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define USER_ID 987654321LL

static db_conn *DB;

/* Sends what the trigger of migration 0002 sends when users row id changes. */
static void notify(long long id)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT pg_notify('bdhvs_users', '%lld')", id);
    ck_assert_int_eq(db_exec(DB, sql), 0);
}

/* Waits (30 s at most) until the slot of USER_ID moves on from ticket t; returns the new one. */
static unsigned long long ticket_after(unsigned long long t)
{
    caller w;
    unsigned long long now = t;
    for (int i = 0; i < 1500 && now == t; i++) {
        rights_get(USER_ID, &w, &now);
        if (now == t) usleep(20 * 1000);
    }
    return now;
}

START_TEST(a_change_heard_during_a_lookup_voids_its_answer)
{
    const char *conninfo = getenv("BDHVS_TEST_DB");
    if (conninfo == NULL || *conninfo == '\0') return; /* scripts/test always sets it */
    char err[256];
    DB = db_open(conninfo, err, sizeof err);
    ck_assert_msg(DB != NULL, "cannot connect: %s", err);
    ck_assert_int_eq(rights_start(conninfo), 0);
    for (int i = 0; i < 1500 && !rights_enabled(); i++) usleep(20 * 1000);
    ck_assert_int_eq(rights_enabled(), 1);

    caller who, seen;
    memset(&who, 0, sizeof who);
    who.user_id = USER_ID;
    who.role = ROLE_VIEWER;
    who.unit_id = 7;
    snprintf(who.username, sizeof who.username, "cache.test");

    /* A request misses and reads the user; meanwhile another process changes the user and the
     * listener hears it; then the request keeps what it read: that answer must not be kept. */
    unsigned long long t0, t1, t2;
    ck_assert_int_eq(rights_get(USER_ID, &seen, &t0), 0);
    notify(USER_ID);
    t1 = ticket_after(t0);
    ck_assert_msg(t1 != t0, "the listener did not hear the change within 30 s");
    rights_put(&who, t0);
    ck_assert_int_eq(rights_get(USER_ID, &seen, &t2), 0);

    /* A lookup after the change keeps its answer, and a later change forgets it. */
    rights_put(&who, t2);
    ck_assert_int_eq(rights_get(USER_ID, &seen, &t2), 1);
    ck_assert_int_eq(seen.unit_id, 7);
    notify(USER_ID);
    int hit = 1;
    for (int i = 0; i < 1500 && hit; i++) {
        hit = rights_get(USER_ID, &seen, &t2);
        if (hit) usleep(20 * 1000);
    }
    ck_assert_msg(!hit, "a user changed elsewhere stayed in the cache for 30 s");

    /* This process's own change: forgotten at once, and a lookup made before it keeps nothing. */
    ck_assert_int_eq(rights_get(USER_ID, &seen, &t0), 0);
    rights_forget(USER_ID);
    rights_put(&who, t0);
    ck_assert_int_eq(rights_get(USER_ID, &seen, &t1), 0);

    rights_stop();
    db_close(DB);
    DB = NULL;
}
END_TEST

Suite *user_cache_suite(void)
{
    Suite *s = suite_create("user_cache");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, a_change_heard_during_a_lookup_voids_its_answer);
    suite_add_tcase(s, tc);
    return s;
}
