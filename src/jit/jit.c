/* The JIT's backend-independent part: W^X code memory, the public API, and
 * the run-time entry with the C functions JIT code calls back into. */
#if HIVE_JIT_X86_64

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "opts.h"
#include "jit/jit.h"

struct jit_image {
	struct jit_mem mem;
	size_t code_size;
	jit_entry_fn entry;
	jit_cb_fn cb; /* callbacks: at offset 0 when the program has any */
	hive_jit_fn fn; /* standalone code: the plain C entry */
};

const struct jit_ctx jit_ctx_none;

/* {===== allocation, with a failure switch for tests */

static _Thread_local unsigned long jit_alloc_count, jit_alloc_fail_at;
static _Thread_local bool jit_alloc_sticky;

unsigned long jit_test_fail_alloc(unsigned long nth, bool sticky)
{
	unsigned long n = jit_alloc_count;
	jit_alloc_count = 0;
	jit_alloc_fail_at = nth;
	jit_alloc_sticky = sticky;
	return n;
}

static bool jit_alloc_fails(void)
{
	jit_alloc_count++;
	return jit_alloc_fail_at &&
	       (jit_alloc_count == jit_alloc_fail_at || (jit_alloc_sticky && jit_alloc_count > jit_alloc_fail_at));
}

void *jit_zalloc(size_t n)
{
	return jit_alloc_fails() ? NULL : calloc(1, n ? n : 1);
}

void *jit_realloc(void *p, size_t n)
{
	return jit_alloc_fails() ? NULL : realloc(p, n ? n : 1);
}

/* }===== */

/* {===== code memory: never writable and executable at once */

static size_t jit_page(void)
{
	long p = sysconf(_SC_PAGESIZE);
	return p > 0 ? (size_t)p : 4096;
}

int jit_mem_alloc(struct jit_mem *mem, size_t size)
{
	size_t page = jit_page();
	size_t len = size ? (size + page - 1) & ~(page - 1) : page;
	/* Ask for a place below our own text so that calls to helpers linked
	 * with us fit a rel32; the kernel may put it anywhere else. */
	uintptr_t near = (uintptr_t)&jit_rt_check & ~(uintptr_t)(page - 1);
	void *hint = near > (256u << 20) ? (void *)(near - (256u << 20)) : NULL;
	void *p = jit_alloc_fails() ? MAP_FAILED
				    : mmap(hint, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	mem->base = p;
	mem->size = len;
	return 0;
}

void jit_mem_release(struct jit_mem *mem)
{
	if (mem->base)
		munmap(mem->base, mem->size);
	mem->base = NULL;
	mem->size = 0;
}

/* }===== */

/* {===== public API */

static uint64_t jit_seed(void)
{
	uint64_t s = 0;
	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		s = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uintptr_t)&s;
	}
	return s;
}

bool jit_test_no_bmi2;

#define JIT_OPT(o, f) ((o) && (o)->sz >= offsetof(struct hive_jit_opts, f) + sizeof((o)->f) ? (o)->f : 0)

int jit_compile(struct hive_prog *prog, const struct hive_jit_opts *opts)
{
	if (!prog || !opts_valid(opts, sizeof(*opts)))
		return -EINVAL;
	struct jit_compile_opts co = {
		.harden = JIT_OPT(opts, harden),
		.retpoline = JIT_OPT(opts, retpoline),
		.seed = jit_seed(),
		.no_bmi2 = jit_test_no_bmi2,
	};
	struct jit_image *img = jit_zalloc(sizeof(*img));
	if (!img)
		return -ENOMEM;
	struct jit_arch_out out = {0};
	int err = jit_arch_compile(prog, &co, &img->mem, &out);
	if (err) {
		free(img);
		return err;
	}
	/* give back whole pages past the code, then flip to read-execute */
	size_t page = jit_page();
	img->code_size = out.code_size;
	size_t used = (img->code_size + page - 1) & ~(page - 1);
	if (used < img->mem.size) {
		munmap(img->mem.base + used, img->mem.size - used);
		img->mem.size = used;
	}
	if (mprotect(img->mem.base, img->mem.size, PROT_READ | PROT_EXEC)) {
		err = -errno;
		jit_mem_release(&img->mem);
		free(img);
		return err;
	}
	img->entry = (jit_entry_fn)(void *)(img->mem.base + out.entry_off);
	img->cb = prog->ncb && out.entry_off ? (jit_cb_fn)(void *)img->mem.base : NULL;
	if (prog->jit)
		jit_free(prog->jit);
	prog->jit = img;
	prog->jit_standalone = out.fn_off ? img->entry : NULL;
	prog->jit_calls = out.calls_helpers;
	img->fn = out.fn_off ? (hive_jit_fn)(void *)(img->mem.base + out.fn_off) : NULL;
	return 0;
}

HIVE_API int hive_prog_jit(struct hive_prog *prog, const struct hive_jit_opts *opts)
{
	return jit_compile(prog, opts);
}

HIVE_API hive_jit_fn hive_prog_jit_fn(const struct hive_prog *prog)
{
	/* standalone code calls nothing, so it needs no epoch section: the
	 * only map memory it can reach is global data, array values */
	return prog && prog->jit ? prog->jit->fn : NULL;
}

HIVE_API bool hive_prog_is_jited(const struct hive_prog *prog)
{
	return prog && prog->jit;
}

void jit_free(struct jit_image *img)
{
	if (!img)
		return;
	jit_mem_release(&img->mem);
	free(img);
}

const uint8_t *jit_image_code(const struct jit_image *img, size_t *size)
{
	*size = img->code_size;
	return img->mem.base;
}

/* }===== */

/* {===== run time */

int jit_exec(const struct jit_image *img, struct hive_run *run, uint64_t *ret, uint64_t *regs_out)
{
	uint64_t regs[11];
	/* fields one by one: an initializer clears the whole struct first, and
	 * the `rep stos` compilers use for that costs more than a short program */
	struct jit_ctx c;
	c.run = run;
	run->jit_ctx = &c;
	c.budget = run->budget;
	/* a call moves r10 down one frame; the callee's frame must still be
	 * inside the stack: caller r10 >= stack + 2 frames */
	c.min_fp = (uintptr_t)run->stack + 2 * HIVE_STACK_SIZE;
	c.mem = run->pkt;
	c.mem_size = run->pkt_size;
	c.regs = regs_out ? regs_out : regs;
	c.want_regs = regs_out != NULL;
	if (run->prog->mode == HIVE_EXEC_CHECKED)
		jit_rt_refresh(&c);
	uint8_t *top = run->stack + (size_t)HIVE_MAX_FRAMES * HIVE_STACK_SIZE;
	uint64_t r0 = img->entry(&c, run->mem, run->mem_size, top);
	if (run->prog->mode == HIVE_EXEC_CHECKED)
		run->budget = c.budget;
	run->jit_ctx = NULL;
	/* after a fault the code returns whatever; r0 is in the registers kept */
	*ret = run->err ? c.regs[0] : r0;
	return run->err;
}

int jit_exec_cb(const struct jit_image *img, struct hive_run *run, uint32_t pc, const uint64_t *args, uint64_t *ret)
{
	if (!img->cb)
		return vm_fault(run, -ENOEXEC, VM_PC_UNKNOWN, "callback of a program without JIT callback entry");
	uint64_t regs[11];
	struct jit_ctx c;
	c.run = run;
	run->jit_ctx = &c;
	c.budget = run->budget;
	c.min_fp = (uintptr_t)run->stack + 2 * HIVE_STACK_SIZE;
	c.mem = run->pkt;
	c.mem_size = run->pkt_size;
	c.regs = regs;
	c.want_regs = 0;
	c.exit_sp = 0;
	if (run->prog->mode == HIVE_EXEC_CHECKED)
		jit_rt_refresh(&c);
	uintptr_t top = (uintptr_t)run->stack + (size_t)HIVE_MAX_FRAMES * HIVE_STACK_SIZE;
	uint64_t r0 = img->cb(&c, args, top, pc);
	if (run->prog->mode == HIVE_EXEC_CHECKED)
		run->budget = c.budget;
	run->jit_ctx = NULL;
	*ret = run->err ? c.regs[0] : r0;
	return run->err;
}

int jit_call(struct hive_run *run, const struct hive_prog *prog, bool entry, uint32_t pc, const uint64_t *args,
	     uintptr_t fp, uint64_t *ret)
{
	struct jit_ctx *c = run->jit_ctx;
	const struct jit_image *img = prog->jit;
	if (!img || (!entry && !img->cb))
		return vm_fault(run, -ENOEXEC, VM_PC_UNKNOWN, "nested call into a program without JIT code");
	/* the nested image's entry sets its own unwind point; a fault in it
	 * comes back here, and the caller's stays good afterwards */
	uintptr_t exit_sp = c->exit_sp;
	if (prog->mode == HIVE_EXEC_CHECKED)
		jit_rt_refresh(c);
	uint64_t r0 = entry ? img->entry(c, (void *)(uintptr_t)args[0], args[1], (uint8_t *)fp)
			    : img->cb(c, args, fp, pc);
	c->exit_sp = exit_sp;
	*ret = r0;
	return run->err;
}

_Static_assert(offsetof(struct jit_ctx, regs) == JIT_CTX_REGS && offsetof(struct jit_ctx, win_start) == JIT_CTX_WIN_START &&
		       offsetof(struct jit_ctx, win_len) == JIT_CTX_WIN_LEN &&
		       offsetof(struct jit_ctx, win_writable) == JIT_CTX_WIN_WRITABLE &&
		       offsetof(struct jit_ctx, want_regs) == JIT_CTX_WANT_REGS &&
		       offsetof(struct jit_ctx, mem_size) == JIT_CTX_MEM_SIZE,
	       "jit_ctx offsets");

/* The windows mirror vm_access_ok() over regions 0 and 1: the first region
 * holding the access decides, so window 1 is only tried when window 0 does
 * not hold it, and writes go inline only if neither region is read-only. */
void jit_rt_refresh(struct jit_ctx *c)
{
	const struct hive_run *run = c->run;
	bool writable = true;
	for (unsigned i = 0; i < 2; i++) {
		if (i < run->nregions && run->regions[i].end > run->regions[i].start) {
			c->win_start[i] = run->regions[i].start;
			c->win_len[i] = run->regions[i].end - run->regions[i].start;
			writable = writable && run->regions[i].writable;
		} else {
			c->win_start[i] = UINTPTR_MAX / 2;
			c->win_len[i] = 0;
		}
	}
	c->win_writable = writable;
}

/* Faults are reported through the VM's one list (VM_FAULTS in vm/vm.h), as
 * the interpreter does, so a run faults alike under both. */
int jit_rt_check(struct jit_ctx *c, uintptr_t addr, uint64_t info)
{
	unsigned size = (info >> JIT_CHK_SIZE_SHIFT) & 0xf;
	bool write = info & JIT_CHK_WRITE, atomic = info & JIT_CHK_ATOMIC;
	uint32_t pc = info & JIT_CHK_PC;
	if (vm_access_ok(c->run, addr, size, write)) {
		if (!atomic || !(addr & (size - 1)))
			return 0;
		vm_fault_misaligned(c->run, pc, addr, size);
	} else {
		vm_fault_access(c->run, pc, addr, size, write, atomic);
	}
	/* the block was paid for in full; give back what will not run */
	c->budget += info >> 32;
	return 1;
}

void jit_rt_fault(struct jit_ctx *c, uint32_t info, uint64_t aux)
{
	uint32_t pc = info & 0xffffff, kind = (info >> 24) & 0xf, reg = info >> 28;
	switch (kind) {
	case JIT_FAULT_BUDGET:
		c->budget = 0;
		vm_fault_budget(c->run, pc);
		break;
	case JIT_FAULT_DEPTH:
		vm_fault_depth(c->run, pc);
		break;
	case JIT_FAULT_CALLX:
		vm_fault_callx(c->run, pc, reg, aux);
		break;
	case JIT_FAULT_ABORTED:
		if (c->run->fault_pc == VM_PC_UNKNOWN) /* else it happened inside a nested call */
			c->run->fault_pc = pc;
		break;
	default:
		vm_fault_helper(c->run, pc, aux);
		break;
	}
}

/* }===== */

#endif
