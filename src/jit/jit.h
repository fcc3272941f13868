/* The JIT backend interface: narrow, so that another architecture's backend
 * can sit beside x86-64. */
#ifndef HIVE_JIT_H
#define HIVE_JIT_H

#include <stdint.h>

#include "vm/vm.h"

/* Compile prog to native code (prog->jit on success). -EOPNOTSUPP without a backend. */
int jit_compile(struct hive_prog *prog, const struct hive_jit_opts *opts);
/* Run the native code; same contract as interp_run. */
int jit_exec(const struct jit_image *img, struct hive_run *run, uint64_t *ret, uint64_t *regs_out);
void jit_free(struct jit_image *img);

#endif
