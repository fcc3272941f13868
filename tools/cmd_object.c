/* hive prog show OBJ, hive map show OBJ, hive objdump OBJ: an object file
 * as the loader sees it (programs after linking, maps, source lines). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hive/hive.h"
#include "isa/isa.h"
#include "cmd.h"

static const char *const obj_prog_types[] = {
	"unspec", "socket_filter", "kprobe", "sched_cls", "sched_act", "tracepoint", "xdp",
	"perf_event", "cgroup_skb", "cgroup_sock", "lwt_in", "lwt_out", "lwt_xmit", "sock_ops",
	"sk_skb", "cgroup_device", "sk_msg", "raw_tracepoint", "cgroup_sock_addr", "lwt_seg6local",
	"lirc_mode2", "sk_reuseport", "flow_dissector", "cgroup_sysctl", "raw_tracepoint_writable",
	"cgroup_sockopt", "tracing", "struct_ops", "ext", "lsm", "sk_lookup", "syscall", "netfilter",
};

static const char *const obj_map_types[] = {
	[0] = "unspec", [1] = "hash", [2] = "array", [3] = "prog_array", [4] = "perf_event_array",
	[5] = "percpu_hash", [6] = "percpu_array", [7] = "stack_trace", [8] = "cgroup_array",
	[9] = "lru_hash", [10] = "lru_percpu_hash", [11] = "lpm_trie", [12] = "array_of_maps",
	[13] = "hash_of_maps", [14] = "devmap", [15] = "sockmap", [16] = "cpumap", [17] = "xskmap",
	[18] = "sockhash", [19] = "cgroup_storage", [20] = "reuseport_sockarray",
	[21] = "percpu_cgroup_storage", [22] = "queue", [23] = "stack", [24] = "sk_storage",
	[25] = "devmap_hash", [26] = "struct_ops", [27] = "ringbuf", [28] = "inode_storage",
	[29] = "task_storage", [30] = "bloom_filter", [31] = "user_ringbuf", [32] = "cgrp_storage",
	[33] = "arena",
};

static const char *obj_prog_type_name(unsigned t)
{
	return t < sizeof(obj_prog_types) / sizeof(*obj_prog_types) ? obj_prog_types[t] : "?";
}

static const char *obj_map_type_name(unsigned t)
{
	const char *n = t < sizeof(obj_map_types) / sizeof(*obj_map_types) ? obj_map_types[t] : NULL;
	return n ? n : "?";
}

static int obj_open(const char *path, struct hive_object **obj)
{
	char log[2048] = "";
	HIVE_OPTS(hive_object_open_opts, o, .log_buf = log, .log_size = sizeof(log));
	int err = hive_object_open_file(path, &o, obj);
	if (err)
		fprintf(stderr, "hive: %s: %s\n%s", path, strerror(-err), log);
	return err;
}

static int obj_usage(const char *what)
{
	fprintf(stderr, "usage: hive %s OBJECT.o\n", what);
	return 2;
}

int cmd_prog(int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "show") != 0)
		return obj_usage("prog show");
	struct hive_object *obj;
	if (obj_open(argv[2], &obj))
		return 1;
	printf("object %s  license \"%s\"  kversion 0x%x\n", hive_object_name(obj), hive_object_license(obj),
	       hive_object_kversion(obj));
	for (size_t i = 0; i < hive_object_prog_cnt(obj); i++) {
		const struct hive_program *p = hive_object_prog(obj, i);
		size_t cnt;
		hive_program_insns(p, &cnt);
		int at = hive_program_attach_type(p);
		printf("%zu: %s  name %s  section %s  insns %zu", i, obj_prog_type_name(hive_program_type(p)),
		       hive_program_name(p), hive_program_section(p), cnt);
		if (at != HIVE_ATTACH_NONE)
			printf("  attach_type %d", at);
		if (*hive_program_attach_target(p))
			printf("  target %s", hive_program_attach_target(p));
		if (!hive_program_autoload(p))
			printf("  autoload off");
		if (hive_program_is_sleepable(p))
			printf("  sleepable");
		printf("\n");
	}
	hive_object_close(obj);
	return 0;
}

static void obj_print_map(const struct hive_object_map *m, const char *indent)
{
	printf("%s%s  name %s  key %u  value %u  max_entries %u  flags 0x%x", indent,
	       obj_map_type_name(hive_object_map_type(m)), hive_object_map_name(m), hive_object_map_key_size(m),
	       hive_object_map_value_size(m), hive_object_map_max_entries(m), hive_object_map_flags(m));
	if (hive_object_map_numa_node(m))
		printf("  numa %u", hive_object_map_numa_node(m));
	if (hive_object_map_pinning(m))
		printf("  pinned by name");
	if (hive_object_map_extra(m))
		printf("  extra %" PRIu64, hive_object_map_extra(m));
	if (hive_object_map_is_internal(m))
		printf("  internal");
	printf("\n");
}

int cmd_map(int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "show") != 0)
		return obj_usage("map show");
	struct hive_object *obj;
	if (obj_open(argv[2], &obj))
		return 1;
	for (size_t i = 0; i < hive_object_map_cnt(obj); i++) {
		const struct hive_object_map *m = hive_object_map(obj, i);
		printf("%zu: ", i);
		obj_print_map(m, "");
		if (hive_object_map_inner(m))
			obj_print_map(hive_object_map_inner(m), "   inner: ");
		for (uint32_t s = 0; s < hive_object_map_max_entries(m); s++)
			if (hive_object_map_init_slot(m, s) >= 0) {
				int v = hive_object_map_init_slot(m, s);
				if (hive_object_map_type(m) == HIVE_MAP_PROG_ARRAY)
					printf("   [%u] = prog %s\n", s, hive_program_name(hive_object_prog(obj, (size_t)v)));
				else
					printf("   [%u] = map %s\n", s, hive_object_map_name(hive_object_map(obj, (size_t)v)));
			}
	}
	hive_object_close(obj);
	return 0;
}

int cmd_objdump(int argc, char **argv)
{
	const char *path = NULL, *only = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--prog") && i + 1 < argc)
			only = argv[++i];
		else if (!path && argv[i][0] != '-')
			path = argv[i];
		else
			return obj_usage("disasm [--prog NAME]");
	}
	if (!path)
		return obj_usage("disasm [--prog NAME]");
	struct hive_object *obj;
	if (obj_open(path, &obj))
		return 1;
	int found = 0;
	for (size_t i = 0; i < hive_object_prog_cnt(obj); i++) {
		const struct hive_program *p = hive_object_prog(obj, i);
		if (only && strcmp(hive_program_name(p), only))
			continue;
		found++;
		size_t cnt;
		const struct hive_insn *in = hive_program_insns(p, &cnt);
		printf("%s<%s> (section %s):\n", i ? "\n" : "", hive_program_name(p), hive_program_section(p));
		const char *last_func = NULL;
		uint32_t last_line = 0;
		const char *last_file = NULL;
		for (size_t pc = 0; pc < cnt; pc++) {
			struct hive_line_info li;
			int lr = hive_program_line(p, pc, &li);
			if (li.func && (!last_func || strcmp(li.func, last_func) != 0) && pc) {
				printf("%s:\n", li.func);
			}
			last_func = li.func;
			if (lr == 0 && (li.line != last_line || li.file != last_file)) {
				printf("; %s  [%s:%u]\n", li.source, li.file, li.line);
				last_line = li.line;
				last_file = li.file;
			}
			char text[160];
			if (hive_disasm_insn(in, cnt, pc, text, sizeof(text)) < 0)
				snprintf(text, sizeof(text), "<invalid>");
			printf("%6zu: %02x %x %x %6d %11d  %s\n", pc, in[pc].code, in[pc].dst_reg, in[pc].src_reg, in[pc].off,
			       in[pc].imm, text);
			if (in[pc].code == (ISA_LD | ISA_IMM | ISA_DW) && pc + 1 < cnt) {
				pc++;
				printf("%6zu: %02x %x %x %6d %11d\n", pc, in[pc].code, in[pc].dst_reg, in[pc].src_reg,
				       in[pc].off, in[pc].imm);
			}
		}
	}
	hive_object_close(obj);
	if (only && !found) {
		fprintf(stderr, "hive disasm: %s: no program named '%s'\n", path, only);
		return 1;
	}
	return 0;
}
