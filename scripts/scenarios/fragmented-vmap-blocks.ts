// SPDX-License-Identifier: GPL-2.0-only
/*
 * fragmented-vmap-blocks: 02b709df817c (Nick Piggin, "mm: purge fragmented
 * percpu vmap blocks", v2.6.33; Christoph Hellwig's vmap allocation
 * failures with XFS; reference §7 item 3).
 *
 * Before it a vmap block was released only once every one of its pages had
 * been allocated and freed. A block whose remaining free pages are too few
 * for the requests that follow keeps its whole VMAP_BLOCK_SIZE of vmalloc
 * space although nothing is mapped in it, and when the range runs out
 * vm_map_ram() fails. The commit frees such blocks (free + dirty ==
 * VMAP_BBMAP_BITS, not fully dirty) on every synchronous purge, which a
 * failing alloc_vmap_area() does before its retry.
 *
 * The scenario runs Roman Pen's sequence (vm-map-ram-exhaustion: map and
 * unmap 16 pages, then 8 pages until 8 are left; every round leaves one
 * such block behind on the kernels before ~4.1) on a kernel booted with a
 * small vmalloc range, and counts the rounds done before vm_map_ram()
 * fails. linux-2.6.35-02b709df is 2.6.35 with the commit reverted (the
 * 2.6.32 vmap blocks).
 */

import { bootKernel } from '../../kernel/boot.js';
import type { FlushEraName } from '../../kernel/arch/x86/mm/tlb.js';
import { VMALLOC_START_4LEVEL } from '../../kernel/include/asm/page.js';
import { machineFigures } from '../run/machine-metrics.js';
import type { Scenario } from '../run/scenario.js';
import { sample } from '../run/stats.js';

const n = (x: number) => x.toLocaleString('en-US');

export const fragmentedVmapBlocks: Scenario = {
  name: 'fragmented-vmap-blocks',
  description:
    'vm_map_ram rounds that each leave a fragmented vmap block, in a small vmalloc range: without 02b709df (2.6.32 blocks) vm_map_ram fails once the range is full; with it the failing allocation purges the blocks and goes on',
  params: [
    { name: 'rounds', kind: 'int', default: 100, min: 1, max: 1000000, description: "rounds of Roman Pen's sequence" },
    { name: 'vmalloc_mib', kind: 'int', default: 16, min: 4, max: 65536, multipleOf: 4, description: 'size of the vmalloc range, MiB' },
    { name: 'block_pages', kind: 'enum', default: '256', values: ['128', '256', '512', '1024'], description: 'pages per vmap block (VMAP_BBMAP_BITS)' },
  ],
  versions: ['linux-2.6.35-02b709df', 'linux-2.6.35', 'linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.12'],
  defaults: { kernels: ['linux-2.6.35-02b709df', 'linux-2.6.35', 'linux-3.18'], cpus: [1] },
  run(ctx) {
    const rounds = ctx.params.rounds as number;
    const mib = ctx.params.vmalloc_mib as number;
    const bits = Number(ctx.params.block_pages);
    const k = bootKernel({
      version: ctx.kernel,
      cpus: ctx.cpus,
      NR_CPUS: 2 ** 21 / bits, // VMAP_BBMAP_BITS = VMALLOC_PAGES (2^25) / NR_CPUS / 16
      flushEra: ctx.flushEra as FlushEraName | undefined,
      machine: { cpus: ctx.cpus, seed: ctx.seed, costs: ctx.costs },
      vmalloc: { start: VMALLOC_START_4LEVEL, end: VMALLOC_START_4LEVEL + mib * 1024 * 1024 - 1 },
    });
    if (k.api.VMAP_BBMAP_BITS !== bits) throw new Error(`fragmented-vmap-blocks: ${ctx.kernel} sized its blocks at ${k.api.VMAP_BBMAP_BITS} pages, not ${bits}`);
    const pages = k.alloc_pages(16);
    const touches: number[] = [];
    let ops = 0;
    let failedAt = 0;
    let done = 0;
    let maxBlocks = 0;
    const map = (count: number): boolean => {
      const t0 = k.touchesOn(0);
      const a = k.vm_map_ram(0, pages.slice(0, count));
      touches.push(k.touchesOn(0) - t0);
      ops++;
      if (!a) return false;
      k.vm_unmap_ram(0, a, count);
      ops++;
      return true;
    };
    round: for (let r = 1; r <= rounds; r++) {
      if (!map(16)) {
        failedAt = r;
        break;
      }
      for (let i = 0; i < (bits - 16) / 8 - 1; i++)
        if (!map(8)) {
          failedAt = r;
          break round;
        }
      done = r;
      maxBlocks = Math.max(maxBlocks, k.api.nr_vmap_blocks());
      ctx.progress?.(r, rounds);
    }
    k.flush_work();
    if (ctx.trace) for (const line of k.trace_text().split('\n')) if (line) ctx.trace(line);
    const m = machineFigures(k, { operations: ops, allocations: touches.length, failedAllocations: failedAt ? 1 : 0, touches, bugs: 0 });
    const notes = [
      failedAt ? `vm_map_ram() failed in round ${n(failedAt)}, after ${n(done)} rounds` : `all ${n(rounds)} rounds done`,
      `at most ${n(maxBlocks)} vmap blocks of ${bits} pages live at once in the ${mib} MiB range; ${n(k.purges.length)} purges`,
    ];
    return { figures: m.figures, counters: m.counters, flushCost: m.flushCost, lockStat: m.lockStat, touchSeries: sample(touches), notes };
  },
};
