/* Socket-buffer test runs (tc, socket filters) and the context-only types
 * (raw_tracepoint, syscall) from hand-written instructions, in all four
 * ways: the __sk_buff fields, which of them a program may write, LD_ABS and
 * LD_IND from skb->data, skb_load_bytes/skb_store_bytes, the checksum
 * helpers (checked by recomputing the checksums), and every refusal. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <linux/bpf.h>

#include "../hooks/hook_test.h"
#include "hooks/hooks.h"
#include "insn_macros.h"

#define SKB(F) ((int16_t)offsetof(struct __sk_buff, F))

/* What the test run fills in, for tc and socket filters. */
static void test_fields(void **state)
{
	(void)state;
	/* r0 = len | protocol << 16; r6 = pkt_type | ifindex << 8 | data_end - data << 16 */
	const struct hive_insn prog[] = {
		LDX_MEM(ISA_W, 0, 1, SKB(len)),
		LDX_MEM(ISA_W, 2, 1, SKB(protocol)),
		ALU64_IMM(ISA_LSH, 2, 16),
		ALU64_REG(ISA_OR, 0, 2),
		LDX_MEM(ISA_W, 2, 1, SKB(pkt_type)),
		LDX_MEM(ISA_W, 3, 1, SKB(ifindex)),
		ALU64_IMM(ISA_LSH, 3, 8),
		ALU64_REG(ISA_OR, 2, 3),
		LDX_MEM(ISA_W, 3, 1, SKB(data)),
		LDX_MEM(ISA_W, 4, 1, SKB(data_end)),
		ALU64_REG(ISA_SUB, 4, 3),
		ALU64_IMM(ISA_LSH, 4, 16),
		ALU64_REG(ISA_OR, 2, 4),
		STX_MEM(ISA_W, 1, 2, SKB(cb[0])), /* cb shows in ctx_out */
		EXIT(),
	};
	uint8_t in[60];
	ht_frame(in);
	for (size_t w = 0; w < HT_NWAYS; w++) {
		struct __sk_buff out;
		HIVE_OPTS(hive_test_run_opts, o, .prog_type = HIVE_PROG_SCHED_CLS, .data_in = in, .data_size_in = 60,
			  .ctx_out = &out, .ctx_size_out = sizeof out);
		assert_int_equal(ht_run(prog, ARRAY_LEN(prog), &ht_ways[w], &o), 0);
		assert_int_equal(o.retval, 60 | 0x0008u << 16);
		assert_int_equal(out.cb[0], 3 | 1 << 8 | 60 << 16); /* other host, lo */
		assert_int_equal(out.ifindex, 1);
		assert_int_equal(out.wire_len, 60);
		HIVE_OPTS(hive_test_run_opts, s, .prog_type = HIVE_PROG_SOCKET_FILTER, .data_in = in,
			  .data_size_in = 60, .ctx_out = &out, .ctx_size_out = sizeof out);
		assert_int_equal(ht_run(prog, ARRAY_LEN(prog), &ht_ways[w], &s), 0);
		assert_int_equal(s.retval, 46 | 0x0008u << 16); /* from the network header */
		assert_int_equal(out.cb[0], 3 | 1 << 8 | 46 << 16);
		assert_int_equal(out.wire_len, 46);
	}
	/* pkt_type from the destination: multicast, ours (00:..), another host;
	 * ff:ff:ff:ff:ff:ff is multicast too, as loopback's broadcast address
	 * is 00:.. (the kernel agrees: test_testrun_kernel, shape_meta) */
	static const struct {
		uint8_t first, rest;
		uint32_t type;
	} dests[] = {{0xff, 0xff, 2}, {0x01, 0x00, 2}, {0x00, 0x00, 0}, {0x02, 0x00, 3}};
	const struct hive_insn pt[] = {LDX_MEM(ISA_W, 0, 1, SKB(pkt_type)), EXIT()};
	for (size_t d = 0; d < ARRAY_LEN(dests); d++) {
		in[0] = dests[d].first;
		memset(in + 1, dests[d].rest, 5);
		HIVE_OPTS(hive_test_run_opts, o, .prog_type = HIVE_PROG_SCHED_CLS, .data_in = in, .data_size_in = 60);
		assert_int_equal(ht_run(pt, ARRAY_LEN(pt), &ht_ways[0], &o), 0);
		assert_int_equal(o.retval, dests[d].type);
	}
	/* protocol of 802.3 frames: raw (ffff after the header) or 802.2 */
	const struct hive_insn pr[] = {LDX_MEM(ISA_W, 0, 1, SKB(protocol)), EXIT()};
	in[12] = 0x00, in[13] = 0x2e, in[14] = 0xff, in[15] = 0xff;
	HIVE_OPTS(hive_test_run_opts, o, .prog_type = HIVE_PROG_SCHED_CLS, .data_in = in, .data_size_in = 60);
	assert_int_equal(ht_run(pr, ARRAY_LEN(pr), &ht_ways[0], &o), 0);
	assert_int_equal(o.retval, 0x0100);
	in[14] = 0x42;
	assert_int_equal(ht_run(pr, ARRAY_LEN(pr), &ht_ways[0], &o), 0);
	assert_int_equal(o.retval, 0x0400);
}

/* Which fields a program may write: tc mark/priority/cb/tc_index...,
 * socket filters cb only; never len or data. Writes show in ctx_out. */
static void test_ctx_writes(void **state)
{
	(void)state;
	const struct hive_insn tc_ok[] = {
		ST_MEM(ISA_W, 1, SKB(mark), 11), ST_MEM(ISA_W, 1, SKB(priority), 12),
		ST_MEM(ISA_W, 1, SKB(cb[4]), 13), ST_MEM(ISA_W, 1, SKB(tc_index), 14),
		ST_MEM(ISA_W, 1, SKB(tc_classid), 15), ST_MEM(ISA_DW, 1, SKB(tstamp), 16),
		ST_MEM(ISA_W, 1, SKB(queue_mapping), 1), MOV64_IMM(0, 0), EXIT(),
	};
	const struct hive_insn len_w[] = {MOV64_IMM(0, 0), ST_MEM(ISA_W, 1, SKB(len), 1), EXIT()};
	const struct hive_insn data_w[] = {MOV64_IMM(0, 0), ST_MEM(ISA_W, 1, SKB(data), 1), EXIT()};
	const struct hive_insn mark_w[] = {MOV64_IMM(0, 0), ST_MEM(ISA_W, 1, SKB(mark), 1), EXIT()};
	const struct hive_insn cb_w[] = {MOV64_IMM(0, 0), ST_MEM(ISA_W, 1, SKB(cb[2]), 9), EXIT()};
	const struct hive_insn span[] = {MOV64_IMM(0, 0), ST_MEM(ISA_DW, 1, SKB(cb[4]), 1), EXIT()}; /* cb[4]+hash */
	uint8_t in[60];
	ht_frame(in);
	for (size_t w = 0; w < HT_NWAYS; w++) {
		struct __sk_buff ctx = {.mark = 1}, out;
		HIVE_OPTS(hive_test_run_opts, o, .prog_type = HIVE_PROG_SCHED_CLS, .data_in = in, .data_size_in = 60,
			  .ctx_in = &ctx, .ctx_size_in = sizeof ctx, .ctx_out = &out, .ctx_size_out = sizeof out);
		assert_int_equal(ht_run(tc_ok, ARRAY_LEN(tc_ok), &ht_ways[w], &o), 0);
		assert_int_equal(out.mark, 11);
		assert_int_equal(out.priority, 12);
		assert_int_equal(out.cb[4], 13);
		assert_int_equal(out.tc_index, 0); /* written, but not copied out (the kernel's convert) */
		assert_int_equal(out.tstamp, 16);
		HIVE_OPTS(hive_test_run_opts, s, .prog_type = HIVE_PROG_SOCKET_FILTER, .data_in = in,
			  .data_size_in = 60, .ctx_out = &out, .ctx_size_out = sizeof out);
		assert_int_equal(ht_run(cb_w, ARRAY_LEN(cb_w), &ht_ways[w], &s), 0);
		assert_int_equal(out.cb[2], 9);
		if (w >= HT_NCHECKED)
			continue;
		const struct {
			const struct hive_insn *p;
			size_t n;
			enum hive_prog_type t;
		} bad[] = {
			{len_w, ARRAY_LEN(len_w), HIVE_PROG_SCHED_CLS},
			{data_w, ARRAY_LEN(data_w), HIVE_PROG_SCHED_CLS},
			{span, ARRAY_LEN(span), HIVE_PROG_SCHED_CLS},
			{mark_w, ARRAY_LEN(mark_w), HIVE_PROG_SOCKET_FILTER},
			{tc_ok, ARRAY_LEN(tc_ok), HIVE_PROG_SOCKET_FILTER},
		};
		for (size_t b = 0; b < ARRAY_LEN(bad); b++) {
			HIVE_OPTS(hive_test_run_opts, f, .prog_type = bad[b].t, .data_in = in, .data_size_in = 60);
			assert_int_equal(ht_run(bad[b].p, bad[b].n, &ht_ways[w], &f), -EFAULT);
			assert_non_null(strstr(f.errmsg, "store"));
		}
	}
}

/* cgroup_skb and lwt_*: packet from the network header; mark, priority,
 * cb writable (tstamp too for cgroup_skb); only lwt_xmit writes packets. */
static void test_l3_types(void **state)
{
	(void)state;
	const struct hive_insn mark[] = {MOV64_IMM(0, 0), ST_MEM(ISA_W, 1, SKB(mark), 3), EXIT()};
	const struct hive_insn tstamp[] = {MOV64_IMM(0, 0), ST_MEM(ISA_DW, 1, SKB(tstamp), 3), EXIT()};
	const struct hive_insn tc_index[] = {MOV64_IMM(0, 0), ST_MEM(ISA_W, 1, SKB(tc_index), 3), EXIT()};
	const struct hive_insn pkt[] = {
		LDX_MEM(ISA_W, 2, 1, SKB(data)), LDX_MEM(ISA_W, 0, 1, SKB(len)), ST_MEM(ISA_B, 2, 0, 0x46), EXIT(),
	};
	const struct {
		enum hive_prog_type t;
		const struct hive_insn *p;
		size_t n;
		int err;
	} cases[] = {
		{HIVE_PROG_CGROUP_SKB, mark, ARRAY_LEN(mark), 0},
		{HIVE_PROG_CGROUP_SKB, tstamp, ARRAY_LEN(tstamp), 0},
		{HIVE_PROG_CGROUP_SKB, tc_index, ARRAY_LEN(tc_index), -EFAULT},
		{HIVE_PROG_CGROUP_SKB, pkt, ARRAY_LEN(pkt), -EFAULT},
		{HIVE_PROG_LWT_IN, mark, ARRAY_LEN(mark), 0},
		{HIVE_PROG_LWT_IN, tstamp, ARRAY_LEN(tstamp), -EFAULT},
		{HIVE_PROG_LWT_OUT, pkt, ARRAY_LEN(pkt), -EFAULT},
		{HIVE_PROG_LWT_XMIT, pkt, ARRAY_LEN(pkt), 0},
	};
	uint8_t in[60], out[60];
	ht_frame(in);
	for (size_t c = 0; c < ARRAY_LEN(cases); c++)
		for (size_t w = 0; w < HT_NCHECKED; w++) {
			HIVE_OPTS(hive_test_run_opts, o, .prog_type = cases[c].t, .data_in = in, .data_size_in = 60,
				  .data_out = out, .data_size_out = sizeof out);
			int err = ht_run(cases[c].p, cases[c].n, &ht_ways[w], &o);
			if (err != cases[c].err)
				fail_msg("case %zu (%s): %d (%s), not %d", c, ht_ways[w].name, err, o.errmsg, cases[c].err);
			if (!err && cases[c].p == pkt) {
				assert_int_equal(o.retval, 46);
				assert_int_equal(out[14], 0x46); /* the IP header's first byte */
				assert_int_equal(out[0] | out[13], 0); /* header back, zeroed */
			}
		}
}

/* LD_ABS/LD_IND read skb->data: the frame for tc, the network header on
 * for socket filters; past the end the program ends with 0. Socket
 * filters get the header back zeroed in data_out, as from the kernel. */
static void test_ld_abs(void **state)
{
	(void)state;
	const struct hive_insn prog[] = {
		MOV64_REG(6, 1),
		LD_ABS(ISA_B, 9),        /* sock: IP protocol; tc: a MAC byte */
		MOV64_REG(7, 0),
		MOV64_IMM(8, 20),
		LD_IND(ISA_H, 8, 2),     /* sock: UDP dport; tc: IP checksum... */
		ALU64_IMM(ISA_LSH, 7, 16),
		ALU64_REG(ISA_OR, 0, 7),
		EXIT(),
	};
	const struct hive_insn past[] = {
		MOV64_REG(6, 1),
		MOV64_IMM(0, 5),
		LD_ABS(ISA_W, 44),       /* sock: 46 bytes: 44..47 is past */
		ALU64_IMM(ISA_ADD, 0, 1000),
		EXIT(),
	};
	uint8_t in[60], out[64];
	ht_frame(in);
	for (size_t w = 0; w < HT_NWAYS; w++) {
		HIVE_OPTS(hive_test_run_opts, s, .prog_type = HIVE_PROG_SOCKET_FILTER, .data_in = in,
			  .data_size_in = 60, .data_out = out, .data_size_out = sizeof out);
		assert_int_equal(ht_run(prog, ARRAY_LEN(prog), &ht_ways[w], &s), 0);
		assert_int_equal(s.retval, 17u << 16 | 53);
		assert_int_equal(s.data_size_out, 60);
		static const uint8_t zero[14];
		assert_memory_equal(out, zero, 14);
		assert_memory_equal(out + 14, in + 14, 46);
		HIVE_OPTS(hive_test_run_opts, t, .prog_type = HIVE_PROG_SCHED_CLS, .data_in = in, .data_size_in = 60,
			  .data_out = out, .data_size_out = sizeof out);
		assert_int_equal(ht_run(prog, ARRAY_LEN(prog), &ht_ways[w], &t), 0);
		assert_int_equal(t.retval, (uint32_t)in[9] << 16 | (uint32_t)(in[22] << 8 | in[23]));
		assert_memory_equal(out, in, 60);
		HIVE_OPTS(hive_test_run_opts, p, .prog_type = HIVE_PROG_SOCKET_FILTER, .data_in = in,
			  .data_size_in = 60);
		assert_int_equal(ht_run(past, ARRAY_LEN(past), &ht_ways[w], &p), 0);
		assert_int_equal(p.retval, 0);
		p.prog_type = HIVE_PROG_SCHED_CLS; /* 60 bytes: 44..47 is in */
		assert_int_equal(ht_run(past, ARRAY_LEN(past), &ht_ways[w], &p), 0);
		assert_int_equal(p.retval, 1000 + (uint32_t)(in[44] << 24 | in[45] << 16 | in[46] << 8 | in[47]));
	}
}

/* NAT: store a new destination address, then fix the IP checksum (l3, 4
 * bytes) and the UDP checksum (l4 with the pseudo header); both must
 * verify afterwards. Then l3 with 2-byte values, by diff, MANGLED_0. */
static void test_store_and_csum(void **state)
{
	(void)state;
	const uint32_t new_daddr = 0x0100000a; /* 10.0.0.1 in memory order */
	const struct hive_insn nat[] = {
		MOV64_REG(6, 1),
		LDX_MEM(ISA_W, 7, 6, SKB(data)),
		LDX_MEM(ISA_W, 7, 7, 30),            /* old daddr */
		MOV64_REG(1, 6), MOV64_IMM(2, 40), MOV64_REG(3, 7), MOV64_IMM(4, (int32_t)new_daddr),
		MOV64_IMM(5, BPF_F_PSEUDO_HDR | 4 | BPF_F_MARK_MANGLED_0),
		CALL_HELPER(BPF_FUNC_l4_csum_replace),
		MOV64_REG(8, 0),
		MOV64_REG(1, 6), MOV64_IMM(2, 24), MOV64_REG(3, 7), MOV64_IMM(4, (int32_t)new_daddr), MOV64_IMM(5, 4),
		CALL_HELPER(BPF_FUNC_l3_csum_replace),
		ALU64_REG(ISA_OR, 8, 0),
		ST_MEM(ISA_W, 10, -8, (int32_t)new_daddr),
		MOV64_REG(1, 6), MOV64_IMM(2, 30), MOV64_REG(3, 10), ALU64_IMM(ISA_ADD, 3, -8), MOV64_IMM(4, 4),
		MOV64_IMM(5, 0),
		CALL_HELPER(BPF_FUNC_skb_store_bytes),
		ALU64_REG(ISA_OR, 0, 8),
		EXIT(),
	};
	uint8_t in[60], out[60];
	ht_frame(in);
	assert_int_equal(ht_sum(in, 14, 34, 0), 0xffff);
	for (size_t w = 0; w < HT_NWAYS; w++) {
		HIVE_OPTS(hive_test_run_opts, o, .prog_type = HIVE_PROG_SCHED_CLS, .data_in = in, .data_size_in = 60,
			  .data_out = out, .data_size_out = sizeof out);
		assert_int_equal(ht_run(nat, ARRAY_LEN(nat), &ht_ways[w], &o), 0);
		assert_int_equal(o.retval, 0);
		assert_memory_equal(out + 30, &new_daddr, 4);
		assert_int_equal(ht_sum(out, 14, 34, 0), 0xffff);
		uint32_t udp = (uint32_t)ht_sum(out, 26, 34, 17 + 26) + ht_sum(out, 34, 60, 0);
		while (udp >> 16)
			udp = (udp & 0xffff) + (udp >> 16);
		assert_int_equal(udp, 0xffff);
	}
	/* 2-byte replace of the TTL/protocol word and a by-diff update cancel out */
	const struct hive_insn two[] = {
		MOV64_REG(6, 1),
		MOV64_IMM(2, 24), MOV64_IMM(3, 0x1140), MOV64_IMM(4, 0x1120), MOV64_IMM(5, 2),
		CALL_HELPER(BPF_FUNC_l3_csum_replace),
		MOV64_REG(7, 0),
		MOV64_REG(1, 6), MOV64_IMM(2, 24), MOV64_IMM(3, 1), MOV64_IMM(4, 0), MOV64_IMM(5, 0),
		CALL_HELPER(BPF_FUNC_l3_csum_replace), /* from must be 0 by diff: -EINVAL */
		ALU64_IMM(ISA_LSH, 0, 8),
		ALU64_REG(ISA_OR, 0, 7),
		EXIT(),
	};
	for (size_t w = 0; w < HT_NWAYS; w++) {
		HIVE_OPTS(hive_test_run_opts, o, .prog_type = HIVE_PROG_SCHED_CLS, .data_in = in, .data_size_in = 60,
			  .data_out = out, .data_size_out = sizeof out);
		assert_int_equal(ht_run(two, ARRAY_LEN(two), &ht_ways[w], &o), 0);
		assert_int_equal((int32_t)o.retval, (int32_t)((uint32_t)-EINVAL << 8));
		out[22] = 0x20; /* the TTL the checksum now describes */
		assert_int_equal(ht_sum(out, 14, 34, 0), 0xffff);
	}
	/* MANGLED_0 leaves a zero UDP checksum alone; helper refusals */
	uint8_t z[60];
	memcpy(z, in, 60);
	z[40] = z[41] = 0;
	static const struct {
		int helper, off;
		int flags;
		int64_t ret;
	} calls[] = {
		{BPF_FUNC_l4_csum_replace, 40, BPF_F_MARK_MANGLED_0 | 4, 0},
		{BPF_FUNC_l4_csum_replace, 41, 4, -EFAULT},   /* odd */
		{BPF_FUNC_l4_csum_replace, 60, 4, -EFAULT},   /* past the packet */
		{BPF_FUNC_l4_csum_replace, 40, 3, -EINVAL},   /* field size */
		{BPF_FUNC_l4_csum_replace, 40, 1 << 9, -EINVAL},
		{BPF_FUNC_l3_csum_replace, 24, BPF_F_PSEUDO_HDR | 4, -EINVAL},
		{BPF_FUNC_l3_csum_replace, 0x10000, 4, -EFAULT},
		{BPF_FUNC_skb_store_bytes, 56, 0, 0},
		{BPF_FUNC_skb_store_bytes, 57, 0, -EFAULT},   /* 4 bytes past the end */
		{BPF_FUNC_skb_store_bytes, 0, 4, -EINVAL},    /* unknown flag */
		{BPF_FUNC_skb_load_bytes, 56, 0, 0},
		{BPF_FUNC_skb_load_bytes, 57, 0, -EFAULT},
		{BPF_FUNC_skb_load_bytes, -1, 0, -EFAULT},    /* > INT_MAX */
	};
	for (size_t c = 0; c < ARRAY_LEN(calls); c++) {
		bool bytes = calls[c].helper == BPF_FUNC_skb_store_bytes || calls[c].helper == BPF_FUNC_skb_load_bytes;
		const struct hive_insn p[] = {
			ST_MEM(ISA_W, 10, -8, 0x01020304),
			MOV64_IMM(2, calls[c].off),
			MOV64_IMM(3, 0x1234),
			bytes ? MOV64_REG(3, 10) : MOV64_IMM(3, 0x1234),
			bytes ? ALU64_IMM(ISA_ADD, 3, -8) : MOV64_IMM(4, 0x4321),
			bytes ? MOV64_IMM(4, 4) : MOV64_IMM(4, 0x4321),
			MOV64_IMM(5, calls[c].flags),
			CALL_HELPER(calls[c].helper),
			EXIT(),
		};
		for (size_t w = 0; w < HT_NWAYS; w++) {
			HIVE_OPTS(hive_test_run_opts, o, .prog_type = HIVE_PROG_SCHED_CLS, .data_in = z, .data_size_in = 60,
				  .data_out = out, .data_size_out = sizeof out);
			assert_int_equal(ht_run(p, ARRAY_LEN(p), &ht_ways[w], &o), 0);
			if ((int32_t)o.retval != calls[c].ret)
				fail_msg("call %zu (%s): %d, not %d", c, ht_ways[w].name, (int32_t)o.retval, (int)calls[c].ret);
			if (c == 0)
				assert_int_equal(out[40] | out[41], 0);
		}
	}
}

/* Helpers check their pointers in checked runs: a load_bytes target that
 * is not the program's, r1 not the context. */
static void test_helper_pointers(void **state)
{
	(void)state;
	const struct hive_insn wild[] = {
		MOV64_IMM(2, 0), LD_IMM64(3, 0x1000), MOV64_IMM(4, 4),
		CALL_HELPER(BPF_FUNC_skb_load_bytes), EXIT(),
	};
	const struct hive_insn not_ctx[] = {
		MOV64_REG(1, 10), MOV64_IMM(2, 0), MOV64_IMM(3, 0), MOV64_IMM(4, 0), MOV64_IMM(5, 4),
		CALL_HELPER(BPF_FUNC_l3_csum_replace), EXIT(),
	};
	uint8_t in[60];
	ht_frame(in);
	for (size_t w = 0; w < HT_NCHECKED; w++) {
		HIVE_OPTS(hive_test_run_opts, o, .prog_type = HIVE_PROG_SCHED_CLS, .data_in = in, .data_size_in = 60);
		assert_int_equal(ht_run(wild, ARRAY_LEN(wild), &ht_ways[w], &o), -EFAULT);
		assert_int_equal(o.fault_pc, 4);
		assert_non_null(strstr(o.errmsg, "skb_load_bytes"));
		assert_int_equal(ht_run(not_ctx, ARRAY_LEN(not_ctx), &ht_ways[w], &o), -EINVAL);
		assert_non_null(strstr(o.errmsg, "l3_csum_replace: r1"));
		o.prog_type = HIVE_PROG_XDP; /* an skb helper in an XDP run */
		const struct hive_insn in_xdp[] = {
			MOV64_IMM(2, 0), MOV64_IMM(3, 0), MOV64_IMM(4, 0), MOV64_IMM(5, 4),
			CALL_HELPER(BPF_FUNC_l3_csum_replace), EXIT(),
		};
		assert_int_equal(ht_run(in_xdp, ARRAY_LEN(in_xdp), &ht_ways[w], &o), -EINVAL);
	}
}

/* __sk_buff given in: the fields the kernel takes, and its refusals. */
static void test_skb_refusals(void **state)
{
	(void)state;
	const struct hive_insn prog[] = {
		LDX_MEM(ISA_W, 0, 1, SKB(mark)), LDX_MEM(ISA_W, 2, 1, SKB(wire_len)), ALU64_IMM(ISA_LSH, 2, 16),
		ALU64_REG(ISA_OR, 0, 2), EXIT(),
	};
	struct hive_prog *p = ht_load(prog, ARRAY_LEN(prog), &ht_ways[0]);
	assert_non_null(p);
	static uint8_t in[4096];
	ht_frame(in);
	struct __sk_buff good = {.mark = 5, .wire_len = 100, .cb = {1}, .ifindex = 1}, out;
	HIVE_OPTS(hive_test_run_opts, o, .prog_type = HIVE_PROG_SCHED_CLS, .data_in = in, .data_size_in = 60,
		  .ctx_in = &good, .ctx_size_in = sizeof good, .ctx_out = &out, .ctx_size_out = sizeof out);
	assert_int_equal(hive_prog_test_run(p, &o), 0);
	assert_int_equal(o.retval, 5 | 100 << 16);
	assert_int_equal(out.cb[0], 1);
	struct {
		struct __sk_buff ctx;
		uint32_t size;
		int err;
		const char *msg;
	} cases[] = {
		{{.len = 1}, 60, -EINVAL, "byte 0"},
		{{.tc_index = 1}, 60, -EINVAL, "byte 44"},
		{{.napi_id = 1}, 60, -EINVAL, "byte 84"},
		{{.wire_len = 59}, 60, -EINVAL, "wire_len"},
		{{.wire_len = 65537}, 60, -EINVAL, "wire_len"},
		{{.gso_segs = 65536}, 60, -EINVAL, "gso_segs"},
		{{.ifindex = 2}, 60, -ENODEV, "no such device"},
		{{0}, 13, -EINVAL, "data_size_in 13"},
		{{0}, 3713, -EINVAL, "data_size_in 3713"},
		{{0}, 33, -EINVAL, "IPv4"},
	};
	for (size_t c = 0; c < ARRAY_LEN(cases); c++) {
		HIVE_OPTS(hive_test_run_opts, b, .prog_type = HIVE_PROG_SCHED_CLS, .data_in = in,
			  .data_size_in = cases[c].size, .ctx_in = &cases[c].ctx, .ctx_size_in = sizeof cases[c].ctx);
		assert_int_equal(hive_prog_test_run(p, &b), cases[c].err);
		if (!strstr(b.errmsg, cases[c].msg))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", c, b.errmsg, cases[c].msg);
	}
	in[12] = 0x86, in[13] = 0xdd; /* IPv6 needs 40 bytes of header */
	HIVE_OPTS(hive_test_run_opts, v6, .prog_type = HIVE_PROG_SOCKET_FILTER, .data_in = in, .data_size_in = 53);
	assert_int_equal(hive_prog_test_run(p, &v6), -EINVAL);
	v6.data_size_in = 54;
	assert_int_equal(hive_prog_test_run(p, &v6), 0);
	HIVE_OPTS(hive_test_run_opts, fl, .prog_type = HIVE_PROG_SCHED_CLS, .data_in = in, .data_size_in = 60,
		  .flags = 1);
	assert_int_equal(hive_prog_test_run(p, &fl), -EINVAL);
	hive_prog_free(p);
}

/* raw_tracepoint: u64 arguments, read-only, and the kernel's refusals. */
static void test_raw_tp(void **state)
{
	(void)state;
	const struct hive_insn prog[] = {
		LDX_MEM(ISA_DW, 0, 1, 0), LDX_MEM(ISA_DW, 2, 1, 8), ALU64_REG(ISA_SUB, 0, 2), EXIT(),
	};
	const struct hive_insn write[] = {MOV64_IMM(0, 0), ST_MEM(ISA_DW, 1, 0, 1), EXIT()};
	const struct hive_insn past[] = {LDX_MEM(ISA_DW, 0, 1, 16), EXIT()};
	uint64_t args[13] = {100, 58};
	uint8_t data[60];
	ht_frame(data);
	for (size_t w = 0; w < HT_NWAYS; w++) {
		HIVE_OPTS(hive_test_run_opts, o, .prog_type = HIVE_PROG_RAW_TRACEPOINT, .ctx_in = args,
			  .ctx_size_in = 16);
		assert_int_equal(ht_run(prog, ARRAY_LEN(prog), &ht_ways[w], &o), 0);
		assert_int_equal(o.retval, 42);
		if (w < HT_NCHECKED) {
			assert_int_equal(ht_run(write, ARRAY_LEN(write), &ht_ways[w], &o), -EFAULT);
			assert_int_equal(ht_run(past, ARRAY_LEN(past), &ht_ways[w], &o), -EFAULT);
		}
	}
	struct hive_prog *p = ht_load(prog, ARRAY_LEN(prog), &ht_ways[0]);
	assert_non_null(p);
	HIVE_OPTS(hive_test_run_opts, a, .prog_type = HIVE_PROG_RAW_TRACEPOINT, .ctx_in = args, .ctx_size_in = 104);
	assert_int_equal(hive_prog_test_run(p, &a), -EINVAL);
	HIVE_OPTS(hive_test_run_opts, b, .prog_type = HIVE_PROG_RAW_TRACEPOINT, .ctx_in = args, .ctx_size_in = 16,
		  .data_in = data, .data_size_in = 60);
	assert_int_equal(hive_prog_test_run(p, &b), -EINVAL);
	HIVE_OPTS(hive_test_run_opts, c, .prog_type = HIVE_PROG_RAW_TRACEPOINT, .ctx_in = args, .ctx_size_in = 16,
		  .repeat = 2);
	assert_int_equal(hive_prog_test_run(p, &c), -EINVAL);
	HIVE_OPTS(hive_test_run_opts, d, .prog_type = HIVE_PROG_RAW_TRACEPOINT, .ctx_size_in = 16);
	assert_int_equal(hive_prog_test_run(p, &d), -EFAULT);
	hive_prog_free(p);
}

/* syscall: the context is plain memory, written back into ctx_in. */
static void test_syscall(void **state)
{
	(void)state;
	const struct hive_insn prog[] = {
		LDX_MEM(ISA_W, 0, 1, 0), LDX_MEM(ISA_W, 2, 1, 4), ALU64_REG(ISA_MUL, 2, 0),
		STX_MEM(ISA_W, 1, 2, 8), EXIT(),
	};
	for (size_t w = 0; w < HT_NWAYS; w++) {
		uint32_t ctx[3] = {6, 7, 0};
		HIVE_OPTS(hive_test_run_opts, o, .prog_type = HIVE_PROG_SYSCALL, .ctx_in = ctx, .ctx_size_in = 12);
		assert_int_equal(ht_run(prog, ARRAY_LEN(prog), &ht_ways[w], &o), 0);
		assert_int_equal(o.retval, 6);
		assert_int_equal(ctx[2], 42);
	}
	struct hive_prog *p = ht_load(prog, ARRAY_LEN(prog), &ht_ways[0]);
	assert_non_null(p);
	static uint8_t big[65536];
	uint32_t ctx[3], out[3];
	HIVE_OPTS(hive_test_run_opts, a, .prog_type = HIVE_PROG_SYSCALL, .ctx_in = big, .ctx_size_in = 65536);
	assert_int_equal(hive_prog_test_run(p, &a), -EINVAL);
	HIVE_OPTS(hive_test_run_opts, b, .prog_type = HIVE_PROG_SYSCALL, .ctx_in = ctx, .ctx_size_in = 12,
		  .ctx_out = out, .ctx_size_out = 12);
	assert_int_equal(hive_prog_test_run(p, &b), -EINVAL);
	HIVE_OPTS(hive_test_run_opts, c, .prog_type = HIVE_PROG_SYSCALL, .ctx_in = ctx, .ctx_size_in = 12, .flags = 1);
	assert_int_equal(hive_prog_test_run(p, &c), -EINVAL);
	HIVE_OPTS(hive_test_run_opts, d, .prog_type = HIVE_PROG_SYSCALL, .ctx_in = ctx, .ctx_size_in = 4);
	assert_int_equal(hive_prog_test_run(p, &d), -EFAULT); /* reads past a short context */
	hive_prog_free(p);
}

/* The API's own refusals. */
static void test_api_refusals(void **state)
{
	(void)state;
	const struct hive_insn prog[] = {MOV64_IMM(0, 1), EXIT()};
	struct hive_prog *p = ht_load(prog, ARRAY_LEN(prog), &ht_ways[0]);
	assert_non_null(p);
	uint8_t in[60];
	ht_frame(in);
	HIVE_OPTS(hive_test_run_opts, o, .prog_type = HIVE_PROG_SCHED_CLS, .data_in = in, .data_size_in = 60);
	assert_int_equal(hive_prog_test_run(NULL, &o), -EINVAL);
	assert_int_equal(hive_prog_test_run(p, NULL), -EINVAL);
	o.sz = sizeof(size_t);
	assert_int_equal(hive_prog_test_run(p, &o), -EINVAL);
	o.sz = sizeof o;
	o.prog_type = HIVE_PROG_UNSPEC;
	assert_int_equal(hive_prog_test_run(p, &o), -EINVAL);
	o.prog_type = HIVE_PROG_CGROUP_SOCK;
	assert_int_equal(hive_prog_test_run(p, &o), -EOPNOTSUPP);
	assert_non_null(strstr(o.errmsg, "type 9"));
	o.prog_type = HIVE_PROG_SCHED_CLS;
	o.data_in = NULL;
	assert_int_equal(hive_prog_test_run(p, &o), -EFAULT);
	o.data_in = in;
	o.use_jit = true; /* not JIT-compiled */
	assert_int_equal(hive_prog_test_run(p, &o), -ENOEXEC);
	o.use_jit = false;
	o.repeat = 1000;
	assert_int_equal(hive_prog_test_run(p, &o), 0);
	assert_int_equal(o.retval, 1);
	assert_true(o.duration < 1000000);
	assert_int_equal(hive_hook_helpers_install(NULL), -EINVAL);
	assert_int_equal(hive_program_test_run(NULL, &o), -EINVAL);
	hive_prog_free(p);
}

/* Out of memory (STYLE.md 8): allocation N fails, once and from N on, for
 * N = 1, 2, ... until the test run completes; each failure is -ENOMEM and
 * leaks nothing (ASan). */
/* Reshaping helpers without the kernel (test_testrun_kernel compares them
 * with it): a packet grown past its page, a VLAN tag pushed into the
 * packet and popped again, encapsulation refused twice, the LD_ABS view
 * following the packet, and a socket filter stopped when it reshapes. */
static void test_reshape(void **state)
{
	(void)state;
	uint8_t in[60], out[8192];
	ht_frame(in);
	/* r0 = change_tail(skb, 5000, 0) << 32 | skb->len; byte 4999 of data_out is 0 */
	const struct hive_insn tail[] = {
		MOV64_REG(6, 1), MOV64_IMM(2, 5000), MOV64_IMM(3, 0), CALL_HELPER(BPF_FUNC_skb_change_tail),
		LDX_MEM(ISA_W, 2, 6, SKB(len)), ALU64_IMM(ISA_LSH, 0, 32), ALU64_REG(ISA_OR, 0, 2),
		LD_ABS(ISA_B, 4999), /* LD_ABS reads the grown packet (r0 clobbered: 0) */
		LDX_MEM(ISA_W, 0, 6, SKB(len)), EXIT(),
	};
	/* push two tags (the first goes into the packet), pop one: r0 = vlan_tci << 16 | len */
	const struct hive_insn vlan[] = {
		MOV64_REG(6, 1), MOV64_IMM(2, 0x0081), MOV64_IMM(3, 7), CALL_HELPER(BPF_FUNC_skb_vlan_push),
		MOV64_REG(1, 6), MOV64_IMM(2, 0xa888), MOV64_IMM(3, 9), CALL_HELPER(BPF_FUNC_skb_vlan_push),
		MOV64_REG(1, 6), CALL_HELPER(BPF_FUNC_skb_vlan_pop),
		LDX_MEM(ISA_W, 0, 6, SKB(vlan_tci)), ALU64_IMM(ISA_LSH, 0, 16),
		LDX_MEM(ISA_W, 2, 6, SKB(len)), ALU64_REG(ISA_OR, 0, 2), EXIT(),
	};
	/* adjust_room(+20, MAC, ENCAP_L3_IPV4) twice: r0 = first | second << 16 */
	const struct hive_insn room[] = {
		MOV64_REG(6, 1), MOV64_IMM(2, 20), MOV64_IMM(3, BPF_ADJ_ROOM_MAC), MOV64_IMM(4, BPF_F_ADJ_ROOM_ENCAP_L3_IPV4),
		CALL_HELPER(BPF_FUNC_skb_adjust_room), MOV64_REG(7, 0),
		MOV64_REG(1, 6), MOV64_IMM(2, 20), MOV64_IMM(3, BPF_ADJ_ROOM_MAC), MOV64_IMM(4, BPF_F_ADJ_ROOM_ENCAP_L3_IPV4),
		CALL_HELPER(BPF_FUNC_skb_adjust_room), ALU64_IMM(ISA_AND, 0, 0xffff), ALU64_IMM(ISA_LSH, 0, 16),
		ALU64_REG(ISA_OR, 0, 7), EXIT(),
	};
	for (size_t w = 0; w < HT_NWAYS; w++) {
		HIVE_OPTS(hive_test_run_opts, o, .prog_type = HIVE_PROG_SCHED_CLS, .data_in = in, .data_size_in = 60,
			  .data_out = out, .data_size_out = sizeof out);
		memset(out, 0xaa, sizeof out);
		assert_int_equal(ht_run(tail, ARRAY_LEN(tail), &ht_ways[w], &o), 0);
		assert_int_equal(o.retval, 5000);
		assert_int_equal(o.data_size_out, 5000);
		assert_memory_equal(out, in, 60);
		assert_int_equal(out[4999], 0);

		HIVE_OPTS(hive_test_run_opts, v, .prog_type = HIVE_PROG_SCHED_CLS, .data_in = in, .data_size_in = 60,
			  .data_out = out, .data_size_out = sizeof out);
		assert_int_equal(ht_run(vlan, ARRAY_LEN(vlan), &ht_ways[w], &v), 0);
		/* the second push put the 802.1Q tag (TCI 7) into the packet; the
		 * pop dropped the skb's 802.1ad tag (TCI 9) and, as the kernel's
		 * skb_vlan_pop does, moved the packet's tag back into the skb */
		assert_int_equal(v.retval, 7u << 16 | 60);
		assert_int_equal(v.data_size_out, 60);
		assert_memory_equal(out, in, 60);

		HIVE_OPTS(hive_test_run_opts, r, .prog_type = HIVE_PROG_SCHED_CLS, .data_in = in, .data_size_in = 60,
			  .data_out = out, .data_size_out = sizeof out);
		assert_int_equal(ht_run(room, ARRAY_LEN(room), &ht_ways[w], &r), 0);
		assert_int_equal(r.retval, (uint32_t)(-EALREADY & 0xffff) << 16);
		assert_int_equal(r.data_size_out, 80);
		assert_memory_equal(out, in, 14);       /* the MAC header stays in front */
		assert_memory_equal(out + 34, in + 14, 46); /* 20 zeroed bytes before the old IP header */
		for (int i = 14; i < 34; i++)
			assert_int_equal(out[i], 0);
	}
	/* a socket filter may read but not reshape: the run stops, naming the helper */
	const struct hive_insn sock[] = {MOV64_IMM(2, 100), MOV64_IMM(3, 0), CALL_HELPER(BPF_FUNC_skb_change_tail), EXIT()};
	HIVE_OPTS(hive_test_run_opts, o, .prog_type = HIVE_PROG_SOCKET_FILTER, .data_in = in, .data_size_in = 60);
	assert_int_equal(ht_run(sock, ARRAY_LEN(sock), &ht_ways[0], &o), -EINVAL);
	assert_non_null(strstr(o.errmsg, "skb_change_tail"));
}

static void test_oom(void **state)
{
	(void)state;
	const struct hive_insn prog[] = {MOV64_IMM(0, 1), EXIT()};
	struct hive_prog *p = ht_load(prog, ARRAY_LEN(prog), &ht_ways[0]);
	assert_non_null(p);
	uint8_t in[60];
	uint32_t ctx[3] = {1, 2, 3};
	ht_frame(in);
	const enum hive_prog_type types[] = {HIVE_PROG_XDP, HIVE_PROG_SCHED_CLS, HIVE_PROG_SYSCALL};
	for (size_t t = 0; t < ARRAY_LEN(types); t++)
		for (int sticky = 0; sticky < 2; sticky++)
			for (unsigned long n = 1;; n++) {
				bool sys = types[t] == HIVE_PROG_SYSCALL;
				HIVE_OPTS(hive_test_run_opts, o, .prog_type = types[t], .data_in = sys ? NULL : in,
					  .data_size_in = sys ? 0 : 60, .ctx_in = sys ? ctx : NULL,
					  .ctx_size_in = sys ? sizeof ctx : 0);
				hook_test_fail_alloc(n, sticky);
				int err = hive_prog_test_run(p, &o);
				unsigned long used = hook_test_fail_alloc(0, false);
				if (n > used) {
					assert_int_equal(err, 0);
					assert_int_equal(o.retval, 1);
					break;
				}
				assert_int_equal(err, -ENOMEM);
				assert_non_null(strstr(o.errmsg, "no "));
			}
	hive_prog_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_ctx_writes),
		cmocka_unit_test(test_l3_types),
		cmocka_unit_test(test_ld_abs),
		cmocka_unit_test(test_store_and_csum),
		cmocka_unit_test(test_helper_pointers),
		cmocka_unit_test(test_skb_refusals),
		cmocka_unit_test(test_raw_tp),
		cmocka_unit_test(test_syscall),
		cmocka_unit_test(test_api_refusals),
		cmocka_unit_test(test_reshape),
		cmocka_unit_test(test_oom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
