// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { IS_ERR } from '../../../../../kernel/include/linux/errno.js';
import { defaultEnv, type vmap_area_common } from '../../../../../kernel/mm/vmalloc/common.js';
import { getVersion } from '../../../../../kernel/mm/vmalloc/index.js';
import { changedLines } from '../../../../helpers/as-copy.js';
import { runTwins } from '../../../../helpers/twin.js';

describe("linux-2.6.39-nick-le wasm core (kernel/mm/vmalloc/as/linux-2.6.39-nick-le.ts), the check variant with Nick's `<=`", () => {
  it('is the linux-2.6.39 core with the one invalidation test changed', () => {
    expect(changedLines('linux-2.6.39', 'linux-2.6.39-nick-le')).to.deep.equal([
      [
        '    let nocache = !free_vmap_cache || size < cached_hole_size || vstart < cached_vstart || align < cached_align;',
        '    let nocache = !free_vmap_cache || size <= cached_hole_size || vstart < cached_vstart || align < cached_align;',
      ],
    ]);
  });

  for (const seed of [1, 2, 3])
    it(`gives the TypeScript variant's results, events, touch counts and state lines op for op on a seeded stream of 3,000 operations (seed ${seed})`, () => {
      const r = runTwins('linux-2.6.39-nick-le', 3000, seed);
      expect(r.mismatch).to.equal(null);
      expect(r.ops).to.equal(3000);
    });

  it('drops the cache for a request equal to the hole, which linux-2.6.39 keeps (hand-derived)', () => {
    // [A V..V+2P) [B V+3P..V+5P) [C V+6P..V+8P); free B; a 3-page request goes past C and
    // records hole = 3P. A second 3-page request: 2.6.39 keeps the cache (3P < 3P is false)
    // and starts after the area at V+9P; the variant drops it (3P <= 3P), walks from vstart
    // and records the hole again, touching more areas; both place it at V+0xd000.
    const P = 0x1000;
    const state = (version: string): [string, string, number] => {
      const a = getVersion(`${version}@wasm`).create(defaultEnv());
      const { VMALLOC_START: V, VMALLOC_END: VE } = defaultEnv();
      const alloc = (pages: number): vmap_area_common => {
        const va = a.alloc_vmap_area(pages * P, P, V, VE);
        if (IS_ERR(va)) throw new Error('allocation failed');
        return va;
      };
      alloc(2);
      const b = alloc(2);
      alloc(2);
      a.free_vmap_area(b);
      alloc(3);
      const before = a.golden_state();
      const t0 = a.touches;
      alloc(3);
      return [before, a.golden_state(), a.touches - t0];
    };
    const s = 'hole=3000 vstart=ffffc90000000000 align=1000 lazy=0';
    const le = state('linux-2.6.39-nick-le');
    const lt = state('linux-2.6.39');
    expect(le.slice(0, 2)).to.deep.equal([`cache=ffffc90000009000 ${s}`, `cache=ffffc9000000d000 ${s}`]);
    expect(lt.slice(0, 2)).to.deep.equal([`cache=ffffc90000009000 ${s}`, `cache=ffffc9000000d000 ${s}`]);
    expect(le[2]).to.be.greaterThan(lt[2]);
  });
});
