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

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include "hive/hive.h"
#include "loader_corpus.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	if (getenv("HIVE_LIBBPF_DEBUG"))
		return vfprintf(stderr, fmt, ap);
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
	/* pinned by name: the same default path ("/sys/fs/bpf/NAME") */
	const char *hp = hive_object_map_pin_path(hm), *lp = bpf_map__pin_path(bm);
	if ((hp == NULL) != (lp == NULL) || (hp && strcmp(hp, lp) != 0))
		fail_msg("%s: map '%s': pin path %s in hive, %s in libbpf", what, bpf_map__name(bm), hp ? hp : "(none)",
			 lp ? lp : "(none)");
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
	static const char *const more[] = {"core", "core_target", "core_vmlinux", "kconfig", "pinned"};
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

/* {===== CO-RE instruction by instruction against libbpf
 *
 * libbpf relocates at bpf_object__load, after creating maps, and hands the
 * relocated program to a custom section handler's prog_prepare_load_fn
 * just before BPF_PROG_LOAD. The handler copies those instructions and
 * swaps in `r0 = 0; exit` so that the kernel's verifier (which would refuse
 * reads of a made-up ctx layout) has nothing to object to. */

enum { CAP_MAX = 32, CAP_INSNS = 4096 };
static struct {
	char name[64];
	struct bpf_insn insns[CAP_INSNS];
	size_t cnt;
} cap[CAP_MAX];
static size_t ncap;
static int kconfig_maps;

static int capture(struct bpf_program *prog, struct bpf_prog_load_opts *opts, long cookie)
{
	(void)cookie;
	/* the line and function info describe the real program, not ret0 */
	opts->func_info = NULL;
	opts->func_info_cnt = 0;
	opts->line_info = NULL;
	opts->line_info_cnt = 0;
	size_t n = bpf_program__insn_cnt(prog);
	if (ncap < CAP_MAX && n <= CAP_INSNS) {
		snprintf(cap[ncap].name, sizeof(cap[ncap].name), "%s", bpf_program__name(prog));
		memcpy(cap[ncap].insns, bpf_program__insns(prog), n * sizeof(struct bpf_insn));
		cap[ncap++].cnt = n;
	}
	static const struct bpf_insn ret0[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	return bpf_program__set_insns(prog, (struct bpf_insn *)ret0, 2);
}

/* The name of the libbpf map whose fd is @fd, or "?". */
static const char *libbpf_map_by_fd(struct bpf_object *b, int fd)
{
	struct bpf_map *m;
	bpf_object__for_each_map(m, b)
		if (bpf_map__fd(m) == fd)
			return bpf_map__name(m);
	return "?";
}

/* hive and libbpf link (and, with @core, CO-RE relocate against @target,
 * NULL: vmlinux) @obj_path; the programs libbpf would load must have the
 * same instructions in hive. Returns the number of programs compared. */
static int insns_diff(const char *obj_path, const char *target, bool core, const char *kconfig)
{
	ncap = 0;
	LIBBPF_OPTS(bpf_object_open_opts, bo, .btf_custom_path = target, .kconfig = kconfig);
	struct bpf_object *b = bpf_object__open_file(obj_path, &bo);
	assert_non_null(b);
	struct bpf_program *bp;
	bpf_object__for_each_program(bp, b)
		bpf_program__set_autoload(bp, true); /* "?socket" programs too */
	struct bpf_map *bm;
	bpf_object__for_each_map(bm, b)
		assert_int_equal(bpf_map__set_pin_path(bm, NULL), 0); /* leave the system's bpffs alone */
	int err = bpf_object__load(b);
	if (err)
		fail_msg("libbpf load of %s: %d", obj_path, err);

	char log[2048];
	struct hive_object *h = NULL;
	HIVE_OPTS(hive_object_open_opts, ho, .btf_custom_path = target, .log_buf = log, .log_size = sizeof(log),
		  .kconfig = kconfig);
	if (hive_object_open_file(obj_path, &ho, &h))
		fail_msg("hive open: %s", log);
	/* .kconfig: the same bytes, from the opts' text or the kernel's config */
	struct bpf_map *km;
	bpf_object__for_each_map(km, b) {
		size_t lsz, hsz;
		const char *n = bpf_map__name(km);
		if (strlen(n) < 8 || strcmp(n + strlen(n) - 8, ".kconfig") != 0)
			continue;
		const void *lv = bpf_map__initial_value(km, &lsz);
		const void *hv = hive_object_map_initial_value(hive_object_find_map(h, ".kconfig"), &hsz);
		assert_non_null(lv);
		assert_non_null(hv);
		assert_int_equal(hsz, lsz);
		assert_memory_equal(hv, lv, lsz);
		kconfig_maps++;
	}
	/* linking is done at open; CO-RE needs the load */
	HIVE_OPTS(hive_object_load_opts, lo, .log_buf = log, .log_size = sizeof(log), .unverified = true); /* the CO-RE programs take r1 as plain memory */
	if (core && hive_object_load(h, &lo))
		fail_msg("hive load of %s: %s", obj_path, log);
	int compared = 0;
	for (size_t c = 0; c < ncap; c++) {
		struct hive_program *hp = hive_object_find_program(h, cap[c].name);
		if (!hp)
			fail_msg("%s: hive has no program '%s'", obj_path, cap[c].name);
		size_t cnt;
		const struct hive_insn *hi = hive_program_insns(hp, &cnt);
		if (cnt != cap[c].cnt)
			fail_msg("%s: %s: %zu insns in hive, %zu in libbpf", obj_path, cap[c].name, cnt, cap[c].cnt);
		for (size_t i = 0; i < cnt; i++) {
			const struct bpf_insn *li = &cap[c].insns[i];
			bool map_ld = li->code == (BPF_LD | BPF_IMM | BPF_DW) &&
				      (li->src_reg == BPF_PSEUDO_MAP_FD || li->src_reg == BPF_PSEUDO_MAP_VALUE);
			/* a map's LDDW holds an fd in libbpf, an index in hive:
			 * compare the maps' names instead */
			bool same = hi[i].code == li->code && hi[i].dst_reg == li->dst_reg && hi[i].src_reg == li->src_reg &&
				    hi[i].off == li->off && (map_ld || hi[i].imm == li->imm);
			if (same && map_ld) {
				const char *ln = libbpf_map_by_fd(b, li->imm);
				const char *hn = hive_object_map_name(hive_object_map(h, (size_t)hi[i].imm));
				if (!hn || strcmp(hn, ln) != 0)
					fail_msg("%s: %s: insn %zu: map '%s' in hive, '%s' in libbpf", obj_path, cap[c].name,
						 i, hn ? hn : "?", ln);
			}
			if (!same)
				fail_msg("%s: %s: insn %zu: hive {%02x %u %u %d %d}, libbpf {%02x %u %u %d %d}", obj_path,
					 cap[c].name, i, hi[i].code, hi[i].dst_reg, hi[i].src_reg, hi[i].off, hi[i].imm, li->code,
					 li->dst_reg, li->src_reg, li->off, li->imm);
		}
		compared++;
	}
	hive_object_close(h);
	bpf_object__close(b);
	return compared;
}

static int core_diff(const char *obj_path, const char *target)
{
	return insns_diff(obj_path, target, true, NULL);
}

static void test_core_insns_match_libbpf(void **state)
{
	(void)state;
	if (!corpus_clang(1)) {
		printf("HIVE-SKIP: no clang to build tests/progs\n");
		skip();
	}
	/* libbpf needs bpf() to create maps and load programs */
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, NULL, "GPL",
			       (struct bpf_insn[]){{.code = BPF_ALU64 | BPF_MOV | BPF_K}, {.code = BPF_JMP | BPF_EXIT}}, 2,
			       NULL);
	if (fd < 0) {
		printf("HIVE-SKIP: bpf() not permitted (%d): libbpf cannot relocate\n", fd);
		skip();
	}
	close(fd);
	/* every section of the corpus; the type only matters for ret0 */
	static const char *const secs[] = {"socket", "kprobe+", "xdp", "xdp.frags", "tc", "classifier", "tracepoint+",
					   "uprobe+", "uretprobe+", "raw_tp+", "fentry+", "usdt+", "perf_event", "syscall"};
	enum { NSECS = sizeof(secs) / sizeof(secs[0]) };
	int hid[NSECS];
	LIBBPF_OPTS(libbpf_prog_handler_opts, hopts, .prog_prepare_load_fn = capture);
	for (size_t i = 0; i < NSECS; i++) {
		hid[i] = libbpf_register_prog_handler(secs[i], BPF_PROG_TYPE_SOCKET_FILTER, 0, &hopts);
		assert_true(hid[i] > 0);
	}
	int total = 0;
	for (int cpu = 1; cpu <= 4; cpu++) {
		if (!corpus_clang(cpu))
			continue;
		char target[1200];
		snprintf(target, sizeof(target), "%s", corpus_obj("core_target", cpu, true));
		int n = core_diff(corpus_obj("core", cpu, true), target);
		assert_int_equal(n, 13); /* every program of core.bpf.c, "?socket" ones included */
		total += n;
		if (access("/sys/kernel/btf/vmlinux", R_OK) == 0) {
			n = core_diff(corpus_obj("core_vmlinux", cpu, true), NULL);
			assert_int_equal(n, 3);
			total += n;
		}
	}
	printf("CO-RE: %d programs relocated identically by hive and libbpf\n", total);
	/* linking alone (subprograms, map and global-data LDDW) for the rest */
	/* not here: legacy_maps (libbpf 1.x refuses the "maps" section) */
	static const char *const objs[] = {"xdp_parser", "tc_config", "trace_ringbuf", "subprogs", "map_in_map",
					   "kconfig", "pinned"};
	int linked = 0;
	for (int cpu = 1; cpu <= 4; cpu++)
		for (size_t i = 0; corpus_clang(cpu) && i < sizeof(objs) / sizeof(objs[0]); i++)
			/* -g: libbpf needs BTF for BTF-defined maps */
			linked += insns_diff(corpus_obj(objs[i], cpu, true), NULL, false,
					     strcmp(objs[i], "kconfig") == 0 ? "CONFIG_NUM=12\nCONFIG_BOOL=y\nCONFIG_TRI=m\n" : NULL);
	assert_true(linked > 0);
	printf("linking: %d programs identical in hive and libbpf; %d .kconfig maps equal\n", linked, kconfig_maps);
	assert_true(kconfig_maps > 0);
	for (size_t i = 0; i < NSECS; i++)
		libbpf_unregister_prog_handler(hid[i]);
}

/* }===== */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_matches_libbpf),
		cmocka_unit_test(test_core_vmlinux_matches_libbpf),
		cmocka_unit_test(test_core_insns_match_libbpf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
