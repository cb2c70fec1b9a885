// SPDX-License-Identifier: GPL-2.0-only
/* linux-3.18-liu-purged: a check variant (kernel/mm/vmalloc/variants/linux-3.18-liu-purged.ts). */

import { variant_allocator } from '../mm/vmalloc/variants/linux-3.18-liu-purged.js';
import type { VmallocEnv } from '../mm/vmalloc/common.js';
import type { allocator_id } from '../mm/vmalloc/shims/customised.js';
import { manifest as base } from './linux-3.18.js';
import type { CacheCaps, KernelManifest } from './types.js';
import { wasm_cache_allocator } from '../mm/vmalloc/wasm/cache.js';

/** BUG_ON/WARN_ON sites this variant restates (kernel/mm/vmalloc/variants/linux-3.18-liu-purged.ts), over its base's. */
export const LINES: Readonly<Record<string, number>> = {
  ...base.allocator.lines,

};

export const manifest: KernelManifest = {
  ...base,
  name: 'linux-3.18-liu-purged',
  kind: 'variant',
  base: 'linux-3.18',
  description: "linux-3.18 with Liu Song's unmerged RFC (Apr 2020): the cache is also dropped when `purged` is set (kernel/mm/vmalloc/variants/)",
  allocatorOf: 'linux-3.18-liu-purged',
  file: 'kernel/mm/vmalloc/variants/linux-3.18-liu-purged.ts',
  allocator: {
    create: (env) => new linux_3_18_liu_purged(env),
    lines: LINES,
    caps: { ...base.allocator.caps, cache: { ...(base.allocator.caps.cache as CacheCaps), switchable: false } },
    wasm: { create: (env, id) => new wasm_cache_allocator('linux-3.18-liu-purged', env, id) },
  },
  machine: undefined,
  apiLayer: undefined,
  native: undefined,
};

const ID: allocator_id = { name: 'linux-3.18-liu-purged', lines: LINES };

/** The variant as this kernel: its port with its name and line table. */
export class linux_3_18_liu_purged extends variant_allocator {
  constructor(env: VmallocEnv) {
    super(env, ID);
  }
}
