// SPDX-License-Identifier: GPL-2.0-only
/* linux-2.6.35-minchan: a check variant (kernel/mm/vmalloc/variants/linux-2.6.35-minchan.ts). */

import { variant_allocator } from '../mm/vmalloc/variants/linux-2.6.35-minchan.js';
import type { VmallocEnv } from '../mm/vmalloc/common.js';
import type { allocator_id } from '../mm/vmalloc/shims/customised.js';
import { manifest as base } from './linux-2.6.35.js';
import { PAGE_SIZE } from '../include/asm/page.js';
import type { KernelManifest } from './types.js';
import { wasm_cache_allocator } from '../mm/vmalloc/wasm/cache.js';

/** BUG_ON/WARN_ON sites this variant restates (kernel/mm/vmalloc/variants/linux-2.6.35-minchan.ts), over its base's. */
export const LINES: Readonly<Record<string, number>> = {
  ...base.allocator.lines,
  'alloc_vmap_area:!size': 403,
  'alloc_vmap_area:size & ~PAGE_MASK': 404,
  'alloc_vmap_area:addr & (align-1)': 454,
};

export const manifest: KernelManifest = {
  ...base,
  name: 'linux-2.6.35-minchan',
  kind: 'variant',
  base: 'linux-2.6.35',
  description: "linux-2.6.35 with Minchan Kim's two-patch rework of the cache (22 May 2010: the old descent kept, no !free_vmap_cache test) (kernel/mm/vmalloc/variants/)",
  allocatorOf: 'linux-2.6.35-minchan',
  file: 'kernel/mm/vmalloc/variants/linux-2.6.35-minchan.ts',
  allocator: {
    create: (env) => new linux_2_6_35_minchan(env),
    lines: LINES,
    caps: { ...base.allocator.caps, cache: { family: 'draft', startField: 'cached_start', holeTest: '<=', gap: PAGE_SIZE, switchable: false } },
    wasm: { create: (env, id) => new wasm_cache_allocator('linux-2.6.35-minchan', env, id, 'start') },
  },
  machine: undefined,
  apiLayer: undefined,
  native: undefined,
};

const ID: allocator_id = { name: 'linux-2.6.35-minchan', lines: LINES };

/** The variant as this kernel: its port with its name and line table. */
export class linux_2_6_35_minchan extends variant_allocator {
  constructor(env: VmallocEnv) {
    super(env, ID);
  }
}
