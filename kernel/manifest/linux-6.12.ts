// SPDX-License-Identifier: GPL-2.0-only
/* linux-6.12: Debian's 6.12.95, per-node vmap_nodes. */

import { vmap_allocator } from '../mm/vmalloc/linux-6.12.js';
import type { VmallocEnv } from '../mm/vmalloc/common.js';
import type { allocator_id } from '../mm/vmalloc/shims/customised.js';
import { vmalloc_api_linux_6_12 } from '../mm/vmalloc/api/linux-6.12.js';
import { as6 } from './cast.js';
import { FREE_TREE_6 } from './caps.js';
import type { KernelManifest } from './types.js';
import { PCPU_LINES_6_12 as PCPU } from '../mm/vmalloc/pcpu/linux-6.1.js';
import { wasm_allocator_6_12 } from '../mm/vmalloc/wasm/eras.js';

/** BUG_ON/WARN_ON sites of kernel/mm/vmalloc/linux-6.12.ts: "function:condition" -> the upstream line (shims/README.md). */
export const LINES: Readonly<Record<string, number>> = {
  'find_va_links:1': 1147,
  '__unlink_va:RB_EMPTY_NODE(&va->rb_node)': 1235,
  'encode_vn_id:1': 944,
  'decode_vn_id:node_id != UINT_MAX': 963,
  'va_alloc:ret': 1756,
  'node_pool_del_va:err': 1902,
  'alloc_vmap_area:!IS_ALIGNED(va->va_start, align)': 2039,
  'alloc_vmap_area:va->va_start < vstart': 2040,
  'alloc_vmap_area:va->va_end > vend': 2041,
  'free_vmap_area_noflush:!list_empty(&va->list)': 2371,
  'vmap_init_free_space:!free': 5105,
  'vmap_init_free_space:!free#2': 5120,
  /* pcpu_get_vm_areas (its TypeScript port takes PCPU_LINES_6_12; the wasm core looks them up here) */
  'pcpu_get_vm_areas:offset_in_page(align) || !is_power_of_2(align)': PCPU[0],
  'pcpu_get_vm_areas:!IS_ALIGNED(offsets[area], align)': PCPU[1],
  'pcpu_get_vm_areas:!IS_ALIGNED(sizes[area], align)': PCPU[2],
  'pcpu_get_vm_areas:start2 < end && start < end2': PCPU[3],
  'pcpu_get_vm_areas:true': PCPU[4],
  'pcpu_get_vm_areas:va == NULL': PCPU[5],
  'pcpu_get_vm_areas:unlikely(ret)': PCPU[6],
};

export const manifest: KernelManifest = {
  name: 'linux-6.12',
  kind: 'version',
  description: 'per-node busy and lazy trees (nr_vmap_nodes from the CPU count, 16-page zones), per-size pools of purged areas for vmalloc-range requests with several nodes, lazily freed areas kept unmerged, per-node purge; trace events',
  release: 'v6.12 (Nov 2024); Debian 6.12.95-1~bpo12+1',
  series: [6, 12],
  commit: 'the vmap_nodes series ("Mitigate a vmap lock contention", Uladzislau Rezki, v6.9) on the 68ad4a330433 free tree',
  source: 'Debian 6.12.95 source tree, mm/vmalloc.c (text not committed; docs/sources.md#text-linux-6.12)',
  upstreamPath: 'mm/vmalloc.c',
  carries: ['248ac0e1943a', 'vm_map_ram-exhaustion', '80c4bd7a5e43', 'fc1e0d980037'],
  allocatorOf: 'linux-6.12',
  file: 'kernel/mm/vmalloc/linux-6.12.ts',
  allocator: {
    create: (env) => new linux_6_12(env),
    lines: LINES,
    // The free tree and its [1, ULONG_MAX) space are 6.1's; the size pools
    // only serve vmalloc-range requests with several nodes, which the
    // first-fit comparison is there to show.
    caps: { ...FREE_TREE_6, busy: 'vmap-nodes', lazy: 'vmap-nodes', tracepoints: true, deferredWork: true },
    // The wasm core (kernel/mm/vmalloc/as/linux-6.12.ts): busy and lazy lists walked node after node; it boots under the API layer (wasm_allocator_6_12).
    wasm: { create: (env, id) => new wasm_allocator_6_12('linux-6.12', env, id), boots: true },
  },
  // EEVDF (v6.6) with voluntary preemption: Debian 6.12's default (docs/concurrency.md, "EEVDF and the kworker").
  machine: { api: 'linux-6.12', flushEra: 'linux-3.17', NR_CPUS: 8192, sched: 'eevdf', description: 'Debian 6.12.95' },
  apiLayer: { source: 'mm/vmalloc.c of Debian 6.12.95 (docs/sources.md#text-linux-6.12)', allocators: ['linux-6.12'], create: (k, a) => new vmalloc_api_linux_6_12(k, as6(a)) },
  // The C side of `vmapsim bench` (one CPU, so one vmap node); no issue measured 6.12's C, so no figures.
  native: { source: 'linux-6.12.c' },
};

const ID: allocator_id = { name: 'linux-6.12', lines: LINES };

/** The port of kernel/mm/vmalloc/linux-6.12.ts as this kernel: vmap_allocator with its name and line table. */
export class linux_6_12 extends vmap_allocator {
  constructor(env: VmallocEnv) {
    super(env, ID);
  }
}
