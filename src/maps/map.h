/* Maps: the common object, the per-type operations table, and the
 * program-side entry points the helpers call.
 *
 * Each map type lives in its own file (map_array.c, map_hash.c, ...) and
 * exports one `const struct map_ops` row; map.c indexes them by type in
 * map_types[] (data, like the kernel's bpf_map_types[] / bpf_map_ops), checks
 * the generic attributes, and implements the user API on top of the ops.
 *
 * Two views of a value:
 *  - the program side (lookup returns a pointer into the map, update and
 *    push take value_size bytes) sees one CPU's slot of a per-CPU map;
 *  - the user side (hive_map_lookup/update) copies all slots.
 */
#ifndef HIVE_MAPS_MAP_H
#define HIVE_MAPS_MAP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hive/hive.h"

enum {
	MAP_NAME_LEN = 16,                 /* BPF_OBJ_NAME_LEN */
	MAP_MAX_STACK = 512,               /* MAX_BPF_STACK: keys live on the stack */
	MAP_KMALLOC_MAX = 1 << 22,         /* KMALLOC_MAX_SIZE on x86-64 */
	MAP_PCPU_MIN_UNIT = 32768,         /* PCPU_MIN_UNIT_SIZE */
	MAP_TYPE_MAX = 40,
};

/* BPF_F_ACCESS_MASK */
#define MAP_F_ACCESS_MASK (HIVE_F_RDONLY | HIVE_F_RDONLY_PROG | HIVE_F_WRONLY | HIVE_F_WRONLY_PROG)

/* The attributes of BPF_MAP_CREATE that hive takes. */
struct map_attr {
	enum hive_map_type type;
	uint32_t key_size, value_size, max_entries, map_flags, numa_node;
	uint64_t map_extra;
	const struct hive_map *inner;
	char *log;          /* may be NULL */
	size_t log_size;
};

struct map_ops {
	const char *name;  /* "hash", as bpftool prints map types */
	/* attribute checks, before any allocation (map_alloc_check) */
	int (*check)(const struct map_attr *attr);
	/* allocate; the common fields are filled by map.c afterwards */
	int (*alloc)(const struct map_attr *attr, struct hive_map **out);
	void (*free)(struct hive_map *map);

	/* program side: one CPU slot of per-CPU maps */
	void *(*lookup)(struct hive_map *map, const void *key);
	/* per-CPU maps: the slot of @cpu (map_lookup_percpu_elem) */
	void *(*lookup_cpu)(struct hive_map *map, const void *key, uint32_t cpu);
	long (*update)(struct hive_map *map, const void *key, const void *value, uint64_t flags);
	long (*delete)(struct hive_map *map, const void *key);
	long (*push)(struct hive_map *map, const void *value, uint64_t flags);
	long (*pop)(struct hive_map *map, void *value);
	long (*peek)(struct hive_map *map, void *value);

	/* user side; NULL entries fall back as map.c says */
	int (*get_next_key)(struct hive_map *map, const void *key, void *next_key);
	int (*user_lookup)(struct hive_map *map, const void *key, void *value);
	int (*user_update)(struct hive_map *map, const void *key, const void *value, uint64_t flags);
	int (*lookup_and_delete)(struct hive_map *map, const void *key, void *value, uint64_t flags);
};

struct hive_map {
	const struct map_ops *ops;
	enum hive_map_type type;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t map_flags;
	uint32_t numa_node;
	uint64_t map_extra;
	uint32_t ncpus;       /* per-CPU maps: slots per value */
	bool percpu;
	char name[MAP_NAME_LEN];
};

/* The operations of each type, defined in the type's file. */
extern const struct map_ops map_array_ops, map_percpu_array_ops;
extern const struct map_ops map_hash_ops, map_percpu_hash_ops, map_lru_hash_ops, map_lru_percpu_hash_ops;
extern const struct map_ops map_lpm_ops, map_queue_ops, map_stack_ops, map_bloom_ops, map_ringbuf_ops;

/* Write "map 'name': msg" to the attr's log; returns @err. */
int map_log(const struct map_attr *attr, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* !(RDONLY_PROG && WRONLY_PROG), as bpf_map_flags_access_ok */
static inline bool map_flags_access_ok(uint32_t flags)
{
	return (flags & (HIVE_F_RDONLY_PROG | HIVE_F_WRONLY_PROG)) != (HIVE_F_RDONLY_PROG | HIVE_F_WRONLY_PROG);
}

static inline uint32_t map_round8(uint32_t n)
{
	return (uint32_t)(((uint64_t)n + 7) & ~(uint64_t)7);
}

/* The slot of the calling thread in a per-CPU value: sched_getcpu(). */
uint32_t map_this_cpu(const struct hive_map *map);

/* {===== program side: what the helpers call (r1 = the map) */
void *map_prog_lookup(struct hive_map *map, const void *key);
void *map_prog_lookup_percpu(struct hive_map *map, const void *key, uint64_t cpu);
long map_prog_update(struct hive_map *map, const void *key, const void *value, uint64_t flags);
long map_prog_delete(struct hive_map *map, const void *key);
long map_prog_push(struct hive_map *map, const void *value, uint64_t flags);
long map_prog_pop(struct hive_map *map, void *value);
long map_prog_peek(struct hive_map *map, void *value);
/* }===== */

/* Ring buffer, program side (map_ringbuf.c). */
void *ringbuf_reserve(struct hive_map *map, uint64_t size, uint64_t flags);
void ringbuf_commit(void *sample, uint64_t flags, bool discard);
long ringbuf_output(struct hive_map *map, const void *data, uint64_t size, uint64_t flags);
uint64_t ringbuf_query(struct hive_map *map, uint64_t flags);

#endif
