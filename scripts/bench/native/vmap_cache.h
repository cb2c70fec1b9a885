// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vmap area cache of 89699605fe7c as 2.6.39 and 3.18 share it
 * (scripts/bench/native): the cache globals, and __free_vmap_area(), which
 * moves or drops the cache before taking the area out. Included after
 * vmap_area.h. (The mmotm patch's version differs: its own file keeps it.)
 */
#ifndef VMAPSIM_NATIVE_VMAP_CACHE_H
#define VMAPSIM_NATIVE_VMAP_CACHE_H

static struct rb_node *free_vmap_cache;
static unsigned long cached_hole_size;
static unsigned long cached_vstart;
static unsigned long cached_align;

static void __free_vmap_area(struct vmap_area *va)
{
	BUG_ON(RB_EMPTY_NODE(&va->rb_node));

	if (free_vmap_cache) {
		if (va->va_end < cached_vstart) {
			free_vmap_cache = NULL;
		} else {
			struct vmap_area *cache;
			cache = rb_entry(free_vmap_cache, struct vmap_area, rb_node);
			if (va->va_start <= cache->va_start) {
				free_vmap_cache = rb_prev(&va->rb_node);
			}
		}
	}
	rb_erase(&va->rb_node, &vmap_area_root);
	RB_CLEAR_NODE(&va->rb_node);
	list_del_rcu(&va->list);

	if (va->va_end > VMALLOC_START && va->va_end <= VMALLOC_END)
		vmap_area_pcpu_hole = max(vmap_area_pcpu_hole, va->va_end);

	kmem_cache_free_va(va); /* call_rcu(&va->rcu_head, rcu_free_va) */
}

#endif
