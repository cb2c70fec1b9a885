// SPDX-License-Identifier: GPL-2.0-only
/*
 * The benches as `vmapsim bench` runs them (scripts/cli/bench*.ts): a
 * progress bar, then the figures as text or JSON (never tests).
 *   bench          allocator-only replay of the 1,000,000-op streams per version
 *   bench machine  TLB-hit and page-walk translations per second (hw/)
 *   bench gfs2     gfs2-vmalloc-loop on 64 CPUs: wall, CPU time, peak memory
 *   bench scale    cost per allocation against live areas; flush cost against CPUs
 *   bench floor    the search loops in C and in JavaScript, side by side
 */

import type { CostTable } from '../../hw/costs.js';
import { benchAllocators, benchAllocatorsIsolated, type BenchRow, formatBench, STREAMS, type StreamName } from './allocator.js';
import { progress } from '../lib/progress.js';
import { WASM_SUFFIX, wasmCoreNames } from '../../kernel/manifest/index.js';

export interface BenchOptions {
  json?: boolean;
  kernel?: string[];
  stream?: StreamName[];
  golden: string;
  repeat?: number;
  /** The vmapsim entry script: run each (version, stream) in a child process of its own. */
  self?: string;
}

/**
 * The versions to bench, each with its wasm core (`<version>@wasm`) right
 * after it when it has one, so that the port, the core and the same-run C
 * stand side by side.
 */
export function withWasmCores(versions: readonly string[]): string[] {
  const cores = new Set(wasmCoreNames());
  const out: string[] = [];
  for (const v of versions) {
    if (!out.includes(v)) out.push(v);
    const w = v + WASM_SUFFIX;
    if (cores.has(w) && !out.includes(w)) out.push(w);
  }
  return out;
}

export function benchCommand(opts: BenchOptions, out: (s: string) => void): BenchRow[] {
  const versions = withWasmCores(opts.kernel ?? []);
  const streams = opts.stream ?? [...STREAMS];
  const bar = progress(!opts.json);
  bar.start(versions.length * streams.length, '');
  let done = 0;
  const rows = (opts.self ? (g: string, v: string[], o: Parameters<typeof benchAllocators>[2]) => benchAllocatorsIsolated(opts.self as string, g, v, o) : benchAllocators)(opts.golden, versions, {
    streams,
    repeat: opts.repeat,
    onProgress: (m) => bar.update(done++, m),
  });
  bar.stop();
  out(opts.json ? benchJson(rows) : formatBench(rows));
  return rows;
}

/**
 * `vmapsim bench --json`: an array of {version, stream, nsPerOp,
 * cpuNsPerOp, touchesPerAlloc} (a wasm core also wasmBatchNsPerOp,
 * wasmLoopNsPerOp, wasmLoopCpuNsPerOp), and where the version has a C side,
 * cHere: {nsPerOp, cpuNsPerOp, touchesPerAlloc, ratio} (the kernel's code
 * compiled here, same run) or cHere: {missing} (why it could not be built).
 */
export function benchJson(rows: readonly BenchRow[]): string {
  return JSON.stringify(
    rows.map((r) => ({
      version: r.version,
      stream: r.stream,
      nsPerOp: r.nsPerOp,
      ...(r.cpuNsPerOp !== undefined ? { cpuNsPerOp: r.cpuNsPerOp } : {}),
      touchesPerAlloc: r.touchesPerAlloc,
      ...(r.batchNsPerOp !== undefined ? { wasmBatchNsPerOp: r.batchNsPerOp } : {}),
      ...(r.loopNsPerOp !== undefined ? { wasmLoopNsPerOp: r.loopNsPerOp } : {}),
      ...(r.loopCpuNsPerOp !== undefined ? { wasmLoopCpuNsPerOp: r.loopCpuNsPerOp } : {}),
      ...(r.here ? { cHere: r.here } : {}),
    })),
    null,
    2,
  );
}

import { writeText } from '../lib/write-text.js';
import { benchMachine, formatMachineBench } from './machine.js';
import { benchGfs2, formatGfs2 } from './gfs2-full.js';
import { benchScale, formatScale, type ScaleRow, scalePlots } from './scale.js';
import { benchFlushScale, flushScalePlot, type FlushScaleRow, formatFlushScale } from './flush-scale.js';
import { benchFloor, formatFloor } from './floor.js';
import { esc, page, plotHtml } from '../report/plots.js';

export function benchFloorCommand(opts: { json?: boolean }, out: (s: string) => void): void {
  const r = benchFloor();
  out(opts.json ? JSON.stringify(r, null, 2) : formatFloor(r));
}

export function benchMachineCommand(opts: { json?: boolean }, out: (s: string) => void): void {
  const rows = benchMachine({ cpus: [1, 8, 64] });
  out(opts.json ? JSON.stringify(rows, null, 2) : formatMachineBench(rows));
}

export function benchGfs2Command(self: string, opts: { json?: boolean; kernel: string[]; iterations: number; cpus: number }, out: (s: string) => void): void {
  const bar = progress(!opts.json);
  bar.start(opts.kernel.length * 2, '');
  let i = 0;
  const rows = benchGfs2(self, opts.kernel, { iterations: opts.iterations, cpus: opts.cpus, onProgress: (m) => bar.update(i++, m) });
  bar.stop();
  out(opts.json ? JSON.stringify(rows, null, 2) : formatGfs2(rows));
}

export function benchScaleCommand(opts: { json?: boolean; kernel: string[]; html?: string; live?: number[]; costs?: CostTable }, out: (s: string) => void): void {
  const bar = progress(!opts.json);
  bar.start(opts.kernel.length * 8 + 30, '');
  let i = 0;
  const onProgress = (m: string) => bar.update(i++, m);
  const alloc = benchScale(opts.kernel, { live: opts.live, onProgress });
  const flush = benchFlushScale({ onProgress, costs: opts.costs });
  bar.stop();
  if (opts.json) out(JSON.stringify({ allocator: alloc, flush }, null, 2));
  else out(`${formatScale(alloc)}\n\n${formatFlushScale(flush)}`);
  if (opts.html) {
    writeText(opts.html, scaleHtml(alloc, flush));
    if (!opts.json) out(`HTML report: ${opts.html}`);
  }
}

/** The page of `bench scale --html`: cost against live areas (log-log), flush cost against CPUs, the tables. */
export function scaleHtml(alloc: readonly ScaleRow[], flush: readonly FlushScaleRow[]): string {
  const plots = [...scalePlots(alloc), flushScalePlot(flush)];
  return page('vmapsim: scale', `<h1>Scale</h1>${plots.map(plotHtml).join('\n')}<pre>${esc(formatScale(alloc))}\n\n${esc(formatFlushScale(flush))}</pre>`);
}
