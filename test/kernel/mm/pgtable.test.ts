// SPDX-License-Identifier: GPL-2.0-only
/*
 * kernel/mm/pgtable.ts path for path: the map walk (vmap_page_range and its
 * p4d/pud/pmd/pte levels), ioremap_page_range, the unmap walk
 * (vunmap_page_range), the table allocators (p4d_alloc .. pte_alloc_kernel)
 * and the lookups (lookup_pte, vmalloc_to_pfn), on a small machine with 4-
 * and 5-level paging. Expected entries are spelled out bit by bit (x86
 * pgtable_types.h), never computed with the code under test.
 */
import { expect } from 'chai';
import { Machine } from '../../../hw/machine.js';
import { page, page_alloc } from '../../../kernel/mm/page_alloc.js';
import { KernelBug } from '../../../kernel/include/asm-generic/bug.js';
import {
  PAGE_KERNEL,
  PAGE_KERNEL_EXEC,
  PAGE_KERNEL_IO_NOCACHE,
  _KERNPG_TABLE,
  ioremap_page_range,
  lookup_pte,
  mm_struct,
  p4d_alloc,
  pgd_offset_k,
  pmd_alloc,
  pgtable_report_for,
  pte_alloc_kernel,
  pud_alloc,
  vmalloc_to_pfn,
  vmap_page_range,
  vunmap_page_range,
} from '../../../kernel/mm/pgtable.js';

const P = 4096;
const PMD = 2 * 2 ** 20;
const PUD = 2 ** 30;
/** 0xffffc90000000000 (VMALLOC_START, 4-level) in the signed view: 512 GiB aligned. */
const KVA = -0x370000000000;

/* Bits by hand (arch/x86/include/asm/pgtable_types.h). */
const _P = 1n, _RW = 2n, _PCD = 0x10n, _A = 0x20n, _D = 0x40n, _G = 0x100n, _NX = 1n << 63n;
const KERNEL_BITS = _P | _RW | _A | _D | _G | _NX; // 0x8000000000000163
const TABLE_BITS = _P | _RW | _A | _D; // 0x63

interface Warning {
  func: string;
  cond: string;
}

function world(levels: 4 | 5 = 4, physMemBytes = 64 * 2 ** 20) {
  const machine = new Machine({ cpus: 1, pagingLevels: levels, physMemBytes });
  const pages = new page_alloc(machine);
  const mm = new mm_struct(machine, pages);
  const warnings: Warning[] = [];
  const warn = pgtable_report_for('linux-test', (_v, func, cond) => {
    warnings.push({ func, cond });
  });
  const data = (n: number): page[] => {
    const out: page[] = [];
    for (let i = 0; i < n; i++) out.push(pages.alloc_page() as page);
    return out;
  };
  return { machine, pages, mm, warnings, warn, data };
}

/** The PTE value for frame `pfn` with flag bits `bits`, by hand: pfn << 12 | bits (unsigned 64-bit). */
function pte(pfn: number, bits: bigint): bigint {
  return BigInt.asUintN(64, (BigInt(pfn) << 12n) | bits);
}

describe('kernel/mm/pgtable: the vmalloc page-table walks', () => {
  describe('the protection constants', () => {
    it('PAGE_KERNEL is P|RW|A|D|G|NX, PAGE_KERNEL_EXEC drops NX, the ioremap one adds PCD, tables link with P|RW|A|D', () => {
      expect(PAGE_KERNEL).to.equal(0x8000000000000163n);
      expect(PAGE_KERNEL_EXEC).to.equal(0x163n);
      expect(PAGE_KERNEL_IO_NOCACHE).to.equal(0x8000000000000173n);
      expect(_KERNPG_TABLE).to.equal(0x63n);
    });
  });

  describe('vmap_page_range', () => {
    it('writes one PTE per page with the page frame and the given protection, and returns the number mapped', () => {
      const w = world();
      const pgs = w.data(3);
      expect(vmap_page_range(w.mm, KVA, KVA + 3 * P, PAGE_KERNEL, pgs, w.warn)).to.equal(3);
      for (let i = 0; i < 3; i++) expect(lookup_pte(w.mm, KVA + i * P)).to.equal(pte(pgs[i]!.pfn, KERNEL_BITS));
      expect(lookup_pte(w.mm, KVA + 3 * P)).to.equal(0n);
      expect(w.warnings).to.deep.equal([]);
    });

    it('keeps the protection it is given (PAGE_KERNEL_EXEC: no NX bit)', () => {
      const w = world();
      const [pg] = w.data(1);
      vmap_page_range(w.mm, KVA + 5 * P, KVA + 6 * P, PAGE_KERNEL_EXEC, [pg!], w.warn);
      expect(lookup_pte(w.mm, KVA + 5 * P)).to.equal(pte(pg!.pfn, _P | _RW | _A | _D | _G));
    });

    it('allocates the pud, pmd and pte tables on first use (4-level), links them with _KERNPG_TABLE in pgd slot 402, and reuses them', () => {
      const w = world(4);
      vmap_page_range(w.mm, KVA, KVA + P, PAGE_KERNEL, w.data(1), w.warn);
      expect(w.pages.nr_pgtable_pages).to.equal(3);
      // 0xffffc90000000000 >> 39 & 511 = 0x192 = 402
      const pgdEntry = w.machine.readEntry(w.machine.kernelRoot * P + 402 * 8);
      expect(pgdEntry & 0xfffn).to.equal(TABLE_BITS);
      for (let i = 0; i < 512; i++) if (i !== 402) expect(w.machine.readEntry(w.machine.kernelRoot * P + i * 8)).to.equal(0n);
      vmap_page_range(w.mm, KVA + P, KVA + 8 * P, PAGE_KERNEL, w.data(7), w.warn);
      expect(w.pages.nr_pgtable_pages).to.equal(3);
    });

    it('a range crossing a 2 MiB (PMD) boundary takes a second pte table and maps both sides', () => {
      const w = world();
      const start = KVA + PMD - 2 * P;
      const pgs = w.data(4);
      expect(vmap_page_range(w.mm, start, start + 4 * P, PAGE_KERNEL, pgs, w.warn)).to.equal(4);
      expect(w.pages.nr_pgtable_pages).to.equal(4); // pud, pmd, 2 x pte
      for (let i = 0; i < 4; i++) expect(vmalloc_to_pfn(w.mm, start + i * P)).to.equal(pgs[i]!.pfn);
    });

    it('a range crossing a 1 GiB (PUD) boundary takes a second pmd and pte table', () => {
      const w = world();
      const start = KVA + PUD - 2 * P;
      const pgs = w.data(4);
      expect(vmap_page_range(w.mm, start, start + 4 * P, PAGE_KERNEL, pgs, w.warn)).to.equal(4);
      expect(w.pages.nr_pgtable_pages).to.equal(5); // pud, 2 x pmd, 2 x pte
      for (let i = 0; i < 4; i++) expect(vmalloc_to_pfn(w.mm, start + i * P)).to.equal(pgs[i]!.pfn);
    });

    it('a range crossing a 512 GiB (pgd) boundary with 4 levels takes a second pud, pmd and pte table', () => {
      const w = world(4);
      const start = KVA + 512 * PUD - P;
      const pgs = w.data(2);
      expect(vmap_page_range(w.mm, start, start + 2 * P, PAGE_KERNEL, pgs, w.warn)).to.equal(2);
      expect(w.pages.nr_pgtable_pages).to.equal(6);
      expect(w.machine.readEntry(w.machine.kernelRoot * P + 403 * 8) & 0xfffn).to.equal(TABLE_BITS);
      expect(vmalloc_to_pfn(w.mm, start + P)).to.equal(pgs[1]!.pfn);
    });

    it('with 5 levels also allocates a p4d table, linked in pgd slot 511, and the same range crosses a p4d boundary only', () => {
      const w = world(5);
      const pgs = w.data(1);
      expect(vmap_page_range(w.mm, KVA, KVA + P, PAGE_KERNEL, pgs, w.warn)).to.equal(1);
      expect(w.pages.nr_pgtable_pages).to.equal(4); // p4d, pud, pmd, pte
      // 0xffffc90000000000 >> 48 & 511 = 511
      expect(w.machine.readEntry(w.machine.kernelRoot * P + 511 * 8) & 0xfffn).to.equal(TABLE_BITS);
      expect(w.machine.readEntry(w.machine.kernelRoot * P + 402 * 8)).to.equal(0n);
      expect(lookup_pte(w.mm, KVA)).to.equal(pte(pgs[0]!.pfn, KERNEL_BITS));
      const start = KVA + 512 * PUD - P;
      const more = w.data(2);
      expect(vmap_page_range(w.mm, start, start + 2 * P, PAGE_KERNEL, more, w.warn)).to.equal(2);
      expect(w.pages.nr_pgtable_pages).to.equal(4 + 5); // left: pmd, pte (its pud table is KVA's); right: pud, pmd, pte
      expect(vmalloc_to_pfn(w.mm, start)).to.equal(more[0]!.pfn);
      expect(vmalloc_to_pfn(w.mm, start + P)).to.equal(more[1]!.pfn);
    });

    it('a present PTE in the way gives -EBUSY and WARNs in vmap_pte_range, leaving that PTE as it was', () => {
      const w = world();
      const first = w.data(1);
      vmap_page_range(w.mm, KVA + 2 * P, KVA + 3 * P, PAGE_KERNEL, first, w.warn);
      const second = w.data(4);
      expect(vmap_page_range(w.mm, KVA, KVA + 4 * P, PAGE_KERNEL, second, w.warn)).to.equal(-16);
      expect(w.warnings).to.deep.equal([{ func: 'vmap_pte_range', cond: '!pte_none(*pte)' }]);
      expect(vmalloc_to_pfn(w.mm, KVA + 2 * P)).to.equal(first[0]!.pfn);
      // The walk stops at the busy PTE: the one after it is not written.
      expect(lookup_pte(w.mm, KVA + 3 * P)).to.equal(0n);
    });

    it('a missing page gives -ENOMEM and WARNs (!page)', () => {
      const w = world();
      expect(vmap_page_range(w.mm, KVA, KVA + 2 * P, PAGE_KERNEL, [w.data(1)[0]!, null], w.warn)).to.equal(-12);
      expect(w.warnings).to.deep.equal([{ func: 'vmap_pte_range', cond: '!page' }]);
    });

    it('returns -ENOMEM when no page is left for a table', () => {
      const w = world(4, 2 ** 20);
      const pg = w.data(1);
      while (w.machine.allocFrame() !== null) {
        /* exhaust memory */
      }
      expect(vmap_page_range(w.mm, KVA, KVA + P, PAGE_KERNEL, pg, w.warn)).to.equal(-12);
      expect(w.pages.nr_pgtable_pages).to.equal(0);
      expect(lookup_pte(w.mm, KVA)).to.equal(0n);
    });
  });

  describe('ioremap_page_range', () => {
    it('maps consecutive frames from the physical address with the given protection and returns 0', () => {
      const w = world();
      const phys = 0xfed00000; // 0xfed00 as the first frame
      expect(ioremap_page_range(w.mm, KVA, KVA + 3 * P, phys, PAGE_KERNEL_IO_NOCACHE, w.warn)).to.equal(0);
      for (let i = 0; i < 3; i++) expect(lookup_pte(w.mm, KVA + i * P)).to.equal(pte(0xfed00 + i, KERNEL_BITS | _PCD));
    });

    it('passes on -EBUSY from a present PTE in the range', () => {
      const w = world();
      vmap_page_range(w.mm, KVA + P, KVA + 2 * P, PAGE_KERNEL, w.data(1), w.warn);
      expect(ioremap_page_range(w.mm, KVA, KVA + 2 * P, 0x100000, PAGE_KERNEL, w.warn)).to.equal(-16);
      expect(w.warnings.map((x) => x.cond)).to.deep.equal(['!pte_none(*pte)']);
    });
  });

  describe('vunmap_page_range', () => {
    it('clears exactly the PTEs of its range and leaves the neighbours mapped', () => {
      const w = world();
      const pgs = w.data(6);
      vmap_page_range(w.mm, KVA, KVA + 6 * P, PAGE_KERNEL, pgs, w.warn);
      vunmap_page_range(w.mm, KVA + 2 * P, KVA + 4 * P, w.warn);
      expect([0, 1, 2, 3, 4, 5].map((i) => vmalloc_to_pfn(w.mm, KVA + i * P))).to.deep.equal([pgs[0]!.pfn, pgs[1]!.pfn, -1, -1, pgs[4]!.pfn, pgs[5]!.pfn]);
      expect(lookup_pte(w.mm, KVA + 2 * P)).to.equal(0n);
      expect(w.warnings).to.deep.equal([]);
    });

    it('never frees a table: nr_pgtable_pages stays, and a remap of the range allocates none', () => {
      const w = world();
      const start = KVA + PUD - 2 * P;
      vmap_page_range(w.mm, start, start + 4 * P, PAGE_KERNEL, w.data(4), w.warn);
      expect(w.pages.nr_pgtable_pages).to.equal(5);
      vunmap_page_range(w.mm, start, start + 4 * P, w.warn);
      for (let i = 0; i < 4; i++) expect(lookup_pte(w.mm, start + i * P)).to.equal(0n);
      expect(w.pages.nr_pgtable_pages).to.equal(5);
      // the pgd entry still points at the pud table
      expect(w.machine.readEntry(w.machine.kernelRoot * P + 402 * 8) & 0xfffn).to.equal(TABLE_BITS);
      vmap_page_range(w.mm, start, start + 4 * P, PAGE_KERNEL, w.data(4), w.warn);
      expect(w.pages.nr_pgtable_pages).to.equal(5);
    });

    it('clears ranges crossing PMD and PUD boundaries, with 5 levels too', () => {
      for (const levels of [4, 5] as const) {
        const w = world(levels);
        const a = KVA + PMD - P;
        const b = KVA + PUD - P;
        vmap_page_range(w.mm, a, a + 2 * P, PAGE_KERNEL, w.data(2), w.warn);
        vmap_page_range(w.mm, b, b + 3 * P, PAGE_KERNEL, w.data(3), w.warn);
        vunmap_page_range(w.mm, a, a + 2 * P, w.warn);
        vunmap_page_range(w.mm, b, b + 2 * P, w.warn);
        expect(vmalloc_to_pfn(w.mm, a), `${levels}`).to.equal(-1);
        expect(vmalloc_to_pfn(w.mm, a + P), `${levels}`).to.equal(-1);
        expect(vmalloc_to_pfn(w.mm, b), `${levels}`).to.equal(-1);
        expect(vmalloc_to_pfn(w.mm, b + P), `${levels}`).to.equal(-1);
        expect(vmalloc_to_pfn(w.mm, b + 2 * P), `${levels}`).to.be.greaterThan(0);
        expect(w.warnings).to.deep.equal([]);
      }
    });

    it('flushes no TLB: a CPU that read through the mapping keeps reading the old frame after the unmap', () => {
      const w = world();
      const [pg] = w.data(1);
      w.machine.mem.write64(pg!.pfn * P, 77);
      vmap_page_range(w.mm, KVA, KVA + P, PAGE_KERNEL, [pg!], w.warn);
      expect(w.machine.cpu(0).read64(KVA)).to.equal(77);
      vunmap_page_range(w.mm, KVA, KVA + P, w.warn);
      expect(lookup_pte(w.mm, KVA)).to.equal(0n);
      expect(w.machine.cpu(0).read64(KVA)).to.equal(77); // a TLB hit on the stale translation
    });

    it('skips absent tables without allocating any', () => {
      const w = world();
      vunmap_page_range(w.mm, KVA, KVA + 2 * PUD, w.warn);
      expect(w.pages.nr_pgtable_pages).to.equal(0);
      expect(w.warnings).to.deep.equal([]);
    });

    it('addr >= end is a BUG_ON in vunmap_page_range, raised as the version\'s KernelBug before any change', () => {
      const w = world();
      const pgs = w.data(1);
      vmap_page_range(w.mm, KVA, KVA + P, PAGE_KERNEL, pgs, w.warn);
      for (const [a, e] of [[KVA, KVA], [KVA + P, KVA]] as const) {
        let bug: unknown = null;
        try {
          vunmap_page_range(w.mm, a, e, w.warn);
        } catch (err) {
          bug = err;
        }
        expect(bug).to.be.instanceOf(KernelBug);
        expect((bug as KernelBug).func).to.equal('vunmap_page_range');
        expect((bug as KernelBug).cond).to.equal('addr >= end');
        expect((bug as KernelBug).version).to.equal('linux-test');
      }
      expect(w.warnings).to.deep.equal([]);
      expect(vmalloc_to_pfn(w.mm, KVA)).to.equal(pgs[0]!.pfn);
    });

    it('addr >= end is a BUG_ON in vmap_page_range too, and maps nothing', () => {
      const w = world();
      expect(() => vmap_page_range(w.mm, KVA + P, KVA + P, PAGE_KERNEL, w.data(1), w.warn)).to.throw(KernelBug, 'vmap_page_range: addr >= end');
      expect(w.pages.nr_pgtable_pages).to.equal(0);
    });

    it('WARNs on a non-present but non-empty PTE, and clears it', () => {
      const w = world();
      vmap_page_range(w.mm, KVA, KVA + P, PAGE_KERNEL, w.data(1), w.warn);
      // Find the PTE slot by hand: pte table frame from the pmd entry, index 0.
      const pud = Number((w.machine.readEntry(w.machine.kernelRoot * P + 402 * 8) >> 12n) & 0xffffffffffn);
      const pmd = Number((w.machine.readEntry(pud * P + 0) >> 12n) & 0xffffffffffn);
      const ptet = Number((w.machine.readEntry(pmd * P + 0) >> 12n) & 0xffffffffffn);
      w.machine.writeEntry(ptet * P, 0x1000n); // a swap-like entry: frame 1, P clear
      vunmap_page_range(w.mm, KVA, KVA + P, w.warn);
      expect(w.warnings).to.deep.equal([{ func: 'vunmap_pte_range', cond: '!pte_none(ptent) && !pte_present(ptent)' }]);
      expect(w.machine.readEntry(ptet * P)).to.equal(0n);
    });
  });

  describe('the table allocators', () => {
    it('p4d_alloc is the pgd entry itself with 4 levels (folded) and allocates nothing', () => {
      const w = world(4);
      const pgd = pgd_offset_k(w.mm, KVA);
      expect(pgd).to.equal(w.machine.kernelRoot * P + 402 * 8);
      expect(p4d_alloc(w.mm, pgd, KVA)).to.equal(pgd);
      expect(w.pages.nr_pgtable_pages).to.equal(0);
    });

    it('each p?d_alloc populates an empty entry once with a zeroed table and returns the slot for the address', () => {
      const w = world(5);
      const pgd = pgd_offset_k(w.mm, KVA);
      expect(pgd).to.equal(w.machine.kernelRoot * P + 511 * 8);
      const p4d = p4d_alloc(w.mm, pgd, KVA) as number;
      const p4dTable = Number((w.machine.readEntry(pgd) >> 12n) & 0xffffffffffn);
      expect(p4d).to.equal(p4dTable * P + 402 * 8);
      expect(p4d_alloc(w.mm, pgd, KVA)).to.equal(p4d);
      expect(w.pages.nr_pgtable_pages).to.equal(1);
      const addr = KVA + 3 * PUD + 5 * PMD + 7 * P;
      const pud = pud_alloc(w.mm, p4d, addr) as number;
      expect(pud % P).to.equal(3 * 8);
      const pmd = pmd_alloc(w.mm, pud, addr) as number;
      expect(pmd % P).to.equal(5 * 8);
      const ptep = pte_alloc_kernel(w.mm, pmd, addr) as number;
      expect(ptep % P).to.equal(7 * 8);
      expect(w.pages.nr_pgtable_pages).to.equal(4);
      expect(pte_alloc_kernel(w.mm, pmd, addr)).to.equal(ptep);
      expect(w.pages.nr_pgtable_pages).to.equal(4);
      for (let i = 0; i < 512; i++) expect(w.machine.readEntry(Math.floor(ptep / P) * P + i * 8)).to.equal(0n);
      for (const e of [pgd, p4d, pud, pmd]) expect(w.machine.readEntry(e) & 0xfffn).to.equal(TABLE_BITS);
    });

    it('returns null when no page is left for the table', () => {
      const w = world(4, 2 ** 20);
      while (w.machine.allocFrame() !== null) {
        /* exhaust memory */
      }
      expect(pud_alloc(w.mm, pgd_offset_k(w.mm, KVA), KVA)).to.equal(null);
    });
  });

  describe('lookup_pte and vmalloc_to_pfn', () => {
    it('give 0n and -1 where a table on the way is missing, or the PTE is empty', () => {
      const w = world();
      expect(lookup_pte(w.mm, KVA)).to.equal(0n);
      expect(vmalloc_to_pfn(w.mm, KVA)).to.equal(-1);
      vmap_page_range(w.mm, KVA, KVA + P, PAGE_KERNEL, w.data(1), w.warn);
      expect(lookup_pte(w.mm, KVA + P)).to.equal(0n);
      expect(vmalloc_to_pfn(w.mm, KVA + P)).to.equal(-1);
      expect(vmalloc_to_pfn(w.mm, KVA + PMD)).to.equal(-1);
    });

    it('vmalloc_to_pfn ignores the offset within the page', () => {
      const w = world();
      const [pg] = w.data(1);
      vmap_page_range(w.mm, KVA, KVA + P, PAGE_KERNEL, [pg!], w.warn);
      expect(vmalloc_to_pfn(w.mm, KVA + 0xabc)).to.equal(pg!.pfn);
    });
  });
});
