// SPDX-License-Identifier: GPL-2.0-only
/* linux-6.1+fc1e0d980037: Debian's 6.1 with the v6.5 stale-TLB fix for fully used vmap blocks. */

import { vmalloc_api_linux_6_1_fc1e0d980037 } from '../mm/vmalloc/api/linux-6.1+fc1e0d980037.js';
import { as6 } from './cast.js';
import { manifest as base } from './linux-6.1.js';
import type { KernelManifest } from './types.js';

export const manifest: KernelManifest = {
  name: 'linux-6.1+fc1e0d980037',
  kind: 'kernel',
  description: '6.1 with the v6.5 stale-TLB fix for fully used vmap blocks',
  release: 'v6.1 (Dec 2022) + fc1e0d980037 (v6.5)',
  series: [6, 1],
  commit: 'fc1e0d980037 ("mm/vmalloc: prevent stale TLBs in fully utilized blocks", v6.5) on Debian 6.1.192',
  source: '6.1 + fc1e0d980037 (docs/sources.md#port-linux-6.1+fc1e0d980037)',
  upstreamPath: 'mm/vmalloc.c',
  carries: ['248ac0e1943a', 'vm_map_ram-exhaustion', '80c4bd7a5e43', 'fc1e0d980037'],
  allocatorOf: 'linux-6.1',
  file: base.file,
  allocator: base.allocator,
  machine: { api: 'linux-6.1+fc1e0d980037', flushEra: 'linux-3.17', NR_CPUS: 8192, description: '6.1 with the v6.5 stale-TLB fix for fully used vmap blocks' },
  apiLayer: { source: '6.1 + fc1e0d980037 (docs/sources.md#port-linux-6.1+fc1e0d980037)', allocators: ['linux-6.1', 'linux-5.2'], create: (k, a) => new vmalloc_api_linux_6_1_fc1e0d980037(k, as6(a)) },
};
