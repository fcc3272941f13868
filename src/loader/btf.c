/* .BTF: the type table of an object (or of a kernel, for CO-RE).
 *
 * Layout (include/uapi/linux/btf.h):
 *
 *   +--------------+ 0
 *   | btf_header   |  magic 0xeB9F, version 1, hdr_len, type_off/len, str_off/len
 *   +--------------+ hdr_len
 *   | types ...    |  at hdr_len + type_off: btf_t, then kind-specific extra
 *   | strings ...  |  at hdr_len + str_off: NUL-separated, starting with ""
 *   +--------------+
 *
 * Every type is checked once at parse time (size of its record, the ids it
 * names, its name offset), so that the rest of the loader can follow ids
 * without bounds checks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"

enum { BTF_MAGIC_ = 0xeB9F, BTF_HDR_MIN = 24, BTF_MAX_TYPES = 1u << 20, BTF_MAX_DEPTH = 32 };

struct btf_hdr {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len, type_off, type_len, str_off, str_len;
};

static const char *const btf_kind_names[] = {
	"UNKN", "INT", "PTR", "ARRAY", "STRUCT", "UNION", "ENUM", "FWD", "TYPEDEF", "VOLATILE",
	"CONST", "RESTRICT", "FUNC", "FUNC_PROTO", "VAR", "DATASEC", "FLOAT", "DECL_TAG",
	"TYPE_TAG", "ENUM64",
};

const char *btf_kind_name(unsigned kind)
{
	return kind <= BTF_K__MAX ? btf_kind_names[kind] : "?";
}

/* Bytes that follow a btf_t of this kind, or -1 for an unknown kind. */
static int64_t btf_extra_size(const struct btf_t *t)
{
	uint64_t vlen = btf_vlen(t);
	switch (btf_kind(t)) {
	case BTF_K_INT: return 4;
	case BTF_K_PTR: case BTF_K_FWD: case BTF_K_TYPEDEF: case BTF_K_VOLATILE:
	case BTF_K_CONST: case BTF_K_RESTRICT: case BTF_K_FUNC: case BTF_K_FLOAT:
	case BTF_K_TYPE_TAG:
		return 0;
	case BTF_K_ARRAY: return sizeof(struct btf_arr);
	case BTF_K_STRUCT: case BTF_K_UNION: return (int64_t)(vlen * sizeof(struct btf_m));
	case BTF_K_ENUM: return (int64_t)(vlen * sizeof(struct btf_en));
	case BTF_K_ENUM64: return (int64_t)(vlen * sizeof(struct btf_en64));
	case BTF_K_FUNC_PROTO: return (int64_t)(vlen * sizeof(struct btf_param));
	case BTF_K_VAR: return 4;
	case BTF_K_DATASEC: return (int64_t)(vlen * sizeof(struct btf_vsi));
	case BTF_K_DECL_TAG: return 4;
	default: return -1;
	}
}

const struct btf_t *btf_type(const struct btf *btf, uint32_t id)
{
	static const struct btf_t void_t = {0, 0, 0};
	if (!btf || id >= btf->nr_types)
		return NULL;
	return id ? btf->types[id] : &void_t;
}

const char *btf_str(const struct btf *btf, uint32_t off)
{
	if (!btf || off >= btf->str_len)
		return "";
	return btf->strs + off;
}

const char *btf_name(const struct btf *btf, uint32_t id)
{
	const struct btf_t *t = btf_type(btf, id);
	return t ? btf_str(btf, t->name_off) : "";
}

static bool btf_is_mod(unsigned kind)
{
	return kind == BTF_K_TYPEDEF || kind == BTF_K_VOLATILE || kind == BTF_K_CONST ||
	       kind == BTF_K_RESTRICT || kind == BTF_K_TYPE_TAG;
}

const struct btf_t *btf_skip_mods(const struct btf *btf, uint32_t id, uint32_t *id_out)
{
	const struct btf_t *t = btf_type(btf, id);
	for (int depth = 0; t && btf_is_mod(btf_kind(t)); depth++) {
		if (depth > BTF_MAX_DEPTH)
			return NULL;
		id = t->size_type;
		t = btf_type(btf, id);
	}
	if (id_out)
		*id_out = id;
	return t;
}

int64_t btf_resolve_size(const struct btf *btf, uint32_t id)
{
	uint64_t nelems = 1;
	for (int depth = 0; depth < BTF_MAX_DEPTH; depth++) {
		const struct btf_t *t = btf_type(btf, id);
		if (!t)
			return -EINVAL;
		uint64_t size;
		switch (btf_kind(t)) {
		case BTF_K_INT: case BTF_K_STRUCT: case BTF_K_UNION: case BTF_K_ENUM:
		case BTF_K_ENUM64: case BTF_K_DATASEC: case BTF_K_FLOAT:
			size = t->size_type;
			goto done;
		case BTF_K_PTR:
			size = 8;
			goto done;
		case BTF_K_TYPEDEF: case BTF_K_VOLATILE: case BTF_K_CONST: case BTF_K_RESTRICT:
		case BTF_K_VAR: case BTF_K_TYPE_TAG:
			id = t->size_type;
			break;
		case BTF_K_ARRAY: {
			const struct btf_arr *a = btf_extra(t);
			if (nelems && a->nelems > UINT32_MAX / nelems)
				return -E2BIG;
			nelems *= a->nelems;
			id = a->type;
			break;
		}
		default:
			return -EINVAL;
		}
		continue;
done:
		if (nelems && size > UINT32_MAX / nelems)
			return -E2BIG;
		return (int64_t)(size * nelems);
	}
	return -ELOOP;
}

uint32_t btf_find(const struct btf *btf, const char *name, unsigned kind)
{
	if (!btf)
		return 0;
	for (uint32_t id = 1; id < btf->nr_types; id++) {
		const struct btf_t *t = btf->types[id];
		if (btf_kind(t) == kind && strcmp(btf_str(btf, t->name_off), name) == 0)
			return id;
	}
	return 0;
}

/* Check the ids and names a type refers to, now that the count is known. */
static int btf_check_type(const struct btf *btf, uint32_t id, struct ldr_log *log)
{
	const struct btf_t *t = btf->types[id];
	unsigned kind = btf_kind(t), vlen = btf_vlen(t);
	uint32_t n = btf->nr_types;
#define BAD(...) ldr_err(log, -EINVAL, "btf: type [%u] %s: " __VA_ARGS__)
#define NAME_OK(off) ((off) < btf->str_len)
	if (!NAME_OK(t->name_off))
		return BAD("name offset %u past strings (%u bytes)", id, btf_kind_name(kind), t->name_off,
			   btf->str_len);
	switch (kind) {
	case BTF_K_PTR: case BTF_K_TYPEDEF: case BTF_K_VOLATILE: case BTF_K_CONST:
	case BTF_K_RESTRICT: case BTF_K_FUNC: case BTF_K_VAR: case BTF_K_TYPE_TAG:
	case BTF_K_DECL_TAG:
		if (t->size_type >= n)
			return BAD("refers to type %u of %u", id, btf_kind_name(kind), t->size_type, n);
		if (kind == BTF_K_FUNC) {
			const struct btf_t *p = btf->types[t->size_type];
			if (t->size_type == 0 || btf_kind(p) != BTF_K_FUNC_PROTO)
				return BAD("type %u is not a FUNC_PROTO", id, "FUNC", t->size_type);
		}
		break;
	case BTF_K_INT: {
		uint32_t enc = *(const uint32_t *)btf_extra(t);
		uint32_t bits = enc & 0xff, off = (enc >> 16) & 0xff;
		if (t->size_type > 16 || bits > 128 || off + bits > t->size_type * 8)
			return BAD("bad size %u / bits %u / offset %u", id, "INT", t->size_type, bits, off);
		break;
	}
	case BTF_K_ARRAY: {
		const struct btf_arr *a = btf_extra(t);
		if (a->type >= n || a->index_type >= n)
			return BAD("element type %u or index type %u out of %u", id, "ARRAY", a->type,
				   a->index_type, n);
		break;
	}
	case BTF_K_STRUCT: case BTF_K_UNION: {
		const struct btf_m *m = btf_extra(t);
		for (unsigned i = 0; i < vlen; i++)
			if (m[i].type >= n || !NAME_OK(m[i].name_off))
				return BAD("member %u: bad type %u or name", id, btf_kind_name(kind), i, m[i].type);
		break;
	}
	case BTF_K_ENUM: case BTF_K_ENUM64: {
		const uint32_t *e = btf_extra(t);
		unsigned step = kind == BTF_K_ENUM ? 2 : 3;
		for (unsigned i = 0; i < vlen; i++)
			if (!NAME_OK(e[i * step]))
				return BAD("value %u: bad name", id, btf_kind_name(kind), i);
		break;
	}
	case BTF_K_FUNC_PROTO: {
		const struct btf_param *p = btf_extra(t);
		if (t->size_type >= n)
			return BAD("return type %u out of %u", id, "FUNC_PROTO", t->size_type, n);
		for (unsigned i = 0; i < vlen; i++)
			if (p[i].type >= n || !NAME_OK(p[i].name_off))
				return BAD("param %u: bad type %u or name", id, "FUNC_PROTO", i, p[i].type);
		break;
	}
	case BTF_K_DATASEC: {
		const struct btf_vsi *v = btf_extra(t);
		for (unsigned i = 0; i < vlen; i++)
			if (v[i].type == 0 || v[i].type >= n)
				return BAD("var %u: bad type %u", id, "DATASEC", i, v[i].type);
		break;
	}
	default:
		break;
	}
	return 0;
#undef BAD
#undef NAME_OK
}

int btf_parse(const void *data, size_t size, struct ldr_log *log, struct btf **out)
{
	struct btf_hdr h;
	*out = NULL;
	if (size < BTF_HDR_MIN)
		return ldr_err(log, -EINVAL, "btf: %zu bytes is shorter than a header", size);
	memcpy(&h, data, sizeof(h));
	if (h.magic != BTF_MAGIC_)
		return ldr_err(log, -EINVAL, "btf: " LDR_E_BTF_MAGIC " 0x%04x (big-endian BTF is not supported)", h.magic);
	if (h.version != 1)
		return ldr_err(log, -EINVAL, "btf: unsupported version %u", h.version);
	if (h.hdr_len < BTF_HDR_MIN || h.hdr_len > size)
		return ldr_err(log, -EINVAL, "btf: " LDR_E_BTF_HDR_LEN " %u", h.hdr_len);
	/* a newer header may carry fields we do not know: they must be zero */
	for (size_t i = sizeof(h); i < h.hdr_len; i++)
		if (((const uint8_t *)data)[i])
			return ldr_err(log, -EINVAL, "btf: header byte %zu: " LDR_E_UNKNOWN_FIELD, i);
	uint64_t body = size - h.hdr_len;
	if ((uint64_t)h.type_off + h.type_len > body || (uint64_t)h.str_off + h.str_len > body)
		return ldr_err(log, -EINVAL, "btf: types [%u, +%u) or strings [%u, +%u) " LDR_E_PAST_END " (%llu bytes)",
			       h.type_off, h.type_len, h.str_off, h.str_len, (unsigned long long)body);
	if (h.type_off % 4 || h.type_len % 4)
		return ldr_err(log, -EINVAL, "btf: type section " LDR_E_BTF_ALIGN);
	if (h.type_off < h.str_off ? (uint64_t)h.type_off + h.type_len > h.str_off
				   : (uint64_t)h.str_off + h.str_len > h.type_off)
		return ldr_err(log, -EINVAL, "btf: type and string sections overlap");
	const uint8_t *strs = (const uint8_t *)data + h.hdr_len + h.str_off;
	if (h.str_len == 0 || strs[0] != '\0' || strs[h.str_len - 1] != '\0')
		return ldr_err(log, -EINVAL, "btf: string section must start and end with NUL");

	struct btf *btf = ldr_calloc(1, sizeof(*btf));
	if (!btf)
		return -ENOMEM;
	/* an own, aligned copy: types are read in place as btf_t */
	btf->raw_size = h.type_len + h.str_len;
	btf->raw = ldr_malloc(btf->raw_size);
	if (!btf->raw) {
		btf_free(btf);
		return -ENOMEM;
	}
	memcpy(btf->raw, (const uint8_t *)data + h.hdr_len + h.type_off, h.type_len);
	memcpy(btf->raw + h.type_len, strs, h.str_len);
	btf->strs = (const char *)btf->raw + h.type_len;
	btf->str_len = h.str_len;

	/* pass 1: count and index */
	size_t cap = 64;
	btf->types = ldr_calloc(cap, sizeof(*btf->types));
	if (!btf->types) {
		btf_free(btf);
		return -ENOMEM;
	}
	btf->nr_types = 1;
	for (uint32_t off = 0; off < h.type_len;) {
		if (h.type_len - off < sizeof(struct btf_t)) {
			int e = ldr_err(log, -EINVAL, "btf: type [%u] at +%u: truncated", btf->nr_types, off);
			btf_free(btf);
			return e;
		}
		const struct btf_t *t = (const struct btf_t *)(btf->raw + off);
		int64_t extra = btf_extra_size(t);
		if (extra < 0) {
			int e = ldr_err(log, -EINVAL, "btf: type [%u] at +%u: unknown kind %u", btf->nr_types, off,
				       btf_kind(t));
			btf_free(btf);
			return e;
		}
		if ((uint64_t)extra > h.type_len - off - sizeof(*t)) {
			int e = ldr_err(log, -EINVAL, "btf: type [%u] %s at +%u: %u entries run " LDR_E_PAST_END,
				       btf->nr_types, btf_kind_name(btf_kind(t)), off, btf_vlen(t));
			btf_free(btf);
			return e;
		}
		if (btf->nr_types >= BTF_MAX_TYPES) {
			btf_free(btf);
			return ldr_err(log, -E2BIG, "btf: more than %u types", BTF_MAX_TYPES);
		}
		if (btf->nr_types == cap) {
			cap *= 2;
			const struct btf_t **n = ldr_reallocarray(btf->types, cap, sizeof(*n));
			if (!n) {
				btf_free(btf);
				return -ENOMEM;
			}
			btf->types = n;
		}
		btf->types[btf->nr_types++] = t;
		off += sizeof(*t) + (uint32_t)extra;
	}
	/* pass 2: references */
	for (uint32_t id = 1; id < btf->nr_types; id++) {
		int err = btf_check_type(btf, id, log);
		if (err) {
			btf_free(btf);
			return err;
		}
	}
	*out = btf;
	return 0;
}

void btf_free(struct btf *btf)
{
	if (!btf)
		return;
	free(btf->types);
	free(btf->raw);
	free(btf);
}
