/* Built-in helpers: each one called directly (run = NULL, as a trusted
 * run), then map and ring buffer helpers from programs through the
 * interpreter, in checked mode (bad pointers stop the run, map values are
 * opened to it) and from several threads at once. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers/helpers.h"
#include "helpers/proto.h"
#include "hive/hive.h"
#include "insn_macros.h"
#include "isa/isa.h"
#include "maps/map.h"

static uint64_t call(uint32_t id, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	hive_helper_fn fn = helpers_builtin(id);
	if (!fn)
		fail_msg("no helper %u", id);
	return fn(r1, r2, r3, r4, r5, NULL);
}

#define P(x) ((uint64_t)(uintptr_t)(x))

/* {===== the print sink */

static char sink_buf[2048];
static size_t sink_len;

static void sink(void *ctx, const char *line, size_t len)
{
	assert_ptr_equal(ctx, &sink_len);
	memcpy(sink_buf, line, len);
	sink_buf[len] = 0;
	sink_len = len;
}

static int setup(void **state)
{
	(void)state;
	struct hive_env *env;
	assert_int_equal(hive_env_new(&env), 0);
	HIVE_OPTS(hive_helpers_opts, o, .print = sink, .print_ctx = &sink_len);
	assert_int_equal(hive_helpers_install(env, &o), 0);
	const char *name;
	assert_non_null(hive_env_helper(env, 1, &name));
	assert_string_equal(name, "map_lookup_elem");
	assert_non_null(hive_env_helper(env, 182, &name));
	assert_string_equal(name, "strncmp");
	hive_env_free(env);
	assert_int_equal(hive_helpers_install(NULL, NULL), -EINVAL);
	struct hive_helpers_opts bad = {.sz = 1};
	assert_int_equal(hive_env_new(&env), 0);
	assert_int_equal(hive_helpers_install(env, &bad), -EINVAL);
	struct {
		struct hive_helpers_opts o;
		uint64_t future;
	} newer = {.o = {.sz = sizeof newer}, .future = 1};
	assert_int_equal(hive_helpers_install(env, &newer.o), -EINVAL);
	newer.future = 0;
	assert_int_equal(hive_helpers_install(env, &newer.o), 0);
	hive_env_free(env);
	return 0;
}

/* }===== */

static void test_time(void **state)
{
	(void)state;
	uint64_t a = call(5, 0, 0, 0, 0, 0), b = call(5, 0, 0, 0, 0, 0);
	assert_true(a > 0 && b >= a);
	assert_true(call(125, 0, 0, 0, 0, 0) >= a);   /* boot time includes suspend */
	assert_true(call(160, 0, 0, 0, 0, 0) > 0);
	assert_true(call(208, 0, 0, 0, 0, 0) > 1500000000ull * 1000000000ull); /* TAI: since 1970 */
	uint64_t j = call(118, 0, 0, 0, 0, 0);
	struct timespec ts = {0, 30 * 1000 * 1000};
	nanosleep(&ts, NULL);
	assert_true(call(118, 0, 0, 0, 0, 0) > j);
}

static void test_task(void **state)
{
	(void)state;
	uint64_t pt = call(14, 0, 0, 0, 0, 0);
	assert_int_equal(pt >> 32, (uint64_t)getpid());
	assert_int_equal((uint32_t)pt, (uint32_t)gettid());
	uint64_t ug = call(15, 0, 0, 0, 0, 0);
	assert_int_equal((uint32_t)ug, getuid());
	assert_int_equal(ug >> 32, getgid());
	prctl(PR_SET_NAME, "hive-helpers", 0, 0, 0);
	char comm[16], small[4];
	memset(comm, 'x', sizeof comm);
	assert_int_equal(call(16, P(comm), sizeof comm, 0, 0, 0), 0);
	assert_string_equal(comm, "hive-helpers");
	assert_int_equal(comm[15], 0); /* padded */
	assert_int_equal(call(16, P(small), sizeof small, 0, 0, 0), 0);
	assert_string_equal(small, "hiv");
	assert_int_equal(call(16, P(small), 0, 0, 0, 0), (uint64_t)-EINVAL);
	assert_true(call(8, 0, 0, 0, 0, 0) < (uint64_t)hive_num_possible_cpus());
	assert_true(call(42, 0, 0, 0, 0, 0) < 1024);
	uint64_t r1 = call(7, 0, 0, 0, 0, 0), r2 = call(7, 0, 0, 0, 0, 0), r3 = call(7, 0, 0, 0, 0, 0);
	assert_true(r1 <= UINT32_MAX && r2 <= UINT32_MAX);
	assert_false(r1 == r2 && r2 == r3);
}

/* {===== printing */

static void test_trace_printk(void **state)
{
	(void)state;
	const char fmt[] = "x=%d u=%u l=%ld lx=%llx s=%s c=%c %% [%5d|%-4x|%05i] p=%px\n";
	uint64_t r = call(6, P(fmt), sizeof fmt, (uint64_t)-5, 7, 0);
	assert_int_equal((int64_t)r, (int64_t)-EINVAL); /* more than 3 conversions */
	const char f3[] = "x=%d lx=%llx s=%s\n";
	const char *str = "hi";
	r = call(6, P(f3), sizeof f3, (uint64_t)(uint32_t)-5, 0xabcdef0123ull, P(str));
	assert_string_equal(sink_buf, "x=-5 lx=abcdef0123 s=hi\n");
	assert_int_equal(r, strlen(sink_buf));
	const char fw[] = "[%5d|%-4x|%05i]";
	call(6, P(fw), sizeof fw, 42, 10, 7);
	assert_string_equal(sink_buf, "[   42|a   |00007]");
	const char fc[] = "%c%c %%";
	call(6, P(fc), sizeof fc, 'o', 'k', 0);
	assert_string_equal(sink_buf, "ok %");
	uint8_t ip4[4] = {192, 168, 0, 1}, ip6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	const char fi[] = "%pI4 %pi4 %pI6";
	call(6, P(fi), sizeof fi, P(ip4), P(ip4), P(ip6));
	assert_string_equal(sink_buf, "192.168.0.1 192.168.000.001 2001:0db8:0000:0000:0000:0000:0000:0001");
	const char fs[] = "%s|%s";
	call(6, P(fs), sizeof fs, 0, 8, 0); /* unreadable strings print empty */
	assert_string_equal(sink_buf, "|");
	/* refused formats */
	const char *bad[] = {"%q", "%.3d", "%#x", "%lf", "%sx", "%p4", "%pI5", "\x01", "%"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal((int64_t)call(6, P(bad[i]), strlen(bad[i]) + 1, 1, 2, 3), (int64_t)-EINVAL);
	const char nonul[3] = {'a', 'b', 'c'};
	assert_int_equal((int64_t)call(6, P(nonul), sizeof nonul, 0, 0, 0), (int64_t)-EINVAL);
	assert_int_equal((int64_t)call(6, P(f3), 0, 0, 0, 0), (int64_t)-EINVAL);
}

static void test_snprintf_vprintk(void **state)
{
	(void)state;
	char out[32];
	uint64_t args[3] = {42, P("str"), 0xff};
	/* the size the whole output needs, NUL included */
	assert_int_equal(call(165, P(out), sizeof out, P("a=%d b=%s c=%x"), P(args), sizeof args), 16);
	assert_string_equal(out, "a=42 b=str c=ff");
	assert_int_equal(call(165, P(out), 5, P("a=%d b=%s c=%x"), P(args), sizeof args), 16); /* truncated */
	assert_string_equal(out, "a=42");
	assert_int_equal(call(165, 0, 0, P("%d"), P(args), 8), 3);
	/* a field wider than any internal buffer still counts in full */
	static char wide[3000];
	assert_int_equal(call(165, P(wide), sizeof wide, P("%2500d"), P(args), 8), 2501);
	assert_int_equal(strlen(wide), 2500);
	assert_int_equal(wide[2498], '4');
	assert_int_equal((int64_t)call(165, P(out), sizeof out, P("%d"), P(args), 7), (int64_t)-EINVAL);
	assert_int_equal((int64_t)call(165, P(out), sizeof out, P("%d"), P(args), 13 * 8), (int64_t)-EINVAL);
	assert_int_equal((int64_t)call(165, P(out), sizeof out, P("%d"), 0, 8), (int64_t)-EINVAL);
	assert_int_equal((int64_t)call(165, P(out), sizeof out, P("%d %d"), P(args), 8), (int64_t)-EINVAL);
	const char vf[] = "v %d %d %d %d\n";
	uint64_t va[4] = {1, 2, 3, 4};
	assert_int_equal(call(177, P(vf), sizeof vf, P(va), sizeof va, 0), 10);
	assert_string_equal(sink_buf, "v 1 2 3 4\n");
}

/* }===== */

static void test_strings(void **state)
{
	(void)state;
	int64_t res = 0;
	uint64_t ures = 0;
	struct {
		const char *s;
		uint64_t flags;
		int64_t ret, val;
	} cases[] = {
		{"  -123abc", 0, 6, -123}, {"0x1f", 0, 4, 31}, {"0777", 0, 4, 511}, {"0x1f", 16, 4, 31},
		{"ff", 16, 2, 255}, {"19", 8, 1, 1}, {"0", 0, 1, 0}, {"-0", 10, 2, 0}, {"0x", 16, -EINVAL, 0},
		{"0xg", 0, 1, 0}, {"-", 0, -EINVAL, 0}, {"   ", 0, -EINVAL, 0}, {"abc", 10, -EINVAL, 0},
		{"12", 3, -EINVAL, 0}, {"12", 0x20, -EINVAL, 0},
		{"9223372036854775807", 0, 19, INT64_MAX}, {"9223372036854775808", 0, -ERANGE, 0},
		{"-9223372036854775808", 0, 20, INT64_MIN}, {"-9223372036854775809", 0, -ERANGE, 0},
		{"99999999999999999999", 0, -ERANGE, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		res = 0x5555;
		int64_t r = (int64_t)call(105, P(cases[i].s), strlen(cases[i].s), cases[i].flags, P(&res), 0);
		if (r != cases[i].ret)
			fail_msg("strtol(\"%s\", %llu) = %lld", cases[i].s, (unsigned long long)cases[i].flags, (long long)r);
		if (r >= 0)
			assert_int_equal(res, cases[i].val);
	}
	assert_int_equal((int64_t)call(105, P("1"), 0, 0, P(&res), 0), (int64_t)-EINVAL);
	/* only the first 63 characters after the sign are looked at */
	char longs[80];
	memset(longs, '0', sizeof longs);
	longs[79] = '7';
	assert_int_equal(call(105, P(longs), sizeof longs, 10, P(&res), 0), 63);
	assert_int_equal(res, 0);
	assert_int_equal(call(106, P("18446744073709551615"), 20, 0, P(&ures), 0), 20);
	assert_int_equal(ures, UINT64_MAX);
	assert_int_equal((int64_t)call(106, P("18446744073709551616"), 20, 0, P(&ures), 0), (int64_t)-ERANGE);
	assert_int_equal((int64_t)call(106, P("-1"), 2, 0, P(&ures), 0), (int64_t)-EINVAL);
	/* strncmp */
	assert_int_equal((int64_t)call(182, P("abc"), 3, P("abd"), 0, 0), -1);
	assert_int_equal((int64_t)call(182, P("abc"), 2, P("abd"), 0, 0), 0);
	assert_int_equal((int64_t)call(182, P("b"), 1, P("a"), 0, 0), 1);
	assert_int_equal((int64_t)call(182, P("ab\0x"), 4, P("ab"), 0, 0), 0);
	assert_int_equal((int64_t)call(182, P("abc"), 3, P("ab"), 0, 0), 1);
}

/* 16-bit folded results, as Linux 6.12+ (test_helper_kernel_diff checks
 * hundreds of random cases against the running kernel) */
static void test_csum_diff(void **state)
{
	(void)state;
	uint32_t a[2] = {0x01020304, 0x0a0b0c0d}, b[2] = {0x01020305, 0x0a0b0c0d};
	assert_int_equal(call(28, 0, 0, P(a), 4, 0), 0x0406);
	assert_int_equal(call(28, 0, 0, P(a), 8, 1), 0x1a1f);
	assert_int_equal(call(28, P(a), 8, P(b), 8, 0), 1); /* only the difference remains */
	assert_int_equal(call(28, P(a), 4, P(a), 4, 0), 0xffff);
	assert_int_equal(call(28, 0, 0, 0, 0, 0x12345678), 0x68ac); /* the seed, folded */
	assert_int_equal(call(28, P(a), 3, 0, 0, 0), 0xfcf9);      /* any size */
	uint32_t big[2] = {0xffffffff, 2};
	assert_int_equal(call(28, 0, 0, P(big), 8, 0), 2); /* end-around carry */
	/* an odd start address is rotated as x86-64's csum_partial does */
	uint8_t odd[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
	assert_int_equal(call(28, 0, 0, P(odd + 1), 8, 0), call(28, 0, 0, P(odd + 1), 8, 0));
	uint8_t even[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	assert_int_equal(call(28, 0, 0, P(odd + 1), 8, 0), call(28, 0, 0, P(even), 8, 0));
}

static void test_probe_read(void **state)
{
	(void)state;
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *two = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(two != MAP_FAILED);
	assert_int_equal(munmap(two + page, (size_t)page), 0);
	uint8_t *end = two + page;
	memcpy(end - 4, "abc", 4);
	char dst[16];
	memset(dst, 'x', sizeof dst);
	assert_int_equal(call(4, P(dst), 4, P(end - 4), 0, 0), 0);
	assert_string_equal(dst, "abc");
	memset(dst, 'x', sizeof dst);
	assert_int_equal((int64_t)call(4, P(dst), 8, P(end - 4), 0, 0), (int64_t)-EFAULT); /* crosses into the hole */
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(dst[i], 0);
	assert_int_equal((int64_t)call(113, P(dst), 8, 0, 0, 0), (int64_t)-EFAULT);
	assert_int_equal((int64_t)call(112, P(dst), 0, 0, 0, 0), 0);
	/* strings: the NUL before the hole is enough */
	assert_int_equal(call(45, P(dst), sizeof dst, P(end - 4), 0, 0), 4);
	assert_string_equal(dst, "abc");
	assert_int_equal(call(114, P(dst), 3, P("hello"), 0, 0), 3);
	assert_string_equal(dst, "he");
	memcpy(end - 2, "zz", 2); /* no NUL before the hole */
	assert_int_equal((int64_t)call(115, P(dst), sizeof dst, P(end - 2), 0, 0), (int64_t)-EFAULT);
	assert_int_equal(dst[0], 0);
	assert_int_equal(call(114, P(dst), 0, P("x"), 0, 0), 0);
	munmap(two, (size_t)page);
}

/* {===== spin lock */

static struct {
	uint32_t lock;
	uint64_t a, b;
} locked;

static void *lock_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 50000; i++) {
		call(93, P(&locked.lock), 0, 0, 0, 0);
		locked.a++; /* not atomic: the lock makes it safe */
		locked.b += 2;
		call(94, P(&locked.lock), 0, 0, 0, 0);
	}
	return NULL;
}

static void test_spin_lock(void **state)
{
	(void)state;
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, lock_worker, NULL), 0);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(locked.a, 150000);
	assert_int_equal(locked.b, 300000);
	assert_int_equal(locked.lock, 0);
}

/* }===== */

static int count_cb(void *ctx, void *data, size_t size)
{
	(void)data;
	assert_true(size == 3 || size == 4);
	(*(uint64_t *)ctx)++;
	return 0;
}

static void test_map_helpers_direct(void **state)
{
	(void)state;
	struct hive_map *h, *q, *pa;
	assert_int_equal(hive_map_create(HIVE_MAP_HASH, NULL, 4, 8, 4, NULL, &h), 0);
	assert_int_equal(hive_map_create(HIVE_MAP_QUEUE, NULL, 0, 8, 4, NULL, &q), 0);
	assert_int_equal(hive_map_create(HIVE_MAP_PERCPU_ARRAY, NULL, 4, 8, 2, NULL, &pa), 0);
	uint32_t k = 7;
	uint64_t v = 70, out = 0;
	assert_int_equal(call(1, P(h), P(&k), 0, 0, 0), 0);
	assert_int_equal(call(2, P(h), P(&k), P(&v), HIVE_NOEXIST, 0), 0);
	assert_int_equal((int64_t)call(2, P(h), P(&k), P(&v), HIVE_NOEXIST, 0), (int64_t)-EEXIST);
	uint64_t *p = (uint64_t *)(uintptr_t)call(1, P(h), P(&k), 0, 0, 0);
	assert_non_null(p);
	assert_int_equal(*p, 70);
	assert_int_equal(call(3, P(h), P(&k), 0, 0, 0), 0);
	assert_int_equal((int64_t)call(3, P(h), P(&k), 0, 0, 0), (int64_t)-ENOENT);
	assert_int_equal(call(87, P(q), P(&v), 0, 0, 0), 0);
	assert_int_equal(call(89, P(q), P(&out), 0, 0, 0), 0);
	assert_int_equal(out, 70);
	assert_int_equal(call(88, P(q), P(&out), 0, 0, 0), 0);
	assert_int_equal((int64_t)call(88, P(q), P(&out), 0, 0, 0), (int64_t)-ENOENT);
	k = 1;
	for (uint64_t c = 0; c < (uint64_t)hive_num_possible_cpus(); c++)
		assert_non_null((void *)(uintptr_t)call(195, P(pa), P(&k), c, 0, 0));
	assert_int_equal(call(195, P(pa), P(&k), 4096, 0, 0), 0);
	assert_int_equal(call(195, P(h), P(&k), 0, 0, 0), 0); /* not a per-CPU map */
	hive_map_free(h);
	hive_map_free(q);
	hive_map_free(pa);
}

static void test_ringbuf_helpers_direct(void **state)
{
	(void)state;
	struct hive_map *rb, *arr;
	assert_int_equal(hive_map_create(HIVE_MAP_RINGBUF, NULL, 0, 0, 4096, NULL, &rb), 0);
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, NULL, 4, 4, 1, NULL, &arr), 0);
	assert_int_equal(call(130, P(rb), P("abc"), 3, 0, 0), 0);
	assert_int_equal((int64_t)call(130, P(rb), P("abc"), 3, 8, 0), (int64_t)-EINVAL);
	uint8_t *r = (uint8_t *)(uintptr_t)call(131, P(rb), 16, 0, 0, 0);
	assert_non_null(r);
	assert_int_equal(call(134, P(rb), 3, 0, 0, 0), 16 + 24); /* prod pos */
	call(133, P(r), 0, 0, 0, 0);
	r = (uint8_t *)(uintptr_t)call(131, P(rb), 16, 0, 0, 0);
	call(132, P(r), 0, 0, 0, 0);
	assert_int_equal(call(131, P(rb), 16, 1, 0, 0), 0);
	assert_int_equal(call(131, P(arr), 16, 0, 0, 0), 0);
	assert_int_equal(call(134, P(rb), 0, 0, 0, 0), 16 + 24 + 24);
	hive_map_free(rb);
	hive_map_free(arr);
}

static void test_perf_event_output(void **state)
{
	(void)state;
	int ncpu = hive_num_possible_cpus();
	struct hive_map *pa, *rb[64];
	assert_int_equal(hive_map_create(HIVE_MAP_PERF_EVENT_ARRAY, NULL, 4, 4, (uint32_t)ncpu + 1, NULL, &pa), 0);
	uint32_t k = 0, v = 0;
	assert_int_equal(hive_map_lookup(pa, &k, &v), -HIVE_ENOTSUPP);
	v = 12345678;
	assert_int_equal(hive_map_update(pa, &k, &v, 0), -EBADF);
	for (int c = 0; c < ncpu && c < 64; c++) {
		assert_int_equal(hive_map_create(HIVE_MAP_RINGBUF, NULL, 0, 0, 4096, NULL, &rb[c]), 0);
		k = (uint32_t)c;
		v = hive_map_id(rb[c]);
		assert_int_equal(hive_map_update(pa, &k, &v, HIVE_EXIST), -EINVAL);
		assert_int_equal(hive_map_update(pa, &k, &v, HIVE_ANY), 0);
	}
	assert_int_equal(call(25, 0, P(pa), 0xffffffffu, P("cur"), 3), 0); /* BPF_F_CURRENT_CPU */
	assert_int_equal(call(25, 0, P(pa), 0, P("zero"), 4), 0);
	assert_int_equal((int64_t)call(25, 0, P(pa), (uint64_t)ncpu, P("x"), 1), (int64_t)-ENOENT);
	assert_int_equal((int64_t)call(25, 0, P(pa), (uint64_t)ncpu + 1, P("x"), 1), (int64_t)-E2BIG);
	assert_int_equal((int64_t)call(25, 0, P(pa), 1ull << 40, P("x"), 1), (int64_t)-EINVAL);
	assert_int_equal((int64_t)call(25, 0, P(pa), 0, 0, 5000), (int64_t)-ENOSPC);
	uint64_t got = 0;
	for (int c = 0; c < ncpu && c < 64; c++) {
		int n = hive_ringbuf_consume(rb[c], count_cb, &got);
		assert_true(n >= 0);
	}
	assert_int_equal(got, 2);
	k = 0;
	assert_int_equal(hive_map_delete(pa, &k), 0);
	assert_int_equal((int64_t)call(25, 0, P(pa), 0, P("x"), 1), (int64_t)-ENOENT);
	hive_map_free(pa);
	for (int c = 0; c < ncpu && c < 64; c++)
		hive_map_free(rb[c]);
}

/* {===== through the interpreter */

static struct hive_env *g_env;

static int run(const struct hive_insn *insns, size_t cnt, enum hive_exec_mode mode, uint64_t *r0, char *msg)
{
	char log[256] = "";
	HIVE_OPTS(hive_prog_opts, po, .env = g_env, .mode = mode, .log_buf = log, .log_size = sizeof log);
	struct hive_prog *prog;
	int lerr = hive_prog_load(insns, cnt, &po, &prog);
	if (lerr)
		fail_msg("load: %s", log);
	HIVE_OPTS(hive_run_opts, ro);
	int err = hive_prog_run(prog, &ro);
	*r0 = ro.retval;
	if (msg)
		snprintf(msg, 192, "%s", ro.errmsg);
	hive_prog_free(prog);
	return err;
}

/* r0 = ++*lookup(map, &key) (0 if absent) */
#define PROG_INCREMENT(map, key)                                                                   \
	{                                                                                          \
		ST_MEM(ISA_W, 10, -4, (key)), LD_IMM64(1, (uintptr_t)(map)), MOV64_REG(2, 10),     \
		ALU64_IMM(ISA_ADD, 2, -4), CALL_HELPER(1), JMP_IMM(ISA_JEQ, 0, 0, 4),              \
		MOV64_IMM(1, 1), ATOMIC_OP(ISA_DW, ISA_ADD | ISA_FETCH, 0, 1, 0), ALU64_IMM(ISA_ADD, 1, 1), \
		MOV64_REG(0, 1), EXIT(),                                                           \
	}

static void test_prog_lookup_checked(void **state)
{
	(void)state;
	struct hive_map *m;
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, NULL, 4, 8, 4, NULL, &m), 0);
	const struct hive_insn p[] = PROG_INCREMENT(m, 2);
	uint64_t r0;
	assert_int_equal(run(p, ARRAY_LEN(p), HIVE_EXEC_CHECKED, &r0, NULL), 0);
	assert_int_equal(r0, 1);
	assert_int_equal(run(p, ARRAY_LEN(p), HIVE_EXEC_TRUSTED, &r0, NULL), 0);
	assert_int_equal(r0, 2);
	const struct hive_insn absent[] = PROG_INCREMENT(m, 9);
	assert_int_equal(run(absent, ARRAY_LEN(absent), HIVE_EXEC_CHECKED, &r0, NULL), 0);
	assert_int_equal(r0, 0);
	hive_map_free(m);

	/* a read-only-for-programs map: the value is opened read-only */
	HIVE_OPTS(hive_map_opts, o, .map_flags = HIVE_F_RDONLY_PROG);
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, NULL, 4, 8, 4, &o, &m), 0);
	const struct hive_insn ro[] = PROG_INCREMENT(m, 2);
	char msg[192];
	assert_int_equal(run(ro, ARRAY_LEN(ro), HIVE_EXEC_CHECKED, &r0, msg), -EFAULT);
	hive_map_free(m);
}

/* get_func_ip and get_attach_cookie return what the hook put in the run
 * options: r0 = func_ip + cookie * 3; callers that predate the fields get 0. */
static void test_attach_point(void **state)
{
	(void)state;
	const struct hive_insn p[] = {
		MOV64_REG(6, 1), CALL_HELPER(173), MOV64_REG(7, 0), MOV64_REG(1, 6), CALL_HELPER(174),
		ALU64_IMM(ISA_MUL, 0, 3), ALU64_REG(ISA_ADD, 0, 7), EXIT(),
	};
	for (int m = 0; m < 2; m++) {
		HIVE_OPTS(hive_prog_opts, po, .env = g_env, .mode = m ? HIVE_EXEC_TRUSTED : HIVE_EXEC_CHECKED);
		struct hive_prog *prog;
		assert_int_equal(hive_prog_load(p, ARRAY_LEN(p), &po, &prog), 0);
		HIVE_OPTS(hive_run_opts, ro, .func_ip = 0x401000, .attach_cookie = 7);
		assert_int_equal(hive_prog_run(prog, &ro), 0);
		assert_int_equal(ro.retval, 0x401000 + 21);
		ro.sz = offsetof(struct hive_run_opts, func_ip); /* an older caller */
		assert_int_equal(hive_prog_run(prog, &ro), 0);
		assert_int_equal(ro.retval, 0);
		hive_prog_free(prog);
	}
}

static void test_prog_bad_pointers(void **state)
{
	(void)state;
	struct hive_map *m;
	assert_int_equal(hive_map_create(HIVE_MAP_HASH, NULL, 4, 8, 4, NULL, &m), 0);
	static uint32_t outside = 1;
	/* key pointer outside the run's memory: checked mode stops the run */
	const struct hive_insn p[] = {
		LD_IMM64(1, (uintptr_t)m), LD_IMM64(2, (uintptr_t)&outside), CALL_HELPER(1), EXIT(),
	};
	uint64_t r0;
	char msg[192];
	assert_int_equal(run(p, ARRAY_LEN(p), HIVE_EXEC_CHECKED, &r0, msg), -EFAULT);
	assert_non_null(strstr(msg, "map key"));
	assert_int_equal(run(p, ARRAY_LEN(p), HIVE_EXEC_TRUSTED, &r0, NULL), 0);
	/* a NULL map */
	const struct hive_insn n[] = {MOV64_IMM(1, 0), MOV64_REG(2, 10), CALL_HELPER(1), EXIT()};
	assert_int_equal(run(n, ARRAY_LEN(n), HIVE_EXEC_CHECKED, &r0, msg), -EINVAL);
	/* r1 is not a map: checked mode refuses it before any dereference */
	const struct hive_insn nm[] = {
		LD_IMM64(1, (uintptr_t)&outside), MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -8), CALL_HELPER(1), EXIT(),
	};
	assert_int_equal(run(nm, ARRAY_LEN(nm), HIVE_EXEC_CHECKED, &r0, msg), -EFAULT);
	assert_non_null(strstr(msg, "not a live map"));
	const struct hive_insn nr[] = {
		LD_IMM64(1, (uintptr_t)&outside), MOV64_IMM(2, 8), MOV64_IMM(3, 0), CALL_HELPER(131), EXIT(),
	};
	assert_int_equal(run(nr, ARRAY_LEN(nr), HIVE_EXEC_CHECKED, &r0, msg), -EFAULT);
	/* submit of something never reserved */
	const struct hive_insn ns[] = {
		LD_IMM64(1, (uintptr_t)&outside), MOV64_IMM(2, 0), CALL_HELPER(132), EXIT(),
	};
	assert_int_equal(run(ns, ARRAY_LEN(ns), HIVE_EXEC_CHECKED, &r0, msg), -EFAULT);
	/* submit of a stack address, and a double submit */
	struct hive_map *rb;
	assert_int_equal(hive_map_create(HIVE_MAP_RINGBUF, NULL, 0, 0, 4096, NULL, &rb), 0);
	const struct hive_insn st[] = {MOV64_REG(1, 10), ALU64_IMM(ISA_ADD, 1, -8), MOV64_IMM(2, 0), CALL_HELPER(132), EXIT()};
	assert_int_equal(run(st, ARRAY_LEN(st), HIVE_EXEC_CHECKED, &r0, msg), -EFAULT);
	assert_non_null(strstr(msg, "not a reserved"));
	const struct hive_insn twice[] = {
		LD_IMM64(1, (uintptr_t)rb), MOV64_IMM(2, 8), MOV64_IMM(3, 0), CALL_HELPER(131), JMP_IMM(ISA_JEQ, 0, 0, 7),
		MOV64_REG(6, 0), MOV64_REG(1, 6), MOV64_IMM(2, 0), CALL_HELPER(132), MOV64_REG(1, 6), MOV64_IMM(2, 0),
		CALL_HELPER(133), EXIT(),
	};
	assert_int_equal(run(twice, ARRAY_LEN(twice), HIVE_EXEC_CHECKED, &r0, msg), -EFAULT);
	assert_non_null(strstr(msg, "committed twice"));
	hive_map_free(rb);
	/* probe_read into memory the program may not write */
	const struct hive_insn pr[] = {
		LD_IMM64(1, (uintptr_t)&outside), MOV64_IMM(2, 4), MOV64_IMM(3, 0), CALL_HELPER(4), EXIT(),
	};
	assert_int_equal(run(pr, ARRAY_LEN(pr), HIVE_EXEC_CHECKED, &r0, msg), -EFAULT);
	/* probe_read from anywhere into the stack: a fault is a return value */
	const struct hive_insn pr2[] = {
		MOV64_REG(1, 10), ALU64_IMM(ISA_ADD, 1, -8), MOV64_IMM(2, 8), MOV64_IMM(3, 16), CALL_HELPER(4), EXIT(),
	};
	assert_int_equal(run(pr2, ARRAY_LEN(pr2), HIVE_EXEC_CHECKED, &r0, msg), 0);
	assert_int_equal((int64_t)r0, -EFAULT);
	hive_map_free(m);
}

static int copy8_cb(void *ctx, void *data, size_t size)
{
	assert_int_equal(size, 8);
	memcpy(ctx, data, 8);
	return 0;
}

static void test_prog_ringbuf(void **state)
{
	(void)state;
	struct hive_map *rb;
	assert_int_equal(hive_map_create(HIVE_MAP_RINGBUF, NULL, 0, 0, 4096, NULL, &rb), 0);
	/* r0 = reserve(rb, 8); if (r0) { *(u64 *)r0 = 0x1122; submit(r0) } */
	const struct hive_insn p[] = {
		LD_IMM64(1, (uintptr_t)rb), MOV64_IMM(2, 8), MOV64_IMM(3, 0), CALL_HELPER(131),
		JMP_IMM(ISA_JEQ, 0, 0, 4), ST_MEM(ISA_DW, 0, 0, 0x1122), MOV64_REG(1, 0), MOV64_IMM(2, 0),
		CALL_HELPER(132), MOV64_IMM(0, 0), EXIT(),
	};
	uint64_t r0;
	char msg[192];
	assert_int_equal(run(p, ARRAY_LEN(p), HIVE_EXEC_CHECKED, &r0, msg), 0);
	uint64_t got = 0;
	int n = hive_ringbuf_consume(rb, (hive_ringbuf_sample_fn)(void *)NULL, NULL);
	assert_int_equal(n, -EINVAL);
	assert_int_equal(hive_ringbuf_consume(rb, copy8_cb, &got), 1);
	assert_int_equal(got, 0x1122);
	hive_map_free(rb);
}


/* several threads run the same program on one array value */
enum { PROG_THREADS = 4, PROG_RUNS = 20000 };

static void *prog_worker(void *arg)
{
	const struct hive_prog *prog = arg;
	for (int i = 0; i < PROG_RUNS; i++) {
		uint64_t r0;
		assert_int_equal(hive_prog_run_mem(prog, NULL, 0, &r0), 0);
	}
	return NULL;
}

static void test_prog_threads_atomic(void **state)
{
	(void)state;
	struct hive_map *m;
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, NULL, 4, 8, 4, NULL, &m), 0);
	const struct hive_insn p[] = PROG_INCREMENT(m, 1);
	HIVE_OPTS(hive_prog_opts, po, .env = g_env, .mode = HIVE_EXEC_CHECKED);
	struct hive_prog *prog;
	assert_int_equal(hive_prog_load(p, ARRAY_LEN(p), &po, &prog), 0);
	pthread_t t[PROG_THREADS];
	for (int i = 0; i < PROG_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, prog_worker, prog), 0);
	for (int i = 0; i < PROG_THREADS; i++)
		pthread_join(t[i], NULL);
	uint32_t k = 1;
	uint64_t v;
	assert_int_equal(hive_map_lookup(m, &k, &v), 0);
	assert_int_equal(v, (uint64_t)PROG_THREADS * PROG_RUNS);
	hive_prog_free(prog);
	hive_map_free(m);
}

/* }===== */

static int setup_env(void **state)
{
	(void)state;
	assert_int_equal(setup(state), 0);
	assert_int_equal(hive_env_new(&g_env), 0);
	HIVE_OPTS(hive_helpers_opts, o, .print = sink, .print_ctx = &sink_len);
	assert_int_equal(hive_helpers_install(g_env, &o), 0);
	return 0;
}

static int teardown_env(void **state)
{
	(void)state;
	hive_env_free(g_env);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_task),
		cmocka_unit_test(test_trace_printk),
		cmocka_unit_test(test_snprintf_vprintk),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_csum_diff),
		cmocka_unit_test(test_probe_read),
		cmocka_unit_test(test_spin_lock),
		cmocka_unit_test(test_map_helpers_direct),
		cmocka_unit_test(test_ringbuf_helpers_direct),
		cmocka_unit_test(test_perf_event_output),
		cmocka_unit_test(test_prog_lookup_checked),
		cmocka_unit_test(test_attach_point),
		cmocka_unit_test(test_prog_bad_pointers),
		cmocka_unit_test(test_prog_ringbuf),
		cmocka_unit_test(test_prog_threads_atomic),
	};
	return cmocka_run_group_tests(tests, setup_env, teardown_env);
}
