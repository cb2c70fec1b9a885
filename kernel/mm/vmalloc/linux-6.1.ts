// SPDX-License-Identifier: GPL-2.0-only
/*
 * The global KVA allocator of Linux 6.1: Uladzislau Rezki's augmented tree of
 * free blocks (68ad4a330433, v5.2) as it stood in 6.1. Busy areas live in
 * vmap_area_root/vmap_area_list; free space is described by the augmented
 * free_vmap_area_root/free_vmap_area_list, each node knowing the largest free
 * block of its subtree (subtree_max_size); lazily freed areas leave the busy
 * tree at once and wait, merged with their neighbours, in the address-sorted
 * purge_vmap_area_root/purge_vmap_area_list until a purge returns them to the
 * free tree. Relative to 5.2: one spare vmap_area preloaded per CPU for
 * no-edge splits (5.2 follow-up), the busy tree holds allocated areas only
 * and `flags` is gone (5.4), a separate lock for the free tree (5.5), the
 * purge tree (5.11), RB_DECLARE_CALLBACKS_MAX in place of the hand-written
 * augment code (5.4/5.5), the search length widened by `align - 1` only when
 * align > PAGE_SIZE and the range is not exactly `size` long, and vstart
 * moved past a subtree already searched (5.16), purging over the threshold
 * done by a work item (drain_vmap_area_work).
 *
 * Version: linux-6.1 (Debian 6.1.192-2). Upstream path: mm/vmalloc.c.
 * Text read: Debian package linux-source-6.1, version 6.1.192-2
 *   (linux-source-6.1.tar.xz): mm/vmalloc.c (the "Global kva allocator"
 *   section, lines 797-1927, and vmap_init_free_space at 2433),
 *   include/linux/vmalloc.h (struct vmap_area), include/linux/rbtree_augmented.h
 *   (RB_DECLARE_CALLBACKS_MAX), include/linux/list.h. The text is not
 *   committed; the comments here are paraphrases.
 * Line numbers in BUG/WARN sites are lines of that mm/vmalloc.c. All 18
 *   linux-6.1 golden traces replay against this file.
 *
 * The trace environment (golden/FORMAT.md): one CPU, so the per-CPU
 * ne_fit_preload_node is one slot; spinlocks and the purge mutex are no-ops;
 * the drain work item queued by free_vmap_area_noflush() runs at once, before
 * that call returns; KASAN and kmemleak hooks do nothing; the purge notifier
 * chain is empty.
 *
 * Touches: every rb_entry()/list_entry() the C macros evaluate is counted,
 * including those inside the augment callbacks (RB_DECLARE_CALLBACKS_MAX
 * expands here, as free_vmap_area_rb_augment_cb) and rb_entry_safe() only
 * when its argument is not NULL.
 *
 * Not here: page-table code (vunmap_range_noflush reaches the machine through
 * the vunmap_page_range hook), the per-CPU vmap blocks
 * (purge_fragmented_blocks_allcpus is a hook), the vm_struct layer.
 */

import { EBUSY, ENOMEM, ERR_PTR } from '../../include/linux/errno.js';
import { INIT_LIST_HEAD, list_add, list_del_init, list_empty, list_head, list_replace_init } from '../../include/linux/list.js';
import {
  RB_CLEAR_NODE,
  RB_EMPTY_NODE,
  RB_LEFT,
  RB_RIGHT,
  rb_link_node,
  rb_node,
  rb_parent,
  rb_root,
  type rb_side,
} from '../../include/linux/rbtree.js';
import { PAGE_SIZE } from '../../include/asm/page.js';
import { ALIGN, fls, hex, is_power_of_2, misalign, ugt, uge, ule, ult, ULONG_MAX, type ulong, umax, umin } from '../../include/u64.js';
import {
  type rb_augment_callbacks,
  rb_erase,
  rb_erase_augmented,
  rb_insert_augmented,
  rb_insert_color,
} from '../../lib/rbtree/linux-6.1.js';
import { PCPU_LINES_6_1, pcpu_get_vm_areas } from './pcpu/linux-6.1.js';
import { type AllocatorSnapshot, type AreaView, cond_resched_lock, GFP_KERNEL, mutex_lock, mutex_unlock, NUMA_NO_NODE, purge_area_read, purge_released, spin_lock, spin_unlock, type VmallocEnv, type VmapAllocator } from './common.js';
import { type allocator_id, vmalloc_shims } from './shims/customised.js';

/** DEBUG_AUGMENT_PROPAGATE_CHECK / DEBUG_AUGMENT_LOWEST_MATCH_CHECK: 0, as shipped. */
export const DEBUG_AUGMENT_PROPAGATE_CHECK = 0;
export const DEBUG_AUGMENT_LOWEST_MATCH_CHECK = 0;

/** struct vmap_area of 6.1 (include/linux/vmalloc.h). */
export class vmap_area extends rb_node {
  va_start: ulong = 0;
  va_end: ulong = 0;

  /* rb_node: address sorted rbtree (this object is its own rb_node) */
  /** address sorted list */
  readonly list: list_head<vmap_area> = new list_head<vmap_area>(this);

  /*
   * A union in C: an area is either in the free tree (subtree_max_size) or
   * in the busy tree (vm), never both. Nothing reads one member after the
   * other was written, so two fields behave the same.
   */
  /** in the "free" tree: the largest block in this node's subtree */
  subtree_max_size: ulong = 0;
  /** in the "busy" tree: the vm_struct */
  vm: unknown = null;
}

/** enum fit_type */
export const NOTHING_FIT = 0;
export const FL_FIT_TYPE = 1; // full fit
export const LE_FIT_TYPE = 2; // left edge fit
export const RE_FIT_TYPE = 3; // right edge fit
export const NE_FIT_TYPE = 4; // no edge fit
export type fit_type = 0 | 1 | 2 | 3 | 4;

/**
 * `struct rb_node *parent`, passed by address to find_va_links(). The link it
 * returns (`struct rb_node **`) is named by the side under that parent; see
 * include/linux/rbtree.ts.
 */
export interface va_parent {
  rb: rb_node | null;
}

/** The gfp flag alloc_vmap_area() tests before warning. */
export const __GFP_NOWARN = 0x2000;
/** GFP_NOWAIT, for the no-edge split when the CPU was not preloaded. */
export const GFP_NOWAIT = 0x800;
/**
 * GFP_RECLAIM_MASK (mm/internal.h): __GFP_RECLAIM | __GFP_HIGH | __GFP_IO |
 * __GFP_FS | __GFP_NOWARN | __GFP_RETRY_MAYFAIL | __GFP_NOFAIL |
 * __GFP_NORETRY | __GFP_MEMALLOC | __GFP_NOMEMALLOC | __GFP_ATOMIC (and __GFP_NOLOCKDEP, 0 without lockdep), with 6.1's bit values.
 */
export const GFP_RECLAIM_MASK = 0xc00 | 0x20 | 0x40 | 0x80 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x80000 | 0x200;

/* FNV-1a, 64 bit, for the golden state line (golden/FORMAT.md). */
const FNV_OFFSET_BASIS = [0x2325, 0x8422, 0x9ce4, 0xcbf2]; // cbf29ce484222325, 16-bit limbs, low first

function fnv1a_ulong(h: number[], x: ulong): void {
  // The 8 little-endian bytes of x: the low word first.
  const hi = Math.floor(x / 4294967296);
  const lo = x - hi * 4294967296;
  for (let w = 0; w < 2; w++) {
    let v = w === 0 ? lo >>> 0 : hi >>> 0;
    for (let b = 0; b < 4; b++) {
      h[0]! ^= v & 0xff;
      v >>>= 8;
      // h *= 0x100000001b3 = 2^40 + 0x1b3 (mod 2^64)
      const r0 = h[0]! * 0x1b3;
      const r1 = h[1]! * 0x1b3 + Math.floor(r0 / 0x10000);
      const r2 = h[2]! * 0x1b3 + h[0]! * 0x100 + Math.floor(r1 / 0x10000);
      const r3 = h[3]! * 0x1b3 + h[1]! * 0x100 + Math.floor(r2 / 0x10000);
      h[0] = r0 & 0xffff;
      h[1] = r1 & 0xffff;
      h[2] = r2 & 0xffff;
      h[3] = r3 & 0xffff;
    }
  }
}

function fnv1a_hex(h: number[]): string {
  return h
    .slice()
    .reverse()
    .map((l) => l.toString(16).padStart(4, '0'))
    .join('');
}

export class vmap_allocator extends vmalloc_shims<vmap_area> implements VmapAllocator {
  /* Globals of the "Global kva allocator" section. */
  /** busy tree and list: allocated areas */
  readonly vmap_area_list: list_head<vmap_area> = new list_head<vmap_area>(null);
  vmap_area_root: rb_root = new rb_root();
  vmap_initialized = false;

  /** lazily freed areas, coalesced, waiting for a purge */
  purge_vmap_area_root: rb_root = new rb_root();
  readonly purge_vmap_area_list: list_head<vmap_area> = new list_head<vmap_area>(null);

  /** free space, address sorted; the list gives O(1) neighbours for merging */
  readonly free_vmap_area_list: list_head<vmap_area> = new list_head<vmap_area>(null);
  /** free space as an augmented tree: each node knows its subtree's largest block */
  readonly free_vmap_area_root: rb_root = new rb_root();

  /** DEFINE_PER_CPU(struct vmap_area *, ne_fit_preload_node): one CPU here. */
  ne_fit_preload_node: vmap_area | null = null;

  /** atomic_long_t vmap_lazy_nr, in pages */
  vmap_lazy_nr = 0;

  /**
   * Instrumentation, not kernel state: lazily freed areas since the last
   * purge, counted as they were freed (before any merging in the purge
   * tree). Reported by the `purged` hook; does not steer the code.
   */
  nr_lazy_areas = 0;

  private readonly VMALLOC_START: ulong;

  /** RB_DECLARE_CALLBACKS_MAX(static, free_vmap_area_rb_augment_cb, ...) */
  readonly free_vmap_area_rb_augment_cb: rb_augment_callbacks = {
    propagate: (rb, stop) => this.free_vmap_area_rb_augment_cb_propagate(rb, stop),
    copy: (rb_old, rb_new) => this.free_vmap_area_rb_augment_cb_copy(rb_old, rb_new),
    rotate: (rb_old, rb_new) => this.free_vmap_area_rb_augment_cb_rotate(rb_old, rb_new),
  };

  constructor(env: VmallocEnv, id: allocator_id) {
    super(env, id);
    this.VMALLOC_START = env.VMALLOC_START;
    this.vmalloc_init();
  }

  /** vmap_area_cachep: the slab hands out zeroed struct vmap_area. */
  protected override new_vmap_area(): vmap_area {
    return new vmap_area();
  }

  va_size(va: vmap_area): ulong {
    return va.va_end - va.va_start;
  }

  get_subtree_max_size(node: rb_node | null): ulong {
    const va = this.rb_entry_safe(node);
    return va ? va.subtree_max_size : 0;
  }

  /*
   * RB_DECLARE_CALLBACKS_MAX(static, free_vmap_area_rb_augment_cb,
   *     struct vmap_area, rb_node, unsigned long, subtree_max_size, va_size)
   * as include/linux/rbtree_augmented.h expands it.
   */
  free_vmap_area_rb_augment_cb_compute_max(node: vmap_area, exit: boolean): boolean {
    let child: vmap_area;
    let max = this.va_size(node);
    if (node.rb_left) {
      child = this.rb_entry(node.rb_left);
      if (ugt(child.subtree_max_size, max)) max = child.subtree_max_size;
    }
    if (node.rb_right) {
      child = this.rb_entry(node.rb_right);
      if (ugt(child.subtree_max_size, max)) max = child.subtree_max_size;
    }
    if (exit && node.subtree_max_size === max) return true;
    node.subtree_max_size = max;
    return false;
  }

  free_vmap_area_rb_augment_cb_propagate(rb: rb_node | null, stop: rb_node | null): void {
    while (rb !== stop) {
      const node = this.rb_entry(rb as rb_node);
      if (this.free_vmap_area_rb_augment_cb_compute_max(node, true)) break;
      rb = rb_parent(node);
    }
  }

  free_vmap_area_rb_augment_cb_copy(rb_old: rb_node, rb_new: rb_node): void {
    const old = this.rb_entry(rb_old);
    const new_ = this.rb_entry(rb_new);
    new_.subtree_max_size = old.subtree_max_size;
  }

  free_vmap_area_rb_augment_cb_rotate(rb_old: rb_node, rb_new: rb_node): void {
    const old = this.rb_entry(rb_old);
    const new_ = this.rb_entry(rb_new);
    new_.subtree_max_size = old.subtree_max_size;
    this.free_vmap_area_rb_augment_cb_compute_max(old, false);
  }

  /* The first area with addr < va_end, or null. */
  find_vmap_area_exceed_addr(addr: ulong): vmap_area | null {
    let va: vmap_area | null = null;
    let n = this.vmap_area_root.rb_node;

    // addr = kasan_reset_tag(addr): no tags here.

    while (n) {
      const tmp = this.rb_entry(n);
      if (ugt(tmp.va_end, addr)) {
        va = tmp;
        if (ule(tmp.va_start, addr)) break;

        n = n.rb_left;
      } else n = n.rb_right;
    }

    return va;
  }

  __find_vmap_area(addr: ulong, root: rb_root): vmap_area | null {
    let n = root.rb_node;

    while (n) {
      const va = this.rb_entry(n);
      if (ult(addr, va.va_start)) n = n.rb_left;
      else if (uge(addr, va.va_end)) n = n.rb_right;
      else return va;
    }

    return null;
  }

  /*
   * Find where va would be linked: the parent node (out) and the side under
   * it (the link). Null if va overlaps an area already there, which is a
   * bug reported with a warning; the caller then inserts nothing. Descends
   * from the root, or from `from` when root is null.
   */
  find_va_links(va: vmap_area, root: rb_root | null, from: rb_node | null, parent: va_parent): rb_side | null {
    let tmp_va: vmap_area;
    let link: rb_node | null;
    let side: rb_side = RB_LEFT;

    if (root) {
      link = root.rb_node;
      if (!link) {
        parent.rb = null;
        return RB_LEFT; // &root->rb_node
      }
    } else {
      link = from;
    }

    // Descend to the bottom, keeping the parent and the direction taken;
    // any overlap on the way is a bug.
    do {
      tmp_va = this.rb_entry(link as rb_node);

      if (ule(va.va_end, tmp_va.va_start)) {
        side = RB_LEFT;
        link = (link as rb_node).rb_left;
      } else if (uge(va.va_start, tmp_va.va_end)) {
        side = RB_RIGHT;
        link = (link as rb_node).rb_right;
      } else {
        this.WARN_ON(true, 'find_va_links', '1');
        // "vmalloc bug: %lx-%lx overlaps with %lx-%lx"
        return null;
      }
    } while (link);

    parent.rb = tmp_va;
    return side;
  }

  get_va_next_sibling(parent: rb_node | null, link: rb_side): list_head<vmap_area> | null {
    if (!parent)
      // The tree is empty: no free space at all. Not expected, handled anyway.
      return null;

    const list = this.rb_entry(parent).list;
    return link === RB_RIGHT ? list.next : list;
  }

  __link_va(va: vmap_area, root: rb_root, parent: rb_node | null, link: rb_side, head: list_head<vmap_area>, augment: boolean): void {
    // va is not on the list yet, but its future predecessor is known.
    if (parent) {
      head = this.rb_entry(parent).list;
      if (link !== RB_RIGHT) head = head.prev;
    }

    // Insert to the rb-tree.
    rb_link_node(va, parent, link, root);
    if (augment) {
      // Plain insertion: subtree_max_size is left at zero afterwards and
      // augment_tree_propagate_from() fills it in, bottom up, once the node
      // is in the tree.
      rb_insert_augmented(va, root, this.free_vmap_area_rb_augment_cb);
      va.subtree_max_size = 0;
    } else {
      rb_insert_color(va, root);
    }

    // Address-sort this list.
    list_add(va.list, head);
  }

  link_va(va: vmap_area, root: rb_root, parent: rb_node | null, link: rb_side, head: list_head<vmap_area>): void {
    this.__link_va(va, root, parent, link, head, false);
  }

  link_va_augment(va: vmap_area, root: rb_root, parent: rb_node | null, link: rb_side, head: list_head<vmap_area>): void {
    this.__link_va(va, root, parent, link, head, true);
  }

  __unlink_va(va: vmap_area, root: rb_root, augment: boolean): void {
    if (this.WARN_ON(RB_EMPTY_NODE(va), '__unlink_va', 'RB_EMPTY_NODE(&va->rb_node)')) return;

    if (augment) rb_erase_augmented(va, root, this.free_vmap_area_rb_augment_cb);
    else rb_erase(va, root);

    list_del_init(va.list);
    RB_CLEAR_NODE(va);
  }

  unlink_va(va: vmap_area, root: rb_root): void {
    this.__unlink_va(va, root, false);
  }

  unlink_va_augment(va: vmap_area, root: rb_root): void {
    this.__unlink_va(va, root, true);
  }

  /* DEBUG_AUGMENT_PROPAGATE_CHECK: the largest block of va's subtree, recomputed. */
  compute_subtree_max_size(va: vmap_area): ulong {
    return umax(this.va_size(va), umax(this.get_subtree_max_size(va.rb_left), this.get_subtree_max_size(va.rb_right)));
  }

  /**
   * DEBUG_AUGMENT_PROPAGATE_CHECK: every node of the free list must hold the
   * maximum of its own size and its children's values. Returns the kernel's
   * "tree is corrupted" messages (none when the tree is sound). An invariant
   * check: not run by the allocator, and it leaves the touch counter alone.
   */
  augment_tree_propagate_check(): string[] {
    const saved = this.touches;
    const out: string[] = [];
    const head = this.free_vmap_area_list;
    // list_for_each_entry(va, &free_vmap_area_list, list)
    for (let l = head.next; l !== head; l = l.next) {
      const va = this.list_entry(l);
      const computed_size = this.compute_subtree_max_size(va);
      if (computed_size !== va.subtree_max_size) out.push(`tree is corrupted: ${hex(this.va_size(va))}, ${hex(va.subtree_max_size)}`);
    }
    this.touches = saved;
    return out;
  }

  /*
   * Recompute subtree_max_size from va towards the root, stopping at the
   * first node whose value does not change. Needed after a node is inserted
   * (free path), shrunk (allocation path) or grown (merge path).
   */
  augment_tree_propagate_from(va: vmap_area): void {
    this.free_vmap_area_rb_augment_cb_propagate(va, null);

    if (DEBUG_AUGMENT_PROPAGATE_CHECK) this.augment_tree_propagate_check();
  }

  insert_vmap_area(va: vmap_area, root: rb_root, head: list_head<vmap_area>): void {
    const parent: va_parent = { rb: null };

    const link = this.find_va_links(va, root, null, parent);
    if (link !== null) this.link_va(va, root, parent.rb, link, head);
  }

  insert_vmap_area_augment(va: vmap_area, from: rb_node | null, root: rb_root, head: list_head<vmap_area>): void {
    const parent: va_parent = { rb: null };
    let link: rb_side | null;

    if (from) link = this.find_va_links(va, null, from, parent);
    else link = this.find_va_links(va, root, null, parent);

    if (link !== null) {
      this.link_va_augment(va, root, parent.rb, link, head);
      this.augment_tree_propagate_from(va);
    }
  }

  /*
   * Put a released range back: merge it into the next and/or the previous
   * block when they touch, else insert it as a block of its own. A merged va
   * is freed. Null on an overlap (after the warning); the system goes on.
   */
  __merge_or_add_vmap_area(va: vmap_area, root: rb_root, head: list_head<vmap_area>, augment: boolean): vmap_area | null {
    let sibling: vmap_area;
    let next: list_head<vmap_area> | null;
    const parent: va_parent = { rb: null };
    let merged = false;

    // Where va would go, unless it merges.
    const link = this.find_va_links(va, root, null, parent);
    if (link === null) return null;

    // The block after va, to see whether they merge.
    next = this.get_va_next_sibling(parent.rb, link);
    insert: {
      if (next === null) break insert; // goto insert

      // |<------VA------>|<-----Next----->|
      if (next !== head) {
        sibling = this.list_entry(next);
        if (sibling.va_start === va.va_end) {
          sibling.va_start = va.va_start;

          this.kmem_cache_free(va);

          // Carry on with the merged block.
          va = sibling;
          merged = true;
        }
      }

      // |<-----Prev----->|<------VA------>|
      if (next.prev !== head) {
        sibling = this.list_entry(next.prev);
        if (sibling.va_end === va.va_start) {
          // When both sides merge, take the next block out of the tree
          // before growing the previous one, or a rotation could leave an
          // augmented value behind.
          if (merged) this.__unlink_va(va, root, augment);

          sibling.va_end = va.va_end;

          this.kmem_cache_free(va);

          // Carry on with the merged block.
          va = sibling;
          merged = true;
        }
      }
    }

    // insert:
    if (!merged) this.__link_va(va, root, parent.rb, link, head, augment);

    return va;
  }

  merge_or_add_vmap_area(va: vmap_area, root: rb_root, head: list_head<vmap_area>): vmap_area | null {
    return this.__merge_or_add_vmap_area(va, root, head, false);
  }

  merge_or_add_vmap_area_augment(va: vmap_area, root: rb_root, head: list_head<vmap_area>): vmap_area | null {
    const merged = this.__merge_or_add_vmap_area(va, root, head, true);
    if (merged) this.augment_tree_propagate_from(merged);

    return merged;
  }

  is_within_this_va(va: vmap_area, size: ulong, align: ulong, vstart: ulong): boolean {
    let nva_start_addr: ulong;

    if (ugt(va.va_start, vstart)) nva_start_addr = ALIGN(va.va_start, align);
    else nva_start_addr = ALIGN(vstart, align);

    // Big sizes or alignments can wrap.
    if (ult(nva_start_addr + size, nva_start_addr) || ult(nva_start_addr, vstart)) return false;

    return ule(nva_start_addr + size, va.va_end);
  }

  /*
   * The free block with the lowest start that can hold the request. With
   * adjust_search_size the length searched for includes the worst-case
   * alignment overhead.
   */
  find_vmap_lowest_match(root: rb_root, size: ulong, align: ulong, vstart: ulong, adjust_search_size: boolean): vmap_area | null {
    let va: vmap_area;
    let node: rb_node | null;

    // From the root.
    node = root.rb_node;

    // The length to look for.
    const length = adjust_search_size ? size + align - 1 : size;

    while (node) {
      va = this.rb_entry(node);

      if (uge(this.get_subtree_max_size(node.rb_left), length) && ult(vstart, va.va_start)) {
        node = node.rb_left;
      } else {
        if (this.is_within_this_va(va, size, align, vstart)) return va;

        // The right subtree is only worth entering if some block there is
        // at least the search length.
        if (uge(this.get_subtree_max_size(node.rb_right), length)) {
          node = node.rb_right;
          continue;
        }

        // Climb back to the first right subtree that can satisfy the
        // request: vstart or an alignment above PAGE_SIZE can leave the
        // subtree just searched without a fit.
        while ((node = rb_parent(node))) {
          va = this.rb_entry(node);
          if (this.is_within_this_va(va, size, align, vstart)) return va;

          if (uge(this.get_subtree_max_size(node.rb_right), length) && ule(vstart, va.va_start)) {
            // Move vstart just past the parent's start, so the subtree
            // already searched is not entered again.
            vstart = va.va_start + 1;
            node = node.rb_right;
            break;
          }
        }
      }
    }

    return null;
  }

  /* DEBUG_AUGMENT_LOWEST_MATCH_CHECK: the same search by walking the list. */
  find_vmap_lowest_linear_match(head: list_head<vmap_area>, size: ulong, align: ulong, vstart: ulong): vmap_area | null {
    // list_for_each_entry(va, head, list)
    for (let l = head.next, va = this.list_entry(l); l !== head; l = va.list.next, va = this.list_entry(l)) {
      if (!this.is_within_this_va(va, size, align, vstart)) continue;

      return va;
    }

    return null;
  }

  /**
   * DEBUG_AUGMENT_LOWEST_MATCH_CHECK: the tree search (unadjusted length)
   * and the linear one must find the same block. The kernel draws vstart as
   * VMALLOC_START + a random 32-bit number; here the caller passes the
   * offset (from a seeded PRNG). Returns the kernel's "not lowest" message,
   * or null when they agree. Leaves the touch counter alone.
   */
  find_vmap_lowest_match_check(root: rb_root, head: list_head<vmap_area>, size: ulong, align: ulong, rnd: number): string | null {
    const saved = this.touches;
    const vstart = this.VMALLOC_START + (rnd >>> 0);

    const va_1 = this.find_vmap_lowest_match(root, size, align, vstart, false);
    const va_2 = this.find_vmap_lowest_linear_match(head, size, align, vstart);
    this.touches = saved;

    if (va_1 !== va_2)
      return `not lowest: t: ${va_1 ? hex(va_1.va_start) : '(null)'}, l: ${va_2 ? hex(va_2.va_start) : '(null)'}, v: ${hex(vstart)}`;
    return null;
  }

  classify_va_fit_type(va: vmap_area, nva_start_addr: ulong, size: ulong): fit_type {
    let type: fit_type;

    // Inside va at all?
    if (ult(nva_start_addr, va.va_start) || ugt(nva_start_addr + size, va.va_end)) return NOTHING_FIT;

    // Which edges it shares.
    if (va.va_start === nva_start_addr) {
      if (va.va_end === nva_start_addr + size) type = FL_FIT_TYPE;
      else type = LE_FIT_TYPE;
    } else if (va.va_end === nva_start_addr + size) {
      type = RE_FIT_TYPE;
    } else {
      type = NE_FIT_TYPE;
    }

    return type;
  }

  adjust_va_to_fit_type(root: rb_root, head: list_head<vmap_area>, va: vmap_area, nva_start_addr: ulong, size: ulong): number {
    let lva: vmap_area | null = null;
    const type = this.classify_va_fit_type(va, nva_start_addr, size);

    if (type === FL_FIT_TYPE) {
      // The block is used whole:
      // |<---- va = nva ---->|
      this.unlink_va_augment(va, root);
      this.kmem_cache_free(va);
    } else if (type === LE_FIT_TYPE) {
      // Cut from the left edge:
      // |<- nva ->|<-- va -->|
      va.va_start += size;
    } else if (type === RE_FIT_TYPE) {
      // Cut from the right edge:
      // |<-- va -->|<- nva ->|
      va.va_end = nva_start_addr;
    } else if (type === NE_FIT_TYPE) {
      // Cut from the middle; a second node holds the left remainder:
      // |<- lva ->|<- nva ->|<- va ->|
      lva = this.ne_fit_preload_node; // __this_cpu_xchg(ne_fit_preload_node, NULL)
      this.ne_fit_preload_node = null;
      if (!lva) {
        // Not preloaded (the percpu allocator never preloads, and mostly
        // needs RE/FL splits): try an atomic allocation. If that fails too,
        // the caller purges the lazy areas and retries.
        lva = this.kmem_cache_alloc(GFP_NOWAIT);
        if (!lva) return -1;
      }

      // The left remainder.
      lva.va_start = va.va_start;
      lva.va_end = nva_start_addr;

      // va keeps the right remainder.
      va.va_start = nva_start_addr + size;
    } else {
      return -1;
    }

    if (type !== FL_FIT_TYPE) {
      this.augment_tree_propagate_from(va);

      if (lva)
        // type == NE_FIT_TYPE
        this.insert_vmap_area_augment(lva, va, root, head);
    }

    return 0;
  }

  /*
   * Carve [addr, addr + size) out of the free tree; returns addr, or vend
   * as the failure marker.
   */
  __alloc_vmap_area(root: rb_root, head: list_head<vmap_area>, size: ulong, align: ulong, vstart: ulong, vend: ulong): ulong {
    let adjust_search_size = true;
    let nva_start_addr: ulong;

    // No widening of the search length when align <= PAGE_SIZE (every block
    // start is page aligned anyway), nor when the range is exactly `size`
    // long: a widened length could never be found there.
    if (ule(align, PAGE_SIZE) || (ugt(align, PAGE_SIZE) && vend - vstart === size)) adjust_search_size = false;

    const va = this.find_vmap_lowest_match(root, size, align, vstart, adjust_search_size);
    if (!va) return vend;

    if (ugt(va.va_start, vstart)) nva_start_addr = ALIGN(va.va_start, align);
    else nva_start_addr = ALIGN(vstart, align);

    // The vend limit.
    if (ugt(nva_start_addr + size, vend)) return vend;

    // Shrink or split the free block.
    const ret = this.adjust_va_to_fit_type(root, head, va, nva_start_addr, size);
    if (this.WARN_ON_ONCE(ret !== 0, '__alloc_vmap_area', 'ret')) return vend;

    return nva_start_addr;
  }

  /** Release an area allocated by alloc_vmap_area() straight to the free tree. */
  free_vmap_area(va: vmap_area): void {
    // Out of the busy tree/list.
    spin_lock(this.env, 'vmap_area_lock');
    this.unlink_va(va, this.vmap_area_root);
    spin_unlock(this.env, 'vmap_area_lock');

    // Into the free tree/list, merged where it touches.
    spin_lock(this.env, 'free_vmap_area_lock');
    this.merge_or_add_vmap_area_augment(va, this.free_vmap_area_root, this.free_vmap_area_list);
    spin_unlock(this.env, 'free_vmap_area_lock');
  }

  /*
   * Make sure this CPU holds a spare vmap_area for a no-edge split, allocated
   * before the lock so a permissive gfp mask can be used; then take the lock.
   */
  preload_this_cpu_lock(lock: string, gfp_mask: number, node: number): void {
    let va: vmap_area | null = null;

    if (!this.ne_fit_preload_node) va = this.kmem_cache_alloc(gfp_mask, node);

    spin_lock(this.env, lock);

    // __this_cpu_cmpxchg(ne_fit_preload_node, NULL, va): keep the first one.
    if (va) {
      if (this.ne_fit_preload_node) this.kmem_cache_free(va);
      else this.ne_fit_preload_node = va;
    }
  }

  /** blocking_notifier_call_chain(&vmap_notify_list, 0, &freed): the chain is empty. */
  vmap_notify_list_call_chain(): ulong {
    return 0;
  }

  /*
   * Allocate a range of `size` bytes aligned to `align` inside [vstart, vend).
   */
  alloc_vmap_area(
    size: ulong,
    align: ulong,
    vstart: ulong,
    vend: ulong,
    node: number = NUMA_NO_NODE,
    gfp_mask: number = GFP_KERNEL,
  ): vmap_area | ERR_PTR {
    let freed: ulong;
    let addr: ulong;
    let purged = 0;

    this.BUG_ON(!size, 'alloc_vmap_area', '!size');
    this.BUG_ON(misalign(size, PAGE_SIZE) !== 0, 'alloc_vmap_area', 'offset_in_page(size)');
    this.BUG_ON(!is_power_of_2(align), 'alloc_vmap_area', '!is_power_of_2(align)');

    if (!this.vmap_initialized) return ERR_PTR(-EBUSY);

    // might_sleep();
    gfp_mask = gfp_mask & GFP_RECLAIM_MASK;

    const va = this.kmem_cache_alloc(gfp_mask, node);
    if (!va) return ERR_PTR(-ENOMEM);

    // kmemleak_scan_area(&va->rb_node, SIZE_MAX, gfp_mask): no kmemleak.

    for (;;) {
      // retry:
      this.preload_this_cpu_lock('free_vmap_area_lock', gfp_mask, node);
      addr = this.__alloc_vmap_area(this.free_vmap_area_root, this.free_vmap_area_list, size, align, vstart, vend);
      spin_unlock(this.env, 'free_vmap_area_lock');

      // vend back means no fit: go to overflow.
      if (addr !== vend) {
        va.va_start = addr;
        va.va_end = addr + size;
        va.vm = null;

        spin_lock(this.env, 'vmap_area_lock');
        this.insert_vmap_area(va, this.vmap_area_root, this.vmap_area_list);
        spin_unlock(this.env, 'vmap_area_lock');

        this.BUG_ON(misalign(va.va_start, align) !== 0, 'alloc_vmap_area', '!IS_ALIGNED(va->va_start, align)');
        this.BUG_ON(ult(va.va_start, vstart), 'alloc_vmap_area', 'va->va_start < vstart');
        this.BUG_ON(ugt(va.va_end, vend), 'alloc_vmap_area', 'va->va_end > vend');

        const ret = this.kasan_populate_vmalloc(addr, size, gfp_mask);
        if (ret) {
          this.free_vmap_area(va);
          return ERR_PTR(ret);
        }

        return va;
      }

      // overflow:
      if (!purged) {
        this.purge_vmap_area_lazy();
        purged = 1;
        continue; // goto retry
      }

      freed = this.vmap_notify_list_call_chain();

      if (ugt(freed, 0)) {
        purged = 0;
        continue; // goto retry
      }

      // The ratelimited "vmap allocation for size %lu failed: use
      // vmalloc=<size> to increase size" warning: a printk, not a WARN.
      if (!(gfp_mask & __GFP_NOWARN)) this.alloc_failed_warning(size);

      this.kmem_cache_free(va);
      return ERR_PTR(-EBUSY);
    }
  }

  /** pr_warn() of a failed allocation; nothing is recorded for it. */
  alloc_failed_warning(_size: ulong): void {}

  /*
   * How many pages of lazily freed space to collect before purging: a log
   * scale in the number of online CPUs, 32 MiB per step.
   */
  lazy_max_pages(): number {
    const log = fls(this.num_online_cpus());

    return log * ((32 * 1024 * 1024) / PAGE_SIZE);
  }

  /*
   * Purge every lazily freed area: take the whole purge list, flush the
   * TLBs over its span and merge each entry into the free tree. False when
   * there was nothing to do. The caller holds vmap_purge_lock.
   */
  __purge_vmap_area_lazy(start: ulong, end: ulong): boolean {
    const local_purge_list = new list_head<vmap_area>(null);

    spin_lock(this.env, 'purge_vmap_area_lock');
    this.purge_vmap_area_root = new rb_root(); // = RB_ROOT
    list_replace_init(this.purge_vmap_area_list, local_purge_list);
    const nr_areas = this.nr_lazy_areas; // instrumentation
    this.nr_lazy_areas = 0;
    spin_unlock(this.env, 'purge_vmap_area_lock');

    if (list_empty(local_purge_list)) return false;

    start = umin(start, this.list_entry(local_purge_list.next).va_start); // list_first_entry

    end = umax(end, this.list_entry(local_purge_list.prev).va_end); // list_last_entry

    this.env.hooks.flush_tlb_kernel_range(start, end);
    this.env.hooks.purged(nr_areas, start, end);
    const resched_threshold = this.lazy_max_pages() << 1;

    spin_lock(this.env, 'free_vmap_area_lock');
    // list_for_each_entry_safe(va, n_va, &local_purge_list, list)
    for (
      let l = local_purge_list.next, va = this.list_entry(l), nl = l.next, n_va = this.list_entry(nl);
      l !== local_purge_list;
      l = nl, va = n_va, nl = nl.next, n_va = this.list_entry(nl)
    ) {
      const nr = Math.floor((va.va_end - va.va_start) / PAGE_SIZE); // >> PAGE_SHIFT

      // Insert or merge the lazily freed area; it is on no tree now, so
      // nothing to unlink first.
      const merged = this.merge_or_add_vmap_area_augment(va, this.free_vmap_area_root, this.free_vmap_area_list);
      purge_released(this.env); // instrumentation, not kernel text: one area released under the lock
      purge_area_read(this.env); // instrumentation, not kernel text: the purge reads the lazily freed area again (docs/concurrency.md, "Cold areas")

      if (!merged) continue;

      // kasan_release_vmalloc(): KASAN is off.

      this.vmap_lazy_nr -= nr; // atomic_long_sub

      if (this.vmap_lazy_nr < resched_threshold) cond_resched_lock(this.env, 'free_vmap_area_lock');
    }
    spin_unlock(this.env, 'free_vmap_area_lock');
    return true;
  }

  /** Purge the outstanding lazy areas now. */
  purge_vmap_area_lazy(): void {
    mutex_lock(this.env, 'vmap_purge_lock');
    this.env.hooks.purge_fragmented_blocks_allcpus();
    this.__purge_vmap_area_lazy(ULONG_MAX, 0);
    mutex_unlock(this.env, 'vmap_purge_lock');
  }

  /** The drain work item: purge until under the threshold. */
  drain_vmap_area_work(): void {
    let nr_lazy: number;

    do {
      mutex_lock(this.env, 'vmap_purge_lock');
      this.__purge_vmap_area_lazy(ULONG_MAX, 0);
      mutex_unlock(this.env, 'vmap_purge_lock');

      // More to do?
      nr_lazy = this.vmap_lazy_nr;
    } while (nr_lazy > this.lazy_max_pages());
  }

  /**
   * schedule_work(&drain_vmap_work): queued for a kworker when the
   * environment has one (hooks.schedule_work); in the trace environment
   * (one CPU, nothing else runnable) the work runs at once, before the
   * freeing call returns.
   */
  schedule_work_drain_vmap_work(): void {
    const schedule_work = this.env.hooks.schedule_work;
    if (schedule_work) schedule_work(() => this.drain_vmap_area_work());
    else this.drain_vmap_area_work();
  }

  /*
   * Free an area lazily: the caller has unmapped it and called
   * flush_cache_vunmap(); its TLB flush waits for the purge.
   */
  free_vmap_area_noflush(va: vmap_area): void {
    spin_lock(this.env, 'vmap_area_lock');
    this.unlink_va(va, this.vmap_area_root);
    spin_unlock(this.env, 'vmap_area_lock');

    this.vmap_lazy_nr += Math.floor((va.va_end - va.va_start) / PAGE_SIZE); // atomic_long_add_return(... >> PAGE_SHIFT)
    const nr_lazy = this.vmap_lazy_nr;
    this.nr_lazy_areas++; // instrumentation

    // Into the purge tree/list, merged with lazy neighbours.
    spin_lock(this.env, 'purge_vmap_area_lock');
    this.merge_or_add_vmap_area(va, this.purge_vmap_area_root, this.purge_vmap_area_list);
    spin_unlock(this.env, 'purge_vmap_area_lock');

    // va may be freed from here on.
    if (nr_lazy > this.lazy_max_pages()) this.schedule_work_drain_vmap_work();
  }

  /** Free and unmap an area, lazily. */
  free_unmap_vmap_area(va: vmap_area): void {
    this.env.hooks.flush_cache_vunmap(va.va_start, va.va_end);
    this.env.hooks.vunmap_page_range(va.va_start, va.va_end); // vunmap_range_noflush
    // debug_pagealloc_enabled_static() is false: no immediate flush.

    this.free_vmap_area_noflush(va);
  }

  find_vmap_area(addr: ulong): vmap_area | null {
    spin_lock(this.env, 'vmap_area_lock');
    const va = this.__find_vmap_area(addr, this.vmap_area_root);
    spin_unlock(this.env, 'vmap_area_lock');

    return va;
  }

  /** pcpu_get_vm_areas(): the fixed free-tree search, kernel/mm/vmalloc/pcpu/linux-6.1.ts. */
  pcpu_get_vm_areas(offsets: readonly ulong[], sizes: readonly ulong[], nr_vms: number, align: ulong): vmap_area[] | null {
    return pcpu_get_vm_areas(
      this,
      {
        gfp_kernel: GFP_KERNEL,
        clip: (va, start, size) => this.adjust_va_to_fit_type(this.free_vmap_area_root, this.free_vmap_area_list, va, start, size),
        insert_busy: (vas) => {
          spin_lock(this.env, 'vmap_area_lock');
          for (const va of vas) this.insert_vmap_area(va, this.vmap_area_root, this.vmap_area_list);
          spin_unlock(this.env, 'vmap_area_lock');
        },
        purge: () => this.purge_vmap_area_lazy(),
      },
      PCPU_LINES_6_1,
      offsets,
      sizes,
      nr_vms,
      align,
    );
  }

  /*
   * Seed the free tree with the holes between the busy areas over the whole
   * [1, ULONG_MAX) space. No early vmlist entries here, so the busy list is
   * empty and the tree gets one block.
   */
  vmap_init_free_space(): void {
    let vmap_start: ulong = 1;
    const vmap_end: ulong = ULONG_MAX;
    let free: vmap_area | null;

    //     B     F     B     B     B     F
    // -|-----|.....|-----|-----|-----|.....|-
    //  |         the whole KVA space       |
    // list_for_each_entry(busy, &vmap_area_list, list)
    const head = this.vmap_area_list;
    for (let l = head.next, busy = this.list_entry(l); l !== head; l = busy.list.next, busy = this.list_entry(l)) {
      if (busy.va_start - vmap_start !== 0) {
        free = this.kmem_cache_alloc(GFP_NOWAIT); // kmem_cache_zalloc
        if (!this.WARN_ON_ONCE(!free, 'vmap_init_free_space', '!free')) {
          free = free as vmap_area;
          free.va_start = vmap_start;
          free.va_end = busy.va_start;

          this.insert_vmap_area_augment(free, null, this.free_vmap_area_root, this.free_vmap_area_list);
        }
      }

      vmap_start = busy.va_end;
    }

    if (vmap_end - vmap_start !== 0) {
      free = this.kmem_cache_alloc(GFP_NOWAIT); // kmem_cache_zalloc
      if (!this.WARN_ON_ONCE(!free, 'vmap_init_free_space', '!free', 2)) {
        free = free as vmap_area;
        free.va_start = vmap_start;
        free.va_end = vmap_end;

        this.insert_vmap_area_augment(free, null, this.free_vmap_area_root, this.free_vmap_area_list);
      }
    }
  }

  /*
   * vmalloc_init(), allocator part: no early vmlist entries to import into
   * the busy tree in the emulated boot.
   */
  vmalloc_init(): void {
    INIT_LIST_HEAD(this.vmap_area_list);
    this.vmap_init_free_space();
    this.vmap_initialized = true;
  }

  golden_state(): string {
    const head = this.free_vmap_area_list;
    const h = FNV_OFFSET_BASIS.slice();
    let n = 0;
    for (let l = head.next; l !== head; l = l.next) {
      const va = l.owner as vmap_area;
      fnv1a_ulong(h, va.va_start);
      fnv1a_ulong(h, va.va_end);
      n++;
    }
    const low = head.next !== head ? hex((head.next.owner as vmap_area).va_start) : '0';
    return `free=${hex(n)} low=${low} sum=${fnv1a_hex(h)} lazy=${hex(this.vmap_lazy_nr)}`;
  }

  snapshot(): AllocatorSnapshot {
    const areas: AreaView[] = [];
    // Busy and lazily freed (purge list) areas, merged into address order.
    const busy = this.vmap_area_list;
    const lazy = this.purge_vmap_area_list;
    let b = busy.next;
    let z = lazy.next;
    while (b !== busy || z !== lazy) {
      const vb = b !== busy ? (b.owner as vmap_area) : null;
      const vz = z !== lazy ? (z.owner as vmap_area) : null;
      if (vb && (!vz || ult(vb.va_start, vz.va_start))) {
        areas.push({ start: vb.va_start, end: vb.va_end, state: 'busy' });
        b = b.next;
      } else if (vz) {
        areas.push({ start: vz.va_start, end: vz.va_end, state: 'lazy' });
        z = z.next;
      }
    }
    const free: { start: ulong; end: ulong }[] = [];
    const fh = this.free_vmap_area_list;
    for (let l = fh.next; l !== fh; l = l.next) {
      const va = l.owner as vmap_area;
      free.push({ start: va.va_start, end: va.va_end });
    }
    return { areas, free, state: this.golden_state() };
  }

  /**
   * Seeding, not kernel code (scripts/replay/tracefs: replaying a real trace from
   * a /proc/vmallocinfo snapshot). On a fresh allocator, give each area the
   * state an allocation followed (for "unpurged vm_area" lines) by a lazy
   * free would have left: carved out of the free block holding it with this
   * version's adjust_va_to_fit_type, then inserted into the busy tree, or,
   * lazily freed, merged into the purge tree with its pages added to
   * vmap_lazy_nr (no threshold check). Areas address sorted and disjoint.
   * Touches are not counted.
   */
  seed_areas(areas: readonly { start: ulong; end: ulong; state: 'busy' | 'lazy' }[]): void {
    if (this.vmap_area_list.next !== this.vmap_area_list || this.vmap_lazy_nr !== 0) throw new Error('seed_areas: the allocator is not fresh');
    const saved = this.touches;
    for (const a of areas) {
      const size = a.end - a.start;
      // The free block holding the area: a descent of the address-ordered
      // free tree (seeding is set-up, not a ported path; nothing is counted).
      let blk: vmap_area | null = null;
      for (let n = this.free_vmap_area_root.rb_node; n; ) {
        const f = n as vmap_area;
        if (ult(a.start, f.va_start)) n = n.rb_left;
        else if (uge(a.start, f.va_end)) n = n.rb_right;
        else {
          if (uge(f.va_end, a.end)) blk = f;
          break;
        }
      }
      if (!blk) throw new Error(`seed_areas: [${hex(a.start)}, ${hex(a.end)}) is not free`);
      if (this.adjust_va_to_fit_type(this.free_vmap_area_root, this.free_vmap_area_list, blk, a.start, size))
        throw new Error(`seed_areas: cannot carve [${hex(a.start)}, ${hex(a.end)})`);
      const va = new vmap_area();
      va.va_start = a.start;
      va.va_end = a.end;
      if (a.state === 'busy') {
        this.insert_vmap_area(va, this.vmap_area_root, this.vmap_area_list);
      } else {
        this.merge_or_add_vmap_area(va, this.purge_vmap_area_root, this.purge_vmap_area_list);
        this.vmap_lazy_nr += Math.floor(size / PAGE_SIZE);
        this.nr_lazy_areas++;
      }
    }
    this.touches = saved;
  }
}
