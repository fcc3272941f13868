/* Programs and runs: loading (validate + pre-decode), helpers, the run API. */
#include "vm.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/proto.h"
#include "jit/jit.h"
#include "maps/epoch.h"
#include "maps/map.h"
#include "maps/registry.h"
#include "verifier/verifier.h"

#define offsetofend(T, F) (offsetof(T, F) + sizeof(((T *)0)->F))

/* {===== environment */

HIVE_API int hive_env_new(struct hive_env **out)
{
	struct hive_env *env = calloc(1, sizeof(*env));
	if (!env)
		return -ENOMEM;
	*out = env;
	return 0;
}

HIVE_API void hive_env_free(struct hive_env *env)
{
	if (!env)
		return;
	for (uint32_t i = 0; i < env->cap; i++)
		free(env->names[i]);
	for (uint32_t i = 0; i < env->nprotos; i++)
		free(env->protos[i]);
	free(env->protos);
	free(env->names);
	free(env->fns);
	free(env);
}

HIVE_API int hive_env_set_helper(struct hive_env *env, uint32_t id, const char *name, hive_helper_fn fn)
{
	if (!env || id >= (1u << 20))
		return -EINVAL;
	if (id >= env->cap) {
		uint32_t cap = env->cap ? env->cap : 16;
		while (cap <= id)
			cap *= 2;
		hive_helper_fn *fns = realloc(env->fns, cap * sizeof(*fns));
		if (!fns)
			return -ENOMEM;
		env->fns = fns;
		char **names = realloc(env->names, cap * sizeof(*names));
		if (!names)
			return -ENOMEM;
		env->names = names;
		memset(env->fns + env->cap, 0, (cap - env->cap) * sizeof(*fns));
		memset(env->names + env->cap, 0, (cap - env->cap) * sizeof(*names));
		env->cap = cap;
	}
	char *copy = NULL;
	if (name && !(copy = strdup(name)))
		return -ENOMEM;
	free(env->names[id]);
	env->names[id] = copy;
	env->fns[id] = fn;
	return 0;
}

HIVE_API hive_helper_fn hive_env_helper(const struct hive_env *env, uint32_t id, const char **name)
{
	if (!env || id >= env->cap)
		return NULL;
	if (name)
		*name = env->names[id];
	return env->fns[id];
}

/* The public row is the internal one (helpers/proto.h), so that the
 * verifier reads an embedder's prototypes as it reads Linux's. */
_Static_assert(sizeof(struct hive_helper_proto) == sizeof(struct helper_proto), "proto rows");
_Static_assert(offsetof(struct hive_helper_proto, name) == offsetof(struct helper_proto, name), "proto rows");
_Static_assert(offsetof(struct hive_helper_proto, ret) == offsetof(struct helper_proto, ret), "proto rows");
_Static_assert(offsetof(struct hive_helper_proto, args) == offsetof(struct helper_proto, args), "proto rows");
_Static_assert(offsetof(struct hive_helper_proto, flags) == offsetof(struct helper_proto, flags), "proto rows");
#define VM_SAME(A, B) _Static_assert((int)(A) == (int)(B), #A)
VM_SAME(HIVE_ARG_ANYTHING, ARG_ANYTHING);
VM_SAME(HIVE_ARG_SCALAR, ARG_SCALAR);
VM_SAME(HIVE_ARG_CONST_MAP_PTR, ARG_CONST_MAP_PTR);
VM_SAME(HIVE_ARG_PTR_TO_MAP_KEY, ARG_PTR_TO_MAP_KEY);
VM_SAME(HIVE_ARG_PTR_TO_MAP_VALUE, ARG_PTR_TO_MAP_VALUE);
VM_SAME(HIVE_ARG_PTR_TO_UNINIT_MAP_VALUE, ARG_PTR_TO_UNINIT_MAP_VALUE);
VM_SAME(HIVE_ARG_PTR_TO_MEM, ARG_PTR_TO_MEM);
VM_SAME(HIVE_ARG_PTR_TO_MEM_OR_NULL, ARG_PTR_TO_MEM_OR_NULL);
VM_SAME(HIVE_ARG_PTR_TO_UNINIT_MEM, ARG_PTR_TO_UNINIT_MEM);
VM_SAME(HIVE_ARG_CONST_SIZE, ARG_CONST_SIZE);
VM_SAME(HIVE_ARG_CONST_SIZE_OR_ZERO, ARG_CONST_SIZE_OR_ZERO);
VM_SAME(HIVE_ARG_PTR_TO_CTX, ARG_PTR_TO_CTX);
VM_SAME(HIVE_ARG_PTR_TO_CTX_OR_NULL, ARG_PTR_TO_CTX_OR_NULL);
VM_SAME(HIVE_ARG_PTR_TO_LONG, ARG_PTR_TO_LONG);
VM_SAME(HIVE_ARG_PTR_TO_INT, ARG_PTR_TO_INT);
VM_SAME(HIVE_ARG_PTR_TO_CONST_STR, ARG_PTR_TO_CONST_STR);
VM_SAME(HIVE_RET_INTEGER, RET_INTEGER);
VM_SAME(HIVE_RET_VOID, RET_VOID);
VM_SAME(HIVE_RET_PTR_TO_MAP_VALUE_OR_NULL, RET_PTR_TO_MAP_VALUE_OR_NULL);
#undef VM_SAME

/* The kinds an embedder may use, in an order the verifier can check: a
 * size right after its memory, a key or value after its map. */
static bool env_proto_valid(const struct hive_helper_proto *p)
{
	bool map = false, none = false;
	if (p->flags || (p->ret != HIVE_RET_INTEGER && p->ret != HIVE_RET_VOID &&
			 p->ret != HIVE_RET_PTR_TO_MAP_VALUE_OR_NULL))
		return false;
	for (int i = 0; i < 5; i++) {
		uint8_t a = p->args[i];
		uint8_t next = i < 4 ? p->args[i + 1] : HIVE_ARG_NONE;
		bool next_size = next == HIVE_ARG_CONST_SIZE || next == HIVE_ARG_CONST_SIZE_OR_ZERO;
		if (none && a != HIVE_ARG_NONE)
			return false;
		switch (a) {
		case HIVE_ARG_NONE:
			none = true;
			break;
		case HIVE_ARG_CONST_MAP_PTR:
			if (map)
				return false;
			map = true;
			break;
		case HIVE_ARG_PTR_TO_MAP_KEY:
		case HIVE_ARG_PTR_TO_MAP_VALUE:
		case HIVE_ARG_PTR_TO_UNINIT_MAP_VALUE:
			if (!map)
				return false;
			break;
		case HIVE_ARG_PTR_TO_MEM:
		case HIVE_ARG_PTR_TO_MEM_OR_NULL:
		case HIVE_ARG_PTR_TO_UNINIT_MEM:
			if (!next_size)
				return false;
			break;
		case HIVE_ARG_CONST_SIZE:
		case HIVE_ARG_CONST_SIZE_OR_ZERO: {
			uint8_t prev = i ? p->args[i - 1] : HIVE_ARG_NONE;
			if (prev != HIVE_ARG_PTR_TO_MEM && prev != HIVE_ARG_PTR_TO_MEM_OR_NULL &&
			    prev != HIVE_ARG_PTR_TO_UNINIT_MEM)
				return false;
			break;
		}
		case HIVE_ARG_ANYTHING:
		case HIVE_ARG_SCALAR:
		case HIVE_ARG_PTR_TO_CTX:
		case HIVE_ARG_PTR_TO_CTX_OR_NULL:
		case HIVE_ARG_PTR_TO_LONG:
		case HIVE_ARG_PTR_TO_INT:
		case HIVE_ARG_PTR_TO_CONST_STR:
			break;
		default:
			return false;
		}
	}
	return p->ret != HIVE_RET_PTR_TO_MAP_VALUE_OR_NULL || map;
}

HIVE_API int hive_env_set_helper_proto(struct hive_env *env, uint32_t id, const struct hive_helper_proto *proto)
{
	if (!env || id >= (1u << 20) || (proto && !env_proto_valid(proto)))
		return -EINVAL;
	if (id >= env->nprotos) {
		if (!proto)
			return 0;
		uint32_t n = env->nprotos ? env->nprotos : 16;
		while (n <= id)
			n *= 2;
		struct helper_proto **protos = realloc(env->protos, n * sizeof(*protos));
		if (!protos)
			return -ENOMEM;
		memset(protos + env->nprotos, 0, (n - env->nprotos) * sizeof(*protos));
		env->protos = protos;
		env->nprotos = n;
	}
	struct helper_proto *copy = NULL;
	if (proto) {
		size_t nlen = proto->name ? strlen(proto->name) + 1 : 0;
		copy = malloc(sizeof(*copy) + nlen);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, proto, sizeof(*copy));
		copy->id = id;
		copy->name = "helper";
		if (nlen)
			copy->name = memcpy((char *)(copy + 1), proto->name, nlen);
	}
	free(env->protos[id]);
	env->protos[id] = copy;
	return 0;
}

HIVE_API const struct hive_helper_proto *hive_env_helper_proto(const struct hive_env *env, uint32_t id)
{
	return (const struct hive_helper_proto *)env_helper_proto(env, id);
}

const struct helper_proto *env_helper_proto(const struct hive_env *env, uint32_t id)
{
	return env && id < env->nprotos ? env->protos[id] : NULL;
}

/* }===== */

/* {===== programs */

int vm_map_direct_value(struct hive_map *map, uint32_t off, void **base)
{
	enum hive_map_type t = hive_map_get_type(map);
	if ((t != HIVE_MAP_ARRAY) || hive_map_max_entries(map) != 1)
		return -EOPNOTSUPP;
	if (off >= hive_map_value_size(map))
		return -ERANGE;
	uint32_t zero = 0;
	*base = map_prog_lookup(map, &zero);
	return *base ? 0 : -EOPNOTSUPP;
}

/* hive_prog_opts.verify: the verifier sees map i of opts->maps as imm i. */
static int vm_verify(struct hive_prog *prog, const struct hive_prog_opts *opts, char *log, size_t log_size)
{
	struct hive_verify_map *maps = calloc(opts->nmaps ? opts->nmaps : 1, sizeof(*maps));
	if (!maps)
		return -ENOMEM;
	for (size_t i = 0; i < opts->nmaps; i++) {
		const struct hive_map *m = opts->maps[i];
		if (!m)
			continue;
		maps[i] = (struct hive_verify_map){.fd = (int32_t)i, .type = hive_map_get_type(m),
						   .key_size = hive_map_key_size(m), .value_size = hive_map_value_size(m),
						   .max_entries = hive_map_max_entries(m), .map_flags = hive_map_flags(m)};
	}
	HIVE_OPTS(hive_verify_opts, vo, .prog_type = opts->prog_type, .ctx = opts->ctx, .maps = maps,
		  .nmaps = opts->nmaps, .log_buf = log, .log_size = log_size, .env = opts->env);
	struct verifier_result res;
	int err = verifier_verify(prog->insns, prog->cnt, &vo, NULL, &res);
	free(maps);
	prog->max_ctx_offset = res.max_ctx_off;
	return err;
}

HIVE_API int hive_prog_load(const struct hive_insn *insns, size_t cnt, const struct hive_prog_opts *opts,
			    struct hive_prog **out)
{
	char dummy[1];
	char *log = opts && opts->log_buf ? opts->log_buf : dummy;
	size_t log_size = opts && opts->log_buf ? opts->log_size : sizeof(dummy);
	if (log_size)
		log[0] = '\0';
	if (!out || (!insns && cnt))
		return -EINVAL;
	if (opts && opts->sz < sizeof(size_t))
		return -EINVAL;
	if (cnt > HIVE_MAX_INSNS) {
		snprintf(log, log_size, "program too large: %zu instructions (limit %d)", cnt, HIVE_MAX_INSNS);
		return -E2BIG;
	}

	struct hive_prog *prog = calloc(1, sizeof(*prog));
	if (!prog)
		return -ENOMEM;
	prog->cnt = (uint32_t)cnt;
	prog->insns = malloc((cnt ? cnt : 1) * sizeof(*insns));
	prog->code = malloc((cnt ? cnt : 1) * sizeof(*prog->code));
	if (!prog->insns || !prog->code) {
		hive_prog_free(prog);
		return -ENOMEM;
	}
	if (cnt)
		memcpy(prog->insns, insns, cnt * sizeof(*insns));
	prog->mode = opts ? opts->mode : HIVE_EXEC_CHECKED;
	prog->insn_budget = opts && opts->insn_budget ? opts->insn_budget : (1ull << 24);

	struct hive_env *env = opts ? opts->env : NULL;
	if (env && env->cap) {
		prog->helpers = calloc(env->cap, sizeof(*prog->helpers));
		if (!prog->helpers) {
			hive_prog_free(prog);
			return -ENOMEM;
		}
		memcpy(prog->helpers, env->fns, env->cap * sizeof(*prog->helpers));
		prog->nhelpers = env->cap;
	}

	int err = validate_prog(prog->insns, prog->cnt, opts, prog, log, log_size);
	if (!err && opts && opts->sz >= offsetofend(struct hive_prog_opts, ctx) && opts->verify)
		err = vm_verify(prog, opts, log, log_size);
	if (err) {
		hive_prog_free(prog);
		return err;
	}
	*out = prog;
	return 0;
}

HIVE_API int hive_prog_validate(const struct hive_insn *insns, size_t cnt, char *log, size_t log_size)
{
	char dummy[1];
	if (!log || !log_size) {
		log = dummy;
		log_size = sizeof(dummy);
	}
	log[0] = '\0';
	if (!insns && cnt)
		return -EINVAL;
	if (cnt > HIVE_MAX_INSNS) {
		snprintf(log, log_size, "program too large: %zu instructions (limit %d)", cnt, HIVE_MAX_INSNS);
		return -E2BIG;
	}
	struct hive_prog prog = {.cnt = (uint32_t)cnt, .any_helper = true};
	prog.code = malloc((cnt ? cnt : 1) * sizeof(*prog.code));
	if (!prog.code)
		return -ENOMEM;
	int err = validate_prog(insns, (uint32_t)cnt, NULL, &prog, log, log_size);
	free(prog.cb_pcs);
	free(prog.code);
	return err;
}

HIVE_API void hive_prog_free(struct hive_prog *prog)
{
	if (!prog)
		return;
	timer_prog_free(prog); /* no timer callback into it runs after this */
	if (prog->jit)
		jit_free(prog->jit);
	free(prog->helpers);
	free(prog->cb_pcs);
	free(prog->code);
	free(prog->insns);
	free(prog);
}

HIVE_API size_t hive_prog_insn_cnt(const struct hive_prog *prog)
{
	return prog ? prog->cnt : 0;
}

HIVE_API const struct hive_insn *hive_prog_insns(const struct hive_prog *prog)
{
	return prog ? prog->insns : NULL;
}

/* }===== */

/* {===== runs */

int vm_fault(struct hive_run *run, int err, uint32_t pc, const char *fmt, ...)
{
	if (run->err)
		return run->err;
	run->err = err;
	run->fault_pc = pc;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(run->errmsg, sizeof(run->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

/* The messages of VM_FAULTS, and their errnos. */
static const struct {
	int err;
	const char *fmt;
} vm_faults[] = {
#define VM_FAULT_ROW(NAME, ERR, MSG) [VM_FAULT_##NAME] = {-ERR, MSG},
	VM_FAULTS(VM_FAULT_ROW)
#undef VM_FAULT_ROW
};

/* The formats come from the table: the compiler cannot check them against
 * the arguments, so each caller below passes exactly what its row names. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
int vm_fault_access(struct hive_run *run, uint32_t pc, uintptr_t addr, unsigned size, bool write, bool atomic)
{
	return vm_fault(run, vm_faults[VM_FAULT_ACCESS].err, pc, vm_faults[VM_FAULT_ACCESS].fmt,
			write ? "store" : "load", size, (unsigned long long)addr,
			atomic ? "atomic" : write ? "store" : "load");
}

int vm_fault_misaligned(struct hive_run *run, uint32_t pc, uintptr_t addr, unsigned size)
{
	return vm_fault(run, vm_faults[VM_FAULT_MISALIGNED].err, pc, vm_faults[VM_FAULT_MISALIGNED].fmt, size,
			(unsigned long long)addr);
}

int vm_fault_budget(struct hive_run *run, uint32_t pc)
{
	return vm_fault(run, vm_faults[VM_FAULT_BUDGET].err, pc, vm_faults[VM_FAULT_BUDGET].fmt,
			(unsigned long long)run->prog->insn_budget);
}

int vm_fault_depth(struct hive_run *run, uint32_t pc)
{
	return vm_fault(run, vm_faults[VM_FAULT_DEPTH].err, pc, vm_faults[VM_FAULT_DEPTH].fmt, HIVE_MAX_FRAMES);
}

int vm_fault_callx(struct hive_run *run, uint32_t pc, unsigned reg, uint64_t id)
{
	return vm_fault(run, vm_faults[VM_FAULT_CALLX].err, pc, vm_faults[VM_FAULT_CALLX].fmt, reg,
			(unsigned long long)id);
}

int vm_fault_helper(struct hive_run *run, uint32_t pc, uint64_t id)
{
	return vm_fault(run, vm_faults[VM_FAULT_HELPER].err, pc, vm_faults[VM_FAULT_HELPER].fmt,
			(unsigned long long)id);
}

int vm_fault_bad_slot(struct hive_run *run, uint32_t pc)
{
	return vm_fault(run, vm_faults[VM_FAULT_BAD_SLOT].err, pc, "%s", vm_faults[VM_FAULT_BAD_SLOT].fmt);
}
#pragma GCC diagnostic pop

static void vm_add_region(struct hive_run *run, void *p, size_t size, bool writable)
{
	if (run->nregions < VM_MAX_REGIONS && size) {
		struct vm_region *r = &run->regions[run->nregions++];
		r->start = (uintptr_t)p;
		r->end = (uintptr_t)p + size;
		r->writable = writable;
	}
}

/* A run's fields before errmsg, one store each: a memset of them compiles
 * to `rep stos`, whose start-up cost was half of this function's time on
 * short programs (perf, hive xdp --pcap). */
static inline void vm_run_init(struct hive_run *run, const struct hive_prog *prog, uint8_t *stack)
{
	run->prog = prog;
	run->mem = NULL;
	run->mem_size = 0;
	run->pkt = NULL;
	run->pkt_size = 0;
	run->budget = prog->insn_budget;
	run->err = 0;
	run->fault_pc = 0;
	run->nregions = 0;
	run->fp = 0;
	run->jit_ctx = NULL;
	run->tail_calls = 0;
	run->tail_done = false;
	run->stack = stack;
	run->func_ip = 0;
	run->attach_cookie = 0;
	run->errmsg[0] = '\0';
}
_Static_assert(offsetof(struct hive_run, errmsg) == offsetof(struct hive_run, attach_cookie) + sizeof(uint64_t),
	       "vm_run_init sets every field before errmsg: add new ones there");

/* A run with a struct hive_run: everything but standalone JIT code. */
static int vm_prog_run(const struct hive_prog *prog, struct hive_run_opts *opts,
		       uint8_t stack[HIVE_MAX_FRAMES * HIVE_STACK_SIZE])
{
	struct hive_run run;
	vm_run_init(&run, prog, stack);
	run.mem = opts->mem;
	run.mem_size = opts->mem_size;
	/* fields after errmsg exist only for callers that know them */
	bool has_ext = opts->sz >= offsetofend(struct hive_run_opts, pkt_size);
	const struct hive_region *extra = has_ext ? opts->regions : NULL;
	size_t nextra = extra ? opts->nregions : 0;
	if (nextra > VM_MAX_REGIONS - 2 - prog->ndata_regions)
		return -E2BIG;
	if (opts->sz >= offsetofend(struct hive_run_opts, attach_cookie))
		run.func_ip = opts->func_ip, run.attach_cookie = opts->attach_cookie;
	run.pkt = has_ext && opts->pkt ? opts->pkt : opts->mem;
	run.pkt_size = has_ext && opts->pkt ? opts->pkt_size : opts->mem_size;
	/* regions matter only to checked runs (trusted ones never look) */
	if (prog->mode == HIVE_EXEC_CHECKED) {
		vm_add_region(&run, stack, HIVE_MAX_FRAMES * HIVE_STACK_SIZE, true);
		/* before mem: the first region holding an access decides, so a
		 * writable field can sit inside a read-only context */
		for (size_t i = 0; i < nextra; i++)
			vm_add_region(&run, extra[i].ptr, extra[i].size, extra[i].writable);
		vm_add_region(&run, opts->mem, opts->mem_size, !opts->mem_readonly);
		for (uint32_t i = 0; i < prog->ndata_regions; i++)
			run.regions[run.nregions++] = prog->data_regions[i];
	}

	uint64_t r0 = 0;
	int err;
	if (opts->use_jit && !prog->jit)
		return -ENOEXEC;
	/* Map values a program holds stay valid for the whole run (programs
	 * that can reach no map skip the section's cost, and so does JIT code
	 * that calls nothing: its array lookups are inlined, and array values
	 * live as long as the map) */
	bool epoch = prog->uses_maps && !(opts->use_jit && !prog->jit_calls);
	if (epoch)
		epoch_enter();
	if (opts->use_jit) {
		err = jit_exec(prog->jit, &run, &r0, opts->regs_out);
	} else {
		err = interp_run(&run, &r0, opts->regs_out);
	}
	if (epoch)
		epoch_exit();
	opts->retval = r0;
	opts->insns_executed = prog->mode == HIVE_EXEC_CHECKED ? prog->insn_budget - run.budget : 0;
	if (err) {
		opts->fault_pc = run.fault_pc;
		snprintf(opts->errmsg, sizeof(opts->errmsg), "%s", run.errmsg);
	} else {
		opts->errmsg[0] = '\0';
	}
	return err;
}

/* Standalone JIT code (hive_prog.jit_standalone) reads nothing of a run, and
 * has no run to set up, which on short programs was most of the cost
 * (5 of the 6.5 ns an empty program took). */
HIVE_API int hive_prog_run(const struct hive_prog *prog, struct hive_run_opts *opts)
{
	if (!prog || !opts || opts->sz < sizeof(size_t))
		return -EINVAL;
	/* All frames' stacks, the entry frame the highest 512 bytes: here, so
	 * that r10 is the same address whichever path runs the program. */
	_Alignas(16) uint8_t stack[HIVE_MAX_FRAMES * HIVE_STACK_SIZE];
	if (!opts->use_jit || !prog->jit_standalone ||
	    (opts->sz >= offsetofend(struct hive_run_opts, pkt_size) && opts->regions))
		return vm_prog_run(prog, opts, stack);
	struct jit_ctx c;
	c.regs = opts->regs_out;
	c.want_regs = opts->regs_out != NULL;
	/* no epoch section: standalone code calls nothing (global data is
	 * array values, which live as long as the map) */
	opts->retval = prog->jit_standalone(&c, opts->mem, opts->mem_size, stack + sizeof(stack));
	opts->insns_executed = 0;
	opts->errmsg[0] = '\0';
	return 0;
}

HIVE_API int hive_prog_run_mem(const struct hive_prog *prog, void *mem, size_t size, uint64_t *retval)
{
	HIVE_OPTS(hive_run_opts, o, .mem = mem, .mem_size = size, .use_jit = prog && prog->jit);
	int err = hive_prog_run(prog, &o);
	if (retval)
		*retval = o.retval;
	return err;
}

HIVE_API int hive_run_allow(struct hive_run *run, void *ptr, size_t size, bool writable)
{
	if (!run || !ptr)
		return -EINVAL;
	if (run->prog->mode == HIVE_EXEC_TRUSTED)
		return 0;
	/* Re-opening a known region is common (a loop of lookups): don't grow. */
	for (uint32_t i = 0; i < run->nregions; i++)
		if (run->regions[i].start == (uintptr_t)ptr && run->regions[i].end == (uintptr_t)ptr + size) {
			run->regions[i].writable = writable;
			return 0;
		}
	if (run->nregions == VM_MAX_REGIONS)
		return -E2BIG;
	vm_add_region(run, ptr, size, writable);
	return 0;
}

HIVE_API bool hive_run_access_ok(const struct hive_run *run, const void *ptr, size_t size, bool write)
{
	if (!run || !ptr || size > UINT32_MAX || (uintptr_t)ptr + size < (uintptr_t)ptr)
		return false;
	if (run->prog->mode == HIVE_EXEC_TRUSTED)
		return true;
	return size == 0 || vm_access_ok(run, (uintptr_t)ptr, (unsigned)size, write);
}

HIVE_API void *hive_run_mem(struct hive_run *run, size_t *size)
{
	if (size)
		*size = run ? run->mem_size : 0;
	return run ? run->mem : NULL;
}

HIVE_API void hive_run_abort(struct hive_run *run, int err, const char *msg)
{
	if (run)
		vm_fault(run, err < 0 ? err : -EINVAL, VM_PC_UNKNOWN, "%s", msg ? msg : "aborted by helper");
}

/* }===== */

/* {===== callbacks and tail calls (see vm.h) */

int64_t vm_func_ref_pc(const struct hive_prog *prog, uint64_t ref)
{
	uintptr_t base = (uintptr_t)prog->code;
	if (ref < base || (ref - base) % sizeof(struct vm_insn) || (ref - base) / sizeof(struct vm_insn) >= prog->cnt)
		return -1;
	uint32_t pc = (uint32_t)((ref - base) / sizeof(struct vm_insn));
	uint32_t lo = 0, hi = prog->ncb;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (prog->cb_pcs[mid] == pc)
			return pc;
		if (prog->cb_pcs[mid] < pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

void vm_set_pkt(struct hive_run *run, const uint8_t *pkt, size_t size)
{
	run->pkt = pkt;
	run->pkt_size = size;
	struct jit_ctx *c = run->jit_ctx;
	if (c) /* JIT code reads the packet through its ctx */
		c->mem = pkt, c->mem_size = size;
}

/* Run @prog from @pc, nested, in the engine of this run. */
static int vm_call_nested(struct hive_run *run, const struct hive_prog *prog, bool entry, uint32_t pc,
			  const uint64_t *args, uintptr_t fp, uint64_t *ret)
{
	struct jit_ctx *c = run->jit_ctx;
	if (c && prog->jit)
		return jit_call(run, prog, entry, pc, args, fp, ret);
	if (!c)
		return interp_call(run, prog, pc, args, fp, ret);
	/* a JIT run entering a program without JIT code (a tail call): the
	 * interpreter runs it, on the budget JIT code keeps in its ctx, and
	 * what it calls in turn (no jit_ctx meanwhile) */
	run->budget = c->budget;
	run->jit_ctx = NULL;
	int err = interp_call(run, prog, pc, args, fp, ret);
	run->jit_ctx = c;
	c->budget = run->budget;
	return err;
}

uint64_t vm_call_callback(struct hive_run *run, uint64_t ref, uint64_t a1, uint64_t a2, uint64_t a3,
			  uint64_t a4, uint64_t a5)
{
	if (run->err)
		return 0;
	const struct hive_prog *prog = run->prog;
	int64_t pc = vm_func_ref_pc(prog, ref);
	if (pc < 0) {
		vm_fault(run, -EINVAL, VM_PC_UNKNOWN, "helper: 0x%llx is not a callback of this program",
			 (unsigned long long)ref);
		return 0;
	}
	/* the callback's frame is one below its caller's, as a local call's */
	uintptr_t caller_fp = run->fp;
	if (caller_fp < (uintptr_t)run->stack + 2 * HIVE_STACK_SIZE) {
		vm_fault(run, -E2BIG, VM_PC_UNKNOWN, "call depth exceeds %d frames", HIVE_MAX_FRAMES);
		return 0;
	}
	uint64_t args[5] = {a1, a2, a3, a4, a5}, r0 = 0;
	int err = vm_call_nested(run, prog, false, (uint32_t)pc, args, caller_fp - HIVE_STACK_SIZE, &r0);
	run->fp = caller_fp; /* the callback's own helper calls moved it */
	return err ? 0 : r0;
}

int vm_run_callback(const struct hive_prog *prog, uint64_t ref, bool use_jit, const uint64_t *args,
		    const struct vm_region *extra, uint32_t nextra, uint64_t *ret, char *errmsg, size_t errsz)
{
	*ret = 0;
	int64_t pc = vm_func_ref_pc(prog, ref);
	if (pc < 0)
		return -EINVAL;
	if (nextra > VM_MAX_REGIONS - 1 - prog->ndata_regions)
		return -E2BIG;
	_Alignas(16) uint8_t stack[HIVE_MAX_FRAMES * HIVE_STACK_SIZE];
	struct hive_run run;
	vm_run_init(&run, prog, stack);
	vm_add_region(&run, stack, sizeof(stack), true);
	for (uint32_t i = 0; i < nextra; i++)
		run.regions[run.nregions++] = extra[i];
	for (uint32_t i = 0; i < prog->ndata_regions; i++)
		run.regions[run.nregions++] = prog->data_regions[i];
	int err;
	if (use_jit && prog->jit) {
		err = jit_exec_cb(prog->jit, &run, (uint32_t)pc, args, ret);
	} else {
		uintptr_t top = (uintptr_t)stack + sizeof(stack);
		err = interp_call(&run, prog, (uint32_t)pc, args, top, ret);
	}
	if (err && errmsg)
		snprintf(errmsg, errsz, "%s", run.errmsg);
	return err;
}

/* Open the global data of a tail-call target (whatever the mode of the
 * program calling: the target's own checks need them). */
static int vm_open_data(struct hive_run *run, const struct hive_prog *prog)
{
	for (uint32_t i = 0; i < prog->ndata_regions; i++) {
		const struct vm_region *d = &prog->data_regions[i];
		uint32_t k = 0;
		while (k < run->nregions && (run->regions[k].start != d->start || run->regions[k].end != d->end))
			k++;
		if (k < run->nregions)
			continue;
		if (run->nregions == VM_MAX_REGIONS)
			return vm_fault(run, -E2BIG, VM_PC_UNKNOWN, "tail call: too many memory regions in one run");
		run->regions[run->nregions++] = *d;
	}
	return 0;
}

uint64_t vm_tail_call(struct hive_run *run, uint64_t ctx, uint64_t map, uint64_t index)
{
	struct hive_map *m = (struct hive_map *)(uintptr_t)map;
	if (!m)
		return (uint64_t)-EINVAL;
	if (run->prog->mode != HIVE_EXEC_TRUSTED && !registry_is_live(m)) {
		vm_fault(run, -EFAULT, VM_PC_UNKNOWN, "tail call: %p is not a live map", (void *)m);
		return 0;
	}
	/* the kernel's order: index, then the count (spent even on an empty
	 * slot), then the slot */
	if (hive_map_get_type(m) != HIVE_MAP_PROG_ARRAY || (uint32_t)index >= hive_map_max_entries(m))
		return (uint64_t)-ENOENT;
	if (run->tail_calls >= VM_MAX_TAIL_CALLS)
		return (uint64_t)-E2BIG;
	run->tail_calls++;
	const struct hive_prog *target = map_prog_array_get(m, (uint32_t)index);
	if (!target)
		return (uint64_t)-ENOENT;
	if (vm_open_data(run, target))
		return 0;
	const struct hive_prog *caller = run->prog;
	uintptr_t fp = run->fp;
	uint64_t args[5] = {ctx, run->mem_size}, r0 = 0;
	run->prog = target;
	int err = vm_call_nested(run, target, true, 0, args, fp, &r0);
	run->prog = caller;
	run->fp = fp;
	if (err)
		return 0;
	run->tail_done = true;
	return r0;
}

uint64_t vm_helper_tail_call(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct hive_run *run)
{
	(void)r4, (void)r5;
	return vm_tail_call(run, r1, r2, r3);
}

/* }===== */
