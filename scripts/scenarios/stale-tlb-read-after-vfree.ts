// SPDX-License-Identifier: GPL-2.0-only
/*
 * stale-tlb-read-after-vfree: the lazy TLB flush by design (reference
 * §7.11; since "mm: rewrite vmap layer", db64fe02, v2.6.28). vfree() leaves
 * other CPUs' TLB entries for the freed range in place until the next lazy
 * purge flushes them; the range is only handed out again after that flush.
 * Code that stops using a buffer when it frees it never notices; code that
 * reads it after the vfree reads through whatever its TLB still holds.
 *
 * CPU 1 reads a vmalloc'd buffer (its TLB maps it), CPU 0 vfrees it and
 * keeps allocating until the range was purged and handed out again; CPU 1
 * then reads only the new buffer: no checker report on any faithful
 * version. With misbehave=true CPU 1 reads the old address right after the
 * vfree: the checker reports a use-after-unmap with the entry's provenance
 * (who filled it, the PTE clear that missed it). On linux-2.6.35 the PTEs
 * stay until the purge, so the same read is a use-after-free the TLB
 * checker cannot see (a note says so).
 *
 * The logic is readAfterVfree() of stale-tlb.ts.
 */

import type { Scenario } from '../run/scenario.js';
import { readAfterVfree } from './stale-tlb.js';
import { libraryOptions, newCounts, staleTlbResult, summarizeReports } from './stale-tlb-run.js';

export const staleTlbReadAfterVfree: Scenario = {
  name: 'stale-tlb-read-after-vfree',
  description: 'CPU 1 reads a vmalloc buffer, CPU 0 vfrees it and keeps allocating; misbehave=true: CPU 1 reads it after the vfree (use-after-unmap)',
  params: [
    { name: 'misbehave', kind: 'bool', default: false, description: 'CPU 1 reads the buffer right after the vfree' },
    { name: 'pages', kind: 'int', default: 4, min: 1, max: 64, description: 'pages of the buffer' },
  ],
  versions: ['linux-2.6.35', 'linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.1+fc1e0d980037', 'linux-6.12'],
  defaults: { kernels: ['linux-2.6.35', 'linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.12'], cpus: [2] },
  run(ctx) {
    const counts = newCounts();
    const misbehave = ctx.params.misbehave as boolean;
    const r = readAfterVfree(ctx.kernel, { ...libraryOptions(ctx, counts), misbehave, pages: ctx.params.pages as number });
    return staleTlbResult(ctx, r, counts, [misbehave ? 'CPU 1 read the freed buffer right after the vfree' : 'CPU 1 left the freed buffer alone and read only the new one']);
  },
  summarize(cells, params) {
    return [
      ...summarizeReports(cells),
      params.misbehave
        ? 'expected: a use-after-unmap on every version that clears PTEs at vfree (2.6.39 on); on 2.6.35 the PTE is still present, so the checker sees nothing'
        : 'expected: no checker report on any faithful version (the range is reused only after the purge flushed every CPU)',
    ];
  },
};
