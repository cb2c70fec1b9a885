// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vmapsim check --kernel A --against B`: differential testing of two
 * allocator versions (or a version against its first-fit model or against
 * itself without the free-area cache), with minimal counterexamples, and
 * optionally the invariant checker after every operation (--check).
 */

import { makeDir, writeText } from '../lib/write-text';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { isInputError, isUsageError } from '../lib/input-error';
import { replayWithInvariants } from './replay-check';
import { CampaignResult, CampaignSpec, defaultJobs, regenerate, runCampaign, RunOutcome } from './campaign';
import { againstContender, againstNames, kernelNames, SPECIAL_AGAINST } from './contenders';
import { kernelArg } from '../cli/kernels';
import { isKernelFile } from '../lib/load-kernel';
import { DivergenceFilter } from './differential';
import { buildReport, DivergenceReport, formatReport, reportJson } from './report';
import { shrinkDivergence } from './shrink';
import { EXTRA_WORKLOADS, isWorkload, WORKLOADS, WorkloadName } from './workloads';
import { EXIT_BAD_INPUT, EXIT_DIVERGED, EXIT_OK, reportError } from '../lib/exit';
import { mergeCommand } from './merge';
import { parseShardArg, resolveShard, Shard, ShardError } from './shard';

export interface CheckOptions {
  kernel: string;
  against: string;
  workload: WorkloadName | 'all';
  ops?: number;
  seed: number;
  runs: number;
  /** I/N, or 'auto': from a cluster scheduler's environment (scripts/check/shard.ts). */
  shard: Shard | 'auto';
  jobs: number;
  check?: boolean;
  compareState?: boolean;
  onlyBug?: boolean;
  keepGoing?: boolean;
  json?: boolean;
  save?: string;
  stats?: boolean;
}

/* Parsers for commander: each rejects with one line naming the accepted values. */

/** --against: a kernel (through the one kernel parser) or first-fit / no-cache. */
export function parseAgainst(v: string): string {
  if ((SPECIAL_AGAINST as readonly string[]).includes(v)) return v;
  if (isKernelFile(v) || kernelNames().includes(v)) return kernelArg('check')(v);
  throw new InvalidArgumentError(`unknown "${v}" (accepted: ${againstNames().join(', ')}; or a path to your own variant file)`);
}

export function parseWorkload(v: string): WorkloadName | 'all' {
  if (v !== 'all' && !isWorkload(v)) throw new InvalidArgumentError(`unknown workload "${v}" (accepted: ${[...WORKLOADS, ...EXTRA_WORKLOADS].join(', ')}, all)`);
  return v as WorkloadName | 'all';
}

export function parseCount(min: number, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!/^[0-9]+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max === Number.MAX_SAFE_INTEGER ? '2^53-1' : max}, got "${v}"`);
    return n;
  };
}

export function parseShard(v: string): Shard | 'auto' {
  try {
    return parseShardArg(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
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
    jobs: o.jobs,
    compareState: !!o.compareState,
    invariants: !!o.check,
    filter,
    keepGoing: !!o.keepGoing,
  };
  const t0 = process.hrtime.bigint();
  const res = await runCampaign(spec);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (o.stats) err(`vmapsim check: ${res.opsTried} ops in ${secs.toFixed(2)} s = ${Math.round(res.opsTried / secs)} ops/s (${spec.jobs} job(s))`);
  const diverging = spec.keepGoing ? res.outcomes.filter((x) => x.divergedAt >= 0) : res.first ? [res.first] : [];
  // One report per divergence signature (the lowest run of each).
  const bySig = new Map<string, RunOutcome[]>();
  for (const x of diverging) bySig.set(x.signature as string, [...(bySig.get(x.signature as string) ?? []), x]);
  const reports: { report: DivergenceReport; text: string; runs: number[] }[] = [];
  for (const [, list] of bySig) reports.push({ ...reportRun(spec, list[0] as RunOutcome), runs: list.map((x) => x.run) });
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

/** Register `vmapsim check` on the program. */
export function registerCheckCommand(program: Command, out: (s: string) => void, err: (s: string) => void): void {
  const check = program
    .command('check')
    .description('differential testing: run two allocators side by side on generated operations, stop at the first divergence, shrink it to a minimal sequence')
    .addOption(new Option('--kernel <name>', `the kernel under test (${kernelNames().join(', ')}), or a path to your own variant file (vmapsim new-variant)`).argParser(kernelArg('check')).makeOptionMandatory())
    .addOption(
      new Option('--against <name>', 'another version, first-fit (the lowest-fit model of --kernel\'s rule) or no-cache (--kernel with its free-area cache off)')
        .argParser(parseAgainst)
        .makeOptionMandatory(),
    )
    .addOption(new Option('--workload <name>', `operation generator (${WORKLOADS.join(', ')}, or all to cycle through those; also ${EXTRA_WORKLOADS.join(', ')})`).argParser(parseWorkload).default('all'))
    .option('--ops <n>', "operations per run (default: the workload's nops, 4000 or 6000)", parseCount(1))
    .option('--seed <n>', 'seed of the first run; run r uses seed + r', parseCount(0), 1)
    .option('--runs <n>', 'number of runs', parseCount(1), 10)
    .option('--shard <i/n>', 'take only the runs r with r mod n == i (split a campaign across processes); auto: from a Kubernetes indexed Job or Slurm array (docs/cluster.md)', parseShard, { index: 0, count: 1 })
    .option('--jobs <n>', 'worker threads (default: every core)', parseCount(1, 1024), defaultJobs())
    .option('--check', 'check every allocator invariant after every operation on both sides')
    .option('--compare-state', 'also compare the state lines (meaningful for versions of one family)')
    .option('--only-bug', 'count only a BUG (or exception) on one side as a divergence; runs go on past different addresses')
    .option('--keep-going', 'try every run; report the first divergence of each kind')
    .option('--save <dir>', "write each side's trace of the minimal sequence to files in dir")
    .option('--json', 'print one JSON object')
    .option('--stats', 'print the throughput (ops/s) on stderr')
    .action(async (o: CheckOptions) => {
      try {
        process.exitCode = await checkCommand(o, out, err);
      } catch (e) {
        process.exitCode = reportError(e, err);
      }
    });
  registerMerge(check, out, err);
}

/** `vmapsim check merge FILES...`: the shards' --json outputs as one report (scripts/check/merge.ts). */
function registerMerge(check: Command, out: (s: string) => void, err: (s: string) => void): void {
  // The campaign's mandatory --kernel and --against do not apply to merge.
  check.hook('preSubcommand', (cmd) => cmd.options.forEach((opt) => (opt.mandatory = false)));
  check
    .command('merge')
    .description("merge the --json outputs of a campaign's shards (--shard I/N or auto) into one report: first divergence of each kind, totals, ops/s")
    .argument('<files...>', 'the shards\' outputs of vmapsim check ... --json')
    .option('--json', 'print one JSON object')
    .action((files: string[], o: { json?: boolean }, cmd: Command) => {
      try {
        process.exitCode = mergeCommand(files, { json: o.json || cmd.parent?.opts().json === true }, out);
      } catch (e) {
        if (!isInputError(e)) throw e;
        err(`vmapsim: ${e.message}`);
        process.exitCode = EXIT_BAD_INPUT;
      }
    });
}

/**
 * The invariant pass of `vmapsim replay --check`: every file's operations
 * with the checker after each. Files the replay could not read are left to
 * its own message. Returns the exit status.
 */
export function replayInvariantPass(files: string[], out: (s: string) => void, err: (s: string) => void, quiet = false): number {
  let status = EXIT_OK;
  for (const f of files) {
    try {
      const r = replayWithInvariants(f);
      if (r.violation) {
        status = EXIT_DIVERGED;
        err(r.violation.report);
      } else if (!quiet) out(`${f}: invariants hold after each of ${r.ops} ops`);
    } catch (e) {
      if (!isInputError(e)) throw e;
    }
  }
  return status;
}

export { defaultJobs };
