// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vmapsim bench floor`: how close can JavaScript get to C on the loops the
 * allocators spend their time in? Not a port and not a test: the same two
 * loops, over the same tree, timed in one run as
 *
 *   c        scripts/bench/floor/walk.c, compiled here with gcc -O2;
 *   objects  the ports' own representation: linux-2.6.35's vmap_area (an
 *            rb_node subclass with list_heads), that era's rb_next() and the
 *            u64 helpers, exactly what the port's search calls;
 *   typed    the best representation JavaScript offers: the same tree as
 *            parallel typed arrays (links in Int32Arrays, addresses in a
 *            Float64Array), the same u64 helpers.
 *
 * The loops are alloc_vmap_area's first-fit walk of 2.6.35..3.18 (rb_next
 * from the lowest area, ALIGN(va_end + PAGE_SIZE, align) per area) and
 * __find_vmap_area's descent (one binary search per area). The ratio of a
 * JavaScript figure to the C figure is a floor for any port whose time goes
 * to that loop: the allocator-only bars of the issues ask for at most 1.5x
 * (2x earlier) the kernel's own code, and the typed-array ratio here says
 * whether a change of representation could reach them.
 */

import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { PAGE_SIZE } from '../../kernel/include/asm/page.js';
import { rb_node } from '../../kernel/include/linux/rbtree.js';
import { ALIGN, ugt, ule, ult, type ulong } from '../../kernel/include/u64.js';
import { rb_next } from '../../kernel/lib/rbtree/linux-2.6.35.js';
import { vmap_area } from '../../kernel/mm/vmalloc/linux-2.6.35.js';
import { repoRoot } from '../lib/paths.js';
import { buildC, type Built } from './gcc.js';

/** 0xffffc90000000000, VMALLOC_START on x86-64 4-level, in the signed view. */
const BASE: ulong = -0x370000000000;
/** Areas 8 KiB long every 12 KiB: the walk never finds a hole and visits all. */
const STRIDE = 0x3000;
const LENGTH = 0x2000;
/** The request the walk tests each area against (random-mixed's vstart/vend, align 1). */
const REQUEST = { size: 0x2000, vend: -0x170000000001, align: 1 };

/** How many addresses the descent looks up per pass: far more than a branch predictor learns. */
export const DESCENT_KEYS = 65536;

/** The tree both sides build: node slots in a seeded random order, balanced over sorted keys. */
export interface FloorShape {
  readonly nodes: number;
  /** perm[k] = the slot (memory position) of the area with the k-th lowest address */
  readonly perm: Uint32Array;
  /** the descent's lookups: area addresses in a seeded random sequence */
  readonly keys: Float64Array;
}

/** The seeded permutation, computed as walk.c computes it (same LCG, same Fisher-Yates). */
export function floorShape(nodes: number): FloorShape {
  const perm = new Uint32Array(nodes);
  for (let i = 0; i < nodes; i++) perm[i] = i;
  let seed = 1;
  const next_rand = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff);
  for (let i = nodes - 1; i > 0; i--) {
    const j = next_rand() % (i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  const keys = new Float64Array(DESCENT_KEYS);
  for (let i = 0; i < DESCENT_KEYS; i++) keys[i] = keyOf(next_rand() % nodes);
  return { nodes, perm, keys };
}

function keyOf(k: number): ulong {
  return BASE + k * STRIDE;
}

/** One representation's loops, ready to time. */
export interface FloorSide {
  /** One first-fit walk; returns the steps taken. */
  walk(): number;
  /** One descent per lookup address; returns the levels visited. */
  descent(): number;
  /** rb_entry() evaluations so far (kept so the loops cannot be optimised away). */
  touches(): number;
}

/** The ports' representation: linux-2.6.35 vmap_area objects, that era's rb_next(). */
export function objectSide(shape: FloorShape): FloorSide {
  const slots: vmap_area[] = [];
  for (let i = 0; i < shape.nodes; i++) slots.push(new vmap_area());
  const build = (lo: number, hi: number, parent: rb_node | null): vmap_area | null => {
    if (lo > hi) return null;
    const m = (lo + hi) >> 1;
    const n = slots[shape.perm[m]!]!;
    n.va_start = keyOf(m);
    n.va_end = n.va_start + LENGTH;
    n.__rb_parent = parent;
    n.rb_left = build(lo, m - 1, n);
    n.rb_right = build(m + 1, hi, n);
    return n;
  };
  const root = build(0, shape.nodes - 1, null) as vmap_area;
  const keys = shape.keys;
  const { size, vend, align } = REQUEST;
  let touches = 0;
  const rb_entry = (n: rb_node): vmap_area => {
    touches++;
    return n as vmap_area;
  };
  return {
    walk(): number {
      let first: vmap_area = root;
      let addr = BASE;
      let steps = 0;
      while (first.rb_left) first = first.rb_left as vmap_area;
      while (ugt(addr + size, first.va_start) && ule(addr + size, vend)) {
        addr = ALIGN(first.va_end + PAGE_SIZE, align);
        if (ult(addr + size - 1, addr)) break;
        steps++;
        const n = rb_next(first);
        if (!n) break;
        first = rb_entry(n);
      }
      return steps;
    },
    descent(): number {
      let levels = 0;
      for (let i = 0; i < keys.length; i++) {
        const addr = keys[i]!;
        let n: rb_node | null = root;
        while (n) {
          levels++;
          const va = rb_entry(n);
          if (ult(addr, va.va_start)) n = n.rb_left;
          else if (ugt(addr, va.va_start)) n = n.rb_right;
          else break;
        }
      }
      return levels;
    },
    touches: () => touches,
  };
}

/** The same tree as parallel typed arrays; slot 0 is NULL, so slot s is stored at s + 1. */
export function typedSide(shape: FloorShape): FloorSide {
  const size1 = shape.nodes + 1;
  const parent = new Int32Array(size1);
  const left = new Int32Array(size1);
  const right = new Int32Array(size1);
  const va_start = new Float64Array(size1);
  const va_end = new Float64Array(size1);
  const build = (lo: number, hi: number, p: number): number => {
    if (lo > hi) return 0;
    const m = (lo + hi) >> 1;
    const n = shape.perm[m]! + 1;
    va_start[n] = keyOf(m);
    va_end[n] = va_start[n] + LENGTH;
    parent[n] = p;
    left[n] = build(lo, m - 1, n);
    right[n] = build(m + 1, hi, n);
    return n;
  };
  const root = build(0, shape.nodes - 1, 0);
  const keys = shape.keys;
  const next = (node: number): number => {
    let p: number;
    if (parent[node] === node) return 0;
    if (right[node]) {
      node = right[node]!;
      while (left[node]) node = left[node]!;
      return node;
    }
    while ((p = parent[node]!) && node === right[p]) node = p;
    return p;
  };
  const { size, vend, align } = REQUEST;
  let touches = 0;
  return {
    walk(): number {
      let first = root;
      let addr = BASE;
      let steps = 0;
      while (left[first]) first = left[first]!;
      while (ugt(addr + size, va_start[first]!) && ule(addr + size, vend)) {
        addr = ALIGN(va_end[first]! + PAGE_SIZE, align);
        if (ult(addr + size - 1, addr)) break;
        steps++;
        const n = next(first);
        if (!n) break;
        touches++;
        first = n;
      }
      return steps;
    },
    descent(): number {
      let levels = 0;
      for (let i = 0; i < keys.length; i++) {
        const addr = keys[i]!;
        let n = root;
        while (n) {
          levels++;
          touches++;
          if (ult(addr, va_start[n]!)) n = left[n]!;
          else if (ugt(addr, va_start[n]!)) n = right[n]!;
          else break;
        }
      }
      return levels;
    },
    touches: () => touches,
  };
}

/** One side's best figures over the rounds. */
export interface FloorFigures {
  walkNsPerStep: number;
  descentNsPerLevel: number;
  stepsPerWalk: number;
  levelsPerDescent: number;
}

/** Time a JavaScript side: best of `rounds`, each `reps` walks then `reps` descents. */
export function timeSide(side: FloorSide, reps: number, rounds: number): FloorFigures {
  let bestWalk = Infinity;
  let bestDescent = Infinity;
  let steps = 0;
  let levels = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    steps = 0;
    for (let i = 0; i < reps; i++) steps += side.walk();
    const t1 = process.hrtime.bigint();
    levels = 0;
    for (let i = 0; i < reps; i++) levels += side.descent();
    const t2 = process.hrtime.bigint();
    bestWalk = Math.min(bestWalk, Number(t1 - t0) / steps);
    bestDescent = Math.min(bestDescent, Number(t2 - t1) / levels);
  }
  return { walkNsPerStep: bestWalk, descentNsPerLevel: bestDescent, stepsPerWalk: steps / reps, levelsPerDescent: levels / reps };
}

/** Where the C side lives, and where its binary is built (once per source text). */
export function floorSource(): string {
  return resolve(repoRoot(), 'scripts', 'bench', 'floor', 'walk.c');
}

/** Compile walk.c with gcc -O2; `missing` says why when no compiler is at hand. */
export function buildFloorBinary(): Built {
  return buildC(floorSource(), 'vmapsim-floor');
}

/** Run the C side: its best figures over `rounds`. */
export function runC(bin: string, nodes: number, reps: number, rounds: number): FloorFigures {
  const r = spawnSync(bin, [String(nodes), String(reps), String(rounds)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${bin} failed: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as FloorFigures;
}

export interface FloorRow {
  side: 'c' | 'objects' | 'typed';
  walkNsPerStep: number;
  descentNsPerLevel: number;
  /** JavaScript figure / C figure (null for C itself, or when C could not be built) */
  walkRatio: number | null;
  descentRatio: number | null;
}

export interface FloorResult {
  nodes: number;
  rows: FloorRow[];
  /** why the C side is missing, if it is */
  cMissing: string | null;
}

/**
 * The benchmark: `rounds` passes, each running C, objects and typed once
 * (interleaved, so a busy host slows all three alike); best figure per side.
 */
export function benchFloor(opts: { nodes?: number; reps?: number; rounds?: number } = {}): FloorResult {
  const nodes = opts.nodes ?? 2048;
  const reps = opts.reps ?? 50;
  const rounds = opts.rounds ?? 5;
  const shape = floorShape(nodes);
  const sides = { objects: objectSide(shape), typed: typedSide(shape) };
  const built = buildFloorBinary();
  const best: Record<'c' | 'objects' | 'typed', FloorFigures | null> = { c: null, objects: null, typed: null };
  const keep = (k: 'c' | 'objects' | 'typed', f: FloorFigures) => {
    const b = best[k];
    best[k] = b
      ? { ...b, walkNsPerStep: Math.min(b.walkNsPerStep, f.walkNsPerStep), descentNsPerLevel: Math.min(b.descentNsPerLevel, f.descentNsPerLevel) }
      : f;
  };
  for (let r = 0; r < rounds; r++) {
    if ('path' in built) keep('c', runC(built.path, nodes, reps, 1));
    keep('objects', timeSide(sides.objects, reps, 1));
    keep('typed', timeSide(sides.typed, reps, 1));
  }
  const c = best.c;
  const rows: FloorRow[] = (['c', 'objects', 'typed'] as const)
    .filter((k) => best[k] !== null)
    .map((k) => {
      const f = best[k] as FloorFigures;
      return {
        side: k,
        walkNsPerStep: f.walkNsPerStep,
        descentNsPerLevel: f.descentNsPerLevel,
        walkRatio: c && k !== 'c' ? f.walkNsPerStep / c.walkNsPerStep : null,
        descentRatio: c && k !== 'c' ? f.descentNsPerLevel / c.descentNsPerLevel : null,
      };
    });
  return { nodes, rows, cMissing: 'missing' in built ? built.missing : null };
}

/** A table of the floor figures. */
export function formatFloor(r: FloorResult): string {
  const label = { c: 'C (gcc -O2)', objects: 'JS, the ports\' objects', typed: 'JS, typed arrays' };
  const head = ['representation', 'walk ns/step', 'x C', 'descent ns/level', 'x C'];
  const body = r.rows.map((x) => [
    label[x.side],
    x.walkNsPerStep.toFixed(2),
    x.walkRatio === null ? '-' : `${x.walkRatio.toFixed(2)}x`,
    x.descentNsPerLevel.toFixed(2),
    x.descentRatio === null ? '-' : `${x.descentRatio.toFixed(2)}x`,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ');
  const lines = [`${r.nodes} areas, a balanced tree with nodes in seeded random memory order; best of the rounds`, line(head), ...body.map(line)];
  if (r.cMissing) lines.push(`C side not measured: ${r.cMissing}`);
  return lines.join('\n');
}
