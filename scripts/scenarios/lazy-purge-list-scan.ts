// SPDX-License-Identifier: GPL-2.0-only
/*
 * lazy-purge-list-scan: 80c4bd7a5e43 (Chris Wilson, "mm/vmalloc: keep a
 * separate lazy-free list", v4.7; reference §7.5 and §3).
 *
 * Until then __purge_vmap_area_lazy() found the lazily freed areas by
 * walking the whole vmap_area_list, live areas included, looking for
 * VM_LAZY_FREE. Every vm_unmap_aliases() purges synchronously, and x86's
 * set_memory_*() (change_page_attr) calls vm_unmap_aliases(), so a driver
 * that mixed set_memory_wc/wb with vmalloc and vfree (i915) paid a walk
 * over every vmalloc area in the system per call: with tens of thousands of
 * live areas, each attribute change cost O(all areas). The fix pushes each
 * lazily freed area on a lock-less list (vmap_purge_list), and the purge
 * takes that list with llist_del_all(): O(lazily freed areas).
 *
 * The scenario keeps `live` vmallocs of `pages` pages alive on CPU 0, then
 * `rounds` times lazily frees `lazy` fresh areas (vmalloc + vfree) and calls
 * vm_unmap_aliases() as set_memory_wc() would. It counts the list steps of
 * each purge: the list_entry()/rb_entry() evaluations the purge makes (the
 * allocator's touch counter around the vm_unmap_aliases() call). On
 * linux-3.18 they grow with `live`; from linux-5.2 they depend only on
 * `lazy` (5.2: the llist, plus the merges into the free tree; 6.1 and 6.12
 * keep the lazily freed areas in a tree and list of their own).
 *
 * linux-2.6.35/2.6.39 walk the list too, but their vmlist insert is itself
 * O(areas), so the set-up of 50,000 areas takes minutes there.
 */

import { bootKernel } from '../../kernel/boot.js';
import { carries } from '../../kernel/manifest/index.js';
import type { FlushEraName } from '../../kernel/arch/x86/mm/tlb.js';
import { CYCLES_PER_TOUCH, machineFigures } from '../run/machine-metrics.js';
import type { Scenario } from '../run/scenario.js';
import { sample, summarize } from '../run/stats.js';

const PAGE_SIZE = 4096;

export const lazyPurgeListScan: Scenario = {
  name: 'lazy-purge-list-scan',
  description: '80c4bd7a5e43: with N live vmallocs, each vm_unmap_aliases() (set_memory_*) purge walks all N areas before v4.7, only the lazy ones after',
  params: [
    { name: 'live', kind: 'int', default: 50000, min: 0, max: 2000000, description: 'vmalloc areas kept alive' },
    { name: 'pages', kind: 'int', default: 1, min: 1, max: 1024, description: 'pages per vmalloc' },
    { name: 'rounds', kind: 'int', default: 20, min: 1, max: 100000, description: 'vm_unmap_aliases() calls' },
    { name: 'lazy', kind: 'int', default: 16, min: 0, max: 100000, description: 'areas freed lazily (vmalloc + vfree) before each vm_unmap_aliases()' },
  ],
  versions: ['linux-2.6.35', 'linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.12'],
  defaults: { kernels: ['linux-3.18', 'linux-5.2', 'linux-6.1'], cpus: [4] },
  run(ctx) {
    const live = ctx.params.live as number;
    const size = (ctx.params.pages as number) * PAGE_SIZE;
    const rounds = ctx.params.rounds as number;
    const lazy = ctx.params.lazy as number;
    const k = bootKernel({ version: ctx.kernel, cpus: ctx.cpus, trace: !!ctx.trace, flushEra: ctx.flushEra as FlushEraName | undefined, machine: { cpus: ctx.cpus, seed: ctx.seed, costs: ctx.costs } });
    const touches: number[] = [];
    let ops = 0;
    let failed = 0;
    const alloc = (): number => {
      const t0 = k.touchesOn(0);
      const a = k.vmalloc(0, size, 'i915_live_buffer');
      touches.push(k.touchesOn(0) - t0);
      ops++;
      if (a === 0) failed++;
      return a;
    };
    for (let i = 0; i < live; i++) {
      alloc();
      if ((i & 0xfff) === 0) ctx.progress?.(i, live + rounds);
    }
    const steps: number[] = [];
    const lazyAtPurge: number[] = [];
    let otherPurges = 0;
    for (let r = 0; r < rounds; r++) {
      const p0 = k.purges.length;
      for (let j = 0; j < lazy; j++) {
        const a = alloc();
        if (a) {
          k.vfree(0, a);
          ops++;
        }
      }
      otherPurges += k.purges.length - p0;
      lazyAtPurge.push(k.allocator.vmap_lazy_nr);
      const t0 = k.touchesOn(0);
      const p1 = k.purges.length;
      k.vm_unmap_aliases(0); // change_page_attr_set_clr -> vm_unmap_aliases()
      ops++;
      steps.push(k.touchesOn(0) - t0);
      otherPurges += Math.max(0, k.purges.length - p1 - 1);
    }
    k.flush_work();
    if (ctx.trace) for (const line of k.trace_text().split('\n')) if (line) ctx.trace(line);
    const m = machineFigures(k, { operations: ops, allocations: touches.length, failedAllocations: failed, touches, bugs: 0 });
    const s = summarize(steps);
    const perLazy = lazy ? s.mean / lazy : 0;
    const notes = [
      `list steps per purge: mean ${s.mean.toLocaleString('en-US', { maximumFractionDigits: 1 })}, max ${s.max.toLocaleString('en-US')} over ${rounds} vm_unmap_aliases() purges of ${lazy} lazy areas with ${live.toLocaleString('en-US')} live (${!carries(ctx.kernel, '80c4bd7a5e43') ? 'the whole vmap_area_list scanned' : 'only the lazily freed areas visited'})`,
      `${perLazy.toLocaleString('en-US', { maximumFractionDigits: 1 })} steps per lazily freed area purged; ${(s.mean * CYCLES_PER_TOUCH).toLocaleString('en-US', { maximumFractionDigits: 0 })} modelled cycles of list walking per set_memory_* call (${CYCLES_PER_TOUCH} per step, not in the cycles column)`,
    ];
    if (otherPurges) notes.push(`${otherPurges} further purge(s) came from the lazy threshold (lazy_max_pages ${k.allocator.lazy_max_pages()}), not from vm_unmap_aliases()`);
    return { figures: m.figures, counters: m.counters, flushCost: m.flushCost, lockStat: m.lockStat, touchSeries: sample(steps), notes };
  },
  summarize(cells, params) {
    const out: string[] = [];
    const mean = (notes: readonly string[] | undefined) => Number(/mean ([\d,.]+)/.exec(notes?.[0] ?? '')?.[1]?.replace(/,/g, '') ?? NaN);
    for (const c of cells) out.push(`${c.kernel} (${c.cpus} CPUs): ${mean(c.result.notes).toLocaleString('en-US', { maximumFractionDigits: 1 })} list steps per purge`);
    const old = cells.find((c) => !carries(c.kernel, '80c4bd7a5e43'));
    const neu = cells.find((c) => carries(c.kernel, '80c4bd7a5e43') && c.cpus === old?.cpus);
    if (old && neu) out.push(`${old.kernel} / ${neu.kernel}: ${(mean(old.result.notes) / mean(neu.result.notes)).toFixed(0)}x the list steps per vm_unmap_aliases() with ${Number(params.live).toLocaleString('en-US')} live areas`);
    out.push('before 80c4bd7a5e43 (v4.7) the steps grow with the live areas; after it, with the lazily freed ones only');
    return out;
  },
};
