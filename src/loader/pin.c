/* Map pinning in user space. The kernel keeps a pinned map alive in bpffs
 * under a path, and libbpf, loading an object whose map says
 * `__uint(pinning, LIBBPF_PIN_BY_NAME)`, reuses the map pinned at
 * "<pin_root_path>/<map name>" (default root "/sys/fs/bpf") when its
 * definition is compatible, else fails; a map it creates it pins there.
 * hive has no bpffs: pins live in a process-wide registry keyed by path,
 * so two objects loaded in one process share such a map.
 *
 * Lifetime: an entry holds the map while it is pinned or while an object
 * map uses it (users); whichever ends last frees it. A load that fails
 * unpins what it pinned, as libbpf does. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"

struct pin_entry {
	char *path;
	struct hive_map *map;
	uint32_t type, key_size, value_size, max_entries, map_flags;
	uint64_t map_extra;
	unsigned users;        /* object maps using it */
	bool pinned;           /* reachable by path */
	struct pin_entry *next;
};

static pthread_mutex_t pin_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pin_entry *pin_head;

/* The pinned entry at @path, or NULL. Under pin_lock. */
static struct pin_entry *pin_find(const char *path)
{
	for (struct pin_entry *e = pin_head; e; e = e->next)
		if (e->pinned && strcmp(e->path, path) == 0)
			return e;
	return NULL;
}

/* Free @e if nothing holds it any more. Under pin_lock. */
static void pin_maybe_free(struct pin_entry *e)
{
	if (e->users || e->pinned)
		return;
	for (struct pin_entry **pp = &pin_head; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	hive_map_free(e->map);
	free(e->path);
	free(e);
}

/* m->pin_path for a map pinned by name, set once. */
static int pin_default_path(struct hive_object_map *m)
{
	if (m->pin_path)
		return 0;
	const char *root = m->obj->pin_root_path ? m->obj->pin_root_path : "/sys/fs/bpf";
	char buf[PATH_MAX];
	int n = snprintf(buf, sizeof(buf), "%s/%s", root, m->name);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return ldr_err(&m->obj->log, -ENAMETOOLONG, "load: map '%s': pin path %s/%s is too long", m->name, root,
			       m->name);
	m->pin_path = ldr_strdup(buf);
	return m->pin_path ? 0 : -ENOMEM;
}

/* Does pinned @e fit @m's definition? Names the first difference. */
static int pin_check_compat(const struct pin_entry *e, const struct hive_object_map *m, struct ldr_log *log)
{
#define PIN_CMP(field)                                                                                           \
	if (e->field != m->field)                                                                                \
		return ldr_err(log, -EINVAL, "load: map '%s': " LDR_E_PIN_MISMATCH " %s: " #field " %llu, the map here %llu", \
			       m->name, e->path, (unsigned long long)e->field, (unsigned long long)m->field);
	PIN_CMP(type)
	PIN_CMP(key_size)
	PIN_CMP(value_size)
	PIN_CMP(max_entries)
	PIN_CMP(map_flags)
	PIN_CMP(map_extra)
#undef PIN_CMP
	return 0;
}

/* Take @e for @m. Under pin_lock. */
static void pin_use(struct pin_entry *e, struct hive_object_map *m)
{
	e->users++;
	m->pin = e;
	m->map = e->map;
	m->pin_reused = true;
}

/* Slots of these hold programs or maps without a reference (map_of_maps.c):
 * a pin would let them outlive what they point to. */
static bool pin_holds_refs(uint32_t type)
{
	return type == HIVE_MAP_PROG_ARRAY || type == HIVE_MAP_ARRAY_OF_MAPS || type == HIVE_MAP_HASH_OF_MAPS;
}

int pin_map_reuse(struct hive_object_map *m, struct ldr_log *log)
{
	if (!m->pinning)
		return 0;
	if (pin_holds_refs(m->type))
		return ldr_err(log, -EOPNOTSUPP,
			       "load: map '%s': " LDR_E_PIN_REFS " (its slots would outlive the programs or maps they hold)",
			       m->name);
	int err = pin_default_path(m);
	if (err)
		return err;
	pthread_mutex_lock(&pin_lock);
	struct pin_entry *e = pin_find(m->pin_path);
	if (e) {
		err = pin_check_compat(e, m, log);
		if (!err) {
			pin_use(e, m);
			err = 1;
		}
	}
	pthread_mutex_unlock(&pin_lock);
	return err;
}

/* Pin @m->map at @path: a new entry, used by @m. Under pin_lock. */
static int pin_add(struct hive_object_map *m, const char *path)
{
	struct pin_entry *e = ldr_calloc(1, sizeof(*e));
	char *p = ldr_strdup(path);
	if (!e || !p) {
		free(e);
		free(p);
		return -ENOMEM;
	}
	*e = (struct pin_entry){.path = p, .map = m->map, .type = m->type, .key_size = m->key_size,
				.value_size = m->value_size, .max_entries = m->max_entries, .map_flags = m->map_flags,
				.map_extra = m->map_extra, .users = 1, .pinned = true, .next = pin_head};
	pin_head = e;
	m->pin = e;
	return 0;
}

int pin_map_created(struct hive_object_map *m, struct ldr_log *log)
{
	if (!m->pinning)
		return 0;
	pthread_mutex_lock(&pin_lock);
	int err;
	struct pin_entry *e = pin_find(m->pin_path);
	if (e) {
		/* another thread pinned one meanwhile: use it, as libbpf retries */
		err = pin_check_compat(e, m, log);
		if (!err) {
			hive_map_free(m->map);
			pin_use(e, m);
		}
	} else {
		err = pin_add(m, m->pin_path);
		m->pin_created = !err;
	}
	pthread_mutex_unlock(&pin_lock);
	if (err == -ENOMEM)
		ldr_logf(log, "load: map '%s': out of memory", m->name);
	return err;
}

bool pin_map_release(struct hive_object_map *m)
{
	struct pin_entry *e = m->pin;
	if (!e)
		return false;
	pthread_mutex_lock(&pin_lock);
	/* a failed load takes its pins back */
	if (m->pin_created && !m->obj->loaded)
		e->pinned = false;
	e->users--;
	pin_maybe_free(e);
	pthread_mutex_unlock(&pin_lock);
	m->pin = NULL;
	m->map = NULL;
	m->pin_reused = m->pin_created = false;
	return true;
}

/* {===== API */

const char *hive_object_map_pin_path(const struct hive_object_map *map)
{
	if (!map)
		return NULL;
	if (!map->pin_path && map->pinning)
		pin_default_path((struct hive_object_map *)map);
	return map->pin_path;
}

int hive_object_map_pin(struct hive_object_map *map, const char *path)
{
	if (!map || !map->map)
		return -EINVAL;
	if (pin_holds_refs(map->type))
		return -EOPNOTSUPP;
	if (!path) {
		path = hive_object_map_pin_path(map);
		if (!path)
			return -EINVAL;
	}
	if (strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	int err = 0;
	pthread_mutex_lock(&pin_lock);
	struct pin_entry *e = pin_find(path);
	if (e)
		err = e->map == map->map ? 0 : -EEXIST;
	else if (map->pin && map->pin->pinned)
		err = -EBUSY; /* already pinned under another path */
	else if (map->pin) {
		/* pinned once, then unpinned: pin the same entry again */
		char *p = ldr_strdup(path);
		if (!p)
			err = -ENOMEM;
		else {
			free(map->pin->path);
			map->pin->path = p;
			map->pin->pinned = true;
		}
	} else {
		err = pin_add(map, path);
	}
	pthread_mutex_unlock(&pin_lock);
	if (!err && (!map->pin_path || strcmp(map->pin_path, path) != 0)) {
		char *p = ldr_strdup(path);
		if (p) {
			free(map->pin_path);
			map->pin_path = p;
		}
	}
	return err;
}

int hive_object_map_unpin(struct hive_object_map *map, const char *path)
{
	if (!map)
		return -EINVAL;
	if (!path)
		path = map->pin_path;
	if (!path)
		return -ENOENT;
	int err = 0;
	pthread_mutex_lock(&pin_lock);
	struct pin_entry *e = pin_find(path);
	if (!e || !map->map || e->map != map->map)
		err = -ENOENT;
	else {
		e->pinned = false;
		pin_maybe_free(e);
	}
	pthread_mutex_unlock(&pin_lock);
	return err;
}

/* }===== */
