// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where the checkout and its reference data live. Every reader of the golden
 * traces, the bench streams and the real-kernel traces takes its folder from
 * here: data/golden and data/real-traces of the checkout, unless
 * $VMAPSIM_GOLDEN or $VMAPSIM_REAL_TRACES names another folder.
 */

import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** The checkout's root (this file is scripts/lib/ or dist/scripts/lib/). */
export function repoRoot(): string {
  const up2 = resolve(import.meta.dirname, '..', '..');
  return existsSync(resolve(up2, 'package.json')) ? up2 : resolve(up2, '..');
}

/** The checkout's data folder: data/ of the checkout. */
export function dataDir(): string {
  return resolve(repoRoot(), 'data');
}

/** An override from the environment; unset or empty means none. */
function fromEnv(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : resolve(v);
}

/** The golden traces and bench streams (FORMAT.md): $VMAPSIM_GOLDEN, else data/golden. */
export function goldenDir(): string {
  return fromEnv('VMAPSIM_GOLDEN') ?? resolve(dataDir(), 'golden');
}

/** The real kernels' tracefs traces and vmallocinfo snapshots (README.md): $VMAPSIM_REAL_TRACES, else data/real-traces. */
export function realTracesDir(): string {
  return fromEnv('VMAPSIM_REAL_TRACES') ?? resolve(dataDir(), 'real-traces');
}

/** goldenDir()'s default as help texts name it: never a machine path. */
export const GOLDEN_DEFAULT_NAME = '$VMAPSIM_GOLDEN, else data/golden of the checkout';

/** A folder as output names it: relative to the working folder when inside it, else as given. */
export function displayPath(p: string, cwd: string = process.cwd()): string {
  const r = relative(cwd, resolve(p));
  return r === '' ? '.' : r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r) ? p : r;
}
