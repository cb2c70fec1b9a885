// SPDX-License-Identifier: GPL-2.0-only
/*
 * The global KVA allocator of Linux 6.1 (mm/vmalloc.c: the augmented free
 * tree, the purge tree, the per-CPU spare area for no-edge splits), as C,
 * built with gcc -O2 on the machine that runs `vmapsim bench`: the kernel's
 * own code on the bench streams, timed in the same run as the port.
 * Transcribed from kernel/mm/vmalloc/linux-6.1.ts (Debian linux-source-6.1,
 * docs/sources.md), with the 3.5 rbtree and RB_DECLARE_CALLBACKS_MAX as
 * rbtree_augmented.h expands it. One CPU; locks, the purge mutex and KASAN
 * are no-ops, the drain work runs at once, as in the port's bench
 * environment. The touch counts it prints must equal the kernel's figures
 * (82.5 and 25.5 per allocation); a test checks them.
 */
#include "rbtree-3.5.h"
#include "list.h"
#include "replay.h"

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

static struct rb_root vmap_area_root;
static LIST_HEAD(vmap_area_list);
static struct rb_root purge_vmap_area_root;
static LIST_HEAD(purge_vmap_area_list);
static struct rb_root free_vmap_area_root;
static LIST_HEAD(free_vmap_area_list);
static struct vmap_area *ne_fit_preload_node;
static long vmap_lazy_nr;

#include "free_tree.h"

#include "free_tree_6.h"

static __always_inline int
adjust_va_to_fit_type(struct rb_root *root, struct list_head *head, struct vmap_area *va, unsigned long nva_start_addr, unsigned long size)
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
		lva = ne_fit_preload_node;
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

static __always_inline unsigned long
__alloc_vmap_area(struct rb_root *root, struct list_head *head, unsigned long size, unsigned long align, unsigned long vstart, unsigned long vend)
{
	int adjust_search_size = 1;
	unsigned long nva_start_addr;
	struct vmap_area *va;
	int ret;

	if (align <= PAGE_SIZE || (align > PAGE_SIZE && (vend - vstart) == size))
		adjust_search_size = 0;

	va = find_vmap_lowest_match(root, size, align, vstart, adjust_search_size);
	if (!va)
		return vend;

	if (va->va_start > vstart)
		nva_start_addr = ALIGN(va->va_start, align);
	else
		nva_start_addr = ALIGN(vstart, align);

	if (nva_start_addr + size > vend)
		return vend;

	ret = adjust_va_to_fit_type(root, head, va, nva_start_addr, size);
	if (WARN_ON_ONCE(ret))
		return vend;

	return nva_start_addr;
}

static void free_vmap_area(struct vmap_area *va)
{
	unlink_va(va, &vmap_area_root);
	merge_or_add_vmap_area_augment(va, &free_vmap_area_root, &free_vmap_area_list);
}

static void purge_vmap_area_lazy(void);

static struct vmap_area *alloc_vmap_area(unsigned long size, unsigned long align, unsigned long vstart, unsigned long vend)
{
	struct vmap_area *va;
	unsigned long addr;
	int purged = 0;

	BUG_ON(!size);
	BUG_ON(size & ~PAGE_MASK);
	BUG_ON(!is_power_of_2(align));

	va = kmem_cache_alloc_va(sizeof(*va)); /* kmem_cache_alloc_node(vmap_area_cachep, gfp_mask, node) */
	if (!va)
		return NULL;

retry:
	preload_this_cpu_lock();
	addr = __alloc_vmap_area(&free_vmap_area_root, &free_vmap_area_list, size, align, vstart, vend);

	if (addr == vend)
		goto overflow;

	va->va_start = addr;
	va->va_end = addr + size;
	va->vm = NULL;

	insert_vmap_area(va, &vmap_area_root, &vmap_area_list);

	BUG_ON(va->va_start & (align - 1));
	BUG_ON(va->va_start < vstart);
	BUG_ON(va->va_end > vend);

	return va;

overflow:
	if (!purged) {
		purge_vmap_area_lazy();
		purged = 1;
		goto retry;
	}

	kmem_cache_free_va(va);
	return NULL;
}

static unsigned long lazy_max_pages(void)
{
	unsigned int log;

	log = fls(num_online_cpus());

	return log * (32UL * 1024 * 1024 / PAGE_SIZE);
}

static int __purge_vmap_area_lazy(unsigned long start, unsigned long end)
{
	unsigned long resched_threshold;
	struct list_head local_purge_list;
	struct vmap_area *va, *n_va;

	purge_vmap_area_root = (struct rb_root){ NULL };
	list_replace_init(&purge_vmap_area_list, &local_purge_list);

	if (list_empty(&local_purge_list))
		return 0;

	start = min(start, list_entry(local_purge_list.next, struct vmap_area, list)->va_start);

	end = max(end, list_entry(local_purge_list.prev, struct vmap_area, list)->va_end);

	flush_tlb_kernel_range(start, end);
	resched_threshold = lazy_max_pages() << 1;

	list_for_each_entry_safe(va, n_va, &local_purge_list, list) {
		unsigned long nr = (va->va_end - va->va_start) >> PAGE_SHIFT;

		va = merge_or_add_vmap_area_augment(va, &free_vmap_area_root, &free_vmap_area_list);

		if (!va)
			continue;

		vmap_lazy_nr -= nr;

		if ((unsigned long)vmap_lazy_nr < resched_threshold)
			; /* cond_resched_lock(&free_vmap_area_lock) */
	}
	return 1;
}

static void purge_vmap_area_lazy(void)
{
	purge_fragmented_blocks_allcpus();
	__purge_vmap_area_lazy(ULONG_MAX, 0);
}

static void drain_vmap_area_work(void)
{
	unsigned long nr_lazy;

	do {
		__purge_vmap_area_lazy(ULONG_MAX, 0);

		nr_lazy = vmap_lazy_nr;
	} while (nr_lazy > lazy_max_pages());
}

static void free_vmap_area_noflush(struct vmap_area *va)
{
	unsigned long nr_lazy;

	unlink_va(va, &vmap_area_root);

	nr_lazy = (vmap_lazy_nr += (va->va_end - va->va_start) >> PAGE_SHIFT);

	merge_or_add_vmap_area(va, &purge_vmap_area_root, &purge_vmap_area_list);

	if (nr_lazy > lazy_max_pages())
		drain_vmap_area_work(); /* schedule_work(&drain_vmap_work): at once here */
}

static void free_unmap_vmap_area(struct vmap_area *va)
{
	flush_cache_vunmap(va->va_start, va->va_end);
	unmap_vmap_area(va->va_start, va->va_end); /* vunmap_range_noflush */
	free_vmap_area_noflush(va);
}

/* vmap_init_free_space(): no early areas, so one free block [1, ULONG_MAX). */
static void vmap_init_free_space(void)
{
	unsigned long vmap_start = 1;
	const unsigned long vmap_end = ULONG_MAX;
	struct vmap_area *free_va;

	if (vmap_end - vmap_start) {
		free_va = kmem_cache_alloc_va(sizeof(*free_va));
		if (free_va)
			memset(free_va, 0, sizeof(*free_va));
		if (!WARN_ON_ONCE(!free_va)) {
			free_va->va_start = vmap_start;
			free_va->va_end = vmap_end;

			insert_vmap_area_augment(free_va, NULL, &free_vmap_area_root, &free_vmap_area_list);
		}
	}
}

REPLAY_MAIN(struct vmap_area, vmap_init_free_space())
