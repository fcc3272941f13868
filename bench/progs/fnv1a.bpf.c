#include "fnv1a.h"

BENCH_PROGRAM(fnv1a);
