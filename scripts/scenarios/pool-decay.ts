// SPDX-License-Identifier: GPL-2.0-only
/*
 * pool-decay: decay_va_pool_node() before and after 6.16 ("mm/vmalloc: do
 * not empty small pools on a non-full decay", in 7.3's text). With more
 * than one vmap node (2+ CPUs) a purge by the drain work puts lazily freed
 * vmalloc-range areas of up to 256 pages into their node's per-size pool,
 * and every purge first decays the pools by a quarter. 6.12 computed the
 * quarter as len >> 2 and pre-decremented it unsigned: for a pool of 1..3
 * areas that is 0, it wraps, and the whole pool went back to the free tree
 * at the next non-full purge. 7.3 gives back len >> 2 areas: such a pool
 * stays, and the next allocations of that size take the pooled addresses
 * (most recently pooled first) instead of the lowest fit.
 *
 * Allocator level, CPU 0: `n` areas of `pages` pages and a one-page barrier
 * are allocated over the whole vmalloc range, all `n` are lazily freed, the
 * drain work runs twice (the second time with nothing new pending: only
 * the decay), and `n` areas of the same size are allocated again.
 */

import { hex } from '../../kernel/include/u64.js';
import { VMALLOC_END_4LEVEL as VE, VMALLOC_START_4LEVEL as VS } from '../../kernel/include/asm/page.js';
import { AllocSession } from '../run/alloc-session.js';
import type { Scenario } from '../run/scenario.js';

const P = 0x1000;

export const poolDecay: Scenario = {
  name: 'pool-decay',
  description: 'pools of fewer than 4 purged areas: 6.12 empties them at the next non-full purge, 7.3 (6.16+) keeps them, so at 2+ CPUs the next same-size vmallocs reuse the pooled addresses instead of the lowest fit',
  params: [
    { name: 'pages', kind: 'int', default: 2, min: 1, max: 256, description: 'pages per area (guard page included)' },
    { name: 'n', kind: 'int', default: 2, min: 1, max: 64, description: 'areas freed and allocated again' },
  ],
  versions: ['linux-6.12', 'linux-7.3'],
  defaults: { kernels: ['linux-6.12', 'linux-7.3'], cpus: [1, 2] },
  run(ctx) {
    const size = (ctx.params.pages as number) * P;
    const n = ctx.params.n as number;
    const s = new AllocSession(ctx.kernel, ctx.cpus);
    const drain = (s.a as unknown as { drain_vmap_area_work(): void }).drain_vmap_area_work.bind(s.a);
    const first: string[] = [];
    const again: string[] = [];
    s.run(() => {
      const vas = [];
      for (let i = 0; i < n; i++) {
        const va = s.alloc(size, 1, VS, VE);
        if (typeof va === 'string') throw new Error('pool-decay: the set-up allocations failed');
        vas.push(va);
        first.push(hex(va.va_start));
      }
      s.alloc(P, 1, VS, VE); // a barrier: the freed ones cannot merge upwards
      for (const va of vas) s.lazyFree(va);
      drain(); // the threshold purge: into the pools (2+ nodes)
      drain(); // the next one, nothing new pending: only the decay
      for (let i = 0; i < n; i++) {
        const va = s.alloc(size, 1, VS, VE);
        again.push(typeof va === 'string' ? va : hex(va.va_start));
      }
    });
    const reused = again.filter((x, i) => x !== first[i]).length;
    return s.result([
      `first: ${first.join(' ')}`,
      `again: ${again.join(' ')}`,
      `${reused} of ${n} allocation(s) away from the first placement (pooled addresses, most recent first)`,
    ]);
  },
};
