// SPDX-License-Identifier: GPL-2.0-only
/* linux-2.6.35-02b709df: 2.6.35 with the v2.6.33 fragmented-block purge reverted (the 2.6.32 vmap blocks). */

import { vmalloc_api_linux_2_6_35_02b709df } from '../mm/vmalloc/api/linux-2.6.35-02b709df.js';
import { as2 } from './cast.js';
import { manifest as base } from './linux-2.6.35.js';
import type { KernelManifest } from './types.js';

export const manifest: KernelManifest = {
  name: 'linux-2.6.35-02b709df',
  kind: 'kernel',
  description: '2.6.35 with 02b709df reverted: the 2.6.32 vmap blocks, never purged while fragmented',
  release: 'v2.6.35 with 02b709df (v2.6.33) reverted',
  series: [2, 6],
  commit: '02b709df817c ("mm: purge fragmented percpu vmap blocks", v2.6.33), reverted',
  source: '2.6.35 with 02b709df reverted (2.6.32 vmap blocks: index ids 37830178053, 35056785741; docs/sources.md#port-linux-2.6.35-02b709df)',
  upstreamPath: 'mm/vmalloc.c',
  carries: [],
  allocatorOf: 'linux-2.6.35',
  file: base.file,
  allocator: base.allocator,
  machine: { api: 'linux-2.6.35-02b709df', flushEra: 'linux-2.6', NR_CPUS: 512, description: '2.6.35 with 02b709df reverted: the 2.6.32 vmap blocks, never purged while fragmented' },
  apiLayer: {
    source: '2.6.35 with 02b709df reverted (2.6.32 vmap blocks: index ids 37830178053, 35056785741; docs/sources.md#port-linux-2.6.35-02b709df)',
    allocators: ['linux-2.6.35', 'mmotm-2010-vmap-cache-v1'],
    create: (k, a) => new vmalloc_api_linux_2_6_35_02b709df(k, as2(a)),
  },
};
