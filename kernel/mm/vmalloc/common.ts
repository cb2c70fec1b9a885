// SPDX-License-Identifier: GPL-2.0-only
/*
 * What every ported allocator version shares: the environment it runs in
 * (online CPUs, the vmalloc range, the hooks through which it reaches page
 * tables and TLB flushes), and the interface the registry exposes.
 *
 * The version files (linux-2.6.35.ts, ...) are whole ports of their
 * mm/vmalloc.c; nothing version-specific lives here.
 */

import type { KernelWarning } from '../../include/asm-generic/bug.js';
import { ERR_PTR } from '../../include/linux/errno.js';
import type { ulong } from '../../include/u64.js';
import { VMALLOC_END_4LEVEL, VMALLOC_START_4LEVEL } from '../../include/asm/page.js';

/**
 * Calls a ported allocator makes outside itself. In the golden-trace
 * environment everything but the flush is a no-op; on the emulated machine
 * they reach page tables, TLBs and the vmap-block layer.
 */
export interface VmallocHooks {
  /** flush_tlb_kernel_range(start, end) */
  flush_tlb_kernel_range(start: ulong, end: ulong): void;
  /** vunmap_page_range(start, end): clear the PTEs of a range. */
  vunmap_page_range(start: ulong, end: ulong): void;
  /** flush_cache_vunmap(start, end): nothing on x86. */
  flush_cache_vunmap(start: ulong, end: ulong): void;
  /** purge_fragmented_blocks_allcpus(): the per-CPU vmap-block layer. */
  purge_fragmented_blocks_allcpus(): void;
  /** Instrumentation: a purge released `nr` lazily freed areas (right after its flush). */
  purged(nr: number, start: ulong, end: ulong): void;
  /** WARN_ON() fired. */
  warn(w: KernelWarning): void;
  /*
   * The vmalloc trace events (include/trace/events/vmalloc.h, 6.2+), called
   * where the versions that have them fire them. Optional: older versions
   * never call them.
   */
  /** trace_alloc_vmap_area(addr, size, align, vstart, vend, failed) */
  trace_alloc_vmap_area?(addr: ulong, size: ulong, align: ulong, vstart: ulong, vend: ulong, failed: number): void;
  /** trace_free_vmap_area_noflush(va_start, nr_lazy, nr_lazy_max) */
  trace_free_vmap_area_noflush?(va_start: ulong, nr_lazy: number, nr_lazy_max: number): void;
  /** trace_purge_vmap_area_lazy(start, end, npurged) */
  trace_purge_vmap_area_lazy?(start: ulong, end: ulong, npurged: number): void;
  /**
   * schedule_work(work): queue `fn` for a kworker (the deferred purge of
   * 6.1+). Optional: without it the versions run the work inline, as in
   * the golden-trace environment.
   */
  schedule_work?(fn: () => void): void;
  /**
   * should_failslab(cache, gfp_mask) of mm/failslab.c (CONFIG_FAILSLAB):
   * fault injection for the slab allocation of a vmap_area with this gfp
   * mask; true makes it return NULL. Optional: without it nothing fails.
   */
  should_failslab?(gfp_mask: number): boolean;
  /*
   * The lock held while a purge releases its areas (vmap_area_lock, later
   * free_vmap_area_lock): taken, dropped, and cond_resched_lock(), the
   * point inside the loop where 4.10+ (763b218ddfaf) may drop it to let a
   * waiting task run. Instrumentation, optional; the trace environment has
   * no contention, so nothing else happens at these points.
   */
  spin_lock?(lock: string, instance?: object): void;
  spin_unlock?(lock: string, instance?: object): void;
  cond_resched_lock?(lock: string): void;
  /** mutex_lock(&lock) / mutex_unlock(&lock) (vmap_purge_lock). */
  mutex_lock?(lock: string): void;
  mutex_unlock?(lock: string): void;
  /**
   * spin_trylock(&lock) / mutex_trylock(&lock) (2.6.35-3.18's purge_lock,
   * 5.2's vmap_purge_lock): true if taken. Without them a trylock
   * succeeds, as it does where nothing runs beside the caller.
   */
  spin_trylock?(lock: string): boolean;
  mutex_trylock?(lock: string): boolean;
  /**
   * schedule_work_on(cpu, work) for a work item of the allocator's own (6.12's
   * per-node purge helpers), and flush_work(work): true if the environment
   * ran it; without these hooks the allocator runs the item itself at
   * flush_work().
   */
  schedule_work_on?(cpu: number, work: object, fn: () => void): void;
  /** raw_smp_processor_id(), where the environment runs code on CPUs. */
  raw_smp_processor_id?(): number;
  flush_work?(work: object): boolean;
  /** Instrumentation: the purge's release loop gave one area back, under that lock. */
  purge_released?(): void;
  /**
   * Instrumentation: a purge read one lazily freed area of its list, the
   * first time since the area was freed (where each version's purge first
   * walks its list; docs/concurrency.md, "Cold areas").
   */
  purge_area_read?(): void;
}

/**
 * spin_lock(&lock): tell the hooks. `lock` names the lock class (as lockdep
 * does); `instance` tells apart the locks of one class (each vmap node's).
 */
export function spin_lock(env: VmallocEnv, lock: string, instance?: object): void {
  env.hooks.spin_lock?.(lock, instance);
}

/** spin_unlock(&lock). */
export function spin_unlock(env: VmallocEnv, lock: string, instance?: object): void {
  env.hooks.spin_unlock?.(lock, instance);
}

/** spin_trylock(&lock): true if taken. */
export function spin_trylock(env: VmallocEnv, lock: string): boolean {
  return env.hooks.spin_trylock?.(lock) ?? true;
}

/** mutex_trylock(&lock): true if taken. */
export function mutex_trylock(env: VmallocEnv, lock: string): boolean {
  return env.hooks.mutex_trylock?.(lock) ?? true;
}

/** mutex_lock(&lock). */
export function mutex_lock(env: VmallocEnv, lock: string): void {
  env.hooks.mutex_lock?.(lock);
}

/** mutex_unlock(&lock). */
export function mutex_unlock(env: VmallocEnv, lock: string): void {
  env.hooks.mutex_unlock?.(lock);
}

/** Instrumentation: one area released by a purge's release loop. */
export function purge_released(env: VmallocEnv): void {
  env.hooks.purge_released?.();
}

/** Instrumentation: a purge read one lazily freed area of its list. */
export function purge_area_read(env: VmallocEnv): void {
  env.hooks.purge_area_read?.();
}

/** cond_resched_lock(&lock): where the lock may be dropped for a reschedule. */
export function cond_resched_lock(env: VmallocEnv, lock: string): void {
  env.hooks.cond_resched_lock?.(lock);
}

/**
 * The hook that does nothing, shared so that a wasm core can tell that a
 * per-operation hook needs no call out of WebAssembly
 * (kernel/mm/vmalloc/wasm/binding.ts).
 */
export function NOOP_HOOK(): void {}

/** Hooks that do nothing (the trace environment, minus recording). */
export function nullHooks(): VmallocHooks {
  return {
    flush_tlb_kernel_range() {},
    vunmap_page_range: NOOP_HOOK,
    flush_cache_vunmap: NOOP_HOOK,
    purge_fragmented_blocks_allcpus: NOOP_HOOK,
    purged() {},
    warn() {},
  };
}

/** Where an allocator runs. */
export interface VmallocEnv {
  /** num_online_cpus() */
  readonly ncpu: number;
  /** VMALLOC_START */
  readonly VMALLOC_START: ulong;
  /** VMALLOC_END (inclusive-style: 0xffffe8ffffffffff on x86-64, not page aligned) */
  readonly VMALLOC_END: ulong;
  /**
   * VMALLOC_END as an exact u64 where the signed view cannot hold it
   * (5-level paging: 0xffd1ffffffffffff); VMALLOC_END is then its rounded
   * number. Only allocators with exact u64 (the wasm cores) are booted so.
   */
  readonly VMALLOC_END_U64?: bigint;
  readonly hooks: VmallocHooks;
}

/** The golden-trace environment: x86-64 4-level, given CPUs, null hooks unless given. */
export function defaultEnv(over: Partial<VmallocEnv> = {}): VmallocEnv {
  return {
    ncpu: over.ncpu ?? 1,
    VMALLOC_START: over.VMALLOC_START ?? VMALLOC_START_4LEVEL,
    VMALLOC_END: over.VMALLOC_END ?? VMALLOC_END_4LEVEL,
    hooks: over.hooks ?? nullHooks(),
  };
}

/** The fields of struct vmap_area every version has. */
export interface vmap_area_common {
  va_start: ulong;
  va_end: ulong;
}

/** NUMA_NO_NODE and the gfp mask the golden environment passes. */
export const NUMA_NO_NODE = -1;
export const GFP_KERNEL = 0xcc0;
/**
 * __GFP_DIRECT_RECLAIM (4.4+ encoding, which the harness passes to every
 * version): the allocation may sleep and reclaim. GFP_KERNEL has it,
 * GFP_NOWAIT and GFP_ATOMIC do not.
 */
export const __GFP_DIRECT_RECLAIM = 0x400;

/**
 * One allocator version, as the registry exposes it. Method names are the
 * kernel's; each is the ported function of that version.
 */
export interface VmapAllocator {
  /** Registry name, e.g. "linux-2.6.35". */
  readonly version: string;
  /** rb_entry()/list_entry() evaluations so far (the touch counter). */
  touches: number;
  /** lazy_max_pages() */
  lazy_max_pages(): number;
  /** alloc_vmap_area(size, align, vstart, vend, node, gfp_mask) */
  alloc_vmap_area(size: ulong, align: ulong, vstart: ulong, vend: ulong, node?: number, gfp_mask?: number): vmap_area_common | ERR_PTR;
  /** find_vmap_area(addr) */
  find_vmap_area(addr: ulong): vmap_area_common | null;
  /** free_vmap_area(va): immediate free. */
  free_vmap_area(va: vmap_area_common): void;
  /** free_unmap_vmap_area(va): lazy free. */
  free_unmap_vmap_area(va: vmap_area_common): void;
  /** purge_vmap_area_lazy(): synchronous purge. */
  purge_vmap_area_lazy(): void;
  /** vmap_lazy_nr, in pages. */
  readonly vmap_lazy_nr: number;
  /** The body of the golden trace's state line (after "= "). */
  golden_state(): string;
  /** The areas and free blocks as they stand, without counting touches. */
  snapshot(): AllocatorSnapshot;
  /**
   * pcpu_get_vm_areas(offsets, sizes, nr_vms, align): congruent areas for a
   * percpu chunk, placed top-down; the vmap_areas (the kernel returns their
   * vm_structs), or null. Versions without a port of it leave it out.
   */
  pcpu_get_vm_areas?(offsets: readonly ulong[], sizes: readonly ulong[], nr_vms: number, align: ulong): vmap_area_common[] | null;
  /**
   * Hand back what the allocator holds outside the garbage collector (a
   * wasm core's instance, for the next allocator of that core: docs/wasm.md,
   * "Instances"); the allocator and its areas are unusable afterwards.
   * Allocators with nothing to hand back leave it out.
   */
  release?(): void;
}

/** One area of the busy tree (or a lazily freed one still blocking its range). */
export interface AreaView {
  readonly start: ulong;
  readonly end: ulong;
  /** "busy": allocated; "lazy": freed lazily, not yet purged. */
  readonly state: 'busy' | 'lazy';
}

/** A version-neutral picture of an allocator, for dumps and differential checks. */
export interface AllocatorSnapshot {
  /** Areas in address order (live and lazily freed). */
  readonly areas: AreaView[];
  /** Free blocks in address order, for versions that keep a free tree. */
  readonly free?: { readonly start: ulong; readonly end: ulong }[];
  /** The version's state line. */
  readonly state: string;
}
