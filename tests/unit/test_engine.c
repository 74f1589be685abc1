/*
 * test_engine.c -- the daemon's evaluation slots (engine.c): a thread takes
 * the slot it released last when it is free, so its rule states stay in its
 * core's caches, and any free slot otherwise, never waiting for its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <semaphore.h>

#include "db_fixture.h"
#include "engine.h"

#define FIXTURES COURTRULES_SOURCE_DIR "/tests/fixtures"

static engine *open_engine(fixture *fx, int slots)
{
    engine_config cfg = {
        .db_path = fx->path, .rules_dir = FIXTURES "/worker/rules", .slots = slots};
    engine *e = NULL;
    cr_err err;
    if (engine_open(&cfg, &e, &err) != CR_OK)
        fail_msg("%s", err.msg);
    return e;
}

typedef struct step {
    engine *e;
    engine_slot *slot; /* acquired, or to release */
} step;

static void *acquire_in_thread(void *arg)
{
    step *st = arg;
    st->slot = engine_acquire(st->e);
    return NULL;
}

static void *release_in_thread(void *arg)
{
    step *st = arg;
    engine_release(st->e, st->slot);
    return NULL;
}

static void run_in_thread(void *(*fn)(void *), step *st)
{
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, fn, st), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
}

/* Another thread releases after this one: the free list then starts with
 * the other thread's slot, yet this thread gets its own back. */
static void test_thread_takes_its_slot_again(void **state)
{
    (void)state;
    fixture *fx = fixture_open("engine");
    engine *e = open_engine(fx, 2);
    engine_slot *mine = engine_acquire(e);
    step other = {.e = e};
    run_in_thread(acquire_in_thread, &other);
    assert_ptr_not_equal(other.slot, mine);
    engine_release(e, mine);
    run_in_thread(release_in_thread, &other); /* released last: first on the list */
    engine_slot *again = engine_acquire(e);
    assert_ptr_equal(again, mine);
    /* with its own slot busy, a thread takes the other */
    engine_slot *second = engine_acquire(e);
    assert_ptr_equal(second, other.slot);
    engine_release(e, again);
    engine_release(e, second);
    engine_close(e);
    fixture_close(fx);
}

/* A thread whose own slot is busy never waits for it: with every slot
 * checked out it waits for any, and takes the first one checked in. */
typedef struct waiter {
    engine *e;
    sem_t released, go;
    engine_slot *own, *got;
} waiter;

static void *wait_for_a_slot(void *arg)
{
    waiter *w = arg;
    w->own = engine_acquire(w->e);
    engine_release(w->e, w->own); /* this thread's last slot */
    sem_post(&w->released);
    sem_wait(&w->go);
    w->got = engine_acquire(w->e); /* blocks until the main thread checks one in */
    engine_release(w->e, w->got);
    return NULL;
}

static void test_busy_own_slot_is_not_waited_for(void **state)
{
    (void)state;
    fixture *fx = fixture_open("engine");
    engine *e = open_engine(fx, 2);
    waiter w = {.e = e};
    assert_int_equal(sem_init(&w.released, 0, 0), 0);
    assert_int_equal(sem_init(&w.go, 0, 0), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, wait_for_a_slot, &w), 0);
    sem_wait(&w.released);
    engine_slot *a = engine_acquire(e), *b = engine_acquire(e); /* both: none free */
    engine_slot *other = a == w.own ? b : a;
    assert_ptr_not_equal(other, w.own);
    sem_post(&w.go);
    engine_release(e, other); /* the waiter's own slot stays checked out */
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_ptr_equal(w.got, other);
    engine_release(e, w.own);
    sem_destroy(&w.released);
    sem_destroy(&w.go);
    engine_close(e);
    fixture_close(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thread_takes_its_slot_again),
        cmocka_unit_test(test_busy_own_slot_is_not_waited_for),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
