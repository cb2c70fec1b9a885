// SPDX-License-Identifier: GPL-2.0-only
/*
 * The augmented free tree of the 6.1 to 7.3 allocators of
 * scripts/bench/native, as their mm/vmalloc.c texts have it unchanged: the
 * augment callbacks (RB_DECLARE_CALLBACKS_MAX as rbtree_augmented.h expands
 * it), find_va_links(), the link and unlink helpers, insert_vmap_area(),
 * the merge on free, find_vmap_lowest_match(), and the per-CPU spare node
 * for a no-edge split (preload_this_cpu_lock()). Included after each
 * version's struct vmap_area, ne_fit_preload_node, free_tree.h and
 * kmem_cache_*_va().
 */
#ifndef VMAPSIM_NATIVE_FREE_TREE_6_H
#define VMAPSIM_NATIVE_FREE_TREE_6_H

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

#endif
