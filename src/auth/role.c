/* Roles: their names and what each may do (see bdhvs/role.h). */
#include "bdhvs/role.h"

#include <string.h>

const char *role_name(role_t r)
{
    switch (r) {
    case ROLE_VIEWER: return "viewer";
    case ROLE_REPORTER: return "reporter";
    case ROLE_MANAGER: return "manager";
    case ROLE_ADMIN: return "admin";
    case ROLE_INTEGRATION: return "integration";
    default: return "none";
    }
}

role_t role_parse(const char *s)
{
    if (s == NULL) return ROLE_NONE;
    for (role_t r = ROLE_VIEWER; r <= ROLE_INTEGRATION; r++)
        if (strcmp(s, role_name(r)) == 0) return r;
    return ROLE_NONE;
}

int role_rank(role_t r)
{
    return r == ROLE_INTEGRATION ? ROLE_VIEWER : (int)r;
}

role_set role_set_least(role_t need)
{
    role_set s = 0;
    for (role_t r = ROLE_NONE; r <= ROLE_INTEGRATION; r++)
        if (role_allows(r, need)) s |= ROLE_BIT(r);
    return s;
}

int role_set_has(role_set s, role_t r)
{
    return r >= ROLE_NONE && r <= ROLE_INTEGRATION && (s & ROLE_BIT(r)) != 0;
}

int role_allows(role_t r, role_t need)
{
    if (need == ROLE_NONE) return 1;
    if (r == ROLE_NONE) return 0;
    if (r == ROLE_INTEGRATION) return need == ROLE_VIEWER || need == ROLE_INTEGRATION;
    if (need == ROLE_INTEGRATION) return r == ROLE_ADMIN;
    return r >= need;
}
