// SPDX-License-Identifier: GPL-2.0-only
/*
 * Operation generators: the six workloads of golden/FORMAT.md, drawn from
 * the same splitmix64 stream in the same order (so `--workload random-mixed
 * --seed 1` produces exactly the operations of the golden trace
 * `*.random-mixed.s1`), plus "random", a fully random mix over wider sizes,
 * alignments, vstart/vend windows (top of the space included) and CPU
 * counts.
 *
 * A generator runs online: it proposes an op, the caller runs it and tells
 * the generator whether an allocation succeeded (only successful ones join
 * the live set), exactly as the kernel-side generator did.
 */

import { PAGE_SIZE } from '../../kernel/include/asm/page.js';
import { fls, type ulong } from '../../kernel/include/u64.js';
import { type CheckOp, VE, VS } from './ops.js';
import { BufferedSplitMix64, SplitMix64 } from './prng.js';

export const WORKLOADS = ['random-mixed', 'ioremap-align', 'tiny-window', 'top-of-space', 'lazy-churn', 'fixed-busy-list', 'random'] as const;
/**
 * Workloads outside the golden set and outside `--workload all`'s cycle:
 * "pool-churn" (several CPUs, pool-sized vmalloc-range areas, lazy frees,
 * no reclaim), which reaches the vmap-node pools of 6.12+.
 */
export const EXTRA_WORKLOADS = ['pool-churn'] as const;
export type WorkloadName = (typeof WORKLOADS)[number] | (typeof EXTRA_WORKLOADS)[number];

/** FORMAT.md's default nops per workload (and ours for "random"). */
export const DEFAULT_NOPS: Record<WorkloadName, number> = {
  'random-mixed': 4000,
  'ioremap-align': 4000,
  'tiny-window': 4000,
  'top-of-space': 4000,
  'lazy-churn': 6000,
  'fixed-busy-list': 4000,
  random: 4000,
  'pool-churn': 2000,
};

export function isWorkload(s: string): s is WorkloadName {
  return (WORKLOADS as readonly string[]).includes(s) || (EXTRA_WORKLOADS as readonly string[]).includes(s);
}

export interface OpGenerator {
  readonly workload: WorkloadName;
  readonly seed: number;
  readonly ncpu: number;
  /** The next op (ops with `i` index the caller's live list, oldest first). */
  next(): CheckOp;
  /** Tell the generator how the last allocation went. */
  allocated(ok: boolean): void;
}

const TOP_START_A: ulong = -0x400000; // ffffffffffc00000
const TOP_START_B: ulong = -0x10000; // ffffffffffff0000
const TOP_END_A: ulong = -0x1000; // fffffffffffff000
const TOP_END_B: ulong = -0x2000; // ffffffffffffe000

/**
 * The live-area bookkeeping of the kernel-side generator: `live` in its
 * order (an allocation appends; freeing index i moves the last element into
 * i), plus the same areas oldest first, which is how an op names them.
 */
class Live {
  private nextId = 0;
  readonly live: number[] = [];
  private readonly ordered: number[] = [];

  get n(): number {
    return this.live.length;
  }

  add(): void {
    const id = this.nextId++;
    this.live.push(id);
    this.ordered.push(id);
  }

  /** Remove live[j]; returns its index in allocation order. */
  take(j: number): number {
    const id = this.live[j]!;
    const last = this.live.pop() as number;
    if (j < this.live.length) this.live[j] = last;
    const i = this.ordered.indexOf(id);
    this.ordered.splice(i, 1);
    return i;
  }

  /** Remove the oldest; its index in allocation order is 0. */
  takeOldest(): number {
    const id = this.ordered.shift() as number;
    const j = this.live.indexOf(id);
    this.live.splice(j, 1);
    return 0;
  }
}

/** The workloads as the generator's switch numbers them. */
const W = {
  RandomMixed: 0,
  IoremapAlign: 1,
  TinyWindow: 2,
  TopOfSpace: 3,
  LazyChurn: 4,
  FixedBusyList: 5,
  Random: 6,
  PoolChurn: 7,
} as const;
type W = (typeof W)[keyof typeof W];

const KIND: Record<WorkloadName, W> = {
  'random-mixed': W.RandomMixed,
  'ioremap-align': W.IoremapAlign,
  'tiny-window': W.TinyWindow,
  'top-of-space': W.TopOfSpace,
  'lazy-churn': W.LazyChurn,
  'fixed-busy-list': W.FixedBusyList,
  random: W.Random,
  'pool-churn': W.PoolChurn,
};

/**
 * Every workload in one class, its own draws in one switch: a campaign
 * cycles through the workloads run by run, and one class (one object
 * shape) keeps the caller's op loop from being re-optimized at each new
 * workload (docs/performance.md, "Campaign throughput: the harness's JIT").
 */
class Generator implements OpGenerator {
  private readonly g: BufferedSplitMix64;
  private readonly L = new Live();
  /** The last op was an allocation (only a successful one joins the live set). */
  private pending = false;
  /** lazy-churn: the run's size in pages (drawn at the first op), and whether the next op frees. */
  private pages = 0;
  private freeNext = false;
  /** fixed-busy-list: initial allocations made so far. */
  private initial = 0;

  constructor(
    readonly workload: WorkloadName,
    readonly seed: number,
    readonly param: number,
    private readonly kind: W,
    readonly ncpu: number,
  ) {
    this.g = new BufferedSplitMix64(seed);
  }

  private rnd(n: number): number {
    return this.g.rnd(n);
  }

  private alignIo(): ulong {
    return 2 ** (13 + this.rnd(7));
  }

  private pagesMixed(): number {
    return this.rnd(10) < 9 ? 1 + this.rnd(64) : 1 + this.rnd(1024);
  }

  /** An allocation of `size` bytes (the golden workloads: pages plus the guard page). */
  private alloc(size: ulong, align: ulong, vstart: ulong, vend: ulong): CheckOp {
    this.pending = true;
    return { k: 'a', size, align, vstart, vend };
  }

  private free(k: 'f' | 'l'): CheckOp {
    return { k, i: this.L.take(this.rnd(this.L.n)) };
  }

  allocated(ok: boolean): void {
    if (this.pending && ok) this.L.add();
    this.pending = false;
    // lazy-churn frees the oldest area once more than param are live (read only there).
    this.freeNext = this.L.n > (this.param || 32);
  }

  next(): CheckOp {
    switch (this.kind) {
      case W.RandomMixed: {
        const minLive = this.param || 32;
        const r = this.rnd(100);
        const n = this.L.n;
        if (n === 0 || r < 45 || (r < 99 && n <= minLive)) {
          const pages = this.pagesMixed();
          const align = this.rnd(100) < 85 ? 1 : this.alignIo();
          return this.alloc((pages + 1) * PAGE_SIZE, align, VS, VE);
        }
        if (r < 70) return this.free('f');
        if (r < 99) return this.free('l');
        return { k: 'p' };
      }
      case W.IoremapAlign: {
        const r = this.rnd(100);
        const n = this.L.n;
        if (n === 0 || r < 50 || (r < 95 && n <= 16)) {
          const pages = 1 + this.rnd(256);
          const k = this.rnd(100);
          let align: ulong;
          if (k < 20) align = 1;
          else if (k < 60) align = this.alignIo();
          else align = 2 ** Math.min(19, Math.max(12, fls(pages * PAGE_SIZE)));
          const vstart = this.rnd(100) < 15 ? VS + this.rnd(64) * PAGE_SIZE : VS;
          return this.alloc((pages + 1) * PAGE_SIZE, align, vstart, VE);
        }
        if (r < 75) return this.free('f');
        if (r < 95) return this.free('l');
        return { k: 'p' };
      }
      case W.TinyWindow: {
        const r = this.rnd(100);
        if (this.L.n === 0 || r < 50) {
          const pages = 1 + this.rnd(8);
          const k = this.rnd(100);
          const align = k < 80 ? 1 : k < 90 ? 0x2000 : 0x4000;
          const full = this.rnd(10) === 0;
          const ws = VS + 0x100000;
          return full ? this.alloc((pages + 1) * PAGE_SIZE, align, VS, VE) : this.alloc((pages + 1) * PAGE_SIZE, align, ws, ws + 48 * PAGE_SIZE);
        }
        if (r < 70) return this.free('f');
        if (r < 95) return this.free('l');
        return { k: 'p' };
      }
      case W.TopOfSpace: {
        const r = this.rnd(100);
        if (this.L.n === 0 || r < 50) {
          const pages = this.rnd(10) ? 1 + this.rnd(64) : 256 + this.rnd(769);
          const align = this.rnd(100) < 80 ? 1 : this.alignIo();
          const vstart = this.rnd(10) < 7 ? TOP_START_A : TOP_START_B;
          const vend = this.rnd(2) ? TOP_END_A : TOP_END_B;
          return this.alloc((pages + 1) * PAGE_SIZE, align, vstart, vend);
        }
        if (r < 75) return this.free('f');
        if (r < 95) return this.free('l');
        return { k: 'p' };
      }
      case W.LazyChurn: {
        if (this.pages === 0) this.pages = [8, 16, 32, 64][this.rnd(4)]!;
        if (this.freeNext) {
          this.freeNext = false;
          return { k: 'l', i: this.L.takeOldest() };
        }
        return this.alloc((this.pages + 1) * PAGE_SIZE, 1, VS, VE);
      }
      case W.FixedBusyList: {
        const N = this.param || 300;
        if (this.initial < N) {
          this.initial++;
          return this.alloc((1 + this.rnd(16) + 1) * PAGE_SIZE, 1, VS, VE);
        }
        const r = this.rnd(100);
        if (this.L.n === 0 || r < 50) {
          // The golden traces draw the alignment before the pages here (FORMAT.md
          // lists them the other way round); all 18 fixed-busy-list traces agree.
          const align = this.rnd(20) ? 1 : this.alignIo();
          const pages = 1 + this.rnd(16);
          return this.alloc((pages + 1) * PAGE_SIZE, align, VS, VE);
        }
        if (r < 80) return this.free('f');
        if (r < 98) return this.free('l');
        return { k: 'p' };
      }
      case W.Random: {
        const r = this.rnd(100);
        if (this.L.n === 0 || r < 50) {
          const sz = this.rnd(16);
          const pages = sz < 6 ? 1 + this.rnd(4) : sz < 12 ? 1 + this.rnd(64) : sz < 15 ? 1 + this.rnd(1024) : 1 + this.rnd(16384);
          const a = this.rnd(10);
          const align = a < 6 ? 1 : 2 ** (12 + this.rnd(11));
          let vstart: ulong = VS;
          let vend: ulong = VE;
          switch (this.rnd(8)) {
            case 4:
              vstart = VS + this.rnd(256) * PAGE_SIZE;
              break;
            case 5: {
              vstart = VS + this.rnd(64) * PAGE_SIZE;
              vend = vstart + (1 + this.rnd(64)) * PAGE_SIZE;
              break;
            }
            case 6:
              vstart = -(1 + this.rnd(4096)) * PAGE_SIZE;
              vend = [-1, TOP_END_A, TOP_END_B, -(this.rnd(16) * PAGE_SIZE) - 1][this.rnd(4)]!;
              break;
            case 7:
              vstart = VS + this.rnd(1024) * PAGE_SIZE;
              vend = vstart + this.rnd(2048) * PAGE_SIZE;
              break;
            default:
              break;
          }
          // No guard page added: any page multiple.
          return this.alloc(pages * PAGE_SIZE, align, vstart, vend);
        }
        if (r < 70) return this.free('f');
        if (r < 92) return this.free('l');
        return { k: 'p' };
      }
      case W.PoolChurn: {
        const r = this.rnd(100);
        if (this.L.n === 0 || r < 50) {
          const k = this.rnd(10);
          return this.alloc(((k < 4 ? 1 : k < 8 ? 255 : 16384) + 1) * PAGE_SIZE, 1, VS, VE);
        }
        if (r < 55) return this.free('f');
        return this.free('l');
      }
    }
  }
}

/*
 * What each workload draws, in order (the cases of Generator.next above):
 *
 * random-mixed: r = rnd(100); an allocation when nothing is live, r < 45, or
 * r < 99 with at most param (32) live: pagesMixed() (9 in 10: 1..64 pages,
 * else 1..1024), align 1 (85%) or alignIo() (2^13..2^19); else a free of a
 * random live area (r < 70), a lazy free (r < 99) or a purge.
 *
 * ioremap-align, tiny-window, top-of-space, fixed-busy-list: as FORMAT.md
 * gives them (the comments in the cases say where the text differs).
 *
 * lazy-churn: one size (8, 16, 32 or 64 pages) per run; allocations until
 * more than param (32) are live, then the oldest is freed lazily after
 * each allocation.
 *
 * "random": everything the allocators accept, weighted towards the corners:
 * sizes from one page to 16384 pages (no guard page added: any page
 * multiple), alignments 1 and 2^12..2^22, the vmalloc range, a raised
 * vstart, small windows anywhere in the range, and the top of the 64-bit
 * space up to vend = 0xffffffffffffffff (where `addr + size` can be 0).
 * The CPU count (1..8) is drawn first, once per run.
 *
 * "pool-churn": 2..4 CPUs (drawn first, once per run), so 6.12+ have as many
 * vmap nodes with per-size pools; vmalloc-range allocations (guard page
 * included) of 2 pages (40%), 256 pages (40%: the largest pooled size) and
 * 16385 pages (20%: never pooled; one lazy free of it is a threshold purge
 * at 1..3 CPUs), 45% lazy frees, 5% immediate frees,
 * and no explicit purge: only the drain work of the lazy threshold purges,
 * without full decay, so pools live across purges.
 */

/** A generator for a workload, seed and parameter (0 = FORMAT.md's default). */
export function makeGenerator(workload: WorkloadName, seed: number, param = 0): OpGenerator {
  // "random" and "pool-churn" draw their CPU count first, from a stream of their own.
  const ncpu = workload === 'random' ? 1 + new SplitMix64(seed ^ 0x5eed).rnd(8) : workload === 'pool-churn' ? 2 + new SplitMix64(seed ^ 0x5eed).rnd(3) : 1;
  return new Generator(workload, seed, param, KIND[workload], ncpu);
}
