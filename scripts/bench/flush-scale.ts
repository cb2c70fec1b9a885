// SPDX-License-Identifier: GPL-2.0-only
/*
 * Scale benchmark, flush part: the modelled cost of the lazy purge's TLB
 * flush against the number of CPUs, for each flush era of
 * kernel/arch/x86/mm/tlb.ts. The same allocator (linux-6.1) frees enough
 * 8 KiB vmallocs, on CPU 0, to trigger `purges` purges; each purge flushes
 * [lowest start, highest end) of what it purged, which is far more than 33
 * pages, so the 3.17+ era does a full flush on every CPU. Every CPU has first
 * touched the vmalloc space, so the flushes have entries to remove.
 *
 * The INVLPGB era runs on a machine that has INVLPGB (AMD Zen 3+); the
 * others on one that does not.
 */

import { collectStats } from '../../hw/index.js';
import type { CostTable } from '../../hw/costs.js';
import { bootKernel } from '../../kernel/boot.js';
import { FLUSH_ERAS, type FlushEraName } from '../../kernel/arch/x86/mm/tlb.js';
import { linePlot, type Plot } from '../report/plots.js';

export interface FlushScaleRow {
  era: string;
  cpus: number;
  purges: number;
  ipisPerPurge: number;
  /** Modelled flush cycles (flush instructions, IPIs, handler waits) per purge, all CPUs. */
  flushCyclesPerPurge: number;
  /** Of which on the purging CPU (its latency). */
  initiatorCyclesPerPurge: number;
}

const FLUSH_BUCKETS = ['invlpg', 'cr3Write', 'cr4Write', 'invpcidAddress', 'invpcidContext', 'invlpgb', 'tlbsync', 'csdEnqueue', 'ipiSend', 'ipiDelivery', 'irqEntry', 'ackWait', 'handlerWait'];

function flushCycles(stats: Map<string, number>, prefix: string): number {
  let c = 0;
  for (const b of FLUSH_BUCKETS) c += stats.get(`${prefix}.cycles.${b}`) ?? 0;
  return c;
}

export function flushScaleCell(era: FlushEraName, cpus: number, purges = 2, costs?: CostTable): FlushScaleRow {
  const k = bootKernel({ version: 'linux-6.1', cpus, flushEra: era, machine: { cpus, invlpgb: era === 'linux-6.15', checker: false, ...(costs ? { costs } : {}) }, trace: false, inlineWork: true });
  // every CPU touches a vmalloc'd page, so its TLB holds kernel entries
  const warm = k.vmalloc(0, 8192);
  for (let c = 0; c < cpus; c++) k.read64(c, warm);
  const before = new Map(collectStats(k.machine, { perCpu: true, zeros: true }).map((x) => [x.name, x.value]));
  const ipis0 = k.ipisSent();
  const purges0 = k.purges.length;
  const perPurge = Math.floor(k.allocator.lazy_max_pages() / 3) + 1;
  for (let i = 0; i < purges * perPurge + 1; i++) {
    const a = k.vmalloc(0, 8192);
    k.vfree(0, a);
  }
  k.flush_work();
  const after = new Map(collectStats(k.machine, { perCpu: true, zeros: true }).map((x) => [x.name, x.value]));
  const diff = new Map([...after].map(([n, v]) => [n, v - (before.get(n) ?? 0)]));
  const n = Math.max(1, k.purges.length - purges0);
  return {
    era,
    cpus,
    purges: k.purges.length - purges0,
    ipisPerPurge: (k.ipisSent() - ipis0) / n,
    flushCyclesPerPurge: flushCycles(diff, 'total') / n,
    initiatorCyclesPerPurge: flushCycles(diff, 'cpu0') / n,
  };
}

export function benchFlushScale(opts: { cpus?: readonly number[]; eras?: readonly FlushEraName[]; onProgress?: (m: string) => void; costs?: CostTable } = {}): FlushScaleRow[] {
  const rows: FlushScaleRow[] = [];
  for (const era of opts.eras ?? FLUSH_ERAS.map((e) => e.name as FlushEraName)) {
    for (const cpus of opts.cpus ?? [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]) {
      opts.onProgress?.(`${era} ${cpus} cpus`);
      rows.push(flushScaleCell(era, cpus, 2, opts.costs));
    }
  }
  return rows;
}

export function formatFlushScale(rows: readonly FlushScaleRow[]): string {
  const head = ['flush era', 'cpus', 'purges', 'IPIs/purge', 'flush cycles/purge', 'initiator cycles/purge'];
  const body = rows.map((r) => [r.era, String(r.cpus), String(r.purges), r.ipisPerPurge.toFixed(0), r.flushCyclesPerPurge.toFixed(0), r.initiatorCyclesPerPurge.toFixed(0)]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}

export function flushScalePlot(rows: readonly FlushScaleRow[]): Plot {
  return linePlot({
    id: 'plot-flush-scale',
    title: 'Modelled flush cycles per purge against CPU count',
    x: { field: 'cpus', title: 'CPUs (log2 scale)', log2: true },
    y: { field: 'flushCyclesPerPurge', title: 'cycles per purge (all CPUs)' },
    series: { field: 'era', title: 'flush era' },
    rows: rows.map((r) => ({ era: r.era, cpus: r.cpus, flushCyclesPerPurge: r.flushCyclesPerPurge })),
    points: true,
  });
}
