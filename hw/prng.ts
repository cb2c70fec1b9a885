// SPDX-License-Identifier: GPL-2.0-only
/**
 * Seeded pseudo-random numbers: xoshiro128** seeded through splitmix32. Every random
 * choice in hw/ (random TLB replacement, scheduler order) comes from one of these, so the
 * same seed always gives the same run.
 */

/** One splitmix32 step: returns the next state and its mixed output. */
function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [next, z >>> 0];
}

/** A deterministic 32-bit generator (xoshiro128**). */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Seed with any finite number; the integer part and the high bits both matter. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`a PRNG seed must be a finite number, got ${seed}`);
    const whole = Math.trunc(seed);
    let s = (whole | 0) ^ Math.imul(Math.floor(whole / 4294967296) | 0, 0x27d4eb2f);
    const out: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, z] = splitmix32(s);
      s = next;
      out.push(z);
    }
    this.a = out[0]!;
    this.b = out[1]!;
    this.c = out[2]!;
    this.d = out[3]!;
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Next unsigned 32-bit integer. */
  nextU32(): number {
    const b = this.b;
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    this.c ^= this.a;
    this.d ^= b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** Uniform integer in [0, n) for 1 <= n <= 2^32. */
  below(n: number): number {
    return Math.floor((this.nextU32() / 4294967296) * n);
  }

  /** Uniform float in [0, 1). */
  nextFloat(): number {
    return this.nextU32() / 4294967296;
  }

  /** An independent generator derived from this one's next output and `salt`. */
  fork(salt: number): Prng {
    return new Prng(this.nextU32() * 65536 + (salt & 0xffff));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
