/* Register, stack and frame state: creation, copies, comparison. */
#include "verifier.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* {===== registers */

void reg_mark_not_init(struct reg_state *r)
{
	memset(r, 0, sizeof(*r));
	r->type = NOT_INIT;
	r->v = range_unknown();
}

void reg_set_scalar(struct reg_state *r, struct range v)
{
	memset(r, 0, sizeof(*r));
	r->type = SCALAR_VALUE;
	r->v = v;
}

void reg_mark_unknown(struct reg_state *r)
{
	reg_set_scalar(r, range_unknown());
}

void reg_mark_const(struct reg_state *r, uint64_t v)
{
	reg_set_scalar(r, range_const(v));
}
/* }===== */

/* {===== frames and states */

struct frame *frame_new(uint32_t nslots)
{
	struct frame *f = calloc(1, sizeof(*f) + nslots * sizeof(struct stack_slot));
	if (f)
		f->nslots = nslots;
	return f;
}

int frame_grow(struct frame **fp, uint32_t nslots)
{
	struct frame *f = *fp;
	if (f->nslots >= nslots)
		return 0;
	struct frame *g = realloc(f, sizeof(*f) + nslots * sizeof(struct stack_slot));
	if (!g)
		return -ENOMEM;
	memset(&g->slots[g->nslots], 0, (nslots - g->nslots) * sizeof(struct stack_slot));
	g->nslots = nslots;
	*fp = g;
	return 0;
}

struct vstate *state_new(void)
{
	return calloc(1, sizeof(struct vstate));
}

void state_release(struct vstate *st)
{
	for (int i = 0; i < VERIFIER_MAX_FRAMES; i++) {
		free(st->frames[i]);
		st->frames[i] = NULL;
	}
	free(st->hist);
	st->hist = NULL;
	st->nhist = st->cap_hist = 0;
}

int state_hist_push(struct vstate *st, struct hist_entry e)
{
	if (st->nhist == st->cap_hist) {
		uint32_t cap = st->cap_hist ? st->cap_hist * 2 : 8;
		struct hist_entry *h = realloc(st->hist, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		st->hist = h;
		st->cap_hist = cap;
	}
	st->hist[st->nhist++] = e;
	return 0;
}

void state_free(struct vstate *st)
{
	if (!st)
		return;
	state_release(st);
	free(st);
}

int state_copy(struct vstate *dst, const struct vstate *src)
{
	state_release(dst);
	dst->curframe = src->curframe;
	dst->nrefs = src->nrefs;
	memcpy(dst->refs, src->refs, sizeof(src->refs));
	memcpy(dst->ref_insn, src->ref_insn, sizeof(src->ref_insn));
	dst->first_insn = src->first_insn;
	dst->last_insn = src->last_insn;
	memcpy(dst->trail, src->trail, sizeof(src->trail));
	dst->ntrail = src->ntrail;
	if (src->nhist) {
		dst->hist = malloc(src->nhist * sizeof(*dst->hist));
		if (!dst->hist)
			return -ENOMEM;
		memcpy(dst->hist, src->hist, src->nhist * sizeof(*dst->hist));
		dst->nhist = dst->cap_hist = src->nhist;
	}
	for (uint32_t i = 0; i <= src->curframe; i++) {
		const struct frame *f = src->frames[i];
		size_t sz = sizeof(*f) + f->nslots * sizeof(struct stack_slot);
		dst->frames[i] = malloc(sz);
		if (!dst->frames[i]) {
			state_release(dst);
			return -ENOMEM;
		}
		memcpy(dst->frames[i], f, sz);
	}
	return 0;
}

void state_for_each_reg(struct vstate *st, void (*fn)(struct reg_state *r, void *arg), void *arg)
{
	for (uint32_t i = 0; i <= st->curframe; i++) {
		struct frame *f = st->frames[i];
		for (int r = 0; r < VERIFIER_NREGS; r++)
			fn(&f->regs[r], arg);
		for (uint32_t s = 0; s < f->nslots; s++)
			if (f->slots[s].kind[0] == STACK_SPILL)
				fn(&f->slots[s].spill, arg);
	}
}
/* }===== */

/* {===== widening (callback loops) */

static void widen_reg(struct reg_state *cur, const struct reg_state *old)
{
	if (cur->type == SCALAR_VALUE && old->type == SCALAR_VALUE && !range_within(old->v, cur->v))
		reg_mark_unknown(cur);
}

void state_widen(struct vstate *cur, const struct vstate *old)
{
	if (cur->curframe != old->curframe)
		return;
	for (uint32_t i = 0; i <= cur->curframe; i++) {
		struct frame *fc = cur->frames[i];
		const struct frame *fo = old->frames[i];
		for (int r = 0; r < VERIFIER_NREGS; r++)
			widen_reg(&fc->regs[r], &fo->regs[r]);
		uint32_t n = fc->nslots < fo->nslots ? fc->nslots : fo->nslots;
		for (uint32_t k = 0; k < n; k++)
			if (fc->slots[k].kind[0] == STACK_SPILL && fo->slots[k].kind[0] == STACK_SPILL)
				widen_reg(&fc->slots[k].spill, &fo->slots[k].spill);
	}
}
/* }===== */

/* {===== comparison (pruning) */

struct idmap {
	uint32_t n, tmp;
	struct {
		uint32_t old, cur;
	} m[VERIFIER_MAX_FRAMES * (VERIFIER_NREGS + VERIFIER_SLOTS) + VERIFIER_MAX_REFS];
};

/* Ids must correspond one to one: two registers sharing an id in the old
 * state must share one in the current state. */
static bool check_ids(struct idmap *map, uint32_t old, uint32_t cur)
{
	if (!old && !cur)
		return true;
	if (!old || !cur)
		return false;
	for (uint32_t i = 0; i < map->n; i++) {
		if (map->m[i].old == old)
			return map->m[i].cur == cur;
		if (map->m[i].cur == cur)
			return false;
	}
	if (map->n < sizeof map->m / sizeof map->m[0]) {
		map->m[map->n].old = old;
		map->m[map->n].cur = cur;
		map->n++;
		return true;
	}
	return false;
}

/* Scalar links: an old scalar without a link assumes nothing. */
static bool check_scalar_ids(struct idmap *map, uint32_t old, uint32_t cur)
{
	if (!old)
		return true;
	if (!cur)
		cur = 0x80000000u + ++map->tmp; /* unique: matches no other id */
	return check_ids(map, old, cur);
}

static bool regsafe(struct idmap *map, const struct reg_state *old, const struct reg_state *cur, enum state_cmp cmp)
{
	bool exact = cmp == CMP_EXACT;
	if (old->type == NOT_INIT)
		return !exact || cur->type == NOT_INIT;
	if (cur->type == NOT_INIT || old->type != cur->type)
		return false;
	if (reg_base(old) == SCALAR_VALUE) {
		if (cmp == CMP_PRECISE && !old->precise)
			return true; /* its value reached no safety decision below old */
		if (exact)
			return range_eq(old->v, cur->v) && check_scalar_ids(map, old->id, cur->id);
		return range_within(old->v, cur->v) && check_scalar_ids(map, old->id, cur->id);
	}
	if (old->off != cur->off || old->frameno != cur->frameno)
		return false;
	if (exact ? !range_eq(old->v, cur->v) : !range_within(old->v, cur->v))
		return false;
	if (!check_ids(map, old->id, cur->id) || !check_ids(map, old->ref_obj_id, cur->ref_obj_id))
		return false;
	switch (reg_base(old)) {
	case PTR_TO_PACKET:
	case PTR_TO_PACKET_META:
		return exact ? old->range == cur->range : cur->range >= old->range;
	case PTR_TO_MEM:
		return old->mem_size == cur->mem_size;
	case CONST_PTR_TO_MAP:
	case PTR_TO_MAP_VALUE:
	case PTR_TO_MAP_KEY:
		return old->map == cur->map;
	case PTR_TO_FUNC:
		return old->subprog == cur->subprog;
	default:
		return true;
	}
}

static bool spill_is_unknown_scalar(const struct stack_slot *s)
{
	return s->kind[0] == STACK_SPILL && s->spill.type == SCALAR_VALUE && !s->spill.id &&
	       range_eq(s->spill.v, range_unknown());
}

static bool stacksafe(struct idmap *map, const struct frame *old, const struct frame *cur, enum state_cmp cmp,
		      bool uninit_readable)
{
	bool exact = cmp == CMP_EXACT;
	static const struct stack_slot invalid;
	uint32_t n = old->nslots > cur->nslots ? old->nslots : cur->nslots;
	for (uint32_t s = 0; s < n; s++) {
		const struct stack_slot *o = s < old->nslots ? &old->slots[s] : &invalid;
		const struct stack_slot *c = s < cur->nslots ? &cur->slots[s] : &invalid;
		if (exact) {
			if (memcmp(o->kind, c->kind, 8))
				return false;
			if (o->kind[0] == STACK_SPILL && !regsafe(map, &o->spill, &c->spill, cmp))
				return false;
			continue;
		}
		if (o->kind[0] == STACK_SPILL && c->kind[0] == STACK_SPILL) {
			if (!regsafe(map, &o->spill, &c->spill, cmp))
				return false;
			continue;
		}
		/* an imprecise spilled scalar stands for any scalar, like misc */
		bool old_any_scalar = spill_is_unknown_scalar(o) ||
				      (cmp == CMP_PRECISE && o->kind[0] == STACK_SPILL &&
				       o->spill.type == SCALAR_VALUE && !o->spill.precise);
		for (int b = 0; b < 8; b++) {
			uint8_t ok = o->kind[b], ck = c->kind[b];
			if (ok == STACK_INVALID && !uninit_readable)
				continue; /* never read on the old path: anything goes */
			if (ok == STACK_INVALID) {
				/* read as an unknown scalar on the old path */
				if (ck == STACK_SPILL && c->spill.type != SCALAR_VALUE)
					return false;
				continue;
			}
			if (ck == STACK_INVALID && !uninit_readable)
				return false;
			if (ok == STACK_MISC || old_any_scalar) {
				if (ck == STACK_SPILL && c->spill.type != SCALAR_VALUE)
					return false;
				continue;
			}
			if (ok == STACK_ZERO && ck == STACK_ZERO)
				continue;
			return false;
		}
	}
	return true;
}

uint16_t state_frame_live(const struct verifier_env *env, const struct vstate *st, uint32_t fi, uint32_t insn)
{
	if (fi == st->curframe)
		return env->aux[insn].live;
	/* a caller waits at its call: r0..r5 are rewritten on return;
	 * a callback returns to the helper call itself */
	const struct frame *callee = st->frames[fi + 1];
	if (callee->callback)
		return env->aux[callee->callsite].live;
	uint32_t ret = (uint32_t)callee->callsite + 1;
	return ret < env->cnt ? (uint16_t)(env->aux[ret].live & ~0x3fu) : 0;
}

bool states_equal(struct verifier_env *env, const struct vstate *old, const struct vstate *cur, uint32_t insn,
		  enum state_cmp cmp)
{
	if (old->curframe != cur->curframe || old->nrefs != cur->nrefs)
		return false;
	struct idmap *map = env->idmap;
	if (!map && !(map = env->idmap = malloc(sizeof(*map))))
		return false;
	map->n = map->tmp = 0;
	bool eq = true;
	for (uint32_t i = 0; i < old->nrefs && eq; i++)
		eq = check_ids(map, old->refs[i], cur->refs[i]);
	for (uint32_t fi = 0; fi <= old->curframe && eq; fi++) {
		const struct frame *fo = old->frames[fi], *fc = cur->frames[fi];
		if (fo->callsite != fc->callsite || fo->callback != fc->callback) {
			eq = false;
			break;
		}
		uint16_t live = state_frame_live(env, old, fi, insn);
		for (int r = 0; r < VERIFIER_NREGS - 1 && eq; r++)
			if (live & (1u << r))
				eq = regsafe(map, &fo->regs[r], &fc->regs[r], cmp);
		if (eq)
			eq = stacksafe(map, fo, fc, cmp, env->allow_uninit_stack);
	}
	return eq;
}
/* }===== */
