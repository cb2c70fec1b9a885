// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the 2.6.35 and 2.6.39 allocators of scripts/bench/native share, as
 * their mm/vmalloc.c texts do: struct vmap_area, the busy tree and list,
 * __insert_vmap_area(), and the lazy free and purge. Included by each version
 * between its __free_vmap_area() prototype and its alloc_vmap_area(). One
 * difference is a macro: 2.6.39 (Jeremy Fitzhardinge's "vmalloc: eagerly
 * clear ptes on vunmap") clears the PTEs at the lazy free, 2.6.35 in the
 * purge: define UNMAP_AT_LAZY_FREE for the former.
 */
#ifndef VMAPSIM_NATIVE_VMAP_AREA_H
#define VMAPSIM_NATIVE_VMAP_AREA_H

#define VM_LAZY_FREE 0x01
#define VM_LAZY_FREEING 0x02

struct vmap_area {
	unsigned long va_start;
	unsigned long va_end;
	unsigned long flags;
	struct rb_node rb_node;
	struct list_head list;
	struct list_head purge_list;
	void *private;
	struct { void *next; void (*func)(void *); } rcu_head;
};

static LIST_HEAD(vmap_area_list);
static struct rb_root vmap_area_root;
static int vmap_lazy_nr;

static void __insert_vmap_area(struct vmap_area *va)
{
	struct rb_node **p = &vmap_area_root.rb_node;
	struct rb_node *parent = NULL;
	struct rb_node *tmp;

	while (*p) {
		struct vmap_area *tmp_va;

		parent = *p;
		tmp_va = rb_entry(parent, struct vmap_area, rb_node);
		if (va->va_start < tmp_va->va_end)
			p = &(*p)->rb_left;
		else if (va->va_end > tmp_va->va_start)
			p = &(*p)->rb_right;
		else
			BUG();
	}

	rb_link_node(&va->rb_node, parent, p);
	rb_insert_color(&va->rb_node, &vmap_area_root);

	tmp = rb_prev(&va->rb_node);
	if (tmp) {
		struct vmap_area *prev;
		prev = rb_entry(tmp, struct vmap_area, rb_node);
		list_add_rcu(&va->list, &prev->list);
	} else
		list_add_rcu(&va->list, &vmap_area_list);
}

static void __free_vmap_area(struct vmap_area *va);

static void free_vmap_area(struct vmap_area *va)
{
	__free_vmap_area(va);
}

static unsigned long lazy_max_pages(void)
{
	unsigned int log;

	log = fls(num_online_cpus());

	return log * (32UL * 1024 * 1024 / PAGE_SIZE);
}

static void __purge_vmap_area_lazy(unsigned long *start, unsigned long *end, int sync, int force_flush)
{
	LIST_HEAD(valist);
	struct vmap_area *va;
	struct vmap_area *n_va;
	int nr = 0;

	/* spin_trylock(&purge_lock) or spin_lock(): nobody else holds it here */
	if (sync)
		purge_fragmented_blocks_allcpus();

	list_for_each_entry_rcu(va, &vmap_area_list, list) {
		if (va->flags & VM_LAZY_FREE) {
			if (va->va_start < *start)
				*start = va->va_start;
			if (va->va_end > *end)
				*end = va->va_end;
			nr += (va->va_end - va->va_start) >> PAGE_SHIFT;
#ifndef UNMAP_AT_LAZY_FREE
			unmap_vmap_area(va->va_start, va->va_end);
#endif
			list_add_tail(&va->purge_list, &valist);
			va->flags |= VM_LAZY_FREEING;
			va->flags &= ~VM_LAZY_FREE;
		}
	}

	if (nr)
		vmap_lazy_nr -= nr;

	if (nr || force_flush)
		flush_tlb_kernel_range(*start, *end);

	if (nr) {
		list_for_each_entry_safe(va, n_va, &valist, purge_list)
			__free_vmap_area(va);
	}
}

static void try_purge_vmap_area_lazy(void)
{
	unsigned long start = ULONG_MAX, end = 0;

	__purge_vmap_area_lazy(&start, &end, 0, 0);
}

static void purge_vmap_area_lazy(void)
{
	unsigned long start = ULONG_MAX, end = 0;

	__purge_vmap_area_lazy(&start, &end, 1, 0);
}

static void free_unmap_vmap_area_noflush(struct vmap_area *va)
{
#ifdef UNMAP_AT_LAZY_FREE
	unmap_vmap_area(va->va_start, va->va_end);
#endif
	va->flags |= VM_LAZY_FREE;
	vmap_lazy_nr += (va->va_end - va->va_start) >> PAGE_SHIFT;
	if (vmap_lazy_nr > lazy_max_pages())
		try_purge_vmap_area_lazy();
}

static void free_unmap_vmap_area(struct vmap_area *va)
{
	flush_cache_vunmap(va->va_start, va->va_end);
	free_unmap_vmap_area_noflush(va);
}

#endif
