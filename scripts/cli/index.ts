// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every subcommand of vmapsim, in --help order; a subcommand of another
 * (`bench gfs2`) after its parent. One file each (command.ts: the shape).
 */

import { command as bench } from './bench';
import { command as benchAllocChild } from './bench-alloc-child';
import { command as benchFloor } from './bench-floor';
import { command as benchGfs2 } from './bench-gfs2';
import { command as benchGfs2Child } from './bench-gfs2-child';
import { command as benchMachine } from './bench-machine';
import { command as benchScale } from './bench-scale';
import { command as check } from './check';
import { command as checkMerge } from './check-merge';
import type { CliCommand } from './command';
import { command as list } from './list';
import { command as main } from './main';
import { command as newVariant } from './new-variant';
import { command as replay } from './replay';
import { command as replayTracefs } from './replay-tracefs';
import { command as run } from './run';

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
