/* Passwords, JWTs, opaque tokens and roles. */
#ifndef BDHVS_AUTH_H
#define BDHVS_AUTH_H

#include <stddef.h>
#include <time.h>

typedef enum {
    ROLE_NONE = 0,     /* route table: no token needed */
    ROLE_VIEWER = 1,   /* any signed-in user; integration reads here */
    ROLE_REPORTER = 2, /* data entry */
    ROLE_MANAGER = 3,
    ROLE_ADMIN = 4,
    ROLE_INTEGRATION = 5 /* reads everything, writes nothing */
} role_t;

role_t role_parse(const char *s); /* ROLE_NONE when unknown */
const char *role_name(role_t r);
/* May a caller of role r use a route whose least role is need? */
int role_allows(role_t r, role_t need);
/* Rank used to compare write privileges: integration ranks with viewer. */
int role_rank(role_t r);

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

/* A random opaque token "PREFIX" + 43 base64url characters. buf needs 64 bytes. */
void token_random(const char *prefix, char *buf, size_t len);
/* Hex BLAKE2b-256 of a token, for storage. out needs 65 bytes. */
void token_hash(const char *token, char out[65]);
/* The refresh token that succeeds the one whose hash is parent_hash: derived with a server key,
 * so that the same successor can be handed out again and is never stored in plain text.
 * buf needs 64 bytes. */
void token_successor(const unsigned char *key, size_t keylen, const char *parent_hash, char *buf, size_t len);
/* Random hex string of 2*nbytes characters; out needs 2*nbytes+1. */
void random_hex(char *out, size_t nbytes);

#endif
