/* Which browser origins may call the API (BDHVS_CORS_ORIGINS); the headers are written by
 * server.c. */
#include "bdhvs/cors.h"

#include <string.h>

/* Whether origin is in the list; star: "*" counts. */
static int origin_in(const char *origins, const char *origin, int star)
{
    if (origins[0] == '\0' || origin == NULL) return 0;
    size_t ol = strlen(origin);
    const char *p = origins;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        const char *e = p;
        while (*e && *e != ',') e++;
        const char *t = e;
        while (t > p && t[-1] == ' ') t--;
        size_t len = (size_t)(t - p);
        if ((star && len == 1 && *p == '*') || (len == ol && strncmp(p, origin, ol) == 0)) return 1;
        p = e;
    }
    return 0;
}

int cors_origin_allowed(const char *origins, const char *origin)
{
    return origin_in(origins, origin, 1);
}

int cors_origin_listed(const char *origins, const char *origin)
{
    return origin_in(origins, origin, 0);
}

int cors_same_origin(const char *origin, const char *host)
{
    if (origin == NULL || host == NULL || *host == '\0') return 0;
    const char *sep = strstr(origin, "://");
    if (sep == NULL) return 0;
    size_t sl = (size_t)(sep - origin);
    if (!((sl == 4 && strncmp(origin, "http", 4) == 0) || (sl == 5 && strncmp(origin, "https", 5) == 0))) return 0;
    return strcmp(sep + 3, host) == 0;
}
