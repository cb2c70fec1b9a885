// SPDX-License-Identifier: GPL-2.0-only
/* `vmapsim check merge FILES...`: the shards' --json outputs as one report (scripts/check/merge.ts). */

import type { Command } from 'commander';
import { mergeCommand } from '../check/merge.js';
import type { CliCommand } from './command.js';

export const command: CliCommand = {
  path: ['check', 'merge'],
  summary: "merge the --json outputs of a campaign's shards (--shard I/N or auto) into one report: first divergence of each kind, totals, ops/s",
  define(cmd: Command) {
    cmd.argument('<files...>', "the shards' outputs of vmapsim check ... --json").option('--json', 'print one JSON object');
  },
  action(cmd, { out }) {
    const [files] = cmd.processedArgs as [string[]];
    return mergeCommand(files, { json: cmd.opts<{ json?: boolean }>().json || cmd.parent?.opts().json === true }, out);
  },
};
