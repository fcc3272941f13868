/* Internal view of a loaded program and of one run, shared by the
 * interpreter, the JIT and (later) the verifier and helpers. */
#ifndef HIVE_VM_H
#define HIVE_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "hive/hive.h"
#include "isa/isa.h"

/* A pre-decoded slot: op is the isa row (enum isa_op), so the interpreter
 * dispatches on one byte without looking at off/imm/src again. The second
 * slot of an LDDW keeps op = OP_INVALID; its imm is the upper half. */
struct vm_insn {
	uint8_t op;
	uint8_t dst : 4;
	uint8_t src : 4;
	int16_t off;
	int32_t imm;
};
_Static_assert(sizeof(struct vm_insn) == 8, "vm_insn is one slot");

struct jit_image;

/* One memory region a checked run may touch. */
struct vm_region {
	uintptr_t start, end; /* [start, end) */
	bool writable;
};


struct helper_proto;

struct hive_env {
	hive_helper_fn *fns;  /* indexed by helper id */
	char **names;
	uint32_t cap;
	struct helper_proto **protos; /* hive_env_set_helper_proto, indexed by id */
	uint32_t nprotos;
};

/* The prototype set for @id in @env, or NULL (then Linux's applies). */
const struct helper_proto *env_helper_proto(const struct hive_env *env, uint32_t id);

struct hive_prog {
	struct hive_insn *insns; /* as loaded */
	struct vm_insn *code;    /* pre-decoded, same indexes */
	uint32_t cnt;
	enum hive_exec_mode mode;
	uint64_t insn_budget;
	/* helpers snapshot at load time: helper id -> fn (NULL: not registered) */
	hive_helper_fn *helpers;
	uint32_t nhelpers;
	struct jit_image *jit;
	bool any_helper; /* validation only: accept calls to unregistered helpers */
	bool uses_maps;  /* calls helpers or loads maps: runs enter an epoch section */
	/* global data the program addresses with LDDW (checked mode opens them) */
	struct vm_region data_regions[8];
	uint32_t ndata_regions;
	/* verified programs: the end of the furthest context access (the
	 * kernel's max_ctx_offset; test-run wants that much context); 0 else */
	uint32_t max_ctx_offset;
};

enum { VM_MAX_REGIONS = 32 };

/* The state of one run; lives on the caller's stack, so runs are re-entrant. */
struct hive_run {
	const struct hive_prog *prog;
	void *mem;
	size_t mem_size;
	const uint8_t *pkt;     /* LD_ABS/LD_IND read [pkt, pkt + pkt_size) */
	size_t pkt_size;
	uint64_t budget;        /* instructions left, checked mode */
	int err;                /* 0, or the negative errno that stopped the run */
	uint32_t fault_pc;
	uint32_t nregions;
	/* stack of all frames: frame i occupies [stack + i*512, stack + (i+1)*512),
	 * the entry frame is the highest */
	uint8_t *stack;
	/* Add new fields above: hive_prog_run zeroes everything before errmsg
	 * and leaves the two buffers below uninitialised (their size is most of
	 * a short run's cost). */
	char errmsg[192];
	struct vm_region regions[VM_MAX_REGIONS];
};

/* Run the interpreter; r0 in *ret, r0..r10 at exit in regs_out (if not NULL).
 * Returns 0 or run->err. */
int interp_run(struct hive_run *run, uint64_t *ret, uint64_t *regs_out);

/* Record a fault (first one wins) and return its errno. */
int vm_fault(struct hive_run *run, int err, uint32_t pc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Checked mode: is [addr, addr+size) inside a region (writable if @write)? */
static inline bool vm_access_ok(const struct hive_run *run, uintptr_t addr, unsigned size, bool write)
{
	for (uint32_t i = 0; i < run->nregions; i++) {
		const struct vm_region *r = &run->regions[i];
		if (addr >= r->start && addr <= r->end - size && r->end - r->start >= size)
			return !write || r->writable;
	}
	return false;
}

/* The helper for id, or NULL. */
static inline hive_helper_fn vm_helper(const struct hive_prog *prog, uint64_t id)
{
	return id < prog->nhelpers ? prog->helpers[id] : NULL;
}

/* Global data: the address of element 0 of a one-element array map (in
 * *base) when @off lies inside its value; -EOPNOTSUPP for other maps,
 * -ERANGE past the value. */
int vm_map_direct_value(struct hive_map *map, uint32_t off, void **base);

/* Validation: the structural checks done before any run (see validate.c).
 * On failure writes "insn N: <disasm>: <reason>" to log. */
int validate_prog(const struct hive_insn *insns, uint32_t cnt, const struct hive_prog_opts *opts,
		  struct hive_prog *prog, char *log, size_t log_size);

#endif
