// SPDX-License-Identifier: GPL-2.0-only
/* linux-2.6.35-nick-v1: a check variant (scripts/check/variants/linux-2.6.35-nick-v1.ts). */

import { linux_2_6_35_nick_v1 } from '../../scripts/check/variants/linux-2.6.35-nick-v1';
import { manifest as base } from './linux-2.6.35';
import { PAGE_SIZE } from '../include/asm/page';
import type { KernelManifest } from './types';

export const manifest: KernelManifest = {
  ...base,
  name: 'linux-2.6.35-nick-v1',
  kind: 'variant',
  base: 'linux-2.6.35',
  description: "linux-2.6.35 with Nick Piggin's first vmap area cache patch (5 May 2010, with the BUG_ON(first->va_end < addr) Steven hit) (scripts/check/variants/)",
  allocatorOf: 'linux-2.6.35-nick-v1',
  file: 'scripts/check/variants/linux-2.6.35-nick-v1.ts',
  allocator: { create: (env) => new linux_2_6_35_nick_v1(env), caps: { ...base.allocator.caps, cache: { family: 'draft', startField: 'cached_start', holeTest: '<=', gap: PAGE_SIZE, switchable: false } } },
  machine: undefined,
  apiLayer: undefined,
  native: undefined,
};
