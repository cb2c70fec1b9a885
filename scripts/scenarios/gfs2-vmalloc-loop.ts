// SPDX-License-Identifier: GPL-2.0-only
/*
 * gfs2-vmalloc-loop: Steven Whitehouse's test behind "mm: vmap area cache"
 * (Red Hat bugzilla 581459; reference/vmalloc-history.md §6.1): one million
 * times vmalloc(8 KiB), touch the memory, vfree, on one CPU of an idle
 * 8-CPU machine. Lazily freed areas stay in the tree until vmap_lazy_nr
 * exceeds lazy_max_pages() (32768 pages with 8 CPUs: about 10,900 three-page
 * areas), and linux-2.6.35 walks past every one of them on each search.
 *
 * Published: Steven (8 cores) 148.8 s stock against 15.4 s purging on every
 * free; Minchan Kim (2 cores) 49-54 s stock with 5535 tree/list steps per
 * search, 11-13 s purging on every free with 62 steps, 5.1-5.9 s with his
 * first cache with 8-12 steps.
 */

import { bootKernel } from '../../kernel/boot.js';
import type { FlushEraName } from '../../kernel/arch/x86/mm/tlb.js';
import { CYCLES_PER_TOUCH, machineFigures } from '../run/machine-metrics.js';
import type { Scenario } from '../run/scenario.js';
import { sample } from '../run/stats.js';

export const gfs2VmallocLoop: Scenario = {
  name: 'gfs2-vmalloc-loop',
  description: "Steven Whitehouse's GFS2 test behind the vmap area cache: N x (vmalloc 8 KiB, touch, vfree) on one CPU",
  params: [
    { name: 'iterations', kind: 'int', default: 1000000, min: 1, description: 'loop count' },
    { name: 'size', kind: 'int', default: 8192, min: 1, max: 1 << 30, description: 'bytes per vmalloc' },
    { name: 'cpu', kind: 'int', default: 0, min: 0, max: 511, description: 'the CPU that runs the loop' },
    { name: 'checker', kind: 'bool', default: true, description: 'TLB-coherence checker on every TLB hit' },
  ],
  defaults: { kernels: ['linux-2.6.35', 'linux-2.6.39', 'linux-5.2', 'linux-6.1'], cpus: [8] },
  run(ctx) {
    const n = ctx.params.iterations as number;
    const size = ctx.params.size as number;
    const cpu = Math.min(ctx.params.cpu as number, ctx.cpus - 1);
    const k = bootKernel({ version: ctx.kernel, cpus: ctx.cpus, flushEra: ctx.flushEra as FlushEraName | undefined, machine: { cpus: ctx.cpus, seed: ctx.seed, costs: ctx.costs, checker: ctx.params.checker as boolean }, trace: !!ctx.trace });
    const touches = new Float64Array(n);
    let failed = 0;
    for (let i = 0; i < n; i++) {
      const t0 = k.touchesOn(cpu);
      const addr = k.vmalloc(cpu, size, 'gfs2_vmalloc_loop');
      touches[i] = k.touchesOn(cpu) - t0;
      if (addr === 0) {
        failed++;
        continue;
      }
      k.write64(cpu, addr, i);
      k.vfree(cpu, addr);
      if ((i & 0xfff) === 0) ctx.progress?.(i, n);
    }
    k.flush_work();
    if (ctx.trace) for (const line of k.trace_text().split('\n')) if (line) ctx.trace(line);
    const m = machineFigures(k, { operations: 3 * n, allocations: n, failedAllocations: failed, touches, bugs: 0 });
    return {
      figures: m.figures,
      counters: m.counters,
      flushCost: m.flushCost,
      lockStat: m.lockStat,
      touchSeries: sample(Array.from(touches)),
      reports: k.machine.checker.reports.slice(0, 3).map((r) => JSON.stringify(r)),
    };
  },
  summarize(cells) {
    const out: string[] = [];
    for (const c of cells) {
      // Each kernel against linux-2.6.35 at the same CPU count (Minchan Kim measured on 2 cores, Steven Whitehouse on 8).
      const base = cells.find((b) => b.kernel === 'linux-2.6.35' && b.cpus === c.cpus);
      if (!base || c.kernel === base.kernel) continue;
      const t = base.result.figures.touchesPerAlloc.mean / Math.max(c.result.figures.touchesPerAlloc.mean, 1e-9);
      const cy = (base.result.figures.cycles ?? 0) / Math.max(c.result.figures.cycles ?? 0, 1e-9);
      out.push(`linux-2.6.35 / ${c.kernel} (${c.cpus} CPUs): ${t.toFixed(1)}x the areas touched per allocation, ${cy.toFixed(1)}x the modelled cycles`);
    }
    out.push(
      `modelled cycles count the whole path: the search (${CYCLES_PER_TOUCH} cycles per area touched), the call, page allocation, PTE writes and clears, TLB fills and walks, flushes and IPIs (docs/concurrency.md)`,
    );
    out.push(
      "published: Steven Whitehouse (8 cores) 148.8 s stock vs 15.4 s purging on every free (9.7x); Minchan Kim (2 cores) ~49 s stock vs ~5 s with the cache (~10x), 5535 vs 8-12 steps per search",
    );
    return out;
  },
};
