/* trace_printk, trace_vprintk and snprintf: the kernel's bpf_bprintf_prepare
 * rules (which conversions, how many arguments, strings read safely) and
 * bstr_printf's output, written to the sink hive_helpers_install chose. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/helpers.h"

enum {
	PRINT_BUF = 1024,       /* MAX_BPRINTF_BUF */
	PRINT_MAX_VARARGS = 12, /* MAX_BPRINTF_VARARGS */
};

struct print_out {
	char *buf;
	size_t size, len;
};

static void print_put(struct print_out *o, const char *s, size_t n)
{
	if (o->len < o->size) {
		size_t room = o->size - 1 - o->len;
		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void print_putf(struct print_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void print_putf(struct print_out *o, const char *fmt, ...)
{
	char tmp[PRINT_BUF + 64];
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof tmp) { /* a wide field: format it whole */
		char *big = malloc((size_t)n + 1);
		if (big) {
			vsnprintf(big, (size_t)n + 1, fmt, ap2);
			print_put(o, big, (size_t)n);
			free(big);
		} else {
			print_put(o, tmp, sizeof tmp - 1);
			o->len += (size_t)n - (sizeof tmp - 1);
		}
	} else if (n > 0) {
		print_put(o, tmp, (size_t)n);
	}
	va_end(ap2);
}

/* "%<flags><width>" of the current conversion, for libc */
static void print_spec(char *spec, const char *start, const char *end)
{
	size_t n = (size_t)(end - start);
	if (n > 16)
		n = 16;
	memcpy(spec, start, n);
	spec[n] = 0;
}

static void print_ip(struct print_out *o, const void *ptr, char kind, char ver)
{
	uint8_t ip[16];
	size_t len = ver == '4' ? 4 : 16;
	if (helper_probe_copy(ip, ptr, len))
		memset(ip, 0, len);
	if (ver == '4') {
		print_putf(o, kind == 'I' ? "%u.%u.%u.%u" : "%03u.%03u.%03u.%03u", ip[0], ip[1], ip[2], ip[3]);
		return;
	}
	for (int i = 0; i < 16; i += 2)
		print_putf(o, kind == 'I' && i ? ":%02x%02x" : "%02x%02x", ip[i], ip[i + 1]);
}

int helper_print_format(char *out, size_t size, const char *fmt, const uint64_t *args, uint32_t nargs)
{
	struct print_out o = {out, size, 0};
	uint32_t spec_n = 0;
	char spec[24], lfmt[40];
	for (const char *p = fmt; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if ((!isprint(c) && !isspace(c)) || !isascii(c))
			return -EINVAL;
		if (c != '%') {
			print_put(&o, p, 1);
			continue;
		}
		if (p[1] == '%') {
			print_put(&o, "%", 1);
			p++;
			continue;
		}
		if (spec_n >= nargs)
			return -EINVAL;
		const char *start = p++;
		while (*p == '0' || *p == '+' || *p == '-' || *p == ' ')
			p++;
		if (*p >= '1' && *p <= '9')
			while (*p >= '0' && *p <= '9')
				p++;
		print_spec(spec, start, p);
		uint64_t arg = args[spec_n++];
		if (*p == 'p') {
			if ((p[1] == 'k' || p[1] == 'u') && p[2] == 's') {
				p += 2;
				goto str;
			}
			if (p[1] == 0 || isspace((unsigned char)p[1]) || ispunct((unsigned char)p[1]) || p[1] == 'K' ||
			    p[1] == 'x' || p[1] == 's' || p[1] == 'S' || p[1] == 'B') {
				bool raw = p[1] == 'x' || p[1] == 'K';
				if (p[1] && !isspace((unsigned char)p[1]) && !ispunct((unsigned char)p[1]))
					p++;
				if (!arg && !raw)
					print_put(&o, "(null)", 6);
				else
					print_putf(&o, "%016llx", (unsigned long long)arg);
				continue;
			}
			if ((p[1] != 'i' && p[1] != 'I') || (p[2] != '4' && p[2] != '6'))
				return -EINVAL;
			print_ip(&o, (const void *)(uintptr_t)arg, p[1], p[2]);
			p += 2;
			continue;
		}
		if (*p == 's') {
str:
			if (p[1] && !isspace((unsigned char)p[1]) && !ispunct((unsigned char)p[1]))
				return -EINVAL;
			char s[PRINT_BUF];
			if (helper_probe_copy_str(s, (const void *)(uintptr_t)arg, sizeof s) < 0)
				s[0] = 0;
			snprintf(lfmt, sizeof lfmt, "%ss", spec);
			print_putf(&o, lfmt, s);
			continue;
		}
		if (*p == 'c') {
			snprintf(lfmt, sizeof lfmt, "%sc", spec);
			print_putf(&o, lfmt, (unsigned char)arg);
			continue;
		}
		int longs = 0;
		if (*p == 'l') {
			longs++;
			p++;
		}
		if (*p == 'l') {
			longs++;
			p++;
		}
		if (*p != 'i' && *p != 'd' && *p != 'u' && *p != 'x' && *p != 'X')
			return -EINVAL;
		snprintf(lfmt, sizeof lfmt, "%sll%c", spec, *p);
		bool is_signed = *p == 'i' || *p == 'd';
		if (longs && is_signed) /* long and long long are 64 bits */
			print_putf(&o, lfmt, (long long)arg);
		else if (longs)
			print_putf(&o, lfmt, (unsigned long long)arg);
		else if (is_signed)
			print_putf(&o, lfmt, (long long)(int32_t)arg);
		else
			print_putf(&o, lfmt, (unsigned long long)(uint32_t)arg);
	}
	if (size)
		out[o.len < size ? o.len : size - 1] = 0;
	return o.len > INT32_MAX ? INT32_MAX : (int)o.len;
}

/* The format string of a call: NUL-terminated within fmt_size. */
static bool print_fmt(struct hive_run *run, char *fmt, const void *src, uint64_t fmt_size)
{
	if (!fmt_size || fmt_size > PRINT_BUF)
		return false;
	if (!helper_mem_ok(run, src, fmt_size, false, "format"))
		return false;
	if (helper_probe_copy(fmt, src, fmt_size))
		return false;
	return memchr(fmt, 0, fmt_size) != NULL;
}

static uint64_t print_emit(const char *fmt, const uint64_t *args, uint32_t nargs)
{
	char buf[PRINT_BUF];
	int n = helper_print_format(buf, sizeof buf, fmt, args, nargs);
	if (n < 0)
		return (uint64_t)(int64_t)n;
	helper_print_emit(buf, strlen(buf));
	return (uint64_t)n;
}

HELPER(trace_printk)
{
	char fmt[PRINT_BUF];
	if (!print_fmt(run, fmt, (const void *)(uintptr_t)r1, r2))
		return (uint64_t)-EINVAL;
	uint64_t args[3] = {r3, r4, r5};
	return print_emit(fmt, args, 3);
}

/* Varargs as an array of u64, at most 12 of them. */
static bool print_varargs(struct hive_run *run, uint64_t *args, const void *data, uint64_t len)
{
	if (len & 7 || len > PRINT_MAX_VARARGS * 8 || (len && !data))
		return false;
	if (!helper_mem_ok(run, data, len, false, "format arguments"))
		return false;
	return helper_probe_copy(args, data, len) == 0;
}

HELPER(trace_vprintk)
{
	(void)r5;
	char fmt[PRINT_BUF];
	uint64_t args[PRINT_MAX_VARARGS];
	if (!print_varargs(run, args, (const void *)(uintptr_t)r3, r4) ||
	    !print_fmt(run, fmt, (const void *)(uintptr_t)r1, r2))
		return (uint64_t)-EINVAL;
	return print_emit(fmt, args, (uint32_t)(r4 / 8));
}

HELPER(snprintf)
{
	char *str = (char *)(uintptr_t)r1, fmt[PRINT_BUF];
	uint64_t args[PRINT_MAX_VARARGS];
	if (!print_varargs(run, args, (const void *)(uintptr_t)r4, r5))
		return (uint64_t)-EINVAL;
	if (helper_probe_copy_str(fmt, (const void *)(uintptr_t)r3, sizeof fmt) < 0 || strlen(fmt) == sizeof fmt - 1)
		return (uint64_t)-EINVAL;
	if (r2 && !helper_mem_ok(run, str, r2, true, "snprintf buffer"))
		return 0;
	char tmp[1];
	int n = helper_print_format(r2 ? str : tmp, r2, fmt, args, (uint32_t)(r5 / 8));
	if (n < 0)
		return (uint64_t)(int64_t)n;
	return (uint64_t)n + 1;
}
