/* The public face of the loader: hive_object_*, hive_program_*,
 * hive_object_map_* (declared in hive/hive.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"

/* {===== opts */

/* opts_valid (src/opts.h), saying in the log what is wrong. */
static bool ob_opts_valid(const void *opts, size_t struct_size, const char *what, struct ldr_log *log)
{
	if (!opts)
		return true;
	size_t sz = *(const size_t *)opts;
	if (sz < sizeof(size_t)) {
		ldr_logf(log, "opts: %s: sz %zu is too small", what, sz);
		return false;
	}
	for (size_t i = struct_size; i < sz; i++)
		if (((const uint8_t *)opts)[i]) {
			ldr_logf(log, "opts: %s: " LDR_E_UNKNOWN_FIELD " at byte %zu", what, i);
			return false;
		}
	return true;
}

#define OB_OPTS_HAS(o, type, f) \
	((o) && (o)->sz >= offsetof(struct type, f) + sizeof((o)->f))
#define OB_OPTS_GET(o, type, f, dflt) (OB_OPTS_HAS(o, type, f) ? (o)->f : (dflt))

/* }===== */

/* {===== open and close */

/* clang leaves DATASEC sizes and VAR offsets zero in object files (the
 * assembler knows them): take them from the ELF section and the symbols.
 * Extern DATASECs (.kconfig, .ksyms) have no section and are laid out by
 * objmap.c. */
static int ob_fixup_datasecs(struct hive_object *obj)
{
	struct btf *btf = obj->btf;
	const struct ldr_elf *e = &obj->elf;
	for (uint32_t id = 1; id < btf->nr_types; id++) {
		struct btf_t *t = (struct btf_t *)btf->types[id];
		if (btf_kind(t) != BTF_K_DATASEC)
			continue;
		const char *name = btf_str(btf, t->name_off);
		if (strcmp(name, ".kconfig") == 0 || strcmp(name, ".ksyms") == 0)
			continue;
		size_t si = 0;
		for (size_t i = 1; i < e->nsecs; i++)
			if (strcmp(e->secs[i].name, name) == 0)
				si = i;
		if (!si)
			return ldr_err(&obj->log, -EINVAL, "btf: DATASEC '%s' (type [%u]) has no ELF section", name, id);
		const struct ldr_sec *sec = &e->secs[si];
		if (t->size_type == 0)
			t->size_type = (uint32_t)sec->size;
		if (t->size_type != sec->size)
			return ldr_err(&obj->log, -EINVAL, "btf: DATASEC '%s': size %u, ELF section %llu bytes", name,
				       t->size_type, (unsigned long long)sec->size);
		struct btf_vsi *v = (struct btf_vsi *)btf_extra(t);
		for (unsigned k = 0; k < btf_vlen(t); k++, v++) {
			const struct btf_t *var = btf_type(btf, v->type);
			if (btf_kind(var) != BTF_K_VAR)
				continue;
			const char *vn = btf_str(btf, var->name_off);
			const struct ldr_sym *sym = NULL;
			for (size_t j = 1; j < e->nsyms && !sym; j++)
				if (e->syms[j].shndx == si && strcmp(e->syms[j].name, vn) == 0 &&
				    (e->syms[j].type == STT_OBJECT_ || e->syms[j].type == STT_NOTYPE_))
					sym = &e->syms[j];
			if (sym)
				v->offset = (uint32_t)sym->value;
			else if (*(const uint32_t *)btf_extra(var) != BTF_VAR_STATIC_L)
				return ldr_err(&obj->log, -EINVAL, "btf: DATASEC '%s': no symbol for variable '%s'", name, vn);
			if ((uint64_t)v->offset + v->size > sec->size)
				return ldr_err(&obj->log, -EINVAL, "btf: %s+0x%x: variable '%s' of %u bytes " LDR_E_PAST_SECTION,
					       name, v->offset, vn, v->size);
		}
	}
	return 0;
}

static int ob_parse(struct hive_object *obj)
{
	struct ldr_log *log = &obj->log;
	int err = elf_open(obj->data, obj->size, log, &obj->elf);
	if (err)
		return err;
	struct ldr_elf *e = &obj->elf;
	for (size_t i = 1; i < e->nsecs; i++) {
		const struct ldr_sec *s = &e->secs[i];
		if (s->kind == SK_LICENSE && s->data) {
			size_t n = s->size < sizeof(obj->license) - 1 ? s->size : sizeof(obj->license) - 1;
			memcpy(obj->license, s->data, n);
			obj->license[n] = '\0';
		} else if (s->kind == SK_VERSION) {
			if (s->size != 4 || !s->data)
				return ldr_err(log, -EINVAL, "elf: version: %llu bytes, want 4", (unsigned long long)s->size);
			memcpy(&obj->kversion, s->data, 4);
		}
	}
	if (e->btf_idx >= 0) {
		const struct ldr_sec *s = &e->secs[e->btf_idx];
		if (!s->data)
			return ldr_err(log, -EINVAL, "btf: .BTF has no data");
		err = btf_parse(s->data, s->size, log, &obj->btf);
		if (!err)
			err = ob_fixup_datasecs(obj);
		if (err)
			return err;
	}
	if (e->btf_ext_idx >= 0) {
		const struct ldr_sec *s = &e->secs[e->btf_ext_idx];
		if (!s->data)
			return ldr_err(log, -EINVAL, "btf.ext: .BTF.ext has no data");
		err = btf_ext_parse(s->data, s->size, obj->btf, e, log, &obj->ext);
		if (err)
			return err;
	}
	err = objmap_collect(obj);
	if (!err)
		err = link_collect_progs(obj);
	if (!err)
		err = objmap_resolve_prog_slots(obj);
	if (!err)
		err = link_all(obj);
	return err;
}

static int ob_open(uint8_t *data, size_t size, const char *path, const char *name,
		   const struct hive_object_open_opts *opts, struct ldr_log *log, struct hive_object **out)
{
	struct hive_object *obj = ldr_calloc(1, sizeof(*obj));
	if (!obj) {
		free(data);
		return ldr_err(log, -ENOMEM, "open: out of memory");
	}
	obj->data = data;
	obj->size = size;
	obj->log = *log;
	obj->kcfg_map = -1;
	const char *kc = OB_OPTS_GET(opts, hive_object_open_opts, kconfig, NULL);
	const char *bp = OB_OPTS_GET(opts, hive_object_open_opts, btf_custom_path, NULL);
	const char *kp = OB_OPTS_GET(opts, hive_object_open_opts, kconfig_path, NULL);
	const char *pr = OB_OPTS_GET(opts, hive_object_open_opts, pin_root_path, NULL);
	/* libbpf keeps BPF_OBJ_NAME_LEN - 1 characters, and so do internal map names */
	char short_name[16];
	snprintf(short_name, sizeof(short_name), "%s", name);
	obj->name = ldr_strdup(short_name);
	obj->path = ldr_strdup(path);
	obj->kconfig = ldr_strdup(kc ? kc : "");
	obj->btf_custom_path = bp ? ldr_strdup(bp) : NULL;
	obj->kconfig_path = kp ? ldr_strdup(kp) : NULL;
	obj->pin_root_path = pr ? ldr_strdup(pr) : NULL;
	int err = 0;
	if (!obj->name || !obj->path || !obj->kconfig || (bp && !obj->btf_custom_path) || (kp && !obj->kconfig_path) ||
	    (pr && !obj->pin_root_path))
		err = ldr_err(log, -ENOMEM, "open: out of memory");
	if (!err)
		err = ob_parse(obj);
	if (err == -ENOMEM)
		ldr_logf(&obj->log, "open: out of memory");
	*log = obj->log;
	if (err) {
		hive_object_close(obj);
		return err;
	}
	*out = obj;
	return 0;
}

static struct ldr_log ob_open_log(const struct hive_object_open_opts *opts)
{
	struct ldr_log log = {0};
	log.buf = OB_OPTS_GET(opts, hive_object_open_opts, log_buf, NULL);
	log.size = log.buf ? OB_OPTS_GET(opts, hive_object_open_opts, log_size, 0) : 0;
	if (log.buf && log.size)
		log.buf[0] = '\0';
	return log;
}

int hive_object_open_mem(const void *buf, size_t size, const struct hive_object_open_opts *opts,
			 struct hive_object **out)
{
	struct ldr_log log = ob_open_log(opts);
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!ob_opts_valid(opts, sizeof(struct hive_object_open_opts), "hive_object_open_opts", &log))
		return -EINVAL;
	if (!buf || size == 0)
		return ldr_err(&log, -EINVAL, "elf: empty buffer");
	uint8_t *copy = ldr_malloc(size);
	if (!copy)
		return ldr_err(&log, -ENOMEM, "open: out of memory");
	memcpy(copy, buf, size);
	char name[64];
	const char *on = OB_OPTS_GET(opts, hive_object_open_opts, object_name, NULL);
	if (!on) {
		snprintf(name, sizeof(name), "%lx-%zx", (unsigned long)(uintptr_t)buf, size);
		on = name;
	}
	return ob_open(copy, size, on, on, opts, &log, out);
}

int hive_object_open_file(const char *path, const struct hive_object_open_opts *opts, struct hive_object **out)
{
	struct ldr_log log = ob_open_log(opts);
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!path)
		return -EINVAL;
	if (!ob_opts_valid(opts, sizeof(struct hive_object_open_opts), "hive_object_open_opts", &log))
		return -EINVAL;
	uint8_t *data;
	size_t size;
	int err = ldr_read_file(path, &data, &size, &log);
	if (err)
		return err;
	char name[64];
	const char *on = OB_OPTS_GET(opts, hive_object_open_opts, object_name, NULL);
	if (!on) {
		const char *base = strrchr(path, '/');
		base = base ? base + 1 : path;
		snprintf(name, sizeof(name), "%s", base);
		char *dot = strchr(name, '.');
		if (dot)
			*dot = '\0';
		on = name;
	}
	return ob_open(data, size, path, on, opts, &log, out);
}

void hive_object_close(struct hive_object *obj)
{
	if (!obj)
		return;
	if (obj->progs)
		for (size_t i = 0; i < obj->nr_all_progs; i++)
			link_prog_free(obj->progs[i]);
	free(obj->progs);
	if (obj->maps)
		for (size_t i = 0; i < obj->nr_maps; i++)
			objmap_free(obj->maps[i]);
	free(obj->maps);
	if (obj->kcfg)
		for (size_t i = 0; i < obj->nr_kcfg; i++)
			free(obj->kcfg[i].name);
	free(obj->kcfg);
	btf_ext_free(obj->ext);
	btf_free(obj->btf);
	elf_close(&obj->elf);
	free(obj->data);
	free(obj->name);
	free(obj->path);
	free(obj->kconfig);
	free(obj->btf_custom_path);
	free(obj->kconfig_path);
	free(obj->pin_root_path);
	free(obj);
}

/* }===== */

/* {===== load */

int hive_object_load(struct hive_object *obj, const struct hive_object_load_opts *opts)
{
	if (!obj)
		return -EINVAL;
	struct ldr_log log = {0};
	log.buf = OB_OPTS_GET(opts, hive_object_load_opts, log_buf, NULL);
	log.size = log.buf ? OB_OPTS_GET(opts, hive_object_load_opts, log_size, 0) : 0;
	if (log.buf && log.size)
		log.buf[0] = '\0';
	if (!ob_opts_valid(opts, sizeof(struct hive_object_load_opts), "hive_object_load_opts", &log))
		return -EINVAL;
	if (obj->loaded)
		return ldr_err(&log, -EBUSY, "load: object '%s' is already loaded", obj->name);
	struct ldr_log saved = obj->log;
	obj->log = log;
	int err = objmap_check_kconfig(obj);
	if (!err)
		err = core_relocate(obj);
	for (size_t i = 0; !err && i < obj->nr_progs; i++) {
		struct hive_program *p = obj->progs[i];
		if (p->autoload && p->prog_type == HIVE_PROG_UNSPEC)
			err = ldr_err(&obj->log, -EINVAL, "load: prog '%s': section '%s' " LDR_E_NO_PROG_TYPE, p->name,
				      p->sec_name);
	}
	for (size_t i = 0; !err && i < obj->nr_maps; i++) {
		struct hive_object_map *m = obj->maps[i];
		if (m->inner)
			err = backend_map_create(m->inner, &obj->log);
		if (!err)
			err = backend_map_create(m, &obj->log);
	}
	for (size_t i = 0; !err && i < obj->nr_maps; i++)
		if (obj->maps[i]->nr_init_slots && obj->maps[i]->type != HIVE_MAP_PROG_ARRAY)
			err = backend_map_init_slots(obj, obj->maps[i], &obj->log);
	for (size_t i = 0; !err && i < obj->nr_progs; i++)
		if (obj->progs[i]->autoload)
			err = backend_prog_load(obj->progs[i], opts, &obj->log);
	/* prog arrays' initial slots (`.values = {[0] = &prog}`): once the programs exist */
	for (size_t i = 0; !err && i < obj->nr_maps; i++)
		if (obj->maps[i]->nr_init_slots && obj->maps[i]->type == HIVE_MAP_PROG_ARRAY)
			err = backend_map_init_slots(obj, obj->maps[i], &obj->log);
	if (err) {
		for (size_t i = 0; i < obj->nr_progs; i++)
			backend_prog_free(obj->progs[i]);
		for (size_t i = 0; i < obj->nr_maps; i++) {
			if (obj->maps[i]->inner)
				backend_map_free(obj->maps[i]->inner);
			backend_map_free(obj->maps[i]);
		}
	} else {
		obj->loaded = true;
	}
	obj->log = saved;
	return err;
}

/* }===== */

/* {===== object accessors */

const char *hive_object_name(const struct hive_object *obj) { return obj ? obj->name : NULL; }
const char *hive_object_license(const struct hive_object *obj) { return obj ? obj->license : NULL; }
uint32_t hive_object_kversion(const struct hive_object *obj) { return obj ? obj->kversion : 0; }
size_t hive_object_prog_cnt(const struct hive_object *obj) { return obj ? obj->nr_progs : 0; }
size_t hive_object_map_cnt(const struct hive_object *obj) { return obj ? obj->nr_maps : 0; }

struct hive_program *hive_object_prog(const struct hive_object *obj, size_t i)
{
	return obj && i < obj->nr_progs ? obj->progs[i] : NULL;
}

struct hive_object_map *hive_object_map(const struct hive_object *obj, size_t i)
{
	return obj && i < obj->nr_maps ? obj->maps[i] : NULL;
}

struct hive_program *hive_object_find_program(const struct hive_object *obj, const char *name)
{
	for (size_t i = 0; obj && name && i < obj->nr_progs; i++)
		if (strcmp(obj->progs[i]->name, name) == 0)
			return obj->progs[i];
	return NULL;
}

struct hive_object_map *hive_object_find_map(const struct hive_object *obj, const char *name)
{
	for (size_t i = 0; obj && name && i < obj->nr_maps; i++)
		if (strcmp(obj->maps[i]->name, name) == 0)
			return obj->maps[i];
	/* internal maps also by their section name, as libbpf's skeletons do */
	for (size_t i = 0; obj && name && i < obj->nr_maps; i++)
		if (obj->maps[i]->real_name && strcmp(obj->maps[i]->real_name, name) == 0)
			return obj->maps[i];
	return NULL;
}

/* }===== */

/* {===== program accessors */

const char *hive_program_name(const struct hive_program *p) { return p ? p->name : NULL; }
const char *hive_program_section(const struct hive_program *p) { return p ? p->sec_name : NULL; }
enum hive_prog_type hive_program_type(const struct hive_program *p)
{
	return p ? (enum hive_prog_type)p->prog_type : HIVE_PROG_UNSPEC;
}
enum hive_attach_type hive_program_attach_type(const struct hive_program *p)
{
	return p ? (enum hive_attach_type)(int)p->attach_type : HIVE_ATTACH_NONE;
}
const char *hive_program_attach_target(const struct hive_program *p)
{
	return p ? sec_def_target(p->def, p->sec_name) : NULL;
}
bool hive_program_is_sleepable(const struct hive_program *p)
{
	return p && p->def && (p->def->flags & SEC_F_SLEEPABLE);
}
const struct hive_insn *hive_program_insns(const struct hive_program *p, size_t *cnt)
{
	if (cnt)
		*cnt = p ? p->cnt : 0;
	return p ? p->insns : NULL;
}
int hive_program_set_type(struct hive_program *p, enum hive_prog_type type)
{
	if (!p)
		return -EINVAL;
	if (p->obj->loaded)
		return -EBUSY;
	p->prog_type = (uint32_t)type;
	return 0;
}
int hive_program_set_ctx_layout(struct hive_program *p, const struct hive_ctx_layout *ctx)
{
	if (!p || (ctx && ctx->nfields && !ctx->fields))
		return -EINVAL;
	if (p->obj->loaded)
		return -EBUSY;
	p->ctx = ctx;
	return 0;
}

const struct hive_ctx_layout *hive_program_ctx_layout(const struct hive_program *p)
{
	if (!p)
		return NULL;
	return p->ctx ? p->ctx : hive_ctx_layout_of((enum hive_prog_type)p->prog_type);
}

int hive_program_set_autoload(struct hive_program *p, bool autoload)
{
	if (!p)
		return -EINVAL;
	if (p->obj->loaded)
		return -EBUSY;
	p->autoload = autoload;
	return 0;
}
bool hive_program_autoload(const struct hive_program *p) { return p && p->autoload; }
struct hive_prog *hive_program_prog(const struct hive_program *p) { return p ? p->prog : NULL; }

int hive_program_line(const struct hive_program *p, size_t pc, struct hive_line_info *out)
{
	if (!p || !out)
		return -EINVAL;
	if (pc >= p->cnt)
		return -ERANGE;
	const struct hive_object *obj = p->obj;
	const struct insn_origin o = p->origin[pc];
	const struct hive_program *fn = NULL;
	for (size_t i = 0; i < obj->nr_all_progs; i++) {
		const struct hive_program *f = obj->progs[i];
		if (f->sec_idx == o.sec && o.idx >= f->sec_insn && o.idx < f->sec_insn + f->sec_cnt)
			fn = f;
	}
	memset(out, 0, sizeof(*out));
	out->file = out->source = "";
	out->func = fn ? fn->name : "";
	const struct btf_ext_sec *es = btf_ext_sec(obj->ext, o.sec);
	if (!es || !es->nlines)
		return -ENOENT;
	/* the last record at or before the instruction, inside its function */
	size_t lo = 0, hi = es->nlines;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (es->lines[mid].insn <= o.idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -ENOENT;
	const struct btf_line *l = &es->lines[lo - 1];
	if (fn && l->insn < fn->sec_insn)
		return -ENOENT;
	out->file = btf_str(obj->btf, l->file_off);
	out->source = btf_str(obj->btf, l->line_off);
	out->line = l->line;
	out->col = l->col;
	return 0;
}

/* }===== */

/* {===== map accessors */

const char *hive_object_map_name(const struct hive_object_map *m) { return m ? m->name : NULL; }
enum hive_map_type hive_object_map_type(const struct hive_object_map *m)
{
	return m ? (enum hive_map_type)m->type : HIVE_MAP_UNSPEC;
}
uint32_t hive_object_map_key_size(const struct hive_object_map *m) { return m ? m->key_size : 0; }
uint32_t hive_object_map_value_size(const struct hive_object_map *m) { return m ? m->value_size : 0; }
uint32_t hive_object_map_max_entries(const struct hive_object_map *m) { return m ? m->max_entries : 0; }
uint32_t hive_object_map_flags(const struct hive_object_map *m) { return m ? m->map_flags : 0; }
uint32_t hive_object_map_numa_node(const struct hive_object_map *m) { return m ? m->numa_node : 0; }
uint32_t hive_object_map_pinning(const struct hive_object_map *m) { return m ? m->pinning : 0; }
uint64_t hive_object_map_extra(const struct hive_object_map *m) { return m ? m->map_extra : 0; }
uint32_t hive_object_map_btf_key_type_id(const struct hive_object_map *m) { return m ? m->key_type_id : 0; }
uint32_t hive_object_map_btf_value_type_id(const struct hive_object_map *m) { return m ? m->value_type_id : 0; }
bool hive_object_map_is_internal(const struct hive_object_map *m)
{
	return m && (m->kind == MK_DATA || m->kind == MK_RODATA || m->kind == MK_BSS || m->kind == MK_KCONFIG);
}
const struct hive_object_map *hive_object_map_inner(const struct hive_object_map *m) { return m ? m->inner : NULL; }
int hive_object_map_init_slot(const struct hive_object_map *m, uint32_t i)
{
	return m && i < m->nr_init_slots ? m->init_slots[i] : -1;
}
const void *hive_object_map_initial_value(const struct hive_object_map *m, size_t *size)
{
	if (size)
		*size = m && m->init ? m->value_size : 0;
	return m ? m->init : NULL;
}

static bool ob_map_settable(const struct hive_object_map *m)
{
	return m && !m->obj->loaded;
}

int hive_object_map_set_max_entries(struct hive_object_map *m, uint32_t max_entries)
{
	if (!m)
		return -EINVAL;
	if (!ob_map_settable(m))
		return -EBUSY;
	if (hive_object_map_is_internal(m))
		return -EINVAL; /* one element holding the section */
	m->max_entries = max_entries;
	m->size_set_by_user = true;
	return 0;
}

int hive_object_map_set_flags(struct hive_object_map *m, uint32_t flags)
{
	if (!m)
		return -EINVAL;
	if (!ob_map_settable(m))
		return -EBUSY;
	m->map_flags = flags;
	return 0;
}

int hive_object_map_set_initial_value(struct hive_object_map *m, const void *data, size_t size)
{
	if (!m || (!data && size))
		return -EINVAL;
	if (!ob_map_settable(m))
		return -EBUSY;
	if (!m->init || size != m->value_size)
		return -EINVAL;
	memcpy(m->init, data, size);
	return 0;
}

struct hive_map *hive_object_map_map(const struct hive_object_map *m) { return m ? m->map : NULL; }

/* }===== */
