// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel's own allocator code on the bench streams, timed on this host in
 * the same run as the ports (`vmapsim bench`, columns "C here").
 *
 * The issues give the native figures of one machine of this class; a shared
 * host is slower or faster from day to day, so a ratio against a fixed figure
 * mixes the port's speed with the host's. scripts/bench/native/ holds the
 * 2.6.35, mmotm, 2.6.39, 3.18, 5.2 and 6.1 allocators as C (with their rbtrees and the rb_entry()
 * / list_entry() counting of the kernel's bench build), compiled here with
 * gcc -O2 and fed the same op stream. Their touch counts must equal the
 * issues' figures; that is what shows the C is the kernel's algorithm.
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { repoRoot } from '../lib/paths.js';
import { BUILTIN_MANIFESTS } from '../../kernel/manifest/index.js';
import type { OpStream } from './allocator.js';
import { buildC, type Built } from './gcc.js';

/** Versions with a C side, and its source under scripts/bench/native/ (each manifest's native.source). */
export const NATIVE_SOURCES: Readonly<Record<string, string>> = Object.fromEntries(
  BUILTIN_MANIFESTS.filter((m) => m.native?.source).map((m) => [m.name, m.native?.source as string]),
);

export function hasNativeSide(version: string): boolean {
  return version in NATIVE_SOURCES;
}

/** Build the C side of a version (cached per source text). */
export function buildNative(version: string): Built {
  const src = NATIVE_SOURCES[version];
  if (!src) return { missing: `no C side for ${version} (there is one for ${Object.keys(NATIVE_SOURCES).join(', ')})` };
  return buildC(resolve(repoRoot(), 'scripts', 'bench', 'native', src), 'vmapsim-native');
}

const pad8 = (x: number): number => (x + 7) & ~7;

/**
 * The flat form replay.h reads: "VMAPOPS1", u32 nops, u32 nallocs, u8
 * code[nops], padding to 8, u32 arg[nops], padding to 8, then u64 size[],
 * align[], vstart[], vend[] (nallocs each), little-endian; values are the
 * unsigned longs of the stream (the signed view turned back into u64).
 */
export function packStream(s: OpStream): Buffer {
  const n = s.code.length;
  const na = s.nallocs;
  const buf = Buffer.alloc(16 + pad8(n) + pad8(4 * n) + 32 * na);
  buf.write('VMAPOPS1', 0, 'latin1');
  buf.writeUInt32LE(n, 8);
  buf.writeUInt32LE(na, 12);
  let o = 16;
  buf.set(s.code, o);
  o += pad8(n);
  for (let i = 0; i < n; i++) buf.writeUInt32LE(s.arg[i]!, o + 4 * i);
  o += pad8(4 * n);
  for (const a of [s.size, s.align, s.vstart, s.vend]) {
    for (let i = 0; i < na; i++) buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(a[i]!)), o + 8 * i);
    o += 8 * na;
  }
  return buf;
}

/** Write the packed stream to the temporary directory (once per content); its path. */
export function writePacked(s: OpStream): string {
  const buf = packStream(s);
  const dir = join(tmpdir(), 'vmapsim-native');
  const file = join(dir, `${createHash('sha256').update(buf).digest('hex').slice(0, 16)}.ops`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, buf);
  }
  return file;
}

/** One replay by the C side. */
export interface NativeRun {
  ops: number;
  nallocs: number;
  /** wall time of the replay loop, ns */
  ns: number;
  /** CPU time of the replay loop (CLOCK_PROCESS_CPUTIME_ID), ns */
  cpuNs: number;
  /** rb_entry()/list_entry() evaluations inside alloc_vmap_area, summed */
  touches: number;
  /** flush_tlb_kernel_range() calls */
  flushes: number;
}

/** Replay a packed stream once with a built C side. */
export function runNative(bin: string, packed: string): NativeRun {
  const r = spawnSync(bin, [packed], { encoding: 'utf8' });
  if (r.error) throw new Error(`${bin}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${bin} failed (exit ${r.status}): ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as NativeRun;
}

/**
 * Replay a packed stream with --trace: a line per allocation ("a ADDR
 * TOUCHES" or "a EBUSY TOUCHES"), "BUG FUNC" if a BUG_ON fired (the run
 * stops there), then the summary line; `bug` is true when it ended in a BUG.
 */
export function runNativeTrace(bin: string, packed: string): { lines: string[]; bug: boolean } {
  const r = spawnSync(bin, [packed, '--trace'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.error) throw new Error(`${bin}: ${r.error.message}`);
  if (r.status !== 0 && r.status !== 3) throw new Error(`${bin} failed (exit ${r.status}): ${r.stderr.trim()}`);
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  return { lines: r.status === 3 ? lines : lines.slice(0, -1), bug: r.status === 3 };
}
