// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vmapsim check --kernel A --against B`: a differential campaign
 * (scripts/check/command.ts). Its subcommand `check merge` is check-merge.ts.
 */

import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { RUNS_PER_JOB } from '../check/campaign.js';
import { checkCommand, type CheckOptions } from '../check/command.js';
import { againstNames, kernelNames, SPECIAL_AGAINST } from '../check/contenders.js';
import { parseShardArg, type Shard } from '../check/shard.js';
import { EXTRA_WORKLOADS, isWorkload, WORKLOADS, type WorkloadName } from '../check/workloads.js';
import { isKernelFile } from '../lib/load-kernel.js';
import { costsOption } from './costs.js';
import type { CliCommand } from './command.js';
import { kernelArg } from './kernels.js';

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

export const command: CliCommand = {
  path: ['check'],
  summary: 'differential testing: run two allocators side by side on generated operations, stop at the first divergence, shrink it to a minimal sequence',
  define(cmd: Command) {
    cmd
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
      .option('--jobs <n>', `jobs, this thread and worker threads (default: one per core, at most one per ${RUNS_PER_JOB} runs of the shard)`, parseCount(1, 1024))
      .option('--check', 'check every allocator invariant after every operation on both sides')
      .option('--compare-state', 'also compare the state lines (meaningful for versions of one family)')
      .option('--only-bug', 'count only a BUG (or exception) on one side as a divergence; runs go on past different addresses')
      .option('--keep-going', 'try every run; report the first divergence of each kind')
      .option('--save <dir>', "write each side's trace of the minimal sequence to files in dir")
      .option('--json', 'print one JSON object')
      .option('--stats', 'print the throughput (ops/s) on stderr')
      .addOption(costsOption('check runs the allocators alone, with no modelled time, so it is accepted and changes nothing check reports'));
  },
  action(cmd, { out, err }) {
    return checkCommand(cmd.opts<CheckOptions>(), out, err);
  },
};
