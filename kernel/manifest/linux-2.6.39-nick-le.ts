// SPDX-License-Identifier: GPL-2.0-only
/* linux-2.6.39-nick-le: a check variant (kernel/mm/vmalloc/variants/linux-2.6.39-nick-le.ts). */

import { variant_allocator } from '../mm/vmalloc/variants/linux-2.6.39-nick-le.js';
import type { VmallocEnv } from '../mm/vmalloc/common.js';
import type { allocator_id } from '../mm/vmalloc/shims/customised.js';
import { manifest as base } from './linux-2.6.39.js';
import type { CacheCaps, KernelManifest } from './types.js';
import { wasm_cache_allocator } from '../mm/vmalloc/wasm/cache.js';

/** BUG_ON/WARN_ON sites this variant restates (kernel/mm/vmalloc/variants/linux-2.6.39-nick-le.ts), over its base's. */
export const LINES: Readonly<Record<string, number>> = {
  ...base.allocator.lines,
  'alloc_vmap_area:!size': 343,
  'alloc_vmap_area:size & ~PAGE_MASK': 344,
  'alloc_vmap_area:!is_power_of_2(align)': 345,
  'alloc_vmap_area:va->va_start & (align-1)': 434,
  'alloc_vmap_area:va->va_start < vstart': 435,
  'alloc_vmap_area:va->va_end > vend': 436,
};

export const manifest: KernelManifest = {
  ...base,
  name: 'linux-2.6.39-nick-le',
  kind: 'variant',
  base: 'linux-2.6.39',
  description: "linux-2.6.39 with Nick's `size <= cached_hole_size` for Hugh's `<` (kernel/mm/vmalloc/variants/)",
  allocatorOf: 'linux-2.6.39-nick-le',
  file: 'kernel/mm/vmalloc/variants/linux-2.6.39-nick-le.ts',
  allocator: {
    create: (env) => new linux_2_6_39_nick_le(env),
    lines: LINES,
    caps: { ...base.allocator.caps, cache: { ...(base.allocator.caps.cache as CacheCaps), holeTest: '<=', switchable: false } },
    wasm: { create: (env, id) => new wasm_cache_allocator('linux-2.6.39-nick-le', env, id) },
  },
  machine: undefined,
  apiLayer: undefined,
  native: undefined,
};

const ID: allocator_id = { name: 'linux-2.6.39-nick-le', lines: LINES };

/** The variant as this kernel: its port with its name and line table. */
export class linux_2_6_39_nick_le extends variant_allocator {
  constructor(env: VmallocEnv) {
    super(env, ID);
  }
}
