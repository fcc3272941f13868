/* Subcommands of the hive CLI, one per cmd_*.c; each returns the exit code. */
#ifndef HIVE_TOOLS_CMD_H
#define HIVE_TOOLS_CMD_H

#include <stdbool.h>
#include <stdio.h>

int cmd_run(int argc, char **argv);
int cmd_conformance_plugin(int argc, char **argv);
int cmd_asm(int argc, char **argv);     /* tools/cmd_asm.c */
int cmd_disasm(int argc, char **argv);  /* tools/cmd_asm.c */
int cmd_prog(int argc, char **argv);    /* tools/cmd_object.c: hive prog show OBJ */
int cmd_map(int argc, char **argv);     /* tools/cmd_object.c: hive map show OBJ */
int cmd_map_dump(int argc, char **argv); /* tools/cmd_map_dump.c: hive map dump OBJ MAP */
int cmd_map_dispatch(int argc, char **argv); /* tools/cmd_map_dump.c: map dump, else cmd_map */
int cmd_objdump(int argc, char **argv); /* tools/cmd_object.c: hive disasm OBJ.o [--prog NAME] */
int cmd_test_run(int argc, char **argv); /* tools/cmd_testrun.c: hive test-run OBJ.o ... */
int cmd_verify(int argc, char **argv);  /* tools/cmd_verify.c */
int cmd_xdp(int argc, char **argv);     /* tools/cmd_xdp.c: hive xdp OBJ.o --pcap IN ... */
int cmd_uprobe(int argc, char **argv);  /* tools/cmd_uprobe.c: hive uprobe OBJ.o (--pid PID | -- CMD) */

struct hive_object;
/* Seed an object's maps from {"MAP": [{"key": "HEX", "value": "HEX"}...]} (tools/tool_maps_json.c;
 * the format in tools/fixture.h): read @path and tool_maps_apply it; maps made for "inner"
 * entries live until the process exits. */
int tool_maps_seed(struct hive_object *obj, const char *path, char *err, size_t errsz);
struct fixture_spec;
struct tool_maps; /* maps made for "inner" entries */
/* Apply a maps file to the loaded @obj in file order (BPF_ANY); the maps it makes go to
 * *@owned (allocated if NULL; free with tool_maps_free after closing @obj). */
int tool_maps_apply(struct hive_object *obj, const struct fixture_spec *spec, struct tool_maps **owned, char *err,
		    size_t errsz);
void tool_maps_free(struct tool_maps *owned);
/* Write {"MAP": [{"key": HEX, "value": HEX}...], ...}: every map of @obj but the internal and
 * keyless ones, maps by name, entries by key bytes; prog-array slots as "prog": NAME,
 * map-in-map slots as "map": NAME or "inner": {...}; per-CPU values all CPUs' slots. */
int tool_maps_dump(FILE *f, const struct hive_object *obj);

struct hive_prog;
struct hive_jit_opts;
/* JIT-compile @prog for --jit (tools/cmd_run.c). On a host without a JIT backend
 * say so once and clear *@jit: the run goes on on the interpreter. */
int tool_jit(struct hive_prog *prog, const struct hive_jit_opts *opts, bool *jit);

/* Read a whole file (or "-" for stdin); NUL-terminated; NULL + errno on failure. */
char *tool_read_file(const char *path, size_t *size);
/* Load a program file: raw bytecode (.bin/.o-less) or assembly (.s, .asm). */
int tool_load_insns(const char *path, struct hive_insn **insns, size_t *cnt, char *err, size_t errsz);

#endif
