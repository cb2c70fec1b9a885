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
 * are done with Math.imul and 16-bit limbs, so no bigint (and no array) is
 * needed on the hot path.
 */

/**
 * x mod n for whole numbers 0 <= x < 2^53 and n >= 1, by a division and a
 * floor instead of `%`: V8 computes `%` of numbers that are not small
 * integers (a draw's half is up to 2^32) with a call to fmod, about 2-3
 * times slower. The quotient's double may round to the next integer either
 * way; one correction by n makes the remainder exact (q * n and x - q * n
 * stay below 2^53).
 */
export function umod53(x: number, n: number): number {
  const r = x - Math.floor(x / n) * n;
  return r < 0 ? r + n : r >= n ? r - n : r;
}

/** rnd(n) of a draw (h, l): (h * 2^32 + l) mod n = ((h mod n) * (2^32 mod n) + l mod n) mod n; every product stays below 2^52. */
export function drawMod(h: number, l: number, n: number): number {
  return umod53(umod53(h, n) * umod53(4294967296, n) + umod53(l, n), n);
}

/** The high 32 bits of the 64-bit product of two unsigned 32-bit numbers (16-bit limbs; every partial sum stays below 2^32). */
function mulhi32(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const m1 = a1 * b0 + ((a0 * b0) >>> 16);
  const m2 = a0 * b1 + (m1 & 0xffff);
  return (a1 * b1 + (m1 >>> 16) + (m2 >>> 16)) >>> 0;
}

export class SplitMix64 {
  private hi: number;
  private lo: number;
  /* The last output's halves (step() writes them: no array per draw). */
  private oh = 0;
  private ol = 0;

  /** Seed with a non-negative safe integer (the golden traces use 1, 2, 3, 7). */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a whole number from 0 to 2^53-1, got ${seed}`);
    this.hi = Math.floor(seed / 4294967296) >>> 0;
    this.lo = seed >>> 0;
  }

  /**
   * One draw into (oh, ol). A product mod 2^64 of (h:l) and (mh:ml) is
   * h*ml + l*mh + mulhi(l, ml) for the high word and l*ml for the low one,
   * each mod 2^32 (Math.imul).
   */
  private step(): void {
    // s += 0x9e3779b97f4a7c15
    const lo = this.lo + 0x7f4a7c15;
    this.lo = lo >>> 0;
    this.hi = (this.hi + 0x9e3779b9 + (lo > 0xffffffff ? 1 : 0)) >>> 0;
    let zh = this.hi;
    let zl = this.lo;
    // z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
    let h = (zh ^ (zh >>> 30)) >>> 0;
    let l = (zl ^ ((zl >>> 30) | (zh << 2))) >>> 0;
    zh = (mulhi32(l, 0x1ce4e5b9) + Math.imul(h, 0x1ce4e5b9) + Math.imul(l, 0xbf58476d)) >>> 0;
    zl = Math.imul(l, 0x1ce4e5b9) >>> 0;
    // z = (z ^ (z >> 27)) * 0x94d049bb133111eb
    h = (zh ^ (zh >>> 27)) >>> 0;
    l = (zl ^ ((zl >>> 27) | (zh << 5))) >>> 0;
    zh = (mulhi32(l, 0x133111eb) + Math.imul(h, 0x133111eb) + Math.imul(l, 0x94d049bb)) >>> 0;
    zl = Math.imul(l, 0x133111eb) >>> 0;
    // z ^ (z >> 31)
    this.oh = (zh ^ (zh >>> 31)) >>> 0;
    this.ol = (zl ^ ((zl >>> 31) | (zh << 1))) >>> 0;
  }

  /** The next 64-bit output as [hi, lo] unsigned 32-bit halves. */
  nextHalves(): [number, number] {
    this.step();
    return [this.oh, this.ol];
  }

  /** The next n outputs into out[2i] (high half), out[2i + 1] (low half). */
  fillHalves(out: Uint32Array, n: number): void {
    for (let i = 0; i < 2 * n; i += 2) {
      this.step();
      out[i] = this.oh;
      out[i + 1] = this.ol;
    }
  }

  /** The next output as a bigint (tests, and the reference below). */
  next(): bigint {
    const [h, l] = this.nextHalves();
    return (BigInt(h) << 32n) | BigInt(l);
  }

  /** rnd(n) = draw mod n, for 1 <= n <= 2^26 (exact in doubles). */
  rnd(n: number): number {
    if (!(n >= 1 && n <= 0x4000000 && Number.isInteger(n))) throw new RangeError(`rnd(n): n must be a whole number from 1 to 2^26, got ${n}`);
    this.step();
    return drawMod(this.oh, this.ol, n);
  }
}
