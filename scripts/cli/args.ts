// SPDX-License-Identifier: GPL-2.0-only
/*
 * Parsers of option values shared by the subcommands (commander
 * argParsers): each rejects with one line naming what it accepts, which
 * commander prints after the option's name (exit status 2). Kernel names
 * have their own parser (kernels.ts).
 */

import { InvalidArgumentError } from 'commander';
import { STREAMS, type StreamName } from '../bench/allocator.js';

/** --cpus 1,2,8: CPU counts of the emulated machine. */
export function cpuList(value: string): number[] {
  const list = value.split(',').map((s) => Number(s.trim()));
  for (const n of list) if (!Number.isInteger(n) || n < 1 || n > 512) throw new InvalidArgumentError('each CPU count must be a whole number from 1 to 512');
  return list;
}

/** --seed N */
export function seedArg(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number of at least 0');
  return n;
}

/** A count of at least 1 (--iterations, --repeat, --cpus of one run). */
export function countArg(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

/** One CPU count, 1 to 512. */
export function cpuArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 512) throw new InvalidArgumentError('must be a whole number from 1 to 512');
  return n;
}

/** --stream a,b: bench streams. */
export function streamList(value: string): StreamName[] {
  const names = value.split(',').map((s) => s.trim());
  for (const n of names) if (!STREAMS.includes(n as StreamName)) throw new InvalidArgumentError(`unknown stream "${n}" (known: ${STREAMS.join(', ')})`);
  return names as StreamName[];
}
