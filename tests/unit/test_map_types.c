/* Per-type semantics and error paths of the map user API and the program
 * side (map_prog_*), without the kernel. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hive/hive.h"
#include "maps/epoch.h"
#include "maps/map.h"
#include "maps/mapmem.h"
#include "maps/registry.h"

static struct hive_map *mk(enum hive_map_type t, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	char log[128] = "";
	HIVE_OPTS(hive_map_opts, o, .map_flags = flags, .log_buf = log, .log_size = sizeof log);
	struct hive_map *m = NULL;
	int err = hive_map_create(t, "t", ks, vs, max, &o, &m);
	if (err)
		fail_msg("create %d: %s", err, log);
	return m;
}

static int teardown_check(void **state)
{
	(void)state;
	epoch_barrier();
	assert_int_equal(mapmem_outstanding(), 0);
	return 0;
}

/* {===== creation */

static void test_create_errors(void **state)
{
	(void)state;
	struct hive_map *m = (struct hive_map *)1;
	char log[128];
	HIVE_OPTS(hive_map_opts, o, .log_buf = log, .log_size = sizeof log);
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, NULL, 4, 4, 1, NULL, NULL), -EINVAL);
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, NULL, 3, 4, 1, &o, &m), -EINVAL);
	assert_null(m);
	assert_non_null(strstr(log, "key_size 3"));
	assert_int_equal(hive_map_create(HIVE_MAP_UNSPEC, NULL, 4, 4, 1, &o, &m), -EINVAL);
	assert_non_null(strstr(log, "type 0"));
	assert_int_equal(hive_map_create((enum hive_map_type)99, NULL, 4, 4, 1, &o, &m), -EINVAL);
	assert_int_equal(hive_map_create((enum hive_map_type)7 /* STACK_TRACE */, NULL, 4, 8, 4, &o, &m), -EINVAL);
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, "bad name", 4, 4, 1, &o, &m), -EINVAL);
	assert_non_null(strstr(log, "name"));
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, "0123456789abcdef", 4, 4, 1, &o, &m), -EINVAL);
	o.map_extra = 1;
	assert_int_equal(hive_map_create(HIVE_MAP_HASH, NULL, 4, 4, 1, &o, &m), -EINVAL);
	assert_non_null(strstr(log, "map_extra"));
	o.map_extra = 0;
	o.map_flags = HIVE_F_RDONLY | HIVE_F_WRONLY;
	assert_int_equal(hive_map_create(HIVE_MAP_HASH, NULL, 4, 4, 1, &o, &m), -EINVAL);
	o.map_flags = HIVE_F_NUMA_NODE;
	o.numa_node = 4095;
	assert_int_equal(hive_map_create(HIVE_MAP_HASH, NULL, 4, 4, 1, &o, &m), -EINVAL);
	assert_non_null(strstr(log, "numa_node"));
	o.map_flags = 0;
	o.numa_node = 0;
	assert_int_equal(hive_map_create(HIVE_MAP_LRU_HASH, NULL, 4, 4, 1, &(struct hive_map_opts){
		.sz = sizeof(struct hive_map_opts), .map_flags = HIVE_F_NO_PREALLOC}, &m), -HIVE_ENOTSUPP);
	/* opts: bad size, unknown trailing bytes */
	struct {
		struct hive_map_opts o;
		uint64_t extra;
	} big = {.o = {.sz = sizeof big}, .extra = 1};
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, NULL, 4, 4, 1, &big.o, &m), -EINVAL);
	big.extra = 0;
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, NULL, 4, 4, 1, &big.o, &m), 0);
	hive_map_free(m);
	struct hive_map_opts tiny = {.sz = 2};
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, NULL, 4, 4, 1, &tiny, &m), -EINVAL);
	/* older, shorter opts: fields past sz read as defaults */
	struct hive_map_opts old = {.sz = offsetof(struct hive_map_opts, numa_node), .map_flags = HIVE_F_NO_PREALLOC};
	assert_int_equal(hive_map_create(HIVE_MAP_LPM_TRIE, NULL, 8, 4, 1, &old, &m), 0);
	hive_map_free(m);
	hive_map_free(NULL);
}

static void test_accessors(void **state)
{
	(void)state;
	struct hive_map *m = mk(HIVE_MAP_PERCPU_HASH, 6, 5, 10, HIVE_F_ZERO_SEED);
	assert_int_equal(hive_map_get_type(m), HIVE_MAP_PERCPU_HASH);
	assert_int_equal(hive_map_key_size(m), 6);
	assert_int_equal(hive_map_value_size(m), 5);
	assert_int_equal(hive_map_max_entries(m), 10);
	assert_int_equal(hive_map_flags(m), HIVE_F_ZERO_SEED);
	assert_string_equal(hive_map_name(m), "t");
	assert_true(hive_map_id(m) != 0);
	assert_ptr_equal(hive_map_from_id(hive_map_id(m)), m);
	assert_true(registry_is_live(m));
	uint32_t id = hive_map_id(m);
	assert_int_equal(hive_map_user_value_size(m), 8 * (size_t)hive_num_possible_cpus());
	assert_true(hive_num_possible_cpus() >= 1);
	struct hive_map *m2 = mk(HIVE_MAP_HASH, 6, 5, 10, 0);
	assert_int_equal(hive_map_user_value_size(m2), 5);
	assert_true(hive_map_id(m2) != id);
	hive_map_free(m);
	assert_null(hive_map_from_id(id));
	assert_false(registry_is_live(m));
	assert_ptr_equal(hive_map_from_id(hive_map_id(m2)), m2);
	hive_map_free(m2);
	assert_false(registry_is_live(NULL));
}

/* }===== */

/* {===== array */

static void test_array(void **state)
{
	(void)state;
	struct hive_map *m = mk(HIVE_MAP_ARRAY, 4, 6, 3, 0);
	uint32_t k = 0, next;
	uint8_t v[6], z[6] = {0}, one[6] = {1, 2, 3, 4, 5, 6};
	assert_int_equal(hive_map_lookup(m, &k, v), 0);
	assert_memory_equal(v, z, 6);
	assert_int_equal(hive_map_update(m, &k, one, HIVE_ANY), 0);
	assert_int_equal(hive_map_update(m, &k, one, HIVE_EXIST), 0);
	assert_int_equal(hive_map_update(m, &k, one, HIVE_NOEXIST), -EEXIST);
	assert_int_equal(hive_map_update(m, &k, one, 3), -EINVAL);
	assert_int_equal(hive_map_update(m, &k, one, HIVE_F_LOCK), -EINVAL);
	assert_int_equal(hive_map_lookup(m, &k, v), 0);
	assert_memory_equal(v, one, 6);
	k = 3;
	assert_int_equal(hive_map_update(m, &k, one, HIVE_ANY), -E2BIG);
	assert_int_equal(hive_map_lookup(m, &k, v), -ENOENT);
	assert_int_equal(hive_map_delete(m, &k), -EINVAL);
	k = 0;
	assert_int_equal(hive_map_delete(m, &k), -EINVAL);
	assert_int_equal(hive_map_lookup_and_delete(m, &k, v), -HIVE_ENOTSUPP);
	/* iteration: NULL or out of range -> 0, last -> ENOENT */
	assert_int_equal(hive_map_get_next_key(m, NULL, &next), 0);
	assert_int_equal(next, 0);
	k = 1;
	assert_int_equal(hive_map_get_next_key(m, &k, &next), 0);
	assert_int_equal(next, 2);
	k = 2;
	assert_int_equal(hive_map_get_next_key(m, &k, &next), -ENOENT);
	k = 77;
	assert_int_equal(hive_map_get_next_key(m, &k, &next), 0);
	assert_int_equal(next, 0);
	/* program side: a pointer into the map */
	k = 1;
	uint8_t *p = map_prog_lookup(m, &k);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % 8, 0);
	p[0] = 42;
	assert_int_equal(hive_map_lookup(m, &k, v), 0);
	assert_int_equal(v[0], 42);
	assert_int_equal(map_prog_update(m, &k, one, HIVE_ANY), 0);
	assert_int_equal(p[5], 6);
	assert_int_equal(map_prog_delete(m, &k), -EINVAL);
	k = 9;
	assert_null(map_prog_lookup(m, &k));
	assert_int_equal(map_prog_push(m, one, 0), -EINVAL);
	assert_int_equal(map_prog_pop(m, v), -EINVAL);
	assert_int_equal(map_prog_peek(m, v), -EINVAL);
	assert_null(map_prog_lookup_percpu(m, &k, 0));
	/* NULL arguments */
	assert_int_equal(hive_map_lookup(m, NULL, v), -EINVAL);
	assert_int_equal(hive_map_lookup(NULL, &k, v), -EINVAL);
	assert_int_equal(hive_map_update(m, &k, NULL, 0), -EINVAL);
	assert_int_equal(hive_map_delete(m, NULL), -EINVAL);
	assert_int_equal(hive_map_get_next_key(m, NULL, NULL), -EINVAL);
	assert_int_equal(hive_map_lookup_and_delete(m, NULL, v), -EINVAL);
	hive_map_free(m);
}

static void test_percpu_array(void **state)
{
	(void)state;
	int ncpu = hive_num_possible_cpus();
	struct hive_map *m = mk(HIVE_MAP_PERCPU_ARRAY, 4, 4, 2, 0);
	size_t uvs = hive_map_user_value_size(m);
	assert_int_equal(uvs, 8 * (size_t)ncpu);
	uint8_t *all = calloc(1, uvs), *got = calloc(1, uvs);
	for (size_t i = 0; i < uvs; i++)
		all[i] = (uint8_t)(i + 1);
	uint32_t k = 1;
	assert_int_equal(hive_map_update(m, &k, all, HIVE_ANY), 0);
	assert_int_equal(hive_map_lookup(m, &k, got), 0);
	assert_memory_equal(all, got, uvs); /* the padding of each slot too, as the kernel */
	assert_int_equal(hive_map_update(m, &k, all, HIVE_NOEXIST), -EEXIST);
	k = 2;
	assert_int_equal(hive_map_update(m, &k, all, 0), -E2BIG);
	assert_int_equal(hive_map_lookup(m, &k, got), -ENOENT);
	k = 1;
	for (int c = 0; c < ncpu; c++) {
		uint8_t *slot = map_prog_lookup_percpu(m, &k, (uint64_t)c);
		assert_non_null(slot);
		assert_int_equal(slot[0], (uint8_t)(8 * c + 1));
	}
	assert_null(map_prog_lookup_percpu(m, &k, (uint64_t)ncpu));
	/* the program side writes the slot of its CPU only */
	uint32_t val = 0xdeadbeef;
	assert_int_equal(map_prog_update(m, &k, &val, 0), 0);
	uint32_t *mine = map_prog_lookup(m, &k);
	assert_int_equal(*mine, 0xdeadbeef);
	assert_int_equal(hive_map_lookup(m, &k, got), 0);
	int hits = 0;
	for (int c = 0; c < ncpu; c++)
		hits += !memcmp(got + 8 * c, &val, 4);
	assert_int_equal(hits, 1);
	free(all);
	free(got);
	hive_map_free(m);
}

/* }===== */

/* {===== hash */

static void test_hash(void **state)
{
	(void)state;
	struct hive_map *m = mk(HIVE_MAP_HASH, 4, 8, 3, 0);
	uint32_t k = 1, nk;
	uint64_t v = 100, got;
	assert_int_equal(hive_map_lookup(m, &k, &got), -ENOENT);
	assert_int_equal(hive_map_get_next_key(m, NULL, &nk), -ENOENT);
	assert_int_equal(hive_map_update(m, &k, &v, HIVE_EXIST), -ENOENT);
	assert_int_equal(hive_map_update(m, &k, &v, HIVE_NOEXIST), 0);
	assert_int_equal(hive_map_update(m, &k, &v, HIVE_NOEXIST), -EEXIST);
	assert_int_equal(hive_map_update(m, &k, &v, 3), -EINVAL);
	assert_int_equal(hive_map_update(m, &k, &v, HIVE_F_LOCK), -EINVAL);
	k = 2;
	assert_int_equal(hive_map_update(m, &k, &v, HIVE_ANY), 0);
	k = 3;
	assert_int_equal(hive_map_update(m, &k, &v, HIVE_ANY), 0);
	k = 4;
	assert_int_equal(hive_map_update(m, &k, &v, HIVE_ANY), -E2BIG); /* full */
	k = 3;
	v = 300;
	assert_int_equal(hive_map_update(m, &k, &v, HIVE_ANY), 0); /* replacing works when full */
	assert_int_equal(hive_map_lookup(m, &k, &got), 0);
	assert_int_equal(got, 300);
	/* iteration visits each key once */
	unsigned seen = 0, n = 0;
	for (int err = hive_map_get_next_key(m, NULL, &nk); !err; err = hive_map_get_next_key(m, &k, &nk)) {
		seen |= 1u << nk;
		k = nk;
		n++;
	}
	assert_int_equal(n, 3);
	assert_int_equal(seen, 0xe);
	k = 99; /* absent key: restart from the first */
	assert_int_equal(hive_map_get_next_key(m, &k, &nk), 0);
	/* a program's value pointer survives replacement and deletion while it runs */
	k = 2;
	epoch_enter();
	uint64_t *p = map_prog_lookup(m, &k);
	assert_non_null(p);
	assert_int_equal(*p, 100);
	v = 200;
	assert_int_equal(map_prog_update(m, &k, &v, HIVE_ANY), 0);
	assert_int_equal(*p, 100); /* the old element: still readable */
	assert_int_equal(hive_map_delete(m, &k), 0);
	epoch_reclaim();
	epoch_reclaim();
	epoch_reclaim();
	assert_int_equal(*p, 100); /* not freed while inside the section */
	epoch_exit();
	assert_int_equal(hive_map_delete(m, &k), -ENOENT);
	assert_int_equal(map_prog_delete(m, &k), -ENOENT);
	k = 1;
	assert_int_equal(hive_map_lookup_and_delete(m, &k, &got), 0);
	assert_int_equal(got, 100);
	assert_int_equal(hive_map_lookup_and_delete(m, &k, &got), -ENOENT);
	hive_map_free(m);
}

static void test_percpu_hash(void **state)
{
	(void)state;
	int ncpu = hive_num_possible_cpus();
	struct hive_map *m = mk(HIVE_MAP_PERCPU_HASH, 4, 4, 4, 0);
	size_t uvs = hive_map_user_value_size(m);
	uint8_t *all = calloc(1, uvs), *got = calloc(1, uvs);
	memset(all, 7, uvs);
	uint32_t k = 5, v = 9;
	/* program side, new element: its CPU's slot, the others zero */
	assert_int_equal(map_prog_update(m, &k, &v, HIVE_ANY), 0);
	assert_int_equal(hive_map_lookup(m, &k, got), 0);
	int nine = 0, zero = 0;
	for (int c = 0; c < ncpu; c++) {
		uint32_t s;
		memcpy(&s, got + 8 * c, 4);
		nine += s == 9;
		zero += s == 0;
	}
	assert_int_equal(nine, 1);
	assert_int_equal(zero, ncpu - 1);
	/* user side writes every slot, in place */
	uint32_t *mine = map_prog_lookup(m, &k);
	assert_int_equal(hive_map_update(m, &k, all, HIVE_EXIST), 0);
	assert_int_equal(*mine, 0x07070707);
	assert_int_equal(hive_map_lookup_and_delete(m, &k, got), 0);
	assert_memory_equal(got, all, uvs);
	free(all);
	free(got);
	hive_map_free(m);
}

static void test_lru_hash(void **state)
{
	(void)state;
	struct hive_map *m = mk(HIVE_MAP_LRU_HASH, 4, 4, 3, 0);
	uint32_t v = 0, k;
	for (k = 1; k <= 3; k++)
		assert_int_equal(hive_map_update(m, &k, &v, HIVE_ANY), 0);
	/* use 1 from a program: 2 is now the least recently used */
	k = 1;
	assert_non_null(map_prog_lookup(m, &k));
	k = 4;
	assert_int_equal(hive_map_update(m, &k, &v, HIVE_NOEXIST), 0); /* evicts, never E2BIG */
	k = 2;
	assert_int_equal(hive_map_lookup(m, &k, &v), -ENOENT);
	k = 1;
	assert_int_equal(hive_map_lookup(m, &k, &v), 0);
	k = 3;
	assert_int_equal(hive_map_lookup(m, &k, &v), 0); /* the user API does not mark use */
	k = 5;
	assert_int_equal(hive_map_update(m, &k, &v, HIVE_ANY), 0);
	k = 3; /* 1 got its second chance, 3 was older */
	assert_int_equal(hive_map_lookup(m, &k, &v), -ENOENT);
	k = 1;
	assert_int_equal(hive_map_lookup(m, &k, &v), 0);
	k = 4;
	assert_int_equal(hive_map_update(m, &k, &v, HIVE_NOEXIST), -EEXIST);
	assert_int_equal(hive_map_delete(m, &k), 0);
	assert_int_equal(hive_map_delete(m, &k), -ENOENT);
	k = 6;
	assert_int_equal(hive_map_update(m, &k, &v, HIVE_ANY), 0); /* a free slot: no eviction */
	k = 1;
	assert_int_equal(hive_map_lookup(m, &k, &v), 0);
	k = 5;
	assert_int_equal(hive_map_lookup(m, &k, &v), 0);
	hive_map_free(m);

	m = mk(HIVE_MAP_LRU_PERCPU_HASH, 4, 4, 2, HIVE_F_NO_COMMON_LRU);
	assert_true(hive_map_max_entries(m) >= 2);
	assert_int_equal(hive_map_max_entries(m) % (uint32_t)hive_num_possible_cpus(), 0);
	for (k = 0; k < 10; k++)
		assert_int_equal(map_prog_update(m, &k, &k, HIVE_ANY), 0);
	hive_map_free(m);
}

/* }===== */

/* {===== lpm trie */

struct lpm4 {
	uint32_t prefixlen;
	uint8_t ip[4];
};

static void test_lpm(void **state)
{
	(void)state;
	struct hive_map *m = mk(HIVE_MAP_LPM_TRIE, 8, 4, 4, HIVE_F_NO_PREALLOC);
	struct lpm4 k8 = {8, {10, 0, 0, 0}}, k16 = {16, {10, 1, 0, 0}}, k24 = {24, {10, 1, 2, 0}},
		    k24b = {24, {10, 1, 3, 0}}, q = {32, {10, 1, 2, 3}}, nk;
	uint32_t v, got;
	v = 8;
	assert_int_equal(hive_map_update(m, &k8, &v, HIVE_NOEXIST), 0);
	v = 16;
	assert_int_equal(hive_map_update(m, &k16, &v, 0), 0);
	v = 24;
	assert_int_equal(hive_map_update(m, &k24, &v, 0), 0);
	assert_int_equal(hive_map_lookup(m, &q, &got), 0);
	assert_int_equal(got, 24);
	q.ip[2] = 9;
	assert_int_equal(hive_map_lookup(m, &q, &got), 0);
	assert_int_equal(got, 16);
	q.ip[1] = 9;
	assert_int_equal(hive_map_lookup(m, &q, &got), 0);
	assert_int_equal(got, 8);
	q.ip[0] = 11;
	assert_int_equal(hive_map_lookup(m, &q, &got), -ENOENT);
	q.prefixlen = 33;
	assert_int_equal(hive_map_lookup(m, &q, &got), -ENOENT);
	assert_int_equal(hive_map_update(m, &q, &v, 0), -EINVAL);
	assert_int_equal(hive_map_delete(m, &q), -EINVAL);
	assert_int_equal(hive_map_update(m, &k8, &v, 3), -EINVAL);
	assert_int_equal(hive_map_update(m, &k8, &v, HIVE_NOEXIST), -EEXIST);
	assert_int_equal(hive_map_update(m, &k24b, &v, HIVE_EXIST), -ENOENT);
	v = 99;
	assert_int_equal(hive_map_update(m, &k24b, &v, 0), 0); /* 4 entries + an intermediate node */
	struct lpm4 k30 = {30, {1, 2, 3, 4}};
	assert_int_equal(hive_map_update(m, &k30, &v, 0), -ENOSPC);
	assert_int_equal(hive_map_update(m, &k8, &v, HIVE_EXIST), 0); /* replacing when full */
	/* post-order: more specific first */
	struct lpm4 order[4];
	int n = 0;
	for (int err = hive_map_get_next_key(m, NULL, &nk); !err; err = hive_map_get_next_key(m, &nk, &nk))
		order[n++] = nk;
	assert_int_equal(n, 4);
	assert_memory_equal(&order[0], &k24, 8);
	assert_memory_equal(&order[1], &k24b, 8);
	assert_memory_equal(&order[2], &k16, 8);
	assert_memory_equal(&order[3], &k8, 8);
	assert_int_equal(hive_map_delete(m, &k16), 0); /* two children: becomes intermediate */
	assert_int_equal(hive_map_delete(m, &k16), -ENOENT);
	q = (struct lpm4){32, {10, 1, 9, 9}};
	assert_int_equal(hive_map_lookup(m, &q, &got), 0);
	assert_int_equal(got, 99);
	assert_int_equal(hive_map_delete(m, &k24), 0);
	assert_int_equal(hive_map_delete(m, &k24b), 0);
	assert_int_equal(hive_map_delete(m, &k8), 0);
	assert_int_equal(hive_map_get_next_key(m, NULL, &nk), -ENOENT);
	assert_int_equal(hive_map_lookup_and_delete(m, &k8, &got), -HIVE_ENOTSUPP);
	hive_map_free(m);
}

/* }===== */

/* {===== queue, stack, bloom filter */

static void test_queue_stack(void **state)
{
	(void)state;
	struct hive_map *q = mk(HIVE_MAP_QUEUE, 0, 4, 2, 0), *s = mk(HIVE_MAP_STACK, 0, 4, 2, 0);
	uint32_t v, got = 77;
	assert_int_equal(hive_map_lookup(q, NULL, &got), -ENOENT);
	assert_int_equal(map_prog_pop(q, &got), -ENOENT);
	assert_int_equal(got, 0); /* zeroed, as the kernel */
	for (v = 1; v <= 2; v++) {
		assert_int_equal(hive_map_update(q, NULL, &v, 0), 0);
		assert_int_equal(hive_map_update(s, NULL, &v, 0), 0);
	}
	v = 3;
	assert_int_equal(hive_map_update(q, NULL, &v, 0), -E2BIG);
	assert_int_equal(hive_map_update(q, NULL, &v, HIVE_NOEXIST), -EINVAL);
	assert_int_equal(hive_map_update(q, NULL, &v, 3), -EINVAL);
	assert_int_equal(hive_map_update(q, NULL, &v, HIVE_EXIST), 0); /* drops the oldest */
	assert_int_equal(map_prog_push(s, &v, HIVE_EXIST), 0);
	assert_int_equal(hive_map_lookup(q, NULL, &got), 0);
	assert_int_equal(got, 2);
	assert_int_equal(map_prog_peek(s, &got), 0);
	assert_int_equal(got, 3);
	assert_int_equal(hive_map_lookup_and_delete(q, NULL, &got), 0);
	assert_int_equal(got, 2);
	assert_int_equal(map_prog_pop(q, &got), 0);
	assert_int_equal(got, 3);
	assert_int_equal(hive_map_lookup_and_delete(s, NULL, &got), 0);
	assert_int_equal(got, 3);
	assert_int_equal(map_prog_pop(s, &got), 0);
	assert_int_equal(got, 2);
	assert_int_equal(map_prog_pop(s, &got), -ENOENT);
	assert_int_equal(hive_map_delete(q, NULL), -EINVAL);
	assert_int_equal(hive_map_get_next_key(q, NULL, &got), -EINVAL);
	assert_null(map_prog_lookup(q, NULL));
	assert_int_equal(map_prog_update(q, NULL, &v, 0), -EINVAL);
	assert_int_equal(map_prog_delete(q, NULL), -EINVAL);
	hive_map_free(q);
	hive_map_free(s);
}

static void test_bloom(void **state)
{
	(void)state;
	HIVE_OPTS(hive_map_opts, o, .map_extra = 3);
	struct hive_map *b;
	assert_int_equal(hive_map_create(HIVE_MAP_BLOOM_FILTER, NULL, 0, 8, 100, &o, &b), 0);
	uint64_t v;
	int absent = 0;
	for (v = 0; v < 100; v += 2)
		assert_int_equal(hive_map_update(b, NULL, &v, HIVE_ANY), 0);
	for (v = 0; v < 100; v += 2)
		assert_int_equal(hive_map_lookup(b, NULL, &v), 0);
	for (v = 1; v < 100; v += 2)
		absent += hive_map_lookup(b, NULL, &v) == -ENOENT;
	assert_true(absent > 40); /* false positives are rare */
	assert_int_equal(hive_map_update(b, NULL, &v, HIVE_NOEXIST), -EINVAL);
	assert_int_equal(hive_map_delete(b, NULL), -EOPNOTSUPP);
	assert_int_equal(hive_map_get_next_key(b, NULL, &v), -EOPNOTSUPP);
	assert_int_equal(hive_map_lookup_and_delete(b, NULL, &v), -HIVE_ENOTSUPP);
	assert_int_equal(map_prog_push(b, &v, 0), 0);
	assert_int_equal(map_prog_peek(b, &v), 0);
	assert_int_equal(map_prog_pop(b, &v), -EOPNOTSUPP);
	assert_null(map_prog_lookup(b, &v));
	assert_int_equal(map_prog_update(b, NULL, &v, 0), -EINVAL);
	hive_map_free(b);
	/* a huge filter takes the 2^32-bit cap without overflowing */
	o.map_extra = 15;
	assert_int_equal(hive_map_create(HIVE_MAP_BLOOM_FILTER, NULL, 0, 4, 1u << 30, &o, &b), 0);
	hive_map_free(b);
}

/* }===== */

/* {===== maps of maps, prog arrays */

static void test_map_in_map(void **state)
{
	(void)state;
	struct hive_map *tmpl = mk(HIVE_MAP_HASH, 4, 4, 8, 0), *in1 = mk(HIVE_MAP_HASH, 4, 4, 100, 0);
	struct hive_map *bad = mk(HIVE_MAP_HASH, 4, 8, 8, 0), *om;
	char log[128];
	HIVE_OPTS(hive_map_opts, o, .log_buf = log, .log_size = sizeof log);
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY_OF_MAPS, NULL, 4, 4, 2, &o, &om), -EBADF);
	assert_non_null(strstr(log, "inner"));
	o.inner = (struct hive_map *)&o; /* not a map */
	assert_int_equal(hive_map_create(HIVE_MAP_HASH_OF_MAPS, NULL, 4, 4, 2, &o, &om), -EBADF);
	o.inner = tmpl;
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY_OF_MAPS, NULL, 4, 8, 2, &o, &om), -EINVAL);
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY_OF_MAPS, NULL, 4, 4, 2, &o, &om), 0);
	struct hive_map *nest;
	o.inner = om;
	assert_int_equal(hive_map_create(HIVE_MAP_HASH_OF_MAPS, NULL, 4, 4, 2, &o, &nest), -EINVAL);
	uint32_t k = 1, id = hive_map_id(in1), got;
	assert_int_equal(hive_map_lookup(om, &k, &got), -ENOENT);
	assert_null(map_prog_lookup(om, &k));
	assert_int_equal(hive_map_update(om, &k, &id, HIVE_NOEXIST), -EINVAL);
	assert_int_equal(hive_map_update(om, &k, &id, HIVE_ANY), 0);
	assert_int_equal(hive_map_lookup(om, &k, &got), 0);
	assert_int_equal(got, id);
	assert_ptr_equal(map_prog_lookup(om, &k), in1);
	uint32_t bid = hive_map_id(bad), nid = 0xfffffff0;
	assert_int_equal(hive_map_update(om, &k, &bid, HIVE_ANY), -EINVAL);
	assert_int_equal(hive_map_update(om, &k, &nid, HIVE_ANY), -EBADF);
	k = 2;
	assert_int_equal(hive_map_update(om, &k, &id, HIVE_ANY), -E2BIG);
	assert_int_equal(map_prog_update(om, &k, &in1, 0), -EINVAL);
	k = 1;
	assert_int_equal(hive_map_delete(om, &k), 0);
	assert_int_equal(hive_map_delete(om, &k), -ENOENT);
	k = 5;
	assert_int_equal(hive_map_delete(om, &k), -E2BIG);
	hive_map_free(om);

	o.inner = tmpl;
	assert_int_equal(hive_map_create(HIVE_MAP_HASH_OF_MAPS, NULL, 8, 4, 2, &o, &om), 0);
	uint64_t hk = 77;
	assert_int_equal(hive_map_update(om, &hk, &id, HIVE_EXIST), -ENOENT);
	assert_int_equal(hive_map_update(om, &hk, &id, HIVE_ANY), 0);
	assert_ptr_equal(map_prog_lookup(om, &hk), in1);
	assert_int_equal(hive_map_lookup(om, &hk, &got), 0);
	assert_int_equal(got, id);
	assert_int_equal(hive_map_lookup_and_delete(om, &hk, &got), -HIVE_ENOTSUPP);
	assert_int_equal(map_prog_delete(om, &hk), 0);
	assert_null(map_prog_lookup(om, &hk));
	hive_map_free(om);
	hive_map_free(tmpl);
	hive_map_free(in1);
	hive_map_free(bad);
}

static void test_prog_array(void **state)
{
	(void)state;
	struct hive_map *pa = mk(HIVE_MAP_PROG_ARRAY, 4, 4, 2, 0), *arr = mk(HIVE_MAP_ARRAY, 4, 4, 2, 0);
	const struct hive_prog *fake = (const struct hive_prog *)(uintptr_t)0x1000;
	assert_null(map_prog_array_get(pa, 0));
	assert_int_equal(hive_prog_array_set(pa, 0, fake), 0);
	assert_ptr_equal(map_prog_array_get(pa, 0), fake);
	assert_null(map_prog_array_get(pa, 2));
	assert_null(map_prog_array_get(arr, 0));
	assert_null(map_prog_array_get(NULL, 0));
	assert_int_equal(hive_prog_array_set(pa, 2, fake), -E2BIG);
	assert_int_equal(hive_prog_array_set(arr, 0, fake), -EINVAL);
	uint32_t k = 0, v = 0;
	assert_int_equal(hive_map_update(pa, &k, &v, 0), -EOPNOTSUPP);
	assert_int_equal(hive_map_lookup(pa, &k, &v), -EOPNOTSUPP);
	assert_null(map_prog_lookup(pa, &k));
	assert_int_equal(hive_map_delete(pa, &k), 0);
	assert_int_equal(hive_map_delete(pa, &k), -ENOENT);
	assert_null(map_prog_array_get(pa, 0));
	hive_map_free(pa);
	hive_map_free(arr);
	struct hive_map *ro;
	HIVE_OPTS(hive_map_opts, o, .map_flags = HIVE_F_RDONLY);
	assert_int_equal(hive_map_create(HIVE_MAP_PROG_ARRAY, NULL, 4, 4, 1, &o, &ro), 0);
	assert_int_equal(hive_prog_array_set(ro, 0, fake), -EPERM);
	hive_map_free(ro);
}

/* }===== */

/* {===== for_each_map_elem */

static long each_sum(struct hive_map *map, const void *key, void *value, void *ctx)
{
	(void)map;
	uint32_t k;
	memcpy(&k, key, 4);
	uint64_t *acc = ctx;
	acc[0] += k;
	acc[1] += *(uint32_t *)value;
	*(uint32_t *)value += 1; /* programs may write through the pointer */
	return acc[2] && acc[0] >= acc[2];
}

static void test_for_each(void **state)
{
	(void)state;
	struct hive_map *h = mk(HIVE_MAP_HASH, 4, 4, 8, 0), *a = mk(HIVE_MAP_ARRAY, 4, 4, 5, 0);
	struct hive_map *pa = mk(HIVE_MAP_PERCPU_ARRAY, 4, 4, 3, 0), *q = mk(HIVE_MAP_QUEUE, 0, 4, 3, 0);
	for (uint32_t k = 1; k <= 4; k++) {
		uint32_t v = 10 * k;
		assert_int_equal(hive_map_update(h, &k, &v, 0), 0);
		assert_int_equal(hive_map_update(a, &k, &v, 0), 0);
	}
	uint64_t acc[3] = {0};
	assert_int_equal(map_prog_for_each(h, each_sum, acc, 0), 4);
	assert_int_equal(acc[0], 10);
	assert_int_equal(acc[1], 100);
	uint32_t k = 2, v;
	assert_int_equal(hive_map_lookup(h, &k, &v), 0);
	assert_int_equal(v, 21);
	memset(acc, 0, sizeof acc);
	assert_int_equal(map_prog_for_each(a, each_sum, acc, 0), 5); /* every index */
	assert_int_equal(acc[0], 0 + 1 + 2 + 3 + 4);
	uint64_t stop[3] = {0, 0, 3}; /* stop once the keys add up to 3: after 0, 1, 2 */
	assert_int_equal(map_prog_for_each(a, each_sum, stop, 0), 3);
	assert_int_equal(map_prog_for_each(pa, each_sum, acc, 0), 3);
	assert_int_equal(map_prog_for_each(h, each_sum, acc, 1), -EINVAL);
	assert_int_equal(map_prog_for_each(q, each_sum, acc, 0), -EINVAL);
	hive_map_free(h);
	hive_map_free(a);
	hive_map_free(pa);
	hive_map_free(q);
}

/* }===== */

/* {===== values with a bpf_spin_lock */

struct locked_val {
	uint32_t a;
	uint32_t lock;
	uint64_t b;
};

static void test_spin_lock_values(void **state)
{
	(void)state;
	char log[128];
	HIVE_OPTS(hive_map_opts, o, .spin_lock = true, .spin_lock_off = 4, .log_buf = log, .log_size = sizeof log);
	struct hive_map *m;
	assert_int_equal(hive_map_create(HIVE_MAP_PERCPU_HASH, NULL, 4, 16, 4, &o, &m), -EOPNOTSUPP);
	assert_int_equal(hive_map_create(HIVE_MAP_LRU_HASH, NULL, 4, 16, 4, &o, &m), -EOPNOTSUPP);
	o.spin_lock_off = 2;
	assert_int_equal(hive_map_create(HIVE_MAP_HASH, NULL, 4, 16, 4, &o, &m), -EINVAL);
	assert_non_null(strstr(log, "spin_lock_off"));
	o.spin_lock_off = 16;
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, NULL, 4, 16, 4, &o, &m), -EINVAL);
	o.spin_lock_off = 4;
	for (int t = 0; t < 2; t++) {
		assert_int_equal(hive_map_create(t ? HIVE_MAP_HASH : HIVE_MAP_ARRAY, NULL, 4, 16, 4, &o, &m), 0);
		uint32_t k = 1;
		struct locked_val v = {7, 0xdead, 9}, got;
		assert_int_equal(hive_map_update(m, &k, &v, HIVE_ANY), 0);
		struct locked_val *p = map_prog_lookup(m, &k);
		assert_int_equal(p->lock, 0); /* never copied in */
		assert_int_equal(p->a, 7);
		p->lock = 1; /* as if a program held it: a plain update does not touch it */
		v.a = 8;
		assert_int_equal(hive_map_update(m, &k, &v, HIVE_EXIST), t ? 0 : 0);
		p = map_prog_lookup(m, &k);
		if (!t)
			assert_int_equal(p->lock, 1);
		memset(&got, 0xff, sizeof got);
		assert_int_equal(hive_map_lookup(m, &k, &got), 0);
		assert_int_equal(got.a, 8);
		assert_int_equal(got.lock, 0); /* comes out as zero */
		assert_int_equal(got.b, 9);
		p->lock = 0;
		v.a = 10;
		assert_int_equal(hive_map_update(m, &k, &v, HIVE_F_LOCK), 0);
		assert_int_equal(hive_map_update(m, &k, &v, HIVE_F_LOCK | HIVE_NOEXIST), -EEXIST);
		assert_int_equal(hive_map_update(m, &k, &v, HIVE_F_LOCK | 3), -EINVAL);
		assert_int_equal(hive_map_lookup_flags(m, &k, &got, HIVE_F_LOCK), 0);
		assert_int_equal(got.a, 10);
		assert_int_equal(got.lock, 0);
		assert_int_equal(hive_map_lookup_flags(m, &k, &got, 8), -EINVAL);
		assert_int_equal(map_prog_update(m, &k, &v, HIVE_F_LOCK), 0);
		if (t) {
			assert_int_equal(hive_map_lookup_and_delete(m, &k, &got), 0);
			assert_int_equal(got.lock, 0);
			k = 2; /* F_LOCK on a new key: inserted normally */
			assert_int_equal(hive_map_update(m, &k, &v, HIVE_F_LOCK), 0);
		}
		hive_map_free(m);
	}
	/* no lock in the value: F_LOCK is refused */
	m = mk(HIVE_MAP_HASH, 4, 16, 4, 0);
	uint32_t k = 1;
	struct locked_val v = {0};
	assert_int_equal(hive_map_update(m, &k, &v, HIVE_F_LOCK), -EINVAL);
	assert_int_equal(hive_map_lookup_flags(m, &k, &v, HIVE_F_LOCK), -EINVAL);
	hive_map_free(m);
}

/* }===== */

/* {===== access flags */

static void test_access_flags(void **state)
{
	(void)state;
	uint32_t k = 0, v = 1, nk;
	struct hive_map *ro = mk(HIVE_MAP_HASH, 4, 4, 4, HIVE_F_RDONLY);
	assert_int_equal(hive_map_update(ro, &k, &v, 0), -EPERM);
	assert_int_equal(hive_map_delete(ro, &k), -EPERM);
	assert_int_equal(hive_map_lookup(ro, &k, &v), -ENOENT);
	assert_int_equal(hive_map_lookup_and_delete(ro, &k, &v), -EPERM);
	assert_int_equal(map_prog_update(ro, &k, &v, 0), 0); /* programs may still write */
	hive_map_free(ro);
	struct hive_map *wo = mk(HIVE_MAP_HASH, 4, 4, 4, HIVE_F_WRONLY);
	assert_int_equal(hive_map_update(wo, &k, &v, 0), 0);
	assert_int_equal(hive_map_lookup(wo, &k, &v), -EPERM);
	assert_int_equal(hive_map_get_next_key(wo, NULL, &nk), -EPERM);
	hive_map_free(wo);
	struct hive_map *rop = mk(HIVE_MAP_HASH, 4, 4, 4, HIVE_F_RDONLY_PROG);
	assert_int_equal(map_prog_update(rop, &k, &v, 0), -EPERM);
	assert_int_equal(map_prog_delete(rop, &k), -EPERM);
	assert_int_equal(hive_map_update(rop, &k, &v, 0), 0);
	assert_non_null(map_prog_lookup(rop, &k));
	hive_map_free(rop);
	struct hive_map *q = mk(HIVE_MAP_QUEUE, 0, 4, 4, HIVE_F_RDONLY_PROG);
	assert_int_equal(map_prog_push(q, &v, 0), -EPERM);
	assert_int_equal(map_prog_pop(q, &v), -EPERM);
	hive_map_free(q);
}

/* }===== */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_create_errors, teardown_check),
		cmocka_unit_test_teardown(test_accessors, teardown_check),
		cmocka_unit_test_teardown(test_array, teardown_check),
		cmocka_unit_test_teardown(test_percpu_array, teardown_check),
		cmocka_unit_test_teardown(test_hash, teardown_check),
		cmocka_unit_test_teardown(test_percpu_hash, teardown_check),
		cmocka_unit_test_teardown(test_lru_hash, teardown_check),
		cmocka_unit_test_teardown(test_lpm, teardown_check),
		cmocka_unit_test_teardown(test_queue_stack, teardown_check),
		cmocka_unit_test_teardown(test_bloom, teardown_check),
		cmocka_unit_test_teardown(test_map_in_map, teardown_check),
		cmocka_unit_test_teardown(test_prog_array, teardown_check),
		cmocka_unit_test_teardown(test_for_each, teardown_check),
		cmocka_unit_test_teardown(test_spin_lock_values, teardown_check),
		cmocka_unit_test_teardown(test_access_flags, teardown_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
