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

/* Kernel wording -> what it means, in plain words (first match wins).  The
 * messages tests match are the kernel's; these only follow them. */
static const struct {
	const char *kernel, *plain;
} explain[] = {
	{"!read_ok", "the register is read before any value was written to it on this path"},
	{"frame pointer is read only", "r10 always points at the top of the stack frame"},
	{"unreachable insn", "no path from the entry reaches this instruction"},
	{"jump out of range", "the jump target is outside the function or the program"},
	{"last insn is not an exit", "execution would run past the end of the function"},
	{"invalid read from stack", "these stack bytes were never written on this path"},
	{"invalid indirect read from stack", "the helper would read stack bytes never written on this path"},
	{"stack R", "the access falls outside the 512-byte frame"},
	{"misaligned stack access", "the offset is not a multiple of the access size"},
	{"_or_null'", "the pointer may be NULL here: it was not compared with 0 on this path"},
	{"invalid mem access 'scalar'", "the register holds a number, not a pointer"},
	{"invalid access to map value", "the access may reach outside the map value"},
	{"invalid access to packet", "the access may reach past the bytes proven to exist by a data_end check"},
	{"invalid access to memory", "the access may reach outside the reserved memory"},
	{"min value is negative", "the offset may be negative on this path"},
	{"unbounded memory access", "nothing bounds the offset from above"},
	{"unbounded min value", "the value added to the pointer has no lower bound"},
	{"out of bounds", "the offset could move the pointer too far"},
	{"invalid bpf_context access", "the program type's context has no such field, or not for this size/direction"},
	{"dereference of modified ctx ptr", "context fields must be read through the context pointer itself"},
	{"pointer arithmetic", "this operation is not allowed on a pointer"},
	{"pointer prohibited", "this operation is not allowed on a pointer"},
	{"infinite loop detected", "the same state repeats, so the loop never ends"},
	{"BPF program is too large", "exploring every path took more than 1,000,000 instructions"},
	{"Unreleased reference", "a ringbuf reservation is neither submitted nor discarded on this path"},
	{"expected=", "the helper argument has the wrong kind"},
	{"invalid func", "no helper has this number"},
	{"too deep", "calls nest more than 8 deep"},
	{"combined stack size", "the frames of the deepest call chain need more than 512 bytes"},
	{"div by zero", "division by the constant 0"},
	{"invalid size of register", "a spilled pointer must be stored and loaded as 8 bytes"},
};

static const char *plain_words(const char *msg)
{
	for (size_t i = 0; i < sizeof explain / sizeof explain[0]; i++)
		if (strstr(msg, explain[i].kernel))
			return explain[i].plain;
	return NULL;
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
	const char *plain = plain_words(msg);
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
	if (hint)
		log_put(env, "  hint: %s\n", hint);
	return -EACCES;
}
