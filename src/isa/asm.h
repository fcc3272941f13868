/* Internal hooks of the assembler (asm.c). */
#ifndef HIVE_ISA_ASM_H
#define HIVE_ISA_ASM_H

#include <stdbool.h>

/* Tests: make the assembler's allocation @n (counted from this call, 1-based)
 * fail, and every later one too when @sticky; n = 0 turns failures off. */
void asm_fail_at(unsigned long n, bool sticky);

#endif
