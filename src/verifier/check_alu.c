/* ALU instructions: scalars through range.c, pointers by the kernel's
 * pointer-arithmetic rules (adjust_ptr_min_max_vals). */
#include "verifier.h"

#include <errno.h>
#include <string.h>

static const char *const op_names[16] = {
	"+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=", "^=", "=", "s>>=", "endian", "?", "?",
};

int check_reg_read(struct verifier_env *env, int regno)
{
	if (cur_regs(env)[regno].type == NOT_INIT)
		return verr(env, (uint16_t)(1u << regno), "write the register before this instruction on every path to it",
			    "R%d !read_ok", regno);
	return 0;
}

int check_reg_write(struct verifier_env *env, int regno)
{
	if (regno == 10)
		return verr(env, 0, "copy r10 to another register and change that one", "frame pointer is read only");
	return 0;
}

static enum range_op range_op_of(uint8_t code, bool sgn)
{
	switch (ISA_OP(code)) {
	case ISA_ADD: return RA_ADD;
	case ISA_SUB: return RA_SUB;
	case ISA_MUL: return RA_MUL;
	case ISA_DIV: return sgn ? RA_SDIV : RA_DIV;
	case ISA_OR: return RA_OR;
	case ISA_AND: return RA_AND;
	case ISA_LSH: return RA_LSH;
	case ISA_RSH: return RA_RSH;
	case ISA_NEG: return RA_NEG;
	case ISA_MOD: return sgn ? RA_SMOD : RA_MOD;
	case ISA_XOR: return RA_XOR;
	case ISA_MOV: return RA_MOV;
	default: return RA_ARSH;
	}
}

/* check_reg_sane_offset: bounds a pointer's offsets may take. */
static int check_sane_offset(struct verifier_env *env, int regno, const struct reg_state *r, uint16_t ptype)
{
	char tn[32];
	reg_type_name(ptype, tn, sizeof tn);
	if (r->type == SCALAR_VALUE) {
		if (range_is_const(r->v)) {
			int64_t v = (int64_t)r->v.t.value;
			if (v >= VERIFIER_MAX_VAR_OFF || v <= -VERIFIER_MAX_VAR_OFF)
				return verr(env, (uint16_t)(1u << regno), "pointers may move at most 2^29 bytes",
					    "value %lld makes %s pointer be out of bounds", (long long)v, tn);
			return 0;
		}
		if (r->v.smin == INT64_MIN)
			return verr(env, (uint16_t)(1u << regno),
				    "bound the value first, e.g. 'if rX > N goto' or 'rX &= MASK'",
				    "math between %s pointer and register with unbounded min value is not allowed", tn);
		return 0;
	}
	if (r->off >= VERIFIER_MAX_VAR_OFF || r->off <= -VERIFIER_MAX_VAR_OFF)
		return verr(env, (uint16_t)(1u << regno), NULL, "%s pointer offset %d is not allowed", tn, r->off);
	if (r->v.smin <= -VERIFIER_MAX_VAR_OFF || r->v.smax >= VERIFIER_MAX_VAR_OFF)
		return verr(env, (uint16_t)(1u << regno), "pointers may move at most 2^29 bytes",
			    "value %lld makes %s pointer be out of bounds",
			    (long long)(r->v.smin <= -VERIFIER_MAX_VAR_OFF ? r->v.smin : r->v.smax), tn);
	return 0;
}

/* dst = ptr OP off, 64-bit ADD/SUB; ptr and off are copies. */
static int adjust_ptr(struct verifier_env *env, const struct hive_insn *insn, int ptr_regno,
		      struct reg_state ptr, struct reg_state off)
{
	struct reg_state *dst = &cur_regs(env)[insn->dst_reg];
	uint8_t opc = ISA_OP(insn->code);
	uint16_t regs = (uint16_t)((1u << insn->dst_reg) | (ISA_SRCBIT(insn->code) ? 1u << insn->src_reg : 0));
	char tn[32];
	reg_type_name(ptr.type, tn, sizeof tn);
	if (ptr.type & PTR_MAYBE_NULL)
		return verr(env, regs, "compare the pointer with 0 first ('if rX == 0 goto')",
			    "R%d pointer arithmetic on %s prohibited, null-check it first", insn->dst_reg, tn);
	switch (reg_base(&ptr)) {
	case CONST_PTR_TO_MAP:
		if (range_is_const(off.v) && off.v.t.value == 0 && opc == ISA_ADD)
			break;
		/* fallthrough */
	case PTR_TO_PACKET_END:
	case PTR_TO_FUNC:
	case PTR_TO_BTF_ID:
	case PTR_TO_FLOW_KEYS:
	case CONST_PTR_TO_DYNPTR:
		return verr(env, regs, "such pointers may only be passed on or compared, not moved",
			    "R%d pointer arithmetic on %s prohibited", insn->dst_reg, tn);
	default:
		break;
	}
	int err;
	if ((err = check_sane_offset(env, ptr_regno == insn->dst_reg && ISA_SRCBIT(insn->code) ? insn->src_reg : insn->dst_reg,
				     &off, ptr.type)) ||
	    (err = check_sane_offset(env, ptr_regno, &ptr, ptr.type)))
		return err;
	bool known = range_is_const(off.v);
	int64_t k = (int64_t)off.v.t.value;
	struct reg_state res = ptr;
	if (opc == ISA_ADD) {
		if (known) {
			res.off = (int32_t)(ptr.off + k);
		} else {
			res.v = range_alu(RA_ADD, ptr.v, off.v, false);
			if (reg_is_pkt(&ptr)) {
				res.id = ++env->id_gen;
				res.range = 0;
			}
		}
	} else {
		if (ptr_regno != insn->dst_reg)
			return verr(env, regs, "subtract the scalar from the pointer instead",
				    "R%d tried to subtract pointer from scalar", insn->dst_reg);
		if (reg_base(&ptr) == PTR_TO_STACK)
			return verr(env, regs, "write 'rX += -N' instead of 'rX -= N'",
				    "R%d subtraction from stack pointer prohibited", insn->dst_reg);
		if (known) {
			res.off = (int32_t)(ptr.off - k);
		} else {
			res.v = range_alu(RA_SUB, ptr.v, off.v, false);
			if (reg_is_pkt(&ptr)) {
				res.id = ++env->id_gen;
				res.range = 0;
			}
		}
	}
	if ((err = check_sane_offset(env, insn->dst_reg, &res, ptr.type)))
		return err;
	if (reg_is_pkt(&res) && (res.v.umax > VERIFIER_MAX_PACKET_OFF || res.off > VERIFIER_MAX_PACKET_OFF ||
				 res.off < -VERIFIER_MAX_PACKET_OFF)) {
		*dst = res;
		return verr(env, (uint16_t)(1u << insn->dst_reg), "bound the offset below 65536 before adding it",
			    "value %llu makes pkt pointer be out of bounds", (unsigned long long)res.v.umax);
	}
	*dst = res;
	return 0;
}

int check_alu(struct verifier_env *env, const struct hive_insn *insn, uint8_t op)
{
	const struct isa_row *row = &isa_rows[op];
	bool is32 = row->flags & ISA_F_ALU32;
	uint8_t opc = ISA_OP(insn->code);
	int d = insn->dst_reg, s = insn->src_reg, err;
	struct reg_state *regs = cur_regs(env);
	uint16_t mask = (uint16_t)(1u << d);

	/* operands are read before the destination is written */
	if (row->fmt == FMT_ALU_X || row->fmt == FMT_MOVSX) {
		if ((err = check_reg_read(env, s)))
			return err;
		mask |= (uint16_t)(1u << s);
	}
	if (opc != ISA_MOV || row->fmt == FMT_NEG || row->fmt == FMT_END)
		if ((err = check_reg_read(env, d)))
			return err;
	if ((err = check_reg_write(env, d)))
		return err;

	if (row->fmt == FMT_ALU_K && (opc == ISA_DIV || opc == ISA_MOD) && insn->imm == 0)
		return verr(env, 0, "the runtime would return 0 (div) or leave rX (mod); the kernel refuses it",
			    "div by zero");
	if (row->fmt == FMT_ALU_K && (opc == ISA_LSH || opc == ISA_RSH || opc == ISA_ARSH) &&
	    (uint32_t)insn->imm >= (is32 ? 32u : 64u))
		return verr(env, 0, "shift by less than the operand width", "invalid shift %d", insn->imm);

	struct reg_state *dst = &regs[d];
	struct reg_state src;
	if (row->fmt == FMT_ALU_X || row->fmt == FMT_MOVSX)
		src = regs[s];
	else
		reg_mark_const(&src, is32 ? (uint32_t)insn->imm : (uint64_t)(int64_t)insn->imm);

	switch (row->fmt) {
	case FMT_MOVSX:
		if (src.type != SCALAR_VALUE)
			reg_mark_unknown(dst);
		else
			reg_set_scalar(dst, range_movsx(src.v, (unsigned)insn->off / 8, is32));
		if (is32)
			dst->v = range_zext32(dst->v);
		return 0;
	case FMT_END: {
		if (dst->type != SCALAR_VALUE) {
			reg_mark_unknown(dst);
			return 0;
		}
		unsigned bits = (unsigned)insn->imm;
		bool swap = op == OP_BE16 || op == OP_BE32 || op == OP_BE64 || op == OP_BSWAP16 || op == OP_BSWAP32 ||
			    op == OP_BSWAP64;
		struct range v = swap ? range_bswap(dst->v, bits) : range_cast(dst->v, bits / 8);
		reg_set_scalar(dst, v);
		return 0;
	}
	case FMT_NEG:
		if (dst->type != SCALAR_VALUE)
			reg_mark_unknown(dst);
		else
			reg_set_scalar(dst, range_alu(RA_NEG, dst->v, dst->v, is32));
		if (is32)
			dst->v = range_zext32(dst->v);
		return 0;
	default:
		break;
	}

	if (opc == ISA_MOV) {
		if (!is32) {
			if (src.type == SCALAR_VALUE && row->fmt == FMT_ALU_X && !range_is_const(src.v) && !regs[s].id) {
				regs[s].id = ++env->id_gen; /* link the copies: a branch on one bounds both */
				src.id = regs[s].id;
			}
			*dst = src;
			return 0;
		}
		if (src.type != SCALAR_VALUE)
			reg_set_scalar(dst, range_zext32(range_unknown()));
		else
			reg_set_scalar(dst, range_zext32(src.v));
		return 0;
	}

	bool dptr = dst->type != SCALAR_VALUE, sptr = src.type != SCALAR_VALUE;
	if (dptr || sptr) {
		char tn[32];
		if (is32) {
			if (opc == ISA_SUB) {
				reg_set_scalar(dst, range_zext32(range_unknown()));
				return 0;
			}
			return verr(env, mask, "pointers are 64-bit; use the 64-bit instruction",
				    "R%d 32-bit pointer arithmetic prohibited", d);
		}
		if (dptr && sptr) {
			if (opc == ISA_SUB) {
				reg_mark_unknown(dst); /* the distance between two pointers */
				return 0;
			}
			return verr(env, mask, NULL, "R%d pointer %s pointer prohibited", d, op_names[opc >> 4]);
		}
		if (opc == ISA_AND || opc == ISA_OR || opc == ISA_XOR)
			return verr(env, mask, "only += and -= of a scalar may change a pointer",
				    "R%d bitwise operator %s on pointer prohibited", d, op_names[opc >> 4]);
		if (opc != ISA_ADD && opc != ISA_SUB) {
			(void)tn;
			return verr(env, mask, "only += and -= of a scalar may change a pointer",
				    "R%d pointer arithmetic with %s operator prohibited", d, op_names[opc >> 4]);
		}
		/* the pointer's offset comes from the scalar: its value matters */
		if (dptr && row->fmt == FMT_ALU_X)
			mark_precise(env, s);
		else if (!dptr)
			mark_precise(env, d);
		if (dptr)
			return adjust_ptr(env, insn, d, *dst, src);
		return adjust_ptr(env, insn, s, src, *dst);
	}

	/* Linux computes bounds only for add, sub, mul, and, or, xor and shifts by
	 * a known amount below the width; every other result (div, mod, variable
	 * shifts) is unknown in all 64 bits, even for 32-bit operations.  range.c
	 * could do better; agreeing with the kernel matters more. */
	bool kernel_tracks = opc == ISA_ADD || opc == ISA_SUB || opc == ISA_MUL || opc == ISA_AND ||
			     opc == ISA_OR || opc == ISA_XOR ||
			     ((opc == ISA_LSH || opc == ISA_RSH || opc == ISA_ARSH) && range_is_const(src.v) &&
			      src.v.umax < (is32 ? 32u : 64u));
	if (!kernel_tracks) {
		reg_mark_unknown(dst);
		return 0;
	}
	struct range r = range_alu(range_op_of(insn->code, row->flags & ISA_F_SIGNED), dst->v, src.v, is32);
	reg_set_scalar(dst, r);
	return 0;
}
