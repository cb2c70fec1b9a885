// SPDX-License-Identifier: GPL-2.0-only
/*
 * Full-machine benchmark: gfs2-vmalloc-loop (1,000,000 iterations by default)
 * on 64 emulated CPUs, checker off and on, per version: wall time, CPU time
 * and peak memory. Each configuration runs in a child process of its own so
 * that its peak resident memory is its own.
 */

import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { gfs2VmallocLoop } from '../scenarios/gfs2-vmalloc-loop';

export interface Gfs2BenchRow {
  version: string;
  cpus: number;
  iterations: number;
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
    cpus,
    iterations,
    checker,
    wallSeconds: Number(process.hrtime.bigint() - t0) / 1e9,
    cpuSeconds: (u.user + u.system) / 1e6,
    peakMemoryMiB: process.resourceUsage().maxRSS / 1024,
    touchesPerAlloc: r.figures.touchesPerAlloc.mean,
  };
}

/** Spawn one child per configuration; `self` is the vmapsim entry script. */
export function benchGfs2(
  self: string,
  versions: readonly string[],
  opts: { cpus?: number; iterations?: number; checker?: readonly boolean[]; onProgress?: (m: string) => void } = {},
): Gfs2BenchRow[] {
  const rows: Gfs2BenchRow[] = [];
  for (const version of versions) {
    for (const checker of opts.checker ?? [false, true]) {
      opts.onProgress?.(`${version} checker ${checker ? 'on' : 'off'}`);
      const args = [...process.execArgv, resolve(self), 'bench-gfs2-child', version, String(opts.cpus ?? 64), String(opts.iterations ?? 1000000), String(checker)];
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (r.status !== 0) throw new Error(`gfs2 bench child failed (${version}, checker ${checker}): ${r.stderr.trim().split('\n').pop()}`);
      rows.push(JSON.parse(r.stdout) as Gfs2BenchRow);
    }
  }
  return rows;
}

export function formatGfs2(rows: readonly Gfs2BenchRow[]): string {
  const head = ['version', 'cpus', 'iterations', 'checker', 'wall s', 'cpu s', 'peak MiB', 'touches/alloc'];
  const body = rows.map((r) => [r.version, String(r.cpus), String(r.iterations), r.checker ? 'on' : 'off', r.wallSeconds.toFixed(1), r.cpuSeconds.toFixed(1), r.peakMemoryMiB.toFixed(0), r.touchesPerAlloc.toFixed(1)]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(w[i]) : x.padStart(w[i]))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}
