#include "tests.h"
#include "bdhvs/auth.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const unsigned char KEY[] = "test-secret-0123456789-0123456789-abcdef";
#define KEYLEN (sizeof KEY - 1)
static const time_t NOW = 1790000000;

static void b64(const void *data, size_t len, char *out, size_t outlen)
{
    sodium_bin2base64(out, outlen, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Builds header.payload.signature by hand; alg picks the MAC ("none" leaves it empty). */
static char *make_token(const char *header, const char *payload, const char *alg, const unsigned char *key,
                        size_t keylen)
{
    char h[512], p[1024], sig[256] = "";
    b64(header, strlen(header), h, sizeof h);
    b64(payload, strlen(payload), p, sizeof p);
    char *signing = malloc(strlen(h) + strlen(p) + 2);
    sprintf(signing, "%s.%s", h, p);
    if (strcmp(alg, "HS256") == 0) {
        unsigned char mac[32];
        crypto_auth_hmacsha256_state st;
        crypto_auth_hmacsha256_init(&st, key, keylen);
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)signing, strlen(signing));
        crypto_auth_hmacsha256_final(&st, mac);
        b64(mac, sizeof mac, sig, sizeof sig);
    } else if (strcmp(alg, "HS512") == 0) {
        unsigned char mac[64];
        crypto_auth_hmacsha512_state st;
        crypto_auth_hmacsha512_init(&st, key, keylen);
        crypto_auth_hmacsha512_update(&st, (const unsigned char *)signing, strlen(signing));
        crypto_auth_hmacsha512_final(&st, mac);
        b64(mac, sizeof mac, sig, sizeof sig);
    }
    char *tok = malloc(strlen(signing) + strlen(sig) + 2);
    sprintf(tok, "%s.%s", signing, sig);
    free(signing);
    return tok;
}

static char *claims(const char *exp, const char *extra)
{
    static char buf[512];
    snprintf(buf, sizeof buf,
             "{\"sub\":\"7\",\"role\":\"manager\",\"unit\":10,\"iss\":\"bdhvs\",\"iat\":%ld,\"exp\":%s%s}",
             (long)NOW - 10, exp, extra ? extra : "");
    return buf;
}

static int check(const char *tok)
{
    caller who;
    return jwt_check(tok, KEY, KEYLEN, NOW, &who);
}

static const char HS256[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

START_TEST(jwt_issued_token_verifies_with_its_claims)
{
    caller in = {.user_id = 42, .role = ROLE_REPORTER, .unit_id = 10};
    snprintf(in.username, sizeof in.username, "sondong.reporter");
    char *tok = jwt_issue(&in, KEY, KEYLEN, 900, NOW);
    ck_assert_ptr_nonnull(tok);
    caller out;
    ck_assert_int_eq(jwt_check(tok, KEY, KEYLEN, NOW + 899, &out), 0);
    ck_assert_int_eq(out.user_id, 42);
    ck_assert_int_eq(out.role, ROLE_REPORTER);
    ck_assert_int_eq(out.unit_id, 10);
    ck_assert_int_eq(out.all_units, 0);
    ck_assert_str_eq(out.username, "sondong.reporter");
    /* Expired one second after its lifetime. */
    ck_assert_int_eq(jwt_check(tok, KEY, KEYLEN, NOW + 900, &out), -1);
    free(tok);
}
END_TEST

START_TEST(jwt_hand_made_valid_token_is_accepted)
{
    char *tok = make_token(HS256, claims("1790000900", NULL), "HS256", KEY, KEYLEN);
    ck_assert_int_eq(check(tok), 0);
    free(tok);
}
END_TEST

START_TEST(jwt_alg_none_is_refused)
{
    char *tok = make_token("{\"alg\":\"none\",\"typ\":\"JWT\"}", claims("1790000900", NULL), "none", KEY, KEYLEN);
    ck_assert_int_eq(check(tok), -1);
    /* Also without the trailing dot. */
    tok[strlen(tok) - 1] = '\0';
    ck_assert_int_eq(check(tok), -1);
    free(tok);
}
END_TEST

START_TEST(jwt_other_algorithm_with_the_same_key_is_refused)
{
    char *tok = make_token("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", claims("1790000900", NULL), "HS512", KEY, KEYLEN);
    ck_assert_int_eq(check(tok), -1);
    free(tok);
}
END_TEST

START_TEST(jwt_foreign_key_is_refused)
{
    static const unsigned char other[] = "another-secret-0123456789-0123456789-xyz";
    char *tok = make_token(HS256, claims("1790000900", NULL), "HS256", other, sizeof other - 1);
    ck_assert_int_eq(check(tok), -1);
    free(tok);
}
END_TEST

START_TEST(jwt_tampered_payload_is_refused)
{
    char *good = make_token(HS256, claims("1790000900", NULL), "HS256", KEY, KEYLEN);
    char *evil = make_token(HS256, "{\"sub\":\"1\",\"role\":\"admin\",\"iss\":\"bdhvs\",\"iat\":1789999990,\"exp\":1790000900}",
                            "HS256", KEY, KEYLEN);
    /* Graft the evil payload onto the good signature. */
    char *gd = strchr(good, '.'), *gs = strrchr(good, '.');
    char *ed = strchr(evil, '.'), *es = strrchr(evil, '.');
    char forged[2048];
    snprintf(forged, sizeof forged, "%.*s%.*s%s", (int)(gd - good), good, (int)(es - ed), ed, gs);
    ck_assert_int_eq(check(forged), -1);
    /* A flipped signature character. */
    size_t n = strlen(good);
    good[n - 2] = good[n - 2] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(check(good), -1);
    free(good);
    free(evil);
}
END_TEST

START_TEST(jwt_time_claims_must_be_integers_and_current)
{
    const char *bad_exp[] = {"\"1790000900\"", "1790000900.5", "null", "1789999999", "1790000000", NULL};
    for (int i = 0; bad_exp[i]; i++) {
        char *tok = make_token(HS256, claims(bad_exp[i], NULL), "HS256", KEY, KEYLEN);
        ck_assert_msg(check(tok) == -1, "accepted exp %s", bad_exp[i]);
        free(tok);
    }
    char *missing = make_token(HS256, "{\"sub\":\"7\",\"role\":\"manager\",\"unit\":10,\"iss\":\"bdhvs\",\"iat\":1789999990}",
                               "HS256", KEY, KEYLEN);
    ck_assert_int_eq(check(missing), -1);
    free(missing);
    char *nbf = make_token(HS256, claims("1790000900", ",\"nbf\":1790000500"), "HS256", KEY, KEYLEN);
    ck_assert_int_eq(check(nbf), -1);
    free(nbf);
    char *nbf_str = make_token(HS256, claims("1790000900", ",\"nbf\":\"0\""), "HS256", KEY, KEYLEN);
    ck_assert_int_eq(check(nbf_str), -1);
    free(nbf_str);
}
END_TEST

START_TEST(jwt_wrong_issuer_or_claims_are_refused)
{
    char *tok = make_token(HS256, "{\"sub\":\"7\",\"role\":\"manager\",\"unit\":10,\"iss\":\"evil\",\"iat\":1789999990,\"exp\":1790000900}",
                           "HS256", KEY, KEYLEN);
    ck_assert_int_eq(check(tok), -1);
    free(tok);
    tok = make_token(HS256, "{\"sub\":\"7\",\"role\":\"root\",\"unit\":10,\"iss\":\"bdhvs\",\"iat\":1789999990,\"exp\":1790000900}",
                     "HS256", KEY, KEYLEN);
    ck_assert_int_eq(check(tok), -1);
    free(tok);
    /* A manager without a unit would see everything: refused. */
    tok = make_token(HS256, "{\"sub\":\"7\",\"role\":\"manager\",\"iss\":\"bdhvs\",\"iat\":1789999990,\"exp\":1790000900}",
                     "HS256", KEY, KEYLEN);
    ck_assert_int_eq(check(tok), -1);
    free(tok);
    tok = make_token("{\"alg\":\"HS256\",\"typ\":\"JWS\"}", claims("1790000900", NULL), "HS256", KEY, KEYLEN);
    ck_assert_int_eq(check(tok), -1);
    free(tok);
}
END_TEST

START_TEST(jwt_garbage_is_refused)
{
    const char *bad[] = {"", "abc", "a.b", "a.b.c", "a.b.c.d", "...", "eyJhbGciOiJIUzI1NiJ9..", NULL};
    for (int i = 0; bad[i]; i++) ck_assert_msg(check(bad[i]) == -1, "accepted %s", bad[i]);
    ck_assert_int_eq(check(NULL), -1);
}
END_TEST

/* Found by tests/fuzz/fuzz_token: libjwt reads alg ignoring case. */
START_TEST(jwt_alg_must_be_exactly_hs256)
{
    const char *headers[] = {"{\"alg\":\"hs256\",\"typ\":\"JWT\"}", "{\"alg\":\"Hs256\"}", NULL};
    for (int i = 0; headers[i]; i++) {
        char *tok = make_token(headers[i], claims("1790000900", NULL), "HS256", KEY, KEYLEN);
        ck_assert_msg(check(tok) == -1, "accepted header %s", headers[i]);
        free(tok);
    }
}
END_TEST

/* Found by tests/fuzz/fuzz_token: a long name was cut inside a character (invalid UTF-8). */
START_TEST(jwt_name_that_does_not_fit_is_refused)
{
    char extra[256];
    /* 70 bytes fit (71 with the NUL); 36 two-byte characters (72 bytes) do not. */
    snprintf(extra, sizeof extra, ",\"name\":\"%070d\"", 0);
    char *tok = make_token(HS256, claims("1790000900", extra), "HS256", KEY, KEYLEN);
    ck_assert_int_eq(check(tok), 0);
    free(tok);
    char name[80] = "";
    for (int i = 0; i < 36; i++) strcat(name, "\xC3\xAA");
    snprintf(extra, sizeof extra, ",\"name\":\"%s\"", name);
    tok = make_token(HS256, claims("1790000900", extra), "HS256", KEY, KEYLEN);
    ck_assert_int_eq(check(tok), -1);
    free(tok);
    tok = make_token(HS256, claims("1790000900", ",\"name\":7"), "HS256", KEY, KEYLEN);
    ck_assert_int_eq(check(tok), -1);
    free(tok);
}
END_TEST

Suite *jwt_suite(void)
{
    Suite *s = suite_create("jwt");
    TCase *t = tcase_create("jwt");
    tcase_add_test(t, jwt_issued_token_verifies_with_its_claims);
    tcase_add_test(t, jwt_hand_made_valid_token_is_accepted);
    tcase_add_test(t, jwt_alg_none_is_refused);
    tcase_add_test(t, jwt_other_algorithm_with_the_same_key_is_refused);
    tcase_add_test(t, jwt_foreign_key_is_refused);
    tcase_add_test(t, jwt_tampered_payload_is_refused);
    tcase_add_test(t, jwt_time_claims_must_be_integers_and_current);
    tcase_add_test(t, jwt_wrong_issuer_or_claims_are_refused);
    tcase_add_test(t, jwt_garbage_is_refused);
    tcase_add_test(t, jwt_alg_must_be_exactly_hs256);
    tcase_add_test(t, jwt_name_that_does_not_fit_is_refused);
    suite_add_tcase(s, t);
    return s;
}
