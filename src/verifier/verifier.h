/* The verifier's internal model: register and stack state, frames, the
 * exploration environment, and the entry points of each checking file.
 *
 *   verifier.c   exploration loop (path by path, pruning), public API
 *   precision.c  precision back-tracking through the path's history
 *   cfg.c        subprograms, CFG checks, prune points, register liveness
 *   state.c      register/stack/frame state: init, copy, compare, print
 *   check_alu.c  ALU on scalars (range.c) and pointer arithmetic
 *   check_mem.c  loads, stores, atomics per pointer type
 *   check_call.c helpers (helpers/proto.h), bpf-to-bpf calls, exit
 *   ctx.c        context layouts per program type
 *   log.c        the log: first error, registers in kernel notation, path, hint, code
 *   sound.c      soundness mode: states per insn, checked by the interpreter
 *
 * Where hive follows Linux on purpose, though it could be more precise:
 * div/mod and variable shifts give an unknown 64-bit scalar; a non-NULL
 * stack/ctx/packet pointer compared with 0 is explored both ways (only map
 * values and ringbuf memory are "never NULL"); var-offset stack writes are
 * refused over unwritten bytes unless allow_uninit_stack (CAP_PERFMON).
 * Precision as in Linux: scalars start imprecise and pruning ignores their
 * value; where a value decides safety (pointer arithmetic, helper sizes,
 * decided jumps, ...) precision.c walks the path's history back and marks
 * the registers and stack slots it came from precise in the checkpoints.
 * Register liveness is static (cfg.c), not the kernel's read marks.
 * bpf_loop callbacks converge by widening changed scalars to unknown.
 */
#ifndef HIVE_VERIFIER_H
#define HIVE_VERIFIER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "helpers/proto.h"
#include "hive/hive.h"
#include "isa/isa.h"
#include "range.h"
#include "tnum.h"

/* {===== limits (the kernel's) */
enum {
	VERIFIER_MAX_PROCESSED = 1000000, /* BPF_COMPLEXITY_LIMIT_INSNS */
	VERIFIER_MAX_PENDING = 8192,      /* BPF_COMPLEXITY_LIMIT_JMP_SEQ */
	VERIFIER_MAX_FRAMES = 8,          /* MAX_CALL_FRAMES */
	VERIFIER_STACK = 512,             /* MAX_BPF_STACK */
	VERIFIER_SLOTS = VERIFIER_STACK / 8,
	VERIFIER_MAX_REFS = 64,
	VERIFIER_MAX_VAR_OFF = 1 << 29,   /* BPF_MAX_VAR_OFF */
	VERIFIER_MAX_VAR_SIZE = 1 << 29,  /* BPF_MAX_VAR_SIZ */
	VERIFIER_MAX_PACKET_OFF = 0xffff, /* MAX_PACKET_OFF */
	VERIFIER_NREGS = 11,
};
/* }===== */

/* {===== register types: every kind the kernel has that user space can meet.
 * Not all are produced yet (see the report in issue 6); the state machine,
 * printing and comparison handle all of them. */
#define VERIFIER_REG_TYPES(X)                                                   \
	X(NOT_INIT, "?")                                                        \
	X(SCALAR_VALUE, "scalar")                                               \
	X(PTR_TO_CTX, "ctx")                                                    \
	X(CONST_PTR_TO_MAP, "map_ptr")                                          \
	X(PTR_TO_MAP_VALUE, "map_value")                                        \
	X(PTR_TO_MAP_KEY, "map_key")                                            \
	X(PTR_TO_STACK, "fp")                                                   \
	X(PTR_TO_PACKET_META, "pkt_meta")                                       \
	X(PTR_TO_PACKET, "pkt")                                                 \
	X(PTR_TO_PACKET_END, "pkt_end")                                         \
	X(PTR_TO_MEM, "mem")          /* ringbuf_reserve: mem_size bytes */      \
	X(PTR_TO_FUNC, "func")                                                  \
	X(PTR_TO_BTF_ID, "ptr_")      /* kernel objects: never produced here */  \
	X(PTR_TO_FLOW_KEYS, "flow_keys")                                        \
	X(CONST_PTR_TO_DYNPTR, "dynptr_ptr") /* a callback's dynptr (user_ringbuf_drain) */

enum reg_type {
#define REG_ENUM(ID, NAME) ID,
	VERIFIER_REG_TYPES(REG_ENUM)
#undef REG_ENUM
	REG_TYPE__COUNT
};

/* Flag or'ed into reg_state.type: the pointer may be NULL until checked. */
enum { PTR_MAYBE_NULL = 0x100, REG_TYPE_MASK = 0xff };

struct reg_state {
	uint16_t type;      /* enum reg_type | PTR_MAYBE_NULL */
	uint8_t frameno;    /* PTR_TO_STACK: whose stack */
	uint8_t precise;    /* scalars in checkpoints: a safety decision below used its value */
	int32_t off;        /* pointers: fixed offset */
	uint32_t id;        /* shared by copies: null checks, packet ranges, linked scalars */
	uint32_t ref_obj_id;/* the reference (ringbuf memory) this pointer holds */
	union {
		int32_t map;      /* CONST_PTR_TO_MAP, PTR_TO_MAP_VALUE/KEY: index in env->maps */
		uint32_t mem_size;/* PTR_TO_MEM */
		int32_t range;    /* PTR_TO_PACKET(_META): bytes known readable after off */
		int32_t subprog;  /* PTR_TO_FUNC */
	};
	struct range v;     /* scalars: the value; pointers: the variable offset */
};

static inline enum reg_type reg_base(const struct reg_state *r) { return (enum reg_type)(r->type & REG_TYPE_MASK); }
static inline bool reg_is_ptr(const struct reg_state *r) { return reg_base(r) > SCALAR_VALUE; }
static inline bool reg_is_pkt(const struct reg_state *r)
{
	return reg_base(r) == PTR_TO_PACKET || reg_base(r) == PTR_TO_PACKET_META;
}

/* Per byte of stack. */
enum slot_kind { STACK_INVALID = 0, STACK_SPILL, STACK_MISC, STACK_ZERO };

struct stack_slot {
	uint8_t kind[8];        /* byte i is at offset -(8*slot+8)+i from the frame pointer */
	struct reg_state spill; /* when all 8 bytes are STACK_SPILL */
};

struct frame {
	struct reg_state regs[VERIFIER_NREGS];
	int32_t callsite;      /* insn of the call that made this frame, -1 for main */
	int32_t subprog;       /* which subprogram runs in it */
	uint32_t callback;     /* 1: a callback (bpf_loop): returns to its call insn */
	uint32_t nslots;       /* slots[0..nslots) allocated; the rest are STACK_INVALID */
	struct stack_slot slots[];
};

/* One step of a path's history, for back-tracking (the kernel's jmp
 * history): insn @idx was reached from @prev.  Recorded where the path did
 * not go on sequentially, where an insn accessed the stack at a fixed slot
 * (HIST_STACK: which frame and slot), and at conditional jumps that bounded
 * linked scalars (HIST_LINK: env->links[link] lists them). */
enum {
	HIST_STACK = 1u << 0,      /* frame in bits 1..3, slot in bits 4..9 */
	HIST_LINK = 1u << 10,
	HIST_CB_EXIT = 1u << 11,   /* an exit from a bpf_loop callback */
	VERIFIER_NO_INSN = UINT32_MAX,
};
struct hist_entry {
	uint32_t idx, prev;
	uint32_t flags;
	uint32_t link;
};

struct vstate {
	uint32_t curframe;
	uint32_t nrefs;
	uint32_t refs[VERIFIER_MAX_REFS];     /* acquired reference ids */
	uint32_t ref_insn[VERIFIER_MAX_REFS]; /* where each was acquired */
	struct frame *frames[VERIFIER_MAX_FRAMES];
	/* the path since the previous checkpoint: insns first_insn..last_insn
	 * (last_insn: the current one, or for a checkpoint the one before it);
	 * hist[0] is the arrival at first_insn */
	uint32_t first_insn, last_insn;
	uint32_t nhist, cap_hist;
	struct hist_entry *hist;
	/* for error messages: the last conditional jumps of the path, each
	 * insn << 1 | taken, oldest first (ntrail counts all of them) */
	uint32_t trail[16];
	uint32_t ntrail;
};

/* A state kept at a prune point. */
struct vnode {
	struct vstate st;
	struct vnode *parent;   /* previous checkpoint on this path */
	struct vnode *next;     /* same insn */
	uint32_t branches;      /* paths still being explored below it */
	uint32_t insn;
	uint32_t hit_cnt, miss_cnt;
};
/* }===== */

/* {===== program and environment */

struct subprog {
	uint32_t start, end;    /* [start, end) */
	uint32_t stack_depth;   /* deepest stack use seen */
};

struct insn_aux {
	uint8_t op;             /* isa row, OP_INVALID for the second LDDW slot */
	uint8_t prune;          /* a prune point */
	uint8_t seen;           /* reached by exploration */
	uint8_t calls_callback; /* a helper call that runs a callback: loops through itself */
	uint16_t live;          /* registers live before the insn (bit i = Ri) */
	int32_t subprog;
	struct vnode *states;   /* explored states here */
	uint32_t nstates;
};

struct verifier_env;
struct idmap;
typedef const struct helper_proto *(*verifier_proto_fn)(uint32_t id);

struct verifier_env {
	const struct hive_insn *insns;
	uint32_t cnt;
	struct insn_aux *aux;
	struct subprog *subprogs;
	uint32_t nsubprogs;

	/* inputs */
	uint32_t prog_type;
	const struct hive_ctx_layout *ctx;
	const struct hive_verify_map *maps;
	uint32_t nmaps;
	verifier_proto_fn proto;
	const struct hive_env *henv; /* an embedder's helper prototypes first (vm.h) */
	bool allow_uninit_stack;     /* unwritten stack reads as unknown (CAP_PERFMON) */

	/* exploration */
	struct vstate *cur;
	struct vnode *cur_parent;    /* last checkpoint of the current path */
	uint32_t pc;
	uint32_t id_gen;
	struct pending *pending;     /* stack of branches to explore */
	uint32_t npending, cap_pending;
	uint64_t processed, jmps_processed;
	uint64_t prev_processed, prev_jmps;
	uint64_t total_states, cur_states, peak_states, max_states_per_insn;
	uint32_t prev_pc;            /* insn executed before pc on this path */
	bool hist_here;              /* hist's last entry is the current insn's */
	uint16_t *links;             /* HIST_LINK sets: count, then frame<<8 | slot<<7 | index */
	uint32_t nlinks, cap_links;
	struct idmap *idmap;         /* scratch for states_equal */
	struct vnode *retired;       /* states dropped from their insn's list */
	struct sound_rec *sound;     /* soundness mode: states recorded per insn (sound.c) */
	bool sound_range;            /* soundness mode, strict: prune by every live scalar's range */

	/* log */
	char *log;
	size_t log_size, log_used;
	uint32_t log_level;
	bool failed;
	int err;
	uint32_t err_pc;
	uint8_t err_regs;            /* registers to print with the error (bit mask) */
	uint32_t max_ctx_off;        /* end of the furthest context access (the kernel's max_ctx_offset) */
};
/* }===== */

/* {===== state.c */
struct vstate *state_new(void);
void state_free(struct vstate *st);
/* Deep copy of @src into @dst (which must be freed or zeroed). Returns 0 or -ENOMEM. */
int state_copy(struct vstate *dst, const struct vstate *src);
void state_release(struct vstate *st); /* free the frames, not @st */
struct frame *frame_new(uint32_t nslots);
/* Make sure the current frame has @nslots slots. */
int frame_grow(struct frame **f, uint32_t nslots);
void reg_mark_unknown(struct reg_state *r);
void reg_mark_not_init(struct reg_state *r);
void reg_mark_const(struct reg_state *r, uint64_t v);
void reg_set_scalar(struct reg_state *r, struct range v);
/* How states_equal compares scalars. */
enum state_cmp {
	CMP_PRECISE, /* only scalars precise in @old, by range */
	CMP_RANGE,   /* every live scalar by range (@old's precision is not final) */
	CMP_EXACT,   /* equality (infinite loop detection) */
};
/* Is @cur covered by @old (every behaviour of cur already checked from old)? */
bool states_equal(struct verifier_env *env, const struct vstate *old, const struct vstate *cur, uint32_t insn,
		  enum state_cmp cmp);
/* Registers of frame @fi of @st (at @insn) that the rest of the path may read. */
uint16_t state_frame_live(const struct verifier_env *env, const struct vstate *st, uint32_t fi, uint32_t insn);
/* Append @e to @st's history.  Returns 0 or -ENOMEM. */
int state_hist_push(struct vstate *st, struct hist_entry e);
/* Scalars of @cur that @old does not cover become unknown: a callback
 * called again and again converges in one more round. */
void state_widen(struct vstate *cur, const struct vstate *old);
/* Call @fn on every register and spilled register of every frame. */
void state_for_each_reg(struct vstate *st, void (*fn)(struct reg_state *r, void *arg), void *arg);
/* }===== */

/* {===== cfg.c */
/* Subprograms, jump ranges, unreachable code, prune points, liveness. */
int cfg_check(struct verifier_env *env);
/* Combined stack of the deepest call chain. */
int cfg_check_stack_depth(struct verifier_env *env);
/* }===== */

/* {===== precision.c: the kernel's precision back-tracking */
/* The current value of scalar R@regno (current frame) decides safety: walk
 * the path back and mark what it was computed from precise in the
 * checkpoints on the way (mark_chain_precision). */
void mark_precise(struct verifier_env *env, int regno);
/* The current path was pruned against @old: what was precise there must be
 * precise on this path too (propagate_precision). */
void propagate_precision(struct verifier_env *env, const struct vstate *old, uint32_t insn);
/* Give up being selective: every scalar in every checkpoint of the current
 * path becomes precise. */
void mark_all_precise(struct verifier_env *env);
/* The history entry of the current insn (pushed if needed); NULL: no memory. */
struct hist_entry *hist_cur(struct verifier_env *env);
int hist_note_flags(struct verifier_env *env, uint32_t flags);
/* History of the current insn: it accessed slot @spi of frame @frameno. */
int hist_note_stack(struct verifier_env *env, uint32_t frameno, uint32_t spi);
/* History of the current conditional jump: the scalars linked to R@d/R@s
 * (ids) were bounded with them. */
int hist_note_links(struct verifier_env *env, uint32_t id_a, uint32_t id_b);
/* }===== */

/* {===== check_*.c */
int check_alu(struct verifier_env *env, const struct hive_insn *insn, uint8_t op);
int check_mem_insn(struct verifier_env *env, const struct hive_insn *insn, uint8_t op);
/* Check @size bytes at @reg + 0 are accessible for a helper; @write marks the
 * stack initialised; @zero_ok allows size 0. */
int check_helper_mem(struct verifier_env *env, int regno, int64_t size_max, bool write, bool zero_ok);
/* Does @r point to @size stack bytes known to be zero (STACK_ZERO)? */
bool stack_known_zero(struct verifier_env *env, const struct reg_state *r, uint32_t size);
int check_ld_imm(struct verifier_env *env, const struct hive_insn *insn);
int check_ld_abs(struct verifier_env *env, const struct hive_insn *insn, uint8_t op);
int check_helper_call(struct verifier_env *env, const struct hive_insn *insn);
/* Enter a subprogram (pc changes) or, for exit, leave one. *done is set when
 * the main program exits. */
int check_local_call(struct verifier_env *env, const struct hive_insn *insn);
int check_exit(struct verifier_env *env, bool *done);
/* Read of register @regno as a source operand. */
int check_reg_read(struct verifier_env *env, int regno);
/* Write of @regno as a destination (refuses r10). */
int check_reg_write(struct verifier_env *env, int regno);
/* Invalidate every copy of the reference @ref_obj_id. */
void release_reference(struct verifier_env *env, uint32_t ref_obj_id);
/* }===== */

/* An environment for verifying @insns with @opts (NULL: defaults), before verifier_run. */
void verifier_env_init(struct verifier_env *env, const struct hive_insn *insns, size_t cnt,
		       const struct hive_verify_opts *opts);

/* {===== sound.c */
void sound_record(struct verifier_env *env);
/* After an accepted verification: the stored states with their final
 * precision marks, the run-time check at prune points. */
void sound_finish(struct verifier_env *env);
/* A visit of the prune point env->pc that neither pruned nor stored its
 * state: runs there are not checked against stored states. */
void sound_unstored(struct verifier_env *env);
/* Checkpoints forced at every visit (soundness mode) up to this many. */
enum { SOUND_FORCED_STATES = 16384 };
/* }===== */

/* {===== ctx.c */
const struct hive_ctx_layout *ctx_layout_of(uint32_t prog_type);
/* May [off, off+size) of a context of layout @l be read (or written)?
 * The field's enum hive_ctx_kind, or -1 when refused. */
int ctx_check(const struct hive_ctx_layout *l, int32_t off, uint32_t size, bool write);
/* }===== */

/* {===== log.c */
/* Record the first error: "insn N: <insn>: <msg>", then the registers in
 * @regs (bit mask) and a hint.  Returns -EACCES.  Later errors are ignored. */
int verr(struct verifier_env *env, uint16_t regs, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The stable code of a refusal message ("pkt-bounds", ...; "refused" when
 * none fits), as the log's "  code:" line gives it. */
const char *verr_code(const char *msg);
/* Append to the log (level >= @level). */
void vlog(struct verifier_env *env, uint32_t level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "R1=pkt(off=14,r=14)" style. */
int reg_strn(char *buf, size_t size, const struct reg_state *r);
const char *reg_type_name(uint16_t type, char *buf, size_t size);
/* Disassembly of insn @pc, or its hex when the disassembler is absent. */
void insn_str(const struct verifier_env *env, uint32_t pc, char *buf, size_t size);
/* }===== */

/* {===== verifier.c */
/* Verify with an explicit environment (tests can give their own helper table). */
int verifier_run(struct verifier_env *env, struct hive_verify_stats *stats);
/* hive_verify, telling the loader and the VM more than the public API does. */
struct verifier_result {
	bool failed;          /* refused: err_pc is the refused instruction */
	uint32_t err_pc;
	uint32_t max_ctx_off; /* bytes of context the program may touch */
};
int verifier_verify(const struct hive_insn *insns, size_t cnt, const struct hive_verify_opts *opts,
		    struct hive_verify_stats *stats, struct verifier_result *res);
struct frame *cur_frame(struct verifier_env *env);
/* Queue the path continuing after the current insn (a copy of the state). */
int push_branch_after_call(struct verifier_env *env, struct vstate **out);
static inline struct reg_state *cur_regs(struct verifier_env *env)
{
	return env->cur->frames[env->cur->curframe]->regs;
}
/* }===== */

#endif
