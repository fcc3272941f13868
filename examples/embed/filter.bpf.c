/* A request filter for the embed example's server (see README.md).
 *
 * Built with: clang -O2 -g -target bpf -mcpu=v3 -c filter.bpf.c
 *
 * Section "request" is the server's own hook: neither libbpf nor hive knows
 * the name, so the program's type comes from the server, not from here. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "request.h"

/* The server's helpers (ids: request.h). */
static long (*log_request)(struct request_ctx *ctx, const char *msg, __u32 len) = (void *)REQ_FN_LOG_REQUEST;
static long (*rate_limit_check)(__u64 client_ip) = (void *)REQ_FN_RATE_LIMIT;

/* Per-client counters, read by the server after the run. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct client_stats);
} clients SEC(".maps");

/* Defaults; the server overrides them before load. */
const volatile struct filter_config cfg SEC(".rodata.config") = {
	.max_path_len = 64,
	.prefix_len = 6,
	.prefix = "/admin",
};

/* Does the path start with cfg.prefix? Every byte read is first checked
 * against path_end: the verifier refuses the program otherwise. */
static __always_inline int path_has_prefix(struct request_ctx *ctx)
{
	const char *p = (const char *)(long)ctx->path;
	const char *end = (const char *)(long)ctx->path_end;
	__u32 n = cfg.prefix_len;

	if (n == 0 || n > CFG_PREFIX_MAX)
		return 0;
	for (int i = 0; i < CFG_PREFIX_MAX; i++) {
		if (i >= n)
			return 1;
		if (p + i + 1 > end)
			return 0;
		if (p[i] != cfg.prefix[i])
			return 0;
	}
	return 1;
}

static __always_inline struct client_stats *client_get(__u32 ip)
{
	struct client_stats *st = bpf_map_lookup_elem(&clients, &ip);
	if (st)
		return st;
	struct client_stats zero = {};
	/* two threads may race to create it: NOEXIST lets one win, both look up */
	bpf_map_update_elem(&clients, &ip, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&clients, &ip);
}

SEC("request")
int filter_request(struct request_ctx *ctx)
{
	__u32 ip = ctx->client_ip;
	struct client_stats *st = client_get(ip);
	if (!st) {
		ctx->status = 503; /* table full: fail closed */
		return VERDICT_DENY;
	}
	__sync_fetch_and_add(&st->requests, 1);

	__u32 status = 0;
	if (ctx->method != REQ_GET && ctx->method != REQ_POST)
		status = 405;
	else if (ctx->path_len > cfg.max_path_len)
		status = 414;
	else if (path_has_prefix(ctx))
		status = 403;
	else if (rate_limit_check(ip))
		status = 429;

	if (!status) {
		__sync_fetch_and_add(&st->allowed, 1);
		return VERDICT_ALLOW;
	}
	__sync_fetch_and_add(&st->denied, 1);
	ctx->status = status;
	char msg[] = "denied";
	log_request(ctx, msg, sizeof(msg));
	return VERDICT_DENY;
}

/* Deliberately unsafe: reads the path's first byte without comparing
 * against path_end first (an empty path would be read past its end). The
 * verifier refuses it, and the server never loads it. */
SEC("request")
int filter_unchecked(struct request_ctx *ctx)
{
	const char *p = (const char *)(long)ctx->path;
	return p[0] == '/' ? VERDICT_ALLOW : VERDICT_DENY;
}

/* Deliberately wrong: method is a read-only field of the context. */
SEC("request")
int filter_rewrites_method(struct request_ctx *ctx)
{
	ctx->method = REQ_GET;
	return VERDICT_ALLOW;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
