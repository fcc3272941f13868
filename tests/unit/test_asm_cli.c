/* hive asm / hive disasm as a user runs them: output formats, files,
 * exit codes and "FILE:LINE: message" errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

static char tmpdir[256];
static const char *hive_bin = HIVE_BINARY_DIR "/hive";

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hive-asm-cli-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *name, const void *data, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static size_t read_file(const char *name, void *buf, size_t cap)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

/* Run "hive ARGS" in tmpdir; stdout and stderr into out/err; returns the exit code. */
static int hive(const char *args, char *out, size_t outsz, char *err, size_t errsz)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' %s >out.txt 2>err.txt", tmpdir, hive_bin, args);
	int st = system(cmd);
	assert_true(st != -1 && WIFEXITED(st));
	size_t n = read_file("out.txt", out, outsz - 1);
	out[n] = '\0';
	n = read_file("err.txt", err, errsz - 1);
	err[n] = '\0';
	return WEXITSTATUS(st);
}

static void need_binary(void)
{
	if (access(hive_bin, X_OK) != 0) {
		printf("HIVE-SKIP: %s not built\n", hive_bin);
		skip();
	}
}

static const char prog_s[] = "# sum\n"
			     "mov %r0, 1\n"
			     "lddw %r1, 0x1122334455667788\n"
			     "jeq %r0, 1, out\n"
			     "w0 += 2\n"
			     "out: exit\n";

static void test_asm_hex(void **state)
{
	(void)state;
	need_binary();
	write_file("p.s", prog_s, strlen(prog_s));
	char out[4096], err[1024];
	assert_int_equal(hive("asm p.s", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "b7 00 00 00 01 00 00 00\n"
				 "18 01 00 00 88 77 66 55\n"
				 "00 00 00 00 44 33 22 11\n"
				 "15 00 01 00 01 00 00 00\n"
				 "04 00 00 00 02 00 00 00\n"
				 "95 00 00 00 00 00 00 00\n");
	assert_string_equal(err, "");
}

static void test_asm_to_file_and_back(void **state)
{
	(void)state;
	need_binary();
	write_file("p.s", prog_s, strlen(prog_s));
	char out[4096], err[1024];
	assert_int_equal(hive("asm p.s -o p.bin", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "");
	uint8_t bin[256];
	assert_int_equal(read_file("p.bin", bin, sizeof(bin)), 48);
	assert_int_equal(bin[8], 0x18);
	assert_int_equal(bin[23], 0x11);

	/* disasm of the bytes, llvm-objdump style */
	assert_int_equal(hive("disasm p.bin", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "     0: b7 00 00 00 01 00 00 00  r0 = 1\n"
				 "     1: 18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11  r1 = 0x1122334455667788 ll\n"
				 "     3: 15 00 01 00 01 00 00 00  if r0 == 1 goto +1\n"
				 "     4: 04 00 00 00 02 00 00 00  w0 += 2\n"
				 "     5: 95 00 00 00 00 00 00 00  exit\n");
	/* the same listing from the text */
	char out2[4096];
	assert_int_equal(hive("disasm p.s", out2, sizeof(out2), err, sizeof(err)), 0);
	assert_string_equal(out2, out);
	/* and the listing assembles to the same bytes */
	write_file("l.s", out, strlen(out));
	assert_int_equal(hive("asm l.s -o l.bin", out2, sizeof(out2), err, sizeof(err)), 0);
	uint8_t bin2[256];
	assert_int_equal(read_file("l.bin", bin2, sizeof(bin2)), 48);
	assert_memory_equal(bin, bin2, 48);
}

static void test_disasm_invalid_slot(void **state)
{
	(void)state;
	need_binary();
	const uint8_t raw[] = {0x07, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x95, 0, 0, 0, 0, 0, 0, 0};
	write_file("bad.bin", raw, sizeof(raw));
	char out[1024], err[256];
	assert_int_equal(hive("disasm bad.bin", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "     0: 07 00 01 00 01 00 00 00  .insn 0x0000000100010007 # reserved field off must be 0\n"
				 "     1: 95 00 00 00 00 00 00 00  exit\n");
	/* no extension: told apart by content */
	write_file("rawprog", raw + 8, 8);
	assert_int_equal(hive("disasm rawprog", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "     0: 95 00 00 00 00 00 00 00  exit\n");
	write_file("textprog", "r0 = 2\nexit\n", 12);
	assert_int_equal(hive("disasm textprog", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "     0: b7 00 00 00 02 00 00 00  r0 = 2\n     1: 95 00 00 00 00 00 00 00  exit\n");
	/* a truncated file is refused */
	write_file("odd.bin", raw, 5);
	assert_int_equal(hive("disasm odd.bin", out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(err, "odd.bin: 5 bytes is not a whole number of 8-byte instructions"));
}

static void test_asm_errors(void **state)
{
	(void)state;
	need_binary();
	char out[1024], err[1024];
	const char bad[] = "mov %r0, 1\nldxq %r0, %r1\n";
	write_file("bad.s", bad, strlen(bad));
	assert_int_equal(hive("asm bad.s", out, sizeof(out), err, sizeof(err)), 1);
	assert_string_equal(err, "bad.s:2: Invalid mnemonic: ldxq\n");
	assert_string_equal(out, "");
	assert_int_equal(hive("disasm bad.s", out, sizeof(out), err, sizeof(err)), 1);
	assert_string_equal(err, "bad.s:2: Invalid mnemonic: ldxq\n");

	assert_int_equal(hive("asm missing.s", out, sizeof(out), err, sizeof(err)), 1);
	assert_string_equal(err, "missing.s: No such file or directory\n");
	assert_int_equal(hive("disasm missing.bin", out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(err, "missing.bin"));

	/* usage */
	assert_int_equal(hive("asm", out, sizeof(out), err, sizeof(err)), 2);
	assert_non_null(strstr(err, "usage: hive asm FILE [-o OUT.bin]"));
	assert_int_equal(hive("asm bad.s -o", out, sizeof(out), err, sizeof(err)), 2);
	assert_int_equal(hive("asm a.s b.s", out, sizeof(out), err, sizeof(err)), 2);
	assert_int_equal(hive("asm --bogus a.s", out, sizeof(out), err, sizeof(err)), 2);
	assert_string_equal(err, "hive asm: unknown option --bogus\n");
	assert_int_equal(hive("disasm", out, sizeof(out), err, sizeof(err)), 2);
	assert_non_null(strstr(err, "usage: hive disasm FILE"));

	/* an output file that cannot be written */
	write_file("ok.s", "r0 = 0\nexit\n", 12);
	assert_int_equal(hive("asm ok.s -o no/such/dir/x.bin", out, sizeof(out), err, sizeof(err)), 1);
	assert_string_equal(err, "no/such/dir/x.bin: No such file or directory\n");

	/* stdin */
	assert_int_equal(hive("asm - < ok.s", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "b7 00 00 00 00 00 00 00\n95 00 00 00 00 00 00 00\n");

	/* text that assembles to a program that would not load: refused unless --no-validate */
	write_file("noret.s", "exit\n", 5);
	assert_int_equal(hive("asm noret.s", out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(err, "noret.s: assembles, but the program is invalid: insn 0:"));
	assert_int_equal(hive("asm noret.s --no-validate", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "95 00 00 00 00 00 00 00\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_asm_hex),
		cmocka_unit_test(test_asm_to_file_and_back),
		cmocka_unit_test(test_disasm_invalid_slot),
		cmocka_unit_test(test_asm_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
