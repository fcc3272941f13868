/* hive test-run's fixtures options through the built binary: --maps (every
 * refusal, with the file, line, map and entry it names, and exit code 1
 * before anything runs), "prog"/"map"/"inner" slots, per-CPU and keyless
 * maps, --dump-maps, several --data in one JSON array, --type for sections
 * that name no type, and hive xdp --maps (the same reader). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../fixtures/fixture_cases.h"

static char out[1 << 18];
static char dir[1024];
static struct fc_set l4lb, cli;
/* test-run's flag to skip the verifier, once it verifies by default (hive's
 * verifier refuses l4lb's lookups in a map of maps): "" or "--unverified" */
static const char *unverified = "";

/* Run `hive ARGS`; stdout+stderr (or stdout only) into out; exit code. */
static int hive(bool with_stderr, const char *fmt, ...)
{
	char args[8192], cmd[9000];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof cmd, "%s/hive %s %s %s", HIVE_BINARY_DIR, args,
		 strncmp(args, "test-run ", 9) ? "" : unverified, with_stderr ? "2>&1" : "2>/dev/null");
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *write_text(const char *name, const char *text)
{
	static char path[4][1200];
	static int next;
	char *p = path[next++ % 4];
	snprintf(p, sizeof path[0], "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static const char *object(const struct fc_set *set, const char *name)
{
	struct fc_case c = {0};
	snprintf(c.object, sizeof c.object, "%s", name);
	const char *o = fc_object(set, &c, HIVE_BINARY_DIR);
	assert_non_null(o);
	static char copy[4][1200];
	static int next;
	char *p = copy[next++ % 4];
	snprintf(p, sizeof copy[0], "%s", o);
	return p;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "%s/testrun_maps.%d", HIVE_BINARY_DIR, (int)getpid());
	mkdir(dir, 0755);
	if (!fc_load(HIVE_SOURCE_DIR "/tests/fixtures/l4lb", &l4lb))
		return -1;
	unverified = fc_unverified(HIVE_BINARY_DIR "/hive");
	memset(&cli, 0, sizeof cli);
	snprintf(cli.dir, sizeof cli.dir, "%s", HIVE_SOURCE_DIR "/tests/fixtures/cli");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fc_free(&l4lb);
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

#define NEED_CLANG()                                                          \
	do {                                                                  \
		if (!fc_clang()) {                                            \
			printf("HIVE-SKIP: no clang to build the programs\n"); \
			skip();                                               \
		}                                                             \
	} while (0)

#define Z16 "0000000000000000"
#define VIPKEY "0a00000100500600" /* 10.0.0.1:80 TCP */

/* Each bad maps file: what the message must say (after "hive: FILE:"). */
static const struct {
	const char *json, *want;
} bad_files[] = {
	{"{", "1: unexpected end of the file"},
	{"[]", "1: the file must be an object {\"MAP_NAME\": [entries], ...}"},
	{"{} x", "1: text after the end of the JSON value"},
	{"{\"vips\" []}", "1: expected ':' after \"vips\""},
	{"{\"vips\": [{\"key\": \"00\"},]}", "1: not JSON here"},
	{"{\"vips\": {}}", "1: map 'vips': its entries must be an array"},
	{"{\"vips\": [1]}", "1: map 'vips' entry 0: an entry is an object"},
	{"{\"vips\": [{\"key\": \"" VIPKEY "\", \"valeu\": \"00\"}]}", "1: map 'vips' entry 0: unknown field \"valeu\""},
	{"{\"vips\": [{\"key\": \"" VIPKEY "\"}]}", "1: map 'vips' entry 0: no \"value\""},
	{"{\"vips\": [{\"key\": \"0g\", \"value\": \"00\"}]}", "1: \"key\": 'g' at 1 is not a hex digit"},
	{"{\"vips\": [{\"key\": \"000\", \"value\": \"00\"}]}", "1: \"key\": an odd number of hex digits (3)"},
	{"{\"vips\": [{\"key\": 5, \"value\": \"00\"}]}", "1: \"key\" must be a string of hex digits"},
	{"{\"vips\": [{\"key\": \"00\", \"key\": \"00\", \"value\": \"00\"}]}", "1: map 'vips' entry 0: \"key\" twice"},
	{"{\"vips\": [{\"key\": \"" VIPKEY "\", \"value\": \"" Z16 "\", \"prog\": \"x\"}]}",
	 "1: map 'vips' entry 0: give one of \"value\", \"prog\", \"map\", \"inner\""},
	{"{\"jump_table\": [{\"key\": \"00000000\", \"prog\": 5}]}", "1: map 'jump_table' entry 0: \"prog\" must be a name"},
	{"{\"rings\": [{\"key\": \"00000000\", \"inner\": {\"max_entries\": 1.5}}]}", "1: only integers"},
	{"{\"rings\": [{\"key\": \"00000000\", \"inner\": {\"type\": \"nonsense\"}}]}",
	 "1: map 'rings' entry 0: inner \"type\": not a map type"},
	{"{\"rings\": [{\"key\": \"00000000\", \"inner\": {\"colour\": 1}}]}", "1: map 'rings' entry 0: inner: unknown field \"colour\""},
	{"{\"rings\": [{\"key\": \"00000000\", \"inner\": []}]}", "1: map 'rings' entry 0: \"inner\" must be an object"},
	{"{\"rings\": [{\"key\": \"00000000\", \"inner\": {\"entries\": [], \"entries\": []}}]}",
	 "1: map 'rings' entry 0: inner: \"entries\" twice"},
	{"{\"vips\": [{\"key\": \"a\\u0041\", \"value\": \"00\"}]}", "1: unsupported escape '\\u'"},
	/* against the object's maps */
	{"{\n\"nope\": []}", "2: no map named 'nope' in the object (it has: vips, "},
	{"{\"vips\": [{\"key\": \"01020304\", \"value\": \"" Z16 "\"}]}", "1: map 'vips' entry 0: key is 4 bytes, the map's key size is 8"},
	{"{\"vips\": [{\"key\": \"" VIPKEY "\", \"value\": \"00000000\"}]}",
	 "1: map 'vips' entry 0: value is 4 bytes, the map's value size is 8"},
	{"{\"vips\": [{\"value\": \"" Z16 "\"}]}", "1: map 'vips' entry 0: no \"key\""},
	{"{\"vips\": [\n{\"key\": \"" VIPKEY "\", \"value\": \"" Z16 "\"},\n{\"key\": \"" VIPKEY "\", \"prog\": \"xdp_l4lb\"}]}",
	 "3: map 'vips' entry 1: \"prog\" fills prog arrays; this map is of type hash"},
	{"{\"backends\": [{\"key\": \"63000000\", \"value\": \"000000000000000000000000\"}]}",
	 "1: map 'backends' entry 0: index 99 is past max_entries 16 (E2BIG)"},
	{"{\"jump_table\": [{\"key\": \"00000000\", \"value\": \"00000000\"}]}",
	 "1: map 'jump_table' entry 0: a prog array's slot takes \"prog\": NAME"},
	{"{\"jump_table\": [{\"key\": \"00000000\", \"prog\": \"nope\"}]}",
	 "1: map 'jump_table' entry 0: no program named 'nope' in the object"},
	{"{\"jump_table\": [{\"key\": \"09000000\", \"prog\": \"xdp_l4lb\"}]}",
	 "1: map 'jump_table' entry 0: index 9 is past max_entries 4 (E2BIG)"},
	{"{\"rings\": [{\"key\": \"00000000\", \"value\": \"00000000\"}]}",
	 "1: map 'rings' entry 0: slots of array_of_maps maps take \"map\": NAME or \"inner\": {...}"},
	{"{\"rings\": [{\"key\": \"00000000\", \"map\": \"nope\"}]}", "1: map 'rings' entry 0: no map named 'nope' in the object"},
	{"{\"rings\": [{\"key\": \"00000000\", \"map\": \"backends\"}]}",
	 "1: map 'rings' entry 0: map 'backends' (array, key 4, value 12, max_entries 16) does not fit the map's inner-map template"},
	{"{\"rings\": [{\"key\": \"08000000\", \"map\": \"ring_default\"}]}", "1: map 'rings' entry 0: index 8 is past max_entries 8 (E2BIG)"},
	{"{\"rings\": [{\"key\": \"00000000\", \"inner\": {\"max_entries\": 5}}]}",
	 "1: map 'rings' entry 0: the inner array (key 4, value 4, max_entries 5, flags 0) does not fit the map's inner-map template"},
	{"{\"rings\": [{\"key\": \"00000000\", \"inner\": {\"key_size\": 0}}]}", "1: map 'rings' entry 0: inner array (key 0, value 4, max_entries 13): "},
	{"{\"rings\": [{\"key\": \"00000000\", \"inner\": {\"entries\": [{\"key\": \"00\", \"value\": \"00000000\"}]}}]}",
	 "1: map 'rings[0].inner' entry 0: key is 1 bytes, the map's key size is 4"},
	{"{\"rings\": [{\"key\": \"00000000\", \"inner\": {\"entries\": [{\"key\": \"0d000000\", \"value\": \"00000000\"}]}}]}",
	 "1: map 'rings[0].inner' entry 0: index 13 is past max_entries 13 (E2BIG)"},
	{"{\"vips\": [{\"key\": \"" VIPKEY "\", \"inner\": {}}]}", "1: map 'vips' entry 0: \"inner\" fills maps of maps; this map is of type hash"},
	{"{\"backends\": [{\"key\": \"00000000\", \"map\": \"ring_default\"}]}",
	 "1: map 'backends' entry 0: \"map\" fills maps of maps; this map is of type array"},
};

static void test_maps_errors(void **state)
{
	(void)state;
	NEED_CLANG();
	const char *obj = object(&l4lb, "l4lb");
	char pkt[1200];
	snprintf(pkt, sizeof pkt, "%s/syn.bin", l4lb.dir);
	for (size_t i = 0; i < sizeof bad_files / sizeof *bad_files; i++) {
		const char *path = write_text("bad.json", bad_files[i].json);
		char want[600];
		snprintf(want, sizeof want, "hive: %s:%s", path, bad_files[i].want);
		int code = hive(true, "test-run %s --prog xdp_l4lb --maps %s --data %s --json", obj, path, pkt);
		if (code != 1 || strncmp(out, want, strlen(want)))
			fail_msg("file %zu: %s\nexit %d, got:  %s\nwant: %s", i, bad_files[i].json, code, out, want);
		/* nothing ran */
		assert_null(strstr(out, "\"retval\""));
	}
	/* a missing file, and a file with a NUL byte */
	assert_int_equal(hive(true, "test-run %s --maps %s/missing.json", obj, dir), 1);
	assert_non_null(strstr(out, "missing.json: No such file or directory"));
	char nul[1200];
	snprintf(nul, sizeof nul, "%s/nul.json", dir);
	FILE *f = fopen(nul, "wb");
	assert_non_null(f);
	fwrite("{}\0", 1, 3, f);
	fclose(f);
	assert_int_equal(hive(true, "test-run %s --maps %s", obj, nul), 1);
	assert_non_null(strstr(out, "a NUL byte in the file"));
}

/* A hash with room for 16 entries refuses the 17th: E2BIG, "full". */
static void test_maps_full(void **state)
{
	(void)state;
	NEED_CLANG();
	const char *obj = object(&l4lb, "patch_ports");
	char json[4096];
	int len = snprintf(json, sizeof json, "{\"port_map\": [");
	for (int i = 0; i < 17; i++)
		len += snprintf(json + len, sizeof json - (size_t)len, "%s\n{\"key\": \"%04x\", \"value\": \"0001\"}", i ? "," : "", i);
	snprintf(json + len, sizeof json - (size_t)len, "]}");
	const char *path = write_text("full.json", json);
	assert_int_equal(hive(true, "test-run %s --type xdp --maps %s", obj, path), 1);
	char want[1400];
	snprintf(want, sizeof want, "hive: %s:18: map 'port_map' entry 16: the map is full (max_entries 16, E2BIG)", path);
	if (strncmp(out, want, strlen(want)))
		fail_msg("got %s\nwant %s", out, want);
	/* the same key again replaces (BPF_ANY): no error */
	snprintf(json, sizeof json, "{\"port_map\": [{\"key\": \"0035\", \"value\": \"0001\"}, {\"key\": \"0035\", \"value\": \"14e9\"}]}");
	path = write_text("any.json", json);
	char pkt[1200];
	snprintf(pkt, sizeof pkt, "%s/udp_53.bin", l4lb.dir);
	assert_int_equal(hive(false, "test-run %s --type xdp --maps %s --data %s --json --dump-maps", obj, path, pkt), 0);
	assert_non_null(strstr(out, "\"port_map\":[{\"key\":\"0035\",\"value\":\"14e9\"}]"));
}

/* A section that names no type: refused without --type, run with it. */
static void test_forced_type(void **state)
{
	(void)state;
	NEED_CLANG();
	const char *obj = object(&l4lb, "patch_ports");
	char pkt[1200];
	snprintf(pkt, sizeof pkt, "%s/udp_53.bin", l4lb.dir);
	assert_int_equal(hive(true, "prog show %s", obj), 0);
	assert_non_null(strstr(out, "unspec  name patch_ports  section xdp_patch_ports"));
	assert_int_equal(hive(true, "test-run %s --data %s", obj, pkt), 1);
	assert_non_null(strstr(out, "program 'patch_ports': section 'xdp_patch_ports' names no program type: give --type"));
	assert_int_equal(hive(false, "test-run %s --type xdp --data %s --json", obj, pkt), 0);
	assert_non_null(strstr(out, "{\"prog\":\"patch_ports\",\"retval\":2,"));
}

/* Per-CPU: one value seeds every CPU; the dump holds all CPUs' slots. Hash
 * of maps: an inline inner map the program reads. Queue: pushed in file
 * order, popped by the runs in order. Several --data: one JSON array. */
static void test_maps_kinds(void **state)
{
	(void)state;
	NEED_CLANG();
	const char *obj = object(&cli, "maps_cli");
	const char *maps = write_text("kinds.json",
				      "{\"pcpu\": [{\"key\": \"00000000\", \"value\": \"0500000000000000\"}],\n"
				      " \"tenants\": [{\"key\": \"01000000\", \"inner\": {\"entries\": [{\"key\": \"07000000\", \"value\": \"03000000\"}]}}],\n"
				      " \"q\": [{\"value\": \"aabbccdd\"}, {\"value\": \"11223344\"}],\n"
				      " \"small\": [{\"key\": \"01000000\", \"value\": \"01000000\"}]}");
	const char *pkt = write_text("pkt.bin", "0123456789abcdef");
	assert_int_equal(hive(false, "test-run %s --maps %s --data %s --data %s --json --dump-maps --jit", obj, maps, pkt,
			      pkt),
			 0);
	assert_true(out[0] == '[');
	/* the queue's values, in order, in each run's packet */
	assert_non_null(strstr(out, "\"retval\":3,\"data_out\":\"aabbccdd34353637"));
	char *second = strstr(out, "},\n{\"prog\"");
	assert_non_null(second);
	assert_non_null(strstr(second, "\"retval\":3,\"data_out\":\"1122334434353637"));
	/* the inline inner map, dumped as such */
	assert_non_null(strstr(out, "\"tenants\":[{\"key\":\"01000000\",\"inner\":{\"type\":\"hash\",\"key_size\":4,"
				    "\"value_size\":4,\"max_entries\":8,\"entries\":[{\"key\":\"07000000\",\"value\":\"03000000\"}]}}]"));
	/* per-CPU: N 8-byte slots, 5 each, plus the two runs' increments */
	char *pc = strstr(second, "\"pcpu\":[{\"key\":\"00000000\",\"value\":\"");
	assert_non_null(pc);
	pc += strlen("\"pcpu\":[{\"key\":\"00000000\",\"value\":\"");
	size_t hexlen = strcspn(pc, "\"");
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	assert_int_equal(hexlen % 16, 0);
	assert_true(hexlen / 16 >= 1 && (long)(hexlen / 16) >= (cpus < 1 ? 1 : cpus) - 64);
	uint64_t sum = 0;
	for (size_t s = 0; s < hexlen / 16; s++) {
		uint64_t v = 0;
		for (int b = 7; b >= 0; b--) {
			unsigned byte;
			assert_int_equal(sscanf(pc + s * 16 + b * 2, "%2x", &byte), 1);
			v = v << 8 | byte;
		}
		assert_true(v == 5 || v == 6 || v == 7);
		sum += v;
	}
	assert_int_equal(sum, 5 * (hexlen / 16) + 2);
	/* a run the kernel would refuse (10 bytes) is one error in the array, the
	 * others run; exit 1 */
	const char *tiny = write_text("tiny.bin", "0123456789");
	assert_int_equal(hive(false, "test-run %s --maps %s --data %s --data %s --data %s --json", obj, maps, pkt, tiny, pkt), 1);
	char *err_run = strstr(out, "},\n{\"error\":-22,\"errmsg\":\"xdp: data_size_in 10 is less than");
	assert_non_null(err_run);
	assert_non_null(strstr(err_run, "},\n{\"prog\":\"maps_cli\",\"retval\":3,\"data_out\":\"1122334434353637"));
	/* one --data: one object, not an array; text output with maps */
	assert_int_equal(hive(false, "test-run %s --maps %s --data %s --json", obj, maps, pkt), 0);
	assert_true(out[0] == '{');
	assert_null(strstr(out, "\"maps\""));
	assert_int_equal(hive(false, "test-run %s --maps %s --data %s --dump-maps", obj, maps, pkt), 0);
	assert_non_null(strstr(out, "maps_cli: retval 3 (0x3)"));
	assert_non_null(strstr(out, "maps:\n  \"pcpu\":[{\"key\":\"00000000\""));
	/* keyless maps take no key; per-CPU values of another size are refused */
	maps = write_text("q.json", "{\"q\": [{\"key\": \"00000000\", \"value\": \"00000000\"}]}");
	assert_int_equal(hive(true, "test-run %s --maps %s", obj, maps), 1);
	assert_non_null(strstr(out, ":1: map 'q' entry 0: maps of type queue have no keys: give \"value\" only"));
	maps = write_text("pc.json", "{\"pcpu\": [{\"key\": \"00000000\", \"value\": \"050000\"}]}");
	assert_int_equal(hive(true, "test-run %s --maps %s", obj, maps), 1);
	assert_non_null(strstr(out, ":1: map 'pcpu' entry 0: value is 3 bytes, the map's value size is 8 (one CPU) or "));
	/* a hash with room for 2: the third key is refused */
	maps = write_text("small.json", "{\"small\": [{\"key\": \"01000000\", \"value\": \"00000000\"}, {\"key\": \"02000000\", "
					"\"value\": \"00000000\"}, {\"key\": \"03000000\", \"value\": \"00000000\"}]}");
	assert_int_equal(hive(true, "test-run %s --maps %s", obj, maps), 1);
	assert_non_null(strstr(out, ":1: map 'small' entry 2: the map is full (max_entries 2, E2BIG)"));
}

/* The slot of a prog array holds the program the file names, loaded for it
 * (xdp_l4lb_v6 is not the program run); several maps files apply in order. */
static void test_prog_slot(void **state)
{
	(void)state;
	NEED_CLANG();
	const char *obj = object(&l4lb, "l4lb");
	const char *maps = write_text("slot.json", "{\"jump_table\": [{\"key\": \"02000000\", \"prog\": \"xdp_l4lb_v6\"}]}");
	const char *maps2 = write_text("slot2.json", "{\"jump_table\": [{\"key\": \"03000000\", \"prog\": \"xdp_l4lb\"}]}");
	char pkt[1200];
	snprintf(pkt, sizeof pkt, "%s/syn.bin", l4lb.dir);
	assert_int_equal(hive(false, "test-run %s --prog xdp_l4lb --maps %s --maps %s --data %s --json --dump-maps", obj,
			      maps, maps2, pkt),
			 0);
	assert_non_null(strstr(out, "\"jump_table\":[{\"key\":\"02000000\",\"prog\":\"xdp_l4lb_v6\"},"
				    "{\"key\":\"03000000\",\"prog\":\"xdp_l4lb\"}]"));
	/* a dump is a maps file: seeding from it gives the same maps (the
	 * rings, the slots, the connection table before this run's packet) */
	assert_int_equal(hive(false, "test-run %s --prog xdp_l4lb --maps %s/maps.json --data %s --json --dump-maps", obj,
			      l4lb.dir, pkt),
			 0);
	char *maps_at = strstr(out, ",\"maps\":");
	assert_non_null(maps_at);
	char *dump = strdup(maps_at + strlen(",\"maps\":"));
	assert_non_null(dump);
	dump[strlen(dump) - 2] = '\0'; /* the result's closing brace and the newline */
	char *rings = strstr(dump, "\"rings\":[");
	assert_non_null(rings);
	char *rings_end = strstr(rings, ",\"verdicts\":"), rings_before[4096];
	assert_non_null(rings_end);
	snprintf(rings_before, sizeof rings_before, "%.*s", (int)(rings_end - rings), rings);
	const char *again = write_text("again.json", dump);
	assert_int_equal(hive(false, "test-run %s --prog xdp_l4lb --maps %s --data %s --json --dump-maps", obj, again, pkt), 0);
	assert_true(strlen(rings_before) > 100);
	assert_non_null(strstr(out, rings_before));
	assert_non_null(strstr(out, "\"jump_table\":[{\"key\":\"00000000\",\"prog\":\"xdp_l4lb\"},"
				    "{\"key\":\"01000000\",\"prog\":\"xdp_l4lb_v6\"}]"));
	/* the flow the first run made is known: its count went from 1 to 2 */
	assert_non_null(strstr(dump, "\"conns\":[{\"key\":\"ac10000a0a0000019c40005006000000\",\"value\":\"0100000001000000\"},"));
	assert_non_null(strstr(out, "\"conns\":[{\"key\":\"ac10000a0a0000019c40005006000000\",\"value\":\"0100000002000000\"},"));
	free(dump);
	/* without a maps file naming it, the slot stays empty */
	assert_int_equal(hive(false, "test-run %s --prog xdp_l4lb --data %s --json --dump-maps", obj, pkt), 0);
	assert_non_null(strstr(out, "\"jump_table\":[]"));
}

/* A program a slot names is loaded, and verified, with the one run
 * (good_slot: maps_cli's map-in-map lookups are beyond hive's verifier). */
static void test_slot_verified(void **state)
{
	(void)state;
	NEED_CLANG();
	const char *obj = object(&cli, "maps_cli");
	const char *pkt = write_text("pkt.bin", "0123456789abcdef");
	const char *good = write_text("good.json", "{\"progs\": [{\"key\": \"01000000\", \"prog\": \"good_slot\"}]}");
	const char *bad = write_text("bad.json", "{\"progs\": [{\"key\": \"00000000\", \"prog\": \"refused_slot\"}]}");
	assert_int_equal(hive(false, "test-run %s --prog good_slot --verify --maps %s --data %s --json --dump-maps", obj, good, pkt), 0);
	assert_non_null(strstr(out, "\"progs\":[{\"key\":\"01000000\",\"prog\":\"good_slot\"}]"));
	/* unverified, the refused program loads (checked) into its slot */
	assert_int_equal(hive(false, "test-run %s --prog good_slot --maps %s --data %s --json --dump-maps %s", obj, bad, pkt,
			      *unverified ? "" : "--interpret"),
			 0);
	assert_non_null(strstr(out, "\"progs\":[{\"key\":\"00000000\",\"prog\":\"refused_slot\"}]"));
	/* verified, it is refused, by name, and nothing runs */
	assert_int_equal(hive(true, "test-run %s --prog good_slot --verify --maps %s --data %s --json", obj, bad, pkt), 1);
	assert_non_null(strstr(out, "refused_slot"));
	assert_null(strstr(out, "\"retval\""));
}

/* hive xdp --maps reads the same files (inner maps included); it loads one
 * program, so a slot naming another is refused. */
static void test_xdp_maps(void **state)
{
	(void)state;
	NEED_CLANG();
	const char *obj = object(&l4lb, "l4lb");
	assert_int_equal(hive(true, "xdp %s --prog xdp_l4lb --pcap %s/flows.pcap --maps %s/maps.json --unverified", obj,
			      l4lb.dir, l4lb.dir),
			 1);
	assert_non_null(strstr(out, "map 'jump_table' entry 1: program 'xdp_l4lb_v6' is not loaded"));
	/* one VIP (10.0.0.1:80) whose ring, an inline inner map, holds backend 1 only */
	char json[4096];
	int len = snprintf(json, sizeof json,
			   "{\"config\": [{\"key\": \"00000000\", \"value\": \"c0a8010102000000aa010000\"}],\n"
			   " \"backends\": [{\"key\": \"01000000\", \"value\": \"c0a80a010200000010010000\"}],\n"
			   " \"vips\": [{\"key\": \"" VIPKEY "\", \"value\": \"" Z16 "\"}],\n"
			   " \"rings\": [{\"key\": \"00000000\", \"inner\": {\"entries\": [");
	for (int i = 0; i < 13; i++)
		len += snprintf(json + len, sizeof json - (size_t)len, "%s{\"key\": \"%02x000000\", \"value\": \"01000000\"}",
				i ? ", " : "", i);
	snprintf(json + len, sizeof json - (size_t)len, "]}}]}");
	const char *maps = write_text("xdp.json", json);
	assert_int_equal(hive(true, "xdp %s --prog xdp_l4lb --pcap %s/flows.pcap --maps %s --unverified", obj, l4lb.dir, maps),
			 0);
	assert_non_null(strstr(out, "19 packets through xdp_l4lb"));
	assert_non_null(strstr(out, "  TX        7\n"));
	assert_non_null(strstr(out, "  DROP      2\n"));
	assert_non_null(strstr(out, "  PASS      10\n"));
	const char *bad = write_text("bad_xdp.json", "{\"rings\": [{\"key\": \"00000000\", \"map\": \"backends\"}]}");
	assert_int_equal(hive(true, "xdp %s --prog xdp_l4lb --pcap %s/flows.pcap --maps %s --unverified", obj, l4lb.dir, bad),
			 1);
	assert_non_null(strstr(out, ":1: map 'rings' entry 0: map 'backends' (array, key 4, value 12, max_entries 16) does not fit"));
}

static const char *write_pcap(const char *name, uint32_t linktype, const uint8_t *pkt, uint32_t len, uint32_t caplen)
{
	static char path[1200];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	uint32_t gh[6] = {0xa1b2c3d4, 2 | 4u << 16, 0, 0, 65535, linktype};
	fwrite(gh, 4, 6, f);
	if (pkt) {
		uint32_t rh[4] = {1, 0, caplen, len};
		fwrite(rh, 4, 4, f);
		fwrite(pkt, 1, caplen, f);
	}
	fclose(f);
	return path;
}

/* --pcap: each record one run (a one-packet capture still gives an
 * array); captures that cannot feed the program are refused. */
static void test_pcap_inputs(void **state)
{
	(void)state;
	NEED_CLANG();
	const char *obj = object(&l4lb, "patch_ports");
	size_t n = 0;
	char path[1200];
	snprintf(path, sizeof path, "%s/udp_53.bin", l4lb.dir);
	char *pkt = fc_read(path, &n);
	assert_non_null(pkt);
	const char *one = write_pcap("one.pcap", 1, (const uint8_t *)pkt, (uint32_t)n, (uint32_t)n);
	assert_int_equal(hive(false, "test-run %s --type xdp --pcap %s --json", obj, one), 0);
	const char *first = "[{\"prog\":\"patch_ports\",\"retval\":2,";
	assert_true(!strncmp(out, first, strlen(first)));
	assert_non_null(strstr(out, "}]\n"));
	const char *empty = write_pcap("empty.pcap", 1, NULL, 0, 0);
	assert_int_equal(hive(true, "test-run %s --type xdp --pcap %s --json", obj, empty), 1);
	assert_non_null(strstr(out, "empty.pcap: no packets"));
	const char *raw = write_pcap("raw.pcap", 101, (const uint8_t *)pkt, (uint32_t)n, (uint32_t)n);
	assert_int_equal(hive(true, "test-run %s --type xdp --pcap %s", obj, raw), 1);
	assert_non_null(strstr(out, "raw.pcap: link type RAW; only Ethernet captures"));
	const char *cut = write_pcap("cut.pcap", 1, (const uint8_t *)pkt, (uint32_t)n, 20);
	assert_int_equal(hive(true, "test-run %s --type xdp --pcap %s", obj, cut), 1);
	assert_non_null(strstr(out, "cut.pcap: packet 1 was cut to 20 of its 60 bytes when captured"));
	const char *junk = write_text("junk.pcap", "not a capture at all");
	assert_int_equal(hive(true, "test-run %s --type xdp --pcap %s", obj, junk), 1);
	assert_non_null(strstr(out, "junk.pcap: "));
	assert_int_equal(hive(true, "test-run %s --type xdp --pcap %s/missing.pcap", obj, dir), 1);
	assert_non_null(strstr(out, "missing.pcap: "));
	free(pkt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maps_errors), cmocka_unit_test(test_maps_full), cmocka_unit_test(test_forced_type),
		cmocka_unit_test(test_maps_kinds),  cmocka_unit_test(test_prog_slot), cmocka_unit_test(test_xdp_maps),
		cmocka_unit_test(test_pcap_inputs), cmocka_unit_test(test_slot_verified),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
