/* strncmp, strtol, strtoul as the kernel's bpf_strncmp/bpf_strtol/
 * bpf_strtoul: leading spaces, an optional '-', base 0 (auto: 0x, 0), 8,
 * 10 or 16 in the low 5 bits of flags, at most 63 characters parsed; the
 * return value is the number of characters consumed, -EINVAL when none,
 * -ERANGE on overflow. */
#include <ctype.h>
#include <limits.h>
#include <string.h>

#include "helpers/helpers.h"

enum { STR_BASE_MASK = 0x1f, STR_OVERFLOW = 1U << 31 };

static const char *str_fixup_radix(const char *s, unsigned *base)
{
	if (*base == 0) {
		if (s[0] == '0') {
			if (tolower((unsigned char)s[1]) == 'x' && isxdigit((unsigned char)s[2]))
				*base = 16;
			else
				*base = 8;
		} else {
			*base = 10;
		}
	}
	if (*base == 16 && s[0] == '0' && tolower((unsigned char)s[1]) == 'x')
		s += 2;
	return s;
}

/* digits consumed, | STR_OVERFLOW if the value does not fit 64 bits */
static unsigned str_parse(const char *s, unsigned base, unsigned long long *res)
{
	unsigned long long v = 0;
	unsigned rv = 0;
	for (;; s++) {
		unsigned c = (unsigned char)*s, val;
		if (c >= '0' && c <= '9')
			val = c - '0';
		else if (tolower(c) >= 'a' && tolower(c) <= 'f')
			val = (unsigned)tolower(c) - 'a' + 10;
		else
			break;
		if (val >= base)
			break;
		if (v & (~0ULL << 60)) { /* might overflow: check exactly */
			if (v > (ULLONG_MAX - val) / base)
				rv |= STR_OVERFLOW;
		}
		v = v * base + val;
		rv++;
	}
	*res = v;
	return rv;
}

static long str_toull(const char *buf, uint64_t buf_len, uint64_t flags, unsigned long long *res, bool *neg)
{
	unsigned base = flags & STR_BASE_MASK;
	if (!buf || !buf_len)
		return -EINVAL;
	if (base != 0 && base != 8 && base != 10 && base != 16)
		return -EINVAL;
	if (flags & ~(uint64_t)STR_BASE_MASK)
		return -EINVAL;
	const char *cur = buf, *end = buf + buf_len;
	while (cur < end && isspace((unsigned char)*cur))
		cur++;
	*neg = cur < end && *cur == '-';
	if (*neg)
		cur++;
	size_t consumed = (size_t)(cur - buf), cur_len = buf_len - consumed;
	if (!cur_len)
		return -EINVAL;
	char str[64];
	if (cur_len > sizeof str - 1)
		cur_len = sizeof str - 1;
	memcpy(str, cur, cur_len);
	str[cur_len] = 0;
	const char *s = str_fixup_radix(str, &base);
	unsigned rv = str_parse(s, base, res);
	if (rv & STR_OVERFLOW)
		return -ERANGE;
	if (!rv)
		return -EINVAL;
	s += rv;
	return (long)(consumed + (size_t)(s - str));
}

HELPER(strtol)
{
	(void)r5;
	const char *buf = (const char *)(uintptr_t)r1;
	int64_t *res = (int64_t *)(uintptr_t)r4;
	if (!helper_mem_ok(run, buf, r2, false, "strtol buffer") || !helper_mem_ok(run, res, 8, true, "strtol result"))
		return 0;
	unsigned long long v;
	bool neg;
	long err = str_toull(buf, r2, r3, &v, &neg);
	if (err < 0)
		return (uint64_t)(int64_t)err;
	if (neg) {
		if ((long long)(0 - v) > 0)
			return (uint64_t)-ERANGE;
		*res = (int64_t)(0 - v);
	} else {
		if ((long long)v < 0)
			return (uint64_t)-ERANGE;
		*res = (int64_t)v;
	}
	return (uint64_t)err;
}

HELPER(strtoul)
{
	(void)r5;
	const char *buf = (const char *)(uintptr_t)r1;
	uint64_t *res = (uint64_t *)(uintptr_t)r4;
	if (!helper_mem_ok(run, buf, r2, false, "strtoul buffer") || !helper_mem_ok(run, res, 8, true, "strtoul result"))
		return 0;
	unsigned long long v;
	bool neg;
	long err = str_toull(buf, r2, r3, &v, &neg);
	if (err < 0)
		return (uint64_t)(int64_t)err;
	if (neg)
		return (uint64_t)-EINVAL;
	*res = v;
	return (uint64_t)err;
}

/* strncmp(s1, s1_sz, s2): -1, 0 or 1 as the kernel's lib/string.c */
HELPER(strncmp)
{
	(void)r4, (void)r5;
	const unsigned char *s1 = (const unsigned char *)(uintptr_t)r1;
	const unsigned char *s2 = (const unsigned char *)(uintptr_t)r3;
	if (!helper_mem_ok(run, s1, r2, false, "strncmp s1"))
		return 0;
	for (uint64_t i = 0; i < r2; i++) {
		unsigned char c2;
		if (helper_probe_copy(&c2, s2 + i, 1)) {
			hive_run_abort(run, -EFAULT, "helper: strncmp s2 unreadable");
			return 0;
		}
		if (s1[i] != c2)
			return s1[i] < c2 ? (uint64_t)-1 : 1;
		if (!c2)
			break;
	}
	return 0;
}
