// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { Prng } from '../../hw/prng.js';
import { TLB_GLOBAL, TLB_LARGE, TLB_STATS, TLB_VALID, Tlb } from '../../hw/tlb.js';

const I = TLB_STATS.index;

describe('Tlb', () => {
  const tlb = (entries: number, ways: number, policy: 'lru' | 'random' = 'lru', seed = 1): Tlb =>
    new Tlb('t', { entries, ways }, policy, new Prng(seed));
  const fill = (t: Tlb, pn: number, pcid = 0, flags = TLB_VALID): number => t.insert(pn, pcid, pn + 1000, flags, 0, 0, 0);

  it('finds an entry by page and PCID, and misses another PCID', () => {
    const t = tlb(64, 4);
    fill(t, 5, 1);
    expect(t.lookup(5, 1, 0)).to.be.at.least(0);
    expect(t.lookup(5, 2, 0)).to.equal(-1);
    t.syncStats();
    expect([t.stats[I.lookups], t.stats[I.hits], t.stats[I.misses]]).to.deep.equal([2, 1, 1]);
  });

  it('matches a global entry under any PCID', () => {
    const t = tlb(64, 4);
    fill(t, 5, 1, TLB_VALID | TLB_GLOBAL);
    expect(t.lookup(5, 7, 0)).to.be.at.least(0);
  });

  it('keeps 4 KiB and 2 MiB entries with the same number apart', () => {
    const t = tlb(64, 4);
    fill(t, 5, 0, TLB_VALID | TLB_LARGE);
    expect(t.lookup(5, 0, 0)).to.equal(-1);
    expect(t.lookup(5, 0, TLB_LARGE)).to.be.at.least(0);
    expect(t.largeValid).to.equal(1);
  });

  it('evicts the least recently used way of a full set', () => {
    // 4 sets of 2 ways: pages 0, 4, 8 share set 0.
    const t = tlb(8, 2);
    fill(t, 0);
    fill(t, 4);
    t.lookup(0, 0, 0); // 0 is now more recent than 4
    fill(t, 8);
    expect(t.lookup(4, 0, 0)).to.equal(-1);
    expect(t.lookup(0, 0, 0)).to.be.at.least(0);
    expect(t.lookup(8, 0, 0)).to.be.at.least(0);
    expect(t.stats[I.evictions]).to.equal(1);
  });

  it('evicts in insertion order when nothing is touched again', () => {
    const t = tlb(4, 4);
    for (const pn of [1, 2, 3, 4]) fill(t, pn);
    fill(t, 5);
    fill(t, 6);
    expect([1, 2, 3, 4, 5, 6].map((pn) => t.lookup(pn, 0, 0) >= 0)).to.deep.equal([false, false, true, true, true, true]);
  });

  it('evicts a seeded random way with the random policy, reproducibly', () => {
    const survivors = (seed: number): boolean[] => {
      const t = tlb(4, 4, 'random', seed);
      for (const pn of [1, 2, 3, 4]) fill(t, pn);
      for (const pn of [5, 6, 7]) fill(t, pn);
      return [1, 2, 3, 4].map((pn) => t.lookup(pn, 0, 0) >= 0);
    };
    expect(survivors(3)).to.deep.equal(survivors(3));
    const patterns = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((s) => survivors(s).join()));
    expect(patterns.size).to.be.greaterThan(1);
  });

  it('invalidates a page for one PCID, keeping other PCIDs and, when asked, globals', () => {
    const t = tlb(64, 4);
    fill(t, 5, 1);
    fill(t, 5, 2);
    const g = t.insert(5, 3, 1, TLB_VALID | TLB_GLOBAL, 0, 0, 0);
    expect(t.invalidatePage(5, 0, 1, true, false)).to.equal(1);
    expect(t.lookup(5, 2, 0)).to.be.at.least(0);
    expect(t.tag[g]).to.equal(5);
    expect(t.invalidatePage(5, 0, 1, true, true)).to.equal(1);
    expect(t.valid).to.equal(1);
  });

  it('flushes everything but globals, then globals too', () => {
    const t = tlb(64, 4);
    for (let pn = 0; pn < 10; pn++) fill(t, pn, pn % 3, pn < 2 ? TLB_VALID | TLB_GLOBAL : TLB_VALID);
    expect(t.invalidateAll(-1, true, false)).to.equal(8);
    expect(t.invalidateAll(-1, true, true)).to.equal(2);
    expect(t.valid).to.equal(0);
    expect(t.stats[I.invalidations]).to.equal(10);
  });

  it('lists its valid entries with their fill time and context', () => {
    const t = tlb(64, 4);
    t.insert(9, 0, 42, TLB_VALID, 17, 300, 2);
    expect(t.entries()).to.deep.equal([{ slot: 36, pageNumber: 9, pcid: 0, frame: 42, flags: TLB_VALID, fillClock: 17, fillCycle: 300, fillTag: 2 }]);
  });
});
