/* ELF through libelf: sections, symbols and relocations of a BPF object.
 *
 * Only what clang writes for -target bpf is accepted: ELF64, little-endian,
 * ET_REL, EM_BPF, REL (not RELA) relocations. Every index read from the
 * file (section links, symbol sections, relocation symbols) is checked
 * here, so the rest of the loader trusts ldr_elf. */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

enum { ELF_MAX_SECS = 1u << 16, ELF_MAX_SYMS = 1u << 22 };

static bool elf_has_pfx(const char *s, const char *pfx)
{
	return strncmp(s, pfx, strlen(pfx)) == 0;
}

const char *elf_sec_name(const struct ldr_elf *elf, size_t idx)
{
	return idx < elf->nsecs && elf->secs[idx].name ? elf->secs[idx].name : "<bad section>";
}

const struct ldr_reloc *elf_reloc_at(const struct ldr_sec *sec, uint64_t off)
{
	size_t lo = 0, hi = sec->nrelos;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sec->relos[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < sec->nrelos && sec->relos[lo].off == off ? &sec->relos[lo] : NULL;
}

static enum ldr_sec_kind elf_classify(const char *name, const GElf_Shdr *sh)
{
	if (sh->sh_type == SHT_SYMTAB)
		return SK_SYMTAB;
	if (sh->sh_type == SHT_REL)
		return SK_RELO;
	if (strcmp(name, "license") == 0)
		return SK_LICENSE;
	if (strcmp(name, "version") == 0)
		return SK_VERSION;
	if (strcmp(name, ".maps") == 0)
		return SK_MAPS;
	if (strcmp(name, "maps") == 0)
		return SK_LEGACY_MAPS;
	if (strcmp(name, ".BTF") == 0)
		return SK_BTF;
	if (strcmp(name, ".BTF.ext") == 0)
		return SK_BTF_EXT;
	if (sh->sh_type == SHT_PROGBITS && (sh->sh_flags & SHF_EXECINSTR))
		return strcmp(name, ".text") == 0 ? SK_TEXT : SK_PROG;
	if (sh->sh_type == SHT_PROGBITS && (strcmp(name, ".data") == 0 || elf_has_pfx(name, ".data.")))
		return SK_DATA;
	if (sh->sh_type == SHT_PROGBITS && (strcmp(name, ".rodata") == 0 || elf_has_pfx(name, ".rodata.")))
		return SK_RODATA;
	if (sh->sh_type == SHT_NOBITS && (strcmp(name, ".bss") == 0 || elf_has_pfx(name, ".bss.")))
		return SK_BSS;
	return SK_OTHER;
}

static int elf_cmp_reloc(const void *a, const void *b)
{
	const struct ldr_reloc *x = a, *y = b;
	return (x->off > y->off) - (x->off < y->off);
}

static int elf_read_symtab(struct ldr_elf *e, Elf *elf, size_t idx, struct ldr_log *log)
{
	struct ldr_sec *s = &e->secs[idx];
	if (e->syms)
		return ldr_err(log, -EINVAL, "elf: %s: more than one symbol table", s->name);
	if (s->link == 0 || s->link >= e->nsecs || e->secs[s->link].type != SHT_STRTAB)
		return ldr_err(log, -EINVAL, "elf: %s: " LDR_E_STRTAB " %u", s->name, s->link);
	Elf_Data *d = elf_getdata(elf_getscn(elf, idx), NULL);
	if (!d || d->d_size != s->size)
		return ldr_err(log, -EINVAL, "elf: %s: unreadable: %s", s->name, elf_errmsg(-1));
	size_t n = s->size / sizeof(Elf64_Sym);
	if (n > ELF_MAX_SYMS)
		return ldr_err(log, -E2BIG, "elf: %s: %zu symbols is too many", s->name, n);
	e->syms = ldr_calloc(n ? n : 1, sizeof(*e->syms));
	if (!e->syms)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym sym;
		if (!gelf_getsym(d, (int)i, &sym))
			return ldr_err(log, -EINVAL, "elf: %s: symbol %zu unreadable", s->name, i);
		const char *name = elf_strptr(elf, s->link, sym.st_name);
		if (!name)
			return ldr_err(log, -EINVAL, "elf: %s: symbol %zu: bad name offset %u", s->name, i, sym.st_name);
		if (sym.st_shndx >= e->nsecs && sym.st_shndx != SHN_ABS && sym.st_shndx != SHN_COMMON)
			return ldr_err(log, -EINVAL, "elf: symbol '%s': " LDR_E_SYM_SECTION " %u", name, sym.st_shndx);
		e->syms[i] = (struct ldr_sym){name, sym.st_value, sym.st_size, sym.st_shndx,
					      GELF_ST_BIND(sym.st_info), GELF_ST_TYPE(sym.st_info),
					      GELF_ST_VISIBILITY(sym.st_other)};
	}
	e->nsyms = n;
	return 0;
}

static int elf_read_relos(struct ldr_elf *e, Elf *elf, size_t idx, struct ldr_log *log)
{
	struct ldr_sec *s = &e->secs[idx];
	if (s->info == 0 || s->info >= e->nsecs)
		return ldr_err(log, -EINVAL, "elf: %s: " LDR_E_RELO_TARGET " %u", s->name, s->info);
	struct ldr_sec *t = &e->secs[s->info];
	/* relocations of debug info and BTF concern DWARF consumers, not us */
	if (t->kind != SK_PROG && t->kind != SK_TEXT && t->kind != SK_MAPS)
		return 0;
	if (t->relos)
		return ldr_err(log, -EINVAL, "elf: %s: second relocation section for %s", s->name, t->name);
	Elf_Data *d = elf_getdata(elf_getscn(elf, idx), NULL);
	if (!d || d->d_size != s->size)
		return ldr_err(log, -EINVAL, "elf: %s: unreadable: %s", s->name, elf_errmsg(-1));
	size_t n = s->size / sizeof(Elf64_Rel);
	if (n > ELF_MAX_SYMS)
		return ldr_err(log, -E2BIG, "elf: %s: %zu relocations is too many", s->name, n);
	t->relos = ldr_calloc(n ? n : 1, sizeof(*t->relos));
	if (!t->relos)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		GElf_Rel rel;
		if (!gelf_getrel(d, (int)i, &rel))
			return ldr_err(log, -EINVAL, "elf: %s: relocation %zu unreadable", s->name, i);
		uint64_t sym = GELF_R_SYM(rel.r_info);
		if (sym >= e->nsyms)
			return ldr_err(log, -EINVAL, "elf: %s+0x%llx: " LDR_E_RELO_SYM " %llu of %zu", t->name,
				       (unsigned long long)rel.r_offset, (unsigned long long)sym, e->nsyms);
		if (rel.r_offset >= t->size)
			return ldr_err(log, -EINVAL, "elf: %s: relocation %zu at 0x%llx " LDR_E_PAST_SECTION " (%llu bytes)",
				       t->name, i, (unsigned long long)rel.r_offset, (unsigned long long)t->size);
		t->relos[i] = (struct ldr_reloc){rel.r_offset, (uint32_t)GELF_R_TYPE(rel.r_info), (uint32_t)sym};
	}
	t->nrelos = n;
	qsort(t->relos, n, sizeof(*t->relos), elf_cmp_reloc);
	for (size_t i = 1; i < n; i++)
		if (t->relos[i].off == t->relos[i - 1].off)
			return ldr_err(log, -EINVAL, "elf: %s+0x%llx: two relocations", t->name,
				       (unsigned long long)t->relos[i].off);
	return 0;
}

int elf_open(const uint8_t *data, size_t size, struct ldr_log *log, struct ldr_elf *e)
{
	memset(e, 0, sizeof(*e));
	e->text_idx = e->btf_idx = e->btf_ext_idx = e->maps_idx = e->legacy_maps_idx = -1;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return ldr_err(log, -EINVAL, "elf: libelf: %s", elf_errmsg(-1));
	if (size < EI_NIDENT || memcmp(data, ELFMAG, SELFMAG) != 0)
		return ldr_err(log, -EINVAL, "elf: " LDR_E_NOT_ELF);
	if (data[EI_CLASS] != ELFCLASS64)
		return ldr_err(log, -EINVAL, "elf: " LDR_E_NOT_ELF64 " (class %u): not a BPF object", data[EI_CLASS]);
	if (data[EI_DATA] != ELFDATA2LSB)
		return ldr_err(log, -EINVAL, "elf: " LDR_E_BIG_ENDIAN " (byte order %u)",
			       data[EI_DATA]);
	Elf *elf = elf_memory((char *)data, size);
	if (!elf)
		return ldr_err(log, -EINVAL, "elf: %s", elf_errmsg(-1));
	e->elf = elf;
	GElf_Ehdr eh;
	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh))
		return ldr_err(log, -EINVAL, "elf: bad ELF header: %s", elf_errmsg(-1));
	if (eh.e_machine != EM_BPF)
		return ldr_err(log, -EINVAL, "elf: machine %u " LDR_E_NOT_BPF ": not a BPF object", eh.e_machine);
	if (eh.e_type != ET_REL)
		return ldr_err(log, -EINVAL, "elf: type %u " LDR_E_NOT_REL ": not a BPF object file", eh.e_type);
	size_t nsecs, shstrndx;
	if (elf_getshdrnum(elf, &nsecs) || elf_getshdrstrndx(elf, &shstrndx))
		return ldr_err(log, -EINVAL, "elf: bad section headers: %s", elf_errmsg(-1));
	if (nsecs > ELF_MAX_SECS)
		return ldr_err(log, -E2BIG, "elf: %zu sections is too many", nsecs);
	if (shstrndx == 0 || shstrndx >= nsecs)
		return ldr_err(log, -EINVAL, "elf: bad section name table index %zu", shstrndx);
	e->secs = ldr_calloc(nsecs ? nsecs : 1, sizeof(*e->secs));
	if (!e->secs)
		return -ENOMEM;
	e->nsecs = nsecs;
	e->secs[0].name = "";
	e->secs[0].map_idx = -1;
	for (size_t i = 1; i < nsecs; i++) {
		struct ldr_sec *s = &e->secs[i];
		Elf_Scn *scn = elf_getscn(elf, i);
		GElf_Shdr sh;
		s->map_idx = -1;
		if (!scn || !gelf_getshdr(scn, &sh))
			return ldr_err(log, -EINVAL, "elf: section %zu: bad header: %s", i, elf_errmsg(-1));
		s->name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!s->name)
			return ldr_err(log, -EINVAL, "elf: section %zu: bad name offset %u", i, sh.sh_name);
		s->type = sh.sh_type;
		s->flags = sh.sh_flags;
		s->size = sh.sh_size;
		s->link = sh.sh_link;
		s->info = sh.sh_info;
		s->kind = elf_classify(s->name, &sh);
		if (sh.sh_type == SHT_RELA)
			return ldr_err(log, -EINVAL, "elf: %s: RELA relocations are not used by BPF", s->name);
		if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL && sh.sh_size > 0) {
			if (sh.sh_offset > size || sh.sh_size > size - sh.sh_offset)
				return ldr_err(log, -EINVAL, "elf: %s: [0x%llx, +0x%llx) " LDR_E_PAST_END " of the file (%zu bytes)",
					       s->name, (unsigned long long)sh.sh_offset,
					       (unsigned long long)sh.sh_size, size);
			/* only the sections we read: libelf converts nothing on a LE host */
			if (s->kind != SK_OTHER && s->kind != SK_SYMTAB && s->kind != SK_RELO)
				s->data = data + sh.sh_offset;
		}
		switch (s->kind) {
		case SK_TEXT: e->text_idx = (int)i; break;
		case SK_BTF: e->btf_idx = (int)i; break;
		case SK_BTF_EXT: e->btf_ext_idx = (int)i; break;
		case SK_MAPS: e->maps_idx = (int)i; break;
		case SK_LEGACY_MAPS: e->legacy_maps_idx = (int)i; break;
		default: break;
		}
		if ((s->kind == SK_PROG || s->kind == SK_TEXT) && s->size % 8)
			return ldr_err(log, -EINVAL, "elf: %s: size %llu is not a multiple of 8", s->name,
				       (unsigned long long)s->size);
		if (strcmp(s->name, ".struct_ops") == 0 || strcmp(s->name, ".struct_ops.link") == 0)
			return ldr_err(log, -EOPNOTSUPP, "elf: %s: struct_ops maps are not supported", s->name);
	}
	for (size_t i = 1; i < nsecs; i++)
		if (e->secs[i].kind == SK_SYMTAB) {
			int err = elf_read_symtab(e, elf, i, log);
			if (err)
				return err;
		}
	if (!e->syms)
		return ldr_err(log, -EINVAL, "elf: no symbol table");
	for (size_t i = 1; i < nsecs; i++)
		if (e->secs[i].kind == SK_RELO) {
			int err = elf_read_relos(e, elf, i, log);
			if (err)
				return err;
		}
	return 0;
}

void elf_close(struct ldr_elf *e)
{
	if (e->secs)
		for (size_t i = 0; i < e->nsecs; i++)
			free(e->secs[i].relos);
	free(e->secs);
	free(e->syms);
	if (e->elf)
		elf_end(e->elf);
	memset(e, 0, sizeof(*e));
}
