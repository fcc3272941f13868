/* Tristate numbers: 64 bits each known 0, known 1 or unknown.
 *
 * A tnum {value, mask} stands for every x with (x & ~mask) == value: a bit set
 * in mask is unknown, a clear mask bit is known and equals the value bit.
 * Well-formed tnums have (value & mask) == 0.  Every function is pure: it
 * takes tnums by value, returns one, allocates nothing and cannot fail.
 *
 * The contract of an operator OP is soundness: for all x in @a and y in @b,
 * x OP y (as the VM computes it, modulo 2^64) is in tnum_OP(@a, @b).  The
 * result may contain more than the exact set; the trap is that tnums are not
 * intervals:  tnum_in(tnum_range(0, 2), tnum_const(3)) == true, because
 * {0, 1, 2} needs the two low bits unknown.
 */
#ifndef HIVE_VERIFIER_TNUM_H
#define HIVE_VERIFIER_TNUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tnum {
	uint64_t value;
	uint64_t mask;
};

#define TNUM(v, m) ((struct tnum){.value = (v), .mask = (m)})

/* Everything: tnum_unknown == {0, ~0}. */
extern const struct tnum tnum_unknown;

/* Exactly @v. */
struct tnum tnum_const(uint64_t v);
/* Smallest tnum holding every x in [@min, @max] (unsigned); more than the
 * interval unless it is aligned: tnum_range(1, 2) == {0, 3}. */
struct tnum tnum_range(uint64_t min, uint64_t max);

/* Shifts by a known amount @shift < 64 (the caller masks larger ones). */
struct tnum tnum_lshift(struct tnum a, unsigned shift);
struct tnum tnum_rshift(struct tnum a, unsigned shift);
/* Arithmetic shift of the low @insn_bitness (32 or 64) bits, sign taken from
 * bit @insn_bitness-1; for 32 the result is zero-extended to 64 bits. */
struct tnum tnum_arshift(struct tnum a, unsigned shift, unsigned insn_bitness);

/* Sound wrap-around arithmetic and bitwise operations. */
struct tnum tnum_add(struct tnum a, struct tnum b);
struct tnum tnum_sub(struct tnum a, struct tnum b);
struct tnum tnum_neg(struct tnum a);
struct tnum tnum_and(struct tnum a, struct tnum b);
struct tnum tnum_or(struct tnum a, struct tnum b);
struct tnum tnum_xor(struct tnum a, struct tnum b);
struct tnum tnum_mul(struct tnum a, struct tnum b);

/* Values in both @a and @b, assuming there is one (see tnum_overlap):
 * tnum_intersect({0,3}, {2,1}) == {2,1}. */
struct tnum tnum_intersect(struct tnum a, struct tnum b);
/* Whether some x is in both @a and @b (no known bit disagrees). */
bool tnum_overlap(struct tnum a, struct tnum b);
/* Every value of @a or @b: tnum_union(const 1, const 2) == {0, 3}. */
struct tnum tnum_union(struct tnum a, struct tnum b);

/* The low @size bytes of @a (size 1..8), upper bits known zero. */
struct tnum tnum_cast(struct tnum a, unsigned size);
/* @a sign-extended from its low @size bytes (1, 2, 4). */
struct tnum tnum_sext(struct tnum a, unsigned size);
/* Low 32 bits of @a, zero-extended. */
static inline struct tnum tnum_subreg(struct tnum a) { return tnum_cast(a, 4); }
/* @a with its low 32 bits replaced by @sub's low 32 bits. */
struct tnum tnum_with_subreg(struct tnum a, struct tnum sub);
/* @a with its low 32 bits known zero. */
struct tnum tnum_clear_subreg(struct tnum a);

/* Is every value of @a a multiple of @size (a power of two, or 0: true)? */
bool tnum_is_aligned(struct tnum a, uint64_t size);
/* Is every value of @b a value of @a?  tnum_in(unknown, anything) == true. */
bool tnum_in(struct tnum a, struct tnum b);

static inline bool tnum_is_const(struct tnum a) { return !a.mask; }
static inline bool tnum_equals_const(struct tnum a, uint64_t b) { return !a.mask && a.value == b; }
static inline bool tnum_is_unknown(struct tnum a) { return !~a.mask; }
static inline bool tnum_eq(struct tnum a, struct tnum b) { return a.value == b.value && a.mask == b.mask; }
/* Smallest and largest value (unsigned). */
static inline uint64_t tnum_umin(struct tnum a) { return a.value; }
static inline uint64_t tnum_umax(struct tnum a) { return a.value | a.mask; }

/* Formatters, snprintf rules (return the length wanted, write at most @size
 * bytes including the NUL): "(0x10; 0xf)" and "000x1x..." (64 chars). */
int tnum_strn(char *str, size_t size, struct tnum a);
int tnum_sbin(char *str, size_t size, struct tnum a);

#endif
