/* A short-lived, per-process cache of signed-in users' current rights (role, unit, active), so
 * that a JWT request needs no extra database round trip. Correctness comes from invalidation:
 * this process forgets a user as soon as it changes one, and a listener thread (LISTEN
 * bdhvs_users, fed by a trigger) forgets users that other processes changed. While the listener
 * is not connected, the cache is off and every request reads the database.
 * A lookup that misses takes a ticket (its slot's generation); forgetting a user, or clearing
 * the cache, moves the generation on, and an answer read from the database is kept only with a
 * ticket that is still current. Without it, a request that read a user just before another
 * process (or thread) disabled them, and kept its answer just after the notification was heard,
 * would keep the old rights for CACHE_TTL. */
#include "bdhvs/rights.h"
#include "bdhvs/db.h"
#include "bdhvs/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#define CACHE_SLOTS 4096 /* power of two */
#define CACHE_TTL 60     /* seconds: a bound on staleness should a notification be lost */

typedef struct slot {
    long long user_id;      /* 0: empty */
    unsigned long long gen; /* moves on whenever a user of this slot is forgotten */
    time_t loaded;
    caller who;
} slot;

static struct {
    pthread_mutex_t mu;
    slot slots[CACHE_SLOTS];
    atomic_int enabled;
    atomic_int stop;
    pthread_t thread;
    int started;
    char conninfo[1024];
} UC = {.mu = PTHREAD_MUTEX_INITIALIZER};

static slot *find(long long id)
{
    return &UC.slots[(unsigned long long)id * 0x9E3779B97F4A7C15ULL >> 52 & (CACHE_SLOTS - 1)];
}

int rights_enabled(void)
{
    return atomic_load(&UC.enabled);
}

int rights_get(long long id, caller *who, unsigned long long *ticket)
{
    int hit = 0;
    pthread_mutex_lock(&UC.mu);
    slot *s = find(id);
    *ticket = s->gen;
    if (atomic_load(&UC.enabled) && s->user_id == id && time(NULL) - s->loaded < CACHE_TTL) {
        *who = s->who;
        hit = 1;
    }
    pthread_mutex_unlock(&UC.mu);
    return hit;
}

void rights_put(const caller *who, unsigned long long ticket)
{
    if (!atomic_load(&UC.enabled)) return;
    pthread_mutex_lock(&UC.mu);
    slot *s = find(who->user_id);
    if (s->gen == ticket) { /* nobody of this slot was forgotten since the lookup */
        s->user_id = who->user_id;
        s->loaded = time(NULL);
        s->who = *who;
    }
    pthread_mutex_unlock(&UC.mu);
}

void rights_forget(long long id)
{
    pthread_mutex_lock(&UC.mu);
    slot *s = find(id);
    if (s->user_id == id) s->user_id = 0;
    s->gen++;
    pthread_mutex_unlock(&UC.mu);
}

static void clear_all(void)
{
    pthread_mutex_lock(&UC.mu);
    for (int i = 0; i < CACHE_SLOTS; i++) {
        UC.slots[i].user_id = 0;
        UC.slots[i].gen++;
    }
    pthread_mutex_unlock(&UC.mu);
}

/* A notification's payload is the id of the user that changed. */
static void forget_payload(const char *payload, void *arg)
{
    (void)arg;
    rights_forget(atoll(payload));
}

static void *listen_loop(void *arg)
{
    (void)arg;
    db_conn *db = NULL;
    while (!atomic_load(&UC.stop)) {
        if (db == NULL) {
            char err[256];
            db = db_open(UC.conninfo, err, sizeof err);
            if (db == NULL || db_listen(db, "bdhvs_users") != 0) {
                db_close(db);
                db = NULL;
                for (int i = 0; i < 10 && !atomic_load(&UC.stop); i++) usleep(100 * 1000);
                continue;
            }
            clear_all(); /* changes made while we were away were not heard */
            atomic_store(&UC.enabled, 1);
        }
        if (db_wait_notify(db, 200, forget_payload, NULL) < 0) {
            atomic_store(&UC.enabled, 0);
            clear_all();
            db_close(db);
            db = NULL;
            log_msg(LOG_WARN, "user-change listener lost its connection; user cache off until it reconnects");
        }
    }
    atomic_store(&UC.enabled, 0);
    db_close(db);
    return NULL;
}

int rights_start(const char *conninfo)
{
    snprintf(UC.conninfo, sizeof UC.conninfo, "%s", conninfo);
    atomic_store(&UC.stop, 0);
    if (pthread_create(&UC.thread, NULL, listen_loop, NULL) != 0) return -1;
    UC.started = 1;
    return 0;
}

void rights_stop(void)
{
    if (!UC.started) return;
    atomic_store(&UC.stop, 1);
    pthread_join(UC.thread, NULL);
    UC.started = 0;
}
