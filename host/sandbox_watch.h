/*
 * sandbox_watch.h -- the watchdog behind the sandbox's unhooked calls (see
 * "Calls without a count hook" in sandbox.c); not for other modules.
 *
 * A call that runs without the count hook is invisible to the budget until
 * something turns the hook on. One process-wide thread looks at every
 * registered watch once a tick (5 ms while calls run, 100 ms when idle); a
 * call it finds running at two ticks in a row is signalled (SIGURG, to the
 * thread running it), and the handler, on that thread, sets `armed` and
 * switches the state's main thread to `hook` on every instruction, as
 * lua.c does for Ctrl-C. lua_sethook may be called from a signal handler
 * (ldebug.c says so).
 *
 * The watchdog only stops runaways early. It is not what makes an unhooked
 * call's result trustworthy: sandbox.c checks each call's own elapsed time
 * against the budget whether or not the watchdog ever looked.
 */
#ifndef COURTRULES_SANDBOX_WATCH_H
#define COURTRULES_SANDBOX_WATCH_H

#include <signal.h>
#include <stdatomic.h>

#include <lua.h>

typedef struct sandbox_watch {
    lua_State *L;                 /* the state whose main thread the handler hooks */
    lua_Hook hook;                /* the hook it sets */
    volatile sig_atomic_t armed;  /* set by the handler during a call */
    atomic_uint seq;              /* odd while an unhooked call runs */
    atomic_int tid;               /* the thread running it */
    /* the watchdog's own, under its lock */
    unsigned seen;
    unsigned ticks_seen;
    struct sandbox_watch *next;
} sandbox_watch;

/* Registers w (L and hook set) with the watchdog, starting it on first use.
 * Returns 0, or -1 if the watchdog cannot run (no thread, no signal
 * handler): then the caller must not make unhooked calls with w. */
int sandbox_watch_add(sandbox_watch *w);

/* Unregisters w; after it returns the watchdog no longer reads w. */
void sandbox_watch_remove(sandbox_watch *w);

/* Brackets an unhooked call on the calling thread. Between enter and leave
 * the handler may arm w at any time; outside them it never touches w. */
void sandbox_watch_enter(sandbox_watch *w);
void sandbox_watch_leave(sandbox_watch *w);

#endif
