/* csum_diff and bpf_spin_lock. */
#include <string.h>

#include "helpers/helpers.h"
#include "maps/lock.h"

/* {===== checksums, as Linux on x86-64 computes them */

static uint32_t csum_add32(uint32_t a, uint32_t b)
{
	uint32_t r = a + b;
	return r + (r < b);
}

/* csum_from32to16: fold a 32-bit partial sum to 16 bits */
static uint32_t csum_fold16(uint32_t sum)
{
	sum += (sum >> 16) | (sum << 16);
	return sum >> 16;
}

/* x86-64's csum_partial: the one's complement sum of the buffer read as
 * little-endian 64-bit words (the tail zero-padded) on top of @sum, folded
 * to 32 bits; an odd start address is handled by rotating, as there. */
static uint32_t csum_partial(const uint8_t *buf, uint64_t len, uint32_t sum)
{
	uint64_t t = sum;
	bool odd = (uintptr_t)buf & 1;
	if (odd) {
		if (!len)
			return sum;
		t = (sum >> 8) | (sum << 24);
		t += (uint32_t)buf[0] << 8;
		len--;
		buf++;
	}
	while (len) {
		uint64_t w = 0, n = len < 8 ? len : 8;
		memcpy(&w, buf, n);
		t += w;
		t += t < w;
		buf += n;
		len -= n;
	}
	uint32_t hi = (uint32_t)(t >> 32), lo = (uint32_t)t;
	uint32_t result = csum_add32(hi, lo);
	if (odd) {
		result = csum_fold16(result);
		result = ((result >> 8) & 0xff) | ((result & 0xff) << 8);
	}
	return result;
}

/* csum_diff(from, from_size, to, to_size, seed), as net/core/filter.c
 * since Linux 6.12: the 16-bit folded checksum of "to" minus "from" on top
 * of seed, for any sizes (the verifier bounds them). */
HELPER(csum_diff)
{
	const uint8_t *from = (const uint8_t *)(uintptr_t)r1, *to = (const uint8_t *)(uintptr_t)r3;
	uint64_t from_size = r2, to_size = r4;
	uint32_t seed = (uint32_t)r5;
	if (!helper_mem_ok(run, from, from_size, false, "csum_diff from") ||
	    !helper_mem_ok(run, to, to_size, false, "csum_diff to"))
		return 0;
	if (from_size && to_size)
		return csum_fold16(csum_add32(csum_partial(to, to_size, seed), ~csum_partial(from, from_size, 0)));
	if (to_size)
		return csum_fold16(csum_partial(to, to_size, seed));
	if (from_size)
		return csum_fold16(~csum_partial(from, from_size, ~seed));
	return csum_fold16(seed);
}

/* }===== */

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
