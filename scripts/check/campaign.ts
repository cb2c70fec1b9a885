// SPDX-License-Identifier: GPL-2.0-only
/*
 * A differential campaign: R runs (run r uses seed S + r and, with
 * `--workload all`, the workload WORKLOADS[r mod 7]), split into shards
 * (`--shard I/N` takes the runs with r mod N == I, so shards never overlap
 * and their results merge by summing operations and taking the lowest
 * diverging run), and inside a shard across worker threads.
 *
 * Determinism: the reported divergence is the one in the lowest-numbered
 * run that diverges, and "operations tried" counts the runs before it in
 * full plus its ops up to the divergence, whatever the thread timing.
 */

import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { againstContender, kernelContender } from './contenders.js';
import { loadedKernelFiles } from '../lib/load-kernel.js';
import { type DivergenceFilter, runPair } from './differential.js';
import { DEFAULT_NOPS, makeGenerator, type WorkloadName, WORKLOADS } from './workloads.js';

export interface CampaignSpec {
  readonly kernel: string;
  readonly against: string;
  /** A workload, or "all" to cycle through the seven. */
  readonly workload: WorkloadName | 'all';
  /** Ops per run; null = the workload's default nops. */
  readonly ops: number | null;
  readonly seed: number;
  readonly runs: number;
  readonly shard: { readonly index: number; readonly count: number };
  readonly jobs: number;
  readonly compareState: boolean;
  readonly invariants: boolean;
  readonly filter: DivergenceFilter;
  /** Go on after a divergence (every run is tried; divergences are tallied by signature). */
  readonly keepGoing: boolean;
}

/** What one run gave. */
export interface RunOutcome {
  readonly run: number;
  readonly workload: WorkloadName;
  readonly seed: number;
  readonly ncpu: number;
  readonly opsRun: number;
  /** 0-based op index of the divergence, or -1. */
  readonly divergedAt: number;
  readonly signature: string | null;
  readonly bothBugged: boolean;
}

export interface CampaignResult {
  readonly spec: CampaignSpec;
  /** Runs of this shard that were tried, in run order. */
  readonly outcomes: RunOutcome[];
  /** Operations tried (see the determinism note above). */
  readonly opsTried: number;
  /** The lowest diverging run, or null. */
  readonly first: RunOutcome | null;
}

export function runWorkload(spec: CampaignSpec, run: number): WorkloadName {
  return spec.workload === 'all' ? WORKLOADS[run % WORKLOADS.length]! : spec.workload;
}

export function runSeed(spec: CampaignSpec, run: number): number {
  return spec.seed + run;
}

/** The runs of this shard, in order. */
export function shardRuns(spec: Pick<CampaignSpec, 'runs' | 'shard'>): number[] {
  const out: number[] = [];
  for (let r = spec.shard.index; r < spec.runs; r += spec.shard.count) out.push(r);
  return out;
}

/** Run one run of the campaign (generator online, both sides). */
export function runOne(spec: CampaignSpec, run: number): RunOutcome {
  const A = kernelContender(spec.kernel);
  if (!A) throw new Error(`--kernel: unknown "${spec.kernel}"`);
  const B = againstContender(spec.against, spec.kernel);
  const workload = runWorkload(spec, run);
  const seed = runSeed(spec, run);
  const g = makeGenerator(workload, seed);
  const nops = spec.ops ?? DEFAULT_NOPS[workload];
  const r = runPair(A, B, g.ncpu, g, nops, { compareState: spec.compareState, invariants: spec.invariants, filter: spec.filter, record: false });
  const outcome: RunOutcome = {
    run,
    workload,
    seed,
    ncpu: g.ncpu,
    opsRun: r.opsRun,
    divergedAt: r.divergence ? r.divergence.index : -1,
    signature: r.divergence ? r.divergence.signature : null,
    bothBugged: r.bothBugged,
  };
  // Nothing of the run's sides is read again (a report regenerates the run): their wasm instances serve the next run.
  r.sideA.release();
  r.sideB.release();
  return outcome;
}

/** Regenerate a run's op list up to its divergence (for shrinking). */
export function regenerate(spec: CampaignSpec, run: number) {
  const A = kernelContender(spec.kernel);
  if (!A) throw new Error(`--kernel: unknown "${spec.kernel}"`);
  const B = againstContender(spec.against, spec.kernel);
  const workload = runWorkload(spec, run);
  const g = makeGenerator(workload, runSeed(spec, run));
  const r = runPair(A, B, g.ncpu, g, spec.ops ?? DEFAULT_NOPS[workload], {
    compareState: spec.compareState,
    invariants: spec.invariants,
    filter: spec.filter,
    record: false,
  });
  return { A, B, ncpu: g.ncpu, workload, seed: runSeed(spec, run), result: r };
}

function summarise(spec: CampaignSpec, outcomes: RunOutcome[]): CampaignResult {
  outcomes.sort((x, y) => x.run - y.run);
  let ops = 0;
  let first: RunOutcome | null = null;
  const kept: RunOutcome[] = [];
  for (const o of outcomes) {
    if (first && !spec.keepGoing) break;
    kept.push(o);
    ops += o.opsRun;
    if (o.divergedAt >= 0 && !first) first = o;
  }
  return { spec, outcomes: kept, opsTried: ops, first };
}

/** The whole campaign in this thread. */
export function runCampaignSync(spec: CampaignSpec, onRun?: (o: RunOutcome) => void): CampaignResult {
  const outcomes: RunOutcome[] = [];
  for (const r of shardRuns(spec)) {
    const o = runOne(spec, r);
    outcomes.push(o);
    onRun?.(o);
    if (o.divergedAt >= 0 && !spec.keepGoing) break;
  }
  return summarise(spec, outcomes);
}

/**
 * Runs a job should have before another thread pays: a worker thread loads
 * the check modules and the cores and warms up its JIT, about a quarter of a
 * second here (docs/performance.md, "Campaign jobs"), the time of some 25
 * runs of a walk-era pair; 50 keeps a worker busy at least twice that.
 */
export const RUNS_PER_JOB = 50;

/** `--jobs` by default: one per core, at most one per RUNS_PER_JOB runs of the shard (so a short campaign stays in this thread). */
export function defaultJobs(runs: number): number {
  return Math.max(1, Math.min(availableParallelism(), Math.floor(runs / RUNS_PER_JOB)));
}

/**
 * One job's runs in order (a worker's, or this thread's share): each outcome
 * is emitted as it comes. Without keepGoing, a job stops past the lowest run
 * known to diverge (`stop`, shared by the jobs) and lowers it when one of its
 * own runs diverges.
 */
export function runShare(spec: CampaignSpec, runs: readonly number[], stop: Int32Array, emit: (o: RunOutcome) => void): void {
  for (const r of runs) {
    if (!spec.keepGoing && r > Atomics.load(stop, 0)) break;
    const o = runOne(spec, r);
    if (o.divergedAt >= 0 && !spec.keepGoing) {
      // Lower the shared stop mark to this run if it is the lowest so far.
      for (;;) {
        const cur = Atomics.load(stop, 0);
        if (r >= cur || Atomics.compareExchange(stop, 0, cur, r) === cur) break;
      }
    }
    emit(o);
  }
}

/**
 * The campaign as `spec.jobs` jobs: this thread runs the first share while
 * jobs - 1 worker threads run the others (all in this thread when jobs is 1).
 */
export async function runCampaign(spec: CampaignSpec, onRun?: (o: RunOutcome) => void): Promise<CampaignResult> {
  const runs = shardRuns(spec);
  const jobs = Math.max(1, Math.min(spec.jobs, runs.length));
  if (jobs <= 1) return runCampaignSync(spec, onRun);
  // stop[0]: the lowest run known to diverge; jobs skip runs above it.
  const stop = new Int32Array(new SharedArrayBuffer(4));
  stop[0] = 0x7fffffff;
  const isTs = import.meta.filename.endsWith('.ts');
  const file = import.meta.filename.replace(/campaign\.(ts|js)$/, `worker.$1`);
  const outcomes: RunOutcome[] = [];
  const share = (j: number) => runs.filter((_r, k) => k % jobs === j);
  const threads: Worker[] = [];
  const workers = Array.from({ length: jobs - 1 }, (_x, i) => {
    const j = i + 1;
    const w = new Worker(file, { workerData: { spec, runs: share(j), stop, files: loadedKernelFiles() }, execArgv: isTs ? ['--import', fileURLToPath(new URL('../register-ts.mjs', import.meta.url))] : [] });
    threads.push(w);
    return new Promise<void>((resolve, reject) => {
      w.on('message', (o: RunOutcome) => {
        outcomes.push(o);
        onRun?.(o);
      });
      w.on('error', reject);
      w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`check worker ${j} exited with status ${code}`))));
    });
  });
  // The workers start up meanwhile; their outcomes arrive once this thread is free.
  try {
    runShare(spec, share(0), stop, (o) => {
      outcomes.push(o);
      onRun?.(o);
    });
  } catch (e) {
    // This thread's share failed: stop the workers before the error goes up.
    await Promise.allSettled(threads.map((w) => w.terminate()));
    await Promise.allSettled(workers);
    throw e;
  }
  await Promise.all(workers);
  return summarise(spec, outcomes);
}
