// SPDX-License-Identifier: GPL-2.0-only
/* `vmapsim bench machine`: translations per second of the emulated machine (scripts/bench/machine.ts). */

import type { Command } from 'commander';
import { benchMachineCommand } from '../bench/command.js';
import type { CliCommand } from './command.js';

export const command: CliCommand = {
  path: ['bench', 'machine'],
  summary: 'the machine: TLB-hit and full-walk translations per second at 1, 8 and 64 CPUs, checker on and off',
  replaces: { flag: '--machine' },
  define(cmd: Command) {
    cmd.option('--json', 'print one JSON array of {cpus, checker, tlbHitsPerSec, walksPerSec}');
  },
  action(cmd, { out }) {
    benchMachineCommand(cmd.opts<{ json?: boolean }>(), out);
  },
};
