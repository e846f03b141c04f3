/* A bound on password hashings running at once (argon2id costs CPU and 64 MiB each): at most N
 * at a time, the others wait their turn for a bounded time. */
#include "bdhvs/auth.h"

#include <errno.h>
#include <pthread.h>

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int limit; /* 0: not initialised, no bound */
    int busy;
} G = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};

void hash_gate_init(int concurrency)
{
    pthread_mutex_lock(&G.mu);
    G.limit = concurrency < 1 ? 1 : concurrency;
    pthread_mutex_unlock(&G.mu);
}

int hash_gate_enter(int wait_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    int rc = 0;
    pthread_mutex_lock(&G.mu);
    while (G.limit > 0 && G.busy >= G.limit) {
        if (pthread_cond_timedwait(&G.cv, &G.mu, &until) == ETIMEDOUT && G.busy >= G.limit) {
            rc = -1;
            break;
        }
    }
    if (rc == 0) G.busy++;
    pthread_mutex_unlock(&G.mu);
    return rc;
}

void hash_gate_leave(void)
{
    pthread_mutex_lock(&G.mu);
    if (G.busy > 0) G.busy--;
    pthread_cond_signal(&G.cv);
    pthread_mutex_unlock(&G.mu);
}
