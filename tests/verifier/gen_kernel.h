/* Random programs of test_verifier_kernel.c (verdicts against the
 * kernel's), shared with the soundness tests and tests/fuzz_verifier:
 * gen_prog (map value bounds), gen_loop_prog (loops and joins),
 * gen_pkt_prog (XDP packet access).  Seed with gk_rng. */
#ifndef HIVE_TESTS_VERIFIER_GEN_KERNEL_H
#define HIVE_TESTS_VERIFIER_GEN_KERNEL_H

#include "cases.h"

static uint64_t gk_rng = 0x853c49e6748fea9bull;
static __attribute__((unused)) uint32_t rnd(void) /* gk_rng */
{
	gk_rng ^= gk_rng << 13;
	gk_rng ^= gk_rng >> 7;
	gk_rng ^= gk_rng << 17;
	return (uint32_t)gk_rng;
}

static const int32_t imms[] = {0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 40, 47, 48, 63, 64, 255, -1, -2, -8, -48,
			       0x7fffffff, (int32_t)0x80000000, 0xffff, 1 << 20};


/* r6 = map value (48 bytes) or exit; r7, r8 = unknown; then random work. */
static __attribute__((unused)) size_t gen_prog(struct hive_insn *p, size_t cap, int array_fd)
{
	size_t n = 0;
#define EMIT(...)                                                  \
	do {                                                       \
		struct hive_insn t_[] = {__VA_ARGS__};             \
		for (size_t k_ = 0; k_ < sizeof t_ / sizeof t_[0]; k_++) \
			p[n++] = t_[k_];                           \
	} while (0)
	EMIT(KEY_ON_STACK(0));
	p[n - 2].imm = array_fd;
	EMIT(CALL(FN_LOOKUP), JMP_IMM(ISA_JNE, 0, 0, 2), MOV64_IMM(0, 0), EXIT, MOV64_REG(6, 0), CALL(FN_PRANDOM),
	     MOV64_REG(7, 0), CALL(FN_PRANDOM), MOV64_REG(8, 0), MOV64_IMM(9, 0));
	size_t body = 8 + rnd() % 14;
	size_t end = n + body * 2 + 4;
	while (n < end - 3 && n < cap - 6) {
		int r = 7 + (int)(rnd() % 3), r2 = 7 + (int)(rnd() % 3);
		int32_t imm = imms[rnd() % (sizeof imms / sizeof imms[0])];
		static const uint8_t alu[] = {ISA_ADD, ISA_SUB, ISA_MUL, ISA_AND, ISA_OR, ISA_XOR, ISA_LSH, ISA_RSH,
					      ISA_ARSH, ISA_MOV, ISA_DIV, ISA_MOD};
		static const uint8_t jmp[] = {ISA_JEQ, ISA_JNE, ISA_JGT, ISA_JGE, ISA_JLT, ISA_JLE, ISA_JSGT, ISA_JSGE,
					      ISA_JSLT, ISA_JSLE, ISA_JSET};
		switch (rnd() % 9) {
		case 0:
		case 1: {
			uint8_t op = alu[rnd() % sizeof alu];
			bool w32 = rnd() % 3 == 0;
			if ((op == ISA_LSH || op == ISA_RSH || op == ISA_ARSH))
				imm &= w32 ? 31 : 63;
			if ((op == ISA_DIV || op == ISA_MOD) && imm == 0)
				imm = 3;
			if (rnd() % 2)
				EMIT(I((w32 ? ISA_ALU : ISA_ALU64) | op | ISA_K, r, 0, 0, imm));
			else if (op != ISA_LSH && op != ISA_RSH && op != ISA_ARSH)
				EMIT(I((w32 ? ISA_ALU : ISA_ALU64) | op | ISA_X, r, r2, 0, 0));
			break;
		}
		case 2:
		case 3: {
			/* forward branch over 1..3 insns */
			uint8_t op = jmp[rnd() % sizeof jmp];
			bool w32 = rnd() % 4 == 0;
			int skip = 1 + (int)(rnd() % 3);
			if (rnd() % 3)
				EMIT(I((w32 ? ISA_JMP32 : ISA_JMP) | op | ISA_K, r, 0, (int16_t)skip, imm));
			else
				EMIT(I((w32 ? ISA_JMP32 : ISA_JMP) | op | ISA_X, r, r2, (int16_t)skip, 0));
			for (int k = 0; k < skip; k++)
				EMIT(ALU64_IMM(ISA_ADD, 9, 1));
			break;
		}
		case 4: {
			/* load through the map value at a computed offset */
			static const uint8_t sz[] = {ISA_B, ISA_H, ISA_W, ISA_DW};
			EMIT(MOV64_REG(1, 6), ALU64_REG(ISA_ADD, 1, r), I(ISA_LDX | ISA_MEM | sz[rnd() % 4], 0, 1,
									  (int16_t)(rnd() % 50 - 2), 0));
			break;
		}
		case 5: {
			static const uint8_t sz[] = {ISA_B, ISA_H, ISA_W, ISA_DW};
			EMIT(MOV64_REG(1, 6), ALU64_REG(ISA_ADD, 1, r),
			     I(ISA_STX | ISA_MEM | sz[rnd() % 4], 1, r2, (int16_t)(rnd() % 50 - 2), 0));
			break;
		}
		case 6: {
			/* stack: spill, fill, and var-offset use */
			int16_t off = (int16_t)(-8 * (1 + (int)(rnd() % 6)));
			EMIT(STX(ISA_DW, 10, r, off), LDX(ISA_DW, r2, 10, off));
			break;
		}
		case 7:
			/* bound a register: the usual idiom */
			EMIT(JMP_IMM(rnd() % 2 ? ISA_JGT : ISA_JSGT, r, imm, 2), ALU64_IMM(ISA_ADD, 9, 1), JA(1), EXIT);
			break;
		default:
			EMIT(MOV64_REG(r, r2));
			break;
		}
	}
	EMIT(MOV64_IMM(0, 0), EXIT);
#undef EMIT
	return n;
}

/* Loops and joins: a counted loop whose body moves r7/r9 around, then an
 * access through the map value at r7; exercises pruning and widening-free
 * iteration the way the kernel explores it. */
static __attribute__((unused)) size_t gen_loop_prog(struct hive_insn *p, size_t cap, int array_fd)
{
	size_t n = 0;
#define EMIT(...)                                                  \
	do {                                                       \
		struct hive_insn t_[] = {__VA_ARGS__};             \
		for (size_t k_ = 0; k_ < sizeof t_ / sizeof t_[0]; k_++) \
			p[n++] = t_[k_];                           \
	} while (0)
	EMIT(KEY_ON_STACK(0));
	p[n - 2].imm = array_fd;
	EMIT(CALL(FN_LOOKUP), JMP_IMM(ISA_JNE, 0, 0, 2), MOV64_IMM(0, 0), EXIT, MOV64_REG(6, 0), CALL(FN_PRANDOM),
	     MOV64_REG(7, 0), ALU64_IMM(ISA_AND, 7, (int32_t)(rnd() % 64)), MOV64_IMM(8, 0), MOV64_IMM(9, 0));
	size_t head = n;
	int iters = 1 + (int)(rnd() % 12);
	size_t body = 1 + rnd() % 6;
	for (size_t b = 0; b < body && n < cap - 12; b++) {
		int32_t imm = imms[rnd() % (sizeof imms / sizeof imms[0])];
		switch (rnd() % 5) {
		case 0: EMIT(ALU64_IMM(ISA_ADD, 7, (int32_t)(rnd() % 5) - 2)); break;
		case 1: EMIT(JMP_IMM(ISA_JGT, 7, imm & 63, 1), ALU64_IMM(ISA_ADD, 9, 1)); break;
		case 2: EMIT(ALU64_IMM(ISA_AND, 7, imm & 63)); break;
		case 3: EMIT(JMP_IMM(ISA_JEQ, 9, (int32_t)(rnd() % 3), 1), MOV64_IMM(9, (int32_t)(rnd() % 4))); break;
		default: EMIT(MOV64_REG(1, 6), ALU64_REG(ISA_ADD, 1, 9), LDX(ISA_B, 0, 1, (int16_t)(rnd() % 48))); break;
		}
	}
	EMIT(ALU64_IMM(ISA_ADD, 8, 1));
	/* back edge: from the jump at n to head */
	EMIT(I(ISA_JMP | ISA_JLT | ISA_K, 8, 0, (int16_t)((int64_t)head - (int64_t)n - 1), iters));
	if (rnd() % 2)
		EMIT(JMP_IMM(ISA_JGT, 7, 47 - (int32_t)(rnd() % 3), 3));
	else
		EMIT(JA(0));
	EMIT(MOV64_REG(1, 6), ALU64_REG(ISA_ADD, 1, 7), LDX(ISA_B, 0, 1, 0));
	EMIT(MOV64_IMM(0, 0), EXIT);
#undef EMIT
	return n;
}

/* XDP programs: packet pointers, bounds checks in every direction, constant
 * and variable offsets, meta data, loads and stores. */
static __attribute__((unused)) size_t gen_pkt_prog(struct hive_insn *p, size_t cap)
{
	size_t n = 0;
#define EMIT(...)                                                  \
	do {                                                       \
		struct hive_insn t_[] = {__VA_ARGS__};             \
		for (size_t k_ = 0; k_ < sizeof t_ / sizeof t_[0]; k_++) \
			p[n++] = t_[k_];                           \
	} while (0)
	/* r2 = data, r3 = data_end, r4 = meta, r6 = ctx */
	EMIT(MOV64_REG(6, 1), LDX(ISA_W, 2, 6, 0), LDX(ISA_W, 3, 6, 4), LDX(ISA_W, 4, 6, 8), MOV64_IMM(9, 0));
	if (rnd() % 3) /* the usual guard first */
		EMIT(MOV64_REG(5, 2), ALU64_IMM(ISA_ADD, 5, 32 + (int32_t)(rnd() % 10)), JMP_REG(ISA_JLE, 5, 3, 2),
		     MOV64_IMM(0, 1), EXIT);
	size_t body = 4 + rnd() % 10;
	static const uint8_t sz[] = {ISA_B, ISA_H, ISA_W, ISA_DW};
	for (size_t b = 0; b < body && n < cap - 12; b++) {
		switch (rnd() % 6) {
		case 0:
		case 1: { /* bounds check: r5 = base + k; if r5 OP end goto skip */
			int base = rnd() % 5 ? 2 : 4, end = base == 2 ? 3 : 2;
			int32_t k = (int32_t)(rnd() % 40) - (rnd() % 8 == 0 ? 8 : 0);
			static const uint8_t ops[] = {ISA_JGT, ISA_JGE, ISA_JLT, ISA_JLE};
			uint8_t op = ops[rnd() % 4];
			int skip = 1 + (int)(rnd() % 3);
			bool swap = rnd() % 3 == 0;
			EMIT(MOV64_REG(5, base), ALU64_IMM(ISA_ADD, 5, k));
			if (swap)
				EMIT(JMP_REG(op, end, 5, (int16_t)skip));
			else
				EMIT(JMP_REG(op, 5, end, (int16_t)skip));
			for (int q = 0; q < skip; q++)
				EMIT(ALU64_IMM(ISA_ADD, 9, 1));
			break;
		}
		case 2: /* load at a constant offset */
			EMIT(I(ISA_LDX | ISA_MEM | sz[rnd() % 4], 7, rnd() % 5 ? 2 : 4, (int16_t)(rnd() % 40 - 2), 0));
			break;
		case 3: /* store at a constant offset */
			EMIT(I(ISA_ST | ISA_MEM | sz[rnd() % 3], rnd() % 5 ? 2 : 4, 0, (int16_t)(rnd() % 40 - 2), 1));
			break;
		case 4: /* variable offset from a packet byte */
			EMIT(LDX(ISA_B, 8, 2, (int16_t)(rnd() % 16)), ALU64_IMM(ISA_AND, 8, (int32_t)(rnd() % 2 ? 15 : 255)),
			     MOV64_REG(7, 2), ALU64_REG(ISA_ADD, 7, 8), MOV64_REG(5, 7), ALU64_IMM(ISA_ADD, 5, (int32_t)(rnd() % 8)),
			     JMP_REG(ISA_JGT, 5, 3, 1), LDX(ISA_B, 0, 7, (int16_t)(rnd() % 8)));
			break;
		default: /* move data forward by a constant */
			EMIT(ALU64_IMM(ISA_ADD, 2, (int32_t)(rnd() % 8)));
			break;
		}
	}
	EMIT(MOV64_IMM(0, 2), EXIT);
#undef EMIT
	return n;
}

#endif
