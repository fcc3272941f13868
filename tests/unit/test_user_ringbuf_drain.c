/* bpf_user_ringbuf_drain (helper 209) and bpf_dynptr_read: a program
 * drains samples the application wrote with hive_user_ringbuf_*, its
 * callback reading each through the dynptr it is given; under the
 * interpreter (checked and trusted) and the JIT. The same bytecode runs in
 * the kernel (BPF_PROG_TEST_RUN) on a kernel USER_RINGBUF the test fills
 * through its mmap'ed pages with the same samples: the same return values
 * and sums. */
#include <errno.h>
#include <linux/bpf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "hive/hive.h"

#define INSN(c, d, s, o, i) {.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)}

/* main: r0 = drained count << 20 | sum (20 bits) of the first u64 of each sample
 * (callback: stop at a sample shorter than 8 bytes, or whose value is 99). */
static const struct hive_insn drain_prog[] = {
	INSN(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -8, 0),               /* 0: sum = 0 */
	INSN(BPF_LD | BPF_IMM | BPF_DW, 1, BPF_PSEUDO_MAP_FD, 0, 0), /* 1: r1 = map */
	INSN(0, 0, 0, 0, 0),
	INSN(BPF_LD | BPF_IMM | BPF_DW, 2, BPF_PSEUDO_FUNC, 0, 11),  /* 3: r2 = cb (insn 15) */
	INSN(0, 0, 0, 0, 0),
	INSN(BPF_ALU64 | BPF_MOV | BPF_X, 3, 10, 0, 0),              /* 5: r3 = &sum */
	INSN(BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, -8),
	INSN(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, 0),               /* 7: flags, patched */
	INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_user_ringbuf_drain),
	INSN(BPF_ALU64 | BPF_LSH | BPF_K, 0, 0, 0, 20),              /* 9 */
	INSN(BPF_LDX | BPF_MEM | BPF_DW, 1, 10, -8, 0),
	INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 1, 0, 0),
	INSN(BPF_ALU64 | BPF_AND | BPF_K, 1, 0, 0, 0xfffff),
	INSN(BPF_ALU64 | BPF_OR | BPF_X, 0, 1, 0, 0),
	INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),                         /* 14 */
	/* callback(dynptr, ctx) */
	INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 2, 0, 0),               /* 15: r6 = ctx */
	INSN(BPF_ALU64 | BPF_MOV | BPF_X, 3, 1, 0, 0),               /* r3 = dynptr */
	INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 10, 0, 0),
	INSN(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, -8),              /* r1 = buf */
	INSN(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 8),
	INSN(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, 0),
	INSN(BPF_ALU64 | BPF_MOV | BPF_K, 5, 0, 0, 0),
	INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_dynptr_read),
	INSN(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 7, 0),                 /* 23: short sample: stop */
	INSN(BPF_LDX | BPF_MEM | BPF_DW, 1, 10, -8, 0),
	INSN(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 5, 99),                /* 25: 99: stop */
	INSN(BPF_LDX | BPF_MEM | BPF_DW, 2, 6, 0, 0),
	INSN(BPF_ALU64 | BPF_ADD | BPF_X, 2, 1, 0, 0),
	INSN(BPF_STX | BPF_MEM | BPF_DW, 6, 2, 0, 0),
	INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
	INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1),               /* 31 */
	INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
};
enum { NINSN = sizeof drain_prog / sizeof *drain_prog, FLAGS_INSN = 7 };

static int sys_bpf(int cmd, union bpf_attr *a)
{
	long r = syscall(__NR_bpf, cmd, a, sizeof *a);
	return r < 0 ? -errno : (int)r;
}

/* {===== the kernel side: a USER_RINGBUF filled through its mapping */

struct kring {
	int map, prog[3];
	volatile uint64_t *cons, *prod;
	uint8_t *data;
	size_t size, page;
};

/* BTF the kernel needs for a program with a callback (func_info): int, a
 * prototype, the functions "main" (global) and "cb" (static). */
static int kring_btf(void)
{
	static const char strs[] = "\0int\0main\0cb";
	uint32_t types[] = {
		/* [1] int */ 1, 1u << 24, 4, (1u << 24) | 32,
		/* [2] int (void) */ 0, 13u << 24, 1,
		/* [3] main */ 5, (12u << 24) | 1, 2,
		/* [4] cb */ 10, 12u << 24, 2,
	};
	uint8_t blob[24 + sizeof types + sizeof strs];
	struct {
		uint16_t magic;
		uint8_t version, flags;
		uint32_t hdr_len, type_off, type_len, str_off, str_len;
	} hdr = {0xeB9F, 1, 0, 24, 0, sizeof types, sizeof types, sizeof strs};
	memcpy(blob, &hdr, 24);
	memcpy(blob + 24, types, sizeof types);
	memcpy(blob + 24 + sizeof types, strs, sizeof strs);
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.btf = (uint64_t)(uintptr_t)blob;
	a.btf_size = sizeof blob;
	return sys_bpf(BPF_BTF_LOAD, &a);
}

static bool kring_open(struct kring *k, uint32_t size, char *why, size_t whysz)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.map_type = BPF_MAP_TYPE_USER_RINGBUF;
	a.max_entries = size;
	k->map = sys_bpf(BPF_MAP_CREATE, &a);
	if (k->map < 0) {
		snprintf(why, whysz, "bpf(): %s", strerror(-k->map));
		return false;
	}
	k->page = (size_t)sysconf(_SC_PAGESIZE);
	k->size = size;
	void *c = mmap(NULL, k->page, PROT_READ, MAP_SHARED, k->map, 0);
	void *p = mmap(NULL, k->page + 2 * (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, k->map, (off_t)k->page);
	assert_true(c != MAP_FAILED && p != MAP_FAILED);
	k->cons = c;
	k->prod = p;
	k->data = (uint8_t *)p + k->page;
	static char log[1 << 14];
	int btf = kring_btf();
	if (btf < 0) {
		snprintf(why, whysz, "BTF_LOAD: %s", strerror(-btf));
		return false;
	}
	struct bpf_func_info fi[2] = {{0, 3}, {15, 4}};
	for (int f = 0; f < 3; f++) {
		struct hive_insn insns[NINSN];
		memcpy(insns, drain_prog, sizeof insns);
		insns[1].imm = k->map;
		insns[FLAGS_INSN].imm = f;
		memset(&a, 0, sizeof a);
		a.prog_type = BPF_PROG_TYPE_SCHED_CLS;
		a.insns = (uint64_t)(uintptr_t)insns;
		a.insn_cnt = NINSN;
		a.license = (uint64_t)(uintptr_t)"GPL";
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = sizeof log;
		a.log_level = 1;
		a.prog_btf_fd = (uint32_t)btf;
		a.func_info = (uint64_t)(uintptr_t)fi;
		a.func_info_rec_size = sizeof *fi;
		a.func_info_cnt = 2;
		log[0] = 0;
		k->prog[f] = sys_bpf(BPF_PROG_LOAD, &a);
		if (k->prog[f] < 0) {
			snprintf(why, whysz, "kernel refused the program: %.200s", log);
			close(btf);
			return false;
		}
	}
	close(btf);
	return true;
}

/* libbpf's user_ring_buffer__reserve + submit/discard, on the kernel's pages */
static int kring_put(struct kring *k, const void *data, uint32_t size, bool discard)
{
	uint64_t cons = __atomic_load_n(k->cons, __ATOMIC_ACQUIRE), prod = *k->prod;
	uint64_t total = ((uint64_t)size + 8 + 7) / 8 * 8;
	if (total > k->size)
		return -E2BIG;
	if (k->size - (prod - cons) < total)
		return -ENOSPC;
	uint32_t *hdr = (uint32_t *)(k->data + (prod & (k->size - 1)));
	hdr[0] = size | (1u << 31);
	hdr[1] = 0;
	__atomic_store_n(k->prod, prod + total, __ATOMIC_RELEASE);
	memcpy(hdr + 2, data, size);
	__atomic_store_n(&hdr[0], size | (discard ? 1u << 30 : 0), __ATOMIC_RELEASE);
	return 0;
}

static uint64_t kring_drain(struct kring *k, int flags)
{
	uint8_t pkt[64] = {0};
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.test.prog_fd = (uint32_t)k->prog[flags];
	a.test.data_in = (uint64_t)(uintptr_t)pkt;
	a.test.data_size_in = sizeof pkt;
	assert_int_equal(sys_bpf(BPF_PROG_TEST_RUN, &a), 0);
	return a.test.retval; /* 32 bits: the test compares the low half */
}

/* }===== */

struct engine {
	struct hive_prog *prog[3];
	bool jit;
};

static uint64_t hive_drain(struct engine *e, int flags)
{
	HIVE_OPTS(hive_run_opts, ro, .use_jit = e->jit);
	assert_int_equal(hive_prog_run(e->prog[flags], &ro), 0);
	return ro.retval;
}

static void test_drain(void **state)
{
	(void)state;
	struct hive_env *env;
	assert_int_equal(hive_env_new(&env), 0);
	assert_int_equal(hive_helpers_install(env, NULL), 0);
	struct hive_map *m;
	assert_int_equal(hive_map_create(HIVE_MAP_USER_RINGBUF, "urb", 0, 0, 4096, NULL, &m), 0);
	struct engine eng[3] = {{.jit = false}, {.jit = false}, {.jit = true}};
	char log[512];
	for (int i = 0; i < 3; i++)
		for (int f = 0; f < 3; f++) {
			struct hive_insn insns[NINSN];
			memcpy(insns, drain_prog, sizeof insns);
			insns[FLAGS_INSN].imm = f;
			HIVE_OPTS(hive_prog_opts, po, .env = env, .mode = i ? HIVE_EXEC_TRUSTED : HIVE_EXEC_CHECKED,
				  .maps = &m, .nmaps = 1, .log_buf = log, .log_size = sizeof log);
			int err = hive_prog_load(insns, NINSN, &po, &eng[i].prog[f]);
			if (err)
				fail_msg("load: %s", log);
			if (eng[i].jit)
				assert_int_equal(hive_prog_jit(eng[i].prog[f], NULL), 0);
		}
	struct kring k = {0};
	char why[300] = "";
	bool kernel = kring_open(&k, 4096, why, sizeof why);
	if (!kernel)
		print_message("kernel side skipped: %s\n", why);
	uint64_t rng = 0x5eed;
	unsigned kernel_rounds = 0;
	uint64_t drained = 0, summed = 0;
	for (int round = 0; round < 300; round++) {
		/* a few samples: sizes 0..24, values, now and then a 99 or a discard */
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		int n = (int)(rng % 6);
		for (int s = 0; s < n; s++) {
			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			uint32_t size = (uint32_t)(rng % 5) * 6;
			uint8_t buf[32] = {0};
			uint64_t v = rng % 23 == 0 ? 99 : rng % 1000;
			memcpy(buf, &v, 8);
			bool discard = rng % 7 == 0;
			void *p;
			int herr = hive_user_ringbuf_reserve(m, size, &p);
			if (!herr) {
				memcpy(p, buf, size);
				if (discard)
					hive_user_ringbuf_discard(m, p);
				else
					hive_user_ringbuf_submit(m, p);
			}
			if (kernel)
				assert_int_equal(kring_put(&k, buf, size, discard), herr);
		}
		int flags = (int)(rng % 3);
		/* engines take turns draining; each result is the kernel's */
		uint64_t h = hive_drain(&eng[round % 3], flags);
		if (kernel) {
			uint64_t kr = kring_drain(&k, flags);
			assert_int_equal((uint32_t)h, (uint32_t)kr);
			kernel_rounds++;
		}
		drained += (uint32_t)h >> 20;
		summed += h & 0xfffff;
	}
	print_message("%u drains compared with the kernel; %llu samples drained, sum %llu\n", kernel_rounds,
		      (unsigned long long)drained, (unsigned long long)summed);
	assert_true(drained > 300);
	/* a map that is not a user ring buffer stops the run */
	struct hive_map *arr;
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, NULL, 4, 8, 1, NULL, &arr), 0);
	struct hive_prog *bad;
	HIVE_OPTS(hive_prog_opts, po, .env = env, .maps = &arr, .nmaps = 1);
	assert_int_equal(hive_prog_load(drain_prog, NINSN, &po, &bad), 0);
	HIVE_OPTS(hive_run_opts, ro);
	assert_int_equal(hive_prog_run(bad, &ro), -EINVAL);
	assert_non_null(strstr(ro.errmsg, "user_ringbuf"));
	hive_prog_free(bad);
	hive_map_free(arr);
	for (int i = 0; i < 3; i++)
		for (int f = 0; f < 3; f++)
			hive_prog_free(eng[i].prog[f]);
	hive_map_free(m);
	hive_env_free(env);
	if (kernel) {
		for (int f = 0; f < 3; f++)
			close(k.prog[f]);
		close(k.map);
	}
}

/* Checked runs: a dynptr argument must be one a drain handed out. */
static void test_fake_dynptr(void **state)
{
	(void)state;
	static const struct hive_insn p[] = {
		INSN(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -32, 0),
		INSN(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -24, 64),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, -8),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 8),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 3, 10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, -32),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 5, 0, 0, 0),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_dynptr_read),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	struct hive_env *env;
	assert_int_equal(hive_env_new(&env), 0);
	assert_int_equal(hive_helpers_install(env, NULL), 0);
	struct hive_prog *prog;
	HIVE_OPTS(hive_prog_opts, po, .env = env);
	assert_int_equal(hive_prog_load(p, sizeof p / sizeof *p, &po, &prog), 0);
	HIVE_OPTS(hive_run_opts, ro);
	assert_int_equal(hive_prog_run(prog, &ro), -EFAULT);
	assert_non_null(strstr(ro.errmsg, "not a live dynptr"));
	hive_prog_free(prog);
	hive_env_free(env);
}

/* The verifier: drain_prog is accepted (the callback's r1 is the sample's
 * dynptr, r2 the context; dynptr_read takes it); and refused when the
 * callback moves the dynptr, returns 2, or main passes a stack pointer as
 * a dynptr, or the map is not a user ring buffer. */
static void test_verify(void **state)
{
	(void)state;
	struct hive_verify_map m = {.fd = 0, .type = HIVE_MAP_USER_RINGBUF, .max_entries = 4096};
	char log[4096];
	HIVE_OPTS(hive_verify_opts, vo, .prog_type = HIVE_PROG_SCHED_CLS, .maps = &m, .nmaps = 1, .log_buf = log,
		  .log_size = sizeof log);
	if (hive_verify(drain_prog, NINSN, &vo, NULL))
		fail_msg("drain_prog refused: %s", log);

	struct hive_insn p[NINSN];
	/* the callback moves the dynptr before passing it */
	memcpy(p, drain_prog, sizeof p);
	p[16] = (struct hive_insn)INSN(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, 8); /* instead of r3 = dynptr */
	assert_int_equal(hive_verify(p, NINSN, &vo, NULL), -EACCES);
	/* returns 2 */
	memcpy(p, drain_prog, sizeof p);
	p[31].imm = 2;
	assert_int_equal(hive_verify(p, NINSN, &vo, NULL), -EACCES);
	assert_non_null(strstr(log, "should have been in [0, 1]"));
	/* a stack pointer as the dynptr: r3 = r10 - 16 */
	memcpy(p, drain_prog, sizeof p);
	p[16] = (struct hive_insn)INSN(BPF_ALU64 | BPF_MOV | BPF_X, 3, 10, 0, 0);
	p[20] = (struct hive_insn)INSN(BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, -16);
	assert_int_equal(hive_verify(p, NINSN, &vo, NULL), -EACCES);
	assert_non_null(strstr(log, "expected=dynptr_ptr"));
	/* not a user ring buffer */
	m.type = HIVE_MAP_RINGBUF;
	assert_int_equal(hive_verify(drain_prog, NINSN, &vo, NULL), -EACCES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drain),
		cmocka_unit_test(test_fake_dynptr),
		cmocka_unit_test(test_verify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
