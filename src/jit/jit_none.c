/* Hosts without a JIT backend: programs run on the interpreter. */
#if !HIVE_JIT_X86_64
#include <errno.h>

#include "jit/jit.h"

int jit_compile(struct hive_prog *prog, const struct hive_jit_opts *opts)
{
	(void)prog;
	(void)opts;
	return -EOPNOTSUPP;
}

int jit_exec(const struct jit_image *img, struct hive_run *run, uint64_t *ret, uint64_t *regs_out)
{
	(void)img;
	(void)ret;
	(void)regs_out;
	return vm_fault(run, -ENOEXEC, 0, "no JIT backend on this host");
}

int jit_call(struct hive_run *run, const struct hive_prog *prog, bool entry, uint32_t pc, const uint64_t *args,
	     uintptr_t fp, uint64_t *ret)
{
	(void)prog, (void)entry, (void)pc, (void)args, (void)fp, (void)ret;
	return vm_fault(run, -ENOEXEC, VM_PC_UNKNOWN, "no JIT backend on this host");
}

int jit_exec_cb(const struct jit_image *img, struct hive_run *run, uint32_t pc, const uint64_t *args, uint64_t *ret)
{
	(void)img, (void)pc, (void)args, (void)ret;
	return vm_fault(run, -ENOEXEC, VM_PC_UNKNOWN, "no JIT backend on this host");
}

void jit_free(struct jit_image *img)
{
	(void)img;
}

HIVE_API hive_jit_fn hive_prog_jit_fn(const struct hive_prog *prog)
{
	(void)prog;
	return NULL;
}

HIVE_API int hive_prog_jit(struct hive_prog *prog, const struct hive_jit_opts *opts)
{
	return jit_compile(prog, opts);
}

HIVE_API bool hive_prog_is_jited(const struct hive_prog *prog)
{
	return prog && prog->jit;
}
#endif
