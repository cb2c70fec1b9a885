// SPDX-License-Identifier: GPL-2.0-only
/* The public real-trace sample (../shared/real-traces), for the tracefs tests. */

import { resolve } from 'node:path';
import { repoRoot } from '../../../scripts/lib/paths';

const DIR = process.env.VMAPSIM_REAL_TRACES ?? resolve(repoRoot(), '..', 'shared', 'real-traces');
const BASE = resolve(DIR, 'linux-6.12.c_rand1to64p_pool100.cpu1');

export const SAMPLE = {
  trace: `${BASE}.trace.gz`,
  before: `${BASE}.vmallocinfo-before.txt`,
  after: `${BASE}.vmallocinfo-after.txt`,
};
