/* Roles (src/auth/role.c). */
#ifndef BDHVS_ROLE_H
#define BDHVS_ROLE_H

typedef enum {
    ROLE_NONE = 0,     /* route table: no token needed */
    ROLE_VIEWER = 1,   /* any signed-in user; integration reads here */
    ROLE_REPORTER = 2, /* data entry */
    ROLE_MANAGER = 3,
    ROLE_ADMIN = 4,
    ROLE_INTEGRATION = 5 /* reads everything, writes nothing */
} role_t;

role_t role_parse(const char *s); /* ROLE_NONE when unknown */
const char *role_name(role_t r);
/* May a caller of role r use a route whose least role is need? */
int role_allows(role_t r, role_t need);
/* Rank used to compare write privileges: integration ranks with viewer. */
int role_rank(role_t r);

/* A set of roles: bit r for role r (the route table names routes that only some roles may use,
 * not a least role and all above it: the change feed is for admin, manager and integration). */
typedef unsigned role_set;
#define ROLE_BIT(r) (1u << (unsigned)(r))
/* The roles that role_allows lets use a route whose least role is need (ROLE_NONE included). */
role_set role_set_least(role_t need);
/* Is r in s? */
int role_set_has(role_set s, role_t r);

#endif
