// SPDX-License-Identifier: GPL-2.0-only
/* Running vmapsim from its TypeScript sources in a child process, as the CLI tests do. */

import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The checkout's root. */
export const ROOT = resolve(import.meta.dirname, '..', '..');

/** The node options that load the sources as ES modules (ts-node's ESM loader, scripts/register-ts.mjs). */
export const FROM_SOURCES: readonly string[] = ['--import', pathToFileURL(join(ROOT, 'scripts', 'register-ts.mjs')).href];

/** The result of one command line. */
export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Several command lines, each with only its own scheduler variables
 * (JOB_COMPLETION_*, SLURM_*) on top of this environment, run one after the
 * other in one child process from the sources (test/helpers/cli-batch.ts):
 * the CLI is loaded once instead of once per command line.
 */
export function vmapsimBatch(cases: readonly { args: readonly string[]; env?: Record<string, string> }[]): CliResult[] {
  const r = spawnSync(process.execPath, [...FROM_SOURCES, join(ROOT, 'test', 'helpers', 'cli-batch.ts')], {
    cwd: ROOT,
    encoding: 'utf8',
    input: JSON.stringify(cases.map((c) => ({ args: c.args, env: c.env ?? {} }))),
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`test/helpers/cli-batch.ts exited with ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as CliResult[];
}
