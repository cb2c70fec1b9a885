// SPDX-License-Identifier: GPL-2.0-only
/*
 * Figures of a scenario that ran a kernel on the machine: the table's
 * columns, the kernel-named counters and the flush-cost breakdown.
 *
 * Modelled cycles are the machine's: TLB hits, misses and walks, flush
 * instructions, IPIs (docs/machine.md), and the rest of the kernel path,
 * the allocator's search (areaTouch for every rb_entry()/list_entry()
 * evaluation) included (docs/concurrency.md §Path costs).
 */

import { collectStats } from '../../hw/index.js';
import { DEFAULT_COSTS } from '../../hw/costs.js';
import type { Kernel } from '../../kernel/boot.js';
import type { KernelCounters, LockStat, RunFigures } from './scenario.js';
import { lock_class_stats_of } from '../../kernel/kernel/locking/lockdep_proc.js';
import { summarize } from './stats.js';

/** Cycles per area touched by the allocator's search (the hardware profile's areaTouch; its source is in hw/costs.ts). */
export const CYCLES_PER_TOUCH = DEFAULT_COSTS.areaTouch;

/** Flush-related cost buckets of the machine's cost table. */
const FLUSH_COSTS = ['invlpg', 'cr3Write', 'cr4Write', 'invpcidAddress', 'invpcidContext', 'invlpgb', 'tlbsync', 'csdEnqueue', 'ipiSend', 'ipiDelivery', 'irqEntry', 'ackWait', 'handlerWait'];

export interface SessionCounts {
  operations: number;
  allocations: number;
  failedAllocations: number;
  touches: ArrayLike<number>;
  bugs: number;
}

function parseVmstat(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\S+) (\d+)$/.exec(line.trim());
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

function parseInterrupts(text: string, ncpu: number): { CAL: number[]; TLB: number[] } {
  const res = { CAL: new Array(ncpu).fill(0), TLB: new Array(ncpu).fill(0) };
  for (const line of text.split('\n')) {
    const m = /^\s*(CAL|TLB):\s+(.*)$/.exec(line);
    if (!m) continue;
    const nums = m[2]!.trim().split(/\s+/).slice(0, ncpu).map(Number);
    res[m[1] as 'CAL' | 'TLB'] = nums;
  }
  return res;
}

export function machineFigures(k: Kernel, s: SessionCounts): { figures: RunFigures; counters: KernelCounters; flushCost: Record<string, number>; lockStat: LockStat } {
  const stats = new Map(collectStats(k.machine, { perCpu: false, zeros: true }).map((x) => [x.name, x.value]));
  const get = (n: string) => stats.get(n) ?? 0;
  const ncpu = k.machine.cpus.length;
  const cycles = get('total.cycles.total');
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const flushCost: Record<string, number> = {};
  for (const c of FLUSH_COSTS) {
    const v = get(`total.cycles.${c}`);
    if (v > 0) flushCost[c] = v;
  }
  const t = k.tlbstats;
  return {
    figures: {
      operations: s.operations,
      allocations: s.allocations,
      failedAllocations: s.failedAllocations,
      touchesPerAlloc: summarize(s.touches),
      purges: k.purges.length,
      ipisSent: get('total.ipi.sent.CAL') + get('total.ipi.sent.TLB'),
      ipisReceived: get('total.ipi.received.CAL') + get('total.ipi.received.TLB'),
      invlpg: get('total.flush.invlpg.performed'),
      fullFlushes: sum(t.do_flush_tlb_all),
      tlbMisses: get('total.tlb.l1.misses'),
      walks: get('total.walk.walks'),
      cycles,
      cyclesPerOp: s.operations ? cycles / s.operations : 0,
      bugs: s.bugs,
      checkerReports: k.machine.checker.reports.length,
    },
    counters: {
      purges: k.purges.length,
      flushes: {
        flush_tlb_kernel_range: t.kernel_range_requests,
        flush_tlb_kernel_range_full: t.kernel_range_full,
        flush_tlb_kernel_range_ranged: t.kernel_range_ranged,
        flush_tlb_all: t.flush_tlb_all,
        invlpgb: t.invlpgb,
      },
      vmstat: parseVmstat(k.proc_vmstat()),
      interrupts: parseInterrupts(k.proc_interrupts(), ncpu),
      do_flush_tlb_all: [...t.do_flush_tlb_all],
      do_kernel_range_flush: [...t.do_kernel_range_flush],
    },
    flushCost,
    lockStat: { clockHz: k.trace.clockHz, classes: lock_class_stats_of(k.locks.all()) },
  };
}
