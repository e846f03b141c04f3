/* libFuzzer target: bearer tokens (src/auth/jwt.c jwt_check, and the API-token branch of
 * api_authenticate in src/api/auth.c, which only checks the bdh_ prefix and length and hashes
 * the token for the database lookup).
 * Input: a token as it follows "Bearer ". Besides being checked as it is, when the input has a
 * line break it is read as "HEADER\nCLAIMS" (JSON texts), which the harness encodes and signs
 * with the server's secret (HMAC-SHA256, or HMAC-SHA512 when the header mentions HS512), so
 * that the claim checks behind the signature get fuzzed too. */
#include "bdhvs/auth.h"
#include "bdhvs/jsonx.h"
#include "fuzz_common.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A secret of the shape scripts/run generates (48 URL-safe characters). */
static const unsigned char SECRET[] = "fuzz-Secret_0123456789abcdefghijklmnopqrstuvwxyz";
#define SECRET_LEN (sizeof SECRET - 1)
static const time_t NOW = 1790000000; /* 2026-09-21 */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (auth_init() != 0) abort();
    return 0;
}

/* Appends the base64url form (no padding) of len bytes at p to out, which has room. */
static char *put_b64(char *out, const void *p, size_t len)
{
    sodium_bin2base64(out, sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING), p,
                      len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out + strlen(out);
}

/* header.claims.signature signed with SECRET; malloc'd. */
static char *sign(const char *header, size_t hlen, const char *claims, size_t clen, int sha512)
{
    size_t cap = 4 * (hlen + clen) / 3 + 200;
    char *tok = malloc(cap);
    FUZZ_CHECK(tok != NULL, "%s", "out of memory");
    char *p = put_b64(tok, header, hlen);
    *p++ = '.';
    p = put_b64(p, claims, clen);
    size_t signed_len = (size_t)(p - tok);
    unsigned char mac[crypto_auth_hmacsha512_BYTES];
    size_t maclen;
    if (sha512) {
        crypto_auth_hmacsha512_state st;
        crypto_auth_hmacsha512_init(&st, SECRET, SECRET_LEN);
        crypto_auth_hmacsha512_update(&st, (const unsigned char *)tok, signed_len);
        crypto_auth_hmacsha512_final(&st, mac);
        maclen = crypto_auth_hmacsha512_BYTES;
    } else {
        crypto_auth_hmacsha256_state st;
        crypto_auth_hmacsha256_init(&st, SECRET, SECRET_LEN);
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)tok, signed_len);
        crypto_auth_hmacsha256_final(&st, mac);
        maclen = crypto_auth_hmacsha256_BYTES;
    }
    *p++ = '.';
    put_b64(p, mac, maclen);
    return tok;
}

/* Does the header of token name an algorithm other than HS256 (or none at all)? Read without
 * libjwt; 0 also when the header does not decode here, so only a sure mismatch counts. */
static int header_alg_not_hs256(const char *token)
{
    const char *dot = strchr(token, '.');
    size_t n = (size_t)(dot - token);
    unsigned char *raw = malloc(n + 1);
    size_t rawlen = 0;
    int wrong = 0;
    if (raw && sodium_base642bin(raw, n + 1, token, n, NULL, &rawlen, NULL,
                                 sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0) {
        json_t *h = json_loadb((const char *)raw, rawlen, 0, NULL);
        const char *alg = json_string_value(json_object_get(h, "alg"));
        wrong = json_is_object(h) && (alg == NULL || strcmp(alg, "HS256") != 0);
        json_decref(h);
    }
    free(raw);
    return wrong;
}

/* Checks token; when it passes, what it says must be a coherent caller that can be issued again. */
static void check_token(const char *token)
{
    caller who;
    memset(&who, 0xA5, sizeof who);
    if (jwt_check(token, SECRET, SECRET_LEN, NOW, &who) != 0) return;
    FUZZ_CHECK(!header_alg_not_hs256(token), "%s", "a token whose header is not alg HS256 was accepted");
    FUZZ_CHECK(who.user_id > 0, "user_id %lld", who.user_id);
    FUZZ_CHECK(who.role >= ROLE_VIEWER && who.role <= ROLE_INTEGRATION, "role %d", (int)who.role);
    FUZZ_CHECK(who.all_units == (who.role == ROLE_ADMIN || who.role == ROLE_INTEGRATION), "%s", "all_units");
    FUZZ_CHECK(who.all_units || who.unit_id > 0, "%s", "a scoped caller without a unit");
    FUZZ_CHECK(memchr(who.username, '\0', sizeof who.username) != NULL, "%s", "username not terminated");
    FUZZ_CHECK(utf8_valid(who.username, strlen(who.username)), "username is not UTF-8: %s", who.username);
    FUZZ_CHECK(jwt_check(token, SECRET, SECRET_LEN - 1, NOW, &who) != 0, "%s", "accepted with another key");

    /* The caller it describes, issued again, reads back the same. */
    char *again = jwt_issue(&who, SECRET, SECRET_LEN, 900, NOW);
    FUZZ_CHECK(again != NULL, "could not issue a token for user %lld named %s", who.user_id, who.username);
    caller back;
    FUZZ_CHECK(jwt_check(again, SECRET, SECRET_LEN, NOW, &back) == 0, "%s", "a token just issued is refused");
    FUZZ_CHECK(back.user_id == who.user_id && back.role == who.role && back.unit_id == who.unit_id &&
                   strcmp(back.username, who.username) == 0,
               "%s", "a token issued again reads differently");
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup(data, size);
    check_token(text);

    /* The API-token branch: bdh_ prefix, at most 200 bytes, then only its hash is used. */
    if (strncmp(text, "bdh_", 4) == 0 && strlen(text) <= 200) {
        char hash[65];
        memset(hash, 'x', sizeof hash);
        token_hash(text, hash);
        FUZZ_CHECK(strlen(hash) == 64 && strspn(hash, "0123456789abcdef") == 64, "hash %.65s", hash);
    }

    char *nl = memchr(data, '\n', size);
    if (nl != NULL) {
        size_t hlen = (size_t)(nl - (const char *)data);
        const char *claims = nl + 1;
        size_t clen = size - hlen - 1;
        int sha512 = memmem(data, hlen, "HS512", 5) != NULL;
        char *tok = sign((const char *)data, hlen, claims, clen, sha512);
        check_token(tok);
        free(tok);
    }
    free(text);
    return 0;
}
