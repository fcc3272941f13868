/* Seeding an object's maps from JSON before a run:
 *   {"MAP_NAME": [{"key": "HEX", "value": "HEX"}, ...], ...}
 * Raw key/value bytes as bpf_map_update_elem takes them; applied in file
 * order with BPF_ANY. The reader accepts exactly this shape (and JSON
 * whitespace); anything else is an error naming the place. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hive/hive.h"
#include "cmd.h"

struct mj {
	const char *s, *p;
	char *err;
	size_t errsz;
	const char *path;
};

static int mj_fail(struct mj *j, const char *what)
{
	int line = 1;
	for (const char *q = j->s; q < j->p; q++)
		line += *q == '\n';
	snprintf(j->err, j->errsz, "%s:%d: %s", j->path, line, what);
	return -EINVAL;
}

static void mj_ws(struct mj *j)
{
	while (isspace((unsigned char)*j->p))
		j->p++;
}

static int mj_char(struct mj *j, char c)
{
	mj_ws(j);
	if (*j->p != c) {
		char msg[64];
		snprintf(msg, sizeof(msg), "expected '%c'", c);
		return mj_fail(j, msg);
	}
	j->p++;
	return 0;
}

/* A string without escapes (map names and hex never need them). */
static int mj_string(struct mj *j, char *out, size_t size)
{
	if (mj_char(j, '"'))
		return -EINVAL;
	size_t n = 0;
	while (*j->p && *j->p != '"') {
		if (*j->p == '\\' || n + 1 >= size)
			return mj_fail(j, "string too long or with escapes");
		out[n++] = *j->p++;
	}
	if (*j->p != '"')
		return mj_fail(j, "unterminated string");
	j->p++;
	out[n] = '\0';
	return 0;
}

static int mj_hex(struct mj *j, const char *hex, uint8_t *out, size_t want, const char *what)
{
	size_t len = strlen(hex);
	char msg[160];
	if (len != 2 * want) {
		snprintf(msg, sizeof(msg), "%s is %zu bytes, the map's %s size is %zu", what, len / 2, what, want);
		return mj_fail(j, msg);
	}
	for (size_t i = 0; i < want; i++) {
		unsigned v;
		if (!isxdigit((unsigned char)hex[2 * i]) || !isxdigit((unsigned char)hex[2 * i + 1]) ||
		    sscanf(hex + 2 * i, "%2x", &v) != 1) {
			snprintf(msg, sizeof(msg), "%s is not hex", what);
			return mj_fail(j, msg);
		}
		out[i] = (uint8_t)v;
	}
	return 0;
}

int tool_maps_seed(struct hive_object *obj, const char *path, char *err, size_t errsz)
{
	size_t size;
	char *text = tool_read_file(path, &size);
	if (!text) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -errno;
	}
	struct mj j = {.s = text, .p = text, .err = err, .errsz = errsz, .path = path};
	char name[256], *hex = malloc(size + 1);
	uint8_t *key = NULL, *value = NULL;
	int rc = hex ? mj_char(&j, '{') : -ENOMEM;
	mj_ws(&j);
	bool first_map = true;
	while (!rc && *j.p != '}') {
		if (!first_map && (rc = mj_char(&j, ',')))
			break;
		first_map = false;
		if ((rc = mj_string(&j, name, sizeof(name))) || (rc = mj_char(&j, ':')) || (rc = mj_char(&j, '[')))
			break;
		struct hive_object_map *om = hive_object_find_map(obj, name);
		struct hive_map *map = om ? hive_object_map_map(om) : NULL;
		if (!map) {
			char msg[300];
			snprintf(msg, sizeof(msg), "no map named '%s' in the object", name);
			rc = mj_fail(&j, msg);
			break;
		}
		size_t ks = hive_map_key_size(map), vs = hive_map_user_value_size(map);
		free(key);
		free(value);
		key = malloc(ks ? ks : 1);
		value = malloc(vs ? vs : 1);
		mj_ws(&j);
		for (unsigned entry = 0; !rc && *j.p != ']'; entry++) {
			if (entry && (rc = mj_char(&j, ',')))
				break;
			if ((rc = mj_char(&j, '{')))
				break;
			bool have_key = false, have_value = false;
			for (int field = 0; !rc; field++) {
				mj_ws(&j);
				if (*j.p == '}') {
					j.p++;
					break;
				}
				char fname[16];
				if ((field && (rc = mj_char(&j, ','))) || (rc = mj_string(&j, fname, sizeof(fname))) ||
				    (rc = mj_char(&j, ':')) || (rc = mj_string(&j, hex, size + 1)))
					break;
				if (!strcmp(fname, "key")) {
					rc = mj_hex(&j, hex, key, ks, "key");
					have_key = true;
				} else if (!strcmp(fname, "value")) {
					rc = mj_hex(&j, hex, value, vs, "value");
					have_value = true;
				} else {
					rc = mj_fail(&j, "an entry has \"key\" and \"value\" only");
				}
			}
			if (rc)
				break;
			if (!have_key || !have_value) {
				rc = mj_fail(&j, "an entry needs both \"key\" and \"value\"");
				break;
			}
			int e = hive_map_update(map, ks ? key : NULL, value, 0); /* keyless maps: NULL */
			if (e) {
				char msg[300];
				snprintf(msg, sizeof(msg), "map '%s' entry %u: %s", name, entry,
					 e == -E2BIG ? "the map is full" : strerror(-e));
				rc = mj_fail(&j, msg);
			}
			mj_ws(&j);
		}
		if (!rc)
			rc = mj_char(&j, ']');
		mj_ws(&j);
	}
	free(key);
	free(value);
	free(hex);
	free(text);
	return rc;
}
