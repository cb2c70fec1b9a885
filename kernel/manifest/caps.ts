// SPDX-License-Identifier: GPL-2.0-only
/* Capability sets that several manifests share (each manifest still names its own). */

import { PAGE_SIZE } from '../include/asm/page.js';
import type { AllocatorCaps, CacheCaps } from './types.js';

/** 2.6.28 .. 2.6.38: no cache, the rb_next walk, a free page after every area. */
export const WALK_2_6: AllocatorCaps = {
  busy: 'global',
  lazy: 'flag',
  cache: null,
  search: 'rb_next-walk',
  lowestMatchTakesRoot: false,
  firstFit: { gapAfter: PAGE_SIZE, strictBefore: false, freeTreeSpace: false },
  tracepoints: false,
  vaFlags52: false,
  deferredWork: false,
};

/** The merged cache of 89699605fe7c (2.6.39). */
export const MERGED_CACHE_2_6_39: CacheCaps = { family: 'merged', startField: 'cached_vstart', holeTest: '<', gap: PAGE_SIZE, switchable: true };

/** The free tree of 6.1 and later. */
export const FREE_TREE_6: AllocatorCaps = {
  busy: 'global',
  lazy: 'purge-tree',
  cache: null,
  search: 'free-tree',
  lowestMatchTakesRoot: true,
  firstFit: { gapAfter: 0, strictBefore: false, freeTreeSpace: true },
  tracepoints: false,
  vaFlags52: false,
  deferredWork: false,
};
