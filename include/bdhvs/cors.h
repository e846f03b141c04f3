/* Cross-origin requests: which browser origins may call the API (BDHVS_CORS_ORIGINS). */
#ifndef BDHVS_CORS_H
#define BDHVS_CORS_H

/* Whether origin (the Origin header; NULL when absent) is in origins, a comma-separated list
 * (spaces around items ignored) in which "*" allows every origin. Origins are compared byte for
 * byte (case matters); an empty list allows none. */
int cors_origin_allowed(const char *origins, const char *origin);

#endif
