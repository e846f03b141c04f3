#include "bdhvs/auth.h"

#include <jansson.h>
#include <limits.h>
#include <jwt.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JWT_ISSUER "bdhvs"
#define JWT_SKEW 60 /* seconds of clock difference tolerated for iat and nbf */

char *jwt_issue(const caller *who, const unsigned char *key, size_t keylen, int ttl, time_t now)
{
    char jti[33];
    token_random_hex(jti, 16);
    return jwt_issue_id(who, key, keylen, ttl, now, jti);
}

char *jwt_issue_id(const caller *who, const unsigned char *key, size_t keylen, int ttl, time_t now,
                   const char *jti)
{
    jwt_t *j = NULL;
    char *out = NULL;
    char sub[32];
    snprintf(sub, sizeof sub, "%lld", who->user_id);
    if (jwt_new(&j) != 0) return NULL;
    if (jwt_set_alg(j, JWT_ALG_HS256, key, (int)keylen) != 0) goto out;
    if (jwt_add_grant(j, "sub", sub) || jwt_add_grant(j, "iss", JWT_ISSUER) ||
        jwt_add_grant(j, "role", role_name(who->role)) || jwt_add_grant(j, "jti", jti) ||
        jwt_add_grant(j, "name", who->username) || jwt_add_grant_int(j, "iat", (long)now) ||
        jwt_add_grant_int(j, "nbf", (long)now) || jwt_add_grant_int(j, "exp", (long)now + ttl))
        goto out;
    if (who->unit_id > 0 && jwt_add_grant_int(j, "unit", (long)who->unit_id) != 0) goto out;
    if (who->cred_version > 0 && jwt_add_grant_int(j, "cv", (long)who->cred_version) != 0) goto out;
    out = jwt_encode_str(j);
out:
    jwt_free(j);
    return out;
}

/* Reads an integer time claim strictly: present and a JSON integer. */
static int time_claim(json_t *claims, const char *name, long long *out)
{
    json_t *v = json_object_get(claims, name);
    if (!json_is_integer(v)) return -1;
    *out = json_integer_value(v);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Tokens already verified. A client sends the same access token with every request until it
 * expires; checking it again (base64, two JSON parses, an HMAC through OpenSSL's provider lookup)
 * was a tenth of the server's time per cheap read. A slot keeps a token that passed, byte for
 * byte, with its key's fingerprint, its time claims and the caller it names; a later request with
 * the identical token and key gets the same caller after its time claims are checked against the
 * clock again (an expired token is refused exactly as before). Rights are not kept here: the
 * caller still goes through the rights cache and the database (api_authenticate). The slot is
 * chosen by a keyed hash (SipHash, a random key per process) and compared in constant time, so
 * that a client can neither aim at another's slot nor learn a kept token by timing. */
#define JWT_SEEN_SLOTS 512
#define JWT_SEEN_MAX 1024 /* longer tokens are checked every time */
#define JWT_SEEN_LOCKS 32

typedef struct jwt_seen {
    size_t len; /* 0: empty */
    unsigned char token[JWT_SEEN_MAX];
    unsigned char keyprint[crypto_shorthash_BYTES];
    long long exp, iat, nbf; /* nbf: LLONG_MIN when absent */
    caller who;
} jwt_seen;

static jwt_seen SEEN[JWT_SEEN_SLOTS];
static pthread_mutex_t SEEN_MU[JWT_SEEN_LOCKS];
static unsigned char SEEN_KEY[crypto_shorthash_KEYBYTES];
static int SEEN_READY;
static pthread_once_t SEEN_ONCE = PTHREAD_ONCE_INIT;

static void seen_init(void)
{
    for (int i = 0; i < JWT_SEEN_LOCKS; i++) pthread_mutex_init(&SEEN_MU[i], NULL);
    if (sodium_init() < 0) return;
    crypto_shorthash_keygen(SEEN_KEY);
    SEEN_READY = 1;
}

/* The slot of token (len bytes) and the fingerprint of key; -1 when tokens are not kept. */
static int seen_slot(const char *token, size_t len, const unsigned char *key, size_t keylen,
                     unsigned char keyprint[crypto_shorthash_BYTES])
{
    pthread_once(&SEEN_ONCE, seen_init);
    if (!SEEN_READY || len == 0 || len > JWT_SEEN_MAX) return -1;
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, (const unsigned char *)token, len, SEEN_KEY);
    crypto_shorthash(keyprint, key, keylen, SEEN_KEY);
    unsigned long long v = 0;
    for (size_t i = 0; i < sizeof h; i++) v = v << 8 | h[i];
    return (int)(v % JWT_SEEN_SLOTS);
}

static int time_ok(long long exp, long long iat, long long nbf, time_t now)
{
    return exp > (long long)now && iat <= (long long)now + JWT_SKEW && nbf <= (long long)now + JWT_SKEW;
}

/* 1 when the n bytes at a and b are the same, in a time that depends on n only: every word is
 * compared and the differences gathered without a branch. sodium_memcmp goes a byte at a time
 * through a volatile pointer, a fortieth of a single-row read's server time for a 300-byte token. */
static int same_bytes(const unsigned char *a, const unsigned char *b, size_t n)
{
    unsigned long long d = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        unsigned long long x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        d |= x ^ y;
        __asm__ volatile("" : "+r"(d)); /* keeps the compiler from leaving the loop early */
    }
    for (; i < n; i++) d |= (unsigned long long)(a[i] ^ b[i]);
    return d == 0;
}

/* 1 and who filled when the slot keeps this very token for this key and it is in force now. */
static int seen_get(int slot, const char *token, size_t len, const unsigned char *keyprint, time_t now,
                    caller *who, int *expired)
{
    jwt_seen *e = &SEEN[slot];
    pthread_mutex_t *mu = &SEEN_MU[slot % JWT_SEEN_LOCKS];
    int hit = 0;
    pthread_mutex_lock(mu);
    if (e->len == len && same_bytes(e->token, (const unsigned char *)token, len) &
                             same_bytes(e->keyprint, keyprint, crypto_shorthash_BYTES)) {
        if (time_ok(e->exp, e->iat, e->nbf, now)) {
            *who = e->who;
            hit = 1;
        } else {
            *expired = 1;
        }
    }
    pthread_mutex_unlock(mu);
    return hit;
}

static void seen_put(int slot, const char *token, size_t len, const unsigned char *keyprint, long long exp,
                     long long iat, long long nbf, const caller *who)
{
    jwt_seen *e = &SEEN[slot];
    pthread_mutex_t *mu = &SEEN_MU[slot % JWT_SEEN_LOCKS];
    pthread_mutex_lock(mu);
    memcpy(e->token, token, len);
    e->len = len;
    memcpy(e->keyprint, keyprint, crypto_shorthash_BYTES);
    e->exp = exp;
    e->iat = iat;
    e->nbf = nbf;
    e->who = *who;
    pthread_mutex_unlock(mu);
}

static int jwt_verify(const char *token, const unsigned char *key, size_t keylen, time_t now, caller *who,
                      long long *exp_out, long long *iat_out, long long *nbf_out);

int jwt_check(const char *token, const unsigned char *key, size_t keylen, time_t now, caller *who)
{
    if (token == NULL || keylen < 32) return -1;
    size_t len = strnlen(token, 4097);
    if (len > 4096) return -1;
    unsigned char keyprint[crypto_shorthash_BYTES];
    int slot = seen_slot(token, len, key, keylen, keyprint);
    int expired = 0;
    if (slot >= 0 && seen_get(slot, token, len, keyprint, now, who, &expired)) return 0;
    if (expired) return -1;
    long long exp, iat, nbf;
    if (jwt_verify(token, key, keylen, now, who, &exp, &iat, &nbf) != 0) return -1;
    if (slot >= 0) seen_put(slot, token, len, keyprint, exp, iat, nbf, who);
    return 0;
}

/* The whole check of a token: signature, header, claims and times. */
static int jwt_verify(const char *token, const unsigned char *key, size_t keylen, time_t now, caller *who,
                      long long *exp_out, long long *iat_out, long long *nbf_out)
{
    jwt_t *j = NULL;
    json_t *claims = NULL;
    char *grants = NULL;
    int rc = -1;
    if (token == NULL || strlen(token) > 4096 || keylen < 32) return -1;
    /* A JWT has exactly three dot-separated parts; libjwt also takes two-part "none" tokens. */
    const char *d1 = strchr(token, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (d1 == NULL || d2 == NULL || strchr(d2 + 1, '.') != NULL || d2[1] == '\0') return -1;
    if (jwt_decode(&j, token, key, (int)keylen) != 0 || j == NULL) goto out;
    /* libjwt reads alg ignoring case; RFC 7518 names it "HS256" exactly (tests/fuzz). */
    const char *alg = jwt_get_header(j, "alg");
    if (jwt_get_alg(j) != JWT_ALG_HS256 || alg == NULL || strcmp(alg, "HS256") != 0) goto out;
    const char *typ = jwt_get_header(j, "typ");
    if (typ != NULL && strcmp(typ, "JWT") != 0) goto out;
    grants = jwt_get_grants_json(j, NULL);
    if (grants == NULL) goto out;
    claims = json_loads(grants, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(claims)) goto out;

    long long exp, iat, nbf;
    if (time_claim(claims, "exp", &exp) || time_claim(claims, "iat", &iat)) goto out;
    if (exp <= (long long)now || iat > (long long)now + JWT_SKEW) goto out;
    nbf = LLONG_MIN;
    if (json_object_get(claims, "nbf") != NULL &&
        (time_claim(claims, "nbf", &nbf) || nbf > (long long)now + JWT_SKEW))
        goto out;
    *exp_out = exp;
    *iat_out = iat;
    *nbf_out = nbf;
    json_t *iss = json_object_get(claims, "iss");
    if (!json_is_string(iss) || strcmp(json_string_value(iss), JWT_ISSUER) != 0) goto out;

    json_t *sub = json_object_get(claims, "sub");
    json_t *role = json_object_get(claims, "role");
    json_t *unit = json_object_get(claims, "unit");
    json_t *name = json_object_get(claims, "name");
    if (!json_is_string(sub) || !json_is_string(role)) goto out;
    char *end = NULL;
    long long uid = strtoll(json_string_value(sub), &end, 10);
    if (uid <= 0 || end == NULL || *end != '\0') goto out;
    memset(who, 0, sizeof *who);
    who->user_id = uid;
    who->role = role_parse(json_string_value(role));
    if (who->role == ROLE_NONE) goto out;
    if (unit != NULL) {
        if (!json_is_integer(unit) || json_integer_value(unit) <= 0) goto out;
        who->unit_id = json_integer_value(unit);
    }
    who->all_units = who->role == ROLE_ADMIN || who->role == ROLE_INTEGRATION;
    if (!who->all_units && who->unit_id == 0) goto out;
    json_t *cv = json_object_get(claims, "cv");
    if (cv != NULL) {
        if (!json_is_integer(cv) || json_integer_value(cv) <= 0) goto out;
        who->cred_version = json_integer_value(cv);
    }
    /* A name that does not fit would be cut, maybe inside a character (tests/fuzz): refused. */
    if (name != NULL && (!json_is_string(name) || json_string_length(name) >= sizeof who->username)) goto out;
    if (name != NULL) snprintf(who->username, sizeof who->username, "%s", json_string_value(name));
    rc = 0;
out:
    json_decref(claims);
    free(grants);
    jwt_free(j);
    return rc;
}
