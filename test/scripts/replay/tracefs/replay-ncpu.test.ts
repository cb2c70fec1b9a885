// SPDX-License-Identifier: GPL-2.0-only
/*
 * Replay at N CPUs (issue 15 item 7): each op on its recorded CPU, and the
 * vmap-node pool contents the before snapshot cannot show inferred from the
 * trace. The expected figures come from reading the trace files (see the
 * comments), not from the code under test.
 */
import { expect } from 'chai';
import { resolve } from 'node:path';
import { hex, type ulong } from '../../../../kernel/include/u64.js';
import { IS_ERR } from '../../../../kernel/include/linux/errno.js';
import { defaultEnv, type VmapAllocator } from '../../../../kernel/mm/vmalloc/common.js';
import { getVersion } from '../../../../kernel/mm/vmalloc/index.js';
import { readText } from '../../../../scripts/lib/read-text.js';
import { realTracesDir } from '../../../../scripts/lib/paths.js';
import { parseTracefs, type TracefsTrace } from '../../../../scripts/replay/tracefs/parse.js';
import { replayTracefs, type TracefsReplay, type VersionReplay } from '../../../../scripts/replay/tracefs/replay.js';
import { parseVmallocinfo, type Vmallocinfo } from '../../../../scripts/replay/tracefs/vmallocinfo.js';
import { formatReplayTable, versionJson } from '../../../../scripts/replay/tracefs/report.js';
import { SAMPLE } from './sample.js';

const TWO = resolve(realTracesDir(), 'linux-6.12.a_vmalloc4p.cpu2');
const V = -0x370000000000; // 0xffffc90000000000
const P = 0x1000;

function load(base: string): { trace: TracefsTrace; before: Vmallocinfo; after: Vmallocinfo } {
  return {
    trace: parseTracefs(`${base}.trace.gz`, readText(`${base}.trace.gz`)),
    before: parseVmallocinfo(`${base}.vmallocinfo-before.txt`, readText(`${base}.vmallocinfo-before.txt`)),
    after: parseVmallocinfo(`${base}.vmallocinfo-after.txt`, readText(`${base}.vmallocinfo-after.txt`)),
  };
}

describe('tracefs replay at N CPUs', function () {
  this.timeout(300000);

  describe('linux-6.12, 2 CPUs, 20,000 x vmalloc(4 pages)', () => {
    let d: ReturnType<typeof load>;
    let r: TracefsReplay;
    before(() => {
      d = load(TWO);
      r = replayTracefs(d.trace, d.before, ['linux-6.12'], { cpus: d.trace.cpus ?? 0, after: d.after });
    });

    it('the trace: 2 CPUs; the first allocation lands above a lower free hole of the before snapshot', () => {
      expect(d.trace.cpus).to.equal(2);
      const first = d.trace.events.find((e) => e.kind === 'alloc_vmap_area');
      // Line 13: va_start 18446683600574943232 = 0xffffc900004b1000, 5 pages, on CPU 0.
      expect(first && first.kind === 'alloc_vmap_area' && [first.line, hex(first.addr), first.size, first.cpu]).to.deep.equal([13, 'ffffc900004b1000', 5 * P, 0]);
      // The before snapshot lists nothing in [0xffffc9000041d000, 0xffffc90000445000): 40 free pages lower down.
      const lo = V + 0x41d000;
      const hi = V + 0x445000;
      expect(d.before.areas.filter((a) => a.start < hi && lo < a.end)).to.deep.equal([]);
    });

    it('without the inference no allocation lands at the recorded address', () => {
      const x = replayTracefs(d.trace, d.before, ['linux-6.12'], { cpus: 2, after: d.after, inferPools: false }).versions[0]!;
      expect([x.allocations, x.sameAddress]).to.deep.equal([20000, 0]);
      expect(x.firstDivergence!.line).to.equal(13);
      expect(x.inferredPooled + x.inferredAreaNodes + x.inferredHeld + x.inferredDecayed).to.equal(0);
    });

    it('places at least 95% of the 20,000 allocations at the recorded address', () => {
      const v = r.versions[0]!;
      expect(v.error).to.equal(null);
      expect(v.allocations).to.equal(20000);
      expect(v.sameAddress).to.be.at.least(19000);
      expect(v.share).to.be.at.least(0.95);
    });

    it('makes all 6 recorded purges at the same point with the same num_purged and flush range', () => {
      const v = r.versions[0]!;
      // The 6 purge_vmap_area_lazy lines of the trace (lines 107, 6662, 13216, 20386, 26940, 33495).
      const rec = d.trace.events.filter((e) => e.kind === 'purge_vmap_area_lazy');
      expect(rec.map((e) => e.line)).to.deep.equal([107, 6662, 13216, 20386, 26940, 33495]);
      expect([v.recordedPurges, v.purges, v.purgesMatched]).to.deep.equal([6, 6, 6]);
      expect(v.emulatedPurges.map((p) => `${hex(p.start)}-${hex(p.end)} ${p.num_purged}`)).to.deep.equal(
        rec.map((e) => (e.kind === 'purge_vmap_area_lazy' ? `${hex(e.start)}-${hex(e.end)} ${e.num_purged}` : '')),
      );
      expect(v.comparisons.every((c) => c.samePoint && c.sameTrigger && c.sameCount && c.sameRange)).to.equal(true);
    });

    it('counts the inferred pool areas: 47 pooled at the start (CPU 0), 10 areas of the snapshot handed out by node 1', () => {
      const v = r.versions[0]!;
      // Lines 13..105: the 47 allocations of CPU 0, none of them at a range the
      // snapshot or the trace used before: node 0's pool when recording started.
      const cpu0 = d.trace.events.filter((e) => e.kind === 'alloc_vmap_area' && e.cpu === 0);
      expect(cpu0).to.have.length(47);
      expect(v.inferredPooled).to.equal(47);
      // Lines 108..124, right after the first purge, CPU 1: nine 5-page
      // "unpurged vm_area" ranges of the snapshot, highest first
      // (0xffffc90003044000 ... 0xffffc900004d4000): node 1's pool after the purge.
      const lazy5 = new Set(d.before.areas.filter((a) => a.kind === 'lazy' && a.end - a.start === 5 * P).map((a) => a.start));
      const fromLazy = d.trace.events.filter((e) => e.kind === 'alloc_vmap_area' && e.line >= 108 && e.line <= 124 && lazy5.has(e.addr));
      expect(fromLazy.map((e) => e.line)).to.deep.equal([108, 110, 112, 114, 116, 118, 120, 122, 124]);
      // And a busy area of the snapshot (a thread stack, kernel_clone) that a
      // kworker frees at line 7415: node 1's pool hands it out at line 19755.
      const stack = d.before.areas.find((a) => a.start === V + 0x480000);
      expect(stack && [stack.kind, stack.caller]).to.deep.equal(['busy', 'kernel_clone+0xc2/0x430']);
      const kfree = d.trace.events.find((e) => e.kind === 'free_vmap_area_noflush' && e.va_start === V + 0x480000);
      expect(kfree && [kfree.line, kfree.task]).to.deep.equal([7415, 'kworker/1:0']);
      const again = d.trace.events.find((e) => e.kind === 'alloc_vmap_area' && e.addr === V + 0x480000);
      expect(again && [again.line, again.cpu]).to.deep.equal([19755, 1]);
      expect(v.inferredAreaNodes).to.equal(10);
      expect(v.inferredHeld).to.be.greaterThan(0);
      const total = 47 + 10 + v.inferredHeld + v.inferredDecayed;
      const j = versionJson(v) as { inferredPools: { pooledAtStart: number; snapshotAreasGivenNode: number; heldRanges: number; decayedEarlier: number; total: number }; purgeMismatches: unknown[] };
      expect([j.inferredPools.pooledAtStart, j.inferredPools.snapshotAreasGivenNode, j.inferredPools.heldRanges, j.inferredPools.total]).to.deep.equal([47, 10, v.inferredHeld, total]);
      expect(j.purgeMismatches).to.deep.equal([]);
      const text = formatReplayTable(r);
      expect(text).to.contain(`pool contents inferred from the trace (the before snapshot cannot show them): ${total}:`);
      expect(text).to.contain('  47 area(s) in a pool when recording started, handed out before the first purge');
      expect(text).to.contain('  10 area(s) of the snapshot that a node\'s pool handed out after their purge');
      expect(text).to.contain('all 6 purges at the same point, with the same trigger, num_purged and flush range');
    });

    it('ends in the after snapshot (held ranges left out): the same busy and unpurged areas', () => {
      const v = r.versions[0]!;
      expect(v.after).to.deep.equal({ busy: true, lazy: true, busyDiff: [], lazyDiff: [] });
    });

    it('the seeded state still equals the before snapshot (inferred pools are invisible in it)', () => {
      expect(r.versions[0]!.seededEqualsBefore).to.equal(true);
    });
  });

  describe('linux-6.12, 1 CPU: nothing to infer', () => {
    it('still places all 5000 allocations at the recorded address, with zero inferred pool areas', () => {
      const d = load(SAMPLE.trace.replace(/\.trace\.gz$/, ''));
      const v = replayTracefs(d.trace, d.before, ['linux-6.12'], { cpus: 1, after: d.after }).versions[0]!;
      expect([v.allocations, v.sameAddress, v.purgesMatched]).to.deep.equal([5000, 5000, 20]);
      expect([v.inferredPooled, v.inferredAreaNodes, v.inferredHeld, v.inferredDecayed, v.inferenceStopped]).to.deep.equal([0, 0, 0, 0, null]);
      expect(formatReplayTable({ ...replayTracefs(d.trace, d.before, ['linux-6.12'], { cpus: 1 }) })).not.to.contain('pool contents inferred');
    });
  });

  describe('linux-6.12 seed_areas with pooled areas (environment)', () => {
    type Seeded = VmapAllocator & {
      cpu: number;
      seed_areas(a: { start: ulong; end: ulong; state: 'busy' | 'lazy' | 'pooled'; cpu?: number }[]): void;
    };
    const FULL = [V, -0x170000000001] as const; // VMALLOC_START, VMALLOC_END (4-level)

    it('a pooled area is handed out to a CPU of its node before the lower hole; another node gets the hole', () => {
      const a = getVersion('linux-6.12').create(defaultEnv({ ncpu: 2 })) as Seeded;
      // busy [V, V+16p); hole [V+16p, V+32p); busy [V+32p, V+48p); pooled 5 pages at V+48p for CPU 1's node.
      a.seed_areas([
        { start: V, end: V + 16 * P, state: 'busy' },
        { start: V + 32 * P, end: V + 48 * P, state: 'busy' },
        { start: V + 48 * P, end: V + 53 * P, state: 'pooled', cpu: 1 },
      ]);
      // The pooled area is neither busy nor free: the snapshot lists 2 areas, and no free block covers it.
      const s = a.snapshot();
      expect(s.areas).to.have.length(2);
      expect((s.free ?? []).some((f) => f.start <= V + 48 * P && V + 53 * P <= f.end)).to.equal(false);
      a.cpu = 0;
      const x = a.alloc_vmap_area(5 * P, 1, FULL[0], FULL[1]);
      a.cpu = 1;
      const y = a.alloc_vmap_area(5 * P, 1, FULL[0], FULL[1]);
      const z = a.alloc_vmap_area(5 * P, 1, FULL[0], FULL[1]);
      expect([x, y, z].map((va) => (IS_ERR(va) ? 'err' : hex(va.va_start)))).to.deep.equal([hex(V + 16 * P), hex(V + 48 * P), hex(V + 21 * P)]);
    });

    it('refuses pooled areas with one node', () => {
      const a = getVersion('linux-6.12').create(defaultEnv({ ncpu: 1 })) as Seeded;
      expect(() => a.seed_areas([{ start: V, end: V + 5 * P, state: 'pooled', cpu: 0 }])).to.throw(/one vmap node has no pools/);
    });
  });

  describe('linux-7.3, 2 CPUs, 20,000 x vmalloc(4 pages), on the 7.3 port', () => {
    let v: VersionReplay;
    before(() => {
      const d = load(resolve(realTracesDir(), 'linux-7.3.a_vmalloc4p.cpu2'));
      v = replayTracefs(d.trace, d.before, ['linux-7.3'], { cpus: 2, after: d.after, matching: 'linux-7.3' }).versions[0]!;
    });

    it('places at least 95% of the 20,000 allocations at the recorded address and matches all 7 purge lines of the capture (num_purged 945 ... 3428)', () => {
      expect(v.allocations).to.equal(20000);
      expect(v.share).to.be.at.least(0.95);
      expect(v.purgesMatched).to.equal(7);
    });

    it('runs the last purge line (35120) inside the allocation printed after it (35121), which took 0xffffc900012ff000, the free-tree address after line 35119\'s, while node 0\'s pool was empty', () => {
      expect(v.purgesInsideAlloc).to.deep.equal([{ line: 35120, alloc: 35121 }]);
      expect(v.firstDivergence).to.equal(null);
    });

    it('agrees on the nr_lazy of all 20,003 lazy frees, the kworker\'s at line 1026 (nr_lazy=5) applied before init-1\'s at line 1025 (nr_lazy=10)', () => {
      expect([v.nrLazyMatched, v.lazyFrees]).to.deep.equal([20003, 20003]);
    });
  });
});
