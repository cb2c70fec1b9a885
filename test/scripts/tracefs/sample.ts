// SPDX-License-Identifier: GPL-2.0-only
/* The public real-trace sample (data/real-traces, see its README.md), for the tracefs tests. */

import { resolve } from 'node:path';
import { realTracesDir } from '../../../scripts/lib/paths';

const BASE = resolve(realTracesDir(), 'linux-6.12.c_rand1to64p_pool100.cpu1');

export const SAMPLE = {
  trace: `${BASE}.trace.gz`,
  before: `${BASE}.vmallocinfo-before.txt`,
  after: `${BASE}.vmallocinfo-after.txt`,
};
