/* libFuzzer: fuzzer bytes drive the program generator (tests/include/jit_gen.h);
 * the program must load, and the JIT must agree with the interpreter on
 * everything (result, error, fault pc, registers, memory, count). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit_gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hive_env *env;
	static struct gen g;
	if (!env && gen_env(&env))
		abort();
	memset(&g, 0, sizeof(g));
	g.data = data;
	g.len = size;
	g.rng = 0x9e3779b97f4a7c15ull ^ size;
	gen_case(&g);
	char log[512] = "", why[256];
	struct gen_result a, b;
	if (gen_run(&g, env, false, &a, log, sizeof(log)) || gen_run(&g, env, true, &b, log, sizeof(log))) {
		gen_dump(&g, stderr);
		fprintf(stderr, "generated program not loaded or not compiled: %s\n", log);
		abort();
	}
	if (gen_compare(&a, &b, why, sizeof(why))) {
		gen_dump(&g, stderr);
		fprintf(stderr, "interpreter and JIT differ: %s\n", why);
		abort();
	}
	return 0;
}
