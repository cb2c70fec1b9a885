// SPDX-License-Identifier: GPL-2.0-only
/*
 * Purge lines that print away from where they took effect (7.3's lazy
 * preemption, data/real-traces/README.md): placePurges() and the
 * replay on top of it, on hand-made one-CPU traces.
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hex, ulong } from '../../../../kernel/include/u64';
import { readText } from '../../../../scripts/lib/read-text';
import { parseTracefs } from '../../../../scripts/replay/tracefs/parse';
import { buildOps, placePurges, replayTracefs } from '../../../../scripts/replay/tracefs/replay';
import { parseVmallocinfo } from '../../../../scripts/replay/tracefs/vmallocinfo';

const V = -0x370000000000; // 0xffffc90000000000
const P = 0x1000;
const dec = (x: ulong) => BigInt.asUintN(64, BigInt(x)).toString();

describe('tracefs replay: purge lines placed where they took effect', function () {
  this.timeout(60000);
  const tmp = mkdtempSync(join(tmpdir(), 'vmapsim-placement-'));
  const header = ['# tracer: nop', '#', '# entries-in-buffer/entries-written: 9/9   #P:1', '#'];
  const L = (task: string, ts: string, ev: string, f: string) => `${task.padStart(16)} [000] ..... ${ts}: ${ev}: ${f}`;
  const alloc = (ts: string, addr: ulong, pages: number) =>
    L('init-1', ts, 'alloc_vmap_area', `va_start: ${dec(addr)} size=${pages * P} align=1 vstart=0xffffc90000000000 vend=0xffffe8ffffffffff failed=0`);
  const free = (ts: string, addr: ulong, nr: number) => L('init-1', ts, 'free_vmap_area_noflush', `va_start=0x${hex(addr)} nr_lazy=${nr} nr_lazy_max=8192`);
  const purge = (ts: string, s: ulong, e: ulong, n: number) => L('kworker/0:1-11', ts, 'purge_vmap_area_lazy', `start=0x${hex(s)} end=0x${hex(e)} num_purged=${n}`);
  const bf = join(tmp, 'before.txt');
  writeFileSync(bf, '\n');
  const write = (name: string, lines: string[]) => {
    const f = join(tmp, name);
    writeFileSync(f, [...header, ...lines].join('\n') + '\n');
    return parseTracefs(f, readText(f));
  };

  /*
   * A [V, V+8193P) and a barrier B [V+8193P, V+8194P). Freeing A makes
   * nr_lazy 8193 > 8192: the drain work is queued; the kworker releases A
   * but is preempted before its line; init-1 allocates C of 2 pages at V,
   * in A's space; then the purge line (line 9) prints. Applied at its line,
   * every version would put C above B (A still lazy). The allocation needs
   * the space: the purge goes before it (line 8).
   */
  it('moves a purge line before the allocation that reuses the space it released', () => {
    const t = write('early.trace', [
      alloc('1.0', V, 8193),
      alloc('1.1', V + 8193 * P, 1),
      free('1.2', V, 8193),
      alloc('1.3', V, 2),
      purge('1.4', V, V + 8193 * P, 1),
    ]);
    const p = placePurges(t.events);
    expect(p.events.map((e) => e.line)).to.deep.equal([5, 6, 7, 9, 8]);
    expect(p.moved).to.deep.equal([{ line: 9, by: -1, why: 'allocation' }]);
    expect(buildOps(t).ops.map((o) => o.kind)).to.deep.equal(['a', 'a', 'l', 'w', 'a']);
    const b = parseVmallocinfo(bf, readText(bf));
    for (const v of replayTracefs(t, b, ['linux-7.3', 'linux-6.12'], { cpus: 1 }).versions) {
      expect([v.kernel, v.sameAddress, v.purgesMatched]).to.deep.equal([v.kernel, 3, 1]);
    }
  });

  /*
   * D [V+8194P, V+8195P) freed (nr_lazy 1); then init-1 frees A: A joins
   * the lazy list and queues the work, but init-1 is preempted before its
   * line; the kworker purges A and D (2 areas, [V, V+8195P)) and prints
   * first (line 9); then A's free line (nr_lazy 8194, line 10). The purge
   * includes A: it goes after A's free line. Then E of 3 pages lands at V.
   */
  it('moves a purge line after the free line it includes', () => {
    const t = write('late.trace', [
      alloc('1.0', V, 8193),
      alloc('1.1', V + 8193 * P, 1),
      alloc('1.2', V + 8194 * P, 1),
      free('1.3', V + 8194 * P, 1),
      purge('1.4', V, V + 8195 * P, 2),
      free('1.5', V, 8194),
      alloc('1.6', V, 3),
    ]);
    const p = placePurges(t.events);
    expect(p.events.map((e) => e.line)).to.deep.equal([5, 6, 7, 8, 10, 9, 11]);
    expect(p.moved).to.deep.equal([{ line: 9, by: 1, why: 'later-free' }]);
    const s = buildOps(t);
    expect(s.ops.map((o) => o.kind)).to.deep.equal(['a', 'a', 'a', 'l', 'l', 'w', 'a']);
    expect(s.purges.map((x) => [x.cause, x.num_purged, x.nr_lazy])).to.deep.equal([['threshold', 2, 8194]]);
    const b = parseVmallocinfo(bf, readText(bf));
    const v = replayTracefs(t, b, ['linux-7.3'], { cpus: 1 }).versions[0];
    expect([v.sameAddress, v.allocations, v.purgesMatched, v.nrLazyMatched]).to.deep.equal([4, 4, 1, 2]);
  });

  it('leaves a purge whose n oldest areas are exactly those lazy at its line where it is', () => {
    const t = write('inplace.trace', [alloc('1.0', V, 8193), free('1.1', V, 8193), purge('1.2', V, V + 8193 * P, 1), alloc('1.3', V, 1)]);
    const p = placePurges(t.events);
    expect(p.moved).to.deep.equal([]);
    expect(p.events.map((e) => e.line)).to.deep.equal([5, 6, 7, 8]);
  });
});
