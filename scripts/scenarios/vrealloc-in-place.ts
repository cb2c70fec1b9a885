// SPDX-License-Identifier: GPL-2.0-only
/*
 * vrealloc-in-place: vrealloc() of 6.12.95 against 7.3's. Both grow in
 * place while the new size fits what the area already maps, and reallocate
 * (vmalloc anew, copy, vfree: a lazy free) beyond it. They differ on a
 * shrink: 6.12 only lowers requested_size, the pages stay mapped, and a
 * later growth back up to the area's size stays in place; 7.3 frees the
 * pages past the new size at once (vunmap_range(): one
 * flush_tlb_kernel_range() now, IPIs on a CPU without INVLPGB) and its
 * in-place limit becomes vm->nr_pages pages, so the same growth back
 * reallocates.
 *
 * On the machine, CPU 0: p = vmalloc(`bytes`), then vrealloc(p, s) for each
 * size of `sizes` (bytes, comma separated), each on the pointer the last
 * call returned.
 */

import { bootKernel } from '../../kernel/boot.js';
import type { FlushEraName } from '../../kernel/arch/x86/mm/tlb.js';
import { hex, type ulong } from '../../kernel/include/u64.js';
import type { vmalloc_api } from '../../kernel/mm/vmalloc/api/common.js';
import { machineFigures } from '../run/machine-metrics.js';
import type { Scenario } from '../run/scenario.js';

interface with_vrealloc {
  vrealloc(p: ulong, size: ulong, flags?: number, caller?: string): ulong;
}

function hasVrealloc(a: vmalloc_api): a is vmalloc_api & with_vrealloc {
  return typeof (a as Partial<with_vrealloc>).vrealloc === 'function';
}

export const vreallocInPlace: Scenario = {
  name: 'vrealloc-in-place',
  description: 'vmalloc then vrealloc through a list of sizes: in place or moved, pages mapped, and flushes/IPIs per step; 7.3 frees a shrunk tail at once (a flush) and then moves on regrowth where 6.12 stays',
  params: [
    { name: 'bytes', kind: 'int', default: 10000, min: 1, max: 1 << 30, description: 'size of the first vmalloc' },
    { name: 'sizes', kind: 'enum', default: '12288,5000,12000,20000', values: ['12288,5000,12000,20000', '5000,12000', '12288', '4096,16384'], description: 'the vrealloc sizes, in order' },
    { name: 'invlpgb', kind: 'bool', default: false, description: 'the emulated CPU has INVLPGB (qemu64, the real capture\'s CPU, has not)' },
  ],
  versions: ['linux-6.12', 'linux-7.3'],
  defaults: { kernels: ['linux-6.12', 'linux-7.3'], cpus: [2] },
  run(ctx) {
    const k = bootKernel({
      version: ctx.kernel,
      cpus: ctx.cpus,
      flushEra: ctx.flushEra as FlushEraName | undefined,
      machine: { cpus: ctx.cpus, seed: ctx.seed, invlpgb: ctx.params.invlpgb as boolean },
    });
    if (!hasVrealloc(k.api)) throw new Error(`vrealloc-in-place: ${ctx.kernel} has no vrealloc()`);
    const sizes = (ctx.params.sizes as string).split(',').map(Number);
    const state = () => ({ flushes: k.tlbstats.kernel_range_requests, ipis: k.ipisSent(), invlpgb: k.tlbstats.invlpgb });
    const pagesOf = (p: ulong) => k.find_vm_area(p)?.nr_pages ?? 0;
    let p = k.vmalloc(0, ctx.params.bytes as number);
    const notes = [`vmalloc(${ctx.params.bytes as number}) = ${hex(p)}, ${pagesOf(p)} page(s) mapped`];
    let ops = 1;
    for (const size of sizes) {
      const s0 = state();
      const q = k.call(0, 'vrealloc', (api) => (api as vmalloc_api & with_vrealloc).vrealloc(p, size));
      const s1 = state();
      ops++;
      notes.push(
        `vrealloc(${size}) = ${q ? hex(q) : 'NULL'} ${q === p ? 'in place' : 'moved'}, ${q ? pagesOf(q) : 0} page(s) mapped; ${s1.flushes - s0.flushes} flush(es), ${s1.ipis - s0.ipis} IPI(s), ${s1.invlpgb - s0.invlpgb} INVLPGB`,
      );
      if (q) p = q;
    }
    const lazy = k.allocator.vmap_lazy_nr;
    notes.push(`lazily freed pages pending: ${lazy}`);
    k.flush_work();
    const m = machineFigures(k, { operations: ops, allocations: ops, failedAllocations: 0, touches: [], bugs: 0 });
    return { ...m, notes };
  },
};
