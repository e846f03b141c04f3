#include "bdhvs/auth.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

_Static_assert(AUTH_HASH_LEN >= crypto_pwhash_STRBYTES, "hash buffer too small");

/* A hash of a password nobody has, made once, so that an unknown user costs a verification. */
static char g_dummy[AUTH_HASH_LEN];
static volatile int g_dummy_result; /* keeps the call from being optimised away */

int auth_init(void)
{
    if (sodium_init() < 0) return -1;
    char pw[33];
    random_hex(pw, 16);
    return password_hash(pw, g_dummy);
}

int password_hash(const char *password, char out[AUTH_HASH_LEN])
{
    return crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

int password_verify(const char *hash, const char *password)
{
    if (hash == NULL || strncmp(hash, "$argon2id$", 10) != 0) return 0;
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void password_dummy_verify(const char *password)
{
    g_dummy_result = crypto_pwhash_str_verify(g_dummy, password, strlen(password));
}

const char *role_name(role_t r)
{
    switch (r) {
    case ROLE_VIEWER: return "viewer";
    case ROLE_REPORTER: return "reporter";
    case ROLE_MANAGER: return "manager";
    case ROLE_ADMIN: return "admin";
    case ROLE_INTEGRATION: return "integration";
    default: return "none";
    }
}

role_t role_parse(const char *s)
{
    if (s == NULL) return ROLE_NONE;
    for (role_t r = ROLE_VIEWER; r <= ROLE_INTEGRATION; r++)
        if (strcmp(s, role_name(r)) == 0) return r;
    return ROLE_NONE;
}

int role_rank(role_t r)
{
    return r == ROLE_INTEGRATION ? ROLE_VIEWER : (int)r;
}

int role_allows(role_t r, role_t need)
{
    if (need == ROLE_NONE) return 1;
    if (r == ROLE_NONE) return 0;
    if (r == ROLE_INTEGRATION) return need == ROLE_VIEWER || need == ROLE_INTEGRATION;
    if (need == ROLE_INTEGRATION) return r == ROLE_ADMIN;
    return r >= need;
}

void random_hex(char *out, size_t nbytes)
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
