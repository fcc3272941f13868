/* Soundness mode: the verifier records, per instruction, every abstract
 * register state it explored there (joined per register and kind); the
 * interpreter, before each instruction of a run, checks that the concrete
 * registers lie inside one of them and that the memory the instruction
 * touches lies inside the object the verifier had in mind.  A verified
 * program that leaves its abstract states is a verifier bug.
 *
 * What "inside" means follows what pruning relied on.  Two variants:
 *
 * sound_verify: pruning as in normal verification (CMP_PRECISE: a scalar
 * counts only where back-tracking made it precise), with a checkpoint at
 * every visit of a prune point that is not pruned (the first
 * SOUND_FORCED_STATES; after that as usual, and a prune point visited
 * without storing its state is not checked).  A pruned path goes on
 * as the stored state's did only in what that state kept precise, so
 * scalars are checked at prune points: the run must lie in some state
 * stored there, read after verification with its final precision marks
 * (precise scalars in their bounds, pointers as below, zero stack bytes
 * zero; imprecise scalars and NOT_INIT anything), the current frame's
 * registers and whole spills.  Everywhere else pointers and accesses are
 * checked (pointers always bind in pruning: their offsets come from
 * scalars made precise), scalars are not.  This is what checks precision
 * back-tracking.
 *
 * sound_verify_strict: pruning compares every live scalar by range
 * (CMP_RANGE), so a pruned path's values are covered by an explored
 * state: every live register and whole spill is checked before every
 * instruction.  This checks the transfer functions closely.
 *
 * In both, a register dead before the instruction is not checked; scalars
 * checked must lie in the joined tnum and the 64/32-bit signed and
 * unsigned bounds; pointers must point into their object at an offset the
 * verifier considered (stack: that frame, off + variable part; context;
 * packet, with the readable range proven by data_end checks; map values
 * and ringbuf memory: an object of the assumed size in a region the run
 * opened; NULL only when maybe-NULL).  Registers spilled to the current
 * frame's stack are checked the same way, where every explored state had
 * a whole spilled register in that slot.
 *
 * Usage (tests, fuzzing):
 *   struct sound_rec *rec;
 *   sound_verify(insns, cnt, &verify_opts, NULL, &rec);   // 0 when accepted
 *   vm_prog_set_sound(prog, rec);   // checked-mode runs of prog now check
 *   ... hive_prog_run / hive_prog_test_run ...            // -EFAULT "soundness: ..."
 *   sound_free(rec);                 // after the last run
 */
#ifndef HIVE_VERIFIER_SOUND_H
#define HIVE_VERIFIER_SOUND_H

#include <stddef.h>
#include <stdint.h>

#include "hive/hive.h"

struct sound_rec;
struct verifier_env;
struct hive_run;
struct hive_prog;

/* hive_verify that also records the states; *out (freed with sound_free)
 * is set whatever the verdict, NULL only on -ENOMEM/-EINVAL. */
int sound_verify(const struct hive_insn *insns, size_t cnt, const struct hive_verify_opts *opts,
		 struct hive_verify_stats *stats, struct sound_rec **out);
/* The strict variant: pruning by range, every live scalar checked before
 * every instruction. */
int sound_verify_strict(const struct hive_insn *insns, size_t cnt, const struct hive_verify_opts *opts,
			struct hive_verify_stats *stats, struct sound_rec **out);
void sound_free(struct sound_rec *rec);
/* Registers checked and instructions stepped so far (all runs). */
uint64_t sound_checks(const struct sound_rec *rec);
/* The full text of the last violation ("" if none). */
const char *sound_last_violation(const struct sound_rec *rec);

/* Verifier hook: the current state is explored at env->pc. */
void sound_record(struct verifier_env *env);
/* Interpreter hook, before the instruction at @pc: 0, or a fault recorded in
 * @run (-EFAULT, "soundness: ..."). */
int sound_step(struct hive_run *run, const struct hive_prog *prog, uint32_t pc, const uint64_t *reg);
/* Make checked-mode interpreter runs of @prog check against @rec (NULL: stop). */
void vm_prog_set_sound(struct hive_prog *prog, struct sound_rec *rec);

#endif
