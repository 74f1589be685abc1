/*
 * test_engine.c -- the daemon's evaluation slots (engine.c): a thread takes
 * the slot it released last when it is free, so its rule states stay in its
 * core's caches, and any free slot otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>

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

/* A thread that has released nothing takes a free slot, and one whose last
 * slot was an engine's closed since (its address may well be reused by the
 * next) gets distinct, valid slots: the remembered engine is only compared
 * (AddressSanitizer would report a read of the freed one). */
static void test_slots_after_an_engine_closed(void **state)
{
    (void)state;
    fixture *fx = fixture_open("engine");
    engine *e = open_engine(fx, 2);
    engine_slot *a = engine_acquire(e);
    engine_release(e, a);
    engine_close(e);
    e = open_engine(fx, 3);
    step st = {.e = e};
    run_in_thread(acquire_in_thread, &st);
    assert_non_null(st.slot);
    engine_slot *b = engine_acquire(e), *c = engine_acquire(e);
    assert_ptr_not_equal(b, st.slot);
    assert_ptr_not_equal(c, st.slot);
    assert_ptr_not_equal(b, c);
    engine_release(e, st.slot);
    engine_release(e, b);
    engine_release(e, c);
    engine_close(e);
    fixture_close(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thread_takes_its_slot_again),
        cmocka_unit_test(test_slots_after_an_engine_closed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
