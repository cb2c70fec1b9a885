// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vmapsim replay tracefs TRACE --before VMALLOCINFO`: a real kernel's
 * vmalloc trace replayed on the ports (scripts/replay/tracefs/report.ts).
 * Formerly `replay --tracefs TRACE`.
 */

import type { Command } from 'commander';
import { Option } from 'commander';
import { replayTracefsCommand } from '../replay/tracefs/report.js';
import { countArg } from './args.js';
import { costsOption } from './costs.js';
import type { CliCommand } from './command.js';
import { kernelArg } from './kernels.js';

interface Options {
  before: string;
  after?: string;
  kernel?: string[];
  cpus?: number;
  json?: boolean;
  html?: string;
  inferPools?: boolean;
}

export const command: CliCommand = {
  path: ['replay', 'tracefs'],
  summary: "replay a real kernel's tracefs vmalloc trace (plain or gzip) from the /proc/vmallocinfo read before it, on every version",
  replaces: { flag: '--tracefs', value: 'TRACE' },
  define(cmd: Command) {
    cmd
      .argument('<trace>', "the kernel's tracefs trace (data/real-traces/*.trace.gz; docs/real-trace.md)")
      .requiredOption('--before <vmallocinfo>', '/proc/vmallocinfo read just before recording')
      .option('--after <vmallocinfo>', '/proc/vmallocinfo read just after, to compare the end state')
      .option('--html <file>', 'write the comparison as a self-contained HTML page')
      .option('--no-infer-pools', 'do not infer vmap-node pool contents from the trace (versions with vmap nodes, 2+ CPUs)')
      .addOption(new Option('--kernel <list>', 'versions, comma separated, or all; one name puts that version first and compares every other (default: the version the trace file name starts with, else linux-6.12, then every other)').argParser(kernelArg('bench')))
      .option('--cpus <n>', "CPU count (default: the trace header's #P:N)", countArg)
      .option('--json', 'print one JSON array, one object per version')
      .addOption(costsOption('replay runs the allocator alone, with no modelled time, so it is accepted and changes nothing replay prints'));
  },
  action(cmd, { out }) {
    const [tracefs] = cmd.processedArgs as [string];
    const o = cmd.opts<Options>();
    return replayTracefsCommand({ tracefs, before: o.before, after: o.after, kernel: o.kernel, cpus: o.cpus, json: o.json, html: o.html, inferPools: o.inferPools }, out);
  },
};
