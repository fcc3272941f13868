/* Epoch-based reclamation (EBR) — how a value pointer stays valid.
 *
 * A program's map_lookup_elem returns a pointer into a map element. Readers
 * never take a lock: they walk bucket lists with acquire loads. A writer that
 * removes or replaces an element unlinks it under its bucket lock, then hands
 * it to epoch_retire() instead of freeing it. The element is freed only once
 * no thread can still hold a pointer to it:
 *
 *  - a global epoch counter E;
 *  - every thread that reads maps has a record {epoch, active}; epoch_enter()
 *    publishes (E, active) with a seq_cst store + fence, epoch_exit() clears
 *    active; sections nest (only the outermost one publishes);
 *  - epoch_retire() tags the object with the current E and puts it on a
 *    limbo list;
 *  - E may advance from e to e+1 only when every active thread has
 *    published e; so once E >= tag + 2, every thread active now entered
 *    after the object was unlinked and cannot have seen it: it is freed.
 *
 * The read-side section must cover the whole program run for the pointer
 * to stay valid while the program uses it: hive_prog_run brackets runs with
 * epoch_enter/epoch_exit (and the map helpers enter one themselves, so a
 * helper called outside a run is still safe for its own duration). The user
 * API (hive_map_*) enters its own section around each call.
 *
 * Costs: enter/exit are two stores and a fence, no lock (a thread's first
 * enter takes the registry mutex once to register). Retire takes the limbo
 * mutex for a push (writers already serialise on bucket locks) and every 32
 * retires tries to advance and free. The limbo is three lists, one per
 * epoch modulo 3 (E is never more than 2 ahead of what is left in them), so
 * freeing takes whole lists and never scans. A thread that stays inside a section holds back
 * reclamation (memory grows), never correctness.
 */
#include "maps/epoch.h"
#include "maps/lock.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>

struct epoch_thread {
	_Atomic uint64_t state;      /* epoch << 1 | active */
	unsigned nest;               /* owner only */
	bool registered;
	struct epoch_thread *next;   /* registry, under epoch_reg_lock */
	struct epoch_thread **pprev;
};

static _Atomic uint64_t epoch_global = 2;
static pthread_mutex_t epoch_reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct epoch_thread *epoch_threads;
static pthread_key_t epoch_key;
static pthread_once_t epoch_once = PTHREAD_ONCE_INIT;
static _Thread_local struct epoch_thread epoch_self;

/* a spinlock: held for a few stores, by writers that already spin on bucket locks */
static _Atomic uint32_t epoch_limbo_lock;
/* limbo[e % 3]: retired in epoch limbo_epoch[e % 3] (0: empty) */
static struct epoch_node *epoch_limbo[3];
static uint64_t epoch_limbo_epoch[3];
static unsigned long epoch_limbo_len;
static unsigned epoch_retires;

/* Thread exit: leave the registry (the record is in TLS, about to vanish). */
static void epoch_thread_exit(void *arg)
{
	struct epoch_thread *t = arg;
	pthread_mutex_lock(&epoch_reg_lock);
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	t->registered = false;
	pthread_mutex_unlock(&epoch_reg_lock);
}

static void epoch_init_key(void)
{
	/* failure leaves threads registered forever: harmless for the main thread */
	(void)pthread_key_create(&epoch_key, epoch_thread_exit);
}

static void epoch_register(struct epoch_thread *t)
{
	pthread_once(&epoch_once, epoch_init_key);
	pthread_mutex_lock(&epoch_reg_lock);
	t->next = epoch_threads;
	if (t->next)
		t->next->pprev = &t->next;
	t->pprev = &epoch_threads;
	epoch_threads = t;
	t->registered = true;
	pthread_mutex_unlock(&epoch_reg_lock);
	(void)pthread_setspecific(epoch_key, t);
}

void epoch_enter(void)
{
	struct epoch_thread *t = &epoch_self;
	if (t->nest++)
		return;
	if (!t->registered)
		epoch_register(t);
	uint64_t e = atomic_load_explicit(&epoch_global, memory_order_relaxed);
	atomic_store(&t->state, e << 1 | 1);
	atomic_thread_fence(memory_order_seq_cst);
}

void epoch_exit(void)
{
	struct epoch_thread *t = &epoch_self;
	if (--t->nest)
		return;
	atomic_store_explicit(&t->state, 0, memory_order_release);
}

bool epoch_in_critical(void)
{
	return epoch_self.nest > 0;
}

/* Advance E if every active thread has seen it. */
static void epoch_try_advance(void)
{
	uint64_t e = atomic_load(&epoch_global);
	pthread_mutex_lock(&epoch_reg_lock);
	for (struct epoch_thread *t = epoch_threads; t; t = t->next) {
		uint64_t s = atomic_load(&t->state);
		if ((s & 1) && (s >> 1) != e) {
			pthread_mutex_unlock(&epoch_reg_lock);
			return;
		}
	}
	pthread_mutex_unlock(&epoch_reg_lock);
	atomic_compare_exchange_strong(&epoch_global, &e, e + 1);
}

/* Called with epoch_limbo_lock held: take the lists old enough to free
 * (retired two epochs ago or earlier) into one list. */
static struct epoch_node *epoch_collect(void)
{
	uint64_t e = atomic_load(&epoch_global);
	struct epoch_node *out = NULL;
	for (int i = 0; i < 3; i++) {
		if (!epoch_limbo[i] || epoch_limbo_epoch[i] + 2 > e)
			continue;
		struct epoch_node *n = epoch_limbo[i];
		while (n) {
			struct epoch_node *next = n->next;
			n->next = out;
			out = n;
			epoch_limbo_len--;
			n = next;
		}
		epoch_limbo[i] = NULL;
	}
	return out;
}

static void epoch_run(struct epoch_node *list)
{
	while (list) {
		struct epoch_node *next = list->next;
		list->fn(list);
		list = next;
	}
}

void epoch_reclaim(void)
{
	epoch_try_advance();
	lock_spin(&epoch_limbo_lock);
	struct epoch_node *done = epoch_collect();
	lock_unspin(&epoch_limbo_lock);
	epoch_run(done);
}

void epoch_retire(struct epoch_node *node, void (*fn)(struct epoch_node *))
{
	node->fn = fn;
	struct epoch_node *old = NULL;
	lock_spin(&epoch_limbo_lock);
	uint64_t e = atomic_load(&epoch_global);
	unsigned slot = (unsigned)(e % 3);
	if (epoch_limbo_epoch[slot] != e) {
		/* the list there is from e - 3 or earlier: free it */
		if (epoch_limbo[slot])
			old = epoch_collect();
		epoch_limbo_epoch[slot] = e;
	}
	node->epoch = e;
	node->next = epoch_limbo[slot];
	epoch_limbo[slot] = node;
	epoch_limbo_len++;
	bool now = (++epoch_retires & 31) == 0;
	lock_unspin(&epoch_limbo_lock);
	epoch_run(old);
	if (now)
		epoch_reclaim();
}

unsigned long epoch_pending(void)
{
	lock_spin(&epoch_limbo_lock);
	unsigned long n = epoch_limbo_len;
	lock_unspin(&epoch_limbo_lock);
	return n;
}

void epoch_barrier(void)
{
	if (epoch_in_critical()) {
		epoch_reclaim();
		return;
	}
	while (epoch_pending()) {
		epoch_reclaim();
		if (epoch_pending())
			sched_yield();
	}
}
