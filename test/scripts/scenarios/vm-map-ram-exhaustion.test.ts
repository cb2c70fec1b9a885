// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { runMatrix } from '../../../scripts/run/runner.js';
import { vmMapRamExhaustion } from '../../../scripts/scenarios/vm-map-ram-exhaustion.js';

describe("the vm-map-ram-exhaustion scenario (Roman Pen's vm_map_ram fixes, ~v4.1)", () => {
  const m = runMatrix(vmMapRamExhaustion, { kernels: ['linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1'], cpus: [1], seed: 1, params: { iterations: 20, block_pages: '256' } });
  const cellOf = (k: string) => m.cells.find((c) => c.kernel === k)?.result;

  for (const k of ['linux-2.6.39', 'linux-3.18']) {
    it(`${k} (new blocks at the head of the free list) leaves one fragmented block behind per round: 20 blocks, 20 MiB`, () => {
      expect(cellOf(k)?.notes?.[0]).to.equal('20 vmap blocks live after 20 rounds (at most 20), holding 20 MiB of vmalloc space with nothing mapped in them');
      expect(cellOf(k)?.figures.purges).to.equal(0);
    });
  }

  for (const k of ['linux-5.2', 'linux-6.1']) {
    it(`${k} (new blocks at the tail, taken at once) fills the old block, frees it, and keeps one (counted at the end of each round)`, () => {
      expect(cellOf(k)?.notes?.[0]).to.match(/^1 vmap blocks live after 20 rounds \(at most 1\)/);
    });
  }

  it('runs the sequence exactly: 16 pages once and 8 pages 29 times per round with 256-page blocks, each mapped and unmapped', () => {
    expect(cellOf('linux-3.18')?.notes?.[1]).to.equal('blocks of 256 pages; each round maps 16 pages once and 8 pages 29 times, leaving 8 pages free');
    expect(cellOf('linux-3.18')?.figures.operations).to.equal(20 * 30 * 2);
    expect(cellOf('linux-3.18')?.figures.failedAllocations).to.equal(0);
  });
});
