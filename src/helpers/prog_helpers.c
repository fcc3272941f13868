/* Which helpers each program type may call, as this machine's kernel
 * (Linux 6.18, privileged) answers BPF_PROG_LOAD of "call N" per type:
 * helpers 1..211, a bit each. tests/unit/test_helper_allowlist.c derives
 * the same sets from the running kernel and compares (HIVE_PRINT_TABLE=1
 * prints them in this form). Types not listed here (syscall, embedders'
 * own) take every helper. */
#include "helpers/proto.h"

#include <stddef.h>

static const struct {
	uint32_t type;
	uint64_t allowed[4]; /* bit id */
} prog_helpers[] = {
	{1 /* SOCKET_FILTER */, {0x0080c4280643d1eeull, 0x2d6f260063810010ull, 0x80779e3176303f7cull, 0x00000000000f0ffcull}},
	{2 /* KPROBE */, {0x008024280a43d1feull, 0x296f260063810008ull, 0x8073fe307630207cull, 0x00000000000f0fecull}},
	{3 /* SCHED_CLS */, {0x0085cfeff7ffffeeull, 0x3d6f7e1fe3f98034ull, 0x80779e397fb03ffcull, 0x00000000000ffffdull}},
	{4 /* SCHED_ACT */, {0x0085cfeff7ffffeeull, 0x3d6f7e1fe3f98034ull, 0x80779e397fb03ffcull, 0x00000000000ffffdull}},
	{5 /* TRACEPOINT */, {0x008024280a43d1feull, 0x296f260063810008ull, 0x8073fe307630207cull, 0x00000000000f0fecull}},
	{6 /* XDP */, {0x00c8142812c3d1eeull, 0x296f661863f10022ull, 0xf0779e3976303f7cull, 0x00000000000ffffcull}},
	{7 /* PERF_EVENT */, {0x018024280a43d1feull, 0x29ef260063810008ull, 0x8073fe307630207cull, 0x00000000000f0fecull}},
	{8 /* CGROUP_SKB */, {0x0080c4280643d1eeull, 0x2d6f3e0fe3fb8010ull, 0x80779e3176303f7full, 0x00000000000f0ffcull}},
	{10 /* LWT_IN */, {0x008004ae1743d1eeull, 0x296f260063810200ull, 0x80779e3176303f7cull, 0x00000000000f0ffcull}},
	{11 /* LWT_OUT */, {0x008004ae1743d1eeull, 0x296f260063810000ull, 0x80779e3176303f7cull, 0x00000000000f0ffcull}},
	{12 /* LWT_XMIT */, {0x00800fee77f3ffeeull, 0x296f260063810200ull, 0x80779e3176303ffcull, 0x00000000000f0ffcull}},
	{17 /* RAW_TRACEPOINT */, {0x008024280a43d1feull, 0x296f260063810008ull, 0x8073fe307630207cull, 0x00000000000f0fecull}},
};

bool helper_allowed(uint32_t prog_type, uint32_t id)
{
	for (size_t i = 0; i < sizeof prog_helpers / sizeof *prog_helpers; i++)
		if (prog_helpers[i].type == prog_type)
			return id < 256 && (prog_helpers[i].allowed[id / 64] >> (id % 64) & 1);
	return true;
}
