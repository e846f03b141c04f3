#include "tests.h"
#include "bdhvs/auth.h"

#include <string.h>

START_TEST(password_hash_is_argon2id_and_verifies)
{
    char h[AUTH_HASH_LEN];
    ck_assert_int_eq(password_hash("correct horse battery", h), 0);
    ck_assert_int_eq(strncmp(h, "$argon2id$", 10), 0);
    ck_assert_int_eq(password_verify(h, "correct horse battery"), 1);
    ck_assert_int_eq(password_verify(h, "correct horse batterY"), 0);
    ck_assert_int_eq(password_verify(h, ""), 0);
}
END_TEST

START_TEST(password_hashes_are_salted)
{
    char a[AUTH_HASH_LEN], b[AUTH_HASH_LEN];
    ck_assert_int_eq(password_hash("same password", a), 0);
    ck_assert_int_eq(password_hash("same password", b), 0);
    ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(password_verify_refuses_garbage_hashes)
{
    ck_assert_int_eq(password_verify("", "x"), 0);
    ck_assert_int_eq(password_verify(NULL, "x"), 0);
    ck_assert_int_eq(password_verify("$argon2id$v=19$m=1,t=1,p=1$AAAA$BBBB", "x"), 0);
    ck_assert_int_eq(password_verify("$2y$10$abcdefghijklmnopqrstuv", "x"), 0);
}
END_TEST

START_TEST(token_hash_is_stable_and_tokens_are_random)
{
    char t1[64], t2[64], h1[65], h2[65];
    token_random("bdh_", t1, sizeof t1);
    token_random("bdh_", t2, sizeof t2);
    ck_assert_str_ne(t1, t2);
    ck_assert_uint_eq(strlen(t1), 4 + 43);
    token_hash(t1, h1);
    token_hash(t1, h2);
    ck_assert_str_eq(h1, h2);
    ck_assert_uint_eq(strlen(h1), 64);
}
END_TEST

Suite *password_suite(void)
{
    Suite *s = suite_create("password");
    TCase *t = tcase_create("password");
    tcase_set_timeout(t, 30);
    tcase_add_test(t, password_hash_is_argon2id_and_verifies);
    tcase_add_test(t, password_hashes_are_salted);
    tcase_add_test(t, password_verify_refuses_garbage_hashes);
    tcase_add_test(t, token_hash_is_stable_and_tokens_are_random);
    suite_add_tcase(s, t);
    return s;
}
