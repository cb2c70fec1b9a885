// SPDX-License-Identifier: GPL-2.0-only
/*
 * kernel/mm/vmalloc/api/linux-3.18.ts: no vmlist (va->vm, VM_VM_AREA
 * cleared at removal), vmap blocks as bump allocators, one flush span per
 * block in vm_unmap_aliases, VmallocUsed over vmap_area_list.
 */
import { expect } from 'chai';
import { P, VSTART, boot, mapped, recordFlushes, warnings } from './helpers.js';
import { sharedApiSpecs } from './shared.js';

const V = 'linux-3.18';

describe(`kernel/mm/vmalloc/api/${V}`, () => {
  sharedApiSpecs(V, { blockPages: 1024, removeDropsGuard: true, vmapForcesNX: false, eagerUnmap: true, bumpBlocks: true, flushesFullBlocks: false, gap: 0, staleFind: false, findInside: true });

  it('vfree of a misaligned address WARNs "Trying to vfree() bad address"', () => {
    const k = boot(V);
    const a = k.vmalloc(0, P);
    k.vfree(0, a + 0x800);
    expect(warnings(k)).to.deep.equal([['__vunmap', 'Trying to vfree() bad address']]);
  });

  it('/proc/vmallocinfo walks vmap_area_list: areas with a vm_struct only (no vmap blocks, no lazily freed areas), phys= as %llx', () => {
    const k = boot(V);
    const a = k.vmalloc(0, 3 * P);
    k.ioremap(0, 0xfed00000, P);
    k.vmap(0, k.alloc_pages(2));
    k.vm_map_ram(0, k.alloc_pages(1));
    const b = k.vmalloc(0, P);
    k.vfree(0, b);
    expect(k.proc_vmallocinfo()).to.equal(
      '0xffffc90000000000-0xffffc90000004000   16384 vmalloc pages=3 vmalloc N0=3\n' +
        '0xffffc90000004000-0xffffc90000006000    8192 ioremap phys=fed00000 ioremap\n' +
        '0xffffc90000006000-0xffffc90000009000   12288 vmap vmap\n',
    );
    expect(a).to.equal(VSTART);
  });

  it('VmallocUsed counts every area not lazily freed, guard pages and the 4 MiB vmap block included', () => {
    const k = boot(V);
    k.vmalloc(0, 3 * P); // 16 kB
    k.vmap(0, k.alloc_pages(2)); // 12 kB
    k.vm_map_ram(0, k.alloc_pages(1)); // a 1024-page block: 4096 kB
    const b = k.vmalloc(0, P);
    k.vfree(0, b); // lazily freed: not counted
    expect(k.api.vmalloc_used_kb()).to.equal(16 + 12 + 4096);
  });

  it('blocks hand out pages in order and never reuse freed ones: after freeing page 0, the next page is 2', () => {
    const k = boot(V);
    const m0 = k.vm_map_ram(0, k.alloc_pages(1));
    k.vm_map_ram(0, k.alloc_pages(1));
    k.vm_unmap_ram(0, m0, 1);
    k.vm_unmap_aliases(0);
    expect(k.vm_map_ram(0, k.alloc_pages(1))).to.equal(VSTART + 2 * P);
  });

  it('vm_unmap_aliases flushes one span per block, first dirty page to last, over blocks of both CPUs', () => {
    const k = boot(V);
    const m0 = k.vm_map_ram(0, k.alloc_pages(1));
    k.vm_map_ram(0, k.alloc_pages(1));
    const m1 = k.vm_map_ram(1, k.alloc_pages(4)); // CPU 1's own block, the next 4 MiB
    k.vm_map_ram(1, k.alloc_pages(1));
    expect(m1).to.equal(VSTART + 1024 * P);
    k.vm_unmap_ram(0, m0, 1);
    k.vm_unmap_ram(1, m1, 4);
    const flushes = recordFlushes(k);
    k.vm_unmap_aliases(0);
    expect(flushes).to.deep.equal([[VSTART, VSTART + 1028 * P]]);
    expect(k.api.nr_vmap_blocks()).to.equal(2);
  });

  it('set_iounmap_nonlazy sets vmap_lazy_nr to lazy_max_pages() + 1 (2 CPUs: 16385)', () => {
    const k = boot(V);
    expect(k.set_iounmap_nonlazy(0)).to.equal(true);
    expect(k.allocator.vmap_lazy_nr).to.equal(16385);
  });

  it('vunmap clears the PTEs at once and keeps the pages', () => {
    const k = boot(V);
    const pages = k.alloc_pages(2);
    const a = k.vmap(0, pages);
    k.vunmap(0, a);
    expect(mapped(k, a, 2)).to.deep.equal([-1, -1]);
    expect(k.pages.nr_in_use).to.equal(2);
  });
});
