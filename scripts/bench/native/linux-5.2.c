// SPDX-License-Identifier: GPL-2.0-only
/*
 * The global KVA allocator of Linux 5.2 (68ad4a330433, the augmented free
 * tree: busy areas, lazily freed ones too, in vmap_area_root; free space in
 * free_vmap_area_root; lazily freed areas on the lock-less vmap_purge_list
 * until a purge gives them back one by one, newest first), as C, built with
 * gcc -O2 on the machine that runs `vmapsim bench`: the kernel's own code on
 * the bench streams, timed in the same run as the port. Transcribed from
 * kernel/mm/vmalloc/linux-5.2.ts, itself a reconstruction (docs/sources.md),
 * with the 3.5 rbtree and the 5.2 form of RB_DECLARE_CALLBACKS. One CPU;
 * locks and the purge mutex are no-ops, as in the port's bench environment.
 * The touch counts it prints must equal the kernel's figures (81.7 and 25.5
 * per allocation); a test checks them.
 */
#include "rbtree-3.5.h"
#include "list.h"
#include "replay.h"

struct llist_node {
	struct llist_node *next;
};

struct vmap_area {
	unsigned long va_start;
	unsigned long va_end;

	unsigned long subtree_max_size;
	unsigned long flags;
	struct rb_node rb_node;
	struct list_head list;
	struct llist_node purge_list;
	void *vm;
	struct { void *next; void (*func)(void *); } rcu_head;
};

static struct rb_root vmap_area_root;
static LIST_HEAD(vmap_area_list);
static struct llist_node *vmap_purge_list;
static struct rb_root free_vmap_area_root;
static LIST_HEAD(free_vmap_area_list);
static long vmap_lazy_nr;

#include "free_tree.h"

#define llist_entry(ptr, type, member) container_of(ptr, type, member) /* not counted, as in the port */

static __always_inline unsigned long compute_subtree_max_size(struct vmap_area *va)
{
	return max(va_size(va), max(get_subtree_max_size(va->rb_node.rb_left), get_subtree_max_size(va->rb_node.rb_right)));
}

/* RB_DECLARE_CALLBACKS(static, free_vmap_area_rb_augment_cb, struct vmap_area, rb_node, unsigned long, subtree_max_size, compute_subtree_max_size) */
static inline void free_vmap_area_rb_augment_cb_propagate(struct rb_node *rb, struct rb_node *stop)
{
	while (rb != stop) {
		struct vmap_area *node = rb_entry(rb, struct vmap_area, rb_node);
		unsigned long augmented = compute_subtree_max_size(node);
		if (node->subtree_max_size == augmented)
			break;
		node->subtree_max_size = augmented;
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
	old->subtree_max_size = compute_subtree_max_size(old);
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

		if (va->va_start < tmp_va->va_end && va->va_end <= tmp_va->va_start)
			link = &(*link)->rb_left;
		else if (va->va_end > tmp_va->va_start && va->va_start >= tmp_va->va_end)
			link = &(*link)->rb_right;
		else
			BUG();
	} while (*link);

	*parent = &tmp_va->rb_node;
	return link;
}

static __always_inline void
link_va(struct vmap_area *va, struct rb_root *root, struct rb_node *parent, struct rb_node **link, struct list_head *head)
{
	if (parent) {
		head = &rb_entry(parent, struct vmap_area, rb_node)->list;
		if (&parent->rb_right != link)
			head = head->prev;
	}

	rb_link_node(&va->rb_node, parent, link);
	if (root == &free_vmap_area_root) {
		rb_insert_augmented(&va->rb_node, root, &free_vmap_area_rb_augment_cb);
		va->subtree_max_size = 0;
	} else {
		rb_insert_color(&va->rb_node, root);
	}

	list_add(&va->list, head);
}

static __always_inline void unlink_va(struct vmap_area *va, struct rb_root *root)
{
	if (!RB_EMPTY_NODE(&va->rb_node)) {
		if (root == &free_vmap_area_root)
			rb_erase_augmented(&va->rb_node, root, &free_vmap_area_rb_augment_cb);
		else
			rb_erase(&va->rb_node, root);

		list_del_rcu(&va->list); /* list_del(): poisons prev (and next; nobody reads either) */
		RB_CLEAR_NODE(&va->rb_node);
	}
}

static __always_inline void augment_tree_propagate_from(struct vmap_area *va)
{
	struct rb_node *node = &va->rb_node;
	unsigned long new_va_sub_max_size;

	while (node) {
		va = rb_entry(node, struct vmap_area, rb_node);
		new_va_sub_max_size = compute_subtree_max_size(va);

		if (va->subtree_max_size == new_va_sub_max_size)
			break;

		va->subtree_max_size = new_va_sub_max_size;
		node = rb_parent(&va->rb_node);
	}
}

static void insert_vmap_area(struct vmap_area *va, struct rb_root *root, struct list_head *head)
{
	struct rb_node **link;
	struct rb_node *parent;

	link = find_va_links(va, root, NULL, &parent);
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

	link_va(va, root, parent, link, head);
	augment_tree_propagate_from(va);
}

static __always_inline void merge_or_add_vmap_area(struct vmap_area *va, struct rb_root *root, struct list_head *head)
{
	struct vmap_area *sibling;
	struct list_head *next;
	struct rb_node **link;
	struct rb_node *parent;
	int merged = 0;

	link = find_va_links(va, root, NULL, &parent);

	next = get_va_next_sibling(parent, link);
	if (!next)
		goto insert;

	if (next != head) {
		sibling = list_entry(next, struct vmap_area, list);
		if (sibling->va_start == va->va_end) {
			sibling->va_start = va->va_start;

			augment_tree_propagate_from(sibling);

			unlink_va(va, root);

			kmem_cache_free_va(va);

			va = sibling;
			merged = 1;
		}
	}

	if (next->prev != head) {
		sibling = list_entry(next->prev, struct vmap_area, list);
		if (sibling->va_end == va->va_start) {
			sibling->va_end = va->va_end;

			augment_tree_propagate_from(sibling);

			unlink_va(va, root);

			kmem_cache_free_va(va);
			return;
		}
	}

insert:
	if (!merged) {
		link_va(va, root, parent, link, head);
		augment_tree_propagate_from(va);
	}
}

static __always_inline struct vmap_area *find_vmap_lowest_match(unsigned long size, unsigned long align, unsigned long vstart)
{
	struct vmap_area *va;
	struct rb_node *node;
	unsigned long length;

	node = free_vmap_area_root.rb_node;

	length = size + align - 1;

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
					node = node->rb_right;
					break;
				}
			}
		}
	}

	return NULL;
}

static __always_inline int
adjust_va_to_fit_type(struct vmap_area *va, unsigned long nva_start_addr, unsigned long size, enum fit_type type)
{
	struct vmap_area *lva = NULL;

	if (type == FL_FIT_TYPE) {
		unlink_va(va, &free_vmap_area_root);
		kmem_cache_free_va(va);
	} else if (type == LE_FIT_TYPE) {
		va->va_start += size;
	} else if (type == RE_FIT_TYPE) {
		va->va_end = nva_start_addr;
	} else if (type == NE_FIT_TYPE) {
		lva = kmem_cache_alloc_va(sizeof(*lva)); /* kmem_cache_alloc(vmap_area_cachep, GFP_NOWAIT) */
		if (!lva)
			return -1;

		lva->va_start = va->va_start;
		lva->va_end = nva_start_addr;

		va->va_start = nva_start_addr + size;
	} else {
		return -1;
	}

	if (type != FL_FIT_TYPE) {
		augment_tree_propagate_from(va);

		if (lva)
			insert_vmap_area_augment(lva, &va->rb_node, &free_vmap_area_root, &free_vmap_area_list);
	}

	return 0;
}

static __always_inline unsigned long
__alloc_vmap_area(unsigned long size, unsigned long align, unsigned long vstart, unsigned long vend)
{
	unsigned long nva_start_addr;
	struct vmap_area *va;
	enum fit_type type;
	int ret;

	va = find_vmap_lowest_match(size, align, vstart);
	if (!va)
		return vend;

	if (va->va_start > vstart)
		nva_start_addr = ALIGN(va->va_start, align);
	else
		nva_start_addr = ALIGN(vstart, align);

	if (nva_start_addr + size > vend)
		return vend;

	type = classify_va_fit_type(va, nva_start_addr, size);
	if (type == NOTHING_FIT) /* WARN_ON_ONCE */
		return vend;

	ret = adjust_va_to_fit_type(va, nva_start_addr, size, type);
	if (ret)
		return vend;

	return nva_start_addr;
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

	va = kmem_cache_alloc_va(sizeof(*va)); /* kmem_cache_alloc_node(vmap_area_cachep, gfp_mask & GFP_RECLAIM_MASK, node) */
	if (!va)
		return NULL;

retry:
	addr = __alloc_vmap_area(size, align, vstart, vend);
	if (addr == vend)
		goto overflow;

	va->va_start = addr;
	va->va_end = addr + size;
	va->flags = 0;
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

static void __free_vmap_area(struct vmap_area *va)
{
	BUG_ON(RB_EMPTY_NODE(&va->rb_node));

	unlink_va(va, &vmap_area_root);

	merge_or_add_vmap_area(va, &free_vmap_area_root, &free_vmap_area_list);
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

static int __purge_vmap_area_lazy(unsigned long start, unsigned long end)
{
	unsigned long resched_threshold;
	struct llist_node *valist, *n, *n_next;
	struct vmap_area *va;

	valist = vmap_purge_list; /* llist_del_all() */
	vmap_purge_list = NULL;
	if (valist == NULL)
		return 0;

	for (n = valist; n; n = n->next) { /* llist_for_each_entry */
		va = llist_entry(n, struct vmap_area, purge_list);
		if (va->va_start < start)
			start = va->va_start;
		if (va->va_end > end)
			end = va->va_end;
	}

	flush_tlb_kernel_range(start, end);
	resched_threshold = lazy_max_pages() << 1;

	for (n = valist; n; n = n_next) { /* llist_for_each_entry_safe */
		unsigned long nr;

		va = llist_entry(n, struct vmap_area, purge_list);
		n_next = n->next;
		nr = (va->va_end - va->va_start) >> PAGE_SHIFT;

		__free_vmap_area(va);
		vmap_lazy_nr -= nr;

		if ((unsigned long)vmap_lazy_nr < resched_threshold)
			; /* cond_resched_lock(&vmap_area_lock) */
	}
	return 1;
}

static void try_purge_vmap_area_lazy(void)
{
	__purge_vmap_area_lazy(ULONG_MAX, 0); /* mutex_trylock(&vmap_purge_lock) succeeds here */
}

static void purge_vmap_area_lazy(void)
{
	purge_fragmented_blocks_allcpus();
	__purge_vmap_area_lazy(ULONG_MAX, 0);
}

static void free_vmap_area_noflush(struct vmap_area *va)
{
	long nr_lazy;

	nr_lazy = (vmap_lazy_nr += (va->va_end - va->va_start) >> PAGE_SHIFT);

	va->purge_list.next = vmap_purge_list; /* llist_add() */
	vmap_purge_list = &va->purge_list;

	if ((unsigned long)nr_lazy > lazy_max_pages())
		try_purge_vmap_area_lazy();
}

static void free_unmap_vmap_area(struct vmap_area *va)
{
	flush_cache_vunmap(va->va_start, va->va_end);
	unmap_vmap_area(va->va_start, va->va_end);
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
		if (free_va) {
			memset(free_va, 0, sizeof(*free_va));
			free_va->va_start = vmap_start;
			free_va->va_end = vmap_end;

			insert_vmap_area_augment(free_va, NULL, &free_vmap_area_root, &free_vmap_area_list);
		}
	}
}

REPLAY_MAIN(struct vmap_area, vmap_init_free_space())
