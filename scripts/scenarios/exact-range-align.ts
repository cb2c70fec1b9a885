// SPDX-License-Identifier: GPL-2.0-only
/*
 * exact-range-align: reference §7 item 9 (fixed in v5.16 by 9f531973dff3,
 * Uladzislau Rezki; reported by Ping Fang). v5.2's find_vmap_lowest_match()
 * searched for size + align - 1 bytes, so a request whose window is exactly
 * `size` long fails whenever align > 1, although the window is empty and
 * suitably aligned: KASAN's shadow for hot-added memory ("vmap allocation
 * for size 16777216 failed"). The fix searches for `size` and walks on when
 * alignment makes the leftmost candidate unusable.
 */

import { hex } from '../../kernel/include/u64.js';
import { VMALLOC_END_4LEVEL as VE, VMALLOC_START_4LEVEL as VS } from '../../kernel/include/asm/page.js';
import { AllocSession } from '../run/alloc-session.js';
import type { Scenario } from '../run/scenario.js';

export const exactRangeAlign: Scenario = {
  name: 'exact-range-align',
  description: 'a request exactly as long as its free, aligned hole, with align = PAGE_SIZE << k: v5.2..v5.15 fail it, v5.16+ serve it (9f531973dff3)',
  params: [
    { name: 'size_mib', kind: 'int', default: 16, min: 1, max: 1024, description: 'size of the request and of its window, MiB' },
    { name: 'max_shift', kind: 'int', default: 12, min: 0, max: 12, description: 'try align = PAGE_SIZE << k for k = 0..max_shift' },
  ],
  versions: ['linux-5.2', 'linux-6.1', 'linux-6.12'],
  defaults: { kernels: ['linux-5.2', 'linux-6.1', 'linux-6.12'], cpus: [1] },
  run(ctx) {
    const size = (ctx.params.size_mib as number) * 0x100000;
    const s = new AllocSession(ctx.kernel, ctx.cpus);
    // The free tree of test/kernel/mm/vmalloc/linux-5.2.test.ts (derivation
    // there): busy A1 [V, V+P), A2 [V+P, V+2P), A3 [V+2P, W), B [W, W+size),
    // C [W+size, W+size+P) with W = V + size; free A2, then B. The exact hole
    // Y = [W, W+size) hangs below R = [W+size+P, top), off the search path
    // for size + align - 1, as in a larger tree.
    const P = 0x1000;
    const vstart = VS + size; // W: aligned to `size` and to every alignment tried
    const results: string[] = [];
    s.run(() => {
      s.alloc(P, 1, VS, VE);
      const a2 = s.alloc(P, 1, VS, VE);
      s.alloc(vstart - VS - 2 * P, 1, VS, VE);
      const b = s.alloc(size, 1, VS, VE);
      s.alloc(P, 1, VS, VE);
      if (typeof a2 === 'string' || typeof b === 'string') throw new Error('exact-range-align: the set-up allocations failed');
      s.free(a2);
      s.free(b);
      for (let k = 0; k <= (ctx.params.max_shift as number); k++) {
        const align = P * 2 ** k;
        const va = s.alloc(size, align, vstart, vstart + size);
        results.push(`align ${hex(align)}: ${typeof va === 'string' ? va : `[${hex(va.va_start)}, ${hex(va.va_end)})`}`);
        if (typeof va !== 'string') s.free(va);
      }
    });
    return s.result([`free hole and window [${hex(vstart)}, ${hex(vstart + size)})`, ...results]);
  },
};
