/* Refusals a person understands (issue 6, item 4): the first error only,
 * the instruction and its disassembly, the registers in the kernel's
 * notation, the path that led there, a hint, a stable code; and from
 * `hive verify` the source file:line and its text (BTF line info), with
 * --json giving the code and the same facts. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../tools/cmd_verify.c"
#include "loader_corpus.h"
#include "../verifier/cases.h"

const char *verr_code(const char *msg); /* src/verifier/log.c */

static char vlog[16384];

static int verify(const struct hive_insn *p, size_t n, uint32_t type)
{
	struct hive_verify_map maps[3];
	memcpy(maps, vcase_maps, sizeof maps);
	HIVE_OPTS(hive_verify_opts, o, .prog_type = type, .maps = maps, .nmaps = 3, .log_buf = vlog,
		  .log_size = sizeof vlog);
	return hive_verify(p, n, &o, NULL);
}

static unsigned count_lines_starting(const char *s, const char *prefix)
{
	unsigned n = 0;
	for (const char *l = s; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		n += !strncmp(l, prefix, strlen(prefix));
	return n;
}

static void test_parts_of_a_refusal(void **state)
{
	(void)state;
	/* xdp: a 1-byte check, then a 2-byte read */
	struct hive_insn p[] = {LDX(ISA_W, 2, 1, 0), LDX(ISA_W, 3, 1, 4), MOV64_REG(4, 2), ALU64_IMM(ISA_ADD, 4, 1),
				JMP_REG(ISA_JGT, 4, 3, 2), LDX(ISA_H, 0, 2, 0), EXIT, MOV64_IMM(0, 0), EXIT};
	assert_int_equal(verify(p, 9, XDP), -EACCES);
	/* first line: insn, disassembly, the kernel's message, plain words */
	assert_true(!strncmp(vlog, "insn 5: r0 = *(u16 *)(r2 + 0): invalid access to packet", 55));
	assert_non_null(strstr(vlog, "(the access may reach past the bytes proven to exist by a data_end check)"));
	/* the register in kernel notation */
	assert_non_null(strstr(vlog, "\n  R2=pkt(r=1)\n"));
	/* the path: the state saved after the branch (fall-through at 5) */
	assert_non_null(strstr(vlog, "\n  path: 0 -> 5 (4 false)\n"));
	assert_non_null(strstr(vlog, "\n  hint: compare the pointer plus the access size with data_end first"));
	assert_non_null(strstr(vlog, "\n  code: pkt-bounds\n"));
	assert_int_equal(count_lines_starting(vlog, "insn "), 1);
}

static void test_path_through_branches(void **state)
{
	(void)state;
	/* r6 random; if r6 == 1 goto A; if r6 == 2 goto B; ... B: the bad read */
	struct hive_insn p[] = {
		CALL(FN_PRANDOM),             /* 0 */
		MOV64_REG(6, 0),              /* 1 */
		JMP_IMM(ISA_JEQ, 6, 1, 3),    /* 2 -> 6 */
		JMP_IMM(ISA_JEQ, 6, 2, 3),    /* 3 -> 7 */
		MOV64_IMM(0, 0),              /* 4 */
		EXIT,                         /* 5 */
		JA(2),                        /* 6 -> 9 */
		MOV64_IMM(1, 0),              /* 7 */
		LDX(ISA_DW, 0, 1, 0),         /* 8: scalar dereference */
		MOV64_IMM(0, 0),              /* 9 */
		EXIT,                         /* 10 */
	};
	assert_int_equal(verify(p, 11, SOCK), -EACCES);
	assert_true(!strncmp(vlog, "insn 8: ", 8));
	assert_non_null(strstr(vlog, "\n  R1=0\n"));
	/* 7 is the taken side of insn 3: the path names it */
	const char *path = strstr(vlog, "\n  path: ");
	assert_non_null(path);
	assert_non_null(strstr(path, "7 (3 true) -> 8\n"));
	assert_non_null(strstr(vlog, "\n  code: scalar-deref\n"));
}

/* A loop that goes round too often: the path says so once, with a count. */
static void test_path_of_a_loop(void **state)
{
	(void)state;
	struct hive_insn p[] = {MOV64_IMM(1, 0), MOV64_IMM(0, 0), ALU64_IMM(ISA_ADD, 0, 1), ALU64_IMM(ISA_ADD, 1, 1),
				JMP_IMM(ISA_JLT, 1, 400000, -3), EXIT};
	assert_int_equal(verify(p, 6, SOCK), -EACCES);
	assert_non_null(strstr(vlog, "BPF program is too large"));
	const char *path = strstr(vlog, "\n  path: ... -> ");
	assert_non_null(path);
	assert_non_null(strstr(path, " (4 true) x"));
	assert_true(strchr(path + 1, '\n') - path < 120);
	assert_non_null(strstr(vlog, "\n  code: too-complex\n"));
}

/* Every refused case of the shared corpus ends with a code; some known ones. */
static void test_codes(void **state)
{
	(void)state;
	static const struct {
		const char *name, *code;
	} want[] = {
		{"read of uninitialised register", "uninit-reg"},
		{"write to r10", "fp-write"},
		{"unreachable insn", "unreachable"},
		{"uninitialised stack read", "stack-uninit"},
		{"map value without null check", "null-deref"},
		{"map value past its end", "map-bounds"},
		{"packet access without check", "pkt-bounds"},
		{"ctx write to read-only field", "ctx-access"},
		{"pointer multiplication", "ptr-arith"},
		{"div by zero immediate", "div-zero"},
		{"unknown helper", "helper-unknown"},
		{"infinite loop", "infinite-loop"},
		{"unreleased ringbuf reservation", "ref-leak"},
		{"recursion too deep", "call-depth"},
	};
	unsigned refused = 0, coded = 0;
	for (size_t i = 0; i < N_VCASES; i++) {
		const struct vcase *c = &vcases[i];
		if (c->accept || c->known_gap)
			continue;
		if (verify(c->insns, vcase_len(c), c->prog_type) != -EACCES)
			continue;
		refused++;
		const char *code = strstr(vlog, "\n  code: ");
		if (!code) {
			print_error("'%s': no code in\n%s\n", c->name, vlog);
			continue;
		}
		coded++;
		assert_int_equal(count_lines_starting(vlog, "insn "), vlog[0] == 'i' ? 1 : 0);
		for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
			if (!strcmp(want[k].name, c->name)) {
				char line[80];
				snprintf(line, sizeof line, "\n  code: %s\n", want[k].code);
				if (!strstr(vlog, line))
					print_error("'%s': want code %s in\n%s\n", c->name, want[k].code, vlog);
				assert_non_null(strstr(vlog, line));
			}
	}
	printf("%u refusals, %u with a code\n", refused, coded);
	assert_true(refused > 50);
	assert_int_equal(coded, refused);
	assert_string_equal(verr_code("R3 !read_ok"), "uninit-reg");
	assert_string_equal(verr_code("something new"), "refused");
}

/* {===== hive verify: source line and --json */

static int capture(int argc, char **argv, char *out, size_t size)
{
	fflush(stdout);
	fflush(stderr);
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	int saved = dup(1), saved2 = dup(2);
	dup2(fileno(tmp), 1);
	dup2(fileno(tmp), 2);
	int rc = cmd_verify(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved, 1);
	dup2(saved2, 2);
	close(saved);
	close(saved2);
	rewind(tmp);
	size_t n = fread(out, 1, size - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return rc;
}

static char out[1 << 16];

static void test_cli_source_and_json(void **state)
{
	(void)state;
	const char *obj = corpus_obj("verifier_refused", 3, true);
	if (!obj) {
		printf("HIVE-SKIP: no clang to compile tests/progs/verifier_refused.bpf.c\n");
		skip();
	}
	char *argv[] = {"verify", (char *)obj, NULL, NULL};
	assert_int_equal(capture(2, argv, out, sizeof out), 1);
	assert_non_null(strstr(out, "no_bounds_check (xdp): refused\n"));
	const char *src = strstr(out, "\n  source: ");
	assert_non_null(src);
	assert_non_null(strstr(src, "verifier_refused.bpf.c:13: "));
	assert_non_null(strstr(src, "data[13] == 0x08"));
	assert_non_null(strstr(out, "\n  code: pkt-bounds"));

	argv[2] = "--json";
	assert_int_equal(capture(3, argv, out, sizeof out), 1);
	assert_non_null(strstr(out, "\"verdict\":\"refused\",\"errno\":13,\"code\":\"pkt-bounds\",\"insn\":"));
	assert_non_null(strstr(out, "\"source\":{\"file\":\""));
	assert_non_null(strstr(out, "verifier_refused.bpf.c\",\"line\":13,"));
	assert_non_null(strstr(out, "data[13] == 0x08"));
}
/* }===== */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parts_of_a_refusal),
		cmocka_unit_test(test_path_through_branches),
		cmocka_unit_test(test_path_of_a_loop),
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_cli_source_and_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
