/* Internal view of a loaded program and of one run, shared by the
 * interpreter, the JIT and (later) the verifier and helpers. */
#ifndef HIVE_VM_H
#define HIVE_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "hive/hive.h"
#include "isa/isa.h"

/* A pre-decoded slot: op is the isa row (enum isa_op), so the interpreter
 * dispatches on one byte without looking at off/imm/src again. The second
 * slot of an LDDW keeps op = OP_INVALID; its imm is the upper half. */
struct vm_insn {
	uint8_t op;
	uint8_t dst : 4;
	uint8_t src : 4;
	int16_t off;
	int32_t imm;
};
_Static_assert(sizeof(struct vm_insn) == 8, "vm_insn is one slot");

struct jit_image;
struct jit_ctx;

/* One memory region a checked run may touch. */
struct vm_region {
	uintptr_t start, end; /* [start, end) */
	bool writable;
};


struct helper_proto;

struct hive_env {
	hive_helper_fn *fns;  /* indexed by helper id */
	char **names;
	uint32_t cap;
	struct helper_proto **protos; /* hive_env_set_helper_proto, indexed by id */
	uint32_t nprotos;
};

/* The prototype set for @id in @env, or NULL (then Linux's applies). */
const struct helper_proto *env_helper_proto(const struct hive_env *env, uint32_t id);

struct hive_prog {
	struct hive_insn *insns; /* as loaded */
	struct vm_insn *code;    /* pre-decoded, same indexes */
	uint32_t cnt;
	enum hive_exec_mode mode;
	uint64_t insn_budget;
	/* helpers snapshot at load time: helper id -> fn (NULL: not registered) */
	hive_helper_fn *helpers;
	uint32_t nhelpers;
	struct jit_image *jit;
	/* the image's entry when it is standalone: reads only ctx->regs and
	 * ctx->want_regs (no helper, local call, LD_ABS/IND, fault), else NULL */
	uint64_t (*jit_standalone)(struct jit_ctx *ctx, void *mem, uint64_t size, uint8_t *stack_top);
	bool any_helper; /* validation only: accept calls to unregistered helpers */
	bool uses_maps;  /* calls helpers or loads maps: runs enter an epoch section */
	bool jit_calls;  /* the JIT code calls helpers or map functions (else its runs need no epoch) */
	/* global data the program addresses with LDDW (checked mode opens them) */
	struct vm_region data_regions[8];
	uint32_t ndata_regions;
	/* verified programs: the end of the furthest context access (the
	 * kernel's max_ctx_offset; test-run wants that much context); 0 else */
	uint32_t max_ctx_offset;
	/* callbacks: the instructions an LDDW src=4 names, sorted (see vm_func_ref) */
	uint32_t *cb_pcs;
	uint32_t ncb;
	struct sound_rec *sound; /* soundness mode (verifier/sound.h): checked runs check each insn */
};

enum { VM_MAX_REGIONS = 32 };

/* The state of one run; lives on the caller's stack, so runs are re-entrant. */
struct hive_run {
	const struct hive_prog *prog;
	void *mem;
	size_t mem_size;
	const uint8_t *pkt;     /* LD_ABS/LD_IND read [pkt, pkt + pkt_size) */
	size_t pkt_size;
	uint64_t budget;        /* instructions left, checked mode */
	int err;                /* 0, or the negative errno that stopped the run */
	uint32_t fault_pc;      /* VM_PC_UNKNOWN: a helper stopped the run, the engine fills it in */
	uint32_t nregions;
	/* callbacks and tail calls (vm_call_callback, vm_tail_call) */
	uintptr_t fp;           /* r10 of the frame that called the current helper */
	void *jit_ctx;          /* the JIT's struct jit_ctx while JIT code runs, else NULL */
	uint32_t tail_calls;    /* tail calls taken so far in this run */
	bool tail_done;         /* the helper just called was a tail call that ran: exit the frame */
	/* stack of all frames: frame i occupies [stack + i*512, stack + (i+1)*512),
	 * the entry frame is the highest */
	uint8_t *stack;
	uint64_t func_ip, attach_cookie; /* the attach point (hive_run_opts) */
	/* Add new fields above: hive_prog_run zeroes everything before errmsg
	 * and leaves the two buffers below uninitialised (their size is most of
	 * a short run's cost). */
	char errmsg[192];
	struct vm_region regions[VM_MAX_REGIONS];
};

/* Run the interpreter; r0 in *ret, r0..r10 at exit in regs_out (if not NULL).
 * Returns 0 or run->err. */
int interp_run(struct hive_run *run, uint64_t *ret, uint64_t *regs_out);

/* {===== nested calls: callbacks and tail calls
 *
 * A helper that takes a callback (bpf_loop, for_each_map_elem) runs it with
 * vm_call_callback(): a nested call on the same run, in the engine the run
 * uses, one frame below the frame that called the helper (run->fp, which
 * both engines set before a helper call), so the call depth counts it and
 * checked mode's budget and regions are shared.  A tail call runs the
 * target program nested in the same way but in the *same* frame, and when
 * it returns the engine leaves that frame with the target's r0
 * (run->tail_done): the caller of the frame sees the target's result, as
 * in the kernel, where the target replaces the frame.
 *
 * A callback reference, the value LDDW src=4 loads, is the address of the
 * pre-decoded instruction the callback starts at, &prog->code[pc]: opaque
 * to the program, equal under both engines, and checkable. */

enum {
	VM_PC_UNKNOWN = UINT32_MAX,
	VM_TAIL_CALL_ID = 12,     /* BPF_FUNC_tail_call */
	VM_MAX_TAIL_CALLS = 33,   /* MAX_TAIL_CALL_CNT */
};

/* The pc of callback reference @ref in @prog, or -1 when it names none. */
int64_t vm_func_ref_pc(const struct hive_prog *prog, uint64_t ref);
/* Run the callback @ref of the running program with r1..r5 = a; returns its
 * r0.  On a fault (a bad reference, the call depth, anything inside) the
 * run is stopped (run->err) and 0 returned: the helper must return at once. */
uint64_t vm_call_callback(struct hive_run *run, uint64_t ref, uint64_t a1, uint64_t a2, uint64_t a3,
			  uint64_t a4, uint64_t a5);
/* bpf_tail_call(ctx, map, index): on success the target has run (nested)
 * and run->tail_done is set, r0 is its result; on failure (not a prog
 * array, index out of range, empty slot, 33 tail calls taken) a negative
 * errno and nothing happened. */
uint64_t vm_tail_call(struct hive_run *run, uint64_t ctx, uint64_t map, uint64_t index);
/* A helper moved or resized the packet LD_ABS/LD_IND read: both engines
 * read it there from now on. */
void vm_set_pkt(struct hive_run *run, const uint8_t *pkt, size_t size);
/* The built-in helper the engines treat as the tail call. */
uint64_t vm_helper_tail_call(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			     struct hive_run *run);

/* A fresh run of @prog entering its callback @ref with r1..r5 = args (a
 * timer firing): on JIT code when @use_jit and the program has it, else
 * on the interpreter; checked runs may touch the stack, @extra and the
 * program's global data.  The caller holds the epoch section.  r0 in
 * *ret; returns 0 or the run's errno (message in errmsg). */
int vm_run_callback(const struct hive_prog *prog, uint64_t ref, bool use_jit, const uint64_t *args,
		    const struct vm_region *extra, uint32_t nextra, uint64_t *ret, char *errmsg, size_t errsz);
/* Timers (helpers/helper_timer.c): cancel every timer whose callback is
 * in @prog, waiting for one that runs. */
void timer_prog_free(const struct hive_prog *prog);

/* The engines' entry for a nested call: run @prog from @pc with r1..r5 =
 * args and r10 = fp; r0 in *ret.  Returns 0 or run->err. */
int interp_call(struct hive_run *run, const struct hive_prog *prog, uint32_t pc, const uint64_t *args,
		uintptr_t fp, uint64_t *ret);
/* }===== */

/* Record a fault (first one wins) and return its errno. */
int vm_fault(struct hive_run *run, int err, uint32_t pc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* {===== the faults of a run: one list, one message each
 *
 * The interpreter and the JIT report through the functions below, so a
 * run that faults says the same under both.  X(name, errno, message).
 */
#define VM_FAULTS(X)                                                              \
	X(ACCESS, EFAULT, "invalid %s of %u bytes at 0x%llx (%s)")                    \
	X(MISALIGNED, EFAULT, "misaligned atomic access of %u bytes at 0x%llx")       \
	X(BUDGET, ELOOP, "instruction budget of %llu exhausted")                      \
	X(DEPTH, E2BIG, "call depth exceeds %d frames")                               \
	X(CALLX, ENOENT, "callx r%u: no helper %llu")                                 \
	X(HELPER, ENOENT, "unknown helper %llu")                                      \
	X(BAD_SLOT, EINVAL, "executing an invalid slot")

enum vm_fault_kind {
#define VM_FAULT_ENUM(NAME, ERR, MSG) VM_FAULT_##NAME,
	VM_FAULTS(VM_FAULT_ENUM)
#undef VM_FAULT_ENUM
};

/* Each records its fault at @pc (first one wins) and returns the errno. */
int vm_fault_access(struct hive_run *run, uint32_t pc, uintptr_t addr, unsigned size, bool write, bool atomic);
int vm_fault_misaligned(struct hive_run *run, uint32_t pc, uintptr_t addr, unsigned size);
int vm_fault_budget(struct hive_run *run, uint32_t pc);
int vm_fault_depth(struct hive_run *run, uint32_t pc);
int vm_fault_callx(struct hive_run *run, uint32_t pc, unsigned reg, uint64_t id);
int vm_fault_helper(struct hive_run *run, uint32_t pc, uint64_t id);
int vm_fault_bad_slot(struct hive_run *run, uint32_t pc);

/* }===== */

/* Checked mode: is [addr, addr+size) inside a region (writable if @write)? */
static inline bool vm_access_ok(const struct hive_run *run, uintptr_t addr, unsigned size, bool write)
{
	for (uint32_t i = 0; i < run->nregions; i++) {
		const struct vm_region *r = &run->regions[i];
		if (addr >= r->start && addr <= r->end - size && r->end - r->start >= size)
			return !write || r->writable;
	}
	return false;
}

/* The helper for id, or NULL. */
static inline hive_helper_fn vm_helper(const struct hive_prog *prog, uint64_t id)
{
	return id < prog->nhelpers ? prog->helpers[id] : NULL;
}

/* Global data: the address of element 0 of a one-element array map (in
 * *base) when @off lies inside its value; -EOPNOTSUPP for other maps,
 * -ERANGE past the value. */
int vm_map_direct_value(struct hive_map *map, uint32_t off, void **base);

/* Validation: the structural checks done before any run (see validate.c).
 * On failure writes "insn N: <disasm>: <reason>" to log. */
int validate_prog(const struct hive_insn *insns, uint32_t cnt, const struct hive_prog_opts *opts,
		  struct hive_prog *prog, char *log, size_t log_size);

#endif
