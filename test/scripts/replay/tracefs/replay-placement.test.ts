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
import { hex, type ulong } from '../../../../kernel/include/u64.js';
import { readText } from '../../../../scripts/lib/read-text.js';
import { parseTracefs } from '../../../../scripts/replay/tracefs/parse.js';
import { buildOps, orderLazyFrees, placePurges, replayTracefs } from '../../../../scripts/replay/tracefs/replay.js';
import { parseVmallocinfo } from '../../../../scripts/replay/tracefs/vmallocinfo.js';

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
    const v = replayTracefs(t, b, ['linux-7.3'], { cpus: 1 }).versions[0]!;
    expect([v.sameAddress, v.allocations, v.purgesMatched, v.nrLazyMatched]).to.deep.equal([4, 4, 1, 2]);
  });

  it('leaves a purge whose n oldest areas are exactly those lazy at its line where it is', () => {
    const t = write('inplace.trace', [alloc('1.0', V, 8193), free('1.1', V, 8193), purge('1.2', V, V + 8193 * P, 1), alloc('1.3', V, 1)]);
    const p = placePurges(t.events);
    expect(p.moved).to.deep.equal([]);
    expect(p.events.map((e) => e.line)).to.deep.equal([5, 6, 7, 8]);
  });
});

describe('tracefs replay: an allocation that chose its range before the purge printed ahead of it', function () {
  this.timeout(60000);
  const tmp = mkdtempSync(join(tmpdir(), 'vmapsim-inside-'));
  const max = (cpus: number) => 8192 * (cpus === 1 ? 1 : 2); // lazy_max_pages(): 32 MiB x fls(cpus)
  const L = (task: string, ts: string, ev: string, f: string) => `${task.padStart(16)} [000] ..... ${ts}: ${ev}: ${f}`;
  const alloc = (ts: string, addr: ulong, pages: number) =>
    L('init-1', ts, 'alloc_vmap_area', `va_start: ${dec(addr)} size=${pages * P} align=1 vstart=0xffffc90000000000 vend=0xffffe8ffffffffff failed=0`);
  const bf = join(tmp, 'before.txt');
  writeFileSync(bf, '\n');
  const B = (pages: number) => pages * P;
  /*
   * On CPU 0: A, 5 pages at V, and Big, max - 4 pages after it; both
   * freed lazily, Big's free queues the drain work (nr_lazy max + 1). The
   * kworker purges both (A goes to node 0's 5-page pool when there are two
   * nodes; Big, too big for a pool, back to the free tree) and prints;
   * then C's line (5 pages), then D's. `c` and `d` are the recorded
   * addresses of C and D.
   */
  const trace = (cpus: number, name: string, c: ulong, d: ulong) => {
    const big = max(cpus) - 4;
    const top = V + B(5 + big);
    const free = (ts: string, addr: ulong, nr: number) => L('init-1', ts, 'free_vmap_area_noflush', `va_start=0x${hex(addr)} nr_lazy=${nr} nr_lazy_max=${max(cpus)}`);
    const lines = [
      alloc('1.0', V, 5),
      alloc('1.1', V + B(5), big),
      free('1.2', V, 5),
      free('1.3', V + B(5), 5 + big),
      L('kworker/0:1-11', '1.4', 'purge_vmap_area_lazy', `start=0x${hex(V)} end=0x${hex(top)} num_purged=2`),
      alloc('1.5', c, 5),
      alloc('1.6', d, 5),
    ];
    const f = join(tmp, name);
    writeFileSync(f, ['# tracer: nop', '#', `# entries-in-buffer/entries-written: 7/7   #P:${cpus}`, '#', ...lines].join('\n') + '\n');
    return { t: parseTracefs(f, readText(f)), top };
  };
  const replay = (cpus: number, name: string, c: (top: ulong) => ulong, d: (top: ulong) => ulong) => {
    const top = V + B(5 + max(cpus) - 4);
    const { t } = trace(cpus, name, c(top), d(top));
    return replayTracefs(t, parseVmallocinfo(bf, readText(bf)), ['linux-7.3', 'linux-6.12'], { cpus }).versions;
  };

  it('at two CPUs, C took the free tree\'s lowest fit above the lazy areas while node 0\'s pool was empty, and D the area the purge pooled', () => {
    for (const v of replay(2, 'inside2.trace', (top) => top, () => V)) {
      expect([v.kernel, v.sameAddress, v.allocations, v.purgesMatched]).to.deep.equal([v.kernel, 4, 4, 1]);
      expect(v.purgesInsideAlloc).to.deep.equal([{ line: 9, alloc: 10 }]);
    }
  });

  it('at two CPUs, a C that the refilled pool served leaves the purge at its line', () => {
    for (const v of replay(2, 'after2.trace', () => V, () => V + B(5))) {
      expect([v.kernel, v.sameAddress, v.allocations, v.purgesMatched]).to.deep.equal([v.kernel, 4, 4, 1]);
      expect(v.purgesInsideAlloc).to.deep.equal([]);
    }
  });

  it('at one CPU (no pools), C above the lazy areas ran its search before the purge, D after it', () => {
    for (const v of replay(1, 'inside1.trace', (top) => top, () => V)) {
      expect([v.kernel, v.sameAddress, v.allocations, v.purgesMatched]).to.deep.equal([v.kernel, 4, 4, 1]);
      expect(v.purgesInsideAlloc).to.deep.equal([{ line: 9, alloc: 10 }]);
    }
  });

  it('at one CPU, a C at the lowest address the purge released leaves the purge at its line', () => {
    for (const v of replay(1, 'after1.trace', () => V, () => V + B(5))) {
      expect([v.kernel, v.sameAddress, v.allocations, v.purgesMatched]).to.deep.equal([v.kernel, 4, 4, 1]);
      expect(v.purgesInsideAlloc).to.deep.equal([]);
    }
  });
});

describe('tracefs replay: lazy frees of two tasks in the order their nr_lazy shows', function () {
  this.timeout(60000);
  const tmp = mkdtempSync(join(tmpdir(), 'vmapsim-frees-'));
  const L = (task: string, cpu: number, ts: string, ev: string, f: string) => `${task.padStart(16)} [00${cpu}] ..... ${ts}: ${ev}: ${f}`;
  const alloc = (task: string, cpu: number, ts: string, addr: ulong, pages: number) =>
    L(task, cpu, ts, 'alloc_vmap_area', `va_start: ${dec(addr)} size=${pages * P} align=1 vstart=0xffffc90000000000 vend=0xffffe8ffffffffff failed=0`);
  const free = (task: string, cpu: number, ts: string, addr: ulong, nr: number) => L(task, cpu, ts, 'free_vmap_area_noflush', `va_start=0x${hex(addr)} nr_lazy=${nr} nr_lazy_max=16384`);
  const write = (name: string, lines: string[]) => {
    const f = join(tmp, name);
    writeFileSync(f, ['# tracer: nop', '#', `# entries-in-buffer/entries-written: ${lines.length}/${lines.length}   #P:2`, '#', ...lines].join('\n') + '\n');
    return parseTracefs(f, readText(f));
  };

  /*
   * init-1 on CPU 0 frees A (5 pages) and prints nr_lazy=8 first; a
   * kworker on CPU 1 frees B (3 pages) and prints nr_lazy=3 after it: B
   * was added first (8 - 3 = A's 5 pages).
   */
  it('puts the free printed first after the next one when its nr_lazy exceeds the next one\'s by exactly its own pages', () => {
    const t = write('swap.trace', [
      alloc('init-1', 0, '1.0', V, 5),
      alloc('kworker/1:2-58', 1, '1.1', V + 5 * P, 3),
      free('init-1', 0, '1.2', V, 8),
      free('kworker/1:2-58', 1, '1.3', V + 5 * P, 3),
    ]);
    const o = orderLazyFrees(t.events);
    expect(o.swapped).to.deep.equal([7]);
    expect(o.events.map((e) => e.line)).to.deep.equal([5, 6, 8, 7]);
    const b = join(tmp, 'before.txt');
    writeFileSync(b, '\n');
    const v = replayTracefs(t, parseVmallocinfo(b, readText(b)), ['linux-7.3'], { cpus: 2 }).versions[0]!;
    expect([v.nrLazyMatched, v.lazyFrees]).to.deep.equal([2, 2]);
  });

  it('leaves them when the difference is not the first area\'s pages, or both are one task\'s', () => {
    const t = write('keep.trace', [
      alloc('init-1', 0, '1.0', V, 5),
      alloc('kworker/1:2-58', 1, '1.1', V + 5 * P, 3),
      free('init-1', 0, '1.2', V, 9),
      free('kworker/1:2-58', 1, '1.3', V + 5 * P, 3),
    ]);
    expect(orderLazyFrees(t.events).swapped).to.deep.equal([]);
    const u = write('same.trace', [alloc('init-1', 0, '1.0', V, 5), alloc('init-1', 0, '1.1', V + 5 * P, 3), free('init-1', 0, '1.2', V, 8), free('init-1', 1, '1.3', V + 5 * P, 3)]);
    expect(orderLazyFrees(u.events).swapped).to.deep.equal([]);
  });
});

describe('tracefs replay: an allocation that took a pooled area before the purge printed ahead of it decayed the pool', function () {
  this.timeout(60000);
  const tmp = mkdtempSync(join(tmpdir(), 'vmapsim-pooled-'));
  const MAX = 16384; // lazy_max_pages() at 2 CPUs
  const L = (task: string, ts: number, ev: string, f: string) => `${task.padStart(16)} [000] ..... ${(1 + ts / 1000).toFixed(6)}: ${ev}: ${f}`;
  const bf = join(tmp, 'before.txt');
  writeFileSync(bf, '\n');
  /*
   * On CPU 0: A1..A8, 5 pages each from V, and Big above them, freed
   * lazily (Big's free queues the drain work); the purge parks A1..A8 in
   * node 0's 5-page pool, A8 at its head (the purge list is in address
   * order, each added at the head). Big2 (MAX + 1 pages) is freed: the
   * next drain run decays a quarter of the pool (2 areas from its head,
   * A8 and A7) before it purges Big2. C and D, 5 pages each, print after
   * that purge line: `c` and `d` are their recorded addresses.
   */
  const replay = (name: string, c: ulong, d: ulong) => {
    const big = MAX - 39;
    let ts = 0;
    const lines: string[] = [];
    const alloc = (addr: ulong, pages: number) =>
      lines.push(L('init-1', ts++, 'alloc_vmap_area', `va_start: ${dec(addr)} size=${pages * P} align=1 vstart=0xffffc90000000000 vend=0xffffe8ffffffffff failed=0`));
    let nr = 0;
    const free = (addr: ulong, pages: number) => lines.push(L('init-1', ts++, 'free_vmap_area_noflush', `va_start=0x${hex(addr)} nr_lazy=${(nr += pages)} nr_lazy_max=${MAX}`));
    const purge = (s: ulong, e: ulong, n: number) => {
      lines.push(L('kworker/0:1-11', ts++, 'purge_vmap_area_lazy', `start=0x${hex(s)} end=0x${hex(e)} num_purged=${n}`));
      nr = 0;
    };
    for (let k = 0; k < 8; k++) alloc(V + 5 * k * P, 5);
    alloc(V + 40 * P, big);
    for (let k = 0; k < 8; k++) free(V + 5 * k * P, 5);
    free(V + 40 * P, big);
    purge(V, V + (40 + big) * P, 9);
    alloc(V + 40 * P, MAX + 1);
    free(V + 40 * P, MAX + 1);
    purge(V + 40 * P, V + (41 + MAX) * P, 1);
    alloc(c, 5);
    alloc(d, 5);
    const f = join(tmp, name);
    writeFileSync(f, ['# tracer: nop', '#', `# entries-in-buffer/entries-written: ${lines.length}/${lines.length}   #P:2`, '#', ...lines].join('\n') + '\n');
    return replayTracefs(parseTracefs(f, readText(f)), parseVmallocinfo(bf, readText(bf)), ['linux-7.3'], { cpus: 2 }).versions[0]!;
  };
  const A = (k: number) => V + 5 * (k - 1) * P;

  it('C took A8, the pool head, before the decay (line 26 runs inside line 27); D then takes A6, A7 having decayed', () => {
    const v = replay('pooled-inside.trace', A(8), A(6));
    expect([v.sameAddress, v.allocations, v.purgesMatched]).to.deep.equal([12, 12, 2]);
    expect(v.purgesInsideAlloc).to.deep.equal([{ line: 26, alloc: 27 }]);
  });

  it('C at A6, the head after the decay took A8 and A7, leaves the purge at its line', () => {
    const v = replay('pooled-after.trace', A(6), A(5));
    expect([v.sameAddress, v.allocations, v.purgesMatched]).to.deep.equal([12, 12, 2]);
    expect(v.purgesInsideAlloc).to.deep.equal([]);
  });
});
