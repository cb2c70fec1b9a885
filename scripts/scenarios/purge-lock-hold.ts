// SPDX-License-Identifier: GPL-2.0-only
/*
 * purge-lock-hold: reference §7 item 6. A purge releases every lazily
 * freed area under the allocator's spinlock (vmap_area_lock, later
 * free_vmap_area_lock) with preemption off; with lazy_max_pages worth of
 * areas that took tens of milliseconds. 763b218ddfaf (v4.10, Joel
 * Fernandes, "mm: add preempt points into __purge_vmap_area_lazy()") put a
 * cond_resched_lock() after each area; 6.1 keeps it while vmap_lazy_nr is
 * below twice lazy_max_pages. The 6.9 per-node rework merges the areas that
 * go back to the global free tree in reclaim_list_global(), one hold for
 * the whole list and no resched point: with one vmap node (one CPU) that is
 * every purged area again. With several nodes a drain parks small areas in
 * the per-node pools instead (one pool_lock hold per area), but the next
 * full decay (purge_vmap_area_lazy(), e.g. on an allocation failure) hands
 * a whole pool back to the global tree in one hold.
 *
 * The run allocates `areas` areas of `pages` pages (twice as many with
 * free=alternate), frees `areas` of them lazily in allocation order (every
 * other one with free=alternate, so that no two freed areas touch; purges
 * start whenever vmap_lazy_nr passes lazy_max_pages), then purges what is
 * left. With free=all, 6.1 merges neighbouring lazily freed areas on its
 * purge tree while they wait, and releases them as one. Every stretch of a purge's
 * release loop between taking the lock (or passing a resched point) and the
 * next resched point (or dropping it) is measured in areas released and in
 * rb_entry()/list_entry() evaluations; only non-empty stretches count.
 */

import { PAGE_SIZE, VMALLOC_END_4LEVEL as VE, VMALLOC_START_4LEVEL as VS } from '../../kernel/include/asm/page.js';
import type { vmap_area_common } from '../../kernel/mm/vmalloc/common.js';
import { AllocSession } from '../run/alloc-session.js';
import { CYCLES_PER_TOUCH } from '../run/machine-metrics.js';
import type { Scenario } from '../run/scenario.js';

/** One stretch of a purge's release loop under the lock. */
interface Stretch {
  areas: number;
  touches: number;
}

export const purgeLockHold: Scenario = {
  name: 'purge-lock-hold',
  description:
    'areas a purge releases under one hold of the allocator lock: all of them before 4.10, one per resched point after 763b218ddfaf, all again in 6.12 with one vmap node (reclaim_list_global)',
  params: [
    { name: 'areas', kind: 'int', default: 10000, min: 1, max: 1000000, description: 'areas freed lazily (twice as many allocated with free=alternate)' },
    { name: 'pages', kind: 'int', default: 1, min: 1, max: 256, description: 'pages per area' },
    {
      name: 'free',
      kind: 'enum',
      default: 'alternate',
      values: ['alternate', 'all'],
      description: 'alternate: allocate twice as many and free every other one (no two freed areas touch); all: free every area (6.1 merges neighbours while they wait)',
    },
  ],
  versions: ['linux-2.6.35', 'mmotm-2010-vmap-cache-v1', 'linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.12'],
  defaults: { kernels: ['linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.12'], cpus: [1] },
  run(ctx) {
    const nareas = ctx.params.areas as number;
    const size = (ctx.params.pages as number) * PAGE_SIZE;
    const stretches: Stretch[] = [];
    let current: Stretch | null = null;
    let touchesAt = 0;
    let resched = 0;
    const open = (): void => {
      current = { areas: 0, touches: 0 };
      touchesAt = session.a.touches;
    };
    const close = (): void => {
      if (current && current.areas > 0) stretches.push({ areas: current.areas, touches: session.a.touches - touchesAt });
      current = null;
    };
    const session: AllocSession = new AllocSession(ctx.kernel, ctx.cpus, undefined, {
      spin_lock: open,
      cond_resched_lock() {
        resched++;
        close();
        open();
      },
      spin_unlock: close,
      purge_released() {
        if (current) current.areas++;
      },
    });
    const alternate = ctx.params.free === 'alternate';
    const areas: vmap_area_common[] = [];
    session.run(() => {
      for (let i = 0; i < (alternate ? 2 * nareas : nareas); i++) {
        const va = session.alloc(size, 1, VS, VE);
        if (typeof va === 'string') throw new Error(`purge-lock-hold: allocation ${i + 1} failed (${va})`);
        areas.push(va);
      }
      for (let i = 0; i < areas.length; i += alternate ? 2 : 1) session.lazyFree(areas[i]!);
      session.purge();
    });
    const released = stretches.reduce((n, s) => n + s.areas, 0);
    const longest = stretches.reduce((m, s) => (s.touches > m.touches ? s : m), { areas: 0, touches: 0 });
    const most = stretches.reduce((m, s) => Math.max(m, s.areas), 0);
    return session.result([
      `${released} areas released under the lock by ${session.purges} purges, in ${stretches.length} stretches (${resched} resched points passed)`,
      `most areas released in one stretch: ${most}`,
      `longest stretch: ${longest.touches} rb_entry/list_entry evaluations (${longest.areas} areas), about ${Math.round(longest.touches * CYCLES_PER_TOUCH).toLocaleString('en-US')} cycles of tree and list work with the lock held`,
    ]);
  },
};
