// SPDX-License-Identifier: GPL-2.0-only
/*
 * The global KVA allocator of Linux 2.6.35 (mm/vmalloc.c: alloc_vmap_area and
 * __free_vmap_area here, the rest in vmap_area.h), as C, built
 * with gcc -O2 on the machine that runs `vmapsim bench`: the kernel's
 * own code on the bench streams, timed in the same run as the port.
 * Transcribed from kernel/mm/vmalloc/linux-2.6.35.ts (itself read from the
 * 2.6.35 text, docs/sources.md); locking, page-table work and the vmap-block
 * purge are no-ops in the bench, as in the port's bench environment.
 * The touch counts it prints must equal the kernel's figures (1027.0 and
 * 1079.8 per allocation); a test checks them.
 */
#include "rbtree.h"
#include "list.h"
#include "replay.h"

#include "vmap_area.h"

static struct vmap_area *alloc_vmap_area(unsigned long size, unsigned long align,
					 unsigned long vstart, unsigned long vend)
{
	struct vmap_area *va;
	struct rb_node *n;
	unsigned long addr;
	int purged = 0;

	BUG_ON(!size);
	BUG_ON(size & ~PAGE_MASK);

	va = kmem_cache_alloc_va(sizeof(struct vmap_area));
	if (!va)
		return NULL;

retry:
	addr = ALIGN(vstart, align);

	if (addr + size - 1 < addr)
		goto overflow;

	n = vmap_area_root.rb_node;
	if (n) {
		struct vmap_area *first = NULL;

		do {
			struct vmap_area *tmp;
			tmp = rb_entry(n, struct vmap_area, rb_node);
			if (tmp->va_end >= addr) {
				if (!first && tmp->va_start < addr + size)
					first = tmp;
				n = n->rb_left;
			} else {
				first = tmp;
				n = n->rb_right;
			}
		} while (n);

		if (!first)
			goto found;

		if (first->va_end < addr) {
			n = rb_next(&first->rb_node);
			if (n)
				first = rb_entry(n, struct vmap_area, rb_node);
			else
				goto found;
		}

		while (addr + size > first->va_start && addr + size <= vend) {
			addr = ALIGN(first->va_end + PAGE_SIZE, align);
			if (addr + size - 1 < addr)
				goto overflow;

			n = rb_next(&first->rb_node);
			if (n)
				first = rb_entry(n, struct vmap_area, rb_node);
			else
				goto found;
		}
	}
found:
	if (addr + size > vend) {
overflow:
		if (!purged) {
			purge_vmap_area_lazy();
			purged = 1;
			goto retry;
		}
		kmem_cache_free_va(va);
		return NULL;
	}

	BUG_ON(addr & (align - 1));

	va->va_start = addr;
	va->va_end = addr + size;
	va->flags = 0;
	__insert_vmap_area(va);

	return va;
}

static void __free_vmap_area(struct vmap_area *va)
{
	BUG_ON(RB_EMPTY_NODE(&va->rb_node));
	rb_erase(&va->rb_node, &vmap_area_root);
	RB_CLEAR_NODE(&va->rb_node);
	list_del_rcu(&va->list);

	if (va->va_end > VMALLOC_START && va->va_end <= VMALLOC_END)
		vmap_area_pcpu_hole = max(vmap_area_pcpu_hole, va->va_end);

	kmem_cache_free_va(va); /* call_rcu(&va->rcu_head, rcu_free_va) */
}

REPLAY_MAIN(struct vmap_area, (void)0)
