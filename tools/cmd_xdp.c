/* hive xdp OBJ (--pcap IN [--write OUT.pcap] [--repeat N] | --iface IF ...)
 *          [--prog NAME] [--maps FILE.json] [--interpret | --jit] [--unverified]
 *          [--top N] [--events N]
 * Runs an XDP program over every packet of a capture with BPF_PROG_TEST_RUN
 * semantics (a hive_xdp runner: one frame reused for every packet),
 * applies the verdicts (PASS and TX packets, as the program left them, go
 * to --write; REDIRECT is counted; ABORTED is reported), and prints a
 * summary: packets per verdict, throughput, the maps and ring buffer
 * records at the end. With --iface, on live interfaces (tools/xdp_live.c). */
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hive/hive.h"
#include "cmd.h"
#include "xdp.h"

enum { XDP_FRAME = 4096, XDP_CHUNK = 64 };
const char *const xdp_verdict_name[XDP_VERDICTS] = {"ABORTED", "DROP", "PASS", "TX", "REDIRECT"};

struct xdp_pkt {
	uint8_t *data;
	size_t off;     /* in the capture's arena */
	uint32_t len;
	struct timeval ts;
};

static int xdp_usage(void)
{
	fprintf(stderr, "usage: hive xdp OBJ.o --pcap IN [--write OUT.pcap] [--repeat N] [OPTIONS]\n"
			"       hive xdp OBJ.o --iface IF [--iface IF2 ...] [--count N] [--duration S] [--write OUT.pcap]\n"
			"                [--progress] [--promisc] [--afxdp] [OPTIONS]\n"
			"options: [--prog NAME] [--maps FILE.json] [--interpret | --jit] [--unverified] [--top N] [--events N]\n");
	return 2;
}

static void xdp_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

struct xdp_entry {
	uint8_t *key, *value;
	uint64_t rank;
	uint32_t key_size;
};

static int xdp_rank_cmp(const void *a, const void *b)
{
	const struct xdp_entry *ea = a, *eb = b;
	if (ea->rank != eb->rank)
		return ea->rank < eb->rank ? 1 : -1;
	/* ties by key, so that the order does not depend on the hash seed */
	return memcmp(ea->key, eb->key, ea->key_size);
}

/* A map's entries; with @top, the @top ones with the largest first u64 of
 * the value (a packet counter, by the usual convention). */
static void xdp_print_map(struct hive_map *map, unsigned top)
{
	enum hive_map_type t = hive_map_get_type(map);
	printf("map %s (%s entries):", hive_map_name(map),
	       t == HIVE_MAP_HASH || t == HIVE_MAP_LRU_HASH ? "hash" : t == HIVE_MAP_LPM_TRIE ? "lpm_trie"
	       : t == HIVE_MAP_ARRAY ? "array" : "other");
	uint32_t ks = hive_map_key_size(map);
	size_t vs = hive_map_user_value_size(map);
	if (!ks || t == HIVE_MAP_RINGBUF) {
		printf(" -\n");
		return;
	}
	size_t cap = 64, n = 0;
	struct xdp_entry *e = malloc(cap * sizeof(*e));
	uint8_t *prev = NULL;
	for (;;) {
		uint8_t *key = malloc(ks);
		if (!e || !key || hive_map_get_next_key(map, prev, key)) {
			free(key);
			break;
		}
		uint8_t *value = malloc(vs ? vs : 1);
		if (!value || hive_map_lookup(map, key, value)) {
			free(key);
			free(value);
			break;
		}
		if (n == cap) {
			struct xdp_entry *ne = realloc(e, (cap *= 2) * sizeof(*e));
			if (!ne)
				break;
			e = ne;
		}
		uint64_t rank = 0;
		memcpy(&rank, value, vs < 8 ? vs : 8);
		e[n++] = (struct xdp_entry){.key = key, .value = value, .rank = rank, .key_size = ks};
		prev = key;
		if (n > 1000000)
			break;
	}
	printf(" %zu\n", n);
	if (e)
		qsort(e, n, sizeof(*e), xdp_rank_cmp);
	for (size_t i = 0; i < n; i++) {
		if (!top || i < top) {
			printf("  key ");
			xdp_hex(e[i].key, ks);
			printf("  value ");
			xdp_hex(e[i].value, vs);
			printf("\n");
		}
		free(e[i].key);
		free(e[i].value);
	}
	free(e);
}

struct xdp_events {
	unsigned shown, limit;
	uint64_t count;
};

static int xdp_event(void *ctx, void *data, size_t size)
{
	struct xdp_events *ev = ctx;
	if (ev->shown < ev->limit) {
		printf("  event %" PRIu64 " (%zu bytes): ", ev->count, size);
		xdp_hex(data, size);
		printf("\n");
		ev->shown++;
	}
	ev->count++;
	return 0;
}

/* The capture's packets, one after another (64-byte aligned) in one
 * arena *@arena, so that a pass over them streams through memory. */
static int xdp_read_pcap(const char *path, struct xdp_pkt **out, size_t *cnt, uint8_t **arena)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, errbuf);
	if (!pc) {
		fprintf(stderr, "hive xdp: %s: %s\n", path, errbuf);
		return -EINVAL;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		fprintf(stderr, "hive xdp: %s: link type %s, only Ethernet captures can feed XDP\n", path,
			pcap_datalink_val_to_name(pcap_datalink(pc)));
		pcap_close(pc);
		return -EINVAL;
	}
	size_t cap = 1024, n = 0, acap = 1 << 20, used = 0;
	struct xdp_pkt *pkts = malloc(cap * sizeof(*pkts));
	uint8_t *a = malloc(acap);
	struct pcap_pkthdr *h;
	const u_char *bytes;
	int r = 0;
	bool nomem = !pkts || !a;
	while (!nomem && (r = pcap_next_ex(pc, &h, &bytes)) == 1) {
		if (n == cap) {
			struct xdp_pkt *np = realloc(pkts, (cap *= 2) * sizeof(*pkts));
			if (!(nomem = !np))
				pkts = np;
		}
		size_t need = used + ((h->caplen + 63u) & ~(size_t)63);
		if (!nomem && need > acap) {
			while (acap < need)
				acap *= 2;
			uint8_t *na = realloc(a, acap);
			if (!(nomem = !na))
				a = na;
		}
		if (nomem)
			break;
		memcpy(a + used, bytes, h->caplen);
		pkts[n] = (struct xdp_pkt){.off = used, .len = h->caplen, .ts = h->ts};
		used = need;
		n++;
	}
	if (!nomem && r == PCAP_ERROR)
		fprintf(stderr, "hive xdp: %s: %s (after %zu packets)\n", path, pcap_geterr(pc), n);
	pcap_close(pc);
	if (nomem) {
		fprintf(stderr, "hive xdp: %s: out of memory after %zu packets\n", path, n);
		free(pkts);
		free(a);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		pkts[i].data = a + pkts[i].off;
	*out = pkts;
	*cnt = n;
	*arena = a;
	return 0;
}

/* Every packet of @pcap_in through @prog (@repeat passes, timed), the
 * first pass's PASS and TX packets written to @pcap_out; the summary. */
static int xdp_pcap(struct hive_prog *prog, const char *name, const char *pcap_in, const char *pcap_out, bool jit,
		    bool verified, uint64_t repeat)
{
	struct xdp_pkt *pkts = NULL;
	size_t npkts = 0;
	uint8_t *arena = NULL;
	if (xdp_read_pcap(pcap_in, &pkts, &npkts, &arena))
		return 1;
	int rc = 1, err = -ENOMEM;
	struct hive_xdp *runner = NULL;
	pcap_t *dead = NULL;
	pcap_dumper_t *dump = NULL;
	uint8_t *chunk = pcap_out ? malloc((size_t)XDP_FRAME * XDP_CHUNK) : NULL;
	HIVE_OPTS(hive_xdp_opts, xo, .use_jit = jit);
	if ((pcap_out && !chunk) || (err = hive_xdp_new(prog, &xo, &runner))) {
		fprintf(stderr, "hive xdp: %s\n", pcap_out && !chunk ? "out of memory" : strerror(-err));
		goto out;
	}
	if (pcap_out) {
		dead = pcap_open_dead(DLT_EN10MB, 65535);
		dump = dead ? pcap_dump_open(dead, pcap_out) : NULL;
		if (!dump) {
			fprintf(stderr, "hive xdp: %s: %s\n", pcap_out, dead ? pcap_geterr(dead) : "cannot open");
			goto out;
		}
	}
	uint64_t count[XDP_COUNTS] = {0}, failed = 0, written = 0;
	struct hive_xdp_pkt batch[XDP_CHUNK];
	struct timespec t0, t1, c0, c1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	for (uint64_t pass = 0; pass < repeat; pass++) {
		bool write = dump && pass == 0;
		for (size_t i = 0; i < npkts; i += XDP_CHUNK) {
			size_t m = npkts - i < XDP_CHUNK ? npkts - i : XDP_CHUNK;
			for (size_t j = 0; j < m; j++)
				batch[j] = (struct hive_xdp_pkt){.data = pkts[i + j].data, .len = pkts[i + j].len,
								 .out = write ? chunk + j * XDP_FRAME : NULL,
								 .out_cap = XDP_FRAME};
			hive_xdp_run(runner, batch, m);
			for (size_t j = 0; j < m; j++) {
				struct hive_xdp_pkt *p = &batch[j];
				if (p->err) {
					/* The kernel refuses such frames before any program
					 * runs (too short, too long): count them, don't stop. */
					if (failed++ < 3) {
						uint32_t pc;
						const char *msg = hive_xdp_errmsg(runner, &pc);
						fprintf(stderr, "hive xdp: packet %zu (%u bytes): %s%s%s\n", i + j + 1,
							pkts[i + j].len, strerror(-p->err), msg[0] ? ": " : "", msg);
					}
					count[XDP_VERDICTS]++;
					continue;
				}
				uint32_t v = p->verdict < XDP_VERDICTS ? p->verdict : 0;
				count[v]++;
				if (write && (v == 2 || v == 3)) {
					uint32_t len = p->len < XDP_FRAME ? p->len : XDP_FRAME;
					struct pcap_pkthdr h = {.ts = pkts[i + j].ts, .caplen = len, .len = len};
					pcap_dump((u_char *)dump, &h, p->out);
					written++;
				}
			}
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
	uint64_t runs = (uint64_t)npkts * repeat;
	printf("%" PRIu64 " packets", runs);
	if (repeat > 1)
		printf(" (%" PRIu64 " passes over %zu)", repeat, npkts);
	/* CPU time too: on a shared machine the wall clock counts other work */
	printf(" through %s (%s, %s) in %.3f ms (CPU %.3f ms): %.2f Mpps\n", name, jit ? "JIT" : "interpreter",
	       verified ? "verified" : "checked", secs * 1e3, cpu * 1e3, secs > 0 ? (double)runs / secs / 1e6 : 0.0);
	for (int v = 0; v < XDP_VERDICTS; v++)
		printf("  %-9s %" PRIu64 "\n", xdp_verdict_name[v], count[v]);
	if (count[XDP_VERDICTS])
		printf("  refused   %" PRIu64 " (frames the kernel's test-run refuses too, or runs that faulted)\n",
		       count[XDP_VERDICTS]);
	if (count[0])
		printf("  (ABORTED: the program returned XDP_ABORTED or a value that is no verdict)\n");
	if (pcap_out)
		printf("wrote %" PRIu64 " packets (PASS, TX) to %s\n", written, pcap_out);
	rc = 0;
out:
	if (dump)
		pcap_dump_close(dump);
	if (dead)
		pcap_close(dead);
	hive_xdp_free(runner);
	free(chunk);
	free(arena);
	free(pkts);
	return rc;
}

/* A count option: a whole number, or usage. */
static bool xdp_num(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-')
		return false;
	*out = v;
	return true;
}

int cmd_xdp(int argc, char **argv)
{
	const char *path = NULL, *pcap_in = NULL, *pcap_out = NULL, *prog_name = NULL, *maps_json = NULL;
	bool jit = false, unverified = false;
	unsigned top = 10, events = 10;
	uint64_t repeat = 1;
	struct xdp_live_opts live = {0};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;
		uint64_t n;
		if (!strcmp(a, "--pcap") && more)
			pcap_in = argv[++i];
		else if (!strcmp(a, "--iface") && more) {
			if (live.nifaces == XDP_MAX_IFACES) {
				fprintf(stderr, "hive xdp: at most %d --iface\n", XDP_MAX_IFACES);
				return 2;
			}
			live.ifaces[live.nifaces++] = argv[++i];
		} else if (!strcmp(a, "--write") && more)
			pcap_out = argv[++i];
		else if (!strcmp(a, "--prog") && more)
			prog_name = argv[++i];
		else if (!strcmp(a, "--maps") && more)
			maps_json = argv[++i];
		else if (!strcmp(a, "--top") && more)
			top = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(a, "--events") && more)
			events = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(a, "--repeat") && more && xdp_num(argv[i + 1], &n) && n >= 1 && n <= 1000000)
			repeat = n, i++;
		else if (!strcmp(a, "--count") && more && xdp_num(argv[i + 1], &n) && n >= 1)
			live.count = n, i++;
		else if (!strcmp(a, "--duration") && more && (live.duration = strtod(argv[i + 1], NULL)) > 0)
			i++;
		else if (!strcmp(a, "--progress"))
			live.progress = true;
		else if (!strcmp(a, "--promisc"))
			live.promisc = true;
		else if (!strcmp(a, "--afxdp"))
			live.afxdp = true;
		else if (!strcmp(a, "--jit"))
			jit = true;
		else if (!strcmp(a, "--interpret"))
			jit = false;
		else if (!strcmp(a, "--unverified"))
			unverified = true;
		else if (a[0] != '-' && !path)
			path = a;
		else
			return xdp_usage();
	}
	if (!path || !pcap_in == !live.nifaces)
		return xdp_usage();
	if (live.nifaces && repeat != 1) {
		fprintf(stderr, "hive xdp: --repeat is for --pcap\n");
		return 2;
	}
	if (!live.nifaces && (live.count || live.duration > 0 || live.progress || live.promisc || live.afxdp)) {
		fprintf(stderr, "hive xdp: --count, --duration, --progress, --promisc and --afxdp are for --iface\n");
		return 2;
	}
	live.jit = jit;
	live.write = pcap_out;

	int rc = 1, err;
	struct hive_env *env = NULL;
	struct hive_object *obj = NULL;
	char log[4096] = "";
	if ((err = hive_env_new(&env)) || (err = hive_helpers_install(env, NULL)) ||
	    (err = hive_hook_helpers_install(env))) {
		fprintf(stderr, "hive xdp: %s\n", strerror(-err));
		goto out;
	}
	HIVE_OPTS(hive_object_open_opts, oo, .log_buf = log, .log_size = sizeof(log));
	if ((err = hive_object_open_file(path, &oo, &obj))) {
		fprintf(stderr, "hive xdp: %s: %s\n%s\n", path, strerror(-err), log);
		goto out;
	}
	struct hive_program *prog = NULL;
	for (size_t i = 0; i < hive_object_prog_cnt(obj); i++) {
		struct hive_program *p = hive_object_prog(obj, i);
		bool want = prog_name ? !strcmp(hive_program_name(p), prog_name) : hive_program_type(p) == HIVE_PROG_XDP;
		if (want && !prog)
			prog = p;
		else
			hive_program_set_autoload(p, false);
	}
	if (!prog) {
		fprintf(stderr, "hive xdp: %s: %s\n", path, prog_name ? "no program of that name" : "no XDP program");
		goto out;
	}
	/* hive_object_load verifies the program, which then runs without
	 * run-time checks; --unverified loads it unverified, in checked mode. */
	HIVE_OPTS(hive_object_load_opts, lo, .env = env, .unverified = unverified, .log_buf = log,
		  .log_size = sizeof(log));
	if ((err = hive_object_load(obj, &lo))) {
		fprintf(stderr, "hive xdp: %s: %s%s\n%s\n", path, strerror(-err),
			err == -EACCES ? " (the verifier refuses it; --unverified runs it checked)" : "", log);
		goto out;
	}
	enum hive_exec_mode mode = unverified ? HIVE_EXEC_CHECKED : HIVE_EXEC_TRUSTED;
	struct hive_verify_stats st;
	if (!hive_program_verify_stats(prog, &st))
		printf("verified %s: %" PRIu64 " insns processed, %" PRIu64 " states, %.2f ms\n",
		       hive_program_name(prog), st.processed_insns, st.total_states, st.time_ns / 1e6);
	if (jit && (err = tool_jit(hive_program_prog(prog), NULL, &jit))) {
		fprintf(stderr, "hive xdp: JIT: %s\n", strerror(-err));
		goto out;
	}
	live.jit = jit;
	if (maps_json && (err = tool_maps_seed(obj, maps_json, log, sizeof(log)))) {
		fprintf(stderr, "hive xdp: %s\n", log);
		goto out;
	}
	if (live.nifaces) {
		if (xdp_live_run(hive_program_prog(prog), hive_program_name(prog), &live))
			goto out;
	} else if (xdp_pcap(hive_program_prog(prog), hive_program_name(prog), pcap_in, pcap_out, jit,
			    mode == HIVE_EXEC_TRUSTED, repeat)) {
		goto out;
	}

	for (size_t i = 0; i < hive_object_map_cnt(obj); i++) {
		struct hive_map *m = hive_object_map_map(hive_object_map(obj, i));
		if (!m || hive_object_map_is_internal(hive_object_map(obj, i)))
			continue;
		if (hive_map_get_type(m) == HIVE_MAP_RINGBUF) {
			struct xdp_events ev = {.limit = events};
			printf("ring buffer %s:\n", hive_map_name(m));
			hive_ringbuf_consume(m, xdp_event, &ev);
			printf("  %" PRIu64 " records%s\n", ev.count, ev.count > ev.shown ? " (first ones shown)" : "");
		} else {
			xdp_print_map(m, hive_map_get_type(m) == HIVE_MAP_LPM_TRIE ? 0 : top);
		}
	}
	rc = 0;
out:
	hive_object_close(obj);
	hive_env_free(env);
	return rc;
}
