/* The public eBPF conformance suite (../shared/conformance): all 313 tests
 * give the expected r0 in both interpreter modes (and under the JIT when the
 * host has one), and every negative file is refused: bytecode by the
 * validator, text by the assembler. */
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

enum engine { INTERP_CHECKED, INTERP_TRUSTED, JIT_CHECKED, JIT_TRUSTED };
static const char *engine_name[] = {"interpreter/checked", "interpreter/trusted", "jit/checked", "jit/trusted"};

/* 1 pass, 0 fail (message printed), -1 engine unavailable */
static int conf_run(const struct conf_test *t, enum engine eng)
{
	struct hive_insn *insns = NULL;
	size_t cnt = 0;
	char err[256];
	if (conf_program(t, &insns, &cnt, err, sizeof(err))) {
		print_error("%s: does not assemble: %s\n", t->name, err);
		return 0;
	}
	struct hive_env *env;
	hive_env_new(&env);
	hive_env_set_helper(env, 5, "unwind", unwind);
	char log[512];
	bool trusted = eng == INTERP_TRUSTED || eng == JIT_TRUSTED, jit = eng >= JIT_CHECKED;
	HIVE_OPTS(hive_prog_opts, po, .env = env, .mode = trusted ? HIVE_EXEC_TRUSTED : HIVE_EXEC_CHECKED,
		  .log_buf = log, .log_size = sizeof(log));
	struct hive_prog *prog = NULL;
	int ok = 0;
	if (hive_prog_load(insns, cnt, &po, &prog)) {
		print_error("%s [%s]: refused: %s\n", t->name, engine_name[eng], log);
		goto out;
	}
	if (jit) {
		int e = hive_prog_jit(prog, NULL);
		if (e == -EOPNOTSUPP) {
			ok = -1;
			goto out;
		}
		if (e) {
			print_error("%s [%s]: JIT failed: %d\n", t->name, engine_name[eng], e);
			goto out;
		}
	}
	uint8_t mem[sizeof(t->mem)];
	memcpy(mem, t->mem, t->mem_len);
	HIVE_OPTS(hive_run_opts, ro, .mem = t->mem_len ? mem : NULL, .mem_size = t->mem_len, .use_jit = jit);
	int e = hive_prog_run(prog, &ro);
	if (e)
		print_error("%s [%s]: faulted at %u: %s\n", t->name, engine_name[eng], ro.fault_pc, ro.errmsg);
	else if (ro.retval != t->result)
		print_error("%s [%s]: r0 = %#llx, expected %#llx\n", t->name, engine_name[eng],
			    (unsigned long long)ro.retval, (unsigned long long)t->result);
	else
		ok = 1;
out:
	hive_prog_free(prog);
	hive_env_free(env);
	free(insns);
	return ok;
}

static void test_positive(void **state)
{
	(void)state;
	char **names;
	size_t n = conf_list(HIVE_CONFORMANCE_DIR "/tests", &names);
	if (!n) {
		printf("HIVE-SKIP: conformance suite not found at %s\n", HIVE_CONFORMANCE_DIR);
		skip();
	}
	int failed = 0, passed[4] = {0}, unavailable = 0;
	for (size_t i = 0; i < n; i++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/tests/%s", HIVE_CONFORMANCE_DIR, names[i]);
		struct conf_test t;
		assert_int_equal(conf_read(path, &t), 0);
		assert_true(t.has_result);
		for (int eng = 0; eng < 4; eng++) {
			int r = conf_run(&t, (enum engine)eng);
			if (r > 0)
				passed[eng]++;
			else if (r < 0)
				unavailable++;
			else
				failed++;
		}
		conf_free(&t);
		free(names[i]);
	}
	free(names);
	printf("conformance: %zu tests; passed %d interpreter/checked, %d interpreter/trusted, %d jit/checked, "
	       "%d jit/trusted%s\n",
	       n, passed[0], passed[1], passed[2], passed[3], unavailable ? " (no JIT backend on this host)" : "");
	assert_int_equal(n, 313);
	assert_int_equal(failed, 0);
}

static void test_negative(void **state)
{
	(void)state;
	char **names;
	size_t n = conf_list(HIVE_CONFORMANCE_DIR "/negative", &names);
	if (!n) {
		printf("HIVE-SKIP: conformance suite not found at %s\n", HIVE_CONFORMANCE_DIR);
		skip();
	}
	int refused = 0, wrong_result = 0, failed = 0;
	for (size_t i = 0; i < n; i++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/negative/%s", HIVE_CONFORMANCE_DIR, names[i]);
		struct conf_test t;
		assert_int_equal(conf_read(path, &t), 0);
		struct hive_insn *insns = NULL;
		size_t cnt = 0;
		char err[256] = "";
		struct hive_prog *prog = NULL;
		char log[512] = "";
		HIVE_OPTS(hive_prog_opts, po, .log_buf = log, .log_size = sizeof(log));
		if (conf_program(&t, &insns, &cnt, err, sizeof(err)) || hive_prog_load(insns, cnt, &po, &prog)) {
			refused++;
		} else if (t.has_result && !t.has_error) {
			/* Valid text and bytecode whose stated result is wrong on
			 * purpose (incorrect_return_value_high_bits): hive must not
			 * produce that result. */
			uint8_t mem[sizeof(t.mem)];
			memcpy(mem, t.mem, t.mem_len);
			uint64_t r0 = 0;
			int e = hive_prog_run_mem(prog, t.mem_len ? mem : NULL, t.mem_len, &r0);
			if (e || r0 != t.result) {
				wrong_result++;
			} else {
				print_error("%s: produced the result the test says is wrong\n", t.name);
				failed++;
			}
		} else {
			print_error("%s: accepted, but must be refused\n", t.name);
			failed++;
		}
		hive_prog_free(prog);
		free(insns);
		conf_free(&t);
		free(names[i]);
	}
	free(names);
	printf("negative: %zu files; %d refused, %d ran to a result other than the stated wrong one\n", n, refused,
	       wrong_result);
	assert_int_equal(n, 60);
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positive),
		cmocka_unit_test(test_negative),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
