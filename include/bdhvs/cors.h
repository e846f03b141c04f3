/* Cross-origin requests: which browser origins may call the API (BDHVS_CORS_ORIGINS). */
#ifndef BDHVS_CORS_H
#define BDHVS_CORS_H

/* Whether origin (the Origin header; NULL when absent) is in origins, a comma-separated list
 * (spaces around items ignored) in which "*" allows every origin. Origins are compared byte for
 * byte (case matters); an empty list allows none. */
int cors_origin_allowed(const char *origins, const char *origin);

/* Whether origin is named in origins itself ("*" does not count): the origins trusted with
 * credentials (the refresh cookie, Access-Control-Allow-Credentials). */
int cors_origin_listed(const char *origins, const char *origin);

/* Whether origin (scheme://host[:port]) is the server's own origin as the Host header (host
 * and port, as the browser sent it) names it. NULL or empty on either side: no. */
int cors_same_origin(const char *origin, const char *host);

#endif
