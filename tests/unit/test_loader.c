/* The ELF loader on the clang-built corpus (tests/progs): programs, section
 * table, linking, maps, global data, .kconfig, line info, load stub. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hive/hive.h"
#include "loader/messages.h"
#include "isa/isa.h"
#include "loader_corpus.h"

enum { LDDW = ISA_LD | ISA_IMM | ISA_DW, CALL = ISA_JMP | ISA_CALL };

static char logbuf[4096];

static struct hive_object *open_corpus(const char *name, int cpu, bool g, const char *kconfig)
{
	const char *path = corpus_obj(name, cpu, g);
	if (!path)
		return NULL;
	struct hive_object *obj = NULL;
	HIVE_OPTS(hive_object_open_opts, o, .log_buf = logbuf, .log_size = sizeof(logbuf), .kconfig = kconfig);
	int err = hive_object_open_file(path, &o, &obj);
	if (err)
		fail_msg("%s: %d: %s", path, err, logbuf);
	return obj;
}

#define SKIP_NO_CLANG()                                                  \
	do {                                                             \
		if (!corpus_clang(1)) {                                  \
			printf("HIVE-SKIP: no clang to build tests/progs\n"); \
			skip();                                          \
		}                                                        \
	} while (0)

/* Invariants every linked program of every object must hold. */
static void check_linked(const struct hive_object *obj, const struct hive_program *p)
{
	size_t cnt;
	const struct hive_insn *in = hive_program_insns(p, &cnt);
	assert_non_null(in);
	assert_true(cnt > 0);
	assert_true(in[cnt - 1].code == (ISA_JMP | ISA_EXIT) || in[cnt - 1].code == (ISA_JMP | ISA_JA));
	for (size_t pc = 0; pc < cnt; pc++) {
		if (in[pc].code == LDDW) {
			assert_true(pc + 1 < cnt);
			if (in[pc].src_reg == ISA_PSEUDO_MAP_FD) {
				assert_true((size_t)in[pc].imm < hive_object_map_cnt(obj));
				assert_false(hive_object_map_is_internal(hive_object_map(obj, (size_t)in[pc].imm)));
				assert_int_equal(in[pc + 1].imm, 0);
			} else if (in[pc].src_reg == ISA_PSEUDO_MAP_VALUE) {
				const struct hive_object_map *m = hive_object_map(obj, (size_t)in[pc].imm);
				assert_non_null(m);
				assert_true(hive_object_map_is_internal(m));
				assert_true((uint32_t)in[pc + 1].imm <= hive_object_map_value_size(m));
			} else if (in[pc].src_reg == ISA_PSEUDO_FUNC) {
				int64_t t = (int64_t)pc + in[pc].imm + 1;
				assert_true(t > 0 && (size_t)t < cnt);
			} else {
				assert_int_equal(in[pc].src_reg, 0);
			}
			pc++;
		} else if (in[pc].code == CALL && in[pc].src_reg == ISA_PSEUDO_CALL) {
			int64_t t = (int64_t)pc + in[pc].imm + 1;
			assert_true(t >= 0 && (size_t)t < cnt);
		}
	}
}

static void test_corpus_all_variants(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	int variants = 0;
	for (int n = 0; n < CORPUS_N; n++)
		for (int cpu = 1; cpu <= 4; cpu++)
			for (int g = 0; g < 2; g++) {
				if (!corpus_clang(cpu)) {
					printf("note: no clang for -mcpu=v%d (install clang-19)\n", cpu);
					continue;
				}
				/* BTF (hence -g) is needed by .maps and externs, as with libbpf */
				bool needs_btf = n != 1 && n != 3;
				if (!g && needs_btf) {
					struct hive_object *o = NULL;
					HIVE_OPTS(hive_object_open_opts, oo, .log_buf = logbuf, .log_size = sizeof(logbuf));
					assert_int_equal(hive_object_open_file(corpus_obj(corpus_names[n], cpu, g), &oo, &o),
							 -EINVAL);
					assert_null(o);
					assert_non_null(strstr(logbuf, LDR_E_NEEDS_BTF));
					variants++;
					continue;
				}
				struct hive_object *obj = open_corpus(corpus_names[n], cpu, g, NULL);
				assert_non_null(obj);
				assert_true(hive_object_prog_cnt(obj) > 0);
				assert_string_equal(hive_object_license(obj) , n == 1 ? "Dual BSD/GPL" : "GPL");
				for (size_t i = 0; i < hive_object_prog_cnt(obj); i++)
					check_linked(obj, hive_object_prog(obj, i));
				hive_object_close(obj);
				variants++;
			}
	assert_true(variants >= CORPUS_N * 6);
}

static int map_index(const struct hive_object *obj, const char *name)
{
	for (size_t i = 0; i < hive_object_map_cnt(obj); i++)
		if (strcmp(hive_object_map_name(hive_object_map(obj, i)), name) == 0)
			return (int)i;
	return -1;
}

/* Does @p reference map @idx (src = @src)? */
static bool refs_map(const struct hive_program *p, int idx, int src)
{
	size_t cnt;
	const struct hive_insn *in = hive_program_insns(p, &cnt);
	for (size_t pc = 0; pc + 1 < cnt; pc++)
		if (in[pc].code == LDDW && in[pc].src_reg == src && in[pc].imm == idx)
			return true;
	return false;
}

static void test_xdp_parser(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	struct hive_object *obj = open_corpus("xdp_parser", 2, true, NULL);
	assert_int_equal(hive_object_prog_cnt(obj), 2);
	struct hive_program *p = hive_object_find_program(obj, "xdp_count");
	assert_non_null(p);
	assert_string_equal(hive_program_section(p), "xdp");
	assert_int_equal(hive_program_type(p), HIVE_PROG_XDP);
	assert_int_equal(hive_program_attach_type(p), HIVE_ATTACH_XDP);
	assert_true(hive_program_autoload(p));
	struct hive_program *d = hive_object_find_program(obj, "xdp_drop_all");
	assert_string_equal(hive_program_section(d), "xdp.frags");
	assert_int_equal(hive_program_type(d), HIVE_PROG_XDP);
	assert_null(hive_object_find_program(obj, "parse_udp"));

	struct hive_object_map *flows = hive_object_find_map(obj, "flows");
	assert_non_null(flows);
	assert_int_equal(hive_object_map_type(flows), HIVE_MAP_HASH);
	assert_int_equal(hive_object_map_key_size(flows), 4);
	assert_int_equal(hive_object_map_value_size(flows), 16);
	assert_int_equal(hive_object_map_max_entries(flows), 1024);
	assert_true(hive_object_map_btf_value_type_id(flows) > 0);
	struct hive_object_map *drops = hive_object_find_map(obj, "drops");
	assert_int_equal(hive_object_map_type(drops), HIVE_MAP_PERCPU_ARRAY);
	assert_int_equal(hive_object_map_key_size(drops), 4);
	assert_int_equal(hive_object_map_value_size(drops), 8);
	assert_int_equal(hive_object_map_btf_value_type_id(drops), 0); /* sizes only */
	assert_true(refs_map(p, map_index(obj, "flows"), ISA_PSEUDO_MAP_FD));
	assert_true(refs_map(p, map_index(obj, "drops"), ISA_PSEUDO_MAP_FD));
	assert_false(hive_object_map_is_internal(flows));
	assert_null(hive_object_map_initial_value(flows, NULL));

	/* set before load */
	assert_int_equal(hive_object_map_set_max_entries(flows, 4096), 0);
	assert_int_equal(hive_object_map_max_entries(flows), 4096);
	assert_int_equal(hive_object_map_set_flags(flows, 1), 0);
	assert_int_equal(hive_object_map_flags(flows), 1);
	hive_object_close(obj);
}

static void test_tc_config_rodata(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	struct hive_object *obj = open_corpus("tc_config", 3, true, NULL);
	struct hive_program *p = hive_object_find_program(obj, "tc_mark");
	assert_int_equal(hive_program_type(p), HIVE_PROG_SCHED_CLS);
	assert_int_equal(hive_program_attach_type(p), HIVE_ATTACH_NONE);
	assert_int_equal(hive_program_type(hive_object_find_program(obj, "tc_classify")), HIVE_PROG_SCHED_CLS);

	struct hive_object_map *ro = hive_object_find_map(obj, ".rodata");
	assert_non_null(ro);
	assert_string_equal(hive_object_map_name(ro), "tc_confi.rodata"); /* libbpf's 8 + 7 */
	assert_true(hive_object_map_is_internal(ro));
	assert_int_equal(hive_object_map_type(ro), HIVE_MAP_ARRAY);
	assert_int_equal(hive_object_map_max_entries(ro), 1);
	assert_int_equal(hive_object_map_key_size(ro), 4);
	assert_int_equal(hive_object_map_flags(ro), 0x80 | 0x400); /* RDONLY_PROG | MMAPABLE */
	size_t sz;
	const uint8_t *init = hive_object_map_initial_value(ro, &sz);
	assert_int_equal(sz, hive_object_map_value_size(ro));
	assert_true(sz >= 21);
	/* cfg_mark = 7, cfg_enabled = 1, cfg_name = "hive" somewhere in it */
	bool seen7 = false, seen_hive = false;
	for (size_t i = 0; i + 4 <= sz; i++) {
		uint32_t v;
		memcpy(&v, init + i, 4);
		seen7 |= i % 4 == 0 && v == 7;
		seen_hive |= memcmp(init + i, "hive", 4) == 0;
	}
	assert_true(seen7 && seen_hive);
	int ri = map_index(obj, "tc_confi.rodata");
	assert_true(refs_map(p, ri, ISA_PSEUDO_MAP_VALUE));

	struct hive_object_map *data = hive_object_find_map(obj, ".data");
	assert_string_equal(hive_object_map_name(data), "tc_confi.data");
	assert_int_equal(hive_object_map_flags(data), 0x400);
	uint64_t seen;
	memcpy(&seen, hive_object_map_initial_value(data, NULL), 8);
	assert_int_equal(seen, 3);
	struct hive_object_map *custom = hive_object_find_map(obj, ".data.custom");
	assert_non_null(custom);
	assert_string_equal(hive_object_map_name(custom), ".data.custom");
	assert_true(refs_map(p, map_index(obj, ".data.custom"), ISA_PSEUDO_MAP_VALUE));

	/* initial value: exact size only, before load */
	uint8_t buf[64] = {0};
	assert_int_equal(hive_object_map_set_initial_value(ro, buf, sz + 1), -EINVAL);
	assert_int_equal(hive_object_map_set_initial_value(ro, buf, sz), 0);
	assert_int_equal(((const uint8_t *)hive_object_map_initial_value(ro, NULL))[0], 0);
	assert_int_equal(hive_object_map_set_initial_value(hive_object_find_map(obj, "nope"), buf, 1), -EINVAL);
	assert_int_equal(hive_object_map_set_max_entries(ro, 2), -EINVAL);
	hive_object_close(obj);
}

static void test_trace_sections_kconfig(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	struct hive_object *obj = open_corpus("trace_ringbuf", 3, true, "CONFIG_HZ=250\nCONFIG_BPF_SYSCALL=y\nCONFIG_OTHER=y\n");
	assert_int_equal(hive_object_kversion(obj), 0x050f00);
	static const struct {
		const char *name, *sec, *target;
		enum hive_prog_type type;
		int attach;
	} want[] = {
		{"trace_open", "kprobe/do_sys_openat2", "do_sys_openat2", HIVE_PROG_KPROBE, HIVE_ATTACH_NONE},
		{"trace_exec", "tracepoint/syscalls/sys_enter_execve", "syscalls/sys_enter_execve", HIVE_PROG_TRACEPOINT, HIVE_ATTACH_NONE},
		{"trace_uprobe", "uprobe", "", HIVE_PROG_KPROBE, HIVE_ATTACH_NONE},
		{"trace_uretprobe", "uretprobe/libc.so.6:malloc", "libc.so.6:malloc", HIVE_PROG_KPROBE, HIVE_ATTACH_NONE},
		{"trace_raw", "raw_tp/sched_switch", "sched_switch", HIVE_PROG_RAW_TRACEPOINT, HIVE_ATTACH_NONE},
		{"trace_fentry", "fentry/do_unlinkat", "do_unlinkat", HIVE_PROG_TRACING, HIVE_ATTACH_TRACE_FENTRY},
		{"trace_usdt", "usdt/./app:provider:probe", "./app:provider:probe", HIVE_PROG_KPROBE, HIVE_ATTACH_NONE},
		{"trace_perf", "perf_event", "", HIVE_PROG_PERF_EVENT, HIVE_ATTACH_NONE},
		{"run_syscall", "syscall", "", HIVE_PROG_SYSCALL, HIVE_ATTACH_NONE},
		{"off_by_default", "socket", "", HIVE_PROG_SOCKET_FILTER, HIVE_ATTACH_NONE},
	};
	assert_int_equal(hive_object_prog_cnt(obj), sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct hive_program *p = hive_object_find_program(obj, want[i].name);
		assert_non_null(p);
		assert_string_equal(hive_program_section(p), want[i].sec);
		assert_string_equal(hive_program_attach_target(p), want[i].target);
		assert_int_equal(hive_program_type(p), want[i].type);
		assert_int_equal(hive_program_attach_type(p), want[i].attach);
		assert_int_equal(hive_program_autoload(p), strcmp(want[i].name, "off_by_default") != 0);
	}
	assert_true(hive_program_is_sleepable(hive_object_find_program(obj, "run_syscall")));

	struct hive_object_map *rb = hive_object_find_map(obj, "events");
	assert_int_equal(hive_object_map_type(rb), HIVE_MAP_RINGBUF);
	assert_int_equal(hive_object_map_max_entries(rb), 256 * 1024);
	struct hive_object_map *bss = hive_object_find_map(obj, ".bss");
	assert_int_equal(hive_object_map_value_size(bss), 24);
	size_t sz;
	const uint8_t *z = hive_object_map_initial_value(bss, &sz);
	for (size_t i = 0; i < sz; i++)
		assert_int_equal(z[i], 0);

	struct hive_object_map *kc = hive_object_find_map(obj, ".kconfig");
	assert_non_null(kc);
	assert_true(hive_object_map_is_internal(kc));
	/* two u32 and a bool, laid out in symbol order with natural alignment */
	const uint8_t *kv = hive_object_map_initial_value(kc, &sz);
	assert_true(sz == 9 || sz == 12);
	int hz = 0, kver = 0, one = 0;
	for (size_t i = 0; i < sz; i++) {
		uint32_t v = 0;
		if (i % 4 == 0 && i + 4 <= sz) {
			memcpy(&v, kv + i, 4);
			hz += v == 250;
			kver += v > 0x20000;
		}
		one += kv[i] == 1 && (i + 1 == sz || i == 0);
	}
	/* LINUX_KERNEL_VERSION from uname, CONFIG_HZ and CONFIG_BPF_SYSCALL from the opts */
	assert_int_equal(hz, 1);
	assert_int_equal(kver, 1);
	assert_int_equal(one, 1);
	int ki = map_index(obj, hive_object_map_name(kc));
	assert_true(refs_map(hive_object_find_program(obj, "trace_open"), ki, ISA_PSEUDO_MAP_VALUE));
	/* the subprogram 'emit' is linked into both programs that call it */
	struct hive_line_info li;
	size_t cnt;
	hive_program_insns(hive_object_find_program(obj, "trace_exec"), &cnt);
	assert_int_equal(hive_program_line(hive_object_find_program(obj, "trace_exec"), cnt - 1, &li), 0);
	assert_string_equal(li.func, "emit");
	hive_object_close(obj);

	/* a bad kconfig value is refused at open, naming the extern */
	struct hive_object *bad = NULL;
	HIVE_OPTS(hive_object_open_opts, o, .log_buf = logbuf, .log_size = sizeof(logbuf), .kconfig = "CONFIG_HZ=abc\n");
	assert_int_equal(hive_object_open_file(corpus_obj("trace_ringbuf", 3, true), &o, &bad), -EINVAL);
	assert_null(bad);
	assert_non_null(strstr(logbuf, "CONFIG_HZ"));
}

static void test_subprogs_and_lines(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	for (int cpu = 1; cpu <= 3; cpu++) {
		struct hive_object *obj = open_corpus("subprogs", cpu, true, NULL);
		assert_int_equal(hive_object_prog_cnt(obj), 3);
		/* two programs in one section, by symbol, in offset order */
		assert_string_equal(hive_program_name(hive_object_prog(obj, 0)), "sock_a");
		assert_string_equal(hive_program_name(hive_object_prog(obj, 1)), "sock_b");
		assert_null(hive_object_find_program(obj, "add3")); /* .text functions are subprograms */
		struct hive_program *a = hive_object_find_program(obj, "sock_a");
		size_t cnt;
		const struct hive_insn *in = hive_program_insns(a, &cnt);
		/* sock_a calls add3 and chain; chain calls add3 and twice: each once */
		int funcs = 0;
		const char *seen[8] = {0};
		for (size_t pc = 0; pc < cnt; pc++) {
			struct hive_line_info li;
			int r = hive_program_line(a, pc, &li);
			assert_true(r == 0 || r == -ENOENT);
			if (pc == 0 || strcmp(li.func, seen[funcs - 1]) != 0) {
				for (int k = 0; k < funcs; k++)
					assert_string_not_equal(seen[k], li.func);
				seen[funcs++] = li.func;
			}
		}
		assert_int_equal(funcs, 4);
		assert_non_null(in);
		struct hive_line_info li;
		assert_int_equal(hive_program_line(a, 0, &li), 0);
		assert_non_null(strstr(li.file, "subprogs.bpf.c"));
		assert_non_null(strstr(li.source, "add3(skb->len)"));
		assert_true(li.line > 20);
		assert_int_equal(hive_program_line(a, cnt, &li), -ERANGE);
		/* the callback of bpf_loop is a PSEUDO_FUNC LDDW */
		struct hive_program *x = hive_object_find_program(obj, "xdp_loop");
		in = hive_program_insns(x, &cnt);
		bool cb = false;
		for (size_t pc = 0; pc + 1 < cnt; pc++)
			if (in[pc].code == LDDW && in[pc].src_reg == ISA_PSEUDO_FUNC) {
				struct hive_line_info t;
				hive_program_line(x, pc + in[pc].imm + 1, &t);
				assert_string_equal(t.func, "loop_cb");
				cb = true;
			}
		assert_true(cb);
		hive_object_close(obj);
	}
	/* without -g: no line info, same code */
	struct hive_object *obj = open_corpus("subprogs", 2, false, NULL);
	struct hive_line_info li;
	assert_int_equal(hive_program_line(hive_object_prog(obj, 0), 0, &li), -ENOENT);
	assert_string_equal(li.func, "sock_a");
	hive_object_close(obj);
}

static void test_map_in_map(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	struct hive_object *obj = open_corpus("map_in_map", 3, true, NULL);
	struct hive_object_map *outer = hive_object_find_map(obj, "outer");
	assert_int_equal(hive_object_map_type(outer), HIVE_MAP_ARRAY_OF_MAPS);
	assert_int_equal(hive_object_map_value_size(outer), 4);
	assert_int_equal(hive_object_map_max_entries(outer), 4);
	const struct hive_object_map *inner = hive_object_map_inner(outer);
	assert_non_null(inner);
	assert_string_equal(hive_object_map_name(inner), "outer.inner");
	assert_int_equal(hive_object_map_type(inner), HIVE_MAP_ARRAY);
	assert_int_equal(hive_object_map_max_entries(inner), 8);
	assert_int_equal(hive_object_map_init_slot(outer, 0), map_index(obj, "inner_a"));
	assert_int_equal(hive_object_map_init_slot(outer, 1), -1);
	assert_int_equal(hive_object_map_init_slot(outer, 2), map_index(obj, "inner_b"));
	assert_int_equal(hive_object_map_init_slot(outer, 3), -1);
	assert_int_equal(hive_object_map_init_slot(outer, 99), -1);
	struct hive_object_map *oh = hive_object_find_map(obj, "outer_hash");
	assert_int_equal(hive_object_map_type(oh), HIVE_MAP_HASH_OF_MAPS);
	assert_int_equal(hive_object_map_key_size(oh), 8);
	assert_int_equal(hive_object_map_type(hive_object_map_inner(oh)), HIVE_MAP_HASH);
	assert_int_equal(hive_object_map_max_entries(hive_object_map_inner(oh)), 32);
	struct hive_object_map *jt = hive_object_find_map(obj, "jmp_table");
	assert_int_equal(hive_object_map_type(jt), HIVE_MAP_PROG_ARRAY);
	assert_int_equal(hive_object_map_value_size(jt), 4);
	assert_null(hive_object_map_inner(jt));
	assert_int_equal(hive_object_map_init_slot(jt, 0), -1);
	int tp = hive_object_map_init_slot(jt, 1);
	assert_true(tp >= 0);
	assert_string_equal(hive_program_name(hive_object_prog(obj, (size_t)tp)), "tail_a");
	struct hive_object_map *pn = hive_object_find_map(obj, "pinned");
	assert_int_equal(hive_object_map_pinning(pn), 1);
	assert_int_equal(hive_object_map_flags(pn), 2);
	assert_int_equal(hive_object_map_type(pn), HIVE_MAP_LRU_HASH);
	hive_object_close(obj);
}

static int ringbuf_cb(void *ctx, void *data, size_t size)
{
	struct { int n; uint32_t pid; } *seen = ctx;
	assert_true(size >= 8);
	memcpy(&seen->pid, data, 4);
	seen->n++;
	return 0;
}

/* ELF -> link -> maps created with their initial values -> VM -> run. */
static void test_load_and_run(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	char lb[1024];
	HIVE_OPTS(hive_object_load_opts, o, .log_buf = lb, .log_size = sizeof(lb));
	for (int run = 0; run < 8; run++) {
		int cpu = 1 + run / 2;
		o.checked = run % 2 == 0;
		if (!corpus_clang(cpu))
			continue;
		/* tc: .rodata config and .data counters through map value pointers */
		struct hive_object *obj = open_corpus("tc_config", cpu, true, NULL);
		struct hive_object_map *ro = hive_object_find_map(obj, ".rodata");
		size_t sz;
		uint8_t *cfg = malloc(hive_object_map_value_size(ro));
		const void *init = hive_object_map_initial_value(ro, &sz);
		memcpy(cfg, init, sz);
		cfg[0] = 10; /* cfg_mark: first in .rodata */
		assert_int_equal(hive_object_map_set_initial_value(ro, cfg, sz), 0);
		free(cfg);
		if (hive_object_load(obj, &o))
			fail_msg("load: %s", lb);
		assert_int_equal(hive_object_load(obj, &o), -EBUSY);
		assert_int_equal(hive_object_map_set_max_entries(hive_object_find_map(obj, ".data"), 3), -EBUSY);
		struct hive_program *p = hive_object_find_program(obj, "tc_mark");
		assert_non_null(hive_program_prog(p));
		uint32_t skb[48] = {0}; /* struct __sk_buff: mark at byte 8 */
		uint64_t ret = 99;
		assert_int_equal(hive_prog_run_mem(hive_program_prog(p), skb, sizeof(skb), &ret), 0);
		assert_int_equal(ret, 0); /* TC_ACT_OK */
		assert_int_equal(skb[2], 10 + 'i');
		uint32_t zero = 0;
		uint64_t seen = 0;
		assert_int_equal(hive_map_lookup(hive_object_map_map(hive_object_find_map(obj, ".data")), &zero, &seen), 0);
		assert_int_equal(seen, 4);
		uint64_t custom = 0;
		assert_int_equal(hive_map_lookup(hive_object_map_map(hive_object_find_map(obj, ".data.custom")), &zero, &custom), 0);
		assert_int_equal(custom, 11);
		hive_object_close(obj);

		/* subprograms: static and global functions, two programs in one section */
		obj = open_corpus("subprogs", cpu, true, NULL);
		hive_program_set_autoload(hive_object_find_program(obj, "xdp_loop"), false); /* needs bpf_loop */
		if (hive_object_load(obj, &o))
			fail_msg("load: %s", lb);
		assert_null(hive_program_prog(hive_object_find_program(obj, "xdp_loop")));
		uint32_t len[48] = {21};
		assert_int_equal(hive_prog_run_mem(hive_program_prog(hive_object_find_program(obj, "sock_b")), len, sizeof(len), &ret), 0);
		assert_int_equal(ret, 42);
		assert_int_equal(hive_prog_run_mem(hive_program_prog(hive_object_find_program(obj, "sock_a")), len, sizeof(len), &ret), 0);
		assert_int_equal(ret, 21 + 3 + 8);
		hive_object_close(obj);
	}

	/* helpers must be registered; with them the hash-map program loads */
	struct hive_object *obj = open_corpus("xdp_parser", 3, true, NULL);
	assert_int_equal(hive_object_load(obj, &o), -EINVAL);
	assert_non_null(strstr(lb, "prog 'xdp_count'"));
	assert_null(hive_object_map_map(hive_object_find_map(obj, "flows"))); /* unwound */
	struct hive_env *env;
	assert_int_equal(hive_env_new(&env), 0);
	assert_int_equal(hive_helpers_install(env, NULL), 0);
	HIVE_OPTS(hive_object_load_opts, oe, .log_buf = lb, .log_size = sizeof(lb), .env = env);
	if (hive_object_load(obj, &oe))
		fail_msg("load: %s", lb);
	struct hive_map *flows = hive_object_map_map(hive_object_find_map(obj, "flows"));
	assert_non_null(flows);
	assert_int_equal(hive_map_max_entries(flows), 1024);
	assert_int_equal(hive_map_value_size(flows), 16);
	hive_object_close(obj);

	/* tracing: ring buffer events, .bss counters, .kconfig values, a subprogram */
	obj = open_corpus("trace_ringbuf", 3, true, "CONFIG_BPF_SYSCALL=y\n");
	hive_program_set_autoload(hive_object_find_program(obj, "trace_uprobe"), true);
	if (hive_object_load(obj, &oe))
		fail_msg("load: %s", lb);
	uint8_t ctx[64] = {0};
	uint64_t ret = 0;
	assert_int_equal(hive_prog_run_mem(hive_program_prog(hive_object_find_program(obj, "trace_open")), ctx, sizeof(ctx), &ret), 0);
	assert_int_equal(ret, 1);
	assert_int_equal(hive_prog_run_mem(hive_program_prog(hive_object_find_program(obj, "trace_exec")), ctx, sizeof(ctx), &ret), 0);
	uint64_t bss[3] = {0};
	uint32_t zero = 0;
	assert_int_equal(hive_map_lookup(hive_object_map_map(hive_object_find_map(obj, ".bss")), &zero, bss), 0);
	assert_int_equal(bss[0] + bss[1], 2); /* n_open, n_exec (in some order) */
	struct ev { uint32_t pid; uint32_t pad; uint64_t ts; char comm[16]; };
	struct { int n; uint32_t pid; } seen = {0, 0};
	int got = hive_ringbuf_consume(hive_object_map_map(hive_object_find_map(obj, "events")), ringbuf_cb, &seen);
	assert_int_equal(got, 2);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.pid, (uint32_t)getpid());
	hive_object_close(obj);
	hive_env_free(env);

	/* a program whose section names no type is refused at load, not open */
	obj = open_corpus("tc_config", 1, false, NULL);
	assert_int_equal(hive_program_set_type(hive_object_prog(obj, 0), HIVE_PROG_UNSPEC), 0);
	assert_int_equal(hive_object_load(obj, &o), -EINVAL);
	assert_non_null(strstr(lb, LDR_E_NO_PROG_TYPE));
	hive_object_close(obj);

	/* strong .kconfig extern without a value: refused at load (an empty
	 * kernel config, else the running kernel's would give it) */
	HIVE_OPTS(hive_object_open_opts, oo, .kconfig_path = "/dev/null");
	obj = NULL;
	assert_int_equal(hive_object_open_file(corpus_obj("trace_ringbuf", 1, true), &oo, &obj), 0);
	assert_int_equal(hive_object_load(obj, &o), -ENOENT);
	assert_non_null(strstr(lb, "CONFIG_BPF_SYSCALL"));
	hive_object_close(obj);

	/* map-in-map slots and a prog-array slot (`.values`) are filled at
	 * load: mim's tail call reaches tail_a (XDP_PASS); without it, with
	 * outer_hash empty, mim would return XDP_DROP */
	assert_int_equal(hive_env_new(&env), 0);
	assert_int_equal(hive_helpers_install(env, NULL), 0);
	oe.env = env;
	obj = open_corpus("map_in_map", 3, true, NULL);
	if (hive_object_load(obj, &oe))
		fail_msg("map_in_map: %s", lb);
	uint8_t pkt[64] = {0};
	HIVE_OPTS(hive_test_run_opts, tr, .data_in = pkt, .data_size_in = sizeof(pkt));
	assert_int_equal(hive_program_test_run(hive_object_find_program(obj, "mim"), &tr), 0);
	assert_int_equal(tr.retval, 2);
	hive_object_close(obj);
	hive_env_free(env);
}

static void test_open_mem_and_opts(void **state)
{
	(void)state;
	SKIP_NO_CLANG();
	size_t size = 0;
	void *buf = corpus_read(corpus_obj("xdp_parser", 1, true), &size);
	assert_non_null(buf);
	struct hive_object *obj = NULL;
	HIVE_OPTS(hive_object_open_opts, o, .object_name = "myobj");
	assert_int_equal(hive_object_open_mem(buf, size, &o, &obj), 0);
	assert_string_equal(hive_object_name(obj), "myobj");
	hive_object_close(obj);
	assert_int_equal(hive_object_open_mem(buf, size, NULL, &obj), 0);
	hive_object_close(obj);
	free(buf);

	/* opts with a larger sz and non-zero unknown bytes are refused */
	struct {
		struct hive_object_open_opts o;
		uint64_t extra;
	} big = {{.sz = sizeof(big)}, 1};
	assert_int_equal(hive_object_open_file(corpus_obj("tc_config", 1, false), &big.o, &obj), -EINVAL);
	big.extra = 0;
	assert_int_equal(hive_object_open_file(corpus_obj("tc_config", 1, false), &big.o, &obj), 0);
	assert_string_equal(hive_object_name(obj), "tc_config_v1");
	hive_object_close(obj);
	struct hive_object_open_opts tiny = {.sz = 2};
	assert_int_equal(hive_object_open_file("/nonexistent", &tiny, &obj), -EINVAL);
	assert_int_equal(hive_object_open_file("/nonexistent/x.o", NULL, &obj), -ENOENT);
	assert_int_equal(hive_object_open_mem(NULL, 0, NULL, &obj), -EINVAL);
	hive_object_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_all_variants),
		cmocka_unit_test(test_xdp_parser),
		cmocka_unit_test(test_tc_config_rodata),
		cmocka_unit_test(test_trace_sections_kconfig),
		cmocka_unit_test(test_subprogs_and_lines),
		cmocka_unit_test(test_map_in_map),
		cmocka_unit_test(test_load_and_run),
		cmocka_unit_test(test_open_mem_and_opts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
