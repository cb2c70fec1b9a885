// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { availableParallelism } from 'node:os';
import { type CampaignSpec, defaultJobs, RUNS_PER_JOB, runCampaign, runCampaignSync, shardRuns } from '../../../scripts/check/campaign.js';
import { instancesCreated } from '../../../kernel/mm/vmalloc/wasm/pool.js';

function spec(over: Partial<CampaignSpec>): CampaignSpec {
  return {
    kernel: 'linux-2.6.39',
    against: 'no-cache',
    workload: 'all',
    ops: 300,
    seed: 1,
    runs: 14,
    shard: { index: 0, count: 1 },
    jobs: 1,
    compareState: false,
    invariants: false,
    filter: 'any',
    keepGoing: false,
    ...over,
  };
}

describe('a check campaign', () => {
  it('splits runs across shards with no overlap and nothing left out', () => {
    const all = new Set<number>();
    for (let i = 0; i < 3; i++)
      for (const r of shardRuns(spec({ shard: { index: i, count: 3 } }))) {
        expect(all.has(r)).to.equal(false);
        all.add(r);
      }
    expect([...all].sort((a, b) => a - b)).to.deep.equal(shardRuns(spec({})));
  });

  it('gives shard results that merge into the whole campaign (operations add up)', () => {
    const whole = runCampaignSync(spec({}));
    const parts = [0, 1].map((i) => runCampaignSync(spec({ shard: { index: i, count: 2 } })));
    expect(parts[0]!.opsTried + parts[1]!.opsTried).to.equal(whole.opsTried);
    expect(whole.first).to.equal(null);
  });

  it('is deterministic and reports the lowest diverging run, with the ops before it counted', () => {
    const s = spec({ kernel: 'linux-2.6.39', against: 'linux-2.6.35', runs: 6 });
    const a = runCampaignSync(s);
    const b = runCampaignSync(s);
    expect(a).to.deep.equal(b);
    expect(a.first?.run).to.equal(0);
    expect(a.opsTried).to.equal(a.first!.divergedAt + 1);
  });

  it('gives the same result on worker threads as in one thread', async function () {
    this.timeout(60000);
    const s = spec({ kernel: 'mmotm-2010-vmap-cache-v1', against: 'linux-2.6.35', workload: 'ioremap-align', ops: 400, runs: 6 });
    const one = runCampaignSync(s);
    const two = await runCampaign({ ...s, jobs: 2 });
    expect(two.first).to.deep.equal(one.first);
    expect(two.opsTried).to.equal(one.opsTried);
  });

  it('gives every outcome of a keep-going campaign with this thread and two workers, as in one thread', async function () {
    this.timeout(60000);
    const s = spec({ kernel: 'linux-2.6.39', against: 'linux-3.18', workload: 'all', ops: 200, runs: 9, keepGoing: true });
    const one = runCampaignSync(s);
    const three = await runCampaign({ ...s, jobs: 3 });
    expect(three.outcomes).to.deep.equal(one.outcomes);
    expect(three.first).to.deep.equal(one.first);
    expect(three.opsTried).to.equal(one.opsTried);
  });

  it('stops at the lowest diverging run whichever job finds it (run 1 in the worker, run 2 in this thread)', async function () {
    this.timeout(60000);
    for (const [kernel, against, seed, run] of [
      ['linux-2.6.35', 'mmotm-2010-vmap-cache-v1', 1, 1],
      ['linux-3.18', 'no-cache', 4, 2],
    ] as const) {
      const s = spec({ kernel, against, ops: 300, runs: 6, seed });
      const one = runCampaignSync(s);
      expect(one.first?.run).to.equal(run);
      const two = await runCampaign({ ...s, jobs: 2 });
      expect(two.first).to.deep.equal(one.first);
      expect(two.opsTried).to.equal(one.opsTried);
    }
  });

  it(`takes one job per core by default, but no more than one per ${RUNS_PER_JOB} runs`, () => {
    expect(defaultJobs(1)).to.equal(1);
    expect(defaultJobs(10)).to.equal(1);
    expect(defaultJobs(RUNS_PER_JOB - 1)).to.equal(1);
    expect(defaultJobs(2 * RUNS_PER_JOB)).to.equal(Math.min(2, availableParallelism()));
    expect(defaultJobs(1024 * RUNS_PER_JOB)).to.equal(availableParallelism());
  });

  it('instantiates each wasm core once, not per run (each run hands its two instances to the next), with the divergences of fresh instances', () => {
    const before = [instancesCreated('linux-2.6.39'), instancesCreated('linux-3.18')];
    const r = runCampaignSync(spec({ kernel: 'linux-2.6.39@wasm', against: 'linux-3.18@wasm', runs: 20, ops: null, keepGoing: true }));
    const made = [instancesCreated('linux-2.6.39') - before[0]!, instancesCreated('linux-3.18') - before[1]!];
    expect(made[0]).to.be.at.most(1);
    expect(made[1]).to.be.at.most(1);
    // As the campaign gave with a new instance per side and run: commit 1f88598's `vmapsim check --kernel linux-2.6.39@wasm
    // --against linux-3.18@wasm --runs 20 --jobs 1 --keep-going --json`, whose "op" is 1-based.
    expect(r.opsTried).to.equal(69);
    expect(r.outcomes.map((o) => o.divergedAt)).to.deep.equal([1, 3, 3, 7, 1, 1, 1, 1, 1, 5, 4, 1, 1, 5, 2, 3, 5, 2, 1, 1]);
    expect(new Set(r.outcomes.map((o) => o.signature))).to.deep.equal(new Set(['result:addr/addr']));
  });

  for (const [k, b, expected] of [
    ['linux-2.6.39', 'no-cache', null],
    ['linux-3.18', 'no-cache', 'result:addr/addr'],
    ['linux-2.6.39', 'linux-2.6.39-nick-le', null],
    ['linux-6.1', 'first-fit', 'result:addr/addr'],
    ['linux-2.6.35', 'mmotm-2010-vmap-cache-v1', 'bug:addr/BUG'],
  ] as const)
    it(`runs a bounded CI campaign of ${k} against ${b}${expected ? ` and finds ${expected}` : ' without a divergence'}`, () => {
      const r = runCampaignSync(spec({ kernel: k, against: b, runs: 7, ops: 400, workload: b === 'first-fit' ? 'ioremap-align' : 'all', filter: k === 'linux-2.6.35' ? 'any' : 'any' }));
      if (expected === null) {
        expect(r.first?.signature ?? null).to.equal(null);
        expect(r.opsTried).to.be.greaterThan(1000);
      } else expect(r.first?.signature).to.equal(expected);
    });
});
