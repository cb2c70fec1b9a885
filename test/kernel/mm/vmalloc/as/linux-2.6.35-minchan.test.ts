// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { IS_ERR } from '../../../../../kernel/include/linux/errno.js';
import { hex } from '../../../../../kernel/include/u64.js';
import { defaultEnv } from '../../../../../kernel/mm/vmalloc/common.js';
import { getVersion } from '../../../../../kernel/mm/vmalloc/index.js';
import { runTwins } from '../../../../helpers/twin.js';
import { allocN, VMALLOC_END_5LEVEL, VMALLOC_START_5LEVEL, wasmCore } from '../../../../helpers/wasm.js';

const P = 0x1000n;
const VS = VMALLOC_START_5LEVEL;
const VE = VMALLOC_END_5LEVEL;

describe("linux-2.6.35-minchan wasm core (kernel/mm/vmalloc/as/linux-2.6.35-minchan.ts), the check variant with Minchan Kim's rework", () => {
  for (const seed of [1, 2, 3])
    it(`gives the TypeScript variant's results, events, touch counts and state lines op for op on a seeded stream of 3,000 operations (seed ${seed})`, () => {
      const r = runTwins('linux-2.6.35-minchan', 3000, seed);
      expect(r.mismatch).to.equal(null);
      expect(r.ops).to.equal(3000);
    });

  it('keeps the old descent: a request from above an area steps past it where Nick\'s first patch BUGs (hand-derived)', () => {
    const { c } = wasmCore('linux-2.6.35-minchan', VS, VE);
    const a = c.allocU64(P, P, VS, VE);
    expect(allocN(c, P, P, VS, VE)).to.equal(VS + 2n * P);
    c.x.op_free(a);
    expect(allocN(c, P, P, VS + 0x10000n, VE)).to.equal(VS + 0x10000n);
  });

  it('fails with -EBUSY in an empty range once a high request has set the cache: cached_start stays 0 (hand-derived)', () => {
    const a = getVersion('linux-2.6.35-minchan@wasm').create(defaultEnv());
    const { VMALLOC_START: V, VMALLOC_END: E } = defaultEnv();
    const top = E + 1 - 0x3000;
    const r1 = a.alloc_vmap_area(0x1000, 1, top, E);
    const r2 = a.alloc_vmap_area(0x1000, 1, V, E);
    expect([IS_ERR(r1) ? 'EBUSY' : hex(r1.va_start), IS_ERR(r2) ? 'EBUSY' : hex(r2.va_start)]).to.deep.equal([hex(top), 'EBUSY']);
    expect(a.golden_state()).to.equal(`cache=${hex(top)} hole=0 start=0 lazy=0`);
  });
});
