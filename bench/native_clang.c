/* The native baseline compiled by clang -O2 (bench/CMakeLists.txt), beside
 * hive-bench's own gcc -O2 one: clang is the compiler that made the eBPF,
 * so this row shows what the JIT makes of clang's output against what
 * clang makes natively, apart from what gcc does better (primes: gcc peels
 * the first trial division into a parity test, which the eBPF never has). */
#include <stdint.h>

#include "progs/csum.h"
#include "progs/fnv1a.h"
#include "progs/parse.h"
#include "progs/primes.h"

#define BENCH_NATIVE_CLANG(NAME)                                                                   \
	__attribute__((noinline)) uint32_t NAME##_native_clang(const uint8_t *d, const uint8_t *e);  \
	__attribute__((noinline)) uint32_t NAME##_native_clang(const uint8_t *d, const uint8_t *e)   \
	{                                                                                          \
		return NAME##_run(d, e);                                                           \
	}
BENCH_NATIVE_CLANG(fnv1a)
BENCH_NATIVE_CLANG(csum)
BENCH_NATIVE_CLANG(parse)
BENCH_NATIVE_CLANG(primes)
