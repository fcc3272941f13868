#include "parse.h"

BENCH_PROGRAM(parse);
