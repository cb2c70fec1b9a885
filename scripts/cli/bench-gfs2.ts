// SPDX-License-Identifier: GPL-2.0-only
/* `vmapsim bench gfs2`: gfs2-vmalloc-loop on the machine, each run in a child process (scripts/bench/gfs2-full.ts). */

import type { Command } from 'commander';
import { Option } from 'commander';
import { versionNames } from '../../kernel/mm/vmalloc/index.js';
import { benchGfs2Command } from '../bench/command.js';
import { countArg, cpuArg } from './args.js';
import type { CliCommand } from './command.js';
import { kernelArg } from './kernels.js';

export const command: CliCommand = {
  path: ['bench', 'gfs2'],
  summary: 'gfs2-vmalloc-loop on the machine, checker off and on: wall time, CPU time, peak memory',
  replaces: { flag: '--gfs2' },
  define(cmd: Command) {
    cmd
      .addOption(new Option('--kernel <list>', 'versions, comma separated, or all').argParser(kernelArg('bench')).default(versionNames(), 'all'))
      .option('--iterations <n>', 'loop count', countArg, 1000000)
      .option('--cpus <n>', 'emulated CPUs', cpuArg, 64)
      .option('--json', 'print one JSON array, one object per run');
  },
  action(cmd, { out }) {
    const o = cmd.opts<{ kernel: string[]; iterations: number; cpus: number; json?: boolean }>();
    benchGfs2Command(process.argv[1]!, { json: o.json, kernel: o.kernel, iterations: o.iterations, cpus: o.cpus }, out);
  },
};
