/* BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH.
 *
 * Layout as the kernel's hashtab.c: n_buckets = roundup_pow_of_two(max_entries),
 * bucket = jhash(key, seed) & (n_buckets - 1), new elements at the head of
 * their bucket, a replaced element's successor at the head. With
 * HIVE_F_ZERO_SEED the seed is 0 and iteration order is the kernel's.
 *
 * Concurrency: readers (lookup, get_next_key) walk the bucket lists with
 * acquire loads and take no lock. Writers of a plain or per-CPU hash take
 * the bucket's spinlock; writers of an LRU hash take one map-wide lock
 * (eviction touches two buckets and the LRU list). An element that is
 * deleted or replaced is unlinked and retired to epoch.c, so a value
 * pointer a program holds stays valid until its run ends; a replaced
 * element's value is not updated (the program sees the old value), as in
 * the kernel. Per-CPU values are updated in place.
 *
 * LRU: each element carries a reference bit that a program-side lookup sets
 * (a plain store: no lock). On inserting into a full map the writer takes the
 * least recently inserted element from the LRU list's tail; one with its
 * bit set gets a second chance (moved to the head, bit cleared). That is
 * the kernel's scheme in one list; unlike the kernel, hive evicts only when
 * the map is full and only after the update's flags were checked.
 */
#include <stdatomic.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "maps/epoch.h"
#include "maps/jhash.h"
#include "maps/lock.h"
#include "maps/map.h"
#include "maps/mapmem.h"

#define HTAB_CREATE_FLAG_MASK                                                                      \
	(HIVE_F_NO_PREALLOC | HIVE_F_NO_COMMON_LRU | HIVE_F_NUMA_NODE | MAP_F_ACCESS_MASK | HIVE_F_ZERO_SEED)

struct htab_elem {
	struct htab_elem *_Atomic next;  /* bucket list */
	struct epoch_node rcu;
	struct htab_elem *lru_prev, *lru_next;  /* under the map lock */
	_Atomic uint8_t ref;
	uint32_t hash;
	_Alignas(8) uint8_t data[];             /* key, round_up(key_size, 8), then the value */
};

struct htab_bucket {
	struct htab_elem *_Atomic head;
	_Atomic uint32_t lock;
};

struct htab {
	struct hive_map map;
	struct htab_bucket *buckets;
	uint32_t n_buckets;
	uint32_t seed;
	uint32_t key_off_value;   /* round_up(key_size, 8) */
	uint32_t value_bytes;     /* value area per element */
	bool lru;
	_Atomic uint32_t count;
	_Atomic uint32_t lru_lock;     /* LRU maps: all writers */
	struct htab_elem lru_head;     /* sentinel of the circular LRU list; head = most recent */
};

static struct htab *htab_of(struct hive_map *map)
{
	return (struct htab *)map;
}

static bool htab_is_lru(enum hive_map_type t)
{
	return t == HIVE_MAP_LRU_HASH || t == HIVE_MAP_LRU_PERCPU_HASH;
}

static bool htab_is_percpu(enum hive_map_type t)
{
	return t == HIVE_MAP_PERCPU_HASH || t == HIVE_MAP_LRU_PERCPU_HASH;
}

static int htab_check(const struct map_attr *a)
{
	bool lru = htab_is_lru(a->type), percpu = htab_is_percpu(a->type);
	bool percpu_lru = a->map_flags & HIVE_F_NO_COMMON_LRU;
	bool prealloc = !(a->map_flags & HIVE_F_NO_PREALLOC);

	if (a->map_flags & ~HTAB_CREATE_FLAG_MASK)
		return map_log(a, -EINVAL, "hash map: map_flags 0x%x: unknown flags", a->map_flags);
	if (!map_flags_access_ok(a->map_flags))
		return map_log(a, -EINVAL, "hash map: map_flags: RDONLY_PROG and WRONLY_PROG together");
	if (!lru && percpu_lru)
		return map_log(a, -EINVAL, "hash map: map_flags: NO_COMMON_LRU needs an LRU map");
	if (lru && !prealloc)
		return map_log(a, -HIVE_ENOTSUPP, "lru hash map: map_flags: NO_PREALLOC not supported");
	if (a->numa_node != (uint32_t)-1 && (percpu || percpu_lru))
		return map_log(a, -EINVAL, "hash map: map_flags: NUMA_NODE with per-CPU storage");
	if (!a->max_entries || !a->key_size || !a->value_size)
		return map_log(a, -EINVAL, "hash map: %s 0",
			       !a->max_entries ? "max_entries" : !a->key_size ? "key_size" : "value_size");
	if ((uint64_t)a->key_size + a->value_size >= MAP_KMALLOC_MAX - 48)
		return map_log(a, -E2BIG, "hash map: key_size + value_size too large");
	if (a->value_size >= MAP_KMALLOC_MAX - MAP_MAX_STACK - 48)
		return map_log(a, -E2BIG, "hash map: value_size %u too large", a->value_size);
	if (percpu && map_round8(a->value_size) > MAP_PCPU_MIN_UNIT)
		return map_log(a, -E2BIG, "percpu hash map: value_size %u: more than %u", a->value_size,
			       MAP_PCPU_MIN_UNIT);
	return 0;
}

static uint32_t htab_random_seed(void)
{
	uint32_t s;
	if (getrandom(&s, sizeof s, GRND_NONBLOCK) == (ssize_t)sizeof s)
		return s;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)(ts.tv_nsec ^ ts.tv_sec ^ (uintptr_t)&ts);
}

static int htab_alloc(const struct map_attr *a, struct hive_map **out)
{
	struct map_meta meta = {0};
	if (a->type == HIVE_MAP_HASH_OF_MAPS) {
		int err = map_meta_init(a, &meta);
		if (err)
			return err;
	}
	bool percpu = htab_is_percpu(a->type);
	uint32_t ncpus = percpu ? (uint32_t)hive_num_possible_cpus() : 1;
	uint32_t max_entries = a->max_entries;
	if (a->map_flags & HIVE_F_NO_COMMON_LRU) {
		/* each CPU's LRU list gets the same number of elements */
		uint32_t n = (uint32_t)hive_num_possible_cpus();
		uint64_t up = ((uint64_t)max_entries + n - 1) / n * n;
		max_entries = up <= UINT32_MAX ? (uint32_t)up : max_entries / n * n;
	}
	uint64_t nb = 1;
	while (nb < max_entries)
		nb <<= 1;
	if (nb > UINT32_MAX / sizeof(struct htab_bucket))
		return map_log(a, -E2BIG, "hash map: max_entries %u: too many buckets", a->max_entries);

	struct htab *h = mapmem_alloc(sizeof *h);
	if (!h)
		return -ENOMEM;
	h->buckets = mapmem_alloc(nb * sizeof(struct htab_bucket));
	if (!h->buckets) {
		mapmem_free(h);
		return -ENOMEM;
	}
	h->n_buckets = (uint32_t)nb;
	h->seed = (a->map_flags & HIVE_F_ZERO_SEED) ? 0 : htab_random_seed();
	h->key_off_value = map_round8(a->key_size);
	h->value_bytes = map_round8(a->value_size) * ncpus;
	h->lru = htab_is_lru(a->type);
	h->lru_head.lru_next = h->lru_head.lru_prev = &h->lru_head;
	h->map.ncpus = ncpus;
	h->map.percpu = percpu;
	h->map.holds_ptrs = a->type == HIVE_MAP_HASH_OF_MAPS;
	h->map.inner = meta;
	h->map.max_entries = max_entries;
	*out = &h->map;
	return 0;
}

static void htab_elem_free(struct htab_elem *e)
{
	mapmem_free_cached(e);
}

static void htab_elem_free_rcu(struct epoch_node *n)
{
	htab_elem_free((struct htab_elem *)((char *)n - offsetof(struct htab_elem, rcu)));
}

static void htab_free(struct hive_map *map)
{
	struct htab *h = htab_of(map);
	for (uint32_t i = 0; i < h->n_buckets; i++) {
		struct htab_elem *e = atomic_load_explicit(&h->buckets[i].head, memory_order_relaxed);
		while (e) {
			struct htab_elem *next = atomic_load_explicit(&e->next, memory_order_relaxed);
			htab_elem_free(e);
			e = next;
		}
	}
	mapmem_free(h->buckets);
	mapmem_free(h);
}

static uint8_t *htab_key(struct htab_elem *e)
{
	return e->data;
}

static uint8_t *htab_value(const struct htab *h, struct htab_elem *e)
{
	return e->data + h->key_off_value;
}

/* The common key sizes with the length known to the compiler: the hash
 * and the compare inline to a few instructions (lookups were a third
 * jhash and memcmp calls). */
static uint32_t htab_hash(const struct htab *h, const void *key)
{
	switch (h->map.key_size) {
	case 4: return jhash_key(key, 4, h->seed);
	case 8: return jhash_key(key, 8, h->seed);
	case 16: return jhash_key(key, 16, h->seed);
	default: return jhash_key(key, h->map.key_size, h->seed);
	}
}

static bool htab_key_eq(const struct htab *h, const void *a, const void *b)
{
	switch (h->map.key_size) {
	case 4: return !memcmp(a, b, 4);
	case 8: return !memcmp(a, b, 8);
	case 16: return !memcmp(a, b, 16);
	default: return !memcmp(a, b, h->map.key_size);
	}
}

static struct htab_bucket *htab_bucket(struct htab *h, uint32_t hash)
{
	return &h->buckets[hash & (h->n_buckets - 1)];
}

/* Lock-free walk (callers are inside an epoch section or hold the lock). */
static struct htab_elem *htab_find(struct htab *h, struct htab_bucket *b, uint32_t hash, const void *key)
{
	for (struct htab_elem *e = atomic_load_explicit(&b->head, memory_order_acquire); e;
	     e = atomic_load_explicit(&e->next, memory_order_acquire))
		if (e->hash == hash && htab_key_eq(h, htab_key(e), key))
			return e;
	return NULL;
}

/* {===== writer-side helpers: the caller holds the bucket lock (or the LRU lock) */

static void htab_writer_lock(struct htab *h, struct htab_bucket *b)
{
	lock_spin(h->lru ? &h->lru_lock : &b->lock);
}

static void htab_writer_unlock(struct htab *h, struct htab_bucket *b)
{
	lock_unspin(h->lru ? &h->lru_lock : &b->lock);
}

static void htab_unlink(struct htab_bucket *b, struct htab_elem *victim)
{
	struct htab_elem *_Atomic *pp = &b->head;
	for (struct htab_elem *e; (e = atomic_load_explicit(pp, memory_order_relaxed)); pp = &e->next) {
		if (e == victim) {
			atomic_store_explicit(pp, atomic_load_explicit(&e->next, memory_order_relaxed),
					      memory_order_release);
			return;
		}
	}
}

static void htab_lru_link(struct htab *h, struct htab_elem *e)
{
	e->lru_prev = &h->lru_head;
	e->lru_next = h->lru_head.lru_next;
	h->lru_head.lru_next->lru_prev = e;
	h->lru_head.lru_next = e;
}

static void htab_lru_unlink(struct htab_elem *e)
{
	e->lru_prev->lru_next = e->lru_next;
	e->lru_next->lru_prev = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

/* Unlink an element (bucket + LRU list) and count it out; the caller
 * retires it, after dropping the lock. */
static void htab_detach(struct htab *h, struct htab_bucket *b, struct htab_elem *e)
{
	htab_unlink(b, e);
	if (h->lru)
		htab_lru_unlink(e);
	atomic_fetch_sub(&h->count, 1);
}

/* Outside the bucket lock: a timer's cancel waits for its callback,
 * which may update this map. */
static void htab_retire(struct htab *h, struct htab_elem *e)
{
	if (!e)
		return;
	if (h->map.has_timer)
		timer_value_free(&h->map, htab_value(h, e));
	epoch_retire(&e->rcu, htab_elem_free_rcu);
}

/* Remove a linked element, count it out, retire it. */
static void htab_remove(struct htab *h, struct htab_bucket *b, struct htab_elem *e)
{
	htab_detach(h, b, e);
	htab_retire(h, e);
}

/* LRU, full map: evict by second chance from the tail. */
static void htab_lru_evict(struct htab *h)
{
	for (;;) {
		struct htab_elem *e = h->lru_head.lru_prev;
		if (e == &h->lru_head)
			return;
		if (atomic_exchange_explicit(&e->ref, 0, memory_order_relaxed)) {
			htab_lru_unlink(e);
			htab_lru_link(h, e);
			continue;
		}
		htab_remove(h, htab_bucket(h, e->hash), e);
		return;
	}
}

/* A new element holding @key, hash, and a value: the caller fills it. */
static struct htab_elem *htab_elem_new(struct htab *h, const void *key, uint32_t hash)
{
	/* special fields in the value must start zeroed; the rest is written
	 * here and by htab_fill (value padding is never read) */
	bool zero = h->map.has_lock || h->map.has_timer;
	struct htab_elem *e = mapmem_alloc_cached(sizeof *e + h->key_off_value + h->value_bytes, zero);
	if (!e)
		return NULL;
	atomic_store_explicit(&e->next, NULL, memory_order_relaxed);
	e->lru_prev = e->lru_next = NULL;
	atomic_store_explicit(&e->ref, 0, memory_order_relaxed);
	memcpy(htab_key(e), key, h->map.key_size);
	e->hash = hash;
	return e;
}

/* }===== */

static void *htab_lookup_cpu(struct hive_map *map, const void *key, uint32_t cpu)
{
	struct htab *h = htab_of(map);
	uint32_t hash = htab_hash(h, key);
	struct htab_elem *e = htab_find(h, htab_bucket(h, hash), hash, key);
	if (!e)
		return NULL;
	if (h->lru && !atomic_load_explicit(&e->ref, memory_order_relaxed))
		atomic_store_explicit(&e->ref, 1, memory_order_relaxed);
	return htab_value(h, e) + (size_t)map_round8(map->value_size) * cpu;
}

static void *htab_lookup(struct hive_map *map, const void *key)
{
	return htab_lookup_cpu(map, key, map->percpu ? map_this_cpu(map) : 0);
}

/* How the value is written: one CPU's slot (program) or all of them (user). */
enum htab_how { HTAB_PROG, HTAB_USER };

static void htab_fill(struct htab *h, struct htab_elem *e, const void *value, enum htab_how how, bool fresh)
{
	uint8_t *v = htab_value(h, e);
	if (h->map.holds_ptrs) {
		memcpy(v, value, sizeof(void *));
		return;
	}
	if (!h->map.percpu) {
		map_copy_value(&h->map, v, value); /* a new element's lock word stays 0 */
		return;
	}
	uint32_t slot = map_round8(h->map.value_size);
	if (how == HTAB_USER) {
		memcpy(v, value, (size_t)slot * h->map.ncpus);
		return;
	}
	if (fresh) /* the other CPUs' slots of a new element are zero */
		memset(v, 0, (size_t)slot * h->map.ncpus);
	memcpy(v + (size_t)slot * map_this_cpu(&h->map), value, h->map.value_size);
}

static long htab_update_how(struct hive_map *map, const void *key, const void *value, uint64_t flags,
			    enum htab_how how)
{
	struct htab *h = htab_of(map);
	if ((flags & ~(uint64_t)HIVE_F_LOCK) > HIVE_EXIST)
		return -EINVAL;
	bool locked = flags & HIVE_F_LOCK;
	if (locked && !map->has_lock)
		return -EINVAL;
	flags &= ~(uint64_t)HIVE_F_LOCK;
	uint32_t hash = htab_hash(h, key);
	struct htab_bucket *b = htab_bucket(h, hash);
	long err = 0;
	/* a plain value goes into a new element whether the key exists or
	 * not: allocate and fill it before taking the lock, which then covers
	 * only the list operations */
	struct htab_elem *e = NULL, *old = NULL;
	if (!map->percpu && !locked) {
		e = htab_elem_new(h, key, hash);
		if (!e)
			return -ENOMEM;
		htab_fill(h, e, value, how, true);
	}

	htab_writer_lock(h, b);
	old = htab_find(h, b, hash, key);
	if (old && flags == HIVE_NOEXIST) {
		err = -EEXIST;
		goto fail;
	}
	if (!old && flags == HIVE_EXIST) {
		err = -ENOENT;
		goto fail;
	}
	if (old && locked) { /* in place, under the value's own lock */
		map_copy_value_locked(map, htab_value(h, old), value, false);
		old = NULL;
		goto out;
	}
	if (old && map->percpu) { /* in place, as pcpu_copy_value */
		htab_fill(h, old, value, how, false);
		if (h->lru)
			atomic_store_explicit(&old->ref, 1, memory_order_relaxed);
		old = NULL;
		goto out;
	}
	/* a new key takes a slot: reserved atomically (buckets lock apart),
	 * or, in a full LRU map (one lock), freed by eviction */
	bool reserved = false;
	if (!old && h->lru) {
		if (atomic_load(&h->count) >= map->max_entries)
			htab_lru_evict(h);
	} else if (!old) {
		if (atomic_fetch_add(&h->count, 1) >= map->max_entries) {
			atomic_fetch_sub(&h->count, 1);
			err = -E2BIG;
			goto fail;
		}
		reserved = true;
	}
	if (!e) {
		e = htab_elem_new(h, key, hash);
		if (!e) {
			if (reserved)
				atomic_fetch_sub(&h->count, 1);
			err = -ENOMEM;
			goto fail;
		}
		htab_fill(h, e, value, how, true);
	}
	atomic_store_explicit(&e->next, atomic_load_explicit(&b->head, memory_order_relaxed),
			      memory_order_relaxed);
	atomic_store_explicit(&b->head, e, memory_order_release);
	if (!reserved && !old)
		atomic_fetch_add(&h->count, 1);
	if (h->lru)
		htab_lru_link(h, e);
	if (old) { /* replaced: the count stays, no shared counter touched */
		htab_unlink(b, old);
		if (h->lru)
			htab_lru_unlink(old);
	}
out:
	htab_writer_unlock(h, b);
	htab_retire(h, old);
	return err;
fail:
	htab_writer_unlock(h, b);
	if (e)
		htab_elem_free(e); /* never published */
	return err;
}

static long htab_update(struct hive_map *map, const void *key, const void *value, uint64_t flags)
{
	return htab_update_how(map, key, value, flags, HTAB_PROG);
}

static int htab_user_update(struct hive_map *map, const void *key, const void *value, uint64_t flags)
{
	return (int)htab_update_how(map, key, value, flags, HTAB_USER);
}

static int htab_user_lookup(struct hive_map *map, const void *key, void *value)
{
	struct htab *h = htab_of(map);
	uint32_t hash = htab_hash(h, key);
	struct htab_elem *e = htab_find(h, htab_bucket(h, hash), hash, key);
	if (!e)
		return -ENOENT;
	memcpy(value, htab_value(h, e), hive_map_user_value_size(map));
	return 0;
}

static long htab_delete(struct hive_map *map, const void *key)
{
	struct htab *h = htab_of(map);
	uint32_t hash = htab_hash(h, key);
	struct htab_bucket *b = htab_bucket(h, hash);
	htab_writer_lock(h, b);
	struct htab_elem *e = htab_find(h, b, hash, key);
	if (e)
		htab_detach(h, b, e);
	htab_writer_unlock(h, b);
	htab_retire(h, e);
	return e ? 0 : -ENOENT;
}

static int htab_lookup_and_delete(struct hive_map *map, const void *key, void *value, uint64_t flags)
{
	struct htab *h = htab_of(map);
	if (flags & ~(uint64_t)HIVE_F_LOCK)
		return -EINVAL;
	uint32_t hash = htab_hash(h, key);
	struct htab_bucket *b = htab_bucket(h, hash);
	htab_writer_lock(h, b);
	struct htab_elem *e = htab_find(h, b, hash, key);
	if (e) {
		if (map->has_lock) {
			map_copy_value(map, value, htab_value(h, e));
			map_init_value(map, value);
		} else {
			memcpy(value, htab_value(h, e), hive_map_user_value_size(map));
		}
		htab_remove(h, b, e);
	}
	htab_writer_unlock(h, b);
	return e ? 0 : -ENOENT;
}

static int htab_get_next_key(struct hive_map *map, const void *key, void *next_key)
{
	struct htab *h = htab_of(map);
	uint32_t i = 0;
	if (key) {
		uint32_t hash = htab_hash(h, key);
		struct htab_elem *e = htab_find(h, htab_bucket(h, hash), hash, key);
		if (e) {
			struct htab_elem *n = atomic_load_explicit(&e->next, memory_order_acquire);
			if (n) {
				memcpy(next_key, htab_key(n), map->key_size);
				return 0;
			}
			i = (hash & (h->n_buckets - 1)) + 1;
		}
	}
	for (; i < h->n_buckets; i++) {
		struct htab_elem *n = atomic_load_explicit(&h->buckets[i].head, memory_order_acquire);
		if (n) {
			memcpy(next_key, htab_key(n), map->key_size);
			return 0;
		}
	}
	return -ENOENT;
}

/* Elements seen in bucket order; one added or removed meanwhile may or
 * may not be visited, as in the kernel. */
static long htab_for_each(struct hive_map *map, map_each_fn cb, void *ctx)
{
	struct htab *h = htab_of(map);
	size_t off = map->percpu ? (size_t)map_round8(map->value_size) * map_this_cpu(map) : 0;
	long n = 0;
	for (uint32_t i = 0; i < h->n_buckets; i++)
		for (struct htab_elem *e = atomic_load_explicit(&h->buckets[i].head, memory_order_acquire); e;
		     e = atomic_load_explicit(&e->next, memory_order_acquire)) {
			n++;
			if (cb(map, htab_key(e), htab_value(h, e) + off, ctx))
				return n;
		}
	return n;
}

/* BPF_MAP_LOOKUP(_AND_DELETE)_BATCH as the kernel's hashtab: whole buckets
 * at a time from bucket *in_batch (a u32), never part of one; -ENOSPC if
 * the first non-empty bucket alone does not fit @count, -ENOENT (with what
 * was copied) after the last bucket; *out_batch is the next bucket. */
static int htab_lookup_batch(struct hive_map *map, const void *in_batch, void *out_batch, void *keys, void *values,
			     uint32_t *count, uint64_t elem_flags, uint64_t flags, bool del)
{
	struct htab *h = htab_of(map);
	if (elem_flags & ~(uint64_t)HIVE_F_LOCK)
		return -EINVAL;
	if ((elem_flags & HIVE_F_LOCK) && !map->has_lock)
		return -EINVAL;
	if (flags)
		return -EINVAL;
	uint32_t max = *count, total = 0, batch = 0;
	if (!max)
		return 0;
	*count = 0;
	if (in_batch)
		memcpy(&batch, in_batch, 4);
	if (batch >= h->n_buckets)
		return -ENOENT;
	size_t vsize = map->holds_ptrs ? 4 : hive_map_user_value_size(map);
	int err = 0;
	for (;;) {
		struct htab_bucket *b = &h->buckets[batch];
		uint32_t n = 0;
		if (atomic_load_explicit(&b->head, memory_order_acquire)) {
			htab_writer_lock(h, b);
			for (struct htab_elem *e = atomic_load_explicit(&b->head, memory_order_relaxed); e;
			     e = atomic_load_explicit(&e->next, memory_order_relaxed))
				n++;
			if (n > max - total) {
				htab_writer_unlock(h, b);
				if (!total)
					err = -ENOSPC;
				break;
			}
			uint8_t *dk = (uint8_t *)keys + (size_t)total * map->key_size;
			uint8_t *dv = (uint8_t *)values + (size_t)total * vsize;
			for (struct htab_elem *e = atomic_load_explicit(&b->head, memory_order_relaxed), *next; e;
			     e = next) {
				next = atomic_load_explicit(&e->next, memory_order_relaxed);
				memcpy(dk, htab_key(e), map->key_size);
				map_copy_user_value(map, dv, htab_value(h, e), elem_flags);
				if (del)
					htab_remove(h, b, e);
				dk += map->key_size;
				dv += vsize;
			}
			htab_writer_unlock(h, b);
		}
		total += n;
		if (++batch >= h->n_buckets) {
			err = -ENOENT;
			break;
		}
	}
	memcpy(out_batch, &batch, 4);
	*count = total;
	return err;
}

/* {===== HASH_OF_MAPS (see map_of_maps.c): values are inner map pointers */

static int htab_of_maps_check(const struct map_attr *a)
{
	int err = map_fd_check(a);
	return err ? err : htab_check(a);
}

static void *htab_of_maps_lookup(struct hive_map *map, const void *key)
{
	struct hive_map **slot = htab_lookup_cpu(map, key, 0);
	return slot ? *slot : NULL;
}

static long htab_of_maps_update(struct hive_map *map, const void *key, const void *value, uint64_t flags)
{
	(void)map, (void)key, (void)value, (void)flags;
	return -EINVAL; /* not from programs */
}

static int htab_of_maps_user_lookup(struct hive_map *map, const void *key, void *value)
{
	struct hive_map *inner = htab_of_maps_lookup(map, key);
	if (!inner)
		return -ENOENT;
	memcpy(value, &inner->id, 4);
	return 0;
}

static int htab_of_maps_user_update(struct hive_map *map, const void *key, const void *value, uint64_t flags)
{
	uint32_t id;
	memcpy(&id, value, 4);
	struct hive_map *inner;
	int err = map_inner_get(map, id, &inner);
	if (err)
		return err;
	return (int)htab_update_how(map, key, &inner, flags, HTAB_USER);
}

const struct map_ops map_hash_of_maps_ops = {
	.name = "hash_of_maps",
	.check = htab_of_maps_check,
	.alloc = htab_alloc,
	.free = htab_free,
	.lookup = htab_of_maps_lookup,
	.update = htab_of_maps_update,
	.delete = htab_delete,
	.get_next_key = htab_get_next_key,
	.user_lookup = htab_of_maps_user_lookup,
	.user_update = htab_of_maps_user_update,
	.batch = MAP_BATCH_LOOKUP | MAP_BATCH_LOOKUP_DELETE | MAP_BATCH_UPDATE | MAP_BATCH_DELETE,
	.lookup_batch = htab_lookup_batch,
};

/* }===== */

#define HTAB_OPS(NAME)                                                                             \
	{                                                                                          \
		.name = NAME, .check = htab_check, .alloc = htab_alloc, .free = htab_free,         \
		.lookup = htab_lookup, .lookup_cpu = htab_lookup_cpu, .update = htab_update, .delete = htab_delete,               \
		.get_next_key = htab_get_next_key, .user_lookup = htab_user_lookup,                \
		.user_update = htab_user_update, .lookup_and_delete = htab_lookup_and_delete,      \
		.for_each = htab_for_each,                                                         \
		.batch = MAP_BATCH_LOOKUP | MAP_BATCH_LOOKUP_DELETE | MAP_BATCH_UPDATE | MAP_BATCH_DELETE, \
		.lookup_batch = htab_lookup_batch,                                                 \
	}

const struct map_ops map_hash_ops = HTAB_OPS("hash");
const struct map_ops map_percpu_hash_ops = HTAB_OPS("percpu_hash");
const struct map_ops map_lru_hash_ops = HTAB_OPS("lru_hash");
const struct map_ops map_lru_percpu_hash_ops = HTAB_OPS("lru_percpu_hash");
