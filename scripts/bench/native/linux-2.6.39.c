// SPDX-License-Identifier: GPL-2.0-only
/*
 * The global KVA allocator of Linux 2.6.39 (mm/vmalloc.c with the vmap area
 * cache of 89699605fe7c: free_vmap_cache, cached_hole_size, cached_vstart,
 * cached_align; PTEs cleared at the lazy free), as C, built with gcc -O2 on
 * the machine that runs `vmapsim bench`: the kernel's own code on
 * the bench streams, timed in the same run as the port. Transcribed from
 * kernel/mm/vmalloc/linux-2.6.39.ts (docs/sources.md says where its text was
 * read); alloc_vmap_area here, the cache and __free_vmap_area in
 * vmap_cache.h, the rest in vmap_area.h. Locking, page-table work and the
 * vmap-block purge are no-ops in the
 * bench, as in the port's bench environment. The touch counts it prints must
 * equal the kernel's figures (720.1 and 28.2 per allocation); a test checks
 * them.
 */
#include "rbtree.h"
#include "list.h"
#include "replay.h"

#define UNMAP_AT_LAZY_FREE
#include "vmap_area.h"

#include "vmap_cache.h"

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
		addr = ALIGN(first->va_end + PAGE_SIZE, align);
		if (addr < vstart)
			goto nocache;
		if (addr + size - 1 < addr)
			goto overflow;
	} else {
		addr = ALIGN(vstart, align);
		if (addr + size - 1 < addr)
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

	while (addr + size >= first->va_start && addr + size <= vend) {
		if (addr + cached_hole_size < first->va_start)
			cached_hole_size = first->va_start - addr;
		addr = ALIGN(first->va_end + PAGE_SIZE, align);
		if (addr + size - 1 < addr)
			goto overflow;

		n = rb_next(&first->rb_node);
		if (n)
			first = rb_entry(n, struct vmap_area, rb_node);
		else
			goto found;
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
