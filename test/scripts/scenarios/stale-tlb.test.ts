// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { readAfterVfree, reuseAfterFlush, vmapBlockAliases } from '../../../scripts/scenarios/stale-tlb.js';

const FAITHFUL = ['linux-2.6.35', 'linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.12'];

describe('scripts/scenarios/stale-tlb', () => {
  describe('a buffer read on CPU 1 and vfreed on CPU 0, which keeps allocating', () => {
    for (const v of FAITHFUL) {
      it(`${v}: nothing is reported while CPU 1 leaves the freed buffer alone`, () => {
        const r = readAfterVfree(v);
        expect(r.notes[0]).to.match(/^range reused after [1-9]/);
        expect(r.text).to.deep.equal([]);
        expect(r.fault).to.equal(null);
      });
    }
    for (const v of FAITHFUL.filter((x) => x !== 'linux-2.6.35')) {
      it(`${v}: a read by CPU 1 after the vfree is a use-after-unmap, with its provenance`, () => {
        const r = readAfterVfree(v, { misbehave: true });
        expect(r.reports.map((x) => x.kind)).to.deep.equal(['use-after-unmap']);
        expect(r.text[0]).to.include('on cpu1').and.include('by init-1 read').and.include('-> 0x0000000000000000');
      });
    }
    it('linux-2.6.35: the PTEs stay until the purge, so the read is a use-after-free the TLB checker cannot see', () => {
      const r = readAfterVfree('linux-2.6.35', { misbehave: true });
      expect(r.reports).to.have.length(0);
      expect(r.notes[0]).to.match(/PTE is still present/);
    });
  });

  describe('fc1e0d980037: vm_unmap_aliases() and a page of a fully used vmap block', () => {
    for (const v of ['linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1']) {
      it(`${v} (before the fix) leaves CPU 1 a stale translation, which reads the page's next owner`, () => {
        const r = vmapBlockAliases(v);
        expect(r.reports.map((x) => x.kind)).to.deep.equal(['use-after-unmap']);
        expect(r.value).to.equal(0x2222);
      });
    }
    for (const v of ['linux-6.1+fc1e0d980037', 'linux-6.12']) {
      it(`${v} flushes it: CPU 1 takes a page fault instead`, () => {
        const r = vmapBlockAliases(v);
        expect(r.reports).to.have.length(0);
        expect(r.fault?.kind).to.equal('not-present');
      });
    }
  });

  describe('reuse after the flush, with and without fault injections', () => {
    for (const v of ['linux-2.6.35', 'linux-3.18', 'linux-6.1']) {
      it(`${v} faithful: CPU 1 reads the new buffer through a fresh walk`, () => {
        const r = reuseAfterFlush(v);
        expect(r.notes[0]).to.equal("B got A's range");
        expect(r.reports).to.have.length(0);
        expect(r.value).to.equal(0xb003);
      });
      it(`${v}, range returned before the flush: CPU 1 sees a shadowed mapping`, () => {
        const r = reuseAfterFlush(v, { faults: { freeBeforeFlush: true } });
        expect(r.reports.filter((x) => x.cpu === 1).map((x) => x.kind)).to.deep.equal(Array(4).fill('shadowed-mapping'));
        // CPU 0 wrote B through its own stale entries too: into A's old frames.
        expect(r.reports.filter((x) => x.cpu === 0 && x.access === 'write')).to.have.length(4);
      });
      it(`${v}, flush by CR3 reload only: the global entries survive and are shadowed`, () => {
        const r = reuseAfterFlush(v, { faults: { cr3Only: true } });
        expect(r.reports.some((x) => x.cpu === 1 && x.kind === 'shadowed-mapping' && x.cached.global)).to.equal(true);
        expect(r.text.join('\n')).to.include('full flush on cpu1').and.include('cr3');
      });
      it(`${v}, CPU 1 skipped by the shootdown: shadowed on CPU 1 only`, () => {
        const r = reuseAfterFlush(v, { faults: { skipCpu: 1 } });
        expect(r.reports.map((x) => `${x.cpu}:${x.kind}`)).to.deep.equal(Array(4).fill('1:shadowed-mapping'));
      });
    }
  });
});
