// SPDX-License-Identifier: GPL-2.0-only
/*
 * Environment, not kernel code: how a replay of a real trace puts into the
 * vmap nodes' pools of a 6.12-style allocator (linux-6.12, linux-7.3) what
 * /proc/vmallocinfo cannot show (scripts/replay/tracefs/replay.ts, inferPools).
 * One text for every version with vmap nodes; each version's class calls
 * it with itself. Touches are not counted.
 */

import { list_add, list_add_tail, list_del_init, list_head } from '../../../include/linux/list.js';
import type { rb_node, rb_root } from '../../../include/linux/rbtree.js';
import { uge, ult, type ulong } from '../../../include/u64.js';

/** A vmap_area as these helpers use it (its own rb_node). */
export interface pool_area<VA> extends rb_node {
  va_start: ulong;
  va_end: ulong;
  flags: number;
  vm: unknown;
  readonly list: list_head<VA>;
}

/** struct vmap_pool */
export interface pool_list<VA> {
  readonly head: list_head<VA>;
  len: number;
}

/** What of a vmap-node allocator the helpers use. */
export interface node_pools_host<VA, VN> {
  touches: number;
  readonly nr_vmap_nodes: number;
  readonly vmap_nodes: readonly VN[];
  readonly free_vmap_area_root: rb_root;
  readonly free_vmap_area_list: list_head<VA>;
  readonly ne_fit_preload_node: (VA | null)[];
  readonly cpu: number;
  size_to_va_pool(vn: VN, size: ulong): pool_list<VA> | null;
  id_to_node(id: number): VN;
  addr_to_node(addr: ulong): { readonly busy: { readonly root: rb_root; readonly head: list_head<VA> } };
  encode_vn_id(node_id: number): number;
  va_clip(root: rb_root, head: list_head<VA>, va: VA, nva_start_addr: ulong, size: ulong): number;
  insert_vmap_area(va: VA, root: rb_root, head: list_head<VA>): void;
  unlink_va(va: VA, root: rb_root): void;
  merge_or_add_vmap_area_augment(va: VA, root: rb_root, head: list_head<VA>): VA | null;
}

/**
 * Environment, not kernel code: the pool node_alloc() would try for a
 * request of `size` bytes on `cpu` (null with one node or above 256
 * pages), for a replay that watches when a pool runs dry.
 */
export function pool_of<VA extends pool_area<VA>, VN>(a: node_pools_host<VA, VN>, cpu: number, size: ulong): pool_list<VA> | null {
  if (a.nr_vmap_nodes === 1) return null;
  return a.size_to_va_pool(a.id_to_node(cpu % a.nr_vmap_nodes), size);
}

/**
 * Environment, not kernel code (a replay inferring what the snapshot
 * cannot show): take [start, end) out of the free block holding it with
 * this version's va_clip (the per-CPU spare untouched), as an area that
 * is then held: in the busy tree of its node (`pool` false), to be given
 * back with free_vmap_area(), or at the head of the pool node_alloc()
 * tries on `cpu` (`pool` true). Touches are not counted. Null if the
 * range is not free.
 */
export function hold_range<VA extends pool_area<VA>, VN>(a: node_pools_host<VA, VN>, make: () => VA, start: ulong, end: ulong, pool: boolean, cpu = 0): VA | null {
  const saved = a.touches;
  let blk: VA | null = null;
  for (let n = a.free_vmap_area_root.rb_node; n; ) {
    const f = n as VA;
    if (ult(start, f.va_start)) n = n.rb_left;
    else if (uge(start, f.va_end)) n = n.rb_right;
    else {
      if (uge(f.va_end, end)) blk = f;
      break;
    }
  }
  const vp = pool ? pool_of(a, cpu, end - start) : null;
  if (!blk || (pool && !vp)) {
    a.touches = saved;
    return null;
  }
  const spare = a.ne_fit_preload_node[a.cpu]!;
  a.ne_fit_preload_node[a.cpu] = null;
  const err = a.va_clip(a.free_vmap_area_root, a.free_vmap_area_list, blk, start, end - start);
  a.ne_fit_preload_node[a.cpu] = spare;
  if (err) {
    a.touches = saved;
    return null;
  }
  const va = make();
  va.va_start = start;
  va.va_end = end;
  if (vp) {
    va.flags = a.encode_vn_id(cpu % a.nr_vmap_nodes);
    list_add(va.list, vp.head);
    vp.len++;
  } else {
    va.vm = {};
    const vn = a.addr_to_node(va.va_start);
    a.insert_vmap_area(va, vn.busy.root, vn.busy.head);
  }
  a.touches = saved;
  return va;
}

/**
 * Environment, not kernel code (a replay inferring pool contents): move
 * the area [start, end), now in some node's pool (or, with `busy`, just
 * allocated: in its node's busy tree), into the pool node_alloc() tries
 * on `cpu`, at its head or tail, carrying that node's id. False if no
 * such area is there. Touches are not counted.
 */
export function repool<VA extends pool_area<VA>, VN>(a: node_pools_host<VA, VN>, start: ulong, end: ulong, cpu: number, head: boolean, busy = false): boolean {
  const vp = pool_of(a, cpu, end - start);
  if (!vp) return false;
  const saved = a.touches;
  let va: VA | null = null;
  for (const vn of a.vmap_nodes) {
    const q = a.size_to_va_pool(vn, end - start) as pool_list<VA>;
    for (let l = q.head.next; l !== q.head && !va; l = l.next) {
      const x = l.owner as VA;
      if (x.va_start === start && x.va_end === end) {
        va = x;
        list_del_init(x.list);
        q.len--;
      }
    }
  }
  if (!va && busy) {
    const vn = a.addr_to_node(start);
    for (let l = vn.busy.head.next; l !== vn.busy.head; l = l.next) {
      const x = l.owner as VA;
      if (x.va_start === start && x.va_end === end) {
        va = x;
        a.unlink_va(x, vn.busy.root);
        break;
      }
    }
  }
  if (va) {
    va.flags = a.encode_vn_id(cpu % a.nr_vmap_nodes);
    if (head) list_add(va.list, vp.head);
    else list_add_tail(va.list, vp.head);
    vp.len++;
  }
  a.touches = saved;
  return va !== null;
}

/**
 * Environment, not kernel code (a replay inferring pool contents): give
 * the area [start, end) sitting in some node's pool back to the free
 * tree, as decay_va_pool_node() does (merged with its free neighbours).
 * False if no pool holds it. Touches are not counted.
 */
export function unpool<VA extends pool_area<VA>, VN>(a: node_pools_host<VA, VN>, start: ulong, end: ulong): boolean {
  const saved = a.touches;
  let found = false;
  for (const vn of a.vmap_nodes) {
    const q = a.size_to_va_pool(vn, end - start);
    if (!q || found) continue;
    for (let l = q.head.next; l !== q.head; l = l.next) {
      const x = l.owner as VA;
      if (x.va_start === start && x.va_end === end) {
        list_del_init(x.list);
        q.len--;
        a.merge_or_add_vmap_area_augment(x, a.free_vmap_area_root, a.free_vmap_area_list);
        found = true;
        break;
      }
    }
  }
  a.touches = saved;
  return found;
}
