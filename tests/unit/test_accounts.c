/* Issue 8, accounts: the settings, and the password generation an access token carries. */
#include "tests.h"
#include "bdhvs/auth.h"
#include "bdhvs/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(the_accounts_settings_are_read_and_checked)
{
    static const char *const vars[] = {"BDHVS_TRUSTED_PROXIES", "BDHVS_SESSION_MAX_AGE", "BDHVS_REFRESH_GRACE",
                                       "BDHVS_HASH_CONCURRENCY", "BDHVS_HASH_QUEUE_MS", "BDHVS_LOGIN_MAX_PER_ACCOUNT",
                                       NULL};
    for (int i = 0; vars[i]; i++) unsetenv(vars[i]);
    setenv("BDHVS_JWT_SECRET", "0123456789abcdef0123456789abcdef", 1);
    bdhvs_config c;
    char err[256];
    ck_assert_int_eq(config_load(&c, 1, err, sizeof err), 0);
    ck_assert_str_eq(c.trusted_proxies, "");
    ck_assert_int_eq(c.session_max_age, 30 * 24 * 3600);
    ck_assert_int_eq(c.refresh_grace, 10);
    ck_assert_int_eq(c.login_max_account, 50);
    ck_assert_int_eq(c.hash_queue_ms, 2000);
    ck_assert_int_ge(c.hash_concurrency, 1);
    setenv("BDHVS_TRUSTED_PROXIES", "127.0.0.3, 10.0.0.0/8", 1);
    ck_assert_int_eq(config_load(&c, 1, err, sizeof err), 0);
    ck_assert_str_eq(c.trusted_proxies, "127.0.0.3, 10.0.0.0/8");
    setenv("BDHVS_TRUSTED_PROXIES", "127.0.0.3, proxy.example", 1);
    ck_assert_int_eq(config_load(&c, 1, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "proxy.example"));
    unsetenv("BDHVS_TRUSTED_PROXIES");
    setenv("BDHVS_HASH_CONCURRENCY", "0", 1);
    ck_assert_int_eq(config_load(&c, 1, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "BDHVS_HASH_CONCURRENCY"));
    for (int i = 0; vars[i]; i++) unsetenv(vars[i]);
}
END_TEST

static const char KEY[] = "0123456789abcdef0123456789abcdef";

START_TEST(an_access_token_carries_the_password_generation)
{
    caller who = {.user_id = 7, .role = ROLE_VIEWER, .unit_id = 3, .cred_version = 4}, got;
    snprintf(who.username, sizeof who.username, "an.owner");
    time_t now = time(NULL);
    char *tok = jwt_issue(&who, (const unsigned char *)KEY, strlen(KEY), 900, now);
    ck_assert_ptr_nonnull(tok);
    ck_assert_int_eq(jwt_check(tok, (const unsigned char *)KEY, strlen(KEY), now, &got), 0);
    ck_assert_int_eq(got.cred_version, 4);
    free(tok);
    who.cred_version = 0; /* never changed: no claim, read as 0 */
    tok = jwt_issue(&who, (const unsigned char *)KEY, strlen(KEY), 900, now);
    ck_assert_int_eq(jwt_check(tok, (const unsigned char *)KEY, strlen(KEY), now, &got), 0);
    ck_assert_int_eq(got.cred_version, 0);
    free(tok);
    /* The same time and id give the same token (a refresh answered again). */
    char *a = jwt_issue_id(&who, (const unsigned char *)KEY, strlen(KEY), 900, now, "00112233445566778899aabbccddeeff");
    char *b = jwt_issue_id(&who, (const unsigned char *)KEY, strlen(KEY), 900, now, "00112233445566778899aabbccddeeff");
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
}
END_TEST

START_TEST(refresh_successors_are_derived_with_the_server_key)
{
    char a[64], b[64], c[64], d[64];
    token_successor((const unsigned char *)KEY, strlen(KEY), "aa", a, sizeof a);
    token_successor((const unsigned char *)KEY, strlen(KEY), "aa", b, sizeof b);
    token_successor((const unsigned char *)KEY, strlen(KEY), "ab", c, sizeof c);
    token_successor((const unsigned char *)"another-key-of-32-bytes-or-more!", 32, "aa", d, sizeof d);
    ck_assert_str_eq(a, b);
    ck_assert_str_ne(a, c);
    ck_assert_str_ne(a, d);
    ck_assert_int_eq(strncmp(a, "bdr_", 4), 0);
    ck_assert_uint_eq(strlen(a), 47);
}
END_TEST

Suite *accounts_suite(void)
{
    Suite *s = suite_create("accounts");
    TCase *t = tcase_create("accounts");
    tcase_add_test(t, the_accounts_settings_are_read_and_checked);
    tcase_add_test(t, an_access_token_carries_the_password_generation);
    tcase_add_test(t, refresh_successors_are_derived_with_the_server_key);
    suite_add_tcase(s, t);
    return s;
}
