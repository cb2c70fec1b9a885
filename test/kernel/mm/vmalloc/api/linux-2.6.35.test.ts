// SPDX-License-Identifier: GPL-2.0-only
/*
 * kernel/mm/vmalloc/api/linux-2.6.35.ts: the 2.6.35 API layer (vmlist,
 * bitmap vmap blocks, PTEs kept until the purge), checked against values
 * worked out by hand from 2.6.35's mm/vmalloc.c.
 */
import { expect } from 'chai';
import { COST_INDEX } from '../../../../../hw/costs.js';
import { P, VSTART, boot, mapped, pfns, recordFlushes, warnings } from './helpers.js';
import { sharedApiSpecs } from './shared.js';

const V = 'linux-2.6.35';

describe(`kernel/mm/vmalloc/api/${V}`, () => {
  sharedApiSpecs(V, { blockPages: 1024, removeDropsGuard: true, vmapForcesNX: false, eagerUnmap: false, bumpBlocks: false, flushesFullBlocks: false, gap: 1, staleFind: true, findInside: false });

  it('vmalloc(0) returns NULL without a warning (PAGE_ALIGN(0) is 0 in __vmalloc_node)', () => {
    const k = boot(V);
    expect(k.vmalloc(0, 0)).to.equal(0);
    expect(warnings(k)).to.deep.equal([]);
  });

  it('vfree of a misaligned address WARNs "Trying to vfree() bad address" in __vunmap and frees nothing', () => {
    const k = boot(V);
    const a = k.vmalloc(0, P);
    k.vfree(0, a + 8);
    expect(warnings(k)).to.deep.equal([['__vunmap', 'Trying to vfree() bad address']]);
    expect(k.find_vm_area(a)).to.not.equal(null);
  });

  it('vfree of an unknown address WARNs in __vunmap', () => {
    const k = boot(V);
    k.vfree(0, VSTART + 8 * P);
    expect(warnings(k)).to.deep.equal([['__vunmap', 'Trying to vfree() nonexistent vm area']]);
  });

  it('vfree keeps the PTEs of the freed area until vm_unmap_aliases purges it (no eager clearing before 2.6.37)', () => {
    const k = boot(V);
    const a = k.vmalloc(0, 2 * P);
    const frames = pfns(k.find_vm_area(a)!.pages!);
    k.vfree(0, a);
    expect(mapped(k, a, 2)).to.deep.equal(frames);
    k.vm_unmap_aliases(0);
    expect(mapped(k, a, 2)).to.deep.equal([-1, -1]);
  });

  it('a 513-page vmalloc vmallocs its 4104-byte page array too (VM_VPAGES): two vmlist lines, and vfree frees both', () => {
    const k = boot(V);
    const a = k.vmalloc(0, 513 * P);
    expect(k.proc_vmallocinfo()).to.equal(
      '0xffffc90000000000-0xffffc90000202000 2105344 vmalloc pages=513 vmalloc vpages N0=513\n' +
        '0xffffc90000203000-0xffffc90000206000   12288 vmalloc pages=2 vmalloc N0=2\n', // after the allocator's gap page
    );
    expect(k.api.vmalloc_used_kb()).to.equal(514 * 4 + 3 * 4);
    k.vfree(0, a);
    expect(k.proc_vmallocinfo()).to.equal('');
    expect(k.pages.nr_in_use).to.equal(0);
    expect(k.allocator.vmap_lazy_nr).to.equal(514 + 3);
  });

  it('/proc/vmallocinfo walks vmlist in address order: "0x%p-0x%p %7ld", caller, pages=, phys=%lx, flags, N0=', () => {
    const k = boot(V);
    k.vmalloc(0, 3 * P);
    k.ioremap(0, 0xfed00000, P);
    k.vmap(0, k.alloc_pages(2));
    k.vm_map_ram(0, k.alloc_pages(1)); // a vmap block: not on vmlist
    expect(k.proc_vmallocinfo()).to.equal(
      '0xffffc90000000000-0xffffc90000004000   16384 vmalloc pages=3 vmalloc N0=3\n' +
        // ALIGN(0x4000 + gap page, 8 KiB: fls(4096) = 13) and 0x8000 + gap page
        '0xffffc90000006000-0xffffc90000008000    8192 ioremap phys=fed00000 ioremap\n' +
        '0xffffc90000009000-0xffffc9000000c000   12288 vmap vmap\n',
    );
  });

  it('VmallocUsed sums the vmlist sizes, guard pages included, and leaves vmap blocks out', () => {
    const k = boot(V);
    k.vmalloc(0, 3 * P);
    k.vmap(0, k.alloc_pages(2));
    k.vm_map_ram(0, k.alloc_pages(1));
    expect(k.api.vmalloc_used_kb()).to.equal(16 + 12);
    expect(k.proc_meminfo()).to.contain('VmallocUsed:          28 kB\n');
  });

  it('set_iounmap_nonlazy does not exist yet (2.6.37): false, vmap_lazy_nr untouched', () => {
    const k = boot(V);
    expect(k.set_iounmap_nonlazy(0)).to.equal(false);
    expect(k.allocator.vmap_lazy_nr).to.equal(0);
  });

  it('vm_unmap_aliases unmaps each dirty run of a block (not the clean pages between) and flushes once from the first to the last', () => {
    const k = boot(V);
    const ms = [0, 1, 2, 3].map(() => k.vm_map_ram(0, k.alloc_pages(1)));
    expect(ms).to.deep.equal([VSTART, VSTART + P, VSTART + 2 * P, VSTART + 3 * P]);
    const keep1 = mapped(k, ms[1]!, 1)[0];
    k.vm_unmap_ram(0, ms[0]!, 1);
    k.vm_unmap_ram(0, ms[2]!, 1);
    const flushes = recordFlushes(k);
    k.vm_unmap_aliases(0);
    expect(mapped(k, VSTART, 4).map((x) => x >= 0)).to.deep.equal([false, true, false, true]);
    expect(mapped(k, ms[1]!, 1)[0]).to.equal(keep1);
    expect(flushes).to.deep.equal([[VSTART, VSTART + 3 * P]]);
  });

  it('the dirty map is never cleared: a second vm_unmap_aliases flushes the same range again', () => {
    const k = boot(V);
    const m = k.vm_map_ram(0, k.alloc_pages(1));
    k.vm_map_ram(0, k.alloc_pages(1));
    k.vm_unmap_ram(0, m, 1);
    const flushes = recordFlushes(k);
    k.vm_unmap_aliases(0);
    k.vm_unmap_aliases(0);
    expect(flushes).to.deep.equal([
      [VSTART, VSTART + P],
      [VSTART, VSTART + P],
    ]);
  });

  it('freed block pages stay allocated in alloc_map, even after a flush: a later 1-page request takes a never-used page', () => {
    const k = boot(V);
    const m = k.vm_map_ram(0, k.alloc_pages(1));
    k.vm_map_ram(0, k.alloc_pages(1));
    k.vm_unmap_ram(0, m, 1);
    k.vm_unmap_aliases(0);
    expect(k.vm_map_ram(0, k.alloc_pages(1))).to.equal(VSTART + 2 * P);
  });

  it('a synchronous purge (vm_unmap_aliases) frees a fragmented block: no live page, some never handed out', () => {
    const k = boot(V);
    const ms: number[] = [];
    for (let i = 0; i < 15; i++) ms.push(k.vm_map_ram(0, k.alloc_pages(64)));
    ms.push(k.vm_map_ram(0, k.alloc_pages(32)));
    for (let i = 0; i < 15; i++) k.vm_unmap_ram(0, ms[i]!, 64);
    k.vm_unmap_ram(0, ms[15]!, 32);
    expect(k.api.nr_vmap_blocks()).to.equal(1);
    const flushes = recordFlushes(k);
    k.vm_unmap_aliases(0);
    expect(k.api.nr_vmap_blocks()).to.equal(0);
    expect(k.allocator.vmap_lazy_nr).to.equal(0);
    // the dirty run [0, 992) and the block's own area [0, 1024), in one flush
    expect(flushes).to.deep.equal([[VSTART, VSTART + 1024 * P]]);
  });

  it('charges each vm_struct link that insert_vmalloc_vm() and remove_vm_area() read on vmlist, outside touch/alloc', () => {
    const k = boot(V);
    const cpu = k.machine.cpu(0);
    // link reads charged as areaTouch beyond the allocator's own touches
    const links = () => cpu.cycles[COST_INDEX.areaTouch]! / k.machine.costVector[COST_INDEX.areaTouch]! - k.allocator.touches;
    const steps: number[] = [];
    const a: number[] = [];
    for (let i = 0; i < 3; i++) {
      const before = links();
      a.push(k.vmalloc(0, 2 * P));
      steps.push(Math.round(links() - before));
    }
    // each new area lies above the others: the insert reads every vm_struct already on the list
    expect(steps).to.deep.equal([0, 1, 2]);
    const before = links();
    k.vfree(0, a[1]!);
    // the unlink reads the first vm_struct, then the one it removes
    expect(Math.round(links() - before)).to.equal(2);
  });
});
