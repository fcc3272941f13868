/* The loader's one door to the runtime: creating maps and loading
 * programs. Kept apart so that the loader builds and is tested before the
 * maps (src/maps) and the VM (src/vm) are on main; wiring them is a change
 * to this file only:
 *   backend_map_create -> hive_map_create(m->type, m->name, key, value,
 *                         max_entries, {map_flags, numa_node, inner}) and
 *                         the initial value written to element 0;
 *   backend_prog_load  -> hive_prog_load(p->insns, p->cnt, opts) once the
 *                         VM resolves the map indexes of LDDW (hive.h). */
#include <errno.h>

#include "loader/loader.h"

int backend_map_create(struct hive_object_map *m, struct ldr_log *log)
{
	return ldr_err(log, -EOPNOTSUPP, "load: map '%s': maps not available yet (src/maps not merged)", m->name);
}

void backend_map_free(struct hive_object_map *m)
{
	m->map = NULL;
}

int backend_prog_load(struct hive_program *p, const struct hive_object_load_opts *opts, struct ldr_log *log)
{
	(void)opts;
	return ldr_err(log, -EOPNOTSUPP, "load: prog '%s': the VM is not available yet (hive_prog_load not merged)",
		       p->name);
}

void backend_prog_free(struct hive_program *p)
{
	p->prog = NULL;
}
