// SPDX-License-Identifier: GPL-2.0-only
/*
 * kernel/mm/page_alloc.ts: alloc_page and __free_page keep the count of
 * data pages in use and which frames they are, apart from page-table
 * pages, and refuse a double free; the machine's last frame works as the
 * first; exhaustion gives null and is counted.
 */
import { expect } from 'chai';
import { Machine } from '../../../hw/machine.js';
import { __GFP_ZERO, page_alloc } from '../../../kernel/mm/page_alloc.js';

describe('kernel/mm/page_alloc', () => {
  /** 1 MiB, the smallest machine: 256 frames. */
  const small = () => new page_alloc(new Machine({ cpus: 1, physMemBytes: 256 * 4096 }));

  it('counts the pages alloc_page hands out and __free_page takes back, frame by frame', () => {
    const pa = small();
    const a = pa.alloc_page()!;
    const b = pa.alloc_page(__GFP_ZERO)!;
    expect(pa.nr_in_use).to.equal(2);
    expect(pa.is_allocated(a.pfn)).to.equal(true);
    expect(pa.is_allocated(b.pfn)).to.equal(true);
    pa.__free_page(a);
    expect(pa.nr_in_use).to.equal(1);
    expect(pa.is_allocated(a.pfn)).to.equal(false);
    expect(pa.is_allocated(b.pfn)).to.equal(true);
    expect([pa.nr_allocated, pa.nr_freed]).to.deep.equal([2, 1]);
  });

  it('refuses to free a page twice', () => {
    const pa = small();
    const a = pa.alloc_page()!;
    pa.__free_page(a);
    expect(() => pa.__free_page(a)).to.throw(/not allocated \(double free\?\)/);
    expect(pa.nr_in_use).to.equal(0);
  });

  it('does not count page-table pages as data pages', () => {
    const pa = small();
    const t = pa.alloc_pgtable_page()!;
    expect(pa.nr_in_use).to.equal(0);
    expect(pa.nr_pgtable_pages).to.equal(1);
    expect(pa.is_allocated(t.pfn)).to.equal(false);
  });

  it('hands out every frame up to the last, then gives null and counts the failure', () => {
    const pa = small();
    const got: number[] = [];
    for (let p = pa.alloc_page(); p; p = pa.alloc_page()) got.push(p.pfn);
    expect(new Set(got).size).to.equal(got.length);
    expect(got.length).to.be.within(250, 255);
    expect(Math.max(...got)).to.equal(255);
    expect(got.every((f) => pa.is_allocated(f))).to.equal(true);
    expect(pa.nr_failed).to.equal(1);
    expect(pa.nr_in_use).to.equal(got.length);
    pa.__free_page({ pfn: 255 });
    expect(pa.is_allocated(255)).to.equal(false);
    expect(pa.alloc_page()!.pfn).to.equal(255);
  });

  it('answers false for frames outside memory', () => {
    const pa = small();
    expect(pa.is_allocated(-1)).to.equal(false);
    expect(pa.is_allocated(256)).to.equal(false);
    expect(pa.is_allocated(1 << 20)).to.equal(false);
  });
});
