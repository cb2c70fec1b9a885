// SPDX-License-Identifier: GPL-2.0-only
/* linux-2.6.39-nick-le: a check variant (scripts/check/variants/linux-2.6.39-nick-le.ts). */

import { linux_2_6_39_nick_le } from '../../scripts/check/variants/linux-2.6.39-nick-le';
import { manifest as base } from './linux-2.6.39';
import type { CacheCaps, KernelManifest } from './types';

export const manifest: KernelManifest = {
  ...base,
  name: 'linux-2.6.39-nick-le',
  kind: 'variant',
  base: 'linux-2.6.39',
  description: "linux-2.6.39 with Nick's `size <= cached_hole_size` for Hugh's `<` (scripts/check/variants/)",
  allocatorOf: 'linux-2.6.39-nick-le',
  file: 'scripts/check/variants/linux-2.6.39-nick-le.ts',
  allocator: { create: (env) => new linux_2_6_39_nick_le(env), caps: { ...base.allocator.caps, cache: { ...(base.allocator.caps.cache as CacheCaps), holeTest: '<=', switchable: false } } },
  machine: undefined,
  apiLayer: undefined,
  native: undefined,
};
