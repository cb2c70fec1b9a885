// SPDX-License-Identifier: GPL-2.0-only
/*
 * The random numbers of kernel text run on the machine (get_random_bytes,
 * get_random_u32, prandom_u32_max ... in lib/test_vmalloc.c and the
 * boot state): a splitmix64 stream, seeded from the run's seed, so that
 * the same inputs give the same bytes. Not a port of lib/random32.c or
 * drivers/char/random.c: the kernel's draws are not reproducible, and
 * only their distribution matters to the callers. It is also the workload
 * generator's stream (scripts/check/prng.ts re-exports it).
 *
 * splitmix64, exactly as golden/FORMAT.md defines it for the workload
 * generator: s += 0x9e3779b97f4a7c15; z = s; z = (z ^ (z >> 30)) *
 * 0xbf58476d1ce4e5b9; z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
 * return z ^ (z >> 31), all mod 2^64. rnd(n) = draw mod n.
 *
 * The state is held as two unsigned 32-bit halves and the 64-bit products
 * are done in 16-bit limbs, so no bigint is needed on the hot path (a draw
 * is about 40 ns, against about 1 us with bigint).
 */

const M16 = 0xffff;

/** (hi:lo) * (mh:ml) mod 2^64 on 32-bit halves, via 16-bit limbs. */
function mul64(hi: number, lo: number, mh: number, ml: number): [number, number] {
  const a0 = lo & M16, a1 = lo >>> 16, a2 = hi & M16, a3 = hi >>> 16;
  const b0 = ml & M16, b1 = ml >>> 16, b2 = mh & M16, b3 = mh >>> 16;
  let c0 = a0 * b0;
  let c1 = a1 * b0 + a0 * b1 + Math.floor(c0 / 0x10000);
  c0 &= M16;
  let c2 = a2 * b0 + a1 * b1 + a0 * b2 + Math.floor(c1 / 0x10000);
  c1 &= M16;
  let c3 = a3 * b0 + a2 * b1 + a1 * b2 + a0 * b3 + Math.floor(c2 / 0x10000);
  c2 &= M16;
  c3 &= M16;
  return [((c3 << 16) | c2) >>> 0, ((c1 << 16) | c0) >>> 0];
}

export class SplitMix64 {
  private hi: number;
  private lo: number;

  /** Seed with a non-negative safe integer (the golden traces use 1, 2, 3, 7). */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a whole number from 0 to 2^53-1, got ${seed}`);
    this.hi = Math.floor(seed / 4294967296) >>> 0;
    this.lo = seed >>> 0;
  }

  /** The next 64-bit output as [hi, lo] unsigned 32-bit halves. */
  nextHalves(): [number, number] {
    // s += 0x9e3779b97f4a7c15
    const lo = this.lo + 0x7f4a7c15;
    this.lo = lo >>> 0;
    this.hi = (this.hi + 0x9e3779b9 + (lo > 0xffffffff ? 1 : 0)) >>> 0;
    let zh = this.hi;
    let zl = this.lo;
    // z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
    [zh, zl] = mul64((zh ^ (zh >>> 30)) >>> 0, (zl ^ ((zl >>> 30) | (zh << 2))) >>> 0, 0xbf58476d, 0x1ce4e5b9);
    // z = (z ^ (z >> 27)) * 0x94d049bb133111eb
    [zh, zl] = mul64((zh ^ (zh >>> 27)) >>> 0, (zl ^ ((zl >>> 27) | (zh << 5))) >>> 0, 0x94d049bb, 0x133111eb);
    // z ^ (z >> 31)
    return [(zh ^ (zh >>> 31)) >>> 0, (zl ^ ((zl >>> 31) | (zh << 1))) >>> 0];
  }

  /** The next output as a bigint (tests, and the reference below). */
  next(): bigint {
    const [h, l] = this.nextHalves();
    return (BigInt(h) << 32n) | BigInt(l);
  }

  /** rnd(n) = draw mod n, for 1 <= n <= 2^26 (exact in doubles). */
  rnd(n: number): number {
    if (!(n >= 1 && n <= 0x4000000 && Number.isInteger(n))) throw new RangeError(`rnd(n): n must be a whole number from 1 to 2^26, got ${n}`);
    const [h, l] = this.nextHalves();
    // (h * 2^32 + l) mod n = ((h mod n) * (2^32 mod n) + l mod n) mod n; every product stays below 2^52.
    return ((h % n) * (4294967296 % n) + (l % n)) % n;
  }
}
