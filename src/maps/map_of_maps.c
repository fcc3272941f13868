/* Maps whose values are references: ARRAY_OF_MAPS, HASH_OF_MAPS (values
 * are inner maps) and PROG_ARRAY (values are programs, for tail calls).
 *
 * The storage is the array's or the hash's (map_array.c, map_hash.c with
 * holds_ptrs set): each value slot holds a pointer (value_size is 4 as in
 * Linux, the slot is round_up(4, 8) = 8 bytes). Through the user API the
 * value of a map-in-map is a map id (hive_map_id), where Linux takes an fd
 * and returns an id; programs get the inner struct hive_map * from
 * map_lookup_elem, as in the kernel. Prog arrays are filled with
 * hive_prog_array_set (programs have no ids here).
 *
 * Lifetimes: Linux holds a reference on what a slot points to; hive does
 * not: an inner map or a program must outlive the slots that hold it.
 */
#include <stdatomic.h>
#include <string.h>

#include "maps/map.h"
#include "maps/registry.h"

int map_fd_check(const struct map_attr *a)
{
	if (a->value_size != 4)
		return map_log(a, -EINVAL, "map: value_size %u: maps of maps and prog arrays hold 4-byte ids",
			       a->value_size);
	/* fd arrays only (the hash of maps takes them) */
	if (a->type != HIVE_MAP_HASH_OF_MAPS && (a->map_flags & (HIVE_F_RDONLY_PROG | HIVE_F_WRONLY_PROG)))
		return map_log(a, -EINVAL, "map: map_flags: RDONLY_PROG/WRONLY_PROG not supported here");
	return 0;
}

int map_meta_init(const struct map_attr *a, struct map_meta *meta)
{
	const struct hive_map *in = a->inner;
	if (!in)
		return map_log(a, -EBADF, "map of maps: opts->inner: a template inner map is required");
	if (!registry_is_live(in))
		return map_log(a, -EBADF, "map of maps: opts->inner: not a live map");
	if (in->type == HIVE_MAP_ARRAY_OF_MAPS || in->type == HIVE_MAP_HASH_OF_MAPS)
		return map_log(a, -EINVAL, "map of maps: opts->inner: one level of nesting only");
	*meta = (struct map_meta){in->type, in->key_size, in->value_size, in->max_entries, in->map_flags};
	return 0;
}

int map_inner_get(const struct hive_map *outer, uint32_t id, struct hive_map **inner)
{
	struct hive_map *m = registry_by_id(id);
	if (!m)
		return -EBADF;
	const struct map_meta *t = &outer->inner;
	if (m->type != t->type || m->key_size != t->key_size || m->value_size != t->value_size ||
	    m->map_flags != t->map_flags)
		return -EINVAL;
	/* arrays: the verifier inlines lookups, so the size must match too */
	if (m->type == HIVE_MAP_ARRAY && !(t->map_flags & HIVE_F_INNER_MAP) && m->max_entries != t->max_entries)
		return -EINVAL;
	*inner = m;
	return 0;
}
