/* The interpreter loop, included by interp.c with INTERP_CHECKED 0/1/2
 * and INTERP_NAME set. Every isa row has exactly one vmcase; a missing one
 * is a compile error (the dispatch table names every label). */

#if defined(__GNUC__) && !defined(HIVE_NO_JUMPTABLE)
#define vmdispatch(o) goto *interp_disp[o];
#define vmcase(ID) L_##ID:
#define vmdefault L_INVALID:
#define vmloop_begin
#define vmloop_end
#define vmnext(o) goto *interp_disp[o];
#else
#define vmdispatch(o) switch (o)
#define vmcase(ID) case OP_##ID:
#define vmdefault default:
#define vmloop_begin for (;;) {
#define vmloop_end }
#define vmnext(o) continue;
#endif

#if INTERP_CHECKED == 2
/* Soundness mode: also the registers against the verifier's states. */
#define vmfetch()                                                                      \
	do {                                                                           \
		if (__builtin_expect(budget == 0, 0))                                  \
			goto out_of_budget;                                            \
		budget--;                                                              \
		if (sound_step(run, prog, (uint32_t)(ip - code), reg))                 \
			goto fail;                                                     \
	} while (0)
#elif INTERP_CHECKED
/* Executing instruction N+1 of an N-instruction budget faults. */
#define vmfetch()                                                                      \
	do {                                                                           \
		if (__builtin_expect(budget == 0, 0))                                  \
			goto out_of_budget;                                            \
		budget--;                                                              \
	} while (0)
#endif
#if INTERP_CHECKED
#define MEMCHECK(addr, size, write, atomic)                                             \
	do {                                                                           \
		if (__builtin_expect(!vm_access_ok(run, (addr), (size), (write)), 0)) { \
			vm_fault_access(run, (uint32_t)(ip - code), (addr), (unsigned)(size), (write), (atomic)); \
			goto fail;                                                     \
		}                                                                      \
	} while (0)
#define ATOMCHECK(addr, size)                                                           \
	do {                                                                           \
		MEMCHECK(addr, size, true, true);                                       \
		if ((addr) & ((size) - 1)) {                                            \
			vm_fault_misaligned(run, (uint32_t)(ip - code), (addr), (unsigned)(size)); \
			goto fail;                                                     \
		}                                                                      \
	} while (0)
#else
#define vmfetch() ((void)0)
#define MEMCHECK(addr, size, write, atomic) ((void)0)
#define ATOMCHECK(addr, size) ((void)0)
#endif

#define vmbreak                \
	{                      \
		ip++;          \
		vmfetch();     \
		vmnext(ip->op) \
	}
#define vmjump                 \
	{                      \
		vmfetch();     \
		vmnext(ip->op) \
	}

#define D reg[ip->dst]
#define S reg[ip->src]
#define IMM64 ((uint64_t)(int64_t)ip->imm) /* imm sign-extended to 64 bits */
#define IMM32 ((uint32_t)ip->imm)

static int INTERP_NAME(struct hive_run *run, const struct hive_prog *prog, uint32_t pc, const uint64_t *args,
		       uintptr_t fp, uint64_t *ret, uint64_t *regs_out)
{
#if defined(__GNUC__) && !defined(HIVE_NO_JUMPTABLE)
	/* Indexed by isa row (enum isa_op); OP_INVALID is the last entry. */
	static const void *const interp_disp[OP_INVALID + 1] = {
#define INTERP_LABEL(ID, ...) &&L_##ID,
		HIVE_ISA(INTERP_LABEL)
#undef INTERP_LABEL
		[OP__COUNT... OP_INVALID] = &&L_INVALID,
	};
#endif
	const struct vm_insn *const code = prog->code;
	const struct vm_insn *ip = code + pc;
	struct interp_frame frames[HIVE_MAX_FRAMES];
	unsigned depth = 0;
	/* frames this call may still push: a nested call (callback, tail call)
	 * starts below the frames of its callers */
	const unsigned max_depth = HIVE_MAX_FRAMES - 1 -
		(unsigned)(((uintptr_t)run->stack + HIVE_MAX_FRAMES * HIVE_STACK_SIZE - fp) / HIVE_STACK_SIZE);
	uint64_t reg[11] = {0};
	memcpy(&reg[1], args, 5 * sizeof(reg[1]));
	reg[10] = fp;
#if INTERP_CHECKED
	uint64_t budget = run->budget;
#endif

	vmfetch();
	vmloop_begin
	vmdispatch(ip->op)
	{
	/* {===== ALU: 64-bit, then 32-bit (zero-extended) */
#define ALU_BOTH(ID, OPR)                                                              \
	vmcase(ID##64_K) D = D OPR IMM64; vmbreak;                                      \
	vmcase(ID##64_X) D = D OPR S; vmbreak;                                          \
	vmcase(ID##32_K) D = (uint32_t)((uint32_t)D OPR IMM32); vmbreak;               \
	vmcase(ID##32_X) D = (uint32_t)((uint32_t)D OPR (uint32_t)S); vmbreak;
	ALU_BOTH(ADD, +)
	ALU_BOTH(SUB, -)
	ALU_BOTH(MUL, *)
	ALU_BOTH(OR, |)
	ALU_BOTH(AND, &)
	ALU_BOTH(XOR, ^)
#undef ALU_BOTH

	/* Shift amounts are masked to the operand width, as the kernel's JITs do. */
	vmcase(LSH64_K) D <<= ip->imm & 63; vmbreak;
	vmcase(LSH64_X) D <<= S & 63; vmbreak;
	vmcase(RSH64_K) D >>= ip->imm & 63; vmbreak;
	vmcase(RSH64_X) D >>= S & 63; vmbreak;
	vmcase(ARSH64_K) D = (uint64_t)((int64_t)D >> (ip->imm & 63)); vmbreak;
	vmcase(ARSH64_X) D = (uint64_t)((int64_t)D >> (S & 63)); vmbreak;
	vmcase(LSH32_K) D = (uint32_t)((uint32_t)D << (ip->imm & 31)); vmbreak;
	vmcase(LSH32_X) D = (uint32_t)((uint32_t)D << (S & 31)); vmbreak;
	vmcase(RSH32_K) D = (uint32_t)D >> (ip->imm & 31); vmbreak;
	vmcase(RSH32_X) D = (uint32_t)D >> (S & 31); vmbreak;
	vmcase(ARSH32_K) D = (uint32_t)((int32_t)D >> (ip->imm & 31)); vmbreak;
	vmcase(ARSH32_X) D = (uint32_t)((int32_t)D >> (S & 31)); vmbreak;

	/* Division by zero gives 0; modulo by zero leaves dst (32-bit: truncated). */
#define DIV_U(ID, T, DIVISOR)                                                          \
	vmcase(ID) { T d_ = (T)(DIVISOR); D = d_ ? (T)D / d_ : 0; } vmbreak;
#define MOD_U(ID, T, DIVISOR)                                                          \
	vmcase(ID) { T d_ = (T)(DIVISOR); D = d_ ? (T)D % d_ : (T)D; } vmbreak;
	DIV_U(DIV64_K, uint64_t, IMM64)
	DIV_U(DIV64_X, uint64_t, S)
	DIV_U(DIV32_K, uint32_t, IMM32)
	DIV_U(DIV32_X, uint32_t, S)
	MOD_U(MOD64_K, uint64_t, IMM64)
	MOD_U(MOD64_X, uint64_t, S)
	MOD_U(MOD32_K, uint32_t, IMM32)
	MOD_U(MOD32_X, uint32_t, S)
#undef DIV_U
#undef MOD_U
	/* Signed: INT_MIN / -1 wraps to INT_MIN and INT_MIN % -1 is 0, without
	 * the trap C would give. */
#define DIV_S(ID, ST, UT, DIVISOR)                                                     \
	vmcase(ID) {                                                                   \
		ST d_ = (ST)(UT)(DIVISOR), n_ = (ST)(UT)D;                             \
		D = (UT)(d_ == 0 ? 0 : d_ == -1 ? (ST)(0 - (UT)n_) : n_ / d_);         \
	} vmbreak;
#define MOD_S(ID, ST, UT, DIVISOR)                                                     \
	vmcase(ID) {                                                                   \
		ST d_ = (ST)(UT)(DIVISOR), n_ = (ST)(UT)D;                             \
		D = (UT)(d_ == 0 ? n_ : d_ == -1 ? 0 : n_ % d_);                       \
	} vmbreak;
	DIV_S(SDIV64_K, int64_t, uint64_t, IMM64)
	DIV_S(SDIV64_X, int64_t, uint64_t, S)
	DIV_S(SDIV32_K, int32_t, uint32_t, IMM32)
	DIV_S(SDIV32_X, int32_t, uint32_t, S)
	MOD_S(SMOD64_K, int64_t, uint64_t, IMM64)
	MOD_S(SMOD64_X, int64_t, uint64_t, S)
	MOD_S(SMOD32_K, int32_t, uint32_t, IMM32)
	MOD_S(SMOD32_X, int32_t, uint32_t, S)
#undef DIV_S
#undef MOD_S

	vmcase(NEG64) D = 0 - D; vmbreak;
	vmcase(NEG32) D = (uint32_t)(0u - (uint32_t)D); vmbreak;
	vmcase(MOV64_K) D = IMM64; vmbreak;
	vmcase(MOV64_X) D = S; vmbreak;
	vmcase(MOV32_K) D = IMM32; vmbreak;
	vmcase(MOV32_X) D = (uint32_t)S; vmbreak;
	vmcase(MOVSX864) D = (uint64_t)(int64_t)(int8_t)S; vmbreak;
	vmcase(MOVSX1664) D = (uint64_t)(int64_t)(int16_t)S; vmbreak;
	vmcase(MOVSX3264) D = (uint64_t)(int64_t)(int32_t)S; vmbreak;
	vmcase(MOVSX832) D = (uint32_t)(int32_t)(int8_t)S; vmbreak;
	vmcase(MOVSX1632) D = (uint32_t)(int32_t)(int16_t)S; vmbreak;

	/* Byte order: the host is little-endian (x86-64, arm64 LE). */
	vmcase(LE16) D = (uint16_t)D; vmbreak;
	vmcase(LE32) D = (uint32_t)D; vmbreak;
	vmcase(LE64) vmbreak;
	vmcase(BE16) D = __builtin_bswap16((uint16_t)D); vmbreak;
	vmcase(BE32) D = __builtin_bswap32((uint32_t)D); vmbreak;
	vmcase(BE64) D = __builtin_bswap64(D); vmbreak;
	vmcase(BSWAP16) D = __builtin_bswap16((uint16_t)D); vmbreak;
	vmcase(BSWAP32) D = __builtin_bswap32((uint32_t)D); vmbreak;
	vmcase(BSWAP64) D = __builtin_bswap64(D); vmbreak;
	/* }===== */

	/* {===== jumps: target = pc + off + 1 */
	vmcase(JA) ip += ip->off; vmbreak;
	vmcase(JA32) ip += ip->imm; vmbreak;
#define JCOND(ID, SFX, UT, ST, CMP)                                                   \
	vmcase(ID##SFX##_K) { UT a_ = (UT)D, b_ = (UT)IMM64; (void)a_; (void)b_; if (CMP) ip += ip->off; } vmbreak; \
	vmcase(ID##SFX##_X) { UT a_ = (UT)D, b_ = (UT)S; (void)a_; (void)b_; if (CMP) ip += ip->off; } vmbreak;
#define JFAMILY(SFX, UT, ST)                                                           \
	JCOND(JEQ, SFX, UT, ST, a_ == b_)                                               \
	JCOND(JNE, SFX, UT, ST, a_ != b_)                                               \
	JCOND(JGT, SFX, UT, ST, a_ > b_)                                                \
	JCOND(JGE, SFX, UT, ST, a_ >= b_)                                               \
	JCOND(JLT, SFX, UT, ST, a_ < b_)                                                \
	JCOND(JLE, SFX, UT, ST, a_ <= b_)                                               \
	JCOND(JSET, SFX, UT, ST, (a_ & b_) != 0)                                        \
	JCOND(JSGT, SFX, UT, ST, (ST)a_ > (ST)b_)                                       \
	JCOND(JSGE, SFX, UT, ST, (ST)a_ >= (ST)b_)                                      \
	JCOND(JSLT, SFX, UT, ST, (ST)a_ < (ST)b_)                                       \
	JCOND(JSLE, SFX, UT, ST, (ST)a_ <= (ST)b_)
	JFAMILY(, uint64_t, int64_t)
	JFAMILY(32, uint32_t, int32_t)
#undef JFAMILY
#undef JCOND

	/* Before a helper: the frame (for callbacks, tail calls) and, checked,
	 * the budget (a callback spends it) go to the run; after it, a fault
	 * keeps the pc where it happened (inside a callback) or gets this one. */
#if INTERP_CHECKED
#define HELPER_BEFORE() (run->fp = reg[10], run->budget = budget)
#define HELPER_AFTER() (budget = run->budget)
#else
#define HELPER_BEFORE() (run->fp = reg[10])
#define HELPER_AFTER() ((void)0)
#endif
#define HELPER_FAILED()                                                                \
	do {                                                                           \
		if (run->fault_pc == VM_PC_UNKNOWN)                                    \
			run->fault_pc = (uint32_t)(ip - code);                          \
		goto fail;                                                             \
	} while (0)
	vmcase(CALL) {
		HELPER_BEFORE();
		reg[0] = prog->helpers[ip->imm](reg[1], reg[2], reg[3], reg[4], reg[5], run);
		HELPER_AFTER();
		if (__builtin_expect(run->err != 0, 0))
			HELPER_FAILED();
		if (__builtin_expect(run->tail_done, 0)) {
			run->tail_done = false;
			goto do_exit; /* a tail call: the target ran in this frame */
		}
	} vmbreak;
	vmcase(CALLX) {
		hive_helper_fn fn = vm_helper(prog, D);
		if (!fn) {
			vm_fault_callx(run, (uint32_t)(ip - code), ip->dst, D);
			goto fail;
		}
		HELPER_BEFORE();
		reg[0] = fn(reg[1], reg[2], reg[3], reg[4], reg[5], run);
		HELPER_AFTER();
		if (__builtin_expect(run->err != 0, 0))
			HELPER_FAILED();
		if (__builtin_expect(run->tail_done, 0)) {
			run->tail_done = false;
			goto do_exit;
		}
	} vmbreak;
#undef HELPER_BEFORE
#undef HELPER_AFTER
#undef HELPER_FAILED
	vmcase(CALL_LOCAL) {
		if (depth >= max_depth) {
			vm_fault_depth(run, (uint32_t)(ip - code));
			goto fail;
		}
		struct interp_frame *f = &frames[depth++];
		memcpy(f->saved, &reg[6], sizeof(f->saved));
		f->fp = reg[10];
		f->ret_pc = (uint32_t)(ip - code) + 1;
		reg[10] -= HIVE_STACK_SIZE;
		ip += ip->imm;
	} vmbreak;
	vmcase(EXIT) {
	do_exit:
		if (depth == 0)
			goto done;
		struct interp_frame *f = &frames[--depth];
		memcpy(&reg[6], f->saved, sizeof(f->saved));
		reg[10] = f->fp;
		ip = code + f->ret_pc;
	} vmjump;
	/* }===== */

	/* {===== loads and stores */
	vmcase(LDDW) D = (uint32_t)ip->imm | ((uint64_t)(uint32_t)ip[1].imm << 32); ip++; vmbreak;
#define LDPKT(ID, SIZE, OFFSET)                                                        \
	vmcase(ID) {                                                                   \
		uint64_t v_;                                                           \
		if (!interp_ld_pkt(run, (OFFSET), SIZE, &v_)) {                        \
			reg[0] = 0;                                                    \
			goto done;                                                     \
		}                                                                      \
		reg[0] = v_;                                                           \
	} vmbreak;
	LDPKT(LDABSW, 4, (int64_t)ip->imm)
	LDPKT(LDABSH, 2, (int64_t)ip->imm)
	LDPKT(LDABSB, 1, (int64_t)ip->imm)
	LDPKT(LDINDW, 4, (int64_t)(int32_t)((uint32_t)S + IMM32))
	LDPKT(LDINDH, 2, (int64_t)(int32_t)((uint32_t)S + IMM32))
	LDPKT(LDINDB, 1, (int64_t)(int32_t)((uint32_t)S + IMM32))
#undef LDPKT

#define LDX(ID, T, CONV)                                                               \
	vmcase(ID) {                                                                   \
		uintptr_t a_ = (uintptr_t)(S + (uint64_t)(int64_t)ip->off);            \
		MEMCHECK(a_, sizeof(T), false, false);                                \
		D = CONV(*(const T *)a_);                                              \
	} vmbreak;
#define AS_U64(x) ((uint64_t)(x))
#define SX8(x) ((uint64_t)(int64_t)(int8_t)(x))
#define SX16(x) ((uint64_t)(int64_t)(int16_t)(x))
#define SX32(x) ((uint64_t)(int64_t)(int32_t)(x))
	LDX(LDXB, uint8_t, AS_U64)
	LDX(LDXH, u16_un, AS_U64)
	LDX(LDXW, u32_un, AS_U64)
	LDX(LDXDW, u64_un, AS_U64)
	LDX(LDXSB, uint8_t, SX8)
	LDX(LDXSH, u16_un, SX16)
	LDX(LDXSW, u32_un, SX32)
#undef LDX

#define STORE(ID, T, VAL)                                                              \
	vmcase(ID) {                                                                   \
		uintptr_t a_ = (uintptr_t)(D + (uint64_t)(int64_t)ip->off);            \
		MEMCHECK(a_, sizeof(T), true, false);                                \
		*(T *)a_ = (T)(VAL);                                                   \
	} vmbreak;
	STORE(STB, uint8_t, ip->imm)
	STORE(STH, u16_un, ip->imm)
	STORE(STW, u32_un, ip->imm)
	STORE(STDW, u64_un, IMM64)
	STORE(STXB, uint8_t, S)
	STORE(STXH, u16_un, S)
	STORE(STXW, u32_un, S)
	STORE(STXDW, u64_un, S)
#undef STORE

	/* Atomics are sequentially consistent, as the kernel's (full barriers). */
#define ATOMIC_RMW(ID, T, FN, FETCH)                                                   \
	vmcase(ID) {                                                                   \
		uintptr_t a_ = (uintptr_t)(D + (uint64_t)(int64_t)ip->off);            \
		ATOMCHECK(a_, sizeof(T));                                              \
		T old_ = FN((T *)a_, (T)S, __ATOMIC_SEQ_CST);                          \
		if (FETCH)                                                             \
			S = old_;                                                      \
	} vmbreak;
#define ATOMIC_FAMILY(SFX, T)                                                          \
	ATOMIC_RMW(AADD##SFX, T, __atomic_fetch_add, 0)                                 \
	ATOMIC_RMW(AOR##SFX, T, __atomic_fetch_or, 0)                                   \
	ATOMIC_RMW(AAND##SFX, T, __atomic_fetch_and, 0)                                 \
	ATOMIC_RMW(AXOR##SFX, T, __atomic_fetch_xor, 0)                                 \
	ATOMIC_RMW(AFADD##SFX, T, __atomic_fetch_add, 1)                                \
	ATOMIC_RMW(AFOR##SFX, T, __atomic_fetch_or, 1)                                  \
	ATOMIC_RMW(AFAND##SFX, T, __atomic_fetch_and, 1)                                \
	ATOMIC_RMW(AFXOR##SFX, T, __atomic_fetch_xor, 1)                                \
	ATOMIC_RMW(XCHG##SFX, T, __atomic_exchange_n, 1)                                \
	vmcase(CMPXCHG##SFX) {                                                          \
		uintptr_t a_ = (uintptr_t)(D + (uint64_t)(int64_t)ip->off);            \
		ATOMCHECK(a_, sizeof(T));                                              \
		T expected_ = (T)reg[0];                                               \
		__atomic_compare_exchange_n((T *)a_, &expected_, (T)S, false, __ATOMIC_SEQ_CST, \
					    __ATOMIC_SEQ_CST);                         \
		reg[0] = expected_;                                                    \
	} vmbreak;
	ATOMIC_FAMILY(32, uint32_t)
	ATOMIC_FAMILY(64, uint64_t)
#undef ATOMIC_FAMILY
#undef ATOMIC_RMW
	/* }===== */

	vmdefault {
		/* Only the second slot of an LDDW decodes to this, and validation
		 * makes sure no path reaches it. */
		vm_fault_bad_slot(run, (uint32_t)(ip - code));
		goto fail;
	}
	}
	vmloop_end

#if INTERP_CHECKED
out_of_budget:
	vm_fault_budget(run, (uint32_t)(ip - code));
	goto fail;
#endif
done:
#if INTERP_CHECKED
	run->budget = budget;
#endif
	*ret = reg[0];
	if (regs_out)
		memcpy(regs_out, reg, sizeof(reg));
	return 0;
fail:
#if INTERP_CHECKED
	run->budget = budget;
#endif
	*ret = reg[0];
	if (regs_out)
		memcpy(regs_out, reg, sizeof(reg));
	return run->err;
}

#undef vmdispatch
#undef vmnext
#undef vmcase
#undef vmdefault
#undef vmloop_begin
#undef vmloop_end
#undef vmfetch
#undef MEMCHECK
#undef ATOMCHECK
#undef vmbreak
#undef vmjump
#undef D
#undef S
#undef IMM64
#undef IMM32
#undef AS_U64
#undef SX8
#undef SX16
#undef SX32
