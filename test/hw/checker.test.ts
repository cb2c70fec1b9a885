// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { CHECKER_STATS, formatCoherenceReport } from '../../hw/checker.js';
import { callFunctionMany } from '../../hw/callFunction.js';
import { mapPage, unmapPage } from '../../hw/mapping.js';
import { kpage, mapMarked, smallMachine, KERNEL_FLAGS } from './helpers.js';

const C = CHECKER_STATS.index;

describe('CoherenceChecker', () => {
  it('reports a mapping changed without a flush as shadowed, on the CPU that still holds the entry', () => {
    // Arrange: cpu1 caches page 0 -> frame A; the mapping is moved to frame B.
    const m = smallMachine();
    const a = mapMarked(m, kpage(0), 1);
    m.cpu(1).setContext('reader');
    m.cpu(1).read64(kpage(0));
    const b = m.allocFrame() as number;
    m.mem.write64(b * 4096, 2);
    m.runOn(0, () => mapPage(m, m.kernelRoot, kpage(0), b, KERNEL_FLAGS));
    // Act
    const cpu2 = m.cpu(2).read64(kpage(0));
    const cpu1 = m.cpu(1).read64(kpage(0));
    // Assert
    expect(cpu2).to.equal(2);
    expect(cpu1).to.equal(1);
    expect(m.checker.reports).to.have.length(1);
    const r = m.checker.reports[0]!;
    expect(r.kind).to.equal('shadowed-mapping');
    expect(r.cpu).to.equal(1);
    expect(r.address).to.equal('0xffffc90000000000');
    expect(r.cached.frame).to.equal(a);
    expect(r.current?.frame).to.equal(b);
    expect(r.filled.by).to.equal('reader');
    expect(r.filled.clock).to.be.lessThan(r.clock);
    const last = r.entryWrites[r.entryWrites.length - 1]!;
    expect(last.cpu).to.equal(0);
    expect(last.level).to.equal(1);
  });

  it('reports changed rights as shadowed too', () => {
    const m = smallMachine();
    const a = mapMarked(m, kpage(0), 1);
    m.cpu(0).write64(kpage(0), 5);
    mapPage(m, m.kernelRoot, kpage(0), a, KERNEL_FLAGS & ~0x2n); // now read-only
    m.cpu(0).read64(kpage(0));
    expect(m.checker.reports.map((r) => r.kind)).to.deep.equal(['shadowed-mapping']);
    expect(m.checker.reports[0]!.current?.writable).to.equal(false);
  });

  it('returns the old data through a stale entry for an unmapped page and reports use-after-unmap', () => {
    const m = smallMachine();
    mapMarked(m, kpage(3), 0xabc);
    m.cpu(2).read64(kpage(3));
    unmapPage(m, m.kernelRoot, kpage(3));
    expect(m.cpu(2).read64(kpage(3))).to.equal(0xabc);
    const r = m.checker.reports[0]!;
    expect(r.kind).to.equal('use-after-unmap');
    expect(r.current).to.equal(null);
    expect(r.missingLevel).to.equal(1);
    expect(r.entryWrites.some((e) => e.value === '0x0000000000000000')).to.equal(true);
  });

  it('shows the flushes that did reach the page, so the one that missed stands out', () => {
    const m = smallMachine();
    mapMarked(m, kpage(0), 1);
    m.cpu(0).read64(kpage(0));
    m.cpu(1).read64(kpage(0));
    unmapPage(m, m.kernelRoot, kpage(0));
    m.cpu(0).invlpg(kpage(0)); // cpu1 is forgotten
    m.cpu(1).read64(kpage(0));
    const r = m.checker.reports[0]!;
    expect(r.cpu).to.equal(1);
    expect(r.pageFlushes.map((f) => [f.cpu, f.kind])).to.deep.equal([[0, 'invlpg']]);
    expect(formatCoherenceReport(r)).to.contain('use-after-unmap on cpu1').and.contain('page flush at clock').and.contain('by cpu0: invlpg');
  });

  it('reports nothing when every CPU flushes after the unmap', () => {
    const m = smallMachine();
    for (let p = 0; p < 8; p++) mapMarked(m, kpage(p), p);
    for (const c of m.cpus) for (let p = 0; p < 8; p++) c.read64(kpage(p));
    m.runOn(0, () => {
      for (let p = 0; p < 8; p++) unmapPage(m, m.kernelRoot, kpage(p));
      callFunctionMany(m, 0, [0, 1, 2, 3], (cpu) => {
        for (let p = 0; p < 8; p++) cpu.invlpg(kpage(p));
      });
    });
    for (let p = 0; p < 8; p++) mapMarked(m, kpage(p), 100 + p);
    for (let round = 0; round < 2; round++) {
      for (const c of m.cpus) for (let p = 0; p < 8; p++) expect(c.read64(kpage(p))).to.equal(100 + p);
    }
    expect(m.checker.reports).to.have.length(0);
    expect(m.checker.stats[C.checks]).to.be.greaterThan(0);
  });

  it('reports a stale entry once and counts the later hits on it', () => {
    const m = smallMachine();
    mapMarked(m, kpage(0), 1);
    m.cpu(0).read64(kpage(0));
    unmapPage(m, m.kernelRoot, kpage(0));
    for (let i = 0; i < 5; i++) m.cpu(0).read64(kpage(0));
    expect(m.checker.reports).to.have.length(1);
    expect(m.checker.stats[C.repeatHits]).to.equal(4);
  });

  it('does not report a stale entry again after it moves from the STLB to L1', () => {
    const m = smallMachine({ l1: { entries: 4, ways: 4 } });
    for (let p = 0; p < 6; p++) mapMarked(m, kpage(p), p);
    const cpu = m.cpu(0);
    cpu.read64(kpage(0));
    unmapPage(m, m.kernelRoot, kpage(0));
    cpu.read64(kpage(0)); // reported from L1
    for (let p = 1; p < 6; p++) cpu.read64(kpage(p)); // evicts it from L1
    cpu.read64(kpage(0)); // STLB hit, promoted again
    expect(m.checker.reports).to.have.length(1);
  });

  it('does not change what the access returns, and checks nothing when switched off', () => {
    const run = (checker: boolean): number => {
      const m = smallMachine({ checker });
      mapMarked(m, kpage(0), 9);
      m.cpu(0).read64(kpage(0));
      unmapPage(m, m.kernelRoot, kpage(0));
      const v = m.cpu(0).read64(kpage(0));
      expect(m.checker.reports.length).to.equal(checker ? 1 : 0);
      return v;
    };
    expect(run(true)).to.equal(run(false));
  });

  it('keeps at most checkerMaxReports reports and counts the rest', () => {
    const m = smallMachine({ checkerMaxReports: 2 });
    for (let p = 0; p < 4; p++) mapMarked(m, kpage(p), p);
    for (let p = 0; p < 4; p++) m.cpu(0).read64(kpage(p));
    for (let p = 0; p < 4; p++) unmapPage(m, m.kernelRoot, kpage(p));
    for (let p = 0; p < 4; p++) m.cpu(0).read64(kpage(p));
    expect(m.checker.reports).to.have.length(2);
    expect(m.checker.stats[C.droppedReports]).to.equal(2);
    expect(m.checker.stats[C.useAfterUnmap]).to.equal(4);
  });
});
