/* Loads, stores and atomics, per pointer type (the kernel's
 * check_mem_access), plus LDDW and the legacy packet loads. */
#include "verifier.h"

#include <errno.h>
#include <string.h>

enum { BPF_F_RDONLY_PROG = 1u << 7 };

static const struct hive_verify_map *reg_map(const struct verifier_env *env, const struct reg_state *r)
{
	return r->map >= 0 && (uint32_t)r->map < env->nmaps ? &env->maps[r->map] : NULL;
}

/* The scalar a load of @size bytes yields when nothing more is known. */
static struct range loaded(unsigned size, bool sext)
{
	return sext ? range_sext(range_unknown(), size) : range_cast(range_unknown(), size);
}

static void track_depth(struct verifier_env *env, const struct reg_state *r, int64_t lowest)
{
	struct frame *f = env->cur->frames[r->frameno];
	struct subprog *sp = &env->subprogs[f->subprog];
	if (lowest < 0 && (uint64_t)-lowest > sp->stack_depth)
		sp->stack_depth = (uint32_t)-lowest;
}

/* {===== stack */

static struct stack_slot *slot_at(struct frame *f, int64_t off, int *byte)
{
	uint32_t spi = (uint32_t)((-off - 1) / 8);
	*byte = (int)(off + 8 * ((int64_t)spi + 1));
	return spi < f->nslots ? &f->slots[spi] : NULL;
}

bool stack_known_zero(struct verifier_env *env, const struct reg_state *r, uint32_t size)
{
	if (reg_base(r) != PTR_TO_STACK || !range_is_const(r->v))
		return false;
	int64_t lo = (int64_t)r->off + r->v.smin;
	struct frame *f = env->cur->frames[r->frameno];
	for (int64_t o = lo; o < lo + (int64_t)size; o++) {
		int b;
		struct stack_slot *s = o < 0 && o >= -VERIFIER_STACK ? slot_at(f, o, &b) : NULL;
		if (!s || s->kind[b] != STACK_ZERO)
			return false;
	}
	return true;
}

/* Bytes [lo, hi) relative to the frame pointer become @kind, scrubbing
 * spilled registers they touch. */
static int stack_mark(struct verifier_env *env, struct reg_state *ptr, int64_t lo, int64_t hi, uint8_t kind)
{
	struct frame **fp = &env->cur->frames[ptr->frameno];
	uint32_t need = (uint32_t)((-lo + 7) / 8);
	if (frame_grow(fp, need))
		return -ENOMEM;
	for (int64_t o = lo; o < hi; o++) {
		int b;
		struct stack_slot *s = slot_at(*fp, o, &b);
		if (s->kind[0] == STACK_SPILL)
			for (int i = 0; i < 8; i++)
				s->kind[i] = STACK_MISC;
		s->kind[b] = kind;
	}
	return 0;
}

/* Stack accesses are aligned to their size, variable part included (the
 * spill tracking depends on it; Linux checks it with the tnum). */
static int stack_align(struct verifier_env *env, int regno, const struct reg_state *r, int32_t off, unsigned size)
{
	struct tnum t = tnum_add(r->v.t, tnum_const((uint64_t)(int64_t)(r->off + off)));
	if (tnum_is_aligned(t, size))
		return 0;
	char tb[64];
	tnum_strn(tb, sizeof tb, r->v.t);
	return verr(env, (uint16_t)(1u << regno), "align stack accesses to their size",
		    "misaligned stack access off %s+%d+%d size %u", tb, r->off, off, size);
}

static int stack_bounds(struct verifier_env *env, int regno, const struct reg_state *r, int32_t off,
			unsigned size, const char *what, int64_t *lo, int64_t *hi)
{
	int64_t base = (int64_t)r->off + off;
	*lo = base + r->v.smin;
	*hi = base + r->v.smax + size;
	if (r->v.smin < -VERIFIER_STACK || r->v.smax > VERIFIER_STACK || *lo < -VERIFIER_STACK || *hi > 0) {
		if (range_is_const(r->v))
			return verr(env, (uint16_t)(1u << regno), "the stack is the 512 bytes below r10: offsets -512..-1",
				    "invalid %s stack R%d off=%lld size=%u", what, regno, (long long)(base + r->v.smin), size);
		char t[64];
		tnum_strn(t, sizeof t, r->v.t);
		return verr(env, (uint16_t)(1u << regno), "bound the index so every access stays in -512..-1 from r10",
			    "invalid variable-offset %s stack R%d var_off=%s off=%d size=%u", what, regno, t, off, size);
	}
	return 0;
}

/* A write at a variable offset initialises only some of the bytes it may
 * touch; marking them all written would let later reads see stale memory.
 * Linux refuses it unless uninitialised reads are allowed anyway. */
static int var_write_init_check(struct verifier_env *env, int regno, struct reg_state *ptr, int64_t lo, int64_t hi)
{
	if (env->allow_uninit_stack)
		return 0;
	struct frame *f = env->cur->frames[ptr->frameno];
	for (int64_t o = lo; o < hi; o++) {
		int b;
		struct stack_slot *s = slot_at(f, o, &b);
		if (!s || s->kind[b] == STACK_INVALID)
			return verr(env, (uint16_t)(1u << regno),
				    "initialise the whole range a variable-offset write may touch first",
				    "uninit stack in range of var-offset write prohibited for !root; insn %u, off: %lld",
				    env->pc, (long long)o);
	}
	return 0;
}

static int stack_write(struct verifier_env *env, int regno, int32_t off, unsigned size, const struct reg_state *val,
		       int val_regno)
{
	struct reg_state *ptr = &cur_regs(env)[regno];
	int64_t lo, hi;
	int err;
	if ((err = stack_align(env, regno, ptr, off, size)) ||
	    (err = stack_bounds(env, regno, ptr, off, size, "write to", &lo, &hi)))
		return err;
	track_depth(env, ptr, lo);
	if (!range_is_const(ptr->v)) {
		if ((err = var_write_init_check(env, regno, ptr, lo, hi)))
			return err;
		return stack_mark(env, ptr, lo, hi, STACK_MISC);
	}
	/* for precision back-tracking: which slot */
	if ((err = hist_note_stack(env, ptr->frameno, (uint32_t)((-lo - 1) / 8))))
		return err;
	if (val && reg_is_ptr(val) && size != 8)
		return verr(env, (uint16_t)(1u << regno), "store pointers to the stack whole, with an 8-byte store",
			    "invalid size of register spill");
	if (size == 8 && val) {
		struct frame **fp = &env->cur->frames[ptr->frameno];
		if (frame_grow(fp, (uint32_t)(-lo / 8)))
			return -ENOMEM;
		int b;
		struct stack_slot *s = slot_at(*fp, lo, &b);
		memset(s->kind, STACK_SPILL, 8);
		s->spill = *val;
		return 0;
	}
	bool zero = val && val->type == SCALAR_VALUE && range_is_const(val->v) && val->v.t.value == 0;
	if (zero && val_regno >= 0)
		mark_precise(env, val_regno); /* STACK_ZERO records the value itself */
	return stack_mark(env, ptr, lo, hi, zero ? STACK_ZERO : STACK_MISC);
}

static int stack_read(struct verifier_env *env, int regno, int32_t off, unsigned size, struct reg_state *out,
		      bool sext)
{
	struct reg_state *ptr = &cur_regs(env)[regno];
	int64_t lo, hi;
	int err;
	if ((err = stack_align(env, regno, ptr, off, size)) ||
	    (err = stack_bounds(env, regno, ptr, off, size, "read from", &lo, &hi)))
		return err;
	if (range_is_const(ptr->v) && (err = hist_note_stack(env, ptr->frameno, (uint32_t)((-lo - 1) / 8))))
		return err;
	struct frame *f = env->cur->frames[ptr->frameno];
	bool all_zero = true;
	for (int64_t o = lo; o < hi; o++) {
		int b;
		struct stack_slot *s = slot_at(f, o, &b);
		uint8_t k = s ? s->kind[b] : STACK_INVALID;
		if (k == STACK_INVALID && env->allow_uninit_stack)
			k = STACK_MISC;
		if (k == STACK_INVALID)
			return verr(env, (uint16_t)(1u << regno), "write the stack slot before reading it",
				    "invalid read from stack R%d off %lld+%d size %u", regno, (long long)lo, (int)(o - lo),
				    size);
		if (k == STACK_SPILL && s->spill.type != SCALAR_VALUE && (size != 8 || !range_is_const(ptr->v)))
			return verr(env, (uint16_t)(1u << regno), "read a spilled pointer back with an 8-byte load",
				    "invalid size of register fill");
		if (k != STACK_ZERO)
			all_zero = false;
	}
	int b;
	struct stack_slot *s = slot_at(f, lo, &b);
	if (range_is_const(ptr->v) && size == 8 && s && s->kind[0] == STACK_SPILL) {
		*out = s->spill;
		return 0;
	}
	if (all_zero)
		reg_mark_const(out, 0);
	else if (range_is_const(ptr->v) && s && s->kind[0] == STACK_SPILL && s->spill.type == SCALAR_VALUE &&
		 range_is_const(s->spill.v) && b == 0)
		/* a narrow fill of a known spilled scalar: its low bytes */
		reg_set_scalar(out, sext ? range_sext(s->spill.v, size) : range_cast(s->spill.v, size));
	else
		reg_set_scalar(out, loaded(size, sext));
	return 0;
}
/* }===== */

/* A region [0, limit) accessed at fixed @off plus @r's variable part. */
static int region_access(struct verifier_env *env, int regno, const struct reg_state *r, int64_t off,
			 unsigned size, uint64_t limit, const char *what, const char *unit)
{
	uint16_t m = (uint16_t)(1u << regno);
	if (r->v.smin < 0 && (r->v.smin == INT64_MIN || off + r->v.smin < 0))
		return verr(env, m, "compare the index with 0 first, or make it unsigned ('if rX s< 0 goto')",
			    "R%d min value is negative, either use unsigned index or do a if (index >=0) check.", regno);
	if (off + r->v.smin < 0 || off + r->v.smin + size > (int64_t)limit)
		return verr(env, m, "the access must stay inside the object",
			    "invalid access to %s, %s=%llu off=%lld size=%u", what, unit, (unsigned long long)limit,
			    (long long)(off + r->v.smin), size);
	if (r->v.umax >= VERIFIER_MAX_VAR_OFF)
		return verr(env, m, "bound the index first ('if rX > N goto' or 'rX &= MASK')",
			    "R%d unbounded memory access, make sure to bounds check any such access", regno);
	if (off + (int64_t)r->v.umax + size > (int64_t)limit)
		return verr(env, m, "the largest index reaches past the end; tighten the bound check",
			    "invalid access to %s, %s=%llu off=%lld size=%u", what, unit, (unsigned long long)limit,
			    (long long)(off + (int64_t)r->v.umax), size);
	return 0;
}

static bool may_write_pkt(uint32_t prog_type)
{
	/* may_access_direct_pkt_data(): lwt_in/out and cgroup_skb only read */
	return prog_type == HIVE_PROG_XDP || prog_type == HIVE_PROG_SCHED_CLS || prog_type == HIVE_PROG_SCHED_ACT ||
	       prog_type == HIVE_PROG_LWT_XMIT;
}

static int pkt_access(struct verifier_env *env, int regno, const struct reg_state *r, int32_t insn_off,
		      unsigned size, bool write)
{
	uint16_t m = (uint16_t)(1u << regno);
	if (write && !may_write_pkt(env->prog_type))
		return verr(env, m, NULL, "cannot write into packet");
	if (r->v.smin < 0)
		return verr(env, m, "compare the index with 0 first, or make it unsigned",
			    "R%d min value is negative, either use unsigned index or do a if (index >=0) check.", regno);
	int64_t off = (int64_t)r->off + insn_off;
	if (off < 0 || size > (uint32_t)r->range || off > r->range - (int64_t)size)
		return verr(env, m, "compare the pointer plus the access size with data_end first ('if rX > rEnd goto')",
			    "invalid access to packet, off=%lld size=%u, R%d(id=%u,off=%d,r=%d)", (long long)off, size,
			    regno, r->id, r->off, r->range);
	return 0;
}

static int ctx_access(struct verifier_env *env, int regno, const struct reg_state *r, int32_t off, unsigned size,
		      bool write, struct reg_state *out, bool sext)
{
	uint16_t m = (uint16_t)(1u << regno);
	if (r->off)
		return verr(env, m, "access context fields from the unmodified r1 (rX + field offset)",
			    "dereference of modified ctx ptr R%d off=%d disallowed", regno, r->off);
	if (!range_is_const(r->v) || r->v.t.value) {
		char t[64];
		tnum_strn(t, sizeof t, r->v.t);
		return verr(env, m, NULL, "variable ctx access var_off=%s disallowed", t);
	}
	int kind = ctx_check(env->ctx, off, size, write);
	if (kind < 0)
		return verr(env, m,
			    env->ctx ? "see the context layout of this program type for readable/writable fields"
				     : "this program type has no context layout",
			    "invalid bpf_context access off=%d size=%u", off, size);
	if ((uint32_t)off + size > env->max_ctx_off)
		env->max_ctx_off = (uint32_t)off + size;
	if (write || !out)
		return 0;
	switch (kind) {
	case HIVE_CTX_PKT:
		memset(out, 0, sizeof(*out));
		out->type = PTR_TO_PACKET;
		out->v = range_const(0);
		break;
	case HIVE_CTX_PKT_END:
		memset(out, 0, sizeof(*out));
		out->type = PTR_TO_PACKET_END;
		out->v = range_const(0);
		break;
	case HIVE_CTX_PKT_META:
		memset(out, 0, sizeof(*out));
		out->type = PTR_TO_PACKET_META;
		out->v = range_const(0);
		break;
	default:
		reg_set_scalar(out, loaded(size, sext));
		break;
	}
	return 0;
}

/* One access through register @regno at +@off.  For a write @val is the
 * value stored (NULL: unknown); for a read the result goes to *out. */
static int mem_access(struct verifier_env *env, int regno, int32_t off, unsigned size, bool write,
		      const struct reg_state *val, struct reg_state *out, bool sext, int val_regno)
{
	struct reg_state *r = &cur_regs(env)[regno];
	uint16_t m = (uint16_t)(1u << regno);
	char tn[32];
	switch (r->type) {
	case PTR_TO_STACK:
		return write ? stack_write(env, regno, off, size, val, val_regno)
			     : stack_read(env, regno, off, size, out, sext);
	case PTR_TO_MAP_VALUE:
	case PTR_TO_MAP_KEY: {
		const struct hive_verify_map *map = reg_map(env, r);
		if (!map)
			return verr(env, m, NULL, "invalid map pointer");
		bool key = r->type == PTR_TO_MAP_KEY;
		if (write && !key && (map->map_flags & BPF_F_RDONLY_PROG))
			return verr(env, m, "the map was created with BPF_F_RDONLY_PROG",
				    "write into map forbidden, value_size=%u off=%d size=%u", map->value_size,
				    r->off + off, size);
		int err = region_access(env, regno, r, (int64_t)r->off + off, size, key ? map->key_size : map->value_size,
					key ? "map key" : "map value", key ? "key_size" : "value_size");
		if (!err && out)
			reg_set_scalar(out, loaded(size, sext));
		return err;
	}
	case PTR_TO_MEM: {
		int err = region_access(env, regno, r, (int64_t)r->off + off, size, r->mem_size, "memory", "mem_size");
		if (!err && out)
			reg_set_scalar(out, loaded(size, sext));
		return err;
	}
	case PTR_TO_PACKET:
	case PTR_TO_PACKET_META: {
		int err = pkt_access(env, regno, r, off, size, write);
		if (!err && out)
			reg_set_scalar(out, loaded(size, sext));
		return err;
	}
	case PTR_TO_CTX:
		return ctx_access(env, regno, r, off, size, write, out, sext);
	case NOT_INIT:
		return check_reg_read(env, regno);
	default:
		return verr(env, m,
			    r->type & PTR_MAYBE_NULL ? "compare the pointer with 0 first ('if rX == 0 goto')"
			    : r->type == SCALAR_VALUE ? "only pointers (stack, map value, packet, ctx...) can be dereferenced"
						      : NULL,
			    "R%d invalid mem access '%s'", regno, reg_type_name(r->type, tn, sizeof tn));
	}
}

int check_mem_insn(struct verifier_env *env, const struct hive_insn *insn, uint8_t op)
{
	const struct isa_row *row = &isa_rows[op];
	unsigned size = isa_access_size(insn->code);
	struct reg_state *regs = cur_regs(env);
	int err;
	switch (row->fmt) {
	case FMT_LDX: {
		struct reg_state out;
		if ((err = check_reg_read(env, insn->src_reg)) || (err = check_reg_write(env, insn->dst_reg)))
			return err;
		reg_mark_unknown(&out);
		if ((err = mem_access(env, insn->src_reg, insn->off, size, false, NULL, &out, row->flags & ISA_F_SIGNED, -1)))
			return err;
		regs[insn->dst_reg] = out;
		return 0;
	}
	case FMT_ST: {
		struct reg_state v;
		if ((err = check_reg_read(env, insn->dst_reg)))
			return err;
		reg_mark_const(&v, (uint64_t)(int64_t)insn->imm);
		if (size < 8)
			v.v = range_cast(v.v, size);
		return mem_access(env, insn->dst_reg, insn->off, size, true, &v, NULL, false, -1);
	}
	case FMT_STX: {
		if ((err = check_reg_read(env, insn->src_reg)) || (err = check_reg_read(env, insn->dst_reg)))
			return err;
		/* a spilled scalar stays linked to its register, as in Linux: a
		 * later bound on either (or on the filled copy) bounds both */
		if (size == 8 && regs[insn->src_reg].type == SCALAR_VALUE && !regs[insn->src_reg].id &&
		    !range_is_const(regs[insn->src_reg].v) && regs[insn->dst_reg].type == PTR_TO_STACK)
			regs[insn->src_reg].id = ++env->id_gen;
		struct reg_state v = regs[insn->src_reg];
		if (size < 8 && v.type == SCALAR_VALUE) {
			v.v = range_cast(v.v, size);
			v.id = 0;
		}
		return mem_access(env, insn->dst_reg, insn->off, size, true, &v, NULL, false, insn->src_reg);
	}
	case FMT_ATOMIC: {
		bool cmpx = op == OP_CMPXCHG32 || op == OP_CMPXCHG64;
		if ((err = check_reg_read(env, insn->src_reg)) || (err = check_reg_read(env, insn->dst_reg)))
			return err;
		if (cmpx && (err = check_reg_read(env, 0)))
			return err;
		if (regs[insn->src_reg].type != SCALAR_VALUE)
			return verr(env, (uint16_t)(1u << insn->src_reg), NULL, "R%d leaks addr into mem", insn->src_reg);
		enum reg_type t = reg_base(&regs[insn->dst_reg]);
		if ((t != PTR_TO_STACK && t != PTR_TO_MAP_VALUE && t != PTR_TO_MEM) ||
		    (regs[insn->dst_reg].type & PTR_MAYBE_NULL)) {
			char tn[32];
			if (regs[insn->dst_reg].type == SCALAR_VALUE || (regs[insn->dst_reg].type & PTR_MAYBE_NULL))
				return mem_access(env, insn->dst_reg, insn->off, size, false, NULL, NULL, false, -1);
			return verr(env, (uint16_t)(1u << insn->dst_reg), "atomics work on stack, map values and ringbuf memory",
				    "BPF_ATOMIC stores into R%d %s is not allowed", insn->dst_reg,
				    reg_type_name(regs[insn->dst_reg].type, tn, sizeof tn));
		}
		struct reg_state tmp;
		reg_mark_unknown(&tmp);
		if ((err = mem_access(env, insn->dst_reg, insn->off, size, false, NULL, &tmp, false, -1)))
			return err;
		if (t == PTR_TO_STACK && tmp.type != SCALAR_VALUE)
			return verr(env, (uint16_t)(1u << insn->dst_reg), NULL, "BPF_ATOMIC on a spilled pointer");
		if ((err = mem_access(env, insn->dst_reg, insn->off, size, true, NULL, NULL, false, -1)))
			return err;
		if (cmpx)
			reg_set_scalar(&regs[0], size == 4 ? range_zext32(range_unknown()) : range_unknown());
		else if (row->flags & ISA_F_FETCH)
			reg_set_scalar(&regs[insn->src_reg], size == 4 ? range_zext32(range_unknown()) : range_unknown());
		return 0;
	}
	default:
		return verr(env, 0, NULL, "unexpected memory instruction");
	}
}

int check_helper_mem(struct verifier_env *env, int regno, int64_t size, bool write, bool zero_ok)
{
	struct reg_state *r = &cur_regs(env)[regno];
	char tn[32];
	if (size == 0 && zero_ok)
		return 0;
	switch (reg_base(r)) {
	case PTR_TO_STACK: {
		int64_t lo, hi;
		int err = stack_bounds(env, regno, r, 0, (unsigned)size, write ? "indirect write to" : "indirect read from",
				       &lo, &hi);
		if (err)
			return err;
		track_depth(env, r, lo);
		if (write && !range_is_const(r->v) && (err = var_write_init_check(env, regno, r, lo, hi)))
			return err;
		if (write)
			return stack_mark(env, r, lo, hi, STACK_MISC);
		struct frame *f = env->cur->frames[r->frameno];
		for (int64_t o = lo; o < hi; o++) {
			int b;
			struct stack_slot *s = slot_at(f, o, &b);
			if ((!s || s->kind[b] == STACK_INVALID) && !env->allow_uninit_stack)
				return verr(env, (uint16_t)(1u << regno),
					    "initialise the whole buffer before passing it to the helper",
					    "invalid indirect read from stack R%d off %lld+%d size %lld", regno,
					    (long long)(lo - r->v.smin), (int)(o - lo), (long long)size);
		}
		return 0;
	}
	case PTR_TO_MAP_VALUE:
	case PTR_TO_MAP_KEY:
	case PTR_TO_MEM:
	case PTR_TO_PACKET:
	case PTR_TO_PACKET_META:
		if (r->type & PTR_MAYBE_NULL)
			break;
		if (reg_is_pkt(r))
			return pkt_access(env, regno, r, 0, (unsigned)size, write);
		return mem_access(env, regno, 0, (unsigned)size, write, NULL, NULL, false, -1);
	default:
		break;
	}
	return verr(env, (uint16_t)(1u << regno), "pass a pointer to stack, map value, packet or ringbuf memory",
		    "R%d type=%s expected=fp, pkt, pkt_meta, map_key, map_value, mem", regno,
		    reg_type_name(r->type, tn, sizeof tn));
}

static int find_map(const struct verifier_env *env, int32_t imm, bool by_idx)
{
	if (by_idx)
		return imm >= 0 && (uint32_t)imm < env->nmaps ? imm : -1;
	for (uint32_t i = 0; i < env->nmaps; i++)
		if (env->maps[i].fd == imm)
			return (int)i;
	return -1;
}

int check_ld_imm(struct verifier_env *env, const struct hive_insn *insn)
{
	int err;
	if ((err = check_reg_write(env, insn->dst_reg)))
		return err;
	struct reg_state *dst = &cur_regs(env)[insn->dst_reg];
	const struct hive_insn *hi = insn + 1;
	switch (insn->src_reg) {
	case 0:
		reg_mark_const(dst, (uint32_t)insn->imm | ((uint64_t)(uint32_t)hi->imm << 32));
		return 0;
	case ISA_PSEUDO_MAP_FD:
	case ISA_PSEUDO_MAP_IDX:
	case ISA_PSEUDO_MAP_VALUE:
	case ISA_PSEUDO_MAP_IDX_VALUE: {
		bool idx = insn->src_reg == ISA_PSEUDO_MAP_IDX || insn->src_reg == ISA_PSEUDO_MAP_IDX_VALUE;
		int m = find_map(env, insn->imm, idx);
		if (m < 0)
			return verr(env, 0, "pass the map in hive_verify_opts.maps", "fd %d is not pointing to valid bpf_map",
				    insn->imm);
		memset(dst, 0, sizeof(*dst));
		dst->v = range_const(0);
		dst->map = m;
		if (insn->src_reg == ISA_PSEUDO_MAP_FD || insn->src_reg == ISA_PSEUDO_MAP_IDX) {
			dst->type = CONST_PTR_TO_MAP;
			return 0;
		}
		const struct hive_verify_map *map = &env->maps[m];
		if (map->type != HIVE_MAP_ARRAY || map->max_entries != 1)
			return verr(env, 0, "direct value access works on single-element array maps",
				    "direct value access on this map type is not supported");
		if ((uint32_t)hi->imm >= map->value_size)
			return verr(env, 0, NULL, "invalid access to map value pointer, value_size=%u off=%u",
				    map->value_size, (uint32_t)hi->imm);
		dst->type = PTR_TO_MAP_VALUE;
		dst->off = hi->imm;
		return 0;
	}
	case ISA_PSEUDO_FUNC: {
		memset(dst, 0, sizeof(*dst));
		dst->type = PTR_TO_FUNC;
		dst->v = range_const(0);
		dst->subprog = env->aux[env->pc + insn->imm + 1].subprog;
		return 0;
	}
	default:
		return verr(env, 0, "kernel BTF objects do not exist in user space", "unsupported ld_imm64 src %u",
			    insn->src_reg);
	}
}

int check_ld_abs(struct verifier_env *env, const struct hive_insn *insn, uint8_t op)
{
	int err;
	if (env->prog_type != HIVE_PROG_SOCKET_FILTER && env->prog_type != HIVE_PROG_SCHED_CLS &&
	    env->prog_type != HIVE_PROG_SCHED_ACT && env->prog_type != HIVE_PROG_UNSPEC)
		return verr(env, 0, "use direct packet access", "BPF_LD_[ABS|IND] instructions not allowed for this program type");
	if ((err = check_reg_read(env, 6)))
		return err;
	if (isa_rows[op].fmt == FMT_LDIND && (err = check_reg_read(env, insn->src_reg)))
		return err;
	struct reg_state *regs = cur_regs(env);
	if (regs[6].type != PTR_TO_CTX)
		return verr(env, 1u << 6, "keep the context (r1 at entry) in r6 for packet loads",
			    "at the time of BPF_LD_ABS|IND R6 != pointer to skb");
	for (int i = 1; i <= 5; i++)
		reg_mark_not_init(&regs[i]);
	reg_set_scalar(&regs[0], range_cast(range_unknown(), isa_access_size(insn->code)));
	return 0;
}
