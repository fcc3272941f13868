/* Section names -> program type and attach kind, as data.
 *
 * The names and their meaning follow libbpf's section table, so that an
 * object written for libbpf opens the same way.  A name with SEC_F_PREFIX
 * matches "name" exactly or "name/<target>"; any other name must match
 * exactly.  A leading '?' (SEC("?xdp")) means "do not load by default" and
 * is handled by the caller.  Earlier rows win: keep "xdp.frags/devmap"
 * before "xdp.frags", "tc/ingress" before "tc" and so on. */
#include <string.h>

#include "loader/loader.h"

#define P(name) HIVE_PROG_##name
#define A(name) HIVE_ATTACH_##name, true
#define NOA 0, false
#define PFX SEC_F_PREFIX
#define BTFA (SEC_F_PREFIX | SEC_F_ATTACH_BTF)
#define SLP SEC_F_SLEEPABLE

static const struct sec_def sec_defs[] = {
	{"socket", P(SOCKET_FILTER), NOA, 0},
	{"sk_reuseport/migrate", P(SK_REUSEPORT), A(SK_REUSEPORT_SELECT_OR_MIGRATE), 0},
	{"sk_reuseport", P(SK_REUSEPORT), A(SK_REUSEPORT_SELECT), 0},
	{"kprobe", P(KPROBE), NOA, PFX},
	{"uprobe", P(KPROBE), NOA, PFX},
	{"uprobe.s", P(KPROBE), NOA, PFX | SLP},
	{"kretprobe", P(KPROBE), NOA, PFX},
	{"uretprobe", P(KPROBE), NOA, PFX},
	{"uretprobe.s", P(KPROBE), NOA, PFX | SLP},
	{"kprobe.multi", P(KPROBE), A(TRACE_KPROBE_MULTI), PFX},
	{"kretprobe.multi", P(KPROBE), A(TRACE_KPROBE_MULTI), PFX},
	{"uprobe.multi", P(KPROBE), A(TRACE_UPROBE_MULTI), PFX},
	{"uretprobe.multi", P(KPROBE), A(TRACE_UPROBE_MULTI), PFX},
	{"uprobe.multi.s", P(KPROBE), A(TRACE_UPROBE_MULTI), PFX | SLP},
	{"uretprobe.multi.s", P(KPROBE), A(TRACE_UPROBE_MULTI), PFX | SLP},
	{"ksyscall", P(KPROBE), NOA, PFX},
	{"kretsyscall", P(KPROBE), NOA, PFX},
	{"usdt", P(KPROBE), NOA, PFX | SEC_F_USDT},
	{"usdt.s", P(KPROBE), NOA, PFX | SEC_F_USDT | SLP},
	{"tc/ingress", P(SCHED_CLS), A(TCX_INGRESS), 0},
	{"tc/egress", P(SCHED_CLS), A(TCX_EGRESS), 0},
	{"tcx/ingress", P(SCHED_CLS), A(TCX_INGRESS), 0},
	{"tcx/egress", P(SCHED_CLS), A(TCX_EGRESS), 0},
	{"tc", P(SCHED_CLS), NOA, 0},
	{"classifier", P(SCHED_CLS), NOA, 0},
	{"action", P(SCHED_ACT), NOA, 0},
	{"tracepoint", P(TRACEPOINT), NOA, PFX},
	{"tp", P(TRACEPOINT), NOA, PFX},
	{"tracepoint.s", P(TRACEPOINT), NOA, PFX | SLP},
	{"tp.s", P(TRACEPOINT), NOA, PFX | SLP},
	{"raw_tracepoint", P(RAW_TRACEPOINT), NOA, PFX},
	{"raw_tp", P(RAW_TRACEPOINT), NOA, PFX},
	{"raw_tracepoint.s", P(RAW_TRACEPOINT), NOA, PFX | SLP},
	{"raw_tp.s", P(RAW_TRACEPOINT), NOA, PFX | SLP},
	{"raw_tracepoint.w", P(RAW_TRACEPOINT_WRITABLE), NOA, PFX},
	{"raw_tp.w", P(RAW_TRACEPOINT_WRITABLE), NOA, PFX},
	{"tp_btf", P(TRACING), A(TRACE_RAW_TP), BTFA},
	{"tp_btf.s", P(TRACING), A(TRACE_RAW_TP), BTFA | SLP},
	{"fentry", P(TRACING), A(TRACE_FENTRY), BTFA},
	{"fmod_ret", P(TRACING), A(MODIFY_RETURN), BTFA},
	{"fexit", P(TRACING), A(TRACE_FEXIT), BTFA},
	{"fentry.s", P(TRACING), A(TRACE_FENTRY), BTFA | SLP},
	{"fmod_ret.s", P(TRACING), A(MODIFY_RETURN), BTFA | SLP},
	{"fexit.s", P(TRACING), A(TRACE_FEXIT), BTFA | SLP},
	{"freplace", P(EXT), NOA, BTFA},
	{"lsm", P(LSM), A(LSM_MAC), BTFA},
	{"lsm.s", P(LSM), A(LSM_MAC), BTFA | SLP},
	{"lsm_cgroup", P(LSM), A(LSM_CGROUP), BTFA},
	{"iter", P(TRACING), A(TRACE_ITER), BTFA},
	{"iter.s", P(TRACING), A(TRACE_ITER), BTFA | SLP},
	{"syscall", P(SYSCALL), NOA, SLP},
	{"xdp.frags/devmap", P(XDP), A(XDP_DEVMAP), SEC_F_XDP_FRAGS},
	{"xdp/devmap", P(XDP), A(XDP_DEVMAP), 0},
	{"xdp.frags/cpumap", P(XDP), A(XDP_CPUMAP), SEC_F_XDP_FRAGS},
	{"xdp/cpumap", P(XDP), A(XDP_CPUMAP), 0},
	{"xdp.frags", P(XDP), A(XDP), SEC_F_XDP_FRAGS},
	{"xdp", P(XDP), A(XDP), 0},
	{"perf_event", P(PERF_EVENT), NOA, 0},
	{"lwt_in", P(LWT_IN), NOA, 0},
	{"lwt_out", P(LWT_OUT), NOA, 0},
	{"lwt_xmit", P(LWT_XMIT), NOA, 0},
	{"lwt_seg6local", P(LWT_SEG6LOCAL), NOA, 0},
	{"sockops", P(SOCK_OPS), A(CGROUP_SOCK_OPS), 0},
	{"sk_skb/stream_parser", P(SK_SKB), A(SK_SKB_STREAM_PARSER), 0},
	{"sk_skb/stream_verdict", P(SK_SKB), A(SK_SKB_STREAM_VERDICT), 0},
	{"sk_skb/verdict", P(SK_SKB), A(SK_SKB_VERDICT), 0},
	{"sk_skb", P(SK_SKB), NOA, 0},
	{"sk_msg", P(SK_MSG), A(SK_MSG_VERDICT), 0},
	{"lirc_mode2", P(LIRC_MODE2), A(LIRC_MODE2), 0},
	{"flow_dissector", P(FLOW_DISSECTOR), A(FLOW_DISSECTOR), 0},
	{"cgroup_skb/ingress", P(CGROUP_SKB), A(CGROUP_INET_INGRESS), 0},
	{"cgroup_skb/egress", P(CGROUP_SKB), A(CGROUP_INET_EGRESS), 0},
	{"cgroup/skb", P(CGROUP_SKB), NOA, 0},
	{"cgroup/sock_create", P(CGROUP_SOCK), A(CGROUP_INET_SOCK_CREATE), 0},
	{"cgroup/sock_release", P(CGROUP_SOCK), A(CGROUP_INET_SOCK_RELEASE), 0},
	{"cgroup/sock", P(CGROUP_SOCK), A(CGROUP_INET_SOCK_CREATE), 0},
	{"cgroup/post_bind4", P(CGROUP_SOCK), A(CGROUP_INET4_POST_BIND), 0},
	{"cgroup/post_bind6", P(CGROUP_SOCK), A(CGROUP_INET6_POST_BIND), 0},
	{"cgroup/bind4", P(CGROUP_SOCK_ADDR), A(CGROUP_INET4_BIND), 0},
	{"cgroup/bind6", P(CGROUP_SOCK_ADDR), A(CGROUP_INET6_BIND), 0},
	{"cgroup/connect4", P(CGROUP_SOCK_ADDR), A(CGROUP_INET4_CONNECT), 0},
	{"cgroup/connect6", P(CGROUP_SOCK_ADDR), A(CGROUP_INET6_CONNECT), 0},
	{"cgroup/sendmsg4", P(CGROUP_SOCK_ADDR), A(CGROUP_UDP4_SENDMSG), 0},
	{"cgroup/sendmsg6", P(CGROUP_SOCK_ADDR), A(CGROUP_UDP6_SENDMSG), 0},
	{"cgroup/recvmsg4", P(CGROUP_SOCK_ADDR), A(CGROUP_UDP4_RECVMSG), 0},
	{"cgroup/recvmsg6", P(CGROUP_SOCK_ADDR), A(CGROUP_UDP6_RECVMSG), 0},
	{"cgroup/getpeername4", P(CGROUP_SOCK_ADDR), A(CGROUP_INET4_GETPEERNAME), 0},
	{"cgroup/getpeername6", P(CGROUP_SOCK_ADDR), A(CGROUP_INET6_GETPEERNAME), 0},
	{"cgroup/getsockname4", P(CGROUP_SOCK_ADDR), A(CGROUP_INET4_GETSOCKNAME), 0},
	{"cgroup/getsockname6", P(CGROUP_SOCK_ADDR), A(CGROUP_INET6_GETSOCKNAME), 0},
	{"cgroup/sysctl", P(CGROUP_SYSCTL), A(CGROUP_SYSCTL), 0},
	{"cgroup/getsockopt", P(CGROUP_SOCKOPT), A(CGROUP_GETSOCKOPT), 0},
	{"cgroup/setsockopt", P(CGROUP_SOCKOPT), A(CGROUP_SETSOCKOPT), 0},
	{"cgroup/dev", P(CGROUP_DEVICE), A(CGROUP_DEVICE), 0},
	{"struct_ops", P(STRUCT_OPS), NOA, PFX},
	{"struct_ops.s", P(STRUCT_OPS), NOA, PFX | SLP},
	{"sk_lookup", P(SK_LOOKUP), A(SK_LOOKUP), 0},
	{"netfilter", P(NETFILTER), A(NETFILTER), 0},
};

static bool sec_def_matches(const struct sec_def *d, const char *name)
{
	size_t len = strlen(d->prefix);
	if (!(d->flags & SEC_F_PREFIX))
		return strcmp(name, d->prefix) == 0;
	return strncmp(name, d->prefix, len) == 0 && (name[len] == '\0' || name[len] == '/');
}

const struct sec_def *sec_def_find(const char *sec_name)
{
	if (sec_name[0] == '?')
		sec_name++;
	for (size_t i = 0; i < sizeof(sec_defs) / sizeof(sec_defs[0]); i++)
		if (sec_def_matches(&sec_defs[i], sec_name))
			return &sec_defs[i];
	return NULL;
}

const char *sec_def_target(const struct sec_def *def, const char *sec_name)
{
	if (sec_name[0] == '?')
		sec_name++;
	if (!def || !(def->flags & SEC_F_PREFIX))
		return "";
	const char *rest = sec_name + strlen(def->prefix);
	return *rest == '/' ? rest + 1 : rest;
}
