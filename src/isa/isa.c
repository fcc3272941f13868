/* The instruction table and the decoder that maps a slot to its row. */
#include "isa.h"

#include <pthread.h>

const struct isa_row isa_rows[OP__COUNT] = {
#define ISA_ROW(ID, CODE, DV, MN, FMT, FL, CPU, GRP) \
	[OP_##ID] = {.mnemonic = MN, .code = (CODE), .fmt = (FMT), .cpu = (CPU), .disc_val = (DV), .flags = (FL), .group = (GRP)},
	HIVE_ISA(ISA_ROW)
#undef ISA_ROW
};

enum isa_disc isa_disc_of(uint8_t code)
{
	switch (ISA_CLASS(code)) {
	case ISA_ALU:
	case ISA_ALU64:
		if (ISA_OP(code) == ISA_DIV || ISA_OP(code) == ISA_MOD)
			return DISC_OFF;
		if (ISA_OP(code) == ISA_MOV && ISA_SRCBIT(code))
			return DISC_OFF;
		if (ISA_OP(code) == ISA_END)
			return DISC_IMM;
		return DISC_NONE;
	case ISA_JMP:
		return code == (ISA_JMP | ISA_CALL) ? DISC_SRC : DISC_NONE;
	case ISA_STX:
		return ISA_MODE(code) == ISA_ATOMIC ? DISC_IMM : DISC_NONE;
	default:
		return DISC_NONE;
	}
}

/* Rows grouped by opcode byte: rows_by_code[by_code_start[c] .. by_code_start[c+1]). */
static uint8_t rows_by_code[OP__COUNT];
static uint16_t by_code_start[257];
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static void isa_build_index(void)
{
	unsigned count[256] = {0};
	for (unsigned r = 0; r < OP__COUNT; r++)
		count[isa_rows[r].code]++;
	by_code_start[0] = 0;
	for (unsigned c = 0; c < 256; c++)
		by_code_start[c + 1] = (uint16_t)(by_code_start[c] + count[c]);
	unsigned fill[256];
	for (unsigned c = 0; c < 256; c++)
		fill[c] = by_code_start[c];
	for (unsigned r = 0; r < OP__COUNT; r++)
		rows_by_code[fill[isa_rows[r].code]++] = (uint8_t)r;
}

static int32_t isa_field(const struct hive_insn *insn, enum isa_disc d)
{
	switch (d) {
	case DISC_OFF: return insn->off;
	case DISC_IMM: return insn->imm;
	case DISC_SRC: return insn->src_reg;
	default: return 0;
	}
}

/* Fields a format leaves unused, which must be zero. */
enum { Z_DST = 1, Z_SRC = 2, Z_OFF = 4, Z_IMM = 8 };
static const uint8_t fmt_zero[] = {
	[FMT_ALU_K] = Z_SRC,
	[FMT_ALU_X] = Z_IMM,
	[FMT_NEG] = Z_SRC | Z_OFF | Z_IMM,
	[FMT_END] = Z_SRC | Z_OFF,
	[FMT_MOVSX] = Z_IMM,
	[FMT_JA] = Z_DST | Z_SRC | Z_IMM,
	[FMT_JA32] = Z_DST | Z_SRC | Z_OFF,
	[FMT_JCOND_K] = Z_SRC,
	[FMT_JCOND_X] = Z_IMM,
	[FMT_CALL] = Z_DST | Z_OFF,
	[FMT_CALL_LOCAL] = Z_DST | Z_OFF,
	[FMT_CALLX] = Z_SRC | Z_OFF | Z_IMM,
	[FMT_EXIT] = Z_DST | Z_SRC | Z_OFF | Z_IMM,
	[FMT_LDDW] = Z_OFF,
	[FMT_LDABS] = Z_DST | Z_SRC | Z_OFF,
	[FMT_LDIND] = Z_DST | Z_OFF,
	[FMT_LDX] = Z_IMM,
	[FMT_ST] = Z_SRC,
	[FMT_STX] = Z_IMM,
	[FMT_ATOMIC] = 0,
};

int isa_decode(const struct hive_insn *insn, const char **why)
{
	static const char *unused;
	const char **w = why ? why : &unused;
	pthread_once(&index_once, isa_build_index);

	unsigned lo = by_code_start[insn->code], hi = by_code_start[insn->code + 1];
	if (lo == hi) {
		*w = "unknown opcode";
		return OP_INVALID;
	}
	enum isa_disc d = isa_disc_of(insn->code);
	int32_t v = isa_field(insn, d);
	int row = OP_INVALID;
	for (unsigned i = lo; i < hi; i++)
		if (d == DISC_NONE || isa_rows[rows_by_code[i]].disc_val == v) {
			row = rows_by_code[i];
			break;
		}
	if (row == OP_INVALID) {
		*w = d == DISC_OFF ? "invalid offset for this opcode"
		   : d == DISC_IMM ? "invalid imm for this opcode"
				   : "invalid src for this opcode";
		return OP_INVALID;
	}
	uint8_t z = fmt_zero[isa_rows[row].fmt];
	if ((z & Z_DST) && insn->dst_reg) {
		*w = "reserved field dst must be 0";
		return OP_INVALID;
	}
	if ((z & Z_SRC) && insn->src_reg) {
		*w = "reserved field src must be 0";
		return OP_INVALID;
	}
	if ((z & Z_OFF) && insn->off && d != DISC_OFF) {
		*w = "reserved field off must be 0";
		return OP_INVALID;
	}
	if ((z & Z_IMM) && insn->imm && d != DISC_IMM) {
		*w = "reserved field imm must be 0";
		return OP_INVALID;
	}
	/* Formats without a discriminating off must have off 0 where unused. */
	if (d == DISC_NONE && (isa_rows[row].fmt == FMT_ALU_K || isa_rows[row].fmt == FMT_ALU_X) && insn->off) {
		*w = "reserved field off must be 0";
		return OP_INVALID;
	}
	return row;
}

/* Helper and local calls are left to the caller: what they clobber depends
 * on the call's kind (and for the verifier, on the helper's prototype). */
void isa_regs(const struct isa_row *row, const struct hive_insn *in, uint16_t *rd, uint16_t *wr)
{
	uint16_t d = (uint16_t)(1u << in->dst_reg), s = (uint16_t)(1u << in->src_reg);
	*rd = *wr = 0;
	switch (row->fmt) {
	case FMT_ALU_K:
		*rd = (ISA_OP(row->code) == ISA_MOV) ? 0 : d;
		*wr = d;
		break;
	case FMT_ALU_X:
		*rd = (uint16_t)(s | ((ISA_OP(row->code) == ISA_MOV) ? 0 : d));
		*wr = d;
		break;
	case FMT_NEG:
	case FMT_END:
		*rd = *wr = d;
		break;
	case FMT_MOVSX:
		*rd = s;
		*wr = d;
		break;
	case FMT_JCOND_K:
		*rd = d;
		break;
	case FMT_JCOND_X:
		*rd = (uint16_t)(d | s);
		break;
	case FMT_CALLX:
		*rd = d;
		break;
	case FMT_LDDW:
		*wr = d;
		break;
	case FMT_LDABS:
		*rd = 1u << 10; /* the packet is implicit */
		*wr = 1;
		break;
	case FMT_LDIND:
		*rd = s;
		*wr = 1;
		break;
	case FMT_LDX:
		*rd = s;
		*wr = d;
		break;
	case FMT_ST:
		*rd = d;
		break;
	case FMT_STX:
		*rd = (uint16_t)(d | s);
		break;
	case FMT_ATOMIC:
		*rd = (uint16_t)(d | s);
		if (in->imm == ISA_CMPXCHG) {
			*rd |= 1;
			*wr = 1;
		} else if (row->flags & ISA_F_FETCH) {
			*wr = s;
		}
		break;
	default:
		break;
	}
}

const char *isa_group_name(unsigned group)
{
	switch (group) {
	case GRP_BASE32: return "base32";
	case GRP_BASE64: return "base64";
	case GRP_ATOMIC32: return "atomic32";
	case GRP_ATOMIC64: return "atomic64";
	case GRP_DIVMUL32: return "divmul32";
	case GRP_DIVMUL64: return "divmul64";
	case GRP_PACKET: return "packet";
	case GRP_CALLX: return "callx";
	default: return "?";
	}
}
