// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import fc from 'fast-check';
import { BufferedSplitMix64, SplitMix64 } from '../../../scripts/check/prng.js';

const M = (1n << 64n) - 1n;
function reference(seed: bigint): () => bigint {
  let s = seed;
  return () => {
    s = (s + 0x9e3779b97f4a7c15n) & M;
    let z = s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M;
    return z ^ (z >> 31n);
  };
}

describe('SplitMix64 (the golden workload generator PRNG)', () => {
  it('gives the published first output for seed 0', () => {
    expect(new SplitMix64(0).next().toString(16)).to.equal('e220a8397b1dcdaf');
  });

  it('matches a bigint transcription of FORMAT.md for any seed', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (seed) => {
        const a = new SplitMix64(seed);
        const r = reference(BigInt(seed));
        for (let i = 0; i < 50; i++) expect(a.next()).to.equal(r());
      }),
      { numRuns: 200 },
    );
  });

  it('takes rnd(n) as the draw mod n', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.integer({ min: 1, max: 1 << 26 }), (seed, n) => {
        expect(new SplitMix64(seed).rnd(n)).to.equal(Number(reference(BigInt(seed))() % BigInt(n)));
      }),
    );
  });

  it('draws the same rnd(n) buffered as unbuffered, across the buffer refills', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.array(fc.integer({ min: 1, max: 1 << 26 }), { minLength: 1, maxLength: 40 }), (seed, ns) => {
        const a = new SplitMix64(seed);
        const b = new BufferedSplitMix64(seed);
        // 1,000 draws: past the first fills of 8, 32, 128 and 512 draws.
        for (let i = 0; i < 1000; i++) {
          const n = ns[i % ns.length]!;
          expect(b.rnd(n)).to.equal(a.rnd(n));
        }
      }),
      { numRuns: 50 },
    );
  });

  it('refuses a negative seed and an n it cannot reduce exactly', () => {
    expect(() => new SplitMix64(-1)).to.throw(RangeError);
    expect(() => new SplitMix64(1).rnd(2 ** 27)).to.throw(RangeError);
    expect(() => new BufferedSplitMix64(1).rnd(2 ** 27)).to.throw(RangeError);
  });
});
