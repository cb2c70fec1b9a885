// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every subcommand of vmapsim, in --help order; a subcommand of another
 * (`bench gfs2`) after its parent. One file each (command.ts: the shape).
 */

import { command as bench } from './bench.js';
import { command as benchAllocChild } from './bench-alloc-child.js';
import { command as benchFloor } from './bench-floor.js';
import { command as benchGfs2 } from './bench-gfs2.js';
import { command as benchGfs2Child } from './bench-gfs2-child.js';
import { command as benchMachine } from './bench-machine.js';
import { command as benchScale } from './bench-scale.js';
import { command as check } from './check.js';
import { command as checkMerge } from './check-merge.js';
import type { CliCommand } from './command.js';
import { command as list } from './list.js';
import { command as main } from './main.js';
import { command as newVariant } from './new-variant.js';
import { command as replay } from './replay.js';
import { command as replayTracefs } from './replay-tracefs.js';
import { command as run } from './run.js';

export const COMMANDS: readonly CliCommand[] = [
  replay,
  replayTracefs,
  bench,
  benchMachine,
  benchGfs2,
  benchScale,
  benchFloor,
  benchAllocChild,
  benchGfs2Child,
  list,
  check,
  checkMerge,
  newVariant,
  run,
  main,
];
