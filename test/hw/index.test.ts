// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import * as hw from '../../hw/index.js';

describe('hw barrel', () => {
  it('exports a working machine with the kernel layer’s calls', () => {
    const m = new hw.Machine({ cpus: 2, physMemBytes: 2 ** 24 });
    const f = m.allocFrame();
    expect(f).to.be.a('number');
    hw.mapPage(m, m.kernelRoot, -0x370000000000, f as number, hw.EntryBits.RW | hw.EntryBits.G);
    m.cpu(1).write64(-0x370000000000, 3);
    hw.callFunctionMany(m, 0, [0, 1], (cpu) => cpu.invlpg(-0x370000000000));
    expect(m.cpu(0).read64(-0x370000000000)).to.equal(3);
    expect(hw.statsReport(m, 'json')).to.contain('"total.ipi.sent.CAL": 1');
  });
  it('exports values only by name (no default export)', () => {
    expect(Object.keys(hw)).to.not.include('default');
    expect(Object.keys(hw)).to.include.members(['Machine', 'Cpu', 'PageFault', 'runInterleaved', 'loadCostTable', 'formatCoherenceReport']);
  });
});
