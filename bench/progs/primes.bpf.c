#include "primes.h"

BENCH_PROGRAM(primes);
