/* The kernel engine: BPF_PROG_LOAD and BPF_PROG_TEST_RUN through the raw
 * bpf() syscall, no libbpf. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"
#include "progs/bench_prog.h"

static int bench_kernel_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

int bench_kernel_load(const struct hive_insn *insns, size_t cnt, char *log, size_t logsz)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_XDP;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = (uint32_t)cnt;
	a.license = (uint64_t)(uintptr_t)"GPL";
	if (log && logsz) {
		log[0] = 0;
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = (uint32_t)logsz;
		a.log_level = 1;
	}
	fd = bench_kernel_bpf(BPF_PROG_LOAD, &a);
	return fd < 0 ? -errno : fd;
}

int bench_kernel_run(int fd, const void *data, size_t len, uint32_t repeat, uint32_t *retval, double *ns)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	a.test.data_in = (uint64_t)(uintptr_t)data;
	a.test.data_size_in = (uint32_t)len;
	a.test.repeat = repeat;
	if (bench_kernel_bpf(BPF_PROG_TEST_RUN, &a) < 0)
		return -errno;
	if (retval)
		*retval = a.test.retval;
	if (ns)
		*ns = a.test.duration;
	return 0;
}

const char *bench_kernel_log_reason(char *log)
{
	char *end = log + strlen(log);

	/* walk lines from the end, past the statistics the verifier appends */
	while (end > log) {
		char *line;

		while (end > log && end[-1] == '\n')
			*--end = 0;
		line = end;
		while (line > log && line[-1] != '\n')
			line--;
		if (strncmp(line, "processed ", 10) && strncmp(line, "verification time", 17) &&
		    strncmp(line, "stack depth", 11))
			return line;
		end = line;
	}
	return "(no verifier log)";
}

int bench_kernel_probe(char *why, size_t whysz)
{
	static const struct hive_insn pass[] = {
		{.code = 0xb7, .dst_reg = 0, .imm = BENCH_XDP_PASS}, /* r0 = 2 */
		{.code = 0x95},                                      /* exit */
	};
	int fd = bench_kernel_load(pass, 2, NULL, 0);

	if (fd == -EPERM || fd == -EACCES || fd == -ENOSYS) {
		snprintf(why, whysz, "skipped: bpf() not permitted");
		return -1;
	}
	if (fd < 0) {
		snprintf(why, whysz, "skipped: bpf(): %s", strerror(-fd));
		return -1;
	}
	return fd;
}
