/* Small programs, both ways, in the spirit of the kernel's selftests
 * (tools/testing/selftests/bpf/progs/verifier_*.c), as raw instructions.
 * Shared by test_verifier.c (hive's verdicts and messages) and
 * test_verifier_kernel.c (the same programs through bpf(BPF_PROG_LOAD)).
 *
 * Maps: LDDW imm 100 = hash (key 4, value 8), 101 = array (key 4, value 48,
 * 1 entry), 102 = ringbuf (4096).  The kernel test creates real maps and
 * rewrites the fds. */
#ifndef HIVE_TESTS_VERIFIER_CASES_H
#define HIVE_TESTS_VERIFIER_CASES_H

#include "hive/hive.h"
#include "isa/isa.h"

#define I(c, d, s, o, i) {.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)}
#define MOV64_IMM(d, v) I(ISA_ALU64 | ISA_MOV | ISA_K, d, 0, 0, v)
#define MOV32_IMM(d, v) I(ISA_ALU | ISA_MOV | ISA_K, d, 0, 0, v)
#define MOV64_REG(d, s) I(ISA_ALU64 | ISA_MOV | ISA_X, d, s, 0, 0)
#define MOV32_REG(d, s) I(ISA_ALU | ISA_MOV | ISA_X, d, s, 0, 0)
#define ALU64_IMM(op, d, v) I(ISA_ALU64 | (op) | ISA_K, d, 0, 0, v)
#define ALU64_REG(op, d, s) I(ISA_ALU64 | (op) | ISA_X, d, s, 0, 0)
#define ALU32_IMM(op, d, v) I(ISA_ALU | (op) | ISA_K, d, 0, 0, v)
#define ALU32_REG(op, d, s) I(ISA_ALU | (op) | ISA_X, d, s, 0, 0)
#define LDX(sz, d, s, o) I(ISA_LDX | ISA_MEM | (sz), d, s, o, 0)
#define STX(sz, d, s, o) I(ISA_STX | ISA_MEM | (sz), d, s, o, 0)
#define ST(sz, d, o, v) I(ISA_ST | ISA_MEM | (sz), d, 0, o, v)
#define JMP_IMM(op, d, v, o) I(ISA_JMP | (op) | ISA_K, d, 0, o, v)
#define JMP_REG(op, d, s, o) I(ISA_JMP | (op) | ISA_X, d, s, o, 0)
#define JMP32_IMM(op, d, v, o) I(ISA_JMP32 | (op) | ISA_K, d, 0, o, v)
#define JA(o) I(ISA_JMP | ISA_JA, 0, 0, o, 0)
#define CALL(id) I(ISA_JMP | ISA_CALL, 0, 0, 0, id)
#define CALL_LOCAL(o) I(ISA_JMP | ISA_CALL, 0, 1, 0, o)
#define EXIT I(ISA_JMP | ISA_EXIT, 0, 0, 0, 0)
#define LD_IMM64(d, v) I(ISA_LD | ISA_DW, d, 0, 0, (int32_t)(uint32_t)(v)), I(0, 0, 0, 0, (int32_t)((uint64_t)(v) >> 32))
#define LD_FUNC(d, o) I(ISA_LD | ISA_DW, d, ISA_PSEUDO_FUNC, 0, o), I(0, 0, 0, 0, 0)
#define LD_MAP(d, fd) I(ISA_LD | ISA_DW, d, ISA_PSEUDO_MAP_FD, 0, fd), I(0, 0, 0, 0, 0)
#define ATOMIC(sz, d, s, o, op) I(ISA_STX | ISA_ATOMIC | (sz), d, s, o, op)
#define LD_ABS(sz, v) I(ISA_LD | ISA_ABS | (sz), 0, 0, 0, v)

enum { MAP_HASH = 100, MAP_ARRAY = 101, MAP_RINGBUF = 102 };
enum { FN_LOOP = 181, FN_LOOKUP = 1, FN_UPDATE = 2, FN_KTIME = 5, FN_PRANDOM = 7, FN_RB_OUTPUT = 130, FN_RB_RESERVE = 131,
       FN_RB_SUBMIT = 132, FN_RB_DISCARD = 133 };

#define SOCK HIVE_PROG_SOCKET_FILTER
#define XDP HIVE_PROG_XDP
#define TC HIVE_PROG_SCHED_CLS

struct vcase {
	const char *name;
	uint32_t prog_type;
	int accept;         /* 1: safe, 0: refused */
	const char *msg;    /* refused: hive's log must contain this */
	struct hive_insn insns[96];
	int known_gap;      /* hive's verdict differs from Linux's, on purpose or for now (see the name) */
};

/* key (4 bytes, 0) on the stack at fp-4, r2 = fp-4, r1 = map */
#define KEY_ON_STACK(fd) ST(ISA_W, 10, -4, 0), MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -4), LD_MAP(1, fd)

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers" /* known_gap defaults to 0 */
static const struct vcase vcases[] = {
	/* {===== accepted */
	{"return 0", SOCK, 1, NULL, {MOV64_IMM(0, 0), EXIT}},
	{"alu mix", SOCK, 1, NULL,
	 {MOV64_IMM(1, 7), ALU64_IMM(ISA_MUL, 1, 3), ALU64_IMM(ISA_SUB, 1, 1), ALU32_IMM(ISA_LSH, 1, 4),
	  ALU64_IMM(ISA_ARSH, 1, 2), ALU64_IMM(ISA_XOR, 1, -1), I(ISA_ALU64 | ISA_NEG, 1, 0, 0, 0),
	  MOV64_REG(0, 1), EXIT}},
	{"divide by unknown register", SOCK, 1, NULL,
	 {CALL(FN_PRANDOM), MOV64_REG(1, 0), MOV64_IMM(0, 100), ALU64_REG(ISA_DIV, 0, 1), ALU64_REG(ISA_MOD, 0, 1),
	  ALU32_REG(ISA_DIV, 0, 1), EXIT}},
	{"stack write then read", SOCK, 1, NULL,
	 {ST(ISA_DW, 10, -8, 42), LDX(ISA_DW, 0, 10, -8), EXIT}},
	{"stack byte writes then word read", SOCK, 1, NULL,
	 {ST(ISA_B, 10, -4, 1), ST(ISA_B, 10, -3, 2), ST(ISA_H, 10, -2, 3), LDX(ISA_W, 0, 10, -4), EXIT}},
	{"spill ctx and fill it back", SOCK, 1, NULL,
	 {STX(ISA_DW, 10, 1, -16), MOV64_IMM(1, 0), LDX(ISA_DW, 2, 10, -16), LDX(ISA_W, 0, 2, 0), EXIT}},
	{"ctx len read (socket filter)", SOCK, 1, NULL, {LDX(ISA_W, 0, 1, 0), EXIT}},
	{"ctx cb write (socket filter)", SOCK, 1, NULL, {MOV64_IMM(2, 5), STX(ISA_W, 1, 2, 48), MOV64_IMM(0, 0), EXIT}},
	{"map lookup with null check", SOCK, 1, NULL,
	 {KEY_ON_STACK(MAP_HASH), CALL(FN_LOOKUP), JMP_IMM(ISA_JEQ, 0, 0, 2), LDX(ISA_DW, 0, 0, 0), JA(1),
	  MOV64_IMM(0, 0), EXIT}},
	{"null check on a copy", SOCK, 1, NULL,
	 {KEY_ON_STACK(MAP_HASH), CALL(FN_LOOKUP), MOV64_REG(6, 0), JMP_IMM(ISA_JNE, 6, 0, 2), MOV64_IMM(0, 0), EXIT,
	  LDX(ISA_DW, 0, 0, 0), EXIT}},
	{"map value bounded variable index", SOCK, 1, NULL,
	 {KEY_ON_STACK(MAP_ARRAY), CALL(FN_LOOKUP), JMP_IMM(ISA_JEQ, 0, 0, 6), MOV64_REG(6, 0), CALL(FN_PRANDOM),
	  ALU64_IMM(ISA_AND, 0, 31), ALU64_REG(ISA_ADD, 6, 0), LDX(ISA_DW, 0, 6, 8), EXIT, MOV64_IMM(0, 0), EXIT}},
	{"linked scalar bound", SOCK, 1, NULL,
	 {KEY_ON_STACK(MAP_ARRAY), CALL(FN_LOOKUP), JMP_IMM(ISA_JEQ, 0, 0, 9), MOV64_REG(6, 0), CALL(FN_PRANDOM),
	  MOV64_REG(1, 0), JMP_IMM(ISA_JGT, 1, 40, 3), ALU64_REG(ISA_ADD, 6, 0), LDX(ISA_DW, 0, 6, 0), EXIT,
	  MOV64_IMM(0, 0), EXIT, MOV64_IMM(0, 0), EXIT}},
	{"jmp32 bound on a zero-extended value", SOCK, 1, NULL,
	 {KEY_ON_STACK(MAP_ARRAY), CALL(FN_LOOKUP), JMP_IMM(ISA_JEQ, 0, 0, 9), MOV64_REG(6, 0), CALL(FN_PRANDOM),
	  MOV32_REG(0, 0), JMP32_IMM(ISA_JGT, 0, 40, 3), ALU64_REG(ISA_ADD, 6, 0), LDX(ISA_DW, 0, 6, 0), EXIT,
	  MOV64_IMM(0, 0), EXIT, MOV64_IMM(0, 0), EXIT}},
	{"bounded loop", SOCK, 1, NULL,
	 {MOV64_IMM(1, 0), MOV64_IMM(0, 0), ALU64_REG(ISA_ADD, 0, 1), ALU64_IMM(ISA_ADD, 1, 1),
	  JMP_IMM(ISA_JLT, 1, 10, -3), EXIT}},
	{"diamonds prune", SOCK, 1, NULL,
	 {CALL(FN_PRANDOM), MOV64_REG(6, 0), MOV64_IMM(7, 0), JMP_IMM(ISA_JEQ, 6, 1, 1), MOV64_IMM(7, 0),
	  JMP_IMM(ISA_JEQ, 6, 2, 1), MOV64_IMM(7, 0), JMP_IMM(ISA_JEQ, 6, 3, 1), MOV64_IMM(7, 0), MOV64_REG(0, 7),
	  EXIT}},
	{"xdp packet access after bounds check", XDP, 1, NULL,
	 {LDX(ISA_W, 2, 1, 0), LDX(ISA_W, 3, 1, 4), MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 14),
	  JMP_REG(ISA_JGT, 4, 3, 3), LDX(ISA_H, 0, 2, 12), ST(ISA_B, 2, 13, 1), EXIT, MOV64_IMM(0, 1), EXIT}},
	{"xdp check with end on the left", XDP, 1, NULL,
	 {LDX(ISA_W, 2, 1, 0), LDX(ISA_W, 3, 1, 4), MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 8),
	  JMP_REG(ISA_JLT, 3, 4, 2), LDX(ISA_DW, 0, 2, 0), EXIT, MOV64_IMM(0, 1), EXIT}},
	{"tc packet access", TC, 1, NULL,
	 {LDX(ISA_W, 2, 1, 76), LDX(ISA_W, 3, 1, 80), MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 4),
	  JMP_REG(ISA_JGT, 4, 3, 2), LDX(ISA_W, 0, 2, 0), EXIT, MOV64_IMM(0, 0), EXIT}},
	{"bpf-to-bpf call", SOCK, 1, NULL,
	 {MOV64_IMM(1, 3), CALL_LOCAL(2), ALU64_IMM(ISA_ADD, 0, 1), EXIT, MOV64_REG(0, 1), ALU64_IMM(ISA_MUL, 0, 2),
	  EXIT}},
	{"callee writes caller stack", SOCK, 1, NULL,
	 {MOV64_REG(1, 10), ALU64_IMM(ISA_ADD, 1, -8), CALL_LOCAL(2), LDX(ISA_DW, 0, 10, -8), EXIT, ST(ISA_DW, 1, 0, 7),
	  MOV64_IMM(0, 0), EXIT}},
	{"ringbuf reserve and submit", SOCK, 1, NULL,
	 {LD_MAP(1, MAP_RINGBUF), MOV64_IMM(2, 16), MOV64_IMM(3, 0), CALL(FN_RB_RESERVE), JMP_IMM(ISA_JEQ, 0, 0, 5),
	  ST(ISA_DW, 0, 8, 1), MOV64_REG(1, 0), MOV64_IMM(2, 0), CALL(FN_RB_SUBMIT), MOV64_IMM(0, 0), EXIT}},
	{"ringbuf output from stack", SOCK, 1, NULL,
	 {ST(ISA_DW, 10, -8, 1), LD_MAP(1, MAP_RINGBUF), MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -8), MOV64_IMM(3, 8),
	  MOV64_IMM(4, 0), CALL(FN_RB_OUTPUT), MOV64_IMM(0, 0), EXIT}},
	{"map update from stack", SOCK, 1, NULL,
	 {ST(ISA_W, 10, -4, 0), ST(ISA_DW, 10, -16, 0), LD_MAP(1, MAP_HASH), MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -4),
	  MOV64_REG(3, 10), ALU64_IMM(ISA_ADD, 3, -16), MOV64_IMM(4, 0), CALL(FN_UPDATE), EXIT}},
	{"atomic add on stack", SOCK, 1, NULL,
	 {ST(ISA_DW, 10, -8, 0), MOV64_IMM(1, 1), ATOMIC(ISA_DW, 10, 1, -8, ISA_AADD), LDX(ISA_DW, 0, 10, -8), EXIT}},
	{"ld_abs in socket filter", SOCK, 1, NULL, {MOV64_REG(6, 1), LD_ABS(ISA_B, 0), EXIT}},
	{"always-true branch skips bad code", SOCK, 1, NULL,
	 {MOV64_IMM(1, 5), JMP_IMM(ISA_JGT, 1, 3, 1), LDX(ISA_DW, 0, 1, 0), MOV64_IMM(0, 0), EXIT}},
	{"pointer minus pointer", XDP, 1, NULL,
	 {LDX(ISA_W, 2, 1, 0), LDX(ISA_W, 3, 1, 4), ALU64_REG(ISA_SUB, 3, 2), MOV64_REG(0, 3), EXIT}},
	{"BPF_ST into ctx cb", SOCK, 1, NULL, {ST(ISA_W, 1, 48, 0), MOV64_IMM(0, 0), EXIT}},
	{"22 branches on a return code prune (precision)", SOCK, 1, NULL,
	 {CALL(FN_PRANDOM), MOV64_REG(6, 0), MOV64_IMM(7, 0),
	  MOV64_REG(1, 6), ALU64_IMM(ISA_AND, 1, 1), JMP_IMM(ISA_JEQ, 1, 0, 1), MOV64_IMM(7, 0),
	  MOV64_REG(1, 6), ALU64_IMM(ISA_AND, 1, 2), JMP_IMM(ISA_JEQ, 1, 0, 1), MOV64_IMM(7, 1),
	  MOV64_REG(1, 6), ALU64_IMM(ISA_AND, 1, 4), JMP_IMM(ISA_JEQ, 1, 0, 1), MOV64_IMM(7, 2),
	  MOV64_REG(1, 6), ALU64_IMM(ISA_AND, 1, 8), JMP_IMM(ISA_JEQ, 1, 0, 1), MOV64_IMM(7, 3),
	  MOV64_REG(1, 6), ALU64_IMM(ISA_AND, 1, 16), JMP_IMM(ISA_JEQ, 1, 0, 1), MOV64_IMM(7, 4),
	  MOV64_REG(1, 6), ALU64_IMM(ISA_AND, 1, 32), JMP_IMM(ISA_JEQ, 1, 0, 1), MOV64_IMM(7, 5),
	  MOV64_REG(1, 6), ALU64_IMM(ISA_AND, 1, 64), JMP_IMM(ISA_JEQ, 1, 0, 1), MOV64_IMM(7, 6),
	  MOV64_REG(1, 6), ALU64_IMM(ISA_AND, 1, 128), JMP_IMM(ISA_JEQ, 1, 0, 1), MOV64_IMM(7, 7),
	  MOV64_REG(1, 6), ALU64_IMM(ISA_AND, 1, 256), JMP_IMM(ISA_JEQ, 1, 0, 1), MOV64_IMM(7, 8),
	  MOV64_REG(1, 6), ALU64_IMM(ISA_AND, 1, 512), JMP_IMM(ISA_JEQ, 1, 0, 1), MOV64_IMM(7, 9),
	  MOV64_REG(1, 6), ALU64_IMM(ISA_AND, 1, 1024), JMP_IMM(ISA_JEQ, 1, 0, 1), MOV64_IMM(7, 10),
	  MOV64_REG(1, 6), ALU64_IMM(ISA_AND, 1, 2048), JMP_IMM(ISA_JEQ, 1, 0, 1), MOV64_IMM(7, 11),
	  MOV64_REG(1, 6), ALU64_IMM(ISA_AND, 1, 4096), JMP_IMM(ISA_JEQ, 1, 0, 1), MOV64_IMM(7, 12),
	  MOV64_REG(1, 6), ALU64_IMM(ISA_AND, 1, 8192), JMP_IMM(ISA_JEQ, 1, 0, 1), MOV64_IMM(7, 13),
	  MOV64_REG(1, 6), ALU64_IMM(ISA_AND, 1, 16384), JMP_IMM(ISA_JEQ, 1, 0, 1), MOV64_IMM(7, 14),
	  MOV64_REG(1, 6), ALU64_IMM(ISA_AND, 1, 32768), JMP_IMM(ISA_JEQ, 1, 0, 1), MOV64_IMM(7, 15),
	  MOV64_REG(1, 6), ALU64_IMM(ISA_AND, 1, 65536), JMP_IMM(ISA_JEQ, 1, 0, 1), MOV64_IMM(7, 16),
	  MOV64_REG(1, 6), ALU64_IMM(ISA_AND, 1, 131072), JMP_IMM(ISA_JEQ, 1, 0, 1), MOV64_IMM(7, 17),
	  MOV64_REG(1, 6), ALU64_IMM(ISA_AND, 1, 262144), JMP_IMM(ISA_JEQ, 1, 0, 1), MOV64_IMM(7, 18),
	  MOV64_REG(1, 6), ALU64_IMM(ISA_AND, 1, 524288), JMP_IMM(ISA_JEQ, 1, 0, 1), MOV64_IMM(7, 19),
	  MOV64_REG(1, 6), ALU64_IMM(ISA_AND, 1, 1048576), JMP_IMM(ISA_JEQ, 1, 0, 1), MOV64_IMM(7, 20),
	  MOV64_REG(1, 6), ALU64_IMM(ISA_AND, 1, 2097152), JMP_IMM(ISA_JEQ, 1, 0, 1), MOV64_IMM(7, 21),
	  MOV64_REG(0, 7), EXIT}},
	{"28 jset on one register prune (operands of undecided jumps are imprecise)", SOCK, 1, NULL,
	 {CALL(FN_PRANDOM), MOV64_REG(6, 0), MOV64_IMM(7, 0),
	  JMP_IMM(ISA_JSET, 6, 1, 1), MOV64_IMM(7, 0), JMP_IMM(ISA_JSET, 6, 2, 1), MOV64_IMM(7, 1), JMP_IMM(ISA_JSET, 6, 4, 1), MOV64_IMM(7, 2), JMP_IMM(ISA_JSET, 6, 8, 1), MOV64_IMM(7, 3),
	  JMP_IMM(ISA_JSET, 6, 16, 1), MOV64_IMM(7, 4), JMP_IMM(ISA_JSET, 6, 32, 1), MOV64_IMM(7, 5), JMP_IMM(ISA_JSET, 6, 64, 1), MOV64_IMM(7, 6), JMP_IMM(ISA_JSET, 6, 128, 1), MOV64_IMM(7, 7),
	  JMP_IMM(ISA_JSET, 6, 256, 1), MOV64_IMM(7, 8), JMP_IMM(ISA_JSET, 6, 512, 1), MOV64_IMM(7, 9), JMP_IMM(ISA_JSET, 6, 1024, 1), MOV64_IMM(7, 10), JMP_IMM(ISA_JSET, 6, 2048, 1), MOV64_IMM(7, 11),
	  JMP_IMM(ISA_JSET, 6, 4096, 1), MOV64_IMM(7, 12), JMP_IMM(ISA_JSET, 6, 8192, 1), MOV64_IMM(7, 13), JMP_IMM(ISA_JSET, 6, 16384, 1), MOV64_IMM(7, 14), JMP_IMM(ISA_JSET, 6, 32768, 1), MOV64_IMM(7, 15),
	  JMP_IMM(ISA_JSET, 6, 65536, 1), MOV64_IMM(7, 16), JMP_IMM(ISA_JSET, 6, 131072, 1), MOV64_IMM(7, 17), JMP_IMM(ISA_JSET, 6, 262144, 1), MOV64_IMM(7, 18), JMP_IMM(ISA_JSET, 6, 524288, 1), MOV64_IMM(7, 19),
	  JMP_IMM(ISA_JSET, 6, 1048576, 1), MOV64_IMM(7, 20), JMP_IMM(ISA_JSET, 6, 2097152, 1), MOV64_IMM(7, 21), JMP_IMM(ISA_JSET, 6, 4194304, 1), MOV64_IMM(7, 22), JMP_IMM(ISA_JSET, 6, 8388608, 1), MOV64_IMM(7, 23),
	  JMP_IMM(ISA_JSET, 6, 16777216, 1), MOV64_IMM(7, 24), JMP_IMM(ISA_JSET, 6, 33554432, 1), MOV64_IMM(7, 25), JMP_IMM(ISA_JSET, 6, 67108864, 1), MOV64_IMM(7, 26), JMP_IMM(ISA_JSET, 6, 134217728, 1), MOV64_IMM(7, 27),
	  MOV64_REG(0, 7), EXIT}},
	{"bpf_loop with a callback (Linux wants BTF func_info)", SOCK, 1, NULL,
	 {MOV64_IMM(1, 10), LD_FUNC(2, 6), MOV64_IMM(3, 0), MOV64_IMM(4, 0), CALL(FN_LOOP), MOV64_IMM(0, 0), EXIT,
	  MOV64_IMM(0, 0), EXIT}, .known_gap = 1},
	{"bpf_loop callback updates the caller's stack", SOCK, 1, NULL,
	 {ST(ISA_DW, 10, -8, 0), MOV64_IMM(1, 10), LD_FUNC(2, 7), MOV64_REG(3, 10), ALU64_IMM(ISA_ADD, 3, -8),
	  MOV64_IMM(4, 0), CALL(FN_LOOP), LDX(ISA_DW, 0, 10, -8), EXIT,
	  LDX(ISA_DW, 3, 2, 0), ALU64_IMM(ISA_ADD, 3, 1), STX(ISA_DW, 2, 3, 0), MOV64_IMM(0, 0), EXIT}, .known_gap = 1},
	{"narrow ctx loads", SOCK, 1, NULL,
	 {LDX(ISA_B, 0, 1, 1), LDX(ISA_H, 2, 1, 2), ALU64_REG(ISA_ADD, 0, 2), EXIT}},
	{"return a pointer from main", SOCK, 1, NULL, {MOV64_REG(0, 10), EXIT}},
	{"mov32 of a pointer", SOCK, 1, NULL, {MOV32_REG(0, 10), EXIT}},
	{"pointer compared with scalar", SOCK, 1, NULL,
	 {MOV64_IMM(0, 0), JMP_IMM(ISA_JGT, 10, 5, 1), MOV64_IMM(0, 1), EXIT}},
	{"a map value pointer is never null", SOCK, 1, NULL,
	 {KEY_ON_STACK(MAP_HASH), CALL(FN_LOOKUP), JMP_IMM(ISA_JEQ, 0, 0, 4), MOV64_IMM(1, 0),
	  JMP_IMM(ISA_JNE, 0, 0, 1), LDX(ISA_DW, 0, 1, 0), MOV64_IMM(0, 0), EXIT}},
	{"jset refines a bit", SOCK, 1, NULL,
	 {MOV64_IMM(0, 0), CALL(FN_PRANDOM), ALU64_IMM(ISA_AND, 0, 4), JMP_IMM(ISA_JSET, 0, 4, 1), EXIT,
	  JMP_IMM(ISA_JEQ, 0, 4, 1), LDX(ISA_DW, 0, 0, 0), EXIT}},
	{"alu32 clears the upper half", SOCK, 1, NULL,
	 {KEY_ON_STACK(MAP_ARRAY), CALL(FN_LOOKUP), JMP_IMM(ISA_JEQ, 0, 0, 7), MOV64_REG(6, 0), LD_IMM64(1, 0xffffffff00000007ull),
	  ALU32_IMM(ISA_AND, 1, 7), ALU64_REG(ISA_ADD, 6, 1), LDX(ISA_B, 0, 6, 0), EXIT, MOV64_IMM(0, 0), EXIT}},
	{"variable stack offset read", SOCK, 1, NULL,
	 {ST(ISA_DW, 10, -8, 0), ST(ISA_DW, 10, -16, 0), CALL(FN_PRANDOM), ALU64_IMM(ISA_AND, 0, 8), MOV64_REG(1, 10),
	  ALU64_IMM(ISA_ADD, 1, -16), ALU64_REG(ISA_ADD, 1, 0), LDX(ISA_DW, 0, 1, 0), EXIT}},
	{"packet pointer with variable offset", XDP, 1, NULL,
	 {LDX(ISA_W, 2, 1, 0), LDX(ISA_W, 3, 1, 4), MOV64_REG(6, 2), ALU64_IMM(ISA_ADD, 6, 1),
	  JMP_REG(ISA_JGT, 6, 3, 8), LDX(ISA_B, 4, 2, 0), ALU64_IMM(ISA_AND, 4, 15), ALU64_REG(ISA_ADD, 2, 4),
	  MOV64_REG(5, 2), ALU64_IMM(ISA_ADD, 5, 4), JMP_REG(ISA_JGT, 5, 3, 2), LDX(ISA_W, 0, 2, 0), EXIT,
	  MOV64_IMM(0, 2), EXIT}},
	{"xdp_adjust_head then fresh pointers", XDP, 1, NULL,
	 {MOV64_REG(6, 1), MOV64_IMM(2, 0), CALL(44), LDX(ISA_W, 2, 6, 0), LDX(ISA_W, 3, 6, 4), MOV64_REG(4, 2),
	  ALU64_IMM(ISA_ADD, 4, 1), JMP_REG(ISA_JGT, 4, 3, 2), LDX(ISA_B, 0, 2, 0), EXIT, MOV64_IMM(0, 2), EXIT}},
	{"32-bit sub of pointers", XDP, 1, NULL,
	 {LDX(ISA_W, 2, 1, 0), LDX(ISA_W, 3, 1, 4), ALU32_REG(ISA_SUB, 3, 2), MOV64_REG(0, 3), EXIT}},
	{"neg of a pointer", SOCK, 1, NULL, {MOV64_REG(0, 10), I(ISA_ALU64 | ISA_NEG, 0, 0, 0, 0), EXIT}},
	{"spilled scalar keeps bounds", SOCK, 1, NULL,
	 {KEY_ON_STACK(MAP_ARRAY), CALL(FN_LOOKUP), JMP_IMM(ISA_JEQ, 0, 0, 8), MOV64_REG(6, 0), CALL(FN_PRANDOM),
	  ALU64_IMM(ISA_AND, 0, 15), STX(ISA_DW, 10, 0, -16), LDX(ISA_DW, 1, 10, -16), ALU64_REG(ISA_ADD, 6, 1),
	  LDX(ISA_DW, 0, 6, 0), EXIT, MOV64_IMM(0, 0), EXIT}},
	/* }===== */

	/* {===== refused */
	{"exit without r0", SOCK, 0, "R0 !read_ok", {EXIT}},
	{"read of uninitialised register", SOCK, 0, "R2 !read_ok", {MOV64_REG(0, 2), EXIT}},
	{"write to r10", SOCK, 0, "frame pointer is read only", {MOV64_IMM(10, 0), MOV64_IMM(0, 0), EXIT}},
	{"unreachable insn", SOCK, 0, "unreachable insn 2", {MOV64_IMM(0, 0), JA(1), MOV64_IMM(0, 1), EXIT}},
	{"jump out of range", SOCK, 0, "jump out of range", {MOV64_IMM(0, 0), JA(5), EXIT}},
	{"last insn not exit", SOCK, 0, "last insn is not an exit or jmp", {MOV64_IMM(0, 0)}},
	{"uninitialised stack read", SOCK, 0, "invalid read from stack", {LDX(ISA_DW, 0, 10, -8), EXIT}},
	{"stack out of bounds", SOCK, 0, "invalid write to stack", {ST(ISA_DW, 10, -520, 0), MOV64_IMM(0, 0), EXIT}},
	{"stack above frame pointer", SOCK, 0, "invalid write to stack", {ST(ISA_DW, 10, 0, 0), MOV64_IMM(0, 0), EXIT}},
	{"misaligned stack access", SOCK, 0, "misaligned stack access", {ST(ISA_DW, 10, -12, 0), MOV64_IMM(0, 0), EXIT}},
	{"map value without null check", SOCK, 0, "invalid mem access 'map_value_or_null'",
	 {KEY_ON_STACK(MAP_HASH), CALL(FN_LOOKUP), LDX(ISA_DW, 0, 0, 0), EXIT}},
	{"map value past its end", SOCK, 0, "invalid access to map value",
	 {KEY_ON_STACK(MAP_HASH), CALL(FN_LOOKUP), JMP_IMM(ISA_JEQ, 0, 0, 1), LDX(ISA_DW, 0, 0, 4), MOV64_IMM(0, 0), EXIT}},
	{"map value unbounded index", SOCK, 0, "unbounded",
	 {KEY_ON_STACK(MAP_ARRAY), CALL(FN_LOOKUP), JMP_IMM(ISA_JEQ, 0, 0, 5), MOV64_REG(6, 0), CALL(FN_PRANDOM),
	  ALU64_REG(ISA_ADD, 6, 0), LDX(ISA_B, 0, 6, 0), EXIT, MOV64_IMM(0, 0), EXIT}},
	{"map value index one too far", SOCK, 0, "invalid access to map value",
	 {KEY_ON_STACK(MAP_ARRAY), CALL(FN_LOOKUP), JMP_IMM(ISA_JEQ, 0, 0, 6), MOV64_REG(6, 0), CALL(FN_PRANDOM),
	  ALU64_IMM(ISA_AND, 0, 63), ALU64_REG(ISA_ADD, 6, 0), LDX(ISA_B, 0, 6, 0), EXIT, MOV64_IMM(0, 0), EXIT}},
	{"null pointer arithmetic", SOCK, 0, "null-check it first",
	 {KEY_ON_STACK(MAP_HASH), CALL(FN_LOOKUP), ALU64_IMM(ISA_ADD, 0, 4), MOV64_IMM(0, 0), EXIT}},
	{"packet access without check", XDP, 0, "invalid access to packet",
	 {LDX(ISA_W, 2, 1, 0), LDX(ISA_B, 0, 2, 0), EXIT}},
	{"packet access past checked range", XDP, 0, "invalid access to packet",
	 {LDX(ISA_W, 2, 1, 0), LDX(ISA_W, 3, 1, 4), MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 14),
	  JMP_REG(ISA_JGT, 4, 3, 2), LDX(ISA_W, 0, 2, 12), EXIT, MOV64_IMM(0, 1), EXIT}},
	{"packet access on the wrong branch", XDP, 0, "invalid access to packet",
	 {LDX(ISA_W, 2, 1, 0), LDX(ISA_W, 3, 1, 4), MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 14),
	  JMP_REG(ISA_JGT, 4, 3, 2), MOV64_IMM(0, 1), EXIT, LDX(ISA_B, 0, 2, 0), EXIT}},
	{"pkt_end dereference", XDP, 0, "invalid mem access 'pkt_end'", {LDX(ISA_W, 3, 1, 4), LDX(ISA_B, 0, 3, 0), EXIT}},
	{"socket filter has no packet pointers", SOCK, 0, "invalid bpf_context access",
	 {LDX(ISA_W, 2, 1, 76), MOV64_IMM(0, 0), EXIT}},
	{"ctx write to read-only field", SOCK, 0, "invalid bpf_context access",
	 {MOV64_IMM(2, 1), STX(ISA_W, 1, 2, 0), MOV64_IMM(0, 0), EXIT}},
	{"ctx past its end", XDP, 0, "invalid bpf_context access", {LDX(ISA_W, 0, 1, 24), EXIT}},
	{"modified ctx dereference", SOCK, 0, "dereference of modified ctx ptr",
	 {ALU64_IMM(ISA_ADD, 1, 4), LDX(ISA_W, 0, 1, 0), EXIT}},
	{"scalar dereference", SOCK, 0, "invalid mem access 'scalar'", {MOV64_IMM(1, 0), LDX(ISA_W, 0, 1, 0), EXIT}},
	{"pointer multiplication", SOCK, 0, "pointer arithmetic with *= operator prohibited",
	 {MOV64_REG(1, 10), ALU64_IMM(ISA_MUL, 1, 2), MOV64_IMM(0, 0), EXIT}},
	{"pointer and", SOCK, 0, "bitwise operator &= on pointer prohibited",
	 {MOV64_REG(1, 10), ALU64_IMM(ISA_AND, 1, 2), MOV64_IMM(0, 0), EXIT}},
	{"32-bit pointer add", SOCK, 0, "32-bit pointer arithmetic prohibited",
	 {MOV64_REG(1, 10), ALU32_IMM(ISA_ADD, 1, -8), MOV64_IMM(0, 0), EXIT}},
	{"subtraction from stack pointer", SOCK, 0, "subtraction from stack pointer prohibited",
	 {MOV64_REG(1, 10), ALU64_IMM(ISA_SUB, 1, 8), MOV64_IMM(0, 0), EXIT}},
	{"pointer plus pointer", SOCK, 0, "pointer += pointer prohibited",
	 {MOV64_REG(2, 10), ALU64_REG(ISA_ADD, 2, 1), MOV64_IMM(0, 0), EXIT}},
	{"scalar minus pointer", SOCK, 0, "tried to subtract pointer from scalar",
	 {MOV64_IMM(2, 0), ALU64_REG(ISA_SUB, 2, 10), MOV64_IMM(0, 0), EXIT}},
	{"div by zero immediate", SOCK, 0, "div by zero", {MOV64_IMM(0, 1), ALU64_IMM(ISA_DIV, 0, 0), EXIT}},
	{"shift too far", SOCK, 0, "invalid shift 64", {MOV64_IMM(0, 1), ALU64_IMM(ISA_LSH, 0, 64), EXIT}},
	{"unknown helper", SOCK, 0, "invalid func unknown#100000", {CALL(100000), EXIT}},
	{"lookup with scalar map", SOCK, 0, "R1 type=scalar expected=map_ptr",
	 {MOV64_IMM(1, 0), MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -8), CALL(FN_LOOKUP), MOV64_IMM(0, 0), EXIT}},
	{"lookup with uninitialised key", SOCK, 0, "invalid indirect read from stack",
	 {MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -8), LD_MAP(1, MAP_HASH), CALL(FN_LOOKUP), MOV64_IMM(0, 0), EXIT}},
	{"helper clobbers r1-r5", SOCK, 0, "R1 !read_ok", {CALL(FN_KTIME), MOV64_REG(0, 1), EXIT}},
	{"partial fill of spilled pointer", SOCK, 0, "invalid size of register fill",
	 {STX(ISA_DW, 10, 1, -8), LDX(ISA_W, 0, 10, -8), EXIT}},
	{"infinite loop", SOCK, 0, "infinite loop detected", {MOV64_IMM(0, 0), JMP_IMM(ISA_JEQ, 0, 0, -1), EXIT}},
	{"loop too long", SOCK, 0, "BPF program is too large",
	 {MOV64_IMM(1, 0), ALU64_IMM(ISA_ADD, 1, 1), JMP_IMM(ISA_JLT, 1, 1000000, -2), MOV64_IMM(0, 0), EXIT}},
	{"unreleased ringbuf reservation", SOCK, 0, "Unreleased reference",
	 {LD_MAP(1, MAP_RINGBUF), MOV64_IMM(2, 16), MOV64_IMM(3, 0), CALL(FN_RB_RESERVE), MOV64_IMM(0, 0), EXIT}},
	{"ringbuf memory past its size", SOCK, 0, "invalid access to memory",
	 {LD_MAP(1, MAP_RINGBUF), MOV64_IMM(2, 16), MOV64_IMM(3, 0), CALL(FN_RB_RESERVE), JMP_IMM(ISA_JEQ, 0, 0, 5),
	  ST(ISA_DW, 0, 16, 1), MOV64_REG(1, 0), MOV64_IMM(2, 0), CALL(FN_RB_SUBMIT), MOV64_IMM(0, 0), EXIT}},
	{"use after ringbuf submit", SOCK, 0, "invalid mem access 'scalar'",
	 {LD_MAP(1, MAP_RINGBUF), MOV64_IMM(2, 16), MOV64_IMM(3, 0), CALL(FN_RB_RESERVE), JMP_IMM(ISA_JEQ, 0, 0, 6),
	  MOV64_REG(6, 0), MOV64_REG(1, 0), MOV64_IMM(2, 0), CALL(FN_RB_SUBMIT), ST(ISA_DW, 6, 0, 1), MOV64_IMM(0, 0),
	  EXIT}},
	{"lookup on a ringbuf", SOCK, 0, "cannot pass map_type 27",
	 {KEY_ON_STACK(MAP_RINGBUF), CALL(FN_LOOKUP), MOV64_IMM(0, 0), EXIT}},
	{"recursion too deep", SOCK, 0, "too deep", {CALL_LOCAL(-1), MOV64_IMM(0, 0), EXIT}},
	{"combined stack too large", SOCK, 0, "combined stack size",
	 {ST(ISA_DW, 10, -512, 0), CALL_LOCAL(2), MOV64_IMM(0, 0), EXIT, ST(ISA_DW, 10, -64, 0), MOV64_IMM(0, 0), EXIT}},
	{"return of callee stack pointer", SOCK, 0, "cannot return stack pointer",
	 {CALL_LOCAL(1), EXIT, MOV64_REG(0, 10), ALU64_IMM(ISA_ADD, 0, -8), EXIT}},
	{"ld_abs in xdp", XDP, 0, "BPF_LD_[ABS|IND] instructions not allowed", {MOV64_REG(6, 1), LD_ABS(ISA_B, 0), EXIT}},
	{"ld_abs without ctx in r6", SOCK, 0, "R6 !read_ok", {LD_ABS(ISA_B, 0), EXIT}},
	{"branch bound does not cover the access", SOCK, 0, "invalid access to map value",
	 {KEY_ON_STACK(MAP_ARRAY), CALL(FN_LOOKUP), JMP_IMM(ISA_JEQ, 0, 0, 8), MOV64_REG(6, 0), CALL(FN_PRANDOM),
	  JMP_IMM(ISA_JGT, 0, 41, 3), ALU64_REG(ISA_ADD, 6, 0), LDX(ISA_DW, 0, 6, 0), EXIT, MOV64_IMM(0, 0), EXIT,
	  MOV64_IMM(0, 0), EXIT}},
	{"signed bound only", SOCK, 0, "unbounded min value",
	 {KEY_ON_STACK(MAP_ARRAY), CALL(FN_LOOKUP), JMP_IMM(ISA_JEQ, 0, 0, 8), MOV64_REG(6, 0), CALL(FN_PRANDOM),
	  JMP_IMM(ISA_JSGT, 0, 40, 3), ALU64_REG(ISA_ADD, 6, 0), LDX(ISA_DW, 0, 6, 0), EXIT, MOV64_IMM(0, 0), EXIT,
	  MOV64_IMM(0, 0), EXIT}},
	{"8-byte load of a 4-byte ctx field", SOCK, 0, "invalid bpf_context access", {LDX(ISA_DW, 0, 1, 0), EXIT}},
	{"misaligned narrow ctx load", SOCK, 0, "invalid bpf_context access", {LDX(ISA_H, 0, 1, 1), EXIT}},
	{"stack pointer compared with null: both ways", SOCK, 0, "invalid mem access 'scalar'",
	 {MOV64_IMM(0, 0), JMP_IMM(ISA_JNE, 10, 0, 1), LDX(ISA_DW, 0, 0, 0), EXIT}},
	{"BPF_ST into ctx field read-only", SOCK, 0, "invalid bpf_context access", {ST(ISA_W, 1, 0, 0), MOV64_IMM(0, 0), EXIT}},
	{"pkt_end arithmetic", XDP, 0, "pointer arithmetic on pkt_end prohibited",
	 {LDX(ISA_W, 3, 1, 4), ALU64_IMM(ISA_ADD, 3, -1), MOV64_IMM(0, 0), EXIT}},
	{"map_ptr arithmetic", SOCK, 0, "pointer arithmetic on map_ptr prohibited",
	 {LD_MAP(1, MAP_HASH), ALU64_IMM(ISA_ADD, 1, 8), MOV64_IMM(0, 0), EXIT}},
	{"spilled scalar bound lost by a partial overwrite", SOCK, 0, "unbounded",
	 {KEY_ON_STACK(MAP_ARRAY), CALL(FN_LOOKUP), JMP_IMM(ISA_JEQ, 0, 0, 9), MOV64_REG(6, 0), CALL(FN_PRANDOM),
	  ALU64_IMM(ISA_AND, 0, 15), STX(ISA_DW, 10, 0, -16), ST(ISA_B, 10, -12, 0x7f), LDX(ISA_DW, 1, 10, -16),
	  ALU64_REG(ISA_ADD, 6, 1), LDX(ISA_DW, 0, 6, 0), EXIT, MOV64_IMM(0, 0), EXIT}},
	{"variable stack offset out of range", SOCK, 0, "invalid variable-offset read from stack",
	 {ST(ISA_DW, 10, -8, 0), ST(ISA_DW, 10, -16, 0), CALL(FN_PRANDOM), ALU64_IMM(ISA_AND, 0, 16), MOV64_REG(1, 10),
	  ALU64_IMM(ISA_ADD, 1, -16), ALU64_REG(ISA_ADD, 1, 0), LDX(ISA_DW, 0, 1, 0), EXIT}},
	{"packet pointer stale after xdp_adjust_head", XDP, 0, "invalid mem access 'scalar'",
	 {MOV64_REG(6, 1), LDX(ISA_W, 7, 6, 0), LDX(ISA_W, 3, 6, 4), MOV64_REG(4, 7), ALU64_IMM(ISA_ADD, 4, 1),
	  JMP_REG(ISA_JGT, 4, 3, 5), MOV64_REG(1, 6), MOV64_IMM(2, 0), CALL(44), LDX(ISA_B, 0, 7, 0), EXIT,
	  MOV64_IMM(0, 2), EXIT}},
	{"packet variable offset past the check", XDP, 0, "invalid access to packet",
	 {LDX(ISA_W, 2, 1, 0), LDX(ISA_W, 3, 1, 4), MOV64_REG(6, 2), ALU64_IMM(ISA_ADD, 6, 1),
	  JMP_REG(ISA_JGT, 6, 3, 8), LDX(ISA_B, 4, 2, 0), ALU64_IMM(ISA_AND, 4, 15), ALU64_REG(ISA_ADD, 2, 4),
	  MOV64_REG(5, 2), ALU64_IMM(ISA_ADD, 5, 4), JMP_REG(ISA_JGT, 5, 3, 2), LDX(ISA_W, 0, 2, 1), EXIT,
	  MOV64_IMM(0, 2), EXIT}},
	{"atomic on ctx", SOCK, 0, "BPF_ATOMIC stores into R1",
	 {MOV64_IMM(2, 1), ATOMIC(ISA_W, 1, 2, 48, ISA_AADD), MOV64_IMM(0, 0), EXIT}},
	{"variable-offset write over unwritten stack", SOCK, 0, "uninit stack in range of var-offset write",
	 {CALL(FN_PRANDOM), ALU64_IMM(ISA_AND, 0, 8), MOV64_REG(1, 10), ALU64_IMM(ISA_ADD, 1, -16),
	  ALU64_REG(ISA_ADD, 1, 0), ST(ISA_H, 1, 0, 1), LDX(ISA_B, 0, 10, -16), EXIT}},
	{"bpf_loop callback returning 2", SOCK, 0, "should have been in [0, 1]",
	 {MOV64_IMM(1, 10), LD_FUNC(2, 6), MOV64_IMM(3, 0), MOV64_IMM(4, 0), CALL(FN_LOOP), MOV64_IMM(0, 0), EXIT,
	  MOV64_IMM(0, 2), EXIT}, .known_gap = 1},
	{"bpf_loop callback dereferences a NULL ctx", SOCK, 0, "invalid mem access 'scalar'",
	 {MOV64_IMM(1, 10), LD_FUNC(2, 6), MOV64_IMM(3, 0), MOV64_IMM(4, 0), CALL(FN_LOOP), MOV64_IMM(0, 0), EXIT,
	  LDX(ISA_DW, 0, 2, 0), MOV64_IMM(0, 0), EXIT}, .known_gap = 1},
	{"bpf_loop callback reads past the caller's buffer", SOCK, 0, "invalid read from stack",
	 {ST(ISA_DW, 10, -8, 0), MOV64_IMM(1, 10), LD_FUNC(2, 7), MOV64_REG(3, 10), ALU64_IMM(ISA_ADD, 3, -8),
	  MOV64_IMM(4, 0), CALL(FN_LOOP), LDX(ISA_DW, 0, 10, -8), EXIT,
	  LDX(ISA_DW, 3, 2, -8), MOV64_IMM(0, 0), EXIT}, .known_gap = 1},
	{"pointer stored to the stack in 4 bytes", SOCK, 0, "invalid size of register spill",
	 {STX(ISA_W, 10, 1, -8), MOV64_IMM(0, 0), EXIT}},
	{"a jump decided later makes its operand precise (back-tracking)", SOCK, 0, "invalid mem access 'scalar'",
	 {CALL(FN_PRANDOM), MOV64_REG(6, 0), ALU64_IMM(ISA_AND, 6, 1), JMP_IMM(ISA_JNE, 6, 0, 1), MOV64_IMM(7, 1),
	  JMP_IMM(ISA_JNE, 6, 0, 2), MOV64_IMM(0, 0), EXIT, LDX(ISA_DW, 0, 0, 0), EXIT}},
	{"uninit stack passed as ringbuf data", SOCK, 0, "invalid indirect read from stack",
	 {LD_MAP(1, MAP_RINGBUF), MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -8), MOV64_IMM(3, 8), MOV64_IMM(4, 0),
	  CALL(FN_RB_OUTPUT), MOV64_IMM(0, 0), EXIT}},
	/* {===== precision: a path that differs from an explored one only in a
	 * scalar is pruned unless that scalar's value decided safety below the
	 * join.  In each case the fall-through path (explored first) is safe and
	 * the taken one is not; the join is a checkpoint (two jumps and eight
	 * insns after the start).  A verifier that leaves the scalar imprecise
	 * prunes the unsafe path and accepts. */
#define PREC_FILL MOV64_IMM(9, 0), MOV64_IMM(9, 0), MOV64_IMM(9, 0), MOV64_IMM(9, 0), MOV64_IMM(9, 0)
	{"precision: scalar used as a stack offset after a join", SOCK, 0, "invalid read from stack",
	 {ST(ISA_DW, 10, -8, 0), CALL(FN_PRANDOM), MOV64_REG(6, 0), MOV64_IMM(7, 0), PREC_FILL,
	  JMP_IMM(ISA_JSET, 6, 1, 1), JA(1), MOV64_IMM(7, 8),
	  MOV64_REG(2, 10), ALU64_REG(ISA_ADD, 2, 7), LDX(ISA_DW, 0, 2, -8), MOV64_IMM(0, 0), EXIT}},
	{"precision: scalar used as a helper's size after a join", SOCK, 0, "invalid indirect read from stack",
	 {ST(ISA_DW, 10, -8, 0), CALL(FN_PRANDOM), MOV64_REG(6, 0), MOV64_IMM(7, 8), PREC_FILL,
	  JMP_IMM(ISA_JSET, 6, 1, 1), JA(1), MOV64_IMM(7, 16),
	  LD_MAP(1, MAP_RINGBUF), MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -8), MOV64_REG(3, 7), MOV64_IMM(4, 0),
	  CALL(FN_RB_OUTPUT), MOV64_IMM(0, 0), EXIT}},
	{"precision: offset spilled to the stack before the join, filled after", SOCK, 0, "invalid read from stack",
	 {ST(ISA_DW, 10, -8, 0), CALL(FN_PRANDOM), MOV64_REG(6, 0), PREC_FILL,
	  JMP_IMM(ISA_JSET, 6, 1, 3), MOV64_IMM(7, 0), STX(ISA_DW, 10, 7, -16), JA(2),
	  MOV64_IMM(7, 8), STX(ISA_DW, 10, 7, -16),
	  LDX(ISA_DW, 8, 10, -16), MOV64_REG(2, 10), ALU64_REG(ISA_ADD, 2, 8), LDX(ISA_DW, 0, 2, -8),
	  MOV64_IMM(0, 0), EXIT}},
	{"precision: offset spilled and filled after the join", SOCK, 0, "invalid read from stack",
	 {ST(ISA_DW, 10, -8, 0), CALL(FN_PRANDOM), MOV64_REG(6, 0), MOV64_IMM(7, 0), PREC_FILL,
	  JMP_IMM(ISA_JSET, 6, 1, 1), JA(1), MOV64_IMM(7, 8),
	  STX(ISA_DW, 10, 7, -16), MOV64_IMM(7, 0), LDX(ISA_DW, 8, 10, -16), MOV64_REG(2, 10), ALU64_REG(ISA_ADD, 2, 8),
	  LDX(ISA_DW, 0, 2, -8), MOV64_IMM(0, 0), EXIT}},
	{"precision: offset bounded through a linked copy after the join", SOCK, 0, NULL,
	 {ST(ISA_DW, 10, -8, 0), ST(ISA_DW, 10, -16, 0), CALL(FN_PRANDOM), MOV64_REG(6, 0), CALL(FN_PRANDOM),
	  MOV64_REG(7, 0), PREC_FILL,
	  JMP_IMM(ISA_JSET, 6, 1, 2), MOV64_REG(8, 7), JA(2), CALL(FN_PRANDOM), MOV64_REG(8, 0),
	  JMP_IMM(ISA_JGT, 7, 8, 4), MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -16), ALU64_REG(ISA_ADD, 2, 8),
	  LDX(ISA_B, 0, 2, 0), MOV64_IMM(0, 0), EXIT}},
	{"precision: the same, both paths linked (safe)", SOCK, 1, NULL,
	 {ST(ISA_DW, 10, -8, 0), ST(ISA_DW, 10, -16, 0), CALL(FN_PRANDOM), MOV64_REG(6, 0), CALL(FN_PRANDOM),
	  MOV64_REG(7, 0), PREC_FILL,
	  JMP_IMM(ISA_JSET, 6, 1, 2), MOV64_REG(8, 7), JA(2), MOV64_REG(8, 7), MOV64_IMM(9, 1),
	  JMP_IMM(ISA_JGT, 7, 8, 4), MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -16), ALU64_REG(ISA_ADD, 2, 8),
	  LDX(ISA_B, 0, 2, 0), MOV64_IMM(0, 0), EXIT}},
	{"precision: offset returned by a subprogram from its argument", SOCK, 0, "invalid read from stack",
	 {ST(ISA_DW, 10, -8, 0), CALL(FN_PRANDOM), MOV64_REG(6, 0), MOV64_IMM(1, 0), PREC_FILL,
	  JMP_IMM(ISA_JSET, 6, 1, 1), JA(1), MOV64_IMM(1, 8),
	  CALL_LOCAL(5), MOV64_REG(2, 10), ALU64_REG(ISA_ADD, 2, 0), LDX(ISA_DW, 0, 2, -8), MOV64_IMM(0, 0), EXIT,
	  MOV64_REG(0, 1), EXIT}},
	{"precision: a branch decided by the value after the join", SOCK, 0, "invalid mem access 'scalar'",
	 {CALL(FN_PRANDOM), MOV64_REG(6, 0), MOV64_IMM(7, 0), PREC_FILL,
	  JMP_IMM(ISA_JSET, 6, 1, 1), JA(1), MOV64_IMM(7, 1),
	  JMP_IMM(ISA_JEQ, 7, 0, 2), LDX(ISA_DW, 0, 7, 0), EXIT, MOV64_IMM(0, 0), EXIT}},
	{"precision: a zero stored narrow is read back as 0 after the join", SOCK, 0, "invalid read from stack",
	 {ST(ISA_DW, 10, -8, 0), CALL(FN_PRANDOM), MOV64_REG(6, 0), MOV64_IMM(7, 0), PREC_FILL,
	  JMP_IMM(ISA_JSET, 6, 1, 1), JA(1), MOV64_IMM(7, 8),
	  STX(ISA_W, 10, 7, -16), STX(ISA_W, 10, 7, -12), MOV64_IMM(7, 0), LDX(ISA_DW, 8, 10, -16),
	  JMP_IMM(ISA_JNE, 8, 0, 2), MOV64_IMM(0, 0), EXIT, MOV64_IMM(8, 8), MOV64_REG(2, 10), ALU64_REG(ISA_ADD, 2, 8),
	  LDX(ISA_DW, 0, 2, -8), MOV64_IMM(0, 0), EXIT}},
	{"precision: a callback returns what the caller stored, 2 on one path", SOCK, 0, "should have been in [0, 1]",
	 {CALL(FN_PRANDOM), MOV64_REG(6, 0), MOV64_IMM(7, 1), PREC_FILL,
	  JMP_IMM(ISA_JSET, 6, 1, 1), JA(1), MOV64_IMM(7, 2),
	  STX(ISA_DW, 10, 7, -8), MOV64_IMM(1, 4), LD_FUNC(2, 7), MOV64_REG(3, 10), ALU64_IMM(ISA_ADD, 3, -8),
	  MOV64_IMM(4, 0), CALL(FN_LOOP), MOV64_IMM(0, 0), EXIT,
	  LDX(ISA_DW, 0, 2, 0), EXIT}, .known_gap = 1},
#undef PREC_FILL
	/* }===== */
};

#pragma GCC diagnostic pop

#define N_VCASES (sizeof(vcases) / sizeof(vcases[0]))

static inline size_t vcase_len(const struct vcase *c)
{
	size_t n = sizeof(c->insns) / sizeof(c->insns[0]);
	while (n && c->insns[n - 1].code == 0 && !(n >= 2 && c->insns[n - 2].code == (ISA_LD | ISA_DW)))
		n--;
	return n;
}

static const struct hive_verify_map vcase_maps[] = {
	{.fd = MAP_HASH, .type = HIVE_MAP_HASH, .key_size = 4, .value_size = 8, .max_entries = 16},
	{.fd = MAP_ARRAY, .type = HIVE_MAP_ARRAY, .key_size = 4, .value_size = 48, .max_entries = 1},
	{.fd = MAP_RINGBUF, .type = HIVE_MAP_RINGBUF, .key_size = 0, .value_size = 0, .max_entries = 4096},
};

#endif
