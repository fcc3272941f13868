/* The JIT equals the interpreter: generated programs (tests/include/jit_gen.h,
 * fixed seed) run under both must agree on r0, every register at exit,
 * memory, errors, fault pc and the instructions counted.
 *
 * HIVE_JIT_EQUIV_N sets the number of programs (default 20000; 5000 in a
 * sanitizer build, where each run costs ten times more), HIVE_JIT_EQUIV_SEED
 * another seed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "jit/jit.h"
#include "jit_gen.h"

#if defined(__SANITIZE_ADDRESS__)
#define EQUIV_DEFAULT_N 5000
#else
#define EQUIV_DEFAULT_N 20000
#endif

static void test_equiv(void **state)
{
	(void)state;
	unsigned n = EQUIV_DEFAULT_N;
	const char *e = getenv("HIVE_JIT_EQUIV_N");
	if (e && atoi(e) > 0)
		n = (unsigned)atoi(e);
	struct hive_env *env;
	assert_int_equal(gen_env(&env), 0);
	static struct gen g;
	memset(&g, 0, sizeof(g));
	g.rng = 0x9e3779b97f4a7c15ull;
	const char *seed = getenv("HIVE_JIT_EQUIV_SEED"); /* to explore; CTest keeps the fixed one */
	if (seed && strtoull(seed, NULL, 0))
		g.rng = strtoull(seed, NULL, 0);
	unsigned seen[OP__COUNT] = {0};
	unsigned ok = 0, efault = 0, eloop = 0, checked = 0, hardened = 0, retpolined = 0;
	uint64_t insns = 0;
	for (unsigned i = 0; i < n; i++) {
		gen_case(&g);
		jit_test_no_bmi2 = i % 3 == 0; /* shifts through cl, as without BMI2 */
		char log[512] = "", why[256];
		struct gen_result ri, rj;
		int err = gen_run(&g, env, false, &ri, log, sizeof(log));
		if (!err)
			err = gen_run(&g, env, true, &rj, log, sizeof(log));
		if (err) {
			gen_dump(&g, stderr);
			fail_msg("program %u: not loaded or not compiled (%d): %s", i, err, log);
		}
		if (gen_compare(&ri, &rj, why, sizeof(why))) {
			gen_dump(&g, stderr);
			fail_msg("program %u: interpreter and JIT differ: %s (err %d at pc %u: %s)", i, why, ri.err,
				 ri.fault_pc, ri.msg);
		}
		for (uint32_t pc = 0; pc < g.n; pc++) {
			int op = isa_decode(&g.insns[pc], NULL);
			if (op != OP_INVALID)
				seen[op]++;
			if (op == OP_LDDW)
				pc++;
		}
		ok += ri.err == 0;
		efault += ri.err == -EFAULT;
		eloop += ri.err == -ELOOP;
		checked += g.checked;
		hardened += g.harden;
		retpolined += g.retpoline;
		insns += g.n;
	}
	print_message("%u programs (%llu instructions): %u ok, %u -EFAULT, %u -ELOOP; %u checked, %u hardened, "
		      "%u retpoline\n", n, (unsigned long long)insns, ok, efault, eloop, checked, hardened, retpolined);
	/* the generator reaches every row of the table, and every outcome */
	if (n >= 1000) {
		for (int op = 0; op < OP__COUNT; op++)
			if (!seen[op])
				fail_msg("the generator never produced %s (row %d)", isa_rows[op].mnemonic, op);
		assert_true(efault > 0 && eloop > 0 && ok > n / 2);
		assert_true(hardened > 0 && retpolined > 0 && checked > 0 && checked < n);
	}
	hive_env_free(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equiv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
