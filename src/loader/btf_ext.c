/* .BTF.ext: per-section function info, line info and CO-RE relocations.
 *
 *   header: magic 0xeB9F, version 1, flags, hdr_len,
 *           func_info_off/len, line_info_off/len [, core_relo_off/len]
 *   each info block:  u32 rec_size, then per ELF section
 *                     { u32 sec_name_off; u32 num_info; rec[num_info] }
 *
 * Records name instructions by byte offset in their ELF section; we keep
 * instruction indexes. Records larger than we know are allowed (newer
 * compilers append fields); smaller ones are refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"

enum { EXT_HDR_MIN = 24, EXT_HDR_CORE = 32, EXT_FUNC_MIN = 8, EXT_LINE_MIN = 16, EXT_CORE_MIN = 16 };

struct ext_hdr {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len;
	uint32_t func_off, func_len, line_off, line_len, core_off, core_len;
};

enum ext_what { EXT_FUNC, EXT_LINE, EXT_CORE };
static const char *const ext_what_name[] = {"func_info", "line_info", "core_relo"};
static const uint32_t ext_min_rec[] = {EXT_FUNC_MIN, EXT_LINE_MIN, EXT_CORE_MIN};

static uint32_t ext_u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

const struct btf_ext_sec *btf_ext_sec(const struct btf_ext *ext, uint32_t sec_idx)
{
	if (!ext)
		return NULL;
	for (uint32_t i = 0; i < ext->nsecs; i++)
		if (ext->secs[i].sec_idx == sec_idx)
			return &ext->secs[i];
	return NULL;
}

static struct btf_ext_sec *ext_sec_get(struct btf_ext *ext, uint32_t sec_idx)
{
	struct btf_ext_sec *s = (struct btf_ext_sec *)btf_ext_sec(ext, sec_idx);
	if (s)
		return s;
	s = ldr_reallocarray(ext->secs, ext->nsecs + 1, sizeof(*s));
	if (!s)
		return NULL;
	ext->secs = s;
	s = &ext->secs[ext->nsecs++];
	memset(s, 0, sizeof(*s));
	s->sec_idx = sec_idx;
	return s;
}

static int ext_cmp_line(const void *a, const void *b)
{
	const struct btf_line *x = a, *y = b;
	return (x->insn > y->insn) - (x->insn < y->insn);
}

static int ext_cmp_func(const void *a, const void *b)
{
	const struct btf_func *x = a, *y = b;
	return (x->insn > y->insn) - (x->insn < y->insn);
}

static int ext_cmp_core(const void *a, const void *b)
{
	const struct btf_core *x = a, *y = b;
	return (x->insn > y->insn) - (x->insn < y->insn);
}

static int ext_parse_block(struct btf_ext *ext, enum ext_what what, const uint8_t *p, uint32_t len,
			   const struct btf *btf, const struct ldr_elf *elf, struct ldr_log *log)
{
	const char *wn = ext_what_name[what];
	if (len == 0)
		return 0;
	if (len < 4)
		return ldr_err(log, -EINVAL, "btf.ext: %s: %u bytes is too short", wn, len);
	uint32_t rec = ext_u32(p);
	if (rec < ext_min_rec[what] || rec % 4 || rec > 1024)
		return ldr_err(log, -EINVAL, "btf.ext: %s: bad record size %u", wn, rec);
	uint32_t off = 4;
	while (off < len) {
		if (len - off < 8)
			return ldr_err(log, -EINVAL, "btf.ext: %s+0x%x: truncated section header", wn, off);
		uint32_t name_off = ext_u32(p + off), n = ext_u32(p + off + 4);
		off += 8;
		if (name_off >= btf->str_len)
			return ldr_err(log, -EINVAL, "btf.ext: %s+0x%x: bad section name offset %u", wn, off - 8,
				       name_off);
		const char *sname = btf_str(btf, name_off);
		if (n == 0)
			return ldr_err(log, -EINVAL, "btf.ext: %s: section '%s' has no records", wn, sname);
		if ((uint64_t)n * rec > len - off)
			return ldr_err(log, -EINVAL, "btf.ext: %s: section '%s': %u records of %u bytes run past the end",
				       wn, sname, n, rec);
		size_t sidx = 0;
		for (size_t i = 1; i < elf->nsecs; i++)
			if (strcmp(elf->secs[i].name, sname) == 0) {
				sidx = i;
				break;
			}
		if (!sidx)
			return ldr_err(log, -EINVAL, "btf.ext: %s: no ELF section named '%s'", wn, sname);
		const struct ldr_sec *es = &elf->secs[sidx];
		struct btf_ext_sec *s = ext_sec_get(ext, (uint32_t)sidx);
		if (!s)
			return -ENOMEM;
		uint32_t *cnt = what == EXT_FUNC ? &s->nfuncs : what == EXT_LINE ? &s->nlines : &s->ncores;
		void **arr = what == EXT_FUNC ? (void **)&s->funcs : what == EXT_LINE ? (void **)&s->lines
										      : (void **)&s->cores;
		size_t esz = what == EXT_FUNC ? sizeof(struct btf_func)
			   : what == EXT_LINE ? sizeof(struct btf_line) : sizeof(struct btf_core);
		void *na = ldr_reallocarray(*arr, (size_t)*cnt + n, esz);
		if (!na)
			return -ENOMEM;
		*arr = na;
		for (uint32_t i = 0; i < n; i++, off += rec) {
			const uint8_t *r = p + off;
			uint32_t insn_off = ext_u32(r);
			if (insn_off % 8 || insn_off >= es->size)
				return ldr_err(log, -EINVAL, "btf.ext: %s: %s+0x%x: not an instruction of the section",
					       wn, sname, insn_off);
			uint32_t idx = insn_off / 8;
			if (what == EXT_FUNC) {
				uint32_t tid = ext_u32(r + 4);
				const struct btf_t *t = btf_type(btf, tid);
				if (!t || btf_kind(t) != BTF_K_FUNC)
					return ldr_err(log, -EINVAL, "btf.ext: func_info: %s+0x%x: type %u is not a FUNC",
						       sname, insn_off, tid);
				s->funcs[s->nfuncs++] = (struct btf_func){idx, tid};
			} else if (what == EXT_LINE) {
				uint32_t f = ext_u32(r + 4), l = ext_u32(r + 8), lc = ext_u32(r + 12);
				if (f >= btf->str_len || l >= btf->str_len)
					return ldr_err(log, -EINVAL, "btf.ext: line_info: %s+0x%x: bad string offset",
						       sname, insn_off);
				s->lines[s->nlines++] = (struct btf_line){idx, f, l, lc >> 10, lc & 0x3ff};
			} else {
				uint32_t tid = ext_u32(r + 4), acc = ext_u32(r + 8), kind = ext_u32(r + 12);
				if (tid == 0 || tid >= btf->nr_types || acc >= btf->str_len)
					return ldr_err(log, -EINVAL, "btf.ext: core_relo: %s+0x%x: bad type %u or access string",
						       sname, insn_off, tid);
				s->cores[s->ncores++] = (struct btf_core){idx, tid, acc, kind};
			}
		}
	}
	return 0;
}

int btf_ext_parse(const void *data, size_t size, const struct btf *btf, const struct ldr_elf *elf,
		  struct ldr_log *log, struct btf_ext **out)
{
	struct ext_hdr h = {0};
	*out = NULL;
	if (!btf)
		return ldr_err(log, -EINVAL, "btf.ext: present without .BTF");
	if (size < EXT_HDR_MIN)
		return ldr_err(log, -EINVAL, "btf.ext: %zu bytes is shorter than a header", size);
	memcpy(&h, data, EXT_HDR_MIN);
	if (h.magic != 0xeB9F || h.version != 1)
		return ldr_err(log, -EINVAL, "btf.ext: bad magic 0x%04x or version %u", h.magic, h.version);
	if (h.hdr_len < EXT_HDR_MIN || h.hdr_len > size)
		return ldr_err(log, -EINVAL, "btf.ext: bad header length %u", h.hdr_len);
	if (h.hdr_len >= EXT_HDR_CORE)
		memcpy(&h.core_off, (const uint8_t *)data + 24, 8);
	const uint8_t *body = (const uint8_t *)data + h.hdr_len;
	uint64_t blen = size - h.hdr_len;
	uint32_t offs[3] = {h.func_off, h.line_off, h.core_off}, lens[3] = {h.func_len, h.line_len, h.core_len};
	struct btf_ext *ext = ldr_calloc(1, sizeof(*ext));
	if (!ext)
		return -ENOMEM;
	for (int w = 0; w < 3; w++) {
		if ((uint64_t)offs[w] + lens[w] > blen || (lens[w] && offs[w] % 4)) {
			btf_ext_free(ext);
			return ldr_err(log, -EINVAL, "btf.ext: %s [%u, +%u) outside the section (%llu bytes)",
				       ext_what_name[w], offs[w], lens[w], (unsigned long long)blen);
		}
		int err = ext_parse_block(ext, (enum ext_what)w, body + offs[w], lens[w], btf, elf, log);
		if (err) {
			btf_ext_free(ext);
			return err;
		}
	}
	for (uint32_t i = 0; i < ext->nsecs; i++) {
		struct btf_ext_sec *s = &ext->secs[i];
		if (s->nlines)
			qsort(s->lines, s->nlines, sizeof(*s->lines), ext_cmp_line);
		if (s->nfuncs)
			qsort(s->funcs, s->nfuncs, sizeof(*s->funcs), ext_cmp_func);
		if (s->ncores)
			qsort(s->cores, s->ncores, sizeof(*s->cores), ext_cmp_core);
	}
	*out = ext;
	return 0;
}

void btf_ext_free(struct btf_ext *ext)
{
	if (!ext)
		return;
	for (uint32_t i = 0; i < ext->nsecs; i++) {
		free(ext->secs[i].funcs);
		free(ext->secs[i].lines);
		free(ext->secs[i].cores);
	}
	free(ext->secs);
	free(ext);
}
