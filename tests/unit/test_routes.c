/* The route table and openapi.yaml describe the same API: every route is in the document with
 * its method, and every operation of the document is a route. */
#include "tests.h"
#include "bdhvs/api.h"
#include "bdhvs/embedded.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* End of the YAML block starting at p whose keys are indented by indent spaces: the next line
 * indented less or as much (and not blank), or end. */
static const char *block_end(const char *p, int indent, const char *end)
{
    for (const char *q = strchr(p, '\n'); q && q < end; q = strchr(q + 1, '\n')) {
        int k = 0;
        while (q[1 + k] == ' ') k++;
        if (q[1 + k] != '\n' && q[1 + k] != '\0' && k <= indent) return q;
    }
    return end;
}

/* The value of "KEY: value" (first such line between p and end) into out. */
static int yaml_value(const char *p, const char *end, const char *key, char *out, size_t len)
{
    char k[64];
    snprintf(k, sizeof k, "%s: ", key);
    const char *h = strstr(p, k);
    if (h == NULL || h >= end) return 0;
    h += strlen(k);
    size_t n = strcspn(h, "\n");
    if (n >= len) n = len - 1;
    memcpy(out, h, n);
    out[n] = '\0';
    return 1;
}

/* Adds to names the query parameters of the parameter list between p and end (inline or
 * $ref to components.parameters). */
static void query_params(const char *doc, const char *p, const char *end, char names[][48], int *n)
{
    for (const char *h = strstr(p, "- "); h && h < end; h = strstr(h + 2, "- ")) {
        char name[48], in[16];
        if (strncmp(h, "- $ref: '#/components/parameters/", 33) == 0) {
            const char *c = h + 33;
            size_t l = strcspn(c, "'");
            char key[96];
            snprintf(key, sizeof key, "\n    %.*s:\n", (int)l, c);
            const char *comp = strstr(strstr(doc, "\ncomponents:"), key);
            ck_assert_msg(comp != NULL, "no component %s", key);
            const char *ce = block_end(comp + 1, 4, comp + strlen(comp));
            if (yaml_value(comp, ce, "name", name, sizeof name) && yaml_value(comp, ce, "in", in, sizeof in) &&
                strcmp(in, "query") == 0)
                snprintf(names[(*n)++], 48, "%s", name);
        } else if (strncmp(h, "- name: ", 8) == 0) {
            const char *line_end = strchr(h, '\n');
            const char *next = strstr(line_end, "- ");
            const char *item_end = next && next < end ? next : end;
            if (yaml_value(h, item_end, "name", name, sizeof name) && yaml_value(h, item_end, "in", in, sizeof in) &&
                strcmp(in, "query") == 0)
                snprintf(names[(*n)++], 48, "%s", name);
        }
    }
}

/* The block of the route's operation in the document (op up to *op_end), and its path's block
 * (*path, *path_end); fails the test when there is none. */
static const char *route_operation(const char *doc, const http_route *rt, const char **op_end, const char **path,
                                   const char **path_end)
{
    const char *doc_end = strstr(doc, "\ncomponents:");
    char p[256], key[300], m[16];
    to_openapi(rt->path, p, sizeof p);
    snprintf(key, sizeof key, "\n  %s:\n", p);
    *path = strstr(doc, key);
    ck_assert_msg(*path != NULL, "%s", p);
    *path_end = block_end(*path + 1, 2, doc_end);
    size_t k = 0;
    for (; rt->method[k] && k < sizeof m - 1; k++) m[k] = (char)tolower((unsigned char)rt->method[k]);
    m[k] = '\0';
    snprintf(key, sizeof key, "\n    %s:\n", m);
    const char *op = strstr(*path, key);
    ck_assert_msg(op != NULL && op < *path_end, "%s %s", rt->method, p);
    *op_end = block_end(op + 1, 4, *path_end);
    return op;
}

START_TEST(every_route_declares_exactly_the_query_parameters_of_openapi)
{
    const char *doc = (const char *)bdhvs_openapi_yaml;
    int checked = 0;
    for (int i = 0; i < api_nroutes; i++) {
        const http_route *rt = &api_routes[i];
        char p[256];
        to_openapi(rt->path, p, sizeof p);
        const char *op_end, *path, *path_end;
        const char *op = route_operation(doc, rt, &op_end, &path, &path_end);
        char names[64][48];
        int n = 0;
        const char *first_op = path_end; /* path-level parameters come before the first method */
        static const char *const methods[] = {"\n    get:", "\n    post:", "\n    put:", "\n    patch:", "\n    delete:", NULL};
        for (int j = 0; methods[j]; j++) {
            const char *h = strstr(path, methods[j]);
            if (h && h < first_op) first_op = h;
        }
        query_params(doc, path, first_op, names, &n);
        query_params(doc, op, op_end, names, &n);
        int declared = 0;
        for (const char *const *q = rt->query; q && *q; q++) {
            declared++;
            int found = 0;
            for (int j = 0; j < n; j++) found |= strcmp(names[j], *q) == 0;
            ck_assert_msg(found, "%s %s declares ?%s, which openapi.yaml does not document", rt->method, p, *q);
        }
        for (int j = 0; j < n; j++)
            ck_assert_msg(http_query_declared(rt, names[j]), "%s %s: openapi.yaml documents ?%s, the route does not take it",
                          rt->method, p, names[j]);
        ck_assert_int_eq(declared, n);
        checked += n;
    }
    ck_assert_int_gt(checked, 150);
}
END_TEST

/* The roles openapi.yaml names for an operation (x-roles) are exactly those the route table lets
 * through (http_route_allows: a least role, or a set of roles such as the change feed's). */
START_TEST(every_operations_x_roles_are_the_roles_its_route_allows)
{
    const char *doc = (const char *)bdhvs_openapi_yaml;
    static const role_t roles[] = {ROLE_VIEWER, ROLE_REPORTER, ROLE_MANAGER, ROLE_ADMIN, ROLE_INTEGRATION};
    int checked = 0;
    for (int i = 0; i < api_nroutes; i++) {
        const http_route *rt = &api_routes[i];
        char p[256], list[200];
        to_openapi(rt->path, p, sizeof p);
        const char *op_end, *path, *path_end;
        const char *op = route_operation(doc, rt, &op_end, &path, &path_end);
        ck_assert_msg(yaml_value(op, op_end, "x-roles", list, sizeof list), "%s %s has no x-roles", rt->method, p);
        int is_public = strstr(list, "public") != NULL;
        ck_assert_msg(is_public == http_route_allows(rt, ROLE_NONE), "%s %s: x-roles %s", rt->method, p, list);
        if (is_public) continue;
        for (size_t j = 0; j < sizeof roles / sizeof roles[0]; j++) {
            /* Names are whole words in "[a, b]": look for the name followed by , or ]. */
            char w1[32], w2[32];
            snprintf(w1, sizeof w1, "%s,", role_name(roles[j]));
            snprintf(w2, sizeof w2, "%s]", role_name(roles[j]));
            int listed = strstr(list, w1) != NULL || strstr(list, w2) != NULL;
            ck_assert_msg(listed == http_route_allows(rt, roles[j]), "%s %s: x-roles %s, but %s %s", rt->method, p,
                          list, role_name(roles[j]), listed ? "may not use it" : "may use it");
            checked++;
        }
    }
    ck_assert_int_gt(checked, 300);
}
END_TEST

/* A route with a set of roles lets exactly those through, never without a token, whatever its
 * least role says; without a set, the least role decides as role_allows does. */
START_TEST(a_set_of_roles_allows_exactly_its_roles_and_always_needs_a_token)
{
    http_route set = {"GET", "/x", NULL, ROLE_NONE, NULL, 0, ROLE_BIT(ROLE_MANAGER) | ROLE_BIT(ROLE_INTEGRATION)};
    ck_assert(!http_route_allows(&set, ROLE_NONE));
    ck_assert(!http_route_allows(&set, ROLE_VIEWER));
    ck_assert(!http_route_allows(&set, ROLE_REPORTER));
    ck_assert(http_route_allows(&set, ROLE_MANAGER));
    ck_assert(!http_route_allows(&set, ROLE_ADMIN));
    ck_assert(http_route_allows(&set, ROLE_INTEGRATION));
    http_route least = {"GET", "/x", NULL, ROLE_MANAGER, NULL, 0, 0};
    for (role_t r = ROLE_NONE; r <= ROLE_INTEGRATION; r++) {
        ck_assert_int_eq(http_route_allows(&least, r), role_allows(r, ROLE_MANAGER));
        ck_assert_int_eq(role_set_has(role_set_least(ROLE_VIEWER), r), role_allows(r, ROLE_VIEWER));
    }
    http_route pub = {"GET", "/x", NULL, ROLE_NONE, NULL, 0, 0};
    ck_assert(http_route_allows(&pub, ROLE_NONE));
}
END_TEST

/* Bulk loads and password hashing run on the heavy workers; the operations listener serves
 * exactly health, readiness and metrics. */
START_TEST(heavy_and_operations_routes_are_flagged)
{
    int ops = 0;
    for (int i = 0; i < api_nroutes; i++) {
        const http_route *r = &api_routes[i];
        size_t n = strlen(r->path);
        int is_import = n > 7 && strcmp(r->path + n - 7, "/import") == 0;
        int hashes = strcmp(r->path, "/api/v1/auth/login") == 0 || strcmp(r->path, "/api/v1/me/password") == 0 ||
                     (strcmp(r->path, "/api/v1/users") == 0 && strcmp(r->method, "POST") == 0) ||
                     (strcmp(r->path, "/api/v1/users/:id") == 0 && strcmp(r->method, "PATCH") == 0);
        ck_assert_msg(((r->flags & HTTP_ROUTE_HEAVY) != 0) == (is_import || hashes), "%s %s", r->method, r->path);
        if (r->flags & HTTP_ROUTE_OPS) {
            ops++;
            ck_assert_msg(strcmp(r->path, "/healthz") == 0 || strcmp(r->path, "/readyz") == 0 ||
                              strcmp(r->path, "/metrics") == 0,
                          "%s", r->path);
        }
    }
    ck_assert_int_eq(ops, 3);
}
END_TEST

Suite *routes_suite(void)
{
    Suite *s = suite_create("routes");
    TCase *t = tcase_create("routes");
    tcase_add_test(t, every_route_is_in_openapi_and_every_operation_is_a_route);
    tcase_add_test(t, every_route_declares_exactly_the_query_parameters_of_openapi);
    tcase_add_test(t, heavy_and_operations_routes_are_flagged);
    tcase_add_test(t, every_operations_x_roles_are_the_roles_its_route_allows);
    tcase_add_test(t, a_set_of_roles_allows_exactly_its_roles_and_always_needs_a_token);
    suite_add_tcase(s, t);
    return s;
}
