/* A generator of valid eBPF programs for differential testing of the JIT
 * against the interpreter (tests/unit/test_jit_equiv.c, and the libFuzzer
 * target tests/fuzz/fuzz_jit_equiv.c, which feeds it fuzzer bytes).
 *
 * Every decision reads one value from the source: fuzzer bytes while there
 * are any, then a fixed-seed xorshift.  Programs pass the loader's
 * validation: registers are written before they are read (r1-r5 are set
 * again after every call and packet load), loops count a reserved register
 * down from at most 4, local calls only go to later subprograms (so depth
 * is bounded), memory operands stay inside the 64-byte buffer (base register
 * P, never used as data) or the frame's stack, except when the options ask
 * for faults.  Instruction rows are drawn from the isa table, so every form
 * the interpreter runs is generated.
 *
 * run_both() runs one program under both engines and compares result,
 * error, fault pc, message (addresses cut out), all registers at exit
 * (addresses named by buffer and offset), memory and instructions counted.
 */
#ifndef HIVE_TESTS_JIT_GEN_H
#define HIVE_TESTS_JIT_GEN_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hive/hive.h"
#include "isa/isa.h"

/* GEN_STACK: the bytes below r10 a function uses; its prologue writes them,
 * since the stack's initial contents are whatever the host left there. */
enum { GEN_MEM = 64, GEN_STACK = 64, GEN_MAX_INSNS = 900, GEN_SUBS = 4, GEN_HELPER = 1 };

struct gen {
	struct hive_insn insns[GEN_MAX_INSNS + 64];
	uint32_t n;
	const uint8_t *data;
	size_t len, pos;
	uint64_t rng;
	/* per function */
	int P;             /* base register of the memory buffer */
	uint16_t reserved; /* loop counters: not written by the body */
	int sub;           /* which subprogram (-1: main) */
	/* local calls to patch: call insn index -> subprogram */
	uint32_t call_at[64], call_to[64];
	unsigned ncalls;
	uint32_t sub_start[GEN_SUBS];
	/* options */
	bool checked;  /* faults allowed: out-of-bounds, misaligned atomics */
	bool faults;
	uint64_t budget;
	bool harden, retpoline;
	bool no_regs; /* run without regs_out */
	uint8_t mem[GEN_MEM];
};

static inline uint32_t gen_next(struct gen *g)
{
	if (g->pos < g->len)
		return g->data[g->pos++];
	g->rng ^= g->rng << 13;
	g->rng ^= g->rng >> 7;
	g->rng ^= g->rng << 17;
	return (uint32_t)(g->rng >> 16);
}

static inline uint32_t gen_below(struct gen *g, uint32_t n)
{
	return n ? gen_next(g) % n : 0;
}

static inline uint32_t gen_u32(struct gen *g)
{
	return gen_next(g) << 24 ^ gen_next(g) << 16 ^ gen_next(g) << 8 ^ gen_next(g);
}

static inline int32_t gen_imm(struct gen *g)
{
	static const int32_t special[] = {0, 1, -1, 2, 3, 7, 8, 31, 32, 63, 64, 0x7f, 0x80, 0xff, -0x80,
					  0x7fff, 0x8000, INT32_MAX, INT32_MIN, 0x7ffffffe, -2};
	switch (gen_below(g, 4)) {
	case 0: return special[gen_below(g, sizeof(special) / sizeof(special[0]))];
	case 1: return (int32_t)gen_below(g, 100) - 50;
	default: return (int32_t)gen_u32(g);
	}
}

static inline void gen_emit(struct gen *g, struct hive_insn in)
{
	if (g->n < GEN_MAX_INSNS + 64)
		g->insns[g->n++] = in;
}

static inline bool gen_full(const struct gen *g) { return g->n >= GEN_MAX_INSNS - 40; }

#define GEN_INSN(c, d, s, o, i) \
	((struct hive_insn){.code = (uint8_t)(c), .dst_reg = (d), .src_reg = (s), .off = (int16_t)(o), .imm = (int32_t)(i)})

/* A register the body may write: not P, not r10, not a loop counter. */
static inline int gen_dst(struct gen *g)
{
	for (;;) {
		int r = (int)gen_below(g, 10);
		if (r != g->P && !(g->reserved & (1u << r)))
			return r;
	}
}

/* A register holding a number (any but P and r10). */
static inline int gen_src(struct gen *g)
{
	for (;;) {
		int r = (int)gen_below(g, 10);
		if (r != g->P)
			return r;
	}
}

static inline void gen_set(struct gen *g, int r)
{
	uint32_t k = gen_below(g, 4);
	if (k == 0) {
		uint64_t v = (uint64_t)gen_u32(g) << 32 | gen_u32(g);
		gen_emit(g, GEN_INSN(ISA_LD | ISA_IMM | ISA_DW, r, 0, 0, (uint32_t)v));
		gen_emit(g, GEN_INSN(0, 0, 0, 0, (uint32_t)(v >> 32)));
	} else {
		gen_emit(g, GEN_INSN((k == 1 ? ISA_ALU : ISA_ALU64) | ISA_MOV | ISA_K, r, 0, 0, gen_imm(g)));
	}
}

/* r1..r5 are undefined after calls and packet loads: define them again. */
static inline void gen_reset_args(struct gen *g)
{
	for (int r = 1; r <= 5; r++)
		gen_set(g, r);
}

/* A random row of the isa table with one of the formats in @fmts. */
static inline const struct isa_row *gen_row(struct gen *g, uint32_t fmts, int *op)
{
	for (;;) {
		int r = (int)gen_below(g, OP__COUNT);
		if (fmts & (1u << isa_rows[r].fmt)) {
			*op = r;
			return &isa_rows[r];
		}
	}
}

static inline struct hive_insn gen_form(const struct isa_row *row)
{
	struct hive_insn in = GEN_INSN(row->code, 0, 0, 0, 0);
	switch (isa_disc_of(row->code)) {
	case DISC_OFF: in.off = (int16_t)row->disc_val; break;
	case DISC_IMM: in.imm = row->disc_val; break;
	case DISC_SRC: in.src_reg = (uint8_t)row->disc_val; break;
	default: break;
	}
	return in;
}

static inline void gen_alu(struct gen *g)
{
	int op;
	const struct isa_row *row =
		gen_row(g, 1u << FMT_ALU_K | 1u << FMT_ALU_X | 1u << FMT_NEG | 1u << FMT_END | 1u << FMT_MOVSX, &op);
	struct hive_insn in = gen_form(row);
	in.dst_reg = (uint8_t)gen_dst(g);
	if (row->fmt == FMT_ALU_X || row->fmt == FMT_MOVSX)
		in.src_reg = (uint8_t)gen_src(g);
	if (row->fmt == FMT_ALU_K)
		in.imm = gen_imm(g);
	gen_emit(g, in);
}

/* base and offset of an in-bounds access of @size (aligned when @align). */
static inline void gen_addr(struct gen *g, unsigned size, bool align, int *base, int16_t *off)
{
	if (gen_below(g, 2)) {
		*base = g->P;
		*off = (int16_t)gen_below(g, GEN_MEM - size + 1);
	} else {
		*base = 10;
		*off = (int16_t)-(int)(size + gen_below(g, GEN_STACK - size + 1));
	}
	if (align)
		*off = (int16_t)(*off & ~(int)(size - 1));
	if (*base == 10 && *off > -(int)size)
		*off = (int16_t)-(int)size;
	if (g->faults && gen_below(g, 24) == 0) {
		/* just out of bounds (or misaligned, for atomics) */
		if (align && gen_below(g, 2))
			*off = (int16_t)(*off + 1 + (int)gen_below(g, size - 1 ? size - 1 : 1));
		else if (*base == g->P)
			*off = (int16_t)(GEN_MEM - size + 1 + gen_below(g, 8));
		else
			*off = (int16_t)-(int)(HIVE_MAX_FRAMES * HIVE_STACK_SIZE + 1 + gen_below(g, 8));
	}
}

static inline void gen_mem(struct gen *g)
{
	int op, base;
	int16_t off;
	const struct isa_row *row = gen_row(g, 1u << FMT_LDX | 1u << FMT_ST | 1u << FMT_STX | 1u << FMT_ATOMIC, &op);
	unsigned size = isa_access_size(row->code);
	struct hive_insn in = gen_form(row);
	gen_addr(g, size, row->fmt == FMT_ATOMIC, &base, &off);
	in.off = off;
	switch (row->fmt) {
	case FMT_LDX:
		in.dst_reg = (uint8_t)gen_dst(g);
		in.src_reg = (uint8_t)base;
		break;
	case FMT_ST:
		in.dst_reg = (uint8_t)base;
		in.imm = gen_imm(g);
		break;
	case FMT_STX:
		in.dst_reg = (uint8_t)base;
		in.src_reg = (uint8_t)gen_src(g);
		break;
	default: /* atomics write src (fetch) or r0 (cmpxchg) */
		in.dst_reg = (uint8_t)base;
		in.src_reg = (uint8_t)gen_dst(g);
		if (in.imm == ISA_CMPXCHG && (g->reserved & 1))
			in.imm = ISA_AADD;
		break;
	}
	gen_emit(g, in);
}

/* An address computed at run time: t = (x & mask) + P, then an access at t. */
static inline void gen_mem_var(struct gen *g)
{
	int t = gen_dst(g), x = gen_src(g);
	unsigned size = 1u << gen_below(g, 4);
	gen_emit(g, GEN_INSN(ISA_ALU64 | ISA_MOV | ISA_X, t, x, 0, 0));
	gen_emit(g, GEN_INSN(ISA_ALU64 | ISA_AND | ISA_K, t, 0, 0, (GEN_MEM - 8) & ~7));
	gen_emit(g, GEN_INSN(ISA_ALU64 | ISA_ADD | ISA_X, t, g->P, 0, 0));
	static const uint8_t sz[] = {[1] = ISA_B, [2] = ISA_H, [4] = ISA_W, [8] = ISA_DW};
	int16_t off = (int16_t)gen_below(g, 8 - size + 1);
	int v = gen_src(g);
	while (v == t)
		v = gen_src(g);
	if (gen_below(g, 2))
		gen_emit(g, GEN_INSN(ISA_STX | ISA_MEM | sz[size], t, v, off, 0));
	else
		gen_emit(g, GEN_INSN(ISA_LDX | ISA_MEM | sz[size], gen_dst(g), t, off, 0));
	/* t holds an address now: make it a number again */
	gen_emit(g, GEN_INSN(ISA_ALU64 | ISA_MOV | ISA_K, t, 0, 0, gen_imm(g)));
}

static inline void gen_block(struct gen *g, int depth, unsigned count);

static inline struct hive_insn gen_cond(struct gen *g)
{
	int op;
	const struct isa_row *row = gen_row(g, 1u << FMT_JCOND_K | 1u << FMT_JCOND_X, &op);
	struct hive_insn in = gen_form(row);
	in.dst_reg = (uint8_t)gen_src(g);
	if (row->fmt == FMT_JCOND_X)
		in.src_reg = (uint8_t)gen_src(g);
	else
		in.imm = gen_imm(g);
	return in;
}

static inline void gen_if(struct gen *g, int depth)
{
	uint32_t at = g->n;
	gen_emit(g, gen_cond(g));
	gen_block(g, depth + 1, 1 + gen_below(g, 5));
	g->insns[at].off = (int16_t)(g->n - at - 1);
	if (gen_below(g, 3) == 0) { /* else branch: the then-part jumps over it */
		uint32_t ja = g->n;
		gen_emit(g, GEN_INSN(gen_below(g, 2) ? ISA_JMP | ISA_JA : ISA_JMP32 | ISA_JA, 0, 0, 0, 0));
		g->insns[at].off = (int16_t)(g->n - at - 1);
		gen_block(g, depth + 1, 1 + gen_below(g, 4));
		if (g->insns[ja].code == (ISA_JMP | ISA_JA))
			g->insns[ja].off = (int16_t)(g->n - ja - 1);
		else
			g->insns[ja].imm = (int32_t)(g->n - ja - 1);
	}
}

static inline void gen_loop(struct gen *g, int depth)
{
	int c = -1;
	for (int tries = 0; tries < 8 && c < 0; tries++) {
		int r = 6 + (int)gen_below(g, 4);
		if (r != g->P && !(g->reserved & (1u << r)))
			c = r;
	}
	if (c < 0)
		return;
	gen_emit(g, GEN_INSN(ISA_ALU64 | ISA_MOV | ISA_K, c, 0, 0, 1 + gen_below(g, 4)));
	g->reserved |= (uint16_t)(1u << c);
	uint32_t top = g->n;
	gen_block(g, depth + 1, 1 + gen_below(g, 6));
	g->reserved &= (uint16_t)~(1u << c);
	gen_emit(g, GEN_INSN(ISA_ALU64 | ISA_SUB | ISA_K, c, 0, 0, 1));
	uint8_t j = gen_below(g, 2) ? ISA_JMP | ISA_JNE | ISA_K : ISA_JMP32 | ISA_JSGT | ISA_K;
	gen_emit(g, GEN_INSN(j, c, 0, (int32_t)top - (int32_t)g->n - 1, 0));
}

static inline void gen_call(struct gen *g)
{
	uint32_t k = gen_below(g, 3);
	if (k == 0 && g->sub + 1 < GEN_SUBS && g->ncalls < 64) {
		/* local call: r5 carries the buffer, the callee's first later-numbered sibling */
		uint32_t to = (uint32_t)(g->sub + 1) + gen_below(g, (uint32_t)(GEN_SUBS - g->sub - 1));
		gen_emit(g, GEN_INSN(ISA_ALU64 | ISA_MOV | ISA_X, 5, g->P, 0, 0));
		g->call_at[g->ncalls] = g->n;
		g->call_to[g->ncalls++] = to;
		gen_emit(g, GEN_INSN(ISA_JMP | ISA_CALL, 0, ISA_PSEUDO_CALL, 0, 0));
	} else if (k == 1 && !(g->reserved & 1)) {
		int x = gen_dst(g);
		gen_emit(g, GEN_INSN(ISA_ALU64 | ISA_MOV | ISA_K, x, 0, 0, GEN_HELPER));
		gen_emit(g, GEN_INSN(ISA_JMP | ISA_CALL | ISA_X, x, 0, 0, 0));
	} else if (!(g->reserved & 1)) {
		gen_emit(g, GEN_INSN(ISA_JMP | ISA_CALL, 0, 0, 0, GEN_HELPER));
	} else {
		return;
	}
	gen_reset_args(g);
}

static inline void gen_ld_pkt(struct gen *g)
{
	if (g->reserved & 1)
		return;
	int op;
	const struct isa_row *row = gen_row(g, 1u << FMT_LDABS | 1u << FMT_LDIND, &op);
	struct hive_insn in = gen_form(row);
	bool miss = gen_below(g, 16) == 0;
	int32_t off = miss ? GEN_MEM + (int32_t)gen_below(g, 4) - 1 : (int32_t)gen_below(g, GEN_MEM - 3);
	if (row->fmt == FMT_LDIND) {
		int s = gen_dst(g);
		int32_t a = (int32_t)gen_below(g, 40);
		gen_emit(g, GEN_INSN(ISA_ALU64 | ISA_MOV | ISA_K, s, 0, 0, a));
		in.src_reg = (uint8_t)s;
		in.imm = off - a;
	} else {
		in.imm = off;
	}
	gen_emit(g, in);
	gen_reset_args(g);
}

/* Sequences the JIT rewrites as a whole, with registers drawn freely, so
 * that both the rewrite and the near misses it must leave alone are run:
 * the remainder as clang writes it (t = a; t /= b; t *= b; r = a; r -= t),
 * a load followed by byte swaps and truncations (what the JIT knows about
 * the top bits of a loaded value), a constant set again (a mov the JIT
 * drops when the register holds that value already), and the bounds check
 * before a packet load (x = P + b; y = x + k; if y op z goto over; x =
 * *(x + off): the JIT computes x only on the jump).  Addresses stay
 * relative to P (z too, so the branch goes the same way whatever the
 * buffer's address), inside the buffer (a run stopped by the budget
 * before the join reports them, named by offset), and are overwritten
 * with numbers after the join. */
static inline void gen_idiom(struct gen *g)
{
	uint32_t k = gen_below(g, 4);
	if (k == 3) {
		int x = gen_dst(g), y = gen_dst(g), z = gen_dst(g), b = gen_dst(g);
		if (x == y || x == z || y == z)
			return;
		bool kform = gen_below(g, 2) || b == x || b == y || b == z;
		static const uint8_t sz[] = {ISA_B, ISA_H, ISA_W, ISA_DW};
		static const uint8_t ops[] = {ISA_JEQ, ISA_JNE, ISA_JGT, ISA_JGE, ISA_JLT,
					      ISA_JLE, ISA_JSGT, ISA_JSGE, ISA_JSLT, ISA_JSLE};
		unsigned si = gen_below(g, 4), size = 1u << si;
		int32_t room = GEN_MEM - (int32_t)size, boff = (int32_t)gen_below(g, (uint32_t)room + 1);
		int16_t off = (int16_t)gen_below(g, (uint32_t)(room - boff) + 1);
		uint32_t over = 1 + gen_below(g, 3);
		if (!kform)
			gen_emit(g, GEN_INSN(ISA_ALU64 | ISA_MOV | ISA_K, b, 0, 0, boff));
		gen_emit(g, GEN_INSN(ISA_ALU64 | ISA_MOV | ISA_X, z, g->P, 0, 0));
		gen_emit(g, GEN_INSN(ISA_ALU64 | ISA_ADD | ISA_K, z, 0, 0, (int32_t)gen_below(g, GEN_MEM + 1)));
		gen_emit(g, GEN_INSN(ISA_ALU64 | ISA_MOV | ISA_X, x, g->P, 0, 0));
		gen_emit(g, kform ? GEN_INSN(ISA_ALU64 | ISA_ADD | ISA_K, x, 0, 0, boff)
				  : GEN_INSN(ISA_ALU64 | ISA_ADD | ISA_X, x, b, 0, 0));
		gen_emit(g, GEN_INSN(ISA_ALU64 | ISA_MOV | ISA_X, y, x, 0, 0));
		gen_emit(g, GEN_INSN(ISA_ALU64 | ISA_ADD | ISA_K, y, 0, 0, (int32_t)gen_below(g, (uint32_t)(GEN_MEM - boff) + 1)));
		gen_emit(g, GEN_INSN((gen_below(g, 4) ? ISA_JMP : ISA_JMP32) | ops[gen_below(g, 10)] | ISA_X, y, z,
				     (int16_t)over, 0));
		gen_emit(g, GEN_INSN(ISA_LDX | ISA_MEM | sz[si], x, x, off, 0));
		for (uint32_t i = 1; i < over; i++)
			gen_emit(g, GEN_INSN(ISA_ALU64 | ISA_ADD | ISA_K, x, 0, 0, gen_imm(g)));
		gen_set(g, x);
		gen_set(g, y);
		gen_set(g, z);
		return;
	}
	if (k == 0) {
		bool w = gen_below(g, 2), kform = gen_below(g, 2);
		uint8_t cls = w ? ISA_ALU64 : ISA_ALU;
		int t = gen_dst(g), a = gen_src(g), r = gen_dst(g), b = gen_src(g);
		static const int32_t ks[] = {0, 1, 2, 7, 16, 1000, -1, -8, INT32_MIN};
		int32_t imm = gen_below(g, 2) ? ks[gen_below(g, 9)] : gen_imm(g);
		gen_emit(g, GEN_INSN(cls | ISA_MOV | ISA_X, t, a, 0, 0));
		gen_emit(g, GEN_INSN(cls | ISA_DIV | (kform ? ISA_K : ISA_X), t, kform ? 0 : b, 0, kform ? imm : 0));
		gen_emit(g, GEN_INSN(cls | ISA_MUL | (kform ? ISA_K : ISA_X), t, kform ? 0 : b, 0, kform ? imm : 0));
		gen_emit(g, GEN_INSN(cls | ISA_MOV | ISA_X, r, a, 0, 0));
		gen_emit(g, GEN_INSN(cls | ISA_SUB | ISA_X, r, t, 0, 0));
	} else if (k == 1) {
		static const uint8_t sz[] = {ISA_B, ISA_H, ISA_W, ISA_DW};
		unsigned size = gen_below(g, 4);
		int d = gen_dst(g), base;
		int16_t off;
		gen_addr(g, 1u << size, false, &base, &off);
		gen_emit(g, GEN_INSN(ISA_LDX | ISA_MEM | sz[size], d, base, off, 0));
		static const int32_t widths[] = {16, 32, 64};
		static const uint8_t forms[] = {ISA_ALU | ISA_K, ISA_ALU | ISA_X, ISA_ALU64 | ISA_K};
		for (uint32_t n = gen_below(g, 3); n < 3; n++) {
			if (gen_below(g, 4) == 0)
				gen_emit(g, GEN_INSN(ISA_ALU | ISA_MOV | ISA_X, d, d, 0, 0)); /* w = w */
			else /* le, be, or (ALU64) bswap */
				gen_emit(g, GEN_INSN(ISA_END | forms[gen_below(g, 3)], d, 0, 0, widths[gen_below(g, 3)]));
		}
	} else {
		int d = gen_dst(g);
		int32_t imm = gen_imm(g);
		uint8_t cls = gen_below(g, 2) ? ISA_ALU64 : ISA_ALU;
		gen_emit(g, GEN_INSN(cls | ISA_MOV | ISA_K, d, 0, 0, imm));
		if (gen_below(g, 2))
			gen_alu(g);
		gen_emit(g, GEN_INSN((gen_below(g, 2) ? ISA_ALU64 : ISA_ALU) | ISA_MOV | ISA_K, d, 0, 0,
				     gen_below(g, 4) ? imm : imm ^ 1));
	}
}

static inline void gen_stmt(struct gen *g, int depth)
{
	switch (gen_below(g, 22)) {
	case 0: case 1: case 2: case 3: case 4: case 5: gen_alu(g); break;
	case 6: gen_set(g, gen_dst(g)); break;
	case 7: case 8: case 9: gen_mem(g); break;
	case 10: gen_mem_var(g); break;
	case 11: case 12: if (depth < 3) gen_if(g, depth); break;
	case 13: if (depth < 2) gen_loop(g, depth); break;
	case 14: case 15: gen_call(g); break;
	case 16: gen_ld_pkt(g); break;
	case 18: case 19: gen_idiom(g); break;
	case 17: { /* jump over dead code */
		uint32_t k = 1 + gen_below(g, 3);
		gen_emit(g, GEN_INSN(ISA_JMP | ISA_JA, 0, 0, k, 0));
		for (uint32_t i = 0; i < k; i++)
			gen_alu(g);
		break;
	}
	default: gen_alu(g); break;
	}
}

static inline void gen_block(struct gen *g, int depth, unsigned count)
{
	for (unsigned i = 0; i < count && !gen_full(g); i++)
		gen_stmt(g, depth);
}

/* One function: main takes the buffer in r1, a subprogram in r5. */
static inline void gen_function(struct gen *g, int sub, unsigned stmts)
{
	g->sub = sub;
	g->reserved = 0;
	g->P = 6 + (int)gen_below(g, 4);
	gen_emit(g, GEN_INSN(ISA_ALU64 | ISA_MOV | ISA_X, g->P, sub < 0 ? 1 : 5, 0, 0));
	for (int r = 0; r <= 9; r++)
		if (r != g->P && (sub < 0 || r == 0 || r >= 5))
			gen_set(g, r);
	for (int off = 8; off <= GEN_STACK; off += 8)
		gen_emit(g, GEN_INSN(ISA_ST | ISA_MEM | ISA_DW, 10, 0, -off, gen_imm(g)));
	gen_block(g, 0, stmts);
	gen_emit(g, GEN_INSN(ISA_JMP | ISA_EXIT, 0, 0, 0, 0));
}

/* A whole program from the source; returns its length. */
static inline uint32_t gen_program(struct gen *g)
{
	g->n = 0;
	g->ncalls = 0;
	gen_function(g, -1, 4 + gen_below(g, 40));
	for (int s = 0; s < GEN_SUBS; s++) {
		g->sub_start[s] = g->n;
		gen_function(g, s, 1 + gen_below(g, 12));
	}
	for (unsigned i = 0; i < g->ncalls; i++)
		g->insns[g->call_at[i]].imm = (int32_t)(g->sub_start[g->call_to[i]] - g->call_at[i] - 1);
	return g->n;
}

/* Draw the options and memory of the next program too. */
static inline uint32_t gen_case(struct gen *g)
{
	uint32_t o = gen_next(g);
	g->checked = o & 1;
	g->faults = g->checked && (o & 0x0e) == 0;
	g->budget = g->checked && (o & 0x70) == 0 ? 1 + gen_below(g, 300) : 0;
	g->harden = (o >> 7) & 1 && gen_below(g, 4) == 0;
	g->retpoline = gen_below(g, 8) == 0;
	g->no_regs = gen_below(g, 4) == 0;
	for (int i = 0; i < GEN_MEM; i++)
		g->mem[i] = (uint8_t)gen_next(g);
	return gen_program(g);
}

/* {===== running and comparing */

static uint64_t gen_helper_fn(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct hive_run *r)
{
	size_t sz;
	hive_run_mem(r, &sz);
	return (a * 31 + b * 7) ^ (c + (d << 3) - e) ^ sz;
}

struct gen_result {
	int err;
	uint64_t r0, executed;
	uint32_t fault_pc;
	char msg[192];
	uint64_t regs[11];
	_Alignas(8) uint8_t mem[GEN_MEM];
};

static inline uint64_t gen_norm(const struct gen_result *r, uint64_t v)
{
	uintptr_t mem = (uintptr_t)r->mem, top = r->regs[10];
	if (v >= mem && v <= mem + GEN_MEM)
		return 0xaaaa000000000000ull + (v - mem);
	if (v >= top - HIVE_MAX_FRAMES * HIVE_STACK_SIZE && v <= top + HIVE_MAX_FRAMES * HIVE_STACK_SIZE)
		return 0xbbbb000000000000ull + (v - top);
	return v;
}

static inline void gen_strip_hex(char *s)
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

/* Load (into *prog) and run once; -1000 - n when loading fails. */
static inline int gen_run(const struct gen *g, struct hive_env *env, bool jit, struct gen_result *res, char *log,
			  size_t logsz)
{
	HIVE_OPTS(hive_prog_opts, po, .env = env, .mode = g->checked ? HIVE_EXEC_CHECKED : HIVE_EXEC_TRUSTED,
		  .insn_budget = g->budget, .log_buf = log, .log_size = logsz);
	struct hive_prog *prog;
	int err = hive_prog_load(g->insns, g->n, &po, &prog);
	if (err)
		return -1000 + err;
	if (jit) {
		HIVE_OPTS(hive_jit_opts, jo, .harden = g->harden, .retpoline = g->retpoline);
		err = hive_prog_jit(prog, &jo);
		if (err) {
			hive_prog_free(prog);
			snprintf(log, logsz, "jit: %d", err);
			return -2000 + err;
		}
	}
	memset(res, 0, sizeof(*res));
	memcpy(res->mem, g->mem, GEN_MEM);
	/* without regs_out the registers stay 0 here and only r0 is compared */
	HIVE_OPTS(hive_run_opts, ro, .mem = res->mem, .mem_size = GEN_MEM, .use_jit = jit,
		  .regs_out = g->no_regs ? NULL : res->regs);
	res->err = hive_prog_run(prog, &ro);
	res->r0 = ro.retval;
	res->fault_pc = ro.fault_pc;
	res->executed = ro.insns_executed;
	memcpy(res->msg, ro.errmsg, sizeof(res->msg));
	gen_strip_hex(res->msg);
	hive_prog_free(prog);
	return 0;
}

/* 0 when both engines agree; else a description in @why. */
static inline int gen_compare(const struct gen_result *a, const struct gen_result *b, char *why, size_t whysz)
{
	if (a->err != b->err)
		return snprintf(why, whysz, "err %d vs %d (%.80s | %.80s)", a->err, b->err, a->msg, b->msg), -1;
	if (strcmp(a->msg, b->msg))
		return snprintf(why, whysz, "message '%.100s' vs '%.100s'", a->msg, b->msg), -1;
	if (a->err && a->fault_pc != b->fault_pc)
		return snprintf(why, whysz, "fault pc %u vs %u", a->fault_pc, b->fault_pc), -1;
	if (gen_norm(a, a->r0) != gen_norm(b, b->r0))
		return snprintf(why, whysz, "r0 %#llx vs %#llx", (unsigned long long)a->r0, (unsigned long long)b->r0), -1;
	/* a fault can come right after a helper call, before r1-r5 are set again */
	for (int r = 0; r <= 10; r++)
		if ((!a->err || r == 0 || r > 5) && gen_norm(a, a->regs[r]) != gen_norm(b, b->regs[r]))
			return snprintf(why, whysz, "r%d %#llx vs %#llx", r, (unsigned long long)a->regs[r],
					(unsigned long long)b->regs[r]), -1;
	if (a->executed != b->executed)
		return snprintf(why, whysz, "executed %llu vs %llu", (unsigned long long)a->executed,
				(unsigned long long)b->executed), -1;
	if (memcmp(a->mem, b->mem, GEN_MEM))
		return snprintf(why, whysz, "memory differs"), -1;
	return 0;
}

static inline int gen_env(struct hive_env **env)
{
	int err = hive_env_new(env);
	if (!err)
		err = hive_env_set_helper(*env, GEN_HELPER, "mix", gen_helper_fn);
	return err;
}

/* Print a program (for a failing case). */
static inline void gen_dump(const struct gen *g, FILE *f)
{
	char buf[128];
	for (uint32_t pc = 0; pc < g->n; pc++) {
		int k = hive_disasm_insn(g->insns, g->n, pc, buf, sizeof(buf));
		fprintf(f, "%4u: %s\n", pc, k > 0 ? buf : "?");
		if (k == 2)
			pc++;
	}
	fprintf(f, "checked=%d budget=%llu harden=%d retpoline=%d\n", g->checked, (unsigned long long)g->budget,
		g->harden, g->retpoline);
}

/* }===== */

#endif
