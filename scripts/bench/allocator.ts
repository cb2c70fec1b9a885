// SPDX-License-Identifier: GPL-2.0-only
/*
 * Allocator-only benchmark: replay the 1,000,000-op bench streams of
 * data/golden (format at the end of FORMAT.md) through each version and
 * report ns/op and rb_entry/list_entry evaluations per allocation, next to
 * the figures of the kernel's own code (gcc -O2, same machine class).
 */

import { spawnSync } from 'node:child_process';
import { IS_ERR } from '../../kernel/include/linux/errno.js';
import { parseHex, type ulong } from '../../kernel/include/u64.js';
import { defaultEnv, type vmap_area_common } from '../../kernel/mm/vmalloc/common.js';
import { getVersion } from '../../kernel/mm/vmalloc/index.js';
import { baseOfWasm, BUILTIN_MANIFESTS, findManifest } from '../../kernel/manifest/index.js';
import { isErrPtr, wasm_allocator, WasmCore } from '../../kernel/mm/vmalloc/wasm/binding.js';
import { WasmBatch } from '../../kernel/mm/vmalloc/wasm/batch.js';
import { InputError } from '../lib/input-error.js';
import { readText } from '../lib/read-text.js';
import { buildNative, hasNativeSide, runNative, writePacked } from './native.js';

export type StreamName = 'random-mixed' | 'lazy-churn';
export const STREAMS: readonly StreamName[] = ['random-mixed', 'lazy-churn'];

/**
 * The kernel's own code on these streams (compiled with gcc -O2 on this
 * machine class; figures from the foundation and history issues): ns/op and
 * touches per allocation.
 */
export const NATIVE: Readonly<Record<string, Record<StreamName, { nsPerOp: number; touchesPerAlloc: number }>>> = Object.fromEntries(
  BUILTIN_MANIFESTS.filter((m) => m.native?.figures).map((m) => [m.name, { ...(m.native?.figures as Record<StreamName, { nsPerOp: number; touchesPerAlloc: number }>) }]),
);

/** Op codes of a parsed stream, packed for replay without parsing cost. */
const OP_A = 0;
const OP_F = 1;
const OP_L = 2;
const OP_P = 3;

export interface OpStream {
  name: string;
  /** per op: code */
  code: Uint8Array;
  /** per op: for a: index into the alloc arrays; for f/l: the alloc index freed */
  arg: Uint32Array;
  size: Float64Array;
  align: Float64Array;
  vstart: Float64Array;
  vend: Float64Array;
  nallocs: number;
}

function field(file: string, line: number, name: string, s: string | undefined): ulong {
  if (s === undefined) throw new InputError(file, line, `missing ${name}`);
  const v = parseHex(s);
  if (v === null) throw new InputError(file, line, `${name}: bad hex "${s}"`);
  return v;
}

/** Parse a bench op stream (`a SIZE ALIGN VSTART VEND`, `f IDX`, `l IDX`, `p`). */
export function parseOpStream(file: string, text: string): OpStream {
  const all = text.split('\n');
  if (all.length && all[all.length - 1] === '') all.pop();
  // '#' lines are comments; keep each op's line number for messages.
  const lines: string[] = [];
  const lineNo: number[] = [];
  all.forEach((l, k) => {
    if (l.charCodeAt(0) !== 35) {
      lines.push(l);
      lineNo.push(k + 1);
    }
  });
  const n = lines.length;
  const code = new Uint8Array(n);
  const arg = new Uint32Array(n);
  let na = 0;
  for (const l of lines) if (l.charCodeAt(0) === 97) na++;
  const size = new Float64Array(na);
  const align = new Float64Array(na);
  const vstart = new Float64Array(na);
  const vend = new Float64Array(na);
  let a = 0;
  for (let i = 0; i < n; i++) {
    const w = lines[i]!.split(' ');
    const ln = lineNo[i]!;
    switch (w[0]) {
      case 'a':
        if (w.length !== 5) throw new InputError(file, ln, `expected "a SIZE ALIGN VSTART VEND", got "${lines[i]}"`);
        code[i] = OP_A;
        arg[i] = a;
        size[a] = field(file, ln, 'SIZE', w[1]);
        align[a] = field(file, ln, 'ALIGN', w[2]);
        vstart[a] = field(file, ln, 'VSTART', w[3]);
        vend[a] = field(file, ln, 'VEND', w[4]);
        a++;
        break;
      case 'f':
      case 'l': {
        if (w.length !== 2) throw new InputError(file, ln, `expected "${w[0]} IDX", got "${lines[i]}"`);
        const idx = field(file, ln, 'IDX', w[1]);
        if (idx < 0 || idx >= a) throw new InputError(file, ln, `IDX ${w[1]} names no earlier allocation`);
        code[i] = w[0] === 'f' ? OP_F : OP_L;
        arg[i] = idx;
        break;
      }
      case 'p':
        code[i] = OP_P;
        break;
      default:
        throw new InputError(file, ln, `unknown op "${w[0]}" (expected a, f, l or p)`);
    }
  }
  return { name: file, code, arg, size, align, vstart, vend, nallocs: na };
}

export interface BenchRow {
  version: string;
  stream: StreamName;
  ops: number;
  nsPerOp: number;
  /**
   * CPU time of the same best replay (process.cpuUsage(), user + system),
   * ns/op: what a loaded shared host does not stretch as it stretches wall
   * time (docs/performance.md). Absent in rows made before it existed.
   */
  cpuNsPerOp?: number;
  touchesPerAlloc: number;
  /**
   * A wasm core only: the best ns/op with the replay loop inside
   * WebAssembly (runStreamCoreLoop), no boundary crossing per operation.
   */
  loopNsPerOp?: number;
  /** A wasm core only: the CPU time of the best replay with the loop inside WebAssembly, ns/op. */
  loopCpuNsPerOp?: number;
  /**
   * A wasm core only: the best ns/op driven through the batched binding
   * (runStreamCoreBatched: each operation queued from JavaScript, one
   * crossing per BENCH_BATCH operations).
   */
  batchNsPerOp?: number;
  /** ratio to the native figure (nsPerOp / native nsPerOp), if known */
  ratio: number | null;
  nativeNsPerOp: number | null;
  nativeTouchesPerAlloc: number | null;
  /**
   * The kernel's code compiled here and replayed in the same run
   * (scripts/bench/native.ts), for the versions that have a C side; why not,
   * when it could not be built.
   */
  here?: NativeHere;
}

/**
 * The same-run native figures of one version and stream; cpuNsPerOp is the
 * C side's CPU time (CLOCK_PROCESS_CPUTIME_ID around its replay loop), ns/op.
 */
export type NativeHere = { nsPerOp: number; cpuNsPerOp?: number; touchesPerAlloc: number; ratio: number } | { missing: string };

/**
 * Best of `repeat` replays of the stream by the version's C side, and the
 * port's ratio to it; undefined for versions without a C side.
 */
export function nativeHere(port: string, s: OpStream, portNsPerOp: number, repeat: number): NativeHere | undefined {
  const version = baseOfWasm(port); // a wasm core is timed against its version's C
  if (!hasNativeSide(version)) return undefined;
  const built = buildNative(version);
  if ('missing' in built) return { missing: built.missing };
  const packed = writePacked(s);
  let best = Infinity;
  let bestCpu = Infinity;
  let touches = 0;
  for (let r = 0; r < repeat; r++) {
    const m = runNative(built.path, packed);
    best = Math.min(best, m.ns);
    bestCpu = Math.min(bestCpu, m.cpuNs);
    touches = m.touches;
  }
  const nsPerOp = best / s.code.length;
  return { nsPerOp, cpuNsPerOp: bestCpu / s.code.length, touchesPerAlloc: touches / s.nallocs, ratio: portNsPerOp / nsPerOp };
}

/**
 * Replay a stream once through a wasm core, driven through its binding as
 * the C side's replay loop drives the C: the u64 arguments split into u32
 * halves before the clock starts (as the C side reads them packed), areas
 * held as their addresses, the touches inside alloc_vmap_area summed by the
 * core and read once at the end.
 */
/** Each allocation's size, align, vstart, vend as (low, high) u32 pairs, 8 per allocation. */
function splitHalves(s: OpStream): Uint32Array {
  const na = s.nallocs;
  const h = new Uint32Array(8 * na);
  for (let k = 0; k < na; k++) {
    let i = 8 * k;
    for (const v of [s.size[k]!, s.align[k]!, s.vstart[k]!, s.vend[k]!]) {
      const hi = Math.floor(v / 4294967296);
      h[i++] = (v - hi * 4294967296) >>> 0;
      h[i++] = hi >>> 0;
    }
  }
  return h;
}

/** One replay's figures: wall time and CPU time (ns), touches inside alloc_vmap_area, operations. */
export interface StreamRun {
  ns: number;
  cpuNs: number;
  touches: number;
  ops: number;
}

/** CPU time of this process so far (user + system), ns. */
function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

export function runStreamCore(core: WasmCore, s: OpStream): StreamRun {
  const na = s.nallocs;
  const h = splitHalves(s);
  const live = new Int32Array(na);
  const { code, arg } = s;
  const x = core.x;
  const n = code.length;
  const t0before = x.get_alloc_touches();
  const c0 = cpuNow();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    switch (code[i]) {
      case OP_A: {
        const k = arg[i]!;
        const j = 8 * k;
        const va = x.op_alloc(h[j]!, h[j + 1]!, h[j + 2]!, h[j + 3]!, h[j + 4]!, h[j + 5]!, h[j + 6]!, h[j + 7]!, -1, 0xcc0);
        if (isErrPtr(va)) throw new Error(`${s.name}: op ${i + 1}: allocation failed on ${core.id.name}`);
        live[k] = va;
        break;
      }
      case OP_F:
        x.op_free(live[arg[i]!]!);
        break;
      case OP_L:
        x.op_free_lazy(live[arg[i]!]!);
        break;
      default:
        x.op_purge();
    }
  }
  const ns = Number(process.hrtime.bigint() - t0);
  const cpuNs = cpuNow() - c0;
  return { ns, cpuNs, touches: x.get_alloc_touches() - t0before, ops: n };
}

/**
 * Replay a stream once through a wasm core with the replay loop inside
 * WebAssembly (the core's run_stream, the twin of the C side's replay.h):
 * the stream is copied into linear memory before the clock starts, and no
 * call crosses the boundary per operation. What the core costs without
 * the binding's per-call price.
 */
export function runStreamCoreLoop(core: WasmCore, s: OpStream): StreamRun {
  const n = s.code.length;
  const na = s.nallocs;
  const x = core.x;
  const pCode = x.scratch_alloc(n);
  const pArg = x.scratch_alloc(4 * n);
  const pVals = x.scratch_alloc(32 * na);
  const pLive = x.scratch_alloc(4 * na);
  const buf = x.memory.buffer;
  new Uint8Array(buf, pCode, n).set(s.code);
  new Uint32Array(buf, pArg, n).set(s.arg);
  const v = new BigUint64Array(buf, pVals, 4 * na);
  for (let k = 0; k < na; k++) {
    v[4 * k] = BigInt.asUintN(64, BigInt(s.size[k]!));
    v[4 * k + 1] = BigInt.asUintN(64, BigInt(s.align[k]!));
    v[4 * k + 2] = BigInt.asUintN(64, BigInt(s.vstart[k]!));
    v[4 * k + 3] = BigInt.asUintN(64, BigInt(s.vend[k]!));
  }
  const before = x.get_alloc_touches();
  const c0 = cpuNow();
  const t0 = process.hrtime.bigint();
  const failed = x.run_stream(pCode, pArg, pVals, pLive, n);
  const ns = Number(process.hrtime.bigint() - t0);
  const cpuNs = cpuNow() - c0;
  if (failed) throw new Error(`${s.name}: op ${failed}: allocation failed on ${core.id.name}`);
  return { ns, cpuNs, touches: x.get_alloc_touches() - before, ops: n };
}

/** Operations per crossing of the batched binding in the bench. */
export const BENCH_BATCH = 256;

/**
 * Replay a stream once through a wasm core driven through the batched
 * binding (kernel/mm/vmalloc/wasm/batch.ts): JavaScript walks the stream
 * op by op as runStreamCore does, but queues each operation in linear
 * memory (the allocation index is the slot) and crosses into WebAssembly
 * once per `batch` operations. As for runStreamCore, the u64 arguments are
 * split into u32 halves and the batch buffers set up before the clock
 * starts.
 */
export function runStreamCoreBatched(core: WasmCore, s: OpStream, batch = BENCH_BATCH): StreamRun {
  const b = new WasmBatch(core, s.nallocs, batch);
  const h = splitHalves(s);
  const { code, arg } = s;
  const n = code.length;
  const x = core.x;
  const before = x.get_alloc_touches();
  const c0 = cpuNow();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const k = arg[i]!;
    switch (code[i]) {
      case OP_A:
        b.allocHalves(k, h, 8 * k);
        break;
      case OP_F:
        b.free(k);
        break;
      case OP_L:
        b.freeLazy(k);
        break;
      default:
        b.purge();
    }
  }
  const failed = b.flush();
  const ns = Number(process.hrtime.bigint() - t0);
  const cpuNs = cpuNow() - c0;
  if (failed) throw new Error(`${s.name}: an allocation failed on ${core.id.name}`);
  return { ns, cpuNs, touches: x.get_alloc_touches() - before, ops: n };
}

/** Replay a stream once through a fresh allocator of the given version (a wasm core through runStreamCore). */
export function runStream(version: string, s: OpStream): StreamRun {
  const alloc = getVersion(version).create(defaultEnv({ ncpu: 1 }));
  if (alloc instanceof wasm_allocator) return runStreamCore(alloc.core, s);
  const live: (vmap_area_common | null)[] = new Array(s.nallocs).fill(null);
  const { code, arg, size, align, vstart, vend } = s;
  const n = code.length;
  let touches = 0;
  const c0 = cpuNow();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    switch (code[i]) {
      case OP_A: {
        const k = arg[i]!;
        const before = alloc.touches;
        const va = alloc.alloc_vmap_area(size[k]!, align[k]!, vstart[k]!, vend[k]!);
        touches += alloc.touches - before;
        if (IS_ERR(va)) throw new Error(`${s.name}: op ${i + 1}: allocation failed on ${version}`);
        live[k] = va;
        break;
      }
      case OP_F: {
        const va = live[arg[i]!];
        live[arg[i]!] = null;
        alloc.free_vmap_area(va as vmap_area_common);
        break;
      }
      case OP_L: {
        const va = live[arg[i]!];
        live[arg[i]!] = null;
        alloc.free_unmap_vmap_area(va as vmap_area_common);
        break;
      }
      default:
        alloc.purge_vmap_area_lazy();
    }
  }
  const ns = Number(process.hrtime.bigint() - t0);
  const cpuNs = cpuNow() - c0;
  return { ns, cpuNs, touches, ops: n };
}

/**
 * One version on one stream, in this process (the child's side of an
 * isolated bench): best of `repeat` runs.
 */
export function benchOne(goldenDir: string, version: string, stream: StreamName, repeat: number): BenchRow {
  const file = `${goldenDir}/bench-${stream}.ops.gz`;
  const s = parseOpStream(file, readText(file));
  let best = Infinity;
  let bestCpu = Infinity;
  let touches = 0;
  for (let r = 0; r < repeat; r++) {
    const m = runStream(version, s);
    best = Math.min(best, m.ns);
    bestCpu = Math.min(bestCpu, m.cpuNs);
    touches = m.touches;
  }
  const nat = NATIVE[baseOfWasm(version)]?.[stream];
  const nsPerOp = best / s.code.length;
  let loopNsPerOp: number | undefined;
  let loopCpuNsPerOp: number | undefined;
  let batchNsPerOp: number | undefined;
  if (baseOfWasm(version) !== version) {
    let bestLoop = Infinity;
    let bestLoopCpu = Infinity;
    let bestBatch = Infinity;
    for (let r = 0; r < repeat; r++) {
      const a = getVersion(version).create(defaultEnv({ ncpu: 1 })) as wasm_allocator;
      const l = runStreamCoreLoop(a.core, s);
      bestLoop = Math.min(bestLoop, l.ns);
      bestLoopCpu = Math.min(bestLoopCpu, l.cpuNs);
      const b = getVersion(version).create(defaultEnv({ ncpu: 1 })) as wasm_allocator;
      bestBatch = Math.min(bestBatch, runStreamCoreBatched(b.core, s).ns);
    }
    loopNsPerOp = bestLoop / s.code.length;
    loopCpuNsPerOp = bestLoopCpu / s.code.length;
    batchNsPerOp = bestBatch / s.code.length;
  }
  return {
    version,
    stream,
    ops: s.code.length,
    nsPerOp,
    cpuNsPerOp: bestCpu / s.code.length,
    ...(loopNsPerOp !== undefined ? { loopNsPerOp } : {}),
    ...(loopCpuNsPerOp !== undefined ? { loopCpuNsPerOp } : {}),
    ...(batchNsPerOp !== undefined ? { batchNsPerOp } : {}),
    touchesPerAlloc: touches / s.nallocs,
    ratio: nat ? nsPerOp / nat.nsPerOp : null,
    nativeNsPerOp: nat?.nsPerOp ?? null,
    nativeTouchesPerAlloc: nat?.touchesPerAlloc ?? null,
  };
}

/**
 * Each (version, stream) in a child process of its own, as a user runs one
 * version: in one process the shared rbtree, list and u64 code would see the
 * structures of every version and run polymorphic (up to 3x slower).
 */
export function benchAllocatorsIsolated(
  self: string,
  goldenDir: string,
  versions: string[],
  opts: { repeat?: number; streams?: readonly StreamName[]; onProgress?: (msg: string) => void } = {},
): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const stream of opts.streams ?? STREAMS) {
    let parsed: OpStream | null = null;
    for (const version of versions) {
      opts.onProgress?.(`${version} ${stream}`);
      const r = spawnSync(process.execPath, [...process.execArgv, self, 'bench-alloc-child', goldenDir, findManifest(version)?.kind === 'variant' ? (findManifest(version)?.file ?? version) : version, stream, String(opts.repeat ?? 1)], {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      });
      if (r.status !== 0) throw new Error(`bench child failed (${version}, ${stream}): ${r.stderr.trim().split('\n').pop()}`);
      const row = JSON.parse(r.stdout) as BenchRow;
      if (hasNativeSide(baseOfWasm(version))) {
        const file = `${goldenDir}/bench-${stream}.ops.gz`;
        parsed ??= parseOpStream(file, readText(file));
        row.here = nativeHere(version, parsed, row.nsPerOp, opts.repeat ?? 1);
      }
      rows.push(row);
    }
  }
  return rows;
}

/** Benchmark the given versions on both streams found in goldenDir, in this process. */
export function benchAllocators(
  goldenDir: string,
  versions: string[],
  opts: { repeat?: number; streams?: readonly StreamName[]; onProgress?: (msg: string) => void } = {},
): BenchRow[] {
  const rows: BenchRow[] = [];
  const repeat = opts.repeat ?? 1;
  for (const stream of opts.streams ?? STREAMS) {
    const file = `${goldenDir}/bench-${stream}.ops.gz`;
    const s = parseOpStream(file, readText(file));
    for (const version of versions) {
      opts.onProgress?.(`${version} ${stream}`);
      let best = Infinity;
      let bestCpu = Infinity;
      let touches = 0;
      for (let r = 0; r < repeat; r++) {
        const m = runStream(version, s);
        best = Math.min(best, m.ns);
        bestCpu = Math.min(bestCpu, m.cpuNs);
        touches = m.touches;
      }
      const nat = NATIVE[baseOfWasm(version)]?.[stream];
      const nsPerOp = best / s.code.length;
      rows.push({
        version,
        stream,
        ops: s.code.length,
        nsPerOp,
        cpuNsPerOp: bestCpu / s.code.length,
        touchesPerAlloc: touches / s.nallocs,
        ratio: nat ? nsPerOp / nat.nsPerOp : null,
        nativeNsPerOp: nat?.nsPerOp ?? null,
        nativeTouchesPerAlloc: nat?.touchesPerAlloc ?? null,
        here: nativeHere(version, s, nsPerOp, repeat),
      });
    }
  }
  return rows;
}

/** A table of benchmark rows; "C here" columns when a row has a same-run native figure. */
export function formatBench(rows: BenchRow[]): string {
  const withHere = rows.some((r) => r.here);
  const withLoop = rows.some((r) => r.loopNsPerOp !== undefined);
  const withBatch = rows.some((r) => r.batchNsPerOp !== undefined);
  const xHere = (r: BenchRow, ns: number | undefined): string[] => (ns !== undefined ? [ns.toFixed(0), hereNs(r) !== null ? `${(ns / (hereNs(r) as number)).toFixed(2)}x` : '-'] : ['-', '-']);
  const hereNs = (r: BenchRow): number | null => (r.here && 'nsPerOp' in r.here ? r.here.nsPerOp : null);
  const hereCpu = (r: BenchRow): number | null => (r.here && 'nsPerOp' in r.here && r.here.cpuNsPerOp !== undefined ? r.here.cpuNsPerOp : null);
  // The same ratio in CPU time (process.cpuUsage() against the C side's CLOCK_PROCESS_CPUTIME_ID).
  const xCpu = (r: BenchRow, cpu: number | undefined): string => (cpu !== undefined && hereCpu(r) !== null ? `${(cpu / (hereCpu(r) as number)).toFixed(2)}x` : '-');
  const withCpu = rows.some((r) => hereCpu(r) !== null);
  const head = [
    'version',
    'stream',
    'ns/op',
    'native',
    'ratio',
    'touches/alloc',
    'native',
    ...(withHere ? ['C here', 'x C here'] : []),
    ...(withCpu ? ['x C (CPU)'] : []),
    ...(withBatch ? ['wasm batch', 'x C here'] : []),
    ...(withLoop ? ['wasm loop', 'x C here'] : []),
    ...(withLoop && withCpu ? ['x C (CPU)'] : []),
  ];
  const body = rows.map((r) => [
    r.version,
    r.stream,
    r.nsPerOp.toFixed(0),
    r.nativeNsPerOp?.toString() ?? '-',
    r.ratio !== null ? `${r.ratio.toFixed(2)}x` : '-',
    r.touchesPerAlloc.toFixed(1),
    r.nativeTouchesPerAlloc?.toFixed(1) ?? '-',
    ...(withHere ? (r.here && 'nsPerOp' in r.here ? [r.here.nsPerOp.toFixed(0), `${r.here.ratio.toFixed(2)}x`] : ['-', '-']) : []),
    ...(withCpu ? [xCpu(r, r.cpuNsPerOp)] : []),
    ...(withBatch ? xHere(r, r.batchNsPerOp) : []),
    ...(withLoop
      ? r.loopNsPerOp !== undefined
        ? [r.loopNsPerOp.toFixed(0), hereNs(r) !== null ? `${(r.loopNsPerOp / (hereNs(r) as number)).toFixed(2)}x` : '-']
        : ['-', '-']
      : []),
    ...(withLoop && withCpu ? [xCpu(r, r.loopCpuNsPerOp)] : []),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i < 2 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ');
  const notes: string[] = [];
  if (withHere)
    notes.push(
      '"native": the kernel\'s code on a machine of this class (the issues\' figures); "C here": the same code compiled here with gcc -O2, replayed in this run (scripts/bench/native/).',
    );
  if (withCpu)
    notes.push(
      '"x C (CPU)": the same ratio in CPU time, process.cpuUsage() of the replay (user + system, the whole Node process) against the C side\'s CLOCK_PROCESS_CPUTIME_ID, each the best of the repeats; a loaded host stretches wall time, much less CPU time.',
    );
  if (withLoop)
    notes.push(
      `<version>@wasm: the wasm core (docs/wasm.md), driven per operation through its binding (ns/op), through the batched binding ("wasm batch": queued from JavaScript op by op, one crossing per ${BENCH_BATCH} operations) and with the replay loop inside WebAssembly like the C side's ("wasm loop").`,
    );
  for (const r of rows) {
    if (r.here && 'nsPerOp' in r.here && r.nativeTouchesPerAlloc !== null && r.here.touchesPerAlloc.toFixed(1) !== r.nativeTouchesPerAlloc.toFixed(1))
      notes.push(`${r.version} ${r.stream}: the C side touched ${r.here.touchesPerAlloc.toFixed(1)} per allocation, not ${r.nativeTouchesPerAlloc.toFixed(1)}: its figure is not the kernel's`);
  }
  const missing = [...new Set(rows.flatMap((r) => (r.here && 'missing' in r.here ? [r.here.missing] : [])))];
  for (const m of missing) notes.push(`C here not measured: ${m}`);
  return [line(head), ...body.map(line), ...notes].join('\n');
}
