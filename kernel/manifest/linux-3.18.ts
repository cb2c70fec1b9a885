// SPDX-License-Identifier: GPL-2.0-only
/* linux-3.18: the 3.x form of the vmap area cache. */

import { vmap_allocator } from '../mm/vmalloc/linux-3.18.js';
import type { VmallocEnv } from '../mm/vmalloc/common.js';
import type { allocator_id } from '../mm/vmalloc/shims/customised.js';
import { vmalloc_api_linux_3_18 } from '../mm/vmalloc/api/linux-3.18.js';
import { as2 } from './cast.js';
import { MERGED_CACHE_2_6_39, WALK_2_6 } from './caps.js';
import type { KernelManifest } from './types.js';
import { PCPU_LINES_3_18 as PCPU } from '../mm/vmalloc/pcpu/linux-2.6.35.js';
import { wasm_cache_allocator } from '../mm/vmalloc/wasm/cache.js';

/** BUG_ON/WARN_ON sites of kernel/mm/vmalloc/linux-3.18.ts: "function:condition" -> the upstream line (shims/README.md). */
export const LINES: Readonly<Record<string, number>> = {
  '__insert_vmap_area:BUG()': 322,
  'alloc_vmap_area:!size': 355,
  'alloc_vmap_area:size & ~PAGE_MASK': 356,
  'alloc_vmap_area:!is_power_of_2(align)': 357,
  'alloc_vmap_area:va->va_start & (align-1)': 452,
  'alloc_vmap_area:va->va_start < vstart': 453,
  'alloc_vmap_area:va->va_end > vend': 454,
  '__free_vmap_area:RB_EMPTY_NODE(&va->rb_node)': 474,
  'free_unmap_vmap_area_addr:!va': 717,
  /* pcpu_get_vm_areas (its TypeScript port takes PCPU_LINES_3_18; the wasm core looks them up here) */
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
  name: 'linux-3.18',
  kind: 'version',
  description: '3.x vmap area cache: no free page between areas, walk along the address-sorted vmap_area_list, overflow test addr + size < addr, kfree_rcu',
  release: 'v3.18 (Dec 2014); the allocator section is the same through the neighbouring 3.x releases',
  series: [3, 18],
  commit: '248ac0e1943a (guard gap removed) + 92ca922f (walk vmap_area_list instead of rb_next) on 89699605fe7c',
  source: 'torvalds/linux @ 7ebdfaa52d15b947503f76474477f92854796d96, mm/vmalloc.c (index id 2879928; docs/sources.md#text-linux-3.18)',
  upstreamPath: 'mm/vmalloc.c',
  carries: ['248ac0e1943a'],
  allocatorOf: 'linux-3.18',
  file: 'kernel/mm/vmalloc/linux-3.18.ts',
  allocator: {
    create: (env) => new linux_3_18(env),
    lines: LINES,
    caps: { ...WALK_2_6, cache: { ...MERGED_CACHE_2_6_39, gap: 0 }, firstFit: { gapAfter: 0, strictBefore: false, freeTreeSpace: false } },
    wasm: { create: (env, id) => new wasm_cache_allocator('linux-3.18', env, id), boots: true },
  },
  machine: { api: 'linux-3.18', flushEra: 'linux-3.17', NR_CPUS: 512, description: 'ranged flushes up to 33 pages' },
  apiLayer: { source: 'mm/vmalloc.c of 3.18 (docs/sources.md#text-linux-3.18)', allocators: ['linux-3.18'], create: (k, a) => new vmalloc_api_linux_3_18(k, as2(a)) },
  native: {
    source: 'linux-3.18.c',
    figures: { 'random-mixed': { nsPerOp: 1813, touchesPerAlloc: 713.5 }, 'lazy-churn': { nsPerOp: 86, touchesPerAlloc: 28.2 } },
  },
};

const ID: allocator_id = { name: 'linux-3.18', lines: LINES };

/** The port of kernel/mm/vmalloc/linux-3.18.ts as this kernel: vmap_allocator with its name and line table. */
export class linux_3_18 extends vmap_allocator {
  constructor(env: VmallocEnv) {
    super(env, ID);
  }
}
