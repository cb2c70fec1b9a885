// SPDX-License-Identifier: GPL-2.0-only
/*
 * kernel/mm/vmalloc/api/linux-6.1.ts: the 6.1 API layer (Debian 6.1.192):
 * bump-pointer vmap blocks with a dirty range, _vm_unmap_aliases over the
 * per-CPU free lists (no fc1e0d980037), VM_NO_GUARD, pgprot_nx in vmap,
 * VmallocUsed from nr_vmalloc_pages, /proc/vmallocinfo with vm_map_ram and
 * unpurged lines.
 */
import { expect } from 'chai';
import { P, VSTART, boot, mapped, recordFlushes, warnings } from './helpers.js';
import { FACTS_6_1, sharedApiSpecs } from './shared.js';

const V = 'linux-6.1';

describe(`kernel/mm/vmalloc/api/${V}`, () => {
  sharedApiSpecs(V, FACTS_6_1);

  // Hailong Liu, linux-mm, April 2024: "vm_map_ram(page, 0, 0)" panics; 6.12 has the fix (its spec).
  it('vm_map_ram of no pages WARNs in vb_alloc, which returns NULL, and the NULL mapping hits BUG_ON(addr >= end)', () => {
    const k = boot(V);
    expect(() => k.vm_map_ram(0, [])).to.throw(/vmap_page_range: addr >= end/);
    expect(warnings(k)).to.deep.equal([['vb_alloc', 'size == 0']]);
  });

  it('vmalloc(0) WARNs in __vmalloc_node_range and returns NULL', () => {
    const k = boot(V);
    expect(k.vmalloc(0, 0)).to.equal(0);
    expect(warnings(k)).to.deep.equal([['__vmalloc_node_range', '!size']]);
  });

  it('vfree of a misaligned address WARNs "Trying to vfree() bad address" in __vunmap; an unknown one "nonexistent vm area"', () => {
    const k = boot(V);
    const a = k.vmalloc(0, P);
    k.vfree(0, a + 8);
    k.vfree(0, a + 16 * P);
    expect(warnings(k)).to.deep.equal([
      ['__vunmap', 'Trying to vfree() bad address'],
      ['__vunmap', 'Trying to vfree() nonexistent vm area'],
    ]);
    expect(k.find_vm_area(a)).to.not.equal(null);
  });

  it('/proc/vmallocinfo: vm_struct lines with phys=%pa, "vm_map_ram" lines for blocks and large vm_map_ram areas, "unpurged vm_area" lines last', () => {
    const k = boot(V);
    const a = k.vmalloc(0, 3 * P); // [0, 4)
    k.ioremap(0, 0xfed00000, P); // 4 KiB aligned (get_count_order_long(4096) = 12): [4, 6)
    k.vmap(0, k.alloc_pages(2)); // [6, 9)
    k.vm_map_ram(0, k.alloc_pages(1)); // a 256-page block, 1 MiB aligned: [256, 512)
    k.vm_map_ram(0, k.alloc_pages(65)); // first fit: [9, 74)
    k.vfree(0, a);
    expect(k.proc_vmallocinfo()).to.equal(
      '0xffffc90000004000-0xffffc90000006000    8192 ioremap phys=0x00000000fed00000 ioremap\n' +
        '0xffffc90000006000-0xffffc90000009000   12288 vmap vmap\n' +
        '0xffffc90000009000-0xffffc9000004a000  266240 vm_map_ram\n' +
        '0xffffc90000100000-0xffffc90000200000 1048576 vm_map_ram\n' +
        '0xffffc90000000000-0xffffc90000004000   16384 unpurged vm_area\n',
    );
  });

  it('VmallocUsed is nr_vmalloc_pages in kB: vmalloc\'d pages only, no guard pages, no vmap or vm_map_ram', () => {
    const k = boot(V);
    const a = k.vmalloc(0, 3 * P);
    k.vmap(0, k.alloc_pages(2));
    k.vm_map_ram(0, k.alloc_pages(1));
    expect(k.api.vmalloc_used_kb()).to.equal(12);
    k.vfree(0, a);
    expect(k.api.vmalloc_used_kb()).to.equal(0);
  });

  it('a 513-page vmalloc vmallocs its page array (4104 bytes): "vpages" on the area, its own line, both counted and both freed', () => {
    const k = boot(V);
    const a = k.vmalloc(0, 513 * P);
    expect(k.proc_vmallocinfo()).to.equal(
      '0xffffc90000000000-0xffffc90000202000 2105344 vmalloc pages=513 vmalloc vpages N0=513\n' +
        '0xffffc90000202000-0xffffc90000205000   12288 vmalloc pages=2 vmalloc N0=2\n',
    );
    expect(k.api.vmalloc_used_kb()).to.equal((513 + 2) * 4);
    k.vfree(0, a);
    expect(k.pages.nr_in_use).to.equal(0);
    expect(k.allocator.vmap_lazy_nr).to.equal(514 + 3);
    expect(k.api.vmalloc_used_kb()).to.equal(0);
  });

  it('set_iounmap_nonlazy is gone (5.12): false, vmap_lazy_nr untouched', () => {
    const k = boot(V);
    expect(k.set_iounmap_nonlazy(0)).to.equal(false);
    expect(k.allocator.vmap_lazy_nr).to.equal(0);
  });

  it('vmap with VM_NO_GUARD WARNs and keeps the guard page', () => {
    const k = boot(V);
    const a = k.vmap(0, k.alloc_pages(2), 0x4 | 0x40);
    expect(warnings(k)).to.deep.equal([['vmap', 'flags & VM_NO_GUARD']]);
    expect(k.find_vm_area(a)!.size).to.equal(3 * P);
    expect(k.find_vm_area(a)!.flags & 0x40).to.equal(0);
  });

  it('get_vm_area with VM_NO_GUARD takes no guard page: the next area starts right after it', () => {
    const k = boot(V);
    const a = k.get_vm_area(0, P, 0x40)!;
    expect([a.addr, a.size]).to.deep.equal([VSTART, P]);
    expect(k.get_vm_area(0, P, 0)!.addr).to.equal(VSTART + P);
    k.remove_vm_area(0, a.addr);
    expect(k.allocator.vmap_lazy_nr).to.equal(1);
  });

  it('vunmap of a VM_FLUSH_RESET_PERMS area flushes at once (vm_remove_mappings calls vm_unmap_aliases): nothing stays lazy', () => {
    const k = boot(V);
    const a = k.get_vm_area(0, P, 0x4 | 0x100)!;
    const flushes = recordFlushes(k);
    k.vunmap(0, a.addr);
    expect(k.allocator.vmap_lazy_nr).to.equal(0);
    expect(flushes).to.deep.equal([[a.addr, a.addr + 2 * P]]);
  });

  it('vm_unmap_aliases frees a fragmented block however much of it was never handed out (64 of 256 pages here), flushing its whole range', () => {
    const k = boot(V);
    const ms = [0, 1, 2].map(() => k.vm_map_ram(0, k.alloc_pages(64)));
    for (const m of ms) k.vm_unmap_ram(0, m, 64);
    expect(k.api.nr_vmap_blocks()).to.equal(1);
    const flushes = recordFlushes(k);
    k.vm_unmap_aliases(0);
    expect(k.api.nr_vmap_blocks()).to.equal(0);
    expect(k.allocator.vmap_lazy_nr).to.equal(0);
    expect(flushes).to.deep.equal([[VSTART, VSTART + 256 * P]]);
  });

  it('the dirty range is never reset (no a09fad96ffb1): a second vm_unmap_aliases flushes it again', () => {
    const k = boot(V);
    const m = k.vm_map_ram(0, k.alloc_pages(2));
    k.vm_map_ram(0, k.alloc_pages(1));
    k.vm_unmap_ram(0, m, 2);
    const flushes = recordFlushes(k);
    k.vm_unmap_aliases(0);
    k.vm_unmap_aliases(0);
    expect(flushes).to.deep.equal([
      [m, m + 2 * P],
      [m, m + 2 * P],
    ]);
  });

  it('vm_unmap_ram of a large area clears its PTEs at once and lazily frees exactly its pages', () => {
    const k = boot(V);
    const m = k.vm_map_ram(0, k.alloc_pages(70));
    k.vm_unmap_ram(0, m, 70);
    expect(mapped(k, m, 70).every((x) => x === -1)).to.equal(true);
    expect(k.allocator.vmap_lazy_nr).to.equal(70);
  });
});

const { itContendsOnVmapAreaLock } = await import('../../../../helpers/timed-locks.js');

describe('linux-6.1 API layer: setup_vmalloc_vm under vmap_area_lock, in timed mode', () => {
  itContendsOnVmapAreaLock('linux-6.1', 5, 'alloc_vmap_area (insert); setup_vmalloc_vm; find_vm_area in __vunmap; remove_vm_area; free_vmap_area_noflush (unlink)');
});

const { itNestsAndOrdersTheVmapBlockLocks, itTakesTheVmapBlockLocksOf6x } = await import('../../../../helpers/timed-locks.js');

/*
 * 6.1's text: vb_alloc locks each block it looks at (98 a CPU: 63 on the
 * first block, 35 on the second) and takes vbq->lock inside it when the
 * block fills; vb_free locks once (100); new_vmap_block takes vbq->lock
 * (2 a CPU). vm_unmap_aliases locks each queued block (2), then
 * purge_fragmented_blocks finds both fragmented and takes vb->lock with
 * vbq->lock inside (2 + 2).
 */
const COUNTS_6_1 = {
  loop: { vb: 2 * (98 + 100), vbq: 2 * 3 },
  aliases: { vb: 4, vbq: 2 },
  sites: 'vb_alloc (vb->lock, vbq->lock when full); vb_free; new_vmap_block (vbq->lock); _vm_unmap_aliases walk; purge_fragmented_blocks (vb->lock, vbq->lock)',
};

describe('linux-6.1 API layer: the vmap-block locks in timed mode', () => {
  // free_vmap_block() -> free_vmap_area_noflush(): 6.1 unlinks the area under vmap_area_lock and
  // adds it to the purge tree under purge_vmap_area_lock; 5.2 adds it to an llist, with no lock
  // (its vmap_block_tree_lock around radix_tree_delete is not modelled: docs/concurrency.md).
  const FREE_BLOCK: Record<string, string[]> = {
    'linux-6.1': ['+vmap_area_lock', '-vmap_area_lock', '+purge_vmap_area_lock', '-purge_vmap_area_lock'],
    'linux-5.2': [],
  };
  for (const v of ['linux-6.1', 'linux-6.1@wasm', 'linux-5.2', 'linux-5.2@wasm'])
    describe(v, () => {
      itTakesTheVmapBlockLocksOf6x(v, COUNTS_6_1);
      itNestsAndOrdersTheVmapBlockLocks(v, 1, FREE_BLOCK[v.replace('@wasm', '')]!);
    });
});
