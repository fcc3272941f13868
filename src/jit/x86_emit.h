/* x86-64 instruction encoders for the JIT: bytes only, no policy.
 *
 * An instruction is  [66] [REX] opcode [ModRM [SIB] [disp]] [imm]:
 *
 *   REX   0100 W R X B     W: 64-bit operand; R, B: bit 3 of ModRM.reg, .rm
 *   ModRM mm rrr bbb       mm: 11 register, 00 [b], 01 [b+d8], 10 [b+d32]
 *   SIB   00 100 100       needed when bbb = 100 (rsp, r12): no index
 *
 * bbb = 101 with mm = 00 means rip-relative, so [rbp] and [r13] are written
 * as [rbp+0] with a disp8.  Byte operations on registers 4..7 need a REX
 * (any) to mean spl/bpl/sil/dil instead of ah/ch/dh/bh.
 */
#ifndef HIVE_JIT_X86_EMIT_H
#define HIVE_JIT_X86_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *jit_realloc(void *p, size_t n);

enum x86_reg {
	RAX = 0, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15,
};

/* Condition codes (the low nibble of Jcc). */
enum x86_cc {
	CC_O = 0x0, CC_B = 0x2, CC_AE = 0x3, CC_E = 0x4, CC_NE = 0x5, CC_BE = 0x6, CC_A = 0x7,
	CC_S = 0x8, CC_L = 0xc, CC_GE = 0xd, CC_LE = 0xe, CC_G = 0xf,
};

/* Group-1 ALU operations: the /ext of 81/83 and the base opcode of the r/m,reg form. */
enum x86_alu { ALU_ADD = 0, ALU_OR = 1, ALU_AND = 4, ALU_SUB = 5, ALU_XOR = 6, ALU_CMP = 7 };

/* Group-2 shifts: the /ext of C1/D3. */
enum x86_shift { SH_ROR = 1, SH_SHL = 4, SH_SHR = 5, SH_SAR = 7 };

/* The output buffer; it grows, and an allocation failure is sticky. */
struct x86_buf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

static inline void x86_byte(struct x86_buf *b, uint8_t v)
{
	if (b->len == b->cap && !b->oom) {
		size_t ncap = b->cap ? b->cap * 2 : 4096;
		uint8_t *np = jit_realloc(b->p, ncap);
		if (np) {
			b->p = np;
			b->cap = ncap;
		} else {
			b->oom = true; /* keep counting; the caller checks oom */
		}
	}
	if (!b->oom)
		b->p[b->len] = v;
	b->len++;
}

static inline void x86_u16(struct x86_buf *b, uint16_t v)
{
	x86_byte(b, (uint8_t)v);
	x86_byte(b, (uint8_t)(v >> 8));
}

static inline void x86_u32(struct x86_buf *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		x86_byte(b, (uint8_t)(v >> (8 * i)));
}

static inline void x86_u64(struct x86_buf *b, uint64_t v)
{
	x86_u32(b, (uint32_t)v);
	x86_u32(b, (uint32_t)(v >> 32));
}

static inline bool x86_is_imm8(int64_t v) { return v >= -128 && v <= 127; }
static inline bool x86_is_simm32(int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; }

/* REX for a reg field and an rm/base field; @force for byte registers 4..7. */
static inline void x86_rex(struct x86_buf *b, bool w, int reg, int rm, bool force)
{
	uint8_t rex = (uint8_t)(0x40 | (w ? 8 : 0) | ((reg >> 3) & 1) << 2 | ((rm >> 3) & 1));
	if (rex != 0x40 || force)
		x86_byte(b, rex);
}

/* Opcode of one or two bytes (0x0fXX is two). */
static inline void x86_opcode(struct x86_buf *b, unsigned op)
{
	if (op > 0xff)
		x86_byte(b, (uint8_t)(op >> 8));
	x86_byte(b, (uint8_t)op);
}

static inline void x86_modrm_mem(struct x86_buf *b, int reg, int base, int32_t disp)
{
	int mod = (disp == 0 && (base & 7) != RBP) ? 0 : x86_is_imm8(disp) ? 1 : 2;
	x86_byte(b, (uint8_t)(mod << 6 | (reg & 7) << 3 | (base & 7)));
	if ((base & 7) == RSP)
		x86_byte(b, 0x24);
	if (mod == 1)
		x86_byte(b, (uint8_t)disp);
	else if (mod == 2)
		x86_u32(b, (uint32_t)disp);
}

/* op reg, rm (register form); @byte: 8-bit operands on reg and rm. */
static inline void x86_rr(struct x86_buf *b, bool w, unsigned op, int reg, int rm, bool byte)
{
	x86_rex(b, w, reg, rm, byte && ((reg >= 4 && reg < 8) || (rm >= 4 && rm < 8)));
	x86_opcode(b, op);
	x86_byte(b, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

/* op reg, [base + disp] (memory form). */
static inline void x86_rm(struct x86_buf *b, bool w, unsigned op, int reg, int base, int32_t disp, bool byte)
{
	x86_rex(b, w, reg, base, byte && reg >= 4 && reg < 8);
	x86_opcode(b, op);
	x86_modrm_mem(b, reg, base, disp);
}

/* op reg, [base + index + disp] (scale 1); index is never rsp. */
static inline void x86_rm_sib(struct x86_buf *b, bool w, unsigned op, int reg, int base, int index, int32_t disp)
{
	x86_byte(b, (uint8_t)(0x40 | (w ? 8 : 0) | ((reg >> 3) & 1) << 2 | ((index >> 3) & 1) << 1 | ((base >> 3) & 1)));
	x86_opcode(b, op);
	int mod = (disp == 0 && (base & 7) != RBP) ? 0 : x86_is_imm8(disp) ? 1 : 2;
	x86_byte(b, (uint8_t)(mod << 6 | (reg & 7) << 3 | 4));
	x86_byte(b, (uint8_t)((index & 7) << 3 | (base & 7)));
	if (mod == 1)
		x86_byte(b, (uint8_t)disp);
	else if (mod == 2)
		x86_u32(b, (uint32_t)disp);
}

/* dst op= src for add/or/and/sub/xor/cmp (the r/m, reg form). */
static inline void x86_alu_rr(struct x86_buf *b, bool w, enum x86_alu op, int dst, int src)
{
	x86_rr(b, w, (unsigned)(op << 3 | 1), src, dst, false);
}

/* dst op= imm (sign-extended imm32; 83 for imm8). */
static inline void x86_alu_ri(struct x86_buf *b, bool w, enum x86_alu op, int dst, int32_t imm)
{
	if (x86_is_imm8(imm)) {
		x86_rr(b, w, 0x83, op, dst, false);
		x86_byte(b, (uint8_t)imm);
	} else if (dst == RAX) {
		x86_rex(b, w, 0, 0, false);
		x86_byte(b, (uint8_t)(op << 3 | 5));
		x86_u32(b, (uint32_t)imm);
	} else {
		x86_rr(b, w, 0x81, op, dst, false);
		x86_u32(b, (uint32_t)imm);
	}
}

/* [base + disp] op= imm, qword or dword. */
static inline void x86_alu_mi(struct x86_buf *b, bool w, enum x86_alu op, int base, int32_t disp, int32_t imm)
{
	if (x86_is_imm8(imm)) {
		x86_rm(b, w, 0x83, op, base, disp, false);
		x86_byte(b, (uint8_t)imm);
	} else {
		x86_rm(b, w, 0x81, op, base, disp, false);
		x86_u32(b, (uint32_t)imm);
	}
}

static inline void x86_mov_rr(struct x86_buf *b, bool w, int dst, int src)
{
	x86_rr(b, w, 0x89, src, dst, false);
}

/* dst = imm64, in the shortest form. */
static inline void x86_mov_ri(struct x86_buf *b, int dst, uint64_t v)
{
	if (v == 0) {
		x86_alu_rr(b, false, ALU_XOR, dst, dst);
	} else if (v <= UINT32_MAX) {
		x86_rex(b, false, 0, dst, false);
		x86_byte(b, (uint8_t)(0xb8 + (dst & 7)));
		x86_u32(b, (uint32_t)v);
	} else if (x86_is_simm32((int64_t)v)) {
		x86_rr(b, true, 0xc7, 0, dst, false);
		x86_u32(b, (uint32_t)v);
	} else {
		x86_rex(b, true, 0, dst, false);
		x86_byte(b, (uint8_t)(0xb8 + (dst & 7)));
		x86_u64(b, v);
	}
}

/* dst = imm64 always as a 10-byte movabs (constant blinding wants the full width). */
static inline void x86_movabs(struct x86_buf *b, int dst, uint64_t v)
{
	x86_rex(b, true, 0, dst, false);
	x86_byte(b, (uint8_t)(0xb8 + (dst & 7)));
	x86_u64(b, v);
}

static inline void x86_shift_ri(struct x86_buf *b, bool w, enum x86_shift op, int dst, uint8_t n)
{
	if (n == 1) {
		x86_rr(b, w, 0xd1, op, dst, false);
	} else {
		x86_rr(b, w, 0xc1, op, dst, false);
		x86_byte(b, n);
	}
}

static inline void x86_push(struct x86_buf *b, int r)
{
	x86_rex(b, false, 0, r, false);
	x86_byte(b, (uint8_t)(0x50 + (r & 7)));
}

static inline void x86_pop(struct x86_buf *b, int r)
{
	x86_rex(b, false, 0, r, false);
	x86_byte(b, (uint8_t)(0x58 + (r & 7)));
}

static inline void x86_ret(struct x86_buf *b) { x86_byte(b, 0xc3); }

/* @n bytes of padding in the fewest instructions (the recommended long nops). */
static inline void x86_nops(struct x86_buf *b, size_t n)
{
	static const uint8_t nop[9][9] = {
		{0x90},
		{0x66, 0x90},
		{0x0f, 0x1f, 0x00},
		{0x0f, 0x1f, 0x40, 0x00},
		{0x0f, 0x1f, 0x44, 0x00, 0x00},
		{0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00},
		{0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00},
		{0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
		{0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
	};
	while (n) {
		size_t k = n > 9 ? 9 : n;
		for (size_t i = 0; i < k; i++)
			x86_byte(b, nop[k - 1][i]);
		n -= k;
	}
}

/* call/jmp *reg */
static inline void x86_call_r(struct x86_buf *b, int r) { x86_rr(b, false, 0xff, 2, r, false); }
static inline void x86_jmp_r(struct x86_buf *b, int r) { x86_rr(b, false, 0xff, 4, r, false); }

/* Short forward jumps inside one instruction's code: emit, then patch. */
static inline size_t x86_jcc8(struct x86_buf *b, enum x86_cc cc)
{
	x86_byte(b, (uint8_t)(0x70 | cc));
	x86_byte(b, 0);
	return b->len;
}

static inline size_t x86_jmp8(struct x86_buf *b)
{
	x86_byte(b, 0xeb);
	x86_byte(b, 0);
	return b->len;
}

/* Point the short jump ending at @end to here. */
static inline void x86_patch8(struct x86_buf *b, size_t end)
{
	if (b->oom)
		return;
	size_t d = b->len - end;
	b->p[end - 1] = (uint8_t)d; /* callers keep these under 128 bytes */
}

#endif
