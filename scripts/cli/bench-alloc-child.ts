// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vmapsim bench-alloc-child GOLDEN VERSION STREAM REPEAT` (hidden): one
 * (version, stream) of the allocator bench in a process of its own, run by
 * benchAllocatorsIsolated (scripts/bench/allocator.ts); one JSON row out.
 */

import type { Command } from 'commander';
import { benchOne, type StreamName } from '../bench/allocator.js';
import { isKernelFile, loadKernelFile } from '../lib/load-kernel.js';
import type { CliCommand } from './command.js';

export const command: CliCommand = {
  path: ['bench-alloc-child'],
  summary: 'one run of the allocator bench (a child process of vmapsim bench)',
  hidden: true,
  define(cmd: Command) {
    cmd.argument('<golden>').argument('<version>').argument('<stream>').argument('<repeat>');
  },
  async action(cmd, { out }) {
    const [golden, version, stream, repeat] = cmd.processedArgs as [string, string, string, string];
    // A user's variant comes as its file (the parent loaded and checked it).
    const name = isKernelFile(version) ? (await loadKernelFile(version, { check: false })).name : version;
    out(JSON.stringify(benchOne(golden, name, stream as StreamName, Number(repeat))));
  },
};
