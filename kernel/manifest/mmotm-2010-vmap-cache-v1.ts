// SPDX-License-Identifier: GPL-2.0-only
/* mmotm-2010-vmap-cache-v1: Nick Piggin's first free-area cache as carried in -mm. */

import { PAGE_SIZE } from '../include/asm/page.js';
import { vmap_allocator } from '../mm/vmalloc/mmotm-2010-vmap-cache-v1.js';
import type { VmallocEnv } from '../mm/vmalloc/common.js';
import type { allocator_id } from '../mm/vmalloc/shims/customised.js';
import { WALK_2_6 } from './caps.js';
import type { KernelManifest } from './types.js';
import { PCPU_LINES_2_6_35 as PCPU } from '../mm/vmalloc/pcpu/linux-2.6.35.js';
import { wasm_cache_allocator } from '../mm/vmalloc/wasm/cache.js';

/** BUG_ON/WARN_ON sites of kernel/mm/vmalloc/mmotm-2010-vmap-cache-v1.ts: "function:condition" -> the upstream line (shims/README.md). */
export const LINES: Readonly<Record<string, number>> = {
  '__insert_vmap_area:BUG()': 310,
  'alloc_vmap_area:!size': 343,
  'alloc_vmap_area:size & ~PAGE_MASK': 344,
  'alloc_vmap_area:!is_power_of_2(align)': 345,
  'alloc_vmap_area:first->va_start < addr': 412,
  'alloc_vmap_area:va->va_start & (align-1)': 456,
  'alloc_vmap_area:va->va_start < vstart': 457,
  'alloc_vmap_area:va->va_end > vend': 458,
  '__free_vmap_area:RB_EMPTY_NODE(&va->rb_node)': 472,
  'free_unmap_vmap_area_addr:!va': 693,
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
  name: 'mmotm-2010-vmap-cache-v1',
  kind: 'version',
  description: 'first free-area cache (cached_start, size <= cached_hole_size) with BUG_ON(first->va_start < addr), which unaligned vstarts and ioremap alignments hit',
  release: 'not released (carried in mmotm, Jun 2010 - Jan 2011)',
  series: [2, 6],
  commit: '"[patch] mm: vmap area cache", Nick Piggin, linux-mm 2010-05-31 (Message-ID 20100531080757.GE9453@laptop)',
  source: 'linux-2.6.35 text + the posted patch (index id 11838866661; docs/sources.md#port-mmotm-2010-vmap-cache-v1)',
  upstreamPath: 'mm/vmalloc.c',
  carries: [],
  allocatorOf: 'mmotm-2010-vmap-cache-v1',
  file: 'kernel/mm/vmalloc/mmotm-2010-vmap-cache-v1.ts',
  allocator: {
    create: (env) => new mmotm_2010_vmap_cache_v1(env),
    lines: LINES,
    caps: { ...WALK_2_6, cache: { family: 'mmotm', startField: 'cached_start', holeTest: '<=', gap: PAGE_SIZE, switchable: true } },
    wasm: { create: (env, id) => new wasm_cache_allocator('mmotm-2010-vmap-cache-v1', env, id), boots: true },
  },
  machine: { api: 'linux-2.6.35', flushEra: 'linux-2.6', NR_CPUS: 512, description: 'the mmotm vmap cache patch on 2.6.35' },
  native: {
    source: 'mmotm-2010-vmap-cache-v1.c',
    figures: { 'random-mixed': { nsPerOp: 2377, touchesPerAlloc: 721.5 }, 'lazy-churn': { nsPerOp: 123, touchesPerAlloc: 28.2 } },
  },
};

const ID: allocator_id = { name: 'mmotm-2010-vmap-cache-v1', lines: LINES };

/** The port of kernel/mm/vmalloc/mmotm-2010-vmap-cache-v1.ts as this kernel: vmap_allocator with its name and line table. */
export class mmotm_2010_vmap_cache_v1 extends vmap_allocator {
  constructor(env: VmallocEnv) {
    super(env, ID);
  }
}
