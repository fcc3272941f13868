/* BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY: max_entries values of
 * round_up(value_size, 8) bytes, zeroed at creation, indexed by a u32 key.
 * Elements are never freed before the map, so lookups need no protection:
 * a pointer stays valid for the map's lifetime (updates overwrite in place,
 * as in the kernel; a reader may see a torn value). */
#include <limits.h>
#include <stdatomic.h>
#include <string.h>

#include "maps/map.h"
#include "maps/mapmem.h"
#include "maps/registry.h"

#define ARRAY_CREATE_FLAG_MASK                                                                     \
	(HIVE_F_NUMA_NODE | HIVE_F_MMAPABLE | MAP_F_ACCESS_MASK | HIVE_F_PRESERVE_ELEMS | HIVE_F_INNER_MAP)

struct array_map {
	struct hive_map map;
	uint32_t elem_size;  /* round_up(value_size, 8) */
	uint8_t *values;     /* [index][cpu][elem_size] */
};

static struct array_map *array_of(struct hive_map *map)
{
	return (struct array_map *)map;
}

static int array_check(const struct map_attr *a)
{
	bool percpu = a->type == HIVE_MAP_PERCPU_ARRAY;
	if (!a->max_entries)
		return map_log(a, -EINVAL, "array map: max_entries 0");
	if (a->key_size != 4)
		return map_log(a, -EINVAL, "array map: key_size %u: must be 4", a->key_size);
	if (!a->value_size)
		return map_log(a, -EINVAL, "array map: value_size 0");
	if (a->map_flags & ~ARRAY_CREATE_FLAG_MASK)
		return map_log(a, -EINVAL, "array map: map_flags 0x%x: unknown flags", a->map_flags);
	if (!map_flags_access_ok(a->map_flags))
		return map_log(a, -EINVAL, "array map: map_flags: RDONLY_PROG and WRONLY_PROG together");
	if (percpu && a->numa_node != (uint32_t)-1)
		return map_log(a, -EINVAL, "percpu array map: map_flags: NUMA_NODE not allowed");
	if (a->type != HIVE_MAP_ARRAY && (a->map_flags & (HIVE_F_MMAPABLE | HIVE_F_INNER_MAP)))
		return map_log(a, -EINVAL, "percpu array map: map_flags: MMAPABLE/INNER_MAP only for arrays");
	if (a->type != HIVE_MAP_PERF_EVENT_ARRAY && (a->map_flags & HIVE_F_PRESERVE_ELEMS))
		return map_log(a, -EINVAL, "array map: map_flags: PRESERVE_ELEMS only for perf event arrays");
	if (a->value_size > INT_MAX)
		return map_log(a, -E2BIG, "array map: value_size %u too large", a->value_size);
	if (percpu && map_round8(a->value_size) > MAP_PCPU_MIN_UNIT)
		return map_log(a, -E2BIG, "percpu array map: value_size %u: more than %u", a->value_size,
			       MAP_PCPU_MIN_UNIT);
	return 0;
}

static int array_alloc(const struct map_attr *a, struct hive_map **out)
{
	struct map_meta meta = {0};
	if (a->type == HIVE_MAP_ARRAY_OF_MAPS) {
		int err = map_meta_init(a, &meta);
		if (err)
			return err;
	}
	bool percpu = a->type == HIVE_MAP_PERCPU_ARRAY;
	uint32_t ncpus = percpu ? (uint32_t)hive_num_possible_cpus() : 1;
	uint64_t elem = map_round8(a->value_size);
	uint64_t bytes = elem * ncpus * a->max_entries;
	if (bytes > (uint64_t)1 << 36)
		return -ENOMEM;
	struct array_map *arr = mapmem_alloc(sizeof *arr);
	if (!arr)
		return -ENOMEM;
	arr->values = mapmem_alloc((size_t)bytes);
	if (!arr->values) {
		mapmem_free(arr);
		return -ENOMEM;
	}
	arr->elem_size = (uint32_t)elem;
	arr->map.ncpus = ncpus;
	arr->map.percpu = percpu;
	arr->map.holds_ptrs = a->type == HIVE_MAP_ARRAY_OF_MAPS || a->type == HIVE_MAP_PROG_ARRAY ||
			      a->type == HIVE_MAP_PERF_EVENT_ARRAY;
	arr->map.inner = meta;
	if (a->type == HIVE_MAP_ARRAY) {
		arr->map.array_values = arr->values;
		arr->map.array_elem = arr->elem_size;
	}
	*out = &arr->map;
	return 0;
}

static void array_free(struct hive_map *map)
{
	mapmem_free(array_of(map)->values);
	mapmem_free(map);
}

static uint8_t *array_elem(struct array_map *arr, uint32_t index, uint32_t cpu)
{
	return arr->values + ((size_t)index * arr->map.ncpus + cpu) * arr->elem_size;
}

static void *array_lookup_cpu(struct hive_map *map, const void *key, uint32_t cpu)
{
	uint32_t index;
	memcpy(&index, key, 4);
	if (index >= map->max_entries)
		return NULL;
	return array_elem(array_of(map), index, cpu);
}

static void *array_lookup(struct hive_map *map, const void *key)
{
	return array_lookup_cpu(map, key, map->percpu ? map_this_cpu(map) : 0);
}

static long array_update_check(struct hive_map *map, uint32_t index, uint64_t flags)
{
	if ((flags & ~(uint64_t)HIVE_F_LOCK) > HIVE_EXIST)
		return -EINVAL;
	if (index >= map->max_entries)
		return -E2BIG;
	if (flags & HIVE_NOEXIST)
		return -EEXIST;
	if ((flags & HIVE_F_LOCK) && !map->has_lock)
		return -EINVAL;
	return 0;
}

static long array_update(struct hive_map *map, const void *key, const void *value, uint64_t flags)
{
	uint32_t index;
	memcpy(&index, key, 4);
	long err = array_update_check(map, index, flags);
	if (err)
		return err;
	uint8_t *val = array_elem(array_of(map), index, map->percpu ? map_this_cpu(map) : 0);
	if (flags & HIVE_F_LOCK)
		map_copy_value_locked(map, val, value, false);
	else
		map_copy_value(map, val, value);
	if (map->has_timer) /* as bpf_obj_free_fields after the copy */
		timer_value_free(map, val);
	return 0;
}

int64_t map_array_index(const struct hive_map *map, const void *value)
{
	const struct array_map *arr = array_of((struct hive_map *)(uintptr_t)map);
	uintptr_t p = (uintptr_t)value, base = (uintptr_t)arr->values;
	size_t span = (size_t)arr->elem_size * map->ncpus;
	if (p < base || (p - base) % span || (p - base) / span >= map->max_entries)
		return -1;
	return (int64_t)((p - base) / span);
}

static long array_delete(struct hive_map *map, const void *key)
{
	(void)map;
	(void)key;
	return -EINVAL;
}

static int array_get_next_key(struct hive_map *map, const void *key, void *next_key)
{
	uint32_t index = UINT32_MAX, next;
	if (key)
		memcpy(&index, key, 4);
	if (index >= map->max_entries) {
		next = 0;
	} else {
		if (index == map->max_entries - 1)
			return -ENOENT;
		next = index + 1;
	}
	memcpy(next_key, &next, 4);
	return 0;
}

static long array_for_each(struct hive_map *map, map_each_fn cb, void *ctx)
{
	uint32_t cpu = map->percpu ? map_this_cpu(map) : 0;
	long n = 0;
	for (uint32_t i = 0; i < map->max_entries;) {
		uint32_t key = i++;
		n++;
		if (cb(map, &key, array_elem(array_of(map), key, cpu), ctx))
			break;
	}
	return n;
}

/* per-CPU, user side: every slot, round_up(value_size, 8) bytes each */
static int percpu_array_user_lookup(struct hive_map *map, const void *key, void *value)
{
	struct array_map *arr = array_of(map);
	uint32_t index;
	memcpy(&index, key, 4);
	if (index >= map->max_entries)
		return -ENOENT;
	memcpy(value, array_elem(arr, index, 0), (size_t)arr->elem_size * map->ncpus);
	return 0;
}

static int percpu_array_user_update(struct hive_map *map, const void *key, const void *value, uint64_t flags)
{
	struct array_map *arr = array_of(map);
	uint32_t index;
	memcpy(&index, key, 4);
	long err = array_update_check(map, index, flags);
	if (err)
		return (int)err;
	memcpy(array_elem(arr, index, 0), value, (size_t)arr->elem_size * map->ncpus);
	return 0;
}

const struct map_ops map_array_ops = {
	.name = "array",
	.no_reclaim = true,
	.check = array_check,
	.alloc = array_alloc,
	.free = array_free,
	.lookup = array_lookup,
	.update = array_update,
	.delete = array_delete,
	.get_next_key = array_get_next_key,
	.for_each = array_for_each,
	.batch = MAP_BATCH_LOOKUP | MAP_BATCH_UPDATE,
};

const struct map_ops map_percpu_array_ops = {
	.name = "percpu_array",
	.no_reclaim = true,
	.check = array_check,
	.alloc = array_alloc,
	.free = array_free,
	.lookup = array_lookup,
	.lookup_cpu = array_lookup_cpu,
	.update = array_update,
	.delete = array_delete,
	.get_next_key = array_get_next_key,
	.user_lookup = percpu_array_user_lookup,
	.user_update = percpu_array_user_update,
	.for_each = array_for_each,
	.batch = MAP_BATCH_LOOKUP | MAP_BATCH_UPDATE,
};

/* {===== slots holding pointers: ARRAY_OF_MAPS and PROG_ARRAY (see map_of_maps.c) */

static int fd_array_check(const struct map_attr *a)
{
	int err = map_fd_check(a);
	return err ? err : array_check(a);
}

static void *_Atomic *fd_array_slot(struct hive_map *map, const void *key)
{
	uint32_t index;
	memcpy(&index, key, 4);
	if (index >= map->max_entries)
		return NULL;
	return (void *_Atomic *)array_elem(array_of(map), index, 0);
}

/* programs get the inner map itself */
static void *array_of_maps_lookup(struct hive_map *map, const void *key)
{
	void *_Atomic *slot = fd_array_slot(map, key);
	return slot ? atomic_load_explicit(slot, memory_order_acquire) : NULL;
}

static void *prog_array_lookup(struct hive_map *map, const void *key)
{
	(void)map;
	(void)key;
	return NULL; /* programs tail-call or output through these, they do not look up */
}

static long fd_array_update(struct hive_map *map, const void *key, const void *value, uint64_t flags)
{
	(void)map, (void)key, (void)value, (void)flags;
	return -EINVAL; /* not from programs */
}

static long fd_array_delete(struct hive_map *map, const void *key)
{
	uint32_t index;
	memcpy(&index, key, 4);
	if (index >= map->max_entries)
		return -E2BIG;
	void *old = atomic_exchange(fd_array_slot(map, key), NULL);
	return old ? 0 : -ENOENT;
}

static int array_of_maps_user_lookup(struct hive_map *map, const void *key, void *value)
{
	struct hive_map *inner = array_of_maps_lookup(map, key);
	if (!inner)
		return -ENOENT;
	memcpy(value, &inner->id, 4);
	return 0;
}

static int array_of_maps_user_update(struct hive_map *map, const void *key, const void *value, uint64_t flags)
{
	uint32_t index, id;
	memcpy(&index, key, 4);
	memcpy(&id, value, 4);
	if (flags != HIVE_ANY)
		return -EINVAL;
	if (index >= map->max_entries)
		return -E2BIG;
	struct hive_map *inner;
	int err = map_inner_get(map, id, &inner);
	if (err)
		return err;
	atomic_store_explicit(fd_array_slot(map, key), inner, memory_order_release);
	return 0;
}

static int prog_array_user_lookup(struct hive_map *map, const void *key, void *value)
{
	(void)map, (void)key, (void)value;
	return -EOPNOTSUPP; /* Linux returns a program id; hive programs have none */
}

static int prog_array_user_update(struct hive_map *map, const void *key, const void *value, uint64_t flags)
{
	(void)map, (void)key, (void)value, (void)flags;
	return -EOPNOTSUPP; /* no program fds: use hive_prog_array_set */
}

HIVE_API int hive_prog_array_set(struct hive_map *map, uint32_t index, const struct hive_prog *prog)
{
	if (!map || map->type != HIVE_MAP_PROG_ARRAY)
		return -EINVAL;
	if (index >= map->max_entries)
		return -E2BIG;
	if (map->map_flags & HIVE_F_RDONLY)
		return -EPERM;
	atomic_store_explicit(fd_array_slot(map, &index), (void *)(uintptr_t)prog, memory_order_release);
	return 0;
}

const struct hive_prog *map_prog_array_get(struct hive_map *map, uint32_t index)
{
	if (!map || map->type != HIVE_MAP_PROG_ARRAY || index >= map->max_entries)
		return NULL;
	return atomic_load_explicit(fd_array_slot(map, &index), memory_order_acquire);
}

/* PERF_EVENT_ARRAY: in user space a "perf event" is a RINGBUF map; slot i
 * (a CPU, usually) holds one, set through the user API with its map id
 * (Linux: a perf event fd). perf_event_output appends raw samples to it. */
static int perf_array_user_update(struct hive_map *map, const void *key, const void *value, uint64_t flags)
{
	uint32_t index, id;
	memcpy(&index, key, 4);
	memcpy(&id, value, 4);
	if (flags != HIVE_ANY)
		return -EINVAL;
	if (index >= map->max_entries)
		return -E2BIG;
	struct hive_map *rb = registry_by_id(id);
	if (!rb || rb->type != HIVE_MAP_RINGBUF)
		return -EBADF;
	atomic_store_explicit(fd_array_slot(map, key), rb, memory_order_release);
	return 0;
}

static int perf_array_user_lookup(struct hive_map *map, const void *key, void *value)
{
	(void)map, (void)key, (void)value;
	return -HIVE_ENOTSUPP;
}

long perf_event_output(struct hive_map *map, uint64_t flags, const void *data, uint64_t size)
{
	if (map->type != HIVE_MAP_PERF_EVENT_ARRAY)
		return -EINVAL;
	uint64_t index = flags & 0xffffffffu; /* BPF_F_INDEX_MASK */
	if (flags & ~(uint64_t)0xffffffffu)
		return -EINVAL;
	if (index == 0xffffffffu) /* BPF_F_CURRENT_CPU */
		index = map_this_cpu(map);
	if (index >= map->max_entries)
		return -E2BIG;
	uint32_t i = (uint32_t)index;
	struct hive_map *rb = atomic_load_explicit(fd_array_slot(map, &i), memory_order_acquire);
	if (!rb)
		return -ENOENT;
	long err = ringbuf_output(rb, data, size, 0);
	return err == -EAGAIN ? -ENOSPC : err;
}

const struct map_ops map_perf_event_array_ops = {
	.name = "perf_event_array",
	.no_reclaim = true,
	.check = fd_array_check,
	.alloc = array_alloc,
	.free = array_free,
	.lookup = prog_array_lookup,
	.update = fd_array_update,
	.delete = fd_array_delete,
	.get_next_key = array_get_next_key,
	.user_lookup = perf_array_user_lookup,
	.user_update = perf_array_user_update,
};

const struct map_ops map_array_of_maps_ops = {
	.name = "array_of_maps",
	.no_reclaim = true,
	.check = fd_array_check,
	.alloc = array_alloc,
	.free = array_free,
	.lookup = array_of_maps_lookup,
	.update = fd_array_update,
	.delete = fd_array_delete,
	.get_next_key = array_get_next_key,
	.user_lookup = array_of_maps_user_lookup,
	.user_update = array_of_maps_user_update,
	.batch = MAP_BATCH_LOOKUP | MAP_BATCH_UPDATE,
};

const struct map_ops map_prog_array_ops = {
	.name = "prog_array",
	.no_reclaim = true,
	.check = fd_array_check,
	.alloc = array_alloc,
	.free = array_free,
	.lookup = prog_array_lookup,
	.update = fd_array_update,
	.delete = fd_array_delete,
	.get_next_key = array_get_next_key,
	.user_lookup = prog_array_user_lookup,
	.user_update = prog_array_user_update,
};

/* }===== */
