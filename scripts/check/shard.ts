// SPDX-License-Identifier: GPL-2.0-only
/*
 * Which shard of a campaign this process runs: `--shard I/N` names it,
 * `--shard auto` takes it from the environment a cluster scheduler sets
 * (docs/cluster.md has a complete job spec for each):
 *
 *   Kubernetes indexed Job:  JOB_COMPLETION_INDEX (set by Kubernetes) and
 *                            JOB_COMPLETIONS (set by the job spec to its
 *                            .spec.completions; Kubernetes has no variable
 *                            for it)
 *   Slurm job array:         SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT
 *                            (less SLURM_ARRAY_TASK_MIN when set, so
 *                            --array=1-N works as well as --array=0-N-1)
 *
 * A shard I/N takes the runs r with r mod N == I (scripts/check/campaign.ts),
 * so N shards together run exactly the runs of the unsharded campaign.
 */

export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** A bad shard: the message is one line, naming the option or variable. */
export class ShardError extends Error {}

/** `--shard I/N` or `--shard auto`. */
export function parseShardArg(v: string): Shard | 'auto' {
  if (v === 'auto') return 'auto';
  const m = /^([0-9]+)\/([0-9]+)$/.exec(v);
  if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2]) || !Number.isSafeInteger(Number(m[2])))
    throw new ShardError(`expected I/N with 0 <= I < N (e.g. 0/4), or auto, got "${v}"`);
  return { index: Number(m[1]), count: Number(m[2]) };
}

type Env = Readonly<Record<string, string | undefined>>;

function whole(env: Env, name: string, min: number): number {
  const v = env[name];
  if (v === undefined || v.trim() === '') throw new ShardError(`--shard auto: ${name} is not set`);
  if (!/^\s*[0-9]+\s*$/.test(v) || !Number.isSafeInteger(Number(v))) throw new ShardError(`--shard auto: ${name}="${v}" is not a whole number`);
  const n = Number(v);
  if (n < min) throw new ShardError(`--shard auto: ${name}=${n} must be at least ${min}`);
  return n;
}

function present(env: Env, name: string): boolean {
  return env[name] !== undefined && env[name] !== '';
}

/** The shard a scheduler's environment names; throws ShardError with one line otherwise. */
export function shardFromEnv(env: Env): Shard {
  const k8s = present(env, 'JOB_COMPLETION_INDEX');
  const slurm = present(env, 'SLURM_ARRAY_TASK_ID');
  if (k8s && slurm) throw new ShardError('--shard auto: both JOB_COMPLETION_INDEX (Kubernetes) and SLURM_ARRAY_TASK_ID (Slurm) are set: give --shard I/N');
  if (k8s) {
    const index = whole(env, 'JOB_COMPLETION_INDEX', 0);
    const count = whole(env, 'JOB_COMPLETIONS', 1);
    if (index >= count) throw new ShardError(`--shard auto: JOB_COMPLETION_INDEX=${index} is not below JOB_COMPLETIONS=${count}`);
    return { index, count };
  }
  if (slurm) {
    const id = whole(env, 'SLURM_ARRAY_TASK_ID', 0);
    const count = whole(env, 'SLURM_ARRAY_TASK_COUNT', 1);
    const min = present(env, 'SLURM_ARRAY_TASK_MIN') ? whole(env, 'SLURM_ARRAY_TASK_MIN', 0) : 0;
    if (present(env, 'SLURM_ARRAY_TASK_MAX')) {
      const max = whole(env, 'SLURM_ARRAY_TASK_MAX', 0);
      if (max - min + 1 !== count)
        throw new ShardError(`--shard auto: SLURM_ARRAY_TASK_COUNT=${count} but the array runs from ${min} to ${max}: use a contiguous --array=0-${count - 1}`);
    }
    if (id < min) throw new ShardError(`--shard auto: SLURM_ARRAY_TASK_ID=${id} is below SLURM_ARRAY_TASK_MIN=${min}`);
    const index = id - min;
    if (index >= count)
      throw new ShardError(`--shard auto: SLURM_ARRAY_TASK_ID=${id} is not below SLURM_ARRAY_TASK_COUNT=${count}${min ? ` (from SLURM_ARRAY_TASK_MIN=${min})` : ''}`);
    return { index, count };
  }
  throw new ShardError(
    '--shard auto: no shard in the environment: set JOB_COMPLETION_INDEX and JOB_COMPLETIONS (Kubernetes indexed Job) or SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (Slurm array), or give --shard I/N',
  );
}

/** `--shard`'s value resolved: as given, or from the environment. */
export function resolveShard(v: Shard | 'auto', env: Env = process.env): Shard {
  return v === 'auto' ? shardFromEnv(env) : v;
}
