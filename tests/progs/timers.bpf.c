/* bpf timers, compared with the kernel (test_timers_kernel): "arm" takes
 * the key in the packet's first byte and the delay in ms in the second,
 * initialises the element's timer (twice: the second is -EBUSY), sets the
 * callback and starts it; the callback counts, records its key and what
 * cancelling its own timer returns (-EDEADLK). "cancel" cancels the
 * timer of the key in the first byte. The values are then read from user
 * space after a sleep, since timers fire asynchronously. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CLOCK_MONOTONIC 1

struct elem {
	__u64 fired;
	struct bpf_timer t;
	__s64 cb_cancel;
	__u32 key;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct elem);
} timers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct elem);
} htimers SEC(".maps");

static int timer_cb(void *map, __u32 *key, struct elem *e)
{
	__sync_fetch_and_add(&e->fired, 1);
	e->key = *key;
	e->cb_cancel = bpf_timer_cancel(&e->t);
	return 0;
}

/* -init1 | -init2 << 8 | -set << 16 | -start << 24 */
static int arm(void *map, __u32 key, __u64 ms)
{
	struct elem *e = bpf_map_lookup_elem(map, &key);
	if (!e)
		return -1;
	long a = bpf_timer_init(&e->t, map, CLOCK_MONOTONIC);
	long b = bpf_timer_init(&e->t, map, CLOCK_MONOTONIC);
	long c = bpf_timer_set_callback(&e->t, timer_cb);
	long d = bpf_timer_start(&e->t, ms * 1000000, 0);
	return (int)((-a & 0xff) | (-b & 0xff) << 8 | (-c & 0xff) << 16 | (-d & 0xff) << 24);
}

SEC("xdp")
int arm_array(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	if (data + 2 > end)
		return 0;
	__u8 *p = data;
	return arm(&timers, p[0], p[1]);
}

SEC("xdp")
int arm_hash(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	if (data + 2 > end)
		return 0;
	__u8 *p = data;
	__u32 key = p[0];
	struct elem zero = {};
	bpf_map_update_elem(&htimers, &key, &zero, BPF_NOEXIST);
	return arm(&htimers, key, p[1]);
}

SEC("xdp")
int cancel(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	if (data + 2 > end)
		return 0;
	__u8 *p = data;
	__u32 key = p[0];
	struct elem *e = bpf_map_lookup_elem(&timers, &key);
	if (!e)
		return -1;
	return (int)bpf_timer_cancel(&e->t);
}

char LICENSE[] SEC("license") = "GPL";
