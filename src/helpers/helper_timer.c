/* bpf timers: timer_init, timer_set_callback, timer_start, timer_cancel
 * (helpers 169..172) with the kernel's semantics (kernel/bpf/helpers.c).
 *
 * A struct bpf_timer is 16 bytes of a map value (map->timer_off).  hive
 * keeps the timer's state beside the value, not in it: a table keyed by
 * the value's address, under one lock.  So a program scribbling on the 16
 * bytes (checked mode lets it) can never make a helper follow a bad
 * pointer, and copies in and out of the value need no care.
 *
 * One timer thread per process, started by the first timer_start: a
 * min-heap of pending timers keyed by expiry (CLOCK_MONOTONIC), a condvar
 * wait until the earliest.  A timer that expires is taken off the heap and
 * its callback(map, key, value) runs on that thread as a fresh run of the
 * program that set the callback (its engine: JIT when set from JIT code),
 * inside an epoch section as a program run, without the lock, so the
 * callback may use every timer helper, its own timer's included.
 *
 * Freeing: deleting or replacing the element (timer_value_free) cancels
 * the timer and frees it, at once, or when its running callback returns
 * (the value itself stays valid meanwhile: the callback holds the epoch).
 * Freeing the map or the program waits for a running callback of theirs,
 * then cancels and frees their timers: no callback runs after
 * hive_map_free / hive_prog_free return. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "helpers/helpers.h"
#include "maps/epoch.h"
#include "maps/map.h"
#include "vm/vm.h"

enum {
	TIMER_F_ABS = 1,     /* BPF_F_TIMER_ABS */
	TIMER_F_CPU_PIN = 2, /* BPF_F_TIMER_CPU_PIN: one timer thread, accepted */
	TIMER_MAX_CLOCKS = 16,
};

struct timer {
	struct hive_map *map;
	uint8_t *addr;               /* the struct bpf_timer (in a map value) */
	struct timer *hnext;         /* table chain */
	struct timer *lprev, *lnext; /* all timers */
	const struct hive_prog *prog; /* set_callback's program, NULL: none yet */
	uint64_t cb;                 /* its callback reference */
	bool jit;                    /* set from a JIT run: fire on JIT code */
	bool running;                /* its callback runs on the timer thread */
	bool dead;                   /* freed while running: the thread frees it */
	int clock;
	int64_t heap;                /* index in the heap, -1: not pending */
	uint64_t expires;            /* CLOCK_MONOTONIC ns */
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake; /* the thread: the heap's top changed */
	pthread_cond_t done; /* waiters: a callback returned */
	bool cond_init, started;
	pthread_t thread;
	struct timer **table; /* by value address */
	size_t nbuckets, count;
	struct timer list;     /* sentinel of all timers */
	struct timer **heap;
	size_t nheap, heap_cap;
	struct timer *running; /* the timer whose callback runs now */
} T = {.lock = PTHREAD_MUTEX_INITIALIZER, .list = {.lprev = &T.list, .lnext = &T.list}};

static pthread_once_t timer_once = PTHREAD_ONCE_INIT;
static _Thread_local bool timer_on_thread;

static void timer_init_conds(void)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&T.wake, &a);
	pthread_cond_init(&T.done, NULL);
	pthread_condattr_destroy(&a);
}

static uint64_t timer_now(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* {===== the table: value address -> timer */

static size_t timer_hash(const void *value, size_t n)
{
	uint64_t x = (uintptr_t)value;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x & (n - 1);
}

static struct timer *timer_find(const void *value)
{
	if (!T.nbuckets)
		return NULL;
	for (struct timer *t = T.table[timer_hash(value, T.nbuckets)]; t; t = t->hnext)
		if (t->addr == value)
			return t;
	return NULL;
}

static int timer_table_add(struct timer *t)
{
	if (T.count + 1 > T.nbuckets) {
		size_t n = T.nbuckets ? T.nbuckets * 2 : 64;
		struct timer **nt = calloc(n, sizeof(*nt));
		if (!nt)
			return -ENOMEM;
		for (size_t i = 0; i < T.nbuckets; i++)
			for (struct timer *e = T.table[i], *next; e; e = next) {
				next = e->hnext;
				size_t h = timer_hash(e->addr, n);
				e->hnext = nt[h];
				nt[h] = e;
			}
		free(T.table);
		T.table = nt;
		T.nbuckets = n;
	}
	size_t h = timer_hash(t->addr, T.nbuckets);
	t->hnext = T.table[h];
	T.table[h] = t;
	T.count++;
	t->lnext = &T.list;
	t->lprev = T.list.lprev;
	T.list.lprev->lnext = t;
	T.list.lprev = t;
	return 0;
}

static void timer_table_remove(struct timer *t)
{
	struct timer **pp = &T.table[timer_hash(t->addr, T.nbuckets)];
	while (*pp != t)
		pp = &(*pp)->hnext;
	*pp = t->hnext;
	T.count--;
	t->lprev->lnext = t->lnext;
	t->lnext->lprev = t->lprev;
}

/* }===== */

/* {===== the heap, keyed by expiry */

static void heap_set(size_t i, struct timer *t)
{
	T.heap[i] = t;
	t->heap = (int64_t)i;
}

static void heap_up(size_t i)
{
	struct timer *t = T.heap[i];
	while (i) {
		size_t p = (i - 1) / 2;
		if (T.heap[p]->expires <= t->expires)
			break;
		heap_set(i, T.heap[p]);
		i = p;
	}
	heap_set(i, t);
}

static void heap_down(size_t i)
{
	struct timer *t = T.heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= T.nheap)
			break;
		if (c + 1 < T.nheap && T.heap[c + 1]->expires < T.heap[c]->expires)
			c++;
		if (T.heap[c]->expires >= t->expires)
			break;
		heap_set(i, T.heap[c]);
		i = c;
	}
	heap_set(i, t);
}

static void heap_remove(struct timer *t)
{
	if (t->heap < 0)
		return;
	size_t i = (size_t)t->heap;
	t->heap = -1;
	struct timer *last = T.heap[--T.nheap];
	if (last == t)
		return;
	heap_set(i, last);
	heap_up(i);
	heap_down((size_t)last->heap);
}

static int heap_add(struct timer *t)
{
	if (T.nheap == T.heap_cap) {
		size_t n = T.heap_cap ? T.heap_cap * 2 : 64;
		struct timer **nh = realloc(T.heap, n * sizeof(*nh));
		if (!nh)
			return -ENOMEM;
		T.heap = nh;
		T.heap_cap = n;
	}
	T.heap[T.nheap] = t;
	t->heap = (int64_t)T.nheap++;
	heap_up((size_t)t->heap);
	return 0;
}

/* }===== */

/* {===== the timer thread */

static void timer_fire(struct timer *t)
{
	struct hive_map *map = t->map;
	uint8_t *value = t->addr - map->timer_off;
	uint32_t index = 0;
	const void *key;
	if (map->type == HIVE_MAP_ARRAY) {
		index = (uint32_t)map_array_index(map, value);
		key = &index;
	} else { /* hash elements keep the key right before the value */
		key = value - map_round8(map->key_size);
	}
	const struct hive_prog *prog = t->prog;
	uint64_t cb = t->cb, r0;
	bool jit = t->jit;
	pthread_mutex_unlock(&T.lock);

	struct vm_region regions[2] = {
		{(uintptr_t)key, (uintptr_t)key + map->key_size, false},
		{(uintptr_t)value, (uintptr_t)value + map->value_size, !(map->map_flags & HIVE_F_RDONLY_PROG)},
	};
	uint64_t args[5] = {(uintptr_t)map, (uintptr_t)key, (uintptr_t)value, 0, 0};
	epoch_enter();
	(void)vm_run_callback(prog, cb, jit, args, regions, 2, &r0, NULL, 0);
	epoch_exit();

	pthread_mutex_lock(&T.lock);
}

static void *timer_thread(void *arg)
{
	(void)arg;
	timer_on_thread = true;
	pthread_mutex_lock(&T.lock);
	for (;;) {
		if (!T.nheap) {
			pthread_cond_wait(&T.wake, &T.lock);
			continue;
		}
		struct timer *t = T.heap[0];
		uint64_t now = timer_now(CLOCK_MONOTONIC);
		if (t->expires > now) {
			struct timespec ts = {(time_t)(t->expires / 1000000000u), (long)(t->expires % 1000000000u)};
			pthread_cond_timedwait(&T.wake, &T.lock, &ts);
			continue;
		}
		heap_remove(t);
		t->running = true;
		T.running = t;
		timer_fire(t);
		t->running = false;
		T.running = NULL;
		if (t->dead)
			free(t);
		pthread_cond_broadcast(&T.done);
	}
	return NULL;
}

/* With the lock held. */
static int timer_start_thread(void)
{
	if (T.started)
		return 0;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	int err = pthread_create(&T.thread, &a, timer_thread, NULL);
	pthread_attr_destroy(&a);
	if (err)
		return -err;
	T.started = true;
	return 0;
}

/* }===== */

/* {===== freeing */

/* With the lock held: cancel @t and free it (or leave it to the thread). */
static void timer_release(struct timer *t)
{
	heap_remove(t);
	timer_table_remove(t);
	if (t->running)
		t->dead = true;
	else
		free(t);
}

void timer_value_free(struct hive_map *map, void *value)
{
	(void)map;
	pthread_mutex_lock(&T.lock);
	struct timer *t = timer_find((uint8_t *)value + map->timer_off);
	if (t)
		timer_release(t);
	pthread_mutex_unlock(&T.lock);
}

/* Wait until no callback of @map / @prog runs (the timer thread itself
 * never waits on its own callback). With the lock held. */
static void timer_wait_running(const struct hive_map *map, const struct hive_prog *prog)
{
	if (timer_on_thread)
		return;
	while (T.running && ((map && T.running->map == map) || (prog && T.running->prog == prog)))
		pthread_cond_wait(&T.done, &T.lock);
}

void timer_map_free(struct hive_map *map)
{
	pthread_once(&timer_once, timer_init_conds);
	pthread_mutex_lock(&T.lock);
	timer_wait_running(map, NULL);
	for (struct timer *t = T.list.lnext, *next; t != &T.list; t = next) {
		next = t->lnext;
		if (t->map == map)
			timer_release(t);
	}
	pthread_mutex_unlock(&T.lock);
}

void timer_prog_free(const struct hive_prog *prog)
{
	pthread_once(&timer_once, timer_init_conds);
	pthread_mutex_lock(&T.lock);
	if (T.count) {
		timer_wait_running(NULL, prog);
		/* as if the callback were never set: cancelled, start fails */
		for (struct timer *t = T.list.lnext; t != &T.list; t = t->lnext)
			if (t->prog == prog) {
				heap_remove(t);
				t->prog = NULL;
				t->cb = 0;
			}
	}
	pthread_mutex_unlock(&T.lock);
}

/* }===== */

/* {===== the helpers */

/* The timer of the bpf_timer at @p, or NULL (uninitialised). With the lock held. */
static struct timer *timer_of(uint64_t p)
{
	return timer_find((const void *)(uintptr_t)p);
}

/* bpf_timer_init(timer, map, flags): 0, -EINVAL (clock), -EBUSY (done
 * before), -EPERM (the map holds no timer there). */
HELPER(timer_init)
{
	(void)r4, (void)r5;
	struct hive_map *map = (struct hive_map *)(uintptr_t)r2;
	if (!map || !helper_map_live(run, map))
		return run && run->err ? 0 : (uint64_t)-EINVAL;
	if (!helper_mem_ok(run, (void *)(uintptr_t)r1, MAP_TIMER_SIZE, true, "timer_init: timer"))
		return 0;
	int clock = (int)(r3 & (TIMER_MAX_CLOCKS - 1));
	if (r3 >= TIMER_MAX_CLOCKS || (clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME && clock != CLOCK_BOOTTIME))
		return (uint64_t)-EINVAL;
	/* the timer must be the bpf_timer of a value of @map (the kernel's
	 * verifier proves it; here it is checked) */
	if (!map->has_timer || r1 < map->timer_off)
		return (uint64_t)-EPERM;
	uint8_t *value = (uint8_t *)(uintptr_t)(r1 - map->timer_off);
	if (map->type == HIVE_MAP_ARRAY) {
		if (map_array_index(map, value) < 0)
			return (uint64_t)-EPERM;
	} else if (map->ops->lookup(map, value - map_round8(map->key_size)) != value) {
		return (uint64_t)-EPERM;
	}
	pthread_once(&timer_once, timer_init_conds);
	pthread_mutex_lock(&T.lock);
	long ret = 0;
	if (timer_of(r1)) {
		ret = -EBUSY;
	} else {
		struct timer *t = calloc(1, sizeof(*t));
		if (!t) {
			ret = -ENOMEM;
		} else {
			t->map = map;
			t->addr = (uint8_t *)(uintptr_t)r1;
			t->clock = clock;
			t->heap = -1;
			if ((ret = timer_table_add(t)))
				free(t);
		}
	}
	pthread_mutex_unlock(&T.lock);
	return (uint64_t)ret;
}

/* bpf_timer_set_callback(timer, callback): 0, -EINVAL (not initialised). */
HELPER(timer_set_callback)
{
	(void)r3, (void)r4, (void)r5;
	if (!helper_mem_ok(run, (void *)(uintptr_t)r1, MAP_TIMER_SIZE, true, "timer_set_callback: timer"))
		return 0;
	if (!run || vm_func_ref_pc(run->prog, r2) < 0) {
		hive_run_abort(run, -EINVAL, "timer_set_callback: not a callback of this program");
		return 0;
	}
	pthread_once(&timer_once, timer_init_conds);
	pthread_mutex_lock(&T.lock);
	struct timer *t = timer_of(r1);
	long ret = 0;
	if (!t) {
		ret = -EINVAL;
	} else {
		t->prog = run->prog;
		t->cb = r2;
		t->jit = run->jit_ctx != NULL;
	}
	pthread_mutex_unlock(&T.lock);
	return (uint64_t)ret;
}

/* bpf_timer_start(timer, nsecs, flags): 0, -EINVAL (flags, not
 * initialised, no callback). */
HELPER(timer_start)
{
	(void)r4, (void)r5;
	if (!helper_mem_ok(run, (void *)(uintptr_t)r1, MAP_TIMER_SIZE, true, "timer_start: timer"))
		return 0;
	if (r3 & ~(uint64_t)(TIMER_F_ABS | TIMER_F_CPU_PIN))
		return (uint64_t)-EINVAL;
	pthread_once(&timer_once, timer_init_conds);
	pthread_mutex_lock(&T.lock);
	struct timer *t = timer_of(r1);
	long ret = 0;
	if (!t || !t->prog) {
		ret = -EINVAL;
		goto out;
	}
	uint64_t now = timer_now(CLOCK_MONOTONIC), delta;
	if (r3 & TIMER_F_ABS) {
		uint64_t cnow = t->clock == CLOCK_MONOTONIC ? now : timer_now(t->clock);
		delta = r2 > cnow ? r2 - cnow : 0;
	} else {
		delta = r2;
	}
	uint64_t expires = delta > UINT64_MAX - now ? UINT64_MAX : now + delta;
	if ((ret = timer_start_thread()))
		goto out;
	heap_remove(t);
	t->expires = expires;
	if ((ret = heap_add(t)))
		goto out;
	if (T.heap[0] == t)
		pthread_cond_signal(&T.wake);
out:
	pthread_mutex_unlock(&T.lock);
	return (uint64_t)ret;
}

/* bpf_timer_cancel(timer): 1 if it was pending, 0 if not, -EINVAL (not
 * initialised), -EDEADLK from its own callback.  Waits for a callback of
 * the timer running on the timer thread, as hrtimer_cancel does. */
HELPER(timer_cancel)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	if (!helper_mem_ok(run, (void *)(uintptr_t)r1, MAP_TIMER_SIZE, true, "timer_cancel: timer"))
		return 0;
	pthread_once(&timer_once, timer_init_conds);
	pthread_mutex_lock(&T.lock);
	struct timer *t = timer_of(r1);
	long ret;
	if (!t) {
		ret = -EINVAL;
	} else if (timer_on_thread && T.running == t) {
		ret = -EDEADLK;
	} else {
		ret = t->heap >= 0;
		heap_remove(t);
		/* wait for a running callback (another timer's callback never
		 * waits: there is one thread) */
		while (!timer_on_thread && T.running == t)
			pthread_cond_wait(&T.done, &T.lock);
	}
	pthread_mutex_unlock(&T.lock);
	return (uint64_t)ret;
}

/* }===== */
