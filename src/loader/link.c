/* Programs of an object and their linking.
 *
 * A program is a global function symbol in an executable section other than
 * .text; functions in .text (global or static) are subprograms. Linking one
 * program copies its instructions, then walks them: a `call` to a function
 * (R_BPF_64_32 against a symbol, or a relative call inside one section)
 * appends the callee once at the end and points imm at it; an LDDW with an
 * R_BPF_64_64 relocation becomes a map reference by index (see hive.h). The
 * walk goes into an appended callee at once (depth first), so the layout
 * is libbpf's: each callee followed by its own new callees. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "isa/isa.h"
#include "loader/loader.h"

enum { LK_LDDW = ISA_LD | ISA_IMM | ISA_DW, LK_CALL = ISA_JMP | ISA_CALL };

void link_prog_free(struct hive_program *p)
{
	if (!p)
		return;
	backend_prog_free(p);
	free(p->name);
	free(p->insns);
	free(p->origin);
	free(p);
}

static int lk_cmp_prog(const void *a, const void *b)
{
	const struct hive_program *x = *(const struct hive_program *const *)a;
	const struct hive_program *y = *(const struct hive_program *const *)b;
	if (x->is_subprog != y->is_subprog)
		return x->is_subprog ? 1 : -1;
	if (x->sec_idx != y->sec_idx)
		return x->sec_idx < y->sec_idx ? -1 : 1;
	return (x->sec_insn > y->sec_insn) - (x->sec_insn < y->sec_insn);
}

int link_collect_progs(struct hive_object *obj)
{
	struct ldr_elf *e = &obj->elf;
	struct ldr_log *log = &obj->log;
	for (size_t si = 1; si < e->nsecs; si++) {
		const struct ldr_sec *sec = &e->secs[si];
		if ((sec->kind != SK_PROG && sec->kind != SK_TEXT) || sec->size == 0)
			continue;
		size_t found = 0;
		for (size_t k = 1; k < e->nsyms; k++) {
			const struct ldr_sym *s = &e->syms[k];
			if (s->shndx != si || s->type != STT_FUNC_)
				continue;
			if (s->value % 8 || s->size % 8 || s->size == 0 || s->value > sec->size ||
			    s->size > sec->size - s->value)
				return ldr_err(log, -EINVAL, "elf: %s+0x%llx: function '%s' of %llu bytes " LDR_E_FUNC_OUTSIDE,
					       sec->name, (unsigned long long)s->value, s->name,
					       (unsigned long long)s->size);
			bool sub = sec->kind == SK_TEXT;
			if (!sub && s->bind == STB_LOCAL_)
				return ldr_err(log, -EOPNOTSUPP, "elf: %s: program '%s' " LDR_E_STATIC_PROG,
					       sec->name, s->name);
			struct hive_program **n = ldr_reallocarray(obj->progs, obj->nr_all_progs + 1, sizeof(*n));
			if (!n)
				return -ENOMEM;
			obj->progs = n;
			struct hive_program *p = ldr_calloc(1, sizeof(*p));
			if (!p)
				return -ENOMEM;
			obj->progs[obj->nr_all_progs++] = p;
			p->name = ldr_strdup(s->name);
			if (!p->name)
				return -ENOMEM;
			p->obj = obj;
			/* SEC("?xdp"): not loaded by default; the name is shown without '?' as libbpf does */
			p->sec_name = sec->name[0] == '?' ? sec->name + 1 : sec->name;
			p->sec_idx = (uint32_t)si;
			p->sec_insn = (uint32_t)(s->value / 8);
			p->sec_cnt = (uint32_t)(s->size / 8);
			p->is_subprog = sub;
			if (!sub) {
				obj->nr_progs++;
				p->def = sec_def_find(sec->name);
				p->prog_type = p->def ? p->def->prog_type : HIVE_PROG_UNSPEC;
				p->attach_type = p->def && p->def->has_attach ? p->def->attach_type : (uint32_t)HIVE_ATTACH_NONE;
				p->autoload = sec->name[0] != '?';
			}
			found++;
		}
		if (!found && sec->kind == SK_PROG)
			return ldr_err(log, -EINVAL, "elf: %s: code without a function symbol", sec->name);
	}
	if (obj->nr_all_progs)
		qsort(obj->progs, obj->nr_all_progs, sizeof(*obj->progs), lk_cmp_prog);
	/* functions of one section must not overlap */
	for (size_t i = 1; i < obj->nr_all_progs; i++) {
		const struct hive_program *a = obj->progs[i - 1], *b = obj->progs[i];
		if (a->sec_idx == b->sec_idx && a->is_subprog == b->is_subprog &&
		    a->sec_insn + a->sec_cnt > b->sec_insn)
			return ldr_err(log, -EINVAL, "elf: %s: functions '%s' and '%s' overlap", a->sec_name, a->name,
				       b->name);
	}
	return 0;
}

/* The function of section @sec containing instruction @idx, or NULL. */
static struct hive_program *lk_func_at(const struct hive_object *obj, uint32_t sec, uint64_t idx)
{
	for (size_t i = 0; i < obj->nr_all_progs; i++) {
		struct hive_program *p = obj->progs[i];
		if (p->sec_idx == sec && idx >= p->sec_insn && idx < (uint64_t)p->sec_insn + p->sec_cnt)
			return p;
	}
	return NULL;
}

struct lk_state {
	struct hive_object *obj;
	struct hive_program *prog;
	struct hive_insn *insns;
	struct insn_origin *origin;
	size_t cnt, cap;
	struct { const struct hive_program *fn; size_t start; } *placed;
	size_t nplaced;
	size_t fresh_start, fresh_cnt; /* the function lk_append just placed */
	struct { size_t next, end; } *resume; /* where the walk goes on after it */
	size_t nresume;
};

static int lk_append(struct lk_state *st, const struct hive_program *fn, size_t *start)
{
	for (size_t i = 0; i < st->nplaced; i++)
		if (st->placed[i].fn == fn) {
			*start = st->placed[i].start;
			return 0;
		}
	if (st->cnt + fn->sec_cnt > HIVE_MAX_INSNS)
		return ldr_err(&st->obj->log, -E2BIG, "link: prog '%s': more than %d instructions after linking",
			       st->prog->name, HIVE_MAX_INSNS);
	if (st->cnt + fn->sec_cnt > st->cap) {
		size_t cap = st->cap * 2 > st->cnt + fn->sec_cnt ? st->cap * 2 : st->cnt + fn->sec_cnt;
		struct hive_insn *ni = ldr_reallocarray(st->insns, cap, sizeof(*ni));
		if (!ni)
			return -ENOMEM;
		st->insns = ni;
		struct insn_origin *no = ldr_reallocarray(st->origin, cap, sizeof(*no));
		if (!no)
			return -ENOMEM;
		st->origin = no;
		st->cap = cap;
	}
	void *np = ldr_reallocarray(st->placed, st->nplaced + 1, sizeof(*st->placed));
	if (!np)
		return -ENOMEM;
	st->placed = np;
	st->placed[st->nplaced].fn = fn;
	st->placed[st->nplaced++].start = st->cnt;
	const struct ldr_sec *sec = &st->obj->elf.secs[fn->sec_idx];
	memcpy(st->insns + st->cnt, sec->data + (size_t)fn->sec_insn * 8, (size_t)fn->sec_cnt * 8);
	for (uint32_t i = 0; i < fn->sec_cnt; i++)
		st->origin[st->cnt + i] = (struct insn_origin){fn->sec_idx, fn->sec_insn + i};
	*start = st->cnt;
	st->fresh_start = st->cnt;
	st->fresh_cnt = fn->sec_cnt;
	st->cnt += fn->sec_cnt;
	return 0;
}

/* Point the call or PSEUDO_FUNC LDDW at @i to instruction @tidx of @tsec. */
static int lk_code_ref(struct lk_state *st, size_t i, uint32_t tsec, int64_t tidx, const char *what)
{
	struct ldr_log *log = &st->obj->log;
	const struct insn_origin *o = &st->origin[i];
	const char *sname = st->obj->elf.secs[o->sec].name;
	const struct hive_program *fn = tidx >= 0 ? lk_func_at(st->obj, tsec, (uint64_t)tidx) : NULL;
	if (!fn)
		return ldr_err(log, -EINVAL, "link: %s+0x%llx: %s target %s+0x%llx is not inside a function", sname,
			       (unsigned long long)o->idx * 8, what, st->obj->elf.secs[tsec].name,
			       (unsigned long long)tidx * 8);
	size_t start;
	int err = lk_append(st, fn, &start);
	if (err)
		return err;
	int64_t rel = (int64_t)(start + ((uint64_t)tidx - fn->sec_insn)) - (int64_t)(i + 1);
	st->insns[i].imm = (int32_t)rel;
	return 0;
}

/* An LDDW with a relocation: map, global data, extern or function address. */
static int lk_lddw(struct lk_state *st, size_t i, const struct ldr_reloc *rl)
{
	struct hive_object *obj = st->obj;
	struct ldr_log *log = &obj->log;
	const struct insn_origin *o = &st->origin[i];
	const char *sname = obj->elf.secs[o->sec].name;
	unsigned long long at = (unsigned long long)o->idx * 8;
	const struct ldr_sym *sym = &obj->elf.syms[rl->sym];
	struct hive_insn *in = &st->insns[i];
	if (rl->type != R_BPF_64_64_)
		return ldr_err(log, -EINVAL, "link: %s+0x%llx: relocation type %u on LDDW (want R_BPF_64_64)", sname,
			       at, rl->type);
	if (sym->shndx == 0) {
		for (size_t k = 0; k < obj->nr_kcfg; k++)
			if (obj->kcfg[k].sym == rl->sym) {
				in->src_reg = ISA_PSEUDO_MAP_VALUE;
				in->imm = obj->kcfg_map;
				in[1].imm = (int32_t)obj->kcfg[k].off;
				return 0;
			}
		return ldr_err(log, -EINVAL, "link: %s+0x%llx: reference to unresolved extern '%s'", sname, at, sym->name);
	}
	if (sym->shndx >= obj->elf.nsecs)
		return ldr_err(log, -EINVAL, "link: %s+0x%llx: symbol '%s' in section %u", sname, at, sym->name,
			       sym->shndx);
	const struct ldr_sec *ts = &obj->elf.secs[sym->shndx];
	switch (ts->kind) {
	case SK_MAPS:
	case SK_LEGACY_MAPS: {
		int mi = objmap_by_sec_off(obj, (int)sym->shndx, sym->value);
		if (mi < 0 || in->imm != 0)
			return ldr_err(log, -EINVAL, "link: %s+0x%llx: '%s' at %s+0x%llx is not a map definition", sname, at,
				       sym->name, ts->name, (unsigned long long)sym->value);
		in->src_reg = ISA_PSEUDO_MAP_FD;
		in->imm = mi;
		in[1].imm = 0;
		return 0;
	}
	case SK_DATA:
	case SK_RODATA:
	case SK_BSS: {
		int64_t off = (int64_t)sym->value + in->imm;
		if (ts->map_idx < 0 || off < 0 || (uint64_t)off > ts->size)
			return ldr_err(log, -EINVAL, "link: %s+0x%llx: offset %lld is outside %s (%llu bytes)", sname, at,
				       (long long)off, ts->name, (unsigned long long)ts->size);
		in->src_reg = ISA_PSEUDO_MAP_VALUE;
		in->imm = ts->map_idx;
		in[1].imm = (int32_t)off;
		return 0;
	}
	case SK_PROG:
	case SK_TEXT:
		if (sym->value % 8 || in->imm % 8)
			return ldr_err(log, -EINVAL, "link: %s+0x%llx: misaligned function address", sname, at);
		in->src_reg = ISA_PSEUDO_FUNC;
		return lk_code_ref(st, i, sym->shndx, ((int64_t)sym->value + in->imm) / 8, "callback");
	default:
		return ldr_err(log, -EINVAL, "link: %s+0x%llx: relocation against '%s' in %s: not a map, data or code",
			       sname, at, sym->name, ts->name);
	}
}

static int lk_link_one(struct hive_object *obj, struct hive_program *p)
{
	struct ldr_log *log = &obj->log;
	struct lk_state st = {.obj = obj, .prog = p};
	size_t start;
	int err = lk_append(&st, p, &start);
	st.fresh_cnt = 0;
	/* Depth first, as libbpf: a function is walked as soon as it is
	 * placed, so that its callees come right after it, before the next
	 * callee of its caller. */
	for (size_t i = 0, end = st.cnt; !err; i++) {
		if (st.fresh_cnt) {
			void *nr = ldr_reallocarray(st.resume, st.nresume + 1, sizeof(*st.resume));
			if (!nr) {
				err = -ENOMEM;
				break;
			}
			st.resume = nr;
			st.resume[st.nresume].next = i;
			st.resume[st.nresume++].end = end;
			i = st.fresh_start;
			end = i + st.fresh_cnt;
			st.fresh_cnt = 0;
		}
		while (i >= end && st.nresume) {
			i = st.resume[--st.nresume].next;
			end = st.resume[st.nresume].end;
		}
		if (i >= end)
			break;
		const struct insn_origin o = st.origin[i];
		const struct ldr_sec *sec = &obj->elf.secs[o.sec];
		const struct ldr_reloc *rl = elf_reloc_at(sec, (uint64_t)o.idx * 8);
		struct hive_insn *in = &st.insns[i];
		unsigned long long at = (unsigned long long)o.idx * 8;
		if (in->code == LK_LDDW) {
			if (i + 1 >= end || st.origin[i + 1].sec != o.sec || st.origin[i + 1].idx != o.idx + 1 ||
			    lk_func_at(obj, o.sec, o.idx + 1) != lk_func_at(obj, o.sec, o.idx))
				err = ldr_err(log, -EINVAL, "link: %s+0x%llx: LDDW without its second slot", sec->name, at);
			else if (rl)
				err = lk_lddw(&st, i, rl);
			else if (in->src_reg == ISA_PSEUDO_FUNC)
				err = ldr_err(log, -EINVAL, "link: %s+0x%llx: function address without relocation",
					      sec->name, at);
			else if (in->src_reg != 0)
				err = ldr_err(log, -EINVAL, "link: %s+0x%llx: LDDW with src %u needs a relocation",
					      sec->name, at, in->src_reg);
			i++;
			continue;
		}
		if (in->code == LK_CALL && in->src_reg == ISA_PSEUDO_CALL) {
			if (rl) {
				const struct ldr_sym *sym = &obj->elf.syms[rl->sym];
				if (rl->type != R_BPF_64_32_)
					err = ldr_err(log, -EINVAL, "link: %s+0x%llx: relocation type %u on call (want R_BPF_64_32)",
						      sec->name, at, rl->type);
				else if (sym->shndx == 0 || sym->shndx >= obj->elf.nsecs ||
					 (obj->elf.secs[sym->shndx].kind != SK_TEXT &&
					  obj->elf.secs[sym->shndx].kind != SK_PROG))
					err = ldr_err(log, sym->shndx == 0 ? -EOPNOTSUPP : -EINVAL,
						      "link: %s+0x%llx: call to '%s': %s", sec->name, at, sym->name,
						      sym->shndx == 0 ? "extern functions (kfuncs) are not supported"
								      : "not code");
				else if (sym->value % 8)
					err = ldr_err(log, -EINVAL, "link: %s+0x%llx: call to misaligned '%s'", sec->name, at,
						      sym->name);
				else
					err = lk_code_ref(&st, i, sym->shndx, (int64_t)(sym->value / 8) + in->imm + 1, "call");
			} else {
				err = lk_code_ref(&st, i, o.sec, (int64_t)o.idx + in->imm + 1, "call");
			}
			continue;
		}
		if (rl) {
			const struct ldr_sym *sym = &obj->elf.syms[rl->sym];
			if (in->code == LK_CALL && sym->shndx == 0)
				err = ldr_err(log, -EOPNOTSUPP, "link: %s+0x%llx: call to extern '%s': kfuncs are not supported",
					      sec->name, at, sym->name);
			else
				err = ldr_err(log, -EINVAL, "link: %s+0x%llx: relocation type %u against '%s' on an instruction that takes none (code 0x%02x)",
					      sec->name, at, rl->type, sym->name, in->code);
		}
	}
	free(st.placed);
	free(st.resume);
	if (err) {
		free(st.insns);
		free(st.origin);
		return err;
	}
	p->insns = st.insns;
	p->origin = st.origin;
	p->cnt = st.cnt;
	return 0;
}

/* Every relocation of a code section must sit on the first slot of an LDDW
 * or on a call: one elsewhere (or on an LDDW's second half) would be
 * silently lost by the walk in lk_link_one. */
static int lk_check_relos(struct hive_object *obj)
{
	for (size_t si = 1; si < obj->elf.nsecs; si++) {
		const struct ldr_sec *sec = &obj->elf.secs[si];
		if ((sec->kind != SK_PROG && sec->kind != SK_TEXT) || !sec->nrelos)
			continue;
		size_t r = 0;
		for (uint64_t off = 0; off < sec->size && r < sec->nrelos;) {
			uint8_t code = sec->data[off];
			uint64_t next = off + (code == LK_LDDW ? 16 : 8);
			while (r < sec->nrelos && sec->relos[r].off < next) {
				uint64_t ro = sec->relos[r].off;
				if (ro != off || (code != LK_LDDW && code != LK_CALL))
					return ldr_err(&obj->log, -EINVAL,
						       "link: %s+0x%llx: " LDR_E_RELO_SLOT,
						       sec->name, (unsigned long long)ro);
				r++;
			}
			off = next;
		}
		if (r < sec->nrelos)
			return ldr_err(&obj->log, -EINVAL, "link: %s+0x%llx: relocation past the last instruction",
				       sec->name, (unsigned long long)sec->relos[r].off);
	}
	return 0;
}

int link_all(struct hive_object *obj)
{
	int cerr = lk_check_relos(obj);
	if (cerr)
		return cerr;
	for (size_t i = 0; i < obj->nr_progs; i++) {
		int err = lk_link_one(obj, obj->progs[i]);
		if (err)
			return err;
	}
	return 0;
}
