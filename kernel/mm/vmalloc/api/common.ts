// SPDX-License-Identifier: GPL-2.0-only
/*
 * What every era of the vmalloc API layer (the vm_struct layer, vmalloc/vfree,
 * vmap/vunmap, vm_map_ram and the per-CPU vmap blocks, vm_unmap_aliases)
 * shares: the kernel services it calls, struct page arrays, small bitmap
 * helpers, and the interface the kernel instance and the workloads use.
 * Nothing version-specific lives here; each era is a file of its own
 * (linux-2.6.35.ts, linux-2.6.39.ts, linux-3.18.ts, linux-6.1.ts, ...).
 */

import type { Machine } from '../../../../hw/index.js';
import type { ulong } from '../../../include/u64.js';
import type { page, page_alloc } from '../../page_alloc.js';
import type { mm_struct } from '../../pgtable.js';

/** Deliberate bugs in the vmalloc layer (all off in a faithful kernel). */
export interface vmalloc_fault_injection {
  /** Return a freed area's range to the allocator at once, before any TLB flush (PTEs cleared). */
  readonly freeBeforeFlush?: boolean;
}

/** The kernel services the API layer uses. */
export interface vmalloc_context {
  readonly machine: Machine;
  readonly init_mm: mm_struct;
  readonly pages: page_alloc;
  readonly cpu_online_mask: readonly number[];
  /** CONFIG_NR_CPUS of the modelled build (sizes vmap blocks). */
  readonly NR_CPUS: number;
  /** The allocator marks areas with 5.2's VM_VM_AREA / VM_LAZY_FREE bits in va->flags (its manifest's capability). */
  readonly va_flags_5_2?: boolean;
  /** for_each_possible_cpu: the machine's CPUs. */
  readonly nr_cpu_ids: number;
  readonly VMALLOC_START: ulong;
  readonly VMALLOC_END: ulong;
  readonly vmfaults: vmalloc_fault_injection;
  smp_processor_id(): number;
  /** The era's flush_tlb_kernel_range (arch/x86/mm/tlb.c). */
  flush_tlb_kernel_range(start: ulong, end: ulong): void;
  /** mutex_lock/mutex_unlock of a kernel mutex the API layer takes (vmap_purge_lock), through the lock model. */
  mutex_lock(name: string): void;
  mutex_unlock(name: string): void;
  /**
   * spin_lock/spin_unlock of a kernel spinlock the API layer takes
   * (vmap_area_lock; `instance` tells apart the locks of one class, such as
   * each vmap block's vb->lock), through the lock model.
   */
  spin_lock(name: string, instance?: object): void;
  spin_unlock(name: string, instance?: object): void;
  /** A WARN_ON in the API layer or the page-table walks (reported, not thrown). */
  warn(version: string, func: string, cond: string): void;
  /**
   * The API layer followed `n` links of a list of its own (2.6's vmlist of
   * vm_structs): pointer chases like the allocator's, charged as
   * cycles.areaTouch to the running CPU but not counted as the allocator's
   * touches (touch/alloc stays rb_entry/list_entry of vmap_areas).
   */
  list_walk(n: number): void;
  /** trace_alloc_vmap_area at the API layer, for allocators that do not fire it themselves. */
  trace_alloc_vmap_area(addr: ulong, size: ulong, align: ulong, vstart: ulong, vend: ulong, failed: number): void;
  /** trace_free_vmap_area_noflush, likewise. */
  trace_free_vmap_area_noflush(va_start: ulong, nr_lazy: number, nr_lazy_max: number): void;
}

/** A vmalloc'd or vmapped range as a workload sees it (the vm_struct fields everyone has). */
export interface vm_struct_view {
  readonly addr: ulong;
  /** Including the guard page (as /proc/vmallocinfo prints it). */
  readonly size: ulong;
  readonly flags: number;
  readonly nr_pages: number;
  readonly pages: readonly page[] | null;
  readonly phys_addr: number;
  readonly caller: string;
}

/** One era's API layer, as the kernel instance and workloads use it. NULL is 0. */
export interface vmalloc_api {
  /** Registry name of the era, e.g. "linux-6.1". */
  readonly era: string;
  vmalloc(size: ulong, caller?: string): ulong;
  vzalloc(size: ulong, caller?: string): ulong;
  vfree(addr: ulong): void;
  vmap(pages: readonly page[], count: number, flags: number, prot: bigint, caller?: string): ulong;
  vunmap(addr: ulong): void;
  get_vm_area(size: ulong, flags: number, caller?: string): vm_struct_view | null;
  /** get_vm_area_caller(size, VM_IOREMAP, ...) and friends, for ioremap. */
  get_vm_area_caller(size: ulong, flags: number, caller: string): vm_struct_view | null;
  /** Set the physical address shown by /proc/vmallocinfo (area->phys_addr = ...). */
  set_phys_addr(area: vm_struct_view, phys_addr: number): void;
  find_vm_area(addr: ulong): vm_struct_view | null;
  remove_vm_area(addr: ulong): vm_struct_view | null;
  vm_map_ram(pages: readonly page[], count: number, node?: number): ulong;
  vm_unmap_ram(mem: ulong, count: number): void;
  vm_unmap_aliases(): void;
  /** set_iounmap_nonlazy(), where the era has it (2.6.37 .. 5.x); false if absent. */
  set_iounmap_nonlazy(): boolean;
  /** The hook target: the vmap-block layer's purge_fragmented_blocks_allcpus(). */
  purge_fragmented_blocks_allcpus(): void;
  /** /proc/vmallocinfo */
  vmallocinfo(): string;
  /** VmallocUsed of /proc/meminfo, kB. */
  vmalloc_used_kb(): number;
  /** Live vmap blocks (all CPUs). */
  nr_vmap_blocks(): number;
  /** The pages of VMAP_BBMAP_BITS (pages per vmap block). */
  readonly VMAP_BBMAP_BITS: number;
}

/* ---- include/linux/log2.h, bitops, bitmap -------------------------------------------------- */

/** get_order(size): the smallest order with PAGE_SIZE << order >= size. */
export function get_order(size: number): number {
  let order = 0;
  let s = Math.floor((size - 1) / 4096);
  while (s > 0) {
    s = Math.floor(s / 2);
    order++;
  }
  return order;
}

/** roundup_pow_of_two(n) */
export function roundup_pow_of_two(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** A DECLARE_BITMAP. */
export type bitmap = Uint8Array;

export function bitmap_zero(b: bitmap): void {
  b.fill(0);
}
export function bitmap_fill(b: bitmap): void {
  b.fill(1);
}
/** bitmap_find_free_region(bitmap, bits, order): first aligned free 2^order region, allocated; -ENOMEM if none. */
export function bitmap_find_free_region(b: bitmap, bits: number, order: number): number {
  const n = 1 << order;
  for (let pos = 0; pos + n <= bits; pos += n) {
    let free = true;
    for (let i = pos; i < pos + n; i++) if (b[i]) { free = false; break; }
    if (free) {
      b.fill(1, pos, pos + n);
      return pos;
    }
  }
  return -12;
}
/** bitmap_allocate_region(bitmap, pos, order): 0, or -EBUSY if any bit was set. */
export function bitmap_allocate_region(b: bitmap, pos: number, order: number): number {
  const n = 1 << order;
  for (let i = pos; i < pos + n; i++) if (b[i]) return -16;
  b.fill(1, pos, pos + n);
  return 0;
}
export function find_next_bit(b: bitmap, size: number, offset: number): number {
  for (let i = offset; i < size; i++) if (b[i]) return i;
  return size;
}
export function find_next_zero_bit(b: bitmap, size: number, offset: number): number {
  for (let i = offset; i < size; i++) if (!b[i]) return i;
  return size;
}
export function find_first_bit(b: bitmap, size: number): number {
  return find_next_bit(b, size, 0);
}
export function find_last_bit(b: bitmap, size: number): number {
  for (let i = size - 1; i >= 0; i--) if (b[i]) return i;
  return size;
}

/** "0x%p"/"0x%pK" of an address: 16 hex digits. */
export function ptr(addr: ulong): string {
  let u = BigInt(addr);
  if (u < 0n) u += 1n << 64n;
  return '0x' + u.toString(16).padStart(16, '0');
}

/** %pa of a physical address: 0x and 16 hex digits. */
export function phys(addr: number): string {
  return '0x' + addr.toString(16).padStart(16, '0');
}

/** IS_ERR_VALUE(x): an address-typed result holding -errno (-4095 .. -1). */
export function IS_ERR_VALUE(x: number): boolean {
  return x < 0 && x >= -4095;
}
