// SPDX-License-Identifier: GPL-2.0-only
/* linux-6.12: Debian's 6.12.95, per-node vmap_nodes. */

import { linux_6_12 } from '../mm/vmalloc/linux-6.12';
import { vmalloc_api_linux_6_12 } from '../mm/vmalloc/api/linux-6.12';
import { as6 } from './cast';
import { FREE_TREE_6 } from './caps';
import type { KernelManifest } from './types';

export const manifest: KernelManifest = {
  name: 'linux-6.12',
  kind: 'version',
  description: 'per-node busy and lazy trees (nr_vmap_nodes from the CPU count, 16-page zones), per-size pools of purged areas for vmalloc-range requests with several nodes, lazily freed areas kept unmerged, per-node purge; trace events',
  release: 'v6.12 (Nov 2024); Debian 6.12.95-1~bpo12+1',
  series: [6, 12],
  commit: 'the vmap_nodes series ("Mitigate a vmap lock contention", Uladzislau Rezki, v6.9) on the 68ad4a330433 free tree',
  source: 'Debian 6.12.95 source tree, mm/vmalloc.c (text not committed)',
  upstreamPath: 'mm/vmalloc.c',
  allocatorOf: 'linux-6.12',
  file: 'kernel/mm/vmalloc/linux-6.12.ts',
  allocator: {
    create: (env) => new linux_6_12(env),
    // The free tree and its [1, ULONG_MAX) space are 6.1's; the size pools
    // only serve vmalloc-range requests with several nodes, which the
    // first-fit comparison is there to show.
    caps: { ...FREE_TREE_6, busy: 'vmap-nodes', lazy: 'vmap-nodes', tracepoints: true },
  },
  machine: { api: 'linux-6.12', flushEra: 'linux-3.17', NR_CPUS: 8192, description: 'Debian 6.12.95' },
  apiLayer: { source: '/tmp/ref/linux-6.12/mm/vmalloc.c (Debian 6.12.95)', allocators: ['linux-6.12'], create: (k, a) => new vmalloc_api_linux_6_12(k, as6(a)) },
};
