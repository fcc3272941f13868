/* Helpers that call back into the program: bpf_loop and
 * bpf_for_each_map_elem. The callback runs nested on the same run
 * (vm_call_callback, vm.h); a fault inside it stops the run, and the
 * helper returns at once. bpf_tail_call is vm_helper_tail_call (vm.c),
 * since the engines finish it. */
#include "helpers/helpers.h"
#include "maps/map.h"
#include "vm/vm.h"

enum { HELPER_LOOP_MAX = 1 << 23 }; /* BPF_MAX_LOOPS */

/* bpf_loop(nr, callback, ctx, flags): callback(i, ctx) for i = 0.. until
 * it returns non-zero; the number of calls made, -E2BIG past 1 << 23
 * iterations, -EINVAL for flags. */
HELPER(loop)
{
	(void)r5;
	if (r4)
		return (uint64_t)-EINVAL;
	if (r1 > HELPER_LOOP_MAX)
		return (uint64_t)-E2BIG;
	for (uint64_t i = 0; i < r1; i++) {
		uint64_t ret = vm_call_callback(run, r2, i, r3, 0, 0, 0);
		if (run->err)
			return 0;
		if (ret) /* 0: continue, 1: stop */
			return i + 1;
	}
	return r1;
}

struct helper_each {
	struct hive_run *run;
	uint64_t fn, ctx;
};

static long helper_each_elem(struct hive_map *map, const void *key, void *value, void *arg)
{
	struct helper_each *e = arg;
	struct hive_run *run = e->run;
	/* checked runs: the callback may read the key and use the value, for
	 * the length of the call only */
	uint32_t nregions = run->nregions;
	bool checked = run->prog->mode != HIVE_EXEC_TRUSTED;
	if (checked) {
		if (run->nregions + 2 > VM_MAX_REGIONS) {
			hive_run_abort(run, -E2BIG, "for_each_map_elem: too many memory regions opened in one run");
			return 1;
		}
		run->regions[run->nregions++] = (struct vm_region){(uintptr_t)key, (uintptr_t)key + map->key_size, false};
		run->regions[run->nregions++] = (struct vm_region){
			(uintptr_t)value, (uintptr_t)value + map->value_size, !(map->map_flags & HIVE_F_RDONLY_PROG)};
	}
	uint64_t ret = vm_call_callback(run, e->fn, (uintptr_t)map, (uintptr_t)key, (uintptr_t)value, e->ctx, 0);
	if (checked)
		run->nregions = nregions;
	return run->err || ret ? 1 : 0;
}

/* bpf_for_each_map_elem(map, callback, ctx, flags): callback(map, key,
 * value, ctx) per element (this CPU's value of a per-CPU map) until it
 * returns non-zero; the number of elements visited, -EINVAL for flags or
 * a map type that cannot be iterated. */
HELPER(for_each_map_elem)
{
	(void)r5;
	struct hive_map *map = (struct hive_map *)(uintptr_t)r1;
	if (!map) {
		hive_run_abort(run, -EINVAL, "helper: NULL map");
		return 0;
	}
	if (!helper_map_live(run, map))
		return 0;
	struct helper_each e = {run, r2, r3};
	long n = map_prog_for_each(map, helper_each_elem, &e, r4);
	return run->err ? 0 : (uint64_t)n;
}
