/* hive map dump OBJ.o MAP (or OBJ.o.MAP): load an object's maps, seed
 * them (--maps FILE.json, as hive xdp), optionally run a program first
 * (--run NAME, as hive test-run), and print one map's elements as
 * `bpftool map dump -j` does:
 *
 *   [{"key":["0x01","0x00",...],"value":["0x2a",...]}, ...]
 *   per-CPU maps: "values":[{"cpu":0,"value":[...]}, ...]
 *   with BTF for the key and value: "formatted":{"key":...,"value":...}
 *
 * Elements come in get_next_key order. Maps without keys (queue, stack,
 * bloom filter, ring buffers) cannot be walked without consuming them and
 * are refused, naming the type. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hive/hive.h"
#include "loader/loader.h"
#include "cmd.h"

static int dump_usage(void)
{
	fprintf(stderr, "usage: hive map dump OBJ.o MAP | OBJ.o.MAP [--maps FILE.json] [--run PROG [--data FILE]\n"
			"       [--type T] [--repeat N]] [--jit] [--no-formatted]\n"
			"  --maps: seed maps first ({\"MAP\": [{\"key\": \"HEX\", \"value\": \"HEX\"}]})\n"
			"  --run: run PROG once (or N times) as test-run does, then dump\n");
	return 2;
}

/* {===== BTF-formatted values, as bpftool's btf_dumper */

static void fmt_value(const struct btf *btf, uint32_t id, const uint8_t *data, uint32_t bit_off, uint32_t bits,
		      int depth);

static void fmt_hex_bytes(const uint8_t *p, size_t n)
{
	printf("\"0x");
	for (size_t i = n; i-- > 0;) /* little-endian: most significant first */
		printf("%02x", p[i]);
	printf("\"");
}

/* An integer (or a bitfield of @bits at @bit_off) of @size bytes. */
static void fmt_int(const struct btf_t *t, const uint8_t *data, uint32_t bit_off, uint32_t bits)
{
	uint32_t enc = *(const uint32_t *)btf_extra(t);
	uint32_t size = t->size_type, nbits = bits ? bits : enc & 0xff;
	bit_off += (enc >> 16) & 0xff;
	if (size > 8 && !bits) {
		fmt_hex_bytes(data + bit_off / 8, size);
		return;
	}
	uint64_t v = 0;
	uint32_t first = bit_off / 8, last = (bit_off + nbits + 7) / 8;
	for (uint32_t i = last; i-- > first;)
		v = v << 8 | data[i];
	v >>= bit_off % 8;
	if (nbits < 64)
		v &= ((uint64_t)1 << nbits) - 1;
	unsigned e = (enc >> 24) & 0xf;
	if (e & 4) { /* BTF_INT_BOOL */
		printf(v ? "true" : "false");
	} else if ((e & 1) && nbits && nbits <= 64) { /* BTF_INT_SIGNED */
		int64_t s = nbits < 64 && (v >> (nbits - 1)) & 1 ? (int64_t)(v | ~(((uint64_t)1 << nbits) - 1)) : (int64_t)v;
		printf("%" PRId64, s);
	} else {
		printf("%" PRIu64, v);
	}
}

static bool fmt_is_char(const struct btf *btf, uint32_t id)
{
	const struct btf_t *t = btf_skip_mods(btf, id, NULL);
	return t && btf_kind(t) == BTF_K_INT && t->size_type == 1;
}

/* A char array holding a printable NUL-terminated string prints as one. */
static bool fmt_try_string(const uint8_t *p, uint32_t n)
{
	uint32_t len = 0;
	while (len < n && p[len])
		len++;
	if (len == n || len == 0)
		return false;
	for (uint32_t i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	for (uint32_t i = len; i < n; i++)
		if (p[i])
			return false;
	printf("\"");
	for (uint32_t i = 0; i < len; i++)
		printf(p[i] == '"' || p[i] == '\\' ? "\\%c" : "%c", p[i]);
	printf("\"");
	return true;
}

static void fmt_members(const struct btf *btf, const struct btf_t *t, const uint8_t *data, int depth, bool *first)
{
	const struct btf_m *m = btf_extra(t);
	for (unsigned i = 0; i < btf_vlen(t); i++) {
		uint32_t off = btf_kflag(t) ? m[i].offset & 0xffffff : m[i].offset;
		uint32_t bits = btf_kflag(t) ? m[i].offset >> 24 : 0;
		const char *name = btf_str(btf, m[i].name_off);
		const struct btf_t *mt = btf_skip_mods(btf, m[i].type, NULL);
		if (!*name && mt && (btf_kind(mt) == BTF_K_STRUCT || btf_kind(mt) == BTF_K_UNION)) {
			/* anonymous struct/union: its members appear in place */
			fmt_members(btf, mt, data + off / 8, depth + 1, first);
			continue;
		}
		printf("%s\"%s\":", *first ? "" : ",", name);
		*first = false;
		fmt_value(btf, m[i].type, data + off / 8, off % 8, bits, depth + 1);
	}
}

static void fmt_value(const struct btf *btf, uint32_t id, const uint8_t *data, uint32_t bit_off, uint32_t bits,
		      int depth)
{
	uint32_t rid;
	const struct btf_t *t = btf_skip_mods(btf, id, &rid);
	if (!t || depth > 32) {
		printf("null");
		return;
	}
	switch (btf_kind(t)) {
	case BTF_K_INT:
		fmt_int(t, data, bit_off, bits);
		return;
	case BTF_K_PTR:
		printf("%" PRIu64, *(const uint64_t *)(const void *)data);
		return;
	case BTF_K_ENUM:
	case BTF_K_ENUM64: {
		int64_t v = 0;
		uint32_t size = t->size_type;
		uint64_t u = 0;
		for (uint32_t i = size < 8 ? size : 8; i-- > 0;)
			u = u << 8 | data[i];
		v = (int64_t)u;
		if (btf_kflag(t) && size < 8 && (u >> (size * 8 - 1)) & 1) /* signed: extend */
			v = (int64_t)(u | ~(((uint64_t)1 << (size * 8)) - 1));
		for (unsigned i = 0; i < btf_vlen(t); i++) {
			int64_t ev;
			uint32_t name_off;
			if (btf_kind(t) == BTF_K_ENUM) {
				const struct btf_en *e = (const struct btf_en *)btf_extra(t) + i;
				ev = btf_kflag(t) ? e->val : (int64_t)(uint32_t)e->val;
				name_off = e->name_off;
			} else {
				const struct btf_en64 *e = (const struct btf_en64 *)btf_extra(t) + i;
				ev = (int64_t)((uint64_t)e->hi32 << 32 | e->lo32);
				name_off = e->name_off;
			}
			if (ev == v) {
				printf("\"%s\"", btf_str(btf, name_off));
				return;
			}
		}
		printf("%" PRId64, v);
		return;
	}
	case BTF_K_ARRAY: {
		const struct btf_arr *a = btf_extra(t);
		int64_t esz = btf_resolve_size(btf, a->type);
		if (esz < 0) {
			printf("null");
			return;
		}
		if (esz == 1 && fmt_is_char(btf, a->type) && fmt_try_string(data, a->nelems))
			return;
		printf("[");
		for (uint32_t i = 0; i < a->nelems; i++) {
			printf(i ? "," : "");
			fmt_value(btf, a->type, data + (size_t)i * (size_t)esz, 0, 0, depth + 1);
		}
		printf("]");
		return;
	}
	case BTF_K_STRUCT:
	case BTF_K_UNION: {
		bool first = true;
		printf("{");
		fmt_members(btf, t, data, depth, &first);
		printf("}");
		return;
	}
	case BTF_K_DATASEC: {
		const struct btf_vsi *v = btf_extra(t);
		printf("{");
		for (unsigned i = 0; i < btf_vlen(t); i++) {
			const struct btf_t *var = btf_type(btf, v[i].type);
			if (!var)
				continue;
			printf("%s\"%s\":", i ? "," : "", btf_str(btf, var->name_off));
			fmt_value(btf, var->size_type, data + v[i].offset, 0, 0, depth + 1);
		}
		printf("}");
		return;
	}
	case BTF_K_VAR:
		fmt_value(btf, t->size_type, data, bit_off, bits, depth + 1);
		return;
	case BTF_K_FLOAT:
		fmt_hex_bytes(data, t->size_type);
		return;
	default:
		printf("null");
		return;
	}
}

/* }===== */

static void dump_bytes(const uint8_t *p, size_t n)
{
	printf("[");
	for (size_t i = 0; i < n; i++)
		printf("%s\"0x%02x\"", i ? "," : "", p[i]);
	printf("]");
}

/* The map element @key/@value (all CPUs' slots for per-CPU maps). */
static void dump_elem(const struct hive_map *map, const struct btf *btf, uint32_t kid, uint32_t vid, const uint8_t *key,
		      const uint8_t *value, bool percpu, int ncpus)
{
	uint32_t ks = hive_map_key_size(map), vs = hive_map_value_size(map), slot = (vs + 7) / 8 * 8;
	printf("{\"key\":");
	dump_bytes(key, ks);
	if (percpu) {
		printf(",\"values\":[");
		for (int c = 0; c < ncpus; c++) {
			printf("%s{\"cpu\":%d,\"value\":", c ? "," : "", c);
			dump_bytes(value + (size_t)c * slot, vs);
			printf("}");
		}
		printf("]");
	} else {
		printf(",\"value\":");
		dump_bytes(value, vs);
	}
	if (btf && vid) {
		printf(",\"formatted\":{\"key\":");
		if (kid)
			fmt_value(btf, kid, key, 0, 0, 0);
		else
			printf("%" PRIu32, ks == 4 ? *(const uint32_t *)(const void *)key : 0); /* arrays: the index */
		if (percpu) {
			printf(",\"values\":[");
			for (int c = 0; c < ncpus; c++) {
				printf("%s{\"cpu\":%d,\"value\":", c ? "," : "", c);
				fmt_value(btf, vid, value + (size_t)c * slot, 0, 0, 0);
				printf("}");
			}
			printf("]}");
		} else {
			printf(",\"value\":");
			fmt_value(btf, vid, value, 0, 0, 0);
			printf("}");
		}
	}
	printf("}");
}

/* OBJ.o.MAP: the longest existing file name before a '.' that names a map
 * is the object (map names may hold dots: ".bss"). */
static int dump_split(const char *arg, char **path, char **name)
{
	size_t len = strlen(arg);
	for (size_t i = len; i-- > 1;) {
		if (arg[i] != '.' || i + 1 >= len)
			continue;
		char *p = strndup(arg, i);
		struct stat st;
		if (p && !stat(p, &st) && S_ISREG(st.st_mode)) {
			*path = p;
			*name = strdup(arg + i + 1);
			return *name ? 0 : -ENOMEM;
		}
		free(p);
	}
	return -ENOENT;
}

static bool dump_keyless(enum hive_map_type t)
{
	return t == HIVE_MAP_QUEUE || t == HIVE_MAP_STACK || t == HIVE_MAP_BLOOM_FILTER || t == HIVE_MAP_RINGBUF ||
	       t == HIVE_MAP_USER_RINGBUF;
}

int cmd_map_dump(int argc, char **argv)
{
	const char *pos[2] = {NULL, NULL}, *seed = NULL, *run = NULL, *data_path = NULL, *type_name = NULL;
	unsigned long repeat = 1;
	bool jit = false, formatted = true;
	int npos = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_val = i + 1 < argc;
		if (!strcmp(a, "--maps") && has_val) {
			seed = argv[++i];
		} else if (!strcmp(a, "--run") && has_val) {
			run = argv[++i];
		} else if (!strcmp(a, "--data") && has_val) {
			data_path = argv[++i];
		} else if (!strcmp(a, "--type") && has_val) {
			type_name = argv[++i];
		} else if (!strcmp(a, "--repeat") && has_val) {
			char *end;
			errno = 0;
			repeat = strtoul(argv[++i], &end, 0);
			if (errno || *end || !repeat || repeat > UINT32_MAX) {
				fprintf(stderr, "hive: --repeat %s: not a count from 1 to 2^32-1\n", argv[i]);
				return 2;
			}
		} else if (!strcmp(a, "--jit")) {
			jit = true;
		} else if (!strcmp(a, "--no-formatted")) {
			formatted = false;
		} else if (a[0] != '-' && npos < 2) {
			pos[npos++] = a;
		} else {
			return dump_usage();
		}
	}
	if (!npos || ((data_path || type_name) && !run))
		return dump_usage();
	char *obj_path = NULL, *map_name = NULL;
	if (npos == 2) {
		obj_path = strdup(pos[0]);
		map_name = strdup(pos[1]);
	} else if (dump_split(pos[0], &obj_path, &map_name)) {
		fprintf(stderr, "hive: %s: not OBJ.o.MAP (no object file before a '.')\n", pos[0]);
		return 2;
	}
	enum hive_prog_type type = HIVE_PROG_UNSPEC;
	if (type_name) {
		static const struct {
			const char *name;
			enum hive_prog_type type;
		} types[] = {{"xdp", HIVE_PROG_XDP},          {"tc", HIVE_PROG_SCHED_CLS},
			     {"socket", HIVE_PROG_SOCKET_FILTER}, {"raw_tp", HIVE_PROG_RAW_TRACEPOINT},
			     {"syscall", HIVE_PROG_SYSCALL}};
		size_t k = 0;
		while (k < sizeof types / sizeof *types && strcmp(types[k].name, type_name))
			k++;
		if (k == sizeof types / sizeof *types) {
			fprintf(stderr, "hive: --type %s: one of xdp, tc, socket, raw_tp, syscall\n", type_name);
			free(obj_path);
			free(map_name);
			return 2;
		}
		type = types[k].type;
	}

	int rc = 1, err;
	char log[4096] = "";
	struct hive_env *env = NULL;
	struct hive_object *obj = NULL;
	char *data = NULL;
	uint8_t *key = NULL, *next = NULL, *value = NULL;
	size_t data_size = 0;
	if (data_path && !(data = tool_read_file(data_path, &data_size))) {
		fprintf(stderr, "hive: %s: %s\n", data_path, strerror(errno));
		goto out;
	}
	HIVE_OPTS(hive_object_open_opts, oo, .log_buf = log, .log_size = sizeof log);
	if ((err = hive_env_new(&env)) || (err = hive_helpers_install(env, NULL)) ||
	    (err = hive_hook_helpers_install(env))) {
		fprintf(stderr, "hive: helpers: %s\n", strerror(-err));
		goto out;
	}
	if ((err = hive_object_open_file(obj_path, &oo, &obj))) {
		fprintf(stderr, "hive: %s: %s\n%s%s", obj_path, strerror(-err), log, *log ? "\n" : "");
		goto out;
	}
	struct hive_object_map *om = hive_object_find_map(obj, map_name);
	for (size_t i = 0; !om && map_name[0] == '.' && i < hive_object_map_cnt(obj); i++) {
		/* internal maps are named OBJ.bss: ".bss" finds them too */
		const char *n = hive_object_map_name(hive_object_map(obj, i));
		size_t nl = strlen(n), ml = strlen(map_name);
		if (nl > ml && !strcmp(n + nl - ml, map_name))
			om = hive_object_map(obj, i);
	}
	if (!om) {
		fprintf(stderr, "hive: %s: no map named '%s' (hive map show %s lists them)\n", obj_path, map_name,
			obj_path);
		goto out;
	}
	struct hive_program *prog = NULL;
	if (run && !(prog = hive_object_find_program(obj, run))) {
		fprintf(stderr, "hive: %s: no program named '%s'\n", obj_path, run);
		goto out;
	}
	/* only the program to run is loaded: the maps do not need the others */
	for (size_t i = 0; i < hive_object_prog_cnt(obj); i++)
		hive_program_set_autoload(hive_object_prog(obj, i), hive_object_prog(obj, i) == prog);
	HIVE_OPTS(hive_object_load_opts, lo, .env = env, .log_buf = log, .log_size = sizeof log);
	if ((err = hive_object_load(obj, &lo))) {
		fprintf(stderr, "hive: %s: %s\n%s%s", obj_path, strerror(-err), log, *log ? "\n" : "");
		goto out;
	}
	if (seed && tool_maps_seed(obj, seed, log, sizeof log)) {
		fprintf(stderr, "hive: --maps %s\n", log);
		goto out;
	}
	if (prog) {
		if (jit && (err = tool_jit(hive_program_prog(prog), NULL, &jit))) {
			fprintf(stderr, "hive: %s: JIT: %s\n", run, strerror(-err));
			goto out;
		}
		uint8_t ctx[256] = {0};
		enum hive_prog_type t = type ? type : hive_program_type(prog);
		bool with_ctx = t == HIVE_PROG_SYSCALL || t == HIVE_PROG_RAW_TRACEPOINT;
		for (unsigned long r = 0; r < repeat; r++) { /* syscall programs take no repeat: run N times */
			HIVE_OPTS(hive_test_run_opts, o, .prog_type = type, .data_in = data,
				  .data_size_in = (uint32_t)data_size, .ctx_in = with_ctx ? ctx : NULL,
				  .ctx_size_in = with_ctx ? sizeof ctx : 0, .use_jit = jit);
			if ((err = hive_program_test_run(prog, &o))) {
				fprintf(stderr, "hive: --run %s: %s: %s (pc %u)\n", run, strerror(-err), o.errmsg,
					o.fault_pc);
				goto out;
			}
		}
	}
	struct hive_map *map = hive_object_map_map(om);
	enum hive_map_type mt = hive_map_get_type(map);
	if (dump_keyless(mt)) {
		fprintf(stderr, "hive: map '%s': a %s map has no keys to walk; dump needs a keyed map\n", map_name,
			mt == HIVE_MAP_QUEUE ? "queue" : mt == HIVE_MAP_STACK ? "stack" :
			mt == HIVE_MAP_BLOOM_FILTER ? "bloom filter" : "ring buffer");
		goto out;
	}
	if (mt == HIVE_MAP_PROG_ARRAY) {
		fprintf(stderr, "hive: map '%s': prog array slots hold programs, not values\n", map_name);
		goto out;
	}
	bool percpu = mt == HIVE_MAP_PERCPU_ARRAY || mt == HIVE_MAP_PERCPU_HASH || mt == HIVE_MAP_LRU_PERCPU_HASH;
	size_t ks = hive_map_key_size(map), vs = hive_map_user_value_size(map);
	key = calloc(1, ks + 1);
	next = calloc(1, ks + 1);
	value = calloc(1, vs + 8);
	if (!key || !next || !value) {
		fprintf(stderr, "hive: out of memory\n");
		goto out;
	}
	const struct btf *btf = formatted ? obj->btf : NULL;
	uint32_t kid = hive_object_map_btf_key_type_id(om), vid = hive_object_map_btf_value_type_id(om);
	printf("[");
	int n = 0;
	for (err = hive_map_get_next_key(map, NULL, next); !err; err = hive_map_get_next_key(map, key, next)) {
		memcpy(key, next, ks);
		int lerr = hive_map_lookup(map, key, value);
		if (lerr == -ENOENT)
			continue; /* array-of-maps slot not set, or gone meanwhile */
		if (lerr) {
			printf("]\n");
			fprintf(stderr, "hive: map '%s': lookup: %s\n", map_name, strerror(-lerr));
			goto out;
		}
		printf(n++ ? ",\n" : "");
		dump_elem(map, btf, kid, vid, key, value, percpu, hive_num_possible_cpus());
	}
	printf("]\n");
	if (err != -ENOENT) {
		fprintf(stderr, "hive: map '%s': get_next_key: %s\n", map_name, strerror(-err));
		goto out;
	}
	rc = 0;
out:
	free(key);
	free(next);
	free(value);
	free(data);
	hive_object_close(obj);
	hive_env_free(env);
	free(obj_path);
	free(map_name);
	return rc;
}

int cmd_map_dispatch(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "dump"))
		return cmd_map_dump(argc - 1, argv + 1);
	return cmd_map(argc, argv);
}
