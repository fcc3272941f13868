#include "csum.h"

BENCH_PROGRAM(csum);
