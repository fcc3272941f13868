/* The reclamation scheme of epoch.c: retired memory is freed only once
 * every thread that was inside a read-side section has left it; sections
 * nest; threads come and go. Also the possible-CPU list parser. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "maps/epoch.h"
#include "maps/map.h"

struct obj {
	struct epoch_node node;
	atomic_int *freed;
};

static void obj_free(struct epoch_node *n)
{
	struct obj *o = (struct obj *)n;
	atomic_fetch_add(o->freed, 1);
}

static atomic_int phase;

static void *reader(void *arg)
{
	(void)arg;
	epoch_enter();
	atomic_store(&phase, 1);
	while (atomic_load(&phase) != 2)
		usleep(100);
	epoch_exit();
	atomic_store(&phase, 3);
	return NULL;
}

static void test_reader_holds_back_free(void **state)
{
	(void)state;
	atomic_int freed = 0;
	struct obj o = {.freed = &freed};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, reader, NULL), 0);
	while (atomic_load(&phase) != 1)
		usleep(100);
	epoch_retire(&o.node, obj_free);
	for (int i = 0; i < 10; i++)
		epoch_reclaim();
	assert_int_equal(atomic_load(&freed), 0); /* the reader may still see it */
	assert_true(epoch_pending() >= 1);
	atomic_store(&phase, 2);
	while (atomic_load(&phase) != 3)
		usleep(100);
	epoch_barrier();
	assert_int_equal(atomic_load(&freed), 1);
	assert_int_equal(epoch_pending(), 0);
	pthread_join(t, NULL);
}

static void test_nesting_and_own_section(void **state)
{
	(void)state;
	atomic_int freed = 0;
	struct obj a = {.freed = &freed}, b = {.freed = &freed};
	assert_false(epoch_in_critical());
	epoch_enter();
	epoch_enter();
	assert_true(epoch_in_critical());
	epoch_retire(&a.node, obj_free);
	epoch_exit();
	assert_true(epoch_in_critical());
	epoch_barrier(); /* inside a section: tries once, never waits for itself */
	for (int i = 0; i < 5; i++)
		epoch_reclaim();
	assert_int_equal(atomic_load(&freed), 0);
	epoch_exit();
	assert_false(epoch_in_critical());
	epoch_retire(&b.node, obj_free);
	epoch_barrier();
	assert_int_equal(atomic_load(&freed), 2);
}

static void *short_lived(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100; i++) {
		epoch_enter();
		epoch_exit();
	}
	return NULL; /* leaves the registry on exit */
}

static void test_threads_come_and_go(void **state)
{
	(void)state;
	for (int round = 0; round < 20; round++) {
		pthread_t t[4];
		for (int i = 0; i < 4; i++)
			assert_int_equal(pthread_create(&t[i], NULL, short_lived, NULL), 0);
		for (int i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
	}
	atomic_int freed = 0;
	struct obj o = {.freed = &freed};
	epoch_retire(&o.node, obj_free);
	epoch_barrier(); /* exited threads do not hold anything back */
	assert_int_equal(atomic_load(&freed), 1);
}

/* Each thread keeps what it retires (no shared list): a thread that exits
 * with retired objects left hands them on, and a reclaim anywhere frees
 * them once no reader can see them; a live writer frees its own as it
 * goes on retiring. */
enum { ORPHANS = 100 };
static struct obj orphan_objs[ORPHANS];
static atomic_int orphans_freed;

static void *retire_and_exit(void *arg)
{
	(void)arg;
	for (int i = 0; i < ORPHANS; i++) {
		orphan_objs[i].freed = &orphans_freed;
		epoch_retire(&orphan_objs[i].node, obj_free);
	}
	return NULL;
}

static void test_orphans(void **state)
{
	(void)state;
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, retire_and_exit, NULL), 0);
	pthread_join(t, NULL);
	/* 100 retires reclaim once on their own; the last ones were not old enough */
	assert_true(atomic_load(&orphans_freed) < ORPHANS);
	assert_true(epoch_pending() >= (unsigned long)(ORPHANS - atomic_load(&orphans_freed)));
	epoch_barrier();
	assert_int_equal(atomic_load(&orphans_freed), ORPHANS);
	assert_int_equal(epoch_pending(), 0);
}

static void test_many_retires(void **state)
{
	(void)state;
	enum { N = 1000 };
	static struct obj objs[N];
	atomic_int freed = 0;
	for (int i = 0; i < N; i++) {
		objs[i].freed = &freed;
		epoch_retire(&objs[i].node, obj_free); /* reclaims every 64 on its own */
	}
	assert_true(atomic_load(&freed) > 0);
	epoch_barrier();
	assert_int_equal(atomic_load(&freed), N);
}

static void test_cpulist(void **state)
{
	(void)state;
	assert_int_equal(map_parse_cpulist("0\n"), 1);
	assert_int_equal(map_parse_cpulist("0-3\n"), 4);
	assert_int_equal(map_parse_cpulist("0-3,5,7-9"), 10);
	assert_int_equal(map_parse_cpulist("2,0"), 3);
	assert_int_equal(map_parse_cpulist(""), 0);
	assert_int_equal(map_parse_cpulist("x"), -1);
	assert_int_equal(map_parse_cpulist("1-"), -1);
	assert_true(hive_num_possible_cpus() >= 1);
	assert_int_equal(hive_num_possible_cpus(), hive_num_possible_cpus()); /* cached */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_holds_back_free),
		cmocka_unit_test(test_nesting_and_own_section),
		cmocka_unit_test(test_threads_come_and_go),
		cmocka_unit_test(test_orphans),
		cmocka_unit_test(test_many_retires),
		cmocka_unit_test(test_cpulist),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
