/* Uprobes through ptrace: see uprobe.h.
 *
 * A probe is an int3 written over the first byte of the probed
 * instruction. A thread that hits it stops with SIGTRAP and rip one past
 * it; the tracer runs the probe's programs on the thread's registers
 * (struct user_regs_struct starts with the kernel's struct pt_regs, field
 * for field), puts the original byte back, single-steps the thread over
 * it and re-arms the probe. A uretprobe also arms the return address the
 * entry finds at [rsp] and runs when that thread comes back to it.
 *
 * Known limits: while one thread steps over a probe, the others can pass
 * it unseen (the kernel executes the instruction out of line instead);
 * a uretprobe on a function that never returns normally (longjmp) keeps
 * its return breakpoint armed until the end.
 */
#include "uprobe.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Say why in s->err; returns @e. */
__attribute__((format(printf, 3, 4))) static int uerr(struct uprobe_session *s, int e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
	return e;
}
#define ERR uerr

/* {===== the traced process, for the helpers */

static pid_t cur_tgid, cur_tid;

static long read_target(void *dst, const void *src, size_t size)
{
	struct iovec local = {dst, size}, remote = {(void *)src, size};
	return process_vm_readv(cur_tgid, &local, 1, &remote, 1, 0);
}

static bool dst_ok(struct hive_run *run, void *dst, uint64_t size)
{
	if (hive_run_access_ok(run, dst, size, true))
		return true;
	hive_run_abort(run, -EFAULT, "probe_read: the destination is not writable memory of the program");
	return false;
}

static uint64_t uprobe_read_user(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				 struct hive_run *run)
{
	(void)r4, (void)r5;
	void *dst = (void *)(uintptr_t)r1;
	if (!dst_ok(run, dst, (uint32_t)r2))
		return (uint64_t)-EFAULT;
	if (read_target(dst, (const void *)(uintptr_t)r3, (uint32_t)r2) == (long)(uint32_t)r2)
		return 0;
	memset(dst, 0, (uint32_t)r2);
	return (uint64_t)-EFAULT;
}

/* strncpy_from_user_nofault: the string with its NUL, truncated to
 * size - 1 bytes; the length copied with the NUL, or -EFAULT. */
static uint64_t uprobe_read_user_str(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				     struct hive_run *run)
{
	(void)r4, (void)r5;
	char *dst = (char *)(uintptr_t)r1;
	uint32_t size = (uint32_t)r2;
	uintptr_t src = (uintptr_t)r3;
	if (!size)
		return 0;
	if (!dst_ok(run, dst, size))
		return (uint64_t)-EFAULT;
	uint32_t n = 0;
	char page[4096];
	while (n < size - 1) { /* page by page: the string may end before a hole */
		uint32_t chunk = (uint32_t)(4096 - ((src + n) & 4095));
		if (chunk > size - 1 - n)
			chunk = size - 1 - n;
		if (read_target(page, (const void *)(src + n), chunk) != (long)chunk)
			break;
		char *nul = memchr(page, 0, chunk);
		/* up to the NUL only: what follows it in @dst stays as it was */
		memcpy(dst + n, page, nul ? (size_t)(nul - page + 1) : chunk);
		if (nul)
			return n + (uint64_t)(nul - page) + 1;
		n += chunk;
	}
	if (n < size - 1 && n == 0) {
		memset(dst, 0, size);
		return (uint64_t)-EFAULT;
	}
	dst[n] = '\0';
	return n + 1;
}

/* no kernel memory here: what the kernel gives for a bad address */
static uint64_t uprobe_read_kernel(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				   struct hive_run *run)
{
	(void)r3, (void)r4, (void)r5;
	void *dst = (void *)(uintptr_t)r1;
	if (dst_ok(run, dst, (uint32_t)r2))
		memset(dst, 0, (uint32_t)r2);
	return (uint64_t)-EFAULT;
}

static uint64_t uprobe_pid_tgid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				struct hive_run *run)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)run;
	return (uint64_t)(uint32_t)cur_tgid << 32 | (uint32_t)cur_tid;
}

/* "Uid:" and "Gid:" of /proc/TID/status: the real ids */
static uint64_t uprobe_uid_gid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			       struct hive_run *run)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)run;
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)cur_tgid, (int)cur_tid);
	FILE *f = fopen(path, "r");
	unsigned long uid = 0, gid = 0;
	while (f && fgets(line, sizeof line, f)) {
		sscanf(line, "Uid: %lu", &uid);
		sscanf(line, "Gid: %lu", &gid);
	}
	if (f)
		fclose(f);
	return (uint64_t)(uint32_t)gid << 32 | (uint32_t)uid;
}

static uint64_t uprobe_comm(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r3, (void)r4, (void)r5;
	char *buf = (char *)(uintptr_t)r1, comm[32] = "", path[64];
	uint32_t size = (uint32_t)r2;
	if (!size || !dst_ok(run, buf, size))
		return (uint64_t)-EINVAL;
	snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)cur_tgid, (int)cur_tid);
	FILE *f = fopen(path, "r");
	if (f && fgets(comm, sizeof comm, f))
		comm[strcspn(comm, "\n")] = '\0';
	if (f)
		fclose(f);
	memset(buf, 0, size);
	strncpy(buf, comm, size - 1);
	return 0;
}

int uprobe_helpers_install(struct hive_env *env)
{
	static const struct {
		uint32_t id;
		const char *name;
		hive_helper_fn fn;
	} h[] = {
		{4, "probe_read", uprobe_read_user},
		{45, "probe_read_str", uprobe_read_user_str},
		{112, "probe_read_user", uprobe_read_user},
		{113, "probe_read_kernel", uprobe_read_kernel},
		{114, "probe_read_user_str", uprobe_read_user_str},
		{115, "probe_read_kernel_str", uprobe_read_kernel},
		{14, "get_current_pid_tgid", uprobe_pid_tgid},
		{15, "get_current_uid_gid", uprobe_uid_gid},
		{16, "get_current_comm", uprobe_comm},
	};
	for (size_t i = 0; i < sizeof h / sizeof *h; i++) {
		int err = hive_env_set_helper(env, h[i].id, h[i].name, h[i].fn);
		if (err)
			return err;
	}
	return 0;
}

/* }===== */

/* {===== where a probe goes: symbol -> file offset -> address in the process */

int uprobe_parse_target(struct uprobe_spec *s, const char *target)
{
	const char *colon = strrchr(target, ':');
	if (!colon || colon == target || !colon[1])
		return -EINVAL;
	if ((size_t)(colon - target) >= sizeof s->binary)
		return -EINVAL;
	memcpy(s->binary, target, (size_t)(colon - target));
	s->binary[colon - target] = '\0';
	const char *f = colon + 1;
	s->offset = 0;
	s->func[0] = '\0';
	if (!strncmp(f, "0x", 2)) {
		char *end;
		s->offset = strtoull(f, &end, 16);
		return *end ? -EINVAL : 0;
	}
	const char *plus = strchr(f, '+');
	size_t n = plus ? (size_t)(plus - f) : strlen(f);
	if (!n || n >= sizeof s->func)
		return -EINVAL;
	memcpy(s->func, f, n);
	s->func[n] = '\0';
	if (plus) {
		char *end;
		s->offset = strtoull(plus + 1, &end, 0);
		if (*end)
			return -EINVAL;
	}
	return 0;
}

/* The file offset of @s's symbol (plus offset) in ELF @path. */
static int elf_file_offset(struct uprobe_session *ss, const struct uprobe_spec *s, const char *path, uint64_t *off)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ERR(ss, -errno, "uprobe: %s: %s", path, strerror(errno));
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	int err = -ENOENT;
	uint64_t vaddr = s->offset;
	if (!e || elf_kind(e) != ELF_K_ELF) {
		err = ERR(ss, -EINVAL, "uprobe: %s: not an ELF file", path);
		goto out;
	}
	if (s->func[0]) {
		bool found = false;
		Elf_Scn *scn = NULL;
		while (!found && (scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;
			if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
				continue;
			Elf_Data *d = elf_getdata(scn, NULL);
			size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
			for (size_t i = 0; d && i < n; i++) {
				GElf_Sym sym;
				if (!gelf_getsym(d, (int)i, &sym) || !sym.st_value ||
				    (GELF_ST_TYPE(sym.st_info) != STT_FUNC && GELF_ST_TYPE(sym.st_info) != STT_GNU_IFUNC))
					continue;
				const char *name = elf_strptr(e, sh.sh_link, sym.st_name);
				if (name && !strcmp(name, s->func)) {
					vaddr = sym.st_value + s->offset;
					found = true;
					break;
				}
			}
		}
		if (!found) {
			err = ERR(ss, -ENOENT, "uprobe: %s: no function '%s' in its symbol tables", path, s->func);
			goto out;
		}
	}
	size_t nph = 0;
	elf_getphdrnum(e, &nph);
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD && vaddr >= ph.p_vaddr &&
		    vaddr < ph.p_vaddr + ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			err = 0;
			goto out;
		}
	}
	err = ERR(ss, -ENOENT, "uprobe: %s: address 0x%llx is in no loadable segment", path,
		  (unsigned long long)vaddr);
out:
	if (e)
		elf_end(e);
	close(fd);
	return err;
}

/* Find @s's binary among the process's mappings and place the probe. */
static int uprobe_resolve(struct uprobe_session *ss, struct uprobe_spec *s)
{
	char want[PATH_MAX] = "", maps[64], line[PATH_MAX + 128];
	bool by_name = !strchr(s->binary, '/');
	if (!by_name && !realpath(s->binary, want))
		return ERR(ss, -errno, "uprobe: %s: %s", s->binary, strerror(errno));
	snprintf(maps, sizeof maps, "/proc/%d/maps", (int)ss->pid);
	FILE *f = fopen(maps, "r");
	if (!f)
		return ERR(ss, -errno, "uprobe: %s: %s", maps, strerror(errno));
	uint64_t foff = 0;
	char found[PATH_MAX] = "";
	int err = -ENOENT;
	while (fgets(line, sizeof line, f)) {
		unsigned long long start, end, moff;
		char perms[8];
		int pathat = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &moff, &pathat) < 4 || !pathat)
			continue;
		char *path = line + pathat;
		path[strcspn(path, "\n")] = '\0';
		if (path[0] != '/')
			continue;
		const char *base = strrchr(path, '/') + 1;
		bool match = by_name ? !strcmp(base, s->binary) || (!strncmp(base, s->binary, strlen(s->binary)) &&
								    base[strlen(s->binary)] == '.')
				     : !strcmp(path, want);
		if (!match)
			continue;
		if (!found[0]) { /* the first mapping names the file: read its symbols */
			snprintf(found, sizeof found, "%s", path);
			if ((err = elf_file_offset(ss, s, found, &foff)))
				break;
			err = -ENOENT;
		}
		if (strcmp(path, found) || foff < moff || foff >= moff + (end - start))
			continue;
		if (!strchr(perms, 'x')) {
			err = ERR(ss, -EINVAL, "uprobe: %s+0x%llx is not executable", found, (unsigned long long)foff);
			break;
		}
		s->addr = start + (foff - moff);
		err = 0;
		break;
	}
	fclose(f);
	if (err == -ENOENT && !ss->err[0])
		ERR(ss, err, "uprobe: %s%s is not mapped in process %d", s->binary,
		    found[0] ? " (at that offset)" : "", (int)ss->pid);
	return err;
}

/* }===== */

/* {===== breakpoints */

enum { MAX_BPS = 256, MAX_RETS = 4096, MAX_THREADS = 1024 };

struct bp {
	uint64_t addr;
	uint8_t orig;       /* the byte the int3 replaced */
	int entry_refs;     /* probes at addr */
	int ret_refs;       /* pending returns to addr */
};

struct ret_frame {
	pid_t tid;
	uint64_t ret_addr;
	size_t probe;       /* index of the uretprobe */
};

static struct bp bps[MAX_BPS];
static size_t nbps;
static struct ret_frame rets[MAX_RETS];
static size_t nrets;
static pid_t threads[MAX_THREADS];
static size_t nthreads;
static volatile sig_atomic_t stop_requested;

static struct bp *bp_find(uint64_t addr)
{
	for (size_t i = 0; i < nbps; i++)
		if (bps[i].addr == addr && (bps[i].entry_refs || bps[i].ret_refs))
			return &bps[i];
	return NULL;
}

/* The byte at b->addr: int3 or the original, the word's other bytes as
 * they are now (another breakpoint may sit in them). */
static int bp_poke(pid_t tid, struct bp *b, bool armed)
{
	errno = 0;
	long word = ptrace(PTRACE_PEEKTEXT, tid, (void *)b->addr, NULL);
	if (errno)
		return -errno;
	word = (word & ~0xffL) | (armed ? 0xcc : b->orig);
	return ptrace(PTRACE_POKETEXT, tid, (void *)b->addr, (void *)word) ? -errno : 0;
}

/* Arm a breakpoint at @addr (shared with any already there). */
static struct bp *bp_get(struct uprobe_session *s, pid_t tid, uint64_t addr)
{
	struct bp *b = bp_find(addr);
	if (b)
		return b;
	for (size_t i = 0; i < nbps; i++)
		if (!bps[i].entry_refs && !bps[i].ret_refs && bps[i].addr == 0)
			b = &bps[i];
	if (!b) {
		if (nbps == MAX_BPS) {
			ERR(s, -ENOSPC, "uprobe: more than %d breakpoints", MAX_BPS);
			return NULL;
		}
		b = &bps[nbps++];
	}
	errno = 0;
	long orig = ptrace(PTRACE_PEEKTEXT, tid, (void *)addr, NULL);
	if (errno) {
		ERR(s, -errno, "uprobe: reading the process at 0x%llx: %s", (unsigned long long)addr, strerror(errno));
		return NULL;
	}
	*b = (struct bp){.addr = addr, .orig = (uint8_t)orig};
	if (bp_poke(tid, b, true)) {
		ERR(s, -errno, "uprobe: writing the process at 0x%llx: %s", (unsigned long long)addr, strerror(errno));
		b->addr = 0;
		return NULL;
	}
	return b;
}

static void bp_put(pid_t tid, struct bp *b)
{
	if (!b->entry_refs && !b->ret_refs) {
		bp_poke(tid, b, false);
		b->addr = 0;
	}
}

/* }===== */

/* {===== the trace loop */

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void thread_add(pid_t tid)
{
	for (size_t i = 0; i < nthreads; i++)
		if (threads[i] == tid)
			return;
	if (nthreads < MAX_THREADS)
		threads[nthreads++] = tid;
}

static void thread_del(pid_t tid)
{
	for (size_t i = 0; i < nthreads; i++)
		if (threads[i] == tid) {
			threads[i] = threads[--nthreads];
			return;
		}
}

static void run_probe(struct uprobe_session *s, struct uprobe_spec *p, pid_t tid, const struct user_regs_struct *regs)
{
	/* struct pt_regs is user_regs_struct's first 21 words */
	uint64_t ctx[21];
	memcpy(ctx, regs, sizeof ctx);
	cur_tid = tid;
	HIVE_OPTS(hive_run_opts, ro, .mem = ctx, .mem_size = sizeof ctx, .mem_readonly = true, .use_jit = s->jit,
		  .func_ip = p->addr, .attach_cookie = p->cookie);
	p->hits++;
	if (hive_prog_run(p->prog, &ro)) {
		if (!p->errors++)
			fprintf(stderr, "hive uprobe: %s: %s (pc %u)\n", p->name, ro.errmsg, ro.fault_pc);
	}
}

/* Stop every traced thread but @self (SIGSTOP, suppressed when they go
 * on). A thread that reports a breakpoint instead is put back before its
 * int3 to hit it again later; other signals are delivered. */
static void stop_others(pid_t tgid, pid_t self, bool stopped[])
{
	for (size_t i = 0; i < nthreads; i++) {
		stopped[i] = false;
		if (threads[i] != self && !syscall(SYS_tgkill, tgid, threads[i], SIGSTOP))
			stopped[i] = true;
	}
	for (size_t i = 0; i < nthreads; i++) {
		pid_t tid = threads[i];
		while (stopped[i]) {
			int st;
			if (waitpid(tid, &st, __WALL) != tid || !WIFSTOPPED(st)) {
				stopped[i] = false; /* gone */
				break;
			}
			if (WSTOPSIG(st) == SIGSTOP)
				break;
			struct user_regs_struct regs;
			int sig = WSTOPSIG(st);
			if (st >> 16) { /* a ptrace event: on to the SIGSTOP */
				sig = 0;
			} else if (sig == SIGTRAP && !ptrace(PTRACE_GETREGS, tid, NULL, &regs) && bp_find(regs.rip - 1)) {
				regs.rip--;
				ptrace(PTRACE_SETREGS, tid, NULL, &regs);
				sig = 0;
			}
			ptrace(PTRACE_CONT, tid, NULL, (void *)(long)sig);
		}
	}
}

static void resume_others(const bool stopped[])
{
	for (size_t i = 0; i < nthreads; i++)
		if (stopped[i])
			ptrace(PTRACE_CONT, threads[i], NULL, NULL);
}

/* Step @tid over the int3 at @b (the original byte back meanwhile, the
 * other threads stopped so that none passes unseen), then re-arm. */
static int step_over(pid_t tgid, pid_t tid, struct bp *b, struct user_regs_struct *regs)
{
	regs->rip = b->addr;
	if (ptrace(PTRACE_SETREGS, tid, NULL, regs))
		return -errno;
	if (!b->entry_refs && !b->ret_refs) { /* its last return came back: the original again */
		bp_put(tid, b);
		return ptrace(PTRACE_CONT, tid, NULL, NULL) ? -errno : 0;
	}
	static bool stopped[MAX_THREADS];
	bool others = nthreads > 1;
	if (others)
		stop_others(tgid, tid, stopped);
	bp_poke(tid, b, false);
	int st, err = 0;
	if (ptrace(PTRACE_SINGLESTEP, tid, NULL, NULL)) {
		err = -errno;
	} else if (waitpid(tid, &st, __WALL) != tid || !WIFSTOPPED(st)) {
		err = -ESRCH; /* it died in the step */
	} else {
		bp_poke(tid, b, true);
		int sig = WSTOPSIG(st) == SIGTRAP ? 0 : WSTOPSIG(st);
		err = ptrace(PTRACE_CONT, tid, NULL, (void *)(long)sig) ? -errno : 0;
	}
	if (err == -ESRCH) {
		thread_del(tid);
		if (nthreads)
			bp_poke(threads[0], b, true);
	}
	if (others)
		resume_others(stopped);
	return err;
}

static uint64_t total_hits(const struct uprobe_session *s)
{
	uint64_t n = 0;
	for (size_t i = 0; i < s->nprobes; i++)
		n += s->probes[i].hits;
	return n;
}

static void on_breakpoint(struct uprobe_session *s, pid_t tid, struct bp *b, struct user_regs_struct *regs)
{
	uint64_t addr = b->addr;
	regs->rip = addr;
	/* returns first: a thread back at a return address it was given */
	for (size_t i = nrets; i-- > 0;) {
		if (rets[i].tid != tid || rets[i].ret_addr != addr)
			continue;
		struct uprobe_spec *p = &s->probes[rets[i].probe];
		run_probe(s, p, tid, regs);
		rets[i] = rets[--nrets];
		b->ret_refs--;
		break;
	}
	for (size_t i = 0; i < s->nprobes; i++) {
		struct uprobe_spec *p = &s->probes[i];
		if (p->addr != addr)
			continue;
		if (!p->ret) {
			run_probe(s, p, tid, regs);
			continue;
		}
		errno = 0;
		uint64_t ret_addr = (uint64_t)ptrace(PTRACE_PEEKDATA, tid, (void *)regs->rsp, NULL);
		struct bp *rb = errno || nrets == MAX_RETS ? NULL : bp_get(s, tid, ret_addr);
		if (!rb) {
			p->errors++;
			continue;
		}
		rb->ret_refs++;
		rets[nrets++] = (struct ret_frame){tid, ret_addr, i};
	}
	step_over(s->pid, tid, b, regs);
}

/* Stop every thread (unless they are stopped already), put the original
 * bytes back and let the process go. */
static void uprobe_detach(struct uprobe_session *s, bool running)
{
	for (size_t i = 0; running && i < nthreads; i++) {
		pid_t tid = threads[i];
		if (syscall(SYS_tgkill, s->pid, tid, SIGSTOP))
			continue;
		for (;;) {
			int st;
			if (waitpid(tid, &st, __WALL) != tid || !WIFSTOPPED(st))
				break;
			if (WSTOPSIG(st) == SIGSTOP)
				break;
			struct user_regs_struct regs;
			if (WSTOPSIG(st) == SIGTRAP && !ptrace(PTRACE_GETREGS, tid, NULL, &regs) && bp_find(regs.rip - 1)) {
				regs.rip--; /* hit on the way: as if not */
				ptrace(PTRACE_SETREGS, tid, NULL, &regs);
				ptrace(PTRACE_CONT, tid, NULL, NULL);
			} else {
				ptrace(PTRACE_CONT, tid, NULL, (void *)(long)WSTOPSIG(st));
			}
		}
	}
	for (size_t i = 0; i < nbps && nthreads; i++)
		if (bps[i].addr)
			bp_poke(threads[0], &bps[i], false);
	for (size_t i = 0; i < nthreads; i++)
		ptrace(PTRACE_DETACH, threads[i], NULL, NULL);
	nthreads = 0;
}

static int uprobe_start(struct uprobe_session *s)
{
	if (s->argv) {
		pid_t pid = fork();
		if (pid < 0)
			return ERR(s, -errno, "uprobe: fork: %s", strerror(errno));
		if (!pid) {
			ptrace(PTRACE_TRACEME, 0, NULL, NULL);
			execvp(s->argv[0], s->argv);
			fprintf(stderr, "hive uprobe: %s: %s\n", s->argv[0], strerror(errno));
			_exit(127);
		}
		s->pid = pid;
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st))
			return ERR(s, -ECHILD, "uprobe: %s did not start", s->argv[0]);
		thread_add(pid);
		ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)(PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL));
		/* run to the program's entry point: by then the loader has mapped its libraries */
		char auxv_path[64];
		snprintf(auxv_path, sizeof auxv_path, "/proc/%d/auxv", (int)pid);
		FILE *f = fopen(auxv_path, "rb");
		uint64_t kv[2], entry = 0;
		while (f && fread(kv, sizeof kv, 1, f) == 1 && kv[0] != AT_NULL)
			if (kv[0] == AT_ENTRY)
				entry = kv[1];
		if (f)
			fclose(f);
		struct bp *b = entry ? bp_get(s, pid, entry) : NULL;
		if (!b)
			return ERR(s, -ENOENT, "uprobe: no entry point for %s", s->argv[0]);
		b->entry_refs++;
		if (ptrace(PTRACE_CONT, pid, NULL, NULL) || waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st) ||
		    WSTOPSIG(st) != SIGTRAP)
			return ERR(s, -ECHILD, "uprobe: %s did not reach its entry point", s->argv[0]);
		struct user_regs_struct regs;
		ptrace(PTRACE_GETREGS, pid, NULL, &regs);
		regs.rip = entry;
		ptrace(PTRACE_SETREGS, pid, NULL, &regs);
		b->entry_refs--;
		bp_put(pid, b);
		return 0;
	}
	/* attach: every thread, stopped */
	char task[64];
	snprintf(task, sizeof task, "/proc/%d/task", (int)s->pid);
	for (int round = 0; round < 3; round++) { /* threads may appear meanwhile */
		FILE *ls = NULL;
		char cmd[128];
		snprintf(cmd, sizeof cmd, "ls %s", task);
		if (!(ls = popen(cmd, "r")))
			return ERR(s, -errno, "uprobe: %s: %s", task, strerror(errno));
		int tid;
		while (fscanf(ls, "%d", &tid) == 1) {
			bool known = false;
			for (size_t i = 0; i < nthreads; i++)
				known |= threads[i] == tid;
			if (known)
				continue;
			if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)(long)PTRACE_O_TRACECLONE) ||
			    ptrace(PTRACE_INTERRUPT, tid, NULL, NULL)) {
				int e = errno;
				pclose(ls);
				return ERR(s, -e, "uprobe: attaching to thread %d of process %d: %s", tid, (int)s->pid,
					   strerror(e));
			}
			int st;
			waitpid(tid, &st, __WALL);
			thread_add(tid);
		}
		pclose(ls);
	}
	if (!nthreads)
		return ERR(s, -ESRCH, "uprobe: process %d has no threads", (int)s->pid);
	return 0;
}

int uprobe_run(struct uprobe_session *s)
{
	nbps = nrets = nthreads = 0;
	stop_requested = 0;
	s->exit_status = -1;
	s->err[0] = '\0';
	int err = uprobe_start(s);
	if (err) {
		if (s->argv && s->pid > 0)
			kill(s->pid, SIGKILL), waitpid(s->pid, NULL, 0);
		return err;
	}
	cur_tgid = s->pid;
	for (size_t i = 0; i < s->nprobes && !err; i++) {
		struct uprobe_spec *p = &s->probes[i];
		struct bp *b;
		if (!(err = uprobe_resolve(s, p)) && !(err = (b = bp_get(s, threads[0], p->addr)) ? 0 : -EIO))
			b->entry_refs++;
	}
	if (err) {
		uprobe_detach(s, false);
		if (s->argv)
			kill(s->pid, SIGKILL), waitpid(s->pid, NULL, 0);
		return err;
	}
	struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term, old_alrm;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGALRM, &sa, &old_alrm);
	if (s->duration > 0) {
		struct itimerval it = {.it_value = {(time_t)s->duration, (suseconds_t)((s->duration - (time_t)s->duration) * 1e6)}};
		setitimer(ITIMER_REAL, &it, NULL);
	}
	for (size_t i = 0; i < nthreads; i++)
		ptrace(PTRACE_CONT, threads[i], NULL, NULL);
	while (nthreads && !stop_requested) {
		int st;
		pid_t tid = waitpid(-1, &st, __WALL);
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			thread_del(tid);
			if (tid == s->pid)
				s->exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			continue;
		}
		if (!WIFSTOPPED(st))
			continue;
		thread_add(tid);
		int sig = WSTOPSIG(st), event = st >> 16;
		if (event) { /* clone, interrupt: nothing to do but go on */
			ptrace(PTRACE_CONT, tid, NULL, NULL);
			continue;
		}
		if (sig == SIGTRAP) {
			struct user_regs_struct regs;
			struct bp *b = NULL;
			if (!ptrace(PTRACE_GETREGS, tid, NULL, &regs) && (b = bp_find(regs.rip - 1))) {
				on_breakpoint(s, tid, b, &regs);
				if (s->max_hits && total_hits(s) >= s->max_hits)
					stop_requested = 1;
				continue;
			}
		}
		/* a new thread's first stop is SIGSTOP: nothing to deliver */
		ptrace(PTRACE_CONT, tid, NULL, (void *)(long)(sig == SIGSTOP || sig == SIGTRAP ? 0 : sig));
	}
	if (nthreads)
		uprobe_detach(s, true);
	if (s->duration > 0) {
		struct itimerval none = {0};
		setitimer(ITIMER_REAL, &none, NULL);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGALRM, &old_alrm, NULL);
	if (s->argv && s->exit_status < 0) { /* detached early: let it finish, untraced */
		int st;
		if (waitpid(s->pid, &st, 0) == s->pid)
			s->exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	return 0;
}

/* }===== */
