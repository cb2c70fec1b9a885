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

  it('drops whole chunks and part of the next from the front', () => {
    const h = new HoldSchedule();
    for (let i = 0; i < 3 * CHUNK; i++) h.insert(i, i + 1, i % 4);
    h.dropFront(CHUNK + 5);
    expect(h.length).to.equal(2 * CHUNK - 5);
    const c = h.first();
    expect([c.start, c.end, c.cpu]).to.deep.equal([CHUNK + 5, CHUNK + 6, (CHUNK + 5) % 4]);
    expect(contents(h).map((x) => x[0])).to.deep.equal(Array.from({ length: 2 * CHUNK - 5 }, (_, i) => CHUNK + 5 + i));
  });
});
