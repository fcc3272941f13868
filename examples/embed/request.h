/* The request hook's contract, shared by the server (embed_server.c) and
 * the filter programs it runs (filter.bpf.c): the context a program gets
 * in r1, its verdicts, the helpers the server offers, the map's value and
 * the configuration in .rodata.config. Plain C with <linux/types.h> so
 * that both the host compiler and clang -target bpf read it. */
#ifndef EMBED_REQUEST_H
#define EMBED_REQUEST_H

#include <linux/types.h>

/* r1 of a filter program: one request. The server describes it to the
 * verifier as a struct hive_ctx_layout (embed_server.c, request_fields[]). */
struct request_ctx {
	__u64 path;      /*  0 R  first byte of the path (a packet pointer) */
	__u64 path_end;  /*  8 R  one past its last byte (packet end) */
	__u32 method;    /* 16 R  enum req_method */
	__u32 path_len;  /* 20 R  path_end - path */
	__u32 client_ip; /* 24 R  IPv4 address, host byte order */
	__u32 worker;    /* 28 R  which server thread runs the filter */
	__u32 status;    /* 32 RW the HTTP status to answer a denied request with */
	__u32 reserved;  /* 36    not accessible */
};

enum req_method { REQ_OTHER = 0, REQ_GET = 1, REQ_POST = 2, REQ_PUT = 3, REQ_DELETE = 4 };

/* What a filter returns in r0. */
enum req_verdict { VERDICT_DENY = 0, VERDICT_ALLOW = 1 };

/* Per-client counters: the value of the filter's hash map "clients",
 * keyed by client_ip. The filter updates them atomically; the server
 * reads them after the run. */
struct client_stats {
	__u64 requests;
	__u64 allowed;
	__u64 denied;
};

/* The filter's configuration: a global `const volatile` in its own
 * section, .rodata.config, so that it sits at offset 0 of its map and the
 * server can replace it before load (hive_object_map_set_initial_value). */
#define CFG_PREFIX_MAX 16
struct filter_config {
	__u32 max_path_len;               /* longer paths: 414 */
	__u32 prefix_len;                 /* paths starting with prefix: 403 */
	char prefix[CFG_PREFIX_MAX];
};

/* Helpers the server offers, with ids of its own (past Linux's, which end
 * near 212). The server declares their prototypes to hive
 * (hive_env_set_helper_proto), so the verifier checks every call:
 *
 *   long log_request(struct request_ctx *ctx, const char *msg, __u32 len)
 *     ctx, readable memory, its size (> 0) -> integer
 *   long rate_limit_check(__u64 client_ip)
 *     a number -> integer; 1 if over budget
 */
#define REQ_FN_LOG_REQUEST 1000
#define REQ_FN_RATE_LIMIT 1001

#endif
