/* Differential test: every corpus object opened by hive and by libbpf
 * (bpf_object__open_file) must show the same programs (name, section, type,
 * expected attach type, autoload, instructions before relocation) and the
 * same maps (name, type, sizes, max_entries, flags, numa, BTF type ids,
 * inner map), license and kernel version. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include "hive/hive.h"
#include "loader_corpus.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static void compare_map(const struct hive_object_map *hm, struct bpf_map *bm, const char *what)
{
	if (!hm)
		fail_msg("%s: map '%s' missing in hive", what, bpf_map__name(bm));
	assert_string_equal(hive_object_map_name(hm), bpf_map__name(bm));
	assert_int_equal(hive_object_map_type(hm), bpf_map__type(bm));
	assert_int_equal(hive_object_map_key_size(hm), bpf_map__key_size(bm));
	assert_int_equal(hive_object_map_value_size(hm), bpf_map__value_size(bm));
	assert_int_equal(hive_object_map_max_entries(hm), bpf_map__max_entries(bm));
	assert_int_equal(hive_object_map_numa_node(hm), bpf_map__numa_node(bm));
	assert_int_equal(hive_object_map_extra(hm), bpf_map__map_extra(bm));
	/* libbpf adds BPF_F_MMAPABLE after probing the kernel; compare the rest */
	assert_int_equal(hive_object_map_flags(hm) & ~0x400u, bpf_map__map_flags(bm) & ~0x400u);
	assert_int_equal(hive_object_map_btf_key_type_id(hm), bpf_map__btf_key_type_id(bm));
	assert_int_equal(hive_object_map_btf_value_type_id(hm), bpf_map__btf_value_type_id(bm));
	assert_int_equal(hive_object_map_is_internal(hm), bpf_map__is_internal(bm));
}

static void compare(const char *path)
{
	char log[2048] = "";
	HIVE_OPTS(hive_object_open_opts, ho, .log_buf = log, .log_size = sizeof(log));
	struct hive_object *h = NULL;
	int err = hive_object_open_file(path, &ho, &h);
	struct bpf_object *b = bpf_object__open_file(path, NULL);
	if (!b) {
		/* libbpf refuses: hive must refuse too */
		if (err == 0)
			fail_msg("%s: libbpf refuses (%d), hive opens", path, -errno);
		return;
	}
	if (err)
		fail_msg("%s: hive refuses (%d: %s), libbpf opens", path, err, log);
	assert_string_equal(hive_object_name(h), bpf_object__name(b));
	/* libbpf reports the running kernel when there is no "version" section */
	if (hive_object_kversion(h))
		assert_int_equal(hive_object_kversion(h), bpf_object__kversion(b));

	size_t nprogs = 0;
	struct bpf_program *bp;
	bpf_object__for_each_program(bp, b) {
		nprogs++;
		struct hive_program *hp = hive_object_find_program(h, bpf_program__name(bp));
		if (!hp)
			fail_msg("%s: program '%s' missing in hive", path, bpf_program__name(bp));
		assert_string_equal(hive_program_section(hp), bpf_program__section_name(bp));
		assert_int_equal(hive_program_type(hp), bpf_program__type(bp));
		int at = hive_program_attach_type(hp);
		assert_int_equal(at == HIVE_ATTACH_NONE ? 0 : at, bpf_program__expected_attach_type(bp));
		assert_int_equal(hive_program_autoload(hp), bpf_program__autoload(bp));
		/* libbpf relocates at load: the program's own instructions must match,
		 * except the imm of LDDW (maps, data) and calls, which hive has rewritten */
		size_t hcnt, bcnt = bpf_program__insn_cnt(bp);
		const struct hive_insn *hi = hive_program_insns(hp, &hcnt);
		const struct bpf_insn *bi = bpf_program__insns(bp);
		assert_true(hcnt >= bcnt);
		for (size_t i = 0; i < bcnt; i++) {
			assert_int_equal(hi[i].code, bi[i].code);
			assert_int_equal(hi[i].dst_reg, bi[i].dst_reg);
			assert_int_equal(hi[i].off, bi[i].off);
			bool lddw_hi = i > 0 && bi[i - 1].code == 0x18;
			if (bi[i].code != 0x18 && bi[i].code != 0x85 && !lddw_hi) {
				assert_int_equal(hi[i].src_reg, bi[i].src_reg);
				assert_int_equal(hi[i].imm, bi[i].imm);
			}
		}
	}
	assert_int_equal(nprogs, hive_object_prog_cnt(h));

	size_t nmaps = 0;
	struct bpf_map *bm;
	bpf_object__for_each_map(bm, b) {
		nmaps++;
		const struct hive_object_map *hm = hive_object_find_map(h, bpf_map__name(bm));
		compare_map(hm, bm, path);
		if (bpf_map__inner_map(bm)) {
			assert_non_null(hive_object_map_inner(hm));
			compare_map(hive_object_map_inner(hm), bpf_map__inner_map(bm), path);
		} else {
			assert_null(hive_object_map_inner(hm));
		}
		size_t hs, bs;
		const void *hv = hive_object_map_initial_value(hm, &hs);
		const void *bv = bpf_map__initial_value(bm, &bs);
		if (bv && bpf_map__type(bm) == BPF_MAP_TYPE_ARRAY && strstr(bpf_map__name(bm), "kconfig") == NULL) {
			assert_int_equal(hs, bs);
			assert_memory_equal(hv, bv, bs);
		}
	}
	assert_int_equal(nmaps, hive_object_map_cnt(h));
	bpf_object__close(b);
	hive_object_close(h);
}

static void test_corpus_matches_libbpf(void **state)
{
	(void)state;
	if (!corpus_clang(1)) {
		printf("HIVE-SKIP: no clang to build tests/progs\n");
		skip();
	}
	libbpf_set_print(quiet);
	int n = 0;
	for (int i = 0; i < CORPUS_N; i++)
		for (int cpu = 1; cpu <= 4; cpu++)
			for (int g = 0; g < 2; g++) {
				const char *p = corpus_obj(corpus_names[i], cpu, g);
				if (!p)
					continue;
				compare(p);
				n++;
			}
	assert_true(n >= CORPUS_N * 6);
	/* the CO-RE objects open the same way too (relocation is at load) */
	static const char *const more[] = {"core", "core_target", "core_vmlinux", "kconfig"};
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		for (int cpu = 1; cpu <= 3; cpu++)
			compare(corpus_obj(more[i], cpu, true));
}

/* CO-RE against the running kernel: hive's relocated values must be what
 * libbpf's BTF API reads from /sys/kernel/btf/vmlinux. */
static void test_core_vmlinux_matches_libbpf(void **state)
{
	(void)state;
	if (!corpus_clang(1) || access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		printf("HIVE-SKIP: no clang or no /sys/kernel/btf/vmlinux\n");
		skip();
	}
	struct btf *vb = btf__load_vmlinux_btf();
	assert_non_null(vb);
	int id = btf__find_by_name_kind(vb, "task_struct", BTF_KIND_STRUCT);
	assert_true(id > 0);
	const struct btf_type *t = btf__type_by_id(vb, (uint32_t)id);
	long off_pid = -1, off_comm = -1;
	const struct btf_member *m = btf_members(t);
	for (unsigned i = 0; i < btf_vlen(t); i++) {
		const char *n = btf__name_by_offset(vb, m[i].name_off);
		if (strcmp(n, "pid") == 0)
			off_pid = btf_member_bit_offset(t, i) / 8;
		if (strcmp(n, "comm") == 0)
			off_comm = btf_member_bit_offset(t, i) / 8;
	}
	assert_true(off_pid > 0 && off_comm > 0);
	char log[1024];
	struct hive_object *h = NULL;
	assert_int_equal(hive_object_open_file(corpus_obj("core_vmlinux", 2, true), NULL, &h), 0);
	HIVE_OPTS(hive_object_load_opts, lo, .log_buf = log, .log_size = sizeof(log), .mode = HIVE_EXEC_TRUSTED);
	if (hive_object_load(h, &lo))
		fail_msg("load: %s", log);
	uint64_t ret, mem = 0;
	assert_int_equal(hive_prog_run_mem(hive_program_prog(hive_object_find_program(h, "off_pid")), &mem, 8, &ret), 0);
	assert_int_equal(ret, off_pid);
	assert_int_equal(hive_prog_run_mem(hive_program_prog(hive_object_find_program(h, "off_comm")), &mem, 8, &ret), 0);
	assert_int_equal(ret, off_comm);
	assert_int_equal(hive_prog_run_mem(hive_program_prog(hive_object_find_program(h, "size_task")), &mem, 8, &ret), 0);
	assert_int_equal(ret, t->size);
	hive_object_close(h);
	btf__free(vb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_matches_libbpf),
		cmocka_unit_test(test_core_vmlinux_matches_libbpf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
