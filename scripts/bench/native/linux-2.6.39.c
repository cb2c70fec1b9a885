// SPDX-License-Identifier: GPL-2.0-only
/*
 * The global KVA allocator of Linux 2.6.39 (mm/vmalloc.c with the vmap area
 * cache of 89699605fe7c: free_vmap_cache, cached_hole_size, cached_vstart,
 * cached_align; PTEs cleared at the lazy free), as C, built with gcc -O2 on
 * the machine that runs `vmapsim bench --native`: the kernel's own code on
 * the bench streams, timed in the same run as the port. Transcribed from
 * kernel/mm/vmalloc/linux-2.6.39.ts (docs/sources.md says where its text was
 * read); locking, page-table work and the vmap-block purge are no-ops in the
 * bench, as in the port's bench environment. The touch counts it prints must
 * equal the kernel's figures (720.1 and 28.2 per allocation); a test checks
 * them.
 */
#include "rbtree.h"
#include "list.h"
#include "replay.h"

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

static struct rb_node *free_vmap_cache;
static unsigned long cached_hole_size;
static unsigned long cached_vstart;
static unsigned long cached_align;

static void purge_vmap_area_lazy(void);

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

	va = malloc(sizeof(struct vmap_area));
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
	free(va);
	return NULL;
}

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

	free(va); /* call_rcu(&va->rcu_head, rcu_free_va) */
}

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
	unmap_vmap_area(va->va_start, va->va_end);
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

REPLAY_MAIN(struct vmap_area)
