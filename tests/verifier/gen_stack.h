/* Random programs over the context and the stack (no helpers, no maps):
 * ALU of every kind, branches, small loops, spills, stack and context
 * accesses at computed offsets.  Used by the soundness oracle and by the
 * kernel differential test. */
#ifndef HIVE_TESTS_VERIFIER_GEN_STACK_H
#define HIVE_TESTS_VERIFIER_GEN_STACK_H

#include "cases.h"

static uint64_t sg_rng = 0x9e3779b97f4a7c15ull;
static uint32_t sg_rnd(void)
{
	sg_rng ^= sg_rng << 13;
	sg_rng ^= sg_rng >> 7;
	sg_rng ^= sg_rng << 17;
	return (uint32_t)sg_rng;
}

static const int32_t sg_imms[] = {0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 255, 511, 512, -1, -2, -8, -16,
			       -64, -512, 0x7fffffff, (int32_t)0x80000000};
static const int16_t ctx_fields[] = {0, 8, 48, 52, 56, 60, 64, 68};
static const int32_t masks[] = {0, 7, 8, 15, 0x38, 63, 255, 0x1f8};

static size_t sg_gen(struct hive_insn *p, size_t cap)
{
	size_t n = 0;
#define EMIT(...)                                                          \
	do {                                                               \
		struct hive_insn t_[] = {__VA_ARGS__};                     \
		for (size_t k_ = 0; k_ < sizeof t_ / sizeof t_[0]; k_++) \
			p[n++] = t_[k_];                                   \
	} while (0)
	static const uint8_t sz[] = {ISA_B, ISA_H, ISA_W};
	EMIT(MOV64_REG(6, 1), LDX(sz[sg_rnd() % 3], 7, 6, ctx_fields[sg_rnd() % 8]), LDX(ISA_W, 8, 6, ctx_fields[sg_rnd() % 8]),
	     MOV64_IMM(9, 0), ST(ISA_DW, 10, -8, 0));
	size_t body = 6 + sg_rnd() % 16;
	for (size_t b = 0; b < body && n < cap - 12; b++) {
		int r = 7 + (int)(sg_rnd() % 3), r2 = 7 + (int)(sg_rnd() % 3);
		int32_t imm = sg_imms[sg_rnd() % (sizeof sg_imms / sizeof sg_imms[0])];
		static const uint8_t alu_ops[] = {ISA_ADD, ISA_SUB, ISA_MUL, ISA_AND, ISA_OR, ISA_XOR, ISA_LSH, ISA_RSH,
						  ISA_ARSH, ISA_DIV, ISA_MOD, ISA_NEG};
		static const uint8_t jmp_ops[] = {ISA_JEQ, ISA_JNE, ISA_JGT, ISA_JGE, ISA_JLT, ISA_JLE, ISA_JSGT, ISA_JSGE,
						  ISA_JSLT, ISA_JSLE, ISA_JSET};
		switch (sg_rnd() % 10) {
		case 0:
		case 1: {
			uint8_t op = alu_ops[sg_rnd() % sizeof alu_ops];
			bool w32 = sg_rnd() % 3 == 0;
			uint8_t cls = w32 ? ISA_ALU : ISA_ALU64;
			if (op == ISA_NEG) {
				EMIT(I(cls | ISA_NEG, r, 0, 0, 0));
				break;
			}
			if (op == ISA_LSH || op == ISA_RSH || op == ISA_ARSH)
				imm &= w32 ? 31 : 63;
			if ((op == ISA_DIV || op == ISA_MOD) && imm == 0)
				imm = 7;
			if (sg_rnd() % 2)
				EMIT(I(cls | op | ISA_K, r, 0, 0, imm));
			else
				EMIT(I(cls | op | ISA_X, r, r2, 0, 0));
			break;
		}
		case 2: {
			static const int16_t sx[] = {8, 16, 32};
			static const int32_t ends[] = {16, 32, 64};
			if (sg_rnd() % 2)
				EMIT(I(ISA_ALU64 | ISA_MOV | ISA_X, r, r2, sx[sg_rnd() % 3], 0));
			else
				EMIT(I(ISA_ALU | ISA_END | (sg_rnd() % 2 ? ISA_X : ISA_K), r, 0, 0, ends[sg_rnd() % 3]));
			break;
		}
		case 3:
		case 4: {
			uint8_t op = jmp_ops[sg_rnd() % sizeof jmp_ops];
			bool w32 = sg_rnd() % 4 == 0;
			int skip = 1 + (int)(sg_rnd() % 2);
			if (sg_rnd() % 3)
				EMIT(I((w32 ? ISA_JMP32 : ISA_JMP) | op | ISA_K, r, 0, (int16_t)skip, imm));
			else
				EMIT(I((w32 ? ISA_JMP32 : ISA_JMP) | op | ISA_X, r, r2, (int16_t)skip, 0));
			for (int k = 0; k < skip; k++)
				EMIT(ALU64_IMM(ISA_ADD, 9, 1));
			break;
		}
		case 5: /* stack store at a computed offset */
			EMIT(MOV64_REG(4, r), ALU64_IMM(ISA_AND, 4, masks[sg_rnd() % 8]));
			EMIT(MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -(int32_t)(8 * (1 + sg_rnd() % 64))), ALU64_REG(ISA_ADD, 2, sg_rnd() % 4 ? 4 : r),
			     I(ISA_STX | ISA_MEM | (sg_rnd() % 2 ? ISA_DW : sz[sg_rnd() % 3]), 2, r2, (int16_t)(-(int)(sg_rnd() % 9)), 0));
			break;
		case 6: /* stack load at a computed offset */
			EMIT(MOV64_REG(4, r), ALU64_IMM(ISA_AND, 4, masks[sg_rnd() % 8]));
			EMIT(MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -(int32_t)(8 * (1 + sg_rnd() % 64))), ALU64_REG(ISA_ADD, 2, sg_rnd() % 4 ? 4 : r),
			     I(ISA_LDX | ISA_MEM | (sg_rnd() % 2 ? ISA_DW : sz[sg_rnd() % 3]), r2, 2, (int16_t)(-(int)(sg_rnd() % 9)), 0));
			break;
		case 7: { /* spill and fill, maybe a pointer */
			int16_t off = (int16_t)(-8 * (1 + (int)(sg_rnd() % 8)));
			int src = sg_rnd() % 4 ? r : 6;
			EMIT(STX(ISA_DW, 10, src, off), LDX(sg_rnd() % 3 ? ISA_DW : ISA_W, r2, 10, off));
			break;
		}
		case 8: { /* bounded loop */
			int k = 2 + (int)(sg_rnd() % 6);
			EMIT(MOV64_IMM(3, 0), ALU64_IMM(ISA_ADD, r, 1), ALU64_IMM(ISA_ADD, 3, 1), JMP_IMM(ISA_JLT, 3, k, -3));
			break;
		}
		default: /* ctx access at a computed offset */
			if (sg_rnd() % 4)
				EMIT(LDX(ISA_W, r2, 6, ctx_fields[sg_rnd() % 8]));
			else
				EMIT(MOV64_REG(2, 6), ALU64_REG(ISA_ADD, 2, r), LDX(ISA_W, r2, 2, ctx_fields[sg_rnd() % 8]));
			break;
		}
	}
	EMIT(MOV64_REG(0, 7), EXIT);
#undef EMIT
	return n;
}

#endif
