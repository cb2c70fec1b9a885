// SPDX-License-Identifier: GPL-2.0-only
/* `vmapsim list`: every name --kernel and run accept, with descriptions (scripts/report/list.ts). */

import type { Command } from 'commander';
import { listCommand } from '../report/list.js';
import type { CliCommand } from './command.js';

export const command: CliCommand = {
  path: ['list'],
  summary: 'list the kernel versions with their sources and descriptions',
  define(cmd: Command) {
    cmd.option('--json', 'print JSON');
  },
  action(cmd, { out }) {
    listCommand(cmd.opts<{ json?: boolean }>(), out);
  },
};
