// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type CliResult, vmapsimBatch } from '../../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

// Two kinds of divergence: addresses differ in runs 0, 2, 3, 5, 7, 8, 9; mmotm BUGs in runs 1 and 6.
// With two shards, the lowest run of each kind is in a different shard.
const CAMPAIGN = ['check', '--kernel', 'mmotm-2010-vmap-cache-v1', '--against', 'linux-2.6.39', '--runs', '10', '--ops', '800', '--keep-going', '--jobs', '1', '--json'];

interface Out {
  runsTried: number;
  opsTried: number;
  divergingRuns: { run: number; signature: string }[];
  divergences: { kind: string; signature: string; runs: number[]; ops: string[] }[];
}

describe('vmapsim check --shard auto and check merge', function () {
  this.timeout(120000);
  const dir = mkdtempSync(join(tmpdir(), 'vmapsim-shards-'));
  let whole: CliResult;
  let shards: CliResult[];
  const files = [0, 1].map((i) => join(dir, `shard-${i}.json`));

  // The unsharded campaign and the two shards of a simulated Kubernetes indexed Job, in one child
  // process (test/helpers/cli-batch.ts); every test below reads them, so each runs alone too (-g).
  before(() => {
    [whole, ...shards] = vmapsimBatch([{ args: CAMPAIGN }, ...[0, 1].map((i) => ({ args: [...CAMPAIGN, '--shard', 'auto'], env: { JOB_COMPLETION_INDEX: String(i), JOB_COMPLETIONS: '2' } }))]) as [CliResult, ...CliResult[]];
    for (const [i, f] of files.entries()) writeFileSync(f, shards[i]!.stdout);
  });

  it('two shards of a simulated Kubernetes indexed Job, merged, give the divergences of one unsharded run', () => {
    expect(whole.status, whole.stderr).to.equal(1);
    for (const [i, r] of shards.entries()) {
      expect(r.status, r.stderr).to.equal(1);
      expect((JSON.parse(r.stdout) as { shard: string }).shard).to.equal(`${i}/2`);
    }
    const [merged, text] = vmapsimBatch([{ args: ['check', 'merge', '--json', files[1]!, files[0]!] }, { args: ['check', 'merge', ...files] }]) as [CliResult, CliResult];
    expect(merged.status, merged.stderr).to.equal(1);
    const w = JSON.parse(whole.stdout) as Out;
    const m = JSON.parse(merged.stdout) as Out & { shards: { shard: string }[]; opsPerSecond: number };
    // the campaign as this test knows it
    expect(w.runsTried).to.equal(10);
    expect(w.divergences.map((d) => [d.kind, d.runs])).to.deep.equal([
      ['result', [0, 2, 3, 5, 7, 8, 9]],
      ['bug', [1, 6]],
    ]);
    // the merge gives the same
    expect(m.shards.map((s) => s.shard)).to.deep.equal(['0/2', '1/2']);
    expect(m.runsTried).to.equal(w.runsTried);
    expect(m.opsTried).to.equal(w.opsTried);
    expect(m.divergingRuns).to.deep.equal(w.divergingRuns);
    expect(m.divergences).to.deep.equal(w.divergences);
    expect(m.opsPerSecond).to.be.greaterThan(0);
    // and the text report names both kinds with their first runs
    expect(text.status).to.equal(1);
    expect(text.stdout).to.contain('2 shards merged: ');
    expect(text.stdout).to.match(/DIVERGENCE \(result\): result:addr\/addr\n {2}first in run 0 \(seed 1, workload random-mixed, op \d+\); 7 runs of this kind: 0, 2, 3, 5, 7, 8, 9/);
    expect(text.stdout).to.match(/DIVERGENCE \(bug\): bug:BUG\/addr\n {2}first in run 1 \(seed 2, workload ioremap-align, op \d+\); 2 runs of this kind: 1, 6/);
  });

  it('a Slurm array shard is the same shard as --shard I/N', () => {
    const [a, b] = vmapsimBatch([{ args: [...CAMPAIGN, '--shard', 'auto'], env: { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '3' } }, { args: [...CAMPAIGN, '--shard', '1/3'] }]) as [CliResult, CliResult];
    expect(a.status, a.stderr).to.equal(b.status);
    const strip = (s: string) => ({ ...(JSON.parse(s) as object), seconds: 0 });
    expect(strip(a.stdout)).to.deep.equal(strip(b.stdout));
    expect((JSON.parse(a.stdout) as { shard: string }).shard).to.equal('1/3');
  });

  it('bad scheduler values and bad merges: one line naming the variable or file, exit 2', () => {
    const bad: [string[], Record<string, string>, RegExp][] = [
      [[...CAMPAIGN, '--shard', 'auto'], { JOB_COMPLETION_INDEX: '2', JOB_COMPLETIONS: '2' }, /^vmapsim: --shard auto: JOB_COMPLETION_INDEX=2 is not below JOB_COMPLETIONS=2$/],
      [[...CAMPAIGN, '--shard', 'auto'], { JOB_COMPLETION_INDEX: 'zero', JOB_COMPLETIONS: '2' }, /^vmapsim: --shard auto: JOB_COMPLETION_INDEX="zero" is not a whole number$/],
      [[...CAMPAIGN, '--shard', 'auto'], { JOB_COMPLETION_INDEX: '0' }, /^vmapsim: --shard auto: JOB_COMPLETIONS is not set$/],
      [[...CAMPAIGN, '--shard', 'auto'], { SLURM_ARRAY_TASK_ID: '1' }, /^vmapsim: --shard auto: SLURM_ARRAY_TASK_COUNT is not set$/],
      [[...CAMPAIGN, '--shard', 'auto'], {}, /^vmapsim: --shard auto: no shard in the environment/],
      [['check', 'merge', join(dir, 'shard-0.json')], {}, /^vmapsim: check merge: shard 1\/2 missing \(1 of 2 given\)$/],
      [['check', 'merge', join(dir, 'shard-0.json'), join(dir, 'shard-0.json')], {}, /shard-0\.json: shard 0\/2 is also .*shard-0\.json$/],
      [['check', 'merge', join(ROOT, 'package.json')], {}, /package\.json: not the output of vmapsim check --json \(no "kernel"\)$/],
    ];
    // One child process for all (the CLI loaded from its sources once): each case only rejects its input.
    const results = vmapsimBatch(bad.map(([args, env]) => ({ args, env })));
    for (const [i, [args, env, re]] of bad.entries()) {
      const r = results[i]!;
      expect(r.status, `${args.join(' ')} ${JSON.stringify(env)}: ${r.stderr}`).to.equal(2);
      expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
      expect(r.stderr.trim()).to.match(re);
      expect(r.stdout).to.equal('');
    }
  });
});
