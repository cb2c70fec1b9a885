// SPDX-License-Identifier: GPL-2.0-only
/*
 * The global KVA allocator of Linux 3.18 (mm/vmalloc.c: the vmap area cache
 * of 2.6.39 without the guard page between areas, the walk along
 * vmap_area_list, the 3.5 rbtree), as C, built with gcc -O2 on the machine
 * that runs `vmapsim bench`: the kernel's own code on the bench streams,
 * timed in the same run as the port. Transcribed from
 * kernel/mm/vmalloc/linux-3.18.ts (torvalds/linux @ 7ebdfaa52d15,
 * docs/sources.md); alloc_vmap_area here, __free_vmap_area in vmap_cache.h, the rest
 * (2.6.39's: PTEs cleared at the lazy free) in vmap_area.h. The touch counts
 * it prints must equal the kernel's figures (713.5 and 28.2 per
 * allocation); a test checks them.
 */
#include "rbtree-3.5.h"
#include "list.h"
#include "replay.h"

#define UNMAP_AT_LAZY_FREE
#include "vmap_area.h"

#include "vmap_cache.h"

static inline int list_is_last(const struct list_head *list, const struct list_head *head)
{
	return list->next == head;
}

static struct vmap_area *alloc_vmap_area(unsigned long size, unsigned long align,
					 unsigned long vstart, unsigned long vend)
{
	struct vmap_area *va;
	struct rb_node *n;
	unsigned long addr;
	int purged = 0;
	struct vmap_area *first;

	BUG_ON(!size);
	BUG_ON(size & ~PAGE_MASK);
	BUG_ON(!is_power_of_2(align));

	va = kmem_cache_alloc_va(sizeof(struct vmap_area));
	if (!va)
		return NULL;

retry:
	if (!free_vmap_cache ||
	    size < cached_hole_size ||
	    vstart < cached_vstart ||
	    align < cached_align) {
nocache:
		cached_hole_size = 0;
		free_vmap_cache = NULL;
	}
	cached_vstart = vstart;
	cached_align = align;

	if (free_vmap_cache) {
		first = rb_entry(free_vmap_cache, struct vmap_area, rb_node);
		addr = ALIGN(first->va_end, align);
		if (addr < vstart)
			goto nocache;
		if (addr + size < addr)
			goto overflow;
	} else {
		addr = ALIGN(vstart, align);
		if (addr + size < addr)
			goto overflow;

		n = vmap_area_root.rb_node;
		first = NULL;

		while (n) {
			struct vmap_area *tmp;
			tmp = rb_entry(n, struct vmap_area, rb_node);
			if (tmp->va_end >= addr) {
				first = tmp;
				if (tmp->va_start <= addr)
					break;
				n = n->rb_left;
			} else
				n = n->rb_right;
		}

		if (!first)
			goto found;
	}

	while (addr + size > first->va_start && addr + size <= vend) {
		if (addr + cached_hole_size < first->va_start)
			cached_hole_size = first->va_start - addr;
		addr = ALIGN(first->va_end, align);
		if (addr + size < addr)
			goto overflow;

		if (list_is_last(&first->list, &vmap_area_list))
			goto found;

		first = list_entry(first->list.next, struct vmap_area, list);
	}

found:
	if (addr + size > vend)
		goto overflow;

	va->va_start = addr;
	va->va_end = addr + size;
	va->flags = 0;
	__insert_vmap_area(va);
	free_vmap_cache = &va->rb_node;

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
REPLAY_MAIN(struct vmap_area, (void)0)
