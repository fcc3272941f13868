/* The verifier's timer rules, each program one case, loaded alone into
 * the kernel and into hive by test_timers_kernel (verdicts compared):
 * names starting "ok_" are accepted, "bad_" refused. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CLOCK_MONOTONIC 1

struct elem {
	__u64 n;
	struct bpf_timer t;
};

struct plain {
	__u64 a, b, c;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct elem);
} tmap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct elem);
} tmap2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct plain);
} pmap SEC(".maps");

static int cb_ok(void *map, __u32 *key, struct elem *e)
{
	e->n++;
	return 0;
}

static int cb_one(void *map, __u32 *key, struct elem *e)
{
	return 1;
}

static int cb_reads_past(void *map, __u32 *key, struct elem *e)
{
	return (int)((volatile __u64 *)e)[5] & 0;
}

static __always_inline struct elem *get(void)
{
	__u32 k = 0;
	return bpf_map_lookup_elem(&tmap, &k);
}

SEC("xdp")
int ok_all(struct xdp_md *ctx)
{
	struct elem *e = get();
	if (!e)
		return 0;
	bpf_timer_init(&e->t, &tmap, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&e->t, cb_ok);
	bpf_timer_start(&e->t, 1000, 0);
	bpf_timer_cancel(&e->t);
	return 1;
}

SEC("xdp")
int ok_hash(struct xdp_md *ctx)
{
	__u32 k = 1;
	struct elem *e = bpf_map_lookup_elem(&tmap2, &k);
	if (!e)
		return 0;
	bpf_timer_init(&e->t, &tmap2, CLOCK_MONOTONIC);
	return 1;
}

SEC("xdp")
int bad_offset(struct xdp_md *ctx)
{
	struct elem *e = get();
	if (!e)
		return 0;
	bpf_timer_init((struct bpf_timer *)&e->n, &tmap, CLOCK_MONOTONIC);
	return 1;
}

SEC("xdp")
int bad_no_timer(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct plain *p = bpf_map_lookup_elem(&pmap, &k);
	if (!p)
		return 0;
	bpf_timer_init((struct bpf_timer *)&p->b, &pmap, CLOCK_MONOTONIC);
	return 1;
}

SEC("xdp")
int bad_other_map(struct xdp_md *ctx)
{
	struct elem *e = get();
	if (!e)
		return 0;
	bpf_timer_init(&e->t, &tmap2, CLOCK_MONOTONIC);
	return 1;
}

/* an array looked up with a key known to be 0 cannot miss: no NULL check needed */
SEC("xdp")
int ok_array_key0(struct xdp_md *ctx)
{
	struct elem *e = get();
	bpf_timer_start(&e->t, 1000, 0);
	return 1;
}

/* a hash lookup can */
SEC("xdp")
int bad_null(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct elem *e = bpf_map_lookup_elem(&tmap2, &k);
	bpf_timer_start(&e->t, 1000, 0);
	return 1;
}

/* key 1 of an array: the kernel tracks only zero and 8-byte-aligned constant keys */
SEC("xdp")
int bad_array_key1_unaligned(struct xdp_md *ctx)
{
	__u32 k = 1;
	struct elem *e = bpf_map_lookup_elem(&tmap, &k);
	bpf_timer_start(&e->t, 1000, 0);
	return 1;
}

SEC("xdp")
int bad_stack(struct xdp_md *ctx)
{
	struct bpf_timer t = {};
	bpf_timer_cancel(&t);
	return 1;
}

SEC("xdp")
int bad_cb_ret(struct xdp_md *ctx)
{
	struct elem *e = get();
	if (!e)
		return 0;
	bpf_timer_set_callback(&e->t, cb_one);
	return 1;
}

SEC("xdp")
int bad_cb_past(struct xdp_md *ctx)
{
	struct elem *e = get();
	if (!e)
		return 0;
	bpf_timer_set_callback(&e->t, cb_reads_past);
	return 1;
}

SEC("xdp")
int bad_var_offset(struct xdp_md *ctx)
{
	struct elem *e = get();
	if (!e)
		return 0;
	__u64 i = ctx->data_end & 8;
	bpf_timer_cancel((struct bpf_timer *)((char *)&e->t + i));
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
