/* Calls: helpers checked against their prototypes (helpers/proto.h),
 * bpf-to-bpf calls (frames), exit, and references. */
#include "verifier.h"
#include "vm/vm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
	FN_MAP_LOOKUP = 1, FN_MAP_UPDATE = 2, FN_MAP_DELETE = 3, FN_TAIL_CALL = 12,
	FN_PERF_EVENT_OUTPUT = 25, FN_MAP_PUSH = 87, FN_MAP_POP = 88, FN_MAP_PEEK = 89,
	FN_RINGBUF_OUTPUT = 130, FN_RINGBUF_RESERVE = 131, FN_RINGBUF_SUBMIT = 132,
	FN_RINGBUF_DISCARD = 133, FN_RINGBUF_QUERY = 134, FN_FOR_EACH = 164, FN_LOOP = 181,
	FN_TIMER_INIT = 169, FN_TIMER_SET_CB = 170, FN_USER_RINGBUF_DRAIN = 209,
};

static void invalidate_ref(struct reg_state *r, void *arg)
{
	uint32_t ref = *(uint32_t *)arg;
	if (r->ref_obj_id == ref && reg_is_ptr(r))
		reg_mark_unknown(r);
}

void release_reference(struct verifier_env *env, uint32_t ref)
{
	state_for_each_reg(env->cur, invalidate_ref, &ref);
	struct vstate *st = env->cur;
	for (uint32_t i = 0; i < st->nrefs; i++)
		if (st->refs[i] == ref) {
			memmove(&st->refs[i], &st->refs[i + 1], (st->nrefs - i - 1) * sizeof(st->refs[0]));
			memmove(&st->ref_insn[i], &st->ref_insn[i + 1], (st->nrefs - i - 1) * sizeof(st->ref_insn[0]));
			st->nrefs--;
			break;
		}
}

static void invalidate_pkt(struct reg_state *r, void *arg)
{
	(void)arg;
	enum reg_type t = reg_base(r);
	if (t == PTR_TO_PACKET || t == PTR_TO_PACKET_META || t == PTR_TO_PACKET_END)
		reg_mark_unknown(r);
}

static bool reg_is_null(const struct reg_state *r)
{
	return r->type == SCALAR_VALUE && range_is_const(r->v) && r->v.t.value == 0;
}

/* Which map types a helper takes (check_map_func_compatibility, reduced). */
static int check_map_func(struct verifier_env *env, const struct helper_proto *p, int map)
{
	if (map < 0)
		return 0;
	uint32_t t = env->maps[map].type;
	bool ok = true;
	switch (p->id) {
	case FN_RINGBUF_OUTPUT:
	case FN_RINGBUF_RESERVE:
	case FN_RINGBUF_QUERY:
		ok = t == HIVE_MAP_RINGBUF;
		break;
	case FN_TAIL_CALL:
		ok = t == HIVE_MAP_PROG_ARRAY;
		break;
	case FN_FOR_EACH: /* the maps with map_for_each_callback */
		ok = t == HIVE_MAP_ARRAY || t == HIVE_MAP_PERCPU_ARRAY || t == HIVE_MAP_HASH || t == HIVE_MAP_PERCPU_HASH ||
		     t == HIVE_MAP_LRU_HASH || t == HIVE_MAP_LRU_PERCPU_HASH;
		break;
	case FN_PERF_EVENT_OUTPUT:
		ok = t == HIVE_MAP_PERF_EVENT_ARRAY;
		break;
	case FN_USER_RINGBUF_DRAIN:
		ok = t == HIVE_MAP_USER_RINGBUF;
		break;
	case FN_MAP_PUSH:
	case FN_MAP_POP:
	case FN_MAP_PEEK:
		ok = t == HIVE_MAP_QUEUE || t == HIVE_MAP_STACK || (p->id == FN_MAP_PEEK && t == HIVE_MAP_BLOOM_FILTER) ||
		     (p->id == FN_MAP_PUSH && t == HIVE_MAP_BLOOM_FILTER);
		break;
	case FN_MAP_LOOKUP:
	case FN_MAP_UPDATE:
	case FN_MAP_DELETE:
		ok = t != HIVE_MAP_RINGBUF && t != HIVE_MAP_PROG_ARRAY && t != HIVE_MAP_PERF_EVENT_ARRAY &&
		     t != HIVE_MAP_QUEUE && t != HIVE_MAP_STACK && t != HIVE_MAP_BLOOM_FILTER &&
		     t != HIVE_MAP_USER_RINGBUF;
		break;
	default:
		/* a helper not about maps taking a special map */
		ok = true;
		break;
	}
	if (!ok)
		return verr(env, 1u << 1, "this helper does not work on this kind of map",
			    "cannot pass map_type %u into func %s#%u", t, p->name, p->id);
	return 0;
}

/* bpf_loop(nr, callback, ctx, flags) and for_each_map_elem(map, callback,
 * ctx, flags): the path where the helper has returned (r0 unknown) is
 * queued; this path enters the callback: (index, ctx) for bpf_loop, (map,
 * key, value, ctx) for for_each_map_elem.  When the callback exits,
 * control comes back to the call, which may call it again; exploration
 * stops once a state at the call repeats (visit_state). */
static int enter_callback(struct verifier_env *env, int subprog, uint32_t helper, int map)
{
	struct vstate *st = env->cur;
	if (st->curframe + 1 >= VERIFIER_MAX_FRAMES)
		return verr(env, 0, "at most 8 nested calls", "the call stack of %u frames is too deep !", st->curframe + 2);
	struct vstate *after;
	int err = push_branch_after_call(env, &after);
	if (err)
		return err;
	struct reg_state *ar = after->frames[after->curframe]->regs;
	for (int i = 1; i <= 5; i++)
		reg_mark_not_init(&ar[i]);
	reg_mark_unknown(&ar[0]);

	env->aux[env->pc].calls_callback = 1;
	env->aux[env->pc].prune = 1;
	struct frame *caller = st->frames[st->curframe];
	struct frame *f = frame_new(0);
	if (!f)
		return -ENOMEM;
	f->callsite = (int32_t)env->pc;
	f->subprog = subprog;
	/* non-zero: a callback; a new number per entry, so that states of two
	 * rounds never compare equal: a body that repeats its state round after
	 * round is not an infinite loop (the helper bounds the rounds), and
	 * rounds converge at the call insn instead */
	f->callback = ++env->id_gen ? env->id_gen : ++env->id_gen;
	for (int i = 0; i < VERIFIER_NREGS; i++)
		reg_mark_not_init(&f->regs[i]);
	if (helper == FN_FOR_EACH || helper == FN_TIMER_SET_CB) {
		static const uint16_t types[3] = {CONST_PTR_TO_MAP, PTR_TO_MAP_KEY, PTR_TO_MAP_VALUE};
		for (int i = 0; i < 3; i++) {
			struct reg_state *r = &f->regs[1 + i];
			memset(r, 0, sizeof(*r));
			r->type = types[i];
			r->map = map;
			r->v = range_const(0);
		}
		if (helper == FN_FOR_EACH)
			f->regs[4] = caller->regs[3]; /* the context */
	} else if (helper == FN_USER_RINGBUF_DRAIN) {
		struct reg_state *r = &f->regs[1]; /* the sample, as a read-only dynptr */
		memset(r, 0, sizeof(*r));
		r->type = CONST_PTR_TO_DYNPTR;
		r->v = range_const(0);
		f->regs[2] = caller->regs[3]; /* the context */
	} else {
		reg_mark_unknown(&f->regs[1]); /* the index */
		f->regs[2] = caller->regs[3];  /* the context */
	}
	f->regs[10].type = PTR_TO_STACK;
	f->regs[10].frameno = (uint8_t)(st->curframe + 1);
	f->regs[10].v = range_const(0);
	st->curframe++;
	st->frames[st->curframe] = f;
	env->pc = env->subprogs[subprog].start;
	return 0;
}

int check_helper_call(struct verifier_env *env, const struct hive_insn *insn)
{
	const struct helper_proto *p = env_helper_proto(env->henv, (uint32_t)insn->imm);
	if (!p && env->proto) {
		p = env->proto((uint32_t)insn->imm);
		/* Linux's helpers go with the program types Linux gives them to
		 * (an embedder's own prototypes, above, are the embedder's call) */
		if (p && !helper_allowed(env->prog_type, p->id))
			return verr(env, 0, "this helper is for other program types (tc/socket helpers in XDP, packet helpers in tracing...)",
				    "unknown func bpf_%s#%u", p->name, p->id);
	}
	if (!p)
		return verr(env, 0, "the helper number is not one hive knows", "invalid func unknown#%d", insn->imm);
	struct reg_state *regs = cur_regs(env);
	int map = -1, mem_regno = -1, err;
	bool mem_write = false, mem_nullable = false;
	uint32_t release = 0;
	int64_t alloc_size = -1;
	int callback = -1, timer_map = -1;
	bool key_zero = false;
	char tn[32];

	for (int i = 0; i < 5 && p->args[i] != ARG_NONE; i++) {
		int regno = i + 1;
		uint8_t arg = p->args[i];
		/* again each time: checking a stack argument may have grown (moved) the frame */
		regs = cur_regs(env);
		struct reg_state *r = &regs[regno];
		uint16_t m = (uint16_t)(1u << regno);
		if ((err = check_reg_read(env, regno)))
			return err;
		reg_type_name(r->type, tn, sizeof tn);
		switch (arg) {
		case ARG_ANYTHING:
			break;
		case ARG_SCALAR:
			if (r->type != SCALAR_VALUE)
				return verr(env, m, NULL, "R%d type=%s expected=scalar", regno, tn);
			break;
		case ARG_CONST_MAP_PTR:
			if (r->type != CONST_PTR_TO_MAP)
				return verr(env, m, "load the map with 'rX = map ll' (lddw) first", "R%d type=%s expected=map_ptr",
					    regno, tn);
			map = r->map;
			if ((err = check_map_func(env, p, map)))
				return err;
			if (p->id == FN_TIMER_INIT && timer_map >= 0 && timer_map != map)
				return verr(env, (uint16_t)(m | 2), "pass the map the timer's value was looked up in",
					    "timer pointer in R1 map_uid=%d doesn't match map pointer in R2 map_uid=%d",
					    timer_map, map);
			break;
		case ARG_PTR_TO_MAP_KEY:
		case ARG_PTR_TO_MAP_VALUE:
		case ARG_PTR_TO_UNINIT_MAP_VALUE: {
			if (map < 0)
				return verr(env, m, NULL, "invalid map_ptr to access map->%s",
					    arg == ARG_PTR_TO_MAP_KEY ? "key" : "value");
			const struct hive_verify_map *mp = &env->maps[map];
			uint32_t sz = arg == ARG_PTR_TO_MAP_KEY ? mp->key_size : mp->value_size;
			if ((err = check_helper_mem(env, regno, sz, arg == ARG_PTR_TO_UNINIT_MAP_VALUE, false)))
				return err;
			/* an array looked up with key 0 known from the stack cannot
			 * miss: the value is not NULL (the kernel's const map key;
			 * it also takes 8-byte-aligned constant spills, which hive's
			 * stack does not track below 8 bytes) */
			if (p->id == 1 && arg == ARG_PTR_TO_MAP_KEY && mp->max_entries &&
			    (mp->type == HIVE_MAP_ARRAY || mp->type == HIVE_MAP_PERCPU_ARRAY) &&
			    stack_known_zero(env, &cur_regs(env)[regno], sz))
				key_zero = true;
			break;
		}
		case ARG_PTR_TO_MEM:
		case ARG_PTR_TO_MEM_OR_NULL:
		case ARG_PTR_TO_UNINIT_MEM:
			mem_regno = regno;
			mem_write = arg == ARG_PTR_TO_UNINIT_MEM;
			mem_nullable = arg == ARG_PTR_TO_MEM_OR_NULL && reg_is_null(r);
			if (mem_nullable)
				mark_precise(env, regno);
			if (!mem_nullable && !reg_is_ptr(r))
				return verr(env, m, "pass a pointer to stack, map value, packet or ringbuf memory",
					    "R%d type=%s expected=fp, pkt, pkt_meta, map_key, map_value, mem", regno, tn);
			break;
		case ARG_CONST_SIZE:
		case ARG_CONST_SIZE_OR_ZERO: {
			bool zero_ok = arg == ARG_CONST_SIZE_OR_ZERO;
			if (r->type != SCALAR_VALUE)
				return verr(env, m, NULL, "R%d type=%s expected=scalar", regno, tn);
			mark_precise(env, regno);
			if (r->v.smin < 0)
				return verr(env, m, "bound the size ('if rX > N goto' or 'rX &= MASK')",
					    "R%d min value is negative, either use unsigned or 'var &= const'", regno);
			if (r->v.umax == 0 && !zero_ok)
				return verr(env, m, "the helper needs at least one byte", "invalid zero-sized read");
			if (r->v.umax >= VERIFIER_MAX_VAR_SIZE)
				return verr(env, m, "bound the size ('if rX > N goto' or 'rX &= MASK')",
					    "R%d unbounded memory access, use 'var &= const' or 'if (var < const)'", regno);
			if (mem_regno < 0)
				return verr(env, m, NULL, "size argument R%d without a memory argument before it", regno);
			if (mem_nullable) {
				if (r->v.umax)
					return verr(env, (uint16_t)(m | (1u << mem_regno)), "pass size 0 with a NULL pointer",
						    "R%d type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem", mem_regno);
				break;
			}
			if (r->v.umin == 0 && !zero_ok)
				return verr(env, m, "the helper needs at least one byte; check 'if rX == 0 goto' first",
					    "R%d invalid zero-sized read", regno);
			if ((err = check_helper_mem(env, mem_regno, (int64_t)r->v.umax, mem_write,
						    zero_ok && r->v.umax == 0)))
				return err;
			break;
		}
		case ARG_PTR_TO_CTX:
		case ARG_PTR_TO_CTX_OR_NULL:
			if (arg == ARG_PTR_TO_CTX_OR_NULL && reg_is_null(r)) {
				mark_precise(env, regno);
				break;
			}
			if (r->type != PTR_TO_CTX)
				return verr(env, m, "pass the context (r1 at entry, keep a copy in r6)",
					    "R%d type=%s expected=ctx", regno, tn);
			if (r->off || !range_is_const(r->v) || r->v.t.value)
				return verr(env, m, NULL, "dereference of modified ctx ptr R%d off=%d disallowed", regno, r->off);
			break;
		case ARG_PTR_TO_ALLOC_MEM:
			if (reg_base(r) != PTR_TO_MEM || !r->ref_obj_id || (r->type & PTR_MAYBE_NULL))
				return verr(env, m,
					    r->type & PTR_MAYBE_NULL ? "compare the pointer with 0 first" : NULL,
					    "R%d type=%s expected=ringbuf_mem", regno, tn);
			if (r->off || !range_is_const(r->v) || r->v.t.value)
				return verr(env, m, "pass the pointer ringbuf_reserve returned, unmoved",
					    "R%d must have zero offset when passed to release func", regno);
			release = r->ref_obj_id;
			break;
		case ARG_CONST_ALLOC_SIZE_OR_ZERO:
			if (r->type != SCALAR_VALUE || !range_is_const(r->v))
				return verr(env, m, "the size of a ringbuf reservation must be a constant",
					    "R%d is not a known constant'", regno);
			alloc_size = (int64_t)r->v.t.value;
			mark_precise(env, regno);
			break;
		case ARG_PTR_TO_STACK_OR_NULL:
			if (!reg_is_null(r) && r->type != PTR_TO_STACK)
				return verr(env, m, NULL, "R%d type=%s expected=fp", regno, tn);
			if (reg_is_null(r))
				mark_precise(env, regno);
			break;
		case ARG_PTR_TO_LONG:
		case ARG_PTR_TO_INT:
			if ((err = check_helper_mem(env, regno, arg == ARG_PTR_TO_LONG ? 8 : 4, true, false)))
				return err;
			break;
		case ARG_PTR_TO_CONST_STR:
			if (reg_base(r) != PTR_TO_MAP_VALUE || (r->type & PTR_MAYBE_NULL))
				return verr(env, m, "format strings live in read-only maps (.rodata)",
					    "R%d type=%s expected=map_value", regno, tn);
			if ((err = check_helper_mem(env, regno, 1, false, false)))
				return err;
			break;
		case ARG_PTR_TO_DYNPTR:
			/* the dynptr a user_ringbuf_drain callback gets; dynptrs made
			 * on the stack (dynptr_from_mem, ringbuf_reserve_dynptr) are
			 * not tracked yet */
			if (r->type != CONST_PTR_TO_DYNPTR)
				return verr(env, m, "hive's verifier knows only the dynptr a user_ringbuf_drain callback gets",
					    "R%d type=%s expected=dynptr_ptr (stack dynptrs are not supported yet)", regno,
					    tn);
			if (r->off || !range_is_const(r->v) || r->v.t.value)
				return verr(env, m, "pass the dynptr as the callback got it",
					    "R%d: dynptr has to be at a constant offset", regno);
			break;
		case ARG_PTR_TO_TIMER: {
			/* exactly the bpf_timer field of a map value (process_timer_func) */
			if (reg_base(r) != PTR_TO_MAP_VALUE || (r->type & PTR_MAYBE_NULL))
				return verr(env, m, r->type & PTR_MAYBE_NULL ? "compare the pointer with 0 first" : NULL,
					    "R%d type=%s expected=map_value", regno, tn);
			const struct hive_verify_map *mp = &env->maps[r->map];
			if (!range_is_const(r->v))
				return verr(env, m, NULL,
					    "R%d doesn't have constant offset. bpf_timer has to be at the constant offset",
					    regno);
			if (!mp->has_timer)
				return verr(env, m, "declare a struct bpf_timer in the map's value (BTF)",
					    "map '%d' has no valid bpf_timer", r->map);
			int64_t off = (int64_t)r->off + (int64_t)r->v.t.value;
			if (off != mp->timer_off)
				return verr(env, m, "pass &value->timer",
					    "off %lld doesn't point to 'struct bpf_timer' that is at %u", (long long)off,
					    mp->timer_off);
			timer_map = r->map;
			break;
		}
		case ARG_PTR_TO_FUNC:
			if (p->id == FN_TIMER_SET_CB) {
				if (r->type != PTR_TO_FUNC)
					return verr(env, m, "pass a function: 'rX = callback ll' (ld_imm64 src=4)",
						    "R%d type=%s expected=func", regno, tn);
				callback = r->subprog;
				map = timer_map;
				break;
			}
			if (p->id != FN_LOOP && p->id != FN_FOR_EACH && p->id != FN_USER_RINGBUF_DRAIN)
				return verr(env, m, "only bpf_loop, for_each_map_elem, timer and user_ringbuf_drain callbacks are supported so far",
					    "callback functions of %s are not supported by this verifier yet (R%d)", p->name,
					    regno);
			if (r->type != PTR_TO_FUNC)
				return verr(env, m, "pass a function: 'rX = callback ll' (ld_imm64 src=4)",
					    "R%d type=%s expected=func", regno, tn);
			callback = r->subprog;
			break;
		default:
			return verr(env, m, "kernel objects do not exist in user space",
				    "argument kind %u of %s#%u is not supported", arg, p->name, p->id);
		}
	}

	if (release) {
		bool held = false;
		for (uint32_t i = 0; i < env->cur->nrefs; i++)
			held |= env->cur->refs[i] == release;
		if (!held)
			return verr(env, 1u << 1, NULL, "R1 must be referenced when passed to release function");
		release_reference(env, release);
	}
	if (p->id == FN_TAIL_CALL && env->cur->nrefs)
		return verr(env, 0, "submit or discard ringbuf reservations before a tail call",
			    "tail_call would lead to reference leak");
	if (callback >= 0)
		return enter_callback(env, callback, p->id, map);
	regs = cur_regs(env);
	for (int i = 1; i <= 5; i++)
		reg_mark_not_init(&regs[i]);
	struct reg_state *r0 = &regs[0];
	switch (p->ret) {
	case RET_VOID:
		reg_mark_not_init(r0);
		break;
	case RET_PTR_TO_MAP_VALUE_OR_NULL:
		if (map < 0)
			return verr(env, 0, NULL, "kernel subsystem misconfigured verifier");
		memset(r0, 0, sizeof(*r0));
		r0->type = PTR_TO_MAP_VALUE | (key_zero ? 0 : PTR_MAYBE_NULL);
		r0->map = map;
		r0->v = range_const(0);
		r0->id = key_zero ? 0 : ++env->id_gen;
		if (env->maps[map].type == HIVE_MAP_ARRAY_OF_MAPS || env->maps[map].type == HIVE_MAP_HASH_OF_MAPS) {
			/* the inner map itself, once compared with NULL (the kernel
			 * types it from inner_map_meta at the check) */
			uint32_t in = env->maps[map].inner_map;
			if (!in || in > env->nmaps)
				return verr(env, 0, "describe the inner map (hive_verify_map.inner_map)",
					    "map-in-map %d has no inner map template", map);
			r0->type = CONST_PTR_TO_MAP | PTR_MAYBE_NULL;
			r0->map = (int32_t)(in - 1);
		}
		break;
	case RET_PTR_TO_MEM_OR_NULL: /* dynptr_data: size bytes, or NULL */
		if (alloc_size < 0)
			return verr(env, 0, NULL, "kernel subsystem misconfigured verifier");
		memset(r0, 0, sizeof(*r0));
		r0->type = PTR_TO_MEM | PTR_MAYBE_NULL;
		r0->mem_size = (uint32_t)alloc_size;
		r0->v = range_const(0);
		r0->id = ++env->id_gen;
		break;
	case RET_PTR_TO_ALLOC_MEM_OR_NULL:
		if (alloc_size < 0)
			return verr(env, 0, NULL, "kernel subsystem misconfigured verifier");
		if (env->cur->nrefs >= VERIFIER_MAX_REFS)
			return verr(env, 0, "release references before taking more", "too many references");
		memset(r0, 0, sizeof(*r0));
		r0->type = PTR_TO_MEM | PTR_MAYBE_NULL;
		r0->mem_size = (uint32_t)alloc_size;
		r0->v = range_const(0);
		r0->id = r0->ref_obj_id = ++env->id_gen;
		env->cur->refs[env->cur->nrefs] = r0->ref_obj_id;
		env->cur->ref_insn[env->cur->nrefs] = env->pc;
		env->cur->nrefs++;
		break;
	default:
		reg_mark_unknown(r0);
		break;
	}
	if (p->flags & HELPER_F_PKT_CHANGE)
		state_for_each_reg(env->cur, invalidate_pkt, NULL);
	return 0;
}

int check_local_call(struct verifier_env *env, const struct hive_insn *insn)
{
	struct vstate *st = env->cur;
	if (st->curframe + 1 >= VERIFIER_MAX_FRAMES)
		return verr(env, 0, "at most 8 nested calls (recursion is not allowed)",
			    "the call stack of %u frames is too deep !", st->curframe + 2);
	uint32_t target = (uint32_t)((int64_t)env->pc + insn->imm + 1);
	struct frame *caller = st->frames[st->curframe];
	struct frame *f = frame_new(0);
	if (!f)
		return -ENOMEM;
	f->callsite = (int32_t)env->pc;
	f->subprog = env->aux[target].subprog;
	for (int i = 0; i < VERIFIER_NREGS; i++)
		reg_mark_not_init(&f->regs[i]);
	for (int i = 1; i <= 5; i++)
		f->regs[i] = caller->regs[i];
	f->regs[10].type = PTR_TO_STACK;
	f->regs[10].frameno = (uint8_t)(st->curframe + 1);
	f->regs[10].v = range_const(0);
	st->curframe++;
	st->frames[st->curframe] = f;
	env->pc = target;
	return 0;
}

struct dead_frame {
	uint8_t frameno;
};

static void invalidate_frame_ptrs(struct reg_state *r, void *arg)
{
	if (r->type == PTR_TO_STACK && r->frameno == ((struct dead_frame *)arg)->frameno)
		reg_mark_unknown(r);
}

int check_exit(struct verifier_env *env, bool *done)
{
	struct vstate *st = env->cur;
	struct reg_state *regs = cur_regs(env);
	int err;
	*done = false;
	if (regs[0].type == NOT_INIT)
		return verr(env, 1, "set r0 (the return value) on every path before exit", "R0 !read_ok");
	if (st->curframe == 0) {
		if (st->nrefs)
			return verr(env, 0, "submit or discard every ringbuf reservation on every path",
				    "Unreleased reference id=%u alloc_insn=%u", st->refs[0], st->ref_insn[0]);
		*done = true;
		return 0;
	}
	struct frame *callee = st->frames[st->curframe];
	if (regs[0].type == PTR_TO_STACK && regs[0].frameno == st->curframe)
		return verr(env, 1, "the callee's stack is gone after it returns",
			    "cannot return stack pointer to the caller frame");
	if (callee->callback) {
		mark_precise(env, 0); /* its range is checked */
		/* timer callbacks return 0, the others 0 or 1 */
		int64_t hi = env->insns[callee->callsite].imm == FN_TIMER_SET_CB ? 0 : 1;
		if (regs[0].type != SCALAR_VALUE || regs[0].v.smin < 0 || regs[0].v.smax > hi) {
			char rb[256];
			reg_strn(rb, sizeof rb, &regs[0]);
			return verr(env, 1, hi ? "return 0 (continue) or 1 (stop) from a callback" : "return 0 from a timer callback",
				    "At callback return the register R0 has %s should have been in [0, %lld]", rb, (long long)hi);
		}
		uint32_t site = (uint32_t)callee->callsite;
		struct dead_frame dead = {(uint8_t)st->curframe};
		free(callee);
		st->frames[st->curframe] = NULL;
		st->curframe--;
		state_for_each_reg(st, invalidate_frame_ptrs, &dead);
		env->pc = site; /* the helper may call it again */
		return 0;
	}
	struct reg_state r0 = regs[0];
	uint32_t callsite = (uint32_t)callee->callsite;
	struct dead_frame dead = {(uint8_t)st->curframe};
	free(callee);
	st->frames[st->curframe] = NULL;
	st->curframe--;
	struct frame *caller = st->frames[st->curframe];
	caller->regs[0] = r0;
	for (int i = 1; i <= 5; i++)
		reg_mark_not_init(&caller->regs[i]);
	state_for_each_reg(st, invalidate_frame_ptrs, &dead);
	env->pc = callsite + 1;
	(void)err;
	return 0;
}
