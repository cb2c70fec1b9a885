// SPDX-License-Identifier: GPL-2.0-only
/*
 * vm-map-ram-guard-gap: 248ac0e1943a (Johannes Weiner, "mm: vmalloc: remove
 * guard page from between vmap blocks"; first posted March 2011 as "remove
 * guard pages from between basic vmap areas", linux-mm id 10077032892; XFS
 * bugzilla.kernel.org 27492; reference §7.4 and §3).
 *
 * Until then alloc_vmap_area() kept an unmapped page after every area: the
 * search started at ALIGN(first->va_end + PAGE_SIZE, align) and the walk
 * rejected a fit that ended exactly at the next area. vmalloc's own guard
 * page is inside its size, so that gap was a second one; and a vmap block
 * (VMAP_BLOCK_SIZE long, aligned to VMAP_BLOCK_SIZE) placed right after
 * another could not start at the next slot: every other slot stayed empty,
 * and on 32-bit, where XFS mapped its buffers with vm_map_ram, the vmalloc
 * range ran out at half its size. Johannes' test vm_map_ram'd one page at
 * a time until it failed: 15,360 pages on the vanilla kernel, 30,464 with
 * the patch (32-bit, 1 MiB blocks). The gap is gone in the v3.8-era text.
 *
 * The scenario runs that loop (the same page, on CPU 0) on a kernel booted
 * with a small vmalloc range (`vmalloc_mib` from VMALLOC_START; 120 MiB = the 32-bit 128 MiB
 * VMALLOC_RESERVE less the 8 MiB VMALLOC_OFFSET) with blocks of
 * `block_pages` pages (CONFIG_NR_CPUS chosen so that VMALLOC_PAGES /
 * NR_CPUS / 16 gives it) and counts the successes: linux-2.6.35/2.6.39
 * (gap) against linux-3.18+ (no gap).
 */

import { bootKernel } from '../../kernel/boot.js';
import type { FlushEraName } from '../../kernel/arch/x86/mm/tlb.js';
import { machineFigures } from '../run/machine-metrics.js';
import { carries } from '../../kernel/manifest/index.js';
import type { Scenario } from '../run/scenario.js';
import { sample } from '../run/stats.js';
import { VMALLOC_START_4LEVEL } from '../../kernel/include/asm/page.js';

/** Johannes Weiner's figures (32-bit, linux-mm id 10077032892). */
const PUBLISHED = { vanilla: 15360, patched: 30464 };

export const vmMapRamGuardGap: Scenario = {
  name: 'vm-map-ram-guard-gap',
  description: "Johannes Weiner's test for 248ac0e1943a: vm_map_ram(1 page) until it fails in a small vmalloc range; the guard gap halves the vmap blocks that fit",
  params: [
    { name: 'vmalloc_mib', kind: 'int', default: 120, min: 4, max: 65536, multipleOf: 4, description: 'size of the vmalloc range left to the test, MiB' },
    { name: 'block_pages', kind: 'enum', default: '256', values: ['128', '256', '512', '1024'], description: 'pages per vmap block (VMAP_BBMAP_BITS)' },
    { name: 'max_pages', kind: 'int', default: 10000000, min: 1, description: 'stop after this many successful mappings' },
  ],
  versions: ['linux-2.6.35', 'linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.12'],
  defaults: { kernels: ['linux-2.6.39', 'linux-3.18'], cpus: [1] },
  run(ctx) {
    const mib = ctx.params.vmalloc_mib as number;
    const bits = Number(ctx.params.block_pages);
    const max = ctx.params.max_pages as number;
    // VMAP_BBMAP_BITS = VMALLOC_PAGES (2^25 on 64-bit) / NR_CPUS / 16, clamped to [128, 1024].
    const NR_CPUS = 2 ** 21 / bits;
    const range = { start: VMALLOC_START_4LEVEL, end: VMALLOC_START_4LEVEL + mib * 1024 * 1024 - 1, bytes: mib * 1024 * 1024 };
    const k = bootKernel({
      version: ctx.kernel,
      cpus: ctx.cpus,
      NR_CPUS,
      flushEra: ctx.flushEra as FlushEraName | undefined,
      machine: { cpus: ctx.cpus, seed: ctx.seed, costs: ctx.costs },
      vmalloc: { start: range.start, end: range.end },
    });
    if (k.api.VMAP_BBMAP_BITS !== bits) throw new Error(`vm-map-ram-guard-gap: ${ctx.kernel} sized its blocks at ${k.api.VMAP_BBMAP_BITS} pages, not ${bits}`);
    const pages = k.alloc_pages(1);
    const touches: number[] = [];
    let mapped = 0;
    let failed = 0;
    let first = 0;
    let last = 0;
    while (mapped < max) {
      const t0 = k.touchesOn(0);
      const addr = k.vm_map_ram(0, pages);
      touches.push(k.touchesOn(0) - t0);
      if (addr === 0) {
        failed++;
        break;
      }
      if (mapped === 0) first = addr;
      last = addr;
      mapped++;
      if ((mapped & 0xfff) === 0) ctx.progress?.(mapped, max);
    }
    if (ctx.trace) for (const line of k.trace_text().split('\n')) if (line) ctx.trace(line);
    const blocks = k.api.nr_vmap_blocks();
    const slots = Math.floor(range.bytes / (bits * 4096));
    const m = machineFigures(k, { operations: touches.length, allocations: touches.length, failedAllocations: failed, touches, bugs: 0 });
    const notes = [
      `${mapped.toLocaleString('en-US')} single pages mapped before vm_map_ram() failed${failed ? '' : ` (stopped at max_pages=${max})`}`,
      `${blocks} vmap blocks of ${bits} pages in ${slots} block-sized slots of the ${mib} MiB range (${!carries(ctx.kernel, '248ac0e1943a') ? 'guard gap after every area' : 'no gap between areas'})`,
    ];
    if (mapped) notes.push(`first mapping at window + 0x${(first - range.start).toString(16)}, last at window + 0x${(last - range.start).toString(16)}`);
    return { figures: m.figures, counters: m.counters, flushCost: m.flushCost, lockStat: m.lockStat, touchSeries: sample(touches), notes };
  },
  summarize(cells, params) {
    const out: string[] = [];
    const pagesOf = (notes: readonly string[] | undefined) => Number(/^([\d,]+) single pages/.exec(notes?.[0] ?? '')?.[1]?.replace(/,/g, '') ?? NaN);
    for (const c of cells) out.push(`${c.kernel} (${c.cpus} CPUs): ${pagesOf(c.result.notes).toLocaleString('en-US')} pages`);
    const gap = cells.find((c) => !carries(c.kernel, '248ac0e1943a'));
    const nogap = cells.find((c) => carries(c.kernel, '248ac0e1943a') && c.cpus === gap?.cpus);
    if (gap && nogap) {
      const r = pagesOf(nogap.result.notes) / pagesOf(gap.result.notes);
      out.push(`${nogap.kernel} / ${gap.kernel}: ${r.toFixed(2)}x the pages (published ratio ${(PUBLISHED.patched / PUBLISHED.vanilla).toFixed(2)}x)`);
    }
    out.push(
      `published (Johannes Weiner, 32-bit, 1 MiB blocks): ${PUBLISHED.vanilla.toLocaleString('en-US')} pages vanilla vs ${PUBLISHED.patched.toLocaleString('en-US')} with 248ac0e1943a; here: a ${params.vmalloc_mib} MiB range, ${params.block_pages}-page blocks`,
      'every version loses the last slot, whose end is VMALLOC_END itself (an allocation may not reach it: addr + size > vend)',
    );
    return out;
  },
};
