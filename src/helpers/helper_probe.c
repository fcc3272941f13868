/* probe_read_*: copies from any address the program names, made safe with
 * process_vm_readv on our own pid: an unmapped or protected source gives
 * -EFAULT (and a zeroed destination, as the kernel), never a SIGSEGV. */
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "helpers/helpers.h"

int helper_probe_copy(void *dst, const void *src, size_t size)
{
	if (!size)
		return 0;
	struct iovec local = {dst, size}, remote = {(void *)(uintptr_t)src, size};
	ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	return n == (ssize_t)size ? 0 : -EFAULT;
}

long helper_probe_copy_str(char *dst, const void *src, size_t size)
{
	if (!size)
		return 0;
	size_t page = (size_t)sysconf(_SC_PAGESIZE), done = 0;
	uintptr_t s = (uintptr_t)src;
	while (done < size) {
		/* one page at a time: the string may end just before an unmapped page */
		size_t chunk = page - ((s + done) % page);
		if (chunk > size - done)
			chunk = size - done;
		if (helper_probe_copy(dst + done, (const void *)(s + done), chunk))
			return -EFAULT;
		char *nul = memchr(dst + done, 0, chunk);
		if (nul)
			return nul - dst + 1;
		done += chunk;
	}
	dst[size - 1] = 0;
	return (long)size;
}

HELPER(probe_read)
{
	(void)r4, (void)r5;
	void *dst = (void *)(uintptr_t)r1;
	if (!helper_mem_ok(run, dst, r2, true, "probe_read destination"))
		return 0;
	int err = helper_probe_copy(dst, (const void *)(uintptr_t)r3, r2);
	if (err)
		memset(dst, 0, r2);
	return (uint64_t)(int64_t)err;
}

HELPER(probe_read_str)
{
	(void)r4, (void)r5;
	char *dst = (char *)(uintptr_t)r1;
	if (!helper_mem_ok(run, dst, r2, true, "probe_read_str destination"))
		return 0;
	long n = helper_probe_copy_str(dst, (const void *)(uintptr_t)r3, r2);
	if (n < 0)
		memset(dst, 0, r2);
	return (uint64_t)(int64_t)n;
}
