/* hive xdp OBJ --pcap IN [--write OUT.pcap] [--prog NAME] [--maps FILE.json]
 *          [--interpret | --jit] [--unverified] [--top N] [--events N]
 * Runs an XDP program over every packet of a capture with BPF_PROG_TEST_RUN
 * semantics, applies the verdicts (PASS and TX packets, as the program left
 * them, go to --write; REDIRECT is counted; ABORTED is reported), and prints
 * a summary: packets per verdict, throughput, the maps and ring buffer
 * records at the end. */
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hive/hive.h"
#include "cmd.h"

enum { XDP_VERDICTS = 5, XDP_FRAME = 4096 };
static const char *const xdp_verdict_name[XDP_VERDICTS] = {"ABORTED", "DROP", "PASS", "TX", "REDIRECT"};

struct xdp_pkt {
	uint8_t *data;
	uint32_t len;
	struct timeval ts;
};

static int xdp_usage(void)
{
	fprintf(stderr, "usage: hive xdp OBJ.o --pcap IN [--write OUT.pcap] [--prog NAME] [--maps FILE.json]\n"
			"                [--interpret | --jit] [--unverified] [--top N] [--events N]\n");
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

static int xdp_read_pcap(const char *path, struct xdp_pkt **out, size_t *cnt)
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
	size_t cap = 1024, n = 0;
	struct xdp_pkt *pkts = malloc(cap * sizeof(*pkts));
	struct pcap_pkthdr *h;
	const u_char *bytes;
	int r;
	while (pkts && (r = pcap_next_ex(pc, &h, &bytes)) == 1) {
		if (n == cap) {
			struct xdp_pkt *np = realloc(pkts, (cap *= 2) * sizeof(*pkts));
			if (!np)
				break;
			pkts = np;
		}
		pkts[n].data = malloc(h->caplen ? h->caplen : 1);
		if (!pkts[n].data)
			break;
		memcpy(pkts[n].data, bytes, h->caplen);
		pkts[n].len = h->caplen;
		pkts[n].ts = h->ts;
		n++;
	}
	if (pkts && r == PCAP_ERROR)
		fprintf(stderr, "hive xdp: %s: %s (after %zu packets)\n", path, pcap_geterr(pc), n);
	pcap_close(pc);
	if (!pkts)
		return -ENOMEM;
	*out = pkts;
	*cnt = n;
	return 0;
}

int cmd_xdp(int argc, char **argv)
{
	const char *path = NULL, *pcap_in = NULL, *pcap_out = NULL, *prog_name = NULL, *maps_json = NULL;
	bool jit = false, unverified = false;
	unsigned top = 10, events = 10;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;
		if (!strcmp(a, "--pcap") && more)
			pcap_in = argv[++i];
		else if (!strcmp(a, "--write") && more)
			pcap_out = argv[++i];
		else if (!strcmp(a, "--prog") && more)
			prog_name = argv[++i];
		else if (!strcmp(a, "--maps") && more)
			maps_json = argv[++i];
		else if (!strcmp(a, "--top") && more)
			top = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(a, "--events") && more)
			events = (unsigned)strtoul(argv[++i], NULL, 10);
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
	if (!path || !pcap_in)
		return xdp_usage();

	int rc = 1, err;
	struct hive_env *env = NULL;
	struct hive_object *obj = NULL;
	struct xdp_pkt *pkts = NULL;
	size_t npkts = 0;
	uint8_t *out = NULL;
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
	if (jit && (err = hive_prog_jit(hive_program_prog(prog), NULL))) {
		fprintf(stderr, "hive xdp: JIT: %s\n", strerror(-err));
		goto out;
	}
	if (maps_json && (err = tool_maps_seed(obj, maps_json, log, sizeof(log)))) {
		fprintf(stderr, "hive xdp: %s\n", log);
		goto out;
	}
	if (xdp_read_pcap(pcap_in, &pkts, &npkts))
		goto out;

	/* Run every packet first (timed), write the survivors afterwards. */
	out = malloc((size_t)XDP_FRAME * (npkts ? npkts : 1));
	uint32_t *out_len = calloc(npkts ? npkts : 1, sizeof(*out_len));
	uint8_t *verdict = calloc(npkts ? npkts : 1, 1);
	uint64_t count[XDP_VERDICTS + 1] = {0}, failed = 0;
	if (!out || !out_len || !verdict) {
		free(out_len);
		free(verdict);
		fprintf(stderr, "hive xdp: out of memory\n");
		goto out;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < npkts; i++) {
		HIVE_OPTS(hive_test_run_opts, to, .data_in = pkts[i].data, .data_size_in = pkts[i].len,
			  .data_out = out + (size_t)i * XDP_FRAME, .data_size_out = XDP_FRAME, .use_jit = jit);
		err = hive_program_test_run(prog, &to);
		if (err) {
			/* The kernel refuses such frames before any program runs
			 * (too short, too long): count them, don't stop. */
			if (failed++ < 3)
				fprintf(stderr, "hive xdp: packet %zu (%u bytes): %s%s%s\n", i + 1, pkts[i].len,
					strerror(-err), to.errmsg[0] ? ": " : "", to.errmsg);
			verdict[i] = XDP_VERDICTS;
			continue;
		}
		verdict[i] = to.retval < XDP_VERDICTS ? (uint8_t)to.retval : 0;
		out_len[i] = to.data_size_out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	for (size_t i = 0; i < npkts; i++)
		count[verdict[i]]++;

	if (pcap_out) {
		pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
		pcap_dumper_t *d = dead ? pcap_dump_open(dead, pcap_out) : NULL;
		if (!d) {
			fprintf(stderr, "hive xdp: %s: %s\n", pcap_out, dead ? pcap_geterr(dead) : "cannot open");
		} else {
			for (size_t i = 0; i < npkts; i++)
				if (verdict[i] == 2 || verdict[i] == 3) {
					struct pcap_pkthdr h = {.ts = pkts[i].ts, .caplen = out_len[i], .len = out_len[i]};
					pcap_dump((u_char *)d, &h, out + (size_t)i * XDP_FRAME);
				}
			pcap_dump_close(d);
		}
		if (dead)
			pcap_close(dead);
	}

	printf("%zu packets through %s (%s, %s) in %.3f ms: %.2f Mpps\n", npkts, hive_program_name(prog),
	       jit ? "JIT" : "interpreter", mode == HIVE_EXEC_TRUSTED ? "verified" : "checked", secs * 1e3,
	       secs > 0 ? (double)npkts / secs / 1e6 : 0.0);
	for (int v = 0; v < XDP_VERDICTS; v++)
		printf("  %-9s %" PRIu64 "\n", xdp_verdict_name[v], count[v]);
	if (count[XDP_VERDICTS])
		printf("  refused   %" PRIu64 " (frames the kernel's test-run refuses too)\n", count[XDP_VERDICTS]);
	if (count[0])
		printf("  (ABORTED: the program returned XDP_ABORTED or a value that is no verdict)\n");
	if (pcap_out)
		printf("wrote %" PRIu64 " packets (PASS, TX) to %s\n", count[2] + count[3], pcap_out);

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
	free(out_len);
	free(verdict);
	rc = 0;
out:
	for (size_t i = 0; i < npkts; i++)
		free(pkts[i].data);
	free(pkts);
	free(out);
	hive_object_close(obj);
	hive_env_free(env);
	return rc;
}
