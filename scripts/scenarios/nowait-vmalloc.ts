// SPDX-License-Identifier: GPL-2.0-only
/*
 * nowait-vmalloc: non-blocking __vmalloc() ("vmalloc: support non-blocking
 * GFP", v6.19). Before it alloc_vmap_area() always behaved as if it could
 * sleep: a failed search purged the lazily freed areas
 * (reclaim_and_purge_vmap_areas(): a TLB flush, IPIs on a machine without
 * INVLPGB) and retried. From 6.19 a mask without __GFP_DIRECT_RECLAIM
 * (GFP_NOWAIT, GFP_ATOMIC) fails instead: no purge, no notifier.
 *
 * On the machine, CPU 0, a vmalloc range of `range_pages` pages: two
 * vmallocs of half the range less a guard page fill it, the first is
 * vfree()d (lazily: far below lazy_max_pages()), then __vmalloc(`pages`
 * pages, GFP_NOWAIT) and, after it, the same with GFP_KERNEL.
 */

import { bootKernel } from '../../kernel/boot.js';
import type { FlushEraName } from '../../kernel/arch/x86/mm/tlb.js';
import { hex, type ulong } from '../../kernel/include/u64.js';
import { VMALLOC_START_4LEVEL as VS } from '../../kernel/include/asm/page.js';
import { GFP_KERNEL } from '../../kernel/mm/page_alloc.js';
import { GFP_NOWAIT } from '../../kernel/mm/vmalloc/linux-7.3.js';
import type { vmalloc_api } from '../../kernel/mm/vmalloc/api/common.js';
import { machineFigures } from '../run/machine-metrics.js';
import type { Scenario } from '../run/scenario.js';

const P = 0x1000;

interface with_vmalloc_gfp {
  __vmalloc(size: ulong, gfp_mask: number, caller?: string): ulong;
}

function hasGfp(a: vmalloc_api): a is vmalloc_api & with_vmalloc_gfp {
  return typeof (a as Partial<with_vmalloc_gfp>).__vmalloc === 'function';
}

export const nowaitVmalloc: Scenario = {
  name: 'nowait-vmalloc',
  description: '__vmalloc(GFP_NOWAIT) when only lazily freed space fits: 6.12 purges (flush, IPIs) and succeeds, 7.3 (6.19+) fails without purging; GFP_KERNEL then purges on both',
  params: [
    { name: 'range_pages', kind: 'int', default: 16, min: 4, max: 1 << 20, multipleOf: 2, description: 'pages in the vmalloc range' },
    { name: 'pages', kind: 'int', default: 4, min: 1, max: 1 << 19, description: 'pages of the non-blocking request' },
  ],
  versions: ['linux-6.12', 'linux-7.3'],
  defaults: { kernels: ['linux-6.12', 'linux-7.3'], cpus: [2] },
  run(ctx) {
    const range = ctx.params.range_pages as number;
    const pages = ctx.params.pages as number;
    const k = bootKernel({
      version: ctx.kernel,
      cpus: ctx.cpus,
      flushEra: ctx.flushEra as FlushEraName | undefined,
      machine: { cpus: ctx.cpus, seed: ctx.seed },
      vmalloc: { start: VS, end: VS + range * P },
    });
    if (!hasGfp(k.api)) throw new Error(`nowait-vmalloc: ${ctx.kernel} has no __vmalloc(size, gfp)`);
    const half = (range / 2 - 1) * P;
    const a = k.vmalloc(0, half);
    const b = k.vmalloc(0, half);
    if (!a || !b) throw new Error('nowait-vmalloc: the set-up vmallocs failed');
    k.vfree(0, a);
    const state = () => ({ purges: k.purges.length, flushes: k.tlbstats.kernel_range_requests, ipis: k.ipisSent() });
    const s0 = state();
    const nowait = k.call(0, '__vmalloc', (api) => (api as vmalloc_api & with_vmalloc_gfp).__vmalloc(pages * P, GFP_NOWAIT));
    const s1 = state();
    const kernel = nowait ? 0 : k.call(0, '__vmalloc', (api) => (api as vmalloc_api & with_vmalloc_gfp).__vmalloc(pages * P, GFP_KERNEL));
    const s2 = state();
    k.flush_work();
    const d = (x: { purges: number; flushes: number; ipis: number }, y: typeof x) => `${y.purges - x.purges} purge(s), ${y.flushes - x.flushes} flush(es), ${y.ipis - x.ipis} IPI(s)`;
    const m = machineFigures(k, { operations: 4 + (nowait ? 0 : 1), allocations: 3 + (nowait ? 0 : 1), failedAllocations: nowait ? 0 : 1, touches: [], bugs: 0 });
    return {
      ...m,
      notes: [
        `vmalloc range [${hex(VS)}, ${hex(VS + range * P)}); busy ${hex(b)}; lazily freed ${hex(a)}`,
        `__vmalloc(${pages} pages, GFP_NOWAIT): ${nowait ? hex(nowait) : 'NULL'}; ${d(s0, s1)}`,
        nowait ? 'GFP_KERNEL retry: not needed' : `__vmalloc(${pages} pages, GFP_KERNEL): ${kernel ? hex(kernel) : 'NULL'}; ${d(s1, s2)}`,
      ],
    };
  },
};
