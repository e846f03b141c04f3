/* The route table and openapi.yaml describe the same API: every route is in the document with
 * its method, and every operation of the document is a route. */
#include "tests.h"
#include "bdhvs/api.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const unsigned char bdhvs_openapi_yaml[];

/* ":id" -> "{id}" */
static void to_openapi(const char *route, char *out, size_t len)
{
    size_t n = 0;
    for (const char *p = route; *p && n + 3 < len; p++) {
        if (*p == ':') {
            out[n++] = '{';
            p++;
            while (*p && *p != '/' && n + 2 < len) out[n++] = *p++;
            out[n++] = '}';
            if (*p == '\0') break;
        }
        out[n++] = *p;
    }
    out[n] = '\0';
}

/* Does the document have "  PATH:" with "    method:" inside its block? */
static int documented(const char *doc, const char *path, const char *method)
{
    char key[300], m[16];
    snprintf(key, sizeof key, "\n  %s:\n", path);
    const char *start = strstr(doc, key);
    if (start == NULL) return 0;
    start += strlen(key);
    size_t k = 0;
    for (; method[k] && k < sizeof m - 1; k++) m[k] = (char)tolower((unsigned char)method[k]);
    m[k] = '\0';
    snprintf(key, sizeof key, "\n    %s:", m);
    const char *hit = strstr(start - 1, key);
    /* The next path block starts with two spaces and a slash. */
    const char *next = strstr(start, "\n  /");
    return hit != NULL && (next == NULL || hit < next);
}

START_TEST(every_route_is_in_openapi_and_every_operation_is_a_route)
{
    const char *doc = (const char *)bdhvs_openapi_yaml;
    for (int i = 0; i < api_nroutes; i++) {
        char p[256];
        to_openapi(api_routes[i].path, p, sizeof p);
        ck_assert_msg(documented(doc, p, api_routes[i].method), "%s %s is not in openapi.yaml", api_routes[i].method, p);
    }
    /* Count the operations of the document under paths: and compare. */
    const char *paths = strstr(doc, "\npaths:\n");
    ck_assert_ptr_nonnull(paths);
    const char *end = strstr(paths, "\ncomponents:");
    int ops = 0;
    static const char *const methods[] = {"\n    get:", "\n    post:", "\n    put:", "\n    patch:", "\n    delete:", NULL};
    for (int k = 0; methods[k]; k++)
        for (const char *q = strstr(paths, methods[k]); q && (end == NULL || q < end); q = strstr(q + 1, methods[k])) ops++;
    ck_assert_int_eq(ops, api_nroutes);
}
END_TEST

Suite *routes_suite(void)
{
    Suite *s = suite_create("routes");
    TCase *t = tcase_create("routes");
    tcase_add_test(t, every_route_is_in_openapi_and_every_operation_is_a_route);
    suite_add_tcase(s, t);
    return s;
}
