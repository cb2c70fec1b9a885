// SPDX-License-Identifier: GPL-2.0-only
/*
 * Build a C program of scripts/bench with gcc -O2 on the machine that runs
 * the benchmark, once per source text: the native side of a figure is only
 * comparable with the JavaScript side when both ran on the same host in the
 * same run.
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

export type Built = { path: string } | { missing: string };

/**
 * Compile `main` (a .c file) with gcc -O2. The binary is cached under the
 * system's temporary directory, keyed by the text of every .c and .h file
 * beside `main`, so an edited header rebuilds it. `missing` says why there
 * is no binary (no gcc, or the build failed).
 */
export function buildC(main: string, cacheDir: string): Built {
  const dir = dirname(main);
  const hash = createHash('sha256');
  for (const f of readdirSync(dir).filter((n) => /\.[ch]$/.test(n)).sort()) hash.update(f).update(readFileSync(join(dir, f)));
  const out = join(tmpdir(), cacheDir);
  const bin = join(out, `${basename(main, '.c')}-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(bin)) return { path: bin };
  mkdirSync(out, { recursive: true });
  const r = spawnSync('gcc', ['-O2', '-o', bin, main], { encoding: 'utf8' });
  if (r.error) return { missing: `gcc not runnable (${r.error.message})` };
  if (r.status !== 0) return { missing: `gcc failed: ${r.stderr.trim().split('\n')[0]}` };
  return { path: bin };
}
