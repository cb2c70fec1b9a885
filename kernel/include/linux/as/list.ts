// SPDX-License-Identifier: GPL-2.0-only
/*
 * AssemblyScript: include/linux/list.h (and the rculist.h variants, the same
 * operations without concurrent readers), for the wasm cores
 * (kernel/mm/vmalloc/as/). The TypeScript twin is ../list.ts.
 *
 * struct list_head lives in linear memory; a structure that embeds one
 * declares its two words inline (docs/wasm.md, "a struct inside a struct")
 * and hands out `&x->list` as the address of the first word, so that
 * list_entry() is container_of(): the address minus the field's offset.
 */

/** struct list_head */
@unmanaged
export class list_head {
  next!: list_head;
  prev!: list_head;
}

/* The poison values list_del() leaves behind (LIST_POISON1/2, no POISON_POINTER_DELTA). */
export const LIST_POISON1: usize = 0x100;
export const LIST_POISON2: usize = 0x122;

@inline
export function INIT_LIST_HEAD(list: list_head): void {
  list.next = list;
  list.prev = list;
}

@inline
function __list_add(entry: list_head, prev: list_head, next: list_head): void {
  next.prev = entry;
  entry.next = next;
  entry.prev = prev;
  prev.next = entry;
}

@inline
export function list_add(entry: list_head, head: list_head): void {
  __list_add(entry, head, head.next);
}

@inline
export function list_add_tail(entry: list_head, head: list_head): void {
  __list_add(entry, head.prev, head);
}

@inline
function __list_del(prev: list_head, next: list_head): void {
  next.prev = prev;
  prev.next = next;
}

@inline
export function list_del(entry: list_head): void {
  __list_del(entry.prev, entry.next);
  entry.next = changetype<list_head>(LIST_POISON1);
  entry.prev = changetype<list_head>(LIST_POISON2);
}

@inline
export function list_del_init(entry: list_head): void {
  __list_del(entry.prev, entry.next);
  INIT_LIST_HEAD(entry);
}

/** Delete entry from its list and add it at the tail of head. */
@inline
export function list_move_tail(entry: list_head, head: list_head): void {
  __list_del(entry.prev, entry.next);
  list_add_tail(entry, head);
}

@inline
export function list_add_rcu(entry: list_head, head: list_head): void {
  list_add(entry, head);
}

/** Unlink entry; only prev is poisoned, so a reader may still step forward. */
@inline
export function list_del_rcu(entry: list_head): void {
  __list_del(entry.prev, entry.next);
  entry.prev = changetype<list_head>(LIST_POISON2);
}

@inline
export function list_empty(head: list_head): bool {
  return head.next === head;
}

/** list_is_last(list, head): is list the last entry of head's list? */
@inline
export function list_is_last(list: list_head, head: list_head): bool {
  return list.next === head;
}

@inline
export function list_replace(old: list_head, entry: list_head): void {
  entry.next = old.next;
  entry.next.prev = entry;
  entry.prev = old.prev;
  entry.prev.next = entry;
}

@inline
export function list_replace_init(old: list_head, entry: list_head): void {
  list_replace(old, entry);
  INIT_LIST_HEAD(old);
}
