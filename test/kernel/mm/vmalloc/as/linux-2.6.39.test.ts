// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { KernelBug } from '../../../../../kernel/include/asm-generic/bug.js';
import { IS_ERR } from '../../../../../kernel/include/linux/errno.js';
import { hex } from '../../../../../kernel/include/u64.js';
import { defaultEnv, type vmap_area_common } from '../../../../../kernel/mm/vmalloc/common.js';
import { getVersion } from '../../../../../kernel/mm/vmalloc/index.js';
import { itReplaysEveryGoldenTrace } from '../../../../helpers/golden.js';
import { runTwins } from '../../../../helpers/twin.js';
import { allocN, M64, VMALLOC_END_5LEVEL, VMALLOC_START_5LEVEL, wasmCore } from '../../../../helpers/wasm.js';

const P = 0x1000n;
const EBUSY = -16n;
const VS = VMALLOC_START_5LEVEL;
const VE = VMALLOC_END_5LEVEL;

describe('linux-2.6.39 wasm core (kernel/mm/vmalloc/as/linux-2.6.39.ts)', () => {
  describe('golden traces, replayed on linux-2.6.39@wasm', () => itReplaysEveryGoldenTrace('linux-2.6.39', 18, { wasm: true }));

  for (const seed of [1, 2, 3])
    it(`gives the TypeScript port's results, events, touch counts and state lines op for op on a seeded stream of 3,000 operations (seed ${seed})`, () => {
      const r = runTwins('linux-2.6.39', 3000, seed);
      expect(r.mismatch).to.equal(null);
      expect(r.ops).to.equal(3000);
      expect(r.flushes).to.be.greaterThan(r.purges); // lazy_max_pages() was passed: purges from the lazy free too
    });

  it('keeps a free page before the next area, records the hole it walked past and drops the cache for a request that fits in it (hand-derived)', () => {
    const a = getVersion('linux-2.6.39@wasm').create(defaultEnv());
    const V = defaultEnv().VMALLOC_START; // 0xffffc90000000000
    const p = 0x1000;
    const alloc = (pages: number): vmap_area_common => {
      const va = a.alloc_vmap_area(pages * p, p, V, defaultEnv().VMALLOC_END);
      if (IS_ERR(va)) throw new Error('allocation failed');
      return va;
    };
    const at = (va: vmap_area_common) => hex(va.va_start);
    const state = (cache: string, hole: string) => `cache=${cache} hole=${hole} vstart=ffffc90000000000 align=1000 lazy=0`;
    const A = alloc(1);
    expect([at(A), a.golden_state()]).to.deep.equal(['ffffc90000000000', state('ffffc90000000000', '0')]);
    const B = alloc(2); // from the cache: ALIGN(A's end + a page)
    expect([at(B), a.golden_state()]).to.deep.equal(['ffffc90000002000', state('ffffc90000002000', '0')]);
    a.free_vmap_area(A); // at or below the cached area: the cache moves to rb_prev(A), NULL
    expect(a.golden_state()).to.equal(state('-', '0'));
    const D = alloc(1); // no cache: the descent from vstart; [V, V + P) ends a page before B
    expect(at(D)).to.equal('ffffc90000000000');
    const C = alloc(1); // from D: past B, a free page before and after
    expect([at(C), a.golden_state()]).to.deep.equal(['ffffc90000005000', state('ffffc90000005000', '0')]);
    a.free_vmap_area(D);
    const E = alloc(2); // [V, V + 2P) would touch B (addr + size >= B's start): a 2-page hole recorded, placed after C
    expect([at(E), a.golden_state()]).to.deep.equal(['ffffc90000007000', state('ffffc90000007000', '2000')]);
    const F = alloc(1); // size < cached_hole_size: the cache is dropped and the hole reused
    expect([at(F), a.golden_state()]).to.deep.equal(['ffffc90000000000', state('ffffc90000000000', '0')]);
  });

  it('places an ioremap-aligned request above the area it starts in, where the mmotm patch hit BUG_ON(first->va_start < addr) (Hugh Dickins\' fix)', () => {
    const { c } = wasmCore('linux-2.6.39', VS, VE);
    expect(allocN(c, 4n * P, P, VS + 8n * P, VE)).to.equal(VS + 8n * P); // R = [VS + 8P, VS + 12P), the root
    expect(allocN(c, P, P, VS, VE)).to.equal(VS); // L = [VS, VS + P), its left child
    // ALIGN(VS + 9P, 2P) = VS + 10P lies inside R: past R, a free page, aligned.
    expect(allocN(c, P, 2n * P, VS + 9n * P, VE)).to.equal(VS + 14n * P);
  });

  it('takes the overflow path when addr + size - 1 wraps past ULONG_MAX, and lets an area end at 2^64', () => {
    const { c, events } = wasmCore('linux-2.6.39', VS, VE);
    const top = M64 - P + 1n; // 0xfffffffffffff000
    expect(allocN(c, P, P, top, M64)).to.equal(top); // addr + size - 1 = ULONG_MAX, no wrap
    expect(allocN(c, 2n * P, P, top, M64)).to.equal(EBUSY); // addr + size - 1 = 0xfff < addr
    expect(events).to.deep.equal([]); // the purge found nothing lazy: no flush
  });

  it('finds an area by its start address only (__find_vmap_area of 2.6)', () => {
    const { c } = wasmCore('linux-2.6.39', VS, VE);
    const p = c.allocU64(2n * P, P, VS, VE);
    expect(c.findU64(VS)).to.equal(p);
    expect(c.findU64(VS + P)).to.equal(0);
  });

  it('reports a BUG_ON as a KernelBug with version, function, line and condition, the state still readable', () => {
    const { c } = wasmCore('linux-2.6.39', VS, VE);
    allocN(c, P, P, VS, VE);
    let bug: unknown = null;
    try {
      c.allocU64(P, 3n * P, VS, VE);
    } catch (e) {
      bug = e;
    }
    expect(bug).to.be.instanceOf(KernelBug);
    expect(bug).to.include({ version: 'linux-2.6.39@wasm', func: 'alloc_vmap_area', line: 345, cond: '!is_power_of_2(align)' });
    expect(c.list(0).map((va) => c.vaStartU64(va))).to.deep.equal([VS]);
  });
});
