// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { goldenDir } from '../../../scripts/lib/paths.js';
import { kernelContender } from '../../../scripts/check/contenders.js';
import { formatOp } from '../../../scripts/check/ops.js';
import { Side } from '../../../scripts/check/side.js';
import { DEFAULT_NOPS, makeGenerator, WORKLOADS, type WorkloadName } from '../../../scripts/check/workloads.js';

function generatedTrace(version: string, w: WorkloadName, seed: number): string[] {
  const side = new Side(kernelContender(version)!, 1);
  const g = makeGenerator(w, seed);
  for (let n = 0; n < DEFAULT_NOPS[w] && !side.bug; n++) {
    const op = g.next();
    const o = side.apply(op);
    if (op.k === 'a') g.allocated(o.result !== 'EBUSY' && o.result !== 'BUG');
  }
  return side.trace({ workload: w, seed }).split('\n').slice(13);
}

describe('the workload generators', () => {
  for (const w of WORKLOADS.filter((x) => x !== 'random'))
    for (const [version, seed] of [
      ['linux-3.18', 1],
      ['linux-2.6.35', 2],
    ] as const)
      it(`reproduce the golden ${version} ${w} s${seed} trace op for op, results and state included`, () => {
        const gold = gunzipSync(readFileSync(join(goldenDir(), `${version}.${w}.s${seed}.trace.gz`))).toString('utf8').split('\n').slice(13);
        const mine = generatedTrace(version, w, seed);
        expect(mine.length).to.equal(gold.length);
        for (let i = 0; i < gold.length; i++) if (mine[i] !== gold[i]) expect(`line ${i + 14}: ${mine[i]}`).to.equal(`line ${i + 14}: ${gold[i]}`);
      });

  it('only ever free an area that is live (the index is below the live count)', () => {
    for (const w of WORKLOADS) {
      const g = makeGenerator(w, 5);
      let live = 0;
      for (let n = 0; n < 2000; n++) {
        const op = g.next();
        if (op.k === 'a') {
          g.allocated(true);
          live++;
        } else if (op.k !== 'p') {
          expect(op.i, w).to.be.below(live);
          live--;
        }
      }
    }
  });

  it('draw the random workload CPU count from the seed, 1 to 8', () => {
    const counts = new Set(Array.from({ length: 40 }, (_x, s) => makeGenerator('random', s).ncpu));
    expect([...counts].every((c) => c >= 1 && c <= 8)).to.equal(true);
    expect(counts.size).to.be.greaterThan(3);
    expect(makeGenerator('random', 9).ncpu).to.equal(makeGenerator('random', 9).ncpu);
  });

  // No golden trace covers "random" and "pool-churn": their first 4,000 ops (every
  // 7th allocation failing) as the generators gave them before the one-class rewrite
  // (commit 80824d7), as a SHA-256 prefix of the formatted ops, with the CPU count.
  for (const [w, seed, ncpu, sha] of [
    ['random', 1, 5, '37f91819482d228f4b5492f32567ac99'],
    ['random', 7, 3, 'e27b104995a366005e022d27b632d64a'],
    ['pool-churn', 1, 4, '16112e00b2d4759fcad2a2eaa4a2ee62'],
    ['pool-churn', 3, 2, 'cb8e588cf7a16760240a8d6e832f1162'],
  ] as const)
    it(`give the ${w} s${seed} ops they gave before the one-class rewrite`, () => {
      const g = makeGenerator(w, seed);
      const out: string[] = [];
      for (let i = 0; i < 4000; i++) {
        const op = g.next();
        out.push(formatOp(op));
        if (op.k === 'a') g.allocated(i % 7 !== 3);
      }
      expect(g.ncpu).to.equal(ncpu);
      expect(createHash('sha256').update(out.join('\n')).digest('hex').slice(0, 32)).to.equal(sha);
    });
});
