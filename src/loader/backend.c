/* The loader's one door to the runtime: creating maps (src/maps) and
 * loading programs (src/vm). Programs go to hive_prog_load as linked, with
 * the object's maps in hive_prog_opts.maps: the LDDW map indexes (hive.h)
 * are indexes into that array. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"

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
	return 0;
}

void backend_map_free(struct hive_object_map *m)
{
	hive_map_free(m->map);
	m->map = NULL;
}

int backend_map_init_slots(struct hive_object *obj, struct hive_object_map *m, struct ldr_log *log)
{
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

int backend_prog_load(struct hive_program *p, const struct hive_object_load_opts *opts, struct ldr_log *log)
{
	const struct hive_object *obj = p->obj;
	struct hive_map **maps = ldr_calloc(obj->nr_maps, sizeof(*maps));
	if (!maps)
		return ldr_err(log, -ENOMEM, "load: prog '%s': out of memory", p->name);
	for (size_t i = 0; i < obj->nr_maps; i++)
		maps[i] = obj->maps[i]->map;
	char why[512] = "";
	HIVE_OPTS(hive_prog_opts, o, .log_buf = why, .log_size = sizeof(why), .maps = maps, .nmaps = obj->nr_maps);
	if (opts && opts->sz > offsetof(struct hive_object_load_opts, env))
		o.env = opts->env;
	if (opts && opts->sz > offsetof(struct hive_object_load_opts, mode))
		o.mode = opts->mode;
	int err = hive_prog_load(p->insns, p->cnt, &o, &p->prog);
	free(maps);
	if (err)
		return ldr_err(log, err, "load: prog '%s': %s", p->name, why[0] ? why : strerror(-err));
	return 0;
}

void backend_prog_free(struct hive_program *p)
{
	hive_prog_free(p->prog);
	p->prog = NULL;
}
