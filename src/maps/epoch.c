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
 * Costs: enter/exit are a store and a fence, no lock (a thread's first
 * enter takes the registry mutex once to register). Retire pushes onto the
 * calling thread's own limbo, no lock; every 64 retires the thread tries
 * to advance E and frees its own lists that are old enough. A thread that
 * exits hands its limbo to a shared orphan list, which any reclaim frees. A thread that stays inside a section holds back
 * reclamation (memory grows), never correctness.
 */
#include "maps/epoch.h"
#include "maps/lock.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>

/* Retired objects by epoch: list[e % 3] was retired in epoch[e % 3] (E is
 * never more than 2 ahead of what is left in them), so freeing takes whole
 * lists and never scans.  A thread's own limbo is touched by that thread
 * only (no lock: a lock per retire was a tenth of a hash update); the
 * orphans' under their lock. */
struct epoch_limbo {
	_Atomic uint32_t lock;         /* the orphans only */
	struct epoch_node *list[3];
	struct epoch_node *tail[3];    /* the last node of list[i]: lists are spliced whole */
	unsigned long count[3];        /* nodes in list[i] */
	uint64_t epoch[3];
	_Atomic unsigned long len;     /* written by the owner, read by epoch_pending */
};

struct epoch_thread {
	_Atomic uint64_t state;      /* epoch << 1 | active */
	unsigned nest;               /* owner only */
	bool registered;
	unsigned retires;            /* owner only: every 64th tries to reclaim */
	struct epoch_limbo limbo;
	struct epoch_thread *next;   /* registry, under epoch_reg_lock */
	struct epoch_thread **pprev;
};

/* ThreadSanitizer models no fences (gcc refuses them under it): there the
 * section's entry is a seq_cst store, as TSan can follow. */
#if defined(__SANITIZE_THREAD__)
#define EPOCH_TSAN 1
static inline void epoch_fence(void) {}
#else
#define EPOCH_TSAN 0
static inline void epoch_fence(void)
{
	atomic_thread_fence(memory_order_seq_cst);
}
#endif

static _Atomic uint64_t epoch_global = 2;
static pthread_mutex_t epoch_reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct epoch_thread *epoch_threads;
static pthread_key_t epoch_key;
static pthread_once_t epoch_once = PTHREAD_ONCE_INIT;
static _Thread_local struct epoch_thread epoch_self;
/* what exited threads left in their limbo */
static struct epoch_limbo epoch_orphans;
static _Atomic unsigned long epoch_norphans;

/* Take @l's lists old enough to free (retired two epochs before @e or
 * earlier) onto @out; @l is locked. */
static struct epoch_node *limbo_collect(struct epoch_limbo *l, uint64_t e, struct epoch_node *out)
{
	/* whole lists onto @out without walking them: retired nodes are cold
	 * by now, and each is touched once anyway when it is freed */
	for (int i = 0; i < 3; i++) {
		if (!l->list[i] || l->epoch[i] + 2 > e)
			continue;
		l->tail[i]->next = out;
		out = l->list[i];
		atomic_store_explicit(&l->len, atomic_load_explicit(&l->len, memory_order_relaxed) - l->count[i],
				      memory_order_relaxed);
		l->list[i] = l->tail[i] = NULL;
		l->count[i] = 0;
	}
	return out;
}

/* Move all of @src into @dst (both locked); a list joining another of
 * the same slot keeps the later epoch, so nothing is freed early. */
static void limbo_move(struct epoch_limbo *dst, struct epoch_limbo *src)
{
	for (int i = 0; i < 3; i++) {
		if (!src->list[i])
			continue;
		src->tail[i]->next = dst->list[i];
		if (!dst->list[i])
			dst->tail[i] = src->tail[i];
		dst->list[i] = src->list[i];
		dst->count[i] += src->count[i];
		if (dst->epoch[i] < src->epoch[i])
			dst->epoch[i] = src->epoch[i];
		src->list[i] = src->tail[i] = NULL;
		src->count[i] = 0;
	}
	atomic_store_explicit(&dst->len, atomic_load_explicit(&dst->len, memory_order_relaxed) +
						 atomic_load_explicit(&src->len, memory_order_relaxed),
			      memory_order_relaxed);
	atomic_store_explicit(&src->len, 0, memory_order_relaxed);
}

/* Thread exit: hand the limbo to the orphans and leave the registry (the
 * record is in TLS, about to vanish). */
static void epoch_thread_exit(void *arg)
{
	struct epoch_thread *t = arg;
	pthread_mutex_lock(&epoch_reg_lock);
	lock_spin(&epoch_orphans.lock);
	atomic_fetch_add(&epoch_norphans, atomic_load(&t->limbo.len));
	limbo_move(&epoch_orphans, &t->limbo);
	lock_unspin(&epoch_orphans.lock);
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
	/* the fence orders the store before the section's loads (a seq_cst
	 * store as well would be a second full barrier, xchg then mfence) */
	atomic_store_explicit(&t->state, e << 1 | 1, EPOCH_TSAN ? memory_order_seq_cst : memory_order_relaxed);
	epoch_fence();
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

/* Advance E if every active thread has seen it.  @wait: take the registry
 * lock even when another thread holds it (writers on the hot path don't). */
static void epoch_try_advance(bool wait)
{
	/* pairs with epoch_enter's fence: an element unlinked before this
	 * point is not seen by a section whose entry we read as inactive */
	epoch_fence();
	uint64_t e = atomic_load(&epoch_global);
	if (wait)
		pthread_mutex_lock(&epoch_reg_lock);
	else if (pthread_mutex_trylock(&epoch_reg_lock))
		return;
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

static void epoch_run(struct epoch_node *list)
{
	while (list) {
		struct epoch_node *next = list->next;
		list->fn(list);
		list = next;
	}
}

/* What the orphans hold that can be freed, onto @out. */
static struct epoch_node *epoch_collect_orphans(uint64_t e, struct epoch_node *out)
{
	if (!atomic_load_explicit(&epoch_norphans, memory_order_relaxed))
		return out;
	lock_spin(&epoch_orphans.lock);
	unsigned long before = atomic_load(&epoch_orphans.len);
	out = limbo_collect(&epoch_orphans, e, out);
	atomic_fetch_sub(&epoch_norphans, before - atomic_load(&epoch_orphans.len));
	lock_unspin(&epoch_orphans.lock);
	return out;
}

/* Free what the calling thread retired and the orphans hold, where old
 * enough.  @wait: see epoch_try_advance. */
static void epoch_reclaim_self(bool wait)
{
	epoch_try_advance(wait);
	uint64_t e = atomic_load(&epoch_global);
	struct epoch_node *done = limbo_collect(&epoch_self.limbo, e, NULL);
	epoch_run(epoch_collect_orphans(e, done));
}

/* Other live threads' limbos are theirs: freed as they retire more, or
 * handed to the orphans when they exit. */
void epoch_reclaim(void)
{
	epoch_reclaim_self(true);
}

/* No shared lock: each writer thread keeps its own limbo (a shared one cost
 * a contended lock per hash update on two threads). */
void epoch_retire(struct epoch_node *node, void (*fn)(struct epoch_node *))
{
	struct epoch_thread *t = &epoch_self;
	if (!t->registered)
		epoch_register(t);
	node->fn = fn;
	struct epoch_limbo *l = &t->limbo;
	uint64_t e = atomic_load_explicit(&epoch_global, memory_order_acquire);
	unsigned slot = (unsigned)(e % 3);
	struct epoch_node *old = NULL;
	if (l->epoch[slot] != e) {
		/* the list there is from e - 3 or earlier: free it */
		if (l->list[slot])
			old = limbo_collect(l, e, NULL);
		l->epoch[slot] = e;
	}
	node->epoch = e;
	node->next = l->list[slot];
	if (!l->list[slot])
		l->tail[slot] = node;
	l->list[slot] = node;
	l->count[slot]++;
	atomic_store_explicit(&l->len, atomic_load_explicit(&l->len, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	epoch_run(old);
	if ((++t->retires & 63) == 0)
		epoch_reclaim_self(false);
}

/* What the calling thread and exited threads retired and is not freed. */
static unsigned long epoch_pending_mine(void)
{
	return atomic_load(&epoch_self.limbo.len) + atomic_load(&epoch_norphans);
}

unsigned long epoch_pending(void)
{
	unsigned long n = atomic_load(&epoch_norphans);
	pthread_mutex_lock(&epoch_reg_lock);
	for (struct epoch_thread *t = epoch_threads; t; t = t->next)
		n += atomic_load_explicit(&t->limbo.len, memory_order_relaxed);
	pthread_mutex_unlock(&epoch_reg_lock);
	return n;
}

void epoch_barrier(void)
{
	if (epoch_in_critical()) {
		epoch_reclaim();
		return;
	}
	while (epoch_pending_mine()) {
		epoch_reclaim();
		if (epoch_pending_mine())
			sched_yield();
	}
}
