/* The x86-64 JIT on hand-written programs: each runs under the JIT with a
 * known answer, and under the interpreter, which must agree (result, error,
 * fault pc, message, registers, instructions counted). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hive/hive.h"
#include "insn_macros.h"
#include "jit/jit.h"

#define SDIV(W, DST, SRC) INSN((W) | ISA_DIV | ISA_X, DST, SRC, 1, 0)
#define SMOD(W, DST, SRC) INSN((W) | ISA_MOD | ISA_X, DST, SRC, 1, 0)
#define SDIVK(W, DST, K) INSN((W) | ISA_DIV | ISA_K, DST, 0, 1, K)
#define SMODK(W, DST, K) INSN((W) | ISA_MOD | ISA_K, DST, 0, 1, K)
#define END(CODE, DST, W) INSN((CODE) | ISA_END, DST, 0, 0, W)
#define MOVSX(W, DST, SRC, BITS) INSN((W) | ISA_MOV | ISA_X, DST, SRC, BITS, 0)
#define LDXS(SZ, DST, SRC, OFF) INSN(ISA_LDX | ISA_MEMSX | (SZ), DST, SRC, OFF, 0)
#define JA32(IMM) INSN(ISA_JMP32 | ISA_JA, 0, 0, 0, IMM)

static uint64_t h_add6(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct hive_run *r)
{
	size_t sz;
	hive_run_mem(r, &sz);
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 1000 * sz;
}

static uint64_t h_abort(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct hive_run *r)
{
	(void)b, (void)c, (void)d, (void)e;
	hive_run_abort(r, -EPERM, "stopped by helper");
	return a;
}

static uint8_t allowed[32];
static uint64_t h_allow(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct hive_run *r)
{
	(void)a, (void)b, (void)c, (void)d, (void)e;
	hive_run_allow(r, allowed, sizeof(allowed), true);
	return (uintptr_t)allowed;
}

struct result {
	int err;
	uint64_t r0;
	uint32_t fault_pc;
	uint64_t executed;
	char msg[192];
	uint64_t regs[11];
	uint8_t mem[64];
};

struct opts {
	enum hive_exec_mode mode;
	uint64_t budget;
	bool harden, retpoline;
	bool readonly;
};

static int run_one(const struct hive_insn *insns, size_t cnt, const struct opts *o, bool jit, const uint8_t *mem_in,
		   struct result *res)
{
	struct hive_env *env;
	assert_int_equal(hive_env_new(&env), 0);
	assert_int_equal(hive_env_set_helper(env, 1, "add6", h_add6), 0);
	assert_int_equal(hive_env_set_helper(env, 2, "abort", h_abort), 0);
	assert_int_equal(hive_env_set_helper(env, 3, "allow", h_allow), 0);
	HIVE_OPTS(hive_prog_opts, po, .env = env, .mode = o->mode, .insn_budget = o->budget);
	char log[256];
	po.log_buf = log;
	po.log_size = sizeof(log);
	struct hive_prog *prog;
	int err = hive_prog_load(insns, cnt, &po, &prog);
	if (err)
		fail_msg("load: %s", log);
	if (jit) {
		HIVE_OPTS(hive_jit_opts, jo, .harden = o->harden, .retpoline = o->retpoline);
		assert_int_equal(hive_prog_jit(prog, &jo), 0);
		assert_true(hive_prog_is_jited(prog));
	}
	memset(res, 0, sizeof(*res));
	memcpy(res->mem, mem_in, sizeof(res->mem));
	HIVE_OPTS(hive_run_opts, ro, .mem = res->mem, .mem_size = sizeof(res->mem), .use_jit = jit,
		  .regs_out = res->regs, .mem_readonly = o->readonly);
	res->err = hive_prog_run(prog, &ro);
	res->r0 = ro.retval;
	res->fault_pc = ro.fault_pc;
	res->executed = ro.insns_executed;
	memcpy(res->msg, ro.errmsg, sizeof(res->msg));
	hive_prog_free(prog);
	hive_env_free(env);
	return res->err;
}

/* Addresses differ between two runs: name them by buffer and offset. */
static uint64_t norm(const struct result *r, uint64_t v)
{
	uintptr_t mem = (uintptr_t)r->mem, top = r->regs[10];
	if (v >= mem && v <= mem + sizeof(r->mem))
		return 0xaaaa000000000000ull + (v - mem);
	if (v >= top - HIVE_MAX_FRAMES * HIVE_STACK_SIZE && v <= top)
		return 0xbbbb000000000000ull + (top - v);
	return v;
}

/* Messages name addresses: compare them with hex numbers cut out. */
static void strip_hex(char *s)
{
	char *o = s;
	for (const char *p = s; *p;) {
		if (p[0] == '0' && p[1] == 'x') {
			p += 2;
			while ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))
				p++;
			continue;
		}
		*o++ = *p++;
	}
	*o = 0;
}

static bool has_helper_call(const struct hive_insn *insns, size_t cnt)
{
	for (size_t i = 0; i < cnt; i++)
		if ((insns[i].code == (ISA_JMP | ISA_CALL) && insns[i].src_reg == 0) ||
		    insns[i].code == (ISA_JMP | ISA_CALL | ISA_X))
			return true;
	return false;
}

/* Run under both; they must agree on everything.  Returns the JIT's result.
 * After a helper call r1-r5 are undefined (the validator refuses reading
 * them), and the JIT's helpers do clobber them, so they are not compared. */
static struct result both(const struct hive_insn *insns, size_t cnt, struct opts o)
{
	uint8_t mem[64];
	for (unsigned i = 0; i < sizeof(mem); i++)
		mem[i] = (uint8_t)(i * 37 + 11);
	struct result ri, rj;
	run_one(insns, cnt, &o, false, mem, &ri);
	run_one(insns, cnt, &o, true, mem, &rj);
	assert_int_equal(rj.err, ri.err);
	char mi[192], mj[192];
	memcpy(mi, ri.msg, sizeof(mi));
	memcpy(mj, rj.msg, sizeof(mj));
	strip_hex(mi);
	strip_hex(mj);
	assert_string_equal(mj, mi);
	if (ri.err) {
		assert_int_equal(rj.fault_pc, ri.fault_pc);
	} else {
		assert_int_equal(norm(&rj, rj.r0), norm(&ri, ri.r0));
		bool calls = has_helper_call(insns, cnt);
		for (int r = 0; r <= 10; r++)
			if (!calls || r == 0 || r > 5)
				assert_int_equal(norm(&rj, rj.regs[r]), norm(&ri, ri.regs[r]));
	}
	assert_int_equal(rj.executed, ri.executed);
	assert_memory_equal(rj.mem, ri.mem, sizeof(rj.mem));
	return rj;
}

static const struct opts TRUSTED = {.mode = HIVE_EXEC_TRUSTED};
static const struct opts CHECKED = {.mode = HIVE_EXEC_CHECKED};

#define RUN(mode, ...)                                                      \
	({                                                                  \
		const struct hive_insn p_[] = {__VA_ARGS__};                \
		both(p_, ARRAY_LEN(p_), mode);                              \
	})

static void expect_r0(struct opts o, uint64_t want, const struct hive_insn *p, size_t n)
{
	struct result r = both(p, n, o);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.r0, want);
	o.mode = !o.mode;
	r = both(p, n, o);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.r0, want);
}
#define EXPECT(want, ...)                                                   \
	do {                                                                \
		const struct hive_insn p_[] = {__VA_ARGS__};                \
		expect_r0(TRUSTED, (uint64_t)(want), p_, ARRAY_LEN(p_));    \
	} while (0)

static void test_alu(void **state)
{
	(void)state;
	for (int bmi2 = 0; bmi2 < 2; bmi2++) {
	jit_test_no_bmi2 = !bmi2;
	EXPECT(0, LD_IMM64(0, -1), ALU32_IMM(ISA_ADD, 0, 1), EXIT());
	EXPECT(0xfffffffeull, LD_IMM64(0, -1), ALU32_IMM(ISA_ADD, 0, -1), EXIT());
	EXPECT(0xffffffff00000000ull, LD_IMM64(0, -1), ALU64_IMM(ISA_LSH, 0, 32), EXIT());
	EXPECT(0xffffffffffffffffull, LD_IMM64(0, 0x8000000000000000ull), ALU64_IMM(ISA_ARSH, 0, 63), EXIT());
	EXPECT(0x7fffffff, MOV64_IMM(0, -1), ALU32_IMM(ISA_RSH, 0, 33), EXIT()); /* count & 31 */
	EXPECT(0x55, MOV64_IMM(0, 0x55), ALU32_IMM(ISA_LSH, 0, 32), EXIT());
	EXPECT(6, MOV64_IMM(0, 3), MOV64_IMM(4, 65), ALU64_REG(ISA_LSH, 0, 4), EXIT()); /* via cl, & 63 */
	EXPECT(3 << 5, MOV64_IMM(4, 3), MOV64_IMM(1, 5), ALU64_REG(ISA_LSH, 4, 1), MOV64_REG(0, 4), EXIT());
	EXPECT(24, MOV64_IMM(4, 3), ALU64_REG(ISA_LSH, 4, 4), MOV64_REG(0, 4), EXIT());
	EXPECT(0xfffffff0u, MOV64_IMM(0, -1), MOV64_IMM(4, 4), MOV64_IMM(3, 99), ALU32_REG(ISA_LSH, 0, 4),
	       ALU64_REG(ISA_ADD, 0, 4), ALU64_IMM(ISA_SUB, 0, 4), EXIT());
	EXPECT(-42, MOV64_IMM(0, 42), INSN(ISA_ALU64 | ISA_NEG, 0, 0, 0, 0), EXIT());
	EXPECT(0xffffffd6u, MOV64_IMM(0, 42), INSN(ISA_ALU | ISA_NEG, 0, 0, 0, 0), EXIT());
	EXPECT(0x12345678ull * 0x1000, LD_IMM64(0, 0x12345678), ALU64_IMM(ISA_MUL, 0, 0x1000), EXIT());
	EXPECT((uint64_t)-7 * 0x7fffffffull, MOV64_IMM(0, -7), MOV64_IMM(6, 0x7fffffff), ALU64_REG(ISA_MUL, 0, 6),
	       EXIT());
	EXPECT(0xfffffff9u, MOV64_IMM(0, -7), ALU32_IMM(ISA_MUL, 0, 1), EXIT());
	EXPECT(0xf0f0, MOV64_IMM(0, 0xff00), ALU64_IMM(ISA_XOR, 0, 0x0ff0), EXIT());
	EXPECT(0xabcdffffffffull, LD_IMM64(0, 0xabcdffffffffull), ALU64_IMM(ISA_AND, 0, -1), EXIT());
	EXPECT(0xffffffffu, LD_IMM64(0, 0xabcdffffffffull), ALU32_IMM(ISA_AND, 0, -1), EXIT());
	EXPECT(0x1234, LD_IMM64(6, 0x99991234), ALU32_REG(ISA_MOV, 0, 6), ALU64_IMM(ISA_AND, 0, 0xffff), EXIT());
	EXPECT(0x99991234, LD_IMM64(0, 0x1199991234ull), ALU32_REG(ISA_MOV, 0, 0), EXIT());
	EXPECT(-1, MOV64_IMM(0, -1), EXIT());
	EXPECT(0xffffffff, MOV32_IMM(0, -1), EXIT());
	EXPECT(0x80000000, MOV64_IMM(0, 0), ALU32_IMM(ISA_OR, 0, (int32_t)0x80000000), EXIT());
	/* shifts by every register into every register, 64 and 32 bit */
	for (int d = 0; d <= 9; d++)
		for (int sreg = 0; sreg <= 9; sreg++)
			for (int op = 0; op < 3; op++) {
				static const uint8_t ops[] = {ISA_LSH, ISA_RSH, ISA_ARSH};
				const struct hive_insn p[] = {
					LD_IMM64(0, 0x8765432187654321ull), LD_IMM64(1, 0x1111111111111103ull),
					MOV64_IMM(2, 33), MOV64_IMM(3, -1), MOV64_IMM(4, 7), MOV64_IMM(5, 64 + 9),
					MOV64_REG(6, 0), MOV64_REG(7, 1), MOV64_REG(8, 5), LD_IMM64(9, 0xfedcba9876543210ull),
					ALU64_REG(ops[op], d, sreg), ALU32_REG(ops[op], 9 - d, sreg),
					ALU64_REG(ISA_ADD, 0, 1), ALU64_REG(ISA_ADD, 0, 2), ALU64_REG(ISA_ADD, 0, 3),
					ALU64_REG(ISA_ADD, 0, 4), ALU64_REG(ISA_ADD, 0, 5), ALU64_REG(ISA_ADD, 0, 6),
					ALU64_REG(ISA_ADD, 0, 7), ALU64_REG(ISA_ADD, 0, 8), ALU64_REG(ISA_ADD, 0, 9), EXIT(),
				};
				struct result r = both(p, ARRAY_LEN(p), TRUSTED);
				assert_int_equal(r.err, 0);
			}
	}
	jit_test_no_bmi2 = false;
}

/* mov + add pairs become one lea: every base (rbp and r13 need a disp8) */
static void test_lea_fusion(void **state)
{
	(void)state;
	for (int a = 0; a <= 10; a++)
		for (int bsrc = 0; bsrc <= 9; bsrc++) {
			int d = a == 7 ? 6 : 7;
			const struct hive_insn p[] = {
				MOV64_IMM(0, 1), MOV64_IMM(1, 2), MOV64_IMM(2, 4), MOV64_IMM(3, 8), MOV64_IMM(4, 16),
				MOV64_IMM(5, 32), MOV64_IMM(6, 64), MOV64_IMM(7, 128), MOV64_IMM(8, 256), MOV64_IMM(9, 512),
				MOV64_REG(d, a), ALU64_REG(ISA_ADD, d, bsrc),
				MOV64_REG(9, a), ALU64_IMM(ISA_ADD, 9, -1000),
				MOV64_REG(8, a), ALU64_IMM(ISA_ADD, 8, 100000),
				ALU64_REG(ISA_SUB, d, 10), ALU64_REG(ISA_SUB, 9, 10), ALU64_REG(ISA_SUB, 8, 10),
				MOV64_REG(0, d), ALU64_REG(ISA_XOR, 0, 9), ALU64_REG(ISA_ADD, 0, 8), EXIT(),
			};
			struct result r = both(p, ARRAY_LEN(p), TRUSTED);
			assert_int_equal(r.err, 0);
		}
	/* 32-bit: lea of the full registers keeps the low half, zero-extended
	 * (the values carry into bit 32 and have high bits set) */
	for (int a = 0; a <= 9; a++)
		for (int bsrc = 0; bsrc <= 9; bsrc++) {
			int d = a == 7 ? 6 : 7;
			const struct hive_insn p[] = {
				LD_IMM64(0, 0xfffffff1fffffff0ull), LD_IMM64(1, 0x80000000ffffffffull), MOV64_IMM(2, -4),
				LD_IMM64(3, 0x7fffffff), MOV64_IMM(4, 16), LD_IMM64(5, 0x1234567890ull), MOV64_IMM(6, 64),
				MOV64_IMM(7, -128), MOV64_IMM(8, 256), MOV64_IMM(9, 512),
				ALU32_REG(ISA_MOV, d, a), ALU32_REG(ISA_ADD, d, bsrc),
				ALU32_REG(ISA_MOV, 9, a), ALU32_IMM(ISA_ADD, 9, -1000),
				ALU32_REG(ISA_MOV, 8, a), ALU32_IMM(ISA_ADD, 8, 0x7fffffff),
				MOV64_REG(0, d), ALU64_IMM(ISA_LSH, 0, 20), ALU64_REG(ISA_XOR, 0, 9), ALU64_IMM(ISA_LSH, 0, 8),
				ALU64_REG(ISA_ADD, 0, 8), EXIT(),
			};
			struct result r = both(p, ARRAY_LEN(p), TRUSTED);
			assert_int_equal(r.err, 0);
		}
	EXPECT(0, LD_IMM64(1, 0xffffffffull), ALU32_REG(ISA_MOV, 0, 1), ALU32_IMM(ISA_ADD, 0, 1), EXIT());
	EXPECT(0xfffffffeull, LD_IMM64(1, 0x1ffffffffull), ALU32_REG(ISA_MOV, 0, 1), ALU32_REG(ISA_ADD, 0, 1), EXIT());
	/* a jump into the add: the pair must not be fused */
	EXPECT(5 + 1, MOV64_IMM(2, 3), MOV64_IMM(0, 1), JMP_IMM(ISA_JEQ, 0, 1, 1), MOV64_REG(0, 2),
	       ALU64_IMM(ISA_ADD, 0, 5), EXIT());
	EXPECT(6, MOV64_IMM(2, 3), MOV64_IMM(0, 1), MOV64_REG(0, 2), ALU64_REG(ISA_ADD, 0, 0), EXIT());
}

static void test_div_mod(void **state)
{
	(void)state;
	const uint8_t W64 = ISA_ALU64, W32 = ISA_ALU;
	/* by zero: div 0, mod leaves dst (32-bit: truncated) */
	EXPECT(0, MOV64_IMM(0, 77), MOV64_IMM(3, 0), ALU64_REG(ISA_DIV, 0, 3), EXIT());
	EXPECT(77, MOV64_IMM(0, 77), MOV64_IMM(3, 0), ALU64_REG(ISA_MOD, 0, 3), EXIT());
	EXPECT(0x22334455, LD_IMM64(0, 0x1122334455ull), MOV64_IMM(3, 0), ALU32_REG(ISA_MOD, 0, 3), EXIT());
	EXPECT(0x22334455, LD_IMM64(0, 0x1122334455ull), ALU32_IMM(ISA_MOD, 0, 0), EXIT());
	EXPECT(0, LD_IMM64(0, 0x1122334455ull), ALU64_IMM(ISA_DIV, 0, 0), EXIT());
	/* dst and divisor in rax/rdx */
	EXPECT(33, MOV64_IMM(3, 100), MOV64_IMM(0, 3), ALU64_REG(ISA_DIV, 3, 0), MOV64_REG(0, 3), EXIT());
	EXPECT(1, MOV64_IMM(3, 100), MOV64_IMM(0, 3), ALU64_REG(ISA_MOD, 3, 0), MOV64_REG(0, 3), EXIT());
	EXPECT(101, MOV64_IMM(3, 100), MOV64_IMM(0, 7), ALU64_REG(ISA_MOD, 0, 3), ALU64_IMM(ISA_ADD, 0, 94), EXIT());
	EXPECT(1 + 100 + 7, MOV64_IMM(3, 100), MOV64_IMM(0, 7), MOV64_IMM(6, 50), ALU64_REG(ISA_DIV, 6, 0),
	       ALU64_REG(ISA_ADD, 0, 3), ALU64_REG(ISA_ADD, 0, 6), ALU64_IMM(ISA_SUB, 0, 6), EXIT());
	EXPECT(1, MOV64_IMM(0, 9), ALU64_REG(ISA_DIV, 0, 0), EXIT());
	EXPECT(0, MOV64_IMM(3, 9), ALU64_REG(ISA_MOD, 3, 3), MOV64_REG(0, 3), EXIT());
	/* unsigned by a negative constant: the divisor is sign-extended */
	EXPECT(1, MOV64_IMM(0, -1), ALU64_IMM(ISA_DIV, 0, -2), EXIT());
	EXPECT(0x7fffffff, MOV64_IMM(0, -1), ALU32_IMM(ISA_DIV, 0, 2), EXIT());
	EXPECT(1, MOV64_IMM(0, -1), ALU32_IMM(ISA_DIV, 0, (int32_t)0x80000000), EXIT());
	EXPECT(0x7fffffff, MOV64_IMM(0, -1), ALU32_IMM(ISA_MOD, 0, (int32_t)0x80000000), EXIT());
	EXPECT(5, MOV64_IMM(0, 45), ALU64_IMM(ISA_MOD, 0, 8), EXIT());
	EXPECT(5, MOV64_IMM(0, 47), ALU64_IMM(ISA_DIV, 0, 9), EXIT());
	/* signed */
	EXPECT(0x8000000000000000ull, LD_IMM64(0, 0x8000000000000000ull), MOV64_IMM(2, -1), SDIV(W64, 0, 2), EXIT());
	EXPECT(0, LD_IMM64(0, 0x8000000000000000ull), MOV64_IMM(2, -1), SMOD(W64, 0, 2), EXIT());
	EXPECT(0x80000000u, MOV32_IMM(0, (int32_t)0x80000000), MOV64_IMM(2, -1), SDIV(W32, 0, 2), EXIT());
	EXPECT(0x80000000u, MOV32_IMM(0, (int32_t)0x80000000), SDIVK(W32, 0, -1), EXIT());
	EXPECT(0, MOV32_IMM(0, (int32_t)0x80000000), SMODK(W32, 0, -1), EXIT());
	EXPECT(-3, MOV64_IMM(0, -7), SDIVK(W64, 0, 2), EXIT());
	EXPECT(-1, MOV64_IMM(0, -7), SMODK(W64, 0, 2), EXIT());
	EXPECT(0xfffffffd, MOV64_IMM(0, -7), SDIVK(W32, 0, 2), EXIT());
	EXPECT(0xffffffff, MOV64_IMM(0, -7), MOV64_IMM(3, 2), SMOD(W32, 0, 3), EXIT());
	EXPECT(-7, MOV64_IMM(0, -7), MOV64_IMM(3, 0), SMOD(W64, 0, 3), EXIT());
	EXPECT(0, MOV64_IMM(0, -7), MOV64_IMM(3, 0), SDIV(W64, 0, 3), EXIT());
	EXPECT(7, MOV64_IMM(0, -7), SDIVK(W64, 0, -1), EXIT());
	EXPECT(-7, MOV64_IMM(0, -7), SDIVK(W64, 0, 1), EXIT());
	EXPECT(0xfffffff9, MOV64_IMM(0, -7), SDIVK(W32, 0, 1), EXIT());
}

static void test_bytes(void **state)
{
	(void)state;
	EXPECT(0x3412, LD_IMM64(0, 0xabcd1234), END(ISA_ALU | ISA_X, 0, 16), EXIT());
	EXPECT(0x78563412, LD_IMM64(0, 0xab12345678ull), END(ISA_ALU | ISA_X, 0, 32), EXIT());
	EXPECT(0x0807060504030201ull, LD_IMM64(0, 0x0102030405060708ull), END(ISA_ALU | ISA_X, 0, 64), EXIT());
	EXPECT(0x1234, LD_IMM64(0, 0xabcd1234), END(ISA_ALU | ISA_K, 0, 16), EXIT());
	EXPECT(0xabcd1234, LD_IMM64(0, 0x99abcd1234ull), END(ISA_ALU | ISA_K, 0, 32), EXIT());
	EXPECT(0x99abcd1234ull, LD_IMM64(0, 0x99abcd1234ull), END(ISA_ALU | ISA_K, 0, 64), EXIT());
	EXPECT(0x3412, LD_IMM64(0, 0xabcd1234), END(ISA_ALU64, 0, 16), EXIT());
	EXPECT(0x3412, LD_IMM64(6, 0xabcd1234), END(ISA_ALU64, 6, 16), MOV64_REG(0, 6), EXIT());
	EXPECT(0x0807060504030201ull, LD_IMM64(9, 0x0102030405060708ull), END(ISA_ALU64, 9, 64), MOV64_REG(0, 9),
	       EXIT());
	EXPECT(-128, MOV64_IMM(2, 0x180), MOVSX(ISA_ALU64, 0, 2, 8), EXIT());
	EXPECT(0xffffff80u, MOV64_IMM(1, 0x180), MOVSX(ISA_ALU, 0, 1, 8), EXIT());
	EXPECT(-32768, MOV64_IMM(0, 0x18000), MOVSX(ISA_ALU64, 0, 0, 16), EXIT());
	EXPECT(0xffff8000u, MOV64_IMM(7, 0x18000), MOVSX(ISA_ALU, 0, 7, 16), EXIT());
	EXPECT(-1, LD_IMM64(8, 0x12ffffffffull), MOVSX(ISA_ALU64, 0, 8, 32), EXIT());
}

/* The machine code of @insns (trusted), copied into @code; its length. */
static size_t jit_code_of(const struct hive_insn *insns, size_t cnt, uint8_t *code, size_t cap)
{
	HIVE_OPTS(hive_prog_opts, po, .mode = HIVE_EXEC_TRUSTED);
	struct hive_prog *prog;
	assert_int_equal(hive_prog_load(insns, cnt, &po, &prog), 0);
	assert_int_equal(hive_prog_jit(prog, NULL), 0);
	size_t n;
	const uint8_t *p = jit_image_code(prog->jit, &n);
	assert_true(n <= cap);
	memcpy(code, p, n);
	hive_prog_free(prog);
	return n;
}

/* Does @code hold the two bytes @a @b followed by a register-form ModRM? */
static bool has_rr(const uint8_t *code, size_t n, uint8_t a, uint8_t b)
{
	for (size_t i = 0; i + 2 < n; i++)
		if (code[i] == a && code[i + 1] == b && code[i + 2] >= 0xc0)
			return true;
	return false;
}

/* The remainder as clang writes it (t = a; t /= b; t *= b; r = a; r -= t)
 * becomes one div: every register arrangement the rewrite takes or must
 * leave alone, 32 and 64 bit, by a register and by a constant. */
static void test_remainder(void **state)
{
	(void)state;
	static const uint64_t as[] = {0, 1, 7, 100, 0xffffffffull, 0x123456789ull, (uint64_t)-1};
	static const int32_t bs[] = {0, 1, 3, 8, 0x10000, -1, INT32_MIN};
	static const int regs[][4] = {/* t, a, r, b */
		{5, 1, 4, 4}, {5, 1, 4, 2}, {0, 3, 6, 7}, {3, 0, 2, 1}, {6, 7, 0, 3}, {2, 1, 3, 1},
		{9, 8, 7, 9}, {4, 4, 5, 1}, {4, 1, 1, 2}, {4, 1, 4, 2}, {1, 2, 3, 0}, {0, 1, 2, 3},
	};
	for (int w = 0; w < 2; w++)
		for (size_t ri = 0; ri < ARRAY_LEN(regs); ri++)
			for (size_t ai = 0; ai < ARRAY_LEN(as); ai++)
				for (size_t bi = 0; bi < ARRAY_LEN(bs); bi++)
					for (int kform = 0; kform < 2; kform++) {
						uint8_t c = w ? ISA_ALU64 : ISA_ALU;
						int t = regs[ri][0], a = regs[ri][1], r = regs[ri][2], b = regs[ri][3];
						const struct hive_insn p[] = {
							MOV64_IMM(0, 11), MOV64_IMM(1, 12), MOV64_IMM(2, 13), MOV64_IMM(3, 14),
							MOV64_IMM(4, 15), MOV64_IMM(5, 16), MOV64_IMM(6, 17), MOV64_IMM(7, 18),
							MOV64_IMM(8, 19), MOV64_IMM(9, 20), LD_IMM64(a, as[ai]),
							MOV64_IMM(b == a ? 9 : b, bs[bi]),
							INSN(c | ISA_MOV | ISA_X, t, a, 0, 0),
							INSN(c | ISA_DIV | (kform ? ISA_K : ISA_X), t, kform ? 0 : b, 0, kform ? bs[bi] : 0),
							INSN(c | ISA_MUL | (kform ? ISA_K : ISA_X), t, kform ? 0 : b, 0, kform ? bs[bi] : 0),
							INSN(c | ISA_MOV | ISA_X, r, a, 0, 0),
							INSN(c | ISA_SUB | ISA_X, r, t, 0, 0),
							MOV64_REG(0, r), ALU64_IMM(ISA_LSH, 0, 1), ALU64_REG(ISA_XOR, 0, t), EXIT(),
						};
						struct result res = both(p, ARRAY_LEN(p), TRUSTED);
						assert_int_equal(res.err, 0);
						res = both(p, ARRAY_LEN(p), CHECKED);
						assert_int_equal(res.err, 0);
					}
	/* primes' inner loop: the multiply is gone */
	const struct hive_insn p[] = {
		MOV64_IMM(1, 1000), MOV64_IMM(4, 7), MOV32_IMM(0, 0),
		ALU32_REG(ISA_MOV, 5, 1), ALU32_REG(ISA_DIV, 5, 4), ALU32_REG(ISA_MUL, 5, 4), ALU32_REG(ISA_MOV, 4, 1),
		ALU32_REG(ISA_SUB, 4, 5), ALU64_REG(ISA_MOV, 0, 4), EXIT(),
	};
	EXPECT(1000 % 7, MOV64_IMM(1, 1000), MOV64_IMM(4, 7), MOV32_IMM(0, 0), ALU32_REG(ISA_MOV, 5, 1),
	       ALU32_REG(ISA_DIV, 5, 4), ALU32_REG(ISA_MUL, 5, 4), ALU32_REG(ISA_MOV, 4, 1), ALU32_REG(ISA_SUB, 4, 5),
	       ALU64_REG(ISA_MOV, 0, 4), EXIT());
	uint8_t code[4096];
	size_t n = jit_code_of(p, ARRAY_LEN(p), code, sizeof(code));
	assert_false(has_rr(code, n, 0x0f, 0xaf)); /* no imul r, r/m */
}

/* What the JIT knows about a loaded value: a 16-bit load then be16 is a
 * load and a rotate, with no zero-extension after it; le16/le32 of a
 * narrow load are nothing.  And a constant set twice is set once. */
static void test_known_bits(void **state)
{
	(void)state;
	uint8_t mem[64];
	for (unsigned i = 0; i < sizeof(mem); i++)
		mem[i] = (uint8_t)(i * 37 + 11);
	uint16_t h;
	memcpy(&h, mem + 12, 2);
	const struct hive_insn be[] = {
		LDX_MEM(ISA_H, 0, 1, 12), END(ISA_ALU | ISA_X, 0, 16), LDX_MEM(ISA_B, 2, 1, 3),
		END(ISA_ALU | ISA_K, 2, 16), LDX_MEM(ISA_H, 3, 1, 5), END(ISA_ALU | ISA_K, 3, 32),
		ALU64_REG(ISA_ADD, 0, 2), ALU64_REG(ISA_ADD, 0, 3), EXIT(),
	};
	struct result r = both(be, ARRAY_LEN(be), TRUSTED);
	assert_int_equal(r.err, 0);
	uint16_t h5;
	memcpy(&h5, mem + 5, 2);
	assert_int_equal(r.r0, (uint64_t)(uint16_t)(h << 8 | h >> 8) + mem[3] + h5);
	uint8_t code[4096];
	size_t n = jit_code_of(be, ARRAY_LEN(be), code, sizeof(code));
	assert_false(has_rr(code, n, 0x0f, 0xb7)); /* no movzwl r, r */
	/* not after a join: the jump target forgets what was known */
	EXPECT(0x3412, LD_IMM64(0, 0xabcd1234), MOV64_IMM(2, 1), JMP_IMM(ISA_JEQ, 2, 1, 1),
	       LDX_MEM(ISA_H, 0, 1, 0), END(ISA_ALU | ISA_X, 0, 16), EXIT());
	/* a constant set again after a branch that falls through */
	EXPECT(5, MOV64_IMM(0, 5), MOV64_IMM(2, 1), JMP_IMM(ISA_JEQ, 2, 7, 1), MOV64_IMM(0, 5), EXIT());
	EXPECT(6, MOV64_IMM(0, 5), MOV64_IMM(2, 1), JMP_IMM(ISA_JEQ, 2, 7, 1), MOV64_IMM(0, 6), EXIT());
	EXPECT(5, MOV64_IMM(0, 5), MOV64_IMM(2, 7), JMP_IMM(ISA_JEQ, 2, 7, 1), MOV64_IMM(0, 6), EXIT());
	EXPECT(5, MOV64_IMM(0, 6), MOV64_IMM(2, 7), JMP_IMM(ISA_JEQ, 2, 7, 1), MOV64_IMM(0, 6),
	       MOV64_IMM(0, 5), EXIT());
	/* a div may leave rax/rdx (r0/r3) clobbered when they are set next:
	 * then they are set, even to the value they held before the div */
	EXPECT(5, MOV64_IMM(3, 5), MOV64_IMM(4, 1000), SMODK(ISA_ALU, 4, -37), MOV64_IMM(3, 5), MOV64_REG(0, 3),
	       EXIT());
	EXPECT(7 + 1000 / 3, MOV64_IMM(0, 7), MOV64_IMM(4, 1000), MOV64_IMM(6, 3), ALU64_REG(ISA_DIV, 4, 6),
	       MOV64_IMM(0, 7), ALU64_REG(ISA_ADD, 0, 4), EXIT());
	EXPECT(9 + 1000 % 3, MOV64_IMM(3, 9), MOV64_IMM(4, 1000), MOV64_IMM(6, 3), ALU64_REG(ISA_MOD, 4, 6),
	       MOV64_IMM(3, 9), ALU64_REG(ISA_ADD, 3, 4), MOV64_REG(0, 3), EXIT());
	EXPECT(0xffffffff, MOV64_IMM(0, -1), MOV32_IMM(0, -1), EXIT());
	EXPECT(-1, MOV32_IMM(0, -1), MOV64_IMM(0, -1), EXIT());
	const struct hive_insn twice[] = {MOV64_IMM(0, 5), MOV64_IMM(2, 1), MOV64_IMM(0, 5), EXIT()};
	const struct hive_insn once[] = {MOV64_IMM(0, 5), MOV64_IMM(2, 1), EXIT()};
	assert_int_equal(jit_code_of(twice, ARRAY_LEN(twice), code, sizeof(code)),
			 jit_code_of(once, ARRAY_LEN(once), code, sizeof(code)));
}

static void test_memory(void **state)
{
	(void)state;
	/* mem[i] = i*37+11 */
	EXPECT(11 + 48, LDX_MEM(ISA_B, 0, 1, 0), LDX_MEM(ISA_B, 2, 1, 1), ALU64_REG(ISA_ADD, 0, 2), EXIT());
	EXPECT((uint8_t)(63 * 37 + 11), LDX_MEM(ISA_B, 0, 1, 63), EXIT());
	EXPECT((int8_t)(uint8_t)(6 * 37 + 11), LDXS(ISA_B, 0, 1, 6), EXIT());
	EXPECT(0x12345678abcdull, MOV64_REG(6, 1), LD_IMM64(2, 0x12345678abcdull), STX_MEM(ISA_DW, 10, 2, -8),
	       LDX_MEM(ISA_DW, 0, 10, -8), STX_MEM(ISA_DW, 6, 0, 8), LDX_MEM(ISA_DW, 0, 6, 8), EXIT());
	EXPECT(0xffffffffffff8001ull, ST_MEM(ISA_H, 10, -2, 0x8001), LDXS(ISA_H, 0, 10, -2), EXIT());
	EXPECT(0xffffffff80000001ull, ST_MEM(ISA_W, 10, -4, (int32_t)0x80000001), LDXS(ISA_W, 0, 10, -4), EXIT());
	EXPECT(0x80000001ull, ST_MEM(ISA_W, 10, -4, (int32_t)0x80000001), LDX_MEM(ISA_W, 0, 10, -4), EXIT());
	EXPECT(-5, ST_MEM(ISA_DW, 10, -16, -5), LDX_MEM(ISA_DW, 0, 10, -16), EXIT());
	EXPECT(0xab, MOV64_IMM(2, 0x1ab), STX_MEM(ISA_B, 10, 2, -1), MOV64_IMM(6, 0x1cd), STX_MEM(ISA_B, 10, 6, -2),
	       LDX_MEM(ISA_B, 0, 10, -1), EXIT());
	EXPECT(0x1234, MOV64_IMM(1, 0x1234), STX_MEM(ISA_H, 10, 1, -3), LDX_MEM(ISA_H, 0, 10, -3), EXIT());
	/* unaligned */
	EXPECT(0x77665544, LD_IMM64(3, 0x8877665544ull), STX_MEM(ISA_W, 10, 3, -7), LDX_MEM(ISA_W, 0, 10, -7), EXIT());
}

static void test_atomics(void **state)
{
	(void)state;
	/* each: stack word = 0xf0f0, r2 = 0x0ff0; result r0 = mem * 0x10000 + fetched */
#define ATOM(SZ, OP, SRC)                                                                    \
	MOV64_IMM(0, 0), MOV64_IMM(SRC, 0x0ff0), ST_MEM(ISA_DW, 10, -8, 0xf0f0), MOV64_REG(5, 10), \
		ATOMIC_OP(SZ, OP, 5, SRC, -8), LDX_MEM(ISA_DW, 0, 10, -8), ALU64_IMM(ISA_LSH, 0, 16), \
		ALU64_REG(ISA_ADD, 0, SRC), EXIT()
	EXPECT(0x100e0ull << 16 | 0x0ff0, ATOM(ISA_DW, ISA_AADD, 2));
	EXPECT(0xfff0ull << 16 | 0x0ff0, ATOM(ISA_DW, ISA_AOR, 2));
	EXPECT(0x00f0ull << 16 | 0x0ff0, ATOM(ISA_DW, ISA_AAND, 2));
	EXPECT(0xff00ull << 16 | 0x0ff0, ATOM(ISA_DW, ISA_AXOR, 2));
	EXPECT(0x100e0ull << 16 | 0xf0f0, ATOM(ISA_DW, ISA_AADD | ISA_FETCH, 2));
	EXPECT(0xfff0ull << 16 | 0xf0f0, ATOM(ISA_DW, ISA_AOR | ISA_FETCH, 2));
	EXPECT(0x00f0ull << 16 | 0xf0f0, ATOM(ISA_W, ISA_AAND | ISA_FETCH, 2));
	EXPECT(0xff00ull << 16 | 0xf0f0, ATOM(ISA_W, ISA_AXOR | ISA_FETCH, 2));
	EXPECT(0x0ff0ull << 16 | 0xf0f0, ATOM(ISA_DW, ISA_XCHG, 2));
	EXPECT(0x0ff0ull << 16 | 0xf0f0, ATOM(ISA_W, ISA_XCHG, 3));
	EXPECT(0xfff0ull << 16 | 0xf0f0, ATOM(ISA_DW, ISA_AOR | ISA_FETCH, 3));
	EXPECT(0xfff0ull << 16 | 0xf0f0, ATOM(ISA_DW, ISA_AOR | ISA_FETCH, 6));
	/* fetch-or with src = r0 and base = r0 */
	EXPECT(0xf0f0 + 0xfff0, ST_MEM(ISA_DW, 10, -8, 0xf0f0), MOV64_IMM(0, 0x0ff0), MOV64_REG(3, 10),
	       ATOMIC_OP(ISA_DW, ISA_AOR | ISA_FETCH, 3, 0, -8), LDX_MEM(ISA_DW, 2, 10, -8), ALU64_REG(ISA_ADD, 0, 2), EXIT());
	EXPECT(0xf000 + 0xf0f0, ST_MEM(ISA_DW, 10, -8, 0xf0f0), MOV64_REG(0, 10), MOV64_IMM(4, 0xff00),
	       ATOMIC_OP(ISA_DW, ISA_AAND | ISA_FETCH, 0, 4, -8), LDX_MEM(ISA_DW, 0, 10, -8), ALU64_REG(ISA_ADD, 0, 4),
	       EXIT());
	/* cmpxchg: equal stores, not equal loads; 32-bit zero-extends r0 */
	EXPECT(0x55 << 8 | 0x10, ST_MEM(ISA_DW, 10, -8, 0x10), MOV64_IMM(0, 0x10), MOV64_IMM(2, 0x55),
	       ATOMIC_OP(ISA_DW, ISA_CMPXCHG, 10, 2, -8), LDX_MEM(ISA_DW, 3, 10, -8), ALU64_IMM(ISA_LSH, 3, 8),
	       ALU64_REG(ISA_OR, 0, 3), EXIT());
	EXPECT(0x10 << 8 | 0x10, ST_MEM(ISA_DW, 10, -8, 0x10), MOV64_IMM(0, 0x11), MOV64_IMM(2, 0x55),
	       ATOMIC_OP(ISA_DW, ISA_CMPXCHG, 10, 2, -8), LDX_MEM(ISA_DW, 3, 10, -8), ALU64_IMM(ISA_LSH, 3, 8),
	       ALU64_REG(ISA_OR, 0, 3), EXIT());
	EXPECT(0x10, ST_MEM(ISA_W, 10, -8, 0x10), LD_IMM64(0, 0x1100000010ull), MOV64_IMM(2, 0x55),
	       ATOMIC_OP(ISA_W, ISA_CMPXCHG, 10, 2, -8), EXIT());
#undef ATOM
}

static void test_jumps_and_loops(void **state)
{
	(void)state;
	/* sum 1..100 */
	EXPECT(5050, MOV64_IMM(0, 0), MOV64_IMM(6, 100), ALU64_REG(ISA_ADD, 0, 6), ALU64_IMM(ISA_SUB, 6, 1),
	       JMP_IMM(ISA_JNE, 6, 0, -3), EXIT());
	/* every condition, 64 and 32 bit, against -1 and 1 */
	static const uint8_t ops[] = {ISA_JEQ, ISA_JNE, ISA_JGT, ISA_JGE, ISA_JLT, ISA_JLE,
				      ISA_JSGT, ISA_JSGE, ISA_JSLT, ISA_JSLE, ISA_JSET};
	for (unsigned i = 0; i < ARRAY_LEN(ops); i++) {
		for (int cls = 0; cls < 2; cls++) {
			uint8_t c = cls ? ISA_JMP32 : ISA_JMP;
			const struct hive_insn p[] = {
				LD_IMM64(2, 0x100000001ull), MOV64_IMM(0, 0),
				INSN(c | ops[i] | ISA_K, 2, 0, 1, -1), ALU64_IMM(ISA_OR, 0, 1),
				INSN(c | ops[i] | ISA_K, 2, 0, 1, 1), ALU64_IMM(ISA_OR, 0, 2),
				INSN(c | ops[i] | ISA_K, 2, 0, 1, 0), ALU64_IMM(ISA_OR, 0, 4),
				MOV64_IMM(3, 1), INSN(c | ops[i] | ISA_X, 2, 3, 1, 0), ALU64_IMM(ISA_OR, 0, 8),
				MOV64_IMM(3, -1), INSN(c | ops[i] | ISA_X, 2, 3, 1, 0), ALU64_IMM(ISA_OR, 0, 16),
				EXIT(),
			};
			struct result r = both(p, ARRAY_LEN(p), TRUSTED);
			assert_int_equal(r.err, 0);
			both(p, ARRAY_LEN(p), CHECKED);
		}
	}
	EXPECT(2, MOV64_IMM(0, 1), JA32(1), EXIT(), MOV64_IMM(0, 2), EXIT());
	/* a long forward jump (rel32) */
	struct hive_insn big[400];
	big[0] = MOV64_IMM(0, 7);
	big[1] = JMP_IMM(ISA_JEQ, 0, 7, 396);
	for (int i = 2; i < 398; i++)
		big[i] = ALU64_IMM(ISA_ADD, 0, 1);
	big[398] = EXIT();
	big[399] = EXIT();
	both(big, 399, TRUSTED);
	struct result r = both(big, 399, CHECKED);
	assert_int_equal(r.r0, 7);
	big[1] = JMP_IMM(ISA_JEQ, 0, 8, 396);
	r = both(big, 399, CHECKED);
	assert_int_equal(r.r0, 7 + 396);
}

static void test_calls(void **state)
{
	(void)state;
	/* helper: 6th argument is the run */
	EXPECT(1 + 4 + 9 + 16 + 25 + 64000, MOV64_IMM(1, 1), MOV64_IMM(2, 2), MOV64_IMM(3, 3), MOV64_IMM(4, 4),
	       MOV64_IMM(5, 5), MOV64_IMM(6, 9), CALL_HELPER(1), EXIT());
	/* callx: the register holds the id */
	EXPECT(1 + 64000, MOV64_IMM(1, 1), MOV64_IMM(2, 0), MOV64_IMM(3, 0), MOV64_IMM(4, 0), MOV64_IMM(5, 0),
	       MOV64_IMM(8, 1), CALLX(8), EXIT());
	/* recursion: fact(5) with r6 saved across calls */
	EXPECT(120 + 5, MOV64_IMM(1, 5), MOV64_IMM(6, 5), CALL_LOCAL(2), ALU64_REG(ISA_ADD, 0, 6), EXIT(),
	       /* fact: */ MOV64_IMM(0, 1), JMP_IMM(ISA_JLE, 1, 1, 6), MOV64_REG(6, 1), ALU64_IMM(ISA_SUB, 1, 1),
	       STX_MEM(ISA_DW, 10, 6, -8), CALL_LOCAL(-6), LDX_MEM(ISA_DW, 6, 10, -8), ALU64_REG(ISA_MUL, 0, 6),
	       EXIT());
	/* depth: 8 frames ok, 9 too many */
	const struct hive_insn deep[] = {
		MOV64_IMM(1, 0), CALL_LOCAL(1), EXIT(),
		ALU64_IMM(ISA_ADD, 1, 1), MOV64_REG(0, 1), JMP_IMM(ISA_JGE, 1, 7, 1), CALL_LOCAL(-4), EXIT(),
	};
	struct result r = both(deep, ARRAY_LEN(deep), TRUSTED);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.r0, 7);
	struct hive_insn deeper[ARRAY_LEN(deep)];
	memcpy(deeper, deep, sizeof(deep));
	deeper[5].imm = 8;
	r = both(deeper, ARRAY_LEN(deeper), TRUSTED);
	assert_int_equal(r.err, -E2BIG);
	assert_int_equal(r.fault_pc, 6);
	r = both(deeper, ARRAY_LEN(deeper), CHECKED);
	assert_int_equal(r.err, -E2BIG);
	/* callx of nothing, abort from a helper */
	r = RUN(TRUSTED, MOV64_IMM(7, 99), CALLX(7), EXIT());
	assert_int_equal(r.err, -ENOENT);
	assert_int_equal(r.fault_pc, 1);
	r = RUN(CHECKED, MOV64_IMM(7, 0), MOV64_IMM(0, 1), CALLX(7), EXIT());
	assert_int_equal(r.err, -ENOENT);
	r = RUN(CHECKED, MOV64_IMM(1, 5), MOV64_IMM(0, 3), CALL_HELPER(2), EXIT());
	assert_int_equal(r.err, -EPERM);
	assert_int_equal(r.fault_pc, 2);
	assert_string_equal(r.msg, "stopped by helper");
}

static void test_checked(void **state)
{
	(void)state;
	struct result r;
	r = RUN(CHECKED, MOV64_IMM(0, 1), LDX_MEM(ISA_W, 0, 1, 61), EXIT());
	assert_int_equal(r.err, -EFAULT);
	assert_int_equal(r.fault_pc, 1);
	r = RUN(CHECKED, MOV64_IMM(0, 1), ALU64_IMM(ISA_ADD, 0, 1), STX_MEM(ISA_B, 10, 0, 0), ALU64_IMM(ISA_ADD, 0, 1),
		EXIT());
	assert_int_equal(r.err, -EFAULT);
	assert_int_equal(r.fault_pc, 2);
	assert_int_equal(r.executed, 3);
	r = RUN(CHECKED, MOV64_IMM(0, 1), STX_MEM(ISA_B, 10, 0, -4096 - 1), EXIT());
	assert_int_equal(r.err, -EFAULT);
	r = RUN(CHECKED, MOV64_IMM(0, 1), STX_MEM(ISA_B, 10, 0, -4096), LDX_MEM(ISA_B, 0, 10, -4096), EXIT());
	assert_int_equal(r.err, 0);
	r = RUN(CHECKED, MOV64_IMM(0, 1), MOV64_IMM(2, 1), ATOMIC_OP(ISA_W, ISA_AADD, 10, 2, -6), EXIT());
	assert_int_equal(r.err, -EFAULT);
	assert_non_null(strstr(r.msg, "misaligned atomic access of 4 bytes"));

	/* read-only memory: loads go, stores fault (also on the stack's far side) */
	struct opts ro = {.mode = HIVE_EXEC_CHECKED, .readonly = true};
	r = RUN(ro, LDX_MEM(ISA_DW, 0, 1, 56), STX_MEM(ISA_DW, 10, 0, -8), LDX_MEM(ISA_DW, 0, 10, -8), EXIT());
	assert_int_equal(r.err, 0);
	r = RUN(ro, LDX_MEM(ISA_DW, 0, 1, 8), STX_MEM(ISA_B, 1, 0, 63), EXIT());
	assert_int_equal(r.err, -EFAULT);
	assert_int_equal(r.fault_pc, 1);
	/* a region a helper opens: usable after the call, and only its bytes */
	memset(allowed, 0, sizeof(allowed));
	r = RUN(CHECKED, CALL_HELPER(3), MOV64_IMM(2, 77), STX_MEM(ISA_DW, 0, 2, 24), LDX_MEM(ISA_DW, 3, 0, 24),
		ALU64_REG(ISA_ADD, 3, 3), MOV64_REG(0, 3), EXIT());
	assert_int_equal(r.err, 0);
	assert_int_equal(r.r0, 154);
	r = RUN(CHECKED, CALL_HELPER(3), MOV64_IMM(2, 77), STX_MEM(ISA_DW, 0, 2, 25), MOV64_IMM(0, 0), EXIT());
	assert_int_equal(r.err, -EFAULT);
	assert_int_equal(r.fault_pc, 2);
	r = RUN(CHECKED, MOV64_IMM(2, 77), STX_MEM(ISA_DW, 10, 2, -8), LD_IMM64(0, (uintptr_t)allowed),
		STX_MEM(ISA_DW, 0, 2, 0), EXIT());
	assert_int_equal(r.err, -EFAULT);
	assert_int_equal(r.fault_pc, 4);
	/* the budget counts alike when a block faults half-way (memory, LD_ABS miss) */
	struct opts small = {.mode = HIVE_EXEC_CHECKED, .budget = 5};
	r = RUN(small, MOV64_IMM(0, 1), ALU64_IMM(ISA_ADD, 0, 1), ALU64_IMM(ISA_ADD, 0, 1), ALU64_IMM(ISA_ADD, 0, 1),
		ALU64_IMM(ISA_ADD, 0, 1), ALU64_IMM(ISA_ADD, 0, 1), EXIT());
	assert_int_equal(r.err, -ELOOP);
	assert_int_equal(r.fault_pc, 5);
	assert_int_equal(r.executed, 5);
	r = RUN(CHECKED, MOV64_IMM(0, 1), LD_ABS(ISA_W, 62), ALU64_IMM(ISA_ADD, 0, 1), ALU64_IMM(ISA_ADD, 0, 1), EXIT());
	assert_int_equal(r.err, 0);
	assert_int_equal(r.r0, 0);
	assert_int_equal(r.executed, 2);
	r = RUN(CHECKED, MOV64_IMM(0, 1), LD_IND(ISA_H, 0, 62), ALU64_IMM(ISA_ADD, 0, 1), EXIT());
	assert_int_equal(r.err, 0);
	assert_int_equal(r.r0, 0);
	r = RUN(CHECKED, MOV64_IMM(6, -2), LD_IND(ISA_B, 6, 3), EXIT());
	assert_int_equal(r.r0, (uint8_t)(1 * 37 + 11));
	r = RUN(TRUSTED, LD_IMM64(6, 0x100000002ull), LD_IND(ISA_H, 6, 0), EXIT()); /* 32-bit offset sum */
	assert_int_equal(r.r0, (uint16_t)((2 * 37 + 11) << 8 | (uint8_t)(3 * 37 + 11)));
}

/* A long program full of short forward jumps: the layout must settle with
 * them short (not fall back to rel32 everywhere), and run as interpreted. */
static uint64_t plain_entry_helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				   struct hive_run *run)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)run;
	return 7;
}

/* The bounds check before a packet load (x86_fuse_bound): x = a + b (or
 * + k1); y = x + k; if y > z goto T; x = *(x + off).  Through, the load
 * reads at a + b + off; taken, T sees x = a + b computed out of line.
 * Every load size, both forms, registers all around (rax and rdx among
 * them), the jump each way. */
static void test_bound_fusion(void **state)
{
	(void)state;
	static const uint8_t sizes[] = {ISA_B, ISA_H, ISA_W, ISA_DW};
	static const int regs[][5] = {/* x, a, b, y, z */
		{5, 1, 4, 0, 3}, {4, 1, 2, 5, 3}, {3, 1, 0, 2, 4}, {0, 1, 3, 6, 7}, {6, 1, 7, 3, 0},
		{9, 1, 8, 0, 2},
	};
	for (size_t ri = 0; ri < ARRAY_LEN(regs); ri++)
		for (size_t si = 0; si < ARRAY_LEN(sizes); si++)
			for (int kform = 0; kform < 2; kform++)
				for (int taken = 0; taken < 2; taken++) {
					int x = regs[ri][0], a = regs[ri][1], bb = regs[ri][2], y = regs[ri][3], z = regs[ri][4];
					/* mem is 64 bytes at r1; b = 8 (or k1 = 8), k = 4, off = 2 */
					int64_t zval = taken ? 4 : 1 << 20;
					const struct hive_insn p[] = {
						MOV64_IMM(0, 0), MOV64_IMM(2, 0), MOV64_IMM(3, 0), MOV64_IMM(4, 0),
						MOV64_IMM(5, 0), MOV64_IMM(6, 0), MOV64_IMM(7, 0), MOV64_IMM(8, 0),
						MOV64_IMM(9, 0),
						MOV64_REG(a, 1), /* a is r1 in every row */
						MOV64_IMM(bb, 8),
						/* z = a + zval: the jump is taken when zval is small */
						MOV64_REG(z, 1), ALU64_IMM(ISA_ADD, z, (int32_t)zval),
						MOV64_REG(x, a),
						kform ? ALU64_IMM(ISA_ADD, x, 8) : ALU64_REG(ISA_ADD, x, bb),
						MOV64_REG(y, x),
						ALU64_IMM(ISA_ADD, y, 4),
						JMP_REG(ISA_JGT, y, z, 4),
						LDX_MEM(sizes[si], x, x, 2),
						ALU64_REG(ISA_SUB, y, 1), /* addresses as offsets: runs differ in mem */
						ALU64_REG(ISA_ADD, x, y),
						JMP_IMM(ISA_JA, 0, 0, 1),
						ALU64_REG(ISA_SUB, x, 1), /* T: x - r1 = the offset of x */
						MOV64_IMM(y, 0), MOV64_IMM(z, 0), /* addresses outside mem */
						MOV64_REG(0, x),
						EXIT(),
					};
					if (x == 1 || y == 1 || z == 1 || z == x || z == y || bb == 1 || bb == x || bb == y || bb == z)
						fail_msg("bad register row %zu", ri);
					struct result r = both(p, ARRAY_LEN(p), TRUSTED);
					assert_int_equal(r.err, 0);
					if (taken)
						assert_int_equal(r.r0, 8); /* a + b - a */
				}
}

/* hive_prog_jit_fn: a plain C entry for code that needs no run, equal to
 * hive_prog_run; none for code that calls out, checks or reaches maps. */
static void test_plain_entry(void **state)
{
	(void)state;
	/* r0 = r2 + (r1 through a stack slot at the bottom of the entry frame) */
	const struct hive_insn sum[] = {STX_MEM(ISA_DW, 10, 1, -512), LDX_MEM(ISA_DW, 3, 10, -512),
					MOV64_REG(0, 2), ALU64_REG(ISA_ADD, 0, 3), EXIT()};
	struct hive_env *env;
	assert_int_equal(hive_env_new(&env), 0);
	assert_int_equal(hive_env_set_helper(env, 5, "seven", plain_entry_helper), 0);
	HIVE_OPTS(hive_prog_opts, po, .env = env, .mode = HIVE_EXEC_TRUSTED);
	struct hive_prog *prog;
	assert_int_equal(hive_prog_load(sum, ARRAY_LEN(sum), &po, &prog), 0);
	assert_null(hive_prog_jit_fn(prog)); /* not compiled yet */
	assert_int_equal(hive_prog_jit(prog, NULL), 0);
	hive_jit_fn fn = hive_prog_jit_fn(prog);
	assert_non_null(fn);
	assert_int_equal(fn(40, 2), 42);
	assert_int_equal(fn(UINT64_MAX, 5), 4);
	uint64_t regs[11];
	HIVE_OPTS(hive_run_opts, ro, .mem = (void *)(uintptr_t)40, .mem_size = 2, .use_jit = true, .regs_out = regs);
	assert_int_equal(hive_prog_run(prog, &ro), 0);
	assert_int_equal(ro.retval, 42);
	assert_int_equal(regs[0], 42);
	assert_int_equal(regs[3], 40);
	hive_prog_free(prog);

	/* a helper call, checked mode: no plain entry; global data: one */
	const struct hive_insn call[] = {CALL_HELPER(5), EXIT()};
	assert_int_equal(hive_prog_load(call, ARRAY_LEN(call), &po, &prog), 0);
	assert_int_equal(hive_prog_jit(prog, NULL), 0);
	assert_null(hive_prog_jit_fn(prog));
	HIVE_OPTS(hive_run_opts, rc, .use_jit = true);
	assert_int_equal(hive_prog_run(prog, &rc), 0);
	assert_int_equal(rc.retval, 7);
	hive_prog_free(prog);
	HIVE_OPTS(hive_prog_opts, pc, .env = env, .mode = HIVE_EXEC_CHECKED);
	assert_int_equal(hive_prog_load(sum, ARRAY_LEN(sum), &pc, &prog), 0);
	assert_int_equal(hive_prog_jit(prog, NULL), 0);
	assert_null(hive_prog_jit_fn(prog));
	hive_prog_free(prog);
	struct hive_map *map;
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, "a", 4, 8, 1, NULL, &map), 0);
	const struct hive_insn global[] = {INSN(ISA_LD | ISA_IMM | ISA_DW, 1, 2, 0, 0), INSN(0, 0, 0, 0, 0),
					   LDX_MEM(ISA_DW, 0, 1, 0), EXIT()};
	HIVE_OPTS(hive_prog_opts, pm, .env = env, .mode = HIVE_EXEC_TRUSTED, .maps = &map, .nmaps = 1);
	uint32_t zero = 0;
	uint64_t seven = 7;
	assert_int_equal(hive_map_update(map, &zero, &seven, HIVE_ANY), 0);
	assert_int_equal(hive_prog_load(global, ARRAY_LEN(global), &pm, &prog), 0);
	assert_int_equal(hive_prog_jit(prog, NULL), 0);
	fn = hive_prog_jit_fn(prog);
	assert_non_null(fn);
	assert_int_equal(fn(0, 0), 7);
	hive_prog_free(prog);
	hive_map_free(map);
	hive_env_free(env);
	assert_null(hive_prog_jit_fn(NULL));
}

static void test_large_program(void **state)
{
	(void)state;
	size_t n = 200000;
	struct hive_insn *p = calloc(n, sizeof(*p));
	assert_non_null(p);
	p[0] = MOV64_IMM(0, 0);
	for (size_t i = 1; i < n - 2; i++)
		p[i] = i % 7 == 0 && i + 8 < n ? JMP_IMM(ISA_JGT, 0, -1, (int16_t)(i % 5)) : ALU64_IMM(ISA_ADD, 0, (int32_t)i);
	p[n - 2] = JA(0);
	p[n - 1] = EXIT();
	for (int mode = 0; mode < 2; mode++) {
		HIVE_OPTS(hive_prog_opts, po, .mode = mode ? HIVE_EXEC_TRUSTED : HIVE_EXEC_CHECKED);
		struct hive_prog *prog;
		assert_int_equal(hive_prog_load(p, n, &po, &prog), 0);
		uint64_t want, got;
		assert_int_equal(hive_prog_run_mem(prog, NULL, 0, &want), 0);
		assert_int_equal(hive_prog_jit(prog, NULL), 0);
		assert_int_equal(hive_prog_run_mem(prog, NULL, 0, &got), 0);
		assert_int_equal(got, want);
		size_t size;
		jit_image_code(prog->jit, &size);
		/* add r0, imm32 is 6 bytes, jgt is 4 + 2 when short, 4 + 6 when not */
		if (mode)
			assert_true(size < n * 6 + 4096);
		hive_prog_free(prog);
	}
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alu),
		cmocka_unit_test(test_div_mod),
		cmocka_unit_test(test_lea_fusion),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_remainder),
		cmocka_unit_test(test_known_bits),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_atomics),
		cmocka_unit_test(test_jumps_and_loops),
		cmocka_unit_test(test_calls),
		cmocka_unit_test(test_checked),
		cmocka_unit_test(test_bound_fusion),
		cmocka_unit_test(test_plain_entry),
		cmocka_unit_test(test_large_program),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
