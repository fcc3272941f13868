/* The fixtures of tests/fixtures/l4lb through `hive test-run` (no bpf()
 * needed): every case's JSON output, packets and map dumps after each run,
 * must equal expected/NAME.json, which this machine's kernel recorded
 * (tests/fixtures/record.sh). Interpreter and JIT, each as loaded by
 * default and with run-time checks (fc_ways). A
 * case that needs what hive lacks yet (cases.txt: NEEDS) is run and
 * reported while hive says it lacks that (an unknown helper), and compared
 * as soon as it does not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../fixtures/fixture_cases.h"

static struct fc_set set;


static void test_hive_vs_expected(void **state)
{
	(void)state;
	if (!fc_clang()) {
		printf("HIVE-SKIP: no clang to build the fixtures' programs\n");
		skip();
	}
	char errfile[1200];
	snprintf(errfile, sizeof errfile, "%s/fixtures.%d.err", HIVE_BINARY_DIR, (int)getpid());
	const char *ways[4];
	int nways = fc_ways(HIVE_BINARY_DIR "/hive", ways), compared = 0, pending = 0;
	for (int i = 0; i < set.n; i++) {
		const struct fc_case *c = &set.cases[i];
		const char *obj = fc_object(&set, c, HIVE_BINARY_DIR);
		assert_non_null(obj);
		char path[1400];
		snprintf(path, sizeof path, "%s/expected/%s.json", set.dir, c->name);
		char *want = fc_read(path, NULL);
		if (!want)
			fail_msg("%s: no %s", c->name, path);
		/* the expected output holds every run's packet and the maps */
		assert_non_null(strstr(want, "\"data_out\":\""));
		assert_non_null(strstr(want, "\"maps\":{"));
		for (int w = 0; w < nways; w++) {
			int code = -1;
			char *got = fc_hive(HIVE_BINARY_DIR "/hive", obj, c, ways[w], errfile, &code);
			assert_non_null(got);
			bool same = code == 0 && !strcmp(got, want);
			char *errs = same ? NULL : fc_read(errfile, NULL);
			if (!same && fc_lacks(c, errs)) {
				printf("%s (%s): needs %s, which hive lacks yet: %.200s\n", c->name, ways[w], c->needs, errs);
				free(errs);
				free(got);
				pending++;
				continue;
			}
			if (!same) {
				size_t at = fc_diff_at(got, want);
				fail_msg("%s (%s): exit %d; differs from %s from byte %zu:\nhive:     %.300s\nexpected: %.300s\n%s",
					 c->name, ways[w], code, path, at, got + at, want + at, errs ? errs : "");
			}
			compared++;
			free(got);
		}
		free(want);
	}
	unlink(errfile);
	printf("%d runs of the fixtures equal the kernel's recorded output; %d pending\n", compared, pending);
	/* patch_ports and tc_snat need nothing hive lacks: always compared */
	assert_true(compared >= 2 * nways);
}

int main(void)
{
	if (!fc_load(HIVE_SOURCE_DIR "/tests/fixtures/l4lb", &set))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hive_vs_expected),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	fc_free(&set);
	return rc;
}
