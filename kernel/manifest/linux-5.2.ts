// SPDX-License-Identifier: GPL-2.0-only
/* linux-5.2: Uladzislau Rezki's augmented free tree (68ad4a330433). */

import type { VmallocEnv } from '../mm/vmalloc/common.js';
import type { allocator_id } from '../mm/vmalloc/shims/customised.js';
import { FREE_TREE_6 } from './caps.js';
import type { KernelManifest } from './types.js';
import { wasm_allocator_5_2 } from '../mm/vmalloc/wasm/eras.js';
import { PCPU_LINES_5_2 as PCPU, vmap_allocator } from '../mm/vmalloc/linux-5.2.js';

/** BUG_ON/WARN_ON sites of kernel/mm/vmalloc/linux-5.2.ts: "function:condition" -> the upstream line (shims/README.md). */
export const LINES: Readonly<Record<string, number>> = {
  'find_va_links:BUG()': 463,
  '__alloc_vmap_area:type == NOTHING_FIT': 1011,
  'alloc_vmap_area:!size': 1039,
  'alloc_vmap_area:offset_in_page(size)': 1040,
  'alloc_vmap_area:!is_power_of_2(align)': 1041,
  'alloc_vmap_area:!IS_ALIGNED(va->va_start, align)': 1077,
  'alloc_vmap_area:va->va_start < vstart': 1078,
  'alloc_vmap_area:va->va_end > vend': 1079,
  '__free_vmap_area:RB_EMPTY_NODE(&va->rb_node)': 1122,
  'vmap_init_free_space:!free': 1811,
  'vmap_init_free_space:!free#2': 1826,
  /* pcpu_get_vm_areas (its TypeScript port takes PCPU_LINES_5_2; the wasm core looks them up here) */
  'pcpu_get_vm_areas:offset_in_page(align) || !is_power_of_2(align)': PCPU[0],
  'pcpu_get_vm_areas:!IS_ALIGNED(offsets[area], align)': PCPU[1],
  'pcpu_get_vm_areas:!IS_ALIGNED(sizes[area], align)': PCPU[2],
  'pcpu_get_vm_areas:start2 < end && start < end2': PCPU[3],
  'pcpu_get_vm_areas:true': PCPU[4],
  'pcpu_get_vm_areas:va == NULL': PCPU[5],
  'pcpu_get_vm_areas:type == NOTHING_FIT': PCPU[6],
};

export const manifest: KernelManifest = {
  name: 'linux-5.2',
  kind: 'version',
  description: 'augmented free tree replaces the free-area cache: lowest-match search for size + align - 1, fit types FL/LE/RE/NE, merge on free; lazily freed areas stay busy on the vmap_purge_list llist until the purge',
  release: 'v5.2 (Jul 2019)',
  series: [5, 2],
  commit: '68ad4a330433 ("mm/vmalloc.c: keep track of free blocks for vmap allocation", Uladzislau Rezki)',
  source: 'reconstructed: linux-6.1 port with 5.2..6.1 undone, from the RFC v2 patch (index id 14441177585), the RESEND/v3 (id 14923960997) and the 5.3 preload patch context (id 8106677688); confirmed by the 18 linux-5.2 golden traces (docs/sources.md#port-linux-5.2)',
  upstreamPath: 'mm/vmalloc.c',
  carries: ['248ac0e1943a', 'vm_map_ram-exhaustion', '80c4bd7a5e43'],
  allocatorOf: 'linux-5.2',
  file: 'kernel/mm/vmalloc/linux-5.2.ts',
  allocator: {
    create: (env) => new linux_5_2(env),
    lines: LINES,
    caps: { ...FREE_TREE_6, lazy: 'llist', search: 'free-tree-5.2', lowestMatchTakesRoot: false, vaFlags52: true },
    // The wasm core (kernel/mm/vmalloc/as/linux-5.2.ts); it boots under the 6.1 API layer with 5.2's flag bits (wasm_allocator_5_2).
    wasm: { create: (env, id) => new wasm_allocator_5_2('linux-5.2', env, id), boots: true },
  },
  machine: { api: 'linux-6.1', flushEra: 'linux-3.17', NR_CPUS: 8192, description: 'augmented free tree; the 6.1 API layer with 5.2 flag bits' },
  native: {
    source: 'linux-5.2.c',
    figures: { 'random-mixed': { nsPerOp: 209, touchesPerAlloc: 81.7 }, 'lazy-churn': { nsPerOp: 59, touchesPerAlloc: 25.5 } },
  },
};

const ID: allocator_id = { name: 'linux-5.2', lines: LINES };

/** The port of kernel/mm/vmalloc/linux-5.2.ts as this kernel: vmap_allocator with its name and line table. */
export class linux_5_2 extends vmap_allocator {
  constructor(env: VmallocEnv) {
    super(env, ID);
  }
}
