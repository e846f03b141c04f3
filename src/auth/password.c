/* Passwords (argon2id, libsodium) and sodium_init; see bdhvs/auth.h. */
#include "bdhvs/auth.h"

#include <sodium.h>
#include <string.h>

_Static_assert(AUTH_HASH_LEN >= crypto_pwhash_STRBYTES, "hash buffer too small");

/* A hash of a password nobody has, made once, so that an unknown user costs a verification. */
static char g_dummy[AUTH_HASH_LEN];
static volatile int g_dummy_result; /* keeps the call from being optimised away */

int auth_init(void)
{
    if (sodium_init() < 0) return -1;
    char pw[33];
    token_random_hex(pw, 16);
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
