/* Tracing: events to a ring buffer, counters in .bss, .kconfig externs. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event {
	__u32 pid;
	__u64 ts;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

__u64 n_open;   /* .bss */
__u64 n_exec;
__u64 n_fail;

extern unsigned int LINUX_KERNEL_VERSION __attribute__((section(".kconfig")));
extern int CONFIG_HZ __attribute__((section(".kconfig"), weak));
extern _Bool CONFIG_BPF_SYSCALL __attribute__((section(".kconfig")));

static __noinline int emit(__u32 pid)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		n_fail++;
		return 0;
	}
	e->pid = CONFIG_BPF_SYSCALL ? pid : 0;
	e->ts = bpf_ktime_get_ns() + CONFIG_HZ + LINUX_KERNEL_VERSION;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 1;
}

SEC("kprobe/do_sys_openat2")
int trace_open(void *ctx)
{
	n_open++;
	return emit(bpf_get_current_pid_tgid() >> 32);
}

SEC("tracepoint/syscalls/sys_enter_execve")
int trace_exec(void *ctx)
{
	n_exec++;
	return emit(bpf_get_current_pid_tgid() >> 32);
}

SEC("uprobe")
int trace_uprobe(void *ctx)
{
	return 0;
}

SEC("uretprobe/libc.so.6:malloc")
int trace_uretprobe(void *ctx)
{
	return 0;
}

SEC("raw_tp/sched_switch")
int trace_raw(void *ctx)
{
	return 0;
}

SEC("fentry/do_unlinkat")
int trace_fentry(void *ctx)
{
	return 0;
}

SEC("usdt/./app:provider:probe")
int trace_usdt(void *ctx)
{
	return 0;
}

SEC("perf_event")
int trace_perf(void *ctx)
{
	return 0;
}

SEC("syscall")
int run_syscall(void *ctx)
{
	return 0;
}

SEC("?socket")
int off_by_default(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
__u32 _version SEC("version") = 0x050f00;
