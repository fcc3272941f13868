/* libFuzzer target: arbitrary bytes as a program. Whatever validation
 * accepts must run in checked mode, interpreted and JIT-compiled, to the
 * same end — a result or a clean fault — and never crash or hang.
 * Built only with clang and -DHIVE_FUZZ=ON (tests/fuzz_vm/CMakeLists.txt). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hive/hive.h"

/* Helpers here ignore their arguments: after a call r1-r5 are undefined
 * (as in the kernel) and validation only forbids reading them in the
 * program, so the next call may pass the interpreter's and the JIT's
 * different leftovers — a helper that returned them would make the two
 * engines differ legitimately. */
static uint64_t fz_const(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct hive_run *r)
{
	(void)a, (void)b, (void)c, (void)d, (void)e, (void)r;
	return 0x1234;
}

static uint64_t fz_mem(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct hive_run *r)
{
	(void)a, (void)b, (void)c, (void)d, (void)e;
	size_t size;
	return (uintptr_t)hive_run_mem(r, &size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cnt = size / sizeof(struct hive_insn);
	if (!cnt || cnt > 4096)
		return 0;
	struct hive_insn *insns = malloc(cnt * sizeof(*insns));
	memcpy(insns, data, cnt * sizeof(*insns));
	struct hive_env *env;
	if (hive_env_new(&env)) {
		free(insns);
		return 0;
	}
	hive_env_set_helper(env, 1, "const", fz_const);
	hive_env_set_helper(env, 2, "mem", fz_mem);
	HIVE_OPTS(hive_prog_opts, po, .env = env, .mode = HIVE_EXEC_CHECKED, .insn_budget = 20000);
	struct hive_prog *prog = NULL;
	if (hive_prog_load(insns, cnt, &po, &prog) == 0) {
		/* One buffer for both runs, so pointers into it compare equal. */
		/* Not on the C stack: the VM's stack is, at a depth that differs
		 * between the engines, and an offset from mem could reach it. */
		static _Alignas(8) uint8_t mem[64];
		uint8_t after_interp[64];
		for (int i = 0; i < 64; i++)
			mem[i] = (uint8_t)(i * 37);
		HIVE_OPTS(hive_run_opts, ri, .mem = mem, .mem_size = sizeof(mem));
		int ei = hive_prog_run(prog, &ri);
		memcpy(after_interp, mem, sizeof(mem));
		if (hive_prog_jit(prog, NULL) == 0) {
			for (int i = 0; i < 64; i++)
				mem[i] = (uint8_t)(i * 37);
			HIVE_OPTS(hive_run_opts, rj, .mem = mem, .mem_size = sizeof(mem), .use_jit = true);
			int ej = hive_prog_run(prog, &rj);
			if (ei != ej || (!ei && ri.retval != rj.retval) || (ei && ri.fault_pc != rj.fault_pc) ||
			    memcmp(after_interp, mem, sizeof(mem)))
				abort(); /* the JIT and the interpreter disagree */
		}
		hive_prog_free(prog);
	}
	hive_env_free(env);
	free(insns);
	return 0;
}
