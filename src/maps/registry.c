/* The live maps: a sorted array of map pointers, replaced copy-on-write
 * under a mutex and read without locks (epoch-protected). It answers two
 * questions: "is this u64 a live map?" (helpers in checked runs, where r1
 * comes from an unverified program) and "which map has id N?" (map-in-map
 * values are map ids through the user API, where Linux uses fds). */
#include "maps/registry.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "maps/epoch.h"
#include "maps/map.h"
#include "maps/mapmem.h"

struct registry_entry {
	struct hive_map *map;
	_Atomic bool dead;   /* removed in place when a smaller table could not be allocated */
};

struct registry_table {
	struct epoch_node rcu;
	size_t n;
	struct registry_entry e[]; /* sorted by address, dead entries dropped on the next copy */
};

static struct registry_table *_Atomic registry_live;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic uint32_t registry_next_id = 1;

static void registry_free_rcu(struct epoch_node *n)
{
	mapmem_free((char *)n - offsetof(struct registry_table, rcu));
}

/* index of the first entry >= p */
static size_t registry_find(const struct registry_table *t, uintptr_t p)
{
	size_t lo = 0, hi = t ? t->n : 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if ((uintptr_t)t->e[mid].map < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A copy of the live table with @add inserted (if not NULL) and @drop and
 * dead entries left out. Called with registry_lock held. */
static int registry_copy(struct hive_map *add, struct hive_map *drop)
{
	struct registry_table *old = atomic_load(&registry_live);
	size_t n = old ? old->n : 0, nn = 0;
	for (size_t i = 0; i < n; i++)
		nn += !atomic_load(&old->e[i].dead) && old->e[i].map != drop;
	nn += add != NULL;
	struct registry_table *t = NULL;
	if (nn) {
		t = mapmem_alloc(sizeof *t + nn * sizeof t->e[0]);
		if (!t)
			return -ENOMEM;
		size_t j = 0;
		bool placed = add == NULL;
		for (size_t i = 0; i < n; i++) {
			struct hive_map *m = old->e[i].map;
			if (atomic_load(&old->e[i].dead) || m == drop)
				continue;
			if (!placed && (uintptr_t)add < (uintptr_t)m) {
				t->e[j++].map = add;
				placed = true;
			}
			t->e[j++].map = m;
		}
		if (!placed)
			t->e[j++].map = add;
		t->n = j;
	}
	atomic_store_explicit(&registry_live, t, memory_order_release);
	if (old)
		epoch_retire(&old->rcu, registry_free_rcu);
	return 0;
}

int registry_add(struct hive_map *map)
{
	map->id = atomic_fetch_add(&registry_next_id, 1);
	pthread_mutex_lock(&registry_lock);
	int err = registry_copy(map, NULL);
	pthread_mutex_unlock(&registry_lock);
	return err;
}

void registry_remove(struct hive_map *map)
{
	pthread_mutex_lock(&registry_lock);
	struct registry_table *t = atomic_load(&registry_live);
	size_t at = registry_find(t, (uintptr_t)map);
	/* dead first: readers stop seeing it even if the copy fails */
	for (; t && at < t->n && t->e[at].map == map; at++)
		atomic_store(&t->e[at].dead, true);
	(void)registry_copy(NULL, map);
	pthread_mutex_unlock(&registry_lock);
}

bool registry_is_live(const void *p)
{
	epoch_enter();
	const struct registry_table *t = atomic_load_explicit(&registry_live, memory_order_acquire);
	bool live = false;
	for (size_t at = registry_find(t, (uintptr_t)p); t && at < t->n && (const void *)t->e[at].map == p; at++)
		live |= !atomic_load_explicit(&t->e[at].dead, memory_order_acquire);
	epoch_exit();
	return live;
}

struct hive_map *registry_by_id(uint32_t id)
{
	struct hive_map *found = NULL;
	epoch_enter();
	const struct registry_table *t = atomic_load_explicit(&registry_live, memory_order_acquire);
	for (size_t i = 0; t && i < t->n; i++)
		if (!atomic_load(&t->e[i].dead) && t->e[i].map->id == id) {
			found = t->e[i].map;
			break;
		}
	epoch_exit();
	return found;
}

struct hive_map *registry_find_if(bool (*pred)(struct hive_map *map, const void *arg), const void *arg)
{
	struct hive_map *found = NULL;
	epoch_enter();
	const struct registry_table *t = atomic_load_explicit(&registry_live, memory_order_acquire);
	for (size_t i = 0; t && i < t->n && !found; i++)
		if (!atomic_load(&t->e[i].dead) && pred(t->e[i].map, arg))
			found = t->e[i].map;
	epoch_exit();
	return found;
}
