/* BTF parsing on hand-built blobs (every kind, every check), the section
 * name table, and legacy "maps" definitions. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

#include "hive/hive.h"
#include "loader/loader.h"
#include "loader_corpus.h"

/* {===== a tiny BTF writer */

struct bb {
	uint32_t types[512];
	uint32_t ntw;      /* words of types */
	char strs[512];
	uint32_t slen;
	uint32_t nr;       /* last type id */
};

static void bb_init(struct bb *b)
{
	memset(b, 0, sizeof(*b));
	b->slen = 1; /* "" at 0 */
}

static uint32_t bb_str(struct bb *b, const char *s)
{
	uint32_t off = b->slen;
	strcpy(b->strs + off, s);
	b->slen += (uint32_t)strlen(s) + 1;
	return off;
}

static uint32_t bb_type(struct bb *b, const char *name, unsigned kind, unsigned vlen, bool kflag, uint32_t size_type)
{
	b->types[b->ntw++] = name ? bb_str(b, name) : 0;
	b->types[b->ntw++] = (kind << 24) | vlen | (kflag ? 1u << 31 : 0);
	b->types[b->ntw++] = size_type;
	return ++b->nr;
}

static void bb_word(struct bb *b, uint32_t w)
{
	b->types[b->ntw++] = w;
}

/* The .BTF bytes: header, types, strings. */
static size_t bb_finish(const struct bb *b, uint8_t *out)
{
	uint32_t hdr[6] = {0xeB9F | 1u << 16, 24, 0, b->ntw * 4, b->ntw * 4, b->slen};
	memcpy(out, hdr, 24);
	memcpy(out + 24, b->types, b->ntw * 4);
	memcpy(out + 24 + b->ntw * 4, b->strs, b->slen);
	return 24 + b->ntw * 4 + b->slen;
}

/* }===== */

static char logbuf[1024];

static struct btf *parse(const struct bb *b, int want)
{
	static uint8_t raw[8192];
	size_t n = bb_finish(b, raw);
	struct ldr_log log = {logbuf, sizeof(logbuf), 0};
	logbuf[0] = '\0';
	struct btf *btf = NULL;
	int err = btf_parse(raw, n, &log, &btf);
	if (err != want)
		fail_msg("btf_parse: %d, want %d: %s", err, want, logbuf);
	return btf;
}

static void test_all_kinds(void **state)
{
	(void)state;
	struct bb b;
	bb_init(&b);
	uint32_t i32 = bb_type(&b, "int", BTF_K_INT, 0, false, 4);
	bb_word(&b, (1u << 24) | 32); /* signed, 32 bits */
	uint32_t ptr = bb_type(&b, NULL, BTF_K_PTR, 0, false, i32);
	uint32_t arr = bb_type(&b, NULL, BTF_K_ARRAY, 0, false, 0);
	bb_word(&b, i32), bb_word(&b, i32), bb_word(&b, 10);
	uint32_t st = bb_type(&b, "pair", BTF_K_STRUCT, 2, false, 48);
	bb_word(&b, bb_str(&b, "a")), bb_word(&b, arr), bb_word(&b, 0);
	bb_word(&b, bb_str(&b, "p")), bb_word(&b, ptr), bb_word(&b, 320);
	uint32_t un = bb_type(&b, "u", BTF_K_UNION, 1, false, 8);
	bb_word(&b, bb_str(&b, "x")), bb_word(&b, ptr), bb_word(&b, 0);
	uint32_t en = bb_type(&b, "color", BTF_K_ENUM, 2, false, 4);
	bb_word(&b, bb_str(&b, "RED")), bb_word(&b, 0);
	bb_word(&b, bb_str(&b, "BLUE")), bb_word(&b, (uint32_t)-1);
	uint32_t fwd = bb_type(&b, "later", BTF_K_FWD, 0, false, 0);
	uint32_t td = bb_type(&b, "pair_t", BTF_K_TYPEDEF, 0, false, st);
	uint32_t vo = bb_type(&b, NULL, BTF_K_VOLATILE, 0, false, td);
	uint32_t co = bb_type(&b, NULL, BTF_K_CONST, 0, false, vo);
	uint32_t re = bb_type(&b, NULL, BTF_K_RESTRICT, 0, false, ptr);
	uint32_t proto = bb_type(&b, NULL, BTF_K_FUNC_PROTO, 1, false, i32);
	bb_word(&b, bb_str(&b, "arg")), bb_word(&b, co);
	uint32_t fn = bb_type(&b, "f", BTF_K_FUNC, 0, false, proto);
	uint32_t var = bb_type(&b, "g", BTF_K_VAR, 0, false, co);
	bb_word(&b, 1);
	uint32_t ds = bb_type(&b, ".data", BTF_K_DATASEC, 1, false, 48);
	bb_word(&b, var), bb_word(&b, 0), bb_word(&b, 48);
	uint32_t fl = bb_type(&b, "double", BTF_K_FLOAT, 0, false, 8);
	uint32_t dt = bb_type(&b, "tag", BTF_K_DECL_TAG, 0, false, st);
	bb_word(&b, 1);
	uint32_t tt = bb_type(&b, "user", BTF_K_TYPE_TAG, 0, false, co);
	uint32_t e64 = bb_type(&b, "big", BTF_K_ENUM64, 1, false, 8);
	bb_word(&b, bb_str(&b, "HUGE")), bb_word(&b, 1), bb_word(&b, 2);

	struct btf *btf = parse(&b, 0);
	assert_int_equal(btf->nr_types, e64 + 1);
	assert_int_equal(btf_resolve_size(btf, i32), 4);
	assert_int_equal(btf_resolve_size(btf, ptr), 8);
	assert_int_equal(btf_resolve_size(btf, arr), 40);
	assert_int_equal(btf_resolve_size(btf, st), 48);
	assert_int_equal(btf_resolve_size(btf, un), 8);
	assert_int_equal(btf_resolve_size(btf, en), 4);
	assert_int_equal(btf_resolve_size(btf, co), 48);
	assert_int_equal(btf_resolve_size(btf, re), 8);
	assert_int_equal(btf_resolve_size(btf, var), 48);
	assert_int_equal(btf_resolve_size(btf, ds), 48);
	assert_int_equal(btf_resolve_size(btf, fl), 8);
	assert_int_equal(btf_resolve_size(btf, tt), 48);
	assert_int_equal(btf_resolve_size(btf, e64), 8);
	assert_true(btf_resolve_size(btf, fwd) < 0);
	assert_true(btf_resolve_size(btf, fn) < 0);
	assert_true(btf_resolve_size(btf, proto) < 0);
	assert_true(btf_resolve_size(btf, dt) < 0);
	assert_true(btf_resolve_size(btf, 0) < 0);
	assert_true(btf_resolve_size(btf, 9999) < 0);
	uint32_t id;
	assert_ptr_equal(btf_skip_mods(btf, tt, &id), btf_type(btf, st));
	assert_int_equal(id, st);
	assert_string_equal(btf_name(btf, td), "pair_t");
	assert_string_equal(btf_str(btf, 99999), "");
	assert_int_equal(btf_find(btf, "f", BTF_K_FUNC), fn);
	assert_int_equal(btf_find(btf, "f", BTF_K_VAR), 0);
	assert_int_equal(btf_find(btf, ".data", BTF_K_DATASEC), ds);
	assert_string_equal(btf_kind_name(BTF_K_ENUM64), "ENUM64");
	assert_string_equal(btf_kind_name(77), "?");
	btf_free(btf);
}

static void test_loops_and_overflow(void **state)
{
	(void)state;
	struct bb b;
	bb_init(&b);
	/* typedef 1 -> typedef 2 -> typedef 1 */
	bb_type(&b, "a", BTF_K_TYPEDEF, 0, false, 2);
	bb_type(&b, "b", BTF_K_TYPEDEF, 0, false, 1);
	uint32_t i8 = bb_type(&b, "char", BTF_K_INT, 0, false, 1);
	bb_word(&b, 8);
	uint32_t a1 = bb_type(&b, NULL, BTF_K_ARRAY, 0, false, 0);
	bb_word(&b, i8), bb_word(&b, i8), bb_word(&b, 0x10000);
	uint32_t a2 = bb_type(&b, NULL, BTF_K_ARRAY, 0, false, 0);
	bb_word(&b, a1), bb_word(&b, i8), bb_word(&b, 0x10000); /* 4 GiB */
	struct btf *btf = parse(&b, 0);
	assert_int_equal(btf_resolve_size(btf, 1), -ELOOP);
	assert_null(btf_skip_mods(btf, 1, NULL));
	assert_int_equal(btf_resolve_size(btf, a1), 0x10000);
	assert_int_equal(btf_resolve_size(btf, a2), -E2BIG);
	btf_free(btf);
}

/* Bad type tables, one per case; the messages are in test_refused. */
static void build_bad(struct bb *b, size_t i)
{
	switch (i) {
	case 0: bb_type(b, NULL, BTF_K_PTR, 0, false, 5); break;
	case 1: bb_type(b, "x", BTF_K_FUNC, 0, false, 0); break;
	case 2: bb_type(b, NULL, 25, 0, false, 0); break;
	case 3: bb_type(b, "s", BTF_K_STRUCT, 100, false, 4); break;
	case 4: bb_type(b, "s", BTF_K_STRUCT, 1, false, 4); bb_word(b, 0); bb_word(b, 9); bb_word(b, 0); break;
	case 5:
		b->types[b->ntw++] = 5000;
		b->types[b->ntw++] = BTF_K_INT << 24;
		b->types[b->ntw++] = 4;
		bb_word(b, 32);
		break;
	case 6: bb_type(b, "i", BTF_K_INT, 0, false, 4); bb_word(b, 64); break;
	case 7: bb_type(b, NULL, BTF_K_ARRAY, 0, false, 0); bb_word(b, 0); bb_word(b, 7); bb_word(b, 1); break;
	case 8: bb_type(b, NULL, BTF_K_FUNC_PROTO, 1, false, 0); bb_word(b, 0); bb_word(b, 7); break;
	case 9: bb_type(b, ".d", BTF_K_DATASEC, 1, false, 0); bb_word(b, 0); bb_word(b, 0); bb_word(b, 0); break;
	case 10: bb_type(b, "e", BTF_K_ENUM, 1, false, 4); bb_word(b, 7777); bb_word(b, 0); break;
	default: b->types[b->ntw++] = 0; break;
	}
}

static void test_refused(void **state)
{
	(void)state;
	struct bb b;
	static const char *const msgs[] = {
		"refers to type", "not a FUNC_PROTO", "unknown kind", "run past the end", "member 0",
		"name offset", "bad size", "index type", "param 0", "var 0", "value 0", "truncated",
	};
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		bb_init(&b);
		build_bad(&b, i);
		assert_null(parse(&b, -EINVAL));
		if (!strstr(logbuf, msgs[i]))
			fail_msg("case %zu: '%s' not in '%s'", i, msgs[i], logbuf);
	}

	/* header checks */
	uint8_t raw[256];
	bb_init(&b);
	bb_type(&b, "int", BTF_K_INT, 0, false, 4);
	bb_word(&b, 32);
	size_t n = bb_finish(&b, raw);
	struct ldr_log log = {logbuf, sizeof(logbuf), 0};
	struct btf *btf;
	assert_int_equal(btf_parse(raw, 10, &log, &btf), -EINVAL);
	raw[2] = 2; /* version */
	assert_int_equal(btf_parse(raw, n, &log, &btf), -EINVAL);
	raw[2] = 1;
	raw[n - 1] = 'x'; /* strings not NUL-terminated */
	assert_int_equal(btf_parse(raw, n, &log, &btf), -EINVAL);
	raw[n - 1] = 0;
	assert_int_equal(btf_parse(raw, n, &log, &btf), 0);
	btf_free(btf);
	/* a longer header with unknown non-zero fields */
	uint8_t big[300] = {0};
	memcpy(big, raw, 24);
	uint32_t hl = 32;
	memcpy(big + 4, &hl, 4);
	memcpy(big + 32, raw + 24, n - 24);
	assert_int_equal(btf_parse(big, n + 8, &log, &btf), 0);
	btf_free(btf);
	big[28] = 1;
	assert_int_equal(btf_parse(big, n + 8, &log, &btf), -EINVAL);
	assert_non_null(strstr(logbuf, LDR_E_UNKNOWN_FIELD));
}

static void test_sec_defs(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		int type, attach;
		const char *target;
	} cases[] = {
		{"xdp", HIVE_PROG_XDP, HIVE_ATTACH_XDP, ""},
		{"xdp/devmap", HIVE_PROG_XDP, HIVE_ATTACH_XDP_DEVMAP, ""},
		{"xdp.frags", HIVE_PROG_XDP, HIVE_ATTACH_XDP, ""},
		{"tc", HIVE_PROG_SCHED_CLS, -1, ""},
		{"tc/ingress", HIVE_PROG_SCHED_CLS, HIVE_ATTACH_TCX_INGRESS, ""},
		{"classifier", HIVE_PROG_SCHED_CLS, -1, ""},
		{"socket", HIVE_PROG_SOCKET_FILTER, -1, ""},
		{"kprobe/sys_open", HIVE_PROG_KPROBE, -1, "sys_open"},
		{"kretprobe/x", HIVE_PROG_KPROBE, -1, "x"},
		{"uprobe//bin/sh:main", HIVE_PROG_KPROBE, -1, "/bin/sh:main"},
		{"usdt/lib:p:n", HIVE_PROG_KPROBE, -1, "lib:p:n"},
		{"tracepoint/a/b", HIVE_PROG_TRACEPOINT, -1, "a/b"},
		{"tp/a/b", HIVE_PROG_TRACEPOINT, -1, "a/b"},
		{"raw_tp/x", HIVE_PROG_RAW_TRACEPOINT, -1, "x"},
		{"raw_tracepoint.w/x", HIVE_PROG_RAW_TRACEPOINT_WRITABLE, -1, "x"},
		{"fentry/f", HIVE_PROG_TRACING, HIVE_ATTACH_TRACE_FENTRY, "f"},
		{"fexit/f", HIVE_PROG_TRACING, HIVE_ATTACH_TRACE_FEXIT, "f"},
		{"fmod_ret/f", HIVE_PROG_TRACING, HIVE_ATTACH_MODIFY_RETURN, "f"},
		{"lsm/file_open", HIVE_PROG_LSM, HIVE_ATTACH_LSM_MAC, "file_open"},
		{"iter/task", HIVE_PROG_TRACING, HIVE_ATTACH_TRACE_ITER, "task"},
		{"syscall", HIVE_PROG_SYSCALL, -1, ""},
		{"perf_event", HIVE_PROG_PERF_EVENT, -1, ""},
		{"cgroup_skb/ingress", HIVE_PROG_CGROUP_SKB, HIVE_ATTACH_CGROUP_INET_INGRESS, ""},
		{"cgroup/connect4", HIVE_PROG_CGROUP_SOCK_ADDR, HIVE_ATTACH_CGROUP_INET4_CONNECT, ""},
		{"sk_lookup", HIVE_PROG_SK_LOOKUP, HIVE_ATTACH_SK_LOOKUP, ""},
		{"?xdp", HIVE_PROG_XDP, HIVE_ATTACH_XDP, ""},
		/* no match: exact names do not take a suffix, prefixes need '/' */
		{"xdpfoo", -1, 0, NULL},
		{"socket/x", -1, 0, NULL},
		{"kprobex", -1, 0, NULL},
		{".text", -1, 0, NULL},
		{"", -1, 0, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sec_def *d = sec_def_find(cases[i].name);
		if (cases[i].type < 0) {
			if (d)
				fail_msg("'%s' matched '%s'", cases[i].name, d->prefix);
			continue;
		}
		if (!d)
			fail_msg("'%s' matched nothing", cases[i].name);
		assert_int_equal(d->prog_type, cases[i].type);
		assert_int_equal(d->has_attach ? (int)d->attach_type : -1, cases[i].attach);
		assert_string_equal(sec_def_target(d, cases[i].name), cases[i].target);
	}
}

static void test_legacy_maps(void **state)
{
	(void)state;
	if (!corpus_clang(1)) {
		printf("HIVE-SKIP: no clang to build tests/progs\n");
		skip();
	}
	for (int g = 0; g < 2; g++) {
		struct hive_object *obj = NULL;
		assert_int_equal(hive_object_open_file(corpus_obj("legacy_maps", 2, g), NULL, &obj), 0);
		assert_int_equal(hive_object_map_cnt(obj), 2);
		const struct hive_object_map *c = hive_object_find_map(obj, "counts");
		assert_int_equal(hive_object_map_type(c), HIVE_MAP_ARRAY);
		assert_int_equal(hive_object_map_key_size(c), 4);
		assert_int_equal(hive_object_map_value_size(c), 8);
		assert_int_equal(hive_object_map_max_entries(c), 16);
		const struct hive_object_map *t = hive_object_find_map(obj, "table");
		assert_int_equal(hive_object_map_type(t), HIVE_MAP_HASH);
		assert_int_equal(hive_object_map_flags(t), 1);
		size_t cnt;
		const struct hive_insn *in = hive_program_insns(hive_object_prog(obj, 0), &cnt);
		int refs = 0;
		for (size_t pc = 0; pc < cnt; pc++)
			if (in[pc].code == 0x18 && in[pc].src_reg == 1)
				refs |= 1 << in[pc].imm;
		assert_int_equal(refs, 3);
		hive_object_close(obj);
	}
}

static int open_kconfig(const char *kconfig, struct hive_object **obj)
{
	HIVE_OPTS(hive_object_open_opts, o, .log_buf = logbuf, .log_size = sizeof(logbuf), .kconfig = kconfig);
	*obj = NULL;
	return hive_object_open_file(corpus_obj("kconfig", 2, true), &o, obj);
}

/* .kconfig values of each type from the open opts, laid out as libbpf does;
 * map_extra from the definition. */
static void test_kconfig_values(void **state)
{
	(void)state;
	if (!corpus_clang(1)) {
		printf("HIVE-SKIP: no clang to build tests/progs\n");
		skip();
	}
	struct hive_object *obj;
	assert_int_equal(open_kconfig("CONFIG_DEFAULT_HOSTNAME=\"myhost\"\nCONFIG_TRI=m\n"
				      "CONFIG_NUM=-42\nCONFIG_BOOL=y\nCONFIG_SMALL=200\n", &obj), 0);
	const struct hive_object_map *kc = hive_object_find_map(obj, ".kconfig");
	size_t sz;
	const uint8_t *v = hive_object_map_initial_value(kc, &sz);
	/* by alignment (desc), size, name: NUM@0 TRI@4 BOOL@8 SMALL@9 HOSTNAME@10 */
	assert_int_equal(sz, 26);
	int32_t num;
	uint32_t tri;
	memcpy(&num, v, 4);
	memcpy(&tri, v + 4, 4);
	assert_int_equal(num, -42);
	assert_int_equal(tri, 2);
	assert_int_equal(v[8], 1);
	assert_int_equal(v[9], 200);
	assert_string_equal((const char *)v + 10, "myhost");
	const struct hive_object_map *b = hive_object_find_map(obj, "bloom");
	assert_int_equal(hive_object_map_type(b), HIVE_MAP_BLOOM_FILTER);
	assert_int_equal(hive_object_map_extra(b), 3);
	assert_int_equal(hive_object_map_key_size(b), 0);
	hive_object_close(obj);

	/* the weak one may be missing; strong ones are checked at load */
	assert_int_equal(open_kconfig("CONFIG_BOOL=n\n", &obj), 0);
	v = hive_object_map_initial_value(hive_object_find_map(obj, ".kconfig"), &sz);
	assert_int_equal(v[8], 0);
	assert_int_equal(v[9], 0);
	char lb[256];
	HIVE_OPTS(hive_object_load_opts, lo, .log_buf = lb, .log_size = sizeof(lb));
	assert_int_equal(hive_object_load(obj, &lo), -ENOENT);
	assert_non_null(strstr(lb, "kconfig: extern 'CONFIG_NUM': no value"));
	hive_object_close(obj);

	static const struct {
		const char *cfg;
		int err;
	} bad[] = {
		{"CONFIG_BOOL=m\n", -EINVAL},      /* a bool cannot be a module */
		{"CONFIG_BOOL=7\n", -EINVAL},
		{"CONFIG_NUM=abc\n", -EINVAL},
		{"CONFIG_NUM=99999999999\n", -ERANGE},
		{"CONFIG_SMALL=300\n", -ERANGE},
		{"CONFIG_DEFAULT_HOSTNAME=12\n", -EINVAL}, /* not a string for a char array */
		{"CONFIG_NUM=1111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111\n", -EINVAL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = open_kconfig(bad[i].cfg, &obj);
		if (err != bad[i].err)
			fail_msg("'%s': %d, want %d (%s)", bad[i].cfg, err, bad[i].err, logbuf);
		assert_null(obj);
		assert_non_null(strstr(logbuf, "kconfig: CONFIG_"));
	}
}

/* {===== the kernel's own config (libbpf reads it when the opts leave an
 * extern unset) */

static char kc_gz[256], kc_txt[256], kc_bad[256], kc_part[256];

static void write_gz(const char *path, const char *text)
{
	gzFile f = gzopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(gzwrite(f, text, (unsigned)strlen(text)), (int)strlen(text));
	assert_int_equal(gzclose(f), Z_OK);
}

static int open_kcfg_path(const char *kconfig, const char *path, struct hive_object **obj)
{
	*obj = NULL;
	HIVE_OPTS(hive_object_open_opts, o, .log_buf = logbuf, .log_size = sizeof(logbuf), .kconfig = kconfig,
		  .kconfig_path = path);
	return hive_object_open_file(corpus_obj("kconfig", 2, true), &o, obj);
}

static void kcfg_values(struct hive_object *obj, int32_t *num, uint32_t *tri, uint8_t *b, uint8_t *small, char host[16])
{
	size_t sz;
	const uint8_t *v = hive_object_map_initial_value(hive_object_find_map(obj, ".kconfig"), &sz);
	assert_int_equal(sz, 26); /* NUM@0 TRI@4 BOOL@8 SMALL@9 HOSTNAME@10 */
	memcpy(num, v, 4);
	memcpy(tri, v + 4, 4);
	*b = v[8];
	*small = v[9];
	memcpy(host, v + 10, 16);
}

static void test_kconfig_file(void **state)
{
	(void)state;
	if (!corpus_clang(1)) {
		printf("HIVE-SKIP: no clang to build tests/progs\n");
		skip();
	}
	snprintf(kc_gz, sizeof(kc_gz), "%s/kcfg_%d.gz", HIVE_BINARY_DIR, (int)getpid());
	snprintf(kc_txt, sizeof(kc_txt), "%s/kcfg_%d.txt", HIVE_BINARY_DIR, (int)getpid());
	snprintf(kc_bad, sizeof(kc_bad), "%s/kcfg_%d_bad.gz", HIVE_BINARY_DIR, (int)getpid());
	snprintf(kc_part, sizeof(kc_part), "%s/kcfg_%d_part.gz", HIVE_BINARY_DIR, (int)getpid());
	const char *cfg = "#\n# Automatically generated file; DO NOT EDIT.\n#\nCONFIG_DEFAULT_HOSTNAME=\"gzhost\"\n"
			  "CONFIG_TRI=m\nCONFIG_NUM=77\nCONFIG_BOOL=y\n# CONFIG_SMALL is not set\n";
	write_gz(kc_gz, cfg);
	FILE *f = fopen(kc_txt, "w");
	assert_non_null(f);
	fputs(cfg, f);
	fclose(f);
	write_gz(kc_bad, "CONFIG_NUM=seventy\nCONFIG_BOOL=y\n");
	write_gz(kc_part, "CONFIG_BOOL=y\nCONFIG_TRI=y\n");

	struct hive_object *obj;
	int32_t num;
	uint32_t tri;
	uint8_t b, small;
	char host[16];
	/* every value from the gzip file; "is not set" leaves the weak one 0 */
	if (open_kcfg_path(NULL, kc_gz, &obj))
		fail_msg("open: %s", logbuf);
	kcfg_values(obj, &num, &tri, &b, &small, host);
	assert_int_equal(num, 77);
	assert_int_equal(tri, 2);
	assert_int_equal(b, 1);
	assert_int_equal(small, 0);
	assert_string_equal(host, "gzhost");
	hive_object_close(obj);
	/* a plain-text file the same */
	assert_int_equal(open_kcfg_path(NULL, kc_txt, &obj), 0);
	kcfg_values(obj, &num, &tri, &b, &small, host);
	assert_int_equal(num, 77);
	assert_string_equal(host, "gzhost");
	hive_object_close(obj);
	/* the opts' text wins; the file fills in the rest */
	assert_int_equal(open_kcfg_path("CONFIG_NUM=5\nCONFIG_SMALL=9\n", kc_gz, &obj), 0);
	kcfg_values(obj, &num, &tri, &b, &small, host);
	assert_int_equal(num, 5);
	assert_int_equal(small, 9);
	assert_int_equal(tri, 2);
	assert_string_equal(host, "gzhost");
	hive_object_close(obj);
	/* a strong extern in neither: refused at load, naming the file */
	assert_int_equal(open_kcfg_path(NULL, kc_part, &obj), 0);
	char lb[512];
	HIVE_OPTS(hive_object_load_opts, lo, .log_buf = lb, .log_size = sizeof(lb));
	assert_int_equal(hive_object_load(obj, &lo), -ENOENT);
	assert_non_null(strstr(lb, "no value"));
	assert_non_null(strstr(lb, kc_part));
	hive_object_close(obj);
	/* a bad value in the file names the extern and the file */
	assert_int_equal(open_kcfg_path(NULL, kc_bad, &obj), -EINVAL);
	assert_non_null(strstr(logbuf, "CONFIG_NUM"));
	assert_non_null(strstr(logbuf, kc_bad));
	/* a config path that does not exist */
	assert_int_equal(open_kcfg_path(NULL, "/nonexistent/config.gz", &obj), -ENOENT);
	assert_non_null(strstr(logbuf, "/nonexistent/config.gz"));
	/* all values in the opts: the file is not even read */
	assert_int_equal(open_kcfg_path("CONFIG_DEFAULT_HOSTNAME=\"x\"\nCONFIG_TRI=n\nCONFIG_NUM=1\nCONFIG_BOOL=n\n"
					"CONFIG_SMALL=1\n", "/nonexistent/config.gz", &obj),
			 0);
	hive_object_close(obj);
	unlink(kc_gz);
	unlink(kc_txt);
	unlink(kc_bad);
	unlink(kc_part);
}

/* No kconfig and no path: the running kernel's config, as libbpf finds it. */
static void test_kconfig_running_kernel(void **state)
{
	(void)state;
	struct utsname u;
	char boot[300];
	assert_int_equal(uname(&u), 0);
	snprintf(boot, sizeof(boot), "/boot/config-%s", u.release);
	const char *src = access(boot, R_OK) == 0 ? boot : access("/proc/config.gz", R_OK) == 0 ? "/proc/config.gz" : NULL;
	if (!corpus_clang(1) || !src) {
		printf("HIVE-SKIP: no clang, or no /boot/config-%s nor /proc/config.gz\n", u.release);
		skip();
	}
	/* what the file says, read here independently */
	gzFile f = gzopen(src, "rb");
	assert_non_null(f);
	char line[512];
	long hz = -1;
	int bpf_syscall = 0;
	while (gzgets(f, line, sizeof(line))) {
		if (strncmp(line, "CONFIG_HZ=", 10) == 0)
			hz = strtol(line + 10, NULL, 10);
		if (strcmp(line, "CONFIG_BPF_SYSCALL=y\n") == 0)
			bpf_syscall = 1;
	}
	gzclose(f);
	struct hive_object *obj = NULL;
	HIVE_OPTS(hive_object_open_opts, o, .log_buf = logbuf, .log_size = sizeof(logbuf));
	if (hive_object_open_file(corpus_obj("trace_ringbuf", 2, true), &o, &obj))
		fail_msg("open: %s", logbuf);
	size_t sz;
	const uint8_t *v = hive_object_map_initial_value(hive_object_find_map(obj, ".kconfig"), &sz);
	/* by alignment, size, name: CONFIG_HZ@0, LINUX_KERNEL_VERSION@4, CONFIG_BPF_SYSCALL@8 */
	assert_int_equal(sz, 9);
	uint32_t got_hz, kver;
	memcpy(&got_hz, v, 4);
	memcpy(&kver, v + 4, 4);
	assert_int_equal(got_hz, hz < 0 ? 0 : hz);
	assert_int_equal(v[8], bpf_syscall);
	unsigned a = 0, b = 0, c = 0;
	sscanf(u.release, "%u.%u.%u", &a, &b, &c);
	assert_int_equal(kver, a << 16 | b << 8 | (c > 255 ? 255 : c));
	printf("kconfig from %s: CONFIG_HZ=%u CONFIG_BPF_SYSCALL=%u LINUX_KERNEL_VERSION=0x%x\n", src, got_hz, v[8], kver);
	hive_object_close(obj);
}

/* }===== */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_kinds),
		cmocka_unit_test(test_loops_and_overflow),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_sec_defs),
		cmocka_unit_test(test_legacy_maps),
		cmocka_unit_test(test_kconfig_values),
		cmocka_unit_test(test_kconfig_file),
		cmocka_unit_test(test_kconfig_running_kernel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
