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

import { hex } from '../../kernel/include/u64';
import { VMALLOC_START_4LEVEL as VS } from '../../kernel/include/asm/page';
import { AllocSession } from '../run/alloc-session';
import { Scenario } from '../run/scenario';

export const exactRangeAlign: Scenario = {
  name: 'exact-range-align',
  description: 'a request exactly as long as its empty, aligned window, with align = PAGE_SIZE << k: v5.2..v5.15 fail it, v5.16+ serve it (9f531973dff3)',
  params: [
    { name: 'size_mib', kind: 'int', default: 16, min: 1, max: 1024, description: 'size of the request and of its window, MiB' },
    { name: 'max_shift', kind: 'int', default: 12, min: 0, max: 12, description: 'try align = PAGE_SIZE << k for k = 0..max_shift' },
  ],
  versions: ['linux-5.2', 'linux-6.1', 'linux-6.12'],
  defaults: { kernels: ['linux-5.2', 'linux-6.1', 'linux-6.12'], cpus: [1] },
  run(ctx) {
    const size = (ctx.params.size_mib as number) * 0x100000;
    const s = new AllocSession(ctx.kernel, ctx.cpus);
    const vstart = VS + 0x40000000; // 1 GiB in: aligned to every alignment tried
    const results: string[] = [];
    s.run(() => {
      for (let k = 0; k <= (ctx.params.max_shift as number); k++) {
        const align = 0x1000 * 2 ** k;
        const va = s.alloc(size, align, vstart, vstart + size);
        results.push(`align ${hex(align)}: ${typeof va === 'string' ? va : `[${hex(va.va_start)}, ${hex(va.va_end)})`}`);
        if (typeof va !== 'string') s.free(va);
      }
    });
    return s.result([`window [${hex(vstart)}, ${hex(vstart + size)})`, ...results]);
  },
};
