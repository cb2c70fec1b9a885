// SPDX-License-Identifier: GPL-2.0-only
/*
 * hugh-ioremap-bug: the four-step ioremap sequence that made the mmotm vmap
 * area cache hit BUG_ON(first->va_start < addr) (Steven Whitehouse, 14 Jul
 * 2010; Hugh Dickins, 6 Jan 2011; reference/vmalloc-history.md §2.5).
 *
 * It needs a vstart that is not a multiple of the ioremap alignment, as on
 * 32-bit x86 of the time (VMALLOC_START = high_memory + 8 MiB, page aligned
 * only). On x86-64 VMALLOC_START is aligned to every ioremap alignment, so the
 * scenario starts the range at VMALLOC_START + `offset`.
 *
 * Steps (sizes include the guard page __get_vm_area_node adds):
 *   1. vmalloc(7 pages)     -> S, 8 pages, align 1
 *   2. vmalloc(1 page)      -> N, 2 pages, align 1
 *   3. ioremap(256 KiB)     -> C, 0x41000, align 1 << min(fls(0x40000), 19) = 0x80000
 *   4. ioremap(8 KiB)       -> 0x3000, align 0x4000 (the i915 OpRegion)
 * The mmotm patch BUGs on step 4; linux-2.6.39 places it at V+0xE000.
 */

import { hex } from '../../kernel/include/u64.js';
import { VMALLOC_END_4LEVEL, VMALLOC_START_4LEVEL } from '../../kernel/include/asm/page.js';
import { AllocSession } from '../run/alloc-session.js';
import type { Scenario } from '../run/scenario.js';

export const hughIoremapBug: Scenario = {
  name: 'hugh-ioremap-bug',
  description: "Hugh Dickins' ioremap-alignment sequence: BUG_ON(first->va_start < addr) on the mmotm vmap area cache, a normal allocation after his fix",
  params: [{ name: 'offset', kind: 'int', default: 0x2000, min: 0, max: 0x7f000, description: 'vstart = VMALLOC_START + offset (must not be a multiple of 0x4000 to reach the BUG)' }],
  defaults: { kernels: ['mmotm-2010-vmap-cache-v1', 'linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1'], cpus: [1] },
  run(ctx) {
    const s = new AllocSession(ctx.kernel, ctx.cpus);
    const V = VMALLOC_START_4LEVEL + (ctx.params.offset as number);
    const VE = VMALLOC_END_4LEVEL;
    const steps: [string, number, number][] = [
      ['vmalloc(7 pages)', 0x8000, 1],
      ['vmalloc(1 page)', 0x2000, 1],
      ['ioremap(256 KiB)', 0x41000, 0x80000],
      ['ioremap(8 KiB)', 0x3000, 0x4000],
    ];
    const notes: string[] = [];
    s.run(() => {
      for (const [what, size, align] of steps) {
        const va = s.alloc(size, align, V, VE);
        notes.push(typeof va === 'string' ? `${what}: ${va}` : `${what}: [V+0x${(va.va_start - V).toString(16)}, V+0x${(va.va_end - V).toString(16)})`);
      }
    });
    if (s.bug) notes.push(`BUG at ${s.bug.func}:${s.bug.line} ${s.bug.cond} (V = ${hex(V)})`);
    return s.result(notes);
  },
};
