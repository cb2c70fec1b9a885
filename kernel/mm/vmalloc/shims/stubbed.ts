// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stubbed: kernel interfaces the allocator calls that are configured off in
 * the modelled kernels (tools/testing/vma's "stubbed" shims). README.md.
 */

import type { ulong } from '../../../include/u64.js';

export class vmalloc_stubs {
  /** kmem_cache_free(vmap_area_cachep, va): the object is dropped. */
  kmem_cache_free(_va: unknown): void {}

  /** kasan_populate_vmalloc(): KASAN is off. (6.1 passes a gfp mask, 6.12 does not.) */
  kasan_populate_vmalloc(_addr: ulong, _size: ulong, _gfp_mask?: number): number {
    return 0;
  }
}
