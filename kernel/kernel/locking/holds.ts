// SPDX-License-Identifier: GPL-2.0-only
/*
 * A lock's schedule of holds (docs/concurrency.md, "Lock order"): the holds
 * already run, [start, end) on a CPU, sorted by start. Not kernel text: the
 * lock model's own bookkeeping (spinlock.ts).
 *
 * Most holds arrive in order, at the tail. A CPU that was suspended below a
 * step while the others ran ahead records its holds far back, and while its
 * clock lags nothing can be dropped from the front, so the schedule grows to
 * hundreds of thousands of holds (6.1's test_vmalloc at 8 CPUs). A flat
 * array then paid a scan and a move of everything after each such insertion.
 * The holds are kept in sorted chunks of at most CHUNK entries instead: an
 * insertion finds its chunk by binary search and moves at most one chunk.
 *
 * Positions are global indices 0..length-1 in start order, as in the flat
 * array this replaces; a Cursor walks them forward.
 */

/** Most holds in one chunk. */
export const CHUNK = 256;

/** Most dropped chunks a schedule keeps for reuse. */
const SPARE_CHUNKS = 4;

class Chunk {
  readonly start = new Float64Array(CHUNK);
  readonly end = new Float64Array(CHUNK);
  readonly cpu = new Int32Array(CHUNK);
  n = 0;
  /** The latest end in the chunk, and the last entry that ends then (-1: empty). */
  maxEnd = -Infinity;
  maxAt = -1;

  /** Recompute maxEnd and maxAt (after a split or a drop). */
  summarize(): void {
    this.maxEnd = -Infinity;
    this.maxAt = -1;
    for (let i = 0; i < this.n; i++) {
      if (this.end[i]! >= this.maxEnd) {
        this.maxEnd = this.end[i]!;
        this.maxAt = i;
      }
    }
  }
}

/** A position in the schedule: chunk `ci`, entry `off` (off < n unless at the end). */
export class Cursor {
  ci = 0;
  off = 0;
  constructor(private readonly h: HoldSchedule) {}

  /** At a hold (not past the last). */
  get valid(): boolean {
    return this.ci < this.h.chunks.length;
  }
  get start(): number {
    return this.h.chunks[this.ci]!.start[this.off]!;
  }
  get end(): number {
    return this.h.chunks[this.ci]!.end[this.off]!;
  }
  get cpu(): number {
    return this.h.chunks[this.ci]!.cpu[this.off]!;
  }
  next(): void {
    const c = this.h.chunks[this.ci]!;
    if (++this.off >= c.n) {
      this.ci++;
      this.off = 0;
    }
  }
  /** One hold back; stays at the first hold. */
  prev(): void {
    if (this.off > 0) this.off--;
    else if (this.ci > 0) {
      this.ci--;
      this.off = this.h.chunks[this.ci]!.n - 1;
    }
  }
}

export class HoldSchedule {
  /** Non-empty chunks in order; every start of one is <= every start of the next. */
  readonly chunks: Chunk[] = [];
  length = 0;
  /**
   * Chunks dropped from the front, kept for the next that is needed: most
   * schedules are emptied and refilled over and over (a lock's holds are
   * pruned once every CPU has passed them), and a chunk is three typed
   * arrays whose allocation showed in the 16- and 64-CPU profiles.
   */
  private readonly spare: Chunk[] = [];

  /** An empty chunk, a spare one if there is one. */
  private chunk(): Chunk {
    const c = this.spare.pop();
    if (!c) return new Chunk();
    c.n = 0;
    c.maxEnd = -Infinity;
    c.maxAt = -1;
    return c;
  }

  /** A cursor at the first hold whose start is >= key (strict: > key). */
  seek(key: number, strict = false): Cursor {
    const cur = new Cursor(this);
    const cs = this.chunks;
    // The first chunk whose last start passes key.
    let lo = 0;
    let hi = cs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = cs[mid]!;
      const last = c.start[c.n - 1]!;
      if (strict ? last <= key : last < key) lo = mid + 1;
      else hi = mid;
    }
    cur.ci = lo;
    if (lo === cs.length) return cur;
    const c = cs[lo]!;
    let a = 0;
    let b = c.n;
    while (a < b) {
      const mid = (a + b) >> 1;
      const s = c.start[mid]!;
      if (strict ? s <= key : s < key) a = mid + 1;
      else b = mid;
    }
    cur.off = a;
    return cur;
  }

  /** A cursor at the first hold. */
  first(): Cursor {
    return new Cursor(this);
  }

  /** Insert a hold after every hold that starts at or before `start`. */
  insert(start: number, end: number, cpu: number): void {
    const cs = this.chunks;
    this.length++;
    if (cs.length === 0) {
      const c = this.chunk();
      c.start[0] = start;
      c.end[0] = end;
      c.cpu[0] = cpu;
      c.n = 1;
      c.maxEnd = end;
      c.maxAt = 0;
      cs.push(c);
      return;
    }
    const cur = this.seek(start, true);
    let ci = cur.ci;
    let off = cur.off;
    // Past the last hold, or at the front of a chunk: append to the chunk before.
    if (ci === cs.length || (off === 0 && ci > 0)) {
      ci--;
      off = cs[ci]!.n;
    }
    let c = cs[ci]!;
    if (c.n === CHUNK) {
      // Split in two halves; the insertion goes to the half that holds its position.
      const half = CHUNK >> 1;
      const d = this.chunk();
      d.start.set(c.start.subarray(half, CHUNK));
      d.end.set(c.end.subarray(half, CHUNK));
      d.cpu.set(c.cpu.subarray(half, CHUNK));
      d.n = CHUNK - half;
      c.n = half;
      c.summarize();
      d.summarize();
      cs.splice(ci + 1, 0, d);
      if (off > half) {
        c = d;
        off -= half;
      }
    }
    if (off < c.n) {
      c.start.copyWithin(off + 1, off, c.n);
      c.end.copyWithin(off + 1, off, c.n);
      c.cpu.copyWithin(off + 1, off, c.n);
    }
    c.start[off] = start;
    c.end[off] = end;
    c.cpu[off] = cpu;
    c.n++;
    if (off <= c.maxAt) c.maxAt++;
    if (end > c.maxEnd || (end === c.maxEnd && off > c.maxAt)) {
      c.maxEnd = end;
      c.maxAt = off;
    }
  }

  /** Drop the first k holds. */
  dropFront(k: number): void {
    const cs = this.chunks;
    this.length -= k;
    let whole = 0;
    while (whole < cs.length && k >= cs[whole]!.n) k -= cs[whole++]!.n;
    if (whole) {
      for (let i = 0; i < whole && this.spare.length < SPARE_CHUNKS; i++) this.spare.push(cs[i]!);
      cs.splice(0, whole);
    }
    if (k > 0) {
      const c = cs[0]!;
      c.start.copyWithin(0, k, c.n);
      c.end.copyWithin(0, k, c.n);
      c.cpu.copyWithin(0, k, c.n);
      c.n -= k;
      c.summarize();
    }
  }

  /**
   * The lock model's first fit (spinlock.ts, lock_table.firstFit): from the
   * last hold that starts before `now - maxHold`, walk the holds in start
   * order. One that ended by `t` only names the last holder (the latest end
   * so far, the last of equal ends); one under way at `t`, or starting too
   * soon after it for a hold of length `need`, moves `t` to its end; the
   * first that leaves room ends the walk. A whole chunk that ended by `t`
   * is taken at once from its summary, which names the same holder as the
   * walk through it would: the last entry with its latest end.
   */
  fit(now: number, maxHold: number, need: number, lastHolder: number): { start: number; prev: number } {
    let t = now;
    let prev = lastHolder;
    let prevEnd = -Infinity;
    const cs = this.chunks;
    const h = this.seek(now - maxHold);
    h.prev();
    let off = h.off;
    outer: for (let ci = h.ci; ci < cs.length; ci++, off = 0) {
      const c = cs[ci]!;
      if (off === 0 && c.maxEnd <= t) {
        if (c.maxEnd >= prevEnd) {
          prevEnd = c.maxEnd;
          prev = c.cpu[c.maxAt]!;
        }
        continue;
      }
      const st = c.start;
      const en = c.end;
      for (let i = off; i < c.n; i++) {
        const e = en[i]!;
        if (e <= t) {
          if (e >= prevEnd) {
            prevEnd = e;
            prev = c.cpu[i]!;
          }
          continue;
        }
        const s = st[i]!;
        if (s > t && s >= t + need) break outer;
        t = e;
        prevEnd = e;
        prev = c.cpu[i]!;
      }
    }
    return { start: t, prev };
  }
}
