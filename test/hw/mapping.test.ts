// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { findEntry, mapPage, unmapPage } from '../../hw/mapping.js';
import { EntryBits, entryFrame, makeEntry } from '../../hw/pageTable.js';
import { KERNEL_FLAGS, KVA, kpage, smallMachine } from './helpers.js';

describe('mapPage', () => {
  it('allocates zeroed tables down to the leaf and writes the entry with P', () => {
    const m = smallMachine();
    const before = m.frames.allocated;
    const pa = mapPage(m, m.kernelRoot, KVA, 99, KERNEL_FLAGS);
    expect(m.frames.allocated - before).to.equal(3);
    expect(m.readEntry(pa)).to.equal(makeEntry(99, KERNEL_FLAGS | EntryBits.P));
  });
  it('reuses existing tables for a neighbouring page', () => {
    const m = smallMachine();
    mapPage(m, m.kernelRoot, kpage(0), 1, KERNEL_FLAGS);
    const before = m.frames.allocated;
    mapPage(m, m.kernelRoot, kpage(1), 2, KERNEL_FLAGS);
    expect(m.frames.allocated).to.equal(before);
  });
  it('gives kernel tables P|RW and user tables P|RW|US by default', () => {
    const m = smallMachine();
    mapPage(m, m.kernelRoot, KVA, 1, KERNEL_FLAGS);
    mapPage(m, m.kernelRoot, 0x1000, 1, EntryBits.RW | EntryBits.US);
    expect(m.readEntry(m.kernelRoot * 4096 + 402 * 8) & 0xfffn).to.equal(EntryBits.P | EntryBits.RW);
    expect(m.readEntry(m.kernelRoot * 4096) & 0xfffn).to.equal(EntryBits.P | EntryBits.RW | EntryBits.US);
  });
  it('writes a level-2 PS leaf for a 2 MiB page and refuses misalignment', () => {
    const m = smallMachine();
    const pa = mapPage(m, m.kernelRoot, KVA, 512, KERNEL_FLAGS, { large: true });
    expect(m.readEntry(pa) & EntryBits.PS).to.equal(EntryBits.PS);
    expect(findEntry(m, m.kernelRoot, KVA + 4096)?.level).to.equal(2);
    expect(() => mapPage(m, m.kernelRoot, KVA + 4096, 512, KERNEL_FLAGS, { large: true })).to.throw(RangeError, 'is not aligned to its 2 MiB page');
    expect(() => mapPage(m, m.kernelRoot, KVA, 513, KERNEL_FLAGS, { large: true })).to.throw(RangeError, 'multiple of 512');
    expect(() => mapPage(m, m.kernelRoot, KVA + 4096, 3, KERNEL_FLAGS)).to.throw('is inside a large page mapped at level 2');
  });
});

describe('unmapPage and findEntry', () => {
  it('clear the leaf and return its old value; a second unmap finds nothing', () => {
    const m = smallMachine();
    mapPage(m, m.kernelRoot, KVA, 42, KERNEL_FLAGS);
    expect(entryFrame(unmapPage(m, m.kernelRoot, KVA))).to.equal(42);
    expect(unmapPage(m, m.kernelRoot, KVA)).to.equal(0n);
    expect(findEntry(m, m.kernelRoot, KVA)).to.include({ level: 1, entry: 0n });
  });
  it('stop at the first entry that is not present', () => {
    const m = smallMachine();
    expect(findEntry(m, m.kernelRoot, KVA)).to.deep.equal({ pa: m.kernelRoot * 4096 + 402 * 8, level: 4, entry: 0n });
  });
});
