// SPDX-License-Identifier: GPL-2.0-only
/*
 * kernel/mm/vmalloc/api/linux-6.12.ts: per-CPU vmap-block xarrays, the v6.5
 * series (fc1e0d980037, the dirty range reset once flushed, the
 * VMAP_PURGE_THRESHOLD for fragmented blocks), VMAP_RAM areas and vmap
 * nodes.
 */
import { expect } from 'chai';
import { P, VSTART, boot, recordFlushes, warnings } from './helpers.js';
import { FACTS_6_1, sharedApiSpecs } from './shared.js';

const V = 'linux-6.12';

/** n x 64 pages of one 256-page block handed out by CPU 0, then all freed. */
function freedBlock(k: ReturnType<typeof boot>, sizes: number[]): void {
  const ms = sizes.map((n) => k.vm_map_ram(0, k.alloc_pages(n)));
  sizes.forEach((n, i) => k.vm_unmap_ram(0, ms[i]!, n));
}

describe(`kernel/mm/vmalloc/api/${V}`, () => {
  sharedApiSpecs(V, { ...FACTS_6_1, flushesFullBlocks: true });

  it('vmalloc(0) WARNs and returns NULL; set_iounmap_nonlazy is absent', () => {
    const k = boot(V);
    expect(k.vmalloc(0, 0)).to.equal(0);
    expect(warnings(k)).to.deep.equal([['__vmalloc_node_range', '!size']]);
    expect(k.set_iounmap_nonlazy(0)).to.equal(false);
  });

  it('vm_map_ram of no pages WARNs in vb_alloc and returns NULL: vb_alloc gives ERR_PTR(-EINVAL) since Hailong Liu\'s 2024 fix', () => {
    const k = boot(V);
    expect(k.vm_map_ram(0, [])).to.equal(0);
    expect(warnings(k)).to.deep.equal([['vb_alloc', 'size == 0']]);
  });

  it('a flushed dirty range is reset (a09fad96ffb1): a second vm_unmap_aliases flushes nothing', () => {
    const k = boot(V);
    const ms = [0, 1, 2, 3].map(() => k.vm_map_ram(0, k.alloc_pages(64)));
    k.vm_unmap_ram(0, ms[1]!, 64);
    const flushes = recordFlushes(k);
    k.vm_unmap_aliases(0);
    k.vm_unmap_aliases(0);
    expect(flushes).to.deep.equal([[VSTART + 64 * P, VSTART + 128 * P]]);
  });

  it('vm_unmap_aliases keeps a fragmented block with a quarter or more never handed out (64 of 256), flushing only its dirty range', () => {
    const k = boot(V);
    freedBlock(k, [64, 64, 64]);
    const flushes = recordFlushes(k);
    k.vm_unmap_aliases(0);
    expect(k.api.nr_vmap_blocks()).to.equal(1);
    expect(flushes).to.deep.equal([[VSTART, VSTART + 192 * P]]);
    expect(k.allocator.vmap_lazy_nr).to.equal(0);
  });

  it('vm_unmap_aliases purges a fragmented block with less than a quarter free (32 of 256): the block goes and its whole range is flushed', () => {
    const k = boot(V);
    freedBlock(k, [64, 64, 64, 32]);
    const flushes = recordFlushes(k);
    k.vm_unmap_aliases(0);
    expect(k.api.nr_vmap_blocks()).to.equal(0);
    expect(k.allocator.vmap_lazy_nr).to.equal(0);
    expect(flushes).to.deep.equal([[VSTART, VSTART + 256 * P]]);
  });

  it('/proc/vmallocinfo (one CPU, one vmap node): VMAP_RAM areas as "vm_map_ram", phys=%pa, then the unpurged areas', () => {
    const k = boot(V, 1);
    const a = k.vmalloc(0, 3 * P);
    const io = k.ioremap(0, 0xfed00000, P);
    const m = k.vm_map_ram(0, k.alloc_pages(1));
    expect(k.proc_vmallocinfo()).to.equal(
      '0xffffc90000000000-0xffffc90000004000   16384 vmalloc pages=3 vmalloc N0=3\n' +
        '0xffffc90000004000-0xffffc90000006000    8192 ioremap phys=0x00000000fed00000 ioremap\n' +
        '0xffffc90000100000-0xffffc90000200000 1048576 vm_map_ram\n',
    );
    k.vfree(0, a);
    k.iounmap(0, io);
    k.vm_unmap_ram(0, m, 1);
    expect(k.proc_vmallocinfo()).to.equal(
      '0xffffc90000100000-0xffffc90000200000 1048576 vm_map_ram\n' +
        '0xffffc90000000000-0xffffc90000004000   16384 unpurged vm_area\n' +
        '0xffffc90000004000-0xffffc90000006000    8192 unpurged vm_area\n',
    );
  });

  it('/proc/vmallocinfo shows the unpurged areas even when no busy area is left (show_purge_info runs unconditionally since 6.9)', () => {
    const k = boot(V, 1);
    k.vfree(0, k.vmalloc(0, P));
    expect(k.proc_vmallocinfo()).to.equal('0xffffc90000000000-0xffffc90000002000    8192 unpurged vm_area\n');
  });

  it('VmallocUsed is nr_vmalloc_pages in kB', () => {
    const k = boot(V);
    const a = k.vmalloc(0, 5 * P);
    k.vmap(0, k.alloc_pages(2));
    expect(k.api.vmalloc_used_kb()).to.equal(20);
    k.vfree(0, a);
    expect(k.api.vmalloc_used_kb()).to.equal(0);
  });

  it('blocks of both CPUs are found through their xarrays: one flush spans the dirty pages of each', () => {
    const k = boot(V);
    const m0 = k.vm_map_ram(0, k.alloc_pages(2));
    k.vm_map_ram(0, k.alloc_pages(1));
    const m1 = k.vm_map_ram(1, k.alloc_pages(2));
    k.vm_map_ram(1, k.alloc_pages(1));
    expect([m0, m1]).to.deep.equal([VSTART, VSTART + 256 * P]);
    k.vm_unmap_ram(0, m0, 2);
    k.vm_unmap_ram(1, m1, 2);
    const flushes = recordFlushes(k);
    k.vm_unmap_aliases(0);
    expect(flushes).to.deep.equal([[VSTART, VSTART + 258 * P]]);
    expect(k.api.nr_vmap_blocks()).to.equal(2);
  });
});

const { itNestsAndOrdersTheVmapBlockLocks, itTakesTheVmapBlockLocksOf6x } = await import('../../../../helpers/timed-locks.js');

/*
 * 6.12's text (7.3's is the same): vb_alloc as 6.1's (98 a CPU; the look
 * at vb->free without the lock never skips here, every queued block has
 * room); vb_free locks twice, around bitmap_clear and around the dirty
 * range (200); vbq->lock as 6.1 (3 a CPU). vm_unmap_aliases locks each
 * block of the xarrays (2); neither is purged (112 free is not under
 * VMAP_PURGE_THRESHOLD, 64), so no vbq->lock.
 */
const COUNTS_6_12 = {
  loop: { vb: 2 * (98 + 200), vbq: 2 * 3 },
  aliases: { vb: 2, vbq: 0 },
  sites: 'vb_alloc (vb->lock, vbq->lock when full); vb_free (twice); new_vmap_block (vbq->lock); _vm_unmap_aliases walk (purge_fragmented_block under it)',
};

describe('linux-6.12 API layer: the vmap-block locks in timed mode', () => {
  for (const v of ['linux-6.12', 'linux-6.12@wasm', 'linux-7.3', 'linux-7.3@wasm'])
    describe(v, () => {
      itTakesTheVmapBlockLocksOf6x(v, COUNTS_6_12);
      // free_vmap_area_noflush() puts the area on its node's lazy tree under vn->lazy.lock (the
      // vn->busy.lock of free_vmap_block() around unlink_va is not modelled: docs/concurrency.md).
      itNestsAndOrdersTheVmapBlockLocks(v, 2, ['+vn->lazy.lock', '-vn->lazy.lock']);
    });
});
