/* Callbacks and tail calls against the running kernel: the programs of
 * tests/progs/callbacks.bpf.c run in sequence (maps and global data carry
 * over from run to run on both sides) with BPF_PROG_TEST_RUN in the kernel
 * (loaded by libbpf) and with hive_program_test_run under the interpreter
 * and the JIT, checked and trusted. Every retval must be the kernel's.
 * Skips where bpf() is not permitted. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>

#include "hive/hive.h"
#include "loader_corpus.h"

struct step {
	const char *prog;
	uint8_t b0, b1; /* the packet's first two bytes */
};

static const struct step steps[] = {
	{"loop_sum", 10, 255}, {"loop_sum", 10, 4},  {"loop_sum", 0, 0},   {"loop_sum", 200, 199},
	{"loop_sum", 255, 7},  {"loop_sum", 1, 0},   {"loop_errors", 0, 0}, {"each_sum", 0, 0},
	{"each_sum", 0, 0},    {"each_sum", 0, 0},   {"tail_chain", 0, 0}, {"tail_chain", 0, 0},
	{"chain", 0, 0},       {"tail_miss", 0, 0},  {"tail_from_sub", 0, 0}, {"ret42", 0, 0},
	{"tail_chain", 0, 0},
};
enum { NSTEPS = sizeof steps / sizeof steps[0] };

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && getenv("HIVE_LIBBPF_VERBOSE"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

/* The kernel's retvals, or false (skip) when it cannot load the object. */
static bool kernel_run(const char *path, uint32_t *ret)
{
	libbpf_set_print(silent);
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	if (!obj)
		return false;
	if (bpf_object__load(obj)) {
		bpf_object__close(obj);
		return false;
	}
	for (size_t i = 0; i < NSTEPS; i++) {
		uint8_t pkt[64] = {steps[i].b0, steps[i].b1};
		struct bpf_program *p = bpf_object__find_program_by_name(obj, steps[i].prog);
		assert_non_null(p);
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof pkt);
		assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(p), &o), 0);
		ret[i] = o.retval;
	}
	bpf_object__close(obj);
	return true;
}

static void hive_run(const char *path, enum hive_exec_mode mode, bool jit, uint32_t *ret)
{
	struct hive_env *env = NULL;
	struct hive_object *obj = NULL;
	char log[1024] = "";
	assert_int_equal(hive_env_new(&env), 0);
	assert_int_equal(hive_helpers_install(env, NULL), 0);
	HIVE_OPTS(hive_object_open_opts, oo, .log_buf = log, .log_size = sizeof log);
	if (hive_object_open_file(path, &oo, &obj))
		fail_msg("open: %s", log);
	HIVE_OPTS(hive_object_load_opts, lo, .env = env, .mode = mode, .log_buf = log, .log_size = sizeof log);
	if (hive_object_load(obj, &lo))
		fail_msg("load: %s", log);
	for (size_t i = 0; jit && i < hive_object_prog_cnt(obj); i++) {
		HIVE_OPTS(hive_jit_opts, jo);
		assert_int_equal(hive_prog_jit(hive_program_prog(hive_object_prog(obj, i)), &jo), 0);
	}
	for (size_t i = 0; i < NSTEPS; i++) {
		uint8_t pkt[64] = {steps[i].b0, steps[i].b1};
		const struct hive_program *p = hive_object_find_program(obj, steps[i].prog);
		assert_non_null(p);
		HIVE_OPTS(hive_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof pkt, .use_jit = jit);
		int err = hive_program_test_run(p, &o);
		if (err)
			fail_msg("%s: %d %s (pc %u)", steps[i].prog, err, o.errmsg, o.fault_pc);
		ret[i] = o.retval;
	}
	hive_object_close(obj);
	hive_env_free(env);
}

/* hive's verifier accepts every program of the object (for_each callbacks
 * whose state repeats round after round, tail calls, bpf_loop). */
static void test_verifier_accepts(void **state)
{
	(void)state;
	const char *path = corpus_obj("callbacks", 3, true);
	if (!path) {
		printf("HIVE-SKIP: no clang for tests/progs/callbacks.bpf.c\n");
		skip();
	}
	struct hive_object *obj = NULL;
	assert_int_equal(hive_object_open_file(path, NULL, &obj), 0);
	size_t nmaps = hive_object_map_cnt(obj);
	struct hive_verify_map maps[16];
	assert_true(nmaps <= 16);
	for (size_t i = 0; i < nmaps; i++) {
		const struct hive_object_map *m = hive_object_map(obj, i);
		maps[i] = (struct hive_verify_map){
			.fd = (int32_t)i,
			.type = hive_object_map_type(m),
			.key_size = hive_object_map_key_size(m),
			.value_size = hive_object_map_value_size(m),
			.max_entries = hive_object_map_max_entries(m),
			.map_flags = hive_object_map_flags(m),
		};
	}
	for (size_t i = 0; i < hive_object_prog_cnt(obj); i++) {
		const struct hive_program *p = hive_object_prog(obj, i);
		size_t cnt;
		const struct hive_insn *insns = hive_program_insns(p, &cnt);
		char log[4096] = "";
		HIVE_OPTS(hive_verify_opts, vo, .prog_type = hive_program_type(p), .maps = maps, .nmaps = nmaps,
			  .log_buf = log, .log_size = sizeof log);
		if (hive_verify(insns, cnt, &vo, NULL))
			fail_msg("%s refused: %s", hive_program_name(p), log);
	}
	hive_object_close(obj);
}

static void test_against_kernel(void **state)
{
	(void)state;
	const char *path = corpus_obj("callbacks", 3, true);
	if (!path) {
		printf("HIVE-SKIP: no clang for tests/progs/callbacks.bpf.c\n");
		skip();
	}
	uint32_t k[NSTEPS], h[NSTEPS];
	if (!kernel_run(path, k)) {
		printf("HIVE-SKIP: the kernel does not load callbacks.bpf.o (bpf() not permitted?)\n");
		skip();
	}
	static const char *names[] = {"interp checked", "interp trusted", "jit checked", "jit trusted"};
	for (int e = 0; e < 4; e++) {
		hive_run(path, e == 0 || e == 2 ? HIVE_EXEC_CHECKED : HIVE_EXEC_TRUSTED, e >= 2, h);
		for (size_t i = 0; i < NSTEPS; i++)
			if (h[i] != k[i])
				fail_msg("%s: step %zu (%s %u %u): hive %u, kernel %u", names[e], i, steps[i].prog,
					 steps[i].b0, steps[i].b1, h[i], k[i]);
	}
	for (size_t i = 0; getenv("HIVE_CB_VERBOSE") && i < NSTEPS; i++)
		printf("%s %u %u -> %u\n", steps[i].prog, steps[i].b0, steps[i].b1, k[i]);
	/* the figures the kernel gave, so a change on both sides shows too */
	assert_int_equal(k[10], 33);  /* 33 tail calls, then the 34th fails */
	assert_int_equal(k[12], 67);  /* chain entered directly: 34 more hops */
	assert_int_equal(k[13], 7);   /* empty slot and index out of range go on */
	assert_int_equal(k[14], 1042); /* the target replaces the subprogram */
	printf("callbacks: %d steps equal to the kernel's in 4 engines\n", NSTEPS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_kernel),
		cmocka_unit_test(test_verifier_accepts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
