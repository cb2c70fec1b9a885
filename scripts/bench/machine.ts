// SPDX-License-Identifier: GPL-2.0-only
/**
 * Machine benchmark (not a test): host translations per second through the emulated MMU,
 * for TLB hits and for full walks (every access misses both TLB levels), with the
 * coherence checker on and off, at several CPU counts. Wall-clock time is measured here
 * and only here; nothing in the machine depends on it.
 */

import { performance } from 'perf_hooks';
import { EntryBits, Machine, mapPage } from '../../hw/index.js';

/** One measured configuration. */
export interface MachineBenchRow {
  readonly cpus: number;
  readonly checker: boolean;
  /** Translations per second that hit the L1 dTLB (read64 end to end). */
  readonly tlbHitsPerSec: number;
  /** Translations per second that miss both TLB levels and walk 4 levels. */
  readonly walksPerSec: number;
}

/** Options of benchMachine. */
export interface MachineBenchOptions {
  /** CPU counts to measure. Default [1, 8, 64]. */
  readonly cpus?: number[];
  /** Fewer iterations (for a smoke run). Default false. */
  readonly quick?: boolean;
}

const VMALLOC_START = -0x370000000000; // 0xffffc90000000000 in the signed view
const HOT_PAGES = 32; // fit in the 64-entry L1 dTLB
const COLD_PAGES = 4096; // well beyond the 1536-entry STLB: LRU then misses every time

/** Measure hit and walk throughput for each CPU count, checker off and on. */
export function benchMachine(opts: MachineBenchOptions = {}): MachineBenchRow[] {
  const cpuCounts = opts.cpus ?? [1, 8, 64];
  const quick = opts.quick ?? false;
  const rows: MachineBenchRow[] = [];
  warmUp();
  for (const cpus of cpuCounts) {
    for (const checker of [false, true]) {
      const m = new Machine({ cpus, checker, physMemBytes: 2 ** 30 });
      const frame = m.allocFrame();
      if (frame === null) throw new Error('benchmark machine has no memory');
      const flags = EntryBits.RW | EntryBits.G | EntryBits.NX | EntryBits.A | EntryBits.D;
      for (let p = 0; p < COLD_PAGES; p++) mapPage(m, m.kernelRoot, VMALLOC_START + p * 4096, frame, flags);
      const hitOps = quick ? 200_000 : checker ? 2_000_000 : 5_000_000;
      const walkOps = quick ? 50_000 : 1_000_000;
      const repeats = quick ? 1 : 3; // best of N: the host may be busy with other work
      let hits = 0;
      let walks = 0;
      for (let r = 0; r < repeats; r++) {
        hits = Math.max(hits, measure(m, cpus, HOT_PAGES, hitOps));
        walks = Math.max(walks, measure(m, cpus, COLD_PAGES, walkOps));
      }
      rows.push({ cpus, checker, tlbHitsPerSec: hits, walksPerSec: walks });
    }
  }
  return rows;
}

/** Run both paths once on a throwaway machine so the first measured row is not paying for JIT compilation. */
function warmUp(): void {
  for (const checker of [false, true]) {
    const m = new Machine({ cpus: 2, checker, physMemBytes: 2 ** 26 });
    const frame = m.allocFrame() as number;
    for (let p = 0; p < COLD_PAGES; p++) mapPage(m, m.kernelRoot, VMALLOC_START + p * 4096, frame, EntryBits.RW | EntryBits.G | EntryBits.A | EntryBits.D);
    measure(m, 2, HOT_PAGES, 200_000);
    measure(m, 2, COLD_PAGES, 50_000);
  }
}

/** Reads cycling over `pages` pages on every CPU in turn; returns reads per second. */
function measure(m: Machine, cpus: number, pages: number, ops: number): number {
  const handles = m.cpus.slice(0, cpus);
  const perCpu = Math.max(1, Math.floor(ops / cpus));
  const chunk = pages; // one pass over the pages per CPU turn
  // Warm up: one pass per CPU (fills the TLB for hits; for walks the pass is all misses anyway).
  for (const cpu of handles) for (let p = 0; p < pages; p++) cpu.read64(VMALLOC_START + p * 4096);
  let sink = 0;
  const t0 = performance.now();
  for (let done = 0; done < perCpu; done += chunk) {
    for (const cpu of handles) {
      for (let p = 0; p < chunk; p++) sink += cpu.read64(VMALLOC_START + p * 4096 + 8);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  if (sink === Number.MIN_VALUE) console.log(sink);
  const total = Math.ceil(perCpu / chunk) * chunk * cpus;
  return total / seconds;
}

/** A fixed-width table of benchmark rows. */
export function formatMachineBench(rows: readonly MachineBenchRow[]): string {
  const head = ['cpus', 'checker', 'TLB hits/s', 'walks/s'];
  const body = rows.map((r) => [String(r.cpus), r.checker ? 'on' : 'off', fmt(r.tlbHitsPerSec), fmt(r.walksPerSec)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}

function fmt(perSec: number): string {
  return perSec >= 1e6 ? `${(perSec / 1e6).toFixed(2)} M` : `${(perSec / 1e3).toFixed(1)} k`;
}
