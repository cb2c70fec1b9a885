// SPDX-License-Identifier: GPL-2.0-only
/*
 * Port of the doubly linked list of include/linux/list.h (and the RCU list
 * variants of include/linux/rculist.h, which are the same operations when
 * there are no concurrent readers, as in the emulator).
 *
 * A C list_head is embedded in its containing structure and list_entry() is
 * container_of(). Here a list_head carries a back-reference to the structure
 * it is embedded in (`owner`; null for a bare list head such as
 * vmap_area_list); list_entry() is implemented by each ported file so that it
 * can be counted (see kernel/mm/vmalloc/common.ts).
 */

/** struct list_head */
export class list_head<T = unknown> {
  next: list_head<T>;
  prev: list_head<T>;
  constructor(readonly owner: T | null = null) {
    this.next = this;
    this.prev = this;
  }
}

/** The poison values list_del() leaves behind (LIST_POISON1/2). */
export const LIST_POISON1: list_head<never> = new list_head<never>(null);
export const LIST_POISON2: list_head<never> = new list_head<never>(null);

/** LIST_HEAD(name) / INIT_LIST_HEAD(list) */
export function INIT_LIST_HEAD<T>(list: list_head<T>): void {
  list.next = list;
  list.prev = list;
}

function __list_add<T>(entry: list_head<T>, prev: list_head<T>, next: list_head<T>): void {
  next.prev = entry;
  entry.next = next;
  entry.prev = prev;
  prev.next = entry;
}

/** Insert entry right after head. */
export function list_add<T>(entry: list_head<T>, head: list_head<T>): void {
  __list_add(entry, head, head.next);
}

/** Insert entry right before head (at the tail of the list). */
export function list_add_tail<T>(entry: list_head<T>, head: list_head<T>): void {
  __list_add(entry, head.prev, head);
}

function __list_del<T>(prev: list_head<T>, next: list_head<T>): void {
  next.prev = prev;
  prev.next = next;
}

/** Unlink entry and poison its pointers. */
export function list_del<T>(entry: list_head<T>): void {
  __list_del(entry.prev, entry.next);
  entry.next = LIST_POISON1 as list_head<T>;
  entry.prev = LIST_POISON2 as list_head<T>;
}

/** Unlink entry and reinitialise it as an empty list. */
export function list_del_init<T>(entry: list_head<T>): void {
  __list_del(entry.prev, entry.next);
  INIT_LIST_HEAD(entry);
}

/** list_add_rcu: the same as list_add with no concurrent readers. */
export const list_add_rcu = list_add;
/** list_add_tail_rcu */
export const list_add_tail_rcu = list_add_tail;

/** Unlink entry; only prev is poisoned, so a reader may still step forward. */
export function list_del_rcu<T>(entry: list_head<T>): void {
  __list_del(entry.prev, entry.next);
  entry.prev = LIST_POISON2 as list_head<T>;
}

/** list_empty(head) */
export function list_empty<T>(head: list_head<T>): boolean {
  return head.next === head;
}

/** list_is_last(entry, head) */
export function list_is_last<T>(entry: list_head<T>, head: list_head<T>): boolean {
  return entry.next === head;
}

/** list_is_first(entry, head) */
export function list_is_first<T>(entry: list_head<T>, head: list_head<T>): boolean {
  return entry.prev === head;
}

/** Move entry to the front of another list. */
export function list_move<T>(entry: list_head<T>, head: list_head<T>): void {
  __list_del(entry.prev, entry.next);
  list_add(entry, head);
}

/** Move entry to the tail of another list. */
export function list_move_tail<T>(entry: list_head<T>, head: list_head<T>): void {
  __list_del(entry.prev, entry.next);
  list_add_tail(entry, head);
}

/** Replace old by entry. */
export function list_replace<T>(old: list_head<T>, entry: list_head<T>): void {
  entry.next = old.next;
  entry.next.prev = entry;
  entry.prev = old.prev;
  entry.prev.next = entry;
}

/** list_replace_init */
export function list_replace_init<T>(old: list_head<T>, entry: list_head<T>): void {
  list_replace(old, entry);
  INIT_LIST_HEAD(old);
}

function __list_splice<T>(list: list_head<T>, prev: list_head<T>, next: list_head<T>): void {
  const first = list.next;
  const last = list.prev;
  first.prev = prev;
  prev.next = first;
  last.next = next;
  next.prev = last;
}

/** Join list after head, reinitialising list. */
export function list_splice_init<T>(list: list_head<T>, head: list_head<T>): void {
  if (!list_empty(list)) {
    __list_splice(list, head, head.next);
    INIT_LIST_HEAD(list);
  }
}

/** Join list before head (at its tail), reinitialising list. */
export function list_splice_tail_init<T>(list: list_head<T>, head: list_head<T>): void {
  if (!list_empty(list)) {
    __list_splice(list, head.prev, head);
    INIT_LIST_HEAD(list);
  }
}

/** Number of entries (not a kernel function; for checks and tests). */
export function list_count<T>(head: list_head<T>): number {
  let n = 0;
  for (let p = head.next; p !== head; p = p.next) n++;
  return n;
}
