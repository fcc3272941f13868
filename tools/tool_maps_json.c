/* An object's maps and the maps file of fixture.h: seeding them before a
 * run (tool_maps_apply: raw values, prog-array slots by program name,
 * maps-of-maps slots by map name or an inner map described inline), and
 * dumping them after it (tool_maps_dump), in the file's own format. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hive/hive.h"
#include "maps/map.h" /* map_prog_array_get: which program a slot holds */
#include "cmd.h"
#include "fixture.h"

/* Maps made for "inner" entries: no map holds a reference on another in
 * hive, so they live until tool_maps_free, after the object is closed. */
struct tool_maps {
	struct hive_map **v;
	size_t n;
};

struct tm_ctx {
	struct hive_object *obj;
	const char *path;
	struct tool_maps *owned;
	char *err;
	size_t errsz;
};

static int tm_fail(const struct tm_ctx *c, int line, int rc, const char *fmt, ...)
{
	int len = snprintf(c->err, c->errsz, "%s:%d: ", c->path, line);
	if (len >= 0 && (size_t)len < c->errsz) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err + len, c->errsz - (size_t)len, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static bool tm_is_percpu(enum hive_map_type t)
{
	return t == HIVE_MAP_PERCPU_ARRAY || t == HIVE_MAP_PERCPU_HASH || t == HIVE_MAP_LRU_PERCPU_HASH;
}

static bool tm_is_array(enum hive_map_type t)
{
	return t == HIVE_MAP_ARRAY || t == HIVE_MAP_PERCPU_ARRAY || t == HIVE_MAP_PROG_ARRAY ||
	       t == HIVE_MAP_ARRAY_OF_MAPS || t == HIVE_MAP_PERF_EVENT_ARRAY;
}

static bool tm_is_mim(enum hive_map_type t)
{
	return t == HIVE_MAP_ARRAY_OF_MAPS || t == HIVE_MAP_HASH_OF_MAPS;
}

static const char *tm_type(enum hive_map_type t)
{
	const char *n = fixture_map_type_name((uint32_t)t);
	return n ? n : "map";
}

/* Why hive_map_update (or hive_prog_array_set) refused @key. */
static int tm_update_fail(const struct tm_ctx *c, const struct fixture_entry *e, const char *map, size_t idx,
			  struct hive_map *m, int err)
{
	enum hive_map_type t = hive_map_get_type(m);
	if (err == -E2BIG && tm_is_array(t)) {
		uint32_t index = 0;
		memcpy(&index, e->key, e->key_size < 4 ? e->key_size : 4);
		return tm_fail(c, e->line, err, "map '%s' entry %zu: index %u is past max_entries %u (E2BIG)", map, idx, index,
			       hive_map_max_entries(m));
	}
	if (err == -E2BIG)
		return tm_fail(c, e->line, err, "map '%s' entry %zu: the map is full (max_entries %u, E2BIG)", map, idx,
			       hive_map_max_entries(m));
	return tm_fail(c, e->line, err, "map '%s' entry %zu: %s", map, idx, strerror(-err));
}

static int tm_entries(const struct tm_ctx *c, struct hive_map *m, const struct hive_object_map *om, const char *map,
		      const struct fixture_entries *es);

/* A new map for an "inner" entry of @om (its template fills what the entry
 * leaves out), filled, and its id into the slot. */
static int tm_inner(const struct tm_ctx *c, struct hive_map *outer, const struct hive_object_map *om,
		    const char *map, size_t idx, const struct fixture_entry *e)
{
	const struct hive_object_map *tpl = om ? hive_object_map_inner(om) : NULL;
	const struct fixture_inner *in = e->inner;
#define TM_FIELD(f, get) (in->f >= 0 ? (uint32_t)in->f : tpl ? get(tpl) : 0)
	uint32_t type = TM_FIELD(type, hive_object_map_type), ks = TM_FIELD(key_size, hive_object_map_key_size),
		 vs = TM_FIELD(value_size, hive_object_map_value_size),
		 max = TM_FIELD(max_entries, hive_object_map_max_entries), flags = TM_FIELD(map_flags, hive_object_map_flags);
#undef TM_FIELD
	if (!type)
		return tm_fail(c, in->line, -EINVAL, "map '%s' entry %zu: inner: no \"type\" and no template to take it from",
			       map, idx);
	char log[256] = "";
	HIVE_OPTS(hive_map_opts, mo, .map_flags = flags, .log_buf = log, .log_size = sizeof log);
	struct hive_map *im;
	int err = hive_map_create((enum hive_map_type)type, NULL, ks, vs, max, &mo, &im);
	if (err)
		return tm_fail(c, in->line, err, "map '%s' entry %zu: inner %s (key %u, value %u, max_entries %u): %s", map,
			       idx, fixture_map_type_name(type) ? fixture_map_type_name(type) : "map", ks, vs, max,
			       *log ? log : strerror(-err));
	struct hive_map **nv = realloc(c->owned->v, (c->owned->n + 1) * sizeof(*nv));
	if (!nv) {
		hive_map_free(im);
		return tm_fail(c, in->line, -ENOMEM, "out of memory");
	}
	c->owned->v = nv;
	c->owned->v[c->owned->n++] = im;
	char name[300];
	snprintf(name, sizeof name, "%s[%zu].inner", map, idx);
	if ((err = tm_entries(c, im, NULL, name, &in->entries)))
		return err;
	uint32_t id = hive_map_id(im);
	err = hive_map_update(outer, e->key, &id, HIVE_ANY);
	if (err == -EINVAL)
		return tm_fail(c, e->line, err,
			       "map '%s' entry %zu: the inner %s (key %u, value %u, max_entries %u, flags %#x) does not fit the map's inner-map template",
			       map, idx, tm_type((enum hive_map_type)type), ks, vs, max, flags);
	return err ? tm_update_fail(c, e, map, idx, outer, err) : 0;
}

static int tm_entry(const struct tm_ctx *c, struct hive_map *m, const struct hive_object_map *om, const char *map,
		    size_t idx, const struct fixture_entry *e)
{
	enum hive_map_type t = hive_map_get_type(m);
	uint32_t ks = hive_map_key_size(m);
	if (!ks && e->has_key && e->key_size)
		return tm_fail(c, e->line, -EINVAL, "map '%s' entry %zu: maps of type %s have no keys: give \"value\" only", map, idx,
			       tm_type(t));
	if (ks && !e->has_key)
		return tm_fail(c, e->line, -EINVAL, "map '%s' entry %zu: no \"key\"", map, idx);
	if (ks && e->key_size != ks)
		return tm_fail(c, e->line, -EINVAL, "map '%s' entry %zu: key is %zu bytes, the map's key size is %u", map,
			       idx, e->key_size, ks);
	const void *key = ks ? e->key : NULL;
	int err;
	switch (e->kind) {
	case FIXTURE_VALUE: {
		if (t == HIVE_MAP_PROG_ARRAY)
			return tm_fail(c, e->line, -EINVAL, "map '%s' entry %zu: a prog array's slot takes \"prog\": NAME", map,
				       idx);
		if (tm_is_mim(t))
			return tm_fail(c, e->line, -EINVAL,
				       "map '%s' entry %zu: slots of %s maps take \"map\": NAME or \"inner\": {...}", map, idx,
				       tm_type(t));
		size_t vs = hive_map_value_size(m), uvs = hive_map_user_value_size(m);
		const uint8_t *value = e->value;
		uint8_t *all = NULL;
		if (tm_is_percpu(t) && e->value_size == vs && vs != uvs) {
			/* one CPU's value: every CPU gets it */
			size_t slot = (vs + 7) / 8 * 8;
			if (!(all = calloc(1, uvs)))
				return tm_fail(c, e->line, -ENOMEM, "out of memory");
			for (size_t off = 0; off + slot <= uvs; off += slot)
				memcpy(all + off, e->value, vs);
			value = all;
		} else if (e->value_size != uvs) {
			if (tm_is_percpu(t))
				return tm_fail(c, e->line, -EINVAL,
					       "map '%s' entry %zu: value is %zu bytes, the map's value size is %zu (one CPU) or %zu (all %d CPUs, 8-byte aligned slots)",
					       map, idx, e->value_size, vs, uvs, hive_num_possible_cpus());
			return tm_fail(c, e->line, -EINVAL, "map '%s' entry %zu: value is %zu bytes, the map's value size is %zu",
				       map, idx, e->value_size, uvs);
		}
		err = hive_map_update(m, key, value, HIVE_ANY);
		free(all);
		return err ? tm_update_fail(c, e, map, idx, m, err) : 0;
	}
	case FIXTURE_PROG: {
		if (t != HIVE_MAP_PROG_ARRAY)
			return tm_fail(c, e->line, -EINVAL, "map '%s' entry %zu: \"prog\" fills prog arrays; this map is of type %s", map,
				       idx, tm_type(t));
		struct hive_program *p = hive_object_find_program(c->obj, e->name);
		if (!p)
			return tm_fail(c, e->line, -ENOENT, "map '%s' entry %zu: no program named '%s' in the object", map, idx,
				       e->name);
		if (!hive_program_prog(p))
			return tm_fail(c, e->line, -ENOENT, "map '%s' entry %zu: program '%s' is not loaded", map, idx, e->name);
		uint32_t index;
		memcpy(&index, e->key, 4);
		err = hive_prog_array_set(m, index, hive_program_prog(p));
		return err ? tm_update_fail(c, e, map, idx, m, err) : 0;
	}
	case FIXTURE_MAP: {
		if (!tm_is_mim(t))
			return tm_fail(c, e->line, -EINVAL, "map '%s' entry %zu: \"map\" fills maps of maps; this map is of type %s", map,
				       idx, tm_type(t));
		struct hive_object_map *target = hive_object_find_map(c->obj, e->name);
		if (!target || !hive_object_map_map(target))
			return tm_fail(c, e->line, -ENOENT, "map '%s' entry %zu: no map named '%s' in the object", map, idx,
				       e->name);
		struct hive_map *im = hive_object_map_map(target);
		uint32_t id = hive_map_id(im);
		err = hive_map_update(m, key, &id, HIVE_ANY);
		if (err == -EINVAL)
			return tm_fail(c, e->line, err,
				       "map '%s' entry %zu: map '%s' (%s, key %u, value %u, max_entries %u) does not fit the map's inner-map template",
				       map, idx, e->name, tm_type(hive_map_get_type(im)), hive_map_key_size(im),
				       hive_map_value_size(im), hive_map_max_entries(im));
		return err ? tm_update_fail(c, e, map, idx, m, err) : 0;
	}
	case FIXTURE_INNER:
		if (!tm_is_mim(t))
			return tm_fail(c, e->line, -EINVAL, "map '%s' entry %zu: \"inner\" fills maps of maps; this map is of type %s",
				       map, idx, tm_type(t));
		return tm_inner(c, m, om, map, idx, e);
	}
	return -EINVAL;
}

static int tm_entries(const struct tm_ctx *c, struct hive_map *m, const struct hive_object_map *om, const char *map,
		      const struct fixture_entries *es)
{
	for (size_t i = 0; i < es->n; i++) {
		int err = tm_entry(c, m, om, map, i, &es->v[i]);
		if (err)
			return err;
	}
	return 0;
}

int tool_maps_apply(struct hive_object *obj, const struct fixture_spec *spec, struct tool_maps **owned, char *err,
		    size_t errsz)
{
	if (!*owned && !(*owned = calloc(1, sizeof(**owned)))) {
		snprintf(err, errsz, "out of memory");
		return -ENOMEM;
	}
	struct tm_ctx c = {.obj = obj, .path = spec->path, .owned = *owned, .err = err, .errsz = errsz};
	for (size_t i = 0; i < spec->n; i++) {
		const struct fixture_map *fm = &spec->maps[i];
		struct hive_object_map *om = hive_object_find_map(obj, fm->name);
		struct hive_map *m = om ? hive_object_map_map(om) : NULL;
		if (!m) {
			char names[512] = "";
			size_t len = 0;
			for (size_t k = 0; k < hive_object_map_cnt(obj) && len < sizeof names; k++) {
				int w = snprintf(names + len, sizeof names - len, "%s%s", k ? ", " : "",
						 hive_object_map_name(hive_object_map(obj, k)));
				len += w > 0 ? (size_t)w : 0;
			}
			return tm_fail(&c, fm->line, -ENOENT, "no map named '%s' in the object (it has: %s)", fm->name,
				       *names ? names : "no maps");
		}
		int e = tm_entries(&c, m, om, fm->name, &fm->entries);
		if (e)
			return e;
	}
	return 0;
}

void tool_maps_free(struct tool_maps *owned)
{
	if (!owned)
		return;
	for (size_t i = 0; i < owned->n; i++)
		hive_map_free(owned->v[i]);
	free(owned->v);
	free(owned);
}

/* tool_maps_seed's inner maps live as long as the process. */
static struct tool_maps *tm_seeded;

static void tm_seeded_free(void)
{
	tool_maps_free(tm_seeded);
	tm_seeded = NULL;
}

int tool_maps_seed(struct hive_object *obj, const char *path, char *err, size_t errsz)
{
	struct fixture_spec *spec;
	int rc = fixture_spec_read(path, &spec, err, errsz);
	if (rc)
		return rc;
	if (!tm_seeded)
		atexit(tm_seeded_free);
	rc = tool_maps_apply(obj, spec, &tm_seeded, err, errsz);
	fixture_spec_free(spec);
	return rc;
}

/* {===== dumps */

static const char *tm_prog_name(const struct hive_object *obj, const struct hive_prog *prog)
{
	for (size_t i = 0; i < hive_object_prog_cnt(obj); i++)
		if (hive_program_prog(hive_object_prog(obj, i)) == prog)
			return hive_program_name(hive_object_prog(obj, i));
	return "?";
}

static const char *tm_map_name(const struct hive_object *obj, const struct hive_map *map)
{
	for (size_t i = 0; i < hive_object_map_cnt(obj); i++)
		if (hive_object_map_map(hive_object_map(obj, i)) == map)
			return hive_object_map_name(hive_object_map(obj, i));
	return NULL;
}

static int tm_dump_map(const struct hive_object *obj, struct hive_map *m, const char *name, int depth,
		       struct fixture_dump **out)
{
	enum hive_map_type t = hive_map_get_type(m);
	uint32_t ks = hive_map_key_size(m);
	size_t uvs = hive_map_user_value_size(m);
	struct fixture_dump *d = fixture_dump_new(name, (uint32_t)t, ks, hive_map_value_size(m), hive_map_max_entries(m),
						  hive_map_flags(m));
	uint8_t *key = malloc(ks ? ks : 1), *prev = malloc(ks ? ks : 1), *value = malloc(uvs ? uvs : 1);
	int err = d && key && prev && value ? 0 : -ENOMEM;
	bool first = true;
	while (!err && hive_map_get_next_key(m, first ? NULL : prev, key) == 0) {
		first = false;
		memcpy(prev, key, ks);
		if (t == HIVE_MAP_PROG_ARRAY) {
			uint32_t index;
			memcpy(&index, key, 4);
			const struct hive_prog *p = map_prog_array_get(m, index);
			if (p)
				err = fixture_dump_add(d, key, ks, FIXTURE_PROG, NULL, 0, tm_prog_name(obj, p), NULL);
			continue;
		}
		if (hive_map_lookup(m, key, value))
			continue; /* empty slots, write-only maps */
		if (tm_is_mim(t)) {
			uint32_t id;
			memcpy(&id, value, 4);
			struct hive_map *im = hive_map_from_id(id);
			const char *iname = im ? tm_map_name(obj, im) : NULL;
			struct fixture_dump *inner = NULL;
			if (iname)
				err = fixture_dump_add(d, key, ks, FIXTURE_MAP, NULL, 0, iname, NULL);
			else if (im && depth < 2 && !(err = tm_dump_map(obj, im, "", depth + 1, &inner)))
				err = fixture_dump_add(d, key, ks, FIXTURE_INNER, NULL, 0, NULL, inner);
			continue;
		}
		err = fixture_dump_add(d, key, ks, FIXTURE_VALUE, value, uvs, NULL, NULL);
	}
	free(key);
	free(prev);
	free(value);
	if (err) {
		fixture_dump_free(d);
		return err;
	}
	*out = d;
	return 0;
}

int tool_maps_dump(FILE *f, const struct hive_object *obj)
{
	size_t n = 0, cnt = hive_object_map_cnt(obj);
	struct fixture_dump **dumps = calloc(cnt ? cnt : 1, sizeof(*dumps));
	int err = dumps ? 0 : -ENOMEM;
	for (size_t i = 0; !err && i < cnt; i++) {
		const struct hive_object_map *om = hive_object_map(obj, i);
		struct hive_map *m = hive_object_map_map(om);
		if (!m || hive_object_map_is_internal(om) || !hive_map_key_size(m))
			continue;
		enum hive_map_type t = hive_map_get_type(m);
		if (t == HIVE_MAP_RINGBUF || t == HIVE_MAP_USER_RINGBUF || t == HIVE_MAP_PERF_EVENT_ARRAY)
			continue;
		err = tm_dump_map(obj, m, hive_object_map_name(om), 0, &dumps[n]);
		n += !err;
	}
	if (!err)
		fixture_dumps_write(f, dumps, n);
	for (size_t i = 0; i < n; i++)
		fixture_dump_free(dumps[i]);
	free(dumps);
	return err;
}

/* }===== */
