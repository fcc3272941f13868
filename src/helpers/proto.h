/* Helper prototypes as data: what each kernel-numbered helper takes and
 * returns, in the kernel's terms (include/linux/bpf.h: enum bpf_arg_type,
 * enum bpf_return_type). Written once here; the verifier checks calls
 * against it, the loader refuses unknown ids with it, the VM names helpers
 * with it. The table itself is in protos.c. */
#ifndef HIVE_HELPERS_PROTO_H
#define HIVE_HELPERS_PROTO_H

#include <stdbool.h>
#include <stdint.h>

enum helper_arg {
	ARG_NONE = 0,               /* unused argument */
	ARG_ANYTHING,               /* any scalar or pointer value */
	ARG_SCALAR,                 /* a scalar (no pointer) */
	ARG_CONST_MAP_PTR,          /* a map pointer from LDDW */
	ARG_PTR_TO_MAP_KEY,         /* key_size readable bytes */
	ARG_PTR_TO_MAP_VALUE,       /* value_size readable bytes */
	ARG_PTR_TO_UNINIT_MAP_VALUE,/* value_size writable bytes */
	ARG_PTR_TO_MEM,             /* readable memory, size in the next argument */
	ARG_PTR_TO_MEM_OR_NULL,
	ARG_PTR_TO_UNINIT_MEM,      /* writable memory, size in the next argument */
	ARG_CONST_SIZE,             /* > 0, bounded: the size of the previous argument */
	ARG_CONST_SIZE_OR_ZERO,
	ARG_PTR_TO_CTX,
	ARG_PTR_TO_CTX_OR_NULL,
	ARG_PTR_TO_ALLOC_MEM,       /* memory from ringbuf_reserve (releases the reference) */
	ARG_CONST_ALLOC_SIZE_OR_ZERO,
	ARG_PTR_TO_FUNC,            /* a callback: LDDW src=PSEUDO_FUNC */
	ARG_PTR_TO_STACK_OR_NULL,   /* callback context */
	ARG_PTR_TO_SPIN_LOCK,
	ARG_PTR_TO_TIMER,
	ARG_PTR_TO_LONG,            /* 8 writable bytes */
	ARG_PTR_TO_INT,             /* 4 writable bytes */
	ARG_PTR_TO_CONST_STR,       /* NUL-terminated string in a read-only map value */
	ARG_PTR_TO_BTF_ID,          /* kernel object (task…): refused in user space unless the hook provides it */
	ARG_PTR_TO_MAP_VALUE_OR_NULL, /* local storage init value */
	ARG_PTR_TO_DYNPTR,          /* struct bpf_dynptr on the stack */
};

enum helper_ret {
	RET_INTEGER = 0,
	RET_VOID,
	RET_PTR_TO_MAP_VALUE_OR_NULL,
	RET_PTR_TO_ALLOC_MEM_OR_NULL, /* ringbuf_reserve: a reference to release */
	RET_PTR_TO_MEM_OR_NULL,
	RET_PTR_TO_BTF_ID_OR_NULL,
	RET_PTR_TO_MAP_VALUE,         /* never NULL (get_local_storage) */
	RET_PTR_TO_BTF_ID,            /* never NULL (get_current_task_btf) */
};

enum {
	HELPER_F_PKT_CHANGE = 1 << 0, /* invalidates packet pointers (adjust_head…) */
	HELPER_F_GPL_ONLY = 1 << 1,
	HELPER_F_RELEASE = 1 << 2,    /* releases the reference passed in an ARG_PTR_TO_ALLOC_MEM */
	HELPER_F_ACQUIRE = 1 << 3,    /* the return value is a reference */
	HELPER_F_TAIL_CALL = 1 << 4,
	HELPER_F_CALLBACK = 1 << 5,   /* takes an ARG_PTR_TO_FUNC callback (loop, for_each…) */
};

struct helper_proto {
	uint32_t id;       /* Linux's BPF_FUNC_* number */
	const char *name;  /* without the bpf_ prefix, as "map_lookup_elem" */
	uint8_t ret;       /* enum helper_ret */
	uint8_t args[5];   /* enum helper_arg */
	uint16_t flags;    /* HELPER_F_* */
};

/* The prototype of helper @id, or NULL when hive has none. Covers every
 * Linux helper up to cgrp_storage_delete (211), implemented or not; whether
 * hive implements one is helpers_builtin(id) != NULL (helpers.h). */
const struct helper_proto *helper_proto(uint32_t id);
/* Largest id in the table. */
uint32_t helper_proto_max_id(void);
/* May a program of @prog_type (enum hive_prog_type) call Linux helper @id?
 * As the kernel's per-type func_proto sets (prog_helpers.c); true for
 * types without a set. */
bool helper_allowed(uint32_t prog_type, uint32_t id);

#endif
