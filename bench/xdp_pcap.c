/* hive-xdp-bench: read a capture with libpcap (a file of its own:
 * <pcap/pcap.h> and libbpf's <linux/bpf.h> both define struct bpf_insn). */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xdp_bench.h"

int xb_read_pcap(const char *path, struct xb_pkt **out, size_t *cnt)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, errbuf);
	if (!pc) {
		fprintf(stderr, "hive-xdp-bench: %s: %s\n", path, errbuf);
		return -1;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		fprintf(stderr, "hive-xdp-bench: %s: not an Ethernet capture\n", path);
		pcap_close(pc);
		return -1;
	}
	size_t cap = 1024, n = 0;
	struct xb_pkt *pkts = malloc(cap * sizeof(*pkts));
	struct pcap_pkthdr *h;
	const u_char *bytes;
	int rc = 0;
	while (pkts && pcap_next_ex(pc, &h, &bytes) == 1) {
		if (n == cap) {
			struct xb_pkt *np = realloc(pkts, (cap *= 2) * sizeof(*pkts));
			if (!np) {
				rc = -1;
				break;
			}
			pkts = np;
		}
		pkts[n].data = malloc(h->caplen ? h->caplen : 1);
		if (!pkts[n].data) {
			rc = -1;
			break;
		}
		memcpy(pkts[n].data, bytes, h->caplen);
		pkts[n].len = h->caplen;
		n++;
	}
	pcap_close(pc);
	if (!pkts || rc) {
		fprintf(stderr, "hive-xdp-bench: out of memory\n");
		return -1;
	}
	*out = pkts;
	*cnt = n;
	return 0;
}
