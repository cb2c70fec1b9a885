// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { IS_ERR } from '../../../../../kernel/include/linux/errno.js';
import { hex, type ulong } from '../../../../../kernel/include/u64.js';
import { defaultEnv, type VmapAllocator } from '../../../../../kernel/mm/vmalloc/common.js';
import { linux_2_6_35 } from '../../../../../kernel/manifest/linux-2.6.35.js';
import { linux_2_6_35_minchan } from '../../../../../kernel/manifest/linux-2.6.35-minchan.js';

const VS = -0x370000000000; // ffffc90000000000
const VE = -0x170000000001; // ffffe8ffffffffff
const V = (off: number): ulong => VS + off;

function allocs(a: VmapAllocator, reqs: [number, number, ulong, ulong][]): string[] {
  return reqs.map(([size, align, vstart, vend]) => {
    const va = a.alloc_vmap_area(size, align, vstart, vend);
    return IS_ERR(va) ? 'EBUSY' : hex(va.va_start);
  });
}

describe("Minchan Kim's rework of the vmap area cache on linux-2.6.35 (22 May 2010, a check variant)", () => {
  // Without the `!free_vmap_cache` test, the first request never resets the
  // cache state: cached_start keeps its initial 0, and no later vstart is
  // below 0. A page at the top of the range, [VE+1-3000, VE+1-2000), becomes
  // the cache; a page from VMALLOC_START then walks on from it, finds
  // nothing up to VMALLOC_END, purges nothing and fails, with the whole
  // range below free. 2.6.35 places it at VMALLOC_START.
  it('fails with -EBUSY in an empty range once a high request has set the cache: cached_start stays 0', () => {
    const reqs: [number, number, ulong, ulong][] = [
      [0x1000, 1, VE + 1 - 0x3000, VE],
      [0x1000, 1, VS, VE],
    ];
    expect(allocs(new linux_2_6_35(defaultEnv()), reqs)).to.deep.equal([hex(VE + 1 - 0x3000), hex(V(0))]);
    const m = new linux_2_6_35_minchan(defaultEnv());
    expect(allocs(m, reqs)).to.deep.equal([hex(VE + 1 - 0x3000), 'EBUSY']);
    expect(m.golden_state()).to.equal(`cache=${hex(VE + 1 - 0x3000)} hole=0 start=0 lazy=0`);
  });

  it('keeps the old descent: a request from above an area steps past it instead of BUGging as Nick\'s first patch does', () => {
    // A at V, B at V+2000 (through the cache); freeing A moves the cache to
    // rb_prev(A), NULL, and leaves cached_start at V. From V+10000 (not below
    // cached_start, no cache): the descent ends on B, wholly below addr, and
    // the helper steps to rb_next(B), none: found, at V+10000.
    const m = new linux_2_6_35_minchan(defaultEnv());
    const a = m.alloc_vmap_area(0x1000, 1, VS, VE);
    m.alloc_vmap_area(0x1000, 1, VS, VE);
    m.free_vmap_area(a as never);
    const va = m.alloc_vmap_area(0x1000, 1, V(0x10000), VE);
    expect(IS_ERR(va) ? 'EBUSY' : hex(va.va_start)).to.equal(hex(V(0x10000)));
  });
});
