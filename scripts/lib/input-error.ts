// SPDX-License-Identifier: GPL-2.0-only
/* Bad input: one line naming the file, the line and the problem; exit status 2. */

export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly problem: string,
    /** The column too (FILE:LINE:COL: a compiler's position), where known. */
    readonly col: number | null = null,
  ) {
    super(`${file}${line !== null ? `:${line}` : ''}${line !== null && col !== null ? `:${col}` : ''}: ${problem}`);
    this.name = 'InputError';
  }
}

export function isInputError(e: unknown): e is InputError {
  return e instanceof InputError;
}

/** Bad usage of a command (a flag that does not apply to the value given): one line, exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function isUsageError(e: unknown): e is UsageError {
  return e instanceof UsageError;
}
