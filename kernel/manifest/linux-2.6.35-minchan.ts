// SPDX-License-Identifier: GPL-2.0-only
/* linux-2.6.35-minchan: a check variant (scripts/check/variants/linux-2.6.35-minchan.ts). */

import { linux_2_6_35_minchan } from '../../scripts/check/variants/linux-2.6.35-minchan';
import { manifest as base } from './linux-2.6.35';
import { PAGE_SIZE } from '../include/asm/page';
import type { KernelManifest } from './types';

export const manifest: KernelManifest = {
  ...base,
  name: 'linux-2.6.35-minchan',
  kind: 'variant',
  base: 'linux-2.6.35',
  description: "linux-2.6.35 with Minchan Kim's two-patch rework of the cache (22 May 2010: the old descent kept, no !free_vmap_cache test) (scripts/check/variants/)",
  allocatorOf: 'linux-2.6.35-minchan',
  file: 'scripts/check/variants/linux-2.6.35-minchan.ts',
  allocator: { create: (env) => new linux_2_6_35_minchan(env), caps: { ...base.allocator.caps, cache: { family: 'draft', startField: 'cached_start', holeTest: '<=', gap: PAGE_SIZE, switchable: false } } },
  machine: undefined,
  apiLayer: undefined,
  native: undefined,
};
