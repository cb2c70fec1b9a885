// SPDX-License-Identifier: GPL-2.0-only
/* linux-6.1: Debian 12's kernel (6.1.192). */

import { linux_6_1 } from '../mm/vmalloc/linux-6.1';
import { vmalloc_api_linux_6_1 } from '../mm/vmalloc/api/linux-6.1';
import { as6 } from './cast';
import { FREE_TREE_6 } from './caps';
import type { KernelManifest } from './types';

export const manifest: KernelManifest = {
  name: 'linux-6.1',
  kind: 'version',
  description: 'augmented free tree (subtree_max_size, lowest match), per-CPU spare area for no-edge splits, lazily freed areas merged in a purge tree and drained by a work item',
  release: 'v6.1 (Dec 2022)',
  series: [6, 1],
  commit: '68ad4a330433 ("mm/vmalloc.c: keep track of free blocks for vmap allocation", v5.2) as of v6.1',
  source: 'Debian linux-source-6.1 6.1.192-2 (text not committed)',
  upstreamPath: 'mm/vmalloc.c',
  allocatorOf: 'linux-6.1',
  file: 'kernel/mm/vmalloc/linux-6.1.ts',
  allocator: { create: (env) => new linux_6_1(env), caps: FREE_TREE_6 },
  machine: { api: 'linux-6.1', flushEra: 'linux-3.17', NR_CPUS: 8192, description: 'Debian 6.1.192: no fc1e0d980037' },
  apiLayer: { source: '/tmp/ref/linux-6.1/mm/vmalloc.c (Debian 6.1.192)', allocators: ['linux-6.1', 'linux-5.2'], create: (k, a) => new vmalloc_api_linux_6_1(k, as6(a)) },
  native: {
    source: 'linux-6.1.c',
    figures: { 'random-mixed': { nsPerOp: 208, touchesPerAlloc: 82.5 }, 'lazy-churn': { nsPerOp: 42, touchesPerAlloc: 25.5 } },
  },
};
