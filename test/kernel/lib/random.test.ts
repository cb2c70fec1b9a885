// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import fc from 'fast-check';
import { drawMod, umod53 } from '../../../kernel/lib/random.js';

describe('kernel/lib/random', () => {
  describe('umod53', () => {
    it('gives x mod n exactly for any whole x below 2^53 and n from 1 to 2^53', () => {
      fc.assert(
        fc.property(fc.maxSafeNat(), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (x, n) => {
          expect(umod53(x, n)).to.equal(Number(BigInt(x) % BigInt(n)));
        }),
        { numRuns: 2000 },
      );
    });

    it('is exact next to the multiples of n, where the quotient rounds up or down', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 1 << 26 }), fc.integer({ min: 0, max: 2 ** 26 }), fc.integer({ min: -2, max: 2 }), (n, k, d) => {
          const x = k * n + d;
          fc.pre(x >= 0 && x <= Number.MAX_SAFE_INTEGER);
          expect(umod53(x, n)).to.equal(Number(BigInt(x) % BigInt(n)));
        }),
        { numRuns: 2000 },
      );
      expect(umod53(2 ** 53 - 1, 3)).to.equal(Number((2n ** 53n - 1n) % 3n));
      expect(umod53(2 ** 53 - 2, 2 ** 26 - 1)).to.equal(Number((2n ** 53n - 2n) % (2n ** 26n - 1n)));
    });
  });

  describe('drawMod', () => {
    it('reduces a 64-bit draw given as two 32-bit halves mod n, as a bigint does', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 1 << 26 }), (h, l, n) => {
          expect(drawMod(h, l, n)).to.equal(Number(((BigInt(h) << 32n) | BigInt(l)) % BigInt(n)));
        }),
        { numRuns: 5000 },
      );
    });
  });
});
