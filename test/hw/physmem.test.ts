// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { PhysicalMemory } from '../../hw/physmem.js';

describe('PhysicalMemory', () => {
  it('stores nothing for a 4 GiB memory until a frame is written', () => {
    const m = new PhysicalMemory(4 * 2 ** 30);
    expect(m.frameCount).to.equal(2 ** 20);
    expect(m.read64(3 * 2 ** 30)).to.equal(0);
    expect(m.storedFrames).to.equal(0);
    m.write8(3 * 2 ** 30 + 5, 1);
    expect(m.storedFrames).to.equal(1);
  });
  it('reads back bytes, 32-bit and 64-bit words little-endian', () => {
    const m = new PhysicalMemory(2 ** 20);
    m.write32(0x2000, 0x11223344);
    expect(m.read8(0x2000)).to.equal(0x44);
    expect(m.read8(0x2003)).to.equal(0x11);
    m.write8(0x2001, 0xab);
    expect(m.read32(0x2000)).to.equal(0x1122ab44);
    m.write64(0x2008, 0x123456789a);
    expect(m.read32(0x2008)).to.equal(0x3456789a);
    expect(m.read32(0x200c)).to.equal(0x12);
  });
  it('keeps the signed view of 64-bit words: -1 is all ones', () => {
    const m = new PhysicalMemory(2 ** 20);
    m.write64(0, -1);
    expect(m.readU64(0)).to.equal(0xffffffffffffffffn);
    expect(m.read64(0)).to.equal(-1);
    m.write64(8, -0x370000000000);
    expect(m.readU64(8)).to.equal(0xffffc90000000000n);
  });
  it('stores exact u64 bit patterns, NX bit included', () => {
    const m = new PhysicalMemory(2 ** 20);
    m.writeU64(16, 0x8000000000001163n);
    expect(m.readU64(16)).to.equal(0x8000000000001163n);
  });
  it('forgets a frame’s contents when zeroed', () => {
    const m = new PhysicalMemory(2 ** 20);
    m.write64(0x3000, 99);
    m.zeroFrame(3);
    expect(m.read64(0x3000)).to.equal(0);
    expect(m.storedFrames).to.equal(0);
  });
  it('rejects addresses outside memory and unaligned words', () => {
    const m = new PhysicalMemory(2 ** 20);
    expect(() => m.read64(2 ** 20)).to.throw(RangeError, 'is outside memory');
    expect(() => m.read64(4)).to.throw(RangeError, 'is not 8-byte aligned');
    expect(() => m.write64(0, 2 ** 64)).to.throw(RangeError, 'a 64-bit value must be an integer');
  });
});
