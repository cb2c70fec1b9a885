// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { runMatrix } from '../../../scripts/run/runner.js';
import { lazyPurgeListScan } from '../../../scripts/scenarios/lazy-purge-list-scan.js';

const steps = (live: number, lazy: number) => {
  const m = runMatrix(lazyPurgeListScan, { kernels: ['linux-3.18', 'linux-5.2'], cpus: [2], seed: 1, params: { live, pages: 1, rounds: 3, lazy } });
  const get = (k: string) => Number(/mean ([\d,.]+)/.exec(m.cells.find((c) => c.kernel === k)?.result.notes?.[0] ?? '')?.[1]?.replace(/,/g, ''));
  return { m, old: get('linux-3.18'), neu: get('linux-5.2') };
};

describe('the lazy-purge-list-scan scenario (80c4bd7a5e43, a separate lazy-free list)', () => {
  const small = steps(200, 4);
  const large = steps(800, 4);
  const moreLazy = steps(200, 8);

  it('linux-3.18 walks every area per vm_unmap_aliases(): live + 15 list steps with 4 lazy areas', () => {
    expect(small.old).to.equal(215);
    expect(large.old).to.equal(815);
  });

  it('linux-5.2 visits only the lazily freed areas: 7 steps each, whatever the live areas', () => {
    expect(small.neu).to.equal(28);
    expect(large.neu).to.equal(28);
    expect(moreLazy.neu).to.equal(56);
  });

  it('makes exactly one purge (one flush, one IPI per other CPU) per vm_unmap_aliases()', () => {
    for (const c of small.m.cells) {
      expect(c.result.figures.purges, c.kernel).to.equal(3);
      expect(c.result.figures.ipisSent, c.kernel).to.equal(3);
      expect(c.result.notes?.join('\n'), c.kernel).not.to.include('further purge');
    }
  });

  it('sums up the ratio between the versions', () => {
    expect(large.m.summary).to.include('linux-3.18 / linux-5.2: 29x the list steps per vm_unmap_aliases() with 800 live areas');
  });
});
