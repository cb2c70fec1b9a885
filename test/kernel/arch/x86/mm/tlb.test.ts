// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { CPU_STATS } from '../../../../../hw/index.js';
import { bootKernel, Kernel } from '../../../../../kernel/boot.js';
import { getFlushEra } from '../../../../../kernel/arch/x86/mm/tlb.js';

const V = -0x370000000000; // 0xffffc90000000000
const P = 4096;

function flush(k: Kernel, start: number, end: number): void {
  k.machine.runOn(0, () => k.tlb.flush_tlb_kernel_range(start, end));
}

function cpuStat(k: Kernel, name: keyof typeof CPU_STATS.index): number {
  return k.machine.cpus.reduce((s, c) => s + c.stats[CPU_STATS.index[name]]!, 0);
}

describe('arch/x86/mm/tlb: flush_tlb_kernel_range by era', () => {
  it('linux-3.17 flushes 33 pages one INVLPG at a time on every CPU, and 34 pages with a full flush', () => {
    const k = bootKernel({ version: 'linux-6.1', cpus: 4 });
    flush(k, V, V + 33 * P);
    expect(k.vmstat.sum('nr_tlb_local_flush_one')).to.equal(33 * 4);
    expect(cpuStat(k, 'invlpgRequested')).to.equal(33 * 4);
    expect(k.tlbstats.do_kernel_range_flush).to.deep.equal([1, 1, 1, 1]);
    expect(k.vmstat.sum('nr_tlb_remote_flush_received')).to.equal(0);
    flush(k, V, V + 34 * P);
    expect(k.tlbstats.do_flush_tlb_all).to.deep.equal([1, 1, 1, 1]);
    expect(k.vmstat.sum('nr_tlb_remote_flush_received')).to.equal(4);
    expect(k.vmstat.sum('nr_tlb_remote_flush')).to.equal(0); // only flush_tlb_all() counts it
    expect(cpuStat(k, 'invpcid2Requested')).to.equal(4); // INVPCID available: type 2, globals included
  });

  it('linux-3.17 sends one CAL IPI to each other CPU per flush and never a TLB one', () => {
    const k = bootKernel({ version: 'linux-6.1', cpus: 8 });
    flush(k, V, V + P);
    flush(k, V, V + 1000 * P);
    expect(cpuStat(k, 'ipiSentCal')).to.equal(2 * 7);
    expect(cpuStat(k, 'ipiReceivedCal')).to.equal(2 * 7);
    expect(cpuStat(k, 'ipiSentTlb')).to.equal(0);
    expect(k.proc_interrupts()).to.match(/^CAL: {10}0 {10}2 /m);
  });

  it('linux-2.6 ignores the range: every flush toggles CR4.PGE on every CPU and counts no vm events', () => {
    const k = bootKernel({ version: 'linux-2.6.35', cpus: 4 });
    flush(k, V, V + P);
    expect(k.tlbstats.do_flush_tlb_all).to.deep.equal([1, 1, 1, 1]);
    expect(cpuStat(k, 'cr4Writes')).to.equal(8);
    expect(cpuStat(k, 'invlpgRequested')).to.equal(0);
    expect(k.proc_vmstat()).to.equal('');
  });

  it('linux-6.15 uses INVLPGB and TLBSYNC when the CPU has it: no IPIs', () => {
    const k = bootKernel({ version: 'linux-2.6.39', flushEra: 'linux-6.15', machine: { cpus: 4, invlpgb: true } });
    flush(k, V, V + 20 * P);
    expect(k.tlbstats.invlpgb).to.equal(3); // 8 + 8 + 4 pages
    flush(k, V, V + 40 * P);
    expect(k.tlbstats.invlpgb).to.equal(4);
    expect(cpuStat(k, 'ipiSentCal')).to.equal(0);
    expect(cpuStat(k, 'tlbsyncs')).to.equal(2);
  });

  it('linux-6.15 without INVLPGB flushes as linux-3.17 does', () => {
    const k = bootKernel({ version: 'linux-6.1', flushEra: 'linux-6.15', cpus: 2 });
    flush(k, V, V + 2 * P);
    expect(k.vmstat.sum('nr_tlb_local_flush_one')).to.equal(4);
  });

  it('names every era and rejects an unknown one with the list', () => {
    expect(getFlushEra('linux-3.17').releases).to.equal('3.17 .. 6.14');
    expect(() => getFlushEra('linux-9')).to.throw(/known: linux-2.6, linux-3.17, linux-6.15/);
  });
});
