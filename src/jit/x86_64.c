/* The x86-64 code generator: one eBPF program in, machine code out.
 *
 * Register map (eBPF r1..r5 are the SysV argument registers, so a helper
 * call needs no moves; r6..r9 and r10 are callee-saved, so helpers keep them):
 *
 *   r0 rax  r1 rdi  r2 rsi  r3 rdx  r4 rcx  r5 r8
 *   r6 rbx  r7 r13  r8 r14  r9 r15  r10 rbp
 *   r12: struct jit_ctx *;  r9, r10, r11: scratch (r10 holds blinded
 *   constants, r11 addresses and call targets, r9 the run at helper calls)
 *
 * Layout of an image:
 *
 *   entry:  save the host registers the program needs, r12 = ctx, r10 =
 *           stack top, r1/r2 = mem, named registers 0; with local calls it
 *           then calls pc 0 and every `exit` is `ret`, a leaf program runs
 *           on in the entry's frame and its exits jump to the epilogue
 *   after:  (epilogue) store r0..r10 in ctx->regs, restore, return r0
 *   body:   one piece per instruction (a mov+add pair may become one lea)
 *   cold:   fault sites (r9 = aux, r10d = pc | kind; jmp fault), divisors
 *           0 and -1, and in checked mode a second copy of each basic block
 *           that counts instructions one by one
 *   stubs:  unwind, fault, LD_ABS miss; checked mode: region windows and
 *           the full region check; the retpoline thunk
 *
 * A local call checks the depth (r10 against ctx->min_fp), pushes the
 * callee-saved registers the program names, moves r10 down one frame and
 * calls; native sp stays 16-byte aligned in every body (helpers may use SSE).
 *
 * Checked mode.  Each basic block starts with `sub budget, n; jb precise`:
 * the whole block is paid at once.  If the budget cannot pay for it, the
 * precise copy pays instruction by instruction and so faults at exactly the
 * instruction the interpreter faults at, after the same side effects.  A
 * block that ends early (a memory fault, an LD_ABS miss) gives back what it
 * did not run, so the count always equals the interpreter's.  Every load,
 * store and atomic first tests the run's first two regions (stack, memory)
 * inline, then calls jit_rt_check(), which runs vm_access_ok(): the same
 * code as the interpreter, so the two agree by construction.
 *
 * Code size is found by passes: every pass lays out the code using the
 * label offsets of the pass before (unknown ones assumed far); jumps shrink
 * to rel8 as offsets become known; a pass that reproduces every label is
 * exact.  After too many passes all jumps are forced to rel32 and layout
 * converges in two more.
 *
 * Beyond one instruction at a time (main code only; precise copies stay
 * literal): a forward walk knows which registers have zero top bits or hold
 * a known constant (no zero-extension after narrow loads and byte swaps, no
 * mov of a value already there); mov+add is one lea; clang's remainder
 * (div, mul, sub) is one div; in trusted mode a div keeps rax/rdx only if
 * r0/r3 are read again; leaf programs that call nothing skip the stack
 * alignment pad and, when nothing can end them early, the unwind pointer;
 * loop heads start on 32-byte boundaries.
 *
 * Behaviour differing from the interpreter, by design: after a helper call
 * r1-r5 hold whatever the helper left (the kernel's convention; the loader
 * refuses programs that read them before writing them again).
 */
#if HIVE_JIT_X86_64

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/helpers.h"
#include "jit/jit.h"
#include "jit/x86_emit.h"
#include "maps/map.h"

static const uint8_t x86_map[11] = {RAX, RDI, RSI, RDX, RCX, R8, RBX, R13, R14, R15, RBP};

#define REG_CTX R12
#define REG_BLIND R10 /* blinded constants (the kernel's BPF_REG_AX) */
#define REG_AUX R11

/* LBL_WIN + 2*log2(size) + write: the inline-window checks */
enum { LBL_AFTER, LBL_STORE, LBL_DONE, LBL_UNWIND, LBL_FAULT, LBL_CHECK, LBL_ABS_MISS, LBL_THUNK, LBL_WIN, LBL__COUNT = LBL_WIN + 8 };
enum { NOLBL = UINT32_MAX };

/* An out-of-line fault site: report @kind at @pc with aux (a register's
 * value when reg != 0xff, else the constant).  COLD_DIV is not a fault
 * either: the rare divisors 0 and -1, out of the hot path; it goes on at the
 * next instruction.  COLD_REFUND is not a fault:
 * LD_ABS missed the packet, the program ends; give back the unrun part of
 * the block (aux) first.  COLD_LEA_X/K is not a fault: the sum x86_fuse_bound
 * left out, host registers reg = base + aux (a host register) or + aux (a
 * constant), then on to instruction pc. */
enum { COLD_LEA_X = 12, COLD_LEA_K = 13, COLD_DIV = 14, COLD_REFUND = 15 };
struct x86_cold {
	uint32_t pc;
	uint8_t kind;
	uint8_t reg;   /* host register holding aux, or 0xff */
	uint8_t ebpf;  /* the eBPF register of a callx */
	uint8_t base;  /* COLD_LEA_*: the host register the sum starts from */
	uint32_t aux;
};

struct x86_jit {
	struct x86_buf b;
	const struct hive_prog *prog;
	const struct vm_insn *code;
	uint32_t cnt;
	bool checked, harden, retpoline;
	uint64_t seed, rng;
	uintptr_t base;  /* where the code will run, 0 while unknown */
	bool force_long; /* all jumps rel32: layout no longer depends on distances */
	/* labels: pc 0..cnt, precise copies cnt+1.., named, then cold stubs */
	uint32_t *cur, *prev;
	size_t nlbl, ncap, nprev;
	uint32_t anchor;   /* the label placed last */
	struct x86_cold *cold;
	uint32_t ncold, cold_cap;
	uint8_t *leader;   /* pc starts a basic block */
	uint32_t *blen;    /* at a leader: instructions in its block */
	uint32_t *rest;    /* instructions after this one in its block */
	bool precise;      /* emitting a precise copy: nothing to give back */
	uint32_t pc;       /* the instruction being emitted */
	bool leaf;         /* no local calls: the body runs in the entry's frame */
	size_t entry_off;  /* the main entry (after the callback entry, if any) */
	size_t fn_off;     /* the plain C entry of a standalone image, else 0 */
	bool calls_helpers; /* the code calls a helper or a map function (inlined array lookups do not) */
	bool bmi2;         /* shlx/shrx/sarx */
	uint16_t used;     /* eBPF registers the program names */
	int npush;         /* host registers pushed by the entry */
	uint8_t pushed[8];
	uint8_t callee_saved[5]; /* saved at a local call */
	int ncallee;
	bool calls_out;    /* the body calls C (helpers, checked-mode checks) */
	bool unwinds;      /* something may end the run early: keep exit_sp */
	/* What main code knows about r0..r10 before the instruction being
	 * emitted (never used in precise copies): the value is below 2^kw[r],
	 * and equals kv[r] when kc[r].  Forgotten at every jump target. */
	uint8_t kw[11];
	bool kc[11];
	uint64_t kv[11];
	bool kmap[11];     /* kv[r] is a map pointer a map LDDW loaded */
	bool dst_w32;      /* the instruction's dst is known to fit 32 bits */
	uint32_t div_next; /* the instruction after the div being emitted */
};

/* leader[] bits */
enum { LEAD_BLOCK = 1, LEAD_LOOP = 2, LEAD_TARGET = 4, LEAD_ALIGN = 8 };

static uint32_t x86_lbl_pc(const struct x86_jit *j, uint32_t pc) { (void)j; return pc; }
static uint32_t x86_lbl_pre(const struct x86_jit *j, uint32_t pc) { return j->cnt + 1 + pc; }
static uint32_t x86_lbl(const struct x86_jit *j, unsigned k) { return 2 * (j->cnt + 1) + k; }
static uint32_t x86_lbl_cold(const struct x86_jit *j, uint32_t i) { return 2 * (j->cnt + 1) + LBL__COUNT + i; }

static void x86_place(struct x86_jit *j, uint32_t id)
{
	if (id >= j->ncap) {
		size_t ncap = (id + 1) * 2;
		uint32_t *n = jit_realloc(j->cur, ncap * sizeof(*n));
		if (!n) {
			j->b.oom = true;
			return;
		}
		for (size_t i = j->ncap; i < ncap; i++)
			n[i] = NOLBL;
		j->cur = n;
		j->ncap = ncap;
	}
	j->cur[id] = (uint32_t)j->b.len;
	if (id >= j->nlbl)
		j->nlbl = id + 1;
	j->anchor = id;
}

/* Best known offset of label @id: this pass's if already placed, else the last pass's. */
static uint32_t x86_target(const struct x86_jit *j, uint32_t id)
{
	if (id < j->ncap && j->cur[id] != NOLBL)
		return j->cur[id];
	if (id < j->nprev)
		return j->prev[id];
	return NOLBL;
}

/* jcc (cc >= 0) or jmp (cc < 0) to label @id.  A label behind is exact; a
 * label ahead is judged by its distance in the last pass (measured from the
 * last label placed), which code only shrinks: so a jump made short stays
 * short, and distances far down a large program are not thrown off by the
 * shrinking of everything before them. */
static void x86_jump(struct x86_jit *j, int cc, uint32_t id)
{
	uint32_t t = x86_target(j, id);
	int64_t pos = (int64_t)j->b.len;
	int64_t est = t == NOLBL ? INT32_MAX : (int64_t)t - (pos + 2);
	if (t != NOLBL && !(id < j->ncap && j->cur[id] != NOLBL)) {
		bool anchored = j->anchor < j->nprev && j->prev[j->anchor] != NOLBL;
		est = anchored ? (int64_t)t - ((int64_t)j->prev[j->anchor] + (pos - j->cur[j->anchor]) + 2) : INT32_MAX;
	}
	if (t != NOLBL && !j->force_long && x86_is_imm8(est)) {
		x86_byte(&j->b, cc < 0 ? 0xeb : (uint8_t)(0x70 | cc));
		x86_byte(&j->b, (uint8_t)((int64_t)t - (pos + 2)));
		return;
	}
	int len = cc < 0 ? 5 : 6;
	int64_t d = t == NOLBL ? 0 : (int64_t)t - (pos + len);
	if (cc < 0) {
		x86_byte(&j->b, 0xe9);
	} else {
		x86_byte(&j->b, 0x0f);
		x86_byte(&j->b, (uint8_t)(0x80 | cc));
	}
	x86_u32(&j->b, (uint32_t)(int32_t)d);
}

static void x86_call_lbl(struct x86_jit *j, uint32_t id)
{
	uint32_t t = x86_target(j, id);
	int64_t d = t == NOLBL ? 0 : (int64_t)t - ((int64_t)j->b.len + 5);
	x86_byte(&j->b, 0xe8);
	x86_u32(&j->b, (uint32_t)(int32_t)d);
}

/* Call C code at @fn: direct when within rel32 of the image, else through
 * r11 (and the retpoline thunk when asked). */
static void x86_call_abs(struct x86_jit *j, uintptr_t fn)
{
	if (j->base) {
		int64_t d = (int64_t)fn - (int64_t)(j->base + j->b.len + 5);
		if (d > INT32_MIN + (1 << 24) && d < INT32_MAX - (1 << 24)) {
			x86_byte(&j->b, 0xe8);
			x86_u32(&j->b, (uint32_t)(int32_t)d);
			return;
		}
	}
	x86_movabs(&j->b, REG_AUX, fn);
	if (j->retpoline)
		x86_call_lbl(j, x86_lbl(j, LBL_THUNK));
	else
		x86_call_r(&j->b, REG_AUX);
}

static uint32_t x86_add_cold(struct x86_jit *j, uint32_t pc, unsigned kind, int reg, uint32_t aux)
{
	if (j->ncold == j->cold_cap) {
		uint32_t ncap = j->cold_cap ? j->cold_cap * 2 : 64;
		struct x86_cold *n = jit_realloc(j->cold, ncap * sizeof(*n));
		if (!n) {
			j->b.oom = true;
			return x86_lbl_cold(j, 0);
		}
		j->cold = n;
		j->cold_cap = ncap;
	}
	j->cold[j->ncold] = (struct x86_cold){.pc = pc, .kind = (uint8_t)kind, .reg = (uint8_t)reg, .aux = aux};
	for (int r = 0; r <= 10; r++)
		if (x86_map[r] == reg)
			j->cold[j->ncold].ebpf = (uint8_t)r;
	return x86_lbl_cold(j, j->ncold++);
}

static uint32_t x86_key(struct x86_jit *j)
{
	/* xorshift64*, reseeded every pass so all passes emit the same keys */
	j->rng ^= j->rng >> 12;
	j->rng ^= j->rng << 25;
	j->rng ^= j->rng >> 27;
	return (uint32_t)((j->rng * 0x2545f4914f6cdd1dull) >> 32);
}

/* REG_BLIND = sign-extended imm, written so that imm is not in the image. */
static void x86_blind(struct x86_jit *j, int32_t imm)
{
	uint32_t key = x86_key(j);
	x86_rr(&j->b, true, 0xc7, 0, REG_BLIND, false);
	x86_u32(&j->b, (uint32_t)imm ^ key);
	x86_rr(&j->b, true, 0x81, ALU_XOR, REG_BLIND, false);
	x86_u32(&j->b, key);
}

static void x86_zext(struct x86_jit *j, int r) { x86_mov_rr(&j->b, false, r, r); }

/* Zero-extend the instruction's dst unless its top half is known zero. */
static void x86_zext_dst(struct x86_jit *j, int r)
{
	if (!j->dst_w32)
		x86_zext(j, r);
}

/* {===== what main code knows about registers
 *
 * A forward walk through the main code, in emission order: the state
 * before an instruction is the state after the one before it, except at a
 * jump target (or a local call's return), where nothing is known.  Paths
 * that leave main code and come back (the cold divisor stubs) change only
 * the dst of their instruction, which the walk treats as unknown anyway. */

static uint8_t x86_bits(uint64_t v) { return (uint8_t)(v ? 64 - __builtin_clzll(v) : 0); }

static void x86_know_reset(struct x86_jit *j)
{
	for (int r = 0; r <= 10; r++) {
		j->kw[r] = 64;
		j->kc[r] = j->kmap[r] = false;
	}
}

static void x86_know_value(struct x86_jit *j, int r, uint64_t v)
{
	j->kw[r] = x86_bits(v);
	j->kc[r] = true;
	j->kv[r] = v;
	j->kmap[r] = false;
}

/* The state after instruction @pc, from the state before it. */
static void x86_know_update(struct x86_jit *j, uint32_t pc)
{
	const struct vm_insn *in = &j->code[pc];
	const struct isa_row *row = &isa_rows[in->op];
	uint16_t rd, wr;
	int d = in->dst, s = in->src;
	bool w32 = row->flags & ISA_F_ALU32;
	unsigned op = ISA_OP(row->code);
	uint8_t sw = j->kw[s];
	bool sc = j->kc[s];
	uint64_t sv = j->kv[s];

	switch (row->fmt) {
	case FMT_CALL:
		for (int r = 0; r <= 5; r++)
			j->kw[r] = 64, j->kc[r] = j->kmap[r] = false;
		return;
	case FMT_CALLX:
	case FMT_CALL_LOCAL:
	case FMT_EXIT: /* what follows is reached some other way, if at all */
	case FMT_JA:
	case FMT_JA32:
		x86_know_reset(j);
		return;
	default:
		break;
	}
	isa_regs(row, &j->prog->insns[pc], &rd, &wr);
	if ((row->fmt == FMT_ALU_K || row->fmt == FMT_ALU_X) && (op == ISA_DIV || op == ISA_MOD))
		wr |= 1u << 0 | 1u << 3; /* x86_div leaves rax/rdx (r0/r3) clobbered when dead */
	for (int r = 0; r <= 10; r++)
		if (wr & (1u << r))
			j->kw[r] = 64, j->kc[r] = j->kmap[r] = false;
	switch (row->fmt) {
	case FMT_ALU_K:
		if (op == ISA_MOV) {
			x86_know_value(j, d, w32 ? (uint32_t)in->imm : (uint64_t)(int64_t)in->imm);
		} else if (op == ISA_AND && (w32 || in->imm >= 0)) {
			j->kw[d] = x86_bits(w32 ? (uint32_t)in->imm : (uint64_t)in->imm);
		} else if (op == ISA_RSH) {
			unsigned k = (unsigned)in->imm & (w32 ? 31 : 63);
			j->kw[d] = (uint8_t)((w32 ? 32 : 64) - k);
		} else if (w32) {
			j->kw[d] = 32;
		}
		break;
	case FMT_ALU_X:
		if (op == ISA_MOV) {
			j->kw[d] = w32 && sw > 32 ? 32 : sw;
			j->kc[d] = sc;
			j->kv[d] = w32 ? (uint32_t)sv : sv;
			j->kmap[d] = !w32 && j->kmap[s];
		} else if (w32) {
			j->kw[d] = 32;
		}
		break;
	case FMT_NEG:
	case FMT_MOVSX:
		if (w32)
			j->kw[d] = 32;
		break;
	case FMT_END:
		j->kw[d] = (uint8_t)(in->imm < 64 ? in->imm : 64);
		break;
	case FMT_LDX:
		if (ISA_MODE(row->code) == ISA_MEM)
			j->kw[d] = (uint8_t)(8 * isa_access_size(row->code));
		break;
	case FMT_LDABS:
	case FMT_LDIND:
		j->kw[0] = (uint8_t)(8 * isa_access_size(row->code));
		break;
	case FMT_LDDW:
		x86_know_value(j, d, (uint32_t)in->imm | (uint64_t)(uint32_t)j->code[pc + 1].imm << 32);
		j->kmap[d] = in->src == 1 || in->src == 5; /* PSEUDO_MAP_FD/IDX: the map itself */
		break;
	default:
		break;
	}
}

/* }===== */

/* {===== ALU */

/* dst = dst / dv or dst % dv, dv nonzero and (signed) not -1; dv is REG_AUX. */
/* Trusted mode: is eBPF register @r written, on the straight path from
 * instruction @from on, before anything reads it or the path branches,
 * calls or ends?  (Checked mode says no: any access may fault, and a fault
 * reports every register.) */
static bool x86_dead_from(const struct x86_jit *j, uint32_t from, int r)
{
	if (j->checked)
		return false;
	for (uint32_t pc = from; pc < j->cnt; pc += j->code[pc].op == OP_LDDW ? 2 : 1) {
		const struct isa_row *row = &isa_rows[j->code[pc].op];
		if (j->code[pc].op == OP_INVALID || (row->flags & ISA_F_JUMP) || row->fmt == FMT_CALL ||
		    row->fmt == FMT_CALLX || row->fmt == FMT_CALL_LOCAL || row->fmt == FMT_EXIT ||
		    row->fmt == FMT_LDABS || row->fmt == FMT_LDIND)
			return false;
		uint16_t rd, wr;
		isa_regs(row, &j->prog->insns[pc], &rd, &wr);
		if (rd & (1u << r))
			return false;
		if (wr & (1u << r))
			return true;
	}
	return false;
}

/* dst = src / dv or src % dv; dv is neither rax nor rdx */
static void x86_div(struct x86_jit *j, bool w, bool sgn, bool mod, int dst, int src, int dv)
{
	struct x86_buf *b = &j->b;
	/* rax and rdx are r0 and r3: kept around the div unless dead */
	bool keep_rax = dst != RAX && !x86_dead_from(j, j->div_next, 0);
	bool keep_rdx = dst != RDX && (j->used & (1u << 3)) && !x86_dead_from(j, j->div_next, 3);
	if (keep_rax)
		x86_mov_rr(b, true, R9, RAX);
	if (keep_rdx)
		x86_mov_rr(b, true, R10, RDX);
	if (src != RAX)
		x86_mov_rr(b, w, RAX, src);
	if (sgn) {
		x86_rex(b, w, 0, 0, false);
		x86_byte(b, 0x99); /* cdq / cqo */
	} else {
		x86_alu_rr(b, false, ALU_XOR, RDX, RDX);
	}
	x86_rr(b, w, 0xf7, sgn ? 7 : 6, dv, false);
	int res = mod ? RDX : RAX;
	if (dst != res)
		x86_mov_rr(b, w, dst, res); /* a 32-bit div already zero-extended res */
	if (keep_rdx)
		x86_mov_rr(b, true, RDX, R10);
	if (keep_rax)
		x86_mov_rr(b, true, RAX, R9);
}

/* div/mod by a register: kernel semantics for 0 and for INT_MIN / -1. */
static void x86_divmod_reg(struct x86_jit *j, bool w, bool sgn, bool mod, int dst, int src, int dv);

static void x86_divmod_x(struct x86_jit *j, bool w, bool sgn, bool mod, int dst, int src)
{
	x86_mov_rr(&j->b, w, REG_AUX, src);
	x86_divmod_reg(j, w, sgn, mod, dst, dst, REG_AUX);
}

/* dst = src / dv or src % dv, dv a register other than rax and rdx; when
 * src is not dst, dv may be dst (dst is written only after the div). */
static void x86_divmod_reg(struct x86_jit *j, bool w, bool sgn, bool mod, int dst, int src, int dv)
{
	struct x86_buf *b = &j->b;
	if (src != dst && (sgn || j->precise)) {
		/* only the unsigned hot path below divides from elsewhere */
		if (dv == dst) {
			x86_mov_rr(b, w, REG_AUX, dv);
			dv = REG_AUX;
		}
		x86_mov_rr(b, w, dst, src);
		src = dst;
	}
	x86_rr(b, w, 0x85, dv, dv, false); /* test */
	if (!j->precise) {
		/* the hot path falls through; 0 and -1 are handled out of line;
		 * x % 0 = x takes x from src (bit 11, src in bits 12-15) */
		uint32_t what = (uint32_t)dst | (uint32_t)w << 8 | (uint32_t)mod << 9;
		if (src != dst)
			what |= 1u << 11 | (uint32_t)src << 12;
		x86_jump(j, CC_E, x86_add_cold(j, j->pc, COLD_DIV, 0xff, what));
		if (sgn) {
			x86_alu_ri(b, w, ALU_CMP, dv, -1);
			x86_jump(j, CC_E, x86_add_cold(j, j->pc, COLD_DIV, 0xff, what | 1u << 10));
		}
		x86_div(j, w, sgn, mod, dst, src, dv);
		return;
	}
	size_t jz = x86_jcc8(b, CC_E);
	size_t jm1 = 0;
	if (sgn) {
		x86_alu_ri(b, w, ALU_CMP, dv, -1);
		jm1 = x86_jcc8(b, CC_E);
	}
	x86_div(j, w, sgn, mod, dst, src, dv);
	size_t jdone = x86_jmp8(b);
	x86_patch8(b, jz);
	/* by 0: div gives 0, mod leaves dst (zero-extended when 32-bit) */
	if (!mod)
		x86_alu_rr(b, false, ALU_XOR, dst, dst);
	else if (!w)
		x86_zext(j, dst);
	size_t jdone2 = 0;
	if (sgn) {
		jdone2 = x86_jmp8(b);
		x86_patch8(b, jm1);
		/* by -1: sdiv negates (INT_MIN stays INT_MIN), smod gives 0 */
		if (mod)
			x86_alu_rr(b, false, ALU_XOR, dst, dst);
		else
			x86_rr(b, w, 0xf7, 3, dst, false);
		x86_patch8(b, jdone2);
	}
	x86_patch8(b, jdone);
}

static void x86_shift_x(struct x86_jit *j, bool w, enum x86_shift op, int dst, int src)
{
	struct x86_buf *b = &j->b;
	if (j->bmi2 && op != SH_ROR) {
		/* shlx/shrx/sarx dst, dst, src: any count register, masked like eBPF */
		static const uint8_t pp[8] = {[SH_SHL] = 1, [SH_SHR] = 3, [SH_SAR] = 2};
		x86_byte(b, 0xc4);
		x86_byte(b, (uint8_t)((~dst & 8) << 4 | 0x40 | (~dst & 8) << 2 | 0x02));
		x86_byte(b, (uint8_t)((w ? 0x80 : 0) | (~src & 15) << 3 | pp[op]));
		x86_byte(b, 0xf7);
		x86_byte(b, (uint8_t)(0xc0 | (dst & 7) << 3 | (dst & 7)));
		return;
	}
	if (src == RCX) {
		x86_rr(b, w, 0xd3, op, dst, false);
		return;
	}
	if (!(j->used & (1u << 4))) { /* r4 is never named: rcx is free */
		x86_mov_rr(b, false, RCX, src);
		x86_rr(b, w, 0xd3, op, dst, false);
		return;
	}
	x86_mov_rr(b, true, REG_AUX, RCX);
	x86_mov_rr(b, false, RCX, src);
	/* when dst is rcx its value is in r11: shift it there */
	x86_rr(b, w, 0xd3, op, dst == RCX ? REG_AUX : dst, false);
	x86_mov_rr(b, true, RCX, REG_AUX);
}

/* dst op= src for an ALU_X row (src may also be REG_BLIND). */
static void x86_alu_x(struct x86_jit *j, unsigned op, bool sgn, bool w, int dst, int src)
{
	struct x86_buf *b = &j->b;
	switch (op) {
	case ISA_ADD: x86_alu_rr(b, w, ALU_ADD, dst, src); break;
	case ISA_SUB: x86_alu_rr(b, w, ALU_SUB, dst, src); break;
	case ISA_OR: x86_alu_rr(b, w, ALU_OR, dst, src); break;
	case ISA_AND: x86_alu_rr(b, w, ALU_AND, dst, src); break;
	case ISA_XOR: x86_alu_rr(b, w, ALU_XOR, dst, src); break;
	case ISA_MUL: x86_rr(b, w, 0x0faf, dst, src, false); break;
	case ISA_MOV:
		if (dst != src || (!w && !j->dst_w32))
			x86_mov_rr(b, w, dst, src);
		break;
	case ISA_LSH: x86_shift_x(j, w, SH_SHL, dst, src); break;
	case ISA_RSH: x86_shift_x(j, w, SH_SHR, dst, src); break;
	case ISA_ARSH: x86_shift_x(j, w, SH_SAR, dst, src); break;
	case ISA_DIV: x86_divmod_x(j, w, sgn, false, dst, src); break;
	case ISA_MOD: x86_divmod_x(j, w, sgn, true, dst, src); break;
	}
}


static bool x86_is_pow2(uint64_t v) { return v && !(v & (v - 1)); }
static uint8_t x86_log2(uint64_t v) { return (uint8_t)__builtin_ctzll(v); }

/* div/mod by a constant known here: no run-time checks, shifts for powers of two. */
static void x86_divmod_k(struct x86_jit *j, bool w, bool sgn, bool mod, int dst, int32_t imm)
{
	struct x86_buf *b = &j->b;
	uint64_t d = w ? (uint64_t)(int64_t)imm : (uint32_t)imm;
	if (imm == 0) {
		if (!mod)
			x86_alu_rr(b, false, ALU_XOR, dst, dst);
		else if (!w)
			x86_zext_dst(j, dst);
		return;
	}
	if (sgn && (imm == -1 || imm == 1)) {
		if (mod)
			x86_alu_rr(b, false, ALU_XOR, dst, dst);
		else if (imm == -1)
			x86_rr(b, w, 0xf7, 3, dst, false); /* neg */
		else if (!w)
			x86_zext_dst(j, dst);
		return;
	}
	if (!sgn && x86_is_pow2(d)) {
		if (mod && d - 1 <= INT32_MAX) {
			x86_alu_ri(b, w, ALU_AND, dst, (int32_t)(d - 1));
			return;
		}
		if (!mod) {
			if (d == 1) {
				if (!w)
					x86_zext_dst(j, dst);
			} else {
				x86_shift_ri(b, w, SH_SHR, dst, x86_log2(d));
			}
			return;
		}
	}
	x86_mov_ri(b, REG_AUX, w ? d : (uint32_t)d);
	x86_div(j, w, sgn, mod, dst, dst, REG_AUX);
}

static void x86_alu_k(struct x86_jit *j, unsigned op, bool sgn, bool w, int dst, int32_t imm)
{
	struct x86_buf *b = &j->b;
	switch (op) {
	case ISA_ADD:
	case ISA_SUB:
	case ISA_OR:
	case ISA_XOR:
		if (imm == 0) {
			if (!w)
				x86_zext_dst(j, dst);
			return;
		}
		x86_alu_ri(b, w, op == ISA_ADD ? ALU_ADD : op == ISA_SUB ? ALU_SUB : op == ISA_OR ? ALU_OR : ALU_XOR,
			   dst, imm);
		return;
	case ISA_AND:
		if (imm == 0)
			x86_alu_rr(b, false, ALU_XOR, dst, dst);
		else if (imm == -1)
			(w ? (void)0 : x86_zext_dst(j, dst));
		else if (imm > 0)
			x86_alu_ri(b, false, ALU_AND, dst, imm); /* a 32-bit and clears the top too */
		else
			x86_alu_ri(b, w, ALU_AND, dst, imm);
		return;
	case ISA_MUL:
		if (imm == 0) {
			x86_alu_rr(b, false, ALU_XOR, dst, dst);
		} else if (imm == 1) {
			if (!w)
				x86_zext_dst(j, dst);
		} else if (imm > 0 && x86_is_pow2((uint64_t)imm)) {
			x86_shift_ri(b, w, SH_SHL, dst, x86_log2((uint64_t)imm));
		} else if (x86_is_imm8(imm)) {
			x86_rr(b, w, 0x6b, dst, dst, false);
			x86_byte(b, (uint8_t)imm);
		} else {
			x86_rr(b, w, 0x69, dst, dst, false);
			x86_u32(b, (uint32_t)imm);
		}
		return;
	case ISA_MOV:
		x86_mov_ri(b, dst, w ? (uint64_t)(int64_t)imm : (uint32_t)imm);
		return;
	case ISA_LSH:
	case ISA_RSH:
	case ISA_ARSH: {
		uint8_t n = (uint8_t)(imm & (w ? 63 : 31));
		if (n == 0) {
			if (!w)
				x86_zext_dst(j, dst);
			return;
		}
		x86_shift_ri(b, w, op == ISA_LSH ? SH_SHL : op == ISA_RSH ? SH_SHR : SH_SAR, dst, n);
		return;
	}
	case ISA_DIV: x86_divmod_k(j, w, sgn, false, dst, imm); return;
	case ISA_MOD: x86_divmod_k(j, w, sgn, true, dst, imm); return;
	}
}

/* Operations whose constant the kernel blinds (shift counts are not). */
static bool x86_blinds(unsigned op)
{
	return op != ISA_LSH && op != ISA_RSH && op != ISA_ARSH;
}

/* Byte swaps; @kbits: dst is known to be below 2^kbits (64: nothing known). */
static void x86_end(struct x86_jit *j, uint8_t code, int32_t width, int dst, unsigned kbits)
{
	struct x86_buf *b = &j->b;
	/* ALU|END|K is "to little endian": a no-op on this host but for truncation */
	bool swap = ISA_CLASS(code) == ISA_ALU64 || ISA_SRCBIT(code);
	if (!swap) {
		if (width == 16 && kbits > 16)
			x86_rr(b, false, 0x0fb7, dst, dst, false);
		else if (width == 32 && kbits > 32)
			x86_zext(j, dst);
		return;
	}
	if (width == 16) {
		/* rotating the low word leaves bits 16-63 alone: already zero? */
		x86_byte(b, 0x66);
		x86_shift_ri(b, false, SH_ROR, dst, 8);
		if (kbits > 16)
			x86_rr(b, false, 0x0fb7, dst, dst, false);
	} else {
		x86_rex(b, width == 64, 0, dst, false);
		x86_byte(b, 0x0f);
		x86_byte(b, (uint8_t)(0xc8 + (dst & 7)));
	}
}

static void x86_movsx(struct x86_jit *j, bool w, int16_t bits, int dst, int src)
{
	struct x86_buf *b = &j->b;
	if (bits == 8)
		x86_rr(b, w, 0x0fbe, dst, src, true);
	else if (bits == 16)
		x86_rr(b, w, 0x0fbf, dst, src, false);
	else
		x86_rr(b, true, 0x63, dst, src, false);
}

/* }===== */

/* {===== memory */

/* Checked mode: fault unless [base+off, +size) is allowed. */
static void x86_check(struct x86_jit *j, uint32_t pc, int base, int16_t off, unsigned size, uint32_t flags)
{
	if (!j->checked)
		return;
	uint64_t refund = j->precise ? 0 : j->rest[pc];
	x86_rm(&j->b, true, 0x8d, REG_AUX, base, off, false); /* lea */
	x86_mov_ri(&j->b, REG_BLIND, refund << 32 | pc | (uint32_t)size << JIT_CHK_SIZE_SHIFT | flags);
	if (flags & JIT_CHK_ATOMIC)
		x86_call_lbl(j, x86_lbl(j, LBL_CHECK));
	else
		x86_call_lbl(j, x86_lbl(j, LBL_WIN + 2 * x86_log2(size) + !!(flags & JIT_CHK_WRITE)));
}

static void x86_load(struct x86_jit *j, uint8_t code, int dst, int src, int16_t off)
{
	unsigned size = isa_access_size(code);
	bool sx = ISA_MODE(code) == ISA_MEMSX;
	unsigned op;
	bool w = false;
	switch (size) {
	case 1: op = sx ? 0x0fbe : 0x0fb6; w = sx; break;
	case 2: op = sx ? 0x0fbf : 0x0fb7; w = sx; break;
	case 4: op = sx ? 0x63 : 0x8b; w = sx; break;
	default: op = 0x8b; w = true; break;
	}
	x86_rm(&j->b, w, op, dst, src, off, false);
}

static void x86_store_r(struct x86_jit *j, unsigned size, int base, int16_t off, int src)
{
	struct x86_buf *b = &j->b;
	if (size == 2)
		x86_byte(b, 0x66);
	x86_rm(b, size == 8, size == 1 ? 0x88 : 0x89, src, base, off, size == 1);
}

static void x86_store_k(struct x86_jit *j, unsigned size, int base, int16_t off, int32_t imm)
{
	struct x86_buf *b = &j->b;
	if (j->harden) {
		x86_blind(j, imm);
		x86_store_r(j, size, base, off, REG_BLIND);
		return;
	}
	if (size == 2)
		x86_byte(b, 0x66);
	x86_rm(b, size == 8, size == 1 ? 0xc6 : 0xc7, 0, base, off, false);
	if (size == 1)
		x86_byte(b, (uint8_t)imm);
	else if (size == 2)
		x86_u16(b, (uint16_t)imm);
	else
		x86_u32(b, (uint32_t)imm);
}

static void x86_atomic(struct x86_jit *j, int32_t aop, bool w, int dst, int16_t off, int src)
{
	struct x86_buf *b = &j->b;
	switch (aop) {
	case ISA_AADD:
	case ISA_AOR:
	case ISA_AAND:
	case ISA_AXOR:
		x86_byte(b, 0xf0);
		x86_rm(b, w, aop == ISA_AADD ? 0x01 : aop == ISA_AOR ? 0x09 : aop == ISA_AAND ? 0x21 : 0x31, src,
		       dst, off, false);
		return;
	case ISA_AADD | ISA_FETCH:
		x86_byte(b, 0xf0);
		x86_rm(b, w, 0x0fc1, src, dst, off, false);
		return;
	case ISA_XCHG:
		x86_rm(b, w, 0x87, src, dst, off, false);
		return;
	case ISA_CMPXCHG:
		x86_byte(b, 0xf0);
		x86_rm(b, w, 0x0fb1, src, dst, off, false);
		if (!w)
			x86_zext(j, RAX); /* success leaves rax's top half alone */
		return;
	}
	/* fetch-or/and/xor: a cmpxchg loop; rax (r0) is saved in r10 */
	enum x86_alu op = aop == (ISA_AOR | ISA_FETCH) ? ALU_OR : aop == (ISA_AAND | ISA_FETCH) ? ALU_AND : ALU_XOR;
	x86_rm(b, true, 0x8d, REG_AUX, dst, off, false);
	x86_mov_rr(b, true, R10, RAX);
	int s = src == RAX ? R10 : src;
	x86_rm(b, w, 0x8b, RAX, REG_AUX, 0, false);
	size_t loop = b->len;
	x86_mov_rr(b, w, R9, RAX);
	x86_alu_rr(b, w, op, R9, s);
	x86_byte(b, 0xf0);
	x86_rm(b, w, 0x0fb1, R9, REG_AUX, 0, false);
	x86_byte(b, 0x70 | CC_NE);
	x86_byte(b, (uint8_t)(int8_t)((int64_t)loop - (int64_t)(b->len + 1)));
	if (src != RAX) {
		x86_mov_rr(b, w, src, RAX);
		x86_mov_rr(b, true, RAX, R10);
	}
}

/* LD_ABS / LD_IND: r0 = big-endian packet[r11]; a miss ends the program with r0 = 0. */
static void x86_ld_pkt(struct x86_jit *j, uint32_t pc, unsigned size)
{
	struct x86_buf *b = &j->b;
	uint32_t miss = x86_lbl(j, LBL_ABS_MISS);
	if (j->checked && !j->precise && j->rest[pc])
		miss = x86_add_cold(j, pc, COLD_REFUND, 0xff, j->rest[pc]);
	x86_rm(b, true, 0x8b, R10, REG_CTX, JIT_CTX_MEM_SIZE, false);
	x86_alu_ri(b, true, ALU_SUB, R10, (int32_t)size);
	x86_jump(j, CC_B, miss);
	x86_alu_rr(b, true, ALU_CMP, REG_AUX, R10);
	x86_jump(j, CC_A, miss);
	x86_rm(b, true, 0x03, REG_AUX, REG_CTX, JIT_CTX_MEM, false); /* add r11, [ctx.mem] */
	if (size == 4) {
		x86_rm(b, false, 0x8b, RAX, REG_AUX, 0, false);
		x86_end(j, ISA_ALU64 | ISA_END, 32, RAX, 32);
	} else if (size == 2) {
		x86_rm(b, false, 0x0fb7, RAX, REG_AUX, 0, false);
		x86_end(j, ISA_ALU64 | ISA_END, 16, RAX, 16);
	} else {
		x86_rm(b, false, 0x0fb6, RAX, REG_AUX, 0, false);
	}
}

/* }===== */

/* {===== calls */

static void x86_helper_call(struct x86_jit *j, uint32_t pc, uintptr_t fn, bool indirect_in_aux)
{
	struct x86_buf *b = &j->b;
	j->calls_helpers = true;
	x86_rm(b, true, 0x8b, R9, REG_CTX, JIT_CTX_RUN, false); /* 6th argument: the run */
	if (indirect_in_aux) {
		if (j->retpoline)
			x86_call_lbl(j, x86_lbl(j, LBL_THUNK));
		else
			x86_call_r(b, REG_AUX);
	} else {
		x86_call_abs(j, fn);
	}
	if (j->checked) {
		/* the helper may have opened regions (hive_run_allow) */
		x86_push(b, RAX);
		x86_alu_ri(b, true, ALU_SUB, RSP, 8);
		x86_mov_rr(b, true, RDI, REG_CTX);
		x86_call_abs(j, (uintptr_t)jit_rt_refresh);
		x86_alu_ri(b, true, ALU_ADD, RSP, 8);
		x86_pop(b, RAX);
	}
	/* a helper may have stopped the run (hive_run_abort) */
	x86_rm(b, true, 0x8b, REG_AUX, REG_CTX, JIT_CTX_RUN, false);
	x86_rm(b, false, 0x83, ALU_CMP, REG_AUX, (int32_t)offsetof(struct hive_run, err), false);
	x86_byte(b, 0);
	x86_jump(j, CC_NE, x86_add_cold(j, pc, JIT_FAULT_ABORTED, 0xff, 0));
}

static bool x86_entry_pad(const struct x86_jit *j);

/* {===== callbacks and tail calls (vm.h: nested calls on the run)
 *
 * A helper that may run program code (bpf_loop, for_each_map_elem, a tail
 * call, any callx) finds the calling frame in run->fp: stored before the
 * call.  A tail call's target runs nested (jit_call -> its image's entry,
 * in this frame); when the helper reports it ran (run->tail_done) this
 * frame exits with its r0.  Programs with callbacks get a second entry at
 * offset 0 of the image (jit_cb_fn), shaped like the main entry, which
 * calls the subprogram named by pc. */

/* run->fp = r10 (r10 as scratch: r11 may hold a callx target) */
static void x86_publish_fp(struct x86_jit *j)
{
	x86_rm(&j->b, true, 0x8b, R10, REG_CTX, JIT_CTX_RUN, false);
	x86_rm(&j->b, true, 0x89, RBP, R10, (int32_t)offsetof(struct hive_run, fp), false);
}

/* if (run->tail_done) { run->tail_done = 0; exit this frame with r0 } */
static void x86_tail_exit(struct x86_jit *j)
{
	struct x86_buf *b = &j->b;
	int32_t off = (int32_t)offsetof(struct hive_run, tail_done);
	x86_rm(b, true, 0x8b, REG_AUX, REG_CTX, JIT_CTX_RUN, false);
	x86_rm(b, false, 0x80, ALU_CMP, REG_AUX, off, false);
	x86_byte(b, 0);
	size_t skip = x86_jcc8(b, CC_E);
	x86_rm(b, false, 0xc6, 0, REG_AUX, off, false);
	x86_byte(b, 0);
	if (!j->leaf)
		x86_ret(b);
	else
		x86_jump(j, -1, x86_lbl(j, LBL_AFTER));
	x86_patch8(b, skip);
}

/* Helper calls that may run program code. */
/* {===== array lookups inline (the kernel's array_map_gen_lookup)
 *
 * A trusted program's bpf_map_lookup_elem on a plain array whose map the
 * JIT knows at the call (r1 loaded with the map's LDDW in the same basic
 * block) needs no call: r0 = key < max_entries ? values + key * elem : 0.
 * Only where the built-in helper is the one registered. */

/* The map of built-in map helper call @in (fn its function) in trusted main
 * code, when r1 is known to hold it; else NULL. */
static const struct hive_map *x86_known_map(const struct x86_jit *j, const struct vm_insn *in, hive_helper_fn fn)
{
	if (j->checked || j->precise || !j->kc[1] || !j->kmap[1] || !fn || fn != helpers_builtin((uint32_t)in->imm))
		return NULL;
	return (const struct hive_map *)(uintptr_t)j->kv[1];
}

static const struct hive_map *x86_inline_array(const struct x86_jit *j, const struct vm_insn *in, hive_helper_fn fn)
{
	const struct hive_map *m = in->imm == 1 && !j->harden ? x86_known_map(j, in, fn) : NULL;
	if (!m || m->type != HIVE_MAP_ARRAY || !m->array_values || m->percpu ||
	    m->max_entries > INT32_MAX || m->array_elem > INT32_MAX)
		return NULL;
	return m;
}

static void x86_array_lookup(struct x86_jit *j, const struct hive_map *m)
{
	struct x86_buf *b = &j->b;
	x86_rm(b, false, 0x8b, RCX, RSI, 0, false); /* mov ecx, [r2]: the key */
	x86_alu_rr(b, false, ALU_XOR, RAX, RAX);    /* r0 = NULL */
	x86_alu_ri(b, false, ALU_CMP, RCX, (int32_t)m->max_entries);
	size_t miss = x86_jcc8(b, CC_AE);
	uint32_t elem = m->array_elem;
	if (!(elem & (elem - 1))) {
		x86_mov_rr(b, true, RAX, RCX);
		if (elem > 1)
			x86_shift_ri(b, true, SH_SHL, RAX, (uint8_t)__builtin_ctz(elem));
	} else {
		x86_rr(b, true, 0x69, RAX, RCX, false); /* imul rax, rcx, elem */
		x86_u32(b, elem);
	}
	x86_movabs(b, RDX, (uintptr_t)m->array_values);
	x86_alu_rr(b, true, ALU_ADD, RAX, RDX);
	x86_patch8(b, miss);
}

/* map_lookup_elem on another map the JIT knows (hash, LRU, trie...), and
 * map_update_elem / map_delete_elem on any it knows, go straight to the
 * map type's function with the helper's arguments, as the kernel's
 * map_gen_lookup and its direct map calls do: in a trusted run the
 * helper only forwards to map_prog_*, whose epoch section the run already
 * holds, and none of them stops the run, so the check of run->err after a
 * helper is not needed either.  A map read-only to programs keeps the
 * helper (it answers -EPERM). */
static void *x86_direct_map_call(const struct x86_jit *j, const struct vm_insn *in, hive_helper_fn fn)
{
	const struct hive_map *m = in->imm >= 1 && in->imm <= 3 ? x86_known_map(j, in, fn) : NULL;
	if (!m)
		return NULL;
	switch (in->imm) {
	case 1: return m->array_values ? NULL : (void *)m->ops->lookup;
	case 2: return m->map_flags & HIVE_F_RDONLY_PROG ? NULL : (void *)m->ops->update;
	default: return m->map_flags & HIVE_F_RDONLY_PROG ? NULL : (void *)m->ops->delete;
	}
}

/* }===== */

static bool x86_runs_code(const struct x86_jit *j, int32_t id, hive_helper_fn fn)
{
	(void)j;
	return fn == vm_helper_tail_call || id == VM_TAIL_CALL_ID || id == 164 || id == 181 || id == 170 ||
	       id == 180 || id == 209;
}

static void x86_tail_call_hook(struct x86_jit *j, uint32_t pc, uintptr_t fn)
{
	x86_publish_fp(j);
	x86_helper_call(j, pc, fn, false);
	x86_tail_exit(j);
}

/* The callback entry (jit_cb_fn): rdi = ctx, rsi = args, rdx = fp, rcx =
 * pc.  The same pushes as the main entry, so a fault's unwind (to
 * ctx->exit_sp, then LBL_DONE) returns from it; jit_call restores the
 * caller's exit_sp. */
static void x86_cb_entry(struct x86_jit *j)
{
	struct x86_buf *b = &j->b;
	if (!j->prog->ncb)
		return;
	for (int i = 0; i < j->npush; i++)
		x86_push(b, j->pushed[i]);
	if (x86_entry_pad(j))
		x86_alu_ri(b, true, ALU_SUB, RSP, 8);
	x86_mov_rr(b, true, REG_CTX, RDI);
	x86_mov_rr(b, true, RBP, RDX);
	x86_mov_rr(b, true, REG_AUX, RCX);
	x86_rm(b, true, 0x89, RSP, REG_CTX, JIT_CTX_EXIT_SP, false);
	x86_rm(b, true, 0x8b, RDI, RSI, 0, false);
	x86_rm(b, true, 0x8b, RDX, RSI, 16, false);
	x86_rm(b, true, 0x8b, RCX, RSI, 24, false);
	x86_rm(b, true, 0x8b, R8, RSI, 32, false);
	x86_rm(b, true, 0x8b, RSI, RSI, 8, false);
	static const uint8_t zero[] = {RAX, RBX, R13, R14, R15};
	for (unsigned i = 0; i < sizeof(zero); i++)
		if (i == 0 || (j->used & (1u << (i + 5))))
			x86_alu_rr(b, false, ALU_XOR, zero[i], zero[i]);
	for (uint32_t i = 0; i < j->prog->ncb; i++) {
		x86_alu_ri(b, true, ALU_CMP, REG_AUX, (int32_t)j->prog->cb_pcs[i]);
		size_t next = x86_jcc8(b, CC_NE);
		x86_call_lbl(j, x86_lbl_pc(j, j->prog->cb_pcs[i]));
		x86_jump(j, -1, x86_lbl(j, LBL_AFTER));
		x86_patch8(b, next);
	}
	x86_byte(b, 0x0f); /* ud2: jit_call only passes callbacks' pcs */
	x86_byte(b, 0x0b);
}

/* }===== */

static void x86_call_local(struct x86_jit *j, uint32_t pc, uint32_t target)
{
	struct x86_buf *b = &j->b;
	x86_rm(b, true, 0x3b, RBP, REG_CTX, JIT_CTX_MIN_FP, false); /* cmp rbp, [ctx.min_fp] */
	x86_jump(j, CC_B, x86_add_cold(j, pc, JIT_FAULT_DEPTH, 0xff, 0));
	for (int i = 0; i < j->ncallee; i++)
		x86_push(b, j->callee_saved[i]);
	x86_alu_ri(b, true, ALU_SUB, RBP, HIVE_STACK_SIZE);
	x86_call_lbl(j, x86_lbl_pc(j, target));
	x86_alu_ri(b, true, ALU_ADD, RBP, HIVE_STACK_SIZE);
	for (int i = j->ncallee - 1; i >= 0; i--)
		x86_pop(b, j->callee_saved[i]);
}

/* }===== */

/* A conditional jump @in (off != 0) to label @target. */
static void x86_jcond(struct x86_jit *j, const struct vm_insn *in, uint32_t target)
{
	static const uint8_t cc[16] = {
		[ISA_JEQ >> 4] = CC_E, [ISA_JGT >> 4] = CC_A, [ISA_JGE >> 4] = CC_AE,
		[ISA_JSET >> 4] = CC_NE, [ISA_JNE >> 4] = CC_NE, [ISA_JSGT >> 4] = CC_G,
		[ISA_JSGE >> 4] = CC_GE, [ISA_JLT >> 4] = CC_B, [ISA_JLE >> 4] = CC_BE,
		[ISA_JSLT >> 4] = CC_L, [ISA_JSLE >> 4] = CC_LE,
	};
	struct x86_buf *b = &j->b;
	const struct isa_row *row = &isa_rows[in->op];
	bool w = !(row->flags & ISA_F_ALU32);
	int dst = x86_map[in->dst], src = x86_map[in->src];
	unsigned op = ISA_OP(row->code);
	if (row->fmt == FMT_JCOND_K && j->harden) {
		x86_blind(j, in->imm);
		src = REG_BLIND;
	}
	if (row->fmt == FMT_JCOND_X || j->harden)
		x86_rr(b, w, op == ISA_JSET ? 0x85 : 0x39, src, dst, false);
	else if (op == ISA_JSET && in->imm == 0)
		return; /* dst & 0 is never set */
	else if (op == ISA_JSET)
		(x86_rr(b, w, 0xf7, 0, dst, false), x86_u32(b, (uint32_t)in->imm));
	else if (in->imm == 0)
		x86_rr(b, w, 0x85, dst, dst, false); /* test r, r: the flags of cmp r, 0 */
	else
		x86_alu_ri(b, w, ALU_CMP, dst, in->imm);
	x86_jump(j, cc[op >> 4], target);
}

/* Emit instruction @pc; returns the slots it takes. */
static unsigned x86_insn(struct x86_jit *j, uint32_t pc)
{
	struct x86_buf *b = &j->b;
	const struct vm_insn *in = &j->code[pc];
	j->pc = pc;
	const struct isa_row *row = &isa_rows[in->op];
	bool w = !(row->flags & ISA_F_ALU32);
	bool sgn = row->flags & ISA_F_SIGNED;
	int dst = x86_map[in->dst], src = x86_map[in->src];
	unsigned op = ISA_OP(row->code);
	j->dst_w32 = !j->precise && j->kw[in->dst] <= 32;
	j->div_next = pc + 1;

	switch (row->fmt) {
	case FMT_ALU_K:
		if (j->harden && x86_blinds(op)) {
			x86_blind(j, in->imm);
			x86_alu_x(j, op, sgn, w, dst, REG_BLIND);
		} else if (op == ISA_MOV && !j->precise && j->kc[in->dst] &&
			   j->kv[in->dst] == (w ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm)) {
			break; /* it holds that value already */
		} else {
			x86_alu_k(j, op, sgn, w, dst, in->imm);
		}
		break;
	case FMT_ALU_X:
		x86_alu_x(j, op, sgn, w, dst, src);
		break;
	case FMT_NEG:
		x86_rr(b, w, 0xf7, 3, dst, false);
		break;
	case FMT_END:
		x86_end(j, row->code, in->imm, dst, j->precise ? 64 : j->kw[in->dst]);
		break;
	case FMT_MOVSX:
		x86_movsx(j, w, in->off, dst, src);
		break;
	case FMT_JA:
		if (in->off)
			x86_jump(j, -1, x86_lbl_pc(j, pc + (uint32_t)(int32_t)in->off + 1));
		break;
	case FMT_JA32:
		if (in->imm)
			x86_jump(j, -1, x86_lbl_pc(j, pc + (uint32_t)in->imm + 1));
		break;
	case FMT_JCOND_K:
	case FMT_JCOND_X:
		if (in->off != 0) /* else to the next instruction either way */
			x86_jcond(j, in, x86_lbl_pc(j, pc + (uint32_t)(int32_t)in->off + 1));
		break;
	case FMT_CALL: {
		hive_helper_fn fn = vm_helper(j->prog, (uint32_t)in->imm);
		const struct hive_map *am = x86_inline_array(j, in, fn);
		void *direct = am ? NULL : x86_direct_map_call(j, in, fn);
		if (am)
			x86_array_lookup(j, am);
		else if (direct)
			(j->calls_helpers = true, x86_call_abs(j, (uintptr_t)direct));
		else if (!fn)
			x86_jump(j, -1, x86_add_cold(j, pc, JIT_FAULT_HELPER, 0xff, (uint32_t)in->imm));
		else if (x86_runs_code(j, in->imm, fn))
			x86_tail_call_hook(j, pc, (uintptr_t)fn);
		else
			x86_helper_call(j, pc, (uintptr_t)fn, false);
		break;
	}
	case FMT_CALLX: {
		uint32_t bad = x86_add_cold(j, pc, JIT_FAULT_CALLX, dst, 0);
		x86_alu_ri(b, true, ALU_CMP, dst, (int32_t)j->prog->nhelpers);
		x86_jump(j, CC_AE, bad);
		x86_movabs(b, REG_AUX, (uintptr_t)j->prog->helpers);
		/* mov r11, [r11 + dst*8] */
		x86_byte(b, (uint8_t)(0x48 | 4 | (dst >> 3) << 1 | 1));
		x86_byte(b, 0x8b);
		x86_byte(b, (uint8_t)(0 << 6 | (REG_AUX & 7) << 3 | 4));
		x86_byte(b, (uint8_t)(3 << 6 | (dst & 7) << 3 | (REG_AUX & 7)));
		x86_rr(b, true, 0x85, REG_AUX, REG_AUX, false);
		x86_jump(j, CC_E, bad);
		x86_publish_fp(j);
		x86_helper_call(j, pc, 0, true);
		x86_tail_exit(j);
		break;
	}
	case FMT_CALL_LOCAL:
		x86_call_local(j, pc, pc + (uint32_t)in->imm + 1);
		break;
	case FMT_EXIT:
		if (!j->leaf)
			x86_ret(b);
		else if (pc + 1 < j->cnt)
			x86_jump(j, -1, x86_lbl(j, LBL_AFTER)); /* the last one falls into it */
		break;
	case FMT_LDDW: {
		uint64_t v = (uint32_t)in->imm | (uint64_t)(uint32_t)j->code[pc + 1].imm << 32;
		if (j->harden) {
			uint64_t key = (uint64_t)x86_key(j) << 32 | x86_key(j);
			x86_movabs(b, dst, v ^ key);
			x86_movabs(b, REG_BLIND, key);
			x86_alu_rr(b, true, ALU_XOR, dst, REG_BLIND);
		} else {
			x86_mov_ri(b, dst, v);
		}
		return 2;
	}
	case FMT_LDABS:
	case FMT_LDIND:
		if (j->harden) {
			x86_blind(j, in->imm);
			x86_mov_rr(b, true, REG_AUX, REG_BLIND);
		} else {
			x86_mov_ri(b, REG_AUX, (uint64_t)(int64_t)in->imm);
		}
		if (row->fmt == FMT_LDIND) {
			/* offset = (s32)((u32)src + (u32)imm) */
			x86_alu_rr(b, false, ALU_ADD, REG_AUX, src);
			x86_rr(b, true, 0x63, REG_AUX, REG_AUX, false); /* movsxd */
		}
		x86_ld_pkt(j, pc, isa_access_size(row->code));
		break;
	case FMT_LDX:
		x86_check(j, pc, src, in->off, isa_access_size(row->code), 0);
		x86_load(j, row->code, dst, src, in->off);
		break;
	case FMT_ST:
		x86_check(j, pc, dst, in->off, isa_access_size(row->code), JIT_CHK_WRITE);
		x86_store_k(j, isa_access_size(row->code), dst, in->off, in->imm);
		break;
	case FMT_STX:
		x86_check(j, pc, dst, in->off, isa_access_size(row->code), JIT_CHK_WRITE);
		x86_store_r(j, isa_access_size(row->code), dst, in->off, src);
		break;
	case FMT_ATOMIC:
		x86_check(j, pc, dst, in->off, isa_access_size(row->code), JIT_CHK_WRITE | JIT_CHK_ATOMIC);
		x86_atomic(j, in->imm, isa_access_size(row->code) == 8, dst, in->off, src);
		break;
	}
	return 1;
}

static void x86_place_once(struct x86_jit *j, uint32_t id)
{
	if (!(id < j->ncap && j->cur[id] != NOLBL))
		x86_place(j, id);
}

/* The remainder as clang writes it for eBPF, five instructions:
 *
 *   t = a; t /= b; t *= b; r = a; r -= t       (b a register or a constant)
 *
 * leaves r = a % b and t = a - r (= (a / b) * b, exactly): one div, whose
 * remainder is then on the critical path instead of a multiply and a
 * subtraction behind the quotient.  Unsigned, all five 64-bit or all five
 * 32-bit, inside one block; b = 0 gives t = 0, r = a either way.  Returns
 * the slots taken, 0 when the group does not match. */
static unsigned x86_fuse_rem(struct x86_jit *j, uint32_t pc)
{
	if (pc + 4 >= j->cnt)
		return 0;
	for (uint32_t k = 1; k <= 4; k++)
		if (j->leader[pc + k])
			return 0;
	const struct vm_insn *i = &j->code[pc];
	bool w = i[0].op == OP_MOV64_X;
	if (!w && i[0].op != OP_MOV32_X)
		return 0;
	bool kform = i[1].op == (w ? OP_DIV64_K : OP_DIV32_K);
	if (!kform && i[1].op != (w ? OP_DIV64_X : OP_DIV32_X))
		return 0;
	if (i[2].op != (kform ? (w ? OP_MUL64_K : OP_MUL32_K) : (w ? OP_MUL64_X : OP_MUL32_X)) ||
	    i[3].op != i[0].op || i[4].op != (w ? OP_SUB64_X : OP_SUB32_X))
		return 0;
	unsigned t = i[0].dst, a = i[0].src, r = i[3].dst;
	if (t == a || i[1].dst != t || i[2].dst != t || i[3].src != a || r == a || r == t || i[4].dst != r ||
	    i[4].src != t)
		return 0;
	if (kform ? (j->harden || i[2].imm != i[1].imm) : (i[1].src != i[2].src || i[1].src == t))
		return 0;
	struct x86_buf *b = &j->b;
	int T = x86_map[t], A = x86_map[a], R = x86_map[r];
	for (uint32_t k = 1; k <= 2; k++)
		x86_place(j, x86_lbl_pc(j, pc + k));
	j->pc = pc + 2; /* a rare divisor comes back to pc + 3, just below */
	j->div_next = pc + 3; /* r = a reads a after the div */
	if (kform) {
		x86_mov_rr(b, w, R, A);
		j->dst_w32 = true; /* if 32-bit, the mov zero-extended R */
		x86_divmod_k(j, w, false, true, R, i[1].imm);
	} else {
		/* a and b divide where they are, unless the div needs b's register */
		int B = x86_map[i[1].src];
		if (B == RAX || B == RDX) {
			x86_mov_rr(b, w, REG_AUX, B);
			B = REG_AUX;
		}
		x86_divmod_reg(j, w, false, true, R, A, B);
	}
	x86_place(j, x86_lbl_pc(j, pc + 3));
	x86_mov_rr(b, w, T, A);
	x86_alu_rr(b, w, ALU_SUB, T, R);
	x86_place(j, x86_lbl_pc(j, pc + 4));
	return 5;
}

/* The bounds check clang writes before a packet load, p = a + b:
 *
 *   x = a; x += b (or k1); y = x; y += k; if y <op> z goto T; x = *(sz *)(x + off)
 *
 * On the way through, x's sum is only the load's address (the load then
 * replaces x): it goes into the load's and y's addressing, and x is
 * computed out of line on the jump to T alone, one instruction less per
 * access (csum's and fnv1a's loops).  Trusted code, no jump into the group,
 * a plain (zero-extending) load; y is neither a nor b, z is not x.  Returns
 * the slots taken, 0 when the group does not match. */
static unsigned x86_fuse_bound(struct x86_jit *j, uint32_t pc)
{
	if (j->checked || j->harden || pc + 5 >= j->cnt)
		return 0;
	/* the load starts a block of its own (after the jump), but nothing
	 * may jump into the group */
	for (uint32_t k = 1; k <= 5; k++)
		if (k < 5 ? j->leader[pc + k] : (j->leader[pc + k] & LEAD_TARGET))
			return 0;
	const struct vm_insn *i = &j->code[pc];
	if (i[0].op != OP_MOV64_X || (i[1].op != OP_ADD64_X && i[1].op != OP_ADD64_K) || i[2].op != OP_MOV64_X ||
	    i[3].op != OP_ADD64_K || i[4].op == OP_INVALID || i[5].op == OP_INVALID)
		return 0;
	const struct isa_row *jr = &isa_rows[i[4].op], *lr = &isa_rows[i[5].op];
	if ((jr->fmt != FMT_JCOND_K && jr->fmt != FMT_JCOND_X) || i[4].off == 0 || lr->fmt != FMT_LDX ||
	    ISA_MODE(lr->code) != ISA_MEM)
		return 0;
	unsigned x = i[0].dst, a = i[0].src, y = i[2].dst;
	bool kform = i[1].op == OP_ADD64_K;
	unsigned bx = i[1].src;
	if (x == a || i[1].dst != x || (!kform && bx == x) || i[2].src != x || y == x || y == a ||
	    (!kform && y == bx) || i[3].dst != y || i[4].dst != y || (jr->fmt == FMT_JCOND_X && i[4].src == x) ||
	    i[5].dst != x || i[5].src != x)
		return 0;
	int64_t base_disp = kform ? i[1].imm : 0;
	int64_t dy = base_disp + i[3].imm, dl = base_disp + i[5].off;
	if (dy < INT32_MIN || dy > INT32_MAX || dl < INT32_MIN || dl > INT32_MAX)
		return 0;
	struct x86_buf *b = &j->b;
	int X = x86_map[x], A = x86_map[a], Y = x86_map[y], B = kform ? -1 : x86_map[bx];
	for (uint32_t k = 1; k <= 4; k++)
		x86_place(j, x86_lbl_pc(j, pc + k));
	j->pc = pc + 4;
	if (kform)
		x86_rm(b, true, 0x8d, Y, A, (int32_t)dy, false);
	else
		x86_rm_sib(b, true, 0x8d, Y, A, B, (int32_t)dy);
	uint32_t target = pc + 4 + (uint32_t)(int32_t)i[4].off + 1;
	uint32_t stub = x86_add_cold(j, target, kform ? COLD_LEA_K : COLD_LEA_X, X,
				     kform ? (uint32_t)i[1].imm : (uint32_t)B);
	if (!j->b.oom)
		j->cold[j->ncold - 1].base = (uint8_t)A;
	x86_jcond(j, &i[4], stub);
	x86_place(j, x86_lbl_pc(j, pc + 5));
	j->pc = pc + 5;
	unsigned size = isa_access_size(lr->code);
	unsigned op = size == 1 ? 0x0fb6 : size == 2 ? 0x0fb7 : 0x8b;
	if (kform)
		x86_rm(b, size == 8, op, X, A, (int32_t)dl, false);
	else
		x86_rm_sib(b, size == 8, op, X, A, B, (int32_t)dl);
	return 6;
}

/* Two instructions as one: `rD = rA; rD += rB` or `rD += k` is one lea.
 * Only inside a block (nothing jumps to the second) and outside precise
 * copies (which count instructions one by one).  Returns the slots taken, 0
 * when the pair does not fuse. */
static unsigned x86_fuse(struct x86_jit *j, uint32_t pc)
{
	unsigned rem = x86_fuse_rem(j, pc);
	if (rem)
		return rem;
	unsigned bound = x86_fuse_bound(j, pc);
	if (bound)
		return bound;
	if (pc + 1 >= j->cnt || j->leader[pc + 1])
		return 0;
	const struct vm_insn *a = &j->code[pc], *n = &j->code[pc + 1];
	/* 32-bit: lea r32 adds the full registers and keeps the low half,
	 * zero-extended, which is what mov32 then add32 leave */
	bool w = a->op == OP_MOV64_X;
	if ((!w && a->op != OP_MOV32_X) || a->dst == a->src || n->dst != a->dst)
		return 0;
	int dst = x86_map[a->dst], base = x86_map[a->src];
	if (n->op == (w ? OP_ADD64_X : OP_ADD32_X)) {
		int idx = n->src == a->dst ? base : x86_map[n->src];
		struct x86_buf *b = &j->b;
		/* lea dst, [base + idx]; idx is never rsp; [rbp/r13 + x] needs a disp8 */
		x86_byte(b, (uint8_t)(0x40 | w << 3 | (dst >> 3) << 2 | (idx >> 3) << 1 | (base >> 3)));
		x86_byte(b, 0x8d);
		bool d8 = (base & 7) == RBP;
		x86_byte(b, (uint8_t)((d8 ? 1 : 0) << 6 | (dst & 7) << 3 | 4));
		x86_byte(b, (uint8_t)((idx & 7) << 3 | (base & 7)));
		if (d8)
			x86_byte(b, 0);
	} else if (n->op == (w ? OP_ADD64_K : OP_ADD32_K) && !j->harden) {
		x86_rm(&j->b, w, 0x8d, dst, base, n->imm, false);
	} else {
		return 0;
	}
	j->pc = pc;
	return 2;
}

/* {===== layout */

static bool x86_ends_block(const struct isa_row *row)
{
	return (row->flags & ISA_F_JUMP) || row->fmt == FMT_CALL || row->fmt == FMT_CALL_LOCAL ||
	       row->fmt == FMT_CALLX || row->fmt == FMT_EXIT;
}

static uint32_t x86_slots(const struct vm_insn *in)
{
	return in->op == OP_LDDW ? 2 : 1;
}

/* Which loop heads get padded to X86_LOOP_ALIGN (LEAD_ALIGN).  The pad's
 * nops run whenever code falls into the head, so a head that code falls
 * into from inside a loop ending before the head's own loop does is left
 * alone: it sits mid-body of that loop (clang rotates loops into such
 * shapes), and the nops would run on each of its iterations (primes: one
 * nop per trial division).  Heads nested inside a loop that holds their
 * whole loop are padded: the nops run once per entry.  Beyond 512 loop
 * heads the quadratic check is skipped and every head is padded. */
static int x86_loop_align(struct x86_jit *j)
{
	uint32_t *end = jit_zalloc((j->cnt + 1) * sizeof(*end)), nheads = 0;
	if (!end)
		return -ENOMEM;
	for (uint32_t pc = 0; pc < j->cnt; pc += x86_slots(&j->code[pc])) {
		const struct vm_insn *in = &j->code[pc];
		int64_t t = -1;
		if (isa_rows[in->op].fmt == FMT_JA || isa_rows[in->op].fmt == FMT_JCOND_K ||
		    isa_rows[in->op].fmt == FMT_JCOND_X)
			t = (int64_t)pc + in->off + 1;
		else if (isa_rows[in->op].fmt == FMT_JA32)
			t = (int64_t)pc + in->imm + 1;
		if (t >= 0 && t <= pc && end[t] < pc)
			end[t] = pc;
	}
	for (uint32_t h = 0; h < j->cnt; h++)
		nheads += (j->leader[h] & LEAD_LOOP) != 0;
	uint32_t *heads = nheads <= 512 ? jit_zalloc((nheads + 1) * sizeof(*heads)) : NULL, seen = 0;
	if (nheads <= 512 && !heads) {
		free(end);
		return -ENOMEM;
	}
	for (uint32_t h = 0; h < j->cnt; h++) {
		if (!(j->leader[h] & LEAD_LOOP))
			continue;
		bool pad = true;
		uint32_t prev = h ? h - 1 : 0;
		if (prev && j->code[prev].op == OP_INVALID)
			prev--;
		enum isa_fmt f = (enum isa_fmt)isa_rows[j->code[prev].op].fmt;
		bool falls_in = h > 0 && f != FMT_JA && f != FMT_JA32 && f != FMT_EXIT;
		for (uint32_t k = 0; heads && falls_in && k < seen && pad; k++)
			if (end[heads[k]] >= h && end[heads[k]] < end[h])
				pad = false;
		if (heads)
			heads[seen++] = h;
		if (pad)
			j->leader[h] |= LEAD_ALIGN;
	}
	free(heads);
	free(end);
	return 0;
}

/* Basic blocks (for the budget), registers named, local calls. */
static int x86_analyse(struct x86_jit *j)
{
	j->leader = jit_zalloc(j->cnt + 1);
	j->blen = jit_zalloc((j->cnt + 1) * sizeof(*j->blen));
	j->rest = jit_zalloc((j->cnt + 1) * sizeof(*j->rest));
	if (!j->leader || !j->blen || !j->rest)
		return -ENOMEM;
	j->leader[0] = 1;
	bool local_calls = false;
	for (uint32_t pc = 0; pc < j->cnt; pc += x86_slots(&j->code[pc])) {
		const struct vm_insn *in = &j->code[pc];
		const struct isa_row *row = &isa_rows[in->op];
		j->used |= (uint16_t)(1u << in->dst | 1u << in->src);
		if (row->fmt == FMT_CALL || row->fmt == FMT_CALLX)
			j->used |= 0x3e; /* helpers read r1-r5, named or not */
		int64_t t = -1;
		if (row->fmt == FMT_JA || row->fmt == FMT_JCOND_K || row->fmt == FMT_JCOND_X)
			t = (int64_t)pc + in->off + 1;
		else if (row->fmt == FMT_JA32 || row->fmt == FMT_CALL_LOCAL)
			t = (int64_t)pc + in->imm + 1;
		if (row->fmt == FMT_CALL_LOCAL)
			local_calls = true;
		if (t >= 0 && t < j->cnt)
			j->leader[t] |= (uint8_t)(LEAD_BLOCK | LEAD_TARGET | (t <= pc ? LEAD_LOOP : 0));
		if (x86_ends_block(row) && pc + 1 < j->cnt)
			j->leader[pc + 1] |= LEAD_BLOCK;
		if (row->fmt == FMT_CALL || row->fmt == FMT_CALLX || row->fmt == FMT_CALL_LOCAL)
			j->calls_out = true;
		if (row->fmt == FMT_CALL || row->fmt == FMT_CALLX || row->fmt == FMT_LDABS || row->fmt == FMT_LDIND)
			j->unwinds = true;
	}
	/* callbacks are called like subprograms */
	for (uint32_t i = 0; i < j->prog->ncb; i++)
		j->leader[j->prog->cb_pcs[i]] |= LEAD_BLOCK | LEAD_TARGET;
	local_calls = local_calls || j->prog->ncb;
	uint32_t lead = 0;
	for (uint32_t pc = 0; pc < j->cnt; pc += x86_slots(&j->code[pc])) {
		if (j->leader[pc])
			lead = pc;
		j->blen[lead]++;
	}
	for (uint32_t pc = 0; pc < j->cnt; pc += x86_slots(&j->code[pc])) {
		if (j->leader[pc])
			lead = pc;
		j->rest[pc] = --j->blen[lead] ; /* counts down; restored below */
	}
	for (uint32_t pc = 0; pc < j->cnt; pc += x86_slots(&j->code[pc]))
		if (j->leader[pc])
			j->blen[pc] = j->rest[pc] + 1;
	int err = x86_loop_align(j);
	if (err)
		return err;
	static const uint8_t callee[4] = {RBX, R13, R14, R15};
	for (int r = 6; r <= 9; r++)
		if (local_calls && (j->used & (1u << r)))
			j->callee_saved[j->ncallee++] = callee[r - 6];
	/* keep native sp 16-aligned in the callee: odd number of pushes */
	if (local_calls && j->ncallee % 2 == 0)
		j->callee_saved[j->ncallee++] = R11;
	j->leaf = !local_calls;
	if (j->checked || local_calls)
		j->calls_out = j->unwinds = true;
	/* host callee-saved registers the entry saves */
	j->pushed[j->npush++] = RBP;
	j->pushed[j->npush++] = R12;
	for (int r = 6; r <= 9; r++)
		if (j->used & (1u << r))
			j->pushed[j->npush++] = callee[r - 6];
	return 0;
}

static void x86_epilogue(struct x86_jit *j);

/* ctx->regs[0..10] = r0..r10 */
static void x86_store_regs(struct x86_jit *j)
{
	struct x86_buf *b = &j->b;
	x86_rm(b, true, 0x8b, REG_AUX, REG_CTX, JIT_CTX_REGS, false);
	for (int r = 0; r <= 10; r++) {
		if (r >= 3 && r <= 9 && !(j->used & (1u << r))) {
			x86_rm(b, true, 0xc7, 0, REG_AUX, r * 8, false);
			x86_u32(b, 0);
		} else {
			x86_rm(b, true, 0x89, x86_map[r], REG_AUX, r * 8, false);
		}
	}
}

/* Native sp in a body is 16-aligned: with local calls the entry calls pc 0
 * (sp 8 mod 16 before the call), a leaf program runs in the entry's frame. */
static bool x86_entry_pad(const struct x86_jit *j)
{
	if (!j->calls_out)
		return false; /* nothing is called: alignment does not matter */
	return j->leaf ? j->npush % 2 == 0 : j->npush % 2 != 0;
}

/* Does the code read nothing of a run but ctx->regs and ctx->want_regs? */
static bool x86_standalone(const struct x86_jit *j)
{
	return !j->checked && !j->calls_out && !j->unwinds && !j->prog->ncb;
}

/* Standalone code has a frame of X86_FN_STACK below its pushes in either
 * entry: the plain C entry's eBPF stack, unused by the main entry (whose
 * stack is the caller's), so that one epilogue serves both. */
enum { X86_FN_STACK = HIVE_MAX_FRAMES * HIVE_STACK_SIZE };

/* r0 and the registers the program names start at 0; the others are
 * reported as 0 at exit */
static void x86_zero_regs(struct x86_jit *j)
{
	static const uint8_t zero[] = {RAX, RDX, RCX, R8, RBX, R13, R14, R15};
	for (unsigned i = 0; i < sizeof(zero); i++)
		if (i == 0 || (j->used & (1u << (i + 2))))
			x86_alu_rr(&j->b, false, ALU_XOR, zero[i], zero[i]);
}

static void x86_entry(struct x86_jit *j)
{
	struct x86_buf *b = &j->b;
	for (int i = 0; i < j->npush; i++)
		x86_push(b, j->pushed[i]);
	if (x86_entry_pad(j))
		x86_alu_ri(b, true, ALU_SUB, RSP, 8);
	if (x86_standalone(j))
		x86_alu_ri(b, true, ALU_SUB, RSP, X86_FN_STACK);
	x86_mov_rr(b, true, REG_CTX, RDI);
	x86_mov_rr(b, true, RBP, RCX);
	x86_mov_rr(b, true, RDI, RSI);
	x86_mov_rr(b, true, RSI, RDX);
	if (j->unwinds)
		x86_rm(b, true, 0x89, RSP, REG_CTX, JIT_CTX_EXIT_SP, false);
	x86_zero_regs(j);
	if (!j->leaf) {
		x86_call_lbl(j, x86_lbl_pc(j, 0));
		x86_epilogue(j);
	}
}

/* Where every exit ends: r0..r10 to ctx->regs, host registers back. */
static void x86_epilogue(struct x86_jit *j)
{
	struct x86_buf *b = &j->b;
	x86_place(j, x86_lbl(j, LBL_AFTER));
	/* registers are stored when the caller asked, or on the way out of a fault */
	x86_alu_mi(b, false, ALU_CMP, REG_CTX, JIT_CTX_WANT_REGS, 0);
	x86_jump(j, CC_E, x86_lbl(j, LBL_DONE));
	x86_place(j, x86_lbl(j, LBL_STORE));
	x86_store_regs(j);
	x86_place(j, x86_lbl(j, LBL_DONE));
	if (x86_standalone(j))
		x86_alu_ri(b, true, ALU_ADD, RSP, X86_FN_STACK);
	if (x86_entry_pad(j))
		x86_alu_ri(b, true, ALU_ADD, RSP, 8);
	for (int i = j->npush - 1; i >= 0; i--)
		x86_pop(b, j->pushed[i]);
	x86_ret(b);
}

static void x86_stubs(struct x86_jit *j)
{
	struct x86_buf *b = &j->b;
	/* cold fault sites */
	for (uint32_t i = 0; i < j->ncold; i++) {
		const struct x86_cold *c = &j->cold[i];
		x86_place(j, x86_lbl_cold(j, i));
		if (c->kind == COLD_DIV) {
			int dst = (int)(c->aux & 0xff);
			bool w = (c->aux >> 8) & 1, mod = (c->aux >> 9) & 1, m1 = (c->aux >> 10) & 1;
			if (!m1 && mod && ((c->aux >> 11) & 1))
				x86_mov_rr(b, w, dst, (int)((c->aux >> 12) & 0xf)); /* x%0 = x, from src */
			else if (m1 ? mod : !mod)
				x86_alu_rr(b, false, ALU_XOR, dst, dst); /* x/0 = 0; x%-1 = 0 */
			else if (m1)
				x86_rr(b, w, 0xf7, 3, dst, false);       /* x/-1 = -x */
			else if (!w)
				x86_zext(j, dst);                        /* x%0 = x */
			x86_jump(j, -1, x86_lbl_pc(j, c->pc + 1));
			continue;
		}
		if (c->kind == COLD_LEA_X || c->kind == COLD_LEA_K) {
			if (c->kind == COLD_LEA_X)
				x86_rm_sib(b, true, 0x8d, c->reg, c->base, (int)c->aux, 0);
			else
				x86_rm(b, true, 0x8d, c->reg, c->base, (int32_t)c->aux, false);
			x86_jump(j, -1, x86_lbl_pc(j, c->pc));
			continue;
		}
		if (c->kind == COLD_REFUND) {
			x86_alu_mi(b, true, ALU_ADD, REG_CTX, JIT_CTX_BUDGET, (int32_t)c->aux);
			x86_jump(j, -1, x86_lbl(j, LBL_ABS_MISS));
			continue;
		}
		if (c->reg != 0xff)
			x86_mov_rr(b, true, R9, c->reg);
		else
			x86_mov_ri(b, R9, c->aux);
		x86_mov_ri(b, R10, c->pc | (uint32_t)c->kind << 24 | (uint32_t)c->ebpf << 28);
		x86_jump(j, -1, x86_lbl(j, LBL_FAULT));
	}
	/* fault: r10d = pc | kind << 24, r9 = aux; keep the registers, record
	 * the fault and unwind */
	x86_place(j, x86_lbl(j, LBL_FAULT));
	x86_store_regs(j);
	x86_rm(b, true, 0x8b, RSP, REG_CTX, JIT_CTX_EXIT_SP, false);
	x86_alu_ri(b, true, ALU_AND, RSP, -16);
	x86_mov_rr(b, true, RDI, REG_CTX);
	x86_mov_rr(b, false, RSI, R10);
	x86_mov_rr(b, true, RDX, R9);
	x86_call_abs(j, (uintptr_t)jit_rt_fault);
	x86_rm(b, true, 0x8b, RSP, REG_CTX, JIT_CTX_EXIT_SP, false);
	x86_jump(j, -1, x86_lbl(j, LBL_DONE));
	/* LD_ABS/LD_IND outside the packet: the program ends with r0 = 0 */
	x86_place(j, x86_lbl(j, LBL_ABS_MISS));
	x86_alu_rr(b, false, ALU_XOR, RAX, RAX);
	/* unwind: drop every frame, as if pc 0 returned */
	x86_place(j, x86_lbl(j, LBL_UNWIND));
	x86_rm(b, true, 0x8b, RSP, REG_CTX, JIT_CTX_EXIT_SP, false);
	x86_jump(j, -1, x86_lbl(j, LBL_STORE));
	if (!j->checked)
		goto thunk;
	/* region check: r11 = address, r10d = info; preserves r0..r5 */
	x86_place(j, x86_lbl(j, LBL_CHECK));
	static const uint8_t save[] = {RAX, RDI, RSI, RDX, RCX, R8, R9}; /* 7: sp 16-aligned */
	for (unsigned i = 0; i < sizeof(save); i++)
		x86_push(b, save[i]);
	x86_mov_rr(b, true, RDI, REG_CTX);
	x86_mov_rr(b, true, RSI, REG_AUX);
	x86_mov_rr(b, true, RDX, R10);
	x86_call_abs(j, (uintptr_t)jit_rt_check);
	x86_rr(b, false, 0x85, RAX, RAX, false);
	for (int i = (int)sizeof(save) - 1; i >= 0; i--)
		x86_pop(b, save[i]);
	x86_jump(j, CC_NE, x86_lbl(j, LBL_UNWIND));
	x86_ret(b);
	/* inline windows: r11 = address; accept or go on to the full check */
	for (unsigned k = 0; k < 8; k++) {
		unsigned size = 1u << (k / 2);
		bool write = k & 1;
		x86_place(j, x86_lbl(j, LBL_WIN + k));
		if (write) {
			x86_alu_mi(b, false, ALU_CMP, REG_CTX, JIT_CTX_WIN_WRITABLE, 0);
			x86_jump(j, CC_E, x86_lbl(j, LBL_CHECK));
		}
		size_t next = 0;
		for (int w = 0; w < 2; w++) {
			x86_mov_rr(b, true, R9, REG_AUX);
			x86_rm(b, true, 0x2b, R9, REG_CTX, JIT_CTX_WIN_START + 8 * w, false); /* sub r9, start */
			if (w == 0)
				next = x86_jcc8(b, CC_B);
			else
				x86_jump(j, CC_B, x86_lbl(j, LBL_CHECK));
			x86_alu_ri(b, true, ALU_ADD, R9, (int32_t)size);
			x86_rm(b, true, 0x3b, R9, REG_CTX, JIT_CTX_WIN_LEN + 8 * w, false); /* cmp r9, len */
			if (w == 0) {
				size_t ok = x86_jcc8(b, CC_A);
				x86_ret(b);
				x86_patch8(b, ok);
				x86_patch8(b, next);
			} else {
				x86_jump(j, CC_A, x86_lbl(j, LBL_CHECK));
				x86_ret(b);
			}
		}
	}
thunk:
	/* retpoline thunk for `call *r11`: the return predictor is sent to a
	 * pause loop while the real target is swapped into the return slot */
	if (j->retpoline) {
		x86_place(j, x86_lbl(j, LBL_THUNK));
		x86_byte(b, 0xe8);
		x86_u32(b, 7);         /* call set */
		x86_byte(b, 0xf3);     /* spin: pause */
		x86_byte(b, 0x90);
		x86_byte(b, 0x0f);     /* lfence */
		x86_byte(b, 0xae);
		x86_byte(b, 0xe8);
		x86_byte(b, 0xeb);     /* jmp spin */
		x86_byte(b, 0xf9);
		x86_rm(b, true, 0x89, REG_AUX, RSP, 0, false); /* set: mov [rsp], r11 */
		x86_ret(b);
	}
}

/* Checked mode: the copy of the block at @lead that pays one instruction at
 * a time; only entered when the budget cannot pay the whole block. */
static void x86_precise_block(struct x86_jit *j, uint32_t lead)
{
	struct x86_buf *b = &j->b;
	x86_place(j, x86_lbl_pre(j, lead));
	uint32_t n = j->blen[lead];
	j->precise = true;
	x86_alu_mi(b, true, ALU_ADD, REG_CTX, JIT_CTX_BUDGET, (int32_t)n);
	uint32_t pc = lead;
	for (uint32_t i = 0; i + 1 < n; i++) {
		x86_alu_mi(b, true, ALU_SUB, REG_CTX, JIT_CTX_BUDGET, 1);
		x86_jump(j, CC_B, x86_add_cold(j, pc, JIT_FAULT_BUDGET, 0xff, 0));
		pc += x86_insn(j, pc);
	}
	x86_jump(j, -1, x86_add_cold(j, pc, JIT_FAULT_BUDGET, 0xff, 0));
	j->precise = false;
}

/* A loop head starts on a 32-byte boundary: the front end fetches the loop
 * in the fewest windows (a tight loop ran ~1.8x slower split badly).  The
 * nops run once per entry into the loop. */
enum { X86_LOOP_ALIGN = 32 };
static void x86_align_loop(struct x86_jit *j, uint32_t pc)
{
	size_t pad = (X86_LOOP_ALIGN - j->b.len % X86_LOOP_ALIGN) % X86_LOOP_ALIGN;
	if (!pad)
		return;
	x86_nops(&j->b, pad);
	x86_place(j, x86_lbl_pc(j, pc));
}

/* A standalone image's plain C entry, uint64_t fn(r1, r2) (hive_prog_jit_fn):
 * the main entry's prologue with r1, r2 where the C call put them, the
 * eBPF stack in the frame, ctx = jit_ctx_none; then on to pc 0, whose code
 * expects what the main entry leaves (the same registers zeroed). */
static void x86_fn_entry(struct x86_jit *j)
{
	struct x86_buf *b = &j->b;
	j->fn_off = 0;
	if (!x86_standalone(j))
		return;
	x86_nops(b, (16 - b->len % 16) % 16);
	j->fn_off = b->len;
	for (int i = 0; i < j->npush; i++)
		x86_push(b, j->pushed[i]);
	x86_alu_ri(b, true, ALU_SUB, RSP, X86_FN_STACK);
	x86_rm(b, true, 0x8d, RBP, RSP, X86_FN_STACK, false); /* lea rbp, [rsp + 4096]: r10 */
	x86_movabs(b, REG_CTX, (uintptr_t)&jit_ctx_none);
	x86_zero_regs(j);
	x86_jump(j, -1, x86_lbl_pc(j, 0));
}

static void x86_pass(struct x86_jit *j)
{
	j->b.len = 0;
	j->ncold = 0;
	j->nlbl = 0;
	for (size_t i = 0; i < j->ncap; i++)
		j->cur[i] = NOLBL;
	j->rng = j->seed | 1;
	j->calls_helpers = false;
	x86_cb_entry(j);
	j->entry_off = j->b.len;
	x86_entry(j);
	for (uint32_t pc = 0; pc < j->cnt;) {
		x86_place(j, x86_lbl_pc(j, pc));
		if (j->code[pc].op == OP_INVALID) { /* unreachable second LDDW slot */
			pc++;
			continue;
		}
		if (j->leader[pc] & LEAD_ALIGN)
			x86_align_loop(j, pc);
		if (pc == 0 || (j->leader[pc] & LEAD_TARGET))
			x86_know_reset(j);
		if (pc == 0 && !(j->leader[pc] & LEAD_TARGET))
			for (int r = 0; r <= 9; r++)
				if (r == 0 || (r >= 3 && (j->used & (1u << r))))
					x86_know_value(j, r, 0); /* the entry zeroed it */
		if (j->checked && j->leader[pc]) {
			x86_alu_mi(&j->b, true, ALU_SUB, REG_CTX, JIT_CTX_BUDGET, (int32_t)j->blen[pc]);
			x86_jump(j, CC_B, x86_lbl_pre(j, pc));
		}
		uint32_t n = x86_fuse(j, pc);
		if (n) {
			/* a fused group: the labels inside it sit at its end */
			for (uint32_t k = 0; k < n; k++) {
				x86_know_update(j, pc + k);
				if (k)
					x86_place_once(j, x86_lbl_pc(j, pc + k));
			}
		} else {
			n = x86_insn(j, pc);
			x86_know_update(j, pc);
			if (n == 2)
				x86_place(j, x86_lbl_pc(j, pc + 1));
		}
		pc += n;
	}
	x86_place(j, x86_lbl_pc(j, j->cnt));
	if (j->leaf)
		x86_epilogue(j);
	if (j->checked)
		for (uint32_t pc = 0; pc < j->cnt; pc++)
			if (j->leader[pc] && j->code[pc].op != OP_INVALID)
				x86_precise_block(j, pc);
	x86_stubs(j);
	x86_fn_entry(j);
}

/* Did this pass place every label where the last one did? */
static bool x86_converged(const struct x86_jit *j)
{
	if (j->nlbl != j->nprev)
		return false;
	return memcmp(j->cur, j->prev, j->nlbl * sizeof(*j->cur)) == 0;
}

static int x86_keep(struct x86_jit *j)
{
	uint32_t *p = jit_realloc(j->prev, (j->nlbl ? j->nlbl : 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	memcpy(p, j->cur, j->nlbl * sizeof(*p));
	j->prev = p;
	j->nprev = j->nlbl;
	return 0;
}

/* }===== */

int jit_arch_compile(const struct hive_prog *prog, const struct jit_compile_opts *opts, struct jit_mem *mem,
		     struct jit_arch_out *out)
{
	struct x86_jit j = {
		.prog = prog, .code = prog->code, .cnt = prog->cnt,
		.checked = prog->mode == HIVE_EXEC_CHECKED,
		.harden = opts->harden, .retpoline = opts->retpoline, .seed = opts->seed,
		.bmi2 = !opts->no_bmi2 && __builtin_cpu_supports("bmi2"),
	};
	int err = x86_analyse(&j);
	bool mapped = false;
	for (int pass = 0; !err; pass++) {
		x86_pass(&j);
		if (j.b.oom) {
			err = -ENOMEM;
			break;
		}
		if (mapped && j.b.len <= mem->size && x86_converged(&j))
			break;
		if (mapped && j.b.len > mem->size) {
			jit_mem_release(mem);
			mapped = false;
		}
		if (!mapped) {
			/* the first pass is the largest layout: map that much */
			err = jit_mem_alloc(mem, j.b.len);
			if (err)
				break;
			mapped = true;
			j.base = (uintptr_t)mem->base;
		}
		if (pass == 16)
			j.force_long = true;
		if (pass > 40)
			err = -EFAULT;
		else
			err = x86_keep(&j);
	}
	if (!err) {
		if (j.b.len > mem->size) {
			err = -EFAULT;
		} else {
			memcpy(mem->base, j.b.p, j.b.len);
			*out = (struct jit_arch_out){.code_size = j.b.len, .entry_off = j.entry_off,
						     .fn_off = j.fn_off, .calls_helpers = j.calls_helpers};
		}
	}
	if (err && mapped)
		jit_mem_release(mem);
	free(j.b.p);
	free(j.cur);
	free(j.prev);
	free(j.cold);
	free(j.leader);
	free(j.blen);
	free(j.rest);
	return err;
}

#endif
