// SPDX-License-Identifier: GPL-2.0-only
/* `vmapsim bench scale`: cost against live areas and flush cost against CPUs (scripts/bench/scale.ts, flush-scale.ts). */

import type { Command } from 'commander';
import { Option } from 'commander';
import { versionNames } from '../../kernel/mm/vmalloc/index.js';
import { benchScaleCommand } from '../bench/command.js';
import type { CliCommand } from './command.js';
import { costsOption } from './costs.js';
import { kernelArg } from './kernels.js';
import type { CostTable } from '../../hw/costs.js';

export const command: CliCommand = {
  path: ['bench', 'scale'],
  summary: 'cost per allocation against live areas (1k..1M), flush cost against CPU count (1..512)',
  replaces: { flag: '--scale' },
  define(cmd: Command) {
    cmd
      .addOption(new Option('--kernel <list>', 'versions, comma separated, or all').argParser(kernelArg('bench')).default(versionNames(), 'all'))
      .option('--html <file>', 'write the plots and tables to an HTML file')
      .option('--json', 'print one JSON object {allocator, flush}')
      .addOption(costsOption('the modelled flush cycles of the flush rows'));
  },
  action(cmd, { out }) {
    const o = cmd.opts<{ kernel: string[]; html?: string; json?: boolean; costs?: CostTable }>();
    benchScaleCommand({ json: o.json, kernel: o.kernel, html: o.html, costs: o.costs }, out);
  },
};
