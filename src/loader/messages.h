/* The loader's messages that tests match, in one place (after wasm3's
 * d_m3ErrorConst list): the code builds its log lines around these, the
 * tests look for them. Change one here and both follow. */
#ifndef HIVE_LOADER_MESSAGES_H
#define HIVE_LOADER_MESSAGES_H

/* elf.c */
#define LDR_E_NOT_ELF "not an ELF file"
#define LDR_E_NOT_ELF64 "not ELF64"
#define LDR_E_BIG_ENDIAN "big-endian objects are not supported"
#define LDR_E_NOT_BPF "is not EM_BPF (247)"
#define LDR_E_NOT_REL "is not ET_REL"
#define LDR_E_SYM_SECTION "bad section index"
#define LDR_E_STRTAB "bad string table index"
#define LDR_E_RELO_TARGET "bad target section index"
#define LDR_E_PAST_SECTION "past the section"
#define LDR_E_RELO_SYM "relocation symbol"
/* link.c */
#define LDR_E_FUNC_OUTSIDE "is outside the section or misaligned"
#define LDR_E_RELO_SLOT "relocation is not on an LDDW or a call"
#define LDR_E_STATIC_PROG "is static: not supported (make it global)"
/* btf.c */
#define LDR_E_BTF_MAGIC "bad magic"
#define LDR_E_BTF_HDR_LEN "bad header length"
#define LDR_E_PAST_END "past the end"
#define LDR_E_BTF_ALIGN "not 4-byte aligned"
#define LDR_E_UNKNOWN_FIELD "unknown non-zero field"
/* objmap.c */
#define LDR_E_NEEDS_BTF "needs .BTF (compile with -g)"
#define LDR_E_KSYM "kernel symbols (.ksyms, kfuncs) are not supported in user space"
#define LDR_E_EXTERN "unresolved extern (not in .kconfig)"
#define LDR_E_DATA_TOO_BIG "is larger than a map value may be"
/* object.c, io.c, core.c */
#define LDR_E_NO_PROG_TYPE "names no program type"
#define LDR_E_READ "read failed"
#define LDR_E_CORE_TARGET "cannot read target BTF"
#define LDR_E_CORE_NO_BTF "has no .BTF"
/* pin.c */
#define LDR_E_PIN_MISMATCH "cannot reuse the map pinned at"
#define LDR_E_PIN_REFS "prog arrays and maps of maps cannot be pinned in hive"

#endif
