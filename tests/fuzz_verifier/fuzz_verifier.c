/* libFuzzer: programs from the project's generators (tests/verifier/
 * gen_stack.h and gen_kernel.h, seeded by the input; tests/include/
 * jit_gen.h, driven by its bytes), then patched by the rest of the input (a byte of code, a
 * register, an offset, an immediate), go through the verifier in soundness
 * mode.  Every accepted program runs in the checked interpreter with each
 * instruction checked against the verifier's states (verifier/sound.h), on
 * several inputs.  Any fault or violation of an accepted program aborts:
 * the verifier let an unsafe program through, or its states are wrong. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit_gen.h"
#include "../verifier/gen_stack.h"
#include "../verifier/gen_kernel.h"
#include "verifier/sound.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAXN = GEN_MAX_INSNS + 64 };

static struct hive_env *env;
static struct hive_map *maps[3];          /* cases.h's maps, at indexes 0..2 */
static struct hive_verify_map vmaps[3];
enum kind { K_STACK, K_JITGEN, K_MAPS, K_LOOPS, K_PKT, K__COUNT };
static unsigned long n_verified, n_accepted, n_runs, n_unloadable, n_long;

__attribute__((destructor)) static void report(void)
{
	if (n_verified)
		fprintf(stderr,
			"fuzz_verifier: %lu programs verified, %lu accepted, %lu soundness-mode runs (%lu accepted "
			"programs the VM would not load, %lu runs past 4M instructions)\n",
			n_verified, n_accepted, n_runs, n_unloadable, n_long);
}
static struct hive_ctx_field mem_fields[GEN_MEM / 8];
static const struct hive_ctx_layout mem_layout = {"mem", GEN_MEM, GEN_MEM / 8, mem_fields};

static void dump(const struct hive_insn *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char b[128];
		if (hive_disasm_insn(p, n, i, b, sizeof b) <= 0)
			snprintf(b, sizeof b, "(%02x)", p[i].code);
		fprintf(stderr, "%4zu: %s\n", i, b);
	}
}

static void finding(const struct hive_insn *p, size_t n, const char *what, int err, uint32_t pc, const char *msg,
		    const struct sound_rec *rec)
{
	dump(p, n);
	fprintf(stderr, "accepted program failed (%s): %d at insn %u: %s\n%s\n", what, err, pc, msg,
		sound_last_violation(rec));
	abort();
}

/* Run @p (accepted, records in @rec) on a few inputs. */
static void run_all(const struct hive_insn *p, size_t n, enum kind kind, struct sound_rec *rec, uint64_t seed)
{
	char log[512];
	struct hive_prog *prog;
	HIVE_OPTS(hive_prog_opts, po, .env = env, .log_buf = log, .log_size = sizeof log, .maps = maps, .nmaps = 3);
	po.insn_budget = 1u << 22;
	int err = hive_prog_load(p, n, &po, &prog);
	if (err) {
		/* the VM's own validation is path-insensitive (a register read
		 * on a path the verifier proved dead is refused) and it does not
		 * run everything yet (callback addresses): not a verifier finding */
		n_unloadable++;
		return;
	}
	vm_prog_set_sound(prog, rec);
	for (unsigned k = 0; k < 4; k++) {
		n_runs++;
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		if (kind != K_JITGEN) {
			static const uint32_t sizes[] = {14, 60, 100, 1500};
			uint8_t pkt[1500];
			for (unsigned i = 0; i < sizeof pkt; i++)
				pkt[i] = (uint8_t)(seed >> (i % 56));
			pkt[12] = 0x08;
			pkt[13] = 0x06;
			uint32_t ctx[48] = {0};
			for (int i = 0; i < 5; i++)
				ctx[12 + i] = (uint32_t)(seed >> (8 * i)) % (k & 1 ? 64u : 0xffffffffu);
			bool xdp = kind == K_PKT;
			HIVE_OPTS(hive_test_run_opts, o, .prog_type = xdp ? HIVE_PROG_XDP : HIVE_PROG_SOCKET_FILTER,
				  .data_in = pkt, .data_size_in = sizes[k], .ctx_in = xdp ? NULL : ctx,
				  .ctx_size_in = xdp ? 0 : sizeof ctx);
			err = hive_prog_test_run(prog, &o);
			if (err == -ELOOP) {
				n_long++; /* terminates, but not within the fuzzer's budget */
				break;
			}
			if (err)
				finding(p, n, xdp ? "xdp" : "socket filter", err, o.fault_pc, o.errmsg, rec);
		} else {
			uint8_t mem[GEN_MEM];
			for (unsigned i = 0; i < sizeof mem; i++)
				mem[i] = (uint8_t)(seed >> (i % 56)) * (uint8_t)(k + 1);
			HIVE_OPTS(hive_run_opts, o, .mem = mem, .mem_size = sizeof mem);
			err = hive_prog_run(prog, &o);
			if (err == -ELOOP) {
				n_long++;
				break;
			}
			if (err)
				finding(p, n, "plain memory", err, o.fault_pc, o.errmsg, rec);
		}
	}
	vm_prog_set_sound(prog, NULL);
	hive_prog_free(prog);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hive_insn p[MAXN];
	static struct gen g;
	if (!env) {
		if (hive_env_new(&env) || hive_helpers_install(env, NULL) || hive_hook_helpers_install(env))
			abort();
		for (int i = 0; i < GEN_MEM / 8; i++)
			mem_fields[i] = (struct hive_ctx_field){.off = (uint16_t)(8 * i), .size = 8,
								.access = HIVE_CTX_READ | HIVE_CTX_WRITE, .name = "mem"};
		if (hive_map_create(HIVE_MAP_HASH, "h", 4, 8, 16, 0, &maps[0]) ||
		    hive_map_create(HIVE_MAP_ARRAY, "a", 4, 48, 1, 0, &maps[1]) ||
		    hive_map_create(HIVE_MAP_RINGBUF, "r", 0, 0, 4096, 0, &maps[2]))
			abort();
		memcpy(vmaps, vcase_maps, sizeof vmaps);
		for (int i = 0; i < 3; i++)
			vmaps[i].fd = i;
	}
	if (size < 9)
		return 0;
	uint64_t seed;
	memcpy(&seed, data, 8);
	uint8_t mode = data[8];
	data += 9;
	size -= 9;
	size_t n;
	enum kind kind = (enum kind)((mode & 7) % K__COUNT);
	if (kind == K_STACK) {
		sg_rng = seed | 1;
		n = sg_gen(p, 256);
	} else if (kind == K_MAPS || kind == K_LOOPS || kind == K_PKT) {
		gk_rng = seed | 1;
		n = kind == K_MAPS ? gen_prog(p, 256, 1) : kind == K_LOOPS ? gen_loop_prog(p, 256, 1) : gen_pkt_prog(p, 256);
	} else {
		/* jit_gen reads its decisions from the first half of the bytes */
		size_t half = size / 2;
		memset(&g, 0, sizeof g);
		g.data = data;
		g.len = half;
		g.rng = seed | 1;
		n = gen_program(&g);
		memcpy(p, g.insns, n * sizeof(*p));
		data += half;
		size -= half;
	}
	/* patches: 4 bytes each (half the inputs run the generated program as is) */
	for (size_t i = 0; (mode & 16) && i + 4 <= size && i < 4 * 8; i += 4) {
		struct hive_insn *in = &p[data[i] % n];
		uint8_t v = data[i + 2], w = data[i + 3];
		switch (data[i + 1] % 6) {
		case 0: in->imm = (int8_t)v; break;
		case 1: in->imm = (int32_t)((uint32_t)v << 24 | (uint32_t)w << 16 | w); break;
		case 2: in->off = (int16_t)(int8_t)v; break;
		case 3: in->dst_reg = v % 11; break;
		case 4: in->src_reg = v % 11; break;
		default: in->code = v; break;
		}
	}
	static char vlog[4096];
	HIVE_OPTS(hive_verify_opts, o,
		  .prog_type = kind == K_PKT ? HIVE_PROG_XDP : kind == K_JITGEN ? HIVE_PROG_UNSPEC : HIVE_PROG_SOCKET_FILTER,
		  .ctx = kind == K_JITGEN ? &mem_layout : NULL, .allow_uninit_stack = (mode >> 5) & 1, .maps = vmaps,
		  .nmaps = 3, .log_buf = vlog, .log_size = sizeof vlog);
	struct sound_rec *rec = NULL;
	/* strict records (every live scalar's value checked) for half the inputs */
	struct hive_verify_stats st;
	int err = ((mode >> 3) & 1 ? sound_verify_strict : sound_verify)(p, n, &o, &st, &rec);
	if (getenv("FUZZ_VERIFIER_DUMP")) {
		/* reproducing: the program, the verdict and what it cost */
		dump(p, n);
		fprintf(stderr, "verdict %d, %llu insns processed, %llu states, %llu ms\n%s\n", err,
			(unsigned long long)st.processed_insns, (unsigned long long)st.total_states,
			(unsigned long long)(st.time_ns / 1000000), vlog);
	}
	n_verified++;
	if (err == 0)
		n_accepted++;
	if (err == 0)
		run_all(p, n, kind, rec, seed);
	else if (err != -EACCES && err != -EINVAL && err != -E2BIG) {
		dump(p, n);
		fprintf(stderr, "verifier returned %d\n", err);
		abort();
	}
	sound_free(rec);
	return 0;
}
