// SPDX-License-Identifier: GPL-2.0-only
/*
 * The real 7.3.4 captures (data/real-traces/README.md, third and
 * fourth samples) replayed on linux-7.3 and the ports it is compared with.
 * The expected counts come from the trace files themselves (5000
 * alloc_vmap_area lines, 21 purge lines, the after snapshot), not from a run.
 */
import { expect } from 'chai';
import { hex } from '../../../../kernel/include/u64.js';
import { versionNames } from '../../../../kernel/mm/vmalloc/index.js';
import { readText } from '../../../../scripts/lib/read-text.js';
import { parseTracefs, type TracefsTrace } from '../../../../scripts/replay/tracefs/parse.js';
import { compareWithInfo, matchingVersionFor, replayTracefs, type TracefsReplay } from '../../../../scripts/replay/tracefs/replay.js';
import { parseVmallocinfo, type Vmallocinfo } from '../../../../scripts/replay/tracefs/vmallocinfo.js';
import { replayTracefsCommand } from '../../../../scripts/replay/tracefs/report.js';
import { SAMPLE_7_3, SAMPLE_7_3_CPU2 } from './sample.js';

describe('tracefs replay of the real linux-7.3 captures', function () {
  this.timeout(180000);

  it('the trace file name picks the matching version', () => {
    expect(matchingVersionFor(SAMPLE_7_3.trace, versionNames())).to.equal('linux-7.3');
    expect(matchingVersionFor('/x/linux-6.12.c_rand1to64p_pool100.cpu1.trace.gz', versionNames())).to.equal('linux-6.12');
    expect(matchingVersionFor('/x/capture.trace.gz', versionNames())).to.equal('linux-6.12');
  });

  describe('1 CPU, random sizes', () => {
    let trace: TracefsTrace;
    let snapBefore: Vmallocinfo;
    let snapAfter: Vmallocinfo;
    let r: TracefsReplay;
    before(() => {
      trace = parseTracefs(SAMPLE_7_3.trace, readText(SAMPLE_7_3.trace));
      snapBefore = parseVmallocinfo(SAMPLE_7_3.before, readText(SAMPLE_7_3.before));
      snapAfter = parseVmallocinfo(SAMPLE_7_3.after, readText(SAMPLE_7_3.after));
      r = replayTracefs(trace, snapBefore, ['linux-7.3', 'linux-6.12', 'linux-6.1'], { cpus: trace.cpus ?? 1, after: snapAfter, matching: 'linux-7.3' });
    });

    it('linux-7.3 puts all 5000 allocations at the recorded address and matches all 21 purges, ending in the after snapshot', () => {
      const v = r.versions[0]!;
      expect([v.kernel, v.matching, v.error]).to.deep.equal(['linux-7.3', true, null]);
      expect(trace.events.filter((e) => e.kind === 'alloc_vmap_area')).to.have.length(5000);
      expect([v.allocations, v.sameAddress]).to.deep.equal([5000, 5000]);
      const recorded = trace.events.filter((e) => e.kind === 'purge_vmap_area_lazy');
      expect(recorded).to.have.length(21);
      expect([v.recordedPurges, v.purges, v.purgesMatched]).to.deep.equal([21, 21, 21]);
      expect(v.emulatedPurges.map((p) => `${hex(p.start)}-${hex(p.end)} ${p.num_purged}`)).to.deep.equal(
        recorded.map((e) => (e.kind === 'purge_vmap_area_lazy' ? `${hex(e.start)}-${hex(e.end)} ${e.num_purged}` : '')),
      );
      expect(v.unknownFrees).to.deep.equal([]);
      const c = compareWithInfo(v.final!, snapAfter);
      expect([c.busy, c.lazy, c.lazyExact]).to.deep.equal([true, true, true]);
    });

    it('at one CPU (one vmap node, no pools) linux-6.12 does the same; linux-6.1 (merged lazy areas, no nodes) does not', () => {
      expect([r.versions[1]!.sameAddress, r.versions[1]!.purgesMatched]).to.deep.equal([5000, 21]);
      expect(r.versions[2]!.sameAddress).to.be.below(5000);
      expect(r.versions[2]!.purgesMatched).to.be.below(21);
    });
  });

  it('`replay tracefs ... --kernel linux-7.3` exits 0 and compares every other version, 6.12 and 6.1 included', () => {
    const out: string[] = [];
    const status = replayTracefsCommand({ tracefs: SAMPLE_7_3.trace, before: SAMPLE_7_3.before, kernel: ['linux-7.3'] }, (s) => out.push(s));
    expect(status).to.equal(0);
    const rows = out.join('\n').split('\n').filter((l) => /^(linux|mmotm)-\S+( \*)?\s+\d/.test(l));
    expect(rows[0]).to.match(/^linux-7\.3 \*\s+5000\s+5000\s+100\.00%\s+21\/21\s+21\s/);
    expect(rows.map((r) => r.split(/\s+/)[0])).to.include.members(['linux-6.12', 'linux-6.1']);
    expect(rows).to.have.length(versionNames().length);
  });

  describe('2 CPUs, fixed size', () => {
    /*
     * The pools of the two vmap nodes hold areas the before snapshot does not
     * show (README): the first allocation already takes a pooled address
     * above a lower free hole, so no port can start from the same state.
     * What the replay can check: every purge is triggered by the same free
     * (nr_lazy) with the same count; only the flush ranges, which depend on
     * the addresses, differ.
     */
    it('linux-7.3 triggers every purge at the recorded free with the recorded count', () => {
      const trace = parseTracefs(SAMPLE_7_3_CPU2.trace, readText(SAMPLE_7_3_CPU2.trace));
      const snap = parseVmallocinfo(SAMPLE_7_3_CPU2.before, readText(SAMPLE_7_3_CPU2.before));
      // Without pool inference (replay-ncpu.test.ts has the replay with it).
      const v = replayTracefs(trace, snap, ['linux-7.3'], { cpus: 2, matching: 'linux-7.3', inferPools: false }).versions[0]!;
      expect(v.error).to.equal(null);
      expect(v.recordedPurges).to.equal(7);
      expect(v.comparisons.map((c) => [c.samePoint, c.sameTrigger, c.sameCount])).to.deep.equal(Array(7).fill([true, true, true]));
      expect(v.firstDivergence?.line).to.equal(13);
    });
  });
});
