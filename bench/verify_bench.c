/* hive-verify-bench: verification cost, hive's verifier beside the kernel's,
 * on the programs of ELF objects.
 *
 *   hive-verify-bench [--repeats N] [--json OUT] OBJ.o...
 *
 * Kernel: each program is loaded alone (libbpf, the others not autoloaded)
 * with log_level 4 (BPF_LOG_STATS); the log's "processed N insns" and
 * "verification time X usec" are read.  hive: hive_verify with the maps the
 * object declares, hive_verify_stats.processed_insns and time_ns.  Each side
 * is timed --repeats times (default 5) and the median is reported.  Programs
 * the kernel does not load (refused, or not loadable here) are listed with
 * the reason and left out of the JSON; the table and file compare only what
 * both verified.  libbpf is used by this tool only, never by hive. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "hive/hive.h"

struct vb_row {
	char object[128];
	char program[128];
	uint64_t k_insns, h_insns;
	double k_us, h_us;
	bool h_ok;
};

static int vb_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double vb_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), vb_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int vb_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* One kernel load of @prog from @path: 0 and the stats, or -errno and the
 * last line of the log in @why. */
static int vb_kernel_once(const char *path, const char *prog, uint64_t *insns, double *us, char *why, size_t whysz)
{
	static char log[1 << 20];
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		snprintf(why, whysz, "libbpf cannot open the object");
		return -errno;
	}
	struct bpf_program *p, *target = NULL;
	bpf_object__for_each_program(p, obj)
	{
		bool me = !strcmp(bpf_program__name(p), prog);
		bpf_program__set_autoload(p, me);
		if (me)
			target = p;
	}
	if (!target) {
		bpf_object__close(obj);
		snprintf(why, whysz, "libbpf does not see the program");
		return -ENOENT;
	}
	log[0] = 0;
	bpf_program__set_log_buf(target, log, sizeof(log));
	bpf_program__set_log_level(target, 4);
	int err = bpf_object__load(obj);
	bpf_object__close(obj);
	const char *t = strstr(log, "verification time ");
	const char *n = strstr(log, "processed ");
	if (err || !t || !n) {
		const char *line = log;
		for (const char *q = log; *q; q++)
			if (*q == '\n' && q[1] && strncmp(q + 1, "verification time", 17) && strncmp(q + 1, "processed", 9) &&
			    strncmp(q + 1, "stack depth", 11))
				line = q + 1;
		if (line[0])
			snprintf(why, whysz, "kernel: %.*s", (int)strcspn(line, "\n"), line);
		else
			snprintf(why, whysz, "libbpf cannot load it here (%s)", strerror(err < 0 ? -err : EINVAL));
		return err ? err : -EINVAL;
	}
	*us = strtod(t + 18, NULL);
	*insns = strtoull(n + 10, NULL, 10);
	return 0;
}

/* Verify program @p of @obj as hive_object_load does (its map table, timer
 * offsets and inner maps included); the verifier's own time. */
static int vb_hive_once(const struct hive_object *obj, const struct hive_program *p, uint64_t *insns, double *us)
{
	(void)obj;
	struct hive_verify_stats st;
	memset(&st, 0, sizeof(st));
	int err = hive_program_verify(p, NULL, &st);
	*insns = st.processed_insns;
	*us = (double)st.time_ns / 1000.0;
	return err;
}

static const char *vb_base(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

int main(int argc, char **argv)
{
	int repeats = 5;
	const char *json = NULL;
	struct vb_row *rows = NULL;
	size_t nrows = 0;
	libbpf_set_print(vb_quiet);
	printf("%-22s %-26s %10s %12s %10s %12s %8s\n", "object", "program", "k.insns", "kernel us", "h.insns", "hive us",
	       "hive/k");
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--repeats") && a + 1 < argc) {
			repeats = atoi(argv[++a]);
			if (repeats < 1)
				repeats = 1;
			continue;
		}
		if (!strcmp(argv[a], "--json") && a + 1 < argc) {
			json = argv[++a];
			continue;
		}
		const char *path = argv[a];
		struct hive_object *obj = NULL;
		if (hive_object_open_file(path, NULL, &obj)) {
			printf("%-22s %-26s skipped: hive cannot open the object\n", vb_base(path), "-");
			continue;
		}
		for (size_t i = 0; i < hive_object_prog_cnt(obj); i++) {
			const struct hive_program *p = hive_object_prog(obj, i);
			const char *name = hive_program_name(p);
			double kt[64], ht[64];
			uint64_t ki = 0, hi = 0;
			char why[256] = "";
			int n = repeats < 64 ? repeats : 64, kerr = 0, herr = 0;
			for (int r = 0; r < n && !kerr; r++)
				kerr = vb_kernel_once(path, name, &ki, &kt[r], why, sizeof(why));
			if (kerr) {
				printf("%-22s %-26s skipped: %s\n", vb_base(path), name, why);
				continue;
			}
			for (int r = 0; r < n; r++)
				herr = vb_hive_once(obj, p, &hi, &ht[r]);
			struct vb_row *nr = realloc(rows, (nrows + 1) * sizeof(*rows));
			if (!nr)
				return 1;
			rows = nr;
			struct vb_row *row = &rows[nrows++];
			memset(row, 0, sizeof(*row));
			snprintf(row->object, sizeof(row->object), "%s", vb_base(path));
			snprintf(row->program, sizeof(row->program), "%s", name);
			row->k_insns = ki;
			row->h_insns = hi;
			row->k_us = vb_median(kt, n);
			row->h_us = vb_median(ht, n);
			row->h_ok = herr == 0;
			printf("%-22s %-26s %10" PRIu64 " %12.1f %10" PRIu64 " %12.1f %7.2fx%s\n", row->object, row->program,
			       row->k_insns, row->k_us, row->h_insns, row->h_us, row->k_us > 0 ? row->h_us / row->k_us : 0.0,
			       row->h_ok ? "" : "  (hive refuses)");
		}
		hive_object_close(obj);
	}
	size_t met_t = 0, met_i = 0;
	for (size_t i = 0; i < nrows; i++) {
		met_t += rows[i].h_ok && rows[i].h_us <= rows[i].k_us;
		met_i += rows[i].h_ok && rows[i].h_insns <= rows[i].k_insns;
	}
	printf("hive time <= kernel time on %zu of %zu programs; processed insns <= kernel's on %zu of %zu\n", met_t,
	       nrows, met_i, nrows);
	if (json) {
		FILE *f = fopen(json, "w");
		if (!f) {
			perror(json);
			return 1;
		}
		fprintf(f, "[\n");
		for (size_t i = 0; i < nrows; i++)
			fprintf(f,
				"  {\"object\": \"%s\", \"program\": \"%s\", \"kernel_processed_insns\": %" PRIu64
				", \"kernel_us\": %.1f, \"hive_processed_insns\": %" PRIu64
				", \"hive_us\": %.1f, \"hive_accepts\": %s}%s\n",
				rows[i].object, rows[i].program, rows[i].k_insns, rows[i].k_us, rows[i].h_insns,
				rows[i].h_us, rows[i].h_ok ? "true" : "false", i + 1 < nrows ? "," : "");
		fprintf(f, "]\n");
		fclose(f);
	}
	free(rows);
	return 0;
}
