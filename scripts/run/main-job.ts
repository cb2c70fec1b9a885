// SPDX-License-Identifier: GPL-2.0-only
/*
 * The main job (`make run`): every golden trace of every version replayed
 * (one line per version), then the headline comparison, gfs2-vmalloc-loop on
 * linux-2.6.35, linux-2.6.39, linux-5.2 and linux-6.1 with 8 CPUs, as a table
 * and an HTML report. The loop count is scaled down from the published
 * 1,000,000 so the job finishes in under a minute; the output says so.
 */

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { versionNames } from '../../kernel/mm/vmalloc/index.js';
import { displayPath } from '../lib/paths.js';
import { formatDivergence, replayGoldenFile } from '../replay/golden.js';
import { benchCommand } from '../bench/command.js';
import { runCommand } from './command.js';
import { EXIT_DIVERGED, EXIT_OK } from '../lib/exit.js';

export async function mainJob(golden: string, opts: { bench: boolean; iterations: number; html: string }, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let status = EXIT_OK;
  const files = readdirSync(golden).filter((f) => f.endsWith('.trace.gz'));
  out(`Golden traces in ${displayPath(golden)}:`);
  for (const v of versionNames()) {
    const mine = files.filter((f) => f.startsWith(`${v}.`)).sort();
    let ok = 0;
    let bugs = 0;
    let ops = 0;
    for (const f of mine) {
      const r = replayGoldenFile(join(golden, f));
      if (r.divergence) {
        status = EXIT_DIVERGED;
        err(formatDivergence(r.divergence));
        continue;
      }
      ok++;
      ops += r.ops;
      if (r.bug) bugs++;
    }
    if (!mine.length) out(`  ${v.padEnd(26)} no golden traces (checked by its own specs and against its neighbours)`);
    else out(`  ${v.padEnd(26)} ${ok}/${mine.length} traces replay exactly (${ops} ops; ${bugs} end in the kernel's own BUG)`);
  }
  out('');
  out(`Headline: gfs2-vmalloc-loop with ${opts.iterations.toLocaleString('en-US')} iterations (scaled down from the published 1,000,000 to finish in under a minute;`);
  out(`          \`vmapsim run gfs2-vmalloc-loop iterations=1000000\` runs the full loop)`);
  out('');
  const rc = await runCommand(
    'gfs2-vmalloc-loop',
    [`iterations=${opts.iterations}`],
    { kernel: ['linux-2.6.35', 'linux-2.6.39', 'linux-5.2', 'linux-6.1'], cpus: [2, 8], seed: 1, html: opts.html },
    out,
    err,
  );
  status = Math.max(status, rc);
  if (opts.bench) {
    out('');
    out('Allocator-only benchmark (1,000,000-op streams; native = the kernel code, gcc -O2):');
    benchCommand({ golden, kernel: versionNames(), self: process.argv[1] }, out);
  }
  return status;
}
