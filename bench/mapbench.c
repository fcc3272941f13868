/* hive-mapbench: map lookups and updates per second from a program, on
 * hive (JIT, trusted: the same program the kernel verified) and on this
 * machine's kernel (BPF_PROG_TEST_RUN with repeat), at 1 and 2 threads, in
 * the same run.
 *
 * One program per (map type, operation), the same bytecode for both
 * engines but for the map reference (kernel: the map fd; hive: index 0 of
 * hive_prog_opts.maps): a loop of OPS_PER_RUN map calls over 1024
 * prefilled keys, `key = (i * 7) & 1023`, that reads the value it found
 * (lookup) or writes one (update, BPF_ANY on an existing key).
 *
 * Each engine runs the program back to back on each thread (pinned to CPUs
 * 0 and 1) for a window of --window-ms; ops/s is the total of map calls of
 * all threads over the window's wall time. The median of --trials windows
 * is reported. Writes a JSON file with --json. */
#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hive/hive.h"

enum { NKEYS = 1024, OPS_PER_RUN = 64, MAX_INSNS = 64, KERNEL_REPEAT = 1024 };

/* {===== the programs */

#define INSN(c, d, s, o, i) ((struct hive_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define MOV64_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV64_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ALU64_IMM(op, d, i) INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define ALU64_REG(op, d, s) INSN(BPF_ALU64 | (op) | BPF_X, d, s, 0, 0)
#define STX(sz, d, s, o) INSN(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define ST(sz, d, o, i) INSN(BPF_ST | BPF_MEM | (sz), d, 0, o, i)
#define LDX(sz, d, s, o) INSN(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define JMP_IMM(op, d, i, o) INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define CALL(id) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, id)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

struct mb_map {
	const char *name;
	uint32_t type, key_size, max_entries, flags;
	bool lpm;
};

static const struct mb_map mb_maps[] = {
	{"array", BPF_MAP_TYPE_ARRAY, 4, NKEYS, 0, false},
	{"hash", BPF_MAP_TYPE_HASH, 4, 2 * NKEYS, 0, false},
	{"lru_hash", BPF_MAP_TYPE_LRU_HASH, 4, 2 * NKEYS, 0, false},
	{"lpm_trie", BPF_MAP_TYPE_LPM_TRIE, 8, 2 * NKEYS, BPF_F_NO_PREALLOC, true},
};
enum { NMAPS = sizeof mb_maps / sizeof *mb_maps };

/* The key of entry @n: u32 n, or for the trie the /24 10.(n&255).(n>>8).0. */
static void mb_key(const struct mb_map *m, uint32_t n, uint8_t *key, bool lookup)
{
	if (!m->lpm) {
		memcpy(key, &n, 4);
		return;
	}
	uint32_t plen = lookup ? 32 : 24, addr = 10 | (n & 1023) << 8 | (lookup ? 7u << 24 : 0);
	memcpy(key, &plen, 4);
	memcpy(key + 4, &addr, 4);
}

/* The loop; @fd_or_idx goes in the map LDDW (src 1). */
static size_t mb_prog(const struct mb_map *m, bool update, int32_t fd_or_idx, struct hive_insn *p)
{
	size_t n = 0;
	p[n++] = MOV64_IMM(6, 0); /* i */
	p[n++] = MOV64_IMM(7, 0); /* sum of the values read */
	size_t loop = n;
	p[n++] = MOV64_REG(1, 6);
	p[n++] = ALU64_IMM(BPF_MUL, 1, 7);
	p[n++] = ALU64_IMM(BPF_AND, 1, NKEYS - 1);
	if (m->lpm) { /* {prefixlen, 10.lo.hi.7} at fp-16 */
		p[n++] = ALU64_IMM(BPF_LSH, 1, 8);
		p[n++] = ALU64_IMM(BPF_OR, 1, update ? 10 : 10 | 7 << 24);
		p[n++] = ST(BPF_W, 10, -16, update ? 24 : 32);
		p[n++] = STX(BPF_W, 10, 1, -12);
	} else {
		p[n++] = ST(BPF_W, 10, -16, 0);
		p[n++] = STX(BPF_W, 10, 1, -12);
	}
	p[n++] = INSN(BPF_LD | BPF_IMM | BPF_DW, 1, BPF_PSEUDO_MAP_FD, 0, fd_or_idx);
	p[n++] = INSN(0, 0, 0, 0, 0);
	p[n++] = MOV64_REG(2, 10);
	p[n++] = ALU64_IMM(BPF_ADD, 2, m->lpm ? -16 : -12);
	if (update) {
		p[n++] = STX(BPF_DW, 10, 6, -24); /* value = i */
		p[n++] = MOV64_REG(3, 10);
		p[n++] = ALU64_IMM(BPF_ADD, 3, -24);
		p[n++] = MOV64_IMM(4, BPF_ANY);
		p[n++] = CALL(BPF_FUNC_map_update_elem);
		p[n++] = ALU64_REG(BPF_ADD, 7, 0);
	} else {
		p[n++] = CALL(BPF_FUNC_map_lookup_elem);
		p[n++] = JMP_IMM(BPF_JEQ, 0, 0, 2);
		p[n++] = LDX(BPF_DW, 1, 0, 0);
		p[n++] = ALU64_REG(BPF_ADD, 7, 1);
	}
	p[n++] = ALU64_IMM(BPF_ADD, 6, 1);
	p[n] = JMP_IMM(BPF_JLT, 6, OPS_PER_RUN, (int16_t)(loop - n - 1));
	n++;
	p[n++] = MOV64_REG(0, 7);
	p[n++] = EXIT();
	return n;
}

/* }===== */

/* {===== engines */

static int sys_bpf(int cmd, union bpf_attr *a)
{
	long r = syscall(__NR_bpf, cmd, a, sizeof *a);
	return r < 0 ? -errno : (int)r;
}

struct mb_engine {
	bool kernel;
	int kfd, kprog;
	struct hive_map *hmap;
	struct hive_prog *hprog;
};

static int mb_fill(const struct mb_map *m, struct mb_engine *e)
{
	for (uint32_t n = 0; n < NKEYS; n++) {
		uint8_t key[8];
		uint64_t v = n;
		mb_key(m, n, key, false);
		int err;
		if (e->kernel) {
			union bpf_attr a;
			memset(&a, 0, sizeof a);
			a.map_fd = (uint32_t)e->kfd;
			a.key = (uint64_t)(uintptr_t)key;
			a.value = (uint64_t)(uintptr_t)&v;
			err = sys_bpf(BPF_MAP_UPDATE_ELEM, &a);
		} else {
			err = hive_map_update(e->hmap, key, &v, 0);
		}
		if (err)
			return err;
	}
	return 0;
}

static struct hive_env *mb_env;
static char mb_log[1 << 16];

static int mb_setup(const struct mb_map *m, bool update, bool kernel, struct mb_engine *e)
{
	struct hive_insn insns[MAX_INSNS];
	memset(e, 0, sizeof *e);
	e->kernel = kernel;
	e->kfd = e->kprog = -1;
	if (kernel) {
		union bpf_attr a;
		memset(&a, 0, sizeof a);
		a.map_type = m->type;
		a.key_size = m->key_size;
		a.value_size = 8;
		a.max_entries = m->max_entries;
		a.map_flags = m->flags;
		if ((e->kfd = sys_bpf(BPF_MAP_CREATE, &a)) < 0)
			return e->kfd;
		int err = mb_fill(m, e);
		if (err)
			return err;
		size_t cnt = mb_prog(m, update, e->kfd, insns);
		memset(&a, 0, sizeof a);
		a.prog_type = BPF_PROG_TYPE_SCHED_CLS; /* XDP test runs with repeat toggle a static key: ~30 ms each */
		a.insns = (uint64_t)(uintptr_t)insns;
		a.insn_cnt = (uint32_t)cnt;
		a.license = (uint64_t)(uintptr_t)"GPL";
		a.log_buf = (uint64_t)(uintptr_t)mb_log;
		a.log_size = sizeof mb_log;
		a.log_level = 1;
		mb_log[0] = 0;
		if ((e->kprog = sys_bpf(BPF_PROG_LOAD, &a)) < 0) {
			fprintf(stderr, "kernel refused %s: %s\n", m->name, mb_log);
			return e->kprog;
		}
		return 0;
	}
	HIVE_OPTS(hive_map_opts, mo, .map_flags = m->flags);
	int err = hive_map_create((enum hive_map_type)m->type, m->name, m->key_size, 8, m->max_entries, &mo, &e->hmap);
	if (err)
		return err;
	if ((err = mb_fill(m, e)))
		return err;
	size_t cnt = mb_prog(m, update, 0, insns);
	HIVE_OPTS(hive_prog_opts, po, .env = mb_env, .mode = HIVE_EXEC_TRUSTED, .maps = &e->hmap, .nmaps = 1,
		  .log_buf = mb_log, .log_size = sizeof mb_log);
	if ((err = hive_prog_load(insns, cnt, &po, &e->hprog))) {
		fprintf(stderr, "hive refused %s: %s\n", m->name, mb_log);
		return err;
	}
	return hive_prog_jit(e->hprog, NULL);
}

static void mb_teardown(struct mb_engine *e)
{
	if (e->kprog >= 0)
		close(e->kprog);
	if (e->kfd >= 0)
		close(e->kfd);
	hive_prog_free(e->hprog);
	hive_map_free(e->hmap);
}

/* }===== */

/* {===== timing */

static double mb_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A cache line each: a thread's counters must not share one with the
 * other thread's (hive writes err after every run). */
struct mb_thread {
	_Alignas(64) struct mb_engine *e;
	int cpu;
	pthread_barrier_t *start;
	_Atomic bool *stop;
	uint64_t runs;
	int err;
};

static void *mb_worker(void *arg)
{
	struct mb_thread *t = arg;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	sched_setaffinity(0, sizeof set, &set);
	uint8_t pkt[64] = {0};
	pthread_barrier_wait(t->start);
	while (!atomic_load_explicit(t->stop, memory_order_relaxed)) {
		if (t->e->kernel) {
			union bpf_attr a;
			memset(&a, 0, sizeof a);
			a.test.prog_fd = (uint32_t)t->e->kprog;
			a.test.data_in = (uint64_t)(uintptr_t)pkt;
			a.test.data_size_in = sizeof pkt;
			a.test.repeat = KERNEL_REPEAT;
			if ((t->err = sys_bpf(BPF_PROG_TEST_RUN, &a)))
				break;
			t->runs += KERNEL_REPEAT;
		} else {
			HIVE_OPTS(hive_run_opts, ro, .mem = pkt, .mem_size = sizeof pkt, .use_jit = true);
			const struct hive_prog *prog = t->e->hprog;
			int err = 0;
			for (int i = 0; i < KERNEL_REPEAT && !err; i++)
				err = hive_prog_run(prog, &ro);
			if ((t->err = err))
				break;
			t->runs += KERNEL_REPEAT;
		}
	}
	return NULL;
}

/* Map calls per second over one window with @nthreads threads. */
static double mb_window(struct mb_engine *e, int nthreads, double window_s, int *err)
{
	pthread_t th[2];
	struct mb_thread t[2];
	pthread_barrier_t start;
	_Atomic bool stop = false;
	pthread_barrier_init(&start, NULL, (unsigned)nthreads + 1);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	for (int i = 0; i < nthreads; i++) {
		t[i] = (struct mb_thread){.e = e, .cpu = (int)(i % (ncpu > 0 ? ncpu : 1)), .start = &start, .stop = &stop};
		pthread_create(&th[i], NULL, mb_worker, &t[i]);
	}
	pthread_barrier_wait(&start);
	double t0 = mb_now();
	struct timespec ts = {(time_t)window_s, (long)((window_s - (double)(time_t)window_s) * 1e9)};
	nanosleep(&ts, NULL);
	atomic_store(&stop, true);
	uint64_t runs = 0;
	for (int i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		runs += t[i].runs;
		if (t[i].err)
			*err = t[i].err;
	}
	double dt = mb_now() - t0;
	pthread_barrier_destroy(&start);
	return (double)runs * OPS_PER_RUN / dt;
}

static int mb_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* }===== */

int main(int argc, char **argv)
{
	const char *json = NULL, *only = NULL;
	int trials = 5;
	double window_ms = 200;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") && i + 1 < argc)
			json = argv[++i];
		else if (!strcmp(argv[i], "--trials") && i + 1 < argc)
			trials = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--window-ms") && i + 1 < argc)
			window_ms = atof(argv[++i]);
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--quick"))
			trials = 1, window_ms = 20;
		else {
			fprintf(stderr, "usage: hive-mapbench [--json FILE] [--trials N] [--window-ms MS] [--quick] [--only MAP/OP]\n");
			return 2;
		}
	}
	if (trials < 1 || trials > 99 || window_ms <= 0) {
		fprintf(stderr, "hive-mapbench: --trials 1..99, --window-ms > 0\n");
		return 2;
	}
	if (hive_env_new(&mb_env) || hive_helpers_install(mb_env, NULL)) {
		fprintf(stderr, "hive-mapbench: cannot set up helpers\n");
		return 1;
	}
	union bpf_attr probe;
	memset(&probe, 0, sizeof probe);
	probe.map_type = BPF_MAP_TYPE_ARRAY;
	probe.key_size = 4;
	probe.value_size = 4;
	probe.max_entries = 1;
	int pfd = sys_bpf(BPF_MAP_CREATE, &probe);
	bool have_kernel = pfd >= 0;
	if (pfd >= 0)
		close(pfd);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	FILE *jf = json ? fopen(json, "w") : NULL;
	if (json && !jf) {
		fprintf(stderr, "hive-mapbench: %s: %s\n", json, strerror(errno));
		return 1;
	}
	if (jf)
		fprintf(jf, "{\n  \"ops_per_run\": %d, \"keys\": %d, \"trials\": %d, \"window_ms\": %g, \"cpus\": %ld,\n"
			    "  \"kernel\": %s,\n  \"rows\": [\n",
			OPS_PER_RUN, NKEYS, trials, window_ms, ncpu, have_kernel ? "true" : "false");
	printf("%-9s %-7s %3s %14s %14s %8s\n", "map", "op", "thr", "hive Mops/s", "kernel Mops/s", "hive/k");
	int rc = 0, row = 0;
	for (int mi = 0; mi < NMAPS; mi++)
		for (int upd = 0; upd < 2; upd++) {
			const struct mb_map *m = &mb_maps[mi];
			char id[32];
			snprintf(id, sizeof id, "%s/%s", m->name, upd ? "update" : "lookup");
			if (only && strcmp(only, id) && strcmp(only, m->name))
				continue;
			struct mb_engine he, ke;
			int err = mb_setup(m, upd, false, &he);
			if (err) {
				fprintf(stderr, "hive-mapbench: hive %s: %s\n", m->name, strerror(-err));
				return 1;
			}
			bool kok = have_kernel && !(err = mb_setup(m, upd, true, &ke));
			if (have_kernel && !kok)
				fprintf(stderr, "hive-mapbench: kernel %s: %s\n", m->name, strerror(-err));
			for (int nt = 1; nt <= 2; nt++) {
				double hs[99], ks[99];
				int herr = 0, kerr = 0;
				for (int t = 0; t < trials; t++) { /* interleaved: the same machine load for both */
					hs[t] = mb_window(&he, nt, window_ms / 1000, &herr);
					ks[t] = kok ? mb_window(&ke, nt, window_ms / 1000, &kerr) : 0;
				}
				if (herr || kerr) {
					fprintf(stderr, "hive-mapbench: %s: run failed: hive %d kernel %d\n", m->name, herr, kerr);
					rc = 1;
				}
				qsort(hs, (size_t)trials, sizeof *hs, mb_cmp);
				qsort(ks, (size_t)trials, sizeof *ks, mb_cmp);
				double h = hs[trials / 2] / 1e6, k = ks[trials / 2] / 1e6;
				printf("%-9s %-7s %3d %14.1f %14.1f %8s", m->name, upd ? "update" : "lookup", nt, h, k,
				       kok ? "" : "-");
				if (kok)
					printf("\b\b\b\b\b\b\b\b%7.2fx", h / k);
				printf("\n");
				if (jf)
					fprintf(jf,
						"%s    {\"map\": \"%s\", \"op\": \"%s\", \"threads\": %d, \"hive_mops\": %.2f, "
						"\"kernel_mops\": %.2f, \"hive_over_kernel\": %.3f}",
						row++ ? ",\n" : "", m->name, upd ? "update" : "lookup", nt, h, k,
						kok ? h / k : 0.0);
			}
			mb_teardown(&he);
			if (kok)
				mb_teardown(&ke);
		}
	if (jf) {
		fprintf(jf, "\n  ]\n}\n");
		fclose(jf);
	}
	hive_env_free(mb_env);
	return rc;
}
