/* Edge values of every instruction class, run through the interpreter and
 * compared with results computed here, independently, in plain C:
 * ALU64/ALU32 ops at 0, -1, INT_MIN, INT_MAX and friends (shifts past the
 * width, division and modulo by zero, INT_MIN sdiv -1, smod signs, 32-bit
 * results zero-extended), movsx, ldsx, byte swaps, JMP/JMP32 signed and
 * unsigned boundaries, unaligned loads and stores, ST immediates, and the
 * atomics with and without fetch, cmpxchg hit and miss.
 *
 * The reference functions avoid undefined and implementation-defined C:
 * all arithmetic is on unsigned types, signed views are built by hand. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "insn_macros.h"

/* {===== running */

static unsigned long runs, jit_runs;

/* One run in @mode (JIT-compiled when @jit); false when the JIT is not
 * available for this program. */
static bool run_one(const struct hive_insn *insns, size_t cnt, enum hive_exec_mode mode, bool jit, void *mem,
		    size_t len, uint64_t regs[11], const char *what)
{
	char log[512] = "";
	HIVE_OPTS(hive_prog_opts, po, .mode = mode, .log_buf = log, .log_size = sizeof(log));
	struct hive_prog *prog = NULL;
	int err = hive_prog_load(insns, cnt, &po, &prog);
	if (err)
		fail_msg("%s: load refused (%d): %s", what, err, log);
	if (jit && hive_prog_jit(prog, NULL) != 0) {
		hive_prog_free(prog);
		return false;
	}
	HIVE_OPTS(hive_run_opts, ro, .mem = mem, .mem_size = len, .regs_out = regs, .use_jit = jit);
	err = hive_prog_run(prog, &ro);
	hive_prog_free(prog);
	if (err)
		fail_msg("%s: %s run failed (%d) at pc %u: %s", what, jit ? "JIT" : mode ? "trusted" : "checked", err,
			 ro.fault_pc, ro.errmsg);
	return true;
}

/* Run in checked mode, then again from the same memory in trusted mode and
 * (when the host has a JIT) JIT-compiled: all must leave the same registers
 * and memory.  r0..r10 of the checked run in @regs, its memory in @mem. */
static void run(const struct hive_insn *insns, size_t cnt, void *mem, size_t len, uint64_t regs[11], const char *what)
{
	uint8_t before[256], after[256];
	if (len > sizeof(before))
		fail_msg("%s: test memory too large", what);
	memcpy(before, mem ? mem : before, len);
	run_one(insns, cnt, HIVE_EXEC_CHECKED, false, mem, len, regs, what);
	runs++;
	memcpy(after, mem ? mem : after, len);
	for (int pass = 0; pass < 2; pass++) {
		uint64_t r2[11];
		if (len)
			memcpy(mem, before, len);
		if (!run_one(insns, cnt, HIVE_EXEC_TRUSTED, pass == 1, mem, len, r2, what))
			continue;
		jit_runs += pass == 1;
		for (int r = 0; r < 10; r++) /* r10 is the frame pointer: an address */
			if (r2[r] != regs[r])
				fail_msg("%s: %s r%d 0x%llx, checked 0x%llx", what, pass ? "JIT" : "trusted", r,
					 (unsigned long long)r2[r], (unsigned long long)regs[r]);
		if (len && memcmp(mem, after, len))
			fail_msg("%s: %s memory differs from the checked run", what, pass ? "JIT" : "trusted");
	}
	if (len)
		memcpy(mem, after, len);
}

#define CHECK(what, got, want)                                                                         \
	do {                                                                                           \
		uint64_t g_ = (got), w_ = (want);                                                      \
		if (g_ != w_)                                                                          \
			fail_msg("%s: got 0x%016llx, want 0x%016llx", what, (unsigned long long)g_,    \
				 (unsigned long long)w_);                                              \
	} while (0)

/* }===== */

/* {===== reference arithmetic */

static const uint64_t vals[] = {
	0, 1, 2, 31, 32, 63, 64, 0x7f, 0x80, 0xff, 0x7fff, 0x8000,
	0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 0x1fffffffe,
	0x7fffffffffffffff, 0x8000000000000000, 0x8000000000000001,
	0xffffffffffffffff, 0xfffffffffffffffe, 0xffffffff80000000, 0x123456789abcdef0,
};
#define NVALS (sizeof(vals) / sizeof(vals[0]))

/* imm32 operands (sign-extended for ALU64/JMP, taken as u32 for ALU32/JMP32) */
static const int32_t imms[] = {0, 1, 2, -1, -2, 31, 32, 63, 64, 0x7f, 0x80, 0x7fffffff, INT32_MIN, -0x10000, 0x12345678};
#define NIMMS (sizeof(imms) / sizeof(imms[0]))

/* The two's-complement signed view of an unsigned value, without relying on
 * implementation-defined conversions. */
static int64_t s64(uint64_t v)
{
	return v <= (uint64_t)INT64_MAX ? (int64_t)v : -(int64_t)(~v) - 1;
}
static int32_t s32(uint32_t v)
{
	return v <= (uint32_t)INT32_MAX ? (int32_t)v : -(int32_t)(~v) - 1;
}
static uint64_t sext(uint64_t v, unsigned bits)
{
	uint64_t m = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
	v &= m;
	return (v >> (bits - 1)) & 1 ? v | ~m : v;
}
static uint64_t imm64(int32_t imm)
{
	return sext((uint32_t)imm, 32);
}

enum aop { A_ADD, A_SUB, A_MUL, A_DIV, A_SDIV, A_OR, A_AND, A_LSH, A_RSH, A_MOD, A_SMOD, A_XOR, A_MOV, A_ARSH, A_COUNT };

static const struct {
	const char *name;
	uint8_t op;
	int16_t off;
} aops[A_COUNT] = {
	[A_ADD] = {"add", ISA_ADD, 0}, [A_SUB] = {"sub", ISA_SUB, 0},   [A_MUL] = {"mul", ISA_MUL, 0},
	[A_DIV] = {"div", ISA_DIV, 0}, [A_SDIV] = {"sdiv", ISA_DIV, 1}, [A_OR] = {"or", ISA_OR, 0},
	[A_AND] = {"and", ISA_AND, 0}, [A_LSH] = {"lsh", ISA_LSH, 0},   [A_RSH] = {"rsh", ISA_RSH, 0},
	[A_MOD] = {"mod", ISA_MOD, 0}, [A_SMOD] = {"smod", ISA_MOD, 1}, [A_XOR] = {"xor", ISA_XOR, 0},
	[A_MOV] = {"mov", ISA_MOV, 0}, [A_ARSH] = {"arsh", ISA_ARSH, 0},
};

static uint64_t ref_alu64(enum aop op, uint64_t a, uint64_t b)
{
	unsigned sh = (unsigned)(b & 63);
	switch (op) {
	case A_ADD: return a + b;
	case A_SUB: return a - b;
	case A_MUL: return a * b;
	case A_DIV: return b ? a / b : 0;
	case A_MOD: return b ? a % b : a;
	case A_SDIV:
		if (!b)
			return 0;
		if (a == 0x8000000000000000 && b == UINT64_MAX)
			return a; /* INT64_MIN / -1 overflows to INT64_MIN */
		return (uint64_t)(s64(a) / s64(b));
	case A_SMOD:
		if (!b)
			return a;
		if (a == 0x8000000000000000 && b == UINT64_MAX)
			return 0;
		return (uint64_t)(s64(a) % s64(b)); /* sign of the dividend */
	case A_OR: return a | b;
	case A_AND: return a & b;
	case A_XOR: return a ^ b;
	case A_LSH: return a << sh;
	case A_RSH: return a >> sh;
	case A_ARSH: return (a >> sh) | ((a >> 63) ? ~(UINT64_MAX >> sh) : 0);
	case A_MOV: return b;
	default: fail_msg("bad op");
	}
	return 0;
}

static uint32_t ref_alu32(enum aop op, uint32_t a, uint32_t b)
{
	unsigned sh = b & 31;
	switch (op) {
	case A_ADD: return a + b;
	case A_SUB: return a - b;
	case A_MUL: return a * b;
	case A_DIV: return b ? a / b : 0;
	case A_MOD: return b ? a % b : a;
	case A_SDIV:
		if (!b)
			return 0;
		if (a == 0x80000000 && b == UINT32_MAX)
			return a;
		return (uint32_t)(s32(a) / s32(b));
	case A_SMOD:
		if (!b)
			return a;
		if (a == 0x80000000 && b == UINT32_MAX)
			return 0;
		return (uint32_t)(s32(a) % s32(b));
	case A_OR: return a | b;
	case A_AND: return a & b;
	case A_XOR: return a ^ b;
	case A_LSH: return a << sh;
	case A_RSH: return a >> sh;
	case A_ARSH: return (a >> sh) | ((a >> 31) ? ~(UINT32_MAX >> sh) : 0);
	case A_MOV: return b;
	default: fail_msg("bad op");
	}
	return 0;
}

/* }===== */

/* {===== ALU */

/* r0 = a; r2 = b; r0 op= r2 (X) or r0 op= imm (K); exit */
static uint64_t alu_run(bool is64, bool x, enum aop op, uint64_t a, uint64_t b, int32_t imm)
{
	uint8_t cls = is64 ? ISA_ALU64 : ISA_ALU;
	struct hive_insn p[] = {
		LD_IMM64(0, a),
		LD_IMM64(2, b),
		INSN(cls | aops[op].op | (x ? ISA_X : ISA_K), 0, x ? 2 : 0, aops[op].off, x ? 0 : imm),
		EXIT(),
	};
	uint64_t regs[11];
	char what[128];
	snprintf(what, sizeof(what), "%s%s %s 0x%llx, 0x%llx", aops[op].name, is64 ? "64" : "32", x ? "reg" : "imm",
		 (unsigned long long)a, x ? (unsigned long long)b : (unsigned long long)(uint32_t)imm);
	run(p, ARRAY_LEN(p), NULL, 0, regs, what);
	if (x)
		CHECK(what, regs[2], b); /* the source is not written */
	return regs[0];
}

static void test_alu_reg(void **state)
{
	(void)state;
	for (int op = 0; op < A_COUNT; op++)
		for (size_t i = 0; i < NVALS; i++)
			for (size_t j = 0; j < NVALS; j++) {
				uint64_t a = vals[i], b = vals[j];
				char what[96];
				snprintf(what, sizeof(what), "%s64 0x%llx, 0x%llx", aops[op].name, (unsigned long long)a,
					 (unsigned long long)b);
				CHECK(what, alu_run(true, true, op, a, b, 0), ref_alu64(op, a, b));
				/* 32-bit: low halves only, result zero-extended */
				what[strlen(aops[op].name)] = '3';
				what[strlen(aops[op].name) + 1] = '2';
				CHECK(what, alu_run(false, true, op, a, b, 0),
				      (uint64_t)ref_alu32(op, (uint32_t)a, (uint32_t)b));
			}
}

static void test_alu_imm(void **state)
{
	(void)state;
	for (int op = 0; op < A_COUNT; op++)
		for (size_t i = 0; i < NVALS; i++)
			for (size_t j = 0; j < NIMMS; j++) {
				uint64_t a = vals[i];
				int32_t k = imms[j];
				char what[96];
				snprintf(what, sizeof(what), "%s 0x%llx, imm %d", aops[op].name, (unsigned long long)a, k);
				/* ALU64: imm sign-extended to 64 bits, even for the unsigned ops */
				CHECK(what, alu_run(true, false, op, a, 0, k), ref_alu64(op, a, imm64(k)));
				CHECK(what, alu_run(false, false, op, a, 0, k),
				      (uint64_t)ref_alu32(op, (uint32_t)a, (uint32_t)k));
			}
}

/* The named corner cases, spelled out (a second, explicit look). */
static void test_alu_corners(void **state)
{
	(void)state;
	/* division by zero: quotient 0, remainder the dividend; 32-bit zero-extends */
	CHECK("div64 by 0", alu_run(true, true, A_DIV, 12345, 0, 0), 0);
	CHECK("mod64 by 0", alu_run(true, true, A_MOD, 0xdeadbeefcafe, 0, 0), 0xdeadbeefcafe);
	CHECK("div32 by 0", alu_run(false, true, A_DIV, 0xffffffff00000007, 0, 0), 0);
	CHECK("mod32 by 0", alu_run(false, true, A_MOD, 0xffffffff00000007, 0, 0), 7);
	CHECK("sdiv64 by 0 imm", alu_run(true, false, A_SDIV, 5, 0, 0), 0);
	CHECK("smod64 by 0 imm", alu_run(true, false, A_SMOD, (uint64_t)-5, 0, 0), (uint64_t)-5);
	CHECK("smod32 by 0", alu_run(false, true, A_SMOD, 0xaaaaaaaafffffffb, 0x1111111100000000, 0), 0xfffffffb);
	/* INT_MIN / -1 */
	CHECK("sdiv64 min/-1", alu_run(true, true, A_SDIV, 0x8000000000000000, UINT64_MAX, 0), 0x8000000000000000);
	CHECK("sdiv64 min/-1 imm", alu_run(true, false, A_SDIV, 0x8000000000000000, 0, -1), 0x8000000000000000);
	CHECK("smod64 min%-1", alu_run(true, true, A_SMOD, 0x8000000000000000, UINT64_MAX, 0), 0);
	CHECK("sdiv32 min/-1", alu_run(false, false, A_SDIV, 0x80000000, 0, -1), 0x80000000);
	CHECK("smod32 min%-1", alu_run(false, false, A_SMOD, 0x80000000, 0, -1), 0);
	/* smod: sign of the dividend */
	CHECK("smod64 -7%2", alu_run(true, false, A_SMOD, (uint64_t)-7, 0, 2), (uint64_t)-1);
	CHECK("smod64 7%-2", alu_run(true, false, A_SMOD, 7, 0, -2), 1);
	CHECK("smod32 -7%-2", alu_run(false, false, A_SMOD, 0xfffffff9, 0, -2), 0xffffffff);
	CHECK("sdiv64 -7/2", alu_run(true, false, A_SDIV, (uint64_t)-7, 0, 2), (uint64_t)-3);
	/* unsigned div by an imm of -1 divides by 2^64-1 (64-bit) / 2^32-1 (32-bit) */
	CHECK("div64 imm -1", alu_run(true, false, A_DIV, UINT64_MAX, 0, -1), 1);
	CHECK("div32 imm -1", alu_run(false, false, A_DIV, 0xfffffffe, 0, -1), 0);
	/* shifts are masked to the width */
	CHECK("lsh64 by 64", alu_run(true, true, A_LSH, 3, 64, 0), 3);
	CHECK("lsh64 by 65", alu_run(true, true, A_LSH, 3, 65, 0), 6);
	CHECK("rsh32 by 32", alu_run(false, true, A_RSH, 0x80000000, 32, 0), 0x80000000);
	CHECK("arsh32 by 33", alu_run(false, false, A_ARSH, 0x80000000, 0, 33), 0xc0000000);
	CHECK("arsh64 by 63", alu_run(true, false, A_ARSH, 0x8000000000000000, 0, 63), UINT64_MAX);
	/* 32-bit results are zero-extended, including mov and add overflow */
	CHECK("mov32 -1", alu_run(false, false, A_MOV, UINT64_MAX, 0, -1), 0xffffffff);
	CHECK("add32 wrap", alu_run(false, true, A_ADD, 0xffffffffffffffff, 1, 0), 0);
	CHECK("mov64 imm -1", alu_run(true, false, A_MOV, 0, 0, -1), UINT64_MAX);
}

static void test_neg(void **state)
{
	(void)state;
	for (size_t i = 0; i < NVALS; i++) {
		uint64_t a = vals[i], regs[11];
		struct hive_insn p64[] = {LD_IMM64(0, a), INSN(ISA_ALU64 | ISA_NEG, 0, 0, 0, 0), EXIT()};
		run(p64, ARRAY_LEN(p64), NULL, 0, regs, "neg64");
		CHECK("neg64", regs[0], 0 - a);
		struct hive_insn p32[] = {LD_IMM64(0, a), INSN(ISA_ALU | ISA_NEG, 0, 0, 0, 0), EXIT()};
		run(p32, ARRAY_LEN(p32), NULL, 0, regs, "neg32");
		CHECK("neg32", regs[0], (uint32_t)(0u - (uint32_t)a));
	}
}

/* movsx: r0 = (sN)r1, w0 = (sN)w1 */
static void test_movsx(void **state)
{
	(void)state;
	static const int16_t widths[] = {8, 16, 32};
	for (size_t i = 0; i < NVALS; i++)
		for (size_t w = 0; w < ARRAY_LEN(widths); w++) {
			uint64_t a = vals[i], regs[11];
			char what[64];
			struct hive_insn p64[] = {LD_IMM64(0, 0x5555555555555555), LD_IMM64(1, a),
						  INSN(ISA_ALU64 | ISA_MOV | ISA_X, 0, 1, widths[w], 0), EXIT()};
			snprintf(what, sizeof(what), "movsx%d64 0x%llx", widths[w], (unsigned long long)a);
			run(p64, ARRAY_LEN(p64), NULL, 0, regs, what);
			CHECK(what, regs[0], sext(a, (unsigned)widths[w]));
			if (widths[w] == 32)
				continue; /* no 32-bit form from s32 */
			struct hive_insn p32[] = {LD_IMM64(0, 0x5555555555555555), LD_IMM64(1, a),
						  INSN(ISA_ALU | ISA_MOV | ISA_X, 0, 1, widths[w], 0), EXIT()};
			snprintf(what, sizeof(what), "movsx%d32 0x%llx", widths[w], (unsigned long long)a);
			run(p32, ARRAY_LEN(p32), NULL, 0, regs, what);
			CHECK(what, regs[0], (uint32_t)sext(a, (unsigned)widths[w]));
		}
}

static uint64_t swap_bytes(uint64_t v, unsigned bytes)
{
	uint64_t r = 0;
	for (unsigned i = 0; i < bytes; i++)
		r |= ((v >> (8 * i)) & 0xff) << (8 * (bytes - 1 - i));
	return r;
}

static void test_byte_swaps(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		uint8_t code;
		bool swaps; /* on this little-endian host */
	} kinds[] = {
		{"le", ISA_ALU | ISA_END | ISA_K, false},
		{"be", ISA_ALU | ISA_END | ISA_X, true},
		{"bswap", ISA_ALU64 | ISA_END | ISA_K, true},
	};
	static const int32_t widths[] = {16, 32, 64};
	const uint16_t probe = 1;
	uint8_t first;
	memcpy(&first, &probe, 1);
	assert_int_equal(first, 1); /* the expectations below assume a little-endian host */
	for (size_t i = 0; i < NVALS; i++)
		for (size_t k = 0; k < ARRAY_LEN(kinds); k++)
			for (size_t w = 0; w < ARRAY_LEN(widths); w++) {
				uint64_t a = vals[i] ^ 0x0102030405060708, regs[11];
				unsigned bytes = (unsigned)widths[w] / 8;
				uint64_t low = bytes == 8 ? a : a & ((UINT64_C(1) << (8 * bytes)) - 1);
				uint64_t want = kinds[k].swaps ? swap_bytes(low, bytes) : low;
				struct hive_insn p[] = {LD_IMM64(0, a), INSN(kinds[k].code, 0, 0, 0, widths[w]), EXIT()};
				char what[64];
				snprintf(what, sizeof(what), "%s%d 0x%llx", kinds[k].name, widths[w], (unsigned long long)a);
				run(p, ARRAY_LEN(p), NULL, 0, regs, what);
				CHECK(what, regs[0], want);
			}
}

/* }===== */

/* {===== jumps */

enum jop { J_EQ, J_GT, J_GE, J_SET, J_NE, J_SGT, J_SGE, J_LT, J_LE, J_SLT, J_SLE, J_COUNT };
static const struct {
	const char *name;
	uint8_t op;
} jops[J_COUNT] = {
	[J_EQ] = {"jeq", ISA_JEQ},   [J_GT] = {"jgt", ISA_JGT},   [J_GE] = {"jge", ISA_JGE},
	[J_SET] = {"jset", ISA_JSET}, [J_NE] = {"jne", ISA_JNE},   [J_SGT] = {"jsgt", ISA_JSGT},
	[J_SGE] = {"jsge", ISA_JSGE}, [J_LT] = {"jlt", ISA_JLT},   [J_LE] = {"jle", ISA_JLE},
	[J_SLT] = {"jslt", ISA_JSLT}, [J_SLE] = {"jsle", ISA_JSLE},
};

/* Compare the low @bits of a and b; signed compares flip the sign bit so
 * that unsigned order gives signed order. */
static bool ref_cmp(enum jop op, uint64_t a, uint64_t b, unsigned bits)
{
	uint64_t m = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1, sb = UINT64_C(1) << (bits - 1);
	a &= m;
	b &= m;
	uint64_t sa = a ^ sb, sbv = b ^ sb;
	switch (op) {
	case J_EQ: return a == b;
	case J_NE: return a != b;
	case J_GT: return a > b;
	case J_GE: return a >= b;
	case J_LT: return a < b;
	case J_LE: return a <= b;
	case J_SET: return (a & b) != 0;
	case J_SGT: return sa > sbv;
	case J_SGE: return sa >= sbv;
	case J_SLT: return sa < sbv;
	case J_SLE: return sa <= sbv;
	default: fail_msg("bad jop");
	}
	return false;
}

/* r0 = 1; if r1 op r2|imm goto +1; r0 = 0; exit  -> 1 when taken */
static bool jmp_run(bool is64, bool x, enum jop op, uint64_t a, uint64_t b, int32_t imm)
{
	uint8_t cls = is64 ? ISA_JMP : ISA_JMP32;
	struct hive_insn p[] = {
		LD_IMM64(1, a),
		LD_IMM64(2, b),
		MOV64_IMM(0, 1),
		INSN(cls | jops[op].op | (x ? ISA_X : ISA_K), 1, x ? 2 : 0, 1, x ? 0 : imm),
		MOV64_IMM(0, 0),
		EXIT(),
	};
	uint64_t regs[11];
	run(p, ARRAY_LEN(p), NULL, 0, regs, jops[op].name);
	return regs[0] == 1;
}

static void test_jumps(void **state)
{
	(void)state;
	for (int op = 0; op < J_COUNT; op++)
		for (size_t i = 0; i < NVALS; i++) {
			for (size_t j = 0; j < NVALS; j++) {
				uint64_t a = vals[i], b = vals[j];
				char what[96];
				snprintf(what, sizeof(what), "%s 0x%llx, 0x%llx", jops[op].name, (unsigned long long)a,
					 (unsigned long long)b);
				CHECK(what, jmp_run(true, true, op, a, b, 0), ref_cmp(op, a, b, 64));
				CHECK(what, jmp_run(false, true, op, a, b, 0), ref_cmp(op, a, b, 32));
			}
			for (size_t j = 0; j < NIMMS; j++) {
				uint64_t a = vals[i];
				int32_t k = imms[j];
				char what[96];
				snprintf(what, sizeof(what), "%s 0x%llx, imm %d", jops[op].name, (unsigned long long)a, k);
				CHECK(what, jmp_run(true, false, op, a, 0, k), ref_cmp(op, a, imm64(k), 64));
				CHECK(what, jmp_run(false, false, op, a, 0, k), ref_cmp(op, a, (uint32_t)k, 32));
			}
		}
	/* spelled out: -1 is the largest unsigned and the smallest... of the negatives */
	CHECK("jgt -1 > 1", jmp_run(true, false, J_GT, UINT64_MAX, 0, 1), 1);
	CHECK("jsgt -1 > 1", jmp_run(true, false, J_SGT, UINT64_MAX, 0, 1), 0);
	CHECK("jslt min < max", jmp_run(true, true, J_SLT, 0x8000000000000000, 0x7fffffffffffffff, 0), 1);
	CHECK("jlt min < max", jmp_run(true, true, J_LT, 0x8000000000000000, 0x7fffffffffffffff, 0), 0);
	CHECK("jeq32 ignores high", jmp_run(false, true, J_EQ, 0x1234567800000005, 0x5, 0), 1);
	CHECK("jsgt32 sign of bit 31", jmp_run(false, false, J_SGT, 0x0000000080000000, 0, 0), 0);
	CHECK("jeq imm -1 sign-extends", jmp_run(true, false, J_EQ, UINT64_MAX, 0, -1), 1);
	CHECK("jeq imm -1 vs 0xffffffff", jmp_run(true, false, J_EQ, 0xffffffff, 0, -1), 0);
}

/* }===== */

/* {===== memory */

static uint64_t load_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void fill_pattern(uint8_t *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		m[i] = (uint8_t)(i * 37 + 0x81);
}

/* ldx / ldxs at every alignment, through positive and negative offsets */
static void test_loads_unaligned(void **state)
{
	(void)state;
	static const uint8_t sizes[] = {ISA_B, ISA_H, ISA_W, ISA_DW};
	uint8_t mem[48];
	fill_pattern(mem, sizeof(mem));
	for (size_t s = 0; s < ARRAY_LEN(sizes); s++) {
		unsigned n = isa_access_size(sizes[s]);
		for (unsigned at = 0; at + n <= sizeof(mem); at++)
			for (int sx = 0; sx < 2; sx++) {
				if (sx && n == 8)
					continue; /* no sign-extending 64-bit load */
				uint64_t regs[11];
				int16_t off = (int16_t)((int)at - 24);
				struct hive_insn p[] = {
					LD_IMM64(0, 0xa5a5a5a5a5a5a5a5),
					ALU64_IMM(ISA_ADD, 1, 24),
					INSN(ISA_LDX | (sx ? ISA_MEMSX : ISA_MEM) | sizes[s], 0, 1, off, 0),
					EXIT(),
				};
				char what[64];
				snprintf(what, sizeof(what), "ldx%s%u at %u", sx ? "s" : "", n, at);
				run(p, ARRAY_LEN(p), mem, sizeof(mem), regs, what);
				uint64_t v = load_le(mem + at, n);
				CHECK(what, regs[0], sx ? sext(v, 8 * n) : v);
			}
	}
}

/* stx and st at every alignment; only the addressed bytes change */
static void test_stores_unaligned(void **state)
{
	(void)state;
	static const uint8_t sizes[] = {ISA_B, ISA_H, ISA_W, ISA_DW};
	static const int32_t st_imms[] = {-2, 0x7f, INT32_MIN, 0x12345678};
	const uint64_t v = 0xf1e2d3c4b5a69788;
	for (size_t s = 0; s < ARRAY_LEN(sizes); s++) {
		unsigned n = isa_access_size(sizes[s]);
		for (unsigned at = 0; at + n <= 40; at++) {
			uint8_t mem[40], want[40];
			uint64_t regs[11];
			char what[64];
			/* stx: the low n bytes of the register */
			fill_pattern(mem, sizeof(mem));
			memcpy(want, mem, sizeof(want));
			for (unsigned i = 0; i < n; i++)
				want[at + i] = (uint8_t)(v >> (8 * i));
			struct hive_insn px[] = {LD_IMM64(2, v), STX_MEM(sizes[s], 1, 2, (int16_t)at), MOV64_IMM(0, 0), EXIT()};
			snprintf(what, sizeof(what), "stx%u at %u", n, at);
			run(px, ARRAY_LEN(px), mem, sizeof(mem), regs, what);
			if (memcmp(mem, want, sizeof(mem)))
				fail_msg("%s: memory differs", what);
			/* st: the imm, sign-extended to the access width */
			for (size_t k = 0; k < ARRAY_LEN(st_imms); k++) {
				fill_pattern(mem, sizeof(mem));
				memcpy(want, mem, sizeof(want));
				uint64_t iv = imm64(st_imms[k]);
				for (unsigned i = 0; i < n; i++)
					want[at + i] = (uint8_t)(iv >> (8 * i));
				struct hive_insn pk[] = {ST_MEM(sizes[s], 1, (int16_t)at, st_imms[k]), MOV64_IMM(0, 0), EXIT()};
				snprintf(what, sizeof(what), "st%u imm %d at %u", n, st_imms[k], at);
				run(pk, ARRAY_LEN(pk), mem, sizeof(mem), regs, what);
				if (memcmp(mem, want, sizeof(mem)))
					fail_msg("%s: memory differs", what);
			}
		}
	}
}

/* }===== */

/* lddw: every 64-bit value comes back whole (the low imm is not sign-extended) */
static void test_lddw(void **state)
{
	(void)state;
	for (size_t i = 0; i < NVALS; i++)
		for (size_t j = 0; j < NVALS; j++) {
			uint64_t v = (vals[i] & 0xffffffff) | vals[j] << 32, regs[11];
			struct hive_insn p[] = {LD_IMM64(0, v), EXIT()};
			char what[64];
			snprintf(what, sizeof(what), "lddw 0x%llx", (unsigned long long)v);
			run(p, ARRAY_LEN(p), NULL, 0, regs, what);
			CHECK(what, regs[0], v);
		}
}

/* Legacy packet loads: big-endian from the run's memory; an offset outside
 * it ends the program with r0 = 0 (what the kernel does).  LD_IND adds src
 * and imm in 32 bits and takes the sum as a signed offset. */
static uint64_t ref_ld_pkt(const uint8_t *pkt, size_t len, int64_t off, unsigned n, bool *ok)
{
	*ok = off >= 0 && (uint64_t)off + n <= len;
	uint64_t v = 0;
	for (unsigned i = 0; *ok && i < n; i++)
		v = v << 8 | pkt[off + i];
	return v;
}

static void test_packet_loads(void **state)
{
	(void)state;
	static const uint8_t sizes[] = {ISA_B, ISA_H, ISA_W};
	uint8_t pkt[16];
	fill_pattern(pkt, sizeof(pkt));
	for (size_t s = 0; s < ARRAY_LEN(sizes); s++) {
		unsigned n = isa_access_size(sizes[s]);
		for (int32_t off = -2; off <= (int32_t)sizeof(pkt) + 1; off++) {
			uint64_t regs[11];
			bool ok;
			char what[64];
			/* r0 = 77 after the load tells whether the program went on */
			struct hive_insn pa[] = {LD_ABS(sizes[s], off), MOV64_REG(6, 0), MOV64_IMM(0, 77), EXIT()};
			snprintf(what, sizeof(what), "ldabs%u %d", n, off);
			run(pa, ARRAY_LEN(pa), pkt, sizeof(pkt), regs, what);
			uint64_t want = ref_ld_pkt(pkt, sizeof(pkt), off, n, &ok);
			CHECK(what, regs[0], ok ? 77 : 0);
			if (ok)
				CHECK(what, regs[6], want);
		}
		static const struct {
			uint64_t src;
			int32_t imm;
		} ind[] = {
			{0, 0}, {1, 2}, {0xffffffff00000003, 0}, {5, -6}, {5, -5}, {UINT64_MAX, 1},
			{0x80000000, INT32_MIN}, {0x7fffffff, 1}, {12, 3}, {0x100000000, 1}, {0xfffffff0, 0x14},
		};
		for (size_t k = 0; k < ARRAY_LEN(ind); k++) {
			uint64_t regs[11];
			bool ok;
			char what[80];
			struct hive_insn pi[] = {LD_IMM64(1, ind[k].src), LD_IND(sizes[s], 1, ind[k].imm), MOV64_REG(6, 0),
						 MOV64_IMM(0, 77), EXIT()};
			snprintf(what, sizeof(what), "ldind%u 0x%llx%+d", n, (unsigned long long)ind[k].src, ind[k].imm);
			run(pi, ARRAY_LEN(pi), pkt, sizeof(pkt), regs, what);
			int64_t off = s32((uint32_t)ind[k].src + (uint32_t)ind[k].imm);
			uint64_t want = ref_ld_pkt(pkt, sizeof(pkt), off, n, &ok);
			CHECK(what, regs[0], ok ? 77 : 0);
			if (ok)
				CHECK(what, regs[6], want);
		}
	}
}

/* }===== */

/* {===== atomics */

static uint64_t ref_atomic_op(int aop_imm, uint64_t a, uint64_t b)
{
	switch (aop_imm & 0xf0) {
	case ISA_AADD: return a + b;
	case ISA_AOR: return a | b;
	case ISA_AAND: return a & b;
	case ISA_AXOR: return a ^ b;
	default: fail_msg("bad atomic op");
	}
	return 0;
}

/* *(mem + 8) op= r2, with and without fetch, both widths; the bytes around
 * the target are left alone and r2 gets the old value (zero-extended) only
 * when fetching. */
static void test_atomics(void **state)
{
	(void)state;
	static const int ops[] = {ISA_AADD, ISA_AOR, ISA_AAND, ISA_AXOR};
	static const uint64_t avals[] = {0, 1, 0xffffffff, 0x7fffffffffffffff, 0x8000000000000000, UINT64_MAX,
					 0x123456789abcdef0, 0x00000000ffffffff};
	for (size_t o = 0; o < ARRAY_LEN(ops); o++)
		for (int fetch = 0; fetch < 2; fetch++)
			for (int w64 = 0; w64 < 2; w64++)
				for (size_t i = 0; i < ARRAY_LEN(avals); i++)
					for (size_t j = 0; j < ARRAY_LEN(avals); j++) {
						uint64_t a = avals[i], b = avals[j] ^ 0x0f0f000000000000, regs[11];
						uint64_t mem[3] = {0x1111111111111111, a, 0x3333333333333333};
						int imm = ops[o] | (fetch ? ISA_FETCH : 0);
						struct hive_insn p[] = {
							LD_IMM64(2, b),
							ATOMIC_OP(w64 ? ISA_DW : ISA_W, imm, 1, 2, 8),
							MOV64_IMM(0, 0),
							EXIT(),
						};
						char what[96];
						snprintf(what, sizeof(what), "atomic%s op 0x%x 0x%llx, 0x%llx", w64 ? "64" : "32",
							 imm, (unsigned long long)a, (unsigned long long)b);
						run(p, ARRAY_LEN(p), mem, sizeof(mem), regs, what);
						uint64_t want_mem = w64 ? ref_atomic_op(imm, a, b)
									: (a & 0xffffffff00000000) |
									      (uint32_t)ref_atomic_op(imm, (uint32_t)a, (uint32_t)b);
						CHECK(what, mem[1], want_mem);
						CHECK(what, mem[0], 0x1111111111111111);
						CHECK(what, mem[2], 0x3333333333333333);
						CHECK(what, regs[2], fetch ? (w64 ? a : (uint32_t)a) : b);
					}
}

static void test_xchg_cmpxchg(void **state)
{
	(void)state;
	static const uint64_t avals[] = {0, UINT64_MAX, 0x8000000000000000, 0x123456789abcdef0, 0xffffffff};
	for (int w64 = 0; w64 < 2; w64++)
		for (size_t i = 0; i < ARRAY_LEN(avals); i++) {
			uint64_t a = avals[i], b = 0xcafef00d5eed1234, regs[11];
			char what[96];
			/* xchg: memory gets r2, r2 gets the old value */
			uint64_t mem[2] = {0x7777777777777777, a};
			struct hive_insn px[] = {LD_IMM64(2, b), ATOMIC_OP(w64 ? ISA_DW : ISA_W, ISA_XCHG, 1, 2, 8),
						 MOV64_IMM(0, 0), EXIT()};
			snprintf(what, sizeof(what), "xchg%s 0x%llx", w64 ? "64" : "32", (unsigned long long)a);
			run(px, ARRAY_LEN(px), mem, sizeof(mem), regs, what);
			CHECK(what, mem[1], w64 ? b : (a & 0xffffffff00000000) | (uint32_t)b);
			CHECK(what, regs[2], w64 ? a : (uint32_t)a);
			CHECK(what, mem[0], 0x7777777777777777);

			/* cmpxchg: r0 compared with memory; hit stores r2; r0 always gets the old value */
			const uint64_t expects[] = {a, a ^ 1, a ^ 0xffffffff00000000};
			for (size_t e = 0; e < ARRAY_LEN(expects); e++) {
				uint64_t c = expects[e];
				mem[0] = 0x7777777777777777;
				mem[1] = a;
				struct hive_insn pc[] = {LD_IMM64(0, c), LD_IMM64(2, b),
							 ATOMIC_OP(w64 ? ISA_DW : ISA_W, ISA_CMPXCHG, 1, 2, 8), EXIT()};
				snprintf(what, sizeof(what), "cmpxchg%s 0x%llx vs 0x%llx", w64 ? "64" : "32",
					 (unsigned long long)a, (unsigned long long)c);
				run(pc, ARRAY_LEN(pc), mem, sizeof(mem), regs, what);
				bool hit = w64 ? c == a : (uint32_t)c == (uint32_t)a;
				uint64_t want = !hit ? a : w64 ? b : (a & 0xffffffff00000000) | (uint32_t)b;
				CHECK(what, mem[1], want);
				CHECK(what, regs[0], w64 ? a : (uint32_t)a);
				CHECK(what, regs[2], b);
				CHECK(what, mem[0], 0x7777777777777777);
				if (e == 2)
					CHECK("cmpxchg hit on 32 bits only for w", hit, !w64);
			}
		}
}

/* }===== */

static int report(void **state)
{
	(void)state;
	printf("isa edges: %lu programs, each run checked and trusted; %lu also JIT-compiled\n", runs, jit_runs);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alu_reg),
		cmocka_unit_test(test_alu_imm),
		cmocka_unit_test(test_alu_corners),
		cmocka_unit_test(test_neg),
		cmocka_unit_test(test_movsx),
		cmocka_unit_test(test_byte_swaps),
		cmocka_unit_test(test_jumps),
		cmocka_unit_test(test_loads_unaligned),
		cmocka_unit_test(test_stores_unaligned),
		cmocka_unit_test(test_lddw),
		cmocka_unit_test(test_packet_loads),
		cmocka_unit_test(test_atomics),
		cmocka_unit_test(test_xchg_cmpxchg),
	};
	return cmocka_run_group_tests(tests, NULL, report);
}
