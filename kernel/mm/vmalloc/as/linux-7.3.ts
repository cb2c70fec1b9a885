// SPDX-License-Identifier: GPL-2.0-only
/*
 * AssemblyScript: the global KVA allocator of Linux 7.3: 6.12's vmap nodes
 * with what changed in this section from 6.13 to 7.3, the wasm core of
 * `linux-7.3@wasm`. Function for function the twin of ../linux-7.3.ts,
 * derived from ./linux-6.12.ts as 7.3 derives from 6.12: error values from
 * the search (va_clip() -ENOMEM/-EINVAL, va_alloc() -ERANGE,
 * __alloc_vmap_area() -ENOENT, node_alloc() -EINVAL, IS_ERR_VALUE(addr) in
 * alloc_vmap_area(), 6.16); decay_va_pool_node() keeping pools of fewer
 * than 4 areas on a non-full purge (6.16); non-blocking allocations failing
 * without a purge (6.19); find_vmap_area() walking the nodes downwards;
 * for_each_vmap_node() and node_to_id(); the shrinker under vmap_purge_lock.
 * The idioms for what AssemblyScript lacks are in docs/wasm.md.
 *
 * Version: linux-7.3 (Debian 7.3.4-1~bpo13+1). Upstream path: mm/vmalloc.c.
 * Text: transcribed function for function from the TypeScript port
 *   ../linux-7.3.ts, whose text was read in Debian's linux-source-7.3 7.3.4
 *   tree: mm/vmalloc.c ("Global kva allocator", lines 889-2560,
 *   vmap_init_free_space and vmap_init_nodes at 5405-5500),
 *   include/linux/gfp_types.h and gfp.h, mm/internal.h;
 *   docs/sources.md#text-linux-7.3. alloc_vmap_area(), decay_va_pool_node(),
 *   node_to_id() and for_each_vmap_node() were checked against that
 *   mm/vmalloc.c. The text is not committed; the comments here are
 *   paraphrases.
 * BUG/WARN sites carry the function and condition; the line comes from the
 * manifest (kernel/manifest/linux-7.3.ts).
 *
 * The trace environment, the hooks, touches and what is not here: as in
 * ./linux-6.12.ts. cond_resched() in alloc_vmap_area() has no hook, as in
 * the TypeScript port: in the trace environment no other task can run, and
 * on the machine the blocking path yields at the lock sites instead.
 */

import { INIT_LIST_HEAD, list_add, list_del_init, list_empty, list_head, list_move_tail, list_replace_init } from '../../../include/linux/as/list';
import { RB_CLEAR_NODE, RB_EMPTY_NODE, RB_EMPTY_ROOT, rb_deref, rb_left_link, rb_link_node, rb_node, rb_parent, rb_right_link, rb_root, rb_root_link } from '../../../include/linux/as/rbtree';
import { rb_erase, rb_erase_augmented, rb_insert_augmented, rb_insert_color } from '../../../lib/rbtree/as/linux-6.1';
import {
  BUG_ON,
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
  num_possible_cpus,
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
import {
  cpu_online,
  EINVAL,
  ENOENT,
  ERANGE,
  IS_ERR_VALUE_ulong as IS_ERR_VALUE,
  flush_work_env,
  INIT_WORK,
  process_one_work,
  raw_smp_processor_id,
  schedule_work_on,
  spin_lock_of,
  spin_unlock_of,
  trace_alloc_vmap_area,
  trace_free_vmap_area_noflush,
  trace_purge_vmap_area_lazy,
  work_struct,
} from './smp';

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


/** GFP bits of 7.3 the allocator tests (include/linux/gfp_types.h: bit 9 unused since 6.4). */
export const __GFP_NOWARN: i32 = 0x2000;
export const __GFP_DIRECT_RECLAIM: i32 = 0x400;
export const __GFP_KSWAPD_RECLAIM: i32 = 0x800;
/* GFP_NOWAIT = __GFP_KSWAPD_RECLAIM | __GFP_NOWARN */
export const GFP_NOWAIT: i32 = __GFP_KSWAPD_RECLAIM | __GFP_NOWARN;
/* GFP_RECLAIM_MASK (mm/internal.h) with 7.3's bit values, __GFP_NOLOCKDEP being 0. */
export const GFP_RECLAIM_MASK: i32 = 0xc00 | 0x20 | 0x40 | 0x80 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x80000;

/** gfpflags_allow_blocking() (include/linux/gfp.h): the caller may sleep. */
@inline
function gfpflags_allow_blocking(gfp_flags: i32): bool {
  return (gfp_flags & __GFP_DIRECT_RECLAIM) != 0;
}

/** struct vmap_area of 7.3 (as in 6.12); the rb_node is its first member here (docs/wasm.md). */
@unmanaged
export class vmap_area extends rb_node {
  va_start: u64;
  va_end: u64;
  /* struct list_head list: address sorted list (also the link in a pool or a purge list) */
  __list: usize;
  __list_prev: usize;
  /*
   * union { unsigned long subtree_max_size; struct vm_struct *vm; }: the
   * "free" tree's member is the field, the "busy" tree's aliases it.
   */
  subtree_max_size: u64;
  /* vm_map_ram kind (VMAP_RAM, VMAP_BLOCK) | encoded vmap node id */
  flags: u64;

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
export function kmem_cache_alloc(gfp_mask: i32): vmap_area | null {
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

const free_vmap_area_lock = 'free_vmap_area_lock';
const vmap_purge_lock = 'vmap_purge_lock';
/* the locks each vmap node has (spin_lock_of(name, node index)) */
export const busy_lock = 'vn->busy.lock';
const lazy_lock = 'vn->lazy.lock';
const pool_lock = 'vn->pool_lock';

export let vmap_initialized: bool = false;

export const free_vmap_area_list = changetype<list_head>(memory.data(offsetof<list_head>()));
export const free_vmap_area_root = changetype<rb_root>(memory.data(offsetof<rb_root>()));

/**
 * DEFINE_PER_CPU(struct vmap_area *, ne_fit_preload_node): one slot per
 * CPU, from init (kernel/mm/vmalloc/as/linux-6.12.exports.ts).
 */
export let ne_fit_preload_node: usize = 0;

@inline
function this_cpu_ne_fit_preload_node(): usize {
  return ne_fit_preload_node + (<usize>raw_smp_processor_id() << alignof<usize>());
}

/** static atomic_long_t vmap_lazy_nr */
export let vmap_lazy_nr: i64 = 0;

/*
 * Instrumentation, not kernel state: lazily freed areas since the last
 * purge (each one an entry of a lazy list: 6.12 does not merge them).
 * Reported by the `purged` hook; does not steer the code.
 */
export let nr_lazy_areas: i32 = 0;

export let VMALLOC_START: u64 = 0;
export let VMALLOC_END: u64 = 0;

/** BITS_PER_BYTE, UINT_MAX */
const BITS_PER_BYTE: u32 = 8;
const UINT_MAX: u32 = u32.MAX_VALUE;

/**
 * struct rb_list: a tree and its address-sorted list under one lock (the
 * lock is the environment's, by name and node). Embedded in vmap_node as
 * its words (docs/wasm.md, "a struct inside a struct").
 */
@unmanaged
export class rb_list {
  __root: usize;
  __head: usize;
  __head_prev: usize;

  @inline get root(): rb_root {
    return changetype<rb_root>(changetype<usize>(this) + offsetof<rb_list>('__root'));
  }
  @inline get head(): list_head {
    return changetype<list_head>(changetype<usize>(this) + offsetof<rb_list>('__head'));
  }
}

/** Pools hold areas of up to MAX_VA_SIZE_PAGES pages; index = pages - 1. */
export const MAX_VA_SIZE_PAGES: i32 = 256;

/** struct vmap_pool */
@unmanaged
export class vmap_pool {
  __head: usize;
  __head_prev: usize;
  len: u64;

  @inline get head(): list_head {
    return changetype<list_head>(changetype<usize>(this) + offsetof<vmap_pool>('__head'));
  }
}

/**
 * struct vmap_node. C's first member, `struct vmap_pool pool[256]`, follows
 * the other members here (an array cannot be a class field): pool(i) is its
 * address. The pool_lock is the environment's (spin_lock_of).
 */
@unmanaged
export class vmap_node {
  skip_populate: bool;

  /* Bookkeeping data of this node: struct rb_list busy, lazy. */
  __busy_root: usize;
  __busy_head: usize;
  __busy_head_prev: usize;
  __lazy_root: usize;
  __lazy_head: usize;
  __lazy_head_prev: usize;

  /* Ready-to-free areas: struct list_head purge_list. */
  __purge_list: usize;
  __purge_list_prev: usize;
  /* struct work_struct purge_work */
  __purge_work_func: usize;
  nr_purged: u64;

  @inline get busy(): rb_list {
    return changetype<rb_list>(changetype<usize>(this) + offsetof<vmap_node>('__busy_root'));
  }
  @inline get lazy(): rb_list {
    return changetype<rb_list>(changetype<usize>(this) + offsetof<vmap_node>('__lazy_root'));
  }
  @inline get purge_list(): list_head {
    return changetype<list_head>(changetype<usize>(this) + offsetof<vmap_node>('__purge_list'));
  }
  @inline get purge_work(): work_struct {
    return changetype<work_struct>(changetype<usize>(this) + offsetof<vmap_node>('__purge_work_func'));
  }
  @inline pool(i: i32): vmap_pool {
    return changetype<vmap_pool>(changetype<usize>(this) + offsetof<vmap_node>() + <usize>i * offsetof<vmap_pool>());
  }
}

/** sizeof(struct vmap_node): the members and the pool array. */
const SIZEOF_VMAP_NODE: usize = offsetof<vmap_node>() + <usize>MAX_VA_SIZE_PAGES * offsetof<vmap_pool>();

/* The static node `single`: the only one until vmap_init_nodes() runs. */
const single = changetype<vmap_node>(memory.data(<i32>SIZEOF_VMAP_NODE));

/* vmap_nodes, nr_vmap_nodes, vmap_zone_size */
export let vmap_nodes: usize = changetype<usize>(single);
export let nr_vmap_nodes: u32 = 1;
let vmap_zone_size: u32 = 1;

/** &vmap_nodes[i] */
@inline
export function vmap_node_at(i: u32): vmap_node {
  return changetype<vmap_node>(vmap_nodes + <usize>i * SIZEOF_VMAP_NODE);
}

/** The index of a node (vn - vmap_nodes), which names its locks to the environment. */
@inline
export function vn_index(vn: vmap_node): i32 {
  return <i32>((changetype<usize>(vn) - vmap_nodes) / SIZEOF_VMAP_NODE);
}

/* A simple iterator over all vmap nodes: for_each_vmap_node(vn) is `for (vn = first_vmap_node(); vn_before_end(vn); vn = next_vmap_node(vn))`. */
@inline
function first_vmap_node(): vmap_node {
  return vmap_node_at(0); // &vmap_nodes[0]
}
@inline
function vn_before_end(vn: vmap_node): bool {
  return changetype<usize>(vn) < changetype<usize>(vmap_node_at(nr_vmap_nodes)); // (vn) < &vmap_nodes[nr_vmap_nodes]
}
@inline
function next_vmap_node(vn: vmap_node): vmap_node {
  return changetype<vmap_node>(changetype<usize>(vn) + SIZEOF_VMAP_NODE); // (vn)++
}

@inline
function addr_to_node_id(addr: u64): u32 {
  return <u32>((addr / <u64>vmap_zone_size) % <u64>nr_vmap_nodes);
}

@inline
export function addr_to_node(addr: u64): vmap_node {
  return vmap_node_at(addr_to_node_id(addr));
}

@inline
export function id_to_node(id: u32): vmap_node {
  return vmap_node_at(id % nr_vmap_nodes);
}

/* The node's index in vmap_nodes (pointer arithmetic). */
@inline
function node_to_id(node: vmap_node): u32 {
  const id: u32 = <u32>((changetype<usize>(node) - vmap_nodes) / SIZEOF_VMAP_NODE);

  if (id < nr_vmap_nodes) return id;

  WARN_ON_ONCE(true, 'node_to_id', '1'); // "An address 0x%p is out-of-bounds."
  return 0;
}

/*
 * The node id an area carries in va->flags: 0 means none, else id + 1,
 * shifted past the vm_map_ram bits.
 */
export function encode_vn_id(node_id: u32): u32 {
  // Room for node ids 0..254.
  if (node_id < nr_vmap_nodes) return (node_id + 1) << BITS_PER_BYTE;

  // Warn; no node encoded.
  WARN_ON_ONCE(true, 'encode_vn_id', '1');
  return 0;
}

/* The node id in val, or nr_vmap_nodes if there is none or it is wrong. */
export function decode_vn_id(val: u32): u32 {
  const node_id: u32 = (val >> BITS_PER_BYTE) - 1;

  // Room for node ids 0..254.
  if (node_id < nr_vmap_nodes) return node_id;

  // Only a non-zero (encoded but wrong) value is worth a warning.
  WARN_ON_ONCE(node_id != UINT_MAX, 'decode_vn_id', 'node_id != UINT_MAX');

  return nr_vmap_nodes;
}

@inline
function is_vn_id_valid(node_id: u32): bool {
  if (node_id < nr_vmap_nodes) return true;

  return false;
}

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

export function unlink_va(va: vmap_area, root: rb_root): void {
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

export function insert_vmap_area_augment(va: vmap_area, from: rb_node | null, root: rb_root, head: list_head): void {
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

function merge_or_add_vmap_area(va: vmap_area, root: rb_root, head: list_head): vmap_area | null {
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

/*
 * Shrink, or split in two, the free block va so that [nva_start_addr,
 * nva_start_addr + size) is no longer free (6.1's adjust_va_to_fit_type,
 * classifying inside).
 */
export function va_clip(root: rb_root, head: list_head, va: vmap_area, nva_start_addr: u64, size: u64): i32 {
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
    const slot = this_cpu_ne_fit_preload_node(); // __this_cpu_xchg(ne_fit_preload_node, NULL)
    lva = changetype<vmap_area | null>(load<usize>(slot));
    store<usize>(slot, 0);
    if (!lva) {
      // Not preloaded (the percpu allocator never preloads; regular vmap
      // callers may land on another CPU than the one preloaded): an atomic
      // allocation; if it fails too, the caller sees -ENOMEM (and a blocking
      // caller purges and retries).
      lva = kmem_cache_alloc(GFP_NOWAIT);
      if (!lva) return -ENOMEM;
    }

    // Build the remainder.
    lva.va_start = va.va_start;
    lva.va_end = nva_start_addr;

    // Shrink this VA to the remaining size.
    va.va_start = nva_start_addr + size;
  } else {
    return -EINVAL;
  }

  if (type != FL_FIT_TYPE) {
    augment_tree_propagate_from(va);

    if (lva)
      // type == NE_FIT_TYPE
      insert_vmap_area_augment(lva, va, root, head);
  }

  return 0;
}

/* Take the request out of the free block va found for it; an error value on failure. */
function va_alloc(va: vmap_area, root: rb_root, head: list_head, size: u64, align: u64, vstart: u64, vend: u64): u64 {
  let nva_start_addr: u64;
  let ret: i32;

  if (va.va_start > vstart) nva_start_addr = ALIGN(va.va_start, align);
  else nva_start_addr = ALIGN(vstart, align);

  // Check the "vend" restriction.
  if (nva_start_addr + size > vend) return <u64>-ERANGE;

  // Update the free vmap_area; only a missing spare node is expected.
  ret = va_clip(root, head, va, nva_start_addr, size);
  if (ret) {
    WARN_ON_ONCE(ret != -ENOMEM, 'va_alloc', 'ret != -ENOMEM');
    return <u64>ret;
  }

  return nva_start_addr;
}

/*
 * Carve [addr, addr + size) out of the free tree; returns addr, or an error
 * value (IS_ERR_VALUE) on failure.
 */
function __alloc_vmap_area(root: rb_root, head: list_head, size: u64, align: u64, vstart: u64, vend: u64): u64 {
  let adjust_search_size: bool = true;
  let nva_start_addr: u64;
  let va: vmap_area | null;

  // No widening of the search length for align <= PAGE_SIZE (every block
  // start is page aligned), nor when the range is exactly `size` long.
  if (align <= PAGE_SIZE || (align > PAGE_SIZE && vend - vstart == size)) adjust_search_size = false;

  va = find_vmap_lowest_match(root, size, align, vstart, adjust_search_size);
  if (!va) return <u64>-ENOENT;

  nva_start_addr = va_alloc(va, root, head, size, align, vstart, vend);

  // DEBUG_AUGMENT_LOWEST_MATCH_CHECK is 0 (it would check only a success).

  return nva_start_addr;
}

/** Release an area allocated by alloc_vmap_area() straight to the free tree. */
export function free_vmap_area(va: vmap_area): void {
  const vn = addr_to_node(va.va_start);

  // Remove from the busy tree/list.
  spin_lock_of(busy_lock, vn_index(vn));
  unlink_va(va, vn.busy.root);
  spin_unlock_of(busy_lock, vn_index(vn));

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

  if (!load<usize>(this_cpu_ne_fit_preload_node())) va = kmem_cache_alloc(gfp_mask);

  spin_lock(lock);

  // __this_cpu_try_cmpxchg(ne_fit_preload_node, &tmp (NULL), va): keep the first one.
  if (va) {
    const slot = this_cpu_ne_fit_preload_node();
    if (load<usize>(slot)) kmem_cache_free(va);
    else store<usize>(slot, changetype<usize>(va));
  }
}

/* The pool of the node for areas of that size, or NULL above 256 pages. */
@inline
export function size_to_va_pool(vn: vmap_node, size: u64): vmap_pool | null {
  const idx: u32 = <u32>((size - 1) / PAGE_SIZE);

  if (idx < <u32>MAX_VA_SIZE_PAGES) return vn.pool(<i32>idx);

  return null;
}

/* Park a purged area in its size's pool of node n; false if too big. */
function node_pool_add_va(n: vmap_node, va: vmap_area): bool {
  let vp: vmap_pool | null;

  vp = size_to_va_pool(n, va_size(va));
  if (!vp) return false;

  spin_lock_of(pool_lock, vn_index(n));
  list_add(va.list, vp.head);
  vp.len = vp.len + 1; // WRITE_ONCE
  spin_unlock_of(pool_lock, vn_index(n));

  return true;
}

/*
 * Take the most recently pooled area of exactly `size` from the node, if
 * it is aligned; an unaligned one goes to the back of the pool.
 */
function node_pool_del_va(vn: vmap_node, size: u64, align: u64, vstart: u64, vend: u64): vmap_area | null {
  let va: vmap_area | null = null;
  let vp: vmap_pool | null;
  let err: i32 = 0;

  vp = size_to_va_pool(vn, size);
  if (!vp || list_empty(vp.head)) return null;

  spin_lock_of(pool_lock, vn_index(vn));
  if (!list_empty(vp.head)) {
    va = list_entry(vp.head.next); // list_first_entry

    if (IS_ALIGNED(va.va_start, align)) {
      // Sanity checks, each a warning.
      err |= <i32>(va_size(va) != size);
      err |= <i32>(va.va_start < vstart);
      err |= <i32>(va.va_end > vend);

      if (!WARN_ON_ONCE(err != 0, 'node_pool_del_va', 'err')) {
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
  spin_unlock_of(pool_lock, vn_index(vn));

  return va;
}

/*
 * alloc_vmap_area()'s locals `addr` and `vn_id`, whose addresses node_alloc()
 * takes (docs/wasm.md). alloc_vmap_area() runs on several CPUs at once (on
 * the machine another CPU's call can run while this one waits for a node's
 * pool_lock), so not one static buffer: one slot of 16 bytes per CPU, as
 * each caller's own stack would hold them, from init (./linux-7.3.exports.ts).
 */
export let node_alloc_locals: usize = 0;

/*
 * A ready area from the pool of this CPU's node, for a full-range (vmalloc)
 * request when there is more than one node. Whatever it returns, *vn_id is
 * the encoded node id the new area will carry (0 when the pools are
 * bypassed) and *addr its start, or -EINVAL.
 */
@inline
function node_alloc(size: u64, align: u64, vstart: u64, vend: u64, addr: usize, vn_id: usize): vmap_area | null {
  let va: vmap_area | null;

  store<u32>(vn_id, 0);
  store<u64>(addr, <u64>-EINVAL);

  // The global heap for anything but vmalloc, or with one node.
  if (vstart != VMALLOC_START || vend != VMALLOC_END || nr_vmap_nodes == 1) return null;

  store<u32>(vn_id, <u32>raw_smp_processor_id() % nr_vmap_nodes);
  va = node_pool_del_va(id_to_node(load<u32>(vn_id)), size, align, vstart, vend);
  store<u32>(vn_id, encode_vn_id(load<u32>(vn_id)));

  if (va) store<u64>(addr, va.va_start);

  return va;
}

/** blocking_notifier_call_chain(&vmap_notify_list, 0, &freed): the chain is empty. */
@inline
function vmap_notify_list_call_chain(): u64 {
  return 0;
}

/*
 * Allocate a region of KVA of the specified size and alignment, within the
 * vstart and vend; a vmap_area, or ERR_PTR(-EINVAL/-ENOMEM/-EBUSY).
 * va_flags and vm as in 6.12 (vm_map_ram passes VMAP_RAM; a vm_struct is
 * only recorded). Without __GFP_DIRECT_RECLAIM in gfp_mask a failed search
 * fails the call at once: no purge, no notifier.
 */
export function alloc_vmap_area(size: u64, align: u64, vstart: u64, vend: u64, node: i32, gfp_mask: i32, va_flags: u64, vm: usize): usize {
  const locals = node_alloc_locals + (<usize>raw_smp_processor_id() << 4); // this caller's slot
  const vn_id_p = locals;
  const addr_p = locals + 8;
  let vn: vmap_node;
  let va: vmap_area | null;
  let freed: u64;
  let addr: u64;
  let allow_block: bool;
  let purged: i32 = 0;
  let ret: i32;

  if (!size || offset_in_page(size) != 0 || !is_power_of_2(align)) return ERR_PTR(-EINVAL);

  if (!vmap_initialized) return ERR_PTR(-EBUSY);

  // Of the caller's mask only the reclaim behaviour matters here.
  gfp_mask = gfp_mask & GFP_RECLAIM_MASK;
  allow_block = gfpflags_allow_blocking(gfp_mask);
  // might_sleep_if(allow_block);

  // An area found in the global heap still carries vn_id, so that its
  // purge returns it to this node's pool: the pools fill as used. A pool
  // hit is a ready area.
  va = node_alloc(size, align, vstart, vend, addr_p, vn_id_p);
  addr = load<u64>(addr_p);
  const vn_id: u32 = load<u32>(vn_id_p);
  if (!va) {
    va = kmem_cache_alloc(gfp_mask); // kmem_cache_alloc_node(vmap_area_cachep, gfp_mask, node)
    if (!va) return ERR_PTR(-ENOMEM);

    // kmemleak_scan_area(&va->rb_node, SIZE_MAX, gfp_mask): no kmemleak.
  }

  // `while (true)`, not `for (;;)`: the loop is also left by break (goto
  // out_free_va), and asc 0.28 takes a `for (;;)` as never left (docs/wasm.md).
  while (true) {
    // retry:
    if (IS_ERR_VALUE(addr)) {
      preload_this_cpu_lock(free_vmap_area_lock, gfp_mask, node);
      addr = __alloc_vmap_area(free_vmap_area_root, free_vmap_area_list, size, align, vstart, vend);
      spin_unlock(free_vmap_area_lock);

      // The one point of the vmalloc() path where a blocking caller may
      // yield: if (allow_block) cond_resched(); no hook (see the header).
    }

    trace_alloc_vmap_area(addr, size, align, vstart, vend, <i32>IS_ERR_VALUE(addr));

    // An error value back means no fit: go to overflow, or fail a caller
    // that may not sleep (goto out_free_va).
    if (!IS_ERR_VALUE(addr)) {
      va.va_start = addr;
      va.va_end = addr + size;
      va.vm = 0;
      va.flags = va_flags | <u64>vn_id;

      if (vm) va.vm = vm; // vm->addr, vm->size are the vm_struct layer's

      vn = addr_to_node(va.va_start);

      spin_lock_of(busy_lock, vn_index(vn));
      insert_vmap_area(va, vn.busy.root, vn.busy.head);
      spin_unlock_of(busy_lock, vn_index(vn));

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

    // We can not trigger any reclaim logic without sleeping: fail the allocation.
    if (!allow_block) break; // goto out_free_va

    // overflow:
    if (!purged) {
      reclaim_and_purge_vmap_areas();
      purged = 1;
      continue; // goto retry
    }

    freed = vmap_notify_list_call_chain();

    if (freed > 0) {
      purged = 0;
      continue; // goto retry
    }

    // The ratelimited "vmalloc_node_range for size %lu failed" pr_warn when
    // !(gfp_mask & __GFP_NOWARN): a printk, nothing is recorded.
    break;
  }

  // out_free_va:
  kmem_cache_free(va);
  return ERR_PTR(-EBUSY);
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

/* Merge every area of the list into the free tree. */
function reclaim_list_global(head: list_head): void {
  let va: vmap_area;
  let n: vmap_area;

  if (list_empty(head)) return;

  spin_lock(free_vmap_area_lock);
  // list_for_each_entry_safe(va, n, head, list)
  for (va = list_entry(head.next), n = list_entry(va.list.next); va.list !== head; va = n, n = list_entry(n.list.next)) {
    merge_or_add_vmap_area_augment(va, free_vmap_area_root, free_vmap_area_list);
    purge_released(); // instrumentation, not kernel text: one area released under the lock
  }
  spin_unlock(free_vmap_area_lock);
}

/*
 * LIST_HEAD(decay_list), struct rb_root decay_root, LIST_HEAD(tmp_list):
 * on the stack in C (docs/wasm.md); decay_va_pool_node() runs under
 * vmap_purge_lock, or from the shrinker the environment calls.
 */
const decay_list = changetype<list_head>(memory.data(offsetof<list_head>()));
const decay_root = changetype<rb_root>(memory.data(offsetof<rb_root>()));
const tmp_list = changetype<list_head>(memory.data(offsetof<list_head>()));

/*
 * Give back to the free tree a quarter (rounded down) of each pool of the
 * node, all of it with full_decay, merged among themselves first.
 */
function decay_va_pool_node(vn: vmap_node, full_decay: bool): void {
  let va: vmap_area;
  let nva: vmap_area;
  let n_decay: u64;
  let pool_len: u64;
  let i: i32;

  INIT_LIST_HEAD(decay_list);
  decay_root.rb_node = null; // = RB_ROOT

  for (i = 0; i < MAX_VA_SIZE_PAGES; i++) {
    INIT_LIST_HEAD(tmp_list);

    if (list_empty(vn.pool(i).head)) continue;

    // Detach the pool so that nobody else reaches it.
    spin_lock_of(pool_lock, vn_index(vn));
    list_replace_init(vn.pool(i).head, tmp_list);
    spin_unlock_of(pool_lock, vn_index(vn));

    pool_len = n_decay = vn.pool(i).len;
    vn.pool(i).len = 0; // WRITE_ONCE

    // About 25% of the pool unless it all goes; 0 for fewer than 4.
    if (!full_decay) n_decay >>= 2;
    pool_len -= n_decay;

    // list_for_each_entry_safe(va, nva, &tmp_list, list)
    for (va = list_entry(tmp_list.next), nva = list_entry(va.list.next); va.list !== tmp_list; va = nva, nva = list_entry(nva.list.next)) {
      if (!n_decay--) break;

      list_del_init(va.list);
      merge_or_add_vmap_area(va, decay_root, decay_list);
    }

    // Reattach what is left, with its length (nobody else can have
    // refilled the pool meanwhile, so a plain replace does).
    if (!list_empty(tmp_list)) {
      spin_lock_of(pool_lock, vn_index(vn));
      list_replace_init(tmp_list, vn.pool(i).head);
      vn.pool(i).len = pool_len; // WRITE_ONCE
      spin_unlock_of(pool_lock, vn_index(vn));
    }
  }

  reclaim_list_global(decay_list);
}

/* kasan_release_vmalloc_node(): only with CONFIG_KASAN_VMALLOC; off here. */

/*
 * LIST_HEAD(local_list) of purge_vmap_node(), on the worker's stack in C:
 * the purges of several nodes may run at once (helper work items), one per
 * node at a time, so it is a slot per node index (docs/wasm.md).
 */
const purge_vmap_node_local_list = memory.data(128 * <i32>offsetof<list_head>());

/*
 * The purge of one node (a work function: `work` is its purge_work):
 * every area of its purge list goes back to the node's pool (when it
 * carries a valid node id and pools are being populated) or to the free
 * tree.
 */
function purge_vmap_node(work: work_struct): void {
  const vn = changetype<vmap_node>(changetype<usize>(work) - offsetof<vmap_node>('__purge_work_func')); // container_of
  let nr_purged_pages: u64 = 0;
  let va: vmap_area;
  let n_va: vmap_area;
  const local_list = changetype<list_head>(purge_vmap_node_local_list + <usize>vn_index(vn) * offsetof<list_head>());
  INIT_LIST_HEAD(local_list);

  // IS_ENABLED(CONFIG_KASAN_VMALLOC) is false.

  vn.nr_purged = 0;

  // list_for_each_entry_safe(va, n_va, &vn->purge_list, list)
  for (va = list_entry(vn.purge_list.next), n_va = list_entry(va.list.next); va.list !== vn.purge_list; va = n_va, n_va = list_entry(n_va.list.next)) {
    const nr: u64 = va_size(va) >> PAGE_SHIFT;
    const vn_id: u32 = decode_vn_id(<u32>va.flags);

    list_del_init(va.list);

    nr_purged_pages += nr;
    vn.nr_purged++;
    purge_area_read(); // instrumentation, not kernel text: the purge reads the lazily freed area again

    if (is_vn_id_valid(vn_id) && !vn.skip_populate) if (node_pool_add_va(vn, va)) continue;

    // Go back to global.
    list_add(va.list, local_list);
  }

  vmap_lazy_nr -= <i64>nr_purged_pages; // atomic_long_sub

  reclaim_list_global(local_list);
}

/** static cpumask_t purge_nodes of __purge_vmap_area_lazy(): which node indexes the purge under way marked (at most 128 nodes). */
const purge_nodes = memory.data(128);

/*
 * Purge every lazily freed area: decay the pools, detach each node's lazy
 * list, flush the TLBs once over the span of all of them, then purge the
 * nodes (some on helper workers when much is pending). True if any area was
 * purged. The caller holds vmap_purge_lock.
 */
export function __purge_vmap_area_lazy(start: u64, end: u64, full_pool_decay: bool): bool {
  let nr_purged_areas: u64 = 0;
  let nr_purge_helpers: u32;
  let nr_purge_nodes: u32 = 0;
  let vn: vmap_node;
  let i: u32;

  // Which nodes have work: purge_nodes (a static cpumask) = CPU_MASK_NONE.
  memory.fill(purge_nodes, 0, 128);
  const nr_areas = nr_lazy_areas; // instrumentation
  nr_lazy_areas = 0;

  // for_each_vmap_node(vn)
  for (vn = first_vmap_node(); vn_before_end(vn); vn = next_vmap_node(vn)) {
    INIT_LIST_HEAD(vn.purge_list);
    vn.skip_populate = full_pool_decay;
    decay_va_pool_node(vn, full_pool_decay);

    if (RB_EMPTY_ROOT(vn.lazy.root)) continue;

    spin_lock_of(lazy_lock, vn_index(vn));
    vn.lazy.root.rb_node = null; // WRITE_ONCE
    list_replace_init(vn.lazy.head, vn.purge_list);
    spin_unlock_of(lazy_lock, vn_index(vn));

    start = min(start, list_entry(vn.purge_list.next).va_start); // list_first_entry

    end = max(end, list_entry(vn.purge_list.prev).va_end); // list_last_entry

    store<u8>(purge_nodes + <usize>node_to_id(vn), 1); // cpumask_set_cpu
    nr_purge_nodes++; // cpumask_weight, counted as the bits are set
  }

  if (nr_purge_nodes > 0) {
    flush_tlb_kernel_range(start, end);
    purged(nr_areas, start, end);

    // One helper worker per full lazy_max_pages() set, less one.
    nr_purge_helpers = <u32>(<u64>vmap_lazy_nr / lazy_max_pages());
    nr_purge_helpers = min(max(nr_purge_helpers, 1), nr_purge_nodes) - 1; // clamp(, 1U, nr_purge_nodes) - 1

    // for_each_cpu(i, &purge_nodes)
    for (i = 0; i < nr_vmap_nodes; i++) {
      if (!load<u8>(purge_nodes + <usize>i)) continue;
      vn = vmap_node_at(i);

      if (nr_purge_helpers > 0) {
        INIT_WORK(vn.purge_work, purge_vmap_node);

        if (cpu_online(<i32>i)) schedule_work_on(<i32>i, vn.purge_work);
        else schedule_work_on(raw_smp_processor_id(), vn.purge_work); // schedule_work(): the local CPU's kworker

        nr_purge_helpers--;
      } else {
        vn.purge_work.func = null;
        purge_vmap_node(vn.purge_work);
        nr_purged_areas += vn.nr_purged;
      }
    }

    for (i = 0; i < nr_vmap_nodes; i++) {
      if (!load<u8>(purge_nodes + <usize>i)) continue;
      vn = vmap_node_at(i);

      if (vn.purge_work.func) {
        flush_work(vn.purge_work);
        nr_purged_areas += vn.nr_purged;
      }
    }
  }

  trace_purge_vmap_area_lazy(start, end, nr_purged_areas);
  return nr_purged_areas > 0;
}

/** flush_work(&vn->purge_work): wait for the helper; without kworkers it runs now (see the file header). */
@inline
function flush_work(work: work_struct): void {
  if (flush_work_env(work)) return;
  process_one_work(work);
}

/* Reclaim: purge the per-CPU vmap blocks and every lazily freed area, emptying the pools. */
export function reclaim_and_purge_vmap_areas(): void {
  mutex_lock(vmap_purge_lock);
  purge_fragmented_blocks_allcpus();
  __purge_vmap_area_lazy(ULONG_MAX, 0, true);
  mutex_unlock(vmap_purge_lock);
}

/*
 * vm_unmap_aliases(), i.e. _vm_unmap_aliases(ULONG_MAX, 0, 0): the callers'
 * explicit purge. The per-CPU vmap blocks are the
 * purge_fragmented_blocks_allcpus hook here, with no dirty range, so flush
 * stays 0. Unlike the reclaim it keeps the pools populated.
 */
export function vm_unmap_aliases(): void {
  const start: u64 = ULONG_MAX;
  const end: u64 = 0;
  const flush: i32 = 0;

  if (!vmap_initialized) return;

  mutex_lock(vmap_purge_lock);
  purge_fragmented_blocks_allcpus();

  if (!__purge_vmap_area_lazy(start, end, false) && flush) flush_tlb_kernel_range(start, end);
  mutex_unlock(vmap_purge_lock);
}

/** The drain work item: one purge (a work function). */
function drain_vmap_area_work(work: work_struct): void {
  mutex_lock(vmap_purge_lock);
  __purge_vmap_area_lazy(ULONG_MAX, 0, false);
  mutex_unlock(vmap_purge_lock);
}

/** static DECLARE_WORK(drain_vmap_work, drain_vmap_area_work) */
export const drain_vmap_work = changetype<work_struct>(memory.data(offsetof<work_struct>()));

/*
 * Free an area lazily: the caller has unmapped it, taken it out of its busy
 * tree and called flush_cache_vunmap(); its TLB flush waits for the purge.
 */
export function free_vmap_area_noflush(va: vmap_area): void {
  const nr_lazy_max: u64 = lazy_max_pages();
  const va_start: u64 = va.va_start;
  const vn_id: u32 = decode_vn_id(<u32>va.flags);
  let vn: vmap_node;
  let nr_lazy: u64;

  if (WARN_ON_ONCE(!list_empty(va.list), 'free_vmap_area_noflush', '!list_empty(&va->list)')) return;

  vmap_lazy_nr += <i64>(va_size(va) >> PAGE_SHIFT); // atomic_long_add_return
  nr_lazy = <u64>vmap_lazy_nr;

  // An area taken for a node goes back to that node (its pool, later).
  vn = is_vn_id_valid(vn_id) ? id_to_node(vn_id) : addr_to_node(va.va_start);

  spin_lock_of(lazy_lock, vn_index(vn));
  insert_vmap_area(va, vn.lazy.root, vn.lazy.head);
  spin_unlock_of(lazy_lock, vn_index(vn));
  nr_lazy_areas++; // instrumentation

  trace_free_vmap_area_noflush(va_start, nr_lazy, nr_lazy_max);

  // After this point, we may free va at any time.
  if (nr_lazy > nr_lazy_max) {
    // schedule_work(&drain_vmap_work): queued if the environment has a
    // workqueue; in the trace environment it runs at once.
    if (!schedule_work(<i32>changetype<usize>(drain_vmap_work))) process_one_work(drain_vmap_work);
  }
}

/**
 * Free and unmap an area, lazily.
 *
 * Environment adapter, not 6.12 code (as in ../linux-6.12.ts): callers of
 * the VmapAllocator interface hand the area over still in its busy tree,
 * where 6.12's own callers take it out first with find_unlink_vmap_area();
 * that unlink is done here when the area is still linked: the same tree
 * operation on the same node, so the work counted is the kernel's.
 */
export function free_unmap_vmap_area(va: vmap_area): void {
  if (!list_empty(va.list)) unlink_va(va, addr_to_node(va.va_start).busy.root);

  flush_cache_vunmap(va.va_start, va.va_end);
  vunmap_page_range(va.va_start, va.va_end); // vunmap_range_noflush
  // debug_pagealloc_enabled_static() is false: no immediate flush.

  free_vmap_area_noflush(va);
}

/*
 * The busy area containing addr. An area sits in the node of its start;
 * addr may lie in a later zone, so the search goes round the nodes
 * downwards from addr's own (7.3; 6.12 went upwards).
 */
export function find_vmap_area(addr: u64): vmap_area | null {
  let vn: vmap_node;
  let va: vmap_area | null;
  let i: u32;
  let j: u32;

  if (!vmap_initialized) return null;

  i = j = addr_to_node_id(addr);
  do {
    vn = vmap_node_at(i);

    spin_lock_of(busy_lock, <i32>i);
    va = __find_vmap_area(addr, vn.busy.root);
    spin_unlock_of(busy_lock, <i32>i);

    if (va) return va;
  } while ((i = (i + nr_vmap_nodes - 1) % nr_vmap_nodes) != j);

  return null;
}

/* As find_vmap_area(), taking the area out of its busy tree. */
export function find_unlink_vmap_area(addr: u64): vmap_area | null {
  let vn: vmap_node;
  let va: vmap_area | null;
  let i: u32;
  let j: u32;

  i = j = addr_to_node_id(addr);
  do {
    vn = vmap_node_at(i);

    spin_lock_of(busy_lock, <i32>i);
    va = __find_vmap_area(addr, vn.busy.root);
    if (va) unlink_va(va, vn.busy.root);
    spin_unlock_of(busy_lock, <i32>i);

    if (va) return va;
  } while ((i = (i + nr_vmap_nodes - 1) % nr_vmap_nodes) != j);

  return null;
}

/*
 * Seed the free tree with the holes between the early vm areas (vmlist)
 * over the whole [1, ULONG_MAX) space; the emulated boot has none, so one
 * block.
 */
function vmap_init_free_space(): void {
  let vmap_start: u64 = 1;
  const vmap_end: u64 = ULONG_MAX;
  let free: vmap_area | null;

  //     B     F     B     B     B     F
  // -|-----|.....|-----|-----|-----|.....|-
  //  |           The KVA space           |
  // for (busy = vmlist; busy; busy = busy->next): vmlist is empty here.

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
 * One node per possible CPU, up to 128, in zones of 16 pages; a single node
 * (zone 1) with one CPU.
 */
function vmap_init_nodes(): void {
  let vn: vmap_node;
  let i: i32;
  let n: u32;

  // BITS_PER_LONG == 64
  n = <u32>min(max(num_possible_cpus(), 1), 128); // clamp_t(unsigned int, num_possible_cpus(), 1, 128)

  if (n > 1) {
    const arr = heap.alloc(<usize>n * SIZEOF_VMAP_NODE); // kmalloc_objs(*vn, n, GFP_NOWAIT)
    if (arr) {
      // Zones of 16 pages.
      vmap_zone_size = (1 << 4) * <u32>PAGE_SIZE;
      nr_vmap_nodes = n;
      vmap_nodes = arr;
    } else {
      // pr_err("Failed to allocate an array. Disable a node layer\n")
    }
  }

  // for_each_vmap_node(vn)
  for (vn = first_vmap_node(); vn_before_end(vn); vn = next_vmap_node(vn)) {
    vn.busy.root.rb_node = null; // RB_ROOT
    INIT_LIST_HEAD(vn.busy.head);

    vn.lazy.root.rb_node = null;
    INIT_LIST_HEAD(vn.lazy.head);

    for (i = 0; i < MAX_VA_SIZE_PAGES; i++) {
      INIT_LIST_HEAD(vn.pool(i).head);
      vn.pool(i).len = 0; // WRITE_ONCE
    }
  }
}

/** The vmap-node shrinker's count: areas parked in all pools. */
export function vmap_node_shrink_count(): u64 {
  let count: u64 = 0;
  let vn: vmap_node;
  let i: i32;

  // for_each_vmap_node(vn)
  for (vn = first_vmap_node(); vn_before_end(vn); vn = next_vmap_node(vn)) {
    for (i = 0; i < MAX_VA_SIZE_PAGES; i++) count += vn.pool(i).len; // READ_ONCE
  }

  return count; // SHRINK_EMPTY when 0
}

/** The vmap-node shrinker's scan: empty every pool into the free tree, under vmap_purge_lock. */
export function vmap_node_shrink_scan(): void {
  let vn: vmap_node;

  mutex_lock(vmap_purge_lock); // guard(mutex)(&vmap_purge_lock)
  // for_each_vmap_node(vn)
  for (vn = first_vmap_node(); vn_before_end(vn); vn = next_vmap_node(vn)) decay_va_pool_node(vn, true);
  mutex_unlock(vmap_purge_lock);
}

/*
 * vmalloc_init(), allocator part: set up the nodes; no early vmlist entries
 * to import in the emulated boot; the shrinker is not modelled (the export
 * calls vmap_node_shrink_scan()).
 */
export function vmalloc_init(): void {
  INIT_LIST_HEAD(free_vmap_area_list);
  INIT_WORK(drain_vmap_work, drain_vmap_area_work);
  vmap_init_nodes();
  vmap_init_free_space();
  vmap_initialized = true;
}
