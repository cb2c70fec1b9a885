// SPDX-License-Identifier: GPL-2.0-only
/*
 * stale-tlb-vm-unmap-aliases: fc1e0d980037 (Thomas Gleixner, "mm/vmalloc:
 * prevent stale TLBs in fully utilized blocks", v6.5; reference §7.10).
 * _vm_unmap_aliases() walked only each CPU's vbq->free list. A vmap block
 * whose free space reached zero is taken off that list, and while it is not
 * fully dirty it is not purged either, so the pages unmapped from it
 * (vm_unmap_ram: PTEs cleared, flush deferred) were never flushed: after
 * vm_unmap_aliases() promised that no alias was left, another CPU could
 * still reach such a page through a stale TLB entry, and the page's next
 * owner's data through it. The fix walks the xarray of all blocks instead.
 *
 * CPU 0 vm_map_ram()s single pages until its block is fully used, CPU 1
 * reads one of them, CPU 0 vm_unmap_ram()s it, the page goes to another
 * owner who writes it, CPU 0 calls vm_unmap_aliases(), CPU 1 reads the
 * address again. Before the fix (linux-2.6.39 .. linux-6.1; Debian's 6.1.192
 * does not carry it) the checker reports a use-after-unmap and CPU 1 reads
 * the new owner's 0x2222; with it (linux-6.1+fc1e0d980037, linux-6.12) CPU 1
 * takes a page fault. On linux-2.6.35 vb_free does not even clear the PTE,
 * so the page stays mapped (a note, not a checker report).
 *
 * The logic is vmapBlockAliases() of stale-tlb.ts.
 */

import { BUILTIN_MANIFESTS, carries } from '../../kernel/manifest/index.js';
import type { Scenario } from '../run/scenario.js';
import { vmapBlockAliases } from './stale-tlb.js';
import { libraryOptions, newCounts, staleTlbResult, summarizeReports } from './stale-tlb-run.js';

export const staleTlbVmUnmapAliases: Scenario = {
  name: 'stale-tlb-vm-unmap-aliases',
  description: 'fc1e0d980037: a page unmapped from a fully used vmap block stays in another CPU\'s TLB after vm_unmap_aliases() (before v6.5)',
  params: [],
  versions: ['linux-2.6.35', 'linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.1+fc1e0d980037', 'linux-6.12'],
  defaults: { kernels: ['linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.1+fc1e0d980037', 'linux-6.12'], cpus: [2] },
  run(ctx) {
    const counts = newCounts();
    const r = vmapBlockAliases(ctx.kernel, libraryOptions(ctx, counts));
    const fixed = carries(ctx.kernel, 'fc1e0d980037');
    return staleTlbResult(ctx, r, counts, [fixed ? 'has fc1e0d980037: _vm_unmap_aliases() walks every block' : 'before fc1e0d980037: _vm_unmap_aliases() walks vbq->free only']);
  },
  summarize(cells) {
    return [...summarizeReports(cells), `expected: a use-after-unmap before the fix, none on ${BUILTIN_MANIFESTS.filter((m) => m.machine && m.carries.includes('fc1e0d980037')).map((m) => m.name).join(' and ')} (fc1e0d980037)`];
  },
};
