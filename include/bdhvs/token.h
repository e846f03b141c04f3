/* Opaque tokens: API tokens, refresh tokens and their hashes (src/auth/token.c). */
#ifndef BDHVS_TOKEN_H
#define BDHVS_TOKEN_H

#include <stddef.h>

/* A random opaque token "PREFIX" + 43 base64url characters. buf needs 64 bytes. */
void token_random(const char *prefix, char *buf, size_t len);
/* Hex BLAKE2b-256 of a token, for storage. out needs 65 bytes. */
void token_hash(const char *token, char out[65]);
/* The refresh token that succeeds the one whose hash is parent_hash: derived with a server key,
 * so that the same successor can be handed out again and is never stored in plain text.
 * buf needs 64 bytes. */
void token_successor(const unsigned char *key, size_t keylen, const char *parent_hash, char *buf, size_t len);
/* Random hex string of 2*nbytes characters; out needs 2*nbytes+1. */
void token_random_hex(char *out, size_t nbytes);

#endif
