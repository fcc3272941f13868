/* Timers against the running kernel: tests/progs/timers.bpf.c loaded by
 * libbpf and run with BPF_PROG_TEST_RUN, and in hive (interpreter and JIT,
 * checked and trusted) with hive_program_test_run. The same steps on both
 * sides: arm array keys 1 (1 ms) and 2 (200 ms) and hash key 1 (1 ms),
 * sleep 50 ms, read the values, cancel key 2 (pending: 1), again (0), key
 * 3 (never initialised: -EINVAL). Every retval and every value read must be
 * the kernel's. Skips where bpf() is not permitted. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>

#include "hive/hive.h"
#include "loader_corpus.h"

struct elem {
	uint64_t fired;
	uint64_t t[2];
	int64_t cb_cancel;
	uint32_t key, pad;
};

struct step {
	const char *prog;
	uint8_t b0, b1;
};

static const struct step arm_steps[] = {{"arm_array", 1, 1}, {"arm_array", 2, 200}, {"arm_hash", 1, 1}};
static const struct step cancel_steps[] = {{"cancel", 2, 0}, {"cancel", 2, 0}, {"cancel", 3, 0}};
enum { NARM = 3, NCANCEL = 3, NRES = NARM + NCANCEL };

/* What one side gives: retvals, then the values read after the sleep. */
struct result {
	uint32_t ret[NRES];
	struct elem arr[3], hash1; /* array keys 0..2, hash key 1 */
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

static uint32_t kernel_step(struct bpf_object *obj, const struct step *s)
{
	uint8_t pkt[64] = {s->b0, s->b1};
	struct bpf_program *p = bpf_object__find_program_by_name(obj, s->prog);
	assert_non_null(p);
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof pkt);
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(p), &o), 0);
	return o.retval;
}

static bool kernel_run(const char *path, struct result *r)
{
	libbpf_set_print(silent);
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	if (!obj)
		return false;
	if (bpf_object__load(obj)) {
		bpf_object__close(obj);
		return false;
	}
	for (int i = 0; i < NARM; i++)
		r->ret[i] = kernel_step(obj, &arm_steps[i]);
	sleep_ms(50);
	int afd = bpf_map__fd(bpf_object__find_map_by_name(obj, "timers"));
	int hfd = bpf_map__fd(bpf_object__find_map_by_name(obj, "htimers"));
	for (uint32_t k = 0; k < 3; k++)
		assert_int_equal(bpf_map_lookup_elem(afd, &k, &r->arr[k]), 0);
	uint32_t one = 1;
	assert_int_equal(bpf_map_lookup_elem(hfd, &one, &r->hash1), 0);
	for (int i = 0; i < NCANCEL; i++)
		r->ret[NARM + i] = kernel_step(obj, &cancel_steps[i]);
	bpf_object__close(obj);
	return true;
}

static uint32_t hive_step(struct hive_object *obj, const struct step *s, bool jit)
{
	uint8_t pkt[64] = {s->b0, s->b1};
	const struct hive_program *p = hive_object_find_program(obj, s->prog);
	assert_non_null(p);
	HIVE_OPTS(hive_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof pkt, .use_jit = jit);
	int err = hive_program_test_run(p, &o);
	if (err)
		fail_msg("%s: %d %s (pc %u)", s->prog, err, o.errmsg, o.fault_pc);
	return o.retval;
}

static void hive_run(const char *path, enum hive_exec_mode mode, bool jit, struct result *r)
{
	struct hive_env *env = NULL;
	struct hive_object *obj = NULL;
	char log[16384] = "";
	assert_int_equal(hive_env_new(&env), 0);
	assert_int_equal(hive_helpers_install(env, NULL), 0);
	HIVE_OPTS(hive_object_open_opts, oo, .log_buf = log, .log_size = sizeof log);
	if (hive_object_open_file(path, &oo, &obj))
		fail_msg("open: %s", log);
	/* verified (the timer helpers' arguments and the callback); checked mode keeps run-time checks too */
	HIVE_OPTS(hive_object_load_opts, lo, .env = env, .checked = mode == HIVE_EXEC_CHECKED, .log_buf = log,
		  .log_size = sizeof log);
	if (hive_object_load(obj, &lo))
		fail_msg("load: %s", log);
	for (size_t i = 0; jit && i < hive_object_prog_cnt(obj); i++) {
		HIVE_OPTS(hive_jit_opts, jo);
		assert_int_equal(hive_prog_jit(hive_program_prog(hive_object_prog(obj, i)), &jo), 0);
	}
	for (int i = 0; i < NARM; i++)
		r->ret[i] = hive_step(obj, &arm_steps[i], jit);
	sleep_ms(50);
	struct hive_map *arr = hive_object_map_map(hive_object_find_map(obj, "timers"));
	struct hive_map *hash = hive_object_map_map(hive_object_find_map(obj, "htimers"));
	for (uint32_t k = 0; k < 3; k++)
		assert_int_equal(hive_map_lookup(arr, &k, &r->arr[k]), 0);
	uint32_t one = 1;
	assert_int_equal(hive_map_lookup(hash, &one, &r->hash1), 0);
	for (int i = 0; i < NCANCEL; i++)
		r->ret[NARM + i] = hive_step(obj, &cancel_steps[i], jit);
	hive_object_close(obj);
	hive_env_free(env);
}

static void test_against_kernel(void **state)
{
	(void)state;
	const char *path = corpus_obj("timers", 3, true);
	if (!path) {
		printf("HIVE-SKIP: no clang for tests/progs/timers.bpf.c\n");
		skip();
	}
	struct result k, h;
	memset(&k, 0, sizeof k);
	if (!kernel_run(path, &k)) {
		printf("HIVE-SKIP: the kernel does not load timers.bpf.o (bpf() not permitted?)\n");
		skip();
	}
	/* the figures the kernel gave, so a change on both sides shows too */
	assert_int_equal(k.ret[0], EBUSY << 8);
	assert_int_equal(k.arr[1].fired, 1);
	assert_int_equal(k.arr[1].key, 1);
	assert_int_equal(k.arr[1].cb_cancel, -EDEADLK);
	assert_int_equal(k.arr[2].fired, 0);
	assert_int_equal(k.hash1.fired, 1);
	assert_int_equal(k.ret[NARM], 1);
	assert_int_equal(k.ret[NARM + 1], 0);
	assert_int_equal((int32_t)k.ret[NARM + 2], -EINVAL);
	static const char *names[] = {"interp checked", "interp trusted", "jit checked", "jit trusted"};
	for (int e = 0; e < 4; e++) {
		memset(&h, 0, sizeof h);
		hive_run(path, e == 0 || e == 2 ? HIVE_EXEC_CHECKED : HIVE_EXEC_TRUSTED, e >= 2, &h);
		for (int i = 0; i < NRES; i++)
			if (h.ret[i] != k.ret[i])
				fail_msg("%s: step %d: hive %#x, kernel %#x", names[e], i, h.ret[i], k.ret[i]);
		if (memcmp(&h.arr, &k.arr, sizeof k.arr) || memcmp(&h.hash1, &k.hash1, sizeof k.hash1))
			fail_msg("%s: values differ: key 1 fired %llu/%llu cancel %lld/%lld key %u/%u, hash fired %llu/%llu",
				 names[e], (unsigned long long)h.arr[1].fired, (unsigned long long)k.arr[1].fired,
				 (long long)h.arr[1].cb_cancel, (long long)k.arr[1].cb_cancel, h.arr[1].key, k.arr[1].key,
				 (unsigned long long)h.hash1.fired, (unsigned long long)k.hash1.fired);
	}
	printf("timers: %d retvals and 4 values equal to the kernel's in 4 engines\n", NRES);
}

/* tests/progs/timer_rules.bpf.c: each program alone, the kernel's verdict
 * (through libbpf) against hive's. */
static void test_rules(void **state)
{
	(void)state;
	const char *path = corpus_obj("timer_rules", 3, true);
	if (!path) {
		printf("HIVE-SKIP: no clang to build tests/progs/timer_rules.bpf.c\n");
		skip();
	}
	libbpf_set_print(silent);
	struct bpf_object *probe = bpf_object__open_file(path, NULL);
	assert_non_null(probe);
	int nprog = 0, agree = 0;
	struct bpf_program *bp;
	bpf_object__for_each_program(bp, probe)
	{
		const char *name = bpf_program__name(bp);
		/* the kernel */
		struct bpf_object *ko = bpf_object__open_file(path, NULL);
		assert_non_null(ko);
		struct bpf_program *q;
		bpf_object__for_each_program(q, ko) bpf_program__set_autoload(q, !strcmp(bpf_program__name(q), name));
		int kerr = bpf_object__load(ko);
		bpf_object__close(ko);
		if (kerr == -EPERM) {
			printf("HIVE-SKIP: bpf() not permitted\n");
			bpf_object__close(probe);
			skip();
		}
		/* hive */
		struct hive_env *env = NULL;
		struct hive_object *obj = NULL;
		static char log[65536];
		assert_int_equal(hive_env_new(&env), 0);
		assert_int_equal(hive_helpers_install(env, NULL), 0);
		assert_int_equal(hive_object_open_file(path, NULL, &obj), 0);
		for (size_t i = 0; i < hive_object_prog_cnt(obj); i++)
			hive_program_set_autoload(hive_object_prog(obj, i),
						  !strcmp(hive_program_name(hive_object_prog(obj, i)), name));
		log[0] = '\0';
		HIVE_OPTS(hive_object_load_opts, lo, .env = env, .log_buf = log, .log_size = sizeof log);
		int herr = hive_object_load(obj, &lo);
		hive_object_close(obj);
		hive_env_free(env);
		bool want_ok = !strncmp(name, "ok_", 3);
		nprog++;
		if ((kerr == 0) == (herr == 0) && (kerr == 0) == want_ok) {
			agree++;
			continue;
		}
		fail_msg("%s: kernel %d, hive %d (expected %s)\n%s", name, kerr, herr, want_ok ? "accepted" : "refused",
			 log);
	}
	bpf_object__close(probe);
	printf("timer rules: %d of %d programs, same verdict as the kernel\n", agree, nprog);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_kernel),
		cmocka_unit_test(test_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
