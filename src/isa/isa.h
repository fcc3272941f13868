/* The eBPF instruction set (RFC 9669 plus what Linux runs), as data.
 *
 * Encoding of one 64-bit instruction slot (little-endian host order):
 *
 *   63            32 31        16 15   12 11    8 7          0
 *  +----------------+------------+-------+-------+------------+
 *  |      imm       |    off     |  src  |  dst  |    code    |
 *  +----------------+------------+-------+-------+------------+
 *
 *   code:  7..4 operation (ALU/JMP) or mode|size (LD/ST), 3 source bit, 2..0 class
 *
 * One table row per *instruction form*: an opcode byte plus, for opcodes that
 * mean several things, the value of a discriminating field (off for
 * sdiv/smod/movsx, imm for byte swaps and atomics, src for calls).  The
 * decoder, validator, disassembler, assembler, interpreter, JIT and verifier
 * all read this one table.  Row order is the dispatch order of the
 * interpreter; add rows at the end of their family and nowhere else.
 */
#ifndef HIVE_ISA_H
#define HIVE_ISA_H

#include <stdint.h>
#include <stddef.h>
#include "hive/hive.h"

/* {===== encoding fields */
#define ISA_CLASS(code) ((code) & 0x07)
#define ISA_SRCBIT(code) ((code) & 0x08)
#define ISA_OP(code) ((code) & 0xf0)
#define ISA_SIZE(code) ((code) & 0x18)
#define ISA_MODE(code) ((code) & 0xe0)

enum isa_class {
	ISA_LD = 0x00, ISA_LDX = 0x01, ISA_ST = 0x02, ISA_STX = 0x03,
	ISA_ALU = 0x04, ISA_JMP = 0x05, ISA_JMP32 = 0x06, ISA_ALU64 = 0x07,
};
enum { ISA_K = 0x00, ISA_X = 0x08 };
enum { ISA_W = 0x00, ISA_H = 0x08, ISA_B = 0x10, ISA_DW = 0x18 };
enum { ISA_IMM = 0x00, ISA_ABS = 0x20, ISA_IND = 0x40, ISA_MEM = 0x60, ISA_MEMSX = 0x80, ISA_ATOMIC = 0xc0 };
enum {
	ISA_ADD = 0x00, ISA_SUB = 0x10, ISA_MUL = 0x20, ISA_DIV = 0x30, ISA_OR = 0x40,
	ISA_AND = 0x50, ISA_LSH = 0x60, ISA_RSH = 0x70, ISA_NEG = 0x80, ISA_MOD = 0x90,
	ISA_XOR = 0xa0, ISA_MOV = 0xb0, ISA_ARSH = 0xc0, ISA_END = 0xd0,
};
enum {
	ISA_JA = 0x00, ISA_JEQ = 0x10, ISA_JGT = 0x20, ISA_JGE = 0x30, ISA_JSET = 0x40,
	ISA_JNE = 0x50, ISA_JSGT = 0x60, ISA_JSGE = 0x70, ISA_CALL = 0x80, ISA_EXIT = 0x90,
	ISA_JLT = 0xa0, ISA_JLE = 0xb0, ISA_JSLT = 0xc0, ISA_JSLE = 0xd0,
};
/* atomic operations, in imm */
enum {
	ISA_FETCH = 0x01,
	ISA_AADD = 0x00, ISA_AOR = 0x40, ISA_AAND = 0x50, ISA_AXOR = 0xa0,
	ISA_XCHG = 0xe0 | ISA_FETCH, ISA_CMPXCHG = 0xf0 | ISA_FETCH,
};
/* src of a call and of LDDW */
enum { ISA_PSEUDO_CALL = 1 };
enum {
	ISA_PSEUDO_MAP_FD = 1, ISA_PSEUDO_MAP_VALUE = 2, ISA_PSEUDO_BTF_ID = 3,
	ISA_PSEUDO_FUNC = 4, ISA_PSEUDO_MAP_IDX = 5, ISA_PSEUDO_MAP_IDX_VALUE = 6,
};
/* }===== */

/* How an instruction's fields are used: operand layout for printing and
 * parsing, and which fields must be zero. */
enum isa_fmt {
	FMT_ALU_K,     /* dst op= imm */
	FMT_ALU_X,     /* dst op= src */
	FMT_NEG,       /* dst = -dst */
	FMT_END,       /* dst = swap(dst), width in imm */
	FMT_MOVSX,     /* dst = (sN)src, N in off */
	FMT_JA,        /* goto off */
	FMT_JA32,      /* goto imm */
	FMT_JCOND_K,   /* if dst op imm goto off */
	FMT_JCOND_X,   /* if dst op src goto off */
	FMT_CALL,      /* call helper imm */
	FMT_CALL_LOCAL,/* call pc+imm+1 */
	FMT_CALLX,     /* call helper in dst */
	FMT_EXIT,
	FMT_LDDW,      /* dst = imm64 (two slots) */
	FMT_LDABS,     /* r0 = packet[imm] */
	FMT_LDIND,     /* r0 = packet[src + imm] */
	FMT_LDX,       /* dst = *(src + off) */
	FMT_ST,        /* *(dst + off) = imm */
	FMT_STX,       /* *(dst + off) = src */
	FMT_ATOMIC,    /* atomic op on *(dst + off) with src, op in imm */
};

/* Which field tells apart forms sharing an opcode byte. */
enum isa_disc { DISC_NONE, DISC_OFF, DISC_IMM, DISC_SRC };

/* RFC 9669 conformance groups (plus uBPF's callx). */
enum isa_group {
	GRP_BASE32 = 1 << 0, GRP_BASE64 = 1 << 1, GRP_ATOMIC32 = 1 << 2,
	GRP_ATOMIC64 = 1 << 3, GRP_DIVMUL32 = 1 << 4, GRP_DIVMUL64 = 1 << 5,
	GRP_PACKET = 1 << 6, GRP_CALLX = 1 << 7,
};

/* Row flags */
enum {
	ISA_F_ALU32 = 1 << 0,  /* 32-bit operation, result zero-extended */
	ISA_F_JUMP = 1 << 1,   /* has a branch target */
	ISA_F_COND = 1 << 2,   /* conditional: may fall through */
	ISA_F_LOAD = 1 << 3,   /* reads memory */
	ISA_F_STORE = 1 << 4,  /* writes memory */
	ISA_F_SIGNED = 1 << 5, /* signed variant (sdiv, smod, ldsx, signed compares) */
	ISA_F_FETCH = 1 << 6,  /* atomic writes old value to src (or r0) */
};

/* X(ID, code, disc value, "mnemonic", fmt, flags, cpu, group)
 *
 * mnemonic is the conformance-suite spelling; the llvm-objdump spelling is
 * derived from fmt and the operation bits by the disassembler. */
#define ISA_ALU(X, SFX, CLS, F, G, DG)                                                      \
	X(ADD##SFX##_K, CLS | ISA_ADD | ISA_K, 0, "add" #SFX, FMT_ALU_K, F, 1, G)             \
	X(ADD##SFX##_X, CLS | ISA_ADD | ISA_X, 0, "add" #SFX, FMT_ALU_X, F, 1, G)             \
	X(SUB##SFX##_K, CLS | ISA_SUB | ISA_K, 0, "sub" #SFX, FMT_ALU_K, F, 1, G)             \
	X(SUB##SFX##_X, CLS | ISA_SUB | ISA_X, 0, "sub" #SFX, FMT_ALU_X, F, 1, G)             \
	X(MUL##SFX##_K, CLS | ISA_MUL | ISA_K, 0, "mul" #SFX, FMT_ALU_K, F, 1, DG)            \
	X(MUL##SFX##_X, CLS | ISA_MUL | ISA_X, 0, "mul" #SFX, FMT_ALU_X, F, 1, DG)            \
	X(DIV##SFX##_K, CLS | ISA_DIV | ISA_K, 0, "div" #SFX, FMT_ALU_K, F, 1, DG)            \
	X(DIV##SFX##_X, CLS | ISA_DIV | ISA_X, 0, "div" #SFX, FMT_ALU_X, F, 1, DG)            \
	X(SDIV##SFX##_K, CLS | ISA_DIV | ISA_K, 1, "sdiv" #SFX, FMT_ALU_K, F | ISA_F_SIGNED, 4, DG) \
	X(SDIV##SFX##_X, CLS | ISA_DIV | ISA_X, 1, "sdiv" #SFX, FMT_ALU_X, F | ISA_F_SIGNED, 4, DG) \
	X(OR##SFX##_K, CLS | ISA_OR | ISA_K, 0, "or" #SFX, FMT_ALU_K, F, 1, G)                \
	X(OR##SFX##_X, CLS | ISA_OR | ISA_X, 0, "or" #SFX, FMT_ALU_X, F, 1, G)                \
	X(AND##SFX##_K, CLS | ISA_AND | ISA_K, 0, "and" #SFX, FMT_ALU_K, F, 1, G)             \
	X(AND##SFX##_X, CLS | ISA_AND | ISA_X, 0, "and" #SFX, FMT_ALU_X, F, 1, G)             \
	X(LSH##SFX##_K, CLS | ISA_LSH | ISA_K, 0, "lsh" #SFX, FMT_ALU_K, F, 1, G)             \
	X(LSH##SFX##_X, CLS | ISA_LSH | ISA_X, 0, "lsh" #SFX, FMT_ALU_X, F, 1, G)             \
	X(RSH##SFX##_K, CLS | ISA_RSH | ISA_K, 0, "rsh" #SFX, FMT_ALU_K, F, 1, G)             \
	X(RSH##SFX##_X, CLS | ISA_RSH | ISA_X, 0, "rsh" #SFX, FMT_ALU_X, F, 1, G)             \
	X(NEG##SFX, CLS | ISA_NEG | ISA_K, 0, "neg" #SFX, FMT_NEG, F, 1, G)                   \
	X(MOD##SFX##_K, CLS | ISA_MOD | ISA_K, 0, "mod" #SFX, FMT_ALU_K, F, 1, DG)            \
	X(MOD##SFX##_X, CLS | ISA_MOD | ISA_X, 0, "mod" #SFX, FMT_ALU_X, F, 1, DG)            \
	X(SMOD##SFX##_K, CLS | ISA_MOD | ISA_K, 1, "smod" #SFX, FMT_ALU_K, F | ISA_F_SIGNED, 4, DG) \
	X(SMOD##SFX##_X, CLS | ISA_MOD | ISA_X, 1, "smod" #SFX, FMT_ALU_X, F | ISA_F_SIGNED, 4, DG) \
	X(XOR##SFX##_K, CLS | ISA_XOR | ISA_K, 0, "xor" #SFX, FMT_ALU_K, F, 1, G)             \
	X(XOR##SFX##_X, CLS | ISA_XOR | ISA_X, 0, "xor" #SFX, FMT_ALU_X, F, 1, G)             \
	X(MOV##SFX##_K, CLS | ISA_MOV | ISA_K, 0, "mov" #SFX, FMT_ALU_K, F, 1, G)             \
	X(MOV##SFX##_X, CLS | ISA_MOV | ISA_X, 0, "mov" #SFX, FMT_ALU_X, F, 1, G)             \
	X(MOVSX8##SFX, CLS | ISA_MOV | ISA_X, 8, "movsx8" #SFX, FMT_MOVSX, F | ISA_F_SIGNED, 4, G) \
	X(MOVSX16##SFX, CLS | ISA_MOV | ISA_X, 16, "movsx16" #SFX, FMT_MOVSX, F | ISA_F_SIGNED, 4, G) \
	X(ARSH##SFX##_K, CLS | ISA_ARSH | ISA_K, 0, "arsh" #SFX, FMT_ALU_K, F, 1, G)          \
	X(ARSH##SFX##_X, CLS | ISA_ARSH | ISA_X, 0, "arsh" #SFX, FMT_ALU_X, F, 1, G)

#define ISA_JMP_COND(X, NAME, SFX, CLS, OP, F, CPU, G)                                     \
	X(NAME##SFX##_K, CLS | OP | ISA_K, 0, #NAME, FMT_JCOND_K, ISA_F_JUMP | ISA_F_COND | (F), CPU, G) \
	X(NAME##SFX##_X, CLS | OP | ISA_X, 0, #NAME, FMT_JCOND_X, ISA_F_JUMP | ISA_F_COND | (F), CPU, G)

#define ISA_JMPS(X, SFX, CLS, F, C, G)                                                     \
	ISA_JMP_COND(X, JEQ, SFX, CLS, ISA_JEQ, F, C, G)                                        \
	ISA_JMP_COND(X, JGT, SFX, CLS, ISA_JGT, F, C, G)                                        \
	ISA_JMP_COND(X, JGE, SFX, CLS, ISA_JGE, F, C, G)                                        \
	ISA_JMP_COND(X, JSET, SFX, CLS, ISA_JSET, F, C, G)                                      \
	ISA_JMP_COND(X, JNE, SFX, CLS, ISA_JNE, F, C, G)                                        \
	ISA_JMP_COND(X, JSGT, SFX, CLS, ISA_JSGT, F | ISA_F_SIGNED, C, G)                       \
	ISA_JMP_COND(X, JSGE, SFX, CLS, ISA_JSGE, F | ISA_F_SIGNED, C, G)                       \
	ISA_JMP_COND(X, JLT, SFX, CLS, ISA_JLT, F, (C) > 2 ? (C) : 2, G)                        \
	ISA_JMP_COND(X, JLE, SFX, CLS, ISA_JLE, F, (C) > 2 ? (C) : 2, G)                        \
	ISA_JMP_COND(X, JSLT, SFX, CLS, ISA_JSLT, F | ISA_F_SIGNED, (C) > 2 ? (C) : 2, G)       \
	ISA_JMP_COND(X, JSLE, SFX, CLS, ISA_JSLE, F | ISA_F_SIGNED, (C) > 2 ? (C) : 2, G)

#define ISA_ATOMICS(X, SFX, SZ, F, G)                                                       \
	X(AADD##SFX, ISA_STX | ISA_ATOMIC | SZ, ISA_AADD, "add" #SFX, FMT_ATOMIC, ISA_F_LOAD | ISA_F_STORE | (F), 1, G) \
	X(AOR##SFX, ISA_STX | ISA_ATOMIC | SZ, ISA_AOR, "or" #SFX, FMT_ATOMIC, ISA_F_LOAD | ISA_F_STORE | (F), 3, G) \
	X(AAND##SFX, ISA_STX | ISA_ATOMIC | SZ, ISA_AAND, "and" #SFX, FMT_ATOMIC, ISA_F_LOAD | ISA_F_STORE | (F), 3, G) \
	X(AXOR##SFX, ISA_STX | ISA_ATOMIC | SZ, ISA_AXOR, "xor" #SFX, FMT_ATOMIC, ISA_F_LOAD | ISA_F_STORE | (F), 3, G) \
	X(AFADD##SFX, ISA_STX | ISA_ATOMIC | SZ, ISA_AADD | ISA_FETCH, "add" #SFX, FMT_ATOMIC, ISA_F_LOAD | ISA_F_STORE | ISA_F_FETCH | (F), 3, G) \
	X(AFOR##SFX, ISA_STX | ISA_ATOMIC | SZ, ISA_AOR | ISA_FETCH, "or" #SFX, FMT_ATOMIC, ISA_F_LOAD | ISA_F_STORE | ISA_F_FETCH | (F), 3, G) \
	X(AFAND##SFX, ISA_STX | ISA_ATOMIC | SZ, ISA_AAND | ISA_FETCH, "and" #SFX, FMT_ATOMIC, ISA_F_LOAD | ISA_F_STORE | ISA_F_FETCH | (F), 3, G) \
	X(AFXOR##SFX, ISA_STX | ISA_ATOMIC | SZ, ISA_AXOR | ISA_FETCH, "xor" #SFX, FMT_ATOMIC, ISA_F_LOAD | ISA_F_STORE | ISA_F_FETCH | (F), 3, G) \
	X(XCHG##SFX, ISA_STX | ISA_ATOMIC | SZ, ISA_XCHG, "xchg" #SFX, FMT_ATOMIC, ISA_F_LOAD | ISA_F_STORE | ISA_F_FETCH | (F), 3, G) \
	X(CMPXCHG##SFX, ISA_STX | ISA_ATOMIC | SZ, ISA_CMPXCHG, "cmpxchg" #SFX, FMT_ATOMIC, ISA_F_LOAD | ISA_F_STORE | ISA_F_FETCH | (F), 3, G)

#define HIVE_ISA(X)                                                                         \
	ISA_ALU(X, 64, ISA_ALU64, 0, GRP_BASE64, GRP_DIVMUL64)                                  \
	X(MOVSX3264, ISA_ALU64 | ISA_MOV | ISA_X, 32, "movsx3264", FMT_MOVSX, ISA_F_SIGNED, 4, GRP_BASE64) \
	X(BSWAP16, ISA_ALU64 | ISA_END, 16, "bswap16", FMT_END, 0, 4, GRP_BASE32)              \
	X(BSWAP32, ISA_ALU64 | ISA_END, 32, "bswap32", FMT_END, 0, 4, GRP_BASE32)              \
	X(BSWAP64, ISA_ALU64 | ISA_END, 64, "bswap64", FMT_END, 0, 4, GRP_BASE64)              \
	ISA_ALU(X, 32, ISA_ALU, ISA_F_ALU32, GRP_BASE32, GRP_DIVMUL32)                          \
	X(LE16, ISA_ALU | ISA_END | ISA_K, 16, "le16", FMT_END, 0, 1, GRP_BASE32)              \
	X(LE32, ISA_ALU | ISA_END | ISA_K, 32, "le32", FMT_END, 0, 1, GRP_BASE32)              \
	X(LE64, ISA_ALU | ISA_END | ISA_K, 64, "le64", FMT_END, 0, 1, GRP_BASE64)              \
	X(BE16, ISA_ALU | ISA_END | ISA_X, 16, "be16", FMT_END, 0, 1, GRP_BASE32)              \
	X(BE32, ISA_ALU | ISA_END | ISA_X, 32, "be32", FMT_END, 0, 1, GRP_BASE32)              \
	X(BE64, ISA_ALU | ISA_END | ISA_X, 64, "be64", FMT_END, 0, 1, GRP_BASE64)              \
	X(JA, ISA_JMP | ISA_JA, 0, "ja", FMT_JA, ISA_F_JUMP, 1, GRP_BASE32)                     \
	ISA_JMPS(X, , ISA_JMP, 0, 1, GRP_BASE64)                                                \
	X(CALL, ISA_JMP | ISA_CALL, 0, "call", FMT_CALL, 0, 1, GRP_BASE32)                      \
	X(CALL_LOCAL, ISA_JMP | ISA_CALL, ISA_PSEUDO_CALL, "call", FMT_CALL_LOCAL, 0, 1, GRP_BASE32) \
	X(CALLX, ISA_JMP | ISA_CALL | ISA_X, 0, "callx", FMT_CALLX, 0, 1, GRP_CALLX)            \
	X(EXIT, ISA_JMP | ISA_EXIT, 0, "exit", FMT_EXIT, 0, 1, GRP_BASE32)                      \
	X(JA32, ISA_JMP32 | ISA_JA, 0, "ja32", FMT_JA32, ISA_F_JUMP, 4, GRP_BASE32)             \
	ISA_JMPS(X, 32, ISA_JMP32, ISA_F_ALU32, 3, GRP_BASE32)                                  \
	X(LDDW, ISA_LD | ISA_IMM | ISA_DW, 0, "lddw", FMT_LDDW, 0, 1, GRP_BASE64)               \
	X(LDABSW, ISA_LD | ISA_ABS | ISA_W, 0, "ldabsw", FMT_LDABS, ISA_F_LOAD, 1, GRP_PACKET)  \
	X(LDABSH, ISA_LD | ISA_ABS | ISA_H, 0, "ldabsh", FMT_LDABS, ISA_F_LOAD, 1, GRP_PACKET)  \
	X(LDABSB, ISA_LD | ISA_ABS | ISA_B, 0, "ldabsb", FMT_LDABS, ISA_F_LOAD, 1, GRP_PACKET)  \
	X(LDINDW, ISA_LD | ISA_IND | ISA_W, 0, "ldindw", FMT_LDIND, ISA_F_LOAD, 1, GRP_PACKET)  \
	X(LDINDH, ISA_LD | ISA_IND | ISA_H, 0, "ldindh", FMT_LDIND, ISA_F_LOAD, 1, GRP_PACKET)  \
	X(LDINDB, ISA_LD | ISA_IND | ISA_B, 0, "ldindb", FMT_LDIND, ISA_F_LOAD, 1, GRP_PACKET)  \
	X(LDXW, ISA_LDX | ISA_MEM | ISA_W, 0, "ldxw", FMT_LDX, ISA_F_LOAD, 1, GRP_BASE32)       \
	X(LDXH, ISA_LDX | ISA_MEM | ISA_H, 0, "ldxh", FMT_LDX, ISA_F_LOAD, 1, GRP_BASE32)       \
	X(LDXB, ISA_LDX | ISA_MEM | ISA_B, 0, "ldxb", FMT_LDX, ISA_F_LOAD, 1, GRP_BASE32)       \
	X(LDXDW, ISA_LDX | ISA_MEM | ISA_DW, 0, "ldxdw", FMT_LDX, ISA_F_LOAD, 1, GRP_BASE64)    \
	X(LDXSW, ISA_LDX | ISA_MEMSX | ISA_W, 0, "ldxsw", FMT_LDX, ISA_F_LOAD | ISA_F_SIGNED, 4, GRP_BASE64) \
	X(LDXSH, ISA_LDX | ISA_MEMSX | ISA_H, 0, "ldxsh", FMT_LDX, ISA_F_LOAD | ISA_F_SIGNED, 4, GRP_BASE32) \
	X(LDXSB, ISA_LDX | ISA_MEMSX | ISA_B, 0, "ldxsb", FMT_LDX, ISA_F_LOAD | ISA_F_SIGNED, 4, GRP_BASE32) \
	X(STW, ISA_ST | ISA_MEM | ISA_W, 0, "stw", FMT_ST, ISA_F_STORE, 1, GRP_BASE32)          \
	X(STH, ISA_ST | ISA_MEM | ISA_H, 0, "sth", FMT_ST, ISA_F_STORE, 1, GRP_BASE32)          \
	X(STB, ISA_ST | ISA_MEM | ISA_B, 0, "stb", FMT_ST, ISA_F_STORE, 1, GRP_BASE32)          \
	X(STDW, ISA_ST | ISA_MEM | ISA_DW, 0, "stdw", FMT_ST, ISA_F_STORE, 1, GRP_BASE64)       \
	X(STXW, ISA_STX | ISA_MEM | ISA_W, 0, "stxw", FMT_STX, ISA_F_STORE, 1, GRP_BASE32)      \
	X(STXH, ISA_STX | ISA_MEM | ISA_H, 0, "stxh", FMT_STX, ISA_F_STORE, 1, GRP_BASE32)      \
	X(STXB, ISA_STX | ISA_MEM | ISA_B, 0, "stxb", FMT_STX, ISA_F_STORE, 1, GRP_BASE32)      \
	X(STXDW, ISA_STX | ISA_MEM | ISA_DW, 0, "stxdw", FMT_STX, ISA_F_STORE, 1, GRP_BASE64)   \
	ISA_ATOMICS(X, 32, ISA_W, ISA_F_ALU32, GRP_ATOMIC32)                                   \
	ISA_ATOMICS(X, 64, ISA_DW, 0, GRP_ATOMIC64)

enum isa_op {
#define ISA_ENUM(ID, ...) OP_##ID,
	HIVE_ISA(ISA_ENUM)
#undef ISA_ENUM
	OP__COUNT,
	/* Internal forms the VM substitutes after validation; never decoded. */
	OP_INVALID = 0xff,
};
_Static_assert(OP__COUNT < 0xff, "isa: row ids must fit the VM's one-byte op");

struct isa_row {
	const char *mnemonic;
	uint8_t code;
	uint8_t fmt;      /* enum isa_fmt */
	uint8_t disc;     /* enum isa_disc: which field the value below is in */
	uint8_t cpu;      /* first -mcpu version that emits it (1..4) */
	int32_t disc_val;
	uint16_t flags;   /* ISA_F_* */
	uint16_t group;   /* GRP_* */
};

extern const struct isa_row isa_rows[OP__COUNT];

/* Access width in bytes of a LD/LDX/ST/STX/atomic row (0 for others). */
static inline unsigned isa_access_size(uint8_t code)
{
	static const uint8_t sz[4] = {4, 2, 1, 8};
	return sz[ISA_SIZE(code) >> 3];
}

/* Which field discriminates between forms sharing an opcode byte. */
enum isa_disc isa_disc_of(uint8_t code);

/* The row an instruction is, or OP_INVALID.  When @why is given it is set to a
 * static explanation on failure ("unknown opcode 0x..", "src must be 0"...).
 * Checks the fields every form of the row must have zero; register ranges are
 * the validator's. */
int isa_decode(const struct hive_insn *insn, const char **why);

/* The registers @insn (of @row) reads and writes, as bit masks over r0..r10
 * (bit i = ri): the operands, cmpxchg's r0, a fetch's src, LD_ABS/IND's r0.
 * Calls report nothing here; their effect depends on the callee. */
void isa_regs(const struct isa_row *row, const struct hive_insn *insn, uint16_t *rd, uint16_t *wr);

/* A human name of a conformance group, "base32" etc. */
const char *isa_group_name(unsigned group);

#endif
