// SPDX-License-Identifier: GPL-2.0-only
/*
 * AssemblyScript: what the vmap-node cores (6.12 and later) call beyond
 * ./shims.ts: the calling CPU, the per-instance locks of the vmap nodes,
 * work items of the core's own (struct work_struct, schedule_work_on(),
 * flush_work()) and the three vmalloc trace events (include/trace/events/
 * vmalloc.h). As in ./shims.ts, each is a call out to the environment
 * (kernel/mm/vmalloc/wasm/binding.ts) only when the environment has that
 * hook (a bit of the mask given at init); the bits are above the ones
 * ./shims.ts defines, so that the two sets stay apart.
 *
 * Work items (docs/wasm.md): a work item is the address of its
 * struct work_struct in linear memory. schedule_work()/schedule_work_on()
 * hand that address out; the environment's kworker calls the core's
 * export run_work(address) later, which calls work->func(work) as the
 * kernel's process_one_work() does.
 */

import { hooks, lo, hi, nr_online_cpus } from './shims';

@external('env', 'raw_smp_processor_id')
declare function env_raw_smp_processor_id(): i32;
@external('env', 'lock_vn')
declare function env_lock_vn(what: i32, name: usize, instance: i32): void;
@external('env', 'schedule_work_on')
declare function env_schedule_work_on(cpu: i32, work: usize): void;
@external('env', 'flush_work')
declare function env_flush_work(work: usize): i32;
@external('env', 'trace_alloc_vmap_area')
declare function env_trace_alloc_vmap_area(addr_lo: u32, addr_hi: u32, size_lo: u32, size_hi: u32, align_lo: u32, align_hi: u32, vstart_lo: u32, vstart_hi: u32, vend_lo: u32, vend_hi: u32, failed: i32): void;
@external('env', 'trace_free_vmap_area_noflush')
declare function env_trace_free_vmap_area_noflush(start_lo: u32, start_hi: u32, nr_lazy: f64, nr_lazy_max: f64): void;
@external('env', 'trace_purge_vmap_area_lazy')
declare function env_trace_purge_vmap_area_lazy(start_lo: u32, start_hi: u32, end_lo: u32, end_hi: u32, npurged: f64): void;

/* Bits of `hooks` (./shims.ts's set_env) for these. */
export const HOOK_SMP_PROCESSOR_ID: u32 = 1 << 16;
export const HOOK_WORK_ON: u32 = 1 << 17;
export const HOOK_TRACE: u32 = 1 << 18;
/* ./shims.ts's HOOK_LOCKS, for the per-instance locks */
const HOOK_LOCKS: u32 = 1 << 4;

/* What env_lock_vn() was asked to do (as ./shims.ts's LOCK_*). */
const LOCK_SPIN_LOCK = 0;
const LOCK_SPIN_UNLOCK = 1;

/** The CPU the environment set for code that does not run on its machine (a replay's traced CPU). */
export let cpu_set: i32 = 0;

export function set_cpu(cpu: i32): void {
  cpu_set = cpu;
}

/** raw_smp_processor_id(): the machine's CPU where the environment runs code on CPUs, else the set one. */
@inline
export function raw_smp_processor_id(): i32 {
  return hooks & HOOK_SMP_PROCESSOR_ID ? env_raw_smp_processor_id() : cpu_set;
}

/** cpumask_test_cpu(cpu, cpu_online_mask): CPUs 0 .. num_online_cpus() - 1 are online. */
@inline
export function cpu_online(cpu: i32): bool {
  return cpu < nr_online_cpus;
}

/** spin_lock(&x->lock) of a lock that each instance (vmap node `instance`) has. */
@inline
export function spin_lock_of(lock: string, instance: i32): void {
  if (hooks & HOOK_LOCKS) env_lock_vn(LOCK_SPIN_LOCK, changetype<usize>(lock), instance);
}
@inline
export function spin_unlock_of(lock: string, instance: i32): void {
  if (hooks & HOOK_LOCKS) env_lock_vn(LOCK_SPIN_UNLOCK, changetype<usize>(lock), instance);
}

/** struct work_struct, as much of it as the cores use: the function a kworker calls. */
@unmanaged
export class work_struct {
  func: ((work: work_struct) => void) | null;
}

/** INIT_WORK(work, fn) */
@inline
export function INIT_WORK(work: work_struct, fn: (work: work_struct) => void): void {
  work.func = fn;
}

/**
 * schedule_work_on(cpu, work): to that CPU's kworker where the environment
 * has kworkers; otherwise nothing yet (flush_work() runs it).
 */
@inline
export function schedule_work_on(cpu: i32, work: work_struct): void {
  if (hooks & HOOK_WORK_ON) env_schedule_work_on(cpu, changetype<usize>(work));
}

/**
 * flush_work(work): wait for the queued work; true if the environment ran
 * or waited for it, false when it has no kworker, and the caller runs it.
 */
@inline
export function flush_work_env(work: work_struct): bool {
  return (hooks & HOOK_WORK_ON) != 0 && env_flush_work(changetype<usize>(work)) != 0;
}

/** What a kworker does with a queued work item (process_one_work): work->func(work). */
export function process_one_work(work: work_struct): void {
  const fn = work.func;
  if (fn) fn(work);
}

@inline
export function trace_alloc_vmap_area(addr: u64, size: u64, align: u64, vstart: u64, vend: u64, failed: i32): void {
  if (hooks & HOOK_TRACE) env_trace_alloc_vmap_area(lo(addr), hi(addr), lo(size), hi(size), lo(align), hi(align), lo(vstart), hi(vstart), lo(vend), hi(vend), failed);
}

@inline
export function trace_free_vmap_area_noflush(va_start: u64, nr_lazy: u64, nr_lazy_max: u64): void {
  if (hooks & HOOK_TRACE) env_trace_free_vmap_area_noflush(lo(va_start), hi(va_start), <f64>nr_lazy, <f64>nr_lazy_max);
}

@inline
export function trace_purge_vmap_area_lazy(start: u64, end: u64, npurged: u64): void {
  if (hooks & HOOK_TRACE) env_trace_purge_vmap_area_lazy(lo(start), hi(start), lo(end), hi(end), <f64>npurged);
}

/* errno values the vmap-node cores return (include/uapi/asm-generic/errno-base.h) */
export const ENOENT: i32 = 2;
export const EINVAL: i32 = 22;
export const ERANGE: i32 = 34;

/** IS_ERR_VALUE() of an unsigned long (include/linux/err.h; ./shims.ts has it for pointers). */
@inline
export function IS_ERR_VALUE_ulong(x: u64): bool {
  return x >= <u64>-4095;
}
