/* FNV-1a, 32 bits, over every byte of the packet (up to BENCH_PKT_MAX). */
#ifndef BENCH_FNV1A_H
#define BENCH_FNV1A_H
#include "bench_prog.h"

BENCH_ALGO uint32_t fnv1a_run(const uint8_t *data, const uint8_t *end)
{
	uint32_t h = 2166136261u;

	for (uint32_t i = 0; i < BENCH_PKT_MAX; i++) {
		if (data + i + 1 > end)
			break;
		h ^= data[i];
		h *= 16777619u;
	}
	return h;
}
#endif
