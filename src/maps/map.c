/* The map core: the type table, BPF_MAP_CREATE's generic checks, the user
 * API (the bpf() syscall commands) and the program-side entry points.
 * Per-type behaviour is in map_<type>.c behind struct map_ops. */
#include "maps/map.h"
#include "opts.h"

#include <ctype.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maps/epoch.h"
#include "maps/lock.h"
#include "maps/mapmem.h"
#include "maps/registry.h"

/* Indexed by enum hive_map_type; NULL: not supported (-EINVAL, as an
 * unknown type in the kernel). */
static const struct map_ops *const map_types[MAP_TYPE_MAX] = {
	[HIVE_MAP_HASH] = &map_hash_ops,
	[HIVE_MAP_ARRAY] = &map_array_ops,
	[HIVE_MAP_PERCPU_HASH] = &map_percpu_hash_ops,
	[HIVE_MAP_PERCPU_ARRAY] = &map_percpu_array_ops,
	[HIVE_MAP_LRU_HASH] = &map_lru_hash_ops,
	[HIVE_MAP_LRU_PERCPU_HASH] = &map_lru_percpu_hash_ops,
	[HIVE_MAP_LPM_TRIE] = &map_lpm_ops,
	[HIVE_MAP_QUEUE] = &map_queue_ops,
	[HIVE_MAP_STACK] = &map_stack_ops,
	[HIVE_MAP_RINGBUF] = &map_ringbuf_ops,
	[HIVE_MAP_USER_RINGBUF] = &map_user_ringbuf_ops,
	[HIVE_MAP_BLOOM_FILTER] = &map_bloom_ops,
	[HIVE_MAP_PROG_ARRAY] = &map_prog_array_ops,
	[HIVE_MAP_PERF_EVENT_ARRAY] = &map_perf_event_array_ops,
	[HIVE_MAP_ARRAY_OF_MAPS] = &map_array_of_maps_ops,
	[HIVE_MAP_HASH_OF_MAPS] = &map_hash_of_maps_ops,
};

int map_log(const struct map_attr *attr, int err, const char *fmt, ...)
{
	if (!attr->log || !attr->log_size)
		return err;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(attr->log, attr->log_size, fmt, ap);
	va_end(ap);
	return err;
}

/* {===== possible CPUs */

static int map_ncpus_cached;

/* Parse a cpulist ("0-3,5") and return the highest CPU + 1, as
 * num_possible_cpus() sees it on a machine without holes. */
int map_parse_cpulist(const char *s)
{
	int max = -1;
	while (*s && *s != '\n') {
		char *end;
		long a = strtol(s, &end, 10), b = a;
		if (end == s)
			return -1;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s)
				return -1;
		}
		if (b > max)
			max = (int)b;
		s = *end == ',' ? end + 1 : end;
	}
	return max + 1;
}

int hive_num_possible_cpus(void)
{
	int n = __atomic_load_n(&map_ncpus_cached, __ATOMIC_RELAXED);
	if (n > 0)
		return n;
	char buf[256] = "";
	FILE *f = fopen("/sys/devices/system/cpu/possible", "re");
	if (f) {
		if (!fgets(buf, sizeof buf, f))
			buf[0] = 0;
		fclose(f);
	}
	n = map_parse_cpulist(buf);
	if (n <= 0) {
		long c = sysconf(_SC_NPROCESSORS_CONF);
		n = c > 0 ? (int)c : 1;
	}
	__atomic_store_n(&map_ncpus_cached, n, __ATOMIC_RELAXED);
	return n;
}

uint32_t map_this_cpu(const struct hive_map *map)
{
	int c = sched_getcpu();
	if (c < 0)
		c = 0;
	return (uint32_t)c % map->ncpus;
}

/* }===== */

/* {===== creation */

/* bpf_obj_name_cpy: at most 15 characters of [A-Za-z0-9_.] */
static bool map_name_ok(const char *name)
{
	if (!name)
		return true;
	size_t i = 0;
	for (; name[i]; i++) {
		if (i >= MAP_NAME_LEN - 1)
			return false;
		unsigned char c = (unsigned char)name[i];
		if (!isalnum(c) && c != '_' && c != '.')
			return false;
	}
	return true;
}

static bool map_opts_valid(const struct hive_map_opts *opts)
{
	if (!opts)
		return true;
	return opts_valid(opts, sizeof(*opts));
}

#define MAP_OPT(o, f, d) ((o) && (o)->sz > offsetof(struct hive_map_opts, f) ? (o)->f : (d))

int hive_map_create(enum hive_map_type type, const char *name, uint32_t key_size, uint32_t value_size,
		    uint32_t max_entries, const struct hive_map_opts *opts, struct hive_map **out)
{
	if (!out)
		return -EINVAL;
	*out = NULL;
	struct map_attr attr = {
		.type = type,
		.key_size = key_size,
		.value_size = value_size,
		.max_entries = max_entries,
		.map_flags = MAP_OPT(opts, map_flags, 0),
		.numa_node = MAP_OPT(opts, numa_node, 0),
		.map_extra = MAP_OPT(opts, map_extra, 0),
		.inner = MAP_OPT(opts, inner, NULL),
		.spin_lock = MAP_OPT(opts, spin_lock, false),
		.spin_lock_off = MAP_OPT(opts, spin_lock_off, 0),
		.timer = MAP_OPT(opts, timer, false),
		.timer_off = MAP_OPT(opts, timer_off, 0),
		.log = MAP_OPT(opts, log_buf, NULL),
		.log_size = MAP_OPT(opts, log_size, 0),
	};
	if (attr.log && attr.log_size)
		attr.log[0] = 0;
	if (!map_opts_valid(opts))
		return map_log(&attr, -EINVAL, "map: opts: bad size or unknown fields set");

	/* the order of the syscall: map_extra, file flags, numa node, type, type checks */
	if (type != HIVE_MAP_BLOOM_FILTER && attr.map_extra)
		return map_log(&attr, -EINVAL, "map: map_extra %llu: only bloom filters take it",
			       (unsigned long long)attr.map_extra);
	if ((attr.map_flags & HIVE_F_RDONLY) && (attr.map_flags & HIVE_F_WRONLY))
		return map_log(&attr, -EINVAL, "map: map_flags: RDONLY and WRONLY together");
	if (attr.map_flags & HIVE_F_NUMA_NODE) {
		char path[64];
		snprintf(path, sizeof path, "/sys/devices/system/node/node%u", attr.numa_node);
		if (attr.numa_node && access(path, F_OK))
			return map_log(&attr, -EINVAL, "map: numa_node %u: no such node", attr.numa_node);
	} else {
		attr.numa_node = (uint32_t)-1;
	}
	if ((unsigned)type >= MAP_TYPE_MAX || !map_types[type])
		return map_log(&attr, -EINVAL, "map: type %u: unknown or not supported", (unsigned)type);
	const struct map_ops *ops = map_types[type];
	int err = ops->check(&attr);
	if (err)
		return err;
	if (!map_name_ok(name))
		return map_log(&attr, -EINVAL, "map: name: at most 15 characters of [A-Za-z0-9_.]");
	if (attr.spin_lock) { /* map_check_btf */
		if (type != HIVE_MAP_HASH && type != HIVE_MAP_ARRAY)
			return map_log(&attr, -EOPNOTSUPP, "%s map: spin_lock: only hash and array values hold one",
				       ops->name);
		if (attr.spin_lock_off % 4 || (uint64_t)attr.spin_lock_off + 4 > value_size)
			return map_log(&attr, -EINVAL, "%s map: spin_lock_off %u: not a 4-byte slot of the value",
				       ops->name, attr.spin_lock_off);
	}
	if (attr.timer) { /* map_check_btf: bpf_timer only in these */
		if (type != HIVE_MAP_HASH && type != HIVE_MAP_ARRAY && type != HIVE_MAP_LRU_HASH)
			return map_log(&attr, -EOPNOTSUPP, "%s map: timer: only hash, lru_hash and array values hold one",
				       ops->name);
		if (attr.timer_off % 8 || (uint64_t)attr.timer_off + MAP_TIMER_SIZE > value_size)
			return map_log(&attr, -EINVAL, "%s map: timer_off %u: not an 8-aligned 16-byte slot of the value",
				       ops->name, attr.timer_off);
		if (attr.spin_lock && attr.spin_lock_off + 4 > attr.timer_off &&
		    attr.spin_lock_off < attr.timer_off + MAP_TIMER_SIZE)
			return map_log(&attr, -EINVAL, "%s map: timer_off %u overlaps the spin lock", ops->name,
				       attr.timer_off);
	}

	struct hive_map *map;
	err = ops->alloc(&attr, &map);
	if (err)
		return err == -ENOMEM ? map_log(&attr, err, "%s map: out of memory", ops->name) : err;
	map->ops = ops;
	map->type = type;
	map->key_size = key_size;
	map->value_size = value_size;
	if (!map->max_entries)
		map->max_entries = max_entries;
	map->map_flags = attr.map_flags;
	map->numa_node = attr.numa_node;
	map->map_extra = attr.map_extra;
	map->has_lock = attr.spin_lock;
	map->lock_off = attr.spin_lock_off;
	map->has_timer = attr.timer;
	map->timer_off = attr.timer_off;
	if (!map->ncpus)
		map->ncpus = 1;
	if (name)
		strcpy(map->name, name);
	err = registry_add(map);
	if (err) {
		ops->free(map);
		return map_log(&attr, err, "%s map: out of memory", ops->name);
	}
	*out = map;
	return 0;
}

void hive_map_free(struct hive_map *map)
{
	if (!map)
		return;
	registry_remove(map);
	if (map->has_timer)
		timer_map_free(map);
	map->ops->free(map);
	epoch_reclaim();
}

/* }===== */

/* {===== values with a bpf_spin_lock */

void map_copy_value(const struct hive_map *map, void *dst, const void *src)
{
	if (!map->has_lock && !map->has_timer) {
		memcpy(dst, src, map->value_size);
		return;
	}
	/* copy around the special fields (at most two), in offset order */
	uint32_t hole[2][2], n = 0;
	if (map->has_lock)
		hole[n][0] = map->lock_off, hole[n][1] = map->lock_off + 4, n++;
	if (map->has_timer)
		hole[n][0] = map->timer_off, hole[n][1] = map->timer_off + MAP_TIMER_SIZE, n++;
	if (n == 2 && hole[1][0] < hole[0][0]) {
		uint32_t a = hole[0][0], b = hole[0][1];
		hole[0][0] = hole[1][0], hole[0][1] = hole[1][1];
		hole[1][0] = a, hole[1][1] = b;
	}
	uint32_t at = 0;
	for (uint32_t i = 0; i < n; i++) {
		memcpy((uint8_t *)dst + at, (const uint8_t *)src + at, hole[i][0] - at);
		at = hole[i][1];
	}
	memcpy((uint8_t *)dst + at, (const uint8_t *)src + at, map->value_size - at);
}

void map_copy_value_locked(const struct hive_map *map, void *dst, const void *src, bool lock_src)
{
	_Atomic uint32_t *lock = (_Atomic uint32_t *)((uint8_t *)(lock_src ? (void *)(uintptr_t)src : dst) + map->lock_off);
	lock_spin(lock);
	map_copy_value(map, dst, src);
	lock_unspin(lock);
}

void map_init_value(const struct hive_map *map, void *dst)
{
	if (map->has_lock)
		memset((uint8_t *)dst + map->lock_off, 0, 4);
	if (map->has_timer)
		memset((uint8_t *)dst + map->timer_off, 0, MAP_TIMER_SIZE);
}

/* }===== */

/* {===== user API (the bpf() commands) */

static bool map_is_queue_like(const struct hive_map *map)
{
	return map->type == HIVE_MAP_QUEUE || map->type == HIVE_MAP_STACK ||
	       map->type == HIVE_MAP_BLOOM_FILTER;
}

void map_copy_user_value(const struct hive_map *map, void *dst, const void *src, uint64_t elem_flags)
{
	if (map->holds_ptrs) {
		const struct hive_map *inner;
		memcpy(&inner, src, sizeof inner);
		uint32_t id = inner ? inner->id : 0;
		memcpy(dst, &id, 4);
		return;
	}
	if (map->percpu) {
		memcpy(dst, src, hive_map_user_value_size(map));
		return;
	}
	if (elem_flags & HIVE_F_LOCK)
		map_copy_value_locked(map, dst, src, true);
	else
		map_copy_value(map, dst, src);
	map_init_value(map, dst);
}

/* bpf_map_copy_value: the caller is inside an epoch section. */
static int map_user_copy(struct hive_map *map, const void *key, void *value, uint64_t flags)
{
	if (map_is_queue_like(map))
		return (int)map->ops->peek(map, value);
	if (map->ops->user_lookup && !map->has_lock && !map->has_timer)
		return map->ops->user_lookup(map, key, value);
	void *p = map->ops->lookup(map, key);
	if (!p)
		return -ENOENT;
	map_copy_user_value(map, value, p, flags);
	return 0;
}

int hive_map_lookup_flags(struct hive_map *map, const void *key, void *value, uint64_t flags)
{
	if (!map || !value || (!key != !map->key_size)) /* a key exactly when the map has keys */
		return -EINVAL;
	if (flags & ~(uint64_t)HIVE_F_LOCK)
		return -EINVAL;
	if (map->map_flags & HIVE_F_WRONLY)
		return -EPERM;
	if ((flags & HIVE_F_LOCK) && !map->has_lock)
		return -EINVAL;
	epoch_enter();
	int err = map_user_copy(map, key, value, flags);
	epoch_exit();
	return err;
}

int hive_map_lookup(struct hive_map *map, const void *key, void *value)
{
	return hive_map_lookup_flags(map, key, value, 0);
}

/* bpf_map_update_value: the caller is inside an epoch section. */
static int map_user_store(struct hive_map *map, const void *key, const void *value, uint64_t flags)
{
	if (map_is_queue_like(map))
		return (int)map->ops->push(map, value, flags);
	if (map->ops->user_update)
		return map->ops->user_update(map, key, value, flags);
	return (int)map->ops->update(map, key, value, flags);
}

int hive_map_update(struct hive_map *map, const void *key, const void *value, uint64_t flags)
{
	if (!map || !value || (!key != !map->key_size)) /* a key exactly when the map has keys */
		return -EINVAL;
	if ((map->map_flags & HIVE_F_RDONLY) || map->frozen)
		return -EPERM;
	if ((flags & HIVE_F_LOCK) && !map->has_lock)
		return -EINVAL; /* no bpf_spin_lock in the value */
	epoch_enter();
	int err = map_user_store(map, key, value, flags);
	epoch_exit();
	return err;
}

int hive_map_delete(struct hive_map *map, const void *key)
{
	if (!map || (!key != !map->key_size)) /* a key exactly when the map has keys */
		return -EINVAL;
	if ((map->map_flags & HIVE_F_RDONLY) || map->frozen)
		return -EPERM;
	epoch_enter();
	int err = (int)map->ops->delete(map, key);
	epoch_exit();
	return err;
}

int hive_map_get_next_key(struct hive_map *map, const void *key, void *next_key)
{
	if (!map || !next_key || (key && !map->key_size))
		return -EINVAL;
	if (map->map_flags & HIVE_F_WRONLY)
		return -EPERM;
	epoch_enter();
	int err = map->ops->get_next_key(map, key, next_key);
	epoch_exit();
	return err;
}

int hive_map_lookup_and_delete(struct hive_map *map, const void *key, void *value)
{
	if (!map || !value || (!key != !map->key_size)) /* a key exactly when the map has keys */
		return -EINVAL;
	if ((map->map_flags & (HIVE_F_RDONLY | HIVE_F_WRONLY)) || map->frozen)
		return -EPERM;
	if (!map->ops->lookup_and_delete)
		return -HIVE_ENOTSUPP;
	epoch_enter();
	int err = map->ops->lookup_and_delete(map, key, value, 0);
	epoch_exit();
	return err;
}

/* {===== batch commands (BPF_MAP_*_BATCH) */

#define BATCH_OPT(o, f, d) ((o) && (o)->sz > offsetof(struct hive_map_batch_opts, f) ? (o)->f : (d))

static bool map_batch_opts_valid(const struct hive_map_batch_opts *opts)
{
	if (!opts)
		return true;
	return opts_valid(opts, sizeof(*opts));
}

/* bpf_map_do_batch's checks, in its order: access rights, then support. */
static int map_batch_check(struct hive_map *map, const void *keys, const uint32_t *count,
			   const struct hive_map_batch_opts *opts, bool read, bool write, uint8_t cmd)
{
	if (!map || !count || !keys || !map_batch_opts_valid(opts))
		return -EINVAL;
	if (write && (map->map_flags & HIVE_F_RDONLY))
		return -EPERM;
	if (read && (map->map_flags & HIVE_F_WRONLY))
		return -EPERM;
	if (!(map->ops->batch & cmd))
		return -HIVE_ENOTSUPP;
	return 0;
}

/* elem_flags as generic_map_*_batch take them: 0 or HIVE_F_LOCK */
static int map_batch_elem_flags(const struct hive_map *map, uint64_t elem_flags)
{
	if (elem_flags & ~(uint64_t)HIVE_F_LOCK)
		return -EINVAL;
	if ((elem_flags & HIVE_F_LOCK) && !map->has_lock)
		return -EINVAL;
	return 0;
}

/* generic_map_lookup_batch: keys in get_next_key order from the key after
 * *in_batch (NULL: the first), keys without a value skipped (as Linux 6.x),
 * *out_batch = the last key copied. */
static int map_generic_lookup_batch(struct hive_map *map, const void *in_batch, void *out_batch, void *keys,
				    void *values, uint32_t *count, uint64_t elem_flags)
{
	int err = map_batch_elem_flags(map, elem_flags);
	if (err)
		return err;
	uint32_t max = *count, cp = 0;
	if (!max)
		return 0;
	*count = 0;
	size_t vsize = map->holds_ptrs ? 4 : hive_map_user_value_size(map);
	uint8_t *skipped = malloc(map->key_size ? map->key_size : 1);
	if (!skipped)
		return -ENOMEM;
	const uint8_t *prev = in_batch;
	epoch_enter();
	while (cp < max) {
		uint8_t *key = (uint8_t *)keys + (size_t)cp * map->key_size;
		err = map->ops->get_next_key(map, prev, key);
		if (err)
			break;
		err = map_user_copy(map, key, (uint8_t *)values + (size_t)cp * vsize, elem_flags);
		if (err == -ENOENT) { /* no value there (an empty map-in-map slot, a race): skip the key */
			memcpy(skipped, key, map->key_size);
			prev = skipped;
			continue;
		}
		if (err)
			break;
		prev = key;
		cp++;
	}
	epoch_exit();
	free(skipped);
	*count = cp;
	if (cp)
		memcpy(out_batch, (uint8_t *)keys + (size_t)(cp - 1) * map->key_size, map->key_size);
	return err;
}

int hive_map_lookup_batch(struct hive_map *map, const void *in_batch, void *out_batch, void *keys, void *values,
			  uint32_t *count, const struct hive_map_batch_opts *opts)
{
	int err = map_batch_check(map, keys, count, opts, true, false, MAP_BATCH_LOOKUP);
	if (err)
		return err;
	if (!values || !out_batch)
		return -EINVAL;
	uint64_t elem_flags = BATCH_OPT(opts, elem_flags, 0), flags = BATCH_OPT(opts, flags, 0);
	if (!map->ops->lookup_batch)
		return map_generic_lookup_batch(map, in_batch, out_batch, keys, values, count, elem_flags);
	epoch_enter();
	err = map->ops->lookup_batch(map, in_batch, out_batch, keys, values, count, elem_flags, flags, false);
	epoch_exit();
	return err;
}

int hive_map_lookup_and_delete_batch(struct hive_map *map, const void *in_batch, void *out_batch, void *keys,
				     void *values, uint32_t *count, const struct hive_map_batch_opts *opts)
{
	int err = map_batch_check(map, keys, count, opts, true, true, MAP_BATCH_LOOKUP_DELETE);
	if (err)
		return err;
	if (!values || !out_batch || !map->ops->lookup_batch)
		return -EINVAL;
	epoch_enter();
	err = map->ops->lookup_batch(map, in_batch, out_batch, keys, values, count, BATCH_OPT(opts, elem_flags, 0),
				     BATCH_OPT(opts, flags, 0), true);
	epoch_exit();
	return err;
}

/* generic_map_update_batch: element by element, stopping at the first
 * error; *count = the elements updated. */
int hive_map_update_batch(struct hive_map *map, const void *keys, const void *values, uint32_t *count,
			  const struct hive_map_batch_opts *opts)
{
	int err = map_batch_check(map, keys, count, opts, false, true, MAP_BATCH_UPDATE);
	if (err)
		return err;
	uint64_t elem_flags = BATCH_OPT(opts, elem_flags, 0);
	err = map_batch_elem_flags(map, elem_flags);
	if (err)
		return err;
	uint32_t max = *count, cp = 0;
	if (!max)
		return 0;
	if (!values)
		return -EINVAL;
	size_t vsize = map->holds_ptrs ? 4 : hive_map_user_value_size(map);
	epoch_enter();
	for (; cp < max; cp++) {
		err = map_user_store(map, (const uint8_t *)keys + (size_t)cp * map->key_size,
				     (const uint8_t *)values + (size_t)cp * vsize, elem_flags);
		if (err)
			break;
	}
	epoch_exit();
	*count = cp;
	return err;
}

/* generic_map_delete_batch */
int hive_map_delete_batch(struct hive_map *map, const void *keys, uint32_t *count,
			  const struct hive_map_batch_opts *opts)
{
	int err = map_batch_check(map, keys, count, opts, false, true, MAP_BATCH_DELETE);
	if (err)
		return err;
	err = map_batch_elem_flags(map, BATCH_OPT(opts, elem_flags, 0));
	if (err)
		return err;
	uint32_t max = *count, cp = 0;
	if (!max)
		return 0;
	epoch_enter();
	for (; cp < max; cp++) {
		err = (int)map->ops->delete(map, (const uint8_t *)keys + (size_t)cp * map->key_size);
		if (err)
			break;
	}
	epoch_exit();
	*count = cp;
	return err;
}

/* }===== */

enum hive_map_type hive_map_get_type(const struct hive_map *map)
{
	return map->type;
}

uint32_t hive_map_key_size(const struct hive_map *map)
{
	return map->key_size;
}

uint32_t hive_map_value_size(const struct hive_map *map)
{
	return map->value_size;
}

size_t hive_map_user_value_size(const struct hive_map *map)
{
	return map->percpu ? (size_t)map_round8(map->value_size) * map->ncpus : map->value_size;
}

uint32_t hive_map_max_entries(const struct hive_map *map)
{
	return map->max_entries;
}

int hive_map_freeze(struct hive_map *map)
{
	/* map_freeze(): a map the user cannot write (read-only, or frozen
	 * already) cannot be frozen */
	if (!map)
		return -EINVAL;
	if ((map->map_flags & HIVE_F_RDONLY) || map->frozen)
		return -EPERM;
	map->frozen = true;
	return 0;
}

bool hive_map_is_frozen(const struct hive_map *map)
{
	return map && map->frozen;
}

uint32_t hive_map_flags(const struct hive_map *map)
{
	return map->map_flags;
}

const char *hive_map_name(const struct hive_map *map)
{
	return map->name;
}

uint32_t hive_map_id(const struct hive_map *map)
{
	return map->id;
}

struct hive_map *hive_map_from_id(uint32_t id)
{
	return registry_by_id(id);
}

/* }===== */

/* {===== program side: each call inside an epoch section of its own, which
 * nests inside the run's (see epoch.c). */

void *map_prog_lookup(struct hive_map *map, const void *key)
{
	if (map->array_values) {
		uint32_t index;
		memcpy(&index, key, 4);
		return index < map->max_entries ? map->array_values + (size_t)index * map->array_elem : NULL;
	}
	if (map->ops->no_reclaim)
		return map->ops->lookup(map, key);
	epoch_enter();
	void *p = map->ops->lookup(map, key);
	epoch_exit();
	return p;
}

void *map_prog_lookup_percpu(struct hive_map *map, const void *key, uint64_t cpu)
{
	if (!map->percpu || cpu >= map->ncpus || !map->ops->lookup_cpu)
		return NULL;
	if (map->ops->no_reclaim)
		return map->ops->lookup_cpu(map, key, (uint32_t)cpu);
	epoch_enter();
	void *p = map->ops->lookup_cpu(map, key, (uint32_t)cpu);
	epoch_exit();
	return p;
}

long map_prog_update(struct hive_map *map, const void *key, const void *value, uint64_t flags)
{
	if (map->map_flags & HIVE_F_RDONLY_PROG)
		return -EPERM;
	if (map->ops->no_reclaim)
		return map->ops->update(map, key, value, flags);
	epoch_enter();
	long err = map->ops->update(map, key, value, flags);
	epoch_exit();
	return err;
}

long map_prog_delete(struct hive_map *map, const void *key)
{
	if (map->map_flags & HIVE_F_RDONLY_PROG)
		return -EPERM;
	if (map->ops->no_reclaim)
		return map->ops->delete(map, key);
	epoch_enter();
	long err = map->ops->delete(map, key);
	epoch_exit();
	return err;
}

long map_prog_for_each(struct hive_map *map, map_each_fn cb, void *ctx, uint64_t flags)
{
	if (flags || !map->ops->for_each)
		return -EINVAL;
	epoch_enter();
	long n = map->ops->for_each(map, cb, ctx);
	epoch_exit();
	return n;
}

long map_prog_push(struct hive_map *map, const void *value, uint64_t flags)
{
	if (map->map_flags & HIVE_F_RDONLY_PROG)
		return -EPERM;
	return map->ops->push ? map->ops->push(map, value, flags) : -EINVAL;
}

long map_prog_pop(struct hive_map *map, void *value)
{
	if (map->map_flags & HIVE_F_RDONLY_PROG)
		return -EPERM;
	return map->ops->pop ? map->ops->pop(map, value) : -EINVAL;
}

long map_prog_peek(struct hive_map *map, void *value)
{
	return map->ops->peek ? map->ops->peek(map, value) : -EINVAL;
}

/* }===== */
