/* The interpreter. Two instances of one loop (interp_loop.h): trusted, with
 * nothing but the instruction itself per step, and checked, which also
 * bounds every access by the run's regions and counts the budget (and a
 * third, sound, for the soundness mode). */
#include <errno.h>
#include <string.h>

#include "vm.h"
#include "verifier/sound.h"

/* Loads and stores of any alignment: eBPF allows unaligned access. */
typedef uint16_t u16_un __attribute__((aligned(1), may_alias));
typedef uint32_t u32_un __attribute__((aligned(1), may_alias));
typedef uint64_t u64_un __attribute__((aligned(1), may_alias));

/* One frame of the local-call stack: what `exit` restores. */
struct interp_frame {
	uint64_t saved[4]; /* r6-r9 */
	uint64_t fp;       /* r10 */
	uint32_t ret_pc;
};

/* Legacy packet load (LD_ABS/LD_IND): network byte order; out of bounds the
 * program ends with r0 = 0, as in the kernel. */
static inline bool interp_ld_pkt(const struct hive_run *run, int64_t off, unsigned size, uint64_t *val)
{
	if (off < 0 || (uint64_t)off + size > run->pkt_size)
		return false;
	const uint8_t *p = run->pkt + off;
	switch (size) {
	case 1: *val = p[0]; break;
	case 2: *val = (uint64_t)p[0] << 8 | p[1]; break;
	default: *val = (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3]; break;
	}
	return true;
}

#define INTERP_CHECKED 0
#define INTERP_NAME interp_run_trusted
#include "interp_loop.h"
#undef INTERP_CHECKED
#undef INTERP_NAME

#define INTERP_CHECKED 1
#define INTERP_NAME interp_run_checked
#include "interp_loop.h"
#undef INTERP_CHECKED
#undef INTERP_NAME

/* Soundness mode: checked, and each instruction checked against the
 * verifier's states there (verifier/sound.c). */
#define INTERP_CHECKED 2
#define INTERP_NAME interp_run_sound
#include "interp_loop.h"
#undef INTERP_CHECKED
#undef INTERP_NAME

void vm_prog_set_sound(struct hive_prog *prog, struct sound_rec *rec)
{
	prog->sound = rec;
}

int interp_call(struct hive_run *run, const struct hive_prog *prog, uint32_t pc, const uint64_t *args,
		uintptr_t fp, uint64_t *ret)
{
	if (prog->mode == HIVE_EXEC_TRUSTED)
		return interp_run_trusted(run, prog, pc, args, fp, ret, NULL);
	if (__builtin_expect(prog->sound != NULL, 0))
		return interp_run_sound(run, prog, pc, args, fp, ret, NULL);
	return interp_run_checked(run, prog, pc, args, fp, ret, NULL);
}

int interp_run(struct hive_run *run, uint64_t *ret, uint64_t *regs_out)
{
	const struct hive_prog *prog = run->prog;
	uint64_t args[5] = {(uintptr_t)run->mem, run->mem_size};
	uintptr_t top = (uintptr_t)run->stack + HIVE_MAX_FRAMES * HIVE_STACK_SIZE;
	if (prog->mode == HIVE_EXEC_TRUSTED)
		return interp_run_trusted(run, prog, 0, args, top, ret, regs_out);
	if (__builtin_expect(prog->sound != NULL, 0))
		return interp_run_sound(run, prog, 0, args, top, ret, regs_out);
	return interp_run_checked(run, prog, 0, args, top, ret, regs_out);
}
