/* hive_prog_test_run against the running kernel's BPF_PROG_TEST_RUN: the
 * programs of tests/hooks (no maps, no global data, so their linked
 * instructions load into the kernel as they are) over the same packets and
 * contexts, hand-made and random. Errors, retval, data_out and its size,
 * ctx_out must be identical, under the interpreter and the JIT (checked
 * mode, no verifier). Skips where bpf() is not permitted. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../common/kernel_bpf.h"
#include "../hooks/hook_corpus.h"
#include "hive/hive.h"

static bool kernel_ok(void)
{
	static int ok = -1;
	if (ok < 0) {
		struct bpf_insn insns[] = {{.code = 0xb7, .dst_reg = 0, .imm = 0}, {.code = 0x95}};
		int fd = kbpf_prog_load(BPF_PROG_TYPE_XDP, insns, 2, "GPL", NULL, 0, 0);
		ok = fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	return ok;
}

#define SKIP_IF_NO_KERNEL()                                                \
	do {                                                               \
		if (!kernel_ok()) {                                        \
			printf("HIVE-SKIP: bpf() not permitted\n");        \
			skip();                                            \
		}                                                          \
		if (!hc_clang()) {                                         \
			printf("HIVE-SKIP: no clang to build tests/hooks\n"); \
			skip();                                            \
		}                                                          \
	} while (0)

/* Load a program of an object into the kernel (syscall programs must be sleepable). */
/* The last kload failed because this kernel build does not give the
 * program type a helper that upstream Linux gives it (some builds refuse
 * bpf_xdp_adjust_meta in XDP): no kernel to compare with, not a failure. */
static bool kload_helper_refused;

static int kload(const struct hive_program *p)
{
	size_t cnt;
	const struct hive_insn *insns = hive_program_insns(p, &cnt);
	static char log[65536];
	union bpf_attr attr;
	memset(&attr, 0, sizeof attr);
	attr.prog_type = hive_program_type(p);
	attr.insns = kbpf_ptr(insns);
	attr.insn_cnt = (uint32_t)cnt;
	attr.license = kbpf_ptr("GPL");
	attr.log_buf = kbpf_ptr(log);
	attr.log_size = sizeof log;
	attr.log_level = 1;
	if (attr.prog_type == BPF_PROG_TYPE_SYSCALL)
		attr.prog_flags = BPF_F_SLEEPABLE;
	log[0] = '\0';
	int fd = kbpf_sys(BPF_PROG_LOAD, &attr);
	kload_helper_refused = fd < 0 && strstr(log, "cannot use helper");
	if (fd < 0)
		fprintf(stderr, "kernel refused %s: %d\n%s\n", hive_program_name(p), fd, log);
	return fd;
}

struct tcase {
	const void *data;
	uint32_t size;
	const void *ctx;
	uint32_t ctx_size;
	bool ctx_out;
	uint32_t repeat;
};

struct result {
	int err;
	uint32_t retval, data_size, ctx_size;
	uint8_t data[80 * 1024], ctx[256], ctx_in_after[256];
	char errmsg[192];
};

static void run_kernel(int fd, const struct tcase *c, struct result *r)
{
	memset(r, 0, sizeof *r);
	uint8_t ctx_in[256] = {0};
	if (c->ctx)
		memcpy(ctx_in, c->ctx, c->ctx_size);
	struct kbpf_test_run t = {
		.data_in = c->data, .data_size_in = c->size,
		.data_out = c->data ? r->data : NULL, .data_size_out = c->data ? sizeof r->data : 0,
		.ctx_in = c->ctx ? ctx_in : NULL, .ctx_size_in = c->ctx_size,
		.ctx_out = c->ctx_out ? r->ctx : NULL, .ctx_size_out = c->ctx_out ? sizeof r->ctx : 0,
		.repeat = c->repeat,
	};
	r->err = kbpf_prog_test_run(fd, &t);
	r->retval = t.retval;
	r->data_size = t.data_size_out;
	r->ctx_size = t.ctx_size_out;
	memcpy(r->ctx_in_after, ctx_in, sizeof ctx_in);
}

static void run_hive(const struct hive_program *p, bool jit, const struct tcase *c, struct result *r)
{
	memset(r, 0, sizeof *r);
	uint8_t ctx_in[256] = {0};
	if (c->ctx)
		memcpy(ctx_in, c->ctx, c->ctx_size);
	HIVE_OPTS(hive_test_run_opts, o, .data_in = c->data, .data_size_in = c->size,
		  .data_out = c->data ? r->data : NULL, .data_size_out = c->data ? sizeof r->data : 0,
		  .ctx_in = c->ctx ? ctx_in : NULL, .ctx_size_in = c->ctx_size,
		  .ctx_out = c->ctx_out ? r->ctx : NULL, .ctx_size_out = c->ctx_out ? sizeof r->ctx : 0,
		  .repeat = c->repeat, .use_jit = jit);
	r->err = hive_program_test_run(p, &o);
	if (r->err && r->err != -EOPNOTSUPP && getenv("HIVE_TESTRUN_VERBOSE"))
		fprintf(stderr, "hive: %s: %d: %s (pc %u)\n", hive_program_name(p), r->err, o.errmsg, o.fault_pc);
	r->retval = o.retval;
	snprintf(r->errmsg, sizeof r->errmsg, "%s", o.errmsg);
	r->data_size = o.data_size_out;
	r->ctx_size = o.ctx_size_out;
	memcpy(r->ctx_in_after, ctx_in, sizeof ctx_in);
}

static void hexdump(const char *what, const uint8_t *p, uint32_t n)
{
	fprintf(stderr, "%s:", what);
	for (uint32_t i = 0; i < n && i < 96; i++)
		fprintf(stderr, " %02x", p[i]);
	fprintf(stderr, "\n");
}

static int ncompared, nverified, nrefused;

/* Same outcome? Prints both sides and fails if not. */
static void compare(const char *prog, const char *side, const struct tcase *c, const struct result *k,
		    const struct result *h)
{
	bool same = k->err == h->err;
	if (same && !k->err) {
		same = k->retval == h->retval && k->data_size == h->data_size &&
		       !memcmp(k->data, h->data, k->data_size < sizeof k->data ? k->data_size : sizeof k->data) &&
		       k->ctx_size == h->ctx_size && !memcmp(k->ctx, h->ctx, sizeof k->ctx) &&
		       !memcmp(k->ctx_in_after, h->ctx_in_after, sizeof k->ctx_in_after);
	}
	ncompared++;
	if (same)
		return;
	fprintf(stderr, "%s (%s), data_size_in %u, ctx_size_in %u, repeat %u:\n", prog, side, c->size, c->ctx_size,
		c->repeat);
	fprintf(stderr, "  kernel: err %d retval %u (%d) data_size %u ctx_size %u\n", k->err, k->retval,
		(int)k->retval, k->data_size, k->ctx_size);
	fprintf(stderr, "  hive:   err %d retval %u (%d) data_size %u ctx_size %u\n", h->err, h->retval,
		(int)h->retval, h->data_size, h->ctx_size);
	if (c->data)
		hexdump("  in    ", c->data, c->size);
	hexdump("  kernel", k->data, k->data_size);
	hexdump("  hive  ", h->data, h->data_size);
	if (c->ctx_out) {
		hexdump("  kctx  ", k->ctx, k->ctx_size);
		hexdump("  hctx  ", h->ctx, h->ctx_size);
	}
	fprintf(stderr, "  hive's errmsg: %s\n", h->errmsg);
	fail_msg("hive and the kernel differ");
}

static struct hive_object *obj_t; /* trusted, JIT: for programs hive's verifier accepts */

/* Does hive's verifier accept @p (no maps in these objects)? */
static bool verified(const struct hive_program *p)
{
	size_t cnt;
	const struct hive_insn *insns = hive_program_insns(p, &cnt);
	HIVE_OPTS(hive_verify_opts, vo, .prog_type = hive_program_type(p));
	return hive_verify(insns, cnt, &vo, NULL) == 0;
}

/* Run every case on program @pname, kernel vs hive: checked interpreter,
 * checked JIT, and trusted JIT when hive's verifier accepts the program. */
static void diff_prog(struct hive_object *obj, struct hive_object *jobj, const char *pname, const struct tcase *cases,
		      size_t n)
{
	struct hive_program *p = hive_object_find_program(obj, pname);
	struct hive_program *jp = hive_object_find_program(jobj, pname);
	struct hive_program *tp = obj_t ? hive_object_find_program(obj_t, pname) : NULL;
	assert_non_null(p);
	assert_non_null(jp);
	if (tp && !verified(tp)) {
		printf("note: hive's verifier refuses %s: its runs compared checked only\n", pname);
		tp = NULL;
		nrefused++;
	} else if (tp) {
		nverified++;
	}
	int fd = kload(p);
	if (fd < 0 && kload_helper_refused) {
		printf("HIVE-NOTE: this kernel refuses a helper of %s that upstream Linux allows: "
		       "its kernel comparison is skipped\n", pname);
		return;
	}
	assert_true(fd >= 0);
	for (size_t i = 0; i < n; i++) {
		struct result k, h;
		run_kernel(fd, &cases[i], &k);
		run_hive(p, false, &cases[i], &h);
		compare(pname, "interpreter", &cases[i], &k, &h);
		run_hive(jp, true, &cases[i], &h);
		compare(pname, "jit", &cases[i], &k, &h);
		if (tp) {
			run_hive(tp, true, &cases[i], &h);
			compare(pname, "verified, trusted jit", &cases[i], &k, &h);
		}
	}
	close(fd);
}

/* {===== packets */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

/* A frame: Ethernet (dest, EtherType), IPv4 header with a valid checksum,
 * UDP or TCP, payload; @size bytes in all. */
static uint32_t make_frame(uint8_t *p, uint32_t size, const uint8_t dst[6], uint16_t ethertype, uint8_t l4proto,
			   uint16_t dport)
{
	memset(p, 0, size);
	memcpy(p, dst, 6);
	for (int i = 6; i < 12; i++)
		p[i] = (uint8_t)(0x10 + i);
	p[12] = (uint8_t)(ethertype >> 8);
	p[13] = (uint8_t)ethertype;
	if (ethertype == 0x0800 && size >= 14 + 20) {
		uint8_t *ip = p + 14;
		ip[0] = 0x45;
		uint16_t tot = (uint16_t)(size - 14);
		ip[2] = (uint8_t)(tot >> 8);
		ip[3] = (uint8_t)tot;
		ip[8] = 64;
		ip[9] = l4proto;
		uint8_t src[4] = {192, 168, 1, 2}, dsta[4] = {192, 168, 1, 1};
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dsta, 4);
		uint32_t sum = 0;
		for (int i = 0; i < 20; i += 2)
			sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		ip[10] = (uint8_t)(~sum >> 8);
		ip[11] = (uint8_t)~sum;
		uint8_t *l4 = ip + 20;
		if (size >= 14 + 20 + 8) {
			l4[0] = 0x30;
			l4[1] = 0x39;
			l4[2] = (uint8_t)(dport >> 8);
			l4[3] = (uint8_t)dport;
			if (l4proto == 17) {
				l4[6] = 0x12;
				l4[7] = 0x34;
			}
		}
		if (l4proto == 6 && size >= 14 + 20 + 18) {
			l4[16] = 0xab;
			l4[17] = 0xcd;
		}
		for (uint32_t i = 14 + 20 + 20; i < size; i++)
			p[i] = (uint8_t)(i * 7);
	} else {
		for (uint32_t i = 14; i < size; i++)
			p[i] = (uint8_t)(i * 13 + 1);
	}
	return size;
}

static const uint8_t mac_zero[6], mac_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		     mac_mcast[6] = {0x01, 0x00, 0x5e, 0, 0, 1}, mac_other[6] = {0x02, 0, 0, 0, 0, 9};

enum { NFIXED = 12, NRANDOM = 48, NCASES = NFIXED + NRANDOM };
static uint8_t frames[NCASES][3712];
static uint32_t frame_size[NCASES];

static void build_frames(void)
{
	static bool built;
	if (built)
		return;
	built = true;
	uint32_t i = 0;
	frame_size[i] = make_frame(frames[i], 60, mac_zero, 0x0800, 17, 53), i++;
	frame_size[i] = make_frame(frames[i], 74, mac_other, 0x0800, 6, 80), i++;
	frame_size[i] = make_frame(frames[i], 98, mac_bcast, 0x0800, 17, 1234), i++;
	frame_size[i] = make_frame(frames[i], 42, mac_mcast, 0x0806, 0, 0), i++;
	frame_size[i] = make_frame(frames[i], 14, mac_zero, 0x86dd, 0, 0), i++;
	frame_size[i] = make_frame(frames[i], 64, mac_zero, 0x0040, 0, 0), i++; /* 802.3 length */
	frame_size[i] = make_frame(frames[i], 64, mac_zero, 0x0040, 0, 0);
	frames[i][14] = frames[i][15] = 0xff, i++;                                /* raw 802.3 */
	frame_size[i] = make_frame(frames[i], 15, mac_other, 0x0100, 0, 0), i++;
	frame_size[i] = make_frame(frames[i], 13, mac_zero, 0x0800, 0, 0), i++; /* too short */
	frame_size[i] = make_frame(frames[i], 3520, mac_zero, 0x0800, 17, 53), i++;
	frame_size[i] = make_frame(frames[i], 3712, mac_zero, 0x0800, 6, 53), i++;
	frame_size[i] = make_frame(frames[i], 3713 - 1, mac_other, 0x0800, 17, 9), i++;
	for (; i < NCASES; i++) {
		uint32_t size = 14 + rnd() % 120;
		make_frame(frames[i], size, (i & 1) ? mac_zero : mac_other, (i & 2) ? 0x0800 : 0x86dd,
			   (i & 4) ? 17 : 6, (uint16_t)(rnd() % 4 ? 53 : rnd()));
		for (uint32_t j = 0; j < 16 && j < size; j++)
			if (rnd() % 2)
				frames[i][j] = (uint8_t)rnd();
		if (i % 3 == 0) /* small offsets for the edge programs */
			frames[i][0] = (uint8_t)(rnd() % 64), frames[i][1] = (uint8_t)(rnd() % 2 ? 0 : 0xff);
		frame_size[i] = size;
	}
}

/* }===== */

static struct hive_object *obj_i, *obj_j;
static struct hive_env *env_i, *env_j, *env_t;

static void open_objs(const char *name)
{
	obj_i = hc_load(name, HIVE_EXEC_CHECKED, false, &env_i);
	obj_j = hc_load(name, HIVE_EXEC_CHECKED, true, &env_j);
	obj_t = hc_load(name, HIVE_EXEC_TRUSTED, true, &env_t);
	assert_non_null(obj_i);
	assert_non_null(obj_j);
	assert_non_null(obj_t);
}

static void close_objs(void)
{
	hive_object_close(obj_i);
	hive_object_close(obj_j);
	hive_object_close(obj_t);
	hive_env_free(env_i);
	hive_env_free(env_j);
	hive_env_free(env_t);
	obj_i = obj_j = obj_t = NULL;
}

static size_t frame_cases(struct tcase *cases, uint32_t repeat)
{
	build_frames();
	for (size_t i = 0; i < NCASES; i++)
		cases[i] = (struct tcase){.data = frames[i], .size = frame_size[i], .repeat = repeat};
	return NCASES;
}

static void test_xdp(void **state)
{
	(void)state;
	SKIP_IF_NO_KERNEL();
	open_objs("xdp_hooks");
	static struct tcase cases[NCASES + 16];
	static const char *progs[] = {"xdp_parse", "xdp_encap", "xdp_decap", "xdp_tail", "xdp_meta",
				      "xdp_head_edges", "xdp_tail_edges", "xdp_meta_edges", "xdp_fields", "xdp_bytes"};
	for (size_t p = 0; p < sizeof progs / sizeof *progs; p++) {
		size_t n = frame_cases(cases, 0);
		/* adjust_* accumulate over repeated runs of one buffer */
		cases[n++] = (struct tcase){.data = frames[0], .size = frame_size[0], .repeat = 5};
		diff_prog(obj_i, obj_j, progs[p], cases, n);
	}
	close_objs();
}

/* Multi-buffer frames: past the 3520-byte linear part the kernel puts the
 * rest in page fragments (17 at most); bytes by offset across them, the
 * tail grown into the last page or cut through several, data_out whole.
 * The first two bytes of each frame are the programs' argument. */
static void test_xdp_frags(void **state)
{
	(void)state;
	SKIP_IF_NO_KERNEL();
	open_objs("xdp_hooks");
	static const uint32_t sizes[] = {3521, 4000, 7616, 7617, 9000, 20000, 73152, 73153};
	static const int16_t args[] = {0, 8, 100, -100, 3516, 3520, 7612, 7700, 4000, -4000, -4096, -9000, 32767, -32768};
	enum { NS = sizeof sizes / sizeof *sizes, NA = sizeof args / sizeof *args };
	static uint8_t big[NS * NA][73153];
	static struct tcase cases[NS * NA];
	size_t n = 0;
	for (size_t i = 0; i < NS; i++)
		for (size_t a = 0; a < NA; a++, n++) {
			for (uint32_t j = 0; j < sizes[i]; j++)
				big[n][j] = (uint8_t)(j * 31 + (j >> 8) + i);
			memcpy(big[n], &args[a], 2);
			cases[n] = (struct tcase){.data = big[n], .size = sizes[i], .repeat = a % 5 == 4 ? 3 : 0};
		}
	static const char *progs[] = {"xdp_bytes", "xdp_tail_edges", "xdp_fields", "xdp_parse", "xdp_head_edges"};
	for (size_t p = 0; p < sizeof progs / sizeof *progs; p++)
		diff_prog(obj_i, obj_j, progs[p], cases, n);
	close_objs();
}

/* XDP contexts: metadata in data_in, and the refusals. */
static void test_xdp_ctx(void **state)
{
	(void)state;
	SKIP_IF_NO_KERNEL();
	open_objs("xdp_hooks");
	build_frames();
	uint32_t sz = frame_size[0];
	struct xdp_md good[] = {
		{.data = 0, .data_end = sz}, {.data = 8, .data_end = sz}, {.data = 32, .data_end = sz},
		{.data = 4, .data_end = sz, .ingress_ifindex = 1}, {.data = 36, .data_end = sz},
	};
	struct xdp_md bad[] = {
		{.data = 0, .data_end = sz - 1}, {.data = 2, .data_end = sz}, {.data = 36, .data_end = sz},
		{.data = 8, .data_end = sz, .data_meta = 4}, {.data = 0, .data_end = sz, .egress_ifindex = 1},
		{.data = 0, .data_end = sz, .rx_queue_index = 1}, {.data = 0, .data_end = sz, .ingress_ifindex = 1, .rx_queue_index = 5},
		{.data = sz + 4, .data_end = sz}, {.data = 220, .data_end = 240}, {.data = 252, .data_end = 300},
		{.data = 256, .data_end = 300}, {.data = 216, .data_end = 300}, {.data = 8, .data_end = 12},
	};
	static struct tcase cases[48];
	size_t n = 0;
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		cases[n++] = (struct tcase){frames[0], sz, &good[i], sizeof good[i], true, 0};
		cases[n++] = (struct tcase){frames[0], sz, &good[i], sizeof good[i], false, 0};
	}
	static uint8_t frame300[300];
	make_frame(frame300, sizeof frame300, mac_zero, 0x0800, 17, 53);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		bool large = bad[i].data_end >= 240; /* metadata sizes near the headroom's */
		cases[n++] = (struct tcase){large ? frame300 : frames[0], large ? bad[i].data_end : sz, &bad[i],
					    sizeof bad[i], true, 0};
	}
	static uint8_t big[40]; /* bytes past struct xdp_md */
	memcpy(big, &good[1], sizeof good[1]);
	cases[n++] = (struct tcase){frames[0], sz, big, sizeof big, true, 0};
	big[39] = 1;
	cases[n++] = (struct tcase){frames[0], sz, big, sizeof big, true, 0};
	cases[n++] = (struct tcase){frames[0], sz, &good[1], 8, true, 0}; /* short: data_end 0 */
	cases[n++] = (struct tcase){frames[0], sz, NULL, 0, true, 0};      /* ctx_out alone: a zero context */
	cases[n++] = (struct tcase){frames[0], sz, NULL, 0, true, 0};      /* ctx_out alone */
	diff_prog(obj_i, obj_j, "xdp_fields", cases, n);
	diff_prog(obj_i, obj_j, "xdp_meta", cases, n);
	diff_prog(obj_i, obj_j, "xdp_encap", cases, n);
	diff_prog(obj_i, obj_j, "xdp_meta_edges", cases, n);
	close_objs();
}

static void test_skb(void **state)
{
	(void)state;
	SKIP_IF_NO_KERNEL();
	open_objs("skb_hooks");
	static struct tcase cases[NCASES + 4];
	static const char *progs[] = {"tc_fields", "tc_nat", "tc_csum_edges", "tc_bytes", "tc_direct",
				      "sock_ldabs", "sock_ldabs_past", "sock_fields", "cg_fields",
				      "lwt_in_fields", "lwt_xmit_write"};
	for (size_t p = 0; p < sizeof progs / sizeof *progs; p++) {
		size_t n = frame_cases(cases, 0);
		cases[n++] = (struct tcase){.data = frames[1], .size = frame_size[1], .repeat = 3};
		diff_prog(obj_i, obj_j, progs[p], cases, n);
	}
	/* the attached socket's family and addresses, shown through ctx_out
	 * (cb[], mark), for every frame: IPv4, IPv6 and neither */
	static const struct __sk_buff none;
	size_t n = frame_cases(cases, 0);
	for (size_t i = 0; i < n; i++)
		cases[i].ctx = &none, cases[i].ctx_size = sizeof none, cases[i].ctx_out = true;
	diff_prog(obj_i, obj_j, "cg_sk_fields", cases, n);
	close_objs();
}

/* The helpers that reshape a socket buffer or read and set its metadata
 * (tests/hooks/skb_shape.bpf.c): each program over frames of several
 * kinds (IPv4 UDP/TCP, IPv6, ARP, 802.1Q and QinQ tagged, ECN marks),
 * with arguments from bytes 6..9 of the frame, chosen per case. */
static void test_skb_shape(void **state)
{
	(void)state;
	SKIP_IF_NO_KERNEL();
	open_objs("skb_shape");
	enum { NBASE = 9, NPARAM = 64 };
	static uint8_t base[NBASE][128];
	static uint32_t base_size[NBASE];
	uint32_t b = 0;
	base_size[b] = make_frame(base[b], 60, mac_zero, 0x0800, 17, 53), b++;
	base_size[b] = make_frame(base[b], 74, mac_other, 0x0800, 6, 80), b++;
	base_size[b] = make_frame(base[b], 94, mac_zero, 0x86dd, 0, 0);
	base[b][14] = 0x60, base[b][15] = 0x10, b++;            /* IPv6, traffic class ECT(0) */
	base_size[b] = make_frame(base[b], 42, mac_bcast, 0x0806, 0, 0), b++;
	for (int tag = 0; tag < 2; tag++) { /* 802.1Q, then QinQ (802.1ad outer) */
		uint8_t f[128];
		uint32_t n = make_frame(f, 64, mac_zero, 0x0800, 17, 53);
		uint32_t push = tag ? 8 : 4;
		memcpy(base[b], f, 12);
		static const uint8_t q[] = {0x81, 0x00, 0x00, 0x05}, qq[] = {0x88, 0xa8, 0x00, 0x07, 0x81, 0x00, 0x00, 0x05};
		memcpy(base[b] + 12, tag ? qq : q, push);
		memcpy(base[b] + 12 + push, f + 12, n - 12);
		base_size[b++] = n + push;
	}
	for (int ecn = 1; ecn < 4; ecn++) { /* IPv4 with ECT(1), ECT(0), CE */
		base_size[b] = make_frame(base[b], 60, mac_zero, 0x0800, 17, 53);
		base[b][15] = (uint8_t)ecn;
		b++;
	}
	static const uint8_t fixed[][4] = {
		{0, 0, 0, 0}, {0, 14, 0, 0}, {0, 34, 0, 0}, {0, 33, 0, 0}, {0, 60, 0, 0}, {1, 0, 0, 0},
		{0, 100, 0, 1}, {0, 0, 0x80, 0}, {0, 0, 0x81, 0}, {0, 0, 0x82, 0}, {0, 0, 0x40, 0}, {4, 0, 0, 7},
		{8, 0, 0, 0}, {20, 1, 0, 0}, {20, 0, 2, 0}, {20, 1, 2, 0}, {24, 1, 0x22, 0x3a}, {28, 0, 0x0a, 0},
		{36, 0, 0x14, 0}, {40, 1, 0x04, 0}, {0xec, 0, 0x40, 0}, {0xec, 1, 0, 0}, {0xd8, 0, 0x80, 0},
		{20, 4, 2, 0}, {20, 8, 2, 0}, {100, 0x10, 0, 0}, {0x9c, 0x10, 0, 0}, {20, 0x20, 0, 0},
		{20, 2, 0, 0}, {20, 3, 0, 0}, {0, 0, 0, 16}, {1, 0x23, 0x01, 1}, {0, 5, 0, 2}, {2, 0, 0, 4},
		{0, 1, 0, 1}, {1, 1, 1, 2}, {3, 0x0e, 0x20, 0x0d}, {2, 0x09, 0, 0x03}, {6, 0x18, 0x10, 0x08},
		{0xff, 0x3f, 0xff, 0xff}, {0xec, 0, 0x80, 0}, {0xd8, 0, 0x40, 0}, {50, 0x41, 0, 0}, {2, 0x80, 0, 0},
	};
	enum { NFIX = sizeof fixed / sizeof *fixed };
	_Static_assert((int)NFIX <= (int)NPARAM, "more fixed cases than room");
	static uint8_t frames_p[NBASE * NPARAM][136];
	static struct tcase cases[NBASE * NPARAM];
	size_t n = 0;
	for (uint32_t f = 0; f < b; f++)
		for (uint32_t k = 0; k < NPARAM; k++, n++) {
			memcpy(frames_p[n], base[f], base_size[f]);
			for (int j = 0; j < 4; j++)
				frames_p[n][6 + j] = k < NFIX ? fixed[k][j] : (uint8_t)rnd();
			cases[n] = (struct tcase){.data = frames_p[n], .size = base_size[f]};
		}
	static const char *progs[] = {"shape_tail", "shape_head", "shape_room", "shape_vlan",
				      "shape_proto", "shape_meta", "tc_relative", "sock_relative"};
	for (size_t p = 0; p < sizeof progs / sizeof *progs; p++)
		diff_prog(obj_i, obj_j, progs[p], cases, n);
	/* repeated runs reshape the same buffer again and again */
	for (size_t i = 0; i < n; i += 7)
		cases[i].repeat = 4;
	diff_prog(obj_i, obj_j, "shape_head", cases, n);
	diff_prog(obj_i, obj_j, "shape_vlan", cases, n);
	close_objs();
}

/* __sk_buff contexts in and out, and the refusals. */
static void test_skb_ctx(void **state)
{
	(void)state;
	SKIP_IF_NO_KERNEL();
	open_objs("skb_hooks");
	build_frames();
	uint32_t sz = frame_size[1];
	struct __sk_buff good[] = {
		{.mark = 7, .priority = 3, .cb = {1, 2, 3, 4, 5}, .tstamp = 1000, .ingress_ifindex = 4},
		{.ifindex = 1, .wire_len = 1000, .gso_segs = 3, .gso_size = 1400, .hwtstamp = 99},
		{.wire_len = 74},
		{0},
	};
	struct __sk_buff bad[] = {
		{.len = 1}, {.protocol = 8}, {.wire_len = 10}, {.wire_len = 70000}, {.gso_segs = 70000},
		{.tc_index = 1}, {.hash = 1}, {.data = 1}, {.tstamp_type = 1}, {.napi_id = 2},
	};
	static struct tcase cases[32];
	size_t n = 0;
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		cases[n++] = (struct tcase){frames[1], sz, &good[i], sizeof good[i], true, 0};
		cases[n++] = (struct tcase){frames[1], sz, &good[i], sizeof good[i], false, 0};
		cases[n++] = (struct tcase){frames[1], sz, &good[i], 20, true, 0};
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cases[n++] = (struct tcase){frames[1], sz, &bad[i], sizeof bad[i], true, 0};
	cases[n++] = (struct tcase){frames[1], sz, NULL, 0, true, 0};
	cases[n++] = (struct tcase){frames[1], sz, NULL, 0, true, 2};
	diff_prog(obj_i, obj_j, "tc_fields", cases, n);
	diff_prog(obj_i, obj_j, "sock_fields", cases, n);
	diff_prog(obj_i, obj_j, "tc_nat", cases, n);
	diff_prog(obj_i, obj_j, "cg_fields", cases, n);
	diff_prog(obj_i, obj_j, "lwt_in_fields", cases, n);
	close_objs();
}

static void test_raw_tp_syscall(void **state)
{
	(void)state;
	SKIP_IF_NO_KERNEL();
	open_objs("skb_hooks");
	uint64_t args[12] = {5, 100, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	uint64_t args13[13] = {1};
	struct tcase rt[] = {
		{NULL, 0, args, 24, false, 0}, {NULL, 0, args, 96, false, 0}, {NULL, 0, args13, 104, false, 0},
		{NULL, 0, args, 24, true, 0},  {NULL, 0, args, 24, false, 2}, {frames[0], 60, args, 24, false, 0},
	};
	build_frames();
	diff_prog(obj_i, obj_j, "rawtp_args", rt, sizeof rt / sizeof *rt);
	uint32_t sys[3] = {6, 7, 0};
	struct tcase sc[] = {
		{NULL, 0, sys, sizeof sys, false, 0}, {NULL, 0, sys, sizeof sys, true, 0},
		{NULL, 0, sys, sizeof sys, false, 3}, {frames[0], 60, sys, sizeof sys, false, 0},
	};
	diff_prog(obj_i, obj_j, "syscall_sum", sc, sizeof sc / sizeof *sc);
	close_objs();
	printf("compared %d runs with the kernel; of the case sets, %d ran verified and trusted too, "
	       "%d not (hive's verifier refused)\n", ncompared, nverified, nrefused);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xdp),
		cmocka_unit_test(test_xdp_ctx),
		cmocka_unit_test(test_xdp_frags),
		cmocka_unit_test(test_skb),
		cmocka_unit_test(test_skb_ctx),
		cmocka_unit_test(test_skb_shape),
		cmocka_unit_test(test_raw_tp_syscall),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
