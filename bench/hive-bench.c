/* hive-bench: the same eBPF programs on four engines.
 *
 *   hive-interp  hive's interpreter, HIVE_EXEC_TRUSTED
 *   hive-jit     hive's x86-64 JIT (n/a while hive_prog_jit says -EOPNOTSUPP),
 *                called the cheapest way an embedder can: the plain C entry
 *                hive_prog_jit_fn gives (every bench program has one),
 *                else hive_prog_run
 *   hive-jit-run the same JIT code through hive_prog_run (shown in the
 *                table, not in the JSON: its engines are the four)
 *   kernel       Linux: BPF_PROG_LOAD + BPF_PROG_TEST_RUN, the kernel's own
 *                per-run `duration` (skipped when bpf() is not permitted)
 *   native       the same C source compiled into this binary with -O2 (gcc,
 *                the project's compiler)
 *   native-clang the same by clang -O2, the compiler that made the eBPF
 *                (native_clang.c; table only, the JSON keeps the four)
 *
 * The programs are bench/progs/<name>.bpf.c, compiled by clang at build time.
 * Each object has two entries over one inlined algorithm: SEC("xdp") for the
 * kernel and SEC("hive") for hive's raw-run contract (r1 = packet, r2 = its
 * length).  They use no maps and no global data, so the section bytes are the
 * program: no relocations.
 *
 * Every run first checks that all engines return the same r0 (low 32 bits:
 * the kernel reports a u32) for every program; `--quick` does only that and
 * is the CTest check.  Timing: the thread's CPU clock around batches of runs of
 * about --batch-ms each, median of --repeats batches, a batch during which
 * the thread lost the CPU timed again; the kernel rows use the median of the
 * kernel's own ns/run over batches of the same size.
 *
 * Instructions per run are counted by one HIVE_EXEC_CHECKED run of the hive
 * entry (hive_run_opts.insns_executed); that run must agree on r0 too.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "hive/hive.h"
#include "jit/jit.h" /* --dump-jit: the image's bytes */

#include "progs/csum.h"
#include "progs/fnv1a.h"
#include "progs/parse.h"
#include "progs/primes.h"

#ifndef BENCH_OBJ_DIR
#define BENCH_OBJ_DIR "."
#endif

/* {===== programs and engines, as data */

typedef uint32_t (*bench_native_fn)(const uint8_t *data, const uint8_t *end);

/* X(name, r0 on the bundled packet, what it does).  The expected values
 * were computed independently (Python) from the bundled packet
 * (bench_pkt_specs[0]); π(1200) = 196. */
#define BENCH_PROGRAMS(X)                                                            \
	X(fnv1a, 0x822554, "FNV-1a 32-bit hash of the 1500-byte packet")                 \
	X(csum, 0x8be2, "internet checksum (RFC 1071) of the packet")                    \
	X(parse, BENCH_XDP_DROP, "Ethernet/VLAN/IPv4/TCP/UDP parse + 10 port rules")     \
	X(primes, 196, "count primes below 1200 by trial division (no packet access)")

/* The native baseline: the algorithm behind a call the compiler cannot see
 * through (noinline, and called through a volatile function pointer). */
#define BENCH_NATIVE(NAME, EXPECT, WHAT)                                              \
	static __attribute__((noinline)) uint32_t NAME##_native(const uint8_t *d, const uint8_t *e) \
	{                                                                         \
		return NAME##_run(d, e);                                              \
	}
BENCH_PROGRAMS(BENCH_NATIVE)
#undef BENCH_NATIVE

/* native_clang.c */
#define BENCH_NATIVE_CLANG(NAME, EXPECT, WHAT) uint32_t NAME##_native_clang(const uint8_t *d, const uint8_t *e);
BENCH_PROGRAMS(BENCH_NATIVE_CLANG)
#undef BENCH_NATIVE_CLANG

struct bench_prog {
	const char *name;
	uint32_t expect;
	const char *what;
	bench_native_fn native;
	bench_native_fn native_clang;
};

static const struct bench_prog bench_progs[] = {
#define BENCH_ROW(NAME, EXPECT, WHAT) {#NAME, EXPECT, WHAT, NAME##_native, NAME##_native_clang},
	BENCH_PROGRAMS(BENCH_ROW)
#undef BENCH_ROW
};
enum { BENCH_NPROGS = sizeof(bench_progs) / sizeof(bench_progs[0]) };

/* Row order of the table. */
enum bench_engine { ENG_JIT, ENG_JIT_RUN, ENG_INTERP, ENG_KERNEL, ENG_NATIVE, ENG_NATIVE_CLANG, ENG_COUNT };
static const char *const bench_engine_names[ENG_COUNT] = {
	[ENG_JIT] = "hive-jit", [ENG_JIT_RUN] = "hive-jit-run", [ENG_INTERP] = "hive-interp",
	[ENG_KERNEL] = "kernel", [ENG_NATIVE] = "native", [ENG_NATIVE_CLANG] = "native-clang",
};

/* }===== */

/* {===== state */

enum bench_status { ST_OK, ST_NA, ST_FAIL };

struct bench_result {
	enum bench_status status;
	char why[160];      /* ST_NA / ST_FAIL: shown instead of a time */
	uint32_t retval;    /* r0 of the result check */
	double ns;          /* median ns per run */
	double min;         /* fastest batch, ns per run */
	double spread;      /* (slowest - fastest batch) / median */
	unsigned dropped;   /* batches timed again: the thread lost the CPU */
};

struct bench_case {
	const struct bench_prog *prog;
	struct hive_insn *xdp, *hive; /* section bytes */
	size_t xdp_cnt, hive_cnt;
	struct hive_prog *interp, *jit;
	int kfd;
	uint64_t insns;                 /* executed per run, hive entry; 0: unknown */
	struct bench_result res[ENG_COUNT];
};

struct bench_cfg {
	bool quick;
	const char *json;
	const char *objdir;
	unsigned repeats;
	unsigned batch_ms;
	const char *dump_dir; /* --dump-jit: machine code of hive-jit and the kernel */
	const char *only;     /* --prog: time this program only */
};

/* Kernel: why bpf() is unusable, or "" when it works. */
static char bench_kernel_skip[128];
static double bench_kernel_floor = -1; /* ns per run of an empty XDP program */
static double bench_hive_floor = -1;   /* the same for hive's interpreter */
static double bench_jit_floor = -1;    /* and for hive's JIT */
static double bench_jit_run_floor = -1; /* and for hive's JIT through hive_prog_run */

static void bench_set(struct bench_result *r, enum bench_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void bench_set(struct bench_result *r, enum bench_status st, const char *fmt, ...)
{
	va_list ap;

	r->status = st;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

/* }===== */

/* {===== hive */

static int bench_hive_load(const struct hive_insn *insns, size_t cnt, enum hive_exec_mode mode,
			   uint64_t budget, struct hive_prog **out, char *err, size_t errsz)
{
	char log[512] = "";
	HIVE_OPTS(hive_prog_opts, o, .mode = mode, .insn_budget = budget, .log_buf = log,
		  .log_size = sizeof(log));
	int ret = hive_prog_load(insns, cnt, &o, out);

	if (ret)
		snprintf(err, errsz, "load: %s%s%s", strerror(-ret), log[0] ? ": " : "", log);
	return ret;
}

static int bench_hive_run(const struct hive_prog *p, bool jit, uint32_t *retval, char *err, size_t errsz)
{
	HIVE_OPTS(hive_run_opts, o, .mem = bench_pkt, .mem_size = bench_pkt_len, .use_jit = jit);
	int ret = hive_prog_run(p, &o);

	if (ret)
		snprintf(err, errsz, "run: %s at insn %u: %s", strerror(-ret), o.fault_pc, o.errmsg);
	else
		*retval = (uint32_t)o.retval;
	return ret;
}

/* Executed instructions per run: one HIVE_EXEC_CHECKED run with a large
 * budget, which reports insns_executed.  It must agree on r0 as well. */
static uint64_t bench_count_insns(const struct hive_insn *insns, size_t cnt, uint32_t want,
				  char *why, size_t whysz)
{
	HIVE_OPTS(hive_run_opts, o, .mem = bench_pkt, .mem_size = bench_pkt_len);
	struct hive_prog *p;
	char err[256];
	int ret;

	if (bench_hive_load(insns, cnt, HIVE_EXEC_CHECKED, 1ull << 32, &p, err, sizeof(err)))
		return snprintf(why, whysz, "%s", err), 0;
	ret = hive_prog_run(p, &o);
	hive_prog_free(p);
	if (ret)
		return snprintf(why, whysz, "run: %s at insn %u: %s", strerror(-ret), o.fault_pc, o.errmsg), 0;
	if ((uint32_t)o.retval != want)
		return snprintf(why, whysz, "r0 = %#x, native says %#x", (uint32_t)o.retval, want), 0;
	if (!o.insns_executed)
		return snprintf(why, whysz, "insns_executed not reported"), 0;
	return o.insns_executed;
}

/* }===== */

/* {===== timing */

/* Results of timed runs land here, so no loop is optimised away. */
static volatile uint32_t bench_sink;

static double bench_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* A batch is timed by the thread's CPU clock; CLOCK_MONOTONIC beside it tells
 * whether the thread lost the CPU meanwhile: on a shared machine such a
 * batch measures the neighbours, so bench_measure() times it again (the
 * kernel's test-run timer likewise stops while it reschedules). */
struct bench_stamp {
	double wall, cpu;
};

static struct bench_stamp bench_stamp_now(void)
{
	return (struct bench_stamp){bench_clock_ns(CLOCK_MONOTONIC), bench_clock_ns(CLOCK_THREAD_CPUTIME_ID)};
}

/* Did the thread run for less than 98% of the wall time between @a and @b? */
static bool bench_stamp_preempted(struct bench_stamp a, struct bench_stamp b)
{
	return b.cpu - a.cpu < 0.98 * (b.wall - a.wall);
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double bench_median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One batch of @iters runs on engine @e; ns per run in *ns, and whether the
 * thread was preempted during the batch in *preempted. */
static int bench_batch(const struct bench_case *c, enum bench_engine e, uint64_t iters, double *ns,
		       bool *preempted)
{
	struct bench_stamp t0, t1;

	switch (e) {
	case ENG_JIT:
		if (hive_prog_jit_fn(c->jit)) {
			hive_jit_fn fn = hive_prog_jit_fn(c->jit);
			uint64_t len = bench_pkt_len;
			uint32_t acc = 0;

			t0 = bench_stamp_now();
			for (uint64_t i = 0; i < iters; i++)
				acc += (uint32_t)fn((uintptr_t)bench_pkt, len);
			t1 = bench_stamp_now();
			bench_sink = acc;
			break;
		}
		/* no plain entry: hive_prog_run */
		__attribute__((fallthrough));
	case ENG_JIT_RUN:
	case ENG_INTERP: {
		bool jit = e != ENG_INTERP;
		const struct hive_prog *p = jit ? c->jit : c->interp;
		HIVE_OPTS(hive_run_opts, o, .mem = bench_pkt, .mem_size = bench_pkt_len, .use_jit = jit);
		uint32_t acc = 0;
		int ret = 0;

		t0 = bench_stamp_now();
		for (uint64_t i = 0; i < iters; i++) {
			ret |= hive_prog_run(p, &o);
			acc += (uint32_t)o.retval;
		}
		t1 = bench_stamp_now();
		bench_sink = acc;
		if (ret)
			return -EFAULT;
		break;
	}
	case ENG_KERNEL:
		*preempted = false; /* the kernel's timer leaves reschedules out */
		return bench_kernel_run(c->kfd, bench_pkt, bench_pkt_len,
					(uint32_t)(iters > UINT32_MAX ? UINT32_MAX : iters), NULL, ns);
	case ENG_NATIVE:
	case ENG_NATIVE_CLANG: {
		bench_native_fn volatile fnp = e == ENG_NATIVE ? c->prog->native : c->prog->native_clang;
		bench_native_fn fn = fnp;
		uint32_t acc = 0;

		t0 = bench_stamp_now();
		for (uint64_t i = 0; i < iters; i++)
			acc += fn(bench_pkt, bench_pkt + bench_pkt_len);
		t1 = bench_stamp_now();
		bench_sink = acc;
		break;
	}
	default:
		return -EINVAL;
	}
	/* the thread's own CPU time: like the kernel's test-run timer, it
	 * leaves out time the thread was not running */
	*ns = (t1.cpu - t0.cpu) / (double)iters;
	*preempted = bench_stamp_preempted(t0, t1);
	return 0;
}

/* Calibrate: a batch of engine @e that lasts about cfg->batch_ms, in *iters. */
static int bench_calibrate(const struct bench_case *c, enum bench_engine e, const struct bench_cfg *cfg,
			   uint64_t *iters)
{
	double target = cfg->batch_ms * 1e6, ns = 0;
	uint64_t n = 1;
	bool preempted;
	int ret;

	/* grow the batch until it lasts a tenth of the target */
	for (;;) {
		if ((ret = bench_batch(c, e, n, &ns, &preempted)))
			return ret;
		if (ns * (double)n >= target / 10 || n >= (1u << 30))
			break;
		n *= 4;
	}
	n = (uint64_t)(target / (ns > 0.1 ? ns : 0.1));
	*iters = n < 1 ? 1 : n;
	return 0;
}

/* Median ns/run of every engine of @c that can run, over cfg->repeats
 * batches of about cfg->batch_ms each.  The engines take turns, one batch
 * each per round, so a busy spell of the machine falls on all of them
 * rather than on one.  A batch during which the thread lost the CPU is run
 * again, up to three times as many extra batches as cfg->repeats per
 * engine; out->dropped counts them.  A failing engine is marked ST_FAIL. */
static void bench_measure_case(struct bench_case *c, const struct bench_cfg *cfg)
{
	enum { MAXREP = 64 };
	unsigned n = cfg->repeats < MAXREP ? cfg->repeats : MAXREP;
	double v[ENG_COUNT][MAXREP];
	uint64_t iters[ENG_COUNT];
	unsigned got[ENG_COUNT] = {0};
	bool more = true;
	int ret;

	for (int e = 0; e < ENG_COUNT; e++) {
		struct bench_result *r = &c->res[e];

		r->dropped = 0;
		if (r->status == ST_OK && (ret = bench_calibrate(c, (enum bench_engine)e, cfg, &iters[e])))
			bench_set(r, ST_FAIL, "timing run failed: %s", strerror(-ret));
	}
	while (more) {
		more = false;
		for (int e = 0; e < ENG_COUNT; e++) {
			struct bench_result *r = &c->res[e];
			bool preempted;

			if (r->status != ST_OK || got[e] == n)
				continue;
			if ((ret = bench_batch(c, (enum bench_engine)e, iters[e], &v[e][got[e]], &preempted))) {
				bench_set(r, ST_FAIL, "timing run failed: %s", strerror(-ret));
				continue;
			}
			if (preempted && r->dropped < 3 * n)
				r->dropped++;
			else
				got[e]++;
			more |= got[e] < n;
		}
	}
	for (int e = 0; e < ENG_COUNT; e++) {
		struct bench_result *r = &c->res[e];

		if (r->status != ST_OK)
			continue;
		r->ns = bench_median(v[e], n); /* sorts v[e] */
		r->min = v[e][0];
		r->spread = r->ns > 0 ? (v[e][n - 1] - v[e][0]) / r->ns : 0;
	}
}

/* Median ns/run of one engine alone (the floors). */
static int bench_measure(const struct bench_case *c, enum bench_engine e, const struct bench_cfg *cfg,
			 struct bench_result *out)
{
	struct bench_case one = *c;

	for (int k = 0; k < ENG_COUNT; k++)
		one.res[k].status = k == (int)e ? ST_OK : ST_NA;
	bench_measure_case(&one, cfg);
	*out = one.res[e];
	return out->status == ST_OK ? 0 : -EFAULT;
}

/* }===== */

/* {===== setting up a case, and the result check */

/* Read the object and load the program on every engine; a row that cannot
 * run is marked ST_NA or ST_FAIL with the reason. */
static void bench_case_setup(struct bench_case *c, const struct bench_cfg *cfg, int kprobe_fd)
{
	char path[1024], err[512];
	struct bench_result *r = c->res;
	int ret;

	c->kfd = -1;
	snprintf(path, sizeof(path), "%s/%s.bpf.o", cfg->objdir, c->prog->name);
	if (bench_elf_section(path, "hive", &c->hive, &c->hive_cnt, err, sizeof(err)) ||
	    bench_elf_section(path, "xdp", &c->xdp, &c->xdp_cnt, err, sizeof(err))) {
		for (int e = 0; e < ENG_COUNT; e++)
			if (e != ENG_NATIVE)
				bench_set(&r[e], ST_FAIL, "%s", err);
		return;
	}

	if (bench_hive_load(c->hive, c->hive_cnt, HIVE_EXEC_TRUSTED, 0, &c->interp, err, sizeof(err)))
		bench_set(&r[ENG_INTERP], ST_FAIL, "%s", err);

	/* hive-jit: a program of its own, so the interpreter row never runs JIT code */
	if (bench_hive_load(c->hive, c->hive_cnt, HIVE_EXEC_TRUSTED, 0, &c->jit, err, sizeof(err)))
		bench_set(&r[ENG_JIT], ST_FAIL, "%s", err);
	else if ((ret = hive_prog_jit(c->jit, NULL)))
		bench_set(&r[ENG_JIT], ret == -EOPNOTSUPP ? ST_NA : ST_FAIL, "n/a (hive_prog_jit: %s)",
			  strerror(-ret));
	r[ENG_JIT_RUN] = r[ENG_JIT];

	if (kprobe_fd < 0) {
		bench_set(&r[ENG_KERNEL], ST_NA, "%s", bench_kernel_skip);
	} else {
		static char log[1 << 20];

		/* without a log first: a verbose log slows the verifier down */
		c->kfd = bench_kernel_load(c->xdp, c->xdp_cnt, NULL, 0);
		if (c->kfd < 0)
			c->kfd = bench_kernel_load(c->xdp, c->xdp_cnt, log, sizeof(log));
		if (c->kfd < 0)
			bench_set(&r[ENG_KERNEL], ST_FAIL, "verifier: %s: %s", strerror(-c->kfd),
				  bench_kernel_log_reason(log));
	}
}

/* Run every engine that can run once on the current packet and check r0:
 * all must return what native returns, and native must return @expect when
 * that is known (NULL: not known).  The checked interpreter runs too and
 * counts instructions into *insns.  Returns the number of failures. */
static int bench_case_check(struct bench_case *c, const char *pkt_name, const uint32_t *expect,
			    uint64_t *insns)
{
	struct bench_result *r = c->res;
	char err[512];
	uint32_t want;
	uint64_t n;
	int bad = 0, ret;

	want = r[ENG_NATIVE].retval = c->prog->native(bench_pkt, bench_pkt + bench_pkt_len);
	r[ENG_NATIVE_CLANG].retval = c->prog->native_clang(bench_pkt, bench_pkt + bench_pkt_len);
	if (expect && want != *expect) {
		fprintf(stderr, "FAIL %s/native on %s: r0 = %#x, expected %#x\n", c->prog->name, pkt_name,
			want, *expect);
		bad++;
	}
	if (r[ENG_INTERP].status == ST_OK &&
	    bench_hive_run(c->interp, false, &r[ENG_INTERP].retval, err, sizeof(err)))
		bench_set(&r[ENG_INTERP], ST_FAIL, "%s", err);
	if (r[ENG_JIT_RUN].status == ST_OK &&
	    bench_hive_run(c->jit, true, &r[ENG_JIT_RUN].retval, err, sizeof(err)))
		bench_set(&r[ENG_JIT_RUN], ST_FAIL, "%s", err);
	if (r[ENG_JIT].status == ST_OK) {
		hive_jit_fn fn = hive_prog_jit_fn(c->jit);

		if (fn)
			r[ENG_JIT].retval = (uint32_t)fn((uintptr_t)bench_pkt, bench_pkt_len);
		else
			r[ENG_JIT].retval = r[ENG_JIT_RUN].retval;
	}
	if (r[ENG_KERNEL].status == ST_OK &&
	    (ret = bench_kernel_run(c->kfd, bench_pkt, bench_pkt_len, 1, &r[ENG_KERNEL].retval, NULL)))
		bench_set(&r[ENG_KERNEL], ST_FAIL, "test run: %s", strerror(-ret));

	for (int e = 0; e < ENG_COUNT; e++) {
		if (r[e].status == ST_FAIL) {
			fprintf(stderr, "FAIL %s/%s on %s: %s\n", c->prog->name, bench_engine_names[e], pkt_name,
				r[e].why);
			bad++;
		} else if (r[e].status == ST_OK && r[e].retval != want) {
			fprintf(stderr, "FAIL %s/%s on %s: r0 = %#x, native says %#x\n", c->prog->name,
				bench_engine_names[e], pkt_name, r[e].retval, want);
			bad++;
		}
	}
	if (c->hive) {
		n = bench_count_insns(c->hive, c->hive_cnt, want, err, sizeof(err));
		if (!n) {
			fprintf(stderr, "FAIL %s/hive-interp checked mode on %s: %s\n", c->prog->name, pkt_name,
				err);
			bad++;
		}
		if (insns)
			*insns = n;
	}
	return bad;
}

/* The check over every test packet; ends with the bundled packet in place.
 * @verbose prints one line per packet. */
static int bench_check_all(struct bench_case *cases, bool verbose)
{
	int bad = 0;

	for (size_t v = 0; v < bench_pkt_nspecs; v++) {
		const struct bench_pkt_spec *s = &bench_pkt_specs[v];

		bench_packet_fill(s);
		if (verbose)
			printf("%-15s %4zu bytes:", s->name, bench_pkt_len);
		for (int i = 0; i < BENCH_NPROGS; i++) {
			struct bench_case *c = &cases[i];
			const uint32_t *expect = v == 0 ? &c->prog->expect :
						 c->prog->native == parse_native ? &s->parse : NULL;

			bad += bench_case_check(c, s->name, expect, v == 0 ? &c->insns : NULL);
			if (verbose)
				printf(" %s=%#x", c->prog->name, c->res[ENG_NATIVE].retval);
		}
		if (verbose)
			printf("\n");
	}
	bench_packet_fill(&bench_pkt_specs[0]);
	return bad;
}

/* }===== */

/* {===== output */

static void bench_cpu_name(char *buf, size_t size)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, size, "unknown cpu");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && colon) {
			snprintf(buf, size, "%s", colon + 2);
			buf[strcspn(buf, "\n")] = 0;
			break;
		}
	}
	fclose(f);
}

static void bench_ratio(char *buf, size_t size, const struct bench_result *r, const struct bench_result *base)
{
	if (r->status != ST_OK || base->status != ST_OK || base->ns <= 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.2fx", r->ns / base->ns);
}

static void bench_print(const struct bench_case *cases, const struct bench_cfg *cfg)
{
	char cpu[128];
	struct utsname u;

	bench_cpu_name(cpu, sizeof(cpu));
	uname(&u);
	printf("hive-bench: %s, Linux %s, packet %d bytes, median of %u batches of ~%u ms\n", cpu,
	       u.release, BENCH_PKT_SIZE, cfg->repeats, cfg->batch_ms);
	if (bench_kernel_floor >= 0) {
		FILE *f = fopen("/proc/sys/net/core/bpf_jit_enable", "r");
		int jit = -1;

		if (f) {
			if (fscanf(f, "%d", &jit) != 1)
				jit = -1;
			fclose(f);
		}
		printf("  kernel: bpf_jit_enable = %d%s\n", jit,
		       jit == 0 ? " (the kernel rows are its interpreter)" : jit < 0 ? " (unknown)" : "");
	}
	if (bench_kernel_floor >= 0)
		printf("  floor: empty XDP program on the kernel %.1f ns/run (in the kernel rows)\n",
		       bench_kernel_floor);
	if (bench_hive_floor >= 0)
		printf("  floor: empty program on hive-interp %.1f ns/run (in the hive-interp rows)\n",
		       bench_hive_floor);
	if (bench_jit_floor >= 0)
		printf("  floor: empty program on hive-jit %.1f ns/run (in the hive-jit rows)\n",
		       bench_jit_floor);
	if (bench_jit_run_floor >= 0)
		printf("  floor: empty program on hive-jit-run %.1f ns/run (in the hive-jit-run rows)\n",
		       bench_jit_run_floor);
	printf("\n%-8s %-12s %11s %11s %7s %5s %9s %9s %10s %7s\n", "program", "engine", "ns/run",
	       "fastest", "spread", "redo", "/native", "/kernel", "insns/run", "ns/insn");
	for (int i = 0; i < BENCH_NPROGS; i++) {
		const struct bench_case *c = &cases[i];

		for (int e = 0; e < ENG_COUNT; e++) {
			const struct bench_result *r = &c->res[e];
			char vn[16], vk[16], ipr[24] = "-", npi[16] = "-";

			if (r->status != ST_OK) {
				printf("%-8s %-12s %s\n", c->prog->name, bench_engine_names[e], r->why);
				continue;
			}
			bench_ratio(vn, sizeof(vn), r, &c->res[ENG_NATIVE]);
			bench_ratio(vk, sizeof(vk), r, &c->res[ENG_KERNEL]);
			if (e != ENG_NATIVE && e != ENG_NATIVE_CLANG && c->insns) {
				snprintf(ipr, sizeof(ipr), "%llu", (unsigned long long)c->insns);
				snprintf(npi, sizeof(npi), "%.3f", r->ns / (double)c->insns);
			}
			printf("%-8s %-12s %11.1f %11.1f %6.1f%% %5u %9s %9s %10s %7s\n", c->prog->name,
			       bench_engine_names[e], r->ns, r->min, r->spread * 100, r->dropped, vn, vk, ipr,
			       npi);
		}
	}
	printf("\n");
	for (int i = 0; i < BENCH_NPROGS; i++)
		printf("%-8s %s\n", bench_progs[i].name, bench_progs[i].what);
	/* the JIT's target: within 1.15x of native on the geometric mean */
	for (int e = ENG_JIT; e <= ENG_JIT_RUN; e++)
		for (int base = ENG_NATIVE; base <= ENG_NATIVE_CLANG; base++) {
			double lg = 0;
			int k = 0;
			for (int i = 0; i < BENCH_NPROGS; i++) {
				const struct bench_result *r = &cases[i].res[e], *b = &cases[i].res[base];
				if (r->status == ST_OK && b->status == ST_OK && b->ns > 0) {
					lg += log(r->ns / b->ns);
					k++;
				}
			}
			if (k == BENCH_NPROGS)
				printf("geometric mean, %s / %s: %.3fx\n", bench_engine_names[e], bench_engine_names[base],
				       exp(lg / k));
		}
	printf("ns/run: median batch; fastest: fastest batch; spread: (slowest - fastest) / median;\n"
	       "redo: batches timed again because the thread lost the CPU meanwhile;\n"
	       "/native, /kernel: ns/run over that engine's ns/run.\n"
	       "ns/insn: ns/run / eBPF instructions executed per run (hive entry, counted\n"
	       "by hive's checked interpreter).\n");

	/* the interpreter's target: <= 2 ns per executed instruction */
	double lo = 0, hi = 0, nlo = 0, nhi = 0;
	int n = 0;
	for (int i = 0; i < BENCH_NPROGS; i++) {
		const struct bench_result *r = &cases[i].res[ENG_INTERP];
		double v, net;

		if (r->status != ST_OK || !cases[i].insns)
			continue;
		v = r->ns / (double)cases[i].insns;
		net = (r->ns - (bench_hive_floor > 0 ? bench_hive_floor : 0)) / (double)cases[i].insns;
		lo = n && lo < v ? lo : v;
		hi = n && hi > v ? hi : v;
		nlo = n && nlo < net ? nlo : net;
		nhi = n && nhi > net ? nhi : net;
		n++;
	}
	if (n) {
		printf("hive-interp: %.2f to %.2f ns per executed instruction (target <= 2): %s\n", lo, hi,
		       hi <= 2 ? "met" : "NOT met");
		if (bench_hive_floor > 0)
			printf("hive-interp, less the %.1f ns floor of a run: %.2f to %.2f ns per instruction\n",
			       bench_hive_floor, nlo, nhi);
	}
}

/* [{"program":…, "engine":…, "ns_per_run":…}]; engines that did not run are left out. */
static int bench_write_json(const struct bench_case *cases, const char *path)
{
	FILE *f = fopen(path, "w");
	bool first = true;

	if (!f)
		return -errno;
	fprintf(f, "[");
	for (int i = 0; i < BENCH_NPROGS; i++)
		for (int e = 0; e < ENG_COUNT; e++) {
			if (cases[i].res[e].status != ST_OK || e == ENG_JIT_RUN || e == ENG_NATIVE_CLANG)
				continue;
			fprintf(f, "%s\n  {\"program\": \"%s\", \"engine\": \"%s\", \"ns_per_run\": %.2f}",
				first ? "" : ",", cases[i].prog->name, bench_engine_names[e], cases[i].res[e].ns);
			first = false;
		}
	fprintf(f, "\n]\n");
	return fclose(f) ? -errno : 0;
}

/* }===== */

/* {===== --dump-jit */

static int bench_write_file(const char *dir, const char *name, const char *what, const void *p, size_t n)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.%s.bin", dir, name, what);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n) {
		fprintf(stderr, "hive-bench: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	printf("wrote %s (%zu bytes)\n", path, n);
	return fclose(f);
}

/* The kernel's machine code for @fd (bpf_prog_info.jited_prog_insns). */
static void *bench_kernel_jited(int fd, size_t *len)
{
	struct bpf_prog_info info;
	union bpf_attr a;
	void *buf;

	memset(&info, 0, sizeof(info));
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof(info);
	a.info.info = (uint64_t)(uintptr_t)&info;
	if (syscall(__NR_bpf, BPF_OBJ_GET_INFO_BY_FD, &a, sizeof(a)) || !info.jited_prog_len)
		return NULL;
	*len = info.jited_prog_len;
	buf = calloc(1, *len);
	if (!buf)
		return NULL;
	memset(&info, 0, sizeof(info));
	info.jited_prog_len = (uint32_t)*len;
	info.jited_prog_insns = (uint64_t)(uintptr_t)buf;
	if (syscall(__NR_bpf, BPF_OBJ_GET_INFO_BY_FD, &a, sizeof(a))) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* DIR/<prog>.hive-jit.bin and DIR/<prog>.kernel.bin, raw x86-64 code:
 * objdump -D -b binary -mi386:x86-64 FILE */
static int bench_dump_jit(const struct bench_case *cases, const char *dir)
{
	int bad = 0;

	for (int i = 0; i < BENCH_NPROGS; i++) {
		const struct bench_case *c = &cases[i];
		size_t n;

		if (c->res[ENG_JIT].status == ST_OK && c->jit->jit) {
			const uint8_t *code = jit_image_code(c->jit->jit, &n);

			bad |= bench_write_file(dir, c->prog->name, "hive-jit", code, n);
		}
		if (c->kfd >= 0) {
			void *k = bench_kernel_jited(c->kfd, &n);

			if (k)
				bad |= bench_write_file(dir, c->prog->name, "kernel", k, n);
			else
				fprintf(stderr, "hive-bench: %s: no jited code from the kernel: %s\n", c->prog->name,
					strerror(errno));
			free(k);
		}
	}
	return bad ? 1 : 0;
}

/* }===== */

static void bench_usage(FILE *f)
{
	fprintf(f,
		"usage: hive-bench [--quick] [--json FILE] [--repeats N] [--batch-ms N] [--objdir DIR] [--prog NAME] [--dump-jit DIR]\n"
		"  --quick      only check that every engine returns the same r0 (no timing)\n"
		"  --json FILE  write [{program, engine, ns_per_run}] to FILE\n"
		"  --repeats N  batches per measurement, median taken (default 15)\n"
		"  --batch-ms N length of one batch in ms (default 2)\n"
		"  --objdir DIR where the <program>.bpf.o files are (default %s)\n"
		"  --prog NAME  time only this program\n"
		"  --dump-jit DIR  write DIR/<program>.{hive-jit,kernel}.bin (machine code) and exit\n",
		BENCH_OBJ_DIR);
}

int main(int argc, char **argv)
{
	struct bench_cfg cfg = {.objdir = BENCH_OBJ_DIR, .repeats = 15, .batch_ms = 2};
	struct bench_case cases[BENCH_NPROGS];
	int kprobe_fd, bad = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--quick"))
			cfg.quick = true;
		else if (!strcmp(a, "--json") && v)
			cfg.json = argv[++i];
		else if (!strcmp(a, "--objdir") && v)
			cfg.objdir = argv[++i];
		else if (!strcmp(a, "--prog") && v)
			cfg.only = argv[++i];
		else if (!strcmp(a, "--dump-jit") && v)
			cfg.dump_dir = argv[++i];
		else if (!strcmp(a, "--repeats") && v && atoi(v) >= 1)
			cfg.repeats = (unsigned)atoi(argv[++i]);
		else if (!strcmp(a, "--batch-ms") && v && atoi(v) >= 1)
			cfg.batch_ms = (unsigned)atoi(argv[++i]);
		else if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return bench_usage(stdout), 0;
		else
			return bench_usage(stderr), 2;
	}

	setvbuf(stdout, NULL, _IOLBF, 0); /* keep FAIL lines (stderr) in order */
	bench_packet_fill(&bench_pkt_specs[0]);
	kprobe_fd = bench_kernel_probe(bench_kernel_skip, sizeof(bench_kernel_skip));
	memset(cases, 0, sizeof(cases));
	for (int i = 0; i < BENCH_NPROGS; i++) {
		cases[i].prog = &bench_progs[i];
		bench_case_setup(&cases[i], &cfg, kprobe_fd);
	}
	bad = bench_check_all(cases, cfg.quick);
	if (cfg.dump_dir) {
		bad |= bench_dump_jit(cases, cfg.dump_dir);
		goto out;
	}

	if (cfg.quick) {
		for (int e = 0; e < ENG_COUNT; e++) {
			printf("%-12s", bench_engine_names[e]);
			for (int i = 0; i < BENCH_NPROGS; i++)
				printf(" %s:%s", cases[i].prog->name,
				       cases[i].res[e].status == ST_OK ? "ok" :
				       cases[i].res[e].status == ST_NA ? "n/a" : "FAIL");
			if (e == ENG_KERNEL && kprobe_fd < 0)
				printf("  (%s)", bench_kernel_skip);
			printf("\n");
		}
		printf("%s\n", bad ? "results differ" : "all engines agree");
		goto out;
	}
	if (bad)
		fprintf(stderr, "hive-bench: %d engine(s) failed or disagree; timing the rest\n", bad);

	/* floors: what one run costs with (almost) nothing to run */
	if (kprobe_fd >= 0) {
		struct bench_case empty = {.kfd = kprobe_fd};
		struct bench_result r;

		bench_kernel_floor = bench_measure(&empty, ENG_KERNEL, &cfg, &r) ? -1 : r.ns;
	}
	{
		static const struct hive_insn pass[] = {{.code = 0xb7, .imm = 2}, {.code = 0x95}};
		struct bench_case empty = {0};
		char err[256];

		struct bench_result r;

		if (!bench_hive_load(pass, 2, HIVE_EXEC_TRUSTED, 0, &empty.interp, err, sizeof(err))) {
			bench_hive_floor = bench_measure(&empty, ENG_INTERP, &cfg, &r) ? -1 : r.ns;
			hive_prog_free(empty.interp);
		}
		if (!bench_hive_load(pass, 2, HIVE_EXEC_TRUSTED, 0, &empty.jit, err, sizeof(err))) {
			if (!hive_prog_jit(empty.jit, NULL)) {
				bench_jit_floor = bench_measure(&empty, ENG_JIT, &cfg, &r) ? -1 : r.ns;
				bench_jit_run_floor = bench_measure(&empty, ENG_JIT_RUN, &cfg, &r) ? -1 : r.ns;
			}
			hive_prog_free(empty.jit);
		}
	}

	for (int i = 0; i < BENCH_NPROGS; i++)
		if (!cfg.only || !strcmp(cfg.only, cases[i].prog->name))
			bench_measure_case(&cases[i], &cfg);
		else
			for (int e = 0; e < ENG_COUNT; e++)
				bench_set(&cases[i].res[e], ST_NA, "not measured (--prog)");

	bench_print(cases, &cfg);
	if (cfg.json) {
		int ret = bench_write_json(cases, cfg.json);

		if (ret)
			fprintf(stderr, "hive-bench: %s: %s\n", cfg.json, strerror(-ret));
		else
			printf("wrote %s\n", cfg.json);
	}

out:
	for (int i = 0; i < BENCH_NPROGS; i++) {
		hive_prog_free(cases[i].interp);
		hive_prog_free(cases[i].jit);
		if (cases[i].kfd >= 0)
			close(cases[i].kfd);
		free(cases[i].xdp);
		free(cases[i].hive);
	}
	if (kprobe_fd >= 0)
		close(kprobe_fd);
	return bad ? 1 : 0;
}
