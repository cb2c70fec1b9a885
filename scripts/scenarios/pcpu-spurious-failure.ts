// SPDX-License-Identifier: GPL-2.0-only
/*
 * pcpu-spurious-failure: the percpu allocator's vmalloc side on a NUMA
 * machine. pcpu_get_vm_areas() places one unit per NUMA group at fixed
 * offsets from a common base, top-down. v5.2's rewrite for the augmented
 * free tree (68ad4a330433) tested each group's unit against the free block
 * found under it with "base + start < va->va_start || base + end >
 * va->va_end" and, on either, went to the *previous* free block: a unit that
 * merely reaches above a free block (its lower part in the block, the rest
 * over a busy area) skipped that block whatever its size. Dave Hansen's
 * boxes saw percpu allocations fail, then panics in slub and cgroup mkdir
 * (lkml 2019/6/19/939). Fixed for 5.3-rc5 ("mm/vmalloc.c: fix percpu free
 * VM area search criteria", Kuppuswamy Sathyanarayanan, index id
 * 45787669855): pull base down inside the block first.
 *
 * The layout: a busy area B = [X, END - distance/2), X = END - distance -
 * gap, where END is VMALLOC_END aligned down to the 2 MiB unit; above B
 * free space, below it the rest of the range (some 32 TiB) free. The
 * highest group's unit fits at the top; the lowest group's unit at
 * END - distance - unit lands on B. The versions before 5.2 search the busy
 * tree and pull base under B; 5.3+ (6.1, 6.12) do too; 5.2 fails.
 */

import { hex } from '../../kernel/include/u64.js';
import { PAGE_SIZE, VMALLOC_END_4LEVEL, VMALLOC_START_4LEVEL } from '../../kernel/include/asm/page.js';
import { AllocSession } from '../run/alloc-session.js';
import type { Scenario } from '../run/scenario.js';

const MIB = 1024 * 1024;
/** The x86 percpu atom: PMD_SIZE. */
const UNIT = 2 * MIB;

export const pcpuSpuriousFailure: Scenario = {
  name: 'pcpu-spurious-failure',
  description:
    'pcpu_get_vm_areas on NUMA: v5.2 skips a free block that the lower group\'s unit only partly covers and fails with terabytes free; the 5.3-rc5 fix pulls the base down inside it',
  params: [
    { name: 'groups', kind: 'int', default: 2, min: 1, max: 8, description: 'NUMA groups: units per chunk, one per group' },
    { name: 'distance_mib', kind: 'int', default: 1024, min: 2, max: 1 << 20, multipleOf: 2, description: 'distance between consecutive groups\' units, MiB (a multiple of the 2 MiB unit)' },
    { name: 'gap_mib', kind: 'int', default: 64, min: 2, max: 1 << 20, multipleOf: 2, description: 'how far the busy area reaches below the lowest group\'s first slot, MiB' },
    { name: 'chunks', kind: 'int', default: 4, min: 1, max: 4096, description: 'percpu chunks to create' },
  ],
  versions: ['linux-2.6.35', 'mmotm-2010-vmap-cache-v1', 'linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.12'],
  defaults: { kernels: ['linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.12'], cpus: [1] },
  run(ctx) {
    const groups = ctx.params.groups as number;
    const distance = (ctx.params.distance_mib as number) * MIB;
    const gap = (ctx.params.gap_mib as number) * MIB;
    // VMALLOC_END & ~(UNIT - 1): VMALLOC_END is one below a 2 MiB boundary.
    const END = VMALLOC_END_4LEVEL + 1 - UNIT;
    const top = END - (groups - 1) * distance; // the lowest group's unit ends here at the first try
    const X = top - gap;
    const bEnd = END - (groups > 1 ? distance / 2 : UNIT * 2);
    const s = new AllocSession(ctx.kernel, ctx.cpus);
    const offsets = Array.from({ length: groups }, (_, g) => g * distance);
    const sizes = offsets.map(() => UNIT);
    const lines: string[] = [];
    let served = 0;
    s.run(() => {
      const b = s.alloc(bEnd - X, PAGE_SIZE, X, bEnd);
      lines.push(`busy area B: ${typeof b === 'string' ? b : `[${hex(b.va_start)}, ${hex(b.va_end)})`}; free below it: ${((X - VMALLOC_START_4LEVEL) / 2 ** 40).toFixed(1)} TiB of the vmalloc range`);
      for (let c = 0; c < (ctx.params.chunks as number); c++) {
        const vas = s.pcpu(offsets, sizes, UNIT);
        if (vas === 'NULL') lines.push(`chunk ${c + 1}: pcpu_get_vm_areas -> NULL ("allocation failed" in pcpu_alloc)`);
        else {
          served++;
          lines.push(`chunk ${c + 1}: ${vas.map((v, g) => `group ${g} at ${hex(v.va_start)}`).join(', ')}`);
        }
      }
    });
    return s.result([`${served} of ${ctx.params.chunks} chunks served (${groups} group${groups > 1 ? 's' : ''} ${distance / MIB} MiB apart, 2 MiB units)`, ...lines]);
  },
};
