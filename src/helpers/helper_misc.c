/* csum_diff and bpf_spin_lock. */
#include <string.h>

#include "helpers/helpers.h"
#include "maps/lock.h"

enum { CSUM_MAX = 512 }; /* the kernel's scratchpad: MAX_BPF_STACK bytes */

/* One's complement sum of 32-bit words plus @seed, folded to 32 bits: what
 * x86-64's csum_partial returns for 4-byte-multiple buffers. */
static uint32_t csum_words(const uint32_t *w, size_t n, uint32_t seed)
{
	uint64_t s = seed;
	for (size_t i = 0; i < n; i++)
		s += w[i];
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

/* csum_diff(from, from_size, to, to_size, seed): the checksum of ~from
 * followed by to, on top of seed. */
HELPER(csum_diff)
{
	const void *from = (const void *)(uintptr_t)r1, *to = (const void *)(uintptr_t)r3;
	uint64_t from_size = r2, to_size = r4;
	if (((from_size | to_size) & 3) || from_size + to_size > CSUM_MAX)
		return (uint64_t)-EINVAL;
	if (!helper_mem_ok(run, from, from_size, false, "csum_diff from") ||
	    !helper_mem_ok(run, to, to_size, false, "csum_diff to"))
		return 0;
	uint32_t diff[CSUM_MAX / 4];
	size_t j = 0;
	for (size_t i = 0; i < from_size / 4; i++, j++) {
		uint32_t v;
		memcpy(&v, (const uint8_t *)from + 4 * i, 4);
		diff[j] = ~v;
	}
	for (size_t i = 0; i < to_size / 4; i++, j++)
		memcpy(&diff[j], (const uint8_t *)to + 4 * i, 4);
	return csum_words(diff, j, (uint32_t)r5);
}

HELPER(spin_lock)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	void *lock = (void *)(uintptr_t)r1;
	if (!helper_mem_ok(run, lock, 4, true, "spin lock") || !lock || ((uintptr_t)lock & 3)) {
		hive_run_abort(run, -EINVAL, "helper: spin_lock: bad lock");
		return 0;
	}
	lock_spin((_Atomic uint32_t *)lock);
	return 0;
}

HELPER(spin_unlock)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	void *lock = (void *)(uintptr_t)r1;
	if (!helper_mem_ok(run, lock, 4, true, "spin lock") || !lock || ((uintptr_t)lock & 3)) {
		hive_run_abort(run, -EINVAL, "helper: spin_unlock: bad lock");
		return 0;
	}
	lock_unspin((_Atomic uint32_t *)lock);
	return 0;
}
