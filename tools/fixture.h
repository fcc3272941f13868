/* Test fixtures for `hive test-run`, independent of hive's library so that
 * the kernel-side recorder of tests/fixtures (libbpf) shares them:
 *  - the maps file: {"MAP": [{"key": "HEX", "value"|"prog"|"map"|"inner": ...}]}
 *    read into a plain description (fixture_spec), nothing applied;
 *  - map dumps: entries collected from any source, written as JSON in one
 *    canonical order (maps by name, entries by key bytes), so that hive's
 *    output and the kernel's compare as text;
 *  - a run's result as JSON, and packets from a pcap/pcapng file.
 * Errors: 0 or a negative errno, with "FILE:LINE: ..." in @err. */
#ifndef HIVE_TOOLS_FIXTURE_H
#define HIVE_TOOLS_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* {===== the maps file */

enum fixture_slot {
	FIXTURE_VALUE, /* "value": raw bytes */
	FIXTURE_PROG,  /* "prog": a program of the object (prog arrays) */
	FIXTURE_MAP,   /* "map": a map of the object (maps of maps) */
	FIXTURE_INNER, /* "inner": a new map described inline (maps of maps) */
};

struct fixture_inner;

struct fixture_entry {
	int line;                  /* of the entry in the file */
	bool has_key;
	uint8_t *key;
	size_t key_size;
	enum fixture_slot kind;
	uint8_t *value;            /* FIXTURE_VALUE */
	size_t value_size;
	char *name;                /* FIXTURE_PROG, FIXTURE_MAP */
	struct fixture_inner *inner; /* FIXTURE_INNER */
};

struct fixture_entries {
	struct fixture_entry *v;
	size_t n;
};

/* An inline inner map; -1 in a number: take it from the outer map's template. */
struct fixture_inner {
	int line;
	int64_t type, key_size, value_size, max_entries, map_flags;
	struct fixture_entries entries;
};

struct fixture_map {
	char *name;
	int line;
	struct fixture_entries entries;
};

struct fixture_spec {
	char *path;
	struct fixture_map *maps; /* in file order */
	size_t n;
};

/* Read and check the shape of @path (hex well-formed, fields known); sizes
 * are checked when applied, against the maps. */
int fixture_spec_read(const char *path, struct fixture_spec **out, char *err, size_t errsz);
/* The same from @size bytes at @text; @path names it in messages. */
int fixture_spec_parse(const char *text, size_t size, const char *path, struct fixture_spec **out, char *err,
		       size_t errsz);
void fixture_spec_free(struct fixture_spec *spec);

/* Map type names (Linux's, without BPF_MAP_TYPE_, lower case): the number,
 * or -1; and the name, or NULL. */
int fixture_map_type_parse(const char *name);
const char *fixture_map_type_name(uint32_t type);

/* }===== */

/* {===== map dumps */

struct fixture_dump;

struct fixture_dump_entry {
	uint8_t *key;
	size_t key_size;
	enum fixture_slot kind;
	uint8_t *value;            /* FIXTURE_VALUE */
	size_t value_size;
	char *name;                /* FIXTURE_PROG, FIXTURE_MAP */
	struct fixture_dump *inner; /* FIXTURE_INNER */
};

struct fixture_dump {
	char *name;
	uint32_t type, key_size, value_size, max_entries, map_flags;
	struct fixture_dump_entry *v;
	size_t n, cap;
};

/* A new empty dump of a map (NULL when out of memory). */
struct fixture_dump *fixture_dump_new(const char *name, uint32_t type, uint32_t key_size, uint32_t value_size,
				      uint32_t max_entries, uint32_t map_flags);
/* Append an entry; @value/@name/@inner by kind (@inner is taken over).
 * -ENOMEM. */
int fixture_dump_add(struct fixture_dump *d, const void *key, size_t key_size, enum fixture_slot kind,
		     const void *value, size_t value_size, const char *name, struct fixture_dump *inner);
void fixture_dump_free(struct fixture_dump *d);
/* Write {"NAME": [entries], ...} for @n dumps: maps by name, entries by
 * key bytes (memcmp order), each {"key": HEX} with "value": HEX,
 * "prog": NAME, "map": NAME or "inner": {type, sizes, "entries": [...]}. */
void fixture_dumps_write(FILE *f, struct fixture_dump **dumps, size_t n);

/* }===== */

/* {===== results and inputs */

struct fixture_result {
	const char *prog;
	int err;                   /* non-zero: {"error": err, "errmsg": ..., "fault_pc": ...} */
	const char *errmsg;
	uint32_t fault_pc;
	uint32_t retval;
	const uint8_t *data_out;   /* NULL: no packet */
	size_t data_size;
	const uint8_t *ctx_out;
	size_t ctx_size;
	bool has_duration;
	uint32_t duration_ns;
};

/* One result object, left open ("{...") so that "maps" can follow; the
 * caller writes the closing brace. */
void fixture_result_write(FILE *f, const struct fixture_result *r);
void fixture_hex(FILE *f, const void *p, size_t n);
void fixture_json_string(FILE *f, const char *s);

struct fixture_packet {
	uint8_t *data;
	uint32_t len;
};
/* The packets of a pcap or pcapng file (Ethernet link type), appended to
 * *@pkts (realloc'd; *@n updated). */
int fixture_pcap_read(const char *path, struct fixture_packet **pkts, size_t *n, char *err, size_t errsz);

/* }===== */

#endif
