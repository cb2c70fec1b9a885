// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vmap nodes of the 6.12 and 7.3 allocators of scripts/bench/native, as
 * their mm/vmalloc.c texts have them unchanged between the two: struct
 * vmap_node and its pools, the node of an address, free_vmap_area(), the
 * spare-node preload, lazy_max_pages(), the purge of a node and of all of
 * them, the lazy free, and vmap_init_nodes() with one CPU. Each version
 * defines node_alloc(), alloc_vmap_area() and decay_va_pool_node() after
 * including it (their texts differ), and its va_clip(), va_alloc() and
 * __alloc_vmap_area() before.
 */
#ifndef VMAPSIM_NATIVE_VMAP_NODES_H
#define VMAPSIM_NATIVE_VMAP_NODES_H

/* The vmap nodes: one here (see the file header). */
#define MAX_VA_SIZE_PAGES 256
#define BITS_PER_BYTE 8
#define UINT_MAX (~0U)

struct rb_list {
	struct rb_root root;
	struct list_head head;
};

struct vmap_pool {
	struct list_head head;
	unsigned long len;
};

struct vmap_node {
	struct vmap_pool pool[MAX_VA_SIZE_PAGES];
	struct rb_list busy;
	struct rb_list lazy;
	struct list_head purge_list;
	unsigned int nr_purged;
	int skip_populate;
};

static struct vmap_node single;
static struct vmap_node *vmap_nodes = &single;
static unsigned int nr_vmap_nodes = 1;
static unsigned int vmap_zone_size = 1;

static inline unsigned int addr_to_node_id(unsigned long addr)
{
	return (addr / vmap_zone_size) % nr_vmap_nodes;
}

static inline struct vmap_node *addr_to_node(unsigned long addr)
{
	return &vmap_nodes[addr_to_node_id(addr)];
}

static inline struct vmap_node *id_to_node(unsigned int id)
{
	return &vmap_nodes[id % nr_vmap_nodes];
}

static inline unsigned int decode_vn_id(unsigned int val)
{
	unsigned int node_id = (val >> BITS_PER_BYTE) - 1;

	if (node_id < nr_vmap_nodes)
		return node_id;

	(void)WARN_ON_ONCE(node_id != UINT_MAX);
	return nr_vmap_nodes;
}

static inline int is_vn_id_valid(unsigned int node_id)
{
	if (node_id < nr_vmap_nodes)
		return 1;

	return 0;
}

static void free_vmap_area(struct vmap_area *va)
{
	struct vmap_node *vn = addr_to_node(va->va_start);

	unlink_va(va, &vn->busy.root);

	merge_or_add_vmap_area_augment(va, &free_vmap_area_root, &free_vmap_area_list);
}

static struct vmap_pool *size_to_va_pool(struct vmap_node *vn, unsigned long size)
{
	unsigned int idx = (size - 1) / PAGE_SIZE;

	if (idx < MAX_VA_SIZE_PAGES)
		return &vn->pool[idx];

	return NULL;
}

static int node_pool_add_va(struct vmap_node *n, struct vmap_area *va)
{
	struct vmap_pool *vp;

	vp = size_to_va_pool(n, va_size(va));
	if (!vp)
		return 0;

	list_add(&va->list, &vp->head);
	vp->len = vp->len + 1;

	return 1;
}

static void reclaim_and_purge_vmap_areas(void);

static unsigned long lazy_max_pages(void)
{
	unsigned int log;

	log = fls(num_online_cpus());

	return log * (32UL * 1024 * 1024 / PAGE_SIZE);
}

static void reclaim_list_global(struct list_head *head)
{
	struct vmap_area *va, *n;

	if (list_empty(head))
		return;

	list_for_each_entry_safe(va, n, head, list)
		merge_or_add_vmap_area_augment(va, &free_vmap_area_root, &free_vmap_area_list);
}

/* Each version's own (after this header). */
static void decay_va_pool_node(struct vmap_node *vn, int full_decay);

static void purge_vmap_node(struct vmap_node *vn)
{
	unsigned long nr_purged_pages = 0;
	struct vmap_area *va, *n_va;
	LIST_HEAD(local_list);

	vn->nr_purged = 0;

	list_for_each_entry_safe(va, n_va, &vn->purge_list, list) {
		unsigned long nr = va_size(va) >> PAGE_SHIFT;
		unsigned int vn_id = decode_vn_id(va->flags);

		list_del_init(&va->list);

		nr_purged_pages += nr;
		vn->nr_purged++;

		if (is_vn_id_valid(vn_id) && !vn->skip_populate)
			if (node_pool_add_va(vn, va))
				continue;

		list_add(&va->list, &local_list);
	}

	vmap_lazy_nr -= nr_purged_pages;

	reclaim_list_global(&local_list);
}

static int __purge_vmap_area_lazy(unsigned long start, unsigned long end, int full_pool_decay)
{
	unsigned long nr_purged_areas = 0;
	unsigned int nr_purge_helpers;
	unsigned int nr_purge_nodes = 0;
	unsigned int purge_nodes = 0; /* cpumask of the nodes with work: one node here */
	struct vmap_node *vn;
	unsigned int i;

	for (i = 0; i < nr_vmap_nodes; i++) {
		vn = &vmap_nodes[i];

		INIT_LIST_HEAD(&vn->purge_list);
		vn->skip_populate = full_pool_decay;
		decay_va_pool_node(vn, full_pool_decay);

		if (RB_EMPTY_ROOT(&vn->lazy.root))
			continue;

		vn->lazy.root.rb_node = NULL;
		list_replace_init(&vn->lazy.head, &vn->purge_list);

		start = min(start, list_entry(vn->purge_list.next, struct vmap_area, list)->va_start);

		end = max(end, list_entry(vn->purge_list.prev, struct vmap_area, list)->va_end);

		purge_nodes |= 1U << i;
		nr_purge_nodes++;
	}

	if (nr_purge_nodes > 0) {
		flush_tlb_kernel_range(start, end);

		nr_purge_helpers = (unsigned long)vmap_lazy_nr / lazy_max_pages();
		nr_purge_helpers = (nr_purge_helpers < 1 ? 1 : nr_purge_helpers > nr_purge_nodes ? nr_purge_nodes : nr_purge_helpers) - 1;

		for (i = 0; i < nr_vmap_nodes; i++) {
			if (!(purge_nodes & (1U << i)))
				continue;
			vn = &vmap_nodes[i];

			/* nr_purge_helpers is 0 with one node: no helper work */
			purge_vmap_node(vn);
			nr_purged_areas += vn->nr_purged;
		}
		(void)nr_purge_helpers;
	}

	return nr_purged_areas > 0;
}

static void reclaim_and_purge_vmap_areas(void)
{
	/* mutex_lock(&vmap_purge_lock) */
	purge_fragmented_blocks_allcpus();
	__purge_vmap_area_lazy(ULONG_MAX, 0, 1);
}

/* The golden `p`: reclaim_and_purge_vmap_areas(), as the port names it for the bench. */
static void purge_vmap_area_lazy(void)
{
	reclaim_and_purge_vmap_areas();
}

static void drain_vmap_area_work(void)
{
	/* mutex_lock(&vmap_purge_lock) */
	__purge_vmap_area_lazy(ULONG_MAX, 0, 0);
}

static void free_vmap_area_noflush(struct vmap_area *va)
{
	unsigned long nr_lazy_max = lazy_max_pages();
	unsigned int vn_id = decode_vn_id(va->flags);
	struct vmap_node *vn;
	unsigned long nr_lazy;

	if (WARN_ON_ONCE(!list_empty(&va->list)))
		return;

	nr_lazy = (vmap_lazy_nr += va_size(va) >> PAGE_SHIFT);

	vn = is_vn_id_valid(vn_id) ? id_to_node(vn_id) : addr_to_node(va->va_start);

	insert_vmap_area(va, &vn->lazy.root, &vn->lazy.head);

	if (nr_lazy > nr_lazy_max)
		drain_vmap_area_work(); /* schedule_work(&drain_vmap_work): at once here */
}

/*
 * The bench's lazy free, as the port's adapter: the area comes still in its
 * busy tree (the kernel's own callers take it out with find_unlink_vmap_area()),
 * so it is unlinked from its node first.
 */
static void free_unmap_vmap_area(struct vmap_area *va)
{
	if (!list_empty(&va->list))
		unlink_va(va, &addr_to_node(va->va_start)->busy.root);

	flush_cache_vunmap(va->va_start, va->va_end);
	unmap_vmap_area(va->va_start, va->va_end); /* vunmap_range_noflush */
	free_vmap_area_noflush(va);
}

/*
 * num_possible_cpus(): the kernel reads it at boot (cpu_possible_mask), so
 * it cannot fold nr_vmap_nodes and vmap_zone_size, and addr_to_node_id()
 * divides at run time. volatile keeps gcc from folding the one-CPU case
 * here, where it would otherwise see a constant.
 */
static volatile unsigned int possible_cpus = 1;

static unsigned int num_possible_cpus(void)
{
	return possible_cpus;
}

static void vmap_init_nodes(void)
{
	struct vmap_node *vn;
	unsigned int n;
	int i;

	n = num_possible_cpus();
	n = n < 1 ? 1 : n > 128 ? 128 : n; /* clamp_t(unsigned int, num_possible_cpus(), 1, 128) */

	if (n > 1) {
		vn = calloc(n, sizeof(*vn)); /* kmalloc_array(n, sizeof(*vn), GFP_NOWAIT | __GFP_NOWARN) */
		if (vn) {
			vmap_zone_size = (1 << 4) * PAGE_SIZE;
			nr_vmap_nodes = n;
			vmap_nodes = vn;
		}
	}

	for (n = 0; n < nr_vmap_nodes; n++) {
		vn = &vmap_nodes[n];

		vn->busy.root = (struct rb_root){ NULL };
		INIT_LIST_HEAD(&vn->busy.head);

		vn->lazy.root = (struct rb_root){ NULL };
		INIT_LIST_HEAD(&vn->lazy.head);

		for (i = 0; i < MAX_VA_SIZE_PAGES; i++) {
			INIT_LIST_HEAD(&vn->pool[i].head);
			vn->pool[i].len = 0;
		}
	}
}

/* vmalloc_init(): vmap_init_nodes(), then vmap_init_free_space() with no early areas: one free block [1, ULONG_MAX). */
static void vmalloc_init(void)
{
	unsigned long vmap_start = 1;
	const unsigned long vmap_end = ULONG_MAX;
	struct vmap_area *free_va;

	vmap_init_nodes();

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

#endif
