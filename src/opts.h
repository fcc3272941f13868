/* Options structs (include/hive/hive.h: sz first, `size_t : 0` last), as
 * libbpf's OPTS_VALID checks them. */
#ifndef HIVE_OPTS_H
#define HIVE_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* @opts (NULL is fine) is valid when its sz covers the sz field and every
 * byte a newer caller has past @struct_size (sizeof the struct this
 * library knows) is zero: a field we do not know must not be asked for.
 * The padding between our last field and @struct_size is not read: a
 * designated initializer need not clear it (clang -O1 leaves it). */
static inline bool opts_valid(const void *opts, size_t struct_size)
{
	if (!opts)
		return true;
	size_t sz = *(const size_t *)opts;
	if (sz < sizeof(size_t))
		return false;
	for (size_t i = struct_size; i < sz; i++)
		if (((const uint8_t *)opts)[i])
			return false;
	return true;
}

#endif
