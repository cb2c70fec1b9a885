// SPDX-License-Identifier: GPL-2.0-only
/*
 * Full-machine benchmark: gfs2-vmalloc-loop (1,000,000 iterations by default)
 * on 64 emulated CPUs, checker off and on, per version: wall time, CPU time
 * and peak memory. Each configuration runs in a child process of its own so
 * that its peak resident memory is its own. A third row runs the loop's
 * allocator calls alone on the bare port (no machine): alloc_vmap_area of
 * vmalloc's 8 KiB plus its guard page, align 1, over the vmalloc range,
 * then the lazy free, as many times; the machine rows are compared with it.
 */

import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { IS_ERR } from '../../kernel/include/linux/errno.js';
import { VMALLOC_END_4LEVEL, VMALLOC_START_4LEVEL } from '../../kernel/include/asm/page.js';
import { AllocSession } from '../run/alloc-session.js';
import { gfs2VmallocLoop } from '../scenarios/gfs2-vmalloc-loop.js';

/** What a row measured: the scenario on the machine, or its allocator calls alone. */
export type Gfs2Mode = 'machine' | 'allocator';

export interface Gfs2BenchRow {
  version: string;
  mode: Gfs2Mode;
  cpus: number;
  iterations: number;
  /** the machine's coherence checker (false for the allocator-only row) */
  checker: boolean;
  wallSeconds: number;
  cpuSeconds: number;
  peakMemoryMiB: number;
  touchesPerAlloc: number;
}

/** Run one configuration here and now (the child's side). */
export function gfs2Child(version: string, cpus: number, iterations: number, checker: boolean): Gfs2BenchRow {
  const t0 = process.hrtime.bigint();
  const u0 = process.cpuUsage();
  const r = gfs2VmallocLoop.run({ kernel: version, cpus, seed: 1, params: { iterations, size: 8192, cpu: 0, checker } });
  const u = process.cpuUsage(u0);
  return {
    version,
    mode: 'machine',
    cpus,
    iterations,
    checker,
    wallSeconds: Number(process.hrtime.bigint() - t0) / 1e9,
    cpuSeconds: (u.user + u.system) / 1e6,
    peakMemoryMiB: process.resourceUsage().maxRSS / 1024,
    touchesPerAlloc: r.figures.touchesPerAlloc.mean,
  };
}

/** The loop's allocator calls alone, on the bare port with `cpus` online (the child's side). */
export function gfs2AllocatorChild(version: string, cpus: number, iterations: number): Gfs2BenchRow {
  const s = new AllocSession(version, cpus);
  const a = s.a;
  const size = 8192 + 4096; // vmalloc(8 KiB) and its guard page
  let touches = 0;
  const t0 = process.hrtime.bigint();
  const u0 = process.cpuUsage();
  for (let i = 0; i < iterations; i++) {
    const before = a.touches;
    const va = a.alloc_vmap_area(size, 1, VMALLOC_START_4LEVEL, VMALLOC_END_4LEVEL);
    touches += a.touches - before;
    if (IS_ERR(va)) throw new Error(`gfs2 allocator-only: ${version}: allocation ${i + 1} failed`);
    a.free_unmap_vmap_area(va);
  }
  const u = process.cpuUsage(u0);
  return {
    version,
    mode: 'allocator',
    cpus,
    iterations,
    checker: false,
    wallSeconds: Number(process.hrtime.bigint() - t0) / 1e9,
    cpuSeconds: (u.user + u.system) / 1e6,
    peakMemoryMiB: process.resourceUsage().maxRSS / 1024,
    touchesPerAlloc: touches / iterations,
  };
}

/** Spawn one child per configuration; `self` is the vmapsim entry script. */
export function benchGfs2(
  self: string,
  versions: readonly string[],
  opts: { cpus?: number; iterations?: number; checker?: readonly boolean[]; allocatorOnly?: boolean; onProgress?: (m: string) => void } = {},
): Gfs2BenchRow[] {
  const rows: Gfs2BenchRow[] = [];
  // The child's <config> argument: the checker flag of a machine run, or "allocator".
  const configs: string[] = (opts.checker ?? [false, true]).map(String);
  if (opts.allocatorOnly !== false) configs.push('allocator');
  for (const version of versions) {
    for (const config of configs) {
      opts.onProgress?.(`${version} ${config === 'allocator' ? 'allocator only' : `checker ${config === 'true' ? 'on' : 'off'}`}`);
      const args = [...process.execArgv, resolve(self), 'bench-gfs2-child', version, String(opts.cpus ?? 64), String(opts.iterations ?? 1000000), config];
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (r.status !== 0) throw new Error(`gfs2 bench child failed (${version}, ${config}): ${r.stderr.trim().split('\n').pop()}`);
      rows.push(JSON.parse(r.stdout) as Gfs2BenchRow);
    }
  }
  return rows;
}

/** CPU time of a row over the same version's allocator-only row, if there is one. */
export function ratioToAllocator(rows: readonly Gfs2BenchRow[], r: Gfs2BenchRow): number | null {
  const a = rows.find((x) => x.version === r.version && x.mode === 'allocator' && x.cpus === r.cpus && x.iterations === r.iterations);
  return a && a.cpuSeconds > 0 ? r.cpuSeconds / a.cpuSeconds : null;
}

export function formatGfs2(rows: readonly Gfs2BenchRow[]): string {
  const head = ['version', 'run', 'cpus', 'iterations', 'checker', 'wall s', 'cpu s', 'x alloc-only', 'peak MiB', 'touches/alloc'];
  const body = rows.map((r) => {
    const x = r.mode === 'machine' ? ratioToAllocator(rows, r) : null;
    return [
      r.version,
      r.mode === 'machine' ? 'machine' : 'allocator only',
      String(r.cpus),
      String(r.iterations),
      r.mode === 'allocator' ? '-' : r.checker ? 'on' : 'off',
      r.wallSeconds.toFixed(1),
      r.cpuSeconds.toFixed(1),
      x === null ? '-' : `${x.toFixed(2)}x`,
      r.peakMemoryMiB.toFixed(0),
      r.touchesPerAlloc.toFixed(1),
    ];
  });
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}
