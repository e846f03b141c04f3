/* Which browser origins may call the API (BDHVS_CORS_ORIGINS); the headers are written by
 * server.c. */
#include "bdhvs/cors.h"

#include <string.h>

int cors_origin_allowed(const char *origins, const char *origin)
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
        if ((len == 1 && *p == '*') || (len == ol && strncmp(p, origin, ol) == 0)) return 1;
        p = e;
    }
    return 0;
}
