/*
 * sandbox_watch.c -- the watchdog behind unhooked sandbox calls (see
 * sandbox_watch.h).
 *
 * Invariants:
 *   - the watchdog reads a watch only while it is on the list, under `lock`;
 *   - the handler touches only the watch the interrupted thread entered
 *     (thread-local `current`), and only between enter and leave;
 *   - every thread that makes unhooked calls has SIGURG unblocked.
 */
#include "sandbox_watch.h"

#include <errno.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum {
    /* Between looks while calls run. Each wake-up takes a core from a
     * worker on a busy machine: at 1 ms, 200,000 cases on 2 cores spent
     * 0.07 s more in the kernel, as much as the unhooked calls saved. Only
     * how soon a runaway is interrupted depends on it, never an outcome. */
    TICK_BUSY_NS = 5000000,
    TICK_IDLE_NS = 100000000, /* once no call has been seen for IDLE_TICKS */
    IDLE_TICKS = 200,          /* a second of busy ticks */
    TIMER_SLACK_NS = 1000000, /* the kernel may wake the watchdog this much later */
    RESIGNAL_TICKS = 20 /* a call still running after this many ticks is signalled again */
};

#define WATCH_SIGNAL SIGURG /* ignored by default: a stray one harms nothing */

static pthread_once_t started = PTHREAD_ONCE_INIT;
static int start_failed;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static sandbox_watch *watches;

static _Thread_local sandbox_watch *volatile current;
static _Thread_local int thread_tid; /* 0 until this thread's first enter */

static void on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    sandbox_watch *w = current;
    if (w) {
        w->armed = 1;
        lua_sethook(w->L, w->hook, LUA_MASKCOUNT, 1);
    }
    errno = saved;
}

/* One look at every watch: a call seen with the same odd seq as at the
 * last look has run for at least a tick. Returns whether any call ran. */
static int look(pid_t pid)
{
    int busy = 0;
    for (sandbox_watch *w = watches; w; w = w->next) {
        unsigned seq = atomic_load_explicit(&w->seq, memory_order_acquire);
        if (!(seq & 1u) || seq != w->seen) {
            w->seen = seq;
            w->ticks_seen = 0;
            busy |= (int)(seq & 1u);
            continue;
        }
        busy = 1;
        /* tgkill, not pthread_kill: the thread may have ended meanwhile,
         * and a stale pthread_t is undefined behaviour where a stale tid
         * is at worst ESRCH or a stray signal, which the handler ignores
         * on a thread outside an unhooked call */
        if (w->ticks_seen++ % RESIGNAL_TICKS == 0)
            syscall(SYS_tgkill, pid, atomic_load_explicit(&w->tid, memory_order_relaxed),
                    WATCH_SIGNAL);
    }
    return busy;
}

static void *watchdog(void *arg)
{
    (void)arg;
    pid_t pid = getpid();
    unsigned idle = 0;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are for the other threads */
    prctl(PR_SET_TIMERSLACK, (unsigned long)TIMER_SLACK_NS); /* wake-ups may coalesce */
    for (;;) {
        pthread_mutex_lock(&lock);
        while (!watches)
            pthread_cond_wait(&not_empty, &lock);
        idle = look(pid) ? 0 : idle + (idle < IDLE_TICKS);
        pthread_mutex_unlock(&lock);
        struct timespec tick = {0, idle >= IDLE_TICKS ? TICK_IDLE_NS : TICK_BUSY_NS};
        while (nanosleep(&tick, &tick) != 0 && errno == EINTR)
            ;
    }
    return NULL;
}

static void start(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    pthread_attr_t attr;
    pthread_t thread;
    if (sigaction(WATCH_SIGNAL, &sa, NULL) != 0 || pthread_attr_init(&attr) != 0) {
        start_failed = 1;
        return;
    }
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    start_failed = pthread_create(&thread, &attr, watchdog, NULL) != 0;
    pthread_attr_destroy(&attr);
}

int sandbox_watch_add(sandbox_watch *w)
{
    pthread_once(&started, start);
    if (start_failed)
        return -1;
    w->armed = 0;
    atomic_init(&w->seq, 0);
    atomic_init(&w->tid, 0);
    w->seen = 0;
    w->ticks_seen = 0;
    pthread_mutex_lock(&lock);
    w->next = watches;
    watches = w;
    pthread_cond_signal(&not_empty);
    pthread_mutex_unlock(&lock);
    return 0;
}

void sandbox_watch_remove(sandbox_watch *w)
{
    pthread_mutex_lock(&lock);
    for (sandbox_watch **p = &watches; *p; p = &(*p)->next) {
        if (*p == w) {
            *p = w->next;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
}

void sandbox_watch_enter(sandbox_watch *w)
{
    if (!thread_tid) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, WATCH_SIGNAL);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
        thread_tid = (int)syscall(SYS_gettid);
    }
    w->armed = 0;
    atomic_store_explicit(&w->tid, thread_tid, memory_order_relaxed);
    current = w;
    atomic_signal_fence(memory_order_seq_cst); /* current is set before the call starts */
    unsigned seq = atomic_load_explicit(&w->seq, memory_order_relaxed);
    atomic_store_explicit(&w->seq, seq + 1, memory_order_release);
}

void sandbox_watch_leave(sandbox_watch *w)
{
    current = NULL;
    atomic_signal_fence(memory_order_seq_cst); /* no arming after this point */
    unsigned seq = atomic_load_explicit(&w->seq, memory_order_relaxed);
    atomic_store_explicit(&w->seq, seq + 1, memory_order_release);
}
