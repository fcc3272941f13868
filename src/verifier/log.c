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
	size_t used = strnlen(env->log, env->log_size);
	if (used + 1 >= env->log_size)
		return;
	vsnprintf(env->log + used, env->log_size - used, fmt, ap);
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
	if (env->pc < env->cnt) {
		insn_str(env, env->pc, ib, sizeof ib);
		log_put(env, "insn %u: %s: %s\n", env->pc, ib, msg);
	} else {
		log_put(env, "%s\n", msg);
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
