// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { KernelBug } from '../../../../../kernel/include/asm-generic/bug.js';
import { runTwins } from '../../../../helpers/twin.js';
import { allocN, VMALLOC_END_5LEVEL, VMALLOC_START_5LEVEL, wasmCore } from '../../../../helpers/wasm.js';

const P = 0x1000n;
const VS = VMALLOC_START_5LEVEL;
const VE = VMALLOC_END_5LEVEL;

describe("linux-2.6.35-nick-v1 wasm core (kernel/mm/vmalloc/as/linux-2.6.35-nick-v1.ts), the check variant with Nick Piggin's first cache patch", () => {
  /*
   * From one vstart the patch's BUG_ONs stay quiet (the descent starts at
   * the lowest address); from several it soon hits one of them, in the port
   * and in the core after the same operations.
   */
  for (const seed of [1, 2, 3]) {
    it(`gives the TypeScript variant's results, events, touch counts and state lines op for op on a seeded stream of 3,000 operations from one vstart (seed ${seed})`, () => {
      const r = runTwins('linux-2.6.35-nick-v1', 3000, seed, { vstarts: 1 });
      expect(r.mismatch).to.equal(null);
      expect(r.ops).to.equal(3000);
    });
    it(`and from four vstarts up to the same BUG (seed ${seed})`, () => {
      const r = runTwins('linux-2.6.35-nick-v1', 3000, seed);
      expect(r.mismatch).to.equal(null);
      expect(r.bug).to.match(/^BUG alloc_vmap_area:(391 first->va_end|399 first->va_start) < addr /);
    });
  }

  it('hits BUG_ON(first->va_end < addr) when the descent ends on an area wholly below addr, the state still readable (hand-derived)', () => {
    // A at VS, B at VS + 2P (from the cache); freeing A moves the cache to rb_prev(A), NULL.
    // From VS + 0x10000 the cache is reset and the descent ends on B, wholly below addr.
    const { c } = wasmCore('linux-2.6.35-nick-v1', VS, VE);
    const a = c.allocU64(P, P, VS, VE);
    expect(allocN(c, P, P, VS, VE)).to.equal(VS + 2n * P);
    c.x.op_free(a);
    expect(() => c.allocU64(P, P, VS + 0x10000n, VE))
      .to.throw(KernelBug)
      .that.includes({ version: 'linux-2.6.35-nick-v1@wasm', func: 'alloc_vmap_area', line: 391, cond: 'first->va_end < addr' });
    expect(c.list(0).map((va) => c.vaStartU64(va))).to.deep.equal([VS + 2n * P]);
  });
});
