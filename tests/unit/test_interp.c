/* The interpreter's run contract: checked-mode faults (out-of-region loads
 * and stores, budget, call depth, callx to nothing, helper aborts), regions
 * opened by helpers, local-call frames, legacy packet loads, registers at
 * exit, and many threads running one program. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "insn_macros.h"

static uint8_t helper_area[64];

static uint64_t h_ident(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct hive_run *r)
{
	(void)b, (void)c, (void)d, (void)e, (void)r;
	return a;
}

/* Returns a pointer to helper_area, opened read/write for the run. */
static uint64_t h_area(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct hive_run *r)
{
	(void)a, (void)b, (void)c, (void)d, (void)e;
	hive_run_allow(r, helper_area, sizeof(helper_area), true);
	return (uintptr_t)helper_area;
}

static uint64_t h_abort(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct hive_run *r)
{
	(void)a, (void)b, (void)c, (void)d, (void)e;
	hive_run_abort(r, -EPERM, "helper said no");
	return 0;
}

struct runres {
	int err;
	uint64_t r0;
	uint32_t pc;
	char msg[192];
	uint64_t regs[11];
	uint64_t executed;
};

static struct runres run_prog(const struct hive_insn *insns, size_t cnt, enum hive_exec_mode mode, void *mem,
			      size_t len, uint64_t budget)
{
	struct hive_env *env;
	assert_int_equal(hive_env_new(&env), 0);
	assert_int_equal(hive_env_set_helper(env, 1, "ident", h_ident), 0);
	assert_int_equal(hive_env_set_helper(env, 2, "area", h_area), 0);
	assert_int_equal(hive_env_set_helper(env, 3, "abort", h_abort), 0);
	char log[512] = "";
	HIVE_OPTS(hive_prog_opts, po, .env = env, .mode = mode, .insn_budget = budget, .log_buf = log,
		  .log_size = sizeof(log));
	struct hive_prog *prog = NULL;
	int err = hive_prog_load(insns, cnt, &po, &prog);
	if (err)
		print_error("load: %s\n", log);
	assert_int_equal(err, 0);
	struct runres res = {0};
	HIVE_OPTS(hive_run_opts, ro, .mem = mem, .mem_size = len, .regs_out = res.regs);
	res.err = hive_prog_run(prog, &ro);
	res.r0 = ro.retval;
	res.pc = ro.fault_pc;
	res.executed = ro.insns_executed;
	memcpy(res.msg, ro.errmsg, sizeof(res.msg));
	hive_prog_free(prog);
	hive_env_free(env);
	return res;
}

static void test_oob_load_store(void **state)
{
	(void)state;
	uint8_t mem[16] = {1, 2, 3, 4};
	/* last valid byte, then one past the end */
	struct hive_insn ok[] = {LDX_MEM(ISA_B, 0, 1, 15), EXIT()};
	struct runres r = run_prog(ok, ARRAY_LEN(ok), HIVE_EXEC_CHECKED, mem, sizeof(mem), 0);
	assert_int_equal(r.err, 0);
	struct hive_insn past[] = {MOV64_IMM(0, 0), LDX_MEM(ISA_H, 0, 1, 15), EXIT()};
	r = run_prog(past, ARRAY_LEN(past), HIVE_EXEC_CHECKED, mem, sizeof(mem), 0);
	assert_int_equal(r.err, -EFAULT);
	assert_int_equal(r.pc, 1);
	assert_non_null(strstr(r.msg, "invalid load of 2 bytes"));
	struct hive_insn before[] = {MOV64_IMM(0, 0), ST_MEM(ISA_W, 1, -1, 5), EXIT()};
	r = run_prog(before, ARRAY_LEN(before), HIVE_EXEC_CHECKED, mem, sizeof(mem), 0);
	assert_int_equal(r.err, -EFAULT);
	assert_non_null(strstr(r.msg, "invalid store of 4 bytes"));
	/* a wild pointer */
	struct hive_insn wild[] = {LD_IMM64(2, 0x1000), LDX_MEM(ISA_DW, 0, 2, 0), EXIT()};
	r = run_prog(wild, ARRAY_LEN(wild), HIVE_EXEC_CHECKED, mem, sizeof(mem), 0);
	assert_int_equal(r.err, -EFAULT);
	assert_int_equal(r.pc, 2);
	/* above the stack top */
	struct hive_insn stk[] = {MOV64_IMM(0, 0), STX_MEM(ISA_DW, 10, 0, 0), EXIT()};
	r = run_prog(stk, ARRAY_LEN(stk), HIVE_EXEC_CHECKED, mem, sizeof(mem), 0);
	assert_int_equal(r.err, -EFAULT);
	/* address arithmetic that wraps around must not pass the check */
	struct hive_insn wrap[] = {LD_IMM64(2, UINT64_MAX - 2), LDX_MEM(ISA_DW, 0, 2, 0), EXIT()};
	r = run_prog(wrap, ARRAY_LEN(wrap), HIVE_EXEC_CHECKED, mem, sizeof(mem), 0);
	assert_int_equal(r.err, -EFAULT);
}

static void test_atomic_checks(void **state)
{
	(void)state;
	_Alignas(8) uint8_t mem[16] = {0};
	struct hive_insn mis[] = {MOV64_IMM(0, 0), MOV64_IMM(2, 1), ATOMIC_OP(ISA_DW, ISA_AADD, 1, 2, 4), EXIT()};
	struct runres r = run_prog(mis, ARRAY_LEN(mis), HIVE_EXEC_CHECKED, mem, sizeof(mem), 0);
	assert_int_equal(r.err, -EFAULT);
	assert_non_null(strstr(r.msg, "misaligned atomic"));
	struct hive_insn ok[] = {MOV64_IMM(2, 5), ATOMIC_OP(ISA_DW, ISA_AADD | ISA_FETCH, 1, 2, 8),
				 LDX_MEM(ISA_DW, 0, 1, 8), ALU64_REG(ISA_ADD, 0, 2), EXIT()};
	mem[8] = 10;
	r = run_prog(ok, ARRAY_LEN(ok), HIVE_EXEC_CHECKED, mem, sizeof(mem), 0);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.r0, 15 + 10);
}

static void test_readonly_mem(void **state)
{
	(void)state;
	uint8_t mem[8] = {0};
	struct hive_env *env;
	assert_int_equal(hive_env_new(&env), 0);
	struct hive_insn p[] = {MOV64_IMM(0, 0), ST_MEM(ISA_B, 1, 0, 1), EXIT()};
	HIVE_OPTS(hive_prog_opts, po, .env = env);
	struct hive_prog *prog;
	assert_int_equal(hive_prog_load(p, ARRAY_LEN(p), &po, &prog), 0);
	HIVE_OPTS(hive_run_opts, ro, .mem = mem, .mem_size = sizeof(mem), .mem_readonly = true);
	assert_int_equal(hive_prog_run(prog, &ro), -EFAULT);
	assert_int_equal(mem[0], 0);
	hive_prog_free(prog);
	hive_env_free(env);
}

static void test_budget(void **state)
{
	(void)state;
	/* an endless loop stops at the budget */
	struct hive_insn loop[] = {MOV64_IMM(0, 0), ALU64_IMM(ISA_ADD, 0, 1), JA(-2)};
	struct runres r = run_prog(loop, ARRAY_LEN(loop), HIVE_EXEC_CHECKED, NULL, 0, 1000);
	assert_int_equal(r.err, -ELOOP);
	assert_non_null(strstr(r.msg, "budget"));
	/* exactly N instructions fit a budget of N */
	struct hive_insn three[] = {MOV64_IMM(0, 1), ALU64_IMM(ISA_ADD, 0, 1), EXIT()};
	r = run_prog(three, ARRAY_LEN(three), HIVE_EXEC_CHECKED, NULL, 0, 3);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.executed, 3);
	r = run_prog(three, ARRAY_LEN(three), HIVE_EXEC_CHECKED, NULL, 0, 2);
	assert_int_equal(r.err, -ELOOP);
	assert_int_equal(r.pc, 2);
}

static void test_local_calls(void **state)
{
	(void)state;
	/* callee's stack is its own: writing at r10-8 there does not touch the caller's */
	struct hive_insn p[] = {
		ST_MEM(ISA_DW, 10, -8, 11), /* caller: [r10-8] = 11 */
		MOV64_IMM(6, 100),
		CALL_LOCAL(3),
		LDX_MEM(ISA_DW, 1, 10, -8), /* 11 */
		ALU64_REG(ISA_ADD, 0, 1),   /* r0 = 22 + 11 */
		EXIT(),
		/* callee */
		ST_MEM(ISA_DW, 10, -8, 22),
		MOV64_IMM(6, 0),
		LDX_MEM(ISA_DW, 0, 10, -8),
		EXIT(),
	};
	struct runres r = run_prog(p, ARRAY_LEN(p), HIVE_EXEC_CHECKED, NULL, 0, 0);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.r0, 33);
	assert_int_equal(r.regs[6], 100); /* r6 preserved across the call */
	/* unbounded recursion stops at 8 frames */
	struct hive_insn rec[] = {MOV64_IMM(0, 0), CALL_LOCAL(-2), EXIT()};
	r = run_prog(rec, ARRAY_LEN(rec), HIVE_EXEC_CHECKED, NULL, 0, 0);
	assert_int_equal(r.err, -E2BIG);
	assert_non_null(strstr(r.msg, "call depth"));
	r = run_prog(rec, ARRAY_LEN(rec), HIVE_EXEC_TRUSTED, NULL, 0, 0);
	assert_int_equal(r.err, -E2BIG);
}

static void test_helpers_and_callx(void **state)
{
	(void)state;
	struct hive_insn p[] = {MOV64_IMM(1, 42), CALL_HELPER(1), EXIT()};
	struct runres r = run_prog(p, ARRAY_LEN(p), HIVE_EXEC_CHECKED, NULL, 0, 0);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.r0, 42);
	struct hive_insn x[] = {MOV64_IMM(1, 7), MOV64_IMM(2, 1), CALLX(2), EXIT()};
	r = run_prog(x, ARRAY_LEN(x), HIVE_EXEC_CHECKED, NULL, 0, 0);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.r0, 7);
	struct hive_insn bad[] = {MOV64_IMM(2, 77), CALLX(2), EXIT()};
	r = run_prog(bad, ARRAY_LEN(bad), HIVE_EXEC_CHECKED, NULL, 0, 0);
	assert_int_equal(r.err, -ENOENT);
	assert_int_equal(r.pc, 1);
	struct hive_insn ab[] = {MOV64_IMM(0, 0), CALL_HELPER(3), MOV64_IMM(0, 1), EXIT()};
	r = run_prog(ab, ARRAY_LEN(ab), HIVE_EXEC_TRUSTED, NULL, 0, 0);
	assert_int_equal(r.err, -EPERM);
	assert_int_equal(r.pc, 1);
	assert_non_null(strstr(r.msg, "helper said no"));
}

static void test_helper_regions(void **state)
{
	(void)state;
	memset(helper_area, 0, sizeof(helper_area));
	/* a pointer returned by a helper that opened its region is usable… */
	struct hive_insn p[] = {CALL_HELPER(2), ST_MEM(ISA_DW, 0, 56, 9), LDX_MEM(ISA_DW, 0, 0, 56), EXIT()};
	struct runres r = run_prog(p, ARRAY_LEN(p), HIVE_EXEC_CHECKED, NULL, 0, 0);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.r0, 9);
	/* …but not past its end */
	struct hive_insn q[] = {CALL_HELPER(2), ST_MEM(ISA_DW, 0, 60, 9), EXIT()};
	r = run_prog(q, ARRAY_LEN(q), HIVE_EXEC_CHECKED, NULL, 0, 0);
	assert_int_equal(r.err, -EFAULT);
}

static void test_ld_abs_ind(void **state)
{
	(void)state;
	uint8_t pkt[8] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0};
	struct hive_insn w[] = {LD_ABS(ISA_W, 2), EXIT()};
	struct runres r = run_prog(w, ARRAY_LEN(w), HIVE_EXEC_CHECKED, pkt, sizeof(pkt), 0);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.r0, 0x56789abc); /* network byte order */
	struct hive_insn h[] = {MOV64_IMM(6, 3), LD_IND(ISA_H, 6, 3), EXIT()};
	r = run_prog(h, ARRAY_LEN(h), HIVE_EXEC_CHECKED, pkt, sizeof(pkt), 0);
	assert_int_equal(r.r0, 0xdef0);
	/* out of bounds: the program ends with r0 = 0 */
	struct hive_insn oob[] = {MOV64_IMM(0, 5), LD_ABS(ISA_W, 6), MOV64_IMM(0, 99), EXIT()};
	r = run_prog(oob, ARRAY_LEN(oob), HIVE_EXEC_CHECKED, pkt, sizeof(pkt), 0);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.r0, 0);
	struct hive_insn neg[] = {MOV64_IMM(6, -4), LD_IND(ISA_B, 6, 2), MOV64_IMM(0, 99), EXIT()};
	r = run_prog(neg, ARRAY_LEN(neg), HIVE_EXEC_CHECKED, pkt, sizeof(pkt), 0);
	assert_int_equal(r.r0, 0);
}

static void test_regs_out(void **state)
{
	(void)state;
	uint8_t mem[4];
	struct hive_insn p[] = {MOV64_IMM(3, -1), MOV32_IMM(4, -1), MOV64_IMM(0, 0), EXIT()};
	struct runres r = run_prog(p, ARRAY_LEN(p), HIVE_EXEC_TRUSTED, mem, sizeof(mem), 0);
	assert_int_equal(r.regs[1], (uintptr_t)mem);
	assert_int_equal(r.regs[2], sizeof(mem));
	assert_int_equal(r.regs[3], UINT64_MAX);
	assert_int_equal(r.regs[4], 0xffffffffu);
	assert_int_not_equal(r.regs[10], 0);
}

/* Many threads, one program: each run has its own registers and stack. */
struct thread_arg {
	struct hive_prog *prog;
	uint64_t seed, bad;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;
	for (int i = 0; i < 2000; i++) {
		uint64_t v = a->seed * 1000 + (uint64_t)i, ret = 0;
		if (hive_prog_run_mem(a->prog, &v, sizeof(v), &ret) || ret != v * 3 + 1)
			a->bad++;
	}
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	/* r0 = 3 * *(u64 *)r1 + 1, passing through the stack */
	struct hive_insn p[] = {LDX_MEM(ISA_DW, 2, 1, 0), STX_MEM(ISA_DW, 10, 2, -8), LDX_MEM(ISA_DW, 0, 10, -8),
				ALU64_IMM(ISA_MUL, 0, 3), ALU64_IMM(ISA_ADD, 0, 1), EXIT()};
	struct hive_prog *prog;
	assert_int_equal(hive_prog_load(p, ARRAY_LEN(p), NULL, &prog), 0);
	pthread_t t[4];
	struct thread_arg args[4];
	for (int i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){.prog = prog, .seed = (uint64_t)i + 1};
		assert_int_equal(pthread_create(&t[i], NULL, thread_main, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(args[i].bad, 0);
	}
	hive_prog_free(prog);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oob_load_store), cmocka_unit_test(test_atomic_checks),
		cmocka_unit_test(test_readonly_mem),   cmocka_unit_test(test_budget),
		cmocka_unit_test(test_local_calls),    cmocka_unit_test(test_helpers_and_callx),
		cmocka_unit_test(test_helper_regions), cmocka_unit_test(test_ld_abs_ind),
		cmocka_unit_test(test_regs_out),       cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
