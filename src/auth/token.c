/* Opaque tokens: API tokens and refresh tokens, their stored hashes and random identifiers (see
 * bdhvs/token.h). */
#include "bdhvs/token.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

void token_random_hex(char *out, size_t nbytes)
{
    unsigned char buf[64];
    if (nbytes > sizeof buf) nbytes = sizeof buf;
    randombytes_buf(buf, nbytes);
    sodium_bin2hex(out, nbytes * 2 + 1, buf, nbytes);
}

void token_random(const char *prefix, char *buf, size_t len)
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    char enc[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(enc, sizeof enc, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(buf, len, "%s%s", prefix, enc);
}

void token_hash(const char *token, char out[65])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token), NULL, 0);
    sodium_bin2hex(out, 65, h, sizeof h);
}

void token_successor(const unsigned char *key, size_t keylen, const char *parent_hash, char *buf, size_t len)
{
    /* The key for this use only: BLAKE2b of the server secret with a fixed label. */
    unsigned char k[32], raw[32];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof k);
    crypto_generichash_update(&st, (const unsigned char *)"bdhvs refresh successor v1", 26);
    crypto_generichash_update(&st, key, keylen);
    crypto_generichash_final(&st, k, sizeof k);
    crypto_generichash(raw, sizeof raw, (const unsigned char *)parent_hash, strlen(parent_hash), k, sizeof k);
    sodium_memzero(k, sizeof k);
    char enc[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(enc, sizeof enc, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(buf, len, "bdr_%s", enc);
}
