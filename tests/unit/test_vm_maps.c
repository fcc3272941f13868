/* LDDW of maps and of global data (map values), as the loader leaves them:
 * resolved at load, bounded in checked mode, refused when they make no sense. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "insn_macros.h"

#define LD_MAP_VALUE(DST, IDX, OFF) \
	INSN(ISA_LD | ISA_IMM | ISA_DW, DST, ISA_PSEUDO_MAP_VALUE, 0, IDX), INSN(0, 0, 0, 0, OFF)
#define LD_MAP(DST, IDX) INSN(ISA_LD | ISA_IMM | ISA_DW, DST, ISA_PSEUDO_MAP_FD, 0, IDX), INSN(0, 0, 0, 0, 0)

static struct hive_map *new_map(enum hive_map_type t, uint32_t value_size, uint32_t entries, uint32_t flags)
{
	struct hive_map *m = NULL;
	HIVE_OPTS(hive_map_opts, o, .map_flags = flags);
	assert_int_equal(hive_map_create(t, "m", 4, value_size, entries, &o, &m), 0);
	return m;
}

static int load(const struct hive_insn *p, size_t n, struct hive_map **maps, size_t nmaps, struct hive_prog **out,
		char *log, size_t logsz)
{
	HIVE_OPTS(hive_prog_opts, o, .maps = maps, .nmaps = nmaps, .log_buf = log, .log_size = logsz);
	return hive_prog_load(p, n, &o, out);
}

static void test_global_data(void **state)
{
	(void)state;
	struct hive_map *data = new_map(HIVE_MAP_ARRAY, 16, 1, 0);
	struct hive_map *maps[] = {data};
	/* *(u32 *)(&data + 4) += 7; r0 = that */
	struct hive_insn p[] = {LD_MAP_VALUE(1, 0, 4), LDX_MEM(ISA_W, 0, 1, 0), ALU64_IMM(ISA_ADD, 0, 7),
				STX_MEM(ISA_W, 1, 0, 0), EXIT()};
	struct hive_prog *prog;
	char log[256];
	assert_int_equal(load(p, ARRAY_LEN(p), maps, 1, &prog, log, sizeof(log)), 0);
	uint64_t r0;
	assert_int_equal(hive_prog_run_mem(prog, NULL, 0, &r0), 0);
	assert_int_equal(hive_prog_run_mem(prog, NULL, 0, &r0), 0);
	assert_int_equal(r0, 14);
	uint32_t key = 0;
	uint8_t value[16];
	assert_int_equal(hive_map_lookup(data, &key, value), 0);
	uint32_t got;
	memcpy(&got, value + 4, 4);
	assert_int_equal(got, 14);
	hive_prog_free(prog);

	/* checked mode: the value is 16 bytes, a store at +12 of 8 bytes faults */
	struct hive_insn q[] = {LD_MAP_VALUE(1, 0, 12), MOV64_IMM(0, 0), STX_MEM(ISA_DW, 1, 0, 0), EXIT()};
	assert_int_equal(load(q, ARRAY_LEN(q), maps, 1, &prog, log, sizeof(log)), 0);
	HIVE_OPTS(hive_run_opts, ro);
	assert_int_equal(hive_prog_run(prog, &ro), -EFAULT);
	assert_int_equal(ro.fault_pc, 3);
	hive_prog_free(prog);
	hive_map_free(data);
}

static void test_readonly_data(void **state)
{
	(void)state;
	struct hive_map *ro_data = new_map(HIVE_MAP_ARRAY, 8, 1, HIVE_F_RDONLY_PROG);
	struct hive_map *maps[] = {ro_data};
	struct hive_insn rd[] = {LD_MAP_VALUE(1, 0, 0), LDX_MEM(ISA_DW, 0, 1, 0), EXIT()};
	struct hive_insn wr[] = {LD_MAP_VALUE(1, 0, 0), MOV64_IMM(0, 0), STX_MEM(ISA_DW, 1, 0, 0), EXIT()};
	struct hive_prog *prog;
	char log[256];
	uint64_t r0;
	assert_int_equal(load(rd, ARRAY_LEN(rd), maps, 1, &prog, log, sizeof(log)), 0);
	assert_int_equal(hive_prog_run_mem(prog, NULL, 0, &r0), 0);
	hive_prog_free(prog);
	assert_int_equal(load(wr, ARRAY_LEN(wr), maps, 1, &prog, log, sizeof(log)), 0);
	assert_int_equal(hive_prog_run_mem(prog, NULL, 0, &r0), -EFAULT);
	hive_prog_free(prog);
	hive_map_free(ro_data);
}

static void test_map_pointer(void **state)
{
	(void)state;
	struct hive_map *h = new_map(HIVE_MAP_HASH, 8, 4, 0);
	struct hive_map *maps[] = {h};
	struct hive_insn p[] = {LD_MAP(0, 0), EXIT()};
	struct hive_prog *prog;
	char log[256];
	assert_int_equal(load(p, ARRAY_LEN(p), maps, 1, &prog, log, sizeof(log)), 0);
	uint64_t r0;
	assert_int_equal(hive_prog_run_mem(prog, NULL, 0, &r0), 0);
	assert_int_equal(r0, (uintptr_t)h);
	hive_prog_free(prog);
	/* a map pointer is no memory a checked program may read */
	struct hive_insn q[] = {LD_MAP(1, 0), LDX_MEM(ISA_DW, 0, 1, 0), EXIT()};
	assert_int_equal(load(q, ARRAY_LEN(q), maps, 1, &prog, log, sizeof(log)), 0);
	assert_int_equal(hive_prog_run_mem(prog, NULL, 0, &r0), -EFAULT);
	hive_prog_free(prog);
	hive_map_free(h);
}

static void test_refusals(void **state)
{
	(void)state;
	struct hive_map *h = new_map(HIVE_MAP_HASH, 8, 4, 0);
	struct hive_map *a = new_map(HIVE_MAP_ARRAY, 8, 1, 0);
	struct hive_map *maps[] = {h, a};
	struct hive_prog *prog = NULL;
	char log[256];
	struct hive_insn idx[] = {LD_MAP(0, 2), EXIT()};
	assert_int_equal(load(idx, ARRAY_LEN(idx), maps, 2, &prog, log, sizeof(log)), -EINVAL);
	assert_non_null(strstr(log, "refers to map 2, but the program has 2 maps"));
	struct hive_insn nomaps[] = {LD_MAP(0, 0), EXIT()};
	assert_int_equal(load(nomaps, ARRAY_LEN(nomaps), NULL, 0, &prog, log, sizeof(log)), -EINVAL);
	struct hive_insn hashval[] = {LD_MAP_VALUE(0, 0, 0), EXIT()};
	assert_int_equal(load(hashval, ARRAY_LEN(hashval), maps, 2, &prog, log, sizeof(log)), -EINVAL);
	assert_non_null(strstr(log, "array map with one element"));
	struct hive_insn past[] = {LD_MAP_VALUE(0, 1, 8), EXIT()};
	assert_int_equal(load(past, ARRAY_LEN(past), maps, 2, &prog, log, sizeof(log)), -EINVAL);
	assert_non_null(strstr(log, "offset beyond the value"));
	/* a callback lddw must name an instruction of the program other than 0 */
	struct hive_insn func[] = {INSN(ISA_LD | ISA_IMM | ISA_DW, 0, ISA_PSEUDO_FUNC, 0, 5), INSN(0, 0, 0, 0, 0), EXIT()};
	assert_int_equal(load(func, ARRAY_LEN(func), maps, 2, &prog, log, sizeof(log)), -EINVAL);
	assert_non_null(strstr(log, "callback at 6 is out of the program"));
	struct hive_insn self[] = {INSN(ISA_LD | ISA_IMM | ISA_DW, 0, ISA_PSEUDO_FUNC, 0, -1), INSN(0, 0, 0, 0, 0), EXIT()};
	assert_int_equal(load(self, ARRAY_LEN(self), maps, 2, &prog, log, sizeof(log)), -EINVAL);
	assert_non_null(strstr(log, "the program itself"));
	assert_null(prog);
	hive_map_free(h);
	hive_map_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_global_data),
		cmocka_unit_test(test_readonly_data),
		cmocka_unit_test(test_map_pointer),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
