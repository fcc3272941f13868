/* Epoch-based reclamation for map memory that lock-free readers may hold.
 * See epoch.c for the scheme. */
#ifndef HIVE_MAPS_EPOCH_H
#define HIVE_MAPS_EPOCH_H

#include <stdbool.h>
#include <stdint.h>

/* Embedded in every object freed through epoch_retire (like rcu_head). */
struct epoch_node {
	struct epoch_node *next;
	uint64_t epoch;
	void (*fn)(struct epoch_node *node);
};

/* Read side: nestable, per thread, never blocks on writers (the first call
 * of a thread registers it, once). While inside, nothing retired can be freed. */
void epoch_enter(void);
void epoch_exit(void);
bool epoch_in_critical(void);

/* Write side: @node's object is unlinked (unreachable for new readers);
 * call node->fn = @fn once every reader that might still see it has left. */
void epoch_retire(struct epoch_node *node, void (*fn)(struct epoch_node *));
/* Free what can be freed now of what this thread and exited threads
 * retired; never waits.  (A live thread frees its own as it retires more.) */
void epoch_reclaim(void);
/* Wait until everything this thread and exited threads retired so far is
 * freed (tests, teardown).  Inside a read-side section: one try. */
void epoch_barrier(void);
/* Objects retired but not yet freed, all threads. */
unsigned long epoch_pending(void);

#endif
