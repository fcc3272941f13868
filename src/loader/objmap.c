/* The maps of an object, in the order libbpf lists them:
 *   1. legacy definitions in "maps" (struct bpf_map_def, one per symbol);
 *   2. BTF-defined maps in ".maps": a DATASEC of VARs whose struct members
 *      encode the attributes (__uint(name, N) is `int (*name)[N]`,
 *      __type(key, T) is `T *key`, __array(values, struct inner) is a
 *      zero-length array of pointers to the inner definition);
 *   3. one ARRAY map per global data section (.data, .rodata, .bss and the
 *      .data.* / .rodata.* variants), value = the section's bytes;
 *   4. one ".kconfig" map for extern variables of that DATASEC. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "loader/loader.h"

enum {
	OM_NAME_LEN = 16, /* BPF_OBJ_NAME_LEN */
	OM_F_RDONLY_PROG = 1u << 7,
	OM_F_MMAPABLE = 1u << 10,
	OM_LEGACY_DEF = 20, /* five u32 */
	OM_MAX_KCFG = 1u << 20,
	OM_MAX_DATA = 1u << 25,
};

void objmap_free(struct hive_object_map *m)
{
	if (!m)
		return;
	backend_map_free(m);
	objmap_free(m->inner);
	free(m->pin_path);
	free(m->name);
	free(m->real_name);
	free(m->init);
	free(m->init_slots);
	free(m);
}

int objmap_by_sec_off(const struct hive_object *obj, int sec, uint64_t off)
{
	for (size_t i = 0; i < obj->nr_maps; i++)
		if (obj->maps[i]->sec_idx == sec && obj->maps[i]->sec_off == off &&
		    (obj->maps[i]->kind == MK_BTF || obj->maps[i]->kind == MK_LEGACY))
			return (int)i;
	return -1;
}

static int om_add(struct hive_object *obj, const char *name, enum objmap_kind kind, struct hive_object_map **out)
{
	struct ldr_log *log = &obj->log;
	for (size_t i = 0; i < obj->nr_maps; i++)
		if (strcmp(obj->maps[i]->name, name) == 0)
			return ldr_err(log, -EINVAL, "maps: two maps named '%s'", name);
	struct hive_object_map **n = ldr_reallocarray(obj->maps, obj->nr_maps + 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	obj->maps = n;
	struct hive_object_map *m = ldr_calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->name = ldr_strdup(name);
	if (!m->name) {
		free(m);
		return -ENOMEM;
	}
	m->obj = obj;
	m->kind = kind;
	m->sec_idx = -1;
	obj->maps[obj->nr_maps++] = m;
	*out = m;
	return 0;
}

/* {===== BTF-defined maps */

static int om_field_int(const struct btf *btf, const char *map, const struct btf_m *mb, uint32_t *res,
			struct ldr_log *log)
{
	const char *name = btf_str(btf, mb->name_off);
	const struct btf_t *t = btf_skip_mods(btf, mb->type, NULL);
	if (!t || btf_kind(t) != BTF_K_PTR)
		return ldr_err(log, -EINVAL, "maps: map '%s': attribute '%s': expected PTR, got %s", map, name,
			       t ? btf_kind_name(btf_kind(t)) : "a bad type");
	const struct btf_t *a = btf_type(btf, t->size_type);
	if (!a || btf_kind(a) != BTF_K_ARRAY)
		return ldr_err(log, -EINVAL, "maps: map '%s': attribute '%s': expected PTR to ARRAY", map, name);
	*res = ((const struct btf_arr *)btf_extra(a))->nelems;
	return 0;
}

static int om_field_long(const struct btf *btf, const char *map, const struct btf_m *mb, uint64_t *res,
			 struct ldr_log *log)
{
	const struct btf_t *t = btf_skip_mods(btf, mb->type, NULL);
	if (t && btf_kind(t) == BTF_K_PTR) {
		uint32_t v;
		int err = om_field_int(btf, map, mb, &v, log);
		*res = v;
		return err;
	}
	if (!t || (btf_kind(t) != BTF_K_ENUM && btf_kind(t) != BTF_K_ENUM64) || btf_vlen(t) != 1)
		return ldr_err(log, -EINVAL, "maps: map '%s': attribute '%s': expected PTR or one-value ENUM", map,
			       btf_str(btf, mb->name_off));
	if (btf_kind(t) == BTF_K_ENUM)
		*res = (uint32_t)((const struct btf_en *)btf_extra(t))->val;
	else {
		const struct btf_en64 *e = btf_extra(t);
		*res = (uint64_t)e->hi32 << 32 | e->lo32;
	}
	return 0;
}

static int om_type_size(const struct btf *btf, const char *map, const struct btf_m *mb, uint32_t *size,
			uint32_t *type_id, struct ldr_log *log)
{
	const char *what = btf_str(btf, mb->name_off);
	const struct btf_t *t = btf_type(btf, mb->type);
	if (!t || btf_kind(t) != BTF_K_PTR)
		return ldr_err(log, -EINVAL, "maps: map '%s': %s spec is not PTR", map, what);
	int64_t sz = btf_resolve_size(btf, t->size_type);
	if (sz < 0)
		return ldr_err(log, -EINVAL, "maps: map '%s': cannot size %s type [%u]", map, what, t->size_type);
	if (*size && *size != sz)
		return ldr_err(log, -EINVAL, "maps: map '%s': conflicting %s size %u != %lld", map, what, *size,
			       (long long)sz);
	*size = (uint32_t)sz;
	*type_id = t->size_type;
	return 0;
}

static bool om_is_map_in_map(uint32_t type)
{
	return type == HIVE_MAP_ARRAY_OF_MAPS || type == HIVE_MAP_HASH_OF_MAPS;
}

/* Parse one definition struct; @inner NULL when parsing an inner one.
 * *values_off gets the byte offset of the `values` member, if any. */
static int om_parse_def(struct hive_object *obj, const char *name, const struct btf_t *def,
			struct hive_object_map *m, struct hive_object_map **inner, uint32_t *values_off)
{
	const struct btf *btf = obj->btf;
	struct ldr_log *log = &obj->log;
	const struct btf_m *mb = btf_extra(def);
	unsigned vlen = btf_vlen(def);
	int err = 0;
	for (unsigned i = 0; i < vlen && !err; i++, mb++) {
		const char *f = btf_str(btf, mb->name_off);
		uint32_t sz;
		if (strcmp(f, "type") == 0)
			err = om_field_int(btf, name, mb, &m->type, log);
		else if (strcmp(f, "max_entries") == 0)
			err = om_field_int(btf, name, mb, &m->max_entries, log);
		else if (strcmp(f, "map_flags") == 0)
			err = om_field_int(btf, name, mb, &m->map_flags, log);
		else if (strcmp(f, "numa_node") == 0)
			err = om_field_int(btf, name, mb, &m->numa_node, log);
		else if (strcmp(f, "map_extra") == 0)
			err = om_field_long(btf, name, mb, &m->map_extra, log);
		else if (strcmp(f, "key_size") == 0 || strcmp(f, "value_size") == 0) {
			uint32_t *dst = f[0] == 'k' ? &m->key_size : &m->value_size;
			err = om_field_int(btf, name, mb, &sz, log);
			if (!err && *dst && *dst != sz)
				err = ldr_err(log, -EINVAL, "maps: map '%s': conflicting %s %u != %u", name, f, *dst, sz);
			if (!err)
				*dst = sz;
		} else if (strcmp(f, "key") == 0)
			err = om_type_size(btf, name, mb, &m->key_size, &m->key_type_id, log);
		else if (strcmp(f, "value") == 0)
			err = om_type_size(btf, name, mb, &m->value_size, &m->value_type_id, log);
		else if (strcmp(f, "pinning") == 0) {
			if (!inner)
				return ldr_err(log, -EINVAL, "maps: map '%s': an inner map cannot be pinned", name);
			err = om_field_int(btf, name, mb, &m->pinning, log);
			if (!err && m->pinning > 1)
				err = ldr_err(log, -EINVAL, "maps: map '%s': invalid pinning value %u", name, m->pinning);
		} else if (strcmp(f, "values") == 0) {
			if (!inner)
				return ldr_err(log, -EOPNOTSUPP, "maps: map '%s': multi-level inner maps are not supported",
					       name);
			if (i != vlen - 1)
				return ldr_err(log, -EINVAL, "maps: map '%s': 'values' must be the last member", name);
			bool mim = om_is_map_in_map(m->type), pa = m->type == HIVE_MAP_PROG_ARRAY;
			if (!mim && !pa)
				return ldr_err(log, -EOPNOTSUPP, "maps: map '%s': 'values' needs a map-in-map or prog-array",
					       name);
			if (m->value_size && m->value_size != 4)
				return ldr_err(log, -EINVAL, "maps: map '%s': conflicting value size %u != 4", name,
					       m->value_size);
			m->value_size = 4;
			if (btf_kflag(def))
				return ldr_err(log, -EINVAL, "maps: map '%s': bitfield definition struct", name);
			*values_off = mb->offset / 8;
			const struct btf_t *a = btf_type(btf, mb->type);
			if (!a || btf_kind(a) != BTF_K_ARRAY || ((const struct btf_arr *)btf_extra(a))->nelems)
				return ldr_err(log, -EINVAL, "maps: map '%s': 'values' is not a zero-sized array", name);
			const struct btf_t *p = btf_skip_mods(btf, ((const struct btf_arr *)btf_extra(a))->type, NULL);
			if (!p || btf_kind(p) != BTF_K_PTR)
				return ldr_err(log, -EINVAL, "maps: map '%s': 'values' is not an array of pointers", name);
			const struct btf_t *d = btf_skip_mods(btf, p->size_type, NULL);
			if (pa) {
				if (!d || btf_kind(d) != BTF_K_FUNC_PROTO)
					return ldr_err(log, -EINVAL, "maps: map '%s': prog-array values must be functions", name);
				continue;
			}
			if (!d || btf_kind(d) != BTF_K_STRUCT)
				return ldr_err(log, -EINVAL, "maps: map '%s': inner definition is not a struct", name);
			char iname[256];
			snprintf(iname, sizeof(iname), "%s.inner", name);
			struct hive_object_map *im = ldr_calloc(1, sizeof(*im));
			if (!im)
				return -ENOMEM;
			im->obj = obj;
			im->kind = MK_INNER;
			im->sec_idx = -1;
			im->name = ldr_strdup(iname);
			*inner = im;
			if (!im->name)
				return -ENOMEM;
			uint32_t unused = 0;
			err = om_parse_def(obj, iname, d, im, NULL, &unused);
		}
		/* other members are unknown attributes: libbpf refuses them in strict mode */
		else
			return ldr_err(log, -EOPNOTSUPP, "maps: map '%s': unknown attribute '%s'", name, f);
	}
	return err;
}

static int om_collect_btf_maps(struct hive_object *obj)
{
	struct ldr_log *log = &obj->log;
	int msec = obj->elf.maps_idx;
	if (msec < 0)
		return 0;
	if (!obj->btf)
		return ldr_err(log, -EINVAL, "maps: .maps " LDR_E_NEEDS_BTF);
	uint32_t ds_id = btf_find(obj->btf, ".maps", BTF_K_DATASEC);
	if (!ds_id)
		return ldr_err(log, -EINVAL, "maps: .maps: no DATASEC '.maps' in BTF");
	const struct btf_t *ds = btf_type(obj->btf, ds_id);
	const struct btf_vsi *v = btf_extra(ds);
	const struct ldr_sec *sec = &obj->elf.secs[msec];
	for (unsigned i = 0; i < btf_vlen(ds); i++, v++) {
		const struct btf_t *var = btf_type(obj->btf, v->type);
		if (btf_kind(var) != BTF_K_VAR)
			return ldr_err(log, -EINVAL, "maps: .maps: entry %u is %s, not VAR", i,
				       btf_kind_name(btf_kind(var)));
		const char *name = btf_str(obj->btf, var->name_off);
		if (!*name)
			return ldr_err(log, -EINVAL, "maps: .maps: entry %u has no name", i);
		uint32_t lk = *(const uint32_t *)btf_extra(var);
		if (lk != BTF_VAR_STATIC_L && lk != BTF_VAR_GLOBAL_L)
			return ldr_err(log, -EOPNOTSUPP, "maps: map '%s': unsupported linkage %u", name, lk);
		const struct btf_t *def = btf_skip_mods(obj->btf, var->size_type, NULL);
		if (!def || btf_kind(def) != BTF_K_STRUCT)
			return ldr_err(log, -EINVAL, "maps: map '%s': definition is not a struct", name);
		if ((uint64_t)v->offset + v->size > sec->size || v->size < def->size_type)
			return ldr_err(log, -EINVAL, "maps: .maps+0x%x: map '%s' of %u bytes outside the section (%llu bytes)",
				       v->offset, name, v->size, (unsigned long long)sec->size);
		struct hive_object_map *m;
		int err = om_add(obj, name, MK_BTF, &m);
		if (err)
			return err;
		m->sec_idx = msec;
		m->sec_off = v->offset;
		m->sec_size = v->size;
		m->values_off = UINT32_MAX;
		err = om_parse_def(obj, name, def, m, &m->inner, &m->values_off);
		if (err)
			return err;
		if (m->type == 0)
			return ldr_err(log, -EINVAL, "maps: map '%s': no type", name);
	}
	return 0;
}

/* `.values = { [i] = &inner }`: ABS64 relocations in .maps against the
 * symbols of other maps, at values_off + 8 * i of the outer definition. */
static int om_collect_init_slots(struct hive_object *obj)
{
	struct ldr_log *log = &obj->log;
	int msec = obj->elf.maps_idx;
	if (msec < 0)
		return 0;
	const struct ldr_sec *sec = &obj->elf.secs[msec];
	for (size_t r = 0; r < sec->nrelos; r++) {
		const struct ldr_reloc *rl = &sec->relos[r];
		const struct ldr_sym *sym = &obj->elf.syms[rl->sym];
		struct hive_object_map *m = NULL;
		for (size_t k = 0; k < obj->nr_maps; k++) {
			struct hive_object_map *c = obj->maps[k];
			if (c->kind == MK_BTF && c->sec_off <= rl->off && rl->off - c->sec_off < c->sec_size)
				m = c;
		}
		if (!m)
			return ldr_err(log, -EINVAL, "maps: .maps+0x%llx: relocation outside every map",
				       (unsigned long long)rl->off);
		if (rl->type != R_BPF_64_ABS64_)
			return ldr_err(log, -EINVAL, "maps: .maps+0x%llx: map '%s': relocation type %u is not R_BPF_64_ABS64",
				       (unsigned long long)rl->off, m->name, rl->type);
		if (m->values_off == UINT32_MAX || rl->off - m->sec_off < m->values_off ||
		    (rl->off - m->sec_off - m->values_off) % 8)
			return ldr_err(log, -EINVAL, "maps: .maps+0x%llx: map '%s': relocation is not a 'values' slot",
				       (unsigned long long)rl->off, m->name);
		uint64_t slot = (rl->off - m->sec_off - m->values_off) / 8;
		if (slot >= m->max_entries)
			return ldr_err(log, -EINVAL, "maps: map '%s': slot %llu past max_entries %u", m->name,
				       (unsigned long long)slot, m->max_entries);
		int target;
		if (m->type == HIVE_MAP_PROG_ARRAY) {
			/* a program: resolved to its index once programs are collected */
			if (sym->type != STT_FUNC_ || sym->shndx == 0 || sym->shndx >= obj->elf.nsecs ||
			    obj->elf.secs[sym->shndx].kind != SK_PROG)
				return ldr_err(log, -EINVAL, "maps: map '%s': slot %llu: '%s' is not a program", m->name,
					       (unsigned long long)slot, sym->name);
			target = (int)rl->sym;
		} else {
			target = sym->shndx == (uint32_t)msec ? objmap_by_sec_off(obj, msec, sym->value) : -1;
			if (target < 0)
				return ldr_err(log, -EINVAL, "maps: map '%s': slot %llu: '%s' is not a map", m->name,
					       (unsigned long long)slot, sym->name);
		}
		if (slot >= m->nr_init_slots) {
			int32_t *n = ldr_reallocarray(m->init_slots, slot + 1, sizeof(*n));
			if (!n)
				return -ENOMEM;
			for (uint64_t k = m->nr_init_slots; k <= slot; k++)
				n[k] = -1;
			m->init_slots = n;
			m->nr_init_slots = (uint32_t)slot + 1;
		}
		m->init_slots[slot] = target;
	}
	return 0;
}

/* }===== */

/* {===== legacy "maps" */

static int om_cmp_sym_value(const void *a, const void *b)
{
	const struct ldr_sym *x = *(const struct ldr_sym *const *)a, *y = *(const struct ldr_sym *const *)b;
	return (x->value > y->value) - (x->value < y->value);
}

static int om_collect_legacy(struct hive_object *obj)
{
	struct ldr_log *log = &obj->log;
	int ls = obj->elf.legacy_maps_idx;
	if (ls < 0)
		return 0;
	const struct ldr_sec *sec = &obj->elf.secs[ls];
	size_t n = 0;
	for (size_t i = 0; i < obj->elf.nsyms; i++)
		if (obj->elf.syms[i].shndx == (uint32_t)ls && obj->elf.syms[i].type != STT_SECTION_)
			n++;
	if (n == 0)
		return 0;
	if (!sec->data || sec->size % n || sec->size / n < OM_LEGACY_DEF)
		return ldr_err(log, -EINVAL, "maps: maps: %llu bytes do not hold %zu definitions of >= %u bytes",
			       (unsigned long long)sec->size, n, OM_LEGACY_DEF);
	size_t def_sz = sec->size / n;
	const struct ldr_sym **syms = ldr_calloc(n, sizeof(*syms));
	if (!syms)
		return -ENOMEM;
	for (size_t i = 0, k = 0; i < obj->elf.nsyms; i++)
		if (obj->elf.syms[i].shndx == (uint32_t)ls && obj->elf.syms[i].type != STT_SECTION_)
			syms[k++] = &obj->elf.syms[i];
	qsort(syms, n, sizeof(*syms), om_cmp_sym_value);
	int err = 0;
	for (size_t i = 0; i < n && !err; i++) {
		const struct ldr_sym *s = syms[i];
		if (s->value % def_sz || s->value >= sec->size) {
			err = ldr_err(log, -EINVAL, "maps: maps+0x%llx: map '%s' is not at a definition boundary",
				      (unsigned long long)s->value, s->name);
			break;
		}
		const uint8_t *d = sec->data + s->value;
		for (size_t b = OM_LEGACY_DEF; b < def_sz; b++)
			if (d[b]) {
				err = ldr_err(log, -EINVAL, "maps: map '%s': " LDR_E_UNKNOWN_FIELD " at byte %zu", s->name, b);
				break;
			}
		struct hive_object_map *m;
		if (err || (err = om_add(obj, s->name, MK_LEGACY, &m)))
			break;
		uint32_t f[5];
		memcpy(f, d, sizeof(f));
		m->sec_idx = ls;
		m->sec_off = s->value;
		m->sec_size = def_sz;
		m->values_off = UINT32_MAX;
		m->type = f[0];
		m->key_size = f[1];
		m->value_size = f[2];
		m->max_entries = f[3];
		m->map_flags = f[4];
	}
	free(syms);
	return err;
}

/* }===== */

/* {===== global data */

/* libbpf's naming: up to 8 characters of the object name, then the section
 * name (custom .data.* / .rodata.* names alone), at most 15 characters. */
static void om_internal_name(const char *obj_name, const char *real, char out[OM_NAME_LEN])
{
	size_t sfx = strlen(real) < 7 ? 7 : strlen(real);
	if (sfx >= OM_NAME_LEN)
		sfx = OM_NAME_LEN - 1;
	size_t pfx = 0;
	if (!strchr(real + 1, '.')) {
		pfx = OM_NAME_LEN - sfx - 1;
		if (pfx > strlen(obj_name))
			pfx = strlen(obj_name);
	}
	snprintf(out, OM_NAME_LEN, "%.*s%.*s", (int)pfx, obj_name, (int)sfx, real);
	for (char *p = out; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.')
			*p = '_';
}

static bool om_datasec_mmapable(const struct btf *btf, uint32_t ds_id)
{
	const struct btf_t *ds = btf_type(btf, ds_id);
	const struct btf_vsi *v = btf_extra(ds);
	for (unsigned i = 0; i < btf_vlen(ds); i++, v++) {
		const struct btf_t *var = btf_type(btf, v->type);
		if (btf_kind(var) == BTF_K_VAR && *(const uint32_t *)btf_extra(var) != BTF_VAR_STATIC_L)
			return true;
	}
	return false;
}

static int om_collect_data(struct hive_object *obj)
{
	for (size_t i = 1; i < obj->elf.nsecs; i++) {
		struct ldr_sec *s = &obj->elf.secs[i];
		enum objmap_kind k;
		switch (s->kind) {
		case SK_DATA: k = MK_DATA; break;
		case SK_RODATA: k = MK_RODATA; break;
		case SK_BSS: k = MK_BSS; break;
		default: continue;
		}
		if (s->size == 0)
			continue;
		/* the kernel refuses values above KMALLOC_MAX_SIZE (a few MiB); a
		 * NOBITS .bss can claim any size without the file holding it */
		if (s->size > OM_MAX_DATA)
			return ldr_err(&obj->log, -E2BIG, "maps: %s: %llu bytes " LDR_E_DATA_TOO_BIG " (%u MiB)",
				       s->name, (unsigned long long)s->size, OM_MAX_DATA >> 20);
		char name[OM_NAME_LEN];
		om_internal_name(obj->name, s->name, name);
		struct hive_object_map *m;
		int err = om_add(obj, name, k, &m);
		if (err)
			return err;
		s->map_idx = (int)obj->nr_maps - 1;
		m->real_name = ldr_strdup(s->name);
		m->init = ldr_calloc(1, s->size);
		if (!m->real_name || !m->init)
			return -ENOMEM;
		if (s->data)
			memcpy(m->init, s->data, s->size);
		m->sec_idx = (int)i;
		m->values_off = UINT32_MAX;
		m->type = HIVE_MAP_ARRAY;
		m->key_size = 4;
		m->value_size = (uint32_t)s->size;
		m->max_entries = 1;
		m->map_flags = k == MK_RODATA ? OM_F_RDONLY_PROG : 0;
		uint32_t ds = btf_find(obj->btf, s->name, BTF_K_DATASEC);
		if (ds) {
			m->value_type_id = ds;
			if (om_datasec_mmapable(obj->btf, ds))
				m->map_flags |= OM_F_MMAPABLE;
		}
	}
	return 0;
}

/* }===== */

/* {===== externs: .kconfig (supported) and .ksyms (refused) */

/* The DATASEC holding VAR @var_id, or NULL. */
static const char *om_datasec_of(const struct btf *btf, uint32_t var_id)
{
	for (uint32_t id = 1; id < btf->nr_types; id++) {
		const struct btf_t *t = btf->types[id];
		if (btf_kind(t) != BTF_K_DATASEC)
			continue;
		const struct btf_vsi *v = btf_extra(t);
		for (unsigned i = 0; i < btf_vlen(t); i++)
			if (v[i].type == var_id)
				return btf_str(btf, t->name_off);
	}
	return NULL;
}

/* The value of @name in the "CONFIG_X=v\n" text, or NULL; *len its length. */
static const char *om_kconfig_value(const char *cfg, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	for (const char *p = cfg; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);
		if (ll > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			*len = ll - nl - 1;
			return p + nl + 1;
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

static int om_kcfg_set(struct hive_object *obj, struct kcfg_ext *e, const char *val, size_t len, uint8_t *dst)
{
	struct ldr_log *log = &obj->log;
	char buf[128];
	if (len >= sizeof(buf))
		return ldr_err(log, -EINVAL, "kconfig: %s: value too long", e->name);
	memcpy(buf, val, len);
	buf[len] = '\0';
	if (e->is_char_arr) {
		if (len >= 2 && buf[0] == '"' && buf[len - 1] == '"') {
			size_t n = len - 2 < e->size - 1 ? len - 2 : e->size - 1;
			memcpy(dst, buf + 1, n);
			return 0;
		}
		if (len == 1 && e->size >= 1) {
			dst[0] = (uint8_t)buf[0];
			return 0;
		}
		return ldr_err(log, -EINVAL, "kconfig: %s: '%s' does not fit char[%u]", e->name, buf, e->size);
	}
	if (len == 1 && (buf[0] == 'y' || buf[0] == 'n' || buf[0] == 'm')) {
		if (e->is_bool && buf[0] == 'm')
			return ldr_err(log, -EINVAL, "kconfig: %s: 'm' for a bool", e->name);
		uint8_t v = buf[0] == 'y' ? 1 : buf[0] == 'm' ? 2 : 0;
		memset(dst, 0, e->size);
		dst[0] = v;
		return 0;
	}
	if (e->is_bool)
		return ldr_err(log, -EINVAL, "kconfig: %s: '%s' for a bool", e->name, buf);
	char *end;
	errno = 0;
	unsigned long long u = e->is_signed ? (unsigned long long)strtoll(buf, &end, 0) : strtoull(buf, &end, 0);
	if (errno || end == buf || *end)
		return ldr_err(log, -EINVAL, "kconfig: %s: '%s' is not a number", e->name, buf);
	if (e->size < 8) {
		unsigned bits = e->size * 8;
		long long s = (long long)u;
		bool fits = e->is_signed ? s >= -(1LL << (bits - 1)) && s < (1LL << (bits - 1)) : u < (1ULL << bits);
		if (!fits)
			return ldr_err(log, -ERANGE, "kconfig: %s: %s does not fit %u bytes", e->name, buf, e->size);
	}
	memcpy(dst, &u, e->size); /* little-endian host */
	return 0;
}

/* As libbpf: what the opts' text leaves unset comes from the kernel's own
 * config (kconfig_path, or /boot/config-$(uname -r), /proc/config.gz).
 * Without such a file the externs stay unset: weak ones read 0 and strong
 * ones are refused at load by objmap_check_kconfig. */
static int om_kcfg_from_system(struct hive_object *obj, struct hive_object_map *m)
{
	bool need = false;
	for (size_t i = 0; i < obj->nr_kcfg; i++)
		need |= !obj->kcfg[i].found;
	if (!need)
		return 0;
	char *text;
	int err = kconfig_read_system(obj->kconfig_path, &text, obj->kconfig_src, sizeof(obj->kconfig_src), &obj->log);
	if (err == -ENOENT && !obj->kconfig_path) {
		obj->kconfig_src[0] = '\0';
		return 0;
	}
	if (err)
		return err;
	for (size_t i = 0; !err && i < obj->nr_kcfg; i++) {
		struct kcfg_ext *e = &obj->kcfg[i];
		size_t len;
		const char *val = e->found ? NULL : om_kconfig_value(text, e->name, &len);
		if (!val)
			continue;
		err = om_kcfg_set(obj, e, val, len, m->init + e->off);
		if (err)
			ldr_logf(&obj->log, "kconfig: (the value of %s is from %s)", e->name, obj->kconfig_src);
		e->found = !err;
	}
	free(text);
	return err;
}

static uint32_t om_kernel_version(void)
{
	struct utsname u;
	unsigned a = 0, b = 0, c = 0;
	if (uname(&u) == 0 && sscanf(u.release, "%u.%u.%u", &a, &b, &c) >= 2)
		return a << 16 | b << 8 | (c > 255 ? 255 : c);
	return 0;
}

static uint32_t om_kcfg_align(const struct kcfg_ext *e)
{
	return e->is_char_arr ? 1 : e->size > 8 ? 8 : e->size;
}

static int om_cmp_kcfg(const void *a, const void *b)
{
	const struct kcfg_ext *x = a, *y = b;
	uint32_t ax = om_kcfg_align(x), ay = om_kcfg_align(y);
	if (ax != ay)
		return ax > ay ? -1 : 1;
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int om_collect_externs(struct hive_object *obj)
{
	struct ldr_log *log = &obj->log;
	uint32_t end = 0;
	for (size_t i = 1; i < obj->elf.nsyms; i++) {
		const struct ldr_sym *s = &obj->elf.syms[i];
		if (s->shndx != 0 || !*s->name || (s->bind != STB_GLOBAL_ && s->bind != STB_WEAK_))
			continue;
		if (!obj->btf)
			return ldr_err(log, -EINVAL, "externs: extern '%s' needs .BTF", s->name);
		uint32_t vid = btf_find(obj->btf, s->name, BTF_K_VAR);
		const char *ds = vid ? om_datasec_of(obj->btf, vid) : NULL;
		if (!vid || !ds || strcmp(ds, ".kconfig") != 0) {
			if (btf_find(obj->btf, s->name, BTF_K_FUNC) || (ds && strcmp(ds, ".ksyms") == 0))
				return ldr_err(log, -EOPNOTSUPP,
					       "externs: '%s': " LDR_E_KSYM,
					       s->name);
			return ldr_err(log, -EINVAL, "externs: '%s': " LDR_E_EXTERN, s->name);
		}
		if (obj->nr_kcfg >= OM_MAX_KCFG)
			return ldr_err(log, -E2BIG, "externs: too many");
		uint32_t tid;
		const struct btf_t *t = btf_skip_mods(obj->btf, btf_type(obj->btf, vid)->size_type, &tid);
		int64_t sz = btf_resolve_size(obj->btf, tid);
		if (!t || sz <= 0 || sz > 64)
			return ldr_err(log, -EINVAL, "externs: '%s': unsupported .kconfig type", s->name);
		struct kcfg_ext e = {.size = (uint32_t)sz, .weak = s->bind == STB_WEAK_, .sym = (uint32_t)i};
		bool scalar = btf_kind(t) == BTF_K_INT || btf_kind(t) == BTF_K_ENUM;
		if (scalar && sz != 1 && sz != 2 && sz != 4 && sz != 8)
			return ldr_err(log, -EINVAL, "externs: '%s': a %lld-byte %s in .kconfig (1, 2, 4 or 8)", s->name,
				       (long long)sz, btf_kind_name(btf_kind(t)));
		if (btf_kind(t) == BTF_K_INT) {
			uint32_t enc = *(const uint32_t *)btf_extra(t);
			e.is_bool = (enc >> 24) & 4;
			e.is_signed = (enc >> 24) & 1;
		} else if (btf_kind(t) == BTF_K_ARRAY) {
			const struct btf_t *el = btf_skip_mods(obj->btf, ((const struct btf_arr *)btf_extra(t))->type, NULL);
			if (!el || btf_kind(el) != BTF_K_INT || el->size_type != 1)
				return ldr_err(log, -EINVAL, "externs: '%s': only char arrays are supported", s->name);
			e.is_char_arr = true;
		} else if (btf_kind(t) != BTF_K_ENUM) {
			return ldr_err(log, -EINVAL, "externs: '%s': unsupported .kconfig type %s", s->name,
				       btf_kind_name(btf_kind(t)));
		}
		e.name = ldr_strdup(s->name);
		struct kcfg_ext *n = e.name ? ldr_reallocarray(obj->kcfg, obj->nr_kcfg + 1, sizeof(*n)) : NULL;
		if (!n) {
			free(e.name);
			return -ENOMEM;
		}
		obj->kcfg = n;
		obj->kcfg[obj->nr_kcfg++] = e;
	}
	if (!obj->nr_kcfg)
		return 0;
	/* libbpf's layout: by alignment (descending), size, then name */
	qsort(obj->kcfg, obj->nr_kcfg, sizeof(*obj->kcfg), om_cmp_kcfg);
	for (size_t i = 0; i < obj->nr_kcfg; i++) {
		struct kcfg_ext *e = &obj->kcfg[i];
		uint32_t align = om_kcfg_align(e);
		e->off = (end + align - 1) / align * align;
		end = e->off + e->size;
	}
	char name[OM_NAME_LEN];
	om_internal_name(obj->name, ".kconfig", name);
	struct hive_object_map *m;
	int err = om_add(obj, name, MK_KCONFIG, &m);
	if (err)
		return err;
	obj->kcfg_map = (int)obj->nr_maps - 1;
	m->real_name = ldr_strdup(".kconfig");
	m->init = ldr_calloc(1, end);
	if (!m->real_name || !m->init)
		return -ENOMEM;
	m->values_off = UINT32_MAX;
	m->type = HIVE_MAP_ARRAY;
	m->key_size = 4;
	m->value_size = end;
	m->max_entries = 1;
	m->map_flags = OM_F_RDONLY_PROG | OM_F_MMAPABLE;
	m->value_type_id = btf_find(obj->btf, ".kconfig", BTF_K_DATASEC);
	for (size_t i = 0; i < obj->nr_kcfg; i++) {
		struct kcfg_ext *e = &obj->kcfg[i];
		if (strcmp(e->name, "LINUX_KERNEL_VERSION") == 0 && e->size == 4 && !e->is_char_arr) {
			uint32_t v = om_kernel_version();
			memcpy(m->init + e->off, &v, 4);
			e->found = true;
			continue;
		}
		size_t len;
		const char *val = om_kconfig_value(obj->kconfig, e->name, &len);
		if (!val)
			continue;
		err = om_kcfg_set(obj, e, val, len, m->init + e->off);
		if (err)
			return err;
		e->found = true;
	}
	return om_kcfg_from_system(obj, m);
}

int objmap_resolve_prog_slots(struct hive_object *obj)
{
	for (size_t i = 0; i < obj->nr_maps; i++) {
		struct hive_object_map *m = obj->maps[i];
		if (m->type != HIVE_MAP_PROG_ARRAY)
			continue;
		for (uint32_t s = 0; s < m->nr_init_slots; s++) {
			if (m->init_slots[s] < 0)
				continue;
			const struct ldr_sym *sym = &obj->elf.syms[m->init_slots[s]];
			int found = -1;
			for (size_t k = 0; k < obj->nr_progs; k++)
				if (obj->progs[k]->sec_idx == sym->shndx && (uint64_t)obj->progs[k]->sec_insn * 8 == sym->value)
					found = (int)k;
			if (found < 0)
				return ldr_err(&obj->log, -EINVAL, "maps: map '%s': slot %u: '%s' is not a program", m->name, s,
					       sym->name);
			m->init_slots[s] = found;
		}
	}
	return 0;
}

int objmap_check_kconfig(struct hive_object *obj)
{
	for (size_t i = 0; i < obj->nr_kcfg; i++)
		if (!obj->kcfg[i].found && !obj->kcfg[i].weak)
			return ldr_err(&obj->log, -ENOENT,
				       "kconfig: extern '%s': no value in the open opts' kconfig nor in %s (give it "
				       "there, or declare it __weak)",
				       obj->kcfg[i].name, obj->kconfig_src[0] ? obj->kconfig_src : "a kernel config (none found)");
	return 0;
}

/* }===== */

int objmap_collect(struct hive_object *obj)
{
	int err = om_collect_legacy(obj);
	if (!err)
		err = om_collect_btf_maps(obj);
	if (!err)
		err = om_collect_init_slots(obj);
	if (!err)
		err = om_collect_data(obj);
	if (!err)
		err = om_collect_externs(obj);
	return err;
}
