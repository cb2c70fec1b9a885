// SPDX-License-Identifier: GPL-2.0-only
/*
 * The global KVA allocator of Linux 5.2: Uladzislau Rezki's "mm/vmalloc.c:
 * keep track of free blocks for vmap allocation" (68ad4a330433, merged for
 * v5.2). Busy areas, live and lazily freed alike, stay in
 * vmap_area_root/vmap_area_list as before; free space is described by the
 * new augmented free_vmap_area_root/free_vmap_area_list, each node knowing
 * the largest free block of its subtree (subtree_max_size), which replaces
 * the free-area cache of 2.6.39-5.1. Lazily freed areas wait on the
 * lock-less vmap_purge_list of 4.7+ and reach the free tree one by one, in
 * llist order (newest first), when a purge frees them.
 *
 * Version: linux-5.2. Upstream path: mm/vmalloc.c.
 *
 * THIS FILE IS A RECONSTRUCTION. No pristine v5.2 mm/vmalloc.c is in the
 * public code index. It was built from linux-6.1.ts by undoing, change by
 * change, what happened between 5.2 and 6.1, guided by:
 *   - the RFC v2 patch (21 Mar 2019, index id 14441177585) and the RESEND/v3
 *     as quoted in Roman Gushchin's review (id 14923960997): the augmented
 *     tree code, hand-written compute_subtree_max_size() and
 *     augment_tree_propagate_from(), RB_DECLARE_CALLBACKS, find_va_links()
 *     with BUG() on overlap, merge_or_add_vmap_area() propagating after each
 *     merge, unlink_va() choosing the augmented erase by root, the
 *     __free_vmap_area() BUG_ON, search length `size + align - 1`;
 *   - the v5 "preload a CPU with one object for split purpose" patch (ids
 *     8106677688 / 22287803480, posted 6 Jun 2019 against 5.2-rc3, merged
 *     for 5.3): its context shows the 5.2 names (va_size,
 *     adjust_va_to_fit_type) and the line numbers of alloc_vmap_area; 5.2
 *     itself still takes the no-edge split node with GFP_NOWAIT;
 *   - the two v5.1 patches to __purge_vmap_area_lazy() that 5.2 carries:
 *     7c9b3c4119eb (return early on an empty list; cond_resched_lock only
 *     while vmap_lazy_nr is under twice lazy_max_pages(); v1 text, index id
 *     23209232939) and 4d36e6f80492 (vmap_lazy_nr an atomic_long_t, the
 *     threshold unsigned long; id 25822388248);
 *   - reference/vmalloc-history.md sections 3, 4.2 and 4.3 (the 4.7-5.3
 *     llist lazy purge, what changed in 5.4, 5.5, 5.11 and 5.16);
 *   - the 18 linux-5.2 golden traces (produced from wangliang-cs/linux-5.2.1
 *     @ fc4ec72d), which all replay against this file; their free-list
 *     checksum would expose a different free-tree shape.
 * The kernel's comments are paraphrased.
 *
 * Line numbers in BUG/WARN sites: alloc_vmap_area's (1039-1041, 1077-1079)
 *   are derived from the preload patch's hunk headers; the others
 *   (find_va_links 463, __alloc_vmap_area 1011, __free_vmap_area 1122,
 *   vmap_init_free_space) are estimates from the v3 hunk headers and may be
 *   off by a few lines. No golden trace reaches them.
 *
 * The trace environment (golden/FORMAT.md): one CPU; spinlocks and the
 * purge mutex are no-ops, trylocks succeed; the purge notifier chain is
 * empty.
 *
 * Touches: every rb_entry()/list_entry() the C macros evaluate is counted,
 * including those inside the augment callbacks (RB_DECLARE_CALLBACKS
 * expands here, as free_vmap_area_rb_augment_cb) and rb_entry_safe() only
 * when its argument is not NULL. llist_entry() evaluations of the lazy
 * purge are not counted (none happens inside an allocation that succeeds).
 *
 * Not here: page-table code (unmap_vmap_area reaches the machine through the
 * vunmap_page_range hook), the per-CPU vmap blocks
 * (purge_fragmented_blocks_allcpus is a hook), the vm_struct layer.
 */

import { EBUSY, ENOMEM, ERR_PTR } from '../../include/linux/errno.js';
import { INIT_LIST_HEAD, list_add, list_del, list_head } from '../../include/linux/list.js';
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
import { ALIGN, fls, hex, is_power_of_2, misalign, ugt, uge, ule, ult, ULONG_MAX, type ulong, umax } from '../../include/u64.js';
import {
  type rb_augment_callbacks,
  rb_erase,
  rb_erase_augmented,
  rb_insert_augmented,
  rb_insert_color,
} from '../../lib/rbtree/linux-6.1.js';
import { pcpu_get_vm_areas, type pcpu_lines } from './pcpu/linux-5.2.js';
import { type AllocatorSnapshot, type AreaView, cond_resched_lock, GFP_KERNEL, mutex_lock, mutex_trylock, mutex_unlock, NUMA_NO_NODE, purge_area_read, purge_released, spin_lock, spin_unlock, type VmallocEnv, type VmapAllocator } from './common.js';
import { type allocator_id, vmalloc_shims } from './shims/customised.js';

/** pcpu_get_vm_areas's BUG/WARN sites: estimates (no pristine v5.2 text). */
export const PCPU_LINES_5_2: pcpu_lines = [3220, 3226, 3227, 3237, 3243, 3303, 3308];

/** DEBUG_AUGMENT_PROPAGATE_CHECK / DEBUG_AUGMENT_LOWEST_MATCH_CHECK: 0, as shipped. */
export const DEBUG_AUGMENT_PROPAGATE_CHECK = 0;
export const DEBUG_AUGMENT_LOWEST_MATCH_CHECK = 0;

export const VM_LAZY_FREE = 0x02;
export const VM_VM_AREA = 0x04;

/**
 * struct llist_node (include/linux/llist.h): the lock-less list is a plain
 * singly linked stack here, with no concurrent users. Kept in this file
 * because only this era's purge uses it.
 */
export class llist_node {
  next: llist_node | null = null;
  constructor(readonly owner: vmap_area | null = null) {}
}

/** struct llist_head */
export class llist_head {
  first: llist_node | null = null;
}

/** llist_add(): push at the head; true if the list was empty. */
export function llist_add(new_: llist_node, head: llist_head): boolean {
  const first = head.first;
  new_.next = first;
  head.first = new_;
  return first === null;
}

/** llist_del_all(): take the whole list, newest entry first. */
export function llist_del_all(head: llist_head): llist_node | null {
  const first = head.first;
  head.first = null;
  return first;
}

/** struct vmap_area of 5.2 (include/linux/vmalloc.h). */
export class vmap_area extends rb_node {
  va_start: ulong = 0;
  va_end: ulong = 0;

  /** largest available free size in the subtree (free tree only) */
  subtree_max_size: ulong = 0;
  flags = 0;
  /* rb_node: address sorted rbtree (this object is its own rb_node) */
  /** address sorted list */
  readonly list: list_head<vmap_area> = new list_head<vmap_area>(this);
  /** "lazy purge" list */
  readonly purge_list: llist_node = new llist_node(this);
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
/** GFP_NOWAIT, for the no-edge split. */
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
  /** busy tree and list: allocated and lazily freed areas */
  readonly vmap_area_list: list_head<vmap_area> = new list_head<vmap_area>(null);
  /** lazily freed areas waiting for a purge, newest first */
  readonly vmap_purge_list: llist_head = new llist_head();
  readonly vmap_area_root: rb_root = new rb_root();
  vmap_initialized = false;

  /** free space, address sorted; the list gives O(1) neighbours for merging */
  readonly free_vmap_area_list: list_head<vmap_area> = new list_head<vmap_area>(null);
  /** free space as an augmented tree: each node knows its subtree's largest block */
  readonly free_vmap_area_root: rb_root = new rb_root();

  /** atomic_t vmap_lazy_nr, in pages */
  vmap_lazy_nr = 0;

  private readonly VMALLOC_START: ulong;

  /** RB_DECLARE_CALLBACKS(static, free_vmap_area_rb_augment_cb, ...) */
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
   * The largest free block of va's subtree: its own size or a child's
   * value. Used by the rotate/propagate callbacks and by
   * augment_tree_propagate_from().
   */
  compute_subtree_max_size(va: vmap_area): ulong {
    return umax(this.va_size(va), umax(this.get_subtree_max_size(va.rb_left), this.get_subtree_max_size(va.rb_right)));
  }

  /*
   * RB_DECLARE_CALLBACKS(static, free_vmap_area_rb_augment_cb,
   *     struct vmap_area, rb_node, unsigned long, subtree_max_size,
   *     compute_subtree_max_size)
   * as the include/linux/rbtree_augmented.h of 5.2 expands it (the form
   * before 5.4's RB_DECLARE_CALLBACKS_MAX).
   */
  free_vmap_area_rb_augment_cb_propagate(rb: rb_node | null, stop: rb_node | null): void {
    while (rb !== stop) {
      const node = this.rb_entry(rb as rb_node);
      const augmented = this.compute_subtree_max_size(node);
      if (node.subtree_max_size === augmented) break;
      node.subtree_max_size = augmented;
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
    old.subtree_max_size = this.compute_subtree_max_size(old);
  }

  __find_vmap_area(addr: ulong): vmap_area | null {
    let n = this.vmap_area_root.rb_node;

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
   * it (the link). Descends from the root, or from `from` when root is
   * null. An overlap with an area already there is a BUG().
   */
  find_va_links(va: vmap_area, root: rb_root | null, from: rb_node | null, parent: va_parent): rb_side {
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

    // Descend to the bottom; any overlap on the way is a bug.
    do {
      tmp_va = this.rb_entry(link as rb_node);

      if (ult(va.va_start, tmp_va.va_end) && ule(va.va_end, tmp_va.va_start)) {
        side = RB_LEFT;
        link = (link as rb_node).rb_left;
      } else if (ugt(va.va_end, tmp_va.va_start) && uge(va.va_start, tmp_va.va_end)) {
        side = RB_RIGHT;
        link = (link as rb_node).rb_right;
      } else this.BUG_ON(true, 'find_va_links', 'BUG()');
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

  link_va(va: vmap_area, root: rb_root, parent: rb_node | null, link: rb_side, head: list_head<vmap_area>): void {
    // va is not on the list yet, but its future predecessor is known.
    if (parent) {
      head = this.rb_entry(parent).list;
      if (link !== RB_RIGHT) head = head.prev;
    }

    // Insert to the rb-tree.
    rb_link_node(va, parent, link, root);
    if (root === this.free_vmap_area_root) {
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

  unlink_va(va: vmap_area, root: rb_root): void {
    // A node being merged may be on no tree and no list: check.
    if (!RB_EMPTY_NODE(va)) {
      if (root === this.free_vmap_area_root) rb_erase_augmented(va, root, this.free_vmap_area_rb_augment_cb);
      else rb_erase(va, root);

      list_del(va.list);
      RB_CLEAR_NODE(va);
    }
  }

  /**
   * DEBUG_AUGMENT_PROPAGATE_CHECK: from every node n of the free tree,
   * descend towards a node whose own size equals n's subtree_max_size
   * (left while the left child carries that value, else here or right); if
   * there is none the value is wrong. Returns the kernel's "tree is
   * corrupted" messages (none when the tree is sound). An invariant check:
   * not run by the allocator, and it leaves the touch counter alone.
   */
  augment_tree_propagate_check(n: rb_node | null = this.free_vmap_area_root.rb_node, out: string[] = []): string[] {
    const saved = this.touches;
    let va: vmap_area;
    let node: rb_node | null;
    let found = false;

    if (n === null) return out;

    va = this.rb_entry(n);
    const size = va.subtree_max_size;
    node = n;

    while (node) {
      va = this.rb_entry(node);

      if (this.get_subtree_max_size(node.rb_left) === size) {
        node = node.rb_left;
      } else {
        if (this.va_size(va) === size) {
          found = true;
          break;
        }

        node = node.rb_right;
      }
    }

    if (!found) {
      va = this.rb_entry(n);
      out.push(`tree is corrupted: ${hex(this.va_size(va))}, ${hex(va.subtree_max_size)}`);
    }

    this.augment_tree_propagate_check(n.rb_left, out);
    this.augment_tree_propagate_check(n.rb_right, out);
    this.touches = saved;
    return out;
  }

  /*
   * Recompute subtree_max_size from va towards the root, stopping at the
   * first node whose value does not change. Needed after a node is inserted
   * (free path), shrunk (allocation path) or grown (merge path).
   */
  augment_tree_propagate_from(va: vmap_area): void {
    let node: rb_node | null = va;

    while (node) {
      va = this.rb_entry(node);
      const new_va_sub_max_size = this.compute_subtree_max_size(va);

      // Unchanged here means everything above is already right.
      if (va.subtree_max_size === new_va_sub_max_size) break;

      va.subtree_max_size = new_va_sub_max_size;
      node = rb_parent(va);
    }

    if (DEBUG_AUGMENT_PROPAGATE_CHECK) this.augment_tree_propagate_check();
  }

  insert_vmap_area(va: vmap_area, root: rb_root, head: list_head<vmap_area>): void {
    const parent: va_parent = { rb: null };

    const link = this.find_va_links(va, root, null, parent);
    this.link_va(va, root, parent.rb, link, head);
  }

  insert_vmap_area_augment(va: vmap_area, from: rb_node | null, root: rb_root, head: list_head<vmap_area>): void {
    const parent: va_parent = { rb: null };
    let link: rb_side;

    if (from) link = this.find_va_links(va, null, from, parent);
    else link = this.find_va_links(va, root, null, parent);

    this.link_va(va, root, parent.rb, link, head);
    this.augment_tree_propagate_from(va);
  }

  /*
   * Put a released range back: merge it into the next and/or the previous
   * block when they touch, else insert it as a block of its own. A merged va
   * is freed.
   */
  merge_or_add_vmap_area(va: vmap_area, root: rb_root, head: list_head<vmap_area>): void {
    let sibling: vmap_area;
    let next: list_head<vmap_area> | null;
    const parent: va_parent = { rb: null };
    let merged = false;

    // Where va would go, unless it merges.
    const link = this.find_va_links(va, root, null, parent);

    // The block after va, to see whether they merge.
    next = this.get_va_next_sibling(parent.rb, link);
    insert: {
      if (next === null) break insert; // goto insert

      // |<------VA------>|<-----Next----->|
      if (next !== head) {
        sibling = this.list_entry(next);
        if (sibling.va_start === va.va_end) {
          sibling.va_start = va.va_start;

          // Fix the tree above the grown block.
          this.augment_tree_propagate_from(sibling);

          // va has been merged: take it out (it is on no tree here).
          this.unlink_va(va, root);

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
          sibling.va_end = va.va_end;

          // Fix the tree above the grown block.
          this.augment_tree_propagate_from(sibling);

          // va has been merged: take it out; after a merge with the next
          // block, va is that block and leaves the tree now.
          this.unlink_va(va, root);

          this.kmem_cache_free(va);

          return;
        }
      }
    }

    // insert:
    if (!merged) {
      this.link_va(va, root, parent.rb, link, head);
      this.augment_tree_propagate_from(va);
    }
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
   * The free block with the lowest start that can hold the request. The
   * length searched for includes the worst-case alignment overhead.
   */
  find_vmap_lowest_match(size: ulong, align: ulong, vstart: ulong): vmap_area | null {
    let va: vmap_area;
    let node: rb_node | null;

    // From the root.
    node = this.free_vmap_area_root.rb_node;

    // The length to look for, alignment overhead included.
    const length = size + align - 1;

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
        // request; only the vstart restriction can lead here, so once.
        while ((node = rb_parent(node))) {
          va = this.rb_entry(node);
          if (this.is_within_this_va(va, size, align, vstart)) return va;

          if (uge(this.get_subtree_max_size(node.rb_right), length) && ule(vstart, va.va_start)) {
            node = node.rb_right;
            break;
          }
        }
      }
    }

    return null;
  }

  /* DEBUG_AUGMENT_LOWEST_MATCH_CHECK: the same search by walking the list. */
  find_vmap_lowest_linear_match(size: ulong, align: ulong, vstart: ulong): vmap_area | null {
    const head = this.free_vmap_area_list;
    // list_for_each_entry(va, &free_vmap_area_list, list)
    for (let l = head.next, va = this.list_entry(l); l !== head; l = va.list.next, va = this.list_entry(l)) {
      if (!this.is_within_this_va(va, size, align, vstart)) continue;

      return va;
    }

    return null;
  }

  /**
   * DEBUG_AUGMENT_LOWEST_MATCH_CHECK: the tree search and the linear one
   * must find the same block for `size` with alignment 1 (5.16 added other
   * alignments). The kernel draws vstart as VMALLOC_START + a random 32-bit
   * number; here the caller passes the offset (from a seeded PRNG). Returns
   * the kernel's "not lowest" message, or null when they agree. Leaves the
   * touch counter alone.
   */
  find_vmap_lowest_match_check(size: ulong, rnd: number): string | null {
    const saved = this.touches;
    const vstart = this.VMALLOC_START + (rnd >>> 0);

    const va_1 = this.find_vmap_lowest_match(size, 1, vstart);
    const va_2 = this.find_vmap_lowest_linear_match(size, 1, vstart);
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

  adjust_va_to_fit_type(va: vmap_area, nva_start_addr: ulong, size: ulong, type: fit_type): number {
    let lva: vmap_area | null = null;

    if (type === FL_FIT_TYPE) {
      // The block is used whole:
      // |<---- va = nva ---->|
      this.unlink_va(va, this.free_vmap_area_root);
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
      lva = this.kmem_cache_alloc(GFP_NOWAIT);
      if (!lva) return -1;

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
        this.insert_vmap_area_augment(lva, va, this.free_vmap_area_root, this.free_vmap_area_list);
    }

    return 0;
  }

  /*
   * Carve [addr, addr + size) out of the free tree; returns addr, or vend
   * as the failure marker.
   */
  __alloc_vmap_area(size: ulong, align: ulong, vstart: ulong, vend: ulong, _node: number): ulong {
    let nva_start_addr: ulong;

    const va = this.find_vmap_lowest_match(size, align, vstart);
    if (!va) return vend;

    if (ugt(va.va_start, vstart)) nva_start_addr = ALIGN(va.va_start, align);
    else nva_start_addr = ALIGN(vstart, align);

    // The vend limit.
    if (ugt(nva_start_addr + size, vend)) return vend;

    // What kind of cut it is.
    const type = this.classify_va_fit_type(va, nva_start_addr, size);
    if (this.WARN_ON_ONCE(type === NOTHING_FIT, '__alloc_vmap_area', 'type == NOTHING_FIT')) return vend;

    // Shrink or split the free block.
    const ret = this.adjust_va_to_fit_type(va, nva_start_addr, size, type);
    if (ret) return vend;

    return nva_start_addr;
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

    const va = this.kmem_cache_alloc(gfp_mask & GFP_RECLAIM_MASK, node);
    if (!va) return ERR_PTR(-ENOMEM);

    // kmemleak_scan_area(&va->rb_node, SIZE_MAX, ...): no kmemleak.

    for (;;) {
      // retry:
      spin_lock(this.env, 'vmap_area_lock');

      // vend back means no fit: go to overflow.
      addr = this.__alloc_vmap_area(size, align, vstart, vend, node);
      if (addr !== vend) {
        va.va_start = addr;
        va.va_end = addr + size;
        va.flags = 0;
        this.insert_vmap_area(va, this.vmap_area_root, this.vmap_area_list);

        spin_unlock(this.env, 'vmap_area_lock');

        this.BUG_ON(misalign(va.va_start, align) !== 0, 'alloc_vmap_area', '!IS_ALIGNED(va->va_start, align)');
        this.BUG_ON(ult(va.va_start, vstart), 'alloc_vmap_area', 'va->va_start < vstart');
        this.BUG_ON(ugt(va.va_end, vend), 'alloc_vmap_area', 'va->va_end > vend');

        return va;
      }

      // overflow:
      spin_unlock(this.env, 'vmap_area_lock');
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
   * Take an area out of the busy tree and give its range back to the free
   * tree. The caller holds vmap_area_lock.
   */
  __free_vmap_area(va: vmap_area): void {
    this.BUG_ON(RB_EMPTY_NODE(va), '__free_vmap_area', 'RB_EMPTY_NODE(&va->rb_node)');

    // Out of the busy tree/list.
    this.unlink_va(va, this.vmap_area_root);

    // Into the free tree/list, merged where it touches.
    this.merge_or_add_vmap_area(va, this.free_vmap_area_root, this.free_vmap_area_list);
  }

  /** Release an area allocated by alloc_vmap_area() at once. */
  free_vmap_area(va: vmap_area): void {
    spin_lock(this.env, 'vmap_area_lock');
    this.__free_vmap_area(va);
    spin_unlock(this.env, 'vmap_area_lock');
  }

  /** Clear the page-table entries of an area. */
  unmap_vmap_area(va: vmap_area): void {
    this.env.hooks.vunmap_page_range(va.va_start, va.va_end);
  }

  /*
   * How many pages of lazily freed space to collect before purging: a log
   * scale in the number of online CPUs, 32 MiB per step.
   */
  lazy_max_pages(): number {
    const log = fls(this.num_online_cpus());

    return log * ((32 * 1024 * 1024) / PAGE_SIZE);
  }

  /*
   * Purge every lazily freed area: take the whole vmap_purge_list, flush
   * the TLBs over its span and free each area, newest first, which returns
   * its range to the free tree. False when there was nothing to do. The
   * caller holds vmap_purge_lock.
   */
  __purge_vmap_area_lazy(start: ulong, end: ulong): boolean {
    let nr_areas = 0; // instrumentation: areas released, for the "purged" event

    const valist = llist_del_all(this.vmap_purge_list);
    if (valist === null) return false; // unlikely(valist == NULL)

    // llist_for_each_entry(va, valist, purge_list)
    for (let n: llist_node | null = valist; n !== null; n = n.next) {
      const va = n.owner as vmap_area;
      if (ult(va.va_start, start)) start = va.va_start;
      if (ugt(va.va_end, end)) end = va.va_end;
      nr_areas++;
      purge_area_read(this.env); // instrumentation, not kernel text: the purge reads the lazily freed area again (docs/concurrency.md, "Cold areas")
    }

    this.env.hooks.flush_tlb_kernel_range(start, end);
    this.env.hooks.purged(nr_areas, start, end);
    const resched_threshold = this.lazy_max_pages() << 1;

    spin_lock(this.env, 'vmap_area_lock');
    // llist_for_each_entry_safe(va, n_va, valist, purge_list)
    for (let n: llist_node | null = valist, n_next: llist_node | null; n !== null; n = n_next) {
      const va = n.owner as vmap_area;
      n_next = n.next;
      const nr = Math.floor((va.va_end - va.va_start) / PAGE_SIZE); // >> PAGE_SHIFT

      this.__free_vmap_area(va);
      purge_released(this.env); // instrumentation, not kernel text: one area released under the lock
      this.vmap_lazy_nr -= nr; // atomic_long_sub

      if (this.vmap_lazy_nr < resched_threshold) cond_resched_lock(this.env, 'vmap_area_lock');
    }
    spin_unlock(this.env, 'vmap_area_lock');
    return true;
  }

  /** Purge the lazy areas unless a purge is already running. */
  try_purge_vmap_area_lazy(): void {
    if (mutex_trylock(this.env, 'vmap_purge_lock')) {
      this.__purge_vmap_area_lazy(ULONG_MAX, 0);
      mutex_unlock(this.env, 'vmap_purge_lock');
    }
  }

  /** Purge the outstanding lazy areas now. */
  purge_vmap_area_lazy(): void {
    mutex_lock(this.env, 'vmap_purge_lock');
    this.env.hooks.purge_fragmented_blocks_allcpus();
    this.__purge_vmap_area_lazy(ULONG_MAX, 0);
    mutex_unlock(this.env, 'vmap_purge_lock');
  }

  /*
   * Free an area lazily: the caller has unmapped it and called
   * flush_cache_vunmap(); its TLB flush waits for the purge. The area stays
   * in the busy tree until then.
   */
  free_vmap_area_noflush(va: vmap_area): void {
    this.vmap_lazy_nr += Math.floor((va.va_end - va.va_start) / PAGE_SIZE); // atomic_long_add_return(... >> PAGE_SHIFT)
    const nr_lazy = this.vmap_lazy_nr;

    // va may be freed from here on.
    llist_add(va.purge_list, this.vmap_purge_list);

    if (nr_lazy > this.lazy_max_pages()) this.try_purge_vmap_area_lazy();
  }

  /** Free and unmap an area, lazily. */
  free_unmap_vmap_area(va: vmap_area): void {
    this.env.hooks.flush_cache_vunmap(va.va_start, va.va_end);
    this.unmap_vmap_area(va);
    // debug_pagealloc_enabled() is false: no immediate flush.

    this.free_vmap_area_noflush(va);
  }

  find_vmap_area(addr: ulong): vmap_area | null {
    spin_lock(this.env, 'vmap_area_lock');
    const va = this.__find_vmap_area(addr);
    spin_unlock(this.env, 'vmap_area_lock');

    return va;
  }

  /** pcpu_get_vm_areas(): 5.2's free-tree search, kernel/mm/vmalloc/pcpu/linux-5.2.ts. */
  pcpu_get_vm_areas(offsets: readonly ulong[], sizes: readonly ulong[], nr_vms: number, align: ulong): vmap_area[] | null {
    return pcpu_get_vm_areas(this, PCPU_LINES_5_2, offsets, sizes, nr_vms, align);
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
    // The busy list holds both; the lazily freed ones are on vmap_purge_list.
    const lazy = new Set<vmap_area>();
    for (let n = this.vmap_purge_list.first; n !== null; n = n.next) lazy.add(n.owner as vmap_area);
    const head = this.vmap_area_list;
    for (let l = head.next; l !== head; l = l.next) {
      const va = l.owner as vmap_area;
      areas.push({ start: va.va_start, end: va.va_end, state: lazy.has(va) ? 'lazy' : 'busy' });
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
   * version's classify_va_fit_type/adjust_va_to_fit_type, inserted into the
   * busy tree, and for a lazily freed one pushed on vmap_purge_list with its
   * pages added to vmap_lazy_nr (no threshold check). Areas address sorted
   * and disjoint. Touches are not counted.
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
      if (this.adjust_va_to_fit_type(blk, a.start, size, this.classify_va_fit_type(blk, a.start, size)))
        throw new Error(`seed_areas: cannot carve [${hex(a.start)}, ${hex(a.end)})`);
      const va = new vmap_area();
      va.va_start = a.start;
      va.va_end = a.end;
      this.insert_vmap_area(va, this.vmap_area_root, this.vmap_area_list);
      if (a.state === 'lazy') {
        llist_add(va.purge_list, this.vmap_purge_list);
        this.vmap_lazy_nr += Math.floor(size / PAGE_SIZE);
      }
    }
    this.touches = saved;
  }
}
