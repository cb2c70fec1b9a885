// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { EntryBits, describeEntry, entryAddress, entryFlags, entryFrame, isPresent, makeEntry } from '../../hw/pageTable.js';

describe('page-table entries', () => {
  it('put the frame in bits 12..51 and NX in bit 63 exactly', () => {
    const e = makeEntry(0x12345, EntryBits.P | EntryBits.RW | EntryBits.G | EntryBits.NX);
    expect(e).to.equal(0x8000000012345103n);
    expect(entryFrame(e)).to.equal(0x12345);
    expect(entryFlags(e)).to.equal(0x8000000000000103n);
    expect(isPresent(e)).to.equal(true);
  });
  it('keep the frame field from overwriting flags when the frame is large', () => {
    const e = makeEntry(2 ** 40 - 1, EntryBits.P);
    expect(entryFrame(e)).to.equal(2 ** 40 - 1);
    expect(e & EntryBits.NX).to.equal(0n);
  });
  it('reject a frame that does not fit', () => {
    expect(() => makeEntry(2 ** 40, 0n)).to.throw(RangeError, "an entry's frame must be an integer from 0 to 2^40-1");
  });
  it('address entry i of a table at frame * 4096 + i * 8', () => {
    expect(entryAddress(3, 402)).to.equal(3 * 4096 + 402 * 8);
    expect(() => entryAddress(3, 512)).to.throw(RangeError);
  });
  it('describe themselves by frame and flag names', () => {
    expect(describeEntry(makeEntry(0x1a2, EntryBits.P | EntryBits.RW | EntryBits.NX))).to.equal('frame 0x1a2 P RW NX');
  });
});
