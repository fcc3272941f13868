/* BPF_MAP_TYPE_BLOOM_FILTER: push sets k bits, peek tells "maybe present"
 * (0) or "certainly absent" (-ENOENT). Sizes and hashes as bloom_filter.c:
 * k = map_extra & 0xf (0: 5), max_entries * k * 7/5 bits rounded up to a
 * power of two (at least 64), bit i of value v = jhash(v, seed + i) & mask.
 * With HIVE_F_ZERO_SEED the bits set are the kernel's. Bits are set with
 * atomic OR: no lock. */
#include <stdatomic.h>
#include <string.h>
#include <sys/random.h>

#include "maps/jhash.h"
#include "maps/map.h"
#include "maps/mapmem.h"

#define BLOOM_CREATE_FLAG_MASK (HIVE_F_NUMA_NODE | HIVE_F_ZERO_SEED | MAP_F_ACCESS_MASK)

struct bloom_map {
	struct hive_map map;
	uint32_t bitset_mask;
	uint32_t hash_seed;
	uint32_t nr_hash_funcs;
	_Atomic uint64_t *bitset;
};

static struct bloom_map *bloom_of(struct hive_map *map)
{
	return (struct bloom_map *)map;
}

static int bloom_check(const struct map_attr *a)
{
	if (a->value_size > MAP_KMALLOC_MAX)
		return map_log(a, -E2BIG, "bloom filter map: value_size %u too large", a->value_size);
	if (a->key_size)
		return map_log(a, -EINVAL, "bloom filter map: key_size %u: must be 0", a->key_size);
	if (!a->value_size)
		return map_log(a, -EINVAL, "bloom filter map: value_size 0");
	if (!a->max_entries)
		return map_log(a, -EINVAL, "bloom filter map: max_entries 0");
	if (a->map_flags & ~BLOOM_CREATE_FLAG_MASK)
		return map_log(a, -EINVAL, "bloom filter map: map_flags 0x%x: unknown flags", a->map_flags);
	if (!map_flags_access_ok(a->map_flags))
		return map_log(a, -EINVAL, "bloom filter map: map_flags: RDONLY_PROG and WRONLY_PROG together");
	if (a->map_extra & ~(uint64_t)0xf)
		return map_log(a, -EINVAL, "bloom filter map: map_extra %llu: at most 15 hash functions",
			       (unsigned long long)a->map_extra);
	return 0;
}

static int bloom_alloc(const struct map_attr *a, struct hive_map **out)
{
	uint32_t k = (uint32_t)(a->map_extra & 0xf);
	if (!k)
		k = 5;
	uint64_t nr_bits = (uint64_t)a->max_entries * k, bytes;
	uint32_t mask;
	if (nr_bits > UINT32_MAX || (nr_bits / 5) * 7 > UINT32_MAX || (nr_bits / 5) * 7 > (1ULL << 31)) {
		bytes = ((uint64_t)UINT32_MAX + 7) / 8;
		mask = UINT32_MAX;
	} else {
		nr_bits = (nr_bits / 5) * 7;
		if (nr_bits <= 64) {
			nr_bits = 64;
		} else {
			uint64_t p = 1;
			while (p < nr_bits)
				p <<= 1;
			nr_bits = p;
		}
		bytes = (nr_bits + 7) / 8;
		mask = (uint32_t)(nr_bits - 1);
	}
	bytes = (bytes + 7) / 8 * 8;
	struct bloom_map *b = mapmem_alloc(sizeof *b);
	if (!b)
		return -ENOMEM;
	b->bitset = mapmem_alloc((size_t)bytes);
	if (!b->bitset) {
		mapmem_free(b);
		return -ENOMEM;
	}
	b->bitset_mask = mask;
	b->nr_hash_funcs = k;
	if (!(a->map_flags & HIVE_F_ZERO_SEED) &&
	    getrandom(&b->hash_seed, sizeof b->hash_seed, GRND_NONBLOCK) != (ssize_t)sizeof b->hash_seed)
		b->hash_seed = (uint32_t)(uintptr_t)b;
	*out = &b->map;
	return 0;
}

static void bloom_free(struct hive_map *map)
{
	mapmem_free((void *)bloom_of(map)->bitset);
	mapmem_free(map);
}

static uint32_t bloom_hash(const struct bloom_map *b, const void *value, uint32_t index)
{
	return jhash_key(value, b->map.value_size, b->hash_seed + index) & b->bitset_mask;
}

static long bloom_push(struct hive_map *map, const void *value, uint64_t flags)
{
	struct bloom_map *b = bloom_of(map);
	if (flags != HIVE_ANY)
		return -EINVAL;
	for (uint32_t i = 0; i < b->nr_hash_funcs; i++) {
		uint32_t h = bloom_hash(b, value, i);
		atomic_fetch_or_explicit(&b->bitset[h / 64], (uint64_t)1 << (h % 64), memory_order_relaxed);
	}
	return 0;
}

static long bloom_peek(struct hive_map *map, void *value)
{
	struct bloom_map *b = bloom_of(map);
	for (uint32_t i = 0; i < b->nr_hash_funcs; i++) {
		uint32_t h = bloom_hash(b, value, i);
		if (!(atomic_load_explicit(&b->bitset[h / 64], memory_order_relaxed) & ((uint64_t)1 << (h % 64))))
			return -ENOENT;
	}
	return 0;
}

static long bloom_pop(struct hive_map *map, void *value)
{
	(void)map;
	(void)value;
	return -EOPNOTSUPP;
}

static void *bloom_lookup(struct hive_map *map, const void *key)
{
	(void)map;
	(void)key;
	return NULL; /* programs use map_peek_elem */
}

static long bloom_update(struct hive_map *map, const void *key, const void *value, uint64_t flags)
{
	(void)map;
	(void)key;
	(void)value;
	(void)flags;
	return -EINVAL;
}

static long bloom_delete(struct hive_map *map, const void *key)
{
	(void)map;
	(void)key;
	return -EOPNOTSUPP;
}

static int bloom_get_next_key(struct hive_map *map, const void *key, void *next_key)
{
	(void)map;
	(void)key;
	(void)next_key;
	return -EOPNOTSUPP;
}

const struct map_ops map_bloom_ops = {
	.name = "bloom_filter",
	.no_reclaim = true,
	.check = bloom_check,
	.alloc = bloom_alloc,
	.free = bloom_free,
	.lookup = bloom_lookup,
	.update = bloom_update,
	.delete = bloom_delete,
	.push = bloom_push,
	.pop = bloom_pop,
	.peek = bloom_peek,
	.get_next_key = bloom_get_next_key,
};
