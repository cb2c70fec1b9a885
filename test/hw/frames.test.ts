// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { FrameAllocator } from '../../hw/frames.js';
import { PhysicalMemory } from '../../hw/physmem.js';

describe('FrameAllocator', () => {
  const make = (): [PhysicalMemory, FrameAllocator] => {
    const mem = new PhysicalMemory(2 ** 20);
    return [mem, new FrameAllocator(mem, 1)];
  };
  it('never hands out the reserved frame 0', () => {
    const [, fa] = make();
    expect(fa.alloc()).to.equal(1);
    expect(fa.isAllocated(0)).to.equal(true);
  });
  it('reuses the most recently freed frame first, with its old contents', () => {
    const [mem, fa] = make();
    const a = fa.alloc() as number;
    fa.alloc();
    mem.write64(a * 4096, 1234);
    fa.free(a);
    expect(fa.alloc()).to.equal(a);
    expect(mem.read64(a * 4096)).to.equal(1234);
  });
  it('zeroes a reused frame when asked', () => {
    const [mem, fa] = make();
    const a = fa.alloc() as number;
    mem.write64(a * 4096, 1234);
    fa.free(a);
    fa.alloc({ zero: true });
    expect(mem.read64(a * 4096)).to.equal(0);
  });
  it('refuses to free a frame twice', () => {
    const [, fa] = make();
    const a = fa.alloc() as number;
    fa.free(a);
    expect(() => fa.free(a)).to.throw(`frame ${a} is freed but it is not allocated`);
  });
  it('returns null when memory is exhausted and tracks the peak', () => {
    const [mem, fa] = make();
    const got: number[] = [];
    for (;;) {
      const f = fa.alloc();
      if (f === null) break;
      got.push(f);
    }
    expect(got.length).to.equal(mem.frameCount - 1);
    expect(fa.available).to.equal(0);
    fa.free(got[0]!);
    expect(fa.allocated).to.equal(mem.frameCount - 2);
    expect(fa.peak).to.equal(mem.frameCount - 1);
  });
});
