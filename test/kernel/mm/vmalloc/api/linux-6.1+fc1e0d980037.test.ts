// SPDX-License-Identifier: GPL-2.0-only
/*
 * kernel/mm/vmalloc/api/linux-6.1+fc1e0d980037.ts: 6.1 with the stale-TLB
 * fix alone (_vm_unmap_aliases walks the vmap_blocks xarray, so fully used
 * blocks are seen), and without its companions (the dirty range is not
 * reset: a09fad96ffb1 is not applied).
 */
import { expect } from 'chai';
import { P, VSTART, boot, recordFlushes, warnings } from './helpers.js';
import { FACTS_6_1, sharedApiSpecs } from './shared.js';

const V = 'linux-6.1+fc1e0d980037';

/** CPU 0 fills one 256-page block with four 64-page vm_map_ram()s and frees the second one. */
function fullBlockWithDirtyPages(k: ReturnType<typeof boot>): number[] {
  const ms = [0, 1, 2, 3].map(() => k.vm_map_ram(0, k.alloc_pages(64)));
  k.vm_unmap_ram(0, ms[1]!, 64);
  return ms;
}

describe(`kernel/mm/vmalloc/api/${V}`, () => {
  sharedApiSpecs(V, { ...FACTS_6_1, flushesFullBlocks: true });

  it('is 6.1 elsewhere: vmalloc(0) WARNs, set_iounmap_nonlazy is absent, VmallocUsed counts vmalloc pages', () => {
    const k = boot(V);
    expect(k.vmalloc(0, 0)).to.equal(0);
    expect(warnings(k)).to.deep.equal([['__vmalloc_node_range', '!size']]);
    expect(k.set_iounmap_nonlazy(0)).to.equal(false);
    k.vmalloc(0, 2 * P);
    expect(k.api.vmalloc_used_kb()).to.equal(8);
  });

  it('the fully used block is off the free list, yet its dirty pages are flushed; the dirty range is not reset, so a second call flushes them again', () => {
    const k = boot(V);
    fullBlockWithDirtyPages(k);
    const flushes = recordFlushes(k);
    k.vm_unmap_aliases(0);
    k.vm_unmap_aliases(1);
    expect(flushes).to.deep.equal([
      [VSTART + 64 * P, VSTART + 128 * P],
      [VSTART + 64 * P, VSTART + 128 * P],
    ]);
  });

  it('one flush spans the dirty ranges of every block, on a free list or not, of every CPU', () => {
    const k = boot(V);
    fullBlockWithDirtyPages(k); // CPU 0: block [0, 256), dirty [64, 128)
    const m1 = k.vm_map_ram(1, k.alloc_pages(4)); // CPU 1: block [256, 512)
    k.vm_map_ram(1, k.alloc_pages(1));
    expect(m1).to.equal(VSTART + 256 * P);
    k.vm_unmap_ram(1, m1, 4); // dirty [256, 260)
    const flushes = recordFlushes(k);
    k.vm_unmap_aliases(0);
    expect(flushes).to.deep.equal([[VSTART + 64 * P, VSTART + 260 * P]]);
  });

  it('a fully dirty block is freed by vb_free and lazily: vm_unmap_aliases purges it and flushes its range', () => {
    const k = boot(V);
    const ms = fullBlockWithDirtyPages(k);
    for (const m of [ms[0]!, ms[2]!, ms[3]!]) k.vm_unmap_ram(0, m, 64);
    expect(k.api.nr_vmap_blocks()).to.equal(0);
    expect(k.allocator.vmap_lazy_nr).to.equal(256);
    const flushes = recordFlushes(k);
    k.vm_unmap_aliases(0);
    expect(k.allocator.vmap_lazy_nr).to.equal(0);
    expect(flushes).to.deep.equal([[VSTART, VSTART + 256 * P]]);
  });
});

const { itTakesTheVmapBlockLocksOf6x } = await import('../../../../helpers/timed-locks.js');

describe('linux-6.1+fc1e0d980037: the vmap-block locks in timed mode', () => {
  // As 6.1 (api/linux-6.1.test.ts): the xarray walk locks each of the two blocks, as the free-list walk did.
  itTakesTheVmapBlockLocksOf6x('linux-6.1+fc1e0d980037', {
    loop: { vb: 2 * (98 + 100), vbq: 2 * 3 },
    aliases: { vb: 4, vbq: 2 },
    sites: 'as 6.1; _vm_unmap_aliases walks the xarray',
  });
});
