/* Range operators against brute force.  Each abstract input comes with a
 * list of concrete members; every concrete result must lie in the abstract
 * result (soundness), both branch refinements must keep every pair for
 * which their condition holds, and range_branch_taken must never claim a
 * verdict a member pair contradicts.  Inputs: every interval of 4-bit width
 * placed at the interesting boundaries (0, the 8-bit values, the 32- and
 * 64-bit sign and wrap points), sets of boundary values, and results of
 * earlier operations (irregular shapes), sampled in pairs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "verifier/range.h"

static uint64_t rng_state = 0x243f6a8885a308d3ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

enum { MAXM = 48 };
struct item {
	struct range r;
	unsigned n;
	uint64_t m[MAXM];
};

static struct item pool[4000];
static unsigned npool;

static const uint64_t bases[] = {
	0, 8, 0x78, 0xf8, (uint64_t)-8, 0x7ffffff8, 0xfffffff8, 0x100000000ull - 4,
	0x7ffffffffffffff8ull, 0x8000000000000000ull - 4, 0xfffffffffffffff8ull, 0x1fffffff8ull,
};
static const uint64_t specials[] = {
	0, 1, 2, 3, 7, 0x7f, 0x80, 0xff, 0x100, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
	0x7fffffffffffffffull, 0x8000000000000000ull, (uint64_t)-1, (uint64_t)-2, (uint64_t)-0x80000000ll,
	(uint64_t)-0x80000001ll, 0x123456789abcdefull, 31, 32, 63, 64,
};

static void add_item(const uint64_t *m, unsigned n)
{
	if (npool >= sizeof pool / sizeof pool[0] || !n)
		return;
	struct item *it = &pool[npool++];
	it->n = n < MAXM ? n : MAXM;
	it->r = range_const(m[0]);
	for (unsigned i = 0; i < it->n; i++) {
		it->m[i] = m[i];
		it->r = range_union(it->r, range_const(m[i]));
	}
	for (unsigned i = 0; i < it->n; i++)
		assert_true(range_contains(it->r, it->m[i]));
}

static void build_pool(void)
{
	if (npool)
		return;
	uint64_t m[MAXM];
	for (unsigned b = 0; b < sizeof bases / sizeof bases[0]; b++)
		for (unsigned lo = 0; lo < 16; lo += 3)
			for (unsigned hi = lo; hi < 16; hi += 2) {
				unsigned n = 0;
				for (unsigned x = lo; x <= hi; x++)
					m[n++] = bases[b] + x;
				add_item(m, n);
			}
	for (int i = 0; i < 600; i++) {
		unsigned n = 1 + (unsigned)(rnd() % 4);
		for (unsigned k = 0; k < n; k++) {
			uint64_t s = specials[rnd() % (sizeof specials / sizeof specials[0])];
			m[k] = (rnd() % 3 == 0) ? s + (rnd() % 5) - 2 : (rnd() % 2 ? s : (rnd() & 0xff));
		}
		add_item(m, n);
	}
}

static const bool is32s[] = {false, true};

static void check_op(enum range_op op, bool is32, const struct item *a, const struct item *b, struct item *out)
{
	struct range r = range_alu(op, a->r, b->r, is32);
	unsigned n = 0;
	for (unsigned i = 0; i < a->n; i++)
		for (unsigned j = 0; j < b->n; j++) {
			uint64_t c = range_alu_concrete(op, a->m[i], b->m[j], is32);
			if (!range_contains(r, c)) {
				char s1[256], s2[256], s3[256];
				range_strn(s1, sizeof s1, a->r);
				range_strn(s2, sizeof s2, b->r);
				range_strn(s3, sizeof s3, r);
				fail_msg("op %d is32 %d: %s op %s = %s misses %#llx (x=%#llx y=%#llx)", op, is32, s1, s2, s3,
					 (unsigned long long)c, (unsigned long long)a->m[i], (unsigned long long)b->m[j]);
			}
			if (out && n < MAXM && (rnd() & 1))
				out->m[n++] = c;
		}
	if (out) {
		out->n = n;
		out->r = r;
	}
}

static void test_alu_sound(void **st)
{
	(void)st;
	build_pool();
	for (int it = 0; it < 15000; it++) {
		const struct item *a = &pool[rnd() % npool], *b = &pool[rnd() % npool];
		for (int w = 0; w < 2; w++)
			for (int op = 0; op < RA__COUNT; op++) {
				struct item o;
				check_op((enum range_op)op, is32s[w], a, b, (it % 16 == 0) ? &o : NULL);
				if (it % 16 == 0 && o.n && npool < sizeof pool / sizeof pool[0])
					pool[npool++] = o; /* irregular shapes feed later rounds */
			}
	}
}

static void test_shift_const_amounts(void **st)
{
	(void)st;
	build_pool();
	for (int it = 0; it < 3000; it++) {
		const struct item *a = &pool[rnd() % npool];
		for (uint64_t k = 0; k < 66; k++) {
			struct item b = {.r = range_const(k), .n = 1, .m = {k}};
			for (int w = 0; w < 2; w++) {
				check_op(RA_LSH, is32s[w], a, &b, NULL);
				check_op(RA_RSH, is32s[w], a, &b, NULL);
				check_op(RA_ARSH, is32s[w], a, &b, NULL);
			}
		}
	}
}

static void test_const_8bit(void **st)
{
	(void)st;
	for (uint64_t x = 0; x < 256; x++)
		for (uint64_t y = 0; y < 256; y++)
			for (int op = 0; op < RA__COUNT; op++)
				for (int w = 0; w < 2; w++) {
					uint64_t xs = x - 128, ys = y - 128; /* also negative ones */
					struct range r = range_alu((enum range_op)op, range_const(xs), range_const(ys), is32s[w]);
					assert_true(range_is_const(r));
					assert_true(r.t.value == range_alu_concrete((enum range_op)op, xs, ys, is32s[w]));
				}
}

static void check_refine(enum range_cond c, bool is32, const struct item *a, const struct item *b)
{
	struct range a1 = a->r, b1 = b->r, a0 = a->r, b0 = b->r;
	bool ok1 = range_refine(c, is32, &a1, &b1);
	bool ok0 = range_refine(range_cond_negate(c), is32, &a0, &b0);
	int taken = range_branch_taken(c, is32, a->r, b->r);
	for (unsigned i = 0; i < a->n; i++)
		for (unsigned j = 0; j < b->n; j++) {
			uint64_t x = a->m[i], y = b->m[j];
			bool t = range_cond_eval(c, x, y, is32);
			bool good = t ? ok1 && range_contains(a1, x) && range_contains(b1, y)
				      : ok0 && range_contains(a0, x) && range_contains(b0, y);
			if (!good || (taken == 1 && !t) || (taken == 0 && t)) {
				char s1[256], s2[256], s3[256], s4[256];
				range_strn(s1, sizeof s1, a->r);
				range_strn(s2, sizeof s2, b->r);
				range_strn(s3, sizeof s3, t ? a1 : a0);
				range_strn(s4, sizeof s4, t ? b1 : b0);
				fail_msg("cond %d is32 %d holds=%d taken=%d: a=%s b=%s -> a'=%s b'=%s loses x=%#llx y=%#llx", c,
					 is32, t, taken, s1, s2, s3, s4, (unsigned long long)x, (unsigned long long)y);
			}
		}
}

static void test_refine_sound(void **st)
{
	(void)st;
	build_pool();
	for (int it = 0; it < 20000; it++) {
		const struct item *a = &pool[rnd() % npool], *b = &pool[rnd() % npool];
		for (int w = 0; w < 2; w++)
			for (int c = 0; c < RC__COUNT; c++)
				check_refine((enum range_cond)c, is32s[w], a, b);
	}
}

static void test_refine_8bit_consts(void **st)
{
	(void)st;
	/* every 8-bit value against every constant 8-bit bound, each condition */
	for (uint64_t y = 0; y < 256; y += 1) {
		struct item b = {.r = range_const(y - 128), .n = 1, .m = {y - 128}};
		for (uint64_t lo = 0; lo < 256; lo += 37) {
			struct item a = {.n = 0};
			uint64_t m[MAXM];
			unsigned n = 0;
			for (uint64_t x = lo; x < 256 && n < MAXM; x += 5)
				m[n++] = x - 128;
			(void)a;
			add_item(m, 0); /* keeps add_item's contract exercised */
			struct item ai = {.n = n};
			ai.r = range_const(m[0]);
			for (unsigned i = 0; i < n; i++) {
				ai.m[i] = m[i];
				ai.r = range_union(ai.r, range_const(m[i]));
			}
			for (int w = 0; w < 2; w++)
				for (int c = 0; c < RC__COUNT; c++) {
					check_refine((enum range_cond)c, is32s[w], &ai, &b);
					check_refine((enum range_cond)c, is32s[w], &b, &ai);
				}
		}
	}
}

static void test_casts(void **st)
{
	(void)st;
	build_pool();
	for (unsigned i = 0; i < npool; i++) {
		const struct item *a = &pool[i];
		struct range c1 = range_cast(a->r, 1), c2 = range_cast(a->r, 2), c4 = range_cast(a->r, 4);
		struct range s1 = range_sext(a->r, 1), s2 = range_sext(a->r, 2), s4 = range_sext(a->r, 4);
		struct range b16 = range_bswap(a->r, 16), b32 = range_bswap(a->r, 32), b64 = range_bswap(a->r, 64);
		for (unsigned k = 0; k < a->n; k++) {
			uint64_t x = a->m[k];
			assert_true(range_contains(c1, (uint8_t)x));
			assert_true(range_contains(c2, (uint16_t)x));
			assert_true(range_contains(c4, (uint32_t)x));
			assert_true(range_contains(s1, (uint64_t)(int64_t)(int8_t)x));
			assert_true(range_contains(s2, (uint64_t)(int64_t)(int16_t)x));
			assert_true(range_contains(s4, (uint64_t)(int64_t)(int32_t)x));
			assert_true(range_contains(range_movsx(a->r, 1, true), (uint32_t)(int32_t)(int8_t)x));
			assert_true(range_contains(b16, __builtin_bswap16((uint16_t)x)));
			assert_true(range_contains(b32, __builtin_bswap32((uint32_t)x)));
			assert_true(range_contains(b64, __builtin_bswap64(x)));
			assert_true(range_contains(range_sync(a->r), x));
		}
	}
}

static void test_precision(void **st)
{
	(void)st;
	/* the facts programs rely on */
	struct range a = range_unknown(), b = range_const(10);
	assert_true(range_refine(RC_ULT, false, &a, &b));
	assert_true(a.umax == 9 && a.smin == 0 && a.smax == 9 && a.u32max == 9);
	a = range_unknown();
	b = range_const(0xff);
	struct range m = range_alu(RA_AND, a, b, false);
	assert_true(m.umax == 255 && m.smin == 0 && m.t.mask == 0xff);
	/* 32-bit branch refines the 64-bit value of a zero-extended register */
	a = range_zext32(range_unknown());
	b = range_const(100);
	assert_true(range_refine(RC_ULE, true, &a, &b));
	assert_true(a.umax == 100);
	/* JSET on a single bit */
	a = range_urange(0, 7);
	b = range_const(4);
	assert_true(range_refine(RC_SET, false, &a, &b));
	assert_true(a.umin == 4);
	assert_int_equal(range_branch_taken(RC_EQ, false, range_const(3), range_const(3)), 1);
	assert_int_equal(range_branch_taken(RC_UGT, false, range_urange(0, 10), range_const(10)), 0);
	assert_int_equal(range_branch_taken(RC_SLT, false, range_urange(0, 10), range_const(5)), -1);
	char buf[128];
	range_strn(buf, sizeof buf, range_urange(0, 255));
	assert_string_equal(buf, "scalar(smin=0,smax=255,umax=255,smin32=0,smax32=255,umax32=255,var_off=(0x0; 0xff))");
	range_strn(buf, sizeof buf, range_const(14));
	assert_string_equal(buf, "14");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_const_8bit),        cmocka_unit_test(test_alu_sound),
		cmocka_unit_test(test_shift_const_amounts), cmocka_unit_test(test_refine_sound),
		cmocka_unit_test(test_refine_8bit_consts), cmocka_unit_test(test_casts),
		cmocka_unit_test(test_precision),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
