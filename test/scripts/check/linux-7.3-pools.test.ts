// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vmapsim check --kernel linux-7.3 --against linux-6.12 --workload
 * pool-churn`: the shrunk counterexample of docs/findings.md section 12,
 * with the placements derived by hand from decay_va_pool_node() of both
 * texts, and the workloads on which the two must agree.
 */
import { expect } from 'chai';
import { hex } from '../../../kernel/include/u64.js';
import { kernelContender } from '../../../scripts/check/contenders.js';
import { runPair } from '../../../scripts/check/differential.js';
import { type CheckOp, VE, VS } from '../../../scripts/check/ops.js';
import { makeGenerator } from '../../../scripts/check/workloads.js';

const P = 0x1000;
const a = (bytes: number): CheckOp => ({ k: 'a', size: bytes, align: 1, vstart: VS, vend: VE });
const l = (i: number): CheckOp => ({ k: 'l', i });

/*
 * Two CPUs: two vmap nodes, lazy_max_pages() = fls(2) * 8192 = 16384; every
 * request is full-range from CPU 0, so every area carries node 0's id.
 *  1  A = 1 page at VS                     6  l D: nr_lazy 1 + 16384 > 16384:
 *  2  l A (nr_lazy 1)                         purge 1: A -> node 0 pool[0]
 *  3  B = 16381 pages at VS+1P                (len 1), D (too big) -> free tree
 *  4  C = 2 pages at VS+0x3ffe000          7  l B, 8 l C (nr_lazy 16383)
 *  5  D = 16384 pages at VS+0x4000000      9  E = 2 pages: pool[1] empty, lowest
 *                                             fit VS+0x4000000 (A is pooled)
 * 10  l E: nr_lazy 16385: purge 2. Its decay meets pool[0] with len 1:
 *     6.12: n_decay = 0, pre-decremented unsigned, wraps: A -> free tree,
 *     merged with B's purged space into [1, VS+0x3ffe000);
 *     7.3: n_decay = 1 >> 2 = 0: nothing decays, A stays pooled.
 * 11  3 pages (no pool of that size): lowest fit: 6.12 VS, 7.3 VS+1P.
 */
const CASE: CheckOp[] = [a(P), l(0), a(0x3ffd000), a(0x2000), a(0x4000000), l(2), l(0), l(0), a(0x2000), l(0), a(0x3000)];

describe('linux-7.3 against linux-6.12 under vmapsim check', () => {
  const A = kernelContender('linux-7.3');
  const B = kernelContender('linux-6.12');
  if (!A || !B) throw new Error('contenders missing');

  it('the shrunk pool-churn counterexample: 11 ops, 7.3 keeps a 1-area pool through a non-full purge', () => {
    const r = runPair(A, B, 2, CASE, CASE.length, { record: false });
    expect(r.divergence?.index).to.equal(10);
    expect(r.divergence?.kind).to.equal('result');
    expect([r.divergence?.a?.result, r.divergence?.b?.result]).to.deep.equal([hex(VS + P), hex(VS)]);
  });

  it('the same ops agree at one CPU: one node, no pools', () => {
    expect(runPair(A, B, 1, CASE, CASE.length, { record: false }).divergence).to.equal(null);
  });

  it('agree on the golden workloads (one CPU, blocking requests), 2 seeds each', () => {
    for (const w of ['random-mixed', 'ioremap-align', 'tiny-window', 'top-of-space', 'lazy-churn', 'fixed-busy-list'] as const)
      for (const seed of [1, 2]) {
        const g = makeGenerator(w, seed);
        expect(runPair(A, B, g.ncpu, g, 4000, { record: false }).divergence, `${w} s${seed}`).to.equal(null);
      }
  });
});
