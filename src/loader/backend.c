/* The loader's one door to the runtime: creating maps (src/maps) and
 * loading programs (src/vm). Programs go to hive_prog_load as linked, with
 * the object's maps in hive_prog_opts.maps: the LDDW map indexes (hive.h)
 * are indexes into that array. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"
#include "verifier/verifier.h"
#include "vm/vm.h"

/* A name the runtime accepts: 15 characters of [A-Za-z0-9_.]. */
static void be_map_name(const char *in, char out[16])
{
	size_t i = 0;
	for (; in[i] && i < 15; i++) {
		char c = in[i];
		out[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
				 c == '.'
			 ? c
			 : '_';
	}
	out[i] = '\0';
}

/* The offset of the struct bpf_timer member of the map's value type (as
 * the kernel's btf_find_field, top-level members), or -1. */
static int64_t be_timer_off(const struct hive_object_map *m)
{
	const struct btf *btf = m->obj ? m->obj->btf : NULL;
	if (!btf || !m->value_type_id)
		return -1;
	const struct btf_t *t = btf_skip_mods(btf, m->value_type_id, NULL);
	if (!t || btf_kind(t) != BTF_K_STRUCT)
		return -1;
	const struct btf_m *mb = btf_extra(t);
	for (unsigned i = 0; i < btf_vlen(t); i++) {
		uint32_t id;
		const struct btf_t *mt = btf_skip_mods(btf, mb[i].type, &id);
		if (!mt || btf_kind(mt) != BTF_K_STRUCT || strcmp(btf_name(btf, id), "bpf_timer"))
			continue;
		uint32_t bits = btf_kflag(t) ? mb[i].offset & 0xffffff : mb[i].offset;
		if (bits % 8)
			return -1;
		return bits / 8;
	}
	return -1;
}

int backend_map_create(struct hive_object_map *m, struct ldr_log *log)
{
	char name[16], why[256] = "";
	int reused = pin_map_reuse(m, log);
	if (reused)
		return reused < 0 ? reused : 0;
	be_map_name(m->name, name);
	HIVE_OPTS(hive_map_opts, o, .map_flags = m->map_flags, .numa_node = m->numa_node,
		  .inner = m->inner ? m->inner->map : NULL, .map_extra = m->map_extra, .log_buf = why,
		  .log_size = sizeof(why));
	if (m->numa_node)
		o.map_flags |= HIVE_F_NUMA_NODE;
	int64_t timer_off = be_timer_off(m);
	if (timer_off >= 0) {
		o.timer = true;
		o.timer_off = (uint32_t)timer_off;
	}
	int err = hive_map_create((enum hive_map_type)m->type, name, m->key_size, m->value_size, m->max_entries, &o,
				  &m->map);
	if (err)
		return ldr_err(log, err, "load: map '%s': %s", m->name, why[0] ? why : strerror(-err));
	if (m->init) {
		uint32_t zero = 0;
		err = hive_map_update(m->map, &zero, m->init, HIVE_ANY);
		if (err) {
			hive_map_free(m->map);
			m->map = NULL;
			return ldr_err(log, err, "load: map '%s': cannot set its initial value: %s", m->name,
				       strerror(-err));
		}
	}
	/* libbpf freezes read-only data once it holds its value: the user
	 * side can no longer change what the verifier may take as known */
	if (m->kind == MK_RODATA || m->kind == MK_KCONFIG) {
		err = hive_map_freeze(m->map);
		if (err) {
			hive_map_free(m->map);
			m->map = NULL;
			return ldr_err(log, err, "load: map '%s': cannot freeze it: %s", m->name, strerror(-err));
		}
	}
	err = pin_map_created(m, log);
	if (err) {
		hive_map_free(m->map);
		m->map = NULL;
	}
	return err;
}

void backend_map_free(struct hive_object_map *m)
{
	if (pin_map_release(m))
		return;
	hive_map_free(m->map);
	m->map = NULL;
}

int backend_map_init_slots(struct hive_object *obj, struct hive_object_map *m, struct ldr_log *log)
{
	if (m->pin_reused) /* a pinned map keeps the contents it has */
		return 0;
	if (m->type == HIVE_MAP_PROG_ARRAY) {
		/* slots name programs of the object, loaded by now */
		for (uint32_t s = 0; s < m->nr_init_slots; s++) {
			if (m->init_slots[s] < 0)
				continue;
			const struct hive_program *p = obj->progs[m->init_slots[s]];
			if (!p->prog)
				return ldr_err(log, -EINVAL, "load: map '%s': slot %u: program '%s' is not loaded (autoload is off)",
					       m->name, s, p->name);
			int err = hive_prog_array_set(m->map, s, p->prog);
			if (err)
				return ldr_err(log, err, "load: map '%s': slot %u: %s", m->name, s, strerror(-err));
		}
		return 0;
	}
	for (uint32_t s = 0; s < m->nr_init_slots; s++) {
		if (m->init_slots[s] < 0)
			continue;
		/* through the user API a map-in-map value is the inner map's id */
		uint32_t inner_id = hive_map_id(obj->maps[m->init_slots[s]]->map);
		int err = hive_map_update(m->map, &s, &inner_id, HIVE_ANY);
		if (err)
			return ldr_err(log, err, "load: map '%s': slot %u: %s", m->name, s, strerror(-err));
	}
	return 0;
}

/* {===== verification */

static struct hive_verify_map be_verify_row(const struct hive_object_map *m, int32_t fd)
{
	int64_t timer_off = be_timer_off(m);
	return (struct hive_verify_map){
		.fd = fd,
		.type = m->type,
		.key_size = m->key_size,
		.value_size = m->value_size,
		.max_entries = m->max_entries,
		.map_flags = m->map_flags,
		.has_timer = timer_off >= 0,
		.timer_off = timer_off >= 0 ? (uint32_t)timer_off : 0,
	};
}

struct hive_verify_map *backend_verify_maps(const struct hive_object *obj, size_t *nmaps)
{
	/* the object's maps (LDDW imm = index), then the inner-map templates
	 * of its maps-in-maps, under fds no LDDW names */
	size_t n = obj->nr_maps;
	for (size_t i = 0; i < obj->nr_maps; i++)
		n += obj->maps[i]->inner != NULL;
	struct hive_verify_map *maps = ldr_calloc(n ? n : 1, sizeof(*maps));
	if (!maps)
		return NULL;
	size_t k = obj->nr_maps;
	for (size_t i = 0; i < obj->nr_maps; i++) {
		const struct hive_object_map *m = obj->maps[i];
		maps[i] = be_verify_row(m, (int32_t)i);
		if (m->inner) {
			maps[k] = be_verify_row(m->inner, -1 - (int32_t)k);
			maps[i].inner_map = (uint32_t)(k + 1);
			k++;
		}
	}
	*nmaps = n;
	return maps;
}

#define BE_OPTS_HAS(o, type, f) ((o) && (o)->sz >= offsetof(struct type, f) + sizeof((o)->f))

/* Append "  at FILE:LINE: SOURCE" of insn @pc to the log. */
static void be_log_source(const struct hive_program *p, uint32_t pc, char *log, size_t size)
{
	struct hive_line_info li;
	if (!log || !size || hive_program_line(p, pc, &li) || !li.file[0])
		return;
	size_t used = strnlen(log, size);
	if (used + 1 >= size)
		return;
	const char *src = li.source;
	while (*src == ' ' || *src == '\t')
		src++;
	snprintf(log + used, size - used, "  at %s:%u: %s\n", li.file, li.line, src);
}

/* hive_program_verify, with what the load needs besides the verdict. */
static int be_verify(const struct hive_program *p, const struct hive_verify_opts *opts,
		     struct hive_verify_stats *stats, struct verifier_result *res)
{
	if (!p || !p->insns || !p->cnt)
		return -EINVAL;
	if (opts && (opts->sz < sizeof(size_t) || (BE_OPTS_HAS(opts, hive_verify_opts, maps) && opts->maps)))
		return -EINVAL;
	size_t nmaps;
	struct hive_verify_map *maps = backend_verify_maps(p->obj, &nmaps);
	if (!maps)
		return -ENOMEM;
	/* the caller's log options, the object's view of the rest */
	struct hive_verify_opts vo;
	memset(&vo, 0, sizeof(vo));
	if (opts)
		memcpy(&vo, opts, opts->sz < sizeof(vo) ? opts->sz : sizeof(vo));
	vo.sz = sizeof(vo);
	vo.prog_type = vo.prog_type ? vo.prog_type : p->prog_type;
	vo.ctx = vo.ctx ? vo.ctx : p->ctx;
	vo.maps = maps;
	vo.nmaps = nmaps;
	int err = verifier_verify(p->insns, p->cnt, &vo, stats, res);
	free(maps);
	if (err == -EACCES && res->failed)
		be_log_source(p, res->err_pc, vo.log_buf, vo.log_size);
	return err;
}

int hive_program_verify(const struct hive_program *p, const struct hive_verify_opts *opts,
			struct hive_verify_stats *stats)
{
	struct verifier_result res;
	return be_verify(p, opts, stats, &res);
}

/* }===== */

int backend_prog_load(struct hive_program *p, const struct hive_object_load_opts *opts, struct ldr_log *log)
{
	const struct hive_object *obj = p->obj;
	struct hive_env *henv = BE_OPTS_HAS(opts, hive_object_load_opts, env) ? opts->env : NULL;
	bool unverified = BE_OPTS_HAS(opts, hive_object_load_opts, unverified) && opts->unverified;
	bool checked = BE_OPTS_HAS(opts, hive_object_load_opts, checked) && opts->checked;
	uint32_t level = BE_OPTS_HAS(opts, hive_object_load_opts, log_level) ? opts->log_level : 0;
	if (p->prog_type == HIVE_PROG_CUSTOM && !p->ctx)
		return ldr_err(log, -EINVAL, "load: prog '%s': type custom needs a context layout "
			       "(hive_program_set_ctx_layout)", p->name);
	uint32_t max_ctx_off = 0;
	if (!unverified) {
		size_t vsize = level >= 2 ? (1u << 20) : (16u << 10);
		char *vlog = ldr_malloc(vsize);
		if (!vlog)
			return ldr_err(log, -ENOMEM, "load: prog '%s': out of memory", p->name);
		vlog[0] = '\0';
		HIVE_OPTS(hive_verify_opts, vo, .log_buf = vlog, .log_size = vsize, .log_level = level, .env = henv);
		struct verifier_result res;
		int err = be_verify(p, &vo, &p->vstats, &res);
		max_ctx_off = res.max_ctx_off;
		if (err) {
			/* every line of the verifier's log, under the program's name */
			if (!vlog[0])
				ldr_logf(log, "load: prog '%s': verifier: %s", p->name, strerror(-err));
			for (char *l = vlog; *l;) {
				size_t n = strcspn(l, "\n");
				ldr_logf(log, "load: prog '%s': %.*s", p->name, (int)n, l);
				l += n + (l[n] == '\n');
			}
			free(vlog);
			return err;
		}
		free(vlog);
	}
	struct hive_map **maps = ldr_calloc(obj->nr_maps ? obj->nr_maps : 1, sizeof(*maps));
	if (!maps)
		return ldr_err(log, -ENOMEM, "load: prog '%s': out of memory", p->name);
	for (size_t i = 0; i < obj->nr_maps; i++)
		maps[i] = obj->maps[i]->map;
	char why[512] = "";
	HIVE_OPTS(hive_prog_opts, o, .log_buf = why, .log_size = sizeof(why), .maps = maps, .nmaps = obj->nr_maps,
		  .env = henv, .mode = unverified || checked ? HIVE_EXEC_CHECKED : HIVE_EXEC_TRUSTED);
	int err = hive_prog_load(p->insns, p->cnt, &o, &p->prog);
	free(maps);
	if (err)
		return ldr_err(log, err, "load: prog '%s': %s", p->name, why[0] ? why : strerror(-err));
	p->verified = !unverified;
	p->prog->max_ctx_offset = max_ctx_off;
	return 0;
}

void backend_prog_free(struct hive_program *p)
{
	hive_prog_free(p->prog);
	p->prog = NULL;
	p->verified = false;
}

int hive_program_verify_stats(const struct hive_program *p, struct hive_verify_stats *out)
{
	if (!p || !out)
		return -EINVAL;
	if (!p->prog || !p->verified)
		return -ENOENT;
	*out = p->vstats;
	return 0;
}
