/* Differential test: the same operations, from a fixed seed, on a kernel
 * map (raw bpf() syscall) and on a hive map give the same return codes and
 * the same contents. Hash iteration is compared as a set, except with
 * BPF_F_ZERO_SEED where hive lays buckets out as the kernel does and the
 * order must match too. Skips when bpf() is not permitted. */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "hive/hive.h"
#include "maps/map.h"

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? (uint32_t)(rng_state % n) : 0;
}

static int sys_bpf(int cmd, union bpf_attr *a)
{
	long r = syscall(__NR_bpf, cmd, a, sizeof *a);
	return r < 0 ? -errno : (int)r;
}

static int k_create(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags, uint64_t extra,
		    const char *name)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.map_type = type;
	a.key_size = ks;
	a.value_size = vs;
	a.max_entries = max;
	a.map_flags = flags;
	a.map_extra = extra;
	if (name)
		memcpy(a.map_name, name, strnlen(name, sizeof a.map_name));
	return sys_bpf(BPF_MAP_CREATE, &a);
}

static int k_elem(int cmd, int fd, const void *key, void *value, uint64_t flags)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)key;
	if (cmd == BPF_MAP_GET_NEXT_KEY)
		a.next_key = (uint64_t)(uintptr_t)value;
	else
		a.value = (uint64_t)(uintptr_t)value;
	a.flags = flags;
	return sys_bpf(cmd, &a);
}

static bool bpf_ok;

static int setup(void **state)
{
	(void)state;
	int fd = k_create(BPF_MAP_TYPE_ARRAY, 4, 4, 1, 0, 0, NULL);
	if (fd >= 0) {
		close(fd);
		bpf_ok = true;
	}
	return 0;
}

#define NEED_BPF()                                                                                 \
	do {                                                                                       \
		if (!bpf_ok) {                                                                     \
			printf("HIVE-SKIP: bpf() not permitted\n");                                \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

/* {===== creation: the same verdict for a grid of attributes */

static void test_create_grid(void **state)
{
	(void)state;
	NEED_BPF();
	static const uint32_t types[] = {BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_HASH,
					 BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_LRU_HASH,
					 BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_LPM_TRIE, BPF_MAP_TYPE_QUEUE,
					 BPF_MAP_TYPE_STACK, BPF_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_BLOOM_FILTER,
					 BPF_MAP_TYPE_PROG_ARRAY, BPF_MAP_TYPE_PERF_EVENT_ARRAY,
					 BPF_MAP_TYPE_USER_RINGBUF};
	static const uint32_t kss[] = {0, 1, 3, 4, 5, 8, 260, 261, 512, 513};
	static const uint32_t vss[] = {0, 1, 4, 8, 32768, 32769};
	static const uint32_t maxs[] = {0, 1, 3, 4096, 8192};
	static const uint32_t flagss[] = {0, BPF_F_NO_PREALLOC, BPF_F_NO_COMMON_LRU, BPF_F_NUMA_NODE,
					  BPF_F_RDONLY, BPF_F_RDONLY | BPF_F_WRONLY, BPF_F_ZERO_SEED,
					  BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG, BPF_F_WRONLY_PROG, BPF_F_MMAPABLE,
					  BPF_F_PRESERVE_ELEMS, BPF_F_INNER_MAP, BPF_F_NO_PREALLOC | BPF_F_ZERO_SEED,
					  1U << 20};
	static const uint64_t extras[] = {0, 3, 16};
	unsigned n = 0, mismatches = 0;
	for (size_t t = 0; t < sizeof types / sizeof *types; t++)
	for (size_t k = 0; k < sizeof kss / sizeof *kss; k++)
	for (size_t v = 0; v < sizeof vss / sizeof *vss; v++)
	for (size_t m = 0; m < sizeof maxs / sizeof *maxs; m++)
	for (size_t f = 0; f < sizeof flagss / sizeof *flagss; f++)
	for (size_t e = 0; e < sizeof extras / sizeof *extras; e++) {
		uint32_t type = types[t], ks = kss[k], vs = vss[v], max = maxs[m], flags = flagss[f];
		uint64_t extra = extras[e];
		if ((uint64_t)vs * max > (1u << 20) || (extra && type != BPF_MAP_TYPE_BLOOM_FILTER && f))
			continue;
		int kfd = k_create(type, ks, vs, max, flags, extra, NULL);
		if (kfd >= 0)
			close(kfd);
		int kerr = kfd >= 0 ? 0 : kfd;
		char log[160];
		HIVE_OPTS(hive_map_opts, o, .map_flags = flags, .map_extra = extra, .log_buf = log,
			  .log_size = sizeof log);
		struct hive_map *map = NULL;
		int herr = hive_map_create((enum hive_map_type)type, NULL, ks, vs, max, &o, &map);
		hive_map_free(map);
		n++;
		if (kerr != herr) {
			mismatches++;
			print_message("create type=%u ks=%u vs=%u max=%u flags=0x%x extra=%llu: kernel %d hive %d (%s)\n",
				      type, ks, vs, max, flags, (unsigned long long)extra, kerr, herr,
				      herr ? log : "");
		}
		if (kerr == 0 && herr)
			assert_true(log[0]); /* refusals say why */
	}
	print_message("%u attribute sets compared\n", n);
	assert_int_equal(mismatches, 0);
}

static void test_create_names(void **state)
{
	(void)state;
	NEED_BPF();
	static const char *names[] = {"", "a", "map_1.x", "123456789012345", "1234567890123456", "bad-name", "sp ace"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		int kfd = k_create(BPF_MAP_TYPE_ARRAY, 4, 4, 1, 0, 0, names[i]);
		if (kfd >= 0)
			close(kfd);
		struct hive_map *map = NULL;
		int herr = hive_map_create(HIVE_MAP_ARRAY, names[i], 4, 4, 1, NULL, &map);
		if (map)
			assert_string_equal(hive_map_name(map), names[i]);
		hive_map_free(map);
		/* the kernel takes 16 bytes and needs a NUL inside them */
		int kerr = kfd >= 0 ? 0 : kfd;
		if (strlen(names[i]) >= 16)
			kerr = -EINVAL;
		assert_int_equal(kerr, herr);
	}
}

/* Access flags: the user API obeys RDONLY/WRONLY as the syscall does. */
static void test_access_flags(void **state)
{
	(void)state;
	NEED_BPF();
	static const uint32_t types[] = {BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_QUEUE};
	static const uint32_t flags[] = {0, BPF_F_RDONLY, BPF_F_WRONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG};
	for (size_t t = 0; t < 3; t++)
		for (size_t f = 0; f < 5; f++) {
			uint32_t ks = types[t] == BPF_MAP_TYPE_QUEUE ? 0 : 4;
			int fd = k_create(types[t], ks, 8, 4, flags[f], 0, NULL);
			assert_true(fd >= 0);
			HIVE_OPTS(hive_map_opts, o, .map_flags = flags[f]);
			struct hive_map *m;
			assert_int_equal(hive_map_create((enum hive_map_type)types[t], NULL, ks, 8, 4, &o, &m), 0);
			uint32_t key = 1, nk1, nk2;
			uint64_t v1 = 5, v2 = 5;
			const void *kp = ks ? &key : NULL;
			assert_int_equal(k_elem(BPF_MAP_UPDATE_ELEM, fd, kp, &v1, 0), hive_map_update(m, kp, &v2, 0));
			assert_int_equal(k_elem(BPF_MAP_LOOKUP_ELEM, fd, kp, &v1, 0), hive_map_lookup(m, kp, &v2));
			assert_int_equal(k_elem(BPF_MAP_GET_NEXT_KEY, fd, NULL, &nk1, 0), hive_map_get_next_key(m, NULL, &nk2));
			assert_int_equal(k_elem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, kp, &v1, 0),
					 hive_map_lookup_and_delete(m, kp, &v2));
			assert_int_equal(k_elem(BPF_MAP_DELETE_ELEM, fd, kp, NULL, 0), hive_map_delete(m, kp));
			close(fd);
			hive_map_free(m);
		}
}

/* }===== */

/* {===== random operation sequences */

struct cfg {
	uint32_t type, ks, vs, max, flags;
	uint64_t extra;
	uint32_t key_space;   /* keys drawn from 0..key_space-1 (spread over the key bytes) */
	bool ordered;         /* compare iteration order, not just the set */
	bool no_evict;        /* lru: never fill (eviction is approximate in the kernel) */
};

static size_t user_vs(const struct cfg *c)
{
	bool percpu = c->type == BPF_MAP_TYPE_PERCPU_HASH || c->type == BPF_MAP_TYPE_PERCPU_ARRAY ||
		      c->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	return percpu ? (size_t)((c->vs + 7) / 8 * 8) * (size_t)hive_num_possible_cpus() : c->vs;
}

static void make_key(const struct cfg *c, uint8_t *key, uint32_t n)
{
	memset(key, 0, c->ks);
	if (c->type == BPF_MAP_TYPE_LPM_TRIE) {
		uint32_t maxp = (c->ks - 4) * 8;
		uint32_t plen = rnd(20) == 0 ? maxp + 1 + rnd(3) : rnd(maxp + 1);
		memcpy(key, &plen, 4);
		for (uint32_t i = 4; i < c->ks; i++)
			key[i] = (uint8_t)(rnd(4) == 0 ? rnd(256) : (n >> ((i - 4) % 4 * 2)) & 0xc0);
		return;
	}
	if (c->type == BPF_MAP_TYPE_ARRAY || c->type == BPF_MAP_TYPE_PERCPU_ARRAY) {
		uint32_t idx = rnd(c->max + 3);
		memcpy(key, &idx, 4);
		return;
	}
	for (uint32_t i = 0; i < c->ks; i++)
		key[i] = (uint8_t)(n * 2654435761u >> (i % 4 * 8));
}

static const char *hex(const uint8_t *p, size_t n)
{
	static char buf[700];
	for (size_t i = 0; i < n && i < 300; i++)
		snprintf(buf + 2 * i, 3, "%02x", p[i]);
	return buf;
}

static void make_value(uint8_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		v[i] = (uint8_t)rnd(256);
}

/* All keys by get_next_key from NULL, into keys[] (each ks bytes). */
static int collect_keys(const struct cfg *c, int fd, struct hive_map *m, uint8_t *keys, int cap)
{
	uint8_t cur[300], next[300];
	int n = 0;
	const void *prev = NULL;
	for (;;) {
		int err = fd >= 0 ? k_elem(BPF_MAP_GET_NEXT_KEY, fd, prev, next, 0)
				  : hive_map_get_next_key(m, prev, next);
		if (err)
			break;
		assert_true(n < cap);
		memcpy(keys + (size_t)n * c->ks, next, c->ks);
		n++;
		memcpy(cur, next, c->ks);
		prev = cur;
	}
	return n;
}

static size_t cmp_size;
static int cmp_keys(const void *a, const void *b)
{
	return memcmp(a, b, cmp_size);
}

static void compare_contents(const struct cfg *c, int fd, struct hive_map *m)
{
	if (c->type == BPF_MAP_TYPE_QUEUE || c->type == BPF_MAP_TYPE_STACK || c->type == BPF_MAP_TYPE_BLOOM_FILTER)
		return;
	enum { CAP = 4096 };
	uint8_t *kk = calloc(CAP, c->ks), *hk = calloc(CAP, c->ks);
	int kn = collect_keys(c, fd, NULL, kk, CAP), hn = collect_keys(c, -1, m, hk, CAP);
	assert_int_equal(kn, hn);
	if (!c->ordered) {
		cmp_size = c->ks;
		qsort(kk, (size_t)kn, c->ks, cmp_keys);
		qsort(hk, (size_t)hn, c->ks, cmp_keys);
	}
	assert_memory_equal(kk, hk, (size_t)kn * c->ks);
	size_t vs = user_vs(c);
	uint8_t *kv = malloc(vs), *hv = malloc(vs);
	for (int i = 0; i < kn; i++) {
		assert_int_equal(k_elem(BPF_MAP_LOOKUP_ELEM, fd, kk + (size_t)i * c->ks, kv, 0), 0);
		assert_int_equal(hive_map_lookup(m, kk + (size_t)i * c->ks, hv), 0);
		assert_memory_equal(kv, hv, vs);
	}
	free(kv);
	free(hv);
	free(kk);
	free(hk);
}

static void run_sequence(const struct cfg *c, unsigned steps, uint64_t seed)
{
	rng_state = seed;
	int fd = k_create(c->type, c->ks, c->vs, c->max, c->flags, c->extra, NULL);
	assert_true(fd >= 0);
	HIVE_OPTS(hive_map_opts, o, .map_flags = c->flags, .map_extra = c->extra);
	struct hive_map *m;
	assert_int_equal(hive_map_create((enum hive_map_type)c->type, NULL, c->ks, c->vs, c->max, &o, &m), 0);
	size_t vs = user_vs(c);
	uint8_t key[300], key2[300], kv[1 << 12], hv[1 << 12], val[1 << 12];
	bool keyless = c->ks == 0;
	for (unsigned step = 0; step < steps; step++) {
		make_key(c, key, rnd(c->key_space));
		/* keyless maps: now and then a key anyway (-EINVAL) */
		const void *kp = keyless ? (rnd(16) == 0 ? key : NULL) : key;
		int op = (int)rnd(10), kerr, herr;
		uint64_t flags;
		memset(kv, 0xaa, vs);
		memset(hv, 0xaa, vs);
		switch (op) {
		case 0: case 1: case 2: case 3: /* update, mostly valid flags */
			flags = rnd(8) == 0 ? rnd(6) : rnd(3);
			make_value(val, vs);
			if (c->type == BPF_MAP_TYPE_BLOOM_FILTER)
				for (size_t i = 0; i < vs; i++)
					val[i] = (uint8_t)(rnd(c->key_space) + i);
			if (c->no_evict && !keyless) {
				uint32_t cnt = 0;
				while (cnt < c->max && !hive_map_get_next_key(m, cnt ? key2 : NULL, key2))
					cnt++;
				if (cnt + 8 >= c->max && flags != BPF_EXIST)
					break;
			}
			kerr = k_elem(BPF_MAP_UPDATE_ELEM, fd, kp, val, flags);
			herr = hive_map_update(m, kp, val, flags);
			if (kerr != herr)
				fail_msg("step %u: update flags %llu: kernel %d hive %d", step,
					 (unsigned long long)flags, kerr, herr);
			break;
		case 4: case 5: /* lookup (peek) */
			if (c->type == BPF_MAP_TYPE_BLOOM_FILTER) {
				for (size_t i = 0; i < vs; i++)
					kv[i] = hv[i] = (uint8_t)(rnd(c->key_space) + i);
			}
			kerr = k_elem(BPF_MAP_LOOKUP_ELEM, fd, kp, kv, 0);
			herr = hive_map_lookup(m, kp, hv);
			if (kerr != herr)
				fail_msg("step %u: lookup %s: kernel %d hive %d", step, hex(key, c->ks), kerr, herr);
			if (!kerr)
				assert_memory_equal(kv, hv, vs);
			break;
		case 6: /* delete */
			kerr = k_elem(BPF_MAP_DELETE_ELEM, fd, kp, NULL, 0);
			herr = hive_map_delete(m, kp);
			if (kerr != herr)
				fail_msg("step %u: delete: kernel %d hive %d", step, kerr, herr);
			break;
		case 7: { /* get_next_key from a random, absent or NULL key */
			const void *from = rnd(4) == 0 ? NULL : kp;
			memset(kv, 0, 300);
			memset(hv, 0, 300);
			kerr = k_elem(BPF_MAP_GET_NEXT_KEY, fd, from, kv, 0);
			herr = hive_map_get_next_key(m, from, hv);
			/* from a present key, the order decides whether there is a next one */
			if (!c->ordered && from && hive_map_lookup(m, from, val) == 0)
				break;
			if (kerr != herr)
				fail_msg("step %u: get_next_key: kernel %d hive %d", step, kerr, herr);
			if (!kerr && c->ordered)
				assert_memory_equal(kv, hv, c->ks);
			break;
		}
		case 8: /* lookup_and_delete (pop) */
			kerr = k_elem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, kp, kv, 0);
			herr = hive_map_lookup_and_delete(m, kp, hv);
			if (kerr != herr)
				fail_msg("step %u: lookup_and_delete: kernel %d hive %d", step, kerr, herr);
			if (!kerr)
				assert_memory_equal(kv, hv, vs);
			break;
		default: /* an update that must succeed, to fill maps */
			make_value(val, vs);
			kerr = k_elem(BPF_MAP_UPDATE_ELEM, fd, kp, val, BPF_ANY);
			if (c->no_evict && kerr == 0 && !keyless) {
				(void)hive_map_update(m, kp, val, BPF_ANY);
				/* keep the LRU map well below full */
				uint32_t cnt = 0;
				while (cnt < c->max && !hive_map_get_next_key(m, cnt ? key2 : NULL, key2))
					cnt++;
				if (cnt + 8 >= c->max) {
					assert_int_equal(k_elem(BPF_MAP_DELETE_ELEM, fd, kp, NULL, 0), 0);
					assert_int_equal(hive_map_delete(m, kp), 0);
				}
				break;
			}
			herr = hive_map_update(m, kp, val, BPF_ANY);
			if (kerr != herr)
				fail_msg("step %u: update: kernel %d hive %d", step, kerr, herr);
			break;
		}
		if (step % 64 == 63)
			compare_contents(c, fd, m);
	}
	compare_contents(c, fd, m);
	close(fd);
	hive_map_free(m);
}

static void test_seq_hash(void **state)
{
	(void)state;
	NEED_BPF();
	struct cfg cs[] = {
		{BPF_MAP_TYPE_HASH, 4, 8, 32, 0, 0, 48, false, false},
		{BPF_MAP_TYPE_HASH, 4, 8, 32, BPF_F_ZERO_SEED, 0, 48, true, false},
		{BPF_MAP_TYPE_HASH, 6, 3, 16, BPF_F_ZERO_SEED | BPF_F_NO_PREALLOC, 0, 40, true, false},
		{BPF_MAP_TYPE_HASH, 13, 20, 100, BPF_F_ZERO_SEED, 0, 150, true, false},
		{BPF_MAP_TYPE_PERCPU_HASH, 8, 12, 24, BPF_F_ZERO_SEED, 0, 40, true, false},
		{BPF_MAP_TYPE_LRU_HASH, 4, 8, 128, 0, 0, 64, false, true},
		{BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 4, 128, 0, 0, 64, false, true},
	};
	for (size_t i = 0; i < sizeof cs / sizeof *cs; i++)
		run_sequence(&cs[i], 3000, 0x1234567 + i);
}

static void test_seq_array(void **state)
{
	(void)state;
	NEED_BPF();
	struct cfg cs[] = {
		{BPF_MAP_TYPE_ARRAY, 4, 12, 10, 0, 0, 1, true, false},
		{BPF_MAP_TYPE_ARRAY, 4, 1, 1, 0, 0, 1, true, false},
		{BPF_MAP_TYPE_PERCPU_ARRAY, 4, 5, 7, 0, 0, 1, true, false},
	};
	for (size_t i = 0; i < sizeof cs / sizeof *cs; i++)
		run_sequence(&cs[i], 2000, 0x777 + i);
}

static void test_seq_lpm(void **state)
{
	(void)state;
	NEED_BPF();
	struct cfg cs[] = {
		{BPF_MAP_TYPE_LPM_TRIE, 8, 8, 40, BPF_F_NO_PREALLOC, 0, 64, true, false},
		{BPF_MAP_TYPE_LPM_TRIE, 5, 4, 20, BPF_F_NO_PREALLOC, 0, 64, true, false},
		{BPF_MAP_TYPE_LPM_TRIE, 20, 3, 200, BPF_F_NO_PREALLOC, 0, 256, true, false},
	};
	for (size_t i = 0; i < sizeof cs / sizeof *cs; i++)
		run_sequence(&cs[i], 4000, 0x4242 + i);
}

static void test_seq_queue_stack_bloom(void **state)
{
	(void)state;
	NEED_BPF();
	struct cfg cs[] = {
		{BPF_MAP_TYPE_QUEUE, 0, 8, 5, 0, 0, 1, true, false},
		{BPF_MAP_TYPE_STACK, 0, 3, 4, 0, 0, 1, true, false},
		{BPF_MAP_TYPE_BLOOM_FILTER, 0, 4, 10, BPF_F_ZERO_SEED, 0, 200, true, false},
		{BPF_MAP_TYPE_BLOOM_FILTER, 0, 7, 3, BPF_F_ZERO_SEED, 2, 100, true, false},
		{BPF_MAP_TYPE_BLOOM_FILTER, 0, 16, 100, BPF_F_ZERO_SEED, 15, 1000, true, false},
	};
	for (size_t i = 0; i < sizeof cs / sizeof *cs; i++)
		run_sequence(&cs[i], 2000, 0x999 + i);
}

static void test_seq_ringbuf_user_ops(void **state)
{
	(void)state;
	NEED_BPF();
	static const uint32_t types[] = {BPF_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_USER_RINGBUF};
	for (int t = 0; t < 2; t++) {
		int fd = k_create(types[t], 0, 0, 4096, 0, 0, NULL);
		assert_true(fd >= 0);
		struct hive_map *m;
		assert_int_equal(hive_map_create((enum hive_map_type)types[t], NULL, 0, 0, 4096, NULL, &m), 0);
		rng_state = 0x7b7b + (uint64_t)t;
		for (int step = 0; step < 200; step++) {
			uint8_t k[8] = {0}, v[8] = {0};
			const void *kp = rnd(2) ? NULL : k;
			uint64_t flags = rnd(4);
			int kerr, herr, op = (int)rnd(5);
			switch (op) {
			case 0:
				kerr = k_elem(BPF_MAP_LOOKUP_ELEM, fd, kp, v, flags & 4);
				herr = hive_map_lookup_flags(m, kp, v, flags & 4);
				break;
			case 1:
				kerr = k_elem(BPF_MAP_UPDATE_ELEM, fd, kp, v, flags);
				herr = hive_map_update(m, kp, v, flags);
				break;
			case 2:
				kerr = k_elem(BPF_MAP_DELETE_ELEM, fd, kp, NULL, 0);
				herr = hive_map_delete(m, kp);
				break;
			case 3:
				kerr = k_elem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, kp, v, 0);
				herr = hive_map_lookup_and_delete(m, kp, v);
				break;
			default:
				kerr = k_elem(BPF_MAP_GET_NEXT_KEY, fd, kp, k, 0);
				herr = hive_map_get_next_key(m, kp, k);
				break;
			}
			if (kerr != herr)
				fail_msg("type %u step %d (op %d key %s flags %llu): kernel %d hive %d", types[t], step, op, kp ? "set" : "NULL", (unsigned long long)flags, kerr, herr);
		}
		close(fd);
		hive_map_free(m);
	}
}

/* PROG_ARRAY: random updates, deletes, get_next_key; the kernel stores
 * program fds, hive programs (hive_prog_array_set): after each step every
 * slot holds the same program on both sides (the kernel's lookup gives a
 * program id). */
static int k_prog_ret(int ret)
{
	struct bpf_insn p[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = ret},
		{.code = BPF_JMP | BPF_EXIT},
	};
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uint64_t)(uintptr_t)p;
	a.insn_cnt = 2;
	a.license = (uint64_t)(uintptr_t)"GPL";
	return sys_bpf(BPF_PROG_LOAD, &a);
}

static uint32_t k_prog_id(int fd)
{
	struct bpf_prog_info info;
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	memset(&info, 0, sizeof info);
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof info;
	a.info.info = (uint64_t)(uintptr_t)&info;
	assert_int_equal(sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a), 0);
	return info.id;
}

static void test_seq_prog_array(void **state)
{
	(void)state;
	NEED_BPF();
	enum { NPROG = 3, MAX = 5 };
	int kp[NPROG];
	uint32_t kid[NPROG];
	struct hive_prog *hp[NPROG];
	for (int i = 0; i < NPROG; i++) {
		kp[i] = k_prog_ret(i);
		assert_true(kp[i] >= 0);
		kid[i] = k_prog_id(kp[i]);
		struct hive_insn p[] = {
			{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = i},
			{.code = BPF_JMP | BPF_EXIT},
		};
		assert_int_equal(hive_prog_load(p, 2, NULL, &hp[i]), 0);
	}
	int fd = k_create(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, MAX, 0, 0, NULL);
	assert_true(fd >= 0);
	struct hive_map *m;
	assert_int_equal(hive_map_create(HIVE_MAP_PROG_ARRAY, NULL, 4, 4, MAX, NULL, &m), 0);
	rng_state = 0x9a9a;
	for (int step = 0; step < 1500; step++) {
		uint32_t key = rnd(MAX + 2), which = rnd(NPROG), nk1 = 0, nk2 = 0;
		int kerr, herr;
		switch (rnd(4)) {
		case 0: case 1:
			kerr = k_elem(BPF_MAP_UPDATE_ELEM, fd, &key, &(uint32_t){(uint32_t)kp[which]}, 0);
			herr = hive_prog_array_set(m, key, hp[which]);
			break;
		case 2:
			kerr = k_elem(BPF_MAP_DELETE_ELEM, fd, &key, NULL, 0);
			herr = hive_map_delete(m, &key);
			break;
		default: {
			const void *from = rnd(4) ? &key : NULL;
			kerr = k_elem(BPF_MAP_GET_NEXT_KEY, fd, from, &nk1, 0);
			herr = hive_map_get_next_key(m, from, &nk2);
			if (!kerr)
				assert_int_equal(nk1, nk2);
			break;
		}
		}
		if (kerr != herr)
			fail_msg("step %d key %u: kernel %d hive %d", step, key, kerr, herr);
		for (uint32_t slot = 0; slot < MAX; slot++) {
			uint32_t id = 0;
			int k = k_elem(BPF_MAP_LOOKUP_ELEM, fd, &slot, &id, 0);
			const struct hive_prog *h = map_prog_array_get(m, slot);
			if (k == -ENOENT) {
				assert_null(h);
				continue;
			}
			assert_int_equal(k, 0);
			int ki = -1, hi = -1;
			for (int i = 0; i < NPROG; i++) {
				ki = kid[i] == id ? i : ki;
				hi = hp[i] == h ? i : hi;
			}
			assert_true(ki >= 0);
			assert_int_equal(ki, hi);
		}
	}
	close(fd);
	hive_map_free(m);
	for (int i = 0; i < NPROG; i++) {
		close(kp[i]);
		hive_prog_free(hp[i]);
	}
}

/* PERF_EVENT_ARRAY: the kernel's slots hold perf events (BPF_OUTPUT
 * software events here), hive's ring buffers (by map id): updates, deletes,
 * lookups and get_next_key give the same return codes. */
static int k_perf_output_event(void)
{
	struct perf_event_attr pa;
	memset(&pa, 0, sizeof pa);
	pa.type = PERF_TYPE_SOFTWARE;
	pa.size = sizeof pa;
	pa.config = PERF_COUNT_SW_BPF_OUTPUT;
	pa.sample_type = PERF_SAMPLE_RAW;
	long fd = syscall(__NR_perf_event_open, &pa, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : (int)fd;
}

static void test_seq_perf_event_array(void **state)
{
	(void)state;
	NEED_BPF();
	int pfd = k_perf_output_event();
	if (pfd < 0) {
		printf("HIVE-SKIP: perf_event_open: %s\n", strerror(-pfd));
		skip();
	}
	enum { MAX = 4 };
	int fd = k_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, MAX, 0, 0, NULL);
	assert_true(fd >= 0);
	struct hive_map *m, *rb;
	assert_int_equal(hive_map_create(HIVE_MAP_PERF_EVENT_ARRAY, NULL, 4, 4, MAX, NULL, &m), 0);
	assert_int_equal(hive_map_create(HIVE_MAP_RINGBUF, NULL, 0, 0, 4096, NULL, &rb), 0);
	rng_state = 0xfefe;
	for (int step = 0; step < 1000; step++) {
		uint32_t key = rnd(MAX + 2), nk1 = 0, nk2 = 0, v1 = 0, v2 = 0;
		uint64_t flags = rnd(6) == 0 ? rnd(3) : 0;
		int kerr, herr;
		switch (rnd(5)) {
		case 0: case 1:
			kerr = k_elem(BPF_MAP_UPDATE_ELEM, fd, &key, &(uint32_t){(uint32_t)pfd}, flags);
			herr = hive_map_update(m, &key, &(uint32_t){hive_map_id(rb)}, flags);
			break;
		case 2:
			kerr = k_elem(BPF_MAP_DELETE_ELEM, fd, &key, NULL, 0);
			herr = hive_map_delete(m, &key);
			break;
		case 3:
			kerr = k_elem(BPF_MAP_LOOKUP_ELEM, fd, &key, &v1, 0);
			herr = hive_map_lookup(m, &key, &v2);
			break;
		default: {
			const void *from = rnd(4) ? &key : NULL;
			kerr = k_elem(BPF_MAP_GET_NEXT_KEY, fd, from, &nk1, 0);
			herr = hive_map_get_next_key(m, from, &nk2);
			if (!kerr)
				assert_int_equal(nk1, nk2);
			break;
		}
		}
		if (kerr != herr)
			fail_msg("step %d key %u flags %llu: kernel %d hive %d", step, key, (unsigned long long)flags, kerr,
				 herr);
	}
	close(fd);
	close(pfd);
	hive_map_free(m);
	hive_map_free(rb);
}

/* {===== values with a bpf_spin_lock (the kernel learns it from BTF) */

/* BTF for: int; struct bpf_spin_lock { int val; };
 * struct val { int a; struct bpf_spin_lock lock; int b; int c; } */
static int btf_load_spin_lock_value(void)
{
	static const char strs[] = "\0int\0bpf_spin_lock\0val\0a\0lock\0b\0c";
	enum { S_INT = 1, S_LOCK = 5, S_VAL = 19, S_A = 23, S_LK = 25, S_B = 30, S_C = 32 };
	uint32_t types[] = {
		/* [1] int */ S_INT, 1u << 24, 4, (1u << 24) | 32,
		/* [2] struct bpf_spin_lock */ S_LOCK, (4u << 24) | 1, 4, S_VAL, 1, 0,
		/* [3] struct val */ S_VAL, (4u << 24) | 4, 16, S_A, 1, 0, S_LK, 2, 32, S_B, 1, 64, S_C, 1, 96,
	};
	uint8_t blob[24 + sizeof types + sizeof strs];
	struct {
		uint16_t magic;
		uint8_t version, flags;
		uint32_t hdr_len, type_off, type_len, str_off, str_len;
	} hdr = {0xeB9F, 1, 0, 24, 0, sizeof types, sizeof types, sizeof strs};
	memcpy(blob, &hdr, 24);
	memcpy(blob + 24, types, sizeof types);
	memcpy(blob + 24 + sizeof types, strs, sizeof strs);
	char log[4096] = "";
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.btf = (uint64_t)(uintptr_t)blob;
	a.btf_size = sizeof blob;
	a.btf_log_buf = (uint64_t)(uintptr_t)log;
	a.btf_log_size = sizeof log;
	a.btf_log_level = 1;
	int fd = sys_bpf(BPF_BTF_LOAD, &a);
	if (fd < 0)
		print_message("BTF: %s\n", log);
	return fd;
}

struct lval {
	int32_t a;
	uint32_t lock;
	int32_t b, c;
};

static void test_spin_lock_values(void **state)
{
	(void)state;
	NEED_BPF();
	int btf = btf_load_spin_lock_value();
	assert_true(btf >= 0);
	static const uint32_t types[] = {BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_ARRAY};
	for (int t = 0; t < 2; t++) {
		union bpf_attr a;
		memset(&a, 0, sizeof a);
		a.map_type = types[t];
		a.key_size = 4;
		a.value_size = sizeof(struct lval);
		a.max_entries = 4;
		a.btf_fd = (uint32_t)btf;
		a.btf_key_type_id = 1;
		a.btf_value_type_id = 3;
		int fd = sys_bpf(BPF_MAP_CREATE, &a);
		assert_true(fd >= 0);
		HIVE_OPTS(hive_map_opts, o, .spin_lock = true, .spin_lock_off = 4);
		struct hive_map *m;
		assert_int_equal(hive_map_create((enum hive_map_type)types[t], NULL, 4, sizeof(struct lval), 4, &o, &m), 0);
		rng_state = 0x5151 + (uint64_t)t;
		for (int step = 0; step < 1500; step++) {
			uint32_t key = rnd(6);
			uint64_t flags = rnd(3) | (rnd(2) ? BPF_F_LOCK : 0);
			if (rnd(10) == 0)
				flags |= 8; /* unknown */
			struct lval v = {(int32_t)rnd(1000), rnd(2) ? 0xffffffffu : 0, (int32_t)rnd(1000), step}, kv, hv;
			int kerr, herr;
			memset(&kv, 0xaa, sizeof kv);
			memset(&hv, 0xaa, sizeof hv);
			switch (rnd(4)) {
			case 0: case 1:
				kerr = k_elem(BPF_MAP_UPDATE_ELEM, fd, &key, &v, flags);
				herr = hive_map_update(m, &key, &v, flags);
				break;
			case 2:
				flags &= BPF_F_LOCK | 8;
				kerr = k_elem(BPF_MAP_LOOKUP_ELEM, fd, &key, &kv, flags);
				herr = hive_map_lookup_flags(m, &key, &hv, flags);
				if (!kerr && !herr)
					assert_memory_equal(&kv, &hv, sizeof kv);
				break;
			default:
				kerr = k_elem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, &key, &kv, 0);
				herr = hive_map_lookup_and_delete(m, &key, &hv);
				if (!kerr && !herr)
					assert_memory_equal(&kv, &hv, sizeof kv);
				break;
			}
			if (kerr != herr)
				fail_msg("type %u step %d flags %llx: kernel %d hive %d", types[t], step,
					 (unsigned long long)flags, kerr, herr);
		}
		close(fd);
		hive_map_free(m);
	}
	close(btf);
}

/* }===== */

/* {===== maps of maps and prog arrays */

static int k_create_outer(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags, int inner_fd)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.map_type = type;
	a.key_size = ks;
	a.value_size = vs;
	a.max_entries = max;
	a.map_flags = flags;
	a.inner_map_fd = (uint32_t)inner_fd;
	return sys_bpf(BPF_MAP_CREATE, &a);
}

static void test_map_in_map(void **state)
{
	(void)state;
	NEED_BPF();
	/* inner candidates: [0] the template's twin, [1] another size, [2] another type */
	struct {
		uint32_t type, ks, vs, max, flags;
	} inner[] = {{BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0}, {BPF_MAP_TYPE_ARRAY, 4, 8, 5, 0}, {BPF_MAP_TYPE_HASH, 4, 8, 4, 0},
		     {BPF_MAP_TYPE_ARRAY, 4, 8, 5, BPF_F_INNER_MAP}};
	enum { NIN = 4 };
	for (int tmpl = 0; tmpl < NIN; tmpl++) {
		int kfd[NIN];
		uint32_t kid[NIN];
		struct hive_map *hm[NIN];
		for (int i = 0; i < NIN; i++) {
			kfd[i] = k_create(inner[i].type, inner[i].ks, inner[i].vs, inner[i].max, inner[i].flags, 0, NULL);
			assert_true(kfd[i] >= 0);
			struct bpf_map_info info;
			union bpf_attr a;
			memset(&a, 0, sizeof a);
			memset(&info, 0, sizeof info);
			a.info.bpf_fd = (uint32_t)kfd[i];
			a.info.info_len = sizeof info;
			a.info.info = (uint64_t)(uintptr_t)&info;
			assert_int_equal(sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a), 0);
			kid[i] = info.id;
			HIVE_OPTS(hive_map_opts, o, .map_flags = inner[i].flags);
			assert_int_equal(hive_map_create((enum hive_map_type)inner[i].type, NULL, inner[i].ks, inner[i].vs,
							 inner[i].max, &o, &hm[i]), 0);
		}
		static const uint32_t outer_types[] = {BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_HASH_OF_MAPS};
		for (int ot = 0; ot < 2; ot++) {
			uint32_t type = outer_types[ot];
			/* creation rules */
			static const uint32_t vss[] = {4, 8};
			static const uint32_t fls[] = {0, BPF_F_RDONLY_PROG, BPF_F_NO_PREALLOC};
			for (size_t v = 0; v < 2; v++)
				for (size_t f = 0; f < 3; f++) {
					int k = k_create_outer(type, 4, vss[v], 3, fls[f], kfd[tmpl]);
					if (k >= 0)
						close(k);
					HIVE_OPTS(hive_map_opts, o, .map_flags = fls[f], .inner = hm[tmpl]);
					struct hive_map *m = NULL;
					int h = hive_map_create((enum hive_map_type)type, NULL, 4, vss[v], 3, &o, &m);
					hive_map_free(m);
					if ((k >= 0 ? 0 : k) != h)
						fail_msg("outer %u vs %u flags %x: kernel %d hive %d", type, vss[v], fls[f], k, h);
				}
			int ofd = k_create_outer(type, 4, 4, 3, 0, kfd[tmpl]);
			assert_true(ofd >= 0);
			HIVE_OPTS(hive_map_opts, o, .inner = hm[tmpl]);
			struct hive_map *om;
			assert_int_equal(hive_map_create((enum hive_map_type)type, NULL, 4, 4, 3, &o, &om), 0);
			rng_state = 0xabc + (uint64_t)tmpl;
			for (int step = 0; step < 300; step++) {
				uint32_t key = rnd(5), which = rnd(NIN), flags = rnd(4) == 0 ? rnd(3) : 0;
				int kerr, herr;
				uint32_t kv = 0, hv = 0;
				switch (rnd(4)) {
				case 0: case 1:
					kerr = k_elem(BPF_MAP_UPDATE_ELEM, ofd, &key, &(uint32_t){(uint32_t)kfd[which]}, flags);
					herr = hive_map_update(om, &key, &(uint32_t){hive_map_id(hm[which])}, flags);
					break;
				case 2:
					kerr = k_elem(BPF_MAP_LOOKUP_ELEM, ofd, &key, &kv, 0);
					herr = hive_map_lookup(om, &key, &hv);
					if (!kerr && !herr) { /* the same inner map on both sides */
						int ki = -1, hi = -1;
						for (int i = 0; i < NIN; i++) {
							ki = kid[i] == kv ? i : ki;
							hi = hive_map_id(hm[i]) == hv ? i : hi;
						}
						assert_true(ki >= 0);
						assert_int_equal(ki, hi);
						/* a program's lookup yields the inner map itself */
						assert_ptr_equal(map_prog_lookup(om, &key), hm[hi]);
					}
					break;
				default:
					kerr = k_elem(BPF_MAP_DELETE_ELEM, ofd, &key, NULL, 0);
					herr = hive_map_delete(om, &key);
					break;
				}
				if (kerr != herr)
					fail_msg("tmpl %d outer %u step %d: kernel %d hive %d", tmpl, type, step, kerr, herr);
			}
			close(ofd);
			hive_map_free(om);
		}
		for (int i = 0; i < NIN; i++) {
			close(kfd[i]);
			hive_map_free(hm[i]);
		}
	}
}

static void test_prog_array_rules(void **state)
{
	(void)state;
	NEED_BPF();
	static const uint32_t kss[] = {3, 4}, vss[] = {4, 8}, fls[] = {0, BPF_F_RDONLY_PROG, BPF_F_MMAPABLE};
	for (size_t k = 0; k < 2; k++)
		for (size_t v = 0; v < 2; v++)
			for (size_t f = 0; f < 3; f++) {
				int kfd = k_create(BPF_MAP_TYPE_PROG_ARRAY, kss[k], vss[v], 4, fls[f], 0, NULL);
				if (kfd >= 0)
					close(kfd);
				HIVE_OPTS(hive_map_opts, o, .map_flags = fls[f]);
				struct hive_map *m = NULL;
				int h = hive_map_create(HIVE_MAP_PROG_ARRAY, NULL, kss[k], vss[v], 4, &o, &m);
				hive_map_free(m);
				assert_int_equal(kfd >= 0 ? 0 : kfd, h);
			}
	int kfd = k_create(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0, 0, NULL);
	struct hive_map *m;
	assert_int_equal(hive_map_create(HIVE_MAP_PROG_ARRAY, NULL, 4, 4, 4, NULL, &m), 0);
	for (uint32_t key = 0; key < 6; key++) {
		assert_int_equal(k_elem(BPF_MAP_DELETE_ELEM, kfd, &key, NULL, 0), hive_map_delete(m, &key));
		uint32_t nk1 = 0, nk2 = 0;
		assert_int_equal(k_elem(BPF_MAP_GET_NEXT_KEY, kfd, &key, &nk1, 0), hive_map_get_next_key(m, &key, &nk2));
		assert_int_equal(nk1, nk2);
	}
	close(kfd);
	hive_map_free(m);
}

/* }===== */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_grid),
		cmocka_unit_test(test_create_names),
		cmocka_unit_test(test_access_flags),
		cmocka_unit_test(test_seq_hash),
		cmocka_unit_test(test_seq_array),
		cmocka_unit_test(test_seq_lpm),
		cmocka_unit_test(test_seq_queue_stack_bloom),
		cmocka_unit_test(test_seq_ringbuf_user_ops),
		cmocka_unit_test(test_seq_prog_array),
		cmocka_unit_test(test_seq_perf_event_array),
		cmocka_unit_test(test_spin_lock_values),
		cmocka_unit_test(test_map_in_map),
		cmocka_unit_test(test_prog_array_rules),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
