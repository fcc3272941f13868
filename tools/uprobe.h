/* Uprobes on user processes through ptrace (tools/uprobe.c): breakpoints at
 * function entries (and, for uretprobes, at the return addresses they
 * find), each hit running programs on the stopped thread's registers as
 * the kernel's struct pt_regs, with the helpers that read user memory and
 * name the current task answering for the traced process. */
#ifndef HIVE_TOOLS_UPROBE_H
#define HIVE_TOOLS_UPROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hive/hive.h"

enum { UPROBE_MAX = 64 };

struct uprobe_spec {
	const struct hive_prog *prog;
	const char *name;       /* the program's, for the summary */
	char binary[512];       /* a path, or a library name matched against the process's mappings */
	char func[256];         /* a symbol; empty: offset is an address in the binary's file */
	uint64_t offset;        /* added to the symbol's address */
	bool ret;               /* uretprobe */
	uint64_t cookie;
	/* filled in */
	uint64_t addr;          /* in the traced process */
	uint64_t hits, errors;
};

struct uprobe_session {
	struct uprobe_spec probes[UPROBE_MAX];
	size_t nprobes;
	bool jit;
	uint64_t max_hits;      /* stop after this many hits in all (0: until the process exits) */
	double duration;        /* seconds; 0: no limit */
	/* the process: launched (argv) or attached (pid) */
	char *const *argv;
	pid_t pid;
	int exit_status;        /* launched: its exit status, or -1 */
	char err[512];
};

/* Install the target-aware helpers (probe_read*, get_current_*) in @env. */
int uprobe_helpers_install(struct hive_env *env);
/* Parse "BINARY:FUNC[+OFF]" or "BINARY:0xADDR" into @s; 0 or -EINVAL. */
int uprobe_parse_target(struct uprobe_spec *s, const char *target);
/* Launch or attach, set the breakpoints, run until the process exits, the
 * limits are reached or SIGINT; detach. 0, or a negative errno with s->err. */
int uprobe_run(struct uprobe_session *s);

#endif
