/* Differential test of instruction semantics: hive against this machine's
 * kernel.
 *
 * A generator makes random straight-line programs with forward branches
 * (ALU64/ALU32 with every operation, byte swaps, sign-extending moves,
 * JMP/JMP32 with every condition, loads and stores of every size over a
 * packet and the stack, atomics on the stack).  Each runs once in the kernel
 * as an XDP program under BPF_PROG_TEST_RUN and once in hive over a copy of
 * the same bytes; the epilogue stores r0..r8 and the stack into the buffer,
 * so comparing the buffers compares the whole final state.
 *
 * Buffer layout (KD_PKT bytes):
 *   [0, KD_DATA)                  random bytes the body loads and stores
 *   [KD_REGS, KD_REGS + 72)       r0..r8 at exit
 *   [KD_STK, KD_STK + KD_STACK)   the stack [fp - KD_STACK, fp): random at
 *                                 entry (the prologue copies it in), final
 *                                 contents at exit
 *
 * Kernel program: XDP prologue (data/data_end, range check, r9 = data),
 * common part.  hive program: r9 = r1, common part.  Common part: stack
 * init, r0..r8 = constants (lddw), body, epilogue, exit.  The body never
 * writes r9 or r10.
 *
 * Environment: HIVE_KDIFF_N (programs, default KD_DEFAULT_N), HIVE_KDIFF_SEED.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hive/hive.h"
#include "../common/kernel_bpf.h"

#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80 /* older uapi headers: sign-extending load */
#endif

_Static_assert(sizeof(struct hive_insn) == sizeof(struct bpf_insn), "one slot each");

enum {
	KD_DATA = 128,
	KD_REGS = 128,
	KD_STK = KD_REGS + 9 * 8,
	KD_STACK = 64,
	KD_PKT = KD_STK + KD_STACK,
	KD_MAX_ITEMS = 64,
	KD_MAX_INSNS = 256,
	KD_DEFAULT_N = 3000,
	KD_DEFAULT_SEED = 0x6b646966, /* "kdif" */
	KD_REG_BASE = 9,              /* the buffer; the body never writes it */
};

/* {===== random numbers: splitmix64, one stream per program */

static uint64_t kd_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t kd_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(kd_next(s) % n);
}

/* 64-bit values that like to break things: edges, small, 32-bit, random. */
static uint64_t kd_val64(uint64_t *s)
{
	static const uint64_t special[] = {
		0, 1, 2, 3, 7, 8, 31, 32, 63, 64, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
		0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull,
		0x8000000000000000ull, 0xffffffffffffffffull, 0xfffffffffffffffeull,
		0xffffffff80000000ull, 0xffffffff7fffffffull, 0x00000000ffff8000ull,
	};
	switch (kd_below(s, 8)) {
	case 0:
	case 1:
		return special[kd_below(s, sizeof(special) / sizeof(special[0]))];
	case 2:
		return (uint64_t)((int64_t)kd_below(s, 33) - 16);
	case 3:
		return (uint32_t)kd_next(s);
	case 4:
		return (uint64_t)(int64_t)(int32_t)kd_next(s);
	default:
		return kd_next(s);
	}
}

static int32_t kd_imm(uint64_t *s)
{
	static const int32_t special[] = {
		0, 1, 2, 3, -1, -2, 7, 8, 16, 31, 32, 63, 0x7f, 0x80, 0xff, 0x7fff, 0x8000,
		0xffff, 0x10000, INT32_MAX, INT32_MIN, INT32_MIN + 1, -0x8000, -0x80,
	};
	switch (kd_below(s, 4)) {
	case 0:
		return special[kd_below(s, sizeof(special) / sizeof(special[0]))];
	case 1:
		return (int32_t)kd_below(s, 33) - 16;
	default:
		return (int32_t)(uint32_t)kd_next(s);
	}
}

/* }===== */

/* {===== instruction encoding (the kernel's uapi spelling) */

static struct bpf_insn kd_insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpf_insn i = {.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
	return i;
}

/* lddw: two slots */
static void kd_lddw(struct bpf_insn *out, uint8_t dst, uint64_t v)
{
	out[0] = kd_insn(BPF_LD | BPF_IMM | BPF_DW, dst, 0, 0, (int32_t)(uint32_t)v);
	out[1] = kd_insn(0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
}

/* }===== */

/* {===== the generator */

/* One body item: one instruction, or an lddw.  A jump names its target as an
 * item index (nitems = the epilogue) so that items can be removed while
 * shrinking a failing program. */
struct kd_item {
	struct bpf_insn insn[2];
	uint8_t nslots;
	bool jump;     /* off (or imm for gotol) is computed from target */
	bool jump_imm; /* gotol: the offset is in imm */
	int target;
};

struct kd_case {
	uint64_t init[9]; /* r0..r8 */
	int nitems;
	struct kd_item items[KD_MAX_ITEMS];
	uint8_t pkt[KD_PKT];
};

struct kd_features {
	bool v4;          /* sdiv/smod, movsx, ldsx, bswap, gotol */
	bool pkt_atomics; /* atomics on packet memory */
};

static uint8_t kd_reg(uint64_t *s)
{
	return (uint8_t)kd_below(s, 9); /* r0..r8 */
}

static const uint8_t kd_alu_ops[] = {
	BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH,
	BPF_RSH, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH,
};

static const uint8_t kd_jmp_ops[] = {
	BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT,
	BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE,
};

static const uint8_t kd_sizes[] = {BPF_B, BPF_H, BPF_W, BPF_DW};

static unsigned kd_size_bytes(uint8_t sz)
{
	switch (sz) {
	case BPF_B:
		return 1;
	case BPF_H:
		return 2;
	case BPF_W:
		return 4;
	default:
		return 8;
	}
}

static struct bpf_insn kd_gen_alu(uint64_t *s, const struct kd_features *f)
{
	bool is64 = kd_below(s, 2);
	uint8_t cls = is64 ? BPF_ALU64 : BPF_ALU;
	unsigned width = is64 ? 64 : 32;
	uint8_t op = kd_alu_ops[kd_below(s, sizeof(kd_alu_ops))];
	int16_t off = 0;
	if (f->v4 && (op == BPF_DIV || op == BPF_MOD) && kd_below(s, 2))
		off = 1; /* sdiv, smod */
	if (kd_below(s, 2)) {
		uint8_t src = kd_reg(s);
		if (f->v4 && op == BPF_MOV && kd_below(s, 4) == 0) {
			static const int16_t sx64[] = {8, 16, 32}, sx32[] = {8, 16};
			off = is64 ? sx64[kd_below(s, 3)] : sx32[kd_below(s, 2)];
		}
		return kd_insn(cls | op | BPF_X, kd_reg(s), src, off, 0);
	}
	int32_t imm = kd_imm(s);
	if (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH)
		imm = (int32_t)kd_below(s, width); /* the verifier refuses imm >= width */
	if ((op == BPF_DIV || op == BPF_MOD) && imm == 0)
		imm = kd_below(s, 2) ? 1 : -1; /* and a division by constant zero */
	return kd_insn(cls | op | BPF_K, kd_reg(s), 0, off, imm);
}

static struct bpf_insn kd_gen_unary(uint64_t *s, const struct kd_features *f)
{
	static const int32_t widths[] = {16, 32, 64};
	uint8_t dst = kd_reg(s);
	switch (kd_below(s, f->v4 ? 3 : 2)) {
	case 0:
		return kd_insn((kd_below(s, 2) ? BPF_ALU64 : BPF_ALU) | BPF_NEG | BPF_K, dst, 0, 0, 0);
	case 1:
		return kd_insn(BPF_ALU | BPF_END | (kd_below(s, 2) ? BPF_TO_BE : BPF_TO_LE), dst, 0, 0,
			       widths[kd_below(s, 3)]);
	default:
		return kd_insn(BPF_ALU64 | BPF_END | BPF_TO_LE, dst, 0, 0, widths[kd_below(s, 3)]); /* bswap */
	}
}

static struct bpf_insn kd_gen_jcond(uint64_t *s)
{
	uint8_t cls = kd_below(s, 2) ? BPF_JMP : BPF_JMP32;
	uint8_t op = kd_jmp_ops[kd_below(s, sizeof(kd_jmp_ops))];
	if (kd_below(s, 2))
		return kd_insn(cls | op | BPF_X, kd_reg(s), kd_reg(s), 0, 0);
	return kd_insn(cls | op | BPF_K, kd_reg(s), 0, 0, kd_imm(s));
}

/* A load or store of a random size at a constant offset: into the packet
 * (any alignment) or into the stack (aligned: the verifier insists). */
static void kd_mem_addr(uint64_t *s, unsigned bytes, uint8_t *base, int16_t *off)
{
	if (kd_below(s, 2)) {
		*base = KD_REG_BASE;
		*off = (int16_t)kd_below(s, KD_DATA - bytes + 1);
	} else {
		*base = BPF_REG_10;
		*off = (int16_t)(-(int)bytes * (int)(1 + kd_below(s, KD_STACK / bytes)));
	}
}

static struct bpf_insn kd_gen_mem(uint64_t *s, const struct kd_features *f)
{
	uint8_t sz = kd_sizes[kd_below(s, 4)];
	unsigned bytes = kd_size_bytes(sz);
	uint8_t base;
	int16_t off;
	kd_mem_addr(s, bytes, &base, &off);
	switch (kd_below(s, 4)) {
	case 0:
	case 1: {
		uint8_t mode = BPF_MEM;
		if (f->v4 && sz != BPF_DW && kd_below(s, 2))
			mode = BPF_MEMSX;
		return kd_insn(BPF_LDX | mode | sz, kd_reg(s), base, off, 0);
	}
	case 2:
		return kd_insn(BPF_STX | BPF_MEM | sz, base, kd_reg(s), off, 0);
	default:
		return kd_insn(BPF_ST | BPF_MEM | sz, base, 0, off, kd_imm(s));
	}
}

static struct bpf_insn kd_gen_atomic(uint64_t *s, const struct kd_features *f)
{
	static const int32_t ops[] = {
		BPF_ADD, BPF_OR, BPF_AND, BPF_XOR, BPF_ADD | BPF_FETCH, BPF_OR | BPF_FETCH,
		BPF_AND | BPF_FETCH, BPF_XOR | BPF_FETCH, BPF_XCHG, BPF_CMPXCHG,
	};
	uint8_t sz = kd_below(s, 2) ? BPF_W : BPF_DW;
	unsigned bytes = kd_size_bytes(sz);
	uint8_t base = BPF_REG_10;
	int16_t off = (int16_t)(-(int)bytes * (int)(1 + kd_below(s, KD_STACK / bytes)));
	if (f->pkt_atomics && kd_below(s, 2)) {
		base = KD_REG_BASE;
		off = (int16_t)(bytes * kd_below(s, KD_DATA / bytes));
	}
	return kd_insn(BPF_STX | BPF_ATOMIC | sz, base, kd_reg(s), off, ops[kd_below(s, 10)]);
}

static void kd_gen_case(uint64_t *s, const struct kd_features *f, struct kd_case *c)
{
	memset(c, 0, sizeof(*c));
	for (int r = 0; r < 9; r++)
		c->init[r] = kd_val64(s);
	for (size_t i = 0; i < sizeof(c->pkt); i++)
		c->pkt[i] = (uint8_t)kd_next(s);
	/* a few recognisable values in the data area make loads more interesting */
	for (int k = 0; k < 4; k++) {
		uint64_t v = kd_val64(s);
		memcpy(c->pkt + 8 * kd_below(s, KD_DATA / 8), &v, 8);
	}

	int n = 8 + (int)kd_below(s, KD_MAX_ITEMS - 8 - 1);
	int i = 0;
	while (i < n) {
		struct kd_item *it = &c->items[i];
		it->nslots = 1;
		it->target = -1;
		unsigned k = kd_below(s, 100);
		if (k < 40) {
			it->insn[0] = kd_gen_alu(s, f);
		} else if (k < 48) {
			it->insn[0] = kd_gen_unary(s, f);
		} else if (k < 52) {
			kd_lddw(it->insn, kd_reg(s), kd_val64(s));
			it->nslots = 2;
		} else if (k < 66) {
			it->insn[0] = kd_gen_jcond(s);
			it->jump = true;
			it->target = i + 1 + (int)kd_below(s, (uint32_t)(n - i));
		} else if (k < 70 && i + 2 <= n) {
			/* A conditional jump over an unconditional one, so that the
			 * code the latter skips stays reachable (the verifier refuses
			 * unreachable instructions). */
			it->insn[0] = kd_gen_jcond(s);
			it->jump = true;
			it->target = i + 2;
			struct kd_item *ja = &c->items[++i];
			ja->nslots = 1;
			ja->jump = true;
			ja->target = i + 1 + (int)kd_below(s, (uint32_t)(n - i));
			if (f->v4 && kd_below(s, 2)) {
				ja->insn[0] = kd_insn(BPF_JMP32 | BPF_JA, 0, 0, 0, 0); /* gotol */
				ja->jump_imm = true;
			} else {
				ja->insn[0] = kd_insn(BPF_JMP | BPF_JA, 0, 0, 0, 0);
			}
		} else if (k < 92) {
			it->insn[0] = kd_gen_mem(s, f);
		} else {
			it->insn[0] = kd_gen_atomic(s, f);
		}
		i++;
	}
	c->nitems = i;
}

/* Remove item @k, keeping every jump's target on the item that followed. */
static void kd_remove_item(struct kd_case *c, int k)
{
	for (int i = 0; i < c->nitems; i++)
		if (c->items[i].jump && c->items[i].target > k)
			c->items[i].target--;
	memmove(&c->items[k], &c->items[k + 1], (size_t)(c->nitems - k - 1) * sizeof(c->items[0]));
	c->nitems--;
}

/* }===== */

/* {===== building the two programs */

enum kd_side { KD_KERNEL, KD_HIVE };

/* Returns the number of slots, and in *body_at the index of the body's
 * first slot. */
static size_t kd_build(const struct kd_case *c, enum kd_side side, struct bpf_insn *p, size_t *body_at)
{
	size_t n = 0;
	if (side == KD_KERNEL) {
		p[n++] = kd_insn(BPF_LDX | BPF_MEM | BPF_W, 2, 1, offsetof(struct xdp_md, data), 0);
		p[n++] = kd_insn(BPF_LDX | BPF_MEM | BPF_W, 3, 1, offsetof(struct xdp_md, data_end), 0);
		p[n++] = kd_insn(BPF_ALU64 | BPF_MOV | BPF_X, KD_REG_BASE, 2, 0, 0);
		p[n++] = kd_insn(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, KD_PKT);
		p[n++] = kd_insn(BPF_JMP | BPF_JLE | BPF_X, 2, 3, 2, 0);
		p[n++] = kd_insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
		p[n++] = kd_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	} else {
		p[n++] = kd_insn(BPF_ALU64 | BPF_MOV | BPF_X, KD_REG_BASE, 1, 0, 0);
	}
	for (int k = 0; k < KD_STACK / 8; k++) {
		p[n++] = kd_insn(BPF_LDX | BPF_MEM | BPF_DW, 0, KD_REG_BASE, (int16_t)(KD_STK + 8 * k), 0);
		p[n++] = kd_insn(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, 0, (int16_t)(-KD_STACK + 8 * k), 0);
	}
	for (int r = 0; r < 9; r++) {
		kd_lddw(&p[n], (uint8_t)r, c->init[r]);
		n += 2;
	}

	*body_at = n;
	size_t at[KD_MAX_ITEMS + 1];
	for (int i = 0; i < c->nitems; i++) {
		at[i] = n;
		n += c->items[i].nslots;
	}
	at[c->nitems] = n;
	for (int i = 0; i < c->nitems; i++) {
		const struct kd_item *it = &c->items[i];
		memcpy(&p[at[i]], it->insn, it->nslots * sizeof(p[0]));
		if (it->jump) {
			long rel = (long)at[it->target] - (long)at[i] - 1;
			if (it->jump_imm)
				p[at[i]].imm = (int32_t)rel;
			else
				p[at[i]].off = (int16_t)rel;
		}
	}

	for (int r = 0; r < 9; r++)
		p[n++] = kd_insn(BPF_STX | BPF_MEM | BPF_DW, KD_REG_BASE, (uint8_t)r, (int16_t)(KD_REGS + 8 * r), 0);
	for (int k = 0; k < KD_STACK / 8; k++) {
		p[n++] = kd_insn(BPF_LDX | BPF_MEM | BPF_DW, 1, BPF_REG_10, (int16_t)(-KD_STACK + 8 * k), 0);
		p[n++] = kd_insn(BPF_STX | BPF_MEM | BPF_DW, KD_REG_BASE, 1, (int16_t)(KD_STK + 8 * k), 0);
	}
	p[n++] = kd_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return n;
}

/* }===== */

/* {===== running */

/* The outcome of one run: the buffer after it and r0. */
struct kd_result {
	int err; /* 0, or why the run did not happen */
	uint8_t pkt[KD_PKT];
	uint64_t r0;
};

static char kd_log[1 << 16];

/* Load and run in the kernel.  Returns 0, -EACCES-like errno if the verifier
 * refused the program (log in kd_log when @want_log). */
static int kd_kernel_run(const struct kd_case *c, struct kd_result *res, bool want_log)
{
	struct bpf_insn prog[KD_MAX_INSNS];
	size_t body_at;
	size_t n = kd_build(c, KD_KERNEL, prog, &body_at);
	int fd = kbpf_prog_load(BPF_PROG_TYPE_XDP, prog, n, "GPL", want_log ? kd_log : NULL,
				want_log ? sizeof(kd_log) : 0, want_log ? 1 : 0);
	if (fd < 0)
		return fd;
	uint8_t out[KD_PKT + 256];
	struct kbpf_test_run t = {
		.data_in = c->pkt, .data_size_in = KD_PKT, .data_out = out, .data_size_out = sizeof(out),
	};
	int err = kbpf_prog_test_run(fd, &t);
	close(fd);
	memset(res, 0, sizeof(*res));
	if (err == 0 && t.data_size_out != KD_PKT)
		err = -EMSGSIZE;
	res->err = err;
	if (err == 0)
		memcpy(res->pkt, out, KD_PKT);
	res->r0 = t.retval;
	return 0;
}

/* }===== */

/* {===== reporting */

static void kd_dump_prog(const struct bpf_insn *p, size_t n, size_t body_at)
{
	for (size_t i = 0; i < n; i++) {
		fprintf(stderr, "  %s%4zu: %02x %x %x %6d %11d\n", i >= body_at ? "" : "*", i, p[i].code,
			p[i].dst_reg, p[i].src_reg, p[i].off, p[i].imm);
	}
}

static void kd_dump_diff(const struct kd_result *want, const struct kd_result *got)
{
	for (int r = 0; r < 9; r++) {
		uint64_t a, b;
		memcpy(&a, want->pkt + KD_REGS + 8 * r, 8);
		memcpy(&b, got->pkt + KD_REGS + 8 * r, 8);
		fprintf(stderr, "  r%d kernel %#018" PRIx64 " hive %#018" PRIx64 "%s\n", r, a, b,
			a != b ? "  <--" : "");
	}
	for (int k = 0; k < KD_STACK / 8; k++) {
		uint64_t a, b;
		memcpy(&a, want->pkt + KD_STK + 8 * k, 8);
		memcpy(&b, got->pkt + KD_STK + 8 * k, 8);
		if (a != b)
			fprintf(stderr, "  fp%d kernel %#018" PRIx64 " hive %#018" PRIx64 "  <--\n",
				-KD_STACK + 8 * k, a, b);
	}
	for (int i = 0; i < KD_DATA; i++)
		if (want->pkt[i] != got->pkt[i])
			fprintf(stderr, "  data[%d] kernel %#04x hive %#04x  <--\n", i, want->pkt[i], got->pkt[i]);
}

/* }===== */

/* {===== the tests */

static uint64_t kd_env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return dflt;
	return strtoull(v, NULL, 0);
}

/* Probe: load @body (between the XDP prologue and exit) and say whether the
 * kernel accepts it. */
static int kd_probe(const struct bpf_insn *body, size_t cnt)
{
	struct bpf_insn p[32];
	size_t n = 0;
	p[n++] = kd_insn(BPF_LDX | BPF_MEM | BPF_W, 2, 1, offsetof(struct xdp_md, data), 0);
	p[n++] = kd_insn(BPF_LDX | BPF_MEM | BPF_W, 3, 1, offsetof(struct xdp_md, data_end), 0);
	p[n++] = kd_insn(BPF_ALU64 | BPF_MOV | BPF_X, KD_REG_BASE, 2, 0, 0);
	p[n++] = kd_insn(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, KD_PKT);
	p[n++] = kd_insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 2);
	p[n++] = kd_insn(BPF_JMP | BPF_JGT | BPF_X, 2, 3, (int16_t)cnt, 0);
	memcpy(&p[n], body, cnt * sizeof(p[0]));
	n += cnt;
	p[n++] = kd_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	int fd = kbpf_prog_load(BPF_PROG_TYPE_XDP, p, n, "GPL", NULL, 0, 0);
	if (fd >= 0)
		close(fd);
	return fd < 0 ? fd : 0;
}

static bool kd_skip_if_no_bpf(void)
{
	struct bpf_insn ret = kd_insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 2);
	int err = kd_probe(&ret, 1);
	if (err == -EPERM || err == -ENOSYS) {
		printf("HIVE-SKIP: bpf() not permitted: %s\n", strerror(-err));
		return true;
	}
	assert_int_equal(err, 0);
	return false;
}

static void kd_features_probe(struct kd_features *f)
{
	struct bpf_insn sdiv[] = {
		kd_insn(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 7),
		kd_insn(BPF_ALU64 | BPF_DIV | BPF_K, 1, 0, 1, -2),
	};
	struct bpf_insn patomic[] = {
		kd_insn(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 7),
		kd_insn(BPF_STX | BPF_ATOMIC | BPF_DW, KD_REG_BASE, 1, 0, BPF_ADD),
	};
	f->v4 = kd_probe(sdiv, 2) == 0;
	f->pkt_atomics = kd_probe(patomic, 2) == 0;
}

/* The harness itself: an empty body leaves the constants in r0..r8 and the
 * stack as the prologue copied it; one store and one atomic land where they
 * should. */
static void test_kernel_diff_harness(void **state)
{
	(void)state;
	if (kd_skip_if_no_bpf())
		skip();
	static struct kd_case c;
	struct kd_result kres;
	uint64_t s = 1;
	struct kd_features f = {0};
	kd_gen_case(&s, &f, &c);
	c.nitems = 2;
	c.items[0] = (struct kd_item){.nslots = 1, .target = -1,
				      .insn[0] = kd_insn(BPF_STX | BPF_MEM | BPF_DW, KD_REG_BASE, 3, 16, 0)};
	c.items[1] = (struct kd_item){.nslots = 1, .target = -1,
				      .insn[0] = kd_insn(BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_10, 4, -KD_STACK,
							 BPF_ADD | BPF_FETCH)};
	assert_int_equal(kd_kernel_run(&c, &kres, false), 0);
	assert_int_equal(kres.err, 0);
	uint64_t want[9], got[9], fp64, old_fp64;
	memcpy(want, c.init, sizeof(want));
	memcpy(&old_fp64, c.pkt + KD_STK, 8);
	want[4] = old_fp64;
	memcpy(got, kres.pkt + KD_REGS, sizeof(got));
	assert_memory_equal(got, want, sizeof(want));
	assert_int_equal(kres.r0, (uint32_t)c.init[0]);
	assert_memory_equal(kres.pkt + 16, &c.init[3], 8);
	assert_memory_equal(kres.pkt, c.pkt, 16);
	assert_memory_equal(kres.pkt + 24, c.pkt + 24, KD_DATA - 24);
	memcpy(&fp64, kres.pkt + KD_STK, 8);
	assert_int_equal(fp64, old_fp64 + c.init[4]);
	assert_memory_equal(kres.pkt + KD_STK + 8, c.pkt + KD_STK + 8, KD_STACK - 8);
}

static void test_kernel_diff_random(void **state)
{
	(void)state;
	if (kd_skip_if_no_bpf())
		skip();
	struct kd_features f;
	kd_features_probe(&f);
	uint64_t seed = kd_env_u64("HIVE_KDIFF_SEED", KD_DEFAULT_SEED);
	uint64_t count = kd_env_u64("HIVE_KDIFF_N", KD_DEFAULT_N);
	printf("kdiff: seed %#" PRIx64 ", %" PRIu64 " programs, cpu v4 %s, packet atomics %s\n", seed, count,
	       f.v4 ? "yes" : "no", f.pkt_atomics ? "yes" : "no");

	static struct kd_case c;
	struct kd_result kres;
	uint64_t refused = 0, run_failed = 0, compared = 0;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t s = seed ^ (i * 0xd1b54a32d192ed03ull);
		kd_gen_case(&s, &f, &c);
		int err = kd_kernel_run(&c, &kres, false);
		if (err < 0) {
			if (refused++ == 0) {
				kd_kernel_run(&c, &kres, true);
				struct bpf_insn prog[KD_MAX_INSNS];
				size_t body_at, n = kd_build(&c, KD_KERNEL, prog, &body_at);
				fprintf(stderr, "kdiff: program %" PRIu64 " refused by the kernel (%s):\n", i,
					strerror(-err));
				kd_dump_prog(prog, n, body_at);
				fprintf(stderr, "%s\n", kd_log);
			}
			continue;
		}
		if (kres.err) {
			if (run_failed++ == 0)
				fprintf(stderr, "kdiff: program %" PRIu64 ": test run failed: %s\n", i,
					strerror(-kres.err));
			continue;
		}
		compared++;
	}
	printf("kdiff: %" PRIu64 " programs run in the kernel, %" PRIu64 " refused by its verifier, %" PRIu64
	       " test runs failed\n",
	       compared, refused, run_failed);
	assert_int_equal(run_failed, 0);
	assert_true(refused * 20 <= count); /* the generator makes valid programs */
	(void)kd_remove_item;
	(void)kd_dump_diff;
}

/* }===== */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_diff_harness),
		cmocka_unit_test(test_kernel_diff_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
