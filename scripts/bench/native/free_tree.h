// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the 5.2 and 6.1 allocators of scripts/bench/native share, as their
 * mm/vmalloc.c texts do: enum fit_type, va_size(), get_subtree_max_size(),
 * get_va_next_sibling(), is_within_this_va() and classify_va_fit_type().
 * Included after each version's struct vmap_area.
 */
#ifndef VMAPSIM_NATIVE_FREE_TREE_H
#define VMAPSIM_NATIVE_FREE_TREE_H

#define rb_entry_safe(ptr, type, member) ({ struct rb_node *____ptr = (ptr); ____ptr ? rb_entry(____ptr, type, member) : NULL; })

enum fit_type {
	NOTHING_FIT = 0,
	FL_FIT_TYPE = 1,
	LE_FIT_TYPE = 2,
	RE_FIT_TYPE = 3,
	NE_FIT_TYPE = 4
};

static __always_inline unsigned long va_size(struct vmap_area *va)
{
	return (va->va_end - va->va_start);
}

static __always_inline unsigned long get_subtree_max_size(struct rb_node *node)
{
	struct vmap_area *va;

	va = rb_entry_safe(node, struct vmap_area, rb_node);
	return va ? va->subtree_max_size : 0;
}

static __always_inline struct list_head *get_va_next_sibling(struct rb_node *parent, struct rb_node **link)
{
	struct list_head *list;

	if (!parent)
		return NULL;

	list = &rb_entry(parent, struct vmap_area, rb_node)->list;
	return (&parent->rb_right == link ? list->next : list);
}

static __always_inline int is_within_this_va(struct vmap_area *va, unsigned long size, unsigned long align, unsigned long vstart)
{
	unsigned long nva_start_addr;

	if (va->va_start > vstart)
		nva_start_addr = ALIGN(va->va_start, align);
	else
		nva_start_addr = ALIGN(vstart, align);

	if (nva_start_addr + size < nva_start_addr || nva_start_addr < vstart)
		return 0;

	return (nva_start_addr + size <= va->va_end);
}

static __always_inline enum fit_type classify_va_fit_type(struct vmap_area *va, unsigned long nva_start_addr, unsigned long size)
{
	enum fit_type type;

	if (nva_start_addr < va->va_start || nva_start_addr + size > va->va_end)
		return NOTHING_FIT;

	if (va->va_start == nva_start_addr) {
		if (va->va_end == nva_start_addr + size)
			type = FL_FIT_TYPE;
		else
			type = LE_FIT_TYPE;
	} else if (va->va_end == nva_start_addr + size) {
		type = RE_FIT_TYPE;
	} else {
		type = NE_FIT_TYPE;
	}

	return type;
}

#endif
