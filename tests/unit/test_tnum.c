/* tnum operators against brute force: every concrete result of x OP y, for
 * x in a and y in b, must be in tnum_OP(a, b) (soundness).  Abstract inputs:
 * every tnum over 4 chosen bit positions (3^4 = 81 each, placed low, at the
 * 32-bit sign and at the 64-bit sign), every 8-bit constant, and sampled
 * 64-bit tnums. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "verifier/tnum.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Members of a tnum with few unknown bits, one by one. */
#define FOR_MEMBERS(x, t)                                                        \
	for (uint64_t _s = 0, _done = 0, x; !_done && ((x = (t).value | _s), 1);    \
	     _s = (_s - (t).mask) & (t).mask, _done = !_s)

static const unsigned windows[][4] = {
	{0, 1, 2, 3}, {0, 1, 31, 63}, {1, 30, 31, 32}, {0, 62, 63, 5}, {2, 3, 32, 33},
};
static const uint64_t bases[] = {0, 0xfffffffffffffff0ull, 0x7ffffffffffffff0ull, 0x00000000fffffff0ull,
				 0x0000000100000000ull};

/* The i-th of the 81 tnums over window w above base b (window bits cleared in base). */
static struct tnum gen(unsigned w, unsigned b, unsigned i)
{
	uint64_t wm = 0;
	for (int k = 0; k < 4; k++)
		wm |= (uint64_t)1 << windows[w][k];
	struct tnum t = TNUM(bases[b] & ~wm, 0);
	for (int k = 0; k < 4; k++, i /= 3) {
		uint64_t bit = (uint64_t)1 << windows[w][k];
		if (i % 3 == 1)
			t.value |= bit;
		else if (i % 3 == 2)
			t.mask |= bit;
	}
	return t;
}

enum { OP_ADD, OP_SUB, OP_MUL, OP_AND, OP_OR, OP_XOR, OP_NBIN };
static struct tnum abs_op(int op, struct tnum a, struct tnum b)
{
	switch (op) {
	case OP_ADD: return tnum_add(a, b);
	case OP_SUB: return tnum_sub(a, b);
	case OP_MUL: return tnum_mul(a, b);
	case OP_AND: return tnum_and(a, b);
	case OP_OR: return tnum_or(a, b);
	default: return tnum_xor(a, b);
	}
}
static uint64_t con_op(int op, uint64_t x, uint64_t y)
{
	switch (op) {
	case OP_ADD: return x + y;
	case OP_SUB: return x - y;
	case OP_MUL: return x * y;
	case OP_AND: return x & y;
	case OP_OR: return x | y;
	default: return x ^ y;
	}
}

static void check_in(struct tnum r, uint64_t x, const char *what, struct tnum a, struct tnum b)
{
	if (!tnum_in(r, tnum_const(x)) || (r.value & r.mask)) {
		print_error("%s: (%#llx;%#llx) (%#llx;%#llx) -> (%#llx;%#llx) misses %#llx\n", what,
			    (unsigned long long)a.value, (unsigned long long)a.mask, (unsigned long long)b.value,
			    (unsigned long long)b.mask, (unsigned long long)r.value, (unsigned long long)r.mask,
			    (unsigned long long)x);
		fail();
	}
}

static void test_binary_ops_windows(void **st)
{
	(void)st;
	for (unsigned w = 0; w < 5; w++)
		for (unsigned ba = 0; ba < 5; ba++) {
			unsigned bb = (ba + w) % 5;
			for (unsigned i = 0; i < 81; i++)
				for (unsigned j = 0; j < 81; j++) {
					struct tnum a = gen(w, ba, i), b = gen(w, bb, j);
					struct tnum r[OP_NBIN];
					for (int op = 0; op < OP_NBIN; op++)
						r[op] = abs_op(op, a, b);
					FOR_MEMBERS(x, a)
					FOR_MEMBERS(y, b)
					for (int op = 0; op < OP_NBIN; op++)
						check_in(r[op], con_op(op, x, y), "binop", a, b);
				}
		}
}

static void test_const_8bit_exact(void **st)
{
	(void)st;
	for (uint64_t x = 0; x < 256; x++)
		for (uint64_t y = 0; y < 256; y++)
			for (int op = 0; op < OP_NBIN; op++) {
				struct tnum r = abs_op(op, tnum_const(x), tnum_const(y));
				assert_true(tnum_equals_const(r, con_op(op, x, y)));
			}
}

static void test_set_ops(void **st)
{
	(void)st;
	/* intersect/union/overlap/in over all pairs of 4-bit tnums */
	for (unsigned w = 0; w < 5; w++)
		for (unsigned i = 0; i < 81; i++)
			for (unsigned j = 0; j < 81; j++) {
				struct tnum a = gen(w, 0, i), b = gen(w, 0, j);
				struct tnum u = tnum_union(a, b), m = tnum_intersect(a, b);
				bool common = false, all_b_in_a = true;
				FOR_MEMBERS(x, a) check_in(u, x, "union", a, b);
				FOR_MEMBERS(y, b)
				{
					check_in(u, y, "union", a, b);
					bool in_a = tnum_in(a, tnum_const(y));
					all_b_in_a &= in_a;
					if (in_a) {
						common = true;
						check_in(m, y, "intersect", a, b);
					}
				}
				assert_int_equal(tnum_overlap(a, b), common);
				assert_int_equal(tnum_in(a, b), all_b_in_a);
			}
}

static void test_shifts_casts(void **st)
{
	(void)st;
	for (unsigned w = 0; w < 5; w++)
		for (unsigned b = 0; b < 5; b++)
			for (unsigned i = 0; i < 81; i++) {
				struct tnum a = gen(w, b, i);
				for (unsigned k = 0; k < 64; k++) {
					struct tnum l = tnum_lshift(a, k), r = tnum_rshift(a, k);
					struct tnum ar = tnum_arshift(a, k, 64);
					struct tnum ar32 = tnum_arshift(a, k & 31, 32);
					FOR_MEMBERS(x, a)
					{
						check_in(l, x << k, "lsh", a, tnum_const(k));
						check_in(r, x >> k, "rsh", a, tnum_const(k));
						check_in(ar, (uint64_t)((int64_t)x >> k), "arsh", a, tnum_const(k));
						check_in(ar32, (uint32_t)((int32_t)(uint32_t)x >> (k & 31)), "arsh32", a,
							 tnum_const(k));
					}
				}
				struct tnum n = tnum_neg(a), c1 = tnum_cast(a, 1), c2 = tnum_cast(a, 2), c4 = tnum_cast(a, 4);
				struct tnum s1 = tnum_sext(a, 1), s2 = tnum_sext(a, 2), s4 = tnum_sext(a, 4);
				FOR_MEMBERS(x, a)
				{
					check_in(n, 0 - x, "neg", a, a);
					check_in(c1, (uint8_t)x, "cast1", a, a);
					check_in(c2, (uint16_t)x, "cast2", a, a);
					check_in(c4, (uint32_t)x, "cast4", a, a);
					check_in(s1, (uint64_t)(int64_t)(int8_t)x, "sext1", a, a);
					check_in(s2, (uint64_t)(int64_t)(int16_t)x, "sext2", a, a);
					check_in(s4, (uint64_t)(int64_t)(int32_t)x, "sext4", a, a);
					if (x % 4 && tnum_is_aligned(a, 4))
						fail_msg("aligned but %#llx", (unsigned long long)x);
				}
			}
}

static void test_range_8bit(void **st)
{
	(void)st;
	for (uint64_t lo = 0; lo < 256; lo++)
		for (uint64_t hi = lo; hi < 256; hi++) {
			struct tnum t = tnum_range(lo, hi);
			for (uint64_t x = lo; x <= hi; x++)
				check_in(t, x, "range", tnum_const(lo), tnum_const(hi));
		}
	assert_true(tnum_in(tnum_range(0, 2), tnum_const(3))); /* the trap in tnum.h */
	assert_true(tnum_is_unknown(tnum_range(0, UINT64_MAX)));
	assert_true(tnum_equals_const(tnum_range(7, 7), 7));
}

static struct tnum rnd_tnum(void)
{
	uint64_t m = rnd() & rnd() & rnd();
	if (rnd() % 4 == 0)
		m &= 0xff;
	return TNUM(rnd() & ~m, m);
}
static uint64_t rnd_member(struct tnum t) { return t.value | (rnd() & t.mask); }

static void test_sampled_64(void **st)
{
	(void)st;
	for (int n = 0; n < 20000; n++) {
		struct tnum a = rnd_tnum(), b = rnd_tnum();
		struct tnum r[OP_NBIN];
		for (int op = 0; op < OP_NBIN; op++)
			r[op] = abs_op(op, a, b);
		for (int s = 0; s < 16; s++) {
			uint64_t x = rnd_member(a), y = rnd_member(b);
			for (int op = 0; op < OP_NBIN; op++)
				check_in(r[op], con_op(op, x, y), "sampled", a, b);
			check_in(tnum_union(a, b), y, "union", a, b);
		}
	}
}

static void test_format(void **st)
{
	(void)st;
	char buf[80];
	assert_int_equal(tnum_strn(buf, sizeof buf, TNUM(0x10, 0xf)), 11);
	assert_string_equal(buf, "(0x10; 0xf)");
	tnum_sbin(buf, sizeof buf, TNUM(2, 1));
	assert_string_equal(buf + 60, "001x");
	assert_int_equal(tnum_strn(buf, 4, TNUM(0x10, 0xf)), 11);
	assert_string_equal(buf, "(0x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binary_ops_windows), cmocka_unit_test(test_const_8bit_exact),
		cmocka_unit_test(test_set_ops), cmocka_unit_test(test_shifts_casts),
		cmocka_unit_test(test_range_8bit), cmocka_unit_test(test_sampled_64),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
