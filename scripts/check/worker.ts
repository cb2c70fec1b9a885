// SPDX-License-Identifier: GPL-2.0-only
/* A campaign worker thread: runs its share of the runs in order, posting each outcome. */

import { parentPort, workerData } from 'node:worker_threads';
import { type CampaignSpec, runShare } from './campaign.js';
import { loadKernelFile } from '../lib/load-kernel.js';

const { spec, runs, stop, files } = workerData as { spec: CampaignSpec; runs: number[]; stop: Int32Array; files: string[] };

// The user's variant files the parent loaded (`--kernel ./mine.ts`), checked there already.
for (const f of files ?? []) await loadKernelFile(f, { check: false });

runShare(spec, runs, stop, (o) => parentPort?.postMessage(o));
