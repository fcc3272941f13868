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

/* What a helper takes in r1..r5, for the verifier (Linux's enum bpf_arg_type,
 * the kinds user space has). A size argument follows its memory argument. */
enum hive_helper_arg {
	HIVE_ARG_NONE = 0,                /* unused (and every argument after it) */
	HIVE_ARG_ANYTHING = 1,            /* any initialised value, scalar or pointer */
	HIVE_ARG_SCALAR = 2,              /* a number, never a pointer */
	HIVE_ARG_CONST_MAP_PTR = 3,       /* a map (LDDW of a map) */
	HIVE_ARG_PTR_TO_MAP_KEY = 4,      /* key_size readable bytes of the map before it */
	HIVE_ARG_PTR_TO_MAP_VALUE = 5,    /* value_size readable bytes */
	HIVE_ARG_PTR_TO_UNINIT_MAP_VALUE = 6, /* value_size bytes the helper writes */
	HIVE_ARG_PTR_TO_MEM = 7,          /* readable memory; its size is the next argument */
	HIVE_ARG_PTR_TO_MEM_OR_NULL = 8,  /* the same, or NULL with size 0 */
	HIVE_ARG_PTR_TO_UNINIT_MEM = 9,   /* memory the helper writes; size next */
	HIVE_ARG_CONST_SIZE = 10,         /* bounded size > 0 of the previous argument */
	HIVE_ARG_CONST_SIZE_OR_ZERO = 11, /* bounded size >= 0 */
	HIVE_ARG_PTR_TO_CTX = 12,         /* the program's context, unmoved */
	HIVE_ARG_PTR_TO_CTX_OR_NULL = 13,
	HIVE_ARG_PTR_TO_LONG = 20,        /* 8 bytes the helper writes */
	HIVE_ARG_PTR_TO_INT = 21,         /* 4 bytes the helper writes */
	HIVE_ARG_PTR_TO_CONST_STR = 22,   /* a NUL-terminated string in a read-only map (.rodata) */
};

/* What a helper returns in r0 (Linux's enum bpf_return_type). */
enum hive_helper_ret {
	HIVE_RET_INTEGER = 0,                /* a number */
	HIVE_RET_VOID = 1,                   /* nothing: r0 unreadable after the call */
	HIVE_RET_PTR_TO_MAP_VALUE_OR_NULL = 2, /* a value of the HIVE_ARG_CONST_MAP_PTR argument's map */
};

/** @brief A helper's prototype, the verifier's view of it; the same row as
 *  hive's table of Linux's helpers. */
struct hive_helper_proto {
	uint32_t id;       /* the call's imm (filled in by hive_env_set_helper_proto) */
	const char *name;  /* for messages; may be NULL */
	uint8_t ret;       /* enum hive_helper_ret */
	uint8_t args[5];   /* enum hive_helper_arg, r1..r5 */
	uint16_t flags;    /* must be 0 */
};

/** @brief Declare the prototype of helper @id (an embedder's own helper, or
 *  one replacing a Linux helper's prototype): the verifier checks calls of
 *  @id against it (hive_verify_opts.env, hive_object_load_opts.env).
 *  @proto is copied; NULL removes it.  0, -EINVAL (bad kinds: a size not
 *  after a memory argument, a map-value return without a map argument,
 *  flags), -ENOMEM. */
HIVE_API int hive_env_set_helper_proto(struct hive_env *env, uint32_t id, const struct hive_helper_proto *proto);
/** @brief The prototype set for @id with hive_env_set_helper_proto, or NULL. */
HIVE_API const struct hive_helper_proto *hive_env_helper_proto(const struct hive_env *env, uint32_t id);

/* }===== */

/* {===== programs */

struct hive_prog;

/* Program types, numbered as Linux's enum bpf_prog_type. */
enum hive_prog_type {
	HIVE_PROG_UNSPEC = 0, HIVE_PROG_SOCKET_FILTER = 1, HIVE_PROG_KPROBE = 2,
	HIVE_PROG_SCHED_CLS = 3, HIVE_PROG_SCHED_ACT = 4, HIVE_PROG_TRACEPOINT = 5,
	HIVE_PROG_XDP = 6, HIVE_PROG_PERF_EVENT = 7, HIVE_PROG_CGROUP_SKB = 8,
	HIVE_PROG_CGROUP_SOCK = 9, HIVE_PROG_LWT_IN = 10, HIVE_PROG_LWT_OUT = 11,
	HIVE_PROG_LWT_XMIT = 12, HIVE_PROG_SOCK_OPS = 13, HIVE_PROG_SK_SKB = 14,
	HIVE_PROG_CGROUP_DEVICE = 15, HIVE_PROG_SK_MSG = 16, HIVE_PROG_RAW_TRACEPOINT = 17,
	HIVE_PROG_CGROUP_SOCK_ADDR = 18, HIVE_PROG_LWT_SEG6LOCAL = 19, HIVE_PROG_LIRC_MODE2 = 20,
	HIVE_PROG_SK_REUSEPORT = 21, HIVE_PROG_FLOW_DISSECTOR = 22, HIVE_PROG_CGROUP_SYSCTL = 23,
	HIVE_PROG_RAW_TRACEPOINT_WRITABLE = 24, HIVE_PROG_CGROUP_SOCKOPT = 25,
	HIVE_PROG_TRACING = 26, HIVE_PROG_STRUCT_OPS = 27, HIVE_PROG_EXT = 28, HIVE_PROG_LSM = 29,
	HIVE_PROG_SK_LOOKUP = 30, HIVE_PROG_SYSCALL = 31, HIVE_PROG_NETFILTER = 32,
	/* Not Linux's: a type an embedder defines, its context given as a
	 * struct hive_ctx_layout (hive_program_set_ctx_layout, hive_verify_opts.ctx),
	 * its helpers' prototypes in the env (hive_env_set_helper_proto). No
	 * LD_ABS; packet fields of the context are read-only. */
	HIVE_PROG_CUSTOM = 0x10000,
};

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
	/* Run the verifier (hive_verify) before loading, as a program of
	 * prog_type with context ctx (NULL: the type's), the maps above and the
	 * env's helper prototypes. Off by default for raw bytecode (`hive run`,
	 * the conformance suite: programs with no program type, run checked);
	 * hive_object_load verifies by default. mode stays the caller's. */
	bool verify;
	uint32_t prog_type;                 /* enum hive_prog_type */
	const struct hive_ctx_layout *ctx;
	size_t : 0;
};
#define hive_prog_opts__last_field ctx

/** @brief Validate (and with opts->verify, verify) and load @cnt
 *  instructions. On refusal returns -EINVAL (-EACCES: refused by the
 *  verifier) and writes "insn N: <disassembly>: <what is wrong>" to
 *  opts->log_buf. */
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

/** @brief A memory region a checked run may touch besides mem, the stack
 *  and global data. */
struct hive_region {
	void *ptr;
	size_t size;
	bool writable;
};

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
	/* Checked mode: further regions (at most 30 less the program's global
	 * data regions, else -E2BIG), consulted before mem, so
	 * that a writable field may sit inside a read-only mem (a context). */
	const struct hive_region *regions;
	size_t nregions;
	/* What LD_ABS/LD_IND read (a socket buffer's packet while r1 is the
	 * context); NULL: mem. */
	const void *pkt;
	size_t pkt_size;
	/* The attach point a hook reports: bpf_get_func_ip (the probed
	 * function's address) and bpf_get_attach_cookie (the cookie given at
	 * attach) return these; 0 when unset. */
	uint64_t func_ip;
	uint64_t attach_cookie;
	size_t : 0;
};
#define hive_run_opts__last_field attach_cookie

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
/** @brief From a helper: may the program's own pointers reach
 *  [ptr, ptr+size) (for writing if @write)? Checked mode: inside a region of
 *  the run (its memory, the stack, global data, what helpers allowed);
 *  trusted mode: always true, the verifier vouched for the arguments. */
HIVE_API bool hive_run_access_ok(const struct hive_run *run, const void *ptr, size_t size, bool write);
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

/** @brief A JIT-compiled program as a plain C function, for a hook that
 *  runs it at the cost of a call: r1 = @a, r2 = @b (as hive_run_opts' mem
 *  and mem_size), r0 is returned; the eBPF stack is on the caller's stack
 *  (4 KiB).  Only programs whose native code needs no run have one:
 *  trusted mode, no helper, local or tail call, no LD_ABS/LD_IND (global
 *  data is fine); NULL otherwise (hive_prog_run runs every program).  Valid until @prog is
 *  freed or compiled again; re-entrant, any thread. */
typedef uint64_t (*hive_jit_fn)(uint64_t a, uint64_t b);
HIVE_API hive_jit_fn hive_prog_jit_fn(const struct hive_prog *prog);

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
	/* The value holds a struct bpf_timer (16 bytes, 8-aligned) at
	 * timer_off (what BTF says; the loader fills it): array, hash and
	 * lru_hash maps only. Copies in and out skip it; deleting or
	 * replacing the element, and freeing the map, cancel the timer. */
	bool timer;
	uint32_t timer_off;
	size_t : 0;
};
#define hive_map_opts__last_field timer_off

/** @brief Create a map as BPF_MAP_CREATE would: the same attribute checks in
 *  the same order, the same errors (-EINVAL, -E2BIG, -HIVE_ENOTSUPP, -ENOMEM).
 *  On failure a line naming the bad attribute goes to opts->log_buf.
 *  @name may be NULL; otherwise at most 15 characters of [A-Za-z0-9_.]. */
HIVE_API int hive_map_create(enum hive_map_type type, const char *name, uint32_t key_size,
			     uint32_t value_size, uint32_t max_entries, const struct hive_map_opts *opts,
			     struct hive_map **out);
/** @brief Free @map. No program may be running with it. */
HIVE_API void hive_map_free(struct hive_map *map);
/** @brief BPF_MAP_FREEZE: from now on the user API may not change the map
 *  (update, delete, lookup_and_delete: -EPERM); programs still may, unless
 *  it was created with HIVE_F_RDONLY_PROG. 0, -EPERM (frozen already, or
 *  read-only: HIVE_F_RDONLY, as the kernel answers), -EINVAL. */
HIVE_API int hive_map_freeze(struct hive_map *map);
HIVE_API bool hive_map_is_frozen(const struct hive_map *map);

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

/* Batch commands, as BPF_MAP_*_BATCH and libbpf's bpf_map_*_batch. keys and
 * values are arrays of *count elements (values of hive_map_user_value_size
 * bytes, map ids for maps of maps). *count is the capacity on entry and the
 * number of elements processed on return, also on error.
 * Which types take which command is the kernel's: hash maps and
 * HASH_OF_MAPS (all four), arrays and ARRAY_OF_MAPS (lookup, update), LPM
 * tries (lookup, update, delete); the others
 * return -HIVE_ENOTSUPP. Access flags are checked first (-EPERM). */
struct hive_map_batch_opts {
	size_t sz;
	uint64_t elem_flags;  /* 0 or HIVE_F_LOCK (update: only these, no NOEXIST/EXIST) */
	uint64_t flags;       /* hash lookup: must be 0 */
	size_t : 0;
};
#define hive_map_batch_opts__last_field flags

/** @brief Copy up to *@count elements after the position @in_batch (NULL:
 *  from the start); @out_batch receives the position to pass next time.
 *  Positions are opaque: 4 bytes for hash maps (a bucket index), key_size
 *  bytes otherwise (the last key copied); give max(4, key_size) bytes.
 *  Hash maps copy whole buckets: -ENOSPC if the first bucket alone does not
 *  fit. -ENOENT when the end was reached (elements may still be copied:
 *  see *count). */
HIVE_API int hive_map_lookup_batch(struct hive_map *map, const void *in_batch, void *out_batch, void *keys,
				   void *values, uint32_t *count, const struct hive_map_batch_opts *opts);
/** @brief hive_map_lookup_batch that deletes what it copied (hash maps). */
HIVE_API int hive_map_lookup_and_delete_batch(struct hive_map *map, const void *in_batch, void *out_batch,
					      void *keys, void *values, uint32_t *count,
					      const struct hive_map_batch_opts *opts);
/** @brief Update *@count elements in order, stopping at the first error
 *  (returned; *count = the elements updated before it). */
HIVE_API int hive_map_update_batch(struct hive_map *map, const void *keys, const void *values, uint32_t *count,
				   const struct hive_map_batch_opts *opts);
/** @brief Delete *@count keys in order, stopping at the first error (-ENOENT...). */
HIVE_API int hive_map_delete_batch(struct hive_map *map, const void *keys, uint32_t *count,
				   const struct hive_map_batch_opts *opts);

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
 *  The program must outlive the slot. hive_object_load fills the slots an
 *  object gives with `.values = {[i] = &prog}`; hive_map_update/lookup on
 *  a prog array give -EOPNOTSUPP (hive programs have no fds or ids).
 *  bpf_tail_call(ctx, map, index) runs the program of the slot in place of
 *  the calling frame (its r0 is that frame's result); an empty slot, an
 *  index out of range or a 34th tail call in one run fail and the program
 *  goes on. A JIT run interprets a target that has no JIT code. */
struct hive_prog;
HIVE_API int hive_prog_array_set(struct hive_map *map, uint32_t index, const struct hive_prog *prog);

/** @brief Ring buffer consumer: called for each submitted record, in order.
 *  A non-zero return stops consumption and is returned by hive_ringbuf_consume. */
typedef int (*hive_ringbuf_sample_fn)(void *ctx, void *data, size_t size);
/** @brief Consume all available records of a RINGBUF map (single consumer).
 *  Returns the number of records handed to @fn (discarded ones are skipped)
 *  or @fn's non-zero return. */
HIVE_API int hive_ringbuf_consume(struct hive_map *map, hive_ringbuf_sample_fn fn, void *ctx);
/** @brief Wait up to @timeout_ms (-1: forever) for a wakeup, then consume
 *  as hive_ringbuf_consume. Returns the records handed to @fn (0 on
 *  timeout), @fn's non-zero return, or -errno (-EINTR...). */
HIVE_API int hive_ringbuf_poll(struct hive_map *map, hive_ringbuf_sample_fn fn, void *ctx, int timeout_ms);
/** @brief An eventfd that becomes readable when producers wake the consumer
 *  (poll it, then hive_ringbuf_consume). Owned by the map. For a
 *  USER_RINGBUF map: readable when a program's drain freed space. */
HIVE_API int hive_ringbuf_fd(const struct hive_map *map);

/* USER_RINGBUF (libbpf's user_ring_buffer__*): the application writes
 * samples, programs read them with bpf_user_ringbuf_drain. Records are laid
 * out as in the kernel (8-byte header, 8-byte aligned). Producers may call
 * from several threads (hive serialises reserve); a sample must be
 * submitted or discarded, and is drained only after every sample reserved
 * before it was. */

/** @brief Reserve @size bytes in a USER_RINGBUF map: 0 and *@sample (8-byte
 *  aligned, writable until submit/discard), -E2BIG (larger than the ring),
 *  -ENOSPC (no room now), -EINVAL (not a user ringbuf). */
HIVE_API int hive_user_ringbuf_reserve(struct hive_map *map, uint32_t size, void **sample);
/** @brief hive_user_ringbuf_reserve, waiting up to @timeout_ms (-1: forever,
 *  0: not at all) for programs to drain enough; -ENOSPC on timeout. */
HIVE_API int hive_user_ringbuf_reserve_blocking(struct hive_map *map, uint32_t size, int timeout_ms,
						void **sample);
/** @brief Publish a reserved sample to the drainer. */
HIVE_API void hive_user_ringbuf_submit(struct hive_map *map, void *sample);
/** @brief Give a reserved sample back: the drainer skips it. */
HIVE_API void hive_user_ringbuf_discard(struct hive_map *map, void *sample);

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

/* {===== objects: the ELF loader (issue 4: src/loader)
 *
 * Opens the .bpf.o files clang writes and libbpf loads: programs by section
 * name, bpf-to-bpf calls linked, BTF-defined and legacy maps, global data,
 * .kconfig externs, BTF and .BTF.ext (line info), all through libelf; at
 * load, CO-RE relocations against a target BTF. Names, sections, types and
 * map definitions are those libbpf reports (tested against libbpf).
 *
 * Map references after open.  Every LDDW that names a map is rewritten so
 * that its imm holds the map's *index* in the object (0..hive_object_map_cnt-1):
 *   src = ISA_PSEUDO_MAP_FD (1):    imm = map index; the next slot's imm = 0.
 *     The program means "the map itself" (bpf_map_lookup_elem(&m, ...)).
 *   src = ISA_PSEUDO_MAP_VALUE (2): imm = map index; the next slot's imm = byte
 *     offset into the value of element 0 (global variables in .data, .rodata,
 *     .bss, .kconfig and their .data.* / .rodata.* variants).
 * hive_object_load passes the created maps, in this order, as
 * hive_prog_opts.maps: the VM resolves each index to the map (MAP_FD) or to
 * the address of element 0's value plus the offset (MAP_VALUE).
 * Calls to subprograms are `call pc+imm+1` with src = ISA_PSEUDO_CALL, each
 * called function appended once after the program's own instructions, as
 * the kernel expects; a callback's address (bpf_loop...) is an LDDW with
 * src = ISA_PSEUDO_FUNC (4) and imm = the same pc-relative offset.
 */

struct hive_object;
struct hive_program;    /* a program of an object (the loaded one is a hive_prog) */
struct hive_object_map; /* a map of an object: its definition, then its hive_map */

/* Attach kinds, numbered as Linux's enum bpf_attach_type (the ones section
 * names imply). hive_program_attach_type returns HIVE_ATTACH_NONE for none. */
enum hive_attach_type {
	HIVE_ATTACH_CGROUP_INET_INGRESS = 0, HIVE_ATTACH_CGROUP_INET_EGRESS = 1,
	HIVE_ATTACH_CGROUP_INET_SOCK_CREATE = 2, HIVE_ATTACH_CGROUP_SOCK_OPS = 3,
	HIVE_ATTACH_SK_SKB_STREAM_PARSER = 4, HIVE_ATTACH_SK_SKB_STREAM_VERDICT = 5,
	HIVE_ATTACH_CGROUP_DEVICE = 6, HIVE_ATTACH_SK_MSG_VERDICT = 7,
	HIVE_ATTACH_CGROUP_INET4_BIND = 8, HIVE_ATTACH_CGROUP_INET6_BIND = 9,
	HIVE_ATTACH_CGROUP_INET4_CONNECT = 10, HIVE_ATTACH_CGROUP_INET6_CONNECT = 11,
	HIVE_ATTACH_CGROUP_INET4_POST_BIND = 12, HIVE_ATTACH_CGROUP_INET6_POST_BIND = 13,
	HIVE_ATTACH_CGROUP_UDP4_SENDMSG = 14, HIVE_ATTACH_CGROUP_UDP6_SENDMSG = 15,
	HIVE_ATTACH_LIRC_MODE2 = 16, HIVE_ATTACH_FLOW_DISSECTOR = 17, HIVE_ATTACH_CGROUP_SYSCTL = 18,
	HIVE_ATTACH_CGROUP_UDP4_RECVMSG = 19, HIVE_ATTACH_CGROUP_UDP6_RECVMSG = 20,
	HIVE_ATTACH_CGROUP_GETSOCKOPT = 21, HIVE_ATTACH_CGROUP_SETSOCKOPT = 22,
	HIVE_ATTACH_TRACE_RAW_TP = 23, HIVE_ATTACH_TRACE_FENTRY = 24, HIVE_ATTACH_TRACE_FEXIT = 25,
	HIVE_ATTACH_MODIFY_RETURN = 26, HIVE_ATTACH_LSM_MAC = 27, HIVE_ATTACH_TRACE_ITER = 28,
	HIVE_ATTACH_CGROUP_INET4_GETPEERNAME = 29, HIVE_ATTACH_CGROUP_INET6_GETPEERNAME = 30,
	HIVE_ATTACH_CGROUP_INET4_GETSOCKNAME = 31, HIVE_ATTACH_CGROUP_INET6_GETSOCKNAME = 32,
	HIVE_ATTACH_XDP_DEVMAP = 33, HIVE_ATTACH_CGROUP_INET_SOCK_RELEASE = 34,
	HIVE_ATTACH_XDP_CPUMAP = 35, HIVE_ATTACH_SK_LOOKUP = 36, HIVE_ATTACH_XDP = 37,
	HIVE_ATTACH_SK_SKB_VERDICT = 38, HIVE_ATTACH_SK_REUSEPORT_SELECT = 39,
	HIVE_ATTACH_SK_REUSEPORT_SELECT_OR_MIGRATE = 40, HIVE_ATTACH_PERF_EVENT = 41,
	HIVE_ATTACH_TRACE_KPROBE_MULTI = 42, HIVE_ATTACH_LSM_CGROUP = 43,
	HIVE_ATTACH_NETFILTER = 45, HIVE_ATTACH_TCX_INGRESS = 46, HIVE_ATTACH_TCX_EGRESS = 47,
	HIVE_ATTACH_TRACE_UPROBE_MULTI = 48,
	HIVE_ATTACH_NONE = -1,
};

struct hive_object_open_opts {
	size_t sz;
	const char *object_name;     /* NULL: the file's base name up to the first '.';
	                              * kept to 15 characters, as libbpf does */
	char *log_buf;               /* why the object was refused: "elf: ...", "btf: ..." */
	size_t log_size;
	const char *btf_custom_path; /* target BTF for CO-RE: a raw BTF file or an ELF
	                              * object's .BTF; NULL: /sys/kernel/btf/vmlinux */
	const char *kconfig;         /* "CONFIG_X=y\n..." lines for .kconfig externs */
	const char *kconfig_path;    /* kernel config (gzip or plain) for the externs
	                              * kconfig leaves unset; NULL: the running
	                              * kernel's, /boot/config-$(uname -r) then
	                              * /proc/config.gz, as libbpf reads it */
	const char *pin_root_path;   /* maps pinned by name (LIBBPF_PIN_BY_NAME) live at
	                              * ROOT/NAME in hive's in-process pin registry;
	                              * NULL: "/sys/fs/bpf", as libbpf's default */
	size_t : 0;
};
#define hive_object_open_opts__last_field pin_root_path

/** @brief Open an ELF object file: parse, collect programs and maps, link.
 *  Nothing runs and no map exists until hive_object_load.
 *  @return 0, -EINVAL (malformed, message in the log), -ENOENT/-EIO
 *  (reading), -ENOMEM, -EOPNOTSUPP (a feature hive refuses, e.g. ksyms). */
HIVE_API int hive_object_open_file(const char *path, const struct hive_object_open_opts *opts,
				   struct hive_object **out);
/** @brief As hive_object_open_file, from @size bytes at @buf (copied). */
HIVE_API int hive_object_open_mem(const void *buf, size_t size, const struct hive_object_open_opts *opts,
				  struct hive_object **out);
/** @brief Free the object, its programs and maps. NULL is fine. */
HIVE_API void hive_object_close(struct hive_object *obj);

HIVE_API const char *hive_object_name(const struct hive_object *obj);
/** @brief The "license" section ("" if none). */
HIVE_API const char *hive_object_license(const struct hive_object *obj);
/** @brief The "version" section (0 if none). */
HIVE_API uint32_t hive_object_kversion(const struct hive_object *obj);

/** @brief Entry programs (subprograms are linked into them), in section order. */
HIVE_API size_t hive_object_prog_cnt(const struct hive_object *obj);
HIVE_API struct hive_program *hive_object_prog(const struct hive_object *obj, size_t i);
HIVE_API struct hive_program *hive_object_find_program(const struct hive_object *obj, const char *name);
/** @brief Maps, in the order their indexes appear in LDDW (see above). */
HIVE_API size_t hive_object_map_cnt(const struct hive_object *obj);
HIVE_API struct hive_object_map *hive_object_map(const struct hive_object *obj, size_t i);
HIVE_API struct hive_object_map *hive_object_find_map(const struct hive_object *obj, const char *name);

struct hive_object_load_opts {
	size_t sz;
	struct hive_env *env;       /* helpers (and their prototypes) for every program */
	enum hive_exec_mode mode;   /* obsolete, ignored: see checked and unverified */
	char *log_buf;              /* why a map or program was refused */
	size_t log_size;
	/* Load without verifying: every program then runs in checked mode
	 * (HIVE_EXEC_CHECKED). The opt-in for programs the verifier refuses or
	 * cannot judge. */
	bool unverified;
	/* Verified programs run checked all the same (default: trusted, the
	 * verifier vouches for them). */
	bool checked;
	uint32_t log_level;         /* verifier log: 0 errors, 1 + statistics, 2 + every insn */
	size_t : 0;
};
#define hive_object_load_opts__last_field log_level

/** @brief Apply CO-RE relocations (.BTF.ext) to the linked programs against
 *  the target BTF (a field, type or enumerator missing there turns its
 *  instruction into `call 0xbad2310`, as libbpf does), create every map
 *  (hive_map_create) with its initial value and map-in-map slots, freeze
 *  .rodata, .rodata.* and .kconfig (hive_map_freeze, as libbpf does), then
 *  verify every program whose autoload is on (hive_program_verify: its
 *  type's context or the one set with hive_program_set_ctx_layout, the env's
 *  helper prototypes) and load it with hive_prog_load and the maps in
 *  hive_prog_opts.maps, in trusted mode (checked with opts->checked).
 *  opts->unverified skips the verifier and loads every program checked.
 *  On failure the maps and programs are freed again.
 *  @return 0 or the first error: -EACCES (a program the verifier refused:
 *  "load: prog 'NAME': insn N: ...", the registers, a hint and, with line
 *  info, the source line: "load: prog 'NAME': at FILE:LINE: TEXT"),
 *  -EINVAL (refused map or program, "load: map 'NAME': ..."), -ENOENT (a
 *  strong .kconfig extern without a value), -EBUSY (already loaded). */
HIVE_API int hive_object_load(struct hive_object *obj, const struct hive_object_load_opts *opts);

/** @brief Function name of the program. */
HIVE_API const char *hive_program_name(const struct hive_program *prog);
/** @brief ELF section it was found in, e.g. "xdp" or "kprobe/do_sys_open". */
HIVE_API const char *hive_program_section(const struct hive_program *prog);
HIVE_API enum hive_prog_type hive_program_type(const struct hive_program *prog);
HIVE_API enum hive_attach_type hive_program_attach_type(const struct hive_program *prog);
/** @brief What the section names after its prefix ("do_sys_open" for
 *  "kprobe/do_sys_open"); "" if nothing. */
HIVE_API const char *hive_program_attach_target(const struct hive_program *prog);
HIVE_API bool hive_program_is_sleepable(const struct hive_program *prog);
/** @brief Instructions after linking (map indexes, calls, see above). */
HIVE_API const struct hive_insn *hive_program_insns(const struct hive_program *prog, size_t *cnt);
HIVE_API int hive_program_set_type(struct hive_program *prog, enum hive_prog_type type);
/** @brief The context layout the verifier checks the program against,
 *  instead of its type's (for HIVE_PROG_CUSTOM: required). @ctx must stay
 *  valid until the object is loaded (or closed); NULL: the type's. Before
 *  load only (-EBUSY). */
HIVE_API int hive_program_set_ctx_layout(struct hive_program *prog, const struct hive_ctx_layout *ctx);
/** @brief The layout set with hive_program_set_ctx_layout, else the type's (or NULL). */
HIVE_API const struct hive_ctx_layout *hive_program_ctx_layout(const struct hive_program *prog);
HIVE_API int hive_program_set_autoload(struct hive_program *prog, bool autoload);
HIVE_API bool hive_program_autoload(const struct hive_program *prog);
/** @brief The loaded program (after hive_object_load), else NULL. */
HIVE_API struct hive_prog *hive_program_prog(const struct hive_program *prog);

struct hive_line_info {
	const char *file;      /* as the compiler recorded it */
	const char *source;    /* the source line's text ("" if absent) */
	uint32_t line, col;
	const char *func;      /* the function the instruction belongs to */
};
/** @brief Source position of linked instruction @pc (needs -g: .BTF.ext).
 *  @return 0, -ENOENT (no line info), -ERANGE (@pc out of range). */
HIVE_API int hive_program_line(const struct hive_program *prog, size_t pc, struct hive_line_info *out);

HIVE_API const char *hive_object_map_name(const struct hive_object_map *map);
HIVE_API enum hive_map_type hive_object_map_type(const struct hive_object_map *map);
HIVE_API uint32_t hive_object_map_key_size(const struct hive_object_map *map);
HIVE_API uint32_t hive_object_map_value_size(const struct hive_object_map *map);
HIVE_API uint32_t hive_object_map_max_entries(const struct hive_object_map *map);
HIVE_API uint32_t hive_object_map_flags(const struct hive_object_map *map);
HIVE_API uint32_t hive_object_map_numa_node(const struct hive_object_map *map);
/** @brief 0: none, 1: by name (LIBBPF_PIN_BY_NAME). A map pinned by name
 *  is shared inside the process: hive_object_load reuses the map pinned at
 *  its pin path by an earlier load (of any object) when type, key and value
 *  sizes, max_entries, flags and map_extra are equal (else -EINVAL naming
 *  the difference), and pins the map it creates there. hive has no bpffs:
 *  pins are an in-process registry, gone when the process ends. Prog
 *  arrays and maps of maps cannot be pinned (-EOPNOTSUPP): their slots hold
 *  no reference on what they point to. */
HIVE_API uint32_t hive_object_map_pinning(const struct hive_object_map *map);
/** @brief Where the map is or will be pinned ("ROOT/NAME" for a map pinned
 *  by name), or NULL. */
HIVE_API const char *hive_object_map_pin_path(const struct hive_object_map *map);
/** @brief Pin the loaded map at @path (NULL: its pin path) in the process's
 *  registry; the pin keeps the map alive after its object is closed.
 *  @return 0 (also if already pinned there), -EINVAL (not loaded, no path),
 *  -EEXIST (another map is pinned at @path), -EBUSY (pinned elsewhere),
 *  -EOPNOTSUPP (a prog array or map of maps). */
HIVE_API int hive_object_map_pin(struct hive_object_map *map, const char *path);
/** @brief Remove the pin at @path (NULL: the map's pin path); the map lives
 *  on while an object uses it. @return 0 or -ENOENT (this map is not
 *  pinned there). */
HIVE_API int hive_object_map_unpin(struct hive_object_map *map, const char *path);
HIVE_API uint64_t hive_object_map_extra(const struct hive_object_map *map);
/** @brief BTF type ids of key and value in the object's BTF (0: unknown). */
HIVE_API uint32_t hive_object_map_btf_key_type_id(const struct hive_object_map *map);
HIVE_API uint32_t hive_object_map_btf_value_type_id(const struct hive_object_map *map);
/** @brief True for the maps hive makes for .data, .rodata, .bss, .kconfig. */
HIVE_API bool hive_object_map_is_internal(const struct hive_object_map *map);
/** @brief The inner-map template of a map-in-map, else NULL. */
HIVE_API const struct hive_object_map *hive_object_map_inner(const struct hive_object_map *map);
/** @brief Initial slot @i (`.values = {...}`): for a map-in-map the index of
 *  the inner map (hive_object_map), for a prog-array the index of the
 *  program (hive_object_prog); -1 when empty or out of range. */
HIVE_API int hive_object_map_init_slot(const struct hive_object_map *map, uint32_t i);
/** @brief Initial contents of an internal map (value_size bytes), else NULL. */
HIVE_API const void *hive_object_map_initial_value(const struct hive_object_map *map, size_t *size);
/* Before load only (else -EBUSY): */
HIVE_API int hive_object_map_set_max_entries(struct hive_object_map *map, uint32_t max_entries);
HIVE_API int hive_object_map_set_flags(struct hive_object_map *map, uint32_t flags);
/** @brief Replace the initial value of an internal map; @size must equal
 *  its value size (-EINVAL). */
HIVE_API int hive_object_map_set_initial_value(struct hive_object_map *map, const void *data, size_t size);
/** @brief The created map (after hive_object_load), else NULL. */
HIVE_API struct hive_map *hive_object_map_map(const struct hive_object_map *map);

/* }===== */

/* {===== verifier (issue 6: src/verifier) */

/* Program types: enum hive_prog_type in the programs section. */

/* What a context field yields when loaded. */
enum hive_ctx_kind {
	HIVE_CTX_SCALAR = 0,  /* a number */
	HIVE_CTX_PKT,         /* start of packet data (xdp_md.data, __sk_buff.data) */
	HIVE_CTX_PKT_END,     /* end of packet data */
	HIVE_CTX_PKT_META,    /* start of metadata (data_meta) */
};
enum {
	HIVE_CTX_READ = 1,
	HIVE_CTX_WRITE = 2,
	HIVE_CTX_NARROW_WRITE = 4, /* writes may also be narrower (aligned to their size) */
	HIVE_CTX_WHOLE_READ = 8,   /* scalar reads must be the whole field */
};

/** @brief One field of a program's context (r1 at entry), or with count > 1
 *  an array of count elements of size bytes each (u64 args[12]). */
struct hive_ctx_field {
	uint16_t off;
	uint8_t size;    /* bytes; scalar fields may also be read narrower, aligned
			    to the read's size (unless HIVE_CTX_WHOLE_READ) */
	uint8_t access;  /* HIVE_CTX_READ | HIVE_CTX_WRITE | HIVE_CTX_NARROW_WRITE | ... */
	uint8_t kind;    /* enum hive_ctx_kind; arrays are scalar */
	uint16_t count;  /* 0 or 1: one field; N: an array */
	const char *name;
};

/** @brief A context layout as data: size and fields. */
struct hive_ctx_layout {
	const char *name;  /* "xdp_md" */
	uint32_t size;
	uint32_t nfields;
	const struct hive_ctx_field *fields;
};

/** @brief The built-in layout of @prog_type (xdp_md, __sk_buff...), or NULL. */
HIVE_API const struct hive_ctx_layout *hive_ctx_layout_of(enum hive_prog_type prog_type);

/** @brief A map as the verifier sees it, found by the imm of an LDDW:
 *  fd for BPF_PSEUDO_MAP_FD/VALUE, index in the array for _IDX forms. */
struct hive_verify_map {
	int32_t fd;
	uint32_t type;        /* enum hive_map_type */
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t map_flags;   /* BPF_F_RDONLY_PROG (1 << 7) makes values read-only */
	/* ARRAY_OF_MAPS/HASH_OF_MAPS: 1 + the index, in this array, of a row
	 * describing the inner maps (its fd unused); a lookup yields that map
	 * or NULL. 0: none (lookups in it are refused). */
	uint32_t inner_map;
	bool has_timer;       /* the value holds a struct bpf_timer at timer_off */
	uint32_t timer_off;
};

struct hive_verify_opts {
	size_t sz;
	uint32_t prog_type;                  /* enum hive_prog_type; 0: socket filter */
	const struct hive_ctx_layout *ctx;   /* NULL: hive_ctx_layout_of(prog_type) */
	const struct hive_verify_map *maps;
	size_t nmaps;
	char *log_buf;                       /* first error, registers and hint */
	size_t log_size;
	uint32_t log_level;                  /* 0: errors only, 1: + statistics, 2: + every insn */
	bool allow_uninit_stack;             /* as Linux for CAP_PERFMON: reading unwritten stack
						yields an unknown value instead of an error */
	/* Prototypes of helpers set with hive_env_set_helper_proto (an
	 * embedder's own); other ids are Linux's helpers. NULL: Linux's only. */
	const struct hive_env *env;
	size_t : 0;
};
#define hive_verify_opts__last_field env

/** @brief What verification cost (as the kernel's "processed N insns" line). */
struct hive_verify_stats {
	uint64_t processed_insns;
	uint64_t total_states;
	uint64_t peak_states;
	uint64_t max_states_per_insn;
	uint64_t time_ns;
};

/** @brief Check @insns the way Linux's verifier does: every path explored,
 *  registers and stack tracked, memory accesses, helper calls, loops and
 *  calls bounded.  Returns 0 when the program is safe, -EACCES when it is
 *  refused (the log says why: "insn N: <insn>: <message>", the registers
 *  involved and a hint), -EINVAL for bad options, -ENOMEM.  @stats may be NULL. */
HIVE_API int hive_verify(const struct hive_insn *insns, size_t cnt, const struct hive_verify_opts *opts,
			 struct hive_verify_stats *stats);

/** @brief Verify an object's program (before or after load) as
 *  hive_object_load does: its type (opts->prog_type 0) and context layout
 *  (opts->ctx NULL: hive_program_ctx_layout), the object's maps as their
 *  definitions say (opts->maps must be NULL), opts->env's prototypes, the
 *  log options of @opts.  On refusal the log is the verifier's, followed,
 *  when the object has line info, by "at FILE:LINE: SOURCE" of the
 *  refused instruction.  @return as hive_verify. */
HIVE_API int hive_program_verify(const struct hive_program *prog, const struct hive_verify_opts *opts,
				 struct hive_verify_stats *stats);
/** @brief What verifying a loaded program cost at hive_object_load.
 *  0, -ENOENT (not loaded, or loaded unverified). */
HIVE_API int hive_program_verify_stats(const struct hive_program *prog, struct hive_verify_stats *out);
/* }===== */

/* {===== hooks and test-run (issue 7: src/hooks)
 *
 * hive_prog_test_run runs a program once (or @repeat times) the way
 * BPF_PROG_TEST_RUN does, with the kernel's semantics: the same input
 * checks and errors, the same context, the same packet after the run.
 *
 * Contexts keep the kernel's layouts exactly (struct xdp_md, struct
 * __sk_buff of <linux/bpf.h>), including the __u32 data/data_end/data_meta
 * fields: packet buffers are mapped below 4 GiB (MAP_32BIT), so a __u32
 * holds a real pointer, and programs compiled for the kernel run unchanged
 * with no rewriting of context accesses. r1 is the context.
 *
 * Checked mode (no verifier needed) opens exactly what the kernel's
 * verifier would let the program touch: the context, read-only except the
 * fields the kernel lets the type write (__sk_buff: cb[], mark, priority,
 * tc_index, tc_classid, queue_mapping, tstamp for tc; cb[], mark, priority
 * for cgroup_skb (and tstamp) and lwt; cb[] for socket filters), the packet
 * [data_meta, data_end) (xdp) or [data, data_end) (read-only but for tc and
 * lwt_xmit), the stack and global data. A program that skips its `data + N > data_end`
 * check faults with -EFAULT and fault_pc instead of reading past the packet.
 *
 * Per type:
 *  - XDP: 256 bytes of headroom (XDP_PACKET_HEADROOM), a 4096-byte frame,
 *    packets of 14..3520 bytes (longer ones the kernel splits into
 *    fragments: -EOPNOTSUPP). ctx_in (struct xdp_md) may set data (the
 *    length of the metadata at the start of data_in, a multiple of 4, at
 *    most 216), data_end (= data_size_in; less also means fragments),
 *    ingress_ifindex (1: hive's loopback) and rx_queue_index (0);
 *    data_meta and egress_ifindex must be 0. data_out starts at data_meta;
 *    head, tail and meta adjustments show.
 *  - SCHED_CLS, SCHED_ACT, SOCKET_FILTER, CGROUP_SKB, LWT_IN, LWT_OUT,
 *    LWT_XMIT: packets of 14..3712 bytes taken
 *    as Ethernet frames (IPv4 ones with room for 20 bytes of IP header,
 *    IPv6 ones for 40, as Linux 6.18 checks): len, protocol (from the
 *    EtherType), pkt_type, ifindex (1), data/data_end (tc) are filled in;
 *    ctx_in (struct __sk_buff) may set mark, priority, ingress_ifindex,
 *    ifindex (1), cb[], tstamp, wire_len, gso_segs, gso_size, hwtstamp,
 *    nothing else; ctx_out is ctx_in with those the kernel copies back.
 *    All but tc see the packet from the network header, as the kernel
 *    does (data_out gets the Ethernet header back zeroed); LD_ABS/LD_IND
 *    read from skb->data. family, local_ip4/6 (source) and remote_ip4/6
 *    (destination) are what the socket the kernel attaches says (from the
 *    IPv4/IPv6 header; ports 0; cgroup_skb reads them). Not modelled:
 *    skb->sk (reads 0), LD_ABS at the
 *    SKF_NET_OFF/SKF_LL_OFF offsets (the program ends with r0 = 0).
 *  - RAW_TRACEPOINT: ctx_in is up to 12 u64 arguments; no data, no ctx_out.
 *  - SYSCALL: ctx_in is plain memory (at most 65535 bytes) the program may
 *    read and write; as the kernel does, it is copied back into ctx_in.
 *  - RAW_TRACEPOINT and SYSCALL: a verified program needs ctx_size_in to
 *    cover every context byte it touches (the kernel's max_ctx_offset), else
 *    -EINVAL.
 *  - KPROBE (kprobe and uprobe sections), PERF_EVENT, TRACEPOINT: types the
 *    kernel runs only at their probe or event, run here over ctx_in:
 *    struct pt_regs of x86-64 (168 bytes), struct bpf_perf_event_data (184),
 *    a tracepoint's record (ctx_size_in bytes, at most 8192, covering what
 *    the program reads; its first 8 bytes, the common fields, are not the
 *    program's). Read-only, zero-padded, no data, repeat allowed.
 */

/* Helpers the hooks provide (ids as Linux): xdp_adjust_head (44),
 * xdp_adjust_tail (65), xdp_adjust_meta (54), skb_load_bytes (26),
 * skb_store_bytes (9), l3_csum_replace (10), l4_csum_replace (11),
 * redirect (23: records the ifindex; XDP_REDIRECT for xdp, TC_ACT_REDIRECT
 * for socket buffers; with flags the kernel refuses, XDP_ABORTED and
 * TC_ACT_SHOT). They
 * act on the context of the test run in progress on the calling thread. */
/** @brief Register the hooks' helpers in @env. 0, -EINVAL, -ENOMEM. */
HIVE_API int hive_hook_helpers_install(struct hive_env *env);

struct hive_test_run_opts {
	size_t sz;
	enum hive_prog_type prog_type; /* how to run the program (required for hive_prog_test_run) */
	const void *data_in;           /* packet */
	uint32_t data_size_in;
	void *data_out;                /* packet after the run; may be NULL */
	uint32_t data_size_out;        /* in: capacity (0: no limit, as the kernel);
	                                * out: the packet's full size */
	const void *ctx_in;            /* context (its layout per type, above) */
	uint32_t ctx_size_in;
	void *ctx_out;
	uint32_t ctx_size_out;         /* in: capacity; out: the context's size */
	uint32_t repeat;               /* runs over the same buffers; 0: 1 */
	uint32_t flags;                /* must be 0 */
	bool use_jit;                  /* run JIT code (the program must be JIT-compiled) */
	/* results */
	uint32_t retval;               /* r0 of the last run, as the kernel: 32 bits */
	uint32_t duration;             /* ns per run, averaged */
	uint32_t fault_pc;             /* where a run failed */
	char errmsg[192];              /* why the test run was refused or failed */
	size_t : 0;
};
#define hive_test_run_opts__last_field errmsg

/** @brief Run @prog as BPF_PROG_TEST_RUN runs a program of opts->prog_type.
 *  @return 0; -EINVAL (input the kernel refuses: sizes, flags, ctx fields;
 *  the reason in errmsg), -ENODEV (an ifindex other than 1), -E2BIG
 *  (non-zero ctx_in bytes past the context), -ENOSPC (data_out or ctx_out
 *  too small: what fits is copied, sizes report the full size),
 *  -EOPNOTSUPP (a type or a case hive does not run: XDP multi-buffer
 *  packets), -ENOMEM; or the run's error (-EFAULT, -ELOOP, ... with
 *  fault_pc and errmsg). */
HIVE_API int hive_prog_test_run(const struct hive_prog *prog, struct hive_test_run_opts *opts);

/** @brief As hive_prog_test_run for a loaded object program; prog_type 0
 *  takes the program's own type (its section). -ENOENT if not loaded. */
HIVE_API int hive_program_test_run(const struct hive_program *prog, struct hive_test_run_opts *opts);

/* }===== */

/* {===== XDP over many packets (hive xdp --pcap, --iface)
 *
 * A runner keeps one frame laid out as the XDP test-run lays it out (256
 * bytes of headroom, zeroed; a 4096-byte frame below 4 GiB) and reuses it
 * for every packet: a packet costs a copy in, the run and, if asked, a
 * copy out, with the maps' read-side section entered once per batch. The
 * program sees what a test run shows (struct xdp_md, the hooks' helpers),
 * with ingress_ifindex and rx_queue_index as the caller says. bpf_redirect
 * (helper 23, registered by hive_hook_helpers_install) records its
 * ifindex and returns XDP_REDIRECT (XDP_ABORTED for non-zero flags), as
 * the kernel's does. A runner belongs to one thread at a time; any number
 * of runners may run one program at once. */
struct hive_xdp;

struct hive_xdp_opts {
	size_t sz;
	bool use_jit;                  /* run JIT code (the program must be JIT-compiled) */
	size_t : 0;
};
#define hive_xdp_opts__last_field use_jit

/** @brief A runner for the XDP program @prog (kept by the runner, not
 *  owned). 0, -EINVAL, -ENOMEM (no frame below 4 GiB). */
HIVE_API int hive_xdp_new(const struct hive_prog *prog, const struct hive_xdp_opts *opts, struct hive_xdp **out);
HIVE_API void hive_xdp_free(struct hive_xdp *x);

struct hive_xdp_pkt {
	const void *data;              /* in: the frame, from its Ethernet header */
	uint32_t len;                  /* in: its length (14..3520); out: after the run */
	uint32_t ingress_ifindex;      /* in: what ctx->ingress_ifindex reads (0: 1) */
	uint32_t rx_queue_index;       /* in */
	uint32_t verdict;              /* out: r0 (32 bits); XDP_ABORTED (0) if the run failed */
	uint32_t redirect_ifindex;     /* out: bpf_redirect's ifindex (0 if not called) */
	int err;                       /* out: 0; -EINVAL/-EOPNOTSUPP (a length test-run
	                                * refuses, the program did not run); or the run's
	                                * error (-EFAULT, -ELOOP, ...) */
	void *out;                     /* in: where the packet goes after the run (NULL: nowhere) */
	uint32_t out_cap;              /* in: out's size; a longer packet is cut (len tells) */
};

/** @brief Run the program once per packet of @pkts[0..@n). 0, or -EINVAL
 *  (bad arguments; nothing ran). Per-packet results are in the packets.
 *  hive_xdp_errmsg tells the last failed packet's reason. */
HIVE_API int hive_xdp_run(struct hive_xdp *x, struct hive_xdp_pkt *pkts, size_t n);
/** @brief Why the last failed packet of @x failed ("" if none did),
 *  with its pc in *fault_pc (may be NULL). */
HIVE_API const char *hive_xdp_errmsg(const struct hive_xdp *x, uint32_t *fault_pc);

/* }===== */

#ifdef __cplusplus
}
#endif
#endif
