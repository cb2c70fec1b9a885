// SPDX-License-Identifier: GPL-2.0-only
/* `vmapsim run SCENARIO [name=value...]`: one scenario over kernels x CPU counts (scripts/run/command.ts). */

import type { Command } from 'commander';
import { Option } from 'commander';
import { runCommand, type RunOptions } from '../run/command.js';
import { cpuList, seedArg } from './args.js';
import type { CliCommand } from './command.js';
import { kernelArg } from './kernels.js';

export const command: CliCommand = {
  path: ['run'],
  summary: 'run a scenario over kernel versions and CPU counts; a comparison table, --json or --html',
  define(cmd: Command) {
    cmd
      .argument('<scenario>', 'a built-in scenario (vmapsim list) or a path to your own .ts/.js scenario file')
      .argument('[params...]', 'scenario parameters as name=value')
      .addOption(new Option('--kernel <list>', 'kernels, comma separated, or all').argParser(kernelArg('run')))
      .option('--cpus <list>', 'CPU counts, comma separated (1 to 512)', cpuList)
      .option('--seed <n>', 'seed of every random choice', seedArg, 1)
      .option('--flush-era <era>', 'pair the allocators with another flush era')
      .option('--costs <profile>', 'cost profile: hardware (default), qemu-tcg, or a JSON file (docs/concurrency.md)')
      .option('--timeline <file>', 'write the per-CPU timeline in modelled time (Chrome trace-event JSON: ui.perfetto.dev, chrome://tracing)')
      .option('--lock-stat', 'print each run\'s /proc/lock_stat (lock classes: contentions, wait and hold times) after the table')
      .option('--json', 'print one JSON object (schema: docs/run-json.md)')
      .option('--trace', 'print kernel-format trace lines instead of the table')
      .option('--html <file>', 'write a self-contained HTML report with plots');
  },
  action(cmd, { out, err }) {
    const [scenario, params] = cmd.processedArgs as [string, string[]];
    return runCommand(scenario, params, cmd.opts<RunOptions>(), out, err);
  },
};
