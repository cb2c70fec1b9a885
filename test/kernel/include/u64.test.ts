// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import fc from 'fast-check';
import {
  ALIGN,
  fls,
  fls64,
  fromBigInt,
  hex,
  hex16,
  IS_ALIGNED,
  is_power_of_2,
  misalign,
  parseHex,
  toBigInt,
  uadd,
  uand,
  udec,
  uge,
  ugt,
  ule,
  ult,
  ULONG_MAX,
  umax,
  umin,
  unot,
  uor,
  usub,
  U64RangeError,
} from '../../../kernel/include/u64.js';

/* The C model: every expression computed on unsigned 64-bit bigints. */
const M = (1n << 64n) - 1n;
const C = {
  add: (a: bigint, b: bigint) => (a + b) & M,
  sub: (a: bigint, b: bigint) => (a - b) & M,
  ALIGN: (x: bigint, a: bigint) => ((x + a - 1n) & M) & (~(a - 1n) & M),
};
const TWO53 = 1n << 53n;

/** u64 values inside the exact window: near 0, near 2^64, canonical kernel addresses. */
const nearZero = fc.bigInt({ min: 0n, max: 1n << 20n });
const nearTop = fc.bigInt({ min: 0n, max: 1n << 20n }).map((d) => (M - d) & M);
const kernelAddr = fc.bigInt({ min: 0xffff800000000000n, max: M });
const small = fc.bigInt({ min: 0n, max: (1n << 40n) });
const inWindow = fc.oneof(nearZero, nearTop, kernelAddr, small, fc.constantFrom(0n, 1n, M, M - 1n, 0xffffc90000000000n, 0xffffe8ffffffffffn, (TWO53 >> 1n) - 1n));
const pow2 = fc.integer({ min: 0, max: 30 }).map((k) => 1n << BigInt(k));
const n = (b: bigint) => fromBigInt(b);

describe('u64 (unsigned long in the signed two-complement view)', () => {
  it('round-trips every value of the exact window through bigint', () => {
    fc.assert(fc.property(inWindow, (x) => toBigInt(n(x)) === x));
  });

  it('holds 0xffffffffffffffff as -1 and 0xffffc90000000000 as -0x370000000000', () => {
    expect(n(M)).to.equal(-1);
    expect(ULONG_MAX).to.equal(-1);
    expect(n(0xffffc90000000000n)).to.equal(-0x370000000000);
  });

  it('compares like C unsigned compares', () => {
    fc.assert(
      fc.property(inWindow, inWindow, (a, b) => {
        expect(ult(n(a), n(b))).to.equal(a < b);
        expect(ule(n(a), n(b))).to.equal(a <= b);
        expect(ugt(n(a), n(b))).to.equal(a > b);
        expect(uge(n(a), n(b))).to.equal(a >= b);
        expect(toBigInt(umax(n(a), n(b)))).to.equal(a > b ? a : b);
        expect(toBigInt(umin(n(a), n(b)))).to.equal(a < b ? a : b);
      }),
    );
  });

  it('adds and subtracts with wraparound past 2^64 using plain + and -', () => {
    fc.assert(
      fc.property(inWindow, small, (a, s) => {
        expect(toBigInt(n(a) + n(s))).to.equal(C.add(a, s));
        expect(toBigInt(n(a) - n(s))).to.equal(C.sub(a, s));
        expect(toBigInt(uadd(n(a), n(s)))).to.equal(C.add(a, s));
        expect(toBigInt(usub(n(a), n(s)))).to.equal(C.sub(a, s));
      }),
    );
  });

  it('ends a size at exactly 2^64 as 0 (0xfffffffffffff000 + 0x1000)', () => {
    expect(n(0xfffffffffffff000n) + 0x1000).to.equal(0);
    expect(toBigInt(n(0xfffffffffffff000n) + 0x2000)).to.equal(0x1000n);
  });

  it('evaluates the overflow test addr + size - 1 < addr as C does', () => {
    fc.assert(
      fc.property(inWindow, small, (a, s) => {
        const c = C.sub(C.add(a, s), 1n) < a;
        expect(ult(n(a) + n(s) - 1, n(a))).to.equal(c);
      }),
    );
    // vend = 0xffffffffffffffff and an area ending exactly at 2^64
    expect(ult(n(0xfffffffffffff000n) + 0x1000 - 1, n(0xfffffffffffff000n))).to.equal(false);
    expect(ult(n(0xfffffffffffff000n) + 0x2000 - 1, n(0xfffffffffffff000n))).to.equal(true);
  });

  it('evaluates the overflow test addr + size < addr as C does, catching a sum of exactly 2^64', () => {
    fc.assert(
      fc.property(inWindow, small, (a, s) => {
        expect(ult(n(a) + n(s), n(a))).to.equal(C.add(a, s) < a);
      }),
    );
    expect(ult(n(0xfffffffffffff000n) + 0x1000, n(0xfffffffffffff000n))).to.equal(true);
  });

  it('computes ALIGN() like the kernel macro, wrapping past 2^64', () => {
    fc.assert(fc.property(inWindow, pow2, (x, a) => toBigInt(ALIGN(n(x), n(a))) === C.ALIGN(x, a)));
    expect(ALIGN(n(0xfffffffffffff001n), 0x2000)).to.equal(0);
    expect(Object.is(ALIGN(-1, 0x1000), 0)).to.equal(true);
  });

  it('computes ALIGN() exactly for huge and non-power-of-two alignments', () => {
    const cases: [bigint, bigint][] = [
      [0xffffc90000000000n, 1n << 63n],
      [0xffffc90000000000n, 1n << 47n],
      [0x1000n, 0x3000n],
      [0xffffffffffff0000n, 1n << 52n],
    ];
    for (const [x, a] of cases) expect(toBigInt(ALIGN(n(x), fromBigInt(a)))).to.equal(C.ALIGN(x, a));
  });

  it('holds exact values outside the window, such as an alignment of 1 << 63', () => {
    expect(toBigInt(fromBigInt(1n << 63n))).to.equal(1n << 63n);
    expect(toBigInt(ALIGN(1, fromBigInt(1n << 63n)))).to.equal(1n << 63n);
  });

  it('refuses, with a typed error, checked arithmetic whose result has no exact double', () => {
    expect(() => uadd(fromBigInt(1n << 63n), 0x1fff)).to.throw(U64RangeError);
    expect(toBigInt(uadd(fromBigInt(1n << 63n), fromBigInt(1n << 63n)))).to.equal(0n);
    expect(() => fromBigInt((1n << 63n) + 1n)).to.throw(U64RangeError);
  });

  it('computes x & (a - 1) and IS_ALIGNED for any alignment', () => {
    fc.assert(
      fc.property(inWindow, pow2, (x, a) => {
        expect(toBigInt(misalign(n(x), n(a)))).to.equal(x & (a - 1n));
        expect(IS_ALIGNED(n(x), n(a))).to.equal((x & (a - 1n)) === 0n);
      }),
    );
  });

  it('computes x & (a - 1) exactly for alignments up to 1 << 63', () => {
    for (let k = 31n; k < 64n; k++) {
      for (const x of [0n, 0xffffc90000000000n, 0xffffffffffffe000n, 0x1000n]) {
        const expected = x & ((1n << k) - 1n);
        const v = (() => {
          try {
            return toBigInt(misalign(fromBigInt(x), fromBigInt(1n << k)));
          } catch {
            return null;
          }
        })();
        // either exact, or refused because the result has no exact double
        if (v !== null) expect(v).to.equal(expected);
        else expect(() => fromBigInt(expected)).to.throw(U64RangeError);
      }
    }
  });

  it('computes &, | and ~ bit for bit', () => {
    fc.assert(
      fc.property(inWindow, inWindow, (a, b) => {
        expect(toBigInt(uand(n(a), n(b)))).to.equal(a & b);
        expect(toBigInt(uor(n(a), n(b)))).to.equal(a | b);
      }),
    );
    fc.assert(fc.property(inWindow, (a) => toBigInt(unot(n(a))) === (~a & M)));
  });

  it('tells powers of two as is_power_of_2() does', () => {
    fc.assert(fc.property(inWindow, (x) => is_power_of_2(n(x)) === (x !== 0n && (x & (x - 1n)) === 0n)));
    expect(is_power_of_2(fromBigInt(1n << 63n))).to.equal(true);
    expect(is_power_of_2(0)).to.equal(false);
  });

  it('finds the last set bit as fls() and fls64() do', () => {
    expect([0, 1, 2, 3, 8, 64, 0x80000000].map(fls)).to.deep.equal([0, 1, 2, 2, 4, 7, 32]);
    fc.assert(fc.property(inWindow, (x) => fls64(n(x)) === x.toString(2).length - (x === 0n ? 1 : 0)));
  });

  it('prints and parses lower-case hex of the unsigned value', () => {
    fc.assert(fc.property(inWindow, (x) => hex(n(x)) === x.toString(16) && parseHex(x.toString(16)) === n(x)));
    expect(hex16(0x1000)).to.equal('0000000000001000');
    expect(udec(-1)).to.equal('18446744073709551615');
  });

  it('rejects malformed hex and values outside the exact window', () => {
    expect(parseHex('')).to.equal(null);
    expect(parseHex('0x10')).to.equal(null);
    expect(parseHex('12345678901234567')).to.equal(null);
    expect(parseHex('8000000000000001')).to.equal(null);
    expect(parseHex('8000000000000000')).to.equal(fromBigInt(1n << 63n));
  });
});
