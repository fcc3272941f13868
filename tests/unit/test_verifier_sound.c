/* Soundness mode (src/verifier/sound.h): every program of the project the
 * verifier accepts runs, on many inputs, in the interpreter instance that
 * checks at each instruction that the concrete registers lie in the states
 * the verifier explored there and that each access stays in its object.
 * 0 violations, 0 faults.  Also: the mode does catch a state that is wrong. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conformance.h"
#include "loader_corpus.h"
#include "../verifier/cases.h"
#include "../verifier/cases_rules.h"
#include "../verifier/gen_stack.h"
#include "../verifier/gen_kernel.h"
#include "verifier/sound.h"

static struct hive_env *henv;
static struct hive_map *vmaps_live[3]; /* as cases.h's 100, 101, 102, at indexes 0, 1, 2 */
static unsigned n_progs, n_runs, n_refused, n_bad;
static uint64_t n_checks;

static int setup(void **state)
{
	(void)state;
	if (hive_env_new(&henv) || hive_helpers_install(henv, NULL) || hive_hook_helpers_install(henv))
		return -1;
	if (hive_map_create(HIVE_MAP_HASH, "h", 4, 8, 16, 0, &vmaps_live[0]) ||
	    hive_map_create(HIVE_MAP_ARRAY, "a", 4, 48, 1, 0, &vmaps_live[1]) ||
	    hive_map_create(HIVE_MAP_RINGBUF, "r", 0, 0, 4096, 0, &vmaps_live[2]))
		return -1;
	uint32_t key = 0;
	uint64_t val = 3;
	uint8_t big[48];
	for (int i = 0; i < 48; i++)
		big[i] = (uint8_t)(i * 37);
	if (hive_map_update(vmaps_live[0], &key, &val, 0) || hive_map_update(vmaps_live[1], &key, big, 0))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	hive_env_free(henv);
	for (int i = 0; i < 3; i++)
		hive_map_free(vmaps_live[i]);
	printf("soundness: %u programs, %u runs, %llu register checks, %u refused runs, %u findings\n", n_progs,
	       n_runs, (unsigned long long)n_checks, n_refused, n_bad);
	return 0;
}

/* {===== inputs */

static uint64_t in_rng = 0x853c49e6748fea9bull;
static uint32_t in_rnd(void)
{
	in_rng ^= in_rng << 13;
	in_rng ^= in_rng >> 7;
	in_rng ^= in_rng << 17;
	return (uint32_t)in_rng;
}

/* Packet @k of a fixed set: Ethernet + IPv4/IPv6 + TCP/UDP headers of
 * varying sizes and contents, truncated ones, random bytes. */
static uint32_t make_packet(unsigned k, uint8_t *p, uint32_t cap, bool skb)
{
	static const uint32_t sizes[] = {14, 15, 20, 33, 34, 41, 42, 54, 60, 64, 74, 128, 300, 1500};
	uint32_t n = sizes[k % (sizeof sizes / sizeof sizes[0])];
	if (n > cap)
		n = cap;
	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint8_t)in_rnd();
	bool v6 = k % 5 == 3;
	if (skb && n < (v6 ? 54u : 34u)) {
		/* skb test runs refuse IP frames too short for the IP header */
		p[12] = 0x08;
		p[13] = 0x06; /* ARP */
		return n;
	}
	if (k % 5 == 4)
		return n; /* random bytes */
	p[12] = v6 ? 0x86 : 0x08;
	p[13] = v6 ? 0xdd : 0x00;
	if (n > 14)
		p[14] = v6 ? 0x60 : (uint8_t)(0x45 + (k % 3 == 2 ? 1 : 0));
	if (!v6 && n > 23)
		p[23] = k % 2 ? 6 : 17; /* protocol */
	if (v6 && n > 20)
		p[20] = k % 2 ? 6 : 17; /* next header */
	if (!v6 && n > 20) {
		p[20] = 0;
		p[21] = 0; /* not a fragment */
	}
	return n;
}

static bool is_packet_type(enum hive_prog_type t)
{
	return t == HIVE_PROG_XDP || t == HIVE_PROG_SCHED_CLS || t == HIVE_PROG_SCHED_ACT ||
	       t == HIVE_PROG_SOCKET_FILTER || t == HIVE_PROG_CGROUP_SKB || t == HIVE_PROG_LWT_IN ||
	       t == HIVE_PROG_LWT_OUT || t == HIVE_PROG_LWT_XMIT;
}

/* One run of @prog on input @k; 1 if it ran, 0 if the input was refused,
 * -1 on a finding (printed). */
static int run_once(const char *what, struct hive_prog *prog, struct sound_rec *rec, enum hive_prog_type type,
		    unsigned k)
{
	int err;
	char msg[200];
	uint32_t pc;
	if (is_packet_type(type)) {
		uint8_t pkt[1600], out[4096];
		bool skb = type != HIVE_PROG_XDP;
		uint32_t n = make_packet(k, pkt, sizeof pkt, skb);
		uint32_t cb[48] = {0};
		for (int i = 0; i < 5; i++)
			cb[12 + i] = in_rnd() % 4 ? in_rnd() % 64 : in_rnd(); /* __sk_buff.cb[] */
		cb[2] = in_rnd(); /* mark */
		HIVE_OPTS(hive_test_run_opts, o, .prog_type = type, .data_in = pkt, .data_size_in = n, .data_out = out,
			  .data_size_out = sizeof out, .ctx_in = skb ? cb : NULL, .ctx_size_in = skb ? sizeof cb : 0);
		err = hive_prog_test_run(prog, &o);
		if (err == -EINVAL || err == -EOPNOTSUPP) {
			if (getenv("SOUND_VERBOSE"))
				printf("  %s: input %u refused: %s\n", what, k, o.errmsg);
			n_refused++;
			return 0;
		}
		pc = o.fault_pc;
		snprintf(msg, sizeof msg, "%s", o.errmsg);
	} else {
		/* the context as plain memory (raw tracepoint args, pt_regs...) */
		uint64_t ctx[64];
		for (int i = 0; i < 64; i++)
			ctx[i] = k % 3 == 0 ? 0 : k % 3 == 1 ? in_rnd() % 256 : (uint64_t)in_rnd() << 32 | in_rnd();
		HIVE_OPTS(hive_run_opts, o, .mem = ctx, .mem_size = sizeof ctx);
		err = hive_prog_run(prog, &o);
		pc = o.fault_pc;
		snprintf(msg, sizeof msg, "%s", o.errmsg);
	}
	n_runs++;
	if (!err)
		return 1;
	n_bad++;
	print_error("%s: input %u: run failed (%d) at insn %u: %s\n  %s\n", what, k, err, pc, msg,
		    sound_last_violation(rec));
	return -1;
}

/* Verify @insns in soundness mode; when accepted, load and run them on
 * @nin inputs.  Returns findings (0), or -1 when refused by the verifier. */
static bool strict; /* the second pass: sound_verify_strict */

static int check_prog(const char *what, const struct hive_insn *insns, size_t cnt, enum hive_prog_type type,
		      const struct hive_verify_opts *vo, struct hive_prog *loaded, struct hive_map **maps,
		      size_t nmaps, unsigned nin)
{
	struct sound_rec *rec = NULL;
	int err = sound_verify(insns, cnt, vo, NULL, &rec);
	assert_non_null(rec);
	if (err) {
		sound_free(rec);
		return -1;
	}
	if (strict) {
		/* the same program, every live scalar's value checked */
		struct sound_rec *srec = NULL;
		if (sound_verify_strict(insns, cnt, vo, NULL, &srec) == 0) {
			sound_free(rec);
			rec = srec;
		} else {
			sound_free(srec);
		}
	}
	struct hive_prog *prog = loaded;
	if (!prog) {
		char log[256];
		HIVE_OPTS(hive_prog_opts, po, .env = henv, .maps = maps, .nmaps = nmaps, .log_buf = log,
			  .log_size = sizeof log);
		if (hive_prog_load(insns, cnt, &po, &prog)) {
			/* the VM does not run everything the verifier knows yet
			 * (bpf_loop callbacks): not a verifier finding */
			printf("  %s: verified but not loadable: %s\n", what, log);
			sound_free(rec);
			return 0;
		}
	}
	vm_prog_set_sound(prog, rec);
	n_progs++;
	int bad = 0;
	uint64_t before = sound_checks(rec);
	for (unsigned k = 0; k < nin; k++)
		if (run_once(what, prog, rec, type, k) < 0)
			bad++;
	n_checks += sound_checks(rec) - before;
	vm_prog_set_sound(prog, NULL);
	if (!loaded)
		hive_prog_free(prog);
	sound_free(rec);
	return bad;
}
/* }===== */

/* {===== the mode catches wrong states */

/* Verify @a, then run @b (same length) against @a's records. */
static int run_against_mode(const struct hive_insn *a, const struct hive_insn *b, size_t cnt, char *msg,
			    size_t size, bool strict_rec)
{
	struct sound_rec *rec;
	assert_int_equal((strict_rec ? sound_verify_strict : sound_verify)(a, cnt, NULL, NULL, &rec), 0);
	struct hive_prog *prog;
	assert_int_equal(hive_prog_load(b, cnt, NULL, &prog), 0);
	vm_prog_set_sound(prog, rec);
	uint8_t ctx[192] = {0};
	HIVE_OPTS(hive_run_opts, o, .mem = ctx, .mem_size = sizeof ctx);
	int err = hive_prog_run(prog, &o);
	snprintf(msg, size, "%s", sound_last_violation(rec));
	hive_prog_free(prog);
	sound_free(rec);
	return err;
}

static int run_against(const struct hive_insn *a, const struct hive_insn *b, size_t cnt, char *msg, size_t size)
{
	return run_against_mode(a, b, cnt, msg, size, false);
}

static int run_against_strict(const struct hive_insn *a, const struct hive_insn *b, size_t cnt, char *msg,
			      size_t size)
{
	return run_against_mode(a, b, cnt, msg, size, true);
}

static void test_detects_wrong_pointer(void **state)
{
	(void)state;
	struct hive_insn a[] = {MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -8), ST(ISA_DW, 2, 0, 0), MOV64_IMM(0, 0), EXIT};
	struct hive_insn b[] = {MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -16), ST(ISA_DW, 2, 0, 0), MOV64_IMM(0, 0), EXIT};
	char msg[800];
	assert_int_equal(run_against(a, a, 5, msg, sizeof msg), 0);
	assert_string_equal(msg, "");
	assert_int_equal(run_against(a, b, 5, msg, sizeof msg), -EFAULT);
	assert_non_null(strstr(msg, "soundness: insn 2 ("));
	assert_non_null(strstr(msg, "R2="));
	assert_non_null(strstr(msg, "fp(off=[-8,-8])"));
}

static void test_detects_wrong_scalar(void **state)
{
	(void)state;
	/* r1 = 4 is precise: it moves a stack pointer */
	struct hive_insn a[] = {MOV64_IMM(1, 4), MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -16), ALU64_REG(ISA_ADD, 2, 1),
				ST(ISA_W, 2, 0, 0), MOV64_IMM(0, 0), EXIT};
	struct hive_insn b[] = {MOV64_IMM(1, 8), MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -16), ALU64_REG(ISA_ADD, 2, 1),
				ST(ISA_W, 2, 0, 0), MOV64_IMM(0, 0), EXIT};
	char msg[800];
	/* normal pruning: scalars bind at prune points only (none here); the
	 * pointer it moved is off */
	assert_int_equal(run_against(a, b, 7, msg, sizeof msg), -EFAULT);
	assert_non_null(strstr(msg, "soundness: insn 4 ("));
	assert_non_null(strstr(msg, "(access base) not in {fp(off=[-12,-12])}"));
	assert_int_equal(run_against_strict(a, b, 7, msg, sizeof msg), -EFAULT);
	assert_non_null(strstr(msg, "soundness: insn 1 ("));
	assert_non_null(strstr(msg, "R1=0x8 not in {4}"));
}

/* At a prune point the run must lie in a state stored there, by the
 * precision marks that state ended verification with: r1 = 4 moves a stack
 * pointer below the jump's target, so back-tracking made it precise in the
 * state stored at insn 3; a run with r1 = 8 is caught there, before the
 * pointer moves.  r3 = 4 reaches no safety decision: any value passes. */
static void test_detects_wrong_precise_scalar(void **state)
{
	(void)state;
	struct hive_insn a[] = {MOV64_IMM(1, 4), MOV64_IMM(3, 4), JA(0), MOV64_REG(2, 10),
				ALU64_IMM(ISA_ADD, 2, -16), ALU64_REG(ISA_ADD, 2, 1), ALU64_REG(ISA_ADD, 3, 3),
				ST(ISA_W, 2, 0, 0), MOV64_IMM(0, 0), EXIT};
	struct hive_insn b[10], c[10];
	memcpy(b, a, sizeof a);
	memcpy(c, a, sizeof a);
	b[0].imm = 8;
	c[1].imm = 9;
	char msg[800];
	assert_int_equal(run_against(a, a, 10, msg, sizeof msg), 0);
	assert_int_equal(run_against(a, c, 10, msg, sizeof msg), 0);
	assert_string_equal(msg, "");
	assert_int_equal(run_against(a, b, 10, msg, sizeof msg), -EFAULT);
	assert_non_null(strstr(msg, "soundness: insn 3 ("));
	assert_non_null(strstr(msg, "no state stored here covers the run (1 stored)"));
	assert_non_null(strstr(msg, "R1=0x8 not in 4 (precise)"));
	/* strict: every live scalar, everywhere */
	assert_int_equal(run_against_strict(a, c, 10, msg, sizeof msg), -EFAULT);
	assert_non_null(strstr(msg, "soundness: insn 2 ("));
	assert_non_null(strstr(msg, "R3=0x9 not in {4}"));
}

static void test_detects_wrong_map_value(void **state)
{
	(void)state;
	struct hive_map *map;
	assert_int_equal(hive_map_create(HIVE_MAP_ARRAY, "a", 4, 48, 1, 0, &map), 0);
	struct hive_verify_map vm = {.fd = 0, .type = HIVE_MAP_ARRAY, .key_size = 4, .value_size = 48, .max_entries = 1};
	/* a reads the last 8 bytes; b's pointer is 8 bytes further: past the value */
	struct hive_insn a[] = {KEY_ON_STACK(0), CALL(FN_LOOKUP), JMP_IMM(ISA_JNE, 0, 0, 2), MOV64_IMM(0, 0), EXIT,
				ALU64_IMM(ISA_ADD, 0, 40), LDX(ISA_DW, 0, 0, 0), EXIT};
	struct hive_insn b[] = {KEY_ON_STACK(0), CALL(FN_LOOKUP), JMP_IMM(ISA_JNE, 0, 0, 2), MOV64_IMM(0, 0), EXIT,
				ALU64_IMM(ISA_ADD, 0, 48), LDX(ISA_DW, 0, 0, 0), EXIT};
	HIVE_OPTS(hive_verify_opts, vo, .maps = &vm, .nmaps = 1);
	struct sound_rec *rec;
	assert_int_equal(sound_verify(a, 12, &vo, NULL, &rec), 0);
	for (int k = 0; k < 2; k++) {
		struct hive_prog *prog;
		HIVE_OPTS(hive_prog_opts, po, .env = henv, .maps = &map, .nmaps = 1);
		assert_int_equal(hive_prog_load(k ? b : a, 12, &po, &prog), 0);
		vm_prog_set_sound(prog, rec);
		uint8_t ctx[64] = {0};
		uint64_t r0;
		int err = hive_prog_run_mem(prog, ctx, sizeof ctx, &r0);
		assert_int_equal(err, k ? -EFAULT : 0);
		if (k)
			assert_non_null(strstr(sound_last_violation(rec),
					       "soundness: insn 10 (r0 = *(u64 *)(r0 + 0)): R0=0x"));
		hive_prog_free(prog);
	}
	assert_non_null(strstr(sound_last_violation(rec), "(access base) not in {map_value(off=[40,40])}"));
	sound_free(rec);
	hive_map_free(map);
}

static void test_detects_wrong_spill(void **state)
{
	(void)state;
	/* fp-8 holds a spilled stack pointer: fp-16 for the verifier; b spills
	 * r2 = fp-24 instead (r2 is dead in a, so only the slot tells) */
	struct hive_insn a[] = {MOV64_REG(1, 10), ALU64_IMM(ISA_ADD, 1, -16), MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -24),
				STX(ISA_DW, 10, 1, -8), MOV64_IMM(0, 0), LDX(ISA_DW, 3, 10, -8), ST(ISA_DW, 3, 0, 0), EXIT};
	struct hive_insn b[] = {MOV64_REG(1, 10), ALU64_IMM(ISA_ADD, 1, -16), MOV64_REG(2, 10), ALU64_IMM(ISA_ADD, 2, -24),
				STX(ISA_DW, 10, 2, -8), MOV64_IMM(0, 0), LDX(ISA_DW, 3, 10, -8), ST(ISA_DW, 3, 0, 0), EXIT};
	char msg[800];
	assert_int_equal(run_against(a, a, 9, msg, sizeof msg), 0);
	assert_int_equal(run_against(a, b, 9, msg, sizeof msg), -EFAULT);
	assert_non_null(strstr(msg, "soundness: insn 5 (r0 = 0): fp-8=0x"));
	assert_non_null(strstr(msg, "not in {fp(off=[-16,-16])}"));
}

/* Paths that differ in one scalar meet at a prune point; below it the
 * scalar moves a stack pointer.  Back-tracking must make it precise in the
 * state stored there through an ALU source, a move, a fill and a spill, or
 * the other path is pruned and a run on it is caught where the pointer is
 * off (each of those rules broken in precision.c makes this test fail;
 * propagate_precision broken is caught by test_generated_kernel). */
static void test_precision_paths(void **state)
{
	(void)state;
	static const struct hive_insn alu[] = {
		LDX(ISA_DW, 6, 1, 0), MOV64_IMM(3, 0), JMP_IMM(ISA_JGT, 6, 10, 1), MOV64_IMM(3, 8),
		MOV64_IMM(2, 0), ALU64_REG(ISA_ADD, 2, 3), MOV64_REG(4, 10), ALU64_IMM(ISA_ADD, 4, -16),
		ALU64_REG(ISA_ADD, 4, 2), ST(ISA_DW, 4, 0, 0), MOV64_IMM(0, 0), EXIT};
	static const struct hive_insn mov[] = {
		LDX(ISA_DW, 6, 1, 0), MOV64_IMM(3, 8), JMP_IMM(ISA_JGT, 6, 10, 1), MOV64_IMM(3, 0),
		MOV64_REG(2, 3), MOV64_REG(4, 10), ALU64_IMM(ISA_ADD, 4, -16), ALU64_REG(ISA_ADD, 4, 2),
		ST(ISA_DW, 4, 0, 0), MOV64_IMM(0, 0), EXIT};
	static const struct hive_insn fill[] = {
		LDX(ISA_DW, 6, 1, 0), MOV64_IMM(3, 0), STX(ISA_DW, 10, 3, -24), JMP_IMM(ISA_JGT, 6, 10, 2),
		MOV64_IMM(3, 8), STX(ISA_DW, 10, 3, -24), MOV64_IMM(3, 0), LDX(ISA_DW, 2, 10, -24),
		MOV64_REG(4, 10), ALU64_IMM(ISA_ADD, 4, -32), ALU64_REG(ISA_ADD, 4, 2), ST(ISA_DW, 4, 0, 0),
		MOV64_IMM(0, 0), EXIT};
	static const struct hive_insn spill[] = {
		LDX(ISA_DW, 6, 1, 0), MOV64_IMM(3, 0), JMP_IMM(ISA_JGT, 6, 10, 1), MOV64_IMM(3, 8),
		STX(ISA_DW, 10, 3, -24), LDX(ISA_DW, 2, 10, -24), MOV64_REG(4, 10), ALU64_IMM(ISA_ADD, 4, -32),
		ALU64_REG(ISA_ADD, 4, 2), ST(ISA_DW, 4, 0, 0), MOV64_IMM(0, 0), EXIT};
	static const struct {
		const char *name;
		const struct hive_insn *p;
		size_t n;
	} progs[] = {{"alu", alu, sizeof alu / sizeof *alu},
		     {"mov", mov, sizeof mov / sizeof *mov},
		     {"fill", fill, sizeof fill / sizeof *fill},
		     {"spill", spill, sizeof spill / sizeof *spill}};
	for (size_t i = 0; i < sizeof progs / sizeof *progs; i++) {
		HIVE_OPTS(hive_verify_opts, o, .prog_type = HIVE_PROG_RAW_TRACEPOINT);
		/* inputs: ctx[0] 0, below 256, any (both sides of the jump) */
		assert_int_equal(check_prog(progs[i].name, progs[i].p, progs[i].n, HIVE_PROG_RAW_TRACEPOINT, &o, NULL,
					    NULL, 0, 6),
				 0);
	}
}

static void test_detects_unexplored_insn(void **state)
{
	(void)state;
	/* the verifier knows r0 == 0, so insn 2 is never explored */
	struct hive_insn a[] = {MOV64_IMM(0, 0), JMP_IMM(ISA_JEQ, 0, 0, 1), MOV64_IMM(0, 1), EXIT};
	struct hive_insn b[] = {MOV64_IMM(0, 1), JMP_IMM(ISA_JEQ, 0, 0, 1), MOV64_IMM(0, 1), EXIT};
	char msg[800];
	assert_int_equal(run_against(a, b, 4, msg, sizeof msg), -EFAULT);
	assert_non_null(strstr(msg, "insn 1"));
}

static void test_trusted_and_checked_unchanged(void **state)
{
	(void)state;
	/* a record only affects checked interpreter runs */
	struct hive_insn a[] = {MOV64_IMM(0, 0), JMP_IMM(ISA_JEQ, 0, 0, 1), MOV64_IMM(0, 1), EXIT};
	struct hive_insn b[] = {MOV64_IMM(0, 1), JMP_IMM(ISA_JEQ, 0, 0, 1), MOV64_IMM(0, 1), EXIT};
	struct sound_rec *rec;
	assert_int_equal(sound_verify(a, 4, NULL, NULL, &rec), 0);
	struct hive_prog *prog;
	HIVE_OPTS(hive_prog_opts, po, .mode = HIVE_EXEC_TRUSTED);
	assert_int_equal(hive_prog_load(b, 4, &po, &prog), 0);
	vm_prog_set_sound(prog, rec);
	uint64_t r0 = 7;
	assert_int_equal(hive_prog_run_mem(prog, NULL, 0, &r0), 0);
	assert_int_equal(r0, 1);
	hive_prog_free(prog);
	sound_free(rec);
}
static int set_strict(void **state)
{
	(void)state;
	strict = true;
	printf("strict: every live scalar's value checked\n");
	return 0;
}

/* r1 = 4 never reaches a safety decision: normal pruning would let any
 * value through, so only the strict variant (pruning by range) checks it. */
static void test_detects_imprecise_strict(void **state)
{
	(void)state;
	struct hive_insn a[] = {MOV64_IMM(1, 4), ALU64_IMM(ISA_ADD, 1, 1), MOV64_IMM(0, 0), EXIT};
	struct hive_insn b[] = {MOV64_IMM(1, 5), ALU64_IMM(ISA_ADD, 1, 1), MOV64_IMM(0, 0), EXIT};
	for (int st = 0; st < 2; st++) {
		struct sound_rec *rec;
		assert_int_equal((st ? sound_verify_strict : sound_verify)(a, 4, NULL, NULL, &rec), 0);
		struct hive_prog *prog;
		assert_int_equal(hive_prog_load(b, 4, NULL, &prog), 0);
		vm_prog_set_sound(prog, rec);
		uint64_t r0;
		int err = hive_prog_run_mem(prog, NULL, 0, &r0);
		if (!st) {
			assert_int_equal(err, 0);
			assert_string_equal(sound_last_violation(rec), "");
			hive_prog_free(prog);
			sound_free(rec);
			continue;
		}
		assert_int_equal(err, -EFAULT);
		assert_non_null(strstr(sound_last_violation(rec), "insn 1 (r1 += 1): R1=0x5 not in {4}"));
		hive_prog_free(prog);
		sound_free(rec);
	}
}
/* }===== */

/* {===== the verifier test cases */

static void run_cases(const struct vcase *cases, size_t ncases, const char *title, unsigned min_accepted)
{
	struct hive_map **maps = vmaps_live;
	struct hive_verify_map vmaps[3];
	memcpy(vmaps, vcase_maps, sizeof vmaps);
	for (int i = 0; i < 3; i++)
		vmaps[i].fd = i;
	unsigned accepted = 0, findings = 0;
	for (size_t i = 0; i < ncases; i++) {
		const struct vcase *c = &cases[i];
		if (!c->accept && !c->known_gap)
			continue;
		size_t n = vcase_len(c);
		struct hive_insn prog[96];
		memcpy(prog, c->insns, sizeof prog);
		for (size_t k = 0; k + 1 < n; k++)
			if (prog[k].code == (ISA_LD | ISA_DW) && prog[k].src_reg == ISA_PSEUDO_MAP_FD &&
			    prog[k].imm >= MAP_HASH && prog[k].imm <= MAP_RINGBUF)
				prog[k].imm -= MAP_HASH;
		HIVE_OPTS(hive_verify_opts, o, .prog_type = c->prog_type, .maps = vmaps, .nmaps = 3,
			  .allow_uninit_stack = true);
		int r = check_prog(c->name, prog, n, c->prog_type, &o, NULL, maps, 3, 24);
		if (r < 0)
			continue;
		accepted++;
		findings += (unsigned)r;
	}
	printf("%s: %u accepted ones run in soundness mode, %u findings\n", title, accepted, findings);
	assert_true(accepted >= min_accepted);
	assert_int_equal(findings, 0);
}

static void test_cases(void **state)
{
	(void)state;
	run_cases(vcases, N_VCASES, "verifier cases", 40);
}

/* Also catches the frame moved under check_helper_call's register pointer
 * (a helper writing into the stack grows the frame) under ASan. */
static void test_rules(void **state)
{
	(void)state;
	run_cases(rcases, N_RCASES, "rules corpus", 45);
}

/* Without a kernel at hand: hive refuses what the rules corpus says the
 * kernel refuses, and accepts what it accepts (but for the known gaps). */
static void test_rules_verdicts(void **state)
{
	(void)state;
	struct hive_verify_map vm[3];
	memcpy(vm, vcase_maps, sizeof vm);
	unsigned bad = 0;
	for (size_t i = 0; i < N_RCASES; i++) {
		const struct vcase *c = &rcases[i];
		HIVE_OPTS(hive_verify_opts, o, .prog_type = c->prog_type, .maps = vm, .nmaps = 3,
			  .allow_uninit_stack = true);
		int hv = hive_verify(c->insns, vcase_len(c), &o, NULL) == 0;
		if (hv != c->accept && !c->known_gap) {
			print_error("'%s': hive %s\n", c->name, hv ? "accepts" : "refuses");
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}
/* }===== */

/* {===== random programs (the oracle's generator) */

static void test_generated(void **state)
{
	(void)state;
	unsigned accepted = 0, findings = 0;
	for (unsigned i = 0; i < 3000; i++) {
		struct hive_insn p[256];
		size_t n = sg_gen(p, 256);
		HIVE_OPTS(hive_verify_opts, o, .prog_type = HIVE_PROG_SOCKET_FILTER);
		char name[32];
		snprintf(name, sizeof name, "gen_stack #%u", i);
		int r = check_prog(name, p, n, HIVE_PROG_SOCKET_FILTER, &o, NULL, NULL, 0, 4);
		if (r < 0)
			continue;
		accepted++;
		findings += (unsigned)r;
	}
	printf("generated: %u of 3000 accepted and run, %u findings\n", accepted, findings);
	assert_true(accepted > 100);
	assert_int_equal(findings, 0);
}
/* }===== */

/* {===== random programs of the kernel differential test (gen_kernel.h) */

static void test_generated_kernel(void **state)
{
	(void)state;
	struct hive_verify_map vm[3];
	memcpy(vm, vcase_maps, sizeof vm);
	for (int i = 0; i < 3; i++)
		vm[i].fd = i;
	unsigned accepted = 0, findings = 0, total = 0;
	for (unsigned i = 0; i < 2400; i++) {
		struct hive_insn p[256];
		size_t n;
		uint32_t type = SOCK;
		const char *kind;
		if (i % 3 == 0) {
			n = gen_prog(p, 256, 1);
			kind = "gen_prog";
		} else if (i % 3 == 1) {
			n = gen_loop_prog(p, 256, 1);
			kind = "gen_loop_prog";
		} else {
			n = gen_pkt_prog(p, 256);
			type = XDP;
			kind = "gen_pkt_prog";
		}
		HIVE_OPTS(hive_verify_opts, o, .prog_type = type, .maps = vm, .nmaps = 3, .allow_uninit_stack = true);
		char name[48];
		snprintf(name, sizeof name, "%s #%u", kind, i);
		total++;
		int r = check_prog(name, p, n, type, &o, NULL, vmaps_live, 3, 6);
		if (r < 0)
			continue;
		accepted++;
		findings += (unsigned)r;
	}
	printf("kernel-diff generators: %u of %u accepted and run, %u findings\n", accepted, total, findings);
	assert_true(accepted > 300);
	assert_int_equal(findings, 0);
}
/* }===== */

/* {===== objects: tests/progs, examples, bench/progs */

static const char *compile(const char *rel, const char *tag, const char *extra)
{
	static char path[1200];
	const char *cc = corpus_clang(3);
	if (!cc)
		return NULL;
	char dir[1024], cmd[8192];
	snprintf(dir, sizeof dir, "%s/loader_corpus", HIVE_BINARY_DIR);
	mkdir(dir, 0755);
	snprintf(path, sizeof path, "%.1000s/sound_%.64s.o", dir, tag);
	char src[1100];
	snprintf(src, sizeof src, "%s/%s", HIVE_SOURCE_DIR, rel);
	struct stat ss, so;
	if (stat(path, &so) == 0 && stat(src, &ss) == 0 && so.st_mtime > ss.st_mtime)
		return path; /* compiled before (headers of bench/progs: rebuilt when the .bpf.c changes) */
	snprintf(cmd, sizeof cmd,
		 "%s -target bpf -O2 -mcpu=v3 -g %s -I/usr/include/$(uname -m)-linux-gnu -c %s/%s -o %s.%d.tmp "
		 "&& mv %s.%d.tmp %s",
		 cc, extra, HIVE_SOURCE_DIR, rel, path, (int)getpid(), path, (int)getpid(), path);
	return system(cmd) == 0 ? path : NULL;
}

static void check_object(const char *rel, const char *tag, const char *extra, const char *kconfig,
			 const char *btf, unsigned *accepted, unsigned *refused, unsigned *findings)
{
	char btf_path[1200] = "";
	if (btf) {
		const char *bp = compile(btf, "btf_target", "");
		if (!bp)
			return;
		snprintf(btf_path, sizeof btf_path, "%s", bp);
	}
	const char *path = compile(rel, tag, extra);
	if (!path) {
		printf("  %s: not compiled (clang missing or source not for this clang)\n", rel);
		return;
	}
	struct hive_object *obj;
	HIVE_OPTS(hive_object_open_opts, oo, .kconfig = kconfig, .btf_custom_path = btf ? btf_path : NULL);
	if (hive_object_open_file(path, &oo, &obj)) {
		printf("  %s: not opened\n", rel);
		return;
	}
	char log[1024];
	HIVE_OPTS(hive_object_load_opts, lo, .env = henv, .log_buf = log, .log_size = sizeof log);
	/* programs the VM cannot load yet (bpf_loop callbacks, raw-run
	 * sections) stay out; the rest of the object loads */
	for (size_t i = 0; i < hive_object_prog_cnt(obj); i++)
		if (!strcmp(hive_program_section(hive_object_prog(obj, i)), "hive"))
			hive_program_set_autoload(hive_object_prog(obj, i), false);
	int lerr;
	for (int tries = 0; (lerr = hive_object_load(obj, &lo)) && tries < 4; tries++) {
		const char *q = strstr(log, "prog '");
		char name[128];
		if (!q || sscanf(q + 6, "%127[^']", name) != 1 || !hive_object_find_program(obj, name))
			break;
		printf("  %s: %s left out: %s\n", rel, name, log);
		hive_program_set_autoload(hive_object_find_program(obj, name), false);
	}
	if (lerr) {
		printf("  %s: not loaded: %s\n", rel, log);
		hive_object_close(obj);
		return;
	}
	size_t nmaps = hive_object_map_cnt(obj);
	struct hive_verify_map *vm = calloc(nmaps ? nmaps : 1, sizeof(*vm));
	assert_non_null(vm);
	for (size_t i = 0; i < nmaps; i++) {
		const struct hive_object_map *m = hive_object_map(obj, i);
		vm[i] = (struct hive_verify_map){.fd = (int32_t)i,
						 .type = hive_object_map_type(m),
						 .key_size = hive_object_map_key_size(m),
						 .value_size = hive_object_map_value_size(m),
						 .max_entries = hive_object_map_max_entries(m),
						 .map_flags = hive_object_map_flags(m)};
	}
	for (size_t i = 0; i < hive_object_prog_cnt(obj); i++) {
		struct hive_program *p = hive_object_prog(obj, i);
		struct hive_prog *loaded = hive_program_prog(p);
		if (!loaded)
			continue;
		size_t cnt;
		const struct hive_insn *insns = hive_program_insns(p, &cnt);
		enum hive_prog_type type = hive_program_type(p);
		HIVE_OPTS(hive_verify_opts, o, .prog_type = type, .maps = vm, .nmaps = nmaps,
			  .allow_uninit_stack = true);
		char what[256];
		snprintf(what, sizeof what, "%s:%s", rel, hive_program_name(p));
		int r = check_prog(what, insns, cnt, type, &o, loaded, NULL, 0, 64);
		if (r < 0) {
			printf("  %s: refused by the verifier\n", what);
			(*refused)++;
			continue;
		}
		(*accepted)++;
		*findings += (unsigned)r;
	}
	free(vm);
	hive_object_close(obj);
}

static void test_objects(void **state)
{
	(void)state;
	if (!corpus_clang(3)) {
		printf("HIVE-SKIP: no clang to compile the BPF programs\n");
		skip();
	}
	static const char kc[] = "CONFIG_DEFAULT_HOSTNAME=\"hive\"\nCONFIG_TRI=m\nCONFIG_NUM=7\nCONFIG_BOOL=y\n"
				 "CONFIG_HZ=250\nCONFIG_BPF_SYSCALL=y\n";
	static const struct {
		const char *rel, *tag, *btf;
	} objs[] = {
		{"tests/progs/core.bpf.c", "core", "tests/progs/core_target.bpf.c"},
		{"tests/progs/core_target.bpf.c", "core_target", NULL},
		{"tests/progs/kconfig.bpf.c", "kconfig", NULL},
		{"tests/progs/legacy_maps.bpf.c", "legacy_maps", NULL},
		{"tests/progs/map_in_map.bpf.c", "map_in_map", NULL},
		{"tests/progs/subprogs.bpf.c", "subprogs", NULL},
		{"tests/progs/tc_config.bpf.c", "tc_config", NULL},
		{"tests/progs/trace_ringbuf.bpf.c", "trace_ringbuf", NULL},
		{"tests/progs/xdp_parser.bpf.c", "xdp_parser", NULL},
		{"examples/firewall/firewall.bpf.c", "firewall", NULL},
		{"bench/progs/csum.bpf.c", "csum", NULL},
		{"bench/progs/fnv1a.bpf.c", "fnv1a", NULL},
		{"bench/progs/parse.bpf.c", "parse", NULL},
		{"bench/progs/primes.bpf.c", "primes", NULL},
	};
	unsigned accepted = 0, refused = 0, findings = 0;
	for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
		check_object(objs[i].rel, objs[i].tag, "", kc, objs[i].btf, &accepted, &refused, &findings);
	printf("objects: %u programs accepted and run in soundness mode, %u refused by the verifier, %u findings\n",
	       accepted, refused, findings);
	assert_true(accepted >= 8);
	assert_int_equal(findings, 0);
}
/* }===== */

/* {===== the conformance suite, r1 as a plain-memory context */

static void test_conformance(void **state)
{
	(void)state;
	char **names;
	size_t n = conf_list(HIVE_CONFORMANCE_DIR "/tests", &names);
	if (!n) {
		printf("HIVE-SKIP: conformance suite not found at %s\n", HIVE_CONFORMANCE_DIR);
		skip();
	}
	static struct hive_ctx_field fields[64];
	for (int i = 0; i < 64; i++)
		fields[i] = (struct hive_ctx_field){.off = (uint16_t)(8 * i), .size = 8,
						    .access = HIVE_CTX_READ | HIVE_CTX_WRITE, .name = "mem"};
	unsigned accepted = 0, findings = 0;
	for (size_t i = 0; i < n; i++) {
		char path[200];
		snprintf(path, sizeof path, "%.80s/tests/%.100s", HIVE_CONFORMANCE_DIR, names[i]);
		struct conf_test t;
		assert_int_equal(conf_read(path, &t), 0);
		struct hive_insn *insns = NULL;
		size_t cnt = 0;
		char err[256];
		if (conf_program(&t, &insns, &cnt, err, sizeof err) == 0) {
			struct hive_ctx_layout l = {"mem", 512, 64, fields};
			HIVE_OPTS(hive_verify_opts, o, .prog_type = HIVE_PROG_UNSPEC, .ctx = &l);
			struct sound_rec *rec = NULL;
			if (sound_verify(insns, cnt, &o, NULL, &rec) == 0) {
				struct hive_prog *prog;
				if (hive_prog_load(insns, cnt, &(struct hive_prog_opts){.sz = sizeof(struct hive_prog_opts),
											.env = henv},
						   &prog) == 0) {
					vm_prog_set_sound(prog, rec);
					uint8_t mem[512] = {0};
					memcpy(mem, t.mem, t.mem_len < sizeof mem ? t.mem_len : sizeof mem);
					HIVE_OPTS(hive_run_opts, ro, .mem = mem, .mem_size = sizeof mem);
					int e = hive_prog_run(prog, &ro);
					accepted++;
					n_progs++;
					n_runs++;
					n_checks += sound_checks(rec);
					if (e) {
						print_error("conformance %s: %d at %u: %s\n", names[i], e, ro.fault_pc,
							    ro.errmsg);
						findings++;
					}
					hive_prog_free(prog);
				}
			}
			sound_free(rec);
		}
		free(insns);
		conf_free(&t);
		free(names[i]);
	}
	free(names);
	printf("conformance: %u of %zu accepted and run in soundness mode, %u findings\n", accepted, n, findings);
	assert_true(accepted > 0);
	assert_int_equal(findings, 0);
}
/* }===== */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detects_wrong_pointer),
		cmocka_unit_test(test_detects_wrong_scalar),
		cmocka_unit_test(test_detects_wrong_precise_scalar),
		cmocka_unit_test(test_precision_paths),
		cmocka_unit_test(test_detects_unexplored_insn),
		cmocka_unit_test(test_detects_wrong_map_value),
		cmocka_unit_test(test_detects_wrong_spill),
		cmocka_unit_test(test_trusted_and_checked_unchanged),
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_rules_verdicts),
		cmocka_unit_test(test_generated),
		cmocka_unit_test(test_generated_kernel),
		cmocka_unit_test(test_objects),
		cmocka_unit_test(test_conformance),
		cmocka_unit_test_setup(test_cases, set_strict),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_generated),
		cmocka_unit_test(test_generated_kernel),
		cmocka_unit_test(test_objects),
		cmocka_unit_test(test_detects_imprecise_strict),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
