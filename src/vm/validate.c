/* Structural validation, done once at load before anything runs: every slot
 * decodes, registers are in range, r10 is never written, jumps land on an
 * instruction, nothing falls off the end, helpers exist, and no register is
 * read before it is written. It also fills prog->code, the pre-decoded form
 * the interpreter and JIT run. Safety of memory accesses is the verifier's
 * job (or the checked mode's at run time), not this file's. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

struct validate {
	const struct hive_insn *insns;
	uint32_t cnt;
	char *log;
	size_t log_size;
};

static int validate_fail(struct validate *v, uint32_t pc, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int validate_fail(struct validate *v, uint32_t pc, int err, const char *fmt, ...)
{
	char text[96];
	if (hive_disasm_insn(v->insns, v->cnt, pc, text, sizeof(text)) < 0)
		snprintf(text, sizeof(text), "(undecodable)");
	const uint8_t *b = (const uint8_t *)&v->insns[pc];
	int n = snprintf(v->log, v->log_size, "insn %u: %02x %02x %02x %02x %02x %02x %02x %02x  %s: ", pc, b[0],
			 b[1], b[2], b[3], b[4], b[5], b[6], b[7], text);
	if (n >= 0 && (size_t)n < v->log_size) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(v->log + n, v->log_size - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* LDDW of a callback (src 4): imm is the distance to the callback's first
 * instruction, as for a local call; the pre-decoded pair gets the
 * reference (vm.h: &prog->code[target]) and the target joins prog->cb_pcs.
 * Where the target lands is checked with the jumps. */
static int validate_lddw_func(struct validate *v, uint32_t pc, struct hive_prog *prog, struct vm_insn *lo,
			      struct vm_insn *hi)
{
	int64_t target = (int64_t)pc + 1 + v->insns[pc].imm;
	if (v->insns[pc + 1].imm)
		return validate_fail(v, pc, -EINVAL, "the second slot of a callback lddw must be 0");
	if (target <= 0 || target >= v->cnt)
		return validate_fail(v, pc, -EINVAL, "callback at %lld is %s", (long long)target,
				     target == 0 ? "the program itself, not a subprogram" : "out of the program");
	uint32_t i = 0;
	while (i < prog->ncb && prog->cb_pcs[i] < (uint32_t)target)
		i++;
	if (i == prog->ncb || prog->cb_pcs[i] != (uint32_t)target) {
		uint32_t *n = realloc(prog->cb_pcs, (prog->ncb + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		memmove(&n[i + 1], &n[i], (prog->ncb - i) * sizeof(*n));
		n[i] = (uint32_t)target;
		prog->cb_pcs = n;
		prog->ncb++;
	}
	uintptr_t ref = (uintptr_t)&prog->code[target];
	lo->imm = (int32_t)(uint32_t)ref;
	hi->imm = (int32_t)(uint32_t)((uint64_t)ref >> 32);
	return 0;
}

/* LDDW of a map or of a map value: the loader left an index into
 * opts->maps; the pre-decoded pair gets the address itself. */
static int validate_lddw_pseudo(struct validate *v, uint32_t pc, const struct hive_prog_opts *opts,
				struct hive_prog *prog, struct vm_insn *lo, struct vm_insn *hi)
{
	const struct hive_insn *in = &v->insns[pc];
	uint32_t src = in->src_reg;
	if (src == ISA_PSEUDO_FUNC)
		return validate_lddw_func(v, pc, prog, lo, hi);
	if (src != ISA_PSEUDO_MAP_FD && src != ISA_PSEUDO_MAP_IDX && src != ISA_PSEUDO_MAP_VALUE &&
	    src != ISA_PSEUDO_MAP_IDX_VALUE)
		return validate_fail(v, pc, -EINVAL, "lddw with src %u (%s) is not supported here", src,
				     src == ISA_PSEUDO_BTF_ID ? "a kernel symbol" : "unknown pseudo source");
	size_t nmaps = opts ? opts->nmaps : 0;
	if ((uint32_t)in->imm >= nmaps || !opts->maps[in->imm])
		return validate_fail(v, pc, -EINVAL, "lddw refers to map %u, but the program has %zu maps",
				     (uint32_t)in->imm, nmaps);
	struct hive_map *map = opts->maps[in->imm];
	uint64_t addr = (uintptr_t)map;
	if (src == ISA_PSEUDO_MAP_VALUE || src == ISA_PSEUDO_MAP_IDX_VALUE) {
		uint32_t off = (uint32_t)v->insns[pc + 1].imm;
		void *base = NULL;
		int err = vm_map_direct_value(map, off, &base);
		if (err)
			return validate_fail(v, pc, -EINVAL,
					     "lddw of byte %u of map '%s': %s", off, hive_map_name(map),
					     err == -ERANGE ? "offset beyond the value" :
					     "direct value access needs an array map with one element");
		addr = (uintptr_t)base + off;
		uint32_t i = 0;
		while (i < prog->ndata_regions && prog->data_regions[i].start != (uintptr_t)base)
			i++;
		if (i == prog->ndata_regions) {
			if (i == sizeof(prog->data_regions) / sizeof(prog->data_regions[0]))
				return validate_fail(v, pc, -E2BIG, "more than %u global data maps", i);
			prog->data_regions[i] = (struct vm_region){
				.start = (uintptr_t)base,
				.end = (uintptr_t)base + hive_map_value_size(map),
				.writable = !(hive_map_flags(map) & (HIVE_F_RDONLY_PROG)),
			};
			prog->ndata_regions++;
		}
	}
	lo->imm = (int32_t)(uint32_t)addr;
	hi->imm = (int32_t)(uint32_t)(addr >> 32);
	return 0;
}

static const char *validate_reg_name(uint16_t mask)
{
	static const char *names[] = {"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10"};
	for (int i = 0; i <= 10; i++)
		if (mask & (1u << i))
			return names[i];
	return "?";
}

/* Must-initialised registers, a forward dataflow to a fixed point. At entry
 * r1 (memory or context), r2 (its size) and r10 are set; a helper call
 * defines r0 and leaves r1-r5 undefined, as the kernel's verifier treats
 * them; a local call's callee starts with the caller's r1-r5 and r10. */
static int validate_init(struct validate *v, struct hive_prog *prog, const uint8_t *is_hi)
{
	enum { UNSEEN = 0xffff };
	uint32_t n = v->cnt;
	uint16_t *in = malloc(n * sizeof(*in));
	uint32_t *work = malloc(n * sizeof(*work));
	uint8_t *queued = calloc(n, 1);
	int err = 0;
	if (!in || !work || !queued) {
		err = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++)
		in[i] = UNSEEN;
	const uint16_t callee_keep = (uint16_t)(0x3e | (1u << 10)); /* r1-r5, r10 */
	uint32_t top = 0;
	in[0] = (uint16_t)((1u << 1) | (1u << 2) | (1u << 10));
	work[top++] = 0;
	queued[0] = 1;
	/* a callback starts with the helper's r1-r5 */
	for (uint32_t i = 0; i < prog->ncb; i++) {
		uint32_t t = prog->cb_pcs[i];
		in[t] = in[t] == UNSEEN ? callee_keep : (uint16_t)(in[t] & callee_keep);
		if (!queued[t]) {
			queued[t] = 1;
			work[top++] = t;
		}
	}

#define FLOW(target, set)                                                      \
	do {                                                                   \
		uint32_t t_ = (target);                                        \
		uint16_t s_ = (set);                                           \
		uint16_t m_ = in[t_] == UNSEEN ? s_ : (uint16_t)(in[t_] & s_); \
		if (m_ != in[t_]) {                                            \
			in[t_] = m_;                                           \
			if (!queued[t_]) {                                     \
				queued[t_] = 1;                                \
				work[top++] = t_;                              \
			}                                                      \
		}                                                              \
	} while (0)

	while (top) {
		uint32_t pc = work[--top];
		queued[pc] = 0;
		const struct hive_insn *insn = &v->insns[pc];
		const struct isa_row *row = &isa_rows[prog->code[pc].op];
		uint16_t rd, wr, state = in[pc];
		isa_regs(row, insn, &rd, &wr);
		if (rd & ~state) {
			err = validate_fail(v, pc, -EINVAL, "%s is read before it is written (R%d !read_ok)",
					    validate_reg_name(rd & ~state), __builtin_ctz(rd & ~state));
			goto out;
		}
		uint16_t after = (uint16_t)(state | wr);
		switch (row->fmt) {
		case FMT_EXIT:
			if (!(state & 1)) {
				err = validate_fail(v, pc, -EINVAL, "r0 is not set at exit (R0 !read_ok)");
				goto out;
			}
			continue;
		case FMT_JA:
			FLOW(pc + 1 + (uint32_t)(int32_t)insn->off, after);
			continue;
		case FMT_JA32:
			FLOW(pc + 1 + (uint32_t)insn->imm, after);
			continue;
		case FMT_CALL:
		case FMT_CALLX:
			after = (uint16_t)((state & ~0x3eu) | 1u);
			break;
		case FMT_CALL_LOCAL:
			FLOW(pc + 1 + (uint32_t)insn->imm, (uint16_t)(state & callee_keep));
			after = (uint16_t)((state & ~0x3eu) | 1u);
			break;
		case FMT_LDABS:
		case FMT_LDIND:
			after = (uint16_t)((state & ~0x3eu) | 1u); /* the kernel clobbers r1-r5 here too */
			break;
		default:
			break;
		}
		if (row->flags & ISA_F_COND)
			FLOW(pc + 1 + (uint32_t)(int32_t)insn->off, after);
		uint32_t next = pc + (row->fmt == FMT_LDDW ? 2 : 1);
		if (next < n && !is_hi[next])
			FLOW(next, after);
	}
#undef FLOW
out:
	free(in);
	free(work);
	free(queued);
	return err;
}

int validate_prog(const struct hive_insn *insns, uint32_t cnt, const struct hive_prog_opts *opts,
		  struct hive_prog *prog, char *log, size_t log_size)
{
	struct validate v = {.insns = insns, .cnt = cnt, .log = log, .log_size = log_size};
	unsigned cpu = opts && opts->cpu_version ? opts->cpu_version : 4;
	unsigned groups = opts && opts->groups ? opts->groups : ~0u;
	if (cnt == 0) {
		snprintf(log, log_size, "empty program: no instructions");
		return -EINVAL;
	}
	uint8_t *is_hi = calloc(cnt, 1); /* second slot of an LDDW */
	if (!is_hi)
		return -ENOMEM;
	int err = 0;

	for (uint32_t pc = 0; pc < cnt; pc++) {
		const struct hive_insn *in = &insns[pc];
		struct vm_insn *out = &prog->code[pc];
		if (is_hi[pc])
			continue; /* filled with its LDDW */
		const char *why = NULL;
		int op = isa_decode(in, &why);
		if (op == OP_INVALID) {
			err = validate_fail(&v, pc, -EINVAL, "%s", why);
			goto out;
		}
		const struct isa_row *row = &isa_rows[op];
		*out = (struct vm_insn){.op = (uint8_t)op, .dst = in->dst_reg, .src = in->src_reg, .off = in->off, .imm = in->imm};
		if (row->cpu > cpu) {
			err = validate_fail(&v, pc, -EINVAL, "instruction needs -mcpu=v%u, this program is limited to v%u",
					    row->cpu, cpu);
			goto out;
		}
		if (!(row->group & groups)) {
			err = validate_fail(&v, pc, -EINVAL, "instruction of the %s group, which is not enabled",
					    isa_group_name(row->group));
			goto out;
		}
		if (in->dst_reg > 10) {
			err = validate_fail(&v, pc, -EINVAL, "invalid register r%u (registers are r0-r10)", in->dst_reg);
			goto out;
		}
		bool src_is_reg = row->fmt == FMT_ALU_X || row->fmt == FMT_MOVSX || row->fmt == FMT_JCOND_X ||
				  row->fmt == FMT_LDIND || row->fmt == FMT_LDX || row->fmt == FMT_STX ||
				  row->fmt == FMT_ATOMIC;
		if (src_is_reg && in->src_reg > 10) {
			err = validate_fail(&v, pc, -EINVAL, "invalid register r%u (registers are r0-r10)", in->src_reg);
			goto out;
		}
		uint16_t rd, wr;
		isa_regs(row, in, &rd, &wr);
		if (wr & (1u << 10)) {
			err = validate_fail(&v, pc, -EINVAL, "r10 is the read-only frame pointer (frame pointer is read only)");
			goto out;
		}
		if (row->fmt == FMT_CALL || row->fmt == FMT_CALLX || (row->fmt == FMT_LDDW && in->src_reg))
			prog->uses_maps = true;
		switch (row->fmt) {
		case FMT_LDDW:
			if (pc + 1 >= cnt) {
				err = validate_fail(&v, pc, -EINVAL, "lddw is missing its second slot");
				goto out;
			}
			if (insns[pc + 1].code || insns[pc + 1].dst_reg || insns[pc + 1].src_reg || insns[pc + 1].off) {
				err = validate_fail(&v, pc, -EINVAL, "the second slot of lddw must have only imm set");
				goto out;
			}
			is_hi[pc + 1] = 1;
			prog->code[pc + 1] = (struct vm_insn){.op = OP_INVALID, .imm = insns[pc + 1].imm};
			if (in->src_reg != 0 &&
			    (err = validate_lddw_pseudo(&v, pc, opts, prog, out, &prog->code[pc + 1])))
				goto out;
			break;
		case FMT_CALL:
			if (!prog->any_helper && !vm_helper(prog, (uint32_t)in->imm)) {
				err = validate_fail(&v, pc, -EINVAL, "unknown helper %d (not registered in the environment)",
						    in->imm);
				goto out;
			}
			break;
		case FMT_ATOMIC:
			if ((row->flags & ISA_F_FETCH) && in->imm != ISA_CMPXCHG && in->src_reg == 10) {
				err = validate_fail(&v, pc, -EINVAL, "r10 is the read-only frame pointer (fetch writes src)");
				goto out;
			}
			break;
		default:
			break;
		}
	}

	/* Control flow: targets in range and not inside an LDDW; no fall-through off the end. */
	for (uint32_t pc = 0; pc < cnt; pc++) {
		if (is_hi[pc])
			continue;
		const struct isa_row *row = &isa_rows[prog->code[pc].op];
		int64_t target = -1;
		if (row->flags & ISA_F_JUMP)
			target = (int64_t)pc + 1 + (row->fmt == FMT_JA32 ? insns[pc].imm : insns[pc].off);
		else if (row->fmt == FMT_CALL_LOCAL)
			target = (int64_t)pc + 1 + insns[pc].imm;
		if ((row->flags & ISA_F_JUMP) || row->fmt == FMT_CALL_LOCAL) {
			if (target < 0 || target >= cnt) {
				err = validate_fail(&v, pc, -EINVAL, "jump to %lld is out of the program (0..%u)",
						    (long long)target, cnt - 1);
				goto out;
			}
			if (is_hi[target]) {
				err = validate_fail(&v, pc, -EINVAL, "jump into the middle of the lddw at %lld",
						    (long long)target - 1);
				goto out;
			}
		}
	}
	for (uint32_t i = 0; i < prog->ncb; i++)
		if (is_hi[prog->cb_pcs[i]]) {
			err = validate_fail(&v, prog->cb_pcs[i] - 1, -EINVAL, "a callback lddw points into the middle of this lddw");
			goto out;
		}
	uint32_t last = cnt - 1;
	if (is_hi[last])
		last--;
	const struct isa_row *lrow = &isa_rows[prog->code[last].op];
	if (lrow->fmt != FMT_EXIT && lrow->fmt != FMT_JA && lrow->fmt != FMT_JA32) {
		err = validate_fail(&v, last, -EINVAL, "the last instruction falls through off the end of the program");
		goto out;
	}
	err = validate_init(&v, prog, is_hi);
out:
	free(is_hi);
	return err;
}
