/* Clocks, as the kernel's: ktime_get_ns is CLOCK_MONOTONIC, boot_ns
 * CLOCK_BOOTTIME, coarse_ns CLOCK_MONOTONIC_COARSE, tai_ns CLOCK_TAI.
 * jiffies64 counts HIVE_HZ ticks of CLOCK_MONOTONIC_COARSE: user space
 * cannot read the kernel's jiffies, only the rate matters to programs. */
#include <time.h>

#include "helpers/helpers.h"

enum { HIVE_HZ = 1000 };

static uint64_t helper_clock(clockid_t id)
{
	struct timespec ts;
	if (clock_gettime(id, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

HELPER(ktime_get_ns)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)run;
	return helper_clock(CLOCK_MONOTONIC);
}

HELPER(ktime_get_boot_ns)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)run;
	return helper_clock(CLOCK_BOOTTIME);
}

HELPER(ktime_get_coarse_ns)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)run;
	return helper_clock(CLOCK_MONOTONIC_COARSE);
}

HELPER(ktime_get_tai_ns)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)run;
	return helper_clock(CLOCK_TAI);
}

HELPER(jiffies64)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)run;
	return helper_clock(CLOCK_MONOTONIC_COARSE) / (1000000000u / HIVE_HZ);
}
