/* The JIT: what vm.c calls, and what a backend provides.
 *
 * jit.c owns the backend-independent part: executable memory (mapped
 * read-write while code is written, then read-execute: never both), the
 * public hive_prog_jit()/hive_prog_is_jited(), and the run-time entry
 * jit_exec() with the C functions JIT code calls back into (region checks,
 * faults).  x86_64.c turns a program into machine code.
 */
#ifndef HIVE_JIT_H
#define HIVE_JIT_H

#include <stddef.h>
#include <stdint.h>

#include "vm/vm.h"

struct jit_image;

/* Compile prog to native code (prog->jit on success). -EOPNOTSUPP without a backend. */
int jit_compile(struct hive_prog *prog, const struct hive_jit_opts *opts);
/* Run JIT code for run->prog; r0 in *ret, r0..r10 at exit in regs_out when
 * given. Returns 0 or run->err, exactly like interp_run(). */
int jit_exec(const struct jit_image *img, struct hive_run *run, uint64_t *ret, uint64_t *regs_out);
void jit_free(struct jit_image *img);
/* A nested call on a JIT run (vm.h: callbacks and tail calls): @prog's
 * image from its entry (@entry: a tail call, r1 = args[0], r2 = args[1])
 * or from callback @pc (r1..r5 = args), with r10 = @fp, sharing the run's
 * jit_ctx.  r0 in *ret; returns 0 or run->err. */
int jit_call(struct hive_run *run, const struct hive_prog *prog, bool entry, uint32_t pc, const uint64_t *args,
	     uintptr_t fp, uint64_t *ret);

/* A fresh run (no caller) entering callback @pc of run->prog's image with
 * r1..r5 = args and r10 at the top of run->stack: timers. */
int jit_exec_cb(const struct jit_image *img, struct hive_run *run, uint32_t pc, const uint64_t *args, uint64_t *ret);

/* The machine code of an image (tests look at it: blinding, retpolines). */
const uint8_t *jit_image_code(const struct jit_image *img, size_t *size);

/* {===== between jit.c and a backend */

/* The per-run state JIT code sees in a callee-saved register.  Offsets are
 * part of the code generator's contract: keep JIT_CTX_* in step. */
struct jit_ctx {
	struct hive_run *run;
	uintptr_t exit_sp;     /* native sp to unwind to on a fault */
	uint64_t budget;       /* checked mode: instructions left */
	uintptr_t min_fp;      /* a local call needs r10 >= this */
	const uint8_t *mem;    /* LD_ABS/LD_IND packet */
	uint64_t mem_size;
	uint64_t *regs;        /* r0..r10 at exit are stored here */
	/* checked mode: the first two regions of the run (stack, memory) as
	 * windows JIT code tests inline before asking jit_rt_check(); a window
	 * of length 0 takes nothing.  Writes only go inline when both regions
	 * are writable.  Refreshed after every helper call. */
	uintptr_t win_start[2];
	uint64_t win_len[2];
	uint64_t win_writable;
	uint64_t want_regs;    /* store r0..r10 at a normal exit (faults always do) */
};
enum {
	JIT_CTX_RUN = 0, JIT_CTX_EXIT_SP = 8, JIT_CTX_BUDGET = 16, JIT_CTX_MIN_FP = 24,
	JIT_CTX_MEM = 32, JIT_CTX_MEM_SIZE = 40, JIT_CTX_REGS = 48, JIT_CTX_WIN_START = 56,
	JIT_CTX_WIN_LEN = 72, JIT_CTX_WIN_WRITABLE = 88, JIT_CTX_WANT_REGS = 96,
};

/* Entry of an image: returns r0. */
typedef uint64_t (*jit_entry_fn)(struct jit_ctx *ctx, void *mem, uint64_t mem_size, uint8_t *stack_top);
/* Callback entry of an image whose program loads callbacks (prog->ncb):
 * runs the subprogram at @pc with r1..r5 = args[0..4], r10 = fp; returns
 * its r0.  The backend puts it at offset 0 of the image and the main entry
 * after it (*entry_off > 0). */
typedef uint64_t (*jit_cb_fn)(struct jit_ctx *ctx, const uint64_t *args, uintptr_t fp, uint64_t pc);

/* Faults JIT code reports through jit_rt_fault(). */
enum jit_fault {
	JIT_FAULT_BUDGET = 1, /* -ELOOP */
	JIT_FAULT_DEPTH,      /* -E2BIG */
	JIT_FAULT_HELPER,     /* -ENOENT, aux = helper id */
	JIT_FAULT_CALLX,      /* -ENOENT, aux = the register's value */
	JIT_FAULT_ABORTED,    /* a helper stopped the run: only fault_pc */
};

/* Bits of the word JIT code passes to jit_rt_check(). */
enum {
	JIT_CHK_PC = 0xffffff,     /* instruction index */
	JIT_CHK_SIZE_SHIFT = 24,   /* access size 1, 2, 4, 8 */
	JIT_CHK_WRITE = 1u << 28,
	JIT_CHK_ATOMIC = 1u << 29, /* also must be aligned */
};

/* Checked mode: may [addr, addr+size) be accessed?  The low 32 bits of
 * @info are JIT_CHK_*, the high 32 bits the instructions the block has
 * paid for but will not run if this access faults.  Returns 0, or records
 * the fault (the interpreter's message) and returns non-zero. */
int jit_rt_check(struct jit_ctx *ctx, uintptr_t addr, uint64_t info);
/* Checked mode: set the ctx windows from the run's regions. */
void jit_rt_refresh(struct jit_ctx *ctx);
/* Record a fault: @info = pc | kind << 24 (kind | reg << 4 for callx). */
void jit_rt_fault(struct jit_ctx *ctx, uint32_t info, uint64_t aux);

struct jit_compile_opts {
	bool harden;
	bool retpoline;
	uint64_t seed; /* constant blinding keys */
	bool no_bmi2;  /* shifts by register through cl even when the CPU has BMI2 */
};

/* Tests: compile as for a CPU without BMI2 (both shift paths get run). */
extern bool jit_test_no_bmi2;

/* Writable code memory of an image being built. */
struct jit_mem {
	uint8_t *base;
	size_t size;
};

/* What a backend reports of the code it wrote. */
struct jit_arch_out {
	size_t code_size;
	size_t entry_off;  /* the main entry */
	/* code that reads nothing of a run but ctx->regs and ctx->want_regs
	 * (trusted, no helper, local call, LD_ABS/IND or fault:
	 * hive_prog.jit_standalone) also gets a plain C entry, uint64_t fn(r1,
	 * r2), here (hive_prog_jit_fn); else 0 */
	size_t fn_off;
	/* the code calls helpers or map functions (array lookups it inlines
	 * do not count): else its runs need no epoch section */
	bool calls_helpers;
};

/* Compile @prog: the backend maps @mem with jit_mem_alloc() once it knows
 * an upper bound of the size (so it can use direct calls from there) and
 * writes the code into it, filling *out on success; @mem is then still
 * read-write. */
int jit_arch_compile(const struct hive_prog *prog, const struct jit_compile_opts *opts, struct jit_mem *mem,
		     struct jit_arch_out *out);

/* The context a plain C entry runs standalone code with: registers are
 * not wanted. */
extern const struct jit_ctx jit_ctx_none;

/* The JIT's allocations (heap and code memory) all go through here, so
 * that tests can make the nth fail: jit_test_fail_alloc(n, sticky) fails
 * allocation n from now on (and every later one if @sticky); 0 turns it
 * off.  Returns the number of allocations since the last call. */
void *jit_zalloc(size_t n);
void *jit_realloc(void *p, size_t n);
unsigned long jit_test_fail_alloc(unsigned long nth, bool sticky);

/* Map @size bytes read-write, near the code JIT output calls if possible. */
int jit_mem_alloc(struct jit_mem *mem, size_t size);
void jit_mem_release(struct jit_mem *mem);

/* }===== */

#endif
