/* Tristate numbers (see tnum.h for the contracts). */
#include "tnum.h"

#include <stdio.h>

const struct tnum tnum_unknown = {.value = 0, .mask = ~(uint64_t)0};

struct tnum tnum_const(uint64_t v)
{
	return TNUM(v, 0);
}

struct tnum tnum_range(uint64_t min, uint64_t max)
{
	uint64_t chi = min ^ max;
	if (!chi)
		return tnum_const(min);
	unsigned bits = 64 - (unsigned)__builtin_clzll(chi);
	/* special case, needed because 1ULL << 64 is undefined */
	if (bits > 63)
		return tnum_unknown;
	uint64_t delta = ((uint64_t)1 << bits) - 1;
	return TNUM(min & ~delta, delta);
}

struct tnum tnum_lshift(struct tnum a, unsigned shift)
{
	return TNUM(a.value << shift, a.mask << shift);
}

struct tnum tnum_rshift(struct tnum a, unsigned shift)
{
	return TNUM(a.value >> shift, a.mask >> shift);
}

struct tnum tnum_arshift(struct tnum a, unsigned shift, unsigned insn_bitness)
{
	/* An unknown sign bit shifts in unknown bits: the mask is shifted
	 * arithmetically too. */
	if (insn_bitness == 32)
		return TNUM((uint32_t)((int32_t)(uint32_t)a.value >> shift),
			    (uint32_t)((int32_t)(uint32_t)a.mask >> shift));
	return TNUM((uint64_t)((int64_t)a.value >> shift), (uint64_t)((int64_t)a.mask >> shift));
}

struct tnum tnum_add(struct tnum a, struct tnum b)
{
	uint64_t sv = a.value + b.value, sm = a.mask + b.mask;
	/* bits where carries may differ between the extremes are unknown */
	uint64_t carries = (sv + sm) ^ sv;
	uint64_t mu = carries | a.mask | b.mask;
	return TNUM(sv & ~mu, mu);
}

struct tnum tnum_sub(struct tnum a, struct tnum b)
{
	uint64_t dv = a.value - b.value;
	uint64_t hi = dv + a.mask, lo = dv - b.mask;
	uint64_t mu = (hi ^ lo) | a.mask | b.mask;
	return TNUM(dv & ~mu, mu);
}

struct tnum tnum_neg(struct tnum a)
{
	return tnum_sub(tnum_const(0), a);
}

struct tnum tnum_and(struct tnum a, struct tnum b)
{
	uint64_t alpha = a.value | a.mask, beta = b.value | b.mask;
	uint64_t v = a.value & b.value;
	return TNUM(v, alpha & beta & ~v);
}

struct tnum tnum_or(struct tnum a, struct tnum b)
{
	uint64_t v = a.value | b.value;
	uint64_t mu = a.mask | b.mask;
	return TNUM(v, mu & ~v);
}

struct tnum tnum_xor(struct tnum a, struct tnum b)
{
	uint64_t mu = a.mask | b.mask;
	return TNUM((a.value ^ b.value) & ~mu, mu);
}

struct tnum tnum_mul(struct tnum a, struct tnum b)
{
	/* Long multiplication: the known part is value*value; each bit of @a
	 * adds a shifted copy of @b's unknown bits (known 1) or of all @b's
	 * possibly-set bits (unknown), accumulated as "unknown" addends. */
	uint64_t known = a.value * b.value;
	struct tnum acc = tnum_const(0);
	while (a.value || a.mask) {
		if (a.value & 1)
			acc = tnum_add(acc, TNUM(0, b.mask));
		else if (a.mask & 1)
			acc = tnum_add(acc, TNUM(0, b.value | b.mask));
		a = tnum_rshift(a, 1);
		b = tnum_lshift(b, 1);
	}
	return tnum_add(tnum_const(known), acc);
}

struct tnum tnum_intersect(struct tnum a, struct tnum b)
{
	uint64_t v = a.value | b.value;
	uint64_t mu = a.mask & b.mask;
	return TNUM(v & ~mu, mu);
}

bool tnum_overlap(struct tnum a, struct tnum b)
{
	return !((a.value ^ b.value) & ~a.mask & ~b.mask);
}

struct tnum tnum_union(struct tnum a, struct tnum b)
{
	uint64_t mu = (a.value ^ b.value) | a.mask | b.mask;
	return TNUM(a.value & b.value & ~mu, mu);
}

struct tnum tnum_cast(struct tnum a, unsigned size)
{
	if (size >= 8)
		return a;
	uint64_t keep = ((uint64_t)1 << (size * 8)) - 1;
	return TNUM(a.value & keep, a.mask & keep);
}

struct tnum tnum_sext(struct tnum a, unsigned size)
{
	if (size >= 8)
		return a;
	unsigned sh = 64 - size * 8;
	return tnum_arshift(tnum_lshift(a, sh), sh, 64);
}

struct tnum tnum_with_subreg(struct tnum a, struct tnum sub)
{
	return tnum_or(tnum_clear_subreg(a), tnum_subreg(sub));
}

struct tnum tnum_clear_subreg(struct tnum a)
{
	return tnum_lshift(tnum_rshift(a, 32), 32);
}

bool tnum_is_aligned(struct tnum a, uint64_t size)
{
	if (!size)
		return true;
	return !((a.value | a.mask) & (size - 1));
}

bool tnum_in(struct tnum a, struct tnum b)
{
	if (b.mask & ~a.mask)
		return false;
	b.value &= ~a.mask;
	return a.value == b.value;
}

int tnum_strn(char *str, size_t size, struct tnum a)
{
	return snprintf(str, size, "(0x%llx; 0x%llx)", (unsigned long long)a.value, (unsigned long long)a.mask);
}

int tnum_sbin(char *str, size_t size, struct tnum a)
{
	for (size_t n = 64; n; n--) {
		if (n < size) {
			uint64_t bit = (uint64_t)1 << (64 - n);
			str[n - 1] = (a.mask & bit) ? 'x' : (a.value & bit) ? '1' : '0';
		}
	}
	if (size)
		str[size < 65 ? size - 1 : 64] = '\0';
	return 64;
}
