/* The built-in helpers as data: id -> implementation, and their
 * installation into an environment. */
#include "opts.h"
#include "helpers/helpers.h"

#include <errno.h>
#include <stdio.h>

#include "helpers/proto.h"
#include "maps/registry.h"
#include "vm/vm.h"

HELPER(map_lookup_elem); HELPER(map_update_elem); HELPER(map_delete_elem);
HELPER(map_push_elem); HELPER(map_pop_elem); HELPER(map_peek_elem);
HELPER(map_lookup_percpu_elem);
HELPER(probe_read); HELPER(probe_read_str);
HELPER(ktime_get_ns); HELPER(ktime_get_boot_ns); HELPER(ktime_get_coarse_ns); HELPER(ktime_get_tai_ns);
HELPER(jiffies64);
HELPER(trace_printk); HELPER(snprintf); HELPER(trace_vprintk);
HELPER(get_prandom_u32); HELPER(get_smp_processor_id); HELPER(get_numa_node_id);
HELPER(get_current_pid_tgid); HELPER(get_current_uid_gid); HELPER(get_current_comm);
HELPER(get_func_ip); HELPER(get_attach_cookie);
HELPER(csum_diff); HELPER(strtol); HELPER(strtoul); HELPER(strncmp);
HELPER(ringbuf_output); HELPER(ringbuf_reserve); HELPER(ringbuf_submit); HELPER(ringbuf_discard);
HELPER(ringbuf_query);
HELPER(spin_lock); HELPER(spin_unlock); HELPER(perf_event_output);
HELPER(loop); HELPER(for_each_map_elem);
HELPER(user_ringbuf_drain); HELPER(dynptr_read); HELPER(dynptr_write); HELPER(dynptr_data);
HELPER(timer_init); HELPER(timer_set_callback); HELPER(timer_start); HELPER(timer_cancel);

struct helper_impl {
	uint32_t id;
	hive_helper_fn fn;
};

static const struct helper_impl helper_impls[] = {
	{1, helper_map_lookup_elem},
	{2, helper_map_update_elem},
	{3, helper_map_delete_elem},
	{4, helper_probe_read},
	{5, helper_ktime_get_ns},
	{6, helper_trace_printk},
	{7, helper_get_prandom_u32},
	{8, helper_get_smp_processor_id},
	{12, vm_helper_tail_call},
	{14, helper_get_current_pid_tgid},
	{15, helper_get_current_uid_gid},
	{16, helper_get_current_comm},
	{25, helper_perf_event_output},
	{28, helper_csum_diff},
	{42, helper_get_numa_node_id},
	{45, helper_probe_read_str},
	{87, helper_map_push_elem},
	{88, helper_map_pop_elem},
	{89, helper_map_peek_elem},
	{93, helper_spin_lock},
	{94, helper_spin_unlock},
	{105, helper_strtol},
	{106, helper_strtoul},
	{112, helper_probe_read},       /* probe_read_user */
	{113, helper_probe_read},       /* probe_read_kernel: one address space here */
	{114, helper_probe_read_str},   /* probe_read_user_str */
	{115, helper_probe_read_str},   /* probe_read_kernel_str */
	{118, helper_jiffies64},
	{125, helper_ktime_get_boot_ns},
	{130, helper_ringbuf_output},
	{131, helper_ringbuf_reserve},
	{132, helper_ringbuf_submit},
	{133, helper_ringbuf_discard},
	{134, helper_ringbuf_query},
	{160, helper_ktime_get_coarse_ns},
	{164, helper_for_each_map_elem},
	{165, helper_snprintf},
	{169, helper_timer_init},
	{170, helper_timer_set_callback},
	{171, helper_timer_start},
	{172, helper_timer_cancel},
	{173, helper_get_func_ip},
	{174, helper_get_attach_cookie},
	{177, helper_trace_vprintk},
	{181, helper_loop},
	{182, helper_strncmp},
	{195, helper_map_lookup_percpu_elem},
	{201, helper_dynptr_read},
	{202, helper_dynptr_write},
	{203, helper_dynptr_data},
	{208, helper_ktime_get_tai_ns},
	{209, helper_user_ringbuf_drain},
};

hive_helper_fn helpers_builtin(uint32_t id)
{
	for (size_t i = 0; i < sizeof helper_impls / sizeof *helper_impls; i++)
		if (helper_impls[i].id == id)
			return helper_impls[i].fn;
	return NULL;
}

/* {===== the print sink: process-wide, helpers have no context of their own */

static void helper_print_stderr(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	fprintf(stderr, "%.*s", (int)len, line);
}

static hive_print_fn helper_print_fn = helper_print_stderr;
static void *helper_print_ctx;

void helper_print_emit(const char *line, size_t len)
{
	hive_print_fn fn = __atomic_load_n(&helper_print_fn, __ATOMIC_ACQUIRE);
	fn(__atomic_load_n(&helper_print_ctx, __ATOMIC_RELAXED), line, len);
}

/* }===== */

HIVE_API int hive_helpers_install(struct hive_env *env, const struct hive_helpers_opts *opts)
{
	if (!env || !opts_valid(opts, sizeof(*opts)))
		return -EINVAL;
	hive_print_fn print = opts && opts->sz > offsetof(struct hive_helpers_opts, print) ? opts->print : NULL;
	void *ctx = opts && opts->sz > offsetof(struct hive_helpers_opts, print_ctx) ? opts->print_ctx : NULL;
	if (print) {
		__atomic_store_n(&helper_print_ctx, ctx, __ATOMIC_RELAXED);
		__atomic_store_n(&helper_print_fn, print, __ATOMIC_RELEASE);
	}
	for (size_t i = 0; i < sizeof helper_impls / sizeof *helper_impls; i++) {
		const struct helper_proto *p = helper_proto(helper_impls[i].id);
		int err = hive_env_set_helper(env, helper_impls[i].id, p ? p->name : NULL, helper_impls[i].fn);
		if (err)
			return err;
	}
	return 0;
}

/* {===== argument checks for checked runs */

bool helper_mem_ok(struct hive_run *run, const void *p, uint64_t size, bool write, const char *what)
{
	if (!run || run->prog->mode == HIVE_EXEC_TRUSTED || !size)
		return true;
	if (size <= UINT32_MAX && vm_access_ok(run, (uintptr_t)p, (unsigned)size, write))
		return true;
	char msg[128];
	snprintf(msg, sizeof msg, "helper: %s %p (%llu bytes) is not %s memory of this run", what, p,
		 (unsigned long long)size, write ? "writable" : "readable");
	hive_run_abort(run, -EFAULT, msg);
	return false;
}

bool helper_map_live(struct hive_run *run, const void *map)
{
	if (!run || run->prog->mode == HIVE_EXEC_TRUSTED || registry_is_live(map))
		return true;
	char msg[96];
	snprintf(msg, sizeof msg, "helper: %p is not a live map", map);
	hive_run_abort(run, -EFAULT, msg);
	return false;
}

void helper_allow(struct hive_run *run, void *p, uint64_t size, bool write)
{
	if (!run || !p || run->prog->mode == HIVE_EXEC_TRUSTED)
		return;
	if (hive_run_allow(run, p, size, write))
		hive_run_abort(run, -E2BIG, "helper: too many memory regions opened in one run");
}

/* }===== */
