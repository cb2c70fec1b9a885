// SPDX-License-Identifier: GPL-2.0-only
/*
 * The main job (`make run`) until the scenario runner exists: replay every
 * golden trace of every implemented version, one summary line per version,
 * then the allocator benchmark figures.
 */

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { versionNames } from '../../kernel/mm/vmalloc/index';
import { replayGoldenFile } from '../replay/golden';
import { formatDivergence } from '../replay/golden';
import { benchCommand } from './bench';
import { EXIT_DIVERGED, EXIT_OK } from './exit';

export function mainJob(golden: string, opts: { bench: boolean }, out: (s: string) => void, err: (s: string) => void): number {
  let status = EXIT_OK;
  const files = readdirSync(golden).filter((f) => f.endsWith('.trace.gz'));
  out(`Golden traces in ${golden}:`);
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
    out(`  ${v.padEnd(26)} ${ok}/${mine.length} traces replay exactly (${ops} ops; ${bugs} end in the kernel's own BUG)`);
  }
  if (opts.bench) {
    out('');
    out('Allocator-only benchmark (1,000,000-op streams; native = the kernel code, gcc -O2):');
    benchCommand({ golden, kernel: versionNames() }, out);
  }
  return status;
}
