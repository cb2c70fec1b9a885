#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmapsim: a kernel-faithful emulator of the Linux vmalloc allocator across
 * its history. This is the command line: the program and one loop over the
 * subcommands (scripts/cli/index.ts; their shape: scripts/cli/command.ts).
 */

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { COMMANDS } from './cli/index.js';
import { type Io, registerCommands, rewriteReplacedFlags } from './cli/command.js';
import { EXIT_BAD_INPUT, reportError } from './lib/exit.js';
import { preloadKernelFiles } from './lib/load-kernel.js';

const io: Io = {
  out: (s: string) => process.stdout.write(s + '\n'),
  err: (s: string) => process.stderr.write(s + '\n'),
};

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('vmapsim')
    .description("Kernel-faithful emulator of Linux's vmalloc allocator (mm/vmalloc.c) across its history")
    .showHelpAfterError(false)
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: (s, write) => write(`vmapsim: ${s.replace(/^error: /, '')}`) });
  registerCommands(program, COMMANDS, io);
  return program;
}

export async function run(argv: string[]): Promise<void> {
  // A reader that goes away (`vmapsim ... | head`) is not an error.
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  try {
    await preloadKernelFiles(argv.slice(2));
    await buildProgram().parseAsync([...argv.slice(0, 2), ...rewriteReplacedFlags(argv.slice(2), COMMANDS, io.err)]);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
      return;
    }
    process.exitCode = reportError(e, io.err);
  }
}

/** This module is the program node was started with (the bin link resolves to it), not one a test imported. */
function isMain(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) void run(process.argv);
