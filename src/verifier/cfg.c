/* Control-flow checks done before exploration (the kernel's check_subprogs
 * and check_cfg), prune points, and static register liveness. */
#include "verifier.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool is_lddw(const struct verifier_env *env, uint32_t pc) { return env->aux[pc].op == OP_LDDW; }

/* Jump target of a JA/JA32/conditional at @pc (may be out of range). */
static int64_t jump_target(const struct verifier_env *env, uint32_t pc)
{
	const struct hive_insn *i = &env->insns[pc];
	if (env->aux[pc].op == OP_JA32)
		return (int64_t)pc + i->imm + 1;
	return (int64_t)pc + i->off + 1;
}

static int add_subprog(struct verifier_env *env, int64_t start, uint32_t pc)
{
	env->pc = pc;
	if (start < 0 || start >= env->cnt)
		return verr(env, 0, "the target of a call must be an instruction of the program",
			    "call to invalid destination");
	for (uint32_t i = 0; i < env->nsubprogs; i++)
		if (env->subprogs[i].start == start)
			return 0;
	struct subprog *s = realloc(env->subprogs, (env->nsubprogs + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	env->subprogs = s;
	s[env->nsubprogs++] = (struct subprog){.start = (uint32_t)start};
	return 0;
}

static int cmp_subprog(const void *a, const void *b)
{
	const struct subprog *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Registers an instruction reads and writes (bit i = Ri). */
static void use_def(const struct verifier_env *env, uint32_t pc, uint16_t *use, uint16_t *def)
{
	const struct hive_insn *in = &env->insns[pc];
	uint8_t op = env->aux[pc].op;
	*use = *def = 0;
	if (op == OP_INVALID)
		return;
	const struct isa_row *row = &isa_rows[op];
	/* operands as the ISA defines them; calls, exit and the legacy packet
	 * loads (skb in r6, r1-r5 clobbered) are the verifier's own view */
	isa_regs(row, in, use, def);
	switch (row->fmt) {
	case FMT_CALL: {
		const struct helper_proto *p = env->proto ? env->proto((uint32_t)in->imm) : NULL;
		uint16_t u = 0x3e;
		if (p) {
			u = 0;
			for (int a = 0; a < 5 && p->args[a] != ARG_NONE; a++)
				u |= (uint16_t)(1u << (a + 1));
		}
		*use = u;
		*def = 0x3f;
		break;
	}
	case FMT_CALL_LOCAL:
		*use = 0x3e;
		*def = 0x3f;
		break;
	case FMT_CALLX:
		*use = (uint16_t)(0x3e | (1u << in->dst_reg));
		*def = 0x3f;
		break;
	case FMT_EXIT:
		*use = 1;
		break;
	case FMT_LDABS:
		*use = 1u << 6;
		*def = 0x3f;
		break;
	case FMT_LDIND:
		*use = (uint16_t)((1u << 6) | (1u << in->src_reg));
		*def = 0x3f;
		break;
	default:
		break;
	}
}

/* Successors within the same frame (calls continue at pc+1). */
static int successors(const struct verifier_env *env, uint32_t pc, int64_t out[2])
{
	uint8_t op = env->aux[pc].op;
	const struct isa_row *row = &isa_rows[op];
	if (row->fmt == FMT_EXIT)
		return 0;
	if (row->flags & ISA_F_JUMP) {
		out[0] = jump_target(env, pc);
		if (row->flags & ISA_F_COND) {
			out[1] = pc + 1;
			return 2;
		}
		return 1;
	}
	out[0] = pc + (is_lddw(env, pc) ? 2 : 1);
	return 1;
}

static void compute_liveness(struct verifier_env *env)
{
	uint16_t *use = calloc(env->cnt, sizeof(*use)), *def = calloc(env->cnt, sizeof(*def));
	if (!use || !def) {
		/* without liveness every register counts: still sound */
		for (uint32_t i = 0; i < env->cnt; i++)
			env->aux[i].live = 0x3ff;
		free(use);
		free(def);
		return;
	}
	for (uint32_t i = 0; i < env->cnt; i++)
		use_def(env, i, &use[i], &def[i]);
	bool changed = true;
	while (changed) {
		changed = false;
		for (uint32_t k = env->cnt; k-- > 0;) {
			if (env->aux[k].op == OP_INVALID)
				continue;
			int64_t succ[2];
			int n = successors(env, k, succ);
			uint16_t out = 0;
			for (int j = 0; j < n; j++)
				if (succ[j] >= 0 && succ[j] < env->cnt)
					out |= env->aux[succ[j]].live;
			uint16_t in = (uint16_t)(use[k] | (out & ~def[k]));
			if (in != env->aux[k].live) {
				env->aux[k].live = in;
				changed = true;
			}
		}
	}
	free(use);
	free(def);
}

int cfg_check(struct verifier_env *env)
{
	int err;
	/* decode; registers in range */
	for (uint32_t pc = 0; pc < env->cnt; pc++) {
		const struct hive_insn *in = &env->insns[pc];
		const char *why = NULL;
		env->pc = pc;
		int op = isa_decode(in, &why);
		if (op == OP_INVALID)
			return verr(env, 0, NULL, "invalid instruction: %s", why ? why : "?");
		env->aux[pc].op = (uint8_t)op;
		if (in->dst_reg > 10 || in->src_reg > 10)
			return verr(env, 0, "eBPF has registers r0..r10", "R%d is invalid",
				    in->dst_reg > 10 ? in->dst_reg : in->src_reg);
		if (op == OP_LDDW) {
			if (pc + 1 >= env->cnt || env->insns[pc + 1].code || env->insns[pc + 1].dst_reg ||
			    env->insns[pc + 1].src_reg || env->insns[pc + 1].off)
				return verr(env, 0, "lddw takes two slots; the second has only imm set",
					    "invalid bpf_ld_imm64 insn");
			pc++;
			env->aux[pc].op = OP_INVALID;
		}
	}
	/* subprograms */
	if ((err = add_subprog(env, 0, 0)))
		return err;
	for (uint32_t pc = 0; pc < env->cnt; pc++) {
		const struct hive_insn *in = &env->insns[pc];
		if (env->aux[pc].op == OP_CALL_LOCAL ||
		    (env->aux[pc].op == OP_LDDW && in->src_reg == ISA_PSEUDO_FUNC))
			if ((err = add_subprog(env, (int64_t)pc + in->imm + 1, pc)))
				return err;
	}
	qsort(env->subprogs, env->nsubprogs, sizeof(*env->subprogs), cmp_subprog);
	for (uint32_t s = 0; s < env->nsubprogs; s++) {
		struct subprog *sp = &env->subprogs[s];
		sp->end = s + 1 < env->nsubprogs ? env->subprogs[s + 1].start : env->cnt;
		if (env->aux[sp->start].op == OP_INVALID) {
			env->pc = sp->start;
			return verr(env, 0, NULL, "call into the middle of ldimm64 insn %u", sp->start - 1);
		}
		for (uint32_t pc = sp->start; pc < sp->end; pc++)
			env->aux[pc].subprog = (int32_t)s;
		uint32_t last = sp->end - 1;
		if (env->aux[last].op == OP_INVALID)
			last--;
		uint8_t lop = env->aux[last].op;
		if (lop != OP_EXIT && lop != OP_JA && lop != OP_JA32) {
			env->pc = last;
			return verr(env, 0, "every function must end in exit or an unconditional jump",
				    "last insn is not an exit or jmp");
		}
	}
	/* jumps stay inside their function and land on instruction starts */
	for (uint32_t pc = 0; pc < env->cnt; pc++) {
		uint8_t op = env->aux[pc].op;
		if (op == OP_INVALID || !(isa_rows[op].flags & ISA_F_JUMP))
			continue;
		int64_t t = jump_target(env, pc);
		env->pc = pc;
		if (t < 0 || t >= env->cnt || env->aux[t].subprog != env->aux[pc].subprog)
			return verr(env, 0, "a jump must land inside the function it is in",
				    "jump out of range from insn %u to %lld", pc, (long long)t);
		if (env->aux[t].op == OP_INVALID)
			return verr(env, 0, NULL, "jump into the middle of ldimm64 insn %lld", (long long)t - 1);
		/* as Linux: jump targets and the conditional jumps themselves
		 * (one comparison before the path splits) */
		env->aux[t].prune = 1;
		if (isa_rows[op].flags & ISA_F_COND)
			env->aux[pc].prune = 1;
	}
	/* reachability: depth-first from insn 0, into called functions */
	uint32_t *stack = malloc(env->cnt * sizeof(*stack));
	uint8_t *seen = calloc(env->cnt, 1);
	if (!stack || !seen) {
		free(stack);
		free(seen);
		return -ENOMEM;
	}
	uint32_t sp = 0;
	stack[sp++] = 0;
	seen[0] = 1;
	while (sp) {
		uint32_t pc = stack[--sp];
		int64_t succ[3];
		int n = successors(env, pc, succ);
		const struct hive_insn *in = &env->insns[pc];
		if (env->aux[pc].op == OP_CALL_LOCAL ||
		    (env->aux[pc].op == OP_LDDW && in->src_reg == ISA_PSEUDO_FUNC))
			succ[n++] = (int64_t)pc + in->imm + 1;
		if (env->aux[pc].op == OP_CALL_LOCAL && pc + 1 < env->cnt)
			env->aux[pc + 1].prune = 1;
		for (int j = 0; j < n; j++) {
			if (succ[j] < 0 || succ[j] >= env->cnt) {
				free(stack);
				free(seen);
				env->pc = pc;
				return verr(env, 0, NULL, "jump out of range from insn %u to %lld", pc, (long long)succ[j]);
			}
			if (!seen[succ[j]]) {
				seen[succ[j]] = 1;
				stack[sp++] = (uint32_t)succ[j];
			}
		}
	}
	for (uint32_t pc = 0; pc < env->cnt; pc++) {
		if (env->aux[pc].op == OP_INVALID || seen[pc])
			continue;
		free(stack);
		free(seen);
		env->pc = pc;
		return verr(env, 0, "remove the dead code, or the jump that skips it", "unreachable insn %u", pc);
	}
	free(stack);
	free(seen);
	for (uint32_t s = 0; s < env->nsubprogs; s++)
		env->aux[env->subprogs[s].start].prune = 1;
	/* helpers that call back loop through their call insn */
	for (uint32_t pc = 0; pc < env->cnt; pc++) {
		const struct helper_proto *p;
		if (env->aux[pc].op == OP_CALL && env->proto && (p = env->proto((uint32_t)env->insns[pc].imm)) &&
		    p->id == 181) {
			env->aux[pc].prune = 1;
			env->aux[pc].calls_callback = 1;
		}
	}
	compute_liveness(env);
	return 0;
}


static uint32_t round_depth(uint32_t d)
{
	if (!d)
		d = 1;
	return (d + 31) & ~31u;
}

/* Deepest sum of frame sizes over call chains starting in @s. */
static int stack_walk(struct verifier_env *env, uint32_t s, uint32_t depth, uint32_t sum, uint32_t *worst,
		      uint32_t *worst_depth)
{
	sum += round_depth(env->subprogs[s].stack_depth);
	if (sum > *worst) {
		*worst = sum;
		*worst_depth = depth + 1;
	}
	if (depth + 1 >= VERIFIER_MAX_FRAMES)
		return 0;
	for (uint32_t pc = env->subprogs[s].start; pc < env->subprogs[s].end; pc++) {
		bool func = env->aux[pc].op == OP_LDDW && env->insns[pc].src_reg == ISA_PSEUDO_FUNC;
		if ((env->aux[pc].op != OP_CALL_LOCAL && !func) || !env->aux[pc].seen)
			continue;
		uint32_t t = (uint32_t)((int64_t)pc + env->insns[pc].imm + 1);
		stack_walk(env, (uint32_t)env->aux[t].subprog, depth + 1, sum, worst, worst_depth);
	}
	return 0;
}

int cfg_check_stack_depth(struct verifier_env *env)
{
	uint32_t worst = 0, depth = 0;
	stack_walk(env, 0, 0, 0, &worst, &depth);
	if (worst > VERIFIER_STACK) {
		env->pc = 0;
		return verr(env, 0, "use less stack in nested functions (512 bytes in all), or make some static",
			    "combined stack size of %u calls is %u. Too large", depth, worst);
	}
	return 0;
}
