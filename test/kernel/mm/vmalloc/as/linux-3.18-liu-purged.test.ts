// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { errname, IS_ERR } from '../../../../../kernel/include/linux/errno.js';
import { hex, type ulong } from '../../../../../kernel/include/u64.js';
import { defaultEnv, type vmap_area_common } from '../../../../../kernel/mm/vmalloc/common.js';
import { getVersion } from '../../../../../kernel/mm/vmalloc/index.js';
import { changedLines } from '../../../../helpers/as-copy.js';
import { runTwins } from '../../../../helpers/twin.js';

type Op = ['a', number, number, ulong, ulong] | ['f' | 'l', number];

const VE = -0x170000000001; // ffffe8ffffffffff
const V = (off: number): ulong => -0x370000000000 + off;

/** Run ops as `vmapsim check` prints them (f/l #i: live area i mod the live count, oldest first) on a fresh core; the last allocation's result. */
function last(version: string, ops: Op[]): string {
  const a = getVersion(`${version}@wasm`).create(defaultEnv());
  const live: vmap_area_common[] = [];
  let out = '';
  for (const op of ops) {
    if (op[0] === 'a') {
      const va = a.alloc_vmap_area(op[1], op[2], op[3], op[4]);
      out = IS_ERR(va) ? errname(va) : hex(va.va_start);
      if (!IS_ERR(va)) live.push(va);
    } else if (live.length) {
      const va = live.splice(op[1] % live.length, 1)[0]!;
      if (op[0] === 'f') a.free_vmap_area(va);
      else a.free_unmap_vmap_area(va);
    }
  }
  return out;
}

describe("linux-3.18-liu-purged wasm core (kernel/mm/vmalloc/as/linux-3.18-liu-purged.ts), the check variant with Liu Song's `|| purged`", () => {
  it("is the linux-3.18 core with the patch's one line", () => {
    expect(changedLines('linux-3.18', 'linux-3.18-liu-purged')).to.deep.equal([
      [
        '    let nocache = !free_vmap_cache || size < cached_hole_size || vstart < cached_vstart || align < cached_align;',
        '    let nocache = !free_vmap_cache || size < cached_hole_size || vstart < cached_vstart || align < cached_align || purged != 0;',
      ],
    ]);
  });

  for (const seed of [1, 2, 3])
    it(`gives the TypeScript variant's results, events, touch counts and state lines op for op on a seeded stream of 3,000 operations (seed ${seed})`, () => {
      const r = runTwins('linux-3.18-liu-purged', 3000, seed);
      expect(r.mismatch).to.equal(null);
      expect(r.ops).to.equal(3000);
    });

  /*
   * The shrunk counterexample of test/kernel/mm/vmalloc/variants/linux-3.18-liu-purged.test.ts:
   * before the last request the cache sits above an exactly request-sized free hole at
   * V+0x100000. 3.18 keeps the cache, walks to the window's end, purges and retries from
   * the same cache: -EBUSY; with the patch the retry searches from vstart and finds the hole.
   */
  const ops: Op[] = [
    ['a', 0x2000, 1, V(0xfa000), VE],
    ['l', 0],
    ['a', 0x7000, 1, V(0xf4000), VE],
    ['a', 0x6000, 1, V(0xf4000), VE],
    ['l', 0],
    ['a', 0x1000, 1, V(0), VE],
    ['a', 0x5000, 0x2000, V(0xf5000), VE],
    ['f', 4],
    ['a', 0x1000, 1, V(0), VE],
    ['l', 4],
    ['a', 0x5000, 0x2000, V(0xf5000), VE],
    ['a', 0x3000, 1, V(0xf8000), VE],
    ['a', 0x3000, 1, V(0xf8000), VE],
    ['a', 0x7000, 1, V(0xf4000), VE],
    ['a', 0x5000, 1, V(0xf6000), VE],
    ['a', 0x7000, 1, V(0xf4000), VE],
    ['a', 0x5000, 1, V(0x100000), V(0x133000) - 1],
    ['a', 0x3000, 1, V(0x100000), V(0x131000) - 1],
  ];

  it('serves from the hole below the cache the request that the linux-3.18 core fails after its purge', () => {
    expect(last('linux-3.18', ops)).to.equal('EBUSY');
    expect(last('linux-3.18-liu-purged', ops)).to.equal(hex(V(0x100000)));
  });
});
