/* What the verifier knows of a 64-bit number: a tnum plus signed and unsigned
 * bounds of the whole value and of its low 32 bits.
 *
 * A range stands for every x that lies in all five views at once:
 *   tnum_in(t, x), smin <= (s64)x <= smax, umin <= x <= umax,
 *   s32min <= (s32)x <= s32max, u32min <= (u32)x <= u32max.
 * The views are kept in step by range_sync (the kernel's reg_bounds_sync):
 * what one view learns (a branch on the low 32 bits, a mask on the tnum) is
 * carried to the others.  A range whose views contradict each other is
 * empty: the path it was computed on cannot happen.
 *
 * All functions are pure and sound: for x in @a and y in @b, the concrete
 * result (as range_alu_concrete computes it, the VM's semantics) is in the
 * abstract result.  The trap: a range is not an interval of one view.
 * range_alu(RA_ADD, [0,1], [0,1]) has bounds [0, 2] and tnum (0x0; 0x3);
 * both hold, so it is {0, 1, 2}; but range_contains(range_urange(1, 2), 0)
 * is false while tnum_in(tnum_range(1, 2), tnum_const(0)) is true.
 */
#ifndef HIVE_VERIFIER_RANGE_H
#define HIVE_VERIFIER_RANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tnum.h"

struct range {
	struct tnum t;
	int64_t smin, smax;
	uint64_t umin, umax;
	int32_t s32min, s32max;
	uint32_t u32min, u32max;
};

enum range_op {
	RA_ADD, RA_SUB, RA_MUL, RA_DIV, RA_SDIV, RA_MOD, RA_SMOD,
	RA_OR, RA_AND, RA_XOR, RA_LSH, RA_RSH, RA_ARSH, RA_MOV, RA_NEG,
	RA__COUNT,
};

/* Branch conditions, "a COND b".  RC_SET: (a & b) != 0, RC_NSET: == 0. */
enum range_cond {
	RC_EQ, RC_NE, RC_UGT, RC_UGE, RC_ULT, RC_ULE,
	RC_SGT, RC_SGE, RC_SLT, RC_SLE, RC_SET, RC_NSET,
	RC__COUNT,
};

/* Exactly @v. */
struct range range_const(uint64_t v);
/* Any 64-bit value. */
struct range range_unknown(void);
/* Exactly the values of @t. */
struct range range_from_tnum(struct tnum t);
/* Any value in [@min, @max], unsigned. */
struct range range_urange(uint64_t min, uint64_t max);

/* Every value of @a or @b (hull of each view, tnum_union). */
struct range range_union(struct range a, struct range b);
/* @a with every view narrowed by what the others imply.  Never widens:
 * range_contains(a, x) implies range_contains(range_sync(a), x). */
struct range range_sync(struct range a);
/* True when no x lies in all views (the path is impossible). */
bool range_is_empty(struct range a);
/* Is @x one of @a's values? */
bool range_contains(struct range a, uint64_t x);
/* Is every value of @cur a value of @old (view by view, so conservative)? */
bool range_within(struct range old, struct range cur);
static inline bool range_is_const(struct range a) { return tnum_is_const(a.t); }
/* Is the low 32-bit part known? */
static inline bool range_is_const32(struct range a) { return !(uint32_t)a.t.mask; }
static inline bool range_eq(struct range a, struct range b)
{
	return tnum_eq(a.t, b.t) && a.smin == b.smin && a.smax == b.smax && a.umin == b.umin &&
	       a.umax == b.umax && a.s32min == b.s32min && a.s32max == b.s32max && a.u32min == b.u32min &&
	       a.u32max == b.u32max;
}

/* The low 32 bits of @a, zero-extended: what an ALU32 result or a 4-byte
 * load leaves in a register. */
struct range range_zext32(struct range a);
/* The low @size bytes of @a zero-extended (size 1, 2, 4, 8). */
struct range range_cast(struct range a, unsigned size);
/* The low @size bytes of @a sign-extended to 64 bits (size 1, 2, 4). */
struct range range_sext(struct range a, unsigned size);
/* range_sext then, when @is32, the low 32 bits zero-extended (movsx32). */
struct range range_movsx(struct range a, unsigned size, bool is32);
/* Byte swap of the low @bits (16, 32, 64), zero-extended. */
struct range range_bswap(struct range a, unsigned bits);

/* a OP b as the VM computes it, 64-bit or (@is32) on the low 32 bits with
 * the result zero-extended.  Division by zero gives 0, modulo by zero leaves
 * a; shifts by @b >= the width are unknown.  RA_NEG and RA_MOV ignore @a
 * (RA_MOV) or @b (RA_NEG) as the instructions do. */
struct range range_alu(enum range_op op, struct range a, struct range b, bool is32);
/* The concrete operation the VM performs (shift amounts masked). */
uint64_t range_alu_concrete(enum range_op op, uint64_t x, uint64_t y, bool is32);

/* The condition that holds on the other branch: RC_EQ <-> RC_NE, ... */
enum range_cond range_cond_negate(enum range_cond c);
/* The same condition with operands swapped: RC_UGT -> RC_ULT, ... */
enum range_cond range_cond_swap(enum range_cond c);
/* Concrete evaluation (on the low 32 bits when @is32). */
bool range_cond_eval(enum range_cond c, uint64_t x, uint64_t y, bool is32);
/* Narrow @a and @b to the values for which "a C b" can hold.  Returns false
 * when it never holds (then *a and *b are unspecified). */
bool range_refine(enum range_cond c, bool is32, struct range *a, struct range *b);
/* 1: "a C b" holds for all values, 0: for none, -1: depends. */
int range_branch_taken(enum range_cond c, bool is32, struct range a, struct range b);

/* Kernel-style text: "5", or "scalar(smin=..,umax=..,var_off=(0x0; 0xff))"
 * naming only the views that say something; snprintf rules. */
int range_strn(char *buf, size_t size, struct range a);

#endif
