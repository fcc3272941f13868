/* An Ethernet / 802.1Q / IPv4 / TCP-UDP parser with a small port-rule list:
 * the first rule matching (protocol, destination port) decides XDP_DROP or
 * XDP_PASS; traffic no rule names passes.  Malformed frames are dropped;
 * non-IPv4 frames and later fragments pass unparsed. */
#ifndef BENCH_PARSE_H
#define BENCH_PARSE_H
#include "bench_prog.h"

enum {
	PARSE_ETH_HLEN = 14, PARSE_VLAN_HLEN = 4,
	PARSE_ETH_P_IP = 0x0800, PARSE_ETH_P_8021Q = 0x8100, PARSE_ETH_P_8021AD = 0x88a8,
	PARSE_IPPROTO_TCP = 6, PARSE_IPPROTO_UDP = 17,
	PARSE_IP_MF = 0x2000, PARSE_IP_OFFMASK = 0x1fff,
};

/* X(protocol, lowest port, highest port, action): checked in this order. */
#define PARSE_RULES(X)                                                      \
	X(PARSE_IPPROTO_TCP, 22, 22, BENCH_XDP_PASS)     /* ssh */             \
	X(PARSE_IPPROTO_TCP, 23, 23, BENCH_XDP_DROP)     /* telnet */          \
	X(PARSE_IPPROTO_UDP, 53, 53, BENCH_XDP_PASS)     /* dns */             \
	X(PARSE_IPPROTO_UDP, 123, 123, BENCH_XDP_DROP)   /* ntp */             \
	X(PARSE_IPPROTO_TCP, 135, 139, BENCH_XDP_DROP)   /* netbios */         \
	X(PARSE_IPPROTO_TCP, 445, 445, BENCH_XDP_DROP)   /* smb */             \
	X(PARSE_IPPROTO_UDP, 1900, 1900, BENCH_XDP_DROP) /* ssdp */            \
	X(PARSE_IPPROTO_TCP, 443, 443, BENCH_XDP_PASS)   /* https */           \
	X(PARSE_IPPROTO_TCP, 6000, 6063, BENCH_XDP_DROP) /* x11 */             \
	X(PARSE_IPPROTO_TCP, 8000, 8099, BENCH_XDP_DROP) /* alt http */

/* A big-endian field at an even offset (every one here is): one 16-bit load
 * and a byte swap, as bpf_ntohs() does. */
BENCH_ALGO uint32_t parse_be16(const uint8_t *p)
{
	return __builtin_bswap16(*(const uint16_t *)p);
}

BENCH_ALGO uint32_t parse_run(const uint8_t *data, const uint8_t *end)
{
	const uint8_t *p = data;
	uint32_t proto, ihl, frag, dport;

	if (p + PARSE_ETH_HLEN > end)
		return BENCH_XDP_DROP;
	proto = parse_be16(p + 12);
	p += PARSE_ETH_HLEN;
	/* up to two VLAN tags (QinQ) */
	for (int i = 0; i < 2; i++) {
		if (proto != PARSE_ETH_P_8021Q && proto != PARSE_ETH_P_8021AD)
			break;
		if (p + PARSE_VLAN_HLEN > end)
			return BENCH_XDP_DROP;
		proto = parse_be16(p + 2);
		p += PARSE_VLAN_HLEN;
	}
	if (proto != PARSE_ETH_P_IP)
		return BENCH_XDP_PASS;

	if (p + 20 > end)
		return BENCH_XDP_DROP;
	if (p[0] >> 4 != 4)
		return BENCH_XDP_DROP;
	ihl = (p[0] & 0xf) * 4u;
	if (ihl < 20)
		return BENCH_XDP_DROP;
	if (parse_be16(p + 2) < ihl)
		return BENCH_XDP_DROP;
	frag = parse_be16(p + 6);
	if (frag & PARSE_IP_OFFMASK)
		return BENCH_XDP_PASS; /* not the first fragment: no L4 header */
	proto = p[9];
	p += ihl;
	if (proto != PARSE_IPPROTO_TCP && proto != PARSE_IPPROTO_UDP)
		return BENCH_XDP_PASS;
	if (p + (proto == PARSE_IPPROTO_TCP ? 20 : 8) > end)
		return BENCH_XDP_DROP;
	dport = parse_be16(p + 2);

#define PARSE_RULE(PROTO, LO, HI, ACTION)                                   \
	if (proto == (PROTO) && dport >= (LO) && dport <= (HI))             \
		return (ACTION);
	PARSE_RULES(PARSE_RULE)
#undef PARSE_RULE
	return BENCH_XDP_PASS;
}
#endif
