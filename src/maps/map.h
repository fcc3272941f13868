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
	bool spin_lock;
	uint32_t spin_lock_off;
	bool timer;
	uint32_t timer_off;
	char *log;          /* may be NULL */
	size_t log_size;
};

/* A for_each_map_elem callback: 0 continues, 1 stops (the program's r0). */
typedef long (*map_each_fn)(struct hive_map *map, const void *key, void *value, void *ctx);

struct map_ops {
	const char *name;  /* "hash", as bpftool prints map types */
	/* nothing is ever freed before the map: program-side calls need no
	 * epoch section (arrays, queues, bloom filters, ring buffers) */
	bool no_reclaim;
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
	/* for_each_map_elem: call @cb on each element, this CPU's slot of
	 * per-CPU values, until it returns non-zero; the number visited */
	long (*for_each)(struct hive_map *map, map_each_fn cb, void *ctx);

	/* batch commands the kernel offers for the type (MAP_BATCH_*); the
	 * others are -ENOTSUPP. Lookup (and delete) go through lookup_batch
	 * if set (hash maps: bucket by bucket, a u32 bucket index as token),
	 * else the generic walk by get_next_key (the token is a key). */
	uint8_t batch;
	int (*lookup_batch)(struct hive_map *map, const void *in_batch, void *out_batch, void *keys, void *values,
			    uint32_t *count, uint64_t elem_flags, uint64_t flags, bool del);
};

enum { MAP_BATCH_LOOKUP = 1, MAP_BATCH_LOOKUP_DELETE = 2, MAP_BATCH_UPDATE = 4, MAP_BATCH_DELETE = 8 };

/* Map-in-map: what an inner map must look like (bpf_map_meta_equal). */
struct map_meta {
	enum hive_map_type type;
	uint32_t key_size, value_size, max_entries, map_flags;
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
	uint32_t id;          /* registry.c: unique while the map lives */
	uint32_t ncpus;       /* per-CPU maps: slots per value */
	bool percpu;
	/* values hold pointers (map-in-map, prog array): 8 bytes stored per
	 * value, the user API speaks ids */
	bool holds_ptrs;
	bool has_lock;           /* a bpf_spin_lock at lock_off in each value */
	bool frozen;             /* hive_map_freeze: the user API may only read */
	uint32_t lock_off;
	bool has_timer;          /* a struct bpf_timer at timer_off in each value */
	uint32_t timer_off;
	struct map_meta inner;   /* map-in-map */
	char name[MAP_NAME_LEN];
	/* plain arrays: the values, for map_prog_lookup without an indirect
	 * call (the kernel inlines this lookup into the program) */
	uint8_t *array_values;
	uint32_t array_elem;
};

/* The operations of each type, defined in the type's file. */
extern const struct map_ops map_array_ops, map_percpu_array_ops;
extern const struct map_ops map_hash_ops, map_percpu_hash_ops, map_lru_hash_ops, map_lru_percpu_hash_ops;
extern const struct map_ops map_lpm_ops, map_queue_ops, map_stack_ops, map_bloom_ops, map_ringbuf_ops;
extern const struct map_ops map_prog_array_ops, map_array_of_maps_ops, map_hash_of_maps_ops;
extern const struct map_ops map_perf_event_array_ops, map_user_ringbuf_ops;

/* perf_event_output: a raw sample into the ring buffer in slot
 * (flags & 0xffffffff, BPF_F_CURRENT_CPU = this CPU) of a PERF_EVENT_ARRAY. */
long perf_event_output(struct hive_map *map, uint64_t flags, const void *data, uint64_t size);

/* {===== map-in-map and prog arrays (map_of_maps.c) */
/* fd_array_map_alloc_check's extra rules: value_size 4, no *_PROG flags */
int map_fd_check(const struct map_attr *attr);
/* Record the template inner map of attr (bpf_map_meta_alloc). */
int map_meta_init(const struct map_attr *attr, struct map_meta *meta);
/* The live inner map with @id if it fits @outer's template: 0, -EBADF, -EINVAL. */
int map_inner_get(const struct hive_map *outer, uint32_t id, struct hive_map **inner);
/* }===== */

/* Tail calls: the program in slot @index of a PROG_ARRAY map, or NULL
 * (index out of range, empty slot, not a prog array). */
const struct hive_prog *map_prog_array_get(struct hive_map *map, uint32_t index);

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

/* Highest CPU + 1 of a cpulist such as "0-3,5\n"; -1 if malformed. */
int map_parse_cpulist(const char *s);

/* {===== values with a bpf_spin_lock (as the kernel's copy_map_value*) */
/* Copy value_size bytes, except the lock word when the map has one. */
void map_copy_value(const struct hive_map *map, void *dst, const void *src);
/* The same under the lock of @src (lock_src) or of @dst. */
void map_copy_value_locked(const struct hive_map *map, void *dst, const void *src, bool lock_src);
/* Zero the lock word of a value copied out (check_and_init_map_value). */
void map_init_value(const struct hive_map *map, void *dst);
/* }===== */

/* Copy the user view of a value of @map (all CPU slots, map ids, the lock
 * word zeroed; under the value's lock with HIVE_F_LOCK) from @src. */
void map_copy_user_value(const struct hive_map *map, void *dst, const void *src, uint64_t elem_flags);
/* {===== values with a bpf_timer (helpers/helper_timer.c) */
enum { MAP_TIMER_SIZE = 16 };
/* The element holding @value is deleted or replaced: cancel and free its
 * timer (a callback already running finishes). */
void timer_value_free(struct hive_map *map, void *value);
/* @map is being freed: cancel and free all its timers, waiting for a
 * callback that runs. */
void timer_map_free(struct hive_map *map);
/* Arrays: the index of @value in @map, or -1 when it is not one of its values. */
int64_t map_array_index(const struct hive_map *map, const void *value);
/* }===== */

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

/* bpf_for_each_map_elem for the interpreter, which turns the program's
 * callback into @cb: the number of elements visited, or -EINVAL (flags,
 * or a map type Linux does not iterate: only arrays and hashes). */
long map_prog_for_each(struct hive_map *map, map_each_fn cb, void *ctx, uint64_t flags);

/* Ring buffer, program side (map_ringbuf.c). */
void *ringbuf_reserve(struct hive_map *map, uint64_t size, uint64_t flags);
void ringbuf_commit(void *sample, uint64_t flags, bool discard);
/* Checked runs: is @sample a reserved, uncommitted record of a live ring? */
bool ringbuf_is_reserved_sample(const void *sample);
long ringbuf_output(struct hive_map *map, const void *data, uint64_t size, uint64_t flags);
uint64_t ringbuf_query(struct hive_map *map, uint64_t flags);

/* bpf_user_ringbuf_drain: @fn on each submitted sample of a USER_RINGBUF
 * map, in order, until it returns non-zero or none is left (at most
 * URB_MAX_SAMPLES). The samples handed to @fn, -EBUSY (another drain is
 * running), -EINVAL (flags other than BPF_RB_NO/FORCE_WAKEUP, not a user
 * ringbuf, bad positions), -E2BIG (a sample too large for a dynptr). */
enum { URB_MAX_SAMPLES = 128 * 1024 }; /* BPF_MAX_USER_RINGBUF_SAMPLES */
typedef long (*ringbuf_drain_fn)(void *ctx, void *sample, uint32_t size);
long user_ringbuf_drain(struct hive_map *map, ringbuf_drain_fn fn, void *ctx, uint64_t flags);

#endif
