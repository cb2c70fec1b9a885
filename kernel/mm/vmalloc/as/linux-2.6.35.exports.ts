// SPDX-License-Identifier: GPL-2.0-only
/*
 * The boundary of the linux-2.6.35 wasm core (not kernel code): what
 * kernel/mm/vmalloc/wasm/binding.ts calls. u64 arguments come as u32
 * halves (low, high); areas go out as their addresses in linear memory.
 */

import { list_head } from '../../../include/linux/as/list';
import { set_env, set_touches, touches, u64_of } from './shims';
import {
  alloc_vmap_area,
  find_vmap_area,
  free_unmap_vmap_area,
  free_vmap_area,
  lazy_max_pages,
  purge_vmap_area_lazy,
  vmalloc_init,
  vmap_area,
  vmap_area_list,
  vmap_lazy_nr,
  VM_LAZY_FREE,
  VMALLOC_END,
  VMALLOC_START,
} from './linux-2.6.35';

export const OFFSETOF_VA_START: i32 = <i32>offsetof<vmap_area>('va_start');
export const OFFSETOF_VA_END: i32 = <i32>offsetof<vmap_area>('va_end');

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
