/* Batch commands against the kernel: the same random BPF_MAP_*_BATCH calls
 * (chunk sizes, chained batch tokens, flags, absent keys) on a kernel map
 * through bpf() and on a hive map give the same return codes, counts,
 * tokens, keys and values. Hash maps use BPF_F_ZERO_SEED, where hive lays
 * out buckets as the kernel does, so order is compared too. Skips the
 * kernel side when bpf() is not permitted. */
#include <errno.h>
#include <linux/bpf.h>
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

static int k_create(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.map_type = type;
	a.key_size = ks;
	a.value_size = vs;
	a.max_entries = max;
	a.map_flags = flags;
	return sys_bpf(BPF_MAP_CREATE, &a);
}

static int k_batch(int cmd, int fd, const void *in, void *out, const void *keys, const void *values, uint32_t *count,
		   uint64_t elem_flags, uint64_t flags)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.batch.map_fd = (uint32_t)fd;
	a.batch.in_batch = (uint64_t)(uintptr_t)in;
	a.batch.out_batch = (uint64_t)(uintptr_t)out;
	a.batch.keys = (uint64_t)(uintptr_t)keys;
	a.batch.values = (uint64_t)(uintptr_t)values;
	a.batch.count = *count;
	a.batch.elem_flags = elem_flags;
	a.batch.flags = flags;
	int r = sys_bpf(cmd, &a);
	*count = a.batch.count;
	return r;
}

static bool bpf_ok;

static int setup(void **state)
{
	(void)state;
	int fd = k_create(BPF_MAP_TYPE_ARRAY, 4, 4, 1, 0);
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

struct cfg {
	uint32_t type, ks, vs, max, flags;
	uint32_t key_space;
};

static bool is_percpu(uint32_t t)
{
	return t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool is_hash(uint32_t t)
{
	return t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_LRU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static size_t user_vs(const struct cfg *c)
{
	return is_percpu(c->type) ? (size_t)((c->vs + 7) / 8 * 8) * (size_t)hive_num_possible_cpus() : c->vs;
}

static void make_key(const struct cfg *c, uint8_t *key)
{
	uint32_t n = rnd(c->key_space);
	memset(key, 0, c->ks);
	if (c->type == BPF_MAP_TYPE_LPM_TRIE) {
		uint32_t plen = rnd((c->ks - 4) * 8 + 1);
		memcpy(key, &plen, 4);
		for (uint32_t i = 4; i < c->ks; i++)
			key[i] = (uint8_t)((n >> ((i - 4) % 4 * 2)) & 0xc0);
		return;
	}
	if (c->type == BPF_MAP_TYPE_ARRAY || c->type == BPF_MAP_TYPE_PERCPU_ARRAY) {
		uint32_t idx = rnd(c->max + 2);
		memcpy(key, &idx, 4);
		return;
	}
	for (uint32_t i = 0; i < c->ks; i++)
		key[i] = (uint8_t)(n * 2654435761u >> (i % 4 * 8));
}

enum { CAP = 512 };

static const char *const cmd_names[] = {
	[BPF_MAP_LOOKUP_BATCH] = "lookup_batch",
	[BPF_MAP_LOOKUP_AND_DELETE_BATCH] = "lookup_and_delete_batch",
	[BPF_MAP_UPDATE_BATCH] = "update_batch",
	[BPF_MAP_DELETE_BATCH] = "delete_batch",
};

static int h_batch(int cmd, struct hive_map *m, const void *in, void *out, void *keys, void *values, uint32_t *count,
		   uint64_t elem_flags, uint64_t flags)
{
	HIVE_OPTS(hive_map_batch_opts, o, .elem_flags = elem_flags, .flags = flags);
	switch (cmd) {
	case BPF_MAP_LOOKUP_BATCH:
		return hive_map_lookup_batch(m, in, out, keys, values, count, &o);
	case BPF_MAP_LOOKUP_AND_DELETE_BATCH:
		return hive_map_lookup_and_delete_batch(m, in, out, keys, values, count, &o);
	case BPF_MAP_UPDATE_BATCH:
		return hive_map_update_batch(m, keys, values, count, &o);
	default:
		return hive_map_delete_batch(m, keys, count, &o);
	}
}

/* Walk the map with chained lookup (and delete) batches of random sizes;
 * every call must agree. */
static void walk(const struct cfg *c, int fd, struct hive_map *m, int cmd, unsigned *calls)
{
	size_t vs = user_vs(c), tok = c->ks > 4 ? c->ks : 4;
	uint8_t *kk = malloc(CAP * c->ks), *hk = malloc(CAP * c->ks), *kv = malloc(CAP * vs), *hv = malloc(CAP * vs);
	uint8_t kin[64], hin[64], kout[64], hout[64];
	bool first = true;
	for (int guard = 0; guard < 1000; guard++) {
		uint32_t want = rnd(5) == 0 ? 0 : 1 + rnd(rnd(2) ? 4 : 40), kc = want, hc = want;
		uint64_t ef = rnd(12) == 0 ? (rnd(2) ? BPF_F_LOCK : BPF_NOEXIST) : 0;
		uint64_t fl = rnd(15) == 0 ? 1 : 0;
		memset(kout, 0x5a, sizeof kout);
		memset(hout, 0x5a, sizeof hout);
		memset(kk, 0, CAP * c->ks);
		memset(hk, 0, CAP * c->ks);
		int kerr = k_batch(cmd, fd, first ? NULL : kin, kout, kk, kv, &kc, ef, fl);
		int herr = h_batch(cmd, m, first ? NULL : hin, hout, hk, hv, &hc, ef, fl);
		(*calls)++;
		if (kerr != herr || kc != hc)
			fail_msg("type %u %s count %u ef %llu flags %llu: kernel %d (count %u), hive %d (count %u)", c->type,
				 cmd_names[cmd], want, (unsigned long long)ef, (unsigned long long)fl, kerr, kc, herr, hc);
		assert_memory_equal(kk, hk, (size_t)kc * c->ks);
		assert_memory_equal(kv, hv, (size_t)kc * vs);
		if ((kerr == 0 || kerr == -ENOENT || kerr == -ENOSPC) && kc)
			assert_memory_equal(kout, hout, is_hash(c->type) ? 4 : c->ks);
		if (kerr == -ENOENT && want)
			break;
		if (kerr == 0 && kc) { /* continue from the returned token */
			memcpy(kin, kout, tok);
			memcpy(hin, hout, tok);
			first = false;
		}
		if (kerr && kerr != -ENOSPC)
			break;
		if (kerr == -ENOSPC) /* a bucket larger than the count: ask for more next time */
			continue;
	}
	free(kk);
	free(hk);
	free(kv);
	free(hv);
}

static void run(const struct cfg *c, unsigned rounds, uint64_t seed)
{
	rng_state = seed;
	int fd = k_create(c->type, c->ks, c->vs, c->max, c->flags);
	assert_true(fd >= 0);
	HIVE_OPTS(hive_map_opts, o, .map_flags = c->flags);
	struct hive_map *m;
	assert_int_equal(hive_map_create((enum hive_map_type)c->type, NULL, c->ks, c->vs, c->max, &o, &m), 0);
	size_t vs = user_vs(c);
	uint8_t *keys = malloc(CAP * c->ks), *vals = malloc(CAP * vs);
	unsigned calls = 0;
	for (unsigned r = 0; r < rounds; r++) {
		int cmd;
		switch (rnd(8)) {
		case 0: case 1: case 2: cmd = BPF_MAP_UPDATE_BATCH; break;
		case 3: cmd = BPF_MAP_DELETE_BATCH; break;
		case 4: case 5: cmd = BPF_MAP_LOOKUP_BATCH; break;
		default: cmd = BPF_MAP_LOOKUP_AND_DELETE_BATCH; break;
		}
		if (cmd == BPF_MAP_LOOKUP_BATCH || cmd == BPF_MAP_LOOKUP_AND_DELETE_BATCH) {
			walk(c, fd, m, cmd, &calls);
			continue;
		}
		uint32_t n = rnd(5) == 0 ? 0 : 1 + rnd(c->key_space), kc = n, hc = n;
		for (uint32_t i = 0; i < n; i++)
			make_key(c, keys + (size_t)i * c->ks);
		for (size_t i = 0; i < n * vs; i++)
			vals[i] = (uint8_t)rnd(256);
		uint64_t ef = rnd(8) == 0 ? rnd(5) : 0;
		int kerr = k_batch(cmd, fd, NULL, NULL, keys, vals, &kc, ef, rnd(10) == 0);
		int herr = h_batch(cmd, m, NULL, NULL, keys, vals, &hc, ef, 0);
		calls++;
		if (kerr != herr || kc != hc)
			fail_msg("type %u %s of %u, ef %llu: kernel %d (count %u), hive %d (count %u)", c->type,
				 cmd_names[cmd], n, (unsigned long long)ef, kerr, kc, herr, hc);
	}
	/* a token past the last bucket/key */
	uint32_t kc = 4, hc = 4, big = 1u << 30;
	uint8_t kout[64], hout[64], bigkey[64] = {0};
	memcpy(bigkey, &big, 4);
	assert_int_equal(k_batch(BPF_MAP_LOOKUP_BATCH, fd, bigkey, kout, keys, vals, &kc, 0, 0),
			 h_batch(BPF_MAP_LOOKUP_BATCH, m, bigkey, hout, keys, vals, &hc, 0, 0));
	assert_int_equal(kc, hc);
	print_message("type %u: %u batch calls agree\n", c->type, calls);
	free(keys);
	free(vals);
	close(fd);
	hive_map_free(m);
}

static void test_hash_batches(void **state)
{
	(void)state;
	NEED_BPF();
	struct cfg cs[] = {
		{BPF_MAP_TYPE_HASH, 4, 8, 64, BPF_F_ZERO_SEED, 90},
		{BPF_MAP_TYPE_HASH, 4, 8, 8, BPF_F_ZERO_SEED, 40}, /* full maps: E2BIG mid-batch */
		{BPF_MAP_TYPE_HASH, 7, 5, 100, BPF_F_ZERO_SEED | BPF_F_NO_PREALLOC, 150},
		{BPF_MAP_TYPE_PERCPU_HASH, 8, 12, 32, BPF_F_ZERO_SEED, 40},
		{BPF_MAP_TYPE_LRU_HASH, 4, 8, 256, BPF_F_ZERO_SEED, 60},
		{BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 4, 256, BPF_F_ZERO_SEED, 60},
	};
	for (size_t i = 0; i < sizeof cs / sizeof *cs; i++)
		run(&cs[i], 300, 0xba7c4 + i);
}

static void test_array_lpm_batches(void **state)
{
	(void)state;
	NEED_BPF();
	struct cfg cs[] = {
		{BPF_MAP_TYPE_ARRAY, 4, 12, 50, 0, 60},
		{BPF_MAP_TYPE_PERCPU_ARRAY, 4, 5, 20, 0, 30},
		{BPF_MAP_TYPE_LPM_TRIE, 8, 8, 64, BPF_F_NO_PREALLOC, 80},
	};
	for (size_t i = 0; i < sizeof cs / sizeof *cs; i++)
		run(&cs[i], 300, 0xa77a + i);
}

/* Types without batch commands, and access flags, answer as the kernel. */
static void test_unsupported_and_access(void **state)
{
	(void)state;
	NEED_BPF();
	struct {
		uint32_t type, ks, vs, max, flags;
	} cs[] = {
		{BPF_MAP_TYPE_QUEUE, 0, 8, 4, 0},         {BPF_MAP_TYPE_STACK, 0, 8, 4, 0},
		{BPF_MAP_TYPE_BLOOM_FILTER, 0, 8, 4, 0},  {BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0},
		{BPF_MAP_TYPE_HASH, 4, 8, 4, BPF_F_RDONLY}, {BPF_MAP_TYPE_HASH, 4, 8, 4, BPF_F_WRONLY},
		{BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_RDONLY}, {BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_WRONLY},
		{BPF_MAP_TYPE_QUEUE, 0, 8, 4, BPF_F_WRONLY},
	};
	static const int cmds[] = {BPF_MAP_LOOKUP_BATCH, BPF_MAP_LOOKUP_AND_DELETE_BATCH, BPF_MAP_UPDATE_BATCH,
				   BPF_MAP_DELETE_BATCH};
	for (size_t i = 0; i < sizeof cs / sizeof *cs; i++) {
		int fd = k_create(cs[i].type, cs[i].ks, cs[i].vs, cs[i].max, cs[i].flags);
		assert_true(fd >= 0);
		HIVE_OPTS(hive_map_opts, o, .map_flags = cs[i].flags);
		struct hive_map *m;
		assert_int_equal(hive_map_create((enum hive_map_type)cs[i].type, NULL, cs[i].ks, cs[i].vs, cs[i].max, &o, &m), 0);
		for (int c = 0; c < 4; c++) {
			uint8_t keys[64] = {0}, vals[64] = {0}, out[8];
			uint32_t kc = 2, hc = 2;
			int kerr = k_batch(cmds[c], fd, NULL, out, keys, vals, &kc, 0, 0);
			int herr = h_batch(cmds[c], m, NULL, out, keys, vals, &hc, 0, 0);
			if (kerr != herr)
				fail_msg("type %u flags %x %s: kernel %d hive %d", cs[i].type, cs[i].flags, cmd_names[cmds[c]],
					 kerr, herr);
		}
		close(fd);
		hive_map_free(m);
	}
}

/* Maps of maps: values are inner maps (kernel: fds in, ids out; hive: ids). */
static void test_map_in_map_batches(void **state)
{
	(void)state;
	NEED_BPF();
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 2;
	int kin[2];
	struct hive_map *hin[2];
	uint32_t kid[2];
	for (int i = 0; i < 2; i++) {
		kin[i] = sys_bpf(BPF_MAP_CREATE, &a);
		assert_true(kin[i] >= 0);
		struct bpf_map_info info;
		union bpf_attr g;
		memset(&g, 0, sizeof g);
		memset(&info, 0, sizeof info);
		g.info.bpf_fd = (uint32_t)kin[i];
		g.info.info_len = sizeof info;
		g.info.info = (uint64_t)(uintptr_t)&info;
		assert_int_equal(sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &g), 0);
		kid[i] = info.id;
		assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, NULL, 4, 4, 2, NULL, &hin[i]), 0);
	}
	static const uint32_t types[] = {BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_HASH_OF_MAPS};
	static const int cmds[] = {BPF_MAP_LOOKUP_BATCH, BPF_MAP_LOOKUP_AND_DELETE_BATCH, BPF_MAP_UPDATE_BATCH,
				   BPF_MAP_DELETE_BATCH};
	for (int t = 0; t < 2; t++) {
		a.map_type = types[t];
		a.max_entries = 6;
		a.inner_map_fd = (uint32_t)kin[0];
		a.map_flags = t ? BPF_F_ZERO_SEED : 0; /* the kernel's bucket layout: the same buckets per batch */
		int fd = sys_bpf(BPF_MAP_CREATE, &a);
		assert_true(fd >= 0);
		HIVE_OPTS(hive_map_opts, o, .inner = hin[0], .map_flags = a.map_flags);
		struct hive_map *m;
		assert_int_equal(hive_map_create((enum hive_map_type)types[t], NULL, 4, 4, 6, &o, &m), 0);
		rng_state = 0x33 + (uint64_t)t;
		for (int step = 0; step < 200; step++) {
			int cmd = cmds[rnd(4)];
			uint32_t n = 1 + rnd(6), kc = n, hc = n, keys[8], kv[8], hv[8], kk[8], hk[8], kout = 0, hout = 0;
			for (uint32_t i = 0; i < n; i++) {
				uint32_t which = rnd(2);
				keys[i] = rnd(8);
				kv[i] = (uint32_t)kin[which];
				hv[i] = hive_map_id(hin[which]);
			}
			int kerr, herr;
			if (cmd == BPF_MAP_UPDATE_BATCH || cmd == BPF_MAP_DELETE_BATCH) {
				kerr = k_batch(cmd, fd, NULL, NULL, keys, kv, &kc, 0, 0);
				herr = h_batch(cmd, m, NULL, NULL, keys, hv, &hc, 0, 0);
			} else {
				memset(kk, 0, sizeof kk);
				memset(hk, 0, sizeof hk);
				kerr = k_batch(cmd, fd, NULL, &kout, kk, kv, &kc, 0, 0);
				herr = h_batch(cmd, m, NULL, &hout, hk, hv, &hc, 0, 0);
				if (kerr == herr && kc == hc && (kerr == 0 || kerr == -ENOENT)) {
					/* same keys (as sets for the hash), same inner maps */
					for (uint32_t i = 0; i < kc; i++) {
						uint32_t j = 0;
						while (j < hc && hk[j] != kk[i])
							j++;
						assert_true(j < hc);
						int ki = kv[i] == kid[0] ? 0 : kv[i] == kid[1] ? 1 : -1;
						int hi = hv[j] == hive_map_id(hin[0]) ? 0 : hv[j] == hive_map_id(hin[1]) ? 1 : -2;
						assert_int_equal(ki, hi);
					}
				}
			}
			if (kerr != herr || kc != hc)
				fail_msg("type %u %s: kernel %d (count %u), hive %d (count %u)", types[t], cmd_names[cmd], kerr,
					 kc, herr, hc);
		}
		close(fd);
		hive_map_free(m);
	}
	for (int i = 0; i < 2; i++) {
		close(kin[i]);
		hive_map_free(hin[i]);
	}
}

/* Without the kernel: whole buckets, -ENOSPC, the token, -ENOENT at the end. */
static void test_hash_semantics(void **state)
{
	(void)state;
	HIVE_OPTS(hive_map_opts, o, .map_flags = HIVE_F_ZERO_SEED);
	struct hive_map *m;
	assert_int_equal(hive_map_create(HIVE_MAP_HASH, NULL, 4, 4, 2, &o, &m), 0);
	uint32_t keys[4], vals[4], n, out, in;
	/* two buckets; find two keys that share one */
	uint32_t k0 = 0, k1 = 1;
	for (; k1 < 1000; k1++) {
		assert_int_equal(hive_map_update(m, &k0, &k0, 0), 0);
		assert_int_equal(hive_map_update(m, &k1, &k1, 0), 0);
		n = 1;
		int err = hive_map_lookup_batch(m, NULL, &out, keys, vals, &n, NULL);
		assert_int_equal(hive_map_delete(m, &k1), 0);
		assert_int_equal(hive_map_delete(m, &k0), 0);
		if (err == -ENOSPC) {
			assert_int_equal(n, 0);
			break;
		}
	}
	assert_true(k1 < 1000);
	assert_int_equal(hive_map_update(m, &k0, &k0, 0), 0);
	assert_int_equal(hive_map_update(m, &k1, &k1, 0), 0);
	n = 2;
	assert_int_equal(hive_map_lookup_batch(m, NULL, &out, keys, vals, &n, NULL), -ENOENT);
	assert_int_equal(n, 2);
	assert_int_equal(out, 2); /* the bucket count: the end */
	assert_true((keys[0] == k0 && keys[1] == k1) || (keys[0] == k1 && keys[1] == k0));
	assert_int_equal(vals[0], keys[0]);
	in = out;
	n = 2;
	assert_int_equal(hive_map_lookup_batch(m, &in, &out, keys, vals, &n, NULL), -ENOENT);
	assert_int_equal(n, 0);
	n = 0;
	assert_int_equal(hive_map_lookup_batch(m, NULL, &out, keys, vals, &n, NULL), 0);
	HIVE_OPTS(hive_map_batch_opts, bo, .flags = 1);
	n = 2;
	assert_int_equal(hive_map_lookup_batch(m, NULL, &out, keys, vals, &n, &bo), -EINVAL);
	n = 4;
	assert_int_equal(hive_map_lookup_and_delete_batch(m, NULL, &out, keys, vals, &n, NULL), -ENOENT);
	assert_int_equal(n, 2);
	assert_int_equal(hive_map_get_next_key(m, NULL, &in), -ENOENT);
	/* update stops at the first error: the third key does not fit */
	uint32_t ks[3] = {7, 8, 9}, vs[3] = {1, 2, 3};
	n = 3;
	assert_int_equal(hive_map_update_batch(m, ks, vs, &n, NULL), -E2BIG);
	assert_int_equal(n, 2);
	HIVE_OPTS(hive_map_batch_opts, noexist, .elem_flags = HIVE_NOEXIST);
	n = 1;
	assert_int_equal(hive_map_update_batch(m, ks, vs, &n, &noexist), -EINVAL);
	n = 3;
	assert_int_equal(hive_map_delete_batch(m, ks, &n, NULL), -ENOENT);
	assert_int_equal(n, 2);
	hive_map_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_semantics),
		cmocka_unit_test(test_hash_batches),
		cmocka_unit_test(test_array_lpm_batches),
		cmocka_unit_test(test_unsupported_and_access),
		cmocka_unit_test(test_map_in_map_batches),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
