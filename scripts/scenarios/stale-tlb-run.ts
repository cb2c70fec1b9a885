// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the three stale-tlb-* scenarios share: they run the library functions
 * of stale-tlb.ts unchanged and turn what those return into a RunResult.
 *
 * The library boots its own kernel; its onBoot hook lets us count the API
 * calls it makes there (every k.vmalloc/k.vfree/... goes through k.call):
 * operations are the top-level calls, allocations the calls that reserve
 * address space (vmalloc, vzalloc, vmap, ioremap, vm_map_ram, get_vm_area),
 * failed ones those that returned NULL, and each allocating call's touches
 * the allocator's touch-counter delta around it, as gfs2-vmalloc-loop counts.
 */

import type { Kernel } from '../../kernel/boot.js';
import type { BootOptions } from '../../kernel/boot.js';
import { machineFigures } from '../run/machine-metrics.js';
import type { RunContext, RunResult } from '../run/scenario.js';
import { sample } from '../run/stats.js';
import type { CommonOptions, ScenarioResult } from './stale-tlb.js';

const ALLOCATING = new Set(['vmalloc', 'vzalloc', 'vmap', 'ioremap', 'vm_map_ram', 'get_vm_area']);

/** Calls made by a library scenario, counted through its onBoot hook. */
export interface CallCounts {
  operations: number;
  allocations: number;
  failed: number;
  readonly touches: number[];
}

/** The CPUs a two-CPU scenario runs on: the cell's count, at least 2. */
export function twoOrMore(ctx: RunContext): number {
  return Math.max(2, ctx.cpus);
}

/** Options for a library scenario: the cell's CPUs, seed and flush era, and a counting hook. */
export function libraryOptions(ctx: RunContext, counts: CallCounts): CommonOptions {
  const cpus = twoOrMore(ctx);
  return {
    cpus,
    machine: { cpus, seed: ctx.seed },
    flushEra: ctx.flushEra as BootOptions['flushEra'],
    onBoot: (k) => countCalls(k, counts),
  };
}

export function newCounts(): CallCounts {
  return { operations: 0, allocations: 0, failed: 0, touches: [] };
}

/** Wrap k.call so that each top-level API call is counted (nested calls are part of their caller). */
export function countCalls(k: Kernel, c: CallCounts): void {
  const call = k.call.bind(k);
  let depth = 0;
  k.call = <T>(cpu: number, what: string, fn: Parameters<Kernel['call']>[2]): T => {
    if (depth > 0) return call(cpu, what, fn) as T;
    c.operations++;
    const allocating = ALLOCATING.has(what);
    const t0 = k.touchesOn(cpu);
    depth++;
    try {
      const r = call(cpu, what, fn) as T;
      if (allocating) {
        c.allocations++;
        if (r === 0 || r === null) c.failed++;
      }
      return r;
    } finally {
      depth--;
      if (allocating) c.touches.push(k.touchesOn(cpu) - t0);
    }
  };
}

/** How the reading CPU's last probe ended, in words. */
export function probeNote(r: ScenarioResult): string {
  if (r.fault) return `CPU 1's last read took a page fault (${r.fault.kind}), the correct outcome of a read after a flushed unmap`;
  return `CPU 1's last read returned 0x${(r.value ?? 0).toString(16)}`;
}

/** One line per checker report: kind, CPU, access, address. */
export function reportSummary(r: ScenarioResult): string[] {
  return r.reports.map((x) => `checker: ${x.kind} on cpu${x.cpu}, ${x.access} of ${x.address}`);
}

/** The RunResult of a library scenario: machine figures, formatted checker reports, notes. */
export function staleTlbResult(ctx: RunContext, r: ScenarioResult, counts: CallCounts, notes: string[]): RunResult {
  if (ctx.trace) for (const line of r.kernel.trace_text().split('\n')) if (line) ctx.trace(line);
  const m = machineFigures(r.kernel, { operations: counts.operations, allocations: counts.allocations, failedAllocations: counts.failed, touches: counts.touches, bugs: 0 });
  const pre = ctx.cpus < 2 ? [`needs two CPUs: ran on ${twoOrMore(ctx)}`] : [];
  return {
    figures: m.figures,
    counters: m.counters,
    flushCost: m.flushCost,
    lockStat: m.lockStat,
    touchSeries: sample(counts.touches),
    reports: r.text,
    notes: [...pre, ...notes, ...r.notes, probeNote(r), ...reportSummary(r)],
  };
}

/** One summary line per cell: how many checker reports, of which kinds. */
export function summarizeReports(cells: readonly { kernel: string; cpus: number; result: RunResult }[]): string[] {
  return cells.map((c) => {
    const n = c.result.figures.checkerReports ?? 0;
    const by = new Map<string, number>();
    for (const x of c.result.notes ?? []) {
      const m = /^checker: (\S+) on (cpu\d+)/.exec(x);
      if (m) by.set(`${m[1]} on ${m[2]}`, (by.get(`${m[1]} on ${m[2]}`) ?? 0) + 1);
    }
    const what = [...by].map(([k, v]) => `${v} ${k}`).join(', ');
    return `${c.kernel} (${c.cpus} CPUs): ${n === 0 ? 'no checker report' : `${n} checker report${n === 1 ? '' : 's'} (${what})`}`;
  });
}
