/* BPF_MAP_TYPE_QUEUE (FIFO) and BPF_MAP_TYPE_STACK (LIFO): a ring of
 * max_entries + 1 slots, as queue_stack_maps.c; head is the next write,
 * tail the oldest element. No keys: push, pop and peek. Values are copied
 * in and out under the map lock, so there is nothing to reclaim. */
#include <string.h>

#include "maps/lock.h"
#include "maps/map.h"
#include "maps/mapmem.h"

#define QS_CREATE_FLAG_MASK (HIVE_F_NUMA_NODE | MAP_F_ACCESS_MASK)

struct qs_map {
	struct hive_map map;
	_Atomic uint32_t lock;
	uint32_t head, tail, size;
	uint8_t *elements;
};

static struct qs_map *qs_of(struct hive_map *map)
{
	return (struct qs_map *)map;
}

static int qs_check(const struct map_attr *a)
{
	const char *what = a->type == HIVE_MAP_QUEUE ? "queue map" : "stack map";
	if (!a->max_entries)
		return map_log(a, -EINVAL, "%s: max_entries 0", what);
	if (a->key_size)
		return map_log(a, -EINVAL, "%s: key_size %u: must be 0", what, a->key_size);
	if (!a->value_size)
		return map_log(a, -EINVAL, "%s: value_size 0", what);
	if (a->map_flags & ~QS_CREATE_FLAG_MASK)
		return map_log(a, -EINVAL, "%s: map_flags 0x%x: unknown flags", what, a->map_flags);
	if (!map_flags_access_ok(a->map_flags))
		return map_log(a, -EINVAL, "%s: map_flags: RDONLY_PROG and WRONLY_PROG together", what);
	if (a->value_size > MAP_KMALLOC_MAX)
		return map_log(a, -E2BIG, "%s: value_size %u too large", what, a->value_size);
	return 0;
}

static int qs_alloc(const struct map_attr *a, struct hive_map **out)
{
	uint64_t size = (uint64_t)a->max_entries + 1;
	uint64_t bytes = size * a->value_size;
	if (bytes > (uint64_t)1 << 36)
		return -ENOMEM;
	struct qs_map *qs = mapmem_alloc(sizeof *qs);
	if (!qs)
		return -ENOMEM;
	qs->elements = mapmem_alloc((size_t)bytes);
	if (!qs->elements) {
		mapmem_free(qs);
		return -ENOMEM;
	}
	qs->size = (uint32_t)size;
	*out = &qs->map;
	return 0;
}

static void qs_free(struct hive_map *map)
{
	mapmem_free(qs_of(map)->elements);
	mapmem_free(map);
}

static bool qs_empty(const struct qs_map *qs)
{
	return qs->head == qs->tail;
}

static bool qs_full(const struct qs_map *qs)
{
	uint32_t head = qs->head + 1;
	if (head >= qs->size)
		head = 0;
	return head == qs->tail;
}

static long qs_push(struct hive_map *map, const void *value, uint64_t flags)
{
	struct qs_map *qs = qs_of(map);
	if ((flags & HIVE_NOEXIST) || flags > HIVE_EXIST)
		return -EINVAL;
	long err = 0;
	lock_spin(&qs->lock);
	if (qs_full(qs)) {
		if (!(flags & HIVE_EXIST)) { /* BPF_EXIST: make room by dropping the oldest */
			err = -E2BIG;
			goto out;
		}
		if (++qs->tail >= qs->size)
			qs->tail = 0;
	}
	memcpy(qs->elements + (size_t)qs->head * map->value_size, value, map->value_size);
	if (++qs->head >= qs->size)
		qs->head = 0;
out:
	lock_unspin(&qs->lock);
	return err;
}

/* Peek or pop: a queue takes at tail (oldest), a stack below head (newest). */
static long qs_take(struct hive_map *map, void *value, bool delete, bool lifo)
{
	struct qs_map *qs = qs_of(map);
	long err = 0;
	lock_spin(&qs->lock);
	if (qs_empty(qs)) {
		memset(value, 0, map->value_size);
		err = -ENOENT;
		goto out;
	}
	uint32_t index = qs->tail;
	if (lifo) {
		index = qs->head - 1;
		if (index >= qs->size)
			index = qs->size - 1;
	}
	memcpy(value, qs->elements + (size_t)index * map->value_size, map->value_size);
	if (delete && lifo)
		qs->head = index;
	else if (delete && ++qs->tail >= qs->size)
		qs->tail = 0;
out:
	lock_unspin(&qs->lock);
	return err;
}

static long queue_pop(struct hive_map *map, void *value)
{
	return qs_take(map, value, true, false);
}

static long queue_peek(struct hive_map *map, void *value)
{
	return qs_take(map, value, false, false);
}

static long stack_pop(struct hive_map *map, void *value)
{
	return qs_take(map, value, true, true);
}

static long stack_peek(struct hive_map *map, void *value)
{
	return qs_take(map, value, false, true);
}

static void *qs_lookup(struct hive_map *map, const void *key)
{
	(void)map;
	(void)key;
	return NULL;
}

static long qs_update(struct hive_map *map, const void *key, const void *value, uint64_t flags)
{
	(void)map;
	(void)key;
	(void)value;
	(void)flags;
	return -EINVAL;
}

static long qs_delete(struct hive_map *map, const void *key)
{
	(void)map;
	(void)key;
	return -EINVAL;
}

static int qs_get_next_key(struct hive_map *map, const void *key, void *next_key)
{
	(void)map;
	(void)key;
	(void)next_key;
	return -EINVAL;
}

static int qs_lookup_and_delete(struct hive_map *map, const void *key, void *value, uint64_t flags)
{
	(void)key;
	if (flags)
		return -EINVAL;
	return (int)map->ops->pop(map, value);
}

const struct map_ops map_queue_ops = {
	.name = "queue",
	.no_reclaim = true,
	.check = qs_check,
	.alloc = qs_alloc,
	.free = qs_free,
	.lookup = qs_lookup,
	.update = qs_update,
	.delete = qs_delete,
	.push = qs_push,
	.pop = queue_pop,
	.peek = queue_peek,
	.get_next_key = qs_get_next_key,
	.lookup_and_delete = qs_lookup_and_delete,
};

const struct map_ops map_stack_ops = {
	.name = "stack",
	.no_reclaim = true,
	.check = qs_check,
	.alloc = qs_alloc,
	.free = qs_free,
	.lookup = qs_lookup,
	.update = qs_update,
	.delete = qs_delete,
	.push = qs_push,
	.pop = stack_pop,
	.peek = stack_peek,
	.get_next_key = qs_get_next_key,
	.lookup_and_delete = qs_lookup_and_delete,
};
