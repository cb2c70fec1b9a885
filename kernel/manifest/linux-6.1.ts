// SPDX-License-Identifier: GPL-2.0-only
/* linux-6.1: Debian 12's kernel (6.1.192). */

import { vmap_allocator } from '../mm/vmalloc/linux-6.1.js';
import type { VmallocEnv } from '../mm/vmalloc/common.js';
import type { allocator_id } from '../mm/vmalloc/shims/customised.js';
import { vmalloc_api_linux_6_1 } from '../mm/vmalloc/api/linux-6.1.js';
import { as6 } from './cast.js';
import { FREE_TREE_6 } from './caps.js';
import type { KernelManifest } from './types.js';
import { wasm_allocator_6 } from '../mm/vmalloc/wasm/eras.js';
import { PCPU_LINES_6_1 as PCPU } from '../mm/vmalloc/pcpu/linux-6.1.js';

/** BUG_ON/WARN_ON sites of kernel/mm/vmalloc/linux-6.1.ts: "function:condition" -> the upstream line (shims/README.md). */
export const LINES: Readonly<Record<string, number>> = {
  'find_va_links:1': 968,
  '__unlink_va:RB_EMPTY_NODE(&va->rb_node)': 1056,
  '__alloc_vmap_area:ret': 1598,
  'alloc_vmap_area:!size': 1666,
  'alloc_vmap_area:offset_in_page(size)': 1667,
  'alloc_vmap_area:!is_power_of_2(align)': 1668,
  'alloc_vmap_area:!IS_ALIGNED(va->va_start, align)': 1707,
  'alloc_vmap_area:va->va_start < vstart': 1708,
  'alloc_vmap_area:va->va_end > vend': 1709,
  'vmap_init_free_space:!free': 2448,
  'vmap_init_free_space:!free#2': 2463,
  /* pcpu_get_vm_areas (its TypeScript port takes PCPU_LINES_6_1; the wasm core looks them up here) */
  'pcpu_get_vm_areas:offset_in_page(align) || !is_power_of_2(align)': PCPU[0],
  'pcpu_get_vm_areas:!IS_ALIGNED(offsets[area], align)': PCPU[1],
  'pcpu_get_vm_areas:!IS_ALIGNED(sizes[area], align)': PCPU[2],
  'pcpu_get_vm_areas:start2 < end && start < end2': PCPU[3],
  'pcpu_get_vm_areas:true': PCPU[4],
  'pcpu_get_vm_areas:va == NULL': PCPU[5],
  'pcpu_get_vm_areas:unlikely(ret)': PCPU[6],
};

export const manifest: KernelManifest = {
  name: 'linux-6.1',
  kind: 'version',
  description: 'augmented free tree (subtree_max_size, lowest match), per-CPU spare area for no-edge splits, lazily freed areas merged in a purge tree and drained by a work item',
  release: 'v6.1 (Dec 2022)',
  series: [6, 1],
  commit: '68ad4a330433 ("mm/vmalloc.c: keep track of free blocks for vmap allocation", v5.2) as of v6.1',
  source: 'Debian linux-source-6.1 6.1.192-2 (text not committed; docs/sources.md#text-linux-6.1)',
  upstreamPath: 'mm/vmalloc.c',
  carries: ['248ac0e1943a', 'vm_map_ram-exhaustion', '80c4bd7a5e43'],
  allocatorOf: 'linux-6.1',
  file: 'kernel/mm/vmalloc/linux-6.1.ts',
  allocator: { create: (env) => new linux_6_1(env), caps: FREE_TREE_6, lines: LINES, wasm: { create: (env, id) => new wasm_allocator_6('linux-6.1', env, id), boots: true } },
  machine: { api: 'linux-6.1', flushEra: 'linux-3.17', NR_CPUS: 8192, description: 'Debian 6.1.192: no fc1e0d980037' },
  apiLayer: { source: 'mm/vmalloc.c of Debian 6.1.192 (docs/sources.md#text-linux-6.1)', allocators: ['linux-6.1', 'linux-5.2'], create: (k, a) => new vmalloc_api_linux_6_1(k, as6(a)) },
  native: {
    source: 'linux-6.1.c',
    figures: { 'random-mixed': { nsPerOp: 208, touchesPerAlloc: 82.5 }, 'lazy-churn': { nsPerOp: 42, touchesPerAlloc: 25.5 } },
  },
};

const ID: allocator_id = { name: 'linux-6.1', lines: LINES };

/** The port of kernel/mm/vmalloc/linux-6.1.ts as this kernel: vmap_allocator with its name and line table. */
export class linux_6_1 extends vmap_allocator {
  constructor(env: VmallocEnv) {
    super(env, ID);
  }
}
