/* The assembler: the conformance-suite syntax (`add32 %r0, 1`,
 * `ldxw %r0, [%r1+4]`, `lock fetch add [%r10-8], %r1`) and the llvm-objdump /
 * kernel syntax the disassembler prints (`w0 += 1`, `r0 = *(u32 *)(r1 + 4)`),
 * line by line and mixed freely.  Instruction forms are looked up in the isa
 * rows: by their conformance mnemonic, or by the spellings of disasm.h.
 *
 * A line is   [label:]... [statement] [# ; or // comment]
 * Jump targets are +N / -N (slots, relative to the next one) or a label; the
 * first `exit` also defines the label `exit` unless the program defines one.
 * A line of `hive disasm` output ("   3:  b7 00 .. 00  r0 = 1") or of a
 * kernel verifier log ("3: (b7) r0 = 1", "goto pc+1", "call bpf_NAME#ID")
 * assembles as its text, and `.insn 0x<u64>` gives one raw slot (as the
 * disassembler prints invalid slots).
 */
#include "asm.h"
#include "disasm.h"
#include "helpers/proto.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* {===== messages (tests match these) */
#define ASM_E_EMPTY "empty program"
#define ASM_E_MNEMONIC "Invalid mnemonic: %.*s"
#define ASM_E_REGISTER "Invalid register: %.*s"
#define ASM_E_OPERANDS "Invalid number of operands for mnemonic: %.*s"
#define ASM_E_LOCK_OPERANDS "Invalid number of operands for lock"
#define ASM_E_IMM32 "imm32 out of range: %.*s"
#define ASM_E_IMM64 "imm64 out of range: %.*s"
#define ASM_E_OFFSET "offset out of range: %.*s"
#define ASM_E_NUMBER "bad number: %.*s"
#define ASM_E_MEM "invalid memory operand, expected [%%rN+off]: %.*s"
#define ASM_E_LABEL "unknown label: %.*s"
#define ASM_E_DUP_LABEL "duplicate label: %.*s (first defined on line %u)"
#define ASM_E_FAR "jump to %.*s out of range"
#define ASM_E_EXPECTED "expected %s, got '%.*s'"
#define ASM_E_CHAR "unexpected character '%c'"
#define ASM_E_BYTE "unexpected byte 0x%02x"
#define ASM_E_WIDTH "mixed 32-bit (w) and 64-bit (r) registers"
#define ASM_E_TOO_BIG "program too large (more than %d slots)"
#define ASM_E_NOMEM "out of memory"
#define ASM_E_LINE_LONG "line too long (more than %d tokens)"
#define ASM_E_NUM_BIG "number too large: %.*s"
#define ASM_E_JUMP_OFF "jump offset out of range: %.*s"
#define ASM_E_ENCODE "cannot encode %s: %s"
#define ASM_E_MANY_OPERANDS "too many operands"
#define ASM_E_ATOMIC_OP "Invalid atomic operation: %.*s"
#define ASM_E_CALL_RUNTIME "unsupported call mode: runtime"
#define ASM_E_HELPER "unknown helper: %.*s"
#define ASM_E_STORE_SIGNED "stores take u8, u16, u32 or u64"
#define ASM_E_CMPXCHG_R0 "cmpxchg compares with and returns in r0"
#define ASM_E_FETCH_SRC "%s returns the old value in its source register r%u"
#define ASM_E_ATOMIC_SIZE "atomic operations are on u32 or u64"
#define ASM_E_ATOMIC_WIDTH "%s on %s uses %c registers"
#define ASM_E_ATOMIC_FN "unknown atomic operation %s"
#define ASM_E_PACKET "packet loads are r0 = *(u8|u16|u32 *)skb[...]"
#define ASM_E_MOVSX32 "no 32-bit sign extension from s32"
#define ASM_E_NEG_PLACE "neg works in place: r%u = -r%u"
#define ASM_E_SWAP_PLACE "byte swaps work in place: r%u = %.*s r%u"
#define ASM_E_LDDW_W "lddw loads a 64-bit register"
#define ASM_E_NULL "hive_asm: NULL argument"
/* }===== */

enum { ASM_MAX_TOKS = 48 };

enum asm_tok_kind { T_END, T_WORD, T_NUM, T_PUNCT };

struct asm_tok {
	const char *s;
	unsigned len;
	enum asm_tok_kind kind;
};

struct asm_line {
	struct asm_tok t[ASM_MAX_TOKS + 1]; /* t[n] is T_END */
	unsigned n, i;
};

struct asm_label {
	const char *name;
	unsigned len, line;
	size_t pc;
};

struct asm_fix {
	const char *name;
	unsigned len, line;
	size_t pc;
};

struct asm_state {
	struct hive_insn *insns;
	size_t cnt, cap;
	struct asm_label *labels;
	size_t nlabels, labcap;
	struct asm_fix *fixes;
	size_t nfixes, fixcap;
	unsigned line;
	bool have_exit;
	size_t first_exit;
	int annot; /* opcode of a verifier log's "(18)" annotation, or -1 */
	char *err;
	size_t errsize;
};

/* One instruction being built: its row and operand fields. */
struct asm_enc {
	int row;
	unsigned dst, src;
	int32_t off, imm, imm_hi;
	const struct asm_tok *target; /* label to resolve into off (imm for ja32/call) */
};

__attribute__((format(printf, 2, 3))) static int asm_err(struct asm_state *st, const char *fmt, ...)
{
	if (st->err && st->errsize) {
		int n = snprintf(st->err, st->errsize, "%u: ", st->line);
		if (n >= 0 && (size_t)n < st->errsize) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(st->err + n, st->errsize - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return -EINVAL;
}

/* {===== allocation, with failures injected by tests */

static atomic_ulong asm_fail_n, asm_alloc_n;
static atomic_bool asm_fail_sticky;

void asm_fail_at(unsigned long n, bool sticky)
{
	atomic_store(&asm_alloc_n, 0);
	atomic_store(&asm_fail_sticky, sticky);
	atomic_store(&asm_fail_n, n);
}

static bool asm_alloc_fails(void)
{
	unsigned long n = atomic_load_explicit(&asm_fail_n, memory_order_relaxed);
	if (!n)
		return false;
	unsigned long k = atomic_fetch_add(&asm_alloc_n, 1) + 1;
	return atomic_load(&asm_fail_sticky) ? k >= n : k == n;
}

static void *asm_realloc(void *p, size_t size)
{
	return asm_alloc_fails() ? NULL : realloc(p, size);
}

/* }===== */

static int asm_grow(struct asm_state *st, void **arr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	void *p = asm_realloc(*arr, ncap * elem);
	if (!p) {
		asm_err(st, ASM_E_NOMEM);
		return -ENOMEM;
	}
	*arr = p;
	*cap = ncap;
	return 0;
}

/* {===== lexer */

/* %r1 is a word, %= an operator */
static bool asm_is_word_start(const char *p, const char *end)
{
	if (*p == '%')
		return p + 1 < end && isalpha((unsigned char)p[1]);
	return isalpha((unsigned char)*p) || *p == '_' || *p == '.';
}

static bool asm_is_word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.';
}

static const char *const asm_puncts[] = {
	"<<=", ">>=", "==", "!=", "<=", ">=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
	"=", "<", ">", "+", "-", "*", "/", "%", "&", "|", "^", "(", ")", "[", "]", ",", ":", "!",
};

static unsigned asm_punct_len(const char *p, const char *end)
{
	for (size_t i = 0; i < sizeof(asm_puncts) / sizeof(asm_puncts[0]); i++) {
		size_t n = strlen(asm_puncts[i]);
		if ((size_t)(end - p) >= n && memcmp(p, asm_puncts[i], n) == 0)
			return (unsigned)n;
	}
	return 0;
}

/* Where the statement on [p, end) stops: at a comment. */
static const char *asm_code_end(const char *p, const char *end)
{
	for (const char *q = p; q < end; q++)
		if (*q == '#' || *q == ';' || (*q == '/' && q + 1 < end && q[1] == '/'))
			return q;
	return end;
}

static int asm_lex(struct asm_state *st, const char *p, const char *end, struct asm_line *l)
{
	l->n = l->i = 0;
	while (p < end) {
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		if (l->n == ASM_MAX_TOKS)
			return asm_err(st, ASM_E_LINE_LONG, ASM_MAX_TOKS);
		struct asm_tok *t = &l->t[l->n++];
		t->s = p;
		if (asm_is_word_start(p, end)) {
			t->kind = T_WORD;
			p++;
			while (p < end && asm_is_word_char(*p))
				p++;
			/* signed operators: s>>= s/= s%= s< s<= s> s>= */
			unsigned n;
			if (p - t->s == 1 && *t->s == 's' && p < end && strchr("<>/%", *p) &&
			    (n = asm_punct_len(p, end)) != 0) {
				t->kind = T_PUNCT;
				p += n;
			}
		} else if (isdigit((unsigned char)*p)) {
			t->kind = T_NUM;
			while (p < end && asm_is_word_char(*p))
				p++;
		} else {
			unsigned n = asm_punct_len(p, end);
			if (!n)
				return isprint((unsigned char)*p) ? asm_err(st, ASM_E_CHAR, *p)
								  : asm_err(st, ASM_E_BYTE, (unsigned char)*p);
			t->kind = T_PUNCT;
			p += n;
		}
		t->len = (unsigned)(p - t->s);
	}
	l->t[l->n] = (struct asm_tok){.s = end, .len = 0, .kind = T_END};
	return 0;
}

static const struct asm_tok *asm_peek(const struct asm_line *l, unsigned ahead)
{
	unsigned i = l->i + ahead;
	return &l->t[i < l->n ? i : l->n];
}

static const struct asm_tok *asm_next(struct asm_line *l)
{
	const struct asm_tok *t = asm_peek(l, 0);
	if (l->i < l->n)
		l->i++;
	return t;
}

static bool asm_tok_is(const struct asm_tok *t, const char *s)
{
	size_t n = strlen(s);
	return t->kind != T_END && t->len == n && memcmp(t->s, s, n) == 0;
}

static bool asm_accept(struct asm_line *l, const char *s)
{
	if (!asm_tok_is(asm_peek(l, 0), s))
		return false;
	asm_next(l);
	return true;
}

static int asm_expect(struct asm_state *st, struct asm_line *l, const char *s)
{
	if (asm_accept(l, s))
		return 0;
	const struct asm_tok *t = asm_peek(l, 0);
	char what[16];
	snprintf(what, sizeof(what), "'%s'", s);
	return asm_err(st, ASM_E_EXPECTED, what, t->kind == T_END ? 11 : (int)t->len,
		       t->kind == T_END ? "end of line" : t->s);
}

static int asm_unexpected(struct asm_state *st, const struct asm_tok *t, const char *what)
{
	return asm_err(st, ASM_E_EXPECTED, what, t->kind == T_END ? 11 : (int)t->len,
		       t->kind == T_END ? "end of line" : t->s);
}

static int asm_expect_end(struct asm_state *st, struct asm_line *l)
{
	const struct asm_tok *t = asm_peek(l, 0);
	return t->kind == T_END ? 0 : asm_unexpected(st, t, "end of line");
}

/* }===== */

/* {===== operands */

/* Is @t a register name: %rN, rN or wN?  0: yes (*reg, *wide = 'r'/'w'),
 * 1: not register-like, 2: looks like one but is not (r11, %r50, %x, w01). */
static int asm_reg_tok(const struct asm_tok *t, unsigned *reg, char *wide)
{
	if (t->kind != T_WORD)
		return 1;
	const char *s = t->s;
	unsigned len = t->len;
	bool pct = s[0] == '%';
	if (pct) {
		s++;
		len--;
	}
	bool digits = len >= 2 && (s[0] == 'r' || s[0] == 'w');
	for (unsigned i = 1; digits && i < len; i++)
		digits = isdigit((unsigned char)s[i]);
	if (!digits || (pct && s[0] != 'r'))
		return pct ? 2 : 1;
	unsigned v = 0;
	for (unsigned i = 1; i < len && v <= 10; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	if (v > 10 || (len > 2 && s[1] == '0'))
		return 2;
	*reg = v;
	*wide = s[0];
	return 0;
}

static int asm_reg(struct asm_state *st, struct asm_line *l, unsigned *reg, char *wide)
{
	const struct asm_tok *t = asm_next(l);
	char w;
	int rc = asm_reg_tok(t, reg, wide ? wide : &w);
	if (rc == 0)
		return 0;
	if (rc == 2 || t->kind == T_WORD)
		return asm_err(st, ASM_E_REGISTER, (int)t->len, t->s);
	return asm_unexpected(st, t, "a register");
}

/* Is the next token a register (or a bad one, to be reported as such)? */
static bool asm_is_reg_next(const struct asm_line *l)
{
	unsigned r;
	char w;
	return asm_reg_tok(asm_peek(l, 0), &r, &w) != 1;
}

/* A number token: decimal or 0x hex, no sign. */
static int asm_num(struct asm_state *st, const struct asm_tok *t, uint64_t *v, bool *hex)
{
	if (t->kind != T_NUM)
		return asm_unexpected(st, t, "a number");
	const char *s = t->s;
	unsigned len = t->len, i = 0;
	int base = 10;
	*hex = len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	if (*hex) {
		base = 16;
		i = 2;
	}
	uint64_t acc = 0;
	for (; i < len; i++) {
		int d = isdigit((unsigned char)s[i]) ? s[i] - '0'
			: (base == 16 && isxdigit((unsigned char)s[i])) ? tolower((unsigned char)s[i]) - 'a' + 10
									 : -1;
		if (d < 0)
			return asm_err(st, ASM_E_NUMBER, (int)len, s);
		if (acc > (UINT64_MAX - (unsigned)d) / (unsigned)base)
			return asm_err(st, ASM_E_NUM_BIG, (int)len, s);
		acc = acc * (unsigned)base + (unsigned)d;
	}
	*v = acc;
	return 0;
}

enum asm_width { W16 = 16, W32 = 32, W64 = 64 };

/* A signed number of @bits: [+|-]N.  Decimal must fit the signed range; hex
 * may also be written as the unsigned bit pattern (0xffffffff for imm32). */
static int asm_signed(struct asm_state *st, struct asm_line *l, enum asm_width bits, const char *msg, int64_t *out)
{
	const struct asm_tok *first = asm_peek(l, 0);
	bool neg = false;
	if (asm_accept(l, "-"))
		neg = true;
	else
		asm_accept(l, "+");
	const struct asm_tok *t = asm_next(l);
	uint64_t mag;
	bool hex;
	int rc = asm_num(st, t, &mag, &hex);
	if (rc)
		return rc;
	uint64_t smax = (UINT64_C(1) << (bits - 1)) - 1;
	uint64_t umax = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
	bool ok = neg ? mag <= smax + 1 : mag <= ((hex || bits == 64) ? umax : smax);
	if (!ok)
		return asm_err(st, msg, (int)(t->s + t->len - first->s), first->s);
	uint64_t v = neg ? (uint64_t)0 - mag : mag;
	/* wrap into the signed range of @bits (two's complement) */
	if (bits < 64) {
		v &= umax;
		if (v > smax)
			v -= umax + 1;
	}
	*out = (int64_t)v;
	return 0;
}

static int asm_imm32(struct asm_state *st, struct asm_line *l, int32_t *imm)
{
	int64_t v;
	int rc = asm_signed(st, l, W32, ASM_E_IMM32, &v);
	*imm = (int32_t)v;
	return rc;
}

/* "+off" / "-off" after a base register (nothing: 0). */
static int asm_off_part(struct asm_state *st, struct asm_line *l, int32_t *off)
{
	*off = 0;
	const struct asm_tok *t = asm_peek(l, 0);
	if (!asm_tok_is(t, "+") && !asm_tok_is(t, "-"))
		return 0;
	int64_t v;
	int rc = asm_signed(st, l, W16, ASM_E_OFFSET, &v);
	*off = (int32_t)v;
	return rc;
}

/* open reg [+-off] close: "[%r1+4]" or "(r1 + 4)" */
static int asm_addr(struct asm_state *st, struct asm_line *l, const char *open, const char *close, unsigned *reg,
		    int32_t *off)
{
	int rc;
	if ((rc = asm_expect(st, l, open)) || (rc = asm_reg(st, l, reg, NULL)) || (rc = asm_off_part(st, l, off)))
		return rc;
	return asm_expect(st, l, close);
}

/* A jump target: +N, -N or a label (resolved at the end). */
static int asm_target(struct asm_state *st, struct asm_line *l, enum asm_width bits, struct asm_enc *e, int32_t *field)
{
	const struct asm_tok *t = asm_peek(l, 0);
	if (asm_tok_is(t, "pc") && (asm_tok_is(asm_peek(l, 1), "+") || asm_tok_is(asm_peek(l, 1), "-")))
		t = (asm_next(l), asm_peek(l, 0)); /* the kernel's "goto pc+3" */
	if (t->kind == T_WORD && !asm_is_reg_next(l)) {
		e->target = asm_next(l);
		*field = 0;
		return 0;
	}
	if (!asm_tok_is(t, "+") && !asm_tok_is(t, "-"))
		return asm_unexpected(st, t, "a jump target (+N, -N or a label)");
	int64_t v;
	int rc = asm_signed(st, l, bits, bits == W16 ? ASM_E_JUMP_OFF : ASM_E_IMM32, &v);
	*field = (int32_t)v;
	/* llvm-objdump's annotation of the target: "goto +3 <LBB0_2>" */
	if (!rc && asm_tok_is(asm_peek(l, 0), "<") && asm_peek(l, 1)->kind == T_WORD &&
	    asm_tok_is(asm_peek(l, 2), ">")) {
		l->i += 3;
	}
	return rc;
}

/* "(u32 *)": an access size and signedness. */
static int asm_cast(struct asm_state *st, struct asm_line *l, unsigned *size, bool *is_signed)
{
	int rc = asm_expect(st, l, "(");
	if (rc)
		return rc;
	const struct asm_tok *t = asm_next(l);
	*size = 0;
	for (unsigned b = 1; b <= 8 && !*size; b *= 2)
		for (int s = 0; s < 2; s++)
			if (asm_tok_is(t, disasm_size_name(b, s)) && !(s && b == 8)) {
				*size = b;
				*is_signed = s;
			}
	if (!*size)
		return asm_unexpected(st, t, "u8, u16, u32, u64, s8, s16 or s32");
	if ((rc = asm_expect(st, l, "*")))
		return rc;
	return asm_expect(st, l, ")");
}

/* }===== */

/* {===== row lookup */

/* What a statement asks for.  Zero fields match anything; the yes/no
 * fields are TRI(bool), the class is CLS(class). */
struct asm_want {
	int fmt;
	uint8_t alu32;     /* ISA_F_ALU32 set? */
	uint8_t cls;       /* instruction class + 1 */
	uint8_t src_x;     /* ISA_X bit set? */
	uint8_t is_signed; /* ISA_F_SIGNED set? */
	uint8_t fetch;     /* ISA_F_FETCH set? */
	unsigned size;     /* access bytes */
	const char *op;    /* alu/jmp operator, atomic name, lock operator */
	int32_t disc;
	bool has_disc;
};
#define TRI(b) ((b) ? 2 : 1)
#define CLS(c) ((c) + 1)
#define ASM_WANT(...) ((struct asm_want){__VA_ARGS__})

static bool asm_tri(uint8_t want, bool have)
{
	return want == 0 || (want == 2) == have;
}

static bool asm_row_matches(const struct isa_row *r, const struct asm_want *w)
{
	if (r->fmt != w->fmt)
		return false;
	if (!asm_tri(w->alu32, r->flags & ISA_F_ALU32) || !asm_tri(w->src_x, ISA_SRCBIT(r->code)) ||
	    !asm_tri(w->is_signed, r->flags & ISA_F_SIGNED) || !asm_tri(w->fetch, r->flags & ISA_F_FETCH))
		return false;
	if (w->cls && ISA_CLASS(r->code) != w->cls - 1)
		return false;
	if (w->size && isa_access_size(r->code) != w->size)
		return false;
	if (w->has_disc && r->disc_val != w->disc)
		return false;
	if (w->op) {
		/* atomics: by name ("add") or by lock operator ("+=") */
		const char *s = r->fmt == FMT_ALU_K || r->fmt == FMT_ALU_X       ? disasm_alu_op(r)
				: r->fmt == FMT_JCOND_K || r->fmt == FMT_JCOND_X ? disasm_jmp_op(r)
				: r->fmt == FMT_ATOMIC                           ? disasm_atomic_name(r)
										 : NULL;
		const char *alt = r->fmt == FMT_ATOMIC ? disasm_atomic_lock_op(r) : NULL;
		if ((!s || strcmp(s, w->op) != 0) && (!alt || strcmp(alt, w->op) != 0))
			return false;
	}
	return true;
}

static int asm_find(const struct asm_want *w)
{
	for (int r = 0; r < OP__COUNT; r++)
		if (asm_row_matches(&isa_rows[r], w))
			return r;
	return -1;
}

/* Conformance-suite names of the rows: the table's mnemonic, lowercase, with
 * "32" for JMP32 conditional jumps. */
static char asm_conf_names[OP__COUNT][16];
static pthread_once_t asm_names_once = PTHREAD_ONCE_INIT;

static void asm_build_names(void)
{
	for (int r = 0; r < OP__COUNT; r++) {
		const struct isa_row *row = &isa_rows[r];
		char *n = asm_conf_names[r];
		size_t i = 0;
		for (const char *m = row->mnemonic; *m && i + 3 < sizeof(asm_conf_names[r]); m++)
			n[i++] = (char)tolower((unsigned char)*m);
		if ((row->fmt == FMT_JCOND_K || row->fmt == FMT_JCOND_X) && ISA_CLASS(row->code) == ISA_JMP32) {
			n[i++] = '3';
			n[i++] = '2';
		}
		n[i] = '\0';
	}
}

/* Rows called @name (len) in the conformance syntax; the X form when @x. */
static int asm_conf_find(const char *name, size_t len, int x)
{
	pthread_once(&asm_names_once, asm_build_names);
	int any = -1;
	for (int r = 0; r < OP__COUNT; r++) {
		const struct isa_row *row = &isa_rows[r];
		if (row->fmt == FMT_ATOMIC || row->fmt == FMT_CALL || row->fmt == FMT_CALL_LOCAL || row->fmt == FMT_CALLX)
			continue;
		if (strlen(asm_conf_names[r]) != len || memcmp(asm_conf_names[r], name, len) != 0)
			continue;
		bool has_src = row->fmt == FMT_ALU_K || row->fmt == FMT_ALU_X || row->fmt == FMT_JCOND_K ||
			       row->fmt == FMT_JCOND_X;
		if (!has_src || x < 0 || !!ISA_SRCBIT(row->code) == x)
			return r;
		any = r;
	}
	return any;
}

/* }===== */

/* {===== emitting */

static int asm_emit(struct asm_state *st, struct asm_enc *e)
{
	const struct isa_row *row = &isa_rows[e->row];
	size_t slots = row->fmt == FMT_LDDW ? 2 : 1;
	if (st->cnt + slots > HIVE_MAX_INSNS) {
		asm_err(st, ASM_E_TOO_BIG, HIVE_MAX_INSNS);
		return -E2BIG;
	}
	int rc = asm_grow(st, (void **)&st->insns, &st->cap, st->cnt + slots, sizeof(*st->insns));
	if (rc)
		return rc;
	switch (isa_disc_of(row->code)) {
	case DISC_OFF: e->off = row->disc_val; break;
	case DISC_IMM: e->imm = row->disc_val; break;
	case DISC_SRC: e->src = (unsigned)row->disc_val; break;
	default: break;
	}
	struct hive_insn *in = &st->insns[st->cnt];
	*in = (struct hive_insn){.code = row->code, .dst_reg = e->dst & 0xf, .src_reg = e->src & 0xf,
				 .off = (int16_t)e->off, .imm = e->imm};
	if (e->target) {
		rc = asm_grow(st, (void **)&st->fixes, &st->fixcap, st->nfixes + 1, sizeof(*st->fixes));
		if (rc)
			return rc;
		st->fixes[st->nfixes++] = (struct asm_fix){.name = e->target->s, .len = e->target->len,
							   .line = st->line, .pc = st->cnt};
	}
	if (slots == 2)
		in[1] = (struct hive_insn){.imm = e->imm_hi};
	/* The encoding must decode back to the row it was built from. */
	const char *why = NULL;
	if (isa_decode(in, &why) != e->row)
		return asm_err(st, ASM_E_ENCODE, row->mnemonic, why ? why : "decodes as another form");
	if (row->fmt == FMT_EXIT && !st->have_exit) {
		st->have_exit = true;
		st->first_exit = st->cnt;
	}
	st->cnt += slots;
	return 0;
}

static int asm_emit_raw(struct asm_state *st, uint64_t w)
{
	int rc = asm_grow(st, (void **)&st->insns, &st->cap, st->cnt + 1, sizeof(*st->insns));
	if (rc)
		return rc;
	if (st->cnt + 1 > HIVE_MAX_INSNS) {
		asm_err(st, ASM_E_TOO_BIG, HIVE_MAX_INSNS);
		return -E2BIG;
	}
	st->insns[st->cnt++] = (struct hive_insn){.code = (uint8_t)w, .dst_reg = (w >> 8) & 0xf,
						  .src_reg = (w >> 12) & 0xf, .off = (int16_t)(uint16_t)(w >> 16),
						  .imm = (int32_t)(uint32_t)(w >> 32)};
	return 0;
}

/* }===== */

/* {===== the conformance-suite syntax */

/* Operands: space- or comma-separated; "[...]" and a signed number are one each. */
struct asm_opnds {
	unsigned first[8], n;
};

static int asm_split(struct asm_state *st, struct asm_line *l, struct asm_opnds *o)
{
	o->n = 0;
	for (unsigned i = l->i; i < l->n;) {
		const struct asm_tok *t = &l->t[i];
		if (asm_tok_is(t, ",")) {
			i++;
			continue;
		}
		if (o->n == sizeof(o->first) / sizeof(o->first[0]))
			return asm_err(st, ASM_E_MANY_OPERANDS);
		o->first[o->n++] = i;
		if (asm_tok_is(t, "[")) {
			while (i < l->n && !asm_tok_is(&l->t[i], "]"))
				i++;
			i++;
		} else if (asm_tok_is(t, "+") || asm_tok_is(t, "-")) {
			i += 2;
		} else {
			i++;
		}
	}
	return 0;
}

/* Position the cursor at operand @k. */
static void asm_goto_opnd(struct asm_line *l, const struct asm_opnds *o, unsigned k)
{
	l->i = o->first[k];
}

/* Check that operand @k ends where the next one begins. */
static int asm_opnd_done(struct asm_state *st, struct asm_line *l, const struct asm_opnds *o, unsigned k)
{
	unsigned stop = k + 1 < o->n ? o->first[k + 1] : l->n;
	while (l->i < stop && asm_tok_is(&l->t[l->i], ","))
		l->i++;
	if (l->i < stop)
		return asm_unexpected(st, &l->t[l->i], "',' or end of line");
	return 0;
}

static bool asm_opnd_is_reg(struct asm_line *l, const struct asm_opnds *o, unsigned k)
{
	unsigned save = l->i;
	l->i = o->first[k];
	bool r = asm_is_reg_next(l);
	l->i = save;
	return r;
}

static int asm_conf_mem(struct asm_state *st, struct asm_line *l, unsigned *reg, int32_t *off)
{
	const struct asm_tok *t = asm_peek(l, 0);
	if (!asm_tok_is(t, "[")) {
		unsigned stop = l->i;
		while (stop < l->n && !asm_tok_is(&l->t[stop], ","))
			stop++;
		const struct asm_tok *last = &l->t[stop > l->i ? stop - 1 : l->i];
		return asm_err(st, ASM_E_MEM, (int)(last->s + last->len - t->s), t->s);
	}
	return asm_addr(st, l, "[", "]", reg, off);
}

static int asm_conf_lock(struct asm_state *st, struct asm_line *l)
{
	bool fetch = asm_accept(l, "fetch");
	const struct asm_tok *op = asm_next(l);
	struct asm_opnds o;
	int rc = asm_split(st, l, &o);
	if (rc)
		return rc;
	if (op->kind != T_WORD || o.n != 2)
		return asm_err(st, ASM_E_LOCK_OPERANDS);
	unsigned len = op->len, size = 8;
	if (len > 2 && memcmp(op->s + len - 2, "32", 2) == 0) {
		len -= 2;
		size = 4;
	} else if (len > 2 && memcmp(op->s + len - 2, "64", 2) == 0) {
		len -= 2;
	}
	char name[16];
	if (len >= sizeof(name))
		return asm_err(st, ASM_E_MNEMONIC, (int)op->len, op->s);
	memcpy(name, op->s, len);
	name[len] = '\0';
	struct asm_want w = ASM_WANT(.fmt = FMT_ATOMIC, .size = size, .op = name, .fetch = TRI(fetch));
	int row = asm_find(&w);
	if (row < 0 && !fetch) { /* xchg and cmpxchg always fetch */
		w.fetch = TRI(1);
		row = asm_find(&w);
	}
	if (row < 0)
		return asm_err(st, ASM_E_ATOMIC_OP, (int)op->len, op->s);
	struct asm_enc e = {.row = row};
	asm_goto_opnd(l, &o, 0);
	if ((rc = asm_conf_mem(st, l, &e.dst, &e.off)) || (rc = asm_opnd_done(st, l, &o, 0)))
		return rc;
	asm_goto_opnd(l, &o, 1);
	if ((rc = asm_reg(st, l, &e.src, NULL)) || (rc = asm_opnd_done(st, l, &o, 1)))
		return rc;
	return asm_emit(st, &e);
}

/* The id of helper "bpf_NAME". */
static int asm_helper_id(struct asm_state *st, const struct asm_tok *t, int32_t *id)
{
	for (uint32_t i = 0; i <= helper_proto_max_id(); i++) {
		const struct helper_proto *p = helper_proto(i);
		if (p && strlen(p->name) == t->len - 4 && !memcmp(p->name, t->s + 4, t->len - 4)) {
			*id = (int32_t)p->id;
			return 0;
		}
	}
	return asm_err(st, ASM_E_HELPER, (int)t->len, t->s);
}

/* call N | call helper N | call local T | call %rN | call helper %rN | call pc+N
 * | call bpf_NAME | call LABEL */
static int asm_call(struct asm_state *st, struct asm_line *l)
{
	struct asm_enc e = {0};
	int rc;
	if (asm_accept(l, "local") || asm_accept(l, "pc")) {
		e.row = OP_CALL_LOCAL;
		rc = asm_target(st, l, W32, &e, &e.imm);
	} else {
		asm_accept(l, "helper");
		const struct asm_tok *t = asm_peek(l, 0);
		if (asm_is_reg_next(l)) {
			e.row = OP_CALLX;
			rc = asm_reg(st, l, &e.dst, NULL);
		} else if (t->kind == T_WORD) {
			if (asm_tok_is(t, "runtime"))
				return asm_err(st, ASM_E_CALL_RUNTIME);
			if (t->len > 4 && !memcmp(t->s, "bpf_", 4)) {
				/* call bpf_map_lookup_elem: a helper by its Linux name (the
				 * kernel log's "call bpf_map_lookup_elem#1" too: # starts a comment) */
				e.row = OP_CALL;
				rc = asm_helper_id(st, asm_next(l), &e.imm);
			} else {
				e.row = OP_CALL_LOCAL; /* call LABEL: a local function */
				rc = asm_target(st, l, W32, &e, &e.imm);
			}
		} else {
			e.row = OP_CALL;
			rc = asm_imm32(st, l, &e.imm);
		}
	}
	if (rc || (rc = asm_expect_end(st, l)))
		return rc;
	return asm_emit(st, &e);
}

static int asm_conf(struct asm_state *st, struct asm_line *l)
{
	const struct asm_tok *mn = asm_next(l);
	if (mn->kind != T_WORD)
		return asm_unexpected(st, mn, "an instruction");
	if (asm_tok_is(mn, "lock"))
		return asm_conf_lock(st, l);

	struct asm_opnds o;
	int rc = asm_split(st, l, &o);
	if (rc)
		return rc;
	int x = -1;
	if (o.n >= 2)
		x = asm_opnd_is_reg(l, &o, 1);

	char name[20];
	unsigned len = mn->len < sizeof(name) - 3 ? mn->len : (unsigned)sizeof(name) - 3;
	for (unsigned i = 0; i < len; i++)
		name[i] = (char)tolower((unsigned char)mn->s[i]);
	name[len] = '\0';
	int row = mn->len == len ? asm_conf_find(name, len, x) : -1;
	if (row < 0 && len > 4 && memcmp(name, "swap", 4) == 0) { /* swapN: bswapN */
		memmove(name + 1, name, len + 1);
		name[0] = 'b';
		row = asm_conf_find(name, ++len, x);
	}
	if (row < 0 && mn->len == len) { /* add: add64 */
		memcpy(name + len, "64", 3);
		row = asm_conf_find(name, len + 2, x);
		if (row >= 0 && ISA_CLASS(isa_rows[row].code) != ISA_ALU64)
			row = -1;
	}
	if (row < 0)
		return asm_err(st, ASM_E_MNEMONIC, (int)mn->len, mn->s);

	const struct isa_row *r = &isa_rows[row];
	static const uint8_t nops[] = {
		[FMT_ALU_K] = 2, [FMT_ALU_X] = 2, [FMT_NEG] = 1, [FMT_END] = 1, [FMT_MOVSX] = 2,
		[FMT_JA] = 1, [FMT_JA32] = 1, [FMT_JCOND_K] = 3, [FMT_JCOND_X] = 3, [FMT_CALLX] = 1,
		[FMT_EXIT] = 0, [FMT_LDDW] = 2, [FMT_LDABS] = 1, [FMT_LDIND] = 2, [FMT_LDX] = 2,
		[FMT_ST] = 2, [FMT_STX] = 2,
	};
	if (o.n != nops[r->fmt])
		return asm_err(st, ASM_E_OPERANDS, (int)mn->len, mn->s);

	struct asm_enc e = {.row = row};
	int64_t v64;
	for (unsigned k = 0; k < o.n; k++) {
		asm_goto_opnd(l, &o, k);
		switch (r->fmt) {
		case FMT_ALU_K:
		case FMT_ALU_X:
		case FMT_MOVSX:
			rc = k == 0 ? asm_reg(st, l, &e.dst, NULL)
			     : r->fmt == FMT_ALU_K ? asm_imm32(st, l, &e.imm) : asm_reg(st, l, &e.src, NULL);
			break;
		case FMT_NEG:
		case FMT_END:
		case FMT_CALLX:
			rc = asm_reg(st, l, &e.dst, NULL);
			break;
		case FMT_JA:
			rc = asm_target(st, l, W16, &e, &e.off);
			break;
		case FMT_JA32:
			rc = asm_target(st, l, W32, &e, &e.imm);
			break;
		case FMT_JCOND_K:
		case FMT_JCOND_X:
			rc = k == 0 ? asm_reg(st, l, &e.dst, NULL)
			     : k == 2 ? asm_target(st, l, W16, &e, &e.off)
			     : r->fmt == FMT_JCOND_K ? asm_imm32(st, l, &e.imm) : asm_reg(st, l, &e.src, NULL);
			break;
		case FMT_LDDW:
			if (k == 0) {
				rc = asm_reg(st, l, &e.dst, NULL);
			} else if (!(rc = asm_signed(st, l, W64, ASM_E_IMM64, &v64))) {
				e.imm = (int32_t)(uint32_t)(uint64_t)v64;
				e.imm_hi = (int32_t)(uint32_t)((uint64_t)v64 >> 32);
			}
			break;
		case FMT_LDABS:
			rc = asm_imm32(st, l, &e.imm);
			break;
		case FMT_LDIND:
			rc = k == 0 ? asm_reg(st, l, &e.src, NULL) : asm_imm32(st, l, &e.imm);
			break;
		case FMT_LDX:
			rc = k == 0 ? asm_reg(st, l, &e.dst, NULL) : asm_conf_mem(st, l, &e.src, &e.off);
			break;
		case FMT_ST:
			rc = k == 0 ? asm_conf_mem(st, l, &e.dst, &e.off) : asm_imm32(st, l, &e.imm);
			break;
		case FMT_STX:
			rc = k == 0 ? asm_conf_mem(st, l, &e.dst, &e.off) : asm_reg(st, l, &e.src, NULL);
			break;
		default:
			rc = asm_err(st, ASM_E_MNEMONIC, (int)mn->len, mn->s);
			break;
		}
		if (rc || (rc = asm_opnd_done(st, l, &o, k)))
			return rc;
	}
	return asm_emit(st, &e);
}

/* }===== */

/* {===== the llvm-objdump / kernel syntax */

static int asm_same_width(struct asm_state *st, char a, char b)
{
	return a == b ? 0 : asm_err(st, ASM_E_WIDTH);
}

/* lock *(u64 *)(r1 + 0) += r2 */
static int asm_llvm_lock(struct asm_state *st, struct asm_line *l)
{
	struct asm_enc e = {0};
	unsigned size;
	bool sgn;
	int rc;
	if ((rc = asm_expect(st, l, "*")) || (rc = asm_cast(st, l, &size, &sgn)) ||
	    (rc = asm_addr(st, l, "(", ")", &e.dst, &e.off)))
		return rc;
	const struct asm_tok *op = asm_next(l);
	char ops[8];
	snprintf(ops, sizeof(ops), "%.*s", op->kind == T_PUNCT ? (int)op->len : 0, op->s);
	e.row = asm_find(&ASM_WANT(.fmt = FMT_ATOMIC, .size = size, .fetch = TRI(0), .op = ops));
	if (sgn || e.row < 0)
		return asm_unexpected(st, op, "an atomic operator (+= |= &= ^=) on u32 or u64");
	if ((rc = asm_reg(st, l, &e.src, NULL)) || (rc = asm_expect_end(st, l)))
		return rc;
	return asm_emit(st, &e);
}

/* *(u32 *)(r10 - 8) = r1 | imm */
static int asm_llvm_store(struct asm_state *st, struct asm_line *l)
{
	struct asm_enc e = {0};
	unsigned size;
	bool sgn;
	int rc;
	if ((rc = asm_cast(st, l, &size, &sgn)) || (rc = asm_addr(st, l, "(", ")", &e.dst, &e.off)) ||
	    (rc = asm_expect(st, l, "=")))
		return rc;
	if (sgn)
		return asm_err(st, ASM_E_STORE_SIGNED);
	bool x = asm_is_reg_next(l);
	e.row = asm_find(&ASM_WANT(.fmt = x ? FMT_STX : FMT_ST, .size = size));
	rc = x ? asm_reg(st, l, &e.src, NULL) : asm_imm32(st, l, &e.imm);
	if (rc || (rc = asm_expect_end(st, l)))
		return rc;
	return asm_emit(st, &e);
}

/* if r1 OP r2|imm goto T */
static int asm_llvm_if(struct asm_state *st, struct asm_line *l)
{
	struct asm_enc e = {0};
	char w1, w2;
	int rc = asm_reg(st, l, &e.dst, &w1);
	if (rc)
		return rc;
	const struct asm_tok *op = asm_next(l);
	char ops[8];
	snprintf(ops, sizeof(ops), "%.*s", op->kind == T_PUNCT ? (int)op->len : 0, op->s);
	bool x = asm_is_reg_next(l);
	e.row = asm_find(&ASM_WANT(.fmt = x ? FMT_JCOND_X : FMT_JCOND_K, .cls = CLS(w1 == 'w' ? ISA_JMP32 : ISA_JMP),
				   .op = ops));
	if (e.row < 0)
		return asm_unexpected(st, op, "a comparison (== != > >= < <= s> s>= s< s<= &)");
	if (x) {
		if ((rc = asm_reg(st, l, &e.src, &w2)) || (rc = asm_same_width(st, w1, w2)))
			return rc;
	} else if ((rc = asm_imm32(st, l, &e.imm))) {
		return rc;
	}
	if ((rc = asm_expect(st, l, "goto")) || (rc = asm_target(st, l, W16, &e, &e.off)) ||
	    (rc = asm_expect_end(st, l)))
		return rc;
	return asm_emit(st, &e);
}

/* The atomic functions on the right of "rD = ":
 *   atomic_fetch_add((u64 *)(r1 + 0), r2)   atomic64_fetch_add(...)   (kernel, llvm)
 *   xchg_64(r1 + 0, r2)  xchg32_32(...)  cmpxchg_64(r1 + 0, r0, r2)  cmpxchg32_32(...)  (llvm)
 *   atomic_xchg((u64 *)(r1 + 0), r2)  atomic64_cmpxchg((u64 *)(r1 + 0), r0, r2)  (kernel) */
static int asm_llvm_atomic_fn(struct asm_state *st, struct asm_line *l, const struct asm_tok *fn, unsigned dst,
			      char wd)
{
	char name[32];
	snprintf(name, sizeof(name), "%.*s", (int)fn->len, fn->s);
	const char *op = name;
	unsigned size = 0;
	bool cast = true;
	if (!strncmp(op, "atomic64_", 9)) {
		op += 9;
	} else if (!strncmp(op, "atomic_", 7)) {
		op += 7;
	} else {
		cast = false;
		char *u = strchr(name, '_');
		if (!u)
			return 1;
		size = !strcmp(u, "_64") ? 8 : !strcmp(u, "_32") ? 4 : 0;
		if (size == 4 && u - name > 2 && !strncmp(u - 2, "32", 2))
			u -= 2; /* xchg32_32 */
		else if (size == 4)
			size = 0;
		*u = '\0';
		if (!size || (strcmp(name, "xchg") && strcmp(name, "cmpxchg")))
			return 1;
	}
	bool fetch = !strncmp(op, "fetch_", 6);
	if (fetch)
		op += 6;
	bool cmpxchg = !strcmp(op, "cmpxchg");
	if (!fetch && !cmpxchg && strcmp(op, "xchg"))
		return 1;

	struct asm_enc e = {0};
	bool sgn = false;
	char ws;
	unsigned cmp_reg;
	int rc = asm_expect(st, l, "(");
	if (!rc && cast)
		rc = asm_cast(st, l, &size, &sgn);
	if (rc)
		return rc;
	if (cast)
		rc = asm_addr(st, l, "(", ")", &e.dst, &e.off);
	else if (!(rc = asm_reg(st, l, &e.dst, NULL)))
		rc = asm_off_part(st, l, &e.off);
	if (rc || (rc = asm_expect(st, l, ",")))
		return rc;
	if (cmpxchg) {
		if ((rc = asm_reg(st, l, &cmp_reg, &ws)) || (rc = asm_expect(st, l, ",")))
			return rc;
		if (cmp_reg != 0 || dst != 0)
			return asm_err(st, ASM_E_CMPXCHG_R0);
	}
	if ((rc = asm_reg(st, l, &e.src, &ws)) || (rc = asm_expect(st, l, ")")) || (rc = asm_expect_end(st, l)))
		return rc;
	if (!cmpxchg && e.src != dst)
		return asm_err(st, ASM_E_FETCH_SRC, name, e.src);
	if (sgn || (size != 4 && size != 8))
		return asm_err(st, ASM_E_ATOMIC_SIZE);
	if ((rc = asm_same_width(st, wd, ws)))
		return rc;
	if (wd != (size == 4 ? 'w' : 'r'))
		return asm_err(st, ASM_E_ATOMIC_WIDTH, name, size == 4 ? "u32" : "u64", size == 4 ? 'w' : 'r');
	e.row = asm_find(&ASM_WANT(.fmt = FMT_ATOMIC, .size = size, .fetch = TRI(1), .op = op));
	if (e.row < 0)
		return asm_err(st, ASM_E_ATOMIC_FN, name);
	return asm_emit(st, &e);
}

/* rD = IMM ll | map_fd(N[, M]) ll */
static int asm_llvm_lddw(struct asm_state *st, struct asm_line *l, struct asm_enc *e)
{
	int rc;
	e->row = OP_LDDW;
	const struct asm_tok *t = asm_peek(l, 0);
	if (t->kind == T_WORD) {
		for (unsigned s = 1; s < 16 && disasm_pseudo_name(s); s++)
			if (asm_tok_is(t, disasm_pseudo_name(s)))
				e->src = s;
		if (!e->src)
			return asm_unexpected(st, t, "a 64-bit value");
		asm_next(l);
		if ((rc = asm_expect(st, l, "(")) || (rc = asm_imm32(st, l, &e->imm)))
			return rc;
		if (asm_accept(l, ",") && (rc = asm_imm32(st, l, &e->imm_hi)))
			return rc;
		if ((rc = asm_expect(st, l, ")")))
			return rc;
	} else {
		int64_t v;
		if ((rc = asm_signed(st, l, W64, ASM_E_IMM64, &v)))
			return rc;
		e->imm = (int32_t)(uint32_t)(uint64_t)v;
		e->imm_hi = (int32_t)(uint32_t)((uint64_t)v >> 32);
	}
	if (!(st->annot == (ISA_LD | ISA_IMM | ISA_DW) && asm_peek(l, 0)->kind == T_END) && (rc = asm_expect(st, l, "ll")))
		return rc;
	if ((rc = asm_expect_end(st, l)))
		return rc;
	return asm_emit(st, e);
}

/* rD = *(uN *)(rS + off) | *(uN *)skb[imm] | *(uN *)skb[rS + imm] */
static int asm_llvm_load(struct asm_state *st, struct asm_line *l, struct asm_enc *e)
{
	unsigned size;
	bool sgn;
	int rc = asm_cast(st, l, &size, &sgn);
	if (rc)
		return rc;
	if (asm_accept(l, "skb")) {
		if (e->dst != 0 || sgn || size == 8)
			return asm_err(st, ASM_E_PACKET);
		if ((rc = asm_expect(st, l, "[")))
			return rc;
		bool ind = asm_is_reg_next(l);
		if (ind) {
			int64_t v = 0;
			if ((rc = asm_reg(st, l, &e->src, NULL)))
				return rc;
			const struct asm_tok *t = asm_peek(l, 0);
			if ((asm_tok_is(t, "+") || asm_tok_is(t, "-")) && (rc = asm_signed(st, l, W32, ASM_E_IMM32, &v)))
				return rc;
			e->imm = (int32_t)v;
		} else if ((rc = asm_imm32(st, l, &e->imm))) {
			return rc;
		}
		e->dst = 0;
		e->row = asm_find(&ASM_WANT(.fmt = ind ? FMT_LDIND : FMT_LDABS, .size = size));
		if ((rc = asm_expect(st, l, "]")))
			return rc;
	} else {
		if ((rc = asm_addr(st, l, "(", ")", &e->src, &e->off)))
			return rc;
		e->row = asm_find(&ASM_WANT(.fmt = FMT_LDX, .size = size, .is_signed = TRI(sgn)));
	}
	if ((rc = asm_expect_end(st, l)))
		return rc;
	return asm_emit(st, e);
}

/* rD OP= ..., rD = ... */
static int asm_llvm_assign(struct asm_state *st, struct asm_line *l)
{
	struct asm_enc e = {0};
	char wd, ws;
	int rc = asm_reg(st, l, &e.dst, &wd);
	if (rc)
		return rc;
	int alu32 = wd == 'w';
	const struct asm_tok *op = asm_next(l);
	if (op->kind != T_PUNCT)
		return asm_unexpected(st, op, "an operator");
	char ops[8];
	snprintf(ops, sizeof(ops), "%.*s", (int)op->len, op->s);

	if (!strcmp(ops, "=")) {
		const struct asm_tok *t = asm_peek(l, 0);
		if (asm_tok_is(t, "*")) {
			asm_next(l);
			return asm_llvm_load(st, l, &e);
		}
		if (asm_tok_is(t, "(")) {
			/* (s8)rS: movsx */
			asm_next(l);
			const struct asm_tok *c = asm_next(l);
			int bits = 0;
			for (int b = 8; b <= 32; b *= 2)
				if (asm_tok_is(c, disasm_size_name((unsigned)b / 8, 1)))
					bits = b;
			if (!bits)
				return asm_unexpected(st, c, "s8, s16 or s32");
			if ((rc = asm_expect(st, l, ")")) || (rc = asm_reg(st, l, &e.src, &ws)) ||
			    (rc = asm_same_width(st, wd, ws)) || (rc = asm_expect_end(st, l)))
				return rc;
			e.row = asm_find(&ASM_WANT(.fmt = FMT_MOVSX, .alu32 = TRI(alu32), .has_disc = true, .disc = bits));
			if (e.row < 0)
				return asm_err(st, ASM_E_MOVSX32);
			return asm_emit(st, &e);
		}
		if (asm_tok_is(t, "-") && asm_peek(l, 1)->kind == T_WORD) {
			/* -rD: neg */
			asm_next(l);
			unsigned s;
			if ((rc = asm_reg(st, l, &s, &ws)) || (rc = asm_same_width(st, wd, ws)) || (rc = asm_expect_end(st, l)))
				return rc;
			if (s != e.dst)
				return asm_err(st, ASM_E_NEG_PLACE, e.dst, e.dst);
			e.row = asm_find(&ASM_WANT(.fmt = FMT_NEG, .alu32 = TRI(alu32)));
			return asm_emit(st, &e);
		}
		if (t->kind == T_WORD && !asm_is_reg_next(l)) {
			/* be16 rD, le32 rD, bswap64 rD, atomic functions, pseudo lddw */
			static const struct {
				const char *kind;
				int cls, x;
			} ends[] = {{"be", ISA_ALU, 1}, {"le", ISA_ALU, 0}, {"bswap", ISA_ALU64, 0}};
			for (size_t k = 0; k < sizeof(ends) / sizeof(ends[0]); k++) {
				size_t kl = strlen(ends[k].kind);
				if (t->len != kl + 2 || memcmp(t->s, ends[k].kind, kl) != 0)
					continue;
				int width = atoi(t->s + kl);
				if (width != 16 && width != 32 && width != 64)
					break;
				asm_next(l);
				unsigned s;
				if ((rc = asm_reg(st, l, &s, &ws)) || (rc = asm_expect_end(st, l)))
					return rc;
				if (s != e.dst)
					return asm_err(st, ASM_E_SWAP_PLACE, e.dst, (int)t->len,
						       t->s, e.dst);
				e.row = asm_find(&ASM_WANT(.fmt = FMT_END, .cls = CLS(ends[k].cls), .src_x = TRI(ends[k].x),
							   .has_disc = true, .disc = width));
				return asm_emit(st, &e);
			}
			if (asm_tok_is(asm_peek(l, 1), "(")) {
				unsigned save = l->i;
				asm_next(l);
				rc = asm_llvm_atomic_fn(st, l, t, e.dst, wd);
				if (rc != 1)
					return rc;
				l->i = save;
			}
			if (alu32)
				return asm_err(st, ASM_E_LDDW_W);
			return asm_llvm_lddw(st, l, &e);
		}
		if (asm_is_reg_next(l)) {
			/* rD = rS: mov */
			if ((rc = asm_reg(st, l, &e.src, &ws)) || (rc = asm_same_width(st, wd, ws)) ||
			    (rc = asm_expect_end(st, l)))
				return rc;
			e.row = asm_find(&ASM_WANT(.fmt = FMT_ALU_X, .alu32 = TRI(alu32), .op = "="));
			return asm_emit(st, &e);
		}
		/* rD = imm, or rD = imm64 ll */
		unsigned k = 0;
		while (asm_peek(l, k)->kind != T_END && !asm_tok_is(asm_peek(l, k), "ll"))
			k++;
		/* the kernel's log writes lddw without ll: "(18) r1 = 0x1122334455667788" */
		if (asm_tok_is(asm_peek(l, k), "ll") || st->annot == (ISA_LD | ISA_IMM | ISA_DW)) {
			if (alu32)
				return asm_err(st, ASM_E_LDDW_W);
			return asm_llvm_lddw(st, l, &e);
		}
		if ((rc = asm_imm32(st, l, &e.imm)) || (rc = asm_expect_end(st, l)))
			return rc;
		e.row = asm_find(&ASM_WANT(.fmt = FMT_ALU_K, .alu32 = TRI(alu32), .op = "="));
		return asm_emit(st, &e);
	}

	/* compound assignment */
	bool x = asm_is_reg_next(l);
	e.row = asm_find(&ASM_WANT(.fmt = x ? FMT_ALU_X : FMT_ALU_K, .alu32 = TRI(alu32), .op = ops));
	if (e.row < 0)
		return asm_unexpected(st, op, "an ALU operator");
	if (x) {
		if ((rc = asm_reg(st, l, &e.src, &ws)) || (rc = asm_same_width(st, wd, ws)))
			return rc;
	} else if ((rc = asm_imm32(st, l, &e.imm))) {
		return rc;
	}
	if ((rc = asm_expect_end(st, l)))
		return rc;
	return asm_emit(st, &e);
}

/* }===== */

/* {===== lines, labels, the driver */

static int asm_label(struct asm_state *st, const struct asm_tok *t)
{
	int rc = asm_grow(st, (void **)&st->labels, &st->labcap, st->nlabels + 1, sizeof(*st->labels));
	if (rc)
		return rc;
	st->labels[st->nlabels++] = (struct asm_label){.name = t->s, .len = t->len, .line = st->line, .pc = st->cnt};
	return 0;
}

static bool asm_is_hex_byte(const struct asm_tok *t)
{
	return t->len == 2 && t->kind != T_PUNCT && isxdigit((unsigned char)t->s[0]) && isxdigit((unsigned char)t->s[1]);
}

/* Skip the prefix of a disassembly listing, "  12:  b7 00 00 00 01 00 00 00",
 * or of a kernel verifier log line, "12: (b7)"; the opcode in parentheses is
 * kept in st->annot (-1: none). */
static void asm_skip_listing(struct asm_state *st, struct asm_line *l)
{
	st->annot = -1;
	if (asm_peek(l, 0)->kind != T_NUM || !asm_tok_is(asm_peek(l, 1), ":"))
		return;
	l->i += 2;
	if (asm_tok_is(asm_peek(l, 0), "(") && asm_is_hex_byte(asm_peek(l, 1)) && asm_tok_is(asm_peek(l, 2), ")")) {
		st->annot = (int)strtol(asm_peek(l, 1)->s, NULL, 16);
		l->i += 3;
		return;
	}
	while (asm_is_hex_byte(asm_peek(l, 0)))
		asm_next(l);
}

static int asm_statement(struct asm_state *st, struct asm_line *l)
{
	int rc;
	asm_skip_listing(st, l);
	/* labels */
	while (asm_peek(l, 0)->kind == T_WORD && asm_tok_is(asm_peek(l, 1), ":")) {
		if ((rc = asm_label(st, asm_next(l))))
			return rc;
		asm_next(l);
	}
	const struct asm_tok *t = asm_peek(l, 0);
	if (t->kind == T_END)
		return 0;
	if (asm_tok_is(t, "exit")) {
		asm_next(l);
		if ((rc = asm_expect_end(st, l)))
			return rc;
		return asm_emit(st, &(struct asm_enc){.row = OP_EXIT});
	}
	if (asm_tok_is(t, "goto") || asm_tok_is(t, "gotol")) {
		bool lng = t->len == 5;
		asm_next(l);
		struct asm_enc e = {.row = lng ? OP_JA32 : OP_JA};
		if ((rc = asm_target(st, l, lng ? W32 : W16, &e, lng ? &e.imm : &e.off)) ||
		    (rc = asm_expect_end(st, l)))
			return rc;
		return asm_emit(st, &e);
	}
	if (asm_tok_is(t, "callx")) {
		asm_next(l);
		struct asm_enc e = {.row = OP_CALLX};
		if ((rc = asm_reg(st, l, &e.dst, NULL)) || (rc = asm_expect_end(st, l)))
			return rc;
		return asm_emit(st, &e);
	}
	if (asm_tok_is(t, "call")) {
		asm_next(l);
		return asm_call(st, l);
	}
	if (asm_tok_is(t, "if")) {
		asm_next(l);
		return asm_llvm_if(st, l);
	}
	if (asm_tok_is(t, "lock") && asm_tok_is(asm_peek(l, 1), "*")) {
		asm_next(l);
		return asm_llvm_lock(st, l);
	}
	if (asm_tok_is(t, "*")) {
		asm_next(l);
		return asm_llvm_store(st, l);
	}
	if (asm_tok_is(t, ".insn")) {
		asm_next(l);
		uint64_t w;
		bool hex;
		if ((rc = asm_num(st, asm_next(l), &w, &hex)) || (rc = asm_expect_end(st, l)))
			return rc;
		return asm_emit_raw(st, w);
	}
	if (asm_is_reg_next(l)) /* no conformance mnemonic looks like a register */
		return asm_llvm_assign(st, l);
	if (t->kind == T_WORD && asm_peek(l, 1)->kind == T_PUNCT && !asm_tok_is(asm_peek(l, 1), "[") &&
	    !asm_tok_is(asm_peek(l, 1), "-") && !asm_tok_is(asm_peek(l, 1), "+") && !asm_tok_is(asm_peek(l, 1), ","))
		return asm_llvm_assign(st, l);
	return asm_conf(st, l);
}

static int asm_label_cmp(const void *a, const void *b)
{
	const struct asm_label *x = a, *y = b;
	unsigned n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->name, y->name, n);
	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static const struct asm_label *asm_label_find(const struct asm_state *st, const char *name, unsigned len)
{
	struct asm_label key = {.name = name, .len = len, .line = 0};
	size_t lo = 0, hi = st->nlabels;
	while (lo < hi) { /* first label >= key */
		size_t mid = lo + (hi - lo) / 2;
		if (asm_label_cmp(&st->labels[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < st->nlabels && st->labels[lo].len == len && !memcmp(st->labels[lo].name, name, len))
		return &st->labels[lo];
	return NULL;
}

static int asm_resolve(struct asm_state *st)
{
	if (st->nlabels)
		qsort(st->labels, st->nlabels, sizeof(*st->labels), asm_label_cmp);
	for (size_t i = 1; i < st->nlabels; i++) {
		const struct asm_label *a = &st->labels[i - 1], *b = &st->labels[i];
		if (a->len == b->len && !memcmp(a->name, b->name, a->len)) {
			st->line = b->line;
			return asm_err(st, ASM_E_DUP_LABEL, (int)b->len, b->name, a->line);
		}
	}
	for (size_t i = 0; i < st->nfixes; i++) {
		const struct asm_fix *f = &st->fixes[i];
		const struct asm_label *lab = asm_label_find(st, f->name, f->len);
		size_t to;
		st->line = f->line;
		if (lab)
			to = lab->pc;
		else if (st->have_exit && f->len == 4 && !memcmp(f->name, "exit", 4))
			to = st->first_exit;
		else
			return asm_err(st, ASM_E_LABEL, (int)f->len, f->name);
		int64_t rel = (int64_t)to - (int64_t)f->pc - 1;
		struct hive_insn *in = &st->insns[f->pc];
		int op = isa_decode(in, NULL);
		if (op == OP_JA32 || op == OP_CALL_LOCAL) {
			if (rel < INT32_MIN || rel > INT32_MAX)
				return asm_err(st, ASM_E_FAR, (int)f->len, f->name);
			in->imm = (int32_t)rel;
		} else {
			if (rel < INT16_MIN || rel > INT16_MAX)
				return asm_err(st, ASM_E_FAR, (int)f->len, f->name);
			in->off = (int16_t)rel;
		}
	}
	return 0;
}

int hive_asm(const char *text, struct hive_insn **out, size_t *cnt, char *errbuf, size_t errsize)
{
	struct asm_state st = {.err = errbuf, .errsize = errsize, .line = 1};
	if (errbuf && errsize)
		errbuf[0] = '\0';
	if (out)
		*out = NULL;
	if (cnt)
		*cnt = 0;
	if (!text || !out || !cnt) {
		asm_err(&st, ASM_E_NULL);
		return -EINVAL;
	}
	struct asm_line *l = asm_realloc(NULL, sizeof(*l));
	if (!l) {
		asm_err(&st, ASM_E_NOMEM);
		return -ENOMEM;
	}
	int rc = 0;
	for (const char *p = text; *p;) {
		const char *eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		rc = asm_lex(&st, p, asm_code_end(p, eol), l);
		if (!rc)
			rc = asm_statement(&st, l);
		if (rc)
			break;
		p = *eol ? eol + 1 : eol;
		if (*p)
			st.line++;
	}
	if (!rc && st.cnt == 0)
		rc = asm_err(&st, ASM_E_EMPTY);
	if (!rc)
		rc = asm_resolve(&st);
	free(l);
	free(st.labels);
	free(st.fixes);
	if (rc) {
		free(st.insns);
		return rc;
	}
	*out = st.insns;
	*cnt = st.cnt;
	return 0;
}

/* }===== */
