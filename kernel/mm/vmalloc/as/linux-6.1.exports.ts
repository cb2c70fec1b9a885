// SPDX-License-Identifier: GPL-2.0-only
/*
 * The boundary of the linux-6.1 wasm core (not kernel code): what
 * kernel/mm/vmalloc/wasm/binding.ts calls. u64 arguments come as u32
 * halves (low, high); areas go out as their addresses in linear memory.
 */

import { list_head } from '../../../include/linux/as/list';
import { kmem_cache_zalloc as slab_zalloc, set_env, set_touches, touches, u64_of } from './shims';
import {
  __purge_vmap_area_lazy,
  adjust_va_to_fit_type,
  alloc_vmap_area,
  drain_vmap_area_work,
  find_vmap_area,
  find_vmap_area_exceed_addr,
  free_vmap_area_root,
  insert_vmap_area,
  merge_or_add_vmap_area,
  nr_lazy_areas,
  PAGE_SHIFT,
  purge_vmap_area_root,
  vmap_area_root,
  free_unmap_vmap_area,
  free_vmap_area,
  free_vmap_area_list,
  free_vmap_area_noflush,
  lazy_max_pages,
  purge_vmap_area_lazy,
  purge_vmap_area_list,
  vmalloc_init,
  vmap_area,
  vmap_area_list,
  vmap_lazy_nr,
  VMALLOC_END,
  VMALLOC_START,
} from './linux-6.1';
import { pcpu_free_vas, pcpu_get_vm_areas } from './linux-6.1.pcpu';

export const OFFSETOF_VA_START: i32 = <i32>offsetof<vmap_area>('va_start');
export const OFFSETOF_VA_END: i32 = <i32>offsetof<vmap_area>('va_end');
/* For the API layer (docs/wasm.md, "The API layer over a core"): no va->flags in 6.1 (-1); va->vm, the union with subtree_max_size. */
export const OFFSETOF_VA_FLAGS: i32 = -1;
export const OFFSETOF_VA_VM: i32 = <i32>offsetof<vmap_area>('subtree_max_size');
export const SIZEOF_VA_VM: i32 = <i32>sizeof<u64>(); // the union's size

export function init(ncpu: i32, hooks: u32, start_lo: u32, start_hi: u32, end_lo: u32, end_hi: u32): void {
  set_env(ncpu, hooks);
  VMALLOC_START = u64_of(start_lo, start_hi);
  VMALLOC_END = u64_of(end_lo, end_hi);
  vmalloc_init();
}

/** Touches inside alloc_vmap_area() calls, summed (what the bench reports per allocation). */
let alloc_touches: u64 = 0;

export function op_alloc(s_lo: u32, s_hi: u32, a_lo: u32, a_hi: u32, vs_lo: u32, vs_hi: u32, ve_lo: u32, ve_hi: u32, node: i32, gfp_mask: i32): usize {
  const t0 = touches;
  const va = alloc_vmap_area(u64_of(s_lo, s_hi), u64_of(a_lo, a_hi), u64_of(vs_lo, vs_hi), u64_of(ve_lo, ve_hi), node, gfp_mask);
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

/**
 * Replay a bench stream held in linear memory, as the C side's replay.h
 * does: code[i] (0 a, 1 f, 2 l, 3 p), arg[i] (u32: the allocation's index),
 * per allocation size, align, vstart, vend (u64 each), and live[] (usize
 * per allocation) for the areas. 0 when every allocation succeeded, else
 * 1 + the index of the op that failed.
 */
export function run_stream(code: usize, arg: usize, vals: usize, live: usize, n: i32): i32 {
  for (let i = 0; i < n; i++) {
    const k = <usize>load<u32>(arg + (<usize>i << 2));
    switch (load<u8>(code + <usize>i)) {
      case 0: {
        const v = vals + (k << 5);
        const t0 = touches;
        const va = alloc_vmap_area(load<u64>(v), load<u64>(v, 8), load<u64>(v, 16), load<u64>(v, 24), -1, 0xcc0);
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
        purge_vmap_area_lazy();
    }
  }
  return 0;
}

/**
 * pcpu_get_vm_areas(offsets, sizes, nr_vms, align): offsets and sizes are
 * u64 arrays in linear memory (scratch_alloc); the vmap_area array (nr_vms
 * addresses, to be given back with op_pcpu_free_vas) or 0.
 */
export function op_pcpu_get_vm_areas(offsets: usize, sizes: usize, nr_vms: i32, a_lo: u32, a_hi: u32): usize {
  return pcpu_get_vm_areas(offsets, sizes, nr_vms, u64_of(a_lo, a_hi));
}

export function op_pcpu_free_vas(vas: usize): void {
  pcpu_free_vas(vas);
}

/** find_vmap_area_exceed_addr(addr): an area's address or 0. */
export function op_find_exceed(a_lo: u32, a_hi: u32): usize {
  return changetype<usize>(find_vmap_area_exceed_addr(u64_of(a_lo, a_hi)));
}

/**
 * Seeding, not kernel code (the twin of the TypeScript port's seed_areas(),
 * scripts/replay/tracefs: replaying a real trace from a /proc/vmallocinfo
 * snapshot). One area of a fresh allocator, in address order, given the
 * state an allocation (and, lazy, a lazy free) would have left: carved out
 * of the free block holding it with adjust_va_to_fit_type(), then inserted
 * into the busy tree, or, lazy, merged into the purge tree with its pages
 * added to vmap_lazy_nr (no threshold check). Touches are not counted.
 * 0 when done; 1 when the range is not free, 2 when it cannot be carved,
 * 3 when the slab gave no vmap_area.
 */
export function op_seed_area(s_lo: u32, s_hi: u32, e_lo: u32, e_hi: u32, lazy: i32): i32 {
  const saved = touches;
  const start = u64_of(s_lo, s_hi);
  const end = u64_of(e_lo, e_hi);
  const size = end - start;
  // The free block holding the area: a descent of the address-ordered free
  // tree (set-up, not a ported path).
  let blk: vmap_area | null = null;
  let n = free_vmap_area_root.rb_node;
  while (n) {
    const f = changetype<vmap_area>(n);
    if (start < f.va_start) n = n.rb_left;
    else if (start >= f.va_end) n = n.rb_right;
    else {
      if (f.va_end >= end) blk = f;
      break;
    }
  }
  if (!blk) return 1;
  if (adjust_va_to_fit_type(free_vmap_area_root, free_vmap_area_list, blk, start, size)) {
    set_touches(saved);
    return 2;
  }
  const p = slab_zalloc(offsetof<vmap_area>(), 0);
  if (!p) {
    set_touches(saved);
    return 3;
  }
  const va = changetype<vmap_area>(p);
  va.va_start = start;
  va.va_end = end;
  if (!lazy) insert_vmap_area(va, vmap_area_root, vmap_area_list);
  else {
    merge_or_add_vmap_area(va, purge_vmap_area_root, purge_vmap_area_list);
    vmap_lazy_nr += <i64>(size >> PAGE_SHIFT);
    nr_lazy_areas++;
  }
  set_touches(saved);
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

export function op_purge(): void {
  purge_vmap_area_lazy();
}

/* The API layer's calls into the allocator. */

/** free_vmap_area_noflush(va): free_vmap_block()'s lazy free. */
export function op_free_noflush(va: usize): void {
  free_vmap_area_noflush(changetype<vmap_area>(va));
}

/** 6.1 takes start and end by value: PURGE_RANGE is only written, for the binding's one shape. */
export const PURGE_RANGE: usize = memory.data(16);

/** __purge_vmap_area_lazy(start, end) (the caller holds vmap_purge_lock): 1 if it purged, else 0. */
export function op_purge_range(s_lo: u32, s_hi: u32, e_lo: u32, e_hi: u32, sync: i32, force_flush: i32): i32 {
  store<u64>(PURGE_RANGE, u64_of(s_lo, s_hi));
  store<u64>(PURGE_RANGE + 8, u64_of(e_lo, e_hi));
  return __purge_vmap_area_lazy(u64_of(s_lo, s_hi), u64_of(e_lo, e_hi)) ? 1 : 0;
}

/** A work item the environment queued (schedule_work) runs: 0 is drain_vmap_work. */
export function run_work(work: i32): void {
  drain_vmap_area_work();
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

function head_of(which: i32): list_head {
  return which == 0 ? vmap_area_list : which == 1 ? purge_vmap_area_list : free_vmap_area_list;
}

/* The lists, for snapshots: 0 = vmap_area_list, 1 = purge_vmap_area_list, 2 = free_vmap_area_list. Not counted. */
export function list_first(which: i32): usize {
  const head = head_of(which);
  return head.next === head ? 0 : changetype<usize>(head.next) - offsetof<vmap_area>('__list');
}

export function list_next(which: i32, va: usize): usize {
  const head = head_of(which);
  const l = changetype<vmap_area>(va).list.next;
  return l === head ? 0 : changetype<usize>(l) - offsetof<vmap_area>('__list');
}

/** Lazily freed areas are on the purge list in 6.1, never flagged. */
export function area_lazy(va: usize): i32 {
  return 0;
}

/* The golden state line's free-list part (golden/FORMAT.md), computed here in one call rather than by a list walk across the boundary. Not counted. */

/** free_state() writes: the number of free areas (u64), the first one's va_start (u64, 0 if none), FNV-1a 64 over each (va_start, va_end) (u64). */
export const FREE_STATE: usize = memory.data(24);

@inline
function fnv1a64(h: u64, v: u64): u64 {
  for (let b: u64 = 0; b < 64; b += 8) {
    h ^= (v >> b) & 0xff;
    h *= 0x100000001b3;
  }
  return h;
}

export function free_state(): void {
  const head = free_vmap_area_list;
  let n: u64 = 0;
  let low: u64 = 0;
  let h: u64 = 0xcbf29ce484222325;
  for (let l = head.next; l !== head; l = l.next) {
    const va = changetype<vmap_area>(changetype<usize>(l) - offsetof<vmap_area>('__list'));
    if (n == 0) low = va.va_start;
    h = fnv1a64(h, va.va_start);
    h = fnv1a64(h, va.va_end);
    n++;
  }
  store<u64>(FREE_STATE, n);
  store<u64>(FREE_STATE, low, 8);
  store<u64>(FREE_STATE, h, 16);
}
