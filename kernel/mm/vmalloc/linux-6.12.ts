// SPDX-License-Identifier: GPL-2.0-only
/*
 * The global KVA allocator of Linux 6.12: the augmented free tree of 5.2/6.1
 * (free_vmap_area_root/free_vmap_area_list, lowest match, fit types) with the
 * busy and lazy bookkeeping split over "vmap nodes" (Uladzislau Rezki,
 * "Mitigate a vmap lock contention", v6.9). Relative to 6.1:
 *
 *  - the global vmap_area_root/vmap_area_list are gone: each struct vmap_node
 *    has its own busy tree and list and its own lazy tree and list; an area
 *    lives in the node addr_to_node(va_start) names (the address divided
 *    into zones of vmap_zone_size, round robin over nr_vmap_nodes);
 *  - nr_vmap_nodes is the number of possible CPUs clamped to [1, 128], and
 *    with more than one node the zone is 16 pages (vmap_init_nodes); with
 *    one CPU there is one node and the zone is one byte;
 *  - each node keeps per-size pools (areas of 1..256 pages, index = pages-1)
 *    of purged areas ready for reuse: an allocation of the full vmalloc
 *    range tries the pool of its CPU's node first (node_alloc), and the area
 *    carries that node's id in va->flags so that its purge returns it to
 *    the pool (purge_vmap_node); with one node the pools are never used;
 *  - lazily freed areas are inserted into their node's lazy tree as they
 *    are, not merged (insert_vmap_area, not merge_or_add_vmap_area), and
 *    the free must find the area already unlinked from the busy tree
 *    (find_unlink_vmap_area in the callers);
 *  - a purge detaches each node's lazy list, flushes the TLB once over the
 *    span of all of them, then per node (purge_vmap_node, inline or on
 *    helper workers) returns each area to its pool or, gathered on a local
 *    list in reverse address order, to the free tree (reclaim_list_global);
 *    the pools are decayed by a quarter (fully on reclaim) at every purge;
 *  - the drain work runs one purge (no loop); a failed allocation calls
 *    reclaim_and_purge_vmap_areas() (the old purge_vmap_area_lazy());
 *  - bad arguments return -EINVAL instead of BUG_ON;
 *  - the three vmalloc trace events (6.2) fire through the trace_* hooks.
 *
 * Version: linux-6.12 (Debian 6.12.95-1~bpo12+1, the kernel of the public
 *   real trace). Upstream path: mm/vmalloc.c.
 * Text read: mm/vmalloc.c (the "Global kva allocator" section, lines
 *   815-2470, vmap_init_free_space and vmap_init_nodes at 5089-5183,
 *   vmalloc_init at 5213), include/linux/vmalloc.h (struct vmap_area),
 *   mm/internal.h (GFP_RECLAIM_MASK), include/linux/rbtree_augmented.h
 *   (RB_DECLARE_CALLBACKS_MAX), include/trace/events/vmalloc.h, from the
 *   6.12.95 source tree. The text is not committed; the comments here are
 *   paraphrases. Line numbers in BUG/WARN sites are lines of that
 *   mm/vmalloc.c.
 *
 * The trace environment: spinlocks and the purge mutex are no-ops; work
 * queued with schedule_work() runs at once, before the queueing call
 * returns (on one CPU with nothing else runnable the kworker runs right
 * after the freeing task's free, as the public real trace shows: the purge
 * line always follows the free that crossed the threshold); helper purge
 * workers (schedule_work_on) run when flush_work() waits for them; KASAN,
 * kmemleak and the vmap-node shrinker do nothing unless called.
 * num_possible_cpus() is env.ncpu; the calling CPU is `cpu` (0 unless set).
 *
 * Touches: as in linux-6.1.ts, every rb_entry()/list_entry()/
 * list_first_entry() the C evaluates is counted, including those in the
 * augment callbacks, and rb_entry_safe() only for a non-NULL argument.
 *
 * Not here: page tables (vunmap_range_noflush is the vunmap_page_range hook),
 * per-CPU vmap blocks (purge_fragmented_blocks_allcpus is a hook), the
 * vm_struct layer, vread/vmallocinfo, the percpu allocator.
 */

import { EBUSY, EINVAL, ENOMEM, ERR_PTR } from '../../include/linux/errno.js';
import { INIT_LIST_HEAD, list_add, list_add_tail, list_del_init, list_empty, list_head, list_move_tail, list_replace_init } from '../../include/linux/list.js';
import {
  RB_CLEAR_NODE,
  RB_EMPTY_NODE,
  RB_EMPTY_ROOT,
  RB_LEFT,
  RB_RIGHT,
  rb_link_node,
  rb_node,
  rb_parent,
  rb_root,
  type rb_side,
} from '../../include/linux/rbtree.js';
import { PAGE_SIZE } from '../../include/asm/page.js';
import { ALIGN, fls, hex, IS_ALIGNED, is_power_of_2, misalign, ugt, uge, ule, ult, ULONG_MAX, type ulong, umax, umin } from '../../include/u64.js';
import {
  type rb_augment_callbacks,
  rb_erase,
  rb_erase_augmented,
  rb_insert_augmented,
  rb_insert_color,
} from '../../lib/rbtree/linux-6.1.js';
import { PCPU_LINES_6_12, pcpu_get_vm_areas } from './pcpu/linux-6.1.js';
import { type AllocatorSnapshot, type AreaView, mutex_lock, mutex_unlock, NUMA_NO_NODE, purge_area_read, purge_released, spin_lock, spin_unlock, type VmallocEnv, type VmapAllocator } from './common.js';
import * as node_pools from './shims/node-pools.js';
import { type allocator_id, vmalloc_shims } from './shims/customised.js';

/** DEBUG_AUGMENT_PROPAGATE_CHECK / DEBUG_AUGMENT_LOWEST_MATCH_CHECK: 0, as shipped. */
export const DEBUG_AUGMENT_PROPAGATE_CHECK = 0;
export const DEBUG_AUGMENT_LOWEST_MATCH_CHECK = 0;

/** struct vmap_area of 6.12 (include/linux/vmalloc.h). */
export class vmap_area extends rb_node {
  va_start: ulong = 0;
  va_end: ulong = 0;

  /* rb_node: address sorted rbtree (this object is its own rb_node) */
  /** address sorted list (also the link in a pool or a purge list) */
  readonly list: list_head<vmap_area> = new list_head<vmap_area>(this);

  /*
   * A union in C: subtree_max_size in the free tree, vm in a busy tree.
   * Nothing reads one member after the other was written, so two fields
   * behave the same.
   */
  /** in the "free" tree: the largest block in this node's subtree */
  subtree_max_size: ulong = 0;
  /** in the "busy" tree: the vm_struct */
  vm: unknown = null;
  /** vm_map_ram kind (VMAP_RAM, VMAP_BLOCK) | encoded vmap node id */
  flags = 0;
}

/** va->flags bits of vm_map_ram areas. */
export const VMAP_RAM = 0x1;
export const VMAP_BLOCK = 0x2;

/** struct rb_list: a tree and its address-sorted list, under one lock. */
export class rb_list {
  root: rb_root = new rb_root();
  readonly head: list_head<vmap_area> = new list_head<vmap_area>(null);
  // spinlock_t lock: no-op
}

/** Pools hold areas of up to MAX_VA_SIZE_PAGES pages; index = pages - 1. */
export const MAX_VA_SIZE_PAGES = 256;

/** struct vmap_pool */
export class vmap_pool {
  readonly head: list_head<vmap_area> = new list_head<vmap_area>(null);
  len = 0;
}

/** struct work_struct, as much of it as the purge uses. */
export interface work_struct {
  func: ((vn: vmap_node) => void) | null;
}

/** struct vmap_node */
export class vmap_node {
  /** simple size-segregated storage */
  readonly pool: vmap_pool[] = Array.from({ length: MAX_VA_SIZE_PAGES }, () => new vmap_pool());
  // spinlock_t pool_lock: no-op
  skip_populate = false;

  /** bookkeeping of this node */
  readonly busy: rb_list = new rb_list();
  readonly lazy: rb_list = new rb_list();

  /** ready-to-free areas */
  readonly purge_list: list_head<vmap_area> = new list_head<vmap_area>(null);
  readonly purge_work: work_struct = { func: null };
  nr_purged = 0;

  constructor(readonly id: number) {}
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

/*
 * gfp bits of 6.12 (include/linux/gfp_types.h of the text read: since 6.4 bit 9
 * is unused, __GFP_DIRECT_RECLAIM is bit 10, __GFP_KSWAPD_RECLAIM bit 11 and
 * __GFP_NOWARN bit 13; no lockdep, so __GFP_NOLOCKDEP is 0). Only
 * __GFP_NOWARN is ever tested here.
 */
export const __GFP_NOWARN = 0x2000;
/** GFP_NOWAIT = __GFP_KSWAPD_RECLAIM | __GFP_NOWARN */
export const GFP_NOWAIT = 0x800 | __GFP_NOWARN;
/** GFP_KERNEL = __GFP_RECLAIM | __GFP_IO | __GFP_FS */
export const GFP_KERNEL_6_12 = 0xc00 | 0x40 | 0x80;
/**
 * GFP_RECLAIM_MASK (mm/internal.h): __GFP_RECLAIM | __GFP_HIGH | __GFP_IO |
 * __GFP_FS | __GFP_NOWARN | __GFP_RETRY_MAYFAIL | __GFP_NOFAIL |
 * __GFP_NORETRY | __GFP_MEMALLOC | __GFP_NOMEMALLOC (| __GFP_NOLOCKDEP, 0
 * without lockdep).
 */
export const GFP_RECLAIM_MASK = 0xc00 | 0x20 | 0x40 | 0x80 | __GFP_NOWARN | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x80000;

/** BITS_PER_BYTE, for the node id encoded in va->flags. */
const BITS_PER_BYTE = 8;
/** UINT_MAX: what decode_vn_id() computes for "no node". */
const UINT_MAX = 0xffffffff;

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

/** (addr / zone) % n for an unsigned long addr, zone a power of two <= 2^30. */
function unsigned_zone_mod(addr: ulong, zone: number, n: number): number {
  if (n === 1) return 0;
  // In the signed view addr = u - 2^64 when negative; floor(u / zone) =
  // floor(addr / zone) + 2^64 / zone, both exact.
  let q = Math.floor(addr / zone) % n;
  if (addr < 0) q += (18446744073709551616 / zone) % n;
  q %= n;
  return q < 0 ? q + n : q;
}

export class vmap_allocator extends vmalloc_shims<vmap_area> implements VmapAllocator {
  /* Globals of the "Global kva allocator" section. */
  vmap_initialized = false;

  /** free space, address sorted; the list gives O(1) neighbours for merging */
  readonly free_vmap_area_list: list_head<vmap_area> = new list_head<vmap_area>(null);
  /** free space as an augmented tree: each node knows its subtree's largest block */
  readonly free_vmap_area_root: rb_root = new rb_root();

  /** DEFINE_PER_CPU(struct vmap_area *, ne_fit_preload_node) */
  readonly ne_fit_preload_node: (vmap_area | null)[];

  /**
   * The vmap nodes. Until vmap_init_nodes() runs there is the one static
   * node `single`, with nr_vmap_nodes = vmap_zone_size = 1.
   */
  readonly single: vmap_node = new vmap_node(0);
  vmap_nodes: vmap_node[] = [this.single];
  nr_vmap_nodes = 1;
  vmap_zone_size = 1;

  /** cpumask_t purge_nodes: node indexes marked for the purge under way */
  purge_nodes: number[] = [];

  /** atomic_long_t vmap_lazy_nr, in pages */
  vmap_lazy_nr = 0;

  /**
   * raw_smp_processor_id(): the CPU the caller runs on; on the machine the
   * hook says, elsewhere what the environment set (a replay sets the
   * traced CPU).
   */
  get cpu(): number {
    return this.env.hooks.raw_smp_processor_id?.() ?? this.cpu_set;
  }
  set cpu(v: number) {
    this.cpu_set = v;
  }
  private cpu_set = 0;

  /**
   * Instrumentation, not kernel state: lazily freed areas since the last
   * purge (each one an entry of a lazy list: 6.12 does not merge them).
   * Reported by the `purged` hook; does not steer the code.
   */
  nr_lazy_areas = 0;

  private readonly VMALLOC_START: ulong;
  private readonly VMALLOC_END: ulong;

  /** RB_DECLARE_CALLBACKS_MAX(static, free_vmap_area_rb_augment_cb, ...) */
  readonly free_vmap_area_rb_augment_cb: rb_augment_callbacks = {
    propagate: (rb, stop) => this.free_vmap_area_rb_augment_cb_propagate(rb, stop),
    copy: (rb_old, rb_new) => this.free_vmap_area_rb_augment_cb_copy(rb_old, rb_new),
    rotate: (rb_old, rb_new) => this.free_vmap_area_rb_augment_cb_rotate(rb_old, rb_new),
  };

  constructor(env: VmallocEnv, id: allocator_id) {
    super(env, id);
    this.VMALLOC_START = env.VMALLOC_START;
    this.VMALLOC_END = env.VMALLOC_END;
    this.ne_fit_preload_node = new Array<vmap_area | null>(Math.max(1, env.ncpu)).fill(null);
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

  /* The first area with addr < va_end in that tree, or null. */
  __find_vmap_area_exceed_addr(addr: ulong, root: rb_root): vmap_area | null {
    let va: vmap_area | null = null;
    let n = root.rb_node;

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

  /*
   * The vmap nodes: which node an address belongs to, and the node id an
   * area carries in va->flags (0 = none; else id + 1, shifted past the
   * vm_map_ram bits).
   */
  addr_to_node_id(addr: ulong): number {
    return unsigned_zone_mod(addr, this.vmap_zone_size, this.nr_vmap_nodes);
  }

  addr_to_node(addr: ulong): vmap_node {
    return this.vmap_nodes[this.addr_to_node_id(addr)]!;
  }

  id_to_node(id: number): vmap_node {
    return this.vmap_nodes[id % this.nr_vmap_nodes]!;
  }

  encode_vn_id(node_id: number): number {
    // Room for node ids 0..254.
    if (node_id < this.nr_vmap_nodes) return (node_id + 1) << BITS_PER_BYTE;

    // Warn; no node encoded.
    this.WARN_ON_ONCE(true, 'encode_vn_id', '1');
    return 0;
  }

  /* The node id in val, or nr_vmap_nodes if there is none or it is wrong. */
  decode_vn_id(val: number): number {
    const node_id = ((val >>> BITS_PER_BYTE) - 1) >>> 0; // unsigned int

    if (node_id < this.nr_vmap_nodes) return node_id;

    // Only a non-zero (encoded but wrong) value is worth a warning.
    this.WARN_ON_ONCE(node_id !== UINT_MAX, 'decode_vn_id', 'node_id != UINT_MAX');

    return this.nr_vmap_nodes;
  }

  is_vn_id_valid(node_id: number): boolean {
    if (node_id < this.nr_vmap_nodes) return true;

    return false;
  }

  /*
   * Shrink, or split in two, the free block va so that [nva_start_addr,
   * nva_start_addr + size) is no longer free (6.1's adjust_va_to_fit_type,
   * classifying inside).
   */
  va_clip(root: rb_root, head: list_head<vmap_area>, va: vmap_area, nva_start_addr: ulong, size: ulong): number {
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
      lva = this.ne_fit_preload_node[this.cpu]!; // __this_cpu_xchg(ne_fit_preload_node, NULL)
      this.ne_fit_preload_node[this.cpu] = null;
      if (!lva) {
        // Not preloaded (the percpu allocator never preloads; regular vmap
        // callers may land on another CPU than the one preloaded): try an
        // atomic allocation; if that fails the caller purges and retries.
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

  /* Take the request out of the free block va found for it; vend on failure. */
  va_alloc(va: vmap_area, root: rb_root, head: list_head<vmap_area>, size: ulong, align: ulong, vstart: ulong, vend: ulong): ulong {
    let nva_start_addr: ulong;

    if (ugt(va.va_start, vstart)) nva_start_addr = ALIGN(va.va_start, align);
    else nva_start_addr = ALIGN(vstart, align);

    // The vend limit.
    if (ugt(nva_start_addr + size, vend)) return vend;

    // Shrink or split the free block.
    const ret = this.va_clip(root, head, va, nva_start_addr, size);
    if (this.WARN_ON_ONCE(ret !== 0, 'va_alloc', 'ret')) return vend;

    return nva_start_addr;
  }

  /*
   * Carve [addr, addr + size) out of the free tree; returns addr, or vend
   * as the failure marker.
   */
  __alloc_vmap_area(root: rb_root, head: list_head<vmap_area>, size: ulong, align: ulong, vstart: ulong, vend: ulong): ulong {
    let adjust_search_size = true;

    // No widening of the search length when align <= PAGE_SIZE (every block
    // start is page aligned anyway), nor when the range is exactly `size`
    // long: a widened length could never be found there.
    if (ule(align, PAGE_SIZE) || (ugt(align, PAGE_SIZE) && vend - vstart === size)) adjust_search_size = false;

    const va = this.find_vmap_lowest_match(root, size, align, vstart, adjust_search_size);
    if (!va) return vend;

    const nva_start_addr = this.va_alloc(va, root, head, size, align, vstart, vend);
    if (nva_start_addr === vend) return vend;

    // DEBUG_AUGMENT_LOWEST_MATCH_CHECK is 0.

    return nva_start_addr;
  }

  /** Release an area allocated by alloc_vmap_area() straight to the free tree. */
  free_vmap_area(va: vmap_area): void {
    const vn = this.addr_to_node(va.va_start);

    // Out of its node's busy tree/list.
    spin_lock(this.env, 'vn->busy.lock', vn);
    this.unlink_va(va, vn.busy.root);
    spin_unlock(this.env, 'vn->busy.lock', vn);

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

    if (!this.ne_fit_preload_node[this.cpu]) va = this.kmem_cache_alloc(gfp_mask, node);

    spin_lock(this.env, lock);

    // __this_cpu_try_cmpxchg(ne_fit_preload_node, &tmp (NULL), va): keep the first one.
    if (va) {
      if (this.ne_fit_preload_node[this.cpu]) this.kmem_cache_free(va);
      else this.ne_fit_preload_node[this.cpu] = va;
    }
  }

  /* The pool of the node for areas of that size, or null above 256 pages. */
  size_to_va_pool(vn: vmap_node, size: ulong): vmap_pool | null {
    const idx = Math.floor((size - 1) / PAGE_SIZE) % 4294967296; // unsigned int

    if (idx < MAX_VA_SIZE_PAGES) return vn.pool[idx]!;

    return null;
  }

  /* Park a purged area in its size's pool of node n; false if too big. */
  node_pool_add_va(n: vmap_node, va: vmap_area): boolean {
    const vp = this.size_to_va_pool(n, this.va_size(va));
    if (!vp) return false;

    spin_lock(this.env, 'vn->pool_lock', n);
    list_add(va.list, vp.head);
    vp.len = vp.len + 1; // WRITE_ONCE
    spin_unlock(this.env, 'vn->pool_lock', n);

    return true;
  }

  /*
   * Take the most recently pooled area of exactly `size` from the node, if
   * it is aligned; an unaligned one goes to the back of the pool.
   */
  node_pool_del_va(vn: vmap_node, size: ulong, align: ulong, vstart: ulong, vend: ulong): vmap_area | null {
    let va: vmap_area | null = null;
    let err = 0;

    const vp = this.size_to_va_pool(vn, size);
    if (!vp || list_empty(vp.head)) return null;

    spin_lock(this.env, 'vn->pool_lock', vn);
    if (!list_empty(vp.head)) {
      va = this.list_entry(vp.head.next); // list_first_entry

      if (IS_ALIGNED(va.va_start, align)) {
        // Sanity checks, each a warning.
        err |= this.va_size(va) !== size ? 1 : 0;
        err |= ult(va.va_start, vstart) ? 1 : 0;
        err |= ugt(va.va_end, vend) ? 1 : 0;

        if (!this.WARN_ON_ONCE(err !== 0, 'node_pool_del_va', 'err')) {
          list_del_init(va.list);
          vp.len = vp.len - 1; // WRITE_ONCE
        } else {
          va = null;
        }
      } else {
        list_move_tail(va.list, vp.head);
        va = null;
      }
    }
    spin_unlock(this.env, 'vn->pool_lock', vn);

    return va;
  }

  /*
   * A ready area from the pool of this CPU's node, for a full-range
   * (vmalloc) request when there is more than one node. Whatever it returns,
   * out.vn_id is the encoded node id the new area will carry (0 when the
   * pools are bypassed) and out.addr its start, or vend.
   */
  node_alloc(size: ulong, align: ulong, vstart: ulong, vend: ulong, out: { addr: ulong; vn_id: number }): vmap_area | null {
    out.vn_id = 0;
    out.addr = vend;

    // The global heap for anything but vmalloc, or with one node.
    if (vstart !== this.VMALLOC_START || vend !== this.VMALLOC_END || this.nr_vmap_nodes === 1) return null;

    out.vn_id = this.cpu % this.nr_vmap_nodes; // raw_smp_processor_id()
    const va = this.node_pool_del_va(this.id_to_node(out.vn_id), size, align, vstart, vend);
    out.vn_id = this.encode_vn_id(out.vn_id);

    if (va) out.addr = va.va_start;

    return va;
  }

  /** blocking_notifier_call_chain(&vmap_notify_list, 0, &freed): the chain is empty. */
  vmap_notify_list_call_chain(): ulong {
    return 0;
  }

  /*
   * Allocate a range of `size` bytes aligned to `align` inside [vstart, vend).
   * va_flags and vm as in 6.12 (vm_map_ram passes VMAP_RAM; a vm_struct is
   * only recorded).
   */
  alloc_vmap_area(
    size: ulong,
    align: ulong,
    vstart: ulong,
    vend: ulong,
    node: number = NUMA_NO_NODE,
    gfp_mask: number = GFP_KERNEL_6_12,
    va_flags = 0,
    vm: unknown = null,
  ): vmap_area | ERR_PTR {
    let freed: ulong;
    let purged = 0;

    if (!size || misalign(size, PAGE_SIZE) !== 0 || !is_power_of_2(align)) return ERR_PTR(-EINVAL);

    if (!this.vmap_initialized) return ERR_PTR(-EBUSY);

    // might_sleep();

    // An area found in the global heap still carries vn_id, so that its
    // purge returns it to this node's pool: the pools fill as used.
    // A pool hit is a ready area.
    const na = { addr: vend, vn_id: 0 };
    let va = this.node_alloc(size, align, vstart, vend, na);
    let addr = na.addr;
    const vn_id = na.vn_id;
    if (!va) {
      gfp_mask = gfp_mask & GFP_RECLAIM_MASK;

      va = this.kmem_cache_alloc(gfp_mask, node);
      if (!va) return ERR_PTR(-ENOMEM);

      // kmemleak_scan_area(&va->rb_node, SIZE_MAX, gfp_mask): no kmemleak.
    }

    for (;;) {
      // retry:
      if (addr === vend) {
        this.preload_this_cpu_lock('free_vmap_area_lock', gfp_mask, node);
        addr = this.__alloc_vmap_area(this.free_vmap_area_root, this.free_vmap_area_list, size, align, vstart, vend);
        spin_unlock(this.env, 'free_vmap_area_lock');
      }

      this.env.hooks.trace_alloc_vmap_area?.(addr, size, align, vstart, vend, addr === vend ? 1 : 0);

      // vend back means no fit: go to overflow.
      if (addr !== vend) {
        va.va_start = addr;
        va.va_end = addr + size;
        va.vm = null;
        va.flags = va_flags | vn_id;

        if (vm) va.vm = vm; // vm->addr, vm->size are the vm_struct layer's

        const vn = this.addr_to_node(va.va_start);

        spin_lock(this.env, 'vn->busy.lock', vn);
        this.insert_vmap_area(va, vn.busy.root, vn.busy.head);
        spin_unlock(this.env, 'vn->busy.lock', vn);

        this.BUG_ON(misalign(va.va_start, align) !== 0, 'alloc_vmap_area', '!IS_ALIGNED(va->va_start, align)');
        this.BUG_ON(ult(va.va_start, vstart), 'alloc_vmap_area', 'va->va_start < vstart');
        this.BUG_ON(ugt(va.va_end, vend), 'alloc_vmap_area', 'va->va_end > vend');

        const ret = this.kasan_populate_vmalloc(addr, size);
        if (ret) {
          this.free_vmap_area(va);
          return ERR_PTR(ret);
        }

        return va;
      }

      // overflow:
      if (!purged) {
        this.reclaim_and_purge_vmap_areas();
        purged = 1;
        continue; // goto retry
      }

      freed = this.vmap_notify_list_call_chain();

      if (ugt(freed, 0)) {
        purged = 0;
        continue; // goto retry
      }

      // The ratelimited "vmalloc_node_range for size %lu failed: Address
      // range restricted to %#lx - %#lx" warning: a printk, not a WARN.
      if (!(gfp_mask & __GFP_NOWARN)) this.alloc_failed_warning(size, vstart, vend);

      this.kmem_cache_free(va);
      return ERR_PTR(-EBUSY);
    }
  }

  /** pr_warn() of a failed allocation; nothing is recorded for it. */
  alloc_failed_warning(_size: ulong, _vstart: ulong, _vend: ulong): void {}

  /*
   * How many pages of lazily freed space to collect before purging: a log
   * scale in the number of online CPUs, 32 MiB per step.
   */
  lazy_max_pages(): number {
    const log = fls(this.num_online_cpus());

    return log * ((32 * 1024 * 1024) / PAGE_SIZE);
  }

  /* Merge every area of the list into the free tree. */
  reclaim_list_global(head: list_head<vmap_area>): void {
    if (list_empty(head)) return;

    spin_lock(this.env, 'free_vmap_area_lock');
    // list_for_each_entry_safe(va, n, head, list)
    for (
      let l = head.next, va = this.list_entry(l), nl = l.next, n = this.list_entry(nl);
      l !== head;
      l = nl, va = n, nl = nl.next, n = this.list_entry(nl)
    ) {
      this.merge_or_add_vmap_area_augment(va, this.free_vmap_area_root, this.free_vmap_area_list);
      purge_released(this.env); // instrumentation, not kernel text: one area released under the lock
    }
    spin_unlock(this.env, 'free_vmap_area_lock');
  }

  /*
   * Give back to the free tree about a quarter of each pool of the node
   * (all of it with full_decay), merged among themselves first.
   */
  decay_va_pool_node(vn: vmap_node, full_decay: boolean): void {
    const decay_list = new list_head<vmap_area>(null);
    const decay_root = new rb_root();

    for (let i = 0; i < MAX_VA_SIZE_PAGES; i++) {
      const tmp_list = new list_head<vmap_area>(null);

      if (list_empty(vn.pool[i]!.head)) continue;

      // Detach the pool so that nobody else reaches it.
      spin_lock(this.env, 'vn->pool_lock', vn);
      list_replace_init(vn.pool[i]!.head, tmp_list);
      spin_unlock(this.env, 'vn->pool_lock', vn);

      if (full_decay) vn.pool[i]!.len = 0; // WRITE_ONCE

      // About 25% of what is left. An unsigned long: when it is 0 the
      // pre-decrement below wraps and the whole pool goes.
      let n_decay = Math.floor(vn.pool[i]!.len / 4); // >> 2

      // list_for_each_entry_safe(va, nva, &tmp_list, list). The list can be
      // empty: another CPU may have taken the pool's last area between the
      // list_empty() test and the lock (the first next is read through the
      // list node, which for an empty list is the head, as in C).
      for (
        let l = tmp_list.next, va = this.list_entry(l), nl = l.next, nva = this.list_entry(nl);
        l !== tmp_list;
        l = nl, va = nva, nl = nl.next, nva = this.list_entry(nl)
      ) {
        list_del_init(va.list);
        this.merge_or_add_vmap_area(va, decay_root, decay_list);

        if (!full_decay) {
          vn.pool[i]!.len = vn.pool[i]!.len - 1; // WRITE_ONCE

          if (!--n_decay) break;
        }
      }

      // Reattach what is left of a partly decayed pool (nobody else can
      // have refilled it meanwhile).
      if (!full_decay && !list_empty(tmp_list)) {
        spin_lock(this.env, 'vn->pool_lock', vn);
        list_replace_init(tmp_list, vn.pool[i]!.head);
        spin_unlock(this.env, 'vn->pool_lock', vn);
      }
    }

    this.reclaim_list_global(decay_list);
  }

  /* kasan_release_vmalloc_node(): only with CONFIG_KASAN_VMALLOC; off here. */

  /*
   * The purge of one node: every area of its purge list goes back to the
   * node's pool (when it carries a valid node id and pools are being
   * populated) or to the free tree.
   */
  purge_vmap_node(vn: vmap_node): void {
    let nr_purged_pages = 0;
    const local_list = new list_head<vmap_area>(null);

    // IS_ENABLED(CONFIG_KASAN_VMALLOC) is false.

    vn.nr_purged = 0;

    // list_for_each_entry_safe(va, n_va, &vn->purge_list, list)
    const head = vn.purge_list;
    for (
      let l = head.next, va = this.list_entry(l), nl = l.next, n_va = this.list_entry(nl);
      l !== head;
      l = nl, va = n_va, nl = nl.next, n_va = this.list_entry(nl)
    ) {
      const nr = Math.floor(this.va_size(va) / PAGE_SIZE); // >> PAGE_SHIFT
      const vn_id = this.decode_vn_id(va.flags);

      list_del_init(va.list);

      nr_purged_pages += nr;
      vn.nr_purged++;
      purge_area_read(this.env); // instrumentation, not kernel text: the purge reads the lazily freed area again (docs/concurrency.md, "Cold areas")

      if (this.is_vn_id_valid(vn_id) && !vn.skip_populate) if (this.node_pool_add_va(vn, va)) continue;

      // Back to the global heap.
      list_add(va.list, local_list);
    }

    this.vmap_lazy_nr -= nr_purged_pages; // atomic_long_sub

    this.reclaim_list_global(local_list);
  }

  /*
   * Purge every lazily freed area: decay the pools, detach each node's lazy
   * list, flush the TLBs once over the span of all of them, then purge the
   * nodes (some on helper workers when much is pending). True if any area
   * was purged. The caller holds vmap_purge_lock.
   */
  __purge_vmap_area_lazy(start: ulong, end: ulong, full_pool_decay: boolean): boolean {
    let nr_purged_areas = 0;
    let nr_purge_helpers: number;
    let vn: vmap_node;

    // Which nodes have work: purge_nodes = CPU_MASK_NONE.
    this.purge_nodes = [];
    const nr_areas = this.nr_lazy_areas; // instrumentation
    this.nr_lazy_areas = 0;

    for (let i = 0; i < this.nr_vmap_nodes; i++) {
      vn = this.vmap_nodes[i]!;

      INIT_LIST_HEAD(vn.purge_list);
      vn.skip_populate = full_pool_decay;
      this.decay_va_pool_node(vn, full_pool_decay);

      if (RB_EMPTY_ROOT(vn.lazy.root)) continue;

      spin_lock(this.env, 'vn->lazy.lock', vn);
      vn.lazy.root.rb_node = null; // WRITE_ONCE
      list_replace_init(vn.lazy.head, vn.purge_list);
      spin_unlock(this.env, 'vn->lazy.lock', vn);

      start = umin(start, this.list_entry(vn.purge_list.next).va_start); // list_first_entry

      end = umax(end, this.list_entry(vn.purge_list.prev).va_end); // list_last_entry

      this.purge_nodes.push(i); // cpumask_set_cpu
    }

    const nr_purge_nodes = this.purge_nodes.length; // cpumask_weight
    if (nr_purge_nodes > 0) {
      this.env.hooks.flush_tlb_kernel_range(start, end);
      this.env.hooks.purged(nr_areas, start, end);

      // One helper worker per full lazy_max_pages() set, less one.
      nr_purge_helpers = Math.floor(this.vmap_lazy_nr / this.lazy_max_pages()) >>> 0;
      nr_purge_helpers = Math.min(Math.max(nr_purge_helpers, 1), nr_purge_nodes) - 1; // clamp(, 1U, nr_purge_nodes) - 1

      for (const i of this.purge_nodes) {
        vn = this.vmap_nodes[i]!;

        if (nr_purge_helpers > 0) {
          vn.purge_work.func = (n) => this.purge_vmap_node(n); // INIT_WORK
          // schedule_work_on(i, ...) when CPU i is online, else
          // schedule_work(...); without a kworker it runs at flush_work() below.
          this.schedule_work_on(i < this.num_online_cpus() ? i : this.cpu, vn);
          nr_purge_helpers--;
        } else {
          vn.purge_work.func = null;
          this.purge_vmap_node(vn);
          nr_purged_areas += vn.nr_purged;
        }
      }

      for (const i of this.purge_nodes) {
        vn = this.vmap_nodes[i]!;

        if (vn.purge_work.func) {
          this.flush_work(vn);
          nr_purged_areas += vn.nr_purged;
        }
      }
    }

    this.env.hooks.trace_purge_vmap_area_lazy?.(start, end, nr_purged_areas);
    return nr_purged_areas > 0;
  }

  /** schedule_work_on(cpu, &vn->purge_work): to that CPU's kworker, where the machine has kworkers. */
  schedule_work_on(cpu: number, vn: vmap_node): void {
    const func = vn.purge_work.func;
    if (func) this.env.hooks.schedule_work_on?.(cpu, vn.purge_work, () => func(vn));
  }

  /** flush_work(&vn->purge_work): wait for the helper; without kworkers it runs now (see the file header). */
  flush_work(vn: vmap_node): void {
    if (this.env.hooks.flush_work?.(vn.purge_work)) return;
    const func = vn.purge_work.func;
    if (func) func(vn);
  }

  /* Reclaim: purge the per-CPU vmap blocks and every lazily freed area, emptying the pools. */
  reclaim_and_purge_vmap_areas(): void {
    mutex_lock(this.env, 'vmap_purge_lock');
    this.env.hooks.purge_fragmented_blocks_allcpus();
    this.__purge_vmap_area_lazy(ULONG_MAX, 0, true);
    mutex_unlock(this.env, 'vmap_purge_lock');
  }

  /**
   * VmapAllocator.purge_vmap_area_lazy(), the golden `p`: 6.12 has no
   * function of that name; its body lives on as
   * reclaim_and_purge_vmap_areas().
   */
  purge_vmap_area_lazy(): void {
    this.reclaim_and_purge_vmap_areas();
  }

  /*
   * vm_unmap_aliases(), i.e. _vm_unmap_aliases(ULONG_MAX, 0, 0): the
   * callers' explicit purge. The per-CPU vmap blocks (their fragmented-block
   * purge and dirty ranges) are the purge_fragmented_blocks_allcpus hook
   * here, with no dirty range, so flush stays 0. Unlike the reclaim it keeps
   * the pools populated (full_pool_decay false).
   */
  vm_unmap_aliases(): void {
    const start: ulong = ULONG_MAX;
    const end: ulong = 0;
    const flush = 0;

    if (!this.vmap_initialized) return;

    mutex_lock(this.env, 'vmap_purge_lock');
    this.env.hooks.purge_fragmented_blocks_allcpus();

    if (!this.__purge_vmap_area_lazy(start, end, false) && flush) this.env.hooks.flush_tlb_kernel_range(start, end);
    mutex_unlock(this.env, 'vmap_purge_lock');
  }

  /** The drain work item: one purge. */
  drain_vmap_area_work(): void {
    mutex_lock(this.env, 'vmap_purge_lock');
    this.__purge_vmap_area_lazy(ULONG_MAX, 0, false);
    mutex_unlock(this.env, 'vmap_purge_lock');
  }

  /**
   * Environment, not kernel state: how work queued with schedule_work()
   * runs. 'inline' (the trace environment, the default): at once, before
   * the queueing call returns. 'deferred': it stays pending (queueing it
   * again meanwhile does nothing, as the kernel's WORK_STRUCT_PENDING bit
   * makes it) until the environment calls run_pending_work(): a replay of a
   * recorded trace does that where the trace shows the kworker ran.
   */
  work_mode: 'inline' | 'deferred' = 'inline';
  /** drain_vmap_work is queued and has not run yet ('deferred' mode). */
  drain_vmap_work_pending = false;

  /** schedule_work(&drain_vmap_work) */
  schedule_work_drain_vmap_work(): void {
    if (this.work_mode === 'inline') {
      // On the machine a kworker takes it (hooks.schedule_work), as for 6.1.
      const schedule_work = this.env.hooks.schedule_work;
      if (schedule_work) schedule_work(() => this.drain_vmap_area_work());
      else this.drain_vmap_area_work();
      return;
    }
    this.drain_vmap_work_pending = true;
  }

  /** The kworker runs: the queued drain work, if any. True if it ran. */
  run_pending_work(): boolean {
    if (!this.drain_vmap_work_pending) return false;
    this.drain_vmap_work_pending = false;
    this.drain_vmap_area_work();
    return true;
  }

  /*
   * Free an area lazily: the caller has unmapped it, taken it out of its
   * busy tree and called flush_cache_vunmap(); its TLB flush waits for the
   * purge.
   */
  free_vmap_area_noflush(va: vmap_area): void {
    const nr_lazy_max = this.lazy_max_pages();
    const va_start = va.va_start;
    const vn_id = this.decode_vn_id(va.flags);

    if (this.WARN_ON_ONCE(!list_empty(va.list), 'free_vmap_area_noflush', '!list_empty(&va->list)')) return;

    this.vmap_lazy_nr += Math.floor(this.va_size(va) / PAGE_SIZE); // atomic_long_add_return(va_size(va) >> PAGE_SHIFT)
    const nr_lazy = this.vmap_lazy_nr;

    // An area taken for a node goes back to that node (its pool, later).
    const vn = this.is_vn_id_valid(vn_id) ? this.id_to_node(vn_id) : this.addr_to_node(va.va_start);

    spin_lock(this.env, 'vn->lazy.lock', vn);
    this.insert_vmap_area(va, vn.lazy.root, vn.lazy.head);
    spin_unlock(this.env, 'vn->lazy.lock', vn);
    this.nr_lazy_areas++; // instrumentation

    this.env.hooks.trace_free_vmap_area_noflush?.(va_start, nr_lazy, nr_lazy_max);

    // va may be freed from here on.
    if (nr_lazy > nr_lazy_max) this.schedule_work_drain_vmap_work();
  }

  /**
   * Free and unmap an area, lazily.
   *
   * Environment adapter, not 6.12 code: callers of the VmapAllocator
   * interface find the area with find_vmap_area() and hand it over still in
   * its busy tree, where 6.12's own callers (remove_vm_area, vm_unmap_ram)
   * take it out first with find_unlink_vmap_area(). That unlink is done here
   * when the area is still linked: the same tree operation on the same node
   * (an area always sits in addr_to_node(va_start)), so the work counted is
   * the kernel's.
   */
  free_unmap_vmap_area(va: vmap_area): void {
    if (!list_empty(va.list)) this.unlink_va(va, this.addr_to_node(va.va_start).busy.root);

    this.env.hooks.flush_cache_vunmap(va.va_start, va.va_end);
    this.env.hooks.vunmap_page_range(va.va_start, va.va_end); // vunmap_range_noflush
    // debug_pagealloc_enabled_static() is false: no immediate flush.

    this.free_vmap_area_noflush(va);
  }

  /*
   * The busy area containing addr. An area sits in the node of its start;
   * addr may lie in a later zone, so the search goes round the nodes from
   * addr's own.
   */
  find_vmap_area(addr: ulong): vmap_area | null {
    let va: vmap_area | null;

    if (!this.vmap_initialized) return null;

    let i: number;
    const j = (i = this.addr_to_node_id(addr));
    do {
      const vn = this.vmap_nodes[i]!;

      spin_lock(this.env, 'vn->busy.lock', vn);
      va = this.__find_vmap_area(addr, vn.busy.root);
      spin_unlock(this.env, 'vn->busy.lock', vn);

      if (va) return va;
    } while ((i = (i + 1) % this.nr_vmap_nodes) !== j);

    return null;
  }

  /** pcpu_get_vm_areas(): the fixed free-tree search, kernel/mm/vmalloc/pcpu/linux-6.1.ts, with vmap nodes. */
  pcpu_get_vm_areas(offsets: readonly ulong[], sizes: readonly ulong[], nr_vms: number, align: ulong): vmap_area[] | null {
    return pcpu_get_vm_areas(
      this,
      {
        gfp_kernel: GFP_KERNEL_6_12,
        clip: (va, start, size) => this.va_clip(this.free_vmap_area_root, this.free_vmap_area_list, va, start, size),
        insert_busy: (vas) => {
          for (const va of vas) {
            const vn = this.addr_to_node(va.va_start);

            spin_lock(this.env, 'vn->busy.lock', vn);
            this.insert_vmap_area(va, vn.busy.root, vn.busy.head);
            spin_unlock(this.env, 'vn->busy.lock', vn);
          }
        },
        purge: () => this.reclaim_and_purge_vmap_areas(),
      },
      PCPU_LINES_6_12,
      offsets,
      sizes,
      nr_vms,
      align,
    );
  }

  /* As find_vmap_area(), taking the area out of its busy tree. */
  find_unlink_vmap_area(addr: ulong): vmap_area | null {
    let va: vmap_area | null;

    let i: number;
    const j = (i = this.addr_to_node_id(addr));
    do {
      const vn = this.vmap_nodes[i]!;

      spin_lock(this.env, 'vn->busy.lock', vn);
      va = this.__find_vmap_area(addr, vn.busy.root);
      if (va) this.unlink_va(va, vn.busy.root);
      spin_unlock(this.env, 'vn->busy.lock', vn);

      if (va) return va;
    } while ((i = (i + 1) % this.nr_vmap_nodes) !== j);

    return null;
  }

  /*
   * Seed the free tree with the holes between the early vm areas (vmlist,
   * address sorted) over the whole [1, ULONG_MAX) space. The emulated boot
   * has no early areas, so the tree gets one block.
   */
  vmap_init_free_space(vmlist: readonly { addr: ulong; size: ulong }[] = []): void {
    let vmap_start: ulong = 1;
    const vmap_end: ulong = ULONG_MAX;
    let free: vmap_area | null;

    //     B     F     B     B     B     F
    // -|-----|.....|-----|-----|-----|.....|-
    //  |         the whole KVA space       |
    for (const busy of vmlist) {
      if (busy.addr - vmap_start !== 0) {
        free = this.kmem_cache_alloc(GFP_NOWAIT); // kmem_cache_zalloc
        if (!this.WARN_ON_ONCE(!free, 'vmap_init_free_space', '!free')) {
          free = free as vmap_area;
          free.va_start = vmap_start;
          free.va_end = busy.addr;

          this.insert_vmap_area_augment(free, null, this.free_vmap_area_root, this.free_vmap_area_list);
        }
      }

      vmap_start = busy.addr + busy.size;
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
   * One node per possible CPU, up to 128, in zones of 16 pages; a single
   * node (zone 1) with one CPU.
   */
  vmap_init_nodes(): void {
    let vn: vmap_node;

    // BITS_PER_LONG == 64
    let n = Math.min(Math.max(this.num_possible_cpus() >>> 0, 1), 128); // clamp_t(unsigned int, ..., 1, 128)

    if (n > 1) {
      const arr = Array.from({ length: n }, (_, k) => new vmap_node(k)); // kmalloc_array
      // Zones of 16 pages.
      this.vmap_zone_size = (1 << 4) * PAGE_SIZE;
      this.nr_vmap_nodes = n;
      this.vmap_nodes = arr;
    }

    for (n = 0; n < this.nr_vmap_nodes; n++) {
      vn = this.vmap_nodes[n]!;
      vn.busy.root = new rb_root(); // RB_ROOT
      INIT_LIST_HEAD(vn.busy.head);

      vn.lazy.root = new rb_root();
      INIT_LIST_HEAD(vn.lazy.head);

      for (let i = 0; i < MAX_VA_SIZE_PAGES; i++) {
        INIT_LIST_HEAD(vn.pool[i]!.head);
        vn.pool[i]!.len = 0; // WRITE_ONCE
      }
    }
  }

  /** The vmap-node shrinker's count: areas parked in all pools. */
  vmap_node_shrink_count(): number {
    let count = 0;
    for (let i = 0; i < this.nr_vmap_nodes; i++) {
      const vn = this.vmap_nodes[i]!;

      for (let j = 0; j < MAX_VA_SIZE_PAGES; j++) count += vn.pool[j]!.len;
    }

    return count; // SHRINK_EMPTY when 0
  }

  /** The vmap-node shrinker's scan: empty every pool into the free tree. */
  vmap_node_shrink_scan(): void {
    for (let i = 0; i < this.nr_vmap_nodes; i++) this.decay_va_pool_node(this.vmap_nodes[i]!, true);
  }

  /*
   * vmalloc_init(), allocator part: set up the nodes; no early vmlist
   * entries to import in the emulated boot; the shrinker is not modelled
   * (call vmap_node_shrink_scan() to run it).
   */
  vmalloc_init(): void {
    this.vmap_init_nodes();
    this.vmap_init_free_space();
    this.vmap_initialized = true;
  }

  /**
   * Seeding, not kernel code: give a freshly built allocator the state it
   * would have had if the given areas had been there at boot, as
   * vmalloc_init() imports vmlist entries: each busy area goes into the busy
   * tree of its node, each lazily freed one ("unpurged vm_area") into the
   * lazy tree of its node with its pages added to vmap_lazy_nr, and
   * vmap_init_free_space() rebuilds the free tree from the holes between
   * all of them. Areas must be page aligned and disjoint; `vm_map_ram`
   * marks a busy area without a vm_struct (VMAP_RAM).
   *
   * What /proc/vmallocinfo cannot show, for a replay that inferred it from
   * the trace (scripts/replay/tracefs/replay.ts, inferPools):
   *  - an area with `cpu` was allocated by node_alloc() on that CPU: it
   *    carries that CPU's node id (encode_vn_id(cpu % nr_vmap_nodes)), and
   *    a lazy one sits in that node's lazy tree, as free_vmap_area_noflush()
   *    puts it, so that its purge parks it in the node's pool; without
   *    `cpu` an area carries no node id and goes back to the global heap;
   *  - a `pooled` area sits in the pool of the node of its `cpu` (the node
   *    node_alloc() takes it from), neither busy nor free; the pooled areas
   *    of one pool keep their order: the first given is the first
   *    node_pool_del_va() returns.
   */
  seed_areas(areas: readonly { start: ulong; end: ulong; state: 'busy' | 'lazy' | 'pooled'; vm_map_ram?: boolean; cpu?: number }[]): void {
    if (this.vmap_node_shrink_count() !== 0 || this.vmap_lazy_nr !== 0 || this.snapshot().areas.length !== 0)
      throw new Error('seed_areas: the allocator is not fresh');
    // Drop the boot-time free block.
    for (let l = this.free_vmap_area_list.next; l !== this.free_vmap_area_list; ) {
      const nx = l.next;
      INIT_LIST_HEAD(l);
      l = nx;
    }
    INIT_LIST_HEAD(this.free_vmap_area_list);
    this.free_vmap_area_root.rb_node = null;

    const saved = this.touches;
    const pooled: vmap_area[] = [];
    for (const a of areas) {
      const va = new vmap_area();
      va.va_start = a.start;
      va.va_end = a.end;
      if (a.state === 'busy') {
        va.vm = a.vm_map_ram ? null : {};
        va.flags = a.vm_map_ram ? VMAP_RAM : 0;
        if (a.cpu !== undefined && this.nr_vmap_nodes > 1) va.flags |= this.encode_vn_id(a.cpu % this.nr_vmap_nodes);
        const vn = this.addr_to_node(va.va_start);
        this.insert_vmap_area(va, vn.busy.root, vn.busy.head);
      } else if (a.state === 'lazy') {
        let vn = this.addr_to_node(va.va_start);
        if (a.cpu !== undefined && this.nr_vmap_nodes > 1) {
          const id = a.cpu % this.nr_vmap_nodes;
          va.flags = this.encode_vn_id(id);
          vn = this.id_to_node(id);
        }
        this.insert_vmap_area(va, vn.lazy.root, vn.lazy.head);
        this.vmap_lazy_nr += Math.floor(this.va_size(va) / PAGE_SIZE);
        this.nr_lazy_areas++;
      } else {
        if (this.nr_vmap_nodes === 1) throw new Error(`seed_areas: [${hex(a.start)}, ${hex(a.end)}) pooled, but one vmap node has no pools`);
        if (!this.size_to_va_pool(this.single, this.va_size(va)))
          throw new Error(`seed_areas: [${hex(a.start)}, ${hex(a.end)}) is too big for a pool`);
        va.flags = this.encode_vn_id((a.cpu ?? 0) % this.nr_vmap_nodes);
        pooled.push(va);
      }
    }
    const sorted = areas.map((a) => ({ addr: a.start, size: a.end - a.start })).sort((x, y) => (x.addr === y.addr ? 0 : ult(x.addr, y.addr) ? -1 : 1));
    this.vmap_init_free_space(sorted);
    // In the order given, each at the tail of its pool.
    for (const va of pooled) {
      const vn = this.id_to_node(this.decode_vn_id(va.flags));
      const vp = this.size_to_va_pool(vn, this.va_size(va)) as vmap_pool;
      list_add_tail(va.list, vp.head);
      vp.len++;
    }
    this.touches = saved;
  }

  /*
   * Environment, not kernel code: what a replay needs to fill the pools
   * (kernel/mm/vmalloc/shims/node-pools.ts, one text for every version
   * with vmap nodes).
   */
  pool_of(cpu: number, size: ulong): vmap_pool | null {
    return node_pools.pool_of(this, cpu, size);
  }
  hold_range(start: ulong, end: ulong, pool: boolean, cpu = 0): vmap_area | null {
    return node_pools.hold_range(this, () => new vmap_area(), start, end, pool, cpu);
  }
  repool(start: ulong, end: ulong, cpu: number, head: boolean, busy = false): boolean {
    return node_pools.repool(this, start, end, cpu, head, busy);
  }
  unpool(start: ulong, end: ulong): boolean {
    return node_pools.unpool(this, start, end);
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

  /**
   * Busy and lazily freed areas of every node, in address order (areas in
   * the node pools are neither: they are listed nowhere, like
   * /proc/vmallocinfo), and the free blocks.
   */
  snapshot(): AllocatorSnapshot {
    const areas: AreaView[] = [];
    for (const vn of this.vmap_nodes) {
      for (let l = vn.busy.head.next; l !== vn.busy.head; l = l.next) {
        const va = l.owner as vmap_area;
        areas.push({ start: va.va_start, end: va.va_end, state: 'busy' });
      }
      for (let l = vn.lazy.head.next; l !== vn.lazy.head; l = l.next) {
        const va = l.owner as vmap_area;
        areas.push({ start: va.va_start, end: va.va_end, state: 'lazy' });
      }
    }
    areas.sort((x, y) => (x.start === y.start ? 0 : ult(x.start, y.start) ? -1 : 1));
    const free: { start: ulong; end: ulong }[] = [];
    const fh = this.free_vmap_area_list;
    for (let l = fh.next; l !== fh; l = l.next) {
      const va = l.owner as vmap_area;
      free.push({ start: va.va_start, end: va.va_end });
    }
    return { areas, free, state: this.golden_state() };
  }
}
