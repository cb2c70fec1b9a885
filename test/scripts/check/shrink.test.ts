// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { againstContender, kernelContender } from '../../../scripts/check/contenders.js';
import { runPair } from '../../../scripts/check/differential.js';
import { formatOp } from '../../../scripts/check/ops.js';
import { buildReport } from '../../../scripts/check/report.js';
import { shrinkDivergence } from '../../../scripts/check/shrink.js';
import { makeGenerator } from '../../../scripts/check/workloads.js';
import { parseGolden } from '../../../scripts/replay/golden-format.js';
import { replayGoldenTrace } from '../../../scripts/replay/golden.js';

function shrunk(kernel: string, against: string, workload: Parameters<typeof makeGenerator>[0], seed: number, filter: 'any' | 'bug' = 'any') {
  const A = kernelContender(kernel)!;
  const B = againstContender(against, kernel);
  const g = makeGenerator(workload, seed);
  const r = runPair(A, B, g.ncpu, g, 4000, { filter, record: false });
  expect(r.divergence, 'the campaign run diverges').to.not.equal(null);
  const s = shrinkDivergence(A, B, g.ncpu, r.ops, r.divergence!.signature, { filter });
  return { A, B, s, ncpu: g.ncpu };
}

const MMOTM_BUG = [
  'a 1000 1 ffffc90000000000 ffffe8ffffffffff',
  'a 1000 4000 ffffc90000000000 ffffe8ffffffffff',
  'a 3000 1 ffffc90000000000 ffffe8ffffffffff',
  'a 1000 1 ffffc90000007000 ffffe8ffffffffff',
];

describe('shrinking a divergence', () => {
  it('shrinks the mmotm BUG against linux-2.6.35 to four allocations', () => {
    const { s } = shrunk('mmotm-2010-vmap-cache-v1', 'linux-2.6.35', 'ioremap-align', 1);
    expect(s.ops.map(formatOp)).to.deep.equal(MMOTM_BUG);
    expect(s.run.divergence?.a?.bug).to.equal('alloc_vmap_area:412 first->va_start < addr');
  });

  it('shrinks the mmotm BUG against linux-2.6.39 (BUGs only) to the same four allocations', () => {
    const { s } = shrunk('mmotm-2010-vmap-cache-v1', 'linux-2.6.39', 'ioremap-align', 1, 'bug');
    expect(s.ops.map(formatOp)).to.deep.equal(MMOTM_BUG);
    expect(s.run.divergence?.b?.result).to.equal('ffffc9000000a000');
  });

  it('shrinks the first linux-2.6.39 / linux-2.6.35 difference to a hole that fits only without the page before the next area', () => {
    const { s } = shrunk('linux-2.6.39', 'linux-2.6.35', 'random-mixed', 1);
    expect(s.ops.map(formatOp)).to.deep.equal([
      'a 4000 1 ffffc90000000000 ffffe8ffffffffff',
      'a 1000 20000 ffffc90000000000 ffffe8ffffffffff',
      'a 6000 1 ffffc90000000000 ffffe8ffffffffff',
      'a 14000 1 ffffc90000000000 ffffe8ffffffffff',
    ]);
    expect([s.run.divergence?.a?.result, s.run.divergence?.b?.result]).to.deep.equal(['ffffc90000022000', 'ffffc9000000c000']);
  });

  it('shrinks the linux-3.18 cache miss (an exact-fit hole skipped because size == cached_hole_size) to seven ops', () => {
    const { s } = shrunk('linux-3.18', 'no-cache', 'random-mixed', 1);
    expect(s.ops.map(formatOp)).to.deep.equal([
      'a 1000 1 ffffc90000000000 ffffe8ffffffffff',
      'a 28000 1 ffffc90000000000 ffffe8ffffffffff',
      'a 1000 2000 ffffc90000000000 ffffe8ffffffffff',
      'f #0',
      'f #0',
      'a 2b000 1 ffffc90000000000 ffffe8ffffffffff',
      'a 2a000 1 ffffc90000000000 ffffe8ffffffffff',
    ]);
    expect([s.run.divergence?.a?.result, s.run.divergence?.b?.result]).to.deep.equal(['ffffc90000056000', 'ffffc90000000000']);
  });

  it('is deterministic: the same divergence shrinks to the same sequence', () => {
    const a = shrunk('linux-5.2', 'first-fit', 'ioremap-align', 1).s.ops.map(formatOp);
    const b = shrunk('linux-5.2', 'first-fit', 'ioremap-align', 1).s.ops.map(formatOp);
    expect(a).to.deep.equal(b);
    expect(a.length).to.be.below(10);
  });

  it("prints each side's run as a golden trace that replays on its own version without divergence", () => {
    for (const [k, b, w] of [
      ['mmotm-2010-vmap-cache-v1', 'linux-2.6.35', 'ioremap-align'],
      ['linux-2.6.39', 'linux-2.6.35', 'random-mixed'],
      ['linux-3.18', 'linux-6.1', 'random'],
    ] as const) {
      const { A, B, s, ncpu } = shrunk(k, b, w, 1);
      const rep = buildReport(A, B, { workload: w, seed: 1, ncpu }, s.ops, s.run.divergence!);
      for (const text of [rep.traceA, rep.traceB]) {
        const r = replayGoldenTrace(parseGolden('shrunk.trace', text));
        expect(r.divergence, text).to.equal(null);
      }
      expect(rep.branchA).to.be.a('string').and.not.equal('');
      expect(rep.mapA).to.contain('areas (');
    }
  });
});
