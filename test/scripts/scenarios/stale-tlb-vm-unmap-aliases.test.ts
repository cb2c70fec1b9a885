// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { runMatrix } from '../../../scripts/run/runner.js';
import { staleTlbVmUnmapAliases } from '../../../scripts/scenarios/stale-tlb-vm-unmap-aliases.js';

describe('the stale-tlb-vm-unmap-aliases scenario (fc1e0d980037)', () => {
  const kernels = ['linux-2.6.35', 'linux-2.6.39', 'linux-5.2', 'linux-6.1', 'linux-6.1+fc1e0d980037', 'linux-6.12'];
  const m = runMatrix(staleTlbVmUnmapAliases, { kernels, cpus: [2], seed: 1, params: {} });
  const cellOf = (k: string) => m.cells.find((c) => c.kernel === k)?.result;

  for (const k of ['linux-2.6.39', 'linux-5.2', 'linux-6.1']) {
    it(`${k} (before the fix): CPU 1 keeps a stale translation and reads the page's next owner`, () => {
      const r = cellOf(k);
      expect(r?.figures.checkerReports).to.equal(1);
      expect(r?.reports?.[0]).to.match(/^TLB incoherence: use-after-unmap on cpu1: read of 0xffffc90000001000/);
      expect(r?.notes).to.include("CPU 1 read the page's new owner's data through the stale entry");
    });
  }

  for (const k of ['linux-6.1+fc1e0d980037', 'linux-6.12']) {
    it(`${k} (with the fix): no checker report; vm_unmap_aliases() flushed, so CPU 1 faults`, () => {
      const r = cellOf(k);
      expect(r?.figures.checkerReports).to.equal(0);
      expect(r?.figures.ipisSent).to.equal(1);
      expect(r?.notes?.join('\n')).to.include('page fault (not-present)');
    });
  }

  it('linux-2.6.35: no report, because vb_free leaves the page mapped (a note says so)', () => {
    const r = cellOf('linux-2.6.35');
    expect(r?.figures.checkerReports).to.equal(0);
    expect(r?.notes).to.include('the unmapped page is still mapped in the page tables after vm_unmap_aliases()');
  });

  it('sums up which versions kept the stale entry', () => {
    expect(m.summary).to.include('linux-6.1 (2 CPUs): 1 checker report (1 use-after-unmap on cpu1)');
    expect(m.summary).to.include('linux-6.12 (2 CPUs): no checker report');
  });
});
