// SPDX-License-Identifier: GPL-2.0-only
/*
 * on_each_cpu() and smp_call_function_many() over the machine's
 * call-function queues and APIC (hw/callFunction.ts, which follows
 * smp_call_function_many_cond step by step: per-target CSD, llist_add,
 * an IPI only to a target whose queue was empty, local run, wait for ACKs).
 *
 * Version: the semantics of kernel/smp.c as of Linux 6.1 (on_each_cpu =
 * on_each_cpu_cond_mask(NULL, func, info, wait, cpu_online_mask) with
 * SCF_RUN_LOCAL); 2.6.35's on_each_cpu (smp_call_function + local call with
 * IRQs off) has the same observable effect: one CAL IPI per other online
 * CPU whose queue was empty, and the function on every online CPU.
 * Upstream path: kernel/smp.c. Text read: kernel/smp.c of Debian's 6.1
 * (docs/sources.md#text-linux-6.1).
 * IPIs are counted on the CAL line (CALL_FUNCTION_VECTOR).
 */

import { callFunctionMany, Cpu, Machine } from '../../hw/index.js';

/** What the SMP layer needs: the machine and which CPUs are online. */
export interface smp_context {
  readonly machine: Machine;
  /** cpu_online_mask, ascending. */
  readonly cpu_online_mask: readonly number[];
}

/** smp_processor_id(): the CPU whose code is running. */
export function smp_processor_id(k: smp_context): number {
  const id = k.machine.currentCpu;
  if (id < 0) throw new Error('smp_processor_id() outside any CPU: run kernel code through machine.runOn(cpu, ...)');
  return id;
}

/** smp_call_function_many(mask, func, info, wait): the other CPUs of `mask`, not this one. */
export function smp_call_function_many<T>(k: smp_context, mask: readonly number[], func: (info: T, cpu: Cpu) => void, info: T, wait: boolean): void {
  callFunctionMany(k.machine, smp_processor_id(k), mask, (cpu) => func(info, cpu), { runLocal: false, wait, vector: 'CAL' });
}

/** on_each_cpu_mask(mask, func, info, wait): the CPUs of `mask`, this one included (run locally). */
export function on_each_cpu_mask<T>(k: smp_context, mask: readonly number[], func: (info: T, cpu: Cpu) => void, info: T, wait: boolean): void {
  callFunctionMany(k.machine, smp_processor_id(k), mask, (cpu) => func(info, cpu), { runLocal: true, wait, vector: 'CAL' });
}

/** on_each_cpu(func, info, wait): every online CPU, this one included. */
export function on_each_cpu<T>(k: smp_context, func: (info: T, cpu: Cpu) => void, info: T, wait: boolean): void {
  on_each_cpu_mask(k, k.cpu_online_mask, func, info, wait);
}
