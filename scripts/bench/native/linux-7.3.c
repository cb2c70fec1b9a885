// SPDX-License-Identifier: GPL-2.0-only
/*
 * The global KVA allocator of Linux 7.3 (mm/vmalloc.c: 6.12's, see
 * linux-6.12.c, with the search's failures as error values (6.16), the pool
 * decay of 6.16 and the gfp handling of 6.19), as C, built with gcc -O2 on
 * the machine that runs `vmapsim bench`: the kernel's own code on the bench
 * streams, timed in the same run as the port. Transcribed from
 * kernel/mm/vmalloc/linux-7.3.ts (Debian linux-source-7.3, docs/sources.md),
 * the tree code shared with linux-6.1.c. One CPU, so one vmap node (vmap_init_nodes() keeps the
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
#define EINVAL 22
#define ENOMEM 12
#define ENOENT 2
#define ERANGE 34
#define MAX_ERRNO 4095
#define IS_ERR_VALUE(x) ((unsigned long)(x) >= (unsigned long)-MAX_ERRNO)
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

/* RB_DECLARE_CALLBACKS_MAX(static, free_vmap_area_rb_augment_cb, struct vmap_area, rb_node, unsigned long, subtree_max_size, va_size) */
static inline int free_vmap_area_rb_augment_cb_compute_max(struct vmap_area *node, int exit)
{
	struct vmap_area *child;
	unsigned long max = va_size(node);

	if (node->rb_node.rb_left) {
		child = rb_entry(node->rb_node.rb_left, struct vmap_area, rb_node);
		if (child->subtree_max_size > max)
			max = child->subtree_max_size;
	}
	if (node->rb_node.rb_right) {
		child = rb_entry(node->rb_node.rb_right, struct vmap_area, rb_node);
		if (child->subtree_max_size > max)
			max = child->subtree_max_size;
	}
	if (exit && node->subtree_max_size == max)
		return 1;
	node->subtree_max_size = max;
	return 0;
}

static inline void free_vmap_area_rb_augment_cb_propagate(struct rb_node *rb, struct rb_node *stop)
{
	while (rb != stop) {
		struct vmap_area *node = rb_entry(rb, struct vmap_area, rb_node);
		if (free_vmap_area_rb_augment_cb_compute_max(node, 1))
			break;
		rb = rb_parent(&node->rb_node);
	}
}

static inline void free_vmap_area_rb_augment_cb_copy(struct rb_node *rb_old, struct rb_node *rb_new)
{
	struct vmap_area *old = rb_entry(rb_old, struct vmap_area, rb_node);
	struct vmap_area *new = rb_entry(rb_new, struct vmap_area, rb_node);

	new->subtree_max_size = old->subtree_max_size;
}

static void free_vmap_area_rb_augment_cb_rotate(struct rb_node *rb_old, struct rb_node *rb_new)
{
	struct vmap_area *old = rb_entry(rb_old, struct vmap_area, rb_node);
	struct vmap_area *new = rb_entry(rb_new, struct vmap_area, rb_node);

	new->subtree_max_size = old->subtree_max_size;
	free_vmap_area_rb_augment_cb_compute_max(old, 0);
}

static const struct rb_augment_callbacks free_vmap_area_rb_augment_cb = {
	.propagate = free_vmap_area_rb_augment_cb_propagate,
	.copy = free_vmap_area_rb_augment_cb_copy,
	.rotate = free_vmap_area_rb_augment_cb_rotate,
};

static __always_inline struct rb_node **
find_va_links(struct vmap_area *va, struct rb_root *root, struct rb_node *from, struct rb_node **parent)
{
	struct vmap_area *tmp_va;
	struct rb_node **link;

	if (root) {
		link = &root->rb_node;
		if (!*link) {
			*parent = NULL;
			return link;
		}
	} else {
		link = &from;
	}

	do {
		tmp_va = rb_entry(*link, struct vmap_area, rb_node);

		if (va->va_end <= tmp_va->va_start)
			link = &(*link)->rb_left;
		else if (va->va_start >= tmp_va->va_end)
			link = &(*link)->rb_right;
		else {
			(void)WARN_ON(1);
			return NULL;
		}
	} while (*link);

	*parent = &tmp_va->rb_node;
	return link;
}

static __always_inline void
__link_va(struct vmap_area *va, struct rb_root *root, struct rb_node *parent, struct rb_node **link, struct list_head *head, int augment)
{
	if (parent) {
		head = &rb_entry(parent, struct vmap_area, rb_node)->list;
		if (&parent->rb_right != link)
			head = head->prev;
	}

	rb_link_node(&va->rb_node, parent, link);
	if (augment) {
		rb_insert_augmented(&va->rb_node, root, &free_vmap_area_rb_augment_cb);
		va->subtree_max_size = 0;
	} else {
		rb_insert_color(&va->rb_node, root);
	}

	list_add(&va->list, head);
}

static __always_inline void link_va(struct vmap_area *va, struct rb_root *root, struct rb_node *parent, struct rb_node **link, struct list_head *head)
{
	__link_va(va, root, parent, link, head, 0);
}

static __always_inline void link_va_augment(struct vmap_area *va, struct rb_root *root, struct rb_node *parent, struct rb_node **link, struct list_head *head)
{
	__link_va(va, root, parent, link, head, 1);
}

static __always_inline void __unlink_va(struct vmap_area *va, struct rb_root *root, int augment)
{
	if (WARN_ON(RB_EMPTY_NODE(&va->rb_node)))
		return;

	if (augment)
		rb_erase_augmented(&va->rb_node, root, &free_vmap_area_rb_augment_cb);
	else
		rb_erase(&va->rb_node, root);

	list_del_init(&va->list);
	RB_CLEAR_NODE(&va->rb_node);
}

static __always_inline void unlink_va(struct vmap_area *va, struct rb_root *root)
{
	__unlink_va(va, root, 0);
}

static __always_inline void unlink_va_augment(struct vmap_area *va, struct rb_root *root)
{
	__unlink_va(va, root, 1);
}

static __always_inline void augment_tree_propagate_from(struct vmap_area *va)
{
	free_vmap_area_rb_augment_cb_propagate(&va->rb_node, NULL);
}

static void insert_vmap_area(struct vmap_area *va, struct rb_root *root, struct list_head *head)
{
	struct rb_node **link;
	struct rb_node *parent;

	link = find_va_links(va, root, NULL, &parent);
	if (link)
		link_va(va, root, parent, link, head);
}

static void insert_vmap_area_augment(struct vmap_area *va, struct rb_node *from, struct rb_root *root, struct list_head *head)
{
	struct rb_node **link;
	struct rb_node *parent;

	if (from)
		link = find_va_links(va, NULL, from, &parent);
	else
		link = find_va_links(va, root, NULL, &parent);

	if (link) {
		link_va_augment(va, root, parent, link, head);
		augment_tree_propagate_from(va);
	}
}

static __always_inline struct vmap_area *
__merge_or_add_vmap_area(struct vmap_area *va, struct rb_root *root, struct list_head *head, int augment)
{
	struct vmap_area *sibling;
	struct list_head *next;
	struct rb_node **link;
	struct rb_node *parent;
	int merged = 0;

	link = find_va_links(va, root, NULL, &parent);
	if (!link)
		return NULL;

	next = get_va_next_sibling(parent, link);
	if (!next)
		goto insert;

	if (next != head) {
		sibling = list_entry(next, struct vmap_area, list);
		if (sibling->va_start == va->va_end) {
			sibling->va_start = va->va_start;

			kmem_cache_free_va(va); /* kmem_cache_free(vmap_area_cachep, va) */

			va = sibling;
			merged = 1;
		}
	}

	if (next->prev != head) {
		sibling = list_entry(next->prev, struct vmap_area, list);
		if (sibling->va_end == va->va_start) {
			if (merged)
				__unlink_va(va, root, augment);

			sibling->va_end = va->va_end;

			kmem_cache_free_va(va);

			va = sibling;
			merged = 1;
		}
	}

insert:
	if (!merged)
		__link_va(va, root, parent, link, head, augment);

	return va;
}

static __always_inline struct vmap_area *merge_or_add_vmap_area(struct vmap_area *va, struct rb_root *root, struct list_head *head)
{
	return __merge_or_add_vmap_area(va, root, head, 0);
}

static __always_inline struct vmap_area *merge_or_add_vmap_area_augment(struct vmap_area *va, struct rb_root *root, struct list_head *head)
{
	va = __merge_or_add_vmap_area(va, root, head, 1);
	if (va)
		augment_tree_propagate_from(va);

	return va;
}

static __always_inline struct vmap_area *
find_vmap_lowest_match(struct rb_root *root, unsigned long size, unsigned long align, unsigned long vstart, int adjust_search_size)
{
	struct vmap_area *va;
	struct rb_node *node;
	unsigned long length;

	node = root->rb_node;

	length = adjust_search_size ? size + align - 1 : size;

	while (node) {
		va = rb_entry(node, struct vmap_area, rb_node);

		if (get_subtree_max_size(node->rb_left) >= length && vstart < va->va_start) {
			node = node->rb_left;
		} else {
			if (is_within_this_va(va, size, align, vstart))
				return va;

			if (get_subtree_max_size(node->rb_right) >= length) {
				node = node->rb_right;
				continue;
			}

			while ((node = rb_parent(node))) {
				va = rb_entry(node, struct vmap_area, rb_node);
				if (is_within_this_va(va, size, align, vstart))
					return va;

				if (get_subtree_max_size(node->rb_right) >= length && vstart <= va->va_start) {
					vstart = va->va_start + 1;
					node = node->rb_right;
					break;
				}
			}
		}
	}

	return NULL;
}

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
				return -ENOMEM;
		}

		lva->va_start = va->va_start;
		lva->va_end = nva_start_addr;

		va->va_start = nva_start_addr + size;
	} else {
		return -EINVAL;
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
		return -ERANGE;

	ret = va_clip(root, head, va, nva_start_addr, size);
	if (ret) {
		(void)WARN_ON_ONCE(ret != -ENOMEM);
		return ret;
	}

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
		return -ENOENT;

	nva_start_addr = va_alloc(va, root, head, size, align, vstart, vend);

	return nva_start_addr;
}

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

static inline void preload_this_cpu_lock(void)
{
	struct vmap_area *va = NULL;

	if (!ne_fit_preload_node)
		va = kmem_cache_alloc_va(sizeof(*va)); /* kmem_cache_alloc_node(vmap_area_cachep, gfp_mask, node) */

	/* spin_lock(lock) */

	if (va) {
		if (ne_fit_preload_node)
			kmem_cache_free_va(va);
		else
			ne_fit_preload_node = va;
	}
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

/* node_alloc(): the global heap for anything but vmalloc, or with one node. */
static struct vmap_area *node_alloc(unsigned long size, unsigned long align, unsigned long vstart, unsigned long vend, unsigned long *addr, unsigned int *vn_id)
{
	(void)size;
	(void)align;

	*vn_id = 0;
	*addr = -EINVAL;

	if (vstart != VMALLOC_START || vend != VMALLOC_END || nr_vmap_nodes == 1)
		return NULL;

	return NULL; /* more than one node: not on one CPU */
}

static void reclaim_and_purge_vmap_areas(void);

static struct vmap_area *alloc_vmap_area(unsigned long size, unsigned long align, unsigned long vstart, unsigned long vend)
{
	struct vmap_node *vn;
	struct vmap_area *va;
	unsigned long addr;
	unsigned int vn_id;
	int purged = 0;

	if (!size || (size & ~PAGE_MASK) || !is_power_of_2(align))
		return NULL; /* ERR_PTR(-EINVAL) */

	/* gfp_mask &= GFP_RECLAIM_MASK; GFP_KERNEL may block (allow_block) */

	va = node_alloc(size, align, vstart, vend, &addr, &vn_id);
	if (!va) {
		va = kmem_cache_alloc_va(sizeof(*va)); /* kmem_cache_alloc_node(vmap_area_cachep, gfp_mask, node) */
		if (!va)
			return NULL;
	}

retry:
	if (IS_ERR_VALUE(addr)) {
		preload_this_cpu_lock();
		addr = __alloc_vmap_area(&free_vmap_area_root, &free_vmap_area_list, size, align, vstart, vend);
		/* spin_unlock(&free_vmap_area_lock) */

		/* if (allow_block) cond_resched(): nothing else runs here */
	}

	if (IS_ERR_VALUE(addr))
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

	/* out_free_va: */
	kmem_cache_free_va(va);
	return NULL; /* ERR_PTR(-EBUSY) */
}

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

static void decay_va_pool_node(struct vmap_node *vn, int full_decay)
{
	LIST_HEAD(decay_list);
	struct rb_root decay_root = { NULL };
	struct vmap_area *va, *nva;
	unsigned long n_decay, pool_len;
	int i;

	for (i = 0; i < MAX_VA_SIZE_PAGES; i++) {
		LIST_HEAD(tmp_list);

		if (list_empty(&vn->pool[i].head))
			continue;

		list_replace_init(&vn->pool[i].head, &tmp_list);

		pool_len = n_decay = vn->pool[i].len;
		vn->pool[i].len = 0;

		if (!full_decay)
			n_decay >>= 2;
		pool_len -= n_decay;

		list_for_each_entry_safe(va, nva, &tmp_list, list) {
			if (!n_decay--)
				break;

			list_del_init(&va->list);
			merge_or_add_vmap_area(va, &decay_root, &decay_list);
		}

		if (!list_empty(&tmp_list)) {
			list_replace_init(&tmp_list, &vn->pool[i].head);
			vn->pool[i].len = pool_len;
		}
	}

	reclaim_list_global(&decay_list);
}

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

REPLAY_MAIN(struct vmap_area, vmalloc_init())
