// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { IS_ERR, errname } from '../../../../../kernel/include/linux/errno.js';
import { hex } from '../../../../../kernel/include/u64.js';
import { defaultEnv } from '../../../../../kernel/mm/vmalloc/common.js';
import { getVersion } from '../../../../../kernel/mm/vmalloc/index.js';
import { GFP_KERNEL_7_3, GFP_NOWAIT } from '../../../../../kernel/mm/vmalloc/linux-7.3.js';
import { describeVmapNodeCore, tracer } from '../../../../helpers/wasm-nodes.js';

/*
 * linux-7.3 has no golden traces of its own (data/golden): as for 6.12,
 * the core is held to its TypeScript port. Lines of 7.3.4's mm/vmalloc.c:
 * decode_vn_id's warning 1056, alloc_vmap_area's first BUG_ON 2141.
 */
describeVmapNodeCore('linux-7.3', { decode_vn_id: 1056, bug_aligned: 2141 });

describe('linux-7.3 wasm core: non-blocking gfp (6.19) and error values (6.16)', () => {
  const P = 0x1000;
  const V = -0x370000000000; // VMALLOC_START 0xffffc90000000000
  const v = (off: number) => hex(V + off);

  /*
   * [V, V+3P) allocated and freed lazily (below the threshold: no purge).
   * A GFP_NOWAIT request for 2P in [V, V+4P): the search fails with -ERANGE
   * (0xffffffffffffffde in the event) and, without __GFP_DIRECT_RECLAIM,
   * the call fails at once: no flush, no purge. The same request with
   * GFP_KERNEL reclaims, retries and gets V.
   */
  for (const name of ['linux-7.3@wasm', 'linux-7.3']) {
    it(`${name}: GFP_NOWAIT fails without purging, GFP_KERNEL purges and succeeds`, () => {
      const events: string[] = [];
      const a = getVersion(name).create(defaultEnv({ ncpu: 1, hooks: tracer(events) }));
      const first = a.alloc_vmap_area(3 * P, 1, V, V + 4 * P);
      if (IS_ERR(first)) throw new Error(errname(first));
      a.free_unmap_vmap_area(first);
      events.length = 0;
      const r = a.alloc_vmap_area(2 * P, 1, V, V + 4 * P, -1, GFP_NOWAIT);
      expect(IS_ERR(r) && errname(r)).to.equal('EBUSY');
      expect(events).to.deep.equal([`alloc ffffffffffffffde 2000 1 ${v(0)} ${v(4 * P)} failed=1`]);
      expect(a.vmap_lazy_nr).to.equal(3);

      events.length = 0;
      const va = a.alloc_vmap_area(2 * P, 1, V, V + 4 * P, -1, GFP_KERNEL_7_3);
      expect(IS_ERR(va) ? errname(va) : hex(va.va_start)).to.equal(v(0));
      expect(events).to.deep.equal([
        `alloc ffffffffffffffde 2000 1 ${v(0)} ${v(4 * P)} failed=1`,
        `flush ${v(0)} ${v(3 * P)}`,
        'purged 1',
        `purge ${v(0)} ${v(3 * P)} 1`,
        `alloc ${v(0)} 2000 1 ${v(0)} ${v(4 * P)} failed=0`,
      ]);
    });
  }

  it('no block that can hold the request is -ENOENT (0xfffffffffffffffe) in the event', () => {
    // ULONG_MAX - 4095 bytes from VMALLOC_START would wrap: the one free
    // block [1, ULONG_MAX) is large enough but cannot hold it there.
    const events: string[] = [];
    const a = getVersion('linux-7.3@wasm').create(defaultEnv({ ncpu: 1, hooks: tracer(events) }));
    const r = a.alloc_vmap_area(-0x1000, 1, V, -0x170000000001, -1, GFP_NOWAIT);
    expect(IS_ERR(r) && errname(r)).to.equal('EBUSY');
    expect(events).to.deep.equal([`alloc fffffffffffffffe fffffffffffff000 1 ${v(0)} ffffe8ffffffffff failed=1`]);
  });
});
