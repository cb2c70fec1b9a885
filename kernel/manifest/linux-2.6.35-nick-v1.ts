// SPDX-License-Identifier: GPL-2.0-only
/* linux-2.6.35-nick-v1: a check variant (kernel/mm/vmalloc/variants/linux-2.6.35-nick-v1.ts). */

import { variant_allocator } from '../mm/vmalloc/variants/linux-2.6.35-nick-v1.js';
import type { VmallocEnv } from '../mm/vmalloc/common.js';
import type { allocator_id } from '../mm/vmalloc/shims/customised.js';
import { manifest as base } from './linux-2.6.35.js';
import { PAGE_SIZE } from '../include/asm/page.js';
import type { KernelManifest } from './types.js';
import { wasm_cache_allocator } from '../mm/vmalloc/wasm/cache.js';

/** BUG_ON/WARN_ON sites this variant restates (kernel/mm/vmalloc/variants/linux-2.6.35-nick-v1.ts), over its base's. */
export const LINES: Readonly<Record<string, number>> = {
  ...base.allocator.lines,
  'alloc_vmap_area:!size': 342,
  'alloc_vmap_area:size & ~PAGE_MASK': 343,
  'alloc_vmap_area:first->va_end < addr': 391,
  'alloc_vmap_area:first->va_start < addr': 399,
  'alloc_vmap_area:addr & (align-1)': 437,
  '__free_vmap_area:RB_EMPTY_NODE(&va->rb_node)': 458,
};

export const manifest: KernelManifest = {
  ...base,
  name: 'linux-2.6.35-nick-v1',
  kind: 'variant',
  base: 'linux-2.6.35',
  description: "linux-2.6.35 with Nick Piggin's first vmap area cache patch (5 May 2010, with the BUG_ON(first->va_end < addr) Steven hit) (kernel/mm/vmalloc/variants/)",
  allocatorOf: 'linux-2.6.35-nick-v1',
  file: 'kernel/mm/vmalloc/variants/linux-2.6.35-nick-v1.ts',
  allocator: {
    create: (env) => new linux_2_6_35_nick_v1(env),
    lines: LINES,
    caps: { ...base.allocator.caps, cache: { family: 'draft', startField: 'cached_start', holeTest: '<=', gap: PAGE_SIZE, switchable: false } },
    wasm: { create: (env, id) => new wasm_cache_allocator('linux-2.6.35-nick-v1', env, id, 'start') },
  },
  machine: undefined,
  apiLayer: undefined,
  native: undefined,
};

const ID: allocator_id = { name: 'linux-2.6.35-nick-v1', lines: LINES };

/** The variant as this kernel: its port with its name and line table. */
export class linux_2_6_35_nick_v1 extends variant_allocator {
  constructor(env: VmallocEnv) {
    super(env, ID);
  }
}
