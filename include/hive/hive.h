/* hive — an eBPF runtime for user space.  The one public header.
 *
 * Conventions (after libbpf):
 *  - functions returning int return 0 or a negative errno (-EINVAL, -ENOMEM,
 *    -E2BIG, -EACCES when a program is refused, -EFAULT when a run faults);
 *  - constructors return int and hand the object back through **out;
 *  - options structs start with `size_t sz` and are declared with HIVE_OPTS,
 *    so that older callers keep working when fields are added;
 *  - messages go to a log buffer the caller owns.
 */
#ifndef HIVE_HIVE_H
#define HIVE_HIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HIVE_API __attribute__((visibility("default")))

/* Declare and initialise an options struct: HIVE_OPTS(hive_prog_opts, o, .mode = ...). */
#define HIVE_OPTS(TYPE, NAME, ...) struct TYPE NAME = {.sz = sizeof(struct TYPE), __VA_ARGS__}

/** @brief One eBPF instruction slot, as in Linux's struct bpf_insn. */
struct hive_insn {
	uint8_t code;
	uint8_t dst_reg : 4;
	uint8_t src_reg : 4;
	int16_t off;
	int32_t imm;
};

enum {
	HIVE_STACK_SIZE = 512, /* bytes of stack per frame */
	HIVE_MAX_FRAMES = 8,   /* call depth, the entry frame included */
	HIVE_MAX_INSNS = 1000000,
};

/* {===== environment: the helpers a program may call */

struct hive_env;
struct hive_run;

/** @brief A helper: five arguments in r1..r5 and the run it is called from. */
typedef uint64_t (*hive_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				   struct hive_run *run);

/** @brief Create an environment with no helpers. */
HIVE_API int hive_env_new(struct hive_env **out);
HIVE_API void hive_env_free(struct hive_env *env);
/** @brief Register (or replace) helper @id, called by `call id` and callx. */
HIVE_API int hive_env_set_helper(struct hive_env *env, uint32_t id, const char *name, hive_helper_fn fn);
/** @brief The helper registered for @id, or NULL. */
HIVE_API hive_helper_fn hive_env_helper(const struct hive_env *env, uint32_t id, const char **name);

/* }===== */

/* {===== programs */

struct hive_prog;

enum hive_exec_mode {
	/** Every load and store is checked against the regions the program may
	 *  touch, and the instruction budget is enforced: for programs the
	 *  verifier has not accepted. A violation stops the run with -EFAULT or
	 *  -ELOOP and the pc. */
	HIVE_EXEC_CHECKED = 0,
	/** No run-time checks: the caller (or the verifier) vouches for the program. */
	HIVE_EXEC_TRUSTED = 1,
};

struct hive_prog_opts {
	size_t sz;
	struct hive_env *env;        /* helpers; NULL: none */
	enum hive_exec_mode mode;
	uint64_t insn_budget;        /* checked mode: instructions per run; 0: 1<<24 */
	unsigned cpu_version;        /* refuse instructions newer than -mcpu=vN; 0: v4 */
	unsigned groups;             /* conformance groups allowed; 0: all */
	char *log_buf;               /* why a program was refused */
	size_t log_size;
	/* Maps the program refers to. LDDW with src = 1 (BPF_PSEUDO_MAP_FD) or
	 * 5 (BPF_PSEUDO_MAP_IDX) loads maps[imm]; src = 2 (MAP_VALUE) or 6
	 * (MAP_IDX_VALUE) loads the address of byte (second slot's imm) of the
	 * value of a one-element array map maps[imm] (global data). */
	struct hive_map **maps;
	size_t nmaps;
	size_t : 0;
};
#define hive_prog_opts__last_field nmaps

/** @brief Validate and load @cnt instructions. On refusal returns -EINVAL and
 *  writes "insn N: <disassembly>: <what is wrong>" to opts->log_buf. */
HIVE_API int hive_prog_load(const struct hive_insn *insns, size_t cnt, const struct hive_prog_opts *opts,
			    struct hive_prog **out);
HIVE_API void hive_prog_free(struct hive_prog *prog);
/** @brief The structural checks of hive_prog_load alone, without an
 *  environment: helper ids are not checked. 0 or -EINVAL with the reason in log. */
HIVE_API int hive_prog_validate(const struct hive_insn *insns, size_t cnt, char *log, size_t log_size);
HIVE_API size_t hive_prog_insn_cnt(const struct hive_prog *prog);
HIVE_API const struct hive_insn *hive_prog_insns(const struct hive_prog *prog);

/* }===== */

/* {===== running */

struct hive_run_opts {
	size_t sz;
	void *mem;              /* r1 = mem, r2 = mem_size */
	size_t mem_size;
	bool mem_readonly;      /* checked mode: stores to mem fault */
	bool use_jit;           /* run JIT code (the program must have been JIT-compiled) */
	uint64_t *regs_out;     /* if set, r0..r10 at exit (11 words) */
	/* results */
	uint64_t retval;        /* r0 at exit */
	uint32_t fault_pc;      /* instruction index of a fault */
	uint64_t insns_executed; /* checked mode: instructions this run executed */
	char errmsg[192];       /* what went wrong, for a failed run */
	size_t : 0;
};
#define hive_run_opts__last_field errmsg

/** @brief Run @prog once. Returns 0 with opts->retval set, or a negative errno:
 *  -EFAULT (memory access outside the allowed regions, checked mode),
 *  -ELOOP (instruction budget exhausted), -E2BIG (call depth), -ENOENT
 *  (call of an unregistered helper), with fault_pc and errmsg set.
 *  Re-entrant: any number of threads may run one program at once. */
HIVE_API int hive_prog_run(const struct hive_prog *prog, struct hive_run_opts *opts);

/** @brief Shortcut: run with r1 = mem, r2 = size; r0 in *retval. */
HIVE_API int hive_prog_run_mem(const struct hive_prog *prog, void *mem, size_t size, uint64_t *retval);

/** @brief From a helper: let the rest of this run access [ptr, ptr+size)
 *  in checked mode (a helper returning a pointer, e.g. a map value). */
HIVE_API int hive_run_allow(struct hive_run *run, void *ptr, size_t size, bool writable);
/** @brief From a helper: the memory the run was started with. */
HIVE_API void *hive_run_mem(struct hive_run *run, size_t *size);
/** @brief From a helper: stop the run with an error (-EFAULT, -EINVAL…). */
HIVE_API void hive_run_abort(struct hive_run *run, int err, const char *msg);

/* }===== */

/* {===== JIT */

struct hive_jit_opts {
	size_t sz;
	bool harden;       /* blind constants, as bpf_jit_harden */
	bool retpoline;    /* indirect calls through a retpoline thunk */
	size_t : 0;
};
#define hive_jit_opts__last_field retpoline

/** @brief Compile @prog to native code; returns -EOPNOTSUPP on hosts without
 *  a JIT backend (the interpreter still runs the program). */
HIVE_API int hive_prog_jit(struct hive_prog *prog, const struct hive_jit_opts *opts);
HIVE_API bool hive_prog_is_jited(const struct hive_prog *prog);

/* }===== */

/* {===== text forms */

/** @brief Disassemble insn @pc of @insns (llvm-objdump syntax) into buf.
 *  Returns the number of slots it takes (2 for LDDW) or a negative errno.
 *  An invalid slot returns -EINVAL and still fills buf with
 *  ".insn 0x<slot as a little-endian u64> # <reason>" (hive_asm reads it
 *  back); buf is always NUL-terminated when size > 0. */
HIVE_API int hive_disasm_insn(const struct hive_insn *insns, size_t cnt, size_t pc, char *buf, size_t size);

/** @brief Assemble text in the conformance-suite syntax or llvm-objdump
 *  syntax (mixed freely; labels, +N/-N targets, `#`, `;` and `//` comments,
 *  `.insn 0x<u64>` raw slots). On success *out is malloc'd (free() it).
 *  On failure returns -EINVAL (bad text), -E2BIG (more than HIVE_MAX_INSNS
 *  slots) or -ENOMEM, and writes "LINE: message" to errbuf. */
HIVE_API int hive_asm(const char *text, struct hive_insn **out, size_t *cnt, char *errbuf, size_t errsize);

/* }===== */

/* {===== maps (issue 5: src/maps) */

struct hive_map;

/* Map types, numbered as Linux's enum bpf_map_type. */
enum hive_map_type {
	HIVE_MAP_UNSPEC = 0, HIVE_MAP_HASH = 1, HIVE_MAP_ARRAY = 2, HIVE_MAP_PROG_ARRAY = 3,
	HIVE_MAP_PERF_EVENT_ARRAY = 4, HIVE_MAP_PERCPU_HASH = 5, HIVE_MAP_PERCPU_ARRAY = 6,
	HIVE_MAP_LRU_HASH = 9, HIVE_MAP_LRU_PERCPU_HASH = 10, HIVE_MAP_LPM_TRIE = 11,
	HIVE_MAP_ARRAY_OF_MAPS = 12, HIVE_MAP_HASH_OF_MAPS = 13, HIVE_MAP_QUEUE = 22,
	HIVE_MAP_STACK = 23, HIVE_MAP_RINGBUF = 27, HIVE_MAP_BLOOM_FILTER = 30,
	HIVE_MAP_USER_RINGBUF = 31,
};

/* Map creation flags, as Linux's BPF_F_* (map_flags). */
enum {
	HIVE_F_NO_PREALLOC = 1U << 0,
	HIVE_F_NO_COMMON_LRU = 1U << 1,
	HIVE_F_NUMA_NODE = 1U << 2,
	HIVE_F_RDONLY = 1U << 3,       /* user API may only read */
	HIVE_F_WRONLY = 1U << 4,       /* user API may only write */
	HIVE_F_STACK_BUILD_ID = 1U << 5,
	HIVE_F_ZERO_SEED = 1U << 6,    /* hash/bloom: hash seed 0, reproducible layout */
	HIVE_F_RDONLY_PROG = 1U << 7,  /* programs may only read */
	HIVE_F_WRONLY_PROG = 1U << 8,
	HIVE_F_CLONE = 1U << 9,
	HIVE_F_MMAPABLE = 1U << 10,
	HIVE_F_PRESERVE_ELEMS = 1U << 11,
	HIVE_F_INNER_MAP = 1U << 12,
};

/* Update flags, as Linux's BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK. */
enum {
	HIVE_ANY = 0,      /* create or replace */
	HIVE_NOEXIST = 1,  /* create only: -EEXIST if present */
	HIVE_EXIST = 2,    /* replace only: -ENOENT if absent */
	HIVE_F_LOCK = 4,   /* copy under the value's bpf_spin_lock (opts->spin_lock) */
};

/* Linux's -ENOTSUPP (kernel-internal errno 524), returned where the kernel does. */
#define HIVE_ENOTSUPP 524

struct hive_map_opts {
	size_t sz;
	uint32_t map_flags;            /* HIVE_F_* (= BPF_F_*) */
	uint32_t numa_node;            /* with HIVE_F_NUMA_NODE */
	const struct hive_map *inner;  /* map-in-map: the template inner map */
	uint64_t map_extra;            /* bloom filter: number of hash functions (0: 5) */
	char *log_buf;                 /* why creation failed, one line */
	size_t log_size;
	/* The value holds a struct bpf_spin_lock at spin_lock_off (what BTF
	 * says in Linux): hash and array maps only. Copies in and out skip
	 * it, lookups return it as zero, HIVE_F_LOCK copies under it. */
	bool spin_lock;
	uint32_t spin_lock_off;
	size_t : 0;
};
#define hive_map_opts__last_field spin_lock_off

/** @brief Create a map as BPF_MAP_CREATE would: the same attribute checks in
 *  the same order, the same errors (-EINVAL, -E2BIG, -HIVE_ENOTSUPP, -ENOMEM).
 *  On failure a line naming the bad attribute goes to opts->log_buf.
 *  @name may be NULL; otherwise at most 15 characters of [A-Za-z0-9_.]. */
HIVE_API int hive_map_create(enum hive_map_type type, const char *name, uint32_t key_size,
			     uint32_t value_size, uint32_t max_entries, const struct hive_map_opts *opts,
			     struct hive_map **out);
/** @brief Free @map. No program may be running with it. */
HIVE_API void hive_map_free(struct hive_map *map);

/* The user API mirrors the bpf() syscall commands. Values of per-CPU maps
 * are hive_map_user_value_size() bytes: one slot of value_size rounded up
 * to 8 per possible CPU, CPU 0 first. Queue, stack and bloom filter take a
 * NULL key (lookup = peek, update = push, lookup_and_delete = pop).
 * Where Linux stores file descriptors, hive stores ids: the values of
 * ARRAY_OF_MAPS/HASH_OF_MAPS are inner map ids (hive_map_id), those of
 * PERF_EVENT_ARRAY are ids of RINGBUF maps that receive the samples;
 * PROG_ARRAY slots are set with hive_prog_array_set.
 *
 * Programs see maps through the helpers (r1 = the struct hive_map *):
 * map_lookup_elem returns a pointer into the value (this CPU's slot of a
 * per-CPU map) that stays valid until the run ends, even if another
 * thread deletes or replaces the element meanwhile. */

/** @brief Copy the value of @key to @value: 0, -ENOENT, -EPERM (WRONLY map). */
HIVE_API int hive_map_lookup(struct hive_map *map, const void *key, void *value);
/** @brief hive_map_lookup with BPF_MAP_LOOKUP_ELEM's flags: 0 or HIVE_F_LOCK. */
HIVE_API int hive_map_lookup_flags(struct hive_map *map, const void *key, void *value, uint64_t flags);
/** @brief Create or replace: @flags HIVE_ANY/NOEXIST/EXIST. 0, -EEXIST,
 *  -ENOENT, -E2BIG (full hash or index out of range), -EINVAL. */
HIVE_API int hive_map_update(struct hive_map *map, const void *key, const void *value, uint64_t flags);
/** @brief 0, -ENOENT, -EINVAL (arrays cannot delete). */
HIVE_API int hive_map_delete(struct hive_map *map, const void *key);
/** @brief The key after @key in iteration order into @next_key; @key NULL
 *  or absent gives the first key. -ENOENT after the last one. */
HIVE_API int hive_map_get_next_key(struct hive_map *map, const void *key, void *next_key);
/** @brief Copy then delete (hash maps), or pop (queue/stack, key NULL). */
HIVE_API int hive_map_lookup_and_delete(struct hive_map *map, const void *key, void *value);

HIVE_API enum hive_map_type hive_map_get_type(const struct hive_map *map);
HIVE_API uint32_t hive_map_key_size(const struct hive_map *map);
HIVE_API uint32_t hive_map_value_size(const struct hive_map *map);
/** @brief Bytes of a value through the user API (all CPUs for per-CPU maps). */
HIVE_API size_t hive_map_user_value_size(const struct hive_map *map);
HIVE_API uint32_t hive_map_max_entries(const struct hive_map *map);
HIVE_API uint32_t hive_map_flags(const struct hive_map *map);
HIVE_API const char *hive_map_name(const struct hive_map *map);
/** @brief A number unique among live maps (never 0), as Linux's map ids.
 *  Map-in-map values are map ids through the user API (Linux: fds). */
HIVE_API uint32_t hive_map_id(const struct hive_map *map);
/** @brief The live map with @id, or NULL. */
HIVE_API struct hive_map *hive_map_from_id(uint32_t id);
/** @brief Number of possible CPUs (/sys/devices/system/cpu/possible), as the
 *  kernel's num_possible_cpus(): the slots of a per-CPU value. */
HIVE_API int hive_num_possible_cpus(void);

/** @brief Put @prog in slot @index of a PROG_ARRAY map (NULL empties it),
 *  for tail calls. -EINVAL (not a prog array), -E2BIG (index), -EPERM.
 *  The program must outlive the slot. */
struct hive_prog;
HIVE_API int hive_prog_array_set(struct hive_map *map, uint32_t index, const struct hive_prog *prog);

/** @brief Ring buffer consumer: called for each submitted record, in order.
 *  A non-zero return stops consumption and is returned by hive_ringbuf_consume. */
typedef int (*hive_ringbuf_sample_fn)(void *ctx, void *data, size_t size);
/** @brief Consume all available records of a RINGBUF map (single consumer).
 *  Returns the number of records handed to @fn (discarded ones are skipped)
 *  or @fn's non-zero return. */
HIVE_API int hive_ringbuf_consume(struct hive_map *map, hive_ringbuf_sample_fn fn, void *ctx);
/** @brief An eventfd that becomes readable when producers wake the consumer
 *  (poll it, then hive_ringbuf_consume). Owned by the map. */
HIVE_API int hive_ringbuf_fd(const struct hive_map *map);

/* Built-in helpers (src/helpers): Linux's helpers with Linux's ids, for
 * programs that call them (a map argument is the struct hive_map pointer). */

/** @brief Where trace_printk output goes: one formatted line per call. */
typedef void (*hive_print_fn)(void *ctx, const char *line, size_t len);

struct hive_helpers_opts {
	size_t sz;
	hive_print_fn print;   /* trace_printk/trace_vprintk sink; NULL: stderr.
	                        * Process-wide: the last install that sets one wins. */
	void *print_ctx;
	size_t : 0;
};
#define hive_helpers_opts__last_field print_ctx

/** @brief Register every built-in helper in @env (map_*_elem, ktime_*,
 *  get_current_*, trace_printk, snprintf, ringbuf_*, spin_lock, strtol,
 *  probe_read_*, ...). @opts may be NULL. */
HIVE_API int hive_helpers_install(struct hive_env *env, const struct hive_helpers_opts *opts);
/* }===== */

/* {===== objects: the ELF loader (issue 4: src/loader) */
/* }===== */

/* {===== verifier (issue 6: src/verifier) */
/* }===== */

/* {===== hooks and test-run (issue 7: src/hooks) */
/* }===== */

#ifdef __cplusplus
}
#endif
#endif
