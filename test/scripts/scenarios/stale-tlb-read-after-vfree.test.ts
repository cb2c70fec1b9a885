// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { runMatrix } from '../../../scripts/run/runner.js';
import { toJson } from '../../../scripts/report/table.js';
import { staleTlbReadAfterVfree } from '../../../scripts/scenarios/stale-tlb-read-after-vfree.js';

const cellOf = (m: ReturnType<typeof runMatrix>, k: string) => m.cells.find((c) => c.kernel === k)?.result;

describe('the stale-tlb-read-after-vfree scenario', () => {
  describe('well-behaved: CPU 1 leaves the freed buffer alone', () => {
    const kernels = ['linux-2.6.35', 'linux-3.18', 'linux-6.1', 'linux-6.12'];
    const m = runMatrix(staleTlbReadAfterVfree, { kernels, cpus: [2], seed: 1, params: { misbehave: false, pages: 4 } });

    for (const k of kernels) {
      it(`${k}: no checker report, and the freed range was purged and handed out again`, () => {
        const r = cellOf(m, k);
        expect(r?.figures.checkerReports).to.equal(0);
        expect(r?.reports).to.deep.equal([]);
        expect(r?.figures.purges).to.be.at.least(1);
        expect(r?.notes?.join('\n')).to.match(/range reused after [1-9]/);
      });
    }

    it('counts the API calls the library made: a vfree after every vmalloc but the last (the one that got the range back)', () => {
      const r = cellOf(m, 'linux-3.18');
      expect(r?.figures.operations).to.equal(2 * (r?.figures.allocations ?? 0) - 1);
      expect(r?.figures.failedAllocations).to.equal(0);
    });
  });

  describe('misbehaving: CPU 1 reads the buffer right after the vfree', () => {
    const m = runMatrix(staleTlbReadAfterVfree, { kernels: ['linux-2.6.35', 'linux-2.6.39', 'linux-5.2', 'linux-6.12'], cpus: [2], seed: 1, params: { misbehave: true, pages: 4 } });

    for (const k of ['linux-2.6.39', 'linux-5.2', 'linux-6.12']) {
      it(`${k}: one use-after-unmap, reported with who filled the entry and the PTE clear that missed it`, () => {
        const r = cellOf(m, k);
        expect(r?.figures.checkerReports).to.equal(1);
        expect(r?.reports?.[0]).to.match(/^TLB incoherence: use-after-unmap on cpu1: read of 0xffffc90000000000/);
        expect(r?.reports?.[0]).to.include('by init-1 read').and.include('page tables now: not present (level 1)').and.include('-> 0x0000000000000000');
        expect(r?.notes).to.include('checker: use-after-unmap on cpu1, read of 0xffffc90000000000');
      });
    }

    it('linux-2.6.35: no report, and a note that the PTE was still present (PTEs go at the purge)', () => {
      const r = cellOf(m, 'linux-2.6.35');
      expect(r?.figures.checkerReports).to.equal(0);
      expect(r?.notes?.join('\n')).to.match(/PTE is still present after vfree/);
    });

    it('puts the formatted reports in the JSON runs and sums up the matrix', () => {
      const j = toJson(m) as { runs: { checkerReports: number; checkerReportText: string[] }[] };
      expect(j.runs.map((x) => x.checkerReports)).to.deep.equal([0, 1, 1, 1]);
      expect(j.runs[1]!.checkerReportText[0]).to.include('use-after-unmap');
      expect(m.summary).to.include('linux-2.6.39 (2 CPUs): 1 checker report (1 use-after-unmap on cpu1)');
    });
  });

  it('runs on two CPUs when the cell asks for one, and says so', () => {
    const m = runMatrix(staleTlbReadAfterVfree, { kernels: ['linux-6.1'], cpus: [1], seed: 1, params: { misbehave: true, pages: 1 } });
    expect(m.cells[0]!.result.notes?.[0]).to.equal('needs two CPUs: ran on 2');
    expect(m.cells[0]!.result.figures.checkerReports).to.equal(1);
  });
});
