// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vmapsim bench-gfs2-child VERSION CPUS ITERATIONS CONFIG` (hidden): one
 * run of bench gfs2 in a process of its own (scripts/bench/gfs2-full.ts);
 * CONFIG is true/false (checker on/off) or allocator; one JSON row out.
 */

import type { Command } from 'commander';
import { gfs2AllocatorChild, gfs2Child } from '../bench/gfs2-full.js';
import type { CliCommand } from './command.js';

export const command: CliCommand = {
  path: ['bench-gfs2-child'],
  summary: 'one run of bench gfs2 (a child process of vmapsim bench gfs2)',
  hidden: true,
  define(cmd: Command) {
    cmd.argument('<version>').argument('<cpus>').argument('<iterations>').argument('<config>');
  },
  action(cmd, { out }) {
    const [version, cpus, iterations, config] = cmd.processedArgs as [string, string, string, string];
    const row = config === 'allocator' ? gfs2AllocatorChild(version, Number(cpus), Number(iterations)) : gfs2Child(version, Number(cpus), Number(iterations), config === 'true');
    out(JSON.stringify(row));
  },
};
