// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { callFunctionMany } from '../../hw/callFunction.js';
import { Machine } from '../../hw/machine.js';
import { mapPage, unmapPage } from '../../hw/mapping.js';
import { runInterleaved } from '../../hw/scheduler.js';
import { collectStats, formatStatsJson, formatStatsText, statsReport } from '../../hw/statsReport.js';
import { KERNEL_FLAGS, kpage, smallMachine } from './helpers.js';

/** A small shootdown workload with random replacement and a random schedule. */
function workload(seed: number): Machine {
  const m = smallMachine({ cpus: 4, seed, replacement: 'random', l1: { entries: 8, ways: 2 }, stlb: { entries: 16, ways: 4 } });
  const frame = m.allocFrame() as number;
  const tasks = m.cpus.map((cpu) => ({
    cpu: cpu.id,
    steps: Array.from({ length: 30 }, (_, k) => (): void => {
      const page = (cpu.id * 7 + k * 3) % 24;
      if (k % 10 === 9) {
        unmapPage(m, m.kernelRoot, kpage(page));
        callFunctionMany(m, cpu.id, [0, 1, 2, 3], (c) => c.invlpg(kpage(page)));
        mapPage(m, m.kernelRoot, kpage(page), frame, KERNEL_FLAGS);
      } else {
        cpu.read64(kpage(page));
      }
    }),
  }));
  for (let p = 0; p < 24; p++) mapPage(m, m.kernelRoot, kpage(p), frame, KERNEL_FLAGS);
  runInterleaved(m, tasks);
  return m;
}

describe('statsReport', () => {
  it('gives byte-identical JSON for the same seed', () => {
    expect(statsReport(workload(11), 'json')).to.equal(statsReport(workload(11), 'json'));
  });

  it('gives different JSON for a different seed', () => {
    expect(statsReport(workload(11), 'json')).to.not.equal(statsReport(workload(12), 'json'));
  });

  it('sums the per-CPU counters into totals', () => {
    const samples = collectStats(workload(3));
    const value = (name: string): number => samples.find((s) => s.name === name)?.value ?? NaN;
    for (const name of ['tlb.l1.misses', 'ipi.received.CAL', 'flush.invlpg.requested', 'cycles.total', 'walk.walks']) {
      const sum = [0, 1, 2, 3].reduce((a, c) => a + value(`cpu${c}.${name}`), 0);
      expect(value(`total.${name}`), name).to.equal(sum);
      expect(sum, name).to.be.greaterThan(0);
    }
    expect(value('total.tlb.l1.lookups')).to.equal(value('total.tlb.l1.hits') + value('total.tlb.l1.misses'));
  });

  it('names counters with dotted paths and declares a unit and a description for each', () => {
    const samples = collectStats(workload(3));
    const names = samples.map((s) => s.name);
    expect(names).to.include.members(['machine.clock', 'checker.checks', 'cpu3.tlb.l1.misses', 'cpu0.cycles.invlpg', 'total.cycles.total']);
    expect(new Set(names).size).to.equal(names.length);
    for (const s of samples) expect(s.description.length, s.name).to.be.greaterThan(3);
  });

  it('omits per-CPU counters and zeros when asked', () => {
    const samples = collectStats(workload(3), { perCpu: false, zeros: false });
    expect(samples.some((s) => s.name.startsWith('cpu'))).to.equal(false);
    expect(samples.every((s) => s.value !== 0)).to.equal(true);
  });

  it('prints gem5-style text and a JSON object of name to value', () => {
    const samples = collectStats(workload(3), { perCpu: false, zeros: false });
    const text = formatStatsText(samples);
    expect(text.split('\n')[0]).to.equal('---------- Begin Simulation Statistics ----------');
    expect(text).to.match(/\ntotal\.walk\.walks +\d+ {2}# page walks .* \(count\)\n/);
    const json = JSON.parse(formatStatsJson(samples)) as { schema: string; stats: Record<string, number> };
    expect(json.schema).to.equal('vmapsim.hw.stats/1');
    expect(Object.keys(json.stats)).to.deep.equal(samples.map((s) => s.name));
  });
});
