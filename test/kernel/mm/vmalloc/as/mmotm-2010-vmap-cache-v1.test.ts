// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { KernelBug } from '../../../../../kernel/include/asm-generic/bug.js';
import { itReplaysEveryGoldenTrace } from '../../../../helpers/golden.js';
import { runTwins } from '../../../../helpers/twin.js';
import { allocN, VMALLOC_END_5LEVEL, VMALLOC_START_5LEVEL, wasmCore } from '../../../../helpers/wasm.js';

const P = 0x1000n;
const VS = VMALLOC_START_5LEVEL;
const VE = VMALLOC_END_5LEVEL;

describe('mmotm-2010-vmap-cache-v1 wasm core (kernel/mm/vmalloc/as/mmotm-2010-vmap-cache-v1.ts)', () => {
  describe('golden traces, replayed on mmotm-2010-vmap-cache-v1@wasm', () => itReplaysEveryGoldenTrace('mmotm-2010-vmap-cache-v1', 18, { wasm: true }));

  /*
   * The seeded streams use larger alignments from a few vstarts, which is
   * what the patch's BUG_ON(first->va_start < addr) trips on: each stream
   * ends there, in the port and in the core, after the same operations.
   */
  for (const seed of [1, 2, 3])
    it(`gives the TypeScript port's results, events, touch counts and state lines op for op on a seeded stream, up to the same BUG (seed ${seed})`, () => {
      const r = runTwins('mmotm-2010-vmap-cache-v1', 3000, seed);
      expect(r.mismatch).to.equal(null);
      expect(r.bug).to.match(/^BUG alloc_vmap_area:412 first->va_start < addr touches=\d+$/);
      expect(r.ops).to.be.greaterThan(20);
    });

  it('hits BUG_ON(first->va_start < addr) when an aligned start lies inside an area whose left child the descent ends on (hand-derived)', () => {
    const { c } = wasmCore('mmotm-2010-vmap-cache-v1', VS, VE);
    expect(allocN(c, 4n * P, P, VS + 8n * P, VE)).to.equal(VS + 8n * P); // R = [VS + 8P, VS + 12P), the root
    expect(allocN(c, P, P, VS, VE)).to.equal(VS); // L = [VS, VS + P), its left child (vstart < cached_start: no cache)
    // From L's end the cache is below vstart: nocache. ALIGN(VS + 9P, 2P) = VS + 10P lies inside R; the descent
    // overwrites first = R with L, steps to rb_next(L) = R, whose start is below addr.
    expect(() => c.allocU64(P, 2n * P, VS + 9n * P, VE))
      .to.throw(KernelBug)
      .that.includes({ version: 'mmotm-2010-vmap-cache-v1@wasm', func: 'alloc_vmap_area', line: 412, cond: 'first->va_start < addr' });
    expect(c.list(0).map((va) => c.vaStartU64(va))).to.deep.equal([VS, VS + 8n * P]); // the state as it stood
  });

  it('reports a BUG_ON as a KernelBug with version, function, line and condition', () => {
    const { c } = wasmCore('mmotm-2010-vmap-cache-v1', VS, VE);
    expect(() => c.allocU64(P, 3n * P, VS, VE))
      .to.throw(KernelBug)
      .that.includes({ version: 'mmotm-2010-vmap-cache-v1@wasm', func: 'alloc_vmap_area', line: 345, cond: '!is_power_of_2(align)' });
  });
});
