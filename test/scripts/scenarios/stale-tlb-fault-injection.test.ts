// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { parseParams } from '../../../scripts/run/params.js';
import { runMatrix } from '../../../scripts/run/runner.js';
import { staleTlbFaultInjection } from '../../../scripts/scenarios/stale-tlb-fault-injection.js';

const kernels = ['linux-2.6.39', 'linux-3.18', 'linux-6.1'];
const run = (fault: string) => runMatrix(staleTlbFaultInjection, { kernels, cpus: [2], seed: 1, params: { fault } });
const perCpu = (notes: readonly string[] | undefined) => (notes ?? []).filter((x) => x.startsWith('checker: ')).map((x) => /^checker: (\S+) on (cpu\d)/.exec(x)?.slice(1).join(' '));

describe('the stale-tlb-fault-injection scenario', () => {
  it('passes the faithful kernel (fault=none): no checker report, CPU 1 reads the new buffer', () => {
    for (const c of run('none').cells) {
      expect(c.result.figures.checkerReports, c.kernel).to.equal(0);
      expect(c.result.notes, c.kernel).to.include("CPU 1's last read returned 0xb003");
    }
  });

  it('catches free-before-flush as shadowed mappings: CPU 0 wrote B into A\'s old frames, CPU 1 read them', () => {
    for (const c of run('free-before-flush').cells) {
      expect(perCpu(c.result.notes), c.kernel).to.deep.equal([...Array(4).fill('shadowed-mapping cpu0'), ...Array(4).fill('shadowed-mapping cpu1')]);
      expect(c.result.reports?.[0], c.kernel).to.match(/^TLB incoherence: shadowed-mapping on cpu0: write of/);
    }
  });

  it('catches a CR3-only flush: the global entries survive on both CPUs, and the report names the cr3 flush', () => {
    for (const c of run('cr3-only').cells) {
      expect(c.result.figures.checkerReports, c.kernel).to.equal(8);
      expect(c.result.reports?.join('\n'), c.kernel).to.include(' G, filled').and.include('full flush on cpu1').and.include('cr3');
    }
  });

  it('catches a shootdown that skips CPU 1: shadowed on CPU 1 only, and no IPI was sent', () => {
    for (const c of run('skip-cpu').cells) {
      expect(perCpu(c.result.notes), c.kernel).to.deep.equal(Array(4).fill('shadowed-mapping cpu1'));
      expect(c.result.figures.ipisSent, c.kernel).to.equal(0);
    }
  });

  it('accepts exactly the four fault names', () => {
    expect(parseParams('stale-tlb-fault-injection', staleTlbFaultInjection.params, ['fault=skip-cpu']).fault).to.equal('skip-cpu');
    expect(() => parseParams('stale-tlb-fault-injection', staleTlbFaultInjection.params, ['fault=bogus'])).to.throw('expected one of free-before-flush, cr3-only, skip-cpu, none');
  });
});
