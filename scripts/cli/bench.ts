// SPDX-License-Identifier: GPL-2.0-only
/* `vmapsim bench`: allocator-only replay of the 1,000,000-op streams. */

import { benchAllocators, BenchRow, formatBench, STREAMS, StreamName } from '../bench/allocator';
import { progress } from './progress';

export interface BenchOptions {
  json?: boolean;
  kernel?: string[];
  stream?: StreamName[];
  golden: string;
  repeat?: number;
}

export function benchCommand(opts: BenchOptions, out: (s: string) => void): BenchRow[] {
  const versions = opts.kernel ?? [];
  const streams = opts.stream ?? [...STREAMS];
  const bar = progress(!opts.json);
  bar.start(versions.length * streams.length, '');
  let done = 0;
  const rows = benchAllocators(opts.golden, versions, {
    streams,
    repeat: opts.repeat,
    onProgress: (m) => bar.update(done++, m),
  });
  bar.stop();
  if (opts.json)
    out(JSON.stringify(rows.map((r) => ({ version: r.version, stream: r.stream, nsPerOp: r.nsPerOp, touchesPerAlloc: r.touchesPerAlloc })), null, 2));
  else out(formatBench(rows));
  return rows;
}
