// SPDX-License-Identifier: GPL-2.0-only
/*
 * The boundary of the linux-2.6.39 wasm core (not kernel code): what
 * kernel/mm/vmalloc/wasm/binding.ts calls. u64 arguments come as u32
 * halves (low, high); areas go out as their addresses in linear memory.
 */

import { list_head } from '../../../include/linux/as/list';
import { set_env, set_touches, touches, u64_of } from './shims';
import {
  __purge_vmap_area_lazy,
  alloc_vmap_area,
  cached_align,
  cached_hole_size,
  cached_vstart,
  find_vmap_area,
  free_unmap_vmap_area,
  free_unmap_vmap_area_noflush,
  free_vmap_area,
  free_vmap_cache,
  lazy_max_pages,
  purge_vmap_area_lazy,
  set_iounmap_nonlazy,
  vmalloc_init,
  vmap_area,
  vmap_area_list,
  vmap_lazy_nr,
  VM_LAZY_FREE,
  VMALLOC_END,
  VMALLOC_START,
} from './linux-2.6.39';
import { pcpu_free_vas, pcpu_get_vm_areas } from './linux-2.6.39.pcpu';

export const OFFSETOF_VA_START: i32 = <i32>offsetof<vmap_area>('va_start');
export const OFFSETOF_VA_END: i32 = <i32>offsetof<vmap_area>('va_end');
/* For the API layer (docs/wasm.md, "The API layer over a core"): va->flags (u64), and va->private, the vm_struct slot. */
export const OFFSETOF_VA_FLAGS: i32 = <i32>offsetof<vmap_area>('flags');
export const OFFSETOF_VA_VM: i32 = <i32>offsetof<vmap_area>('private_');
export const SIZEOF_VA_VM: i32 = <i32>sizeof<usize>(); // a pointer

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
 * pcpu_get_vm_areas(offsets, sizes, nr_vms, align), GFP_KERNEL inside (2.6.38 dropped the gfp_t argument): offsets and
 * sizes are u64 arrays in linear memory (scratch_alloc); the vmap_area
 * array (nr_vms addresses, to be given back with op_pcpu_free_vas) or 0.
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

/** free_unmap_vmap_area_noflush(va): free_vmap_block()'s lazy free. */
export function op_free_noflush(va: usize): void {
  free_unmap_vmap_area_noflush(changetype<vmap_area>(va));
}

/** The caller's `unsigned long start, end` whose addresses vm_unmap_aliases() passes (read back by the binding). */
export const PURGE_RANGE: usize = memory.data(16);

/** __purge_vmap_area_lazy(&start, &end, sync, force_flush) over PURGE_RANGE; 0 (the function is void). */
export function op_purge_range(s_lo: u32, s_hi: u32, e_lo: u32, e_hi: u32, sync: i32, force_flush: i32): i32 {
  store<u64>(PURGE_RANGE, u64_of(s_lo, s_hi));
  store<u64>(PURGE_RANGE + 8, u64_of(e_lo, e_hi));
  __purge_vmap_area_lazy(PURGE_RANGE, PURGE_RANGE + 8, sync, force_flush);
  return 0;
}

/** set_iounmap_nonlazy(): the next lazy free purges at once (iounmap before a crash-dump copy). */
export function op_set_iounmap_nonlazy(): void {
  set_iounmap_nonlazy();
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

/* The lists, for snapshots: 0 = vmap_area_list. Not counted. */
export function list_first(which: i32): usize {
  const head = vmap_area_list;
  return head.next === head ? 0 : changetype<usize>(head.next) - offsetof<vmap_area>('__list');
}

export function list_next(which: i32, va: usize): usize {
  const head = vmap_area_list;
  const l = changetype<vmap_area>(va).list.next;
  return l === head ? 0 : changetype<usize>(l) - offsetof<vmap_area>('__list');
}

/** 1 if the area is lazily freed (VM_LAZY_FREE), else 0. */
export function area_lazy(va: usize): i32 {
  return changetype<vmap_area>(va).flags & VM_LAZY_FREE ? 1 : 0;
}

/** The area free_vmap_cache points into, 0 when NULL. Not counted. */
export function cache_area(): usize {
  return changetype<usize>(free_vmap_cache);
}

/* The cache's parameters for the state line, as u32 halves: 0 cached_hole_size, 1 cached_vstart, 2 cached_align. */
function cached(which: i32): u64 {
  return which == 0 ? cached_hole_size : which == 1 ? cached_vstart : cached_align;
}
export function cached_lo(which: i32): u32 {
  return <u32>cached(which);
}
export function cached_hi(which: i32): u32 {
  return <u32>(cached(which) >> 32);
}
