// SPDX-License-Identifier: GPL-2.0-only
/*
 * The boundary of the linux-5.2 wasm core (not kernel code): what
 * kernel/mm/vmalloc/wasm/binding.ts calls. u64 arguments come as u32
 * halves (low, high); areas go out as their addresses in linear memory.
 */

import { set_env, set_touches, touches, u64_of } from './shims';
import {
  __purge_vmap_area_lazy,
  alloc_vmap_area,
  find_vmap_area,
  free_unmap_vmap_area,
  free_vmap_area,
  free_vmap_area_list,
  free_vmap_area_noflush,
  lazy_max_pages,
  purge_vmap_area_lazy,
  vmalloc_init,
  vmap_area,
  vmap_area_list,
  vmap_lazy_nr,
  vmap_purge_list,
  VMALLOC_END,
  VMALLOC_START,
} from './linux-5.2';
import { pcpu_free_vas, pcpu_get_vm_areas } from './linux-5.2.pcpu';

export const OFFSETOF_VA_START: i32 = <i32>offsetof<vmap_area>('va_start');
export const OFFSETOF_VA_END: i32 = <i32>offsetof<vmap_area>('va_end');
/* For the API layer (docs/wasm.md, "The API layer over a core"): va->flags (VM_VM_AREA, VM_LAZY_FREE), va->vm. */
export const OFFSETOF_VA_FLAGS: i32 = <i32>offsetof<vmap_area>('flags');
export const OFFSETOF_VA_VM: i32 = <i32>offsetof<vmap_area>('vm');
export const SIZEOF_VA_VM: i32 = <i32>sizeof<usize>();

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

/** 5.2 takes start and end by value: PURGE_RANGE is only written, for the binding's one shape. */
export const PURGE_RANGE: usize = memory.data(16);

/** __purge_vmap_area_lazy(start, end) (the caller holds vmap_purge_lock): 1 if it purged, else 0. */
export function op_purge_range(s_lo: u32, s_hi: u32, e_lo: u32, e_hi: u32, sync: i32, force_flush: i32): i32 {
  store<u64>(PURGE_RANGE, u64_of(s_lo, s_hi));
  store<u64>(PURGE_RANGE + 8, u64_of(e_lo, e_hi));
  return __purge_vmap_area_lazy(u64_of(s_lo, s_hi), u64_of(e_lo, e_hi)) ? 1 : 0;
}

/** atomic_long_set(&vmap_lazy_nr, n): set_iounmap_nonlazy() in the API layer. */
export function set_lazy_nr(n: f64): void {
  vmap_lazy_nr = <i64>n;
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

/* The lists, for snapshots: 0 = vmap_area_list (busy and lazily freed), 2 = free_vmap_area_list, 3 = vmap_purge_list (the llist). Not counted. */
export function list_first(which: i32): usize {
  if (which == 3) {
    const n = vmap_purge_list.first;
    return n ? changetype<usize>(n) - offsetof<vmap_area>('__purge_list') : 0;
  }
  const head = which == 2 ? free_vmap_area_list : vmap_area_list;
  return head.next === head ? 0 : changetype<usize>(head.next) - offsetof<vmap_area>('__list');
}

export function list_next(which: i32, va: usize): usize {
  if (which == 3) {
    const n = changetype<vmap_area>(va).purge_list.next;
    return n ? changetype<usize>(n) - offsetof<vmap_area>('__purge_list') : 0;
  }
  const head = which == 2 ? free_vmap_area_list : vmap_area_list;
  const l = changetype<vmap_area>(va).list.next;
  return l === head ? 0 : changetype<usize>(l) - offsetof<vmap_area>('__list');
}

/** Lazily freed areas stay in the busy list in 5.2 and are told apart by the llist (list 3), never flagged. */
export function area_lazy(va: usize): i32 {
  return 0;
}
