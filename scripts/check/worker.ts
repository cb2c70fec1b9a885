// SPDX-License-Identifier: GPL-2.0-only
/* A campaign worker thread: runs its share of the runs in order, posting each outcome. */

import { parentPort, workerData } from 'node:worker_threads';
import { type CampaignSpec, runOne } from './campaign.js';
import { loadKernelFile } from '../lib/load-kernel.js';

const { spec, runs, stop, files } = workerData as { spec: CampaignSpec; runs: number[]; stop: Int32Array; files: string[] };

// The user's variant files the parent loaded (`--kernel ./mine.ts`), checked there already.
for (const f of files ?? []) await loadKernelFile(f, { check: false });

for (const r of runs) {
  if (!spec.keepGoing && r > Atomics.load(stop, 0)) break;
  const o = runOne(spec, r);
  if (o.divergedAt >= 0 && !spec.keepGoing) {
    // Lower the shared stop mark to this run if it is the lowest so far.
    for (;;) {
      const cur = Atomics.load(stop, 0);
      if (r >= cur || Atomics.compareExchange(stop, 0, cur, r) === cur) break;
    }
  }
  parentPort?.postMessage(o);
}
