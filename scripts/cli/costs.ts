// SPDX-License-Identifier: GPL-2.0-only
/* `--costs NAME|FILE` for every command: the cost profile, resolved while the arguments are parsed. */

import { InvalidArgumentError, Option } from 'commander';
import { type CostTable, CostTableError, resolveCostProfile } from '../../hw/costs.js';

/** What --costs takes; every command's help starts with this. */
export const COSTS_HELP = 'cost profile: hardware (default), qemu-tcg, or a JSON file (docs/concurrency.md)';

/** Resolve a --costs value; an unknown name or a bad file field is one line and exit status 2 (commander). */
export function costsArg(value: string): CostTable {
  try {
    return resolveCostProfile(value);
  } catch (e) {
    if (e instanceof CostTableError) throw new InvalidArgumentError(e.message);
    throw e;
  }
}

/** The --costs option of a command; `affects` says what the profile changes in that command's output. */
export function costsOption(affects: string): Option {
  return new Option('--costs <profile>', `${COSTS_HELP}; ${affects}`).argParser(costsArg);
}
