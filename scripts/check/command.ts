// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vmapsim check --kernel A --against B`: differential testing of two
 * allocator versions (or a version against its first-fit model or against
 * itself without the free-area cache), with minimal counterexamples, and
 * optionally the invariant checker after every operation (--check).
 */

import { makeDir, writeText } from '../lib/write-text.js';
import { join } from 'node:path';
import { isUsageError } from '../lib/input-error.js';
import { type CampaignResult, type CampaignSpec, defaultJobs, regenerate, runCampaign, type RunOutcome, shardRuns } from './campaign.js';
import { againstContender } from './contenders.js';
import type { DivergenceFilter } from './differential.js';
import { buildReport, type DivergenceReport, formatReport, reportJson } from './report.js';
import { shrinkDivergence } from './shrink.js';
import type { WorkloadName } from './workloads.js';
import { EXIT_BAD_INPUT, EXIT_DIVERGED, EXIT_OK } from '../lib/exit.js';
import { resolveShard, type Shard, ShardError } from './shard.js';

export interface CheckOptions {
  kernel: string;
  against: string;
  workload: WorkloadName | 'all';
  ops?: number;
  seed: number;
  runs: number;
  /** I/N, or 'auto': from a cluster scheduler's environment (scripts/check/shard.ts). */
  shard: Shard | 'auto';
  /** Jobs; absent: defaultJobs() of the shard's runs. */
  jobs?: number;
  check?: boolean;
  compareState?: boolean;
  onlyBug?: boolean;
  keepGoing?: boolean;
  json?: boolean;
  save?: string;
  stats?: boolean;
}

function plural(n: number, w: string): string {
  return `${n} ${w}${n === 1 ? '' : 's'}`;
}

function describeCampaign(spec: CampaignSpec, res: CampaignResult): string {
  const runs = res.outcomes.length;
  return `${plural(res.opsTried, 'operation')} tried in ${plural(runs, 'run')} (workload ${spec.workload}, seeds from ${spec.seed}, runs ${spec.runs}, shard ${spec.shard.index}/${spec.shard.count})`;
}

/** Shrink and report one diverging run. */
export function reportRun(spec: CampaignSpec, o: RunOutcome): { report: DivergenceReport; text: string } {
  const g = regenerate(spec, o.run);
  const d = g.result.divergence;
  if (!d) throw new Error(`run ${o.run} did not diverge when regenerated (nondeterminism?)`);
  const opts = { compareState: spec.compareState, invariants: spec.invariants, filter: spec.filter };
  const s = shrinkDivergence(g.A, g.B, g.ncpu, g.result.ops, d.signature, opts);
  const sd = s.run.divergence ?? d;
  const report = buildReport(g.A, g.B, { workload: g.workload, seed: g.seed, ncpu: g.ncpu }, s.ops, sd);
  return { report, text: formatReport(report, { run: o.run, opInRun: d.index + 1, shrinkSteps: s.steps }) };
}

function save(dir: string, r: DivergenceReport, tag: string): string[] {
  makeDir(dir);
  const files: string[] = [];
  for (const [name, text] of [
    [r.kernel, r.traceA],
    [r.against, r.traceB],
  ] as const) {
    const f = join(dir, `check${tag}.${name.replace(/[^A-Za-z0-9.+-]/g, '_')}.trace`);
    writeText(f, text);
    files.push(f);
  }
  return files;
}

/** The command; resolves to the exit status. */
export async function checkCommand(o: CheckOptions, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  try {
    againstContender(o.against, o.kernel);
  } catch (e) {
    if (!isUsageError(e)) throw e;
    err(`vmapsim: ${e.message}`);
    return EXIT_BAD_INPUT;
  }
  let shard: Shard;
  try {
    shard = resolveShard(o.shard);
  } catch (e) {
    if (!(e instanceof ShardError)) throw e;
    err(`vmapsim: ${e.message}`);
    return EXIT_BAD_INPUT;
  }
  const filter: DivergenceFilter = o.onlyBug ? 'bug' : 'any';
  const spec: CampaignSpec = {
    kernel: o.kernel,
    against: o.against,
    workload: o.workload,
    ops: o.ops ?? null,
    seed: o.seed,
    runs: o.runs,
    shard,
    jobs: o.jobs ?? defaultJobs(shardRuns({ runs: o.runs, shard }).length),
    compareState: !!o.compareState,
    invariants: !!o.check,
    filter,
    keepGoing: !!o.keepGoing,
  };
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const res = await runCampaign(spec);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  // CPU time of this process (its worker threads included): the figure to compare on a shared host.
  const c1 = process.cpuUsage(c0);
  const cpu = (c1.user + c1.system) / 1e6;
  if (o.stats) err(`vmapsim check: ${res.opsTried} ops in ${secs.toFixed(2)} s = ${Math.round(res.opsTried / secs)} ops/s (${spec.jobs} job(s)); ${cpu.toFixed(2)} CPU s = ${Math.round(res.opsTried / cpu)} ops per CPU s`);
  const diverging = spec.keepGoing ? res.outcomes.filter((x) => x.divergedAt >= 0) : res.first ? [res.first] : [];
  // One report per divergence signature (the lowest run of each).
  const bySig = new Map<string, RunOutcome[]>();
  for (const x of diverging) bySig.set(x.signature as string, [...(bySig.get(x.signature as string) ?? []), x]);
  const reports: { report: DivergenceReport; text: string; runs: number[] }[] = [];
  for (const [, list] of bySig) reports.push({ ...reportRun(spec, list[0]!), runs: list.map((x) => x.run) });
  const saved: string[] = [];
  if (o.save) reports.forEach((r, i) => saved.push(...save(o.save as string, r.report, reports.length > 1 ? `.${i + 1}` : '')));
  if (o.json) {
    out(
      JSON.stringify(
        {
          kernel: spec.kernel,
          against: spec.against,
          workload: spec.workload,
          seed: spec.seed,
          runs: spec.runs,
          shard: `${spec.shard.index}/${spec.shard.count}`,
          options: { ops: spec.ops, check: spec.invariants, compareState: spec.compareState, onlyBug: o.onlyBug === true, keepGoing: spec.keepGoing },
          runsTried: res.outcomes.length,
          opsTried: res.opsTried,
          seconds: secs,
          divergingRuns: diverging.map((x) => ({ run: x.run, seed: x.seed, workload: x.workload, op: x.divergedAt + 1, signature: x.signature })),
          divergences: reports.map((r) => ({ ...reportJson(r.report), runs: r.runs })),
          saved,
        },
        null,
        2,
      ),
    );
  } else {
    for (const r of reports) {
      out(r.text);
      if (spec.keepGoing) out(`(this signature diverged in ${plural(r.runs.length, 'run')}: ${r.runs.slice(0, 20).join(', ')}${r.runs.length > 20 ? ', ...' : ''})`);
      out('');
    }
    if (saved.length) out(`traces written: ${saved.join(', ')}`);
    if (reports.length) out(`${spec.keepGoing ? `${plural(diverging.length, 'diverging run')}; ` : 'divergence found; '}${describeCampaign(spec, res)}`);
    else out(`no divergence: ${o.kernel} vs ${againstContender(o.against, o.kernel).variant}: ${describeCampaign(spec, res)}`);
  }
  return reports.length ? EXIT_DIVERGED : EXIT_OK;
}
