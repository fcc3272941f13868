/* hive-xdp-bench: packets per second of one XDP program (the demo firewall,
 * examples/firewall) over one capture, through
 *
 *   hive-xdp-cmd      the `hive xdp OBJ --pcap IN --repeat P` command (the
 *                     time it prints: its packet loop, no start-up)
 *   hive-testrun      hive_program_test_run with repeat R per packet
 *                     (its duration: ns per run)
 *   kernel-testrun    BPF_PROG_TEST_RUN with repeat R per packet, the same
 *                     object loaded with libbpf, the same map contents
 *                     (the kernel's duration)
 *   hive-testrun-1    one hive_program_test_run call per packet (wall clock)
 *   kernel-testrun-1  one BPF_PROG_TEST_RUN syscall per packet (wall clock)
 *
 * with the JIT (and hive's interpreter), after checking that the kernel
 * and hive give every packet the same verdict. Each row is the median of
 * --trials trials; see README.md ("hive-xdp-bench"). bench/xdp.sh runs it. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hive/hive.h"
#include "xdp_bench.h"

/* {===== maps from {"MAP": [{"key": "HEX", "value": "HEX"}, ...], ...}
 * (the format of `hive xdp --maps`; a reader of its own, so that the
 * bench does not depend on the CLI's sources) */

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

/* A "string" at @p into @out (at most @size - 1 bytes); past it, or NULL. */
static const char *json_str(const char *p, char *out, size_t size)
{
	p = json_ws(p);
	if (*p != '"')
		return NULL;
	size_t n = 0;
	for (p++; *p && *p != '"'; p++)
		if (n + 1 < size)
			out[n++] = *p;
	out[n] = '\0';
	return *p == '"' ? p + 1 : NULL;
}

static bool hex_bytes(const char *hex, uint8_t *out, size_t want)
{
	if (strlen(hex) != 2 * want)
		return false;
	for (size_t i = 0; i < want; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return false;
		out[i] = (uint8_t)v;
	}
	return true;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0, got;
	char *buf = malloc(cap + 1);
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			char *nb = realloc(buf, (cap *= 2) + 1);
			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

static int seed_maps(struct hive_object *obj, const char *path, char *err, size_t errsz)
{
	char *text = read_text(path);
	if (!text) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -EINVAL;
	}
	static char name[256], key_hex[1024], value_hex[8192];
	static uint8_t key[512], value[4096];
	int rc = 0;
	const char *p = json_ws(text);
	p = *p == '{' ? p + 1 : NULL;
	while (p && !rc) {
		p = json_ws(p);
		if (*p == '}')
			break;
		if (*p == ',')
			p++;
		if (!(p = json_str(p, name, sizeof name)) || *(p = json_ws(p)) != ':' || *(p = json_ws(p + 1)) != '[') {
			p = NULL;
			break;
		}
		p++;
		struct hive_object_map *om = hive_object_find_map(obj, name);
		struct hive_map *m = om ? hive_object_map_map(om) : NULL;
		if (!m || hive_map_key_size(m) > sizeof key || hive_map_user_value_size(m) > sizeof value) {
			snprintf(err, errsz, "%s: map '%s': none such in the object, or too large for the bench", path, name);
			rc = -EINVAL;
			break;
		}
		for (;;) {
			p = json_ws(p);
			if (*p == ']') {
				p++;
				break;
			}
			if (*p == ',')
				p = json_ws(p + 1);
			if (*p != '{') {
				p = NULL;
				break;
			}
			char f1[16], f2[16];
			const char *q = json_str(p + 1, f1, sizeof f1);
			q = q && *(q = json_ws(q)) == ':' ? json_str(q + 1, key_hex, sizeof key_hex) : NULL;
			q = q && *(q = json_ws(q)) == ',' ? json_str(q + 1, f2, sizeof f2) : NULL;
			q = q && *(q = json_ws(q)) == ':' ? json_str(q + 1, value_hex, sizeof value_hex) : NULL;
			q = q && *(q = json_ws(q)) == '}' ? q + 1 : NULL;
			if (!q || strcmp(f1, "key") || strcmp(f2, "value") ||
			    !hex_bytes(key_hex, key, hive_map_key_size(m)) ||
			    !hex_bytes(value_hex, value, hive_map_user_value_size(m)) || hive_map_update(m, key, value, 0)) {
				snprintf(err, errsz, "%s: map '%s': an entry that is not {\"key\": HEX, \"value\": HEX} of "
					 "the map's sizes, or that the map refuses", path, name);
				rc = -EINVAL;
				break;
			}
			p = q;
		}
	}
	if (!p && !rc) {
		snprintf(err, errsz, "%s: not {\"MAP\": [{\"key\": \"HEX\", \"value\": \"HEX\"}, ...]}", path);
		rc = -EINVAL;
	}
	free(text);
	return rc;
}

/* }===== */

struct opts {
	const char *obj, *pcap, *maps, *hive, *json;
	unsigned repeat, trials, passes;
	bool quick;
};

static struct xb_pkt *pkts;
static size_t npkts;

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* One trial: ns per packet by the thread's CPU time (user + system, so a
 * syscall's kernel work counts; time the thread did not run does not) and
 * by the engine's own timer (test-run's duration, the command's wall
 * clock). */
struct ns {
	double cpu, timer;
};

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* {===== hive */

struct hive_side {
	struct hive_env *env;
	struct hive_object *obj;
	struct hive_program *prog;
};

static void hive_close(struct hive_side *h)
{
	hive_object_close(h->obj);
	hive_env_free(h->env);
	memset(h, 0, sizeof(*h));
}

/* Open, verify (then load trusted, as `hive xdp` does), JIT if asked, seed the maps. */
static int hive_open(struct hive_side *h, const struct opts *o, bool jit)
{
	char log[4096] = "";
	memset(h, 0, sizeof(*h));
	int err;
	if ((err = hive_env_new(&h->env)) || (err = hive_helpers_install(h->env, NULL)) ||
	    (err = hive_hook_helpers_install(h->env)))
		goto fail;
	HIVE_OPTS(hive_object_open_opts, oo, .log_buf = log, .log_size = sizeof log);
	if ((err = hive_object_open_file(o->obj, &oo, &h->obj)))
		goto fail;
	for (size_t i = 0; i < hive_object_prog_cnt(h->obj); i++) {
		struct hive_program *p = hive_object_prog(h->obj, i);
		if (!h->prog && hive_program_type(p) == HIVE_PROG_XDP)
			h->prog = p;
		else
			hive_program_set_autoload(p, false);
	}
	if (!h->prog) {
		fprintf(stderr, "hive-xdp-bench: %s: no XDP program\n", o->obj);
		hive_close(h);
		return -1;
	}
	size_t nmaps = hive_object_map_cnt(h->obj);
	struct hive_verify_map *vm = calloc(nmaps ? nmaps : 1, sizeof(*vm));
	if (!vm) {
		err = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < nmaps; i++) {
		const struct hive_object_map *m = hive_object_map(h->obj, i);
		vm[i] = (struct hive_verify_map){.fd = (int32_t)i, .type = hive_object_map_type(m),
						 .key_size = hive_object_map_key_size(m),
						 .value_size = hive_object_map_value_size(m),
						 .max_entries = hive_object_map_max_entries(m),
						 .map_flags = hive_object_map_flags(m)};
	}
	size_t cnt;
	const struct hive_insn *insns = hive_program_insns(h->prog, &cnt);
	HIVE_OPTS(hive_verify_opts, vo, .prog_type = HIVE_PROG_XDP, .maps = vm, .nmaps = nmaps, .log_buf = log,
		  .log_size = sizeof log);
	err = hive_verify(insns, cnt, &vo, NULL);
	free(vm);
	if (err)
		goto fail;
	HIVE_OPTS(hive_object_load_opts, lo, .env = h->env, .mode = HIVE_EXEC_TRUSTED, .log_buf = log,
		  .log_size = sizeof log);
	if ((err = hive_object_load(h->obj, &lo)))
		goto fail;
	if (jit && (err = hive_prog_jit(hive_program_prog(h->prog), NULL)))
		goto fail;
	if (o->maps && (err = seed_maps(h->obj, o->maps, log, sizeof log)))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "hive-xdp-bench: hive: %s: %s\n%s\n", o->obj, strerror(-err), log);
	hive_close(h);
	return -1;
}

/* ns per run: the mean over the packets of test-run's duration with @repeat */
static struct ns hive_testrun(struct hive_side *h, bool jit, unsigned repeat, uint32_t *verdicts)
{
	double sum = 0, c0 = cpu_ns();
	for (size_t i = 0; i < npkts; i++) {
		HIVE_OPTS(hive_test_run_opts, to, .data_in = pkts[i].data, .data_size_in = pkts[i].len,
			  .repeat = repeat, .use_jit = jit);
		int err = hive_program_test_run(h->prog, &to);
		if (err) {
			fprintf(stderr, "hive-xdp-bench: hive test-run, packet %zu: %s: %s\n", i, strerror(-err), to.errmsg);
			return (struct ns){-1, -1};
		}
		if (verdicts)
			verdicts[i] = to.retval;
		sum += to.duration;
	}
	return (struct ns){(cpu_ns() - c0) / ((double)npkts * repeat), sum / (double)npkts};
}

/* ns per packet: one test-run call per packet, wall clock */
static struct ns hive_testrun_calls(struct hive_side *h, bool jit)
{
	double t0 = now_ns(), c0 = cpu_ns();
	for (size_t i = 0; i < npkts; i++) {
		HIVE_OPTS(hive_test_run_opts, to, .data_in = pkts[i].data, .data_size_in = pkts[i].len, .use_jit = jit);
		if (hive_program_test_run(h->prog, &to))
			return (struct ns){-1, -1};
	}
	return (struct ns){(cpu_ns() - c0) / (double)npkts, (now_ns() - t0) / (double)npkts};
}

/* ns per packet as `hive xdp --pcap --repeat P` prints it: "N packets
 * (...) through ... in W ms (CPU C ms): M Mpps" */
static struct ns hive_cmd(const struct opts *o, bool jit)
{
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "%s xdp %s --pcap %s %s%s %s --repeat %u --top 0 --events 0 2>&1", o->hive, o->obj,
		 o->pcap, o->maps ? "--maps " : "", o->maps ? o->maps : "", jit ? "--jit" : "--interpret", o->passes);
	FILE *p = popen(cmd, "r");
	if (!p)
		return (struct ns){-1, -1};
	char line[512];
	double runs = 0, wall = -1, cpu = -1;
	while (fgets(line, sizeof line, p)) {
		char *in = strstr(line, ") in "), *c = strstr(line, "(CPU ");
		if (strstr(line, " Mpps") && in && c) {
			runs = strtod(line, NULL);
			wall = strtod(in + 5, NULL);
			cpu = strtod(c + 5, NULL);
		}
	}
	if (pclose(p) != 0 || runs <= 0 || wall <= 0 || cpu <= 0) {
		fprintf(stderr, "hive-xdp-bench: `%s` failed\n", cmd);
		return (struct ns){-1, -1};
	}
	return (struct ns){cpu * 1e6 / runs, wall * 1e6 / runs};
}

/* }===== */

/* {===== the kernel */

struct kernel_side {
	struct bpf_object *obj;
	int prog_fd;
};

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* Load the same object; copy every map's entries over from a seeded hive object. */
static int kernel_open(struct kernel_side *k, const struct opts *o, char *why, size_t whysz)
{
	memset(k, 0, sizeof(*k));
	libbpf_set_print(libbpf_quiet);
	k->obj = bpf_object__open_file(o->obj, NULL);
	if (!k->obj) {
		snprintf(why, whysz, "libbpf cannot open %s: %s", o->obj, strerror(errno));
		return -1;
	}
	struct bpf_program *prog = NULL, *p;
	bpf_object__for_each_program(p, k->obj) {
		if (!prog && bpf_program__type(p) == BPF_PROG_TYPE_XDP)
			prog = p;
		else
			bpf_program__set_autoload(p, false);
	}
	int err = prog ? bpf_object__load(k->obj) : -ENOENT;
	if (err) {
		snprintf(why, whysz, "the kernel does not load it: %s", strerror(-err));
		bpf_object__close(k->obj);
		k->obj = NULL;
		return -1;
	}
	k->prog_fd = bpf_program__fd(prog);
	struct hive_side h;
	if (hive_open(&h, o, false)) {
		snprintf(why, whysz, "hive cannot open it to read the seeded maps");
		return -1;
	}
	for (size_t i = 0; i < hive_object_map_cnt(h.obj); i++) {
		struct hive_object_map *om = hive_object_map(h.obj, i);
		struct hive_map *m = hive_object_map_map(om);
		struct bpf_map *km = bpf_object__find_map_by_name(k->obj, hive_object_map_name(om));
		if (!m || !km || hive_map_get_type(m) == HIVE_MAP_RINGBUF || hive_object_map_is_internal(om))
			continue;
		uint8_t key[256], next[256], value[4096];
		if (hive_map_key_size(m) > sizeof key || hive_map_user_value_size(m) > sizeof value)
			continue;
		const void *prev = NULL;
		while (!hive_map_get_next_key(m, prev, next)) {
			memcpy(key, next, hive_map_key_size(m));
			if (!hive_map_lookup(m, key, value) && bpf_map_update_elem(bpf_map__fd(km), key, value, BPF_ANY)) {
				snprintf(why, whysz, "map %s: the kernel refuses an entry: %s", bpf_map__name(km),
					 strerror(errno));
				hive_close(&h);
				return -1;
			}
			prev = key;
		}
	}
	hive_close(&h);
	return 0;
}

static void kernel_close(struct kernel_side *k)
{
	bpf_object__close(k->obj);
	memset(k, 0, sizeof(*k));
}

static struct ns kernel_testrun(struct kernel_side *k, unsigned repeat, uint32_t *verdicts)
{
	double sum = 0, c0 = cpu_ns();
	for (size_t i = 0; i < npkts; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, to, .data_in = pkts[i].data, .data_size_in = pkts[i].len, .repeat = repeat);
		if (bpf_prog_test_run_opts(k->prog_fd, &to)) {
			fprintf(stderr, "hive-xdp-bench: kernel test-run, packet %zu: %s\n", i, strerror(errno));
			return (struct ns){-1, -1};
		}
		if (verdicts)
			verdicts[i] = to.retval;
		sum += to.duration;
	}
	return (struct ns){(cpu_ns() - c0) / ((double)npkts * repeat), sum / (double)npkts};
}

static struct ns kernel_testrun_calls(struct kernel_side *k)
{
	double t0 = now_ns(), c0 = cpu_ns();
	for (size_t i = 0; i < npkts; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, to, .data_in = pkts[i].data, .data_size_in = pkts[i].len);
		if (bpf_prog_test_run_opts(k->prog_fd, &to))
			return (struct ns){-1, -1};
	}
	return (struct ns){(cpu_ns() - c0) / (double)npkts, (now_ns() - t0) / (double)npkts};
}

/* }===== */

/* {===== rows */

enum eng { E_CMD_JIT, E_CMD_INTERP, E_TR_JIT, E_TR_INTERP, E_KERNEL, E_TR1_JIT, E_KERNEL1, E_COUNT };
static const struct {
	const char *name, *what;
} eng_info[E_COUNT] = {
	[E_CMD_JIT] = {"hive-xdp-cmd-jit", "`hive xdp --pcap --jit --repeat P`, its packet loop"},
	[E_CMD_INTERP] = {"hive-xdp-cmd-interp", "`hive xdp --pcap --interpret --repeat P`"},
	[E_TR_JIT] = {"hive-testrun-jit", "hive_program_test_run, repeat R per packet"},
	[E_TR_INTERP] = {"hive-testrun-interp", "the same, interpreter"},
	[E_KERNEL] = {"kernel-testrun", "BPF_PROG_TEST_RUN, repeat R per packet (its duration)"},
	[E_TR1_JIT] = {"hive-testrun-1-jit", "one hive_program_test_run call per packet"},
	[E_KERNEL1] = {"kernel-testrun-1", "one BPF_PROG_TEST_RUN syscall per packet"},
};

/* ns: the figure compared (kernel-testrun: the kernel's duration, the
 * loop alone, as the kernel times it; every other row: CPU time), median
 * and fastest of the trials; cpu and timer: both clocks' medians */
struct row {
	bool ran;
	char why[200];
	double median, best, cpu, timer;
};

static void free_all(uint32_t *vk, uint32_t *vh)
{
	for (size_t i = 0; i < npkts; i++)
		free(pkts[i].data);
	free(pkts);
	free(vk);
	free(vh);
}

static void usage(void)
{
	fprintf(stderr, "usage: hive-xdp-bench --obj OBJ.o --pcap IN [--maps FILE.json] [--hive PATH] [--repeat R]\n"
			"                      [--trials T] [--passes P] [--json OUT] [--quick]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = {.repeat = 200, .trials = 5, .passes = 100};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--quick")) {
			o.quick = true;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--obj"))
			o.obj = v;
		else if (!strcmp(a, "--pcap"))
			o.pcap = v;
		else if (!strcmp(a, "--maps"))
			o.maps = v;
		else if (!strcmp(a, "--hive"))
			o.hive = v;
		else if (!strcmp(a, "--json"))
			o.json = v;
		else if (!strcmp(a, "--repeat") && atoi(v) > 0)
			o.repeat = (unsigned)atoi(v);
		else if (!strcmp(a, "--trials") && atoi(v) > 0)
			o.trials = (unsigned)atoi(v);
		else if (!strcmp(a, "--passes") && atoi(v) > 0)
			o.passes = (unsigned)atoi(v);
		else
			usage();
	}
	if (!o.obj || !o.pcap)
		usage();
	if (xb_read_pcap(o.pcap, &pkts, &npkts) || !npkts)
		return 1;

	struct row rows[E_COUNT] = {0};
	uint32_t *vk = calloc(npkts, sizeof(*vk)), *vh = calloc(npkts, sizeof(*vh));
	if (!vk || !vh)
		return 1;

	/* the verdicts first: one run per packet, fresh maps on both sides */
	struct kernel_side k;
	char kwhy[200] = "";
	bool kernel = kernel_open(&k, &o, kwhy, sizeof kwhy) == 0;
	struct hive_side h;
	if (hive_open(&h, &o, true))
		return 1;
	size_t mismatches = 0;
	if (hive_testrun(&h, true, 1, vh).cpu < 0)
		return 1;
	hive_close(&h);
	if (kernel) {
		if (kernel_testrun(&k, 1, vk).cpu < 0)
			return 1;
		kernel_close(&k);
		for (size_t i = 0; i < npkts; i++)
			if (vk[i] != vh[i] && mismatches++ < 5)
				fprintf(stderr, "packet %zu: kernel verdict %u, hive %u\n", i, vk[i], vh[i]);
		size_t per[5] = {0};
		for (size_t i = 0; i < npkts; i++)
			per[vh[i] < 5 ? vh[i] : 0]++;
		printf("verdicts: %zu packets (ABORTED %zu, DROP %zu, PASS %zu, TX %zu, REDIRECT %zu), %zu differ between "
		       "the kernel and hive\n", npkts, per[0], per[1], per[2], per[3], per[4], mismatches);
	} else {
		printf("kernel rows skipped: %s\n", kwhy);
	}
	if (o.quick) { /* the check alone (CTest) */
		free_all(vk, vh);
		return mismatches ? 1 : 0;
	}

	for (int e = 0; e < E_COUNT; e++) {
		struct row *r = &rows[e];
		bool is_kernel = e == E_KERNEL || e == E_KERNEL1, is_cmd = e == E_CMD_JIT || e == E_CMD_INTERP;
		if (is_kernel && !kernel) {
			snprintf(r->why, sizeof r->why, "skipped: %s", kwhy);
			continue;
		}
		if (is_cmd && !o.hive) {
			snprintf(r->why, sizeof r->why, "skipped: no --hive");
			continue;
		}
		bool jit = e != E_CMD_INTERP && e != E_TR_INTERP;
		/* fresh maps for each engine; the same packets for every trial */
		if (is_kernel && kernel_open(&k, &o, r->why, sizeof r->why))
			continue;
		if (!is_kernel && !is_cmd && hive_open(&h, &o, jit))
			continue;
		unsigned trials = o.trials;
		double *t = calloc(2 * (size_t)trials, sizeof(*t)), *tt = t ? t + trials : NULL;
		bool ok = t != NULL;
		for (unsigned i = 0; ok && i < trials; i++) {
			struct ns ns;
			switch (e) {
			case E_CMD_JIT:
			case E_CMD_INTERP: ns = hive_cmd(&o, jit); break;
			case E_TR_JIT:
			case E_TR_INTERP: ns = hive_testrun(&h, jit, e == E_TR_INTERP ? (o.repeat + 9) / 10 : o.repeat, NULL); break;
			case E_KERNEL: ns = kernel_testrun(&k, o.repeat, NULL); break;
			case E_TR1_JIT: ns = hive_testrun_calls(&h, true); break;
			default: ns = kernel_testrun_calls(&k); break;
			}
			ok = ns.cpu > 0;
			if (ok)
				t[i] = ns.cpu, tt[i] = ns.timer;
		}
		if (ok) {
			double *use = e == E_KERNEL ? tt : t;
			r->ran = true;
			qsort(t, trials, sizeof(*t), dbl_cmp);
			qsort(tt, trials, sizeof(*tt), dbl_cmp);
			r->median = use[trials / 2];
			r->best = use[0];
			r->cpu = t[trials / 2];
			r->timer = tt[trials / 2];
		} else {
			snprintf(r->why, sizeof r->why, "failed");
		}
		free(t);
		if (is_kernel)
			kernel_close(&k);
		else if (!is_cmd)
			hive_close(&h);
	}

	struct utsname u;
	uname(&u);
	printf("%zu packets of %s through %s; %u trials, median (fastest); repeat R = %u (interpreter R/10), "
	       "passes P = %u; Linux %s\n\n", npkts, o.pcap, o.obj, o.trials, o.repeat, o.passes, u.release);
	printf("%-20s %8s %8s %8s %8s %8s %8s  %s\n", "engine", "ns/pkt", "fastest", "cpu ns", "timer ns", "Mpps",
	       "/kernel", "what");
	for (int e = 0; e < E_COUNT; e++) {
		const struct row *r = &rows[e];
		if (!r->ran) {
			printf("%-20s %s\n", eng_info[e].name, r->why);
			continue;
		}
		int ref = e == E_TR1_JIT || e == E_KERNEL1 ? E_KERNEL1 : E_KERNEL;
		char ratio[16] = "-";
		if (rows[ref].ran)
			snprintf(ratio, sizeof ratio, "%.2fx", rows[ref].median / r->median);
		printf("%-20s %8.1f %8.1f %8.1f %8.1f %8.2f %8s  %s\n", eng_info[e].name, r->median, r->best, r->cpu,
		       r->timer, 1e3 / r->median, ratio, eng_info[e].what);
	}
	printf("\nns/pkt: what the rows compare, median of the trials: kernel-testrun's is the kernel's duration (its\n"
	       "loop alone, timed by the kernel, which stops its clock while it reschedules); every other row's is the\n"
	       "thread's CPU time per packet (user + system; per run with repeat, per-call set-up included), which\n"
	       "a busy machine does not inflate. cpu ns and timer ns: both clocks (timer: test-run's duration, the\n"
	       "command's wall clock; kernel-testrun's cpu ns includes each call's set-up, the XDP dispatcher\n"
	       "update of a repeat run). /kernel: the kernel's ns/pkt over this row's (above 1: hive is faster);\n"
	       "one-call-per-packet rows compare with kernel-testrun-1, the others with kernel-testrun.\n");

	if (o.json) {
		FILE *f = fopen(o.json, "w");
		if (!f) {
			fprintf(stderr, "hive-xdp-bench: %s: %s\n", o.json, strerror(errno));
			return 1;
		}
		fprintf(f, "{\"program\": \"%s\", \"capture\": \"%s\", \"packets\": %zu, \"repeat\": %u, \"passes\": %u, "
			   "\"trials\": %u, \"kernel\": \"%s\", \"verdict_mismatches\": %zd,\n \"rows\": [",
			strrchr(o.obj, '/') ? strrchr(o.obj, '/') + 1 : o.obj, o.pcap, npkts, o.repeat, o.passes, o.trials,
			u.release, kernel ? (ssize_t)mismatches : -1);
		bool first = true;
		for (int e = 0; e < E_COUNT; e++) {
			const struct row *r = &rows[e];
			if (!r->ran)
				continue;
			fprintf(f, "%s\n  {\"engine\": \"%s\", \"ns_per_packet\": %.2f, \"fastest_ns_per_packet\": %.2f, "
				   "\"cpu_ns_per_packet\": %.2f, \"timer_ns_per_packet\": %.2f, \"mpps\": %.3f}",
				first ? "" : ",", eng_info[e].name, r->median, r->best, r->cpu, r->timer, 1e3 / r->median);
			first = false;
		}
		fprintf(f, "\n ]}\n");
		fclose(f);
		printf("wrote %s\n", o.json);
	}
	free_all(vk, vh);
	return kernel && mismatches ? 1 : 0;
}
