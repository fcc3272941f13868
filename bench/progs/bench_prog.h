/* Shared by the benchmark programs (compiled by clang for BPF) and by
 * hive-bench.c (compiled natively with -O2).  Each algorithm lives in one
 * header as `static inline uint32_t <name>_run(const uint8_t *data, const
 * uint8_t *end)`, so the eBPF engines and the native baseline run the same
 * source.  Every packet access is checked against @end, the way the kernel
 * verifier wants it for XDP.
 *
 * A .bpf.c file includes its algorithm and says BENCH_PROGRAM(name), which
 * makes two entries that both inline the algorithm:
 *   SEC("xdp")  for the kernel: data/data_end from struct xdp_md;
 *   SEC("hive") for hive's raw-run contract: r1 = packet, r2 = length.
 * There are no maps and no global data, so the sections need no relocation.
 */
#ifndef BENCH_PROG_H
#define BENCH_PROG_H

#ifdef __bpf__
typedef __UINT8_TYPE__ uint8_t;
typedef __UINT16_TYPE__ uint16_t;
typedef __UINT32_TYPE__ uint32_t;
typedef __UINT64_TYPE__ uint64_t;
/* Hides a value from the optimizer; only the native build needs it. */
#define BENCH_OPAQUE(x) ((void)0)
#else
#include <stdint.h>
#define BENCH_OPAQUE(x) __asm__ volatile("" : "+r"(x))
#endif

#define BENCH_ALGO static inline __attribute__((always_inline))

/* XDP actions, as Linux's enum xdp_action. */
enum { BENCH_XDP_ABORTED = 0, BENCH_XDP_DROP = 1, BENCH_XDP_PASS = 2 };

/* The size of the bundled packet (an Ethernet frame without FCS), and the
 * most bytes a loop looks at: the kernel verifier walks a loop until it
 * ends, so each loop over the packet needs a constant bound as well as the
 * data_end check. */
enum { BENCH_PKT_SIZE = 1500, BENCH_PKT_MAX = 2048 };

#ifdef __bpf__
/* The kernel's struct xdp_md: data and data_end are u32 there. */
struct xdp_md {
	uint32_t data;
	uint32_t data_end;
	uint32_t data_meta;
	uint32_t ingress_ifindex;
	uint32_t rx_queue_index;
	uint32_t egress_ifindex;
};

#define BENCH_SEC(name) __attribute__((section(name), used))

#define BENCH_PROGRAM(NAME)                                                              \
	BENCH_SEC("xdp") int NAME##_xdp(struct xdp_md *ctx)                                  \
	{                                                                                    \
		const uint8_t *data = (const uint8_t *)(long)ctx->data;                          \
		const uint8_t *end = (const uint8_t *)(long)ctx->data_end;                       \
		return (int)NAME##_run(data, end);                                               \
	}                                                                                    \
	BENCH_SEC("hive") uint32_t NAME##_hive(const uint8_t *mem, uint64_t size)            \
	{                                                                                    \
		return NAME##_run(mem, mem + size);                                              \
	}                                                                                    \
	char _license[] BENCH_SEC("license") = "GPL"
#endif

#endif
