/* The signed-in caller, passwords, the hash gate and JWTs (src/auth). Roles are in bdhvs/role.h,
 * opaque tokens in bdhvs/token.h, the rights cache in bdhvs/rights.h. */
#ifndef BDHVS_AUTH_H
#define BDHVS_AUTH_H

#include "bdhvs/role.h"
#include "bdhvs/token.h"

#include <stddef.h>
#include <time.h>

/* The signed-in caller, taken from a verified JWT or API token. */
typedef struct caller {
    long long user_id;
    role_t role;
    long long unit_id; /* 0 when the user has no unit */
    int all_units;     /* admin and integration see every unit */
    int via_api_token;
    char username[72];
    long long cred_version; /* the account's password generation: a JWT carries it ("cv") and is
                             * void once the password changed after it was issued */
} caller;

int auth_init(void); /* sodium_init; 0 on success */

/* argon2id (libsodium interactive limits). out needs AUTH_HASH_LEN bytes. 0 on success. */
#define AUTH_HASH_LEN 128
int password_hash(const char *password, char out[AUTH_HASH_LEN]);
/* 1 when password matches hash, 0 otherwise. */
int password_verify(const char *hash, const char *password);
/* Spends the time of a verification without a user, so unknown users answer as slowly. */
void password_dummy_verify(const char *password);

/* Bounded concurrent password hashing (BDHVS_HASH_CONCURRENCY): init once; enter waits up to
 * wait_ms for a turn and returns 0 (then call leave) or -1 when none came. */
void hash_gate_init(int concurrency);
int hash_gate_enter(int wait_ms);
void hash_gate_leave(void);

/* Issues an HS256 JWT for the caller. Returns a malloc'd string the caller frees, or NULL. */
char *jwt_issue(const caller *who, const unsigned char *key, size_t keylen, int ttl, time_t now);
/* The same with a given token id (32 hex characters), so that a token can be issued again
 * identically. */
char *jwt_issue_id(const caller *who, const unsigned char *key, size_t keylen, int ttl, time_t now,
                   const char *jti);
/* Verifies signature, algorithm (HS256 only), typ, exp, nbf, iat and iss. Fills who.
 * Returns 0 when the token is good, -1 otherwise. */
int jwt_check(const char *token, const unsigned char *key, size_t keylen, time_t now, caller *who);

#endif
