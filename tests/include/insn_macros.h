/* Instruction constructors for tests, in the spirit of the kernel's
 * include/linux/filter.h, built on the isa encoding constants. */
#ifndef HIVE_TESTS_INSN_MACROS_H
#define HIVE_TESTS_INSN_MACROS_H

#include "hive/hive.h"
#include "isa/isa.h"

#define INSN(CODE, DST, SRC, OFF, IMM) \
	((struct hive_insn){.code = (CODE), .dst_reg = (DST), .src_reg = (SRC), .off = (OFF), .imm = (IMM)})
#define ALU64_IMM(OP, DST, IMM) INSN(ISA_ALU64 | (OP) | ISA_K, DST, 0, 0, IMM)
#define ALU64_REG(OP, DST, SRC) INSN(ISA_ALU64 | (OP) | ISA_X, DST, SRC, 0, 0)
#define ALU32_IMM(OP, DST, IMM) INSN(ISA_ALU | (OP) | ISA_K, DST, 0, 0, IMM)
#define ALU32_REG(OP, DST, SRC) INSN(ISA_ALU | (OP) | ISA_X, DST, SRC, 0, 0)
#define MOV64_IMM(DST, IMM) ALU64_IMM(ISA_MOV, DST, IMM)
#define MOV64_REG(DST, SRC) ALU64_REG(ISA_MOV, DST, SRC)
#define MOV32_IMM(DST, IMM) ALU32_IMM(ISA_MOV, DST, IMM)
#define LDX_MEM(SZ, DST, SRC, OFF) INSN(ISA_LDX | ISA_MEM | (SZ), DST, SRC, OFF, 0)
#define STX_MEM(SZ, DST, SRC, OFF) INSN(ISA_STX | ISA_MEM | (SZ), DST, SRC, OFF, 0)
#define ST_MEM(SZ, DST, OFF, IMM) INSN(ISA_ST | ISA_MEM | (SZ), DST, 0, OFF, IMM)
#define ATOMIC_OP(SZ, OP, DST, SRC, OFF) INSN(ISA_STX | ISA_ATOMIC | (SZ), DST, SRC, OFF, OP)
#define JMP_IMM(OP, DST, IMM, OFF) INSN(ISA_JMP | (OP) | ISA_K, DST, 0, OFF, IMM)
#define JMP_REG(OP, DST, SRC, OFF) INSN(ISA_JMP | (OP) | ISA_X, DST, SRC, OFF, 0)
#define JMP32_IMM(OP, DST, IMM, OFF) INSN(ISA_JMP32 | (OP) | ISA_K, DST, 0, OFF, IMM)
#define JA(OFF) INSN(ISA_JMP | ISA_JA, 0, 0, OFF, 0)
#define CALL_HELPER(ID) INSN(ISA_JMP | ISA_CALL, 0, 0, 0, ID)
#define CALL_LOCAL(REL) INSN(ISA_JMP | ISA_CALL, 0, ISA_PSEUDO_CALL, 0, REL)
#define CALLX(REG) INSN(ISA_JMP | ISA_CALL | ISA_X, REG, 0, 0, 0)
#define EXIT() INSN(ISA_JMP | ISA_EXIT, 0, 0, 0, 0)
#define LD_IMM64(DST, V) \
	INSN(ISA_LD | ISA_IMM | ISA_DW, DST, 0, 0, (int32_t)(uint32_t)(uint64_t)(V)), \
	INSN(0, 0, 0, 0, (int32_t)(uint32_t)((uint64_t)(V) >> 32))
#define LD_ABS(SZ, IMM) INSN(ISA_LD | ISA_ABS | (SZ), 0, 0, 0, IMM)
#define LD_IND(SZ, SRC, IMM) INSN(ISA_LD | ISA_IND | (SZ), 0, SRC, 0, IMM)
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
