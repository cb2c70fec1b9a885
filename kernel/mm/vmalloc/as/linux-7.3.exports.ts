// SPDX-License-Identifier: GPL-2.0-only
/*
 * The boundary of the linux-7.3 wasm core (not kernel code): what
 * kernel/mm/vmalloc/wasm/binding.ts calls, as ./linux-6.1.exports.ts, with
 * the vmap nodes' lists walked node after node and work items by the
 * address of their struct work_struct (./smp.ts).
 */

import { list_head } from '../../../include/linux/as/list';
import { rb_root } from '../../../include/linux/as/rbtree';
import { num_possible_cpus, set_env, set_touches, touches, u64_of } from './shims';
import { process_one_work, set_cpu, work_struct } from './smp';
import {
  __purge_vmap_area_lazy,
  addr_to_node,
  alloc_vmap_area,
  find_unlink_vmap_area,
  find_vmap_area,
  free_unmap_vmap_area,
  free_vmap_area,
  free_vmap_area_list,
  free_vmap_area_noflush,
  lazy_max_pages,
  ne_fit_preload_node,
  node_alloc_locals,
  nr_vmap_nodes,
  reclaim_and_purge_vmap_areas,
  unlink_va,
  vm_unmap_aliases,
  vmalloc_init,
  vmap_area,
  vmap_lazy_nr,
  vmap_node,
  vmap_node_at,
  vmap_node_shrink_count,
  vmap_node_shrink_scan,
  VMALLOC_END,
  VMALLOC_START,
} from './linux-7.3';
import { pcpu_free_vas, pcpu_get_vm_areas } from './linux-7.3.pcpu';

export { set_cpu };

export const OFFSETOF_VA_START: i32 = <i32>offsetof<vmap_area>('va_start');
export const OFFSETOF_VA_END: i32 = <i32>offsetof<vmap_area>('va_end');
export const OFFSETOF_VA_FLAGS: i32 = <i32>offsetof<vmap_area>('flags');
/* For the API layer (docs/wasm.md, "The API layer over a core"): va->vm, the union with subtree_max_size. */
export const OFFSETOF_VA_VM: i32 = <i32>offsetof<vmap_area>('subtree_max_size');
export const SIZEOF_VA_VM: i32 = <i32>sizeof<u64>(); // the union's size
/* &vn->busy.root of a vmap_node (what the API layer hands unlink_va()). */
export const OFFSETOF_VN_BUSY_ROOT: i32 = <i32>offsetof<vmap_node>('__busy_root');

/** The environment: CPUs, hooks, the vmalloc range (VMALLOC_START/END, for node_alloc()). */
export function init(ncpu: i32, hooks: u32, start_lo: u32, start_hi: u32, end_lo: u32, end_hi: u32): void {
  set_env(ncpu, hooks);
  VMALLOC_START = u64_of(start_lo, start_hi);
  VMALLOC_END = u64_of(end_lo, end_hi);
  const n = <usize>max(num_possible_cpus(), 1);
  ne_fit_preload_node = heap.alloc(n * sizeof<usize>()); // the per-CPU area of ne_fit_preload_node
  memory.fill(ne_fit_preload_node, 0, n * sizeof<usize>());
  node_alloc_locals = heap.alloc(n << 4); // alloc_vmap_area()'s addr and vn_id, per CPU
  memory.fill(node_alloc_locals, 0, n << 4);
  vmalloc_init();
}

/** Touches inside alloc_vmap_area() calls, summed (what the bench reports per allocation). */
let alloc_touches: u64 = 0;

export function op_alloc(s_lo: u32, s_hi: u32, a_lo: u32, a_hi: u32, vs_lo: u32, vs_hi: u32, ve_lo: u32, ve_hi: u32, node: i32, gfp_mask: i32): usize {
  const t0 = touches;
  const va = alloc_vmap_area(u64_of(s_lo, s_hi), u64_of(a_lo, a_hi), u64_of(vs_lo, vs_hi), u64_of(ve_lo, ve_hi), node, gfp_mask, 0, 0);
  alloc_touches += touches - t0;
  return va;
}

export function get_alloc_touches(): f64 {
  return <f64>alloc_touches;
}

/** Linear memory for the binding to fill (a bench stream); never freed. */
export function scratch_alloc(bytes: usize): usize {
  return heap.alloc(bytes);
}

/** Replay a bench stream held in linear memory (./linux-6.1.exports.ts's run_stream). */
export function run_stream(code: usize, arg: usize, vals: usize, live: usize, n: i32): i32 {
  for (let i = 0; i < n; i++) {
    const k = <usize>load<u32>(arg + (<usize>i << 2));
    switch (load<u8>(code + <usize>i)) {
      case 0: {
        const v = vals + (k << 5);
        const t0 = touches;
        const va = alloc_vmap_area(load<u64>(v), load<u64>(v, 8), load<u64>(v, 16), load<u64>(v, 24), -1, 0xcc0, 0, 0);
        alloc_touches += touches - t0;
        if (va >= <usize>-4095) return i + 1;
        store<usize>(live + (k << 2), va);
        break;
      }
      case 1:
        free_vmap_area(changetype<vmap_area>(load<usize>(live + (k << 2))));
        break;
      case 2:
        free_unmap_vmap_area(changetype<vmap_area>(load<usize>(live + (k << 2))));
        break;
      default:
        reclaim_and_purge_vmap_areas();
    }
  }
  return 0;
}

/**
 * pcpu_get_vm_areas(offsets, sizes, nr_vms, align, gfp): offsets and sizes are
 * u64 arrays in linear memory (scratch_alloc); the vmap_area array (nr_vms
 * addresses, to be given back with op_pcpu_free_vas) or 0.
 */
export function op_pcpu_get_vm_areas(offsets: usize, sizes: usize, nr_vms: i32, a_lo: u32, a_hi: u32, gfp: i32): usize {
  return pcpu_get_vm_areas(offsets, sizes, nr_vms, u64_of(a_lo, a_hi), gfp);
}

export function op_pcpu_free_vas(vas: usize): void {
  pcpu_free_vas(vas);
}

export function op_find(a_lo: u32, a_hi: u32): usize {
  return changetype<usize>(find_vmap_area(u64_of(a_lo, a_hi)));
}

export function op_free(va: usize): void {
  free_vmap_area(changetype<vmap_area>(va));
}

export function op_free_lazy(va: usize): void {
  free_unmap_vmap_area(changetype<vmap_area>(va));
}

/** The golden `p`: 7.3 has no purge_vmap_area_lazy(); its body is reclaim_and_purge_vmap_areas(). */
export function op_purge(): void {
  reclaim_and_purge_vmap_areas();
}

/* The API layer's calls into the allocator (docs/wasm.md, "The API layer over a core"). */

/** alloc_vmap_area(size, align, vstart, vend, node, gfp_mask, va_flags, NULL): vm_map_ram's VMAP_RAM | VMAP_BLOCK. */
export function op_alloc_flags(s_lo: u32, s_hi: u32, a_lo: u32, a_hi: u32, vs_lo: u32, vs_hi: u32, ve_lo: u32, ve_hi: u32, node: i32, gfp_mask: i32, va_flags: u32): usize {
  const t0 = touches;
  const va = alloc_vmap_area(u64_of(s_lo, s_hi), u64_of(a_lo, a_hi), u64_of(vs_lo, vs_hi), u64_of(ve_lo, ve_hi), node, gfp_mask, <u64>va_flags, 0);
  alloc_touches += touches - t0;
  return va;
}

/** free_vmap_area_noflush(va): free_vmap_block()'s lazy free (the caller unlinked va). */
export function op_free_noflush(va: usize): void {
  free_vmap_area_noflush(changetype<vmap_area>(va));
}

/** The range as passed, by value: PURGE_RANGE is only written, for the binding's one shape. */
export const PURGE_RANGE: usize = memory.data(16);

/** __purge_vmap_area_lazy(start, end, full_pool_decay = sync) (the caller holds vmap_purge_lock): 1 if it purged, else 0. */
export function op_purge_range(s_lo: u32, s_hi: u32, e_lo: u32, e_hi: u32, sync: i32, force_flush: i32): i32 {
  store<u64>(PURGE_RANGE, u64_of(s_lo, s_hi));
  store<u64>(PURGE_RANGE + 8, u64_of(e_lo, e_hi));
  return __purge_vmap_area_lazy(u64_of(s_lo, s_hi), u64_of(e_lo, e_hi), sync != 0) ? 1 : 0;
}

/** find_unlink_vmap_area(addr): an area's address (out of its busy tree) or 0. */
export function op_find_unlink(a_lo: u32, a_hi: u32): usize {
  return changetype<usize>(find_unlink_vmap_area(u64_of(a_lo, a_hi)));
}

/** addr_to_node(addr): the vmap_node's address. */
export function op_addr_to_node(a_lo: u32, a_hi: u32): usize {
  return changetype<usize>(addr_to_node(u64_of(a_lo, a_hi)));
}

/** unlink_va(va, root): root is the address of an rb_root (&vn->busy.root). */
export function op_unlink_va(va: usize, root: usize): void {
  unlink_va(changetype<vmap_area>(va), changetype<rb_root>(root));
}

/** &vmap_nodes[i] */
export function op_vmap_node(i: u32): usize {
  return changetype<usize>(vmap_node_at(i));
}

/* One node's busy (0) or lazy (1) list, for /proc/vmallocinfo's walk of vmap_nodes; not counted. */
export function vn_list_first(which: i32, i: u32): usize {
  const head = node_head(which, i);
  return head.next === head ? 0 : changetype<usize>(head.next) - offsetof<vmap_area>('__list');
}

export function vn_list_next(which: i32, i: u32, va: usize): usize {
  const l = changetype<vmap_area>(va).list.next;
  return l === node_head(which, i) ? 0 : changetype<usize>(l) - offsetof<vmap_area>('__list');
}

/** vm_unmap_aliases(): the purge that keeps the pools. */
export function op_vm_unmap_aliases(): void {
  vm_unmap_aliases();
}

/** The vmap-node shrinker: count (areas in the pools), then scan (empty them). */
export function op_shrink(): f64 {
  const n = vmap_node_shrink_count();
  if (n) vmap_node_shrink_scan();
  return <f64>n;
}

/** A kworker runs a work item the environment queued: `work` is its struct work_struct's address. */
export function run_work(work: usize): void {
  process_one_work(changetype<work_struct>(work));
}

export function get_touches(): f64 {
  return <f64>touches;
}

export function put_touches(t: f64): void {
  set_touches(<u64>t);
}

export function get_lazy_nr(): f64 {
  return <f64>vmap_lazy_nr;
}

export function get_lazy_max_pages(): f64 {
  return <f64>lazy_max_pages();
}

export function get_nr_vmap_nodes(): i32 {
  return <i32>nr_vmap_nodes;
}

/* Lists for snapshots, not counted: 0 = every node's busy list, 1 = every node's lazy list (node after node), 2 = free_vmap_area_list. */
function node_head(which: i32, i: u32): list_head {
  const vn = vmap_node_at(i);
  return which == 0 ? vn.busy.head : vn.lazy.head;
}

function first_from(which: i32, i: u32): usize {
  for (; i < nr_vmap_nodes; i++) {
    const head = node_head(which, i);
    if (head.next !== head) return changetype<usize>(head.next) - offsetof<vmap_area>('__list');
  }
  return 0;
}

export function list_first(which: i32): usize {
  if (which == 2) {
    const head = free_vmap_area_list;
    return head.next === head ? 0 : changetype<usize>(head.next) - offsetof<vmap_area>('__list');
  }
  return first_from(which, 0);
}

export function list_next(which: i32, va: usize): usize {
  const l = changetype<vmap_area>(va).list.next;
  if (which == 2) return l === free_vmap_area_list ? 0 : changetype<usize>(l) - offsetof<vmap_area>('__list');
  for (let i: u32 = 0; i < nr_vmap_nodes; i++) if (l === node_head(which, i)) return first_from(which, i + 1);
  return changetype<usize>(l) - offsetof<vmap_area>('__list');
}

/** Lazily freed areas are on the lazy lists in 6.12, never flagged. */
export function area_lazy(va: usize): i32 {
  return 0;
}

/* The size pools, for tests: how many areas node i holds for `pages` pages. */
export function pool_len(i: u32, pages: i32): f64 {
  return <f64>vmap_node_at(i).pool(pages - 1).len;
}
