/* The running kernel's configuration, for .kconfig externs that the open
 * opts' kconfig text leaves without a value. Where libbpf looks, in its
 * order: /boot/config-$(uname -r), then /proc/config.gz (CONFIG_IKCONFIG_PROC).
 * zlib's gzread reads both gzip and plain text, so the caller's
 * kconfig_path may be either. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <zlib.h>

#include "loader/loader.h"

enum { KC_MAX_SIZE = 64 << 20 }; /* a real .config is ~300 KiB */

static int kconfig_read_gz(const char *path, char **out, struct ldr_log *log)
{
	gzFile f = gzopen(path, "rb");
	if (!f)
		return -ENOENT;
	size_t cap = 1 << 16, len = 0;
	char *buf = ldr_malloc(cap + 1);
	int err = buf ? 0 : -ENOMEM;
	while (!err) {
		if (len == cap) {
			if (cap >= KC_MAX_SIZE) {
				err = ldr_err(log, -E2BIG, "kconfig: %s: larger than %d MiB", path, KC_MAX_SIZE >> 20);
				break;
			}
			char *n = ldr_realloc(buf, cap * 2 + 1);
			if (!n) {
				err = -ENOMEM;
				break;
			}
			buf = n;
			cap *= 2;
		}
		int n = gzread(f, buf + len, (unsigned)(cap - len));
		if (n < 0) {
			int zerr;
			const char *msg = gzerror(f, &zerr);
			err = ldr_err(log, -EIO, "kconfig: %s: %s", path, msg ? msg : "read error");
		} else if (n == 0) {
			break;
		} else {
			len += (size_t)n;
		}
	}
	gzclose(f);
	if (err) {
		free(buf);
		return err;
	}
	buf[len] = '\0';
	/* a NUL inside would end the text early: not a config file */
	if (strlen(buf) != len) {
		free(buf);
		return ldr_err(log, -EINVAL, "kconfig: %s: binary data, not a kernel config", path);
	}
	*out = buf;
	return 0;
}

int kconfig_read_system(const char *path, char **text, char *used, size_t used_size, struct ldr_log *log)
{
	*text = NULL;
	if (path) {
		snprintf(used, used_size, "%s", path);
		int err = kconfig_read_gz(path, text, log);
		if (err == -ENOENT)
			return ldr_err(log, err, "kconfig: cannot open %s", path);
		return err;
	}
	struct utsname u;
	if (uname(&u) == 0) {
		snprintf(used, used_size, "/boot/config-%s", u.release);
		int err = kconfig_read_gz(used, text, log);
		if (err != -ENOENT)
			return err;
	}
	snprintf(used, used_size, "/proc/config.gz");
	return kconfig_read_gz(used, text, log);
}
