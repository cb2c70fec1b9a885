// SPDX-License-Identifier: GPL-2.0-only
/*
 * The boundary of the linux-6.12 wasm core (not kernel code): what
 * kernel/mm/vmalloc/wasm/binding.ts calls, as ./linux-6.1.exports.ts, with
 * the vmap nodes' lists walked node after node and work items by the
 * address of their struct work_struct (./smp.ts).
 */

import { list_head } from '../../../include/linux/as/list';
import { num_possible_cpus, set_env, set_touches, touches, u64_of } from './shims';
import { process_one_work, set_cpu, work_struct } from './smp';
import {
  alloc_vmap_area,
  find_vmap_area,
  free_unmap_vmap_area,
  free_vmap_area,
  free_vmap_area_list,
  lazy_max_pages,
  ne_fit_preload_node,
  nr_vmap_nodes,
  reclaim_and_purge_vmap_areas,
  vm_unmap_aliases,
  vmalloc_init,
  vmap_area,
  vmap_lazy_nr,
  vmap_node_at,
  vmap_node_shrink_count,
  vmap_node_shrink_scan,
  VMALLOC_END,
  VMALLOC_START,
} from './linux-6.12';

export { set_cpu };

export const OFFSETOF_VA_START: i32 = <i32>offsetof<vmap_area>('va_start');
export const OFFSETOF_VA_END: i32 = <i32>offsetof<vmap_area>('va_end');
export const OFFSETOF_VA_FLAGS: i32 = <i32>offsetof<vmap_area>('flags');

/** The environment: CPUs, hooks, the vmalloc range (VMALLOC_START/END, for node_alloc()). */
export function init(ncpu: i32, hooks: u32, start_lo: u32, start_hi: u32, end_lo: u32, end_hi: u32): void {
  set_env(ncpu, hooks);
  VMALLOC_START = u64_of(start_lo, start_hi);
  VMALLOC_END = u64_of(end_lo, end_hi);
  const n = <usize>max(num_possible_cpus(), 1);
  ne_fit_preload_node = heap.alloc(n * sizeof<usize>()); // the per-CPU area of ne_fit_preload_node
  memory.fill(ne_fit_preload_node, 0, n * sizeof<usize>());
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

export function op_find(a_lo: u32, a_hi: u32): usize {
  return changetype<usize>(find_vmap_area(u64_of(a_lo, a_hi)));
}

export function op_free(va: usize): void {
  free_vmap_area(changetype<vmap_area>(va));
}

export function op_free_lazy(va: usize): void {
  free_unmap_vmap_area(changetype<vmap_area>(va));
}

/** The golden `p`: 6.12 has no purge_vmap_area_lazy(); its body is reclaim_and_purge_vmap_areas(). */
export function op_purge(): void {
  reclaim_and_purge_vmap_areas();
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
