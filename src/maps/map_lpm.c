/* BPF_MAP_TYPE_LPM_TRIE: longest-prefix match over keys laid out as the
 * kernel's struct bpf_lpm_trie_key_u8 { u32 prefixlen; u8 data[]; }, data
 * in network (big-endian) bit order.
 *
 * The trie is the kernel's: a binary trie whose nodes hold a prefix; a node
 * whose prefix only separates two subtrees is "intermediate" (holds no
 * value). Every shape decision (where a node goes, when an intermediate node
 * appears or is removed) follows lpm_trie.c, so get_next_key walks the same
 * post-order: more specific prefixes before less specific ones, and the key
 * bytes past prefixlen come back as they were stored.
 *
 * Readers walk child pointers with acquire loads, no lock; writers take the
 * map lock; replaced and removed nodes are retired to epoch.c.
 */
#include <stdatomic.h>
#include <string.h>

#include "maps/epoch.h"
#include "maps/lock.h"
#include "maps/map.h"
#include "maps/mapmem.h"

#define LPM_CREATE_FLAG_MASK (HIVE_F_NO_PREALLOC | HIVE_F_NUMA_NODE | MAP_F_ACCESS_MASK)
enum {
	LPM_DATA_SIZE_MAX = 256,
	LPM_KEY_SIZE_MIN = 4 + 1,
	LPM_KEY_SIZE_MAX = 4 + LPM_DATA_SIZE_MAX,
	LPM_VAL_SIZE_MAX = MAP_KMALLOC_MAX - LPM_DATA_SIZE_MAX - 40,
	LPM_NODE_IM = 1, /* intermediate: no value */
};

/* Nodes are 64-byte aligned and what a lookup reads (children, prefix,
 * data) follows rcu: an IPv4 node with an 8-byte value is one cache line. */
struct lpm_node {
	struct epoch_node rcu;
	struct lpm_node *_Atomic child[2];
	uint32_t prefixlen;
	_Atomic uint32_t flags;
	_Alignas(8) uint8_t data[]; /* data_size bytes, then the value at value_off */
};

struct lpm_trie {
	struct hive_map map;
	struct lpm_node *_Atomic root;
	uint32_t n_entries;      /* under lock */
	uint32_t data_size;
	uint32_t max_prefixlen;
	uint32_t value_off;
	_Atomic uint32_t lock;
};

static struct lpm_trie *lpm_of(struct hive_map *map)
{
	return (struct lpm_trie *)map;
}

static struct lpm_node *lpm_load(struct lpm_node *_Atomic *p)
{
	return atomic_load_explicit(p, memory_order_acquire);
}

static void lpm_store(struct lpm_node *_Atomic *p, struct lpm_node *v)
{
	atomic_store_explicit(p, v, memory_order_release);
}

static int lpm_check(const struct map_attr *a)
{
	if (!a->max_entries)
		return map_log(a, -EINVAL, "lpm_trie map: max_entries 0");
	if (!(a->map_flags & HIVE_F_NO_PREALLOC))
		return map_log(a, -EINVAL, "lpm_trie map: map_flags: NO_PREALLOC is required");
	if (a->map_flags & ~LPM_CREATE_FLAG_MASK)
		return map_log(a, -EINVAL, "lpm_trie map: map_flags 0x%x: unknown flags", a->map_flags);
	if (!map_flags_access_ok(a->map_flags))
		return map_log(a, -EINVAL, "lpm_trie map: map_flags: RDONLY_PROG and WRONLY_PROG together");
	if (a->key_size < LPM_KEY_SIZE_MIN || a->key_size > LPM_KEY_SIZE_MAX)
		return map_log(a, -EINVAL, "lpm_trie map: key_size %u: must be 4 + 1..256", a->key_size);
	if (a->value_size < 1 || a->value_size > LPM_VAL_SIZE_MAX)
		return map_log(a, -EINVAL, "lpm_trie map: value_size %u out of range", a->value_size);
	return 0;
}

static int lpm_alloc(const struct map_attr *a, struct hive_map **out)
{
	struct lpm_trie *t = mapmem_alloc(sizeof *t);
	if (!t)
		return -ENOMEM;
	t->data_size = a->key_size - 4;
	t->max_prefixlen = t->data_size * 8;
	t->value_off = map_round8(t->data_size);
	*out = &t->map;
	return 0;
}

static void lpm_free_tree(struct lpm_node *n)
{
	while (n) { /* recursion on one side, loop on the other: depth <= 2049 */
		lpm_free_tree(atomic_load_explicit(&n->child[0], memory_order_relaxed));
		struct lpm_node *next = atomic_load_explicit(&n->child[1], memory_order_relaxed);
		mapmem_free(n);
		n = next;
	}
}

static void lpm_free(struct hive_map *map)
{
	lpm_free_tree(atomic_load_explicit(&lpm_of(map)->root, memory_order_relaxed));
	mapmem_free(map);
}

static void lpm_node_free_rcu(struct epoch_node *e)
{
	mapmem_free((char *)e - offsetof(struct lpm_node, rcu));
}

static void lpm_retire(struct lpm_node *n)
{
	if (n)
		epoch_retire(&n->rcu, lpm_node_free_rcu);
}

static uint32_t lpm_key_prefixlen(const void *key)
{
	uint32_t p;
	memcpy(&p, key, 4);
	return p;
}

static const uint8_t *lpm_key_data(const void *key)
{
	return (const uint8_t *)key + 4;
}

static int lpm_bit(const uint8_t *data, uint32_t index)
{
	return !!(data[index / 8] & (1 << (7 - index % 8)));
}

/* Bits in common between @node's prefix and the key's, up to the shorter. */
static inline uint32_t lpm_match(const struct lpm_trie *t, const struct lpm_node *node, const void *key)
{
	uint32_t limit = node->prefixlen < lpm_key_prefixlen(key) ? node->prefixlen : lpm_key_prefixlen(key);
	const uint8_t *kd = lpm_key_data(key), *nd = node->data;
	uint32_t prefixlen = 0, i = 0, size = t->data_size;
	/* 8, then 4 bytes at a time (big-endian bit order), then bytes */
	for (; i + 8 <= size; i += 8) {
		uint64_t a, b;
		memcpy(&a, nd + i, 8);
		memcpy(&b, kd + i, 8);
		uint64_t diff = __builtin_bswap64(a ^ b);
		if (diff) {
			prefixlen += (uint32_t)__builtin_clzll(diff);
			return prefixlen < limit ? prefixlen : limit;
		}
		prefixlen += 64;
		if (prefixlen >= limit)
			return limit;
	}
	if (i + 4 <= size) {
		uint32_t a, b;
		memcpy(&a, nd + i, 4);
		memcpy(&b, kd + i, 4);
		uint32_t diff = __builtin_bswap32(a ^ b);
		if (diff) {
			prefixlen += (uint32_t)__builtin_clz(diff);
			return prefixlen < limit ? prefixlen : limit;
		}
		prefixlen += 32;
		if (prefixlen >= limit)
			return limit;
		i += 4;
	}
	for (; i < size; i++) {
		uint8_t diff = nd[i] ^ kd[i];
		if (diff) {
			prefixlen += (uint32_t)__builtin_clz(diff) - 24;
			break;
		}
		prefixlen += 8;
		if (prefixlen >= limit)
			break;
	}
	return prefixlen < limit ? prefixlen : limit;
}

static uint8_t *lpm_value(const struct lpm_trie *t, struct lpm_node *n)
{
	return n->data + t->value_off;
}

static void *lpm_lookup(struct hive_map *map, const void *key)
{
	struct lpm_trie *t = lpm_of(map);
	struct lpm_node *found = NULL;
	if (lpm_key_prefixlen(key) > t->max_prefixlen)
		return NULL;
	for (struct lpm_node *n = lpm_load(&t->root); n;) {
		uint32_t matchlen = lpm_match(t, n, key);
		if (matchlen == t->max_prefixlen) {
			found = n;
			break;
		}
		if (matchlen < n->prefixlen)
			break;
		if (!(atomic_load_explicit(&n->flags, memory_order_acquire) & LPM_NODE_IM))
			found = n;
		n = lpm_load(&n->child[lpm_bit(lpm_key_data(key), n->prefixlen)]);
	}
	return found ? lpm_value(t, found) : NULL;
}

static struct lpm_node *lpm_node_new(struct lpm_trie *t, const void *value)
{
	struct lpm_node *n = mapmem_alloc_aligned(sizeof *n + t->value_off + (value ? t->map.value_size : 0), 64);
	if (n && value)
		memcpy(lpm_value(t, n), value, t->map.value_size);
	return n;
}

/* trie_check_add_elem: a new entry under @flags */
static long lpm_may_add(struct lpm_trie *t, uint64_t flags)
{
	if (flags == HIVE_EXIST)
		return -ENOENT;
	if (t->n_entries == t->map.max_entries)
		return -ENOSPC;
	t->n_entries++;
	return 0;
}

static long lpm_update(struct hive_map *map, const void *key, const void *value, uint64_t flags)
{
	struct lpm_trie *t = lpm_of(map);
	uint32_t prefixlen = lpm_key_prefixlen(key);
	if (flags > HIVE_EXIST)
		return -EINVAL;
	if (prefixlen > t->max_prefixlen)
		return -EINVAL;
	struct lpm_node *new_node = lpm_node_new(t, value), *free_node = NULL, *node;
	if (!new_node)
		return -ENOMEM;
	new_node->prefixlen = prefixlen;
	memcpy(new_node->data, lpm_key_data(key), t->data_size);

	long ret = 0;
	uint32_t matchlen = 0;
	lock_spin(&t->lock);
	struct lpm_node *_Atomic *slot = &t->root;
	while ((node = atomic_load_explicit(slot, memory_order_relaxed))) {
		matchlen = lpm_match(t, node, key);
		if (node->prefixlen != matchlen || node->prefixlen == prefixlen)
			break;
		slot = &node->child[lpm_bit(lpm_key_data(key), node->prefixlen)];
	}
	if (!node) { /* an empty slot */
		ret = lpm_may_add(t, flags);
		if (!ret)
			lpm_store(slot, new_node);
		goto out;
	}
	if (node->prefixlen == matchlen) { /* the same prefix: replace the node */
		if (!(atomic_load(&node->flags) & LPM_NODE_IM)) {
			if (flags == HIVE_NOEXIST) {
				ret = -EEXIST;
				goto out;
			}
		} else {
			ret = lpm_may_add(t, flags);
			if (ret)
				goto out;
		}
		atomic_store_explicit(&new_node->child[0], atomic_load(&node->child[0]), memory_order_relaxed);
		atomic_store_explicit(&new_node->child[1], atomic_load(&node->child[1]), memory_order_relaxed);
		lpm_store(slot, new_node);
		free_node = node;
		goto out;
	}
	ret = lpm_may_add(t, flags);
	if (ret)
		goto out;
	if (matchlen == prefixlen) { /* the new node is an ancestor of @node */
		atomic_store_explicit(&new_node->child[lpm_bit(node->data, matchlen)], node, memory_order_relaxed);
		lpm_store(slot, new_node);
		goto out;
	}
	struct lpm_node *im = lpm_node_new(t, NULL);
	if (!im) {
		t->n_entries--;
		ret = -ENOMEM;
		goto out;
	}
	im->prefixlen = matchlen;
	atomic_store_explicit(&im->flags, LPM_NODE_IM, memory_order_relaxed);
	memcpy(im->data, node->data, t->data_size);
	int bit = lpm_bit(lpm_key_data(key), matchlen);
	atomic_store_explicit(&im->child[bit], new_node, memory_order_relaxed);
	atomic_store_explicit(&im->child[!bit], node, memory_order_relaxed);
	lpm_store(slot, im);
out:
	lock_unspin(&t->lock);
	if (ret)
		mapmem_free(new_node);
	lpm_retire(free_node);
	return ret;
}

static long lpm_delete(struct hive_map *map, const void *key)
{
	struct lpm_trie *t = lpm_of(map);
	uint32_t prefixlen = lpm_key_prefixlen(key);
	if (prefixlen > t->max_prefixlen)
		return -EINVAL;
	struct lpm_node *node, *parent = NULL, *free_node = NULL, *free_parent = NULL;
	struct lpm_node *_Atomic *trim = &t->root, *_Atomic *trim2 = trim;
	uint32_t matchlen = 0;
	long ret = 0;

	lock_spin(&t->lock);
	while ((node = atomic_load_explicit(trim, memory_order_relaxed))) {
		matchlen = lpm_match(t, node, key);
		if (node->prefixlen != matchlen || node->prefixlen == prefixlen)
			break;
		parent = node;
		trim2 = trim;
		trim = &node->child[lpm_bit(lpm_key_data(key), node->prefixlen)];
	}
	if (!node || node->prefixlen != prefixlen || node->prefixlen != matchlen ||
	    (atomic_load(&node->flags) & LPM_NODE_IM)) {
		ret = -ENOENT;
		goto out;
	}
	t->n_entries--;
	struct lpm_node *c0 = atomic_load(&node->child[0]), *c1 = atomic_load(&node->child[1]);
	if (c0 && c1) { /* keeps its place as an intermediate node */
		atomic_store_explicit(&node->flags, LPM_NODE_IM, memory_order_release);
		goto out;
	}
	if (parent && (atomic_load(&parent->flags) & LPM_NODE_IM) && !c0 && !c1) {
		/* an intermediate parent left with one child goes too */
		struct lpm_node *p0 = atomic_load(&parent->child[0]), *p1 = atomic_load(&parent->child[1]);
		lpm_store(trim2, node == p0 ? p1 : p0);
		free_parent = parent;
		free_node = node;
		goto out;
	}
	lpm_store(trim, c0 ? c0 : c1);
	free_node = node;
out:
	lock_unspin(&t->lock);
	lpm_retire(free_parent);
	lpm_retire(free_node);
	return ret;
}

static void lpm_copy_key(const struct lpm_trie *t, const struct lpm_node *n, void *next_key)
{
	memcpy(next_key, &n->prefixlen, 4);
	memcpy((uint8_t *)next_key + 4, n->data, t->data_size);
}

static int lpm_get_next_key(struct hive_map *map, const void *key, void *next_key)
{
	struct lpm_trie *t = lpm_of(map);
	struct lpm_node *search_root = lpm_load(&t->root), *node, *next_node = NULL;
	if (!search_root)
		return -ENOENT;
	struct lpm_node **stack = NULL;
	int err = 0;
	if (!key || lpm_key_prefixlen(key) > t->max_prefixlen)
		goto find_leftmost;
	stack = mapmem_alloc((t->max_prefixlen + 1) * sizeof *stack);
	if (!stack)
		return -ENOMEM;
	/* the exact node of @key, and the path to it */
	int sp = -1;
	uint32_t matchlen = 0;
	for (node = search_root; node;) {
		stack[++sp] = node;
		matchlen = lpm_match(t, node, key);
		if (node->prefixlen != matchlen || node->prefixlen == lpm_key_prefixlen(key))
			break;
		node = lpm_load(&node->child[lpm_bit(lpm_key_data(key), node->prefixlen)]);
	}
	if (!node || node->prefixlen != matchlen || (atomic_load(&node->flags) & LPM_NODE_IM))
		goto find_leftmost;
	/* the next node in post-order */
	node = stack[sp];
	while (sp > 0) {
		struct lpm_node *parent = stack[sp - 1];
		if (lpm_load(&parent->child[0]) == node) {
			search_root = lpm_load(&parent->child[1]);
			if (search_root)
				goto find_leftmost;
		}
		if (!(atomic_load(&parent->flags) & LPM_NODE_IM)) {
			next_node = parent;
			goto copy;
		}
		node = parent;
		sp--;
	}
	err = -ENOENT;
	goto done;
find_leftmost:
	/* the leftmost non-intermediate node (intermediate ones have two children) */
	for (node = search_root; node;) {
		if (atomic_load(&node->flags) & LPM_NODE_IM) {
			node = lpm_load(&node->child[0]);
		} else {
			next_node = node;
			node = lpm_load(&node->child[0]);
			if (!node)
				node = lpm_load(&next_node->child[1]);
		}
	}
copy:
	lpm_copy_key(t, next_node, next_key);
done:
	mapmem_free(stack);
	return err;
}

const struct map_ops map_lpm_ops = {
	.name = "lpm_trie",
	.check = lpm_check,
	.alloc = lpm_alloc,
	.free = lpm_free,
	.lookup = lpm_lookup,
	.update = lpm_update,
	.delete = lpm_delete,
	.get_next_key = lpm_get_next_key,
	.batch = MAP_BATCH_LOOKUP | MAP_BATCH_UPDATE | MAP_BATCH_DELETE,
};
