/* One small program per verifier rule, each rule both ways (accepted and
 * refused), in the spirit of the kernel's selftests
 * (tools/testing/selftests/bpf/progs/verifier_*.c): packet access, map value
 * bounds, NULL checks, stack, spills, context, helper arguments, references,
 * loops, calls, division, pointer arithmetic, 32-bit bounds.
 *
 * .accept is the kernel's verdict on this machine (privileged: root, so
 * CAP_PERFMON's uninitialised-stack reads apply); test_verifier_kernel.c
 * compares hive with the kernel on each, and test_verifier_sound.c runs the
 * accepted ones in soundness mode.  Maps as in cases.h. */
#ifndef HIVE_TESTS_VERIFIER_CASES_RULES_H
#define HIVE_TESTS_VERIFIER_CASES_RULES_H

#include "cases.h"

/* r0 = map value of @fd (key 0) or the program returns 0 */
#define LOOKUP_OR_EXIT(fd) KEY_ON_STACK(fd), CALL(FN_LOOKUP), JMP_IMM(ISA_JNE, 0, 0, 2), MOV64_IMM(0, 0), EXIT
/* r2 = data, r3 = data_end (xdp) */
#define XDP_PKT LDX(ISA_W, 2, 1, 0), LDX(ISA_W, 3, 1, 4)
#define RET0 MOV64_IMM(0, 0), EXIT
#define RB_RESERVE(sz) LD_MAP(1, MAP_RINGBUF), MOV64_IMM(2, sz), MOV64_IMM(3, 0), CALL(FN_RB_RESERVE)
#define ALU64_NEG(d) I(ISA_ALU64 | ISA_NEG, d, 0, 0, 0)
#define MOVSX64(d, s, bits) I(ISA_ALU64 | ISA_MOV | ISA_X, d, s, bits, 0)
#define SDIV64_IMM(d, v) I(ISA_ALU64 | ISA_DIV | ISA_K, d, 0, 1, v)
#define JMP32_REG(op, d, s, o) I(ISA_JMP32 | (op) | ISA_X, d, s, o, 0)
enum { FN_PROBE_READ_KERNEL = 113, FN_SMP_ID = 8, FN_DELETE = 3, FN_XDP_ADJUST_HEAD = 44 };

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct vcase rcases[] = {
	/* {===== packet access */
	{"pkt: 1-byte read after a 1-byte check", XDP, 1, NULL,
	 {XDP_PKT, MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 1), JMP_REG(ISA_JGT, 4, 3, 2), LDX(ISA_B, 0, 2, 0), EXIT, RET0}},
	{"pkt: 2-byte read after a 1-byte check", XDP, 0, NULL,
	 {XDP_PKT, MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 1), JMP_REG(ISA_JGT, 4, 3, 2), LDX(ISA_H, 0, 2, 0), EXIT, RET0}},
	{"pkt: check with >=, read one byte less", XDP, 1, NULL,
	 {XDP_PKT, MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 8), JMP_REG(ISA_JGE, 4, 3, 2), LDX(ISA_DW, 0, 2, 0), EXIT, RET0}},
	{"pkt: check with >=, read one byte more", XDP, 0, NULL,
	 {XDP_PKT, MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 8), JMP_REG(ISA_JGE, 4, 3, 2), LDX(ISA_B, 0, 2, 9), EXIT, RET0}},
	{"pkt: variable offset checked after the add", XDP, 1, NULL,
	 {XDP_PKT, MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 1), JMP_REG(ISA_JGT, 4, 3, 7), LDX(ISA_B, 5, 2, 0),
	  ALU64_IMM(ISA_AND, 5, 15), ALU64_REG(ISA_ADD, 2, 5), MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 4),
	  JMP_REG(ISA_JGT, 4, 3, 1), LDX(ISA_W, 0, 2, 0), RET0}},
	{"pkt: variable offset added after the check", XDP, 0, NULL,
	 {XDP_PKT, MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 20), JMP_REG(ISA_JGT, 4, 3, 4), LDX(ISA_B, 5, 2, 0),
	  ALU64_IMM(ISA_AND, 5, 15), ALU64_REG(ISA_ADD, 2, 5), LDX(ISA_W, 0, 2, 0), RET0}},
	{"pkt: write in xdp", XDP, 1, NULL,
	 {XDP_PKT, MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 4), JMP_REG(ISA_JGT, 4, 3, 1), ST(ISA_W, 2, 0, 7), RET0}},
	{"pkt: write in tc", TC, 1, NULL,
	 {LDX(ISA_W, 2, 1, 76), LDX(ISA_W, 3, 1, 80), MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 2), JMP_REG(ISA_JGT, 4, 3, 1),
	  ST(ISA_H, 2, 0, 7), RET0}},
	{"pkt: data_meta read after a check against data", XDP, 1, NULL,
	 {LDX(ISA_W, 2, 1, 8), LDX(ISA_W, 3, 1, 0), MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 4), JMP_REG(ISA_JGT, 4, 3, 1),
	  LDX(ISA_W, 0, 2, 0), RET0}},
	{"pkt: data_meta read without a check", XDP, 0, NULL, {LDX(ISA_W, 2, 1, 8), LDX(ISA_W, 0, 2, 0), RET0}},
	/* found by fuzz_verifier in soundness mode: hive took data + 5 as the end of the metadata */
	{"pkt: data_meta compared with data + 5 proves nothing", XDP, 0, NULL,
	 {LDX(ISA_W, 2, 1, 8), LDX(ISA_W, 3, 1, 0), ALU64_IMM(ISA_ADD, 3, 5), MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 4),
	  JMP_REG(ISA_JLE, 3, 4, 1), LDX(ISA_W, 0, 2, 0), RET0}},
	{"pkt: data_meta compared with a moved data pointer", XDP, 0, NULL,
	 {LDX(ISA_W, 2, 1, 8), LDX(ISA_W, 3, 1, 0), ALU64_IMM(ISA_ADD, 3, 8), MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 4),
	  JMP_REG(ISA_JGT, 4, 3, 1), LDX(ISA_W, 0, 2, 0), RET0}},
	{"pkt: read before the start", XDP, 0, NULL,
	 {XDP_PKT, MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 8), JMP_REG(ISA_JGT, 4, 3, 1), LDX(ISA_B, 0, 2, -1), RET0}},
	{"pkt: 16-bit offset plus 1 passes MAX_PACKET_OFF: no range learned", XDP, 0, NULL,
	 {XDP_PKT, MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 2), JMP_REG(ISA_JGT, 4, 3, 6), LDX(ISA_H, 5, 2, 0),
	  ALU64_REG(ISA_ADD, 2, 5), MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 1), JMP_REG(ISA_JGT, 4, 3, 1),
	  LDX(ISA_B, 0, 2, 0), RET0}},
	{"pkt: 32-bit load as offset (beyond MAX_PACKET_OFF)", XDP, 0, NULL,
	 {XDP_PKT, MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 4), JMP_REG(ISA_JGT, 4, 3, 6), LDX(ISA_W, 5, 2, 0),
	  ALU64_REG(ISA_ADD, 2, 5), MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 1), JMP_REG(ISA_JGT, 4, 3, 1),
	  LDX(ISA_B, 0, 2, 0), RET0}},
	{"pkt: data_end compared with jmp32", XDP, 0, NULL,
	 {XDP_PKT, MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 1), JMP32_REG(ISA_JGT, 4, 3, 1), LDX(ISA_B, 0, 2, 0), RET0}},
	/* }===== */

	/* {===== map values */
	{"map: read the last 8 bytes of the value", SOCK, 1, NULL, {LOOKUP_OR_EXIT(MAP_ARRAY), LDX(ISA_DW, 0, 0, 40), EXIT}},
	{"map: read one byte past the value", SOCK, 0, NULL, {LOOKUP_OR_EXIT(MAP_ARRAY), LDX(ISA_DW, 0, 0, 41), EXIT}},
	{"map: read before the value", SOCK, 0, NULL, {LOOKUP_OR_EXIT(MAP_ARRAY), LDX(ISA_DW, 0, 0, -8), EXIT}},
	{"map: write at a masked variable index", SOCK, 1, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(6, 0), CALL(FN_PRANDOM), ALU64_IMM(ISA_AND, 0, 0x1f),
	  ALU64_REG(ISA_ADD, 6, 0), ST(ISA_DW, 6, 0, 1), RET0}},
	{"map: index bounded by a signed check only", SOCK, 0, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(6, 0), CALL(FN_PRANDOM), JMP_IMM(ISA_JSGT, 0, 40, 2),
	  ALU64_REG(ISA_ADD, 6, 0), LDX(ISA_B, 0, 6, 0), RET0}},
	{"map: index bounded by signed checks both ways", SOCK, 1, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(6, 0), CALL(FN_PRANDOM), JMP_IMM(ISA_JSGT, 0, 40, 3),
	  JMP_IMM(ISA_JSLT, 0, 0, 2), ALU64_REG(ISA_ADD, 6, 0), LDX(ISA_B, 0, 6, 0), RET0}},
	{"map: index bounded with an unsigned check", SOCK, 1, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(6, 0), CALL(FN_PRANDOM), JMP_IMM(ISA_JGT, 0, 47, 2),
	  ALU64_REG(ISA_ADD, 6, 0), LDX(ISA_B, 0, 6, 0), RET0}},
	{"map: unsigned bound one too large for the access", SOCK, 0, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(6, 0), CALL(FN_PRANDOM), JMP_IMM(ISA_JGT, 0, 47, 2),
	  ALU64_REG(ISA_ADD, 6, 0), LDX(ISA_H, 0, 6, 0), RET0}},
	{"map: write to a hash value", SOCK, 1, NULL, {LOOKUP_OR_EXIT(MAP_HASH), ST(ISA_DW, 0, 0, 5), RET0}},
	{"map: write past a hash value", SOCK, 0, NULL, {LOOKUP_OR_EXIT(MAP_HASH), ST(ISA_W, 0, 6, 5), RET0}},
	/* }===== */

	/* {===== NULL checks */
	{"null: dereference on the NULL branch", SOCK, 0, NULL,
	 {KEY_ON_STACK(MAP_HASH), CALL(FN_LOOKUP), JMP_IMM(ISA_JNE, 0, 0, 1), LDX(ISA_DW, 0, 0, 0), RET0}},
	{"null: copy made after the check", SOCK, 1, NULL,
	 {KEY_ON_STACK(MAP_HASH), CALL(FN_LOOKUP), JMP_IMM(ISA_JEQ, 0, 0, 2), MOV64_REG(7, 0), LDX(ISA_DW, 0, 7, 0), RET0}},
	{"null: two lookups, the other one checked", SOCK, 0, NULL,
	 {KEY_ON_STACK(MAP_HASH), CALL(FN_LOOKUP), MOV64_REG(6, 0), MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -4),
	  LD_MAP(1, MAP_HASH), CALL(FN_LOOKUP), JMP_IMM(ISA_JEQ, 0, 0, 1), LDX(ISA_DW, 0, 6, 0), RET0}},
	{"null: compare with a non-zero constant settles nothing", SOCK, 0, NULL,
	 {KEY_ON_STACK(MAP_HASH), CALL(FN_LOOKUP), JMP_IMM(ISA_JEQ, 0, 1, 1), LDX(ISA_DW, 0, 0, 0), RET0}},
	{"null: check with jne on the other side", SOCK, 1, NULL,
	 {KEY_ON_STACK(MAP_HASH), CALL(FN_LOOKUP), JMP_IMM(ISA_JNE, 0, 0, 1), EXIT, LDX(ISA_DW, 0, 0, 0), EXIT}},
	/* }===== */

	/* {===== stack */
	{"stack: lowest slot", SOCK, 1, NULL, {ST(ISA_DW, 10, -512, 1), LDX(ISA_DW, 0, 10, -512), EXIT}},
	{"stack: below the lowest slot", SOCK, 0, NULL, {ST(ISA_DW, 10, -520, 1), RET0}},
	{"stack: 8 bytes at fp-4", SOCK, 0, NULL, {ST(ISA_DW, 10, -4, 1), RET0}},
	{"stack: read 8 bytes, 4 written (privileged: allowed)", SOCK, 1, NULL,
	 {ST(ISA_W, 10, -8, 1), LDX(ISA_DW, 0, 10, -8), EXIT}},
	{"stack: variable-offset write then read", SOCK, 1, NULL,
	 {ST(ISA_DW, 10, -16, 0), ST(ISA_DW, 10, -8, 0), CALL(FN_PRANDOM), ALU64_IMM(ISA_AND, 0, 8), MOV64_REG(1, 10),
	  ALU64_IMM(ISA_ADD, 1, -16), ALU64_REG(ISA_ADD, 1, 0), ST(ISA_DW, 1, 0, 3), LDX(ISA_DW, 0, 10, -16), EXIT}},
	{"stack: variable offset reaching above fp", SOCK, 0, NULL,
	 {CALL(FN_PRANDOM), ALU64_IMM(ISA_AND, 0, 16), MOV64_REG(1, 10), ALU64_IMM(ISA_ADD, 1, -16),
	  ALU64_REG(ISA_ADD, 1, 0), ST(ISA_DW, 1, 0, 3), RET0}},
	/* }===== */

	/* {===== spills */
	{"spill: map value pointer survives a spill", SOCK, 1, NULL,
	 {LOOKUP_OR_EXIT(MAP_HASH), STX(ISA_DW, 10, 0, -16), MOV64_IMM(0, 0), LDX(ISA_DW, 1, 10, -16),
	  LDX(ISA_DW, 0, 1, 0), EXIT}},
	{"spill: bounded scalar keeps its bounds", SOCK, 1, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(6, 0), CALL(FN_PRANDOM), ALU64_IMM(ISA_AND, 0, 7),
	  STX(ISA_DW, 10, 0, -16), LDX(ISA_DW, 1, 10, -16), ALU64_REG(ISA_ADD, 6, 1), LDX(ISA_DW, 0, 6, 0), EXIT}},
	{"spill: one byte overwritten turns a pointer into bytes", SOCK, 0, NULL,
	 {STX(ISA_DW, 10, 1, -8), ST(ISA_B, 10, -8, 0), LDX(ISA_DW, 1, 10, -8), LDX(ISA_W, 0, 1, 0), EXIT}},
	{"spill: 4-byte spill of a bounded scalar (hive: narrow spills keep no bounds)", SOCK, 1, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(6, 0), CALL(FN_PRANDOM), ALU64_IMM(ISA_AND, 0, 7),
	  STX(ISA_W, 10, 0, -8), LDX(ISA_W, 1, 10, -8), ALU64_REG(ISA_ADD, 6, 1), LDX(ISA_DW, 0, 6, 0), EXIT}, .known_gap = 1},
	{"spill: ctx pointer filled with 4 bytes", SOCK, 0, NULL,
	 {STX(ISA_DW, 10, 1, -8), LDX(ISA_W, 1, 10, -8), LDX(ISA_W, 0, 1, 0), EXIT}},
	/* }===== */

	/* {===== context */
	{"ctx: xdp ingress_ifindex", XDP, 1, NULL, {LDX(ISA_W, 0, 1, 12), EXIT}},
	{"ctx: xdp write to data", XDP, 0, NULL, {ST(ISA_W, 1, 0, 0), RET0}},
	{"ctx: xdp 8-byte read of data", XDP, 0, NULL, {LDX(ISA_DW, 0, 1, 0), EXIT}},
	{"ctx: socket filter reads mark", SOCK, 1, NULL, {LDX(ISA_W, 0, 1, 8), EXIT}},
	{"ctx: socket filter writes mark", SOCK, 0, NULL, {ST(ISA_W, 1, 8, 1), RET0}},
	{"ctx: socket filter reads data", SOCK, 0, NULL, {LDX(ISA_W, 0, 1, 76), EXIT}},
	{"ctx: tc writes mark and tc_classid", TC, 1, NULL, {ST(ISA_W, 1, 8, 1), ST(ISA_W, 1, 72, 1), RET0}},
	{"ctx: tc writes len", TC, 0, NULL, {ST(ISA_W, 1, 0, 1), RET0}},
	{"ctx: narrow read of the high half of len", SOCK, 1, NULL, {LDX(ISA_H, 0, 1, 2), EXIT}},
	{"ctx: read past __sk_buff", SOCK, 0, NULL, {LDX(ISA_W, 0, 1, 192), EXIT}},
	/* }===== */

	/* {===== helper arguments */
	{"helper: key pointing into the ctx", SOCK, 0, NULL,
	 {MOV64_REG(2, 1), LD_MAP(1, MAP_HASH), CALL(FN_LOOKUP), RET0}},
	{"helper: key from a map value", SOCK, 1, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(2, 0), LD_MAP(1, MAP_HASH), CALL(FN_LOOKUP), RET0}},
	{"helper: update with the value from another map", SOCK, 1, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(3, 0), MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -4), LD_MAP(1, MAP_HASH),
	  MOV64_IMM(4, 0), CALL(FN_UPDATE), RET0}},
	{"helper: ringbuf output of an unbounded size", SOCK, 0, NULL,
	 {ST(ISA_DW, 10, -8, 0), ST(ISA_DW, 10, -16, 0), CALL(FN_PRANDOM), MOV64_REG(3, 0), LD_MAP(1, MAP_RINGBUF),
	  MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -16), MOV64_IMM(4, 0), CALL(FN_RB_OUTPUT), RET0}},
	{"helper: ringbuf output of a bounded size", SOCK, 1, NULL,
	 {ST(ISA_DW, 10, -8, 0), ST(ISA_DW, 10, -16, 0), CALL(FN_PRANDOM), MOV64_REG(3, 0), ALU64_IMM(ISA_AND, 3, 15),
	  LD_MAP(1, MAP_RINGBUF), MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -16), MOV64_IMM(4, 0), CALL(FN_RB_OUTPUT), RET0}},
	{"helper: bounded size one past the buffer", SOCK, 0, NULL,
	 {ST(ISA_DW, 10, -8, 0), ST(ISA_DW, 10, -16, 0), CALL(FN_PRANDOM), MOV64_REG(3, 0), ALU64_IMM(ISA_AND, 3, 31),
	  LD_MAP(1, MAP_RINGBUF), MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -16), MOV64_IMM(4, 0), CALL(FN_RB_OUTPUT), RET0}},
	{"helper: probe_read_kernel into the stack", SOCK, 1, NULL,
	 {MOV64_REG(1, 10), ALU64_IMM(ISA_ADD, 1, -8), MOV64_IMM(2, 8), MOV64_IMM(3, 0), CALL(FN_PROBE_READ_KERNEL),
	  LDX(ISA_DW, 0, 10, -8), EXIT}},
	{"helper: probe_read_kernel into a map value pointer or NULL", SOCK, 0, NULL,
	 {KEY_ON_STACK(MAP_HASH), CALL(FN_LOOKUP), MOV64_REG(1, 0), MOV64_IMM(2, 8), MOV64_IMM(3, 0),
	  CALL(FN_PROBE_READ_KERNEL), RET0}},
	{"helper: delete with a key on the stack", SOCK, 1, NULL,
	 {ST(ISA_W, 10, -4, 0), MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -4), LD_MAP(1, MAP_HASH), CALL(FN_DELETE), RET0}},
	{"helper: a key too short for the map", SOCK, 0, NULL,
	 {ST(ISA_H, 10, -2, 0), MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -2), LD_MAP(1, MAP_HASH), CALL(FN_LOOKUP), RET0}},
	{"helper: xdp_adjust_head in a socket filter", SOCK, 0, NULL, {MOV64_IMM(2, 4), CALL(FN_XDP_ADJUST_HEAD), RET0}},
	{"helper: skb_store_bytes in xdp", XDP, 0, NULL, {MOV64_IMM(2, 0), CALL(9), RET0}},
	{"helper: skb_load_bytes in a socket filter", SOCK, 1, NULL,
	 {MOV64_IMM(2, 0), MOV64_REG(3, 10), ALU64_IMM(ISA_ADD, 3, -8), MOV64_IMM(4, 4), CALL(26), RET0}},
	{"helper: probe_read in a socket filter", SOCK, 0, NULL,
	 {MOV64_REG(1, 10), ALU64_IMM(ISA_ADD, 1, -8), MOV64_IMM(2, 8), MOV64_IMM(3, 0), CALL(4), RET0}},
	{"helper: xdp_adjust_head in xdp", XDP, 1, NULL, {MOV64_IMM(2, 4), CALL(FN_XDP_ADJUST_HEAD), RET0}},
	/* }===== */

	/* {===== references */
	{"ref: reserve then discard", SOCK, 1, NULL,
	 {RB_RESERVE(8), JMP_IMM(ISA_JEQ, 0, 0, 3), MOV64_REG(1, 0), MOV64_IMM(2, 0), CALL(FN_RB_DISCARD), RET0}},
	{"ref: submit twice", SOCK, 0, NULL,
	 {RB_RESERVE(8), JMP_IMM(ISA_JEQ, 0, 0, 7), MOV64_REG(6, 0), MOV64_REG(1, 6), MOV64_IMM(2, 0), CALL(FN_RB_SUBMIT),
	  MOV64_REG(1, 6), MOV64_IMM(2, 0), CALL(FN_RB_SUBMIT), RET0}},
	{"ref: submit without a NULL check", SOCK, 0, NULL,
	 {RB_RESERVE(8), MOV64_REG(1, 0), MOV64_IMM(2, 0), CALL(FN_RB_SUBMIT), RET0}},
	{"ref: submit through a copy", SOCK, 1, NULL,
	 {RB_RESERVE(8), JMP_IMM(ISA_JEQ, 0, 0, 4), MOV64_REG(7, 0), MOV64_REG(1, 7), MOV64_IMM(2, 0), CALL(FN_RB_SUBMIT),
	  RET0}},
	{"ref: submitted on one branch only", SOCK, 0, NULL,
	 {RB_RESERVE(8), JMP_IMM(ISA_JEQ, 0, 0, 7), MOV64_REG(6, 0), CALL(FN_PRANDOM), JMP_IMM(ISA_JEQ, 0, 0, 3),
	  MOV64_REG(1, 6), MOV64_IMM(2, 0), CALL(FN_RB_SUBMIT), RET0}},
	{"ref: reserve of a variable size", SOCK, 0, NULL,
	 {CALL(FN_PRANDOM), ALU64_IMM(ISA_AND, 0, 63), MOV64_REG(2, 0), LD_MAP(1, MAP_RINGBUF), MOV64_IMM(3, 0),
	  CALL(FN_RB_RESERVE), JMP_IMM(ISA_JEQ, 0, 0, 3), MOV64_REG(1, 0), MOV64_IMM(2, 0), CALL(FN_RB_DISCARD), RET0}},
	{"ref: write at the end of the reservation", SOCK, 0, NULL,
	 {RB_RESERVE(16), JMP_IMM(ISA_JEQ, 0, 0, 4), ST(ISA_DW, 0, 16, 1), MOV64_REG(1, 0), MOV64_IMM(2, 0),
	  CALL(FN_RB_SUBMIT), RET0}},
	{"ref: reservation spilled and filled", SOCK, 1, NULL,
	 {RB_RESERVE(16), JMP_IMM(ISA_JEQ, 0, 0, 5), STX(ISA_DW, 10, 0, -8), LDX(ISA_DW, 1, 10, -8), ST(ISA_DW, 1, 8, 1),
	  MOV64_IMM(2, 0), CALL(FN_RB_SUBMIT), RET0}},
	/* }===== */

	/* {===== loops */
	{"loop: count down from 100", SOCK, 1, NULL,
	 {MOV64_IMM(1, 100), MOV64_IMM(0, 0), ALU64_IMM(ISA_ADD, 0, 3), ALU64_IMM(ISA_SUB, 1, 1), JMP_IMM(ISA_JNE, 1, 0, -3),
	  EXIT}},
	{"loop: nested 10 x 10", SOCK, 1, NULL,
	 {MOV64_IMM(0, 0), MOV64_IMM(1, 0), MOV64_IMM(2, 0), ALU64_IMM(ISA_ADD, 0, 1), ALU64_IMM(ISA_ADD, 2, 1),
	  JMP_IMM(ISA_JLT, 2, 10, -3), ALU64_IMM(ISA_ADD, 1, 1), JMP_IMM(ISA_JLT, 1, 10, -6), EXIT}},
	{"loop: counter never changes", SOCK, 0, NULL,
	 {MOV64_IMM(1, 0), MOV64_IMM(0, 0), ALU64_IMM(ISA_ADD, 0, 1), JMP_IMM(ISA_JLT, 1, 10, -2), EXIT}},
	{"loop: bound from an unknown value", SOCK, 0, NULL,
	 {CALL(FN_PRANDOM), MOV64_REG(1, 0), ALU64_IMM(ISA_ADD, 1, 1), JMP_IMM(ISA_JNE, 1, 0, -2), RET0}},
	{"loop: walks a map value by index", SOCK, 1, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(6, 0), MOV64_IMM(1, 0), MOV64_IMM(0, 0), MOV64_REG(2, 6),
	  ALU64_REG(ISA_ADD, 2, 1), LDX(ISA_B, 3, 2, 0), ALU64_REG(ISA_ADD, 0, 3), ALU64_IMM(ISA_ADD, 1, 1),
	  JMP_IMM(ISA_JLT, 1, 48, -6), EXIT}},
	{"loop: walks one byte past the value", SOCK, 0, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(6, 0), MOV64_IMM(1, 0), MOV64_IMM(0, 0), MOV64_REG(2, 6),
	  ALU64_REG(ISA_ADD, 2, 1), LDX(ISA_B, 3, 2, 0), ALU64_REG(ISA_ADD, 0, 3), ALU64_IMM(ISA_ADD, 1, 1),
	  JMP_IMM(ISA_JLE, 1, 48, -6), EXIT}},
	/* }===== */

	/* {===== calls */
	{"call: constant return value indexes a map value", SOCK, 1, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(6, 0), CALL_LOCAL(3), ALU64_REG(ISA_ADD, 6, 0), LDX(ISA_DW, 0, 6, 0), EXIT,
	  MOV64_IMM(0, 40), EXIT}},
	{"call: return value too large for the value", SOCK, 0, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(6, 0), CALL_LOCAL(3), ALU64_REG(ISA_ADD, 6, 0), LDX(ISA_DW, 0, 6, 0), EXIT,
	  MOV64_IMM(0, 41), EXIT}},
	{"call: ctx passed to a subprogram", SOCK, 1, NULL,
	 {CALL_LOCAL(1), EXIT, LDX(ISA_W, 0, 1, 0), EXIT}},
	{"call: r6 kept across a call", SOCK, 1, NULL,
	 {MOV64_REG(6, 1), CALL_LOCAL(2), LDX(ISA_W, 0, 6, 0), EXIT, MOV64_IMM(6, 0), MOV64_IMM(0, 0), EXIT}},
	{"call: r1 read after a call", SOCK, 0, NULL,
	 {CALL_LOCAL(2), MOV64_REG(0, 1), EXIT, MOV64_IMM(0, 0), EXIT}},
	{"call: into the second half of an lddw", SOCK, 0, NULL,
	 {CALL_LOCAL(1), LD_IMM64(0, 1), EXIT}},
	{"call: callee reads an unwritten caller slot (privileged)", SOCK, 1, NULL,
	 {MOV64_REG(1, 10), ALU64_IMM(ISA_ADD, 1, -8), CALL_LOCAL(1), EXIT, LDX(ISA_DW, 0, 1, 0), EXIT}},
	/* }===== */

	/* {===== division */
	{"div: by a register that may be zero", SOCK, 1, NULL,
	 {CALL(FN_PRANDOM), MOV64_REG(6, 0), CALL(FN_PRANDOM), ALU64_REG(ISA_DIV, 0, 6), ALU32_REG(ISA_MOD, 0, 6), EXIT}},
	{"div: by a register read before it is written", SOCK, 0, NULL,
	 {CALL(FN_PRANDOM), MOV64_REG(1, 0), CALL(FN_PRANDOM), ALU64_REG(ISA_DIV, 0, 1), EXIT}},
	{"div: 32-bit mod by immediate 0", SOCK, 0, NULL, {MOV64_IMM(0, 5), ALU32_IMM(ISA_MOD, 0, 0), EXIT}},
	{"div: signed by -1", SOCK, 1, NULL, {MOV64_IMM(0, 5), SDIV64_IMM(0, -1), EXIT}},
	{"div: of a pointer", SOCK, 0, NULL, {MOV64_REG(0, 10), ALU64_IMM(ISA_DIV, 0, 2), EXIT}},
	{"div: a quotient has no bounds (as Linux)", SOCK, 0, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(6, 0), CALL(FN_PRANDOM), ALU64_IMM(ISA_AND, 0, 0xff),
	  ALU64_IMM(ISA_DIV, 0, 8), ALU64_REG(ISA_ADD, 6, 0), LDX(ISA_B, 0, 6, 0), EXIT}},
	/* }===== */

	/* {===== pointer arithmetic */
	{"ptr: map value minus 8 then read at +8", SOCK, 1, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), ALU64_IMM(ISA_SUB, 0, 8), LDX(ISA_DW, 0, 0, 8), EXIT}},
	{"ptr: xor of a map value pointer", SOCK, 0, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), ALU64_IMM(ISA_XOR, 0, 8), LDX(ISA_DW, 0, 0, 0), EXIT}},
	{"ptr: or of a stack pointer", SOCK, 0, NULL, {MOV64_REG(1, 10), ALU64_IMM(ISA_OR, 1, 0), RET0}},
	{"ptr: stack minus map value is a number (privileged)", SOCK, 1, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(1, 10), ALU64_REG(ISA_SUB, 1, 0), MOV64_REG(0, 1), EXIT}},
	{"ptr: map value minus map value", SOCK, 1, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(1, 0), ALU64_IMM(ISA_ADD, 1, 8), ALU64_REG(ISA_SUB, 1, 0), MOV64_REG(0, 1),
	  EXIT}},
	{"ptr: stack pointer plus bounded scalar, read", SOCK, 1, NULL,
	 {ST(ISA_DW, 10, -16, 0), ST(ISA_DW, 10, -8, 0), CALL(FN_PRANDOM), ALU64_IMM(ISA_AND, 0, 8), MOV64_REG(1, 10),
	  ALU64_IMM(ISA_ADD, 1, -16), ALU64_REG(ISA_ADD, 1, 0), LDX(ISA_DW, 0, 1, 0), EXIT}},
	{"ptr: stack pointer plus an unbounded scalar", SOCK, 0, NULL,
	 {ST(ISA_DW, 10, -8, 0), CALL(FN_PRANDOM), MOV64_REG(1, 10), ALU64_IMM(ISA_ADD, 1, -8), ALU64_REG(ISA_ADD, 1, 0),
	  LDX(ISA_B, 0, 1, 0), EXIT}},
	{"ptr: stack pointer compared with a scalar", SOCK, 1, NULL,
	 {MOV64_REG(1, 10), JMP_IMM(ISA_JGT, 1, 5, 0), RET0}},
	{"ptr: map value pointer stored into a map value", SOCK, 1, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), STX(ISA_DW, 0, 0, 0), RET0}},
	{"ptr: neg of a map value pointer is a number (privileged)", SOCK, 1, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), ALU64_NEG(0), RET0}},
	{"ptr: neg of a map value pointer, then dereferenced", SOCK, 0, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), ALU64_NEG(0), LDX(ISA_B, 0, 0, 0), EXIT}},
	/* }===== */

	/* {===== 32-bit bounds */
	{"32: jmp32 bound of a 64-bit unknown", SOCK, 0, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(6, 0), LD_IMM64(7, 0x100000000ull), CALL(FN_PRANDOM),
	  ALU64_REG(ISA_MUL, 0, 7), JMP32_IMM(ISA_JGT, 0, 40, 2), ALU64_REG(ISA_ADD, 6, 0), LDX(ISA_B, 0, 6, 0), RET0}},
	{"32: jmp32 bound after mov32", SOCK, 1, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(6, 0), CALL(FN_PRANDOM), MOV32_REG(0, 0), JMP32_IMM(ISA_JGT, 0, 40, 2),
	  ALU64_REG(ISA_ADD, 6, 0), LDX(ISA_B, 0, 6, 0), RET0}},
	{"32: alu32 wraps to zero", SOCK, 1, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV32_IMM(1, -1), ALU32_IMM(ISA_ADD, 1, 1), ALU64_REG(ISA_ADD, 0, 1),
	  LDX(ISA_DW, 0, 0, 40), EXIT}},
	{"32: alu64 does not wrap like alu32", SOCK, 0, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV32_IMM(1, -1), ALU64_IMM(ISA_ADD, 1, 1), ALU64_REG(ISA_ADD, 0, 1),
	  LDX(ISA_DW, 0, 0, 0), EXIT}},
	{"32: signed jmp32 bound only", SOCK, 0, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(6, 0), CALL(FN_PRANDOM), MOV32_REG(0, 0), JMP32_IMM(ISA_JSGT, 0, 40, 2),
	  ALU64_REG(ISA_ADD, 6, 0), LDX(ISA_B, 0, 6, 0), RET0}},
	{"32: movsx of a byte may be negative", SOCK, 0, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(6, 0), LDX(ISA_B, 1, 6, 0), MOVSX64(1, 1, 8), ALU64_REG(ISA_ADD, 6, 1),
	  LDX(ISA_B, 0, 6, 0), EXIT}},
	{"32: byte load is at most 255", SOCK, 0, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(6, 0), LDX(ISA_B, 1, 6, 0), ALU64_REG(ISA_ADD, 6, 1), LDX(ISA_B, 0, 6, 0),
	  EXIT}},
	{"32: byte load shifted right fits", SOCK, 1, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(6, 0), LDX(ISA_B, 1, 6, 0), ALU64_IMM(ISA_RSH, 1, 3),
	  ALU64_REG(ISA_ADD, 6, 1), LDX(ISA_B, 0, 6, 0), EXIT}},
	{"32: arsh32 keeps the sign in the low half", SOCK, 0, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(6, 0), LDX(ISA_B, 1, 6, 0), ALU32_IMM(ISA_LSH, 1, 24),
	  ALU32_IMM(ISA_ARSH, 1, 28), ALU64_REG(ISA_ADD, 6, 1), LDX(ISA_B, 0, 6, 0), EXIT}},
	{"32: jmp32 on both halves bounds the value", SOCK, 1, NULL,
	 {LOOKUP_OR_EXIT(MAP_ARRAY), MOV64_REG(6, 0), CALL(FN_PRANDOM), JMP_IMM(ISA_JGT, 0, 0x7fffffff, 3),
	  JMP32_IMM(ISA_JGT, 0, 40, 2), ALU64_REG(ISA_ADD, 6, 0), LDX(ISA_B, 0, 6, 0), RET0}},
	/* }===== */
};
#pragma GCC diagnostic pop
#define N_RCASES (sizeof(rcases) / sizeof(rcases[0]))

#endif
