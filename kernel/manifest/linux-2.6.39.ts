// SPDX-License-Identifier: GPL-2.0-only
/* linux-2.6.39: the merged vmap area cache (89699605fe7c). */

import { PAGE_SIZE } from '../include/asm/page.js';
import { vmap_allocator } from '../mm/vmalloc/linux-2.6.39.js';
import type { VmallocEnv } from '../mm/vmalloc/common.js';
import type { allocator_id } from '../mm/vmalloc/shims/customised.js';
import { vmalloc_api_linux_2_6_39 } from '../mm/vmalloc/api/linux-2.6.39.js';
import { as2 } from './cast.js';
import { MERGED_CACHE_2_6_39, WALK_2_6 } from './caps.js';
import type { KernelManifest } from './types.js';
import { PCPU_LINES_2_6_35 as PCPU } from '../mm/vmalloc/pcpu/linux-2.6.35.js';
import { wasm_cache_allocator } from '../mm/vmalloc/wasm/cache.js';

/** BUG_ON/WARN_ON sites of kernel/mm/vmalloc/linux-2.6.39.ts: "function:condition" -> the upstream line (shims/README.md). */
export const LINES: Readonly<Record<string, number>> = {
  '__insert_vmap_area:BUG()': 310,
  'alloc_vmap_area:!size': 343,
  'alloc_vmap_area:size & ~PAGE_MASK': 344,
  'alloc_vmap_area:!is_power_of_2(align)': 345,
  'alloc_vmap_area:va->va_start & (align-1)': 434,
  'alloc_vmap_area:va->va_start < vstart': 435,
  'alloc_vmap_area:va->va_end > vend': 436,
  '__free_vmap_area:RB_EMPTY_NODE(&va->rb_node)': 464,
  'free_unmap_vmap_area_addr:!va': 698,
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
  name: 'linux-2.6.39',
  kind: 'version',
  description: 'merged vmap area cache: find_vma-style descent, size < cached_hole_size, cached_vstart, a free page kept before and after every area',
  release: 'v2.6.39 (May 2011)',
  series: [2, 6],
  commit: '89699605fe7c ("mm: vmap area cache", merged 2011-03-22)',
  source: "mmotm text + Hugh Dickins' fix (index id 10639554784) + Jeremy Fitzhardinge's eager PTE clearing (id 13819162336; docs/sources.md#port-linux-2.6.39)",
  upstreamPath: 'mm/vmalloc.c',
  carries: [],
  allocatorOf: 'linux-2.6.39',
  file: 'kernel/mm/vmalloc/linux-2.6.39.ts',
  allocator: {
    create: (env) => new linux_2_6_39(env),
    lines: LINES,
    caps: { ...WALK_2_6, cache: MERGED_CACHE_2_6_39, firstFit: { gapAfter: PAGE_SIZE, strictBefore: true, freeTreeSpace: false } },
    wasm: { create: (env, id) => new wasm_cache_allocator('linux-2.6.39', env, id), boots: true },
  },
  machine: { api: 'linux-2.6.39', flushEra: 'linux-2.6', NR_CPUS: 512, description: 'PTEs cleared at free, flush lazy; flush_tlb_all' },
  apiLayer: { source: '2.6.35 + 64141da5 (eager PTE clearing; docs/sources.md#port-linux-2.6.39)', allocators: ['linux-2.6.39', 'linux-2.6.35', 'mmotm-2010-vmap-cache-v1', 'linux-3.18'], create: (k, a) => new vmalloc_api_linux_2_6_39(k, as2(a)) },
  native: {
    source: 'linux-2.6.39.c',
    figures: { 'random-mixed': { nsPerOp: 2422, touchesPerAlloc: 720.1 }, 'lazy-churn': { nsPerOp: 108, touchesPerAlloc: 28.2 } },
  },
};

const ID: allocator_id = { name: 'linux-2.6.39', lines: LINES };

/** The port of kernel/mm/vmalloc/linux-2.6.39.ts as this kernel: vmap_allocator with its name and line table. */
export class linux_2_6_39 extends vmap_allocator {
  constructor(env: VmallocEnv) {
    super(env, ID);
  }
}
