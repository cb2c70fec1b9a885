// SPDX-License-Identifier: GPL-2.0-only
/* linux-3.18-liu-purged: a check variant (scripts/check/variants/linux-3.18-liu-purged.ts). */

import { linux_3_18_liu_purged } from '../../scripts/check/variants/linux-3.18-liu-purged';
import { manifest as base } from './linux-3.18';
import type { CacheCaps, KernelManifest } from './types';

export const manifest: KernelManifest = {
  ...base,
  name: 'linux-3.18-liu-purged',
  kind: 'variant',
  base: 'linux-3.18',
  description: "linux-3.18 with Liu Song's unmerged RFC (Apr 2020): the cache is also dropped when `purged` is set (scripts/check/variants/)",
  allocatorOf: 'linux-3.18-liu-purged',
  file: 'scripts/check/variants/linux-3.18-liu-purged.ts',
  allocator: { create: (env) => new linux_3_18_liu_purged(env), caps: { ...base.allocator.caps, cache: { ...(base.allocator.caps.cache as CacheCaps), switchable: false } } },
  machine: undefined,
  apiLayer: undefined,
  native: undefined,
};
