/* What `hive xdp` over a capture (tools/cmd_xdp.c) and on live interfaces
 * (tools/xdp_live.c) share. */
#ifndef HIVE_TOOLS_XDP_H
#define HIVE_TOOLS_XDP_H

#include <stdbool.h>
#include <stdint.h>

#include "hive/hive.h"

/* Verdicts as the kernel numbers them; XDP_VERDICTS counts packets that
 * did not run (a length the test run refuses) or whose run failed. */
enum { V_ABORTED, V_DROP, V_PASS, V_TX, V_REDIRECT }; /* <linux/bpf.h> clashes with <pcap/pcap.h> */
enum { XDP_VERDICTS = 5, XDP_COUNTS = XDP_VERDICTS + 1, XDP_MAX_IFACES = 8 };
extern const char *const xdp_verdict_name[XDP_VERDICTS];

struct xdp_live_opts {
	const char *ifaces[XDP_MAX_IFACES];
	int nifaces;
	uint64_t count;        /* stop after this many packets (0: no limit) */
	double duration;       /* stop after this many seconds (0: no limit) */
	const char *write;     /* PASS packets go to this pcap file (NULL: none) */
	bool progress;         /* a progress line per second even when stderr is no tty */
	bool promisc;
	bool jit;
	bool afxdp;            /* AF_XDP sockets (queue 0) instead of AF_PACKET rings */
};

/* Receive on the interfaces (AF_PACKET, TPACKET_V3 rings), run @prog per
 * packet, apply the verdicts (TX: back out of the interface it came in
 * on; REDIRECT: out of the opened interface bpf_redirect named), until
 * SIGINT/SIGTERM, --count or --duration; prints the summary. 0, or 1 with
 * a message when an interface cannot be opened. */
int xdp_live_run(struct hive_prog *prog, const char *prog_name, const struct xdp_live_opts *o);

#endif
