// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { Prng } from '../../hw/prng.js';

describe('Prng', () => {
  const draw = (p: Prng, n: number): number[] => Array.from({ length: n }, () => p.nextU32());

  it('gives the same sequence for the same seed', () => {
    expect(draw(new Prng(42), 16)).to.deep.equal(draw(new Prng(42), 16));
  });
  it('gives different sequences for different seeds, including seeds that differ above bit 32', () => {
    expect(draw(new Prng(1), 8)).to.not.deep.equal(draw(new Prng(2), 8));
    expect(draw(new Prng(1), 8)).to.not.deep.equal(draw(new Prng(1 + 2 ** 32), 8));
  });
  it('keeps below(n) inside [0, n) and reaches both ends', () => {
    const p = new Prng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = p.below(12);
      expect(v).to.be.within(0, 11);
      seen.add(v);
    }
    expect(seen.size).to.equal(12);
  });
  it('forks independent but reproducible streams', () => {
    const a = new Prng(9).fork(1);
    const b = new Prng(9).fork(1);
    const c = new Prng(9).fork(2);
    expect(draw(a, 4)).to.deep.equal(draw(b, 4));
    expect(draw(new Prng(9).fork(1), 4)).to.not.deep.equal(draw(c, 4));
  });
  it('rejects a seed that is not finite', () => {
    expect(() => new Prng(NaN)).to.throw(RangeError, 'a PRNG seed must be a finite number, got NaN');
  });
});
