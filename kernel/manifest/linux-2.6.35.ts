// SPDX-License-Identifier: GPL-2.0-only
/* linux-2.6.35: the pre-cache allocator (db64fe02 "mm: rewrite vmap layer"). */

import { vmap_allocator } from '../mm/vmalloc/linux-2.6.35.js';
import type { VmallocEnv } from '../mm/vmalloc/common.js';
import type { allocator_id } from '../mm/vmalloc/shims/customised.js';
import { vmalloc_api_linux_2_6_35 } from '../mm/vmalloc/api/linux-2.6.35.js';
import { as2 } from './cast.js';
import { WALK_2_6 } from './caps.js';
import type { KernelManifest } from './types.js';
import { wasm_allocator_2_6 } from '../mm/vmalloc/wasm/eras.js';
import { PCPU_LINES_2_6_35 as PCPU } from '../mm/vmalloc/pcpu/linux-2.6.35.js';

/** BUG_ON/WARN_ON sites of kernel/mm/vmalloc/linux-2.6.35.ts: "function:condition" -> the upstream line (shims/README.md). */
export const LINES: Readonly<Record<string, number>> = {
  '__insert_vmap_area:BUG()': 304,
  'alloc_vmap_area:!size': 336,
  'alloc_vmap_area:size & ~PAGE_MASK': 337,
  'alloc_vmap_area:addr & (align-1)': 409,
  '__free_vmap_area:RB_EMPTY_NODE(&va->rb_node)': 429,
  'free_unmap_vmap_area_addr:!va': 637,
  /* pcpu_get_vm_areas (its TypeScript port takes PCPU_LINES_2_6_35; the wasm core looks them up here) */
  'pcpu_get_vm_areas:align & ~PAGE_MASK || !is_power_of_2(align)': PCPU[0],
  'pcpu_get_vm_areas:!IS_ALIGNED(offsets[area], align)': PCPU[1],
  'pcpu_get_vm_areas:!IS_ALIGNED(sizes[area], align)': PCPU[2],
  'pcpu_get_vm_areas:start2 >= start && start2 < end': PCPU[3],
  'pcpu_get_vm_areas:end2 <= end && end2 > start': PCPU[4],
  'pcpu_get_vm_areas:true': PCPU[5],
  'pcpu_get_vm_areas:next && next->va_end <= base + end': PCPU[6],
  'pcpu_get_vm_areas:prev && prev->va_end > base + end': PCPU[7],
};

export const manifest: KernelManifest = {
  name: 'linux-2.6.35',
  kind: 'version',
  description: 'pre-cache allocator: rbtree descent then an rb_next walk over every area in the way; lazily freed areas stay in the tree until the purge',
  release: 'v2.6.35 (Aug 2010)',
  series: [2, 6],
  commit: 'db64fe02258f ("mm: rewrite vmap layer", v2.6.28)',
  source: 'rivsidn/linux-2.6.35.6 @ fd946834f255, mm/vmalloc.c (docs/sources.md#text-linux-2.6.35)',
  upstreamPath: 'mm/vmalloc.c',
  carries: [],
  allocatorOf: 'linux-2.6.35',
  file: 'kernel/mm/vmalloc/linux-2.6.35.ts',
  allocator: { create: (env) => new linux_2_6_35(env), caps: WALK_2_6, lines: LINES, wasm: { create: (env, id) => new wasm_allocator_2_6('linux-2.6.35', env, id), boots: true } },
  machine: { api: 'linux-2.6.35', flushEra: 'linux-2.6', NR_CPUS: 512, description: 'PTEs stay until the purge; flush_tlb_all for every purge' },
  apiLayer: { source: 'mm/vmalloc.c of 2.6.35.6 (docs/sources.md#text-linux-2.6.35)', allocators: ['linux-2.6.35', 'mmotm-2010-vmap-cache-v1'], create: (k, a) => new vmalloc_api_linux_2_6_35(k, as2(a)) },
  native: {
    source: 'linux-2.6.35.c',
    figures: { 'random-mixed': { nsPerOp: 3221, touchesPerAlloc: 1027.0 }, 'lazy-churn': { nsPerOp: 2685, touchesPerAlloc: 1079.8 } },
  },
};

const ID: allocator_id = { name: 'linux-2.6.35', lines: LINES };

/** The port of kernel/mm/vmalloc/linux-2.6.35.ts as this kernel: vmap_allocator with its name and line table. */
export class linux_2_6_35 extends vmap_allocator {
  constructor(env: VmallocEnv) {
    super(env, ID);
  }
}
