/* Map helpers: r1 is the struct hive_map pointer the loader put in place
 * of the map fd. A looked-up value is opened to a checked run (read-only
 * for BPF_F_RDONLY_PROG maps). */
#include "helpers/helpers.h"
#include "maps/map.h"
#include "maps/registry.h"
#include "vm/vm.h"

/* Trusted runs (a verified program): nothing to check, straight to the map. */
static inline bool helper_trusted(const struct hive_run *run)
{
	return run && run->prog->mode == HIVE_EXEC_TRUSTED;
}

static bool helper_map_ok(struct hive_run *run, struct hive_map *map, const void *key)
{
	if (!map) {
		hive_run_abort(run, -EINVAL, "helper: NULL map");
		return false;
	}
	if (!helper_map_live(run, map))
		return false;
	return !map->key_size || helper_mem_ok(run, key, map->key_size, false, "map key");
}

HELPER(map_lookup_elem)
{
	(void)r3, (void)r4, (void)r5;
	struct hive_map *map = (struct hive_map *)(uintptr_t)r1;
	const void *key = (const void *)(uintptr_t)r2;
	if (helper_trusted(run))
		return (uintptr_t)map_prog_lookup(map, key);
	if (!helper_map_ok(run, map, key))
		return 0;
	void *v = map_prog_lookup(map, key);
	helper_allow(run, v, map->value_size, !(map->map_flags & HIVE_F_RDONLY_PROG));
	return (uintptr_t)v;
}

HELPER(map_lookup_percpu_elem)
{
	(void)r4, (void)r5;
	struct hive_map *map = (struct hive_map *)(uintptr_t)r1;
	const void *key = (const void *)(uintptr_t)r2;
	if (!helper_map_ok(run, map, key))
		return 0;
	void *v = map_prog_lookup_percpu(map, key, r3);
	helper_allow(run, v, map->value_size, !(map->map_flags & HIVE_F_RDONLY_PROG));
	return (uintptr_t)v;
}

HELPER(map_update_elem)
{
	(void)r5;
	struct hive_map *map = (struct hive_map *)(uintptr_t)r1;
	const void *key = (const void *)(uintptr_t)r2, *value = (const void *)(uintptr_t)r3;
	if (helper_trusted(run))
		return (uint64_t)map_prog_update(map, key, value, r4);
	if (!helper_map_ok(run, map, key) || !helper_mem_ok(run, value, map->value_size, false, "map value"))
		return 0;
	return (uint64_t)map_prog_update(map, key, value, r4);
}

HELPER(map_delete_elem)
{
	(void)r3, (void)r4, (void)r5;
	struct hive_map *map = (struct hive_map *)(uintptr_t)r1;
	const void *key = (const void *)(uintptr_t)r2;
	if (!helper_map_ok(run, map, key))
		return 0;
	return (uint64_t)map_prog_delete(map, key);
}

HELPER(map_push_elem)
{
	(void)r4, (void)r5;
	struct hive_map *map = (struct hive_map *)(uintptr_t)r1;
	const void *value = (const void *)(uintptr_t)r2;
	if (!helper_map_ok(run, map, NULL) || !helper_mem_ok(run, value, map->value_size, false, "map value"))
		return 0;
	return (uint64_t)map_prog_push(map, value, r3);
}

HELPER(map_pop_elem)
{
	(void)r3, (void)r4, (void)r5;
	struct hive_map *map = (struct hive_map *)(uintptr_t)r1;
	void *value = (void *)(uintptr_t)r2;
	if (!helper_map_ok(run, map, NULL) || !helper_mem_ok(run, value, map->value_size, true, "map value"))
		return 0;
	return (uint64_t)map_prog_pop(map, value);
}

HELPER(map_peek_elem)
{
	(void)r3, (void)r4, (void)r5;
	struct hive_map *map = (struct hive_map *)(uintptr_t)r1;
	void *value = (void *)(uintptr_t)r2;
	/* a bloom filter reads the value it is asked about */
	bool write = !map || map->type != HIVE_MAP_BLOOM_FILTER;
	if (!helper_map_ok(run, map, NULL) || !helper_mem_ok(run, value, map->value_size, write, "map value"))
		return 0;
	return (uint64_t)map_prog_peek(map, value);
}
