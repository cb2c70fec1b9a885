// SPDX-License-Identifier: GPL-2.0-only
/*
 * AssemblyScript: what a wasm allocator core calls but mm/vmalloc.c does not
 * define (the twin of ../shims/customised.ts and ../shims/stubbed.ts), and
 * the calls out to the environment (../common.ts VmallocHooks).
 *
 * One wasm instance is one allocator: the kernel's globals are module
 * globals, as in C. JavaScript is called only where the kernel leaves the
 * allocator (a TLB flush, a BUG or WARN, a lock, schedule_work) and only
 * when the environment has that hook (the `hooks` bit mask given at init):
 * the touch counter and the allocator's state stay in linear memory and are
 * read through exports (kernel/mm/vmalloc/wasm/binding.ts).
 *
 * u64 values cross the boundary as two u32 halves (low, high): a BigInt
 * crossing costs about 9 ns a call (issue 18), two i32 are free.
 */

import { rb_node } from '../../../include/linux/as/rbtree';

/* ---- the environment (imports; kernel/mm/vmalloc/wasm/binding.ts) ---- */

@external('env', 'bug')
declare function env_bug(func: usize, cond: usize, site: i32): void;
@external('env', 'warn')
declare function env_warn(func: usize, cond: usize, site: i32, once: i32): void;
@external('env', 'flush_tlb_kernel_range')
declare function env_flush_tlb_kernel_range(start_lo: u32, start_hi: u32, end_lo: u32, end_hi: u32): void;
@external('env', 'vunmap_page_range')
declare function env_vunmap_page_range(start_lo: u32, start_hi: u32, end_lo: u32, end_hi: u32): void;
@external('env', 'flush_cache_vunmap')
declare function env_flush_cache_vunmap(start_lo: u32, start_hi: u32, end_lo: u32, end_hi: u32): void;
@external('env', 'purge_fragmented_blocks_allcpus')
declare function env_purge_fragmented_blocks_allcpus(): void;
@external('env', 'purged')
declare function env_purged(nr: i32, start_lo: u32, start_hi: u32, end_lo: u32, end_hi: u32): void;
@external('env', 'should_failslab')
declare function env_should_failslab(gfp_mask: i32): i32;
@external('env', 'lock')
declare function env_lock(what: i32, name: usize): void;
@external('env', 'trylock')
declare function env_trylock(what: i32, name: usize): i32;
@external('env', 'schedule_work')
declare function env_schedule_work(work: i32): void;

/* Bits of `hooks`: which optional VmallocHooks the environment has. */
export const HOOK_VUNMAP_PAGE_RANGE: u32 = 1 << 0;
export const HOOK_FLUSH_CACHE_VUNMAP: u32 = 1 << 1;
export const HOOK_PURGE_FRAGMENTED: u32 = 1 << 2;
export const HOOK_SHOULD_FAILSLAB: u32 = 1 << 3;
export const HOOK_LOCKS: u32 = 1 << 4;
export const HOOK_SCHEDULE_WORK: u32 = 1 << 5;
export const HOOK_PURGE_RELEASED: u32 = 1 << 6;
export const HOOK_PURGE_AREA_READ: u32 = 1 << 7;

/* What env_lock() was asked to do. */
export const LOCK_SPIN_LOCK = 0;
export const LOCK_SPIN_UNLOCK = 1;
export const LOCK_COND_RESCHED = 2;
export const LOCK_MUTEX_LOCK = 3;
export const LOCK_MUTEX_UNLOCK = 4;
export const LOCK_PURGE_RELEASED = 5;
export const LOCK_PURGE_AREA_READ = 6;
/* What env_trylock() was asked to do. */
export const TRYLOCK_SPIN = 0;
export const TRYLOCK_MUTEX = 1;

/** The environment: num_online_cpus() and the hooks it has. */
export let nr_online_cpus: i32 = 1;
export let hooks: u32 = 0;

/** rb_entry()/list_entry() evaluations so far (the touch counter). */
export let touches: u64 = 0;

@inline
export function lo(x: u64): u32 {
  return <u32>x;
}
@inline
export function hi(x: u64): u32 {
  return <u32>(x >> 32);
}
/** A u64 from the two halves JavaScript passes. */
@inline
export function u64_of(lo: u32, hi: u32): u64 {
  return (<u64>hi << 32) | <u64>lo;
}

export function set_env(ncpu: i32, hook_bits: u32): void {
  nr_online_cpus = ncpu;
  hooks = hook_bits;
}

export function set_touches(t: u64): void {
  touches = t;
}

/* ---- customised: container_of with the touch count ---- */

/** rb_entry(): the rb_node is the first member (the class extends rb_node); each evaluation counted. */
@inline
export function rb_entry<T>(n: rb_node | null): T {
  touches++;
  return changetype<T>(n);
}

/** rb_entry_safe(): NULL stays NULL and is not counted. */
@inline
export function rb_entry_safe<T>(n: rb_node | null): T | null {
  if (!n) return changetype<T | null>(0);
  touches++;
  return changetype<T>(n);
}

/**
 * BUG_ON(): the environment raises a KernelBug (the version's line for this
 * site from its manifest) and it unwinds through here; `unreachable` if it
 * ever returned. `site` tells apart two sites with the same condition.
 */
@inline
export function BUG_ON(cond: bool, func: string, text: string, site: i32 = 1): void {
  if (cond) {
    env_bug(changetype<usize>(func), changetype<usize>(text), site);
    unreachable();
  }
}

/** WARN_ON(): reported through the environment; hands the condition back. */
@inline
export function WARN_ON(cond: bool, func: string, text: string, site: i32 = 1): bool {
  if (cond) env_warn(changetype<usize>(func), changetype<usize>(text), site, 0);
  return cond;
}

/** WARN_ON_ONCE(): the environment reports each site at most once. */
@inline
export function WARN_ON_ONCE(cond: bool, func: string, text: string, site: i32 = 1): bool {
  if (cond) env_warn(changetype<usize>(func), changetype<usize>(text), site, 1);
  return cond;
}

@inline
export function num_online_cpus(): i32 {
  return nr_online_cpus;
}

@inline
export function num_possible_cpus(): i32 {
  return nr_online_cpus;
}

/**
 * fls(x) of include/asm-generic/bitops/fls.h: 1-based index of the top set
 * bit of an int, 0 for 0.
 */
@inline
export function fls(x: i32): i32 {
  return 32 - <i32>clz<u32>(<u32>x);
}

/* ---- the vmap_area slab: a LIFO free list in front of the heap ---- */

let slab_free: usize = 0;

/**
 * kmem_cache_alloc() of an object of `size` bytes (one cache per module:
 * vmap_area_cachep), not zeroed, as in the kernel; 0 when the failslab
 * hook says so.
 */
@inline
export function kmem_cache_alloc(size: usize, gfp_mask: i32): usize {
  if (hooks & HOOK_SHOULD_FAILSLAB && env_should_failslab(gfp_mask)) return 0;
  let p = slab_free;
  if (p) slab_free = load<usize>(p);
  else p = heap.alloc(size);
  return p;
}

/** kmem_cache_zalloc(): kmem_cache_alloc() and zeroed. */
export function kmem_cache_zalloc(size: usize, gfp_mask: i32): usize {
  const p = kmem_cache_alloc(size, gfp_mask);
  if (p) memory.fill(p, 0, size);
  return p;
}

/** kmem_cache_free() / kfree() of a vmap_area. */
@inline
export function kmem_cache_free(p: usize): void {
  store<usize>(p, slab_free);
  slab_free = p;
}

/* ---- the core's stack, for locals whose address is taken ---- */

/*
 * A C local whose address is taken (LIST_HEAD(valist), the callers'
 * `unsigned long start, end`) lives on that call's stack. Where another CPU
 * can enter the same function while this one is suspended at a hook (the
 * purge of 2.6.35 to 3.18: LIST_HEAD(valist) and the range come before
 * spin_trylock(&purge_lock)), a static buffer would be shared by both
 * calls, so such a local is a frame of this stack instead: pushed where C
 * declares it, popped where the function returns. Calls nest (a suspended
 * call resumes only after the calls made during its hook have returned),
 * so a bump pointer is enough (docs/wasm.md).
 */
const FRAME_STACK_BYTES: usize = 65536;
const frame_stack = memory.data(<i32>FRAME_STACK_BYTES);
let frame_top: usize = 0;

/** A frame of `size` bytes on the core's stack, not zeroed (as a C local). */
@inline
export function frame_push(size: usize): usize {
  const p = frame_stack + frame_top;
  frame_top += (size + 7) & ~(<usize>7);
  if (frame_top > FRAME_STACK_BYTES) unreachable();
  return p;
}

/** Pop the frame at `p` and every frame pushed after it. */
@inline
export function frame_pop(p: usize): void {
  frame_top = p - frame_stack;
}

/* ---- the environment's hooks ---- */

@inline
export function flush_tlb_kernel_range(start: u64, end: u64): void {
  env_flush_tlb_kernel_range(lo(start), hi(start), lo(end), hi(end));
}

@inline
export function vunmap_page_range(start: u64, end: u64): void {
  if (hooks & HOOK_VUNMAP_PAGE_RANGE) env_vunmap_page_range(lo(start), hi(start), lo(end), hi(end));
}

@inline
export function flush_cache_vunmap(start: u64, end: u64): void {
  if (hooks & HOOK_FLUSH_CACHE_VUNMAP) env_flush_cache_vunmap(lo(start), hi(start), lo(end), hi(end));
}

@inline
export function purge_fragmented_blocks_allcpus(): void {
  if (hooks & HOOK_PURGE_FRAGMENTED) env_purge_fragmented_blocks_allcpus();
}

/** Instrumentation: a purge released `nr` lazily freed areas (right after its flush). */
@inline
export function purged(nr: i32, start: u64, end: u64): void {
  env_purged(nr, lo(start), hi(start), lo(end), hi(end));
}

/** Instrumentation, not kernel text: one area released by a purge's release loop. */
@inline
export function purge_released(): void {
  if (hooks & HOOK_PURGE_RELEASED) env_lock(LOCK_PURGE_RELEASED, 0);
}

/** Instrumentation, not kernel text: a purge read one lazily freed area of its list (docs/concurrency.md, "Cold areas"). */
@inline
export function purge_area_read(): void {
  if (hooks & HOOK_PURGE_AREA_READ) env_lock(LOCK_PURGE_AREA_READ, 0);
}

@inline
export function spin_lock(lock: string): void {
  if (hooks & HOOK_LOCKS) env_lock(LOCK_SPIN_LOCK, changetype<usize>(lock));
}
@inline
export function spin_unlock(lock: string): void {
  if (hooks & HOOK_LOCKS) env_lock(LOCK_SPIN_UNLOCK, changetype<usize>(lock));
}
@inline
export function cond_resched_lock(lock: string): void {
  if (hooks & HOOK_LOCKS) env_lock(LOCK_COND_RESCHED, changetype<usize>(lock));
}
/** spin_trylock(&lock): true if taken; without the lock hooks nothing else holds it. */
@inline
export function spin_trylock(lock: string): bool {
  if (!(hooks & HOOK_LOCKS)) return true;
  return env_trylock(TRYLOCK_SPIN, changetype<usize>(lock)) != 0;
}
/** mutex_trylock(&lock), as spin_trylock(). */
@inline
export function mutex_trylock(lock: string): bool {
  if (!(hooks & HOOK_LOCKS)) return true;
  return env_trylock(TRYLOCK_MUTEX, changetype<usize>(lock)) != 0;
}
@inline
export function mutex_lock(lock: string): void {
  if (hooks & HOOK_LOCKS) env_lock(LOCK_MUTEX_LOCK, changetype<usize>(lock));
}
@inline
export function mutex_unlock(lock: string): void {
  if (hooks & HOOK_LOCKS) env_lock(LOCK_MUTEX_UNLOCK, changetype<usize>(lock));
}

/**
 * schedule_work(work): true if the environment queued it (it calls the
 * module's export `run_work(work)` from a kworker later); false when it
 * has no workqueue, and the caller runs the work at once.
 */
@inline
export function schedule_work(work: i32): bool {
  if (!(hooks & HOOK_SCHEDULE_WORK)) return false;
  env_schedule_work(work);
  return true;
}

/* ---- errno and ERR_PTR (include/linux/err.h) ---- */

export const ENOMEM: i32 = 12;
export const EBUSY: i32 = 16;
export const MAX_ERRNO: usize = 4095;

/** ERR_PTR(error): the top page of the 32-bit address space, as in C. */
@inline
export function ERR_PTR(error: i32): usize {
  return <usize>error;
}

@inline
export function IS_ERR_VALUE(x: usize): bool {
  return x >= <usize>-MAX_ERRNO;
}
