// SPDX-License-Identifier: GPL-2.0-only
/*
 * vm-map-ram-exhaustion: Roman Pen's "mm/vmalloc: fix possible exhaustion
 * of vmalloc space caused by vm_map_ram allocator" with "occupy newly
 * allocated vmap block just after allocation" and "get rid of dirty bitmap
 * inside vmap_block structure" (merged about v4.1; linux-mm patch id
 * 16284703197, cover letter 16172613000; hash not recorded; reference §7.7).
 *
 * vb_alloc() took the first block on this CPU's free list with room for the
 * request, and new_vmap_block() put a new block at the head of that list.
 * A block whose remaining free space is too small for the next request but
 * whose allocations were all unmapped (free + dirty == VMAP_BBMAP_BITS) is
 * released only by purge_fragmented_blocks(), which runs on a synchronous
 * purge: vm_unmap_aliases(), or an alloc_vmap_area() failure. Once a new
 * block sits at the head, every later small request is served there and
 * the old block is never looked at again. On 32-bit the range soon runs out
 * and the failure purges; on x86-64 (tens of TiB) nothing fails, and the
 * address space held by such blocks grows without bound. The fix adds new
 * blocks at the tail (older blocks get their free space used first) and
 * takes the request out of the new block at once.
 *
 * Roman's sequence, repeated `iterations` times on CPU 0: map and unmap 16
 * pages, then map and unmap 8 pages (VMAP_BBMAP_BITS - 16) / 8 - 1 times,
 * which leaves 8 free pages at the end of the block: too few for the next
 * 16. Before the fix (linux-2.6.35 .. linux-3.18) one more block stays
 * behind per iteration; after it (linux-5.2 on) the old block's last 8
 * pages are used, it becomes fully dirty and is freed, and one block
 * remains.
 */

import { bootKernel } from '../../kernel/boot.js';
import { carries } from '../../kernel/manifest/index.js';
import type { FlushEraName } from '../../kernel/arch/x86/mm/tlb.js';
import { machineFigures } from '../run/machine-metrics.js';
import type { Scenario } from '../run/scenario.js';
import { sample } from '../run/stats.js';

const PAGE_SIZE = 4096;

const n = (x: number) => x.toLocaleString('en-US');

export const vmMapRamExhaustion: Scenario = {
  name: 'vm-map-ram-exhaustion',
  description: "Roman Pen's vm_map_ram sequence (16 pages, then 8-page maps until 8 pages are left): a vmap block left behind per round before ~v4.1, one block after",
  params: [
    { name: 'iterations', kind: 'int', default: 1000, min: 1, max: 10000000, description: 'rounds of the sequence' },
    { name: 'block_pages', kind: 'enum', default: '256', values: ['kernel', '128', '256', '512', '1024'], description: "pages per vmap block (kernel: the version's own CONFIG_NR_CPUS)" },
  ],
  versions: ['linux-2.6.35', 'linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.12'],
  defaults: { kernels: ['linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1'], cpus: [1] },
  run(ctx) {
    const iterations = ctx.params.iterations as number;
    const bp = ctx.params.block_pages as string;
    const k = bootKernel({
      version: ctx.kernel,
      cpus: ctx.cpus,
      ...(bp === 'kernel' ? {} : { NR_CPUS: 2 ** 21 / Number(bp) }),
      flushEra: ctx.flushEra as FlushEraName | undefined,
      machine: { cpus: ctx.cpus, seed: ctx.seed, costs: ctx.costs },
    });
    const BITS = k.api.VMAP_BBMAP_BITS;
    const pages = k.alloc_pages(16);
    const touches: number[] = [];
    let ops = 0;
    let failed = 0;
    let maxBlocks = 0;
    const map = (count: number): void => {
      const t0 = k.touchesOn(0);
      const a = k.vm_map_ram(0, pages.slice(0, count));
      touches.push(k.touchesOn(0) - t0);
      ops++;
      if (!a) {
        failed++;
        return;
      }
      k.vm_unmap_ram(0, a, count);
      ops++;
    };
    for (let it = 0; it < iterations; it++) {
      map(16);
      for (let i = 0; i < (BITS - 16) / 8 - 1; i++) map(8);
      maxBlocks = Math.max(maxBlocks, k.api.nr_vmap_blocks());
      ctx.progress?.(it, iterations);
    }
    k.flush_work();
    if (ctx.trace) for (const line of k.trace_text().split('\n')) if (line) ctx.trace(line);
    const blocks = k.api.nr_vmap_blocks();
    const m = machineFigures(k, { operations: ops, allocations: touches.length, failedAllocations: failed, touches, bugs: 0 });
    const mib = (blocks * BITS * PAGE_SIZE) / 2 ** 20;
    const notes = [
      `${n(blocks)} vmap blocks live after ${n(iterations)} rounds (at most ${n(maxBlocks)}), holding ${n(mib)} MiB of vmalloc space with nothing mapped in them`,
      `blocks of ${BITS} pages; each round maps 16 pages once and 8 pages ${(BITS - 16) / 8 - 1} times, leaving 8 pages free`,
      !carries(ctx.kernel, 'vm_map_ram-exhaustion') ? 'before the fix: new blocks go to the head of the free list, the old fragmented ones are never visited' : 'with the fix: new blocks go to the tail, the old block fills up, becomes fully dirty and is freed',
    ];
    return { figures: m.figures, counters: m.counters, flushCost: m.flushCost, lockStat: m.lockStat, touchSeries: sample(touches), notes };
  },
  summarize(cells) {
    return [
      ...cells.map((c) => `${c.kernel} (${c.cpus} CPUs): ${/^([\d,]+) vmap blocks/.exec(c.result.notes?.[0] ?? '')?.[1] ?? '?'} blocks live, ${n(c.result.figures.purges)} purges`),
      'before the fix the live blocks grow by one per round and only a synchronous purge (vm_unmap_aliases, or a failed allocation: on 32-bit soon, on x86-64 practically never) frees them',
    ];
  },
};
