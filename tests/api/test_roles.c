/* The role matrix: walks the route table itself, so a new route is covered the day it is added. */
#include "client.h"
#include "bdhvs/api.h"

#include <stdio.h>
#include <string.h>

START_TEST(every_protected_route_needs_a_token)
{
    for (int i = 0; i < api_nroutes; i++) {
        const http_route *rt = &api_routes[i];
        if (http_route_allows(rt, ROLE_NONE)) continue;
        char path[256];
        route_concrete_path(rt->path, path, sizeof path);
        req_opts o = {.body = strcmp(rt->method, "GET") && strcmp(rt->method, "DELETE") ? "{}" : NULL};
        resp *r = http_do(rt->method, path, &o);
        ck_assert_msg(r->status == 401, "%s %s without a token gave %ld", rt->method, path, r->status);
        resp_free(r);
    }
}
END_TEST

START_TEST(every_route_refuses_roles_below_its_least_role)
{
    struct {
        const char *token;
        role_t role;
    } who[] = {{T_SYT_VIEWER, ROLE_VIEWER}, {T_SD_REPORTER, ROLE_REPORTER}, {T_SD_MANAGER, ROLE_MANAGER},
               {T_INTEGRATION, ROLE_INTEGRATION}};
    int checked = 0;
    for (int i = 0; i < api_nroutes; i++) {
        const http_route *rt = &api_routes[i];
        char path[256];
        route_concrete_path(rt->path, path, sizeof path);
        for (size_t k = 0; k < sizeof who / sizeof who[0]; k++) {
            if (http_route_allows(rt, who[k].role)) continue;
            req_opts o = {.token = who[k].token,
                          .body = strcmp(rt->method, "GET") && strcmp(rt->method, "DELETE") ? "{}" : NULL};
            resp *r = http_do(rt->method, path, &o);
            ck_assert_msg(r->status == 403, "%s %s as %s gave %ld", rt->method, path, role_name(who[k].role), r->status);
            resp_free(r);
            checked++;
        }
    }
    ck_assert_int_gt(checked, 20);
}
END_TEST

Suite *roles_suite(void)
{
    Suite *s = suite_create("roles");
    TCase *t = tcase_create("roles");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, every_protected_route_needs_a_token);
    tcase_add_test(t, every_route_refuses_roles_below_its_least_role);
    suite_add_tcase(s, t);
    return s;
}
