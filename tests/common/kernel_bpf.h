/* A tiny wrapper over the raw bpf(2) syscall, for tests that compare hive
 * with the running kernel.  No libbpf: only the few commands the tests need
 * (program load with a log, test run, array/hash map create, update,
 * lookup).  Header-only so that any tests/unit/test_*.c can include it.
 *
 * Every function returns a file descriptor or 0 on success and a negative
 * errno on failure, like the rest of hive.
 */
#ifndef HIVE_TESTS_KERNEL_BPF_H
#define HIVE_TESTS_KERNEL_BPF_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>

static inline int kbpf_sys(enum bpf_cmd cmd, union bpf_attr *attr)
{
#ifdef __NR_bpf
	long r = syscall(__NR_bpf, cmd, attr, sizeof(*attr));
	return r < 0 ? -errno : (int)r;
#else
	(void)cmd;
	(void)attr;
	return -ENOSYS;
#endif
}

static inline uint64_t kbpf_ptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* Load @cnt instructions as a program of @type.  @log (may be NULL) receives
 * the verifier's log at @log_level (1 is enough to see why a program was
 * refused; the kernel wants a buffer of at least 128 bytes for level 1). */
static inline int kbpf_prog_load(enum bpf_prog_type type, const struct bpf_insn *insns, size_t cnt,
				 const char *license, char *log, size_t log_size, uint32_t log_level)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = type;
	attr.insns = kbpf_ptr(insns);
	attr.insn_cnt = (uint32_t)cnt;
	attr.license = kbpf_ptr(license);
	if (log && log_size) {
		log[0] = '\0';
		attr.log_buf = kbpf_ptr(log);
		attr.log_size = (uint32_t)log_size;
		attr.log_level = log_level;
	}
	return kbpf_sys(BPF_PROG_LOAD, &attr);
}

struct kbpf_test_run {
	const void *data_in;
	uint32_t data_size_in;
	void *data_out;        /* may be NULL */
	uint32_t data_size_out; /* in: capacity of data_out; out: bytes written */
	const void *ctx_in;    /* may be NULL */
	uint32_t ctx_size_in;
	void *ctx_out;
	uint32_t ctx_size_out;
	uint32_t repeat;       /* 0 runs once */
	uint32_t flags;
	/* results */
	uint32_t retval;
	uint32_t duration;     /* ns, average */
};

/* BPF_PROG_TEST_RUN: run @fd once (or t->repeat times) over t->data_in. */
static inline int kbpf_prog_test_run(int fd, struct kbpf_test_run *t)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = (uint32_t)fd;
	attr.test.data_in = kbpf_ptr(t->data_in);
	attr.test.data_size_in = t->data_size_in;
	attr.test.data_out = kbpf_ptr(t->data_out);
	attr.test.data_size_out = t->data_out ? t->data_size_out : 0;
	attr.test.ctx_in = kbpf_ptr(t->ctx_in);
	attr.test.ctx_size_in = t->ctx_size_in;
	attr.test.ctx_out = kbpf_ptr(t->ctx_out);
	attr.test.ctx_size_out = t->ctx_out ? t->ctx_size_out : 0;
	attr.test.repeat = t->repeat;
	attr.test.flags = t->flags;
	int err = kbpf_sys(BPF_PROG_TEST_RUN, &attr);
	t->retval = attr.test.retval;
	t->duration = attr.test.duration;
	t->data_size_out = attr.test.data_size_out;
	t->ctx_size_out = attr.test.ctx_size_out;
	return err;
}

static inline int kbpf_map_create(enum bpf_map_type type, uint32_t key_size, uint32_t value_size,
				  uint32_t max_entries, uint32_t flags)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.map_type = type;
	attr.key_size = key_size;
	attr.value_size = value_size;
	attr.max_entries = max_entries;
	attr.map_flags = flags;
	return kbpf_sys(BPF_MAP_CREATE, &attr);
}

static inline int kbpf_map_update(int fd, const void *key, const void *value, uint64_t flags)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)fd;
	attr.key = kbpf_ptr(key);
	attr.value = kbpf_ptr(value);
	attr.flags = flags;
	return kbpf_sys(BPF_MAP_UPDATE_ELEM, &attr);
}

static inline int kbpf_map_lookup(int fd, const void *key, void *value)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)fd;
	attr.key = kbpf_ptr(key);
	attr.value = kbpf_ptr(value);
	return kbpf_sys(BPF_MAP_LOOKUP_ELEM, &attr);
}

#endif
