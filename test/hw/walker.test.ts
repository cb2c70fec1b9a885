// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { findEntry, mapPage } from '../../hw/mapping.js';
import { EntryBits, entryFrame, makeEntry } from '../../hw/pageTable.js';
import { TLB_NX, TLB_RW, TLB_US } from '../../hw/tlb.js';
import { ACCESS_FETCH, ACCESS_READ, ACCESS_WRITE, WALK_NOT_PRESENT, WALK_OK, WALK_PROTECTION, WALK_RESERVED, WalkResult, walk } from '../../hw/walker.js';
import { KVA, smallMachine } from './helpers.js';

describe('walk', () => {
  const pn = Math.floor(KVA / 4096);

  it('translates a 4-level mapping, reading one entry per level', () => {
    const m = smallMachine();
    mapPage(m, m.kernelRoot, KVA, 77, EntryBits.RW);
    const w = new WalkResult();
    expect(walk(m.mem, 4, m.kernelRoot, pn, ACCESS_READ, false, false, w)).to.equal(WALK_OK);
    expect(w.frame).to.equal(77);
    expect(w.entriesRead).to.equal(4);
    expect(w.rights).to.equal(TLB_RW);
  });

  it('sets A on every level and D on the leaf for a write', () => {
    const m = smallMachine();
    mapPage(m, m.kernelRoot, KVA, 77, EntryBits.RW);
    const w = new WalkResult();
    walk(m.mem, 4, m.kernelRoot, pn, ACCESS_WRITE, false, true, w);
    expect(w.accessedSets).to.equal(4);
    expect(w.dirtySets).to.equal(1);
    const leaf = findEntry(m, m.kernelRoot, KVA);
    expect(leaf?.entry ?? 0n).to.equal(makeEntry(77, EntryBits.P | EntryBits.RW | EntryBits.A | EntryBits.D));
  });

  it('sets A but not D for a read', () => {
    const m = smallMachine();
    mapPage(m, m.kernelRoot, KVA, 77, EntryBits.RW);
    walk(m.mem, 4, m.kernelRoot, pn, ACCESS_READ, false, true, new WalkResult());
    const leaf = findEntry(m, m.kernelRoot, KVA)?.entry ?? 0n;
    expect(leaf & EntryBits.A).to.equal(EntryBits.A);
    expect(leaf & EntryBits.D).to.equal(0n);
  });

  it('changes nothing when probing (update false)', () => {
    const m = smallMachine();
    mapPage(m, m.kernelRoot, KVA, 77, EntryBits.RW);
    walk(m.mem, 4, m.kernelRoot, pn, ACCESS_WRITE, false, false, new WalkResult());
    expect((findEntry(m, m.kernelRoot, KVA)?.entry ?? 0n) & (EntryBits.A | EntryBits.D)).to.equal(0n);
  });

  it('reports the level of the first entry that is not present', () => {
    const m = smallMachine();
    const w = new WalkResult();
    expect(walk(m.mem, 4, m.kernelRoot, pn, ACCESS_READ, false, true, w)).to.equal(WALK_NOT_PRESENT);
    expect(w.level).to.equal(4);
    mapPage(m, m.kernelRoot, KVA + 4096, 5, EntryBits.RW);
    expect(walk(m.mem, 4, m.kernelRoot, pn, ACCESS_READ, false, true, w)).to.equal(WALK_NOT_PRESENT);
    expect(w.level).to.equal(1);
  });

  it('ANDs R/W and U/S over the levels and ORs NX', () => {
    const m = smallMachine();
    // Upper levels without US (kernel tables), leaf with US: user access must be refused.
    mapPage(m, m.kernelRoot, KVA, 9, EntryBits.RW | EntryBits.US | EntryBits.NX, { tableFlags: EntryBits.P | EntryBits.RW });
    const w = new WalkResult();
    expect(walk(m.mem, 4, m.kernelRoot, pn, ACCESS_READ, true, true, w)).to.equal(WALK_PROTECTION);
    expect(w.rights & TLB_US).to.equal(0);
    expect(walk(m.mem, 4, m.kernelRoot, pn, ACCESS_FETCH, false, true, w)).to.equal(WALK_PROTECTION);
    expect(w.rights & TLB_NX).to.equal(TLB_NX);
  });

  it('refuses a write when an upper level is read-only, and sets no A bit then', () => {
    const m = smallMachine();
    mapPage(m, m.kernelRoot, KVA, 9, EntryBits.RW, { tableFlags: EntryBits.P });
    const w = new WalkResult();
    expect(walk(m.mem, 4, m.kernelRoot, pn, ACCESS_WRITE, false, true, w)).to.equal(WALK_PROTECTION);
    expect(w.accessedSets).to.equal(0);
  });

  it('maps a 2 MiB leaf at level 2, adding the 4 KiB offset inside it', () => {
    const m = smallMachine();
    mapPage(m, m.kernelRoot, KVA, 1024, EntryBits.RW, { large: true });
    const w = new WalkResult();
    expect(walk(m.mem, 4, m.kernelRoot, pn + 5, ACCESS_READ, false, false, w)).to.equal(WALK_OK);
    expect(w.large).to.equal(true);
    expect(w.baseFrame).to.equal(1024);
    expect(w.frame).to.equal(1029);
    expect(w.entriesRead).to.equal(3);
  });

  it('treats PS at level 3 as a reserved bit (no 1 GiB pages)', () => {
    const m = smallMachine();
    mapPage(m, m.kernelRoot, KVA, 1024, EntryBits.RW, { large: true });
    const pdpte = findEntry(m, m.kernelRoot, KVA);
    expect(pdpte?.level).to.equal(2);
    // Turn the level-3 entry into a PS leaf.
    const l3 = m.mem.readU64(pdpteAddress(m));
    m.mem.writeU64(pdpteAddress(m), l3 | EntryBits.PS);
    const w = new WalkResult();
    expect(walk(m.mem, 4, m.kernelRoot, pn, ACCESS_READ, false, false, w)).to.equal(WALK_RESERVED);
    expect(w.level).to.equal(3);

    function pdpteAddress(mm: typeof m): number {
      const l4 = mm.mem.readU64(mm.kernelRoot * 4096 + 402 * 8);
      return entryFrame(l4) * 4096 + 0 * 8;
    }
  });

  it('walks five levels with LA57', () => {
    const m = smallMachine({ pagingLevels: 5 });
    const va = -(2 ** 55); // only canonical with 5-level paging
    mapPage(m, m.kernelRoot, va, 33, EntryBits.RW);
    const w = new WalkResult();
    expect(walk(m.mem, 5, m.kernelRoot, Math.floor(va / 4096), ACCESS_READ, false, true, w)).to.equal(WALK_OK);
    expect(w.entriesRead).to.equal(5);
    expect(w.accessedSets).to.equal(5);
    expect(w.frame).to.equal(33);
  });
});
