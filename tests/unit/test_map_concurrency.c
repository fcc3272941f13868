/* Several threads on one map: lock-free lookups against updates and
 * deletes (ASan catches a value freed under a reader), atomic adds on
 * array values lose nothing, queues conserve elements, the ring buffer
 * delivers every record of several producers in order. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hive/hive.h"
#include "maps/epoch.h"
#include "maps/lock.h"
#include "maps/map.h"
#include "maps/mapmem.h"

/* ThreadSanitizer runs ~10x slower: do less there */
#ifdef __SANITIZE_THREAD__
#define SCALE 4
#else
#define SCALE 1
#endif

enum { NKEYS = 64, VWORDS = 8 };

struct ctx {
	struct hive_map *map;
	atomic_bool stop;
	atomic_ulong reads, hits;
	int id;
};

static void fill(uint64_t *v, uint32_t key, uint64_t gen)
{
	for (int i = 0; i < VWORDS; i++)
		v[i] = (uint64_t)key << 32 | gen;
}

/* A reader: each value it sees is whole (one generation of one key). */
static void *hash_reader(void *arg)
{
	struct ctx *c = arg;
	uint32_t k = 0;
	while (!atomic_load(&c->stop)) {
		epoch_enter(); /* as a program run */
		for (int i = 0; i < 100; i++, k = (k + 7) % NKEYS) {
			uint64_t *v = map_prog_lookup(c->map, &k);
			atomic_fetch_add(&c->reads, 1);
			if (!v)
				continue;
			atomic_fetch_add(&c->hits, 1);
			uint64_t first = v[0];
			assert_int_equal(first >> 32, k);
			for (int w = 1; w < VWORDS; w++)
				assert_int_equal(v[w], first);
		}
		epoch_exit();
	}
	return NULL;
}

static void *hash_writer(void *arg)
{
	struct ctx *c = arg;
	uint64_t v[VWORDS], gen = 0;
	uint32_t k = (uint32_t)c->id;
	for (int i = 0; i < 10000 / SCALE; i++, k = (k + 13) % NKEYS) {
		fill(v, k, ++gen);
		int err;
		if (i % 3 == 0)
			err = (int)map_prog_delete(c->map, &k);
		else
			err = (int)map_prog_update(c->map, &k, v, HIVE_ANY);
		assert_true(err == 0 || err == -ENOENT || err == -E2BIG);
	}
	return NULL;
}

static void run_hash(enum hive_map_type t, uint32_t max)
{
	struct ctx c = {0};
	assert_int_equal(hive_map_create(t, NULL, 4, VWORDS * 8, max, NULL, &c.map), 0);
	pthread_t r[2], w[2];
	struct ctx wc[2] = {{.map = c.map, .id = 1}, {.map = c.map, .id = 2}};
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&r[i], NULL, hash_reader, &c), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&w[i], NULL, hash_writer, &wc[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(w[i], NULL);
	atomic_store(&c.stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(r[i], NULL);
	assert_true(atomic_load(&c.reads) > 0);
	print_message("type %d: %lu lookups, %lu hits\n", t, atomic_load(&c.reads), atomic_load(&c.hits));
	/* the count stayed exact: iteration sees no more than max_entries */
	uint32_t k, nk, n = 0;
	for (int err = hive_map_get_next_key(c.map, NULL, &nk); !err; err = hive_map_get_next_key(c.map, &k, &nk)) {
		k = nk;
		n++;
	}
	assert_true(n <= hive_map_max_entries(c.map));
	hive_map_free(c.map);
	epoch_barrier();
	assert_int_equal(mapmem_outstanding(), 0);
}

static void test_hash_readers_vs_writers(void **state)
{
	(void)state;
	run_hash(HIVE_MAP_HASH, NKEYS);
	run_hash(HIVE_MAP_HASH, NKEYS / 2); /* full map: E2BIG under contention */
	run_hash(HIVE_MAP_LRU_HASH, NKEYS / 2);
}

/* {===== atomic adds on an array value */

enum { ADD_THREADS = 4, ADDS = 50000 / SCALE };

static void *adder(void *arg)
{
	struct hive_map *m = arg;
	uint32_t k = 3;
	for (int i = 0; i < ADDS; i++) {
		uint64_t *v = map_prog_lookup(m, &k);
		__atomic_fetch_add(v, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void test_array_atomic_add(void **state)
{
	(void)state;
	struct hive_map *m;
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, NULL, 4, 8, 4, NULL, &m), 0);
	pthread_t t[ADD_THREADS];
	for (int i = 0; i < ADD_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, adder, m), 0);
	for (int i = 0; i < ADD_THREADS; i++)
		pthread_join(t[i], NULL);
	uint32_t k = 3;
	uint64_t v;
	assert_int_equal(hive_map_lookup(m, &k, &v), 0);
	assert_int_equal(v, (uint64_t)ADD_THREADS * ADDS);
	hive_map_free(m);
}

/* }===== */

/* {===== lpm: longest-prefix lookups while prefixes come and go */

struct lpm_key {
	uint32_t plen;
	uint8_t d[4];
};

static void *lpm_reader(void *arg)
{
	struct ctx *c = arg;
	uint32_t i = 0;
	while (!atomic_load(&c->stop)) {
		struct lpm_key q = {32, {10, (uint8_t)(i % 16), (uint8_t)i, 1}};
		epoch_enter();
		uint32_t *v = map_prog_lookup(c->map, &q);
		/* /8 is always there: every lookup finds something; the value
		 * names its prefix, which must cover the query */
		assert_non_null(v);
		uint32_t plen = *v >> 16, b1 = *v & 0xff;
		assert_true(plen == 8 || plen == 16);
		if (plen == 16)
			assert_int_equal(b1, q.d[1]);
		epoch_exit();
		i++;
		atomic_fetch_add(&c->reads, 1);
	}
	return NULL;
}

static void test_lpm_concurrent(void **state)
{
	(void)state;
	struct ctx c = {0};
	assert_int_equal(hive_map_create(HIVE_MAP_LPM_TRIE, NULL, 8, 4, 64, &(struct hive_map_opts){
		.sz = sizeof(struct hive_map_opts), .map_flags = HIVE_F_NO_PREALLOC}, &c.map), 0);
	struct lpm_key k8 = {8, {10}};
	uint32_t v8 = 8 << 16;
	assert_int_equal(hive_map_update(c.map, &k8, &v8, 0), 0);
	pthread_t r[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&r[i], NULL, lpm_reader, &c), 0);
	for (int i = 0; i < 10000 / SCALE; i++) {
		struct lpm_key k = {16, {10, (uint8_t)(i % 16)}};
		uint32_t v = 16u << 16 | (uint32_t)(i % 16);
		if (i % 2)
			(void)map_prog_delete(c.map, &k);
		else
			assert_int_equal(map_prog_update(c.map, &k, &v, 0), 0);
	}
	atomic_store(&c.stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(r[i], NULL);
	hive_map_free(c.map);
	epoch_barrier();
	assert_int_equal(mapmem_outstanding(), 0);
}

/* }===== */

/* {===== values under their bpf_spin_lock: F_LOCK copies are never torn */

struct lv {
	uint64_t a;
	uint32_t lock, pad;
	uint64_t b;
};

static void *lock_user_writer(void *arg)
{
	struct ctx *c = arg;
	for (uint64_t i = 0; i < 20000 / SCALE; i++) {
		uint32_t k = (uint32_t)(i % 4);
		struct lv v = {i, 0, 0, i};
		assert_int_equal(hive_map_update(c->map, &k, &v, HIVE_F_LOCK), 0);
	}
	return NULL;
}

static void *lock_prog(void *arg)
{
	struct ctx *c = arg;
	for (int i = 0; i < 20000 / SCALE; i++) {
		uint32_t k = (uint32_t)(i % 4);
		struct lv *p = map_prog_lookup(c->map, &k); /* what a program does with bpf_spin_lock */
		lock_spin((_Atomic uint32_t *)&p->lock);
		p->a += 3;
		p->b += 3;
		lock_unspin((_Atomic uint32_t *)&p->lock);
	}
	return NULL;
}

static void *lock_reader(void *arg)
{
	struct ctx *c = arg;
	while (!atomic_load(&c->stop)) {
		for (uint32_t k = 0; k < 4; k++) {
			struct lv v;
			assert_int_equal(hive_map_lookup_flags(c->map, &k, &v, HIVE_F_LOCK), 0);
			assert_int_equal(v.a, v.b);
			assert_int_equal(v.lock, 0);
		}
	}
	return NULL;
}

static void test_spin_locked_values(void **state)
{
	(void)state;
	struct ctx c = {0};
	HIVE_OPTS(hive_map_opts, o, .spin_lock = true, .spin_lock_off = 8);
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, NULL, 4, sizeof(struct lv), 4, &o, &c.map), 0);
	pthread_t w, pr, r;
	assert_int_equal(pthread_create(&r, NULL, lock_reader, &c), 0);
	assert_int_equal(pthread_create(&w, NULL, lock_user_writer, &c), 0);
	assert_int_equal(pthread_create(&pr, NULL, lock_prog, &c), 0);
	pthread_join(w, NULL);
	pthread_join(pr, NULL);
	atomic_store(&c.stop, true);
	pthread_join(r, NULL);
	hive_map_free(c.map);
}

/* }===== */

/* {===== queue: nothing lost, nothing duplicated */

enum { Q_ITEMS = 5000 / SCALE };
static atomic_ulong q_sum, q_popped;

static void *q_producer(void *arg)
{
	struct hive_map *m = arg;
	for (uint64_t i = 1; i <= Q_ITEMS; i++)
		while (map_prog_push(m, &i, 0) == -E2BIG)
			;
	return NULL;
}

static void *q_consumer(void *arg)
{
	struct hive_map *m = arg;
	while (atomic_load(&q_popped) < 2 * Q_ITEMS) {
		uint64_t v;
		if (map_prog_pop(m, &v) == 0) {
			atomic_fetch_add(&q_sum, v);
			atomic_fetch_add(&q_popped, 1);
		}
	}
	return NULL;
}

static void test_queue_concurrent(void **state)
{
	(void)state;
	struct hive_map *m;
	assert_int_equal(hive_map_create(HIVE_MAP_QUEUE, NULL, 0, 8, 64, NULL, &m), 0);
	pthread_t p[2], c[2];
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_create(&p[i], NULL, q_producer, m), 0);
		assert_int_equal(pthread_create(&c[i], NULL, q_consumer, m), 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(p[i], NULL);
		pthread_join(c[i], NULL);
	}
	assert_int_equal(atomic_load(&q_popped), 2 * Q_ITEMS);
	assert_int_equal(atomic_load(&q_sum), 2 * ((uint64_t)Q_ITEMS * (Q_ITEMS + 1) / 2));
	hive_map_free(m);
}

/* }===== */

/* {===== ring buffer: several producers, one consumer */

enum { RB_PRODUCERS = 3, RB_RECORDS = 5000 / SCALE };

struct rb_rec {
	uint32_t producer, seq;
	uint8_t pad[20];
};

static void *rb_producer(void *arg)
{
	struct ctx *c = arg;
	for (uint32_t i = 0; i < RB_RECORDS; i++) {
		if (i % 2) {
			struct rb_rec *r;
			while (!(r = ringbuf_reserve(c->map, sizeof *r, 0)))
				;
			r->producer = (uint32_t)c->id;
			r->seq = i;
			ringbuf_commit(r, 0, false);
		} else {
			struct rb_rec r = {(uint32_t)c->id, i, {0}};
			while (ringbuf_output(c->map, &r, sizeof r, 0) == -EAGAIN)
				;
		}
	}
	return NULL;
}

static uint32_t rb_next[RB_PRODUCERS];

static int rb_sample(void *ctx, void *data, size_t size)
{
	(void)ctx;
	struct rb_rec *r = data;
	assert_int_equal(size, sizeof *r);
	assert_true(r->producer < RB_PRODUCERS);
	assert_int_equal(r->seq, rb_next[r->producer]);
	rb_next[r->producer]++;
	return 0;
}

static void test_ringbuf_mpsc(void **state)
{
	(void)state;
	struct hive_map *m;
	assert_int_equal(hive_map_create(HIVE_MAP_RINGBUF, NULL, 0, 0, 4096, NULL, &m), 0);
	struct ctx c[RB_PRODUCERS];
	pthread_t t[RB_PRODUCERS];
	for (int i = 0; i < RB_PRODUCERS; i++) {
		c[i] = (struct ctx){.map = m, .id = i};
		assert_int_equal(pthread_create(&t[i], NULL, rb_producer, &c[i]), 0);
	}
	long total = 0;
	while (total < (long)RB_PRODUCERS * RB_RECORDS) {
		int n = hive_ringbuf_consume(m, rb_sample, NULL);
		assert_true(n >= 0);
		total += n;
	}
	for (int i = 0; i < RB_PRODUCERS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < RB_PRODUCERS; i++)
		assert_int_equal(rb_next[i], RB_RECORDS);
	hive_map_free(m);
}

/* }===== */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_readers_vs_writers),
		cmocka_unit_test(test_array_atomic_add),
		cmocka_unit_test(test_lpm_concurrent),
		cmocka_unit_test(test_spin_locked_values),
		cmocka_unit_test(test_queue_concurrent),
		cmocka_unit_test(test_ringbuf_mpsc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
