// SPDX-License-Identifier: GPL-2.0-only
/* splitmix64 for the workload generator: the kernel layer's stream (kernel/lib/random.ts). */

import { drawMod, SplitMix64 } from '../../kernel/lib/random.js';

export { SplitMix64 };

/** Draws taken from the stream at a time, first and at most (the buffer grows by 4x per refill). */
const FIRST_DRAWS = 8;
const MAX_DRAWS = 512;

/**
 * The same stream as SplitMix64 (same draws, same order), drawn ahead into
 * a buffer: the workload generator's rnd(n) is then a read and a modulo,
 * and the draws are made in one tight loop rather than at every call site.
 */
export class BufferedSplitMix64 {
  private readonly g: SplitMix64;
  private buf = new Uint32Array(2 * FIRST_DRAWS);
  private pos = 0;
  private end = 0;

  constructor(seed: number) {
    this.g = new SplitMix64(seed);
  }

  private fill(): void {
    if (this.end !== 0 && this.buf.length < 2 * MAX_DRAWS) this.buf = new Uint32Array(4 * this.buf.length);
    this.g.fillHalves(this.buf, this.buf.length >>> 1);
    this.pos = 0;
    this.end = this.buf.length;
  }

  /** rnd(n) = draw mod n, for 1 <= n <= 2^26, as SplitMix64.rnd. */
  rnd(n: number): number {
    if (!(n >= 1 && n <= 0x4000000 && Number.isInteger(n))) throw new RangeError(`rnd(n): n must be a whole number from 1 to 2^26, got ${n}`);
    if (this.pos === this.end) this.fill();
    const h = this.buf[this.pos]!;
    const l = this.buf[this.pos + 1]!;
    this.pos += 2;
    return drawMod(h, l, n);
  }
}
