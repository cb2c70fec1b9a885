// SPDX-License-Identifier: GPL-2.0-only
/*
 * The global KVA allocator of Linux 6.12 (mm/vmalloc.c: the augmented free
 * tree, the vmap nodes with their busy and lazy trees and size pools, the
 * per-node purge), as C, built with gcc -O2 on the machine that runs
 * `vmapsim bench`: the kernel's own code on the bench streams, timed in the
 * same run as the port. Transcribed from kernel/mm/vmalloc/linux-6.12.ts
 * (Debian linux-source-6.12, docs/sources.md); the free tree is 6.1's
 * (free_tree_6.h), the node code it shares with 7.3 is in vmap_nodes.h,
 * this file has what differs. One CPU, so one vmap node (vmap_init_nodes() keeps the
 * static single node when num_possible_cpus() is 1): node_alloc() goes to
 * the global heap and no area carries a node id, as on a one-CPU kernel.
 * Locks, the purge mutex, KASAN and the vmap_notify_list chain are no-ops;
 * the drain work runs at once, as in the port's bench environment. Its
 * touch counts must equal the port's (test/scripts/bench/native.test.ts
 * compares them op for op).
 */
#include "rbtree-3.5.h"
#include "list.h"
#include "replay.h"

#define RB_EMPTY_ROOT(root) ((root)->rb_node == NULL)
#define WARN_ON(c) (c)
#define WARN_ON_ONCE(c) (c)

struct vmap_area {
	unsigned long va_start;
	unsigned long va_end;

	struct rb_node rb_node;
	struct list_head list;

	union {
		unsigned long subtree_max_size;
		void *vm;
	};
	unsigned long flags;
};

static struct rb_root free_vmap_area_root;
static LIST_HEAD(free_vmap_area_list);
static struct vmap_area *ne_fit_preload_node;
static long vmap_lazy_nr;

#include "free_tree.h"

#include "free_tree_6.h"

/* va_clip(): 6.1's adjust_va_to_fit_type(), classifying inside. */
static __always_inline int
va_clip(struct rb_root *root, struct list_head *head, struct vmap_area *va, unsigned long nva_start_addr, unsigned long size)
{
	struct vmap_area *lva = NULL;
	enum fit_type type = classify_va_fit_type(va, nva_start_addr, size);

	if (type == FL_FIT_TYPE) {
		unlink_va_augment(va, root);
		kmem_cache_free_va(va);
	} else if (type == LE_FIT_TYPE) {
		va->va_start += size;
	} else if (type == RE_FIT_TYPE) {
		va->va_end = nva_start_addr;
	} else if (type == NE_FIT_TYPE) {
		lva = ne_fit_preload_node; /* __this_cpu_xchg(ne_fit_preload_node, NULL) */
		ne_fit_preload_node = NULL;
		if (!lva) {
			lva = kmem_cache_alloc_va(sizeof(*lva)); /* kmem_cache_alloc(vmap_area_cachep, GFP_NOWAIT) */
			if (!lva)
				return -1;
		}

		lva->va_start = va->va_start;
		lva->va_end = nva_start_addr;

		va->va_start = nva_start_addr + size;
	} else {
		return -1;
	}

	if (type != FL_FIT_TYPE) {
		augment_tree_propagate_from(va);

		if (lva)
			insert_vmap_area_augment(lva, &va->rb_node, root, head);
	}

	return 0;
}

static unsigned long
va_alloc(struct vmap_area *va, struct rb_root *root, struct list_head *head, unsigned long size, unsigned long align, unsigned long vstart, unsigned long vend)
{
	unsigned long nva_start_addr;
	int ret;

	if (va->va_start > vstart)
		nva_start_addr = ALIGN(va->va_start, align);
	else
		nva_start_addr = ALIGN(vstart, align);

	if (nva_start_addr + size > vend)
		return vend;

	ret = va_clip(root, head, va, nva_start_addr, size);
	if (WARN_ON_ONCE(ret))
		return vend;

	return nva_start_addr;
}

static __always_inline unsigned long
__alloc_vmap_area(struct rb_root *root, struct list_head *head, unsigned long size, unsigned long align, unsigned long vstart, unsigned long vend)
{
	int adjust_search_size = 1;
	unsigned long nva_start_addr;
	struct vmap_area *va;

	if (align <= PAGE_SIZE || (align > PAGE_SIZE && (vend - vstart) == size))
		adjust_search_size = 0;

	va = find_vmap_lowest_match(root, size, align, vstart, adjust_search_size);
	if (!va)
		return vend;

	nva_start_addr = va_alloc(va, root, head, size, align, vstart, vend);
	if (nva_start_addr == vend)
		return vend;

	return nva_start_addr;
}

#include "vmap_nodes.h"

/* node_alloc(): the global heap for anything but vmalloc, or with one node. */
static struct vmap_area *node_alloc(unsigned long size, unsigned long align, unsigned long vstart, unsigned long vend, unsigned long *addr, unsigned int *vn_id)
{
	(void)size;
	(void)align;

	*vn_id = 0;
	*addr = vend;

	if (vstart != VMALLOC_START || vend != VMALLOC_END || nr_vmap_nodes == 1)
		return NULL;

	return NULL; /* more than one node: not on one CPU */
}

static struct vmap_area *alloc_vmap_area(unsigned long size, unsigned long align, unsigned long vstart, unsigned long vend)
{
	struct vmap_node *vn;
	struct vmap_area *va;
	unsigned long addr;
	unsigned int vn_id;
	int purged = 0;

	if (!size || (size & ~PAGE_MASK) || !is_power_of_2(align))
		return NULL; /* ERR_PTR(-EINVAL) */

	va = node_alloc(size, align, vstart, vend, &addr, &vn_id);
	if (!va) {
		va = kmem_cache_alloc_va(sizeof(*va)); /* kmem_cache_alloc_node(vmap_area_cachep, gfp_mask, node) */
		if (!va)
			return NULL;
	}

retry:
	if (addr == vend) {
		preload_this_cpu_lock();
		addr = __alloc_vmap_area(&free_vmap_area_root, &free_vmap_area_list, size, align, vstart, vend);
		/* spin_unlock(&free_vmap_area_lock) */
	}

	if (addr == vend)
		goto overflow;

	va->va_start = addr;
	va->va_end = addr + size;
	va->vm = NULL;
	va->flags = vn_id; /* va_flags | vn_id */

	vn = addr_to_node(va->va_start);

	insert_vmap_area(va, &vn->busy.root, &vn->busy.head);

	BUG_ON(va->va_start & (align - 1));
	BUG_ON(va->va_start < vstart);
	BUG_ON(va->va_end > vend);

	return va;

overflow:
	if (!purged) {
		reclaim_and_purge_vmap_areas();
		purged = 1;
		goto retry;
	}

	/* blocking_notifier_call_chain(&vmap_notify_list, 0, &freed): nothing freed */

	kmem_cache_free_va(va);
	return NULL; /* ERR_PTR(-EBUSY) */
}

static void decay_va_pool_node(struct vmap_node *vn, int full_decay)
{
	LIST_HEAD(decay_list);
	struct rb_root decay_root = { NULL };
	struct vmap_area *va, *nva;
	unsigned long n_decay;
	int i;

	for (i = 0; i < MAX_VA_SIZE_PAGES; i++) {
		LIST_HEAD(tmp_list);

		if (list_empty(&vn->pool[i].head))
			continue;

		list_replace_init(&vn->pool[i].head, &tmp_list);

		if (full_decay)
			vn->pool[i].len = 0;

		n_decay = vn->pool[i].len >> 2;

		list_for_each_entry_safe(va, nva, &tmp_list, list) {
			list_del_init(&va->list);
			merge_or_add_vmap_area(va, &decay_root, &decay_list);

			if (!full_decay) {
				vn->pool[i].len = vn->pool[i].len - 1;

				if (!--n_decay)
					break;
			}
		}

		if (!full_decay && !list_empty(&tmp_list))
			list_replace_init(&tmp_list, &vn->pool[i].head);
	}

	reclaim_list_global(&decay_list);
}

REPLAY_MAIN(struct vmap_area, vmalloc_init())
