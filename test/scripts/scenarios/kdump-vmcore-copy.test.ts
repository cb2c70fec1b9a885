// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { runMatrix } from '../../../scripts/run/runner.js';
import { kdumpVmcoreCopy } from '../../../scripts/scenarios/kdump-vmcore-copy.js';

// 3,000 pages through an 8 MiB range on 2 CPUs: lazy_max_pages() is 16,384
// pages, far more than the range, so only exhaustion purges a lazy kernel.
// An ioremap of one page is an 8 KiB area (the guard page added) aligned to
// 8 KiB (1 << fls(4096)); with 2.6.35's free page after every area the next
// one starts 16 KiB further: 512 areas from VMALLOC_START, the last ending
// 8 KiB below the range's end. 3,000 / 512: five exhaustions.
const params = { pages: 3000, vmalloc_mib: 8, nonlazy: true };

describe('the kdump-vmcore-copy scenario (3ee48b6af49c, set_iounmap_nonlazy)', () => {
  const m = runMatrix(kdumpVmcoreCopy, { kernels: ['linux-2.6.35', 'linux-2.6.39'], cpus: [2], seed: 1, params });
  const cellOf = (k: string) => m.cells.find((c) => c.kernel === k)?.result;

  it('linux-2.6.35 (no set_iounmap_nonlazy) exhausts the range: 512 two-page areas fit, so 5 purges, all from a failed alloc_vmap_area', () => {
    const r = cellOf('linux-2.6.35');
    expect(r?.notes?.[0]).to.equal('this version has no set_iounmap_nonlazy(): every iounmap() frees lazily');
    expect(r?.notes?.[1]).to.equal('vmalloc range exhausted 5 time(s): alloc_vmap_area() failed, purged the lazy areas and retried inside ioremap()');
    expect(r?.notes?.[3]).to.match(/^5 purges \(0 from iounmap, 5 from an exhausted range\), [\d.]+ lazily freed area\(s\) each on average, at most 512$/);
    expect(r?.figures.purges).to.equal(5);
    expect(r?.figures.failedAllocations).to.equal(0);
  });

  it('linux-2.6.35 walks past the piled-up areas on every ioremap', () => {
    expect(cellOf('linux-2.6.35')?.figures.touchesPerAlloc.mean).to.be.above(200);
    // each iounmap purged the one area there was: every ioremap finds an empty tree
    expect(cellOf('linux-2.6.39')?.figures.touchesPerAlloc.mean).to.equal(0);
  });

  it('linux-2.6.39 with set_iounmap_nonlazy() before each iounmap: never exhausted, one purge and one IPI per page', () => {
    const r = cellOf('linux-2.6.39');
    expect(r?.notes?.[1]).to.match(/exhausted 0 time/);
    expect(r?.figures.purges).to.equal(3000);
    expect(r?.figures.ipisSent).to.equal(3000);
    expect(r?.figures.operations).to.equal(4 * 3000); // ioremap, read, set_iounmap_nonlazy, iounmap
  });

  it('linux-2.6.39 without the call (nonlazy=false) runs out like 2.6.35, though its cache keeps the search short', () => {
    const lazy = runMatrix(kdumpVmcoreCopy, { kernels: ['linux-2.6.39'], cpus: [2], seed: 1, params: { ...params, nonlazy: false } }).cells[0]!.result;
    expect(lazy.notes?.[1]).to.match(/exhausted 5 time/);
    expect(lazy.figures.purges).to.equal(5);
    expect(lazy.figures.touchesPerAlloc.mean).to.be.below(50);
  });

  it('sums up each version and the modelled cycle ratio of the lazy run to the fixed one', () => {
    expect(m.summary[0]).to.match(/^linux-2\.6\.35 \(2 CPUs\): range exhausted 5 time\(s\), 0 failed ioremaps, 5 purges, 5 IPIs/);
    expect(m.summary.join('\n')).to.match(/modelled cycles, linux-2\.6\.35 lazily \/ linux-2\.6\.39 with set_iounmap_nonlazy\(\): [\d.]+x/);
  });
});
