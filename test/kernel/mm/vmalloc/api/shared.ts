// SPDX-License-Identifier: GPL-2.0-only
/*
 * The API-layer behaviour every era has (not a spec itself): each era's spec
 * calls sharedApiSpecs with what differs in that era, spelled out by hand
 * from the kernel text, and adds its own cases. Expected addresses assume a
 * fresh kernel: the first area starts at VMALLOC_START (0xffffc90000000000)
 * and areas are placed first fit.
 */
import { expect } from 'chai';
import { P, VSTART, KERNEL_BITS, KERNEL_EXEC_BITS, _NX, boot, mapped, pfns, pte, recordFlushes, warnings } from './helpers.js';
import { PAGE_KERNEL_EXEC } from '../../../../../kernel/mm/pgtable.js';

export interface EraFacts {
  /** Pages per vmap block (VMAP_BBMAP_BITS): 1024 with NR_CPUS 512 (2.6/3.x), 256 with 8192 (6.x). */
  readonly blockPages: number;
  /** remove_vm_area() gives the vm_struct back with its guard page taken off vm->size (until 4.x). */
  readonly removeDropsGuard: boolean;
  /** vmap() forces NX (pgprot_nx, 5.8+). */
  readonly vmapForcesNX: boolean;
  /** vfree/vunmap/vm_unmap_ram clear the PTEs at once (64141da5, 2.6.37+). */
  readonly eagerUnmap: boolean;
  /** vm_map_ram's blocks are bump allocators (3.x+): a 2-page request after a 1-page one is not aligned. */
  readonly bumpBlocks: boolean;
  /** _vm_unmap_aliases sees blocks off the free lists (fc1e0d980037, v6.5). */
  readonly flushesFullBlocks: boolean;
  /** Pages the allocator leaves free after each busy area (2.6.35: ALIGN(first->va_end + PAGE_SIZE, align)). */
  readonly gap: number;
  /**
   * find_vm_area still finds a lazily freed area until the purge (2.6.x:
   * remove_vm_area leaves VM_VM_AREA set and the va in the tree; 3.10 clears it).
   */
  readonly staleFind: boolean;
  /** find_vmap_area finds an address inside an area, not only its start (Joonsoo Kim's 3.10 series). */
  readonly findInside: boolean;
}

/** 6.1's facts (Debian 6.1.192, NR_CPUS 8192). */
export const FACTS_6_1: EraFacts = { blockPages: 256, removeDropsGuard: false, vmapForcesNX: true, eagerUnmap: true, bumpBlocks: true, flushesFullBlocks: false, gap: 0, staleFind: false, findInside: true };

export function sharedApiSpecs(version: string, f: EraFacts, api?: string): void {
  describe('shared behaviour', () => {
    it('vmalloc(3 pages + 1 byte) rounds up to 4 pages and adds a guard page: a 5-page vm_struct at VMALLOC_START, 4 pages mapped PAGE_KERNEL, the guard unmapped', () => {
      const k = boot(version, 2, api);
      const a = k.vmalloc(0, 3 * P + 1);
      expect(a).to.equal(VSTART);
      const vm = k.find_vm_area(a)!;
      expect(vm.size).to.equal(5 * P);
      expect(vm.nr_pages).to.equal(4);
      expect(vm.flags & 0x2, 'VM_ALLOC').to.equal(0x2);
      expect(k.pages.nr_in_use).to.equal(4);
      expect(mapped(k, a, 5)).to.deep.equal([...pfns(vm.pages!), -1]);
      expect(k.pte(a + P)).to.equal(pte(vm.pages![1]!.pfn, KERNEL_BITS));
      expect(warnings(k)).to.deep.equal([]);
    });

    it('vfree(NULL) is a no-op: no warning, nothing freed, nothing lazy', () => {
      const k = boot(version, 2, api);
      const a = k.vmalloc(0, P);
      k.vfree(0, 0);
      expect(warnings(k)).to.deep.equal([]);
      expect(k.allocator.vmap_lazy_nr).to.equal(0);
      expect(k.pages.nr_in_use).to.equal(1);
      expect(k.find_vm_area(a)).to.not.equal(null);
    });

    it('vfree of an address no area starts at WARNs "Trying to vfree() nonexistent vm area" and frees nothing', () => {
      const k = boot(version, 2, api);
      const a = k.vmalloc(0, 2 * P);
      k.vfree(0, a + 64 * P);
      expect(k.warnings.map((w) => w.cond)).to.deep.equal(['Trying to vfree() nonexistent vm area']);
      expect(k.pages.nr_in_use).to.equal(2);
      expect(k.allocator.vmap_lazy_nr).to.equal(0);
      expect(mapped(k, a, 2).every((x) => x >= 0)).to.equal(true);
    });

    it('vfree gives the pages back and lazily frees the area with its guard page (vmap_lazy_nr grows by 4 for 3 pages)', () => {
      const k = boot(version, 2, api);
      const a = k.vmalloc(0, 3 * P);
      k.vfree(0, a);
      expect(k.pages.nr_in_use).to.equal(0);
      expect(k.allocator.vmap_lazy_nr).to.equal(4);
      expect(k.find_vm_area(a) !== null).to.equal(f.staleFind);
      expect(k.purges).to.have.length(0);
      k.vm_unmap_aliases(0);
      expect(k.find_vm_area(a)).to.equal(null);
    });

    it(`vmap of 3 pages maps exactly those frames, ${f.vmapForcesNX ? 'with NX forced on PAGE_KERNEL_EXEC' : 'with the protection given (PAGE_KERNEL_EXEC: no NX)'}, and leaves a guard page`, () => {
      const k = boot(version, 2, api);
      const pages = k.alloc_pages(3);
      const a = k.vmap(0, pages, 0x4, PAGE_KERNEL_EXEC);
      expect(a).to.equal(VSTART);
      expect(mapped(k, a, 4)).to.deep.equal([...pfns(pages), -1]);
      expect(k.pte(a)).to.equal(pte(pages[0]!.pfn, f.vmapForcesNX ? KERNEL_EXEC_BITS | _NX : KERNEL_EXEC_BITS));
      const vm = k.find_vm_area(a)!;
      expect(vm.size).to.equal(4 * P);
      expect(vm.nr_pages).to.equal(0);
    });

    it(`vunmap keeps the pages allocated, lazily frees 3 + 1 pages${f.eagerUnmap ? ' and clears the PTEs at once' : ' and leaves the PTEs until the purge'}`, () => {
      const k = boot(version, 2, api);
      const pages = k.alloc_pages(3);
      const a = k.vmap(0, pages);
      k.vunmap(0, a);
      expect(k.pages.nr_in_use).to.equal(3);
      expect(k.allocator.vmap_lazy_nr).to.equal(4);
      expect(k.find_vm_area(a) !== null).to.equal(f.staleFind);
      expect(mapped(k, a, 3)).to.deep.equal(f.eagerUnmap ? [-1, -1, -1] : pfns(pages));
      expect(warnings(k)).to.deep.equal([]);
    });

    it('vm_unmap_aliases purges the lazily freed areas: their PTEs go, vmap_lazy_nr returns to 0, and one flush covers them', () => {
      const k = boot(version, 2, api);
      const a = k.vmalloc(0, 3 * P);
      const b = k.vmalloc(0, P);
      const flushes = recordFlushes(k);
      k.vfree(0, a);
      k.vfree(0, b);
      expect(b).to.equal(a + (4 + f.gap) * P);
      k.vm_unmap_aliases(1);
      expect(k.allocator.vmap_lazy_nr).to.equal(0);
      expect(mapped(k, a, 3)).to.deep.equal([-1, -1, -1]);
      expect(mapped(k, b, 1)).to.deep.equal([-1]);
      expect(flushes).to.deep.equal([[a, b + 2 * P]]);
      expect(k.purges.map((p) => p.nr_areas)).to.deep.equal([2]);
    });

    it(`vm_map_ram of 1 page takes the first page of a new ${f.blockPages}-page vmap block and maps the frame PAGE_KERNEL`, () => {
      const k = boot(version, 2, api);
      const [pg] = k.alloc_pages(1);
      const m = k.vm_map_ram(0, [pg!]);
      expect(m).to.equal(VSTART);
      expect(k.api.nr_vmap_blocks()).to.equal(1);
      expect(k.api.VMAP_BBMAP_BITS).to.equal(f.blockPages);
      expect(k.pte(m)).to.equal(pte(pg!.pfn, KERNEL_BITS));
    });

    it(`vm_map_ram of 2 pages after 1 page lands at ${f.bumpBlocks ? 'the next page (bump allocation)' : 'page 2 (an order-1 aligned bitmap region)'}`, () => {
      const k = boot(version, 2, api);
      k.vm_map_ram(0, k.alloc_pages(1));
      const two = k.alloc_pages(2);
      const m = k.vm_map_ram(0, two);
      expect(m).to.equal(VSTART + (f.bumpBlocks ? 1 : 2) * P);
      expect(mapped(k, m, 2)).to.deep.equal(pfns(two));
      expect(k.api.nr_vmap_blocks()).to.equal(1);
    });

    it(`vm_map_ram of 64 pages (VMAP_MAX_ALLOC) still uses a block; 65 pages get an area of their own after the block, with no guard page`, () => {
      const k = boot(version, 2, api);
      const m64 = k.vm_map_ram(0, k.alloc_pages(64));
      expect(m64).to.equal(VSTART);
      const pages = k.alloc_pages(65);
      const m65 = k.vm_map_ram(0, pages);
      expect(k.api.nr_vmap_blocks()).to.equal(1);
      expect(m65).to.equal(VSTART + (f.blockPages + f.gap) * P);
      expect(mapped(k, m65, 66)).to.deep.equal([...pfns(pages), -1]);
      k.vm_unmap_ram(0, m65, 65);
      expect(k.allocator.vmap_lazy_nr).to.equal(65);
      expect(mapped(k, m65, 1)).to.deep.equal(f.eagerUnmap ? [-1] : [pages[0]!.pfn]);
    });

    it(`vm_unmap_ram of block pages ${f.eagerUnmap ? 'clears their PTEs at once' : 'leaves their PTEs'} and frees no address space; vm_unmap_aliases flushes the dirty range`, () => {
      const k = boot(version, 2, api);
      const pages = k.alloc_pages(2);
      const m = k.vm_map_ram(0, pages);
      const keep = k.vm_map_ram(0, k.alloc_pages(1)); // keeps the block alive
      const flushes = recordFlushes(k);
      k.vm_unmap_ram(0, m, 2);
      expect(k.allocator.vmap_lazy_nr).to.equal(0);
      expect(mapped(k, m, 2)).to.deep.equal(f.eagerUnmap ? [-1, -1] : pfns(pages));
      k.vm_unmap_aliases(1);
      expect(mapped(k, m, 2)).to.deep.equal([-1, -1]);
      expect(mapped(k, keep, 1)[0]).to.be.greaterThan(0);
      expect(flushes).to.deep.equal([[m, m + 2 * P]]);
      expect(k.api.nr_vmap_blocks()).to.equal(1);
    });

    it('a block whose pages were all handed out and all freed is freed itself: its whole size becomes lazy', () => {
      const k = boot(version, 2, api);
      const n = f.blockPages / 64;
      const ms: number[] = [];
      for (let i = 0; i < n; i++) ms.push(k.vm_map_ram(0, k.alloc_pages(64)));
      expect(ms[n - 1]).to.equal(VSTART + (f.blockPages - 64) * P);
      for (const m of ms) k.vm_unmap_ram(0, m, 64);
      expect(k.api.nr_vmap_blocks()).to.equal(0);
      expect(k.allocator.vmap_lazy_nr).to.equal(f.blockPages);
    });

    it('get_vm_area adds a guard page; VM_IOREMAP aligns a 3-page area to 16 KiB; areas are placed first fit', () => {
      const k = boot(version, 2, api);
      const a1 = k.get_vm_area(0, P, 0)!;
      expect([a1.addr, a1.size]).to.deep.equal([VSTART, 2 * P]);
      const a2 = k.get_vm_area(0, 3 * P, 0x1)!;
      expect([a2.addr, a2.size]).to.deep.equal([VSTART + 4 * P, 4 * P]);
      const a3 = k.get_vm_area(0, P, 0)!;
      // the 2-page hole below a2 fits it, unless the allocator wants a gap page on each side
      expect(a3.addr).to.equal(f.gap === 0 ? VSTART + 2 * P : VSTART + (8 + f.gap) * P);
    });

    it(`find_vm_area finds the area by its start${f.findInside ? ' or any address inside' : ' only'}; remove_vm_area hands it back${f.removeDropsGuard ? ' with the guard page taken off its size' : ' with its size as it was'}, lazily frees it, and find_vm_area then gives NULL${f.staleFind ? ' once the area is purged' : ''}`, () => {
      const k = boot(version, 2, api);
      const a = k.get_vm_area(0, 3 * P, 0x4)!;
      expect(k.find_vm_area(a.addr)).to.equal(a);
      expect(k.find_vm_area(a.addr + P)).to.equal(f.findInside ? a : null);
      const r = k.remove_vm_area(0, a.addr)!;
      expect(r).to.equal(a);
      expect(r.size).to.equal(f.removeDropsGuard ? 3 * P : 4 * P);
      expect(k.allocator.vmap_lazy_nr).to.equal(4);
      if (f.staleFind) {
        // 2.6.x: the lazily freed va keeps VM_VM_AREA until the purge (a second remove would oops walking vmlist)
        expect(k.find_vm_area(a.addr)).to.equal(a);
        k.vm_unmap_aliases(0);
        expect(k.find_vm_area(a.addr)).to.equal(null);
      } else {
        expect(k.find_vm_area(a.addr)).to.equal(null);
        expect(k.remove_vm_area(0, a.addr)).to.equal(null);
        expect(k.allocator.vmap_lazy_nr).to.equal(4);
      }
    });

    it(`64 freed pages of a fully used vmap block: vm_unmap_aliases ${f.flushesFullBlocks ? 'flushes them (fc1e0d980037)' : 'never sees them, so nothing is flushed (the stale-TLB bug)'}`, () => {
      const k = boot(version, 2, api);
      const n = f.blockPages / 64;
      const ms: number[] = [];
      for (let i = 0; i < n; i++) ms.push(k.vm_map_ram(0, k.alloc_pages(64)));
      const flushes = recordFlushes(k);
      k.vm_unmap_ram(0, ms[1]!, 64);
      k.vm_unmap_aliases(0);
      expect(flushes).to.deep.equal(f.flushesFullBlocks ? [[VSTART + 64 * P, VSTART + 128 * P]] : []);
      expect(k.api.nr_vmap_blocks()).to.equal(1);
    });
  });
}
