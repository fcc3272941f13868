/* Uprobes for tests/uprobe/target.c: counts and sums of hive_target_add's
 * arguments and return values, the greeting read from the process's
 * memory, who called. Attached with hive uprobe --prog NAME=TARGET:FUNC. */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[32]);
} greeting SEC(".maps");

enum { CALLS, ARG_SUM, RETS, RET_SUM, TGID, FUNC_IP };

static __always_inline void add(__u32 k, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&stats, &k);
	if (p)
		__sync_fetch_and_add(p, v);
}

SEC("uprobe")
int on_add(struct pt_regs *ctx)
{
	add(CALLS, 1);
	add(ARG_SUM, (__u32)PT_REGS_PARM1(ctx) + (__u32)PT_REGS_PARM2(ctx));
	__u32 k = FUNC_IP;
	__u64 ip = bpf_get_func_ip(ctx);
	bpf_map_update_elem(&stats, &k, &ip, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int on_add_ret(struct pt_regs *ctx)
{
	add(RETS, 1);
	add(RET_SUM, (__u32)PT_REGS_RC(ctx));
	return 0;
}

SEC("uprobe")
int on_greet(struct pt_regs *ctx)
{
	__u32 k = 0;
	char *g = bpf_map_lookup_elem(&greeting, &k);
	if (!g)
		return 0;
	bpf_probe_read_user_str(g, 32, (const void *)PT_REGS_PARM1(ctx));
	__u32 t = TGID;
	__u64 tgid = bpf_get_current_pid_tgid() >> 32;
	bpf_map_update_elem(&stats, &t, &tgid, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
