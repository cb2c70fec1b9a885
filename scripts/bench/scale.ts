// SPDX-License-Identifier: GPL-2.0-only
/*
 * Scale benchmark, allocator part: the cost of one allocation against the
 * number of live areas. Each version starts with N busy two-page areas packed
 * from VMALLOC_START (seeded directly, as vmalloc_init imports early areas, so
 * the set-up itself is not quadratic), then churns: allocate two pages and
 * free them again, immediately or lazily. linux-2.6.35 walks every live area
 * on each allocation (linear); the free-area cache keeps churn flat; the
 * augmented tree of 5.2+ descends in log N.
 */

import { IS_ERR } from '../../kernel/include/linux/errno.js';
import { VMALLOC_END_4LEVEL as VE, VMALLOC_START_4LEVEL as VS } from '../../kernel/include/asm/page.js';
import { defaultEnv, type VmapAllocator } from '../../kernel/mm/vmalloc/common.js';
import { getVersion } from '../../kernel/mm/vmalloc/index.js';
import { findManifest } from '../../kernel/manifest/index.js';
import { linePlot, type Plot } from '../report/plots.js';

const P = 0x1000;

export interface ScaleRow {
  version: string;
  live: number;
  free: 'immediate' | 'lazy';
  iterations: number;
  nsPerAlloc: number;
  touchesPerAlloc: number;
}

interface Seedable {
  seed_areas(areas: readonly { start: number; end: number; state: 'busy' | 'lazy' }[]): void;
}

/** N busy areas of two pages, one free page between them (every era's gap rule allows it). */
function seed(a: VmapAllocator, n: number): void {
  const areas = new Array(n);
  for (let i = 0; i < n; i++) areas[i] = { start: VS + i * 3 * P, end: VS + i * 3 * P + 2 * P, state: 'busy' as const };
  (a as unknown as Seedable).seed_areas(areas);
}

/** Iterations for a cell: fewer where each allocation walks every live area. */
function iterationsFor(version: string, live: number, budget: number): number {
  // Where the search walks every area in the way (no cache, no free tree).
  const caps = findManifest(version)?.allocator.caps;
  const linear = caps?.search === 'rb_next-walk' && !caps.cache;
  return Math.max(10, Math.min(budget, linear ? Math.floor((budget * 200) / live) : budget));
}

export function scaleCell(version: string, live: number, free: 'immediate' | 'lazy', iterations: number): ScaleRow {
  const a = getVersion(version).create(defaultEnv({ ncpu: 1 }));
  seed(a, live);
  // warm up the JIT and the cache/tree state
  for (let i = 0; i < Math.min(iterations, 200); i++) {
    const va = a.alloc_vmap_area(2 * P, 1, VS, VE);
    if (IS_ERR(va)) throw new Error(`${version}: allocation failed`);
    a.free_vmap_area(va);
  }
  let touches = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    const before = a.touches;
    const va = a.alloc_vmap_area(2 * P, 1, VS, VE);
    touches += a.touches - before;
    if (IS_ERR(va)) throw new Error(`${version}: allocation failed at ${live} live areas`);
    if (free === 'lazy') a.free_unmap_vmap_area(va);
    else a.free_vmap_area(va);
  }
  const ns = Number(process.hrtime.bigint() - t0);
  return { version, live, free, iterations, nsPerAlloc: ns / iterations, touchesPerAlloc: touches / iterations };
}

export function benchScale(
  versions: readonly string[],
  opts: { live?: readonly number[]; free?: readonly ('immediate' | 'lazy')[]; budget?: number; onProgress?: (m: string) => void } = {},
): ScaleRow[] {
  const rows: ScaleRow[] = [];
  for (const free of opts.free ?? ['immediate', 'lazy']) {
    for (const version of versions) {
      for (const live of opts.live ?? [1000, 10000, 100000, 1000000]) {
        opts.onProgress?.(`${version} ${free} ${live}`);
        rows.push(scaleCell(version, live, free, iterationsFor(version, live, opts.budget ?? 20000)));
      }
    }
  }
  return rows;
}

export function formatScale(rows: readonly ScaleRow[]): string {
  const head = ['version', 'free', 'live areas', 'iterations', 'ns/alloc', 'touches/alloc'];
  const body = rows.map((r) => [r.version, r.free, String(r.live), String(r.iterations), r.nsPerAlloc.toFixed(0), r.touchesPerAlloc.toFixed(1)]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i < 2 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}

/** Plots of touches per allocation against live areas (log-log), one per free mode. */
export function scalePlots(rows: readonly ScaleRow[]): Plot[] {
  const out: Plot[] = [];
  for (const free of ['immediate', 'lazy'] as const) {
    const mine = rows.filter((r) => r.free === free);
    if (!mine.length) continue;
    out.push(
      linePlot({
        id: `plot-scale-${free}`,
        title: `Touches per allocation against live areas (${free} free)`,
        x: { field: 'live', title: 'live areas (log scale)', log10: true },
        y: { field: 'touchesPerAlloc', title: 'touches per alloc' },
        series: { field: 'version', title: 'kernel' },
        rows: mine.map((r) => ({ version: r.version, live: r.live, touchesPerAlloc: r.touchesPerAlloc })),
        points: true,
      }),
    );
  }
  return out;
}
