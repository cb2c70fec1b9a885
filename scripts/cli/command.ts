// SPDX-License-Identifier: GPL-2.0-only
/*
 * The shape every subcommand of vmapsim has, and the one loop that
 * registers them (scripts/vmapsim.ts). A subcommand is one file under
 * scripts/cli/ exporting `command: CliCommand`: its name, its arguments and
 * options, and an action that calls its job's library function
 * (scripts/<job>/) and gives the exit status. A job that used to be chosen
 * by a flag of another command is a subcommand of it (`bench gfs2`,
 * `replay tracefs`); the flag is still accepted for one release
 * (`replaces`), with a one-line notice on stderr.
 */

import { Command } from 'commander';
import { reportError } from '../lib/exit.js';

/** Where a command writes: stdout and stderr, one line per call. */
export interface Io {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}

export interface CliCommand {
  /** The words that name it: ['run'], or ['bench', 'gfs2'] for a subcommand of bench. */
  readonly path: readonly [string] | readonly [string, string];
  /** One line for --help. */
  readonly summary: string;
  /** Internal (child processes of a bench): not listed in --help. */
  readonly hidden?: boolean;
  /**
   * The flag of the parent command that chose this job before it was a
   * subcommand (`bench --gfs2`, `replay --tracefs TRACE`). `value`: the flag
   * took a value, which becomes this command's first argument.
   */
  readonly replaces?: { readonly flag: string; readonly value?: string };
  /** Its arguments and options (commander). */
  define(cmd: Command): void;
  /** Run it: the exit status (undefined: 0). Bad input is thrown as InputError/UsageError. */
  action(cmd: Command, io: Io): number | void | Promise<number | void>;
}

function find(program: Command, name: string): Command {
  const c = program.commands.find((x) => x.name() === name);
  if (!c) throw new Error(`vmapsim: subcommand of "${name}" registered before "${name}" itself`);
  return c;
}

/** Register every command on the program, parents before their subcommands. */
export function registerCommands(program: Command, commands: readonly CliCommand[], io: Io): void {
  for (const c of commands) {
    const parent = c.path.length === 2 ? find(program, c.path[0]) : program;
    if (parent !== program && !parent.commands.length)
      // A parent's mandatory options (check --kernel) are its own job's, not its subcommands'.
      parent.hook('preSubcommand', (p) => p.options.forEach((opt) => (opt.mandatory = false)));
    const cmd = parent.command(c.path[c.path.length - 1]!, { hidden: c.hidden === true }).description(c.summary);
    c.define(cmd);
    cmd.action(async (...args: unknown[]) => {
      const self = args[args.length - 1] as Command;
      try {
        const status = await c.action(self, io);
        if (status !== undefined) process.exitCode = status;
      } catch (e) {
        process.exitCode = reportError(e, io.err);
      }
    });
  }
}

/**
 * The old spellings: `vmapsim PARENT ... --FLAG [VALUE] ...` becomes
 * `vmapsim PARENT SUB [VALUE] ...`, with a notice on stderr. Only the first
 * replaced flag counts; the words are otherwise left as they were.
 */
export function rewriteReplacedFlags(words: readonly string[], commands: readonly CliCommand[], err: (s: string) => void): string[] {
  const parent = words[0];
  for (const c of commands) {
    if (c.path.length !== 2 || c.path[0] !== parent || !c.replaces) continue;
    const { flag, value } = c.replaces;
    const i = words.findIndex((w, k) => k > 0 && (w === flag || (value !== undefined && w.startsWith(`${flag}=`))));
    if (i < 0) continue;
    const rest = [...words];
    let taken: string[] = [];
    if (value === undefined) rest.splice(i, 1);
    else if (words[i] === flag) taken = rest.splice(i, 2).slice(1);
    else taken = [rest.splice(i, 1)[0]!.slice(flag.length + 1)];
    err(`vmapsim: \`${parent} ${flag}${value ? ` ${value}` : ''}\` is deprecated and goes in the next release: use \`vmapsim ${c.path.join(' ')}${value ? ` ${value}` : ''}\``);
    return [parent as string, c.path[1], ...taken, ...rest.slice(1)];
  }
  return [...words];
}
