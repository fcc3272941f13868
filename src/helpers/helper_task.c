/* The current task: pid/tgid, uid/gid, comm, CPU, NUMA node, and the
 * pseudo-random generator. "Current" is the calling thread. And the
 * attach point the hook reports for this run (hive_run_opts). */
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <unistd.h>

#include "helpers/helpers.h"
#include "vm/vm.h"

HELPER(get_current_pid_tgid)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)run;
	return (uint64_t)(uint32_t)getpid() << 32 | (uint32_t)gettid();
}

HELPER(get_current_uid_gid)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)run;
	return (uint64_t)(uint32_t)getgid() << 32 | (uint32_t)getuid();
}

/* strscpy_pad(buf, comm, size): the name, truncated, zero-padded */
HELPER(get_current_comm)
{
	(void)r3, (void)r4, (void)r5;
	char *buf = (char *)(uintptr_t)r1;
	if (!r2 || !helper_mem_ok(run, buf, r2, true, "comm buffer"))
		return (uint64_t)-EINVAL;
	char comm[17] = "";
	if (prctl(PR_GET_NAME, comm, 0, 0, 0))
		comm[0] = 0;
	size_t n = strnlen(comm, 16);
	if (n > r2 - 1)
		n = r2 - 1;
	memcpy(buf, comm, n);
	memset(buf + n, 0, r2 - n);
	return 0;
}

HELPER(get_smp_processor_id)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)run;
	int c = sched_getcpu();
	return c < 0 ? 0 : (uint64_t)c;
}

HELPER(get_numa_node_id)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)run;
	unsigned cpu, node;
	return getcpu(&cpu, &node) ? 0 : node;
}

/* xorshift128+ per thread, seeded from getrandom */
static _Thread_local uint64_t helper_rnd[2];

HELPER(get_prandom_u32)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)run;
	uint64_t *s = helper_rnd;
	if (!s[0] && !s[1]) {
		if (getrandom(s, 2 * sizeof *s, GRND_NONBLOCK) != (ssize_t)(2 * sizeof *s) || (!s[0] && !s[1])) {
			s[0] = (uint64_t)(uintptr_t)s ^ 0x9e3779b97f4a7c15u;
			s[1] = (uint64_t)gettid() * 0xbf58476d1ce4e5b9u + 1;
		}
	}
	uint64_t x = s[0], y = s[1];
	s[0] = y;
	x ^= x << 23;
	s[1] = x ^ y ^ (x >> 17) ^ (y >> 26);
	return (uint32_t)((s[1] + y) >> 32);
}

/* the probed function's address: what the hook that ran the program says */
HELPER(get_func_ip)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	return run ? run->func_ip : 0;
}

HELPER(get_attach_cookie)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	return run ? run->attach_cookie : 0;
}
