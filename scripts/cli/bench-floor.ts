// SPDX-License-Identifier: GPL-2.0-only
/* `vmapsim bench floor`: the search loops in C and in JavaScript, side by side (scripts/bench/floor.ts). */

import type { Command } from 'commander';
import { benchFloorCommand } from '../bench/command.js';
import type { CliCommand } from './command.js';

export const command: CliCommand = {
  path: ['bench', 'floor'],
  summary: "the search loops in C (gcc -O2) and in JavaScript (the ports' objects, typed arrays): ns per step and ratios",
  replaces: { flag: '--floor' },
  define(cmd: Command) {
    cmd.option('--json', 'print one JSON object');
  },
  action(cmd, { out }) {
    benchFloorCommand(cmd.opts<{ json?: boolean }>(), out);
  },
};
