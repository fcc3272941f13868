/* Bounds of 64-bit numbers in four views plus a tnum (see range.h). */
#include "range.h"

#include <stdio.h>

typedef __int128 i128;

/* {===== views: each bound pair seen as a 128-bit interval */

enum view { V_U64, V_S64, V_U32, V_S32, V__COUNT };

struct iv {
	i128 lo, hi;
};

static const i128 view_min[V__COUNT] = {0, INT64_MIN, 0, INT32_MIN};
static const i128 view_max[V__COUNT] = {UINT64_MAX, INT64_MAX, UINT32_MAX, INT32_MAX};

static struct iv view_get(const struct range *r, enum view v)
{
	switch (v) {
	case V_U64: return (struct iv){r->umin, r->umax};
	case V_S64: return (struct iv){r->smin, r->smax};
	case V_U32: return (struct iv){r->u32min, r->u32max};
	default: return (struct iv){r->s32min, r->s32max};
	}
}

/* Stores an interval already inside the view's limits (lo > hi: empty). */
static void view_set(struct range *r, enum view v, struct iv x)
{
	switch (v) {
	case V_U64: r->umin = (uint64_t)x.lo; r->umax = (uint64_t)x.hi; break;
	case V_S64: r->smin = (int64_t)x.lo; r->smax = (int64_t)x.hi; break;
	case V_U32: r->u32min = (uint32_t)x.lo; r->u32max = (uint32_t)x.hi; break;
	default: r->s32min = (int32_t)x.lo; r->s32max = (int32_t)x.hi; break;
	}
}

static struct iv iv_full(enum view v)
{
	return (struct iv){view_min[v], view_max[v]};
}

/* The exact integers [lo, hi] taken modulo the view's width: an interval
 * when they do not straddle the wrap point, else the full view. */
static struct iv iv_wrap(enum view v, i128 lo, i128 hi)
{
	i128 span = view_max[v] - view_min[v] + 1;
	if (hi - lo >= span)
		return iv_full(v);
	i128 k = (lo - view_min[v]) / span;
	if (lo - view_min[v] < 0 && (lo - view_min[v]) % span)
		k -= 1;
	lo -= k * span;
	hi -= k * span;
	if (hi > view_max[v])
		return iv_full(v);
	return (struct iv){lo, hi};
}

static i128 i128_min(i128 a, i128 b) { return a < b ? a : b; }
static i128 i128_max(i128 a, i128 b) { return a > b ? a : b; }

static struct iv iv_meet(struct iv a, struct iv b)
{
	return (struct iv){i128_max(a.lo, b.lo), i128_min(a.hi, b.hi)};
}

static bool view_is_signed(enum view v) { return v == V_S64 || v == V_S32; }

/* Reinterpret @x (a value of the 64-bit or 32-bit word) in view @v. */
static i128 view_of(enum view v, uint64_t x)
{
	switch (v) {
	case V_U64: return x;
	case V_S64: return (int64_t)x;
	case V_U32: return (uint32_t)x;
	default: return (int32_t)(uint32_t)x;
	}
}
/* }===== */

static const struct range range_empty = {.umin = 1, .umax = 0, .smin = 1, .smax = 0,
					   .u32min = 1, .u32max = 0, .s32min = 1, .s32max = 0};

struct range range_unknown(void)
{
	return (struct range){
		.t = tnum_unknown, .smin = INT64_MIN, .smax = INT64_MAX, .umin = 0, .umax = UINT64_MAX,
		.s32min = INT32_MIN, .s32max = INT32_MAX, .u32min = 0, .u32max = UINT32_MAX,
	};
}

struct range range_const(uint64_t v)
{
	return (struct range){
		.t = tnum_const(v), .smin = (int64_t)v, .smax = (int64_t)v, .umin = v, .umax = v,
		.s32min = (int32_t)(uint32_t)v, .s32max = (int32_t)(uint32_t)v,
		.u32min = (uint32_t)v, .u32max = (uint32_t)v,
	};
}

struct range range_from_tnum(struct tnum t)
{
	struct range r = range_unknown();
	r.t = t;
	return range_sync(r);
}

struct range range_urange(uint64_t min, uint64_t max)
{
	struct range r = range_unknown();
	r.umin = min;
	r.umax = max;
	return range_sync(r);
}

struct range range_union(struct range a, struct range b)
{
	if (range_is_empty(a))
		return b;
	if (range_is_empty(b))
		return a;
	struct range r;
	r.t = tnum_union(a.t, b.t);
	for (int v = 0; v < V__COUNT; v++) {
		struct iv x = view_get(&a, (enum view)v), y = view_get(&b, (enum view)v);
		view_set(&r, (enum view)v, (struct iv){i128_min(x.lo, y.lo), i128_max(x.hi, y.hi)});
	}
	return range_sync(r);
}

bool range_is_empty(struct range a)
{
	return a.umin > a.umax || a.smin > a.smax || a.u32min > a.u32max || a.s32min > a.s32max ||
	       (a.t.value & a.t.mask);
}


bool range_contains(struct range a, uint64_t x)
{
	if (range_is_empty(a) || !tnum_in(a.t, tnum_const(x)))
		return false;
	for (int v = 0; v < V__COUNT; v++) {
		struct iv b = view_get(&a, (enum view)v);
		i128 c = view_of((enum view)v, x);
		if (c < b.lo || c > b.hi)
			return false;
	}
	return true;
}

bool range_within(struct range old, struct range cur)
{
	if (range_is_empty(cur))
		return true;
	for (int v = 0; v < V__COUNT; v++) {
		struct iv o = view_get(&old, (enum view)v), c = view_get(&cur, (enum view)v);
		if (c.lo < o.lo || c.hi > o.hi)
			return false;
	}
	return tnum_in(old.t, cur.t);
}

/* {===== range_sync */

/* Bounds implied by the tnum. */
static void sync_from_tnum(struct range *r)
{
	struct tnum t = r->t, s = tnum_subreg(t);
	struct iv u = {tnum_umin(t), tnum_umax(t)};
	struct iv sg = {(int64_t)(t.value | (t.mask & ((uint64_t)1 << 63))),
			(int64_t)(t.value | (t.mask & ~((uint64_t)1 << 63)))};
	struct iv u32 = {tnum_umin(s), tnum_umax(s)};
	struct iv s32 = {(int32_t)(uint32_t)(s.value | (s.mask & 0x80000000u)),
			 (int32_t)(uint32_t)(s.value | (s.mask & 0x7fffffffu))};
	view_set(r, V_U64, iv_meet(view_get(r, V_U64), u));
	view_set(r, V_S64, iv_meet(view_get(r, V_S64), sg));
	view_set(r, V_U32, iv_meet(view_get(r, V_U32), u32));
	view_set(r, V_S32, iv_meet(view_get(r, V_S32), s32));
}

/* Within one width: a signed interval not crossing zero is an unsigned one
 * and an unsigned interval not crossing the sign bit is a signed one. */
static void sync_sign(struct range *r, enum view u, enum view s)
{
	struct iv ui = view_get(r, u), si = view_get(r, s);
	if (ui.lo > ui.hi || si.lo > si.hi)
		return;
	i128 span = view_max[u] + 1;
	if (si.lo >= 0 || si.hi < 0) {
		struct iv as_u = si.lo >= 0 ? si : (struct iv){si.lo + span, si.hi + span};
		ui = iv_meet(ui, as_u);
	}
	if (ui.lo > ui.hi)
		goto out;
	if (ui.hi <= view_max[s] || ui.lo > view_max[s]) {
		struct iv as_s = ui.hi <= view_max[s] ? ui : (struct iv){ui.lo - span, ui.hi - span};
		si = iv_meet(si, as_s);
	}
out:
	view_set(r, u, ui);
	view_set(r, s, si);
}

/* Between widths. */
static void sync_widths(struct range *r)
{
	const uint64_t hi32 = ~(uint64_t)0xffffffff;
	/* 64 -> 32: values sharing their upper half have contiguous low halves. */
	if ((r->umin & hi32) == (r->umax & hi32) && r->umin <= r->umax) {
		struct iv lo = {(uint32_t)r->umin, (uint32_t)r->umax};
		view_set(r, V_U32, iv_meet(view_get(r, V_U32), lo));
		if ((int32_t)(uint32_t)r->umin <= (int32_t)(uint32_t)r->umax) {
			struct iv slo = {(int32_t)(uint32_t)r->umin, (int32_t)(uint32_t)r->umax};
			view_set(r, V_S32, iv_meet(view_get(r, V_S32), slo));
		}
	}
	if (((uint64_t)r->smin & hi32) == ((uint64_t)r->smax & hi32) && r->smin <= r->smax) {
		struct iv lo = {(uint32_t)r->smin, (uint32_t)r->smax};
		view_set(r, V_U32, iv_meet(view_get(r, V_U32), lo));
		if ((int32_t)(uint32_t)r->smin <= (int32_t)(uint32_t)r->smax) {
			struct iv slo = {(int32_t)(uint32_t)r->smin, (int32_t)(uint32_t)r->smax};
			view_set(r, V_S32, iv_meet(view_get(r, V_S32), slo));
		}
	}
	/* A signed 64-bit range inside s32 is the sign extension of the low half. */
	if (r->smin >= INT32_MIN && r->smax <= INT32_MAX && r->smin <= r->smax) {
		struct iv s = {r->smin, r->smax};
		view_set(r, V_S32, iv_meet(view_get(r, V_S32), s));
		struct iv back = view_get(r, V_S32);
		view_set(r, V_S64, iv_meet(view_get(r, V_S64), back));
	}
	/* 32 -> 64: with the upper half fixed, the low half bounds the value. */
	if (r->u32min <= r->u32max) {
		if ((r->umin & hi32) == (r->umax & hi32) && r->umin <= r->umax) {
			uint64_t h = r->umin & hi32;
			struct iv x = {h | r->u32min, h | r->u32max};
			view_set(r, V_U64, iv_meet(view_get(r, V_U64), x));
		}
		if (((uint64_t)r->smin & hi32) == ((uint64_t)r->smax & hi32) && r->smin <= r->smax) {
			uint64_t h = (uint64_t)r->smin & hi32;
			struct iv x = {(int64_t)(h | r->u32min), (int64_t)(h | r->u32max)};
			view_set(r, V_S64, iv_meet(view_get(r, V_S64), x));
		}
	}
}

/* Tnum implied by the bounds. */
static void sync_to_tnum(struct range *r)
{
	if (r->umin > r->umax || r->u32min > r->u32max)
		return;
	struct tnum b = tnum_range(r->umin, r->umax);
	if (!tnum_overlap(r->t, b)) {
		*r = range_empty;
		return;
	}
	r->t = tnum_intersect(r->t, b);
	struct tnum s = tnum_range(r->u32min, r->u32max), sub = tnum_subreg(r->t);
	if (!tnum_overlap(sub, s)) {
		*r = range_empty;
		return;
	}
	r->t = tnum_with_subreg(r->t, tnum_intersect(sub, s));
}

struct range range_sync(struct range a)
{
	if (tnum_is_const(a.t)) {
		/* the common case, a known value: one value in every view or none */
		uint64_t v = a.t.value;
		if ((int64_t)v < a.smin || (int64_t)v > a.smax || v < a.umin || v > a.umax ||
		    (int32_t)v < a.s32min || (int32_t)v > a.s32max || (uint32_t)v < a.u32min || (uint32_t)v > a.u32max)
			return range_empty;
		return range_const(v);
	}
	for (int i = 0; i < 4; i++) {
		struct range before = a;
		sync_from_tnum(&a);
		sync_sign(&a, V_U64, V_S64);
		sync_sign(&a, V_U32, V_S32);
		sync_widths(&a);
		sync_sign(&a, V_U64, V_S64);
		sync_sign(&a, V_U32, V_S32);
		sync_to_tnum(&a);
		if (range_is_empty(a))
			return range_empty;
		if (range_eq(a, before))
			break;
	}
	return a;
}
/* }===== */

/* {===== casts */

struct range range_zext32(struct range a)
{
	struct range r = range_unknown();
	r.t = tnum_subreg(a.t);
	r.u32min = a.u32min;
	r.u32max = a.u32max;
	r.s32min = a.s32min;
	r.s32max = a.s32max;
	r.umin = a.u32min;
	r.umax = a.u32max;
	r.smin = 0;
	r.smax = UINT32_MAX;
	return range_sync(r);
}

struct range range_cast(struct range a, unsigned size)
{
	if (size >= 8)
		return a;
	if (size == 4)
		return range_zext32(a);
	struct range r = range_unknown();
	uint64_t max = ((uint64_t)1 << (size * 8)) - 1;
	r.t = tnum_cast(a.t, size);
	r.umax = max;
	/* the low bytes keep their bounds when the 32-bit range fits in them */
	if (a.u32max <= max) {
		r.umin = a.u32min;
		r.umax = a.u32max;
	}
	return range_sync(r);
}

struct range range_sext(struct range a, unsigned size)
{
	if (size >= 8)
		return a;
	struct range r = range_unknown();
	int64_t lim = (int64_t)1 << (size * 8 - 1);
	r.t = tnum_sext(a.t, size);
	r.smin = -lim;
	r.smax = lim - 1;
	/* a value already in the narrow signed range is unchanged */
	if (a.s32min >= -lim && a.s32max < lim) {
		r.smin = a.s32min;
		r.smax = a.s32max;
	}
	return range_sync(r);
}

struct range range_movsx(struct range a, unsigned size, bool is32)
{
	struct range r = range_sext(a, size);
	return is32 ? range_zext32(r) : r;
}

static uint64_t bswap_bits(uint64_t x, unsigned bits)
{
	switch (bits) {
	case 16: return __builtin_bswap16((uint16_t)x);
	case 32: return __builtin_bswap32((uint32_t)x);
	default: return __builtin_bswap64(x);
	}
}

struct range range_bswap(struct range a, unsigned bits)
{
	if (range_is_const(a))
		return range_const(bswap_bits(a.t.value, bits));
	/* swap the known bits and the unknown bits alike */
	return range_from_tnum(TNUM(bswap_bits(a.t.value, bits), bswap_bits(a.t.mask, bits)));
}
/* }===== */

/* {===== arithmetic */

uint64_t range_alu_concrete(enum range_op op, uint64_t x, uint64_t y, bool is32)
{
	if (is32) {
		x = (uint32_t)x;
		y = (uint32_t)y;
	}
	unsigned w = is32 ? 32 : 64;
	uint64_t r;
	switch (op) {
	case RA_ADD: r = x + y; break;
	case RA_SUB: r = x - y; break;
	case RA_MUL: r = x * y; break;
	case RA_DIV: r = y ? x / y : 0; break;
	case RA_MOD: r = y ? x % y : x; break;
	case RA_SDIV:
		if (is32) {
			int32_t a = (int32_t)x, b = (int32_t)y;
			r = !b ? 0 : (a == INT32_MIN && b == -1) ? (uint32_t)a : (uint32_t)(a / b);
		} else {
			int64_t a = (int64_t)x, b = (int64_t)y;
			r = !b ? 0 : (a == INT64_MIN && b == -1) ? (uint64_t)a : (uint64_t)(a / b);
		}
		break;
	case RA_SMOD:
		if (is32) {
			int32_t a = (int32_t)x, b = (int32_t)y;
			r = !b ? (uint32_t)a : b == -1 ? 0 : (uint32_t)(a % b);
		} else {
			int64_t a = (int64_t)x, b = (int64_t)y;
			r = !b ? (uint64_t)a : b == -1 ? 0 : (uint64_t)(a % b);
		}
		break;
	case RA_OR: r = x | y; break;
	case RA_AND: r = x & y; break;
	case RA_XOR: r = x ^ y; break;
	case RA_LSH: r = x << (y & (w - 1)); break;
	case RA_RSH: r = x >> (y & (w - 1)); break;
	case RA_ARSH:
		r = is32 ? (uint32_t)((int32_t)(uint32_t)x >> (y & 31)) : (uint64_t)((int64_t)x >> (y & 63));
		break;
	case RA_MOV: r = y; break;
	case RA_NEG: r = (uint64_t)0 - x; break;
	default: r = 0; break;
	}
	return is32 ? (uint32_t)r : r;
}

/* Bounds of one view for a OP b, from the same view of the operands
 * (ops whose result in this view depends on the operands' view only). */
static struct iv view_arith(enum range_op op, enum view v, struct iv a, struct iv b)
{
	bool sgn = view_is_signed(v);
	switch (op) {
	case RA_ADD:
		return iv_wrap(v, a.lo + b.lo, a.hi + b.hi);
	case RA_SUB:
		return iv_wrap(v, a.lo - b.hi, a.hi - b.lo);
	case RA_MUL: {
		if (!sgn) {
			/* unsigned 64x64 may not fit i128; check first */
			if (a.hi > 0 && b.hi > (view_max[v] / a.hi))
				return iv_full(v);
			return (struct iv){a.lo * b.lo, a.hi * b.hi};
		}
		i128 c[4] = {a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi};
		i128 lo = c[0], hi = c[0];
		for (int i = 1; i < 4; i++) {
			lo = i128_min(lo, c[i]);
			hi = i128_max(hi, c[i]);
		}
		if (lo < view_min[v] || hi > view_max[v])
			return iv_full(v);
		return (struct iv){lo, hi};
	}
	case RA_DIV:
		if (sgn)
			return iv_full(v);
		if (b.lo > 0)
			return (struct iv){a.lo / b.hi, a.hi / b.lo};
		return (struct iv){0, a.hi};
	case RA_MOD:
		if (sgn)
			return iv_full(v);
		if (b.lo > 0)
			return (struct iv){0, i128_min(a.hi, b.hi - 1)};
		return (struct iv){0, a.hi};
	case RA_AND:
		if (!sgn)
			return (struct iv){0, i128_min(a.hi, b.hi)};
		if (a.lo >= 0 && b.lo >= 0)
			return (struct iv){0, i128_min(a.hi, b.hi)};
		if (a.lo >= 0)
			return (struct iv){0, a.hi};
		if (b.lo >= 0)
			return (struct iv){0, b.hi};
		return iv_full(v);
	case RA_OR:
		if (!sgn)
			return (struct iv){i128_max(a.lo, b.lo), view_max[v]};
		if (a.lo >= 0 && b.lo >= 0)
			return (struct iv){i128_max(a.lo, b.lo), view_max[v]};
		return iv_full(v);
	default:
		return iv_full(v);
	}
}

/* Constant shift of one view. */
static struct iv view_shift(enum range_op op, enum view v, struct iv a, unsigned k)
{
	bool sgn = view_is_signed(v);
	switch (op) {
	case RA_LSH: {
		i128 lo = a.lo * ((i128)1 << k), hi = a.hi * ((i128)1 << k);
		if (lo < view_min[v] || hi > view_max[v])
			return iv_full(v);
		return (struct iv){lo, hi};
	}
	case RA_RSH:
		if (sgn) {
			if (k == 0)
				return a;
			return iv_full(v);
		}
		return (struct iv){a.lo >> k, a.hi >> k};
	case RA_ARSH:
		if (!sgn)
			return k == 0 ? a : iv_full(v);
		return (struct iv){a.lo >> k, a.hi >> k}; /* >> on i128 is arithmetic */
	default:
		return iv_full(v);
	}
}

static struct tnum tnum_op(enum range_op op, struct tnum a, struct tnum b, bool is32)
{
	switch (op) {
	case RA_ADD: return tnum_add(a, b);
	case RA_SUB: return tnum_sub(a, b);
	case RA_MUL: return tnum_mul(a, b);
	case RA_AND: return tnum_and(a, b);
	case RA_OR: return tnum_or(a, b);
	case RA_XOR: return tnum_xor(a, b);
	case RA_LSH: return tnum_is_const(b) ? tnum_lshift(a, (unsigned)b.value) : tnum_unknown;
	case RA_RSH:
		return tnum_is_const(b) ? tnum_rshift(is32 ? tnum_subreg(a) : a, (unsigned)b.value) : tnum_unknown;
	case RA_ARSH:
		return tnum_is_const(b) ? tnum_arshift(a, (unsigned)b.value, is32 ? 32 : 64) : tnum_unknown;
	default: return tnum_unknown;
	}
}

/* Ops whose low 32 result bits depend only on the operands' low 32 bits. */
static bool op_low_closed(enum range_op op)
{
	return op == RA_ADD || op == RA_SUB || op == RA_MUL || op == RA_AND || op == RA_OR || op == RA_XOR;
}

struct range range_alu(enum range_op op, struct range a, struct range b, bool is32)
{
	if (op == RA_MOV)
		return is32 ? range_zext32(b) : b;
	if (op == RA_NEG)
		return range_alu(RA_SUB, range_const(0), a, is32);
	if (range_is_empty(a) || range_is_empty(b))
		return range_empty;
	unsigned w = is32 ? 32 : 64;
	bool ka = is32 ? range_is_const32(a) : range_is_const(a);
	bool kb = is32 ? range_is_const32(b) : range_is_const(b);
	if (ka && kb)
		return range_const(range_alu_concrete(op, a.t.value, b.t.value, is32));

	bool shift = op == RA_LSH || op == RA_RSH || op == RA_ARSH;
	uint64_t k = is32 ? (uint32_t)b.t.value : b.t.value;
	if (shift && (!kb || k >= w))
		return is32 ? range_zext32(range_unknown()) : range_unknown();
	if (is32 && shift) {
		b = range_const(k);
		kb = true;
	}

	struct range r = range_unknown();
	if (is32) {
		struct tnum ta = tnum_subreg(a.t), tb = tnum_subreg(b.t);
		r.t = tnum_subreg(tnum_op(op, ta, tb, true));
		for (enum view v = V_U32; v <= V_S32; v++) {
			struct iv x = shift ? view_shift(op, v, view_get(&a, v), (unsigned)k)
					    : view_arith(op, v, view_get(&a, v), view_get(&b, v));
			view_set(&r, v, x);
		}
		r.umax = UINT32_MAX;
		r.smin = 0;
		r.smax = UINT32_MAX;
		return range_zext32(range_sync(r));
	}
	r.t = tnum_op(op, a.t, b.t, false);
	for (enum view v = V_U64; v <= V_S64; v++) {
		struct iv x = shift ? view_shift(op, v, view_get(&a, v), (unsigned)k)
				    : view_arith(op, v, view_get(&a, v), view_get(&b, v));
		view_set(&r, v, x);
	}
	if (op_low_closed(op)) {
		for (enum view v = V_U32; v <= V_S32; v++)
			view_set(&r, v, view_arith(op, v, view_get(&a, v), view_get(&b, v)));
	} else if (op == RA_LSH && k < 32) {
		for (enum view v = V_U32; v <= V_S32; v++)
			view_set(&r, v, view_shift(op, v, view_get(&a, v), (unsigned)k));
	}
	return range_sync(r);
}
/* }===== */

/* {===== branches */

enum range_cond range_cond_negate(enum range_cond c)
{
	static const uint8_t neg[RC__COUNT] = {
		[RC_EQ] = RC_NE, [RC_NE] = RC_EQ, [RC_UGT] = RC_ULE, [RC_UGE] = RC_ULT,
		[RC_ULT] = RC_UGE, [RC_ULE] = RC_UGT, [RC_SGT] = RC_SLE, [RC_SGE] = RC_SLT,
		[RC_SLT] = RC_SGE, [RC_SLE] = RC_SGT, [RC_SET] = RC_NSET, [RC_NSET] = RC_SET,
	};
	return (enum range_cond)neg[c];
}

enum range_cond range_cond_swap(enum range_cond c)
{
	static const uint8_t sw[RC__COUNT] = {
		[RC_EQ] = RC_EQ, [RC_NE] = RC_NE, [RC_UGT] = RC_ULT, [RC_UGE] = RC_ULE,
		[RC_ULT] = RC_UGT, [RC_ULE] = RC_UGE, [RC_SGT] = RC_SLT, [RC_SGE] = RC_SLE,
		[RC_SLT] = RC_SGT, [RC_SLE] = RC_SGE, [RC_SET] = RC_SET, [RC_NSET] = RC_NSET,
	};
	return (enum range_cond)sw[c];
}

bool range_cond_eval(enum range_cond c, uint64_t x, uint64_t y, bool is32)
{
	if (is32) {
		x = (uint32_t)x;
		y = (uint32_t)y;
	}
	int64_t sx = is32 ? (int32_t)(uint32_t)x : (int64_t)x;
	int64_t sy = is32 ? (int32_t)(uint32_t)y : (int64_t)y;
	switch (c) {
	case RC_EQ: return x == y;
	case RC_NE: return x != y;
	case RC_UGT: return x > y;
	case RC_UGE: return x >= y;
	case RC_ULT: return x < y;
	case RC_ULE: return x <= y;
	case RC_SGT: return sx > sy;
	case RC_SGE: return sx >= sy;
	case RC_SLT: return sx < sy;
	case RC_SLE: return sx <= sy;
	case RC_SET: return (x & y) != 0;
	case RC_NSET: return (x & y) == 0;
	default: return false;
	}
}

/* a < b (or <= when @eq) in view @v. */
static void refine_less(struct range *a, struct range *b, enum view v, bool eq)
{
	struct iv x = view_get(a, v), y = view_get(b, v);
	i128 d = eq ? 0 : 1;
	x.hi = i128_min(x.hi, y.hi - d);
	y.lo = i128_max(y.lo, x.lo + d);
	/* out-of-view bounds mean "empty"; keep them representable */
	if (x.hi < view_min[v])
		x = (struct iv){view_min[v] + 1, view_min[v]};
	if (y.lo > view_max[v])
		y = (struct iv){view_max[v], view_max[v] - 1};
	view_set(a, v, x);
	view_set(b, v, y);
}

/* a != c for a constant c in view @v: trims an end. */
static void refine_ne_const(struct range *a, enum view v, i128 c)
{
	struct iv x = view_get(a, v);
	if (x.lo == c && x.hi == c)
		x = (struct iv){view_min[v] + 1, view_min[v]};
	else if (x.lo == c)
		x.lo++;
	else if (x.hi == c)
		x.hi--;
	view_set(a, v, x);
}

static struct tnum part(struct tnum t, bool is32) { return is32 ? tnum_subreg(t) : t; }
static struct tnum unpart(struct tnum whole, struct tnum p, bool is32)
{
	return is32 ? tnum_with_subreg(whole, p) : p;
}

bool range_refine(enum range_cond c, bool is32, struct range *a, struct range *b)
{
	enum view U = is32 ? V_U32 : V_U64, S = is32 ? V_S32 : V_S64;
	struct tnum ta = part(a->t, is32), tb = part(b->t, is32);
	bool ka = tnum_is_const(ta), kb = tnum_is_const(tb);
	switch (c) {
	case RC_EQ: {
		if (!tnum_overlap(ta, tb))
			return false;
		struct tnum m = tnum_intersect(ta, tb);
		a->t = unpart(a->t, m, is32);
		b->t = unpart(b->t, m, is32);
		for (enum view v = U; v <= S; v++) {
			struct iv x = iv_meet(view_get(a, v), view_get(b, v));
			if (x.lo > x.hi)
				return false;
			view_set(a, v, x);
			view_set(b, v, x);
		}
		break;
	}
	case RC_NE:
		if (kb) {
			refine_ne_const(a, U, view_of(U, tb.value));
			refine_ne_const(a, S, view_of(S, tb.value));
		}
		if (ka) {
			refine_ne_const(b, U, view_of(U, ta.value));
			refine_ne_const(b, S, view_of(S, ta.value));
		}
		break;
	case RC_ULT: refine_less(a, b, U, false); break;
	case RC_ULE: refine_less(a, b, U, true); break;
	case RC_UGT: refine_less(b, a, U, false); break;
	case RC_UGE: refine_less(b, a, U, true); break;
	case RC_SLT: refine_less(a, b, S, false); break;
	case RC_SLE: refine_less(a, b, S, true); break;
	case RC_SGT: refine_less(b, a, S, false); break;
	case RC_SGE: refine_less(b, a, S, true); break;
	case RC_SET:
		if ((tnum_umax(ta) & tnum_umax(tb)) == 0)
			return false;
		if (kb && tb.value && !(tb.value & (tb.value - 1))) {
			struct tnum one = TNUM(tb.value, ~tb.value & (is32 ? 0xffffffffu : ~(uint64_t)0));
			if (!tnum_overlap(ta, one))
				return false;
			a->t = unpart(a->t, tnum_intersect(ta, one), is32);
		}
		if (ka && ta.value && !(ta.value & (ta.value - 1))) {
			struct tnum one = TNUM(ta.value, ~ta.value & (is32 ? 0xffffffffu : ~(uint64_t)0));
			if (!tnum_overlap(tb, one))
				return false;
			b->t = unpart(b->t, tnum_intersect(tb, one), is32);
		}
		break;
	case RC_NSET:
		if (ta.value & tb.value)
			return false;
		if (kb) {
			struct tnum zero = TNUM(0, ~tb.value & (is32 ? 0xffffffffu : ~(uint64_t)0));
			a->t = unpart(a->t, tnum_intersect(ta, zero), is32);
		}
		if (ka) {
			struct tnum zero = TNUM(0, ~ta.value & (is32 ? 0xffffffffu : ~(uint64_t)0));
			b->t = unpart(b->t, tnum_intersect(tb, zero), is32);
		}
		break;
	default:
		break;
	}
	*a = range_sync(*a);
	*b = range_sync(*b);
	return !range_is_empty(*a) && !range_is_empty(*b);
}

int range_branch_taken(enum range_cond c, bool is32, struct range a, struct range b)
{
	struct range a1 = a, b1 = b, a0 = a, b0 = b;
	bool can_true = range_refine(c, is32, &a1, &b1);
	bool can_false = range_refine(range_cond_negate(c), is32, &a0, &b0);
	if (can_true && !can_false)
		return 1;
	if (!can_true && can_false)
		return 0;
	return -1;
}
/* }===== */

int range_strn(char *buf, size_t size, struct range a)
{
	if (range_is_empty(a))
		return snprintf(buf, size, "scalar(empty)");
	if (range_is_const(a)) {
		if ((int64_t)a.t.value < 0 && (int64_t)a.t.value > -4096)
			return snprintf(buf, size, "%lld", (long long)(int64_t)a.t.value);
		return snprintf(buf, size, a.t.value < 4096 ? "%llu" : "%#llx", (unsigned long long)a.t.value);
	}
	char tmp[320];
	size_t n = 0;
	const struct range u = range_unknown();
#define PUT(cond, ...)                                                                    \
	if (cond)                                                                          \
		n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "%s" __VA_ARGS__);
	PUT(a.smin != u.smin, "smin=%lld", n ? "," : "", (long long)a.smin)
	PUT(a.smax != u.smax, "smax=%lld", n ? "," : "", (long long)a.smax)
	PUT(a.umin != u.umin, "umin=%llu", n ? "," : "", (unsigned long long)a.umin)
	PUT(a.umax != u.umax, "umax=%llu", n ? "," : "", (unsigned long long)a.umax)
	PUT(a.s32min != u.s32min, "smin32=%d", n ? "," : "", a.s32min)
	PUT(a.s32max != u.s32max, "smax32=%d", n ? "," : "", a.s32max)
	PUT(a.u32min != u.u32min, "umin32=%u", n ? "," : "", a.u32min)
	PUT(a.u32max != u.u32max, "umax32=%u", n ? "," : "", a.u32max)
	PUT(!tnum_is_unknown(a.t), "var_off=(0x%llx; 0x%llx)", n ? "," : "",
	    (unsigned long long)a.t.value, (unsigned long long)a.t.mask)
#undef PUT
	return snprintf(buf, size, "scalar(%s)", tmp);
}
