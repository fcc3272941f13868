/* Text spellings of the instruction set, shared by the disassembler
 * (disasm.c) and the assembler (asm.c).  The spellings are derived from the
 * isa rows (class, operation bits, flags), so there is no second opcode list.
 *
 * llvm-objdump / kernel syntax, one line per form:
 *   ALU      r0 += r1   w0 s/= 3   r1 = -r1   r0 = (s8)r1   r0 = be16 r0
 *   JMP      if r1 > 5 goto +3   if w1 s< w2 goto -2   goto +3   gotol +3
 *   CALL     call 1   call pc+3   callx r2   exit
 *   LD       r0 = 0x1122334455667788 ll   r0 = *(u8 *)skb[4]   r0 = *(u8 *)skb[r1 + 4]
 *   LDX/ST   r0 = *(u32 *)(r1 + 4)   r0 = *(s16 *)(r1 + 2)   *(u64 *)(r10 - 8) = r1
 *   ATOMIC   lock *(u64 *)(r1 + 0) += r2   r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)
 *            r2 = xchg_64(r1 + 0, r2)      r0 = cmpxchg_64(r1 + 0, r0, r2)
 *   invalid  .insn 0x0000000100010007 # invalid offset for this opcode
 */
#ifndef HIVE_ISA_DISASM_H
#define HIVE_ISA_DISASM_H

#include "isa.h"

/* The compound assignment of an ALU_K/ALU_X row ("+=", "s/=", "=" for mov),
 * NULL for rows printed otherwise (neg, byte swaps, movsx). */
const char *disasm_alu_op(const struct isa_row *row);

/* The comparison of a conditional jump row ("==", "s<", "&"...). */
const char *disasm_jmp_op(const struct isa_row *row);

/* An atomic row's operation name ("add", "or", "and", "xor", "xchg",
 * "cmpxchg") and, for the plain (no fetch) forms, its lock operator ("+="...). */
const char *disasm_atomic_name(const struct isa_row *row);
const char *disasm_atomic_lock_op(const struct isa_row *row);

/* "u8".."u64" for an access width in bytes (signed: "s8".."s64"). */
const char *disasm_size_name(unsigned bytes, int is_signed);

/* Names of LDDW's pseudo sources, by src (1..6); NULL when unknown. */
const char *disasm_pseudo_name(unsigned src);

/* One 8-byte slot as the little-endian 64-bit word `.insn` shows. */
uint64_t disasm_slot_word(const struct hive_insn *insn);

#endif
