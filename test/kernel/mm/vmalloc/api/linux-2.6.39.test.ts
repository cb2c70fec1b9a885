// SPDX-License-Identifier: GPL-2.0-only
/*
 * kernel/mm/vmalloc/api/linux-2.6.39.ts: 2.6.35's layer with eager PTE
 * clearing (64141da5, 2.6.37) and set_iounmap_nonlazy (2.6.37).
 */
import { expect } from 'chai';
import { P, VSTART, boot, mapped, recordFlushes, warnings } from './helpers.js';
import { sharedApiSpecs } from './shared.js';

const V = 'linux-2.6.39';

describe(`kernel/mm/vmalloc/api/${V}`, () => {
  sharedApiSpecs(V, { blockPages: 1024, removeDropsGuard: true, vmapForcesNX: false, eagerUnmap: true, bumpBlocks: false, flushesFullBlocks: false, gap: 1, staleFind: true, findInside: false });

  it('vfree clears the PTEs at once; only the flush and the address space wait for the purge', () => {
    const k = boot(V);
    const a = k.vmalloc(0, 2 * P);
    const flushes = recordFlushes(k);
    k.vfree(0, a);
    expect(mapped(k, a, 2)).to.deep.equal([-1, -1]);
    expect(flushes).to.deep.equal([]);
    expect(k.allocator.vmap_lazy_nr).to.equal(3);
  });

  it('vm_unmap_ram clears block PTEs at once; vm_unmap_aliases only flushes, from the first dirty run to the last', () => {
    const k = boot(V);
    const ms = [0, 1, 2, 3].map(() => k.vm_map_ram(0, k.alloc_pages(1)));
    k.vm_unmap_ram(0, ms[0]!, 1);
    k.vm_unmap_ram(0, ms[2]!, 1);
    expect(mapped(k, VSTART, 4).map((x) => x >= 0)).to.deep.equal([false, true, false, true]);
    const flushes = recordFlushes(k);
    k.vm_unmap_aliases(0);
    expect(flushes).to.deep.equal([[VSTART, VSTART + 3 * P]]);
    expect(mapped(k, VSTART, 4).map((x) => x >= 0)).to.deep.equal([false, true, false, true]);
    expect(warnings(k)).to.deep.equal([]);
  });

  it('set_iounmap_nonlazy sets vmap_lazy_nr to lazy_max_pages() + 1 = 2 * 8192 + 1 on 2 CPUs', () => {
    const k = boot(V);
    expect(k.set_iounmap_nonlazy(0)).to.equal(true);
    expect(k.allocator.vmap_lazy_nr).to.equal(16385);
  });

  it('after set_iounmap_nonlazy the next lazy free purges at once; the purge subtracts only the pages it purged, so the count stays above the limit', () => {
    const k = boot(V);
    const a = k.vmalloc(0, P);
    k.set_iounmap_nonlazy(0);
    k.vfree(0, a);
    expect(k.purges.map((p) => p.nr_areas)).to.deep.equal([1]);
    expect(k.allocator.vmap_lazy_nr).to.equal(16385); // 16385 + 2 - 2 (atomic_sub(nr) of the purged pages)
    expect(k.find_vm_area(a)).to.equal(null);
  });

  it('vmalloc(0) returns NULL without a warning', () => {
    const k = boot(V);
    expect(k.vmalloc(0, 0)).to.equal(0);
    expect(warnings(k)).to.deep.equal([]);
  });

  it('/proc/vmallocinfo keeps 2.6.35\'s vmlist format, phys= as %lx', () => {
    const k = boot(V);
    k.vmalloc(0, 3 * P);
    k.ioremap(0, 0xfed00000, P);
    expect(k.proc_vmallocinfo()).to.equal(
      '0xffffc90000000000-0xffffc90000004000   16384 vmalloc pages=3 vmalloc N0=3\n' +
        '0xffffc90000006000-0xffffc90000008000    8192 ioremap phys=fed00000 ioremap\n',
    );
    expect(k.api.vmalloc_used_kb()).to.equal(24);
  });
});
