/* Soundness oracle: random programs (ALU, branches, loops, stack and context
 * accesses at computed offsets; no helpers) go through hive_verify; every
 * program it accepts is run by a small concrete interpreter here that knows
 * exact frame and context bounds, which registers hold pointers, and which
 * stack bytes were written.  An accepted program that faults on any input is
 * a verifier bug.  (The VM's checked mode guards all frames at once; this
 * one is exact per frame.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "../verifier/cases.h"
#include "verifier/range.h"
#include "../verifier/gen_stack.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* {===== concrete machine */
enum tag { T_NONE, T_SCALAR, T_STACK, T_CTX };
struct creg {
	uint64_t v; /* scalar value, or offset from the base for pointers */
	uint8_t tag;
};
enum { CTX_SIZE = 192 };
struct machine {
	struct creg r[11];
	uint8_t stack[512];
	uint8_t init[512];
	uint8_t slot_tag[64]; /* pointer spilled in an 8-byte slot */
	uint8_t ctx[CTX_SIZE];
	const char *fault;
	uint32_t fault_pc;
};

static uint64_t alu(uint8_t op, uint64_t a, uint64_t b, bool is32, bool sgn, int16_t off)
{
	enum range_op ro;
	(void)off;
	switch (op) {
	case ISA_ADD: ro = RA_ADD; break;
	case ISA_SUB: ro = RA_SUB; break;
	case ISA_MUL: ro = RA_MUL; break;
	case ISA_DIV: ro = sgn ? RA_SDIV : RA_DIV; break;
	case ISA_MOD: ro = sgn ? RA_SMOD : RA_MOD; break;
	case ISA_OR: ro = RA_OR; break;
	case ISA_AND: ro = RA_AND; break;
	case ISA_XOR: ro = RA_XOR; break;
	case ISA_LSH: ro = RA_LSH; break;
	case ISA_RSH: ro = RA_RSH; break;
	case ISA_ARSH: ro = RA_ARSH; break;
	case ISA_NEG: ro = RA_NEG; break;
	default: ro = RA_MOV; break;
	}
	return range_alu_concrete(ro, a, b, is32);
}

#define FAULT(msg)                       \
	do {                             \
		m->fault = (msg);        \
		m->fault_pc = pc;        \
		return;                  \
	} while (0)

static void run(struct machine *m, const struct hive_insn *p, size_t n)
{
	uint32_t pc = 0;
	for (long steps = 0; steps < 200000; steps++) {
		if (pc >= n)
			FAULT("pc out of range");
		const struct hive_insn *in = &p[pc];
		uint8_t cls = ISA_CLASS(in->code), op = ISA_OP(in->code);
		struct creg *d = &m->r[in->dst_reg], *s = &m->r[in->src_reg];
		if (cls == ISA_ALU || cls == ISA_ALU64) {
			bool is32 = cls == ISA_ALU, x = ISA_SRCBIT(in->code);
			if (op == ISA_END) {
				if (d->tag == T_NONE)
					FAULT("uninit read");
				uint64_t v = d->v;
				unsigned bits = (unsigned)in->imm;
				bool swap = cls == ISA_ALU64 || x;
				if (swap)
					v = bits == 16 ? __builtin_bswap16((uint16_t)v)
					    : bits == 32 ? __builtin_bswap32((uint32_t)v) : __builtin_bswap64(v);
				else
					v = bits == 16 ? (uint16_t)v : bits == 32 ? (uint32_t)v : v;
				*d = (struct creg){v, T_SCALAR};
				pc++;
				continue;
			}
			struct creg b = x ? *s : (struct creg){is32 ? (uint32_t)in->imm : (uint64_t)(int64_t)in->imm, T_SCALAR};
			if (x && b.tag == T_NONE)
				FAULT("uninit read");
			if (op == ISA_MOV) {
				if (x && in->off) { /* movsx */
					uint64_t v = in->off == 8 ? (uint64_t)(int64_t)(int8_t)b.v
						     : in->off == 16 ? (uint64_t)(int64_t)(int16_t)b.v
								     : (uint64_t)(int64_t)(int32_t)b.v;
					*d = (struct creg){is32 ? (uint32_t)v : v, T_SCALAR};
				} else if (is32) {
					*d = (struct creg){(uint32_t)b.v, T_SCALAR};
				} else {
					*d = b;
				}
				pc++;
				continue;
			}
			if (d->tag == T_NONE)
				FAULT("uninit read");
			if (d->tag == T_SCALAR && b.tag == T_SCALAR) {
				d->v = alu(op, d->v, b.v, is32, in->off == 1, in->off);
			} else if (!is32 && op == ISA_ADD && (d->tag == T_SCALAR) != (b.tag == T_SCALAR)) {
				uint8_t t = d->tag == T_SCALAR ? b.tag : d->tag;
				*d = (struct creg){d->v + b.v, t};
			} else if (!is32 && op == ISA_SUB && d->tag != T_SCALAR && b.tag == T_SCALAR) {
				d->v -= b.v;
			} else {
				*d = (struct creg){0x5eed, T_SCALAR}; /* pointer leak: a number */
			}
			pc++;
			continue;
		}
		if (cls == ISA_JMP || cls == ISA_JMP32) {
			if (op == ISA_EXIT) {
				if (m->r[0].tag == T_NONE)
					FAULT("exit without r0");
				return;
			}
			if (op == ISA_JA) {
				pc += (uint32_t)(cls == ISA_JMP ? in->off : in->imm) + 1;
				continue;
			}
			if (op == ISA_CALL)
				FAULT("call");
			bool is32 = cls == ISA_JMP32;
			struct creg b = ISA_SRCBIT(in->code) ? *s : (struct creg){is32 ? (uint32_t)in->imm : (uint64_t)(int64_t)in->imm, T_SCALAR};
			if (d->tag == T_NONE || b.tag == T_NONE)
				FAULT("uninit read");
			/* pointers compare by offset within one base; stack and ctx
			 * addresses are unknown, any outcome is possible: pick one */
			uint64_t a = d->v, c = b.v;
			if (d->tag != b.tag) {
				a = rnd();
				c = rnd();
			}
			static const uint8_t map[16] = {[ISA_JEQ >> 4] = RC_EQ, [ISA_JNE >> 4] = RC_NE, [ISA_JGT >> 4] = RC_UGT,
						       [ISA_JGE >> 4] = RC_UGE, [ISA_JLT >> 4] = RC_ULT, [ISA_JLE >> 4] = RC_ULE,
						       [ISA_JSGT >> 4] = RC_SGT, [ISA_JSGE >> 4] = RC_SGE, [ISA_JSLT >> 4] = RC_SLT,
						       [ISA_JSLE >> 4] = RC_SLE, [ISA_JSET >> 4] = RC_SET};
			bool t = range_cond_eval((enum range_cond)map[op >> 4], a, c, is32);
			pc += t ? (uint32_t)in->off + 1 : 1;
			continue;
		}
		if (cls == ISA_LD) {
			if (in->code != (ISA_LD | ISA_DW))
				FAULT("ld");
			*d = (struct creg){(uint32_t)in->imm | ((uint64_t)(uint32_t)p[pc + 1].imm << 32), T_SCALAR};
			pc += 2;
			continue;
		}
		/* memory */
		bool load = cls == ISA_LDX;
		struct creg *base = load ? s : d;
		unsigned size = isa_access_size(in->code);
		if (base->tag == T_NONE)
			FAULT("uninit base");
		if (base->tag == T_SCALAR)
			FAULT("scalar dereference");
		int64_t off = (int64_t)base->v + in->off;
		if (base->tag == T_CTX) {
			if (off < 0 || off + size > CTX_SIZE)
				FAULT("ctx out of bounds");
			if (load) {
				uint64_t v = 0;
				memcpy(&v, &m->ctx[off], size);
				if (ISA_MODE(in->code) == ISA_MEMSX)
					v = size == 1 ? (uint64_t)(int8_t)v : size == 2 ? (uint64_t)(int16_t)v : (uint64_t)(int32_t)v;
				*d = (struct creg){v, T_SCALAR};
			} else {
				uint64_t v = cls == ISA_ST ? (uint64_t)(int64_t)in->imm : s->v;
				if (cls == ISA_STX && s->tag == T_NONE)
					FAULT("uninit read");
				memcpy(&m->ctx[off], &v, size);
			}
			pc++;
			continue;
		}
		/* stack: off relative to fp, valid [-512, 0) */
		if (off < -512 || off + size > 0)
			FAULT("stack out of bounds");
		size_t i = (size_t)(512 + off);
		if (load) {
			for (size_t k = 0; k < size; k++)
				if (!m->init[i + k])
					FAULT("uninit stack read");
			uint64_t v = 0;
			memcpy(&v, &m->stack[i], size);
			if (ISA_MODE(in->code) == ISA_MEMSX)
				v = size == 1 ? (uint64_t)(int8_t)v : size == 2 ? (uint64_t)(int16_t)v : (uint64_t)(int32_t)v;
			uint8_t t = (size == 8 && i % 8 == 0) ? m->slot_tag[i / 8] : 0;
			if (t == T_NONE && size < 8 && m->slot_tag[i / 8] > T_SCALAR && (i + size - 1) / 8 == i / 8)
				FAULT("partial read of a spilled pointer");
			*d = (struct creg){v, t ? t : T_SCALAR};
		} else {
			uint64_t v;
			uint8_t t = T_SCALAR;
			if (cls == ISA_ST) {
				v = (uint64_t)(int64_t)in->imm;
			} else {
				if (s->tag == T_NONE)
					FAULT("uninit read");
				v = s->v;
				t = s->tag;
			}
			memcpy(&m->stack[i], &v, size);
			for (size_t k = 0; k < size; k++) {
				m->init[i + k] = 1;
				m->slot_tag[(i + k) / 8] = T_SCALAR;
			}
			if (size == 8 && i % 8 == 0)
				m->slot_tag[i / 8] = t;
		}
		pc++;
	}
	m->fault = "did not terminate";
	m->fault_pc = pc;
}
/* }===== */

static void test_oracle(void **state)
{
	(void)state;
	int rounds = getenv("HIVE_FUZZ_ROUNDS") ? atoi(getenv("HIVE_FUZZ_ROUNDS")) : 4000;
	unsigned accepted = 0, runs = 0, faults = 0;
	for (int it = 0; it < rounds; it++) {
		struct hive_insn prog[200];
		size_t n = sg_gen(prog, 180);
		bool uninit_ok = rnd() % 2;
		char log[4096];
		HIVE_OPTS(hive_verify_opts, o, .prog_type = HIVE_PROG_SOCKET_FILTER, .log_buf = log, .log_size = sizeof log,
			  .allow_uninit_stack = uninit_ok);
		if (hive_verify(prog, n, &o, NULL)) {
			if (getenv("HIVE_VERBOSE")) {
				char *c = strchr(log, '\n');
				if (c)
					*c = 0;
				c = strstr(log, ": ");
				c = c ? strstr(c + 2, ": ") : NULL;
				fprintf(stderr, "REFUSED %s\n", c ? c + 2 : log);
			}
			continue;
		}
		accepted++;
		for (int k = 0; k < 24; k++) {
			struct machine m;
			memset(&m, 0, sizeof m);
			for (int b = 0; b < CTX_SIZE; b++)
				m.ctx[b] = (uint8_t)(k < 4 ? (k == 1 ? 0xff : k == 2 ? 0x80 : 0) : rnd());
			if (uninit_ok)
				memset(m.init, 1, sizeof m.init);
			m.r[1] = (struct creg){0, T_CTX};
			m.r[10] = (struct creg){0, T_STACK};
			run(&m, prog, n);
			runs++;
			if (m.fault) {
				faults++;
				if (faults <= 3) {
					printf("UNSOUND: accepted program faults: %s at insn %u (uninit_ok=%d)\n", m.fault,
					       m.fault_pc, uninit_ok);
					for (size_t q = 0; q < n; q++) {
						char b[128];
						hive_disasm_insn(prog, n, q, b, sizeof b);
						printf("    %3zu: %s\n", q, b);
					}
				}
				break;
			}
		}
	}
	printf("oracle: %d programs, %u accepted, %u concrete runs, %u faulting\n", rounds, accepted, runs, faults);
	assert_int_equal(faults, 0);
	assert_true(accepted > (unsigned)rounds / 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_oracle)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
