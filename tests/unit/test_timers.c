/* bpf timers (helpers 169..172, helpers/helper_timer.c): error codes,
 * firing on the timer thread in both engines, order, a callback re-arming
 * its own timer, cancel from the callback (-EDEADLK), and freeing: delete
 * and update of the element, map free and program free while timers are
 * pending or running, many threads at once. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "insn_macros.h"

#define LD_MAP(DST, IDX) INSN(ISA_LD | ISA_IMM | ISA_DW, DST, ISA_PSEUDO_MAP_FD, 0, IDX), INSN(0, 0, 0, 0, 0)
#define LD_FUNC(DST, REL) INSN(ISA_LD | ISA_IMM | ISA_DW, DST, ISA_PSEUDO_FUNC, 0, (REL) + 1), INSN(0, 0, 0, 0, 0)

enum { FN_LOOKUP = 1, FN_TIMER_INIT = 169, FN_TIMER_SET_CB = 170, FN_TIMER_START = 171, FN_TIMER_CANCEL = 172 };
enum { FN_FIRED = 1000 }; /* the test's helper: fired(key), the callback's last act */
enum { OP_INIT = 1, OP_SET_CB = 2, OP_START = 4, OP_CANCEL = 8 };

/* The value: counter, struct bpf_timer, re-arm count, what cancel returned
 * in the callback, the key the callback saw. */
struct value {
	uint64_t counter;
	uint64_t timer[2];
	uint64_t rearm;
	int64_t cb_cancel;
	uint32_t key, pad;
};
enum { TIMER_OFF = offsetof(struct value, timer) };

/* The run's memory: inputs, then each helper's return. */
struct args {
	uint64_t key, ops, init_flags, nsecs, start_flags;
	int64_t init_ret, set_ret, start_ret, cancel_ret;
};

/* Look up mem->key in map 0, then, as mem->ops says, timer_init,
 * set_callback, start, cancel on its timer; the callback counts, records
 * its key and what cancelling its own timer returns, and re-arms itself
 * (100us) while value->rearm > 0. */
static const struct hive_insn timer_prog[] = {
	MOV64_REG(6, 1),
	LDX_MEM(ISA_W, 2, 6, 0),
	STX_MEM(ISA_W, 10, 2, -4),
	LD_MAP(1, 0),
	MOV64_REG(2, 10),
	ALU64_IMM(ISA_ADD, 2, -4),
	CALL_HELPER(FN_LOOKUP),
	JMP_IMM(ISA_JNE, 0, 0, 2),
	MOV64_IMM(0, -1),
	EXIT(),
	MOV64_REG(7, 0),
	LDX_MEM(ISA_DW, 8, 6, 8),
	/* 13: init */
	MOV64_REG(1, 8),
	ALU64_IMM(ISA_AND, 1, OP_INIT),
	JMP_IMM(ISA_JEQ, 1, 0, 7),
	MOV64_REG(1, 7),
	ALU64_IMM(ISA_ADD, 1, TIMER_OFF),
	LD_MAP(2, 0),
	LDX_MEM(ISA_DW, 3, 6, 16),
	CALL_HELPER(FN_TIMER_INIT),
	STX_MEM(ISA_DW, 6, 0, 40),
	/* 23: set_callback */
	MOV64_REG(1, 8),
	ALU64_IMM(ISA_AND, 1, OP_SET_CB),
	JMP_IMM(ISA_JEQ, 1, 0, 6),
	MOV64_REG(1, 7),
	ALU64_IMM(ISA_ADD, 1, TIMER_OFF),
	LD_FUNC(2, 20), /* 28: the callback at 50 */
	CALL_HELPER(FN_TIMER_SET_CB),
	STX_MEM(ISA_DW, 6, 0, 48),
	/* 32: start */
	MOV64_REG(1, 8),
	ALU64_IMM(ISA_AND, 1, OP_START),
	JMP_IMM(ISA_JEQ, 1, 0, 6),
	MOV64_REG(1, 7),
	ALU64_IMM(ISA_ADD, 1, TIMER_OFF),
	LDX_MEM(ISA_DW, 2, 6, 24),
	LDX_MEM(ISA_DW, 3, 6, 32),
	CALL_HELPER(FN_TIMER_START),
	STX_MEM(ISA_DW, 6, 0, 56),
	/* 41: cancel */
	MOV64_REG(1, 8),
	ALU64_IMM(ISA_AND, 1, OP_CANCEL),
	JMP_IMM(ISA_JEQ, 1, 0, 4),
	MOV64_REG(1, 7),
	ALU64_IMM(ISA_ADD, 1, TIMER_OFF),
	CALL_HELPER(FN_TIMER_CANCEL),
	STX_MEM(ISA_DW, 6, 0, 64),
	MOV64_IMM(0, 0),
	EXIT(),
	/* 50: callback(map, key, value) */
	MOV64_REG(6, 3),
	LDX_MEM(ISA_W, 1, 2, 0),
	STX_MEM(ISA_W, 6, 1, offsetof(struct value, key)),
	MOV64_IMM(1, 1),
	ATOMIC_OP(ISA_DW, ISA_ADD, 6, 1, 0),
	MOV64_REG(1, 6),
	ALU64_IMM(ISA_ADD, 1, TIMER_OFF),
	CALL_HELPER(FN_TIMER_CANCEL),
	STX_MEM(ISA_DW, 6, 0, offsetof(struct value, cb_cancel)),
	LDX_MEM(ISA_DW, 1, 6, offsetof(struct value, rearm)),
	JMP_IMM(ISA_JEQ, 1, 0, 7),
	ALU64_IMM(ISA_ADD, 1, -1),
	STX_MEM(ISA_DW, 6, 1, offsetof(struct value, rearm)),
	MOV64_REG(1, 6),
	ALU64_IMM(ISA_ADD, 1, TIMER_OFF),
	MOV64_IMM(2, 100000),
	MOV64_IMM(3, 0),
	CALL_HELPER(FN_TIMER_START),
	LDX_MEM(ISA_W, 1, 6, offsetof(struct value, key)),
	CALL_HELPER(FN_FIRED),
	MOV64_IMM(0, 0),
	EXIT(),
};

/* Firings per key, counted by the callback's last helper call: the test
 * waits on these (acquire) rather than polling values the callback
 * writes, so that its reads of the map are ordered after the writes. */
enum { MAX_KEYS = 16 };
static _Atomic uint64_t fired[MAX_KEYS];

static uint64_t h_fired(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r2, (void)r3, (void)r4, (void)r5, (void)run;
	if (r1 < MAX_KEYS)
		atomic_fetch_add_explicit(&fired[r1], 1, memory_order_release);
	return 0;
}

static uint64_t nfired(uint32_t key)
{
	return atomic_load_explicit(&fired[key], memory_order_acquire);
}

static void reset_fired(void)
{
	for (int i = 0; i < MAX_KEYS; i++)
		atomic_store(&fired[i], 0);
}

static struct hive_env *env;

static int setup(void **state)
{
	(void)state;
	if (hive_env_new(&env) || hive_helpers_install(env, NULL) ||
	    hive_env_set_helper(env, FN_FIRED, "fired", h_fired))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	hive_env_free(env);
	return 0;
}

static struct hive_map *map_new(enum hive_map_type type, uint32_t max, bool timer)
{
	char log[256] = "";
	struct hive_map *m = NULL;
	HIVE_OPTS(hive_map_opts, o, .timer = timer, .timer_off = TIMER_OFF, .log_buf = log, .log_size = sizeof log);
	int err = hive_map_create(type, "t", 4, sizeof(struct value), max, &o, &m);
	if (err)
		fail_msg("map create: %d %s", err, log);
	return m;
}

static struct hive_prog *prog_new(struct hive_map *map, enum hive_exec_mode mode, bool jit)
{
	char log[512] = "";
	struct hive_prog *prog = NULL;
	struct hive_map *maps[1] = {map};
	HIVE_OPTS(hive_prog_opts, o, .env = env, .maps = maps, .nmaps = 1, .mode = mode, .log_buf = log,
		  .log_size = sizeof log);
	int err = hive_prog_load(timer_prog, ARRAY_LEN(timer_prog), &o, &prog);
	if (err)
		fail_msg("load: %d: %s", err, log);
	if (jit) {
		HIVE_OPTS(hive_jit_opts, jo);
		assert_int_equal(hive_prog_jit(prog, &jo), 0);
	}
	return prog;
}

static struct args op(struct hive_prog *prog, bool jit, uint32_t key, uint64_t ops, uint64_t init_flags,
		      uint64_t nsecs, uint64_t start_flags)
{
	struct args a = {key, ops, init_flags, nsecs, start_flags, 7, 7, 7, 7};
	HIVE_OPTS(hive_run_opts, ro, .mem = &a, .mem_size = sizeof a, .use_jit = jit);
	int err = hive_prog_run(prog, &ro);
	if (err || ro.retval)
		fail_msg("run: %d r0 %lld: %s", err, (long long)ro.retval, ro.errmsg);
	return a;
}

static struct value get(struct hive_map *map, uint32_t key)
{
	struct value v;
	memset(&v, 0xee, sizeof v);
	assert_int_equal(hive_map_lookup(map, &key, &v), 0);
	return v;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Wait up to 3 s for @want firings of @key since reset_fired(); then the
 * value (call only when no callback of @key can run meanwhile). */
static struct value wait_count(struct hive_map *map, uint32_t key, uint64_t want)
{
	for (int i = 0; i < 3000 && nfired(key) < want; i++)
		sleep_ms(1);
	return get(map, key);
}

static void wait_fired(uint32_t key, uint64_t want)
{
	for (int i = 0; i < 3000 && nfired(key) < want; i++)
		sleep_ms(1);
}

static void test_errors(void **state)
{
	(void)state;
	reset_fired();
	struct hive_map *map = map_new(HIVE_MAP_ARRAY, 4, true);
	struct hive_prog *prog = prog_new(map, HIVE_EXEC_CHECKED, false);
	/* not initialised: -EINVAL everywhere */
	struct args a = op(prog, false, 1, OP_SET_CB | OP_START | OP_CANCEL, 0, 1000, 0);
	assert_int_equal(a.set_ret, -EINVAL);
	assert_int_equal(a.start_ret, -EINVAL);
	assert_int_equal(a.cancel_ret, -EINVAL);
	/* clocks: MONOTONIC (1), REALTIME (0), BOOTTIME (7); others -EINVAL */
	assert_int_equal(op(prog, false, 1, OP_INIT, 5, 0, 0).init_ret, -EINVAL);
	assert_int_equal(op(prog, false, 1, OP_INIT, 16 + 1, 0, 0).init_ret, -EINVAL);
	assert_int_equal(op(prog, false, 1, OP_INIT, 1, 0, 0).init_ret, 0);
	assert_int_equal(op(prog, false, 1, OP_INIT, 1, 0, 0).init_ret, -EBUSY);
	assert_int_equal(op(prog, false, 2, OP_INIT, 0, 0, 0).init_ret, 0);
	assert_int_equal(op(prog, false, 3, OP_INIT, 7, 0, 0).init_ret, 0);
	/* no callback yet: start -EINVAL; cancel of an idle timer: 0 */
	a = op(prog, false, 1, OP_START | OP_CANCEL, 0, 1000, 0);
	assert_int_equal(a.start_ret, -EINVAL);
	assert_int_equal(a.cancel_ret, 0);
	/* flags: ABS (1) and CPU_PIN (2) accepted, others -EINVAL */
	a = op(prog, false, 1, OP_SET_CB | OP_START, 0, 1000, 4);
	assert_int_equal(a.set_ret, 0);
	assert_int_equal(a.start_ret, -EINVAL);
	/* pending: cancel returns 1, then 0 */
	assert_int_equal(op(prog, false, 1, OP_START | OP_CANCEL, 0, 10000000000ull, 2).cancel_ret, 1);
	assert_int_equal(op(prog, false, 1, OP_CANCEL, 0, 0, 0).cancel_ret, 0);
	/* an absolute expiry in the past fires at once */
	op(prog, false, 1, OP_START, 0, 1, 1);
	assert_int_equal(wait_count(map, 1, 1).counter, 1);
	hive_prog_free(prog);
	hive_map_free(map);

	/* a map without a timer field: -EPERM */
	map = map_new(HIVE_MAP_ARRAY, 4, false);
	prog = prog_new(map, HIVE_EXEC_CHECKED, false);
	assert_int_equal(op(prog, false, 1, OP_INIT, 1, 0, 0).init_ret, -EPERM);
	hive_prog_free(prog);
	hive_map_free(map);

	/* creation checks */
	struct hive_map *m = NULL;
	char log[256] = "";
	HIVE_OPTS(hive_map_opts, o, .timer = true, .timer_off = 4, .log_buf = log, .log_size = sizeof log);
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, "t", 4, 32, 1, &o, &m), -EINVAL);
	assert_non_null(strstr(log, "timer_off 4"));
	o.timer_off = 24;
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, "t", 4, 32, 1, &o, &m), -EINVAL);
	o.timer_off = 0;
	assert_int_equal(hive_map_create(HIVE_MAP_PERCPU_ARRAY, "t", 4, 32, 1, &o, &m), -EOPNOTSUPP);
}

/* Fires once, in each engine, with the right key; cancel of its own
 * timer from the callback is -EDEADLK; user lookups see the timer as 0. */
static void fire_once(enum hive_map_type type, enum hive_exec_mode mode, bool jit)
{
	reset_fired();
	struct hive_map *map = map_new(type, 8, true);
	uint32_t key = 5;
	struct value init = {0};
	assert_int_equal(hive_map_update(map, &key, &init, HIVE_ANY), 0);
	struct hive_prog *prog = prog_new(map, mode, jit);
	struct args a = op(prog, jit, key, OP_INIT | OP_SET_CB | OP_START, 1, 1000000, 0);
	assert_int_equal(a.init_ret, 0);
	assert_int_equal(a.set_ret, 0);
	assert_int_equal(a.start_ret, 0);
	struct value v = wait_count(map, key, 1);
	assert_int_equal(v.counter, 1);
	assert_int_equal(v.key, key);
	assert_int_equal(v.cb_cancel, -EDEADLK);
	assert_int_equal(v.timer[0], 0);
	assert_int_equal(v.timer[1], 0);
	sleep_ms(5);
	assert_int_equal(get(map, key).counter, 1); /* once */
	hive_prog_free(prog);
	hive_map_free(map);
}

static void test_fire(void **state)
{
	(void)state;
	static const enum hive_map_type types[] = {HIVE_MAP_ARRAY, HIVE_MAP_HASH, HIVE_MAP_LRU_HASH};
	for (size_t t = 0; t < 3; t++)
		for (int e = 0; e < 4; e++)
			fire_once(types[t], e & 1 ? HIVE_EXEC_TRUSTED : HIVE_EXEC_CHECKED, e >= 2);
}

/* A later start fires later: 1 ms fires, 60 s does not meanwhile. */
static void test_order(void **state)
{
	(void)state;
	reset_fired();
	struct hive_map *map = map_new(HIVE_MAP_ARRAY, 4, true);
	struct hive_prog *prog = prog_new(map, HIVE_EXEC_TRUSTED, false);
	op(prog, false, 0, OP_INIT | OP_SET_CB | OP_START, 1, 60000000000ull, 0);
	op(prog, false, 1, OP_INIT | OP_SET_CB | OP_START, 1, 30000000, 0);
	op(prog, false, 2, OP_INIT | OP_SET_CB | OP_START, 1, 1000000, 0);
	assert_int_equal(wait_count(map, 2, 1).counter, 1);
	assert_int_equal(nfired(1), 0); /* 30 ms later than key 2's */
	assert_int_equal(wait_count(map, 1, 1).counter, 1);
	assert_int_equal(nfired(0), 0);
	/* restarting moves the expiry: key 0 now fires */
	op(prog, false, 0, OP_START, 0, 1000, 0);
	assert_int_equal(wait_count(map, 0, 1).counter, 1);
	hive_prog_free(prog);
	hive_map_free(map);
}

static void test_rearm(void **state)
{
	(void)state;
	for (int jit = 0; jit < 2; jit++) {
		reset_fired();
		struct hive_map *map = map_new(HIVE_MAP_HASH, 4, true);
		uint32_t key = 3;
		struct value init = {.rearm = 20};
		assert_int_equal(hive_map_update(map, &key, &init, HIVE_ANY), 0);
		struct hive_prog *prog = prog_new(map, HIVE_EXEC_CHECKED, jit);
		op(prog, jit, key, OP_INIT | OP_SET_CB | OP_START, 1, 1000, 0);
		struct value v = wait_count(map, key, 21);
		assert_int_equal(v.counter, 21);
		assert_int_equal(v.rearm, 0);
		sleep_ms(3);
		assert_int_equal(get(map, key).counter, 21);
		hive_prog_free(prog);
		hive_map_free(map);
	}
}

/* Delete (hash) and update (array, hash) free the timer: it never fires,
 * and the element's new timer can be initialised again. */
static void test_delete_update(void **state)
{
	(void)state;
	struct hive_map *map = map_new(HIVE_MAP_HASH, 4, true);
	struct hive_prog *prog = prog_new(map, HIVE_EXEC_CHECKED, false);
	uint32_t key = 1;
	struct value zero = {0};
	assert_int_equal(hive_map_update(map, &key, &zero, HIVE_ANY), 0);
	op(prog, false, key, OP_INIT | OP_SET_CB | OP_START, 1, 20000000, 0);
	assert_int_equal(hive_map_delete(map, &key), 0);
	assert_int_equal(hive_map_update(map, &key, &zero, HIVE_ANY), 0);
	sleep_ms(40);
	assert_int_equal(get(map, key).counter, 0);
	assert_int_equal(op(prog, false, key, OP_INIT, 1, 0, 0).init_ret, 0);
	/* replacing the value also frees it */
	op(prog, false, key, OP_SET_CB | OP_START, 1, 20000000, 0);
	assert_int_equal(hive_map_update(map, &key, &zero, HIVE_EXIST), 0);
	sleep_ms(40);
	assert_int_equal(get(map, key).counter, 0);
	assert_int_equal(op(prog, false, key, OP_INIT, 1, 0, 0).init_ret, 0);
	hive_prog_free(prog);
	hive_map_free(map);

	map = map_new(HIVE_MAP_ARRAY, 4, true);
	prog = prog_new(map, HIVE_EXEC_CHECKED, false);
	op(prog, false, 2, OP_INIT | OP_SET_CB | OP_START, 1, 20000000, 0);
	assert_int_equal(hive_map_update(map, &(uint32_t){2}, &zero, HIVE_ANY), 0);
	sleep_ms(40);
	assert_int_equal(get(map, 2).counter, 0);
	assert_int_equal(op(prog, false, 2, OP_INIT, 1, 0, 0).init_ret, 0);
	hive_prog_free(prog);
	hive_map_free(map);
}

/* Freeing the map or the program with timers pending, and with a callback
 * re-arming itself every 100 us (so one is often running): nothing fires
 * afterwards (ASan would see the freed value). */
static void test_free_pending(void **state)
{
	(void)state;
	for (int round = 0; round < 20; round++) {
		reset_fired();
		struct hive_map *map = map_new(round & 1 ? HIVE_MAP_HASH : HIVE_MAP_ARRAY, 8, true);
		struct value busy = {.rearm = 1000000};
		for (uint32_t k = 0; k < 8; k++)
			assert_int_equal(hive_map_update(map, &k, &busy, HIVE_ANY), 0);
		struct hive_prog *prog = prog_new(map, HIVE_EXEC_TRUSTED, round & 2);
		for (uint32_t k = 0; k < 8; k++)
			op(prog, round & 2, k, OP_INIT | OP_SET_CB | OP_START, 1, k * 100000, 0);
		sleep_ms(2);
		if (round & 4) {
			hive_prog_free(prog);
			uint64_t n = nfired(0) + nfired(1) + nfired(7);
			sleep_ms(2);
			assert_int_equal(nfired(0) + nfired(1) + nfired(7), n); /* stopped */
			hive_map_free(map);
		} else {
			hive_map_free(map);
			hive_prog_free(prog);
		}
	}
}

struct worker {
	struct hive_prog *prog;
	struct hive_map *map;
	uint32_t key;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < 200; i++) {
		struct args a = {w->key, OP_START | (i % 3 == 0 ? OP_CANCEL : 0), 0, (uint64_t)(i % 5) * 20000, 0, 0, 0, 0, 0};
		HIVE_OPTS(hive_run_opts, ro, .mem = &a, .mem_size = sizeof a);
		if (hive_prog_run(w->prog, &ro) || a.start_ret)
			return (void *)1;
	}
	/* the last start was not cancelled (199 % 3 != 0) */
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	enum { N = 4 };
	reset_fired();
	struct hive_map *map = map_new(HIVE_MAP_HASH, N, true);
	struct hive_prog *prog = prog_new(map, HIVE_EXEC_CHECKED, false);
	struct value zero = {0};
	for (uint32_t k = 0; k < N; k++) {
		assert_int_equal(hive_map_update(map, &k, &zero, HIVE_ANY), 0);
		assert_int_equal(op(prog, false, k, OP_INIT | OP_SET_CB, 1, 0, 0).init_ret, 0);
	}
	pthread_t th[N];
	struct worker w[N];
	for (uint32_t k = 0; k < N; k++) {
		w[k] = (struct worker){prog, map, k};
		assert_int_equal(pthread_create(&th[k], NULL, worker_main, &w[k]), 0);
	}
	for (uint32_t k = 0; k < N; k++) {
		void *r;
		pthread_join(th[k], &r);
		assert_null(r);
	}
	for (uint32_t k = 0; k < N; k++) {
		wait_fired(k, 1);
		assert_true(nfired(k) >= 1);
	}
	hive_prog_free(prog);
	hive_map_free(map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),	     cmocka_unit_test(test_fire),
		cmocka_unit_test(test_order),	     cmocka_unit_test(test_rearm),
		cmocka_unit_test(test_delete_update), cmocka_unit_test(test_free_pending),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
