/* Soundness mode (sound.h): what the verifier explored at each instruction,
 * and the run-time check of concrete registers and accesses against it. */
#include "sound.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verifier.h"
#include "vm/vm.h"

/* {===== records */

enum { SOUND_MAX_ENTS = 48 }; /* per instruction; more and the insn is not checked */
enum { SOUND_MAX_CKS = 512 }; /* stored states per prune point; more and they are not checked */
enum { SLOT_REG = 16 };       /* sound_ent.reg of stack slot s of the current frame: SLOT_REG + s */
#define NO_SLACK INT64_MIN

/* All explored states of one register, one kind (type + object) joined. */
struct sound_ent {
	uint8_t reg;
	uint8_t up;        /* PTR_TO_STACK: frames above the current one */
	uint16_t type;     /* reg_state.type */
	int32_t key;       /* map index, mem_size, subprog: part of the kind */
	bool precise;      /* stored states: the scalar's value binds */
	int64_t omin, omax;/* pointers: fixed + variable offset, hull */
	int64_t slack;     /* packets: p + slack <= end was proven (range - off), or NO_SLACK */
	struct range v;    /* scalars: the value */
};

/* A state stored at a prune point, current frame only, read after
 * verification: its live registers and whole spills (scalars only when
 * precise), and the stack bytes it knew to be zero. */
struct sound_ck {
	struct sound_ent *e;
	uint16_t n;
	uint8_t zero[VERIFIER_SLOTS]; /* slot k: bit b for byte b (fp - 8k - 8 + b) */
};

struct sound_insn {
	struct sound_ent *e;
	uint16_t n, cap;
	uint16_t live, prec;
	uint8_t seen, over;
	uint8_t prune, ck_over;  /* a prune point; too many stored states */
	uint32_t nck, cap_ck;
	struct sound_ck *ck;
	/* current frame's 8-byte slots: spilled in some explored state; not a
	 * whole spilled register in some other (then anything goes there: a
	 * pruned path may hold any number where the checkpoint had bytes) */
	uint64_t slot_spill, slot_free;
};

struct sound_rec {
	uint32_t cnt;
	struct sound_insn *insn;
	/* where the context keeps the packet pointers (-1: nowhere) */
	int32_t data_off, end_off, meta_off;
	uint8_t data_sz, end_sz, meta_sz;
	/* per map (env->maps index): value and key sizes */
	uint32_t nmaps;
	uint32_t *value_size, *key_size;
	uint64_t checks;
	bool strict;       /* pruning by range: every live scalar's value is checked everywhere */
	char msg[768];
};

static void rec_clear(struct sound_rec *rec)
{
	for (uint32_t i = 0; i < rec->cnt; i++) {
		free(rec->insn[i].e);
		for (uint32_t k = 0; k < rec->insn[i].nck; k++)
			free(rec->insn[i].ck[k].e);
		free(rec->insn[i].ck);
		memset(&rec->insn[i], 0, sizeof(rec->insn[i]));
	}
}

void sound_free(struct sound_rec *rec)
{
	if (!rec)
		return;
	rec_clear(rec);
	free(rec->insn);
	free(rec->value_size);
	free(rec->key_size);
	free(rec);
}

uint64_t sound_checks(const struct sound_rec *rec)
{
	return rec ? rec->checks : 0;
}

const char *sound_last_violation(const struct sound_rec *rec)
{
	return rec ? rec->msg : "";
}

static enum reg_type base_of(uint16_t type)
{
	return (enum reg_type)(type & REG_TYPE_MASK);
}

static int64_t sat_add(int64_t a, int64_t b, int64_t dflt)
{
	int64_t r;
	return __builtin_add_overflow(a, b, &r) ? dflt : r;
}

static int32_t ent_key(const struct reg_state *r)
{
	switch (reg_base(r)) {
	case CONST_PTR_TO_MAP:
	case PTR_TO_MAP_VALUE:
	case PTR_TO_MAP_KEY:
		return r->map;
	case PTR_TO_MEM:
		return (int32_t)r->mem_size;
	case PTR_TO_FUNC:
		return r->subprog;
	default:
		return 0;
	}
}

static void ent_from(struct sound_ent *e, int regno, const struct reg_state *r, uint32_t curframe)
{
	memset(e, 0, sizeof(*e));
	e->reg = (uint8_t)regno;
	e->type = r->type;
	e->key = ent_key(r);
	e->slack = NO_SLACK;
	if (reg_base(r) == SCALAR_VALUE || reg_base(r) == NOT_INIT) {
		e->v = r->v;
		return;
	}
	if (reg_base(r) == PTR_TO_STACK)
		e->up = (uint8_t)(curframe - r->frameno);
	e->omin = sat_add(r->off, r->v.smin, INT64_MIN);
	e->omax = sat_add(r->off, r->v.smax, INT64_MAX);
	if (reg_is_pkt(r) && r->range > 0)
		e->slack = (int64_t)r->range - r->off;
}

static bool ent_same_kind(const struct sound_ent *a, const struct sound_ent *b)
{
	return a->reg == b->reg && a->type == b->type && a->up == b->up && a->key == b->key;
}

static void ent_join(struct sound_ent *into, const struct sound_ent *e)
{
	if (base_of(into->type) == SCALAR_VALUE) {
		into->v = range_union(into->v, e->v);
		return;
	}
	if (e->omin < into->omin)
		into->omin = e->omin;
	if (e->omax > into->omax)
		into->omax = e->omax;
	if (into->slack == NO_SLACK || e->slack == NO_SLACK)
		into->slack = NO_SLACK;
	else if (e->slack < into->slack)
		into->slack = e->slack;
}

void sound_record(struct verifier_env *env)
{
	struct sound_rec *rec = env->sound;
	uint32_t pc = env->pc;
	struct sound_insn *si = &rec->insn[pc];
	si->seen = 1;
	/* strict: pruning compares every live scalar by range (CMP_RANGE),
	 * so a pruned path's values lie in an explored state's and every
	 * live register is checked.  Otherwise (normal pruning) a scalar
	 * imprecise where a path was pruned may hold any value after it:
	 * scalars are checked at prune points only (sound_finish) */
	si->live = env->aux[pc].live;
	si->prec = rec->strict ? si->live : 0;
	if (si->over)
		return;
	const struct reg_state *regs = cur_regs(env);
	const struct frame *f = cur_frame(env);
	for (int r = 0; r < SLOT_REG + VERIFIER_SLOTS; r++) {
		struct sound_ent e;
		if (r >= VERIFIER_NREGS - 1 && r < SLOT_REG)
			continue;
		if (r < SLOT_REG) {
			if (!(si->live & (1u << r)))
				continue;
			ent_from(&e, r, &regs[r], env->cur->curframe);
		} else {
			uint32_t k = (uint32_t)(r - SLOT_REG);
			const struct stack_slot *sl = k < f->nslots ? &f->slots[k] : NULL;
			bool whole = sl && !memcmp(sl->kind, "\1\1\1\1\1\1\1\1", 8);
			_Static_assert(STACK_SPILL == 1, "kind bytes above");
			if (!whole) {
				si->slot_free |= 1ull << k;
				continue;
			}
			si->slot_spill |= 1ull << k;
			if (si->slot_free & (1ull << k))
				continue;
			ent_from(&e, r, &sl->spill, env->cur->curframe);
		}
		bool merged = false;
		for (uint16_t i = 0; i < si->n && !merged; i++)
			if (ent_same_kind(&si->e[i], &e)) {
				ent_join(&si->e[i], &e);
				merged = true;
			}
		if (merged)
			continue;
		if (si->n == SOUND_MAX_ENTS) {
			si->over = 1;
			return;
		}
		if (si->n == si->cap) {
			uint16_t cap = si->cap ? (uint16_t)(si->cap * 2) : 4;
			struct sound_ent *p = realloc(si->e, cap * sizeof(*p));
			if (!p) {
				si->over = 1;
				return;
			}
			si->e = p;
			si->cap = cap;
		}
		si->e[si->n++] = e;
	}
}

/* The state of @n (a stored checkpoint) as the run-time check needs it. */
static void ck_add(struct sound_rec *rec, const struct verifier_env *env, const struct vnode *n)
{
	struct sound_insn *si = &rec->insn[n->insn];
	if (si->ck_over)
		return;
	if (si->nck == SOUND_MAX_CKS) {
		si->ck_over = 1;
		return;
	}
	if (si->nck == si->cap_ck) {
		uint32_t cap = si->cap_ck ? si->cap_ck * 2 : 4;
		struct sound_ck *p = realloc(si->ck, cap * sizeof(*p));
		if (!p) {
			si->ck_over = 1;
			return;
		}
		si->ck = p;
		si->cap_ck = cap;
	}
	struct sound_ck *k = &si->ck[si->nck];
	memset(k, 0, sizeof(*k));
	const struct vstate *st = &n->st;
	const struct frame *f = st->frames[st->curframe];
	uint16_t live = env->aux[n->insn].live;
	struct sound_ent buf[VERIFIER_NREGS + VERIFIER_SLOTS];
	uint16_t cnt = 0;
	/* what states_equal compares (CMP_PRECISE): a NOT_INIT or imprecise
	 * scalar register stands for anything, so does an imprecise spilled
	 * scalar; pointers always bind; a zero byte needs a zero byte */
	for (int r = 0; r < VERIFIER_NREGS - 1; r++) {
		const struct reg_state *reg = &f->regs[r];
		if (!(live & (1u << r)) || reg_base(reg) == NOT_INIT || (reg_base(reg) == SCALAR_VALUE && !reg->precise))
			continue;
		ent_from(&buf[cnt], r, reg, st->curframe);
		buf[cnt++].precise = reg->precise;
	}
	uint32_t nslots = f->nslots < VERIFIER_SLOTS ? f->nslots : VERIFIER_SLOTS;
	for (uint32_t sl = 0; sl < nslots; sl++) {
		const struct stack_slot *o = &f->slots[sl];
		bool any_scalar = o->kind[0] == STACK_SPILL && o->spill.type == SCALAR_VALUE && !o->spill.precise;
		if (!memcmp(o->kind, "\1\1\1\1\1\1\1\1", 8)) {
			if (any_scalar)
				continue;
			ent_from(&buf[cnt], SLOT_REG + (int)sl, &o->spill, st->curframe);
			buf[cnt++].precise = o->spill.precise;
			continue;
		}
		for (int b = 0; b < 8 && !any_scalar; b++)
			if (o->kind[b] == STACK_ZERO)
				k->zero[sl] |= (uint8_t)(1u << b);
	}
	if (cnt && !(k->e = malloc(cnt * sizeof(*k->e)))) {
		si->ck_over = 1;
		return;
	}
	if (cnt)
		memcpy(k->e, buf, cnt * sizeof(*k->e));
	k->n = cnt;
	si->nck++;
}

void sound_unstored(struct verifier_env *env)
{
	env->sound->insn[env->pc].ck_over = 1;
}

void sound_finish(struct verifier_env *env)
{
	struct sound_rec *rec = env->sound;
	if (rec->strict)
		return;
	for (uint32_t i = 0; i < env->cnt; i++) {
		rec->insn[i].prune = env->aux[i].prune && rec->insn[i].seen;
		for (const struct vnode *n = env->aux[i].states; n; n = n->next)
			ck_add(rec, env, n);
	}
	for (const struct vnode *n = env->retired; n; n = n->next)
		ck_add(rec, env, n);
}
/* }===== */

/* {===== verification with records */

static void ctx_field_of(const struct hive_ctx_layout *l, uint8_t kind, int32_t *off, uint8_t *sz)
{
	*off = -1;
	*sz = 0;
	for (uint32_t i = 0; l && i < l->nfields; i++)
		if (l->fields[i].kind == kind) {
			*off = l->fields[i].off;
			*sz = l->fields[i].size;
		}
}

static int verify_rec(const struct hive_insn *insns, size_t cnt, const struct hive_verify_opts *opts,
		      struct hive_verify_stats *stats, struct sound_rec **out, bool strict)
{
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!insns || !cnt || cnt > HIVE_MAX_INSNS || (opts && opts->sz < sizeof(size_t)))
		return -EINVAL;
	struct sound_rec *rec = calloc(1, sizeof(*rec));
	if (!rec || !(rec->insn = calloc(cnt, sizeof(*rec->insn)))) {
		free(rec);
		return -ENOMEM;
	}
	rec->cnt = (uint32_t)cnt;
	rec->strict = strict;
	struct verifier_env env;
	verifier_env_init(&env, insns, cnt, opts);
	env.sound = rec;
	env.sound_range = strict;
	if (env.nmaps) {
		rec->value_size = calloc(env.nmaps, sizeof(uint32_t));
		rec->key_size = calloc(env.nmaps, sizeof(uint32_t));
		if (!rec->value_size || !rec->key_size) {
			sound_free(rec);
			return -ENOMEM;
		}
		rec->nmaps = env.nmaps;
		for (uint32_t i = 0; i < env.nmaps; i++) {
			rec->value_size[i] = env.maps[i].value_size;
			rec->key_size[i] = env.maps[i].key_size;
		}
	}
	ctx_field_of(env.ctx, HIVE_CTX_PKT, &rec->data_off, &rec->data_sz);
	ctx_field_of(env.ctx, HIVE_CTX_PKT_END, &rec->end_off, &rec->end_sz);
	ctx_field_of(env.ctx, HIVE_CTX_PKT_META, &rec->meta_off, &rec->meta_sz);
	int err = verifier_run(&env, stats);
	*out = rec;
	return err;
}

int sound_verify(const struct hive_insn *insns, size_t cnt, const struct hive_verify_opts *opts,
		 struct hive_verify_stats *stats, struct sound_rec **out)
{
	return verify_rec(insns, cnt, opts, stats, out, false);
}

int sound_verify_strict(const struct hive_insn *insns, size_t cnt, const struct hive_verify_opts *opts,
			struct hive_verify_stats *stats, struct sound_rec **out)
{
	return verify_rec(insns, cnt, opts, stats, out, true);
}
/* }===== */

/* {===== run-time check */

struct sound_ctx {
	const struct sound_rec *rec;
	const struct hive_run *run;
	const uint64_t *reg;
	bool pkt_known;
	uint64_t data, end, meta;
	/* the access of this insn through the register being checked */
	bool access;
	int64_t acc_off;
	unsigned acc_size;
};

static bool read_ctx_ptr(const struct hive_run *run, int32_t off, uint8_t sz, uint64_t *v)
{
	if (off < 0 || (sz != 4 && sz != 8) || !run->mem || (size_t)off + sz > run->mem_size)
		return false;
	const uint8_t *p = (const uint8_t *)run->mem + off;
	if (sz == 4) {
		uint32_t x;
		memcpy(&x, p, 4);
		*v = x;
	} else {
		memcpy(v, p, 8);
	}
	return true;
}

/* [a + acc_off, + acc_size) inside [lo, hi)? */
static bool within(const struct sound_ctx *c, uint64_t a, uint64_t lo, uint64_t hi)
{
	uint64_t s = a + (uint64_t)c->acc_off;
	return s >= lo && s <= hi && hi - s >= c->acc_size;
}

static bool ptr_in(const struct sound_ent *e, uint64_t x, uint64_t base)
{
	int64_t o = (int64_t)(x - base);
	return o >= e->omin && o <= e->omax;
}

/* Map values, map keys, ringbuf memory: the object the verifier assumed,
 * [x - o, x - o + size) for an o in [omin, omax], lies in one region the
 * checked run opened (a map value, global data, a reservation, the stack
 * for keys), for some such o.  The access itself, when there is one, lies
 * in that region too. */
static bool obj_in_region(const struct sound_ctx *c, const struct sound_ent *e, uint64_t x, uint64_t size)
{
	const struct hive_run *run = c->run;
	for (uint32_t i = 0; i < run->nregions; i++) {
		const struct vm_region *r = &run->regions[i];
		/* some base b with x - omax <= b <= x - omin, r->start <= b, b + size <= r->end */
		__int128 lo = (__int128)x - e->omax, hi = (__int128)x - e->omin;
		__int128 b = lo < (__int128)r->start ? (__int128)r->start : lo;
		if (b > hi || b + size > (__int128)r->end)
			continue;
		if (!c->access || within(c, x, r->start, r->end))
			return true;
	}
	return false;
}

static bool ent_match(const struct sound_ctx *c, const struct sound_ent *e, uint64_t x, bool precise)
{
	if (x == 0 && (e->type & PTR_MAYBE_NULL))
		return !c->access;
	switch (base_of(e->type)) {
	case NOT_INIT:
		return !c->access;
	case SCALAR_VALUE:
		return !c->access && (!precise || range_contains(e->v, x));
	case PTR_TO_STACK: {
		uint64_t fp = c->reg[10] + (uint64_t)e->up * HIVE_STACK_SIZE;
		if (!ptr_in(e, x, fp))
			return false;
		return !c->access || within(c, x, fp - HIVE_STACK_SIZE, fp);
	}
	case PTR_TO_CTX: {
		uint64_t base = (uintptr_t)c->run->mem;
		if (!ptr_in(e, x, base))
			return false;
		return !c->access || within(c, x, base, base + c->run->mem_size);
	}
	case PTR_TO_PACKET:
	case PTR_TO_PACKET_META: {
		if (!c->pkt_known)
			return !c->access || x != 0;
		bool meta = base_of(e->type) == PTR_TO_PACKET_META;
		uint64_t lo = meta ? c->meta : c->data, hi = meta ? c->data : c->end;
		if (!ptr_in(e, x, lo))
			return false;
		if (e->slack != NO_SLACK) {
			/* the readable range ends at x + slack (slack may be negative) */
			uint64_t lim = x + (uint64_t)e->slack;
			if ((e->slack >= 0 ? lim < x : lim > x) || lim > hi)
				return false;
		}
		return !c->access || within(c, x, lo, hi);
	}
	case PTR_TO_PACKET_END:
		return !c->access && (!c->pkt_known || x == c->end);
	case PTR_TO_MAP_VALUE:
	case PTR_TO_MAP_KEY: {
		const struct sound_rec *rec = c->rec;
		if (x == 0 || e->key < 0 || (uint32_t)e->key >= rec->nmaps)
			return x != 0;
		uint32_t sz = base_of(e->type) == PTR_TO_MAP_VALUE ? rec->value_size[e->key] : rec->key_size[e->key];
		return obj_in_region(c, e, x, sz);
	}
	case PTR_TO_MEM:
		return x != 0 && obj_in_region(c, e, x, (uint32_t)e->key);
	default:
		/* map pointers, functions: not NULL */
		return x != 0;
	}
}

static int ent_strn(char *buf, size_t size, const struct sound_ent *e)
{
	char tn[32];
	if (base_of(e->type) == SCALAR_VALUE || base_of(e->type) == NOT_INIT) {
		struct reg_state r;
		memset(&r, 0, sizeof(r));
		r.type = e->type;
		r.v = e->v;
		return reg_strn(buf, size, &r);
	}
	reg_type_name(e->type, tn, sizeof tn);
	int n = snprintf(buf, size, "%s(off=[%lld,%lld]", tn, (long long)e->omin, (long long)e->omax);
	if (base_of(e->type) == PTR_TO_STACK && e->up)
		n += snprintf(buf + n, size > (size_t)n ? size - (size_t)n : 0, ",frame=-%u", e->up);
	if (e->slack != NO_SLACK)
		n += snprintf(buf + n, size > (size_t)n ? size - (size_t)n : 0, ",r-off=%lld", (long long)e->slack);
	n += snprintf(buf + n, size > (size_t)n ? size - (size_t)n : 0, ")");
	return n;
}

static int violation(struct hive_run *run, const struct hive_prog *prog, struct sound_rec *rec, uint32_t pc, int regno, uint64_t x,
		     const struct sound_insn *si, const struct sound_ctx *c)
{
	char ib[96] = "";
	const struct hive_insn *insns = prog->insns;
	if (hive_disasm_insn(insns, prog->cnt, pc, ib, sizeof ib) <= 0)
		snprintf(ib, sizeof ib, "code 0x%02x", insns[pc].code);
	char rn[16];
	if (regno >= SLOT_REG)
		snprintf(rn, sizeof rn, "fp%d", -8 * (regno - SLOT_REG) - 8);
	else
		snprintf(rn, sizeof rn, "R%d", regno);
	size_t n = (size_t)snprintf(rec->msg, sizeof rec->msg, "soundness: insn %u (%s): %s=0x%llx%s not in {", pc,
				    ib, rn, (unsigned long long)x, c->access ? " (access base)" : "");
	bool first = true;
	for (uint16_t i = 0; i < si->n && n < sizeof rec->msg; i++) {
		if (si->e[i].reg != regno)
			continue;
		char eb[400];
		ent_strn(eb, sizeof eb, &si->e[i]);
		n += (size_t)snprintf(rec->msg + n, sizeof rec->msg - n, "%s%s", first ? "" : " | ", eb);
		first = false;
	}
	if (n < sizeof rec->msg)
		snprintf(rec->msg + n, sizeof rec->msg - n, "}");
	return vm_fault(run, -EFAULT, pc, "%s", rec->msg);
}

static uint64_t slot_value(const uint64_t *reg, int k)
{
	uint64_t v;
	memcpy(&v, (const void *)(uintptr_t)(reg[10] - 8u * (unsigned)k - 8u), 8);
	return v;
}

/* Does the run lie in stored state @k?  Else the index of the first entry
 * that does not hold (k->n + slot for a zero byte) in *bad, its value in *x. */
static bool ck_match(const struct sound_ctx *c, const struct sound_ck *k, const uint64_t *reg, uint32_t *bad,
		     uint64_t *x)
{
	for (uint16_t i = 0; i < k->n; i++) {
		const struct sound_ent *e = &k->e[i];
		*x = e->reg < SLOT_REG ? reg[e->reg] : slot_value(reg, e->reg - SLOT_REG);
		if (!ent_match(c, e, *x, e->precise)) {
			*bad = i;
			return false;
		}
	}
	for (uint32_t sl = 0; sl < VERIFIER_SLOTS; sl++) {
		if (!k->zero[sl])
			continue;
		*x = slot_value(reg, (int)sl);
		for (int b = 0; b < 8; b++)
			if ((k->zero[sl] >> b & 1) && (uint8_t)(*x >> (8 * b))) {
				*bad = k->n + sl;
				return false;
			}
	}
	return true;
}

/* At a prune point (normal pruning): some state stored here, with the
 * precision marks it ended verification with, covers the run.  That is
 * what pruning relied on: a path pruned here went on as the stored state's
 * did, which only holds for the registers and slots that state kept
 * precise (precision back-tracked from every safety decision below it),
 * pointers, and zero bytes. */
static int check_stored(struct hive_run *run, const struct hive_prog *prog, struct sound_rec *rec, uint32_t pc,
			const uint64_t *reg, const struct sound_insn *si, struct sound_ctx *c)
{
	c->access = false;
	uint32_t best = 0, best_bad = 0;
	uint64_t best_x = 0;
	for (uint32_t i = 0; i < si->nck; i++) {
		uint32_t bad = 0;
		uint64_t x = 0;
		rec->checks++;
		if (ck_match(c, &si->ck[i], reg, &bad, &x))
			return 0;
		if (i == 0 || bad > best_bad) {
			best = i;
			best_bad = bad;
			best_x = x;
		}
	}
	char ib[96] = "";
	if (hive_disasm_insn(prog->insns, prog->cnt, pc, ib, sizeof ib) <= 0)
		snprintf(ib, sizeof ib, "code 0x%02x", prog->insns[pc].code);
	if (!si->nck) {
		snprintf(rec->msg, sizeof rec->msg, "soundness: insn %u (%s): a prune point with no stored state", pc, ib);
		return vm_fault(run, -EFAULT, pc, "%s", rec->msg);
	}
	const struct sound_ck *k = &si->ck[best];
	char what[480];
	if (best_bad < k->n) {
		const struct sound_ent *e = &k->e[best_bad];
		char rn[16], eb[400];
		if (e->reg >= SLOT_REG)
			snprintf(rn, sizeof rn, "fp%d", -8 * (e->reg - SLOT_REG) - 8);
		else
			snprintf(rn, sizeof rn, "R%d", e->reg);
		ent_strn(eb, sizeof eb, e);
		snprintf(what, sizeof what, "%s=0x%llx not in %s%s", rn, (unsigned long long)best_x, eb,
			 base_of(e->type) == SCALAR_VALUE ? " (precise)" : "");
	} else {
		snprintf(what, sizeof what, "fp%d=0x%016llx where it had zero bytes 0x%02x",
			 -8 * (int)(best_bad - k->n) - 8, (unsigned long long)best_x, k->zero[best_bad - k->n]);
	}
	snprintf(rec->msg, sizeof rec->msg, "soundness: insn %u (%s): no state stored here covers the run (%u stored); "
		 "closest, state %u: %s", pc, ib, si->nck, best, what);
	return vm_fault(run, -EFAULT, pc, "%s", rec->msg);
}

/* The register an instruction dereferences, with offset and size, or -1. */
static int access_of(const struct hive_insn *insn, int64_t *off, unsigned *size)
{
	uint8_t cls = ISA_CLASS(insn->code), mode = insn->code & 0xe0;
	if (cls != ISA_LDX && cls != ISA_ST && cls != ISA_STX)
		return -1;
	if (mode != ISA_MEM && mode != ISA_MEMSX && mode != ISA_ATOMIC)
		return -1;
	*off = insn->off;
	*size = isa_access_size(insn->code);
	return cls == ISA_LDX ? insn->src_reg : insn->dst_reg;
}

int sound_step(struct hive_run *run, const struct hive_prog *prog, uint32_t pc, const uint64_t *reg)
{
	struct sound_rec *rec = prog->sound;
	if (pc >= rec->cnt)
		return 0;
	const struct sound_insn *si = &rec->insn[pc];
	if (!si->seen) {
		snprintf(rec->msg, sizeof rec->msg, "soundness: insn %u reached, but the verifier never explored it",
			 pc);
		return vm_fault(run, -EFAULT, pc, "%s", rec->msg);
	}
	if (si->over)
		return 0;
	struct sound_ctx c = {.rec = rec, .run = run, .reg = reg};
	c.pkt_known = read_ctx_ptr(run, rec->data_off, rec->data_sz, &c.data) &&
		      read_ctx_ptr(run, rec->end_off, rec->end_sz, &c.end);
	if (!read_ctx_ptr(run, rec->meta_off, rec->meta_sz, &c.meta))
		c.meta = c.data;
	int64_t aoff = 0;
	unsigned asize = 0;
	int areg = access_of(&prog->insns[pc], &aoff, &asize);
	for (int r = 0; r < VERIFIER_NREGS - 1; r++) {
		if (!((si->live >> r) & 1))
			continue;
		bool precise = (si->prec >> r) & 1, ok = false;
		c.access = r == areg;
		c.acc_off = aoff;
		c.acc_size = asize;
		rec->checks++;
		for (uint16_t i = 0; i < si->n && !ok; i++)
			if (si->e[i].reg == r)
				ok = ent_match(&c, &si->e[i], reg[r], precise);
		if (!ok)
			return violation(run, prog, rec, pc, r, reg[r], si, &c);
	}
	/* spilled registers of the current frame */
	uint64_t slots = si->slot_spill & ~si->slot_free;
	c.access = false;
	while (slots) {
		int k = __builtin_ctzll(slots);
		slots &= slots - 1;
		uint64_t v = slot_value(reg, k);
		bool ok = false;
		rec->checks++;
		for (uint16_t i = 0; i < si->n && !ok; i++)
			if (si->e[i].reg == SLOT_REG + k)
				ok = ent_match(&c, &si->e[i], v, rec->strict);
		if (!ok)
			return violation(run, prog, rec, pc, SLOT_REG + k, v, si, &c);
	}
	if (si->prune && !si->ck_over)
		return check_stored(run, prog, rec, pc, reg, si, &c);
	return 0;
}
/* }===== */
