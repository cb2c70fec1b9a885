// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { CHUNK, HoldSchedule } from '../../../../kernel/kernel/locking/holds.js';
import { SplitMix64 } from '../../../../kernel/lib/random.js';

/** The flat sorted arrays the schedule replaced, as spinlock.ts kept them before. */
class FlatSchedule {
  readonly start: number[] = [];
  readonly end: number[] = [];
  readonly cpu: number[] = [];
  insert(s: number, e: number, c: number): void {
    let i = this.start.length;
    while (i > 0 && this.start[i - 1]! > s) i--;
    this.start.splice(i, 0, s);
    this.end.splice(i, 0, e);
    this.cpu.splice(i, 0, c);
  }
  /** lock_table.firstFit as it walked the flat arrays. */
  fit(now: number, maxHold: number, need: number, lastHolder: number): { start: number; prev: number } {
    let t = now;
    let prev = lastHolder;
    let prevEnd = -Infinity;
    const lo = this.seek(now - maxHold);
    for (let i = Math.max(0, lo - 1); i < this.start.length; i++) {
      const s = this.start[i]!;
      const e = this.end[i]!;
      if (e <= t) {
        if (e >= prevEnd) {
          prevEnd = e;
          prev = this.cpu[i]!;
        }
        continue;
      }
      if (s > t && s >= t + need) break;
      t = e;
      prevEnd = e;
      prev = this.cpu[i]!;
    }
    return { start: t, prev };
  }
  seek(key: number): number {
    let i = 0;
    while (i < this.start.length && this.start[i]! < key) i++;
    return i;
  }
  dropFront(k: number): void {
    this.start.splice(0, k);
    this.end.splice(0, k);
    this.cpu.splice(0, k);
  }
}

function contents(h: HoldSchedule): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (const c = h.first(); c.valid; c.next()) out.push([c.start, c.end, c.cpu]);
  return out;
}

function flat(f: FlatSchedule): [number, number, number][] {
  return f.start.map((s, i) => [s, f.end[i]!, f.cpu[i]!]);
}

describe('kernel/kernel/locking/holds: a lock schedule in sorted chunks', () => {
  it('keeps holds in start order, later equal starts after earlier ones, as the flat arrays did', () => {
    const h = new HoldSchedule();
    const f = new FlatSchedule();
    for (const [s, c] of [[10, 0], [5, 1], [10, 2], [7, 3], [10, 4], [0, 5]] as const) {
      h.insert(s, s + 1, c);
      f.insert(s, s + 1, c);
    }
    expect(contents(h)).to.deep.equal([[0, 1, 5], [5, 6, 1], [7, 8, 3], [10, 11, 0], [10, 11, 2], [10, 11, 4]]);
    expect(contents(h)).to.deep.equal(flat(f));
  });

  it('agrees with the flat arrays on seeks, insertions deep in the past and front drops across many chunks', () => {
    const rng = new SplitMix64(7);
    const h = new HoldSchedule();
    const f = new FlatSchedule();
    let clock = 0;
    for (let i = 0; i < 20 * CHUNK; i++) {
      const r = rng.rnd(100);
      // Mostly at the tail; one in seven far back (a CPU that lagged); some ties.
      const s = r <= 80 ? (clock += rng.rnd(50)) : r <= 95 ? Math.max(0, clock - rng.rnd(20000)) : clock;
      const e = s + rng.rnd(30);
      const c = rng.rnd(64) - 1;
      h.insert(s, e, c);
      f.insert(s, e, c);
      if (i % 997 === 996) {
        const k = rng.rnd(f.start.length >> 1);
        h.dropFront(k);
        f.dropFront(k);
      }
    }
    expect(h.length).to.equal(f.start.length);
    expect(contents(h)).to.deep.equal(flat(f));
    expect(h.chunks.length).to.be.greaterThan(10);
    for (const c of h.chunks) expect(c.n).to.be.within(1, CHUNK);
    for (let q = 0; q < 500; q++) {
      const key = rng.rnd(clock + 100) - 50;
      const c = h.seek(key);
      const i = f.seek(key);
      if (i === f.start.length) expect(c.valid).to.equal(false);
      else expect([c.start, c.end, c.cpu]).to.deep.equal([f.start[i], f.end[i], f.cpu[i]]);
      // One back, as firstFit starts: the hold before, or the first.
      c.prev();
      const j = Math.max(0, i - 1);
      expect([c.start, c.end, c.cpu]).to.deep.equal([f.start[j], f.end[j], f.cpu[j]]);
    }
  });

  it('empties and refills a schedule with no trace of the holds dropped before (chunks reused)', () => {
    const rng = new SplitMix64(11);
    const h = new HoldSchedule();
    const f = new FlatSchedule();
    let clock = 0;
    for (let round = 0; round < 30; round++) {
      // Long holds first, so a reused chunk's old summary would name a wrong holder.
      const n = 1 + rng.rnd(3 * CHUNK);
      for (let i = 0; i < n; i++) {
        const s = (clock += rng.rnd(40));
        const e = s + (round % 2 === 0 ? 100000 : rng.rnd(30));
        const c = rng.rnd(16);
        h.insert(s, e, c);
        f.insert(s, e, c);
      }
      expect(contents(h)).to.deep.equal(flat(f));
      const now = clock + rng.rnd(200);
      expect(h.fit(now, 50, 10, 99)).to.deep.equal(f.fit(now, 50, 10, 99));
      const k = round % 3 === 0 ? f.start.length : rng.rnd(f.start.length + 1);
      h.dropFront(k);
      f.dropFront(k);
      expect(h.length).to.equal(f.start.length);
    }
  });

  it('drops whole chunks and part of the next from the front', () => {
    const h = new HoldSchedule();
    for (let i = 0; i < 3 * CHUNK; i++) h.insert(i, i + 1, i % 4);
    h.dropFront(CHUNK + 5);
    expect(h.length).to.equal(2 * CHUNK - 5);
    const c = h.first();
    expect([c.start, c.end, c.cpu]).to.deep.equal([CHUNK + 5, CHUNK + 6, (CHUNK + 5) % 4]);
    expect(contents(h).map((x) => x[0])).to.deep.equal(Array.from({ length: 2 * CHUNK - 5 }, (_, i) => CHUNK + 5 + i));
  });

  it('fits a hold where the flat walk did, skipping whole chunks that ended, with long holds, ties and lagging CPUs', () => {
    const rng = new SplitMix64(11);
    const h = new HoldSchedule();
    const f = new FlatSchedule();
    let clock = 0;
    let maxHold = 0;
    for (let i = 0; i < 12 * CHUNK; i++) {
      const r = rng.rnd(1000);
      const s = r <= 800 ? (clock += rng.rnd(40)) : r <= 990 ? Math.max(0, clock - rng.rnd(30000)) : clock;
      // Mostly short holds, a few a purge long; some ending together.
      const len = r % 97 === 0 ? 5000 + rng.rnd(50000) : r % 5 === 0 ? 20 : rng.rnd(60);
      const c = rng.rnd(16) - 1;
      // Ends on a coarse grid, so that many holds end together (the last of them names the holder).
      const e = Math.ceil((s + len) / 64) * 64;
      h.insert(s, e, c);
      f.insert(s, e, c);
      maxHold = Math.max(maxHold, e - s);
      if (i % 50 === 0) {
        for (let q = 0; q < 20; q++) {
          const now = rng.rnd(clock + 200) - 100;
          const need = rng.rnd(80);
          expect(h.fit(now, maxHold, need, 99), `fit(${now}, ${maxHold}, ${need}) after ${i + 1} holds`).to.deep.equal(f.fit(now, maxHold, need, 99));
        }
      }
      if (i % 1500 === 1499) {
        const k = rng.rnd(f.start.length >> 2);
        h.dropFront(k);
        f.dropFront(k);
      }
    }
  });

  it('names the last of the holds that end latest when it takes whole chunks at once', () => {
    // All end together: the walk names the last hold, three chunks on.
    const h = new HoldSchedule();
    for (let i = 0; i < 3 * CHUNK; i++) h.insert(i, 1000, i % 7);
    expect(h.fit(2000, 2000, 1, 99)).to.deep.equal({ start: 2000, prev: (3 * CHUNK - 1) % 7 });
    // So it does after a drop has cut into the first chunk left.
    h.dropFront(3 * CHUNK - 10);
    expect(h.fit(2000, 2000, 1, 99)).to.deep.equal({ start: 2000, prev: (3 * CHUNK - 1) % 7 });
    // The latest end is not the last entry, and a hold inserted before it shifts it.
    const g = new HoldSchedule();
    g.insert(0, 5, 1);
    g.insert(10, 100, 2);
    g.insert(5, 50, 3);
    expect(g.fit(1000, 1000, 1, 99)).to.deep.equal({ start: 1000, prev: 2 });
    // A later hold with the same end takes over.
    const k = new HoldSchedule();
    k.insert(0, 100, 4);
    k.insert(10, 100, 5);
    expect(k.fit(1000, 1000, 1, 99)).to.deep.equal({ start: 1000, prev: 5 });
  });
});
