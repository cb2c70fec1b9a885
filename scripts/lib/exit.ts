// SPDX-License-Identifier: GPL-2.0-only
/* Exit statuses of the vmapsim command. */

import { InvalidArgumentError } from 'commander';
import { isInputError, isUsageError } from './input-error.js';

/** Everything matched / ran. */
export const EXIT_OK = 0;
/** A divergence, a failed check, a kernel BUG where none was expected. */
export const EXIT_DIVERGED = 1;
/** Bad input or bad usage: one line naming the file, line and field. */
export const EXIT_BAD_INPUT = 2;
/** An internal error of vmapsim itself (a bug, never the user's input): the message and the stack on stderr. */
export const EXIT_INTERNAL = 3;

/**
 * Report an error that ended a command and give its exit status: bad input
 * or usage (InputError, UsageError, a rejected argument) is one line and 2;
 * anything else is vmapsim's own fault, said so with the stack, and 3.
 */
export function reportError(e: unknown, err: (s: string) => void): number {
  if (isInputError(e) || isUsageError(e) || e instanceof InvalidArgumentError) {
    err(`vmapsim: ${e.message}`);
    return EXIT_BAD_INPUT;
  }
  err(`vmapsim: internal error (a bug in vmapsim, not in the input): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return EXIT_INTERNAL;
}
