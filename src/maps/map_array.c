/* BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY: max_entries values of
 * round_up(value_size, 8) bytes, zeroed at creation, indexed by a u32 key.
 * Elements are never freed before the map, so lookups need no protection:
 * a pointer stays valid for the map's lifetime (updates overwrite in place,
 * as in the kernel; a reader may see a torn value). */
#include <limits.h>
#include <string.h>

#include "maps/map.h"
#include "maps/mapmem.h"

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
	if (a->map_flags & HIVE_F_PRESERVE_ELEMS)
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
	if (flags & HIVE_F_LOCK)
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
	memcpy(array_elem(array_of(map), index, map->percpu ? map_this_cpu(map) : 0), value, map->value_size);
	return 0;
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
	.check = array_check,
	.alloc = array_alloc,
	.free = array_free,
	.lookup = array_lookup,
	.update = array_update,
	.delete = array_delete,
	.get_next_key = array_get_next_key,
};

const struct map_ops map_percpu_array_ops = {
	.name = "percpu_array",
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
};
