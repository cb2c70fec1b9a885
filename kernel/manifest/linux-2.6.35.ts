// SPDX-License-Identifier: GPL-2.0-only
/* linux-2.6.35: the pre-cache allocator (db64fe02 "mm: rewrite vmap layer"). */

import { linux_2_6_35 } from '../mm/vmalloc/linux-2.6.35';
import { vmalloc_api_linux_2_6_35 } from '../mm/vmalloc/api/linux-2.6.35';
import { as2 } from './cast';
import { WALK_2_6 } from './caps';
import type { KernelManifest } from './types';

export const manifest: KernelManifest = {
  name: 'linux-2.6.35',
  kind: 'version',
  description: 'pre-cache allocator: rbtree descent then an rb_next walk over every area in the way; lazily freed areas stay in the tree until the purge',
  release: 'v2.6.35 (Aug 2010)',
  series: [2, 6],
  commit: 'db64fe02258f ("mm: rewrite vmap layer", v2.6.28)',
  source: 'rivsidn/linux-2.6.35.6 @ fd946834f255, mm/vmalloc.c',
  upstreamPath: 'mm/vmalloc.c',
  allocatorOf: 'linux-2.6.35',
  file: 'kernel/mm/vmalloc/linux-2.6.35.ts',
  allocator: { create: (env) => new linux_2_6_35(env), caps: WALK_2_6 },
  machine: { api: 'linux-2.6.35', flushEra: 'linux-2.6', NR_CPUS: 512, description: 'PTEs stay until the purge; flush_tlb_all for every purge' },
  apiLayer: { source: '/tmp/ref/linux-2.6.35/mm/vmalloc.c', allocators: ['linux-2.6.35', 'mmotm-2010-vmap-cache-v1'], create: (k, a) => new vmalloc_api_linux_2_6_35(k, as2(a)) },
  native: {
    source: 'linux-2.6.35.c',
    figures: { 'random-mixed': { nsPerOp: 3221, touchesPerAlloc: 1027.0 }, 'lazy-churn': { nsPerOp: 2685, touchesPerAlloc: 1079.8 } },
  },
};
