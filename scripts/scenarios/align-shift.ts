// SPDX-License-Identifier: GPL-2.0-only
/*
 * align-shift: lib/test_vmalloc.c's align_shift_alloc_test, allocator only.
 * For i = 0 .. BITS_PER_LONG-1 it asks for one page (two with the guard
 * page) aligned to 1 << i; large alignments are "supposed to fail".
 *
 * The bug it found (reference §7 item 8; fixed in v5.1 by afd07389d3f4,
 * Uladzislau Rezki): in the cache allocator ALIGN() of a huge alignment wraps
 * to 0, `addr + size > vend` does not catch it, and the post-insert
 * BUG_ON(va->va_start < vstart) fires. linux-2.6.35 has no such check and
 * returns an area at address 0, below vstart; the augmented tree of 5.2+
 * fails such requests cleanly.
 */

import { fromBigInt, hex, uge, ule } from '../../kernel/include/u64.js';
import { VMALLOC_END_4LEVEL as VE, VMALLOC_START_4LEVEL as VS } from '../../kernel/include/asm/page.js';
import { AllocSession } from '../run/alloc-session.js';
import type { Scenario } from '../run/scenario.js';

export const alignShift: Scenario = {
  name: 'align-shift',
  description: "test_vmalloc's align_shift_alloc_test: one page aligned to 1 << i for i = 0..63; the ALIGN() wrap BUG fixed in v5.1 (afd07389d3f4)",
  params: [{ name: 'pages', kind: 'int', default: 1, min: 1, max: 1024, description: 'pages per allocation (the guard page is added)' }],
  defaults: { kernels: ['linux-2.6.35', 'linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1'], cpus: [1] },
  run(ctx) {
    const s = new AllocSession(ctx.kernel, ctx.cpus);
    const size = ((ctx.params.pages as number) + 1) * 0x1000;
    const failed: number[] = [];
    const outside: string[] = [];
    let ok = 0;
    s.run(() => {
      for (let i = 0; i < 64; i++) {
        const va = s.alloc(size, fromBigInt(1n << BigInt(i)), VS, VE);
        if (typeof va === 'string') {
          failed.push(i);
          continue;
        }
        ok++;
        if (!(uge(va.va_start, VS) && ule(va.va_end, VE))) outside.push(`1 << ${i} -> ${hex(va.va_start)}`);
        s.free(va);
      }
    });
    const notes = [`${ok} allocations succeeded`];
    if (failed.length) notes.push(`failed cleanly (EBUSY) for alignments 1 << ${failed[0]} .. 1 << ${failed[failed.length - 1]} (${failed.length} of them)`);
    if (outside.length) notes.push(`${outside.length} areas placed OUTSIDE [vstart, vend): ${outside.slice(0, 3).join(', ')}${outside.length > 3 ? ', ...' : ''}`);
    return s.result(notes);
  },
};
