// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { ParamError, parseParams } from '../../../scripts/run/params.js';
import { runMatrix } from '../../../scripts/run/runner.js';
import { toJson } from '../../../scripts/report/table.js';
import { vmallocLoop } from '../../../scripts/scenarios/vmalloc-loop.js';

const matrix = (kernels: string[], cpus: number[], words: string[], seed = 1) =>
  runMatrix(vmallocLoop, { kernels, cpus, seed, params: parseParams(vmallocLoop.name, vmallocLoop.params, ['boot=false', 'checker=false', ...words]) });
const cell = (kernel: string, cpus: number, words: string[], seed = 1) => matrix([kernel], [cpus], words, seed).cells[0]!.result;

describe('the vmalloc-loop scenario', () => {
  it('purges every 129 frees of 64 lazy pages on one CPU (lazy_max_pages() = 8192), with no IPIs', () => {
    const r = cell('linux-6.1', 1, ['pages=63', 'iterations=800']);
    expect(r.figures.purges).to.equal(6);
    expect(r.figures.ipisSent).to.equal(0);
    expect(r.notes).to.include('lazy_max_pages() = 8192; 6 lazy purges during the loop (one per 133.3 iterations, 129.0 areas each, 0.0 IPIs each)');
  });

  it('purges 385 areas at a time on 4 CPUs (crossing 24576 at the 385th free of 64 pages; the kworker runs as that vfree returns), 3 IPIs per purge', () => {
    const r = cell('linux-6.1', 4, ['pages=63', 'iterations=800']);
    expect(r.figures.purges).to.equal(2);
    expect(r.figures.ipisSent).to.equal(6);
    expect(r.figures.fullFlushes).to.equal(8);
    expect(r.notes).to.include('lazy_max_pages() = 24576; 2 lazy purges during the loop (one per 400.0 iterations, 385.0 areas each, 3.0 IPIs each)');
  });

  it('writes every page of every area through the MMU (one TLB fill per page, nothing stale)', () => {
    const r = cell('linux-6.1', 1, ['pages=8', 'iterations=50', 'checker=true']);
    expect(r.figures.tlbMisses).to.equal(8 * 50);
    expect(r.figures.checkerReports).to.equal(0);
  });

  it('flushes at every vm_unmap_aliases() of a vm_map_ram loop, one IPI each on 2 CPUs', () => {
    const r = cell('linux-6.1', 2, ['api=vm_map_ram', 'pages=4', 'iterations=100', 'unmap_aliases_every=10']);
    expect(r.counters?.flushes.flush_tlb_kernel_range).to.equal(10);
    expect(r.figures.ipisSent).to.equal(10);
  });

  /*
   * _vm_unmap_aliases() holds vmap_purge_lock across its purge (6.1 on);
   * when the API layer left the mutex out, two CPUs' vm_unmap_aliases()
   * purged the same nodes at once and 6.12's __purge_vmap_area_lazy threw
   * a TypeError (a purge list emptied under it).
   */
  for (const kernel of ['linux-6.1', 'linux-6.12', 'linux-7.3'])
    it(`serialises concurrent vm_unmap_aliases() on vmap_purge_lock (${kernel}, a vm_map_ram loop per CPU)`, function () {
      this.timeout(300000);
      const r = cell(kernel, 2, ['api=vm_map_ram', 'threads=true', 'unmap_aliases_every=50', 'pool=40', 'iterations=1000']);
      expect(r.figures.failedAllocations).to.equal(0);
      expect((r.notes ?? []).find((n) => n.includes('lock waits:'))).to.match(/vmap_purge_lock \d+ contended/);
    });

  it('runs vmap and ioremap loops, and one loop per CPU with threads=true', () => {
    expect(cell('linux-3.18', 1, ['api=vmap', 'iterations=20']).figures.allocations).to.equal(20);
    expect(cell('linux-6.12', 1, ['api=ioremap', 'iterations=20']).figures.failedAllocations).to.equal(0);
    const t = cell('linux-6.1', 2, ['iterations=30', 'threads=true']);
    expect(t.figures.allocations).to.equal(60);
  });

  it('keeps a pool of live areas of random sizes and a busy list', () => {
    const r = cell('linux-2.6.35', 1, ['pool=20', 'busy=100', 'pages=8', 'iterations=50']);
    expect(r.figures.allocations).to.equal(20 + 50);
    expect(r.figures.touchesPerAlloc.mean).to.be.greaterThan(100); // 2.6.35 walks past the busy list
  });

  it('gives byte-identical JSON for the same seed', () => {
    const w = ['pool=10', 'pages=16', 'iterations=60', 'boot=true'];
    const a = JSON.stringify(toJson(matrix(['linux-6.1'], [2], w, 3)));
    expect(JSON.stringify(toJson(matrix(['linux-6.1'], [2], w, 3)))).to.equal(a);
    expect(JSON.stringify(toJson(matrix(['linux-6.1'], [2], w, 4)))).to.not.equal(a);
  });

  it('rejects a bad parameter with one line naming it and the accepted values', () => {
    expect(() => parseParams('vmalloc-loop', vmallocLoop.params, ['api=kmalloc'])).to.throw(ParamError, 'vmalloc-loop: parameter api=kmalloc: expected one of vmalloc, vmap, vm_map_ram, ioremap');
    expect(() => parseParams('vmalloc-loop', vmallocLoop.params, ['pages=0'])).to.throw(ParamError, 'vmalloc-loop: parameter pages=0: expected a whole number from 1 to 4096');
  });

  it('runs paging=5 on linux-6.1@wasm in the 5-level vmalloc range with the purge cadence of the 4-level port (129 frees of 64 pages)', () => {
    const m = matrix(['linux-6.1', 'linux-6.1@wasm'], [1], ['pages=63', 'iterations=800', 'paging=5']);
    const [port, core] = m.cells.map((c) => c.result);
    expect(core!.notes).to.include('5-level paging; vmalloc range 0xffa0000000000000..0xffd1ffffffffffff');
    expect(port!.notes).to.include('5-level paging; vmalloc range 0xffffc90000000000..0xffffe8ffffffffff');
    expect(core!.figures.purges).to.equal(6);
    expect(core!.figures).to.deep.equal(port!.figures);
  });

  for (const version of ['linux-5.2', 'linux-6.12', 'linux-7.3']) {
    it(`runs paging=5 on ${version}@wasm in the 5-level vmalloc range (0xffa0000000000000 up), with the figures of the 4-level port`, () => {
      const m = matrix([version, `${version}@wasm`], [2], ['pages=63', 'iterations=800', 'paging=5']);
      const [port, core] = m.cells.map((c) => c.result);
      expect(core!.notes).to.include('5-level paging; vmalloc range 0xffa0000000000000..0xffd1ffffffffffff');
      expect(port!.notes).to.include('5-level paging; vmalloc range 0xffffc90000000000..0xffffe8ffffffffff');
      expect(core!.bug).to.equal(undefined);
      expect(core!.figures.allocations).to.equal(800);
      expect(core!.figures).to.deep.equal(port!.figures);
    });
  }
});
