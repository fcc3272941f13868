/* Path-exploring verification, after Linux's do_check: every path is
 * followed instruction by instruction with the state of registers and stack;
 * at prune points a state already explored and found safe that covers the
 * current one ends the path (states_equal); a state equal to one still being
 * explored on the same path is an infinite loop. */
#include "opts.h"
#include "verifier.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct pending {
	struct vstate st;
	struct vnode *parent;
	uint32_t pc, prev;
};

struct frame *cur_frame(struct verifier_env *env)
{
	return env->cur->frames[env->cur->curframe];
}

/* {===== exploration bookkeeping */

static void branch_done(struct verifier_env *env)
{
	for (struct vnode *n = env->cur_parent; n; n = n->parent)
		if (--n->branches)
			break;
}

static void note_peak(struct verifier_env *env)
{
	uint64_t live = env->cur_states + env->npending;
	if (live > env->peak_states)
		env->peak_states = live;
}

/* The path took the conditional jump at @insn (@taken) or fell through. */
static void trail_note(struct vstate *st, uint32_t insn, bool taken)
{
	uint32_t n = sizeof st->trail / sizeof *st->trail;
	if (st->ntrail >= n)
		memmove(st->trail, st->trail + 1, (n - 1) * sizeof *st->trail);
	st->trail[st->ntrail < n ? st->ntrail : n - 1] = insn << 1 | taken;
	st->ntrail++;
}

static int push_branch(struct verifier_env *env, uint32_t pc, struct vstate **out)
{
	if (env->npending >= VERIFIER_MAX_PENDING)
		return verr(env, 0, "split the program or reduce branches in a row",
			    "The sequence of %u jumps is too complex.", env->npending);
	if (env->npending == env->cap_pending) {
		uint32_t cap = env->cap_pending ? env->cap_pending * 2 : 64;
		struct pending *p = realloc(env->pending, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		env->pending = p;
		env->cap_pending = cap;
	}
	struct pending *p = &env->pending[env->npending];
	memset(&p->st, 0, sizeof(p->st));
	if (state_copy(&p->st, env->cur))
		return -ENOMEM;
	p->pc = pc;
	p->prev = env->pc;
	p->parent = env->cur_parent;
	if (p->parent)
		p->parent->branches++;
	env->npending++;
	note_peak(env);
	*out = &p->st;
	return 0;
}

int push_branch_after_call(struct verifier_env *env, struct vstate **out)
{
	return push_branch(env, env->pc + 1, out);
}

static bool pop_branch(struct verifier_env *env)
{
	if (!env->npending)
		return false;
	struct pending *p = &env->pending[--env->npending];
	state_release(env->cur);
	*env->cur = p->st; /* takes the frames */
	env->pc = p->pc;
	env->prev_pc = p->prev;
	env->cur_parent = p->parent;
	return true;
}

/* A new checkpoint at pc from the current state; the path since the last
 * one (its history) moves into it, and a new segment starts here. */
static int add_checkpoint(struct verifier_env *env, bool arrived)
{
	uint32_t pc = env->pc;
	struct insn_aux *aux = &env->aux[pc];
	struct vstate *cur = env->cur;
	struct vnode *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	if (arrived)
		cur->nhist--; /* the arrival here starts the next segment */
	struct hist_entry *hist = cur->hist;
	uint32_t nhist = cur->nhist, cap = cur->cap_hist;
	cur->hist = NULL;
	cur->nhist = cur->cap_hist = 0;
	if (state_copy(&n->st, cur)) {
		cur->hist = hist;
		cur->nhist = nhist;
		cur->cap_hist = cap;
		free(n);
		return -ENOMEM;
	}
	n->st.hist = hist;
	n->st.nhist = nhist;
	n->st.cap_hist = cap;
	n->st.last_insn = env->prev_pc;
	cur->first_insn = pc;
	struct hist_entry e = {.idx = pc, .prev = env->prev_pc};
	if (state_hist_push(cur, e)) {
		state_release(&n->st);
		free(n);
		return -ENOMEM;
	}
	env->hist_here = true;
	n->insn = pc;
	n->branches = 1;
	n->parent = env->cur_parent;
	n->next = aux->states;
	aux->states = n;
	aux->nstates++;
	if (aux->nstates > env->max_states_per_insn)
		env->max_states_per_insn = aux->nstates;
	env->cur_parent = n;
	env->total_states++;
	env->cur_states++;
	env->prev_jmps = env->jmps_processed;
	env->prev_processed = env->processed;
	note_peak(env);
	return 0;
}

/* is_state_visited: 1 when the current path can stop here. */
static int visit_state(struct verifier_env *env, bool arrived)
{
	uint32_t pc = env->pc;
	struct insn_aux *aux = &env->aux[pc];
	if (!aux->prune)
		return 0;
	/* a checkpoint costs a copy and a comparison per later visit: add one
	 * only after a few jumps and instructions (the kernel's heuristic),
	 * or when the path's history grows long; always where a helper calls
	 * back, so that the rounds of the callback converge there */
	bool force = aux->calls_callback || env->cur->nhist > 40;
	/* soundness mode with normal pruning: a checkpoint at every visit
	 * that is not pruned, so that every state a run can be in at a prune
	 * point is covered by a stored one (sound.c checks them there), up
	 * to a memory budget; a visit without one leaves its insn unchecked */
	if (env->sound && !env->sound_range && env->total_states < SOUND_FORCED_STATES)
		force = true;
	bool add = force || (env->jmps_processed - env->prev_jmps >= 2 && env->processed - env->prev_processed >= 8);
	unsigned looping_checks = 0;
	for (struct vnode **pp = &aux->states, *n; (n = *pp);) {
		if (n->branches && aux->calls_callback) {
			/* the helper bounds the calls: a state already being
			 * explored that covers this one is enough (its precision
			 * is not final: every scalar counts, and the path's
			 * checkpoints keep every scalar precise); otherwise widen
			 * what changed so the next round converges */
			if (states_equal(env, &n->st, env->cur, pc, CMP_RANGE)) {
				n->hit_cnt++;
				mark_all_precise(env);
				return 1;
			}
			state_widen(env->cur, &n->st);
		} else if (n->branches) {
			/* a state repeating exactly repeats the latest ones too: check a few */
			if (looping_checks++ < 8 && states_equal(env, &n->st, env->cur, pc, CMP_EXACT))
				return verr(env, 0, "make the loop condition change on every iteration",
					    "infinite loop detected at insn %u", pc);
			/* inside a loop: do not keep a state per iteration */
			if (!force && env->jmps_processed - env->prev_jmps < 20 &&
			    env->processed - env->prev_processed < 100)
				add = false;
		} else if (states_equal(env, &n->st, env->cur, pc, env->sound_range ? CMP_RANGE : CMP_PRECISE)) {
			n->hit_cnt++;
			propagate_precision(env, &n->st, pc);
			return 1;
		}
		/* a state that keeps missing is unlikely to help: drop it from the
		 * list (the kernel does the same to keep long loops fast) */
		if (add)
			n->miss_cnt++;
		uint32_t lim = n->branches && aux->calls_callback ? 64u : 3u;
		if (n->miss_cnt > n->hit_cnt * lim + lim) {
			*pp = n->next;
			n->next = env->retired;
			env->retired = n;
			aux->nstates--;
			env->cur_states--;
			continue;
		}
		pp = &n->next;
	}
	if (!add) {
		if (env->sound)
			sound_unstored(env);
		return 0;
	}
	return add_checkpoint(env, arrived);
}
/* }===== */

/* {===== conditional jumps */

static enum range_cond cond_of(uint8_t code)
{
	switch (ISA_OP(code)) {
	case ISA_JEQ: return RC_EQ;
	case ISA_JNE: return RC_NE;
	case ISA_JGT: return RC_UGT;
	case ISA_JGE: return RC_UGE;
	case ISA_JLT: return RC_ULT;
	case ISA_JLE: return RC_ULE;
	case ISA_JSGT: return RC_SGT;
	case ISA_JSGE: return RC_SGE;
	case ISA_JSLT: return RC_SLT;
	case ISA_JSLE: return RC_SLE;
	default: return RC_SET;
	}
}

struct id_update {
	uint32_t id;
	const struct reg_state *src;
	bool is_null;
	bool null_check;
};

static void sync_linked(struct reg_state *r, void *arg)
{
	struct id_update *u = arg;
	if (r->type == SCALAR_VALUE && r->id == u->id)
		r->v = u->src->v;
}

static void mark_null(struct reg_state *r, void *arg)
{
	struct id_update *u = arg;
	if (!(r->type & PTR_MAYBE_NULL) || r->id != u->id)
		return;
	if (u->is_null)
		reg_mark_const(r, 0);
	else
		r->type &= (uint16_t)~PTR_MAYBE_NULL;
}

/* Apply a refinement of R@regno to every linked copy. */
static void propagate(struct vstate *st, struct reg_state *r)
{
	if (r->type != SCALAR_VALUE || !r->id)
		return;
	struct id_update u = {.id = r->id, .src = r};
	state_for_each_reg(st, sync_linked, &u);
}

static void null_branch(struct verifier_env *env, struct vstate *st, uint32_t id, uint32_t ref, bool is_null)
{
	struct id_update u = {.id = id, .is_null = is_null};
	struct vstate *save = env->cur;
	state_for_each_reg(st, mark_null, &u);
	if (is_null && ref) {
		/* a NULL reservation needs no release */
		env->cur = st;
		release_reference(env, ref);
		env->cur = save;
	}
}

struct pkt_update {
	uint16_t type;
	uint32_t id;
	int32_t range;
};

static void set_pkt_range(struct reg_state *r, void *arg)
{
	struct pkt_update *u = arg;
	if (r->type == u->type && r->id == u->id && r->range < u->range)
		r->range = u->range;
}

/* find_good_pkt_pointers: after "P c E" with E the end of P's area. */
static void pkt_range(struct vstate *st, const struct reg_state *p, bool right_open)
{
	if (p->off < 0 || (p->off == 0 && right_open))
		return;
	if (p->v.umax > VERIFIER_MAX_PACKET_OFF || p->v.umax + (uint64_t)p->off > VERIFIER_MAX_PACKET_OFF)
		return;
	struct pkt_update u = {.type = p->type, .id = p->id, .range = p->off + (right_open ? 1 : 0)};
	state_for_each_reg(st, set_pkt_range, &u);
}

static bool is_end_of(const struct reg_state *p, const struct reg_state *e)
{
	/* the end of the metadata is data itself, not data + N (reg_is_init_pkt_pointer) */
	return (p->type == PTR_TO_PACKET && e->type == PTR_TO_PACKET_END) ||
	       (p->type == PTR_TO_PACKET_META && e->type == PTR_TO_PACKET && e->off == 0 && range_is_const(e->v) &&
		e->v.t.value == 0);
}

static int check_cond_jmp(struct verifier_env *env, const struct hive_insn *insn, uint8_t op)
{
	const struct isa_row *row = &isa_rows[op];
	bool is32 = row->flags & ISA_F_ALU32, x = row->fmt == FMT_JCOND_X;
	int d = insn->dst_reg, s = insn->src_reg, err;
	uint32_t target = (uint32_t)((int64_t)env->pc + insn->off + 1), fall = env->pc + 1;
	if ((err = check_reg_read(env, d)) || (x && (err = check_reg_read(env, s))))
		return err;
	struct reg_state *regs = cur_regs(env);
	struct reg_state kreg;
	reg_mark_const(&kreg, is32 ? (uint32_t)insn->imm : (uint64_t)(int64_t)insn->imm);
	struct reg_state dst = regs[d], src = x ? regs[s] : kreg;
	enum range_cond c = cond_of(insn->code);
	env->jmps_processed++;

	if (dst.type == SCALAR_VALUE && src.type == SCALAR_VALUE) {
		int taken = range_branch_taken(c, is32, dst.v, src.v);
		if (taken >= 0) {
			/* the operands' values decided it */
			mark_precise(env, d);
			if (x)
				mark_precise(env, s);
			trail_note(env->cur, env->pc, taken);
			env->pc = taken ? target : fall;
			return 0;
		}
		if ((dst.id || (x && src.id)) && (err = hist_note_links(env, dst.id, x ? src.id : 0)))
			return err;
		struct vstate *other;
		if ((err = push_branch(env, target, &other)))
			return err;
		struct reg_state *oregs = other->frames[other->curframe]->regs;
		struct reg_state a = dst, b = src;
		/* taken: refine on a copy in the pushed state */
		if (range_refine(c, is32, &a.v, &b.v)) {
			oregs[d].v = a.v;
			propagate(other, &oregs[d]);
			if (x) {
				oregs[s].v = b.v;
				propagate(other, &oregs[s]);
			}
		}
		trail_note(other, env->pc, true);
		trail_note(env->cur, env->pc, false);
		a = dst;
		b = src;
		if (range_refine(range_cond_negate(c), is32, &a.v, &b.v)) {
			regs[d].v = a.v;
			propagate(env->cur, &regs[d]);
			if (x) {
				regs[s].v = b.v;
				propagate(env->cur, &regs[s]);
			}
		}
		env->pc = fall;
		return 0;
	}

	/* pointer against NULL */
	bool src_null = src.type == SCALAR_VALUE && range_is_const(src.v) && src.v.t.value == 0;
	if (!is32 && src_null && (c == RC_EQ || c == RC_NE) && reg_is_ptr(&dst)) {
		enum reg_type t = reg_base(&dst);
		if (x)
			mark_precise(env, s); /* its being 0 decided how */
		if (!(dst.type & PTR_MAYBE_NULL)) {
			/* the kernel's reg_not_null: these are never NULL; others
			 * (stack, ctx, packet) are compared both ways */
			if (t == PTR_TO_MAP_VALUE || t == PTR_TO_MAP_KEY || t == PTR_TO_MEM) {
				trail_note(env->cur, env->pc, c == RC_NE);
				env->pc = c == RC_NE ? target : fall;
				return 0;
			}
			goto both;
		}
		struct vstate *other;
		if ((err = push_branch(env, target, &other)))
			return err;
		bool taken_is_null = c == RC_EQ;
		trail_note(other, env->pc, true);
		trail_note(env->cur, env->pc, false);
		null_branch(env, other, dst.id, dst.ref_obj_id, taken_is_null);
		null_branch(env, env->cur, dst.id, dst.ref_obj_id, !taken_is_null);
		env->pc = fall;
		return 0;
	}
both:;
	/* other comparisons involving pointers settle nothing: both ways */
	struct vstate *other;
	if ((err = push_branch(env, target, &other)))
		return err;
	trail_note(other, env->pc, true);
	trail_note(env->cur, env->pc, false);
	/* packet bounds: normalise to "P c E" */
	if (x && !is32) {
		const struct reg_state *p = NULL;
		enum range_cond pc = c;
		if (is_end_of(&dst, &src)) {
			p = &dst;
		} else if (is_end_of(&src, &dst)) {
			p = &src;
			pc = range_cond_swap(c);
		}
		if (p) {
			switch (pc) {
			case RC_UGT: pkt_range(env->cur, p, false); break;    /* fall: P <= E */
			case RC_UGE: pkt_range(env->cur, p, true); break;     /* fall: P < E */
			case RC_ULT: pkt_range(other, p, true); break;        /* taken: P < E */
			case RC_ULE: pkt_range(other, p, false); break;       /* taken: P <= E */
			default: break;
			}
		}
	}
	env->pc = fall;
	return 0;
}
/* }===== */

static void log_insn(struct verifier_env *env)
{
	if (env->log_level < 2)
		return;
	char b[128];
	insn_str(env, env->pc, b, sizeof b);
	vlog(env, 2, "%u: %s\n", env->pc, b);
}

static int do_check(struct verifier_env *env)
{
	int err = 0;
	for (;;) {
		if (env->failed)
			return -EACCES;
		uint32_t pc = env->pc;
		if (pc >= env->cnt)
			return verr(env, 0, NULL, "invalid insn idx %u insn_cnt %u", pc, env->cnt);
		if (++env->processed > VERIFIER_MAX_PROCESSED)
			return verr(env, 0, "bound loops more tightly, or split the work (bpf_loop, tail calls)",
				    "BPF program is too large. Processed %llu insn",
				    (unsigned long long)env->processed);
		/* history: where the path did not go on sequentially */
		uint32_t prev = env->prev_pc;
		bool arrived = prev == VERIFIER_NO_INSN || pc != prev + (env->aux[prev].op == OP_LDDW ? 2u : 1u);
		env->hist_here = false;
		if (arrived) {
			struct hist_entry e = {.idx = pc, .prev = prev};
			if (state_hist_push(env->cur, e))
				return -ENOMEM;
			env->hist_here = true;
		}
		int v = visit_state(env, arrived);
		if (v < 0)
			return v;
		bool end = v == 1;
		if (!end) {
			env->aux[pc].seen = 1;
			if (env->sound)
				sound_record(env);
			log_insn(env);
			const struct hive_insn *insn = &env->insns[pc];
			uint8_t op = env->aux[pc].op;
			const struct isa_row *row = &isa_rows[op];
			switch (row->fmt) {
			case FMT_ALU_K:
			case FMT_ALU_X:
			case FMT_NEG:
			case FMT_END:
			case FMT_MOVSX:
				err = check_alu(env, insn, op);
				env->pc = pc + 1;
				break;
			case FMT_LDX:
			case FMT_ST:
			case FMT_STX:
			case FMT_ATOMIC:
				err = check_mem_insn(env, insn, op);
				env->pc = pc + 1;
				break;
			case FMT_LDDW:
				err = check_ld_imm(env, insn);
				env->pc = pc + 2;
				break;
			case FMT_LDABS:
			case FMT_LDIND:
				err = check_ld_abs(env, insn, op);
				env->pc = pc + 1;
				break;
			case FMT_JA:
				env->jmps_processed++;
				env->pc = (uint32_t)((int64_t)pc + insn->off + 1);
				break;
			case FMT_JA32:
				env->jmps_processed++;
				env->pc = (uint32_t)((int64_t)pc + insn->imm + 1);
				break;
			case FMT_JCOND_K:
			case FMT_JCOND_X:
				err = check_cond_jmp(env, insn, op);
				break;
			case FMT_CALL:
				env->jmps_processed++; /* the kernel counts every JMP-class insn */
				err = check_helper_call(env, insn);
				if (env->pc == pc) /* unless it entered a callback */
					env->pc = pc + 1;
				break;
			case FMT_CALL_LOCAL:
				env->jmps_processed++;
				err = check_local_call(env, insn);
				break;
			case FMT_EXIT: {
				bool done;
				env->jmps_processed++;
				if (env->cur->curframe && cur_frame(env)->callback && hist_note_flags(env, HIST_CB_EXIT))
					return -ENOMEM;
				err = check_exit(env, &done);
				end = done;
				break;
			}
			default:
				err = verr(env, 0, "callx needs a target the verifier can know", "unsupported instruction");
				break;
			}
			if (err)
				return err;
			env->prev_pc = pc;
		}
		if (end) {
			branch_done(env);
			if (!pop_branch(env))
				return 0;
		}
	}
}

static void init_state(struct verifier_env *env)
{
	struct frame *f = env->cur->frames[0];
	for (int i = 0; i < VERIFIER_NREGS; i++)
		reg_mark_not_init(&f->regs[i]);
	f->callsite = -1;
	f->subprog = 0;
	memset(&f->regs[1], 0, sizeof(f->regs[1]));
	f->regs[1].type = PTR_TO_CTX;
	f->regs[1].v = range_const(0);
	memset(&f->regs[10], 0, sizeof(f->regs[10]));
	f->regs[10].type = PTR_TO_STACK;
	f->regs[10].v = range_const(0);
}

static void free_states(struct verifier_env *env)
{
	while (env->npending)
		state_release(&env->pending[--env->npending].st);
	if (env->aux)
		for (uint32_t i = 0; i < env->cnt; i++) {
			struct vnode *n = env->aux[i].states;
			while (n) {
				struct vnode *next = n->next;
				state_release(&n->st);
				free(n);
				n = next;
			}
			env->aux[i].states = NULL;
			env->aux[i].nstates = 0;
		}
	while (env->retired) {
		struct vnode *next = env->retired->next;
		state_release(&env->retired->st);
		free(env->retired);
		env->retired = next;
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int verifier_run(struct verifier_env *env, struct hive_verify_stats *stats)
{
	uint64_t t0 = now_ns();
	int err = -ENOMEM;
	if (env->log && env->log_size)
		env->log[0] = '\0';
	env->log_used = 0;
	env->aux = calloc(env->cnt, sizeof(*env->aux));
	env->cur = state_new();
	if (!env->aux || !env->cur)
		goto out;
	env->cur->frames[0] = frame_new(0);
	if (!env->cur->frames[0])
		goto out;
	if ((err = cfg_check(env)))
		goto out;
	init_state(env);
	env->pc = 0;
	env->prev_pc = VERIFIER_NO_INSN;
	if ((err = do_check(env)))
		goto out;
	err = cfg_check_stack_depth(env);
	if (!err && env->sound)
		sound_finish(env);
out:
	if (env->failed)
		err = -EACCES;
	if (stats) {
		memset(stats, 0, sizeof(*stats));
		stats->processed_insns = env->processed;
		stats->total_states = env->total_states;
		stats->peak_states = env->peak_states;
		stats->max_states_per_insn = env->max_states_per_insn;
		stats->time_ns = now_ns() - t0;
	}
	vlog(env, 1, "processed %llu insns (limit %u) max_states_per_insn %llu total_states %llu peak_states %llu\n",
	     (unsigned long long)env->processed, VERIFIER_MAX_PROCESSED,
	     (unsigned long long)env->max_states_per_insn, (unsigned long long)env->total_states,
	     (unsigned long long)env->peak_states);
	free_states(env);
	free(env->pending);
	free(env->aux);
	free(env->subprogs);
	free(env->idmap);
	env->idmap = NULL;
	free(env->links);
	env->links = NULL;
	state_free(env->cur);
	env->aux = NULL;
	env->subprogs = NULL;
	env->cur = NULL;
	env->pending = NULL;
	return err;
}


int hive_verify(const struct hive_insn *insns, size_t cnt, const struct hive_verify_opts *opts,
		struct hive_verify_stats *stats)
{
	return verifier_verify(insns, cnt, opts, stats, NULL);
}

void verifier_env_init(struct verifier_env *env, const struct hive_insn *insns, size_t cnt,
		       const struct hive_verify_opts *opts)
{
	memset(env, 0, sizeof(*env));
	env->insns = insns;
	env->cnt = (uint32_t)cnt;
	env->prog_type = opts ? opts->prog_type : 0;
	env->ctx = opts && opts->ctx ? opts->ctx : ctx_layout_of(env->prog_type);
	env->maps = opts ? opts->maps : NULL;
	env->nmaps = opts ? (uint32_t)opts->nmaps : 0;
	env->proto = helper_proto;
	env->log = opts ? opts->log_buf : NULL;
	env->log_size = opts ? opts->log_size : 0;
	env->log_level = opts ? opts->log_level : 0;
	env->allow_uninit_stack = opts ? opts->allow_uninit_stack : false;
	if (opts && opts->sz >= offsetof(struct hive_verify_opts, env) + sizeof(opts->env))
		env->henv = opts->env;
}

int verifier_verify(const struct hive_insn *insns, size_t cnt, const struct hive_verify_opts *opts,
		    struct hive_verify_stats *stats, struct verifier_result *res)
{
	if (!insns || !cnt || !opts_valid(opts, sizeof(*opts)))
		return -EINVAL;
	if (cnt > HIVE_MAX_INSNS)
		return -E2BIG;
	struct verifier_env env;
	verifier_env_init(&env, insns, cnt, opts);
	int err = verifier_run(&env, stats);
	if (res) {
		res->failed = env.failed;
		res->err_pc = env.err_pc;
		res->max_ctx_off = env.max_ctx_off;
	}
	return err;
}
