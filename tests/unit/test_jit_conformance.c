/* The conformance suite (../shared/conformance) under the JIT with every
 * option: plain, constant blinding, retpolines, both; in checked and trusted
 * mode.  Each test must give the suite's r0 (test_conformance.c covers the
 * interpreter and the plain JIT; this one covers the JIT's options). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "conformance.h"

static uint64_t unwind(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct hive_run *r)
{
	(void)b, (void)c, (void)d, (void)e, (void)r;
	return a;
}

/* 1 pass, 0 fail (message printed), -1 no backend */
static int run_jit(const struct conf_test *t, struct hive_env *env, enum hive_exec_mode mode, bool harden,
		   bool retpoline)
{
	struct hive_insn *insns = NULL;
	size_t cnt = 0;
	char err[256], log[512];
	if (conf_program(t, &insns, &cnt, err, sizeof(err))) {
		print_error("%s: does not assemble: %s\n", t->name, err);
		return 0;
	}
	HIVE_OPTS(hive_prog_opts, po, .env = env, .mode = mode, .log_buf = log, .log_size = sizeof(log));
	struct hive_prog *prog = NULL;
	int ok = 0;
	if (hive_prog_load(insns, cnt, &po, &prog)) {
		print_error("%s: refused: %s\n", t->name, log);
		goto out;
	}
	HIVE_OPTS(hive_jit_opts, jo, .harden = harden, .retpoline = retpoline);
	int e = hive_prog_jit(prog, &jo);
	if (e == -EOPNOTSUPP) {
		ok = -1;
		goto out;
	}
	if (e || !hive_prog_is_jited(prog)) {
		print_error("%s: JIT failed: %d\n", t->name, e);
		goto out;
	}
	uint8_t mem[sizeof(t->mem)];
	memcpy(mem, t->mem, t->mem_len);
	HIVE_OPTS(hive_run_opts, ro, .mem = t->mem_len ? mem : NULL, .mem_size = t->mem_len, .use_jit = true);
	e = hive_prog_run(prog, &ro);
	if (e)
		print_error("%s [%s harden=%d retpoline=%d]: faulted at %u: %s\n", t->name,
			    mode == HIVE_EXEC_CHECKED ? "checked" : "trusted", harden, retpoline, ro.fault_pc, ro.errmsg);
	else if (ro.retval != t->result)
		print_error("%s [%s harden=%d retpoline=%d]: r0 = %#llx, expected %#llx\n", t->name,
			    mode == HIVE_EXEC_CHECKED ? "checked" : "trusted", harden, retpoline,
			    (unsigned long long)ro.retval, (unsigned long long)t->result);
	else
		ok = 1;
out:
	hive_prog_free(prog);
	free(insns);
	return ok;
}

static void test_jit_options(void **state)
{
	(void)state;
	char **names;
	size_t n = conf_list(HIVE_CONFORMANCE_DIR "/tests", &names);
	if (!n) {
		printf("HIVE-SKIP: conformance suite not found at %s\n", HIVE_CONFORMANCE_DIR);
		skip();
	}
	struct hive_env *env;
	assert_int_equal(hive_env_new(&env), 0);
	assert_int_equal(hive_env_set_helper(env, 5, "unwind", unwind), 0);
	int passed = 0, failed = 0, unavailable = 0;
	for (size_t i = 0; i < n; i++) {
		char path[240];
		snprintf(path, sizeof(path), "%s/tests/%s", HIVE_CONFORMANCE_DIR, names[i]);
		struct conf_test t;
		assert_int_equal(conf_read(path, &t), 0);
		for (int v = 0; v < 8; v++) {
			int r = run_jit(&t, env, v & 1 ? HIVE_EXEC_TRUSTED : HIVE_EXEC_CHECKED, v & 2, v & 4);
			passed += r > 0;
			failed += r == 0;
			unavailable += r < 0;
		}
		conf_free(&t);
		free(names[i]);
	}
	free(names);
	hive_env_free(env);
	if (unavailable) {
		printf("HIVE-SKIP: no JIT backend on this host\n");
		skip();
	}
	printf("jit conformance: %zu tests x 8 variants: %d passed, %d failed\n", n, passed, failed);
	assert_int_equal(failed, 0);
	assert_int_equal(passed, (int)n * 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jit_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
