/* A few helper prototypes the verifier can use until the full table
 * (src/helpers/protos.c, helper_proto()) is part of the library; tests use
 * it as their local table.  Numbers and kinds are Linux's. */
#include "verifier.h"

#include <stddef.h>

#define P(ID, NAME, RET, A1, A2, A3, A4, A5, FL) \
	{.id = ID, .name = NAME, .ret = RET, .args = {A1, A2, A3, A4, A5}, .flags = FL}

static const struct helper_proto builtin[] = {
	P(1, "map_lookup_elem", RET_PTR_TO_MAP_VALUE_OR_NULL, ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, 0, 0, 0, 0),
	P(2, "map_update_elem", RET_INTEGER, ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_PTR_TO_MAP_VALUE, ARG_ANYTHING, 0, 0),
	P(3, "map_delete_elem", RET_INTEGER, ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, 0, 0, 0, 0),
	P(5, "ktime_get_ns", RET_INTEGER, 0, 0, 0, 0, 0, 0),
	P(6, "trace_printk", RET_INTEGER, ARG_PTR_TO_MEM, ARG_CONST_SIZE, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING,
	  HELPER_F_GPL_ONLY),
	P(7, "get_prandom_u32", RET_INTEGER, 0, 0, 0, 0, 0, 0),
	P(8, "get_smp_processor_id", RET_INTEGER, 0, 0, 0, 0, 0, 0),
	P(12, "tail_call", RET_VOID, ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING, 0, 0, HELPER_F_TAIL_CALL),
	P(14, "get_current_pid_tgid", RET_INTEGER, 0, 0, 0, 0, 0, 0),
	P(26, "skb_load_bytes", RET_INTEGER, ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE, 0, 0),
	P(44, "xdp_adjust_head", RET_INTEGER, ARG_PTR_TO_CTX, ARG_ANYTHING, 0, 0, 0, HELPER_F_PKT_CHANGE),
	P(130, "ringbuf_output", RET_INTEGER, ARG_CONST_MAP_PTR, ARG_PTR_TO_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING, 0, 0),
	P(131, "ringbuf_reserve", RET_PTR_TO_ALLOC_MEM_OR_NULL, ARG_CONST_MAP_PTR, ARG_CONST_ALLOC_SIZE_OR_ZERO,
	  ARG_ANYTHING, 0, 0, HELPER_F_ACQUIRE),
	P(132, "ringbuf_submit", RET_VOID, ARG_PTR_TO_ALLOC_MEM, ARG_ANYTHING, 0, 0, 0, HELPER_F_RELEASE),
	P(133, "ringbuf_discard", RET_VOID, ARG_PTR_TO_ALLOC_MEM, ARG_ANYTHING, 0, 0, 0, HELPER_F_RELEASE),
};

const struct helper_proto *verifier_builtin_proto(uint32_t id)
{
	for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
		if (builtin[i].id == id)
			return &builtin[i];
	return NULL;
}
