/* The verifier log: the first error with its instruction, the registers
 * involved in the kernel's notation, and a hint; statistics on request. */
#include "verifier.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void log_append(struct verifier_env *env, const char *fmt, va_list ap)
{
	if (!env->log || !env->log_size)
		return;
	/* the length is kept: a level 2 log of a long verification has
	 * millions of lines */
	size_t used = env->log_used;
	if (used + 1 >= env->log_size)
		return;
	int n = vsnprintf(env->log + used, env->log_size - used, fmt, ap);
	if (n > 0)
		env->log_used = used + (size_t)n < env->log_size ? used + (size_t)n : env->log_size - 1;
}

void vlog(struct verifier_env *env, uint32_t level, const char *fmt, ...)
{
	if (env->log_level < level)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_append(env, fmt, ap);
	va_end(ap);
}

static void log_put(struct verifier_env *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_put(struct verifier_env *env, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_append(env, fmt, ap);
	va_end(ap);
}

void insn_str(const struct verifier_env *env, uint32_t pc, char *buf, size_t size)
{
	if (hive_disasm_insn(env->insns, env->cnt, pc, buf, size) > 0)
		return;
	const struct hive_insn *i = &env->insns[pc];
	snprintf(buf, size, "(%02x) dst=r%u src=r%u off=%d imm=%d", i->code, i->dst_reg, i->src_reg, i->off, i->imm);
}

const char *reg_type_name(uint16_t type, char *buf, size_t size)
{
	static const char *const names[] = {
#define REG_NAME(ID, NAME) NAME,
		VERIFIER_REG_TYPES(REG_NAME)
#undef REG_NAME
	};
	unsigned b = type & REG_TYPE_MASK;
	snprintf(buf, size, "%s%s", b < REG_TYPE__COUNT ? names[b] : "?",
		 (type & PTR_MAYBE_NULL) ? "_or_null" : "");
	return buf;
}

int reg_strn(char *buf, size_t size, const struct reg_state *r)
{
	char tn[32], var[320] = "";
	enum reg_type t = reg_base(r);
	if (t == NOT_INIT)
		return snprintf(buf, size, "uninit");
	if (t == SCALAR_VALUE) {
		range_strn(var, sizeof var, r->v);
		if (r->id && !range_is_const(r->v))
			return snprintf(buf, size, "%s(id=%u)", var, r->id);
		return snprintf(buf, size, "%s", var);
	}
	reg_type_name(r->type, tn, sizeof tn);
	bool has_var = !range_is_const(r->v) || r->v.t.value;
	if (t == PTR_TO_STACK && !has_var)
		return snprintf(buf, size, "fp%d", r->off);
	char f[400];
	size_t n = 0;
#define ADD(...) n += (size_t)snprintf(f + n, sizeof f - n, __VA_ARGS__)
	if (r->id)
		ADD("%sid=%u", n ? "," : "", r->id);
	if (r->ref_obj_id)
		ADD("%sref_obj_id=%u", n ? "," : "", r->ref_obj_id);
	if (r->off)
		ADD("%soff=%d", n ? "," : "", r->off);
	if (t == PTR_TO_PACKET || t == PTR_TO_PACKET_META)
		ADD("%sr=%d", n ? "," : "", r->range);
	if (t == PTR_TO_MEM)
		ADD("%ssz=%u", n ? "," : "", r->mem_size);
	if (has_var) {
		range_strn(var, sizeof var, r->v);
		/* drop the "scalar(" ... ")" wrapper */
		size_t l = strlen(var);
		if (l > 8 && !strncmp(var, "scalar(", 7)) {
			var[l - 1] = '\0';
			ADD("%s%s", n ? "," : "", var + 7);
		} else {
			ADD("%simm=%s", n ? "," : "", var);
		}
	}
#undef ADD
	if (n >= sizeof f)
		f[sizeof f - 1] = '\0';
	return snprintf(buf, size, "%s(%s)", tn, f);
}

/* Kernel wording -> what it means in plain words, and a stable code for
 * tools (`hive verify --json`); the first match wins.  The messages tests
 * match are the kernel's; these only follow them.  Codes never change
 * meaning once published: add new ones, keep old ones. */
static const struct {
	const char *kernel, *plain, *code;
} explain[] = {
	{"!read_ok", "the register is read before any value was written to it on this path", "uninit-reg"},
	{"frame pointer is read only", "r10 always points at the top of the stack frame", "fp-write"},
	{"unreachable insn", "no path from the entry reaches this instruction", "unreachable"},
	{"jump out of range", "the jump target is outside the function or the program", "jump-range"},
	{"last insn is not an exit", "execution would run past the end of the function", "no-exit"},
	{"invalid read from stack", "these stack bytes were never written on this path", "stack-uninit"},
	{"invalid indirect read from stack", "the helper would read stack bytes never written on this path",
	 "stack-uninit"},
	{"stack R", "the access falls outside the 512-byte frame", "stack-bounds"},
	{"misaligned stack access", "the offset is not a multiple of the access size", "stack-misaligned"},
	{"_or_null'", "the pointer may be NULL here: it was not compared with 0 on this path", "null-deref"},
	{"invalid mem access 'scalar'", "the register holds a number, not a pointer", "scalar-deref"},
	{"invalid mem access", NULL, "bad-deref"},
	{"invalid access to map value", "the access may reach outside the map value", "map-bounds"},
	{"invalid access to packet", "the access may reach past the bytes proven to exist by a data_end check",
	 "pkt-bounds"},
	{"invalid access to memory", "the access may reach outside the reserved memory", "mem-bounds"},
	{"min value is negative", "the offset may be negative on this path", "neg-offset"},
	{"unbounded memory access", "nothing bounds the offset from above", "unbounded-offset"},
	{"unbounded min value", "the value added to the pointer has no lower bound", "unbounded-offset"},
	{"out of bounds", "the offset could move the pointer too far", "ptr-bounds"},
	{"invalid bpf_context access", "the program type's context has no such field, or not for this size/direction",
	 "ctx-access"},
	{"dereference of modified ctx ptr", "context fields must be read through the context pointer itself",
	 "ctx-modified"},
	{"variable ctx access", NULL, "ctx-modified"},
	{"pointer arithmetic", "this operation is not allowed on a pointer", "ptr-arith"},
	{"pointer prohibited", "this operation is not allowed on a pointer", "ptr-arith"},
	{"subtract pointer", NULL, "ptr-arith"},
	{"leaks addr", NULL, "ptr-leak"},
	{"infinite loop detected", "the same state repeats, so the loop never ends", "infinite-loop"},
	{"BPF program is too large", "exploring every path took more than 1,000,000 instructions", "too-complex"},
	{"jumps is too complex", NULL, "too-complex"},
	{"Unreleased reference", "a ringbuf reservation is neither submitted nor discarded on this path", "ref-leak"},
	{"must be referenced", NULL, "ref-release"},
	{"expected=", "the helper argument has the wrong kind", "helper-arg"},
	{"zero-sized read", NULL, "helper-arg"},
	{"invalid func", "no helper has this number", "helper-unknown"},
	{"too deep", "calls nest more than 8 deep", "call-depth"},
	{"combined stack size", "the frames of the deepest call chain need more than 512 bytes", "stack-size"},
	{"div by zero", "division by the constant 0", "div-zero"},
	{"invalid shift", NULL, "bad-shift"},
	{"invalid size of register", "a spilled pointer must be stored and loaded as 8 bytes", "spill-size"},
	{"write into map forbidden", NULL, "map-readonly"},
	{"LD_[ABS|IND]", NULL, "ld-abs"},
	{"unsupported", NULL, "unsupported"},
	{"invalid insn idx", NULL, "jump-range"},
};

static int explain_of(const char *msg)
{
	for (size_t i = 0; i < sizeof explain / sizeof explain[0]; i++)
		if (strstr(msg, explain[i].kernel))
			return (int)i;
	return -1;
}

const char *verr_code(const char *msg)
{
	int i = explain_of(msg);
	return i < 0 ? "refused" : explain[i].code;
}

/* The path that led here: from the entry through the conditional jumps
 * it went (each "target (insn true|false)"), to the failing insn; a loop
 * going round prints a repeated step once with a count. */
static void log_path(struct verifier_env *env)
{
	const struct vstate *st = env->cur;
	uint32_t cap = sizeof st->trail / sizeof *st->trail, n = st->ntrail < cap ? st->ntrail : cap;
	if (!n)
		return;
	log_put(env, "  path: %s", st->ntrail > n ? "... -> " : "0 -> ");
	uint32_t last = UINT32_MAX;
	for (uint32_t i = 0; i < n;) {
		uint32_t e = st->trail[i], rep = 1;
		while (i + rep < n && st->trail[i + rep] == e)
			rep++;
		uint32_t j = e >> 1;
		uint32_t to = (e & 1) ? (uint32_t)((int64_t)j + env->insns[j].off + 1) : j + 1;
		log_put(env, "%u (%u %s)", to, j, (e & 1) ? "true" : "false");
		if (rep > 1)
			log_put(env, " x%u", rep);
		i += rep;
		last = to;
		if (i < n || to != env->pc)
			log_put(env, " -> ");
	}
	if (last != env->pc)
		log_put(env, "%u", env->pc);
	log_put(env, "\n");
}

int verr(struct verifier_env *env, uint16_t regs, const char *hint, const char *fmt, ...)
{
	if (env->failed)
		return -EACCES;
	env->failed = true;
	env->err = -EACCES;
	env->err_pc = env->pc;
	if (!env->log || !env->log_size)
		return -EACCES;
	char ib[128], msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	int e = explain_of(msg);
	const char *plain = e < 0 ? NULL : explain[e].plain;
	if (env->pc < env->cnt) {
		insn_str(env, env->pc, ib, sizeof ib);
		log_put(env, "insn %u: %s: %s%s%s%s\n", env->pc, ib, msg, plain ? " (" : "", plain ? plain : "",
			plain ? ")" : "");
	} else {
		log_put(env, "%s%s%s%s\n", msg, plain ? " (" : "", plain ? plain : "", plain ? ")" : "");
	}
	if (env->cur && env->cur->frames[env->cur->curframe]) {
		const struct reg_state *rs = cur_regs(env);
		for (int i = 0; i < VERIFIER_NREGS; i++) {
			if (!(regs & (1u << i)))
				continue;
			char rb[512];
			reg_strn(rb, sizeof rb, &rs[i]);
			log_put(env, "  R%d=%s\n", i, rb);
		}
	}
	if (env->cur && env->pc < env->cnt)
		log_path(env);
	if (hint)
		log_put(env, "  hint: %s\n", hint);
	log_put(env, "  code: %s\n", e < 0 ? "refused" : explain[e].code);
	return -EACCES;
}
