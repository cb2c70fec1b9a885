// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { runMatrix } from '../../../scripts/run/runner.js';
import { vmMapRamGuardGap } from '../../../scripts/scenarios/vm-map-ram-guard-gap.js';

describe('the vm-map-ram-guard-gap scenario (248ac0e1943a, Johannes Weiner)', () => {
  // 16 MiB = 16 slots of 1 MiB blocks.
  const m = runMatrix(vmMapRamGuardGap, { kernels: ['linux-2.6.39', 'linux-3.18', 'linux-6.1'], cpus: [1], seed: 1, params: { vmalloc_mib: 16, block_pages: '256', max_pages: 10000000 } });
  const cellOf = (k: string) => m.cells.find((c) => c.kernel === k)?.result;

  // Blocks are 1 MiB, naturally aligned. 2.6.39 leaves a free page after
  // every area, so the next block goes to the next aligned slot but one:
  // 0, 2, ..., 14 MiB; the block at 16 MiB would end past VMALLOC_END.
  it('fits one block in every other slot on linux-2.6.39, which keeps a guard gap after every area: 8 blocks, 2,048 pages', () => {
    const r = cellOf('linux-2.6.39');
    expect(r?.notes?.[0]).to.equal('2,048 single pages mapped before vm_map_ram() failed');
    expect(r?.notes?.[1]).to.match(/^8 vmap blocks of 256 pages in 16 block-sized slots/);
    expect(r?.notes?.[2]).to.equal('first mapping at window + 0x0, last at window + 0xeff000');
  });

  it('packs the blocks on linux-3.18 and linux-6.1: 15 blocks, 3,840 pages (the last slot would end at VMALLOC_END itself)', () => {
    for (const k of ['linux-3.18', 'linux-6.1']) {
      expect(cellOf(k)?.notes?.[0], k).to.equal('3,840 single pages mapped before vm_map_ram() failed');
      expect(cellOf(k)?.notes?.[2], k).to.equal('first mapping at window + 0x0, last at window + 0xeff000');
    }
  });

  it('ends each run with exactly one failed vm_map_ram and counts every call', () => {
    const r = cellOf('linux-3.18');
    expect(r?.figures.failedAllocations).to.equal(1);
    expect(r?.figures.operations).to.equal(3840 + 1); // the mappings, the failure
  });

  it('gives about twice the pages without the gap, next to the published 15,360 vs 30,464', () => {
    expect(m.summary).to.include('linux-3.18 / linux-2.6.39: 1.88x the pages (published ratio 1.98x)');
    expect(m.summary.join('\n')).to.include('15,360 pages vanilla vs 30,464 with 248ac0e1943a');
  });

  it('sizes the blocks from block_pages (VMAP_BBMAP_BITS through CONFIG_NR_CPUS)', () => {
    const m2 = runMatrix(vmMapRamGuardGap, { kernels: ['linux-3.18'], cpus: [1], seed: 1, params: { vmalloc_mib: 8, block_pages: '1024', max_pages: 10000000 } });
    expect(m2.cells[0]!.result.notes?.[1]).to.match(/^1 vmap blocks of 1024 pages in 2 block-sized slots/);
  });
});
