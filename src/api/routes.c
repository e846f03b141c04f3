/* The single inventory of the API: method, path, handler, the least role allowed. The server
 * registers it, the auth middleware enforces it, the tests compare it with openapi.yaml. */
#include "internal.h"

const http_route api_routes[] = {
    {"GET", "/healthz", ops_healthz, ROLE_NONE},
    {"GET", "/readyz", ops_readyz, ROLE_NONE},
    {"GET", "/metrics", ops_metrics, ROLE_NONE},
    {"GET", "/openapi.yaml", ops_openapi, ROLE_NONE},
    {"GET", "/docs", ops_docs, ROLE_NONE},

    {"POST", "/api/v1/auth/login", auth_login, ROLE_NONE},
    {"POST", "/api/v1/auth/refresh", auth_refresh, ROLE_NONE},
    {"POST", "/api/v1/auth/logout", auth_logout, ROLE_VIEWER},
    {"GET", "/api/v1/me", auth_me, ROLE_VIEWER},

    {"GET", "/api/v1/tokens", tokens_list, ROLE_VIEWER},
    {"POST", "/api/v1/tokens", tokens_create, ROLE_VIEWER},
    {"DELETE", "/api/v1/tokens/:id", tokens_delete, ROLE_VIEWER},

    {"GET", "/api/v1/users", users_list, ROLE_MANAGER},
    {"POST", "/api/v1/users", users_create, ROLE_MANAGER},
    {"GET", "/api/v1/users/:id", users_get, ROLE_MANAGER},
    {"PATCH", "/api/v1/users/:id", users_update, ROLE_MANAGER},
    {"DELETE", "/api/v1/users/:id", users_delete, ROLE_MANAGER},

    {"GET", "/api/v1/units", units_list, ROLE_VIEWER},
    {"POST", "/api/v1/units", units_create, ROLE_MANAGER},
    {"GET", "/api/v1/units/:id", units_get, ROLE_VIEWER},
    {"PATCH", "/api/v1/units/:id", units_update, ROLE_MANAGER},
    {"DELETE", "/api/v1/units/:id", units_close, ROLE_MANAGER},
    {"GET", "/api/v1/units/:id/tree", units_tree, ROLE_VIEWER},

    {"GET", "/api/v1/audit", audit_list, ROLE_ADMIN},
};

const int api_nroutes = (int)(sizeof api_routes / sizeof api_routes[0]);
