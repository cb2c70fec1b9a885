// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { parseShardArg, shardFromEnv } from '../../../scripts/check/shard.js';

describe('check --shard', () => {
  it('reads I/N and auto', () => {
    expect(parseShardArg('0/1')).to.deep.equal({ index: 0, count: 1 });
    expect(parseShardArg('3/4')).to.deep.equal({ index: 3, count: 4 });
    expect(parseShardArg('auto')).to.equal('auto');
    for (const bad of ['4/4', '1/0', '-1/2', '1', 'a/b', '1/2/3', 'AUTO', ''])
      expect(() => parseShardArg(bad), bad).to.throw(/^expected I\/N with 0 <= I < N \(e\.g\. 0\/4\), or auto, got/);
  });

  it('takes a Kubernetes indexed Job\'s index and the job spec\'s completions', () => {
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '0', JOB_COMPLETIONS: '2' })).to.deep.equal({ index: 0, count: 2 });
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '9', JOB_COMPLETIONS: '10' })).to.deep.equal({ index: 9, count: 10 });
  });

  it('takes a Slurm array task\'s id and count, from 0 or from SLURM_ARRAY_TASK_MIN', () => {
    expect(shardFromEnv({ SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4' })).to.deep.equal({ index: 3, count: 4 });
    expect(shardFromEnv({ SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '4' })).to.deep.equal({ index: 3, count: 4 });
    expect(shardFromEnv({ SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '4' })).to.deep.equal({ index: 0, count: 4 });
  });

  it('rejects bad values with one line naming the variable', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ JOB_COMPLETION_INDEX: '2', JOB_COMPLETIONS: '2' }, /^--shard auto: JOB_COMPLETION_INDEX=2 is not below JOB_COMPLETIONS=2$/],
      [{ JOB_COMPLETION_INDEX: 'one', JOB_COMPLETIONS: '2' }, /^--shard auto: JOB_COMPLETION_INDEX="one" is not a whole number$/],
      [{ JOB_COMPLETION_INDEX: '1.5', JOB_COMPLETIONS: '2' }, /^--shard auto: JOB_COMPLETION_INDEX="1\.5" is not a whole number$/],
      [{ JOB_COMPLETION_INDEX: '0' }, /^--shard auto: JOB_COMPLETIONS is not set$/],
      [{ JOB_COMPLETION_INDEX: '0', JOB_COMPLETIONS: '0' }, /^--shard auto: JOB_COMPLETIONS=0 must be at least 1$/],
      [{ SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '4' }, /^--shard auto: SLURM_ARRAY_TASK_ID=4 is not below SLURM_ARRAY_TASK_COUNT=4$/],
      [{ SLURM_ARRAY_TASK_ID: '2' }, /^--shard auto: SLURM_ARRAY_TASK_COUNT is not set$/],
      [{ SLURM_ARRAY_TASK_ID: 'x', SLURM_ARRAY_TASK_COUNT: '4' }, /^--shard auto: SLURM_ARRAY_TASK_ID="x" is not a whole number$/],
      [{ SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '4' }, /^--shard auto: SLURM_ARRAY_TASK_COUNT=3 but the array runs from 0 to 4: use a contiguous --array=0-2$/],
      [{ JOB_COMPLETION_INDEX: '0', JOB_COMPLETIONS: '2', SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '2' }, /^--shard auto: both JOB_COMPLETION_INDEX \(Kubernetes\) and SLURM_ARRAY_TASK_ID \(Slurm\) are set/],
      [{}, /^--shard auto: no shard in the environment: set JOB_COMPLETION_INDEX and JOB_COMPLETIONS \(Kubernetes indexed Job\) or SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT \(Slurm array\), or give --shard I\/N$/],
    ];
    for (const [env, re] of bad) expect(() => shardFromEnv(env), JSON.stringify(env)).to.throw(re);
  });
});
