/* CO-RE: compile once, run everywhere. The compiler records, for each
 * instruction that depends on a type layout, a relocation in .BTF.ext:
 * (insn, local type id, access string "0:2:1", kind). At load we find the
 * same field, type or enumerator by *name* in a target BTF (the running
 * kernel's /sys/kernel/btf/vmlinux, or the open opts' btf_custom_path) and
 * patch the instruction with the target's offset, size, existence...
 *
 * Terms (as in the kernel's documentation of CO-RE):
 *   spec: the root type, then one accessor per step of the access string:
 *         an array index or a named member; bit_off is where it ends up.
 *   candidate: a target type of the same kind whose name, without any
 *         "___flavor" suffix, equals the local one's.
 * A relocation whose target is missing turns its instruction into a call
 * of helper 0xbad2310 (as libbpf does): a program only fails if it runs
 * there, so guarded code (bpf_core_field_exists) still loads. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa/isa.h"
#include "loader/loader.h"

enum core_kind {
	CORE_FIELD_BYTE_OFFSET = 0, CORE_FIELD_BYTE_SIZE = 1, CORE_FIELD_EXISTS = 2, CORE_FIELD_SIGNED = 3,
	CORE_FIELD_LSHIFT_U64 = 4, CORE_FIELD_RSHIFT_U64 = 5, CORE_TYPE_ID_LOCAL = 6, CORE_TYPE_ID_TARGET = 7,
	CORE_TYPE_EXISTS = 8, CORE_TYPE_SIZE = 9, CORE_ENUMVAL_EXISTS = 10, CORE_ENUMVAL_VALUE = 11,
	CORE_TYPE_MATCHES = 12,
};

static const char *const core_kind_names[] = {
	"byte_off", "byte_sz", "field_exists", "signed", "lshift_u64", "rshift_u64", "local_type_id",
	"target_type_id", "type_exists", "type_size", "enumval_exists", "enumval_value", "type_matches",
};

enum { CORE_MAX_SPEC = 64, CORE_MAX_DEPTH = 32, CORE_POISON = 0xbad2310 };

struct core_acc {
	uint32_t type_id; /* the composite or array the access is made in */
	uint32_t idx;     /* member index or array index */
	const char *name; /* member name; NULL for an array index */
};

struct core_spec {
	const struct btf *btf;
	uint32_t root_id;
	struct core_acc acc[CORE_MAX_SPEC];
	int len;
	uint32_t raw[CORE_MAX_SPEC];
	int raw_len;
	uint64_t bit_off;
};

static bool core_is_field(uint32_t k) { return k <= CORE_FIELD_RSHIFT_U64; }
static bool core_is_enumval(uint32_t k) { return k == CORE_ENUMVAL_EXISTS || k == CORE_ENUMVAL_VALUE; }

static bool core_is_composite(const struct btf_t *t)
{
	return t && (btf_kind(t) == BTF_K_STRUCT || btf_kind(t) == BTF_K_UNION);
}

static bool core_is_enum(const struct btf_t *t)
{
	return t && (btf_kind(t) == BTF_K_ENUM || btf_kind(t) == BTF_K_ENUM64);
}

/* "task_struct___v2" -> 11: the part before the last "___" flavor suffix
 * (a separator is exactly three underscores between other characters). */
static size_t core_essential_len(const char *name)
{
	size_t n = strlen(name);
	for (size_t i = n >= 5 ? n - 4 : 0; i-- > 0;)
		if (name[i] != '_' && name[i + 1] == '_' && name[i + 2] == '_' && name[i + 3] == '_' && name[i + 4] != '_')
			return i + 1;
	return n;
}

static uint32_t core_member_bit_off(const struct btf_t *t, unsigned i)
{
	const struct btf_m *m = (const struct btf_m *)btf_extra(t) + i;
	return btf_kflag(t) ? m->offset & 0xffffff : m->offset;
}

static uint32_t core_member_bitfield(const struct btf_t *t, unsigned i)
{
	const struct btf_m *m = (const struct btf_m *)btf_extra(t) + i;
	return btf_kflag(t) ? m->offset >> 24 : 0;
}

/* Parse "0:1:2" into spec->raw. */
static int core_parse_access(const char *s, struct core_spec *spec)
{
	spec->raw_len = 0;
	while (*s) {
		if (*s < '0' || *s > '9' || spec->raw_len >= CORE_MAX_SPEC)
			return -EINVAL;
		uint64_t v = 0;
		while (*s >= '0' && *s <= '9') {
			v = v * 10 + (uint64_t)(*s++ - '0');
			if (v > INT32_MAX)
				return -EINVAL;
		}
		spec->raw[spec->raw_len++] = (uint32_t)v;
		if (*s == ':')
			s++;
		else if (*s)
			return -EINVAL;
	}
	return spec->raw_len ? 0 : -EINVAL;
}

/* The local spec: walk the access string through the local BTF. */
static int core_local_spec(const struct btf *btf, uint32_t type_id, const char *access, uint32_t kind,
			   struct core_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->btf = btf;
	spec->root_id = type_id;
	if (core_parse_access(access, spec))
		return -EINVAL;
	if (!core_is_field(kind)) {
		if (spec->raw_len != 1)
			return -EINVAL;
		if (core_is_enumval(kind)) {
			const struct btf_t *t = btf_skip_mods(btf, type_id, NULL);
			if (!core_is_enum(t) || spec->raw[0] >= btf_vlen(t))
				return -EINVAL;
			uint32_t name_off = btf_kind(t) == BTF_K_ENUM ? ((const struct btf_en *)btf_extra(t))[spec->raw[0]].name_off
								       : ((const struct btf_en64 *)btf_extra(t))[spec->raw[0]].name_off;
			spec->acc[0] = (struct core_acc){type_id, spec->raw[0], btf_str(btf, name_off)};
		} else if (spec->raw[0] != 0) {
			return -EINVAL;
		}
		spec->len = 1;
		return 0;
	}
	int64_t sz = btf_resolve_size(btf, type_id);
	if (sz < 0)
		return -EINVAL;
	spec->acc[0] = (struct core_acc){type_id, spec->raw[0], NULL};
	spec->len = 1;
	spec->bit_off = (uint64_t)spec->raw[0] * (uint64_t)sz * 8;
	uint32_t cur = type_id;
	for (int i = 1; i < spec->raw_len; i++) {
		uint32_t id;
		const struct btf_t *t = btf_skip_mods(btf, cur, &id);
		if (core_is_composite(t)) {
			if (spec->raw[i] >= btf_vlen(t))
				return -EINVAL;
			const struct btf_m *m = (const struct btf_m *)btf_extra(t) + spec->raw[i];
			spec->bit_off += core_member_bit_off(t, spec->raw[i]);
			const char *name = btf_str(btf, m->name_off);
			if (*name) {
				if (spec->len >= CORE_MAX_SPEC)
					return -E2BIG;
				spec->acc[spec->len++] = (struct core_acc){id, spec->raw[i], name};
			}
			cur = m->type;
		} else if (t && btf_kind(t) == BTF_K_ARRAY) {
			const struct btf_arr *a = btf_extra(t);
			int64_t esz = btf_resolve_size(btf, a->type);
			if (esz < 0 || spec->len >= CORE_MAX_SPEC)
				return -EINVAL;
			spec->acc[spec->len++] = (struct core_acc){id, spec->raw[i], NULL};
			spec->bit_off += (uint64_t)spec->raw[i] * (uint64_t)esz * 8;
			cur = a->type;
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

/* Could a local field of type @lid live in a target field of type @tid? */
static bool core_fields_compat(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid, int depth)
{
	const struct btf_t *l = btf_skip_mods(lb, lid, &lid), *t = btf_skip_mods(tb, tid, &tid);
	if (!l || !t || depth > CORE_MAX_DEPTH)
		return false;
	unsigned lk = btf_kind(l), tk = btf_kind(t);
	if (core_is_composite(l) && core_is_composite(t))
		return true;
	bool lnum = lk == BTF_K_INT || core_is_enum(l), tnum = tk == BTF_K_INT || core_is_enum(t);
	if (lnum && tnum)
		return true;
	if (lk != tk)
		return false;
	switch (lk) {
	case BTF_K_PTR: case BTF_K_FLOAT: case BTF_K_FWD: case BTF_K_FUNC_PROTO:
		return true;
	case BTF_K_ARRAY:
		return core_fields_compat(lb, ((const struct btf_arr *)btf_extra(l))->type, tb,
					  ((const struct btf_arr *)btf_extra(t))->type, depth + 1);
	default:
		return false;
	}
}

/* Find member @name in composite @id, looking through anonymous members;
 * on success the member offset is added to *bit_off, and parent, idx name it. */
static bool core_find_member(const struct btf *btf, uint32_t id, const char *name, int depth, uint64_t *bit_off,
			     uint32_t *parent, uint32_t *idx, uint32_t *mtype)
{
	const struct btf_t *t = btf_skip_mods(btf, id, &id);
	if (!core_is_composite(t) || depth > CORE_MAX_DEPTH)
		return false;
	const struct btf_m *m = btf_extra(t);
	for (unsigned i = 0; i < btf_vlen(t); i++) {
		const char *mn = btf_str(btf, m[i].name_off);
		if (!*mn) {
			uint64_t off = *bit_off + core_member_bit_off(t, i);
			if (core_find_member(btf, m[i].type, name, depth + 1, &off, parent, idx, mtype)) {
				*bit_off = off;
				return true;
			}
		} else if (strcmp(mn, name) == 0) {
			*bit_off += core_member_bit_off(t, i);
			*parent = id;
			*idx = i;
			*mtype = m[i].type;
			return true;
		}
	}
	return false;
}

/* Match the local field spec against target candidate @cand_id. */
static bool core_match_field(const struct core_spec *local, const struct btf *tb, uint32_t cand_id,
			     struct core_spec *targ)
{
	memset(targ, 0, sizeof(*targ));
	targ->btf = tb;
	targ->root_id = cand_id;
	int64_t sz = btf_resolve_size(tb, cand_id);
	if (sz < 0)
		return false;
	targ->acc[0] = (struct core_acc){cand_id, local->acc[0].idx, NULL};
	targ->len = 1;
	targ->bit_off = (uint64_t)local->acc[0].idx * (uint64_t)sz * 8;
	uint32_t cur = cand_id, lcur = local->root_id;
	for (int i = 1; i < local->len; i++) {
		const struct core_acc *la = &local->acc[i];
		if (la->name) {
			uint32_t parent, idx, mtype;
			if (!core_find_member(tb, cur, la->name, 0, &targ->bit_off, &parent, &idx, &mtype))
				return false;
			const struct btf_t *lp = btf_type(local->btf, la->type_id);
			uint32_t ltype = ((const struct btf_m *)btf_extra(lp))[la->idx].type;
			if (!core_fields_compat(local->btf, ltype, tb, mtype, 0))
				return false;
			targ->acc[targ->len++] = (struct core_acc){parent, idx, la->name};
			cur = mtype;
			lcur = ltype;
		} else {
			uint32_t id;
			const struct btf_t *t = btf_skip_mods(tb, cur, &id);
			if (!t || btf_kind(t) != BTF_K_ARRAY)
				return false;
			const struct btf_arr *a = btf_extra(t);
			/* a flexible (zero-length) array takes any index */
			if (a->nelems && la->idx >= a->nelems)
				return false;
			int64_t esz = btf_resolve_size(tb, a->type);
			if (esz < 0)
				return false;
			targ->acc[targ->len++] = (struct core_acc){id, la->idx, NULL};
			targ->bit_off += (uint64_t)la->idx * (uint64_t)esz * 8;
			cur = a->type;
			const struct btf_t *lt = btf_skip_mods(local->btf, lcur, NULL);
			lcur = lt && btf_kind(lt) == BTF_K_ARRAY ? ((const struct btf_arr *)btf_extra(lt))->type : lcur;
		}
	}
	return true;
}

/* Are two types compatible for type-based relocations (same shape)? */
static bool core_types_compat(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid, int depth)
{
	const struct btf_t *l = btf_skip_mods(lb, lid, &lid), *t = btf_skip_mods(tb, tid, &tid);
	if (!l || !t || depth > CORE_MAX_DEPTH)
		return false;
	if (lid == 0 || tid == 0)
		return lid == tid;
	unsigned lk = btf_kind(l), tk = btf_kind(t);
	if (core_is_enum(l) && core_is_enum(t))
		return true;
	if (lk != tk)
		return false;
	switch (lk) {
	case BTF_K_STRUCT: case BTF_K_UNION: case BTF_K_FWD: case BTF_K_FLOAT: case BTF_K_INT:
		return true;
	case BTF_K_PTR:
		return core_types_compat(lb, l->size_type, tb, t->size_type, depth + 1);
	case BTF_K_ARRAY:
		return core_types_compat(lb, ((const struct btf_arr *)btf_extra(l))->type, tb,
					 ((const struct btf_arr *)btf_extra(t))->type, depth + 1);
	case BTF_K_FUNC_PROTO: {
		if (btf_vlen(l) != btf_vlen(t) || !core_types_compat(lb, l->size_type, tb, t->size_type, depth + 1))
			return false;
		const struct btf_param *lp = btf_extra(l), *tp = btf_extra(t);
		for (unsigned i = 0; i < btf_vlen(l); i++)
			if (!core_types_compat(lb, lp[i].type, tb, tp[i].type, depth + 1))
				return false;
		return true;
	}
	default:
		return false;
	}
}

/* {===== TYPE_MATCHES (bpf_core_type_matches): a stricter relation than
 * core_types_compat, following libbpf's rules:
 *   names     after typedefs and modifiers are skipped, the names must be
 *             equal up to a ___flavor suffix; an anonymous target type only
 *             matches an anonymous local one;
 *   struct/union  every local member has a same-named target member whose
 *             type matches (recursively); offsets and order do not matter,
 *             the target may have more members; behind a pointer only the
 *             kind counts, and a fwd declaration of the right flavor
 *             (struct or union) stands for the full type;
 *   enum      same size, and every local enumerator has a same-named
 *             target one (values do not matter; ENUM and ENUM64 mix);
 *   int       same size and signedness;
 *   ptr       the pointee matches (from then on "behind a pointer");
 *   array     same number of elements, matching element types;
 *   func_proto  same number of parameters, each matching, and the return
 *             type matching;
 *   fwd       another fwd of the same flavor, or behind a pointer the
 *             struct/union it declares. */

static bool core_names_match(const struct btf *lb, uint32_t loff, const struct btf *tb, uint32_t toff)
{
	const char *ln = btf_str(lb, loff), *tn = btf_str(tb, toff);
	if (!*tn)
		return !*ln;
	size_t ll = core_essential_len(ln), tl = core_essential_len(tn);
	return ll == tl && strncmp(ln, tn, ll) == 0;
}

static uint32_t core_enumerator_name(const struct btf_t *t, unsigned i)
{
	return btf_kind(t) == BTF_K_ENUM ? ((const struct btf_en *)btf_extra(t))[i].name_off
					 : ((const struct btf_en64 *)btf_extra(t))[i].name_off;
}

static int core_match(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid, bool behind_ptr,
		      int level);

static int core_enums_match(const struct btf *lb, const struct btf_t *l, const struct btf *tb, const struct btf_t *t)
{
	if (l->size_type != t->size_type || btf_vlen(l) > btf_vlen(t))
		return 0;
	for (unsigned i = 0; i < btf_vlen(l); i++) {
		bool found = false;
		for (unsigned j = 0; j < btf_vlen(t) && !found; j++)
			found = core_names_match(lb, core_enumerator_name(l, i), tb, core_enumerator_name(t, j));
		if (!found)
			return 0;
	}
	return 1;
}

static int core_members_match(const struct btf *lb, const struct btf_t *l, const struct btf *tb, const struct btf_t *t,
			      bool behind_ptr, int level)
{
	const struct btf_m *lm = btf_extra(l), *tm = btf_extra(t);
	if (btf_vlen(l) > btf_vlen(t))
		return 0;
	for (unsigned i = 0; i < btf_vlen(l); i++) {
		int found = 0;
		for (unsigned j = 0; j < btf_vlen(t) && !found; j++) {
			if (!core_names_match(lb, lm[i].name_off, tb, tm[j].name_off))
				continue;
			found = core_match(lb, lm[i].type, tb, tm[j].type, behind_ptr, level - 1);
			if (found < 0)
				return found;
		}
		if (!found)
			return 0;
	}
	return 1;
}

/* 1: match, 0: no match, <0: too deep or a broken type. */
static int core_match(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid, bool behind_ptr,
		      int level)
{
	if (level <= 0)
		return -ELOOP;
	for (int depth = 0; depth < CORE_MAX_DEPTH; depth++) {
		const struct btf_t *l = btf_skip_mods(lb, lid, &lid), *t = btf_skip_mods(tb, tid, &tid);
		if (!l || !t)
			return -EINVAL;
		if (!core_names_match(lb, l->name_off, tb, t->name_off))
			return 0;
		unsigned lk = btf_kind(l), tk = btf_kind(t);
		switch (lk) {
		case BTF_K_UNKN: /* void */
			return tk == BTF_K_UNKN;
		case BTF_K_FWD:
			if (tk == BTF_K_FWD)
				return btf_kflag(l) == btf_kflag(t);
			/* kflag: 0 declares a struct, 1 a union */
			return behind_ptr && ((tk == BTF_K_STRUCT && !btf_kflag(l)) || (tk == BTF_K_UNION && btf_kflag(l)));
		case BTF_K_ENUM: case BTF_K_ENUM64:
			return core_is_enum(t) && core_enums_match(lb, l, tb, t);
		case BTF_K_STRUCT: case BTF_K_UNION:
			if (behind_ptr) {
				if (lk == tk)
					return 1;
				return tk == BTF_K_FWD && (lk == BTF_K_UNION) == btf_kflag(t);
			}
			if (lk != tk)
				return 0;
			return core_members_match(lb, l, tb, t, behind_ptr, level);
		case BTF_K_INT: {
			if (tk != BTF_K_INT)
				return 0;
			uint32_t le = *(const uint32_t *)btf_extra(l), te = *(const uint32_t *)btf_extra(t);
			return l->size_type == t->size_type && ((le >> 24) & 1) == ((te >> 24) & 1);
		}
		case BTF_K_PTR:
			if (tk != BTF_K_PTR)
				return 0;
			behind_ptr = true;
			lid = l->size_type;
			tid = t->size_type;
			continue;
		case BTF_K_ARRAY: {
			if (tk != BTF_K_ARRAY)
				return 0;
			const struct btf_arr *la = btf_extra(l), *ta = btf_extra(t);
			if (la->nelems != ta->nelems)
				return 0;
			lid = la->type;
			tid = ta->type;
			continue;
		}
		case BTF_K_FUNC_PROTO: {
			if (tk != BTF_K_FUNC_PROTO || btf_vlen(l) != btf_vlen(t))
				return 0;
			const struct btf_param *lp = btf_extra(l), *tp = btf_extra(t);
			for (unsigned i = 0; i < btf_vlen(l); i++) {
				int r = core_match(lb, lp[i].type, tb, tp[i].type, behind_ptr, level - 1);
				if (r <= 0)
					return r;
			}
			lid = l->size_type;
			tid = t->size_type;
			continue;
		}
		default: /* FLOAT, FUNC, VAR, DATASEC...: libbpf does not relocate these */
			return 0;
		}
	}
	return -ELOOP;
}

int core_types_match(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid)
{
	return core_match(lb, lid, tb, tid, false, CORE_MAX_DEPTH);
}

/* }===== */

/* The value a relocation takes for a (local or target) spec. *size gets
 * the accessed field's size for byte offsets (to resize loads), else 0. */
static int core_field_value(const struct core_spec *spec, uint32_t kind, uint64_t *val, uint32_t *size,
			    bool *exact)
{
	const struct btf *btf = spec->btf;
	const struct core_acc *acc = &spec->acc[spec->len - 1];
	*size = 0;
	*exact = true;
	if (!acc->name) { /* array element or root */
		uint32_t id = acc->type_id;
		if (spec->len == 1)
			id = spec->root_id;
		else {
			const struct btf_t *a = btf_skip_mods(btf, id, NULL);
			id = ((const struct btf_arr *)btf_extra(a))->type;
		}
		int64_t sz = btf_resolve_size(btf, id);
		if (sz < 0)
			return -EINVAL;
		if (kind == CORE_FIELD_BYTE_OFFSET) {
			*val = spec->bit_off / 8;
			*size = (uint32_t)sz;
		} else if (kind == CORE_FIELD_BYTE_SIZE) {
			*val = (uint64_t)sz;
		} else {
			return -EINVAL;
		}
		return 0;
	}
	const struct btf_t *pt = btf_type(btf, acc->type_id);
	const struct btf_m *m = (const struct btf_m *)btf_extra(pt) + acc->idx;
	uint32_t fid;
	const struct btf_t *mt = btf_skip_mods(btf, m->type, &fid);
	uint32_t bit_sz = core_member_bitfield(pt, acc->idx);
	uint64_t bit_off = spec->bit_off, byte_off, byte_sz;
	if (!mt)
		return -EINVAL;
	if (bit_sz) {
		*exact = false; /* the compiler may have chosen another load width */
		byte_sz = mt->size_type;
		if (byte_sz == 0 || byte_sz > 8)
			return -EINVAL;
		byte_off = bit_off / 8 / byte_sz * byte_sz;
		while (bit_off + bit_sz - byte_off * 8 > byte_sz * 8) {
			if (byte_sz >= 8)
				return -E2BIG;
			byte_sz *= 2;
			byte_off = bit_off / 8 / byte_sz * byte_sz;
		}
	} else {
		int64_t sz = btf_resolve_size(btf, fid);
		if (sz < 0)
			return -EINVAL;
		byte_sz = (uint64_t)sz;
		byte_off = bit_off / 8;
		bit_sz = (uint32_t)(byte_sz * 8);
	}
	switch (kind) {
	case CORE_FIELD_BYTE_OFFSET: {
		*val = byte_off;
		if (!*exact)
			break;
		/* loads of arrays are loads of their elements */
		uint32_t eid = fid;
		const struct btf_t *e = mt;
		for (int d = 0; e && btf_kind(e) == BTF_K_ARRAY && d < CORE_MAX_DEPTH; d++)
			e = btf_skip_mods(btf, ((const struct btf_arr *)btf_extra(e))->type, &eid);
		int64_t esz = btf_resolve_size(btf, eid);
		*size = esz > 0 ? (uint32_t)esz : 0;
		break;
	}
	case CORE_FIELD_BYTE_SIZE: *val = byte_sz; break;
	case CORE_FIELD_SIGNED:
		*exact = true;
		*val = (core_is_enum(mt) && btf_kflag(mt)) ||
		       (btf_kind(mt) == BTF_K_INT && ((*(const uint32_t *)btf_extra(mt) >> 24) & 1));
		break;
	case CORE_FIELD_LSHIFT_U64: *val = 64 - (bit_off + bit_sz - byte_off * 8); break;
	case CORE_FIELD_RSHIFT_U64: *val = 64 - bit_sz; break;
	default: return -EINVAL;
	}
	return 0;
}

static int core_enum_value(const struct btf *btf, uint32_t id, const char *name, uint64_t *val)
{
	const struct btf_t *t = btf_skip_mods(btf, id, NULL);
	if (!core_is_enum(t))
		return -ENOENT;
	for (unsigned i = 0; i < btf_vlen(t); i++) {
		if (btf_kind(t) == BTF_K_ENUM) {
			const struct btf_en *e = (const struct btf_en *)btf_extra(t) + i;
			if (strcmp(btf_str(btf, e->name_off), name) == 0) {
				*val = btf_kflag(t) ? (uint64_t)(int64_t)e->val : (uint32_t)e->val;
				return 0;
			}
		} else {
			const struct btf_en64 *e = (const struct btf_en64 *)btf_extra(t) + i;
			if (strcmp(btf_str(btf, e->name_off), name) == 0) {
				*val = (uint64_t)e->hi32 << 32 | e->lo32;
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* The value of relocation @kind for @spec (local or a target candidate). */
static int core_spec_value(const struct core_spec *spec, uint32_t kind, uint32_t type_id, uint64_t *val,
			   uint32_t *size, bool *exact)
{
	*size = 0;
	*exact = true;
	if (core_is_field(kind)) {
		if (kind == CORE_FIELD_EXISTS) {
			*val = 1;
			return 0;
		}
		return core_field_value(spec, kind, val, size, exact);
	}
	switch (kind) {
	case CORE_TYPE_ID_LOCAL: case CORE_TYPE_ID_TARGET: *val = type_id; return 0;
	case CORE_TYPE_EXISTS: case CORE_TYPE_MATCHES: case CORE_ENUMVAL_EXISTS: *val = 1; return 0;
	case CORE_TYPE_SIZE: {
		int64_t sz = btf_resolve_size(spec->btf, type_id);
		if (sz < 0)
			return -EINVAL;
		*val = (uint64_t)sz;
		return 0;
	}
	case CORE_ENUMVAL_VALUE:
		return core_enum_value(spec->btf, type_id, spec->acc[0].name, val);
	default:
		return -EINVAL;
	}
}

struct core_res {
	uint64_t orig, val;
	uint32_t orig_sz, new_sz;
	bool poison, validate;
};

/* Compute what relocation @r of the local BTF becomes against @tb. */
static int core_calc(const struct btf *lb, const struct btf *tb, const struct btf_core *r, struct core_res *res,
		     char *why, size_t whysz)
{
	struct core_spec local, targ;
	const char *access = btf_str(lb, r->access_off);
	memset(res, 0, sizeof(*res));
	if (r->kind > CORE_TYPE_MATCHES) {
		snprintf(why, whysz, "unknown relocation kind %u", r->kind);
		return -EINVAL;
	}
	if (core_local_spec(lb, r->type_id, access, r->kind, &local)) {
		snprintf(why, whysz, "bad access string '%s' for type [%u]", access, r->type_id);
		return -EINVAL;
	}
	bool exact;
	int err = core_spec_value(&local, r->kind, r->type_id, &res->orig, &res->orig_sz, &exact);
	if (err && r->kind != CORE_TYPE_ID_TARGET) {
		snprintf(why, whysz, "cannot compute the local value");
		return err;
	}
	res->validate = exact;
	if (r->kind == CORE_TYPE_ID_LOCAL) {
		res->val = r->type_id;
		return 0;
	}
	const struct btf_t *lt = btf_type(lb, r->type_id);
	const char *lname = btf_str(lb, lt->name_off);
	if (!*lname) {
		snprintf(why, whysz, "local type [%u] has no name", r->type_id);
		return -EINVAL;
	}
	size_t elen = core_essential_len(lname);
	bool found = false;
	for (uint32_t id = 1; id < tb->nr_types; id++) {
		const struct btf_t *t = tb->types[id];
		bool same_kind = btf_kind(t) == btf_kind(lt) || (core_is_enum(t) && core_is_enum(lt));
		if (!same_kind)
			continue;
		const char *tn = btf_str(tb, t->name_off);
		if (core_essential_len(tn) != elen || strncmp(tn, lname, elen) != 0)
			continue;
		uint64_t v;
		uint32_t sz;
		bool ex;
		memset(&targ, 0, sizeof(targ));
		if (core_is_field(r->kind)) {
			if (!core_match_field(&local, tb, id, &targ))
				continue;
		} else if (core_is_enumval(r->kind)) {
			uint64_t dummy;
			if (core_enum_value(tb, id, local.acc[0].name, &dummy))
				continue;
			targ.btf = tb;
			targ.acc[0] = local.acc[0];
		} else if (r->kind == CORE_TYPE_MATCHES) {
			int m = core_types_match(lb, r->type_id, tb, id);
			if (m < 0) {
				snprintf(why, whysz, "type [%u] is nested too deeply to match", id);
				return m;
			}
			if (!m)
				continue;
			targ.btf = tb;
		} else {
			if (!core_types_compat(lb, r->type_id, tb, id, 0))
				continue;
			targ.btf = tb;
		}
		if (core_spec_value(&targ, r->kind, id, &v, &sz, &ex))
			continue;
		if (found && (v != res->val || sz != res->new_sz)) {
			snprintf(why, whysz, "ambiguous: candidates give %llu and %llu", (unsigned long long)res->val,
				 (unsigned long long)v);
			return -EINVAL;
		}
		found = true;
		res->val = v;
		res->new_sz = sz;
	}
	if (!found) {
		bool exists = r->kind == CORE_FIELD_EXISTS || r->kind == CORE_TYPE_EXISTS ||
			      r->kind == CORE_ENUMVAL_EXISTS || r->kind == CORE_TYPE_MATCHES ||
			      r->kind == CORE_TYPE_ID_TARGET;
		if (exists)
			res->val = 0;
		else
			res->poison = true;
	}
	return 0;
}

static unsigned core_size_bytes(uint8_t code)
{
	return isa_access_size(code);
}

static uint8_t core_size_code(uint32_t bytes)
{
	return bytes == 1 ? ISA_B : bytes == 2 ? ISA_H : bytes == 4 ? ISA_W : bytes == 8 ? ISA_DW : 0xff;
}

/* Patch instruction @pc of @p with @res. */
static int core_patch(struct hive_program *p, size_t pc, const struct core_res *res, char *why, size_t whysz)
{
	struct hive_insn *in = &p->insns[pc];
	uint8_t cls = ISA_CLASS(in->code);
	bool lddw = in->code == (ISA_LD | ISA_IMM | ISA_DW);
	if (res->poison) {
		/* both halves of an LDDW, as libbpf does: no "unknown opcode 00" */
		if (lddw && pc + 1 < p->cnt)
			p->insns[pc + 1] = (struct hive_insn){.code = ISA_JMP | ISA_CALL, .imm = CORE_POISON};
		*in = (struct hive_insn){.code = ISA_JMP | ISA_CALL, .imm = CORE_POISON};
		return 0;
	}
	if (cls == ISA_ALU || cls == ISA_ALU64) {
		if (ISA_SRCBIT(in->code) != ISA_K) {
			snprintf(why, whysz, "ALU instruction does not take an immediate");
			return -EINVAL;
		}
		if (res->validate && (uint32_t)in->imm != (uint32_t)res->orig) {
			snprintf(why, whysz, "instruction has %d, the local type says %llu", in->imm,
				 (unsigned long long)res->orig);
			return -EINVAL;
		}
		if (res->val > UINT32_MAX) {
			snprintf(why, whysz, "value %llu does not fit 32 bits", (unsigned long long)res->val);
			return -ERANGE;
		}
		in->imm = (int32_t)(uint32_t)res->val;
		return 0;
	}
	if (cls == ISA_LDX || cls == ISA_ST || cls == ISA_STX) {
		if (res->validate && (uint64_t)(int64_t)in->off != res->orig) {
			snprintf(why, whysz, "instruction has offset %d, the local type says %llu", in->off,
				 (unsigned long long)res->orig);
			return -EINVAL;
		}
		if (res->val > INT16_MAX) {
			snprintf(why, whysz, "offset %llu does not fit 16 bits", (unsigned long long)res->val);
			return -ERANGE;
		}
		in->off = (int16_t)res->val;
		if (res->new_sz && res->orig_sz && res->new_sz != res->orig_sz) {
			if (core_size_bytes(in->code) != res->orig_sz || core_size_code(res->new_sz) == 0xff) {
				snprintf(why, whysz, "field size changed from %u to %u bytes", res->orig_sz, res->new_sz);
				return -EINVAL;
			}
			in->code = (uint8_t)(ISA_MODE(in->code) | core_size_code(res->new_sz) | cls);
		}
		return 0;
	}
	if (lddw && pc + 1 < p->cnt) {
		uint64_t cur = (uint64_t)(uint32_t)p->insns[pc + 1].imm << 32 | (uint32_t)in->imm;
		if (res->validate && cur != res->orig) {
			snprintf(why, whysz, "instruction has %llu, the local type says %llu", (unsigned long long)cur,
				 (unsigned long long)res->orig);
			return -EINVAL;
		}
		in->imm = (int32_t)(uint32_t)res->val;
		p->insns[pc + 1].imm = (int32_t)(uint32_t)(res->val >> 32);
		return 0;
	}
	snprintf(why, whysz, "instruction 0x%02x cannot take a CO-RE relocation", in->code);
	return -EINVAL;
}

/* The target BTF: a raw BTF file (vmlinux) or an ELF object's .BTF. */
static int core_load_target(struct hive_object *obj, struct btf **out)
{
	const char *path = obj->btf_custom_path ? obj->btf_custom_path : "/sys/kernel/btf/vmlinux";
	struct ldr_log *log = &obj->log;
	uint8_t *data;
	size_t size;
	int err = ldr_read_file(path, &data, &size, log);
	if (err)
		return ldr_err(log, err, "core: " LDR_E_CORE_TARGET " %s", path);
	if (size >= 4 && memcmp(data, "\177ELF", 4) == 0) {
		struct ldr_elf e;
		err = elf_open(data, size, log, &e);
		if (!err && e.btf_idx < 0)
			err = ldr_err(log, -ENOENT, "core: %s " LDR_E_CORE_NO_BTF, path);
		if (!err)
			err = btf_parse(e.secs[e.btf_idx].data, e.secs[e.btf_idx].size, log, out);
		elf_close(&e);
	} else {
		err = btf_parse(data, size, log, out);
	}
	free(data);
	if (err)
		ldr_logf(log, "core: target BTF %s refused", path);
	return err;
}

static const struct btf_core *core_find(const struct btf_ext_sec *es, uint32_t idx)
{
	size_t lo = 0, hi = es->ncores;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (es->cores[mid].insn < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < es->ncores && es->cores[lo].insn == idx ? &es->cores[lo] : NULL;
}

int core_relocate(struct hive_object *obj)
{
	struct ldr_log *log = &obj->log;
	if (obj->core_done || !obj->ext)
		return 0;
	bool any = false;
	for (uint32_t i = 0; i < obj->ext->nsecs; i++)
		any |= obj->ext->secs[i].ncores > 0;
	if (!any) {
		obj->core_done = true;
		return 0;
	}
	struct btf *tb = NULL;
	int err = core_load_target(obj, &tb);
	for (size_t i = 0; !err && i < obj->nr_progs; i++) {
		struct hive_program *p = obj->progs[i];
		for (size_t pc = 0; !err && pc < p->cnt; pc++) {
			const struct btf_ext_sec *es = btf_ext_sec(obj->ext, p->origin[pc].sec);
			const struct btf_core *r = es ? core_find(es, p->origin[pc].idx) : NULL;
			if (!r)
				continue;
			struct core_res res;
			char why[160] = "";
			err = core_calc(obj->btf, tb, r, &res, why, sizeof(why));
			if (!err)
				err = core_patch(p, pc, &res, why, sizeof(why));
			if (err)
				ldr_logf(log, "core: prog '%s': insn %zu: %s of [%u] %s '%s': %s", p->name, pc,
					 core_kind_names[r->kind <= CORE_TYPE_MATCHES ? r->kind : 0], r->type_id,
					 btf_name(obj->btf, r->type_id), btf_str(obj->btf, r->access_off), why);
		}
	}
	btf_free(tb);
	if (!err)
		obj->core_done = true;
	return err;
}
