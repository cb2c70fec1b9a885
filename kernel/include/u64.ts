// SPDX-License-Identifier: GPL-2.0-only
/*
 * How vmapsim holds a C `unsigned long` (64-bit): as a JS number in the
 * *signed two's-complement view*. A value u < 2^63 is the number u; a value
 * u >= 2^63 is the number u - 2^64. So 0xffffc90000000000 is -0x370000000000,
 * 0xffffffffffffffff is -1 and 1 is 1.
 *
 * Why (docs/u64.md has the measurements): the allocator walks spend most of
 * their time in compares and ALIGN(); with bigint a walk step cost 380-530 ns
 * against 12 ns for doubles, far outside the speed bar.
 *
 * What it buys: `a + b` and `a - b` are plain JS arithmetic and wrap exactly as
 * C does across 2^64 (0xfffffffffffff000 + 0x2000 is -0x1000 + 0x2000 = 0x1000),
 * as long as every operand and result stays inside the exact window
 * |x| <= 2^53. Every canonical 4-level x86-64 address (|x| < 2^47), every size
 * below 2^53 and every value the ported code derives from them stays inside it.
 * Powers of two and page-aligned values are exact even far outside it and
 * may be held, but arithmetic on them must use uadd/usub, which throw
 * U64RangeError rather than round.
 *
 * What it costs: unsigned comparisons need ult/ule/ugt/uge (a sign test and a
 * compare), and bitwise operators cannot be used on addresses. ALIGN() with an
 * alignment above 2^30, or not a power of two, takes an exact bigint slow path
 * and throws U64RangeError if its result leaves the exact window.
 */

/** A C `unsigned long`, held in the signed two's-complement view (see above). */
export type ulong = number;

/** 2^64 and 2^32, as exact doubles. */
export const TWO_64 = 18446744073709551616;
export const TWO_32 = 4294967296;
/** Largest magnitude every integer up to which is exact in a double. */
export const EXACT_MAX = 9007199254740992; // 2^53

/** ULONG_MAX = 0xffffffffffffffff. */
export const ULONG_MAX: ulong = -1;

/** Raised when a u64 value cannot be held exactly in the signed view. */
export class U64RangeError extends RangeError {
  constructor(readonly value: bigint, what: string) {
    super(`${what}: 0x${value.toString(16)} lies outside the exactly representable window (|x| <= 2^53 in the signed view)`);
    this.name = 'U64RangeError';
  }
}

/** unsigned a < b */
export function ult(a: ulong, b: ulong): boolean {
  return (a < 0) === (b < 0) ? a < b : b < 0;
}

/** unsigned a <= b */
export function ule(a: ulong, b: ulong): boolean {
  return (a < 0) === (b < 0) ? a <= b : b < 0;
}

/** unsigned a > b */
export function ugt(a: ulong, b: ulong): boolean {
  return (a < 0) === (b < 0) ? a > b : a < 0;
}

/** unsigned a >= b */
export function uge(a: ulong, b: ulong): boolean {
  return (a < 0) === (b < 0) ? a >= b : a < 0;
}

/** max() of two unsigned longs. */
export function umax(a: ulong, b: ulong): ulong {
  return ugt(a, b) ? a : b;
}

/** min() of two unsigned longs. */
export function umin(a: ulong, b: ulong): ulong {
  return ult(a, b) ? a : b;
}

/** Exact conversion to the unsigned bigint value. */
export function toBigInt(x: ulong): bigint {
  if (!Number.isInteger(x)) throw new TypeError(`not an integer u64 value: ${x}`);
  return BigInt.asUintN(64, BigInt(x));
}

/**
 * Exact conversion from any bigint (taken mod 2^64); throws if the value has
 * no exact double. Values outside the window are accepted when exact (a
 * power of two such as an alignment of 1 << 63); plain + and - on them are
 * not guaranteed, uadd/usub are.
 */
export function fromBigInt(v: bigint, what = 'u64 value'): ulong {
  const s = BigInt.asIntN(64, v);
  const n = Number(s);
  if (BigInt(n) !== s) throw new U64RangeError(BigInt.asUintN(64, v), what);
  return n + 0; // normalise -0
}

/** Checked wrapping add: (a + b) mod 2^64, exact or U64RangeError. */
export function uadd(a: ulong, b: ulong): ulong {
  const s = a + b;
  if (s >= -EXACT_MAX && s <= EXACT_MAX) return s + 0;
  return fromBigInt(toBigInt(a) + toBigInt(b), 'sum');
}

/** Checked wrapping subtract: (a - b) mod 2^64, exact or U64RangeError. */
export function usub(a: ulong, b: ulong): ulong {
  const s = a - b;
  if (s >= -EXACT_MAX && s <= EXACT_MAX) return s + 0;
  return fromBigInt(toBigInt(a) - toBigInt(b), 'difference');
}

/** Split into unsigned 32-bit halves: [hi, lo]. */
function halves(x: ulong): [number, number] {
  const hi = Math.floor(x / TWO_32);
  const lo = x - hi * TWO_32;
  return [hi >>> 0, lo >>> 0];
}

/** Join unsigned 32-bit halves into the signed view. */
function join(hi: number, lo: number): ulong {
  const h = hi | 0; // signed high word
  return h * TWO_32 + (lo >>> 0);
}

/** x & y, exact for any values held exactly. */
export function uand(x: ulong, y: ulong): ulong {
  const [xh, xl] = halves(x);
  const [yh, yl] = halves(y);
  return join(xh & yh, (xl & yl) >>> 0);
}

/** x | y */
export function uor(x: ulong, y: ulong): ulong {
  const [xh, xl] = halves(x);
  const [yh, yl] = halves(y);
  return join(xh | yh, (xl | yl) >>> 0);
}

/** ~x */
export function unot(x: ulong): ulong {
  return -x - 1;
}

/** x >> n (logical), 0 <= n < 64. */
export function ushr(x: ulong, n: number): ulong {
  if (n === 0) return x;
  if (x >= 0) return Math.floor(x / 2 ** n);
  return fromBigInt(toBigInt(x) >> BigInt(n), 'shift');
}

const POW2_FAST_MAX = 0x40000000; // 2^30: bitwise test on a power of two is exact

function isFastPow2(a: number): boolean {
  return a > 0 && a <= POW2_FAST_MAX && (a & (a - 1)) === 0;
}

/**
 * ALIGN(x, a) = (x + (a - 1)) & ~(a - 1), in u64 arithmetic, as the kernel's
 * macro computes it (wrapping past 2^64 to small values).
 */
export function ALIGN(x: ulong, a: ulong): ulong {
  if (a === 1) return x;
  if (isFastPow2(a)) return Math.ceil(x / a) * a + 0;
  const A = toBigInt(a);
  const M = (1n << 64n) - 1n;
  return fromBigInt(((toBigInt(x) + A - 1n) & M) & (~(A - 1n) & M), 'ALIGN() result');
}

/** x & (a - 1): the misalignment of x, for any a. */
export function misalign(x: ulong, a: ulong): ulong {
  if (a === 1) return 0;
  if (isFastPow2(a)) {
    const r = x % a;
    return r < 0 ? r + a : r + 0;
  }
  const A = toBigInt(a);
  return fromBigInt(toBigInt(x) & ((A - 1n) & ((1n << 64n) - 1n)), 'x & (a - 1)');
}

/** IS_ALIGNED(x, a) */
export function IS_ALIGNED(x: ulong, a: ulong): boolean {
  return misalign(x, a) === 0;
}

/** is_power_of_2(n) for an unsigned long. */
export function is_power_of_2(n: ulong): boolean {
  if (n === 0) return false;
  if (n > 0 && n <= POW2_FAST_MAX) return (n & (n - 1)) === 0;
  const b = toBigInt(n);
  return (b & (b - 1n)) === 0n;
}

/** fls(x) for a 32-bit int: index (1-based) of the most significant set bit, 0 for 0. */
export function fls(x: number): number {
  return 32 - Math.clz32(x);
}

/** fls64(x) for an unsigned long: 1-based index of the top set bit, 0 for 0. */
export function fls64(x: ulong): number {
  if (x === 0) return 0;
  if (x < 0) return 64;
  const hi = Math.floor(x / TWO_32);
  return hi > 0 ? 32 + fls(hi) : fls(x >>> 0);
}

/** Lower-case hexadecimal of the unsigned value, without 0x. */
export function hex(x: ulong): string {
  if (x >= 0) return x.toString(16);
  const hi = Math.floor(x / TWO_32);
  const lo = x - hi * TWO_32;
  return (hi + TWO_32).toString(16) + lo.toString(16).padStart(8, '0');
}

/** Sixteen hex digits, zero padded. */
export function hex16(x: ulong): string {
  return hex(x).padStart(16, '0');
}

/** Decimal of the unsigned value (tracefs prints %lu). */
export function udec(x: ulong): string {
  return x >= 0 ? String(x) : toBigInt(x).toString(10);
}

const HEX_RE = /^[0-9a-fA-F]{1,16}$/;

/** Parse up to 16 hex digits (no 0x) into the signed view; null if malformed or not exact. */
export function parseHex(s: string): ulong | null {
  if (!HEX_RE.test(s)) return null;
  if (s.length <= 13) return parseInt(s, 16);
  try {
    return fromBigInt(BigInt('0x' + s));
  } catch {
    return null;
  }
}
