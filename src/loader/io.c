/* The loader's edges: the caller's log, allocation and file reading, each
 * with a test hook so every failure path can be driven from tests (after
 * SQLite's malloc and I/O fault injection). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader/loader.h"

/* {===== log */

static void io_vlog(struct ldr_log *log, const char *fmt, va_list ap)
{
	if (!log || !log->buf || log->size == 0)
		return;
	if (log->len >= log->size - 1)
		return;
	size_t room = log->size - log->len;
	int n = vsnprintf(log->buf + log->len, room, fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= room - 1) {
		log->len = log->size - 1;
		return;
	}
	log->len += (size_t)n;
	log->buf[log->len++] = '\n';
	log->buf[log->len] = '\0';
}

void ldr_logf(struct ldr_log *log, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	io_vlog(log, fmt, ap);
	va_end(ap);
}

int ldr_err(struct ldr_log *log, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	io_vlog(log, fmt, ap);
	va_end(ap);
	return err;
}

/* }===== */

/* {===== allocation */

/* per thread: objects may be opened from several threads at once, and a
 * test's fault injection must not reach another thread's open */
static _Thread_local unsigned long io_alloc_count;
static _Thread_local unsigned long io_fail_at;
static _Thread_local bool io_fail_sticky;

static bool io_alloc_fails(void)
{
	io_alloc_count++;
	if (!io_fail_at)
		return false;
	return io_fail_sticky ? io_alloc_count >= io_fail_at : io_alloc_count == io_fail_at;
}

unsigned long ldr_test_fail_alloc(unsigned long nth, bool sticky)
{
	unsigned long n = io_alloc_count;
	io_alloc_count = 0;
	io_fail_at = nth;
	io_fail_sticky = sticky;
	return n;
}

void *ldr_malloc(size_t n)
{
	return io_alloc_fails() ? NULL : malloc(n ? n : 1);
}

void *ldr_calloc(size_t n, size_t size)
{
	if (io_alloc_fails())
		return NULL;
	return calloc(n ? n : 1, size ? size : 1);
}

void *ldr_realloc(void *p, size_t n)
{
	return io_alloc_fails() ? NULL : realloc(p, n ? n : 1);
}

void *ldr_reallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return ldr_realloc(p, n * size);
}

char *ldr_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = ldr_malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

/* }===== */

/* {===== reading */

static _Thread_local size_t io_read_limit = SIZE_MAX;

void ldr_test_fail_read(size_t nbytes)
{
	io_read_limit = nbytes;
}

enum { IO_MAX_FILE = 1u << 30 }; /* an object larger than 1 GiB is not one clang wrote */

int ldr_read_file(const char *path, uint8_t **data, size_t *size, struct ldr_log *log)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ldr_err(log, -errno, "elf: %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ldr_err(log, -EINVAL, "elf: %s: not a regular file", path);
	}
	if (st.st_size > IO_MAX_FILE) {
		close(fd);
		return ldr_err(log, -E2BIG, "elf: %s: %lld bytes is too large", path, (long long)st.st_size);
	}
	size_t n = (size_t)st.st_size, got = 0;
	uint8_t *buf = ldr_malloc(n);
	if (!buf) {
		close(fd);
		return ldr_err(log, -ENOMEM, "elf: %s: out of memory", path);
	}
	while (got < n) {
		ssize_t r;
		if (got >= io_read_limit) {
			errno = EIO;
			r = -1;
		} else {
			size_t want = n - got;
			if (want > io_read_limit - got)
				want = io_read_limit - got;
			r = read(fd, buf + got, want);
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int err = r < 0 ? errno : EIO;
			free(buf);
			close(fd);
			return ldr_err(log, -err, "elf: %s: " LDR_E_READ " at byte %zu: %s", path, got,
				       r < 0 ? strerror(err) : "file shrank");
		}
		got += (size_t)r;
	}
	close(fd);
	*data = buf;
	*size = n;
	return 0;
}

/* }===== */
