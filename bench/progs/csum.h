/* The internet checksum (RFC 1071) of the packet: the ones' complement of
 * the ones' complement sum of its 16-bit words, an odd last byte padded with
 * zero.  Words are summed in host order; the result is in that order too. */
#ifndef BENCH_CSUM_H
#define BENCH_CSUM_H
#include "bench_prog.h"

BENCH_ALGO uint32_t csum_run(const uint8_t *data, const uint8_t *end)
{
	const uint8_t *p = data;
	uint64_t sum = 0;

	for (uint32_t i = 0; i < BENCH_PKT_MAX / 2; i++) {
		if (p + 2 > end)
			break;
		sum += *(const uint16_t *)p;
		p += 2;
	}
	if (p + 1 <= end)
		sum += *p; /* little-endian host: the pad byte is the high half */
	/* At most 1024 words of 0xffff: the sum stays below 2^26, three folds end it. */
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint32_t)~sum & 0xffff;
}
#endif
