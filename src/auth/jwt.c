#include "bdhvs/auth.h"

#include <jansson.h>
#include <jwt.h>
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

int jwt_check(const char *token, const unsigned char *key, size_t keylen, time_t now, caller *who)
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
    if (json_object_get(claims, "nbf") != NULL &&
        (time_claim(claims, "nbf", &nbf) || nbf > (long long)now + JWT_SKEW))
        goto out;
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
