/* Ring buffer and perf event output helpers (the rings are
 * src/maps/map_ringbuf.c; perf event arrays hold ring buffers). */
#include "helpers/helpers.h"
#include "maps/map.h"
#include "vm/vm.h"

/* Checked runs: submit/discard only what reserve handed out, once. */
static bool helper_sample_ok(struct hive_run *run, void *sample)
{
	if (!helper_mem_ok(run, sample, 1, true, "ringbuf sample"))
		return false;
	if (run && run->prog->mode != HIVE_EXEC_TRUSTED && !ringbuf_is_reserved_sample(sample)) {
		hive_run_abort(run, -EFAULT, "helper: not a reserved ring buffer sample (or committed twice)");
		return false;
	}
	return true;
}

HELPER(ringbuf_output)
{
	(void)r5;
	struct hive_map *map = (struct hive_map *)(uintptr_t)r1;
	const void *data = (const void *)(uintptr_t)r2;
	if (!map || !helper_map_live(run, map))
		return 0;
	if (map->type != HIVE_MAP_RINGBUF) {
		hive_run_abort(run, -EINVAL, "helper: ringbuf_output needs a ringbuf map");
		return 0;
	}
	if (!helper_mem_ok(run, data, r3, false, "ringbuf data"))
		return 0;
	return (uint64_t)ringbuf_output(map, data, r3, r4);
}

HELPER(ringbuf_reserve)
{
	(void)r4, (void)r5;
	struct hive_map *map = (struct hive_map *)(uintptr_t)r1;
	if (!map || !helper_map_live(run, map))
		return 0;
	if (map->type != HIVE_MAP_RINGBUF) {
		hive_run_abort(run, -EINVAL, "helper: ringbuf_reserve needs a ringbuf map");
		return 0;
	}
	void *p = ringbuf_reserve(map, r2, r3);
	helper_allow(run, p, r2, true);
	return (uintptr_t)p;
}

HELPER(ringbuf_submit)
{
	(void)r3, (void)r4, (void)r5;
	if (!r1) {
		hive_run_abort(run, -EINVAL, "helper: ringbuf_submit of NULL");
		return 0;
	}
	if (!helper_sample_ok(run, (void *)(uintptr_t)r1))
		return 0;
	ringbuf_commit((void *)(uintptr_t)r1, r2, false);
	return 0;
}

HELPER(ringbuf_discard)
{
	(void)r3, (void)r4, (void)r5;
	if (!r1) {
		hive_run_abort(run, -EINVAL, "helper: ringbuf_discard of NULL");
		return 0;
	}
	if (!helper_sample_ok(run, (void *)(uintptr_t)r1))
		return 0;
	ringbuf_commit((void *)(uintptr_t)r1, r2, true);
	return 0;
}

HELPER(ringbuf_query)
{
	(void)r3, (void)r4, (void)r5;
	struct hive_map *map = (struct hive_map *)(uintptr_t)r1;
	if (!map) {
		hive_run_abort(run, -EINVAL, "helper: ringbuf_query of NULL");
		return 0;
	}
	if (!helper_map_live(run, map))
		return 0;
	return ringbuf_query(map, r2);
}

/* perf_event_output(ctx, map, flags, data, size): ctx is not used */
HELPER(perf_event_output)
{
	(void)r1;
	struct hive_map *map = (struct hive_map *)(uintptr_t)r2;
	const void *data = (const void *)(uintptr_t)r4;
	if (!map || !helper_map_live(run, map))
		return 0;
	if (!helper_mem_ok(run, data, r5, false, "perf_event_output data"))
		return 0;
	return (uint64_t)perf_event_output(map, r3, data, r5);
}
