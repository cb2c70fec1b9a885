// SPDX-License-Identifier: GPL-2.0-only
/*
 * ne-split-failslab: reference §7 item 13. The augmented free tree of v5.2
 * cuts a request out of the middle of a free block ("no edge", NE_FIT_TYPE)
 * with a second vmap_area for the left remainder, allocated under
 * vmap_area_lock with GFP_NOWAIT. Under memory pressure that allocation
 * fails and the vmalloc fails although the address space is free. Fixed for
 * v5.3 by 82dd23e84be3 ("mm/vmalloc.c: preload a CPU with one object for
 * split purpose", Uladzislau Rezki): alloc_vmap_area preloads one spare
 * node per CPU with the caller's GFP_KERNEL before taking the lock (the
 * preload_this_cpu_lock() of 6.1 and 6.12).
 *
 * Memory pressure is CONFIG_FAILSLAB with ignore-gfp-wait: every slab
 * allocation of a vmap_area that cannot sleep (no __GFP_DIRECT_RECLAIM)
 * fails, the ones that may reclaim succeed. The versions before 5.2 have no
 * NE split: their only vmap_area allocation uses the caller's mask.
 */

import { hex } from '../../kernel/include/u64.js';
import { PAGE_SIZE, VMALLOC_END_4LEVEL as VE, VMALLOC_START_4LEVEL as VS } from '../../kernel/include/asm/page.js';
import { __GFP_DIRECT_RECLAIM } from '../../kernel/mm/vmalloc/common.js';
import { AllocSession } from '../run/alloc-session.js';
import type { Scenario } from '../run/scenario.js';

export const neSplitFailslab: Scenario = {
  name: 'ne-split-failslab',
  description:
    'failslab fails every vmap_area allocation that cannot sleep: v5.2 takes its no-edge split node with GFP_NOWAIT and fails vmallocs in free space; 5.3+ preload it with GFP_KERNEL (82dd23e84be3)',
  params: [
    { name: 'allocs', kind: 'int', default: 8, min: 1, max: 100000, description: 'allocations: the first page aligned, the rest aligned to align_pages' },
    { name: 'size_pages', kind: 'int', default: 2, min: 1, max: 1 << 20, description: 'size of each allocation, pages' },
    { name: 'align_pages', kind: 'int', default: 512, min: 1, max: 1 << 20, powerOfTwo: true, description: 'alignment after the first allocation, pages' },
  ],
  versions: ['linux-2.6.35', 'mmotm-2010-vmap-cache-v1', 'linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.12'],
  defaults: { kernels: ['linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.12'], cpus: [1] },
  run(ctx) {
    const size = (ctx.params.size_pages as number) * PAGE_SIZE;
    const alignPages = ctx.params.align_pages as number;
    let failslab = 0;
    let passed = 0;
    let armed = false; // boot (vmalloc_init's free space) runs before the pressure starts
    const s = new AllocSession(ctx.kernel, ctx.cpus, undefined, {
      should_failslab(gfp_mask: number): boolean {
        if (!armed) return false;
        if (gfp_mask & __GFP_DIRECT_RECLAIM) {
          passed++;
          return false;
        }
        failslab++;
        return true;
      },
    });
    const lines: string[] = [];
    armed = true;
    s.run(() => {
      for (let i = 0; i < (ctx.params.allocs as number); i++) {
        const align = i === 0 ? PAGE_SIZE : alignPages * PAGE_SIZE;
        const va = s.alloc(size, align, VS, VE);
        lines.push(`alloc ${i + 1}, align ${hex(align)}: ${typeof va === 'string' ? va : `[${hex(va.va_start)}, ${hex(va.va_end)})`}`);
      }
    });
    return s.result([
      `vmap_area slab allocations: ${passed} may sleep and succeed, ${failslab} cannot sleep and fail (failslab, ignore-gfp-wait)`,
      ...lines,
    ]);
  },
};
