// SPDX-License-Identifier: GPL-2.0-only
/*
 * AssemblyScript: the global KVA allocator of Linux 6.1 (Uladzislau Rezki's
 * augmented tree of free blocks, 68ad4a330433, as it stood in 6.1), the
 * wasm core of `linux-6.1@wasm`. Function for function the twin of
 * ../linux-6.1.ts, with `unsigned long` as u64, `struct rb_node **` links
 * as slot addresses, and the C expressions as C writes them; the idioms
 * for what AssemblyScript lacks are in docs/wasm.md.
 *
 * Version: linux-6.1 (Debian 6.1.192-2). Upstream path: mm/vmalloc.c.
 * Text: transcribed function for function from the TypeScript port
 *   ../linux-6.1.ts, whose text was read in Debian's linux-source-6.1
 *   6.1.192-2: mm/vmalloc.c ("Global kva allocator", lines 797-1927, and
 *   vmap_init_free_space at 2433), include/linux/vmalloc.h,
 *   include/linux/rbtree_augmented.h (RB_DECLARE_CALLBACKS_MAX);
 *   docs/sources.md. The text is not committed; the comments here are
 *   paraphrases.
 * BUG/WARN sites carry the function and condition; the line comes from the
 * manifest (kernel/manifest/linux-6.1.ts).
 *
 * The trace environment as for the TypeScript port: one CPU, so one
 * ne_fit_preload_node slot; the drain work runs at once unless the
 * environment queues it; KASAN, kmemleak and the purge notifier are off.
 * Touches: every rb_entry()/list_entry() the C macros evaluate, those in
 * the augment callbacks included, rb_entry_safe() only on a non-NULL node.
 *
 * Not here: the DEBUG_AUGMENT_* checks (off as shipped). pcpu_get_vm_areas()
 * is in ./linux-6.1.pcpu.ts; seeding from /proc/vmallocinfo (not kernel
 * code) in the boundary, ./linux-6.1.exports.ts.
 */

import { INIT_LIST_HEAD, list_add, list_del_init, list_empty, list_head, list_replace_init } from '../../../include/linux/as/list';
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
  mutex_unlock,
  num_online_cpus,
  purge_fragmented_blocks_allcpus,
  purge_area_read,
  purge_released,
  purged,
  rb_entry,
  rb_entry_safe,
  schedule_work,
  spin_lock,
  spin_unlock,
  touches,
  vunmap_page_range,
  WARN_ON,
  WARN_ON_ONCE,
} from './shims';

export const PAGE_SHIFT: u64 = 12;
export const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;
export const ULONG_MAX: u64 = u64.MAX_VALUE;

/** ALIGN(x, a) of include/linux/align.h */
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

/** GFP bits of 6.1 the allocator tests (include/linux/gfp_types.h). */
export const __GFP_NOWARN: i32 = 0x2000;
export const GFP_NOWAIT: i32 = 0x800;
/* GFP_RECLAIM_MASK (mm/internal.h) with 6.1's bit values. */
export const GFP_RECLAIM_MASK: i32 = 0xc00 | 0x20 | 0x40 | 0x80 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x80000 | 0x200;

/** struct vmap_area of 6.1; the rb_node is its first member here (docs/wasm.md). */
@unmanaged
export class vmap_area extends rb_node {
  va_start: u64;
  va_end: u64;
  /* struct list_head list: address sorted list */
  __list: usize;
  __list_prev: usize;
  /*
   * union { unsigned long subtree_max_size; struct vm_struct *vm; }: the
   * "free" tree's member is the field, the "busy" tree's aliases it.
   */
  subtree_max_size: u64;

  @inline get list(): list_head {
    return changetype<list_head>(changetype<usize>(this) + offsetof<vmap_area>('__list'));
  }
  @inline get vm(): usize {
    return <usize>this.subtree_max_size;
  }
  @inline set vm(v: usize) {
    this.subtree_max_size = <u64>v;
  }
}

/** list_entry(l, struct vmap_area, list), counted */
@inline
export function list_entry(l: list_head): vmap_area {
  touches++;
  return changetype<vmap_area>(changetype<usize>(l) - offsetof<vmap_area>('__list'));
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
const free_vmap_area_lock = 'free_vmap_area_lock';
const purge_vmap_area_lock = 'purge_vmap_area_lock';
const vmap_purge_lock = 'vmap_purge_lock';

export const vmap_area_list = changetype<list_head>(memory.data(offsetof<list_head>()));
export const vmap_area_root = changetype<rb_root>(memory.data(offsetof<rb_root>()));
export let vmap_initialized: bool = false;

export const purge_vmap_area_root = changetype<rb_root>(memory.data(offsetof<rb_root>()));
export const purge_vmap_area_list = changetype<list_head>(memory.data(offsetof<list_head>()));

export const free_vmap_area_list = changetype<list_head>(memory.data(offsetof<list_head>()));
export const free_vmap_area_root = changetype<rb_root>(memory.data(offsetof<rb_root>()));

/** DEFINE_PER_CPU(struct vmap_area *, ne_fit_preload_node): one CPU here. */
let ne_fit_preload_node: vmap_area | null = null;

/** static atomic_long_t vmap_lazy_nr */
export let vmap_lazy_nr: i64 = 0;

/*
 * Instrumentation, not kernel state: lazily freed areas since the last
 * purge, counted as they were freed; reported by the `purged` hook.
 */
export let nr_lazy_areas: i32 = 0;

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
 * RB_DECLARE_CALLBACKS_MAX(static, free_vmap_area_rb_augment_cb,
 *     struct vmap_area, rb_node, unsigned long, subtree_max_size, va_size)
 * as include/linux/rbtree_augmented.h expands it.
 */
@inline
function free_vmap_area_rb_augment_cb_compute_max(node: vmap_area, exit: bool): bool {
  let child: vmap_area;
  let max = va_size(node);
  if (node.rb_left) {
    child = rb_entry<vmap_area>(node.rb_left);
    if (child.subtree_max_size > max) max = child.subtree_max_size;
  }
  if (node.rb_right) {
    child = rb_entry<vmap_area>(node.rb_right);
    if (child.subtree_max_size > max) max = child.subtree_max_size;
  }
  if (exit && node.subtree_max_size == max) return true;
  node.subtree_max_size = max;
  return false;
}

function free_vmap_area_rb_augment_cb_propagate(rb: rb_node | null, stop: rb_node | null): void {
  while (rb !== stop) {
    const node = rb_entry<vmap_area>(rb);
    if (free_vmap_area_rb_augment_cb_compute_max(node, true)) break;
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
  free_vmap_area_rb_augment_cb_compute_max(old, false);
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

/* The first area with addr < va_end (the one holding addr, or the next above it), or NULL. */
export function find_vmap_area_exceed_addr(addr: u64): vmap_area | null {
  let va: vmap_area | null = null;
  let n = vmap_area_root.rb_node;

  // addr = kasan_reset_tag(addr): no tags here.

  while (n) {
    let tmp: vmap_area;

    tmp = rb_entry<vmap_area>(n);
    if (tmp.va_end > addr) {
      va = tmp;
      if (tmp.va_start <= addr) break;

      n = n.rb_left;
    } else n = n.rb_right;
  }

  return va;
}

export function __find_vmap_area(addr: u64, root: rb_root): vmap_area | null {
  let n = root.rb_node;

  // addr = kasan_reset_tag(addr): no tags here.

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
 * value is the link (the address of the slot), 0 (NULL) when va overlaps an
 * area already there: a bug, reported with a warning. Descends from the
 * root, or from `from` when root is NULL.
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

  // Descend to the bottom, keeping the parent and the direction taken; an
  // overlap on the way is a bug.
  do {
    tmp_va = rb_entry<vmap_area>(rb_deref(link));

    if (va.va_end <= tmp_va.va_start) link = rb_left_link(rb_deref(link)!);
    else if (va.va_start >= tmp_va.va_end) link = rb_right_link(rb_deref(link)!);
    else {
      WARN_ON(true, 'find_va_links', '1'); // "vmalloc bug: %lx-%lx overlaps with %lx-%lx"
      return 0;
    }
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

@inline
function __link_va(va: vmap_area, root: rb_root, parent: rb_node | null, link: usize, head: list_head, augment: bool): void {
  // va is not on the list yet, but its future predecessor is known.
  if (parent) {
    head = rb_entry<vmap_area>(parent).list;
    if (rb_right_link(parent) != link) head = head.prev;
  }

  // Insert to the rb-tree.
  rb_link_node(va, parent, link);
  if (augment) {
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

function link_va(va: vmap_area, root: rb_root, parent: rb_node | null, link: usize, head: list_head): void {
  __link_va(va, root, parent, link, head, false);
}

function link_va_augment(va: vmap_area, root: rb_root, parent: rb_node | null, link: usize, head: list_head): void {
  __link_va(va, root, parent, link, head, true);
}

@inline
function __unlink_va(va: vmap_area, root: rb_root, augment: bool): void {
  if (WARN_ON(RB_EMPTY_NODE(va), '__unlink_va', 'RB_EMPTY_NODE(&va->rb_node)')) return;

  if (augment) rb_erase_augmented(va, root, free_vmap_area_rb_augment_cb);
  else rb_erase(va, root);

  list_del_init(va.list);
  RB_CLEAR_NODE(va);
}

function unlink_va(va: vmap_area, root: rb_root): void {
  __unlink_va(va, root, false);
}

function unlink_va_augment(va: vmap_area, root: rb_root): void {
  __unlink_va(va, root, true);
}

/*
 * Recompute subtree_max_size from va towards the root, stopping at the
 * first node whose value does not change (after an insert, a shrink or a
 * merge).
 */
@inline
function augment_tree_propagate_from(va: vmap_area): void {
  // Go up to the root, or stop where nothing changes.
  free_vmap_area_rb_augment_cb_propagate(va, null);

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
  if (link) link_va(va, root, changetype<rb_node | null>(load<usize>(parent)), link, head);
}

function insert_vmap_area_augment(va: vmap_area, from: rb_node | null, root: rb_root, head: list_head): void {
  let link: usize;
  const parent = insert_vmap_area_augment_parent;

  if (from) link = find_va_links(va, null, from, parent);
  else link = find_va_links(va, root, null, parent);

  if (link) {
    link_va_augment(va, root, changetype<rb_node | null>(load<usize>(parent)), link, head);
    augment_tree_propagate_from(va);
  }
}

/*
 * Put a released range back: merge it into the next and/or the previous
 * block when they touch, else insert it as a block of its own. A merged va
 * is freed. NULL on an overlap (after the warning).
 */
@inline
function __merge_or_add_vmap_area(va: vmap_area, root: rb_root, head: list_head, augment: bool): vmap_area | null {
  let sibling: vmap_area;
  let next: list_head | null;
  let link: usize;
  const parent = merge_parent;
  let merged: bool = false;

  // Where va would go, unless it merges.
  link = find_va_links(va, root, null, parent);
  if (!link) return null;

  // The block after va, to see whether they merge.
  next = get_va_next_sibling(changetype<rb_node | null>(load<usize>(parent)), link);
  do {
    if (!next) break; // goto insert

    // |<------VA------>|<-----Next----->|
    if (next !== head) {
      sibling = list_entry(next);
      if (sibling.va_start == va.va_end) {
        sibling.va_start = va.va_start;

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
        // Both sides merge: take the next block out of the tree before
        // growing the previous one, so no stale augmented value stays.
        if (merged) __unlink_va(va, root, augment);

        sibling.va_end = va.va_end;

        // Free vmap_area object.
        kmem_cache_free(va);

        // Point to the new merged area.
        va = sibling;
        merged = true;
      }
    }
  } while (false);

  // insert:
  if (!merged) __link_va(va, root, changetype<rb_node | null>(load<usize>(parent)), link, head, augment);

  return va;
}

export function merge_or_add_vmap_area(va: vmap_area, root: rb_root, head: list_head): vmap_area | null {
  return __merge_or_add_vmap_area(va, root, head, false);
}

export function merge_or_add_vmap_area_augment(va: vmap_area, root: rb_root, head: list_head): vmap_area | null {
  va = __merge_or_add_vmap_area(va, root, head, true)!;
  if (changetype<usize>(va)) augment_tree_propagate_from(va);

  return va;
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
 * The free block with the lowest start that can hold the request; with
 * adjust_search_size the length searched for includes the worst-case
 * alignment overhead.
 */
@inline
function find_vmap_lowest_match(root: rb_root, size: u64, align: u64, vstart: u64, adjust_search_size: bool): vmap_area | null {
  let va: vmap_area;
  let node: rb_node | null;

  // Start from the root.
  node = root.rb_node;

  // Adjust the search size for alignment overhead.
  const length: u64 = adjust_search_size ? size + align - 1 : size;

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

      // Climb back to the first right subtree that can satisfy the request
      // (vstart or an alignment above PAGE_SIZE can leave the subtree just
      // searched without a fit).
      while ((node = rb_parent(node))) {
        va = rb_entry<vmap_area>(node);
        if (is_within_this_va(va, size, align, vstart)) return va;

        if (get_subtree_max_size(node.rb_right) >= length && vstart <= va.va_start) {
          // Move vstart just past the parent's start so the subtree already
          // searched is not entered again.
          vstart = va.va_start + 1;
          node = node.rb_right;
          break;
        }
      }
    }
  }

  return null;
}

@inline
function classify_va_fit_type(va: vmap_area, nva_start_addr: u64, size: u64): i32 {
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

export function adjust_va_to_fit_type(root: rb_root, head: list_head, va: vmap_area, nva_start_addr: u64, size: u64): i32 {
  let lva: vmap_area | null = null;
  const type = classify_va_fit_type(va, nva_start_addr, size);

  if (type == FL_FIT_TYPE) {
    // The block is used whole:
    // |<---- va = nva ---->|
    unlink_va_augment(va, root);
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
    lva = ne_fit_preload_node; // __this_cpu_xchg(ne_fit_preload_node, NULL)
    ne_fit_preload_node = null;
    if (!lva) {
      // Not preloaded (the percpu allocator does not preload and mostly
      // needs RE/FL splits): an atomic allocation; if it fails too, the
      // caller purges the lazy areas and retries.
      lva = kmem_cache_alloc(GFP_NOWAIT);
      if (!lva) return -1;
    }

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
      insert_vmap_area_augment(lva, va, root, head);
  }

  return 0;
}

/*
 * Carve [addr, addr + size) out of the free tree; returns addr, or vend as
 * the failure marker.
 */
function __alloc_vmap_area(root: rb_root, head: list_head, size: u64, align: u64, vstart: u64, vend: u64): u64 {
  let adjust_search_size: bool = true;
  let nva_start_addr: u64;
  let va: vmap_area | null;
  let ret: i32;

  // No widening of the search length for align <= PAGE_SIZE (every block
  // start is page aligned), nor when the range is exactly `size` long.
  if (align <= PAGE_SIZE || (align > PAGE_SIZE && vend - vstart == size)) adjust_search_size = false;

  va = find_vmap_lowest_match(root, size, align, vstart, adjust_search_size);
  if (!va) return vend;

  if (va.va_start > vstart) nva_start_addr = ALIGN(va.va_start, align);
  else nva_start_addr = ALIGN(vstart, align);

  // Check the "vend" restriction.
  if (nva_start_addr + size > vend) return vend;

  // Update the free vmap_area.
  ret = adjust_va_to_fit_type(root, head, va, nva_start_addr, size);
  if (WARN_ON_ONCE(ret != 0, '__alloc_vmap_area', 'ret')) return vend;

  return nva_start_addr;
}

/** Release an area allocated by alloc_vmap_area() straight to the free tree. */
export function free_vmap_area(va: vmap_area): void {
  // Remove from the busy tree/list.
  spin_lock(vmap_area_lock);
  unlink_va(va, vmap_area_root);
  spin_unlock(vmap_area_lock);

  // Insert/Merge it back to the free tree/list.
  spin_lock(free_vmap_area_lock);
  merge_or_add_vmap_area_augment(va, free_vmap_area_root, free_vmap_area_list);
  spin_unlock(free_vmap_area_lock);
}

/*
 * Make sure this CPU holds a spare vmap_area for a no-edge split, allocated
 * before the lock so a permissive gfp mask can be used; then take the lock.
 */
@inline
function preload_this_cpu_lock(lock: string, gfp_mask: i32, node: i32): void {
  let va: vmap_area | null = null;

  if (!ne_fit_preload_node) va = kmem_cache_alloc(gfp_mask);

  spin_lock(lock);

  // __this_cpu_cmpxchg(ne_fit_preload_node, NULL, va): keep the first one.
  if (va) {
    if (ne_fit_preload_node) kmem_cache_free(va);
    else ne_fit_preload_node = va;
  }
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
  let ret: i32;

  BUG_ON(!size, 'alloc_vmap_area', '!size');
  BUG_ON(offset_in_page(size) != 0, 'alloc_vmap_area', 'offset_in_page(size)');
  BUG_ON(!is_power_of_2(align), 'alloc_vmap_area', '!is_power_of_2(align)');

  if (!vmap_initialized) return ERR_PTR(-EBUSY);

  // might_sleep();
  gfp_mask = gfp_mask & GFP_RECLAIM_MASK;

  va = kmem_cache_alloc(gfp_mask); // kmem_cache_alloc_node(vmap_area_cachep, gfp_mask, node)
  if (!va) return ERR_PTR(-ENOMEM);

  // kmemleak_scan_area(&va->rb_node, SIZE_MAX, gfp_mask): no kmemleak.

  for (;;) {
    // retry:
    preload_this_cpu_lock(free_vmap_area_lock, gfp_mask, node);
    addr = __alloc_vmap_area(free_vmap_area_root, free_vmap_area_list, size, align, vstart, vend);
    spin_unlock(free_vmap_area_lock);

    // If an allocation fails, the "vend" address is returned: goto overflow.
    if (addr != vend) {
      va.va_start = addr;
      va.va_end = addr + size;
      va.vm = 0;

      spin_lock(vmap_area_lock);
      insert_vmap_area(va, vmap_area_root, vmap_area_list);
      spin_unlock(vmap_area_lock);

      BUG_ON(!IS_ALIGNED(va.va_start, align), 'alloc_vmap_area', '!IS_ALIGNED(va->va_start, align)');
      BUG_ON(va.va_start < vstart, 'alloc_vmap_area', 'va->va_start < vstart');
      BUG_ON(va.va_end > vend, 'alloc_vmap_area', 'va->va_end > vend');

      ret = 0; // kasan_populate_vmalloc(addr, size, gfp_mask): KASAN is off
      if (ret) {
        free_vmap_area(va);
        return ERR_PTR(ret);
      }

      return changetype<usize>(va);
    }

    // overflow:
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

    // The ratelimited "vmap allocation for size %lu failed" pr_warn when
    // !(gfp_mask & __GFP_NOWARN): a printk, nothing is recorded.

    kmem_cache_free(va);
    return ERR_PTR(-EBUSY);
  }
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

/* LIST_HEAD(local_purge_list), on the stack in C (docs/wasm.md). */
const local_purge_list = changetype<list_head>(memory.data(offsetof<list_head>()));

/*
 * Purge every lazily freed area: take the whole purge list, flush the TLBs
 * over its span and merge each entry into the free tree. False when there
 * was nothing to do. The caller holds vmap_purge_lock.
 */
export function __purge_vmap_area_lazy(start: u64, end: u64): bool {
  let resched_threshold: u64;
  let va: vmap_area;
  let n_va: vmap_area;

  INIT_LIST_HEAD(local_purge_list);

  spin_lock(purge_vmap_area_lock);
  purge_vmap_area_root.rb_node = null; // = RB_ROOT
  list_replace_init(purge_vmap_area_list, local_purge_list);
  const nr_areas = nr_lazy_areas; // instrumentation
  nr_lazy_areas = 0;
  spin_unlock(purge_vmap_area_lock);

  if (list_empty(local_purge_list)) return false;

  start = min(start, list_entry(local_purge_list.next).va_start); // list_first_entry

  end = max(end, list_entry(local_purge_list.prev).va_end); // list_last_entry

  flush_tlb_kernel_range(start, end);
  purged(nr_areas, start, end);
  resched_threshold = lazy_max_pages() << 1;

  spin_lock(free_vmap_area_lock);
  // list_for_each_entry_safe(va, n_va, &local_purge_list, list)
  for (va = list_entry(local_purge_list.next), n_va = list_entry(va.list.next); va.list !== local_purge_list; va = n_va, n_va = list_entry(n_va.list.next)) {
    const nr: u64 = (va.va_end - va.va_start) >> PAGE_SHIFT;
    let orig_start: u64 = va.va_start;
    let orig_end: u64 = va.va_end;

    // The area is on no tree now; merge it into the free one, or insert it.
    const merged = merge_or_add_vmap_area_augment(va, free_vmap_area_root, free_vmap_area_list);
    purge_released(); // instrumentation, not kernel text
    purge_area_read(); // instrumentation, not kernel text: the purge reads the lazily freed area again

    if (!merged) continue;

    // kasan_release_vmalloc(orig_start, orig_end, va->va_start, va->va_end): KASAN is off.

    vmap_lazy_nr -= <i64>nr; // atomic_long_sub(nr, &vmap_lazy_nr)

    if (<u64>vmap_lazy_nr < resched_threshold) cond_resched_lock(free_vmap_area_lock);
  }
  spin_unlock(free_vmap_area_lock);
  return true;
}

/** Kick off a purge of the outstanding lazy areas. */
export function purge_vmap_area_lazy(): void {
  mutex_lock(vmap_purge_lock);
  purge_fragmented_blocks_allcpus();
  __purge_vmap_area_lazy(ULONG_MAX, 0);
  mutex_unlock(vmap_purge_lock);
}

/** The drain work item: purge until under the threshold. */
export function drain_vmap_area_work(): void {
  let nr_lazy: u64;

  do {
    mutex_lock(vmap_purge_lock);
    __purge_vmap_area_lazy(ULONG_MAX, 0);
    mutex_unlock(vmap_purge_lock);

    // Recheck if further work is required.
    nr_lazy = <u64>vmap_lazy_nr;
  } while (nr_lazy > lazy_max_pages());
}

/** static DECLARE_WORK(drain_vmap_work, drain_vmap_area_work): work number 0 of this core. */
export const drain_vmap_work: i32 = 0;

/*
 * Free an area lazily: the caller has unmapped it and called
 * flush_cache_vunmap(); its TLB flush waits for the purge.
 */
export function free_vmap_area_noflush(va: vmap_area): void {
  let nr_lazy: u64;

  spin_lock(vmap_area_lock);
  unlink_va(va, vmap_area_root);
  spin_unlock(vmap_area_lock);

  vmap_lazy_nr += <i64>((va.va_end - va.va_start) >> PAGE_SHIFT); // atomic_long_add_return
  nr_lazy = <u64>vmap_lazy_nr;
  nr_lazy_areas++; // instrumentation

  // Merge or place it to the purge tree/list.
  spin_lock(purge_vmap_area_lock);
  merge_or_add_vmap_area(va, purge_vmap_area_root, purge_vmap_area_list);
  spin_unlock(purge_vmap_area_lock);

  // After this point, we may free va at any time.
  if (nr_lazy > lazy_max_pages()) {
    // schedule_work(&drain_vmap_work): queued if the environment has a
    // workqueue; in the trace environment it runs at once.
    if (!schedule_work(drain_vmap_work)) drain_vmap_area_work();
  }
}

/** Free and unmap an area, lazily. */
export function free_unmap_vmap_area(va: vmap_area): void {
  flush_cache_vunmap(va.va_start, va.va_end);
  vunmap_page_range(va.va_start, va.va_end); // vunmap_range_noflush
  // debug_pagealloc_enabled_static() is false: no immediate flush.

  free_vmap_area_noflush(va);
}

export function find_vmap_area(addr: u64): vmap_area | null {
  let va: vmap_area | null;

  spin_lock(vmap_area_lock);
  va = __find_vmap_area(addr, vmap_area_root);
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
  INIT_LIST_HEAD(purge_vmap_area_list);
  INIT_LIST_HEAD(free_vmap_area_list);
  vmap_init_free_space();
  vmap_initialized = true;
}
