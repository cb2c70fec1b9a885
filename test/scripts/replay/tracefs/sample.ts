// SPDX-License-Identifier: GPL-2.0-only
/* The public real-trace sample (data/real-traces, see its README.md), for the tracefs tests. */

import { resolve } from 'node:path';
import { realTracesDir } from '../../../../scripts/lib/paths.js';

const BASE = resolve(realTracesDir(), 'linux-6.12.c_rand1to64p_pool100.cpu1');

export const SAMPLE = {
  trace: `${BASE}.trace.gz`,
  before: `${BASE}.vmallocinfo-before.txt`,
  after: `${BASE}.vmallocinfo-after.txt`,
};

/** The real 7.3.4 captures of the same workloads (1 CPU random sizes; 2 CPUs fixed 4 pages). */
const BASE_7_3 = resolve(realTracesDir(), 'linux-7.3.c_rand1to64p_pool100.cpu1');
const BASE_7_3_CPU2 = resolve(realTracesDir(), 'linux-7.3.a_vmalloc4p.cpu2');

export const SAMPLE_7_3 = {
  trace: `${BASE_7_3}.trace.gz`,
  before: `${BASE_7_3}.vmallocinfo-before.txt`,
  after: `${BASE_7_3}.vmallocinfo-after.txt`,
};

export const SAMPLE_7_3_CPU2 = {
  trace: `${BASE_7_3_CPU2}.trace.gz`,
  before: `${BASE_7_3_CPU2}.vmallocinfo-before.txt`,
  after: `${BASE_7_3_CPU2}.vmallocinfo-after.txt`,
};
