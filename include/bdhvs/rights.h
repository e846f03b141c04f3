/* The signed-in users' rights cache (src/auth/rights.c): the caller a user id resolves to (role,
 * unit, credential version), kept for a short while so that authentication does not read the
 * users table on every request. A listener connection (LISTEN bdhvs_users) forgets a user as soon
 * as any process changes it; while the listener is down the cache is off and every lookup
 * misses. */
#ifndef BDHVS_RIGHTS_H
#define BDHVS_RIGHTS_H

#include "bdhvs/auth.h"

/* Starts the listener thread on conninfo. 0 on success. */
int rights_start(const char *conninfo);
void rights_stop(void);
int rights_enabled(void); /* 1 while the listener is connected */
/* 1 on a fresh hit (who filled); on a miss, *ticket is what rights_put needs to keep the answer
 * read. */
int rights_get(long long id, caller *who, unsigned long long *ticket);
/* Keeps a copy of who, unless the user (or one of its slot) was forgotten since the lookup that
 * gave ticket. */
void rights_put(const caller *who, unsigned long long ticket);
void rights_forget(long long id);

#endif
