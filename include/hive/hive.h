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
	size_t : 0;
};
#define hive_prog_opts__last_field log_size

/** @brief Validate and load @cnt instructions. On refusal returns -EINVAL and
 *  writes "insn N: <disassembly>: <what is wrong>" to opts->log_buf. */
HIVE_API int hive_prog_load(const struct hive_insn *insns, size_t cnt, const struct hive_prog_opts *opts,
			    struct hive_prog **out);
HIVE_API void hive_prog_free(struct hive_prog *prog);
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
 *  Returns the number of slots it takes (2 for LDDW) or a negative errno. */
HIVE_API int hive_disasm_insn(const struct hive_insn *insns, size_t cnt, size_t pc, char *buf, size_t size);

/** @brief Assemble text in the conformance-suite syntax or llvm-objdump
 *  syntax. On success *out is malloc'd (free() it). On failure returns
 *  -EINVAL and writes "LINE: message" to errbuf. */
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

struct hive_map_opts {
	size_t sz;
	uint32_t map_flags;            /* BPF_F_* as Linux */
	uint32_t numa_node;
	const struct hive_map *inner;  /* map-in-map: the template inner map */
	uint64_t map_extra;            /* bloom filter: number of hash functions */
	size_t : 0;
};
#define hive_map_opts__last_field map_extra

/** @brief Create a map as BPF_MAP_CREATE would; -EINVAL names the bad
 *  attribute in the return of hive_map_strerror-like logs. */
HIVE_API int hive_map_create(enum hive_map_type type, const char *name, uint32_t key_size,
			     uint32_t value_size, uint32_t max_entries, const struct hive_map_opts *opts,
			     struct hive_map **out);
HIVE_API void hive_map_free(struct hive_map *map);
/* }===== */

/* {===== objects: the ELF loader (issue 4: src/loader) */
/* }===== */

/* {===== verifier (issue 6: src/verifier) */

/* Program types, numbered as Linux's enum bpf_prog_type. */
enum hive_prog_type {
	HIVE_PROG_UNSPEC = 0, HIVE_PROG_SOCKET_FILTER = 1, HIVE_PROG_KPROBE = 2,
	HIVE_PROG_SCHED_CLS = 3, HIVE_PROG_SCHED_ACT = 4, HIVE_PROG_TRACEPOINT = 5,
	HIVE_PROG_XDP = 6,
};

/* What a context field yields when loaded. */
enum hive_ctx_kind {
	HIVE_CTX_SCALAR = 0,  /* a number */
	HIVE_CTX_PKT,         /* start of packet data (xdp_md.data, __sk_buff.data) */
	HIVE_CTX_PKT_END,     /* end of packet data */
	HIVE_CTX_PKT_META,    /* start of metadata (data_meta) */
};
enum { HIVE_CTX_READ = 1, HIVE_CTX_WRITE = 2 };

/** @brief One field of a program's context (r1 at entry). */
struct hive_ctx_field {
	uint16_t off;
	uint8_t size;    /* bytes; scalar fields may also be read narrower */
	uint8_t access;  /* HIVE_CTX_READ | HIVE_CTX_WRITE */
	uint8_t kind;    /* enum hive_ctx_kind */
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
	size_t : 0;
};
#define hive_verify_opts__last_field allow_uninit_stack

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
/* }===== */

/* {===== hooks and test-run (issue 7: src/hooks) */
/* }===== */

#ifdef __cplusplus
}
#endif
#endif
