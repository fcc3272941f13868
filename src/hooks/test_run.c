/* BPF_PROG_TEST_RUN for hive: the entry point, what every type shares
 * (packet buffers below 4 GiB, context copy-in, result copy-out, the timed
 * loop), and the types without a packet (raw_tracepoint, syscall). The
 * packet types live in hook_xdp.c and hook_skb.c. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "hooks/hooks.h"
#include "maps/epoch.h"
#include "vm/vm.h"

_Thread_local struct hook_state *hook_cur;

#define offsetofend(T, F) (offsetof(T, F) + sizeof(((T *)0)->F))

/* {===== shared pieces */

static _Thread_local unsigned long hook_alloc_count, hook_alloc_fail_at;
static _Thread_local bool hook_alloc_sticky;

unsigned long hook_test_fail_alloc(unsigned long nth, bool sticky)
{
	unsigned long n = hook_alloc_count;
	hook_alloc_count = 0;
	hook_alloc_fail_at = nth;
	hook_alloc_sticky = sticky;
	return n;
}

bool hook_alloc_fails(void)
{
	hook_alloc_count++;
	return hook_alloc_fail_at && (hook_alloc_sticky ? hook_alloc_count >= hook_alloc_fail_at
							: hook_alloc_count == hook_alloc_fail_at);
}

/* One buffer kept per thread: mapping and unmapping a page per run cost
 * more than most programs (14 us of a 15 us XDP run). Reused buffers are
 * zeroed, as the kernel's test-run allocates zeroed ones. */
static _Thread_local uint8_t *hook_buf_cache;

uint8_t *hook_buf_alloc(void)
{
	if (hook_alloc_fails())
		return NULL;
	if (hook_buf_cache) {
		uint8_t *b = hook_buf_cache;
		hook_buf_cache = NULL;
		memset(b, 0, HOOK_PAGE);
		return b;
	}
	return hook_map_low(HOOK_PAGE);
}

uint8_t *hook_map_low(size_t size)
{
	void *p;
#ifdef MAP_32BIT
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
#else
	/* no MAP_32BIT: ask for a low address and check that we got one */
	p = mmap((void *)(uintptr_t)0x10000000, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
#endif
	if (p == MAP_FAILED)
		return NULL;
	if ((uintptr_t)p + size > UINT32_MAX) {
		munmap(p, size);
		return NULL;
	}
	return p;
}

void hook_buf_free(uint8_t *buf)
{
	if (buf && !hook_buf_cache)
		hook_buf_cache = buf;
	else if (buf)
		munmap(buf, HOOK_PAGE);
}

void hook_buf_release(uint8_t *buf, size_t size)
{
	if (!size || size == HOOK_PAGE)
		hook_buf_free(buf);
	else if (buf)
		munmap(buf, size);
}

int hook_refuse(struct hive_test_run_opts *o, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->errmsg, sizeof(o->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

struct hook_state *hook_ctx(struct hive_run *run, uint64_t r1, enum hook_kind kind, const char *helper)
{
	struct hook_state *st = hook_cur;
	if (st && st->kind == kind && r1 == (uintptr_t)st->ctx)
		return st;
	char msg[160];
	snprintf(msg, sizeof msg, "helper %s: r1 (0x%llx) is not the context of a%s test run", helper,
		 (unsigned long long)r1, kind == HOOK_XDP ? "n xdp" : " socket buffer");
	hive_run_abort(run, -EINVAL, msg);
	return NULL;
}

void hook_pkt_moved(struct hive_run *run, struct hook_state *st)
{
	struct hive_region *r = &st->regions[st->pkt_region];
	uintptr_t old_start = (uintptr_t)r->ptr, old_end = old_start + r->size;
	uint8_t *start = st->kind == HOOK_XDP ? st->data_meta : st->data;
	r->ptr = start;
	r->size = (size_t)(st->data_end - start);
	if (run && run->prog->mode == HIVE_EXEC_CHECKED) {
		for (uint32_t i = 0; i < run->nregions; i++) {
			struct vm_region *v = &run->regions[i];
			if (v->start == old_start && v->end == old_end) {
				v->start = (uintptr_t)start;
				v->end = (uintptr_t)st->data_end;
				break;
			}
		}
	}
	if (st->kind == HOOK_SKB) {
		st->skb.data = st->skb.data_meta = (uint32_t)(uintptr_t)st->data;
		st->skb.data_end = (uint32_t)(uintptr_t)st->data_end;
		st->skb.len = (uint32_t)(st->data_end - st->data);
		if (run) /* LD_ABS/LD_IND read the packet as it is now */
			vm_set_pkt(run, st->data, st->skb.len);
	}
	if (st->kind == HOOK_XDP) {
		if (st->data_meta < st->head_low)
			st->head_low = st->data_meta;
		st->xdp.data = (uint32_t)(uintptr_t)st->data;
		st->xdp.data_meta = (uint32_t)(uintptr_t)st->data_meta;
		st->xdp.data_end = (uint32_t)(uintptr_t)st->data_end;
	}
}

int hook_ctx_init(struct hive_test_run_opts *o, void *ctx, size_t size, const char *what)
{
	memset(ctx, 0, size);
	if (!o->ctx_in)
		return 0;
	if (o->ctx_size_in > size) {
		if (o->ctx_size_in > HOOK_PAGE)
			return hook_refuse(o, -E2BIG, "%s: ctx_size_in %u is more than a page", what, o->ctx_size_in);
		const uint8_t *p = o->ctx_in;
		for (size_t i = size; i < o->ctx_size_in; i++)
			if (p[i])
				return hook_refuse(o, -E2BIG, "%s: ctx_in byte %zu is past the context (%zu bytes) and not 0",
						   what, i, size);
	}
	memcpy(ctx, o->ctx_in, o->ctx_size_in < size ? o->ctx_size_in : size);
	return 0;
}

int hook_data_finish(struct hive_test_run_opts *o, const void *data, uint32_t size)
{
	int err = 0;
	uint32_t copy = size;
	if (o->data_size_out && copy > o->data_size_out) {
		copy = o->data_size_out;
		err = hook_refuse(o, -ENOSPC, "data_out: %u bytes do not fit in data_size_out %u", size, o->data_size_out);
	}
	if (o->data_out && copy)
		memcpy(o->data_out, data, copy);
	o->data_size_out = size;
	return err;
}

int hook_ctxout_finish(struct hive_test_run_opts *o, const void *ctx, uint32_t size)
{
	if (!o->ctx_out)
		return 0;
	int err = 0;
	uint32_t copy = size;
	if (copy > o->ctx_size_out) {
		copy = o->ctx_size_out;
		err = hook_refuse(o, -ENOSPC, "ctx_out: %u bytes do not fit in ctx_size_out %u", size, o->ctx_size_out);
	}
	memcpy(o->ctx_out, ctx, copy);
	o->ctx_size_out = size;
	return err;
}

static uint64_t test_run_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Run @repeat times (0: once) with the state's context and regions; the
 * last run's r0 in o->retval, the mean time in o->duration. */
static int test_run_loop(const struct hive_prog *prog, struct hive_test_run_opts *o, struct hook_state *st,
			 bool ctx_readonly, uint32_t repeat)
{
	if (!repeat)
		repeat = 1;
	struct hook_state *saved = hook_cur;
	hook_cur = st;
	/* Set up once for all the runs: clearing the options (errmsg and all)
	 * and entering the maps' read-side section (a store and a full fence)
	 * per run cost as much as a short program; hive_prog_run's own enter
	 * nests inside this one. */
	HIVE_OPTS(hive_run_opts, ro, .mem = st->ctx, .mem_size = st->ctx_size, .mem_readonly = ctx_readonly,
		  .use_jit = o->use_jit, .regions = st->regions, .nregions = st->nregions);
	if (st->kind == HOOK_SKB) {
		ro.pkt = st->data;
		ro.pkt_size = (size_t)(st->data_end - st->data);
	}
	bool maps = prog->uses_maps;
	if (maps)
		epoch_enter();
	uint64_t t0 = test_run_now();
	uint32_t i;
	int err = 0;
	for (i = 0; i < repeat && !err; i++) {
		if (st->kind == HOOK_SKB) /* skb helpers may have moved the packet */
			ro.pkt = st->data, ro.pkt_size = (size_t)(st->data_end - st->data);
		err = hive_prog_run(prog, &ro);
	}
	uint64_t spent = test_run_now() - t0;
	if (maps)
		epoch_exit();
	o->retval = (uint32_t)ro.retval;
	if (err) {
		o->fault_pc = ro.fault_pc;
		snprintf(o->errmsg, sizeof(o->errmsg), "%s",
			 ro.errmsg[0] ? ro.errmsg : err == -ENOEXEC ? "the program is not JIT-compiled" : "run failed");
	}
	hook_cur = saved;
	spent /= i;
	o->duration = spent > UINT32_MAX ? UINT32_MAX : (uint32_t)spent;
	return err;
}

/* }===== */

/* {===== types without a packet */

static int test_run_raw_tp(const struct hive_prog *prog, struct hive_test_run_opts *o)
{
	if (o->data_in || o->data_out || o->ctx_out || o->repeat)
		return hook_refuse(o, -EINVAL, "raw_tracepoint: data_in, data_out, ctx_out and repeat must be unset");
	if (o->flags)
		return hook_refuse(o, -EINVAL, "raw_tracepoint: flags 0x%x: none supported", o->flags);
	if (o->ctx_size_in > 12 * sizeof(uint64_t))
		return hook_refuse(o, -EINVAL, "raw_tracepoint: ctx_size_in %u is more than 12 arguments", o->ctx_size_in);
	if (o->ctx_size_in && !o->ctx_in)
		return hook_refuse(o, -EFAULT, "raw_tracepoint: ctx_size_in %u without ctx_in", o->ctx_size_in);
	if (o->ctx_size_in < prog->max_ctx_offset)
		return hook_refuse(o, -EINVAL, "raw_tracepoint: ctx_size_in %u: the program reads %u bytes of arguments",
				   o->ctx_size_in, prog->max_ctx_offset);
	uint64_t args[12] = {0};
	if (o->ctx_size_in)
		memcpy(args, o->ctx_in, o->ctx_size_in);
	/* never NULL: a trusted program unverified by hive reads zeros past ctx_size_in */
	struct hook_state st = {.kind = HOOK_NONE, .type = o->prog_type, .ctx = args, .ctx_size = o->ctx_size_in};
	int err = test_run_loop(prog, o, &st, true, 1);
	o->duration = 0; /* the kernel does not time these */
	return err;
}

static int test_run_syscall(const struct hive_prog *prog, struct hive_test_run_opts *o)
{
	if (o->data_in || o->data_out || o->ctx_out || o->repeat)
		return hook_refuse(o, -EINVAL, "syscall: data_in, data_out, ctx_out and repeat must be unset");
	if (o->flags)
		return hook_refuse(o, -EINVAL, "syscall: flags 0x%x: none supported", o->flags);
	if (o->ctx_size_in > UINT16_MAX)
		return hook_refuse(o, -EINVAL, "syscall: ctx_size_in %u is more than 65535", o->ctx_size_in);
	if (o->ctx_size_in && !o->ctx_in)
		return hook_refuse(o, -EFAULT, "syscall: ctx_size_in %u without ctx_in", o->ctx_size_in);
	if (o->ctx_size_in < prog->max_ctx_offset)
		return hook_refuse(o, -EINVAL, "syscall: ctx_size_in %u: the program uses %u bytes of context",
				   o->ctx_size_in, prog->max_ctx_offset);
	void *ctx = NULL;
	if (o->ctx_size_in) {
		if (hook_alloc_fails() || !(ctx = malloc(o->ctx_size_in)))
			return hook_refuse(o, -ENOMEM, "syscall: no memory for a context of %u bytes", o->ctx_size_in);
		memcpy(ctx, o->ctx_in, o->ctx_size_in);
	}
	struct hook_state st = {.kind = HOOK_NONE, .type = o->prog_type, .ctx = ctx, .ctx_size = o->ctx_size_in};
	int err = test_run_loop(prog, o, &st, false, 1);
	o->duration = 0;
	/* as the kernel: the context goes back where it came from */
	if (!err && ctx)
		memcpy((void *)(uintptr_t)o->ctx_in, ctx, o->ctx_size_in);
	free(ctx);
	return err;
}

/* Types the kernel cannot test-run (it runs them at their probe or event):
 * kprobe/uprobe (struct pt_regs), perf_event (struct bpf_perf_event_data)
 * and tracepoint (the event's record). The context is ctx_in, zero-padded
 * to @size bytes and read-only; a tracepoint's record is ctx_size_in
 * bytes, which must cover what the program reads, as the kernel checks at
 * attach. */
static int test_run_tracing(const struct hive_prog *prog, struct hive_test_run_opts *o, const char *what,
			    uint32_t size, bool sized_by_input)
{
	if (o->data_in || o->data_out || o->ctx_out)
		return hook_refuse(o, -EINVAL, "%s: data_in, data_out and ctx_out must be unset", what);
	if (o->flags)
		return hook_refuse(o, -EINVAL, "%s: flags 0x%x: none supported", what, o->flags);
	if (o->ctx_size_in > size)
		return hook_refuse(o, -EINVAL, "%s: ctx_size_in %u is more than the context's %u bytes", what,
				   o->ctx_size_in, size);
	if (o->ctx_size_in && !o->ctx_in)
		return hook_refuse(o, -EFAULT, "%s: ctx_size_in %u without ctx_in", what, o->ctx_size_in);
	if (sized_by_input && o->ctx_size_in < prog->max_ctx_offset)
		return hook_refuse(o, -EINVAL, "%s: ctx_size_in %u: the program reads %u bytes of the record", what,
				   o->ctx_size_in, prog->max_ctx_offset);
	uint8_t *ctx = NULL;
	if (hook_alloc_fails() || !(ctx = calloc(1, size)))
		return hook_refuse(o, -ENOMEM, "%s: no memory for a context of %u bytes", what, size);
	if (o->ctx_size_in)
		memcpy(ctx, o->ctx_in, o->ctx_size_in);
	struct hook_state st = {.kind = HOOK_NONE, .type = o->prog_type, .ctx = ctx,
				.ctx_size = sized_by_input ? o->ctx_size_in : size};
	int err = test_run_loop(prog, o, &st, true, o->repeat);
	free(ctx);
	return err;
}

/* }===== */

/* {===== packet types */

static int test_run_xdp(const struct hive_prog *prog, struct hive_test_run_opts *o)
{
	struct hook_state st;
	struct xdp_md user;
	int err = hook_xdp_prepare(o, &st, &user);
	if (err)
		return err;
	err = test_run_loop(prog, o, &st, true, o->repeat);
	if (!err)
		err = hook_xdp_finish(o, &st, &user, o->ctx_in || o->ctx_out);
	hook_xdp_frags_free(&st);
	hook_buf_release(st.buf, st.buf_size);
	return err;
}

static int test_run_skb(const struct hive_prog *prog, struct hive_test_run_opts *o)
{
	struct hook_state st;
	struct __sk_buff user;
	bool has_user = o->ctx_in || o->ctx_out;
	int err = hook_skb_prepare(o, &st, &user, has_user);
	if (err)
		return err;
	err = test_run_loop(prog, o, &st, true, o->repeat);
	if (!err)
		err = hook_skb_finish(o, &st, &user, has_user);
	hook_buf_release(st.buf, st.buf_size);
	return err;
}

/* }===== */

HIVE_API int hive_prog_test_run(const struct hive_prog *prog, struct hive_test_run_opts *opts)
{
	if (!prog || !opts || opts->sz < offsetofend(struct hive_test_run_opts, errmsg))
		return -EINVAL;
	opts->errmsg[0] = '\0';
	opts->retval = 0;
	opts->duration = 0;
	opts->fault_pc = 0;
	if (opts->data_size_in && !opts->data_in)
		return hook_refuse(opts, -EFAULT, "data_size_in %u without data_in", opts->data_size_in);
	switch (opts->prog_type) {
	case HIVE_PROG_XDP:
		return test_run_xdp(prog, opts);
	case HIVE_PROG_SOCKET_FILTER:
	case HIVE_PROG_SCHED_CLS:
	case HIVE_PROG_SCHED_ACT:
	case HIVE_PROG_CGROUP_SKB:
	case HIVE_PROG_LWT_IN:
	case HIVE_PROG_LWT_OUT:
	case HIVE_PROG_LWT_XMIT:
		return test_run_skb(prog, opts);
	case HIVE_PROG_RAW_TRACEPOINT:
		return test_run_raw_tp(prog, opts);
	case HIVE_PROG_SYSCALL:
		return test_run_syscall(prog, opts);
	case HIVE_PROG_KPROBE:
		return test_run_tracing(prog, opts, "kprobe", 21 * 8, false);
	case HIVE_PROG_PERF_EVENT:
		return test_run_tracing(prog, opts, "perf_event", 21 * 8 + 16, false);
	case HIVE_PROG_TRACEPOINT:
		return test_run_tracing(prog, opts, "tracepoint", 8192, true);
	case HIVE_PROG_UNSPEC:
		return hook_refuse(opts, -EINVAL, "test run: no program type");
	default:
		return hook_refuse(opts, -EOPNOTSUPP, "test run: program type %d is not supported", (int)opts->prog_type);
	}
}

HIVE_API int hive_program_test_run(const struct hive_program *prog, struct hive_test_run_opts *opts)
{
	if (!prog || !opts || opts->sz < offsetofend(struct hive_test_run_opts, errmsg))
		return -EINVAL;
	struct hive_prog *p = hive_program_prog(prog);
	if (!p)
		return hook_refuse(opts, -ENOENT, "test run: program '%s' is not loaded", hive_program_name(prog));
	enum hive_prog_type saved = opts->prog_type;
	if (opts->prog_type == HIVE_PROG_UNSPEC)
		opts->prog_type = hive_program_type(prog);
	int err = hive_prog_test_run(p, opts);
	opts->prog_type = saved;
	return err;
}

HIVE_API int hive_hook_helpers_install(struct hive_env *env)
{
	static const struct {
		uint32_t id;
		const char *name;
		hive_helper_fn fn;
	} helpers[] = {
		{BPF_FUNC_skb_store_bytes, "skb_store_bytes", hook_skb_store_bytes},
		{BPF_FUNC_l3_csum_replace, "l3_csum_replace", hook_l3_csum_replace},
		{BPF_FUNC_l4_csum_replace, "l4_csum_replace", hook_l4_csum_replace},
		{BPF_FUNC_skb_load_bytes, "skb_load_bytes", hook_skb_load_bytes},
		{BPF_FUNC_redirect, "redirect", hook_redirect},
		{BPF_FUNC_xdp_adjust_head, "xdp_adjust_head", hook_xdp_adjust_head},
		{BPF_FUNC_xdp_adjust_meta, "xdp_adjust_meta", hook_xdp_adjust_meta},
		{BPF_FUNC_xdp_adjust_tail, "xdp_adjust_tail", hook_xdp_adjust_tail},
		{BPF_FUNC_xdp_get_buff_len, "xdp_get_buff_len", hook_xdp_get_buff_len},
		{BPF_FUNC_xdp_load_bytes, "xdp_load_bytes", hook_xdp_load_bytes},
		{BPF_FUNC_xdp_store_bytes, "xdp_store_bytes", hook_xdp_store_bytes},
		{BPF_FUNC_skb_change_tail, "skb_change_tail", hook_skb_change_tail},
		{BPF_FUNC_skb_change_head, "skb_change_head", hook_skb_change_head},
		{BPF_FUNC_skb_adjust_room, "skb_adjust_room", hook_skb_adjust_room},
		{BPF_FUNC_skb_vlan_push, "skb_vlan_push", hook_skb_vlan_push},
		{BPF_FUNC_skb_vlan_pop, "skb_vlan_pop", hook_skb_vlan_pop},
		{BPF_FUNC_skb_change_proto, "skb_change_proto", hook_skb_change_proto},
		{BPF_FUNC_skb_change_type, "skb_change_type", hook_skb_change_type},
		{BPF_FUNC_skb_pull_data, "skb_pull_data", hook_skb_pull_data},
		{BPF_FUNC_skb_load_bytes_relative, "skb_load_bytes_relative", hook_skb_load_bytes_relative},
		{BPF_FUNC_csum_update, "csum_update", hook_csum_update},
		{BPF_FUNC_csum_level, "csum_level", hook_csum_level},
		{BPF_FUNC_set_hash, "set_hash", hook_set_hash},
		{BPF_FUNC_set_hash_invalid, "set_hash_invalid", hook_set_hash_invalid},
		{BPF_FUNC_get_hash_recalc, "get_hash_recalc", hook_get_hash_recalc},
		{BPF_FUNC_skb_ecn_set_ce, "skb_ecn_set_ce", hook_skb_ecn_set_ce},
		{BPF_FUNC_get_cgroup_classid, "get_cgroup_classid", hook_skb_no_classid},
		{BPF_FUNC_get_route_realm, "get_route_realm", hook_skb_no_classid},
	};
	if (!env)
		return -EINVAL;
	for (size_t i = 0; i < sizeof helpers / sizeof *helpers; i++) {
		int err = hive_env_set_helper(env, helpers[i].id, helpers[i].name, helpers[i].fn);
		if (err)
			return err;
	}
	return 0;
}
