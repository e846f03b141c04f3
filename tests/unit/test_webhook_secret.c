/* The key that seals the stored webhook secrets (BDHVS_WEBHOOK_SECRET, or its _FILE): read and
 * checked like the other secrets, apart from the JWT secret; unset, the JWT secret's key seals as
 * before; set, the secrets sealed before still open (and are sealed again at start), and rotating
 * the JWT secret no longer touches them. */
#include "tests.h"
#include "bdhvs/config.h"
#include "../../src/api/webhooks.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JWT1 "0123456789abcdef0123456789abcdef"
#define JWT2 "fedcba9876543210fedcba9876543210-rotated"
#define HOOK "webhook-sealing-key-0123456789abcdef"

static void load(bdhvs_config *c, const char *jwt, const char *hook)
{
    char err[256];
    setenv("BDHVS_JWT_SECRET", jwt, 1);
    if (hook) setenv("BDHVS_WEBHOOK_SECRET", hook, 1);
    else unsetenv("BDHVS_WEBHOOK_SECRET");
    ck_assert_msg(config_load(c, 1, err, sizeof err) == 0, "%s", err);
}

START_TEST(the_webhook_secret_is_read_like_the_other_secrets)
{
    bdhvs_config c;
    char err[256];
    unsetenv("BDHVS_WEBHOOK_SECRET_FILE");
    load(&c, JWT1, NULL);
    ck_assert_uint_eq(c.webhook_secret_len, 0);
    load(&c, JWT1, HOOK);
    ck_assert_str_eq(c.webhook_secret, HOOK);
    ck_assert_uint_eq(c.webhook_secret_len, strlen(HOOK));
    setenv("BDHVS_WEBHOOK_SECRET", "short-0123456789abcdef0123456789", 1); /* 32 bytes: enough */
    ck_assert_int_eq(config_load(&c, 1, err, sizeof err), 0);
    setenv("BDHVS_WEBHOOK_SECRET", "short-0123456789abcdef012345678", 1); /* 31 */
    ck_assert_int_eq(config_load(&c, 1, err, sizeof err), -1);
    ck_assert_str_eq(err, "BDHVS_WEBHOOK_SECRET must be at least 32 bytes (it has 31), or unset");
    /* From a file, without its line break; both the variable and the file: refused. */
    char path[] = "/tmp/bdhvs-hook-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, HOOK "\n", strlen(HOOK) + 1), (ssize_t)strlen(HOOK) + 1);
    close(fd);
    setenv("BDHVS_WEBHOOK_SECRET_FILE", path, 1);
    ck_assert_int_eq(config_load(&c, 1, err, sizeof err), -1);
    ck_assert_str_eq(err, "set BDHVS_WEBHOOK_SECRET or BDHVS_WEBHOOK_SECRET_FILE, not both");
    unsetenv("BDHVS_WEBHOOK_SECRET");
    ck_assert_int_eq(config_load(&c, 1, err, sizeof err), 0);
    ck_assert_str_eq(c.webhook_secret, HOOK);
    unlink(path);
    unsetenv("BDHVS_WEBHOOK_SECRET_FILE");
}
END_TEST

/* Opens sealed with cfg; returns the length (-1: cannot) and the secret in out. */
static int open_with(const bdhvs_config *c, const char *sealed, char out[64], int *old)
{
    unsigned char buf[64];
    int n = webhook_secret_open(c, sealed, buf, sizeof buf - 1, old);
    if (n >= 0) memcpy(out, buf, (size_t)n), out[n] = '\0';
    return n;
}

START_TEST(the_webhook_secret_seals_apart_from_the_jwt_secret)
{
    ck_assert_int_ge(sodium_init(), 0);
    bdhvs_config only_jwt, hook, hook_rotated, other_jwt;
    load(&only_jwt, JWT1, NULL);
    load(&hook, JWT1, HOOK);
    load(&hook_rotated, JWT2, HOOK);
    load(&other_jwt, JWT2, NULL);
    unsetenv("BDHVS_WEBHOOK_SECRET");
    char before[256], after[256], got[64];
    int old = -1;
    /* Sealed before BDHVS_WEBHOOK_SECRET was set: the JWT secret's key. */
    ck_assert_int_eq(webhook_secret_seal(&only_jwt, "receiver-secret-1", 17, before, sizeof before), 0);
    ck_assert_int_eq(open_with(&only_jwt, before, got, &old), 17);
    ck_assert_str_eq(got, "receiver-secret-1");
    ck_assert_int_eq(old, 0);
    ck_assert_int_eq(open_with(&other_jwt, before, got, &old), -1); /* the old way: a rotation loses it */
    /* With BDHVS_WEBHOOK_SECRET set it still opens, by the old key (and is to be sealed again). */
    ck_assert_int_eq(open_with(&hook, before, got, &old), 17);
    ck_assert_str_eq(got, "receiver-secret-1");
    ck_assert_int_eq(old, 1);
    /* Sealed with BDHVS_WEBHOOK_SECRET: opens whatever the JWT secret, not by the JWT key alone. */
    ck_assert_int_eq(webhook_secret_seal(&hook, "receiver-secret-2", 17, after, sizeof after), 0);
    ck_assert_int_eq(open_with(&hook, after, got, &old), 17);
    ck_assert_int_eq(old, 0);
    ck_assert_int_eq(open_with(&hook_rotated, after, got, &old), 17);
    ck_assert_str_eq(got, "receiver-secret-2");
    ck_assert_int_eq(old, 0);
    ck_assert_int_eq(open_with(&only_jwt, after, got, &old), -1);
    /* What the JWT secret alone sealed is lost once both it changed and it was not sealed again. */
    ck_assert_int_eq(open_with(&hook_rotated, before, got, &old), -1);
    ck_assert_int_eq(open_with(&hook, "\\x00", got, &old), -1);
}
END_TEST

Suite *webhook_secret_suite(void)
{
    Suite *s = suite_create("webhook_secret");
    TCase *t = tcase_create("webhook_secret");
    tcase_add_test(t, the_webhook_secret_is_read_like_the_other_secrets);
    tcase_add_test(t, the_webhook_secret_seals_apart_from_the_jwt_secret);
    suite_add_tcase(s, t);
    return s;
}
