/* The test packets of hive-bench: the bundled 1500-byte TCP packet the
 * timings use, and variants for the result check. */
#include <string.h>

#include "bench.h"
#include "progs/bench_prog.h"

const struct bench_pkt_spec bench_pkt_specs[] = {
	{"tcp-8080", 1500, 0, 0x0800, 0x45, 0x4000, 6, 8080, BENCH_XDP_DROP},
	{"tcp-443", 1500, 0, 0x0800, 0x45, 0x4000, 6, 443, BENCH_XDP_PASS},
	{"tcp-9999", 1500, 0, 0x0800, 0x45, 0x4000, 6, 9999, BENCH_XDP_PASS},
	{"udp-53-vlan", 1500, 1, 0x0800, 0x45, 0, 17, 53, BENCH_XDP_PASS},
	{"udp-123-vlan", 1500, 1, 0x0800, 0x45, 0, 17, 123, BENCH_XDP_DROP},
	{"tcp-23-qinq", 1500, 2, 0x0800, 0x45, 0, 6, 23, BENCH_XDP_DROP},
	{"udp-6000", 1500, 0, 0x0800, 0x45, 0, 17, 6000, BENCH_XDP_PASS},
	{"tcp-445-ipopts", 1500, 0, 0x0800, 0x4f, 0, 6, 445, BENCH_XDP_DROP},
	{"tcp-23-frag", 1500, 0, 0x0800, 0x45, 0x20b9, 6, 23, BENCH_XDP_PASS},
	{"tcp-23-mf", 1500, 0, 0x0800, 0x45, 0x2000, 6, 23, BENCH_XDP_DROP},
	{"icmp", 1500, 0, 0x0800, 0x45, 0, 1, 23, BENCH_XDP_PASS},
	{"ipv6", 1500, 0, 0x86dd, 0x60, 0, 6, 23, BENCH_XDP_PASS},
	{"bad-version", 1500, 0, 0x0800, 0x65, 0, 6, 23, BENCH_XDP_DROP},
	{"bad-ihl", 1500, 0, 0x0800, 0x44, 0, 6, 23, BENCH_XDP_DROP},
	{"odd-1001", 1001, 0, 0x0800, 0x45, 0, 6, 8080, BENCH_XDP_DROP},
	{"short-tcp", 50, 0, 0x0800, 0x45, 0, 6, 23, BENCH_XDP_DROP},
	{"short-udp", 42, 0, 0x0800, 0x45, 0, 17, 123, BENCH_XDP_DROP},
	{"short-vlan", 17, 1, 0x0800, 0x45, 0, 6, 23, BENCH_XDP_DROP},
	{"runt", 20, 0, 0x0800, 0x45, 0, 6, 23, BENCH_XDP_DROP},
	{"max-2048", 2048, 0, 0x0800, 0x45, 0, 6, 22, BENCH_XDP_PASS},
	{"over-max", 3001, 0, 0x0800, 0x45, 0, 17, 1900, BENCH_XDP_DROP},
};
const size_t bench_pkt_nspecs = sizeof(bench_pkt_specs) / sizeof(bench_pkt_specs[0]);

_Alignas(64) uint8_t bench_pkt[BENCH_PKT_BUF];
size_t bench_pkt_len;

static void bench_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

void bench_packet_fill(const struct bench_pkt_spec *s)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
	uint8_t *p = bench_pkt, *ip, *l4;
	uint32_t x = 0x2545f491u, sum = 0;
	unsigned ihl = (s->ver_ihl & 0xf) * 4u;

	for (size_t i = 0; i < BENCH_PKT_BUF; i++) { /* xorshift32 payload */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		bench_pkt[i] = (uint8_t)x;
	}
	memcpy(p, macs, sizeof(macs));
	p += 12;
	for (unsigned i = 0; i < s->vlans; i++, p += 4) {
		bench_put16(p, i + 1 < s->vlans ? 0x88a8 : 0x8100);
		bench_put16(p + 2, (uint16_t)(100 + i)); /* TCI: VLAN id */
	}
	bench_put16(p, s->ethertype);
	ip = p + 2;
	memset(ip, 0, ihl > 20 ? ihl : 20);
	ip[0] = s->ver_ihl;
	bench_put16(ip + 2, (uint16_t)(s->len > ip - bench_pkt ? s->len - (ip - bench_pkt) : 0));
	bench_put16(ip + 4, 0x1234);
	bench_put16(ip + 6, s->frag);
	ip[8] = 64;
	ip[9] = s->proto;
	memcpy(ip + 12, (uint8_t[]){10, 0, 0, 1, 10, 0, 0, 2}, 8);
	for (unsigned i = 0; i < 20; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	bench_put16(ip + 10, (uint16_t)~sum);
	l4 = ip + (ihl > 20 ? ihl : 20);
	memset(l4, 0, 20);
	bench_put16(l4, 40000);
	bench_put16(l4 + 2, s->dport);
	if (s->proto == 6) {
		l4[12] = 5 << 4;
		l4[13] = 0x18; /* PSH|ACK */
		bench_put16(l4 + 14, 65535);
	} else {
		bench_put16(l4 + 4, (uint16_t)(s->len - (l4 - bench_pkt)));
	}
	bench_pkt_len = s->len;
}
