// SPDX-License-Identifier: GPL-2.0-only
/*
 * The three scenarios of the 6.12 -> 7.3 changes, side by side. Every
 * expected value is derived by hand in the comments from the two kernels'
 * texts, not taken from a run.
 */
import { expect } from 'chai';
import { runMatrix } from '../../../scripts/run/runner.js';
import { nowaitVmalloc } from '../../../scripts/scenarios/nowait-vmalloc.js';
import { poolDecay } from '../../../scripts/scenarios/pool-decay.js';
import { vreallocInPlace } from '../../../scripts/scenarios/vrealloc-in-place.js';

const cellOf = (m: ReturnType<typeof runMatrix>, k: string, cpus: number) => m.cells.find((c) => c.kernel === k && c.cpus === cpus)?.result;
const V = 'ffffc90000000000';
const at = (pages: number) => (0xc90000000000 + pages * 0x1000).toString(16).padStart(12, '0').replace(/^/, 'ffff');

describe('the 6.12 -> 7.3 scenarios', () => {
  describe('pool-decay', () => {
    /*
     * Two 2-page areas at V and V+2P, a barrier at V+4P. 1 CPU: one node, no
     * pools: both purges return the areas to the free tree, merged into
     * [V, V+4P): lowest fit gives V, V+2P again on both kernels.
     * 2 CPUs: the first drain pools them in node 0's pool[1] (address order,
     * list_add at the head: V+2P first). The second drain decays:
     * 6.12 - len 2, n_decay 0 wraps: both to the free tree -> V, V+2P;
     * 7.3 - n_decay = 2 >> 2 = 0: the pool stays -> V+2P, then V.
     */
    const m = runMatrix(poolDecay, { kernels: ['linux-6.12', 'linux-7.3'], cpus: [1, 2], seed: 1, params: { pages: 2, n: 2 } });
    for (const [k, cpus, again] of [
      ['linux-6.12', 1, `${V} ${at(2)}`],
      ['linux-7.3', 1, `${V} ${at(2)}`],
      ['linux-6.12', 2, `${V} ${at(2)}`],
      ['linux-7.3', 2, `${at(2)} ${V}`],
    ] as const) {
      it(`${k} at ${cpus} CPU(s): the second round lands at ${again}`, () => {
        const r = cellOf(m, k, cpus);
        expect(r?.notes).to.include(`first: ${V} ${at(2)}`);
        expect(r?.notes).to.include(`again: ${again}`);
      });
    }

    /*
     * Four areas: from 4 on both kernels decay len >> 2 = 1 area (the head,
     * the highest address V+6P) and keep 3 in the pool: V+4P, V+2P, V in
     * pool order, then V+6P from the free tree (lowest fit: the only
     * 2-page hole left is [V+6P, V+8P)).
     */
    it('from four pooled areas on, 6.12 and 7.3 agree at 2 CPUs', () => {
      const m4 = runMatrix(poolDecay, { kernels: ['linux-6.12', 'linux-7.3'], cpus: [2], seed: 1, params: { pages: 2, n: 4 } });
      for (const k of ['linux-6.12', 'linux-7.3']) expect(cellOf(m4, k, 2)?.notes).to.include(`again: ${at(4)} ${at(2)} ${V} ${at(6)}`);
    });
  });

  describe('nowait-vmalloc', () => {
    /*
     * Range [V, V+16P): vmalloc(7 pages) twice fills it ([V, V+8P) and
     * [V+8P, V+16P), guard pages included); the first is vfree()d lazily.
     * __vmalloc(4 pages, GFP_NOWAIT) needs 5 pages: only [V, V+8P) would do,
     * and it is lazy. 6.12: the failed search reclaims (one purge, one
     * ranged flush, one IPI to the other CPU of two) and the retry gets V.
     * 7.3: no __GFP_DIRECT_RECLAIM, so the call fails with nothing purged;
     * the GFP_KERNEL call after it does the purge and gets V.
     */
    const m = runMatrix(nowaitVmalloc, { kernels: ['linux-6.12', 'linux-7.3'], cpus: [2], seed: 1, params: { range_pages: 16, pages: 4 } });
    it('linux-6.12: GFP_NOWAIT purges and succeeds', () => {
      const n = cellOf(m, 'linux-6.12', 2)?.notes;
      expect(n).to.include(`__vmalloc(4 pages, GFP_NOWAIT): ${V}; 1 purge(s), 1 flush(es), 1 IPI(s)`);
    });
    it('linux-7.3: GFP_NOWAIT fails without a purge; GFP_KERNEL purges and succeeds', () => {
      const n = cellOf(m, 'linux-7.3', 2)?.notes;
      expect(n).to.include('__vmalloc(4 pages, GFP_NOWAIT): NULL; 0 purge(s), 0 flush(es), 0 IPI(s)');
      expect(n).to.include(`__vmalloc(4 pages, GFP_KERNEL): ${V}; 1 purge(s), 1 flush(es), 1 IPI(s)`);
    });
  });

  describe('vrealloc-in-place', () => {
    /*
     * vmalloc(10000): 3 pages mapped, area [V, V+4P).
     * vrealloc(12288): 12288 <= 3 pages on both: in place.
     * vrealloc(5000): a shrink. 6.12: requested_size only, 3 pages stay.
     *   7.3: PAGE_ALIGN(5000) / 4096 = 2 < 3: nr_pages 2, vunmap_range of
     *   [V+2P, V+3P): one flush now (one IPI to the other CPU; with INVLPGB
     *   one broadcast and no IPI).
     * vrealloc(12000): 6.12: 12000 <= 12288 (the area less its guard): in
     *   place. 7.3: 12000 > 2 * 4096: vmalloc anew at V+4P (3 pages), old area
     *   vfree()d lazily (4 pages pending).
     * vrealloc(20000): beyond both: 6.12 moves to V+4P (5 pages, area
     *   [V+4P, V+10P)), 7.3 to V+8P; lazily freed pages: 4 (6.12: [V, V+4P))
     *   and 8 (7.3: [V, V+4P) and [V+4P, V+8P)).
     */
    const run = (invlpgb: boolean) => runMatrix(vreallocInPlace, { kernels: ['linux-6.12', 'linux-7.3'], cpus: [2], seed: 1, params: { bytes: 10000, sizes: '12288,5000,12000,20000', invlpgb } });
    const m = run(false);
    it('linux-6.12: in place three times, moved once, no flush', () => {
      expect(cellOf(m, 'linux-6.12', 2)?.notes).to.deep.equal([
        `vmalloc(10000) = ${V}, 3 page(s) mapped`,
        `vrealloc(12288) = ${V} in place, 3 page(s) mapped; 0 flush(es), 0 IPI(s), 0 INVLPGB`,
        `vrealloc(5000) = ${V} in place, 3 page(s) mapped; 0 flush(es), 0 IPI(s), 0 INVLPGB`,
        `vrealloc(12000) = ${V} in place, 3 page(s) mapped; 0 flush(es), 0 IPI(s), 0 INVLPGB`,
        `vrealloc(20000) = ${at(4)} moved, 5 page(s) mapped; 0 flush(es), 0 IPI(s), 0 INVLPGB`,
        'lazily freed pages pending: 4',
      ]);
    });
    it('linux-7.3 on qemu64 (no INVLPGB): the shrink frees a page and flushes at once with an IPI; the regrowth moves', () => {
      expect(cellOf(m, 'linux-7.3', 2)?.notes).to.deep.equal([
        `vmalloc(10000) = ${V}, 3 page(s) mapped`,
        `vrealloc(12288) = ${V} in place, 3 page(s) mapped; 0 flush(es), 0 IPI(s), 0 INVLPGB`,
        `vrealloc(5000) = ${V} in place, 2 page(s) mapped; 1 flush(es), 1 IPI(s), 0 INVLPGB`,
        `vrealloc(12000) = ${at(4)} moved, 3 page(s) mapped; 0 flush(es), 0 IPI(s), 0 INVLPGB`,
        `vrealloc(20000) = ${at(8)} moved, 5 page(s) mapped; 0 flush(es), 0 IPI(s), 0 INVLPGB`,
        'lazily freed pages pending: 8',
      ]);
    });
    it('linux-7.3 on a CPU with INVLPGB: the same flush as one broadcast, no IPI', () => {
      const n = cellOf(run(true), 'linux-7.3', 2)?.notes;
      expect(n).to.include(`vrealloc(5000) = ${V} in place, 2 page(s) mapped; 1 flush(es), 0 IPI(s), 1 INVLPGB`);
    });
  });
});
