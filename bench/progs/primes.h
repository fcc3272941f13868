/* Count the primes below PRIMES_N by trial division.  Pure computation:
 * the packet is not read. */
#ifndef BENCH_PRIMES_H
#define BENCH_PRIMES_H
#include "bench_prog.h"

/* The kernel verifier walks every iteration: 1200 costs it about 490k of its
 * 1M processed instructions (Linux 6.18) and takes ~10 us native. */
#define PRIMES_N 1200u

BENCH_ALGO uint32_t primes_run(const uint8_t *data, const uint8_t *end)
{
	uint32_t n_max = PRIMES_N, count = 0;

	(void)data;
	(void)end;
	BENCH_OPAQUE(n_max); /* native: keep the compiler from folding the count */
	for (uint32_t n = 2; n < n_max; n++) {
		uint32_t prime = 1;

		for (uint32_t d = 2; d * d <= n; d++) {
			if (n % d == 0) {
				prime = 0;
				break;
			}
		}
		count += prime;
	}
	return count;
}
#endif
