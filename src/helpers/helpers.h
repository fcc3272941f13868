/* Built-in helpers: shared declarations. Each helper has the hive_helper_fn
 * signature; arguments arrive as u64 registers, pointers included. */
#ifndef HIVE_HELPERS_HELPERS_H
#define HIVE_HELPERS_HELPERS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hive/hive.h"

#define HELPER(name)                                                                                \
	uint64_t helper_##name(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,    \
			       struct hive_run *run)

/* Checked runs: may the program hand [p, p+size) to a helper (writable if
 * @write)? If not, the run is aborted with -EFAULT naming @what and the
 * helper returns at once. Trusted runs and run == NULL: always true. */
bool helper_mem_ok(struct hive_run *run, const void *p, uint64_t size, bool write, const char *what);
/* Checked runs: is @map a live map? If not, abort with -EFAULT. */
bool helper_map_live(struct hive_run *run, const void *map);
/* Checked runs: let the program use a region a helper returns. */
void helper_allow(struct hive_run *run, void *p, uint64_t size, bool write);
/* The built-in implementation of helper @id, or NULL. */
hive_helper_fn helpers_builtin(uint32_t id);

/* The sink trace_printk writes to (hive_helpers_install sets it). */
void helper_print_emit(const char *line, size_t len);
/* Format as the kernel's bpf_bprintf_prepare + bstr_printf: the kernel's
 * conversions only (%d %i %u %x %X with l/ll, %c, %s, %p, %pK, %px, %pI4,
 * %pi4, %pI6, %pi6, %%), at most @nargs arguments. Returns the length the
 * full output needs (without NUL) or -EINVAL; writes at most size-1 + NUL. */
int helper_print_format(char *out, size_t size, const char *fmt, const uint64_t *args, uint32_t nargs);

/* A safe copy from an address the program gave (process_vm_readv on self):
 * 0 or -EFAULT. */
int helper_probe_copy(void *dst, const void *src, size_t size);
/* Copy a NUL-terminated string of at most size bytes (NUL included); the
 * length with NUL, size if truncated (dst[size-1] = 0), or -EFAULT. */
long helper_probe_copy_str(char *dst, const void *src, size_t size);

#endif
