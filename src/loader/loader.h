/* The ELF loader's internal view of an object file (issue 4).
 *
 * Flow of hive_object_open_*:
 *   elf.c      bytes -> sections, symbols, relocations (libelf), refusing
 *              anything that is not a little-endian ELF64 EM_BPF relocatable;
 *   btf.c      .BTF -> type table (every kind, ids and strings checked);
 *   btf_ext.c  .BTF.ext -> func info, line info, CO-RE records per section;
 *   objmap.c   .maps (BTF-defined), legacy "maps", .data/.rodata/.bss and
 *              their .data.* / .rodata.* variants, .kconfig -> map table;
 *   link.c     programs by symbol, relocations of LDDW to map indexes,
 *              bpf-to-bpf calls: subprograms appended per program;
 *   object.c   the public API (hive_object_*, hive_program_*, hive_object_map_*).
 * hive_object_load then goes through backend.c to create maps and load
 * programs, so that the runtime parts can be wired in one place.
 */
#ifndef HIVE_LOADER_H
#define HIVE_LOADER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hive/hive.h"
#include "loader/messages.h"

/* {===== log and allocation */

struct ldr_log {
	char *buf;
	size_t size;
	size_t len;
};

/* Append one line to the caller's log ("elf: .maps+0x40: bad BTF id"). */
void ldr_logf(struct ldr_log *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Log and return @err, for `return ldr_err(log, -EINVAL, "...")`. */
int ldr_err(struct ldr_log *log, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Allocation goes through these so tests can fail the Nth one (test hook:
 * ldr_test_fail_alloc). */
void *ldr_malloc(size_t n);
void *ldr_calloc(size_t n, size_t size);
void *ldr_realloc(void *p, size_t n);
void *ldr_reallocarray(void *p, size_t n, size_t size);
char *ldr_strdup(const char *s);
/* Fail allocation number @nth (1-based) from now on; if @sticky every later
 * one too. 0 turns the hook off. Returns how many allocations were made
 * since the last call. */
unsigned long ldr_test_fail_alloc(unsigned long nth, bool sticky);
/* Test hook: make file reads fail after @nbytes bytes (SIZE_MAX: never). */
void ldr_test_fail_read(size_t nbytes);
/* Read a whole file through the read hook. */
int ldr_read_file(const char *path, uint8_t **data, size_t *size, struct ldr_log *log);

/* }===== */

/* {===== BTF */

enum {
	BTF_K_UNKN = 0, BTF_K_INT = 1, BTF_K_PTR = 2, BTF_K_ARRAY = 3, BTF_K_STRUCT = 4,
	BTF_K_UNION = 5, BTF_K_ENUM = 6, BTF_K_FWD = 7, BTF_K_TYPEDEF = 8, BTF_K_VOLATILE = 9,
	BTF_K_CONST = 10, BTF_K_RESTRICT = 11, BTF_K_FUNC = 12, BTF_K_FUNC_PROTO = 13,
	BTF_K_VAR = 14, BTF_K_DATASEC = 15, BTF_K_FLOAT = 16, BTF_K_DECL_TAG = 17,
	BTF_K_TYPE_TAG = 18, BTF_K_ENUM64 = 19, BTF_K__MAX = 19,
};
enum { BTF_VAR_STATIC_L = 0, BTF_VAR_GLOBAL_L = 1, BTF_VAR_EXTERN_L = 2 };

struct btf_t {
	uint32_t name_off;
	uint32_t info;  /* vlen 0..15, kind 24..28, kind_flag 31 */
	uint32_t size_type;
};
struct btf_m { uint32_t name_off, type, offset; };           /* struct/union member */
struct btf_arr { uint32_t type, index_type, nelems; };
struct btf_en { uint32_t name_off; int32_t val; };
struct btf_en64 { uint32_t name_off, lo32, hi32; };
struct btf_param { uint32_t name_off, type; };
struct btf_vsi { uint32_t type, offset, size; };               /* datasec entry */

static inline unsigned btf_kind(const struct btf_t *t) { return (t->info >> 24) & 0x1f; }
static inline unsigned btf_vlen(const struct btf_t *t) { return t->info & 0xffff; }
static inline bool btf_kflag(const struct btf_t *t) { return t->info >> 31; }
static inline const void *btf_extra(const struct btf_t *t) { return t + 1; }

struct btf {
	uint8_t *raw;            /* own copy, 4-byte aligned */
	size_t raw_size;
	const char *strs;
	uint32_t str_len;
	uint32_t nr_types;       /* ids 1..nr_types-1 are valid; 0 is void */
	const struct btf_t **types;
};

/* Parse and check @size bytes of .BTF (or a vmlinux BTF file). */
int btf_parse(const void *data, size_t size, struct ldr_log *log, struct btf **out);
void btf_free(struct btf *btf);
const struct btf_t *btf_type(const struct btf *btf, uint32_t id);
/* A string of the string section; "" for an invalid offset. */
const char *btf_str(const struct btf *btf, uint32_t off);
const char *btf_name(const struct btf *btf, uint32_t id);
/* Skip typedef/const/volatile/restrict/type_tag; *id_out gets the final id. */
const struct btf_t *btf_skip_mods(const struct btf *btf, uint32_t id, uint32_t *id_out);
/* Size in bytes of type @id, or a negative errno (-EINVAL: sizeless, -E2BIG). */
int64_t btf_resolve_size(const struct btf *btf, uint32_t id);
/* First type of @kind named @name, or 0. */
uint32_t btf_find(const struct btf *btf, const char *name, unsigned kind);
const char *btf_kind_name(unsigned kind);

struct btf_line {
	uint32_t insn;   /* instruction index inside the ELF section */
	uint32_t file_off, line_off;
	uint32_t line, col;
};
struct btf_func { uint32_t insn, type_id; };
struct btf_core {
	uint32_t insn, type_id, access_off, kind;
};
/* .BTF.ext records of one ELF section. */
struct btf_ext_sec {
	uint32_t sec_idx;
	struct btf_func *funcs;
	uint32_t nfuncs;
	struct btf_line *lines;
	uint32_t nlines;
	struct btf_core *cores;
	uint32_t ncores;
};
struct btf_ext {
	struct btf_ext_sec *secs;
	uint32_t nsecs;
};

struct ldr_elf;
/* Parse .BTF.ext; section names are resolved against @elf. */
int btf_ext_parse(const void *data, size_t size, const struct btf *btf, const struct ldr_elf *elf,
		  struct ldr_log *log, struct btf_ext **out);
void btf_ext_free(struct btf_ext *ext);
const struct btf_ext_sec *btf_ext_sec(const struct btf_ext *ext, uint32_t sec_idx);

/* }===== */

/* {===== ELF */

enum ldr_sec_kind {
	SK_OTHER = 0, SK_PROG, SK_TEXT, SK_DATA, SK_RODATA, SK_BSS, SK_MAPS, SK_LEGACY_MAPS,
	SK_LICENSE, SK_VERSION, SK_BTF, SK_BTF_EXT, SK_SYMTAB, SK_RELO, SK_KCONFIG_PSEUDO,
};

struct ldr_reloc {
	uint64_t off;    /* in the target section */
	uint32_t type;   /* R_BPF_* */
	uint32_t sym;    /* symbol index */
};

struct ldr_sec {
	const char *name;
	uint32_t type, link, info;
	uint64_t flags, size;
	const uint8_t *data;  /* NULL for NOBITS; else size bytes */
	enum ldr_sec_kind kind;
	int map_idx;          /* internal map of a data section, or -1 */
	struct ldr_reloc *relos; /* sorted by offset */
	size_t nrelos;
};

struct ldr_sym {
	const char *name;
	uint64_t value, size;
	uint32_t shndx;
	uint8_t bind, type, vis;
};

/* ELF constants the loader needs without <elf.h> in every file */
enum { STB_LOCAL_ = 0, STB_GLOBAL_ = 1, STB_WEAK_ = 2 };
enum { STT_NOTYPE_ = 0, STT_OBJECT_ = 1, STT_FUNC_ = 2, STT_SECTION_ = 3 };

enum {
	R_BPF_NONE_ = 0, R_BPF_64_64_ = 1, R_BPF_64_ABS64_ = 2, R_BPF_64_ABS32_ = 3,
	R_BPF_64_NODYLD32_ = 4, R_BPF_64_32_ = 10,
};

struct ldr_elf {
	void *elf;               /* Elf * */
	struct ldr_sec *secs;
	size_t nsecs;
	struct ldr_sym *syms;
	size_t nsyms;
	int text_idx, btf_idx, btf_ext_idx, maps_idx, legacy_maps_idx;
};

/* Open @size bytes at @data (which must stay alive). */
int elf_open(const uint8_t *data, size_t size, struct ldr_log *log, struct ldr_elf *out);
void elf_close(struct ldr_elf *elf);
/* "name" of section @idx or "<N>" for out-of-range. */
const char *elf_sec_name(const struct ldr_elf *elf, size_t idx);
/* The relocation at @off of section @sec, or NULL. */
const struct ldr_reloc *elf_reloc_at(const struct ldr_sec *sec, uint64_t off);

/* }===== */

/* {===== section names */

enum {
	SEC_F_ATTACH_BTF = 1 << 0, /* the rest of the name is a BTF function */
	SEC_F_SLEEPABLE = 1 << 1,
	SEC_F_XDP_FRAGS = 1 << 2,
	SEC_F_USDT = 1 << 3,
	SEC_F_PREFIX = 1 << 4,     /* "name" or "name/target" */
};

struct sec_def {
	const char *prefix;
	uint32_t prog_type;   /* enum hive_prog_type (Linux numbering) */
	uint32_t attach_type; /* enum hive_attach_type (Linux numbering) */
	bool has_attach;      /* attach_type is meaningful (BPF_CGROUP_INET_INGRESS is 0) */
	uint32_t flags;       /* SEC_F_* */
};

/* The definition a section name matches, or NULL. */
const struct sec_def *sec_def_find(const char *sec_name);
/* What follows the prefix and '/', "" if nothing. */
const char *sec_def_target(const struct sec_def *def, const char *sec_name);

/* }===== */

/* {===== the object */

enum objmap_kind { MK_BTF, MK_LEGACY, MK_DATA, MK_RODATA, MK_BSS, MK_KCONFIG, MK_INNER };

struct hive_object_map {
	struct hive_object *obj;
	char *name;
	char *real_name;      /* section name for internal maps */
	enum objmap_kind kind;
	int sec_idx;          /* defining section, -1 for .kconfig */
	uint64_t sec_off;     /* offset of the definition in it */
	uint64_t sec_size;    /* its size there (longer than the struct with .values) */
	uint32_t values_off;  /* offset of the `values` member, or UINT32_MAX */
	uint32_t type, key_size, value_size, max_entries, map_flags, numa_node, pinning;
	uint64_t map_extra;
	uint32_t key_type_id, value_type_id;
	struct hive_object_map *inner;   /* map-in-map template (owned) */
	uint8_t *init;                   /* initial value: value_size bytes, internal maps */
	int32_t *init_slots;             /* initial values: map index (map-in-map), program index
	                                  * (prog-array), or -1 */
	uint32_t nr_init_slots;
	bool size_set_by_user;
	struct hive_map *map;            /* after hive_object_load */
	char *pin_path;                  /* pinned by name, or by hive_object_map_pin */
	struct pin_entry *pin;           /* its pin registry entry (pin.c), or NULL */
	bool pin_reused;                 /* the map came from the registry */
	bool pin_created;                /* this load created and pinned it */
};

/* Where a linked instruction came from, for line info. */
struct insn_origin {
	uint32_t sec;
	uint32_t idx;
};

struct hive_program {
	struct hive_object *obj;
	char *name;
	const char *sec_name;
	uint32_t sec_idx;
	uint32_t sec_insn;     /* first instruction in the section */
	uint32_t sec_cnt;      /* instructions of the function itself */
	bool is_subprog;
	const struct sec_def *def;
	uint32_t prog_type, attach_type;
	const struct hive_ctx_layout *ctx; /* hive_program_set_ctx_layout, else NULL: the type's */
	bool autoload;
	struct hive_insn *insns; /* linked: the function, then every subprogram it calls */
	struct insn_origin *origin;
	size_t cnt;
	struct hive_prog *prog;  /* after hive_object_load */
	bool verified;           /* loaded after the verifier accepted it; vstats says what it cost */
	struct hive_verify_stats vstats;
};

struct kcfg_ext {
	char *name;
	uint32_t off, size;  /* in the .kconfig map value */
	bool weak;
	bool is_bool, is_char_arr, is_signed;
	bool found;           /* a value was given */
	uint32_t sym;
};

struct hive_object {
	char *name;
	char *path;
	uint8_t *data;        /* the file, owned */
	size_t size;
	struct ldr_elf elf;
	struct btf *btf;      /* NULL when the object has no .BTF */
	struct btf_ext *ext;
	char license[128];
	uint32_t kversion;
	struct hive_program **progs; /* entry programs first (nr_progs), then subprograms */
	size_t nr_progs, nr_all_progs;
	struct hive_object_map **maps;
	size_t nr_maps;
	struct kcfg_ext *kcfg;
	size_t nr_kcfg;
	int kcfg_map;          /* index of .kconfig, or -1 */
	char *kconfig;         /* "CONFIG_X=y\n" lines from the opts */
	char *kconfig_path;    /* the opts' kernel config file, or NULL: the system's */
	char kconfig_src[128]; /* where the system values came from, for messages */
	char *btf_custom_path;
	char *pin_root_path;   /* the opts' root for maps pinned by name, or NULL */
	bool loaded;
	bool core_done;        /* CO-RE relocations applied to the linked programs */
	struct ldr_log log;    /* the open opts' log, kept for load */
};

/* objmap.c */
int objmap_collect(struct hive_object *obj);
void objmap_free(struct hive_object_map *m);
/* The map whose definition symbol sits at @off of section @sec, or -1. */
int objmap_by_sec_off(const struct hive_object *obj, int sec, uint64_t off);
/* Prog-array `.values` slots: symbol indexes -> program indexes; after
 * link_collect_progs. */
int objmap_resolve_prog_slots(struct hive_object *obj);
/* kconfig.c: the kernel config text from @path (gzip or plain) or, when
 * NULL, /boot/config-$(uname -r) then /proc/config.gz; @used gets the name
 * of the file read. -ENOENT when none exists (logged only for @path). */
int kconfig_read_system(const char *path, char **text, char *used, size_t used_size, struct ldr_log *log);
/* Every strong .kconfig extern has a value (else -ENOENT, logged); for load. */
int objmap_check_kconfig(struct hive_object *obj);

/* core.c: apply .BTF.ext CO-RE relocations to every linked program, against
 * btf_custom_path or /sys/kernel/btf/vmlinux. Once per object. */
int core_relocate(struct hive_object *obj);
/* libbpf's "types match" relation (bpf_core_type_matches) between local
 * type @lid and target type @tid: 1, 0, or a negative errno (too deep). */
int core_types_match(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid);

/* link.c */
int link_collect_progs(struct hive_object *obj);
int link_all(struct hive_object *obj);
void link_prog_free(struct hive_program *p);

/* pin.c: maps pinned by name (LIBBPF_PIN_BY_NAME) shared in the process.
 * pin_map_reuse: 1 if @m took the map pinned at its path (m->map set), 0 to
 * create one, or -EINVAL when the pinned one's definition differs.
 * pin_map_created: pin the map just created (or take one pinned meanwhile).
 * pin_map_release: true if @m's map belonged to the registry (and was let
 * go there), false if the caller frees it. */
int pin_map_reuse(struct hive_object_map *m, struct ldr_log *log);
int pin_map_created(struct hive_object_map *m, struct ldr_log *log);
bool pin_map_release(struct hive_object_map *m);

/* backend.c: the runtime (src/maps, src/vm), behind one interface. */
int backend_map_create(struct hive_object_map *m, struct ldr_log *log);
void backend_map_free(struct hive_object_map *m);
/* Fill a map-in-map's `.values` slots; all maps must exist. */
int backend_map_init_slots(struct hive_object *obj, struct hive_object_map *m, struct ldr_log *log);
int backend_prog_load(struct hive_program *p, const struct hive_object_load_opts *opts,
		      struct ldr_log *log);
/* The maps as the verifier sees them (imm = index), then the inner-map
 * templates: *nmaps rows, malloc'd. */
struct hive_verify_map *backend_verify_maps(const struct hive_object *obj, size_t *nmaps);
void backend_prog_free(struct hive_program *p);

/* }===== */

#endif
