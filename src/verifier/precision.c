/* Precision back-tracking, after Linux's mark_chain_precision.
 *
 * Scalars start imprecise: states_equal ignores the value of a scalar that
 * is not precise in the explored (old) state.  When a scalar's value decides
 * safety (a pointer moved by it, a helper's size, a jump it decides, ...),
 * the path is walked back instruction by instruction: a set of registers and
 * stack slots whose values matter ("wanted") starts with the scalar, and each
 * instruction maps what it defines to what it used (r1 = r2 + r3 wants r2
 * and r3 when r1 is wanted).  Reaching the start of a segment, the
 * checkpoint there gets the wanted scalars marked precise, and the walk goes
 * on through the segment that led to it, until nothing is wanted or a
 * checkpoint already had everything precise.
 *
 * The path is known from the state's history (struct hist_entry): the
 * previous insn is idx - 1 unless the history says otherwise; stack accesses
 * and linked scalars are recorded where they happen.  Calls and exits move
 * the wanted set between frames.  Where this walk cannot follow (a callback's
 * arguments, anything unexpected), every scalar of the path's checkpoints
 * becomes precise, which is always sound.
 */
#include "verifier.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bt {
	uint32_t frame;                       /* frame of the insn being walked */
	uint16_t regs[VERIFIER_MAX_FRAMES];   /* wanted registers per frame */
	uint64_t slots[VERIFIER_MAX_FRAMES];  /* wanted stack slots per frame */
};

/* Wanted things live in the walked frame or its callers (a callee's are
 * moved to its caller at its first insn). */
static bool bt_empty(const struct bt *bt)
{
	for (uint32_t f = 0; f <= bt->frame && f < VERIFIER_MAX_FRAMES; f++)
		if (bt->regs[f] || bt->slots[f])
			return false;
	return true;
}

/* {===== history */

struct hist_entry *hist_cur(struct verifier_env *env)
{
	struct vstate *st = env->cur;
	if (env->hist_here && st->nhist && st->hist[st->nhist - 1].idx == env->pc)
		return &st->hist[st->nhist - 1];
	struct hist_entry e = {.idx = env->pc, .prev = env->prev_pc};
	if (state_hist_push(st, e))
		return NULL;
	env->hist_here = true;
	return &st->hist[st->nhist - 1];
}

int hist_note_flags(struct verifier_env *env, uint32_t flags)
{
	struct hist_entry *e = hist_cur(env);
	if (!e)
		return -ENOMEM;
	e->flags |= flags;
	return 0;
}

int hist_note_stack(struct verifier_env *env, uint32_t frameno, uint32_t spi)
{
	struct hist_entry *e = hist_cur(env);
	if (!e)
		return -ENOMEM;
	e->flags = (e->flags & ~0x3ffu) | HIST_STACK | (frameno & 7) << 1 | (spi & 63) << 4;
	return 0;
}

static int links_push(struct verifier_env *env, uint16_t v)
{
	if (env->nlinks == env->cap_links) {
		uint32_t cap = env->cap_links ? env->cap_links * 2 : 64;
		uint16_t *l = realloc(env->links, cap * sizeof(*l));
		if (!l)
			return -ENOMEM;
		env->links = l;
		env->cap_links = cap;
	}
	env->links[env->nlinks++] = v;
	return 0;
}

int hist_note_links(struct verifier_env *env, uint32_t id_a, uint32_t id_b)
{
	if (!id_a && !id_b)
		return 0;
	struct vstate *st = env->cur;
	uint32_t start = env->nlinks, n = 0;
	if (links_push(env, 0))
		return -ENOMEM;
	for (uint32_t fi = 0; fi <= st->curframe; fi++) {
		const struct frame *f = st->frames[fi];
		for (int r = 0; r < VERIFIER_NREGS; r++) {
			uint32_t id = f->regs[r].id;
			if (f->regs[r].type == SCALAR_VALUE && id && (id == id_a || id == id_b)) {
				if (links_push(env, (uint16_t)(fi << 8 | (unsigned)r)))
					return -ENOMEM;
				n++;
			}
		}
		for (uint32_t s = 0; s < f->nslots && s < 64; s++) {
			const struct stack_slot *sl = &f->slots[s];
			uint32_t id = sl->spill.id;
			if (sl->kind[0] == STACK_SPILL && sl->spill.type == SCALAR_VALUE && id && (id == id_a || id == id_b)) {
				if (links_push(env, (uint16_t)(fi << 8 | 1u << 7 | s)))
					return -ENOMEM;
				n++;
			}
		}
	}
	if (n < 2) { /* only the operand itself: nothing to link */
		env->nlinks = start;
		return 0;
	}
	env->links[start] = (uint16_t)n;
	struct hist_entry *e = hist_cur(env);
	if (!e)
		return -ENOMEM;
	e->flags |= HIST_LINK;
	e->link = start;
	return 0;
}

/* Linked scalars hold one value: when one is wanted, all are. */
static void bt_sync_links(const struct verifier_env *env, struct bt *bt, const struct hist_entry *e)
{
	if (!e || !(e->flags & HIST_LINK))
		return;
	const uint16_t *l = &env->links[e->link];
	bool any = false;
	for (uint32_t i = 1; i <= l[0] && !any; i++) {
		uint32_t f = l[i] >> 8, x = l[i] & 0x7f;
		any = l[i] & 0x80 ? (bt->slots[f] >> x) & 1 : (bt->regs[f] >> x) & 1;
	}
	if (!any)
		return;
	for (uint32_t i = 1; i <= l[0]; i++) {
		uint32_t f = l[i] >> 8, x = l[i] & 0x7f;
		if (l[i] & 0x80)
			bt->slots[f] |= 1ull << x;
		else
			bt->regs[f] |= (uint16_t)(1u << x);
	}
}
/* }===== */

/* {===== one instruction backwards */

enum { BT_OK = 0, BT_GIVE_UP = 1 };

/* Insn @i ran with @sub next (VERIFIER_NO_INSN: unknown); @e is its history
 * entry or NULL.  Wanted after @i -> wanted before @i. */
static int bt_insn(const struct verifier_env *env, struct bt *bt, uint32_t i, uint32_t sub,
		   const struct hist_entry *e)
{
	const struct hive_insn *in = &env->insns[i];
	uint8_t op = env->aux[i].op;
	const struct isa_row *row = &isa_rows[op];
	uint32_t fr = bt->frame;
	uint16_t *regs = &bt->regs[fr];
	uint16_t dbit = (uint16_t)(1u << in->dst_reg), sbit = (uint16_t)(1u << in->src_reg);
	bool stack = e && (e->flags & HIST_STACK);
	uint32_t sfr = e ? (e->flags >> 1) & 7 : 0, spi = e ? (e->flags >> 4) & 63 : 0;

	switch (row->fmt) {
	case FMT_ALU_K:
	case FMT_ALU_X:
	case FMT_NEG:
	case FMT_END:
	case FMT_MOVSX:
		if (!(*regs & dbit))
			return BT_OK;
		if (row->fmt == FMT_MOVSX || (ISA_OP(in->code) == ISA_MOV && row->fmt != FMT_NEG && row->fmt != FMT_END)) {
			*regs &= (uint16_t)~dbit; /* dst is a function of src alone */
			if (row->fmt != FMT_ALU_K)
				*regs |= sbit;
		} else if (row->fmt == FMT_ALU_X) {
			*regs |= sbit; /* dst = dst op src */
		}
		return BT_OK;
	case FMT_LDDW:
		*regs &= (uint16_t)~dbit;
		return BT_OK;
	case FMT_LDX:
		if (!(*regs & dbit))
			return BT_OK;
		*regs &= (uint16_t)~dbit;
		if (stack)
			bt->slots[sfr] |= 1ull << spi; /* a fill: the spilled value */
		return BT_OK;
	case FMT_ST:
	case FMT_STX:
		if (!stack || !((bt->slots[sfr] >> spi) & 1))
			return BT_OK;
		bt->slots[sfr] &= ~(1ull << spi);
		if (row->fmt == FMT_STX && isa_access_size(in->code) == 8)
			*regs |= sbit; /* a spill: the register's value */
		return BT_OK;
	case FMT_ATOMIC:
		/* the slot becomes misc and the fetched values unknown */
		if (stack)
			bt->slots[sfr] &= ~(1ull << spi);
		if (row->flags & ISA_F_FETCH)
			*regs &= (uint16_t)~sbit;
		if (op == OP_CMPXCHG32 || op == OP_CMPXCHG64)
			*regs &= (uint16_t)~1u;
		return BT_OK;
	case FMT_LDABS:
	case FMT_LDIND:
		*regs &= (uint16_t)~1u;
		return *regs & 0x3e ? BT_GIVE_UP : BT_OK;
	case FMT_JA:
	case FMT_JA32:
		return BT_OK;
	case FMT_JCOND_K:
		return BT_OK; /* dst stays wanted */
	case FMT_JCOND_X:
		/* each operand bounded the other */
		if (*regs & (dbit | sbit))
			*regs |= dbit | sbit;
		return BT_OK;
	case FMT_CALL:
		if (sub != i + 1)
			return BT_OK; /* entering a callback: the caller's registers stay */
		*regs &= (uint16_t)~1u;
		return *regs & 0x3e ? BT_GIVE_UP : BT_OK;
	case FMT_CALL_LOCAL:
		/* reached only through a callee's first insn (bt_step) */
		return BT_OK;
	case FMT_EXIT: {
		/* back from the caller into the callee; a callback's r0 was
		 * made precise where it was checked */
		if (sub == VERIFIER_NO_INSN || fr + 1 >= VERIFIER_MAX_FRAMES)
			return BT_GIVE_UP;
		if (!(e && (e->flags & HIST_CB_EXIT))) {
			if (*regs & 0x3e)
				return BT_GIVE_UP;
			if (*regs & 1) {
				*regs &= (uint16_t)~1u;
				bt->regs[fr + 1] |= 1;
			}
		}
		bt->frame = fr + 1;
		return BT_OK;
	}
	default:
		return BT_GIVE_UP;
	}
}

/* From a callee's first insn back to its call: arguments go to the caller. */
static int bt_enter_caller(const struct verifier_env *env, struct bt *bt, uint32_t call)
{
	uint32_t fr = bt->frame;
	if (!fr)
		return BT_GIVE_UP;
	uint16_t r = bt->regs[fr];
	if (bt->slots[fr])
		return BT_GIVE_UP;
	if (env->aux[call].op == OP_CALL_LOCAL) {
		if (r & ~0x3eu)
			return BT_GIVE_UP;
		bt->regs[fr - 1] |= r;
	} else {
		/* bpf_loop: r1 is the index (unknown), r2 the caller's r3; other
		 * helpers' callbacks (for_each_map_elem) are not followed */
		if ((r & ~0x6u) || (r && env->insns[call].imm != 181))
			return BT_GIVE_UP;
		if (r & 4)
			bt->regs[fr - 1] |= 8;
	}
	bt->regs[fr] = 0;
	bt->frame = fr - 1;
	return BT_OK;
}
/* }===== */

/* {===== walking the path */

static void mark_reg(struct reg_state *r)
{
	if (r->type == SCALAR_VALUE)
		r->precise = 1;
}

void mark_all_precise(struct verifier_env *env)
{
	for (struct vnode *n = env->cur_parent; n; n = n->parent)
		for (uint32_t fi = 0; fi <= n->st.curframe; fi++) {
			struct frame *f = n->st.frames[fi];
			for (int r = 0; r < VERIFIER_NREGS; r++)
				mark_reg(&f->regs[r]);
			for (uint32_t s = 0; s < f->nslots; s++)
				if (f->slots[s].kind[0] == STACK_SPILL)
					mark_reg(&f->slots[s].spill);
		}
}

/* The checkpoint @st gets what @bt wants marked precise; what was precise
 * already was followed further back then, and is dropped. */
static int bt_mark_state(struct bt *bt, struct vstate *st)
{
	if (st->curframe != bt->frame)
		return BT_GIVE_UP;
	for (uint32_t fi = 0; fi <= st->curframe; fi++) {
		struct frame *f = st->frames[fi];
		for (int r = 0; r < VERIFIER_NREGS; r++) {
			if (!(bt->regs[fi] & (1u << r)))
				continue;
			struct reg_state *reg = &f->regs[r];
			if (reg->type != SCALAR_VALUE || reg->precise)
				bt->regs[fi] &= (uint16_t)~(1u << r);
			else
				reg->precise = 1;
		}
		uint64_t m = bt->slots[fi];
		while (m) {
			uint32_t s = (uint32_t)__builtin_ctzll(m);
			m &= m - 1;
			struct reg_state *sp = s < f->nslots && f->slots[s].kind[0] == STACK_SPILL ? &f->slots[s].spill : NULL;
			if (!sp || sp->type != SCALAR_VALUE || sp->precise)
				bt->slots[fi] &= ~(1ull << s);
			else
				sp->precise = 1;
		}
		for (uint32_t s = f->nslots; s < 64; s++)
			bt->slots[fi] &= ~(1ull << s);
	}
	return BT_OK;
}

/* Walk the segment of @st from @last (skipped when @skip) back to its
 * first insn.  Returns BT_OK, BT_GIVE_UP, or 2 when nothing is wanted. */
/* Level 2 log, as the kernel's: what is wanted before insn @i. */
static void bt_log(struct verifier_env *env, const struct bt *bt, uint32_t i)
{
	char regs[64] = "", stack[256] = "", ins[128];
	size_t rn = 0, sn = 0;
	for (int r = 0; r < VERIFIER_NREGS; r++)
		if (bt->regs[bt->frame] & (1u << r) && rn < sizeof regs - 8)
			rn += (size_t)snprintf(regs + rn, sizeof regs - rn, "%sr%d", rn ? "," : "", r);
	for (int k = 0; k < 64; k++)
		if ((bt->slots[bt->frame] >> k) & 1 && sn < sizeof stack - 8)
			sn += (size_t)snprintf(stack + sn, sizeof stack - sn, "%s-%d", sn ? "," : "", 8 * k + 8);
	insn_str(env, i, ins, sizeof ins);
	vlog(env, 2, "mark_precise: frame%u: regs=%s stack=%s before %u: %s\n", bt->frame, regs, stack, i, ins);
}

static int bt_segment(struct verifier_env *env, struct bt *bt, const struct vstate *st, uint32_t last,
		      bool skip, uint32_t *sub)
{
	uint32_t i = last, nh = st->nhist;
	for (uint32_t steps = 0;; steps++) {
		if (steps > 4u * VERIFIER_MAX_PROCESSED || i >= env->cnt)
			return BT_GIVE_UP;
		const struct hist_entry *e = nh && st->hist[nh - 1].idx == i ? &st->hist[nh - 1] : NULL;
		if (!skip) {
			if (env->log_level >= 2)
				bt_log(env, bt, i);
			bt_sync_links(env, bt, e);
			if (bt_insn(env, bt, i, *sub, e))
				return BT_GIVE_UP;
			bt_sync_links(env, bt, e);
			if (bt_empty(bt))
				return 2;
		}
		skip = false;
		*sub = i;
		if (i == st->first_insn && nh <= 1)
			return BT_OK;
		uint32_t prev;
		if (e) {
			prev = e->prev;
			nh--;
		} else {
			if (!i)
				return BT_GIVE_UP;
			prev = i - 1;
			if (env->aux[prev].op == OP_INVALID)
				prev--;
		}
		if (prev >= env->cnt)
			return BT_GIVE_UP;
		/* a callee's first insn reached from its call */
		uint8_t pop = env->aux[prev].op;
		if (e && (pop == OP_CALL_LOCAL || (pop == OP_CALL && i != prev + 1)) && bt_enter_caller(env, bt, prev))
			return BT_GIVE_UP;
		i = prev;
	}
}

static void bt_run(struct verifier_env *env, struct bt *bt)
{
	uint32_t sub = VERIFIER_NO_INSN;
	int r = bt_segment(env, bt, env->cur, env->pc, true, &sub);
	for (struct vnode *n = env->cur_parent; r == BT_OK && n; n = n->parent) {
		if ((r = bt_mark_state(bt, &n->st)) || bt_empty(bt))
			break;
		if (n->st.last_insn == VERIFIER_NO_INSN)
			continue; /* the first checkpoint: nothing ran before it */
		sub = n->insn;
		uint32_t last = n->st.last_insn;
		if (last >= env->cnt) {
			r = BT_GIVE_UP;
			break;
		}
		/* the checkpoint is a callee's first insn: back into the caller */
		uint8_t lop = env->aux[last].op;
		if ((lop == OP_CALL_LOCAL || (lop == OP_CALL && n->insn != last + 1)) &&
		    (r = bt_enter_caller(env, bt, last)))
			break;
		r = bt_segment(env, bt, &n->st, n->st.last_insn, false, &sub);
	}
	if (r == BT_GIVE_UP)
		mark_all_precise(env);
}

void mark_precise(struct verifier_env *env, int regno)
{
	struct reg_state *r = &cur_regs(env)[regno];
	if (r->type != SCALAR_VALUE || !env->cur_parent)
		return;
	struct bt bt;
	memset(&bt, 0, sizeof(bt));
	bt.frame = env->cur->curframe;
	bt.regs[bt.frame] = (uint16_t)(1u << regno);
	bt_run(env, &bt);
}

void propagate_precision(struct verifier_env *env, const struct vstate *old, uint32_t insn)
{
	struct bt bt;
	memset(&bt, 0, sizeof(bt));
	bt.frame = env->cur->curframe;
	for (uint32_t fi = 0; fi <= old->curframe; fi++) {
		const struct frame *f = old->frames[fi];
		uint16_t live = state_frame_live(env, old, fi, insn);
		for (int r = 0; r < VERIFIER_NREGS; r++)
			if ((live & (1u << r)) && f->regs[r].type == SCALAR_VALUE && f->regs[r].precise)
				bt.regs[fi] |= (uint16_t)(1u << r);
		for (uint32_t s = 0; s < f->nslots && s < 64; s++)
			if (f->slots[s].kind[0] == STACK_SPILL && f->slots[s].spill.type == SCALAR_VALUE &&
			    f->slots[s].spill.precise)
				bt.slots[fi] |= 1ull << s;
	}
	if (!bt_empty(&bt) && env->cur_parent)
		bt_run(env, &bt);
}
/* }===== */
