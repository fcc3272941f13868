/* The disassembler: one slot to llvm-objdump / kernel syntax, driven by the
 * isa rows (see disasm.h for the spellings). */
#include "disasm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

/* {===== spellings, indexed by the operation bits (code >> 4) */

static const char *const disasm_alu_ops[16] = {
	[ISA_ADD >> 4] = "+=", [ISA_SUB >> 4] = "-=", [ISA_MUL >> 4] = "*=", [ISA_DIV >> 4] = "/=",
	[ISA_OR >> 4] = "|=",  [ISA_AND >> 4] = "&=", [ISA_LSH >> 4] = "<<=", [ISA_RSH >> 4] = ">>=",
	[ISA_MOD >> 4] = "%=", [ISA_XOR >> 4] = "^=", [ISA_MOV >> 4] = "=",   [ISA_ARSH >> 4] = "s>>=",
};

static const char *const disasm_jmp_ops[16] = {
	[ISA_JEQ >> 4] = "==",  [ISA_JGT >> 4] = ">",   [ISA_JGE >> 4] = ">=",  [ISA_JSET >> 4] = "&",
	[ISA_JNE >> 4] = "!=",  [ISA_JSGT >> 4] = "s>", [ISA_JSGE >> 4] = "s>=", [ISA_JLT >> 4] = "<",
	[ISA_JLE >> 4] = "<=",  [ISA_JSLT >> 4] = "s<", [ISA_JSLE >> 4] = "s<=",
};

/* atomic operations by imm >> 4 */
static const char *const disasm_atomic_names[16] = {
	[ISA_AADD >> 4] = "add", [ISA_AOR >> 4] = "or", [ISA_AAND >> 4] = "and",
	[ISA_AXOR >> 4] = "xor", [ISA_XCHG >> 4] = "xchg", [ISA_CMPXCHG >> 4] = "cmpxchg",
};
static const char *const disasm_lock_ops[16] = {
	[ISA_AADD >> 4] = "+=", [ISA_AOR >> 4] = "|=", [ISA_AAND >> 4] = "&=", [ISA_AXOR >> 4] = "^=",
};

static const char *const disasm_pseudo_names[] = {
	[ISA_PSEUDO_MAP_FD] = "map_fd",   [ISA_PSEUDO_MAP_VALUE] = "map_value",
	[ISA_PSEUDO_BTF_ID] = "btf_id",   [ISA_PSEUDO_FUNC] = "func",
	[ISA_PSEUDO_MAP_IDX] = "map_idx", [ISA_PSEUDO_MAP_IDX_VALUE] = "map_idx_value",
};

const char *disasm_alu_op(const struct isa_row *row)
{
	if (row->fmt != FMT_ALU_K && row->fmt != FMT_ALU_X)
		return NULL;
	if (row->flags & ISA_F_SIGNED)
		return ISA_OP(row->code) == ISA_DIV ? "s/=" : "s%=";
	return disasm_alu_ops[ISA_OP(row->code) >> 4];
}

const char *disasm_jmp_op(const struct isa_row *row)
{
	if (row->fmt != FMT_JCOND_K && row->fmt != FMT_JCOND_X)
		return NULL;
	return disasm_jmp_ops[ISA_OP(row->code) >> 4];
}

const char *disasm_atomic_name(const struct isa_row *row)
{
	return row->fmt == FMT_ATOMIC ? disasm_atomic_names[(row->disc_val >> 4) & 0xf] : NULL;
}

const char *disasm_atomic_lock_op(const struct isa_row *row)
{
	if (row->fmt != FMT_ATOMIC || (row->flags & ISA_F_FETCH))
		return NULL;
	return disasm_lock_ops[(row->disc_val >> 4) & 0xf];
}

const char *disasm_size_name(unsigned bytes, int is_signed)
{
	switch (bytes) {
	case 1: return is_signed ? "s8" : "u8";
	case 2: return is_signed ? "s16" : "u16";
	case 4: return is_signed ? "s32" : "u32";
	case 8: return is_signed ? "s64" : "u64";
	default: return "?";
	}
}

const char *disasm_pseudo_name(unsigned src)
{
	if (src == 0 || src >= sizeof(disasm_pseudo_names) / sizeof(disasm_pseudo_names[0]))
		return NULL;
	return disasm_pseudo_names[src];
}

uint64_t disasm_slot_word(const struct hive_insn *insn)
{
	return (uint64_t)insn->code | (uint64_t)(insn->dst_reg | (insn->src_reg << 4)) << 8 |
	       (uint64_t)(uint16_t)insn->off << 16 | (uint64_t)(uint32_t)insn->imm << 32;
}

/* }===== */

/* {===== printing */

struct disasm_out {
	char *buf;
	size_t size, len;
};

__attribute__((format(printf, 2, 3))) static void disasm_put(struct disasm_out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = o->len < o->size ? o->size - o->len : 0;
	int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

/* "(r1 + 4)" / "(r10 - 8)": a base register and a signed 16-bit offset. */
static void disasm_addr(struct disasm_out *o, unsigned reg, int off)
{
	if (off < 0)
		disasm_put(o, "(r%u - %d)", reg, -off);
	else
		disasm_put(o, "(r%u + %d)", reg, off);
}

static int disasm_invalid(struct disasm_out *o, const struct hive_insn *insn, const char *why)
{
	disasm_put(o, ".insn 0x%016" PRIx64 " # %s", disasm_slot_word(insn), why);
	return -EINVAL;
}

static void disasm_atomic(struct disasm_out *o, const struct isa_row *row, const struct hive_insn *in)
{
	unsigned sz = isa_access_size(row->code);
	char r = (row->flags & ISA_F_ALU32) ? 'w' : 'r';
	const char *name = disasm_atomic_name(row);
	const char *lock = disasm_atomic_lock_op(row);

	if (lock) {
		disasm_put(o, "lock *(%s *)", disasm_size_name(sz, 0));
		disasm_addr(o, in->dst_reg, in->off);
		disasm_put(o, " %s %c%u", lock, r, in->src_reg);
	} else if (row->disc_val == ISA_CMPXCHG || row->disc_val == ISA_XCHG) {
		/* llvm: r0 = cmpxchg_64(r1 + 0, r0, r2), w0 = cmpxchg32_32(...) */
		const char *sfx = sz == 8 ? "_64" : "32_32";
		unsigned res = row->disc_val == ISA_CMPXCHG ? 0 : in->src_reg;
		disasm_put(o, "%c%u = %s%s(r%u %c %d, ", r, res, name, sfx, in->dst_reg, in->off < 0 ? '-' : '+',
			   in->off < 0 ? -in->off : in->off);
		if (row->disc_val == ISA_CMPXCHG)
			disasm_put(o, "%c0, ", r);
		disasm_put(o, "%c%u)", r, in->src_reg);
	} else {
		disasm_put(o, "%c%u = atomic_fetch_%s((%s *)", r, in->src_reg, name, disasm_size_name(sz, 0));
		disasm_addr(o, in->dst_reg, in->off);
		disasm_put(o, ", %c%u)", r, in->src_reg);
	}
}

static int disasm_lddw(struct disasm_out *o, const struct hive_insn *insns, size_t cnt, size_t pc)
{
	const struct hive_insn *in = &insns[pc];
	if (pc + 1 >= cnt)
		return disasm_invalid(o, in, "lddw without its second slot");
	const struct hive_insn *hi = &insns[pc + 1];
	if (hi->code || hi->dst_reg || hi->src_reg || hi->off)
		return disasm_invalid(o, in, "lddw: second slot must be zero but for imm");
	if (in->src_reg == 0) {
		uint64_t v = (uint64_t)(uint32_t)in->imm | (uint64_t)(uint32_t)hi->imm << 32;
		disasm_put(o, "r%u = 0x%" PRIx64 " ll", in->dst_reg, v);
		return 2;
	}
	const char *name = disasm_pseudo_name(in->src_reg);
	if (!name)
		return disasm_invalid(o, in, "lddw: unknown pseudo src");
	disasm_put(o, "r%u = %s(%d", in->dst_reg, name, in->imm);
	if (hi->imm)
		disasm_put(o, ", %d", hi->imm);
	disasm_put(o, ") ll");
	return 2;
}

static int disasm_one(struct disasm_out *o, const struct hive_insn *insns, size_t cnt, size_t pc)
{
	const struct hive_insn *in = &insns[pc];
	const char *why = NULL;
	int op = isa_decode(in, &why);
	if (op == OP_INVALID)
		return disasm_invalid(o, in, why ? why : "invalid instruction");

	const struct isa_row *row = &isa_rows[op];
	char r = (row->flags & ISA_F_ALU32) ? 'w' : 'r';
	unsigned sz = isa_access_size(row->code);
	unsigned d = in->dst_reg, s = in->src_reg;

	switch ((enum isa_fmt)row->fmt) {
	case FMT_ALU_K:
		disasm_put(o, "%c%u %s %d", r, d, disasm_alu_op(row), in->imm);
		break;
	case FMT_ALU_X:
		disasm_put(o, "%c%u %s %c%u", r, d, disasm_alu_op(row), r, s);
		break;
	case FMT_NEG:
		disasm_put(o, "%c%u = -%c%u", r, d, r, d);
		break;
	case FMT_END: {
		/* BPF_ALU64|END is bswap; BPF_ALU|END is le (K) or be (X). */
		const char *kind = ISA_CLASS(row->code) == ISA_ALU64 ? "bswap" : ISA_SRCBIT(row->code) ? "be" : "le";
		disasm_put(o, "r%u = %s%d r%u", d, kind, in->imm, d);
		break;
	}
	case FMT_MOVSX:
		disasm_put(o, "%c%u = (s%d)%c%u", r, d, in->off, r, s);
		break;
	case FMT_JA:
		disasm_put(o, "goto %+d", in->off);
		break;
	case FMT_JA32:
		disasm_put(o, "gotol %+d", in->imm);
		break;
	case FMT_JCOND_K:
		disasm_put(o, "if %c%u %s %d goto %+d", r, d, disasm_jmp_op(row), in->imm, in->off);
		break;
	case FMT_JCOND_X:
		disasm_put(o, "if %c%u %s %c%u goto %+d", r, d, disasm_jmp_op(row), r, s, in->off);
		break;
	case FMT_CALL:
		disasm_put(o, "call %d", in->imm);
		break;
	case FMT_CALL_LOCAL:
		disasm_put(o, "call pc%+d", in->imm);
		break;
	case FMT_CALLX:
		disasm_put(o, "callx r%u", d);
		break;
	case FMT_EXIT:
		disasm_put(o, "exit");
		break;
	case FMT_LDDW:
		return disasm_lddw(o, insns, cnt, pc);
	case FMT_LDABS:
		disasm_put(o, "r0 = *(%s *)skb[%d]", disasm_size_name(sz, 0), in->imm);
		break;
	case FMT_LDIND:
		disasm_put(o, "r0 = *(%s *)skb[r%u %c %lld]", disasm_size_name(sz, 0), s, in->imm < 0 ? '-' : '+',
			   in->imm < 0 ? -(long long)in->imm : (long long)in->imm);
		break;
	case FMT_LDX:
		disasm_put(o, "r%u = *(%s *)", d, disasm_size_name(sz, !!(row->flags & ISA_F_SIGNED)));
		disasm_addr(o, s, in->off);
		break;
	case FMT_ST:
		disasm_put(o, "*(%s *)", disasm_size_name(sz, 0));
		disasm_addr(o, d, in->off);
		disasm_put(o, " = %d", in->imm);
		break;
	case FMT_STX:
		disasm_put(o, "*(%s *)", disasm_size_name(sz, 0));
		disasm_addr(o, d, in->off);
		disasm_put(o, " = r%u", s);
		break;
	case FMT_ATOMIC:
		disasm_atomic(o, row, in);
		break;
	default:
		return disasm_invalid(o, in, "no text form for this row");
	}
	return 1;
}

/* }===== */

int hive_disasm_insn(const struct hive_insn *insns, size_t cnt, size_t pc, char *buf, size_t size)
{
	if (buf && size)
		buf[0] = '\0';
	if (!insns || pc >= cnt || (!buf && size))
		return -EINVAL;
	struct disasm_out o = {.buf = buf, .size = buf ? size : 0, .len = 0};
	return disasm_one(&o, insns, cnt, pc);
}
