// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { runMatrix } from '../../../scripts/run/runner.js';
import { alignShift } from '../../../scripts/scenarios/align-shift.js';
import { exactRangeAlign } from '../../../scripts/scenarios/exact-range-align.js';
import { fragmentedVmapBlocks } from '../../../scripts/scenarios/fragmented-vmap-blocks.js';
import { neSplitFailslab } from '../../../scripts/scenarios/ne-split-failslab.js';
import { pcpuSpuriousFailure } from '../../../scripts/scenarios/pcpu-spurious-failure.js';
import { purgeLockHold } from '../../../scripts/scenarios/purge-lock-hold.js';
import { workload } from '../../../scripts/scenarios/workload.js';

const cellOf = (m: ReturnType<typeof runMatrix>, k: string) => m.cells.find((c) => c.kernel === k)?.result;

describe('the align-shift scenario (test_vmalloc align_shift_alloc_test, afd07389d3f4)', () => {
  const m = runMatrix(alignShift, { kernels: ['linux-2.6.35', 'linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1'], cpus: [1], seed: 1, params: { pages: 1 } });

  it('hits BUG_ON(va->va_start < vstart) on the cache allocators once ALIGN() wraps to 0', () => {
    expect(cellOf(m, 'linux-2.6.39')?.bug).to.include({ func: 'alloc_vmap_area', line: 435, cond: 'va->va_start < vstart' });
    expect(cellOf(m, 'linux-3.18')?.bug).to.include({ func: 'alloc_vmap_area', line: 453, cond: 'va->va_start < vstart' });
  });

  // VMALLOC_START = 2^64 - 0x370000000000 lies within 2^46 of the top, so
  // ALIGN(VMALLOC_START, 1 << 46) is already 2^64, i.e. 0.
  it('lets linux-2.6.35, which has no such check, place areas at address 0', () => {
    const r = cellOf(m, 'linux-2.6.35');
    expect(r?.bug).to.equal(undefined);
    expect(r?.notes?.join('\n')).to.match(/OUTSIDE \[vstart, vend\): 1 << 46 -> 0/);
  });

  it('fails the huge alignments cleanly on the augmented free tree', () => {
    for (const k of ['linux-5.2', 'linux-6.1']) {
      const r = cellOf(m, k);
      expect(r?.bug, k).to.equal(undefined);
      expect(r?.notes, k).to.include('failed cleanly (EBUSY) for alignments 1 << 46 .. 1 << 63 (18 of them)');
    }
  });
});

describe('the exact-range-align scenario (9f531973dff3)', () => {
  const m = runMatrix(exactRangeAlign, { kernels: ['linux-5.2', 'linux-6.1'], cpus: [1], seed: 1, params: { size_mib: 16, max_shift: 3 } });

  it('fails every aligned request on linux-5.2, whose search asks for size + align - 1', () => {
    // the five set-up allocations succeed, then all four aligned requests fail
    expect(cellOf(m, 'linux-5.2')?.figures.failedAllocations).to.equal(4);
    expect(cellOf(m, 'linux-5.2')?.notes).to.include('align 1000: EBUSY');
  });

  it('serves all of them on linux-6.1 at the start of the window', () => {
    const r = cellOf(m, 'linux-6.1');
    expect(r?.figures.failedAllocations).to.equal(0);
    expect(r?.notes).to.include('align 8000: [ffffc90001000000, ffffc90002000000)');
  });
});

describe('the ne-split-failslab scenario (82dd23e84be3)', () => {
  const m = runMatrix(neSplitFailslab, {
    kernels: ['linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.12'],
    cpus: [1],
    seed: 1,
    params: { allocs: 8, size_pages: 2, align_pages: 512 },
  });

  /*
   * Every request lands inside one big free block, away from both its edges:
   * the first at V in [1, top), each later one at the next 2 MiB boundary
   * of [end of the previous one, top). All are no-edge (NE) splits.
   */
  it('fails every allocation on linux-5.2: two GFP_NOWAIT split nodes refused per request (first try, retry after the purge)', () => {
    const r = cellOf(m, 'linux-5.2');
    expect(r?.figures.failedAllocations).to.equal(8);
    expect(r?.notes?.[0]).to.equal('vmap_area slab allocations: 8 may sleep and succeed, 16 cannot sleep and fail (failslab, ignore-gfp-wait)');
    expect(r?.notes).to.include('alloc 1, align 1000: EBUSY');
  });

  it('serves them all on linux-6.1 and linux-6.12 from the node preloaded with GFP_KERNEL', () => {
    for (const k of ['linux-6.1', 'linux-6.12']) {
      const r = cellOf(m, k);
      expect(r?.figures.failedAllocations, k).to.equal(0);
      // 8 areas and 8 preloads: each split takes the spare, the next request refills it
      expect(r?.notes?.[0], k).to.equal('vmap_area slab allocations: 16 may sleep and succeed, 0 cannot sleep and fail (failslab, ignore-gfp-wait)');
      expect(r?.notes, k).to.include('alloc 1, align 1000: [ffffc90000000000, ffffc90000002000)');
      expect(r?.notes, k).to.include('alloc 8, align 200000: [ffffc90000e00000, ffffc90000e02000)');
    }
  });

  it('leaves linux-3.18 untouched: it has no split node to allocate', () => {
    const r = cellOf(m, 'linux-3.18');
    expect(r?.figures.failedAllocations).to.equal(0);
    expect(r?.notes?.[0]).to.equal('vmap_area slab allocations: 8 may sleep and succeed, 0 cannot sleep and fail (failslab, ignore-gfp-wait)');
  });
});

describe('the purge-lock-hold scenario (763b218ddfaf)', () => {
  /*
   * 2,500 areas of 8 pages freed lazily, every other one of 5,000. One CPU:
   * lazy_max_pages = fls(1) * 32 MiB / 4 KiB = 8,192 pages, so a purge
   * starts when the 1,025th area makes vmap_lazy_nr 8,200: purges of 1,025,
   * 1,025 and, by the closing explicit purge, the last 450.
   */
  const m = runMatrix(purgeLockHold, {
    kernels: ['linux-2.6.35', 'linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.12'],
    cpus: [1],
    seed: 1,
    params: { areas: 2500, pages: 8, free: 'alternate' },
  });

  it('releases each purge in one hold of vmap_area_lock before 4.10', () => {
    for (const k of ['linux-2.6.35', 'linux-3.18']) {
      const r = cellOf(m, k);
      expect(r?.figures.purges, k).to.equal(3);
      expect(r?.notes?.[0], k).to.equal('2500 areas released under the lock by 3 purges, in 3 stretches (0 resched points passed)');
      expect(r?.notes?.[1], k).to.equal('most areas released in one stretch: 1025');
    }
  });

  it('passes a resched point after every area on linux-5.2 and on linux-6.1 (vmap_lazy_nr stays under twice lazy_max_pages)', () => {
    for (const k of ['linux-5.2', 'linux-6.1']) {
      const r = cellOf(m, k);
      expect(r?.notes?.[0], k).to.equal('2500 areas released under the lock by 3 purges, in 2500 stretches (2500 resched points passed)');
      expect(r?.notes?.[1], k).to.equal('most areas released in one stretch: 1');
    }
  });

  it('holds free_vmap_area_lock over a whole purge again on linux-6.12 with one vmap node', () => {
    const r = cellOf(m, 'linux-6.12');
    expect(r?.notes?.[0]).to.equal('2500 areas released under the lock by 3 purges, in 3 stretches (0 resched points passed)');
    expect(r?.notes?.[1]).to.equal('most areas released in one stretch: 1025');
  });

  it('lets linux-6.1 merge neighbouring lazy areas while they wait, so a purge of adjacent ones releases one area', () => {
    const all = runMatrix(purgeLockHold, { kernels: ['linux-6.1'], cpus: [1], seed: 1, params: { areas: 2500, pages: 8, free: 'all' } });
    expect(cellOf(all, 'linux-6.1')?.notes?.[0]).to.equal('3 areas released under the lock by 3 purges, in 3 stretches (3 resched points passed)');
  });
});

describe('the fragmented-vmap-blocks scenario (02b709df817c)', () => {
  /*
   * 16 MiB of vmalloc space, 256-page (1 MiB) blocks aligned to 1 MiB. Each
   * round opens a block and leaves it with 8 free pages and nothing mapped.
   * 2.6.35's gap after every area puts blocks in every other slot, and the
   * last slot cannot end at VMALLOC_END: slots 0, 2, .., 14, i.e. 8 blocks.
   * 3.18 has no gap: slots 0 .. 14, 15 blocks.
   */
  const m = runMatrix(fragmentedVmapBlocks, {
    kernels: ['linux-2.6.35-02b709df', 'linux-2.6.35', 'linux-3.18'],
    cpus: [1],
    seed: 1,
    params: { rounds: 40, vmalloc_mib: 16, block_pages: '256' },
  });

  it('fails vm_map_ram in the round after the range is full when fragmented blocks are never purged (2.6.32 code)', () => {
    const r = cellOf(m, 'linux-2.6.35-02b709df');
    expect(r?.notes?.[0]).to.equal('vm_map_ram() failed in round 9, after 8 rounds');
    expect(r?.figures.purges).to.equal(0);
  });

  it('lets the failing allocation purge the eight fragmented blocks and go on, every eighth round, on linux-2.6.35', () => {
    const r = cellOf(m, 'linux-2.6.35');
    expect(r?.notes?.[0]).to.equal('all 40 rounds done');
    // rounds 9, 17, 25 and 33 each find the range full
    expect(r?.figures.purges).to.equal(4);
  });

  it('fits fifteen blocks without the guard gap, purging in rounds 16 and 31, on linux-3.18', () => {
    const r = cellOf(m, 'linux-3.18');
    expect(r?.notes?.[1]).to.match(/^at most 15 vmap blocks/);
    expect(r?.figures.purges).to.equal(2);
  });
});

describe('the workload scenario', () => {
  const m = runMatrix(workload, { kernels: ['linux-2.6.35', 'linux-2.6.39', 'linux-5.2'], cpus: [1], seed: 1, params: { workload: 'top-of-space', ops: 0, param: 0 } });

  it('ends top-of-space seed 1 in the BUGs of the golden traces, at the same operation', () => {
    expect(cellOf(m, 'linux-2.6.35')?.bug).to.include({ func: '__insert_vmap_area', line: 304, op: 231 });
    expect(cellOf(m, 'linux-2.6.39')?.bug).to.include({ func: 'alloc_vmap_area', line: 435, op: 153 });
  });

  it('runs the same input to the end on linux-5.2', () => {
    expect(cellOf(m, 'linux-5.2')?.figures).to.include({ operations: 4000, bugs: 0 });
  });
});

describe('the pcpu-spurious-failure scenario (68ad4a330433, fixed in 5.3-rc5)', () => {
  const m = runMatrix(pcpuSpuriousFailure, {
    kernels: ['linux-2.6.35', 'linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.12'],
    cpus: [1],
    seed: 1,
    params: { groups: 2, distance_mib: 1024, gap_mib: 64, chunks: 2 },
  });

  // END = 0xffffe8ffffe00000; B = [END - 1 GiB - 64 MiB, END - 512 MiB) =
  // [ffffe8ffbbe00000, ffffe8ffdfe00000). Pulled under B, the first chunk's
  // base is ffffe8ffbbc00000 and group 1 sits 1 GiB higher, above B.
  it('fails every chunk on linux-5.2 with 32 TiB free below the busy area', () => {
    const r = cellOf(m, 'linux-5.2');
    expect(r?.notes).to.include('0 of 2 chunks served (2 groups 1024 MiB apart, 2 MiB units)');
    expect(r?.notes?.join('\n')).to.contain('free below it: 32.0 TiB');
    expect(r?.bug).to.equal(undefined);
  });

  it('serves them on the busy-tree search before 5.2 and after the fix, congruent, below the busy area', () => {
    for (const k of ['linux-2.6.35', 'linux-3.18', 'linux-6.1', 'linux-6.12']) {
      const r = cellOf(m, k);
      expect(r?.notes, k).to.include('2 of 2 chunks served (2 groups 1024 MiB apart, 2 MiB units)');
      expect(r?.notes, k).to.include('chunk 1: group 0 at ffffe8ffbbc00000, group 1 at ffffe8fffbc00000');
      expect(r?.notes, k).to.include('chunk 2: group 0 at ffffe8ffbba00000, group 1 at ffffe8fffba00000');
    }
  });

  it('does not fail on linux-5.2 with one group: the skip needs a unit that straddles a busy area', () => {
    const one = runMatrix(pcpuSpuriousFailure, { kernels: ['linux-5.2'], cpus: [1], seed: 1, params: { groups: 1, distance_mib: 1024, gap_mib: 64, chunks: 2 } });
    expect(cellOf(one, 'linux-5.2')?.notes).to.include('2 of 2 chunks served (1 group 1024 MiB apart, 2 MiB units)');
  });
});
