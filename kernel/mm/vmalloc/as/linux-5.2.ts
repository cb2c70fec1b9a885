// SPDX-License-Identifier: GPL-2.0-only
/*
 * AssemblyScript: the global KVA allocator of Linux 5.2 (Uladzislau Rezki's
 * augmented tree of free blocks, 68ad4a330433, as merged for v5.2), the
 * wasm core of `linux-5.2@wasm`. Function for function the twin of
 * ../linux-5.2.ts, with `unsigned long` as u64, `struct rb_node **` links
 * as slot addresses, and the C expressions as C writes them; the idioms
 * for what AssemblyScript lacks are in docs/wasm.md. Derived from the 6.1
 * core (./linux-6.1.ts) by undoing what changed between the releases, as
 * ../linux-5.2.ts was derived from ../linux-6.1.ts: `diff` of the two
 * AssemblyScript files reads like that of the two TypeScript ports.
 *
 * Version: linux-5.2. Upstream path: mm/vmalloc.c.
 * Text: transcribed function for function from the TypeScript port
 *   ../linux-5.2.ts, a reconstruction (no pristine v5.2 mm/vmalloc.c in
 *   the public code index) confirmed by the 18 linux-5.2 golden traces;
 *   docs/sources.md#port-linux-5.2. The comments here are paraphrases.
 * BUG/WARN sites carry the function and condition; the line comes from the
 * manifest (kernel/manifest/linux-5.2.ts).
 *
 * The trace environment as for the TypeScript port: one CPU; the purge
 * mutex is a no-op and its trylock succeeds; KASAN, kmemleak and the purge
 * notifier are off. Lazily freed areas stay in the busy tree and wait on
 * the lock-less vmap_purge_list (a plain singly linked stack here).
 * Touches: every rb_entry()/list_entry() the C macros evaluate, those in
 * the augment callbacks included, rb_entry_safe() only on a non-NULL node;
 * the purge's llist_entry() evaluations are not counted (as in the port).
 *
 * Not here: the DEBUG_AUGMENT_* checks (off as shipped), seeding from
 * /proc/vmallocinfo.
 */

import { INIT_LIST_HEAD, list_add, list_del, list_head } from '../../../include/linux/as/list';
import { RB_CLEAR_NODE, RB_EMPTY_NODE, rb_deref, rb_left_link, rb_link_node, rb_node, rb_parent, rb_right_link, rb_root, rb_root_link } from '../../../include/linux/as/rbtree';
import { rb_erase, rb_erase_augmented, rb_insert_augmented, rb_insert_color } from '../../../lib/rbtree/as/linux-6.1';
import {
  BUG_ON,
  cond_resched_lock,
  EBUSY,
  ENOMEM,
  ERR_PTR,
  fls,
  flush_cache_vunmap,
  flush_tlb_kernel_range,
  kmem_cache_alloc as slab_alloc,
  kmem_cache_zalloc as slab_zalloc,
  kmem_cache_free as slab_free,
  mutex_lock,
  mutex_trylock,
  mutex_unlock,
  num_online_cpus,
  purge_fragmented_blocks_allcpus,
  purge_area_read,
  purge_released,
  purged,
  rb_entry,
  rb_entry_safe,
  spin_lock,
  spin_unlock,
  touches,
  vunmap_page_range,
  WARN_ON_ONCE,
} from './shims';

export const PAGE_SHIFT: u64 = 12;
export const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;
export const ULONG_MAX: u64 = u64.MAX_VALUE;

/** ALIGN(x, a) of include/linux/kernel.h */
@inline
export function ALIGN(x: u64, a: u64): u64 {
  return (x + (a - 1)) & ~(a - 1);
}
@inline
export function IS_ALIGNED(x: u64, a: u64): bool {
  return (x & (a - 1)) == 0;
}
@inline
export function offset_in_page(p: u64): u64 {
  return p & (PAGE_SIZE - 1);
}
@inline
export function is_power_of_2(n: u64): bool {
  return n != 0 && (n & (n - 1)) == 0;
}

/** GFP bits the allocator tests, with 6.1's values (as the TypeScript port). */
export const __GFP_NOWARN: i32 = 0x2000;
export const GFP_NOWAIT: i32 = 0x800;
/* GFP_RECLAIM_MASK (mm/internal.h) with 6.1's bit values. */
export const GFP_RECLAIM_MASK: i32 = 0xc00 | 0x20 | 0x40 | 0x80 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x80000 | 0x200;

export const VM_LAZY_FREE: u64 = 0x02;
export const VM_VM_AREA: u64 = 0x04;

/** struct llist_node (include/linux/llist.h): no concurrent users here. */
@unmanaged
export class llist_node {
  next: llist_node | null;
}

/** struct llist_head */
@unmanaged
export class llist_head {
  first: llist_node | null;
}

/** llist_add(): push at the head; true if the list was empty. */
@inline
function llist_add(new_: llist_node, head: llist_head): bool {
  const first = head.first;
  new_.next = first;
  head.first = new_;
  return first === null;
}

/** llist_del_all(): take the whole list, newest entry first. */
@inline
function llist_del_all(head: llist_head): llist_node | null {
  const first = head.first;
  head.first = null;
  return first;
}

/** struct vmap_area of 5.2; the rb_node is its first member here (docs/wasm.md). */
@unmanaged
export class vmap_area extends rb_node {
  va_start: u64;
  va_end: u64;

  /* largest available free size in the subtree (free tree only) */
  subtree_max_size: u64;
  flags: u64;
  /* struct list_head list: address sorted list */
  __list: usize;
  __list_prev: usize;
  /* struct llist_node purge_list: "lazy purge" list */
  __purge_list: usize;
  /* struct vm_struct *vm */
  vm: usize;

  @inline get list(): list_head {
    return changetype<list_head>(changetype<usize>(this) + offsetof<vmap_area>('__list'));
  }
  @inline get purge_list(): llist_node {
    return changetype<llist_node>(changetype<usize>(this) + offsetof<vmap_area>('__purge_list'));
  }
}

/** list_entry(l, struct vmap_area, list), counted */
@inline
export function list_entry(l: list_head): vmap_area {
  touches++;
  return changetype<vmap_area>(changetype<usize>(l) - offsetof<vmap_area>('__list'));
}

/** llist_entry(n, struct vmap_area, purge_list): not counted (as in the port). */
@inline
function llist_entry(n: llist_node): vmap_area {
  return changetype<vmap_area>(changetype<usize>(n) - offsetof<vmap_area>('__purge_list'));
}

@inline
function kmem_cache_alloc(gfp_mask: i32): vmap_area | null {
  return changetype<vmap_area | null>(slab_alloc(offsetof<vmap_area>(), gfp_mask));
}

@inline
export function kmem_cache_zalloc(gfp_mask: i32): vmap_area | null {
  return changetype<vmap_area | null>(slab_zalloc(offsetof<vmap_area>(), gfp_mask));
}

@inline
export function kmem_cache_free(va: vmap_area): void {
  slab_free(changetype<usize>(va));
}

/* enum fit_type */
const NOTHING_FIT = 0;
const FL_FIT_TYPE = 1; /* full fit */
const LE_FIT_TYPE = 2; /* left edge fit */
const RE_FIT_TYPE = 3; /* right edge fit */
const NE_FIT_TYPE = 4; /* no edge fit */

/* ---- globals of the "Global kva allocator" section ---- */

export const vmap_area_lock = 'vmap_area_lock';
/** static DEFINE_MUTEX(vmap_purge_lock) */
const vmap_purge_lock = 'vmap_purge_lock';

/* busy tree and list: allocated and lazily freed areas */
export const vmap_area_list = changetype<list_head>(memory.data(offsetof<list_head>()));
/* lazily freed areas waiting for a purge, newest first */
export const vmap_purge_list = changetype<llist_head>(memory.data(offsetof<llist_head>()));
export const vmap_area_root = changetype<rb_root>(memory.data(offsetof<rb_root>()));
export let vmap_initialized: bool = false;

export const free_vmap_area_list = changetype<list_head>(memory.data(offsetof<list_head>()));
export const free_vmap_area_root = changetype<rb_root>(memory.data(offsetof<rb_root>()));

/** static atomic_long_t vmap_lazy_nr */
export let vmap_lazy_nr: i64 = 0;

export let VMALLOC_START: u64 = 0;
export let VMALLOC_END: u64 = 0;

@inline
function va_size(va: vmap_area): u64 {
  return va.va_end - va.va_start;
}

@inline
function get_subtree_max_size(node: rb_node | null): u64 {
  let va: vmap_area | null;

  va = rb_entry_safe<vmap_area>(node);
  return va ? va.subtree_max_size : 0;
}

/*
 * The largest free block of va's subtree: its own size or a child's value.
 * Used by the rotate/propagate callbacks and by augment_tree_propagate_from().
 */
@inline
function compute_subtree_max_size(va: vmap_area): u64 {
  return max(va_size(va), max(get_subtree_max_size(va.rb_left), get_subtree_max_size(va.rb_right)));
}

/*
 * RB_DECLARE_CALLBACKS(static, free_vmap_area_rb_augment_cb,
 *     struct vmap_area, rb_node, unsigned long, subtree_max_size,
 *     compute_subtree_max_size)
 * as the include/linux/rbtree_augmented.h of 5.2 expands it (the form
 * before 5.4's RB_DECLARE_CALLBACKS_MAX).
 */
function free_vmap_area_rb_augment_cb_propagate(rb: rb_node | null, stop: rb_node | null): void {
  while (rb !== stop) {
    const node = rb_entry<vmap_area>(rb);
    const augmented = compute_subtree_max_size(node);
    if (node.subtree_max_size == augmented) break;
    node.subtree_max_size = augmented;
    rb = rb_parent(node);
  }
}

function free_vmap_area_rb_augment_cb_copy(rb_old: rb_node, rb_new: rb_node): void {
  const old = rb_entry<vmap_area>(rb_old);
  const new_ = rb_entry<vmap_area>(rb_new);
  new_.subtree_max_size = old.subtree_max_size;
}

function free_vmap_area_rb_augment_cb_rotate(rb_old: rb_node, rb_new: rb_node): void {
  const old = rb_entry<vmap_area>(rb_old);
  const new_ = rb_entry<vmap_area>(rb_new);
  new_.subtree_max_size = old.subtree_max_size;
  old.subtree_max_size = compute_subtree_max_size(old);
}

/* struct rb_augment_callbacks free_vmap_area_rb_augment_cb: its three functions as methods (docs/wasm.md) */
@final @unmanaged
class free_vmap_area_rb_augment_cb_t {
  propagate(rb: rb_node | null, stop: rb_node | null): void {
    free_vmap_area_rb_augment_cb_propagate(rb, stop);
  }
  copy(rb_old: rb_node, rb_new: rb_node): void {
    free_vmap_area_rb_augment_cb_copy(rb_old, rb_new);
  }
  rotate(rb_old: rb_node, rb_new: rb_node): void {
    free_vmap_area_rb_augment_cb_rotate(rb_old, rb_new);
  }
}

const free_vmap_area_rb_augment_cb = new free_vmap_area_rb_augment_cb_t();

export function __find_vmap_area(addr: u64): vmap_area | null {
  let n = vmap_area_root.rb_node;

  while (n) {
    let va: vmap_area;

    va = rb_entry<vmap_area>(n);
    if (addr < va.va_start) n = n.rb_left;
    else if (addr >= va.va_end) n = n.rb_right;
    else return va;
  }

  return null;
}

/* `link = &from` takes the address of the parameter: it lives here (docs/wasm.md). */
const find_va_links_from = memory.data(sizeof<usize>());

/*
 * Find where va would be linked: *parent gets the parent node, the return
 * value is the link (the address of the slot). Descends from the root, or
 * from `from` when root is NULL. An overlap with an area already there is
 * a BUG().
 */
@inline
function find_va_links(va: vmap_area, root: rb_root | null, from: rb_node | null, parent: usize): usize {
  let tmp_va: vmap_area | null = null;
  let link: usize;

  if (root) {
    link = rb_root_link(root);
    if (!rb_deref(link)) {
      store<usize>(parent, 0); // *parent = NULL
      return link;
    }
  } else {
    store<usize>(find_va_links_from, changetype<usize>(from));
    link = find_va_links_from; // &from
  }

  // Descend to the bottom; any overlap on the way is a bug.
  do {
    tmp_va = rb_entry<vmap_area>(rb_deref(link));

    if (va.va_start < tmp_va.va_end && va.va_end <= tmp_va.va_start) link = rb_left_link(rb_deref(link)!);
    else if (va.va_end > tmp_va.va_start && va.va_start >= tmp_va.va_end) link = rb_right_link(rb_deref(link)!);
    else BUG_ON(true, 'find_va_links', 'BUG()');
  } while (rb_deref(link));

  store<usize>(parent, changetype<usize>(tmp_va)); // *parent = &tmp_va->rb_node
  return link;
}

@inline
function get_va_next_sibling(parent: rb_node | null, link: usize): list_head | null {
  let list: list_head;

  if (!parent)
    // The tree is empty: no free space at all. Not expected, handled anyway.
    return null;

  list = rb_entry<vmap_area>(parent).list;
  return rb_right_link(parent) == link ? list.next : list;
}

function link_va(va: vmap_area, root: rb_root, parent: rb_node | null, link: usize, head: list_head): void {
  // va is not on the list yet, but its future predecessor is known.
  if (parent) {
    head = rb_entry<vmap_area>(parent).list;
    if (rb_right_link(parent) != link) head = head.prev;
  }

  // Insert to the rb-tree.
  rb_link_node(va, parent, link);
  if (root === free_vmap_area_root) {
    // Plain insertion; subtree_max_size is zeroed afterwards and
    // augment_tree_propagate_from() fills it in bottom up.
    rb_insert_augmented(va, root, free_vmap_area_rb_augment_cb);
    va.subtree_max_size = 0;
  } else {
    rb_insert_color(va, root);
  }

  // Address-sort this list.
  list_add(va.list, head);
}

function unlink_va(va: vmap_area, root: rb_root): void {
  // A node being merged may be on no tree and no list: check.
  if (!RB_EMPTY_NODE(va)) {
    if (root === free_vmap_area_root) rb_erase_augmented(va, root, free_vmap_area_rb_augment_cb);
    else rb_erase(va, root);

    list_del(va.list);
    RB_CLEAR_NODE(va);
  }
}

/*
 * Recompute subtree_max_size from va towards the root, stopping at the
 * first node whose value does not change (after an insert, a shrink or a
 * merge).
 */
function augment_tree_propagate_from(va: vmap_area): void {
  let node: rb_node | null = va;
  let new_va_sub_max_size: u64;

  while (node) {
    va = rb_entry<vmap_area>(node);
    new_va_sub_max_size = compute_subtree_max_size(va);

    // Unchanged here means everything above is already right.
    if (va.subtree_max_size == new_va_sub_max_size) break;

    va.subtree_max_size = new_va_sub_max_size;
    node = rb_parent(va);
  }

  // DEBUG_AUGMENT_PROPAGATE_CHECK is 0.
}

/* The callers' `struct rb_node *parent`, whose addresses are taken (docs/wasm.md). */
const insert_vmap_area_parent = memory.data(sizeof<usize>());
const insert_vmap_area_augment_parent = memory.data(sizeof<usize>());
const merge_parent = memory.data(sizeof<usize>());

export function insert_vmap_area(va: vmap_area, root: rb_root, head: list_head): void {
  let link: usize;
  const parent = insert_vmap_area_parent;

  link = find_va_links(va, root, null, parent);
  link_va(va, root, changetype<rb_node | null>(load<usize>(parent)), link, head);
}

function insert_vmap_area_augment(va: vmap_area, from: rb_node | null, root: rb_root, head: list_head): void {
  let link: usize;
  const parent = insert_vmap_area_augment_parent;

  if (from) link = find_va_links(va, null, from, parent);
  else link = find_va_links(va, root, null, parent);

  link_va(va, root, changetype<rb_node | null>(load<usize>(parent)), link, head);
  augment_tree_propagate_from(va);
}

/*
 * Put a released range back: merge it into the next and/or the previous
 * block when they touch, else insert it as a block of its own. A merged va
 * is freed.
 */
@inline
function merge_or_add_vmap_area(va: vmap_area, root: rb_root, head: list_head): void {
  let sibling: vmap_area;
  let next: list_head | null;
  let link: usize;
  const parent = merge_parent;
  let merged: bool = false;

  // Where va would go, unless it merges.
  link = find_va_links(va, root, null, parent);

  // The block after va, to see whether they merge.
  next = get_va_next_sibling(changetype<rb_node | null>(load<usize>(parent)), link);
  do {
    if (!next) break; // goto insert

    // |<------VA------>|<-----Next----->|
    if (next !== head) {
      sibling = list_entry(next);
      if (sibling.va_start == va.va_end) {
        sibling.va_start = va.va_start;

        // Fix the tree above the grown block.
        augment_tree_propagate_from(sibling);

        // va has been merged: take it out (it is on no tree here).
        unlink_va(va, root);

        // Free vmap_area object.
        kmem_cache_free(va);

        // Point to the new merged area.
        va = sibling;
        merged = true;
      }
    }

    // |<-----Prev----->|<------VA------>|
    if (next.prev !== head) {
      sibling = list_entry(next.prev);
      if (sibling.va_end == va.va_start) {
        sibling.va_end = va.va_end;

        // Fix the tree above the grown block.
        augment_tree_propagate_from(sibling);

        // va has been merged: take it out; after a merge with the next
        // block, va is that block and leaves the tree now.
        unlink_va(va, root);

        // Free vmap_area object.
        kmem_cache_free(va);

        return;
      }
    }
  } while (false);

  // insert:
  if (!merged) {
    link_va(va, root, changetype<rb_node | null>(load<usize>(parent)), link, head);
    augment_tree_propagate_from(va);
  }
}

@inline
function is_within_this_va(va: vmap_area, size: u64, align: u64, vstart: u64): bool {
  let nva_start_addr: u64;

  if (va.va_start > vstart) nva_start_addr = ALIGN(va.va_start, align);
  else nva_start_addr = ALIGN(vstart, align);

  // Can be overflowed due to big size or alignment.
  if (nva_start_addr + size < nva_start_addr || nva_start_addr < vstart) return false;

  return nva_start_addr + size <= va.va_end;
}

/*
 * The free block with the lowest start that can hold the request. The
 * length searched for includes the worst-case alignment overhead.
 */
@inline
function find_vmap_lowest_match(size: u64, align: u64, vstart: u64): vmap_area | null {
  let va: vmap_area;
  let node: rb_node | null;
  let length: u64;

  // Start from the root.
  node = free_vmap_area_root.rb_node;

  // Adjust the search size for alignment overhead.
  length = size + align - 1;

  while (node) {
    va = rb_entry<vmap_area>(node);

    if (get_subtree_max_size(node.rb_left) >= length && vstart < va.va_start) {
      node = node.rb_left;
    } else {
      if (is_within_this_va(va, size, align, vstart)) return va;

      // The right subtree is only worth entering if some block there is at
      // least the search length.
      if (get_subtree_max_size(node.rb_right) >= length) {
        node = node.rb_right;
        continue;
      }

      // Climb back to the first right subtree that can satisfy the
      // request; only the vstart restriction can lead here, so once.
      while ((node = rb_parent(node))) {
        va = rb_entry<vmap_area>(node);
        if (is_within_this_va(va, size, align, vstart)) return va;

        if (get_subtree_max_size(node.rb_right) >= length && vstart <= va.va_start) {
          node = node.rb_right;
          break;
        }
      }
    }
  }

  return null;
}

@inline
export function classify_va_fit_type(va: vmap_area, nva_start_addr: u64, size: u64): i32 {
  let type: i32;

  // Check if it is within VA.
  if (nva_start_addr < va.va_start || nva_start_addr + size > va.va_end) return NOTHING_FIT;

  // Now classify.
  if (va.va_start == nva_start_addr) {
    if (va.va_end == nva_start_addr + size) type = FL_FIT_TYPE;
    else type = LE_FIT_TYPE;
  } else if (va.va_end == nva_start_addr + size) {
    type = RE_FIT_TYPE;
  } else {
    type = NE_FIT_TYPE;
  }

  return type;
}

export function adjust_va_to_fit_type(va: vmap_area, nva_start_addr: u64, size: u64, type: i32): i32 {
  let lva: vmap_area | null = null;

  if (type == FL_FIT_TYPE) {
    // The block is used whole:
    // |<---- va = nva ---->|
    unlink_va(va, free_vmap_area_root);
    kmem_cache_free(va);
  } else if (type == LE_FIT_TYPE) {
    // Cut from the left edge:
    // |<- nva ->|<-- va -->|
    va.va_start += size;
  } else if (type == RE_FIT_TYPE) {
    // Cut from the right edge:
    // |<-- va -->|<- nva ->|
    va.va_end = nva_start_addr;
  } else if (type == NE_FIT_TYPE) {
    // Cut from the middle; a second node holds the left remainder:
    // |<- lva ->|<- nva ->|<- va ->|
    lva = kmem_cache_alloc(GFP_NOWAIT);
    if (!lva) return -1;

    // Build the remainder.
    lva.va_start = va.va_start;
    lva.va_end = nva_start_addr;

    // Shrink this VA to the remaining size.
    va.va_start = nva_start_addr + size;
  } else {
    return -1;
  }

  if (type != FL_FIT_TYPE) {
    augment_tree_propagate_from(va);

    if (lva)
      // type == NE_FIT_TYPE
      insert_vmap_area_augment(lva, va, free_vmap_area_root, free_vmap_area_list);
  }

  return 0;
}

/*
 * Carve [addr, addr + size) out of the free tree; returns addr, or vend as
 * the failure marker.
 */
function __alloc_vmap_area(size: u64, align: u64, vstart: u64, vend: u64, node: i32): u64 {
  let nva_start_addr: u64;
  let va: vmap_area | null;
  let type: i32;
  let ret: i32;

  va = find_vmap_lowest_match(size, align, vstart);
  if (!va) return vend;

  if (va.va_start > vstart) nva_start_addr = ALIGN(va.va_start, align);
  else nva_start_addr = ALIGN(vstart, align);

  // Check the "vend" restriction.
  if (nva_start_addr + size > vend) return vend;

  // Classify what we have found.
  type = classify_va_fit_type(va, nva_start_addr, size);
  if (WARN_ON_ONCE(type == NOTHING_FIT, '__alloc_vmap_area', 'type == NOTHING_FIT')) return vend;

  // Update the free vmap_area.
  ret = adjust_va_to_fit_type(va, nva_start_addr, size, type);
  if (ret) return vend;

  return nva_start_addr;
}

/** blocking_notifier_call_chain(&vmap_notify_list, 0, &freed): the chain is empty. */
@inline
function vmap_notify_list_call_chain(): u64 {
  return 0;
}

/*
 * Allocate a region of KVA of the specified size and alignment, within the
 * vstart and vend; a vmap_area, or ERR_PTR(-ENOMEM/-EBUSY).
 */
export function alloc_vmap_area(size: u64, align: u64, vstart: u64, vend: u64, node: i32, gfp_mask: i32): usize {
  let va: vmap_area | null;
  let freed: u64;
  let addr: u64;
  let purged: i32 = 0;

  BUG_ON(!size, 'alloc_vmap_area', '!size');
  BUG_ON(offset_in_page(size) != 0, 'alloc_vmap_area', 'offset_in_page(size)');
  BUG_ON(!is_power_of_2(align), 'alloc_vmap_area', '!is_power_of_2(align)');

  if (!vmap_initialized) return ERR_PTR(-EBUSY);

  // might_sleep();

  va = kmem_cache_alloc(gfp_mask & GFP_RECLAIM_MASK); // kmem_cache_alloc_node(vmap_area_cachep, ..., node)
  if (!va) return ERR_PTR(-ENOMEM);

  // kmemleak_scan_area(&va->rb_node, SIZE_MAX, gfp_mask & GFP_RECLAIM_MASK): no kmemleak.

  for (;;) {
    // retry:
    spin_lock(vmap_area_lock);

    // If an allocation fails, the "vend" address is returned: goto overflow.
    addr = __alloc_vmap_area(size, align, vstart, vend, node);
    if (addr != vend) {
      va.va_start = addr;
      va.va_end = addr + size;
      va.flags = 0;
      insert_vmap_area(va, vmap_area_root, vmap_area_list);

      spin_unlock(vmap_area_lock);

      BUG_ON(!IS_ALIGNED(va.va_start, align), 'alloc_vmap_area', '!IS_ALIGNED(va->va_start, align)');
      BUG_ON(va.va_start < vstart, 'alloc_vmap_area', 'va->va_start < vstart');
      BUG_ON(va.va_end > vend, 'alloc_vmap_area', 'va->va_end > vend');

      return changetype<usize>(va);
    }

    // overflow:
    spin_unlock(vmap_area_lock);
    if (!purged) {
      purge_vmap_area_lazy();
      purged = 1;
      continue; // goto retry
    }

    freed = vmap_notify_list_call_chain();

    if (freed > 0) {
      purged = 0;
      continue; // goto retry
    }

    // The ratelimited "vmap allocation for size %lu failed: use
    // vmalloc=<size> to increase size" pr_warn when !(gfp_mask &
    // __GFP_NOWARN): a printk, nothing is recorded.

    kmem_cache_free(va);
    return ERR_PTR(-EBUSY);
  }
}

/*
 * Take an area out of the busy tree and give its range back to the free
 * tree. The caller holds vmap_area_lock.
 */
export function __free_vmap_area(va: vmap_area): void {
  BUG_ON(RB_EMPTY_NODE(va), '__free_vmap_area', 'RB_EMPTY_NODE(&va->rb_node)');

  // Remove from the busy tree/list.
  unlink_va(va, vmap_area_root);

  // Merge VA with its neighbors, otherwise just add it.
  merge_or_add_vmap_area(va, free_vmap_area_root, free_vmap_area_list);
}

/** Free a region of KVA allocated by alloc_vmap_area(). */
export function free_vmap_area(va: vmap_area): void {
  spin_lock(vmap_area_lock);
  __free_vmap_area(va);
  spin_unlock(vmap_area_lock);
}

/** Clear the pagetable entries of a given vmap_area. */
@inline
function unmap_vmap_area(va: vmap_area): void {
  vunmap_page_range(va.va_start, va.va_end);
}

/*
 * How many pages of lazily freed space to collect before purging: a log
 * scale in the number of online CPUs, 32 MiB per step.
 */
export function lazy_max_pages(): u64 {
  let log: u32;

  log = <u32>fls(num_online_cpus());

  return <u64>log * ((32 * 1024 * 1024) / PAGE_SIZE);
}

/*
 * Purge every lazily freed area: take the whole vmap_purge_list, flush the
 * TLBs over its span and free each area, newest first, which returns its
 * range to the free tree. False when there was nothing to do. The caller
 * holds vmap_purge_lock.
 */
export function __purge_vmap_area_lazy(start: u64, end: u64): bool {
  let resched_threshold: u64;
  let valist: llist_node | null;
  let va: vmap_area;
  let n: llist_node | null;
  let n_next: llist_node | null = null;
  let nr_areas: i32 = 0; // instrumentation: areas released, for the `purged` event

  valist = llist_del_all(vmap_purge_list);
  if (!valist) return false; // unlikely(valist == NULL)

  // llist_for_each_entry(va, valist, purge_list), the next pointer read
  // first (AssemblyScript's flow typing; nothing is freed in this loop)
  for (n = valist; n; n = n_next) {
    va = llist_entry(n);
    n_next = n.next;
    if (va.va_start < start) start = va.va_start;
    if (va.va_end > end) end = va.va_end;
    nr_areas++;
    purge_area_read(); // instrumentation, not kernel text: the purge reads the lazily freed area again
  }

  flush_tlb_kernel_range(start, end);
  purged(nr_areas, start, end);
  resched_threshold = lazy_max_pages() << 1;

  spin_lock(vmap_area_lock);
  // llist_for_each_entry_safe(va, n_va, valist, purge_list)
  for (n = valist; n; n = n_next) {
    va = llist_entry(n);
    n_next = n.next;
    const nr: u64 = (va.va_end - va.va_start) >> PAGE_SHIFT;

    __free_vmap_area(va);
    purge_released(); // instrumentation, not kernel text
    vmap_lazy_nr -= <i64>nr; // atomic_long_sub(nr, &vmap_lazy_nr)

    if (<u64>vmap_lazy_nr < resched_threshold) cond_resched_lock(vmap_area_lock);
  }
  spin_unlock(vmap_area_lock);
  return true;
}

/*
 * Kick off a purge of the outstanding lazy areas. Don't bother if somebody
 * is already purging.
 */
function try_purge_vmap_area_lazy(): void {
  if (mutex_trylock(vmap_purge_lock)) {
    __purge_vmap_area_lazy(ULONG_MAX, 0);
    mutex_unlock(vmap_purge_lock);
  }
}

/** Kick off a purge of the outstanding lazy areas. */
export function purge_vmap_area_lazy(): void {
  mutex_lock(vmap_purge_lock);
  purge_fragmented_blocks_allcpus();
  __purge_vmap_area_lazy(ULONG_MAX, 0);
  mutex_unlock(vmap_purge_lock);
}

/*
 * Free an area lazily: the caller has unmapped it and called
 * flush_cache_vunmap(); its TLB flush waits for the purge. The area stays
 * in the busy tree until then.
 */
export function free_vmap_area_noflush(va: vmap_area): void {
  let nr_lazy: u64;

  vmap_lazy_nr += <i64>((va.va_end - va.va_start) >> PAGE_SHIFT); // atomic_long_add_return
  nr_lazy = <u64>vmap_lazy_nr;

  // After this point, we may free va at any time.
  llist_add(va.purge_list, vmap_purge_list);

  if (nr_lazy > lazy_max_pages()) try_purge_vmap_area_lazy();
}

/** Free and unmap an area, lazily. */
export function free_unmap_vmap_area(va: vmap_area): void {
  flush_cache_vunmap(va.va_start, va.va_end);
  unmap_vmap_area(va);
  // debug_pagealloc_enabled() is false: no immediate flush.

  free_vmap_area_noflush(va);
}

export function find_vmap_area(addr: u64): vmap_area | null {
  let va: vmap_area | null;

  spin_lock(vmap_area_lock);
  va = __find_vmap_area(addr);
  spin_unlock(vmap_area_lock);

  return va;
}

/*
 * Seed the free tree with the holes between the busy areas over the whole
 * [1, ULONG_MAX) space; no early vmlist entries here, so one block.
 */
function vmap_init_free_space(): void {
  let vmap_start: u64 = 1;
  const vmap_end: u64 = ULONG_MAX;
  let busy: vmap_area;
  let free: vmap_area | null;

  //     B     F     B     B     B     F
  // -|-----|.....|-----|-----|-----|.....|-
  //  |           The KVA space           |
  // list_for_each_entry(busy, &vmap_area_list, list)
  for (busy = list_entry(vmap_area_list.next); busy.list !== vmap_area_list; busy = list_entry(busy.list.next)) {
    if (busy.va_start - vmap_start > 0) {
      free = kmem_cache_zalloc(GFP_NOWAIT);
      if (!WARN_ON_ONCE(!free, 'vmap_init_free_space', '!free')) {
        free!.va_start = vmap_start;
        free!.va_end = busy.va_start;

        insert_vmap_area_augment(free!, null, free_vmap_area_root, free_vmap_area_list);
      }
    }

    vmap_start = busy.va_end;
  }

  if (vmap_end - vmap_start > 0) {
    free = kmem_cache_zalloc(GFP_NOWAIT);
    if (!WARN_ON_ONCE(!free, 'vmap_init_free_space', '!free', 2)) {
      free!.va_start = vmap_start;
      free!.va_end = vmap_end;

      insert_vmap_area_augment(free!, null, free_vmap_area_root, free_vmap_area_list);
    }
  }
}

/*
 * vmalloc_init(), allocator part: no early vmlist entries to import into
 * the busy tree in the emulated boot.
 */
export function vmalloc_init(): void {
  INIT_LIST_HEAD(vmap_area_list);
  INIT_LIST_HEAD(free_vmap_area_list);
  vmap_init_free_space();
  vmap_initialized = true;
}
