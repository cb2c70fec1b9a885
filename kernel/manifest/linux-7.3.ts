// SPDX-License-Identifier: GPL-2.0-only
/* linux-7.3: Debian's 7.3.4, 6.12's vmap nodes with the 6.16 and 6.19 changes. */

import { vmap_allocator } from '../mm/vmalloc/linux-7.3.js';
import type { VmallocEnv } from '../mm/vmalloc/common.js';
import type { allocator_id } from '../mm/vmalloc/shims/customised.js';
import { vmalloc_api_linux_7_3 } from '../mm/vmalloc/api/linux-7.3.js';
import { as6 } from './cast.js';
import { FREE_TREE_6 } from './caps.js';
import type { KernelManifest } from './types.js';
import { PCPU_LINES_7_3 as PCPU } from '../mm/vmalloc/pcpu/linux-6.1.js';
import { wasm_allocator_6_12 } from '../mm/vmalloc/wasm/eras.js';

/** BUG_ON/WARN_ON sites of kernel/mm/vmalloc/linux-7.3.ts: "function:condition" -> the upstream line (shims/README.md). */
export const LINES: Readonly<Record<string, number>> = {
  'find_va_links:1': 1234,
  '__unlink_va:RB_EMPTY_NODE(&va->rb_node)': 1322,
  'node_to_id:1': 1018,
  'encode_vn_id:1': 1037,
  'decode_vn_id:node_id != UINT_MAX': 1056,
  'va_alloc:ret != -ENOMEM': 1844,
  'node_pool_del_va:err': 1987,
  'alloc_vmap_area:!IS_ALIGNED(va->va_start, align)': 2141,
  'alloc_vmap_area:va->va_start < vstart': 2142,
  'alloc_vmap_area:va->va_end > vend': 2143,
  'free_vmap_area_noflush:!list_empty(&va->list)': 2469,
  'vmap_init_free_space:!free': 5423,
  'vmap_init_free_space:!free#2': 5438,
  /* pcpu_get_vm_areas (its TypeScript port takes PCPU_LINES_7_3; the wasm core looks them up here) */
  'pcpu_get_vm_areas:offset_in_page(align) || !is_power_of_2(align)': PCPU[0],
  'pcpu_get_vm_areas:!IS_ALIGNED(offsets[area], align)': PCPU[1],
  'pcpu_get_vm_areas:!IS_ALIGNED(sizes[area], align)': PCPU[2],
  'pcpu_get_vm_areas:start2 < end && start < end2': PCPU[3],
  'pcpu_get_vm_areas:true': PCPU[4],
  'pcpu_get_vm_areas:va == NULL': PCPU[5],
  'pcpu_get_vm_areas:unlikely(ret)': PCPU[6],
};

export const manifest: KernelManifest = {
  name: 'linux-7.3',
  kind: 'version',
  description: '6.12 with -ENOENT/-ERANGE/-ENOMEM from the search, pools of fewer than 4 areas kept on a non-full purge, non-blocking allocations failing without a purge',
  release: 'v7.3; Debian 7.3.4-1~bpo13+1',
  series: [7, 3],
  commit: 'the 6.12 vmap nodes with 6.16 (error values from the search, decay_va_pool_node keeps small pools) and 6.19 (non-blocking gfp) changes',
  source: 'Debian linux-source-7.3 7.3.4-1~bpo13+1, mm/vmalloc.c (text not committed; docs/sources.md#text-linux-7.3)',
  upstreamPath: 'mm/vmalloc.c',
  carries: ['248ac0e1943a', 'vm_map_ram-exhaustion', '80c4bd7a5e43', 'fc1e0d980037'],
  allocatorOf: 'linux-7.3',
  file: 'kernel/mm/vmalloc/linux-7.3.ts',
  allocator: {
    create: (env) => new linux_7_3(env),
    lines: LINES,
    // As 6.12: the free tree of 6.1 with the per-node busy and lazy trees.
    caps: { ...FREE_TREE_6, busy: 'vmap-nodes', lazy: 'vmap-nodes', tracepoints: true, deferredWork: true },
    // The wasm core (kernel/mm/vmalloc/as/linux-7.3.ts): busy and lazy lists walked node after node; it boots under the API layer (wasm_allocator_6_12).
    wasm: { create: (env, id) => new wasm_allocator_6_12('linux-7.3', env, id), boots: true },
  },
  // EEVDF with PREEMPT_LAZY ("Dynamic Preempt: lazy" in the real 7.3 traces): not modelled as such (docs/concurrency.md, "EEVDF and the kworker").
  machine: { api: 'linux-7.3', flushEra: 'linux-6.15', sched: 'eevdf-lazy', NR_CPUS: 8192, description: 'Debian 7.3.4: INVLPGB kernel flushes where the CPU has it, IPIs where not' },
  apiLayer: { source: 'mm/vmalloc.c of Debian 7.3.4 (docs/sources.md#text-linux-7.3)', allocators: ['linux-7.3'], create: (k, a) => new vmalloc_api_linux_7_3(k, as6(a)) },
  // The C side of `vmapsim bench` (one CPU, so one vmap node); no issue measured 7.3's C, so no figures.
  native: { source: 'linux-7.3.c' },
};

const ID: allocator_id = { name: 'linux-7.3', lines: LINES };

/** The port of kernel/mm/vmalloc/linux-7.3.ts as this kernel: vmap_allocator with its name and line table. */
export class linux_7_3 extends vmap_allocator {
  constructor(env: VmallocEnv) {
    super(env, ID);
  }
}
