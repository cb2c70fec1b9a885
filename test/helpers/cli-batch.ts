// SPDX-License-Identifier: GPL-2.0-only
/*
 * Several vmapsim command lines in one child process (test/helpers/cli.ts,
 * vmapsimBatch): the cases come as JSON on stdin, [{ args, env }], and each
 * runs through scripts/vmapsim.ts's run() as the program does, with the
 * scheduler variables (JOB_COMPLETION_*, SLURM_*) of its own environment
 * only, its stdout and stderr caught and its exit status read from
 * process.exitCode. The results go out as JSON, [{ status, stdout, stderr }].
 *
 * Why one process: loading the CLI from its TypeScript sources costs a few
 * CPU seconds a process (ts-node transpiles every module), which is all a
 * case that only rejects its input spends.
 */

import { readFileSync } from 'node:fs';
import { run } from '../../scripts/vmapsim.js';

interface Case {
  readonly args: string[];
  readonly env: Record<string, string>;
}

const SCHEDULER = /^(JOB_COMPLETION|SLURM_)/;

const cases = JSON.parse(readFileSync(0, 'utf8')) as Case[];
const results: { status: number; stdout: string; stderr: string }[] = [];
const write = { out: process.stdout.write, err: process.stderr.write };
process.stdout.setMaxListeners(cases.length + 10);
process.stderr.setMaxListeners(cases.length + 10);
for (const c of cases) {
  for (const k of Object.keys(process.env)) if (SCHEDULER.test(k)) delete process.env[k];
  Object.assign(process.env, c.env);
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((s: string | Uint8Array) => ((stdout += String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => ((stderr += String(s)), true)) as typeof process.stderr.write;
  process.exitCode = undefined;
  try {
    await run([process.argv[0]!, 'vmapsim', ...c.args]);
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
  results.push({ status: Number(process.exitCode ?? 0), stdout, stderr });
}
process.exitCode = 0;
process.stdout.write(JSON.stringify(results));
