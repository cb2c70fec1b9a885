// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hex, type ulong } from '../../../../kernel/include/u64.js';
import { defaultEnv, type VmapAllocator } from '../../../../kernel/mm/vmalloc/common.js';
import { versionNames, getVersion } from '../../../../kernel/mm/vmalloc/index.js';
import { readText } from '../../../../scripts/lib/read-text.js';
import { parseTracefs, type TracefsTrace } from '../../../../scripts/replay/tracefs/parse.js';
import { buildOps, compareWithInfo, replayTracefs, seedAreas, type TracefsReplay } from '../../../../scripts/replay/tracefs/replay.js';
import { parseVmallocinfo, type Vmallocinfo } from '../../../../scripts/replay/tracefs/vmallocinfo.js';
import { defaultKernels } from '../../../../scripts/replay/tracefs/report.js';
import { SAMPLE } from './sample.js';
import { FROM_SOURCES } from '../../../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..', '..');
const V = -0x370000000000; // 0xffffc90000000000
const P = 0x1000;
const dec = (x: ulong) => BigInt.asUintN(64, BigInt(x)).toString();

function vmapsim(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...FROM_SOURCES, join(ROOT, 'scripts', 'vmapsim.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('tracefs replay', function () {
  this.timeout(120000);

  describe('the public sample (linux-6.12, 1 CPU)', () => {
    let trace: TracefsTrace;
    let snapBefore: Vmallocinfo;
    let snapAfter: Vmallocinfo;
    let r: TracefsReplay;
    before(() => {
      trace = parseTracefs(SAMPLE.trace, readText(SAMPLE.trace));
      snapBefore = parseVmallocinfo(SAMPLE.before, readText(SAMPLE.before));
      snapAfter = parseVmallocinfo(SAMPLE.after, readText(SAMPLE.after));
      r = replayTracefs(trace, snapBefore, defaultKernels(), { cpus: trace.cpus ?? 1, after: snapAfter });
    });

    it('rebuilds 5000 allocations, 5000 lazy frees and 20 drain runs, each purge after the free that queued it', () => {
      const s = buildOps(trace);
      expect(s.ops.filter((o) => o.kind === 'a')).to.have.length(5000);
      expect(s.ops.filter((o) => o.kind === 'l')).to.have.length(5000);
      expect(s.ops.filter((o) => o.kind === 'w')).to.have.length(20);
      expect(s.ops.filter((o) => o.kind === 'p')).to.have.length(0);
      expect(s.purges).to.have.length(20);
      expect(s.purges.every((p) => p.cause === 'threshold' && (p.nr_lazy as number) > 8192)).to.equal(true);
      // 19 run right after the free that queued them; one waits 117 lines.
      const late = s.purges.filter((p) => p.op !== p.trigger + 1);
      expect(late).to.have.length(1);
      expect(late[0]!.line).to.equal(6085);
    });

    it('seeds every version with a state equal to the before snapshot', () => {
      for (const name of versionNames()) {
        const a = getVersion(name).create(defaultEnv({ ncpu: 1 })) as VmapAllocator & { seed_areas(x: ReturnType<typeof seedAreas>): void };
        a.seed_areas(seedAreas(snapBefore));
        const c = compareWithInfo(a.snapshot(), snapBefore);
        expect([name, c.busy, c.lazy, c.lazyExact]).to.deep.equal([name, true, true, true]);
        expect(a.vmap_lazy_nr).to.equal(0);
      }
      for (const v of r.versions) expect(v.seededEqualsBefore, v.kernel).to.equal(true);
    });

    it('linux-6.12 places all 5000 allocations at the recorded address, matches all 20 purges and every nr_lazy', () => {
      const v = r.versions[0]!;
      expect(v.kernel).to.equal('linux-6.12');
      expect(v.matching).to.equal(true);
      expect(v.error).to.equal(null);
      expect([v.allocations, v.sameAddress, v.share]).to.deep.equal([5000, 5000, 1]);
      expect(v.firstDivergence).to.equal(null);
      expect([v.recordedPurges, v.purges, v.purgesMatched]).to.deep.equal([20, 20, 20]);
      expect(v.firstPurgeMismatch).to.equal(null);
      expect([v.nrLazyMatched, v.lazyFrees]).to.deep.equal([5000, 5000]);
      expect(v.unknownFrees).to.deep.equal([]);
      // The recorded flush ranges and counts, one by one.
      const recorded = trace.events.filter((e) => e.kind === 'purge_vmap_area_lazy');
      expect(v.emulatedPurges.map((p) => `${hex(p.start)}-${hex(p.end)} ${p.num_purged}`)).to.deep.equal(
        recorded.map((e) => (e.kind === 'purge_vmap_area_lazy' ? `${hex(e.start)}-${hex(e.end)} ${e.num_purged}` : '')),
      );
    });

    it('ends in the after snapshot: the same 86 busy areas and the same 74 unpurged ones', () => {
      const v = r.versions[0]!;
      const c = compareWithInfo(v.final!, snapAfter);
      expect([c.busy, c.lazy, c.lazyExact]).to.deep.equal([true, true, true]);
      expect(v.final!.areas.filter((a) => a.state === 'busy')).to.have.length(86);
      expect(v.final!.areas.filter((a) => a.state === 'lazy')).to.have.length(74);
    });

    it('with the drain run inline (not where the kworker ran) 6.12 parts at the one late purge', () => {
      const x = replayTracefs(trace, snapBefore, ['linux-6.12'], { cpus: 1, after: snapAfter, workTiming: 'inline' }).versions[0]!;
      expect([x.sameAddress, x.purgesMatched]).to.deep.equal([3037, 11]);
      expect(x.firstDivergence!.line).to.equal(5969);
      expect(x.firstDivergence!.reason).to.match(/^purge timing: 12 purge\(s\) before this op in the emulation against 11 recorded/);
    });

    it('gives one comparison row per other version', () => {
      expect(r.versions.map((v) => v.kernel)).to.deep.equal(['linux-6.12', ...versionNames().filter((n) => n !== 'linux-6.12')]);
      const by = new Map(r.versions.map((v) => [v.kernel, v]));
      // 6.1 and 5.2 purge inline in the free, so they part where the kworker was late.
      for (const k of ['linux-6.1', 'linux-5.2']) {
        const v = by.get(k)!;
        expect([v.allocations, v.sameAddress, v.purgesMatched, v.firstDivergence!.line], k).to.deep.equal([5000, 3037, 11, 5969]);
      }
      // The 2.6.x allocators keep a free page before each area: wrong from the first hole on.
      expect(by.get('linux-2.6.35')!.share).to.be.lessThan(0.01);
      for (const v of r.versions) {
        expect(v.error, v.kernel).to.equal(null);
        expect(v.touchesPerAlloc, v.kernel).to.be.greaterThan(0);
        expect(v.purges, v.kernel).to.be.greaterThan(0);
        expect(v.flushPagesMean, v.kernel).to.be.greaterThan(0);
      }
    });
  });

  describe('hand-made traces', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'vmapsim-tracefs-'));
    const header = (cpus: number) => ['# tracer: nop', '#', `# entries-in-buffer/entries-written: 9/9   #P:${cpus}`, '#'];
    const L = (task: string, cpu: number, ts: string, ev: string, f: string) => `${task.padStart(16)} [${String(cpu).padStart(3, '0')}] ..... ${ts}: ${ev}: ${f}`;
    const alloc = (task: string, cpu: number, ts: string, addr: ulong, pages: number, failed = 0) =>
      L(task, cpu, ts, 'alloc_vmap_area', `va_start: ${dec(addr)} size=${pages * P} align=1 vstart=0xffffc90000000000 vend=0xffffe8ffffffffff failed=${failed}`);
    const free = (task: string, cpu: number, ts: string, addr: ulong, nr: number, max: number) =>
      L(task, cpu, ts, 'free_vmap_area_noflush', `va_start=0x${hex(addr)} nr_lazy=${nr} nr_lazy_max=${max}`);
    const purge = (task: string, cpu: number, ts: string, s: ulong, e: ulong, n: number) => L(task, cpu, ts, 'purge_vmap_area_lazy', `start=0x${hex(s)} end=0x${hex(e)} num_purged=${n}`);
    /*
     * Before: busy [V, V+2P) (an irq stack) and one unpurged [V+2P, V+3P).
     * Two CPUs, lines of CPU 1 printed after CPU 0's but earlier in time:
     *   1.0 a V+3P 2 pages  (cpu 1)     [V+3P, V+5P)
     *   1.1 a V+5P 1 page   (cpu 0)     [V+5P, V+6P)
     *   1.2 free V+3P nr_lazy=1+2=3     (cpu 1)
     *   1.3 vm_unmap_aliases-style purge (cpu 0): [V+2P, V+5P), 2 areas
     *   1.4 a V+2P 3 pages  (cpu 0)     the purged hole [V+2P, V+5P)
     * linux-6.12 with two CPUs: two nodes; the allocation at 1.0 is full
     * range with several nodes, so node_alloc() tags it for the node of
     * its CPU, 1, and the explicit purge (vm_unmap_aliases: the pools are
     * kept) parks it in node 1's pool of 2-page areas: the 3-page request
     * at 1.4 (CPU 0, node 0's pools empty) cannot use [V+2P, V+5P) and
     * goes to V+6P.
     * With --cpus 1 (one node, no pools) it is the recorded V+2P.
     */
    const trace = [
      ...header(2),
      alloc('init-1', 0, '1.100000', V + 5 * P, 1),
      purge('sh-7', 0, '1.300000', V + 2 * P, V + 5 * P, 2),
      alloc('init-1', 0, '1.400000', V + 2 * P, 3),
      alloc('kthreadd-2', 1, '1.000000', V + 3 * P, 2),
      free('kthreadd-2', 1, '1.200000', V + 3 * P, 3, 16384),
    ].join('\n');
    const tf = join(tmp, 'hand.trace');
    writeFileSync(tf, trace + '\n');
    const bf = join(tmp, 'before.txt');
    writeFileSync(bf, ['0xffffc90000000000-0xffffc90000002000    8192 irq_init_percpu_irqstack+0xf4/0x130 vmap', '0xffffc90000002000-0xffffc90000003000    4096 unpurged vm_area', ''].join('\n'));

    it('replays events of several CPUs in timestamp order, with an explicit purge', () => {
      const t = parseTracefs(tf, readText(tf));
      const b = parseVmallocinfo(bf, readText(bf));
      const s = buildOps(t);
      expect(s.ops.map((o) => o.kind)).to.deep.equal(['a', 'a', 'l', 'p', 'a']);
      expect(s.purges.map((p) => p.cause)).to.deep.equal(['explicit']);
      const one = replayTracefs(t, b, ['linux-6.12', 'linux-6.1'], { cpus: 1 });
      for (const v of one.versions) {
        expect([v.kernel, v.sameAddress, v.allocations, v.purgesMatched, v.nrLazyMatched]).to.deep.equal([v.kernel, 3, 3, 1, 1]);
        expect(v.unknownFrees).to.deep.equal([]);
      }
      const two = replayTracefs(t, b, ['linux-6.12'], { cpus: 2 }).versions[0]!;
      expect(two.final).to.not.equal(null);
      expect(two.sameAddress).to.equal(2);
      expect(two.firstDivergence!.line).to.equal(7);
      expect(two.firstDivergence!.actual).to.contain('0xffffc90000006000');
    });

    it('reports a free of an address never allocated nor in the snapshot', () => {
      const f = join(tmp, 'unknown.trace');
      writeFileSync(f, [...header(1), free('init-1', 0, '1.0', V + 0x100 * P, 9, 8192)].join('\n'));
      const t = parseTracefs(f, readText(f));
      const b = parseVmallocinfo(bf, readText(bf));
      const v = replayTracefs(t, b, ['linux-6.12'], { cpus: 1 }).versions[0]!;
      expect(v.unknownFrees).to.deep.equal([{ line: 5, addr: 'ffffc90000100000' }]);
    });

    it('the command prints a table, or one JSON object per version, and takes --cpus over #P', () => {
      const r = vmapsim('replay', 'tracefs', tf, '--before', bf, '--kernel', 'linux-6.12,linux-6.1', '--json');
      expect(r.status, r.stderr).to.equal(1); // #P:2: linux-6.12 parts from the record (pools)
      const j = JSON.parse(r.stdout) as { kernel: string; allocations: number; sameAddress: number; share: number; purgesMatched: number; firstDivergence: unknown }[];
      expect(j.map((x) => x.kernel)).to.deep.equal(['linux-6.12', 'linux-6.1']);
      expect(j[0]).to.include({ allocations: 3, sameAddress: 2 });
      expect(j[0]!.firstDivergence).to.not.equal(null);
      for (const k of ['kernel', 'allocations', 'sameAddress', 'share', 'purgesMatched', 'firstDivergence', 'touchesPerAlloc', 'purges', 'flushPagesMean'])
        expect(j[1]).to.have.property(k);
      const t1 = vmapsim('replay', 'tracefs', tf, '--before', bf, '--cpus', '1');
      expect(t1.status, t1.stderr).to.equal(0);
      expect(t1.stdout).to.match(/linux-6\.12 \*\s+3\s+3\s+100\.00%/);
      expect(t1.stdout.split('\n').filter((l) => /^(linux|mmotm)-\S+( \*)?\s+\d/.test(l))).to.have.length(versionNames().length);
    });

    it('still takes the old spelling `replay --tracefs TRACE` for one release, with a one-line notice on stderr', () => {
      const r = vmapsim('replay', '--before', bf, '--tracefs', tf, '--cpus', '1');
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stderr.trim()).to.equal('vmapsim: `replay --tracefs TRACE` is deprecated and goes in the next release: use `vmapsim replay tracefs TRACE`');
      expect(r.stdout).to.equal(vmapsim('replay', 'tracefs', tf, '--before', bf, '--cpus', '1').stdout);
    });

    it('exits 2 with file:line on a malformed line', () => {
      const f = join(tmp, 'bad.trace');
      writeFileSync(f, [...header(1), alloc('init-1', 0, '1.0', V, 1).replace('failed=0', 'failed=')].join('\n'));
      const r = vmapsim('replay', 'tracefs', f, '--before', bf);
      expect(r.status).to.equal(2);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr.startsWith(`vmapsim: ${f}:5: alloc_vmap_area: fields do not match "va_start: %lu size=%lu align=%lu vstart=0x%lx vend=0x%lx failed=%d": va_start: 18446683600570023936 size=4096`)).to.equal(true);
      const b = join(tmp, 'bad-before.txt');
      writeFileSync(b, '0xffffc90000000000-0xffffc90000002000 4096 x\n');
      const r2 = vmapsim('replay', 'tracefs', tf, '--before', b);
      expect(r2.status).to.equal(2);
      expect(r2.stderr).to.contain(`${b}:1: size 4096 is not end - start`);
      const r3 = vmapsim('replay', 'tracefs', tf);
      expect(r3.status).to.equal(2);
    });
  });
});
