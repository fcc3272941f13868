/* Out of memory, as STYLE.md section 8: every scenario runs with allocation
 * N failing (once, then from N on) for N = 1, 2, ... until it completes.
 * Each failure must surface as -ENOMEM, leave the map usable, and leak
 * nothing (mapmem_outstanding() back to 0 after free). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hive/hive.h"
#include "maps/epoch.h"
#include "maps/map.h"
#include "maps/mapmem.h"

#define STEP(expr)                                                                                 \
	do {                                                                                       \
		long r_ = (long)(expr);                                                            \
		if (r_ == -ENOMEM) {                                                               \
			err = -ENOMEM;                                                             \
			goto out;                                                                  \
		}                                                                                  \
		if (r_ < 0)                                                                        \
			fail_msg("%s: %ld", #expr, r_);                                            \
	} while (0)

static int scen_hash(enum hive_map_type t)
{
	struct hive_map *m = NULL;
	int err = 0;
	STEP(hive_map_create(t, "h", 4, 8, 8, NULL, &m));
	size_t uvs = hive_map_user_value_size(m);
	uint8_t v[512] = {1};
	assert_true(uvs <= sizeof v);
	for (uint32_t k = 0; k < 6; k++)
		STEP(hive_map_update(m, &k, v, HIVE_ANY));
	for (uint32_t k = 0; k < 3; k++) /* replace */
		STEP(map_prog_update(m, &k, v, HIVE_ANY));
	uint32_t k = 2;
	STEP(hive_map_delete(m, &k));
	STEP(hive_map_lookup(m, &k, v) == -ENOENT ? 0 : -1);
out:
	if (err == -ENOMEM && m) { /* still usable */
		uint32_t nk;
		(void)hive_map_get_next_key(m, NULL, &nk);
	}
	hive_map_free(m);
	return err;
}

static int scen_lpm(void)
{
	struct hive_map *m = NULL;
	int err = 0;
	STEP(hive_map_create(HIVE_MAP_LPM_TRIE, NULL, 8, 4, 16, &(struct hive_map_opts){
		.sz = sizeof(struct hive_map_opts), .map_flags = HIVE_F_NO_PREALLOC}, &m));
	struct {
		uint32_t plen;
		uint8_t d[4];
	} keys[] = {{8, {10}}, {16, {10, 1}}, {24, {10, 1, 2}}, {24, {10, 1, 3}}, {16, {10, 1}}, {0, {0}}};
	uint32_t v = 1;
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		STEP(hive_map_update(m, &keys[i], &v, HIVE_ANY));
	uint8_t nk[8];
	STEP(hive_map_get_next_key(m, &keys[2], nk));
	STEP(hive_map_delete(m, &keys[1]));
	STEP(hive_map_delete(m, &keys[2]));
out:
	hive_map_free(m);
	return err;
}

static int scen_simple(enum hive_map_type t, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	struct hive_map *m = NULL;
	int err = 0;
	STEP(hive_map_create(t, NULL, ks, vs, max, &(struct hive_map_opts){
		.sz = sizeof(struct hive_map_opts), .map_flags = flags}, &m));
	uint8_t v[64] = {0};
	uint32_t k = 0;
	if (t == HIVE_MAP_QUEUE || t == HIVE_MAP_STACK || t == HIVE_MAP_BLOOM_FILTER)
		STEP(hive_map_update(m, NULL, v, 0));
	else if (t == HIVE_MAP_PROG_ARRAY)
		STEP(hive_prog_array_set(m, 0, NULL));
	else if (t != HIVE_MAP_RINGBUF)
		STEP(hive_map_update(m, &k, v, 0));
out:
	hive_map_free(m);
	return err;
}

static int scen_of_maps(enum hive_map_type t)
{
	struct hive_map *tmpl = NULL, *m = NULL;
	int err = 0;
	STEP(hive_map_create(HIVE_MAP_ARRAY, NULL, 4, 4, 2, NULL, &tmpl));
	STEP(hive_map_create(t, NULL, 4, 4, 2, &(struct hive_map_opts){.sz = sizeof(struct hive_map_opts),
		.inner = tmpl}, &m));
	uint32_t k = 1, id = hive_map_id(tmpl);
	STEP(hive_map_update(m, &k, &id, HIVE_ANY));
	STEP(hive_map_update(m, &k, &id, HIVE_ANY));
out:
	hive_map_free(m);
	hive_map_free(tmpl);
	return err;
}

static int scen_all(int which)
{
	switch (which) {
	case 0: return scen_hash(HIVE_MAP_HASH);
	case 1: return scen_hash(HIVE_MAP_PERCPU_HASH);
	case 2: return scen_hash(HIVE_MAP_LRU_HASH);
	case 3: return scen_hash(HIVE_MAP_LRU_PERCPU_HASH);
	case 4: return scen_lpm();
	case 5: return scen_simple(HIVE_MAP_ARRAY, 4, 8, 4, 0);
	case 6: return scen_simple(HIVE_MAP_PERCPU_ARRAY, 4, 8, 4, 0);
	case 7: return scen_simple(HIVE_MAP_QUEUE, 0, 8, 4, 0);
	case 8: return scen_simple(HIVE_MAP_STACK, 0, 8, 4, 0);
	case 9: return scen_simple(HIVE_MAP_BLOOM_FILTER, 0, 8, 4, 0);
	case 10: return scen_simple(HIVE_MAP_RINGBUF, 0, 0, 4096, 0);
	case 11: return scen_of_maps(HIVE_MAP_ARRAY_OF_MAPS);
	case 12: return scen_of_maps(HIVE_MAP_HASH_OF_MAPS);
	case 13: return scen_simple(HIVE_MAP_PROG_ARRAY, 4, 4, 4, 0);
	default: return -1;
	}
}

static void test_oom_loops(void **state)
{
	(void)state;
	for (int which = 0; which <= 13; which++) {
		for (int sticky = 0; sticky < 2; sticky++) {
			unsigned long n;
			for (n = 1; n < 1000; n++) {
				unsigned long before = mapmem_count();
				mapmem_fail_at(n, sticky);
				int err = scen_all(which);
				unsigned long used = mapmem_count() - before;
				mapmem_fail_at(0, false);
				epoch_barrier();
				assert_int_equal(mapmem_outstanding(), 0);
				if (used < n) { /* the failure was never reached: complete */
					assert_int_equal(err, 0);
					break;
				}
				if (err != 0 && err != -ENOMEM)
					fail_msg("scenario %d n=%lu: %d", which, n, err);
			}
			assert_true(n > 1); /* every scenario allocates */
			if (sticky)
				print_message("scenario %d: %lu allocation points\n", which, n - 1);
		}
	}
}

/* mapmem_alloc_cached: a freed block comes back to the same thread for
 * the same size (most recent first), zeroed only when asked; counted as
 * outstanding while allocated only; a fifth size bypasses the cache;
 * failure injection applies. */
static void test_cached_blocks(void **state)
{
	(void)state;
	long base = mapmem_outstanding();
	uint8_t *a = mapmem_alloc_cached(72, true), *b = mapmem_alloc_cached(72, true);
	assert_non_null(a);
	assert_non_null(b);
	for (int i = 0; i < 72; i++)
		assert_int_equal(a[i] | b[i], 0);
	assert_int_equal(mapmem_outstanding(), base + 2);
	memset(a, 0xab, 72);
	mapmem_free_cached(b);
	mapmem_free_cached(a);
	assert_int_equal(mapmem_outstanding(), base);
	uint8_t *c = mapmem_alloc_cached(72, false);
	assert_ptr_equal(c, a); /* most recent first, bytes kept */
	assert_int_equal(c[71], 0xab);
	uint8_t *d = mapmem_alloc_cached(72, true);
	assert_ptr_equal(d, b);
	uint8_t *e = mapmem_alloc_cached(72, true); /* the list is empty: a new block */
	assert_true(e != a && e != b);
	memset(c, 0xcd, 72);
	mapmem_free_cached(c);
	c = mapmem_alloc_cached(72, true);
	for (int i = 0; i < 72; i++)
		assert_int_equal(c[i], 0);
	/* four sizes are cached at once; blocks of a fifth go back to malloc */
	void *sized[5];
	for (int i = 0; i < 5; i++)
		sized[i] = mapmem_alloc_cached(200 + (size_t)i * 8, false);
	for (int i = 0; i < 5; i++)
		mapmem_free_cached(sized[i]);
	mapmem_fail_at(1, false);
	assert_null(mapmem_alloc_cached(72, false));
	mapmem_fail_at(0, false);
	mapmem_free_cached(c);
	mapmem_free_cached(d);
	mapmem_free_cached(e);
	mapmem_free_cached(NULL);
	assert_int_equal(mapmem_outstanding(), base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cached_blocks),
		cmocka_unit_test(test_oom_loops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
