// SPDX-License-Identifier: GPL-2.0-only
/*
 * stale-tlb-fault-injection: does the TLB-coherence checker catch the
 * classic shootdown mistakes? CPU 0 vmallocs A and fills it, CPU 1 reads
 * it, CPU 0 vfrees A, another owner takes the freed pages, CPU 0 calls
 * vm_unmap_aliases() (the purge and its flush), vmallocs B of the same size
 * (A's range) and fills it, and CPU 1 reads B. A faithful kernel flushes
 * every CPU before A's range is handed out again, so CPU 1 walks afresh and
 * the checker stays silent. With a fault injected (bootKernel `faults`):
 *
 *   free-before-flush: the range goes back to the allocator at vfree, before
 *                      any flush (the ordering the lazy purge exists to keep);
 *   cr3-only:          the "full" flush reloads CR3, which keeps the global
 *                      kernel entries (only INVLPG, a CR4.PGE toggle or
 *                      INVPCID type 2 remove them);
 *   skip-cpu:          the shootdown leaves CPU 1 out of its mask;
 *
 * CPU 1 reads B through its entries for A: a shadowed mapping (the page now
 * maps another frame), reported with who filled the entry, the PTE writes
 * and the flushes that missed it.
 *
 * The logic is reuseAfterFlush() of stale-tlb.ts.
 */

import type { FaultInjection } from '../../kernel/boot.js';
import type { Scenario } from '../run/scenario.js';
import { reuseAfterFlush } from './stale-tlb.js';
import { libraryOptions, newCounts, staleTlbResult, summarizeReports } from './stale-tlb-run.js';

const FAULTS: Record<string, FaultInjection> = {
  none: {},
  'free-before-flush': { freeBeforeFlush: true },
  'cr3-only': { cr3Only: true },
  'skip-cpu': { skipCpu: 1 },
};

const WHAT: Record<string, string> = {
  none: 'faithful kernel (no fault injected)',
  'free-before-flush': 'injected: the freed range returned to the allocator before the flush',
  'cr3-only': 'injected: full flushes reload CR3 only (global entries survive)',
  'skip-cpu': 'injected: the shootdown skips CPU 1',
};

const EXPECTED: Record<string, string> = {
  none: 'no checker report (every CPU is flushed before the range is reused)',
  'free-before-flush': "shadowed mappings on CPU 1 (its reads of B) and on CPU 0 (its writes of B went into A's old frames)",
  'cr3-only': 'shadowed mappings on both CPUs: a CR3 reload keeps global kernel entries everywhere',
  'skip-cpu': 'shadowed mappings on CPU 1 only',
};

export const staleTlbFaultInjection: Scenario = {
  name: 'stale-tlb-fault-injection',
  description: 'reuse of a freed range after vm_unmap_aliases(), with a shootdown bug injected: caught as a shadowed mapping; the faithful kernel passes',
  params: [{ name: 'fault', kind: 'enum', default: 'free-before-flush', values: Object.keys(FAULTS).filter((x) => x !== 'none').concat('none'), description: 'the bug to inject' }],
  versions: ['linux-2.6.35', 'linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.1+fc1e0d980037', 'linux-6.12'],
  defaults: { kernels: ['linux-2.6.35', 'linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.12'], cpus: [2] },
  run(ctx) {
    const counts = newCounts();
    const fault = ctx.params.fault as string;
    const r = reuseAfterFlush(ctx.kernel, { ...libraryOptions(ctx, counts), faults: FAULTS[fault] });
    return staleTlbResult(ctx, r, counts, [WHAT[fault]!]);
  },
  summarize(cells, params) {
    return [
      ...summarizeReports(cells),
      `expected: ${EXPECTED[params.fault as string]}`,
    ];
  },
};
