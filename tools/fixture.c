/* Test fixtures for `hive test-run` (see fixture.h): the maps file, map
 * dumps, results and pcap input. libc and libpcap only: the kernel-side
 * recorder in tests/fixtures compiles this file too. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

/* {===== a small JSON reader: a tree with line numbers */

enum fj_type { FJ_NULL, FJ_BOOL, FJ_NUM, FJ_STR, FJ_ARR, FJ_OBJ };

struct fj {
	enum fj_type t;
	int line;
	char *str;       /* FJ_STR */
	int64_t num;     /* FJ_NUM (integers only), FJ_BOOL */
	size_t n;        /* FJ_ARR, FJ_OBJ */
	struct fj *items;
	char **keys;     /* FJ_OBJ */
};

struct fj_parser {
	const char *s, *p, *path;
	char *err;
	size_t errsz;
	int depth;
};

static int fj_line(const struct fj_parser *j)
{
	int line = 1;
	for (const char *q = j->s; q < j->p; q++)
		line += *q == '\n';
	return line;
}

static int fj_fail(struct fj_parser *j, const char *fmt, ...)
{
	int len = snprintf(j->err, j->errsz, "%s:%d: ", j->path, fj_line(j));
	if (len >= 0 && (size_t)len < j->errsz) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(j->err + len, j->errsz - (size_t)len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static void fj_ws(struct fj_parser *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

static void fj_free(struct fj *v)
{
	if (!v)
		return;
	free(v->str);
	for (size_t i = 0; i < v->n; i++) {
		fj_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
}

/* A string with the simple escapes (\" \\ \/ \b \f \n \r \t); \u is refused. */
static int fj_string(struct fj_parser *j, char **out)
{
	j->p++; /* the opening quote */
	const char *start = j->p;
	size_t n = 0;
	while (*j->p && *j->p != '"') {
		if (*j->p == '\\')
			j->p++;
		if (!*j->p)
			break;
		if ((unsigned char)*j->p < 0x20)
			return fj_fail(j, "control character in a string");
		j->p++;
		n++;
	}
	if (*j->p != '"')
		return fj_fail(j, "unterminated string");
	char *s = malloc(n + 1), *d = s;
	if (!s)
		return -ENOMEM;
	for (const char *q = start; q < j->p; q++) {
		if (*q != '\\') {
			*d++ = *q;
			continue;
		}
		switch (*++q) {
		case '"': case '\\': case '/': *d++ = *q; break;
		case 'b': *d++ = '\b'; break;
		case 'f': *d++ = '\f'; break;
		case 'n': *d++ = '\n'; break;
		case 'r': *d++ = '\r'; break;
		case 't': *d++ = '\t'; break;
		default:
			free(s);
			return fj_fail(j, "unsupported escape '\\%c' in a string", *q);
		}
	}
	*d = '\0';
	j->p++;
	*out = s;
	return 0;
}

static int fj_value(struct fj_parser *j, struct fj *v);

static int fj_push(struct fj *v, size_t *cap, struct fj *item, char *key)
{
	if (v->n == *cap) {
		size_t nc = *cap ? 2 * *cap : 4;
		struct fj *ni = realloc(v->items, nc * sizeof(*ni));
		if (!ni)
			return -ENOMEM;
		v->items = ni;
		if (v->t == FJ_OBJ) {
			char **nk = realloc(v->keys, nc * sizeof(*nk));
			if (!nk)
				return -ENOMEM;
			v->keys = nk;
		}
		*cap = nc;
	}
	v->items[v->n] = *item;
	if (v->t == FJ_OBJ)
		v->keys[v->n] = key;
	v->n++;
	return 0;
}

static int fj_container(struct fj_parser *j, struct fj *v, char close)
{
	size_t cap = 0;
	j->p++;
	fj_ws(j);
	if (*j->p == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		char *key = NULL;
		int err;
		fj_ws(j);
		if (!*j->p)
			return fj_fail(j, "unexpected end of the file");
		if (close == '}') {
			if (*j->p != '"')
				return fj_fail(j, "expected a member name in quotes");
			if ((err = fj_string(j, &key)))
				return err;
			fj_ws(j);
			if (*j->p != ':') {
				err = fj_fail(j, "expected ':' after \"%s\"", key);
				free(key);
				return err;
			}
			j->p++;
		}
		struct fj item = {0};
		if ((err = fj_value(j, &item)) || (err = fj_push(v, &cap, &item, key))) {
			fj_free(&item);
			free(key);
			return err;
		}
		fj_ws(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p == close) {
			j->p++;
			return 0;
		}
		return fj_fail(j, "expected ',' or '%c'", close);
	}
}

static int fj_value(struct fj_parser *j, struct fj *v)
{
	fj_ws(j);
	v->line = fj_line(j);
	if (*j->p == '{' || *j->p == '[') {
		if (++j->depth > 32)
			return fj_fail(j, "nested too deeply");
		v->t = *j->p == '{' ? FJ_OBJ : FJ_ARR;
		int err = fj_container(j, v, *j->p == '{' ? '}' : ']');
		j->depth--;
		return err;
	}
	if (*j->p == '"') {
		v->t = FJ_STR;
		return fj_string(j, &v->str);
	}
	if (*j->p == '-' || isdigit((unsigned char)*j->p)) {
		char *end;
		errno = 0;
		long long n = strtoll(j->p, &end, 10);
		if (errno || *end == '.' || *end == 'e' || *end == 'E')
			return fj_fail(j, "only integers that fit 64 bits are numbers here");
		v->t = FJ_NUM;
		v->num = n;
		j->p = end;
		return 0;
	}
	static const struct {
		const char *word;
		enum fj_type t;
		int64_t num;
	} words[] = {{"true", FJ_BOOL, 1}, {"false", FJ_BOOL, 0}, {"null", FJ_NULL, 0}};
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (!strncmp(j->p, words[i].word, strlen(words[i].word))) {
			j->p += strlen(words[i].word);
			v->t = words[i].t;
			v->num = words[i].num;
			return 0;
		}
	return *j->p ? fj_fail(j, "not JSON here: '%.10s'", j->p) : fj_fail(j, "unexpected end of the file");
}

/* }===== */

/* {===== the maps file */

struct fs_ctx {
	const char *path;
	char *err;
	size_t errsz;
};

static int fs_fail(const struct fs_ctx *c, int line, const char *fmt, ...)
{
	int len = snprintf(c->err, c->errsz, "%s:%d: ", c->path, line);
	if (len >= 0 && (size_t)len < c->errsz) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err + len, c->errsz - (size_t)len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const char *const fixture_type_names[] = {
	[0] = "unspec", [1] = "hash", [2] = "array", [3] = "prog_array", [4] = "perf_event_array",
	[5] = "percpu_hash", [6] = "percpu_array", [7] = "stack_trace", [8] = "cgroup_array",
	[9] = "lru_hash", [10] = "lru_percpu_hash", [11] = "lpm_trie", [12] = "array_of_maps",
	[13] = "hash_of_maps", [14] = "devmap", [15] = "sockmap", [16] = "cpumap", [17] = "xskmap",
	[18] = "sockhash", [19] = "cgroup_storage", [20] = "reuseport_sockarray",
	[21] = "percpu_cgroup_storage", [22] = "queue", [23] = "stack", [24] = "sk_storage",
	[25] = "devmap_hash", [26] = "struct_ops", [27] = "ringbuf", [28] = "inode_storage",
	[29] = "task_storage", [30] = "bloom_filter", [31] = "user_ringbuf", [32] = "cgrp_storage",
	[33] = "arena",
};

int fixture_map_type_parse(const char *name)
{
	for (size_t i = 1; i < sizeof fixture_type_names / sizeof *fixture_type_names; i++)
		if (fixture_type_names[i] && !strcmp(name, fixture_type_names[i]))
			return (int)i;
	return -1;
}

const char *fixture_map_type_name(uint32_t type)
{
	return type < sizeof fixture_type_names / sizeof *fixture_type_names ? fixture_type_names[type] : NULL;
}

static int fs_hex(const struct fs_ctx *c, const struct fj *v, const char *what, uint8_t **out, size_t *size)
{
	if (v->t != FJ_STR)
		return fs_fail(c, v->line, "\"%s\" must be a string of hex digits", what);
	size_t len = strlen(v->str);
	if (len % 2)
		return fs_fail(c, v->line, "\"%s\": an odd number of hex digits (%zu)", what, len);
	uint8_t *b = malloc(len / 2 ? len / 2 : 1);
	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		int ch = (unsigned char)v->str[i];
		if (!isxdigit(ch)) {
			free(b);
			return fs_fail(c, v->line, "\"%s\": '%c' at %zu is not a hex digit", what, ch, i);
		}
		int d = isdigit(ch) ? ch - '0' : tolower(ch) - 'a' + 10;
		if (i % 2 == 0)
			b[i / 2] = (uint8_t)(d << 4);
		else
			b[i / 2] |= (uint8_t)d;
	}
	*out = b;
	*size = len / 2;
	return 0;
}

static void fs_entries_free(struct fixture_entries *es);

static void fs_inner_free(struct fixture_inner *in)
{
	if (!in)
		return;
	fs_entries_free(&in->entries);
	free(in);
}

static void fs_entries_free(struct fixture_entries *es)
{
	for (size_t i = 0; i < es->n; i++) {
		free(es->v[i].key);
		free(es->v[i].value);
		free(es->v[i].name);
		fs_inner_free(es->v[i].inner);
	}
	free(es->v);
	es->v = NULL;
	es->n = 0;
}

static int fs_entries(const struct fs_ctx *c, const struct fj *arr, const char *map, struct fixture_entries *out);

static int fs_inner(const struct fs_ctx *c, const struct fj *v, const char *map, size_t idx,
		    struct fixture_inner **out)
{
	if (v->t != FJ_OBJ)
		return fs_fail(c, v->line, "map '%s' entry %zu: \"inner\" must be an object", map, idx);
	struct fixture_inner *in = calloc(1, sizeof(*in));
	if (!in)
		return -ENOMEM;
	in->line = v->line;
	in->type = in->key_size = in->value_size = in->max_entries = in->map_flags = -1;
	int err = 0;
	for (size_t i = 0; !err && i < v->n; i++) {
		const char *k = v->keys[i];
		const struct fj *f = &v->items[i];
		int64_t *num = !strcmp(k, "key_size")      ? &in->key_size
			       : !strcmp(k, "value_size")  ? &in->value_size
			       : !strcmp(k, "max_entries") ? &in->max_entries
			       : !strcmp(k, "map_flags")   ? &in->map_flags
							   : NULL;
		if (!strcmp(k, "type")) {
			int t = f->t == FJ_STR ? fixture_map_type_parse(f->str) : f->t == FJ_NUM ? (int)f->num : -1;
			if (t <= 0 || (f->t == FJ_NUM && (f->num <= 0 || f->num > 1000)))
				err = fs_fail(c, f->line, "map '%s' entry %zu: inner \"type\": not a map type (\"array\", \"hash\", ... or a number)",
					      map, idx);
			in->type = t;
		} else if (num) {
			if (f->t != FJ_NUM || f->num < 0 || f->num > UINT32_MAX)
				err = fs_fail(c, f->line, "map '%s' entry %zu: inner \"%s\" must be a number 0..2^32-1",
					      map, idx, k);
			else
				*num = f->num;
		} else if (!strcmp(k, "entries") && in->entries.v) {
			err = fs_fail(c, f->line, "map '%s' entry %zu: inner: \"entries\" twice", map, idx);
		} else if (!strcmp(k, "entries")) {
			char name[300];
			snprintf(name, sizeof name, "%s[%zu].inner", map, idx);
			err = fs_entries(c, f, name, &in->entries);
		} else {
			err = fs_fail(c, f->line, "map '%s' entry %zu: inner: unknown field \"%s\" (type, key_size, value_size, max_entries, map_flags, entries)",
				      map, idx, k);
		}
	}
	if (err) {
		fs_inner_free(in);
		return err;
	}
	*out = in;
	return 0;
}

static int fs_entry(const struct fs_ctx *c, const struct fj *v, const char *map, size_t idx,
		    struct fixture_entry *e)
{
	if (v->t != FJ_OBJ)
		return fs_fail(c, v->line, "map '%s' entry %zu: an entry is an object {\"key\": HEX, \"value\": HEX}", map,
			       idx);
	e->line = v->line;
	int slots = 0, err = 0;
	for (size_t i = 0; !err && i < v->n; i++) {
		const char *k = v->keys[i];
		const struct fj *f = &v->items[i];
		if (!strcmp(k, "key")) {
			if (e->has_key)
				return fs_fail(c, f->line, "map '%s' entry %zu: \"key\" twice", map, idx);
			err = fs_hex(c, f, "key", &e->key, &e->key_size);
			e->has_key = true;
			continue;
		}
		if (slots++)
			return fs_fail(c, f->line, "map '%s' entry %zu: give one of \"value\", \"prog\", \"map\", \"inner\"",
				       map, idx);
		if (!strcmp(k, "value")) {
			e->kind = FIXTURE_VALUE;
			err = fs_hex(c, f, "value", &e->value, &e->value_size);
		} else if (!strcmp(k, "prog") || !strcmp(k, "map")) {
			e->kind = k[0] == 'p' ? FIXTURE_PROG : FIXTURE_MAP;
			if (f->t != FJ_STR || !f->str[0])
				return fs_fail(c, f->line, "map '%s' entry %zu: \"%s\" must be a name", map, idx, k);
			if (!(e->name = strdup(f->str)))
				return -ENOMEM;
		} else if (!strcmp(k, "inner")) {
			e->kind = FIXTURE_INNER;
			err = fs_inner(c, f, map, idx, &e->inner);
		} else {
			return fs_fail(c, f->line, "map '%s' entry %zu: unknown field \"%s\" (key, value, prog, map, inner)",
				       map, idx, k);
		}
	}
	if (!err && !slots)
		err = fs_fail(c, v->line, "map '%s' entry %zu: no \"value\" (or \"prog\", \"map\", \"inner\")", map, idx);
	return err;
}

static int fs_entries(const struct fs_ctx *c, const struct fj *arr, const char *map, struct fixture_entries *out)
{
	if (arr->t != FJ_ARR)
		return fs_fail(c, arr->line, "map '%s': its entries must be an array [{\"key\": ..., \"value\": ...}, ...]",
			       map);
	out->v = calloc(arr->n ? arr->n : 1, sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	for (size_t i = 0; i < arr->n; i++) {
		out->n = i + 1;
		int err = fs_entry(c, &arr->items[i], map, i, &out->v[i]);
		if (err)
			return err;
	}
	return 0;
}

void fixture_spec_free(struct fixture_spec *spec)
{
	if (!spec)
		return;
	for (size_t i = 0; i < spec->n; i++) {
		free(spec->maps[i].name);
		fs_entries_free(&spec->maps[i].entries);
	}
	free(spec->maps);
	free(spec->path);
	free(spec);
}

static char *fs_read_file(const char *path, size_t *size)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (n + 1 >= cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				errno = ENOMEM;
				break;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0) {
			if (ferror(f)) {
				free(buf);
				buf = NULL;
				errno = EIO;
			}
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	if (buf) {
		buf[n] = '\0';
		*size = n;
	}
	return buf;
}

int fixture_spec_parse(const char *text, size_t size, const char *path, struct fixture_spec **out, char *err,
		       size_t errsz)
{
	char *copy = malloc(size + 1);
	if (!copy) {
		snprintf(err, errsz, "%s: out of memory", path);
		return -ENOMEM;
	}
	memcpy(copy, text, size);
	copy[size] = '\0';
	struct fj_parser j = {.s = copy, .p = copy, .path = path, .err = err, .errsz = errsz};
	struct fj root = {0};
	struct fs_ctx c = {.path = path, .err = err, .errsz = errsz};
	struct fixture_spec *spec = calloc(1, sizeof(*spec));
	int rc = spec ? 0 : -ENOMEM;
	if (!rc && strlen(copy) != size)
		rc = fs_fail(&c, 1, "a NUL byte in the file");
	if (!rc)
		rc = fj_value(&j, &root);
	if (!rc) {
		fj_ws(&j);
		if (*j.p)
			rc = fj_fail(&j, "text after the end of the JSON value");
	}
	if (!rc && root.t != FJ_OBJ)
		rc = fs_fail(&c, root.line, "the file must be an object {\"MAP_NAME\": [entries], ...}");
	if (!rc && !(spec->path = strdup(path)))
		rc = -ENOMEM;
	if (!rc && !(spec->maps = calloc(root.n ? root.n : 1, sizeof(*spec->maps))))
		rc = -ENOMEM;
	for (size_t i = 0; !rc && i < root.n; i++) {
		struct fixture_map *m = &spec->maps[i];
		spec->n = i + 1;
		m->line = root.items[i].line;
		if (!(m->name = strdup(root.keys[i])))
			rc = -ENOMEM;
		else
			rc = fs_entries(&c, &root.items[i], m->name, &m->entries);
	}
	fj_free(&root);
	free(copy);
	if (rc == -ENOMEM)
		snprintf(err, errsz, "%s: out of memory", path);
	if (rc) {
		fixture_spec_free(spec);
		return rc;
	}
	*out = spec;
	return 0;
}

int fixture_spec_read(const char *path, struct fixture_spec **out, char *err, size_t errsz)
{
	size_t size;
	char *text = fs_read_file(path, &size);
	if (!text) {
		int e = errno ? errno : EIO;
		snprintf(err, errsz, "%s: %s", path, strerror(e));
		return -e;
	}
	int rc = fixture_spec_parse(text, size, path, out, err, errsz);
	free(text);
	return rc;
}

/* }===== */

/* {===== map dumps */

struct fixture_dump *fixture_dump_new(const char *name, uint32_t type, uint32_t key_size, uint32_t value_size,
				      uint32_t max_entries, uint32_t map_flags)
{
	struct fixture_dump *d = calloc(1, sizeof(*d));
	if (!d || !(d->name = strdup(name ? name : ""))) {
		free(d);
		return NULL;
	}
	d->type = type, d->key_size = key_size, d->value_size = value_size;
	d->max_entries = max_entries, d->map_flags = map_flags;
	return d;
}

int fixture_dump_add(struct fixture_dump *d, const void *key, size_t key_size, enum fixture_slot kind,
		     const void *value, size_t value_size, const char *name, struct fixture_dump *inner)
{
	if (d->n == d->cap) {
		size_t nc = d->cap ? 2 * d->cap : 16;
		struct fixture_dump_entry *nv = realloc(d->v, nc * sizeof(*nv));
		if (!nv) {
			fixture_dump_free(inner);
			return -ENOMEM;
		}
		d->v = nv;
		d->cap = nc;
	}
	struct fixture_dump_entry *e = &d->v[d->n];
	*e = (struct fixture_dump_entry){.key_size = key_size, .kind = kind, .value_size = value_size, .inner = inner};
	e->key = malloc(key_size ? key_size : 1);
	e->value = kind == FIXTURE_VALUE ? malloc(value_size ? value_size : 1) : NULL;
	e->name = name ? strdup(name) : NULL;
	if (!e->key || (kind == FIXTURE_VALUE && !e->value) || (name && !e->name)) {
		free(e->key);
		free(e->value);
		free(e->name);
		fixture_dump_free(inner);
		return -ENOMEM;
	}
	memcpy(e->key, key, key_size);
	if (e->value)
		memcpy(e->value, value, value_size);
	d->n++;
	return 0;
}

void fixture_dump_free(struct fixture_dump *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].key);
		free(d->v[i].value);
		free(d->v[i].name);
		fixture_dump_free(d->v[i].inner);
	}
	free(d->v);
	free(d->name);
	free(d);
}

void fixture_hex(FILE *f, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", ((const uint8_t *)p)[i]);
}

void fixture_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static int fd_entry_cmp(const void *a, const void *b)
{
	const struct fixture_dump_entry *x = a, *y = b;
	size_t n = x->key_size < y->key_size ? x->key_size : y->key_size;
	int c = memcmp(x->key, y->key, n);
	return c ? c : (x->key_size > y->key_size) - (x->key_size < y->key_size);
}

static int fd_name_cmp(const void *a, const void *b)
{
	const struct fixture_dump *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

static void fd_entries_write(FILE *f, struct fixture_dump *d)
{
	if (d->n)
		qsort(d->v, d->n, sizeof(*d->v), fd_entry_cmp);
	fputc('[', f);
	for (size_t i = 0; i < d->n; i++) {
		const struct fixture_dump_entry *e = &d->v[i];
		fprintf(f, "%s{\"key\":\"", i ? "," : "");
		fixture_hex(f, e->key, e->key_size);
		fputc('"', f);
		switch (e->kind) {
		case FIXTURE_VALUE:
			fprintf(f, ",\"value\":\"");
			fixture_hex(f, e->value, e->value_size);
			fputc('"', f);
			break;
		case FIXTURE_PROG:
		case FIXTURE_MAP:
			fprintf(f, ",\"%s\":", e->kind == FIXTURE_PROG ? "prog" : "map");
			fixture_json_string(f, e->name ? e->name : "");
			break;
		case FIXTURE_INNER: {
			const struct fixture_dump *in = e->inner;
			const char *tn = fixture_map_type_name(in->type);
			fprintf(f, ",\"inner\":{\"type\":");
			if (tn)
				fprintf(f, "\"%s\"", tn);
			else
				fprintf(f, "%u", in->type);
			fprintf(f, ",\"key_size\":%u,\"value_size\":%u,\"max_entries\":%u", in->key_size, in->value_size,
				in->max_entries);
			if (in->map_flags)
				fprintf(f, ",\"map_flags\":%u", in->map_flags);
			fprintf(f, ",\"entries\":");
			fd_entries_write(f, e->inner);
			fputc('}', f);
			break;
		}
		}
		fputc('}', f);
	}
	fputc(']', f);
}

void fixture_dumps_write(FILE *f, struct fixture_dump **dumps, size_t n)
{
	if (n)
		qsort(dumps, n, sizeof(*dumps), fd_name_cmp);
	fputc('{', f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s", i ? "," : "");
		fixture_json_string(f, dumps[i]->name);
		fputc(':', f);
		fd_entries_write(f, dumps[i]);
	}
	fputc('}', f);
}

/* }===== */

/* {===== results and inputs */

void fixture_result_write(FILE *f, const struct fixture_result *r)
{
	if (r->err) {
		fprintf(f, "{\"error\":%d,\"errmsg\":", r->err);
		fixture_json_string(f, r->errmsg ? r->errmsg : "");
		fprintf(f, ",\"fault_pc\":%u", r->fault_pc);
		return;
	}
	fprintf(f, "{\"prog\":");
	fixture_json_string(f, r->prog ? r->prog : "");
	fprintf(f, ",\"retval\":%u,\"data_out\":\"", r->retval);
	if (r->data_out)
		fixture_hex(f, r->data_out, r->data_size);
	fprintf(f, "\",\"ctx_out\":\"");
	if (r->ctx_out)
		fixture_hex(f, r->ctx_out, r->ctx_size);
	fputc('"', f);
	if (r->has_duration)
		fprintf(f, ",\"duration_ns\":%u", r->duration_ns);
}

int fixture_pcap_read(const char *path, struct fixture_packet **pkts, size_t *n, char *err, size_t errsz)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, errbuf);
	if (!pc) {
		snprintf(err, errsz, "%s: %s", path, errbuf);
		return -EINVAL;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		snprintf(err, errsz, "%s: link type %s; only Ethernet captures hold packets for XDP and tc", path,
			 pcap_datalink_val_to_name(pcap_datalink(pc)));
		pcap_close(pc);
		return -EINVAL;
	}
	struct pcap_pkthdr *h;
	const u_char *bytes;
	int r, rc = 0;
	size_t start = *n;
	while ((r = pcap_next_ex(pc, &h, &bytes)) == 1) {
		struct fixture_packet *np = realloc(*pkts, (*n + 1) * sizeof(*np));
		uint8_t *data = malloc(h->caplen ? h->caplen : 1);
		if (np)
			*pkts = np;
		if (!np || !data) {
			free(data);
			snprintf(err, errsz, "%s: out of memory", path);
			rc = -ENOMEM;
			break;
		}
		if (h->caplen < h->len) {
			free(data);
			snprintf(err, errsz, "%s: packet %zu was cut to %u of its %u bytes when captured", path,
				 *n - start + 1, h->caplen, h->len);
			rc = -EINVAL;
			break;
		}
		memcpy(data, bytes, h->caplen);
		(*pkts)[*n] = (struct fixture_packet){.data = data, .len = h->caplen};
		(*n)++;
	}
	if (!rc && r == PCAP_ERROR) {
		snprintf(err, errsz, "%s: %s (after %zu packets)", path, pcap_geterr(pc), *n - start);
		rc = -EINVAL;
	}
	pcap_close(pc);
	return rc;
}

/* }===== */
