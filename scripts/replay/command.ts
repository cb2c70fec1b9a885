// SPDX-License-Identifier: GPL-2.0-only
/* `vmapsim replay FILE...` (scripts/cli/replay.ts): replay golden traces and compare them op for op. */

import { isInputError } from '../lib/input-error.js';
import { formatDivergence, formatSummary, replayGoldenFile, type ReplayResult } from './golden.js';
import { EXIT_BAD_INPUT, EXIT_DIVERGED, EXIT_OK } from '../lib/exit.js';
import { progress } from '../lib/progress.js';

export interface ReplayOptions {
  json?: boolean;
  quiet?: boolean;
  /** Replay on each version's wasm core (`<version>@wasm`). */
  wasm?: boolean;
}

export interface ReplayOutcome {
  status: number;
  results: ReplayResult[];
}

/** Replay every file; report each; the status is the worst seen (2 > 1 > 0). */
export function replayCommand(files: string[], opts: ReplayOptions, out: (s: string) => void, err: (s: string) => void): ReplayOutcome {
  let status = EXIT_OK;
  const results: ReplayResult[] = [];
  const bar = progress(files.length > 4 && !opts.json);
  bar.start(files.length, '');
  files.forEach((file, i) => {
    bar.update(i, file);
    try {
      const r = replayGoldenFile(file, { wasm: opts.wasm });
      results.push(r);
      if (r.divergence) {
        status = Math.max(status, EXIT_DIVERGED);
        if (!opts.json) err(formatDivergence(r.divergence));
      } else if (!opts.json && !opts.quiet) out(formatSummary(r));
    } catch (e) {
      if (!isInputError(e)) throw e;
      status = EXIT_BAD_INPUT;
      err(`vmapsim: ${e.message}`);
    }
  });
  bar.stop();
  if (opts.json)
    out(
      JSON.stringify(
        results.map((r) => ({
          file: r.file,
          variant: r.variant,
          workload: r.workload,
          ops: r.ops,
          allocs: r.allocs,
          touchesPerAlloc: r.allocs ? r.allocTouches / r.allocs : 0,
          bug: r.bug,
          divergence: r.divergence && { ...r.divergence, snapshot: undefined, state: r.divergence.snapshot.state },
        })),
        null,
        2,
      ),
    );
  return { status, results };
}
