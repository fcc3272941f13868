/* hive-xdp-bench (xdp-bench.c, xdp_pcap.c): what the two files share. */
#ifndef HIVE_BENCH_XDP_BENCH_H
#define HIVE_BENCH_XDP_BENCH_H

#include <stddef.h>
#include <stdint.h>

struct xb_pkt {
	uint8_t *data;
	uint32_t len;
};

/* The packets of an Ethernet capture (pcap or pcapng); 0 or -1 with a message. */
int xb_read_pcap(const char *path, struct xb_pkt **out, size_t *cnt);

#endif
