/* Shared by the JIT tests: instruction builders and a direct way to run a
 * program under the JIT without the public loader. */
#ifndef HIVE_TESTS_JIT_TEST_UTIL_H
#define HIVE_TESTS_JIT_TEST_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hive/hive.h"
#include "isa/isa.h"

#define I(c, d, s, o, i) ((struct hive_insn){.code = (uint8_t)(c), .dst_reg = (d), .src_reg = (s), .off = (int16_t)(o), .imm = (int32_t)(i)})
#define ALU64K(op, d, k) I(ISA_ALU64 | (op) | ISA_K, d, 0, 0, k)
#define ALU64X(op, d, s) I(ISA_ALU64 | (op) | ISA_X, d, s, 0, 0)
#define ALU32K(op, d, k) I(ISA_ALU | (op) | ISA_K, d, 0, 0, k)
#define ALU32X(op, d, s) I(ISA_ALU | (op) | ISA_X, d, s, 0, 0)
#define SDIV64K(d, k) I(ISA_ALU64 | ISA_DIV | ISA_K, d, 0, 1, k)
#define SDIV64X(d, s) I(ISA_ALU64 | ISA_DIV | ISA_X, d, s, 1, 0)
#define SMOD64X(d, s) I(ISA_ALU64 | ISA_MOD | ISA_X, d, s, 1, 0)
#define SDIV32X(d, s) I(ISA_ALU | ISA_DIV | ISA_X, d, s, 1, 0)
#define SMOD32X(d, s) I(ISA_ALU | ISA_MOD | ISA_X, d, s, 1, 0)
#define MOV64K(d, k) ALU64K(ISA_MOV, d, k)
#define MOV64X(d, s) ALU64X(ISA_MOV, d, s)
#define LDDW(d, v) I(ISA_LD | ISA_IMM | ISA_DW, d, 0, 0, (uint32_t)(uint64_t)(v)), I(0, 0, 0, 0, (uint32_t)((uint64_t)(v) >> 32))
#define JK(op, d, k, o) I(ISA_JMP | (op) | ISA_K, d, 0, o, k)
#define JX(op, d, s, o) I(ISA_JMP | (op) | ISA_X, d, s, o, 0)
#define J32K(op, d, k, o) I(ISA_JMP32 | (op) | ISA_K, d, 0, o, k)
#define JA(o) I(ISA_JMP | ISA_JA, 0, 0, o, 0)
#define LDX(sz, d, s, o) I(ISA_LDX | ISA_MEM | (sz), d, s, o, 0)
#define LDXS(sz, d, s, o) I(ISA_LDX | ISA_MEMSX | (sz), d, s, o, 0)
#define STX(sz, d, s, o) I(ISA_STX | ISA_MEM | (sz), d, s, o, 0)
#define ST(sz, d, o, k) I(ISA_ST | ISA_MEM | (sz), d, 0, o, k)
#define ATOMIC(sz, d, s, o, aop) I(ISA_STX | ISA_ATOMIC | (sz), d, s, o, aop)
#define CALL(id) I(ISA_JMP | ISA_CALL, 0, 0, 0, id)
#define CALL_LOCAL(rel) I(ISA_JMP | ISA_CALL, 0, ISA_PSEUDO_CALL, 0, rel)
#define CALLX(r) I(ISA_JMP | ISA_CALL | ISA_X, r, 0, 0, 0)
#define EXIT() I(ISA_JMP | ISA_EXIT, 0, 0, 0, 0)
#define END(cls_src, d, width) I(cls_src | ISA_END, d, 0, 0, width)

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#endif
