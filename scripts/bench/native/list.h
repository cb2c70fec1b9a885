// SPDX-License-Identifier: GPL-2.0-only
/*
 * The include/linux/list.h operations the 2.6.35 / 2.6.39 allocators use, and
 * the instrumentation of the kernel's own bench build: rb_entry() and
 * list_entry() bump `touches` on every evaluation, as container_of() would be
 * evaluated. Native side of `vmapsim bench` (C here).
 */
#ifndef VMAPSIM_NATIVE_LIST_H
#define VMAPSIM_NATIVE_LIST_H

#include <stddef.h>

struct list_head {
	struct list_head *next, *prev;
};

static unsigned long touches;

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define rb_entry(ptr, type, member) (touches++, container_of(ptr, type, member))
#define list_entry(ptr, type, member) (touches++, container_of(ptr, type, member))

#define LIST_HEAD_INIT(name) { &(name), &(name) }
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)
#define LIST_POISON2 ((void *)0x00200200)

static inline void INIT_LIST_HEAD(struct list_head *list)
{
	list->next = list;
	list->prev = list;
}

static inline void __list_add(struct list_head *new, struct list_head *prev, struct list_head *next)
{
	next->prev = new;
	new->next = next;
	new->prev = prev;
	prev->next = new;
}

static inline void list_add(struct list_head *new, struct list_head *head)
{
	__list_add(new, head, head->next);
}

static inline void list_add_tail(struct list_head *new, struct list_head *head)
{
	__list_add(new, head->prev, head);
}

/* list_add_rcu(): rcu_assign_pointer() is a plain store on x86. */
static inline void list_add_rcu(struct list_head *new, struct list_head *head)
{
	__list_add(new, head, head->next);
}

static inline void __list_del(struct list_head *prev, struct list_head *next)
{
	next->prev = prev;
	prev->next = next;
}

static inline void list_del_rcu(struct list_head *entry)
{
	__list_del(entry->prev, entry->next);
	entry->prev = LIST_POISON2;
}

static inline void list_del_init(struct list_head *entry)
{
	__list_del(entry->prev, entry->next);
	INIT_LIST_HEAD(entry);
}

static inline int list_empty(const struct list_head *head)
{
	return head->next == head;
}

static inline void list_replace_init(struct list_head *old, struct list_head *new)
{
	new->next = old->next;
	new->next->prev = new;
	new->prev = old->prev;
	new->prev->next = new;
	INIT_LIST_HEAD(old);
}

#define list_for_each_entry_rcu(pos, head, member) \
	for (pos = list_entry((head)->next, typeof(*pos), member); \
	     &pos->member != (head); \
	     pos = list_entry(pos->member.next, typeof(*pos), member))

#define list_for_each_entry_safe(pos, n, head, member) \
	for (pos = list_entry((head)->next, typeof(*pos), member), \
	     n = list_entry(pos->member.next, typeof(*pos), member); \
	     &pos->member != (head); \
	     pos = n, n = list_entry(n->member.next, typeof(*n), member))

#endif
