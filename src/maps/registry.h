/* The live maps (see registry.c). */
#ifndef HIVE_MAPS_REGISTRY_H
#define HIVE_MAPS_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

struct hive_map;

/* Give @map an id and make it live: 0 or -ENOMEM. */
int registry_add(struct hive_map *map);
void registry_remove(struct hive_map *map);
/* Is @p a live map? Never dereferences @p. */
bool registry_is_live(const void *p);
/* The live map with @id, or NULL. */
struct hive_map *registry_by_id(uint32_t id);
/* The first live map @pred accepts, or NULL. */
struct hive_map *registry_find_if(bool (*pred)(struct hive_map *map, const void *arg), const void *arg);

#endif
