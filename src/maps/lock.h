/* A 4-byte spinlock, for writers only (readers of maps never lock). It is
 * also the layout of struct bpf_spin_lock, so the spin_lock helper uses it
 * on the word inside a map value. Spins, then yields: user space can be
 * preempted while holding it, unlike the kernel with interrupts off. */
#ifndef HIVE_MAPS_LOCK_H
#define HIVE_MAPS_LOCK_H

#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

static inline void lock_spin(_Atomic uint32_t *l)
{
	unsigned spins = 0;
	while (atomic_exchange_explicit(l, 1, memory_order_acquire)) {
		while (atomic_load_explicit(l, memory_order_relaxed)) {
			if (++spins > 64) {
				sched_yield();
				spins = 0;
			}
		}
	}
}

static inline void lock_unspin(_Atomic uint32_t *l)
{
	atomic_store_explicit(l, 0, memory_order_release);
}

#endif
