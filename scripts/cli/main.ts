// SPDX-License-Identifier: GPL-2.0-only
/* `vmapsim main`: the job of `make run` (scripts/run/main-job.ts). */

import type { Command } from 'commander';
import { Option } from 'commander';
import { dirname } from 'node:path';
import { GOLDEN_DEFAULT_NAME, goldenDir } from '../lib/paths.js';
import { makeDir } from '../lib/write-text.js';
import { mainJob } from '../run/main-job.js';
import { countArg } from './args.js';
import type { CliCommand } from './command.js';

interface Options {
  golden: string;
  bench?: boolean;
  iterations: number;
  html: string;
}

export const command: CliCommand = {
  path: ['main'],
  summary: 'the main job of `make run`: replay every golden trace of every version, then the gfs2-vmalloc-loop headline with an HTML report',
  define(cmd: Command) {
    cmd
      .addOption(new Option('--golden <dir>', 'folder with the golden traces').default(goldenDir(), GOLDEN_DEFAULT_NAME))
      .option('--bench', 'also run the allocator benchmark (minutes)')
      .option('--iterations <n>', 'gfs2-vmalloc-loop iterations of the headline', countArg, 25000)
      .option('--html <file>', 'where to write the headline HTML report', 'out/vmapsim-report.html');
  },
  action(cmd, { out, err }) {
    const o = cmd.opts<Options>();
    makeDir(dirname(o.html));
    return mainJob(o.golden, { bench: o.bench === true, iterations: o.iterations, html: o.html }, out, err);
  },
};
