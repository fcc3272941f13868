/* Random instruction slots for the assembler and disassembler tests: every
 * opcode byte, registers r0..r10, the other fields random, and every eighth
 * slot of a kind that sets the small values which pick a form (off 8/16/32
 * for movsx, imm 16/32/64 for swaps, atomic operation codes, pseudo srcs) or
 * clear the fields a form leaves unused.  Deterministic (xorshift). */
#ifndef HIVE_TESTS_ISA_RANDOM_H
#define HIVE_TESTS_ISA_RANDOM_H

#include <stdint.h>

#include "hive/hive.h"

enum { ISA_RANDOM_PER_CODE = 128 };

/* Fill in[0] (and in[1] as an LDDW's zero second half) for slot @n of @code. */
static inline void isa_random_slot(uint64_t *seed, unsigned code, int n, struct hive_insn in[2])
{
	static const int32_t atomic_imms[12] = {0x00, 0x01, 0x40, 0x41, 0x50, 0x51,
						0xa0, 0xa1, 0xe1, 0xf1, 0xe0, 0xf0};
	for (int k = 0; k < 2; k++) {
		*seed ^= *seed << 13, *seed ^= *seed >> 7, *seed ^= *seed << 17;
		uint64_t s = *seed;
		in[k] = (struct hive_insn){.code = (uint8_t)code, .dst_reg = (s >> 8) % 11, .src_reg = (s >> 16) % 11,
					   .off = (int16_t)(s >> 24), .imm = (int32_t)(s >> 32)};
	}
	switch (n % 8) {
	case 0: in[0].dst_reg = in[0].src_reg = 0; in[0].imm = 0; if (n == 0) in[0].off = 0; break;
	case 1: in[0].off = (int16_t)(8 << (n % 3)); in[0].imm = 0; break;
	case 2: in[0].imm = 16 << (n % 3); in[0].src_reg = 0; in[0].off = 0; break;
	case 3: in[0].imm = atomic_imms[(n >> 3) % 12]; break;
	case 4: in[0].src_reg = (n >> 3) % 7; in[0].dst_reg = 0; in[0].off = 0; break;
	case 5: in[0].off = (n >> 3) & 1; if ((n >> 4) & 1) in[0].src_reg = 0; else in[0].imm = 0; break;
	case 7: in[0].off = 0; in[0].imm = 0; break;
	default: break;
	}
	in[1].code = 0, in[1].dst_reg = in[1].src_reg = 0, in[1].off = 0;
}

#endif
