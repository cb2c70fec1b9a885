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

describe('linux-3.18 wasm core (kernel/mm/vmalloc/as/linux-3.18.ts)', () => {
  describe('golden traces, replayed on linux-3.18@wasm', () => itReplaysEveryGoldenTrace('linux-3.18', 18, { wasm: true }));

  for (const seed of [1, 2, 3])
    it(`gives the TypeScript port's results, events, touch counts and state lines op for op on a seeded stream of 3,000 operations (seed ${seed})`, () => {
      const r = runTwins('linux-3.18', 3000, seed);
      expect(r.mismatch).to.equal(null);
      expect(r.ops).to.equal(3000);
      expect(r.flushes).to.be.greaterThan(r.purges); // lazy_max_pages() was passed: purges from the lazy free too
    });

  it('packs areas with no page between them, records the hole it walked past, and keeps the cache for a request only as large as the hole (hand-derived)', () => {
    const a = getVersion('linux-3.18@wasm').create(defaultEnv());
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
    const B = alloc(2); // from the cache: ALIGN(A's end), touching A
    expect([at(B), a.golden_state()]).to.deep.equal(['ffffc90000001000', state('ffffc90000001000', '0')]);
    a.free_vmap_area(A); // at or below the cached area: the cache moves to rb_prev(A), NULL
    expect(a.golden_state()).to.equal(state('-', '0'));
    const D = alloc(1); // no cache: [V, V + P) ends where B starts (addr + size > B's start is false)
    expect(at(D)).to.equal('ffffc90000000000');
    const C = alloc(1); // from D along vmap_area_list, past B
    expect([at(C), a.golden_state()]).to.deep.equal(['ffffc90000003000', state('ffffc90000003000', '0')]);
    a.free_vmap_area(D);
    const E = alloc(2); // the 1-page hole before B is recorded; placed after C
    expect([at(E), a.golden_state()]).to.deep.equal(['ffffc90000004000', state('ffffc90000004000', '1000')]);
    const F = alloc(1); // size < cached_hole_size is false: the cache stays, the hole is not reused
    expect([at(F), a.golden_state()]).to.deep.equal(['ffffc90000006000', state('ffffc90000006000', '1000')]);
  });

  it('counts a range ending exactly at 2^64 as overflow (addr + size < addr)', () => {
    const { c, events } = wasmCore('linux-3.18', VS, VE);
    const top = M64 - P + 1n; // 0xfffffffffffff000
    expect(allocN(c, P, P, top, M64)).to.equal(EBUSY); // addr + size = 0 < addr
    expect(allocN(c, P, P, top - P, M64)).to.equal(top - P); // ends at 0xfffffffffffff000
    expect(events).to.deep.equal([]); // the purge found nothing lazy: no flush
  });

  it('finds an area by any address inside it (__find_vmap_area of 3.x)', () => {
    const { c } = wasmCore('linux-3.18', VS, VE);
    const p = c.allocU64(2n * P, P, VS, VE);
    expect(c.findU64(VS)).to.equal(p);
    expect(c.findU64(VS + 2n * P - 1n)).to.equal(p);
    expect(c.findU64(VS + 2n * P)).to.equal(0);
  });

  it('reports a BUG_ON as a KernelBug with version, function, line and condition, the state still readable', () => {
    const { c } = wasmCore('linux-3.18', VS, VE);
    allocN(c, P, P, VS, VE);
    let bug: unknown = null;
    try {
      c.allocU64(P, 3n * P, VS, VE);
    } catch (e) {
      bug = e;
    }
    expect(bug).to.be.instanceOf(KernelBug);
    expect(bug).to.include({ version: 'linux-3.18@wasm', func: 'alloc_vmap_area', line: 357, cond: '!is_power_of_2(align)' });
    expect(c.list(0).map((va) => c.vaStartU64(va))).to.deep.equal([VS]);
  });
});
